/* test_passage.c -- a poll's passage follows the edits (core/passage.h):
 * hand-made cases for each rule, then a property test: random concurrent
 * edits on a text whose every code point is different (so each character
 * is known wherever it goes), two ops made on the same revision and applied
 * in both orders through the OT's transform, and the range moved over them
 * (and over their composition) is still the range of the same characters:
 * every surviving character of the passage is inside, every other original
 * character outside, so characters inserted between two of its characters
 * are inside too. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "core/ot.h"
#include "core/passage.h"
#include "core/utf8.h"
#include "test_prng.h"

#define EXPECT(c) \
    do { \
        if (!(c)) ck_abort_msg("seed %llu line %d: %s", (unsigned long long)seed, __LINE__, #c); \
    } while (0)

/* An op from a compact description: "s3 i:ab d2" (skip 3, insert "ab", delete 2). */
static ot_op op_of(const char *desc) {
    ot_op op;
    ot_op_init(&op);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", desc);
    for (char *t = strtok(buf, " "); t; t = strtok(NULL, " ")) {
        if (t[0] == 'i') ck_assert_int_eq(ot_op_push(&op, OT_INSERT, utf8_count(t + 2, strlen(t + 2)), t + 2, strlen(t + 2)), OT_OK);
        else ck_assert_int_eq(ot_op_push(&op, t[0] == 's' ? OT_SKIP : OT_DELETE, strtoul(t + 1, NULL, 10), NULL, 0), OT_OK);
    }
    return op;
}

static passage_range moved(size_t start, size_t end, const char *desc) {
    ot_op op = op_of(desc);
    passage_range r = passage_transform((passage_range){start, end}, &op);
    ot_op_free(&op);
    return r;
}

#define RANGE(r, s, e) \
    do { \
        ck_assert_uint_eq((r).start, (s)); \
        ck_assert_uint_eq((r).end, (e)); \
    } while (0)

START_TEST(each_rule) {
    /* "Nous voulons [plus d'emplois] locaux": the passage is 13..29. */
    RANGE(moved(13, 29, "i:Ahh"), 16, 32);          /* inserted before: both ends move */
    RANGE(moved(13, 29, "s30 i:!"), 13, 29);        /* after: nothing moves */
    RANGE(moved(13, 29, "s18 i:dex"), 13, 32);      /* inside: it grows */
    RANGE(moved(13, 29, "s13 i:X"), 13, 30);        /* at its start: inside */
    RANGE(moved(13, 29, "s29 i:X"), 13, 29);        /* at its end: after it */
    RANGE(moved(13, 29, "s15 d4"), 13, 25);         /* deleted inside: it shrinks */
    RANGE(moved(13, 29, "s10 d5"), 10, 24);         /* across its start */
    RANGE(moved(13, 29, "s25 d10"), 13, 25);        /* across its end */
    RANGE(moved(13, 29, "s10 d25"), 10, 10);        /* deleted entirely: empty */
    RANGE(moved(13, 29, "s13 i:neuf d16"), 13, 17); /* replaced in one edit: the new text */
    RANGE(moved(10, 10, "s10 i:abc"), 10, 10);      /* empty stays empty */
    RANGE(moved(10, 10, "i:abc"), 13, 13);
    /* Which edits may change its text. */
    const struct { const char *op; bool touched; } edits[] = {
        {"i:Ahh", false}, {"s30 i:!", false}, {"s18 i:dex", true}, {"s13 i:X", true}, {"s29 i:X", true},
        {"s15 d4", true}, {"s10 d3", false}, {"s10 d4", true}, {"s29 d3", false}, {"s28 d3", true},
    };
    for (size_t i = 0; i < sizeof edits / sizeof *edits; i++) {
        ot_op op = op_of(edits[i].op);
        ck_assert_msg(passage_touched((passage_range){13, 29}, &op) == edits[i].touched, "%s", edits[i].op);
        ot_op_free(&op);
    }
    /* Its text, by code points. */
    const char *t = "Déjà « là » 😀 fin";
    char *s = passage_text((passage_range){5, 11}, t, strlen(t));
    ck_assert_str_eq(s, "« là »");
    free(s);
    s = passage_text((passage_range){12, 13}, t, strlen(t));
    ck_assert_str_eq(s, "😀");
    free(s);
    s = passage_text((passage_range){3, 3}, t, strlen(t));
    ck_assert_str_eq(s, "");
    free(s);
    ck_assert_ptr_null(passage_text((passage_range){3, 99}, t, strlen(t)));
    /* Cut past PASSAGE_MAX code points, with "…"; a short text is kept as it is. */
    char *shortt = strdup("« là »");
    ck_assert_ptr_eq(passage_cut(shortt), shortt);
    free(shortt);
    char *longt = malloc(2 * (PASSAGE_MAX + 7) + 1);
    for (int i = 0; i < PASSAGE_MAX + 7; i++) memcpy(longt + 2 * i, "é", 2);
    longt[2 * (PASSAGE_MAX + 7)] = '\0';
    char *cut = passage_cut(longt);
    ck_assert_uint_eq(utf8_count(cut, strlen(cut)), PASSAGE_MAX + 1);
    ck_assert_str_eq(cut + 2 * PASSAGE_MAX, "…");
    free(cut);
    ck_assert_ptr_null(passage_cut(NULL));
    ck_assert_ptr_null(passage_text((passage_range){4, 3}, t, strlen(t)));
}
END_TEST

