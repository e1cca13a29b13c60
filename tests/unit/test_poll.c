/* test_poll.c -- the poll model: lifecycle by state and role, every ballot
 * and answer rule, incremental tallies against a recount from the stored
 * ballots, the anonymity threshold, alignment on hand-computed cases, the
 * encoders and the store round trip; organisation answers, per-poll
 * thresholds, translations and opening at creation (issue 12). */
#include <check.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "core/poll.h"
#include "core/poll_json.h"
#include "core/poll_store.h"
#include "test_prng.h"


/* ck_assert reports every passing check to the parent process: loops use
 * these, which cost nothing until they fail. */
#define EXPECT(c) \
    do { \
        if (!(c)) ck_abort_msg("line %d: %s", __LINE__, #c); \
    } while (0)

static const char *str(const sbuf *b) { return sbuf_data(b) ? sbuf_data(b) : ""; }

/* A definition from JSON text; the test fails if it does not decode. */
static poll_def def_of(const char *json) {
    cJSON *o = cJSON_Parse(json);
    ck_assert_ptr_nonnull(o);
    poll_def d;
    const char *why = NULL;
    poll_err e = poll_def_from_json(o, &d, &why);
    cJSON_Delete(o);
    ck_assert_msg(e == POLL_OK, "%s: %s", json, why ? why : "");
    return d;
}

static poll_err def_err(const char *json) {
    cJSON *o = cJSON_Parse(json);
    ck_assert_ptr_nonnull(o);
    poll_def d;
    const char *why = NULL;
    poll_err e = poll_def_from_json(o, &d, &why);
    cJSON_Delete(o);
    if (e == POLL_OK) poll_def_free(&d);
    else ck_assert_ptr_nonnull(why);
    return e;
}

static const char *SINGLE3 = "{\"kind\":\"single\",\"question\":\"Q ?\",\"choices\":[\"a\",\"b\",\"c\"]}";
static const char *MULTI4 = "{\"kind\":\"multiple\",\"question\":\"Q ?\",\"choices\":[\"a\",\"b\",\"c\",\"d\"],\"max\":2}";
static const char *SCALE = "{\"kind\":\"scale\",\"question\":\"D'accord ?\"}";
static const char *TEXT = "{\"kind\":\"text\",\"question\":\"Quel impact ?\"}";

static poll_t *make(const char *json, const char *id, bool open) {
    poll_def d = def_of(json);
    poll_t *p = NULL;
    ck_assert_int_eq(poll_create(&p, id, true, &d, 1795833600000, NULL), POLL_OK);
    ck_assert_ptr_null(d.question); /* ownership moved */
    if (open) ck_assert_int_eq(poll_open(p, true, NULL), POLL_OK);
    return p;
}

static poll_ballot pick(unsigned mask) { return (poll_ballot){.picks = (uint16_t)mask}; }
static poll_ballot scale(unsigned v) { return (poll_ballot){.value = (uint8_t)v}; }
static const poll_ballot NONE = {.none = true};

static cJSON *results_json(const poll_t *p, unsigned min_group) {
    sbuf b;
    sbuf_init(&b, 0);
    poll_write_results(&b, p, min_group, NULL);
    ck_assert(sbuf_ok(&b));
    cJSON *o = cJSON_Parse(str(&b));
    ck_assert_msg(o != NULL, "results are not JSON: %s", str(&b));
    sbuf_free(&b);
    return o;
}

/* ---- lifecycle --------------------------------------------------------- */

enum { A_EDIT, A_OPEN, A_CLOSE, A_REOPEN, A_RESULTS, A_DELETE, A_N };

static poll_t *in_state(poll_state s) {
    poll_t *p = make(SINGLE3, "k1", false);
    if (s == POLL_OPEN || s == POLL_CLOSED) ck_assert_int_eq(poll_open(p, true, NULL), POLL_OK);
    if (s == POLL_CLOSED) ck_assert_int_eq(poll_close(p, true, NULL), POLL_OK);
    if (s == POLL_DELETED) ck_assert_int_eq(poll_delete(p, true, NULL), POLL_OK);
    ck_assert_int_eq(p->state, s);
    return p;
}

static poll_err act(poll_t *p, int a, bool fac) {
    const char *why = NULL;
    poll_err e;
    poll_def d = def_of(SCALE);
    switch (a) {
    case A_EDIT: e = poll_edit(p, fac, &d, &why); break;
    case A_OPEN: e = poll_open(p, fac, &why); break;
    case A_CLOSE: e = poll_close(p, fac, &why); break;
    case A_REOPEN: e = poll_reopen(p, fac, &why); break;
    case A_RESULTS: e = poll_set_visibility(p, fac, POLL_RESULTS_LIVE, &why); break;
    default: e = poll_delete(p, fac, &why); break;
    }
    poll_def_free(&d); /* emptied when the edit took it */
    if (e != POLL_OK) ck_assert_ptr_nonnull(why);
    return e;
}

START_TEST(lifecycle_matrix) {
    /* expected[state][action] for a facilitator; a participant is always
     * forbidden, except on a deleted poll, which is not found for everyone. */
    const poll_err expected[4][A_N] = {
        [POLL_DRAFT] = {POLL_OK, POLL_OK, POLL_ESTATE, POLL_ESTATE, POLL_OK, POLL_OK},
        [POLL_OPEN] = {POLL_ESTATE, POLL_ESTATE, POLL_OK, POLL_ESTATE, POLL_OK, POLL_OK},
        [POLL_CLOSED] = {POLL_ESTATE, POLL_ESTATE, POLL_ESTATE, POLL_OK, POLL_OK, POLL_OK},
        [POLL_DELETED] = {POLL_ENOT_FOUND, POLL_ENOT_FOUND, POLL_ENOT_FOUND, POLL_ENOT_FOUND, POLL_ENOT_FOUND,
                          POLL_ENOT_FOUND},
    };
    const poll_state after[4][A_N] = {
        [POLL_DRAFT] = {POLL_DRAFT, POLL_OPEN, POLL_DRAFT, POLL_DRAFT, POLL_DRAFT, POLL_DELETED},
        [POLL_OPEN] = {POLL_OPEN, POLL_OPEN, POLL_CLOSED, POLL_OPEN, POLL_OPEN, POLL_DELETED},
        [POLL_CLOSED] = {POLL_CLOSED, POLL_CLOSED, POLL_CLOSED, POLL_OPEN, POLL_CLOSED, POLL_DELETED},
        [POLL_DELETED] = {POLL_DELETED, POLL_DELETED, POLL_DELETED, POLL_DELETED, POLL_DELETED, POLL_DELETED},
    };
    for (int s = POLL_DRAFT; s <= POLL_DELETED; s++)
        for (int a = 0; a < A_N; a++) {
            poll_t *p = in_state((poll_state)s);
            poll_err e = act(p, a, false);
            ck_assert_msg(e == (s == POLL_DELETED ? POLL_ENOT_FOUND : POLL_EFORBIDDEN), "participant state %d action %d: %d",
                          s, a, e);
            ck_assert_int_eq(p->state, s);
            ck_assert_int_eq(p->results, POLL_RESULTS_HIDDEN);
            ck_assert_int_eq(p->def.kind, POLL_SINGLE);
            e = act(p, a, true);
            ck_assert_msg(e == expected[s][a], "facilitator state %d action %d: got %d", s, a, e);
            ck_assert_msg(p->state == after[s][a], "state %d action %d: now %d", s, a, p->state);
            ck_assert_int_eq(p->def.kind, s == POLL_DRAFT && a == A_EDIT ? POLL_SCALE : POLL_SINGLE);
            ck_assert_int_eq(p->results, e == POLL_OK && a == A_RESULTS ? POLL_RESULTS_LIVE : POLL_RESULTS_HIDDEN);
            poll_free(p);
        }
}
END_TEST

START_TEST(create_rules) {
    poll_def d = def_of(SINGLE3);
    poll_t *p = (poll_t *)1;
    const char *why = NULL;
    ck_assert_int_eq(poll_create(&p, "k1", false, &d, 0, &why), POLL_EFORBIDDEN);
    ck_assert_ptr_null(p);
    ck_assert_ptr_nonnull(d.question); /* still the caller's */
    ck_assert_int_eq(poll_create(&p, "", true, &d, 0, &why), POLL_EBAD_REQUEST);
    ck_assert_int_eq(poll_create(&p, "has space", true, &d, 0, &why), POLL_EBAD_REQUEST);
    ck_assert_int_eq(poll_create(&p, "abcdefghijklmnopqrstuvw", true, &d, 0, &why), POLL_EBAD_REQUEST); /* 23 */
    poll_def bad = {.kind = POLL_SINGLE, .question = "Q"};
    ck_assert_int_eq(poll_create(&p, "k1", true, &bad, 0, &why), POLL_EBAD_REQUEST);
    ck_assert_int_eq(poll_create(&p, "abcdefghijklmnopqrstuv", true, &d, 7, &why), POLL_OK);
    ck_assert_int_eq(p->state, POLL_DRAFT);
    ck_assert_int_eq(p->results, POLL_RESULTS_HIDDEN);
    ck_assert_int_eq(p->created, 7);
    poll_free(p);
    poll_def_free(&d);
}
END_TEST

START_TEST(edit_replaces_definition) {
    poll_t *p = make(SINGLE3, "k1", false);
    poll_def d = def_of(MULTI4);
    ck_assert_int_eq(poll_edit(p, true, &d, NULL), POLL_OK);
    ck_assert_int_eq(p->def.kind, POLL_MULTIPLE);
    ck_assert_uint_eq(p->def.nchoices, 4);
    ck_assert_uint_eq(p->def.max, 2);
    poll_def bad = {.kind = POLL_SCALE, .question = ""};
    ck_assert_int_eq(poll_edit(p, true, &bad, NULL), POLL_EBAD_REQUEST);
    ck_assert_int_eq(p->def.kind, POLL_MULTIPLE);
    poll_free(p);
}
END_TEST

START_TEST(reopen_hides_revealed_results) {
    poll_t *p = make(SCALE, "k1", true);
    ck_assert_int_eq(poll_set_visibility(p, true, POLL_RESULTS_REVEALED, NULL), POLL_OK);
    ck_assert_int_eq(poll_close(p, true, NULL), POLL_OK);
    ck_assert_int_eq(p->results, POLL_RESULTS_REVEALED);
    ck_assert_int_eq(poll_reopen(p, true, NULL), POLL_OK);
    ck_assert_int_eq(p->results, POLL_RESULTS_HIDDEN);
    ck_assert_int_eq(poll_set_visibility(p, true, POLL_RESULTS_LIVE, NULL), POLL_OK);
    ck_assert_int_eq(poll_close(p, true, NULL), POLL_OK);
    ck_assert_int_eq(poll_reopen(p, true, NULL), POLL_OK);
    ck_assert_int_eq(p->results, POLL_RESULTS_LIVE);
    ck_assert_int_eq(poll_set_visibility(p, true, (poll_visibility)7, NULL), POLL_EBAD_REQUEST);
    poll_free(p);
}
END_TEST

START_TEST(who_sees_what) {
    for (int s = POLL_DRAFT; s <= POLL_DELETED; s++)
        for (int v = POLL_RESULTS_HIDDEN; v <= POLL_RESULTS_REVEALED; v++) {
            poll_t *p = in_state(s == POLL_DELETED ? POLL_DRAFT : (poll_state)s);
            ck_assert_int_eq(poll_set_visibility(p, true, (poll_visibility)v, NULL), POLL_OK);
            if (s == POLL_DELETED) ck_assert_int_eq(poll_delete(p, true, NULL), POLL_OK);
            bool live = s == POLL_OPEN || s == POLL_CLOSED;
            ck_assert(poll_visible(p, true) == (s != POLL_DELETED));
            ck_assert(poll_visible(p, false) == live);
            ck_assert(poll_may_see_results(p, true) == (s != POLL_DELETED));
            ck_assert(poll_may_see_results(p, false) == (live && v != POLL_RESULTS_HIDDEN));
            poll_free(p);
        }
}
END_TEST

START_TEST(participant_actions_by_state) {
    const char *why;
    for (int s = POLL_DRAFT; s <= POLL_DELETED; s++) {
        poll_t *c = in_state((poll_state)s);
        poll_ballot b = pick(1);
        poll_err want = s == POLL_OPEN ? POLL_OK : s == POLL_DELETED ? POLL_ENOT_FOUND : POLL_ECLOSED;
        ck_assert_int_eq(poll_vote(c, "p1", "Ville", &b, &why), want);
        ck_assert_int_eq(poll_vote(c, "p1", "Ville", &NONE, &why), want);
        ck_assert_int_eq(c->respondents, 0);
        poll_free(c);

        poll_t *t = make(TEXT, "k2", true);
        uint32_t id = 0;
        ck_assert_int_eq(poll_answer_add(t, "p1", "Ville", "Un impact", &id, NULL), POLL_OK);
        if (s == POLL_CLOSED) ck_assert_int_eq(poll_close(t, true, NULL), POLL_OK);
        if (s == POLL_DELETED) ck_assert_int_eq(poll_delete(t, true, NULL), POLL_OK);
        if (s == POLL_DRAFT) { /* a draft never had answers: use a fresh one */
            poll_free(t);
            t = make(TEXT, "k2", false);
        }
        ck_assert_int_eq(poll_answer_add(t, "p2", "Banque", "Autre", NULL, &why), want);
        ck_assert_int_eq(poll_upvote(t, "p2", "Banque", id, true, &why), want);
        ck_assert_int_eq(poll_answer_edit(t, "p1", id, "Changé", &why), want);
        if (s == POLL_OPEN) ck_assert_int_eq(t->answers[0].upvotes, 1);
        poll_free(t);
    }
}
END_TEST

/* ---- definitions ------------------------------------------------------- */

static char *repeat(const char *unit, int n) {
    size_t u = strlen(unit);
    char *s = malloc(u * (size_t)n + 1);
    for (int i = 0; i < n; i++) memcpy(s + u * (size_t)i, unit, u);
    s[u * (size_t)n] = '\0';
    return s;
}

static poll_err def_err_q(const char *kind_and_rest, const char *question) {
    char *json = malloc(strlen(question) + strlen(kind_and_rest) + 64);
    sprintf(json, "{%s,\"question\":\"%s\"}", kind_and_rest, question);
    poll_err e = def_err(json);
    free(json);
    return e;
}

START_TEST(definition_rules) {
    /* The question counts code points, not bytes: 300 é (600 bytes) pass. */
    char *q300 = repeat("\xc3\xa9", 300), *q301 = repeat("\xc3\xa9", 301);
    ck_assert_int_eq(def_err_q("\"kind\":\"scale\"", q300), POLL_OK);
    ck_assert_int_eq(def_err_q("\"kind\":\"scale\"", q301), POLL_EBAD_REQUEST);
    free(q300);
    free(q301);
    ck_assert_int_eq(def_err_q("\"kind\":\"scale\"", ""), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err_q("\"kind\":\"scale\"", "   "), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err_q("\"kind\":\"scale\"", "a\\nb"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err_q("\"kind\":\"scale\"", "a\\u0085b"), POLL_EBAD_REQUEST); /* C1 control */
    ck_assert_int_eq(def_err_q("\"kind\":\"scale\"", "a\\u007fb"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err_q("\"kind\":\"poll\"", "Q"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err("{\"kind\":\"scale\"}"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err("{\"kind\":\"scale\",\"question\":5}"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err("[]"), POLL_EBAD_REQUEST);

    /* choices: 2..12, each 1..120 code points, distinct, strings */
    ck_assert_int_eq(def_err("{\"kind\":\"single\",\"question\":\"Q\",\"choices\":[\"a\"]}"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err("{\"kind\":\"single\",\"question\":\"Q\"}"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err("{\"kind\":\"single\",\"question\":\"Q\",\"choices\":[\"a\",\"b\"]}"), POLL_OK);
    ck_assert_int_eq(def_err("{\"kind\":\"single\",\"question\":\"Q\",\"choices\":[\"a\",\"a\"]}"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err("{\"kind\":\"single\",\"question\":\"Q\",\"choices\":[\"a\",2]}"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err("{\"kind\":\"single\",\"question\":\"Q\",\"choices\":[\"a\",\"\"]}"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err("{\"kind\":\"single\",\"question\":\"Q\",\"choices\":\"a,b\"}"), POLL_EBAD_REQUEST);
    const char *c12 = "{\"kind\":\"multiple\",\"question\":\"Q\",\"choices\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"10\",\"11\",\"12\"]}";
    const char *c13 = "{\"kind\":\"multiple\",\"question\":\"Q\",\"choices\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"10\",\"11\",\"12\",\"13\"]}";
    ck_assert_int_eq(def_err(c12), POLL_OK);
    ck_assert_int_eq(def_err(c13), POLL_EBAD_REQUEST);
    char *l120 = repeat("\xe2\x82\xac", 120), *l121 = repeat("\xe2\x82\xac", 121), json[1024];
    snprintf(json, sizeof json, "{\"kind\":\"single\",\"question\":\"Q\",\"choices\":[\"%s\",\"b\"]}", l120);
    ck_assert_int_eq(def_err(json), POLL_OK);
    snprintf(json, sizeof json, "{\"kind\":\"single\",\"question\":\"Q\",\"choices\":[\"%s\",\"b\"]}", l121);
    ck_assert_int_eq(def_err(json), POLL_EBAD_REQUEST);
    free(l120);
    free(l121);

    /* max: multiple 1..n (default n), text 1..10 (default 3), nothing else */
    poll_def d = def_of("{\"kind\":\"multiple\",\"question\":\"Q\",\"choices\":[\"a\",\"b\",\"c\"]}");
    ck_assert_uint_eq(d.max, 3);
    poll_def_free(&d);
    d = def_of(TEXT);
    ck_assert_uint_eq(d.max, POLL_ANSWERS_DEFAULT);
    poll_def_free(&d);
    ck_assert_int_eq(def_err("{\"kind\":\"multiple\",\"question\":\"Q\",\"choices\":[\"a\",\"b\"],\"max\":1}"), POLL_OK);
    ck_assert_int_eq(def_err("{\"kind\":\"multiple\",\"question\":\"Q\",\"choices\":[\"a\",\"b\"],\"max\":0}"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err("{\"kind\":\"multiple\",\"question\":\"Q\",\"choices\":[\"a\",\"b\"],\"max\":3}"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err("{\"kind\":\"multiple\",\"question\":\"Q\",\"choices\":[\"a\",\"b\"],\"max\":1.5}"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err("{\"kind\":\"single\",\"question\":\"Q\",\"choices\":[\"a\",\"b\"],\"max\":1}"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err("{\"kind\":\"scale\",\"question\":\"Q\",\"max\":2}"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err("{\"kind\":\"text\",\"question\":\"Q\",\"max\":10}"), POLL_OK);
    ck_assert_int_eq(def_err("{\"kind\":\"text\",\"question\":\"Q\",\"max\":11}"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err("{\"kind\":\"scale\",\"question\":\"Q\",\"choices\":[\"a\",\"b\"]}"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err("{\"kind\":\"text\",\"question\":\"Q\",\"choices\":[\"a\",\"b\"]}"), POLL_EBAD_REQUEST);
}
END_TEST

/* ---- ballots ----------------------------------------------------------- */

static poll_err ballot_err(const poll_t *p, const char *json, poll_ballot *out) {
    cJSON *v = cJSON_Parse(json);
    ck_assert_ptr_nonnull(v);
    poll_ballot b;
    const char *why = NULL;
    poll_err e = poll_ballot_from_json(p, v, &b, &why);
    cJSON_Delete(v);
    if (e != POLL_OK) ck_assert_ptr_nonnull(why);
    if (out) *out = b;
    return e;
}

START_TEST(ballot_decoding) {
    poll_t *s = make(SINGLE3, "k1", true), *m = make(MULTI4, "k2", true), *c = make(SCALE, "k3", true),
         *t = make(TEXT, "k4", true);
    poll_ballot b;
    ck_assert_int_eq(ballot_err(s, "0", &b), POLL_OK);
    ck_assert_uint_eq(b.picks, 1);
    ck_assert_int_eq(ballot_err(s, "2", &b), POLL_OK);
    ck_assert_uint_eq(b.picks, 4);
    ck_assert_int_eq(ballot_err(s, "null", &b), POLL_OK);
    ck_assert(b.none);
    const char *bad_single[] = {"3", "-1", "1.5", "\"1\"", "[1]", "true", "{}", "1e300"};
    for (size_t i = 0; i < sizeof bad_single / sizeof *bad_single; i++)
        ck_assert_msg(ballot_err(s, bad_single[i], NULL) == POLL_EBAD_REQUEST, "single %s", bad_single[i]);

    ck_assert_int_eq(ballot_err(m, "[3,0]", &b), POLL_OK);
    ck_assert_uint_eq(b.picks, 9);
    ck_assert_int_eq(ballot_err(m, "[2]", &b), POLL_OK);
    ck_assert_uint_eq(b.picks, 4);
    const char *bad_multi[] = {"[]", "[0,0]", "[0,1,2]", "[4]", "[-1]", "[0.5]", "2", "[\"1\"]", "[null]"};
    for (size_t i = 0; i < sizeof bad_multi / sizeof *bad_multi; i++)
        ck_assert_msg(ballot_err(m, bad_multi[i], NULL) == POLL_EBAD_REQUEST, "multiple %s", bad_multi[i]);

    for (int v = 1; v <= 5; v++) {
        char j[8];
        snprintf(j, sizeof j, "%d", v);
        ck_assert_int_eq(ballot_err(c, j, &b), POLL_OK);
        ck_assert_uint_eq(b.value, v);
    }
    const char *bad_scale[] = {"0", "6", "3.5", "[3]", "\"3\"", "-3"};
    for (size_t i = 0; i < sizeof bad_scale / sizeof *bad_scale; i++)
        ck_assert_msg(ballot_err(c, bad_scale[i], NULL) == POLL_EBAD_REQUEST, "scale %s", bad_scale[i]);
    ck_assert_int_eq(ballot_err(t, "1", NULL), POLL_EBAD_REQUEST);
    ck_assert_int_eq(ballot_err(t, "null", NULL), POLL_EBAD_REQUEST);
    poll_free(s);
    poll_free(m);
    poll_free(c);
    poll_free(t);
}
END_TEST

START_TEST(vote_checks_ballots) {
    poll_t *s = make(SINGLE3, "k1", true), *m = make(MULTI4, "k2", true), *c = make(SCALE, "k3", true),
         *t = make(TEXT, "k4", true);
    const char *why;
    poll_ballot b;
    b = pick(3);
    ck_assert_int_eq(poll_vote(s, "p1", "O", &b, &why), POLL_EBAD_REQUEST); /* two picks */
    b = pick(8);
    ck_assert_int_eq(poll_vote(s, "p1", "O", &b, &why), POLL_EBAD_REQUEST); /* choice 3 of 0..2 */
    b = pick(0);
    ck_assert_int_eq(poll_vote(s, "p1", "O", &b, &why), POLL_EBAD_REQUEST);
    b = scale(3);
    ck_assert_int_eq(poll_vote(s, "p1", "O", &b, &why), POLL_EBAD_REQUEST);
    b = pick(7);
    ck_assert_int_eq(poll_vote(m, "p1", "O", &b, &why), POLL_EBAD_REQUEST); /* 3 > max 2 */
    b = pick(16);
    ck_assert_int_eq(poll_vote(m, "p1", "O", &b, &why), POLL_EBAD_REQUEST);
    b = scale(0);
    ck_assert_int_eq(poll_vote(c, "p1", "O", &b, &why), POLL_EBAD_REQUEST);
    b = scale(6);
    ck_assert_int_eq(poll_vote(c, "p1", "O", &b, &why), POLL_EBAD_REQUEST);
    b = pick(1);
    ck_assert_int_eq(poll_vote(c, "p1", "O", &b, &why), POLL_EBAD_REQUEST);
    ck_assert_int_eq(poll_vote(t, "p1", "O", &b, &why), POLL_EBAD_REQUEST);
    ck_assert_int_eq(poll_vote(s, "p1", "O", NULL, &why), POLL_EBAD_REQUEST);
    /* the voter and their organisation must be plausible */
    ck_assert_int_eq(poll_vote(s, "", "O", &b, &why), POLL_EBAD_REQUEST);
    ck_assert_int_eq(poll_vote(s, "p 1", "O", &b, &why), POLL_EBAD_REQUEST);
    ck_assert_int_eq(poll_vote(s, "p123456789012345678901234567890123", "O", &b, &why), POLL_EBAD_REQUEST);
    ck_assert_int_eq(poll_vote(s, "p1", "", &b, &why), POLL_EBAD_REQUEST);
    ck_assert_int_eq(poll_vote(s, "p1", NULL, &b, &why), POLL_EBAD_REQUEST);
    ck_assert_int_eq(s->respondents + m->respondents + c->respondents, 0);
    ck_assert_uint_eq(s->nvoters + m->nvoters + c->nvoters, 0);
    poll_free(s);
    poll_free(m);
    poll_free(c);
    poll_free(t);
}
END_TEST

START_TEST(ballot_change_moves_counts) {
    poll_t *p = make(SINGLE3, "k1", true);
    poll_ballot b = pick(1);
    ck_assert_int_eq(poll_vote(p, "p1", "Ville", &b, NULL), POLL_OK);
    b = pick(2);
    ck_assert_int_eq(poll_vote(p, "p2", "Ville", &b, NULL), POLL_OK);
    ck_assert_uint_eq(p->respondents, 2);
    ck_assert_uint_eq(p->counts[0], 1);
    ck_assert_uint_eq(p->counts[1], 1);
    b = pick(4); /* p1 changes its mind: 0 -> 2 */
    ck_assert_int_eq(poll_vote(p, "p1", "Ville", &b, NULL), POLL_OK);
    ck_assert_uint_eq(p->respondents, 2);
    ck_assert_uint_eq(p->counts[0], 0);
    ck_assert_uint_eq(p->counts[1], 1);
    ck_assert_uint_eq(p->counts[2], 1);
    ck_assert_uint_eq(p->orgs[0].counts[2], 1);
    ck_assert_int_eq(poll_vote(p, "p1", "Ville", &b, NULL), POLL_OK); /* same ballot: nothing moves */
    ck_assert_uint_eq(p->counts[2], 1);
    ck_assert_int_eq(poll_vote(p, "p1", "Ville", &NONE, NULL), POLL_OK);
    ck_assert_uint_eq(p->respondents, 1);
    ck_assert_uint_eq(p->counts[2], 0);
    ck_assert_uint_eq(p->orgs[0].respondents, 1);
    ck_assert_int_eq(poll_vote(p, "p9", "Ville", &NONE, NULL), POLL_OK); /* nothing to withdraw */
    ck_assert_uint_eq(p->respondents, 1);
    /* closed: the ballot stays, and cannot change */
    ck_assert_int_eq(poll_close(p, true, NULL), POLL_OK);
    ck_assert_int_eq(poll_vote(p, "p2", "Ville", &NONE, NULL), POLL_ECLOSED);
    ck_assert_uint_eq(p->counts[1], 1);
    poll_free(p);

    /* multiple: weights split a respondent evenly over their picks */
    p = make(MULTI4, "k2", true);
    b = pick(3);
    ck_assert_int_eq(poll_vote(p, "p1", "Banque", &b, NULL), POLL_OK);
    ck_assert_uint_eq(p->orgs[0].weights[0], POLL_WEIGHT_UNIT / 2);
    ck_assert_uint_eq(p->orgs[0].weights[1], POLL_WEIGHT_UNIT / 2);
    b = pick(4);
    ck_assert_int_eq(poll_vote(p, "p1", "Banque", &b, NULL), POLL_OK);
    ck_assert_uint_eq(p->orgs[0].weights[0], 0);
    ck_assert_uint_eq(p->orgs[0].weights[2], POLL_WEIGHT_UNIT);
    ck_assert_uint_eq(p->counts[0] + p->counts[1] + p->counts[2] + p->counts[3], 1);
    /* the same participant arriving with another organisation moves */
    ck_assert_int_eq(poll_vote(p, "p1", "Asso", &b, NULL), POLL_OK);
    ck_assert_uint_eq(p->orgs[0].respondents, 0);
    ck_assert_uint_eq(p->orgs[0].weights[2], 0);
    ck_assert_uint_eq(p->orgs[1].respondents, 1);
    ck_assert_uint_eq(p->orgs[1].counts[2], 1);
    ck_assert_uint_eq(p->respondents, 1);
    poll_free(p);

    /* scale */
    p = make(SCALE, "k3", true);
    b = scale(5);
    ck_assert_int_eq(poll_vote(p, "p1", "Ville", &b, NULL), POLL_OK);
    b = scale(1);
    ck_assert_int_eq(poll_vote(p, "p1", "Ville", &b, NULL), POLL_OK);
    ck_assert_uint_eq(p->counts[4], 0);
    ck_assert_uint_eq(p->counts[0], 1);
    poll_free(p);
}
END_TEST

/* ---- text answers ------------------------------------------------------ */

START_TEST(text_answers) {
    poll_t *p = make(TEXT, "k1", true);
    const char *why;
    uint32_t a1, a2, a3, a4, b1;
    ck_assert_int_eq(poll_answer_add(p, "p1", "Ville", "Un", &a1, &why), POLL_OK);
    ck_assert_int_eq(poll_answer_add(p, "p1", "Ville", "Deux", &a2, &why), POLL_OK);
    ck_assert_int_eq(poll_answer_add(p, "p1", "Ville", "Trois", &a3, &why), POLL_OK);
    ck_assert_int_eq(poll_answer_add(p, "p1", "Ville", "Quatre", &a4, &why), POLL_ELIMIT);
    ck_assert_uint_eq(a1, 1);
    ck_assert_uint_eq(a3, 3);
    ck_assert_uint_eq(p->respondents, 1);
    /* text rules */
    char *t280 = repeat("\xf0\x9f\x99\x82", 280), *t281 = repeat("\xf0\x9f\x99\x82", 281);
    ck_assert_int_eq(poll_answer_add(p, "p2", "Banque", t281, NULL, &why), POLL_EBAD_REQUEST);
    ck_assert_int_eq(poll_answer_add(p, "p2", "Banque", "", NULL, &why), POLL_EBAD_REQUEST);
    ck_assert_int_eq(poll_answer_add(p, "p2", "Banque", "a\tb", NULL, &why), POLL_EBAD_REQUEST);
    ck_assert_int_eq(poll_answer_add(p, "p2", "Banque", NULL, NULL, &why), POLL_EBAD_REQUEST);
    ck_assert_int_eq(poll_answer_add(p, "p2", "Banque", t280, &b1, &why), POLL_OK);
    ck_assert_int_eq(poll_answer_edit(p, "p2", b1, t281, &why), POLL_EBAD_REQUEST);
    free(t280);
    free(t281);
    ck_assert_uint_eq(b1, 4);
    ck_assert_uint_eq(p->respondents, 2);
    /* edit and delete: one's own only */
    ck_assert_int_eq(poll_answer_edit(p, "p2", a1, "Pirate", &why), POLL_EFORBIDDEN);
    ck_assert_int_eq(poll_answer_edit(p, "p9", a1, "Pirate", &why), POLL_EFORBIDDEN);
    ck_assert_int_eq(poll_answer_edit(p, "p1", 99, "X", &why), POLL_ENOT_FOUND);
    ck_assert_int_eq(poll_answer_edit(p, "p1", 0, "X", &why), POLL_ENOT_FOUND);
    ck_assert_int_eq(poll_answer_edit(p, "p1", a1, "Un impact", &why), POLL_OK);
    ck_assert_str_eq(p->answers[a1 - 1].text, "Un impact");
    ck_assert_int_eq(poll_answer_delete(p, "p2", false, a1, &why), POLL_EFORBIDDEN);
    ck_assert_int_eq(poll_answer_delete(p, "p1", false, a3, &why), POLL_OK);
    ck_assert_int_eq(poll_answer_delete(p, "p1", false, a3, &why), POLL_ENOT_FOUND);
    ck_assert_int_eq(poll_answer_edit(p, "p1", a3, "X", &why), POLL_ENOT_FOUND);
    ck_assert_int_eq(poll_answer_add(p, "p1", "Ville", "Quatre", &a4, &why), POLL_OK); /* room again */
    ck_assert_uint_eq(a4, 5);                                                         /* ids never reused */
    /* upvotes */
    ck_assert_int_eq(poll_upvote(p, "p1", "Ville", a1, true, &why), POLL_EFORBIDDEN);
    ck_assert_int_eq(poll_upvote(p, "p2", "Banque", a1, true, &why), POLL_OK);
    ck_assert_int_eq(poll_upvote(p, "p2", "Banque", a1, true, &why), POLL_OK);
    ck_assert_uint_eq(p->answers[a1 - 1].upvotes, 1);
    ck_assert_int_eq(poll_upvote(p, "p3", "Asso", a1, true, &why), POLL_OK);
    ck_assert_int_eq(poll_upvote(p, "p3", "Asso", a2, true, &why), POLL_OK);
    ck_assert_uint_eq(p->answers[a1 - 1].upvotes, 2);
    ck_assert_uint_eq(p->respondents, 3); /* p3 only upvoted: it still took part */
    ck_assert_int_eq(poll_upvote(p, "p3", "Asso", a3, true, &why), POLL_ENOT_FOUND);
    ck_assert_int_eq(poll_upvote(p, "p2", "Banque", a1, false, &why), POLL_OK);
    ck_assert_int_eq(poll_upvote(p, "p2", "Banque", a1, false, &why), POLL_OK);
    ck_assert_uint_eq(p->answers[a1 - 1].upvotes, 1);
    ck_assert_int_eq(poll_upvote(p, "p8", "Banque", a1, false, &why), POLL_OK);
    ck_assert_uint_eq(p->nvoters, 3); /* withdrawing nothing records nobody */
    /* editing keeps upvotes */
    ck_assert_int_eq(poll_answer_edit(p, "p1", a1, "Un grand impact", &why), POLL_OK);
    ck_assert_uint_eq(p->answers[a1 - 1].upvotes, 1);
    /* deleting an answer takes its upvotes with it: p3 now only upvotes a2 */
    ck_assert_int_eq(poll_answer_delete(p, "p1", false, a1, &why), POLL_OK);
    ck_assert_uint_eq(p->voters[2].upvotes, 1);
    ck_assert_int_eq(poll_answer_delete(p, "p1", false, a2, &why), POLL_OK);
    ck_assert_uint_eq(p->voters[2].upvotes, 0);
    ck_assert_uint_eq(p->respondents, 2);
    ck_assert_uint_eq(p->orgs[2].respondents, 0);
    /* closed: participants can do nothing; a facilitator still moderates */
    ck_assert_int_eq(poll_close(p, true, NULL), POLL_OK);
    ck_assert_int_eq(poll_answer_delete(p, "p2", false, b1, &why), POLL_ECLOSED);
    ck_assert_int_eq(poll_answer_edit(p, "p2", b1, "x", &why), POLL_ECLOSED);
    ck_assert_int_eq(poll_upvote(p, "p1", "Ville", b1, true, &why), POLL_ECLOSED);
    ck_assert_int_eq(poll_answer_delete(p, "pF", true, b1, &why), POLL_OK);
    ck_assert_uint_eq(p->respondents, 1);
    /* the text calls are for text polls only */
    poll_t *s = make(SINGLE3, "k2", true);
    ck_assert_int_eq(poll_answer_add(s, "p1", "Ville", "Un", NULL, &why), POLL_EBAD_REQUEST);
    ck_assert_int_eq(poll_upvote(s, "p1", "Ville", 1, true, &why), POLL_EBAD_REQUEST);
    ck_assert_int_eq(poll_answer_delete(s, "p1", true, 1, &why), POLL_EBAD_REQUEST);
    poll_free(s);
    poll_free(p);
}
END_TEST

START_TEST(answer_id_space_is_bounded) {
    poll_t *p = make("{\"kind\":\"text\",\"question\":\"Q\",\"max\":1}", "k1", true);
    uint32_t id;
    for (int i = 0; i < POLL_ANSWER_IDS; i++) {
        EXPECT(poll_answer_add(p, "p1", "O", "x", &id, NULL) == POLL_OK);
        EXPECT(poll_answer_delete(p, "p1", false, id, NULL) == POLL_OK);
    }
    ck_assert_int_eq(poll_answer_add(p, "p1", "O", "x", &id, NULL), POLL_ELIMIT);
    ck_assert_uint_eq(p->respondents, 0);
    poll_free(p);
}
END_TEST

/* ---- property: incremental tallies equal a recount ---------------------- */

#define NPEOPLE 300
#define NORGS 6

static const char *ORG_NAMES[NORGS] = {"Ville de Lyon", "Banque Populaire", "Association Entraide", "Région",
                                       "Université", "Fondation Été"};

typedef struct people {
    char pid[NPEOPLE][18]; /* "p" + 16 base64url, like real ids */
    int org[NPEOPLE];
} people;

static void make_people(prng *r, people *pp) {
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (int i = 0; i < NPEOPLE; i++) {
        pp->pid[i][0] = 'p';
        for (int k = 1; k < 17; k++) pp->pid[i][k] = b64[below(r, 64)];
        pp->pid[i][17] = '\0';
        /* uneven organisations: a few small ones test the threshold */
        size_t x = below(r, 100);
        pp->org[i] = x < 40 ? 0 : x < 65 ? 1 : x < 85 ? 2 : x < 95 ? 3 : x < 99 ? 4 : 5;
    }
}

/* Recount every tally from the stored ballots and compare. */
static void check_recount(const poll_t *p) {
    uint32_t counts[POLL_CHOICES_MAX] = {0}, respondents = 0;
    for (size_t o = 0; o < p->norgs; o++) {
        uint32_t oc[POLL_CHOICES_MAX] = {0}, orr = 0;
        uint64_t ow[POLL_CHOICES_MAX] = {0};
        for (size_t i = 0; i < p->nvoters; i++) {
            const poll_voter *v = &p->voters[i];
            if (v->org != o || v->ballot.none) continue;
            orr++;
            if (p->def.kind == POLL_SCALE) {
                oc[v->ballot.value - 1]++;
                continue;
            }
            unsigned n = 0;
            for (size_t k = 0; k < p->def.nchoices; k++) n += v->ballot.picks >> k & 1;
            for (size_t k = 0; k < p->def.nchoices; k++)
                if (v->ballot.picks >> k & 1) {
                    oc[k]++;
                    ow[k] += POLL_WEIGHT_UNIT / n;
                }
        }
        EXPECT(p->orgs[o].respondents == orr);
        for (size_t k = 0; k < POLL_CHOICES_MAX; k++) {
            EXPECT(p->orgs[o].counts[k] == oc[k]);
            EXPECT(p->orgs[o].weights[k] == (p->def.kind == POLL_MULTIPLE ? ow[k] : 0));
            counts[k] += oc[k];
        }
        respondents += orr;
    }
    EXPECT(p->respondents == respondents);
    for (size_t k = 0; k < POLL_CHOICES_MAX; k++) EXPECT(p->counts[k] == counts[k]);
}

static poll_ballot random_ballot(prng *r, const poll_t *p) {
    if (p->def.kind == POLL_SCALE) return scale((unsigned)below(r, 5) + 1);
    if (p->def.kind == POLL_SINGLE) return pick(1u << below(r, p->def.nchoices));
    unsigned want = (unsigned)below(r, p->def.max) + 1, m = 0;
    while ((unsigned)__builtin_popcount(m) < want) m |= 1u << below(r, p->def.nchoices);
    return pick(m);
}

/* Everything any encoder writes for p, to search for participant ids. */
static void all_output(sbuf *b, const poll_t *p, const people *pp) {
    poll_write_poll(b, p, "1");
    poll_write_results(b, p, POLL_MIN_GROUP, "\"r\"");
    poll_write_results(b, p, 1, NULL);
    poll_store_write(b, p);
    for (uint32_t i = 1; i <= p->answers_next; i++) poll_write_answer(b, p, i);
    for (int i = 0; i < NPEOPLE; i++) {
        poll_write_my_ballot(b, p, pp->pid[i], NULL);
        poll_store_write_ballot(b, p, pp->pid[i]);
    }
}

static void check_no_pid(const poll_t *p, const people *pp) {
    sbuf b;
    sbuf_init(&b, 0);
    all_output(&b, p, pp);
    ck_assert(sbuf_ok(&b));
    for (int i = 0; i < NPEOPLE; i++) EXPECT(strstr(str(&b), pp->pid[i]) == NULL);
    sbuf_free(&b);
}

START_TEST(property_ballots_recount) {
    const char *defs[] = {SINGLE3, MULTI4, SCALE,
                          "{\"kind\":\"multiple\",\"question\":\"Q\",\"choices\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\","
                          "\"7\",\"8\",\"9\",\"10\",\"11\",\"12\"]}"};
    for (size_t d = 0; d < sizeof defs / sizeof *defs; d++) {
        prng r = {0xA7E11E5u + d};
        people pp;
        make_people(&r, &pp);
        poll_t *p = make(defs[d], "prop", true);
        for (int step = 0; step < 20000; step++) {
            int who = (int)below(&r, NPEOPLE);
            size_t x = below(&r, 100);
            if (x < 75) {
                poll_ballot b = random_ballot(&r, p);
                EXPECT(poll_vote(p, pp.pid[who], ORG_NAMES[pp.org[who]], &b, NULL) == POLL_OK);
            } else if (x < 93) {
                EXPECT(poll_vote(p, pp.pid[who], ORG_NAMES[pp.org[who]], &NONE, NULL) == POLL_OK);
            } else if (x < 98) {
                /* an invalid ballot changes nothing */
                poll_ballot b = p->def.kind == POLL_SCALE ? scale(6) : pick(1u << p->def.nchoices);
                uint32_t before = p->respondents;
                EXPECT(poll_vote(p, pp.pid[who], ORG_NAMES[pp.org[who]], &b, NULL) == POLL_EBAD_REQUEST);
                EXPECT(p->respondents == before);
            } else if (x < 99) {
                /* a close and reopen in the middle changes no tally */
                EXPECT(poll_close(p, true, NULL) == POLL_OK);
                poll_ballot b = random_ballot(&r, p);
                EXPECT(poll_vote(p, pp.pid[who], ORG_NAMES[pp.org[who]], &b, NULL) == POLL_ECLOSED);
                EXPECT(poll_reopen(p, true, NULL) == POLL_OK);
            } else {
                check_recount(p);
            }
        }
        check_recount(p);
        ck_assert_uint_gt(p->respondents, 100);
        /* results agree with the tallies and add up */
        cJSON *res = results_json(p, POLL_MIN_GROUP);
        ck_assert_int_eq(cJSON_GetObjectItem(res, "respondents")->valueint, (int)p->respondents);
        int sum = 0;
        const cJSON *o;
        cJSON_ArrayForEach(o, cJSON_GetObjectItem(res, "organisations")) {
            int n = cJSON_GetObjectItem(o, "respondents")->valueint;
            ck_assert_int_ge(n, POLL_MIN_GROUP);
            sum += n;
        }
        const cJSON *other = cJSON_GetObjectItem(res, "other");
        if (!cJSON_IsNull(other)) sum += cJSON_GetObjectItem(other, "respondents")->valueint;
        ck_assert_int_le(sum, (int)p->respondents);
        cJSON_Delete(res);
        check_no_pid(p, &pp);
        poll_free(p);
    }
}
END_TEST

/* Recount the text tallies from the answers' upvoter sets. */
static void check_text_recount(const poll_t *p) {
    uint32_t respondents = 0;
    for (size_t i = 0; i < p->nvoters; i++) {
        uint32_t answers = 0, ups = 0;
        for (uint32_t a = 0; a < p->answers_next; a++) {
            const poll_answer *x = &p->answers[a];
            if (!x->text) {
                EXPECT(x->upvotes == 0);
                continue;
            }
            if (x->author == i) answers++;
            if (i / 64 < x->words && (x->upvoters[i / 64] >> (i % 64) & 1)) {
                EXPECT(x->author != i);
                ups++;
            }
        }
        EXPECT(p->voters[i].answers == answers);
        EXPECT(answers <= p->def.max);
        EXPECT(p->voters[i].upvotes == ups);
        respondents += answers + ups > 0;
    }
    EXPECT(p->respondents == respondents);
    for (uint32_t a = 0; a < p->answers_next; a++) {
        const poll_answer *x = &p->answers[a];
        uint32_t n = 0;
        for (uint32_t w = 0; w < x->words; w++) n += (uint32_t)__builtin_popcountll(x->upvoters[w]);
        EXPECT(x->upvotes == n);
    }
    uint32_t orgsum = 0;
    for (size_t o = 0; o < p->norgs; o++) {
        uint32_t n = 0;
        for (size_t i = 0; i < p->nvoters; i++) n += p->voters[i].org == o && p->voters[i].answers + p->voters[i].upvotes > 0;
        EXPECT(p->orgs[o].respondents == n);
        orgsum += n;
    }
    EXPECT(orgsum == respondents);
}

START_TEST(property_text_recount) {
    prng r = {0x7E47};
    people pp;
    make_people(&r, &pp);
    poll_t *p = make(TEXT, "txt", true);
    for (int step = 0; step < 20000; step++) {
        int who = (int)below(&r, NPEOPLE);
        const char *org = ORG_NAMES[pp.org[who]];
        uint32_t id = (uint32_t)below(&r, p->answers_next + 2); /* sometimes 0 or unknown */
        size_t x = below(&r, 100);
        poll_err e;
        if (x < 15) {
            e = poll_answer_add(p, pp.pid[who], org, "Une réponse", NULL, NULL);
            EXPECT(e == POLL_OK || e == POLL_ELIMIT);
        } else if (x < 20) {
            e = poll_answer_edit(p, pp.pid[who], id, step % 2 ? "Modifiée" : "Encore", NULL);
            EXPECT(e == POLL_OK || e == POLL_EFORBIDDEN || e == POLL_ENOT_FOUND);
        } else if (x < 27) {
            e = poll_answer_delete(p, pp.pid[who], below(&r, 10) == 0, id, NULL);
            EXPECT(e == POLL_OK || e == POLL_EFORBIDDEN || e == POLL_ENOT_FOUND);
        } else if (x < 80) {
            e = poll_upvote(p, pp.pid[who], org, id, true, NULL);
            EXPECT(e == POLL_OK || e == POLL_EFORBIDDEN || e == POLL_ENOT_FOUND);
        } else if (x < 99) {
            e = poll_upvote(p, pp.pid[who], org, id, false, NULL);
            EXPECT(e == POLL_OK || e == POLL_ENOT_FOUND);
        } else {
            check_text_recount(p);
        }
    }
    check_text_recount(p);
    ck_assert_uint_gt(p->respondents, 100);
    /* per-organisation upvotes add up to the answers' totals (min_group 1: nobody pooled) */
    cJSON *res = results_json(p, 1);
    const cJSON *answers = cJSON_GetObjectItem(res, "answers");
    int n = cJSON_GetArraySize(answers), prev = 1 << 30;
    for (int i = 0; i < n; i++) {
        int total = cJSON_GetObjectItem(cJSON_GetArrayItem(answers, i), "upvotes")->valueint, sum = 0;
        ck_assert_int_le(total, prev); /* most upvoted first */
        prev = total;
        const cJSON *o;
        cJSON_ArrayForEach(o, cJSON_GetObjectItem(res, "organisations")) {
            sum += cJSON_GetArrayItem(cJSON_GetObjectItem(o, "upvotes"), i)->valueint;
        }
        ck_assert_int_eq(sum, total);
    }
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(res, "alignment")));
    cJSON_Delete(res);
    check_no_pid(p, &pp);
    poll_free(p);
}
END_TEST

/* ---- anonymity threshold ----------------------------------------------- */

static void vote_n(poll_t *p, const char *org, int n, poll_ballot b, int *next) {
    for (int i = 0; i < n; i++) {
        char pid[16];
        snprintf(pid, sizeof pid, "p%d", (*next)++);
        ck_assert_int_eq(poll_vote(p, pid, org, &b, NULL), POLL_OK);
    }
}

static const cJSON *org_named(const cJSON *res, const char *name) {
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItem(res, "organisations")) {
        if (strcmp(cJSON_GetObjectItem(o, "name")->valuestring, name) == 0) return o;
    }
    return NULL;
}

START_TEST(threshold_and_other_bucket) {
    poll_t *p = make(SINGLE3, "k1", true);
    int next = 0;
    vote_n(p, "Ville", 5, pick(1), &next);
    vote_n(p, "Banque", 2, pick(2), &next);
    vote_n(p, "Asso", 1, pick(4), &next);
    vote_n(p, "Région", 1, pick(4), &next);
    cJSON *res = results_json(p, 3);
    ck_assert_int_eq(cJSON_GetObjectItem(res, "respondents")->valueint, 9);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(res, "organisations")), 1);
    ck_assert_ptr_nonnull(org_named(res, "Ville"));
    ck_assert_ptr_null(org_named(res, "Banque")); /* 2 < 3 */
    const cJSON *other = cJSON_GetObjectItem(res, "other");
    ck_assert_int_eq(cJSON_GetObjectItem(other, "respondents")->valueint, 4); /* 2 + 1 + 1 >= 3 */
    ck_assert_int_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(other, "counts"), 2)->valueint, 2);
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(res, "alignment"))); /* one organisation broken out */
    /* totals still count everyone */
    ck_assert_int_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(res, "counts"), 1)->valueint, 2);
    cJSON_Delete(res);
    /* a higher threshold: nobody broken out, and the pool is everyone */
    res = results_json(p, 6);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(res, "organisations")), 0);
    ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(res, "other"), "respondents")->valueint, 9);
    cJSON_Delete(res);
    /* threshold 0 behaves as 1: everyone broken out */
    res = results_json(p, 0);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(res, "organisations")), 4);
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(res, "other")));
    cJSON_Delete(res);
    poll_free(p);

    /* the pool of small organisations is itself too small: not shown at all */
    p = make(SINGLE3, "k2", true);
    next = 0;
    vote_n(p, "Ville", 3, pick(1), &next);
    vote_n(p, "Banque", 3, pick(1), &next);
    vote_n(p, "Asso", 2, pick(2), &next);
    res = results_json(p, 3);
    ck_assert_int_eq(cJSON_GetObjectItem(res, "respondents")->valueint, 8);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(res, "organisations")), 2);
    ck_assert_ptr_null(org_named(res, "Asso"));
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(res, "other")));
    /* the alignment uses only the broken-out two, which agree */
    const cJSON *al = cJSON_GetObjectItem(res, "alignment");
    ck_assert_double_eq(cJSON_GetObjectItem(al, "divergence")->valuedouble, 0);
    ck_assert_str_eq(cJSON_GetObjectItem(al, "label")->valuestring, "aligned");
    ck_assert_int_eq(cJSON_GetObjectItem(al, "organisations")->valueint, 2);
    cJSON_Delete(res);
    /* a withdrawal takes an organisation back under the threshold */
    ck_assert_int_eq(poll_vote(p, "p0", "Ville", &NONE, NULL), POLL_OK);
    res = results_json(p, 3);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(res, "organisations")), 1);
    ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(res, "other"), "respondents")->valueint, 4);
    cJSON_Delete(res);
    poll_free(p);
}
END_TEST

