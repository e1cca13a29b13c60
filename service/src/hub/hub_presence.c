/* hub_presence.c -- who is connected, across server processes.
 *
 * Live: every process announces on atelier:notify that it is alive ("*
 * alive ORIGIN", every presence_secs / 4) and, once it knows of another
 * process, the arrivals, departures and carets of its own connections ("ID
 * presence ORIGIN JSON", the JSON being the message its clients get). When
 * it hears of a process it did not know, or one that says "* hello ORIGIN"
 * (it started, or its subscription was cut and it may have missed some), it
 * sends the roster of each workshop it holds: who is connected through it.
 * A process that loads a workshop asks for its rosters ({"type":"who"}).
 * The others keep the participants connected through each process
 * (room->remote) and tell their clients when someone becomes present or
 * absent at all. A process not heard from for presence_secs is gone: its
 * participants depart.
 *
 * History: arrivals and departures are recorded with the process they
 * happened on (its origin), and each live process refreshes a short-lived
 * key, atelier:proc:ORIGIN. When a process loads a workshop (or finds a peer
 * gone), it folds the marks into who the history says is connected: for every
 * process among them whose key has expired it records the departures that
 * process never wrote (without this, a replay would show everyone connected
 * at a crash as present for ever), and the participants of live processes
 * count as present. */
#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hist.h"
#include "core/utf8.h"
#include "hub/hub_internal.h"

#define MARKS_PAGE 10000

static int64_t ttl_ms(const hub *h) { return (int64_t)h->cfg.presence_secs * 1000; }

static void proc_key(char *dst, size_t n, const char *origin) { snprintf(dst, n, "atelier:proc:%s", origin); }

static void peer_gone(hub *h, const char *origin);

/* "* alive ORIGIN" or "* hello ORIGIN". */
static void announce(hub *h, const char *what) {
    if (!h->store || !store_up(h->store)) return;
    char msg[sizeof h->origin + 8];
    snprintf(msg, sizeof msg, "* %s %s", what, h->origin);
    store_cmd(h->store, NULL, NULL, "PUBLISH atelier:notify %s", msg);
}

static void alive_tick(lws_sorted_usec_list_t *sul) {
    hub *h = lws_container_of(sul, hub, sul_alive);
    int64_t now = hub_now_ms();
    if (h->store && store_up(h->store)) {
        char key[64];
        proc_key(key, sizeof key, h->origin);
        store_cmd(h->store, NULL, NULL, "SET %s %lld PX %lld", key, (long long)now, (long long)ttl_ms(h));
        announce(h, "alive");
    }
    for (size_t i = 0; h->listening && i < h->npeers;) {
        if (now - h->peers[i].heard_ms <= ttl_ms(h)) {
            i++;
            continue;
        }
        char origin[HUB_ORIGIN_LEN + 1];
        memcpy(origin, h->peers[i].origin, sizeof origin);
        h->peers[i] = h->peers[--h->npeers];
        lwsl_notice("server process %s is silent: its participants depart\n", origin);
        peer_gone(h, origin);
    }
    lws_sul_schedule_wakesuspend(h->ctx, 0, &h->sul_alive, alive_tick, (lws_usec_t)ttl_ms(h) / 4 * LWS_US_PER_MS);
}

void hub_alive_start(hub *h) { lws_sul_schedule_wakesuspend(h->ctx, 0, &h->sul_alive, alive_tick, 1); }

void hub_alive_stop(hub *h) { lws_sul_cancel(&h->sul_alive); }

/* One sweep of one workshop: its own copy of what it needs, so the room may
 * go away meanwhile. It either updates the room and the history (a load, a
 * peer gone) or, read-only, answers GET /api/workshops/ID for a workshop not
 * loaded here (answer != NULL). */
