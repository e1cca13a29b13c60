/* test_signoff.c -- the sign-off's rules (core/signoff.h): calls and closes,
 * decisions per organisation, "changed since", which organisations are present
 * for an agreement (the agreement itself: tests/integration/signoff.test.js),
 * the JSON it is stored and sent as, and the state folded from events. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "core/hist.h"
#include "core/signoff.h"
#include "core/workshop.h"

#define SHA_A "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA_B "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* A decision, as the hub makes one (owned by the caller until signoff_put). */
static signoff_decision decision(const char *org, signoff_kind kind, int64_t rev, const char *sha, const char *reason) {
    signoff_decision d = {strdup(org), kind, rev, "", reason ? strdup(reason) : NULL, strdup("pAAAAAAAAAAAAAAAA"),
                          strdup("Awa"), 1795836100000};
    strcpy(d.sha256, sha);
    return d;
}

static void put(signoff *s, const char *org, signoff_kind kind, int64_t rev, const char *sha) {
    signoff_decision d = decision(org, kind, rev, sha, kind == SIGNOFF_DECLINED ? "Pas encore." : NULL);
    ck_assert(signoff_put(s, &d));
    ck_assert_ptr_null(d.org); /* taken */
}

static const char *text(sbuf *b) { return sbuf_data(b) ? sbuf_data(b) : ""; }

START_TEST(test_call_and_close) {
    signoff s;
    signoff_init(&s);
    ck_assert_ptr_nonnull(signoff_call_refusal(&s, false)); /* nothing to close */
    ck_assert_ptr_nonnull(signoff_decision_refusal(&s));    /* no call: no decision */
    ck_assert_ptr_null(signoff_call_refusal(&s, true));
    signoff_set_open(&s, true, 1000);
    ck_assert(s.open);
    ck_assert_int_eq(s.called_at, 1000);
    ck_assert_ptr_nonnull(signoff_call_refusal(&s, true)); /* open already */
    ck_assert_ptr_null(signoff_decision_refusal(&s));
    put(&s, "Ville", SIGNOFF_ENDORSED, 3, SHA_A);
    signoff_set_open(&s, false, 2000);
    ck_assert(!s.open);
    ck_assert_int_eq(s.called_at, 1000); /* a close keeps the call's time */
    ck_assert_ptr_nonnull(signoff_find(&s, "Ville")); /* and the decisions */
    ck_assert_ptr_nonnull(signoff_decision_refusal(&s));
    signoff_set_open(&s, true, 3000); /* a new call keeps them too */
    ck_assert_ptr_nonnull(signoff_find(&s, "Ville"));
    ck_assert_int_eq(s.called_at, 3000);
    signoff_free(&s);
}
END_TEST

START_TEST(test_latest_decision_per_organisation) {
    signoff s;
    signoff_init(&s);
    put(&s, "Ville", SIGNOFF_ENDORSED, 3, SHA_A);
    put(&s, "Banque", SIGNOFF_DECLINED, 4, SHA_B);
    put(&s, "Ateliers", SIGNOFF_ENDORSED, 4, SHA_B);
    ck_assert_uint_eq(s.ndecisions, 3);
    ck_assert_str_eq(s.decisions[0].org, "Ateliers"); /* by name */
    ck_assert_str_eq(s.decisions[1].org, "Banque");
    ck_assert_str_eq(s.decisions[2].org, "Ville");
    put(&s, "Banque", SIGNOFF_ENDORSED, 5, SHA_A); /* changes its mind */
    ck_assert_uint_eq(s.ndecisions, 3);
    const signoff_decision *d = signoff_find(&s, "Banque");
    ck_assert_int_eq(d->kind, SIGNOFF_ENDORSED);
    ck_assert_int_eq(d->rev, 5);
    ck_assert_ptr_null(d->reason);
    ck_assert_ptr_null(signoff_find(&s, "banque")); /* names as joined: the hub has made them one already */
    ck_assert_ptr_null(signoff_find(&s, NULL));
    signoff_free(&s);
}
END_TEST

START_TEST(test_changed_since) {
    signoff_decision d = decision("Ville", SIGNOFF_ENDORSED, 3, SHA_A, NULL);
    ck_assert(!signoff_changed_since(&d, SHA_A));
    ck_assert(signoff_changed_since(&d, SHA_B));
    signoff_decision_free(&d);
    /* A decline names the text as it was too. */
    d = decision("Ville", SIGNOFF_DECLINED, 3, SHA_A, "Non.");
    ck_assert(signoff_changed_since(&d, SHA_B));
    signoff_decision_free(&d);
}
END_TEST

