/* The hub: the live workshops of this process. This file holds the hub
 * itself, its clocks, and what the store tells it (Redis up or down, the
 * announcements of other processes); rooms, joins, ops, polls, presence and
 * the HTTP API each have their own file (README, "How it works"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

void hub_ms_text(char dst[HUB_MS_TEXT], int64_t ms) { snprintf(dst, HUB_MS_TEXT, "%lld", (long long)ms); }

hub *hub_new(const hub_config *cfg, net_server *net) {
    hub *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->cfg = *cfg;
    if (h->cfg.batch_max > h->cfg.window) h->cfg.batch_max = h->cfg.window;
    h->net = net;
    h->ctx = net_context(net);
    sbuf_init(&h->scratch, NET_PRE);
    sbuf_init(&h->req, 0);
    /* An hour's creations, all at once at most. */
    if (!net_random_b64url(h->origin, sizeof h->origin - 1) || !hub_code_init(h) || !hub_join_init(h) ||
        !limiter_init(&h->create_limits, HUB_CREATE_ADDRESSES, h->cfg.create_per_hour / 60, h->cfg.create_per_hour)) {
        hub_code_free(h);
        hub_join_free(h);
        free(h);
        return NULL;
    }
    hub_trim_start(h);
    return h;
}

void hub_set_store(hub *h, store *s) {
    h->store = s;
    if (s) {
        store_on_switch(s, hub_primary_switched);
        hub_alive_start(h);
        hub_retention_start(h);
    } else {
        hub_alive_stop(h);
        hub_retention_stop(h);
    }
}

size_t hub_rooms(const hub *h) { return h->nrooms; }

/* What the edge answered itself is counted like every other error. */
static void edge_refused(void *h, const char *code) { hub_count_error(h, code); }

const net_handlers hub_net_handlers = {
    .ws_open = hub_session_open,
    .ws_message = hub_session_input,
    .ws_close = hub_session_close,
    .http_request = hub_http_request,
    .refused = edge_refused,
};

void hub_stop(hub *h) {
    h->stopped = true;
    hub_alive_stop(h);
    hub_retention_stop(h);
    hub_trim_stop(h);
    lws_sul_cancel(&h->sul_turn);
    HUB_FOR_EACH_ROOM(h, r) {
        hub_room_ref(r); /* its timers may hold the last references */
        hub_room_linger_end(r);
        hub_op_stop(r);
        hub_cursor_stop(r);
        hub_poll_stop(r);
        hub_balance_stop(r);
        hub_crowd_stop(r);
        net_group_free(h->net, r->group); /* before the connections close: the group is the hub's */
        r->group = NULL;
        hub_room_unref(r);
    }
}

void hub_free(hub *h) {
    if (!h) return;
    hub_alive_stop(h);
    hub_retention_stop(h);
    hub_trim_stop(h);
    lws_sul_cancel(&h->sul_turn);
    hub_room_free_all(h);
    sbuf_free(&h->scratch);
    hub_history_free(h);
    sbuf_free(&h->req);
    free(h->due);
    free(h->peers);
    balance_batch_free(&h->batch_counts);
    hub_code_free(h);
    hub_join_free(h);
    limiter_free(&h->create_limits);
    free(h);
}

/* ---- What the store says ---- */

void hub_store_state(void *ud, bool up) {
    hub *h = ud;
    if (up) {
        hub_primary_check_all(h); /* first: nothing of a room goes to a new primary before it is compared */
        hub_alive_start(h); /* say so now: the liveness key may have expired meanwhile */
        /* Ops that queued during the outage were refused already. Poll
         * changes that failed meanwhile: read the polls back. */
        HUB_FOR_EACH_ROOM(h, r)
            if (r->state == ROOM_READY) hub_poll_reload_all(r);
        return;
    }
    HUB_FOR_EACH_ROOM(h, r)
        if (r->state == ROOM_READY) hub_room_refuse_all(r, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE_OP);
}

static void catch_up_if_behind(hub_room *r) {
    if (r->state != ROOM_READY || r->w->in_flight || r->catching_up) return;
    if (r->notified_rev > r->w->rev) hub_room_catch_up(r);
}

/* "* alive ORIGIN", "* hello ORIGIN" */
static void notify_peer(hub *h, const char *rest, const char *end) {
    if (end - rest != 6 + HUB_ORIGIN_LEN || (memcmp(rest, "alive ", 6) != 0 && memcmp(rest, "hello ", 6) != 0)) return;
    char what[6], origin[HUB_ORIGIN_LEN + 1];
    memcpy(what, rest, 5);
    what[5] = '\0';
    memcpy(origin, rest + 6, HUB_ORIGIN_LEN);
    origin[HUB_ORIGIN_LEN] = '\0';
    hub_presence_peer(h, what, origin);
}

/* "ID presence ORIGIN JSON": true when it was one. */
static bool notify_presence(hub_room *r, const char *rest, const char *end) {
    if (end - rest <= 10 + HUB_ORIGIN_LEN || memcmp(rest, "presence ", 9) != 0 || rest[9 + HUB_ORIGIN_LEN] != ' ')
        return false;
    char origin[HUB_ORIGIN_LEN + 1];
    memcpy(origin, rest + 9, HUB_ORIGIN_LEN);
    origin[HUB_ORIGIN_LEN] = '\0';
    const char *json = rest + 10 + HUB_ORIGIN_LEN;
    hub_presence_relayed(r, origin, json, (size_t)(end - json));
    return true;
}

/* "ID workshop ORIGIN ...": true when it was one. */
static bool notify_workshop(hub_room *r, const char *rest, const char *end) {
    if (end - rest < 9 || memcmp(rest, "workshop ", 9) != 0) return false;
    hub_workshop_notified(r, rest + 9, (size_t)(end - rest - 9));
    return true;
}

