/* test_board.c -- the priorities board (core/board.h, core/board_match.h):
 * the server's grouping suggestions on French and English titles that must
 * and must not match (accents, plurals, stop words, word order, elisions),
 * the common / shared by some / unique classification, what each person
 * sees before and after the reveal, the requests' checks (a refused request
 * changes nothing), the stored form and the history's events folded. */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/board.h"
#include "core/board_match.h"
#include "check_main.h"

/* ---- Suggestions ---- */

static const char *const MATCH[][2] = {
    {"Accès aux droits", "l'accès au droit"},
    {"Accès aux droits", "L’ACCÈS AU DROIT"},
    {"Housing first", "housing"},
    {"Emploi des jeunes", "L'emploi des jeunes"},
    {"Emploi des jeunes", "jeunes : emploi"},               /* word order, punctuation */
    {"Santé mentale", "sante   mentale !"},                  /* accents, spaces */
    {"Access to rights", "rights access"},                   /* stop words, order, plural */
    {"Les services sociaux", "service social"},              /* -aux read as -al */
    {"Lutte contre l'isolement des aînés", "lutte contre isolement des aines"},
    {"Mobilité des seniors en zone rurale", "mobilité seniors zones rurales"},
    {"Affordable housing for families", "affordable family housing"},
};
static const char *const NO_MATCH[][2] = {
    {"Emploi des jeunes", "Logement des jeunes"},
    {"Housing", "Employment"},
    {"Accès aux droits", "Accès à l'emploi"},
    {"Santé mentale des jeunes", "Santé des personnes âgées"},
    {"Le", "La"},                                             /* nothing but stop words */
    {"Mobilité rurale", "Logement rural durable accessible"},
};

START_TEST(test_titles_that_match) {
    for (size_t i = 0; i < sizeof MATCH / sizeof *MATCH; i++) {
        ck_assert_msg(board_titles_match(MATCH[i][0], MATCH[i][1]), "%s ~ %s", MATCH[i][0], MATCH[i][1]);
        ck_assert_msg(board_titles_match(MATCH[i][1], MATCH[i][0]), "%s ~ %s (symmetric)", MATCH[i][1], MATCH[i][0]);
    }
    for (size_t i = 0; i < sizeof NO_MATCH / sizeof *NO_MATCH; i++)
        ck_assert_msg(!board_titles_match(NO_MATCH[i][0], NO_MATCH[i][1]), "%s !~ %s", NO_MATCH[i][0], NO_MATCH[i][1]);
}
END_TEST

START_TEST(test_title_words) {
    board_words w;
    board_title_words("L'Accès aux Droits, des Œuvres !", &w);
    ck_assert_uint_eq(w.n, 3);
    ck_assert_str_eq(w.w[0], "acce"); /* accès, its "s" read as a plural: the same on both sides */
    ck_assert_str_eq(w.w[1], "droit");
    ck_assert_str_eq(w.w[2], "oeuvre");
    board_title_words("   ", &w);
    ck_assert_uint_eq(w.n, 0);
    board_title_words("漢字 の 学習", &w); /* other scripts are words too */
    ck_assert_uint_eq(w.n, 3);
    ck_assert(!board_titles_match("", ""));
}
END_TEST

/* ---- A board built by requests ---- */

static void add(board *b, const char *id, const char *org, const char *title, int64_t at) {
    char data[512];
    snprintf(data, sizeof data, "{\"item\":\"%s\",\"org\":\"%s\",\"kind\":\"priority\",\"title\":\"%s\",\"why\":\"\"}", id,
             org, title);
    board_fold(b, "board_added", data, "pX", at);
}

static void group(board *b, const char *gid, const char *members_json) {
    char data[512];
    snprintf(data, sizeof data, "{\"groups\":{\"%s\":%s}}", gid, members_json);
    board_fold(b, "board_grouped", data, "pF", 0);
}

static char *written(const board *b, const board_viewer *v) {
    sbuf s;
    sbuf_init(&s, 0);
    board_write(&s, b, v);
    char *out = strdup(sbuf_data(&s));
    sbuf_free(&s);
    return out;
}

