/* test_digest.c -- the SHA-256 a sign-off names a text by: FIPS 180-2's
 * test vectors, UTF-8 text as a browser's crypto.subtle hashes it, and the
 * hex form the protocol accepts. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "core/digest.h"

static const char *hex_of(const char *s, size_t len, char out[DIGEST_SHA256_HEX + 1]) {
    ck_assert(digest_sha256_hex(s, len, out));
    return out;
}

START_TEST(test_fips_vectors) {
    char h[DIGEST_SHA256_HEX + 1];
    ck_assert_str_eq(hex_of("abc", 3, h), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ck_assert_str_eq(hex_of("", 0, h), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    ck_assert_str_eq(hex_of(two_blocks, strlen(two_blocks), h),
                     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char *million = malloc(1000000);
    ck_assert_ptr_nonnull(million);
    memset(million, 'a', 1000000);
    ck_assert_str_eq(hex_of(million, 1000000, h), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(million);
}
END_TEST

START_TEST(test_utf8_text) {
    /* The statement's UTF-8 bytes, as the web client hashes them (U+202F, an emoji). */
    const char *text = "Quoi ?\xE2\x80\xAF\xC3\x89nonc\xC3\xA9 \xF0\x9F\xA4\x9D";
    char h[DIGEST_SHA256_HEX + 1];
    ck_assert_str_eq(hex_of(text, strlen(text), h), "983a65d7a0602dd09750b7c9752b531e70a6c646df2c252156687e627900d75c");
}
END_TEST

START_TEST(test_valid_hex) {
    ck_assert(digest_valid_sha256_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    ck_assert(!digest_valid_sha256_hex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")); /* lower case only */
    ck_assert(!digest_valid_sha256_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a"));   /* 63 */
    ck_assert(!digest_valid_sha256_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0")); /* 65 */
    ck_assert(!digest_valid_sha256_hex("za7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    ck_assert(!digest_valid_sha256_hex(""));
    ck_assert(!digest_valid_sha256_hex(NULL));
}
END_TEST

static Suite *digest_suite(void) {
    Suite *s = suite_create("digest");
    TCase *tc = tcase_create("sha256");
    tcase_add_test(tc, test_fips_vectors);
    tcase_add_test(tc, test_utf8_text);
    tcase_add_test(tc, test_valid_hex);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(digest_suite)