typedef struct sweep {
    hub *h;
    char id[PROTO_WORKSHOP_ID_MAX + 1];
    char k_meta[HUB_KEY_MAX], k_events[HUB_KEY_MAX], k_marks[HUB_KEY_MAX];
    hist_state st;              /* presence folded from the marks */
    char cursor[HIST_ID_MAX];   /* last mark read */
    int checks;                 /* EXISTS replies still to come */
    uint64_t req;               /* the request answered */
    char *answer;               /* its public fields, up to the list of people present */
    sbuf present;               /* the people found connected through live processes */
    bool *listed;               /* per st.people: already in `present` (one entry per participant) */
    uint32_t relayed;           /* the room's count of relayed presence when the sweep began */
} sweep;

/* The end of a sweep, whichever way: an answer is sent with what was found. */
static void sweep_free(sweep *s) {
    if (s->answer) {
        sbuf *b = &s->h->scratch;
        sbuf_puts(b, s->answer);
        if (s->present.len && sbuf_ok(&s->present)) sbuf_put(b, sbuf_data(&s->present), s->present.len);
        sbuf_puts(b, "]}");
        net_http_respond(s->h->net, s->req, 200, b);
        free(s->answer);
    }
    sbuf_free(&s->present);
    free(s->listed);
    hist_state_free(&s->st);
    free(s);
}

/* The participants connected through a live process, once each. */
static void list_present(sweep *s, const char *origin) {
    if (!s->listed && s->st.npeople && !(s->listed = calloc(s->st.npeople, sizeof *s->listed))) return;
    for (size_t i = 0; i < s->st.npeople; i++) {
        const hist_person *p = &s->st.people[i];
        if (strcmp(p->origin, origin) != 0 || p->connections <= 0 || s->listed[i]) continue;
        for (size_t j = i; j < s->st.npeople; j++)
            if (strcmp(s->st.people[j].participant, p->participant) == 0) s->listed[j] = true;
        hub_write_present(&s->present, p->name, p->org, wk_role_read(p->role), p->slot, s->present.len == 0);
    }
}

/* A process checked: if it is alive, its participants are present; if it
 * is gone, the history gets the departures it owed. */
typedef struct origin_check {
    sweep *s;
    char origin[32];
} origin_check;

static void remote_add(hub_room *r, int who, const char *origin);
static bool peer_heard(hub *h, const char *origin);

static void origin_checked(redisReply *reply, void *priv) {
    origin_check *c = priv;
    sweep *s = c->s;
    hub *h = s->h;
    hub_room *r = hub_room_find(h, s->id);
    bool alive = reply && reply->type == REDIS_REPLY_INTEGER && reply->integer == 1;
    if (s->answer) {
        if (alive) list_present(s, c->origin);
    } else if (alive && r && r->state == ROOM_READY && r->relayed == s->relayed) {
        /* A live process: its participants are present here too. Not if
         * presence was relayed since the marks were read: that is newer (a
         * departure the marks did not have yet), and the rosters asked for
         * at the load say the rest. */
        peer_heard(h, c->origin);
        for (size_t i = 0; i < s->st.npeople; i++) {
            const hist_person *p = &s->st.people[i];
            if (strcmp(p->origin, c->origin) != 0 || p->connections <= 0) continue;
            int who = wk_find_participant(r->w, p->participant);
            if (who < 0) who = wk_add_participant(r->w, p->participant, "", p->name, p->org, wk_role_read(p->role));
            if (who >= 0) remote_add(r, who, c->origin);
        }
    } else if (reply && reply->type == REDIS_REPLY_INTEGER && reply->integer == 0 && h->store) {
        char t[HUB_MS_TEXT];
        hub_ms_text(t, hub_now_ms());
        for (size_t i = 0; i < s->st.npeople; i++) {
            const hist_person *p = &s->st.people[i];
            if (strcmp(p->origin, c->origin) != 0) continue;
            for (int k = 0; k < p->connections; k++)
                store_cmd(h->store, NULL, NULL,
                          "FCALL atelier_mark 3 %s %s %s %s type departed participant %s name %s org %s role %s "
                          "origin %s",
                          s->k_meta, s->k_events, s->k_marks, t, p->participant, p->name, p->org, p->role, p->origin);
        }
        lwsl_notice("workshop %s: recorded the departures of a server process that stopped (%s)\n", s->id, c->origin);
    }
    free(c);
    if (--s->checks == 0) sweep_free(s);
}

