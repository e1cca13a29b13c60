/* Roles (protocol/agreement.md, "Roles"): a facilitator makes a participant
 * a representative of their organisation, or a participant again
 * (role_set); a participant asks to be one (representative_request) and a
 * facilitator answers (representative_answer, or role_set). atelier_role stores the person's record and a `role` event,
 * atomic with the workshop's existence, and announces the change on
 * atelier:notify; only then is everyone told: this process's clients here,
 * the other processes' clients when those hear the announcement and have
 * read the person's record back. A session's rights are read from its
 * person's role at each message, so a new role applies at once. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/role.h"
#include "hub/hub_internal.h"

/* What a `role` message says. */
typedef struct role_news {
    const wk_participant *p;            /* whose role it is */
    const char *by;                     /* the facilitator who decided (NULL or "": the person asked) */
    int64_t at;                         /* when (the event's time) */
} role_news;

/* {"type":"role","participant","role"[,"asks"][,"by"],"at"[,"id"]} (a hub_writer of role_news) */
static void write_role(sbuf *b, const void *arg, const char *idjson) {
    const role_news *n = arg;
    sbuf_puts(b, "{\"type\":\"role\",\"participant\":");
    sbuf_put_jstrz(b, n->p->id);
    sbuf_puts(b, ",\"role\":");
    sbuf_put_jstrz(b, wk_role_name(n->p->role));
    if (n->p->asks) sbuf_puts(b, ",\"asks\":\"representative\"");
    if (n->by && n->by[0]) {
        sbuf_puts(b, ",\"by\":");
        sbuf_put_jstrz(b, n->by);
    }
    sbuf_puts(b, ",\"at\":");
    sbuf_put_i64(b, n->at);
    proto_write_id(b, idjson);
    sbuf_putc(b, '}');
}

/* One role change on its way to Redis. */
typedef struct role_change {
    hub_room *room;
    uint64_t conn;                      /* who asked */
    proto_type type;                    /* what they sent */
    char idjson[PROTO_IDJSON_MAX + 1];  /* its request id */
    char participant[WK_PID_LEN + 1];   /* whom it is about */
    wk_role role;                       /* their role after it */
    bool role_kept;                     /* the role stays as Redis has it (a request, a declined one) */
    bool asks;                          /* their request pending after it */
    char by[WK_PID_LEN + 1];            /* the facilitator who decided ("": the person asked) */
} role_change;

/* atelier_role's answer: 1 for the event's id (its time into *at), else the
 * Function's 0, -1 or -2, or -100 for a reply that is none of them. */
static long long change_status(const redisReply *reply, int64_t *at) {
    if (reply->type == REDIS_REPLY_STRING && hist_valid_id(reply->str, at)) return 1;
    return reply->type == REDIS_REPLY_INTEGER ? reply->integer : -100;
}

/* Stored: the model takes it, and everyone here is told. */
static void apply(hub_room *r, const role_change *c, int64_t at) {
    int who = wk_find_participant(r->w, c->participant);
    if (who < 0) return; /* people stay while the room lives: never */
    wk_participant *p = &r->w->people[who];
    p->role = c->role;
    p->asks = c->asks;
    const role_news n = {p, c->by, at};
    hub_tell(r, write_role, &n, NULL, NULL, c->conn, c->idjson);
    if (r->board.settings.reps_group) hub_board_reread(r); /* a representative groups: their suggestions */
}

