/* sbuf.h -- a growable byte buffer with JSON writing helpers.
 *
 * Server messages are built with these rather than with cJSON: a broadcast is
 * encoded once per op and sent to every connection, so it must be cheap.
 * Allocation failure is sticky: check sbuf_ok() once at the end. */
#ifndef ATELIER_SBUF_H
#define ATELIER_SBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sbuf {
    char *buf;     /* bytes, NUL-terminated when len > 0 */
    size_t len;    /* bytes written */
    size_t cap;    /* bytes allocated */
    size_t head;   /* bytes reserved in front of buf (room for framing headers) */
    bool oom;      /* an allocation failed; the contents are incomplete */
} sbuf;

/* head: bytes left free before the data (e.g. LWS_PRE), so the data can be
 * handed to a writer that prepends a header in place. */
void sbuf_init(sbuf *b, size_t head);
void sbuf_free(sbuf *b);
void sbuf_reset(sbuf *b);
bool sbuf_ok(const sbuf *b);
/* The data (after the reserved head). */
static inline char *sbuf_data(const sbuf *b) { return b->buf ? b->buf + b->head : NULL; }

/* sbuf_put for when the bytes may not fit: grows the buffer. */
void sbuf_put_grow(sbuf *b, const void *p, size_t n);
/* Inline: messages are written in many small pieces, most of which fit in
 * the room already there, and a literal's length is known when compiling. */
static inline void sbuf_put(sbuf *b, const void *p, size_t n) {
    if (b->oom || b->head + b->len + n >= b->cap) { /* also when nothing is allocated yet (cap 0) */
        sbuf_put_grow(b, p, n);
        return;
    }
    char *dst = b->buf + b->head + b->len;
    if (n) __builtin_memcpy(dst, p, n);
    dst[n] = '\0';
    b->len += n;
}
static inline void sbuf_puts(sbuf *b, const char *s) { sbuf_put(b, s, __builtin_strlen(s)); }
static inline void sbuf_putc(sbuf *b, char c) { sbuf_put(b, &c, 1); }
void sbuf_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_put_i64(sbuf *b, int64_t v);
/* v in decimal at dst, which has room for SBUF_I64_MAX bytes (no NUL is
 * written); returns the length. */
#define SBUF_I64_MAX 20 /* "-9223372036854775808" */
size_t sbuf_i64_text(char *dst, int64_t v);
/* A JSON string literal, quotes included; s is valid UTF-8 of n bytes. */
void sbuf_put_jstr(sbuf *b, const char *s, size_t n);
static inline void sbuf_put_jstrz(sbuf *b, const char *s) { sbuf_put_jstr(b, s, __builtin_strlen(s)); }
/* Reserve n bytes and return a pointer to them (NULL on OOM); len grows by n. */
char *sbuf_extend(sbuf *b, size_t n);

#endif
