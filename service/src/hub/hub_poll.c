/* Live polls: facilitator actions, ballots, answers and upvotes, decided by
 * the poll model (core/poll.h), stored by the Redis Functions atelier_poll and
 * atelier_ballot, and only then answered and relayed. Results are relayed at
 * most every RESULTS_EVERY_US per poll, so a burst of ballots is one message.
 *
 * The model changes first (it is the only place that knows what a change
 * means); when the store then refuses, the poll is read back from Redis, so
 * what everyone sees is what was stored. */
#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/poll_fold.h"
#include "hub/hub_internal.h"

#define RESULTS_EVERY_US 250000 /* results relayed at most 4 times a second */

bool hub_poll_is_facilitator(const hub_room *r, const hub_session *s) {
    return wk_is_facilitator(&r->w->people[s->participant]);
}

void hub_send_if(hub_room *r, sbuf *b, hub_audience may, const void *arg, uint64_t except) {
    netmsg *m = netmsg_take(b);
    if (!m) return;
    for (size_t i = 0; i < r->nsess; i++)
        if (r->sessions[i]->conn != except && (!may || may(r, r->sessions[i], arg)))
            net_send(r->hub->net, r->sessions[i]->conn, m);
    netmsg_unref(m);
}

bool hub_poll_may_see(const hub_room *r, const hub_session *s, const void *arg) {
    return poll_visible(arg, hub_poll_is_facilitator(r, s));
}

static bool may_see_results(const hub_room *r, const hub_session *s, const void *arg) {
    return poll_may_see_results(arg, hub_poll_is_facilitator(r, s));
}

static bool is_participant(const hub_room *r, const hub_session *s, const void *arg) {
    (void)r;
    return s->participant == *(const int *)arg;
}

static bool is_facilitator_session(const hub_room *r, const hub_session *s, const void *arg) {
    (void)arg;
    return hub_poll_is_facilitator(r, s);
}

/* Who shares a voter's ballot: the voter, or on an organisations poll every
 * member of the voter's organisation. */
typedef struct ballot_sharers {
    bool organisation;  /* an organisations poll */
    int voter;          /* the participant who voted */
} ballot_sharers;

static bool shares_ballot(const hub_room *r, const hub_session *s, const void *arg) {
    const ballot_sharers *b = arg;
    if (!b->organisation) return s->participant == b->voter;
    return strcmp(wk_org_group(&r->w->people[s->participant]), r->w->people[b->voter].org) == 0;
}

static void send_error(hub *h, uint64_t conn, poll_err e, const char *why, proto_type re, const char *idjson) {
    hub_count_error(h, poll_err_code(e));
    poll_write_error(&h->scratch, e, why, proto_type_name(re), idjson);
    net_send_sbuf(h->net, conn, &h->scratch);
}

/* ---- Results, coalesced ---- */

static void results_flush(hub_room *r) {
    hub *h = r->hub;
    for (size_t i = 0; i < r->nresults_due; i++) {
        poll_t *p = poll_list_find(&r->polls, r->results_due[i]);
        if (p && p->state != POLL_DELETED && p->state != POLL_DRAFT) { /* a draft has no results */
            poll_write_results(&h->scratch, p, poll_threshold(p), NULL);
            hub_send_if(r, &h->scratch, may_see_results, p, 0);
        }
        free(r->results_due[i]);
    }
    r->nresults_due = 0;
}

static void results_timer_cb(lws_sorted_usec_list_t *sul) {
    hub_room *r = lws_container_of(sul, hub_room, sul_results);
    r->results_timer = false;
    results_flush(r);
    hub_room_unref(r);
}

void hub_poll_stop(hub_room *r) {
    if (!r->results_timer) return;
    lws_sul_cancel(&r->sul_results);
    r->results_timer = false;
    hub_room_unref(r);
}

