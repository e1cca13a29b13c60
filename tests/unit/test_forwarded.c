/* test_forwarded.c -- the client's address behind a trusted proxy
 * (core/forwarded.h): the --trust-proxy list, which X-Forwarded-For entry is
 * read, and that nothing a client writes is read unless a trusted proxy
 * vouches for the entries after it. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "core/forwarded.h"

static forwarded_proxies proxies(const char *list) {
    forwarded_proxies p;
    const char *bad = NULL;
    ck_assert_msg(forwarded_parse_proxies(list, &p, &bad), "list %s refused at %s", list, bad ? bad : "?");
    return p;
}

/* The address forwarded_client gives for peer and xff. */
static const char *client(const forwarded_proxies *p, const char *peer, const char *xff) {
    static char buf[FORWARDED_ADDR_MAX];
    ck_assert(forwarded_client(p, peer, xff, buf, sizeof buf));
    return buf;
}

START_TEST(test_parse) {
    forwarded_proxies p = proxies("127.0.0.1, ::1 10.0.0.0/8,\t2001:db8::/32");
    ck_assert_uint_eq(p.n, 4);
    ck_assert(forwarded_trusted(&p, "127.0.0.1"));
    ck_assert(!forwarded_trusted(&p, "127.0.0.2"));
    ck_assert(forwarded_trusted(&p, "::ffff:127.0.0.1")); /* IPv4-mapped: the same address */
    ck_assert(forwarded_trusted(&p, "::1"));
    ck_assert(forwarded_trusted(&p, "10.255.1.2"));
    ck_assert(!forwarded_trusted(&p, "11.0.0.1"));
    ck_assert(forwarded_trusted(&p, "2001:db8:ffff::7"));
    ck_assert(!forwarded_trusted(&p, "2001:db9::7"));
    ck_assert(!forwarded_trusted(&p, "not an address"));
    ck_assert(!forwarded_trusted(&p, ""));

    forwarded_proxies host_bits = proxies("192.168.1.77/24"); /* a range given by one of its addresses */
    ck_assert(forwarded_trusted(&host_bits, "192.168.1.3"));
    ck_assert(!forwarded_trusted(&host_bits, "192.168.2.3"));
    forwarded_proxies odd = proxies("172.16.0.0/12");
    ck_assert(forwarded_trusted(&odd, "172.31.255.255"));
    ck_assert(!forwarded_trusted(&odd, "172.32.0.1"));

    forwarded_proxies none = proxies("");
    ck_assert_uint_eq(none.n, 0);
    ck_assert(!forwarded_trusted(&none, "127.0.0.1"));
    ck_assert_uint_eq(proxies(" , ").n, 0);
}
END_TEST

START_TEST(test_parse_refuses) {
    static const char *const bad[] = {
        "localhost", "127.0.0.1/33", "::1/129", "10.0.0.0/", "10.0.0.0/x", "10.0.0.0/8/8", "1.2.3.4:80",
        "[::1]", "127.0.0.1,nope", "10.0.0.0/-1", "10.0.0.0/0008",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        forwarded_proxies p;
        const char *at = NULL;
        ck_assert_msg(!forwarded_parse_proxies(bad[i], &p, &at), "%s accepted", bad[i]);
        ck_assert_uint_eq(p.n, 0);
        ck_assert_ptr_nonnull(at);
    }
    char many[1024] = "";
    for (int i = 0; i <= FORWARDED_PROXIES_MAX; i++) {
        char one[32];
        snprintf(one, sizeof one, "10.0.0.%d,", i);
        strcat(many, one);
    }
    forwarded_proxies p;
    const char *at = NULL;
    ck_assert(!forwarded_parse_proxies(many, &p, &at));
    ck_assert_str_eq(at, "10.0.0.16,");
}
END_TEST

