/* The contribution balance, for facilitators only (protocol/agreement.md,
 * "Contribution balance"). Every process adds what it commits to the counts
 * in Redis (atelier_append: code points per organisation and batch;
 * atelier_ballot: ballots and answers), so the counts are read back from
 * there: at load, and within a second of a change here or announced by
 * another process, at most once a second. Who is present is this room's own
 * view (connections here and through other processes). Facilitators get the
 * balance in their welcome and whenever it is read back; nobody else ever
 * gets it. */
#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>

#include "hub/hub_internal.h"

#define BALANCE_EVERY_US 1000000 /* facilitators hear it at most this often */
#define BALANCE_SOON_US 20000    /* a change waits this long for others to come with it */

/* The stored hash (HGETALL's flat array) into r->balance, with who is present. */
static void take_counts(hub_room *r, const redisReply *reply) {
    balance_table_clear(&r->balance);
    const char *kv[64];
    for (size_t i = 0; i < reply->elements;) {
        size_t n = 0;
        for (; n < 64 && i < reply->elements; n++, i++)
            kv[n] = reply->element[i]->type == REDIS_REPLY_STRING ? reply->element[i]->str : NULL;
        balance_table_read_hash(&r->balance, kv, n);
    }
}

/* Who is present now: participants and representatives (facilitators and
 * observers do not make an organisation present). */
static void count_present(hub_room *r) {
    for (size_t i = 0; i < r->balance.n; i++) r->balance.orgs[i].present = 0;
    const workshop *w = r->w;
    for (size_t i = 0; w && i < w->npeople; i++) {
        const wk_participant *p = &w->people[i];
        if (wk_present(p) && (p->role == WK_PARTICIPANT || p->role == WK_REPRESENTATIVE))
            balance_table_add_present(&r->balance, p->org);
    }
    balance_table_sort(&r->balance);
}

static bool is_facilitator(const hub_room *r, const hub_session *s, const void *arg) {
    (void)arg;
    return hub_poll_is_facilitator(r, s);
}

/* Counted as sessions join and leave (hub_join.c): a join into an assembly
 * with no facilitator does not walk everyone. */
static bool has_facilitator(const hub_room *r) { return r->fac_sessions > 0; }

static void counts_read(redisReply *reply, void *priv) {
    hub_room *r = priv;
    hub *h = r->hub;
    if (r->state == ROOM_READY && reply && reply->type == REDIS_REPLY_ARRAY) {
        take_counts(r, reply);
        count_present(r);
        balance_write_message(&h->scratch, &r->balance);
        hub_send_if(r, &h->scratch, is_facilitator, NULL, 0);
        r->balance_sent_us = hub_now_us();
    }
    hub_room_unref(r);
}

static void timer_cb(lws_sorted_usec_list_t *sul) {
    hub_room *r = lws_container_of(sul, hub_room, sul_balance);
    r->balance_timer = false;
    if (r->state == ROOM_READY && has_facilitator(r))
        hub_room_cmd(r, counts_read, r, "HGETALL %s", r->k_balance);
    hub_room_unref(r); /* the timer's */
}

void hub_balance_due(hub_room *r) {
    if (r->balance_timer || r->hub->stopped || r->state != ROOM_READY || !has_facilitator(r)) return;
    int64_t wait = r->balance_sent_us + BALANCE_EVERY_US - hub_now_us();
    r->balance_timer = true;
    hub_room_ref(r); /* the timer's */
    lws_sul_schedule_wakesuspend(r->hub->ctx, 0, &r->sul_balance, timer_cb, wait > BALANCE_SOON_US ? wait : BALANCE_SOON_US);
}

void hub_balance_stop(hub_room *r) {
    if (!r->balance_timer) return;
    lws_sul_cancel(&r->sul_balance);
    r->balance_timer = false;
    hub_room_unref(r);
}

void hub_balance_write_welcome(hub_room *r, int who, sbuf *b) {
    if (!wk_is_facilitator(&r->w->people[who])) return;
    count_present(r);
    sbuf_puts(b, ",\"balance\":");
    balance_write_state(b, &r->balance);
}

void hub_balance_room_free(hub_room *r) {
    if (r->balance_timer) lws_sul_cancel(&r->sul_balance); /* at shutdown only: the timer holds a reference */
    balance_table_free(&r->balance);
    free(r->k_balance);
}

static void loaded(redisReply *reply, void *priv) {
    hub_room *r = priv;
    if (hub_load_step_ok(r, reply) && reply->type == REDIS_REPLY_ARRAY) take_counts(r, reply);
    hub_room_unref(r);
}

bool hub_balance_load(hub_room *r) { return hub_room_cmd(r, loaded, r, "HGETALL %s", r->k_balance); }