static void check_origins(sweep *s) {
    hub *h = s->h;
    s->checks = 1; /* held until every check is sent */
    for (size_t i = 0; i < s->st.npeople; i++) {
        const char *o = s->st.people[i].origin;
        bool seen = !o[0] || strcmp(o, h->origin) == 0 || strlen(o) >= sizeof ((origin_check *)0)->origin;
        for (size_t j = 0; j < i && !seen; j++) seen = strcmp(s->st.people[j].origin, o) == 0;
        if (seen) continue;
        origin_check *c = calloc(1, sizeof *c);
        if (!c) break;
        c->s = s;
        snprintf(c->origin, sizeof c->origin, "%s", o);
        char key[64];
        proc_key(key, sizeof key, o);
        s->checks++;
        if (!h->store || !store_cmd(h->store, origin_checked, c, "EXISTS %s", key)) {
            s->checks--;
            free(c);
        }
    }
    if (--s->checks == 0) sweep_free(s);
}

static void got_marks(redisReply *reply, void *priv) {
    sweep *s = priv;
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        sweep_free(s);
        return;
    }
    const char *kv[HUB_EVENT_FIELDS];
    for (size_t i = 0; i < reply->elements; i++) {
        hist_event ev;
        if (!hub_stream_event(reply->element[i], &ev, kv)) continue;
        hist_state_add(&s->st, &ev);
        snprintf(s->cursor, sizeof s->cursor, "%.47s", ev.id);
    }
    if (reply->elements == MARKS_PAGE && s->h->store &&
        store_cmd(s->h->store, got_marks, s, "XRANGE %s (%s + COUNT %d", s->k_marks, s->cursor, MARKS_PAGE))
        return;
    if (s->st.oom || reply->elements == MARKS_PAGE) {
        sweep_free(s);
        return;
    }
    check_origins(s);
}

/* The sweep, or NULL when it could not start. Its first reply comes from the
 * loop, never before this returns. */
static sweep *sweep_start_for(hub *h, const char *id, uint64_t req, char *answer) {
    sweep *s = calloc(1, sizeof *s);
    if (!s) {
        if (answer) hub_http_error(h, req, 500, PROTO_EINTERNAL, "out of memory");
        free(answer);
        return NULL;
    }
    s->h = h;
    s->req = req;
    s->answer = answer;
    sbuf_init(&s->present, 0);
    snprintf(s->id, sizeof s->id, "%s", id);
    hist_state_init(&s->st);
    bool keyed = hub_key(s->k_meta, sizeof s->k_meta, id, "meta") &&
                 hub_key(s->k_events, sizeof s->k_events, id, "events") &&
                 hub_key(s->k_marks, sizeof s->k_marks, id, "marks");
    if (!keyed || !h->store || !store_cmd(h->store, got_marks, s, "XRANGE %s - + COUNT %d", s->k_marks, MARKS_PAGE)) {
        sweep_free(s);
        return NULL;
    }
    return s;
}

void hub_presence_sweep(hub_room *r) {
    sweep *s = sweep_start_for(r->hub, r->id, 0, NULL);
    if (s) s->relayed = r->relayed;
}

void hub_presence_answer(hub *h, uint64_t req, const char *id, char *answer) { sweep_start_for(h, id, req, answer); }

/* ---- Live presence across processes ---- */

static hub_remote *remote_find(hub_room *r, int who, const char *origin) {
    for (size_t i = 0; i < r->nremote; i++)
        if (r->remote[i].who == (uint32_t)who && strcmp(r->remote[i].origin, origin) == 0) return &r->remote[i];
    return NULL;
}

/* The participant became present at all: to this process's clients but
 * except_conn and the participant's own, or in the next presence message of a
 * big workshop (hub_crowd.c). */
/* {"type":"arrived","participant":{…}}, the participant with their slot. */
static void write_arrived(sbuf *b, const workshop *w, const wk_participant *p) {
    sbuf_puts(b, "{\"type\":\"arrived\",\"participant\":");
    hub_write_participant(b, w, p);
    sbuf_putc(b, '}');
}

