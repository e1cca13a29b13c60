/* Joins: a connection asks to join a workshop (new participant, facilitator
 * key, or resume token), waits for the room to load if it must, and gets its
 * welcome: the statement (or the ops it missed), who is here, the polls. A
 * new participant is stored before the welcome, so the token it hands out
 * works after any restart. A joined session holds a reference to its room
 * until hub_leave. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "hub/hub_internal.h"

/* Room for one more session: false when out of memory. */
static bool room_reserve_session(hub_room *r) {
    if (r->nsess < r->sess_cap) return true;
    size_t cap = r->sess_cap ? r->sess_cap * 2 : 8;
    hub_session **p = realloc(r->sessions, cap * sizeof *p);
    if (!p) return false;
    r->sessions = p;
    r->sess_cap = cap;
    return true;
}

/* A facilitator's session counted, once. */
static void count_facilitator(hub_room *r, hub_session *s) {
    if (s->fac_counted || !wk_is_facilitator(&r->w->people[s->participant])) return;
    s->fac_counted = true;
    r->fac_sessions++;
}

static void room_remove_session(hub_room *r, hub_session *s) {
    if (s->fac_counted) r->fac_sessions--;
    s->fac_counted = false;
    if (s->slot >= r->nsess || r->sessions[s->slot] != s) return;
    net_group_leave(r->hub->net, s->conn);
    r->sessions[s->slot] = r->sessions[--r->nsess];
    r->sessions[s->slot]->slot = s->slot;
}

/* Arrivals and departures are history, not state: nothing waits on them. */
/* An arrival carries the organisation's colour slot when it has one, so
 * that the replay and the exports colour it as the live pages did. */
static void record_event(hub_room *r, const char *type, const wk_participant *p) {
    char t[HUB_MS_TEXT];
    hub_ms_text(t, hub_now_ms());
    int slot = strcmp(type, "arrived") == 0 ? wk_org_slot(r->w, p) : -1;
    if (slot >= 0)
        store_cmd(r->hub->store, NULL, NULL,
                  "FCALL atelier_mark 3 %s %s %s %s type %s participant %s name %s org %s role %s slot %d origin %s",
                  r->k_meta, r->k_events, r->k_marks, t, type, p->id, p->name, p->org, wk_role_name(p->role), slot,
                  r->hub->origin);
    else
        store_cmd(r->hub->store, NULL, NULL,
                  "FCALL atelier_mark 3 %s %s %s %s type %s participant %s name %s org %s role %s origin %s", r->k_meta,
                  r->k_events, r->k_marks, t, type, p->id, p->name, p->org, wk_role_name(p->role),
                  r->hub->origin);
}

/* A join refused: the connection may try again. */
static void refuse(hub *h, hub_session *s, proto_err e, const char *why, const char *idjson) {
    s->state = SESS_NEW;
    hub_send_error(h, s->conn, e, why, PROTO_JOIN, idjson);
}

/* ---- Welcome ---- */

/* "missed":[…] from revision `from`, or the whole "text". */
static void write_doc(const workshop *w, int who, bool resume, int64_t from, sbuf *b) {
    sbuf_puts(b, ",\"doc\":{\"rev\":");
    sbuf_put_i64(b, w->rev);
    if (!resume || !wk_window_has(w, from)) {
        const ot_text *t = wk_committed_text(w);
        sbuf_puts(b, ",\"text\":");
        sbuf_put_jstr(b, t->buf, t->len);
        sbuf_putc(b, '}');
        return;
    }
    sbuf_puts(b, "},\"missed\":[");
    for (int64_t v = from; v < w->rev; v++) {
        const wk_entry *e = wk_window_at(w, v);
        if (v > from) sbuf_putc(b, ',');
        sbuf_puts(b, "{\"rev\":");
        sbuf_put_i64(b, v);
        sbuf_puts(b, ",\"op\":");
        sbuf_put(b, e->opjson, e->opjson_len);
        sbuf_puts(b, ",\"author\":");
        sbuf_put_jstrz(b, w->people[e->author].id);
        if ((int)e->author == who && e->opid) {
            sbuf_puts(b, ",\"id\":");
            sbuf_puts(b, e->opid);
        }
        sbuf_putc(b, '}');
    }
    sbuf_putc(b, ']');
}