START_TEST(test_untrusted_peer_is_the_client) {
    forwarded_proxies p = proxies("127.0.0.1");
    ck_assert_str_eq(client(&p, "203.0.113.9", "198.51.100.1"), "203.0.113.9");
    ck_assert_str_eq(client(&p, "203.0.113.9", NULL), "203.0.113.9");
    forwarded_proxies none = proxies("");
    ck_assert_str_eq(client(&none, "127.0.0.1", "198.51.100.1"), "127.0.0.1");
    ck_assert_str_eq(client(&none, "::ffff:127.0.0.1", NULL), "127.0.0.1"); /* canonical */
}
END_TEST

START_TEST(test_last_hop_of_a_trusted_peer) {
    forwarded_proxies p = proxies("127.0.0.1,10.0.0.0/8");
    ck_assert_str_eq(client(&p, "127.0.0.1", "198.51.100.1"), "198.51.100.1");
    /* What the client wrote itself comes first: never read. */
    ck_assert_str_eq(client(&p, "127.0.0.1", "1.1.1.1, 198.51.100.1"), "198.51.100.1");
    ck_assert_str_eq(client(&p, "127.0.0.1", "1.1.1.1,198.51.100.1  "), "198.51.100.1");
    /* A chain of trusted proxies: each vouches for the entry before its own. */
    ck_assert_str_eq(client(&p, "127.0.0.1", "1.1.1.1, 198.51.100.1, 10.1.2.3"), "198.51.100.1");
    /* Only trusted proxies in the header: the first of them is as far as it goes. */
    ck_assert_str_eq(client(&p, "127.0.0.1", "10.1.2.3"), "10.1.2.3");
    /* IPv6, spelled any way, comes out in one form. */
    ck_assert_str_eq(client(&p, "127.0.0.1", "2001:DB8:0:0::1"), "2001:db8::1");
    ck_assert_str_eq(client(&p, "::ffff:127.0.0.1", "::ffff:198.51.100.1"), "198.51.100.1");
}
END_TEST

START_TEST(test_junk_keeps_the_proxy) {
    forwarded_proxies p = proxies("127.0.0.1");
    static const char *const junk[] = {
        "", " ", ",", "unknown", "198.51.100.1:4000", "[2001:db8::1]", "198.51.100.1,", "198.51.100.1, junk",
        "198.51.100.1 198.51.100.2", "999.1.1.1",
    };
    for (size_t i = 0; i < sizeof junk / sizeof *junk; i++)
        ck_assert_msg(strcmp(client(&p, "127.0.0.1", junk[i]), "127.0.0.1") == 0, "%s read as %s", junk[i],
                      client(&p, "127.0.0.1", junk[i]));
    ck_assert_str_eq(client(&p, "127.0.0.1", NULL), "127.0.0.1");
    /* A long header: only its end is read. */
    char longer[4096];
    memset(longer, 'x', sizeof longer);
    strcpy(longer + sizeof longer - 16, ",198.51.100.7");
    ck_assert_str_eq(client(&p, "127.0.0.1", longer), "198.51.100.7");
}
END_TEST

START_TEST(test_small_buffer_and_bad_peer) {
    forwarded_proxies p = proxies("127.0.0.1");
    char small[8];
    ck_assert(!forwarded_client(&p, "127.0.0.1", "198.51.100.1", small, sizeof small));
    char buf[FORWARDED_ADDR_MAX];
    ck_assert(!forwarded_client(&p, "?", "198.51.100.1", buf, sizeof buf));
    ck_assert_str_eq(buf, "?");
}
END_TEST

static Suite *forwarded_suite(void) {
    Suite *s = suite_create("forwarded");
    TCase *tc = tcase_create("forwarded");
    tcase_add_test(tc, test_parse);
    tcase_add_test(tc, test_parse_refuses);
    tcase_add_test(tc, test_untrusted_peer_is_the_client);
    tcase_add_test(tc, test_last_hop_of_a_trusted_peer);
    tcase_add_test(tc, test_junk_keeps_the_proxy);
    tcase_add_test(tc, test_small_buffer_and_bad_peer);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(forwarded_suite)
