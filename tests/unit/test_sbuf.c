/* test_sbuf.c -- the growable buffer every server reply is built in.
 *
 * Replies are framed in place by libwebsockets, so besides the contents we
 * check that the reserved head stays in front of the data, and that the OOM
 * flag (which makes the hub drop a reply) never trips in normal use. */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "core/sbuf.h"

/* The data as a C string, "" for a buffer nothing was written to. */
static const char *str(const sbuf *b) { return sbuf_data(b) ? sbuf_data(b) : ""; }

static char *jstr(const char *s, size_t n) {
    sbuf b;
    sbuf_init(&b, 0);
    sbuf_put_jstr(&b, s, n);
    ck_assert(sbuf_ok(&b));
    char *out = strdup(str(&b));
    sbuf_free(&b);
    return out;
}

START_TEST(test_empty_buffer_has_no_data) {
    sbuf b;
    sbuf_init(&b, 0);
    ck_assert_ptr_null(sbuf_data(&b));
    ck_assert_uint_eq(b.len, 0);
    ck_assert(sbuf_ok(&b));
    sbuf_free(&b);
}
END_TEST

START_TEST(test_puts_putc_put_concatenate) {
    sbuf b;
    sbuf_init(&b, 0);
    sbuf_puts(&b, "Quoi");
    sbuf_putc(&b, ' ');
    sbuf_put(&b, "?!xyz", 2);
    sbuf_put(&b, "ignored", 0);
    ck_assert_str_eq(sbuf_data(&b), "Quoi ?!");
    ck_assert_uint_eq(b.len, 7);
    ck_assert(sbuf_ok(&b));
    sbuf_free(&b);
}
END_TEST

START_TEST(test_put_keeps_embedded_nul) {
    sbuf b;
    sbuf_init(&b, 0);
    sbuf_put(&b, "a\0b", 3);
    ck_assert_uint_eq(b.len, 3);
    ck_assert_mem_eq(sbuf_data(&b), "a\0b", 4); /* and a terminating NUL after */
    sbuf_free(&b);
}
END_TEST

START_TEST(test_growth_keeps_every_byte) {
    sbuf b;
    sbuf_init(&b, 0);
    enum { N = 100000 };
    for (size_t i = 0; i < N; i++) sbuf_putc(&b, (char)('a' + i % 26));
    ck_assert(sbuf_ok(&b));
    ck_assert_uint_eq(b.len, N);
    ck_assert_uint_ge(b.cap, N + 1);
    for (size_t i = 0; i < N; i++) ck_assert_int_eq(sbuf_data(&b)[i], 'a' + i % 26);
    ck_assert_int_eq(sbuf_data(&b)[N], '\0');
    sbuf_free(&b);
}
END_TEST

START_TEST(test_one_large_put) {
    sbuf b;
    sbuf_init(&b, 0);
    size_t n = 1 << 20;
    char *big = malloc(n);
    memset(big, 'x', n);
    sbuf_puts(&b, "<");
    sbuf_put(&b, big, n);
    sbuf_puts(&b, ">");
    ck_assert(sbuf_ok(&b));
    ck_assert_uint_eq(b.len, n + 2);
    ck_assert_int_eq(sbuf_data(&b)[0], '<');
    ck_assert_int_eq(sbuf_data(&b)[n + 1], '>');
    ck_assert_mem_eq(sbuf_data(&b) + 1, big, n);
    free(big);
    sbuf_free(&b);
}
END_TEST

START_TEST(test_extend_returns_writable_room) {
    sbuf b;
    sbuf_init(&b, 0);
    sbuf_puts(&b, "ab");
    char *p = sbuf_extend(&b, 3);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_eq(p, sbuf_data(&b) + 2);
    memcpy(p, "cde", 3);
    ck_assert_uint_eq(b.len, 5);
    ck_assert_str_eq(sbuf_data(&b), "abcde");
    sbuf_free(&b);
}
END_TEST

START_TEST(test_printf_short_and_long) {
    sbuf b;
    sbuf_init(&b, 0);
    sbuf_printf(&b, "%s=%d;", "rev", 42);
    ck_assert_str_eq(sbuf_data(&b), "rev=42;");
    /* Longer than the 256-byte scratch: formatted a second time in place. */
    char big[1001];
    memset(big, 'y', 1000);
    big[1000] = '\0';
    sbuf_printf(&b, "[%s]", big);
    ck_assert(sbuf_ok(&b));
    ck_assert_uint_eq(b.len, 7 + 1002);
    ck_assert_int_eq(sbuf_data(&b)[7], '[');
    ck_assert_int_eq(sbuf_data(&b)[7 + 1001], ']');
    ck_assert_int_eq(sbuf_data(&b)[7 + 1002], '\0');
    sbuf_free(&b);
}
END_TEST