static void stored(redisReply *reply, void *priv) {
    role_change *c = priv;
    hub_room *r = c->room;
    hub *h = r->hub;
    int64_t at = 0;
    long long status = reply ? change_status(reply, &at) : -100;
    if (!reply) hub_send_error(h, c->conn, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE_CHANGE, c->type, c->idjson);
    else if (status == 1 && r->state == ROOM_READY) apply(r, c, at);
    else if (status == 0) hub_send_error(h, c->conn, PROTO_ENOT_FOUND, "this workshop no longer exists", c->type, c->idjson);
    else if (status == -1) hub_send_error(h, c->conn, PROTO_ENOT_FOUND, "no such participant in this workshop", c->type, c->idjson);
    else if (status == -2) hub_send_error(h, c->conn, PROTO_EBAD_REQUEST, "this person's role cannot change", c->type, c->idjson);
    else if (status != 1) {
        lwsl_err("workshop %s: role change failed: %s\n", r->id, reply->type == REDIS_REPLY_ERROR ? reply->str : "?");
        hub_send_error(h, c->conn, PROTO_EINTERNAL, "the change could not be stored", c->type, c->idjson);
    }
    free(c);
    hub_room_unref(r);
}

/* FCALL atelier_role: false (nothing sent) when it could not go. */
static bool send_change(role_change *c) {
    hub_room *r = c->room;
    char t[HUB_MS_TEXT];
    hub_ms_text(t, hub_now_ms());
    return hub_room_write(r, stored, c, "FCALL atelier_role 4 %s %s %s %s %s %s %s %s %s %s", r->k_meta, r->k_people,
                        r->k_events, r->k_marks, c->participant, c->role_kept ? "" : wk_role_name(c->role),
                        c->asks ? "representative" : "", c->by, t, r->hub->origin);
}

/* A facilitator's decision (role_set, representative_answer) as the change
 * it makes to person `who` (-1: unknown); NULL, or why it cannot be made. */
static const char *plan_decision(const hub_room *r, const wk_participant *me, const proto_msg *msg, int who,
                                 role_change *c, proto_err *e) {
    const char *why = NULL;
    if (who < 0) return *e = PROTO_ENOT_FOUND, "no such participant in this workshop";
    const wk_participant *p = &r->w->people[who];
    bool answer = msg->type == PROTO_REPRESENTATIVE_ANSWER;
    if ((*e = answer ? role_may_answer(p->role, p->asks, &why) : role_may_set(p->role, &why)) != PROTO_OK) return why;
    /* Declining a request leaves the role as it is; anything else decides it. */
    c->role = msg->u.role.representative ? WK_REPRESENTATIVE : answer ? p->role : WK_PARTICIPANT;
    c->role_kept = answer && !msg->u.role.representative;
    c->asks = false;
    snprintf(c->participant, sizeof c->participant, "%s", p->id);
    snprintf(c->by, sizeof c->by, "%s", me->id);
    return NULL;
}

/* A participant's request to represent their organisation, as a change. */
static void plan_request(const wk_participant *me, role_change *c) {
    c->role = me->role;
    c->role_kept = true;
    c->asks = true;
    snprintf(c->participant, sizeof c->participant, "%s", me->id);
}

/* role_set, representative_request, representative_answer (the sender's
 * role was checked against core/rights.c already). */
void hub_role_message(hub *h, hub_session *s, proto_msg *msg) {
    hub_room *r = s->room;
    const wk_participant *me = &r->w->people[s->participant];
    role_change plan = {.room = r, .conn = s->conn, .type = msg->type};
    snprintf(plan.idjson, sizeof plan.idjson, "%s", msg->idjson);
    proto_err e = PROTO_OK;
    const char *why = NULL;
    if (msg->type == PROTO_REPRESENTATIVE_REQUEST && me->asks) { /* asking twice is harmless: nothing to store */
        const role_news n = {me, NULL, hub_now_ms()};
        write_role(&h->scratch, &n, msg->idjson);
        net_send_sbuf(h->net, s->conn, &h->scratch);
        return;
    }
    if (!h->store || !store_up(h->store)) e = PROTO_EUNAVAILABLE, why = HUB_UNAVAILABLE_CHANGE;
    else if (msg->type == PROTO_REPRESENTATIVE_REQUEST) plan_request(me, &plan);
    else why = plan_decision(r, me, msg, wk_find_participant(r->w, msg->u.role.participant), &plan, &e);
    role_change *c = why ? NULL : malloc(sizeof *c);
    if (!why && !c) e = PROTO_EINTERNAL, why = "out of memory";
    if (!why) *c = plan;
    if (!why && !send_change(c)) {
        free(c);
        e = PROTO_EUNAVAILABLE, why = HUB_UNAVAILABLE_CHANGE;
    }
    if (why) hub_send_error(h, s->conn, e, why, msg->type, msg->idjson);
}

