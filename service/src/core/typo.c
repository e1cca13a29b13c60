#include "core/typo.h"

#include <stdbool.h>
#include <string.h>

#define GUILLEMET_OPEN "\xC2\xAB"  /* « */
#define GUILLEMET_CLOSE "\xC2\xBB" /* » */

/* Bytes of the spaces that may stand before French punctuation at s[0..len):
 * ASCII, no-break (U+00A0), thin (U+2009) and narrow no-break (U+202F),
 * one or several. */
static size_t spaces_at(const char *s, size_t len) {
    size_t i = 0;
    for (;;) {
        if (i < len && s[i] == ' ') i += 1;
        else if (i + 2 <= len && memcmp(s + i, "\xC2\xA0", 2) == 0) i += 2;
        else if (i + 3 <= len && (memcmp(s + i, "\xE2\x80\x89", 3) == 0 || memcmp(s + i, TYPO_NNBSP, 3) == 0)) i += 3;
        else return i;
    }
}

/* What the last character written was, for the mark that may follow. */
typedef enum {
    PREV_NOTHING,  /* the start of the text or of a line */
    PREV_OPENING,  /* an opening bracket or quote: "(?)" keeps its "?" close */
    PREV_MARK,     /* one of ? ! : ;: in "?!" only the first takes a space */
    PREV_DIGIT,    /* "14:05" */
    PREV_OTHER,    /* a letter, a closing mark, anything else */
} prev_kind;

static prev_kind kind_of(const char *c, size_t n) {
    if (n == 1 && *c == '\n') return PREV_NOTHING;
    if (n == 1 && strchr("?!:;", *c)) return PREV_MARK;
    if (n == 1 && strchr("([{", *c)) return PREV_OPENING;
    if (n == 1 && *c >= '0' && *c <= '9') return PREV_DIGIT;
    if ((n == 2 && memcmp(c, GUILLEMET_OPEN, 2) == 0) ||
        (n == 3 && (memcmp(c, "\xE2\x80\x9C", 3) == 0 || memcmp(c, "\xE2\x80\x98", 3) == 0))) /* “ ‘ */
        return PREV_OPENING;
    return PREV_OTHER;
}

/* Bytes of the UTF-8 character at s (1 for a stray byte: never split). */
static size_t char_len(const char *s, size_t len) {
    unsigned char c = (unsigned char)s[0];
    size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return n <= len ? n : 1;
}

static bool is_mark(char c) { return c == '?' || c == '!' || c == ':' || c == ';'; }

/* A ":" that is not French punctuation: in a time or a ratio, or "://". */
static bool plain_colon(prev_kind prev, const char *rest, size_t len) {
    if (prev == PREV_DIGIT && len > 0 && rest[0] >= '0' && rest[0] <= '9') return true;
    return len >= 2 && rest[0] == '/' && rest[1] == '/';
}

/* Whether the mark at s (of the text's len bytes left) takes a narrow space
 * before it, given what was written before it. */
static bool takes_space(const char *s, size_t len, prev_kind prev) {
    if (len >= 2 && memcmp(s, GUILLEMET_CLOSE, 2) == 0) return true;
    if (!is_mark(s[0]) || prev == PREV_MARK) return false;
    return !(s[0] == ':' && plain_colon(prev, s + 1, len - 1));
}

void typo_fr(sbuf *out, const char *s, size_t len) {
    prev_kind prev = PREV_NOTHING;
    bool spaced = false; /* the last thing written was a space */
    size_t i = 0;
    while (i < len) {
        size_t sp = spaces_at(s + i, len - i);
        if (sp > 0) { /* spaces before a mark become one narrow no-break space */
            bool narrow = i + sp < len && takes_space(s + i + sp, len - i - sp, prev);
            if (narrow) sbuf_puts(out, TYPO_NNBSP);
            else sbuf_put(out, s + i, sp);
            i += sp;
            spaced = true;
            continue;
        }
        size_t n = char_len(s + i, len - i);
        bool close = n == 2 && memcmp(s + i, GUILLEMET_CLOSE, 2) == 0;
        if (!spaced && (close ? prev != PREV_NOTHING && prev != PREV_OPENING
                              : (prev == PREV_OTHER || prev == PREV_DIGIT) && takes_space(s + i, len - i, prev)))
            sbuf_puts(out, TYPO_NNBSP);
        sbuf_put(out, s + i, n);
        i += n;
        prev = kind_of(s + i - n, n);
        spaced = false;
        if (n == 2 && memcmp(s + i - 2, GUILLEMET_OPEN, 2) == 0) { /* and the space after « */
            size_t after = spaces_at(s + i, len - i);
            if (after > 0 || (i < len && s[i] != '\n')) {
                sbuf_puts(out, TYPO_NNBSP);
                spaced = true;
            }
            i += after;
        }
    }
}