START_TEST(test_classification) {
    board b;
    board_init(&b);
    add(&b, "a1", "Ville", "Accès aux droits", 1);
    add(&b, "b1", "Banque", "l'accès au droit", 2);
    add(&b, "c1", "Asso", "Accès au droit", 3);
    add(&b, "a2", "Ville", "Emploi des jeunes", 4);
    add(&b, "b2", "Banque", "Emploi", 5);
    add(&b, "c2", "Asso", "Logement des jeunes", 6);
    group(&b, "g1", "[\"a1\",\"b1\",\"c1\"]");
    group(&b, "g2", "[\"a2\",\"b2\"]");
    board_viewer fac = {.all = true, .may_group = true};
    board_cluster c[BOARD_ITEMS_MAX];
    ck_assert_uint_eq(board_org_count(&b, &fac), 3);
    size_t n = board_clusters(&b, &fac, c);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(c[0].cls, BOARD_COMMON);
    ck_assert_uint_eq(c[0].nitems, 3);
    ck_assert_int_eq(c[1].cls, BOARD_SHARED);
    ck_assert_uint_eq(c[1].norgs, 2);
    ck_assert_int_eq(c[2].cls, BOARD_UNIQUE);
    ck_assert_str_eq(b.items[c[2].first].id, "c2");
    /* Two items of one organisation in a group: still one organisation, unique. */
    group(&b, "g2", "[\"a2\"]");
    group(&b, "g3", "[\"a2\",\"a1\"]");
    group(&b, "g1", "[\"b1\",\"c1\"]");
    n = board_clusters(&b, &fac, c);
    ck_assert_int_eq(c[0].cls, BOARD_UNIQUE); /* g3: a1 a2, both Ville */
    ck_assert_uint_eq(c[0].nitems, 2);
    ck_assert_int_eq(c[1].cls, BOARD_SHARED); /* g1: b1 c1 */
    /* A board of one organisation: nothing is common. */
    board one;
    board_init(&one);
    add(&one, "x", "Ville", "A", 1);
    add(&one, "y", "Ville", "B", 2);
    group(&one, "g", "[\"x\",\"y\"]");
    n = board_clusters(&one, &fac, c);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(c[0].cls, BOARD_UNIQUE);
    board_free(&one);
    board_free(&b);
}
END_TEST

START_TEST(test_visibility_and_suggestions) {
    board b;
    board_init(&b);
    add(&b, "a1", "Ville", "Accès aux droits", 1);
    add(&b, "b1", "Banque", "l'accès au droit", 2);
    add(&b, "b2", "Banque", "Accès aux droits", 3); /* same organisation as b1: never suggested with it */
    add(&b, "c1", "Asso", "Logement", 4);
    board_viewer fac = {.all = true, .may_group = true}, jean = {.org = "Banque"}, obs = {.org = NULL};
    char *s = written(&b, &fac);
    ck_assert_msg(strstr(s, "\"suggestions\":[[\"a1\",\"b1\",\"b2\"]]"), "%s", s);
    free(s);
    /* Before the reveal: Banque sees its own; an observer nothing; no suggestions for them. */
    s = written(&b, &jean);
    ck_assert(strstr(s, "\"b1\"") && strstr(s, "\"b2\"") && !strstr(s, "a1") && !strstr(s, "Logement"));
    ck_assert(!strstr(s, "suggestions"));
    free(s);
    s = written(&b, &obs);
    ck_assert_msg(strstr(s, "\"items\":[]"), "%s", s);
    free(s);
    /* Grouped already: a1 with b1; the suggestion then leads with the grouped item. */
    group(&b, "g1", "[\"a1\",\"b1\"]");
    s = written(&b, &fac);
    ck_assert_msg(strstr(s, "\"suggestions\":[[\"a1\",\"b2\"]]"), "%s", s);
    free(s);
    /* A hidden member is not shown in a group, nor the group with fewer than two seen. */
    s = written(&b, &jean);
    ck_assert_msg(strstr(s, "\"groups\":[]"), "%s", s);
    ck_assert_msg(!strstr(s, "\"group\""), "b1's group would tell of a hidden item: %s", s);
    free(s);
    board_fold(&b, "board_revealed", "{\"settings\":{\"visibility\":\"revealed\",\"revealed\":true,\"grouping\":\"facilitator\"}}", "pF", 9);
    s = written(&b, &obs);
    ck_assert_msg(strstr(s, "\"groups\":[{\"id\":\"g1\",\"items\":[\"a1\",\"b1\"]}]") && strstr(s, "Logement"), "%s", s);
    free(s);
    board_free(&b);
}
END_TEST

