/* test_workshop.c -- the workshop model: participants and their secrets, the
 * rate-limit bucket, the window of committed ops, and the op pipeline
 * (submit -> batch_form -> commit / abort), ending with a randomised property
 * test in which ShareDB-style clients must all converge on the server's text.
 *
 * The model is pure, so the shell's role (Redis accepting or refusing a batch,
 * another server process committing first, sockets delivering acks and ops) is
 * played here by hand. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "core/ot.h"
#include "core/ot_json.h"
#include "core/utf8.h"
#include "core/workshop.h"
#include "test_prng.h"

/* Participant ids are "p" + 16 base64url characters; secrets 22. */
#define PID_A "pAAAAAAAAAAAAAAAA"
#define PID_B "pBBBBBBBBBBBBBBBB"
#define PID_C "pCCCCCCCCCCCCCCCC"
#define PID_R "pRRRRRRRRRRRRRRRR" /* an author on another server process */
#define SECRET_A "sAAAAAAAAAAAAAAAAAAAAA"
#define SECRET_B "sBBBBBBBBBBBBBBBBBBBBB"
#define SECRET_C "sCCCCCCCCCCCCCCCCCCCCC"

enum { A = 0, B = 1, C = 2 };

/* ---- helpers ------------------------------------------------------------- */

static ot_op mkop(const char *json) {
    ot_op op;
    ot_op_init(&op);
    ck_assert_msg(ot_op_parse(json, strlen(json), &op) == OT_OK, "bad test op %s", json);
    return op;
}

static char *op_json(const ot_op *op) {
    size_t n = ot_op_json_size(op);
    char *s = malloc(n + 1);
    *ot_op_write_json(op, s) = '\0';
    return s;
}

/* A workshop at revision 0 with `text`, and participants A (facilitator), B, C. */
static workshop *mkws(const char *text, size_t window) {
    workshop *w = wk_new("q3mS0t4rVZ2bJ9m6cQe1xA", "Partenariat", "fkey-0123456789", 1795833600000LL, window);
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(wk_load_snapshot(w, 0, text, strlen(text)), OT_OK);
    ck_assert_int_eq(wk_add_participant(w, PID_A, SECRET_A, "Awa", "Ville de Lyon", WK_FACILITATOR), A);
    ck_assert_int_eq(wk_add_participant(w, PID_B, SECRET_B, "Jean", "Banque", WK_PARTICIPANT), B);
    ck_assert_int_eq(wk_add_participant(w, PID_C, SECRET_C, "Zoé", "Association", WK_PARTICIPANT), C);
    return w;
}

/* Submit an op given as JSON. The model consumes the op whenever it answers
 * OK (queued, or a duplicate); on an error the caller keeps it. */
static proto_err submit(workshop *w, uint64_t conn, uint32_t who, const char *opid, int64_t base, const char *json,
                        int64_t *dup_rev) {
    ot_op op = mkop(json);
    size_t n = op.n;
    int64_t dup = -2;
    const char *why = NULL;
    proto_err e = wk_submit(w, conn, who, opid, base, &op, &dup, &why);
    ck_assert_int_ne(dup, -2);
    if (e != PROTO_OK) {
        ck_assert_ptr_nonnull(why);
        ck_assert_uint_eq(op.n, n); /* still the caller's */
    } else {
        ck_assert_uint_eq(op.n, 0);
        ck_assert_ptr_null(op.c);
    }
    ot_op_free(&op);
    if (dup_rev) *dup_rev = dup;
    return e;
}

static void submit_ok(workshop *w, uint64_t conn, uint32_t who, const char *opid, int64_t base, const char *json) {
    int64_t dup;
    ck_assert_int_eq(submit(w, conn, who, opid, base, json, &dup), PROTO_OK);
    ck_assert_int_eq(dup, -1);
}

typedef struct {
    uint64_t conn;
    char opid[96];
    proto_err err;
    int64_t ack_rev;
    char why[160];
} refusal;

typedef struct {
    refusal r[32];
    size_t n;
} refusals;

static void on_refuse(void *ud, const wk_submission *s, proto_err err, const char *why, int64_t ack_rev) {
    refusals *rs = ud;
    ck_assert_uint_lt(rs->n, 32);
    refusal *r = &rs->r[rs->n++];
    r->conn = s->conn;
    snprintf(r->opid, sizeof r->opid, "%s", s->opid);
    r->err = err;
    r->ack_rev = ack_rev;
    snprintf(r->why, sizeof r->why, "%s", why ? why : "");
    if (err == PROTO_OK) ck_assert_int_ge(ack_rev, 0);
    else ck_assert_msg(why && why[0], "a refusal without a reason");
}

static void no_refuse(void *ud, const wk_submission *s, proto_err err, const char *why, int64_t ack_rev) {
    ck_assert_msg(0, "unexpected refusal of %s: %s (%s)", s->opid, proto_err_code(err), why ? why : "");
}

/* Form one batch and commit it; returns the first revision. */
static int64_t form_commit(workshop *w, size_t max, size_t want) {
    size_t n = wk_batch_form(w, max, no_refuse, NULL);
    ck_assert_uint_eq(n, want);
    int64_t first = wk_batch_commit(w, "1-0");
    wk_batch_clear(w);
    return first;
}

/* doc after ops[0..n) applied in order. */
static char *apply_all(const char *doc, const ot_op *ops, size_t n) {
    ot_text t;
    ck_assert_int_eq(ot_text_init(&t, doc, strlen(doc)), OT_OK);
    for (size_t i = 0; i < n; i++) ck_assert_int_eq(ot_apply(&t, &ops[i]), OT_OK);
    char *s = strdup(t.buf);
    ot_text_free(&t);
    return s;
}

/* op transformed (side left) over others[0..n), in order. */
static ot_op over(const ot_op *op, const ot_op *others, size_t n) {
    ot_op r;
    ot_op_init(&r);
    ck_assert_int_eq(ot_op_copy(&r, op), OT_OK);
    for (size_t i = 0; i < n; i++) {
        ot_op t;
        ot_op_init(&t);
        ck_assert_int_eq(ot_transform(&t, &r, &others[i], OT_LEFT), OT_OK);
        ot_op_free(&r);
        r = t;
    }
    return r;
}

static void free_ops(ot_op *ops, size_t n) {
    for (size_t i = 0; i < n; i++) ot_op_free(&ops[i]);
}

static void apply_remote(workshop *w, const char *json, const char *opid) {
    ck_assert_int_eq(wk_apply_committed(w, w->rev, json, strlen(json), PID_R, opid, "9-0"), OT_OK);
}

/* ---- limits: the window's byte budget, the rebase bound, the statement's size */

/* An op of `pairs` pairs [1,"a",1,"a",…] as JSON: 2 × pairs components. */
static char *pairs_op(size_t pairs) {
    char *s = malloc(pairs * 6 + 3), *p = s;
    *p++ = '[';
    for (size_t i = 0; i < pairs; i++) p += sprintf(p, "%s1,\"a\"", i ? "," : "");
    *p++ = ']';
    *p = '\0';
    return s;
}

