/* The "to discuss" list (protocol/polls.md, "To discuss"). Only a
 * facilitator changes it (core/rights.c). The core (core/discuss.h) applies
 * a request to the room's list; atelier_discuss stores the whole list
 * (meta's `discuss`) and the event, atomic with the workshop's existence,
 * and announces it; only then is everyone told. Other processes read the
 * list back when they hear the announcement. A write that fails reads the
 * list back from Redis too (the room's list had changed already). It goes on
 * after the workshop's end, like the agenda. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/hub_internal.h"

void hub_discuss_write_welcome(const hub_room *r, sbuf *b) {
    sbuf_puts(b, ",\"discuss\":");
    discuss_write_items(b, &r->discuss);
}

/* discuss_write_message as a hub_writer of a discuss_list. */
static void write_list(sbuf *b, const void *arg, const char *idjson) { discuss_write_message(b, arg, idjson); }

static void tell(hub_room *r, uint64_t conn, const char *idjson) { hub_tell(r, write_list, &r->discuss, NULL, NULL, conn, idjson); }

/* One change on its way to Redis. */
typedef struct discuss_write {
    hub_room *room;
    uint64_t conn;                      /* the facilitator who asked */
    proto_type type;                    /* the request */
    char idjson[PROTO_IDJSON_MAX + 1];  /* its id */
} discuss_write;

static void written(redisReply *reply, void *priv) {
    discuss_write *dw = priv;
    hub_room *r = dw->room;
    hub *h = r->hub;
    int64_t at;
    if (reply && reply->type == REDIS_REPLY_STRING && hist_valid_id(reply->str, &at)) {
        tell(r, dw->conn, dw->idjson);
    } else {
        if (!reply) hub_send_error(h, dw->conn, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE_CHANGE, dw->type, dw->idjson);
        else if (reply->type == REDIS_REPLY_INTEGER && reply->integer == 0)
            hub_send_error(h, dw->conn, PROTO_ENOT_FOUND, "this workshop no longer exists", dw->type, dw->idjson);
        else {
            lwsl_err("workshop %s: list change failed: %s\n", r->id, reply->type == REDIS_REPLY_ERROR ? reply->str : "?");
            hub_send_error(h, dw->conn, PROTO_EINTERNAL, "the change could not be stored", dw->type, dw->idjson);
        }
        hub_discuss_reread(r); /* the room's list changed already: take Redis' */
    }
    free(dw);
    hub_room_unref(r);
}

/* FCALL atelier_discuss: meta's list and the event (the item concerned and
 * the list after it); false when it could not go. */
static bool send_write(hub_room *r, discuss_write *dw, const discuss_change *c, const wk_participant *me) {
    sbuf stored, items;
    sbuf_init(&stored, 0);
    sbuf_init(&items, 0);
    discuss_write_stored(&stored, &r->discuss);
    discuss_write_items(&items, &r->discuss);
    char t[HUB_MS_TEXT], item[16];
    hub_ms_text(t, hub_now_ms());
    snprintf(item, sizeof item, "%u", c->item);
    const char *argv[] = {"FCALL", "atelier_discuss", "3", r->k_meta, r->k_events, r->k_marks, t, me->id, me->name,
                          r->hub->origin, sbuf_ok(&stored) ? sbuf_data(&stored) : "", c->event, item,
                          sbuf_ok(&items) ? sbuf_data(&items) : ""};
    enum { N = sizeof argv / sizeof argv[0] };
    size_t lens[N];
    for (size_t i = 0; i < N; i++) lens[i] = strlen(argv[i]);
    bool ok = sbuf_ok(&stored) && sbuf_ok(&items) && hub_room_write_argv(r, written, dw, N, argv, lens);
    sbuf_free(&stored);
    sbuf_free(&items);
    return ok;
}

void hub_discuss_message(hub *h, hub_session *s, proto_msg *msg) {
    hub_room *r = s->room;
    const wk_participant *me = &r->w->people[s->participant]; /* a facilitator: core/rights.c */
    if (!h->store || !store_up(h->store)) {
        hub_send_error(h, s->conn, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE_CHANGE, msg->type, msg->idjson);
        return;
    }
    discuss_write *dw = malloc(sizeof *dw);
    if (!dw) {
        hub_send_error(h, s->conn, PROTO_EINTERNAL, "out of memory", msg->type, msg->idjson);
        return;
    }
    dw->room = r;
    dw->conn = s->conn;
    dw->type = msg->type;
    snprintf(dw->idjson, sizeof dw->idjson, "%s", msg->idjson);
    discuss_change c = {0};
    const char *why = "";
    proto_err e = discuss_apply(&r->discuss, msg->type, msg->u.obj, &r->polls, me->name, hub_now_ms(), &c, &why);
    if (e == PROTO_OK && !send_write(r, dw, &c, me)) {
        e = PROTO_EUNAVAILABLE, why = HUB_UNAVAILABLE_CHANGE;
        hub_discuss_reread(r);
    }
    if (e != PROTO_OK) {
        hub_send_error(h, s->conn, e, why, msg->type, msg->idjson);
        free(dw);
    }
}

/* ---- Reading it back ---- */

static void reread(redisReply *reply, void *priv) {
    hub_room *r = priv;
    if (r->state == ROOM_READY && reply && (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_NIL)) {
        if (discuss_read_stored(&r->discuss, reply->type == REDIS_REPLY_STRING ? reply->str : NULL)) tell(r, 0, NULL);
        else lwsl_err("workshop %s: the stored list of points to discuss is damaged\n", r->id);
    }
    hub_room_unref(r);
}

void hub_discuss_reread(hub_room *r) { hub_room_cmd(r, reread, r, "HGET %s discuss", r->k_meta); }

void hub_discuss_notified(hub_room *r, const char *origin) {
    if (strcmp(origin, r->hub->origin) != 0) hub_discuss_reread(r); /* ours: told already */
}

static void loaded(redisReply *reply, void *priv) {
    hub_room *r = priv;
    if (!hub_load_step_ok(r, reply)) {
        /* told already */
    } else if (!(reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_NIL) ||
               !discuss_read_stored(&r->discuss, reply->type == REDIS_REPLY_STRING ? reply->str : NULL)) {
        lwsl_err("workshop %s: the stored list of points to discuss is damaged\n", r->id);
        hub_room_load_failed(r, PROTO_EINTERNAL, HUB_DAMAGED);
    }
    hub_room_unref(r);
}

bool hub_discuss_load(hub_room *r) { return hub_room_cmd(r, loaded, r, "HGET %s discuss", r->k_meta); }
