/* test_fuzz_smoke.c -- the fuzz targets of tests/fuzz/, replayed without
 * libFuzzer: CI has no time for real fuzzing, but its ASan+UBSan build can
 * afford a few seconds of deterministic mutations of the seed corpus.
 *
 * Each input is copied into a buffer of exactly its size, so a read past the
 * end is an ASan report here as it would be under libFuzzer. */
#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Check records every passing ck_assert; a bare branch keeps 200,000 inputs cheap. */
#define FUZZ_REQUIRE(c)                                                                                                \
    do {                                                                                                               \
        if (!(c)) ck_abort_msg("%s:%d: property violated: %s (input %s)", __FILE__, __LINE__, #c, smoke_current);     \
    } while (0)
#define FUZZ_NO_ENTRY

static char smoke_current[400]; /* which input is running, for the failure message */

#include "check_main.h"
#include "../fuzz/fuzz_http.c"
#include "../fuzz/fuzz_ot.c"
#include "../fuzz/fuzz_proto.c"
#include "../fuzz/fuzz_store.c"
#include "test_prng.h"

#ifndef ATELIER_SOURCE_DIR
#define ATELIER_SOURCE_DIR "."
#endif

#define SMOKE_MAX_INPUT 4096

typedef struct {
    uint8_t *data;
    size_t len;
    char name[256];
} seed;

typedef struct {
    seed *v;
    size_t n;
} seeds;

static int name_cmp(const void *a, const void *b) { return strcmp(((const seed *)a)->name, ((const seed *)b)->name); }

/* Every file of corpus/<dir>, sorted by name: readdir's order is not stable. */
static seeds load_seeds(const char *dir) {
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fuzz/corpus/%s", ATELIER_SOURCE_DIR, dir);
    seeds s = {NULL, 0};
    DIR *d = opendir(path);
    ck_assert_msg(d != NULL, "no corpus at %s", path);
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char file[1300];
        snprintf(file, sizeof file, "%s/%s", path, e->d_name);
        FILE *f = fopen(file, "rb");
        if (!f) continue;
        uint8_t buf[SMOKE_MAX_INPUT];
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        s.v = realloc(s.v, (s.n + 1) * sizeof *s.v);
        seed *x = &s.v[s.n++];
        x->data = malloc(len ? len : 1);
        memcpy(x->data, buf, len);
        x->len = len;
        snprintf(x->name, sizeof x->name, "%s", e->d_name);
    }
    closedir(d);
    qsort(s.v, s.n, sizeof *s.v, name_cmp);
    return s;
}

static void free_seeds(seeds *s) {
    for (size_t i = 0; i < s->n; i++) free(s->v[i].data);
    free(s->v);
}

/* Pieces of JSON and UTF-8 that random bit flips would rarely produce. */
static const char *const fragments[] = {
    "\"type\":\"op\"", "\"type\":\"join\"", "\"type\":\"cursor\"", "\"type\":\"ping\"", "\"id\":", "\"rev\":",
    "\"op\":", "\"sel\":[0,0]", "\"workshop\":\"q3mS0t4rVZ2bJ9m6cQe1xA\"", "\"name\":", "\"organisation\":",
    "\"key\":", "\"resume\":{\"token\":\"t\",\"rev\":0}", "{\"d\":", "{\"d\":1}", "{\"d\":\"", "9007199254740991",
    "9007199254740992", "-1", "1.5", "1e308", "-0", "0", "null", "true", "[]", "{}", "[", "]", "{", "}", ",", ":",
    "\"", "\\\"", "\\\\", "\\u0000", "\\u00e9", "\\ud83d\\ude00", "\\ud800", "\\udc00", "\\n", "é", "😀", "𝄞",
    "\xff", "\xc3", "\xf0\x9f", "\xed\xa0\x80", "\x01", " ", "\"a\"", "\"é😀\"", "3", "12",
};
#define NFRAGMENTS (sizeof fragments / sizeof *fragments)

static const uint8_t interesting[] = {0, 1, '"', '\\', '[', ']', '{', '}', ',', ':', '0', '9', '-', '.', 'e', 'u',
                                      ' ', 0x7f, 0x80, 0xbf, 0xc3, 0xe2, 0xf0, 0xff};

/* One to four mutations of a seed: bit flips, byte edits, inserted and
 * deleted runs, dictionary fragments, and splices from another seed. */
