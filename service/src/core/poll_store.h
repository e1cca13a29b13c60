/* poll_store.h -- a poll's records in Redis, as JSON text: the poll record
 * (definition, state, answer ids handed out) and one record per participant
 * (their ballot, or their text answers and upvotes), or on an organisations
 * poll one per organisation (its ballot and who last voted for it). The
 * model is poll.h's; the keys and the Redis Functions that write the records
 * are the shell's.
 *
 * The poll record changes with every lifecycle step and every answer added
 * (it holds answers_next, so answer ids are never reused). A participant's
 * record is keyed by their id outside the JSON, so it never names them; an
 * organisation's is keyed by the organisation's name. */
#ifndef ATELIER_POLL_STORE_H
#define ATELIER_POLL_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/poll.h"
#include "core/sbuf.h"

#define POLL_STORE_VERSION 1    /* "v" of a poll record; a record of another version is refused */

void poll_store_write(sbuf *b, const poll_t *p);
poll_err poll_store_read(const char *json, size_t len, poll_t **out, const char **why);
/* The record filed under field: a participant id, or on an organisations
 * poll an organisation's name. Returns false (writes nothing: delete the
 * record) when there is nothing recorded. */
bool poll_store_write_ballot(sbuf *b, const poll_t *p, const char *field);

/* Loading: poll_store_read, then poll_store_read_ballot for every record in
 * any order, then poll_store_finish (it settles upvotes whose answer came
 * later, and drops those that break the rules). */
poll_err poll_store_read_ballot(poll_t *p, const char *field, const char *json, size_t len, const char **why);
void poll_store_finish(poll_t *p);

#endif
