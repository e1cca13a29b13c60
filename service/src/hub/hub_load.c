/* Loading a workshop into its room: meta, the newest snapshot, people and
 * their last ops, the sign-off (hub_signoff.c) (pipelined: hiredis answers
 * in order, each step builds on the one before), then the polls (hub_poll_read.c), then the events after
 * the snapshot. Joins wait on r->waiting meanwhile.
 *
 * Each step holds its own reference to the room (hub_room_cmd) and gives it
 * back at its end, whatever happened. The first step that fails tells the
 * waiting joins and detaches the room (ROOM_FAILED); the steps still in
 * flight then only give their references back, and the room goes with the
 * last one. */
#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/api.h"
#include "core/person.h"
#include "core/utf8.h"
#include "hub/hub_internal.h"

/* Stream entry e's fields into kv (*n of them); its id, or NULL when e is not an entry. */
static const char *entry_fields(const redisReply *e, const char **kv, size_t *n) {
    if (!e || e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->type != REDIS_REPLY_STRING ||
        e->element[1]->type != REDIS_REPLY_ARRAY)
        return NULL;
    const redisReply *f = e->element[1];
    *n = 0;
    for (size_t i = 0; i < f->elements && *n < HUB_EVENT_FIELDS; i++)
        kv[(*n)++] = f->element[i]->type == REDIS_REPLY_STRING ? f->element[i]->str : NULL;
    return e->element[0]->str;
}

bool hub_stream_event(const redisReply *e, hist_event *ev, const char **kv) {
    size_t n;
    const char *id = entry_fields(e, kv, &n);
    return id && hist_event_from_fields(ev, id, kv, n);
}

bool hub_stream_op_event(const redisReply *e, hist_event *ev, const char **kv) {
    size_t n;
    const char *id = entry_fields(e, kv, &n);
    return id && hist_op_from_fields(ev, id, kv, n);
}

const char *hub_reply_text(const redisReply *reply, size_t i) {
    return reply->element[i]->type == REDIS_REPLY_STRING ? reply->element[i]->str : "";
}

/* A string field of a stream entry's field list, or NULL. */
static const redisReply *field(const redisReply *kv, const char *name) {
    if (!kv || kv->type != REDIS_REPLY_ARRAY) return NULL;
    for (size_t i = 0; i + 1 < kv->elements; i += 2)
        if (kv->element[i]->type == REDIS_REPLY_STRING && strcmp(kv->element[i]->str, name) == 0)
            return kv->element[i + 1]->type == REDIS_REPLY_STRING ? kv->element[i + 1] : NULL;
    return NULL;
}

/* Give each waiting join its reference back. */
static void release_waiting(hub_room *r, hub_waiting_join *waiting, size_t n) {
    for (size_t i = 0; i < n; i++) {
        proto_msg_free(&waiting[i].msg);
        hub_room_unref(r);
    }
    free(waiting);
}

void hub_room_load_failed(hub_room *r, proto_err e, const char *why) {
    hub *h = r->hub;
    if (r->state != ROOM_LOADING) return;
    r->state = ROOM_FAILED;
    hub_room_detach(r);
    wk_free(r->w);
    r->w = NULL;
    hub_waiting_join *waiting = r->waiting;
    size_t n = r->nwaiting;
    r->waiting = NULL;
    r->nwaiting = r->waiting_cap = 0;
    for (size_t i = 0; i < n; i++) {
        hub_session *s = net_session(h->net, waiting[i].conn);
        if (s && s->state == SESS_JOINING) s->state = SESS_NEW;
        hub_send_error(h, waiting[i].conn, e, why, PROTO_JOIN, waiting[i].msg.idjson);
    }
    release_waiting(r, waiting, n); /* the room may be freed here; the caller's step still holds one */
}

bool hub_load_step_ok(hub_room *r, redisReply *reply) {
    if (r->state != ROOM_LOADING) return false;
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
        if (reply) lwsl_err("loading workshop %s: %s\n", r->id, reply->str);
        hub_room_load_failed(r, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE);
        return false;
    }
    return true;
}

