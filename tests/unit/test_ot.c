/* test_ot.c -- the C OT against ot-text-unicode 4.0.0.
 *
 * Three layers: unit tests of each function and its error paths; every case
 * of protocol/vectors/ot-text-unicode.json (the JS library's own answers); and
 * seeded property tests (TP1, compose, a simulated server with lagging
 * clients, JSON round trips). */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check_main.h"
#include "core/ot.h"
#include "core/ot_json.h"
#include "core/utf8.h"
#include "test_prng.h"

#define VECTORS ATELIER_SOURCE_DIR "/protocol/vectors/ot-text-unicode.json"

/* ck_assert reports every passing check to the parent process (a write per
 * check): loops use these, which cost nothing until they fail. */
#define EXPECT(c) \
    do { \
        if (!(c)) ck_abort_msg("line %d: %s", __LINE__, #c); \
    } while (0)
#define EXPECTF(c, ...) \
    do { \
        if (!(c)) ck_abort_msg(__VA_ARGS__); \
    } while (0)
#define OK(expr) \
    do { \
        ot_status st_ = (expr); \
        if (st_ != OT_OK) ck_abort_msg("line %d: %s: %s", __LINE__, #expr, ot_strerror(st_)); \
    } while (0)

/* ---- deterministic randomness --------------------------------------------- */

static bool chance(prng *r, unsigned pct) { return below(r, 100) < pct; }
static size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }

/* ---- helpers ------------------------------------------------------------------ */

typedef struct {
    char *p;
    size_t len, cap;
} dstr;

static void ds_put(dstr *d, const char *s, size_t n) {
    if (d->len + n + 1 > d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        while (cap < d->len + n + 1) cap *= 2;
        d->p = realloc(d->p, cap);
        EXPECT(d->p);
        d->cap = cap;
    }
    memcpy(d->p + d->len, s, n);
    d->len += n;
    d->p[d->len] = '\0';
}

static void ds_puts(dstr *d, const char *s) { ds_put(d, s, strlen(s)); }

static void op_of(ot_op *op, const char *json) {
    ot_op_init(op);
    ot_status st = ot_op_parse(json, strlen(json), op);
    EXPECTF(st == OT_OK, "cannot parse %s: %s", json, ot_strerror(st));
}

/* The op as JSON, for messages and comparisons (caller frees). */
static char *op_json(const ot_op *op) {
    size_t n = ot_op_json_size(op);
    char *s = malloc(n + 1);
    EXPECT(s);
    char *end = ot_op_write_json(op, s);
    EXPECT((size_t)(end - s) == n);
    *end = '\0';
    return s;
}

static bool op_eq(const ot_op *a, const ot_op *b) {
    if (a->n != b->n) return false;
    for (size_t i = 0; i < a->n; i++) {
        const ot_comp *x = &a->c[i], *y = &b->c[i];
        if (x->kind != y->kind || x->n != y->n || !x->s != !y->s) return false;
        if (x->s && (x->len != y->len || memcmp(x->s, y->s, x->len) != 0)) return false;
    }
    return true;
}

static void expect_op(const ot_op *got, const char *want) {
    ot_op w;
    op_of(&w, want);
    if (!op_eq(got, &w)) {
        char *g = op_json(got);
        ck_abort_msg("got %s, want %s", g, want);
    }
    ot_op_free(&w);
}

static bool text_is(const ot_text *t, const char *s, size_t len) {
    return t->len == len && memcmp(t->buf, s, len) == 0 && t->buf[len] == '\0' && t->cps == utf8_count(s, len);
}

static void text_of(ot_text *t, const char *s) { OK(ot_text_init(t, s, strlen(s))); }

/* Apply the slow, obvious way: an independent check of the in-place apply.
 * Returns NULL when the op does not fit. */
static char *ref_apply(const char *doc, size_t len, const ot_op *op, size_t *outlen) {
    dstr d = {0};
    ds_put(&d, "", 0);
    size_t cps = utf8_count(doc, len), pos = 0;
    for (size_t i = 0; i < op->n; i++) {
        const ot_comp *c = &op->c[i];
        if (c->kind == OT_INSERT) {
            ds_put(&d, c->s, c->len);
            continue;
        }
        if (c->n > cps - pos) {
            free(d.p);
            return NULL;
        }
        size_t a = utf8_offset(doc, len, 0, 0, pos), b = utf8_offset(doc, len, 0, 0, pos + c->n);
        if (c->kind == OT_SKIP) ds_put(&d, doc + a, b - a);
        else if (c->s && (c->len != b - a || memcmp(c->s, doc + a, b - a) != 0)) {
            free(d.p);
            return NULL;
        }
        pos += c->n;
    }
    size_t a = utf8_offset(doc, len, 0, 0, pos);
    ds_put(&d, doc + a, len - a);
    *outlen = d.len;
    return d.p;
}

/* Random text: the mix of a French workshop (accents, typographic quotes and
 * apostrophes), emoji outside the BMP, newlines, and what JSON must escape. */
static const char *token(prng *r) {
    static const char *const ascii[] = {"Quoi", "Pourquoi", "Comment", "ville", "banque", "a", "b", "x", "42",
                                        " ", " ", " ", "?", "!", ",", ".", "\"", "\\", "\t", "\x01", "\x1f"};
    static const char *const french[] = {"é", "à", "ç", "œ", "«", "»", "’", "été", "cœur", "l’équipe", "où",
                                         "Élan", "« citation »", "naïve"};
    static const char *const emoji[] = {"👩‍👩‍👧", "🎉", "😀"};
    size_t k = below(r, 100);
    if (k < 45) return ascii[below(r, sizeof ascii / sizeof *ascii)];
    if (k < 72) return french[below(r, sizeof french / sizeof *french)];
    if (k < 88) return emoji[below(r, sizeof emoji / sizeof *emoji)];
    return k < 96 ? "\n" : "\n\n";
}

static void rand_text(prng *r, dstr *d, size_t max_tokens) {
    size_t n = 1 + below(r, max_tokens);
    for (size_t i = 0; i < n; i++) ds_puts(d, token(r));
}

static void rand_doc(prng *r, ot_text *t) {
    dstr d = {0};
    ds_put(&d, "", 0);
    size_t k = below(r, 100);
    if (k >= 8) rand_text(r, &d, k < 50 ? 4 : 16);
    OK(ot_text_init(t, d.p, d.len));
    free(d.p);
}

/* A random strictly valid op that fits t. */
static void rand_op(prng *r, const ot_text *t, ot_op *op) {
    ot_op_free(op);
    size_t pos = 0, b = 0; /* code point and byte where the op is */
    size_t edits = chance(r, 10) ? 0 : 1 + below(r, chance(r, 30) ? 5 : 2);
    for (size_t k = 0; k < edits; k++) {
        size_t room = t->cps - pos;
        if (room) {
            size_t skip = below(r, min_sz(room, chance(r, 20) ? room : 8) + 1);
            OK(ot_op_push(op, OT_SKIP, skip, NULL, 0));
            b = utf8_offset(t->buf, t->len, pos, b, pos + skip);
            pos += skip;
        }
        size_t what = below(r, 100);
        for (int part = 0; part < 2; part++) {
            bool del = (what < 40 && part == 0) || (what >= 75 && what < 88 && part == 0) || (what >= 88 && part == 1);
            bool ins = (what >= 40 && what < 75 && part == 0) || (what >= 75 && what < 88 && part == 1) ||
                       (what >= 88 && part == 0);
            if (del && t->cps > pos) {
                size_t n = 1 + below(r, min_sz(t->cps - pos, chance(r, 20) ? t->cps - pos : 6));
                size_t e = utf8_offset(t->buf, t->len, pos, b, pos + n);
                OK(ot_op_push(op, OT_DELETE, n, chance(r, 50) ? t->buf + b : NULL, e - b));
                pos += n;
                b = e;
            } else if (ins) {
                dstr d = {0};
                rand_text(r, &d, chance(r, 70) ? 1 : 3);
                OK(ot_op_push(op, OT_INSERT, utf8_count(d.p, d.len), d.p, d.len));
                free(d.p);
            }
        }
    }
    ot_op_normalize(op);
    OK(ot_op_check(op));
    OK(ot_check_fits(t, op));
}

/* ---- unit tests: ops ------------------------------------------------------------ */

START_TEST(push_merges_like_the_library) {
    ot_op op;
    ot_op_init(&op);
    OK(ot_op_push(&op, OT_SKIP, 2, NULL, 0));
    OK(ot_op_push(&op, OT_SKIP, 3, "ignored", 7));
    OK(ot_op_push(&op, OT_SKIP, 0, NULL, 0)); /* empty components vanish */
    OK(ot_op_push(&op, OT_INSERT, 1, "a", 1));
    OK(ot_op_push(&op, OT_INSERT, 0, "", 0));
    OK(ot_op_push(&op, OT_INSERT, 1, "é", 2));
    OK(ot_op_push(&op, OT_DELETE, 2, "bc", 2));
    OK(ot_op_push(&op, OT_DELETE, 1, "😀", 4)); /* text + text: kept */
    ck_assert_uint_eq(op.n, 3);
    ck_assert_uint_eq(op.c[0].n, 5);
    ck_assert_ptr_null(op.c[0].s);
    ck_assert_uint_eq(op.c[1].n, 2);
    ck_assert_str_eq(op.c[1].s, "aé"); /* NUL-terminated */
    ck_assert_uint_eq(op.c[2].n, 3);
    ck_assert_str_eq(op.c[2].s, "bc😀");
    OK(ot_op_push(&op, OT_DELETE, 2, NULL, 0)); /* text + count: a count */
    ck_assert_uint_eq(op.c[2].n, 5);
    ck_assert_ptr_null(op.c[2].s);
    OK(ot_op_push(&op, OT_DELETE, 1, "x", 1)); /* count + text: still a count */
    ck_assert_uint_eq(op.c[2].n, 6);
    ck_assert_ptr_null(op.c[2].s);
    ck_assert_int_eq(ot_op_push(&op, (ot_kind)0, 1, NULL, 0), OT_EINVALID);
    ck_assert_int_eq(ot_op_push(&op, (ot_kind)9, 1, NULL, 0), OT_EINVALID);
    ck_assert_int_eq(ot_op_push(&op, OT_INSERT, 1, NULL, 0), OT_EINVALID);
    expect_op(&op, "[5,\"aé\",{\"d\":6}]");
    ot_op_free(&op);
    ot_op_free(&op); /* idempotent */
    ck_assert_uint_eq(op.n, 0);
}
END_TEST

START_TEST(copy_is_deep) {
    ot_op a, b, c;
    op_of(&a, "[1,\"xy\",{\"d\":\"é\"},2,{\"d\":3}]");
    ot_op_init(&b);
    OK(ot_op_copy(&b, &a));
    ck_assert(op_eq(&a, &b));
    ck_assert_ptr_ne(a.c[1].s, b.c[1].s);
    b.c[1].s[0] = 'z';
    expect_op(&a, "[1,\"xy\",{\"d\":\"é\"},2,{\"d\":3}]");
    op_of(&c, "[\"old\"]");
    OK(ot_op_copy(&c, &a)); /* the old content is released (valgrind checks) */
    ck_assert(op_eq(&a, &c));
    OK(ot_op_copy(&c, &c)); /* aliasing is allowed */
    ck_assert(op_eq(&a, &c));
    ot_op empty = {0};
    OK(ot_op_copy(&c, &empty));
    ck_assert_uint_eq(c.n, 0);
    ot_op_free(&a);
    ot_op_free(&b);
    ot_op_free(&c);
}
END_TEST

START_TEST(pack_is_one_block_read_only) {
    ot_op a, b;
    op_of(&a, "[1,\"xy\",{\"d\":\"é\"},2,{\"d\":3}]");
    op_of(&b, "[1,\"xy\",{\"d\":\"é\"},2,{\"d\":3}]");
    size_t bytes = ot_op_bytes(&a);
    ck_assert_uint_eq(bytes, 5 * sizeof(ot_comp) + 3 + 3);
    char *tail = NULL;
    OK(ot_op_pack(&a, 4, &tail));
    ck_assert(a.packed);
    ck_assert(op_eq(&a, &b));
    ck_assert_ptr_eq(tail, (char *)a.c + bytes); /* the caller's bytes follow the strings */
    memcpy(tail, "tail", 4);
    ck_assert_int_eq(ot_op_push(&a, OT_INSERT, 1, "z", 1), OT_EINVALID);
    ck_assert_int_eq(ot_transform_checked(&a, &b, OT_LEFT), OT_EINVALID);
    ck_assert_uint_eq(a.n, 0); /* left empty, as on any error */
    op_of(&a, "[1,\"xy\",{\"d\":\"é\"},2,{\"d\":3}]");
    OK(ot_op_pack(&a, 0, NULL));
    ot_op c; /* a packed op reads like any other */
    ot_op_init(&c);
    OK(ot_transform(&c, &b, &a, OT_LEFT));
    OK(ot_op_copy(&c, &a));
    ck_assert(!c.packed && op_eq(&c, &b));
    ot_op_free(&a); /* one block (valgrind checks) */
    ot_op_free(&b);
    ot_op_free(&c);
}
END_TEST

START_TEST(applied_len_is_exact) {
    ot_text t;
    OK(ot_text_init(&t, "aé🤝bc", strlen("aé🤝bc")));
    ot_op op;
    op_of(&op, "[1,{\"d\":2},\"xyz\",1,{\"d\":\"c\"}]");
    size_t len = 0;
    OK(ot_applied_len(&t, &op, &len));
    OK(ot_apply(&t, &op));
    ck_assert_uint_eq(len, t.len);
    ot_op_free(&op);
    op_of(&op, "[9,\"x\"]");
    ck_assert_int_eq(ot_applied_len(&t, &op, &len), OT_ERANGE);
    ot_op_free(&op);
    ot_text_free(&t);
}
END_TEST

START_TEST(check_is_strict) {
    ot_op op;
    ot_op_init(&op);
    OK(ot_op_check(&op)); /* the empty op is a valid no-op */
    ot_comp c[3];
    char ins[] = "é!", bad[] = "\xc3(", del[] = "ab";
    op.c = c;
    op.cap = 3;
#define SET(i, k, nn, ss, ll) (c[i] = (ot_comp){(k), (nn), (ss), (ll)})
    SET(0, OT_SKIP, 1, NULL, 0), SET(1, OT_INSERT, 2, ins, 3), SET(2, OT_DELETE, 2, del, 2), op.n = 3;
    OK(ot_op_check(&op));
    c[2].s = NULL;
    OK(ot_op_check(&op)); /* {d:2} */
    c[0].n = 0;
    ck_assert_int_eq(ot_op_check(&op), OT_EINVALID); /* empty skip */
    c[0].n = 1;
    c[1].n = 3;
    ck_assert_int_eq(ot_op_check(&op), OT_EINVALID); /* n is not the code point count */
    c[1].n = 2;
    c[1].len = 0;
    ck_assert_int_eq(ot_op_check(&op), OT_EINVALID); /* empty insert */
    c[1].len = 3;
    c[1].s = NULL;
    ck_assert_int_eq(ot_op_check(&op), OT_EINVALID); /* insert without text */
    SET(1, OT_INSERT, 2, bad, 2);
    ck_assert_int_eq(ot_op_check(&op), OT_EINVALID); /* invalid UTF-8 */
    SET(1, OT_INSERT, 2, ins, 3);
    SET(2, OT_DELETE, 3, del, 2);
    ck_assert_int_eq(ot_op_check(&op), OT_EINVALID); /* {d:"text"} with the wrong count */
    SET(2, OT_DELETE, 1, "\xed\xa0\x80", 3);
    ck_assert_int_eq(ot_op_check(&op), OT_EINVALID); /* a surrogate */
    SET(2, OT_INSERT, 1, del, 1);
    ck_assert_int_eq(ot_op_check(&op), OT_EINVALID); /* adjacent inserts */
    SET(2, OT_SKIP, 1, NULL, 0);
    ck_assert_int_eq(ot_op_check(&op), OT_EINVALID); /* trailing skip */
    SET(2, (ot_kind)7, 1, NULL, 0);
    ck_assert_int_eq(ot_op_check(&op), OT_EINVALID); /* unknown kind */
    SET(0, OT_SKIP, 1, del, 1), op.n = 2;
    ck_assert_int_eq(ot_op_check(&op), OT_EINVALID); /* a skip with text */
    SET(0, OT_DELETE, 1, NULL, 0), SET(1, OT_DELETE, 1, NULL, 0);
    ck_assert_int_eq(ot_op_check(&op), OT_EINVALID); /* adjacent deletes */
    op.c = NULL;
    ck_assert_int_eq(ot_op_check(&op), OT_EINVALID);
#undef SET
}
END_TEST

/* Build an op component by component, without push's merging. */
static void raw_push(ot_op *op, ot_kind k, size_t n, const char *s) {
    op->c = realloc(op->c, (op->n + 1) * sizeof *op->c);
    EXPECT(op->c);
    op->cap = op->n + 1;
    char *d = s ? strdup(s) : NULL;
    op->c[op->n++] = (ot_comp){k, n, d, s ? strlen(s) : 0};
}

START_TEST(normalize_cases) {
    ot_op op;
    ot_op_init(&op);
    raw_push(&op, OT_SKIP, 0, NULL);
    raw_push(&op, OT_INSERT, 1, "a");
    raw_push(&op, OT_INSERT, 0, "");
    raw_push(&op, OT_INSERT, 1, "é");
    raw_push(&op, OT_SKIP, 2, NULL);
    raw_push(&op, OT_DELETE, 0, "");
    raw_push(&op, OT_SKIP, 3, NULL);
    raw_push(&op, OT_DELETE, 1, "x");
    raw_push(&op, OT_DELETE, 1, "y");
    raw_push(&op, OT_DELETE, 2, NULL);
    raw_push(&op, OT_SKIP, 4, NULL);
    raw_push(&op, OT_DELETE, 0, NULL);
    raw_push(&op, OT_SKIP, 1, NULL);
    ot_op_normalize(&op);
    expect_op(&op, "[\"aé\",5,{\"d\":4}]");
    OK(ot_op_check(&op));
    ot_op_free(&op);
    raw_push(&op, OT_SKIP, 3, NULL);
    ot_op_normalize(&op);
    ck_assert_uint_eq(op.n, 0);
    ot_op_normalize(&op);
    ck_assert_uint_eq(op.n, 0);
    ot_op_free(&op);
}
END_TEST

START_TEST(input_len) {
    ot_op op;
    op_of(&op, "[3,\"abc\",{\"d\":2},1,{\"d\":\"😀\"}]");
    ck_assert_uint_eq(ot_op_input_len(&op), 7);
    ot_op_free(&op);
    ot_op_init(&op);
    ck_assert_uint_eq(ot_op_input_len(&op), 0);
}
END_TEST

/* ---- unit tests: texts and apply --------------------------------------------------- */

START_TEST(text_init_and_copy) {
    ot_text t, u;
    OK(ot_text_init(&t, NULL, 0));
    ck_assert(text_is(&t, "", 0));
    ot_text_free(&t);
    ck_assert_int_eq(ot_text_init(&t, "a\xc3", 2), OT_EINVALID);
    ck_assert_ptr_null(t.buf);
    ot_text_free(&t); /* safe on a failed init */
    ck_assert_int_eq(ot_text_init(&t, "\xed\xa0\x80", 3), OT_EINVALID);
    text_of(&t, "été 🎉");
    ck_assert_uint_eq(t.cps, 5);
    ck_assert_uint_eq(t.len, strlen("été 🎉"));
    text_of(&u, "a much longer text than the other one, to be replaced");
    OK(ot_text_copy(&u, &t)); /* buffer reused */
    ck_assert(text_is(&u, "été 🎉", strlen("été 🎉")));
    ot_text z = {0};
    OK(ot_text_copy(&z, &t)); /* zeroed destination */
    ck_assert(text_is(&z, "été 🎉", strlen("été 🎉")));
    OK(ot_text_copy(&z, &z));
    ot_text_free(&z);
    ot_text_free(&z);
    ot_text_free(&u);
    ot_text_free(&t);
}
END_TEST

/* Every hint of t gives the true byte offset of its code point. */
static bool hints_hold(const ot_text *t) {
    if (t->nhints > OT_HINTS) return false;
    for (size_t i = 0; i < t->nhints; i++)
        if (t->hints[i].cp > t->cps || utf8_offset(t->buf, t->len, 0, 0, t->hints[i].cp) != t->hints[i].byte)
            return false;
    return true;
}

/* t has a hint at code point cp, at byte offset byte. */
static bool has_hint(const ot_text *t, size_t cp, size_t byte) {
    for (size_t i = 0; i < t->nhints; i++)
        if (t->hints[i].cp == cp && t->hints[i].byte == byte) return true;
    return false;
}

static void expect_apply(const char *doc, const char *opjson, const char *want) {
    ot_text t;
    ot_op op;
    text_of(&t, doc);
    op_of(&op, opjson);
    OK(ot_check_fits(&t, &op));
    OK(ot_apply(&t, &op));
    EXPECTF(text_is(&t, want, strlen(want)), "%s on \"%s\": got \"%s\", want \"%s\"", opjson, doc, t.buf, want);
    EXPECT(hints_hold(&t));
    ot_op_free(&op);
    ot_text_free(&t);
}

static void expect_refused(const char *doc, const char *opjson, ot_status want) {
    ot_text t;
    ot_op op;
    text_of(&t, doc);
    op_of(&op, opjson);
    ck_assert_int_eq(ot_check_fits(&t, &op), want);
    ck_assert_int_eq(ot_apply(&t, &op), want);
    ck_assert(text_is(&t, doc, strlen(doc))); /* unchanged */
    ot_op_free(&op);
    ot_text_free(&t);
}

START_TEST(apply_cases) {
    expect_apply("Quoi ?", "[4,{\"d\":1},\"!\"]", "Quoi!?");
    expect_apply("", "[]", "");
    expect_apply("", "[\"Bonjour 🎉\"]", "Bonjour 🎉");
    expect_apply("abc", "[\"X\"]", "Xabc");
    expect_apply("abc", "[3,\"X\"]", "abcX");
    expect_apply("abc", "[{\"d\":3}]", "");
    expect_apply("abc", "[{\"d\":\"abc\"},\"é\"]", "é");
    expect_apply("abc", "[\"é\",{\"d\":\"abc\"}]", "é");
    expect_apply("é😀ç", "[1,{\"d\":\"😀\"},1,\"🎉\"]", "éç🎉");
    expect_apply("👩‍👩‍👧", "[2,{\"d\":1}]", "👩‍‍👧");
    expect_apply("abcdef", "[1,\"XYZ\",1,{\"d\":1},1,\"WW\",{\"d\":1}]", "aXYZbdWWf");
    expect_apply("aaaaaaaaaa", "[1,{\"d\":3},1,\"0123456789\",1,{\"d\":2},1,\"é\"]", "aa0123456789aaéa");
    expect_refused("abc", "[4,\"x\"]", OT_ERANGE);
    expect_refused("abc", "[1,{\"d\":3}]", OT_ERANGE);
    expect_refused("", "[{\"d\":1}]", OT_ERANGE);
    expect_refused("abc", "[1,{\"d\":\"c\"}]", OT_EMISMATCH);
    expect_refused("abc", "[1,{\"d\":\"bcd\"}]", OT_ERANGE);
    expect_refused("a😀", "[1,{\"d\":\"🎉\"}]", OT_EMISMATCH);
    expect_refused("abc", "[\"x\",2,{\"d\":\"b\"}]", OT_EMISMATCH); /* nothing applied before the error */
}
END_TEST

START_TEST(apply_refuses_invalid_ops) {
    ot_text t;
    text_of(&t, "abc");
    ot_op op;
    ot_op_init(&op);
    raw_push(&op, OT_INSERT, 1, "a");
    raw_push(&op, OT_INSERT, 1, "b");
    ck_assert_int_eq(ot_check_fits(&t, &op), OT_EINVALID);
    ck_assert_int_eq(ot_apply(&t, &op), OT_EINVALID);
    ot_op_free(&op);
    raw_push(&op, OT_SKIP, 1, NULL);
    ck_assert_int_eq(ot_apply(&t, &op), OT_EINVALID);
    ck_assert(text_is(&t, "abc", 3));
    ot_op_free(&op);
    ot_text_free(&t);
    ot_text z = {0}; /* a zeroed text is an empty document */
    op_of(&op, "[\"x\"]");
    OK(ot_apply(&z, &op));
    ck_assert(text_is(&z, "x", 1));
    ot_op_free(&op);
    ot_text_free(&z);
}
END_TEST

/* After an edit, the cached position sits just after it. */
START_TEST(apply_keeps_the_hint) {
    ot_text t;
    ot_op op;
    text_of(&t, "é😀abc\nxyz");
    op_of(&op, "[2,\"«\",1,{\"d\":1}]");
    OK(ot_apply(&t, &op));
    ck_assert(text_is(&t, "é😀«ac\nxyz", strlen("é😀«ac\nxyz")));
    ck_assert(has_hint(&t, 4, strlen("é😀«a")));
    ck_assert(hints_hold(&t));
    ot_op_free(&op);
    /* a stale hint from outside is harmless, and dropped */
    t.hints[0] = (ot_hint){1000, 3};
    op_of(&op, "[8,\"!\"]");
    OK(ot_apply(&t, &op));
    ck_assert(text_is(&t, "é😀«ac\nxy!z", strlen("é😀«ac\nxy!z")));
    ck_assert(hints_hold(&t));
    ot_op_free(&op);
    ot_text_free(&t);
}
END_TEST

/* Many-component ops moving text both ways, against the obvious apply. */
START_TEST(apply_matches_reference) {
    prng r = {1};
    static const char *const pieces[] = {"a", "é", "😀", "\n", "œ", "👩‍👩‍👧", "xyz"};
    for (int it = 0; it < 20000; it++) {
        dstr d = {0};
        ds_put(&d, "", 0);
        size_t want = below(&r, 40);
        for (size_t k = 0; k < want; k++) ds_puts(&d, pieces[below(&r, 7)]);
        ot_text t;
        OK(ot_text_init(&t, d.p, d.len));
        if (t.cps && chance(&r, 50)) { /* start from some cached position */
            for (size_t k = 0; k < 3; k++) {
                size_t cp = below(&r, t.cps + 1);
                t.hints[t.nhints++] = (ot_hint){cp, utf8_offset(t.buf, t.len, 0, 0, cp)};
            }
        }
        ot_op op;
        ot_op_init(&op);
        size_t pos = 0;
        while (pos < t.cps && chance(&r, 85)) {
            size_t n = 1 + below(&r, min_sz(t.cps - pos, 5));
            size_t k = below(&r, 3);
            if (k == 0) {
                OK(ot_op_push(&op, OT_SKIP, n, NULL, 0));
            } else if (k == 1) {
                size_t a = utf8_offset(t.buf, t.len, 0, 0, pos), b = utf8_offset(t.buf, t.len, 0, 0, pos + n);
                OK(ot_op_push(&op, OT_DELETE, n, chance(&r, 50) ? t.buf + a : NULL, b - a));
            } else {
                dstr ins = {0};
                size_t m = 1 + below(&r, chance(&r, 20) ? 30 : 4);
                for (size_t q = 0; q < m; q++) ds_puts(&ins, pieces[below(&r, 7)]);
                OK(ot_op_push(&op, OT_INSERT, utf8_count(ins.p, ins.len), ins.p, ins.len));
                free(ins.p);
                continue;
            }
            pos += n;
        }
        ot_op_normalize(&op);
        size_t rlen = 0;
        char *want_text = ref_apply(d.p, d.len, &op, &rlen);
        EXPECT(want_text);
        OK(ot_apply(&t, &op));
        EXPECTF(text_is(&t, want_text, rlen), "iteration %d", it);
        EXPECT(hints_hold(&t));
        free(want_text);
        ot_op_free(&op);
        ot_text_free(&t);
        free(d.p);
    }
}
END_TEST

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Typing in a 100 KB document: one-character ops near each other. A model
 * kept as an array of code points checks the result. */
START_TEST(apply_local_edits_in_a_large_document) {
    prng r = {2024};
    static const char *const pieces[] = {"a", "é", "😀", "\n", "œ", " ", "«", "’"};
    static const uint32_t piece_cp[] = {'a', 0xE9, 0x1F600, '\n', 0x153, ' ', 0xAB, 0x2019};
    dstr d = {0};
    size_t cap = 200000;
    uint32_t *model = malloc(cap * sizeof *model);
    size_t mlen = 0;
    while (d.len < 100000) {
        size_t k = below(&r, 8);
        ds_puts(&d, pieces[k]);
        model[mlen++] = piece_cp[k];
    }
    ot_text t;
    OK(ot_text_init(&t, d.p, d.len));
    free(d.p);
    size_t caret = t.cps / 2;
    double spent = 0;
    ot_op op;
    ot_op_init(&op);
    for (int it = 0; it < 5000; it++) {
        if (chance(&r, 10)) caret = below(&r, t.cps + 1); /* the user clicks elsewhere */
        if (caret > t.cps) caret = t.cps;
        ot_op_free(&op);
        OK(ot_op_push(&op, OT_SKIP, caret, NULL, 0));
        if (caret > 0 && chance(&r, 30)) { /* backspace */
            ot_op_free(&op);
            OK(ot_op_push(&op, OT_SKIP, caret - 1, NULL, 0));
            OK(ot_op_push(&op, OT_DELETE, 1, NULL, 0));
            memmove(model + caret - 1, model + caret, (mlen - caret) * sizeof *model);
            mlen--;
            caret--;
        } else {
            size_t k = below(&r, 8);
            OK(ot_op_push(&op, OT_INSERT, 1, pieces[k], strlen(pieces[k])));
            memmove(model + caret + 1, model + caret, (mlen - caret) * sizeof *model);
            model[caret] = piece_cp[k];
            mlen++;
            caret++;
        }
        double t0 = now();
        OK(ot_apply(&t, &op));
        spent += now() - t0;
    }
    ot_op_free(&op);
    EXPECT(t.cps == mlen);
    EXPECT(utf8_valid(t.buf, t.len) && utf8_count(t.buf, t.len) == t.cps);
    size_t b = 0;
    for (size_t i = 0; i < mlen; i++) {
        uint32_t cp;
        unsigned char c = (unsigned char)t.buf[b];
        size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        cp = n == 1 ? c : (uint32_t)(c & (0x7F >> n));
        for (size_t k = 1; k < n; k++) cp = (cp << 6) | ((unsigned char)t.buf[b + k] & 0x3F);
        EXPECTF(cp == model[i], "code point %zu differs", i);
        b += n;
    }
    /* Generous: memmove of ~50 KB per op dominates; rescanning the whole
     * document per op would still pass, so the hint is checked separately. */
    ck_assert_msg(spent < 10.0, "5000 edits took %.2f s", spent);
    free(model);
    ot_text_free(&t);
}
END_TEST

/* Many writers, each at its own caret, in one document: after every edit
 * (inserts, deletes across other carets' hints, several components at once)
 * the text equals the obvious apply and every hint still holds. */
START_TEST(apply_many_carets_keeps_hints_true) {
    prng r = {77};
    static const char *const pieces[] = {"a", "é", "😀", "\n", "xyz", "’"};
    dstr d = {0};
    ds_put(&d, "", 0);
    while (d.len < 3000) ds_puts(&d, pieces[below(&r, 6)]);
    ot_text t;
    OK(ot_text_init(&t, d.p, d.len));
    free(d.p);
    enum { CARETS = 24 };
    size_t caret[CARETS];
    for (size_t i = 0; i < CARETS; i++) caret[i] = below(&r, t.cps + 1);
    for (int it = 0; it < 3000; it++) {
        size_t who = below(&r, CARETS);
        size_t at = min_sz(caret[who], t.cps);
        ot_op op;
        ot_op_init(&op);
        OK(ot_op_push(&op, OT_SKIP, at, NULL, 0));
        if (at < t.cps && chance(&r, 30)) {
            OK(ot_op_push(&op, OT_DELETE, 1 + below(&r, min_sz(t.cps - at, 40)), NULL, 0));
        } else {
            const char *p = pieces[below(&r, 6)];
            OK(ot_op_push(&op, OT_INSERT, utf8_count(p, strlen(p)), p, strlen(p)));
            caret[who] = at + 1;
        }
        if (chance(&r, 10) && ot_op_input_len(&op) + 5 < t.cps) { /* a second edit further on */
            OK(ot_op_push(&op, OT_SKIP, 1 + below(&r, 4), NULL, 0));
            OK(ot_op_push(&op, OT_INSERT, 1, "«", strlen("«")));
        }
        size_t rlen = 0;
        char *want = ref_apply(t.buf, t.len, &op, &rlen);
        EXPECT(want);
        OK(ot_apply(&t, &op));
        EXPECTF(text_is(&t, want, rlen), "iteration %d", it);
        EXPECTF(hints_hold(&t), "iteration %d", it);
        EXPECT(t.nhints > 0);
        free(want);
        ot_op_free(&op);
    }
    ot_text_free(&t);
}
END_TEST

/* ---- unit tests: transform, compose, positions ------------------------------------- */

static void expect_transform(const char *a, const char *b, ot_side side, const char *want) {
    ot_op x, y, out;
    op_of(&x, a);
    op_of(&y, b);
    ot_op_init(&out);
    OK(ot_transform(&out, &x, &y, side));
    expect_op(&out, want);
    ot_op_free(&x);
    ot_op_free(&y);
    ot_op_free(&out);
}

START_TEST(transform_cases) {
    expect_transform("[\"a\"]", "[\"b\"]", OT_LEFT, "[\"a\"]");
    expect_transform("[\"a\"]", "[\"b\"]", OT_RIGHT, "[1,\"a\"]");
    expect_transform("[3,\"a\"]", "[3,\"b\"]", OT_LEFT, "[3,\"a\"]");
    expect_transform("[3,\"a\"]", "[3,\"b\"]", OT_RIGHT, "[4,\"a\"]");
    expect_transform("[1,{\"d\":2}]", "[2,{\"d\":2}]", OT_LEFT, "[1,{\"d\":1}]");
    expect_transform("[1,{\"d\":\"bc\"}]", "[2,{\"d\":\"cd\"}]", OT_LEFT, "[1,{\"d\":\"b\"}]");
    expect_transform("[1,{\"d\":\"bcd\"}]", "[1,{\"d\":\"bcd\"}]", OT_LEFT, "[]");
    expect_transform("[1,{\"d\":3}]", "[2,\"X\"]", OT_LEFT, "[1,{\"d\":1},1,{\"d\":2}]");
    /* a {d:"text"} split by a concurrent insert keeps each half's text */
    expect_transform("[{\"d\":\"abcd\"}]", "[2,\"X\"]", OT_LEFT, "[{\"d\":\"ab\"},1,{\"d\":\"cd\"}]");
    expect_transform("[{\"d\":\"👩‍👩‍👧\"}]", "[3,\"😀\",{\"d\":1}]", OT_RIGHT, "[{\"d\":\"👩‍👩\"},1,{\"d\":\"👧\"}]");
    expect_transform("[2,\"X\"]", "[1,{\"d\":3}]", OT_LEFT, "[1,\"X\"]");
    expect_transform("[{\"d\":\"ab\"},\"Y\"]", "[\"X\"]", OT_LEFT, "[1,{\"d\":\"ab\"},\"Y\"]");
    expect_transform("[\"Y\",{\"d\":\"ab\"}]", "[\"X\"]", OT_LEFT, "[\"Y\",1,{\"d\":\"ab\"}]");
    expect_transform("[\"Y\",{\"d\":\"ab\"}]", "[\"X\"]", OT_RIGHT, "[1,\"Y\",{\"d\":\"ab\"}]");
    expect_transform("[5,\"x\"]", "[]", OT_LEFT, "[5,\"x\"]");
    expect_transform("[]", "[5,\"x\"]", OT_LEFT, "[]");

    /* invalid input: refused, out left empty (and its old content released) */
    ot_op good, bad, out;
    op_of(&good, "[1,\"a\"]");
    ot_op_init(&bad);
    raw_push(&bad, OT_SKIP, 1, NULL);
    op_of(&out, "[\"previous\"]");
    ck_assert_int_eq(ot_transform(&out, &good, &bad, OT_LEFT), OT_EINVALID);
    ck_assert_uint_eq(out.n, 0);
    ck_assert_int_eq(ot_transform(&out, &bad, &good, OT_LEFT), OT_EINVALID);
    ck_assert_int_eq(ot_transform(&out, &good, &good, (ot_side)2), OT_EINVALID);
    OK(ot_transform(&good, &good, &good, OT_RIGHT)); /* out may alias an input */
    expect_op(&good, "[2,\"a\"]");
    ot_op_free(&good);
    ot_op_free(&bad);
    ot_op_free(&out);
}
END_TEST

static void expect_compose(const char *a, const char *b, const char *want) {
    ot_op x, y, out;
    op_of(&x, a);
    op_of(&y, b);
    op_of(&out, "[\"previous\"]");
    OK(ot_compose(&out, &x, &y));
    expect_op(&out, want);
    ot_op_free(&x);
    ot_op_free(&y);
    ot_op_free(&out);
}

START_TEST(compose_cases) {
    expect_compose("[\"X\"]", "[1,{\"d\":1}]", "[\"X\",{\"d\":1}]");
    expect_compose("[\"XYZ\"]", "[1,{\"d\":\"Y\"}]", "[\"XZ\"]");
    expect_compose("[\"XYZ\"]", "[1,{\"d\":3}]", "[\"X\",{\"d\":1}]");
    expect_compose("[{\"d\":\"a\"}]", "[{\"d\":\"b\"}]", "[{\"d\":\"ab\"}]");
    expect_compose("[{\"d\":\"a\"}]", "[{\"d\":1}]", "[{\"d\":2}]");
    expect_compose("[1,{\"d\":\"b\"}]", "[{\"d\":\"ac\"}]", "[{\"d\":\"abc\"}]");
    expect_compose("[3,\"X\"]", "[4,\"Y\"]", "[3,\"XY\"]");
    expect_compose("[\"😀\"]", "[{\"d\":\"😀\"}]", "[]");
    expect_compose("[]", "[]", "[]");
    expect_compose("[2,\"ab\"]", "[]", "[2,\"ab\"]");
    expect_compose("[]", "[{\"d\":\"é\"}]", "[{\"d\":\"é\"}]");
    ot_op good, bad, out;
    op_of(&good, "[1,\"a\"]");
    ot_op_init(&bad);
    raw_push(&bad, OT_INSERT, 0, "");
    ot_op_init(&out);
    ck_assert_int_eq(ot_compose(&out, &good, &bad), OT_EINVALID);
    ck_assert_int_eq(ot_compose(&out, &bad, &good), OT_EINVALID);
    OK(ot_compose(&good, &good, &good));
    expect_op(&good, "[1,\"aa\"]");
    ot_op_free(&good);
    ot_op_free(&bad);
    ot_op_free(&out);
}
END_TEST

START_TEST(transform_position_cases) {
    struct {
        size_t pos;
        const char *op;
        size_t want;
    } cases[] = {
        {0, "[\"abc\"]", 0},        {1, "[\"abc\"]", 4},         {3, "[1,\"x\"]", 4},
        {1, "[1,\"x\"]", 1},        {2, "[1,\"x\"]", 3},         {3, "[1,{\"d\":5}]", 1},
        {10, "[1,{\"d\":5}]", 5},   {4, "[1,{\"d\":2},\"xy\"]", 4}, {5, "[{\"d\":\"😀\"},\"👩‍👩‍👧\"]", 9},
        {1, "[{\"d\":1},\"ab\",{\"d\":2}]", 0}, {7, "[]", 7},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ot_op op;
        op_of(&op, cases[i].op);
        ck_assert_msg(ot_transform_position(cases[i].pos, &op) == cases[i].want, "%zu over %s", cases[i].pos,
                      cases[i].op);
        ot_op_free(&op);
    }
}
END_TEST

START_TEST(strerror_names_every_status) {
    ot_status all[] = {OT_OK, OT_EINVALID, OT_ERANGE, OT_EMISMATCH, OT_ENOMEM};
    for (size_t i = 0; i < 5; i++) {
        ck_assert_ptr_nonnull(ot_strerror(all[i]));
        for (size_t j = 0; j < i; j++) ck_assert_str_ne(ot_strerror(all[i]), ot_strerror(all[j]));
    }
    ck_assert_ptr_nonnull(ot_strerror((ot_status)99));
}
END_TEST

/* ---- unit tests: JSON -------------------------------------------------------------- */

START_TEST(json_rejects) {
    static const char *const bad[] = {
        "", " ", "{}", "1", "\"a\"", "null", "[", "[1,\"a\"] x", "[1,\"a\"][]", "[0,\"a\"]", "[-1,\"a\"]",
        "[1.5,\"a\"]", "[1e300,\"a\"]", "[1e999,\"a\"]", "[9007199254740992,\"a\"]", "[-0,\"a\"]", "[1]",
        "[\"a\",1]", "[1,2,\"a\"]", "[\"a\",\"b\"]", "[\"\"]", "[{\"d\":0}]", "[{\"d\":-1}]", "[{\"d\":1.5}]",
        "[{\"d\":\"\"}]", "[{\"d\":1},{\"d\":2}]", "[{\"d\":1},{\"d\":\"a\"}]", "[{\"d\":1,\"x\":1}]",
        "[{\"x\":1}]", "[{\"D\":1}]", "[{}]", "[{\"d\":true}]", "[{\"d\":null}]", "[{\"d\":[1]}]",
        "[{\"d\":{\"d\":1}}]", "[{\"d\":1,\"d\":2}]", "[true]", "[false]", "[null]", "[[1]]", "[\"a\\u0000b\"]",
        "[\"\\ud800\"]", "[\"\\udc00x\"]", "[\"\xc3\"]", "[\"\xed\xa0\x80\"]", "[\"\xc0\xaf\"]",
        "[{\"d\":\"\xff\"}]", "[\"\xf4\x90\x80\x80\"]", "[1,\"a\",2,{\"d\":1},3]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ot_op op;
        op_of(&op, "[\"junk\"]"); /* replaced, then left empty */
        ck_assert_msg(ot_op_parse(bad[i], strlen(bad[i]), &op) == OT_EINVALID, "accepted %s", bad[i]);
        ck_assert_uint_eq(op.n, 0);
        ot_op_free(&op);
    }
    ot_op op;
    ot_op_init(&op);
    ck_assert_int_eq(ot_op_parse("[1,\"a\"]\0", 8, &op), OT_EINVALID); /* a raw NUL */
    ck_assert_int_eq(ot_op_parse("[\"a\0b\"]", 7, &op), OT_EINVALID);
    ck_assert_int_eq(ot_op_parse(NULL, 0, &op), OT_EINVALID);
    ck_assert_int_eq(ot_op_from_json(NULL, &op), OT_EINVALID);
    cJSON *o = cJSON_CreateObject();
    ck_assert_int_eq(ot_op_from_json(o, &op), OT_EINVALID);
    cJSON_Delete(o);
    /* cJSON does not check UTF-8: ot_op_from_json must */
    cJSON *a = cJSON_CreateArray();
    cJSON_AddItemToArray(a, cJSON_CreateString("\xe2\x82"));
    ck_assert_int_eq(ot_op_from_json(a, &op), OT_EINVALID);
    cJSON_Delete(a);
}
END_TEST

START_TEST(json_accepts) {
    struct {
        const char *in, *out;
    } cases[] = {
        {"[]", "[]"},
        {" [ 1 , \"a\" ] \n", "[1,\"a\"]"},
        {"[1e2,\"a\"]", "[100,\"a\"]"},
        {"[1.0,{\"d\":2.0}]", "[1,{\"d\":2}]"},
        {"[9007199254740991,\"a\"]", "[9007199254740991,\"a\"]"},
        {"[\"\\ud83d\\ude00\\u00e9\"]", "[\"😀é\"]"},
        {"[\"\\\\u0000\"]", "[\"\\\\u0000\"]"}, /* a backslash, then "u0000" */
        {"[{\"d\":\"👩‍👩‍👧\"},\"\\n\"]", "[{\"d\":\"👩‍👩‍👧\"},\"\\u000a\"]"},
        {"[3,{\"d\":1},\"x\",{\"d\":\"y\"},\"z\"]", "[3,{\"d\":1},\"x\",{\"d\":\"y\"},\"z\"]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ot_op op;
        op_of(&op, cases[i].in);
        char *s = op_json(&op);
        ck_assert_str_eq(s, cases[i].out);
        free(s);
        ot_op_free(&op);
    }
    ot_op op;
    op_of(&op, "[{\"d\":\"👩‍👩‍👧\"}]");
    ck_assert_uint_eq(op.c[0].n, 5);
    ot_op_free(&op);
}
END_TEST

START_TEST(json_write_escapes) {
    ot_op op;
    ot_op_init(&op);
    const char *ins = "q\"b\\c\n\x01\x1f\x7fé😀";
    OK(ot_op_push(&op, OT_SKIP, 12345, NULL, 0));
    OK(ot_op_push(&op, OT_INSERT, utf8_count(ins, strlen(ins)), ins, strlen(ins)));
    OK(ot_op_push(&op, OT_DELETE, 2, "\t\"", 2));
    OK(ot_op_push(&op, OT_SKIP, 1, NULL, 0));
    OK(ot_op_push(&op, OT_DELETE, 7, NULL, 0));
    const char *want = "[12345,\"q\\\"b\\\\c\\u000a\\u0001\\u001f\x7fé😀\",{\"d\":\"\\u0009\\\"\"},1,{\"d\":7}]";
    ck_assert_uint_eq(ot_op_json_size(&op), strlen(want));
    char *s = op_json(&op);
    ck_assert_str_eq(s, want);
    free(s);
    /* the cJSON form says the same */
    cJSON *j = ot_op_to_json(&op);
    cJSON *w = cJSON_Parse(want);
    ck_assert(cJSON_Compare(j, w, true));
    ot_op back;
    ot_op_init(&back);
    OK(ot_op_from_json(j, &back));
    ck_assert(op_eq(&op, &back));
    cJSON_Delete(j);
    cJSON_Delete(w);
    ot_op_free(&back);
    ot_op_free(&op);
    ck_assert_uint_eq(ot_op_json_size(&op), 2);
    char buf[4];
    ck_assert_ptr_eq(ot_op_write_json(&op, buf), buf + 2);
    ck_assert(memcmp(buf, "[]", 2) == 0);
}
END_TEST

/* ---- the library's answers ------------------------------------------------------------- */

static cJSON *load_vectors(void) {
    FILE *f = fopen(VECTORS, "rb");
    ck_assert_msg(f != NULL, "cannot open %s (run node protocol/vectors/generate.js)", VECTORS);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    ck_assert(buf && fread(buf, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    buf[n] = '\0';
    ck_assert(utf8_valid(buf, (size_t)n));
    cJSON *v = cJSON_ParseWithLength(buf, (size_t)n);
    free(buf);
    ck_assert_msg(v != NULL, "%s is not JSON", VECTORS);
    return v;
}

static const cJSON *section(const cJSON *v, const char *name) {
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(v, name);
    ck_assert_msg(cJSON_IsArray(s) && cJSON_GetArraySize(s) > 0, "no section %s", name);
    return s;
}

static const cJSON *field(const cJSON *c, const char *name) {
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(c, name);
    if (!f) ck_abort_msg("case without \"%s\": %s", name, cJSON_PrintUnformatted(c));
    return f;
}

static void vec_op(const cJSON *c, const char *name, ot_op *op) {
    ot_op_init(op);
    if (ot_op_from_json(field(c, name), op) != OT_OK)
        ck_abort_msg("\"%s\" refused: %s", name, cJSON_PrintUnformatted(c));
}

static void vec_text(const cJSON *c, const char *name, ot_text *t) {
    const cJSON *s = field(c, name);
    EXPECT(cJSON_IsString(s));
    OK(ot_text_init(t, s->valuestring, strlen(s->valuestring)));
}

static void vec_fail(const cJSON *c, const char *what, const ot_op *got) {
    char *g = got ? op_json(got) : NULL;
    ck_abort_msg("%s: %s; got %s", what, cJSON_PrintUnformatted(c), g ? g : "-");
}

static bool same_text(const ot_text *a, const ot_text *b) {
    return a->len == b->len && a->cps == b->cps && memcmp(a->buf, b->buf, a->len) == 0;
}

START_TEST(vectors_apply) {
    cJSON *v = load_vectors();
    const cJSON *c;
    int n = 0, refused = 0;
    cJSON_ArrayForEach(c, section(v, "apply")) {
        ot_text t;
        vec_text(c, "doc", &t);
        const cJSON *strict = cJSON_GetObjectItemCaseSensitive(c, "strict");
        ot_op op;
        ot_op_init(&op);
        ot_status st = ot_op_from_json(field(c, "op"), &op);
        if (strict) {
            const char *code = field(c, "code")->valuestring;
            ot_status want = strcmp(code, "invalid") == 0 ? OT_EINVALID
                             : strcmp(code, "range") == 0 ? OT_ERANGE
                                                          : OT_EMISMATCH;
            if (st == OT_OK) {
                ot_text before;
                OK(ot_text_init(&before, t.buf, t.len));
                if (ot_check_fits(&t, &op) != want || ot_apply(&t, &op) != want) vec_fail(c, "not refused", &op);
                if (!same_text(&t, &before)) vec_fail(c, "changed by a refused op", &op);
                ot_text_free(&before);
            } else if (want != OT_EINVALID) {
                vec_fail(c, "refused as malformed", NULL);
            }
            refused++;
        } else {
            if (st != OT_OK) vec_fail(c, "op refused", NULL);
            const cJSON *res = cJSON_GetObjectItemCaseSensitive(c, "result");
            if (!cJSON_IsString(res)) vec_fail(c, "the library failed but the case is not marked", NULL);
            if (ot_check_fits(&t, &op) != OT_OK || ot_apply(&t, &op) != OT_OK) vec_fail(c, "apply failed", &op);
            if (!text_is(&t, res->valuestring, strlen(res->valuestring))) vec_fail(c, "wrong result", &op);
        }
        ot_op_free(&op);
        ot_text_free(&t);
        n++;
    }
    ck_assert_int_gt(n, 1000);
    ck_assert_int_gt(refused, 50);
    cJSON_Delete(v);
}
END_TEST

START_TEST(vectors_transform) {
    cJSON *v = load_vectors();
    const cJSON *c;
    int n = 0;
    cJSON_ArrayForEach(c, section(v, "transform")) {
        ot_op a, b, want[2], got[2], other;
        vec_op(c, "op", &a);
        vec_op(c, "other", &b);
        vec_op(c, "left", &want[0]);
        vec_op(c, "right", &want[1]);
        for (int side = 0; side < 2; side++) {
            ot_op_init(&got[side]);
            if (ot_transform(&got[side], &a, &b, side ? OT_RIGHT : OT_LEFT) != OT_OK) vec_fail(c, "refused", NULL);
            if (!op_eq(&got[side], &want[side])) vec_fail(c, side ? "right differs" : "left differs", &got[side]);
            ot_op moved; /* in place, strings moved: the same op */
            ot_op_init(&moved);
            if (ot_op_copy(&moved, &a) != OT_OK || ot_transform_checked(&moved, &b, side ? OT_RIGHT : OT_LEFT) != OT_OK)
                vec_fail(c, "refused in place", NULL);
            if (!op_eq(&moved, &want[side])) vec_fail(c, "in place differs", &moved);
            ot_op_free(&moved);
            /* the writer reproduces the library's op */
            char *s = op_json(&got[side]);
            cJSON *back = cJSON_Parse(s);
            if (!cJSON_Compare(back, field(c, side ? "right" : "left"), true)) vec_fail(c, "JSON differs", &got[side]);
            cJSON_Delete(back);
            free(s);
        }
        /* and TP1 holds on the case's document */
        ot_text x, y;
        vec_text(c, "doc", &x);
        vec_text(c, "doc", &y);
        ot_op_init(&other);
        OK(ot_transform(&other, &b, &a, OT_RIGHT));
        OK(ot_apply(&x, &a));
        OK(ot_apply(&x, &other));
        OK(ot_apply(&y, &b));
        OK(ot_apply(&y, &got[0]));
        if (!same_text(&x, &y)) vec_fail(c, "TP1", NULL);
        ot_text_free(&x);
        ot_text_free(&y);
        ot_op_free(&other);
        for (int i = 0; i < 2; i++) {
            ot_op_free(&got[i]);
            ot_op_free(&want[i]);
        }
        ot_op_free(&a);
        ot_op_free(&b);
        n++;
    }
    ck_assert_int_gt(n, 1000);
    cJSON_Delete(v);
}
END_TEST

START_TEST(vectors_compose) {
    cJSON *v = load_vectors();
    const cJSON *c;
    int n = 0;
    cJSON_ArrayForEach(c, section(v, "compose")) {
        ot_op a, b, want, got;
        vec_op(c, "a", &a);
        vec_op(c, "b", &b);
        vec_op(c, "result", &want);
        ot_op_init(&got);
        if (ot_compose(&got, &a, &b) != OT_OK) vec_fail(c, "refused", NULL);
        if (!op_eq(&got, &want)) vec_fail(c, "differs", &got);
        ot_text x, y;
        vec_text(c, "doc", &x);
        vec_text(c, "doc", &y);
        OK(ot_apply(&x, &a));
        OK(ot_apply(&x, &b));
        OK(ot_apply(&y, &got));
        if (!same_text(&x, &y)) vec_fail(c, "apply(compose) differs", &got);
        ot_text_free(&x);
        ot_text_free(&y);
        ot_op_free(&a);
        ot_op_free(&b);
        ot_op_free(&want);
        ot_op_free(&got);
        n++;
    }
    ck_assert_int_gt(n, 500);
    cJSON_Delete(v);
}
END_TEST

/* Normalize inputs are deliberately malformed: read them without the strict
 * parser, component by component. */
static void lenient_op(const cJSON *arr, ot_op *op) {
    ot_op_init(op);
    const cJSON *item;
    cJSON_ArrayForEach(item, arr) {
        const cJSON *val = item;
        ot_kind k = OT_SKIP;
        if (cJSON_IsObject(item)) {
            val = cJSON_GetObjectItemCaseSensitive(item, "d");
            k = OT_DELETE;
        } else if (cJSON_IsString(item)) {
            k = OT_INSERT;
        }
        if (cJSON_IsNumber(val)) {
            EXPECT(val->valuedouble >= 0 && val->valuedouble == (double)(size_t)val->valuedouble);
            raw_push(op, k, (size_t)val->valuedouble, NULL);
        } else {
            EXPECT(cJSON_IsString(val));
            raw_push(op, k, utf8_count(val->valuestring, strlen(val->valuestring)), val->valuestring);
        }
    }
}

START_TEST(vectors_normalize) {
    cJSON *v = load_vectors();
    const cJSON *c;
    int n = 0;
    cJSON_ArrayForEach(c, section(v, "normalize")) {
        ot_op op, want;
        lenient_op(field(c, "op"), &op);
        vec_op(c, "result", &want);
        ot_op_normalize(&op);
        if (!op_eq(&op, &want)) vec_fail(c, "differs", &op);
        if (ot_op_check(&op) != OT_OK) vec_fail(c, "not strictly valid", &op);
        ot_op_free(&op);
        ot_op_free(&want);
        n++;
    }
    ck_assert_int_gt(n, 300);
    cJSON_Delete(v);
}
END_TEST

START_TEST(vectors_transform_position) {
    cJSON *v = load_vectors();
    const cJSON *c;
    int n = 0;
    cJSON_ArrayForEach(c, section(v, "transformPosition")) {
        ot_op op;
        vec_op(c, "op", &op);
        size_t pos = (size_t)field(c, "pos")->valuedouble;
        size_t want = (size_t)field(c, "result")->valuedouble;
        size_t got = ot_transform_position(pos, &op);
        if (got != want) ck_abort_msg("got %zu: %s", got, cJSON_PrintUnformatted(c));
        ot_op_free(&op);
        n++;
    }
    ck_assert_int_gt(n, 500);
    cJSON_Delete(v);
}
END_TEST

START_TEST(vectors_check) {
    cJSON *v = load_vectors();
    const cJSON *c;
    int n = 0, strict = 0;
    cJSON_ArrayForEach(c, section(v, "checkOp")) {
        bool lib_ok = cJSON_IsTrue(field(c, "valid"));
        bool reject = cJSON_GetObjectItemCaseSensitive(c, "strict") != NULL;
        ot_op op;
        ot_op_init(&op);
        ot_status st = ot_op_from_json(field(c, "op"), &op);
        if ((st == OT_OK) != (lib_ok && !reject)) vec_fail(c, st == OT_OK ? "accepted" : "refused", NULL);
        if (st == OT_OK && ot_op_check(&op) != OT_OK) vec_fail(c, "parsed but fails ot_op_check", &op);
        ot_op_free(&op);
        strict += reject;
        n++;
    }
    ck_assert_int_gt(n, 200);
    ck_assert_int_gt(strict, 20);
    cJSON_Delete(v);
}
END_TEST

/* ---- properties ------------------------------------------------------------------------ */

static void apply_ok(ot_text *t, const ot_op *op) {
    ot_status st = ot_apply(t, op);
    if (st != OT_OK) {
        char *s = op_json(op);
        ck_abort_msg("%s does not apply to \"%s\": %s", s, t->buf, ot_strerror(st));
    }
}

/* Every single edit (insert, or delete with and without its text, at every
 * place) of a short document against every other, both sides: the in-place
 * transform, which works these out without the walk, equals ot_transform. */
START_TEST(transform_single_edits_exhaustive) {
    static const char doc[] = "aé😀bc«d";
    size_t cps = utf8_count(doc, strlen(doc));
    ot_op edits[256];
    size_t n = 0;
    for (size_t at = 0; at <= cps; at++) {
        for (int ins = 0; ins < 2; ins++) {
            ot_op_init(&edits[n]);
            OK(ot_op_push(&edits[n], OT_SKIP, at, NULL, 0));
            OK(ot_op_push(&edits[n], OT_INSERT, ins ? 2 : 1, ins ? "x’" : "é", strlen(ins ? "x’" : "é")));
            n++;
        }
        for (size_t len = 1; at + len <= cps; len++) {
            for (int text = 0; text < 2; text++) {
                size_t a = utf8_offset(doc, strlen(doc), 0, 0, at), b = utf8_offset(doc, strlen(doc), 0, 0, at + len);
                ot_op_init(&edits[n]);
                OK(ot_op_push(&edits[n], OT_SKIP, at, NULL, 0));
                OK(ot_op_push(&edits[n], OT_DELETE, len, text ? doc + a : NULL, b - a));
                n++;
            }
        }
    }
    ck_assert_uint_lt(n, sizeof edits / sizeof *edits);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            for (int side = 0; side < 2; side++) {
                ot_op want, got;
                ot_op_init(&want);
                ot_op_init(&got);
                OK(ot_transform(&want, &edits[i], &edits[j], side ? OT_RIGHT : OT_LEFT));
                OK(ot_op_copy(&got, &edits[i]));
                OK(ot_transform_checked(&got, &edits[j], side ? OT_RIGHT : OT_LEFT));
                if (!op_eq(&got, &want)) {
                    char *a = op_json(&edits[i]), *b = op_json(&edits[j]), *g = op_json(&got), *w = op_json(&want);
                    ck_abort_msg("%s over %s (%s): got %s, want %s", a, b, side ? "right" : "left", g, w);
                }
                ot_op_free(&want);
                ot_op_free(&got);
            }
        }
    }
    for (size_t i = 0; i < n; i++) ot_op_free(&edits[i]);
}
END_TEST

/* TP1 for every pair among 2-5 concurrent ops on one document, both ways round. */
START_TEST(prop_tp1) {
    prng r = {0x7131};
    for (int it = 0; it < 5000; it++) {
        ot_text d;
        rand_doc(&r, &d);
        ot_op ops[5];
        size_t k = 2 + below(&r, 4);
        for (size_t i = 0; i < k; i++) {
            ot_op_init(&ops[i]);
            rand_op(&r, &d, &ops[i]);
        }
        for (size_t i = 0; i < k; i++) {
            for (size_t j = 0; j < k; j++) {
                if (i == j) continue;
                ot_op ti, tj; /* ops[i] after ops[j] as left, ops[j] after ops[i] as right */
                ot_op_init(&ti);
                ot_op_init(&tj);
                OK(ot_transform(&ti, &ops[i], &ops[j], OT_LEFT));
                OK(ot_transform(&tj, &ops[j], &ops[i], OT_RIGHT));
                for (int side = 0; side < 2; side++) { /* in place, strings moved: the same ops */
                    ot_op m;
                    ot_op_init(&m);
                    OK(ot_op_copy(&m, side ? &ops[j] : &ops[i]));
                    OK(ot_transform_checked(&m, side ? &ops[i] : &ops[j], side ? OT_RIGHT : OT_LEFT));
                    EXPECTF(op_eq(&m, side ? &tj : &ti), "in-place transform differs at iteration %d", it);
                    ot_op_free(&m);
                }
                OK(ot_op_check(&ti));
                OK(ot_op_check(&tj));
                ot_text x, y;
                OK(ot_text_copy(memset(&x, 0, sizeof x), &d));
                OK(ot_text_copy(memset(&y, 0, sizeof y), &d));
                apply_ok(&x, &ops[i]);
                apply_ok(&x, &tj);
                apply_ok(&y, &ops[j]);
                apply_ok(&y, &ti);
                EXPECTF(same_text(&x, &y), "TP1 fails at iteration %d on \"%s\"", it, d.buf);
                ot_text_free(&x);
                ot_text_free(&y);
                ot_op_free(&ti);
                ot_op_free(&tj);
            }
        }
        for (size_t i = 0; i < k; i++) ot_op_free(&ops[i]);
        ot_text_free(&d);
    }
}
END_TEST

/* apply(apply(d, a), b) == apply(d, compose(a, b)), and compose is associative
 * in effect. */
START_TEST(prop_compose) {
    prng r = {0xC0};
    for (int it = 0; it < 10000; it++) {
        ot_text d, x, y, z;
        rand_doc(&r, &d);
        memset(&x, 0, sizeof x);
        memset(&y, 0, sizeof y);
        memset(&z, 0, sizeof z);
        OK(ot_text_copy(&x, &d));
        ot_op a, b, c, ab, bc, abc1, abc2;
        ot_op_init(&a);
        ot_op_init(&b);
        ot_op_init(&c);
        ot_op_init(&ab);
        ot_op_init(&bc);
        ot_op_init(&abc1);
        ot_op_init(&abc2);
        rand_op(&r, &x, &a);
        apply_ok(&x, &a);
        rand_op(&r, &x, &b);
        apply_ok(&x, &b);
        rand_op(&r, &x, &c);
        OK(ot_compose(&ab, &a, &b));
        OK(ot_op_check(&ab));
        OK(ot_text_copy(&y, &d));
        apply_ok(&y, &ab);
        EXPECTF(same_text(&x, &y), "compose fails at iteration %d", it);
        apply_ok(&x, &c);
        OK(ot_compose(&bc, &b, &c));
        OK(ot_compose(&abc1, &ab, &c));
        OK(ot_compose(&abc2, &a, &bc));
        OK(ot_text_copy(&y, &d));
        OK(ot_text_copy(&z, &d));
        apply_ok(&y, &abc1);
        apply_ok(&z, &abc2);
        EXPECT(same_text(&x, &y) && same_text(&x, &z));
        ot_op_free(&a);
        ot_op_free(&b);
        ot_op_free(&c);
        ot_op_free(&ab);
        ot_op_free(&bc);
        ot_op_free(&abc1);
        ot_op_free(&abc2);
        ot_text_free(&d);
        ot_text_free(&x);
        ot_text_free(&y);
        ot_text_free(&z);
    }
}
END_TEST

/* A server and clients with network delays, in the ShareDB manner: each
 * client has at most one op in flight and composes later edits into one
 * pending op; the server transforms an incoming op (side left) over what it
 * committed since the op's base; a client transforms its in-flight and
 * pending ops over each remote op and the remote op over them (side right). */

typedef struct {
    bool ack;
    ot_op op;
} down_msg;

typedef struct {
    ot_text text;
    size_t rev;
    bool inflight_set, pending_set, up_set;
    ot_op inflight, pending;
    ot_op up; /* the in-flight op on its way to the server ... */
    size_t up_base; /* ... written against this revision */
    down_msg *down; /* messages on their way from the server */
    size_t dhead, dlen, dcap;
} client;

typedef struct {
    ot_text text;
    ot_op *hist;
    size_t rev, cap;
    size_t transforms; /* committed ops incoming ops were transformed over */
} server;

static void send_down(client *c, bool ack, const ot_op *op) {
    if (c->dlen == c->dcap) {
        c->dcap = c->dcap ? c->dcap * 2 : 16;
        c->down = realloc(c->down, c->dcap * sizeof *c->down);
        EXPECT(c->down);
    }
    down_msg *m = &c->down[c->dlen++];
    m->ack = ack;
    ot_op_init(&m->op);
    if (op) OK(ot_op_copy(&m->op, op));
}

static void client_edit(prng *r, client *c) {
    ot_op op;
    ot_op_init(&op);
    rand_op(r, &c->text, &op);
    apply_ok(&c->text, &op);
    if (c->pending_set) {
        OK(ot_compose(&c->pending, &c->pending, &op));
        ot_op_free(&op);
    } else {
        c->pending = op;
        c->pending_set = true;
    }
}

static bool client_send(client *c) {
    if (c->inflight_set || !c->pending_set) return false;
    c->inflight = c->pending;
    c->inflight_set = true;
    c->pending_set = false;
    ot_op_init(&c->pending);
    ot_op_init(&c->up);
    OK(ot_op_copy(&c->up, &c->inflight));
    c->up_base = c->rev;
    c->up_set = true;
    return true;
}

static bool server_receive(server *s, client *cs, size_t nc, size_t from) {
    client *c = &cs[from];
    if (!c->up_set) return false;
    ot_op op = c->up;
    c->up_set = false;
    EXPECT(c->up_base <= s->rev);
    for (size_t r = c->up_base; r < s->rev; r++) OK(ot_transform(&op, &op, &s->hist[r], OT_LEFT));
    s->transforms += s->rev - c->up_base;
    OK(ot_check_fits(&s->text, &op));
    apply_ok(&s->text, &op);
    if (s->rev == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->hist = realloc(s->hist, s->cap * sizeof *s->hist);
        EXPECT(s->hist);
    }
    s->hist[s->rev++] = op;
    for (size_t i = 0; i < nc; i++) send_down(&cs[i], i == from, i == from ? NULL : &op);
    return true;
}

/* Bring an op (pending or in flight) and the remote op past each other. */
static void cross(ot_op *local, ot_op *remote) {
    ot_op l2, r2;
    ot_op_init(&l2);
    ot_op_init(&r2);
    OK(ot_transform(&l2, local, remote, OT_LEFT));
    OK(ot_transform(&r2, remote, local, OT_RIGHT));
    ot_op_free(local);
    ot_op_free(remote);
    *local = l2;
    *remote = r2;
}

static bool client_receive(client *c) {
    if (c->dhead == c->dlen) return false;
    down_msg *m = &c->down[c->dhead++];
    if (m->ack) {
        EXPECT(c->inflight_set);
        ot_op_free(&c->inflight);
        c->inflight_set = false;
    } else {
        if (c->inflight_set) cross(&c->inflight, &m->op);
        if (c->pending_set) cross(&c->pending, &m->op);
        apply_ok(&c->text, &m->op);
        ot_op_free(&m->op);
    }
    c->rev++;
    if (c->dhead == c->dlen) c->dhead = c->dlen = 0;
    return true;
}

START_TEST(prop_server_convergence) {
    prng r = {0x5e4};
    size_t total_ops = 0, total_transforms = 0;
    for (int session = 0; session < 2000; session++) {
        size_t nc = 2 + below(&r, 4);
        client cs[5];
        server s = {0};
        ot_text base;
        rand_doc(&r, &base);
        OK(ot_text_init(&s.text, base.buf, base.len));
        for (size_t i = 0; i < nc; i++) {
            memset(&cs[i], 0, sizeof cs[i]);
            OK(ot_text_init(&cs[i].text, base.buf, base.len));
        }
        ot_text_free(&base);
        size_t steps = 20 + below(&r, 130);
        for (size_t step = 0; step < steps; step++) {
            client *c = &cs[below(&r, nc)];
            size_t what = below(&r, 100);
            if (what < 35) client_edit(&r, c);
            else if (what < 55) client_send(c);
            else if (what < 75) server_receive(&s, cs, nc, (size_t)(c - cs));
            else client_receive(c);
        }
        for (bool busy = true; busy;) { /* let the network drain */
            busy = false;
            for (size_t i = 0; i < nc; i++) busy |= client_send(&cs[i]);
            for (size_t i = 0; i < nc; i++) busy |= server_receive(&s, cs, nc, i);
            for (size_t i = 0; i < nc; i++)
                while (client_receive(&cs[i])) busy = true;
        }
        for (size_t i = 0; i < nc; i++) {
            EXPECTF(same_text(&cs[i].text, &s.text), "session %d: client %zu has \"%s\", server \"%s\"", session, i,
                    cs[i].text.buf, s.text.buf);
            EXPECT(cs[i].rev == s.rev && !cs[i].inflight_set && !cs[i].pending_set);
            ot_text_free(&cs[i].text);
            free(cs[i].down);
        }
        for (size_t i = 0; i < s.rev; i++) ot_op_free(&s.hist[i]);
        total_ops += s.rev;
        total_transforms += s.transforms;
        free(s.hist);
        ot_text_free(&s.text);
    }
    ck_assert_uint_gt(total_ops, 15000);
    ck_assert_uint_gt(total_transforms, 15000); /* ops really arrived stale */
}
END_TEST

START_TEST(prop_json_round_trip) {
    prng r = {0x150};
    for (int it = 0; it < 10000; it++) {
        ot_text d;
        rand_doc(&r, &d);
        ot_op op, back;
        ot_op_init(&op);
        ot_op_init(&back);
        rand_op(&r, &d, &op);
        char *s = op_json(&op); /* checks the size too */
        OK(ot_op_parse(s, strlen(s), &back));
        EXPECTF(op_eq(&op, &back), "write/parse: %s", s);
        cJSON *j = ot_op_to_json(&op);
        EXPECT(j);
        char *p = cJSON_PrintUnformatted(j);
        OK(ot_op_parse(p, strlen(p), &back));
        EXPECTF(op_eq(&op, &back), "cJSON print/parse: %s", p);
        OK(ot_op_from_json(j, &back));
        EXPECT(op_eq(&op, &back));
        cJSON *w = cJSON_Parse(s);
        EXPECTF(cJSON_Compare(w, j, true), "writers disagree: %s vs %s", s, p);
        cJSON_Delete(w);
        cJSON_Delete(j);
        free(p);
        free(s);
        ot_op_free(&op);
        ot_op_free(&back);
        ot_text_free(&d);
    }
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("ot");
    TCase *unit = tcase_create("unit");
    tcase_set_timeout(unit, 120);
    tcase_add_test(unit, push_merges_like_the_library);
    tcase_add_test(unit, copy_is_deep);
    tcase_add_test(unit, pack_is_one_block_read_only);
    tcase_add_test(unit, applied_len_is_exact);
    tcase_add_test(unit, check_is_strict);
    tcase_add_test(unit, normalize_cases);
    tcase_add_test(unit, input_len);
    tcase_add_test(unit, text_init_and_copy);
    tcase_add_test(unit, apply_cases);
    tcase_add_test(unit, apply_refuses_invalid_ops);
    tcase_add_test(unit, apply_keeps_the_hint);
    tcase_add_test(unit, apply_matches_reference);
    tcase_add_test(unit, apply_local_edits_in_a_large_document);
    tcase_add_test(unit, apply_many_carets_keeps_hints_true);
    tcase_add_test(unit, transform_single_edits_exhaustive);
    tcase_add_test(unit, transform_cases);
    tcase_add_test(unit, compose_cases);
    tcase_add_test(unit, transform_position_cases);
    tcase_add_test(unit, strerror_names_every_status);
    tcase_add_test(unit, json_rejects);
    tcase_add_test(unit, json_accepts);
    tcase_add_test(unit, json_write_escapes);
    suite_add_tcase(s, unit);
    TCase *vec = tcase_create("vectors");
    tcase_set_timeout(vec, 120);
    tcase_add_test(vec, vectors_apply);
    tcase_add_test(vec, vectors_transform);
    tcase_add_test(vec, vectors_compose);
    tcase_add_test(vec, vectors_normalize);
    tcase_add_test(vec, vectors_transform_position);
    tcase_add_test(vec, vectors_check);
    suite_add_tcase(s, vec);
    TCase *prop = tcase_create("properties");
    tcase_set_timeout(prop, 300);
    tcase_add_test(prop, prop_tp1);
    tcase_add_test(prop, prop_compose);
    tcase_add_test(prop, prop_server_convergence);
    tcase_add_test(prop, prop_json_round_trip);
    suite_add_tcase(s, prop);
    return s;
}

CHECK_MAIN(suite)