/* ,"participants":[…]: everyone present but `who`, with their carets. */
static void write_present(const workshop *w, int who, sbuf *b) {
    sbuf_puts(b, ",\"participants\":[");
    bool first = true;
    for (size_t i = 0; i < w->npeople; i++) {
        const wk_participant *p = &w->people[i];
        if ((int)i == who || !wk_present(p)) continue;
        if (!first) sbuf_putc(b, ',');
        first = false;
        hub_write_person(b, w, p);
    }
    sbuf_putc(b, ']');
}

static void write_welcome(hub_room *r, int who, const char *idjson, bool resume, int64_t from, sbuf *b) {
    const workshop *w = r->w;
    const wk_participant *me = &w->people[who];
    sbuf_puts(b, "{\"type\":\"welcome\"");
    if (idjson && idjson[0]) {
        sbuf_puts(b, ",\"id\":");
        sbuf_puts(b, idjson);
    }
    sbuf_puts(b, ",\"workshop\":{\"id\":");
    sbuf_put_jstrz(b, w->id);
    sbuf_puts(b, ",\"title\":");
    sbuf_put_jstrz(b, w->title);
    hub_workshop_write_fields(b, w->time_zone, w->code, w->ended, w->ended_at);
    /* A join is a write (its arrival): the retention starts again now. */
    sbuf_puts(b, ",\"deletes_at\":");
    sbuf_put_i64(b, hub_retention_deletes_at(r->hub, hub_now_ms()));
    sbuf_puts(b, "},\"participant\":");
    hub_write_participant(b, w, me);
    sbuf_puts(b, ",\"token\":\"");
    sbuf_puts(b, me->id);
    sbuf_putc(b, '.');
    sbuf_puts(b, me->secret);
    sbuf_puts(b, "\",\"role\":");
    sbuf_put_jstrz(b, wk_role_name(me->role));
    hub_observer_write_welcome(w, me, b);
    write_doc(w, who, resume, from, b);
    if (!hub_crowd_write_welcome(r, who, b)) write_present(w, who, b); /* a big workshop's is bounded */
    wk_write_org_slots(b, w);
    hub_poll_write_welcome(r, who, b);
    hub_agenda_write_welcome(r, b);
    hub_discuss_write_welcome(r, b);
    hub_balance_write_welcome(r, who, b);
    hub_signoff_write_welcome(r, b);
    hub_board_write_welcome(r, who, b);
    sbuf_putc(b, '}');
}

/* The session joins: it takes a reference to the room until hub_leave. */
static void finish_join(hub_room *r, hub_session *s, int who, const char *idjson, bool resume, int64_t from) {
    hub *h = r->hub;
    bool in_group = !r->group || net_group_join(h->net, r->group, s->conn);
    if (!in_group || !room_reserve_session(r)) { /* before anything changes: the session stays unjoined */
        net_group_leave(h->net, s->conn);
        refuse(h, s, PROTO_EINTERNAL, "out of memory", idjson);
        return;
    }
    wk_participant *p = &r->w->people[who];
    s->state = SESS_JOINED;
    s->room = r;
    s->participant = who;
    s->slot = r->nsess;
    r->sessions[r->nsess++] = s;
    count_facilitator(r, s);
    hub_room_ref(r);
    r->w->online++;
    if (p->online++ == 0) {
        record_event(r, "arrived", p);
        hub_presence_arrived(r, who, s->conn);
        hub_balance_due(r);
    }
    write_welcome(r, who, idjson, resume, from, &h->scratch);
    net_admit(h->net, s->conn); /* joined: no handshake deadline any more */
    hub_trim_joined(h);
    net_send_sbuf(h->net, s->conn, &h->scratch);
    if (wk_is_facilitator(p)) hub_balance_due(r); /* the counts here may be older than Redis' */
    hub_poll_after_welcome(r, s);
}

