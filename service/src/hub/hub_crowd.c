/* hub_crowd.c -- presence in a big workshop (protocol/README.md, "Presence
 * in a big workshop").
 *
 * Up to presence_list_max people present (--presence-list-max, default
 * PRESENCE_LIST_MAX), a welcome lists everyone and every arrival and
 * departure goes to everyone (hub_presence.c): a join costs in proportion to
 * the people there. Above it the room is big: a welcome names only the
 * people everyone sees (facilitators, representatives, those asking to be,
 * those who wrote or have a caret: up to PRESENCE_SHOWN_MAX) and the first
 * people of the joiner's own organisation, with counts by organisation; the
 * arrivals and departures of a moment go out together, in one `presence`
 * message per workshop at most every CROWD_EVERY_US, with the counts, the
 * shown people who arrived and the departures of people some client here was
 * told of; someone who takes a caret is named in the next one, without
 * waiting for a presence change. The rest is asked for: presence_page. When the room is back to
 * presence_list_max or fewer, a presence message lists everyone again and
 * arrivals and departures go one by one as before.
 *
 * A join costs the same at any size; each presence message walks the people
 * once. Other server processes still relay arrivals and departures one by
 * one: they are this room's changes like its own. */
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "hub/hub_internal.h"

#define CROWD_EVERY_US 500000 /* one presence message per big workshop at most this often */
#define CROWD_SOON_US 50000   /* a change waits this long for others to come with it */
#define CROWD_WROTE_REVS 500  /* "wrote recently": their last op is within this many revisions */

/* room->crowd_listed's bits, per person. */
#define NAMED_SOME 1 /* named to some client here (a welcome, a presence message): their departure is owed */
#define NAMED_ALL 2  /* named to every client here (one by one before the room was big, or in `arrived`) */

static int list_max(const hub_room *r) {
    return r->hub->cfg.presence_list_max > 0 ? r->hub->cfg.presence_list_max : PRESENCE_LIST_MAX;
}

/* One flag per person: false when out of memory. */
static bool listed_reserve(hub_room *r) {
    size_t n = r->w->npeople;
    if (n <= r->crowd_listed_cap) return true;
    size_t cap = r->crowd_listed_cap ? r->crowd_listed_cap : 64;
    while (cap < n) cap *= 2;
    unsigned char *m = realloc(r->crowd_listed, cap);
    if (!m) return false;
    memset(m + r->crowd_listed_cap, 0, cap - r->crowd_listed_cap);
    r->crowd_listed = m;
    r->crowd_listed_cap = cap;
    return true;
}

/* Whom every client of a big workshop is shown by name. */
static bool shown_to_all(const workshop *w, const wk_participant *p) {
    return p->role == WK_FACILITATOR || p->role == WK_REPRESENTATIVE || p->asks || p->has_cursor ||
           (p->last_opid && w->rev - p->last_op_rev <= CROWD_WROTE_REVS);
}

void hub_write_participant(sbuf *b, const workshop *w, const wk_participant *p) {
    proto_write_participant(b, p->id, p->name, p->org, wk_role_name(p->role), p->asks);
    int slot = wk_org_slot(w, p);
    if (slot < 0) return;
    b->len--; /* reopen the object to add the slot */
    sbuf_printf(b, ",\"slot\":%d}", slot);
}

void hub_write_person(sbuf *b, const workshop *w, const wk_participant *p) {
    hub_write_participant(b, w, p);
    if (p->has_cursor) {
        b->len--; /* reopen the object to add the caret */
        sbuf_printf(b, ",\"rev\":%lld,\"sel\":[%lld,%lld]}", (long long)w->rev, (long long)p->sel[0],
                    (long long)p->sel[1]);
    }
}

/* Count who is present now, and note whom everyone is shown. With arrived
 * and departed, also write (after a comma unless first) the shown people
 * clients were not told of, and the departures of those they were. */
static void recount(hub_room *r, sbuf *arrived, sbuf *departed) {
    const workshop *w = r->w;
    presence_counts_clear(&r->crowd_counts);
    r->ncrowd_shown = 0;
    if (!r->crowd_shown && !(r->crowd_shown = malloc(PRESENCE_SHOWN_MAX * sizeof *r->crowd_shown))) return;
    for (size_t i = 0; i < w->npeople; i++) {
        const wk_participant *p = &w->people[i];
        if (!wk_present(p)) {
            if (departed && (r->crowd_listed[i] & NAMED_SOME)) {
                if (departed->len) sbuf_putc(departed, ',');
                sbuf_put_jstrz(departed, p->id);
                r->crowd_listed[i] = 0;
            }
            continue;
        }
        if (presence_counts_add(&r->crowd_counts, (int)i, p->org, p->role == WK_OBSERVER) && p->role != WK_OBSERVER)
            presence_counts_slot(&r->crowd_counts, p->org, wk_org_slot(w, p));
        if (r->ncrowd_shown == PRESENCE_SHOWN_MAX || !shown_to_all(w, p)) continue;
        r->crowd_shown[r->ncrowd_shown++] = (int)i;
        if (arrived && !(r->crowd_listed[i] & NAMED_ALL)) {
            if (arrived->len) sbuf_putc(arrived, ',');
            hub_write_person(arrived, w, p);
            r->crowd_listed[i] = NAMED_SOME | NAMED_ALL;
        }
    }
}