static void send_arrived(hub_room *r, int who, uint64_t except_conn) {
    if (hub_crowd_changed(r, who, true)) return;
    const wk_participant *p = &r->w->people[who];
    write_arrived(&r->hub->scratch, r->w, p);
    hub_broadcast(r, &r->hub->scratch, except_conn, who);
}

static void send_departed(hub_room *r, int who, uint64_t except_conn) {
    wk_participant *p = &r->w->people[who];
    p->has_cursor = false;
    p->cursor_dirty = false;
    if (hub_crowd_changed(r, who, false)) return;
    proto_write_departed(&r->hub->scratch, p->id);
    hub_broadcast(r, &r->hub->scratch, except_conn, who);
}

/* Someone now connected through `origin` too. */
static void remote_add(hub_room *r, int who, const char *origin) {
    if (remote_find(r, who, origin)) return;
    if (r->nremote == r->remote_cap) {
        size_t cap = r->remote_cap ? r->remote_cap * 2 : 8;
        hub_remote *m = realloc(r->remote, cap * sizeof *m);
        if (!m) return; /* not shown as present here: a display fault, nothing stored depends on it */
        r->remote = m;
        r->remote_cap = cap;
    }
    hub_remote *e = &r->remote[r->nremote++];
    memset(e, 0, sizeof *e);
    e->who = (uint32_t)who;
    snprintf(e->origin, sizeof e->origin, "%s", origin);
    wk_participant *p = &r->w->people[who];
    if (p->remote++ == 0 && p->online == 0) send_arrived(r, who, 0);
}

static void remote_remove(hub_room *r, hub_remote *e) {
    int who = (int)e->who;
    *e = r->remote[--r->nremote];
    wk_participant *p = &r->w->people[who];
    if (--p->remote == 0 && p->online == 0) send_departed(r, who, 0);
}

static hub_peer *peer_find(hub *h, const char *origin) {
    for (size_t i = 0; i < h->npeers; i++)
        if (strcmp(h->peers[i].origin, origin) == 0) return &h->peers[i];
    return NULL;
}

static void send_rosters(hub *h);

/* True when the process was not known. */
static bool peer_heard(hub *h, const char *origin) {
    if (strcmp(origin, h->origin) == 0) return false;
    hub_peer *p = peer_find(h, origin);
    if (p) {
        p->heard_ms = hub_now_ms();
        return false;
    }
    if (h->npeers == h->peers_cap) {
        size_t cap = h->peers_cap ? h->peers_cap * 2 : 4;
        hub_peer *m = realloc(h->peers, cap * sizeof *m);
        if (!m) return false; /* nothing is relayed to it until it is heard again */
        h->peers = m;
        h->peers_cap = cap;
    }
    p = &h->peers[h->npeers++];
    snprintf(p->origin, sizeof p->origin, "%s", origin);
    p->heard_ms = hub_now_ms();
    lwsl_notice("server process %s shares this Redis\n", origin);
    announce(h, "alive"); /* a process that just started learns of this one now, not at the next tick */
    send_rosters(h);      /* and of who is connected here, which was told to nobody */
    return true;
}

void hub_presence_peer(hub *h, const char *what, const char *origin) {
    bool fresh = peer_heard(h, origin);
    if (!fresh && strcmp(what, "hello") == 0 && strcmp(origin, h->origin) != 0) {
        announce(h, "alive");
        send_rosters(h);
    }
}

void hub_presence_listening(hub *h, bool up) {
    h->listening = up;
    if (!up) return;
    /* This process was deaf, the others were not silent: they get a full
     * presence_secs from now to be heard again. They are asked for their
     * rosters, and told this one's: when Redis restarts, every process loses
     * its subscription, and one that comes back before another cannot hear
     * that one's answer. */
    int64_t now = hub_now_ms();
    for (size_t i = 0; i < h->npeers; i++) h->peers[i].heard_ms = now;
    announce(h, "hello");
    send_rosters(h);
}