void hub_leave(hub_session *s) {
    hub_room *r = s->room;
    room_remove_session(r, s);
    workshop *w = r->w;
    wk_participant *p = &w->people[s->participant];
    w->online--;
    if (--p->online == 0) {
        record_event(r, "departed", p);
        hub_presence_departed(r, s->participant, s->conn);
        hub_balance_due(r);
    }
    s->room = NULL;
    s->state = SESS_NEW;
    if (r->nsess == 0) hub_room_linger(r);
    hub_room_unref(r);
}

/* A join waiting for its person's record to be stored. */
typedef struct join_saved {
    hub_room *room;
    uint64_t conn;
    int who;                            /* the person joining */
    char idjson[PROTO_IDJSON_MAX + 1];  /* the join's request id */
    wk_role role;                       /* the role stored: theirs once it is */
    bool resume;                        /* a resume: the welcome carries what it missed since `from` */
    int64_t from;
} join_saved;

/* The slot atelier_person answered ({1, slot}): person who's organisation's. */
static void take_slot(workshop *w, int who, const redisReply *reply) {
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 || reply->element[1]->type != REDIS_REPLY_INTEGER)
        return;
    long long slot = reply->element[1]->integer;
    if (slot >= 0 && slot <= WK_SLOT_MAX) wk_set_org_slot(w, who, (int)slot);
}

static void participant_saved(redisReply *reply, void *priv) {
    join_saved *j = priv;
    hub_room *r = j->room;
    hub *h = r->hub;
    hub_session *s = net_session(h->net, j->conn);
    bool stored = reply && reply->type != REDIS_REPLY_ERROR && !(reply->type == REDIS_REPLY_INTEGER && reply->integer == 0);
    if (stored && r->state == ROOM_READY) { /* the person has the role stored (a facilitator asks for nothing) */
        r->w->people[j->who].role = j->role;
        take_slot(r->w, j->who, reply);
        if (j->role == WK_FACILITATOR) r->w->people[j->who].asks = false;
        for (size_t i = 0; j->role == WK_FACILITATOR && i < r->nsess; i++) /* their other tabs: facilitators' now */
            if (r->sessions[i]->participant == j->who) count_facilitator(r, r->sessions[i]);
    }
    if (s && s->state == SESS_JOINING) {
        if (!reply || reply->type == REDIS_REPLY_ERROR)
            refuse(h, s, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE, j->idjson);
        else if (!stored) /* deleted by another process, whose word is on its way */
            refuse(h, s, PROTO_ENOT_FOUND, "this workshop was deleted", j->idjson);
        else
            finish_join(r, s, j->who, j->idjson, j->resume, j->from);
    }
    free(j);
    hub_room_unref(r);
}

static void join_decide(hub_room *r, uint64_t conn, proto_msg *msg, bool reread);

/* A resume token this process does not know may belong to someone who joined
 * through another server process since this one loaded the workshop. */
typedef struct join_reread {
    hub_room *room;
    uint64_t conn;
    proto_msg msg;
    char pid[WK_PID_LEN + 1];
} join_reread;

static void participant_reread(redisReply *reply, void *priv) {
    join_reread *jr = priv;
    hub_room *r = jr->room;
    if (reply && reply->type == REDIS_REPLY_STRING) hub_person_upsert(r->w, jr->pid, reply->str);
    join_decide(r, jr->conn, &jr->msg, true);
    proto_msg_free(&jr->msg);
    free(jr);
    hub_room_unref(r);
}

/* Read `field` of hash `key` back, then decide the join again (fn calls
 * join_decide): false (msg untouched) when it could not go. */
