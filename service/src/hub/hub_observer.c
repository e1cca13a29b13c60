/* The observer link (protocol/agreement.md, "Observers"): a facilitator
 * makes it or revokes it (observer_link). atelier_observer keeps its key in
 * meta's okey, atomic with the workshop's existence, and announces a change
 * on atelier:notify. Then every facilitator is told the key (or null), here
 * at once and on the other processes when they have read it back; an
 * observer whose link no longer stands (revoked, or replaced by a new one)
 * is told `forbidden` and disconnected, on every process, and their resume
 * token stops working (wk_observer_admitted, hub_join.c). */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/hub_internal.h"

#define REVOKED "the observer link was revoked"

/* {"type":"observer_link","key":K|null[,"id"]} (a hub_writer of the workshop) */
static void write_link(sbuf *b, const void *arg, const char *idjson) {
    const workshop *w = arg;
    sbuf_puts(b, "{\"type\":\"observer_link\",\"key\":");
    if (w->okey[0]) sbuf_put_jstrz(b, w->okey);
    else sbuf_puts(b, "null");
    proto_write_id(b, idjson);
    sbuf_putc(b, '}');
}

void hub_observer_write_welcome(const workshop *w, const wk_participant *me, sbuf *b) {
    if (!wk_is_facilitator(me) || !w->okey[0]) return; /* never anyone else's */
    sbuf_puts(b, ",\"observer_key\":");
    sbuf_put_jstrz(b, w->okey);
}

static bool is_facilitator(const hub_room *r, const hub_session *s, const void *arg) {
    (void)arg;
    return wk_is_facilitator(&r->w->people[s->participant]);
}

/* Observers whose link no longer stands are told and disconnected. */
static void shut_out(hub_room *r) {
    hub *h = r->hub;
    for (size_t i = 0; i < r->nsess; i++) {
        const hub_session *s = r->sessions[i];
        if (wk_observer_admitted(r->w, &r->w->people[s->participant])) continue;
        hub_send_error(h, s->conn, PROTO_EFORBIDDEN, REVOKED, PROTO_NONE, NULL);
        net_close(h->net, s->conn, 1000, "observer link revoked");
    }
}

/* The key is now `key` ("": none): facilitators hear it (the requester's
 * copy, conn when not 0, with its id), observers it shuts out leave. */
static void apply(hub_room *r, const char *key, uint64_t conn, const char *idjson) {
    workshop *w = r->w;
    snprintf(w->okey, sizeof w->okey, "%s", key);
    hub_tell(r, write_link, w, is_facilitator, NULL, conn, idjson);
    shut_out(r);
}

/* One observer_link request on its way to Redis. */
typedef struct link_change {
    hub_room *room;
    uint64_t conn;                      /* the facilitator who asked */
    char idjson[PROTO_IDJSON_MAX + 1];  /* its request id */
} link_change;

static void stored(redisReply *reply, void *priv) {
    link_change *c = priv;
    hub_room *r = c->room;
    hub *h = r->hub;
    bool ok = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1 &&
              reply->element[0]->type == REDIS_REPLY_INTEGER;
    long long status = ok ? reply->element[0]->integer : -1;
    if (!reply) hub_send_error(h, c->conn, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE_CHANGE, PROTO_OBSERVER_LINK, c->idjson);
    else if (status == 0) hub_send_error(h, c->conn, PROTO_ENOT_FOUND, "this workshop no longer exists", PROTO_OBSERVER_LINK, c->idjson);
    else if (status == 1 && reply->elements == 2 && reply->element[1]->type == REDIS_REPLY_STRING) {
        if (r->state == ROOM_READY) apply(r, reply->element[1]->str, c->conn, c->idjson);
    } else {
        lwsl_err("workshop %s: observer link change failed: %s\n", r->id, reply->type == REDIS_REPLY_ERROR ? reply->str : "?");
        hub_send_error(h, c->conn, PROTO_EINTERNAL, "the change could not be stored", PROTO_OBSERVER_LINK, c->idjson);
    }
    free(c);
    hub_room_unref(r);
}

/* observer_link (a facilitator: core/rights.c). */
void hub_observer_message(hub *h, hub_session *s, proto_msg *msg) {
    hub_room *r = s->room;
    bool create = msg->u.observer_link_create;
    char key[PROTO_KEY_LEN + 1] = "";
    link_change *c = NULL;
    proto_err e = PROTO_OK;
    const char *why = NULL;
    if (!h->store || !store_up(h->store)) e = PROTO_EUNAVAILABLE, why = HUB_UNAVAILABLE_CHANGE;
    else if (create && !net_random_b64url(key, PROTO_KEY_LEN)) e = PROTO_EINTERNAL, why = "could not make a key";
    else if (!(c = calloc(1, sizeof *c))) e = PROTO_EINTERNAL, why = "out of memory";
    if (!why) {
        c->room = r;
        c->conn = s->conn;
        snprintf(c->idjson, sizeof c->idjson, "%s", msg->idjson);
        if (!hub_room_write(r, stored, c, "FCALL atelier_observer 1 %s %s %s %s", r->k_meta,
                          create ? "create" : "revoke", key, h->origin))
            e = PROTO_EUNAVAILABLE, why = HUB_UNAVAILABLE_CHANGE;
    }
    if (why) {
        free(c);
        hub_send_error(h, s->conn, e, why, msg->type, msg->idjson);
    }
}

/* ---- Another process made or revoked the link ---- */

void hub_observer_take(hub_room *r, const char *key) {
    if (strcmp(key, r->w->okey) != 0 && strlen(key) <= PROTO_KEY_MAX) apply(r, key, 0, NULL);
}

static void reread(redisReply *reply, void *priv) {
    hub_room *r = priv;
    if (r->state == ROOM_READY && reply && (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_NIL))
        hub_observer_take(r, reply->type == REDIS_REPLY_STRING ? reply->str : "");
    hub_room_unref(r);
}

void hub_observer_reread(hub_room *r) { hub_room_cmd(r, reread, r, "HGET %s okey", r->k_meta); }

void hub_observer_notified(hub_room *r, const char *origin, size_t len) {
    if (len == HUB_ORIGIN_LEN && memcmp(origin, r->hub->origin, len) == 0) return; /* ours: told already */
    hub_observer_reread(r);
}
