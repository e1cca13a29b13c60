#include "core/metrics.h"

const double METRICS_BUCKET_BOUNDS[METRICS_BUCKETS] = {0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                       0.025,   0.05,   0.1,   0.25,   1,     2.5};

void metrics_observe(metrics_histogram *h, double seconds) {
    for (int i = 0; i < METRICS_BUCKETS; i++)
        if (seconds <= METRICS_BUCKET_BOUNDS[i]) {
            h->bucket[i]++;
            break;
        }
    h->count++;
    h->sum += seconds;
}

void metrics_head(sbuf *b, const char *name, const char *help, const char *type) {
    sbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void metrics_counter(sbuf *b, const char *name, const char *help, uint64_t value) {
    metrics_head(b, name, help, "counter");
    sbuf_printf(b, "%s %llu\n", name, (unsigned long long)value);
}

void metrics_gauge(sbuf *b, const char *name, const char *help, double value) {
    metrics_head(b, name, help, "gauge");
    sbuf_printf(b, "%s %.17g\n", name, value);
}

void metrics_labelled(sbuf *b, const char *name, const char *label, const char *value, uint64_t n) {
    sbuf_printf(b, "%s{%s=\"%s\"} %llu\n", name, label, value, (unsigned long long)n);
}

void metrics_histogram_write(sbuf *b, const char *name, const char *help, const metrics_histogram *h) {
    metrics_head(b, name, help, "histogram");
    uint64_t below = 0;
    for (int i = 0; i < METRICS_BUCKETS; i++) {
        below += h->bucket[i];
        sbuf_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name, METRICS_BUCKET_BOUNDS[i], (unsigned long long)below);
    }
    sbuf_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.9f\n%s_count %llu\n", name, (unsigned long long)h->count,
                name, h->sum, name, (unsigned long long)h->count);
}