/* Back to a small room: everyone present, to everyone. */
static void leave_crowd(hub_room *r) {
    const workshop *w = r->w;
    sbuf *b = &r->hub->scratch;
    sbuf_puts(b, "{\"type\":\"presence\",\"participants\":[");
    bool first = true;
    for (size_t i = 0; i < w->npeople; i++) {
        if (!wk_present(&w->people[i])) continue;
        if (!first) sbuf_putc(b, ',');
        first = false;
        hub_write_person(b, w, &w->people[i]);
    }
    sbuf_puts(b, "]}");
    r->crowd = false;
    if (r->crowd_listed) memset(r->crowd_listed, 0, r->crowd_listed_cap);
    presence_counts_clear(&r->crowd_counts);
    r->ncrowd_shown = 0;
    hub_broadcast(r, b, 0, -1);
}

/* The presence message of the changes since the last one. */
static void send_presence(hub_room *r) {
    r->crowd_due = false;
    r->crowd_sent_us = hub_now_us();
    if (r->npresent <= list_max(r)) {
        leave_crowd(r);
        return;
    }
    if (!listed_reserve(r)) { /* tried again at the next change */
        r->crowd_due = true;
        return;
    }
    sbuf arrived, departed;
    sbuf_init(&arrived, 0);
    sbuf_init(&departed, 0);
    recount(r, &arrived, &departed);
    sbuf *b = &r->hub->scratch;
    sbuf_puts(b, "{\"type\":\"presence\",");
    presence_counts_write(b, &r->crowd_counts);
    sbuf_puts(b, ",\"arrived\":[");
    if (arrived.len) sbuf_put(b, sbuf_data(&arrived), arrived.len);
    sbuf_puts(b, "],\"departed\":[");
    if (departed.len) sbuf_put(b, sbuf_data(&departed), departed.len);
    sbuf_puts(b, "]}");
    bool whole = sbuf_ok(&arrived) && sbuf_ok(&departed);
    sbuf_free(&arrived);
    sbuf_free(&departed);
    if (whole) hub_broadcast(r, b, 0, -1);
    else sbuf_reset(b);
}

static void crowd_timer_cb(lws_sorted_usec_list_t *sul) {
    hub_room *r = lws_container_of(sul, hub_room, sul_crowd);
    r->crowd_timer = false;
    if (r->state == ROOM_READY && r->crowd && r->crowd_due) send_presence(r);
    hub_room_unref(r); /* the timer's */
}

static void crowd_due(hub_room *r) {
    r->crowd_due = true;
    if (r->crowd_timer || r->hub->stopped) return;
    int64_t wait = r->crowd_sent_us + CROWD_EVERY_US - hub_now_us();
    r->crowd_timer = true;
    hub_room_ref(r); /* the timer's */
    lws_sul_schedule_wakesuspend(r->hub->ctx, 0, &r->sul_crowd, crowd_timer_cb, wait > CROWD_SOON_US ? wait : CROWD_SOON_US);
}

/* The room becomes big as `who` arrives: everyone else present was told to
 * every client one by one, so their departures are owed. */
static bool enter_crowd(hub_room *r, int who) {
    if (!listed_reserve(r)) return false; /* stays small: unbounded, but right */
    const workshop *w = r->w;
    for (size_t i = 0; i < w->npeople; i++)
        r->crowd_listed[i] = (int)i != who && wk_present(&w->people[i]) ? NAMED_SOME | NAMED_ALL : 0;
    r->crowd = true;
    recount(r, NULL, NULL); /* the counts welcomes give until the first presence message */
    return true;
}

bool hub_crowd_changed(hub_room *r, int who, bool present) {
    r->npresent += present ? 1 : -1;
    if (!r->crowd && (r->npresent <= list_max(r) || !enter_crowd(r, who))) return false;
    crowd_due(r);
    return true;
}