/* A workshop whose text is long enough for pairs_op(512), window 1000. */
static workshop *mkws_long(void) {
    char text[1100];
    memset(text, 'x', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    return mkws(text, 1000);
}

START_TEST(test_window_entries_are_packed) {
    workshop *w = mkws("abc", 10);
    submit_ok(w, 1, A, "\"a\"", 0, "[1,\"x\",1,{\"d\":\"c\"}]");
    form_commit(w, 10, 1);
    const wk_entry *e = wk_window_at(w, 0);
    ck_assert(e->op.packed);
    ck_assert_str_eq(e->opjson, "[1,\"x\",1,{\"d\":\"c\"}]");
    ck_assert_str_eq(e->opid, "\"a\"");
    ck_assert_str_eq(e->op.c[1].s, "x");
    ck_assert_str_eq(e->op.c[3].s, "c");
    /* the block holds the components, their strings, the JSON and the id */
    ck_assert_uint_eq(e->bytes, sizeof *e + 4 * sizeof(ot_comp) + 2 + 2 + e->opjson_len + 1 + 4);
    ck_assert_uint_eq(w->win_bytes, e->bytes);
    ck_assert_str_eq(w->text.buf, "axb");
    wk_free(w);
}
END_TEST

START_TEST(test_window_byte_budget_evicts_oldest_but_not_the_batch) {
    workshop *w = mkws("", 100);
    submit_ok(w, 1, A, "\"a0\"", 0, "[\"0123456789\"]");
    form_commit(w, 10, 1);
    size_t one = w->win_bytes;
    wk_set_window_bytes(w, 3 * one); /* three such ops */
    for (int i = 1; i < 6; i++) {
        char id[16];
        snprintf(id, sizeof id, "\"a%d\"", i);
        submit_ok(w, 1, A, id, w->rev, "[\"0123456789\"]");
        form_commit(w, 10, 1);
        ck_assert_uint_le(w->win_bytes, 3 * one);
    }
    ck_assert_uint_eq(w->win_len, 3);
    ck_assert(!wk_window_has(w, 2));
    ck_assert(wk_window_has(w, 3));
    /* an op from before the budget's window is stale */
    ck_assert_int_eq(submit(w, 1, B, "\"b\"", 2, "[\"z\"]", NULL), PROTO_ESTALE);
    /* a batch of five stays whole until its acks are read, however big */
    for (int i = 0; i < 5; i++) {
        char id[16];
        snprintf(id, sizeof id, "\"c%d\"", i);
        submit_ok(w, 1, C, id, w->rev, "[\"0123456789\"]");
    }
    int64_t first = form_commit(w, 10, 5);
    ck_assert_int_eq(first, 6);
    ck_assert_uint_eq(w->win_len, 5);
    for (int64_t r = first; r < first + 5; r++) ck_assert_ptr_nonnull(wk_window_at(w, r));
    /* ... and leaves at the next commit */
    submit_ok(w, 1, B, "\"b2\"", w->rev, "[\"z\"]");
    form_commit(w, 10, 1);
    ck_assert_uint_le(w->win_bytes, 3 * one);
    /* loaded ops from Redis keep the budget too */
    for (int i = 0; i < 5; i++) apply_remote(w, "[\"0123456789\"]", NULL);
    ck_assert_uint_le(w->win_bytes, 3 * one);
    wk_free(w);
}
END_TEST

START_TEST(test_rebase_bound_refuses_stale_without_work) {
    workshop *w = mkws_long();
    char *big = pairs_op(512); /* 1024 components */
    int n = WK_REBASE_WORK_MAX / 2048 + 1; /* big ops: past the bound for a late op of 1024 components */
    for (int i = 0; i < n; i++) {
        char id[16];
        snprintf(id, sizeof id, "\"a%d\"", i);
        submit_ok(w, 1, A, id, w->rev, big);
        form_commit(w, 10, 1);
    }
    uint64_t work = w->rebase_work;
    /* refused at submit */
    ck_assert_int_eq(submit(w, 2, B, "\"late\"", 0, big, NULL), PROTO_ESTALE);
    ck_assert_uint_eq(w->rebase_work, work);
    /* refused when the batch is formed: the window grew after it was queued */
    submit_ok(w, 2, B, "\"late2\"", w->rev - (WK_REBASE_WORK_MAX / 2048 - 2), big);
    for (int i = 0; i < 4; i++) apply_remote(w, big, NULL);
    submit_ok(w, 3, C, "\"recent\"", w->rev, "[\"y\"]");
    refusals rs = {0};
    work = w->rebase_work;
    ck_assert_uint_eq(wk_batch_form(w, 10, on_refuse, &rs), 1);
    ck_assert_uint_eq(rs.n, 1);
    ck_assert_int_eq(rs.r[0].err, PROTO_ESTALE);
    ck_assert_str_eq(rs.r[0].opid, "\"late2\"");
    ck_assert_uint_eq(w->rebase_work, work); /* the recent op cost nothing to move */
    wk_batch_commit(w, NULL);
    wk_batch_clear(w);
    /* a typed character a few big ops behind still goes through */
    submit_ok(w, 3, C, "\"near\"", w->rev - 3, "[\"q\"]");
    form_commit(w, 10, 1);
    ck_assert_uint_gt(w->rebase_work, work);
    free(big);
    wk_free(w);
}
END_TEST

START_TEST(test_batch_stops_at_its_work_bound) {
    workshop *w = mkws_long();
    char *big = pairs_op(512);
    for (int i = 0; i < 100; i++) apply_remote(w, big, NULL);
    /* each 100 ops behind (and over the batch before it): under the op's
     * bound, but together past the batch's */
    _Static_assert(107 * 2048 < WK_REBASE_WORK_MAX && 5 * 102 * 2048 < WK_BATCH_WORK_MAX &&
                   (100 + 101 + 102 + 103 + 104 + 105) * 2048 > WK_BATCH_WORK_MAX, "the test's shape");
    int per = 100, k = 8;
    for (int i = 0; i < k; i++) {
        char id[16];
        snprintf(id, sizeof id, "\"s%d\"", i);
        submit_ok(w, 1, (uint32_t)(i % 3), id, w->rev - per, big);
    }
    size_t first = wk_batch_form(w, 256, no_refuse, NULL);
    ck_assert_uint_eq(first, 5);
    ck_assert_uint_eq(w->qlen, (size_t)k - first); /* the rest waits, queued */
    wk_batch_commit(w, NULL);
    wk_batch_clear(w);
    free(big);
    wk_free(w);
}
END_TEST

START_TEST(test_statement_size_limit) {
    workshop *w = mkws("", 100);
    size_t chunk = 60000;
    char *json = malloc(chunk + 8);
    json[0] = '[';
    json[1] = '"';
    memset(json + 2, 'a', chunk);
    strcpy(json + 2 + chunk, "\"]");
    int i = 0;
    while (w->text.len + chunk <= PROTO_TEXT_MAX) {
        char id[16];
        snprintf(id, sizeof id, "\"a%d\"", i++);
        submit_ok(w, 1, A, id, w->rev, json);
        form_commit(w, 10, 1);
    }
    size_t len = w->text.len;
    int64_t rev = w->rev;
    submit_ok(w, 1, A, "\"over\"", w->rev, json);
    refusals rs = {0};
    ck_assert_uint_eq(wk_batch_form(w, 10, on_refuse, &rs), 0);
    ck_assert_uint_eq(rs.n, 1);
    ck_assert_int_eq(rs.r[0].err, PROTO_ETOO_LARGE);
    ck_assert_uint_eq(w->text.len, len);
    ck_assert_int_eq(w->rev, rev);
    /* replacing text with as much is fine: what counts is the length after */
    snprintf(json, chunk + 8, "[{\"d\":10},\"0123456789\"]");
    submit_ok(w, 1, A, "\"same\"", w->rev, json);
    form_commit(w, 10, 1);
    ck_assert_uint_eq(w->text.len, len);
    free(json);
    wk_free(w);
}
END_TEST

/* ---- participants, secrets, rate limit ------------------------------------ */

START_TEST(test_new_workshop_is_empty) {
    workshop *w = wk_new("ws", "Titre", "key", 42, 10);
    ck_assert_ptr_nonnull(w);
    ck_assert_str_eq(w->id, "ws");
    ck_assert_str_eq(w->title, "Titre");
    ck_assert_int_eq(w->created, 42);
    ck_assert_int_eq(w->rev, 0);
    ck_assert_str_eq(wk_committed_text(w)->buf, "");
    ck_assert(wk_window_has(w, 0));
    ck_assert(!wk_window_has(w, 1));
    ck_assert_ptr_null(wk_window_at(w, 0));
    ck_assert_uint_eq(wk_batch_form(w, 10, no_refuse, NULL), 0);
    wk_free(w);
    wk_free(NULL);
}
END_TEST

START_TEST(test_participant_add_find) {
    workshop *w = mkws("", 10);
    ck_assert_int_eq(wk_find_participant(w, PID_A), A);
    ck_assert_int_eq(wk_find_participant(w, PID_B), B);
    ck_assert_int_eq(wk_find_participant(w, PID_C), C);
    ck_assert_int_eq(wk_find_participant(w, "pZZZZZZZZZZZZZZZZ"), -1);
    ck_assert_int_eq(wk_find_participant(w, ""), -1);
    ck_assert_int_eq(wk_find_participant(w, "pAAAAAAAAAAAAAAA"), -1); /* a prefix */
    const wk_participant *a = &w->people[A];
    ck_assert_str_eq(a->name, "Awa");
    ck_assert_str_eq(a->org, "Ville de Lyon");
    ck_assert(wk_is_facilitator(a));
    ck_assert(!wk_is_facilitator(&w->people[B]));
    ck_assert_ptr_null(a->last_opid);
    ck_assert_int_eq(a->online, 0);
    /* Past the initial capacity: earlier entries stay findable. */
    char id[WK_PID_LEN + 1];
    for (int i = 0; i < 40; i++) {
        snprintf(id, sizeof id, "p%016d", i);
        ck_assert_int_eq(wk_add_participant(w, id, SECRET_C, "N", "O", WK_PARTICIPANT), 3 + i);
    }
    for (int i = 0; i < 40; i++) {
        snprintf(id, sizeof id, "p%016d", i);
        ck_assert_int_eq(wk_find_participant(w, id), 3 + i);
    }
    ck_assert_int_eq(wk_find_participant(w, PID_C), C);
    ck_assert_str_eq(w->people[C].name, "Zoé");
    wk_free(w);
}
END_TEST

/* Thousands of people (an assembly): each found by id through the table,
 * grown as they come; an unknown id is not. */
START_TEST(test_find_among_thousands) {
    workshop *w = mkws("", 10);
    size_t before = w->npeople;
    char id[WK_PID_LEN + 1];
    for (int i = 0; i < 5000; i++) {
        snprintf(id, sizeof id, "p%016d", i);
        ck_assert_int_eq(wk_add_participant(w, id, "", "N", "O", WK_PARTICIPANT), (int)before + i);
    }
    ck_assert_uint_ge(w->by_id_cap, 2 * w->npeople);
    for (int i = 0; i < 5000; i++) {
        snprintf(id, sizeof id, "p%016d", i);
        ck_assert_int_eq(wk_find_participant(w, id), (int)before + i);
    }
    ck_assert_int_eq(wk_find_participant(w, "pZZZZZZZZZZZZZZZZ"), -1);
    ck_assert_int_eq(wk_find_participant(w, PID_A), A);
    wk_free(w);
}
END_TEST

START_TEST(test_same_org) {
    workshop *w = mkws("", 10);
    ck_assert_str_eq(wk_same_org(w, "banque"), "Banque");
    ck_assert_str_eq(wk_same_org(w, "  VILLE de   lyon "), "Ville de Lyon");
    ck_assert_ptr_null(wk_same_org(w, "Banque populaire"));
    ck_assert_ptr_null(wk_same_org(w, "Associations"));
    /* The first spelling stays the one joins are given. */
    ck_assert_int_eq(wk_add_participant(w, "pDDDDDDDDDDDDDDDD", SECRET_C, "Dan", "Coop\xc3\xa9rative", WK_PARTICIPANT), 3);
    ck_assert_str_eq(wk_same_org(w, "COOP\xc3\x89RATIVE"), "Coop\xc3\xa9rative");
    /* Remembered, and read again when the person remembered no longer
     * counts: an observer now (their record was read again). */
    ck_assert_uint_eq(w->norgs, 3);
    ck_assert_str_eq(wk_same_org(w, "BANQUE"), "Banque");
    ck_assert_uint_eq(w->norgs, 3);
    w->people[w->orgs[0].first].role = WK_OBSERVER;
    ck_assert_ptr_null(wk_same_org(w, "banque"));
    ck_assert_int_eq(wk_add_participant(w, "pEEEEEEEEEEEEEEEE", SECRET_C, "Eve", "BANQUE", WK_PARTICIPANT), 4);
    ck_assert_str_eq(wk_same_org(w, "banque"), "BANQUE");
    ck_assert_uint_eq(w->norgs, 3);
    wk_free(w);
}
END_TEST

START_TEST(test_token_right) {
    workshop *w = mkws("", 10);
    ck_assert_int_eq(wk_check_token(w, PID_A "." SECRET_A), A);
    ck_assert_int_eq(wk_check_token(w, PID_B "." SECRET_B), B);
    ck_assert_int_eq(wk_check_token(w, PID_C "." SECRET_C), C);
    wk_free(w);
}
END_TEST

START_TEST(test_token_wrong) {
    workshop *w = mkws("", 10);
    /* Another participant's secret, same length. */
    ck_assert_int_eq(wk_check_token(w, PID_A "." SECRET_B), -1);
    /* Same length, last character wrong; first character wrong. */
    ck_assert_int_eq(wk_check_token(w, PID_A ".sAAAAAAAAAAAAAAAAAAAAB"), -1);
    ck_assert_int_eq(wk_check_token(w, PID_A ".tAAAAAAAAAAAAAAAAAAAAA"), -1);
    /* Wrong length: a prefix, an extension, nothing. */
    ck_assert_int_eq(wk_check_token(w, PID_A ".sAAAAAAAAAAAAAAAAAAAA"), -1);
    ck_assert_int_eq(wk_check_token(w, PID_A "." SECRET_A "A"), -1);
    ck_assert_int_eq(wk_check_token(w, PID_A "."), -1);
    /* Unknown id, id of the wrong length, no dot, empty. */
    ck_assert_int_eq(wk_check_token(w, "pZZZZZZZZZZZZZZZZ." SECRET_A), -1);
    ck_assert_int_eq(wk_check_token(w, "pAAAAAAAAAAAAAAA." SECRET_A), -1);
    ck_assert_int_eq(wk_check_token(w, "pAAAAAAAAAAAAAAAAA." SECRET_A), -1);
    ck_assert_int_eq(wk_check_token(w, PID_A SECRET_A), -1);
    ck_assert_int_eq(wk_check_token(w, ""), -1);
    ck_assert_int_eq(wk_check_token(w, "."), -1);
    wk_free(w);
}
END_TEST

/* Authors learnt from other processes' ops have no secret here: no token names them. */
START_TEST(test_token_of_secretless_participant) {
    workshop *w = mkws("abc", 10);
    apply_remote(w, "[\"x\"]", NULL);
    int r = wk_find_participant(w, PID_R);
    ck_assert_int_ge(r, 0);
    ck_assert_str_eq(w->people[r].secret, "");
    ck_assert_int_eq(wk_check_token(w, PID_R "."), -1);
    ck_assert_int_eq(wk_check_token(w, PID_R ".x"), -1);
    wk_free(w);
}
END_TEST

START_TEST(test_facilitator_key) {
    workshop *w = mkws("", 10);
    ck_assert(wk_check_key(w, "fkey-0123456789"));
    ck_assert(!wk_check_key(w, "fkey-0123456788"));
    ck_assert(!wk_check_key(w, "fkey-012345678"));
    ck_assert(!wk_check_key(w, "fkey-01234567890"));
    ck_assert(!wk_check_key(w, ""));
    wk_free(w);
    /* A workshop whose key is unknown accepts none, not even "". */
    w = wk_new("ws", "t", "", 0, 4);
    ck_assert(!wk_check_key(w, ""));
    ck_assert(!wk_check_key(w, "x"));
    wk_free(w);
}
END_TEST

START_TEST(test_rate_burst_then_refill) {
    workshop *w = mkws("", 10);
    wk_rate *p = &w->people[A].rate;
    const double rate = 10, burst = 5;
    int64_t t = 1000000;
    for (int i = 0; i < 5; i++) ck_assert_msg(wk_rate_take(p, t, rate, burst), "burst message %d refused", i);
    ck_assert(!wk_rate_take(p, t, rate, burst));
    ck_assert(!wk_rate_take(p, t + 50000, rate, burst)); /* half a token */
    ck_assert(wk_rate_take(p, t + 100000, rate, burst)); /* the other half arrived */
    ck_assert(!wk_rate_take(p, t + 100000, rate, burst));
    /* A long pause refills up to the burst, not beyond. */
    t += 60 * 1000000LL;
    for (int i = 0; i < 5; i++) ck_assert(wk_rate_take(p, t, rate, burst));
    ck_assert(!wk_rate_take(p, t, rate, burst));
    /* A clock going backwards earns nothing. */
    ck_assert(!wk_rate_take(p, t - 10 * 1000000LL, rate, burst));
    ck_assert(!wk_rate_take(p, t, rate, burst));
    /* Sustained: one message per 1/rate second always passes. */
    for (int i = 1; i <= 100; i++) ck_assert(wk_rate_take(p, t + i * 100000LL, rate, burst));
    /* Buckets are per participant. */
    ck_assert(wk_rate_take(&w->people[B].rate, t, rate, burst));
    wk_free(w);
}
END_TEST

/* ---- the window of committed ops ---------------------------------------- */

START_TEST(test_window_ring_evicts_oldest) {
    workshop *w = mkws("", 4);
    char json[32];
    for (int i = 0; i < 6; i++) {
        if (i) snprintf(json, sizeof json, "[%d,\"%c\"]", i, 'a' + i);
        else snprintf(json, sizeof json, "[\"%c\"]", 'a' + i);
        ck_assert_int_eq(wk_apply_committed(w, i, json, strlen(json), PID_R, NULL, NULL), OT_OK);
    }
    ck_assert_str_eq(w->text.buf, "abcdef");
    ck_assert_int_eq(w->rev, 6);
    ck_assert_uint_eq(w->win_len, 4);
    /* Revisions 2..5 are kept; an op at 2..6 can still be transformed. */
    ck_assert(!wk_window_has(w, 0));
    ck_assert(!wk_window_has(w, 1));
    ck_assert(wk_window_has(w, 2));
    ck_assert(wk_window_has(w, 6));
    ck_assert(!wk_window_has(w, 7));
    ck_assert(!wk_window_has(w, -1));
    ck_assert_ptr_null(wk_window_at(w, 1));
    ck_assert_ptr_null(wk_window_at(w, 6));
    ck_assert_ptr_null(wk_window_at(w, -1));
    for (int r = 2; r < 6; r++) {
        const wk_entry *e = wk_window_at(w, r);
        ck_assert_ptr_nonnull(e);
        ck_assert_int_eq(e->rev, r);
        snprintf(json, sizeof json, "[%d,\"%c\"]", r, 'a' + r);
        ck_assert_str_eq(e->opjson, json);
        ck_assert_uint_eq(e->opjson_len, strlen(json));
        ck_assert_uint_eq(e->op.n, 2);
        ck_assert_str_eq(w->people[e->author].id, PID_R);
    }
    wk_free(w);
}
END_TEST

START_TEST(test_window_of_one) {
    workshop *w = mkws("", 0); /* 0 means 1 */
    apply_remote(w, "[\"a\"]", NULL);
    apply_remote(w, "[1,\"b\"]", NULL);
    ck_assert(!wk_window_has(w, 0));
    ck_assert(wk_window_has(w, 1));
    ck_assert_str_eq(wk_window_at(w, 1)->opjson, "[1,\"b\"]");
    ck_assert_ptr_null(wk_window_at(w, 0));
    wk_free(w);
}
END_TEST

START_TEST(test_window_evicts_across_batches) {
    workshop *w = mkws("", 3);
    char id[16], json[32];
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof id, "\"%d\"", i);
        snprintf(json, sizeof json, "[\"%d\"]", i);
        submit_ok(w, 1, (uint32_t)(i % 2), id, w->rev, json);
        if (i % 2 == 1) ck_assert_int_eq(form_commit(w, 10, 2), i - 1);
    }
    ck_assert_int_eq(form_commit(w, 10, 1), 4);
    ck_assert_str_eq(w->text.buf, "43210"); /* in each pair the later op went left */
    ck_assert_int_eq(w->rev, 5);
    ck_assert(!wk_window_has(w, 1));
    for (int r = 2; r < 5; r++) {
        snprintf(id, sizeof id, "\"%d\"", r);
        ck_assert_str_eq(wk_window_at(w, r)->opid, id);
    }
    wk_free(w);
}
END_TEST