void hub_poll_results_due(hub_room *r, const char *poll_id) {
    for (size_t i = 0; i < r->nresults_due; i++)
        if (strcmp(r->results_due[i], poll_id) == 0) return;
    if (r->nresults_due == r->results_due_cap) {
        size_t cap = r->results_due_cap ? r->results_due_cap * 2 : 4;
        char **v = realloc(r->results_due, cap * sizeof *v);
        if (!v) return;
        r->results_due = v;
        r->results_due_cap = cap;
    }
    char *id = strdup(poll_id);
    if (!id) return;
    r->results_due[r->nresults_due++] = id;
    if (!r->results_timer && !r->hub->stopped) {
        r->results_timer = true;
        hub_room_ref(r); /* the timer's */
        lws_sul_schedule_wakesuspend(r->hub->ctx, 0, &r->sul_results, results_timer_cb, RESULTS_EVERY_US);
    }
}

/* ---- Writes ---- */

typedef enum { W_LIFECYCLE, W_DELETE, W_BALLOT, W_ANSWER, W_RECORD } write_kind; /* W_RECORD: the record alone, no event, nobody told */

/* One store write in flight: what to answer and relay when Redis has it. */
typedef struct poll_write {
    hub_room *room;
    uint64_t conn;                      /* the requester */
    int who;                            /* its participant */
    proto_type type;                    /* the request */
    const char *event;                  /* the history event it makes (a static name) */
    write_kind kind;
    char idjson[PROTO_IDJSON_MAX + 1];  /* the request id */
    char poll_id[POLL_ID_MAX + 1];
    uint32_t answer;                    /* W_ANSWER: the answer to relay */
    char owner[POLL_PID_MAX + 1];       /* whose ballot record changes (a moderated answer's author) */
    bool was_draft;                     /* W_DELETE: only facilitators knew of it */
    bool poll_record;                   /* the poll record changes too (a new answer id) */
    const char *balance;                /* the contribution it counts as: "bal", "ans" or "" (static) */
} poll_write;

char *hub_poll_ballots_key(const hub_room *r, const char *poll_id) {
    char what[sizeof "ballots:" + POLL_ID_MAX], k[HUB_KEY_MAX];
    snprintf(what, sizeof what, "ballots:%s", poll_id);
    return hub_key(k, sizeof k, r->id, what) ? strdup(k) : NULL;
}

/* A person's ballot whose one connection here is the requester's (it gets
 * its own reply below): nobody else to tell, and no need to look through
 * every connection of the workshop for them. In an assembly of 10,000 that
 * walk, once per ballot, would make a poll's ballots cost the square of its
 * audience. */
static bool only_the_requester(hub *h, const poll_write *pw, const ballot_sharers *sharers, const wk_participant *voter) {
    return !sharers->organisation && pw->idjson[0] && voter->online == 1 && net_session(h->net, pw->conn);
}

