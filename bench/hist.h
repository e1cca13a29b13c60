/* hist.h -- latency histogram with bounded memory and ~1.6 % resolution.
 *
 * Why not keep every sample: a throughput run delivers millions of messages;
 * a log-linear histogram (64 linear sub-buckets per power of two of
 * nanoseconds) keeps percentiles within 1/64 of the true value in 30 KB. */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stdint.h>

#define HIST_SUB 64
#define HIST_BUCKETS (59 * HIST_SUB)

typedef struct hist {
    uint64_t count;
    uint64_t max, min;
    double sum;
    uint32_t b[HIST_BUCKETS];
} hist;

void hist_init(hist *h);
void hist_add(hist *h, uint64_t ns);
/* Value (ns) below which fraction q of the samples fall (upper edge of the
 * bucket, capped at the exact maximum). 0 when empty. */
uint64_t hist_quantile(const hist *h, double q);
void hist_merge(hist *dst, const hist *src);

#endif
