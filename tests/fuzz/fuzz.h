/* fuzz.h -- shared by the fuzz targets and by tests/unit/test_fuzz_smoke.c,
 * which includes the targets' .c files to replay them in CI without libFuzzer.
 *
 * A violated property must stop the run where it happened: libFuzzer saves
 * the input on abort(); the smoke test redefines FUZZ_REQUIRE to fail its
 * Check test instead (defining FUZZ_NO_ENTRY to drop LLVMFuzzerTestOneInput). */
#ifndef ATELIER_FUZZ_H
#define ATELIER_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ot.h"

#ifndef FUZZ_REQUIRE
#define FUZZ_REQUIRE(c)                                                                                                \
    do {                                                                                                               \
        if (!(c)) {                                                                                                    \
            fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #c);                                 \
            abort();                                                                                                   \
        }                                                                                                              \
    } while (0)
#endif

int fuzz_proto_one(const uint8_t *data, size_t size);
int fuzz_ot_one(const uint8_t *data, size_t size);
int fuzz_store_one(const uint8_t *data, size_t size);
int fuzz_http_one(const uint8_t *data, size_t size);

static inline bool fuzz_ops_equal(const ot_op *a, const ot_op *b) {
    if (a->n != b->n) return false;
    for (size_t i = 0; i < a->n; i++) {
        const ot_comp *x = &a->c[i], *y = &b->c[i];
        if (x->kind != y->kind || x->n != y->n || (x->s == NULL) != (y->s == NULL)) return false;
        if (x->s && (x->len != y->len || memcmp(x->s, y->s, x->len) != 0)) return false;
    }
    return true;
}

static inline bool fuzz_texts_equal(const ot_text *a, const ot_text *b) {
    return a->len == b->len && a->cps == b->cps && memcmp(a->buf, b->buf, a->len) == 0;
}

#endif