/* ---- Requests ---- */

static proto_err check(const board *b, const char *json, const char *org, bool fac, board_request *r, const char **why) {
    proto_msg msg;
    const char *dwhy;
    ck_assert_int_eq(proto_decode(json, strlen(json), &msg, &dwhy), PROTO_OK);
    ck_assert(proto_is_board(msg.type));
    proto_err e = board_check(b, msg.type, msg.u.obj, org, fac, r, why);
    proto_msg_free(&msg);
    return e;
}

START_TEST(test_requests_checked) {
    board b;
    board_init(&b);
    add(&b, "a1", "Ville", "Accès", 1);
    add(&b, "b1", "Banque", "Droits", 2);
    board_request r;
    const char *why;
    static const struct { const char *json, *org; bool fac; proto_err e; } cases[] = {
        {"{\"type\":\"board_add\",\"kind\":\"priority\",\"title\":\"Santé\"}", "Ville", false, PROTO_OK},
        {"{\"type\":\"board_add\",\"kind\":\"wish\",\"title\":\"Santé\"}", "Ville", false, PROTO_EBAD_REQUEST},
        {"{\"type\":\"board_add\",\"kind\":\"priority\"}", "Ville", false, PROTO_EBAD_REQUEST},
        {"{\"type\":\"board_add\",\"kind\":\"priority\",\"title\":\"  \"}", "Ville", false, PROTO_EBAD_REQUEST},
        {"{\"type\":\"board_add\",\"kind\":\"priority\",\"title\":\"a\\u202eb\"}", "Ville", false, PROTO_EBAD_REQUEST},
        {"{\"type\":\"board_add\",\"kind\":\"priority\",\"title\":\"ok\",\"why\":\"a\\nb\"}", "Ville", false, PROTO_EBAD_REQUEST},
        {"{\"type\":\"board_add\",\"kind\":\"priority\",\"title\":\"ok\",\"why\":7}", "Ville", false, PROTO_EBAD_REQUEST},
        {"{\"type\":\"board_add\",\"kind\":\"priority\",\"title\":\"ok\"}", "", false, PROTO_EFORBIDDEN},
        {"{\"type\":\"board_edit\",\"item\":\"a1\",\"why\":\"Parce que\"}", "Ville", false, PROTO_OK},
        {"{\"type\":\"board_edit\",\"item\":\"a1\"}", "Ville", false, PROTO_EBAD_REQUEST},
        {"{\"type\":\"board_edit\",\"item\":\"a1\",\"title\":\"x\"}", "Banque", false, PROTO_EFORBIDDEN},
        {"{\"type\":\"board_edit\",\"item\":\"a1\",\"title\":\"x\"}", "Ville", true, PROTO_OK},
        {"{\"type\":\"board_edit\",\"item\":\"zz\",\"title\":\"x\"}", "Ville", false, PROTO_ENOT_FOUND},
        {"{\"type\":\"board_edit\",\"item\":\"a/1\",\"title\":\"x\"}", "Ville", false, PROTO_EBAD_REQUEST},
        {"{\"type\":\"board_delete\",\"item\":\"a1\"}", "Banque", false, PROTO_EFORBIDDEN},
        {"{\"type\":\"board_delete\",\"item\":\"a1\"}", "Banque", true, PROTO_OK},
        {"{\"type\":\"board_group\",\"items\":[\"a1\",\"b1\"]}", "Ville", true, PROTO_OK},
        {"{\"type\":\"board_group\",\"items\":[\"a1\",\"b1\"]}", "Ville", false, PROTO_EFORBIDDEN},
        {"{\"type\":\"board_group\",\"items\":[\"a1\"]}", "Ville", true, PROTO_EBAD_REQUEST},
        {"{\"type\":\"board_group\",\"items\":[\"a1\",\"a1\"]}", "Ville", true, PROTO_EBAD_REQUEST},
        {"{\"type\":\"board_group\",\"items\":[\"a1\",\"nope\"]}", "Ville", true, PROTO_ENOT_FOUND},
        {"{\"type\":\"board_ungroup\",\"item\":\"a1\"}", "Ville", true, PROTO_EBAD_REQUEST}, /* in no group */
        {"{\"type\":\"board_ungroup\",\"group\":\"g9\"}", "Ville", true, PROTO_ENOT_FOUND},
        {"{\"type\":\"board_settings\",\"revealed\":true}", "Ville", true, PROTO_OK},
        {"{\"type\":\"board_settings\"}", "Ville", true, PROTO_EBAD_REQUEST},
        {"{\"type\":\"board_settings\",\"visibility\":\"never\"}", "Ville", true, PROTO_EBAD_REQUEST},
        {"{\"type\":\"board_settings\",\"revealed\":\"yes\"}", "Ville", true, PROTO_EBAD_REQUEST},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        why = "";
        proto_err e = check(&b, cases[i].json, cases[i].org, cases[i].fac, &r, &why);
        ck_assert_msg(e == cases[i].e, "%s: %d (%s)", cases[i].json, e, why);
        ck_assert_msg(e == PROTO_OK || why[0], "%s: refused without a reason", cases[i].json);
    }
    /* A title of 120 code points is one; 121 is too many. */
    char json[1024];
    snprintf(json, sizeof json, "{\"type\":\"board_add\",\"kind\":\"strength\",\"title\":\"%0120d\"}", 0);
    ck_assert_int_eq(check(&b, json, "Ville", false, &r, &why), PROTO_OK);
    snprintf(json, sizeof json, "{\"type\":\"board_add\",\"kind\":\"strength\",\"title\":\"%0121d\"}", 0);
    ck_assert_int_eq(check(&b, json, "Ville", false, &r, &why), PROTO_EBAD_REQUEST);
    /* The limits: 30 per organisation. */
    for (int i = 0; i < BOARD_ITEMS_PER_ORG; i++) {
        char id[16];
        snprintf(id, sizeof id, "v%d", i);
        add(&b, id, "Asso", "X", 10 + i);
    }
    ck_assert_int_eq(check(&b, "{\"type\":\"board_add\",\"kind\":\"priority\",\"title\":\"Une de trop\"}", "Asso", false, &r, &why),
                     PROTO_ETOO_LARGE);
    ck_assert_uint_eq(board_count_org(&b, "Asso"), BOARD_ITEMS_PER_ORG);
    /* ... and 200 on the board, whatever the organisation. */
    for (int i = 0; b.nitems < BOARD_ITEMS_MAX; i++) {
        char id[16], org[16];
        snprintf(id, sizeof id, "w%d", i);
        snprintf(org, sizeof org, "Org%d", i / 20);
        add(&b, id, org, "X", 100 + i);
    }
    ck_assert_int_eq(check(&b, "{\"type\":\"board_add\",\"kind\":\"priority\",\"title\":\"Encore\"}", "Neuve", false, &r, &why),
                     PROTO_ETOO_LARGE);
    board_free(&b);
}
END_TEST

