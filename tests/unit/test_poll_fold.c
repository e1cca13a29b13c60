/* test_poll_fold.c -- results folded from ballot events (core/poll_fold.h,
 * core/hist_fold.h), against the live poll model.
 *
 * What matters: after every ballot, the fold's results are byte for byte
 * the live model's (anonymity threshold included), for every kind of poll
 * and both kinds of respondents, with votes changed, withdrawn and moved
 * between organisations; a history stored before folding (results in its
 * ballot events) is served exactly as stored; and the ballot path computes
 * no results at all (counted, not timed). */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "test_hist_event.h"
#include "core/hist.h"
#include "core/hist_fold.h"
#include "core/poll.h"
#include "core/poll_fold.h"
#include "core/poll_json.h"
#include "core/poll_store.h"
#include "test_prng.h"

static const char *str(const sbuf *b) { return sbuf_data(b) ? sbuf_data(b) : ""; }

static poll_t *make(const char *json, const char *id) {
    cJSON *o = cJSON_Parse(json);
    ck_assert_ptr_nonnull(o);
    poll_def d;
    ck_assert_int_eq(poll_def_from_json(o, &d, NULL), POLL_OK);
    cJSON_Delete(o);
    poll_t *p = NULL;
    ck_assert_int_eq(poll_create(&p, id, true, &d, 1795833600000, NULL), POLL_OK);
    ck_assert(p->folded);
    ck_assert_int_eq(poll_launch(p, true, POLL_RESULTS_LIVE, NULL), POLL_OK);
    return p;
}

static char *text_of(void (*w)(sbuf *, const poll_t *), const poll_t *p) {
    sbuf b;
    sbuf_init(&b, 0);
    w(&b, p);
    char *s = strdup(str(&b));
    sbuf_free(&b);
    return s;
}

static void put_results(sbuf *b, const poll_t *p) { poll_write_results(b, p, poll_threshold(p), NULL); }

/* The ballot record filed under field, "" when none. */
static char *record(const poll_t *p, const char *field) {
    sbuf b;
    sbuf_init(&b, 0);
    char *s = strdup(poll_store_write_ballot(&b, p, field) ? str(&b) : "");
    sbuf_free(&b);
    return s;
}

static const char *ORGS[] = {"Ville", "Banque", "Asso", "Région", "Coop"};
#define NORGS (sizeof ORGS / sizeof ORGS[0])

/* A random ballot for p (sometimes a withdrawal). */
static poll_ballot random_ballot(const poll_t *p, prng *rng) {
    poll_ballot b = {0};
    if (rnd(rng) % 8 == 0) return (poll_ballot){.none = true};
    size_t n = p->def.nchoices;
    switch (p->def.kind) {
    case POLL_SINGLE: b.picks = (uint16_t)(1u << (rnd(rng) % n)); break;
    case POLL_MULTIPLE:
        b.picks = (uint16_t)(1u << (rnd(rng) % n));
        if (rnd(rng) % 2) b.picks |= (uint16_t)(1u << (rnd(rng) % n));
        break;
    case POLL_SCALE: b.value = (uint8_t)(1 + rnd(rng) % POLL_SCALE_POINTS); break;
    case POLL_RANK:
        for (size_t i = 0; i < n; i++) b.order[i] = (uint8_t)i;
        for (size_t i = n - 1; i > 0; i--) {
            size_t j = rnd(rng) % (i + 1);
            uint8_t t = b.order[i];
            b.order[i] = b.order[j];
            b.order[j] = t;
        }
        break;
    default: break;
    }
    return b;
}

/* Voters vote at random on a live poll; after each ballot the record before
 * and after it are folded and the fold's results must be the live ones. */
