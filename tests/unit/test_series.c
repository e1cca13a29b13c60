/* A partnership's pure parts (core/series.h, core/series_diff.h): the
 * next workshop's request, the agreement carried, who changed the statement
 * by organisation, the word diff and the series' export. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "core/series.h"
#include "core/series_diff.h"

static proto_err read_next(const char *body, series_next_req *r) {
    const char *why = NULL;
    proto_err e = series_read_next(body, strlen(body), r, &why);
    if (e != PROTO_OK) ck_assert_ptr_nonnull(why);
    return e;
}

START_TEST(test_next_request) {
    series_next_req r;
    ck_assert_int_eq(read_next("", &r), PROTO_OK); /* an empty body: the previous title */
    ck_assert_ptr_null(r.title);
    ck_assert_str_eq(r.create_token, "");
    ck_assert_int_eq(read_next("  {\"title\": \"  Atelier   2 \", \"create_token\": \"t0k\"} ", &r), PROTO_OK);
    ck_assert_str_eq(r.title, "Atelier 2");
    ck_assert_str_eq(r.create_token, "t0k");
    series_next_req_free(&r);
    ck_assert_int_eq(read_next("{\"title\": null}", &r), PROTO_OK);
    ck_assert_ptr_null(r.title);
    /* refused: nothing kept */
    const char *bad[] = {"{\"title\": \"\"}", "{\"title\": \" \"}", "{\"title\": 3}", "{\"titre\": \"x\"}",
                         "{\"create_token\": \"\"}", "{\"create_token\": 1}", "[]", "{", "{\"title\": \"a\\u0000b\"}",
                         "{\"title\": \"a\\u202eb\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_msg(read_next(bad[i], &r) == PROTO_EBAD_REQUEST, "%s", bad[i]);
        ck_assert_ptr_null(r.title);
    }
    char big[300] = "{\"create_token\": \"";
    memset(big + strlen(big), 'x', 129);
    strcat(big, "\"}");
    ck_assert_int_eq(read_next(big, &r), PROTO_EBAD_REQUEST);
}
END_TEST

START_TEST(test_title) {
    char *t;
    const char *why;
    const char *body = "{\"title\": \" Fonds  commun \"}";
    ck_assert_int_eq(series_read_title(body, strlen(body), &t, &why), PROTO_OK);
    ck_assert_str_eq(t, "Fonds commun");
    free(t);
    ck_assert_int_eq(series_read_title("", 0, &t, &why), PROTO_EBAD_REQUEST);
    ck_assert_int_eq(series_read_title("{}", 2, &t, &why), PROTO_EBAD_REQUEST);
    body = "{\"title\": \"a\", \"x\": 1}";
    ck_assert_int_eq(series_read_title(body, strlen(body), &t, &why), PROTO_EBAD_REQUEST);
    ck_assert_ptr_null(t);
}
END_TEST

static char *written(sbuf *b) {
    ck_assert(sbuf_ok(b));
    char *s = strndup(b->len ? sbuf_data(b) : "", b->len); /* an empty buffer may have no storage yet */
    sbuf_free(b);
    return s;
}

START_TEST(test_agreement) {
    const char *agreed = "{\"rev\":4,\"sha256\":\"aa\",\"at\":1000,\"organisations\":[\"Banque\",\"Ville\"]}";
    const char *decisions[] = {
        "{\"org\":\"Ville\",\"decision\":\"endorsed\",\"rev\":4,\"sha256\":\"aa\",\"by\":\"p1\",\"name\":\"Awa\",\"at\":900}",
        "{\"org\":\"Asso\",\"decision\":\"declined\",\"rev\":4,\"sha256\":\"aa\",\"reason\":\"non\",\"by\":\"p3\",\"name\":\"Léa\",\"at\":950}",
        /* Banque's latest decision endorsed another text: not an endorser of this one */
        "{\"org\":\"Banque\",\"decision\":\"endorsed\",\"rev\":5,\"sha256\":\"bb\",\"by\":\"p2\",\"name\":\"Jean\",\"at\":1100}"};
    sbuf b;
    sbuf_init(&b, 0);
    series_agreement_in in = {agreed, decisions, 3, "Quoi ?\n", 7};
    series_write_agreement(&b, &in);
    char *s = written(&b);
    ck_assert_str_eq(s, "{\"rev\":4,\"sha256\":\"aa\",\"at\":1000,\"organisations\":[\"Banque\",\"Ville\"],"
                        "\"endorsers\":[{\"org\":\"Ville\",\"name\":\"Awa\",\"at\":900}],\"text\":\"Quoi ?\\n\"}");
    free(s);
    /* none, or unreadable: null */
    const char *none[] = {NULL, "", "{", "{\"rev\":4}"};
    for (size_t i = 0; i < 4; i++) {
        sbuf_init(&b, 0);
        in.agreed = none[i];
        series_write_agreement(&b, &in);
        s = written(&b);
        ck_assert_str_eq(s, "null");
        free(s);
    }
    int64_t rev;
    ck_assert(series_agreed_rev(agreed, &rev));
    ck_assert_int_eq(rev, 4);
    ck_assert(!series_agreed_rev("", &rev));
    ck_assert(!series_agreed_rev("{\"rev\":-1}", &rev));
}
END_TEST

