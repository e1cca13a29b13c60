/* The priorities board (protocol/board.md). A request is checked by the core
 * (core/board.h) against the room's board, then atelier_board writes it and
 * its event atomically, merging it with what other processes wrote (the last
 * writer wins per field). Only then is the board read back whole
 * (atelier_board_read) and every session here told the board as it may see
 * it (other organisations' items only once the board is open), the
 * requester's copy carrying its request id. Other processes hear
 * "ID board ORIGIN" and read it back the same way, so every process shows
 * what Redis has. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vec.h"
#include "hub/hub_internal.h"

/* What a person (index in r->w->people) may see and do on the board. */
static board_viewer viewer_of(const hub_room *r, int who) {
    const wk_participant *p = &r->w->people[who];
    bool fac = p->role == WK_FACILITATOR;
    return (board_viewer){
        .org = p->role == WK_OBSERVER ? NULL : p->org, /* observers see what everyone sees (protocol/board.md) */
        .all = fac,
        .may_group = fac || (p->role == WK_REPRESENTATIVE && r->board.settings.reps_group),
    };
}

void hub_board_write_welcome(const hub_room *r, int who, sbuf *b) {
    board_viewer v = viewer_of(r, who);
    sbuf_puts(b, ",\"board\":");
    board_write(b, &r->board, &v);
}

/* A change stored, whose requester waits for the board with its request id. */
struct hub_board_waiter {
    uint64_t conn;                      /* the requester */
    proto_type type;                    /* its request */
    char idjson[PROTO_IDJSON_MAX + 1];  /* its request id */
};

/* One read back in flight, and the requesters it answers (taken from the room's). */
typedef struct board_read {
    hub_room *room;
    hub_board_waiter *waiters;          /* owned; freed with the read */
    size_t nwaiters;
} board_read;

static bool waiting(const board_read *rd, uint64_t conn) {
    for (size_t i = 0; i < rd->nwaiters; i++)
        if (rd->waiters[i].conn == conn) return true;
    return false;
}

/* Everyone here hears the board as they may see it: one message each, and
 * each requester its own copy with its request id (one per request). */
static void tell(hub_room *r, const board_read *rd) {
    hub *h = r->hub;
    for (size_t i = 0; i < r->nsess; i++) {
        const hub_session *s = r->sessions[i];
        board_viewer v = viewer_of(r, s->participant);
        if (!waiting(rd, s->conn)) {
            board_write_message(&h->scratch, &r->board, &v, NULL);
            net_send_sbuf(h->net, s->conn, &h->scratch);
            continue;
        }
        for (size_t k = 0; k < rd->nwaiters; k++) {
            if (rd->waiters[k].conn != s->conn) continue;
            board_write_message(&h->scratch, &r->board, &v, rd->waiters[k].idjson);
            net_send_sbuf(h->net, s->conn, &h->scratch);
        }
    }
}

static void refuse_waiters(hub_room *r, const hub_board_waiter *w, size_t n) {
    for (size_t i = 0; i < n; i++)
        hub_send_error(r->hub, w[i].conn, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE_CHANGE, w[i].type, w[i].idjson);
}

/* ---- Reading it back ----
 *
 * At most one read back is in flight per room: changes announced meanwhile
 * (a burst of additions from every organisation) are read by one more read
 * once it is answered, which answers every requester waiting by then. Each
 * read is sent after the changes it must show were stored, so the board
 * told is never older than a requester's change. */

/* A reply of atelier_board_read into b; false when it is not one or a record is damaged. */
static bool read_reply(const hub_room *r, const redisReply *reply, board *b) {
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 || reply->element[1]->type != REDIS_REPLY_ARRAY ||
        reply->element[2]->type != REDIS_REPLY_ARRAY)
        return false;
    const redisReply *items = reply->element[1], *groups = reply->element[2];
    const char **kv = calloc(items->elements + groups->elements + 1, sizeof *kv);
    if (!kv) return false;
    for (size_t i = 0; i < items->elements; i++) kv[i] = items->element[i]->type == REDIS_REPLY_STRING ? items->element[i]->str : NULL;
    for (size_t i = 0; i < groups->elements; i++)
        kv[items->elements + i] = groups->element[i]->type == REDIS_REPLY_STRING ? groups->element[i]->str : NULL;
    bool ok = board_read_stored(b, kv, items->elements, kv + items->elements, groups->elements, hub_reply_text(reply, 0));
    free(kv);
    if (!ok) lwsl_err("workshop %s: the stored board is damaged\n", r->id);
    return ok;
}