static size_t mutate(prng *r, const seeds *s, const seed *base, uint8_t *out) {
    size_t len = base->len;
    memcpy(out, base->data, len);
    size_t rounds = below(r, 4) ? 1 : 2 + below(r, 3); /* mostly one: most mutants stay close to valid */
    for (size_t k = 0; k < rounds; k++) {
        size_t at = below(r, len + 1);
        switch (below(r, 9)) {
        case 0: /* flip a bit */
            if (len) out[below(r, len)] ^= (uint8_t)(1u << below(r, 8));
            break;
        case 1: /* set a byte */
            if (len) out[below(r, len)] = interesting[below(r, sizeof interesting)];
            break;
        case 2: /* insert a byte */
            if (len < SMOKE_MAX_INPUT) {
                memmove(out + at + 1, out + at, len - at);
                out[at] = (uint8_t)rnd(r);
                len++;
            }
            break;
        case 3: { /* delete a run */
            size_t n = 1 + below(r, 8);
            if (at + n > len) n = len - at;
            memmove(out + at, out + at + n, len - at - n);
            len -= n;
            break;
        }
        case 4: { /* duplicate a run */
            size_t n = 1 + below(r, 16);
            if (at + n > len) n = len - at;
            if (len + n > SMOKE_MAX_INPUT) break;
            memmove(out + at + n, out + at, len - at);
            len += n;
            break;
        }
        case 5:
        case 6: { /* insert, or overwrite with, a fragment */
            const char *f = fragments[below(r, NFRAGMENTS)];
            size_t n = strlen(f);
            if (len + n > SMOKE_MAX_INPUT) break;
            bool overwrite = below(r, 2) && at + n <= len;
            if (!overwrite) {
                memmove(out + at + n, out + at, len - at);
                len += n;
            }
            memcpy(out + at, f, n);
            break;
        }
        case 7: { /* splice: our head, another seed's tail */
            const seed *o = &s->v[below(r, s->n)];
            size_t from = below(r, o->len + 1);
            if (at + (o->len - from) > SMOKE_MAX_INPUT) break;
            memcpy(out + at, o->data + from, o->len - from);
            len = at + (o->len - from);
            break;
        }
        default: /* truncate */
            len = at;
            break;
        }
    }
    return len;
}

/* Inputs that get past the target's first gate (a decoded message, two ops
 * that both apply): a smoke run where few do would prove little. */
static bool proto_decodes(const uint8_t *data, size_t len) {
    proto_msg m;
    const char *why;
    proto_err e = proto_decode((const char *)data, len, &m, &why);
    proto_msg_free(&m);
    return e == PROTO_OK;
}

static bool ot_both_apply(const uint8_t *data, size_t len) {
    ot_text doc;
    ot_op a, b;
    if (!fuzz_read_case(data, len, &doc, &a, &b)) return false;
    bool both = ot_check_fits(&doc, &a) == OT_OK && ot_check_fits(&doc, &b) == OT_OK;
    ot_text_free(&doc);
    ot_op_free(&a);
    ot_op_free(&b);
    return both;
}

/* Run the target on the seeds as they are, then on `count` mutants; returns
 * how many mutants passed `deep`. */
static size_t smoke(const char *dir, int (*target)(const uint8_t *, size_t), bool (*deep)(const uint8_t *, size_t),
                    uint64_t seed_value, size_t count) {
    seeds s = load_seeds(dir);
    ck_assert_uint_ge(s.n, 8);
    uint8_t scratch[SMOKE_MAX_INPUT];
    size_t passed = 0;
    for (size_t i = 0; i < s.n; i++) {
        snprintf(smoke_current, sizeof smoke_current, "seed %s", s.v[i].name);
        uint8_t *exact = malloc(s.v[i].len ? s.v[i].len : 1);
        memcpy(exact, s.v[i].data, s.v[i].len);
        target(exact, s.v[i].len);
        free(exact);
    }
    prng r = {seed_value};
    for (size_t i = 0; i < count; i++) {
        const seed *base = &s.v[below(&r, s.n)];
        size_t len = mutate(&r, &s, base, scratch);
        snprintf(smoke_current, sizeof smoke_current, "mutant %zu of %s (seed 0x%llx)", i, base->name,
                 (unsigned long long)seed_value);
        uint8_t *exact = malloc(len ? len : 1);
        memcpy(exact, scratch, len);
        target(exact, len);
        passed += deep(exact, len);
        free(exact);
    }
    free_seeds(&s);
    return passed;
}