/* ---- Another process changed a role ---- */

/* The announcement, waiting for the person's record. */
typedef struct role_reread {
    hub_room *room;
    char participant[WK_PID_LEN + 1];   /* whose role changed */
    char by[WK_PID_LEN + 1];            /* who decided ("": the person asked) */
    int64_t at;                         /* when (the event's time) */
} role_reread;

/* A person's record read back: the model takes it, and everyone here is
 * told their role when `always` (an announcement said it changed) or when
 * the record changed the role or the request of someone known here. */
static void take_record(hub_room *r, const char *pid, const char *json, const char *by, int64_t at, bool always) {
    int before = wk_find_participant(r->w, pid);
    wk_role role = before >= 0 ? r->w->people[before].role : WK_PARTICIPANT;
    bool asks = before >= 0 && r->w->people[before].asks;
    if (!hub_person_upsert(r->w, pid, json)) return;
    int who = wk_find_participant(r->w, pid);
    if (who < 0) return;
    const role_news n = {&r->w->people[who], by, at};
    if (always || (before >= 0 && (n.p->role != role || n.p->asks != asks))) {
        hub_tell(r, write_role, &n, NULL, NULL, 0, NULL);
        if (r->board.settings.reps_group) hub_board_reread(r); /* a representative groups: their suggestions */
    }
}

static void reread(redisReply *reply, void *priv) {
    role_reread *rr = priv;
    hub_room *r = rr->room;
    if (r->state == ROOM_READY && reply && reply->type == REDIS_REPLY_STRING)
        take_record(r, rr->participant, reply->str, rr->by, rr->at, true);
    free(rr);
    hub_room_unref(r);
}

void hub_role_notified(hub_room *r, const char *rest, size_t len) {
    char text[160], origin[HUB_ORIGIN_LEN + 1], pid[WK_PID_LEN + 1], by[WK_PID_LEN + 1];
    long long at;
    if (len >= sizeof text) return;
    memcpy(text, rest, len);
    text[len] = '\0';
    if (sscanf(text, "%11s %17s %lld %17s", origin, pid, &at, by) != 4 || strcmp(origin, r->hub->origin) == 0) return;
    role_reread *rr = calloc(1, sizeof *rr);
    if (!rr) return;
    rr->room = r;
    rr->at = at;
    snprintf(rr->participant, sizeof rr->participant, "%s", pid);
    snprintf(rr->by, sizeof rr->by, "%s", strcmp(by, "-") == 0 ? "" : by);
    if (!hub_room_cmd(r, reread, rr, "HGET %s %s", r->k_people, rr->participant)) free(rr);
}

/* ---- Changes missed while the subscription was down ---- */

/* Every record, compared with the model. Who decided and when is in the
 * history, not in the record: those told hear the change now, without by. */
static void reread_all(redisReply *reply, void *priv) {
    hub_room *r = priv;
    if (r->state == ROOM_READY && reply && reply->type == REDIS_REPLY_ARRAY) {
        int64_t now = hub_now_ms();
        for (size_t i = 0; i + 1 < reply->elements; i += 2) {
            const redisReply *pid = reply->element[i], *rec = reply->element[i + 1];
            if (pid->type == REDIS_REPLY_STRING && rec->type == REDIS_REPLY_STRING)
                take_record(r, pid->str, rec->str, NULL, now, false);
        }
    }
    hub_room_unref(r);
}

void hub_role_reread(hub_room *r) { hub_room_cmd(r, reread_all, r, "HGETALL %s", r->k_people); }