static bool reread_then_decide(hub_room *r, uint64_t conn, proto_msg *msg, store_reply_fn fn, const char *key,
                               const char *field, const char *pid) {
    join_reread *jr = calloc(1, sizeof *jr);
    if (!jr) return false;
    snprintf(jr->pid, sizeof jr->pid, "%s", pid);
    jr->room = r;
    jr->conn = conn;
    if (!hub_room_cmd(r, fn, jr, "HGET %s %s", key, field)) {
        free(jr);
        return false;
    }
    jr->msg = *msg;
    memset(msg, 0, sizeof *msg); /* jr owns the strings now */
    return true;
}

static bool reread_participant(hub_room *r, uint64_t conn, proto_msg *msg) {
    const char *tok = msg->u.join.token;
    const char *dot = strchr(tok, '.');
    if (!dot || dot - tok != WK_PID_LEN) return false;
    char pid[WK_PID_LEN + 1];
    memcpy(pid, tok, WK_PID_LEN);
    pid[WK_PID_LEN] = '\0';
    return reread_then_decide(r, conn, msg, participant_reread, r->k_people, pid, pid);
}

/* An observer key this process does not know may be a link made through
 * another process whose announcement has not arrived yet. */
static void observer_key_reread(redisReply *reply, void *priv) {
    join_reread *jr = priv;
    hub_room *r = jr->room;
    if (r->state == ROOM_READY && reply && (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_NIL))
        hub_observer_take(r, reply->type == REDIS_REPLY_STRING ? reply->str : "");
    if (r->state == ROOM_READY) join_decide(r, jr->conn, &jr->msg, true);
    proto_msg_free(&jr->msg);
    free(jr);
    hub_room_unref(r);
}

void hub_join_ready(hub_room *r, uint64_t conn, proto_msg *msg) { join_decide(r, conn, msg, false); }

static bool save_person(hub_room *r, hub_session *s, int who, wk_role role, bool slot_only, const char *idjson,
                        bool resume, int64_t from);

static void join_resume(hub_room *r, hub_session *s, proto_msg *msg, bool reread) {
    hub *h = r->hub;
    workshop *w = r->w;
    const proto_join *j = &msg->u.join;
    int who = wk_check_token(w, j->token);
    if (who < 0 && !reread && reread_participant(r, s->conn, msg)) return;
    if (who < 0) {
        refuse(h, s, PROTO_EFORBIDDEN, "this participant token is not this workshop's; join anew", msg->idjson);
        return;
    }
    if (!wk_observer_admitted(w, &w->people[who])) {
        refuse(h, s, PROTO_EFORBIDDEN, "the observer link was revoked", msg->idjson);
        return;
    }
    /* Ahead of the server (ops the Redis primary lost in a failover), or
     * after such a loss: the whole text, never ops that may not follow the
     * client's (protocol/README.md, "After a failover of Redis"). */
    bool missed = j->rev <= w->rev && !hub_primary_resyncing(r);
    const wk_participant *p = &w->people[who];
    /* A person of an older workshop whose organisation has no colour slot
     * yet: it gets one now, before the welcome says it. */
    bool slotless = wk_org_slot(w, p) < 0 && p->role != WK_OBSERVER && p->org[0];
    if (slotless && (!j->key || p->role == WK_FACILITATOR)) {
        if (!save_person(r, s, who, p->role, true, msg->idjson, missed, j->rev))
            refuse(h, s, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE, msg->idjson);
        return;
    }
    if (!j->key || w->people[who].role == WK_FACILITATOR) {
        finish_join(r, s, who, msg->idjson, missed, j->rev);
        return;
    }
    /* Resumed with the facilitator key: a facilitator from now on, in the
     * record too (exports, other processes, later loads), stored before the
     * welcome says so. */
    if (!save_person(r, s, who, WK_FACILITATOR, false, msg->idjson, missed, j->rev))
        refuse(h, s, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE, msg->idjson);
}

/* {"name","organisation","role","secret"[,"okey"]}: what atelier_person
 * stores; an observer's record remembers the link's key they joined with. */