/* ---- alignment --------------------------------------------------------- */

static double align(const poll_t *p) {
    double d = -1;
    ck_assert(poll_alignment(p, 3, &d));
    return d;
}

START_TEST(alignment_examples) {
    int next = 0;
    /* identical distributions (in different sizes) -> 0 */
    poll_t *p = make(SINGLE3, "a1", true);
    vote_n(p, "A", 3, pick(1), &next);
    vote_n(p, "A", 3, pick(2), &next);
    vote_n(p, "B", 2, pick(1), &next);
    vote_n(p, "B", 2, pick(2), &next);
    ck_assert_double_eq(align(p), 0);
    poll_free(p);
    /* disjoint -> 1 */
    p = make(SINGLE3, "a2", true);
    vote_n(p, "A", 3, pick(1), &next);
    vote_n(p, "B", 4, pick(2), &next);
    vote_n(p, "B", 1, pick(4), &next);
    ck_assert_double_eq(align(p), 1);
    poll_free(p);
    /* three organisations, two agree, one apart: pairs 0, 1, 1 -> 2/3 */
    p = make(SINGLE3, "a3", true);
    vote_n(p, "A", 3, pick(1), &next);
    vote_n(p, "B", 3, pick(1), &next);
    vote_n(p, "C", 3, pick(2), &next);
    ck_assert_double_eq(align(p), 0.6667);
    ck_assert_str_eq(poll_alignment_label(align(p)), "divergent");
    poll_free(p);
    /* A: (2/3, 1/3, 0), B: (1/3, 1/3, 1/3): TV = (1/3 + 0 + 1/3) / 2 = 1/3 */
    p = make(SINGLE3, "a4", true);
    vote_n(p, "A", 2, pick(1), &next);
    vote_n(p, "A", 1, pick(2), &next);
    vote_n(p, "B", 1, pick(1), &next);
    vote_n(p, "B", 1, pick(2), &next);
    vote_n(p, "B", 1, pick(4), &next);
    ck_assert_double_eq(align(p), 0.3333);
    ck_assert_str_eq(poll_alignment_label(align(p)), "partly_aligned");
    poll_free(p);
    /* multiple: A picks {a, b} (each respondent split: 1/2, 1/2), B picks {a}:
     * TV = (1/2 + 1/2) / 2 = 1/2 */
    p = make(MULTI4, "a5", true);
    vote_n(p, "A", 3, pick(3), &next);
    vote_n(p, "B", 3, pick(1), &next);
    ck_assert_double_eq(align(p), 0.5);
    ck_assert_str_eq(poll_alignment_label(align(p)), "divergent");
    poll_free(p);
    /* same picks in both -> 0, whatever the number of respondents */
    p = make(MULTI4, "a6", true);
    vote_n(p, "A", 3, pick(3), &next);
    vote_n(p, "B", 5, pick(3), &next);
    ck_assert_double_eq(align(p), 0);
    poll_free(p);
    /* scale: means 1 and 5 -> 1; means 2 and 3 -> 0.25; and 3 vs 3 -> 0 */
    p = make(SCALE, "a7", true);
    vote_n(p, "A", 3, scale(1), &next);
    vote_n(p, "B", 3, scale(5), &next);
    ck_assert_double_eq(align(p), 1);
    vote_n(p, "C", 3, scale(3), &next); /* the spread is max - min: a middle one changes nothing */
    ck_assert_double_eq(align(p), 1);
    poll_free(p);
    p = make(SCALE, "a8", true);
    vote_n(p, "A", 3, scale(2), &next);
    vote_n(p, "B", 2, scale(2), &next);
    vote_n(p, "B", 2, scale(4), &next);
    ck_assert_double_eq(align(p), 0.25);
    ck_assert_str_eq(poll_alignment_label(align(p)), "partly_aligned");
    cJSON *res = results_json(p, 3);
    ck_assert_double_eq(cJSON_GetObjectItem(res, "mean")->valuedouble, 2.5714); /* 18 / 7 */
    ck_assert_double_eq(cJSON_GetObjectItem(org_named(res, "B"), "mean")->valuedouble, 3);
    cJSON_Delete(res);
    poll_free(p);
    /* fewer than two organisations broken out, and text polls: none */
    p = make(SCALE, "a9", true);
    vote_n(p, "A", 3, scale(1), &next);
    vote_n(p, "B", 2, scale(5), &next);
    double d;
    ck_assert(!poll_alignment(p, 3, &d));
    ck_assert(poll_alignment(p, 2, &d));
    ck_assert_double_eq(d, 1);
    poll_free(p);
    p = make(TEXT, "a10", true);
    ck_assert(!poll_alignment(p, 1, &d));
    poll_free(p);
    /* the label thresholds */
    ck_assert_str_eq(poll_alignment_label(0), "aligned");
    ck_assert_str_eq(poll_alignment_label(0.1999), "aligned");
    ck_assert_str_eq(poll_alignment_label(0.2), "partly_aligned");
    ck_assert_str_eq(poll_alignment_label(0.4999), "partly_aligned");
    ck_assert_str_eq(poll_alignment_label(0.5), "divergent");
    ck_assert_str_eq(poll_alignment_label(1), "divergent");
}
END_TEST

