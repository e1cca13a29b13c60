/* pace.h -- how often a server may flush its queued messages: a budget of
 * writes (one per connection a flush writes to) per second, as a token
 * bucket.
 *
 * A flush writes each connection's queue in one send, whatever its length.
 * While the writes wanted stay within the budget, every flush goes at once
 * (a small workshop keeps its latency). When an audience is so large that
 * one flush per message would exceed it (10,000 people: one op is 10,000
 * writes), the next flush waits until the bucket has the writes it spent:
 * the delay grows with the audience and the op rate, each connection gets
 * several messages per write, and the writes per second stay at the budget.
 * The delay never exceeds max_wait_us (latency matters more than the budget
 * past that point). README, "Delivery under load".
 *
 * Pure: times are handed in (µs on any monotonic clock). */
#ifndef ATELIER_PACE_H
#define ATELIER_PACE_H

#include <stdint.h>

typedef struct pace {
    double per_us;             /* writes the budget adds per microsecond */
    double burst;              /* most writes the bucket holds (what goes at once after a quiet spell) */
    double tokens;             /* writes in the bucket at at_us (negative: owed) */
    int64_t at_us;             /* when tokens was last brought up to date */
    int64_t max_wait_us;       /* the longest a flush is held back */
} pace;

/* A budget of writes_per_s writes a second, burst_us worth of it at once,
 * a flush never held back more than max_wait_us. A budget of 0: no pacing. */
void pace_init(pace *p, double writes_per_s, int64_t burst_us, int64_t max_wait_us, int64_t now_us);
/* A flush at now_us wrote to `writes` connections. */
void pace_spent(pace *p, int64_t now_us, uint64_t writes);
/* How long from now_us until the next flush may go: 0 when it may now. */
int64_t pace_wait_us(const pace *p, int64_t now_us);

#endif