/* Its participants depart here, and the history gets the departures it owed. */
static void peer_gone(hub *h, const char *origin) {
    for (size_t b = 0; b < sizeof h->rooms / sizeof h->rooms[0]; b++)
        for (hub_room *r = h->rooms[b]; r; r = r->next) {
            bool had = false;
            for (size_t i = 0; i < r->nremote;) {
                if (strcmp(r->remote[i].origin, origin) != 0) {
                    i++;
                    continue;
                }
                had = true;
                remote_remove(r, &r->remote[i]);
            }
            if (had) hub_presence_sweep(r);
        }
}

/* Tell the other processes msg (left as it is) about this workshop. */
static void publish(hub_room *r, const sbuf *msg) {
    hub *h = r->hub;
    if (h->npeers == 0 || !sbuf_ok(msg)) return; /* nobody to tell: most deployments have one process */
    sbuf *b = &h->req;
    sbuf_reset(b);
    sbuf_puts(b, r->id);
    sbuf_puts(b, " presence ");
    sbuf_puts(b, h->origin);
    sbuf_putc(b, ' ');
    sbuf_put(b, sbuf_data(msg), msg->len);
    /* Like the marks, nothing waits on it: a process that misses one is
     * corrected by the next caret or by a roster (after its subscription
     * comes back, or when it loads the workshop). */
    if (sbuf_ok(b) && h->store && store_up(h->store))
        store_cmd(h->store, NULL, NULL, "PUBLISH atelier:notify %b", sbuf_data(b), b->len);
    if (b->cap > HUB_REQ_KEEP) sbuf_free(b);
}

/* The other processes are told in any case; this one's clients only when
 * the participant was connected through no other process. */
void hub_presence_arrived(hub_room *r, int who, uint64_t conn) {
    const wk_participant *p = &r->w->people[who];
    sbuf *b = &r->hub->scratch;
    write_arrived(b, r->w, p);
    publish(r, b);
    if (p->remote == 0 && !hub_crowd_changed(r, who, true)) hub_broadcast(r, b, conn, who);
    else sbuf_reset(b);
}

void hub_presence_departed(hub_room *r, int who, uint64_t conn) {
    wk_participant *p = &r->w->people[who];
    sbuf *b = &r->hub->scratch;
    proto_write_departed(b, p->id);
    publish(r, b);
    sbuf_reset(b);
    if (p->remote == 0) send_departed(r, who, conn);
    else p->cursor_local = false; /* its caret now comes from the other process */
}

void hub_presence_cursor(hub_room *r, int who) {
    if (r->hub->npeers == 0) return; /* publish would drop it: not even built */
    const wk_participant *p = &r->w->people[who];
    sbuf *b = &r->hub->scratch;
    proto_write_cursor(b, p->id, r->w->rev, p->sel[0], p->sel[1]);
    publish(r, b);
    sbuf_reset(b);
}

/* Who is connected through this process in one workshop. */
static void send_roster(hub_room *r) {
    sbuf *msg = &r->hub->scratch;
    sbuf_puts(msg, "{\"type\":\"roster\",\"participants\":[");
    bool first = true;
    for (size_t i = 0; i < r->w->npeople; i++) {
        const wk_participant *p = &r->w->people[i];
        if (p->online <= 0) continue;
        if (!first) sbuf_putc(msg, ',');
        first = false;
        hub_write_participant(msg, r->w, p);
        if (p->has_cursor && p->cursor_local) { /* with its caret, like a welcome's participants */
            msg->len--; /* reopen the object */
            sbuf_printf(msg, ",\"rev\":%lld,\"sel\":[%lld,%lld]}", (long long)r->w->rev, (long long)p->sel[0],
                        (long long)p->sel[1]);
        }
    }
    sbuf_puts(msg, "]}");
    publish(r, msg);
    sbuf_reset(msg);
}

/* ... in every workshop it holds. */
static void send_rosters(hub *h) {
    for (size_t b = 0; b < sizeof h->rooms / sizeof h->rooms[0]; b++)
        for (hub_room *r = h->rooms[b]; r; r = r->next)
            if (r->state == ROOM_READY) send_roster(r);
}

