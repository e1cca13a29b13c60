/* test_hist.c -- the history as served (core/hist.h) and the exports
 * (core/export.h).
 *
 * What matters most: a view never shows what its reader could not see at the
 * time (drafts, hidden results), no output ever names a voter or a ballot,
 * and the state folded from the marks is the one people saw. Poll objects and
 * results are made by the real poll model, so the exports read what the
 * server really stores. */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "test_hist_event.h"
#include "core/export.h"
#include "core/hist.h"
#include "core/hist_compact.h"
#include "core/poll.h"
#include "core/poll_json.h"
#include "core/typo.h"

/* What hist_state_write ends with when no sign-off was ever called. */
#define NO_SIGNOFF ",\"signoff\":{\"open\":false,\"called_at\":null,\"organisations\":[],\"agreed\":null}"
/* An empty priorities board, as /state writes it (protocol/board.md) */
#define NO_BOARD ",\"board\":{\"settings\":{\"visibility\":\"revealed\",\"revealed\":false,\"grouping\":\"facilitator\"},\"items\":[],\"groups\":[]}" \
                 ",\"discuss\":[]"

#define N TYPO_NNBSP /* French typography's narrow no-break space */

static const char *str(const sbuf *b) { return sbuf_data(b) ? sbuf_data(b) : ""; }


/* The served JSON of e in view v, or NULL when hidden (caller frees). */
static char *served(const hist_event *e, hist_view v) {
    sbuf b;
    sbuf_init(&b, 0);
    bool shown = hist_write_event(&b, e, v);
    ck_assert(sbuf_ok(&b));
    char *out = shown ? strdup(str(&b)) : NULL;
    if (!shown) ck_assert_uint_eq(b.len, 0);
    sbuf_free(&b);
    return out;
}

/* A poll's public object and results, as the hub stores them. */
typedef struct stored_poll {
    char pub[4096];
    char res[4096];
} stored_poll;

static void store(const poll_t *p, stored_poll *out) {
    sbuf a, r;
    sbuf_init(&a, 0);
    sbuf_init(&r, 0);
    poll_write_public(&a, p);
    if (p->state == POLL_OPEN || p->state == POLL_CLOSED) poll_write_results(&r, p, poll_threshold(p), NULL);
    snprintf(out->pub, sizeof out->pub, "%s", str(&a));
    snprintf(out->res, sizeof out->res, "%s", str(&r));
    sbuf_free(&a);
    sbuf_free(&r);
}

/* The event a poll step writes (type, poll id, the poll and its results as
 * stored), added to st. */
static void add_poll_event(hist_state *st, const char *event_id, const char *type, const char *poll_id,
                           const poll_t *p) {
    stored_poll sp;
    store(p, &sp);
    const char *kv[] = {"type", type, "poll", poll_id, "public", sp.pub, "results", sp.res, NULL};
    hist_event e = ev(event_id, kv);
    hist_state_add(st, &e);
}

static poll_t *make_poll(const char *id, const char *json, int64_t created) {
    cJSON *o = cJSON_Parse(json);
    poll_def d;
    const char *why;
    ck_assert_int_eq(poll_def_from_json(o, &d, &why), POLL_OK);
    cJSON_Delete(o);
    poll_t *p;
    ck_assert_int_eq(poll_create(&p, id, true, &d, created, &why), POLL_OK);
    return p;
}

static void vote(poll_t *p, const char *pid, const char *org, unsigned choice) {
    poll_ballot b = {.picks = (uint16_t)(1u << choice)};
    const char *why;
    ck_assert_int_eq(poll_vote(p, pid, org, &b, &why), POLL_OK);
}