static void fold_matches_live(const char *def, bool organisations) {
    poll_t *live = make(def, "Xq3bT9aK0cE");
    char *pub = text_of(poll_write_public, live);
    poll_t *fold;
    ck_assert_int_eq(poll_fold_start(pub, &fold, NULL), POLL_OK);
    prng rng = {42};
    for (int k = 0; k < 600; k++) {
        char pid[16];
        snprintf(pid, sizeof pid, "p%02u", (unsigned)(rnd(&rng) % 40));
        /* a person stays in their organisation, but some come back with another */
        const char *org = ORGS[(pid[1] + pid[2] + (rnd(&rng) % 10 == 0)) % NORGS];
        poll_ballot b = random_ballot(live, &rng);
        const char *field = organisations ? org : pid;
        char *prior = record(live, field);
        poll_err e;
        if (organisations) {
            const poll_voter_id who = {pid, "Awa", org, 1795833600000 + k, true};
            e = poll_vote_org(live, &who, &b, NULL);
        } else {
            e = poll_vote(live, pid, org, &b, NULL);
        }
        ck_assert_int_eq(e, POLL_OK);
        char *now = record(live, field);
        const char *why = "";
        ck_assert_msg(poll_fold_ballot(fold, org, prior, now, &why) == POLL_OK, "ballot %d: %s", k, why);
        char *want = text_of(put_results, live), *got = text_of(put_results, fold);
        ck_assert_str_eq(got, want);
        free(want);
        free(got);
        free(prior);
        free(now);
    }
    ck_assert_uint_gt(live->respondents, 0);
    free(pub);
    poll_free(fold);
    poll_free(live);
}

START_TEST(fold_single) { fold_matches_live("{\"kind\":\"single\",\"question\":\"Q ?\",\"choices\":[\"a\",\"b\",\"c\"]}", false); }
END_TEST
START_TEST(fold_multiple) { fold_matches_live("{\"kind\":\"multiple\",\"question\":\"Q ?\",\"choices\":[\"a\",\"b\",\"c\",\"d\"],\"max\":2}", false); }
END_TEST
START_TEST(fold_scale_threshold) { fold_matches_live("{\"kind\":\"scale\",\"question\":\"Q ?\",\"threshold\":5}", false); }
END_TEST
START_TEST(fold_rank) { fold_matches_live("{\"kind\":\"rank\",\"question\":\"Q ?\",\"choices\":[\"a\",\"b\",\"c\",\"d\"]}", false); }
END_TEST
START_TEST(fold_organisations) {
    fold_matches_live("{\"kind\":\"single\",\"question\":\"Q ?\",\"choices\":[\"a\",\"b\"],\"respondents\":\"organisations\"}", true);
}
END_TEST

START_TEST(fold_refuses_what_it_cannot_count) {
    poll_t *live = make("{\"kind\":\"single\",\"question\":\"Q ?\",\"choices\":[\"a\",\"b\"]}", "k1");
    char *pub = text_of(poll_write_public, live);
    poll_t *fold;
    ck_assert_int_eq(poll_fold_start(pub, &fold, NULL), POLL_OK);
    const char *why = "";
    /* replacing a ballot the fold never saw: refused, not counted negative */
    ck_assert_int_eq(poll_fold_ballot(fold, "Ville", "{\"org\":\"Ville\",\"ballot\":0}", "{\"org\":\"Ville\",\"ballot\":1}", &why),
                     POLL_EBAD_REQUEST);
    ck_assert_uint_eq(fold->respondents, 0);
    /* damaged records, out-of-range choices, a null person's ballot */
    ck_assert_int_eq(poll_fold_ballot(fold, "Ville", "", "{\"org\":\"Ville\",\"ballot\":", &why), POLL_EBAD_REQUEST);
    ck_assert_int_eq(poll_fold_ballot(fold, "Ville", "", "{\"org\":\"Ville\",\"ballot\":7}", &why), POLL_EBAD_REQUEST);
    ck_assert_int_eq(poll_fold_ballot(fold, "Ville", "", "{\"org\":\"Ville\",\"ballot\":null}", &why), POLL_EBAD_REQUEST);
    ck_assert_int_eq(poll_fold_ballot(fold, "Ville", "", "{\"ballot\":1}", &why), POLL_EBAD_REQUEST);
    ck_assert_uint_eq(fold->respondents, 0);
    poll_t *none;
    ck_assert_int_eq(poll_fold_start("{\"id\":\"k1\"}", &none, &why), POLL_EBAD_REQUEST);
    ck_assert_ptr_null(none);
    free(pub);
    poll_free(fold);
    poll_free(live);
}
END_TEST

/* The ballot path: what a ballot stores for the history computes no
 * results; a poll stored before folding still stores them. */
