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

#include "hub/hub_internal.h"

#define RESULTS_EVERY_US 250000 /* results relayed at most 4 times a second */
#define UNAVAILABLE "storage is unavailable; nothing was changed, try again shortly"

static bool is_facilitator(const hub_room *r, const hub_session *s) {
    return r->w->people[s->participant].facilitator;
}

void hub_send_if(hub_room *r, sbuf *b, bool (*may)(const hub_room *r, const hub_session *s, const void *arg),
                 const void *arg, uint64_t except) {
    netmsg *m = netmsg_take(b);
    if (!m) return;
    for (size_t i = 0; i < r->nsess; i++)
        if (r->sessions[i]->conn != except && (!may || may(r, r->sessions[i], arg)))
            net_send(r->hub->net, r->sessions[i]->conn, m);
    netmsg_unref(m);
}

static bool may_see_poll(const hub_room *r, const hub_session *s, const void *arg) {
    return poll_visible(arg, is_facilitator(r, s));
}

static bool may_see_results(const hub_room *r, const hub_session *s, const void *arg) {
    return poll_may_see_results(arg, is_facilitator(r, s));
}

static bool is_participant(const hub_room *r, const hub_session *s, const void *arg) {
    (void)r;
    return s->participant == *(const int *)arg;
}

static bool is_facilitator_session(const hub_room *r, const hub_session *s, const void *arg) {
    (void)arg;
    return is_facilitator(r, s);
}

static void send_error(hub *h, uint64_t conn, poll_err e, const char *why, proto_type re, const char *idjson) {
    poll_write_error(&h->scratch, e, why, proto_type_name(re), idjson);
    net_send_sbuf(h->net, conn, &h->scratch);
}

/* ---- Results, coalesced ---- */

static void results_flush(hub_room *r) {
    hub *h = r->hub;
    for (size_t i = 0; i < r->nresults_due; i++) {
        poll_t *p = poll_list_find(&r->polls, r->results_due[i]);
        if (p && p->state != POLL_DELETED && p->state != POLL_DRAFT) { /* a draft has no results */
            poll_write_results(&h->scratch, p, POLL_MIN_GROUP, NULL);
            hub_send_if(r, &h->scratch, may_see_results, p, 0);
        }
        free(r->results_due[i]);
    }
    r->nresults_due = 0;
}

static void results_timer_cb(lws_sorted_usec_list_t *sul) {
    hub_room *r = lws_container_of(sul, hub_room, sul_results);
    r->results_timer = false;
    r->pending--;
    if (r->w) results_flush(r);
    hub_room_maybe_free(r);
}

static void results_due(hub_room *r, const char *poll_id) {
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
    if (!r->results_timer) {
        r->results_timer = true;
        r->pending++; /* the timer refers to the room */
        lws_sul_schedule(r->hub->ctx, 0, &r->sul_results, results_timer_cb, RESULTS_EVERY_US);
    }
}

/* ---- Writes ---- */

typedef enum { W_LIFECYCLE, W_DELETE, W_BALLOT, W_ANSWER } write_kind;

/* One store write in flight: what to answer and relay when Redis has it. */
typedef struct poll_write {
    hub_room *room;
    uint64_t conn;                      /* the requester */
    int who;                            /* its participant */
    proto_type type;                    /* the request */
    write_kind kind;
    char idjson[PROTO_IDJSON_MAX + 1];  /* the request id */
    char poll_id[POLL_ID_MAX + 1];
    uint32_t answer;                    /* W_ANSWER: the answer to relay */
    char owner[POLL_PID_MAX + 1];       /* whose ballot record changes (a moderated answer's author) */
    bool was_draft;                     /* W_DELETE: only facilitators knew of it */
    bool poll_record;                   /* the poll record changes too (a new answer id) */
} poll_write;

static char *ballots_key(const hub_room *r, const char *poll_id) {
    char what[16 + POLL_ID_MAX];
    snprintf(what, sizeof what, "ballots:%s", poll_id);
    size_t n = strlen(r->id) + sizeof what + 16;
    char *k = malloc(n);
    if (k && !hub_key(k, n, r->id, what)) {
        free(k);
        k = NULL;
    }
    return k;
}