/* ---- Stored form and history ---- */

START_TEST(test_stored_round_trip) {
    const char *items[] = {"k2", "{\"org\":\"Banque\",\"kind\":\"strength\",\"by\":\"pB\",\"at\":20}",
                           "k2:title", "Droits", "k2:why", "",
                           "k1", "{\"org\":\"Ville\",\"kind\":\"practice\",\"by\":\"pA\",\"at\":10}",
                           "k1:title", "Accès", "k1:why", "Parce que"};
    const char *groups[] = {"g1", "k1 k2"};
    board b;
    board_init(&b);
    ck_assert(board_read_stored(&b, items, 12, groups, 2, "{\"visibility\":\"live\",\"revealed\":false,\"grouping\":\"representatives\"}"));
    ck_assert_uint_eq(b.nitems, 2);
    ck_assert_str_eq(b.items[0].id, "k1"); /* in order of creation */
    ck_assert_str_eq(b.items[0].why, "Parce que");
    ck_assert_str_eq(b.items[1].group, "g1");
    ck_assert(b.settings.live && b.settings.reps_group);
    /* Damage: a text without its record, a bad kind, a title missing, bad settings. */
    const char *orphan[] = {"k9:title", "X"};
    ck_assert(!board_read_stored(&b, orphan, 2, NULL, 0, NULL));
    const char *badkind[] = {"k1", "{\"org\":\"Ville\",\"kind\":\"wish\",\"by\":\"pA\",\"at\":10}", "k1:title", "A"};
    ck_assert(!board_read_stored(&b, badkind, 4, NULL, 0, NULL));
    const char *notitle[] = {"k1", "{\"org\":\"Ville\",\"kind\":\"priority\",\"by\":\"pA\",\"at\":10}"};
    ck_assert(!board_read_stored(&b, notitle, 2, NULL, 0, NULL));
    ck_assert(!board_read_stored(&b, NULL, 0, NULL, 0, "{\"visibility\":\"maybe\"}"));
    board_free(&b);
}
END_TEST

