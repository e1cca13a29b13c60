/* poll_rank.c -- ranking polls (protocol/polls.md, "Ranking polls"): a
 * ballot orders every choice; a group's tally of choice k is the sum of the
 * positions (1..n) its respondents gave k, from which come the mean rank,
 * the Borda points, and how far two groups' mean orders are apart (the
 * normalised Kendall tau distance). Everything here works on those integer
 * sums, so that ties between mean ranks are exact. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/poll.h"
#include "core/poll_internal.h"

bool poll__rank_is_order(const uint8_t *order, size_t n) {
    if (n < POLL_CHOICES_MIN || n > POLL_CHOICES_MAX) return false;
    uint32_t seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (order[i] >= n || (seen >> order[i] & 1u)) return false;
        seen |= 1u << order[i];
    }
    /* Nothing after the n positions: a ballot says every choice and nothing else. */
    for (size_t i = n; i < POLL_CHOICES_MAX; i++)
        if (order[i]) return false;
    return true;
}

void poll__rank_tally(uint32_t *all, uint32_t *org, const poll_ballot *b, size_t n, int s) {
    for (size_t i = 0; i < n; i++) {
        uint32_t position = (uint32_t)(i + 1) * (uint32_t)s; /* wraps for s = -1: unsigned subtraction */
        all[b->order[i]] += position;
        org[b->order[i]] += position;
    }
}

double poll_rank_mean(uint32_t respondents, uint32_t rank_sum) {
    return respondents ? (double)rank_sum / (double)respondents : 0;
}

uint32_t poll_rank_borda(size_t nchoices, uint32_t respondents, uint32_t rank_sum) {
    /* Each respondent gives n - position: summed, n * respondents - rank_sum. */
    return (uint32_t)nchoices * respondents - rank_sum;
}

/* -1, 0 or 1: how group x orders choices i and j (i before j: -1). Mean
 * ranks of one group share their denominator, so the sums compare exactly. */
static int order_of(const uint32_t *x, size_t i, size_t j) { return (x[i] > x[j]) - (x[i] < x[j]); }

double poll_rank_distance(const uint32_t *a, uint32_t ra, const uint32_t *b, uint32_t rb, size_t n) {
    if (n < 2 || !ra || !rb) return 0;
    unsigned halves = 0; /* discordant pairs count 2, pairs tied in one order only 1 */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            int x = order_of(a, i, j), y = order_of(b, i, j);
            if (x == y) continue;
            halves += (x == 0 || y == 0) ? 1 : 2;
        }
    double pairs = (double)(n * (n - 1) / 2);
    return (double)halves / (2 * pairs);
}