/* ---- the property ---------------------------------------------------------------- */

/* Every character of every text here is a different code point: original
 * characters from U+4E00, inserted ones from U+AC00 on, so a character is
 * known by its code point wherever the edits take it. */
typedef struct {
    uint32_t next;       /* the next inserted code point */
} minter;

static size_t put_cp(char *out, uint32_t cp) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

/* The code points of UTF-8 t (all three bytes long here). */
static uint32_t *cps_of(const ot_text *t) {
    uint32_t *v = calloc(t->cps + 1, sizeof *v);
    for (size_t i = 0; i < t->cps; i++) {
        const unsigned char *p = (const unsigned char *)t->buf + 3 * i;
        v[i] = ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    }
    return v;
}

/* A random op on a text of n code points: a few skips, inserts and deletes. */
static void random_op(prng *r, size_t n, minter *m, ot_op *op) {
    ot_op_init(op);
    size_t pos = 0;
    size_t edits = 1 + below(r, 3);
    for (size_t k = 0; k < edits; k++) {
        size_t skip = below(r, n - pos + 1);
        if (skip) ot_op_push(op, OT_SKIP, skip, NULL, 0);
        pos += skip;
        if (below(r, 2) && pos < n) {
            size_t d = 1 + below(r, n - pos < 6 ? n - pos : 6);
            if (below(r, 5) == 0) d = n - pos; /* sometimes to the end: whole passages go */
            ot_op_push(op, OT_DELETE, d, NULL, 0);
            pos += d;
        } else {
            char buf[3 * 4];
            size_t len = 0, count = 1 + below(r, 4);
            for (size_t i = 0; i < count; i++) len += put_cp(buf + len, m->next++);
            ot_op_push(op, OT_INSERT, count, buf, len);
        }
    }
    ot_op_normalize(op);
}

/* Whether cp was one of the original characters in [start, end). */
static bool was_inside(uint32_t cp, passage_range p0) { return cp >= 0x4E00 + p0.start && cp < 0x4E00 + p0.end; }
static bool is_original(uint32_t cp) { return cp >= 0x4E00 && cp < 0xAC00; }

/* The range r of text t is the range of the same characters as p0 was of
 * the original text; deleted_all: op one deleted every one of them. */
static void check_range(uint64_t seed, const ot_text *t, passage_range r, passage_range p0, bool deleted_all) {
    EXPECT(r.start <= r.end && r.end <= t->cps);
    uint32_t *v = cps_of(t);
    for (size_t i = 0; i < t->cps; i++) {
        if (!is_original(v[i])) continue;
        bool inside = i >= r.start && i < r.end;
        EXPECT(inside == was_inside(v[i], p0));
    }
    if (deleted_all) EXPECT(r.start == r.end);
    free(v);
}