static void start_read(hub_room *r);

static void reread_done(redisReply *reply, void *priv) {
    board_read *rd = priv;
    hub_room *r = rd->room;
    board b;
    board_init(&b);
    r->board_reading = false;
    if (r->state == ROOM_READY && read_reply(r, reply, &b)) {
        board_free(&r->board);
        r->board = b; /* the room owns b's items now */
        tell(r, rd);
    } else {
        board_free(&b);
        refuse_waiters(r, rd->waiters, rd->nwaiters);
    }
    free(rd->waiters);
    free(rd);
    if (r->board_again && r->state == ROOM_READY) start_read(r);
    hub_room_unref(r);
}

static bool read_cmd(hub_room *r, store_reply_fn fn, void *priv) {
    return hub_room_cmd(r, fn, priv, "FCALL atelier_board_read 3 %s %s %s", r->k_meta, r->k_board, r->k_groups);
}

/* A read for every change and requester waiting: they go with it. */
static void start_read(hub_room *r) {
    board_read *rd = calloc(1, sizeof *rd);
    r->board_again = false;
    if (rd) {
        rd->room = r;
        rd->waiters = r->board_waiters;
        rd->nwaiters = r->nboard_waiters;
        if (read_cmd(r, reread_done, rd)) {
            r->board_waiters = NULL;
            r->nboard_waiters = r->board_waiters_cap = 0;
            r->board_reading = true;
            return;
        }
        free(rd);
    }
    /* Not sent: each requester hears unavailable (its change is stored; the next board shows it). */
    refuse_waiters(r, r->board_waiters, r->nboard_waiters);
    r->nboard_waiters = 0;
}

/* Read the board back, then tell everyone (conn, when not 0: its own copy with its request id). */
static void reread(hub_room *r, uint64_t conn, proto_type type, const char *idjson) {
    if (conn) {
        if (!vec_reserve((void **)&r->board_waiters, &r->board_waiters_cap, r->nboard_waiters, sizeof *r->board_waiters)) {
            hub_send_error(r->hub, conn, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE_CHANGE, type, idjson);
            return;
        }
        hub_board_waiter *w = &r->board_waiters[r->nboard_waiters++];
        w->conn = conn;
        w->type = type;
        snprintf(w->idjson, sizeof w->idjson, "%s", idjson ? idjson : "");
    }
    if (r->board_reading) r->board_again = true; /* read again once this one is answered */
    else start_read(r);
}

void hub_board_room_free(hub_room *r) {
    free(r->board_waiters);
    board_free(&r->board);
}

void hub_board_reread(hub_room *r) { reread(r, 0, PROTO_NONE, NULL); }

void hub_board_notified(hub_room *r, const char *origin) {
    if (strcmp(origin, r->hub->origin) != 0) hub_board_reread(r); /* ours: read back after the write already */
}

static void loaded(redisReply *reply, void *priv) {
    hub_room *r = priv;
    if (!hub_load_step_ok(r, reply)) {
        /* told already */
    } else if (!read_reply(r, reply, &r->board)) {
        hub_room_load_failed(r, PROTO_EINTERNAL, HUB_DAMAGED);
    }
    hub_room_unref(r);
}

bool hub_board_load(hub_room *r) { return read_cmd(r, loaded, r); }

/* ---- Writes ---- */

typedef struct board_pending {
    hub_room *room;
    uint64_t conn;                      /* who asked */
    proto_type type;                    /* the request */
    char idjson[PROTO_IDJSON_MAX + 1];  /* its id */
} board_pending;

