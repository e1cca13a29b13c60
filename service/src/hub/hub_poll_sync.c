/* hub_poll_sync.c -- reading a poll back from Redis without losing our own
 * writes of it that are still on their way.
 *
 * A poll's model changes here before its write reaches Redis (hub_poll.c).
 * It is read back when another process changed it, when a write of ours
 * failed (it may or may not be in Redis), and when Redis is back. The answer
 * is Redis as it was when the read ran: Redis answers one connection in
 * order, so every write sent before the read is in it, and none sent after.
 * Replacing the model with an answer that misses a write of ours the model
 * already holds would drop that write from memory: the results told to
 * everyone, and written with the next ballot to the history, would miss a
 * ballot that Redis has. So each poll with a write on its way or a read out
 * has a tracker here: the writes sent, those not answered yet, and whether a
 * read is out (with the count of writes when it went). An answer is applied
 * only when no write of the poll went after its read; otherwise the poll is
 * read once more, when its writes on their way are answered. Wishes to read
 * while a read is out make one more read, not one each. A tracker goes when
 * nothing is on its way. */
#include <stdlib.h>
#include <string.h>

#include "hub/hub_internal.h"

typedef struct hub_poll_sync {
    char id[POLL_ID_MAX + 1];
    uint64_t sent;             /* writes of the poll sent to Redis */
    uint32_t inflight;         /* ... not answered yet */
    bool reading;              /* a read back is out */
    uint64_t read_at;          /* `sent` when it went */
    bool again;                /* read once more when the writes on their way are answered */
    bool tell_all;             /* a reload not only for another process's change (a write failed, Redis is
                                * back): the next read applied relays everything, not only what changed */
} hub_poll_sync;

static hub_poll_sync *find(hub_room *r, const char *id) {
    for (size_t i = 0; i < r->npsync; i++)
        if (strcmp(r->psync[i].id, id) == 0) return &r->psync[i];
    return NULL;
}

/* The poll's tracker, made when it has none; NULL when out of memory. */
static hub_poll_sync *tracker(hub_room *r, const char *id) {
    hub_poll_sync *t = find(r, id);
    if (t) return t;
    if (r->npsync == r->psync_cap) {
        size_t cap = r->psync_cap ? r->psync_cap * 2 : 4;
        hub_poll_sync *v = realloc(r->psync, cap * sizeof *v);
        if (!v) return NULL;
        r->psync = v;
        r->psync_cap = cap;
    }
    t = &r->psync[r->npsync++];
    memset(t, 0, sizeof *t);
    snprintf(t->id, sizeof t->id, "%s", id);
    return t;
}

/* A tracker with nothing on its way goes (the last one takes its place). */
static void forget_if_idle(hub_room *r, hub_poll_sync *t) {
    if (t->inflight || t->reading || t->again) return;
    *t = r->psync[--r->npsync];
}

static void read_now(hub_room *r, hub_poll_sync *t) {
    t->again = false;
    t->read_at = t->sent;
    /* false: Redis is away (hub_poll_reload_all when back) */
    t->reading = hub_poll_read_back(r, t->id, t->read_at, t->tell_all);
}

static void reload(hub_room *r, const char *poll_id, bool tell_all) {
    hub_poll_sync *t = tracker(r, poll_id);
    if (!t) { /* out of memory: read it all the same (the answer may miss a write on its way) */
        hub_poll_read_back(r, poll_id, 0, true);
        return;
    }
    t->tell_all |= tell_all;
    if (t->reading) t->again = true;
    else read_now(r, t);
    forget_if_idle(r, t);
}

void hub_poll_reload(hub_room *r, const char *poll_id) { reload(r, poll_id, true); }

void hub_poll_reload_changed(hub_room *r, const char *poll_id) { reload(r, poll_id, false); }

void hub_poll_reload_all(hub_room *r) {
    for (size_t i = 0; i < r->polls.n; i++) hub_poll_reload(r, r->polls.v[i]->id);
}

void hub_poll_sync_sent(hub_room *r, const char *poll_id) {
    hub_poll_sync *t = tracker(r, poll_id);
    if (!t) return; /* out of memory: a read back may then drop this write from memory until the next one */
    t->sent++;
    t->inflight++;
}

void hub_poll_sync_answered(hub_room *r, const char *poll_id) {
    hub_poll_sync *t = find(r, poll_id);
    if (!t) return;
    if (t->inflight) t->inflight--;
    if (!t->inflight && t->again && !t->reading) read_now(r, t);
    forget_if_idle(r, t);
}

bool hub_poll_sync_fresh(hub_room *r, const char *poll_id, uint64_t read_at) {
    hub_poll_sync *t = find(r, poll_id);
    if (!t) return true; /* no tracker (out of memory when it went): as before */
    t->reading = false;
    bool fresh = t->sent == read_at;
    if (!fresh) t->again = true; /* a write went after the read: read once it is answered */
    else t->tell_all = false;    /* this read is applied: it tells what it was asked to */
    return fresh;
}

void hub_poll_sync_read_done(hub_room *r, const char *poll_id) {
    hub_poll_sync *t = find(r, poll_id);
    if (!t) return;
    if (t->again && !t->inflight && !t->reading) read_now(r, t);
    forget_if_idle(r, t);
}

void hub_poll_sync_free(hub_room *r) {
    free(r->psync);
    r->psync = NULL;
    r->npsync = r->psync_cap = 0;
}