void hub_presence_ask(hub_room *r) {
    sbuf *msg = &r->hub->scratch;
    sbuf_puts(msg, "{\"type\":\"who\"}");
    publish(r, msg);
    sbuf_reset(msg);
}

/* A caret at revision rev of the shared history; false when it cannot apply yet. */
static bool caret_apply(hub_room *r, int who, int64_t rev, const int64_t sel[2]) {
    workshop *w = r->w;
    if (rev > w->rev) return false;
    int64_t at[2] = {sel[0], sel[1]};
    if (!wk_transform_caret(w, rev, &at[0]) || !wk_transform_caret(w, rev, &at[1])) return true; /* out of date: dropped */
    wk_participant *p = &w->people[who];
    p->sel[0] = at[0];
    p->sel[1] = at[1];
    p->has_cursor = true;
    p->cursor_dirty = true;
    p->cursor_local = false;
    hub_crowd_shown_maybe(r, who);
    return true;
}

void hub_presence_caught_up(hub_room *r) {
    bool moved = false;
    for (size_t i = 0; i < r->nremote; i++) {
        hub_remote *e = &r->remote[i];
        if (!e->parked || !caret_apply(r, (int)e->who, e->parked_rev, e->parked_sel)) continue;
        e->parked = false;
        moved = true;
    }
    if (moved) hub_cursors_flush(r);
}

static const char *jstr(const cJSON *o, const char *k) { return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k)); }

static bool jint(const cJSON *v, int64_t *out) { return proto_json_int(v, 0, PROTO_SAFE_INT_MAX, out); }

/* The participant object of a relayed message, added to the model if this
 * process has not seen them yet (joined through the other process since this
 * one loaded the workshop): known without their secret, which a resume here
 * rereads. -1 if the object is not a participant. *learned: their
 * organisation's colour slot was not known here before. */
static int relayed_person(workshop *w, const cJSON *o, bool *learned) {
    *learned = false;
    const char *id = jstr(o, "id"), *name = jstr(o, "name"), *org = jstr(o, "organisation"), *role = jstr(o, "role");
    bool no_org_ok = role && strcmp(role, "observer") == 0 && org && !org[0]; /* an observer may name none */
    if (!id || !name || !org || !role || strlen(id) != WK_PID_LEN || !utf8_valid_label(name, PROTO_NAME_MAX) ||
        (!no_org_ok && !utf8_valid_label(org, PROTO_NAME_MAX)))
        return -1;
    int64_t slot = -1; /* an old record's first join since slots exist gives them one: taken on a known person too */
    const cJSON *slot_j = cJSON_GetObjectItemCaseSensitive(o, "slot");
    if (slot_j && !proto_json_int(slot_j, 0, WK_SLOT_MAX, &slot)) return -1;
    int who = wk_find_participant(w, id);
    if (who < 0) { /* roles and requests of a known person: followed through the role announcements */
        const char *asks = jstr(o, "asks");
        who = wk_add_participant(w, id, "", name, org, wk_role_read(role));
        if (who >= 0) w->people[who].asks = asks && strcmp(asks, "representative") == 0;
    }
    if (who >= 0 && slot >= 0 && wk_org_slot(w, &w->people[who]) != slot) {
        wk_set_org_slot(w, who, (int)slot);
        *learned = true;
    }
    return who;
}

/* Participant who is present through origin. Already present (announced
 * before their organisation's slot was known: an older record given one
 * at this join, through a roster sent meanwhile), told again now that it
 * is, so that every page colours them as the others do. */
static void relayed_arrival(hub_room *r, int who, const char *origin, bool learned) {
    const wk_participant *p = &r->w->people[who];
    bool present = p->online > 0 || p->remote > 0;
    remote_add(r, who, origin);
    if (present && learned) send_arrived(r, who, 0);
}

/* The caret in o ({"rev": R, "sel": [anchor, head]}) of e's participant,
 * applied now or parked until the catch-up. True when applied. */