static void written(redisReply *reply, void *priv) {
    poll_write *pw = priv;
    hub_room *r = pw->room;
    hub *h = r->hub;
    r->pending--;
    poll_t *p = poll_list_find(&r->polls, pw->poll_id);
    bool ok = reply && reply->type == REDIS_REPLY_INTEGER && reply->integer == 1;
    /* The requester gets its own copy, with its id, below. */
    uint64_t except = pw->idjson[0] ? pw->conn : 0;
    if (!ok) {
        if (reply && reply->type == REDIS_REPLY_ERROR) lwsl_err("workshop %s: poll write failed: %s\n", r->id, reply->str);
        send_error(h, pw->conn, reply ? POLL_EINTERNAL : (poll_err)PROTO_EUNAVAILABLE,
                   reply ? "the change could not be stored" : UNAVAILABLE, pw->type, pw->idjson);
        /* The model already changed: read back what Redis has (now, or once it is back). */
        if (r->w) hub_poll_reload(r, pw->poll_id);
    } else if (pw->kind == W_DELETE) {
        poll_t *gone = poll_list_take(&r->polls, pw->poll_id);
        poll_write_deleted(&h->scratch, pw->poll_id, NULL);
        hub_send_if(r, &h->scratch, pw->was_draft ? is_facilitator_session : NULL, NULL, except);
        poll_free(gone);
    } else if (p && pw->kind == W_LIFECYCLE) {
        poll_write_poll(&h->scratch, p, NULL);
        hub_send_if(r, &h->scratch, may_see_poll, p, except);
        results_due(r, p->id);
    } else if (p) {
        if (pw->kind == W_ANSWER) {
            poll_write_answer(&h->scratch, p, pw->answer);
            hub_send_if(r, &h->scratch, may_see_poll, p, 0);
        }
        poll_write_my_ballot(&h->scratch, p, r->w->people[pw->who].id, NULL);
        hub_send_if(r, &h->scratch, is_participant, &pw->who, except);
        int owner = wk_find_participant(r->w, pw->owner);
        if (owner >= 0 && owner != pw->who) { /* a moderated answer: its author's own view changed */
            poll_write_my_ballot(&h->scratch, p, pw->owner, NULL);
            hub_send_if(r, &h->scratch, is_participant, &owner, 0);
        }
        results_due(r, p->id);
    }
    /* The requester's own reply carries its id. */
    if (ok && pw->idjson[0] && net_session(h->net, pw->conn)) {
        if (pw->kind == W_DELETE) poll_write_deleted(&h->scratch, pw->poll_id, pw->idjson);
        else if (!p) poll_write_error(&h->scratch, POLL_ENOT_FOUND, "the poll was deleted meanwhile", proto_type_name(pw->type), pw->idjson);
        else if (pw->kind == W_LIFECYCLE) poll_write_poll(&h->scratch, p, pw->idjson);
        else poll_write_my_ballot(&h->scratch, p, r->w->people[pw->who].id, pw->idjson);
        net_send_sbuf(h->net, pw->conn, &h->scratch);
    }
    free(pw);
    hub_room_maybe_free(r);
}