/* The joins that waited are decided now. */
static void load_done(hub_room *r) {
    r->state = ROOM_READY;
    lwsl_info("workshop %s loaded at revision %lld\n", r->id, (long long)r->w->rev);
    hub_presence_sweep(r);
    hub_presence_ask(r);
    hub_waiting_join *waiting = r->waiting;
    size_t n = r->nwaiting;
    r->waiting = NULL;
    r->nwaiting = r->waiting_cap = 0;
    for (size_t i = 0; i < n; i++) hub_join_ready(r, waiting[i].conn, &waiting[i].msg);
    release_waiting(r, waiting, n);
}

bool hub_stream_read_op(const redisReply *e, hub_stream_op *op) {
    memset(op, 0, sizeof *op);
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->type != REDIS_REPLY_STRING) return false;
    op->event = e->element[0]->str;
    const redisReply *kv = e->element[1];
    const redisReply *type = field(kv, "type"), *rev = field(kv, "rev"), *text = field(kv, "op");
    if (!type || strcmp(type->str, "op") != 0 || !rev || !text) return false;
    const redisReply *author = field(kv, "author"), *opid = field(kv, "opid");
    op->rev = strtoll(rev->str, NULL, 10);
    op->op = text->str;
    op->oplen = text->len;
    op->author = author ? author->str : "?";
    op->opid = opid ? opid->str : NULL;
    return true;
}

/* The events after the snapshot: the ops to apply (others are history only). */
static bool apply_tail(hub_room *r, const redisReply *reply) {
    for (size_t i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements; i++) {
        hub_stream_op op;
        if (!hub_stream_read_op(reply->element[i], &op) || op.rev < r->w->rev) continue; /* < : in the snapshot */
        ot_status st = wk_apply_committed(r->w, op.rev, op.op, op.oplen, op.author, op.opid, op.event);
        if (st != OT_OK) {
            lwsl_err("workshop %s: stored op at revision %lld does not apply (%s)\n", r->id, (long long)op.rev,
                     ot_strerror(st));
            return false;
        }
    }
    return true;
}

static void load_events(redisReply *reply, void *priv) {
    hub_room *r = priv;
    if (hub_load_step_ok(r, reply)) {
        if (!apply_tail(r, reply)) {
            hub_room_load_failed(r, PROTO_EINTERNAL, HUB_DAMAGED);
        } else {
            if (!r->w->last_event[0]) snprintf(r->w->last_event, sizeof r->w->last_event, "%s", r->snap_event);
            hub_poll_passages_follow(r, false); /* nobody to tell yet: their texts, read from the statement */
            load_done(r);
        }
    }
    hub_room_unref(r);
}

void hub_room_load_tail(hub_room *r) {
    if (r->state != ROOM_LOADING) return;
    const char *start = r->snap_event[0] ? r->snap_event : "-";
    bool exclusive = r->snap_event[0] != '\0';
    if (!hub_room_cmd(r, load_events, r, "XRANGE %s %s%s +", r->k_events, exclusive ? "(" : "", start))
        hub_room_load_failed(r, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE);
}

static void load_lastop(redisReply *reply, void *priv) {
    hub_room *r = priv;
    if (hub_load_step_ok(r, reply)) {
        /* field: participant id; value: "rev opid" */
        for (size_t i = 0; reply->type == REDIS_REPLY_ARRAY && i + 1 < reply->elements; i += 2) {
            int p = wk_find_participant(r->w, reply->element[i]->str);
            const char *v = reply->element[i + 1]->str;
            const char *sp = v ? strchr(v, ' ') : NULL;
            if (p < 0 || !sp) continue;
            char *opid = strdup(sp + 1);
            if (!opid) continue;
            free(r->w->people[p].last_opid);
            r->w->people[p].last_opid = opid;
            r->w->people[p].last_op_rev = strtoll(v, NULL, 10);
        }
        if (!hub_poll_load(r)) hub_room_load_failed(r, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE);
    }
    hub_room_unref(r);
}