static void write_person_record(sbuf *rec, const wk_participant *p) {
    sbuf_puts(rec, "{\"name\":");
    sbuf_put_jstrz(rec, p->name);
    sbuf_puts(rec, ",\"organisation\":");
    sbuf_put_jstrz(rec, p->org);
    sbuf_puts(rec, ",\"role\":");
    sbuf_put_jstrz(rec, wk_role_name(p->role));
    sbuf_puts(rec, ",\"secret\":");
    sbuf_put_jstrz(rec, p->secret);
    if (p->okey[0]) {
        sbuf_puts(rec, ",\"okey\":");
        sbuf_put_jstrz(rec, p->okey);
    }
    sbuf_putc(rec, '}');
}

/* The role a new person joins with: the key they came with says it. */
static wk_role joining_role(const proto_join *j) {
    return j->key ? WK_FACILITATOR : j->observer_key ? WK_OBSERVER : WK_PARTICIPANT;
}

static void join_new(hub_room *r, hub_session *s, proto_msg *msg) {
    hub *h = r->hub;
    workshop *w = r->w;
    const proto_join *j = &msg->u.join;
    char pid[WK_PID_LEN + 1], secret[WK_SECRET_LEN + 1];
    pid[0] = 'p';
    if (!net_random_b64url(pid + 1, WK_PID_LEN - 1) || !net_random_b64url(secret, WK_SECRET_LEN)) {
        refuse(h, s, PROTO_EINTERNAL, "could not create the participant", msg->idjson);
        return;
    }
    /* One organisation, one group: "banque " joins the "Banque" already
     * here. An observer's organisation is only what they said: never a group. */
    wk_role role = joining_role(j);
    const char *same = role == WK_OBSERVER ? NULL : wk_same_org(w, j->organisation);
    int who = wk_add_participant(w, pid, secret, j->name, same ? same : j->organisation, role);
    if (who < 0) {
        refuse(h, s, PROTO_EINTERNAL, "out of memory", msg->idjson);
        return;
    }
    if (role == WK_OBSERVER) snprintf(w->people[who].okey, sizeof w->people[who].okey, "%s", j->observer_key);
    if (!save_person(r, s, who, role, false, msg->idjson, false, 0)) refuse(h, s, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE, msg->idjson);
}

/* Store person who's record with `role` (atelier_person), or only their
 * organisation's colour slot in the stored record (slot_only), then finish
 * the join: false (nothing sent) when it could not go. */
static bool save_person(hub_room *r, hub_session *s, int who, wk_role role, bool slot_only, const char *idjson,
                        bool resume, int64_t from) {
    join_saved *js = calloc(1, sizeof *js);
    if (!js) return false;
    *js = (join_saved){.room = r, .conn = s->conn, .who = who, .role = role, .resume = resume, .from = from};
    snprintf(js->idjson, sizeof js->idjson, "%s", idjson);
    const wk_participant *p = &r->w->people[who];
    wk_participant stored = *p; /* shares p's strings, only for writing the record */
    stored.role = role;
    sbuf rec;
    sbuf_init(&rec, 0);
    if (!slot_only) write_person_record(&rec, &stored);
    char org_key[PRESENCE_KEY_MAX] = ""; /* an observer's organisation is never one: no slot */
    if (role != WK_OBSERVER && strlen(p->org) < sizeof org_key) utf8_label_key(p->org, org_key);
    bool ok = sbuf_ok(&rec) && hub_room_write(r, participant_saved, js, "FCALL atelier_person 2 %s %s %s %s %s",
                                            r->k_meta, r->k_people, p->id, slot_only ? "" : sbuf_data(&rec), org_key);
    sbuf_free(&rec);
    if (!ok) free(js);
    return ok;
}