START_TEST(test_fuzz_proto_smoke) {
    size_t decoded = smoke("proto", fuzz_proto_one, proto_decodes, 0x70726F746FULL, 100000);
    printf("fuzz smoke: %zu of 100000 codec mutants decoded\n", decoded);
    ck_assert_uint_gt(decoded, 5000);
}
END_TEST

START_TEST(test_fuzz_ot_smoke) {
    size_t both = smoke("ot", fuzz_ot_one, ot_both_apply, 0x6F74ULL, 100000);
    printf("fuzz smoke: %zu of 100000 OT mutants had two ops that apply (TP1 checked)\n", both);
    ck_assert_uint_gt(both, 5000);
}
END_TEST

/* The body of a creation read, or an argument (odd first byte) read. */
static bool http_reads(const uint8_t *data, size_t len) {
    if (len < 1) return false;
    if (data[0] % 2) return false; /* an argument */
    api_create c;
    const char *why;
    bool ok = api_read_create((const char *)data + 1, len - 1, &c, &why) == PROTO_OK;
    api_create_free(&c);
    return ok;
}

/* A poll record that reads (the deepest of the store's decoders). */
static bool store_poll_reads(const uint8_t *data, size_t len) {
    if (len < 2 || data[0] % 7 != 1) return false;
    char *s = strndup((const char *)data + 1, len - 1);
    poll_t *p = NULL;
    const char *why;
    bool ok = s && poll_store_read(s, strlen(s), &p, &why) == POLL_OK;
    poll_free(p);
    free(s);
    return ok;
}

START_TEST(test_fuzz_http_smoke) {
    size_t read = smoke("http", fuzz_http_one, http_reads, 0x68747470ULL, 50000);
    printf("fuzz smoke: %zu of 50000 HTTP mutants were a creation's body that reads\n", read);
    ck_assert_uint_gt(read, 500);
}
END_TEST

START_TEST(test_fuzz_store_smoke) {
    size_t read = smoke("store", fuzz_store_one, store_poll_reads, 0x73746F7265ULL, 50000);
    printf("fuzz smoke: %zu of 50000 stored-record mutants were a poll record that reads\n", read);
    ck_assert_uint_gt(read, 100);
}
END_TEST

/* The seeds that should exercise the deep checks really do: a decoded op,
 * and a case where both ops apply (so TP1 runs). */
START_TEST(test_fuzz_seeds_reach_deep_checks) {
    const char *op = "{\"type\":\"op\",\"id\":\"c7-12\",\"rev\":41,\"op\":[12,\"partenaires \",{\"d\":3}]}";
    proto_msg m;
    const char *why;
    ck_assert_int_eq(proto_decode(op, strlen(op), &m, &why), PROTO_OK);
    proto_msg_free(&m);
    ot_text doc;
    ot_op a, b;
    const char *tp1 = "[\"Quoi ?\",[4,{\"d\":1},\"!\"],[6,\"?\"]]";
    ck_assert(fuzz_read_case((const uint8_t *)tp1, strlen(tp1), &doc, &a, &b));
    ck_assert_int_eq(ot_check_fits(&doc, &a), OT_OK);
    ck_assert_int_eq(ot_check_fits(&doc, &b), OT_OK);
    ot_text_free(&doc);
    ot_op_free(&a);
    ot_op_free(&b);
    const uint8_t raw[] = {0x03, 0x00, 0x01, 0x02, 0x02, 0x04, 0x01, 0x01, 0x05, 0x01, 0x00};
    ck_assert(fuzz_read_case(raw, sizeof raw, &doc, &a, &b));
    ck_assert_uint_eq(doc.cps, 3);
    ot_text_free(&doc);
    ot_op_free(&a);
    ot_op_free(&b);
}
END_TEST

static Suite *smoke_suite(void) {
    Suite *s = suite_create("fuzz_smoke");
    TCase *tc = tcase_create("smoke");
    tcase_set_timeout(tc, 240); /* a few seconds natively; sanitizers and valgrind are slower */
    tcase_add_test(tc, test_fuzz_seeds_reach_deep_checks);
    tcase_add_test(tc, test_fuzz_proto_smoke);
    tcase_add_test(tc, test_fuzz_ot_smoke);
    tcase_add_test(tc, test_fuzz_http_smoke);
    tcase_add_test(tc, test_fuzz_store_smoke);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(smoke_suite)
