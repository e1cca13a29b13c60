/* hist_fold.h -- poll results along a workshop's history (protocol/
 * history.md, "Ballots in the record"): the events of each poll, read in
 * stream order from the stream's start, folded into its results
 * (poll_fold.h), so that every poll event is served with the results after
 * it although a folded ballot event stores only the ballot.
 *
 * The fold is the record: once a poll is folded, its steps (closing,
 * reopening...) are served with the fold's results too, so every reader
 * (history pages, /state, the exports) sees the results of the ballots
 * Redis took, in the order it took them, whatever process wrote them.
 * Polls stored before (their ballot events carry results) and text polls
 * are served with the results they stored, as before.
 *
 * Pure; the shell hands the events in. Bounded by the polls of a workshop
 * (POLL_PER_WORKSHOP alive at once). */
#ifndef ATELIER_HIST_FOLD_H
#define ATELIER_HIST_FOLD_H

#include <stdbool.h>
#include <stddef.h>

#include "core/hist.h"
#include "core/poll.h"
#include "core/sbuf.h"

typedef struct hist_fold_poll {
    char id[POLL_ID_MAX + 1];   /* the poll */
    poll_t *p;                  /* its fold (owned); NULL: served as stored (text, stored before, damaged) */
} hist_fold_poll;

typedef struct hist_fold {
    hist_fold_poll *v;          /* the polls seen, not deleted */
    size_t n, cap;              /* used, allocated */
    sbuf results;               /* the results written for the last event: e->results points here */
    size_t folded;              /* ballot events folded so far (what the tests count) */
} hist_fold;

/* Which events get their results written as they are folded in: a reader
 * that serves every event needs them all; one that only needs where each
 * poll ends (/state, the exports) needs them for the steps (the public view
 * shows a poll as its last step left it) and takes the last ones from
 * hist_fold_results; a page's lead-in (the events before it) needs none.
 * Writing results costs O(organisations x choices): never more than asked. */
typedef enum {
    HIST_FOLD_EVERY,            /* every event of a folded poll */
    HIST_FOLD_STEPS,            /* its steps, not its ballots */
    HIST_FOLD_NONE,             /* none: count only */
} hist_fold_want;

void hist_fold_init(hist_fold *f);
void hist_fold_free(hist_fold *f);
/* Fold e in. When its poll is folded and `want` says so, e->results then
 * points at the results after it (valid until the next call); other events
 * are left as they are. */
void hist_fold_add(hist_fold *f, hist_event *e, hist_fold_want want);
/* The results of a folded poll after the events folded so far (valid until
 * the next call), or NULL: not folded, a draft, deleted, never seen. */
const char *hist_fold_results(hist_fold *f, const char *poll_id);

#endif
