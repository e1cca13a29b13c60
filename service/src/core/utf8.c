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

/* Lead bytes (code points) among the eight bytes of w: all but the
 * continuation bytes, 10xxxxxx, whose top bit is set and the next clear. */
static unsigned leads8(uint64_t w) {
    uint64_t cont = (w & ~(w << 1) & UINT64_C(0x8080808080808080)) >> 7; /* 1 in each such byte */
    /* The bytes summed into the top one by a multiply: __builtin_popcountll
     * is a library call on a baseline x86-64 build. */
    return 8u - (unsigned)((cont * UINT64_C(0x0101010101010101)) >> 56);
}

static bool is_lead(unsigned char c) { return (c & 0xC0) != 0x80; }

/* Seeks count lead bytes, eight at a time while whole words can be passed:
 * positions are sought for every op applied, in documents of thousands of
 * code points. */
size_t utf8_offset(const char *s, size_t len, size_t from_cp, size_t from_byte, size_t cp) {
    const unsigned char *p = (const unsigned char *)s;
    if (from_byte > len) { /* a stale hint: fall back to the start */
        from_cp = 0;
        from_byte = 0;
    }
    size_t i = from_byte;
    if (cp >= from_cp) {
        /* The k-th lead byte at or after i (i itself is the 0th). */
        size_t k = cp - from_cp;
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, p + i, sizeof w);
            unsigned n = leads8(w);
            if (n > k) break;
            k -= n;
            i += 8;
        }
        for (; i < len; i++) {
            if (!is_lead(p[i])) continue;
            if (k == 0) return i;
            k--;
        }
        return len;
    }
    /* The k-th lead byte before i, counting back. */
    size_t k = from_cp - cp;
    while (i >= 8) {
        uint64_t w;
        memcpy(&w, p + i - 8, sizeof w);
        unsigned n = leads8(w);
        if (n >= k) break;
        k -= n;
        i -= 8;
    }
    while (k > 0 && i > 0) {
        i--;
        if (is_lead(p[i])) k--;
    }
    return i;
}