/* The ring starts small and grows on demand up to its maximum; the order of
 * the kept ops survives every growth and the wrap-around after it. */
START_TEST(test_window_grows_then_wraps) {
    workshop *w = mkws("", 40);
    char json[32];
    for (int i = 0; i < 100; i++) {
        if (i) snprintf(json, sizeof json, "[%d,\"%c\"]", i, 'a' + i % 26);
        else snprintf(json, sizeof json, "[\"a\"]");
        ck_assert_int_eq(wk_apply_committed(w, i, json, strlen(json), PID_R, NULL, NULL), OT_OK);
        int64_t oldest = i + 1 > 40 ? i + 1 - 40 : 0;
        ck_assert_uint_le(w->win_cap, 40);
        ck_assert(wk_window_has(w, oldest));
        ck_assert(oldest == 0 || !wk_window_has(w, oldest - 1));
        for (int64_t r = oldest; r <= i; r++) ck_assert_int_eq(wk_window_at(w, r)->rev, r);
    }
    ck_assert_uint_eq(w->win_len, 40);
    ck_assert_uint_eq(w->text.cps, 100);
    ck_assert_str_eq(wk_window_at(w, 99)->opjson, "[99,\"v\"]");
    wk_free(w);
}
END_TEST

/* ---- loading -------------------------------------------------------------- */

START_TEST(test_load_snapshot_then_committed_ops) {
    workshop *w = mkws("", 10);
    ck_assert_int_eq(wk_load_snapshot(w, 10, "Bonjour", 7), OT_OK);
    ck_assert_int_eq(w->rev, 10);
    ck_assert_int_eq(w->snap_rev, 10);
    ck_assert(wk_window_has(w, 10));
    ck_assert(!wk_window_has(w, 9));
    const char *op = "[7,\" à tous 😀\"]";
    ck_assert_int_eq(wk_apply_committed(w, 10, op, strlen(op), PID_R, "\"o1\"", "1700000000000-0"), OT_OK);
    ck_assert_int_eq(w->rev, 11);
    ck_assert_str_eq(w->text.buf, "Bonjour à tous 😀");
    ck_assert_uint_eq(w->text.cps, 16);
    ck_assert_str_eq(w->last_event, "1700000000000-0");
    int r = wk_find_participant(w, PID_R);
    ck_assert_int_ge(r, 0);
    const wk_entry *e = wk_window_at(w, 10);
    ck_assert_str_eq(e->opjson, op);
    ck_assert_str_eq(e->opid, "\"o1\"");
    ck_assert_uint_eq(e->author, (uint32_t)r);
    ck_assert_str_eq(w->people[r].last_opid, "\"o1\"");
    ck_assert_int_eq(w->people[r].last_op_rev, 10);
    /* Only the next revision applies. */
    ck_assert_int_eq(wk_apply_committed(w, 10, "[\"x\"]", 5, PID_R, NULL, NULL), OT_EINVALID);
    ck_assert_int_eq(wk_apply_committed(w, 12, "[\"x\"]", 5, PID_R, NULL, NULL), OT_EINVALID);
    /* An op that does not fit, or is not an op, changes nothing. */
    ck_assert_int_ne(wk_apply_committed(w, 11, "[99,\"x\"]", 8, PID_R, NULL, NULL), OT_OK);
    ck_assert_int_ne(wk_apply_committed(w, 11, "[{\"d\":\"xyz\"}]", 13, PID_R, NULL, NULL), OT_OK);
    ck_assert_int_eq(wk_apply_committed(w, 11, "[\"x\"", 4, PID_R, NULL, NULL), OT_EINVALID);
    ck_assert_int_eq(wk_apply_committed(w, 11, "[\"x\"] 1", 7, PID_R, NULL, NULL), OT_EINVALID);
    ck_assert_int_eq(w->rev, 11);
    ck_assert_str_eq(w->text.buf, "Bonjour à tous 😀");
    ck_assert_str_eq(w->last_event, "1700000000000-0");
    /* Only len bytes of the op count. */
    ck_assert_int_eq(wk_apply_committed(w, 11, "[{\"d\":7}]garbage", 9, PID_A, "", NULL), OT_OK);
    ck_assert_str_eq(w->text.buf, " à tous 😀");
    ck_assert_str_eq(wk_window_at(w, 11)->opjson, "[{\"d\":7}]");
    ck_assert_ptr_null(w->people[A].last_opid); /* no id, nothing to de-duplicate */
    ck_assert_str_eq(w->last_event, "1700000000000-0"); /* NULL event id: unchanged */
    /* A newer snapshot replaces everything. */
    ck_assert_int_eq(wk_load_snapshot(w, 20, "neuf", 4), OT_OK);
    ck_assert_int_eq(w->rev, 20);
    ck_assert_str_eq(w->text.buf, "neuf");
    ck_assert(!wk_window_has(w, 11));
    ck_assert_ptr_null(wk_window_at(w, 19));
    wk_free(w);
}
END_TEST

