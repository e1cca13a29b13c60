/* test_utf8.c -- the UTF-8 rules the server relies on to refuse what a JS
 * client could never have produced, and the offset arithmetic behind apply. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "core/utf8.h"
#include "test_prng.h"

/* ck_assert reports every passing check to the parent process (a write per
 * check): loops use these, which cost nothing until they fail. */
#define EXPECT(c) \
    do { \
        if (!(c)) ck_abort_msg("line %d: %s", __LINE__, #c); \
    } while (0)
#define EXPECTF(c, ...) \
    do { \
        if (!(c)) ck_abort_msg(__VA_ARGS__); \
    } while (0)

/* Reference: decode one scalar value the long way; 0 on anything invalid. */
static size_t ref_decode(const unsigned char *p, size_t len, uint32_t *cp) {
    if (len == 0) return 0;
    unsigned char c = p[0];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return n;
}

static bool ref_valid(const unsigned char *p, size_t len) {
    size_t i = 0;
    uint32_t cp;
    while (i < len) {
        size_t n = ref_decode(p + i, len - i, &cp);
        if (!n) return false;
        i += n;
    }
    return true;
}

static size_t encode(uint32_t cp, unsigned char *o) {
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

#define V(lit) utf8_valid(lit, sizeof lit - 1)

START_TEST(valid_samples) {
    ck_assert(utf8_valid("", 0));
    ck_assert(utf8_valid(NULL, 0));
    ck_assert(V("Quoi ?\n\nPourquoi ?"));
    ck_assert(V("été, à côté, garçon, cœur, « citation », l’équipe"));
    ck_assert(V("👩‍👩‍👧 🎉 😀"));
    ck_assert(V("\x7f"));                 /* U+007F */
    ck_assert(V("\xc2\x80"));             /* U+0080 */
    ck_assert(V("\xdf\xbf"));             /* U+07FF */
    ck_assert(V("\xe0\xa0\x80"));         /* U+0800 */
    ck_assert(V("\xed\x9f\xbf"));         /* U+D7FF */
    ck_assert(V("\xee\x80\x80"));         /* U+E000 */
    ck_assert(V("\xef\xbf\xbf"));         /* U+FFFF */
    ck_assert(V("\xf0\x90\x80\x80"));     /* U+10000 */
    ck_assert(V("\xf4\x8f\xbf\xbf"));     /* U+10FFFF */
    ck_assert(utf8_valid("a\0b", 3));     /* U+0000 is a character like any other */
}
END_TEST

START_TEST(invalid_samples) {
    ck_assert(!V("\x80"));                /* lone continuation */
    ck_assert(!V("a\xbf"));
    ck_assert(!V("\xc0\x80"));            /* overlong NUL */
    ck_assert(!V("\xc1\xbf"));            /* overlong U+007F */
    ck_assert(!V("\xe0\x80\x80"));        /* overlong */
    ck_assert(!V("\xe0\x9f\xbf"));        /* overlong U+07FF */
    ck_assert(!V("\xf0\x80\x80\x80"));    /* overlong */
    ck_assert(!V("\xf0\x8f\xbf\xbf"));    /* overlong U+FFFF */
    ck_assert(!V("\xed\xa0\x80"));        /* U+D800 */
    ck_assert(!V("\xed\xbf\xbf"));        /* U+DFFF */
    ck_assert(!V("\xed\xa0\xbd\xed\xb8\x80")); /* CESU-8 surrogate pair */
    ck_assert(!V("\xf4\x90\x80\x80"));    /* U+110000 */
    ck_assert(!V("\xf5\x80\x80\x80"));
    ck_assert(!V("\xf8\x88\x80\x80\x80"));/* five-byte form */
    ck_assert(!V("\xfe"));
    ck_assert(!V("\xff"));
    ck_assert(!V("\xc3"));                /* truncated */
    ck_assert(!V("\xe2\x82"));
    ck_assert(!V("\xf0\x9f\x98"));
    ck_assert(!V("\xc3\x28"));            /* bad continuation */
    ck_assert(!V("\xe2\x28\xa1"));
    ck_assert(!V("\xe2\x82\x28"));
    ck_assert(!V("\xf0\x9f\x98\x28"));
    ck_assert(!V("ok\xc3"));
    ck_assert(!utf8_valid("\xc3\xa9", 1)); /* the length is respected */
    ck_assert(utf8_valid("\xc3\xa9\xff", 2));
}
END_TEST

/* Every code point, encoded: valid exactly when it is a scalar value. */
START_TEST(all_code_points) {
    unsigned char b[4];
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        size_t n = encode(cp, b);
        bool scalar = cp < 0xD800 || cp > 0xDFFF;
        EXPECTF(utf8_valid((const char *)b, n) == scalar, "U+%04X", cp);
        if (scalar) EXPECT(utf8_count((const char *)b, n) == 1);
    }
}
END_TEST

/* Every 1-, 2- and 3-byte string, and a sample of 4-byte ones, against the
 * reference decoder. */
START_TEST(exhaustive_short) {
    unsigned char b[4];
    for (unsigned i = 0; i < 256; i++) {
        b[0] = (unsigned char)i;
        EXPECT(utf8_valid((const char *)b, 1) == ref_valid(b, 1));
        for (unsigned j = 0; j < 256; j++) {
            b[1] = (unsigned char)j;
            EXPECT(utf8_valid((const char *)b, 2) == ref_valid(b, 2));
            for (unsigned k = 0; k < 256; k++) {
                b[2] = (unsigned char)k;
                EXPECTF(utf8_valid((const char *)b, 3) == ref_valid(b, 3), "%02x %02x %02x", i, j, k);
            }
        }
    }
    prng r = {42};
    for (int n = 0; n < 2000000; n++) {
        uint64_t x = rnd(&r);
        b[0] = (unsigned char)(0xE8 + (x & 0x1F)); /* around the 4-byte leads */
        b[1] = (unsigned char)(x >> 8);
        b[2] = (unsigned char)(x >> 16);
        b[3] = (unsigned char)(x >> 24);
        if (x & (1u << 31)) b[1] = (unsigned char)(0x80 | (b[1] & 0x3F));
        if (x & (1ull << 32)) b[2] = (unsigned char)(0x80 | (b[2] & 0x3F));
        if (x & (1ull << 33)) b[3] = (unsigned char)(0x80 | (b[3] & 0x3F));
        EXPECTF(utf8_valid((const char *)b, 4) == ref_valid(b, 4), "%02x %02x %02x %02x", b[0], b[1], b[2],
                      b[3]);
    }
}
END_TEST

/* The eight-bytes-at-a-time ASCII path must not skip a bad byte wherever it sits. */
START_TEST(ascii_fast_path) {
    char buf[64];
    for (size_t len = 1; len <= sizeof buf; len++) {
        memset(buf, 'a', len);
        EXPECT(utf8_valid(buf, len));
        for (size_t at = 0; at < len; at++) {
            buf[at] = (char)0x80;
            EXPECTF(!utf8_valid(buf, len), "len %zu at %zu", len, at);
            buf[at] = (char)0xC3; /* truncated when last, followed by 'a' otherwise */
            EXPECT(!utf8_valid(buf, len));
            buf[at] = 'a';
        }
        if (len >= 2) {
            memcpy(buf + len - 2, "\xc3\xa9", 2);
            EXPECT(utf8_valid(buf, len));
        }
    }
}
END_TEST

/* Random byte soup and random valid text, against the reference. */
START_TEST(random_strings) {
    prng r = {7};
    unsigned char b[96];
    for (int it = 0; it < 200000; it++) {
        size_t len = below(&r, sizeof b);
        if (it & 1) {
            for (size_t i = 0; i < len; i++) b[i] = (unsigned char)rnd(&r);
        } else {
            size_t n = 0;
            while (n + 4 <= len) {
                uint32_t cp = (uint32_t)below(&r, 4) == 0 ? (uint32_t)below(&r, 0x110000) : (uint32_t)below(&r, 0x800);
                n += encode(cp, b + n); /* may encode a surrogate: the reference knows */
            }
            len = n;
            if (len && below(&r, 4) == 0) b[below(&r, len)] ^= (unsigned char)(1u << below(&r, 8));
        }
        EXPECT(utf8_valid((const char *)b, len) == ref_valid(b, len));
    }
}
END_TEST

START_TEST(count) {
    ck_assert_uint_eq(utf8_count("", 0), 0);
    ck_assert_uint_eq(utf8_count("abc", 3), 3);
    ck_assert_uint_eq(utf8_count("été", strlen("été")), 3);
    ck_assert_uint_eq(utf8_count("œ«»’", strlen("œ«»’")), 4);
    ck_assert_uint_eq(utf8_count("😀🎉", strlen("😀🎉")), 2);
    ck_assert_uint_eq(utf8_count("👩‍👩‍👧", strlen("👩‍👩‍👧")), 5);
    ck_assert_uint_eq(utf8_count("a\0b", 3), 3);
}
END_TEST

START_TEST(offset_basic) {
    const char *s = "aé😀\nz"; /* bytes: a=0 é=1 😀=3 \n=7 z=8, len 9 */
    size_t len = strlen(s);
    size_t want[] = {0, 1, 3, 7, 8, 9};
    for (size_t cp = 0; cp < 6; cp++) {
        ck_assert_uint_eq(utf8_offset(s, len, 0, 0, cp), want[cp]);
        ck_assert_uint_eq(utf8_offset(s, len, 5, 9, cp), want[cp]); /* backward from the end */
        for (size_t h = 0; h < 6; h++) ck_assert_uint_eq(utf8_offset(s, len, h, want[h], cp), want[cp]);
    }
    ck_assert_uint_eq(utf8_offset(s, len, 0, 0, 6), len); /* past the end */
    ck_assert_uint_eq(utf8_offset(s, len, 2, 3, 100), len);
    ck_assert_uint_eq(utf8_offset(s, len, 99, 99, 2), 3); /* a hint past the end is ignored */
    ck_assert_uint_eq(utf8_offset("", 0, 0, 0, 0), 0);
    ck_assert_uint_eq(utf8_offset("", 0, 0, 0, 3), 0);
}
END_TEST

/* Random texts: every (hint, target) pair agrees with a table built by decoding. */
START_TEST(offset_random) {
    static const char *const pieces[] = {"a", " ", "\n", "é", "œ", "«", "’", "😀", "🎉", "👩‍👩‍👧", "\xef\xbf\xbf"};
    prng r = {99};
    char buf[512];
    size_t table[512];
    for (int it = 0; it < 3000; it++) {
        size_t len = 0;
        size_t want = below(&r, 60);
        for (size_t k = 0; k < want; k++) {
            const char *p = pieces[below(&r, sizeof pieces / sizeof *pieces)];
            size_t n = strlen(p);
            if (len + n > sizeof buf) break;
            memcpy(buf + len, p, n);
            len += n;
        }
        EXPECT(utf8_valid(buf, len));
        size_t cps = 0;
        for (size_t i = 0; i < len; i++)
            if (((unsigned char)buf[i] & 0xC0) != 0x80) table[cps++] = i;
        table[cps] = len;
        EXPECT(utf8_count(buf, len) == cps);
        for (int q = 0; q < 20; q++) {
            size_t from = below(&r, cps + 1), to = below(&r, cps + 3);
            size_t got = utf8_offset(buf, len, from, table[from], to);
            EXPECT(got == (to <= cps ? table[to] : len));
        }
    }
}
END_TEST


static void tidy_is(const char *in, const char *want) {
    char out[256];
    size_t n = utf8_tidy_label(in, out);
    ck_assert_msg(strcmp(out, want) == 0, "tidy(\"%s\") = \"%s\", want \"%s\"", in, out, want);
    ck_assert_uint_eq(n, strlen(want));
}

START_TEST(tidy_label) {
    tidy_is("Banque", "Banque");
    tidy_is("  Mairie   de\tLyon  ", "Mairie de Lyon");
    tidy_is("Ville\xc2\xa0" "de\xe2\x80\xaf" "Lyon", "Ville de Lyon"); /* no-break and narrow no-break spaces */
    tidy_is("\xe3\x80\x80" "Association\xe2\x80\x89", "Association");      /* ideographic, thin */
    tidy_is("   ", "");
    tidy_is("", "");
    tidy_is("Zo\xc3\xa9 \xf0\x9f\x98\x80  !", "Zo\xc3\xa9 \xf0\x9f\x98\x80 !");
}
END_TEST

static void same_key(const char *a, const char *b, bool same) {
    char ka[256], kb[256];
    utf8_label_key(a, ka);
    utf8_label_key(b, kb);
    ck_assert_msg((strcmp(ka, kb) == 0) == same, "\"%s\" and \"%s\": keys \"%s\" \"%s\"", a, b, ka, kb);
}

START_TEST(label_key) {
    same_key("Banque", " banque ", true);
    same_key("MAIRIE DE LYON", "mairie  de lyon", true);
    same_key("Ville de Saint-\xc3\x89tienne", "ville de  SAINT-\xc3\xa9TIENNE", true); /* É é */
    same_key("\xc5\x92uvre", "\xc5\x93uvre", true);                                     /* Œ œ */
    same_key("\xc5\xb8ves", "\xc3\xbfves", true);                                       /* Ÿ ÿ */
    same_key("\xc4\xb9", "\xc4\xba", true);                                             /* Ĺ ĺ: odd capitals */
    same_key("\xc5\xbd", "\xc5\xbe", true);                                             /* Ž ž */
    same_key("Ecole", "\xc3\x89" "cole", false);                                        /* accents count */
    same_key("a\xc3\x97" "b", "a\xc3\xb7" "b", false);                                  /* × is not ÷ */
    same_key("Banque", "Banques", false);
    char k[64];
    ck_assert_uint_eq(utf8_label_key("\xc4\xb0stanbul \xf0\x9f\x98\x80", k), strlen("\xc4\xb0stanbul \xf0\x9f\x98\x80"));
    ck_assert_str_eq(k, "\xc4\xb0stanbul \xf0\x9f\x98\x80"); /* İ kept: its lower case is not one letter */
    /* Every key is valid UTF-8 and no longer than the tidy label. */
    for (uint32_t c = 0x20; c < 0x250; c++) {
        char in[8], out[8], tidy[8];
        size_t n = 0;
        if (c < 0x80) in[n++] = (char)c;
        else {
            in[n++] = (char)(0xC0 | c >> 6);
            in[n++] = (char)(0x80 | (c & 0x3F));
        }
        in[n] = '\0';
        if (c == 0x7f) continue;
        size_t t = utf8_tidy_label(in, tidy), m = utf8_label_key(in, out);
        ck_assert_uint_eq(m, t);
        ck_assert(utf8_valid(out, m));
    }
}
END_TEST

/* Names, organisations and titles (utf8_valid_label): what is invisible or
 * turns text around is refused, as is a label of spaces. */
START_TEST(valid_label) {
    ck_assert(utf8_valid_label("Awa", 64));
    ck_assert(utf8_valid_label("Zoé 😀", 6));
    ck_assert(!utf8_valid_label("Zoé 😀", 4));
    ck_assert(utf8_valid_label("Zoé 😀", 5));
    ck_assert(utf8_valid_label("Ville de Saint\u2011Étienne", 64)); /* a no-break hyphen is visible */
    ck_assert(utf8_valid_label("Note\u202F:", 64));                   /* French spacing is a space, not a control */
    ck_assert(!utf8_valid_label(NULL, 64));
    ck_assert(!utf8_valid_label("", 64));
    ck_assert(!utf8_valid_label("   ", 64));
    ck_assert(!utf8_valid_label(" \u00A0\u202F\u3000", 64)); /* Unicode spaces only */
    ck_assert(!utf8_valid_label("a\tb", 64));
    ck_assert(!utf8_valid_label("a\x7f", 64));
    ck_assert(!utf8_valid_label("a\x1b[31m", 64));   /* ESC */
    ck_assert(!utf8_valid_label("a\xc2\x85" "b", 64));    /* NEL, C1 */
    ck_assert(!utf8_valid_label("Ad\u200Bmin", 64)); /* zero width space */
    ck_assert(!utf8_valid_label("\u202Eevil", 64));  /* right-to-left override */
    ck_assert(!utf8_valid_label("a\u2066b\u2069", 64));
    ck_assert(!utf8_valid_label("\uFEFFAwa", 64));
    ck_assert(!utf8_valid_label("so\u00ADft", 64));
    ck_assert(!utf8_valid_label("a\u2028b", 64));
    ck_assert(!utf8_valid_label("tag\U000E0041", 64));
    /* What writing needs stays: joiners between visible characters, tags after the black flag. */
    ck_assert(utf8_valid_label("Awa \U0001F469\u200D\U0001F4BB", 64));   /* woman technologist */
    ck_assert(utf8_valid_label("\u0645\u06CC\u200C\u062E\u0648\u0627\u0645", 64)); /* Persian, with a ZWNJ */
    ck_assert(utf8_valid_label("\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F", 64)); /* Scotland */
    ck_assert(!utf8_valid_label("Awa\u200D", 64));      /* a joiner joining nothing */
    ck_assert(!utf8_valid_label("\u200DAwa", 64));
    ck_assert(!utf8_valid_label("a \u200Db", 64));
    ck_assert(!utf8_valid_label("a\u200D\u200Db", 64));
    ck_assert(!utf8_valid_label("a\u200D\u202Eb", 64));
    ck_assert(!utf8_valid_label("\xff", 64)); /* not UTF-8 */
}
END_TEST

/* Every code point: the invisible ones are exactly the controls, Cf and the
 * two separators; utf8_control_at sees C0, DEL and C1 only. */
START_TEST(invisible_code_points) {
    static const uint32_t cf[][2] = {
        {0x00AD, 0x00AD},   {0x0600, 0x0605},   {0x061C, 0x061C},   {0x06DD, 0x06DD},   {0x070F, 0x070F},
        {0x0890, 0x0891},   {0x08E2, 0x08E2},   {0x180E, 0x180E},   {0x200B, 0x200F},   {0x2028, 0x202E},
        {0x2060, 0x2064},   {0x2066, 0x206F},   {0xFEFF, 0xFEFF},   {0xFFF9, 0xFFFB},   {0x110BD, 0x110BD},
        {0x110CD, 0x110CD}, {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0001, 0xE0001},
        {0xE0020, 0xE007F},
    };
    for (uint32_t c = 0; c <= 0x10FFFF; c++) {
        if (c >= 0xD800 && c <= 0xDFFF) continue;
        char s[5];
        size_t n = encode(c, (unsigned char *)s);
        bool control = c < 0x20 || (c >= 0x7F && c <= 0x9F), invisible = control;
        for (size_t k = 0; k < sizeof cf / sizeof *cf; k++) invisible = invisible || (c >= cf[k][0] && c <= cf[k][1]);
        ck_assert_msg(utf8_has_invisible(s, n) == invisible, "U+%04X", (unsigned)c);
        ck_assert_msg((utf8_control_at(s, n, 0) != 0) == control, "U+%04X", (unsigned)c);
        if (control) ck_assert_uint_eq(utf8_control_at(s, n, 0), n);
    }
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("utf8");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, valid_samples);
    tcase_add_test(tc, invalid_samples);
    tcase_add_test(tc, all_code_points);
    tcase_add_test(tc, exhaustive_short);
    tcase_add_test(tc, ascii_fast_path);
    tcase_add_test(tc, random_strings);
    tcase_add_test(tc, count);
    tcase_add_test(tc, offset_basic);
    tcase_add_test(tc, offset_random);
    tcase_add_test(tc, tidy_label);
    tcase_add_test(tc, label_key);
    tcase_add_test(tc, valid_label);
    tcase_add_test(tc, invisible_code_points);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(suite)
