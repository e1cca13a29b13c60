#include "core/resp.h"

#include <string.h>

void resp_begin(sbuf *b, size_t argc) {
    sbuf_putc(b, '*');
    sbuf_put_i64(b, (int64_t)argc);
    sbuf_put(b, "\r\n", 2);
}

/* "$N\r\n" then the bytes then "\r\n", in one reservation. */
void resp_arg(sbuf *b, const void *p, size_t n) {
    char len[SBUF_I64_MAX];
    size_t k = sbuf_i64_text(len, (int64_t)n);
    char *d = sbuf_extend(b, 1 + k + 2 + n + 2);
    if (!d) return;
    *d++ = '$';
    memcpy(d, len, k);
    d += k;
    memcpy(d, "\r\n", 2);
    d += 2;
    if (n) memcpy(d, p, n);
    memcpy(d + n, "\r\n", 2);
}

void resp_arg_i64(sbuf *b, int64_t v) {
    char d[SBUF_I64_MAX];
    resp_arg(b, d, sbuf_i64_text(d, v));
}