START_TEST(test_load_snapshot_refuses_bad_utf8) {
    workshop *w = mkws("abc", 10);
    ck_assert_int_ne(wk_load_snapshot(w, 5, "a\xffz", 3), OT_OK);
    ck_assert_int_eq(w->rev, 0);
    ck_assert_str_eq(w->text.buf, "abc");
    wk_free(w);
}
END_TEST

/* An op committed by the same participant on another process counts for de-duplication. */
START_TEST(test_committed_elsewhere_dedups) {
    workshop *w = mkws("abc", 10);
    ck_assert_int_eq(wk_apply_committed(w, 0, "[\"x\"]", 5, PID_B, "\"b7\"", "1-0"), OT_OK);
    int64_t dup;
    ck_assert_int_eq(submit(w, 2, B, "\"b7\"", 0, "[\"x\"]", &dup), PROTO_OK);
    ck_assert_int_eq(dup, 0);
    ck_assert_uint_eq(w->qlen, 0);
    ck_assert_str_eq(w->text.buf, "xabc");
    wk_free(w);
}
END_TEST

/* Author ids in the events stream are ids this service made (17 characters).
 * A longer one would be cut on storing and never found again, so one author
 * would become a new participant per op: such history is refused as damaged,
 * and nothing is added. */
START_TEST(test_long_author_id_refused) {
    workshop *w = mkws("", 10);
    size_t before = w->npeople;
    ck_assert_int_eq(wk_apply_committed(w, 0, "[\"a\"]", 5, "p_3fA9kQ-longer-than-17", NULL, NULL), OT_EINVALID);
    size_t added = w->npeople - before;
    int64_t rev = w->rev;
    wk_free(w);
    ck_assert_uint_eq(added, 0);
    ck_assert_int_eq(rev, 0);
}
END_TEST

/* ---- the op pipeline ------------------------------------------------------ */

/* An ended workshop: ops refused with "ended" (nothing queued), except the
 * re-send of an op it took before the end (acknowledged again); which other
 * messages it refuses. */
START_TEST(test_ended_refuses_changes) {
    workshop *w = mkws("Quoi ?", 8);
    submit_ok(w, 1, B, "\"b1\"", 0, "[6, \" Oui.\"]");
    form_commit(w, 8, 1);
    w->ended = true;
    ck_assert_int_eq(submit(w, 2, C, "\"c1\"", 1, "[\"Non. \"]", NULL), PROTO_EENDED);
    ck_assert_uint_eq(w->qlen, 0);
    int64_t dup;
    ck_assert_int_eq(submit(w, 1, B, "\"b1\"", 0, "[6, \" Oui.\"]", &dup), PROTO_OK);
    ck_assert_int_eq(dup, 0);
    struct {
        const char *json;
        bool refused;
    } cases[] = {
        {"{\"type\":\"vote\",\"poll\":\"P\",\"ballot\":0}", true},
        {"{\"type\":\"answer\",\"poll\":\"P\",\"text\":\"x\"}", true},
        {"{\"type\":\"upvote\",\"poll\":\"P\",\"answer\":1}", true},
        {"{\"type\":\"poll_open\",\"poll\":\"P\"}", true},
        {"{\"type\":\"poll_reopen\",\"poll\":\"P\"}", true},
        {"{\"type\":\"poll_create\",\"kind\":\"scale\",\"question\":\"Q ?\",\"open\":true}", true},
        {"{\"type\":\"poll_create\",\"kind\":\"scale\",\"question\":\"Q ?\"}", false},
        {"{\"type\":\"poll_close\",\"poll\":\"P\"}", false},
        {"{\"type\":\"poll_results\",\"poll\":\"P\",\"visibility\":\"revealed\"}", false},
        {"{\"type\":\"poll_delete\",\"poll\":\"P\"}", false},
        {"{\"type\":\"cursor\",\"rev\":0,\"sel\":[0,0]}", false},
        {"{\"type\":\"workshop_reopen\"}", false},
        {"{\"type\":\"op\",\"id\":1,\"rev\":0,\"op\":[\"x\"]}", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        proto_msg m;
        const char *why;
        ck_assert_int_eq(proto_decode(cases[i].json, strlen(cases[i].json), &m, &why), PROTO_OK);
        ck_assert_msg(wk_ended_refuses(w, &m) == cases[i].refused, "%s", cases[i].json);
        w->ended = false;
        ck_assert_msg(!wk_ended_refuses(w, &m), "open: %s", cases[i].json);
        w->ended = true;
        proto_msg_free(&m);
    }
    w->ended = false; /* reopened */
    submit_ok(w, 2, C, "\"c1\"", 1, "[\"Non. \"]");
    wk_free(w);
}
END_TEST

START_TEST(test_submit_form_commit) {
    workshop *w = mkws("Quoi ?", 10);
    submit_ok(w, 11, A, "\"c7-12\"", 0, "[4,{\"d\":1},\"!\"]");
    ck_assert_uint_eq(w->qlen, 1);
    ck_assert_str_eq(w->text.buf, "Quoi ?"); /* queued only */
    ck_assert_uint_eq(wk_batch_form(w, 10, no_refuse, NULL), 1);
    ck_assert(w->in_flight);
    ck_assert_uint_eq(w->qlen, 0);
    ck_assert_str_eq(w->text.buf, "Quoi!?");
    ck_assert_str_eq(wk_committed_text(w)->buf, "Quoi ?");
    ck_assert_int_eq(w->rev, 0);
    ck_assert_str_eq(w->bops[0].opjson, "[4,{\"d\":1},\"!\"]");
    ck_assert_int_eq(w->bops[0].rev, 0);
    /* While in flight nothing else is formed, and remote ops wait. */
    submit_ok(w, 12, B, "\"b1\"", 0, "[\"«\"]");
    ck_assert_uint_eq(wk_batch_form(w, 10, no_refuse, NULL), 0);
    ck_assert_int_eq(wk_apply_committed(w, 0, "[\"x\"]", 5, PID_R, NULL, NULL), OT_EINVALID);

    ck_assert_int_eq(wk_batch_commit(w, "1-0"), 0);
    ck_assert(!w->in_flight);
    ck_assert_int_eq(w->rev, 1);
    ck_assert_str_eq(w->last_event, "1-0");
    ck_assert_str_eq(wk_committed_text(w)->buf, "Quoi!?");
    /* The submissions stay readable for the acks until cleared. */
    ck_assert_uint_eq(w->blen, 1);
    ck_assert_uint_eq(w->batch[0].conn, 11);
    ck_assert_str_eq(w->batch[0].opid, "\"c7-12\"");
    const wk_entry *e = wk_window_at(w, 0);
    ck_assert_str_eq(e->opjson, "[4,{\"d\":1},\"!\"]");
    ck_assert_str_eq(e->opid, "\"c7-12\"");
    ck_assert_uint_eq(e->author, A);
    ck_assert_str_eq(w->people[A].last_opid, "\"c7-12\"");
    ck_assert_int_eq(w->people[A].last_op_rev, 0);
    wk_batch_clear(w);
    ck_assert_uint_eq(w->blen, 0);

    /* B's op, written against revision 0, goes in at revision 1. */
    ck_assert_int_eq(form_commit(w, 10, 1), 1);
    ck_assert_str_eq(w->text.buf, "«Quoi!?");
    ck_assert_int_eq(w->rev, 2);
    wk_free(w);
}
END_TEST

/* Three participants edit "abcdef" at revision 0; one batch. */
START_TEST(test_concurrent_ops_one_batch) {
    const char *doc = "abcdef";
    const char *ja = "[1,\"X\"]", *jb = "[3,{\"d\":\"de\"}]", *jc = "[6,\"Z\"]";
    workshop *w = mkws(doc, 10);
    submit_ok(w, 1, A, "\"a\"", 0, ja);
    submit_ok(w, 2, B, "\"b\"", 0, jb);
    submit_ok(w, 3, C, "\"c\"", 0, jc);
    ck_assert_uint_eq(wk_batch_form(w, 10, no_refuse, NULL), 3);

    ot_op in[3] = {mkop(ja), mkop(jb), mkop(jc)}, done[3];
    done[0] = over(&in[0], NULL, 0);
    done[1] = over(&in[1], done, 1);
    done[2] = over(&in[2], done, 2);
    char *want = apply_all(doc, done, 3);
    ck_assert_str_eq(want, "aXbcfZ");
    ck_assert_str_eq(w->text.buf, want);
    for (int i = 0; i < 3; i++) {
        char *j = op_json(&done[i]);
        ck_assert_str_eq(w->bops[i].opjson, j);
        ck_assert_int_eq(w->bops[i].rev, i);
        free(j);
    }
    ck_assert_int_eq(wk_batch_commit(w, NULL), 0);
    ck_assert_int_eq(w->rev, 3);
    ck_assert_str_eq(w->text.buf, want);
    free(want);
    free_ops(in, 3);
    free_ops(done, 3);
    wk_free(w);
}
END_TEST

/* The same three ops committed one batch at a time, at stale bases 0, 0, 1. */
START_TEST(test_concurrent_ops_stale_bases) {
    const char *doc = "Quoi ?\n\nPourquoi ?\n";
    /* C wrote its op after seeing A's. */
    const char *ja = "[4,{\"d\":1},\"!\"]", *jb = "[8,\"Parce que. \"]", *jc = "[3,{\"d\":\"i!?\"},\"i donc ?\"]";
    workshop *w = mkws(doc, 10);
    submit_ok(w, 1, A, "\"a\"", 0, ja);
    ck_assert_int_eq(form_commit(w, 10, 1), 0);
    submit_ok(w, 2, B, "\"b\"", 0, jb);
    ck_assert_int_eq(form_commit(w, 10, 1), 1);
    submit_ok(w, 3, C, "\"c\"", 1, jc);
    ck_assert_int_eq(form_commit(w, 10, 1), 2);

    ot_op in[3] = {mkop(ja), mkop(jb), mkop(jc)}, done[3];
    char *after_a = apply_all(doc, in, 1);
    ck_assert_str_eq(after_a, "Quoi!?\n\nPourquoi ?\n");

    done[0] = over(&in[0], NULL, 0);
    done[1] = over(&in[1], done, 1);
    done[2] = over(&in[2], done + 1, 1);
    char *want = apply_all(doc, done, 3);
    ck_assert_str_eq(w->text.buf, want);
    ck_assert_str_eq(want, "Quoi donc ?\n\nParce que. Pourquoi ?\n");
    free(want);
    free(after_a);
    free_ops(in, 3);
    free_ops(done, 3);
    wk_free(w);
}
END_TEST

/* Two inserts at one position: the op arriving second takes side left and goes first. */
START_TEST(test_incoming_op_takes_left_side) {
    workshop *w = mkws("abc", 10);
    submit_ok(w, 1, A, "\"a\"", 0, "[1,\"X\"]");
    ck_assert_int_eq(form_commit(w, 10, 1), 0);
    submit_ok(w, 2, B, "\"b\"", 0, "[1,\"Y\"]");
    ck_assert_int_eq(form_commit(w, 10, 1), 1);
    ck_assert_str_eq(w->text.buf, "aYXbc");
    ck_assert_str_eq(wk_window_at(w, 1)->opjson, "[1,\"Y\"]");
    wk_free(w);
    /* Within one batch the same rule holds between its ops. */
    w = mkws("abc", 10);
    submit_ok(w, 1, A, "\"a\"", 0, "[1,\"X\"]");
    submit_ok(w, 2, B, "\"b\"", 0, "[1,\"Y\"]");
    ck_assert_int_eq(form_commit(w, 10, 2), 0);
    ck_assert_str_eq(w->text.buf, "aYXbc");
    wk_free(w);
}
END_TEST

START_TEST(test_batch_max_and_window_clamp) {
    workshop *w = mkws("", 2);
    char id[8];
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof id, "%d", i);
        submit_ok(w, 1, (uint32_t)(i % 3), id, 0, "[\"x\"]");
    }
    ck_assert_uint_eq(wk_batch_form(w, 100, no_refuse, NULL), 2); /* never more than the window */
    ck_assert_uint_eq(w->qlen, 3);
    ck_assert_int_eq(wk_batch_commit(w, NULL), 0);
    wk_batch_clear(w);
    ck_assert_uint_eq(wk_batch_form(w, 1, no_refuse, NULL), 1);
    ck_assert_str_eq(w->batch[0].opid, "2"); /* in submission order */
    wk_batch_commit(w, NULL);
    wk_batch_clear(w);
    ck_assert_uint_eq(wk_batch_form(w, 0, no_refuse, NULL), 0);
    ck_assert(!w->in_flight);
    ck_assert_uint_eq(w->qlen, 2);
    wk_free(w);
}
END_TEST

