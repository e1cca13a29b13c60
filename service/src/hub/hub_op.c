/* The op pipeline: an op is checked and queued by the core (wk_submit), the
 * ops queued in one turn of the loop go to Redis as one batch
 * (FCALL atelier_append: compare the revision, append each op), and only on
 * Redis' answer are they acknowledged to their authors and relayed to
 * everyone else. When another process moved the revision meanwhile, its ops
 * are read and relayed first, and the batch is formed again. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/resp.h"
#include "hub/hub_internal.h"

/* ---- The end of the turn: one batch per workshop ---- */

static void turn_cb(lws_sorted_usec_list_t *sul) { hub_turn(lws_container_of(sul, hub, sul_turn)); }

void hub_room_pump_soon(hub_room *r) {
    hub *h = r->hub;
    if (r->pump_due || r->state != ROOM_READY || r->w->qlen == 0) return;
    if (h->ndue == h->due_cap) {
        size_t cap = h->due_cap ? h->due_cap * 2 : 16;
        hub_room **d = realloc(h->due, cap * sizeof *d);
        if (!d) { /* no list: a batch of one is still correct */
            hub_room_pump(r);
            return;
        }
        h->due = d;
        h->due_cap = cap;
    }
    /* The turn's end comes after the input of a poll; a timer runs before the
     * poll, and then the 1 µs timer keeps the loop from sleeping first. */
    if (h->ndue == 0 && !h->stopped) lws_sul_schedule_wakesuspend(h->ctx, 0, &h->sul_turn, turn_cb, 1);
    h->due[h->ndue++] = r;
    r->pump_due = true;
    hub_room_ref(r); /* the list's */
}

void hub_turn(void *arg) {
    hub *h = arg;
    if (!h->ndue) return;
    lws_sul_cancel(&h->sul_turn);
    while (h->ndue) {
        hub_room *r = h->due[--h->ndue];
        r->pump_due = false;
        hub_room_pump(r);
        hub_room_unref(r);
    }
}

/* ---- Answers ---- */