static void written(redisReply *reply, void *priv) {
    poll_write *pw = priv;
    hub_room *r = pw->room;
    hub *h = r->hub;
    poll_t *p = poll_list_find(&r->polls, pw->poll_id);
    const wk_participant *voter = &r->w->people[pw->who];
    bool ok = reply && reply->type == REDIS_REPLY_INTEGER && reply->integer == 1;
    /* The requester gets its own copy, with its id, below. */
    uint64_t except = pw->idjson[0] ? pw->conn : 0;
    if (!ok) {
        if (reply && reply->type == REDIS_REPLY_ERROR) lwsl_err("workshop %s: poll write failed: %s\n", r->id, reply->str);
        if (pw->conn) /* a step of the server's own (a passage's change) has nobody to tell */
            send_error(h, pw->conn, reply ? POLL_EINTERNAL : (poll_err)PROTO_EUNAVAILABLE,
                       reply ? "the change could not be stored" : HUB_UNAVAILABLE_CHANGE, pw->type, pw->idjson);
        /* The model already changed: read back what Redis has (now, or once it is back). */
        hub_poll_reload(r, pw->poll_id);
    } else if (pw->kind == W_DELETE) {
        poll_t *gone = poll_list_take(&r->polls, pw->poll_id);
        poll_write_deleted(&h->scratch, pw->poll_id, NULL);
        hub_send_if(r, &h->scratch, pw->was_draft ? is_facilitator_session : NULL, NULL, except);
        poll_free(gone);
    } else if (pw->kind == W_RECORD) {
        /* a passage's range kept up to date in Redis: nothing to tell */
    } else if (p && pw->kind == W_LIFECYCLE) {
        poll_write_poll(&h->scratch, p, NULL);
        hub_send_if(r, &h->scratch, hub_poll_may_see, p, except);
        hub_poll_results_due(r, p->id);
    } else if (p) {
        if (pw->type == PROTO_VOTE) h->counted.ballots++;
        if (pw->kind == W_ANSWER) {
            poll_write_answer(&h->scratch, p, pw->answer);
            hub_send_if(r, &h->scratch, hub_poll_may_see, p, 0);
        }
        const ballot_sharers sharers = {p->def.respondents == POLL_ORGANISATIONS, pw->who};
        if (!only_the_requester(h, pw, &sharers, voter)) {
            poll_write_mine(&h->scratch, p, voter->id, voter->org, NULL);
            hub_send_if(r, &h->scratch, shares_ballot, &sharers, except);
        }
        int owner = wk_find_participant(r->w, pw->owner);
        if (owner >= 0 && owner != pw->who) { /* a moderated answer: its author's own view changed */
            poll_write_my_ballot(&h->scratch, p, pw->owner, NULL);
            hub_send_if(r, &h->scratch, is_participant, &owner, 0);
        }
        hub_poll_results_due(r, p->id);
        if (pw->balance[0]) hub_balance_due(r);
    }
    /* The requester's own reply carries its id. */
    if (ok && pw->idjson[0] && net_session(h->net, pw->conn)) {
        if (pw->kind == W_DELETE) poll_write_deleted(&h->scratch, pw->poll_id, pw->idjson);
        else if (!p) {
            hub_count_error(h, poll_err_code(POLL_ENOT_FOUND));
            poll_write_error(&h->scratch, POLL_ENOT_FOUND, "the poll was deleted meanwhile", proto_type_name(pw->type), pw->idjson);
        }
        else if (pw->kind == W_LIFECYCLE) poll_write_poll(&h->scratch, p, pw->idjson);
        else poll_write_mine(&h->scratch, p, voter->id, voter->org, pw->idjson);
        net_send_sbuf(h->net, pw->conn, &h->scratch);
    }
    free(pw);
}

/* written(), as the reply of a store command about the room. A poll read
 * back meanwhile is applied only when it has every write of ours
 * (hub_poll_sync.c): this one is answered first. */
static void written_reply(redisReply *reply, void *priv) {
    poll_write *pw = priv;
    hub_room *r = pw->room;
    hub_poll_sync_answered(r, pw->poll_id); /* first: a failed write reads the poll back */
    written(reply, priv);
    hub_room_unref(r);
}

/* hub_room_write_argv for a poll write, counted while on its way (hub_poll_sync.c). */
static bool send_poll_write(hub_room *r, poll_write *pw, int n, const char **argv, const size_t *lens) {
    if (!hub_room_write_argv(r, written_reply, pw, n, argv, lens)) return false;
    hub_poll_sync_sent(r, pw->poll_id);
    return true;
}

static const char *event_name(proto_type t) {
    switch (t) {
    case PROTO_POLL_CREATE: return "poll_created";
    case PROTO_POLL_EDIT: return "poll_edited";
    case PROTO_POLL_OPEN: return "poll_opened";
    case PROTO_POLL_CLOSE: return "poll_closed";
    case PROTO_POLL_REOPEN: return "poll_reopened";
    case PROTO_POLL_RESULTS: return "poll_results";
    case PROTO_POLL_DELETE: return "poll_deleted";
    case PROTO_VOTE: return "ballot";
    case PROTO_ANSWER: return "answer";
    case PROTO_UPVOTE: return "upvote";
    default: return "poll";
    }
}

