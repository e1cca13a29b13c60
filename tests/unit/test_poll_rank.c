/* test_poll_rank.c -- ranking polls (protocol/polls.md, "Ranking polls"):
 * strict ballots, Borda points and mean ranks overall, by organisation and
 * pooled under the threshold, the Kendall tau alignment, organisation
 * answers, and every worked example of the specification number for
 * number. */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "core/poll.h"
#include "core/poll_json.h"
#include "core/poll_store.h"

static const char *str(const sbuf *b) { return sbuf_data(b) ? sbuf_data(b) : ""; }

static const char *RANK3 = "{\"kind\":\"rank\",\"question\":\"Priorités ?\",\"choices\":[\"a\",\"b\",\"c\"]}";
static const char *RANK4 = "{\"kind\":\"rank\",\"question\":\"Priorités ?\",\"choices\":[\"a\",\"b\",\"c\",\"d\"]}";
static const char *RANK3_ORGS =
    "{\"kind\":\"rank\",\"question\":\"Priorités ?\",\"choices\":[\"a\",\"b\",\"c\",\"d\"],\"respondents\":\"organisations\"}";

static poll_t *make(const char *json, const char *id) {
    cJSON *o = cJSON_Parse(json);
    ck_assert_ptr_nonnull(o);
    poll_def d;
    const char *why = NULL;
    ck_assert_msg(poll_def_from_json(o, &d, &why) == POLL_OK, "%s: %s", json, why ? why : "");
    cJSON_Delete(o);
    poll_t *p = NULL;
    ck_assert_int_eq(poll_create(&p, id, true, &d, 1795833600000, &why), POLL_OK);
    ck_assert_int_eq(poll_open(p, true, &why), POLL_OK);
    return p;
}

/* The ballot JSON text json read for p: its status, *b filled on success. */
static poll_err ballot_of(const poll_t *p, const char *json, poll_ballot *b) {
    cJSON *v = cJSON_Parse(json);
    ck_assert_ptr_nonnull(v);
    const char *why = NULL;
    poll_err e = poll_ballot_from_json(p, v, b, &why);
    cJSON_Delete(v);
    if (e != POLL_OK) ck_assert_ptr_nonnull(why);
    return e;
}

/* Participant pid of org casts ballot json (the test fails if it is refused). */
static void vote(poll_t *p, const char *pid, const char *org, const char *json) {
    poll_ballot b;
    ck_assert_int_eq(ballot_of(p, json, &b), POLL_OK);
    const char *why = NULL;
    ck_assert_msg(poll_vote(p, pid, org, &b, &why) == POLL_OK, "%s", why ? why : "");
}

static void org_vote(poll_t *p, const char *pid, const char *org, const char *json) {
    poll_ballot b;
    ck_assert_int_eq(ballot_of(p, json, &b), POLL_OK);
    const poll_voter_id who = {pid, "Nom", org, 1795833700000, false};
    const char *why = NULL;
    ck_assert_msg(poll_vote_org(p, &who, &b, &why) == POLL_OK, "%s", why ? why : "");
}

static char *results_text(const poll_t *p) {
    sbuf b;
    sbuf_init(&b, 0);
    poll_write_results(&b, p, poll_threshold(p), NULL);
    ck_assert(sbuf_ok(&b));
    char *s = strdup(str(&b));
    sbuf_free(&b);
    return s;
}

static double divergence(const poll_t *p) {
    double d = -1;
    ck_assert(poll_alignment(p, poll_threshold(p), &d));
    return d;
}

START_TEST(rank_definition) {
    poll_t *p = make(RANK3, "r0");
    sbuf b;
    sbuf_init(&b, 0);
    poll_write_poll(&b, p, NULL);
    ck_assert_str_eq(str(&b), "{\"type\":\"poll\",\"poll\":{\"id\":\"r0\",\"kind\":\"rank\",\"question\":\"Priorités ?\","
                              "\"choices\":[\"a\",\"b\",\"c\"],\"state\":\"open\",\"results\":\"hidden\","
                              "\"created\":1795833600000}}");
    sbuf_free(&b);
    poll_free(p);
    /* 2..12 choices, no max */
    const char *bad[] = {
        "{\"kind\":\"rank\",\"question\":\"Q\",\"choices\":[\"a\"]}",
        "{\"kind\":\"rank\",\"question\":\"Q\"}",
        "{\"kind\":\"rank\",\"question\":\"Q\",\"choices\":[\"a\",\"b\"],\"max\":2}",
        "{\"kind\":\"rank\",\"question\":\"Q\",\"choices\":[\"a\",\"a\"]}",
        "{\"kind\":\"rank\",\"question\":\"Q\",\"choices\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"10\","
        "\"11\",\"12\",\"13\"]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cJSON *o = cJSON_Parse(bad[i]);
        poll_def d;
        const char *why = NULL;
        ck_assert_msg(poll_def_from_json(o, &d, &why) == POLL_EBAD_REQUEST, "%s", bad[i]);
        cJSON_Delete(o);
    }
}
END_TEST