/* ---- encoders ---------------------------------------------------------- */

START_TEST(encoders_exact) {
    poll_t *p = make(MULTI4, "k7", true);
    sbuf b;
    sbuf_init(&b, 0);
    poll_write_poll(&b, p, "\"c1\"");
    ck_assert_str_eq(str(&b), "{\"type\":\"poll\",\"id\":\"c1\",\"poll\":{\"id\":\"k7\",\"kind\":\"multiple\","
                              "\"question\":\"Q ?\",\"choices\":[\"a\",\"b\",\"c\",\"d\"],\"max\":2,\"state\":\"open\","
                              "\"results\":\"hidden\",\"created\":1795833600000}}");
    sbuf_reset(&b);
    poll_ballot bl = pick(9);
    ck_assert_int_eq(poll_vote(p, "pA", "Ville", &bl, NULL), POLL_OK);
    poll_write_my_ballot(&b, p, "pA", "3");
    ck_assert_str_eq(str(&b), "{\"type\":\"my_ballot\",\"id\":3,\"poll\":\"k7\",\"ballot\":[0,3]}");
    sbuf_reset(&b);
    poll_write_my_ballot(&b, p, "pZ", NULL);
    ck_assert_str_eq(str(&b), "{\"type\":\"my_ballot\",\"poll\":\"k7\",\"ballot\":null}");
    sbuf_reset(&b);
    poll_write_results(&b, p, 1, NULL);
    ck_assert_str_eq(str(&b), "{\"type\":\"results\",\"poll\":\"k7\",\"respondents\":1,\"counts\":[1,0,0,1],"
                              "\"organisations\":[{\"name\":\"Ville\",\"respondents\":1,\"counts\":[1,0,0,1]}],"
                              "\"other\":null,\"alignment\":null}");
    sbuf_reset(&b);
    poll_write_deleted(&b, "k7", "\"c2\"");
    ck_assert_str_eq(str(&b), "{\"type\":\"poll_deleted\",\"id\":\"c2\",\"poll\":\"k7\"}");
    sbuf_reset(&b);
    poll_write_error(&b, POLL_ECLOSED, "the poll is not open", "vote", "4");
    ck_assert_str_eq(str(&b), "{\"type\":\"error\",\"code\":\"poll_closed\",\"message\":\"the poll is not open\","
                              "\"re\":\"vote\",\"id\":4}");
    sbuf_reset(&b);
    poll_free(p);

    p = make(SCALE, "k8", true);
    int next = 0;
    vote_n(p, "Banque", 3, scale(4), &next);
    vote_n(p, "Asso", 2, scale(5), &next);
    vote_n(p, "Asso", 1, scale(1), &next);
    poll_write_results(&b, p, 3, "7");
    ck_assert_str_eq(str(&b), "{\"type\":\"results\",\"id\":7,\"poll\":\"k8\",\"respondents\":6,\"counts\":[1,0,0,3,2],"
                              "\"mean\":3.8333,\"organisations\":["
                              "{\"name\":\"Asso\",\"respondents\":3,\"counts\":[1,0,0,0,2],\"mean\":3.6667},"
                              "{\"name\":\"Banque\",\"respondents\":3,\"counts\":[0,0,0,3,0],\"mean\":4}],"
                              "\"other\":null,\"alignment\":{\"divergence\":0.0833,\"label\":\"aligned\",\"organisations\":2}}");
    sbuf_reset(&b);
    poll_write_my_ballot(&b, p, "p0", NULL);
    ck_assert_str_eq(str(&b), "{\"type\":\"my_ballot\",\"poll\":\"k8\",\"ballot\":4}");
    sbuf_reset(&b);
    poll_free(p);

    p = make(TEXT, "k9", true);
    uint32_t a1, a2;
    ck_assert_int_eq(poll_answer_add(p, "pA", "Ville", "Être \"utiles\"", &a1, NULL), POLL_OK);
    ck_assert_int_eq(poll_answer_add(p, "pB", "Banque", "Apprendre", &a2, NULL), POLL_OK);
    ck_assert_int_eq(poll_upvote(p, "pA", "Ville", a2, true, NULL), POLL_OK);
    poll_write_public(&b, p);
    ck_assert_str_eq(str(&b), "{\"id\":\"k9\",\"kind\":\"text\",\"question\":\"Quel impact ?\",\"max\":3,"
                              "\"state\":\"open\",\"results\":\"hidden\",\"created\":1795833600000,"
                              "\"answers\":[{\"id\":1,\"text\":\"Être \\\"utiles\\\"\"},{\"id\":2,\"text\":\"Apprendre\"}]}");
    sbuf_reset(&b);
    poll_write_answer(&b, p, a2);
    ck_assert_str_eq(str(&b), "{\"type\":\"answer\",\"poll\":\"k9\",\"answer\":2,\"text\":\"Apprendre\"}");
    sbuf_reset(&b);
    poll_write_my_ballot(&b, p, "pA", NULL);
    ck_assert_str_eq(str(&b), "{\"type\":\"my_ballot\",\"poll\":\"k9\",\"answers\":[{\"id\":1,\"text\":\"Être "
                              "\\\"utiles\\\"\"}],\"upvotes\":[2]}");
    sbuf_reset(&b);
    poll_write_results(&b, p, 1, NULL);
    ck_assert_str_eq(str(&b), "{\"type\":\"results\",\"poll\":\"k9\",\"respondents\":2,\"answers\":[{\"id\":2,\"upvotes\":1},"
                              "{\"id\":1,\"upvotes\":0}],\"organisations\":[{\"name\":\"Banque\",\"respondents\":1,"
                              "\"upvotes\":[0,0]},{\"name\":\"Ville\",\"respondents\":1,\"upvotes\":[1,0]}],"
                              "\"other\":null,\"alignment\":null}");
    sbuf_reset(&b);
    ck_assert_int_eq(poll_answer_delete(p, "pB", false, a2, NULL), POLL_OK);
    poll_write_answer(&b, p, a2);
    ck_assert_str_eq(str(&b), "{\"type\":\"answer\",\"poll\":\"k9\",\"answer\":2,\"text\":null}");
    sbuf_free(&b);
    poll_free(p);
}
END_TEST