START_TEST(test_organisations_present) {
    workshop *w = wk_new("w", "t", "k", 0, 16);
    ck_assert_ptr_nonnull(w);
    struct { const char *org; wk_role role; int online, remote; } people[] = {
        {"Animation", WK_FACILITATOR, 1, 0},  /* a facilitator makes no organisation present */
        {"Financeur", WK_OBSERVER, 1, 0},     /* nor does an observer */
        {"Ville", WK_PARTICIPANT, 1, 0},
        {"Ville", WK_REPRESENTATIVE, 0, 1},   /* connected through another process */
        {"Banque", WK_REPRESENTATIVE, 0, 1},
        {"Asso", WK_PARTICIPANT, 0, 0},       /* gone */
    };
    for (size_t i = 0; i < sizeof people / sizeof *people; i++) {
        char id[WK_PID_LEN + 1];
        snprintf(id, sizeof id, "p%016zu", i);
        int k = wk_add_participant(w, id, "0123456789012345678901", "N", people[i].org, people[i].role);
        ck_assert_int_ge(k, 0);
        w->people[k].online = people[i].online;
        w->people[k].remote = people[i].remote;
    }
    sbuf b;
    sbuf_init(&b, 0);
    ck_assert(signoff_write_present(&b, w));
    ck_assert_str_eq(text(&b), "[\"Banque\",\"Ville\"]"); /* each once, by name */
    w->people[4].remote = 0;
    w->people[2].online = 0;
    w->people[3].remote = 0;
    sbuf_reset(&b);
    ck_assert(signoff_write_present(&b, w));
    ck_assert_str_eq(text(&b), "[]"); /* nobody: no agreement can be made */
    sbuf_free(&b);
    wk_free(w);
}
END_TEST

START_TEST(test_decision_json) {
    sbuf b;
    sbuf_init(&b, 0);
    signoff_decision d = decision("Ville de Lyon", SIGNOFF_DECLINED, 58, SHA_B, "La partie « Comment ? » non.");
    signoff_write_decision(&b, &d, false);
    ck_assert_str_eq(text(&b), "{\"org\":\"Ville de Lyon\",\"decision\":\"declined\",\"rev\":58,\"sha256\":\"" SHA_B
                               "\",\"reason\":\"La partie « Comment ? » non.\",\"by\":\"pAAAAAAAAAAAAAAAA\",\"name\":\"Awa\"}");
    sbuf_reset(&b);
    signoff_write_decision(&b, &d, true);
    signoff_decision back;
    ck_assert(signoff_read_decision(text(&b), &back));
    ck_assert_str_eq(back.org, "Ville de Lyon");
    ck_assert_int_eq(back.kind, SIGNOFF_DECLINED);
    ck_assert_int_eq(back.rev, 58);
    ck_assert_int_eq(back.at, 1795836100000);
    ck_assert_str_eq(back.reason, d.reason);
    ck_assert_str_eq(back.sha256, SHA_B);
    signoff_decision_free(&back);
    signoff_decision_free(&d);
    /* Refused: what the server would never have stored. */
    const char *bad[] = {
        NULL, "", "[]", "{\"org\":\"V\",\"decision\":\"endorsed\",\"rev\":1,\"sha256\":\"" SHA_A "\",\"by\":\"p\",\"name\":\"A\"}", /* no at */
        "{\"org\":\"V\",\"decision\":\"maybe\",\"rev\":1,\"sha256\":\"" SHA_A "\",\"by\":\"p\",\"name\":\"A\",\"at\":1}",
        "{\"org\":\"V\",\"decision\":\"endorsed\",\"rev\":-1,\"sha256\":\"" SHA_A "\",\"by\":\"p\",\"name\":\"A\",\"at\":1}",
        "{\"org\":\"V\",\"decision\":\"endorsed\",\"rev\":1,\"sha256\":\"ABC\",\"by\":\"p\",\"name\":\"A\",\"at\":1}",
        "{\"org\":\"\",\"decision\":\"endorsed\",\"rev\":1,\"sha256\":\"" SHA_A "\",\"by\":\"p\",\"name\":\"A\",\"at\":1}",
        "{\"org\":\"V\",\"decision\":\"declined\",\"rev\":1,\"sha256\":\"" SHA_A "\",\"by\":\"p\",\"name\":\"A\",\"at\":1}",
        "{\"org\":\"V\",\"decision\":\"declined\",\"rev\":1,\"sha256\":\"" SHA_A "\",\"reason\":\"a\\nb\",\"by\":\"p\",\"name\":\"A\",\"at\":1}",
        "{\"org\":\"V\",\"decision\":\"declined\",\"rev\":1,\"sha256\":\"" SHA_A "\",\"reason\":\"   \",\"by\":\"p\",\"name\":\"A\",\"at\":1}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        signoff_decision x;
        ck_assert_msg(!signoff_read_decision(bad[i], &x), "accepted bad[%zu]", i);
        ck_assert_ptr_null(x.org);
    }
    sbuf_free(&b);
}
END_TEST

