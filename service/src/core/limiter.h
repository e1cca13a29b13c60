/* limiter.h -- token buckets by key (a client's address): so many requests a
 * minute each, with a burst. Join code lookups use it (protocol/README.md,
 * "GET /api/join/CODE"), so codes cannot be enumerated.
 *
 * Pure: times are handed in. The table has a fixed size, allocated once: a
 * flood of new addresses cannot make it grow. A key lives in a short window
 * of slots from its hash; a key whose bucket has filled up again is the same
 * as a key never seen, so its slot goes to the next newcomer. When every slot
 * of a newcomer's window is busy, the newcomer is refused like a client over
 * its limit (told when a slot frees up). */
#ifndef ATELIER_LIMITER_H
#define ATELIER_LIMITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LIMITER_KEY_MAX 64      /* bytes of a key, with its NUL */
#define LIMITER_WINDOW 16       /* slots a key may live in, from its hash */

typedef struct limiter_slot {
    char key[LIMITER_KEY_MAX];  /* "" when never used */
    double tokens;              /* at at_us */
    int64_t at_us;
} limiter_slot;

typedef struct limiter {
    limiter_slot *slots;
    size_t cap;                 /* a power of two */
    double per_us;              /* tokens added per microsecond */
    double burst;               /* most tokens a bucket holds */
} limiter;

/* A table of about `keys` slots (rounded up to a power of two) for
 * per_minute requests a minute and bursts of `burst`. False when out of memory. */
bool limiter_init(limiter *l, size_t keys, double per_minute, double burst);
void limiter_free(limiter *l);
/* One request of key at now_us: true when allowed. Otherwise *retry_s is the
 * whole seconds (at least 1) after which one would be. Keys longer than
 * LIMITER_KEY_MAX - 1 bytes are cut (an address is shorter). */
bool limiter_take(limiter *l, const char *key, int64_t now_us, int *retry_s);

#endif
