#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/resp.h"
#include "core/utf8.h"
#include "hub/hub_internal.h"

#define CURSOR_EVERY_US 50000     /* at most one caret relay per participant per 50 ms */

void *hub_session_open(hub *h, uint64_t conn) {
    hub_session *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->conn = conn;
    s->participant = -1;
    s->bucket.tokens = -1;
    return s;
}

static void room_add_session(hub_room *r, hub_session *s) {
    if (r->nsess == r->sess_cap) {
        size_t cap = r->sess_cap ? r->sess_cap * 2 : 8;
        hub_session **p = realloc(r->sessions, cap * sizeof *p);
        if (!p) return; /* the session stays unjoined; its client sees no welcome and retries */
        r->sessions = p;
        r->sess_cap = cap;
    }
    s->slot = r->nsess;
    r->sessions[r->nsess++] = s;
}

static void room_remove_session(hub_room *r, hub_session *s) {
    if (s->slot >= r->nsess || r->sessions[s->slot] != s) return;
    r->sessions[s->slot] = r->sessions[--r->nsess];
    r->sessions[s->slot]->slot = s->slot;
}

static void record_event(hub_room *r, const char *type, const wk_participant *p) {
    char t[24];
    snprintf(t, sizeof t, "%lld", (long long)hub_now_ms());
    /* Arrivals and departures are history, not state: nothing waits on them. */
    store_cmd(r->hub->store, NULL, NULL,
              "FCALL atelier_mark 3 %s %s %s %s type %s participant %s name %s org %s role %s origin %s", r->k_meta,
              r->k_events, r->k_marks, t, type, p->id, p->name, p->org, p->facilitator ? "facilitator" : "participant",
              r->hub->origin);
}

/* ---- Welcome ---- */

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
    sbuf_puts(b, "},\"participant\":");
    proto_write_participant(b, me->id, me->name, me->org, me->facilitator);
    sbuf_puts(b, ",\"token\":\"");
    sbuf_puts(b, me->id);
    sbuf_putc(b, '.');
    sbuf_puts(b, me->secret);
    sbuf_puts(b, me->facilitator ? "\",\"role\":\"facilitator\"" : "\",\"role\":\"participant\"");
    sbuf_puts(b, ",\"doc\":{\"rev\":");
    sbuf_put_i64(b, w->rev);
    if (resume && wk_window_has(w, from)) {
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
    } else {
        const ot_text *t = wk_committed_text(w);
        sbuf_puts(b, ",\"text\":");
        sbuf_put_jstr(b, t->buf, t->len);
        sbuf_putc(b, '}');
    }
    sbuf_puts(b, ",\"participants\":[");
    bool first = true;
    for (size_t i = 0; i < w->npeople; i++) {
        const wk_participant *p = &w->people[i];
        if ((int)i == who || !wk_present(p)) continue;
        if (!first) sbuf_putc(b, ',');
        first = false;
        proto_write_participant(b, p->id, p->name, p->org, p->facilitator);
        if (p->has_cursor) {
            b->len--; /* reopen the object to add the caret */
            sbuf_printf(b, ",\"rev\":%lld,\"sel\":[%lld,%lld]}", (long long)w->rev, (long long)p->sel[0],
                        (long long)p->sel[1]);
        }
    }
    sbuf_putc(b, ']');
    hub_poll_write_welcome(r, who, b);
    sbuf_putc(b, '}');
}

static void finish_join(hub_room *r, hub_session *s, int who, const char *idjson, bool resume, int64_t from) {
    hub *h = r->hub;
    wk_participant *p = &r->w->people[who];
    s->state = SESS_JOINED;
    s->room = r;
    s->participant = who;
    room_add_session(r, s);
    r->w->online++;
    if (p->online++ == 0) {
        record_event(r, "arrived", p);
        hub_presence_arrived(r, who, s->conn);
    }
    write_welcome(r, who, idjson, resume, from, &h->scratch);
    net_send_sbuf(h->net, s->conn, &h->scratch);
    hub_poll_after_welcome(r, s);
}