/* ---- de-duplication ------------------------------------------------------- */

START_TEST(test_dup_after_commit_acked_at_original_rev) {
    workshop *w = mkws("abc", 10);
    submit_ok(w, 1, A, "\"c1\"", 0, "[\"x\"]");
    ck_assert_int_eq(form_commit(w, 10, 1), 0);
    submit_ok(w, 1, B, "\"b1\"", 1, "[\"y\"]");
    ck_assert_int_eq(form_commit(w, 10, 1), 1);
    int64_t dup;
    /* Re-sent after a reconnect: the same base, or a later one. */
    ck_assert_int_eq(submit(w, 9, A, "\"c1\"", 0, "[\"x\"]", &dup), PROTO_OK);
    ck_assert_int_eq(dup, 0);
    ck_assert_int_eq(submit(w, 9, A, "\"c1\"", 2, "[\"x\"]", &dup), PROTO_OK);
    ck_assert_int_eq(dup, 0);
    ck_assert_uint_eq(w->qlen, 0);
    ck_assert_str_eq(w->text.buf, "yxabc");
    /* Another participant may use the same id; an integer id is another id. */
    ck_assert_int_eq(submit(w, 2, B, "\"c1\"", 2, "[\"z\"]", &dup), PROTO_OK);
    ck_assert_int_eq(dup, -1);
    ck_assert_int_eq(submit(w, 1, A, "1", 2, "[\"z\"]", &dup), PROTO_OK);
    ck_assert_int_eq(dup, -1);
    ck_assert_uint_eq(w->qlen, 2);
    wk_free(w);
}
END_TEST

/* The client reconnected and re-sent its op while the original was in
 * flight: nothing is queued, and the ack moves to the new connection. */
START_TEST(test_resend_while_twin_in_flight) {
    workshop *w = mkws("abc", 10);
    submit_ok(w, 1, A, "\"c1\"", 0, "[\"x\"]");
    ck_assert_uint_eq(wk_batch_form(w, 10, no_refuse, NULL), 1);
    submit_ok(w, 2, A, "\"c1\"", 0, "[\"x\"]");
    ck_assert_uint_eq(w->qlen, 0);
    ck_assert_uint_eq(w->batch[0].conn, 2);
    ck_assert_int_eq(wk_batch_commit(w, NULL), 0);
    wk_batch_clear(w);
    ck_assert_uint_eq(wk_batch_form(w, 10, no_refuse, NULL), 0);
    ck_assert_str_eq(w->text.buf, "xabc");
    ck_assert_int_eq(w->rev, 1);
    wk_free(w);
}
END_TEST

/* The same while the original is still queued: one submission, newest connection. */
START_TEST(test_resend_while_twin_queued) {
    workshop *w = mkws("abc", 10);
    submit_ok(w, 1, A, "\"c1\"", 0, "[\"x\"]");
    submit_ok(w, 1, B, "\"c1\"", 0, "[3,\"y\"]"); /* B's own "c1": not a duplicate */
    submit_ok(w, 2, A, "\"c1\"", 0, "[\"x\"]");
    submit_ok(w, 3, A, "\"c1\"", 0, "[\"x\"]");
    ck_assert_uint_eq(w->qlen, 2);
    ck_assert_uint_eq(w->queue[0].conn, 3);
    ck_assert_uint_eq(w->queue[1].conn, 1);
    ck_assert_int_eq(form_commit(w, 10, 2), 0);
    ck_assert_str_eq(w->text.buf, "xabcy");
    wk_free(w);
}
END_TEST

/* A re-send after an abort that requeued its twin finds it in the queue. */
START_TEST(test_resend_after_requeue) {
    workshop *w = mkws("abc", 10);
    submit_ok(w, 1, A, "\"c1\"", 0, "[\"x\"]");
    ck_assert_uint_eq(wk_batch_form(w, 10, no_refuse, NULL), 1);
    wk_batch_abort(w, true, PROTO_OK, NULL, no_refuse, NULL);
    submit_ok(w, 2, A, "\"c1\"", 0, "[\"x\"]");
    ck_assert_uint_eq(w->qlen, 1);
    ck_assert_uint_eq(w->queue[0].conn, 2);
    ck_assert_int_eq(form_commit(w, 10, 1), 0);
    ck_assert_str_eq(w->text.buf, "xabc");
    wk_free(w);
}
END_TEST

/* Should the queue ever hold an op twice (the batch former's defence), the
 * op is applied once and the copy gets no second reply. */
START_TEST(test_dup_in_same_batch_applied_once) {
    workshop *w = mkws("abc", 10);
    submit_ok(w, 1, A, "\"c1\"", 0, "[\"x\"]");
    submit_ok(w, 1, B, "\"b1\"", 0, "[3,\"y\"]");
    /* Forge the twin behind B's op, as no public path queues one. */
    ck_assert_uint_gt(w->qcap, w->qlen);
    wk_submission *twin = &w->queue[w->qlen++];
    *twin = w->queue[0];
    twin->opid = strdup(w->queue[0].opid);
    ot_op_init(&twin->op);
    ck_assert_int_eq(ot_op_copy(&twin->op, &w->queue[0].op), OT_OK);
    refusals rs = {0};
    ck_assert_uint_eq(wk_batch_form(w, 10, on_refuse, &rs), 2);
    ck_assert_uint_eq(rs.n, 0);
    ck_assert_uint_eq(w->qlen, 0);
    ck_assert_str_eq(w->text.buf, "xabcy");
    ck_assert_int_eq(wk_batch_commit(w, NULL), 0);
    wk_batch_clear(w);
    ck_assert_int_eq(w->rev, 2);
    wk_free(w);
}
END_TEST

/* ---- refusals --------------------------------------------------------------- */

START_TEST(test_stale_base_refused_at_submit) {
    workshop *w = mkws("", 2);
    for (int i = 0; i < 3; i++) apply_remote(w, "[\"x\"]", NULL);
    int64_t dup;
    ck_assert_int_eq(submit(w, 1, A, "\"a\"", 0, "[\"y\"]", &dup), PROTO_ESTALE);
    ck_assert_int_eq(submit(w, 1, A, "\"a\"", 1, "[\"y\"]", &dup), PROTO_OK);
    ck_assert_int_eq(dup, -1);
    ck_assert_uint_eq(w->qlen, 1);
    ck_assert_int_eq(form_commit(w, 10, 1), 3);
    ck_assert_str_eq(w->text.buf, "yxxx");
    wk_free(w);
}
END_TEST

START_TEST(test_future_base_refused_at_submit) {
    workshop *w = mkws("abc", 10);
    int64_t dup;
    ck_assert_int_eq(submit(w, 1, A, "\"a\"", 1, "[\"y\"]", &dup), PROTO_EBAD_REQUEST);
    ck_assert_int_eq(submit(w, 1, A, "\"a\"", INT64_MAX, "[\"y\"]", &dup), PROTO_EBAD_REQUEST);
    ck_assert_uint_eq(w->qlen, 0);
    wk_free(w);
}
END_TEST

