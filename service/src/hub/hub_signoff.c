/* hub_signoff.c -- the sign-off of the statement (protocol/agreement.md,
 * "Sign-off"). A facilitator calls and closes one; while it is open, an
 * organisation's representative endorses the text of a revision, named by
 * its SHA-256 (checked against the committed text, or against the history's
 * text of an older revision: hub_history_text_at), or declines with a
 * reason. The rules are the core's (core/signoff.h); here a change goes to
 * atelier_signoff, atomic with the workshop's existence and with the call's
 * state (another process may have closed it meanwhile), which answers with
 * the whole state after it: only then is everyone here told (`signoff`).
 * The other processes hear "ID signoff ORIGIN" and read the state back. The
 * sign-off goes on after the workshop's end: partners sign the locked text.
 *
 * An endorsement carries who is present (live state, this process's
 * knowledge of every process) and the current text's hash: the Function
 * decides the agreement with every process's decisions, atomically. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/digest.h"
#include "hub/hub_internal.h"

void hub_signoff_write_welcome(const hub_room *r, sbuf *b) {
    sbuf_puts(b, ",\"signoff\":");
    signoff_write(b, &r->signoff);
}

/* Everyone here hears the state; the requester's copy (conn, when not 0)
 * carries its request id. */
static void write_signoff(sbuf *b, const void *state, const char *idjson) { signoff_write_message(b, state, idjson); }

static void tell(hub_room *r, uint64_t conn, const char *idjson) {
    hub_tell(r, write_signoff, &r->signoff, NULL, NULL, conn, idjson);
}

/* ---- Reading the state from Redis: loading, and announcements ---- */

static const char *text_of_reply(const redisReply *e) { return e->type == REDIS_REPLY_STRING ? e->str : ""; }

/* The state as atelier_signoff_read gives it, from element `first` of
 * reply on ({call, agreed, [org, decision, …]}), into out (initialised
 * here; the caller frees it). False when the reply is not one, or a
 * stored call, agreement or decision does not read (damage), or out of memory. */
static bool state_from_reply(const redisReply *reply, size_t first, signoff *out) {
    signoff_init(out);
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != first + 3 ||
        reply->element[first + 2]->type != REDIS_REPLY_ARRAY)
        return false;
    bool open, damaged = false;
    int64_t called_at;
    const char *call = text_of_reply(reply->element[first]), *agreed = text_of_reply(reply->element[first + 1]);
    if (signoff_read_call(call, &open, &called_at)) {
        out->open = open;
        out->called_at = called_at;
    } else {
        damaged = call[0] != '\0';
    }
    signoff_agreement a;
    if (signoff_read_agreement(agreed, &a)) signoff_set_agreed(out, &a);
    else damaged = damaged || agreed[0] != '\0';
    const redisReply *decisions = reply->element[first + 2];
    for (size_t i = 0; i + 1 < decisions->elements; i += 2) {
        signoff_decision d;
        if (decisions->element[i + 1]->type != REDIS_REPLY_STRING ||
            !signoff_read_decision(decisions->element[i + 1]->str, &d)) {
            damaged = true;
            continue;
        }
        if (!signoff_put(out, &d)) {
            signoff_decision_free(&d);
            out->oom = true;
        }
    }
    return !out->oom && !damaged;
}

/* The room's state is now s, which is left empty (the room owns what it held). */
static void take_state(hub_room *r, signoff *s) {
    signoff_free(&r->signoff);
    r->signoff = *s;
    signoff_init(s);
}