typedef struct join_saved {
    hub_room *room;
    uint64_t conn;
    int who;
    char idjson[PROTO_IDJSON_MAX + 1];
} join_saved;

static void participant_saved(redisReply *reply, void *priv) {
    join_saved *j = priv;
    hub_room *r = j->room;
    hub *h = r->hub;
    r->pending--;
    hub_session *s = net_session(h->net, j->conn);
    if (s && s->state == SESS_JOINING) {
        if (!reply || reply->type == REDIS_REPLY_ERROR) {
            s->state = SESS_NEW;
            hub_send_error(h, j->conn, PROTO_EUNAVAILABLE, "storage is unavailable, try again shortly", PROTO_JOIN,
                           j->idjson);
        } else if (reply->type == REDIS_REPLY_INTEGER && reply->integer == 0) {
            /* Deleted by another process, whose announcement is on its way. */
            s->state = SESS_NEW;
            hub_send_error(h, j->conn, PROTO_ENOT_FOUND, "this workshop was deleted", PROTO_JOIN, j->idjson);
        } else {
            finish_join(r, s, j->who, j->idjson, false, 0);
        }
    }
    free(j);
    hub_room_maybe_free(r);
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
    r->pending--;
    if (reply && reply->type == REDIS_REPLY_STRING && r->w) hub_person_upsert(r->w, jr->pid, reply->str);
    if (r->w) join_decide(r, jr->conn, &jr->msg, true);
    proto_msg_free(&jr->msg);
    free(jr);
    hub_room_maybe_free(r);
}

static bool reread_participant(hub_room *r, uint64_t conn, proto_msg *msg) {
    const char *tok = msg->u.join.token;
    const char *dot = strchr(tok, '.');
    if (!dot || dot - tok != WK_PID_LEN) return false;
    join_reread *jr = calloc(1, sizeof *jr);
    if (!jr) return false;
    memcpy(jr->pid, tok, WK_PID_LEN);
    jr->room = r;
    jr->conn = conn;
    r->pending++;
    if (!store_cmd(r->hub->store, participant_reread, jr, "HGET %s %s", r->k_people, jr->pid)) {
        r->pending--;
        free(jr);
        return false;
    }
    jr->msg = *msg;
    memset(msg, 0, sizeof *msg); /* jr owns the strings now */
    return true;
}

/* The room is loaded: decide the join. */
void hub_join_ready(hub_room *r, uint64_t conn, proto_msg *msg) { join_decide(r, conn, msg, false); }