/* Queued at a good base, then the window moved on before the batch was formed. */
START_TEST(test_stale_base_refused_at_form) {
    workshop *w = mkws("abc", 2);
    submit_ok(w, 5, A, "\"a\"", 0, "[\"y\"]");
    apply_remote(w, "[\"1\"]", NULL);
    apply_remote(w, "[\"2\"]", NULL);
    submit_ok(w, 6, B, "\"b\"", 2, "[\"z\"]");
    apply_remote(w, "[\"3\"]", NULL);
    refusals rs = {0};
    ck_assert_uint_eq(wk_batch_form(w, 10, on_refuse, &rs), 1);
    ck_assert_uint_eq(rs.n, 1);
    ck_assert_uint_eq(rs.r[0].conn, 5);
    ck_assert_int_eq(rs.r[0].err, PROTO_ESTALE);
    ck_assert_str_eq(rs.r[0].opid, "\"a\"");
    ck_assert_str_eq(w->batch[0].opid, "\"b\"");
    wk_batch_commit(w, NULL);
    ck_assert_str_eq(w->text.buf, "z321abc");
    wk_free(w);
}
END_TEST

START_TEST(test_op_that_does_not_fit_refused) {
    static const char *const bad[] = {
        "[4,\"x\"]",              /* skip past the end */
        "[{\"d\":4}]",            /* delete past the end */
        "[2,{\"d\":\"cd\"}]",     /* delete text past the end */
        "[{\"d\":\"abd\"}]",      /* mismatched text */
        "[1,{\"d\":\"B\"}]",      /* case matters */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        workshop *w = mkws("abc", 10);
        submit_ok(w, 7, A, "\"a\"", 0, bad[i]);
        refusals rs = {0};
        ck_assert_uint_eq(wk_batch_form(w, 10, on_refuse, &rs), 0);
        ck_assert_uint_eq(rs.n, 1);
        ck_assert_int_eq(rs.r[0].err, PROTO_EBAD_REQUEST);
        ck_assert_uint_eq(rs.r[0].conn, 7);
        ck_assert_str_eq(rs.r[0].opid, "\"a\"");
        ck_assert(!w->in_flight);
        ck_assert_uint_eq(w->qlen, 0);
        ck_assert_int_eq(w->rev, 0);
        ck_assert_str_eq(w->text.buf, "abc");
        ck_assert_ptr_null(w->people[A].last_opid);
        wk_free(w);
    }
}
END_TEST

START_TEST(test_bad_op_between_good_ones) {
    workshop *w = mkws("abc", 10);
    submit_ok(w, 1, A, "\"a\"", 0, "[\"x\"]");
    submit_ok(w, 2, B, "\"b\"", 0, "[{\"d\":\"zz\"}]");
    submit_ok(w, 3, C, "\"c\"", 0, "[3,\"y\"]");
    refusals rs = {0};
    ck_assert_uint_eq(wk_batch_form(w, 10, on_refuse, &rs), 2);
    ck_assert_uint_eq(rs.n, 1);
    ck_assert_uint_eq(rs.r[0].conn, 2);
    ck_assert_int_eq(rs.r[0].err, PROTO_EBAD_REQUEST);
    ck_assert_str_eq(w->text.buf, "xabcy");
    ck_assert_str_eq(wk_committed_text(w)->buf, "abc");
    ck_assert_int_eq(wk_batch_commit(w, NULL), 0);
    ck_assert_int_eq(w->rev, 2);
    ck_assert_str_eq(wk_window_at(w, 1)->opid, "\"c\"");
    ck_assert_ptr_null(w->people[B].last_opid);
    wk_free(w);
}
END_TEST

/* ---- aborted batches -------------------------------------------------------- */

/* The store refused the batch because another process wrote first: the batch
 * goes back to the queue, the other process's op is applied, and the same
 * submissions are transformed over it. */
START_TEST(test_abort_requeue_then_remote_op) {
    const char *doc = "abc";
    const char *ja = "[1,\"X\"]", *jb = "[3,\"Y\"]", *jc = "[{\"d\":\"a\"}]", *jr = "[\"R\"]";
    workshop *w = mkws(doc, 10);
    submit_ok(w, 1, A, "\"a1\"", 0, ja);
    submit_ok(w, 2, B, "\"b1\"", 0, jb);
    ck_assert_uint_eq(wk_batch_form(w, 10, no_refuse, NULL), 2);
    ck_assert_str_eq(w->text.buf, "aXbcY");
    submit_ok(w, 3, C, "\"c1\"", 0, jc); /* arrived while the batch was out */

    wk_batch_abort(w, true, PROTO_OK, NULL, no_refuse, NULL);
    ck_assert(!w->in_flight);
    ck_assert_uint_eq(w->blen, 0);
    ck_assert_str_eq(w->text.buf, "abc");
    ck_assert_str_eq(wk_committed_text(w)->buf, "abc");
    ck_assert_int_eq(w->rev, 0);
    ck_assert_uint_eq(w->qlen, 3);
    ck_assert_str_eq(w->queue[0].opid, "\"a1\"");
    ck_assert_str_eq(w->queue[1].opid, "\"b1\"");
    ck_assert_str_eq(w->queue[2].opid, "\"c1\"");
    ck_assert_uint_eq(w->queue[0].conn, 1);
    ck_assert_int_eq(w->queue[1].base, 0);
    ck_assert_ptr_null(w->people[A].last_opid);

    apply_remote(w, jr, "\"r1\"");
    ck_assert_str_eq(w->text.buf, "Rabc");
    ck_assert_uint_eq(wk_batch_form(w, 10, no_refuse, NULL), 3);
    ck_assert_int_eq(wk_batch_commit(w, NULL), 1);
    ck_assert_int_eq(w->rev, 4);
    ck_assert_str_eq(w->batch[0].opid, "\"a1\"");
    ck_assert_str_eq(w->batch[2].opid, "\"c1\"");

    /* By hand: R first, then each op over everything before it. */
    ot_op in[3] = {mkop(ja), mkop(jb), mkop(jc)}, done[4];
    done[0] = mkop(jr);
    done[1] = over(&in[0], done, 1);
    done[2] = over(&in[1], done, 2);
    done[3] = over(&in[2], done, 3);
    char *want = apply_all(doc, done, 4);
    ck_assert_str_eq(want, "RXbcY");
    ck_assert_str_eq(w->text.buf, want);
    for (int i = 0; i < 3; i++) {
        char *j = op_json(&done[i + 1]);
        ck_assert_str_eq(wk_window_at(w, 1 + i)->opjson, j);
        free(j);
    }
    free(want);
    free_ops(in, 3);
    free_ops(done, 4);

    /* Same result as if the remote op had simply been committed first. */
    workshop *w2 = mkws(doc, 10);
    apply_remote(w2, jr, "\"r1\"");
    submit_ok(w2, 1, A, "\"a1\"", 0, ja);
    submit_ok(w2, 2, B, "\"b1\"", 0, jb);
    submit_ok(w2, 3, C, "\"c1\"", 0, jc);
    ck_assert_int_eq(form_commit(w2, 10, 3), 1);
    ck_assert_str_eq(w2->text.buf, w->text.buf);
    wk_free(w2);
    wk_batch_clear(w);
    wk_free(w);
}
END_TEST

/* Requeued twice in a row (two conflicts) keeps the order too. */
START_TEST(test_abort_requeue_twice) {
    workshop *w = mkws("", 10);
    submit_ok(w, 1, A, "\"1\"", 0, "[\"a\"]");
    submit_ok(w, 1, A, "\"2\"", 0, "[\"b\"]");
    ck_assert_uint_eq(wk_batch_form(w, 10, no_refuse, NULL), 2);
    wk_batch_abort(w, true, PROTO_OK, NULL, no_refuse, NULL);
    apply_remote(w, "[\"x\"]", NULL);
    ck_assert_uint_eq(wk_batch_form(w, 10, no_refuse, NULL), 2);
    wk_batch_abort(w, true, PROTO_OK, NULL, no_refuse, NULL);
    apply_remote(w, "[1,\"y\"]", NULL);
    ck_assert_uint_eq(w->qlen, 2);
    ck_assert_int_eq(form_commit(w, 10, 2), 2);
    ck_assert_str_eq(w->text.buf, "baxy");
    wk_free(w);
}
END_TEST

START_TEST(test_abort_without_requeue_refuses_each) {
    workshop *w = mkws("abc", 10);
    submit_ok(w, 1, A, "\"a1\"", 0, "[1,\"X\"]");
    submit_ok(w, 2, B, "\"b1\"", 0, "[3,\"Y\"]");
    ck_assert_uint_eq(wk_batch_form(w, 10, no_refuse, NULL), 2);
    submit_ok(w, 3, C, "\"c1\"", 0, "[{\"d\":1}]");
    refusals rs = {0};
    wk_batch_abort(w, false, PROTO_EUNAVAILABLE, "storage is unavailable", on_refuse, &rs);
    ck_assert_uint_eq(rs.n, 2);
    ck_assert_uint_eq(rs.r[0].conn, 1);
    ck_assert_str_eq(rs.r[0].opid, "\"a1\"");
    ck_assert_uint_eq(rs.r[1].conn, 2);
    ck_assert_str_eq(rs.r[1].opid, "\"b1\"");
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(rs.r[i].err, PROTO_EUNAVAILABLE);
        ck_assert_str_eq(rs.r[i].why, "storage is unavailable");
        ck_assert_int_eq(rs.r[i].ack_rev, -1);
    }
    ck_assert(!w->in_flight);
    ck_assert_uint_eq(w->blen, 0);
    ck_assert_str_eq(w->text.buf, "abc");
    ck_assert_int_eq(w->rev, 0);
    ck_assert_ptr_null(w->people[A].last_opid);
    ck_assert_uint_eq(w->qlen, 1);
    /* The client re-sends later with the same id: accepted as new. */
    submit_ok(w, 1, A, "\"a1\"", 0, "[1,\"X\"]");
    ck_assert_int_eq(form_commit(w, 10, 2), 0);
    ck_assert_str_eq(w->text.buf, "Xbc"); /* X's anchor was deleted first */
    wk_free(w);
}
END_TEST