static void written(redisReply *reply, void *priv) {
    board_pending *bw = priv;
    hub_room *r = bw->room;
    hub *h = r->hub;
    int64_t at;
    if (reply && reply->type == REDIS_REPLY_STRING && hist_valid_id(reply->str, &at)) {
        reread(r, bw->conn, bw->type, bw->idjson);
    } else if (!reply) {
        hub_send_error(h, bw->conn, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE_CHANGE, bw->type, bw->idjson);
    } else if (reply->type == REDIS_REPLY_INTEGER) {
        /* Another process changed the board meanwhile: the refusal says how. */
        static const struct { long long code; proto_err e; const char *why; } refusals[] = {
            {0, PROTO_ENOT_FOUND, "this workshop no longer exists"},
            {-1, PROTO_ENOT_FOUND, "no item or group with this id on the board"},
            {-2, PROTO_EBAD_REQUEST, "nothing to change: the items are grouped so already, or the item is in no group"},
            {-3, PROTO_ETOO_LARGE, "an organisation has at most 30 items on the board"},
            {-4, PROTO_ETOO_LARGE, "the board holds at most 200 items"},
            {-5, PROTO_EINTERNAL, "the item's id was taken; send it again"},
        };
        size_t i = 0;
        while (i + 1 < sizeof refusals / sizeof *refusals && refusals[i].code != reply->integer) i++;
        hub_send_error(h, bw->conn, refusals[i].e, refusals[i].why, bw->type, bw->idjson);
        hub_board_reread(r); /* this process's board was behind */
    } else {
        lwsl_err("workshop %s: board change failed: %s\n", r->id, reply->type == REDIS_REPLY_ERROR ? reply->str : "?");
        hub_send_error(h, bw->conn, PROTO_EINTERNAL, "the change could not be stored", bw->type, bw->idjson);
    }
    free(bw);
    hub_room_unref(r);
}

/* The event's data: the item's fields the change sets, or the settings. */
static void write_data(sbuf *d, const board *b, const board_request *q, const char *id, const char *org) {
    sbuf_putc(d, '{');
    if (q->type == PROTO_BOARD_SETTINGS) {
        sbuf_puts(d, "\"settings\":");
        board_write_settings(d, &q->settings);
    } else if (q->type == PROTO_BOARD_GROUP) {
        sbuf_puts(d, "\"items\":[");
        for (size_t i = 0; i < q->nitems; i++) {
            if (i) sbuf_putc(d, ',');
            sbuf_put_jstrz(d, q->items[i]);
        }
        sbuf_putc(d, ']');
    } else if (q->type != PROTO_BOARD_UNGROUP) {
        sbuf_puts(d, "\"item\":");
        sbuf_put_jstrz(d, id);
        sbuf_puts(d, ",\"org\":");
        sbuf_put_jstrz(d, org);
        if (q->type == PROTO_BOARD_ADD) {
            sbuf_puts(d, ",\"kind\":");
            sbuf_put_jstrz(d, board_kind_name(q->kind));
        }
        int i = board_find(b, id);
        const char *title = q->title ? q->title : q->type == PROTO_BOARD_DELETE && i >= 0 ? b->items[i].title : NULL;
        if (title) {
            sbuf_puts(d, ",\"title\":");
            sbuf_put_jstrz(d, title);
        }
        if (q->why || q->type == PROTO_BOARD_ADD) {
            sbuf_puts(d, ",\"why\":");
            sbuf_put_jstrz(d, q->why ? q->why : "");
        }
    }
    sbuf_putc(d, '}');
}

#define BOARD_ARGV_MAX (16 + BOARD_ITEMS_MAX)

