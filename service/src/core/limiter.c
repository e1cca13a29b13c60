#include "core/limiter.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

bool limiter_init(limiter *l, size_t keys, double per_minute, double burst) {
    size_t cap = LIMITER_WINDOW;
    while (cap < keys) cap *= 2;
    memset(l, 0, sizeof *l);
    l->slots = calloc(cap, sizeof *l->slots);
    if (!l->slots) return false;
    l->cap = cap;
    l->per_us = per_minute / 60e6;
    l->burst = burst;
    return true;
}

void limiter_free(limiter *l) {
    free(l->slots);
    memset(l, 0, sizeof *l);
}

static size_t hash(const char *key) {
    uint32_t x = 2166136261u;
    for (; *key; key++) x = (x ^ (unsigned char)*key) * 16777619u;
    return x;
}

/* The slot's tokens at now, refilled. */
static double tokens_now(const limiter *l, const limiter_slot *s, int64_t now_us) {
    double t = s->tokens + (double)(now_us - s->at_us) * l->per_us;
    return t > l->burst ? l->burst : t;
}

/* A slot that holds nothing worth keeping: never used, or full again. */
static bool reusable(const limiter *l, const limiter_slot *s, int64_t now_us) {
    return !s->key[0] || tokens_now(l, s, now_us) >= l->burst;
}

/* Whole seconds (at least 1) until the slot has `want` tokens. */
static int seconds_until(const limiter *l, const limiter_slot *s, int64_t now_us, double want) {
    double missing = want - tokens_now(l, s, now_us);
    double secs = missing > 0 && l->per_us > 0 ? ceil(missing / l->per_us / 1e6) : 1;
    return secs < 1 ? 1 : secs > 86400 ? 86400 : (int)secs;
}

/* The key's slot in its window, or a reusable one given to it, or NULL. */
static limiter_slot *slot_for(limiter *l, const char *key, int64_t now_us, int *retry_s) {
    size_t start = hash(key) & (l->cap - 1);
    limiter_slot *free_slot = NULL;
    int soonest = 0;
    for (size_t i = 0; i < LIMITER_WINDOW; i++) {
        limiter_slot *s = &l->slots[(start + i) & (l->cap - 1)];
        if (s->key[0] && strcmp(s->key, key) == 0) return s;
        if (!free_slot && reusable(l, s, now_us)) free_slot = s;
        int wait = seconds_until(l, s, now_us, l->burst);
        if (!soonest || wait < soonest) soonest = wait;
    }
    if (free_slot) {
        size_t n = strlen(key); /* under LIMITER_KEY_MAX: limiter_take cut it */
        memcpy(free_slot->key, key, n + 1);
        free_slot->tokens = l->burst;
        free_slot->at_us = now_us;
    }
    *retry_s = soonest;
    return free_slot;
}

bool limiter_take(limiter *l, const char *key, int64_t now_us, int *retry_s) {
    char k[LIMITER_KEY_MAX];
    size_t n = strnlen(key, sizeof k - 1);
    memcpy(k, key, n);
    k[n] = '\0';
    limiter_slot *s = slot_for(l, k[0] ? k : "?", now_us, retry_s);
    if (!s) return false; /* the window is full of busy keys */
    s->tokens = tokens_now(l, s, now_us);
    s->at_us = now_us;
    if (s->tokens >= 1) {
        s->tokens -= 1;
        return true;
    }
    *retry_s = seconds_until(l, s, now_us, 1);
    return false;
}