static void join_decide(hub_room *r, uint64_t conn, proto_msg *msg, bool reread) {
    hub *h = r->hub;
    hub_session *s = net_session(h->net, conn);
    if (!s || s->state != SESS_JOINING) return;
    const proto_join *j = &msg->u.join;
    workshop *w = r->w;
    if (j->key && !wk_check_key(w, j->key)) {
        s->state = SESS_NEW;
        hub_send_error(h, conn, PROTO_EFORBIDDEN, "this facilitator key is not this workshop's", PROTO_JOIN, msg->idjson);
        return;
    }
    if (j->resume) {
        int who = wk_check_token(w, j->token);
        if (who < 0 && !reread && reread_participant(r, conn, msg)) return;
        if (who < 0) {
            s->state = SESS_NEW;
            hub_send_error(h, conn, PROTO_EFORBIDDEN, "this participant token is not this workshop's; join anew",
                           PROTO_JOIN, msg->idjson);
            return;
        }
        if (j->key) w->people[who].facilitator = true;
        if (j->rev > w->rev) {
            s->state = SESS_NEW;
            hub_send_error(h, conn, PROTO_EBAD_REQUEST, "resume revision is ahead of the server's", PROTO_JOIN,
                           msg->idjson);
            return;
        }
        finish_join(r, s, who, msg->idjson, true, j->rev);
        return;
    }
    char pid[WK_PID_LEN + 1], secret[WK_SECRET_LEN + 1];
    pid[0] = 'p';
    join_saved *js = calloc(1, sizeof *js);
    if (!js || !net_random_b64url(pid + 1, WK_PID_LEN - 1) || !net_random_b64url(secret, WK_SECRET_LEN)) {
        free(js);
        s->state = SESS_NEW;
        hub_send_error(h, conn, PROTO_EINTERNAL, "could not create the participant", PROTO_JOIN, msg->idjson);
        return;
    }
    /* One organisation, one group: "banque " joins the "Banque" already here. */
    const char *same = wk_same_org(w, j->organisation);
    const char *org = same ? same : j->organisation;
    int who = wk_add_participant(w, pid, secret, j->name, org, j->key != NULL);
    if (who < 0) {
        free(js);
        s->state = SESS_NEW;
        hub_send_error(h, conn, PROTO_EINTERNAL, "out of memory", PROTO_JOIN, msg->idjson);
        return;
    }
    js->room = r;
    js->conn = conn;
    js->who = who;
    snprintf(js->idjson, sizeof js->idjson, "%s", msg->idjson);
    /* Stored before the welcome, so the token it hands out works after any restart. */
    sbuf rec;
    sbuf_init(&rec, 0);
    sbuf_puts(&rec, "{\"name\":");
    sbuf_put_jstrz(&rec, j->name);
    sbuf_puts(&rec, ",\"organisation\":");
    sbuf_put_jstrz(&rec, w->people[who].org);
    sbuf_puts(&rec, j->key ? ",\"role\":\"facilitator\"" : ",\"role\":\"participant\"");
    sbuf_puts(&rec, ",\"secret\":");
    sbuf_put_jstrz(&rec, secret);
    sbuf_putc(&rec, '}');
    r->pending++;
    bool ok = sbuf_ok(&rec) && store_cmd(h->store, participant_saved, js, "FCALL atelier_person 2 %s %s %s %s", r->k_meta,
                                         r->k_people, pid, sbuf_data(&rec));
    sbuf_free(&rec);
    if (!ok) {
        r->pending--;
        free(js);
        s->state = SESS_NEW;
        hub_send_error(h, conn, PROTO_EUNAVAILABLE, "storage is unavailable, try again shortly", PROTO_JOIN, msg->idjson);
    }
}

static void handle_join(hub *h, hub_session *s, proto_msg *msg) {
    if (s->state != SESS_NEW) {
        hub_send_error(h, s->conn, PROTO_EBAD_REQUEST, "this connection has already joined", PROTO_JOIN, msg->idjson);
        return;
    }
    if (!h->store || !store_up(h->store)) {
        hub_send_error(h, s->conn, PROTO_EUNAVAILABLE, "storage is unavailable, try again shortly", PROTO_JOIN, msg->idjson);
        return;
    }
    hub_room *r = hub_room_get(h, msg->u.join.workshop);
    if (!r) {
        hub_send_error(h, s->conn, PROTO_EINTERNAL, "out of memory", PROTO_JOIN, msg->idjson);
        return;
    }
    if (r->deleted) { /* its last sessions are still closing */
        hub_send_error(h, s->conn, PROTO_ENOT_FOUND, "this workshop was deleted", PROTO_JOIN, msg->idjson);
        return;
    }
    s->state = SESS_JOINING;
    if (r->state == ROOM_READY) {
        hub_join_ready(r, s->conn, msg);
        hub_room_maybe_free(r);
        return;
    }
    if (r->nwaiting == r->waiting_cap) {
        size_t cap = r->waiting_cap ? r->waiting_cap * 2 : 4;
        hub_waiting_join *wj = realloc(r->waiting, cap * sizeof *wj);
        if (!wj) {
            s->state = SESS_NEW;
            hub_send_error(h, s->conn, PROTO_EINTERNAL, "out of memory", PROTO_JOIN, msg->idjson);
            hub_room_maybe_free(r);
            return;
        }
        r->waiting = wj;
        r->waiting_cap = cap;
    }
    r->waiting[r->nwaiting].conn = s->conn;
    r->waiting[r->nwaiting].msg = *msg;
    r->nwaiting++;
    memset(msg, 0, sizeof *msg); /* the waiting list owns its strings now */
    if (r->nwaiting == 1 && r->pending == 0 && !r->w) hub_room_load(r);
}

