/* test_role.c -- who may be made what (core/role.h, protocol/agreement.md
 * "Roles"): a facilitator gives a participant or a representative either of
 * those two roles; a facilitator and an observer keep theirs; only a pending
 * request is answered. */
#include <check.h>
#include <stdlib.h>

#include "check_main.h"
#include "core/role.h"

START_TEST(test_set_between_participant_and_representative) {
    const char *why = NULL;
    ck_assert_int_eq(role_may_set(WK_PARTICIPANT, &why), PROTO_OK);
    ck_assert_int_eq(role_may_set(WK_REPRESENTATIVE, &why), PROTO_OK);
}
END_TEST

START_TEST(test_set_refused_for_facilitators_and_observers) {
    static const wk_role kept[] = {WK_FACILITATOR, WK_OBSERVER};
    for (size_t i = 0; i < sizeof kept / sizeof *kept; i++) {
        const char *why = NULL;
        ck_assert_int_eq(role_may_set(kept[i], &why), PROTO_EBAD_REQUEST);
        ck_assert_ptr_nonnull(why);
        ck_assert(why[0] != '\0');
    }
}
END_TEST

START_TEST(test_answer_only_a_pending_request) {
    const char *why = NULL;
    ck_assert_int_eq(role_may_answer(WK_PARTICIPANT, true, &why), PROTO_OK);
    ck_assert_int_eq(role_may_answer(WK_PARTICIPANT, false, &why), PROTO_EBAD_REQUEST);
    ck_assert_str_eq(why, "this person has not asked to represent their organisation");
    ck_assert_int_eq(role_may_answer(WK_REPRESENTATIVE, false, &why), PROTO_EBAD_REQUEST);
    /* A record that says an observer asks is answered as an observer: no. */
    ck_assert_int_eq(role_may_answer(WK_OBSERVER, true, &why), PROTO_EBAD_REQUEST);
    ck_assert_int_eq(role_may_answer(WK_FACILITATOR, true, &why), PROTO_EBAD_REQUEST);
}
END_TEST

static Suite *role_suite(void) {
    Suite *s = suite_create("role");
    TCase *tc = tcase_create("role_set");
    tcase_add_test(tc, test_set_between_participant_and_representative);
    tcase_add_test(tc, test_set_refused_for_facilitators_and_observers);
    tcase_add_test(tc, test_answer_only_a_pending_request);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(role_suite)
