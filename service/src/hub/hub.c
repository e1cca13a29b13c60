#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/utf8.h"
#include "hub/hub_internal.h"

int64_t hub_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t hub_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

hub *hub_new(const hub_config *cfg, net_server *net) {
    hub *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->cfg = *cfg;
    if (h->cfg.batch_max > h->cfg.window) h->cfg.batch_max = h->cfg.window;
    h->net = net;
    h->ctx = net_context(net);
    sbuf_init(&h->scratch, NET_PRE);
    sbuf_init(&h->req, 0);
    if (!net_random_b64url(h->origin, sizeof h->origin - 1)) {
        free(h);
        return NULL;
    }
    return h;
}

void hub_set_store(hub *h, store *s) {
    h->store = s;
    if (s) hub_alive_start(h);
    else hub_alive_stop(h);
}

static unsigned room_hash(const char *id) {
    unsigned x = 2166136261u;
    for (; *id; id++) x = (x ^ (unsigned char)*id) * 16777619u;
    return x % (sizeof ((hub *)0)->rooms / sizeof ((hub *)0)->rooms[0]);
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
    size_t n = strlen(id) + strlen(what) + 16;
    char *k = malloc(n);
    if (k && !hub_key(k, n, id, what)) {
        free(k);
        k = NULL;
    }
    return k;
}

static void room_free(hub_room *r) {
    hub *h = r->hub;
    hub_room **pp = &h->rooms[room_hash(r->id)];
    while (*pp && *pp != r) pp = &(*pp)->next;
    if (*pp) *pp = r->next;
    h->nrooms--;
    if (r->cursor_timer) lws_sul_cancel(&r->sul_cursor);
    if (r->held) lws_sul_cancel(&r->sul_hold);
    if (r->pump_due) { /* freed with ops refused: it must leave the list */
        size_t i = 0;
        while (i < h->ndue && h->due[i] != r) i++;
        if (i < h->ndue) h->due[i] = h->due[--h->ndue];
    }
    hub_poll_room_free(r);
    for (size_t i = 0; i < r->nwaiting; i++) proto_msg_free(&r->waiting[i].msg);
    free(r->waiting);
    free(r->sessions);
    wk_free(r->w);
    free(r->k_meta);
    free(r->k_events);
    free(r->k_snaps);
    free(r->k_people);
    free(r->k_lastop);
    free(r->k_marks);
    free(r->remote);
    free(r);
}

static void turn_cb(lws_sorted_usec_list_t *sul) { hub_turn(lws_container_of(sul, hub, sul_turn)); }

void hub_room_pump_soon(hub_room *r) {
    hub *h = r->hub;
    if (r->pump_due || !r->w || r->w->qlen == 0) return;
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
    if (h->ndue == 0) lws_sul_schedule(h->ctx, 0, &h->sul_turn, turn_cb, 1);
    h->due[h->ndue++] = r;
    r->pump_due = true;
}

void hub_turn(void *arg) {
    hub *h = arg;
    if (!h->ndue) return;
    lws_sul_cancel(&h->sul_turn);
    while (h->ndue) { /* taken off first: a room freed meanwhile leaves the list itself */
        hub_room *r = h->due[--h->ndue];
        r->pump_due = false;
        hub_room_pump(r);
        hub_room_maybe_free(r);
    }
}

void hub_room_maybe_free(hub_room *r) {
    if (r->nsess || r->nwaiting || r->pending) return;
    if (r->w && (r->w->in_flight || r->w->qlen)) return;
    room_free(r);
}

hub_room *hub_room_get(hub *h, const char *id) {
    hub_room *r = hub_room_find(h, id);
    if (r) return r;
    r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->hub = h;
    snprintf(r->id, sizeof r->id, "%s", id);
    r->k_meta = key_for(id, "meta");
    r->k_events = key_for(id, "events");
    r->k_snaps = key_for(id, "snaps");
    r->k_people = key_for(id, "people");
    r->k_lastop = key_for(id, "lastop");
    r->k_polls = key_for(id, "polls");
    r->k_marks = key_for(id, "marks");
    poll_list_init(&r->polls);
    unsigned b = room_hash(id);
    r->next = h->rooms[b];
    h->rooms[b] = r;
    h->nrooms++;
    if (!r->k_meta || !r->k_events || !r->k_snaps || !r->k_people || !r->k_lastop || !r->k_polls || !r->k_marks) {
        room_free(r);
        return NULL;
    }
    return r;
}