/* ---- Ops ---- */

static void refuse_cb(void *ud, const wk_submission *sub, proto_err err, const char *why, int64_t ack_rev) {
    hub_room *r = ud;
    hub *h = r->hub;
    if (err == PROTO_OK) proto_write_ack(&h->scratch, sub->opid, ack_rev);
    else proto_write_error(&h->scratch, err, why, PROTO_OP, sub->opid);
    net_send_sbuf(h->net, sub->conn, &h->scratch);
}

void hub_room_refuse_all(hub_room *r, proto_err e, const char *why) {
    workshop *w = r->w;
    if (w->in_flight) return; /* its reply (NULL when the link died) settles the batch */
    for (size_t i = 0; i < w->qlen; i++) {
        refuse_cb(r, &w->queue[i], e, why, -1);
        ot_op_free(&w->queue[i].op);
        free(w->queue[i].opid);
    }
    w->qlen = 0;
}

/* Carets follow the text: keep the stored ones valid at the new revision. */
static void move_carets(workshop *w, int64_t from) {
    for (size_t i = 0; i < w->npeople; i++) {
        wk_participant *p = &w->people[i];
        for (int64_t v = from; p->has_cursor && v < w->rev; v++) {
            const wk_entry *e = wk_window_at(w, v);
            if (!e) { /* the window ran out of memory: forget the caret rather than misplace it */
                p->has_cursor = false;
                break;
            }
            p->sel[0] = (int64_t)ot_transform_position((size_t)p->sel[0], &e->op);
            p->sel[1] = (int64_t)ot_transform_position((size_t)p->sel[1], &e->op);
        }
    }
}

/* Ops committed by another server process: apply, relay, then retry ours. */
static void caught_up(redisReply *reply, void *priv) {
    hub_room *r = priv;
    hub *h = r->hub;
    workshop *w = r->w;
    r->pending--;
    r->catching_up = false;
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        hub_room_refuse_all(r, PROTO_EUNAVAILABLE, "storage is unavailable; the op was not saved, send it again shortly");
        hub_room_maybe_free(r);
        return;
    }
    int64_t from = w->rev;
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *e = reply->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[1]->type != REDIS_REPLY_ARRAY) continue;
        const redisReply *kv = e->element[1];
        const char *type = NULL, *rev = NULL, *op = NULL, *author = NULL, *opid = NULL;
        size_t oplen = 0;
        for (size_t k = 0; k + 1 < kv->elements; k += 2) {
            const char *f = kv->element[k]->str, *v = kv->element[k + 1]->str;
            if (!f || !v) continue;
            if (!strcmp(f, "type")) type = v;
            else if (!strcmp(f, "rev")) rev = v;
            else if (!strcmp(f, "op")) op = v, oplen = kv->element[k + 1]->len;
            else if (!strcmp(f, "author")) author = v;
            else if (!strcmp(f, "opid")) opid = v;
        }
        if (!type || strcmp(type, "op") || !rev || !op) {
            snprintf(w->last_event, sizeof w->last_event, "%s", e->element[0]->str);
            continue;
        }
        int64_t v = strtoll(rev, NULL, 10);
        if (v < w->rev) continue;
        if (wk_apply_committed(w, v, op, oplen, author ? author : "?", opid, e->element[0]->str) != OT_OK) {
            lwsl_err("workshop %s: op %lld from another process does not apply\n", r->id, (long long)v);
            break;
        }
        const wk_entry *ent = wk_window_at(w, v);
        if (!ent) continue; /* out of memory for the window */
        proto_write_op(&h->scratch, v, ent->opjson, ent->opjson_len, w->people[ent->author].id);
        hub_broadcast(r, &h->scratch, 0, -1);
    }
    move_carets(w, from);
    hub_presence_caught_up(r);
    if (r->notified_rev > w->rev && !w->in_flight) hub_room_catch_up(r);
    else hub_room_pump(r);
    hub_room_maybe_free(r);
}

