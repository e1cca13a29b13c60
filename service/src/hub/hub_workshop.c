/* A workshop's end and reopening (protocol/README.md, "workshop_end"). Only
 * a facilitator ends or reopens (core/rights.c). Ending closes every open poll first, each a
 * poll step of its own (stored and relayed like a facilitator's poll_close);
 * then atelier_workshop stores the end, atomic with the workshop's existence
 * and state (a second end, from this process or another, is refused there),
 * lets the join code go, writes the event and announces it on
 * atelier:notify. Only then is everyone told: this process's clients here,
 * the other processes' when they hear the announcement. While ended, the
 * statement is read-only and polls take nothing (wk_ended_refuses, and
 * atelier_append for ops sent by a process that has not heard yet).
 * Reopening takes the join code again, or draws another when an open
 * workshop took it meanwhile. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/hub_internal.h"

void hub_workshop_write_fields(sbuf *b, const char *time_zone, const char *code, bool ended, int64_t ended_at) {
    sbuf_puts(b, ",\"time_zone\":");
    sbuf_put_jstrz(b, time_zone && time_zone[0] ? time_zone : WHEN_UTC);
    if (!ended && code && hub_code_valid(code)) { /* let go at the end: it may be another workshop's by now */
        sbuf_puts(b, ",\"code\":");
        sbuf_put_jstrz(b, code);
    }
    sbuf_puts(b, ended ? ",\"state\":\"ended\",\"ended_at\":" : ",\"state\":\"open\"");
    if (ended) sbuf_put_i64(b, ended_at);
}

void hub_workshop_write_deleted(sbuf *b) { sbuf_puts(b, "{\"type\":\"workshop\",\"state\":\"deleted\"}"); }

/* What a `workshop` message says. */
typedef struct state_news {
    const workshop *w;                  /* its state now */
    int64_t at;                         /* when it changed (the event's time) */
    const char *by;                     /* the facilitator who changed it */
} state_news;

/* {"type":"workshop","state":"ended"|"open","at":MS,"by":"p…"[,"code"][,"id"]} (a hub_writer of state_news) */
static void write_state(sbuf *b, const void *arg, const char *idjson) {
    const state_news *n = arg;
    sbuf_puts(b, n->w->ended ? "{\"type\":\"workshop\",\"state\":\"ended\",\"at\":"
                             : "{\"type\":\"workshop\",\"state\":\"open\",\"at\":");
    sbuf_put_i64(b, n->at);
    sbuf_puts(b, ",\"by\":");
    sbuf_put_jstrz(b, n->by);
    if (!n->w->ended && hub_code_valid(n->w->code)) {
        sbuf_puts(b, ",\"code\":");
        sbuf_put_jstrz(b, n->w->code);
    }
    proto_write_id(b, idjson);
    sbuf_putc(b, '}');
}

/* The model takes the new state and everyone connected here hears it; the
 * requester's copy (conn, when not 0) carries its request id. */
static void apply(hub_room *r, bool ending, int64_t at, const char *by, const char *code, uint64_t conn,
                  const char *idjson) {
    workshop *w = r->w;
    w->ended = ending;
    w->ended_at = ending ? at : 0;
    if (!ending && code && hub_code_valid(code)) snprintf(w->code, sizeof w->code, "%s", code);
    const state_news n = {w, at, by};
    hub_tell(r, write_state, &n, NULL, NULL, conn, idjson);
}

/* One end or reopening on its way to Redis. */
typedef struct state_change {
    hub_room *room;
    uint64_t conn;                      /* the facilitator who asked */
    proto_type type;
    char idjson[PROTO_IDJSON_MAX + 1];
    bool ending;
    int64_t at;                         /* when asked (the event's time, from Redis' clock, is what is told) */
    char by[WK_PID_LEN + 1];
    char *name;                         /* theirs, for the history */
    char code[WK_CODE_LEN + 1];         /* reopening: the code to take */
    int tries;                          /* codes tried */
} state_change;

static void change_free(state_change *c) {
    free(c->name);
    free(c);
}

static bool send_change(state_change *c);

/* atelier_workshop's answer: 1 for the event's id (its time into *at), else
 * the Function's 0, -1 or -2, or -100 for a reply that is none of them. */
static long long change_status(const redisReply *reply, int64_t *at) {
    if (reply->type == REDIS_REPLY_STRING && hist_valid_id(reply->str, at)) return 1;
    return reply->type == REDIS_REPLY_INTEGER ? reply->integer : -100;
}