static poll_write *write_new(hub_room *r, hub_session *s, proto_msg *msg, write_kind kind, const char *poll_id) {
    poll_write *pw = calloc(1, sizeof *pw);
    if (!pw) return NULL;
    pw->room = r;
    pw->conn = s->conn;
    pw->who = s->participant;
    pw->type = msg->type;
    pw->kind = kind;
    snprintf(pw->idjson, sizeof pw->idjson, "%s", msg->idjson);
    snprintf(pw->poll_id, sizeof pw->poll_id, "%s", poll_id);
    snprintf(pw->owner, sizeof pw->owner, "%s", r->w->people[s->participant].id);
    return pw;
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

/* What the history keeps of a poll step or ballot: the poll as clients see
 * it and its results (anonymity threshold applied; none for drafts and
 * deleted polls). Never a ballot or who cast it. */
static void write_history(const poll_t *p, sbuf *pub, sbuf *res) {
    poll_write_public(pub, p);
    if (p->state == POLL_OPEN || p->state == POLL_CLOSED) poll_write_results(res, p, POLL_MIN_GROUP, NULL);
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
    write_history(p, &pub, &res);
    char *kb = ballots_key(r, p->id);
    char t[24];
    snprintf(t, sizeof t, "%lld", (long long)hub_now_ms());
    const char *argv[] = {"FCALL", "atelier_poll", "5", r->k_polls, r->k_events, kb ? kb : "", r->k_meta, r->k_marks,
                          p->id, text_of(&rec), event_name(pw->type), t, h->origin, text_of(&pub), text_of(&res),
                          deleted && pw->was_draft ? "draft" : ""};
    enum { N = sizeof argv / sizeof argv[0] };
    size_t lens[N];
    for (size_t i = 0; i < N; i++) lens[i] = strlen(argv[i]);
    r->pending++;
    if (!kb || !sbuf_ok(&rec) || !sbuf_ok(&pub) || !sbuf_ok(&res) || !store_cmd_argv(h->store, written, pw, N, argv, lens))
        written(NULL, pw);
    free(kb);
    sbuf_free(&rec);
    sbuf_free(&pub);
    sbuf_free(&res);
}

/* Store one participant's ballot record (empty when they have nothing left). Takes pw. */
static void store_ballot(hub_room *r, poll_t *p, poll_write *pw) {
    hub *h = r->hub;
    int owner = wk_find_participant(r->w, pw->owner);
    const char *org = owner >= 0 ? r->w->people[owner].org : "?";
    sbuf rec, prec, pub, res;
    sbuf_init(&rec, 0);
    sbuf_init(&prec, 0);
    sbuf_init(&pub, 0);
    sbuf_init(&res, 0);
    bool has = poll_store_write_ballot(&rec, p, pw->owner);
    if (pw->poll_record) poll_store_write(&prec, p);
    write_history(p, &pub, &res);
    char *kb = ballots_key(r, p->id);
    char t[24];
    snprintf(t, sizeof t, "%lld", (long long)hub_now_ms());
    const char *data = has ? text_of(&rec) : "";
    const char *argv[] = {"FCALL", "atelier_ballot", "5", kb ? kb : "", r->k_events, r->k_polls, r->k_meta, r->k_marks,
                          pw->owner, data, event_name(pw->type), p->id, org, data, t, h->origin,
                          pw->poll_record ? text_of(&prec) : "", text_of(&pub), text_of(&res)};
    enum { N = sizeof argv / sizeof argv[0] };
    size_t lens[N];
    for (size_t i = 0; i < N; i++) lens[i] = strlen(argv[i]);
    r->pending++;
    if (!kb || !sbuf_ok(&rec) || !sbuf_ok(&prec) || !sbuf_ok(&pub) || !sbuf_ok(&res) ||
        !store_cmd_argv(h->store, written, pw, N, argv, lens))
        written(NULL, pw);
    free(kb);
    sbuf_free(&rec);
    sbuf_free(&prec);
    sbuf_free(&pub);
    sbuf_free(&res);
}

/* ---- Requests ---- */

static const char *get_str(const cJSON *o, const char *k) {
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

void hub_poll_message(hub *h, hub_session *s, proto_msg *msg) {
    hub_room *r = s->room;
    const cJSON *o = msg->u.obj;
    bool fac = is_facilitator(r, s);
    const wk_participant *me = &r->w->people[s->participant];
    const char *why = "";
    poll_err e = POLL_OK;

    if (!h->store || !store_up(h->store)) {
        send_error(h, s->conn, (poll_err)PROTO_EUNAVAILABLE, UNAVAILABLE, msg->type, msg->idjson);
        return;
    }
    if (msg->type == PROTO_POLL_CREATE) {
        char id[12];
        poll_def def;
        poll_t *p = NULL;
        if (!fac) e = POLL_EFORBIDDEN, why = "only a facilitator creates polls";
        else if ((e = poll_def_from_json(o, &def, &why)) == POLL_OK) {
            if (!net_random_b64url(id, 11)) {
                poll_def_free(&def);
                e = POLL_EINTERNAL, why = "could not make an id";
            } else if ((e = poll_create(&p, id, fac, &def, hub_now_ms(), &why)) == POLL_OK &&
                       (e = poll_list_add(&r->polls, p, &why)) != POLL_OK) {
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
        store_poll(r, p, pw, false);
        return;
    }

    const char *pid = get_str(o, "poll");
    poll_t *p = pid && poll_valid_id(pid) ? poll_list_find(&r->polls, pid) : NULL;
    bool facilitator_action = msg->type != PROTO_VOTE && msg->type != PROTO_ANSWER && msg->type != PROTO_UPVOTE;
    if (p && p->state != POLL_DELETED && facilitator_action && !fac) {
        /* Said before anything else, drafts included: the action is not theirs to take. */
        send_error(h, s->conn, POLL_EFORBIDDEN, "only a facilitator runs polls", msg->type, msg->idjson);
        return;
    }
    if (!p || !poll_visible(p, fac)) {
        send_error(h, s->conn, pid ? POLL_ENOT_FOUND : POLL_EBAD_REQUEST,
                   pid ? "no poll with this id" : "\"poll\" must be a poll id", msg->type, msg->idjson);
        return;
    }
    write_kind kind = W_LIFECYCLE;
    uint32_t answer = 0;
    bool was_draft = false, poll_record = false;
    char owner[POLL_PID_MAX + 1] = "";
    switch (msg->type) {
    case PROTO_POLL_EDIT: {
        poll_def def;
        if (!fac) e = POLL_EFORBIDDEN, why = "only a facilitator edits polls";
        else if ((e = poll_def_from_json(o, &def, &why)) == POLL_OK) {
            e = poll_edit(p, fac, &def, &why);
            poll_def_free(&def); /* empty when the poll took it */
        }
        break;
    }
    case PROTO_POLL_OPEN: e = poll_open(p, fac, &why); break;
    case PROTO_POLL_CLOSE: e = poll_close(p, fac, &why); break;
    case PROTO_POLL_REOPEN: e = poll_reopen(p, fac, &why); break;
    case PROTO_POLL_RESULTS: {
        poll_visibility v;
        const char *name = get_str(o, "visibility");
        if (!name || !poll_visibility_from_name(name, &v))
            e = POLL_EBAD_REQUEST, why = "\"visibility\" must be \"hidden\", \"live\" or \"revealed\"";
        else e = poll_set_visibility(p, fac, v, &why);
        break;
    }
    case PROTO_POLL_DELETE:
        kind = W_DELETE;
        was_draft = p->state == POLL_DRAFT;
        e = poll_delete(p, fac, &why);
        break;
    case PROTO_VOTE: {
        poll_ballot b;
        kind = W_BALLOT;
        if ((e = poll_ballot_from_json(p, cJSON_GetObjectItemCaseSensitive(o, "ballot"), &b, &why)) == POLL_OK)
            e = poll_vote(p, me->id, me->org, &b, &why);
        break;
    }
    case PROTO_ANSWER: {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "answer");
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(o, "text");
        kind = W_ANSWER;
        if (a && (!cJSON_IsNumber(a) || a->valuedouble < 1 || a->valuedouble > 4294967295.0 ||
                  a->valuedouble != (double)(uint32_t)a->valuedouble)) {
            e = POLL_EBAD_REQUEST, why = "\"answer\" must be an answer id";
        } else if (!a) {
            if (!cJSON_IsString(text)) e = POLL_EBAD_REQUEST, why = "\"text\" must be a string";
            else e = poll_answer_add(p, me->id, me->org, text->valuestring, &answer, &why);
            poll_record = true; /* the poll's last answer id moved: ids are never handed out twice */
        } else {
            answer = (uint32_t)a->valuedouble;
            const char *author = poll_answer_author(p, answer);
            if (author) snprintf(owner, sizeof owner, "%s", author); /* a facilitator may delete anyone's */
            if (cJSON_IsNull(text)) e = poll_answer_delete(p, me->id, fac, answer, &why);
            else if (cJSON_IsString(text)) e = poll_answer_edit(p, me->id, answer, text->valuestring, &why);
            else e = POLL_EBAD_REQUEST, why = "\"text\" must be a string, or null to delete";
        }
        break;
    }
    case PROTO_UPVOTE: {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "answer");
        const cJSON *up = cJSON_GetObjectItemCaseSensitive(o, "up");
        kind = W_BALLOT;
        if (!cJSON_IsNumber(a) || a->valuedouble < 1 || a->valuedouble > 4294967295.0 ||
            a->valuedouble != (double)(uint32_t)a->valuedouble || (up && !cJSON_IsBool(up)))
            e = POLL_EBAD_REQUEST, why = "upvote needs \"answer\" (an answer id) and optionally \"up\" (true or false)";
        else e = poll_upvote(p, me->id, me->org, (uint32_t)a->valuedouble, !up || cJSON_IsTrue(up), &why);
        break;
    }
    default:
        e = POLL_EBAD_REQUEST, why = "not a poll message";
    }
    if (e != POLL_OK) {
        send_error(h, s->conn, e, why, msg->type, msg->idjson);
        return;
    }
    poll_write *pw = write_new(r, s, msg, kind, p->id);
    if (!pw) {
        send_error(h, s->conn, POLL_EINTERNAL, "out of memory", msg->type, msg->idjson);
        hub_poll_reload(r, p->id);
        return;
    }
    pw->answer = answer;
    pw->was_draft = was_draft;
    pw->poll_record = poll_record;
    if (owner[0]) snprintf(pw->owner, sizeof pw->owner, "%s", owner);
    /* An answer lives in its author's ballot record; a facilitator deleting
     * someone else's answer rewrites the poll record (answers_next) and the
     * author's record would keep it: the loader drops answers the poll record
     * no longer has. */
    if (kind == W_LIFECYCLE || kind == W_DELETE) store_poll(r, p, pw, kind == W_DELETE);
    else store_ballot(r, p, pw);
}

/* ---- Joining ---- */

void hub_poll_write_welcome(hub_room *r, int who, sbuf *b) {
    bool fac = r->w->people[who].facilitator;
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
        if (!poll_visible(p, me->facilitator)) continue;
        sbuf_reset(&h->scratch);
        if (poll_store_write_ballot(&h->scratch, p, me->id)) { /* they took part */
            sbuf_reset(&h->scratch);
            poll_write_my_ballot(&h->scratch, p, me->id, NULL);
            net_send_sbuf(h->net, s->conn, &h->scratch);
        }
        sbuf_reset(&h->scratch);
        if (p->state != POLL_DRAFT && poll_may_see_results(p, me->facilitator)) {
            poll_write_results(&h->scratch, p, POLL_MIN_GROUP, NULL);
            net_send_sbuf(h->net, s->conn, &h->scratch);
        }
    }
}

/* ---- Loading and reloading ---- */

static void read_all(hub_room *r, redisReply *reply);

/* Reading one poll: its record, then its ballots. */
typedef struct poll_read {
    hub_room *room;
    char id[POLL_ID_MAX + 1];
    poll_t *p;          /* being read */
    bool relay;       /* a reload: replace and tell everyone */
} poll_read;

static void relay_poll(hub_room *r, poll_t *p) {
    hub *h = r->hub;
    poll_write_poll(&h->scratch, p, NULL);
    hub_send_if(r, &h->scratch, may_see_poll, p, 0);
    for (size_t i = 0; i < r->nsess; i++) {
        hub_session *s = r->sessions[i];
        if (!poll_visible(p, is_facilitator(r, s))) continue;
        poll_write_my_ballot(&h->scratch, p, r->w->people[s->participant].id, NULL);
        net_send_sbuf(h->net, s->conn, &h->scratch);
    }
    results_due(r, p->id);
}

static void ballots_read(redisReply *reply, void *priv) {
    poll_read *pr = priv;
    hub_room *r = pr->room;
    r->pending--;
    if (pr->p && reply && reply->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i + 1 < reply->elements; i += 2) {
            const char *why;
            const redisReply *k = reply->element[i], *v = reply->element[i + 1];
            if (k->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING &&
                poll_store_read_ballot(pr->p, k->str, v->str, v->len, &why) != POLL_OK)
                lwsl_warn("workshop %s poll %s: ballot of %s skipped: %s\n", r->id, pr->id, k->str, why);
        }
        poll_store_finish(pr->p);
        if (pr->relay) {
            poll_free(poll_list_take(&r->polls, pr->id));
            const char *why;
            if (poll_list_add(&r->polls, pr->p, &why) == POLL_OK) {
                poll_list_sort(&r->polls);
                if (r->w) relay_poll(r, pr->p);
            } else {
                poll_free(pr->p);
            }
        } else {
            const char *why;
            if (poll_list_add(&r->polls, pr->p, &why) != POLL_OK) poll_free(pr->p);
            else poll_list_sort(&r->polls);
        }
        pr->p = NULL;
    }
    poll_free(pr->p);
    free(pr);
    hub_room_maybe_free(r);
}

