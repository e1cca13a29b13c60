/* role.h -- who may be made what (protocol/agreement.md, "Roles").
 *
 * A facilitator joins with the facilitator key and an observer with the
 * observer link: neither role is given or taken by a request. Between the
 * two others, a facilitator decides (role_set), and a participant may ask to
 * represent their organisation (representative_request), which a facilitator
 * answers (representative_answer, or role_set). Who may send each request is
 * core/rights.c's; these say what the person's state allows. Pure. */
#ifndef ATELIER_ROLE_H
#define ATELIER_ROLE_H

#include "core/proto.h"
#include "core/workshop.h"

/* Whether a facilitator may make a person whose role is `from` a
 * representative or a participant (role_set): PROTO_OK, or
 * PROTO_EBAD_REQUEST with *why. Giving the role they have already is
 * allowed (it answers a pending request all the same). */
proto_err role_may_set(wk_role from, const char **why);
/* Whether a facilitator may answer (representative_answer) a person whose
 * role is `from` and who `asks` or not: only a pending request is answered
 * (PROTO_EBAD_REQUEST with *why otherwise). */
proto_err role_may_answer(wk_role from, bool asks, const char **why);

#endif