/* "ID role ORIGIN PARTICIPANT T BY": true when it was one. */
static bool notify_role(hub_room *r, const char *rest, const char *end) {
    if (end - rest < 5 || memcmp(rest, "role ", 5) != 0) return false;
    hub_role_notified(r, rest + 5, (size_t)(end - rest - 5));
    return true;
}

/* "ID observer ORIGIN": true when it was one. */
static bool notify_observer(hub_room *r, const char *rest, const char *end) {
    if (end - rest < 9 || memcmp(rest, "observer ", 9) != 0) return false;
    hub_observer_notified(r, rest + 9, (size_t)(end - rest - 9));
    return true;
}

/* "ID poll POLL ORIGIN": true when it was one. */
static bool notify_poll(hub_room *r, const char *rest) {
    if (strncmp(rest, "poll ", 5) != 0) return false;
    char poll_id[POLL_ID_MAX + 1], origin[HUB_ORIGIN_LEN + 1];
    if (sscanf(rest + 5, "%22s %11s", poll_id, origin) == 2 && strcmp(origin, r->hub->origin) != 0 &&
        poll_valid_id(poll_id)) {
        hub_poll_reload_changed(r, poll_id);
        hub_balance_due(r); /* a ballot or an answer may count */
    }
    return true;
}

/* "ID agenda ORIGIN": true when it was one. */
static bool notify_agenda(hub_room *r, const char *rest) {
    if (strncmp(rest, "agenda ", 7) != 0) return false;
    char origin[HUB_ORIGIN_LEN + 1];
    if (sscanf(rest + 7, "%11s", origin) == 1) hub_agenda_notified(r, origin);
    return true;
}

/* "ID discuss ORIGIN": true when it was one. */
static bool notify_discuss(hub_room *r, const char *rest) {
    if (strncmp(rest, "discuss ", 8) != 0) return false;
    char origin[HUB_ORIGIN_LEN + 1];
    if (sscanf(rest + 8, "%11s", origin) == 1) hub_discuss_notified(r, origin);
    return true;
}

/* "ID signoff ORIGIN": true when it was one. */
static bool notify_signoff(hub_room *r, const char *rest, const char *end) {
    if (end - rest != 8 + HUB_ORIGIN_LEN || memcmp(rest, "signoff ", 8) != 0) return false;
    char origin[HUB_ORIGIN_LEN + 1];
    memcpy(origin, rest + 8, HUB_ORIGIN_LEN);
    origin[HUB_ORIGIN_LEN] = '\0';
    hub_signoff_notified(r, origin);
    return true;
}

/* "ID resync UNTIL_MS": true when it was one. */
static bool notify_resync(hub_room *r, const char *rest, const char *end) {
    if (end - rest < 7 || memcmp(rest, "resync ", 7) != 0) return false;
    hub_primary_notified(r, rest + 7, (size_t)(end - rest - 7));
    return true;
}

/* "ID board ORIGIN": true when it was one. */
static bool notify_board(hub_room *r, const char *rest, const char *end) {
    if (end - rest != 6 + HUB_ORIGIN_LEN || memcmp(rest, "board ", 6) != 0) return false;
    char origin[HUB_ORIGIN_LEN + 1];
    memcpy(origin, rest + 6, HUB_ORIGIN_LEN);
    origin[HUB_ORIGIN_LEN] = '\0';
    hub_board_notified(r, origin);
    return true;
}

/* Announcements of the other processes on atelier:notify (protocol/README.md). */
void hub_notify(void *ud, const char *payload, size_t len) {
    hub *h = ud;
    char id[PROTO_WORKSHOP_ID_MAX + 1];
    const char *sp = memchr(payload, ' ', len);
    if (!sp || sp == payload || (size_t)(sp - payload) > PROTO_WORKSHOP_ID_MAX) return;
    memcpy(id, payload, (size_t)(sp - payload));
    id[sp - payload] = '\0';
    const char *rest = sp + 1, *end = payload + len;
    if (strcmp(id, "*") == 0) {
        notify_peer(h, rest, end);
        return;
    }
    if (end - rest == 7 && memcmp(rest, "deleted", 7) == 0) {
        hub_workshop_deleted(h, id);
        return;
    }
    hub_room *r = hub_room_find(h, id);
    if (!r || r->state != ROOM_READY) return;
    if (notify_presence(r, rest, end) || notify_poll(r, rest) || notify_workshop(r, rest, end) ||
        notify_signoff(r, rest, end) || notify_role(r, rest, end) || notify_observer(r, rest, end) ||
        notify_agenda(r, rest) || notify_resync(r, rest, end) || notify_board(r, rest, end) || notify_discuss(r, rest))
        return;
    int64_t rev = strtoll(rest, NULL, 10); /* "ID REV": a commit */
    if (rev > r->notified_rev) r->notified_rev = rev;
    catch_up_if_behind(r);
}

/* Announcements may have been missed while the subscriber was away: look. */
void hub_notify_state(void *ud, bool up) {
    hub *h = ud;
    hub_presence_listening(h, up);
    if (!up) return;
    HUB_FOR_EACH_ROOM(h, r) {
        if (r->state != ROOM_READY) continue;
        hub_workshop_reread(r);
        hub_signoff_reread(r);
        hub_observer_reread(r);
        hub_role_reread(r);
        hub_agenda_reread(r);
        hub_board_reread(r);
        hub_discuss_reread(r);
        hub_balance_due(r);
        if (!r->w->in_flight && !r->catching_up) hub_room_catch_up(r);
    }
}
