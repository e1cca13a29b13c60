#include "core/sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sbuf_init(sbuf *b, size_t head) {
    memset(b, 0, sizeof *b);
    b->head = head;
}

void sbuf_free(sbuf *b) {
    free(b->buf);
    size_t head = b->head;
    sbuf_init(b, head);
}

void sbuf_reset(sbuf *b) {
    b->len = 0;
    b->oom = false;
    if (b->buf) b->buf[b->head] = '\0';
}

bool sbuf_ok(const sbuf *b) { return !b->oom; }

static bool sbuf_reserve(sbuf *b, size_t more) {
    if (b->oom) return false;
    size_t need = b->head + b->len + more + 1;
    if (need <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) cap *= 2;
    char *p = realloc(b->buf, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->buf = p;
    b->cap = cap;
    return true;
}

char *sbuf_extend(sbuf *b, size_t n) {
    if (!sbuf_reserve(b, n)) return NULL;
    char *p = b->buf + b->head + b->len;
    b->len += n;
    b->buf[b->head + b->len] = '\0';
    return p;
}

void sbuf_put_grow(sbuf *b, const void *p, size_t n) {
    char *dst = sbuf_extend(b, n);
    if (dst && n) memcpy(dst, p, n);
}

/* sbuf_printf writes on the stack first: most messages' pieces fit. */
#define PRINTF_STACK_MAX 256

void sbuf_printf(sbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char tmp[PRINTF_STACK_MAX];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = true;
        return;
    }
    if ((size_t)n < sizeof tmp) {
        sbuf_put(b, tmp, (size_t)n);
        return;
    }
    char *dst = sbuf_extend(b, (size_t)n);
    if (!dst) return;
    va_start(ap, fmt);
    vsnprintf(dst, (size_t)n + 1, fmt, ap);
    va_end(ap);
}

/* By hand rather than with snprintf: every ack and broadcast carries a
 * revision, and a printf call parses its format and consults the locale.
 * Two digits per division. */
size_t sbuf_i64_text(char *dst, int64_t v) {
    static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                "8081828384858687888990919293949596979899";
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    size_t n = 1; /* digits */
    for (uint64_t p = 10; n < 20 && u >= p; p *= 10) n++;
    size_t len = n + (v < 0);
    char *p = dst + len; /* written backwards, straight into place */
    while (u >= 100) {
        unsigned k = (unsigned)(u % 100) * 2;
        u /= 100;
        *--p = pairs[k + 1];
        *--p = pairs[k];
    }
    if (u >= 10) {
        *--p = pairs[u * 2 + 1];
        *--p = pairs[u * 2];
    } else {
        *--p = (char)('0' + u);
    }
    if (v < 0) *--p = '-';
    return len;
}

void sbuf_put_i64(sbuf *b, int64_t v) {
    char tmp[SBUF_I64_MAX];
    sbuf_put(b, tmp, sbuf_i64_text(tmp, v));
}

void sbuf_put_jstr(sbuf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    sbuf_putc(b, '"');
    size_t run = 0; /* bytes copied verbatim since the last escape */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        sbuf_put(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': sbuf_put(b, "\\\"", 2); break;
        case '\\': sbuf_put(b, "\\\\", 2); break;
        case '\n': sbuf_put(b, "\\n", 2); break;
        case '\r': sbuf_put(b, "\\r", 2); break;
        case '\t': sbuf_put(b, "\\t", 2); break;
        default: {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            sbuf_put(b, e, 6);
        }
        }
    }
    sbuf_put(b, s + run, n - run);
    sbuf_putc(b, '"');
}
