/* test_org_slot.c -- organisation colour slots (protocol/README.md,
 * "Organisation colours"): one slot per organisation, whoever of it carries
 * it and however they write it, none for observers; the welcome's org_slots
 * once per organisation; the slot read back from a stored record and from a
 * history event (damaged ones refused), written on arrivals and counts. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "core/hist.h"
#include "core/person.h"
#include "core/presence.h"
#include "core/sbuf.h"
#include "core/workshop.h"

#define SECRET "abcdefghijklmnopqrstuv"

static workshop *three_organisations(void) {
    workshop *w = wk_new("ws", "Couleurs", "key", 42, 10);
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(wk_add_participant(w, "p1", "", "Awa", "Ville de Lyon", WK_FACILITATOR), 0);
    ck_assert_int_eq(wk_add_participant(w, "p2", "", "Jean", "Banque Populaire", WK_PARTICIPANT), 1);
    ck_assert_int_eq(wk_add_participant(w, "p3", "", "Zo\xc3\xa9", "  banque   POPULAIRE", WK_PARTICIPANT), 2);
    ck_assert_int_eq(wk_add_participant(w, "p4", "", "Lu", "M\xc3\xa9tropole de Lyon", WK_PARTICIPANT), 3);
    ck_assert_int_eq(wk_add_participant(w, "p5", "", "Obs", "Presse", WK_OBSERVER), 4);
    return w;
}

START_TEST(test_one_slot_per_organisation) {
    workshop *w = three_organisations();
    for (size_t i = 0; i < w->npeople; i++) ck_assert_int_eq(wk_org_slot(w, &w->people[i]), -1); /* none known yet */
    wk_set_org_slot(w, 0, 0);
    wk_set_org_slot(w, 1, 1); /* Jean's record: Zoé, of the same organisation, has none of her own */
    wk_set_org_slot(w, 3, 2);
    wk_set_org_slot(w, 4, 3); /* an observer is in no organisation: ignored */
    ck_assert_int_eq(wk_org_slot(w, &w->people[0]), 0);
    ck_assert_int_eq(wk_org_slot(w, &w->people[1]), 1);
    ck_assert_int_eq(wk_org_slot(w, &w->people[2]), 1);
    ck_assert_int_eq(wk_org_slot(w, &w->people[3]), 2);
    ck_assert_int_eq(wk_org_slot(w, &w->people[4]), -1);
    sbuf b;
    sbuf_init(&b, 0);
    wk_write_org_slots(&b, w);
    sbuf_putc(&b, '\0');
    ck_assert_str_eq(sbuf_data(&b), ",\"org_slots\":[{\"organisation\":\"Ville de Lyon\",\"slot\":0},"
                                    "{\"organisation\":\"Banque Populaire\",\"slot\":1},"
                                    "{\"organisation\":\"M\xc3\xa9tropole de Lyon\",\"slot\":2}]");
    sbuf_free(&b);
    wk_free(w);
}
END_TEST

START_TEST(test_no_slot_no_entry) {
    workshop *w = three_organisations();
    sbuf b;
    sbuf_init(&b, 0);
    wk_write_org_slots(&b, w);
    sbuf_putc(&b, '\0');
    ck_assert_str_eq(sbuf_data(&b), ",\"org_slots\":[]");
    sbuf_free(&b);
    wk_free(w);
}
END_TEST

START_TEST(test_record_slot) {
    person_record r;
    ck_assert(person_read("{\"name\":\"Jean\",\"organisation\":\"Banque\",\"role\":\"participant\",\"secret\":\"" SECRET
                          "\",\"slot\":4}",
                          &r));
    ck_assert_int_eq(r.slot, 4);
    person_record_free(&r);
    ck_assert(person_read("{\"name\":\"Jean\",\"organisation\":\"Banque\",\"role\":\"participant\",\"secret\":\"" SECRET
                          "\"}",
                          &r));
    ck_assert_int_eq(r.slot, -1); /* an older record */
    person_record_free(&r);
    const char *bad[] = {"-1", "\"4\"", "1.5", "1e9", "null"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char json[256];
        snprintf(json, sizeof json,
                 "{\"name\":\"Jean\",\"organisation\":\"Banque\",\"role\":\"participant\",\"secret\":\"" SECRET
                 "\",\"slot\":%s}",
                 bad[i]);
        ck_assert_msg(!person_read(json, &r), "slot %s read", bad[i]);
    }
}
END_TEST

static void arrival(const char *slot, char *out, size_t n) {
    const char *kv[] = {"type", "arrived", "rev", "3", "participant", "p2", "name", "Jean",
                        "org", "Banque", "role", "participant", "slot", slot};
    hist_event e;
    ck_assert(hist_event_from_fields(&e, "1795833605120-0", kv, slot ? 14 : 12));
    sbuf b;
    sbuf_init(&b, 0);
    ck_assert(hist_write_event(&b, &e, HIST_PUBLIC));
    sbuf_putc(&b, '\0');
    snprintf(out, n, "%s", sbuf_data(&b));
    sbuf_free(&b);
}

START_TEST(test_history_arrival_slot) {
    char out[512];
    arrival("7", out, sizeof out);
    ck_assert_ptr_nonnull(strstr(out, ",\"role\":\"participant\",\"slot\":7"));
    arrival("0", out, sizeof out);
    ck_assert_ptr_nonnull(strstr(out, "\"slot\":0"));
    arrival(NULL, out, sizeof out); /* an older event */
    ck_assert_ptr_null(strstr(out, "slot"));
    const char *damaged[] = {"", "07", "-1", "x", "12345678", "2000000"};
    for (size_t i = 0; i < sizeof damaged / sizeof *damaged; i++) {
        arrival(damaged[i], out, sizeof out);
        ck_assert_msg(!strstr(out, "slot"), "slot \"%s\" written: %s", damaged[i], out);
    }
}
END_TEST

START_TEST(test_counts_carry_slots) {
    presence_counts c;
    presence_counts_init(&c);
    ck_assert(presence_counts_add(&c, 0, "Banque", false));
    ck_assert(presence_counts_add(&c, 1, "Mairie", false));
    presence_counts_slot(&c, " BANQUE", 3);
    presence_counts_slot(&c, "Mairie", -1); /* none known: none written */
    sbuf b;
    sbuf_init(&b, 0);
    presence_counts_write(&b, &c);
    sbuf_putc(&b, '\0');
    ck_assert_str_eq(sbuf_data(&b), "\"total\":2,\"observers\":0,\"organisations\":[{\"name\":\"Banque\",\"count\":1,"
                                    "\"slot\":3},{\"name\":\"Mairie\",\"count\":1}]");
    sbuf_free(&b);
    presence_counts_free(&c);
}
END_TEST

static Suite *org_slot_suite(void) {
    Suite *s = suite_create("org_slot");
    TCase *tc = tcase_create("slots");
    tcase_add_test(tc, test_one_slot_per_organisation);
    tcase_add_test(tc, test_no_slot_no_entry);
    tcase_add_test(tc, test_record_slot);
    tcase_add_test(tc, test_history_arrival_slot);
    tcase_add_test(tc, test_counts_carry_slots);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(org_slot_suite)
