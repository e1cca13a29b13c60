/* test_rights.c -- the rights table (core/rights.h) against
 * protocol/agreement.md's "Rights": every message type has a row, and each
 * row gives exactly the roles the table names. A new message type fails
 * test_every_type_has_a_row until rights.c has its row, and
 * test_the_agreement_table until its line below is written. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "core/rights.h"

/* The table's columns, in its order. */
static const wk_role roles[] = {WK_FACILITATOR, WK_REPRESENTATIVE, WK_PARTICIPANT, WK_OBSERVER};

/* One line of agreement.md's table: the type, then F R P O as 1 (yes) or 0. */
typedef struct line {
    const char *type;
    int may[4];
} line;

static const line agreement[] = {
    {"join", {1, 1, 1, 1}},
    {"ping", {1, 1, 1, 1}},
    {"op", {1, 1, 1, 0}},
    {"cursor", {1, 1, 1, 0}},
    {"vote", {1, 1, 1, 0}},
    {"answer", {1, 1, 1, 0}},
    {"upvote", {1, 1, 1, 0}},
    {"poll_create", {1, 0, 0, 0}},
    {"poll_edit", {1, 0, 0, 0}},
    {"poll_open", {1, 0, 0, 0}},
    {"poll_close", {1, 0, 0, 0}},
    {"poll_reopen", {1, 0, 0, 0}},
    {"poll_results", {1, 0, 0, 0}},
    {"poll_delete", {1, 0, 0, 0}},
    {"workshop_end", {1, 0, 0, 0}},
    {"workshop_reopen", {1, 0, 0, 0}},
    {"role_set", {1, 0, 0, 0}},
    {"representative_request", {0, 0, 1, 0}},
    {"representative_answer", {1, 0, 0, 0}},
    {"observer_link", {1, 0, 0, 0}},
    {"agenda_set", {1, 0, 0, 0}},
    {"phase_start", {1, 0, 0, 0}},
    {"phase_pause", {1, 0, 0, 0}},
    {"phase_resume", {1, 0, 0, 0}},
    {"phase_extend", {1, 0, 0, 0}},
    {"phase_next", {1, 0, 0, 0}},
    {"signoff_call", {1, 0, 0, 0}},
    {"signoff_close", {1, 0, 0, 0}},
    {"endorse", {0, 1, 0, 0}},
    {"decline", {0, 1, 0, 0}},
    {"board_add", {1, 1, 1, 0}},
    {"board_edit", {1, 1, 1, 0}},
    {"board_delete", {1, 1, 1, 0}},
    {"board_group", {1, 1, 0, 0}},
    {"board_ungroup", {1, 1, 0, 0}},
    {"board_settings", {1, 0, 0, 0}},
};

/* Every type the codec knows: proto_type_name is NULL past the last. */
static proto_type last_type(void) {
    proto_type t = PROTO_JOIN;
    while (proto_type_name((proto_type)(t + 1))) t = (proto_type)(t + 1);
    return t;
}

START_TEST(test_every_type_has_a_row) {
    for (proto_type t = PROTO_JOIN; t <= last_type(); t++) {
        ck_assert_msg(rights_has_row(t), "%s has no row in core/rights.c", proto_type_name(t));
        const char *why = rights_refusal(t);
        bool someone_refused = false;
        for (size_t r = 0; r < 4; r++) someone_refused |= !rights_may(roles[r], t);
        ck_assert_msg(!someone_refused || (why && why[0]), "%s is refused without a reason", proto_type_name(t));
    }
    ck_assert(!rights_has_row(PROTO_NONE));
    for (size_t r = 0; r < 4; r++) ck_assert(!rights_may(roles[r], PROTO_NONE));
}
END_TEST

START_TEST(test_the_agreement_table) {
    size_t n = sizeof agreement / sizeof *agreement;
    for (proto_type t = PROTO_JOIN; t <= last_type(); t++) {
        size_t i = 0;
        while (i < n && strcmp(agreement[i].type, proto_type_name(t)) != 0) i++;
        ck_assert_msg(i < n, "%s: add its line of agreement.md's table to this test", proto_type_name(t));
        for (size_t r = 0; r < 4; r++)
            ck_assert_msg(rights_may(roles[r], t) == (agreement[i].may[r] == 1), "%s for a %s", agreement[i].type,
                          wk_role_name(roles[r]));
    }
}
END_TEST

START_TEST(test_observers_write_nothing) {
    for (proto_type t = PROTO_JOIN; t <= last_type(); t++) {
        if (t == PROTO_JOIN || t == PROTO_PING) continue;
        ck_assert_msg(!rights_may(WK_OBSERVER, t), "an observer may send %s", proto_type_name(t));
    }
    ck_assert_str_eq(rights_refusal(PROTO_OP), "observers cannot write");
}
END_TEST

static Suite *rights_suite(void) {
    Suite *s = suite_create("rights");
    TCase *tc = tcase_create("table");
    tcase_add_test(tc, test_every_type_has_a_row);
    tcase_add_test(tc, test_the_agreement_table);
    tcase_add_test(tc, test_observers_write_nothing);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(rights_suite)