/* FCALL atelier_board for the checked request q; false when it could not go. */
static bool send_write(hub_room *r, board_pending *bw, const board_request *q, const wk_participant *me) {
    const board *b = &r->board;
    char id[BOARD_ID_MAX + 1] = "", t[HUB_MS_TEXT], per_org[16], total[16];
    int64_t now = hub_now_ms();
    hub_ms_text(t, now);
    snprintf(per_org, sizeof per_org, "%d", BOARD_ITEMS_PER_ORG);
    snprintf(total, sizeof total, "%d", BOARD_ITEMS_MAX);
    if (q->type == PROTO_BOARD_ADD || q->type == PROTO_BOARD_GROUP) {
        if (!net_random_b64url(id, BOARD_ID_LEN)) return false;
        id[BOARD_ID_LEN] = '\0';
    } else {
        snprintf(id, sizeof id, "%s", q->item);
    }
    int i = board_find(b, q->item);
    const char *org = q->type == PROTO_BOARD_ADD ? me->org : i >= 0 ? b->items[i].org : "";
    sbuf data, rec, settings;
    sbuf_init(&data, 0);
    sbuf_init(&rec, 0);
    sbuf_init(&settings, 0);
    write_data(&data, b, q, id, org);
    board_write_stored_item(&rec, org, q->kind, me->id, now);
    board_write_settings(&settings, &q->settings);
    static const char *const actions[] = {[PROTO_BOARD_ADD - PROTO_BOARD_ADD] = "add",
                                          [PROTO_BOARD_EDIT - PROTO_BOARD_ADD] = "edit",
                                          [PROTO_BOARD_DELETE - PROTO_BOARD_ADD] = "delete",
                                          [PROTO_BOARD_GROUP - PROTO_BOARD_ADD] = "group",
                                          [PROTO_BOARD_UNGROUP - PROTO_BOARD_ADD] = "ungroup",
                                          [PROTO_BOARD_SETTINGS - PROTO_BOARD_ADD] = "settings"};
    const char *argv[BOARD_ARGV_MAX] = {"FCALL", "atelier_board", "5", r->k_meta, r->k_board, r->k_groups,
                                        r->k_events, r->k_marks, actions[q->type - PROTO_BOARD_ADD], t, me->id,
                                        me->name, r->hub->origin, sbuf_data(&data)};
    int n = 14;
    switch (q->type) {
    case PROTO_BOARD_ADD: {
        const char *more[] = {id, sbuf_data(&rec), org, q->title, q->why ? q->why : "", per_org, total};
        for (size_t k = 0; k < 7; k++) argv[n++] = more[k];
        break;
    }
    case PROTO_BOARD_EDIT: {
        const char *more[] = {id, q->title ? q->title : "", q->title ? "1" : "0", q->why ? q->why : "", q->why ? "1" : "0"};
        for (size_t k = 0; k < 5; k++) argv[n++] = more[k];
        break;
    }
    case PROTO_BOARD_DELETE: argv[n++] = id; break;
    case PROTO_BOARD_GROUP:
        argv[n++] = id; /* the new group's, if none of the items is in one */
        for (size_t k = 0; k < q->nitems; k++) argv[n++] = q->items[k];
        break;
    case PROTO_BOARD_UNGROUP:
        argv[n++] = q->group[0] ? "group" : "item";
        argv[n++] = q->group[0] ? q->group : q->item;
        break;
    default: argv[n++] = sbuf_data(&settings); break;
    }
    size_t lens[BOARD_ARGV_MAX];
    for (int k = 0; k < n; k++) lens[k] = argv[k] ? strlen(argv[k]) : 0;
    bool ok = sbuf_ok(&data) && sbuf_ok(&rec) && sbuf_ok(&settings) && hub_room_write_argv(r, written, bw, n, argv, lens);
    sbuf_free(&data);
    sbuf_free(&rec);
    sbuf_free(&settings);
    return ok;
}

void hub_board_message(hub *h, hub_session *s, proto_msg *msg) {
    hub_room *r = s->room;
    const wk_participant *me = &r->w->people[s->participant]; /* not an observer: core/rights.c */
    board_request q; /* checked before anything is allocated for it */
    board_pending *bw = NULL;
    const char *why = "";
    proto_err e = PROTO_OK;
    if (!h->store || !store_up(h->store)) e = PROTO_EUNAVAILABLE, why = HUB_UNAVAILABLE_CHANGE;
    else if (r->w->ended && (msg->type == PROTO_BOARD_ADD || msg->type == PROTO_BOARD_EDIT || msg->type == PROTO_BOARD_DELETE))
        e = PROTO_EENDED, why = "the workshop has ended: the organisations' lists are read-only";
    else e = board_check(&r->board, msg->type, msg->u.obj, me->org, me->role == WK_FACILITATOR, &q, &why);
    if (e == PROTO_OK && !(bw = malloc(sizeof *bw))) e = PROTO_EINTERNAL, why = "out of memory";
    if (e == PROTO_OK) {
        *bw = (board_pending){.room = r, .conn = s->conn, .type = msg->type};
        snprintf(bw->idjson, sizeof bw->idjson, "%s", msg->idjson);
        if (!send_write(r, bw, &q, me)) e = PROTO_EUNAVAILABLE, why = HUB_UNAVAILABLE_CHANGE;
        else bw = NULL; /* written() frees it */
    }
    if (e != PROTO_OK) hub_send_error(h, s->conn, e, why, msg->type, msg->idjson);
    free(bw);
}