void hub_send_error(hub *h, uint64_t conn, proto_err e, const char *why, proto_type re, const char *idjson) {
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

bool hub_stream_event(const redisReply *e, hist_event *ev, const char **kv) {
    if (!e || e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->type != REDIS_REPLY_STRING ||
        e->element[1]->type != REDIS_REPLY_ARRAY)
        return false;
    const redisReply *f = e->element[1];
    size_t n = 0;
    for (size_t i = 0; i < f->elements && n < HUB_EVENT_FIELDS; i++)
        kv[n++] = f->element[i]->type == REDIS_REPLY_STRING ? f->element[i]->str : NULL;
    return hist_event_from_fields(ev, e->element[0]->str, kv, n);
}

/* ---- Loading a workshop: meta, newest snapshot, people, last ops, then the tail of events. ---- */

static const redisReply *field(const redisReply *kv, const char *name) {
    if (!kv || kv->type != REDIS_REPLY_ARRAY) return NULL;
    for (size_t i = 0; i + 1 < kv->elements; i += 2)
        if (kv->element[i]->type == REDIS_REPLY_STRING && strcmp(kv->element[i]->str, name) == 0)
            return kv->element[i + 1]->type == REDIS_REPLY_STRING ? kv->element[i + 1] : NULL;
    return NULL;
}

static void load_failed(hub_room *r, proto_err e, const char *why) {
    hub *h = r->hub;
    for (size_t i = 0; i < r->nwaiting; i++) {
        hub_session *s = net_session(h->net, r->waiting[i].conn);
        if (s) s->state = SESS_NEW;
        hub_send_error(h, r->waiting[i].conn, e, why, PROTO_JOIN, r->waiting[i].msg.idjson);
        proto_msg_free(&r->waiting[i].msg);
    }
    r->nwaiting = 0;
    wk_free(r->w);
    r->w = NULL;
}

/* A load step's reply. Returns the room when the load should go on. */
static hub_room *load_step(redisReply *reply, void *priv) {
    hub_room *r = priv;
    r->pending--;
    if (r->state != ROOM_LOADING) return NULL;
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
        if (r->pending == 0) {
            if (reply) lwsl_err("loading workshop %s: %s\n", r->id, reply->str);
            load_failed(r, PROTO_EUNAVAILABLE, "storage is unavailable, try again shortly");
            hub_room_maybe_free(r);
        }
        return NULL;
    }
    return r;
}

static void load_events(redisReply *reply, void *priv) {
    hub_room *r = load_step(reply, priv);
    if (!r) return;
    if (!r->w) { /* an earlier step failed or found nothing */
        hub_room_maybe_free(r);
        return;
    }
    for (size_t i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements; i++) {
        const redisReply *e = reply->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2) continue;
        const redisReply *kv = e->element[1];
        const redisReply *type = field(kv, "type"), *rev = field(kv, "rev"), *op = field(kv, "op");
        if (!type || strcmp(type->str, "op") != 0 || !rev || !op) continue;
        int64_t v = strtoll(rev->str, NULL, 10);
        if (v < r->w->rev) continue; /* already in the snapshot */
        const redisReply *author = field(kv, "author"), *opid = field(kv, "opid");
        ot_status st = wk_apply_committed(r->w, v, op->str, op->len, author ? author->str : "?",
                                          opid ? opid->str : NULL, e->element[0]->str);
        if (st != OT_OK) {
            lwsl_err("workshop %s: stored op at revision %lld does not apply (%s)\n", r->id, (long long)v,
                     ot_strerror(st));
            load_failed(r, PROTO_EINTERNAL, "the stored history of this workshop is damaged");
            hub_room_maybe_free(r);
            return;
        }
    }
    if (!r->w->last_event[0]) snprintf(r->w->last_event, sizeof r->w->last_event, "%s", r->snap_event);
    r->state = ROOM_READY;
    lwsl_info("workshop %s loaded at revision %lld\n", r->id, (long long)r->w->rev);
    hub_presence_sweep(r);
    hub_presence_ask(r);
    size_t n = r->nwaiting;
    hub_waiting_join *waiting = r->waiting;
    r->waiting = NULL;
    r->nwaiting = r->waiting_cap = 0;
    for (size_t i = 0; i < n; i++) {
        hub_join_ready(r, waiting[i].conn, &waiting[i].msg);
        proto_msg_free(&waiting[i].msg);
    }
    free(waiting);
    hub_room_maybe_free(r);
}