/* The results example of protocol/polls.md, computed by the model. */
START_TEST(documented_example) {
    poll_t *p = make(SINGLE3, "Xq3bT9aK0cE", true);
    int next = 0;
    vote_n(p, "Banque Populaire", 4, pick(2), &next);
    vote_n(p, "Ville de Lyon", 5, pick(1), &next);
    vote_n(p, "Ville de Lyon", 1, pick(2), &next);
    vote_n(p, "Asso", 2, pick(2), &next);
    vote_n(p, "Région", 1, pick(4), &next);
    vote_n(p, "Université", 1, pick(4), &next);
    cJSON *got = results_json(p, 3);
    cJSON *doc = cJSON_Parse(
        "{\"type\": \"results\", \"poll\": \"Xq3bT9aK0cE\", \"respondents\": 14, \"counts\": [5, 7, 2],"
        " \"organisations\": [{\"name\": \"Banque Populaire\", \"respondents\": 4, \"counts\": [0, 4, 0]},"
        " {\"name\": \"Ville de Lyon\", \"respondents\": 6, \"counts\": [5, 1, 0]}],"
        " \"other\": {\"respondents\": 4, \"counts\": [0, 2, 2]},"
        " \"alignment\": {\"divergence\": 0.8333, \"label\": \"divergent\", \"organisations\": 2}}");
    ck_assert(cJSON_Compare(got, doc, true));
    cJSON_Delete(got);
    cJSON_Delete(doc);
    poll_free(p);
}
END_TEST

