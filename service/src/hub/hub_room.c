/* The room table and a room's lifetime: one rule, written once here. A room
 * is freed when its last reference goes (hub_internal.h lists who holds
 * one); every path that takes a reference gives it back, failures included,
 * so a join to an unknown workshop or a load cut by Redis leaves nothing.
 * A loaded room whose last connection left lingers (--room-linger-secs): a
 * timer holds one more reference for that long, so that a page reloaded, or
 * a connection that dropped and comes back, joins without a load from Redis;
 * then the room goes like any other. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/hub_internal.h"

static unsigned room_hash(const char *id) {
    unsigned x = 2166136261u;
    for (; *id; id++) x = (x ^ (unsigned char)*id) * 16777619u;
    return x % HUB_ROOM_BUCKETS;
}

hub_room *hub_room_find(hub *h, const char *id) {
    for (hub_room *r = h->rooms[room_hash(id)]; r; r = r->next)
        if (strcmp(r->id, id) == 0) return r;
    return NULL;
}

/* The one place that knows the key layout: atelier:{w:ID}:WHAT. The hash tag
 * keeps a workshop's keys in one Redis Cluster slot. */
bool hub_key(char *dst, size_t n, const char *workshop_id, const char *what) {
    int len = snprintf(dst, n, "atelier:{w:%s}:%s", workshop_id, what);
    return len > 0 && (size_t)len < n;
}

static char *key_for(const char *id, const char *what) {
    char k[HUB_KEY_MAX];
    return hub_key(k, sizeof k, id, what) ? strdup(k) : NULL;
}

void hub_room_detach(hub_room *r) {
    hub_room **pp = &r->hub->rooms[room_hash(r->id)];
    while (*pp && *pp != r) pp = &(*pp)->next;
    if (*pp) *pp = r->next;
    r->next = NULL;
}

/* Unconditionally: hub_room_unref's last step, and hub_free's. */
static void room_free(hub_room *r) {
    hub *h = r->hub;
    if (r->state != ROOM_FAILED) hub_room_detach(r);
    h->nrooms--;
    if (r->cursor_timer) lws_sul_cancel(&r->sul_cursor);
    if (r->held) lws_sul_cancel(&r->sul_hold);
    if (r->lingering) lws_sul_cancel(&r->sul_linger);
    if (r->pump_due) { /* only at shutdown: the list holds a reference */
        size_t i = 0;
        while (i < h->ndue && h->due[i] != r) i++;
        if (i < h->ndue) h->due[i] = h->due[--h->ndue];
    }
    hub_poll_room_free(r);
    hub_balance_room_free(r);
    discuss_free(&r->discuss);
    hub_crowd_room_free(r);
    for (size_t i = 0; i < r->nwaiting; i++) proto_msg_free(&r->waiting[i].msg);
    free(r->waiting);
    free(r->sessions);
    net_group_free(r->hub->net, r->group);
    wk_free(r->w);
    free(r->k_meta);
    free(r->k_events);
    free(r->k_snaps);
    free(r->k_people);
    free(r->k_lastop);
    free(r->k_marks);
    free(r->k_signoff);
    signoff_free(&r->signoff);
    free(r->k_board);
    free(r->k_groups);
    hub_board_room_free(r);
    free(r->remote);
    free(r);
}

void hub_room_ref(hub_room *r) { r->refs++; }

void hub_room_unref(hub_room *r) {
    if (--r->refs > 0) return;
    hub *h = r->hub;
    room_free(r);
    hub_trim_released(h);
}

static void linger_cb(lws_sorted_usec_list_t *sul) {
    hub_room *r = lws_container_of(sul, hub_room, sul_linger);
    r->lingering = false;
    hub_room_unref(r); /* the timer's */
}

void hub_room_linger(hub_room *r) {
    hub *h = r->hub;
    if (h->stopped || !h->cfg.room_linger_us || r->state != ROOM_READY || r->deleted || r->nsess > 0) return;
    if (!r->lingering) {
        r->lingering = true;
        hub_room_ref(r);
    }
    lws_sul_schedule_wakesuspend(h->ctx, 0, &r->sul_linger, linger_cb, h->cfg.room_linger_us); /* a later leave starts it again */
}

void hub_room_linger_end(hub_room *r) {
    if (!r->lingering) return;
    lws_sul_cancel(&r->sul_linger);
    r->lingering = false;
    hub_room_unref(r);
}