static void changed(redisReply *reply, void *priv) {
    state_change *c = priv;
    hub_room *r = c->room;
    hub *h = r->hub;
    int64_t at = c->at;
    long long status = reply ? change_status(reply, &at) : -100;
    if (status == -2 && c->tries < HUB_CODE_TRIES && hub_code_draw(c->code) && send_change(c)) {
        hub_room_unref(r); /* the next try holds its own reference */
        return;
    }
    if (!reply) hub_send_error(h, c->conn, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE_CHANGE, c->type, c->idjson);
    else if (status == 1) apply(r, c->ending, at, c->by, c->code, c->conn, c->idjson); /* at: the event's own time */
    else if (status == 0) hub_send_error(h, c->conn, PROTO_ENOT_FOUND, "this workshop no longer exists", c->type, c->idjson);
    else if (status == -1 && c->ending) hub_send_error(h, c->conn, PROTO_EENDED, "the workshop has ended already", c->type, c->idjson);
    else if (status == -1) hub_send_error(h, c->conn, PROTO_EBAD_REQUEST, "the workshop is open already", c->type, c->idjson);
    else if (status == -2) hub_send_error(h, c->conn, PROTO_EINTERNAL, "no free join code was found; try again", c->type, c->idjson);
    else {
        lwsl_err("workshop %s: end or reopen failed: %s\n", r->id, reply->type == REDIS_REPLY_ERROR ? reply->str : "?");
        hub_send_error(h, c->conn, PROTO_EINTERNAL, "the change could not be stored", c->type, c->idjson);
    }
    change_free(c);
    hub_room_unref(r);
}

/* FCALL atelier_workshop: false (nothing sent) when it could not go. */
static bool send_change(state_change *c) {
    hub_room *r = c->room;
    char kcode[HUB_KEY_MAX], t[HUB_MS_TEXT];
    hub_ms_text(t, c->at);
    c->tries++;
    return hub_code_key(kcode, sizeof kcode, c->code) &&
           hub_room_write(r, changed, c, "FCALL atelier_workshop 4 %s %s %s %s %s %s %s %s %s %s", r->k_meta,
                        r->k_events, r->k_marks, kcode, c->ending ? "ended" : "open", t, c->by, c->name,
                        r->hub->origin, c->code);
}

/* What the requester (a facilitator: core/rights.c) may not do now, or NULL. */
static const char *refusal(const hub_room *r, bool ending, proto_err *e) {
    if (!r->hub->store || !store_up(r->hub->store)) return *e = PROTO_EUNAVAILABLE, HUB_UNAVAILABLE_CHANGE;
    if (ending && r->w->ended) return *e = PROTO_EENDED, "the workshop has ended already";
    if (!ending && !r->w->ended) return *e = PROTO_EBAD_REQUEST, "the workshop is open already";
    return NULL;
}

void hub_workshop_message(hub *h, hub_session *s, proto_msg *msg) {
    hub_room *r = s->room;
    const wk_participant *me = &r->w->people[s->participant];
    bool ending = msg->type == PROTO_WORKSHOP_END;
    proto_err e = PROTO_OK;
    const char *why = refusal(r, ending, &e);
    state_change *c = why ? NULL : calloc(1, sizeof *c);
    if (!why && (!c || !(c->name = strdup(me->name)))) e = PROTO_EINTERNAL, why = "out of memory";
    /* Reopening takes the workshop's code again (or draws one for a
     * workshop made before join codes). */
    if (!why && hub_code_valid(r->w->code)) snprintf(c->code, sizeof c->code, "%s", r->w->code);
    else if (!why && !hub_code_draw(c->code)) e = PROTO_EINTERNAL, why = "could not draw a join code";
    if (why) {
        if (c) change_free(c);
        hub_send_error(h, s->conn, e, why, msg->type, msg->idjson);
        return;
    }
    c->room = r;
    c->conn = s->conn;
    c->type = msg->type;
    c->ending = ending;
    c->at = hub_now_ms();
    snprintf(c->idjson, sizeof c->idjson, "%s", msg->idjson);
    snprintf(c->by, sizeof c->by, "%s", me->id);
    if (ending) hub_poll_close_all(r, s); /* queued first: Redis stores them before the end */
    if (!send_change(c)) {
        hub_send_error(h, s->conn, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE_CHANGE, msg->type, msg->idjson);
        change_free(c);
    }
}

/* The state as Redis has it: told when it differs from the room's. */
static void reread(redisReply *reply, void *priv) {
    hub_room *r = priv;
    if (r->state == ROOM_READY && reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 6) {
        bool ended = strcmp(hub_reply_text(reply, 0), "ended") == 0;
        const char *at = hub_reply_text(reply, ended ? 1 : 3), *by = hub_reply_text(reply, ended ? 2 : 4);
        if (ended != r->w->ended) apply(r, ended, strtoll(at, NULL, 10), by[0] ? by : "?", hub_reply_text(reply, 5), 0, NULL);
    }
    hub_room_unref(r);
}

void hub_workshop_reread(hub_room *r) {
    hub_room_cmd(r, reread, r, "HMGET %s state ended_at ended_by reopened_at reopened_by code", r->k_meta);
}

void hub_workshop_notified(hub_room *r, const char *rest, size_t len) {
    char text[160], origin[HUB_ORIGIN_LEN + 1], state[8], by[WK_PID_LEN + 1], code[WK_CODE_LEN + 1] = "";
    long long at;
    if (len >= sizeof text) return;
    memcpy(text, rest, len);
    text[len] = '\0';
    int n = sscanf(text, "%11s %7s %lld %17s %6s", origin, state, &at, by, code);
    if (n < 4 || strcmp(origin, r->hub->origin) == 0) return; /* ours: told already */
    bool ending = strcmp(state, "ended") == 0;
    if (!ending && strcmp(state, "open") != 0) return;
    apply(r, ending, at, by, code, 0, NULL);
}
