/* role.h -- who may be made what (protocol/agreement.md, "Roles").
 *
 * A facilitator joins with the facilitator key and an observer with the
 * observer link: neither role is given or taken by a request. Between the
 * two others, a facilitator decides (role_set), and a participant may ask to
 * represent their organisation (representative_request). Pure. */
#ifndef ATELIER_ROLE_H
#define ATELIER_ROLE_H

#include "core/proto.h"
#include "core/workshop.h"

/* Whether a facilitator may make a person whose role is `from` a
 * representative or a participant (role_set): PROTO_OK, or
 * PROTO_EBAD_REQUEST with *why. Giving the role they have already is
 * allowed (it answers a pending request all the same). */
proto_err role_may_set(wk_role from, const char **why);

#endif