/* 255 characters fit the scratch with its NUL, 256 do not: both paths. */
START_TEST(test_printf_scratch_boundary) {
    for (int n = 250; n <= 260; n++) {
        sbuf b;
        sbuf_init(&b, 0);
        sbuf_printf(&b, "%*d", n, 7);
        ck_assert(sbuf_ok(&b));
        ck_assert_uint_eq(b.len, (size_t)n);
        ck_assert_int_eq(sbuf_data(&b)[n - 1], '7');
        ck_assert_int_eq(sbuf_data(&b)[n - 2], ' ');
        ck_assert_int_eq(sbuf_data(&b)[n], '\0');
        sbuf_free(&b);
    }
}
END_TEST

START_TEST(test_printf_empty_output) {
    sbuf b;
    sbuf_init(&b, 0);
    sbuf_puts(&b, "x");
    sbuf_printf(&b, "%s", "");
    ck_assert_str_eq(sbuf_data(&b), "x");
    ck_assert(sbuf_ok(&b));
    sbuf_free(&b);
}
END_TEST

START_TEST(test_i64_edges) {
    static const struct {
        int64_t v;
        const char *s;
    } cases[] = {
        {0, "0"},
        {-1, "-1"},
        {9007199254740991LL, "9007199254740991"},
        {INT64_MAX, "9223372036854775807"},
        {INT64_MIN, "-9223372036854775808"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        sbuf b;
        sbuf_init(&b, 0);
        sbuf_put_i64(&b, cases[i].v);
        ck_assert_str_eq(sbuf_data(&b), cases[i].s);
        sbuf_free(&b);
    }
}
END_TEST

/* Against printf, on every length of number and both signs. */
START_TEST(test_i64_matches_printf) {
    uint64_t x = 1;
    for (int i = 0; i < 2000; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int64_t v = (int64_t)(x >> (i % 64)); /* every magnitude */
        if (i % 3 == 0) v = -v;
        if (i < 200) v = i - 100;
        char want[32], got[SBUF_I64_MAX + 1];
        snprintf(want, sizeof want, "%lld", (long long)v);
        size_t n = sbuf_i64_text(got, v);
        got[n] = '\0';
        ck_assert_str_eq(got, want);
    }
}
END_TEST

/* Every ASCII byte: exactly the JSON escapes the encoders promise (short
 * forms for the common ones, \u00XX for other controls, nothing else). */
START_TEST(test_jstr_ascii_table) {
    for (int c = 0; c < 0x80; c++) {
        char in = (char)c;
        char *out = jstr(&in, 1);
        char want[16];
        switch (c) {
        case '"': strcpy(want, "\"\\\"\""); break;
        case '\\': strcpy(want, "\"\\\\\""); break;
        case '\n': strcpy(want, "\"\\n\""); break;
        case '\r': strcpy(want, "\"\\r\""); break;
        case '\t': strcpy(want, "\"\\t\""); break;
        default:
            if (c < 0x20) snprintf(want, sizeof want, "\"\\u%04x\"", c);
            else snprintf(want, sizeof want, "\"%c\"", c);
        }
        ck_assert_msg(strcmp(out, want) == 0, "byte 0x%02x: got %s, want %s", c, out, want);
        free(out);
    }
}
END_TEST

START_TEST(test_jstr_empty_and_mixed) {
    char *out = jstr("", 0);
    ck_assert_str_eq(out, "\"\"");
    free(out);
    out = jstr("a\"b\\c\nd\x01" "e\x1f", 10);
    ck_assert_str_eq(out, "\"a\\\"b\\\\c\\nd\\u0001e\\u001f\"");
    free(out);
    /* Escapes back to back, at both ends. */
    out = jstr("\"\"\\", 3);
    ck_assert_str_eq(out, "\"\\\"\\\"\\\\\"");
    free(out);
}
END_TEST

START_TEST(test_jstr_nul_inside_is_escaped) {
    char *out = jstr("a\0b", 3);
    ck_assert_str_eq(out, "\"a\\u0000b\"");
    free(out);
}
END_TEST

/* Multi-byte UTF-8 and DEL are valid inside JSON strings: copied as is. */
START_TEST(test_jstr_utf8_passes_raw) {
    const char *s = "Zoé à Noël 😀 𝄞 \x7f \xe2\x80\xa8";
    char *out = jstr(s, strlen(s));
    ck_assert_uint_eq(strlen(out), strlen(s) + 2);
    ck_assert_mem_eq(out + 1, s, strlen(s));
    free(out);
}
END_TEST

START_TEST(test_jstr_parses_back) {
    const char *s = "« Quoi ? » \"cité\" \\ tab\tfin\r\n\b\f\x01 😀";
    char *out = jstr(s, strlen(s));
    cJSON *v = cJSON_Parse(out);
    ck_assert_ptr_nonnull(v);
    ck_assert(cJSON_IsString(v));
    ck_assert_str_eq(v->valuestring, s);
    cJSON_Delete(v);
    free(out);
}
END_TEST

START_TEST(test_jstrz_uses_strlen) {
    sbuf b;
    sbuf_init(&b, 0);
    sbuf_put_jstrz(&b, "p_\"x\"");
    ck_assert_str_eq(sbuf_data(&b), "\"p_\\\"x\\\"\"");
    sbuf_free(&b);
}
END_TEST

START_TEST(test_head_room_reserved) {
    enum { HEAD = 16 };
    sbuf b;
    sbuf_init(&b, HEAD);
    sbuf_puts(&b, "{\"type\":\"pong\"}");
    ck_assert_ptr_eq(sbuf_data(&b), b.buf + HEAD);
    ck_assert_str_eq(sbuf_data(&b), "{\"type\":\"pong\"}");
    ck_assert_uint_eq(b.len, 15);
    ck_assert_uint_ge(b.cap, HEAD + b.len + 1);
    /* A framing layer writes its header there: the data must not move or change. */
    memset(b.buf, 0xAA, HEAD);
    ck_assert_str_eq(sbuf_data(&b), "{\"type\":\"pong\"}");
    sbuf_free(&b);
}
END_TEST

START_TEST(test_head_room_survives_growth_reset_free) {
    enum { HEAD = 10 };
    sbuf b;
    sbuf_init(&b, HEAD);
    for (int i = 0; i < 5000; i++) sbuf_putc(&b, 'z');
    ck_assert_ptr_eq(sbuf_data(&b), b.buf + HEAD);
    ck_assert_uint_ge(b.cap, HEAD + 5001);
    sbuf_reset(&b);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_str_eq(sbuf_data(&b), "");
    sbuf_puts(&b, "again");
    ck_assert_ptr_eq(sbuf_data(&b), b.buf + HEAD);
    ck_assert_str_eq(sbuf_data(&b), "again");
    sbuf_free(&b);
    ck_assert_uint_eq(b.head, HEAD);
    ck_assert_ptr_null(b.buf);
    sbuf_puts(&b, "after free");
    ck_assert_ptr_eq(sbuf_data(&b), b.buf + HEAD);
    ck_assert_str_eq(sbuf_data(&b), "after free");
    sbuf_free(&b);
}
END_TEST

START_TEST(test_reset_reuses_allocation) {
    sbuf b;
    sbuf_init(&b, 0);
    sbuf_puts(&b, "first message");
    char *before = b.buf;
    size_t cap = b.cap;
    sbuf_reset(&b);
    sbuf_puts(&b, "second");
    ck_assert_ptr_eq(b.buf, before);
    ck_assert_uint_eq(b.cap, cap);
    ck_assert_str_eq(sbuf_data(&b), "second");
    sbuf_free(&b);
}
END_TEST

START_TEST(test_reset_on_empty_buffer) {
    sbuf b;
    sbuf_init(&b, 8);
    sbuf_reset(&b);
    ck_assert_ptr_null(b.buf);
    ck_assert_uint_eq(b.len, 0);
    sbuf_free(&b);
}
END_TEST

START_TEST(test_oom_flag_clear_in_normal_use) {
    sbuf b;
    sbuf_init(&b, 4);
    sbuf_puts(&b, "a");
    sbuf_putc(&b, 'b');
    sbuf_printf(&b, "%d", 3);
    sbuf_put_i64(&b, INT64_MIN);
    sbuf_put_jstrz(&b, "é\n");
    ck_assert_ptr_nonnull(sbuf_extend(&b, 10000));
    ck_assert(!b.oom);
    ck_assert(sbuf_ok(&b));
    sbuf_reset(&b);
    ck_assert(sbuf_ok(&b));
    sbuf_free(&b);
}
END_TEST

static Suite *sbuf_suite(void) {
    Suite *s = suite_create("sbuf");
    TCase *tc = tcase_create("sbuf");
    tcase_add_test(tc, test_empty_buffer_has_no_data);
    tcase_add_test(tc, test_puts_putc_put_concatenate);
    tcase_add_test(tc, test_put_keeps_embedded_nul);
    tcase_add_test(tc, test_growth_keeps_every_byte);
    tcase_add_test(tc, test_one_large_put);
    tcase_add_test(tc, test_extend_returns_writable_room);
    tcase_add_test(tc, test_printf_short_and_long);
    tcase_add_test(tc, test_printf_scratch_boundary);
    tcase_add_test(tc, test_printf_empty_output);
    tcase_add_test(tc, test_i64_edges);
    tcase_add_test(tc, test_i64_matches_printf);
    tcase_add_test(tc, test_jstr_ascii_table);
    tcase_add_test(tc, test_jstr_empty_and_mixed);
    tcase_add_test(tc, test_jstr_nul_inside_is_escaped);
    tcase_add_test(tc, test_jstr_utf8_passes_raw);
    tcase_add_test(tc, test_jstr_parses_back);
    tcase_add_test(tc, test_jstrz_uses_strlen);
    tcase_add_test(tc, test_head_room_reserved);
    tcase_add_test(tc, test_head_room_survives_growth_reset_free);
    tcase_add_test(tc, test_reset_reuses_allocation);
    tcase_add_test(tc, test_reset_on_empty_buffer);
    tcase_add_test(tc, test_oom_flag_clear_in_normal_use);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(sbuf_suite)
