/* test_pace.c -- the flush pacer (core/pace.h): flushes within the budget
 * go at once; past it they wait for the writes they spent, so that writes
 * per second stay at the budget whatever the audience; never longer than
 * the longest wait; back to no wait once the load falls. */
#include <check.h>

#include "check_main.h"
#include "core/pace.h"

#define MS 1000LL
#define SEC 1000000LL

START_TEST(test_within_budget_never_waits) {
    pace p;
    pace_init(&p, 150000, 10 * MS, 250 * MS, 0); /* burst: 1,500 writes */
    /* A 200-person workshop, 100 ops a second: 20,000 writes a second. */
    for (int64_t t = 0; t < 10 * SEC; t += 10 * MS) {
        ck_assert_int_eq(pace_wait_us(&p, t), 0);
        pace_spent(&p, t, 200);
    }
}
END_TEST

START_TEST(test_past_budget_waits_for_what_it_spent) {
    pace p;
    pace_init(&p, 100000, 10 * MS, 250 * MS, 0); /* 0.1 write per µs, burst 1,000 */
    ck_assert_int_eq(pace_wait_us(&p, 0), 0);
    pace_spent(&p, 0, 10000); /* 10,000 people: owes 9,000 writes, 90 ms */
    int64_t w = pace_wait_us(&p, 0);
    ck_assert_int_ge(w, 90 * MS);
    ck_assert_int_le(w, 90 * MS + 1);
    ck_assert_int_le(pace_wait_us(&p, 50 * MS), 40 * MS + 1); /* the time passed counts */
    ck_assert_int_eq(pace_wait_us(&p, 90 * MS + 1), 0);
}
END_TEST

START_TEST(test_steady_state_holds_the_budget) {
    /* Flushes as early as allowed, each to every one of 10,000 connections:
     * the writes per second settle at the budget. */
    pace p;
    pace_init(&p, 150000, 10 * MS, 250 * MS, 0);
    int64_t t = 0;
    uint64_t writes = 0;
    int flushes = 0;
    while (t < 20 * SEC) {
        t += pace_wait_us(&p, t);
        pace_spent(&p, t, 10000);
        writes += 10000;
        flushes++;
        t += 100; /* the flush itself */
    }
    double per_s = (double)writes / 20.0;
    ck_assert_msg(per_s > 150000 * 0.97 && per_s < 150000 * 1.03, "%.0f writes a second", per_s);
    ck_assert_int_ge(flushes, 290); /* about 15 a second: one every 67 ms */
}
END_TEST

START_TEST(test_longest_wait_and_recovery) {
    pace p;
    pace_init(&p, 10000, 10 * MS, 250 * MS, 0);
    /* 50,000 writes a flush against 10,000 a second: each would owe 5 s. */
    int64_t t = 0;
    for (int i = 0; i < 20; i++) {
        int64_t w = pace_wait_us(&p, t);
        ck_assert_int_le(w, 250 * MS);
        t += w;
        pace_spent(&p, t, 50000);
    }
    ck_assert_int_eq(pace_wait_us(&p, t), 250 * MS); /* never more than the longest wait */
    /* The load falls to 10 writes a flush: the debt is at most one longest
     * wait, so flushes go at once again within two of them. */
    t += 500 * MS;
    for (int i = 0; i < 100; i++, t += MS) {
        ck_assert_int_eq(pace_wait_us(&p, t), 0);
        pace_spent(&p, t, 10);
    }
}
END_TEST

START_TEST(test_no_budget_no_pacing) {
    pace p;
    pace_init(&p, 0, 10 * MS, 250 * MS, 0);
    pace_spent(&p, 0, 1000000);
    ck_assert_int_eq(pace_wait_us(&p, 0), 0);
}
END_TEST

START_TEST(test_clock_going_back_is_harmless) {
    pace p;
    pace_init(&p, 100000, 10 * MS, 250 * MS, 1000 * SEC);
    pace_spent(&p, 1000 * SEC, 5000);
    int64_t w = pace_wait_us(&p, 999 * SEC); /* an earlier time: no refill, still bounded */
    ck_assert_int_ge(w, 0);
    ck_assert_int_le(w, 250 * MS);
}
END_TEST

static Suite *pace_suite(void) {
    Suite *s = suite_create("pace");
    TCase *tc = tcase_create("budget");
    tcase_add_test(tc, test_within_budget_never_waits);
    tcase_add_test(tc, test_past_budget_waits_for_what_it_spent);
    tcase_add_test(tc, test_steady_state_holds_the_budget);
    tcase_add_test(tc, test_longest_wait_and_recovery);
    tcase_add_test(tc, test_no_budget_no_pacing);
    tcase_add_test(tc, test_clock_going_back_is_harmless);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(pace_suite)