static poll_write *write_new(hub_room *r, hub_session *s, proto_msg *msg, write_kind kind, const char *poll_id) {
    poll_write *pw = calloc(1, sizeof *pw);
    if (!pw) return NULL;
    pw->room = r;
    pw->conn = s->conn;
    pw->who = s->participant;
    pw->type = msg->type;
    pw->event = event_name(msg->type);
    pw->kind = kind;
    snprintf(pw->idjson, sizeof pw->idjson, "%s", msg->idjson);
    snprintf(pw->poll_id, sizeof pw->poll_id, "%s", poll_id);
    snprintf(pw->owner, sizeof pw->owner, "%s", r->w->people[s->participant].id);
    return pw;
}

static const char *text_of(const sbuf *b) { return sbuf_data(b) ? sbuf_data(b) : ""; }

/* Store the poll record (or its deletion). Takes pw. */
static void store_poll(hub_room *r, poll_t *p, poll_write *pw, bool deleted) {
    hub *h = r->hub;
    sbuf rec, pub, res;
    sbuf_init(&rec, 0);
    sbuf_init(&pub, 0);
    sbuf_init(&res, 0);
    if (!deleted) poll_store_write(&rec, p);
    poll_fold_write_event(&pub, &res, p, false);
    char *kb = hub_poll_ballots_key(r, p->id);
    char t[HUB_MS_TEXT];
    hub_ms_text(t, hub_now_ms());
    const char *argv[] = {"FCALL", "atelier_poll", "5", r->k_polls, r->k_events, kb ? kb : "", r->k_meta, r->k_marks,
                          p->id, text_of(&rec), pw->event, t, h->origin, text_of(&pub), text_of(&res),
                          deleted && pw->was_draft ? "draft" : ""};
    enum { N = sizeof argv / sizeof argv[0] };
    size_t lens[N];
    for (size_t i = 0; i < N; i++) lens[i] = strlen(argv[i]);
    if (!kb || !sbuf_ok(&rec) || !sbuf_ok(&pub) || !sbuf_ok(&res) || !send_poll_write(r, pw, N, argv, lens))
        written(NULL, pw);
    free(kb);
    sbuf_free(&rec);
    sbuf_free(&pub);
    sbuf_free(&res);
}

/* Store one participant's ballot record (empty when they have nothing left),
 * or on an organisations poll the voter's organisation's record and, for
 * the history, its answer and who gave it. Takes pw. */
static void store_ballot(hub_room *r, poll_t *p, poll_write *pw) {
    hub *h = r->hub;
    int owner = wk_find_participant(r->w, pw->owner);
    const char *org = owner >= 0 ? r->w->people[owner].org : "?";
    bool by_org = p->def.respondents == POLL_ORGANISATIONS;
    const char *field = by_org ? org : pw->owner; /* an organisation's record is filed under its name */
    sbuf rec, prec, pub, res, ans;
    sbuf_init(&rec, 0);
    sbuf_init(&prec, 0);
    sbuf_init(&pub, 0);
    sbuf_init(&res, 0);
    sbuf_init(&ans, 0);
    bool has = poll_store_write_ballot(&rec, p, field);
    if (pw->poll_record) poll_store_write(&prec, p);
    if (by_org) poll_write_org_answer(&ans, p, org);
    /* A ballot keeps no results: they are the fold of the ballots (core/poll_fold.h). */
    poll_fold_write_event(&pub, &res, p, pw->type == PROTO_VOTE);
    char *kb = hub_poll_ballots_key(r, p->id);
    char t[HUB_MS_TEXT];
    hub_ms_text(t, hub_now_ms());
    const char *data = has ? text_of(&rec) : "";
    const char *argv[] = {"FCALL", "atelier_ballot", "6", kb ? kb : "", r->k_events, r->k_polls, r->k_meta, r->k_marks,
                          r->k_balance, field, data, pw->event, p->id, org, data, t, h->origin,
                          pw->poll_record ? text_of(&prec) : "", text_of(&pub), text_of(&res), text_of(&ans),
                          pw->balance};
    enum { N = sizeof argv / sizeof argv[0] };
    size_t lens[N];
    for (size_t i = 0; i < N; i++) lens[i] = strlen(argv[i]);
    if (!kb || !sbuf_ok(&rec) || !sbuf_ok(&prec) || !sbuf_ok(&pub) || !sbuf_ok(&res) || !sbuf_ok(&ans) ||
        !send_poll_write(r, pw, N, argv, lens))
        written(NULL, pw);
    free(kb);
    sbuf_free(&rec);
    sbuf_free(&prec);
    sbuf_free(&pub);
    sbuf_free(&res);
    sbuf_free(&ans);
}