START_TEST(test_abort_when_idle_is_harmless) {
    workshop *w = mkws("abc", 10);
    submit_ok(w, 1, A, "\"a\"", 0, "[\"x\"]");
    refusals rs = {0};
    wk_batch_abort(w, false, PROTO_EUNAVAILABLE, "x", on_refuse, &rs);
    wk_batch_abort(w, true, PROTO_OK, NULL, on_refuse, &rs);
    ck_assert_uint_eq(rs.n, 0);
    ck_assert_uint_eq(w->qlen, 1);
    ck_assert_str_eq(w->text.buf, "abc");
    wk_free(w);
}
END_TEST

START_TEST(test_committed_text_while_in_flight) {
    workshop *w = mkws("Quoi ?", 10);
    ck_assert_ptr_eq(wk_committed_text(w), &w->text);
    submit_ok(w, 1, A, "\"a\"", 0, "[6,\"\\n\\nPourquoi ?\"]");
    ck_assert_uint_eq(wk_batch_form(w, 10, no_refuse, NULL), 1);
    const ot_text *t = wk_committed_text(w);
    ck_assert_ptr_ne(t, &w->text);
    ck_assert_str_eq(t->buf, "Quoi ?");
    ck_assert_uint_eq(t->cps, 6);
    ck_assert_str_eq(w->text.buf, "Quoi ?\n\nPourquoi ?");
    wk_batch_commit(w, NULL);
    ck_assert_str_eq(wk_committed_text(w)->buf, "Quoi ?\n\nPourquoi ?");
    wk_batch_clear(w);
    /* A second batch backs up the new committed text, not the first one. */
    submit_ok(w, 1, A, "\"b\"", 1, "[{\"d\":4}]");
    ck_assert_uint_eq(wk_batch_form(w, 10, no_refuse, NULL), 1);
    ck_assert_str_eq(wk_committed_text(w)->buf, "Quoi ?\n\nPourquoi ?");
    wk_batch_abort(w, false, PROTO_EUNAVAILABLE, "down", on_refuse, &(refusals){0});
    ck_assert_str_eq(w->text.buf, "Quoi ?\n\nPourquoi ?");
    wk_free(w);
}
END_TEST

/* ---- carets ----------------------------------------------------------------- */

START_TEST(test_transform_caret) {
    workshop *w = mkws("hello world", 10);
    apply_remote(w, "[\"XX\"]", NULL);          /* rev 0 -> 1: "XXhello world" */
    apply_remote(w, "[2,{\"d\":3}]", NULL);     /* rev 1 -> 2: "XXlo world" */
    ck_assert_str_eq(w->text.buf, "XXlo world");
    int64_t p;
    p = 5; /* after "hello" */
    ck_assert(wk_transform_caret(w, 0, &p));
    ck_assert_int_eq(p, 4); /* after "XXlo" */
    p = 11; /* the end */
    ck_assert(wk_transform_caret(w, 0, &p));
    ck_assert_int_eq(p, 10);
    p = 0; /* an insert at the caret does not push it */
    ck_assert(wk_transform_caret(w, 0, &p));
    ck_assert_int_eq(p, 0);
    p = 3; /* inside the deleted range: to its start */
    ck_assert(wk_transform_caret(w, 1, &p));
    ck_assert_int_eq(p, 2);
    p = 1; /* before the delete: unmoved */
    ck_assert(wk_transform_caret(w, 1, &p));
    ck_assert_int_eq(p, 1);
    p = 7; /* at the current revision: unmoved */
    ck_assert(wk_transform_caret(w, 2, &p));
    ck_assert_int_eq(p, 7);
    p = 10;
    ck_assert(wk_transform_caret(w, 2, &p));
    p = 11; /* past the end */
    ck_assert(!wk_transform_caret(w, 2, &p));
    p = 12; /* past the end at revision 0 */
    ck_assert(!wk_transform_caret(w, 0, &p));
    p = 0; /* a revision that does not exist yet */
    ck_assert(!wk_transform_caret(w, 3, &p));
    wk_free(w);
}
END_TEST

START_TEST(test_transform_caret_outside_window) {
    workshop *w = mkws("abc", 2);
    apply_remote(w, "[\"1\"]", NULL);
    apply_remote(w, "[\"2\"]", NULL);
    apply_remote(w, "[\"3\"]", NULL);
    int64_t p = 1;
    ck_assert(!wk_transform_caret(w, 0, &p));
    ck_assert_int_eq(p, 1); /* untouched on failure */
    ck_assert(wk_transform_caret(w, 1, &p));
    ck_assert_int_eq(p, 3);
    p = 0;
    ck_assert(!wk_transform_caret(w, -1, &p));
    wk_free(w);
}
END_TEST

/* Carets are given at committed revisions: a batch in flight is not counted. */
START_TEST(test_transform_caret_ignores_batch_in_flight) {
    workshop *w = mkws("abc", 10);
    submit_ok(w, 1, A, "\"a\"", 0, "[\"XYZ\"]");
    ck_assert_uint_eq(wk_batch_form(w, 10, no_refuse, NULL), 1);
    int64_t p = 2;
    ck_assert(wk_transform_caret(w, 0, &p));
    ck_assert_int_eq(p, 2);
    p = 5; /* fits the text in flight, not the committed one */
    ck_assert(!wk_transform_caret(w, 0, &p));
    wk_batch_commit(w, NULL);
    wk_batch_clear(w);
    p = 2;
    ck_assert(wk_transform_caret(w, 0, &p));
    ck_assert_int_eq(p, 5);
    wk_free(w);
}
END_TEST

/* ---- property: ShareDB-style clients converge -------------------------------- */

/* Check records every ck_assert that passes (a write to its pipe), which
 * dominated the run time of these hot loops: check them with a bare branch. */
#define REQUIRE(c)                                                                                                     \
    do {                                                                                                               \
        if (!(c)) ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #c);                                                   \
    } while (0)
#define REQUIRE_MSG(c, ...)                                                                                            \
    do {                                                                                                               \
        if (!(c)) ck_abort_msg(__VA_ARGS__);                                                                           \
    } while (0)

static const char *const alphabet[] = {"a", "b", "z", " ", "é", "à", "ç", "Œ", "«", "😀", "𝄞", "🇫", "\n", "\"", "\\"};

static void rand_text(prng *r, char *buf, size_t max_cps) {
    buf[0] = '\0';
    size_t n = below(r, max_cps + 1);
    for (size_t i = 0; i < n; i++) strcat(buf, alphabet[below(r, sizeof alphabet / sizeof *alphabet)]);
}

/* A random op that fits t: an insert, a delete ({d:n} or {d:"text"}), or both. */
static void rand_op(prng *r, const ot_text *t, ot_op *out) {
    ot_op_init(out);
    size_t pos = below(r, t->cps + 1);
    size_t kind = pos == t->cps ? 0 : below(r, 3); /* 0 insert, 1 delete, 2 both */
    char ins[64];
    do rand_text(r, ins, 4);
    while (!ins[0]);
    size_t del = 0;
    if (kind) {
        size_t room = t->cps - pos;
        del = 1 + below(r, room < 4 ? room : 4);
    }
    size_t b0 = utf8_offset(t->buf, t->len, 0, 0, pos);
    size_t b1 = utf8_offset(t->buf, t->len, pos, b0, pos + del);
    bool with_text = below(r, 2);
    bool delete_first = below(r, 2);
    REQUIRE(ot_op_push(out, OT_SKIP, pos, NULL, 0) == OT_OK);
    for (int step = 0; step < 2; step++) {
        bool do_delete = (step == 0) == delete_first;
        if (do_delete && kind)
            REQUIRE(ot_op_push(out, OT_DELETE, del, with_text ? t->buf + b0 : NULL, with_text ? b1 - b0 : 0) ==
                    OT_OK);
        if (!do_delete && kind != 1)
            REQUIRE(ot_op_push(out, OT_INSERT, utf8_count(ins, strlen(ins)), ins, strlen(ins)) == OT_OK);
    }
    REQUIRE(ot_check_fits(t, out) == OT_OK);
}

typedef struct {
    bool ack;
    int64_t rev;
    ot_op op; /* for a foreign op */
} smsg;

typedef struct {
    uint32_t who;
    uint64_t conn;
    ot_text text;
    int64_t rev;     /* server revisions seen (acks included) */
    bool has_inflight, has_pending;
    ot_op inflight, pending;
    int seq;
    smsg *q;         /* messages from the server, in order */
    size_t qhead, qlen, qcap;
} sim_client;

static void client_push(sim_client *c, bool ack, int64_t rev, const ot_op *op) {
    if (c->qlen == c->qcap) {
        c->qcap = c->qcap ? c->qcap * 2 : 16;
        c->q = realloc(c->q, c->qcap * sizeof *c->q);
    }
    smsg *m = &c->q[c->qlen++];
    m->ack = ack;
    m->rev = rev;
    ot_op_init(&m->op);
    if (op) REQUIRE(ot_op_copy(&m->op, op) == OT_OK);
}

static void xform(ot_op *op, const ot_op *other, ot_side side) {
    ot_op t;
    ot_op_init(&t);
    REQUIRE(ot_transform(&t, op, other, side) == OT_OK);
    ot_op_free(op);
    *op = t;
}

/* ShareDB's client: a foreign op is transformed against the op in flight and
 * the pending one (theirs take the right side: the server gave ours the left),
 * and they against it. */
static void client_receive(sim_client *c) {
    smsg *m = &c->q[c->qhead++];
    REQUIRE(m->rev == c->rev); /* delivered in revision order, none skipped */
    if (m->ack) {
        REQUIRE(c->has_inflight);
        ot_op_free(&c->inflight);
        c->has_inflight = false;
    } else {
        ot_op srv = m->op;
        ot_op_init(&m->op);
        if (c->has_inflight) {
            ot_op orig;
            ot_op_init(&orig);
            REQUIRE(ot_op_copy(&orig, &c->inflight) == OT_OK);
            xform(&c->inflight, &srv, OT_LEFT);
            xform(&srv, &orig, OT_RIGHT);
            ot_op_free(&orig);
        }
        if (c->has_pending) {
            ot_op orig;
            ot_op_init(&orig);
            REQUIRE(ot_op_copy(&orig, &c->pending) == OT_OK);
            xform(&c->pending, &srv, OT_LEFT);
            xform(&srv, &orig, OT_RIGHT);
            ot_op_free(&orig);
        }
        REQUIRE(ot_apply(&c->text, &srv) == OT_OK);
        ot_op_free(&srv);
    }
    c->rev++;
    if (c->qhead == c->qlen) c->qhead = c->qlen = 0;
}

