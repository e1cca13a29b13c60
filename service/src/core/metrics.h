/* metrics.h -- counters, gauges and a latency histogram written in the
 * Prometheus text format 0.0.4 (GET /metrics, README "Metrics"). Counting is
 * a plain increment in the structs of the layer that counts (hub, net,
 * store); this file only keeps the histogram and writes the text. Pure. */
#ifndef ATELIER_METRICS_H
#define ATELIER_METRICS_H

#include <stdint.h>

#include "core/sbuf.h"

#define METRICS_BUCKETS 12      /* histogram buckets, +Inf not counted */

/* Durations in seconds, by upper bound (METRICS_BUCKET_BOUNDS). */
typedef struct metrics_histogram {
    uint64_t bucket[METRICS_BUCKETS]; /* observations at or under each bound (not cumulative: written so) */
    uint64_t count;                   /* every observation */
    double sum;                       /* their total, in seconds */
} metrics_histogram;

/* Bucket upper bounds, in seconds: 0.25 ms to 2.5 s. */
extern const double METRICS_BUCKET_BOUNDS[METRICS_BUCKETS];

void metrics_observe(metrics_histogram *h, double seconds);

/* "# HELP", "# TYPE" and the sample of a metric without labels. */
void metrics_counter(sbuf *b, const char *name, const char *help, uint64_t value);
void metrics_gauge(sbuf *b, const char *name, const char *help, double value);
/* "# HELP" and "# TYPE" alone, before samples with labels. */
void metrics_head(sbuf *b, const char *name, const char *help, const char *type);
/* name{label="value"} n: value is a code of ours ([a-z_]), written as is. */
void metrics_labelled(sbuf *b, const char *name, const char *label, const char *value, uint64_t n);
/* A histogram: its cumulative buckets, +Inf, sum and count. */
void metrics_histogram_write(sbuf *b, const char *name, const char *help, const metrics_histogram *h);

#endif
