/* rights.h -- who may send what: protocol/agreement.md's "Rights" table, one
 * row per client message type, one column per role. The hub consults it once
 * for every message of a joined session, before the message's handler runs;
 * handlers check only what depends on the state (whose answer, which poll).
 * A new message type is one more row in rights.c (a unit test fails while a
 * type has none). Pure. */
#ifndef ATELIER_RIGHTS_H
#define ATELIER_RIGHTS_H

#include <stdbool.h>

#include "core/proto.h"
#include "core/workshop.h"

/* Whether a person in this role may send a message of this type. A type
 * without a row is refused to everyone. */
bool rights_may(wk_role role, proto_type type);
/* Why the type is refused to those who may not send it (for the error
 * `forbidden`): "observers cannot write", "only a facilitator …". */
const char *rights_refusal(proto_type type);
/* Whether the table has a row for this type (the unit test's check). */
bool rights_has_row(proto_type type);

#endif
