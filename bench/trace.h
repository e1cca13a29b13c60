/* trace.h -- sequential editing traces (shared/traces format) turned into
 * ready-to-send ot-text-unicode ops, one op per transaction. */
#ifndef BENCH_TRACE_H
#define BENCH_TRACE_H

#include <stddef.h>

typedef struct trace {
    size_t ntx;          /* ops to send: one per transaction, more for oversized ones */
    size_t ntxn;         /* transactions */
    size_t nsplit;       /* extra ops from transactions too big for one message */
    size_t npatches;
    size_t multi;        /* transactions with more than one patch */
    char *ops;           /* all ops' JSON arrays back to back */
    size_t *off;         /* op i is ops[off[i] .. off[i+1]) */
    char *start;         /* startContent, UTF-8 */
    size_t start_len;
    char *end;           /* endContent, UTF-8 */
    size_t end_len;
    size_t end_cps;
    size_t max_op_bytes;
} trace;

/* Load a .json.gz (or plain .json) trace, compose each transaction's patches
 * into one op, and check locally that applying all ops to startContent gives
 * endContent. Returns 0, or -1 with a message in err. */
int trace_load(const char *path, trace *t, char *err, size_t errsz);
void trace_free(trace *t);

/* Code points in valid UTF-8. */
size_t utf8_cps(const char *s, size_t n);

#endif