static void join_decide(hub_room *r, uint64_t conn, proto_msg *msg, bool reread) {
    hub *h = r->hub;
    hub_session *s = net_session(h->net, conn);
    if (!s || s->state != SESS_JOINING) return;
    const proto_join *j = &msg->u.join;
    bool unknown_okey = j->observer_key && !wk_check_observer_key(r->w, j->observer_key);
    if (unknown_okey && !reread && reread_then_decide(r, conn, msg, observer_key_reread, r->k_meta, "okey", ""))
        return; /* decided again once the key is read back (msg is the reread's now) */
    if (j->key && !wk_check_key(r->w, j->key))
        refuse(h, s, PROTO_EFORBIDDEN, "this facilitator key is not this workshop's", msg->idjson);
    else if (unknown_okey)
        refuse(h, s, PROTO_EFORBIDDEN, "this observer link is not this workshop's, or was revoked", msg->idjson);
    else if (j->resume)
        join_resume(r, s, msg, reread);
    else
        join_new(r, s, msg);
}

/* Wait for the room to load: the waiting list holds a reference and msg's strings. */
static bool wait_for_load(hub_room *r, hub_session *s, proto_msg *msg) {
    if (r->nwaiting == r->waiting_cap) {
        size_t cap = r->waiting_cap ? r->waiting_cap * 2 : 4;
        hub_waiting_join *wj = realloc(r->waiting, cap * sizeof *wj);
        if (!wj) return false;
        r->waiting = wj;
        r->waiting_cap = cap;
    }
    r->waiting[r->nwaiting].conn = s->conn;
    r->waiting[r->nwaiting].msg = *msg;
    r->nwaiting++;
    memset(msg, 0, sizeof *msg);
    hub_room_ref(r);
    return true;
}

#define JOIN_ADDRESSES 4096 /* addresses counted at once; more wait their turn (core/limiter.h) */

bool hub_join_init(hub *h) {
    return limiter_init(&h->joins_by_address, JOIN_ADDRESSES, h->cfg.join_rate * 60, h->cfg.join_rate * 10);
}

void hub_join_free(hub *h) { limiter_free(&h->joins_by_address); }

/* Joins are counted per client address, every one (an unknown id too),
 * before anything is looked up or loaded: a flood from one address costs a
 * slot of a fixed table, not rooms. */
static bool within_limit(hub *h, hub_session *s, const proto_msg *msg) {
    char peer[NET_PEER_MAX];
    int retry = 0;
    if (!net_ws_peer(h->net, s->conn, peer, sizeof peer)) snprintf(peer, sizeof peer, "%s", "?");
    if (limiter_take(&h->joins_by_address, peer, hub_now_us(), &retry)) return true;
    hub_send_error(h, s->conn, PROTO_ERATE_LIMITED, "too many joins from this address; try again in a moment",
                   PROTO_JOIN, msg->idjson);
    return false;
}

void hub_join(hub *h, hub_session *s, proto_msg *msg) {
    if (s->state != SESS_NEW) {
        hub_send_error(h, s->conn, PROTO_EBAD_REQUEST, "this connection has already joined", PROTO_JOIN, msg->idjson);
        return;
    }
    if (!within_limit(h, s, msg)) return;
    if (!h->store || !store_up(h->store)) {
        hub_send_error(h, s->conn, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE, PROTO_JOIN, msg->idjson);
        return;
    }
    if (!hub_room_may_hold(h, msg->u.join.workshop)) {
        hub_send_error(h, s->conn, PROTO_EUNAVAILABLE, HUB_ROOMS_FULL, PROTO_JOIN, msg->idjson);
        return;
    }
    hub_room *r = hub_room_acquire(h, msg->u.join.workshop);
    if (!r) {
        hub_send_error(h, s->conn, PROTO_EINTERNAL, "out of memory", PROTO_JOIN, msg->idjson);
        return;
    }
    s->state = SESS_JOINING;
    if (r->deleted) /* its last sessions are still closing */
        refuse(h, s, PROTO_ENOT_FOUND, "this workshop was deleted", msg->idjson);
    else if (r->state == ROOM_READY)
        hub_join_ready(r, s->conn, msg);
    else if (!wait_for_load(r, s, msg))
        refuse(h, s, PROTO_EINTERNAL, "out of memory", msg->idjson);
    else
        hub_room_load(r); /* unless it is loading already */
    hub_room_unref(r);
}