/* Whether op deletes every character of p0 (on the original text) and
 * inserts nothing: a passage replaced in one edit (deleted, and text typed
 * at its start) is the new text, one deleted alone is empty. */
static bool deletes_all(const ot_op *op, passage_range p0) {
    if (p0.start == p0.end) return true;
    size_t at = 0, gone = 0;
    for (size_t i = 0; i < op->n; i++) {
        const ot_comp *c = &op->c[i];
        if (c->kind == OT_INSERT) return false;
        if (c->kind == OT_DELETE) {
            size_t a = at > p0.start ? at : p0.start, b = at + c->n < p0.end ? at + c->n : p0.end;
            if (b > a) gone += b - a;
        }
        at += c->n;
    }
    return gone == p0.end - p0.start;
}

START_TEST(follows_concurrent_edits) {
    for (uint64_t seed = 1; seed <= 3000; seed++) {
        prng r = {seed};
        size_t n = 1 + below(&r, 24);
        char base[3 * 24];
        size_t len = 0;
        for (size_t i = 0; i < n; i++) len += put_cp(base + len, 0x4E00 + (uint32_t)i);
        passage_range p0;
        p0.start = below(&r, n);
        p0.end = p0.start + 1 + below(&r, n - p0.start);
        minter m = {0xAC00};
        ot_op a, b, a2, b2, ab;
        random_op(&r, n, &m, &a);
        random_op(&r, n, &m, &b);
        ot_op_init(&a2);
        ot_op_init(&b2);
        ot_op_init(&ab);
        EXPECT(ot_transform(&b2, &b, &a, OT_RIGHT) == OT_OK);
        EXPECT(ot_transform(&a2, &a, &b, OT_LEFT) == OT_OK);

        /* a then b' */
        ot_text t1, t2;
        EXPECT(ot_text_init(&t1, base, len) == OT_OK);
        char *before = passage_text(p0, t1.buf, t1.len);
        EXPECT(ot_apply(&t1, &a) == OT_OK);
        passage_range r1 = passage_transform(p0, &a);
        /* Not touched: the same text, moved. */
        char *after = passage_text(r1, t1.buf, t1.len);
        EXPECT(before && after);
        if (!passage_touched(p0, &a)) EXPECT(strcmp(before, after) == 0);
        free(before);
        free(after);
        check_range(seed, &t1, r1, p0, deletes_all(&a, p0));
        EXPECT(ot_apply(&t1, &b2) == OT_OK);
        r1 = passage_transform(r1, &b2);
        check_range(seed, &t1, r1, p0, deletes_all(&a, p0));

        /* b then a': the same text, the same characters in the range */
        EXPECT(ot_text_init(&t2, base, len) == OT_OK);
        EXPECT(ot_apply(&t2, &b) == OT_OK);
        passage_range r2 = passage_transform(passage_transform(p0, &b), &a2);
        EXPECT(ot_apply(&t2, &a2) == OT_OK);
        EXPECT(t1.len == t2.len && memcmp(t1.buf, t2.buf, t1.len) == 0);
        check_range(seed, &t2, r2, p0, deletes_all(&b, p0));

        /* Over the composition of a and b', as over each in turn. */
        EXPECT(ot_compose(&ab, &a, &b2) == OT_OK);
        passage_range rc = passage_transform(p0, &ab);
        check_range(seed, &t1, rc, p0, false);

        ot_text_free(&t1);
        ot_text_free(&t2);
        ot_op_free(&a);
        ot_op_free(&b);
        ot_op_free(&a2);
        ot_op_free(&b2);
        ot_op_free(&ab);
    }
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("passage");
    TCase *tc = tcase_create("passage");
    tcase_add_test(tc, each_rule);
    tcase_add_test(tc, follows_concurrent_edits);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