static void loaded(redisReply *reply, void *priv) {
    hub_room *r = priv;
    signoff s;
    bool ok = state_from_reply(reply, 0, &s);
    if (r->state == ROOM_LOADING && ok) take_state(r, &s);
    else signoff_free(&s);
    if (r->state == ROOM_LOADING && !ok) {
        bool answered = reply && reply->type == REDIS_REPLY_ARRAY; /* else Redis is away or refused */
        if (reply && reply->type == REDIS_REPLY_ERROR) lwsl_err("loading workshop %s's sign-off: %s\n", r->id, reply->str);
        if (answered) lwsl_err("workshop %s: the stored sign-off is damaged\n", r->id);
        if (answered) hub_room_load_failed(r, PROTO_EINTERNAL, HUB_DAMAGED);
        else hub_room_load_failed(r, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE);
    }
    hub_room_unref(r);
}

static bool read_state(hub_room *r, store_reply_fn fn) {
    return hub_room_cmd(r, fn, r, "FCALL atelier_signoff_read 2 %s %s", r->k_meta, r->k_signoff);
}

bool hub_signoff_load(hub_room *r) { return read_state(r, loaded); }

static void reread(redisReply *reply, void *priv) {
    hub_room *r = priv;
    signoff s;
    if (r->state == ROOM_READY && state_from_reply(reply, 0, &s)) {
        take_state(r, &s);
        tell(r, 0, NULL);
    } else if (r->state == ROOM_READY) {
        signoff_free(&s);
    }
    hub_room_unref(r);
}

void hub_signoff_reread(hub_room *r) { read_state(r, reread); }

void hub_signoff_notified(hub_room *r, const char *origin) {
    if (strcmp(origin, r->hub->origin) != 0) hub_signoff_reread(r); /* ours: told already */
}

/* ---- Changes ---- */

/* One change on its way to Redis, owned by its chain of callbacks (the
 * history read, then the store's reply); change_end frees it. */
typedef struct signoff_change {
    hub_room *room;             /* a reference held until change_end */
    uint64_t conn;              /* who asked */
    proto_type type;
    char idjson[PROTO_IDJSON_MAX + 1];
    char by[WK_PID_LEN + 1];
    char *name;                 /* theirs, for the history */
    signoff_decision decision;  /* endorse, decline: what is stored (its `at`: the event's) */
    sbuf present;               /* endorse: the organisations present, a JSON array */
    char current_sha256[DIGEST_SHA256_HEX + 1]; /* endorse: the committed text's hash ... */
    int64_t current_rev;        /* ... and revision */
} signoff_change;

static void change_end(signoff_change *c) {
    hub_room *r = c->room;
    free(c->name);
    signoff_decision_free(&c->decision);
    sbuf_free(&c->present);
    free(c);
    hub_room_unref(r);
}

static void refuse(signoff_change *c, proto_err e, const char *why) {
    hub_send_error(c->room->hub, c->conn, e, why, c->type, c->idjson);
    change_end(c);
}

/* The SHA-256 of the committed text (what a joiner gets at w->rev). */
static bool committed_sha256(const workshop *w, char out[DIGEST_SHA256_HEX + 1]) {
    const ot_text *t = wk_committed_text(w);
    return digest_sha256_hex(t->buf ? t->buf : "", t->len, out);
}

static void stored(redisReply *reply, void *priv);

static const char *action_of(proto_type type) {
    switch (type) {
    case PROTO_SIGNOFF_CALL: return "call";
    case PROTO_SIGNOFF_CLOSE: return "close";
    case PROTO_ENDORSE: return "endorsed";
    default: return "declined";
    }
}

static const char *text_of(const sbuf *b) { return sbuf_data(b) ? sbuf_data(b) : ""; }

