/* test_redis_url.c -- the --redis setting (core/redis_url.h): host, port,
 * database, a user and a password percent-decoded, IPv6 in brackets, and
 * what may be logged (never the password). */
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "core/redis_url.h"

static redis_url parsed(const char *text) {
    redis_url u;
    const char *why = NULL;
    ck_assert_msg(redis_url_parse(text, &u, &why), "%s: %s", text, why ? why : "?");
    return u;
}

/* Each of these URLs is refused, with a reason. */
static void assert_all_refused(const char *const *bad, size_t n) {
    for (size_t i = 0; i < n; i++) {
        redis_url u;
        const char *why = NULL;
        ck_assert_msg(!redis_url_parse(bad[i], &u, &why), "%s accepted", bad[i]);
        ck_assert_ptr_nonnull(why);
    }
}

START_TEST(test_plain) {
    redis_url u = parsed("redis://127.0.0.1:6379");
    ck_assert_str_eq(u.host, "127.0.0.1");
    ck_assert_int_eq(u.port, 6379);
    ck_assert(!u.has_password);
    ck_assert_int_eq(u.db, 0);
    u = parsed("localhost");
    ck_assert_str_eq(u.host, "localhost");
    ck_assert_int_eq(u.port, 6379);
    u = parsed("redis://[::1]:7000/3");
    ck_assert_str_eq(u.host, "::1");
    ck_assert_int_eq(u.port, 7000);
    ck_assert_int_eq(u.db, 3);
}
END_TEST

START_TEST(test_credentials) {
    redis_url u = parsed("redis://:s3cret@redis.example:6380/2");
    ck_assert(u.has_password);
    ck_assert_str_eq(u.user, "");
    ck_assert_str_eq(u.password, "s3cret");
    ck_assert_str_eq(u.host, "redis.example");
    ck_assert_int_eq(u.port, 6380);
    ck_assert_int_eq(u.db, 2);
    u = parsed("redis://atelier:p%40ss%3Aw%2Fd@h:1");
    ck_assert_str_eq(u.user, "atelier");
    ck_assert_str_eq(u.password, "p@ss:w/d");
    u = parsed("redis://only-password@h");
    ck_assert_str_eq(u.user, "");
    ck_assert_str_eq(u.password, "only-password");
    u = parsed("redis://a:b@c@h:2"); /* the last '@' ends the password */
    ck_assert_str_eq(u.password, "b@c");
    ck_assert_str_eq(u.host, "h");
}
END_TEST

START_TEST(test_refused) {
    static const char *const bad[] = {
        "http://h:1", "redis://", "redis://h:0", "redis://h:65536", "redis://h:x", "redis://h:1/x",
        "redis://@h", "redis://:@h", "redis://u:p%zz@h", "redis://u:p%00@h", "redis://u:p%4@h", "redis://[::1",
        "redis://[::1]x", "redis://h:1/9999999999",
    };
    assert_all_refused(bad, sizeof bad / sizeof *bad);
}
END_TEST

START_TEST(test_where_hides_the_password) {
    char w[REDIS_URL_WHERE_MAX];
    redis_url u = parsed("redis://atelier:hunter2@db:6390/1");
    redis_url_where(&u, w, sizeof w);
    ck_assert_str_eq(w, "db:6390/1 (user atelier)");
    u = parsed("redis://:hunter2@[::1]:6390");
    redis_url_where(&u, w, sizeof w);
    ck_assert_str_eq(w, "[::1]:6390/0 (password)");
    ck_assert(redis_url_set_password(&u, "from-a-file"));
    ck_assert_str_eq(u.password, "from-a-file");
    ck_assert(strstr(w, "hunter2") == NULL);
}
END_TEST

START_TEST(test_sentinel) {
    redis_url u = parsed("sentinel://127.0.0.1:26379,[::1]:26380,s3/atelier-main");
    ck_assert_int_eq(u.nsentinels, 3);
    ck_assert_str_eq(u.sentinels[0].host, "127.0.0.1");
    ck_assert_int_eq(u.sentinels[0].port, 26379);
    ck_assert_str_eq(u.sentinels[1].host, "::1");
    ck_assert_int_eq(u.sentinels[1].port, 26380);
    ck_assert_str_eq(u.sentinels[2].host, "s3");
    ck_assert_int_eq(u.sentinels[2].port, REDIS_URL_SENTINEL_PORT);
    ck_assert_str_eq(u.name, "atelier-main");
    ck_assert_int_eq(u.db, 0);
    ck_assert(!u.has_password && !u.sentinel_has_password);
    /* The userinfo is the primary's; the query's are the Sentinels'. */
    u = parsed("sentinel://atelier:pr%40m@h:1/m.1/4?sentinel_user=watch&sentinel_password=s%26p");
    ck_assert_int_eq(u.nsentinels, 1);
    ck_assert_str_eq(u.user, "atelier");
    ck_assert_str_eq(u.password, "pr@m");
    ck_assert_int_eq(u.db, 4);
    ck_assert_str_eq(u.name, "m.1");
    ck_assert_str_eq(u.sentinel_user, "watch");
    ck_assert_str_eq(u.sentinel_password, "s&p");
    ck_assert(u.sentinel_has_password);
    redis_url one;
    redis_url_sentinel(&u, 0, &one);
    ck_assert_str_eq(one.host, "h");
    ck_assert_int_eq(one.port, 1);
    ck_assert_str_eq(one.user, "watch");
    ck_assert_str_eq(one.password, "s&p");
    ck_assert(one.has_password && one.nsentinels == 0 && one.db == 0);
    redis_url_forget(&u);
    ck_assert_str_eq(u.password, "");
    ck_assert_str_eq(u.sentinel_password, "");
}
END_TEST

START_TEST(test_sentinel_refused) {
    static const char *const bad[] = {
        "sentinel://h:1", "sentinel://h:1/", "sentinel:///m", "sentinel://h:1,/m", "sentinel://h:0/m",
        "sentinel://h:1/m y", "sentinel://h:1/m/x", "sentinel://h:1/m?password=x", "sentinel://h:1/m?sentinel_user=u",
        "sentinel://h:1/m?sentinel_password=%zz", "sentinel://a,b,c,d,e,f,g,h,i/m",
        "sentinel://h:1/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    };
    assert_all_refused(bad, sizeof bad / sizeof *bad);
}
END_TEST

START_TEST(test_sentinel_where) {
    char w[REDIS_URL_WHERE_MAX];
    redis_url u = parsed("sentinel://:hunter2@a:1,[::1]:2/prod/1?sentinel_password=other");
    redis_url_where(&u, w, sizeof w);
    ck_assert_str_eq(w, "sentinel a:1,[::1]:2/prod/1 (password)");
    ck_assert(strstr(w, "hunter2") == NULL && strstr(w, "other") == NULL);
    char small[12];
    redis_url_where(&u, small, sizeof small); /* cut, never overrun */
    ck_assert_str_eq(small, "sentinel a:");
}
END_TEST

static Suite *redis_url_suite(void) {
    Suite *s = suite_create("redis_url");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_plain);
    tcase_add_test(tc, test_credentials);
    tcase_add_test(tc, test_refused);
    tcase_add_test(tc, test_where_hides_the_password);
    tcase_add_test(tc, test_sentinel);
    tcase_add_test(tc, test_sentinel_refused);
    tcase_add_test(tc, test_sentinel_where);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(redis_url_suite)
