/* test_presence.c -- a big workshop's counts (core/presence.h): one line per
 * organisation however it is written, observers apart, the first people of
 * each kept for welcomes, the JSON clients get; name prefixes and
 * organisations compared as labels are. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "core/presence.h"
#include "core/sbuf.h"
#include "core/utf8.h"

START_TEST(test_counts_by_organisation) {
    presence_counts c;
    presence_counts_init(&c);
    ck_assert(presence_counts_add(&c, 0, "Banque", false));
    ck_assert(presence_counts_add(&c, 1, "  BANQUE ", false)); /* the same organisation */
    ck_assert(presence_counts_add(&c, 2, "Ville de Lyon", false));
    ck_assert(presence_counts_add(&c, 3, "Banque", true));      /* an observer: in none */
    ck_assert(presence_counts_add(&c, 4, "", true));
    ck_assert_int_eq(c.total, 5);
    ck_assert_int_eq(c.observers, 2);
    ck_assert_uint_eq(c.n, 2);
    const presence_org *b = presence_counts_find(&c, "banque");
    ck_assert_ptr_nonnull(b);
    ck_assert_str_eq(b->name, "Banque"); /* the first spelling */
    ck_assert_int_eq(b->count, 2);
    ck_assert_int_eq(b->nsample, 2);
    ck_assert_int_eq(b->sample[1], 1);
    ck_assert_ptr_null(presence_counts_find(&c, "Banque populaire"));
    sbuf out;
    sbuf_init(&out, 0);
    presence_counts_write(&out, &c);
    ck_assert_str_eq(sbuf_data(&out), "\"total\":5,\"observers\":2,\"organisations\":[{\"name\":\"Banque\",\"count\":2},"
                                      "{\"name\":\"Ville de Lyon\",\"count\":1}]");
    /* Cleared for the next count: nothing left. */
    presence_counts_clear(&c);
    sbuf_reset(&out);
    presence_counts_write(&out, &c);
    ck_assert_str_eq(sbuf_data(&out), "\"total\":0,\"observers\":0,\"organisations\":[]");
    sbuf_free(&out);
    presence_counts_free(&c);
}
END_TEST

START_TEST(test_samples_are_bounded) {
    presence_counts c;
    presence_counts_init(&c);
    for (int i = 0; i < 3 * PRESENCE_OWN_ORG_MAX; i++) ck_assert(presence_counts_add(&c, i, "Coop\xc3\xa9rative", false));
    const presence_org *o = presence_counts_find(&c, "COOP\xc3\x89RATIVE");
    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(o->count, 3 * PRESENCE_OWN_ORG_MAX);
    ck_assert_int_eq(o->nsample, PRESENCE_OWN_ORG_MAX);
    ck_assert_int_eq(o->sample[PRESENCE_OWN_ORG_MAX - 1], PRESENCE_OWN_ORG_MAX - 1);
    presence_counts_free(&c);
}
END_TEST

START_TEST(test_prefix_and_organisation) {
    char key[PRESENCE_KEY_MAX];
    size_t n = utf8_label_key("zo\xc3\xa9", key);
    ck_assert(presence_name_starts("Zo\xc3\xa9 Martin", key, n));
    ck_assert(presence_name_starts("  ZO\xc3\x89", key, n));
    ck_assert(!presence_name_starts("Zoe", key, n));
    ck_assert(!presence_name_starts("Jean", key, n));
    utf8_label_key("Ville de Lyon", key);
    ck_assert(presence_org_is("ville  de LYON", key));
    ck_assert(!presence_org_is("Ville de Lyon 2", key));
}
END_TEST

static Suite *presence_suite(void) {
    Suite *s = suite_create("presence");
    TCase *tc = tcase_create("counts");
    tcase_add_test(tc, test_counts_by_organisation);
    tcase_add_test(tc, test_samples_are_bounded);
    tcase_add_test(tc, test_prefix_and_organisation);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(presence_suite)