START_TEST(test_history_folds) {
    board b;
    board_init(&b);
    add(&b, "a1", "Ville", "Accès", 1);
    add(&b, "b1", "Banque", "Droits", 2);
    board_fold(&b, "board_edited", "{\"item\":\"a1\",\"org\":\"Ville\",\"why\":\"Parce que\"}", "pA", 3);
    ck_assert_str_eq(b.items[0].title, "Accès");
    ck_assert_str_eq(b.items[0].why, "Parce que");
    board_fold(&b, "board_grouped", "{\"items\":[\"a1\",\"b1\"],\"groups\":{\"g1\":[\"a1\",\"b1\"]}}", "pF", 4);
    ck_assert_str_eq(b.items[1].group, "g1");
    board_fold(&b, "board_deleted", "{\"item\":\"b1\",\"org\":\"Banque\",\"title\":\"Droits\",\"groups\":{\"g1\":[]}}", "pF", 5);
    ck_assert_uint_eq(b.nitems, 1);
    ck_assert_str_eq(b.items[0].group, "");
    /* A reveal's snapshot brings what the public history left out. */
    board pub;
    board_init(&pub);
    board_fold(&pub, "board_revealed",
               "{\"settings\":{\"visibility\":\"revealed\",\"revealed\":true,\"grouping\":\"facilitator\"},"
               "\"snapshot\":{\"items\":[{\"item\":\"z2\",\"org\":\"Asso\",\"kind\":\"strength\",\"title\":\"Z\","
               "\"why\":\"\",\"by\":\"pZ\",\"at\":20},{\"item\":\"z1\",\"org\":\"Ville\",\"kind\":\"practice\","
               "\"title\":\"Y\",\"why\":\"W\",\"by\":\"pY\",\"at\":10}],\"groups\":{\"g\":[\"z1\",\"z2\"]}}}", "pF", 30);
    ck_assert_uint_eq(pub.nitems, 2);
    ck_assert_str_eq(pub.items[0].id, "z1"); /* in order of creation */
    ck_assert_str_eq(pub.items[0].why, "W");
    ck_assert_int_eq(pub.items[1].kind, BOARD_STRENGTH);
    ck_assert_str_eq(pub.items[1].group, "g");
    ck_assert(pub.settings.revealed);
    board_free(&pub);
    board_fold(&b, "board_added", "not json", "pA", 6);
    board_fold(&b, "poll_opened", "{\"item\":\"zz\"}", "pA", 6);
    ck_assert_uint_eq(b.nitems, 1);
    board_free(&b);
}
END_TEST

static Suite *board_suite(void) {
    Suite *s = suite_create("board");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_titles_that_match);
    tcase_add_test(tc, test_title_words);
    tcase_add_test(tc, test_classification);
    tcase_add_test(tc, test_visibility_and_suggestions);
    tcase_add_test(tc, test_requests_checked);
    tcase_add_test(tc, test_stored_round_trip);
    tcase_add_test(tc, test_history_folds);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(board_suite)
