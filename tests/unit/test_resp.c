/* test_resp.c -- Redis commands written as RESP for the op path: the bytes
 * must be exactly what hiredis' own formatter writes (an array of bulk
 * strings), since they go to Redis as they are. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "core/resp.h"

START_TEST(test_command_bytes) {
    sbuf b;
    sbuf_init(&b, 0);
    resp_begin(&b, 4);
    resp_argz(&b, "FCALL");
    resp_arg(&b, "a\0\r\nb", 5); /* binary-safe: NUL and CRLF inside */
    resp_arg(&b, "", 0);
    resp_arg_i64(&b, -42);
    ck_assert(sbuf_ok(&b));
    static const char want[] = "*4\r\n$5\r\nFCALL\r\n$5\r\na\0\r\nb\r\n$0\r\n\r\n$3\r\n-42\r\n";
    ck_assert_uint_eq(b.len, sizeof want - 1);
    ck_assert_mem_eq(sbuf_data(&b), want, sizeof want - 1);
    sbuf_free(&b);
}
END_TEST

START_TEST(test_numbers_and_long_arguments) {
    sbuf b;
    sbuf_init(&b, 0);
    resp_begin(&b, 12345);
    resp_arg_i64(&b, 0);
    resp_arg_i64(&b, INT64_MIN);
    size_t n = 100000;
    char *big = malloc(n);
    ck_assert_ptr_nonnull(big);
    memset(big, 'x', n);
    resp_arg(&b, big, n);
    ck_assert(sbuf_ok(&b));
    const char *d = sbuf_data(&b);
    static const char head[] = "*12345\r\n$1\r\n0\r\n$20\r\n-9223372036854775808\r\n$100000\r\n";
    ck_assert_mem_eq(d, head, sizeof head - 1);
    ck_assert_uint_eq(b.len, sizeof head - 1 + n + 2);
    ck_assert_mem_eq(d + sizeof head - 1 + n, "\r\n", 2);
    free(big);
    sbuf_free(&b);
}
END_TEST

static Suite *resp_suite(void) {
    Suite *s = suite_create("resp");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_command_bytes);
    tcase_add_test(tc, test_numbers_and_long_arguments);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(resp_suite)
