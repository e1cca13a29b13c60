/* test_limiter.c -- token buckets by key (core/limiter.h): the burst, the
 * refill, Retry-After, one key's limit not touching another's, and a table
 * that refuses rather than grows. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "check_main.h"
#include "core/limiter.h"

#define SEC 1000000LL

START_TEST(test_burst_then_refill) {
    limiter l;
    ck_assert(limiter_init(&l, 64, 10, 10)); /* 10 a minute, burst 10: one every 6 s */
    int retry = 0;
    for (int i = 0; i < 10; i++) ck_assert_msg(limiter_take(&l, "203.0.113.7", 1000 * SEC, &retry), "request %d", i);
    ck_assert(!limiter_take(&l, "203.0.113.7", 1000 * SEC, &retry));
    ck_assert_int_eq(retry, 6);
    ck_assert(!limiter_take(&l, "203.0.113.7", 1003 * SEC, &retry)); /* half a token */
    ck_assert_int_eq(retry, 3);
    ck_assert(limiter_take(&l, "203.0.113.7", 1006 * SEC, &retry)); /* one token back */
    ck_assert(!limiter_take(&l, "203.0.113.7", 1006 * SEC, &retry));
    /* Another address has its own bucket. */
    ck_assert(limiter_take(&l, "2001:db8::1", 1006 * SEC, &retry));
    /* A minute later the burst is whole again, not more. */
    for (int i = 0; i < 10; i++) ck_assert(limiter_take(&l, "203.0.113.7", 1100 * SEC, &retry));
    ck_assert(!limiter_take(&l, "203.0.113.7", 1100 * SEC, &retry));
    limiter_free(&l);
}
END_TEST

START_TEST(test_full_table_refuses_newcomers) {
    limiter l;
    ck_assert(limiter_init(&l, 1, 10, 1)); /* one window of LIMITER_WINDOW slots */
    ck_assert_uint_eq(l.cap, LIMITER_WINDOW);
    int retry = 0;
    char key[32];
    for (int i = 0; i < LIMITER_WINDOW; i++) {
        snprintf(key, sizeof key, "10.0.0.%d", i);
        ck_assert(limiter_take(&l, key, 0, &retry)); /* each spends its only token: busy for 6 s */
    }
    ck_assert(!limiter_take(&l, "10.0.1.1", 0, &retry)); /* no room: refused, not stored */
    ck_assert_int_eq(retry, 6);
    ck_assert(limiter_take(&l, "10.0.1.1", 6 * SEC, &retry)); /* a bucket filled up again: its slot is free */
    limiter_free(&l);
}
END_TEST

START_TEST(test_long_and_empty_keys) {
    limiter l;
    ck_assert(limiter_init(&l, 16, 10, 1));
    int retry = 0;
    char longest[200];
    for (size_t i = 0; i < sizeof longest - 1; i++) longest[i] = 'a';
    longest[sizeof longest - 1] = '\0';
    ck_assert(limiter_take(&l, longest, 0, &retry));
    ck_assert(!limiter_take(&l, longest, 0, &retry)); /* cut to the same key */
    ck_assert(limiter_take(&l, "", 0, &retry));
    ck_assert(!limiter_take(&l, "", 0, &retry));
    limiter_free(&l);
}
END_TEST

static Suite *limiter_suite(void) {
    Suite *s = suite_create("limiter");
    TCase *tc = tcase_create("buckets");
    tcase_add_test(tc, test_burst_then_refill);
    tcase_add_test(tc, test_full_table_refuses_newcomers);
    tcase_add_test(tc, test_long_and_empty_keys);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(limiter_suite)
