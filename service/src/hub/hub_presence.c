/* hub_presence.c -- keeping the history's presence true when a server
 * process dies without saying goodbye (kill -9, a crash, a lost machine).
 *
 * Arrivals and departures are recorded with the process they happened on
 * (its origin). Each live process refreshes a short-lived Redis key,
 * atelier:proc:ORIGIN. When a process loads a workshop, it folds the marks
 * into who the history says is connected, and for every process among them
 * whose key has expired it records the departures that process never wrote.
 * Without this, a replay would show everyone connected at a crash as present
 * for ever. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hist.h"
#include "hub/hub_internal.h"

#define ALIVE_EVERY_MS 5000     /* refresh of this process's key */
#define ALIVE_TTL_MS 20000      /* a process silent this long is gone */
#define MARKS_PAGE 10000

static void proc_key(char *dst, size_t n, const char *origin) { snprintf(dst, n, "atelier:proc:%s", origin); }

static void alive_tick(lws_sorted_usec_list_t *sul) {
    hub *h = lws_container_of(sul, hub, sul_alive);
    if (h->store && store_up(h->store)) {
        char key[64];
        proc_key(key, sizeof key, h->origin);
        store_cmd(h->store, NULL, NULL, "SET %s %lld PX %d", key, (long long)hub_now_ms(), ALIVE_TTL_MS);
    }
    lws_sul_schedule(h->ctx, 0, &h->sul_alive, alive_tick, (lws_usec_t)ALIVE_EVERY_MS * LWS_US_PER_MS);
}

void hub_alive_start(hub *h) { lws_sul_schedule(h->ctx, 0, &h->sul_alive, alive_tick, 1); }

void hub_alive_stop(hub *h) { lws_sul_cancel(&h->sul_alive); }

/* One sweep of one workshop: its own copy of what it needs, so the room may
 * go away meanwhile. */
typedef struct sweep {
    hub *h;
    char id[PROTO_WORKSHOP_ID_MAX + 1];
    char k_meta[96], k_events[96], k_marks[96];
    hist_state st;              /* presence folded from the marks */
    char cursor[HIST_ID_MAX];   /* last mark read */
    int checks;                 /* EXISTS replies still to come */
} sweep;

static void sweep_free(sweep *s) {
    hist_state_free(&s->st);
    free(s);
}

/* A process checked: if it is gone, write the departures it owed. */
typedef struct origin_check {
    sweep *s;
    char origin[32];
} origin_check;

static void origin_checked(redisReply *reply, void *priv) {
    origin_check *c = priv;
    sweep *s = c->s;
    hub *h = s->h;
    if (reply && reply->type == REDIS_REPLY_INTEGER && reply->integer == 0 && h->store) {
        char t[24];
        snprintf(t, sizeof t, "%lld", (long long)hub_now_ms());
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

void hub_presence_sweep(hub_room *r) {
    hub *h = r->hub;
    sweep *s = calloc(1, sizeof *s);
    if (!s) return;
    s->h = h;
    snprintf(s->id, sizeof s->id, "%s", r->id);
    hub_key(s->k_meta, sizeof s->k_meta, r->id, "meta");
    hub_key(s->k_events, sizeof s->k_events, r->id, "events");
    hub_key(s->k_marks, sizeof s->k_marks, r->id, "marks");
    hist_state_init(&s->st);
    if (!h->store || !store_cmd(h->store, got_marks, s, "XRANGE %s - + COUNT %d", s->k_marks, MARKS_PAGE))
        sweep_free(s);
}
