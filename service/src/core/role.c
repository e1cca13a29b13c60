#include "core/role.h"

proto_err role_may_set(wk_role from, const char **why) {
    if (from == WK_FACILITATOR) return *why = "a facilitator cannot be given another role", PROTO_EBAD_REQUEST;
    if (from == WK_OBSERVER)
        return *why = "an observer cannot be given another role (to take part, join with the invite link)",
               PROTO_EBAD_REQUEST;
    return PROTO_OK;
}

proto_err role_may_answer(wk_role from, bool asks, const char **why) {
    proto_err e = role_may_set(from, why);
    if (e == PROTO_OK && !asks) *why = "this person has not asked to represent their organisation", e = PROTO_EBAD_REQUEST;
    return e;
}
