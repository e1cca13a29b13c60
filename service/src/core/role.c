#include "core/role.h"

proto_err role_may_set(wk_role from, const char **why) {
    if (from == WK_FACILITATOR) return *why = "a facilitator cannot be given another role", PROTO_EBAD_REQUEST;
    if (from == WK_OBSERVER)
        return *why = "an observer cannot be given another role (to take part, join with the invite link)",
               PROTO_EBAD_REQUEST;
    return PROTO_OK;
}
