/* poll_fold.h -- a poll's results at any point of its history, folded from
 * its events (protocol/history.md, "Ballots in the record").
 *
 * A folded poll's ballot event (poll_t.folded) stores the ballot, not the
 * results: the ballot record before it (`prior`, read by the Redis Function
 * atelier_ballot in the same atomic step, so exact whichever process wrote
 * it) and after it (`data`), in poll_store.h's record format. Folding takes
 * the prior record out of the tallies and puts the new one in: O(choices)
 * per ballot, as the live model does; the results (anonymity threshold
 * applied) are then written by poll_write_results, on demand.
 *
 * Pure. The fold is a poll_t with tallies but no voters (a people poll's
 * records never name their voter): only the organisation tallies that
 * poll_write_results reads. Not for text polls (their answers and upvotes
 * are stored with the results, as before). */
#ifndef ATELIER_POLL_FOLD_H
#define ATELIER_POLL_FOLD_H

#include <stddef.h>

#include "core/poll.h"
#include "core/sbuf.h"

/* What the history stores of a poll event (atelier_poll, atelier_ballot):
 * the poll object clients see in pub, and its results (threshold applied)
 * in res, except for a folded poll's ballot (ballot true), whose results are
 * the fold's: res stays empty, so a ballot costs O(choices), whatever the
 * number of organisations. Drafts and deleted polls have no results. */
void poll_fold_write_event(sbuf *pub, sbuf *res, const poll_t *p, bool ballot);

/* A poll with no ballot from the public poll object of one of its events
 * (poll_write_public's JSON text). *out is the caller's (poll_free). */
poll_err poll_fold_start(const char *public_json, poll_t **out, const char **why);

/* A later step of the poll (its public object): the state and results
 * visibility move; the definition is fixed once out of draft, and a draft
 * has no ballot, so a draft's step starts the fold again. */
poll_err poll_fold_step(poll_t *p, const char *public_json, const char **why);

/* One ballot event: `prior` and `data` are the records before and after (""
 * or NULL: none); org names the organisation on an organisations poll (its
 * records are filed under its name). Nothing changes on error. */
poll_err poll_fold_ballot(poll_t *p, const char *org, const char *prior, const char *data, const char **why);

#endif