static void load_lastop(redisReply *reply, void *priv) {
    hub_room *r = load_step(reply, priv);
    if (!r || !r->w) return;
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
    if (!hub_poll_load(r)) {
        load_failed(r, PROTO_EUNAVAILABLE, "storage is unavailable, try again shortly");
        hub_room_maybe_free(r);
    }
}

void hub_room_load_tail(hub_room *r) {
    if (!r->w) {
        hub_room_maybe_free(r);
        return;
    }
    const char *start = r->snap_event[0] ? r->snap_event : "-";
    bool exclusive = r->snap_event[0] != '\0';
    r->pending++;
    if (!store_cmd(r->hub->store, load_events, r, "XRANGE %s %s%s +", r->k_events, exclusive ? "(" : "", start)) {
        r->pending--;
        load_failed(r, PROTO_EUNAVAILABLE, "storage is unavailable, try again shortly");
        hub_room_maybe_free(r);
    }
}

/* A stored participant record ({name, organisation, role, secret}) into the
 * model: added, or filled in when it was only known as an op's author. */
bool hub_person_upsert(workshop *w, const char *pid, const char *json) {
    if (strlen(pid) != WK_PID_LEN) return false;
    cJSON *o = cJSON_Parse(json);
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "name"));
    const char *org = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "organisation"));
    const char *role = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "role"));
    const char *secret = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "secret"));
    bool ok = name && org && role && secret;
    if (ok) {
        bool fac = strcmp(role, "facilitator") == 0;
        int who = wk_find_participant(w, pid);
        if (who < 0) {
            ok = wk_add_participant(w, pid, secret, name, org, fac) >= 0;
        } else {
            wk_participant *p = &w->people[who];
            char *n = strdup(name), *g = strdup(org);
            ok = n && g;
            if (ok) {
                free(p->name);
                free(p->org);
                p->name = n;
                p->org = g;
                snprintf(p->secret, sizeof p->secret, "%s", secret);
                p->facilitator = fac;
            } else {
                free(n);
                free(g);
            }
        }
    }
    cJSON_Delete(o);
    return ok;
}

static void load_people(redisReply *reply, void *priv) {
    hub_room *r = load_step(reply, priv);
    if (!r || !r->w) return;
    for (size_t i = 0; reply->type == REDIS_REPLY_ARRAY && i + 1 < reply->elements; i += 2)
        if (reply->element[i]->type == REDIS_REPLY_STRING && reply->element[i + 1]->type == REDIS_REPLY_STRING)
            hub_person_upsert(r->w, reply->element[i]->str, reply->element[i + 1]->str);
}

static void load_snapshot(redisReply *reply, void *priv) {
    hub_room *r = load_step(reply, priv);
    if (!r || !r->w) return;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 1) {
        lwsl_err("workshop %s has no snapshot\n", r->id);
        load_failed(r, PROTO_EINTERNAL, "the stored history of this workshop is damaged");
        return;
    }
    const redisReply *e = reply->element[0];
    const redisReply *text = field(e->element[1], "text"), *ev = field(e->element[1], "event");
    int64_t rev = strtoll(e->element[0]->str, NULL, 10);
    if (!text || !utf8_valid(text->str, text->len) || wk_load_snapshot(r->w, rev, text->str, text->len) != OT_OK) {
        load_failed(r, PROTO_EINTERNAL, "the stored history of this workshop is damaged");
        return;
    }
    snprintf(r->snap_event, sizeof r->snap_event, "%s", ev ? ev->str : "");
}