/* Decode one code point of valid UTF-8 at p; *n gets its length in bytes. */
static uint32_t decode(const unsigned char *p, size_t *n) {
    if (p[0] < 0x80) {
        *n = 1;
        return p[0];
    }
    if (p[0] < 0xE0) {
        *n = 2;
        return (uint32_t)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
    }
    if (p[0] < 0xF0) {
        *n = 3;
        return (uint32_t)(p[0] & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
    }
    *n = 4;
    return (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3F) << 12 | (uint32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
}

static size_t encode(uint32_t c, char *out) {
    unsigned char *o = (unsigned char *)out;
    if (c < 0x80) {
        o[0] = (unsigned char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (unsigned char)(0xC0 | c >> 6);
        o[1] = (unsigned char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (unsigned char)(0xE0 | c >> 12);
        o[1] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
        o[2] = (unsigned char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | c >> 18);
    o[1] = (unsigned char)(0x80 | (c >> 12 & 0x3F));
    o[2] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
    o[3] = (unsigned char)(0x80 | (c & 0x3F));
    return 4;
}

static bool is_space(uint32_t c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0xA0 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

size_t utf8_tidy_label(const char *s, char *out) {
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s), i = 0, o = 0;
    bool space = false; /* a run of spaces is pending: written before the next letter */
    while (i < len) {
        size_t n;
        uint32_t c = decode(p + i, &n);
        if (is_space(c)) {
            space = o > 0;
        } else {
            if (space) out[o++] = ' ';
            space = false;
            memcpy(out + o, s + i, n);
            o += n;
        }
        i += n;
    }
    out[o] = '\0';
    return o;
}

/* Simple lower case of the Latin letters French and its neighbours write;
 * everything else is left as it is. */
static uint32_t latin_lower(uint32_t c) {
    if (c >= 'A' && c <= 'Z') return c + 32;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32; /* À..Þ, not × */
    if (c == 0x178) return 0xFF;                             /* Ÿ */
    if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) return c | 1; /* pairs: upper even */
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return c & 1 ? c + 1 : c; /* upper odd */
    return c;
}

size_t utf8_label_key(const char *s, char *out) {
    size_t len = utf8_tidy_label(s, out), i = 0, o = 0;
    const unsigned char *p = (const unsigned char *)out;
    /* In place: each lower-case letter here is as long as its capital (İ, the
     * one Latin-A capital whose lower case is shorter, maps to itself). */
    while (i < len) {
        size_t n;
        uint32_t c = decode(p + i, &n);
        uint32_t l = c == 0x130 ? c : latin_lower(c);
        size_t m = encode(l, out + o);
        o += m;
        i += n;
    }
    out[o] = '\0';
    return o;
}

size_t utf8_control_at(const char *s, size_t len, size_t i) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c == 0x7f) return 1;
    if (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] <= 0x9f) return 2; /* C2 80..C2 9F: U+0080-U+009F */
    return 0;
}

/* Unicode's format controls (general category Cf, Unicode 15), as ranges of
 * code points in order. */
static const uint32_t format_controls[][2] = {
    {0x00AD, 0x00AD},   {0x0600, 0x0605},   {0x061C, 0x061C},   {0x06DD, 0x06DD},   {0x070F, 0x070F},
    {0x0890, 0x0891},   {0x08E2, 0x08E2},   {0x180E, 0x180E},   {0x200B, 0x200F},   {0x202A, 0x202E},
    {0x2060, 0x2064},   {0x2066, 0x206F},   {0xFEFF, 0xFEFF},   {0xFFF9, 0xFFFB},   {0x110BD, 0x110BD},
    {0x110CD, 0x110CD}, {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0001, 0xE0001},
    {0xE0020, 0xE007F},
};

static bool is_format_control(uint32_t c) {
    for (size_t k = 0; k < sizeof format_controls / sizeof *format_controls && c >= format_controls[k][0]; k++)
        if (c <= format_controls[k][1]) return true;
    return false;
}

static bool is_joiner(uint32_t c) { return c == 0x200C || c == 0x200D; }
static bool is_tag(uint32_t c) { return c >= 0xE0020 && c <= 0xE007F; }

/* A format control that writing needs, where it is: a zero-width joiner or
 * non-joiner between two visible characters (emoji sequences such as
 * 👩‍💻, Persian and Indic scripts), or a tag character after the black flag
 * or another tag (subdivision flags such as 🏴 + tags for Scotland). */
static bool needed_control(uint32_t prev, uint32_t c, uint32_t next) {
    if (is_joiner(c))
        return prev && next && !is_space(prev) && !is_space(next) && !is_joiner(prev) && !is_joiner(next) &&
               !is_format_control(next);
    if (is_tag(c)) return prev == 0x1F3F4 || is_tag(prev);
    return false;
}

bool utf8_has_invisible(const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s;
    uint32_t prev = 0;
    for (size_t i = 0, n; i < len; i += n) {
        if (utf8_control_at(s, len, i)) return true;
        uint32_t c = decode(p + i, &n);
        size_t m = 0;
        uint32_t next = i + n < len ? decode(p + i + n, &m) : 0;
        if (c == 0x2028 || c == 0x2029 || (is_format_control(c) && !needed_control(prev, c, next))) return true;
        prev = c;
    }
    return false;
}

/* Only spaces (is_space), or nothing at all. */
static bool blank(const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0, n; i < len; i += n)
        if (!is_space(decode(p + i, &n))) return false;
    return true;
}

bool utf8_valid_label(const char *s, size_t max_cps) {
    if (!s) return false;
    size_t n = strlen(s);
    if (!utf8_valid(s, n) || utf8_has_invisible(s, n) || blank(s, n)) return false;
    size_t cps = utf8_count(s, n);
    return cps >= 1 && cps <= max_cps;
}

bool utf8_valid_line(const char *s, size_t max_cps) {
    if (!s) return false;
    size_t n = strlen(s);
    if (n == 0 || !utf8_valid(s, n)) return false;
    bool blank_line = true;
    for (size_t i = 0; i < n; i++) {
        if (utf8_control_at(s, n, i)) return false;
        if (s[i] != ' ') blank_line = false;
    }
    size_t cps = utf8_count(s, n);
    return !blank_line && cps >= 1 && cps <= max_cps;
}