/* A stored participant record ({name, organisation, role, secret[, asks][, okey]})
 * into the model: added, or filled in when it was only known as an op's
 * author or through presence. */
bool hub_person_upsert(workshop *w, const char *pid, const char *json) {
    person_record rec;
    if (strlen(pid) != WK_PID_LEN || !person_read(json, &rec)) return false;
    int who = wk_find_participant(w, pid);
    bool ok = true;
    if (who < 0) {
        ok = (who = wk_add_participant(w, pid, rec.secret, rec.name, rec.org, rec.role)) >= 0;
    } else {
        wk_participant *p = &w->people[who];
        free(p->name);
        free(p->org);
        p->name = rec.name; /* the model owns them now */
        p->org = rec.org;
        rec.name = rec.org = NULL;
        snprintf(p->secret, sizeof p->secret, "%s", rec.secret);
        p->role = rec.role;
    }
    if (ok) {
        w->people[who].asks = rec.asks;
        snprintf(w->people[who].okey, sizeof w->people[who].okey, "%s", rec.okey);
        if (rec.slot >= 0) wk_set_org_slot(w, who, rec.slot);
    }
    person_record_free(&rec);
    return ok;
}

static void load_people(redisReply *reply, void *priv) {
    hub_room *r = priv;
    for (size_t i = 0; hub_load_step_ok(r, reply) && reply->type == REDIS_REPLY_ARRAY && i + 1 < reply->elements;
         i += 2) {
        const redisReply *k = reply->element[i], *v = reply->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING || !hub_person_upsert(r->w, k->str, v->str)) {
            lwsl_err("workshop %s: the record of participant %.32s is damaged\n", r->id,
                     k->type == REDIS_REPLY_STRING ? k->str : "?");
            hub_room_load_failed(r, PROTO_EINTERNAL, HUB_DAMAGED); /* the loop ends: the room is no longer loading */
        }
    }
    hub_room_unref(r);
}

static void load_snapshot(redisReply *reply, void *priv) {
    hub_room *r = priv;
    if (!hub_load_step_ok(r, reply)) {
        hub_room_unref(r);
        return;
    }
    const redisReply *e = reply->type == REDIS_REPLY_ARRAY && reply->elements == 1 ? reply->element[0] : NULL;
    if (e && (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->type != REDIS_REPLY_STRING)) e = NULL;
    const redisReply *text = e ? field(e->element[1], "text") : NULL, *ev = e ? field(e->element[1], "event") : NULL;
    if (!text || !utf8_valid(text->str, text->len) ||
        wk_load_snapshot(r->w, strtoll(e->element[0]->str, NULL, 10), text->str, text->len) != OT_OK) {
        lwsl_err("workshop %s has no readable snapshot\n", r->id);
        hub_room_load_failed(r, PROTO_EINTERNAL, HUB_DAMAGED);
    } else {
        snprintf(r->snap_event, sizeof r->snap_event, "%s", ev ? ev->str : "");
    }
    hub_room_unref(r);
}

/* Which field of meta's HMGET title fkey created time_zone code state
 * ended_at okey resync_until does not read, or NULL. time_zone, code, state,
 * ended_at and okey (fields 3..7) are absent in workshops made before them,
 * which are open, in UTC, without a join code (nor an observer link);
 * resync_until (8) in every workshop no failover lost revisions of. */