/* ---- Requests ---- */

static const char *get_str(const cJSON *o, const char *k) {
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* What a request changed, for its store write and its relay. */
typedef struct poll_change {
    write_kind kind;                    /* which write */
    uint32_t answer;                    /* W_ANSWER: the answer */
    bool was_draft;                     /* W_DELETE: only facilitators knew of it */
    bool poll_record;                   /* the poll record changes too */
    const char *balance;                /* the contribution it counts as (protocol/agreement.md, "Contribution
                                         * balance"): "bal" a ballot, "ans" a new answer or an upvote, NULL none */
    char owner[POLL_PID_MAX + 1];       /* whose ballot record changes, when not the requester's */
} poll_change;

/* One request on an existing poll: the model decides (and changes p). */
typedef poll_err (*poll_handler)(hub_room *r, const wk_participant *me, bool fac, const cJSON *o, poll_t *p,
                                 poll_change *c, const char **why);

static poll_err on_edit(hub_room *r, const wk_participant *me, bool fac, const cJSON *o, poll_t *p, poll_change *c,
                        const char **why) {
    poll_def def;
    poll_err e = poll_def_from_json(o, &def, why);
    if (e != POLL_OK) return e;
    e = poll_edit(p, fac, &def, why);
    poll_def_free(&def); /* empty when the poll took it */
    return e;
}

static poll_err on_open(hub_room *r, const wk_participant *me, bool fac, const cJSON *o, poll_t *p, poll_change *c,
                        const char **why) {
    return poll_open(p, fac, why);
}

static poll_err on_close(hub_room *r, const wk_participant *me, bool fac, const cJSON *o, poll_t *p, poll_change *c,
                         const char **why) {
    return poll_close(p, fac, why);
}

static poll_err on_reopen(hub_room *r, const wk_participant *me, bool fac, const cJSON *o, poll_t *p, poll_change *c,
                          const char **why) {
    return poll_reopen(p, fac, why);
}

static poll_err on_results(hub_room *r, const wk_participant *me, bool fac, const cJSON *o, poll_t *p,
                           poll_change *c, const char **why) {
    poll_visibility v;
    const char *name = get_str(o, "visibility");
    if (!name || !poll_visibility_from_name(name, &v)) {
        *why = "\"visibility\" must be \"hidden\", \"live\" or \"revealed\"";
        return POLL_EBAD_REQUEST;
    }
    return poll_set_visibility(p, fac, v, why);
}

static poll_err on_delete(hub_room *r, const wk_participant *me, bool fac, const cJSON *o, poll_t *p, poll_change *c,
                          const char **why) {
    c->kind = W_DELETE;
    c->was_draft = p->state == POLL_DRAFT;
    return poll_delete(p, fac, why);
}

/* After an accepted ballot: the first one keeps the passage's text as the
 * one people voted on, in the poll record stored with the ballot. */
static poll_err passage_first_ballot(poll_t *p, poll_change *c) {
    if (p->passage.set && !p->passage.first && poll_passage_first_ballot(p)) c->poll_record = true;
    return POLL_OK;
}

static poll_err on_vote(hub_room *r, const wk_participant *me, bool fac, const cJSON *o, poll_t *p, poll_change *c,
                        const char **why) {
    poll_ballot b;
    c->kind = W_BALLOT;
    c->balance = "bal";
    poll_err e = poll_ballot_from_json(p, cJSON_GetObjectItemCaseSensitive(o, "ballot"), &b, why);
    if (e != POLL_OK) return e;
    if (p->def.respondents != POLL_ORGANISATIONS) {
        e = poll_vote(p, me->id, me->org, &b, why);
        return e == POLL_OK ? passage_first_ballot(p, c) : e;
    }
    const poll_voter_id who = {me->id, me->name, me->org, hub_now_ms(), me->role == WK_REPRESENTATIVE};
    e = poll_vote_org(p, &who, &b, why);
    return e == POLL_OK ? passage_first_ballot(p, c) : e;
}

/* An answer id: a whole number from 1 to 2^32 - 1. */
static bool answer_id(const cJSON *a, uint32_t *id) {
    int64_t v;
    if (!proto_json_int(a, 1, UINT32_MAX, &v)) return false;
    *id = (uint32_t)v;
    return true;
}

/* Without "answer": a new one. With it: an edit, or a deletion (text null). */
static poll_err on_answer(hub_room *r, const wk_participant *me, bool fac, const cJSON *o, poll_t *p, poll_change *c,
                          const char **why) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "answer");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(o, "text");
    c->kind = W_ANSWER;
    if (!a) {
        c->poll_record = true; /* the poll's last answer id moves: ids are never handed out twice */
        c->balance = "ans";
        if (!cJSON_IsString(text)) return *why = "\"text\" must be a string", POLL_EBAD_REQUEST;
        return poll_answer_add(p, me->id, me->org, text->valuestring, &c->answer, why);
    }
    if (!answer_id(a, &c->answer)) return *why = "\"answer\" must be an answer id", POLL_EBAD_REQUEST;
    const char *author = poll_answer_author(p, c->answer);
    if (author) snprintf(c->owner, sizeof c->owner, "%s", author); /* a facilitator may delete anyone's */
    if (cJSON_IsNull(text)) return poll_answer_delete(p, me->id, fac, c->answer, why);
    if (cJSON_IsString(text)) return poll_answer_edit(p, me->id, c->answer, text->valuestring, why);
    *why = "\"text\" must be a string, or null to delete";
    return POLL_EBAD_REQUEST;
}

