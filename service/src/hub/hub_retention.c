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
 * announcement, as with a deletion.
 *
 * Workshops written before retention existed have no entry in the index:
 * once per process start, a SCAN of every workshop's meta key (in batches,
 * one after the other) hands each to atelier_index, which indexes it by its
 * last activity unless it is indexed already. Idempotent: several processes
 * and restarts doing it again change nothing. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/hub_internal.h"

#define SWEEP_MIN_US (1 * LWS_US_PER_SEC)
#define SWEEP_MAX_US (60 * LWS_US_PER_SEC)
#define SWEEP_BATCH 32          /* candidates looked at per sweep */
#define INDEX_SCAN_COUNT "1000" /* keys a SCAN of the index pass looks at */
#define INDEX_FIRST_US (1 * LWS_US_PER_SEC)     /* from the start to the first batch, and again while Redis is away */
#define INDEX_PAUSE_US (10 * LWS_US_PER_MS)     /* between batches: other commands go first */

/* One candidate on its way: its code, then its polls, then atelier_expire. */
typedef struct retire {
    hub *h;
    char id[PROTO_WORKSHOP_ID_MAX + 1];
    char code[WK_CODE_LEN + 1];
    char partnership[SERIES_ID_MAX + 1]; /* "" when in none: the partnership it leaves */
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
        !hub_delete_cmd(t->h, "atelier_expire", HUB_RETENTION_KEY, t->id, t->code, t->partnership, reply, keep,
                        expired, t))
        retire_done(t);
}

static void got_code(redisReply *reply, void *priv) {
    retire *t = priv;
    char kpolls[HUB_KEY_MAX];
    bool read = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2;
    const char *code = read ? hub_reply_text(reply, 0) : "", *partnership = read ? hub_reply_text(reply, 1) : "";
    snprintf(t->code, sizeof t->code, "%s", code);
    snprintf(t->partnership, sizeof t->partnership, "%s", series_valid_id(partnership) ? partnership : "");
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
    if (!hub_key(kmeta, sizeof kmeta, id, "meta") || !store_cmd(h->store, got_code, t, "HMGET %s code partnership", kmeta))
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
    if (!h->stopped) lws_sul_schedule_wakesuspend(h->ctx, 0, &h->sul_retention, sweep_cb, sweep_every(h));
}

/* ---- The index pass: workshops from before retention ---- */

static void index_cb(lws_sorted_usec_list_t *sul);

static void index_next(hub *h, lws_usec_t us) {
    if (!h->stopped) lws_sul_schedule_wakesuspend(h->ctx, 0, &h->sul_index, index_cb, us);
}

/* A batch ends when its last answer came: the next SCAN, or the end. */
static void index_batch_done(hub *h) {
    if (--h->indexing > 0) return;
    if (strcmp(h->index_cursor, "0") != 0) {
        index_next(h, INDEX_PAUSE_US);
        return;
    }
    h->indexed = true;
    if (h->index_added)
        lwsl_notice("retention: %zu workshops from before it indexed by their last activity\n", h->index_added);
}

static void got_indexed(redisReply *reply, void *priv) {
    hub *h = priv;
    if (reply && reply->type == REDIS_REPLY_INTEGER && reply->integer == 1) h->index_added++;
    else if (reply && reply->type == REDIS_REPLY_ERROR) lwsl_err("retention index: %s\n", reply->str);
    index_batch_done(h);
}

/* "atelier:{w:ID}:meta" -> ID, when it is one. */
static bool meta_key_id(const char *key, char id[PROTO_WORKSHOP_ID_MAX + 1]) {
    static const char lead[] = "atelier:{w:", tail[] = "}:meta";
    size_t n = strlen(key), nlead = sizeof lead - 1, ntail = sizeof tail - 1;
    if (n <= nlead + ntail || n - nlead - ntail > PROTO_WORKSHOP_ID_MAX || strncmp(key, lead, nlead) != 0 ||
        strcmp(key + n - ntail, tail) != 0)
        return false;
    memcpy(id, key + nlead, n - nlead - ntail);
    id[n - nlead - ntail] = '\0';
    return proto_valid_b64url(id, PROTO_WORKSHOP_ID_MAX);
}

static void index_one(hub *h, const char *key) {
    char id[PROTO_WORKSHOP_ID_MAX + 1], kevents[HUB_KEY_MAX];
    if (!meta_key_id(key, id) || !hub_key(kevents, sizeof kevents, id, "events")) return;
    if (store_cmd(h->store, got_indexed, h, "FCALL atelier_index 3 %s %s %s", HUB_RETENTION_KEY, key, kevents))
        h->indexing++;
}

/* SCAN's answer: [next cursor, [keys]]. The batch holds one count of its
 * own until every key is sent, so that it ends once, after all of them. */
static void got_scan(redisReply *reply, void *priv) {
    hub *h = priv;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[0]->type != REDIS_REPLY_STRING || reply->element[1]->type != REDIS_REPLY_ARRAY ||
        reply->element[0]->len >= sizeof h->index_cursor) {
        h->indexing--;
        index_next(h, INDEX_FIRST_US); /* the same batch again once Redis answers */
        return;
    }
    snprintf(h->index_cursor, sizeof h->index_cursor, "%s", reply->element[0]->str);
    const redisReply *keys = reply->element[1];
    for (size_t i = 0; i < keys->elements; i++)
        if (keys->element[i]->type == REDIS_REPLY_STRING) index_one(h, keys->element[i]->str);
    index_batch_done(h);
}

static void index_cb(lws_sorted_usec_list_t *sul) {
    hub *h = lws_container_of(sul, hub, sul_index);
    if (h->indexed || h->indexing) return;
    if (!h->store || !store_up(h->store) ||
        !store_cmd(h->store, got_scan, h, "SCAN %s MATCH atelier:{w:*}:meta COUNT " INDEX_SCAN_COUNT " TYPE hash",
                   h->index_cursor)) {
        index_next(h, INDEX_FIRST_US);
        return;
    }
    h->indexing++;
}

void hub_retention_start(hub *h) {
    if (!h->stopped) lws_sul_schedule_wakesuspend(h->ctx, 0, &h->sul_retention, sweep_cb, sweep_every(h));
    if (!h->indexed && !h->indexing) {
        if (!h->index_cursor[0]) snprintf(h->index_cursor, sizeof h->index_cursor, "0");
        index_next(h, INDEX_FIRST_US);
    }
}

void hub_retention_stop(hub *h) {
    lws_sul_cancel(&h->sul_retention);
    lws_sul_cancel(&h->sul_index);
}

int64_t hub_retention_deletes_at(const hub *h, int64_t active_ms) { return active_ms + h->cfg.retention_ms; }

int64_t hub_retention_deletes_at_meta(const hub *h, const char *active, int64_t created) {
    char *end;
    long long ms = active ? strtoll(active, &end, 10) : 0;
    return hub_retention_deletes_at(h, active && *active && !*end && ms > 0 ? ms : created);
}