static void load_meta(redisReply *reply, void *priv) {
    hub_room *r = load_step(reply, priv);
    if (!r) return;
    const redisReply *title = reply->type == REDIS_REPLY_ARRAY && reply->elements == 3 ? reply->element[0] : NULL;
    if (!title || title->type != REDIS_REPLY_STRING) {
        load_failed(r, PROTO_ENOT_FOUND, "no workshop with this id");
        return;
    }
    const redisReply *fkey = reply->element[1], *created = reply->element[2];
    r->w = wk_new(r->id, title->str, fkey->type == REDIS_REPLY_STRING ? fkey->str : "",
                  created->type == REDIS_REPLY_STRING ? strtoll(created->str, NULL, 10) : 0, r->hub->cfg.window);
    if (!r->w) load_failed(r, PROTO_EINTERNAL, "out of memory");
}

void hub_room_load(hub_room *r) {
    store *s = r->hub->store;
    /* Pipelined: hiredis answers in order, each step builds on the one before. */
    r->pending += 4;
    bool ok = store_cmd(s, load_meta, r, "HMGET %s title fkey created", r->k_meta);
    ok = ok && store_cmd(s, load_snapshot, r, "XREVRANGE %s + - COUNT 1", r->k_snaps);
    ok = ok && store_cmd(s, load_people, r, "HGETALL %s", r->k_people);
    ok = ok && store_cmd(s, load_lastop, r, "HGETALL %s", r->k_lastop);
    if (!ok) {
        /* Commands already queued will answer (with NULL) and bring pending down. */
        r->pending = 0;
        load_failed(r, PROTO_EUNAVAILABLE, "storage is unavailable, try again shortly");
        r->state = ROOM_READY; /* stops later replies from acting */
        hub_room_maybe_free(r);
    }
}

/* ---- Store state ---- */

void hub_store_state(void *ud, bool up) {
    hub *h = ud;
    if (up) {
        hub_alive_start(h); /* say so now: the liveness key may have expired meanwhile */
        /* Ops that queued during the outage were refused already. Poll
         * changes that failed meanwhile: read the polls back. */
        for (size_t b = 0; b < sizeof h->rooms / sizeof h->rooms[0]; b++)
            for (hub_room *r = h->rooms[b]; r; r = r->next)
                if (r->state == ROOM_READY && r->w) hub_poll_reload_all(r);
        return;
    }
    for (size_t b = 0; b < sizeof h->rooms / sizeof h->rooms[0]; b++)
        for (hub_room *r = h->rooms[b]; r; r = r->next)
            if (r->state == ROOM_READY && r->w) hub_room_refuse_all(r, PROTO_EUNAVAILABLE, "storage is unavailable; the op was not saved, send it again shortly");
}

static void catch_up_if_behind(hub_room *r) {
    if (r->state != ROOM_READY || !r->w || r->w->in_flight || r->catching_up) return;
    if (r->notified_rev > r->w->rev) hub_room_catch_up(r);
}