static poll_err on_upvote(hub_room *r, const wk_participant *me, bool fac, const cJSON *o, poll_t *p,
                          poll_change *c, const char **why) {
    const cJSON *up = cJSON_GetObjectItemCaseSensitive(o, "up");
    uint32_t id;
    c->kind = W_BALLOT;
    if (!answer_id(cJSON_GetObjectItemCaseSensitive(o, "answer"), &id) || (up && !cJSON_IsBool(up))) {
        *why = "upvote needs \"answer\" (an answer id) and optionally \"up\" (true or false)";
        return POLL_EBAD_REQUEST;
    }
    if (!up || cJSON_IsTrue(up)) c->balance = "ans";
    return poll_upvote(p, me->id, me->org, id, !up || cJSON_IsTrue(up), why);
}

/* Who may send each (a facilitator the poll steps, everyone taking part
 * ballots, answers and upvotes) is core/rights.c's, checked before these run. */
static const struct {
    proto_type type;                    /* the request */
    poll_handler fn;                    /* its handler */
} handlers[] = {
    {PROTO_POLL_EDIT, on_edit},       {PROTO_POLL_OPEN, on_open},     {PROTO_POLL_CLOSE, on_close},
    {PROTO_POLL_REOPEN, on_reopen},   {PROTO_POLL_RESULTS, on_results}, {PROTO_POLL_DELETE, on_delete},
    {PROTO_VOTE, on_vote},            {PROTO_ANSWER, on_answer},     {PROTO_UPVOTE, on_upvote},
};