START_TEST(ballot_path_computes_no_results) {
    poll_t *p = make("{\"kind\":\"single\",\"question\":\"Q ?\",\"choices\":[\"a\",\"b\",\"c\",\"d\"]}", "k1");
    uint64_t before = poll_results_written();
    for (int k = 0; k < 5000; k++) {
        char pid[16];
        snprintf(pid, sizeof pid, "p%d", k % 2500); /* half of them change their vote */
        poll_ballot b = {.picks = (uint16_t)(1u << (k % 4))};
        ck_assert_int_eq(poll_vote(p, pid, ORGS[k % NORGS], &b, NULL), POLL_OK);
        sbuf rec, pub, res;
        sbuf_init(&rec, 0);
        sbuf_init(&pub, 0);
        sbuf_init(&res, 0);
        ck_assert(poll_store_write_ballot(&rec, p, pid));
        poll_fold_write_event(&pub, &res, p, true);
        ck_assert_uint_eq(res.len, 0);
        ck_assert_uint_gt(pub.len, 0);
        sbuf_free(&rec);
        sbuf_free(&pub);
        sbuf_free(&res);
    }
    ck_assert_uint_eq(poll_results_written(), before);
    ck_assert_uint_eq(p->respondents, 2500);
    /* a step of the poll (closing) stores its results: once */
    sbuf pub, res;
    sbuf_init(&pub, 0);
    sbuf_init(&res, 0);
    poll_fold_write_event(&pub, &res, p, false);
    ck_assert_uint_eq(poll_results_written(), before + 1);
    ck_assert_uint_gt(res.len, 0);
    /* a poll stored before folding keeps its results in every ballot event */
    sbuf_reset(&res);
    p->folded = false;
    poll_fold_write_event(&pub, &res, p, true);
    ck_assert_uint_eq(poll_results_written(), before + 2);
    ck_assert_uint_gt(res.len, 0);
    sbuf_free(&pub);
    sbuf_free(&res);
    poll_free(p);
}
END_TEST

/* ---- along a history (hist_fold.h) ---- */


/* The event as the facilitator's view serves it, after the fold. */
static char *served(hist_fold *f, hist_event e) {
    hist_fold_add(f, &e, HIST_FOLD_EVERY);
    sbuf b;
    sbuf_init(&b, 0);
    ck_assert(hist_write_event(&b, &e, HIST_FACILITATOR));
    char *s = strdup(str(&b));
    sbuf_free(&b);
    return s;
}

/* The "results" the served event carries, as JSON text ("null" when none). */
static char *served_results(const char *event_json) {
    cJSON *o = cJSON_Parse(event_json);
    ck_assert_ptr_nonnull(o);
    char *s = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(o, "results"));
    cJSON_Delete(o);
    return s;
}

/* The live results as the history serves them (without "type"). */
static char *live_results(const poll_t *p) {
    char *full = text_of(put_results, p);
    cJSON *o = cJSON_Parse(full);
    cJSON_DeleteItemFromObjectCaseSensitive(o, "type");
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    free(full);
    return s;
}