START_TEST(error_codes) {
    ck_assert_str_eq(poll_err_code(POLL_OK), "ok");
    ck_assert_str_eq(poll_err_code(POLL_EBAD_REQUEST), "bad_request");
    ck_assert_str_eq(poll_err_code(POLL_ENOT_FOUND), "not_found");
    ck_assert_str_eq(poll_err_code(POLL_EFORBIDDEN), "forbidden");
    ck_assert_str_eq(poll_err_code(POLL_EINTERNAL), "internal");
    ck_assert_str_eq(poll_err_code(POLL_ESTATE), "poll_state");
    ck_assert_str_eq(poll_err_code(POLL_ECLOSED), "poll_closed");
    ck_assert_str_eq(poll_err_code(POLL_ELIMIT), "poll_limit");
    ck_assert_int_eq((int)POLL_EFORBIDDEN, (int)PROTO_EFORBIDDEN);
    poll_visibility v;
    ck_assert(poll_visibility_from_name("revealed", &v) && v == POLL_RESULTS_REVEALED);
    ck_assert(!poll_visibility_from_name("shown", &v));
    ck_assert(!poll_visibility_from_name(NULL, &v));
    ck_assert_str_eq(poll_kind_name(POLL_TEXT), "text");
    ck_assert_str_eq(poll_state_name(POLL_CLOSED), "closed");
}
END_TEST

/* ---- store ------------------------------------------------------------- */

static char *emit_results(const poll_t *p, unsigned g) {
    sbuf b;
    sbuf_init(&b, 0);
    poll_write_results(&b, p, g, NULL);
    poll_write_public(&b, p);
    char *s = strdup(str(&b));
    sbuf_free(&b);
    return s;
}

/* Write p and every participant's record, read them back (records in
 * reverse order, so upvotes arrive before their answers), compare. */
static void round_trip(const poll_t *p, const people *pp) {
    sbuf b;
    sbuf_init(&b, 0);
    poll_store_write(&b, p);
    poll_t *q = NULL;
    const char *why = NULL;
    ck_assert_msg(poll_store_read(str(&b), b.len, &q, &why) == POLL_OK, "%s: %s", str(&b), why);
    char **recs = calloc(NPEOPLE, sizeof *recs);
    for (int i = 0; i < NPEOPLE; i++) {
        sbuf_reset(&b);
        if (poll_store_write_ballot(&b, p, pp->pid[i])) recs[i] = strdup(str(&b));
    }
    for (int i = NPEOPLE - 1; i >= 0; i--)
        if (recs[i]) EXPECT(poll_store_read_ballot(q, pp->pid[i], recs[i], strlen(recs[i]), &why) == POLL_OK);
    poll_store_finish(q);
    ck_assert_uint_eq(q->respondents, p->respondents);
    ck_assert_uint_eq(q->answers_next, p->answers_next);
    if (p->def.kind == POLL_TEXT)
        check_text_recount(q);
    else
        check_recount(q);
    for (unsigned g = 1; g <= 3; g++) {
        char *x = emit_results(p, g), *y = emit_results(q, g);
        ck_assert_str_eq(x, y);
        free(x);
        free(y);
    }
    sbuf out1, out2;
    sbuf_init(&out1, 0);
    sbuf_init(&out2, 0);
    for (int i = 0; i < NPEOPLE; i++) {
        poll_write_my_ballot(&out1, p, pp->pid[i], NULL);
        poll_write_my_ballot(&out2, q, pp->pid[i], NULL);
    }
    ck_assert_str_eq(str(&out1), str(&out2));
    sbuf_reset(&b);
    poll_store_write(&b, q);
    sbuf_reset(&out1);
    poll_store_write(&out1, p);
    ck_assert_str_eq(str(&b), str(&out1));
    for (int i = 0; i < NPEOPLE; i++) free(recs[i]);
    free(recs);
    sbuf_free(&out1);
    sbuf_free(&out2);
    sbuf_free(&b);
    poll_free(q);
}

START_TEST(store_round_trip) {
    const char *defs[] = {SINGLE3, MULTI4, SCALE, TEXT};
    for (size_t d = 0; d < 4; d++) {
        prng r = {0x5702Eu + d};
        people pp;
        make_people(&r, &pp);
        poll_t *p = make(defs[d], "store", true);
        ck_assert_int_eq(poll_set_visibility(p, true, POLL_RESULTS_REVEALED, NULL), POLL_OK);
        for (int step = 0; step < 3000; step++) {
            int who = (int)below(&r, NPEOPLE);
            const char *org = ORG_NAMES[pp.org[who]];
            if (p->def.kind != POLL_TEXT) {
                poll_ballot bl = below(&r, 5) ? random_ballot(&r, p) : NONE;
                EXPECT(poll_vote(p, pp.pid[who], org, &bl, NULL) == POLL_OK);
                continue;
            }
            uint32_t id = (uint32_t)below(&r, p->answers_next + 1) + 1;
            size_t x = below(&r, 10);
            if (x < 3)
                poll_answer_add(p, pp.pid[who], org, step % 3 ? "Réponse" : "Autre réponse", NULL, NULL);
            else if (x < 4)
                poll_answer_delete(p, pp.pid[who], false, id, NULL);
            else
                poll_upvote(p, pp.pid[who], org, id, x < 9, NULL);
        }
        round_trip(p, &pp);
        ck_assert_int_eq(poll_close(p, true, NULL), POLL_OK);
        round_trip(p, &pp); /* a closed poll reloads its ballots too */
        check_no_pid(p, &pp);
        poll_free(p);
    }
}
END_TEST