void hub_room_catch_up(hub_room *r) {
    workshop *w = r->w;
    r->catching_up = true;
    r->pending++;
    bool ok = w->last_event[0] ? store_cmd(r->hub->store, caught_up, r, "XRANGE %s (%s +", r->k_events, w->last_event)
                               : store_cmd(r->hub->store, caught_up, r, "XRANGE %s - +", r->k_events);
    if (!ok) {
        r->pending--;
        r->catching_up = false;
        hub_room_refuse_all(r, PROTO_EUNAVAILABLE, "storage is unavailable; the op was not saved, send it again shortly");
    }
}

static void maybe_snapshot(hub_room *r) {
    workshop *w = r->w;
    /* Every `every` revisions, but never more than 64 bytes of snapshot per
     * op: a long statement is stored whole each time, so space it out. */
    int64_t every = r->hub->cfg.snapshot_every, since = w->rev - w->snap_rev;
    if (every <= 0 || since < every || since * 64 < (int64_t)w->text.len) return;
    /* FCALL atelier_snapshot 2 meta snaps REV-1 TEXT EVENT MS, written as
     * RESP: a format string would go through the whole text byte by byte. */
    char id[SBUF_I64_MAX + 2];
    size_t idlen = sbuf_i64_text(id, w->rev);
    memcpy(id + idlen, "-1", 2);
    sbuf *b = &r->hub->req;
    sbuf_reset(b);
    resp_begin(b, 9);
    resp_argz(b, "FCALL");
    resp_argz(b, "atelier_snapshot");
    resp_argz(b, "2");
    resp_argz(b, r->k_meta);
    resp_argz(b, r->k_snaps);
    resp_arg(b, id, idlen + 2);
    resp_arg(b, w->text.buf, w->text.len);
    resp_argz(b, w->last_event);
    resp_arg_i64(b, hub_now_ms());
    if (sbuf_ok(b) && store_cmd_resp(r->hub->store, NULL, NULL, sbuf_data(b), b->len)) w->snap_rev = w->rev;
    if (b->cap > HUB_REQ_KEEP) sbuf_free(b);
}

/* Everyone but the submitting connection gets the op. The author's other
 * connections (another tab, or a reconnect that raced the ack) get its id
 * too, so a client can recognise its own op. */
static void broadcast_op(hub_room *r, const wk_entry *e, const wk_submission *sub) {
    hub *h = r->hub;
    const char *author = r->w->people[e->author].id;
    proto_write_op(&h->scratch, e->rev, e->opjson, e->opjson_len, author);
    netmsg *m = netmsg_take(&h->scratch);
    netmsg *own = NULL;
    for (size_t i = 0; m && i < r->nsess; i++) {
        hub_session *s = r->sessions[i];
        if (s->conn == sub->conn) continue;
        if (s->participant != (int)e->author) {
            net_send(h->net, s->conn, m);
            continue;
        }
        if (!own) {
            proto_write_op(&h->scratch, e->rev, e->opjson, e->opjson_len, author);
            h->scratch.len--; /* reopen the object to add the id */
            sbuf_puts(&h->scratch, ",\"id\":");
            sbuf_puts(&h->scratch, sub->opid);
            sbuf_putc(&h->scratch, '}');
            own = netmsg_take(&h->scratch);
            if (!own) continue;
        }
        net_send(h->net, s->conn, own);
    }
    netmsg_unref(m);
    netmsg_unref(own);
}