START_TEST(history_folds_and_serves) {
    poll_t *live = make("{\"kind\":\"single\",\"question\":\"Q ?\",\"choices\":[\"a\",\"b\"],\"threshold\":2}", "k1");
    hist_fold f;
    hist_fold_init(&f);
    char *pub = text_of(poll_write_public, live);
    char *opened = served(&f, ev("1-0", (const char *[]){"type", "poll_opened", "public", pub, "results", "", "rev", "0", NULL}));
    char *r = served_results(opened);
    char *want = live_results(live);
    ck_assert_str_eq(r, want); /* nobody voted: the fold's empty results */
    free(r);
    free(want);
    const char *pids[] = {"a1", "a2", "a3", "a1"};
    const char *orgs[] = {"Ville", "Ville", "Banque", "Ville"};
    const unsigned picks[] = {1, 2, 1, 2};
    for (int k = 0; k < 4; k++) {
        char *prior = record(live, pids[k]);
        poll_ballot b = {.picks = (uint16_t)picks[k]};
        ck_assert_int_eq(poll_vote(live, pids[k], orgs[k], &b, NULL), POLL_OK);
        char *now = record(live, pids[k]), id[16];
        snprintf(id, sizeof id, "%d-0", 2 + k);
        char *e = served(&f, ev(id, (const char *[]){"type", "ballot", "poll", "k1", "org", orgs[k], "data", now, "prior", prior,
                                                    "public", pub, "results", "", "rev", "0", NULL}));
        /* served with the results after it, never the ballot or its organisation */
        ck_assert_ptr_null(strstr(e, "\"data\""));
        ck_assert_ptr_null(strstr(e, "\"prior\""));
        ck_assert_ptr_null(strstr(e, "a1"));
        r = served_results(e);
        want = live_results(live);
        ck_assert_str_eq(r, want);
        free(r);
        free(want);
        free(e);
        free(prior);
        free(now);
    }
    ck_assert_uint_eq(f.folded, 4);
    /* A reader that wants only where the poll ends (/state, a page's
     * lead-in): the same fold, no results written per ballot. */
    uint64_t written = poll_results_written();
    hist_fold lean;
    hist_fold_init(&lean);
    hist_event lead = ev("1-0", (const char *[]){"type", "poll_opened", "public", pub, "results", "", "rev", "0", NULL});
    hist_fold_add(&lean, &lead, HIST_FOLD_NONE);
    poll_t *again = make("{\"kind\":\"single\",\"question\":\"Q ?\",\"choices\":[\"a\",\"b\"],\"threshold\":2}", "k1");
    for (int k = 0; k < 4; k++) {
        char *prior = record(again, pids[k]);
        poll_ballot b = {.picks = (uint16_t)picks[k]};
        ck_assert_int_eq(poll_vote(again, pids[k], orgs[k], &b, NULL), POLL_OK);
        char *now = record(again, pids[k]);
        hist_event be = ev("2-0", (const char *[]){"type", "ballot", "poll", "k1", "org", orgs[k], "data", now, "prior", prior,
                                                "public", pub, "results", "", "rev", "0", NULL});
        hist_fold_add(&lean, &be, HIST_FOLD_STEPS);
        ck_assert_str_eq(be.results, ""); /* a ballot: nothing written */
        free(prior);
        free(now);
    }
    ck_assert_uint_eq(poll_results_written(), written);
    char *full = text_of(put_results, live);
    ck_assert_str_eq(hist_fold_results(&lean, "k1"), full);
    ck_assert_ptr_null(hist_fold_results(&lean, "nope"));
    free(full);
    poll_free(again);
    hist_fold_free(&lean);
    /* A step stored with results that miss a ballot (one writer's memory):
     * the fold's results are served, the ballots Redis took. */
    ck_assert_int_eq(poll_close(live, true, NULL), POLL_OK);
    char *closed_pub = text_of(poll_write_public, live);
    char *e = served(&f, ev("9-0", (const char *[]){"type", "poll_closed", "public", closed_pub, "results",
                                                  "{\"type\":\"results\",\"poll\":\"k1\",\"respondents\":0}", "rev", "0", NULL}));
    r = served_results(e);
    want = live_results(live);
    ck_assert_str_eq(r, want);
    ck_assert_ptr_nonnull(strstr(r, "\"respondents\":3"));
    free(r);
    free(want);
    free(e);
    free(closed_pub);
    free(opened);
    free(pub);
    hist_fold_free(&f);
    poll_free(live);
}
END_TEST

/* A history stored before folding: ballot events with their results, served
 * as they were stored, and the poll's later steps too. */