START_TEST(rank_ballots_are_permutations) {
    poll_t *p = make(RANK3, "r1");
    poll_ballot b;
    ck_assert_int_eq(ballot_of(p, "[2,0,1]", &b), POLL_OK);
    ck_assert_int_eq(b.order[0], 2);
    ck_assert_int_eq(b.order[2], 1);
    ck_assert_int_eq(ballot_of(p, "null", &b), POLL_OK);
    ck_assert(b.none);
    const char *bad[] = {
        "[0,1]",       /* wrong length: too short */
        "[0,1,2,0]",   /* too long */
        "[0,0,1]",     /* a duplicate */
        "[0,1,3]",     /* out of range */
        "[0,1,-1]",    /* negative */
        "[0,1.5,2]",   /* a fraction */
        "[\"0\",1,2]", /* a string */
        "[]",          /* empty */
        "1",           /* not an array */
        "{\"0\":1}",   /* an object */
        "[0,1,null]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(ballot_of(p, bad[i], &b) == POLL_EBAD_REQUEST, "%s", bad[i]);
    /* The model checks a ballot handed in directly too. */
    poll_ballot dup = {.order = {1, 1, 0}};
    const char *why = NULL;
    ck_assert_int_eq(poll_vote(p, "p1", "Asso", &dup, &why), POLL_EBAD_REQUEST);
    poll_ballot trailing = {.order = {0, 1, 2, 3}};
    ck_assert_int_eq(poll_vote(p, "p1", "Asso", &trailing, &why), POLL_EBAD_REQUEST);
    poll_ballot picks = {.picks = 1, .order = {0, 1, 2}};
    ck_assert_int_eq(poll_vote(p, "p1", "Asso", &picks, &why), POLL_EBAD_REQUEST);
    ck_assert_int_eq(p->respondents, 0);
    /* The same ballot again changes nothing; a change moves the sums; withdrawing removes them. */
    vote(p, "p1", "Asso", "[2,0,1]");
    vote(p, "p1", "Asso", "[2,0,1]");
    ck_assert_int_eq(p->respondents, 1);
    ck_assert_int_eq(p->counts[0], 2);
    ck_assert_int_eq(p->counts[1], 3);
    ck_assert_int_eq(p->counts[2], 1);
    vote(p, "p1", "Asso", "[0,1,2]");
    ck_assert_int_eq(p->counts[0], 1);
    ck_assert_int_eq(p->counts[2], 3);
    vote(p, "p1", "Asso", "null");
    ck_assert_int_eq(p->respondents, 0);
    ck_assert_int_eq(p->counts[0] + p->counts[1] + p->counts[2], 0);
    /* my_ballot says the order back */
    vote(p, "p1", "Asso", "[1,2,0]");
    sbuf s;
    sbuf_init(&s, 0);
    poll_write_my_ballot(&s, p, "p1", "7");
    ck_assert_str_eq(str(&s), "{\"type\":\"my_ballot\",\"id\":7,\"poll\":\"r1\",\"ballot\":[1,2,0]}");
    sbuf_free(&s);
    poll_free(p);
}
END_TEST

/* The first worked example of polls.md, "Ranking polls": its results
 * message, number for number. */
START_TEST(rank_worked_example_people) {
    poll_t *p = make(RANK3, "Rk3bT9aK0cE");
    vote(p, "pa1", "Asso Entraide", "[0,1,2]");
    vote(p, "pa2", "Asso Entraide", "[0,1,2]");
    vote(p, "pa3", "Asso Entraide", "[1,0,2]");
    vote(p, "pv1", "Ville de Lyon", "[2,1,0]");
    vote(p, "pv2", "Ville de Lyon", "[2,0,1]");
    vote(p, "pv3", "Ville de Lyon", "[1,2,0]");
    vote(p, "pb1", "Banque Populaire", "[0,2,1]");
    char *r = results_text(p);
    ck_assert_str_eq(r, "{\"type\":\"results\",\"poll\":\"Rk3bT9aK0cE\",\"respondents\":7,"
                        "\"borda\":[8,7,6],\"mean_rank\":[1.8571,2,2.1429],"
                        "\"organisations\":["
                        "{\"name\":\"Asso Entraide\",\"respondents\":3,\"borda\":[5,4,0],\"mean_rank\":[1.3333,1.6667,3]},"
                        "{\"name\":\"Ville de Lyon\",\"respondents\":3,\"borda\":[1,3,5],\"mean_rank\":[2.6667,2,1.3333]}],"
                        "\"other\":null,"
                        "\"alignment\":{\"divergence\":1,\"label\":\"divergent\",\"organisations\":2}}");
    free(r);
    /* Two more Banque members: the pool is not enough, Banque itself is broken out. */
    vote(p, "pb2", "Banque Populaire", "[0,1,2]");
    vote(p, "pb3", "Banque Populaire", "[0,1,2]");
    /* Banque S = (3, 7, 8): order a, b, c, like Asso: pairs AB 0, AV 1, BV 1. */
    ck_assert_double_eq(divergence(p), 0.6667);
    poll_free(p);
}
END_TEST

/* The pool under the threshold carries its own figures once it is large enough. */
START_TEST(rank_other_pool) {
    poll_t *p = make(RANK3, "r2");
    vote(p, "p1", "A", "[0,1,2]");
    vote(p, "p2", "B", "[0,2,1]");
    vote(p, "p3", "C", "[2,1,0]");
    char *r = results_text(p);
    ck_assert_str_eq(r, "{\"type\":\"results\",\"poll\":\"r2\",\"respondents\":3,\"borda\":[4,2,3],"
                        "\"mean_rank\":[1.6667,2.3333,2],\"organisations\":[],"
                        "\"other\":{\"respondents\":3,\"borda\":[4,2,3],\"mean_rank\":[1.6667,2.3333,2]},"
                        "\"alignment\":null}");
    free(r);
    poll_free(p);
    /* No respondents: Borda 0, mean ranks null. */
    p = make(RANK3, "r3");
    r = results_text(p);
    ck_assert_str_eq(r, "{\"type\":\"results\",\"poll\":\"r3\",\"respondents\":0,\"borda\":[0,0,0],\"mean_rank\":null,"
                        "\"organisations\":[],\"other\":null,\"alignment\":null}");
    free(r);
    poll_free(p);
}
END_TEST

/* The other worked examples of "Ranking polls". */
START_TEST(rank_worked_examples_alignment) {
    /* A tie: A (a,b,c),(b,a,c); B (a,b,c) twice; threshold 2. */
    poll_t *p = make("{\"kind\":\"rank\",\"question\":\"Q\",\"choices\":[\"a\",\"b\",\"c\"],\"threshold\":2}", "t1");
    vote(p, "a1", "A", "[0,1,2]");
    vote(p, "a2", "A", "[1,0,2]");
    vote(p, "b1", "B", "[0,1,2]");
    vote(p, "b2", "B", "[0,1,2]");
    ck_assert_double_eq(divergence(p), 0.1667);
    ck_assert_str_eq(poll_alignment_label(divergence(p)), "aligned");
    poll_free(p);

    /* One swap: A all (a,b,c), B all (b,a,c). */
    p = make(RANK3, "t2");
    for (int i = 0; i < 3; i++) {
        char pid[8];
        snprintf(pid, sizeof pid, "a%d", i);
        vote(p, pid, "A", "[0,1,2]");
        snprintf(pid, sizeof pid, "b%d", i);
        vote(p, pid, "B", "[1,0,2]");
    }
    ck_assert_double_eq(divergence(p), 0.3333);
    ck_assert_str_eq(poll_alignment_label(divergence(p)), "partly_aligned");
    poll_free(p);

    /* Three organisations, 4 choices: A and B (a,b,c,d), C (d,c,b,a). */
    p = make(RANK4, "t3");
    const char *orgs[] = {"A", "B", "C"};
    for (int o = 0; o < 3; o++)
        for (int i = 0; i < 3; i++) {
            char pid[8];
            snprintf(pid, sizeof pid, "%s%d", orgs[o], i);
            vote(p, pid, orgs[o], o < 2 ? "[0,1,2,3]" : "[3,2,1,0]");
        }
    ck_assert_double_eq(divergence(p), 0.6667);
    ck_assert_str_eq(poll_alignment_label(divergence(p)), "divergent");
    poll_free(p);

    /* Organisations answer, 4 choices: Asso (a,b,c,d), Ville (b,a,d,c). */
    p = make(RANK3_ORGS, "t4");
    org_vote(p, "p1", "Asso", "[0,1,2,3]");
    org_vote(p, "p2", "Ville", "[1,0,3,2]");
    ck_assert_double_eq(divergence(p), 0.3333);
    char *r = results_text(p);
    ck_assert_str_eq(r, "{\"type\":\"results\",\"poll\":\"t4\",\"respondents\":2,\"borda\":[5,5,1,1],"
                        "\"mean_rank\":[1.5,1.5,3.5,3.5],\"threshold\":1,\"organisations\":["
                        "{\"name\":\"Asso\",\"respondents\":1,\"borda\":[3,2,1,0],\"mean_rank\":[1,2,3,4],"
                        "\"by\":\"Nom\",\"at\":1795833700000},"
                        "{\"name\":\"Ville\",\"respondents\":1,\"borda\":[2,3,0,1],\"mean_rank\":[2,1,4,3],"
                        "\"by\":\"Nom\",\"at\":1795833700000}],\"other\":null,"
                        "\"alignment\":{\"divergence\":0.3333,\"label\":\"partly_aligned\",\"organisations\":2}}");
    free(r);
    /* Withdrawn: it leaves the comparison. */
    org_vote(p, "p2", "Ville", "null");
    ck_assert(!poll_alignment(p, poll_threshold(p), &(double){0}));
    poll_free(p);
}
END_TEST

START_TEST(rank_distance_properties) {
    /* Same order 0, reversed 1, symmetric, in [0, 1], for every pair of
     * permutations of 4 choices (as rank sums of one respondent). */
    uint8_t perms[24][4];
    int np = 0;
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++)
            for (int c = 0; c < 4; c++)
                for (int d = 0; d < 4; d++) {
                    if (a == b || a == c || a == d || b == c || b == d || c == d) continue;
                    perms[np][0] = (uint8_t)a, perms[np][1] = (uint8_t)b, perms[np][2] = (uint8_t)c,
                    perms[np][3] = (uint8_t)d;
                    np++;
                }
    ck_assert_int_eq(np, 24);
    for (int i = 0; i < np; i++) {
        uint32_t x[4], rev[4];
        for (int k = 0; k < 4; k++) x[perms[i][k]] = (uint32_t)k + 1, rev[perms[i][k]] = 4 - (uint32_t)k;
        ck_assert_double_eq(poll_rank_distance(x, 1, x, 1, 4), 0);
        ck_assert_double_eq(poll_rank_distance(x, 1, rev, 1, 4), 1);
        for (int j = 0; j < np; j++) {
            uint32_t y[4];
            for (int k = 0; k < 4; k++) y[perms[j][k]] = (uint32_t)k + 1;
            double d = poll_rank_distance(x, 1, y, 1, 4);
            if (d != poll_rank_distance(y, 1, x, 1, 4) || d < 0 || d > 1) ck_abort_msg("distance %d %d", i, j);
        }
    }
    /* Borda and mean rank agree on the order of a group. */
    ck_assert_uint_eq(poll_rank_borda(3, 7, 13), 8);
    ck_assert_double_eq_tol(poll_rank_mean(7, 13), 13.0 / 7, 1e-12);
}
END_TEST

