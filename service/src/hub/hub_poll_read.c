/* Polls as a participant first sees them (the welcome, then their own
 * ballots, or their organisation's, and the results they may see), and polls
 * read from Redis: when a workshop loads, and again when another process
 * changed one or a write of ours failed. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rights.h"
#include "hub/hub_internal.h"

/* ---- Joining ---- */

void hub_poll_write_welcome(hub_room *r, int who, sbuf *b) {
    bool fac = wk_is_facilitator(&r->w->people[who]);
    sbuf_puts(b, ",\"polls\":[");
    bool first = true;
    for (size_t i = 0; i < r->polls.n; i++) {
        const poll_t *p = r->polls.v[i];
        if (!poll_visible(p, fac)) continue;
        if (!first) sbuf_putc(b, ',');
        first = false;
        poll_write_public(b, p);
    }
    sbuf_putc(b, ']');
}

void hub_poll_after_welcome(hub_room *r, hub_session *s) {
    hub *h = r->hub;
    const wk_participant *me = &r->w->people[s->participant];
    for (size_t i = 0; i < r->polls.n; i++) {
        const poll_t *p = r->polls.v[i];
        if (!poll_visible(p, wk_is_facilitator(me))) continue;
        sbuf_reset(&h->scratch);
        if (poll_took_part(p, me->id, wk_org_group(me))) {
            poll_write_mine(&h->scratch, p, me->id, wk_org_group(me), NULL);
            net_send_sbuf(h->net, s->conn, &h->scratch);
        }
        sbuf_reset(&h->scratch);
        if (p->state != POLL_DRAFT && poll_may_see_results(p, wk_is_facilitator(me))) {
            poll_write_results(&h->scratch, p, poll_threshold(p), NULL);
            net_send_sbuf(h->net, s->conn, &h->scratch);
        }
    }
}

/* ---- Loading and reading back ---- */

static void read_all(hub_room *r, redisReply *reply);

/* Reading one poll: its record (from the polls hash when loading, else its
 * own HGET), then its ballots; both replies may be due (a read back sends
 * both at once). The last reply due decides (finish). */
typedef struct poll_read {
    hub_room *room;
    char id[POLL_ID_MAX + 1];
    poll_t *p;                 /* being read (NULL: no record, or unreadable) */
    int due;                   /* replies still to come */
    bool relay;                /* a read back: replace the model and tell everyone */
    bool tell_all;             /* ... everything, not only what changed (hub_poll_reload) */
    uint64_t read_at;          /* ... the poll's writes sent when it went (hub_poll_sync.c) */
    bool gone;                 /* no record: deleted elsewhere */
    bool failed;               /* a reply missing or unreadable: keep the model as it is */
    bool damaged;              /* a ballot unreadable */
} poll_read;

/* w(b, p) and w(b, was) write the same bytes (was NULL: never). a and b are scratch. */
static bool same_text(sbuf *a, sbuf *b, const poll_t *p, const poll_t *was, const char *pid, const char *org) {
    if (!was) return false;
    sbuf_reset(a);
    sbuf_reset(b);
    if (pid) {
        poll_write_mine(a, p, pid, org, NULL);
        poll_write_mine(b, was, pid, org, NULL);
    } else {
        poll_write_poll(a, p, NULL);
        poll_write_poll(b, was, NULL);
    }
    return sbuf_ok(a) && sbuf_ok(b) && a->len == b->len && memcmp(sbuf_data(a), sbuf_data(b), a->len) == 0;
}

/* The poll read back (p) replaces the one in memory (was: NULL when this
 * process did not have it):
 * everyone is told what changed for them -- the poll when its object
 * changed, each person their ballot when it changed (another process's
 * vote, or a write of ours Redis did not take) -- not everything to
 * everyone: in an assembly on several processes, ballots elsewhere read the
 * poll back often, and 10,000 unchanged messages each time would cost more
 * than the ballots. */