START_TEST(history_stored_before_is_served_as_stored) {
    static const char pub[] = "{\"id\":\"k2\",\"kind\":\"single\",\"question\":\"Q ?\",\"choices\":[\"a\",\"b\"],"
                              "\"state\":\"open\",\"results\":\"live\",\"created\":1795833600000}";
    static const char closed[] = "{\"id\":\"k2\",\"kind\":\"single\",\"question\":\"Q ?\",\"choices\":[\"a\",\"b\"],"
                                 "\"state\":\"closed\",\"results\":\"live\",\"created\":1795833600000}";
    static const char res1[] = "{\"type\":\"results\",\"poll\":\"k2\",\"respondents\":1,\"counts\":[1,0],\"organisations\":[],"
                               "\"other\":null,\"alignment\":null}";
    static const char res2[] = "{\"type\":\"results\",\"poll\":\"k2\",\"respondents\":2,\"counts\":[1,1],\"organisations\":[],"
                               "\"other\":null,\"alignment\":null}";
    hist_fold f;
    hist_fold_init(&f);
    char *a = served(&f, ev("1-0", (const char *[]){"type", "poll_opened", "public", pub, "results", res1 /* any */, "rev", "0", NULL}));
    free(a);
    char *b1 = served(&f, ev("2-0", (const char *[]){"type", "ballot", "poll", "k2", "public", pub, "results", res1, "rev", "0", NULL}));
    char *b2 = served(&f, ev("3-0", (const char *[]){"type", "ballot", "poll", "k2", "public", pub, "results", res2, "rev", "0", NULL}));
    char *c = served(&f, ev("4-0", (const char *[]){"type", "poll_closed", "public", closed, "results", res2, "rev", "0", NULL}));
    ck_assert_ptr_nonnull(strstr(b1, "\"respondents\":1,\"counts\":[1,0]"));
    ck_assert_ptr_nonnull(strstr(b2, "\"respondents\":2,\"counts\":[1,1]"));
    ck_assert_ptr_nonnull(strstr(c, "\"respondents\":2,\"counts\":[1,1]"));
    ck_assert_uint_eq(f.folded, 0);
    free(b1);
    free(b2);
    free(c);
    /* A text poll: answers and upvotes keep their stored results. */
    static const char tpub[] = "{\"id\":\"k3\",\"kind\":\"text\",\"question\":\"Q ?\",\"state\":\"open\",\"results\":\"live\","
                               "\"created\":1795833600000}";
    static const char tres[] = "{\"type\":\"results\",\"poll\":\"k3\",\"respondents\":1,\"answers\":[]}";
    char *t = served(&f, ev("5-0", (const char *[]){"type", "answer", "public", tpub, "results", tres, "rev", "0", NULL}));
    ck_assert_ptr_nonnull(strstr(t, "\"answers\":[]"));
    free(t);
    hist_fold_free(&f);
}
END_TEST

/* A ballot event without its prior record (a Function of an older server
 * wrote it): the fold stops rather than count a changed vote twice. */
START_TEST(history_without_prior_stops_folding) {
    static const char pub[] = "{\"id\":\"k4\",\"kind\":\"single\",\"question\":\"Q ?\",\"choices\":[\"a\",\"b\"],"
                              "\"state\":\"open\",\"results\":\"live\",\"created\":1795833600000}";
    hist_fold f;
    hist_fold_init(&f);
    free(served(&f, ev("1-0", (const char *[]){"type", "poll_opened", "public", pub, "results", "", "rev", "0", NULL})));
    char *a = served(&f, ev("2-0", (const char *[]){"type", "ballot", "poll", "k4", "org", "Ville", "data", "{\"org\":\"Ville\",\"ballot\":0}",
                                                  "prior", "", "public", pub, "results", "", "rev", "0", NULL}));
    ck_assert_ptr_nonnull(strstr(a, "\"respondents\":1,"));
    char *b = served(&f, ev("3-0", (const char *[]){"type", "ballot", "poll", "k4", "org", "Ville", "data", "{\"org\":\"Ville\",\"ballot\":1}",
                                                  "public", pub, "results", "", "rev", "0", NULL}));
    ck_assert_ptr_nonnull(strstr(b, "\"results\":null"));
    ck_assert_ptr_null(hist_fold_results(&f, "k4"));
    free(a);
    free(b);
    hist_fold_free(&f);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("poll_fold");
    TCase *tc = tcase_create("fold");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, fold_single);
    tcase_add_test(tc, fold_multiple);
    tcase_add_test(tc, fold_scale_threshold);
    tcase_add_test(tc, fold_rank);
    tcase_add_test(tc, fold_organisations);
    tcase_add_test(tc, fold_refuses_what_it_cannot_count);
    tcase_add_test(tc, ballot_path_computes_no_results);
    tcase_add_test(tc, history_folds_and_serves);
    tcase_add_test(tc, history_stored_before_is_served_as_stored);
    tcase_add_test(tc, history_without_prior_stops_folding);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