/* FCALL atelier_signoff; false (nothing sent) when it could not go. */
static bool send_change(signoff_change *c) {
    hub_room *r = c->room;
    char t[HUB_MS_TEXT], rev[HUB_MS_TEXT], current_rev[HUB_MS_TEXT];
    hub_ms_text(t, hub_now_ms());
    hub_ms_text(rev, c->decision.rev);
    hub_ms_text(current_rev, c->current_rev);
    sbuf decision;
    sbuf_init(&decision, 0);
    bool deciding = c->type == PROTO_ENDORSE || c->type == PROTO_DECLINE;
    if (deciding) signoff_write_decision(&decision, &c->decision, false);
    const char *argv[] = {"FCALL", "atelier_signoff", "4", r->k_meta, r->k_signoff, r->k_events, r->k_marks,
                          action_of(c->type), t, c->by, c->name, r->hub->origin,
                          c->decision.org ? c->decision.org : "", text_of(&decision), rev, c->decision.sha256,
                          c->decision.reason ? c->decision.reason : "", text_of(&c->present), c->current_sha256,
                          current_rev};
    enum { ARGC = sizeof argv / sizeof *argv };
    size_t lens[ARGC];
    for (size_t i = 0; i < ARGC; i++) lens[i] = strlen(argv[i]);
    bool ok = sbuf_ok(&decision) && hub_room_write_argv(r, stored, c, deciding ? ARGC : 12, argv, lens);
    sbuf_free(&decision);
    return ok;
}

static void stored(redisReply *reply, void *priv) {
    signoff_change *c = priv;
    hub_room *r = c->room;
    hub *h = r->hub;
    signoff now;
    signoff_init(&now);
    bool done = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 4 &&
                reply->element[0]->type == REDIS_REPLY_STRING && hist_valid_id(reply->element[0]->str, NULL);
    if (!reply) {
        hub_send_error(h, c->conn, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE_CHANGE, c->type, c->idjson);
    } else if (done && state_from_reply(reply, 1, &now)) {
        if (r->state == ROOM_READY) { /* the state after the change, with every process's */
            take_state(r, &now);
            tell(r, c->conn, c->idjson);
        }
    } else if (done) { /* stored, but not read back here */
        hub_send_error(h, c->conn, PROTO_EINTERNAL, "out of memory", c->type, c->idjson);
        if (r->state == ROOM_READY) hub_signoff_reread(r);
    } else if (reply->type == REDIS_REPLY_INTEGER && reply->integer == 0) {
        hub_send_error(h, c->conn, PROTO_ENOT_FOUND, "this workshop no longer exists", c->type, c->idjson);
    } else if (reply->type == REDIS_REPLY_INTEGER && reply->integer == -1) {
        /* Another process called or closed meanwhile: say so, and catch up. */
        const char *why = c->type == PROTO_SIGNOFF_CALL ? "a sign-off is open already" : "no sign-off is open";
        hub_send_error(h, c->conn, PROTO_EBAD_REQUEST, why, c->type, c->idjson);
        if (r->state == ROOM_READY) hub_signoff_reread(r);
    } else {
        lwsl_err("workshop %s: sign-off change failed: %s\n", r->id, reply->type == REDIS_REPLY_ERROR ? reply->str : "?");
        hub_send_error(h, c->conn, PROTO_EINTERNAL, "the change could not be stored", c->type, c->idjson);
    }
    signoff_free(&now);
    change_end(c);
    hub_room_unref(r); /* the command's */
}

static void store_change(signoff_change *c) {
    if (!send_change(c)) refuse(c, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE_CHANGE);
}

/* An endorsement whose text is checked (sha256: the text's at its
 * revision): stored, with the agreement it completes, if any. */
static void endorse_checked(signoff_change *c, const char *sha256) {
    hub_room *r = c->room;
    if (r->state != ROOM_READY) {
        refuse(c, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE_CHANGE);
        return;
    }
    if (strcmp(sha256, c->decision.sha256) != 0) {
        refuse(c, PROTO_EBAD_REQUEST, "this is not the SHA-256 of that revision's text (its UTF-8 bytes)");
        return;
    }
    const char *why = signoff_decision_refusal(&r->signoff); /* it may have closed during the read */
    if (why) {
        refuse(c, PROTO_EBAD_REQUEST, why);
        return;
    }
    c->current_rev = r->w->rev;
    if (!committed_sha256(r->w, c->current_sha256) || !signoff_write_present(&c->present, r->w) || !sbuf_ok(&c->present))
        refuse(c, PROTO_EINTERNAL, "out of memory");
    else store_change(c);
}