/* How a new poll starts: a draft as today, or with "open": true opened at
 * once; "visibility", when given, is its results visibility either way. */
typedef struct poll_start {
    bool open;
    bool has_visibility;
    poll_visibility visibility;
} poll_start;

static poll_err start_from_json(const cJSON *o, poll_start *st, const char **why) {
    const cJSON *open = cJSON_GetObjectItemCaseSensitive(o, "open");
    const cJSON *vis = cJSON_GetObjectItemCaseSensitive(o, "visibility");
    memset(st, 0, sizeof *st);
    if (open && !cJSON_IsBool(open)) return *why = "\"open\" must be true or false", POLL_EBAD_REQUEST;
    st->open = cJSON_IsTrue(open);
    st->has_visibility = vis != NULL;
    st->visibility = POLL_RESULTS_HIDDEN;
    if (vis && !poll_visibility_from_name(cJSON_GetStringValue(vis), &st->visibility))
        return *why = "\"visibility\" must be \"hidden\", \"live\" or \"revealed\"", POLL_EBAD_REQUEST;
    return POLL_OK;
}

/* A new poll p as st says: opened with its visibility in one step, or a
 * draft with the visibility given. */
static poll_err start_poll(poll_t *p, const poll_start *st, const char **why) {
    if (st->open) return poll_launch(p, true, st->visibility, why);
    return st->has_visibility ? poll_set_visibility(p, true, st->visibility, why) : POLL_OK;
}

static void poll_create_request(hub *h, hub_room *r, hub_session *s, proto_msg *msg, bool fac) {
    char id[POLL_ID_LEN + 1];
    const char *why = "";
    poll_def def;
    poll_start st;
    poll_t *p = NULL;
    poll_err e;
    if ((e = start_from_json(msg->u.obj, &st, &why)) == POLL_OK &&
        (e = poll_def_from_json(msg->u.obj, &def, &why)) == POLL_OK) {
        if (!net_random_b64url(id, POLL_ID_LEN)) {
            poll_def_free(&def);
            e = POLL_EINTERNAL, why = "could not make an id";
        } else if ((e = poll_create(&p, id, fac, &def, hub_now_ms(), &why)) == POLL_OK &&
                   ((e = hub_poll_passage_start(r, p, cJSON_GetObjectItemCaseSensitive(msg->u.obj, "passage"), &why)) != POLL_OK ||
                    (e = start_poll(p, &st, &why)) != POLL_OK || (e = poll_list_add(&r->polls, p, &why)) != POLL_OK)) {
            poll_free(p);
        }
    }
    if (e != POLL_OK) {
        send_error(h, s->conn, e, why, msg->type, msg->idjson);
        return;
    }
    poll_write *pw = write_new(r, s, msg, W_LIFECYCLE, p->id);
    if (!pw) {
        poll_free(poll_list_take(&r->polls, p->id));
        send_error(h, s->conn, POLL_EINTERNAL, "out of memory", msg->type, msg->idjson);
        return;
    }
    /* Created open: one stored step, the opening (the poll's "created" says when it was made). */
    if (st.open) pw->event = "poll_opened";
    store_poll(r, p, pw, false);
}

/* The existing poll a request names, or NULL once the requester was answered. */
static poll_t *requested_poll(hub *h, hub_room *r, hub_session *s, proto_msg *msg, bool fac) {
    const char *pid = get_str(msg->u.obj, "poll");
    poll_t *p = pid && poll_valid_id(pid) ? poll_list_find(&r->polls, pid) : NULL;
    if (!p || !poll_visible(p, fac)) {
        send_error(h, s->conn, pid ? POLL_ENOT_FOUND : POLL_EBAD_REQUEST,
                   pid ? "no poll with this id" : "\"poll\" must be a poll id", msg->type, msg->idjson);
        return NULL;
    }
    return p;
}