START_TEST(test_carried) {
    sbuf b;
    sbuf_init(&b, 0);
    series_write_carried(&b, "Série « 1 »", SERIES_ALL_PARTS & ~(1u << SERIES_PART_BOARD), "null");
    char *s = written(&b);
    ck_assert_str_eq(s, "{\"title\":\"Série « 1 »\",\"parts\":[\"statement\",\"agreement\"],\"agreement\":null}");
    free(s);
    sbuf_init(&b, 0);
    series_write_carried(&b, "S", SERIES_ALL_PARTS, "null");
    s = written(&b);
    ck_assert_str_eq(s, "{\"title\":\"S\",\"parts\":[\"statement\",\"agreement\",\"board\"],\"agreement\":null}");
    free(s);
}
END_TEST

START_TEST(test_orgs_from_balance) {
    const char *kv[] = {"ins:Ville", "12", "bal:Ville", "3",  "del:Banque", "4", "ins:Banque", "7",
                        "ans:Asso",  "2",  "ins:",      "5",  "del:Ville",  "x", "ins:Asso",   "-3", "odd"};
    series_orgs o = {0};
    series_orgs_read(&o, kv, sizeof kv / sizeof *kv);
    ck_assert_int_eq(o.n, 2); /* only inserted and deleted counts, well formed */
    ck_assert_str_eq(o.v[0].org, "Banque");
    ck_assert_int_eq(o.v[0].inserted, 7);
    ck_assert_int_eq(o.v[0].deleted, 4);
    ck_assert_str_eq(o.v[1].org, "Ville");
    ck_assert_int_eq(o.v[1].inserted, 12);
    ck_assert_int_eq(o.v[1].deleted, 0);
    sbuf b;
    sbuf_init(&b, 0);
    series_orgs_write_json(&b, &o);
    char *s = written(&b);
    ck_assert_str_eq(s, "[{\"org\":\"Banque\",\"inserted\":7,\"deleted\":4},{\"org\":\"Ville\",\"inserted\":12,\"deleted\":0}]");
    free(s);
    series_orgs_free(&o);
}
END_TEST

/* The diff as "=same|-del|+ins" pieces joined by "/". */
static char *diff_text(const char *a, const char *b) {
    series_diff d;
    ck_assert(series_diff_make(&d, a, strlen(a), b, strlen(b)));
    sbuf out;
    sbuf_init(&out, 0);
    for (size_t i = 0; i < d.n; i++) {
        if (i) sbuf_putc(&out, '/');
        sbuf_putc(&out, d.v[i].kind == SERIES_INS ? '+' : d.v[i].kind == SERIES_DEL ? '-' : '=');
        sbuf_put(&out, (d.v[i].kind == SERIES_INS ? b : a) + d.v[i].off, d.v[i].len);
    }
    series_diff_free(&d);
    return written(&out);
}