void hub_notify(void *ud, const char *payload, size_t len) {
    hub *h = ud;
    char id[PROTO_WORKSHOP_ID_MAX + 1];
    const char *sp = memchr(payload, ' ', len);
    if (!sp || sp == payload || (size_t)(sp - payload) > PROTO_WORKSHOP_ID_MAX) return;
    memcpy(id, payload, (size_t)(sp - payload));
    id[sp - payload] = '\0';
    const char *rest = sp + 1, *end = payload + len;
    if (strcmp(id, "*") == 0) { /* "* alive ORIGIN", "* hello ORIGIN" */
        if (end - rest == 6 + HUB_ORIGIN_LEN && (memcmp(rest, "alive ", 6) == 0 || memcmp(rest, "hello ", 6) == 0)) {
            char what[6], origin[HUB_ORIGIN_LEN + 1];
            memcpy(what, rest, 5);
            what[5] = '\0';
            memcpy(origin, rest + 6, HUB_ORIGIN_LEN);
            origin[HUB_ORIGIN_LEN] = '\0';
            hub_presence_peer(h, what, origin);
        }
        return;
    }
    if (end - rest == 7 && memcmp(rest, "deleted", 7) == 0) {
        hub_workshop_deleted(h, id);
        return;
    }
    hub_room *r = hub_room_find(h, id);
    if (!r || !r->w || r->state != ROOM_READY) return;
    if (end - rest > 10 + HUB_ORIGIN_LEN && memcmp(rest, "presence ", 9) == 0 && rest[9 + HUB_ORIGIN_LEN] == ' ') {
        /* "ID presence ORIGIN JSON" */
        char origin[HUB_ORIGIN_LEN + 1];
        memcpy(origin, rest + 9, HUB_ORIGIN_LEN);
        origin[HUB_ORIGIN_LEN] = '\0';
        const char *json = rest + 10 + HUB_ORIGIN_LEN;
        hub_presence_relayed(r, origin, json, (size_t)(end - json));
        return;
    }
    if (strncmp(sp + 1, "poll ", 5) == 0) { /* "ID poll POLL ORIGIN" */
        char poll_id[POLL_ID_MAX + 1], origin[sizeof h->origin];
        if (sscanf(sp + 6, "%22s %11s", poll_id, origin) == 2 && strcmp(origin, h->origin) != 0 &&
            poll_valid_id(poll_id))
            hub_poll_reload(r, poll_id);
        return;
    }
    int64_t rev = strtoll(sp + 1, NULL, 10);
    if (rev > r->notified_rev) r->notified_rev = rev;
    catch_up_if_behind(r);
}

/* Announcements may have been missed while the subscriber was away: look. */
void hub_notify_state(void *ud, bool up) {
    hub *h = ud;
    hub_presence_listening(h, up);
    if (!up) return;
    for (size_t b = 0; b < sizeof h->rooms / sizeof h->rooms[0]; b++)
        for (hub_room *r = h->rooms[b]; r; r = r->next)
            if (r->state == ROOM_READY && r->w && !r->w->in_flight && !r->catching_up) hub_room_catch_up(r);
}

/* ---- HTTP API ---- */

void hub_http_error(hub *h, uint64_t req, int status, proto_err e, const char *why) {
    sbuf *b = &h->scratch;
    sbuf_puts(b, "{\"error\":{\"code\":\"");
    sbuf_puts(b, proto_err_code(e));
    sbuf_puts(b, "\",\"message\":");
    sbuf_put_jstrz(b, why);
    sbuf_puts(b, "}}");
    net_http_respond(h->net, req, status, b);
}

void hub_http_health(hub *h, uint64_t req) {
    sbuf *b = &h->scratch;
    bool up = h->store && store_up(h->store);
    sbuf_puts(b, up ? "{\"status\":\"ok\"}" : "{\"status\":\"unavailable\"}");
    net_http_respond(h->net, req, up ? 200 : 503, b);
}

typedef struct http_create {
    hub *h;
    uint64_t req;
    char id[23];
    char fkey[44];
    char *title;
    int64_t created;
} http_create;