static hub_room *room_new(hub *h, const char *id) {
    hub_room *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->hub = h;
    r->state = ROOM_NEW;
    r->group = net_group_new(h->net); /* NULL: broadcasts go one queue at a time */
    snprintf(r->id, sizeof r->id, "%s", id);
    poll_list_init(&r->polls);
    signoff_init(&r->signoff);
    unsigned b = room_hash(id);
    r->next = h->rooms[b];
    h->rooms[b] = r;
    h->nrooms++;
    r->k_meta = key_for(id, "meta");
    r->k_events = key_for(id, "events");
    r->k_snaps = key_for(id, "snaps");
    r->k_people = key_for(id, "people");
    r->k_lastop = key_for(id, "lastop");
    r->k_polls = key_for(id, "polls");
    r->k_marks = key_for(id, "marks");
    r->k_balance = key_for(id, "balance");
    r->k_signoff = key_for(id, "signoff");
    r->k_board = key_for(id, "board");
    r->k_groups = key_for(id, "groups");
    board_init(&r->board);
    balance_table_init(&r->balance);
    agenda_default(&r->agenda); /* until loaded */
    r->agenda_ahead = r->agenda;
    if (!r->k_board || !r->k_groups || !r->k_balance || !r->k_signoff || !r->k_meta || !r->k_events || !r->k_snaps || !r->k_people || !r->k_lastop ||
        !r->k_polls || !r->k_marks) {
        room_free(r);
        return NULL;
    }
    return r;
}

bool hub_room_may_hold(hub *h, const char *id) {
    return !h->cfg.max_rooms || h->nrooms < h->cfg.max_rooms || hub_room_find(h, id);
}

hub_room *hub_room_acquire(hub *h, const char *id) {
    hub_room *r = hub_room_find(h, id);
    if (!r) r = room_new(h, id);
    if (r) hub_room_ref(r);
    return r;
}

bool hub_room_cmd(hub_room *r, store_reply_fn fn, void *priv, const char *fmt, ...) {
    store *s = r->hub->store;
    if (!s) return false;
    va_list ap;
    va_start(ap, fmt);
    bool ok = store_vcmd(s, fn, priv, fmt, ap);
    va_end(ap);
    if (ok) hub_room_ref(r);
    return ok;
}

bool hub_room_cmd_resp(hub_room *r, store_reply_fn fn, void *priv, const char *cmd, size_t len) {
    bool ok = r->hub->store && store_cmd_resp(r->hub->store, fn, priv, cmd, len);
    if (ok) hub_room_ref(r);
    return ok;
}

bool hub_room_cmd_argv(hub_room *r, store_reply_fn fn, void *priv, int argc, const char **argv, const size_t *lens) {
    bool ok = r->hub->store && store_cmd_argv(r->hub->store, fn, priv, argc, argv, lens);
    if (ok) hub_room_ref(r);
    return ok;
}

/* Writes a client is told of: the same, acknowledged once cfg.replicas have
 * them (store/store_write.h), so every handler's "Redis answered, tell
 * clients" waits for the replicas without knowing of them. */
store_durability hub_durability(hub *h) {
    return (store_durability){h->cfg.replicas, h->cfg.replicas_timeout_ms, &h->counted.unreplicated};
}

bool hub_room_write(hub_room *r, store_reply_fn fn, void *priv, const char *fmt, ...) {
    store *s = r->hub->store;
    if (!s) return false;
    store_durability d = hub_durability(r->hub);
    va_list ap;
    va_start(ap, fmt);
    bool ok = store_vwrite(s, &d, fn, priv, fmt, ap);
    va_end(ap);
    if (ok) hub_room_ref(r);
    return ok;
}

bool hub_room_write_resp(hub_room *r, store_reply_fn fn, void *priv, const char *cmd, size_t len) {
    store_durability d = hub_durability(r->hub);
    bool ok = r->hub->store && store_write_resp(r->hub->store, &d, fn, priv, cmd, len);
    if (ok) hub_room_ref(r);
    return ok;
}

bool hub_room_write_argv(hub_room *r, store_reply_fn fn, void *priv, int argc, const char **argv, const size_t *lens) {
    store_durability d = hub_durability(r->hub);
    bool ok = r->hub->store && store_write_argv(r->hub->store, &d, fn, priv, argc, argv, lens);
    if (ok) hub_room_ref(r);
    return ok;
}

void hub_room_free_all(hub *h) {
    for (size_t b = 0; b < HUB_ROOM_BUCKETS; b++)
        while (h->rooms[b]) room_free(h->rooms[b]);
}

void hub_send_error(hub *h, uint64_t conn, proto_err e, const char *why, proto_type re, const char *idjson) {
    hub_count_error(h, proto_err_code(e));
    proto_write_error(&h->scratch, e, why, re, idjson);
    net_send_sbuf(h->net, conn, &h->scratch);
}

void hub_broadcast(hub_room *r, sbuf *b, uint64_t except_conn, int except_participant) {
    netmsg *m = netmsg_take(b);
    if (!m) return;
    for (size_t i = 0; i < r->nsess; i++) {
        hub_session *s = r->sessions[i];
        if (s->conn == except_conn || s->participant == except_participant) continue;
        net_send(r->hub->net, s->conn, m);
    }
    netmsg_unref(m);
}