START_TEST(test_reason_limit) {
    char reason[SIGNOFF_REASON_MAX * 2 + 1];
    for (int i = 0; i < SIGNOFF_REASON_MAX; i++) memcpy(reason + 2 * i, "\xC3\xA9", 2); /* 500 × é */
    reason[SIGNOFF_REASON_MAX * 2] = '\0';
    sbuf b;
    sbuf_init(&b, 0);
    signoff_decision d = decision("V", SIGNOFF_DECLINED, 1, SHA_A, reason), back;
    signoff_write_decision(&b, &d, true);
    ck_assert(signoff_read_decision(text(&b), &back)); /* 500 code points: taken */
    signoff_decision_free(&back);
    signoff_decision_free(&d);
    char longer[SIGNOFF_REASON_MAX + 2];
    memset(longer, 'x', SIGNOFF_REASON_MAX + 1);
    longer[SIGNOFF_REASON_MAX + 1] = '\0';
    d = decision("V", SIGNOFF_DECLINED, 1, SHA_A, longer);
    sbuf_reset(&b);
    signoff_write_decision(&b, &d, true);
    ck_assert(!signoff_read_decision(text(&b), &back)); /* 501: refused */
    signoff_decision_free(&d);
    sbuf_free(&b);
}
END_TEST

START_TEST(test_call_and_agreement_json) {
    sbuf b;
    sbuf_init(&b, 0);
    signoff_write_call(&b, true, 1795836000000);
    ck_assert_str_eq(text(&b), "{\"open\":true,\"called_at\":1795836000000}");
    bool open = false;
    int64_t at = 0;
    ck_assert(signoff_read_call(text(&b), &open, &at));
    ck_assert(open);
    ck_assert_int_eq(at, 1795836000000);
    ck_assert(!signoff_read_call("{\"open\":1,\"called_at\":1}", &open, &at));
    ck_assert(!signoff_read_call(NULL, &open, &at));
    signoff_agreement a;
    ck_assert(signoff_read_agreement("{\"rev\":61,\"sha256\":\"" SHA_A "\",\"at\":5,\"organisations\":[\"Ville\",\"Banque\"]}", &a));
    ck_assert_uint_eq(a.norgs, 2);
    ck_assert_str_eq(a.orgs[0], "Banque");
    sbuf_reset(&b);
    signoff_write_agreement(&b, &a, true);
    ck_assert_str_eq(text(&b), "{\"rev\":61,\"sha256\":\"" SHA_A "\",\"at\":5,\"organisations\":[\"Banque\",\"Ville\"]}");
    signoff_agreement_free(&a);
    ck_assert(!signoff_read_agreement("{\"rev\":61,\"sha256\":\"" SHA_A "\",\"at\":5,\"organisations\":[]}", &a));
    ck_assert(!signoff_read_agreement("{\"rev\":61,\"sha256\":\"" SHA_A "\",\"at\":5,\"organisations\":[3]}", &a));
    sbuf_free(&b);
}
END_TEST

START_TEST(test_message) {
    signoff s;
    signoff_init(&s);
    sbuf b;
    sbuf_init(&b, 0);
    signoff_write_message(&b, &s, NULL);
    ck_assert_str_eq(text(&b), "{\"type\":\"signoff\",\"open\":false,\"called_at\":null,\"organisations\":[],\"agreed\":null}");
    signoff_set_open(&s, true, 7);
    put(&s, "Ville", SIGNOFF_ENDORSED, 3, SHA_A);
    sbuf_reset(&b);
    signoff_write_message(&b, &s, "12");
    ck_assert_str_eq(text(&b), "{\"type\":\"signoff\",\"open\":true,\"called_at\":7,\"organisations\":[{\"org\":\"Ville\","
                               "\"decision\":\"endorsed\",\"rev\":3,\"sha256\":\"" SHA_A "\",\"by\":\"pAAAAAAAAAAAAAAAA\","
                               "\"name\":\"Awa\",\"at\":1795836100000}],\"agreed\":null,\"id\":12}");
    sbuf_reset(&b);
    signoff_write(&b, &s);
    ck_assert(strncmp(text(&b), "{\"open\":true,", 13) == 0);
    sbuf_free(&b);
    signoff_free(&s);
}
END_TEST

/* A stored event from its fields, as the hub reads it. */
static hist_event event(const char *id, const char *const *kv, size_t n) {
    hist_event e;
    ck_assert(hist_event_from_fields(&e, id, kv, n));
    return e;
}

