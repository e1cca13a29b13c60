/* test_when.c -- times in a workshop's time zone (core/when.h): the wall
 * clock from an offset the shell gives, both written forms, the zone named,
 * and which zone names the API takes. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "core/when.h"

static const char *str(const sbuf *b) { return sbuf_data(b) ? sbuf_data(b) : ""; }

/* Paris around the switch to summer time on 29 March 2026 at 01:00 UTC:
 * +1 h before, +2 h from then on (what the hub reads from the tz file). */
#define PARIS_SUMMER_2026 1774746000000LL
static int32_t paris(void *ctx, int64_t ms) {
    (void)ctx;
    return ms < PARIS_SUMMER_2026 ? 3600 : 7200;
}

#define NOV28 1795824000000LL /* 2026-11-28 00:00 UTC */

/* Kathmandu: +5:45, minutes matter. */
static int32_t kathmandu(void *ctx, int64_t ms) {
    (void)ctx;
    (void)ms;
    return 5 * 3600 + 45 * 60;
}

START_TEST(test_utc_and_forms) {
    sbuf b;
    sbuf_init(&b, 0);
    when_zone utc = {WHEN_UTC, NULL, NULL};
    when_write(&b, &utc, NOV28, true); /* 2026-11-28 00:00 UTC */
    ck_assert_str_eq(str(&b), "28/11/2026 00:00");
    sbuf_reset(&b);
    when_write(&b, &utc, NOV28 + 14 * 3600000 + 5 * 60000 + 59999, false); /* seconds are cut, not rounded */
    ck_assert_str_eq(str(&b), "2026-11-28 14:05");
    sbuf_reset(&b);
    when_write_named(&b, NULL, 0, false); /* no zone: UTC, named */
    ck_assert_str_eq(str(&b), "1970-01-01 00:00 (UTC)");
    sbuf_free(&b);
}
END_TEST

START_TEST(test_offsets) {
    sbuf b;
    sbuf_init(&b, 0);
    when_zone z = {"Europe/Paris", paris, NULL};
    when_write_named(&b, &z, PARIS_SUMMER_2026 - 1, true); /* 00:59:59 UTC: 01:59 in winter time */
    ck_assert_str_eq(str(&b), "29/03/2026 01:59 (Europe/Paris)");
    sbuf_reset(&b);
    when_write_named(&b, &z, PARIS_SUMMER_2026, true); /* the clock jumps to 03:00 */
    ck_assert_str_eq(str(&b), "29/03/2026 03:00 (Europe/Paris)");
    sbuf_reset(&b);
    when_write_named(&b, &z, 1782864000000LL - 1800000, false); /* 23:30 UTC on 30 June is 1 July in Paris */
    ck_assert_str_eq(str(&b), "2026-07-01 01:30 (Europe/Paris)");
    sbuf_reset(&b);
    when_zone k = {"Asia/Kathmandu", kathmandu, NULL};
    when_write_named(&b, &k, NOV28, false);
    ck_assert_str_eq(str(&b), "2026-11-28 05:45 (Asia/Kathmandu)");
    when_local l = when_at(&k, NOV28);
    ck_assert_int_eq(l.year, 2026);
    ck_assert_int_eq(l.month, 11);
    ck_assert_int_eq(l.day, 28);
    ck_assert_int_eq(l.hour, 5);
    ck_assert_int_eq(l.minute, 45);
    sbuf_free(&b);
}
END_TEST

START_TEST(test_zone_names) {
    const char *good[] = {"UTC", "Europe/Paris", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "Etc/GMT-14",
                          "America/Port-au-Prince", "EST5EDT", "right/Europe/Paris"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) ck_assert_msg(when_valid_zone_name(good[i]), "%s", good[i]);
    char longest[WHEN_ZONE_MAX + 2];
    memset(longest, 'a', WHEN_ZONE_MAX);
    longest[WHEN_ZONE_MAX] = '\0';
    ck_assert(when_valid_zone_name(longest));
    longest[WHEN_ZONE_MAX] = 'a';
    longest[WHEN_ZONE_MAX + 1] = '\0';
    const char *bad[] = {"", NULL, longest, "../etc/passwd", "Europe/../../etc", "/etc/localtime", "Europe//Paris",
                         "Europe/", "Europe/Paris ", "Europe\\Paris", "-x", ".", "Europe/Paris\n", "Zoné"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) ck_assert_msg(!when_valid_zone_name(bad[i]), "%s", bad[i] ? bad[i] : "NULL");
}
END_TEST

static Suite *when_suite(void) {
    Suite *s = suite_create("when");
    TCase *tc = tcase_create("zone");
    tcase_add_test(tc, test_utc_and_forms);
    tcase_add_test(tc, test_offsets);
    tcase_add_test(tc, test_zone_names);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(when_suite)