static void relay_poll(hub_room *r, poll_t *p, const poll_t *was, bool tell_all) {
    hub *h = r->hub;
    sbuf a, b; /* the comparisons' own: h->scratch holds only what is sent */
    sbuf_init(&a, 0);
    sbuf_init(&b, 0);
    if (tell_all) was = NULL;
    if (!same_text(&a, &b, p, was, NULL, NULL)) {
        poll_write_poll(&h->scratch, p, NULL);
        hub_send_if(r, &h->scratch, hub_poll_may_see, p, 0);
    }
    for (size_t i = 0; i < r->nsess; i++) {
        hub_session *s = r->sessions[i];
        const wk_participant *who = &r->w->people[s->participant];
        /* An observer has no ballot to be told of. */
        if (!poll_visible(p, hub_poll_is_facilitator(r, s)) || !rights_may(who->role, PROTO_VOTE)) continue;
        if (same_text(&a, &b, p, was, who->id, wk_org_group(who))) continue;
        /* A poll new here (another process made it): only who took part has a ballot to be told of. */
        if (!tell_all && !was && !poll_took_part(p, who->id, wk_org_group(who))) continue;
        poll_write_mine(&h->scratch, p, who->id, wk_org_group(who), NULL);
        net_send_sbuf(h->net, s->conn, &h->scratch);
    }
    sbuf_free(&a);
    sbuf_free(&b);
    hub_poll_results_due(r, p->id);
}

/* A poll deleted elsewhere: it goes from the model, and everyone is told. */
static void drop_deleted(hub_room *r, const char *id) {
    hub *h = r->hub;
    poll_t *gone = poll_list_take(&r->polls, id);
    if (!gone) return;
    poll_write_deleted(&h->scratch, id, NULL);
    hub_send_if(r, &h->scratch, NULL, NULL, 0);
    poll_free(gone);
}

/* A read back, every reply in: replace the model (when no write of ours went
 * after the read) and tell everyone. */
static void finish_read_back(hub_room *r, poll_read *pr) {
    bool fresh = hub_poll_sync_fresh(r, pr->id, pr->read_at);
    if (pr->damaged) {
        /* Another process changed the poll into something unreadable: keep it as it was. */
    } else if (fresh && pr->gone) {
        drop_deleted(r, pr->id);
    } else if (fresh && pr->p && !pr->failed) {
        poll_store_finish(pr->p);
        poll_t *was = poll_list_take(&r->polls, pr->id);
        const char *why;
        if (poll_list_add(&r->polls, pr->p, &why) == POLL_OK) {
            poll_list_sort(&r->polls);
            hub_poll_passages_follow(r, false); /* its passage, from the record's revision to ours */
            relay_poll(r, pr->p, was, pr->tell_all);
        } else {
            poll_free(pr->p);
        }
        poll_free(was);
        pr->p = NULL;
    }
    hub_poll_sync_read_done(r, pr->id);
}

/* Loading, every reply in: the poll joins the model; a damaged ballot refuses the workshop. */
static void finish_load(hub_room *r, poll_read *pr) {
    if (pr->damaged) {
        hub_room_load_failed(r, PROTO_EINTERNAL, HUB_DAMAGED);
    } else if (pr->p && !pr->failed) {
        poll_store_finish(pr->p);
        const char *why;
        if (poll_list_add(&r->polls, pr->p, &why) != POLL_OK) poll_free(pr->p);
        else poll_list_sort(&r->polls);
        pr->p = NULL;
    }
}

/* One reply of pr is in: the last one decides, then pr goes. */
static void reply_in(poll_read *pr) {
    hub_room *r = pr->room;
    if (--pr->due > 0) return;
    if (pr->relay) finish_read_back(r, pr);
    else finish_load(r, pr);
    poll_free(pr->p);
    free(pr);
}