static void created(redisReply *reply, void *priv) {
    http_create *c = priv;
    hub *h = c->h;
    if (!reply) hub_http_error(h, c->req, 503, PROTO_EUNAVAILABLE, "storage is unavailable, try again shortly");
    else if (reply->type != REDIS_REPLY_INTEGER || reply->integer != 1) {
        lwsl_err("creating workshop: %s\n", reply->type == REDIS_REPLY_ERROR ? reply->str : "id already taken");
        hub_http_error(h, c->req, 500, PROTO_EINTERNAL, "could not create the workshop");
    } else {
        sbuf *b = &h->scratch;
        sbuf_puts(b, "{\"id\":");
        sbuf_put_jstrz(b, c->id);
        sbuf_puts(b, ",\"facilitator_key\":");
        sbuf_put_jstrz(b, c->fkey);
        sbuf_puts(b, ",\"title\":");
        sbuf_put_jstrz(b, c->title);
        sbuf_puts(b, ",\"created\":");
        sbuf_put_i64(b, c->created);
        sbuf_putc(b, '}');
        net_http_respond(h->net, c->req, 201, b);
    }
    free(c->title);
    free(c);
}

void hub_http_create(hub *h, uint64_t req, const char *body, size_t len) {
    if (!utf8_valid(body, len) || memchr(body, '\0', len)) {
        hub_http_error(h, req, 400, PROTO_EBAD_REQUEST, "body must be UTF-8 JSON");
        return;
    }
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    while (o && end && end < body + len && (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t')) end++;
    if (!o || end != body + len || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        hub_http_error(h, req, 400, PROTO_EBAD_REQUEST, "body must be a JSON object: {\"title\": \"...\"}");
        return;
    }
    const cJSON *title = cJSON_GetObjectItemCaseSensitive(o, "title");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(o, "text");
    const char *why = NULL;
    if (!cJSON_IsString(title) || !proto_valid_label(title->valuestring, PROTO_TITLE_MAX))
        why = "\"title\" must be a string of 1 to 200 characters, without control characters";
    else if (text && !cJSON_IsNull(text) && !cJSON_IsString(text))
        why = "\"text\" must be a string";
    else if (strstr(body, "\\u0000"))
        why = "strings must not contain \\u0000";
    if (why) {
        cJSON_Delete(o);
        hub_http_error(h, req, 400, PROTO_EBAD_REQUEST, why);
        return;
    }
    if (!h->store || !store_up(h->store)) {
        cJSON_Delete(o);
        hub_http_error(h, req, 503, PROTO_EUNAVAILABLE, "storage is unavailable, try again shortly");
        return;
    }
    http_create *c = calloc(1, sizeof *c);
    const char *start = cJSON_IsString(text) ? text->valuestring : "";
    if (!c || !(c->title = strdup(title->valuestring)) || !net_random_b64url(c->id, 22) ||
        !net_random_b64url(c->fkey, 43)) {
        if (c) free(c->title);
        free(c);
        cJSON_Delete(o);
        hub_http_error(h, req, 500, PROTO_EINTERNAL, "could not create the workshop");
        return;
    }
    c->h = h;
    c->req = req;
    c->created = hub_now_ms();
    char kmeta[96], ksnaps[96], kevents[96], kmarks[96], created_s[24];
    hub_key(kmeta, sizeof kmeta, c->id, "meta");
    hub_key(ksnaps, sizeof ksnaps, c->id, "snaps");
    hub_key(kevents, sizeof kevents, c->id, "events");
    hub_key(kmarks, sizeof kmarks, c->id, "marks");
    snprintf(created_s, sizeof created_s, "%lld", (long long)c->created);
    if (!store_cmd(h->store, created, c, "FCALL atelier_create 4 %s %s %s %s %s %s %s %s", kmeta, ksnaps, kevents,
                   kmarks, c->title, c->fkey, created_s, start)) {
        free(c->title);
        free(c);
        hub_http_error(h, req, 503, PROTO_EUNAVAILABLE, "storage is unavailable, try again shortly");
    }
    cJSON_Delete(o);
}

static void put_public(sbuf *b, const char *id, const char *title, int64_t created, int64_t rev) {
    sbuf_puts(b, "{\"id\":");
    sbuf_put_jstrz(b, id);
    sbuf_puts(b, ",\"title\":");
    sbuf_put_jstrz(b, title);
    sbuf_puts(b, ",\"created\":");
    sbuf_put_i64(b, created);
    sbuf_puts(b, ",\"rev\":");
    sbuf_put_i64(b, rev);
    sbuf_puts(b, ",\"present\":[");
}

void hub_write_present(sbuf *b, const char *name, const char *org, bool facilitator, bool first) {
    if (!first) sbuf_putc(b, ',');
    sbuf_puts(b, "{\"name\":");
    sbuf_put_jstrz(b, name);
    sbuf_puts(b, ",\"organisation\":");
    sbuf_put_jstrz(b, org);
    sbuf_puts(b, facilitator ? ",\"role\":\"facilitator\"}" : ",\"role\":\"participant\"}");
}

typedef struct http_get {
    hub *h;
    uint64_t req;
    char id[PROTO_WORKSHOP_ID_MAX + 1];
} http_get;

static void got_meta(redisReply *reply, void *priv) {
    http_get *g = priv;
    hub *h = g->h;
    if (!reply) hub_http_error(h, g->req, 503, PROTO_EUNAVAILABLE, "storage is unavailable, try again shortly");
    else if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 || reply->element[0]->type != REDIS_REPLY_STRING)
        hub_http_error(h, g->req, 404, PROTO_ENOT_FOUND, "no workshop with this id");
    else {
        /* Not loaded here: who is present is known from the history and
         * the processes that are alive. */
        sbuf b;
        sbuf_init(&b, 0);
        put_public(&b, g->id, reply->element[0]->str,
                   reply->element[1]->type == REDIS_REPLY_STRING ? strtoll(reply->element[1]->str, NULL, 10) : 0,
                   reply->element[2]->type == REDIS_REPLY_STRING ? strtoll(reply->element[2]->str, NULL, 10) : 0);
        char *answer = sbuf_ok(&b) ? strndup(sbuf_data(&b), b.len) : NULL;
        sbuf_free(&b);
        if (answer) hub_presence_answer(h, g->req, g->id, answer);
        else hub_http_error(h, g->req, 500, PROTO_EINTERNAL, "out of memory");
    }
    free(g);
}

void hub_http_get(hub *h, uint64_t req, const char *id) {
    if (!proto_valid_b64url(id, PROTO_WORKSHOP_ID_MAX)) {
        hub_http_error(h, req, 404, PROTO_ENOT_FOUND, "no workshop with this id");
        return;
    }
    hub_room *r = hub_room_find(h, id);
    if (r && r->deleted) {
        hub_http_error(h, req, 404, PROTO_ENOT_FOUND, "no workshop with this id");
        return;
    }
    if (r && r->state == ROOM_READY && r->w) {
        sbuf *b = &h->scratch;
        put_public(b, id, r->w->title, r->w->created, r->w->rev);
        bool first = true;
        for (size_t i = 0; i < r->w->npeople; i++) {
            const wk_participant *p = &r->w->people[i];
            if (!wk_present(p)) continue;
            hub_write_present(b, p->name, p->org, p->facilitator, first);
            first = false;
        }
        sbuf_puts(b, "]}");
        net_http_respond(h->net, req, 200, b);
        return;
    }
    http_get *g = calloc(1, sizeof *g);
    if (!g) {
        hub_http_error(h, req, 500, PROTO_EINTERNAL, "out of memory");
        return;
    }
    g->h = h;
    g->req = req;
    snprintf(g->id, sizeof g->id, "%s", id);
    char kmeta[96];
    hub_key(kmeta, sizeof kmeta, id, "meta");
    if (!h->store || !store_cmd(h->store, got_meta, g, "HMGET %s title created rev", kmeta)) {
        free(g);
        hub_http_error(h, req, 503, PROTO_EUNAVAILABLE, "storage is unavailable, try again shortly");
    }
}

void hub_free(hub *h) {
    if (!h) return;
    hub_alive_stop(h);
    lws_sul_cancel(&h->sul_turn);
    for (size_t b = 0; b < sizeof h->rooms / sizeof h->rooms[0]; b++)
        while (h->rooms[b]) room_free(h->rooms[b]);
    sbuf_free(&h->scratch);
    sbuf_free(&h->req);
    free(h->due);
    free(h->peers);
    free(h);
}
