/* test_hist_event.h -- a stored history event for the unit tests, from a
 * NULL-terminated list of alternating field names and values, as Redis
 * hands a stream entry in (core/hist.h). */
#ifndef ATELIER_TEST_HIST_EVENT_H
#define ATELIER_TEST_HIST_EVENT_H

#include <check.h>

#include "core/hist.h"

static inline hist_event ev(const char *id, const char *const *kv) {
    size_t n = 0;
    while (kv[n]) n++;
    hist_event e;
    ck_assert(hist_event_from_fields(&e, id, kv, n));
    return e;
}

#endif