/* The model changed: store it, then answer and relay (written). */
static void store_change(hub *h, hub_room *r, hub_session *s, proto_msg *msg, poll_t *p, const poll_change *c) {
    poll_write *pw = write_new(r, s, msg, c->kind, p->id);
    if (!pw) {
        send_error(h, s->conn, POLL_EINTERNAL, "out of memory", msg->type, msg->idjson);
        hub_poll_reload(r, p->id);
        return;
    }
    pw->answer = c->answer;
    pw->was_draft = c->was_draft;
    pw->poll_record = c->poll_record;
    pw->balance = c->balance ? c->balance : "";
    if (c->owner[0]) snprintf(pw->owner, sizeof pw->owner, "%s", c->owner);
    /* An answer lives in its author's ballot record; a facilitator deleting
     * someone else's answer rewrites the poll record (answers_next) and the
     * author's record would keep it: the loader drops answers the poll record
     * no longer has. */
    if (c->kind == W_LIFECYCLE || c->kind == W_DELETE) store_poll(r, p, pw, c->kind == W_DELETE);
    else store_ballot(r, p, pw);
}

void hub_poll_store_step(hub_room *r, poll_t *p, const char *event) {
    poll_write *pw = calloc(1, sizeof *pw);
    if (!pw) return; /* the next step of the poll stores it */
    pw->room = r;
    pw->type = PROTO_POLL_EDIT; /* no requester: only named in a failure, sent to nobody */
    pw->event = event;
    pw->kind = event[0] ? W_LIFECYCLE : W_RECORD;
    snprintf(pw->poll_id, sizeof pw->poll_id, "%s", p->id);
    store_poll(r, p, pw, false);
}

void hub_poll_close_all(hub_room *r, hub_session *s) {
    proto_msg close = {.type = PROTO_POLL_CLOSE}; /* no request id: everyone, the facilitator too, gets the relay */
    for (size_t i = 0; i < r->polls.n; i++) {
        poll_t *p = r->polls.v[i];
        const char *why;
        poll_change c = {.kind = W_LIFECYCLE};
        if (p->state == POLL_OPEN && poll_close(p, true, &why) == POLL_OK) store_change(r->hub, r, s, &close, p, &c);
    }
}

void hub_poll_message(hub *h, hub_session *s, proto_msg *msg) {
    hub_room *r = s->room;
    bool fac = hub_poll_is_facilitator(r, s);
    if (!h->store || !store_up(h->store)) {
        send_error(h, s->conn, (poll_err)PROTO_EUNAVAILABLE, HUB_UNAVAILABLE_CHANGE, msg->type, msg->idjson);
        return;
    }
    if (wk_ended_refuses(r->w, msg)) {
        send_error(h, s->conn, (poll_err)PROTO_EENDED, WK_ENDED_WHY, msg->type, msg->idjson);
        return;
    }
    if (msg->type == PROTO_POLL_CREATE) {
        poll_create_request(h, r, s, msg, fac);
        return;
    }
    size_t i = 0;
    while (i < sizeof handlers / sizeof handlers[0] && handlers[i].type != msg->type) i++;
    if (i == sizeof handlers / sizeof handlers[0]) {
        send_error(h, s->conn, POLL_EBAD_REQUEST, "not a poll message", msg->type, msg->idjson);
        return;
    }
    poll_t *p = requested_poll(h, r, s, msg, fac);
    if (!p) return;
    poll_change c = {.kind = W_LIFECYCLE};
    const char *why = "";
    poll_err e = handlers[i].fn(r, &r->w->people[s->participant], fac, msg->u.obj, p, &c, &why);
    if (e != POLL_OK) send_error(h, s->conn, e, why, msg->type, msg->idjson);
    else store_change(h, r, s, msg, p, &c);
}
