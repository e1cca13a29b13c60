/* test_csv.c -- the CSV dialect for office software (core/csv.h): byte order
 * mark, ";" between fields, CRLF, decimal commas in French, quoting, and the
 * guard against cells a spreadsheet would run as formulas. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "core/csv.h"

static const char *str(const sbuf *b) { return sbuf_data(b) ? sbuf_data(b) : ""; }

START_TEST(test_file_shape) {
    sbuf b;
    sbuf_init(&b, 0);
    csv c;
    csv_begin(&c, &b, ',');
    csv_text(&c, "Sondage");
    csv_text(&c, "Moyenne");
    csv_end_row(&c);
    csv_int(&c, 3);
    csv_decimal(&c, 3.75, 2);
    csv_end_row(&c);
    csv_blank_line(&c);
    csv_text(&c, "fin");
    csv_empty(&c);
    csv_end_row(&c);
    ck_assert_str_eq(str(&b), "\xEF\xBB\xBF" "Sondage;Moyenne\r\n3;3,75\r\n\r\nfin;\r\n");
    ck_assert(sbuf_ok(&b));
    sbuf_free(&b);
}
END_TEST

START_TEST(test_decimal_mark) {
    sbuf b;
    sbuf_init(&b, 0);
    csv c;
    csv_begin(&c, &b, '.');
    csv_decimal(&c, 0.66666, 4);
    csv_decimal(&c, 4.5, 2);
    csv_int(&c, -2);
    csv_end_row(&c);
    ck_assert_str_eq(str(&b), "\xEF\xBB\xBF" "0.6667;4.50;-2\r\n");
    sbuf_reset(&b);
    csv_begin(&c, &b, ',');
    csv_decimal(&c, 0.66666, 4);
    csv_end_row(&c);
    ck_assert_str_eq(str(&b), "\xEF\xBB\xBF" "0,6667\r\n"); /* a comma needs no quotes: it is not the separator */
    sbuf_free(&b);
}
END_TEST

START_TEST(test_quoting) {
    sbuf b;
    sbuf_init(&b, 0);
    csv c;
    csv_begin(&c, &b, ',');
    csv_text(&c, "Logement, « abordable »"); /* commas are plain text here */
    csv_text(&c, "a;b");
    csv_text(&c, "Mobilité \"douce\"");
    csv_text(&c, "deux\nlignes");
    csv_text(&c, " espace");
    csv_text(&c, "");
    csv_end_row(&c);
    ck_assert_str_eq(str(&b), "\xEF\xBB\xBF"
                              "Logement, « abordable »;\"a;b\";\"Mobilité \"\"douce\"\"\";\"deux\nlignes\";\" espace\";\r\n");
    sbuf_free(&b);
}
END_TEST

START_TEST(test_formula_guard) {
    sbuf b;
    sbuf_init(&b, 0);
    csv c;
    csv_begin(&c, &b, ',');
    csv_text(&c, "=Non");
    csv_text(&c, "+ d’emplois");
    csv_text(&c, "-1");
    csv_text(&c, "@SOMME(A1)");
    csv_text(&c, "\tx");
    csv_text(&c, "a=b");
    csv_end_row(&c);
    ck_assert_str_eq(str(&b), "\xEF\xBB\xBF" "\"'=Non\";\"'+ d’emplois\";\"'-1\";\"'@SOMME(A1)\";\"'\tx\";a=b\r\n");
    sbuf_free(&b);
}
END_TEST

/* ESC, BEL, BS and C1 in a cell are dropped; tabs and line breaks stay. */
START_TEST(test_control_bytes_dropped) {
    sbuf b;
    sbuf_init(&b, 0);
    csv c;
    csv_begin(&c, &b, ',');
    csv_text(&c, "a\x1b[2Jb\x07\x08" "c\xc2\x85" "d");
    csv_text(&c, "x\ty");
    csv_end_row(&c);
    ck_assert_str_eq(str(&b), "\xEF\xBB\xBF" "a[2Jbcd;x\ty\r\n");
    sbuf_free(&b);
}
END_TEST

static Suite *csv_suite(void) {
    Suite *s = suite_create("csv");
    TCase *tc = tcase_create("dialect");
    tcase_add_test(tc, test_file_shape);
    tcase_add_test(tc, test_decimal_mark);
    tcase_add_test(tc, test_quoting);
    tcase_add_test(tc, test_formula_guard);
    tcase_add_test(tc, test_control_bytes_dropped);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(csv_suite)