START_TEST(test_word_diff) {
    struct {
        const char *a, *b, *want;
    } cases[] = {
        {"", "", ""},
        {"", "Quoi ?", "+Quoi ?"},
        {"Quoi ?", "", "-Quoi ?"},
        {"Un fonds commun", "Un fonds commun", "=Un fonds commun"},
        {"Un fonds commun", "Un fonds commun et solidaire", "=Un fonds commun/+ et solidaire"},
        {"Un fonds commun", "Un grand fonds commun", "=Un /+grand /=fonds commun"},
        {"Un fonds commun", "Un fonds partagé", "=Un fonds /-commun/+partagé"},
        {"Quoi ?\nUn fonds.\nPourquoi ?", "Quoi ?\nPourquoi ?", "=Quoi ?\n/-Un fonds.\n/=Pourquoi ?"},
        {"é à ô", "é ô", "=é /-à /=ô"},
        {"a b c d", "d c b a", NULL}, /* a reordering: any minimal answer, checked by rebuilding both texts */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *got = diff_text(cases[i].a, cases[i].b);
        if (cases[i].want) ck_assert_msg(strcmp(got, cases[i].want) == 0, "%s -> %s: %s", cases[i].a, cases[i].b, got);
        free(got);
    }
}
END_TEST

/* Whatever the texts, the pieces rebuild both: same+del is the old one, same+ins the new one
 * (a kept piece's bytes are the old text's). */
START_TEST(test_word_diff_rebuilds) {
    const char *words[] = {"Quoi", "?", " ", "\n", "fonds", "commun", "é", "  "};
    unsigned seed = 7;
    for (int round = 0; round < 300; round++) {
        char a[200] = "", b[200] = "";
        for (int k = 0; k < 12; k++) {
            seed = seed * 1103515245 + 12345;
            strcat(a, words[(seed >> 16) % 8]);
            seed = seed * 1103515245 + 12345;
            strcat(b, words[(seed >> 16) % 8]);
        }
        series_diff d;
        ck_assert(series_diff_make(&d, a, strlen(a), b, strlen(b)));
        char old[200] = "", new[200] = "";
        for (size_t i = 0; i < d.n; i++) {
            if (d.v[i].kind != SERIES_INS) strncat(old, a + d.v[i].off, d.v[i].len);
            if (d.v[i].kind != SERIES_DEL) strncat(new, (d.v[i].kind == SERIES_INS ? b : a) + d.v[i].off, d.v[i].len);
        }
        ck_assert_str_eq(old, a);
        ck_assert_str_eq(new, b);
        series_diff_free(&d);
    }
}
END_TEST

/* Past SERIES_DIFF_CELLS token pairs: one removal and one insertion, never a failure. */
START_TEST(test_word_diff_too_big) {
    size_t n = 3000;
    char *a = malloc(n * 2 + 1), *b = malloc(n * 2 + 1);
    for (size_t i = 0; i < n; i++) {
        a[2 * i] = 'a', a[2 * i + 1] = ' ';
        b[2 * i] = 'b', b[2 * i + 1] = '\n';
    }
    a[2 * n] = b[2 * n] = '\0';
    series_diff d;
    ck_assert(series_diff_make(&d, a, 2 * n, b, 2 * n));
    ck_assert_int_eq(d.n, 2);
    ck_assert_int_eq(d.v[0].kind, SERIES_DEL);
    ck_assert_int_eq(d.v[0].len, 2 * n);
    ck_assert_int_eq(d.v[1].kind, SERIES_INS);
    series_diff_free(&d);
    free(a);
    free(b);
}
END_TEST

START_TEST(test_demote) {
    sbuf b;
    sbuf_init(&b, 0);
    const char *md = "# Titre\n\ntexte # pas un titre\n## Section\n> # cité\n#### Phase";
    series_demote_headings(&b, md, strlen(md));
    char *s = written(&b);
    ck_assert_str_eq(s, "### Titre\n\ntexte # pas un titre\n#### Section\n> # cité\n###### Phase");
    free(s);
}
END_TEST