static bool relayed_caret(hub_room *r, hub_remote *e, const cJSON *o) {
    const cJSON *sel = cJSON_GetObjectItemCaseSensitive(o, "sel");
    int64_t rev, at[2];
    if (!jint(cJSON_GetObjectItemCaseSensitive(o, "rev"), &rev) || cJSON_GetArraySize(sel) != 2 ||
        !jint(cJSON_GetArrayItem(sel, 0), &at[0]) || !jint(cJSON_GetArrayItem(sel, 1), &at[1]))
        return false;
    if (caret_apply(r, (int)e->who, rev, at)) {
        e->parked = false;
        return true;
    }
    e->parked = true; /* its ops are on their way: hub_presence_caught_up */
    e->parked_rev = rev;
    e->parked_sel[0] = at[0];
    e->parked_sel[1] = at[1];
    return false;
}

void hub_presence_relayed(hub_room *r, const char *origin, const char *json, size_t len) {
    hub *h = r->hub;
    workshop *w = r->w;
    if (strcmp(origin, h->origin) == 0 || strlen(origin) != HUB_ORIGIN_LEN) return;
    peer_heard(h, origin);
    /* From another server of ours, but parsed as carefully as a client's. */
    cJSON *o = cJSON_ParseWithLength(json, len);
    const char *type = jstr(o, "type");
    const cJSON *who_j = cJSON_GetObjectItemCaseSensitive(o, "participant");
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(o, "participants");
    if (type && strcmp(type, "who") == 0) {
        send_roster(r);
    } else if (type && strcmp(type, "arrived") == 0) {
        bool learned;
        int who = relayed_person(w, who_j, &learned);
        if (who >= 0) relayed_arrival(r, who, origin, learned);
        r->relayed++;
    } else if (type && strcmp(type, "roster") == 0 && cJSON_IsArray(list)) {
        int n = cJSON_GetArraySize(list);
        int *listed = calloc((size_t)n + 1, sizeof *listed);
        int k = 0;
        bool *learned = calloc((size_t)n + 1, sizeof *learned);
        if (!learned) { /* out of memory: this roster is skipped whole, as when listed is NULL */
            free(listed);
            listed = NULL;
        }
        for (int i = 0; listed && i < n; i++) {
            bool l;
            int who = relayed_person(w, cJSON_GetArrayItem(list, i), &l);
            if (who >= 0) {
                learned[k] = l;
                listed[k++] = who;
            }
        }
        for (size_t i = 0; listed && i < r->nremote;) { /* missed departures */
            bool in = false;
            for (int j = 0; j < k && !in; j++) in = r->remote[i].who == (uint32_t)listed[j];
            if (in || strcmp(r->remote[i].origin, origin) != 0) i++;
            else remote_remove(r, &r->remote[i]);
        }
        bool moved = false;
        for (int j = 0; j < k; j++) {
            relayed_arrival(r, listed[j], origin, learned[j]); /* missed arrivals */
            hub_remote *e = remote_find(r, listed[j], origin);
            const cJSON *item = NULL;
            for (int i = 0; e && !item && i < n; i++) {
                const cJSON *x = cJSON_GetArrayItem(list, i);
                const char *id = jstr(x, "id");
                if (id && strcmp(id, w->people[listed[j]].id) == 0) item = x;
            }
            if (item && relayed_caret(r, e, item)) moved = true;
        }
        free(listed);
        free(learned);
        r->relayed++;
        if (moved) hub_cursors_flush(r);
    } else if (type && strcmp(type, "departed") == 0 && cJSON_IsString(who_j)) {
        int who = wk_find_participant(w, who_j->valuestring);
        hub_remote *e = who >= 0 ? remote_find(r, who, origin) : NULL;
        if (e) remote_remove(r, e);
        r->relayed++;
    } else if (type && strcmp(type, "cursor") == 0 && cJSON_IsString(who_j)) {
        int who = wk_find_participant(w, who_j->valuestring);
        hub_remote *e = who >= 0 ? remote_find(r, who, origin) : NULL;
        if (e && relayed_caret(r, e, o)) hub_cursors_flush(r);
    }
    if (type && strcmp(type, "cursor") != 0 && strcmp(type, "who") != 0) hub_balance_due(r); /* who is present */
    cJSON_Delete(o);
}