START_TEST(test_stream_ids) {
    int64_t ms;
    ck_assert(hist_valid_id("1795833600000-0", &ms));
    ck_assert_int_eq(ms, 1795833600000LL);
    ck_assert(hist_valid_id("0-1", NULL));
    ck_assert(hist_valid_id("1-18446744073709551615", NULL)); /* the largest sequence Redis takes */
    const char *bad[] = {"", "-", "1-", "-1", "12", "1-2-3", "1795833600000-x", " 1-0", "1-0 ", "+1-0",
                         "12345678901234567-0", "1-123456789012345678901", "1.5-0",
                         "1-18446744073709551616", "1-99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) ck_assert_msg(!hist_valid_id(bad[i], NULL), "%s", bad[i]);
}
END_TEST

START_TEST(test_edit_and_presence_events) {
    const char *op[] = {"type", "op", "rev", "41", "author", "pA", "org", "Ville", "opid", "\"x\"",
                        "op", "[3,\"é🎉\",{\"d\":2}]", "t", "5", NULL};
    hist_event e = ev("1795833600123-2", op);
    ck_assert(hist_is_op(&e));
    char *s = served(&e, HIST_PUBLIC);
    ck_assert_str_eq(s, "{\"id\":\"1795833600123-2\",\"t\":1795833600123,\"type\":\"op\",\"rev\":41,"
                        "\"author\":\"pA\",\"org\":\"Ville\",\"op\":[3,\"é🎉\",{\"d\":2}]}");
    free(s);
    const char *arr[] = {"type", "arrived", "participant", "pB", "name", "Zoé \"Z\"", "org", "Banque",
                         "role", "participant", "rev", "7", "t", "9", NULL};
    e = ev("1795833600200-0", arr);
    s = served(&e, HIST_PUBLIC);
    ck_assert_str_eq(s, "{\"id\":\"1795833600200-0\",\"t\":1795833600200,\"type\":\"arrived\",\"rev\":7,"
                        "\"participant\":\"pB\",\"name\":\"Zoé \\\"Z\\\"\",\"org\":\"Banque\",\"role\":\"participant\"}");
    free(s);
    const char *created[] = {"type", "created", "title", "Atelier", "rev", "0", "t", "1", NULL};
    e = ev("1795833600000-0", created);
    s = served(&e, HIST_PUBLIC);
    ck_assert_str_eq(s, "{\"id\":\"1795833600000-0\",\"t\":1795833600000,\"type\":\"created\",\"rev\":0,"
                        "\"title\":\"Atelier\"}");
    free(s);
    hist_event bad;
    const char *untyped[] = {"rev", "1", NULL};
    ck_assert(!hist_event_from_fields(&bad, "1-0", untyped, 2));
    ck_assert(!hist_event_from_fields(&bad, "nope", op, 14));
}
END_TEST

/* Compact pages of edits: [dt, who, op], times as deltas, a table of
 * (author, organisation) pairs that ends the page when full. */
START_TEST(test_compact_page) {
    sbuf b;
    sbuf_init(&b, 0);
    hist_compact c;
    hist_compact_init(&c, &b);
    const char *a0[] = {"type", "op", "rev", "0", "author", "pA", "org", "Ville", "op", "[\"é🎉\"]", NULL};
    const char *a1[] = {"type", "op", "rev", "1", "author", "pB", "org", "Banque \"B\"", "op", "[2,\"x\"]", NULL};
    const char *a2[] = {"type", "op", "rev", "2", "author", "pA", "org", "Ville", "op", "[{\"d\":1}]", NULL};
    hist_event e0 = ev("1795833600100-0", a0), e1 = ev("1795833600350-0", a1), e2 = ev("1795833600350-1", a2);
    ck_assert_int_eq(hist_compact_add(&c, &e0), HIST_COMPACT_OK);
    ck_assert_int_eq(hist_compact_add(&c, &e1), HIST_COMPACT_OK);
    ck_assert_int_eq(hist_compact_add(&c, &e2), HIST_COMPACT_OK);
    hist_compact_write_tail(&c, &b);
    ck_assert(sbuf_ok(&b));
    ck_assert_str_eq(str(&b), "[0,0,[\"é🎉\"]],[250,1,[2,\"x\"]],[0,0,[{\"d\":1}]]"
                              ",\"t0\":1795833600100,\"who\":[[\"pA\",\"Ville\"],[\"pB\",\"Banque \\\"B\\\"\"]]");
    ck_assert_int_eq(c.ops, 3);
    hist_compact_free(&c);

    /* A full table: the op is not written, the page ends before it. */
    sbuf_reset(&b);
    hist_compact_init(&c, &b);
    char author[16];
    const char *kv[] = {"type", "op", "rev", "0", "author", author, "org", "O", "op", "[\"a\"]", NULL};
    for (int i = 0; i < HIST_COMPACT_WHO_MAX; i++) {
        snprintf(author, sizeof author, "p%d", i);
        hist_event e = ev("1-0", kv);
        ck_assert_int_eq(hist_compact_add(&c, &e), HIST_COMPACT_OK);
    }
    size_t len = b.len;
    snprintf(author, sizeof author, "p%d", HIST_COMPACT_WHO_MAX);
    hist_event more = ev("1-0", kv);
    ck_assert_int_eq(hist_compact_add(&c, &more), HIST_COMPACT_FULL);
    ck_assert_uint_eq(b.len, len);
    snprintf(author, sizeof author, "p%d", 7); /* a pair already named still fits */
    hist_event known = ev("1-0", kv);
    ck_assert_int_eq(hist_compact_add(&c, &known), HIST_COMPACT_OK);
    ck_assert_int_eq(c.ops, HIST_COMPACT_WHO_MAX + 1);
    hist_compact_free(&c);
    sbuf_free(&b);

    /* The reader of op entries: the fields it needs, nothing of other events, no damaged op. */
    hist_event o;
    const char *op[] = {"type", "op", "rev", "41", "author", "pA", "org", "Ville", "opid", "\"x\"", "op", "[3,\"é\"]", "t", "5"};
    ck_assert(hist_op_from_fields(&o, "1795833600123-2", op, 14));
    ck_assert_int_eq(o.rev, 41);
    ck_assert_int_eq(o.t, 1795833600123);
    ck_assert_str_eq(o.author, "pA");
    ck_assert_str_eq(o.org, "Ville");
    ck_assert_str_eq(o.op, "[3,\"é\"]");
    const char *arrived[] = {"type", "arrived", "rev", "7", "org", "Banque"};
    ck_assert(!hist_op_from_fields(&o, "1-0", arrived, 6));
    const char *cut[] = {"type", "op", "rev", "1", "author", "pA", "org", "V", "op", "[3,\"é"};
    ck_assert(!hist_op_from_fields(&o, "1-0", cut, 10));
    const char *noop[] = {"type", "op", "rev", "1", "author", "pA", "org", "V"};
    ck_assert(!hist_op_from_fields(&o, "1-0", noop, 8));
    ck_assert(!hist_op_from_fields(&o, "nope", op, 14));
}
END_TEST

START_TEST(test_views_of_poll_events) {
    poll_t *p = make_poll("P1", "{\"kind\":\"single\",\"question\":\"Commun ?\",\"choices\":[\"Oui\",\"Non\"]}", 100);
    stored_poll sp;
    const char *why;
    store(p, &sp);
    const char *draft[] = {"type", "poll_created", "poll", "P1", "public", sp.pub, "results", sp.res,
                           "data", "{\"secret\":1}", "rev", "0", NULL};
    hist_event e = ev("10-0", draft);
    ck_assert_ptr_null(served(&e, HIST_PUBLIC)); /* participants never saw the draft */
    ck_assert(!hist_visible(&e, HIST_PUBLIC));
    char *s = served(&e, HIST_FACILITATOR);
    ck_assert_ptr_nonnull(strstr(s, "\"state\":\"draft\""));
    ck_assert_ptr_nonnull(strstr(s, "\"results\":null"));
    ck_assert_ptr_null(strstr(s, "secret"));
    free(s);

    ck_assert_int_eq(poll_open(p, true, &why), POLL_OK);
    vote(p, "pX", "Banque", 0);
    store(p, &sp);
    const char *ballot[] = {"type", "ballot", "poll", "P1", "org", "Banque", "data", "{\"org\":\"Banque\",\"ballot\":0}",
                            "public", sp.pub, "results", sp.res, "rev", "3", NULL};
    e = ev("11-0", ballot);
    ck_assert_ptr_null(served(&e, HIST_PUBLIC)); /* a vote: never in the public history (its time would tell) */
    ck_assert(!hist_visible(&e, HIST_PUBLIC));
    s = served(&e, HIST_FACILITATOR);
    ck_assert_ptr_nonnull(strstr(s, "\"results\":{\"poll\":\"P1\",\"respondents\":1,\"counts\":[1,0]"));
    ck_assert_ptr_null(strstr(s, "\"type\":\"results\""));
    ck_assert_ptr_null(strstr(s, "Banque")); /* one voter: under the threshold, pooled out of sight */
    free(s);

    ck_assert_int_eq(poll_set_visibility(p, true, POLL_RESULTS_LIVE, &why), POLL_OK);
    store(p, &sp);
    const char *live[] = {"type", "poll_results", "poll", "P1", "public", sp.pub, "results", sp.res, "rev", "3", NULL};
    e = ev("12-0", live);
    s = served(&e, HIST_PUBLIC); /* live while open: the public history shows results only once closed */
    ck_assert_ptr_nonnull(strstr(s, "\"results\":null"));
    free(s);
    s = served(&e, HIST_FACILITATOR);
    ck_assert_ptr_nonnull(strstr(s, "\"respondents\":1"));
    free(s);
    ck_assert_int_eq(poll_close(p, true, &why), POLL_OK);
    store(p, &sp);
    const char *closed[] = {"type", "poll_closed", "poll", "P1", "public", sp.pub, "results", sp.res, "rev", "3", NULL};
    e = ev("12-1", closed);
    s = served(&e, HIST_PUBLIC);
    ck_assert_ptr_nonnull(strstr(s, "\"respondents\":1"));
    free(s);

    /* Deleting: a poll that never left draft stays the facilitators'. */
    const char *gone_draft[] = {"type", "poll_deleted", "poll", "P2", "public",
                                "{\"id\":\"P2\",\"kind\":\"scale\",\"question\":\"q\",\"state\":\"deleted\","
                                "\"results\":\"hidden\",\"created\":1}",
                                "results", "", "was", "draft", "rev", "3", NULL};
    e = ev("13-0", gone_draft);
    ck_assert_ptr_null(served(&e, HIST_PUBLIC));
    s = served(&e, HIST_FACILITATOR);
    ck_assert_ptr_nonnull(s);
    free(s);
    const char *gone[] = {"type", "poll_deleted", "poll", "P1", "public",
                          "{\"id\":\"P1\",\"kind\":\"scale\",\"question\":\"q\",\"state\":\"deleted\","
                          "\"results\":\"live\",\"created\":1}",
                          "results", "", "was", "", "rev", "3", NULL};
    e = ev("14-0", gone);
    s = served(&e, HIST_PUBLIC);
    ck_assert_ptr_nonnull(strstr(s, "\"results\":null"));
    free(s);
    poll_free(p);
}
END_TEST

/* A stored poll object whose state or results setting the model does not
 * know is damage: nobody is shown it, least of all its results. */
/* An organisation's answer is open: its ballot event names the organisation
 * and who set it, in the views that see the results then, and the state at a
 * moment lists every organisation by name. */
START_TEST(test_organisation_answers) {
    poll_t *p = make_poll("P2", "{\"kind\":\"single\",\"question\":\"Commun ?\",\"choices\":[\"Oui\",\"Non\"],"
                                "\"respondents\":\"organisations\"}", 100);
    const char *why;
    ck_assert_int_eq(poll_open(p, true, &why), POLL_OK);
    const poll_voter_id awa = {"pAwa", "Awa", "Ville", 5000, false};
    poll_ballot yes = {.picks = 1};
    ck_assert_int_eq(poll_vote_org(p, &awa, &yes, &why), POLL_OK);
    char pub[4096], res[4096], ans[1024];
    sbuf a, r, o;
    sbuf_init(&a, 0);
    sbuf_init(&r, 0);
    sbuf_init(&o, 0);
    poll_write_public(&a, p);
    poll_write_results(&r, p, poll_threshold(p), NULL);
    poll_write_org_answer(&o, p, "Ville");
    snprintf(pub, sizeof pub, "%s", str(&a));
    snprintf(res, sizeof res, "%s", str(&r));
    snprintf(ans, sizeof ans, "%s", str(&o));
    sbuf_free(&a);
    sbuf_free(&r);
    sbuf_free(&o);
    const char *ballot[] = {"type", "ballot", "poll", "P2", "org", "Ville", "data", "{}", "public", pub,
                            "results", res, "org_answer", ans, "rev", "3", NULL};
    hist_event e = ev("20-0", ballot);
    char *s = served(&e, HIST_FACILITATOR);
    ck_assert_ptr_nonnull(strstr(s, ",\"organisation\":{\"name\":\"Ville\",\"ballot\":0,"
                                    "\"by\":{\"participant\":\"pAwa\",\"name\":\"Awa\"},\"at\":5000}}"));
    ck_assert_ptr_nonnull(strstr(s, "{\"name\":\"Ville\",\"respondents\":1,\"counts\":[1,0],\"by\":\"Awa\",\"at\":5000}"));
    free(s);
    ck_assert_ptr_null(served(&e, HIST_PUBLIC)); /* a vote: the public history shows the results once closed */
    hist_state st;
    hist_state_init(&st);
    hist_state_add(&st, &e);
    sbuf b;
    sbuf_init(&b, 0);
    hist_state_write(&b, &st, HIST_FACILITATOR);
    ck_assert_ptr_nonnull(strstr(str(&b), "\"by\":\"Awa\""));
    hist_state_free(&st);
    sbuf_free(&b);
    poll_free(p);
}
END_TEST

START_TEST(test_unknown_poll_words_show_nothing) {
    poll_t *p = make_poll("P1", "{\"kind\":\"single\",\"question\":\"Commun ?\",\"choices\":[\"Oui\",\"Non\"]}", 100);
    const char *why;
    ck_assert_int_eq(poll_open(p, true, &why), POLL_OK);
    stored_poll sp;
    store(p, &sp);
    const char *damage[][2] = {{"\"results\":\"hidden\"", "\"results\":\"shown\""},
                               {"\"state\":\"open\"", "\"state\":\"opened\""}};
    for (int i = 0; i < 2; i++) {
        char pub[sizeof sp.pub + 16];
        char *at = strstr(sp.pub, damage[i][0]);
        ck_assert_ptr_nonnull(at);
        snprintf(pub, sizeof pub, "%.*s%s%s", (int)(at - sp.pub), sp.pub, damage[i][1], at + strlen(damage[i][0]));
        const char *ballot[] = {"type", "ballot", "poll", "P1", "public", pub, "results", sp.res, NULL};
        hist_event e = ev("11-0", ballot);
        ck_assert_msg(!hist_visible(&e, HIST_PUBLIC), "%s", pub);
        ck_assert_ptr_null(served(&e, HIST_PUBLIC));
        ck_assert_ptr_null(served(&e, HIST_FACILITATOR));
    }
    poll_free(p);
}
END_TEST

/* A role event is served with the person, their new role, a pending
 * request and who decided; the presence folded from the marks takes the
 * new role, on every process the person is connected through. */
START_TEST(test_role_events) {
    const char *set[] = {"type", "role", "participant", "pB", "name", "Bob", "org", "Banque", "role",
                         "representative", "by", "pA", "rev", "3", "t", "9", NULL};
    const char *asked[] = {"type", "role", "participant", "pC", "name", "Cléo", "org", "Asso", "role",
                           "participant", "asks", "representative", "rev", "4", "t", "9", NULL};
    hist_event e = ev("1795833600300-0", set);
    char *s = served(&e, HIST_PUBLIC);
    ck_assert_str_eq(s, "{\"id\":\"1795833600300-0\",\"t\":1795833600300,\"type\":\"role\",\"rev\":3,"
                        "\"participant\":\"pB\",\"name\":\"Bob\",\"org\":\"Banque\",\"role\":\"representative\",\"by\":\"pA\"}");
    free(s);
    e = ev("1795833600400-0", asked);
    s = served(&e, HIST_FACILITATOR);
    ck_assert_str_eq(s, "{\"id\":\"1795833600400-0\",\"t\":1795833600400,\"type\":\"role\",\"rev\":4,"
                        "\"participant\":\"pC\",\"name\":\"Cléo\",\"org\":\"Asso\",\"role\":\"participant\","
                        "\"asks\":\"representative\"}");
    free(s);

    hist_state st;
    hist_state_init(&st);
    const char *b1[] = {"type", "arrived", "participant", "pB", "name", "Bob", "org", "Banque", "role", "participant",
                        "origin", "one", NULL};
    const char *b2[] = {"type", "arrived", "participant", "pB", "name", "Bob", "org", "Banque", "role", "participant",
                        "origin", "two", NULL};
    e = ev("1-0", b1);
    hist_state_add(&st, &e);
    e = ev("2-0", b2);
    hist_state_add(&st, &e);
    e = ev("3-0", set);
    hist_state_add(&st, &e);
    e = ev("4-0", asked); /* not present: changes nothing */
    hist_state_add(&st, &e);
    ck_assert_uint_eq(st.npeople, 2);
    ck_assert_str_eq(st.people[0].role, "representative");
    ck_assert_str_eq(st.people[1].role, "representative");
    sbuf b;
    sbuf_init(&b, 0);
    hist_state_write(&b, &st, HIST_PUBLIC);
    ck_assert_str_eq(str(&b), ",\"present\":[{\"participant\":\"pB\",\"name\":\"Bob\",\"org\":\"Banque\","
                              "\"role\":\"representative\"}],\"polls\":[]" NO_SIGNOFF NO_BOARD);
    ck_assert(!st.oom);
    sbuf_free(&b);
    hist_state_free(&st);
}
END_TEST

START_TEST(test_state_folds_presence_and_polls) {
    hist_state st;
    hist_state_init(&st);
    const char *a1[] = {"type", "arrived", "participant", "pA", "name", "Awa", "org", "Ville", "role", "facilitator", NULL};
    const char *b1[] = {"type", "arrived", "participant", "pB", "name", "Bob", "org", "Banque", "role", "participant", NULL};
    const char *b2[] = {"type", "departed", "participant", "pB", "name", "Bob", "org", "Banque", "role", "participant", NULL};
    const char *a2[] = {"type", "departed", "participant", "pA", "name", "Awa", "org", "Ville", "role", "facilitator", NULL};
    hist_event e = ev("1-0", a1);
    hist_state_add(&st, &e);
    e = ev("2-0", b1);
    hist_state_add(&st, &e);
    e = ev("3-0", a1); /* a second process: two connections */
    hist_state_add(&st, &e);
    e = ev("4-0", a2);
    hist_state_add(&st, &e);
    ck_assert_uint_eq(st.npeople, 2); /* Awa is still connected to the other process */
    e = ev("5-0", b2);
    hist_state_add(&st, &e);
    ck_assert_uint_eq(st.npeople, 1);
    ck_assert_str_eq(st.people[0].name, "Awa");
    e = ev("6-0", b2); /* a departure without its arrival changes nothing */
    hist_state_add(&st, &e);
    ck_assert_uint_eq(st.npeople, 1);

    /* Polls: kept in creation order whatever the order of their events. */
    poll_t *late = make_poll("L", "{\"kind\":\"scale\",\"question\":\"Tard\"}", 200);
    poll_t *early = make_poll("E", "{\"kind\":\"scale\",\"question\":\"Tôt\"}", 100);
    const char *why;
    stored_poll sl, se;
    store(late, &sl);
    store(early, &se);
    const char *fl[] = {"type", "poll_created", "poll", "L", "public", sl.pub, "results", sl.res, NULL};
    const char *fe[] = {"type", "poll_created", "poll", "E", "public", se.pub, "results", se.res, NULL};
    e = ev("7-0", fl);
    hist_state_add(&st, &e);
    e = ev("8-0", fe);
    hist_state_add(&st, &e);
    ck_assert_uint_eq(st.npolls, 2);
    ck_assert_str_eq(st.polls[0].id, "E");
    ck_assert_int_eq(poll_open(early, true, &why), POLL_OK);
    store(early, &se);
    const char *oe[] = {"type", "poll_opened", "poll", "E", "public", se.pub, "results", se.res, NULL};
    e = ev("9-0", oe);
    hist_state_add(&st, &e);

    sbuf b;
    sbuf_init(&b, 0);
    hist_state_write(&b, &st, HIST_PUBLIC);
    ck_assert_ptr_null(strstr(str(&b), "Tard")); /* still a draft */
    ck_assert_ptr_nonnull(strstr(str(&b), "\"state\":\"open\""));
    ck_assert_ptr_nonnull(strstr(str(&b), "\"results\":null")); /* hidden from participants */
    ck_assert_ptr_nonnull(strstr(str(&b), ",\"present\":[{\"participant\":\"pA\",\"name\":\"Awa\""));
    sbuf_reset(&b);
    hist_state_write(&b, &st, HIST_FACILITATOR);
    ck_assert_ptr_nonnull(strstr(str(&b), "Tard"));
    ck_assert_ptr_nonnull(strstr(str(&b), "\"respondents\":0"));
    ck_assert(strstr(str(&b), "Tôt") < strstr(str(&b), "Tard"));

    const char *de[] = {"type", "poll_deleted", "poll", "E", "public",
                        "{\"id\":\"E\",\"kind\":\"scale\",\"question\":\"Tôt\",\"state\":\"deleted\","
                        "\"results\":\"hidden\",\"created\":100}",
                        "results", "", NULL};
    e = ev("10-0", de);
    hist_state_add(&st, &e);
    ck_assert_uint_eq(st.npolls, 1);
    ck_assert_str_eq(st.polls[0].id, "L");
    ck_assert(!st.oom);
    sbuf_free(&b);
    hist_state_free(&st);
    poll_free(late);
    poll_free(early);
}
END_TEST

START_TEST(test_presence_per_process) {
    hist_state st;
    hist_state_init(&st);
    const char *a1[] = {"type", "arrived", "participant", "pA", "name", "Awa", "org", "V", "role", "participant",
                        "origin", "O1", NULL};
    const char *a2[] = {"type", "arrived", "participant", "pA", "name", "Awa", "org", "V", "role", "participant",
                        "origin", "O2", NULL};
    const char *d2[] = {"type", "departed", "participant", "pA", "name", "Awa", "org", "V", "role", "participant",
                        "origin", "O2", NULL};
    const char *d1[] = {"type", "departed", "participant", "pA", "name", "Awa", "org", "V", "role", "participant",
                        "origin", "O1", NULL};
    hist_event e = ev("1-0", a1);
    hist_state_add(&st, &e);
    e = ev("2-0", a2); /* the same person through a second process */
    hist_state_add(&st, &e);
    sbuf b;
    sbuf_init(&b, 0);
    hist_state_write(&b, &st, HIST_PUBLIC);
    ck_assert_str_eq(str(&b), ",\"present\":[{\"participant\":\"pA\",\"name\":\"Awa\",\"org\":\"V\","
                              "\"role\":\"participant\"}],\"polls\":[]" NO_SIGNOFF NO_BOARD); /* listed once */
    e = ev("3-0", d2); /* leaving the second process leaves them connected to the first */
    hist_state_add(&st, &e);
    ck_assert_uint_eq(st.npeople, 1);
    ck_assert_str_eq(st.people[0].origin, "O1");
    e = ev("4-0", d1);
    hist_state_add(&st, &e);
    ck_assert_uint_eq(st.npeople, 0);
    sbuf_free(&b);
    hist_state_free(&st);
}
END_TEST

/* A workshop of three organisations and one closed poll, folded as the hub does. */
typedef struct fixture {
    hist_state st;
    export_book book;
    poll_t *p;
    stored_poll sp;
} fixture;

static void fixture_init(fixture *f) {
    hist_state_init(&f->st);
    export_book_init(&f->book);
    const char *why;
    f->p = make_poll("P1", "{\"kind\":\"single\",\"question\":\"Ce résultat est-il commun | partagé ?\","
                           "\"choices\":[\"Oui, \\\"commun\\\"\",\"=Non\"]}", 1795833700000LL);
    ck_assert_int_eq(poll_open(f->p, true, &why), POLL_OK);
    const char *orgs[] = {"Ville", "Ville", "Ville", "Banque", "Banque", "Banque", "Asso"};
    const char *names[] = {"Awa", "Zoé", "Léo", "Jean", "Bea", "Marc *M*", "Lou"};
    const wk_role roles[] = {WK_FACILITATOR, WK_PARTICIPANT, WK_PARTICIPANT, WK_REPRESENTATIVE, WK_PARTICIPANT,
                             WK_REPRESENTATIVE, WK_PARTICIPANT};
    for (unsigned i = 0; i < 7; i++) {
        char pid[8];
        snprintf(pid, sizeof pid, "p%u", i);
        vote(f->p, pid, orgs[i], i < 3 ? 0 : 1);
        export_book_person(&f->book, names[i], orgs[i], roles[i]);
    }
    ck_assert_int_eq(poll_close(f->p, true, &why), POLL_OK);
    ck_assert_int_eq(poll_set_visibility(f->p, true, POLL_RESULTS_REVEALED, &why), POLL_OK);
    store(f->p, &f->sp);
    const char *created[] = {"type", "created", "title", "T", NULL};
    const char *arr[] = {"type", "arrived", "participant", "p0", "name", "Awa", "org", "Ville", "role", "facilitator", NULL};
    const char *closed[] = {"type", "poll_closed", "poll", "P1", "public", f->sp.pub, "results", f->sp.res, NULL};
    const char *shown[] = {"type", "poll_results", "poll", "P1", "public", f->sp.pub, "results", f->sp.res, NULL};
    const char *const *events[] = {created, arr, closed, shown};
    const char *ids[] = {"1795833600000-0", "1795833660000-0", "1795833720000-0", "1795833780000-0"};
    for (int i = 0; i < 4; i++) {
        hist_event e = ev(ids[i], events[i]);
        hist_state_add(&f->st, &e);
        export_book_event(&f->book, &e);
    }
}

static void fixture_free(fixture *f) {
    hist_state_free(&f->st);
    export_book_free(&f->book);
    poll_free(f->p);
}

START_TEST(test_markdown_summary) {
    fixture f;
    fixture_init(&f);
    export_meta m = {"Partenariat *Lyon*", 1795833600000LL, 1795833900000LL, 42, "Quoi ?\n- emploi\n\nPourquoi ?", NULL, NULL, NULL, 0, false};
    sbuf b;
    sbuf_init(&b, 0);
    export_markdown(&b, &m, &f.book, &f.st, EXPORT_FR);
    const char *md = str(&b);
    /* The export's own words in French typography; what people typed as typed. */
    const char *want[] = {
        "# Partenariat \\*Lyon\\*\n",
        "Atelier créé le 28 novembre 2026 à 02:40 (UTC)",
        "42 révisions · 7 personnes · 3 organisations",
        "| Asso | 1 |\n| Banque | 3 |\n| Ville | 3 |\n",
        "> Quoi ?  \n> \\- emploi\n>\n> Pourquoi ?\n",
        "### 1. Ce résultat est-il commun \\| partagé ?",
        "choix unique · clos · Répondants" N ": 7",
        "| Choix | Tous | Banque | Ville |",
        "| Oui, \"commun\" | 3 | 0 | 3 |",
        "| =Non | 4 | 3 | 0 |",
        "Alignement" N ": organisations divergentes (écart 1,00" N "; 2 organisations comparées).",
        "## Moments clés (UTC)\n",
        "- 28/11/2026 02:40 — Atelier créé\n",
        "- 28/11/2026 02:41 — Première arrivée" N ": Ville\n",
        "- 28/11/2026 02:42 — Sondage clos" N ": «" N "Ce résultat est-il commun \\| partagé ?" N "»\n",
        "- 28/11/2026 02:43 — Résultats dévoilés" N ": «" N "Ce résultat",
        "- 28/11/2026 02:45 — Dernière modification de l'énoncé (42 révisions)\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(strstr(md, want[i]), "missing %s in:\n%s", want[i], md);
    ck_assert_ptr_null(strstr(md, "| Autres |")); /* Asso's one voter is pooled below the threshold: shown nowhere */
    ck_assert_ptr_null(strstr(md, "terminé")); /* never ended */
    sbuf_reset(&b);
    export_markdown(&b, &m, &f.book, &f.st, EXPORT_EN);
    ck_assert_ptr_nonnull(strstr(str(&b), "Workshop created on 28 November 2026, 02:40 (UTC)"));
    ck_assert_ptr_nonnull(strstr(str(&b), "Alignment: divergent (divergence 1.00; 2 organisations compared)."));
    ck_assert_ptr_nonnull(strstr(str(&b), "single choice · closed · Respondents: 7"));
    ck_assert_ptr_nonnull(strstr(str(&b), "- 2026-11-28 02:41 — First arrival from Ville\n"));
    ck_assert_ptr_null(strstr(str(&b), N)); /* English typography is English */
    ck_assert(sbuf_ok(&b));
    sbuf_free(&b);
    fixture_free(&f);
}
END_TEST

/* Paris in winter: one hour ahead of UTC (the hub reads it from the tz file). */
static int32_t winter_paris(void *ctx, int64_t ms) {
    (void)ctx;
    (void)ms;
    return 3600;
}

START_TEST(test_summary_in_the_zone_and_ended) {
    fixture f;
    fixture_init(&f);
    const char *end[] = {"type", "ended", "by", "p0", "name", "Awa *Diallo*", NULL};
    const char *reopen[] = {"type", "reopened", "by", "p0", "name", "Awa", NULL};
    hist_event e = ev("1795834000000-0", end);
    export_book_event(&f.book, &e);
    e = ev("1795834060000-0", reopen);
    export_book_event(&f.book, &e);
    ck_assert_int_eq(f.book.ended, -1); /* reopened after */
    e = ev("1795834120000-0", end);
    export_book_event(&f.book, &e);
    when_zone paris = {"Europe/Paris", winter_paris, NULL};
    /* The retention's date (README, "How long data lives"): 90 days on. */
    export_meta m = {"T", 1795833600000LL, 0, 0, "", &paris, NULL, NULL, 1795834120000LL + 90LL * 86400000, false};
    sbuf b;
    sbuf_init(&b, 0);
    export_markdown(&b, &m, &f.book, &f.st, EXPORT_FR);
    const char *want[] = {
        "Atelier créé le 28 novembre 2026 à 03:40 (Europe/Paris)",
        "Atelier terminé le 28 novembre 2026 à 03:48 (Europe/Paris) par Awa \\*Diallo\\*.\n",
        "\nSans nouvelle activité, cet atelier sera supprimé du serveur le 26 février 2027 à 03:48 (Europe/Paris).\n",
        "## Moments clés (Europe/Paris)\n",
        "- 28/11/2026 03:46 — Atelier terminé par Awa \\*Diallo\\*\n",
        "- 28/11/2026 03:47 — Atelier rouvert par Awa\n",
        "- 28/11/2026 03:48 — Atelier terminé par Awa \\*Diallo\\*\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(strstr(str(&b), want[i]), "missing %s in:\n%s", want[i], str(&b));
    sbuf_reset(&b);
    export_markdown(&b, &m, &f.book, &f.st, EXPORT_EN);
    ck_assert_ptr_nonnull(strstr(str(&b), "Workshop ended on 28 November 2026, 03:48 (Europe/Paris) by Awa \\*Diallo\\*.\n"));
    ck_assert_ptr_nonnull(strstr(str(&b), "- 2026-11-28 03:47 — Workshop reopened by Awa\n"));
    ck_assert_ptr_nonnull(strstr(
        str(&b), "Without new activity, this workshop will be deleted from the server on 26 February 2027, 03:48 (Europe/Paris).\n"));
    sbuf_reset(&b);
    m.deletes_at = 0; /* not said */
    export_markdown(&b, &m, &f.book, &f.st, EXPORT_FR);
    ck_assert_ptr_null(strstr(str(&b), "supprimé"));
    sbuf_free(&b);
    fixture_free(&f);
}
END_TEST

/* Every one of want[0..n) is in text. */
#define ASSERT_ALL_IN(text, want)                                                                                    \
    for (size_t i_ = 0; i_ < sizeof(want) / sizeof *(want); i_++)                                                    \
    ck_assert_msg(strstr((text), (want)[i_]), "missing %s in:\n%s", (want)[i_], (text))

/* The people with their roles (protocol/agreement.md, "Roles"):
 * representatives and facilitators marked within their organisation,
 * observers counted and listed apart, never as an organisation, with or
 * without one, and never a first arrival. */
START_TEST(test_people_and_roles) {
    fixture f;
    fixture_init(&f);
    export_book_person(&f.book, "Paul", "", WK_OBSERVER);
    export_book_person(&f.book, "Inès", "Fondation", WK_OBSERVER);
    const char *obs[] = {"type", "arrived", "participant", "p7", "name", "Paul", "org", "", "role", "observer", NULL};
    const char *obs2[] = {"type", "arrived", "participant", "p8", "name", "Inès", "org", "Fondation", "role", "observer", NULL};
    hist_event e = ev("1795833670000-0", obs);
    export_book_event(&f.book, &e);
    e = ev("1795833680000-0", obs2);
    export_book_event(&f.book, &e);
    ck_assert_uint_eq(f.book.people, 7);
    ck_assert_uint_eq(f.book.observers, 2);
    ck_assert_uint_eq(f.book.norgs, 3); /* no "" and no "Fondation" */
    export_meta m = {"T", 1795833600000LL, 0, 0, "", NULL, NULL, NULL, 0, false};
    sbuf b;
    sbuf_init(&b, 0);
    export_markdown(&b, &m, &f.book, &f.st, EXPORT_FR);
    const char *want_fr[] = {
        "0 révision · 7 personnes · 3 organisations · 2 observateur·rices\n",
        "| Asso | 1 |\n| Banque | 3 |\n| Ville | 3 |\n\n",
        "## Personnes\n\n"
        "- Asso" N ": Lou\n"
        "- Banque" N ": Bea, Jean (représentant·e), Marc \\*M\\* (représentant·e)\n"
        "- Ville" N ": Awa (animateur·rice), Léo, Zoé\n"
        "- Observateur·rices (2)" N ": Inès (Fondation), Paul\n\n## ",
    };
    ASSERT_ALL_IN(str(&b), want_fr);
    ck_assert_msg(!strstr(str(&b), "Première arrivée" N ": \n") && !strstr(str(&b), "Première arrivée" N ": Fondation"),
                  "an observer is never an organisation's arrival:\n%s", str(&b));
    ck_assert_ptr_null(strstr(str(&b), "| Fondation |"));
    ck_assert_ptr_null(strstr(str(&b), "|  |"));
    sbuf_reset(&b);
    export_markdown(&b, &m, &f.book, &f.st, EXPORT_EN);
    const char *want_en[] = {
        "0 revisions · 7 people · 3 organisations · 2 observers\n",
        "## People\n\n- Asso: Lou\n- Banque: Bea, Jean (representative), Marc \\*M\\* (representative)\n"
        "- Ville: Awa (facilitator), Léo, Zoé\n- Observers (2): Inès (Fondation), Paul\n",
    };
    ASSERT_ALL_IN(str(&b), want_en);
    sbuf_reset(&b);
    export_html(&b, &m, &f.book, &f.st, EXPORT_FR, "N0nce");
    ck_assert_msg(strstr(str(&b), "<li>Observateur·rices (2)" N ": Inès (Fondation), Paul</li>"), "%s", str(&b));
    sbuf_reset(&b);
    export_csv(&b, &m, &f.book, &f.st, EXPORT_FR); /* no arrival of an observer among the moments */
    ck_assert_ptr_null(strstr(str(&b), "Fondation"));
    ck_assert_ptr_null(strstr(str(&b), "Première arrivée;\r\n"));
    ck_assert_ptr_null(strstr(str(&b), "Première arrivée;;"));
    sbuf_free(&b);
    fixture_free(&f);
}
END_TEST

/* One observer and nobody else: a count, no organisation at all. */
START_TEST(test_only_an_observer) {
    export_book book;
    export_book_init(&book);
    export_book_person(&book, "Paul", NULL, WK_OBSERVER);
    hist_state st;
    hist_state_init(&st);
    export_meta m = {"T", 1795833600000LL, 0, 0, "", NULL, NULL, NULL, 0, false};
    sbuf b;
    sbuf_init(&b, 0);
    export_markdown(&b, &m, &book, &st, EXPORT_EN);
    ck_assert_msg(strstr(str(&b), "· 0 people · 0 organisations · 1 observer\n"), "%s", str(&b));
    ck_assert_msg(strstr(str(&b), "| Organisation | People |\n|---|---:|\n\n"), "%s", str(&b));
    ck_assert_msg(strstr(str(&b), "## People\n\n- Observers (1): Paul\n"), "%s", str(&b));
    sbuf_free(&b);
    hist_state_free(&st);
    export_book_free(&book);
}
END_TEST

START_TEST(test_html_summary) {
    fixture f;
    fixture_init(&f);
    export_meta m = {"<script>alert(1)</script> & \"co\"", 1795833600000LL, 0, 1, "Quoi ?\n<b>gras</b>", NULL, NULL, NULL, 0, false};
    sbuf b;
    sbuf_init(&b, 0);
    export_html(&b, &m, &f.book, &f.st, EXPORT_FR, "N0nce");
    const char *html = str(&b);
    ck_assert_msg(strncmp(html, "<!DOCTYPE html>\n<html lang=\"fr\">", 31) == 0, "%s", html);
    const char *want[] = {
        "<title>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;co&quot;</title>",
        "<style nonce=\"N0nce\">",
        "@media print{",
        "<h1>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;co&quot;</h1>",
        "<blockquote>Quoi ?\n&lt;b&gt;gras&lt;/b&gt;</blockquote>",
        "<h3>1. Ce résultat est-il commun | partagé ?</h3>",
        "<p>choix unique · clos · Répondants" N ": 7</p>",
        "<thead><tr><th>Choix</th><th>Tous</th><th>Banque</th><th>Ville</th></tr></thead>",
        "<tbody><tr><td><em>Répondants</em></td><td>7</td><td>3</td><td>3</td></tr>",
        "<tr><td>Oui, &quot;commun&quot;</td><td>3</td><td>0</td><td>3</td></tr>",
        "<li>28/11/2026 02:42 — Sondage clos" N ": «" N "Ce résultat est-il commun | partagé ?" N "»</li>",
        "</main>\n</body>\n</html>\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(strstr(html, want[i]), "missing %s in:\n%s", want[i], html);
    ck_assert_ptr_null(strstr(html, "<script"));
    ck_assert_ptr_null(strstr(html, "<b>"));
    sbuf_reset(&b);
    export_html(&b, &m, &f.book, &f.st, EXPORT_EN, "N0nce");
    ck_assert_ptr_nonnull(strstr(str(&b), "<html lang=\"en\">"));
    ck_assert_ptr_nonnull(strstr(str(&b), "<h2>Key moments (UTC)</h2>"));
    sbuf_free(&b);
    fixture_free(&f);
}
END_TEST

/* Control bytes in the statement and the title (ESC, BEL, BS, C1) would
 * drive a terminal showing the export: Markdown and HTML drop them. */
START_TEST(test_summary_drops_control_bytes) {
    fixture f;
    fixture_init(&f);
    export_meta m = {"T\x1b]0;x\x07", 1795833600000LL, 0, 1, "Quoi\x1b[2J ?\x07\x08\n\tfin\xc2\x9b", NULL, NULL, NULL, 0, false};
    sbuf b;
    sbuf_init(&b, 0);
    export_markdown(&b, &m, &f.book, &f.st, EXPORT_FR);
    ck_assert_msg(strstr(str(&b), "> Quoi\\[2J ?  \n>  fin\n"), "%s", str(&b));
    ck_assert_msg(strstr(str(&b), "# T\\]0;x\n"), "%s", str(&b));
    sbuf_reset(&b);
    export_html(&b, &m, &f.book, &f.st, EXPORT_FR, "N0nce");
    ck_assert_msg(strstr(str(&b), "<blockquote>Quoi[2J ?\n fin</blockquote>"), "%s", str(&b));
    for (const char *html = str(&b); *html; html++)
        ck_assert_msg((unsigned char)*html >= 0x20 || *html == '\n', "control byte %d", *html);
    ck_assert_ptr_null(strstr(str(&b), "\xc2\x9b"));
    sbuf_free(&b);
    fixture_free(&f);
}
END_TEST

START_TEST(test_csv_results) {
    fixture f;
    fixture_init(&f);
    export_meta m = {"T", 1795833600000LL, 1795833900000LL, 42, "", NULL, NULL, NULL, 0, false};
    sbuf b;
    sbuf_init(&b, 0);
    export_csv(&b, &m, &f.book, &f.st, EXPORT_FR);
    ck_assert_str_eq(str(&b),
             "\xEF\xBB\xBF" "N°;Question;Type;État;Groupe;Répondants;Choix;Nombre;Écart;Alignement\r\n"
             "1;Ce résultat est-il commun | partagé ?;choix unique;clos;Tous;7;\"Oui, \"\"commun\"\"\";3;1,00;organisations divergentes\r\n"
             "1;Ce résultat est-il commun | partagé ?;choix unique;clos;Tous;7;\"'=Non\";4;1,00;organisations divergentes\r\n"
             "1;Ce résultat est-il commun | partagé ?;choix unique;clos;Banque;3;\"Oui, \"\"commun\"\"\";0;1,00;organisations divergentes\r\n"
             "1;Ce résultat est-il commun | partagé ?;choix unique;clos;Banque;3;\"'=Non\";3;1,00;organisations divergentes\r\n"
             "1;Ce résultat est-il commun | partagé ?;choix unique;clos;Ville;3;\"Oui, \"\"commun\"\"\";3;1,00;organisations divergentes\r\n"
             "1;Ce résultat est-il commun | partagé ?;choix unique;clos;Ville;3;\"'=Non\";0;1,00;organisations divergentes\r\n"
             "\r\n"
             "Heure (UTC);Moment;Objet\r\n"
             "28/11/2026 02:40;Atelier créé;\r\n"
             "28/11/2026 02:41;Première arrivée;Ville\r\n"
             "28/11/2026 02:42;Sondage clos;Ce résultat est-il commun | partagé ?\r\n"
             "28/11/2026 02:43;Résultats dévoilés;Ce résultat est-il commun | partagé ?\r\n"
             "28/11/2026 02:45;Dernière modification de l'énoncé;42 révisions\r\n");
    sbuf_reset(&b);
    export_csv(&b, &m, &f.book, &f.st, EXPORT_EN);
    const char *en = str(&b);
    ck_assert_ptr_nonnull(strstr(en, "\xEF\xBB\xBF" "No.;Question;Kind;State;Group;Respondents;Choice;Count;Divergence;Alignment\r\n"));
    ck_assert_ptr_nonnull(strstr(en, "1;Ce résultat est-il commun | partagé ?;single choice;closed;All;7;\"'=Non\";4;1.00;divergent\r\n"));
    ck_assert_ptr_nonnull(strstr(en, "\r\nTime (UTC);Moment;Subject\r\n2026-11-28 02:40;Workshop created;\r\n"));
    sbuf_free(&b);
    fixture_free(&f);
}
END_TEST

/* A scale poll with two ballots and a text poll with one upvoted answer. */
typedef struct scale_and_text {
    hist_state st;
    poll_t *s, *t;
} scale_and_text;

static void scale_and_text_init(scale_and_text *f) {
    hist_state_init(&f->st);
    f->s = make_poll("S", "{\"kind\":\"scale\",\"question\":\"Clair ?\"}", 1);
    f->t = make_poll("T", "{\"kind\":\"text\",\"question\":\"Impact ?\"}", 2);
    const char *why;
    ck_assert_int_eq(poll_open(f->s, true, &why), POLL_OK);
    ck_assert_int_eq(poll_open(f->t, true, &why), POLL_OK);
    poll_ballot b4 = {.value = 4}, b5 = {.value = 5};
    ck_assert_int_eq(poll_vote(f->s, "a", "O", &b4, &why), POLL_OK);
    ck_assert_int_eq(poll_vote(f->s, "b", "O", &b5, &why), POLL_OK);
    uint32_t aid;
    ck_assert_int_eq(poll_answer_add(f->t, "a", "O", "Un réseau, qui dure", &aid, &why), POLL_OK);
    ck_assert_int_eq(poll_upvote(f->t, "b", "O", aid, true, &why), POLL_OK);
    add_poll_event(&f->st, "1-0", "ballot", "S", f->s);
    add_poll_event(&f->st, "2-0", "upvote", "T", f->t);
}

static void scale_and_text_free(scale_and_text *f) {
    hist_state_free(&f->st);
    poll_free(f->s);
    poll_free(f->t);
}

START_TEST(test_csv_scale_and_text) {
    scale_and_text f;
    scale_and_text_init(&f);
    export_book book;
    export_book_init(&book);
    export_meta m = {"T", 1795833600000LL, 0, 0, "", NULL, NULL, NULL, 0, false};
    sbuf b;
    sbuf_init(&b, 0);
    export_csv(&b, &m, &book, &f.st, EXPORT_FR);
    const char *csv = str(&b);
    ck_assert_ptr_nonnull(strstr(csv, "\r\n1;Clair ?;échelle d'accord;ouvert;Tous;2;4 — Plutôt d'accord;1;;\r\n"));
    ck_assert_ptr_nonnull(strstr(csv, "\r\n1;Clair ?;échelle d'accord;ouvert;Tous;2;5 — Tout à fait d'accord;1;;\r\n"));
    ck_assert_ptr_nonnull(strstr(csv, "\r\n1;Clair ?;échelle d'accord;ouvert;Tous;2;Moyenne;4,50;;\r\n"));
    /* Text polls: a table of their own, without the columns they never fill. */
    ck_assert_ptr_nonnull(strstr(csv, "\r\n\r\nN°;Question;État;Groupe;Répondants;Réponse;Soutiens\r\n"
                                      "2;Impact ?;ouvert;Tous;2;Un réseau, qui dure;1\r\n\r\n"));
    ck_assert_ptr_null(strstr(csv, "Autres")); /* no organisation broken out: "other" would repeat "all" */
    sbuf_reset(&b);
    export_csv(&b, &m, &book, &f.st, EXPORT_EN);
    ck_assert_ptr_nonnull(strstr(str(&b), "\r\n1;Clair ?;agreement scale;open;All;2;Mean;4.50;;\r\n"));
    ck_assert_ptr_nonnull(strstr(str(&b), "\r\nNo.;Question;State;Group;Respondents;Answer;Upvotes\r\n"));
    sbuf_free(&b);
    export_book_free(&book);
    scale_and_text_free(&f);
}
END_TEST

START_TEST(test_markdown_scale_and_text) {
    scale_and_text f;
    scale_and_text_init(&f);
    export_book book;
    export_book_init(&book);
    export_meta m = {"T", 1795833600000LL, 0, 0, "", NULL, NULL, NULL, 0, false};
    sbuf b;
    sbuf_init(&b, 0);
    export_markdown(&b, &m, &book, &f.st, EXPORT_FR);
    ck_assert_str_eq(str(&b),
        "# T\n"
        "\n"
        "Atelier créé le 28 novembre 2026 à 02:40 (UTC) · 0 révision · 0 personne · 0 organisation\n"
        "\n"
        "## Organisations\n"
        "\n"
        "| Organisation | Personnes |\n"
        "|---|---:|\n"
        "\n"
        "## Énoncé commun\n"
        "\n"
        "(vide)\n"
        "\n"
        "## Sondages\n"
        "\n"
        "### 1. Clair ?\n"
        "\n"
        "échelle d'accord · ouvert · Répondants" N ": 2\n"
        "\n"
        "| Choix | Tous |\n"
        "|---|---:|\n"
        "| *Répondants* | 2 |\n"
        "| 1 — Pas du tout d'accord | 0 |\n"
        "| 2 — Plutôt pas d'accord | 0 |\n"
        "| 3 — Ni d'accord ni pas d'accord | 0 |\n"
        "| 4 — Plutôt d'accord | 1 |\n"
        "| 5 — Tout à fait d'accord | 1 |\n"
        "| *Moyenne* | 4,50 |\n"
        "\n"
        "Alignement" N ": non calculé (il faut au moins deux organisations détaillées).\n"
        "\n"
        "### 2. Impact ?\n"
        "\n"
        "réponses libres · ouvert · Répondants" N ": 2\n"
        "\n"
        "| Réponse | Tous |\n"
        "|---|---:|\n"
        "| *Répondants* | 2 |\n"
        "| Un réseau, qui dure | 1 |\n"
        "\n"
        "*Une organisation n'est détaillée qu'à partir de 3 répondants" N "; les autres sont regroupées dans «" N "Autres" N "» quand elles en réunissent au moins 3, sinon elles ne comptent que dans le total.*\n"
        "\n"
        "## Moments clés (UTC)\n"
        "\n"
        "\n"); /* an empty list still ends with its blank line */
    sbuf_reset(&b);
    export_markdown(&b, &m, &book, &f.st, EXPORT_EN);
    ck_assert_ptr_nonnull(strstr(str(&b), "| 3 — Neither agree nor disagree | 0 |\n| 4 — Somewhat agree | 1 |\n"));
    ck_assert_ptr_nonnull(strstr(str(&b), "| *Mean* | 4.50 |\n"));
    ck_assert_ptr_nonnull(strstr(str(&b), "open answers · open · Respondents: 2\n\n| Answer | All |\n"));
    sbuf_free(&b);
    export_book_free(&book);
    scale_and_text_free(&f);
}
END_TEST

/* The summary of one poll, folded as the hub does (caller frees). */
static char *summary_of(poll_t *p, export_lang lang) {
    stored_poll sp;
    store(p, &sp);
    const char *kv[] = {"type", "poll_closed", "poll", p->id, "public", sp.pub, "results", sp.res, NULL};
    hist_state st;
    hist_state_init(&st);
    hist_event e = ev("1-0", kv);
    hist_state_add(&st, &e);
    export_book book;
    export_book_init(&book);
    export_meta m = {"T", 1795833600000LL, 0, 0, "", NULL, NULL, NULL, 0, false};
    sbuf b;
    sbuf_init(&b, 0);
    export_markdown(&b, &m, &book, &st, lang);
    char *out = strdup(str(&b));
    sbuf_free(&b);
    export_book_free(&book);
    hist_state_free(&st);
    return out;
}

START_TEST(test_no_column_repeats_all) {
    const char *why;
    /* A text poll answered by one organisation only: its column would be "all" again. */
    poll_t *t = make_poll("T", "{\"kind\":\"text\",\"question\":\"Idées ?\"}", 1);
    ck_assert_int_eq(poll_open(t, true, &why), POLL_OK);
    uint32_t a1, a2;
    ck_assert_int_eq(poll_answer_add(t, "p1", "Ville", "Plus de vélos", &a1, &why), POLL_OK);
    ck_assert_int_eq(poll_answer_add(t, "p2", "Ville", "Moins de voitures", &a2, &why), POLL_OK);
    ck_assert_int_eq(poll_upvote(t, "p3", "Ville", a1, true, &why), POLL_OK);
    char *md = summary_of(t, EXPORT_FR);
    ck_assert_msg(strstr(md, "| Réponse | Tous |\n|---|---:|\n| *Répondants* | 3 |\n| Plus de vélos | 1 |\n"
                             "| Moins de voitures | 0 |\n\n"), "%s", md);
    ck_assert_ptr_null(strstr(md, "Ville"));
    free(md);
    poll_free(t);
    /* Three organisations of one person each: pooled into "other", which is everyone. */
    poll_t *p = make_poll("P", "{\"kind\":\"single\",\"question\":\"Oui ?\",\"choices\":[\"Oui\",\"Non\"]}", 2);
    ck_assert_int_eq(poll_open(p, true, &why), POLL_OK);
    vote(p, "p1", "A", 0);
    vote(p, "p2", "B", 0);
    vote(p, "p3", "C", 1);
    md = summary_of(p, EXPORT_EN);
    ck_assert_msg(strstr(md, "| Choice | All |\n"), "%s", md);
    free(md);
    /* With an organisation broken out, "other" is not everyone: both shown. */
    vote(p, "p4", "Ville", 0);
    vote(p, "p5", "Ville", 1);
    vote(p, "p6", "Ville", 1);
    md = summary_of(p, EXPORT_EN);
    ck_assert_msg(strstr(md, "| Choice | All | Ville | Other |\n"), "%s", md);
    free(md);
    poll_free(p);
}
END_TEST


/* A poll two organisations answer openly (Ville's answer changed by Léa),
 * and a scale a third answers, folded as the hub does. */
typedef struct org_fixture {
    hist_state st;
    poll_t *p, *s;
} org_fixture;

static void org_fixture_init(org_fixture *f) {
    hist_state_init(&f->st);
    f->p = make_poll("P", "{\"kind\":\"multiple\",\"question\":\"Priorités ?\",\"choices\":[\"Emploi\",\"Mobilité\","
                          "\"=Logement\"],\"max\":2,\"respondents\":\"organisations\"}", 1);
    f->s = make_poll("S", "{\"kind\":\"scale\",\"question\":\"Clair ?\",\"respondents\":\"organisations\"}", 2);
    const char *why;
    ck_assert_int_eq(poll_open(f->p, true, &why), POLL_OK);
    ck_assert_int_eq(poll_open(f->s, true, &why), POLL_OK);
    const poll_voter_id awa = {"pAwa", "Awa", "Ville", 1795833660000LL, false}, lea = {"pLea", "Léa", "Ville", 1795833720000LL, false},
                        zoe = {"pZoe", "Zoé *Z*", "Banque", 1795833780000LL, false};
    poll_ballot first = {.picks = 1}, both = {.picks = 3}, third = {.picks = 4}, four = {.value = 4};
    ck_assert_int_eq(poll_vote_org(f->p, &awa, &first, &why), POLL_OK);
    ck_assert_int_eq(poll_vote_org(f->p, &zoe, &third, &why), POLL_OK);
    ck_assert_int_eq(poll_vote_org(f->p, &lea, &both, &why), POLL_OK); /* the last one stands */
    ck_assert_int_eq(poll_vote_org(f->s, &zoe, &four, &why), POLL_OK);
    add_poll_event(&f->st, "1795833720000-0", "ballot", "P", f->p);
    add_poll_event(&f->st, "1795833780000-0", "ballot", "S", f->s);
}

static void org_fixture_free(org_fixture *f) {
    hist_state_free(&f->st);
    poll_free(f->p);
    poll_free(f->s);
}

START_TEST(test_markdown_organisation_answers) {
    org_fixture f;
    org_fixture_init(&f);
    export_book book;
    export_book_init(&book);
    const when_zone paris = {"Europe/Paris", winter_paris, NULL};
    export_meta m = {"T", 1795833600000LL, 0, 0, "", &paris, NULL, NULL, 0, false};
    sbuf b;
    sbuf_init(&b, 0);
    export_markdown(&b, &m, &book, &f.st, EXPORT_FR);
    const char *md = str(&b);
    /* Answered openly: each organisation by name, its answer, who gave it and
     * when (on the workshop's clock); the respondents are organisations. */
    const char *want[] = {
        "choix multiple · ouvert · répondu ouvertement par chaque organisation · Répondants" N ": 2 organisations\n\n"
        "| Choix | Tous |\n|---|---:|\n| *Répondants* | 2 |\n| Emploi | 1 |\n| Mobilité | 1 |\n| =Logement | 1 |\n\n"
        "- Banque, par Zoé \\*Z\\* le 28 novembre 2026 à 03:43 (Europe/Paris)" N ": =Logement\n"
        "- Ville, par Léa le 28 novembre 2026 à 03:42 (Europe/Paris)" N ": Emploi · Mobilité\n\n"
        "Alignement" N ": organisations divergentes (écart 1,00" N "; 2 organisations comparées).\n\n"
        "*Chaque organisation a répondu ouvertement" N ": toutes sont montrées par leur nom, avec qui a donné la "
        "réponse et quand.*\n\n",
        "Répondants" N ": 1 organisation\n",
        "- Banque, par Zoé \\*Z\\* le 28 novembre 2026 à 03:43 (Europe/Paris)" N ": 4 — Plutôt d'accord\n\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(strstr(md, want[i]), "missing %s in:\n%s", want[i], md);
    ck_assert_ptr_null(strstr(md, "Awa"));     /* Léa changed Ville's answer after her */
    ck_assert_ptr_null(strstr(md, "Autres"));  /* no "other organisations" */
    ck_assert_ptr_null(strstr(md, "| Ville")); /* no column of 0s and 1s per organisation */
    ck_assert_ptr_null(strstr(md, "à partir de")); /* no threshold: only organisations answer here */
    sbuf_reset(&b);
    export_markdown(&b, &m, &book, &f.st, EXPORT_EN);
    const char *en = str(&b);
    const char *want_en[] = {
        "multiple choice · open · answered openly by each organisation · Respondents: 2 organisations\n",
        "- Banque, by Zoé \\*Z\\* on 28 November 2026, 03:43 (Europe/Paris): =Logement\n"
        "- Ville, by Léa on 28 November 2026, 03:42 (Europe/Paris): Emploi · Mobilité\n\n",
        "- Banque, by Zoé \\*Z\\* on 28 November 2026, 03:43 (Europe/Paris): 4 — Somewhat agree\n\n",
        "*Each organisation answered openly: every organisation is shown by name, with who gave its answer and when.*\n",
        "agreement scale · open · answered openly by each organisation · Respondents: 1 organisation\n",
    };
    for (size_t i = 0; i < sizeof want_en / sizeof want_en[0]; i++)
        ck_assert_msg(strstr(en, want_en[i]), "missing %s in:\n%s", want_en[i], en);
    ck_assert_ptr_null(strstr(en, N));
    ck_assert(sbuf_ok(&b));
    sbuf_free(&b);
    export_book_free(&book);
    org_fixture_free(&f);
}
END_TEST

START_TEST(test_csv_organisation_answers) {
    org_fixture f;
    org_fixture_init(&f);
    export_book book;
    export_book_init(&book);
    const when_zone paris = {"Europe/Paris", winter_paris, NULL};
    export_meta m = {"T", 1795833600000LL, 0, 0, "", &paris, NULL, NULL, 0, false};
    sbuf b;
    sbuf_init(&b, 0);
    export_csv(&b, &m, &book, &f.st, EXPORT_FR);
    const char *csv = str(&b);
    const char *want[] = {
        "\xEF\xBB\xBF" "N°;Question;Type;État;Groupe;Répondants;Choix;Nombre;Écart;Alignement;Répondu par;"
        "Répondu le (Europe/Paris)\r\n"
        "1;Priorités ?;choix multiple;ouvert;Tous;2;Emploi;1;1,00;organisations divergentes;;\r\n",
        "\r\n1;Priorités ?;choix multiple;ouvert;Banque;1;\"'=Logement\";1;1,00;organisations divergentes;Zoé *Z*;"
        "28/11/2026 03:43\r\n",
        "\r\n1;Priorités ?;choix multiple;ouvert;Ville;1;Emploi;1;1,00;organisations divergentes;Léa;28/11/2026 03:42\r\n"
        "1;Priorités ?;choix multiple;ouvert;Ville;1;Mobilité;1;1,00;organisations divergentes;Léa;28/11/2026 03:42\r\n",
        "\r\n2;Clair ?;échelle d'accord;ouvert;Tous;1;Moyenne;4,00;;;;\r\n",
        "\r\n2;Clair ?;échelle d'accord;ouvert;Banque;1;4 — Plutôt d'accord;1;;;Zoé *Z*;28/11/2026 03:43\r\n",
        "\r\n\r\nHeure (Europe/Paris);Moment;Objet\r\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(strstr(csv, want[i]), "missing %s in:\n%s", want[i], csv);
    ck_assert_ptr_null(strstr(csv, "Awa"));
    ck_assert_ptr_null(strstr(csv, "Autres"));
    sbuf_reset(&b);
    export_csv(&b, &m, &book, &f.st, EXPORT_EN);
    const char *en = str(&b);
    ck_assert_ptr_nonnull(strstr(en, "\xEF\xBB\xBF" "No.;Question;Kind;State;Group;Respondents;Choice;Count;"
                                     "Divergence;Alignment;Answered by;Answered at (Europe/Paris)\r\n"));
    ck_assert_ptr_nonnull(strstr(en, "\r\n1;Priorités ?;multiple choice;open;Ville;1;Emploi;1;1.00;divergent;Léa;"
                                     "2026-11-28 03:42\r\n"));
    ck_assert_ptr_nonnull(strstr(en, "\r\n2;Clair ?;agreement scale;open;Banque;1;Mean;4.00;;;Zoé *Z*;2026-11-28 03:43\r\n"));
    sbuf_free(&b);
    export_book_free(&book);
    org_fixture_free(&f);
}
END_TEST

/* The threshold note reads each poll's threshold: one note when the polls
 * people answer share it, one under each when they differ; the columns of
 * who answered are not in a CSV without organisation answers. */
START_TEST(test_threshold_note_per_poll) {
    const char *why;
    poll_t *p = make_poll("P", "{\"kind\":\"single\",\"question\":\"Oui ?\",\"choices\":[\"Oui\",\"Non\"],"
                               "\"threshold\":5}", 1);
    ck_assert_int_eq(poll_open(p, true, &why), POLL_OK);
    char *md = summary_of(p, EXPORT_FR);
    ck_assert_msg(strstr(md, "*Une organisation n'est détaillée qu'à partir de 5 répondants" N "; les autres sont "
                             "regroupées dans «" N "Autres" N "» quand elles en réunissent au moins 5, sinon"), "%s", md);
    free(md);
    md = summary_of(p, EXPORT_EN);
    ck_assert_msg(strstr(md, "*An organisation is broken out only with at least 5 respondents; the others are pooled "
                             "under \"Other\" when they add up to at least 5, otherwise"), "%s", md);
    free(md);
    poll_t *q = make_poll("Q", "{\"kind\":\"scale\",\"question\":\"Clair ?\"}", 2);
    ck_assert_int_eq(poll_open(q, true, &why), POLL_OK);
    hist_state st;
    hist_state_init(&st);
    add_poll_event(&st, "1-0", "poll_opened", "P", p);
    add_poll_event(&st, "2-0", "poll_opened", "Q", q);
    export_book book;
    export_book_init(&book);
    export_meta m = {"T", 1795833600000LL, 0, 0, "", NULL, NULL, NULL, 0, false};
    sbuf b;
    sbuf_init(&b, 0);
    export_markdown(&b, &m, &book, &st, EXPORT_EN);
    const char *en = str(&b);
    const char *five = strstr(en, "at least 5 respondents"), *three = strstr(en, "at least 3 respondents");
    const char *second = strstr(en, "### 2. Clair ?");
    ck_assert_msg(five && three && second && five < second && second < three, "%s", en);
    sbuf_reset(&b);
    export_csv(&b, &m, &book, &st, EXPORT_EN);
    ck_assert_ptr_nonnull(strstr(str(&b), "Divergence;Alignment\r\n"));
    ck_assert_ptr_null(strstr(str(&b), "Answered"));
    sbuf_free(&b);
    export_book_free(&book);
    hist_state_free(&st);
    poll_free(p);
    poll_free(q);
}
END_TEST

/* A ready-made question carries French and English (polls.md, "translations"):
 * each export reads it in its own language, in the poll's table and among
 * the key moments; a typed question stays as typed in both. */
START_TEST(test_ready_made_in_each_language) {
    const char *why;
    poll_t *p = make_poll("R", "{\"kind\":\"single\",\"question\":\"Commun ?\",\"choices\":[\"Commun\",\"Propre\"],"
                               "\"translations\":{\"fr\":{\"question\":\"Commun ?\",\"choices\":[\"Commun\",\"Propre\"]},"
                               "\"en\":{\"question\":\"Shared?\",\"choices\":[\"Shared\",\"Specific\"]}}}", 1);
    ck_assert_int_eq(poll_open(p, true, &why), POLL_OK);
    poll_t *q = make_poll("Q", "{\"kind\":\"single\",\"question\":\"Tapé ainsi\",\"choices\":[\"Oui\",\"Non\"]}", 2);
    ck_assert_int_eq(poll_open(q, true, &why), POLL_OK);
    hist_state st;
    hist_state_init(&st);
    export_book book;
    export_book_init(&book);
    export_phases phases; /* both polls opened during the first phase */
    export_phases_init(&phases);
    const char *start[] = {"type", "phase_started", "phase", "ph1", "title", "Quoi ?", "minutes", "20", NULL};
    hist_event e = ev("1795833500000-0", start);
    export_phases_event(&phases, &e, "");
    const poll_t *polls[] = {p, q};
    const char *ids[] = {"1795833600000-0", "1795833660000-0"};
    for (int k = 0; k < 2; k++) {
        stored_poll sp;
        store(polls[k], &sp);
        const char *kv[] = {"type", "poll_opened", "poll", polls[k]->id, "public", sp.pub, "results", sp.res, NULL};
        e = ev(ids[k], kv);
        hist_state_add(&st, &e);
        export_book_event(&book, &e);
        export_phases_event(&phases, &e, "");
    }
    export_phases_finish(&phases, 0, "");
    export_meta m = {"T", 1795833600000LL, 0, 0, "", NULL, &phases, NULL, 0, false};
    sbuf b;
    sbuf_init(&b, 0);
    export_markdown(&b, &m, &book, &st, EXPORT_EN);
    const char *en = str(&b);
    ck_assert_msg(strstr(en, "### 1. Shared?") && strstr(en, "| Specific |") && strstr(en, "Poll opened: Shared?"),
                  "%s", en);
    ck_assert_msg(!strstr(en, "Commun") && !strstr(en, "Propre"), "no French left: %s", en);
    const char *during = strstr(en, "Polls opened during the phase");
    ck_assert_msg(during && strstr(during, "- Shared?") && strstr(during, "- Tapé ainsi"), "the phase's polls: %s", en);
    ck_assert_msg(strstr(en, "### 2. Tapé ainsi") && strstr(en, "| Oui |"), "typed as typed: %s", en);
    sbuf_reset(&b);
    export_markdown(&b, &m, &book, &st, EXPORT_FR);
    ck_assert_msg(strstr(str(&b), "### 1. Commun ?") && !strstr(str(&b), "Shared"), "%s", str(&b));
    sbuf_reset(&b);
    export_csv(&b, &m, &book, &st, EXPORT_EN);
    ck_assert_msg(strstr(str(&b), "1;Shared?;single choice;open;All;0;Specific;0") && !strstr(str(&b), "Commun"), "%s", str(&b));
    sbuf_free(&b);
    export_phases_free(&phases);
    export_book_free(&book);
    hist_state_free(&st);
    poll_free(p);
    poll_free(q);
}
END_TEST

/* Fold one poll step into st (and the book and phases): its event as stored. */
static void fold_step(hist_state *st, export_book *book, export_phases *phases, const char *id, const char *type,
                      const poll_t *p) {
    stored_poll sp;
    store(p, &sp);
    const char *kv[] = {"type", type, "poll", p->id, "public", sp.pub, "results", sp.res, NULL};
    hist_event e = ev(id, kv);
    hist_state_add(st, &e);
    export_book_event(book, &e);
    export_phases_event(phases, &e, "");
}

/* The participants' summary (protocol/history.md): the polls as the public
 * view has them (no draft, no result participants were not shown) and no
 * contribution balance; the facilitator's has all of it. */
START_TEST(test_participants_summary) {
    const char *why;
    poll_t *shown = make_poll("S", "{\"kind\":\"single\",\"question\":\"Vu\",\"choices\":[\"Emploi\",\"Logement\"]}", 1);
    poll_t *hidden = make_poll("H", "{\"kind\":\"single\",\"question\":\"Secret\",\"choices\":[\"Rouge\",\"Vert\"]}", 2);
    poll_t *draft = make_poll("D", "{\"kind\":\"scale\",\"question\":\"Brouillon\"}", 3);
    hist_state st;
    hist_state_init(&st);
    export_book book;
    export_book_init(&book);
    export_phases phases;
    export_phases_init(&phases);
    const char *start[] = {"type", "phase_started", "phase", "ph1", "title", "Quoi ?", "minutes", "20", NULL};
    hist_event e = ev("1795833500000-0", start);
    export_phases_event(&phases, &e, "");
    fold_step(&st, &book, &phases, "1795833550000-0", "poll_created", draft);
    ck_assert_int_eq(poll_open(shown, true, &why), POLL_OK);
    ck_assert_int_eq(poll_open(hidden, true, &why), POLL_OK);
    fold_step(&st, &book, &phases, "1795833600000-0", "poll_opened", shown);
    fold_step(&st, &book, &phases, "1795833600001-0", "poll_opened", hidden);
    vote(shown, "pJ", "Banque", 0);
    vote(hidden, "pJ", "Banque", 1);
    const char *ballot[] = {"type", "ballot", "poll", "H", "org", "Banque", NULL};
    e = ev("1795833610000-0", ballot);
    export_phases_event(&phases, &e, ""); /* the balance counts it */
    ck_assert_int_eq(poll_set_visibility(shown, true, POLL_RESULTS_REVEALED, &why), POLL_OK);
    ck_assert_int_eq(poll_close(shown, true, &why), POLL_OK);
    ck_assert_int_eq(poll_close(hidden, true, &why), POLL_OK);
    fold_step(&st, &book, &phases, "1795833620000-0", "poll_closed", shown);
    fold_step(&st, &book, &phases, "1795833620001-0", "poll_closed", hidden);
    export_phases_finish(&phases, 0, "");
    export_meta m = {"T", 1795833600000LL, 0, 0, "Quoi ?", NULL, &phases, NULL, 0, false};
    sbuf b;
    sbuf_init(&b, 0);
    export_markdown(&b, &m, &book, &st, EXPORT_FR);
    const char *fac = str(&b); /* the test can tell: the facilitator's has them */
    ck_assert_msg(strstr(fac, "## Équilibre des contributions") && strstr(fac, "| Vert | 1 |") &&
                      strstr(fac, "| Emploi | 1 |"), "%s", fac);
    hist_state_keep_public(&st);
    ck_assert(!st.oom);
    ck_assert_uint_eq(st.npolls, 2); /* the draft is gone */
    m.participants = true;
    sbuf_reset(&b);
    export_markdown(&b, &m, &book, &st, EXPORT_FR);
    const char *md = str(&b);
    ck_assert_msg(strstr(md, "| Emploi | 1 |") && strstr(md, "### 2. Secret"), "the shown result stays: %s", md);
    ck_assert_msg(!strstr(md, "Vert") && !strstr(md, "Rouge"), "no hidden result: %s", md);
    ck_assert_msg(strstr(md, "### 2. Secret\n\nchoix unique · clos\n\n*Résultats non montrés aux participant·es.*"), "said: %s", md);
    ck_assert_msg(!strstr(md, "Équilibre") && !strstr(md, "Caractères insérés") && !strstr(md, "Brouillon"), "%s", md);
    ck_assert_msg(strstr(md, "Sondages ouverts pendant la phase"), "the phases stay: %s", md);
    sbuf_reset(&b);
    export_html(&b, &m, &book, &st, EXPORT_EN, "n0nce");
    ck_assert_msg(!strstr(str(&b), "Contribution balance") && !strstr(str(&b), "Vert") &&
                      strstr(str(&b), "Results not shown to participants."), "%s", str(&b));
    sbuf_free(&b);
    export_phases_free(&phases);
    export_book_free(&book);
    hist_state_free(&st);
    poll_free(shown);
    poll_free(hidden);
    poll_free(draft);
}
END_TEST

static Suite *hist_suite(void) {
    Suite *s = suite_create("hist");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_stream_ids);
    tcase_add_test(tc, test_edit_and_presence_events);
    tcase_add_test(tc, test_views_of_poll_events);
    tcase_add_test(tc, test_organisation_answers);
    tcase_add_test(tc, test_unknown_poll_words_show_nothing);
    tcase_add_test(tc, test_state_folds_presence_and_polls);
    tcase_add_test(tc, test_role_events);
    tcase_add_test(tc, test_presence_per_process);
    tcase_add_test(tc, test_markdown_summary);
    tcase_add_test(tc, test_summary_in_the_zone_and_ended);
    tcase_add_test(tc, test_html_summary);
    tcase_add_test(tc, test_summary_drops_control_bytes);
    tcase_add_test(tc, test_people_and_roles);
    tcase_add_test(tc, test_only_an_observer);
    tcase_add_test(tc, test_no_column_repeats_all);
    tcase_add_test(tc, test_csv_results);
    tcase_add_test(tc, test_csv_scale_and_text);
    tcase_add_test(tc, test_markdown_scale_and_text);
    tcase_add_test(tc, test_markdown_organisation_answers);
    tcase_add_test(tc, test_csv_organisation_answers);
    tcase_add_test(tc, test_threshold_note_per_poll);
    tcase_add_test(tc, test_ready_made_in_each_language);
    tcase_add_test(tc, test_participants_summary);
    tcase_add_test(tc, test_compact_page);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(hist_suite)