static void ballots_read(redisReply *reply, void *priv) {
    poll_read *pr = priv;
    hub_room *r = pr->room;
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        pr->failed = true;
    } else if (pr->p) {
        for (size_t i = 0; i + 1 < reply->elements; i += 2) {
            const char *why;
            const redisReply *k = reply->element[i], *v = reply->element[i + 1];
            if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING ||
                poll_store_read_ballot(pr->p, k->str, v->str, v->len, &why) != POLL_OK) {
                lwsl_err("workshop %s poll %s: a ballot is damaged: %s\n", r->id, pr->id,
                         k->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING ? why : "not a string");
                pr->damaged = true;
            }
        }
    }
    reply_in(pr);
    hub_room_unref(r);
}

/* Queue the ballots read of a poll (due: the replies of pr still to come,
 * this one included). False when Redis is away. */
static bool read_ballots(hub_room *r, poll_read *pr) {
    char *kb = hub_poll_ballots_key(r, pr->id);
    bool ok = kb && hub_room_cmd(r, ballots_read, pr, "HGETALL %s", kb);
    free(kb);
    return ok;
}

static void record_read(redisReply *reply, void *priv) {
    poll_read *pr = priv;
    hub_room *r = pr->room;
    const char *why;
    if (!reply) {
        pr->failed = true;
    } else if (reply->type != REDIS_REPLY_STRING) {
        pr->gone = true;
    } else if (poll_store_read(reply->str, reply->len, &pr->p, &why) != POLL_OK) {
        lwsl_err("workshop %s: poll %s record unreadable: %s\n", r->id, pr->id, why);
        pr->failed = true;
    }
    reply_in(pr);
    hub_room_unref(r);
}

bool hub_poll_read_back(hub_room *r, const char *poll_id, uint64_t read_at, bool tell_all) {
    poll_read *pr = calloc(1, sizeof *pr);
    if (!pr) return false;
    pr->room = r;
    pr->relay = true;
    pr->tell_all = tell_all;
    pr->read_at = read_at;
    pr->due = 2;
    snprintf(pr->id, sizeof pr->id, "%s", poll_id);
    if (!hub_room_cmd(r, record_read, pr, "HGET %s %s", r->k_polls, poll_id)) {
        free(pr);
        return false;
    }
    if (!read_ballots(r, pr)) { /* the record's reply still comes: it finds the read failed */
        pr->failed = true;
        pr->due = 1;
    }
    return true;
}

static void polls_read(redisReply *reply, void *priv) {
    hub_room *r = priv;
    if (r->state == ROOM_LOADING && reply && reply->type == REDIS_REPLY_ARRAY) read_all(r, reply);
    /* Queued after the ballots, so the events tail answers last and the room
     * is ready only once every poll is in. A failure there reports it. */
    hub_room_load_tail(r);
    hub_room_unref(r);
}

static void read_all(hub_room *r, redisReply *reply) {
    for (size_t i = 0; i + 1 < reply->elements; i += 2) {
        const redisReply *k = reply->element[i], *v = reply->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) continue;
        poll_read *pr = calloc(1, sizeof *pr);
        const char *why;
        if (!pr) continue;
        pr->room = r;
        pr->due = 1;
        snprintf(pr->id, sizeof pr->id, "%s", k->str);
        if (poll_store_read(v->str, v->len, &pr->p, &why) != POLL_OK) {
            lwsl_err("workshop %s: poll %.32s record unreadable: %s\n", r->id, k->str, why);
            free(pr);
            hub_room_load_failed(r, PROTO_EINTERNAL, HUB_DAMAGED);
            return;
        }
        if (!read_ballots(r, pr)) {
            poll_free(pr->p);
            free(pr);
        }
    }
}

bool hub_poll_load(hub_room *r) { return hub_room_cmd(r, polls_read, r, "HGETALL %s", r->k_polls); }

void hub_poll_room_free(hub_room *r) {
    hub_poll_sync_free(r);
    if (r->results_timer) lws_sul_cancel(&r->sul_results);
    for (size_t i = 0; i < r->nresults_due; i++) free(r->results_due[i]);
    free(r->results_due);
    poll_list_free(&r->polls);
    free(r->k_polls);
}