void hub_crowd_shown_maybe(hub_room *r, int who) {
    bool listed = (size_t)who < r->crowd_listed_cap && (r->crowd_listed[who] & NAMED_ALL);
    if (!r->crowd || r->crowd_due || listed || r->ncrowd_shown >= PRESENCE_SHOWN_MAX) return;
    crowd_due(r); /* the recount names them */
}

static bool in_shown(const hub_room *r, int who) {
    for (size_t i = 0; i < r->ncrowd_shown; i++)
        if (r->crowd_shown[i] == who) return true;
    return false;
}

/* Person i into a welcome's list (after a comma unless first), now named to this client. */
static void welcome_person(hub_room *r, int i, sbuf *b, bool *first) {
    if (!*first) sbuf_putc(b, ',');
    *first = false;
    hub_write_person(b, r->w, &r->w->people[i]);
    r->crowd_listed[i] |= NAMED_SOME;
}

bool hub_crowd_write_welcome(hub_room *r, int who, sbuf *b) {
    if (!r->crowd || !listed_reserve(r)) return false;
    const workshop *w = r->w;
    const wk_participant *me = &w->people[who];
    bool first = true;
    sbuf_puts(b, ",\"participants\":[");
    for (size_t k = 0; k < r->ncrowd_shown; k++) {
        int i = r->crowd_shown[k];
        if (i != who && wk_present(&w->people[i])) welcome_person(r, i, b, &first);
    }
    const presence_org *mine = me->role == WK_OBSERVER ? NULL : presence_counts_find(&r->crowd_counts, me->org);
    for (int k = 0; mine && k < mine->nsample; k++) {
        int i = mine->sample[k];
        if (i != who && wk_present(&w->people[i]) && !in_shown(r, i)) welcome_person(r, i, b, &first);
    }
    sbuf_puts(b, "],\"presence\":{");
    presence_counts_write(b, &r->crowd_counts);
    sbuf_putc(b, '}');
    return true;
}

/* ---- presence_page ---- */

/* Whether p is one the page asks for. */
static bool page_wants(const wk_participant *p, const char *prefix_key, size_t prefix_len, const char *org_key) {
    if (!wk_present(p)) return false;
    if (prefix_key && !presence_name_starts(p->name, prefix_key, prefix_len)) return false;
    return !org_key || (p->role != WK_OBSERVER && presence_org_is(p->org, org_key));
}

void hub_crowd_page(hub *h, hub_session *s, proto_msg *msg) {
    const workshop *w = s->room->w;
    const proto_presence_page *pg = &msg->u.page;
    size_t from = 0;
    if (pg->after[0]) {
        int i = wk_find_participant(w, pg->after);
        if (i < 0) {
            hub_send_error(h, s->conn, PROTO_ENOT_FOUND, "\"after\" names nobody of this workshop", msg->type,
                           msg->idjson);
            return;
        }
        from = (size_t)i + 1;
    }
    /* Keys of labels the decoder checked: at most 64 code points, so they fit. */
    char prefix_key[PRESENCE_KEY_MAX], org_key[PRESENCE_KEY_MAX];
    size_t prefix_len = pg->prefix ? utf8_label_key(pg->prefix, prefix_key) : 0;
    if (pg->organisation) utf8_label_key(pg->organisation, org_key);
    sbuf *b = &h->scratch;
    sbuf_puts(b, "{\"type\":\"presence_page\"");
    proto_write_id(b, msg->idjson);
    sbuf_puts(b, ",\"participants\":[");
    int n = 0;
    const wk_participant *last = NULL;
    bool more = false;
    for (size_t i = from; i < w->npeople && !more; i++) {
        const wk_participant *p = &w->people[i];
        if (!page_wants(p, pg->prefix ? prefix_key : NULL, prefix_len, pg->organisation ? org_key : NULL)) continue;
        if (n == pg->limit) {
            more = true;
            break;
        }
        if (n++) sbuf_putc(b, ',');
        hub_write_person(b, w, p);
        last = p;
    }
    sbuf_putc(b, ']');
    if (more && last) {
        sbuf_puts(b, ",\"next\":");
        sbuf_put_jstrz(b, last->id);
    }
    sbuf_putc(b, '}');
    net_send_sbuf(h->net, s->conn, b);
}

void hub_crowd_stop(hub_room *r) {
    if (!r->crowd_timer) return;
    lws_sul_cancel(&r->sul_crowd);
    r->crowd_timer = false;
    hub_room_unref(r);
}

void hub_crowd_room_free(hub_room *r) {
    if (r->crowd_timer) lws_sul_cancel(&r->sul_crowd); /* at shutdown only: the timer holds a reference */
    presence_counts_free(&r->crowd_counts);
    free(r->crowd_shown);
    free(r->crowd_listed);
}