START_TEST(store_refuses_damage) {
    const char *why;
    poll_t *q = NULL;
    const char *bad[] = {
        "", "[]", "{\"v\":2,\"id\":\"k\",\"kind\":\"scale\",\"question\":\"Q\",\"state\":\"open\",\"results\":\"hidden\",\"created\":0}",
        "{\"v\":1,\"id\":\"k k\",\"kind\":\"scale\",\"question\":\"Q\",\"state\":\"open\",\"results\":\"hidden\",\"created\":0}",
        "{\"v\":1,\"id\":\"k\",\"kind\":\"scale\",\"question\":\"Q\",\"state\":\"deleted\",\"results\":\"hidden\",\"created\":0}",
        "{\"v\":1,\"id\":\"k\",\"kind\":\"scale\",\"question\":\"Q\",\"state\":\"open\",\"results\":\"shown\",\"created\":0}",
        "{\"v\":1,\"id\":\"k\",\"kind\":\"scale\",\"question\":\"\",\"state\":\"open\",\"results\":\"hidden\",\"created\":0}",
        "{\"v\":1,\"id\":\"k\",\"kind\":\"text\",\"question\":\"Q\",\"state\":\"open\",\"results\":\"hidden\",\"created\":0,\"answers_next\":99999}",
        "{\"v\":1,\"id\":\"k\",\"kind\":\"scale\",\"question\":\"Q\",\"state\":\"open\",\"results\":\"hidden\"}",
        "{\"v\":1,\"id\":\"k\",\"kind\":\"scale\",\"question\":\"Q\xff\",\"state\":\"open\",\"results\":\"hidden\",\"created\":0}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_msg(poll_store_read(bad[i], strlen(bad[i]), &q, &why) == POLL_EBAD_REQUEST, "accepted %s", bad[i]);
        ck_assert_ptr_null(q);
    }
    const char *good = "{\"v\":1,\"id\":\"k\",\"kind\":\"single\",\"question\":\"Q\",\"choices\":[\"a\",\"b\"],"
                       "\"state\":\"closed\",\"results\":\"live\",\"created\":12}";
    ck_assert_int_eq(poll_store_read(good, strlen(good), &q, &why), POLL_OK);
    ck_assert_int_eq(q->state, POLL_CLOSED);
    ck_assert_int_eq(q->results, POLL_RESULTS_LIVE);
    ck_assert_int_eq(q->created, 12);
    const char *bad_ballots[] = {"{\"ballot\":1}", "{\"org\":\"O\",\"ballot\":2}", "{\"org\":\"O\",\"ballot\":null}",
                                 "{\"org\":\"\",\"ballot\":0}", "{\"org\":\"O\"}", "nope"};
    for (size_t i = 0; i < sizeof bad_ballots / sizeof *bad_ballots; i++)
        ck_assert_msg(poll_store_read_ballot(q, "p1", bad_ballots[i], strlen(bad_ballots[i]), &why) == POLL_EBAD_REQUEST,
                      "accepted %s", bad_ballots[i]);
    const char *ok = "{\"org\":\"O\",\"ballot\":1}";
    ck_assert_int_eq(poll_store_read_ballot(q, "p1", ok, strlen(ok), &why), POLL_OK);
    ck_assert_uint_eq(q->counts[1], 1);
    poll_free(q);

    /* text records: limits, duplicate ids, stale and own upvotes dropped */
    const char *text = "{\"v\":1,\"id\":\"t\",\"kind\":\"text\",\"question\":\"Q\",\"max\":2,\"state\":\"open\","
                       "\"results\":\"hidden\",\"created\":0,\"answers_next\":3}";
    ck_assert_int_eq(poll_store_read(text, strlen(text), &q, &why), POLL_OK);
    const char *bad_text[] = {
        "{\"org\":\"O\",\"answers\":[{\"id\":1,\"text\":\"a\"},{\"id\":2,\"text\":\"b\"},{\"id\":3,\"text\":\"c\"}]}",
        "{\"org\":\"O\",\"answers\":[{\"id\":1,\"text\":\"a\"},{\"id\":1,\"text\":\"b\"}]}",
        "{\"org\":\"O\",\"answers\":[{\"id\":0,\"text\":\"a\"}]}",
        "{\"org\":\"O\",\"answers\":[{\"id\":1,\"text\":\"\"}]}",
        "{\"org\":\"O\",\"upvotes\":[\"1\"]}",
        "{\"org\":\"O\",\"answers\":{}}",
    };
    for (size_t i = 0; i < sizeof bad_text / sizeof *bad_text; i++)
        ck_assert_msg(poll_store_read_ballot(q, "p1", bad_text[i], strlen(bad_text[i]), &why) == POLL_EBAD_REQUEST,
                      "accepted %s", bad_text[i]);
    ck_assert_uint_eq(q->respondents, 0);
    const char *r1 = "{\"org\":\"O\",\"answers\":[{\"id\":1,\"text\":\"a\"}],\"upvotes\":[1,2,3,9]}";
    const char *r2 = "{\"org\":\"B\",\"answers\":[{\"id\":2,\"text\":\"b\"},{\"id\":5,\"text\":\"e\"}],\"upvotes\":[1]}";
    ck_assert_int_eq(poll_store_read_ballot(q, "p1", r1, strlen(r1), &why), POLL_OK);
    ck_assert_int_eq(poll_store_read_ballot(q, "p2", r2, strlen(r2), &why), POLL_OK);
    ck_assert_int_eq(poll_store_read_ballot(q, "p3", r1, strlen(r1), &why), POLL_EBAD_REQUEST); /* answer 1 is p1's */
    poll_store_finish(q);
    ck_assert_uint_eq(q->answers_next, 5); /* an id past answers_next raises it */
    ck_assert_uint_eq(q->answers[0].upvotes, 1); /* p2's; p1's own upvote on 1 is dropped */
    ck_assert_uint_eq(q->answers[1].upvotes, 1);
    ck_assert_uint_eq(q->voters[0].upvotes, 1); /* 3 was deleted, 9 never existed */
    check_text_recount(q);
    uint32_t id;
    ck_assert_int_eq(poll_answer_add(q, "p9", "O", "new", &id, NULL), POLL_OK);
    ck_assert_uint_eq(id, 6);
    poll_free(q);

    /* drafts hold no ballots */
    const char *draft = "{\"v\":1,\"id\":\"d\",\"kind\":\"scale\",\"question\":\"Q\",\"state\":\"draft\","
                        "\"results\":\"hidden\",\"created\":0}";
    ck_assert_int_eq(poll_store_read(draft, strlen(draft), &q, &why), POLL_OK);
    const char *rec = "{\"org\":\"O\",\"ballot\":3}";
    ck_assert_int_eq(poll_store_read_ballot(q, "p1", rec, strlen(rec), &why), POLL_EBAD_REQUEST);
    poll_free(q);
}
END_TEST

/* ---- list -------------------------------------------------------------- */

START_TEST(list_rules) {
    poll_list l;
    poll_list_init(&l);
    char id[8];
    for (int i = 0; i < POLL_PER_WORKSHOP; i++) {
        snprintf(id, sizeof id, "k%d", i);
        EXPECT(poll_list_add(&l, make(SCALE, id, false), NULL) == POLL_OK);
    }
    poll_t *extra = make(SCALE, "kx", false), *dup = make(SCALE, "k5", false);
    ck_assert_int_eq(poll_list_add(&l, dup, NULL), POLL_EBAD_REQUEST);
    ck_assert_int_eq(poll_list_add(&l, extra, NULL), POLL_ELIMIT);
    poll_free(dup);
    ck_assert_ptr_eq(poll_list_find(&l, "k7"), l.v[7]);
    ck_assert_ptr_null(poll_list_find(&l, "nope"));
    poll_t *t = poll_list_take(&l, "k7");
    ck_assert_str_eq(t->id, "k7");
    poll_free(t);
    ck_assert_ptr_null(poll_list_find(&l, "k7"));
    ck_assert_str_eq(l.v[7]->id, "k8"); /* order kept */
    ck_assert_int_eq(poll_list_add(&l, extra, NULL), POLL_OK);
    ck_assert_ptr_null(poll_list_take(&l, "k7"));
    poll_list_free(&l);
}
END_TEST

START_TEST(names_read_back) {
    for (poll_kind k = POLL_SINGLE; k < POLL_KINDS; k++) {
        poll_kind back;
        ck_assert(poll_kind_from_name(poll_kind_name(k), &back));
        ck_assert_int_eq(back, k);
    }
    for (poll_state st = POLL_DRAFT; st <= POLL_DELETED; st++) {
        poll_state back;
        ck_assert(poll_state_from_name(poll_state_name(st), &back));
        ck_assert_int_eq(back, st);
    }
    for (poll_visibility v = POLL_RESULTS_HIDDEN; v <= POLL_RESULTS_REVEALED; v++) {
        poll_visibility back;
        ck_assert(poll_visibility_from_name(poll_visibility_name(v), &back));
        ck_assert_int_eq(back, v);
    }
    poll_kind k;
    poll_state st;
    poll_visibility v;
    const char *unknown[] = {NULL, "", "?", "Single", "scale ", "hidden", "draft"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) ck_assert(!poll_kind_from_name(unknown[i], &k));
    ck_assert(!poll_state_from_name(NULL, &st));
    ck_assert(!poll_state_from_name("Open", &st));
    ck_assert(!poll_visibility_from_name("open", &v));
    ck_assert_str_eq(poll_kind_name(POLL_KINDS), "?");
}
END_TEST

/* Upvoters are kept as a bitset over voter indexes: results count them by
 * organisation and deleting an answer releases each of them, across word
 * boundaries (voters 63/64, 127/128) and gaps. */
START_TEST(upvoters_across_words) {
    poll_t *p = make(TEXT, "up", true);
    uint32_t a, b;
    ck_assert_int_eq(poll_answer_add(p, "a", "O0", "A", &a, NULL), POLL_OK); /* voter 0 */
    ck_assert_int_eq(poll_answer_add(p, "b", "O1", "B", &b, NULL), POLL_OK); /* voter 1 */
    unsigned on_a[2] = {0, 0}, on_b[2] = {0, 0}; /* upvotes by organisation */
    char pid[16], org[4];
    for (unsigned i = 2; i < 132; i++) {
        bool pick_a = i == 2 || i == 63 || i == 64 || i == 65 || i == 127 || i == 128 || i == 131 || i % 5 == 0;
        snprintf(pid, sizeof pid, "v%u", i);
        snprintf(org, sizeof org, "O%u", i % 2);
        EXPECT(poll_upvote(p, pid, org, pick_a ? a : b, true, NULL) == POLL_OK);
        (pick_a ? on_a : on_b)[i % 2]++;
    }
    ck_assert_uint_eq(p->respondents, 132);
    cJSON *res = results_json(p, 1);
    const cJSON *answers = cJSON_GetObjectItem(res, "answers");
    /* B has more upvotes: ranked first */
    ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(answers, 0), "id")->valueint, (int)b);
    ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(answers, 1), "upvotes")->valueint, (int)(on_a[0] + on_a[1]));
    const cJSON *orgs = cJSON_GetObjectItem(res, "organisations");
    ck_assert_int_eq(cJSON_GetArraySize(orgs), 2);
    for (int k = 0; k < 2; k++) { /* O0 then O1, by name */
        const cJSON *ups = cJSON_GetObjectItem(cJSON_GetArrayItem(orgs, k), "upvotes");
        ck_assert_int_eq(cJSON_GetArrayItem(ups, 0)->valueint, (int)on_b[k]);
        ck_assert_int_eq(cJSON_GetArrayItem(ups, 1)->valueint, (int)on_a[k]);
    }
    cJSON_Delete(res);
    ck_assert_int_eq(poll_answer_delete(p, NULL, true, a, NULL), POLL_OK);
    /* a and everyone who only upvoted A are respondents no more */
    ck_assert_uint_eq(p->respondents, 1 + on_b[0] + on_b[1]);
    check_text_recount(p);
    poll_free(p);
}
END_TEST

/* ---- organisation answers, per-poll thresholds, translations, launch ---- */

static const char *ORG_SINGLE3 =
    "{\"kind\":\"single\",\"question\":\"Q ?\",\"choices\":[\"a\",\"b\",\"c\"],\"respondents\":\"organisations\"}";

/* An organisation's vote by one of its members at time at. */
static poll_err org_vote(poll_t *p, const char *pid, const char *name, const char *org, poll_ballot b, int64_t at) {
    const poll_voter_id who = {pid, name, org, at, false};
    const char *why = NULL;
    poll_err e = poll_vote_org(p, &who, &b, &why);
    if (e != POLL_OK) ck_assert_ptr_nonnull(why);
    return e;
}

static char *mine_text(const poll_t *p, const char *pid, const char *org, const char *idjson) {
    sbuf b;
    sbuf_init(&b, 0);
    poll_write_mine(&b, p, pid, org, idjson);
    char *s = strdup(str(&b));
    sbuf_free(&b);
    return s;
}

#define ASSERT_MINE(p, pid, org, idjson, want) \
    do { \
        char *got_ = mine_text(p, pid, org, idjson); \
        ck_assert_str_eq(got_, want); \
        free(got_); \
    } while (0)

START_TEST(org_ballots_replace_each_other) {
    poll_t *p = make(ORG_SINGLE3, "o1", true);
    ck_assert_int_eq(p->def.respondents, POLL_ORGANISATIONS);
    ck_assert_uint_eq(poll_threshold(p), 1);
    /* Nobody voted yet: every member is told "none", by nobody. */
    ASSERT_MINE(p, "pA", "Ville", NULL, "{\"type\":\"my_ballot\",\"poll\":\"o1\",\"ballot\":null,\"by\":null,\"at\":null}");
    ck_assert(!poll_took_part(p, "pA", "Ville"));
    /* Awa answers for Ville, then Jean (also Ville) changes it: one ballot, Jean's. */
    ck_assert_int_eq(org_vote(p, "pA", "Awa", "Ville", pick(1), 1000), POLL_OK);
    ck_assert_uint_eq(p->respondents, 1);
    ck_assert_int_eq(org_vote(p, "pJ", "Jean", "Ville", pick(4), 2000), POLL_OK);
    ck_assert_uint_eq(p->respondents, 1);
    ck_assert_uint_eq(p->counts[0], 0);
    ck_assert_uint_eq(p->counts[2], 1);
    ASSERT_MINE(p, "pA", "Ville", "5",
                "{\"type\":\"my_ballot\",\"id\":5,\"poll\":\"o1\",\"ballot\":2,"
                "\"by\":{\"participant\":\"pJ\",\"name\":\"Jean\"},\"at\":2000}");
    ck_assert(poll_took_part(p, "pA", "Ville"));  /* the organisation's answer is every member's */
    ck_assert(!poll_took_part(p, "pA", "Banque"));
    /* Another organisation counts once too, whatever its size. */
    ck_assert_int_eq(org_vote(p, "pB", "Bea", "Banque", pick(4), 3000), POLL_OK);
    ck_assert_uint_eq(p->respondents, 2);
    ck_assert_uint_eq(p->counts[2], 2);
    /* Withdrawing removes the organisation's ballot and says who did it. */
    ck_assert_int_eq(org_vote(p, "pA", "Awa", "Ville", NONE, 4000), POLL_OK);
    ck_assert_uint_eq(p->respondents, 1);
    ck_assert_uint_eq(p->counts[2], 1);
    ASSERT_MINE(p, "pJ", "Ville", NULL,
                "{\"type\":\"my_ballot\",\"poll\":\"o1\",\"ballot\":null,"
                "\"by\":{\"participant\":\"pA\",\"name\":\"Awa\"},\"at\":4000}");
    /* Refusals change nothing: a bad ballot, a person's vote, a closed poll. */
    ck_assert_int_eq(org_vote(p, "pA", "Awa", "Ville", pick(8), 5000), POLL_EBAD_REQUEST);
    ck_assert_int_eq(org_vote(p, "pA", "", "Ville", pick(1), 5000), POLL_EBAD_REQUEST);
    ck_assert_int_eq(org_vote(p, "p A", "Awa", "Ville", pick(1), 5000), POLL_EBAD_REQUEST);
    poll_ballot one = pick(1);
    ck_assert_int_eq(poll_vote(p, "pA", "Ville", &one, NULL), POLL_EBAD_REQUEST);
    ck_assert_int_eq(poll_close(p, true, NULL), POLL_OK);
    ck_assert_int_eq(org_vote(p, "pA", "Awa", "Ville", pick(1), 6000), POLL_ECLOSED);
    ck_assert_uint_eq(p->respondents, 1);
    ck_assert_int_eq(poll_org_find(p, "Ville")->at, 4000);
    poll_free(p);
    /* A poll people answer takes no organisation ballot. */
    p = make(SINGLE3, "o2", true);
    ck_assert_int_eq(org_vote(p, "pA", "Awa", "Ville", pick(1), 1), POLL_EBAD_REQUEST);
    ck_assert_uint_eq(p->respondents, 0);
    poll_free(p);
}
END_TEST