/* Busy workshops: a batch's acks and ops to every connection, then the
 * next batch's a round trip later, would cost each connection two writes.
 * When the next batch is already going out, this one's messages wait for its
 * reply, and each connection gets both in one write (every other batch: a
 * message waits one round trip at most). A workshop where commits do not
 * follow each other never waits. The timer (hold_us, 5 ms by default) is only
 * for a Redis that stalls: lws 4.1 polls without sleeping during the last
 * millisecond before a timer, so it must not be the usual way out. */
static void release_room(hub_room *r) {
    if (!r->held) return;
    r->held = false;
    lws_sul_cancel(&r->sul_hold);
    r->pending--;
    for (size_t i = 0; i < r->nsess; i++) net_release(r->hub->net, r->sessions[i]->conn);
}

static void hold_timer_cb(lws_sorted_usec_list_t *sul) {
    hub_room *r = lws_container_of(sul, hub_room, sul_hold);
    release_room(r);
    hub_room_maybe_free(r);
}

static void hold_room(hub_room *r) {
    r->held = true;
    r->pending++; /* the timer refers to the room */
    lws_sul_schedule(r->hub->ctx, 0, &r->sul_hold, hold_timer_cb, r->hub->cfg.hold_us);
    for (size_t i = 0; i < r->nsess; i++) net_hold(r->hub->net, r->sessions[i]->conn);
}

static void appended(redisReply *reply, void *priv) {
    hub_room *r = priv;
    hub *h = r->hub;
    workshop *w = r->w;
    r->pending--;
    bool was_held = r->held;
    release_room(r); /* what waited goes out with this batch's messages */
    if (!reply) {
        wk_batch_abort(w, false, PROTO_EUNAVAILABLE, "storage is unavailable; the op was not saved, send it again shortly",
                       refuse_cb, r);
    } else if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 3 && reply->element[0]->integer == 1) {
        int64_t first = wk_batch_commit(w, reply->element[2]->str);
        for (size_t i = 0; i < w->blen; i++) {
            const wk_submission *sub = &w->batch[i];
            const wk_entry *e = wk_window_at(w, first + (int64_t)i);
            if (!e) continue; /* out of memory for the window: the op is stored, its ack is lost */
            proto_write_ack(&h->scratch, sub->opid, e->rev);
            net_send_sbuf(h->net, sub->conn, &h->scratch);
            broadcast_op(r, e, sub);
        }
        wk_batch_clear(w);
        move_carets(w, first);
        maybe_snapshot(r);
        if (!was_held && w->qlen > 0 && h->cfg.hold_us > 0) hold_room(r);
    } else if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 && reply->element[0]->integer == 0) {
        /* Another process moved the revision: learn its ops, then transform ours again. */
        wk_batch_abort(w, true, PROTO_OK, NULL, refuse_cb, r);
        hub_room_catch_up(r);
        hub_room_maybe_free(r);
        return;
    } else if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 1) {
        wk_batch_abort(w, false, PROTO_ENOT_FOUND, "this workshop no longer exists", refuse_cb, r);
    } else {
        lwsl_err("workshop %s: append failed: %s\n", r->id, reply->type == REDIS_REPLY_ERROR ? reply->str : "bad reply");
        wk_batch_abort(w, false, PROTO_EINTERNAL, "the op could not be stored", refuse_cb, r);
    }
    hub_room_pump_soon(r);
    hub_room_maybe_free(r);
}

