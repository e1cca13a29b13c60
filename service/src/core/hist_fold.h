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

void hist_fold_init(hist_fold *f);
void hist_fold_free(hist_fold *f);
/* Fold e in. When its poll is folded, e->results then points at the results
 * after it (valid until the next call); other events are left as they are. */
void hist_fold_add(hist_fold *f, hist_event *e);

#endif