/* A rank poll's ballots survive the store round trip. */
START_TEST(rank_store_round_trip) {
    poll_t *p = make(RANK3, "s1");
    vote(p, "p1", "Asso", "[2,0,1]");
    vote(p, "p2", "Asso", "[0,1,2]");
    sbuf rec, bal;
    sbuf_init(&rec, 0);
    sbuf_init(&bal, 0);
    poll_store_write(&rec, p);
    const char *why = NULL;
    poll_t *q = NULL;
    ck_assert_int_eq(poll_store_read(sbuf_data(&rec), strlen(sbuf_data(&rec)), &q, &why), POLL_OK);
    const char *pids[] = {"p1", "p2"};
    for (int i = 0; i < 2; i++) {
        sbuf_reset(&bal);
        ck_assert(poll_store_write_ballot(&bal, p, pids[i]));
        ck_assert_int_eq(poll_store_read_ballot(q, pids[i], sbuf_data(&bal), strlen(sbuf_data(&bal)), &why), POLL_OK);
    }
    poll_store_finish(q);
    char *a = results_text(p), *b = results_text(q);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    /* A damaged record is refused. */
    const char dup[] = "{\"org\":\"Asso\",\"ballot\":[0,0,1]}";
    ck_assert_int_eq(poll_store_read_ballot(q, "p3", dup, sizeof dup - 1, &why), POLL_EBAD_REQUEST);
    sbuf_free(&rec);
    sbuf_free(&bal);
    poll_free(p);
    poll_free(q);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("poll_rank");
    TCase *tc = tcase_create("rank");
    tcase_add_test(tc, rank_definition);
    tcase_add_test(tc, rank_ballots_are_permutations);
    tcase_add_test(tc, rank_worked_example_people);
    tcase_add_test(tc, rank_other_pool);
    tcase_add_test(tc, rank_worked_examples_alignment);
    tcase_add_test(tc, rank_distance_properties);
    tcase_add_test(tc, rank_store_round_trip);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