/* Send the next batch if none is in flight. */
void hub_room_pump(hub_room *r) {
    hub *h = r->hub;
    workshop *w = r->w;
    if (!w || w->in_flight || r->catching_up || w->qlen == 0) return;
    if (!h->store || !store_up(h->store)) {
        hub_room_refuse_all(r, PROTO_EUNAVAILABLE, "storage is unavailable; the op was not saved, send it again shortly");
        return;
    }
    size_t n = wk_batch_form(w, h->cfg.batch_max, refuse_cb, r);
    if (n == 0) return;
    /* FCALL atelier_append 3 meta events lastop rev t count, then per op
     * author org opid op: written as RESP in place (core/resp.h). */
    sbuf *b = &h->req;
    sbuf_reset(b);
    resp_begin(b, 9 + 4 * n);
    resp_argz(b, "FCALL");
    resp_argz(b, "atelier_append");
    resp_argz(b, "3");
    resp_argz(b, r->k_meta);
    resp_argz(b, r->k_events);
    resp_argz(b, r->k_lastop);
    resp_arg_i64(b, w->rev);
    resp_arg_i64(b, hub_now_ms());
    resp_arg_i64(b, (int64_t)n);
    for (size_t i = 0; i < n; i++) {
        const wk_entry *e = &w->bops[i];
        const wk_participant *p = &w->people[e->author];
        resp_argz(b, p->id);
        resp_argz(b, p->org);
        resp_argz(b, e->opid);
        resp_arg(b, e->opjson, e->opjson_len);
    }
    r->pending++;
    bool ok = sbuf_ok(b) && store_cmd_resp(h->store, appended, r, sbuf_data(b), b->len);
    if (!ok) r->pending--;
    if (b->cap > HUB_REQ_KEEP) sbuf_free(b); /* hiredis has its copy: a rare huge batch is not kept */
    if (!ok) wk_batch_abort(w, false, PROTO_EUNAVAILABLE, "storage is unavailable; the op was not saved, send it again shortly",
                            refuse_cb, r);
}

static void handle_op(hub *h, hub_session *s, proto_msg *msg) {
    hub_room *r = s->room;
    int64_t dup = -1;
    const char *why = "";
    proto_err e = wk_submit(r->w, s->conn, (uint32_t)s->participant, msg->idjson, msg->u.op.rev, &msg->u.op.op, &dup, &why);
    if (e != PROTO_OK) {
        hub_send_error(h, s->conn, e, why, PROTO_OP, msg->idjson);
        return;
    }
    if (dup >= 0) {
        proto_write_ack(&h->scratch, msg->idjson, dup);
        net_send_sbuf(h->net, s->conn, &h->scratch);
        return;
    }
    hub_room_pump_soon(r);
}

/* ---- Carets ---- */

static void flush_cursors(hub_room *r, int64_t now);

static void cursor_timer_cb(lws_sorted_usec_list_t *sul) {
    hub_room *r = lws_container_of(sul, hub_room, sul_cursor);
    r->cursor_timer = false;
    r->pending--;
    if (r->w) flush_cursors(r, hub_now_us());
    hub_room_maybe_free(r);
}

static void flush_cursors(hub_room *r, int64_t now) {
    hub *h = r->hub;
    workshop *w = r->w;
    int64_t next = 0;
    for (size_t i = 0; i < w->npeople; i++) {
        wk_participant *p = &w->people[i];
        if (!p->cursor_dirty || !wk_present(p)) continue;
        int64_t due = p->cursor_sent + CURSOR_EVERY_US;
        if (now < due) {
            if (!next || due < next) next = due;
            continue;
        }
        p->cursor_dirty = false;
        p->cursor_sent = now;
        proto_write_cursor(&h->scratch, p->id, w->rev, p->sel[0], p->sel[1]);
        hub_broadcast(r, &h->scratch, 0, (int)i);
        if (p->cursor_local) hub_presence_cursor(r, (int)i);
    }
    if (next && !r->cursor_timer) {
        r->cursor_timer = true;
        r->pending++; /* the timer refers to the room */
        lws_sul_schedule(h->ctx, 0, &r->sul_cursor, cursor_timer_cb, next - now);
    }
}

