/* poll_json.h -- polls on the wire (protocol/polls.md): definitions and
 * ballots read from a client's message, and the poll messages written for
 * clients. The model is poll.h's.
 *
 * Reading checks every rule the model has (it ends in poll_def_check or the
 * ballot check), so nothing a client sends reaches the model unchecked.
 * Writing goes straight into an sbuf, like proto_write_*: results are sent
 * to everyone in a workshop at most four times a second per poll. No writer
 * here ever names a participant, except who set an organisation's answer on
 * an organisations poll: that answer is open by design. */
#ifndef ATELIER_POLL_JSON_H
#define ATELIER_POLL_JSON_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/poll.h"
#include "core/sbuf.h"

/* A definition from a client's object (kind, question, choices, max,
 * respondents, threshold, translations; other keys are the caller's); on
 * error *d is empty. */
poll_err poll_def_from_json(const cJSON *o, poll_def *d, const char **why);
/* A ballot for poll p from a client's value: null (withdraw), an index, an
 * array of indexes or a scale value, as p's kind takes. */
poll_err poll_ballot_from_json(const poll_t *p, const cJSON *v, poll_ballot *b, const char **why);

/* Writers. idjson (the request id as JSON text) may be NULL or "" for none;
 * allocation failure sets b->oom. */
void poll_write_public(sbuf *b, const poll_t *p);                          /* the poll object (definition + state) */
void poll_write_poll(sbuf *b, const poll_t *p, const char *idjson);        /* {"type":"poll",…} */
void poll_write_deleted(sbuf *b, const char *poll_id, const char *idjson);
void poll_write_answer(sbuf *b, const poll_t *p, uint32_t answer_id);      /* {"type":"answer",…}: added, edited or deleted */
/* {"type":"results",…}: organisations with fewer than min_group respondents
 * are pooled under "other" (shown only when the pool reaches min_group);
 * the shell passes poll_threshold(p). The message states the threshold
 * ("threshold") unless the poll is answered by people under the default. */
void poll_write_results(sbuf *b, const poll_t *p, unsigned min_group, const char *idjson);
/* How many results poll_write_results wrote since the process started: what
 * the results cost is counted, not timed (metrics, tests; one thread). */
uint64_t poll_results_written(void);
void poll_write_my_ballot(sbuf *b, const poll_t *p, const char *pid, const char *idjson);
/* The my_ballot participant pid of organisation org is sent: their own
 * ballot, or on an organisations poll their organisation's, with who set it
 * ("by", "at"). */
void poll_write_mine(sbuf *b, const poll_t *p, const char *pid, const char *org, const char *idjson);
/* {"name":ORG,"ballot":…,"by":{…},"at":MS}: an organisation's answer as the
 * history keeps it (an organisation answers openly). */
void poll_write_org_answer(sbuf *b, const poll_t *p, const char *org);
/* An error whose re is a poll message type (proto_write_error only knows proto_type). */
void poll_write_error(sbuf *b, poll_err e, const char *message, const char *re, const char *idjson);

#endif