static void client_edit(prng *r, sim_client *c) {
    ot_op op;
    rand_op(r, &c->text, &op);
    REQUIRE(ot_apply(&c->text, &op) == OT_OK);
    if (c->has_pending) {
        ot_op t;
        ot_op_init(&t);
        REQUIRE(ot_compose(&t, &c->pending, &op) == OT_OK);
        ot_op_free(&c->pending);
        ot_op_free(&op);
        c->pending = t;
    } else {
        c->pending = op;
        c->has_pending = true;
    }
}

/* One op in flight at a time: send the pending one once the last is acked. */
static void client_send(workshop *w, sim_client *c) {
    if (c->has_inflight || !c->has_pending) return;
    c->inflight = c->pending;
    c->has_inflight = true;
    c->has_pending = false;
    ot_op_init(&c->pending);
    ot_op copy;
    ot_op_init(&copy);
    REQUIRE(ot_op_copy(&copy, &c->inflight) == OT_OK);
    char id[32];
    snprintf(id, sizeof id, "\"c%u-%d\"", (unsigned)c->who, c->seq++);
    int64_t dup;
    const char *why = "";
    proto_err e = wk_submit(w, c->conn, c->who, id, c->rev, &copy, &dup, &why);
    REQUIRE_MSG(e == PROTO_OK, "submit refused: %s", why);
    REQUIRE(dup == -1);
    ot_op_free(&copy);
}

static size_t n_aborts, n_remote; /* how often the rare paths ran */

static void server_commit(workshop *w, sim_client *cs, size_t n) {
    int64_t first = wk_batch_commit(w, NULL);
    for (size_t i = 0; i < w->blen; i++) {
        const wk_entry *e = wk_window_at(w, first + (int64_t)i);
        REQUIRE(e != NULL);
        for (size_t k = 0; k < n; k++) {
            bool mine = cs[k].conn == w->batch[i].conn;
            client_push(&cs[k], mine, e->rev, mine ? NULL : &e->op);
        }
    }
    wk_batch_clear(w);
}

/* Another server process commits an op first: every client hears of it. */
static void server_remote(prng *r, workshop *w, sim_client *cs, size_t n) {
    ot_op op;
    rand_op(r, &w->text, &op);
    char *json = op_json(&op);
    REQUIRE(wk_apply_committed(w, w->rev, json, strlen(json), PID_R, NULL, NULL) == OT_OK);
    const wk_entry *e = wk_window_at(w, w->rev - 1);
    for (size_t k = 0; k < n; k++) client_push(&cs[k], false, e->rev, &e->op);
    n_remote++;
    free(json);
    ot_op_free(&op);
}

static bool quiet(const workshop *w, const sim_client *cs, size_t n) {
    if (w->in_flight || w->qlen) return false;
    for (size_t k = 0; k < n; k++)
        if (cs[k].has_inflight || cs[k].has_pending || cs[k].qlen > cs[k].qhead) return false;
    return true;
}

static void run_round(uint64_t seed, size_t *ops_total) {
    prng r = {seed};
    size_t n = 3 + below(&r, 4);
    char start[256];
    rand_text(&r, start, 12);
    int64_t rev0 = (int64_t)below(&r, 3) * 7;
    workshop *w = wk_new("q3mS0t4rVZ2bJ9m6cQe1xA", "t", "k", 0, 1000);
    REQUIRE(wk_load_snapshot(w, rev0, start, strlen(start)) == OT_OK);
    sim_client cs[6];
    memset(cs, 0, sizeof cs);
    for (size_t k = 0; k < n; k++) {
        char id[WK_PID_LEN + 1];
        snprintf(id, sizeof id, "p%016u", (unsigned)k);
        cs[k].who = (uint32_t)wk_add_participant(w, id, SECRET_A, "n", "o", WK_PARTICIPANT);
        cs[k].conn = 100 + k;
        REQUIRE(ot_text_init(&cs[k].text, start, strlen(start)) == OT_OK);
        cs[k].rev = rev0;
        ot_op_init(&cs[k].inflight);
        ot_op_init(&cs[k].pending);
    }
    size_t steps = 40 + below(&r, 120);
    for (size_t s = 0; s < steps; s++) {
        size_t dice = below(&r, 100);
        sim_client *c = &cs[below(&r, n)];
        if (dice < 30) {
            client_edit(&r, c);
        } else if (dice < 45) {
            client_send(w, c);
        } else if (dice < 70) {
            if (c->qlen > c->qhead) client_receive(c);
        } else if (dice < 80) {
            if (!w->in_flight && w->qlen) {
                size_t got = wk_batch_form(w, 1 + below(&r, 4), no_refuse, NULL);
                REQUIRE(got > 0);
                *ops_total += got;
            }
        } else if (dice < 92) {
            if (w->in_flight) server_commit(w, cs, n);
        } else if (dice < 96) {
            if (w->in_flight) {
                wk_batch_abort(w, true, PROTO_OK, NULL, no_refuse, NULL);
                n_aborts++;
                if (below(&r, 2)) server_remote(&r, w, cs, n);
            }
        } else {
            if (!w->in_flight) server_remote(&r, w, cs, n);
        }
    }
    /* Drain: deliver everything, send what is pending, commit, until quiet. */
    for (int guard = 0; !quiet(w, cs, n); guard++) {
        REQUIRE(guard < 10000);
        for (size_t k = 0; k < n; k++) {
            while (cs[k].qlen > cs[k].qhead) client_receive(&cs[k]);
            client_send(w, &cs[k]);
        }
        if (w->in_flight) server_commit(w, cs, n);
        else if (w->qlen) *ops_total += wk_batch_form(w, 1 + below(&r, 4), no_refuse, NULL);
    }
    REQUIRE(utf8_count(w->text.buf, w->text.len) == w->text.cps);
    REQUIRE(utf8_valid(w->text.buf, w->text.len));
    for (size_t k = 0; k < n; k++) {
        REQUIRE_MSG(strcmp(cs[k].text.buf, w->text.buf) == 0, "seed %llu: client %zu has \"%s\", server \"%s\"",
                    (unsigned long long)seed, k, cs[k].text.buf, w->text.buf);
        REQUIRE(cs[k].rev == w->rev);
        REQUIRE(cs[k].text.cps == w->text.cps);
        ot_text_free(&cs[k].text);
        ot_op_free(&cs[k].inflight);
        ot_op_free(&cs[k].pending);
        free(cs[k].q);
    }
    wk_free(w);
}

START_TEST(test_property_clients_converge) {
    size_t ops = 0;
    for (uint64_t round = 0; round < 4000; round++) run_round(0xA7E11E5ULL * 1000003ULL + round, &ops);
    /* The rounds did real work, rare paths included. */
    ck_assert_uint_gt(ops, 30000);
    ck_assert_uint_gt(n_aborts, 1000);
    ck_assert_uint_gt(n_remote, 1000);
    printf("property: 4000 rounds, %zu ops through the workshop, %zu aborted batches, %zu remote ops\n", ops, n_aborts,
           n_remote);
}
END_TEST

static Suite *workshop_suite(void) {
    Suite *s = suite_create("workshop");
    TCase *tc = tcase_create("people");
    tcase_add_test(tc, test_new_workshop_is_empty);
    tcase_add_test(tc, test_participant_add_find);
    tcase_add_test(tc, test_same_org);
    tcase_add_test(tc, test_find_among_thousands);
    tcase_add_test(tc, test_token_right);
    tcase_add_test(tc, test_token_wrong);
    tcase_add_test(tc, test_token_of_secretless_participant);
    tcase_add_test(tc, test_facilitator_key);
    tcase_add_test(tc, test_ended_refuses_changes);
    tcase_add_test(tc, test_rate_burst_then_refill);
    suite_add_tcase(s, tc);

    tc = tcase_create("window");
    tcase_add_test(tc, test_window_ring_evicts_oldest);
    tcase_add_test(tc, test_window_of_one);
    tcase_add_test(tc, test_window_grows_then_wraps);
    tcase_add_test(tc, test_window_evicts_across_batches);
    tcase_add_test(tc, test_load_snapshot_then_committed_ops);
    tcase_add_test(tc, test_load_snapshot_refuses_bad_utf8);
    tcase_add_test(tc, test_committed_elsewhere_dedups);
    suite_add_tcase(s, tc);

    tc = tcase_create("pipeline");
    tcase_add_test(tc, test_submit_form_commit);
    tcase_add_test(tc, test_concurrent_ops_one_batch);
    tcase_add_test(tc, test_concurrent_ops_stale_bases);
    tcase_add_test(tc, test_incoming_op_takes_left_side);
    tcase_add_test(tc, test_batch_max_and_window_clamp);
    tcase_add_test(tc, test_dup_after_commit_acked_at_original_rev);
    tcase_add_test(tc, test_resend_while_twin_in_flight);
    tcase_add_test(tc, test_resend_while_twin_queued);
    tcase_add_test(tc, test_resend_after_requeue);
    tcase_add_test(tc, test_dup_in_same_batch_applied_once);
    tcase_add_test(tc, test_stale_base_refused_at_submit);
    tcase_add_test(tc, test_future_base_refused_at_submit);
    tcase_add_test(tc, test_stale_base_refused_at_form);
    tcase_add_test(tc, test_op_that_does_not_fit_refused);
    tcase_add_test(tc, test_bad_op_between_good_ones);
    tcase_add_test(tc, test_abort_requeue_then_remote_op);
    tcase_add_test(tc, test_abort_requeue_twice);
    tcase_add_test(tc, test_abort_without_requeue_refuses_each);
    tcase_add_test(tc, test_abort_when_idle_is_harmless);
    tcase_add_test(tc, test_committed_text_while_in_flight);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_add_test(tc, test_window_entries_are_packed);
    tcase_add_test(tc, test_window_byte_budget_evicts_oldest_but_not_the_batch);
    tcase_add_test(tc, test_rebase_bound_refuses_stale_without_work);
    tcase_add_test(tc, test_batch_stops_at_its_work_bound);
    tcase_add_test(tc, test_statement_size_limit);
    suite_add_tcase(s, tc);

    tc = tcase_create("carets");
    tcase_add_test(tc, test_transform_caret);
    tcase_add_test(tc, test_transform_caret_outside_window);
    tcase_add_test(tc, test_transform_caret_ignores_batch_in_flight);
    suite_add_tcase(s, tc);

    /* Exposes a bug in service/src/core/workshop.c (see the test's comment). */
    tc = tcase_create("history_checks");
    tcase_add_test(tc, test_long_author_id_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("property");
    tcase_set_timeout(tc, 120); /* generous for valgrind and sanitizer builds */
    tcase_add_test(tc, test_property_clients_converge);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(workshop_suite)