START_TEST(test_export) {
    series_orgs o = {0};
    const char *kv[] = {"ins:Asso", "13"};
    series_orgs_read(&o, kv, 2);
    series_member m[2] = {
        {"W1", "Série", 1000, true, "Quoi ?\n", 7, "Quoi ?\nUn fonds.\n", 17, NULL, "# Série\n\nRésumé 1\n", 0},
        {"W2", "Série", 2000, false, "Quoi ?\nUn fonds.\n", 17, "Quoi ?\nUn fonds commun.\n", 24, &o, "# Série\n\nRésumé 2\n", 0},
    };
    m[0].summary_len = strlen(m[0].summary);
    m[1].summary_len = strlen(m[1].summary);
    series_export s = {"P", "Fonds", 1000, m, 2};
    sbuf b;
    sbuf_init(&b, 0);
    series_export_markdown(&b, &s, EXPORT_FR);
    char *md = written(&b);
    ck_assert_ptr_nonnull(strstr(md, "# Partenariat\u202f: Fonds\n"));
    ck_assert_ptr_nonnull(strstr(md, "## 1. Série (terminé)\n"));
    ck_assert_ptr_nonnull(strstr(md, "### Série\n\nRésumé 1\n"));
    ck_assert_ptr_nonnull(strstr(md, "Ajouté\u202f: «\u202fUn fonds. \u202f»"));
    ck_assert_ptr_nonnull(strstr(md, "Personne n'a modifié l'énoncé."));
    ck_assert_ptr_nonnull(strstr(md, "- Asso\u202f: 13 insérés, 0 supprimés\n\nMot à mot\u202f:\n\n- Retiré"));
    ck_assert_ptr_nonnull(strstr(md, "Retiré\u202f: «\u202ffonds.\u202f»"));
    ck_assert_ptr_nonnull(strstr(md, "Ajouté\u202f: «\u202ffonds commun.\u202f»"));
    ck_assert(strstr(md, "## 1.") < strstr(md, "## 2."));
    free(md);
    sbuf_init(&b, 0);
    series_export_markdown(&b, &s, EXPORT_EN);
    md = written(&b);
    ck_assert_ptr_nonnull(strstr(md, "# Partnership: Fonds\n"));
    ck_assert_ptr_nonnull(strstr(md, "## 2. Série (under way)\n"));
    ck_assert_ptr_nonnull(strstr(md, "Added: “fonds commun.”"));
    free(md);
    m[0].summary = "{\"workshop\":{}}";
    m[0].summary_len = strlen(m[0].summary);
    m[1].summary = NULL;
    sbuf_init(&b, 0);
    series_export_json(&b, &s);
    char *js = written(&b);
    ck_assert_ptr_nonnull(strstr(js, "{\"partnership\":{\"id\":\"P\",\"title\":\"Fonds\",\"created\":1000},\"workshops\":["));
    ck_assert_ptr_nonnull(strstr(js, "\"state\":\"ended\",\"organisations\":[],\"changes\":[{\"kind\":\"same\",\"text\":\"Quoi ?\\n\"},"
                                     "{\"kind\":\"ins\",\"text\":\"Un fonds.\\n\"}],\"export\":{\"workshop\":{}}}"));
    ck_assert_ptr_nonnull(strstr(js, "\"organisations\":[{\"org\":\"Asso\",\"inserted\":13,\"deleted\":0}]"));
    ck_assert_ptr_nonnull(strstr(js, "\"export\":null}]}"));
    free(js);
    series_orgs_free(&o);
}
END_TEST

START_TEST(test_ids) {
    ck_assert(series_valid_id("Xq3bT9aK0cEq3mS0t4rVZ2"));
    ck_assert(!series_valid_id(""));
    ck_assert(!series_valid_id("a/b"));
    ck_assert(!series_valid_id("{p:x}"));
    ck_assert_str_eq(series_part_name(SERIES_PART_STATEMENT), "statement");
    ck_assert_str_eq(series_part_name(SERIES_PART_AGREEMENT), "agreement");
}
END_TEST

static Suite *series_suite(void) {
    Suite *s = suite_create("series");
    TCase *tc = tcase_create("series");
    tcase_add_test(tc, test_next_request);
    tcase_add_test(tc, test_title);
    tcase_add_test(tc, test_agreement);
    tcase_add_test(tc, test_carried);
    tcase_add_test(tc, test_orgs_from_balance);
    tcase_add_test(tc, test_word_diff);
    tcase_add_test(tc, test_word_diff_rebuilds);
    tcase_add_test(tc, test_word_diff_too_big);
    tcase_add_test(tc, test_demote);
    tcase_add_test(tc, test_export);
    tcase_add_test(tc, test_ids);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(series_suite)
