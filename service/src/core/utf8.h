/* utf8.h -- UTF-8 validation and code point arithmetic. Pure. */
#ifndef ATELIER_UTF8_H
#define ATELIER_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is valid UTF-8: no overlongs, no surrogates, <= U+10FFFF. */
bool utf8_valid(const char *s, size_t len);
/* Code points in valid UTF-8 s[0..len). */
size_t utf8_count(const char *s, size_t len);
/* Byte offset of code point index cp in valid UTF-8 s[0..len), counting
 * from a known (from_cp, from_byte) pair; returns len when cp is past the end. */
size_t utf8_offset(const char *s, size_t len, size_t from_cp, size_t from_byte, size_t cp);

/* A label as people mean it (a name, an organisation): valid UTF-8 s with
 * leading and trailing spaces dropped and each run of spaces inside made one
 * ASCII space (tabs and the Unicode spaces, no-break ones included: French
 * puts U+202F before ":"). Writes a NUL-terminated copy to out, which needs
 * strlen(s) + 1 bytes; returns its length (0: nothing but spaces). */
size_t utf8_tidy_label(const char *s, char *out);
/* The key two labels are compared by: the tidy label with Latin letters
 * (ASCII, Latin-1, Latin Extended-A) in lower case, so "Ville de Saint-Étienne"
 * and "ville de  SAINT-ÉTIENNE" are one. out needs strlen(s) + 1 bytes
 * (lower case is never longer here); returns its length. */
size_t utf8_label_key(const char *s, char *out);
/* A line of text people type (a poll's question, an answer, a reason):
 * valid UTF-8 of 1 to max_cps code points, without control characters
 * (U+0000-U+001F, U+007F-U+009F: no line breaks, no tabs), not only spaces. */
bool utf8_valid_line(const char *s, size_t max_cps);

#endif
