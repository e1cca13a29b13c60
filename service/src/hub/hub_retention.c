/* Retention (README, "How long data lives"): a workshop nobody wrote to for
 * the retention time (--retention-days) is deleted entirely, as DELETE
 * deletes it. Redis keeps the truth: every Function that writes a workshop
 * sets meta's `active` (store_functions.c), and atelier:retention indexes the
 * workshops by their activity as last seen there. Each server process sweeps
 * on a timer: the index's entries older than the retention are candidates,
 * and atelier_expire decides each one atomically on Redis' clock (deleted, or
 * re-scored when it was active since). The sweep keeps no state of its own,
 * so it survives restarts; several processes sweeping at once delete a
 * workshop once, and each tells its rooms through the "ID deleted"
 * announcement, as with a deletion. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/hub_internal.h"

#define SWEEP_MIN_US (1 * LWS_US_PER_SEC)
#define SWEEP_MAX_US (60 * LWS_US_PER_SEC)
#define SWEEP_BATCH 32          /* candidates looked at per sweep */

/* One candidate on its way: its code, then its polls, then atelier_expire. */
typedef struct retire {
    hub *h;
    char id[PROTO_WORKSHOP_ID_MAX + 1];
    char code[WK_CODE_LEN + 1];
} retire;

static void retire_done(retire *t) {
    t->h->retiring--;
    free(t);
}

static void expired(redisReply *reply, void *priv) {
    retire *t = priv;
    if (reply && reply->type == REDIS_REPLY_INTEGER && reply->integer > 0)
        lwsl_notice("workshop %s deleted: nothing written to it for %lld s\n", t->id,
                    (long long)(t->h->cfg.retention_ms / 1000));
    else if (reply && reply->type == REDIS_REPLY_ERROR)
        lwsl_err("retention of workshop %s: %s\n", t->id, reply->str);
    retire_done(t);
}

static void got_polls(redisReply *reply, void *priv) {
    retire *t = priv;
    char keep[SBUF_I64_MAX + 1];
    snprintf(keep, sizeof keep, "%lld", (long long)t->h->cfg.retention_ms);
    if (!reply || reply->type != REDIS_REPLY_ARRAY ||
        !hub_delete_cmd(t->h, "atelier_expire", HUB_RETENTION_KEY, t->id, t->code, reply, keep, expired, t))
        retire_done(t);
}

static void got_code(redisReply *reply, void *priv) {
    retire *t = priv;
    char kpolls[HUB_KEY_MAX];
    if (reply && reply->type == REDIS_REPLY_STRING) snprintf(t->code, sizeof t->code, "%s", reply->str);
    if (!reply || !hub_key(kpolls, sizeof kpolls, t->id, "polls") ||
        !store_cmd(t->h->store, got_polls, t, "HKEYS %s", kpolls))
        retire_done(t);
}

static void retire_start(hub *h, const char *id) {
    char kmeta[HUB_KEY_MAX];
    retire *t = calloc(1, sizeof *t);
    if (!t) return;
    t->h = h;
    h->retiring++;
    snprintf(t->id, sizeof t->id, "%s", id);
    if (!hub_key(kmeta, sizeof kmeta, id, "meta") || !store_cmd(h->store, got_code, t, "HGET %s code", kmeta))
        retire_done(t);
}

static void got_candidates(redisReply *reply, void *priv) {
    hub *h = priv;
    h->retiring--;
    if (!reply || reply->type != REDIS_REPLY_ARRAY) return;
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *e = reply->element[i];
        if (e->type == REDIS_REPLY_STRING && proto_valid_b64url(e->str, PROTO_WORKSHOP_ID_MAX)) retire_start(h, e->str);
    }
}

static lws_usec_t sweep_every(const hub *h) {
    lws_usec_t us = (lws_usec_t)h->cfg.retention_ms * 100; /* a tenth of the retention */
    return us < SWEEP_MIN_US ? SWEEP_MIN_US : us > SWEEP_MAX_US ? SWEEP_MAX_US : us;
}

static void sweep_cb(lws_sorted_usec_list_t *sul) {
    hub *h = lws_container_of(sul, hub, sul_retention);
    /* One sweep at a time: a slow Redis must not pile them up. */
    if (h->retiring == 0 && h->store && store_up(h->store)) {
        char cutoff[HUB_MS_TEXT];
        hub_ms_text(cutoff, hub_now_ms() - h->cfg.retention_ms);
        if (store_cmd(h->store, got_candidates, h, "ZRANGEBYSCORE %s -inf %s LIMIT 0 %d", HUB_RETENTION_KEY, cutoff,
                      SWEEP_BATCH))
            h->retiring++;
    }
    if (!h->stopped) lws_sul_schedule(h->ctx, 0, &h->sul_retention, sweep_cb, sweep_every(h));
}

void hub_retention_start(hub *h) {
    if (!h->stopped) lws_sul_schedule(h->ctx, 0, &h->sul_retention, sweep_cb, sweep_every(h));
}

void hub_retention_stop(hub *h) { lws_sul_cancel(&h->sul_retention); }

int64_t hub_retention_deletes_at(const hub *h, int64_t active_ms) { return active_ms + h->cfg.retention_ms; }
