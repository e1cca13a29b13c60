/* utf8.c -- strict UTF-8 checks and code point <-> byte arithmetic.
 *
 * Validation follows RFC 3629 (Unicode table 3-7): the second byte's range is
 * narrowed after E0, ED, F0 and F4 so overlong forms, surrogates and values
 * above U+10FFFF are all refused without decoding the scalar value. */
#include "core/utf8.h"

#include <stdint.h>
#include <string.h>

bool utf8_valid(const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        /* ASCII runs dominate real text: test eight bytes at a time. */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, p + i, sizeof w);
            if (w & UINT64_C(0x8080808080808080)) break;
            i += 8;
        }
        if (i >= len) break;
        unsigned char c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0) lo = 0xA0;      /* overlong below U+0800 */
            else if (c == 0xED) hi = 0x9F; /* U+D800..U+DFFF surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0) lo = 0x90;      /* overlong below U+10000 */
            else if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
        } else {
            return false; /* continuation byte, C0/C1 overlong lead, or F5..FF */
        }
        if (len - i <= need) return false;
        if (p[i + 1] < lo || p[i + 1] > hi) return false;
        for (size_t k = 2; k <= need; k++)
            if ((p[i + k] & 0xC0) != 0x80) return false;
        i += need + 1;
    }
    return true;
}

size_t utf8_count(const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) n += (p[i] & 0xC0) != 0x80;
    return n;
}

/* Bytes in the sequence led by c (valid input: c is never a continuation). */
static size_t seq_len(unsigned char c) {
    if (c < 0x80) return 1;
    if (c < 0xE0) return 2;
    if (c < 0xF0) return 3;
    return 4;
}

size_t utf8_offset(const char *s, size_t len, size_t from_cp, size_t from_byte, size_t cp) {
    const unsigned char *p = (const unsigned char *)s;
    if (from_byte > len) { /* a stale hint: fall back to the start */
        from_cp = 0;
        from_byte = 0;
    }
    size_t i = from_byte;
    if (cp >= from_cp) {
        size_t k = cp - from_cp;
        while (k > 0 && i < len) {
            i += seq_len(p[i]);
            k--;
        }
        return i < len ? i : len;
    }
    size_t k = from_cp - cp;
    while (k > 0 && i > 0) {
        i--;
        while (i > 0 && (p[i] & 0xC0) == 0x80) i--;
        k--;
    }
    return i;
}
