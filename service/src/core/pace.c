/* The flush pacer (pace.h). */
#include "core/pace.h"

void pace_init(pace *p, double writes_per_s, int64_t burst_us, int64_t max_wait_us, int64_t now_us) {
    p->per_us = writes_per_s > 0 ? writes_per_s / 1e6 : 0;
    p->burst = p->per_us * (double)burst_us;
    if (p->burst < 1) p->burst = 1;
    p->tokens = p->burst;
    p->at_us = now_us;
    p->max_wait_us = max_wait_us;
}

/* The bucket at now_us: refilled for the time since at_us, never past burst. */
static double tokens_at(const pace *p, int64_t now_us) {
    double t = p->tokens;
    if (now_us > p->at_us) t += (double)(now_us - p->at_us) * p->per_us;
    return t > p->burst ? p->burst : t;
}

void pace_spent(pace *p, int64_t now_us, uint64_t writes) {
    if (p->per_us <= 0) return;
    p->tokens = tokens_at(p, now_us) - (double)writes;
    /* Owe at most one longest wait: past the budget, flushes go every
     * max_wait_us, and the pace is back to normal once the load falls. */
    double most_owed = p->per_us * (double)p->max_wait_us;
    if (p->tokens < -most_owed) p->tokens = -most_owed;
    p->at_us = now_us > p->at_us ? now_us : p->at_us;
}

int64_t pace_wait_us(const pace *p, int64_t now_us) {
    if (p->per_us <= 0) return 0;
    double t = tokens_at(p, now_us);
    if (t >= 0) return 0;
    double wait = -t / p->per_us;
    /* Held back at most max_wait_us from the flush that overspent. */
    int64_t since = now_us - p->at_us;
    int64_t left = p->max_wait_us - (since > 0 ? since : 0);
    if (left <= 0) return 0;
    return wait < (double)left ? (int64_t)wait + 1 : left;
}
