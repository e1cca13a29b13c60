/* test_peers.c -- connections counted per address (core/peers.h): the two
 * limits, an address leaving the table with its last connection, and the
 * table staying right through many addresses coming and going. */
#include <check.h>
#include <stdlib.h>

#include "check_main.h"
#include "core/peers.h"

START_TEST(test_limits) {
    peers p;
    peers_init(&p, 5, 3);
    for (int i = 0; i < 3; i++) ck_assert_int_eq(peers_admit(&p, 7), PEERS_OK);
    ck_assert_int_eq(peers_admit(&p, 7), PEERS_ADDR_FULL);
    ck_assert_uint_eq(peers_of(&p, 7), 3);
    ck_assert_int_eq(peers_admit(&p, 8), PEERS_OK);
    ck_assert_int_eq(peers_admit(&p, 9), PEERS_OK);
    ck_assert_int_eq(peers_admit(&p, 10), PEERS_FULL); /* 5 open in all */
    peers_release(&p, 7);
    ck_assert_int_eq(peers_admit(&p, 7), PEERS_OK); /* a place came back */
    ck_assert_uint_eq(p.open, 5);
    peers_release(&p, 8);
    peers_release(&p, 9);
    ck_assert_uint_eq(p.used, 1);
    ck_assert_uint_eq(peers_of(&p, 8), 0);
    peers_release(&p, 12345); /* never counted: nothing happens */
    ck_assert_uint_eq(p.open, 3);
    peers_free(&p);
}
END_TEST

/* Random admits and releases checked against a plain array of counts. */
START_TEST(test_against_a_model) {
    enum { ADDRS = 3000, STEPS = 200000 };
    static unsigned model[ADDRS];
    peers p;
    peers_init(&p, 100000, 4);
    srand(7);
    size_t open = 0;
    for (int s = 0; s < STEPS; s++) {
        uint32_t a = (uint32_t)(rand() % ADDRS);
        uint32_t key = a * 256 + 1; /* one subnet's worth of neighbours, never 0 */
        if (rand() % 2 && model[a]) {
            peers_release(&p, key);
            model[a]--;
            open--;
        } else {
            peers_verdict v = peers_admit(&p, key);
            if (v != (model[a] < 4 ? PEERS_OK : PEERS_ADDR_FULL)) ck_abort_msg("step %d: verdict %d", s, (int)v);
            if (v == PEERS_OK) model[a]++, open++;
        }
        if (s % 997 == 0) { /* one assertion per pass: Check's are slow */
            uint32_t wrong = ADDRS;
            for (uint32_t b = 0; b < ADDRS && wrong == ADDRS; b++)
                if (peers_of(&p, b * 256 + 1) != model[b]) wrong = b;
            ck_assert_msg(wrong == ADDRS, "step %d: address %u counted %zu, model %u", s, wrong,
                          peers_of(&p, wrong * 256 + 1), model[wrong]);
        }
    }
    ck_assert_uint_eq(p.open, open);
    for (uint32_t b = 0; b < ADDRS; b++)
        while (model[b]--) peers_release(&p, b * 256 + 1);
    ck_assert_uint_eq(p.used, 0);
    ck_assert_uint_eq(p.open, 0);
    peers_free(&p);
}
END_TEST

START_TEST(test_keys) {
    const uint8_t v4[4] = {203, 0, 113, 7}, zero[4] = {0};
    const uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1};
    uint8_t b[16];
    for (int i = 0; i < 16; i++) b[i] = a[i];
    b[15] = 2; /* same /64 */
    ck_assert_uint_ne(peers_key(v4, 4), 0);
    ck_assert_uint_ne(peers_key(zero, 4), 0);
    ck_assert_uint_eq(peers_key(a, 16), peers_key(b, 16));
    b[7] = 2; /* another /64 */
    ck_assert_uint_ne(peers_key(a, 16), peers_key(b, 16));
}
END_TEST

static Suite *peers_suite(void) {
    Suite *s = suite_create("peers");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_against_a_model);
    tcase_add_test(tc, test_keys);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(peers_suite)