static const char *meta_damage(const redisReply *reply) {
    int64_t n;
    const char *title = hub_reply_text(reply, 0), *tz = hub_reply_text(reply, 3), *code = hub_reply_text(reply, 4);
    const char *state = hub_reply_text(reply, 5), *okey = hub_reply_text(reply, 7);
    if (!title[0] || !utf8_valid(title, strlen(title))) return "title";
    if (!proto_valid_b64url(hub_reply_text(reply, 1), PROTO_KEY_MAX)) return "fkey";
    if (!api_read_int(hub_reply_text(reply, 2), 0, PROTO_SAFE_INT_MAX, &n)) return "created";
    if (tz[0] && !when_valid_zone_name(tz)) return "time_zone";
    if (code[0] && !hub_code_valid(code)) return "code";
    if (state[0] && strcmp(state, "open") != 0 && strcmp(state, "ended") != 0) return "state";
    if (strcmp(state, "ended") == 0 && !api_read_int(hub_reply_text(reply, 6), 0, PROTO_SAFE_INT_MAX, &n))
        return "ended_at";
    if (okey[0] && !proto_valid_b64url(okey, PROTO_KEY_MAX)) return "okey";
    const char *resync = hub_reply_text(reply, 8);
    if (resync[0] && !api_read_int(resync, 0, PROTO_SAFE_INT_MAX, &n)) return "resync_until";
    return NULL;
}

static void load_workshop_state(workshop *w, const redisReply *reply) {
    const char *tz = hub_reply_text(reply, 3);
    snprintf(w->time_zone, sizeof w->time_zone, "%s", tz[0] ? tz : WHEN_UTC);
    snprintf(w->code, sizeof w->code, "%s", hub_reply_text(reply, 4));
    w->ended = strcmp(hub_reply_text(reply, 5), "ended") == 0;
    w->ended_at = w->ended ? strtoll(hub_reply_text(reply, 6), NULL, 10) : 0;
    snprintf(w->okey, sizeof w->okey, "%s", hub_reply_text(reply, 7)); /* "" while there is no observer link */
}

static void load_meta(redisReply *reply, void *priv) {
    hub_room *r = priv;
    if (!hub_load_step_ok(r, reply)) {
        hub_room_unref(r);
        return;
    }
    const redisReply *title = reply->type == REDIS_REPLY_ARRAY && reply->elements == 9 ? reply->element[0] : NULL;
    const char *damage = NULL;
    if (!title || title->type != REDIS_REPLY_STRING) {
        hub_room_load_failed(r, PROTO_ENOT_FOUND, "no workshop with this id");
    } else if ((damage = meta_damage(reply))) {
        lwsl_err("workshop %s: meta's %s is damaged\n", r->id, damage);
        hub_room_load_failed(r, PROTO_EINTERNAL, HUB_DAMAGED);
    } else {
        r->w = wk_new(r->id, title->str, hub_reply_text(reply, 1), strtoll(hub_reply_text(reply, 2), NULL, 10),
                      r->hub->cfg.window);
        if (!r->w) hub_room_load_failed(r, PROTO_EINTERNAL, "out of memory");
        else {
            wk_set_window_bytes(r->w, r->hub->cfg.window_bytes);
            load_workshop_state(r->w, reply);
            r->resync_until_ms = strtoll(hub_reply_text(reply, 8), NULL, 10); /* 0 when absent */
        }
    }
    hub_room_unref(r);
}

void hub_room_load(hub_room *r) {
    if (r->state != ROOM_NEW) return;
    r->state = ROOM_LOADING;
    /* Pipelined: hiredis answers in order, each step builds on the one
     * before. A step not queued (the store went down) fails the load; the
     * steps queued before it answer NULL and only let go of the room. */
    bool ok = hub_room_cmd(r, load_meta, r, "HMGET %s title fkey created time_zone code state ended_at okey resync_until",
                           r->k_meta) &&
              hub_agenda_load(r) && hub_discuss_load(r) && hub_balance_load(r) &&
              hub_room_cmd(r, load_snapshot, r, "XREVRANGE %s + - COUNT 1", r->k_snaps) &&
              hub_room_cmd(r, load_people, r, "HGETALL %s", r->k_people) &&
              hub_room_cmd(r, load_lastop, r, "HGETALL %s", r->k_lastop) && hub_signoff_load(r) &&
              hub_board_load(r);
    if (!ok) hub_room_load_failed(r, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE);
}