/* hub_text_fn: the text of an older (or newer) revision, from the history. */
static void text_read(void *ud, proto_err e, const char *why, const char *text, size_t len) {
    signoff_change *c = ud;
    char sha[DIGEST_SHA256_HEX + 1];
    if (!text) refuse(c, e, why);
    else if (!digest_sha256_hex(text, len, sha)) refuse(c, PROTO_EINTERNAL, "out of memory");
    else endorse_checked(c, sha);
}

static void endorse(signoff_change *c, const proto_endorse *e) {
    workshop *w = c->room->w;
    c->decision.kind = SIGNOFF_ENDORSED;
    c->decision.rev = e->rev;
    memcpy(c->decision.sha256, e->sha256, sizeof c->decision.sha256);
    char sha[DIGEST_SHA256_HEX + 1];
    if (e->rev != w->rev) hub_history_text_at(c->room->hub, c->room->id, e->rev, text_read, c);
    else if (!committed_sha256(w, sha)) refuse(c, PROTO_EINTERNAL, "out of memory");
    else endorse_checked(c, sha);
}

/* A decline names the committed text, at the workshop's revision. */
static void decline(signoff_change *c, const char *reason) {
    workshop *w = c->room->w;
    c->decision.kind = SIGNOFF_DECLINED;
    c->decision.rev = w->rev;
    if (!(c->decision.reason = strdup(reason)) || !committed_sha256(w, c->decision.sha256)) {
        refuse(c, PROTO_EINTERNAL, "out of memory");
        return;
    }
    store_change(c);
}

/* What the requester may not do now, or NULL. Who may send these at all is
 * the rights table's (core/rights.c), checked before this runs. */
static const char *refusal(const hub_room *r, proto_type type, proto_err *e) {
    bool calling = type == PROTO_SIGNOFF_CALL, facilitating = calling || type == PROTO_SIGNOFF_CLOSE;
    if (!r->hub->store || !store_up(r->hub->store)) return *e = PROTO_EUNAVAILABLE, HUB_UNAVAILABLE_CHANGE;
    const char *why = facilitating ? signoff_call_refusal(&r->signoff, calling) : signoff_decision_refusal(&r->signoff);
    if (why) *e = PROTO_EBAD_REQUEST;
    return why;
}

void hub_signoff_message(hub *h, hub_session *s, proto_msg *msg) {
    hub_room *r = s->room;
    const wk_participant *me = &r->w->people[s->participant];
    proto_err e = PROTO_OK;
    const char *why = refusal(r, msg->type, &e);
    signoff_change *c = why ? NULL : calloc(1, sizeof *c);
    bool deciding = msg->type == PROTO_ENDORSE || msg->type == PROTO_DECLINE;
    if (!why && (!c || !(c->name = strdup(me->name)) || (deciding && !(c->decision.org = strdup(me->org))) ||
                 (deciding && !(c->decision.by = strdup(me->id))) || (deciding && !(c->decision.name = strdup(me->name)))))
        e = PROTO_EINTERNAL, why = "out of memory";
    if (why) {
        if (c) {
            free(c->name);
            signoff_decision_free(&c->decision);
            free(c);
        }
        hub_send_error(h, s->conn, e, why, msg->type, msg->idjson);
        return;
    }
    c->room = r;
    hub_room_ref(r); /* the change's, until change_end */
    c->conn = s->conn;
    c->type = msg->type;
    snprintf(c->idjson, sizeof c->idjson, "%s", msg->idjson);
    snprintf(c->by, sizeof c->by, "%s", me->id);
    if (msg->type == PROTO_ENDORSE) endorse(c, &msg->u.endorse);
    else if (msg->type == PROTO_DECLINE) decline(c, msg->u.reason);
    else store_change(c);
}