static void refuse_cb(void *ud, const wk_submission *sub, proto_err err, const char *why, int64_t ack_rev) {
    hub_room *r = ud;
    hub *h = r->hub;
    if (err == PROTO_OK) {
        proto_write_ack(&h->scratch, sub->opid, ack_rev);
    } else {
        hub_count_error(h, proto_err_code(err));
        proto_write_error(&h->scratch, err, why, PROTO_OP, sub->opid);
    }
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
void hub_carets_follow(workshop *w, int64_t from) {
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

/* Everyone but connection `except` (the one that sent the op, which gets an
 * ack instead; 0: none) gets the op. The author's other connections get its
 * id too, so that a client recognises its own op: another tab, a reconnect
 * that raced the ack, and after a catch-up the very connection that was told
 * unavailable while Redis committed the batch all the same (a stall, or
 * replicas that did not confirm in time). */
/* An author's connections see their own op with its id (the ack of an op
 * sent through another tab); the connection it came through, `except`,
 * has had its ack instead. */
static netmsg *own_op(hub *h, const wk_entry *e, const char *author) {
    proto_write_op(&h->scratch, e->rev, e->opjson, e->opjson_len, author);
    h->scratch.len--; /* reopen the object to add the id */
    sbuf_puts(&h->scratch, ",\"id\":");
    sbuf_puts(&h->scratch, e->opid);
    sbuf_putc(&h->scratch, '}');
    return netmsg_take(&h->scratch);
}

/* One queue at a time: when the room has no group (out of memory). */
static void broadcast_each(hub_room *r, const wk_entry *e, uint64_t except, netmsg *m, const char *author) {
    hub *h = r->hub;
    netmsg *own = NULL;
    for (size_t i = 0; i < r->nsess; i++) {
        hub_session *s = r->sessions[i];
        if (except && s->conn == except) continue;
        if (s->participant != (int)e->author || !e->opid) {
            net_send(h->net, s->conn, m);
            continue;
        }
        if (!own) own = own_op(h, e, author);
        if (own) net_send(h->net, s->conn, own);
    }
    netmsg_unref(own);
}

/* The op to everyone in the room: one append to the room's group, then
 * the author's own connections, found only when it has others here. */
static void broadcast_op(hub_room *r, const wk_entry *e, uint64_t except) {
    hub *h = r->hub;
    const char *author = r->w->people[e->author].id;
    proto_write_op(&h->scratch, e->rev, e->opjson, e->opjson_len, author);
    netmsg *m = netmsg_take(&h->scratch);
    if (!m) return;
    if (!r->group || !net_group_send(h->net, r->group, m)) {
        broadcast_each(r, e, except, m, author);
        netmsg_unref(m);
        return;
    }
    netmsg_unref(m);
    /* `except` may have closed since it sent the op (a reconnect racing the
     * ack): then it is not among the author's connections counted online. */
    bool except_here = except && net_session(h->net, except);
    if (except_here) net_group_instead(h->net, except, NULL);
    int others = r->w->people[e->author].online - (except_here ? 1 : 0);
    if (!e->opid || others <= 0) return;
    netmsg *own = NULL;
    for (size_t i = 0; i < r->nsess; i++) {
        hub_session *s = r->sessions[i];
        if (s->participant != (int)e->author || s->conn == except) continue;
        if (!own) own = own_op(h, e, author);
        net_group_instead(h->net, s->conn, own); /* own NULL (out of memory): it gets nothing, as before */
    }
    netmsg_unref(own);
}

/* Ops committed by another server process, or by this one when its answer
 * was lost (unavailable was answered): apply, relay, then retry ours. */
void hub_room_caught_up(redisReply *reply, void *priv) {
    hub_room *r = priv;
    workshop *w = r->w;
    r->catching_up = false;
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        hub_room_refuse_all(r, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE_OP);
        hub_room_unref(r);
        return;
    }
    int64_t from = w->rev;
    for (size_t i = 0; i < reply->elements; i++) {
        hub_stream_op op;
        if (!hub_stream_read_op(reply->element[i], &op)) {
            if (op.event) snprintf(w->last_event, sizeof w->last_event, "%s", op.event); /* not an op: history only */
            continue;
        }
        if (op.rev < w->rev) continue;
        if (wk_apply_committed(w, op.rev, op.op, op.oplen, op.author, op.opid, op.event) != OT_OK) {
            lwsl_err("workshop %s: op %lld from another process does not apply\n", r->id, (long long)op.rev);
            break;
        }
        const wk_entry *ent = wk_window_at(w, op.rev);
        if (ent) broadcast_op(r, ent, 0); /* else out of memory for the window */
    }
    hub_carets_follow(w, from);
    if (w->rev > from) hub_poll_passages_follow(r, false);
    if (w->rev > from) hub_balance_due(r); /* another process counted them */
    hub_presence_caught_up(r);
    if (r->notified_rev > w->rev && !w->in_flight) hub_room_catch_up(r);
    else hub_room_pump(r);
    hub_room_unref(r);
}

void hub_room_catch_up(hub_room *r) {
    workshop *w = r->w;
    r->catching_up = true;
    bool ok = w->last_event[0] ? hub_room_cmd(r, hub_room_caught_up, r, "XRANGE %s (%s +", r->k_events, w->last_event)
                               : hub_room_cmd(r, hub_room_caught_up, r, "XRANGE %s - +", r->k_events);
    if (!ok) {
        r->catching_up = false;
        hub_room_refuse_all(r, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE_OP);
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
    if (w->snap_rev == w->rev) hub_poll_passages_persist(r); /* their ranges at the snapshot's revision */
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
    for (size_t i = 0; i < r->nsess; i++) net_release(r->hub->net, r->sessions[i]->conn);
    hub_room_unref(r); /* the timer's: never the last, the caller holds one */
}

static void hold_timer_cb(lws_sorted_usec_list_t *sul) {
    hub_room *r = lws_container_of(sul, hub_room, sul_hold);
    hub_room_ref(r); /* release_room gives the timer's back */
    release_room(r);
    hub_room_unref(r);
}

void hub_op_stop(hub_room *r) { release_room(r); }

static void hold_room(hub_room *r) {
    if (r->hub->stopped) return;
    r->held = true;
    hub_room_ref(r); /* the timer's */
    lws_sul_schedule_wakesuspend(r->hub->ctx, 0, &r->sul_hold, hold_timer_cb, r->hub->cfg.hold_us);
    for (size_t i = 0; i < r->nsess; i++) net_hold(r->hub->net, r->sessions[i]->conn);
}

/* atelier_append's answer: [1, rev, event id] committed, [0, rev] the
 * revision moved, [-1] no such workshop, [-2] it has ended. -100 for
 * anything else. */
static int append_status(const redisReply *reply) {
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 || reply->element[0]->type != REDIS_REPLY_INTEGER)
        return -100;
    return (int)reply->element[0]->integer;
}

/* With --replicas, atelier_append was told not to announce the batch: the
 * other processes hear of revision rev now that the replicas have it, as
 * they relay what they hear at once. Also when the revision had moved: a
 * batch whose answer was lost (unavailable) was committed unannounced, and
 * the replicas now have it too. */
static void announce_rev(hub_room *r, int64_t rev) {
    hub *h = r->hub;
    if (h->cfg.replicas <= 0) return;
    char msg[PROTO_WORKSHOP_ID_MAX + SBUF_I64_MAX + 2]; /* "ID REV": one argument */
    snprintf(msg, sizeof msg, "%s %lld", r->id, (long long)rev);
    store_cmd(h->store, NULL, NULL, "PUBLISH atelier:notify %s", msg);
}

static void appended(redisReply *reply, void *priv) {
    hub_room *r = priv;
    hub *h = r->hub;
    workshop *w = r->w;
    bool was_held = r->held;
    release_room(r); /* what waited goes out with this batch's messages */
    if (!reply) {
        wk_batch_abort(w, false, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE_OP, refuse_cb, r);
    } else if (append_status(reply) == 1 && reply->elements == 3 && reply->element[2]->type == REDIS_REPLY_STRING) {
        int64_t first = wk_batch_commit(w, reply->element[2]->str);
        h->counted.ops_committed += w->blen;
        for (size_t i = 0; i < w->blen; i++) {
            const wk_submission *sub = &w->batch[i];
            const wk_entry *e = wk_window_at(w, first + (int64_t)i);
            if (!e) continue; /* out of memory for the window: the op is stored, its ack is lost */
            proto_write_ack(&h->scratch, sub->opid, e->rev);
            net_send_sbuf(h->net, sub->conn, &h->scratch);
            broadcast_op(r, e, sub->conn);
        }
        wk_batch_clear(w);
        announce_rev(r, w->rev);
        hub_carets_follow(w, first);
        hub_poll_passages_follow(r, true);
        maybe_snapshot(r);
        hub_balance_due(r);
        if (!was_held && w->qlen > 0 && h->cfg.hold_us > 0) hold_room(r);
    } else if (append_status(reply) == 0 && reply->elements == 2) {
        /* Another process moved the revision: learn its ops, then transform ours again. */
        wk_batch_abort(w, true, PROTO_OK, NULL, refuse_cb, r);
        if (reply->element[1]->type == REDIS_REPLY_INTEGER) announce_rev(r, reply->element[1]->integer);
        hub_room_catch_up(r);
        hub_room_unref(r);
        return;
    } else if (append_status(reply) == -2) { /* ended by another process, whose word may be lost */
        wk_batch_abort(w, false, PROTO_EENDED, WK_ENDED_WHY, refuse_cb, r);
        hub_workshop_reread(r);
    } else if (append_status(reply) == -1) {
        wk_batch_abort(w, false, PROTO_ENOT_FOUND, "this workshop no longer exists", refuse_cb, r);
    } else {
        lwsl_err("workshop %s: append failed: %s\n", r->id, reply->type == REDIS_REPLY_ERROR ? reply->str : "bad reply");
        wk_batch_abort(w, false, PROTO_EINTERNAL, "the op could not be stored", refuse_cb, r);
    }
    /* Another process's commit announced while this batch was in flight
     * (the subscriber's message may overtake this reply): read it now. */
    if (r->notified_rev > w->rev && !r->catching_up && r->state == ROOM_READY) hub_room_catch_up(r);
    else hub_room_pump_soon(r);
    hub_room_unref(r);
}

/* Send the next batch if none is in flight. */
void hub_room_pump(hub_room *r) {
    hub *h = r->hub;
    workshop *w = r->w;
    if (!w || w->in_flight || r->catching_up || w->qlen == 0) return;
    if (!h->store || !store_up(h->store) || r->state != ROOM_READY) { /* not ready: resyncing (hub_primary.c) */
        hub_room_refuse_all(r, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE_OP);
        return;
    }
    size_t n = wk_batch_form(w, h->cfg.batch_max, refuse_cb, r);
    if (n == 0) return;
    /* The batch's code points per organisation, for the balance. */
    balance_batch *counts = &h->batch_counts;
    balance_batch_reset(counts);
    for (size_t i = 0; i < n; i++) balance_batch_add(counts, w->people[w->bops[i].author].org, &w->bops[i].op);
    /* FCALL atelier_append 4 meta events lastop balance rev t count, then
     * per op author org opid op, then norgs and per organisation org ins
     * del, then "quiet" when replicas must confirm first: written as RESP in
     * place (core/resp.h). */
    sbuf *b = &h->req;
    sbuf_reset(b);
    bool quiet = h->cfg.replicas > 0; /* announced once replicated (announce_batch) */
    resp_begin(b, 11 + 4 * n + 3 * counts->n + (quiet ? 1 : 0));
    resp_argz(b, "FCALL");
    resp_argz(b, "atelier_append");
    resp_argz(b, "4");
    resp_argz(b, r->k_meta);
    resp_argz(b, r->k_events);
    resp_argz(b, r->k_lastop);
    resp_argz(b, r->k_balance);
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
    resp_arg_i64(b, (int64_t)counts->n);
    for (size_t i = 0; i < counts->n; i++) {
        resp_argz(b, counts->orgs[i].org);
        resp_arg_i64(b, counts->orgs[i].ins);
        resp_arg_i64(b, counts->orgs[i].del);
    }
    if (quiet) resp_argz(b, "quiet");
    bool ok = sbuf_ok(b) && hub_room_write_resp(r, appended, r, sbuf_data(b), b->len);
    if (b->cap > HUB_REQ_KEEP) sbuf_free(b); /* hiredis has its copy: a rare huge batch is not kept */
    if (!ok) wk_batch_abort(w, false, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE_OP, refuse_cb, r);
}

void hub_op(hub *h, hub_session *s, proto_msg *msg) {
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

