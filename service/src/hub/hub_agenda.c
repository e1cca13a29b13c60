/* The agenda and its timer (protocol/agreement.md, "Agenda and timer").
 * Only a facilitator changes them (core/rights.c). The core (core/agenda.h) applies a
 * request to a copy of the agenda at the server's time; atelier_agenda stores
 * the copy (meta's agenda and timer) and its event, atomic with the
 * workshop's existence, and announces it; only then is everyone told, with
 * the server's time, so that each client corrects its clock's offset. Other
 * processes read the agenda back when they hear the announcement. The agenda
 * goes on after the workshop's end (the facilitator may still run the
 * sign-off phase).
 *
 * Changes sent one after the other (pause, then resume at once) build on
 * each other: r->agenda_ahead holds the agenda with every change sent,
 * r->agenda what clients were told. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/hub_internal.h"

void hub_agenda_write_welcome(const hub_room *r, sbuf *b) {
    sbuf_puts(b, ",\"agenda\":");
    agenda_write_state(b, &r->agenda, hub_now_ms());
}

/* Everyone here hears the agenda; the requester's copy (conn, when not 0) carries its id. */
typedef struct agenda_news {
    const agenda *agenda;               /* the agenda now */
    int64_t now;                        /* the server's time it is told at */
} agenda_news;

/* agenda_write_message as a hub_writer of agenda_news. */
static void write_agenda(sbuf *b, const void *arg, const char *idjson) {
    const agenda_news *n = arg;
    agenda_write_message(b, n->agenda, n->now, idjson);
}

static void tell(hub_room *r, uint64_t conn, const char *idjson) {
    const agenda_news n = {&r->agenda, hub_now_ms()};
    hub_tell(r, write_agenda, &n, NULL, NULL, conn, idjson);
}

/* One change on its way to Redis. */
typedef struct agenda_write {
    hub_room *room;
    uint64_t conn;                      /* the facilitator who asked */
    proto_type type;                    /* the request */
    char idjson[PROTO_IDJSON_MAX + 1];  /* its id */
    agenda after;                       /* the agenda with this change */
} agenda_write;

static void written(redisReply *reply, void *priv) {
    agenda_write *aw = priv;
    hub_room *r = aw->room;
    hub *h = r->hub;
    r->agenda_inflight--;
    int64_t at;
    if (reply && reply->type == REDIS_REPLY_STRING && hist_valid_id(reply->str, &at)) {
        r->agenda = aw->after;
        tell(r, aw->conn, aw->idjson);
    } else {
        if (!reply) hub_send_error(h, aw->conn, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE_CHANGE, aw->type, aw->idjson);
        else if (reply->type == REDIS_REPLY_INTEGER && reply->integer == 0)
            hub_send_error(h, aw->conn, PROTO_ENOT_FOUND, "this workshop no longer exists", aw->type, aw->idjson);
        else {
            lwsl_err("workshop %s: agenda change failed: %s\n", r->id, reply->type == REDIS_REPLY_ERROR ? reply->str : "?");
            hub_send_error(h, aw->conn, PROTO_EINTERNAL, "the change could not be stored", aw->type, aw->idjson);
        }
        /* The changes sent after this one built on it: start again from what Redis has. */
        r->agenda_ahead = r->agenda;
        hub_agenda_reread(r);
    }
    free(aw);
    hub_room_unref(r);
}

