/* test_typo.c -- French typography (core/typo.h): a narrow no-break space
 * before ? ! : ; and inside « », and nowhere it does not belong. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "core/typo.h"

#define N TYPO_NNBSP

/* typo_fr of s, as a NUL-terminated copy (caller frees). */
static char *fr(const char *s) {
    sbuf b;
    sbuf_init(&b, 0);
    typo_frz(&b, s);
    ck_assert(sbuf_ok(&b));
    char *out = strdup(sbuf_data(&b) ? sbuf_data(&b) : "");
    sbuf_free(&b);
    return out;
}

static void expect(const char *in, const char *want) {
    char *got = fr(in);
    ck_assert_msg(strcmp(got, want) == 0, "typo_fr(\"%s\") = \"%s\", expected \"%s\"", in, got, want);
    char *again = fr(got); /* applying it twice changes nothing more */
    ck_assert_msg(strcmp(again, got) == 0, "typo_fr is not idempotent on \"%s\": \"%s\"", got, again);
    free(again);
    free(got);
}

START_TEST(test_space_before_marks_becomes_narrow) {
    expect("Quoi ?", "Quoi" N "?");
    expect("Répondants : 8", "Répondants" N ": 8");
    expect("écart 0,67 ; 2 organisations", "écart 0,67" N "; 2 organisations");
    expect("Bravo !", "Bravo" N "!");
    expect("Quoi\xC2\xA0?", "Quoi" N "?");       /* a no-break space */
    expect("Quoi\xE2\x80\x89?", "Quoi" N "?");   /* a thin space */
    expect("Quoi   ?", "Quoi" N "?");             /* several become one */
}
END_TEST

START_TEST(test_missing_space_is_added) {
    expect("Quoi?", "Quoi" N "?");
    expect("Note: lire", "Note" N ": lire");
    expect("« abordable »?", "«" N "abordable" N "»" N "?");
    expect("30 %?", "30 %" N "?"); /* after a sign too */
    expect("(fin)!", "(fin)" N "!");
    expect("2027?", "2027" N "?");
}
END_TEST

START_TEST(test_guillemets) {
    expect("« indicateurs »", "«" N "indicateurs" N "»");
    expect("«indicateurs»", "«" N "indicateurs" N "»");
    expect("Sondage ouvert : « ", "Sondage ouvert" N ": «" N); /* a fragment before a quoted question */
    expect(" »", N "»");                                         /* ... and the one after it */
    expect("« Quoi ? »", "«" N "Quoi" N "?" N "»");
}
END_TEST

START_TEST(test_where_nothing_changes) {
    expect("", "");
    expect("14:05", "14:05");                 /* a time */
    expect("le 3:2", "le 3:2");               /* a ratio */
    expect("https://atelier.example/x", "https://atelier.example/x");
    expect("Quoi ?!", "Quoi" N "?!");         /* only the first of two marks */
    expect("?", "?");                         /* nothing before it */
    expect("ligne\n? suite", "ligne\n? suite"); /* the start of a line */
    expect("(?)", "(?)");
    expect("Moins de jeunes sans solution", "Moins de jeunes sans solution");
    expect("📅 ?", "📅" N "?");              /* four-byte characters pass whole */
}
END_TEST

START_TEST(test_appends) {
    sbuf b;
    sbuf_init(&b, 0);
    sbuf_puts(&b, "déjà là ");
    typo_frz(&b, "Pourquoi ?");
    ck_assert_str_eq(sbuf_data(&b), "déjà là Pourquoi" N "?");
    sbuf_free(&b);
}
END_TEST

static Suite *typo_suite(void) {
    Suite *s = suite_create("typo");
    TCase *tc = tcase_create("fr");
    tcase_add_test(tc, test_space_before_marks_becomes_narrow);
    tcase_add_test(tc, test_missing_space_is_added);
    tcase_add_test(tc, test_guillemets);
    tcase_add_test(tc, test_where_nothing_changes);
    tcase_add_test(tc, test_appends);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(typo_suite)