static void handle_cursor(hub *h, hub_session *s, proto_msg *msg) {
    hub_room *r = s->room;
    workshop *w = r->w;
    const proto_cursor *c = &msg->u.cursor;
    int64_t sel[2] = {c->anchor, c->head};
    if (c->rev > w->rev) {
        hub_send_error(h, s->conn, PROTO_EBAD_REQUEST, "cursor revision is ahead of the server's", PROTO_CURSOR, msg->idjson);
        return;
    }
    /* A caret from before the window is simply out of date: drop it quietly,
     * a newer one follows. One past the end of the text is an error. */
    if (!wk_window_has(w, c->rev)) return;
    if (!wk_transform_caret(w, c->rev, &sel[0]) || !wk_transform_caret(w, c->rev, &sel[1])) {
        hub_send_error(h, s->conn, PROTO_EBAD_REQUEST, "cursor is outside the document", PROTO_CURSOR, msg->idjson);
        return;
    }
    wk_participant *p = &w->people[s->participant];
    p->sel[0] = sel[0];
    p->sel[1] = sel[1];
    p->has_cursor = true;
    p->cursor_dirty = true;
    p->cursor_local = true;
    flush_cursors(r, hub_now_us());
}

void hub_cursors_flush(hub_room *r) { flush_cursors(r, hub_now_us()); }

/* ---- Input and departure ---- */

static bool rate_ok(hub *h, hub_session *s, int64_t now) {
    wk_participant *bucket = s->state == SESS_JOINED ? &s->room->w->people[s->participant] : &s->bucket;
    return wk_rate_take(bucket, now, h->cfg.rate, h->cfg.burst);
}

void hub_session_input(hub *h, void *session, const char *data, size_t len, net_input kind) {
    hub_session *s = session;
    if (!s) return;
    int64_t now = hub_now_us();
    if (!rate_ok(h, s, now)) {
        /* Refused, but answered: a client waiting on this op's ack must learn
         * it was dropped. The answer is one small message per message, so a
         * flood gains nothing, and a client that does not read is dropped by
         * its send queue's bound. */
        proto_msg msg;
        const char *why;
        memset(&msg, 0, sizeof msg);
        if (kind == NET_IN_TEXT) proto_decode(data, len, &msg, &why); /* only for its type and id */
        hub_send_error(h, s->conn, PROTO_ERATE_LIMITED, "too many messages; slow down and send it again", msg.type,
                       msg.idjson);
        proto_msg_free(&msg);
        return;
    }
    if (kind == NET_IN_TOO_LARGE) {
        hub_send_error(h, s->conn, PROTO_ETOO_LARGE, "message is over the size limit", PROTO_NONE, NULL);
        return;
    }
    if (kind == NET_IN_BINARY) {
        hub_send_error(h, s->conn, PROTO_EBAD_REQUEST, "binary messages are not supported; send JSON text", PROTO_NONE, NULL);
        return;
    }
    proto_msg msg;
    const char *why;
    proto_err e = proto_decode(data, len, &msg, &why);
    if (e != PROTO_OK) {
        hub_send_error(h, s->conn, e, why, msg.type, msg.idjson);
    } else if (msg.type == PROTO_PING) {
        proto_write_pong(&h->scratch, msg.idjson);
        net_send_sbuf(h->net, s->conn, &h->scratch);
    } else if (msg.type == PROTO_JOIN) {
        handle_join(h, s, &msg);
    } else if (s->state != SESS_JOINED) {
        hub_send_error(h, s->conn, PROTO_EFORBIDDEN, "join a workshop first", msg.type, msg.idjson);
    } else if (msg.type == PROTO_OP) {
        handle_op(h, s, &msg);
    } else if (msg.type == PROTO_CURSOR) {
        handle_cursor(h, s, &msg);
    } else if (proto_is_poll(msg.type)) {
        hub_poll_message(h, s, &msg);
    }
    proto_msg_free(&msg);
}

void hub_session_close(hub *h, void *session) {
    hub_session *s = session;
    if (!s) return;
    hub_room *r = s->room;
    if (s->state == SESS_JOINED && r) {
        room_remove_session(r, s);
        workshop *w = r->w;
        wk_participant *p = &w->people[s->participant];
        w->online--;
        if (--p->online == 0) {
            record_event(r, "departed", p);
            hub_presence_departed(r, s->participant, s->conn);
        }
        free(s);
        hub_room_maybe_free(r);
        return;
    }
    free(s);
}