/* FCALL atelier_agenda with the change's event fields; false when it could not go. */
static bool send_write(hub_room *r, agenda_write *aw, const agenda_change *c, const wk_participant *me, int64_t now) {
    sbuf phases, timer;
    sbuf_init(&phases, 0);
    sbuf_init(&timer, 0);
    agenda_write_phases(&phases, &aw->after);
    agenda_write_timer(&timer, &aw->after.timer);
    char t[HUB_MS_TEXT], minutes[16];
    hub_ms_text(t, now); /* the event's time is the timer's */
    snprintf(minutes, sizeof minutes, "%d", c->minutes);
    const char *argv[24] = {"FCALL", "atelier_agenda", "3", r->k_meta, r->k_events, r->k_marks, t, me->id, me->name,
                            r->hub->origin, sbuf_data(&phases), sbuf_data(&timer), c->event, "timer", sbuf_data(&timer)};
    int n = 15;
    if (c->phase[0]) argv[n++] = "phase", argv[n++] = c->phase;
    if (c->title[0]) argv[n++] = "title", argv[n++] = c->title;
    if (c->minutes) argv[n++] = "minutes", argv[n++] = minutes;
    if (strcmp(c->event, "agenda_changed") == 0) argv[n++] = "phases", argv[n++] = sbuf_data(&phases);
    size_t lens[24];
    for (int i = 0; i < n; i++) lens[i] = argv[i] ? strlen(argv[i]) : 0;
    bool ok = sbuf_ok(&phases) && sbuf_ok(&timer) && hub_room_write_argv(r, written, aw, n, argv, lens);
    sbuf_free(&phases);
    sbuf_free(&timer);
    return ok;
}

void hub_agenda_message(hub *h, hub_session *s, proto_msg *msg) {
    hub_room *r = s->room;
    const wk_participant *me = &r->w->people[s->participant]; /* a facilitator: core/rights.c */
    if (!h->store || !store_up(h->store)) {
        hub_send_error(h, s->conn, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE_CHANGE, msg->type, msg->idjson);
        return;
    }
    agenda_write *aw = malloc(sizeof *aw);
    if (!aw) {
        hub_send_error(h, s->conn, PROTO_EINTERNAL, "out of memory", msg->type, msg->idjson);
        return;
    }
    aw->room = r;
    aw->conn = s->conn;
    aw->type = msg->type;
    snprintf(aw->idjson, sizeof aw->idjson, "%s", msg->idjson);
    aw->after = r->agenda_ahead;
    agenda_change c;
    const char *why = "";
    int64_t now = hub_now_ms();
    proto_err e = agenda_apply(&aw->after, msg->type, msg->u.obj, now, &c, &why);
    if (e == PROTO_OK && !send_write(r, aw, &c, me, now)) e = PROTO_EUNAVAILABLE, why = HUB_UNAVAILABLE_CHANGE;
    if (e != PROTO_OK) {
        hub_send_error(h, s->conn, e, why, msg->type, msg->idjson);
        free(aw);
        return;
    }
    r->agenda_ahead = aw->after;
    r->agenda_inflight++;
}

/* ---- Reading it back ---- */

/* meta's agenda and timer (an HMGET's two fields) into a. */
/* The agenda of an HMGET agenda timer reply; false when the reply is not
 * one or the stored agenda is damaged (logged). */
static bool read_reply(const hub_room *r, const redisReply *reply, agenda *a) {
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) return false;
    if (agenda_read_stored(a, hub_reply_text(reply, 0), hub_reply_text(reply, 1))) return true;
    lwsl_err("workshop %s: the stored agenda or timer is damaged\n", r->id);
    return false;
}

static void reread(redisReply *reply, void *priv) {
    hub_room *r = priv;
    agenda a;
    if (r->state == ROOM_READY && read_reply(r, reply, &a)) {
        r->agenda = a;
        if (r->agenda_inflight == 0) r->agenda_ahead = a; /* else: their answers bring it up to date */
        tell(r, 0, NULL);
    }
    hub_room_unref(r);
}

void hub_agenda_reread(hub_room *r) { hub_room_cmd(r, reread, r, "HMGET %s agenda timer", r->k_meta); }

void hub_agenda_notified(hub_room *r, const char *origin) {
    if (strcmp(origin, r->hub->origin) != 0) hub_agenda_reread(r); /* ours: told already */
}

static void loaded(redisReply *reply, void *priv) {
    hub_room *r = priv;
    if (!hub_load_step_ok(r, reply)) {
        /* told already */
    } else if (read_reply(r, reply, &r->agenda)) {
        r->agenda_ahead = r->agenda;
    } else {
        hub_room_load_failed(r, PROTO_EINTERNAL, HUB_DAMAGED);
    }
    hub_room_unref(r);
}

bool hub_agenda_load(hub_room *r) { return hub_room_cmd(r, loaded, r, "HMGET %s agenda timer", r->k_meta); }