START_TEST(test_fold_events) {
    signoff s;
    signoff_init(&s);
    const char *called[] = {"type", "signoff_called", "by", "pF", "name", "Fa", "rev", "2"};
    const char *endorsed[] = {"type", "endorsed", "org", "Ville", "endorsed_rev", "2", "sha256", SHA_A,
                              "by", "pV", "name", "Awa", "rev", "3"};
    const char *declined[] = {"type", "declined", "org", "Banque", "sha256", SHA_A, "reason", "Non.",
                              "by", "pB", "name", "Jean", "rev", "3"};
    const char *agreed[] = {"type", "agreed", "sha256", SHA_A, "organisations", "[\"Ville\"]", "rev", "3"};
    const char *closed[] = {"type", "signoff_closed", "by", "pF", "name", "Fa", "rev", "4"};
    const char *broken[] = {"type", "endorsed", "org", "Ville", "sha256", "nope", "by", "pV", "name", "Awa", "rev", "9"};
    hist_event e = event("1000-0", called, 8);
    signoff_fold(&s, &e);
    ck_assert(s.open);
    ck_assert_int_eq(s.called_at, 1000);
    e = event("1100-0", endorsed, 14);
    signoff_fold(&s, &e);
    e = event("1200-0", declined, 14);
    signoff_fold(&s, &e);
    e = event("1300-0", agreed, 8);
    signoff_fold(&s, &e);
    e = event("1400-0", broken, 12);
    signoff_fold(&s, &e); /* damaged: left out */
    e = event("1500-0", closed, 8);
    signoff_fold(&s, &e);
    ck_assert(!s.open);
    ck_assert(!s.oom);
    const signoff_decision *v = signoff_find(&s, "Ville"), *b = signoff_find(&s, "Banque");
    ck_assert_int_eq(v->rev, 2); /* the revision endorsed, not the event's */
    ck_assert_int_eq(v->at, 1100);
    ck_assert_str_eq(v->sha256, SHA_A);
    ck_assert_int_eq(b->kind, SIGNOFF_DECLINED);
    ck_assert_int_eq(b->rev, 3);
    ck_assert_str_eq(b->reason, "Non.");
    ck_assert(s.has_agreed);
    ck_assert_int_eq(s.agreed.rev, 3);
    ck_assert_int_eq(s.agreed.at, 1300);
    ck_assert_str_eq(s.agreed.orgs[0], "Ville");
    signoff_free(&s);
}
END_TEST

START_TEST(test_history_event_json) {
    const char *endorsed[] = {"type", "endorsed", "org", "Ville", "endorsed_rev", "2", "sha256", SHA_A,
                              "by", "pV", "name", "Awa", "rev", "3"};
    const char *agreed[] = {"type", "agreed", "sha256", SHA_A, "organisations", "[\"Banque\",\"Ville\"]", "rev", "3"};
    sbuf b;
    sbuf_init(&b, 0);
    hist_event e = event("1100-0", endorsed, 14);
    ck_assert(hist_write_event(&b, &e, HIST_PUBLIC));
    ck_assert_str_eq(text(&b), "{\"id\":\"1100-0\",\"t\":1100,\"type\":\"endorsed\",\"rev\":3,\"org\":\"Ville\","
                               "\"endorsed_rev\":2,\"sha256\":\"" SHA_A "\",\"by\":\"pV\",\"name\":\"Awa\"}");
    sbuf_reset(&b);
    e = event("1300-0", agreed, 8);
    ck_assert(hist_write_event(&b, &e, HIST_PUBLIC));
    ck_assert_str_eq(text(&b), "{\"id\":\"1300-0\",\"t\":1300,\"type\":\"agreed\",\"rev\":3,\"sha256\":\"" SHA_A
                               "\",\"organisations\":[\"Banque\",\"Ville\"]}");
    sbuf_free(&b);
}
END_TEST

static Suite *signoff_suite(void) {
    Suite *s = suite_create("signoff");
    TCase *tc = tcase_create("rules");
    tcase_add_test(tc, test_call_and_close);
    tcase_add_test(tc, test_latest_decision_per_organisation);
    tcase_add_test(tc, test_changed_since);
    tcase_add_test(tc, test_organisations_present);
    suite_add_tcase(s, tc);
    tc = tcase_create("json");
    tcase_add_test(tc, test_decision_json);
    tcase_add_test(tc, test_reason_limit);
    tcase_add_test(tc, test_call_and_agreement_json);
    tcase_add_test(tc, test_message);
    tcase_add_test(tc, test_fold_events);
    tcase_add_test(tc, test_history_event_json);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(signoff_suite)