/* Queue the ballots read of a poll whose record is in pr->p. */
static void read_ballots(hub_room *r, poll_read *pr) {
    char *kb = ballots_key(r, pr->id);
    r->pending++;
    if (!kb || !store_cmd(r->hub->store, ballots_read, pr, "HGETALL %s", kb)) {
        r->pending--;
        poll_free(pr->p);
        free(pr);
    }
    free(kb);
}

static void record_read(redisReply *reply, void *priv) {
    poll_read *pr = priv;
    hub_room *r = pr->room;
    hub *h = r->hub;
    r->pending--;
    if (!reply || !r->w) {
        free(pr);
        hub_room_maybe_free(r);
        return;
    }
    const char *why;
    if (reply->type != REDIS_REPLY_STRING) { /* deleted elsewhere */
        poll_t *gone = poll_list_take(&r->polls, pr->id);
        if (gone) {
            poll_write_deleted(&h->scratch, pr->id, NULL);
            hub_send_if(r, &h->scratch, NULL, NULL, 0);
            poll_free(gone);
        }
        free(pr);
    } else if (poll_store_read(reply->str, reply->len, &pr->p, &why) != POLL_OK) {
        lwsl_err("workshop %s: poll %s record unreadable: %s\n", r->id, pr->id, why);
        free(pr);
    } else {
        read_ballots(r, pr);
    }
    hub_room_maybe_free(r);
}

