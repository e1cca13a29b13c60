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

#endif