/* A poll limited to representatives (protocol/agreement.md, "Rights"):
 * only on organisation answers, a boolean, said in the poll object and its
 * record; only a representative's vote counts, anyone else's is forbidden
 * and changes nothing. */
START_TEST(representatives_only) {
    static const char *REPS =
        "{\"kind\":\"single\",\"question\":\"Q ?\",\"choices\":[\"a\",\"b\",\"c\"],\"respondents\":\"organisations\","
        "\"representatives_only\":true}";
    ck_assert_int_eq(def_err(REPS), POLL_OK);
    ck_assert_int_eq(def_err("{\"kind\":\"scale\",\"question\":\"Q\",\"respondents\":\"organisations\",\"representatives_only\":false}"), POLL_OK);
    ck_assert_int_eq(def_err("{\"kind\":\"scale\",\"question\":\"Q\",\"representatives_only\":true}"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err("{\"kind\":\"scale\",\"question\":\"Q\",\"respondents\":\"people\",\"representatives_only\":true}"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err("{\"kind\":\"scale\",\"question\":\"Q\",\"respondents\":\"organisations\",\"representatives_only\":1}"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err("{\"kind\":\"scale\",\"question\":\"Q\",\"respondents\":\"organisations\",\"representatives_only\":null}"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err("{\"kind\":\"scale\",\"question\":\"Q\",\"respondents\":\"organisations\",\"representatives_only\":\"true\"}"), POLL_EBAD_REQUEST);
    poll_def c = {.kind = POLL_SCALE, .question = strdup("Q"), .representatives_only = true};
    const char *why = NULL;
    ck_assert_int_eq(poll_def_check(&c, &why), POLL_EBAD_REQUEST);
    poll_def_free(&c);

    /* Said in the poll object only when set. */
    poll_t *p = make(REPS, "r1", true);
    sbuf b;
    sbuf_init(&b, 0);
    poll_write_public(&b, p);
    ck_assert_ptr_nonnull(strstr(str(&b), ",\"respondents\":\"organisations\",\"threshold\":1,\"representatives_only\":true"));
    sbuf_reset(&b);
    poll_t *plain = make(ORG_SINGLE3, "r2", true);
    poll_write_public(&b, plain);
    ck_assert_ptr_null(strstr(str(&b), "representatives_only"));
    poll_free(plain);

    /* A participant (or a facilitator) is refused and nothing moves; a
     * representative answers for their organisation. */
    const poll_voter_id member = {"pJ", "Jean", "Ville", 1000, false}, rep = {"pA", "Awa", "Ville", 2000, true};
    poll_ballot one = pick(1);
    why = NULL;
    ck_assert_int_eq(poll_vote_org(p, &member, &one, &why), POLL_EFORBIDDEN);
    ck_assert_ptr_nonnull(why);
    ck_assert_uint_eq(p->respondents, 0);
    ck_assert_ptr_null(poll_org_find(p, "Ville"));
    ck_assert_int_eq(poll_vote_org(p, &member, &NONE, NULL), POLL_EFORBIDDEN);
    ck_assert_int_eq(poll_vote_org(p, &rep, &one, NULL), POLL_OK);
    ck_assert_int_eq(poll_vote_org(p, &member, &NONE, NULL), POLL_EFORBIDDEN); /* nor withdraw it */
    ck_assert_uint_eq(p->respondents, 1);
    ck_assert_str_eq(poll_org_find(p, "Ville")->by, "pA");

    /* The record keeps the limit. */
    sbuf_reset(&b);
    poll_store_write(&b, p);
    poll_t *back = NULL;
    ck_assert_int_eq(poll_store_read(str(&b), strlen(str(&b)), &back, &why), POLL_OK);
    ck_assert(back->def.representatives_only);
    poll_free(back);
    sbuf_free(&b);
    poll_free(p);
}
END_TEST

/* Each organisation's tallies are its one ballot's, the totals their sum. */
static void check_org_recount(const poll_t *p) {
    uint32_t counts[POLL_CHOICES_MAX] = {0}, respondents = 0;
    for (size_t o = 0; o < p->norgs; o++) {
        const poll_org *g = &p->orgs[o];
        uint32_t oc[POLL_CHOICES_MAX] = {0};
        uint64_t ow[POLL_CHOICES_MAX] = {0};
        if (!g->ballot.none && p->def.kind == POLL_SCALE) oc[g->ballot.value - 1] = 1;
        for (size_t k = 0; !g->ballot.none && p->def.kind != POLL_SCALE && k < p->def.nchoices; k++)
            if (g->ballot.picks >> k & 1) {
                oc[k] = 1;
                ow[k] = POLL_WEIGHT_UNIT / (unsigned)__builtin_popcount(g->ballot.picks);
            }
        EXPECT(g->respondents == (g->ballot.none ? 0u : 1u));
        for (size_t k = 0; k < POLL_CHOICES_MAX; k++) {
            EXPECT(g->counts[k] == oc[k]);
            EXPECT(g->weights[k] == (p->def.kind == POLL_MULTIPLE ? ow[k] : 0));
            counts[k] += oc[k];
        }
        respondents += g->respondents;
    }
    EXPECT(p->respondents == respondents);
    for (size_t k = 0; k < POLL_CHOICES_MAX; k++) EXPECT(p->counts[k] == counts[k]);
}

/* Write p and every organisation's record, read them back in reverse
 * order, and compare everything the encoders write. */
static void org_round_trip(const poll_t *p) {
    sbuf b, x, y;
    sbuf_init(&b, 0);
    sbuf_init(&x, 0);
    sbuf_init(&y, 0);
    poll_store_write(&b, p);
    poll_t *q = NULL;
    const char *why = NULL;
    ck_assert_msg(poll_store_read(str(&b), b.len, &q, &why) == POLL_OK, "%s: %s", str(&b), why);
    for (size_t i = p->norgs; i-- > 0;) {
        sbuf_reset(&b);
        ck_assert(poll_store_write_ballot(&b, p, p->orgs[i].name));
        ck_assert_msg(poll_store_read_ballot(q, p->orgs[i].name, str(&b), b.len, &why) == POLL_OK, "%s: %s", str(&b), why);
    }
    poll_store_finish(q);
    check_org_recount(q);
    const poll_t *both[] = {p, q};
    sbuf *out[] = {&x, &y};
    for (int k = 0; k < 2; k++) {
        poll_store_write(out[k], both[k]);
        poll_write_results(out[k], both[k], poll_threshold(both[k]), NULL);
        for (size_t i = 0; i < p->norgs; i++) poll_write_mine(out[k], both[k], "pX", p->orgs[i].name, NULL);
    }
    ck_assert_str_eq(str(&x), str(&y));
    sbuf_free(&b);
    sbuf_free(&x);
    sbuf_free(&y);
    poll_free(q);
}

START_TEST(property_org_ballots) {
    const char *defs[] = {ORG_SINGLE3,
                          "{\"kind\":\"multiple\",\"question\":\"Q\",\"choices\":[\"a\",\"b\",\"c\",\"d\"],\"max\":3,"
                          "\"respondents\":\"organisations\"}",
                          "{\"kind\":\"scale\",\"question\":\"Q\",\"respondents\":\"organisations\",\"threshold\":1}"};
    for (size_t d = 0; d < sizeof defs / sizeof *defs; d++) {
        prng r = {0x0E6A15u + d};
        people pp;
        make_people(&r, &pp);
        poll_t *p = make(defs[d], "org", true);
        for (int step = 0; step < 4000; step++) {
            int who = (int)below(&r, NPEOPLE);
            poll_ballot bl = below(&r, 6) ? random_ballot(&r, p) : NONE;
            EXPECT(org_vote(p, pp.pid[who], "Nom", ORG_NAMES[pp.org[who]], bl, step) == POLL_OK);
            const poll_org *o = poll_org_find(p, ORG_NAMES[pp.org[who]]);
            EXPECT(o && strcmp(o->by, pp.pid[who]) == 0 && o->at == step); /* the last writer stands */
            if (step % 500 == 0) check_org_recount(p);
        }
        check_org_recount(p);
        ck_assert_uint_le(p->respondents, NORGS);
        org_round_trip(p);
        ck_assert_int_eq(poll_close(p, true, NULL), POLL_OK);
        org_round_trip(p);
        poll_free(p);
    }
}
END_TEST

/* The worked example of protocol/polls.md, "Organisation answers". */
START_TEST(org_results_and_alignment_example) {
    poll_t *p = make("{\"kind\":\"multiple\",\"question\":\"Quelles priorités ?\",\"choices\":[\"Emploi\",\"Logement\","
                     "\"Mobilité\"],\"max\":2,\"respondents\":\"organisations\"}",
                     "Xq3bT9aK0cE", true);
    ck_assert_int_eq(org_vote(p, "pLea", "Léa", "Asso Entraide", pick(3), 1795833700000), POLL_OK);
    ck_assert_int_eq(org_vote(p, "pMarc", "Marc", "Banque Populaire", pick(2), 1795833700500), POLL_OK);
    ck_assert_int_eq(org_vote(p, "pAwa", "Awa", "Ville de Lyon", pick(6), 1795833710000), POLL_OK);
    ck_assert_int_eq(org_vote(p, "pJean", "Jean", "Banque Populaire", pick(1), 1795833720000), POLL_OK);
    sbuf b;
    sbuf_init(&b, 0);
    poll_write_results(&b, p, poll_threshold(p), NULL);
    ck_assert_str_eq(str(&b),
                     "{\"type\":\"results\",\"poll\":\"Xq3bT9aK0cE\",\"respondents\":3,\"counts\":[2,2,1],\"threshold\":1,"
                     "\"organisations\":["
                     "{\"name\":\"Asso Entraide\",\"respondents\":1,\"counts\":[1,1,0],\"by\":\"Léa\",\"at\":1795833700000},"
                     "{\"name\":\"Banque Populaire\",\"respondents\":1,\"counts\":[1,0,0],\"by\":\"Jean\",\"at\":1795833720000},"
                     "{\"name\":\"Ville de Lyon\",\"respondents\":1,\"counts\":[0,1,1],\"by\":\"Awa\",\"at\":1795833710000}],"
                     "\"other\":null,\"alignment\":{\"divergence\":0.6667,\"label\":\"divergent\",\"organisations\":3}}");
    sbuf_reset(&b);
    poll_write_poll(&b, p, NULL);
    ck_assert_str_eq(str(&b), "{\"type\":\"poll\",\"poll\":{\"id\":\"Xq3bT9aK0cE\",\"kind\":\"multiple\","
                              "\"question\":\"Quelles priorités ?\",\"choices\":[\"Emploi\",\"Logement\",\"Mobilité\"],"
                              "\"max\":2,\"respondents\":\"organisations\",\"threshold\":1,\"state\":\"open\","
                              "\"results\":\"hidden\",\"created\":1795833600000}}");
    sbuf_reset(&b);
    poll_write_org_answer(&b, p, "Banque Populaire");
    ck_assert_str_eq(str(&b), "{\"name\":\"Banque Populaire\",\"ballot\":[0],"
                              "\"by\":{\"participant\":\"pJean\",\"name\":\"Jean\"},\"at\":1795833720000}");
    sbuf_free(&b);
    poll_free(p);

    /* Scale: Asso 2, Banque 4, Ville 5: D = (5 - 2) / 4 = 0.75, even with
     * one answer each (an organisation's mean is its answer). */
    p = make("{\"kind\":\"scale\",\"question\":\"Q\",\"respondents\":\"organisations\"}", "s1", true);
    ck_assert_int_eq(org_vote(p, "p1", "A", "Asso", scale(2), 1), POLL_OK);
    ck_assert_int_eq(org_vote(p, "p2", "B", "Banque", scale(4), 2), POLL_OK);
    double d;
    ck_assert(poll_alignment(p, poll_threshold(p), &d));
    ck_assert_double_eq(d, 0.5);
    ck_assert_int_eq(org_vote(p, "p3", "C", "Ville", scale(5), 3), POLL_OK);
    ck_assert(poll_alignment(p, poll_threshold(p), &d));
    ck_assert_double_eq(d, 0.75);
    cJSON *res = results_json(p, poll_threshold(p));
    ck_assert_double_eq(cJSON_GetObjectItem(org_named(res, "Banque"), "mean")->valuedouble, 4);
    ck_assert_double_eq(cJSON_GetObjectItem(res, "mean")->valuedouble, 3.6667);
    cJSON_Delete(res);
    /* An organisation that withdraws leaves the comparison. */
    ck_assert_int_eq(org_vote(p, "p4", "D", "Ville", NONE, 4), POLL_OK);
    ck_assert(poll_alignment(p, poll_threshold(p), &d));
    ck_assert_double_eq(d, 0.5);
    res = results_json(p, poll_threshold(p));
    ck_assert_ptr_null(org_named(res, "Ville"));
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(res, "organisations")), 2);
    cJSON_Delete(res);
    poll_free(p);
}
END_TEST

START_TEST(threshold_rules) {
    /* people: 2..10, default 3; 1 only for organisations; organisations: always 1 */
    ck_assert_int_eq(def_err("{\"kind\":\"scale\",\"question\":\"Q\",\"threshold\":2}"), POLL_OK);
    ck_assert_int_eq(def_err("{\"kind\":\"scale\",\"question\":\"Q\",\"threshold\":10}"), POLL_OK);
    ck_assert_int_eq(def_err("{\"kind\":\"scale\",\"question\":\"Q\",\"threshold\":1}"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err("{\"kind\":\"scale\",\"question\":\"Q\",\"threshold\":11}"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err("{\"kind\":\"scale\",\"question\":\"Q\",\"threshold\":0}"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err("{\"kind\":\"scale\",\"question\":\"Q\",\"threshold\":2.5}"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err("{\"kind\":\"scale\",\"question\":\"Q\",\"threshold\":\"3\"}"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err("{\"kind\":\"scale\",\"question\":\"Q\",\"threshold\":null}"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err("{\"kind\":\"text\",\"question\":\"Q\",\"threshold\":4}"), POLL_OK);
    ck_assert_int_eq(def_err("{\"kind\":\"scale\",\"question\":\"Q\",\"respondents\":\"people\",\"threshold\":3}"), POLL_OK);
    ck_assert_int_eq(def_err("{\"kind\":\"scale\",\"question\":\"Q\",\"respondents\":\"organisations\",\"threshold\":1}"), POLL_OK);
    ck_assert_int_eq(def_err("{\"kind\":\"scale\",\"question\":\"Q\",\"respondents\":\"organisations\",\"threshold\":3}"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err("{\"kind\":\"text\",\"question\":\"Q\",\"respondents\":\"organisations\"}"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err("{\"kind\":\"scale\",\"question\":\"Q\",\"respondents\":\"orgs\"}"), POLL_EBAD_REQUEST);
    ck_assert_int_eq(def_err("{\"kind\":\"scale\",\"question\":\"Q\",\"respondents\":null}"), POLL_EBAD_REQUEST);
    poll_def d = def_of(SCALE);
    ck_assert_int_eq(d.respondents, POLL_PEOPLE);
    ck_assert_uint_eq(d.threshold, POLL_MIN_GROUP);
    poll_def_free(&d);
    d = def_of(ORG_SINGLE3);
    ck_assert_uint_eq(d.threshold, 1);
    poll_def_free(&d);
    /* A definition made in C with threshold 0 takes its respondents' default. */
    poll_def c = {.kind = POLL_SCALE, .question = strdup("Q")};
    poll_t *p = NULL;
    ck_assert_int_eq(poll_create(&p, "t0", true, &c, 0, NULL), POLL_OK);
    ck_assert_uint_eq(poll_threshold(p), POLL_MIN_GROUP);
    poll_free(p);

    /* Threshold 2: organisations of 2 are broken out, and the poll and its
     * results say so; under the default, neither says anything new. */
    p = make("{\"kind\":\"single\",\"question\":\"Q ?\",\"choices\":[\"a\",\"b\",\"c\"],\"threshold\":2}", "t2", true);
    int next = 0;
    vote_n(p, "Banque", 2, pick(1), &next);
    vote_n(p, "Ville", 2, pick(2), &next);
    vote_n(p, "Asso", 1, pick(2), &next);
    sbuf b;
    sbuf_init(&b, 0);
    poll_write_results(&b, p, poll_threshold(p), NULL);
    ck_assert_str_eq(str(&b), "{\"type\":\"results\",\"poll\":\"t2\",\"respondents\":5,\"counts\":[2,3,0],\"threshold\":2,"
                              "\"organisations\":[{\"name\":\"Banque\",\"respondents\":2,\"counts\":[2,0,0]},"
                              "{\"name\":\"Ville\",\"respondents\":2,\"counts\":[0,2,0]}],"
                              "\"other\":null,\"alignment\":{\"divergence\":1,\"label\":\"divergent\",\"organisations\":2}}");
    sbuf_reset(&b);
    poll_write_public(&b, p);
    ck_assert_ptr_nonnull(strstr(str(&b), ",\"respondents\":\"people\",\"threshold\":2,"));
    poll_free(p);
    p = make(SINGLE3, "t3", true);
    sbuf_reset(&b);
    poll_write_public(&b, p);
    poll_write_results(&b, p, poll_threshold(p), NULL);
    ck_assert_ptr_null(strstr(str(&b), "threshold"));
    ck_assert_ptr_null(strstr(str(&b), "people"));
    sbuf_free(&b);
    poll_free(p);
}
END_TEST

START_TEST(translations_rules) {
    const char *ok = "{\"kind\":\"single\",\"question\":\"Commun ?\",\"choices\":[\"Oui\",\"Non\"],"
                     "\"translations\":{\"fr\":{\"question\":\"Commun ?\",\"choices\":[\"Oui\",\"Non\"]},"
                     "\"en\":{\"question\":\"Shared?\",\"choices\":[\"Yes\",\"No\"]}}}";
    poll_def d = def_of(ok);
    ck_assert_str_eq(d.translations[POLL_LANG_EN].question, "Shared?");
    ck_assert_str_eq(d.translations[POLL_LANG_EN].choices[1], "No");
    poll_def_free(&d);
    /* written as given, fr then en, and read back from the poll record */
    poll_t *p = make(ok, "tr", false);
    sbuf b;
    sbuf_init(&b, 0);
    poll_write_public(&b, p);
    ck_assert_str_eq(str(&b), "{\"id\":\"tr\",\"kind\":\"single\",\"question\":\"Commun ?\",\"choices\":[\"Oui\",\"Non\"],"
                              "\"translations\":{\"fr\":{\"question\":\"Commun ?\",\"choices\":[\"Oui\",\"Non\"]},"
                              "\"en\":{\"question\":\"Shared?\",\"choices\":[\"Yes\",\"No\"]}},"
                              "\"state\":\"draft\",\"results\":\"hidden\",\"created\":1795833600000}");
    sbuf_reset(&b);
    poll_store_write(&b, p);
    poll_t *q = NULL;
    ck_assert_int_eq(poll_store_read(str(&b), b.len, &q, NULL), POLL_OK);
    ck_assert_str_eq(q->def.translations[POLL_LANG_FR].choices[0], "Oui");
    poll_free(q);
    poll_free(p);
    sbuf_free(&b);
    /* one language is enough; text and scale polls translate their question only */
    ck_assert_int_eq(def_err("{\"kind\":\"text\",\"question\":\"Q\",\"translations\":{\"en\":{\"question\":\"What?\"}}}"), POLL_OK);
    ck_assert_int_eq(def_err("{\"kind\":\"scale\",\"question\":\"Q\",\"translations\":{\"fr\":{\"question\":\"Q\"}}}"), POLL_OK);
    const char *bad[] = {
        "{\"kind\":\"scale\",\"question\":\"Q\",\"translations\":{}}",
        "{\"kind\":\"scale\",\"question\":\"Q\",\"translations\":null}",
        "{\"kind\":\"scale\",\"question\":\"Q\",\"translations\":[]}",
        "{\"kind\":\"scale\",\"question\":\"Q\",\"translations\":{\"de\":{\"question\":\"Q\"}}}",
        "{\"kind\":\"scale\",\"question\":\"Q\",\"translations\":{\"fr\":\"Q\"}}",
        "{\"kind\":\"scale\",\"question\":\"Q\",\"translations\":{\"fr\":{}}}",
        "{\"kind\":\"scale\",\"question\":\"Q\",\"translations\":{\"fr\":{\"question\":\"\"}}}",
        "{\"kind\":\"scale\",\"question\":\"Q\",\"translations\":{\"fr\":{\"question\":\"a\\nb\"}}}",
        "{\"kind\":\"scale\",\"question\":\"Q\",\"translations\":{\"fr\":{\"question\":\"Q\",\"max\":2}}}",
        "{\"kind\":\"scale\",\"question\":\"Q\",\"translations\":{\"fr\":{\"question\":\"Q\",\"choices\":[\"a\",\"b\"]}}}",
        "{\"kind\":\"scale\",\"question\":\"Q\",\"translations\":{\"fr\":{\"question\":\"Q\"},\"fr\":{\"question\":\"R\"}}}",
        "{\"kind\":\"single\",\"question\":\"Q\",\"choices\":[\"a\",\"b\"],\"translations\":{\"en\":{\"question\":\"Q\"}}}",
        "{\"kind\":\"single\",\"question\":\"Q\",\"choices\":[\"a\",\"b\"],\"translations\":{\"en\":{\"question\":\"Q\",\"choices\":[\"a\"]}}}",
        "{\"kind\":\"single\",\"question\":\"Q\",\"choices\":[\"a\",\"b\"],\"translations\":{\"en\":{\"question\":\"Q\",\"choices\":[\"a\",\"b\",\"c\"]}}}",
        "{\"kind\":\"single\",\"question\":\"Q\",\"choices\":[\"a\",\"b\"],\"translations\":{\"en\":{\"question\":\"Q\",\"choices\":[\"x\",\"x\"]}}}",
        "{\"kind\":\"single\",\"question\":\"Q\",\"choices\":[\"a\",\"b\"],\"translations\":{\"en\":{\"question\":\"Q\",\"choices\":[\"x\",2]}}}",
        "{\"kind\":\"single\",\"question\":\"Q\",\"choices\":[\"a\",\"b\"],\"translations\":{\"en\":{\"question\":\"Q\",\"choices\":\"x,y\"}}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(def_err(bad[i]) == POLL_EBAD_REQUEST, "accepted: %s", bad[i]);
    /* the limits of question and choices hold in every language */
    char *q300 = repeat("\xc3\xa9", 300), *q301 = repeat("\xc3\xa9", 301), *c121 = repeat("x", 121), json[2048];
    snprintf(json, sizeof json, "{\"kind\":\"scale\",\"question\":\"Q\",\"translations\":{\"en\":{\"question\":\"%s\"}}}", q300);
    ck_assert_int_eq(def_err(json), POLL_OK);
    snprintf(json, sizeof json, "{\"kind\":\"scale\",\"question\":\"Q\",\"translations\":{\"en\":{\"question\":\"%s\"}}}", q301);
    ck_assert_int_eq(def_err(json), POLL_EBAD_REQUEST);
    snprintf(json, sizeof json,
             "{\"kind\":\"single\",\"question\":\"Q\",\"choices\":[\"a\",\"b\"],\"translations\":{\"en\":{\"question\":\"Q\","
             "\"choices\":[\"%s\",\"b\"]}}}", c121);
    ck_assert_int_eq(def_err(json), POLL_EBAD_REQUEST);
    free(q300);
    free(q301);
    free(c121);
}
END_TEST

START_TEST(launch_opens_with_visibility) {
    poll_t *p = make(SCALE, "l1", false);
    const char *why = NULL;
    ck_assert_int_eq(poll_launch(p, false, POLL_RESULTS_LIVE, &why), POLL_EFORBIDDEN);
    ck_assert_int_eq(poll_launch(p, true, (poll_visibility)9, &why), POLL_EBAD_REQUEST);
    ck_assert_int_eq(p->state, POLL_DRAFT);
    ck_assert_int_eq(p->results, POLL_RESULTS_HIDDEN);
    ck_assert_int_eq(poll_launch(p, true, POLL_RESULTS_LIVE, &why), POLL_OK);
    ck_assert_int_eq(p->state, POLL_OPEN);
    ck_assert_int_eq(p->results, POLL_RESULTS_LIVE);
    /* only a draft: a refusal leaves the visibility alone */
    ck_assert_int_eq(poll_launch(p, true, POLL_RESULTS_HIDDEN, &why), POLL_ESTATE);
    ck_assert_int_eq(p->results, POLL_RESULTS_LIVE);
    /* revealing works in every state but deleted */
    ck_assert_int_eq(poll_set_visibility(p, true, POLL_RESULTS_REVEALED, NULL), POLL_OK);
    ck_assert_int_eq(poll_close(p, true, NULL), POLL_OK);
    ck_assert_int_eq(poll_set_visibility(p, true, POLL_RESULTS_LIVE, NULL), POLL_OK);
    ck_assert_int_eq(poll_delete(p, true, NULL), POLL_OK);
    ck_assert_int_eq(poll_launch(p, true, POLL_RESULTS_LIVE, &why), POLL_ENOT_FOUND);
    poll_free(p);
}
END_TEST

START_TEST(org_store_refuses_damage) {
    poll_t *p = make(ORG_SINGLE3, "od", true);
    const char *why = NULL;
    const char *bad[] = {
        "{\"ballot\":0}",
        "{\"ballot\":0,\"by\":{\"participant\":\"pA\",\"name\":\"Awa\"}}",
        "{\"ballot\":0,\"by\":{\"participant\":\"pA\"},\"at\":1}",
        "{\"ballot\":0,\"by\":{\"participant\":\"p A\",\"name\":\"Awa\"},\"at\":1}",
        "{\"ballot\":0,\"by\":\"pA\",\"at\":1}",
        "{\"ballot\":0,\"by\":{\"participant\":\"pA\",\"name\":\"Awa\"},\"at\":-1}",
        "{\"ballot\":7,\"by\":{\"participant\":\"pA\",\"name\":\"Awa\"},\"at\":1}",
        "{\"by\":{\"participant\":\"pA\",\"name\":\"Awa\"},\"at\":1}",
        "[]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(poll_store_read_ballot(p, "Ville", bad[i], strlen(bad[i]), &why) == POLL_EBAD_REQUEST, "%s", bad[i]);
    ck_assert_uint_eq(p->respondents, 0);
    const char *good = "{\"ballot\":null,\"by\":{\"participant\":\"pA\",\"name\":\"Awa\"},\"at\":1}";
    ck_assert_int_eq(poll_store_read_ballot(p, "", good, strlen(good), &why), POLL_EBAD_REQUEST);
    ck_assert_int_eq(poll_store_read_ballot(p, "Ville", good, strlen(good), &why), POLL_OK);
    ck_assert_int_eq(poll_store_read_ballot(p, "Ville", good, strlen(good), &why), POLL_EBAD_REQUEST); /* twice */
    ck_assert_uint_eq(p->respondents, 0);
    ck_assert(poll_took_part(p, "pZ", "Ville"));
    poll_free(p);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("poll");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, lifecycle_matrix);
    tcase_add_test(tc, create_rules);
    tcase_add_test(tc, edit_replaces_definition);
    tcase_add_test(tc, reopen_hides_revealed_results);
    tcase_add_test(tc, who_sees_what);
    tcase_add_test(tc, participant_actions_by_state);
    tcase_add_test(tc, definition_rules);
    tcase_add_test(tc, ballot_decoding);
    tcase_add_test(tc, vote_checks_ballots);
    tcase_add_test(tc, ballot_change_moves_counts);
    tcase_add_test(tc, text_answers);
    tcase_add_test(tc, answer_id_space_is_bounded);
    tcase_add_test(tc, property_ballots_recount);
    tcase_add_test(tc, property_text_recount);
    tcase_add_test(tc, threshold_and_other_bucket);
    tcase_add_test(tc, alignment_examples);
    tcase_add_test(tc, encoders_exact);
    tcase_add_test(tc, documented_example);
    tcase_add_test(tc, error_codes);
    tcase_add_test(tc, store_round_trip);
    tcase_add_test(tc, store_refuses_damage);
    tcase_add_test(tc, list_rules);
    tcase_add_test(tc, names_read_back);
    tcase_add_test(tc, upvoters_across_words);
    tcase_add_test(tc, org_ballots_replace_each_other);
    tcase_add_test(tc, representatives_only);
    tcase_add_test(tc, property_org_ballots);
    tcase_add_test(tc, org_results_and_alignment_example);
    tcase_add_test(tc, threshold_rules);
    tcase_add_test(tc, translations_rules);
    tcase_add_test(tc, launch_opens_with_visibility);
    tcase_add_test(tc, org_store_refuses_damage);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
