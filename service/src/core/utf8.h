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
/* Bytes of the control character starting at s[i] (i < len, valid UTF-8):
 * 1 for C0 (U+0000-U+001F) and DEL, 2 for C1 (U+0080-U+009F, C2 80..C2 9F);
 * 0 when s[i] starts anything else. What is written out for people to read
 * drops these (ESC, BEL and BS would drive a terminal showing a file). */
size_t utf8_control_at(const char *s, size_t len, size_t i);
/* True when valid UTF-8 s[0..len) holds a character nobody sees as such: a
 * control (C0, DEL, C1), a format control (Unicode category Cf: U+200B zero
 * width space, U+202E right-to-left override, U+FEFF, the soft hyphen, the
 * tags…) or a line or paragraph separator (U+2028, U+2029). A name, an
 * organisation or a title with one could pass for another, or turn the text
 * around it backwards. But for what writing needs: a zero-width joiner or
 * non-joiner between two visible characters (👩‍💻, Persian, Indic scripts)
 * and tags after the black flag (subdivision flags). */
bool utf8_has_invisible(const char *s, size_t len);
/* A label as typed is acceptable: valid UTF-8 of 1 to max_cps code points,
 * nothing invisible (utf8_has_invisible), not only spaces (its tidy form,
 * utf8_tidy_label, is not empty). */
bool utf8_valid_label(const char *s, size_t max_cps);
/* A line of text people type (a poll's question, an answer, a reason):
 * valid UTF-8 of 1 to max_cps code points, without control characters
 * (U+0000-U+001F, U+007F-U+009F: no line breaks, no tabs), not only spaces. */
bool utf8_valid_line(const char *s, size_t max_cps);

#endif