void hub_poll_reload(hub_room *r, const char *poll_id) {
    poll_read *pr = calloc(1, sizeof *pr);
    if (!pr) return;
    pr->room = r;
    pr->relay = true;
    snprintf(pr->id, sizeof pr->id, "%s", poll_id);
    r->pending++;
    if (!store_cmd(r->hub->store, record_read, pr, "HGET %s %s", r->k_polls, poll_id)) {
        /* Redis is away: hub_poll_reload_all runs when it is back. */
        r->pending--;
        free(pr);
    }
}

void hub_poll_reload_all(hub_room *r) {
    for (size_t i = 0; i < r->polls.n; i++) hub_poll_reload(r, r->polls.v[i]->id);
}

static void polls_read(redisReply *reply, void *priv) {
    hub_room *r = priv;
    r->pending--;
    if (reply && reply->type == REDIS_REPLY_ARRAY && r->w) read_all(r, reply);
    /* Queued after the ballots, so the events tail answers last and the room
     * is ready only once every poll is in. A failure there reports it. */
    hub_room_load_tail(r);
}

static void read_all(hub_room *r, redisReply *reply) {
    for (size_t i = 0; i + 1 < reply->elements; i += 2) {
        const redisReply *k = reply->element[i], *v = reply->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) continue;
        poll_read *pr = calloc(1, sizeof *pr);
        const char *why;
        if (!pr) continue;
        pr->room = r;
        snprintf(pr->id, sizeof pr->id, "%s", k->str);
        if (poll_store_read(v->str, v->len, &pr->p, &why) != POLL_OK) {
            lwsl_err("workshop %s: poll %s record unreadable: %s\n", r->id, k->str, why);
            free(pr);
            continue;
        }
        read_ballots(r, pr);
    }
}

bool hub_poll_load(hub_room *r) {
    r->pending++;
    if (store_cmd(r->hub->store, polls_read, r, "HGETALL %s", r->k_polls)) return true;
    r->pending--;
    return false;
}

void hub_poll_room_free(hub_room *r) {
    if (r->results_timer) lws_sul_cancel(&r->sul_results);
    for (size_t i = 0; i < r->nresults_due; i++) free(r->results_due[i]);
    free(r->results_due);
    poll_list_free(&r->polls);
    free(r->k_polls);
}
