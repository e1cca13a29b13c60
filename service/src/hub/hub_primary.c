/* Following a switch of Redis primary (README, "Redis with Sentinel";
 * protocol/README.md, "After a failover of Redis").
 *
 * The store says when it is up on another server than before (a Sentinel
 * promoted a replica, or a server restarted). A replica may lack the last
 * writes of the old primary (ops acknowledged under --replicas 0), so every
 * loaded room is compared with the new server before anything of it is
 * written there: the stream must hold the last event the room has seen.
 *
 *   - It does: the room catches up, as after any missed announcement (other
 *     processes may have written since), and its clients notice nothing.
 *   - It does not: what the room holds is ahead of the server, or a history
 *     the server no longer has. The room leaves the table (the next join
 *     loads it from the new primary) and, once meta's `resync_until` says
 *     so on the new primary (atelier_resync), its connections are closed
 *     with 1012, so that each client resumes. Until then (HUB_RESYNC_MS),
 *     every resume of that workshop on any process is given the whole text,
 *     never ops since its revision: the new primary may have reached that
 *     revision with other ops. The client rebases its unacknowledged edits
 *     onto that text. The time is in Redis, not in this process's memory,
 *     because a client closed here may resume on another process (behind
 *     haproxy): that one reads it when it loads the workshop, or hears it
 *     (the Function publishes "ID resync UNTIL_MS") when it has it loaded. */
#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>

#include "core/api.h"
#include "hub/hub_internal.h"

#define HUB_RESYNC_MS (10 * 60 * 1000) /* a workshop's resumes get the whole text this long after a loss */
#define HUB_RESYNC_CLOSE 1012          /* "service restart": the client reconnects and resumes */
#define HUB_RESYNC_WHY "storage failover: rejoin to resync"

void hub_primary_switched(void *ud) {
    hub *h = ud;
    HUB_FOR_EACH_ROOM(h, r)
        if (r->state == ROOM_READY) r->unchecked = true;
}

bool hub_primary_resyncing(const hub_room *r) {
    return r->resync_until_ms > hub_now_ms();
}

void hub_primary_notified(hub_room *r, const char *until, size_t len) {
    char text[24];
    int64_t ms;
    if (len >= sizeof text) return;
    memcpy(text, until, len);
    text[len] = '\0';
    if (api_read_int(text, 0, PROTO_SAFE_INT_MAX, &ms) && ms > r->resync_until_ms) r->resync_until_ms = ms;
}

/* Close r's connections: each client resumes (on this process or another)
 * and is given the whole text. The reference resync() took goes. */
static void close_for_resync(hub_room *r) {
    for (size_t i = 0; i < r->nsess; i++) net_close(r->hub->net, r->sessions[i]->conn, HUB_RESYNC_CLOSE, HUB_RESYNC_WHY);
    hub_room_linger_end(r);
    hub_room_unref(r);
}

/* atelier_resync answered: the new primary says resumes get the whole text. */
static void marked(redisReply *reply, void *priv) {
    hub_room *r = priv;
    if (!reply || reply->type == REDIS_REPLY_ERROR)
        lwsl_err("workshop %s: resync_until not stored (%s): a resume on another process may get ops rather than the text\n",
                 r->id, reply ? reply->str : "Redis down");
    close_for_resync(r);
}

/* The new primary lacks what r holds: its clients start again from what
 * the new primary has. */
static void resync(hub_room *r) {
    hub *h = r->hub;
    lwsl_warn("workshop %s: the Redis primary lacks its revisions up to %lld: %zu connection(s) resync\n", r->id,
              (long long)r->w->rev, r->nsess);
    r->unchecked = false;
    hub_room_refuse_all(r, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE_OP);
    r->state = ROOM_FAILED; /* out of the table: ops on its last connections are refused (hub_room_pump) */
    hub_room_detach(r);
    char until[HUB_MS_TEXT];
    hub_ms_text(until, hub_now_ms() + HUB_RESYNC_MS);
    hub_room_ref(r); /* until its connections are closed */
    if (!store_cmd(h->store, marked, r, "FCALL atelier_resync 1 %s %s", r->k_meta, until)) marked(NULL, r);
}

/* The event r saw last, as the new primary has it (the first entry of the
 * reply, when its id is the same): the same op at the same revision. */
static bool same_last_event(const hub_room *r, const redisReply *reply) {
    const workshop *w = r->w;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) return false;
    hub_stream_op op;
    bool is_op = hub_stream_read_op(reply->element[0], &op);
    if (!op.event || strcmp(op.event, w->last_event) != 0) return false;
    if (!is_op) return true;
    const wk_entry *e = wk_window_at(w, w->rev - 1);
    return op.rev == w->rev - 1 && (!e || !e->opid || (op.opid && strcmp(op.opid, e->opid) == 0));
}

static void checked(redisReply *reply, void *priv) {
    hub_room *r = priv;
    if (!reply || r->state != ROOM_READY) { /* down again: checked at the next up */
        r->catching_up = false;
        if (r->state == ROOM_READY) hub_room_refuse_all(r, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE_OP);
        hub_room_unref(r);
        return;
    }
    if (same_last_event(r, reply)) {
        r->unchecked = false;
        hub_room_caught_up(reply, r); /* the entries after it: other processes' writes since */
        return;
    }
    r->catching_up = false;
    resync(r);
    hub_room_unref(r);
}

/* Read the new primary's stream from r's last event on (inclusive). */
static void check(hub_room *r) {
    workshop *w = r->w;
    if (w->in_flight || r->catching_up) return; /* cannot be, right after an up: checked at the next one */
    if (!w->last_event[0]) { /* nothing seen to compare: as after a missed announcement */
        r->unchecked = false;
        hub_room_catch_up(r);
        return;
    }
    r->catching_up = true; /* no batch, no catch-up meanwhile */
    if (!hub_room_cmd(r, checked, r, "XRANGE %s %s +", r->k_events, w->last_event)) r->catching_up = false;
}

void hub_primary_check_all(hub *h) {
    HUB_FOR_EACH_ROOM(h, r)
        if (r->state == ROOM_READY && r->unchecked) check(r);
}
