/* test_prng.h -- the unit tests' deterministic generator (splitmix64):
 * tests must not depend on time or global state, and a failing seed must
 * fail the same way every time. */
#ifndef ATELIER_TEST_PRNG_H
#define ATELIER_TEST_PRNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t s;
} prng;

static inline uint64_t rnd(prng *r) {
    uint64_t z = (r->s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* Uniform enough in [0, n) for tests; 0 when n is 0. */
static inline size_t below(prng *r, size_t n) { return n ? (size_t)(rnd(r) % n) : 0; }

#endif
