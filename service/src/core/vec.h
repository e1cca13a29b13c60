/* vec.h -- room for one more element in a growable array. */
#ifndef ATELIER_VEC_H
#define ATELIER_VEC_H

#include <stdbool.h>
#include <stdlib.h>

/* Make room for element n of *v (elements of `size` bytes, *cap allocated),
 * doubling. False, with *v untouched, when out of memory. */
static inline bool vec_reserve(void **v, size_t *cap, size_t n, size_t size) {
    if (n < *cap) return true;
    size_t c = *cap ? *cap * 2 : 8;
    void *p = realloc(*v, c * size);
    if (!p) return false;
    *v = p;
    *cap = c;
    return true;
}

#endif
