/* hub_history.c -- a workshop's history over HTTP (protocol/history.md):
 * pages of events, the state at a revision or a time, the exports (the
 * facilitator's, and the participants' summary once it has ended), and
 * deletion. Each request is a short chain of Redis reads; the core
 * (core/hist.h, core/export.h) turns what they return into JSON, Markdown,
 * HTML or CSV, on the clock of the workshop's time zone (hub_tz.c). Seeking reads the newest snapshot at or before the moment and the
 * edits after it, never the history from the start. */
#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/api.h"
#include "core/export.h"
#include "core/hist.h"
#include "core/hist_compact.h"
#include "core/hist_fold.h"
#include "core/person.h"
#include "core/series.h"
#include "core/ot_json.h"
#include "core/board_match.h"
#include "hub/hub_internal.h"

#define PAGE_DEFAULT 1000
#define PAGE_MAX 10000
#define PAGE_BYTES (1 << 20)    /* a page ends early once its body holds this much: `next` goes on */
#define PAGE_CHUNK 128          /* entries a page reads from Redis at once, so that its events are
                                   never all in memory twice (the reply and the body) */
#define SCAN_MAX 10000          /* stream entries read per round trip */

/* Q_TEXT: the statement at a revision for the hub itself (hub_history_text_at), no HTTP request. */
typedef enum { Q_HISTORY, Q_STATE, Q_EXPORT, Q_DELETE, Q_TEXT } query_kind;
typedef enum { F_JSON, F_MD, F_CSV, F_HTML } export_format;

/* The HTML summary's policy: nothing but its own inline style sheet, named
 * by a nonce drawn for each page (core/doc.h). */
#define HTML_NONCE_LEN 22
#define HTML_CSP "default-src 'none'; style-src 'nonce-%s'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/* One request in flight. */
typedef struct query {
    hub *h;
    uint64_t req;
    query_kind kind;
    char id[PROTO_WORKSHOP_ID_MAX + 1];
    char k_meta[HUB_KEY_MAX], k_events[HUB_KEY_MAX], k_marks[HUB_KEY_MAX], k_snaps[HUB_KEY_MAX], k_people[HUB_KEY_MAX];
    bool has_key;               /* an Authorization: Bearer came (or, for the participants' summary, a form's token) */
    char key[PROTO_KEY_MAX + 1];
    bool participants;          /* the participants' summary: key is a participant's token, not the facilitator key */
    char observer_okey[PROTO_KEY_MAX + 1]; /* the summary for an observer: the link's key they came with ("-" none) */
    hist_view view;
    char *title;                /* from meta */
    int64_t created, rev_now;   /* from meta */
    char time_zone[WHEN_ZONE_MAX + 1]; /* from meta: exports' times are on its clock */
    char code[WK_CODE_LEN + 1]; /* from meta: its join code's key goes with a deletion */
    char partnership[SERIES_ID_MAX + 1]; /* from meta ("" none): a deletion takes the workshop out of it */
    int delete_tries;           /* deletions refused because meta's partnership moved meanwhile */
    int64_t deletes_at;         /* from meta's `active`: when the retention deletes it (exports say so) */
    /* history */
    char after[HIST_ID_MAX];    /* "" from the start; then the last entry the page read */
    long limit;                 /* entries the page may still hold */
    bool marks_only;
    /* compact pages of edits (format=compact) */
    bool compact;
    int64_t from, to;           /* the revisions asked for: ops from..to-1 */
    int64_t next_rev;           /* the revision of the next op expected on the page */
    hist_compact cp;            /* the page's authors and times */
    long asked;                 /* entries the read in flight asked for */
    size_t written;             /* events the page holds */
    /* state */
    bool by_time;               /* ?at= rather than ?rev= */
    int64_t want;               /* the revision or the time asked for */
    int64_t target;             /* the revision of the state */
    char bound[HIST_ID_MAX];    /* the last event included ("" none) */
    ot_text text;               /* the statement, from the snapshot on */
    int64_t text_rev;           /* its revision */
    char cursor[HIST_ID_MAX];   /* the event scan goes on after this id */
    int64_t last_edit;          /* time of the last edit seen (ms), 0 if none */
    hist_state st;              /* presence and polls */
    hist_fold fold;             /* poll results along the events read (from the stream's start) */
    bool saw_board;             /* the JSON log: a board event was written (the board follows the events) */
    /* export */
    export_format format;
    export_lang lang;
    export_book book;
    export_phases phases;       /* the phases run and the balance, folded from every event (md, html, csv) */
    agenda agenda;              /* meta's agenda and timer now: the phases skipped (exports) */
    bool agenda_known;          /* ... read and not damaged (else the exports list no skipped phase) */
    char *agreed_text;          /* the statement at the last `agreed` event (malloc'd; NULL: none seen) */
    sbuf out;                   /* the body being built */
    bool wrote_event;           /* an event is in the JSON export's list already */
    int scan_count;             /* entries asked for by the last event scan */
    /* text */
    hub_text_fn text_fn;        /* told the text, or why not, once */
    void *text_ud;
    /* an export for the hub itself (hub_history_export_for): no HTTP request */
    hub_export_fn export_fn;    /* told the body, or why not, once (NULL: answer the request) */
    void *export_ud;
} query;

static void query_free(query *q) {
    free(q->title);
    ot_text_free(&q->text);
    hist_state_free(&q->st);
    hist_fold_free(&q->fold);
    hist_compact_free(&q->cp);
    export_book_free(&q->book);
    export_phases_free(&q->phases);
    free(q->agreed_text);
    sbuf_free(&q->out);
    free(q);
}

/* Answer with an error and end the query. */
static void fail(query *q, int status, proto_err e, const char *why) {
    if (q->kind == Q_TEXT) q->text_fn(q->text_ud, e, why, NULL, 0);
    else if (q->export_fn) q->export_fn(q->export_ud, e, why, NULL, 0);
    else hub_http_error(q->h, q->req, status, e, why);
    query_free(q);
}

static void unavailable(query *q) { fail(q, 503, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE); }

/* Send a command for q; on failure the query ends with 503. */
#define SEND(q, fn, ...)                                                                                              \
    do {                                                                                                              \
        if (!(q)->h->store || !store_cmd((q)->h->store, fn, q, __VA_ARGS__)) unavailable(q);                         \
    } while (0)

static bool is_array(const redisReply *r) { return r && r->type == REDIS_REPLY_ARRAY; }

/* A step's reply: the query when it is an array, else the query ends (503). */
static query *array_reply(const redisReply *reply, void *priv) {
    query *q = priv;
    if (is_array(reply)) return q;
    unavailable(q);
    return NULL;
}

/* A full page came: ask for the next one, after its last entry, up to end.
 * False when this page was the last. */
static bool next_page(query *q, const redisReply *reply, store_reply_fn fn, const char *key, const char *end) {
    if (reply->elements != SCAN_MAX) return false;
    snprintf(q->cursor, sizeof q->cursor, "%.47s", reply->element[reply->elements - 1]->element[0]->str);
    SEND(q, fn, "XRANGE %s (%s %s COUNT %d", key, q->cursor, end, SCAN_MAX);
    return true;
}

/* ---- The start of every request: the workshop's meta, and who asks ---- */

static void start_kind(query *q);

static void got_meta(redisReply *reply, void *priv) {
    query *q = priv;
    if (!reply) {
        unavailable(q);
        return;
    }
    if (!is_array(reply) || reply->elements != 10 || reply->element[0]->type != REDIS_REPLY_STRING) {
        fail(q, 404, PROTO_ENOT_FOUND, "no workshop with this id");
        return;
    }
    const redisReply *fkey = reply->element[3];
    if (q->participants) { /* the token is checked against its person next (check_participant) */
    } else if (q->has_key && (fkey->type != REDIS_REPLY_STRING || !proto_same_secret(fkey->str, q->key))) {
        fail(q, 403, PROTO_EFORBIDDEN, "this is not the facilitator key of this workshop");
        return;
    } else if (!q->has_key && !q->export_fn && (q->kind == Q_EXPORT || q->kind == Q_DELETE)) {
        fail(q, 401, PROTO_EFORBIDDEN, "this needs the facilitator key (Authorization: Bearer KEY)");
        return;
    }
    q->view = q->has_key && !q->participants ? HIST_FACILITATOR : HIST_PUBLIC;
    free(q->title); /* a deletion that reads meta again had one */
    q->title = strdup(reply->element[0]->str);
    q->created = reply->element[1]->type == REDIS_REPLY_STRING ? strtoll(reply->element[1]->str, NULL, 10) : 0;
    q->rev_now = reply->element[2]->type == REDIS_REPLY_STRING ? strtoll(reply->element[2]->str, NULL, 10) : 0;
    const char *tz = hub_reply_text(reply, 4), *code = hub_reply_text(reply, 5);
    snprintf(q->time_zone, sizeof q->time_zone, "%s", when_valid_zone_name(tz) ? tz : WHEN_UTC);
    snprintf(q->code, sizeof q->code, "%s", hub_code_valid(code) ? code : "");
    q->deletes_at = hub_retention_deletes_at_meta(q->h, hub_reply_text(reply, 6), q->created);
    const char *partnership = hub_reply_text(reply, 7);
    snprintf(q->partnership, sizeof q->partnership, "%s", series_valid_id(partnership) ? partnership : "");
    q->agenda_known = agenda_read_stored(&q->agenda, hub_reply_text(reply, 8), hub_reply_text(reply, 9));
    if (!q->title) {
        fail(q, 500, PROTO_EINTERNAL, "out of memory");
        return;
    }
    start_kind(q);
}

static query *query_new(hub *h, uint64_t req, const char *id, query_kind kind) {
    if (!proto_valid_b64url(id, PROTO_WORKSHOP_ID_MAX)) {
        hub_http_error(h, req, 404, PROTO_ENOT_FOUND, "no workshop with this id");
        return NULL;
    }
    query *q = calloc(1, sizeof *q);
    if (!q) {
        hub_http_error(h, req, 500, PROTO_EINTERNAL, "out of memory");
        return NULL;
    }
    q->h = h;
    q->req = req;
    q->kind = kind;
    snprintf(q->id, sizeof q->id, "%s", id);
    bool keyed = hub_key(q->k_meta, HUB_KEY_MAX, id, "meta") && hub_key(q->k_events, HUB_KEY_MAX, id, "events") &&
                 hub_key(q->k_marks, HUB_KEY_MAX, id, "marks") && hub_key(q->k_snaps, HUB_KEY_MAX, id, "snaps") &&
                 hub_key(q->k_people, HUB_KEY_MAX, id, "people");
    q->has_key = kind != Q_TEXT && net_http_bearer(h->net, req, q->key, sizeof q->key);
    q->limit = PAGE_DEFAULT;
    q->lang = EXPORT_FR;
    hist_state_init(&q->st);
    hist_fold_init(&q->fold);
    hist_compact_init(&q->cp, &q->out);
    export_book_init(&q->book);
    export_phases_init(&q->phases);
    sbuf_init(&q->out, NET_PRE);
    if (!keyed) { /* cannot happen for a valid id (HUB_KEY_MAX holds the longest): said, not assumed */
        fail(q, 500, PROTO_EINTERNAL, "the workshop's keys do not fit");
        return NULL;
    }
    return q;
}

static void begin(query *q) {
    SEND(q, got_meta, "HMGET %s title created rev fkey time_zone code active partnership agenda timer", q->k_meta);
}

/* ---- GET /history ---- */

/* lead, then the workshop's id, "title", "created" and the current "rev". */
static void put_workshop(sbuf *b, const query *q, const char *lead) {
    sbuf_puts(b, lead);
    sbuf_put_jstrz(b, q->id);
    sbuf_puts(b, ",\"title\":");
    sbuf_put_jstrz(b, q->title);
    sbuf_puts(b, ",\"created\":");
    sbuf_put_i64(b, q->created);
    sbuf_puts(b, ",\"rev\":");
    sbuf_put_i64(b, q->rev_now);
}

static void read_page(query *q);

/* Poll folds kept between the pages of a history read page by page
 * (hist_fold.h): a page that starts where one ended takes the fold that page
 * left instead of folding every mark before it again, so reading a
 * 10,000-ballot history in pages folds each mark once, not once per page.
 * A fold holds the events up to its id, which never change (a stream only
 * grows). FOLDS_KEPT at most, the oldest replaced; a fold is taken by the
 * first page that starts there (owned by the hub until then). */
#define FOLDS_KEPT 8

typedef struct hub_fold_kept {
    char workshop[PROTO_WORKSHOP_ID_MAX + 1]; /* "" when the slot is free */
    char after[HIST_ID_MAX];    /* the last entry the fold holds: the next page's `after` */
    hist_fold fold;             /* owned */
    uint64_t seq;               /* when kept (h->folds_kept_seq) */
} hub_fold_kept;

void hub_history_free(hub *h) {
    if (!h->folds_kept) return;
    for (size_t i = 0; i < FOLDS_KEPT; i++) hist_fold_free(&h->folds_kept[i].fold);
    free(h->folds_kept);
    h->folds_kept = NULL;
}

/* Keep q's fold for the page after q->after (q's is left empty). */
static void keep_fold(query *q) {
    hub *h = q->h;
    if (!h->folds_kept && !(h->folds_kept = calloc(FOLDS_KEPT, sizeof *h->folds_kept))) return;
    hub_fold_kept *k = &h->folds_kept[0];
    for (size_t i = 1; i < FOLDS_KEPT && k->workshop[0]; i++) /* a free slot, else the oldest */
        if (!h->folds_kept[i].workshop[0] || h->folds_kept[i].seq < k->seq) k = &h->folds_kept[i];
    hist_fold_free(&k->fold);
    k->fold = q->fold;
    hist_fold_init(&q->fold);
    snprintf(k->workshop, sizeof k->workshop, "%s", q->id);
    snprintf(k->after, sizeof k->after, "%s", q->after);
    k->seq = ++h->folds_kept_seq;
}

/* Take the fold a page of this workshop left at q->after into q; false when none. */
static bool take_fold(query *q) {
    hub *h = q->h;
    for (size_t i = 0; h->folds_kept && i < FOLDS_KEPT; i++) {
        hub_fold_kept *k = &h->folds_kept[i];
        if (!k->workshop[0] || strcmp(k->workshop, q->id) != 0 || strcmp(k->after, q->after) != 0) continue;
        hist_fold_free(&q->fold);
        q->fold = k->fold;
        hist_fold_init(&k->fold);
        k->workshop[0] = '\0';
        return true;
    }
    return false;
}

/* The page's end: "next" is the last entry read when more may follow. */
static void end_page(query *q, bool more) {
    sbuf *b = &q->out;
    if (more) keep_fold(q);
    sbuf_puts(b, "],\"next\":");
    if (more) sbuf_put_jstrz(b, q->after);
    else sbuf_puts(b, "null");
    sbuf_putc(b, '}');
    net_http_respond(q->h->net, q->req, 200, b);
    query_free(q);
}

/* A page is read PAGE_CHUNK entries at a time, and ends at `limit` entries
 * or once its body reaches PAGE_BYTES, whichever comes first. */
static void got_page(redisReply *reply, void *priv) {
    query *q = array_reply(reply, priv);
    if (!q) return;
    sbuf *b = &q->out;
    const char *kv[HUB_EVENT_FIELDS];
    for (size_t i = 0; i < reply->elements; i++) {
        if (q->limit == 0 || b->len >= PAGE_BYTES) { /* entry i is for the next page */
            end_page(q, true);
            return;
        }
        hist_event e;
        const redisReply *id = reply->element[i]->type == REDIS_REPLY_ARRAY && reply->element[i]->elements > 0
                                   ? reply->element[i]->element[0] : NULL;
        if (id && id->type == REDIS_REPLY_STRING) snprintf(q->after, sizeof q->after, "%s", id->str);
        q->limit--;
        if (!hub_stream_event(reply->element[i], &e, kv)) continue;
        hist_fold_add(&q->fold, &e, HIST_FOLD_EVERY);
        size_t mark = b->len;
        if (q->written) sbuf_putc(b, ',');
        if (hist_write_event(b, &e, q->view)) q->written++;
        else b->len = mark;
    }
    if ((long)reply->elements < q->asked) end_page(q, false); /* the stream's end */
    else if (q->limit == 0 || b->len >= PAGE_BYTES) end_page(q, true);
    else read_page(q);
}

/* The next PAGE_CHUNK entries after q->after, or the rest of the page and
 * one more (to tell whether the page reaches the stream's end). */
static void read_page(query *q) {
    q->asked = q->limit + 1 < PAGE_CHUNK ? q->limit + 1 : PAGE_CHUNK;
    SEND(q, got_page, "XRANGE %s %s%s + COUNT %ld", q->marks_only ? q->k_marks : q->k_events,
         q->after[0] ? "(" : "", q->after[0] ? q->after : "-", q->asked);
}

static void got_fold(redisReply *reply, void *priv) {
    query *q = array_reply(reply, priv);
    if (!q) return;
    const char *kv[HUB_EVENT_FIELDS];
    for (size_t i = 0; i < reply->elements; i++) {
        hist_event e;
        if (hub_stream_event(reply->element[i], &e, kv)) hist_fold_add(&q->fold, &e, HIST_FOLD_NONE);
    }
    if (!next_page(q, reply, got_fold, q->k_marks, q->after)) read_page(q);
}

/* A page that starts after an event first folds the marks before it
 * (hist_fold.h: a ballot is stored as a ballot, its results are the fold of
 * the poll's events from the start), so its events carry the same results
 * as when read from the start. Marks only: no edit is read for it; and not
 * at all when the page before left its fold (keep_fold). */
static void start_page(query *q) {
    if (!q->after[0] || take_fold(q)) {
        read_page(q);
        return;
    }
    SEND(q, got_fold, "XRANGE %s - %s COUNT %d", q->k_marks, q->after, SCAN_MAX);
}

/* ---- GET /history?format=compact: the edits from a revision, in compact pages ---- */

/* The page ends: "next" is the revision to ask `from` next, or null. */
static void end_compact(query *q, bool more) {
    sbuf *b = &q->out;
    sbuf_putc(b, ']');
    hist_compact_write_tail(&q->cp, b);
    sbuf_puts(b, ",\"next\":");
    if (more) sbuf_put_i64(b, q->next_rev);
    else sbuf_puts(b, "null");
    sbuf_putc(b, '}');
    if (!sbuf_ok(b)) {
        fail(q, 500, PROTO_EINTERNAL, "out of memory");
        return;
    }
    net_http_respond(q->h->net, q->req, 200, b);
    query_free(q);
}

static void damaged(query *q, const char *what) {
    lwsl_err("workshop %s: %s at revision %lld of the history\n", q->id, what, (long long)q->next_rev);
    fail(q, 500, PROTO_EINTERNAL, "the stored history of this workshop is damaged");
}

static void read_compact(query *q);

/* Ops before `from` (the snapshot's tail) are skipped; the page ends at
 * `to`, at PAGE_BYTES, or when its table of authors is full. */
static void got_compact(redisReply *reply, void *priv) {
    query *q = array_reply(reply, priv);
    if (!q) return;
    const char *kv[HUB_EVENT_FIELDS];
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *id = reply->element[i]->type == REDIS_REPLY_ARRAY && reply->element[i]->elements > 0
                                   ? reply->element[i]->element[0] : NULL;
        if (id && id->type == REDIS_REPLY_STRING) snprintf(q->cursor, sizeof q->cursor, "%.47s", id->str);
        hist_event e;
        if (!hub_stream_op_event(reply->element[i], &e, kv)) continue;
        if (e.rev < q->next_rev) continue; /* before `from`: in the snapshot's tail */
        if (e.rev > q->next_rev || !e.op) {
            damaged(q, e.op ? "an edit is missing" : "an edit without its op");
            return;
        }
        if (q->next_rev >= q->to) {
            end_compact(q, false);
            return;
        }
        if (q->out.len >= PAGE_BYTES) {
            end_compact(q, true);
            return;
        }
        hist_compact_status st = hist_compact_add(&q->cp, &e);
        if (st == HIST_COMPACT_FULL) {
            end_compact(q, true);
            return;
        }
        if (st == HIST_COMPACT_OOM) {
            fail(q, 500, PROTO_EINTERNAL, "out of memory");
            return;
        }
        q->next_rev++;
    }
    if (q->next_rev >= q->to) end_compact(q, false);
    else if (reply->elements < PAGE_CHUNK) damaged(q, "the stream ends before the workshop's revision");
    else read_compact(q);
}

static void read_compact(query *q) {
    SEND(q, got_compact, "XRANGE %s (%s + COUNT %d", q->k_events, q->cursor, PAGE_CHUNK);
}

/* The newest snapshot at or before `from` says where its edits start in the stream. */
static void got_compact_start(redisReply *reply, void *priv) {
    query *q = array_reply(reply, priv);
    if (!q) return;
    const redisReply *e = reply->elements == 1 ? reply->element[0] : NULL;
    const char *event = NULL;
    if (e && e->type == REDIS_REPLY_ARRAY && e->elements == 2 && is_array(e->element[1])) {
        const redisReply *f = e->element[1];
        for (size_t i = 0; i + 1 < f->elements; i += 2)
            if (f->element[i]->type == REDIS_REPLY_STRING && strcmp(f->element[i]->str, "event") == 0 &&
                f->element[i + 1]->type == REDIS_REPLY_STRING)
                event = f->element[i + 1]->str;
    }
    if (!event || !hist_valid_id(event, NULL)) {
        damaged(q, "no snapshot");
        return;
    }
    snprintf(q->cursor, sizeof q->cursor, "%s", event);
    q->next_rev = q->from;
    sbuf_puts(&q->out, ",\"from\":");
    sbuf_put_i64(&q->out, q->from);
    sbuf_puts(&q->out, ",\"ops\":[");
    if (q->from >= q->to) end_compact(q, false);
    else read_compact(q);
}

static void start_compact(query *q) {
    if (q->to < 0) q->to = q->rev_now;
    if (q->from > q->rev_now || q->to > q->rev_now) {
        char why[96];
        snprintf(why, sizeof why, "this workshop has revisions 0 to %lld", (long long)q->rev_now);
        fail(q, 400, PROTO_EBAD_REQUEST, why);
        return;
    }
    put_workshop(&q->out, q, "{\"workshop\":");
    SEND(q, got_compact_start, "XREVRANGE %s %lld-1 - COUNT 1", q->k_snaps, (long long)q->from);
}

/* format=compact takes `from` (default 0) and `to` (default: the current
 * revision), and none of the events' paging arguments. False: refused. */
static bool compact_args(query *q, const char *format) {
    hub *h = q->h;
    char v[32];
    if (strcmp(format, "compact") != 0) {
        fail(q, 400, PROTO_EBAD_REQUEST, "\"format\" can only be \"compact\"");
        return false;
    }
    if (q->after[0] || q->marks_only || net_http_arg(h->net, q->req, "limit", v, sizeof v)) {
        fail(q, 400, PROTO_EBAD_REQUEST, "compact pages take \"from\" and \"to\" (revisions), not \"after\", \"limit\" or \"only\"");
        return false;
    }
    q->compact = true;
    q->from = 0;
    q->to = -1;
    int64_t n;
    if (net_http_arg(h->net, q->req, "from", v, sizeof v)) {
        if (!api_read_int(v, 0, (int64_t)1 << 53, &n)) {
            fail(q, 400, PROTO_EBAD_REQUEST, "\"from\" must be a revision (a non-negative integer)");
            return false;
        }
        q->from = n;
    }
    if (net_http_arg(h->net, q->req, "to", v, sizeof v)) {
        if (!api_read_int(v, 0, (int64_t)1 << 53, &n) || n < q->from) {
            fail(q, 400, PROTO_EBAD_REQUEST, "\"to\" must be a revision, not before \"from\"");
            return false;
        }
        q->to = n;
    }
    return true;
}

void hub_http_history(hub *h, uint64_t req, const char *id) {
    query *q = query_new(h, req, id, Q_HISTORY);
    if (!q) return;
    char v[HIST_ID_MAX];
    int64_t limit = PAGE_DEFAULT;
    if (net_http_arg(h->net, req, "after", v, sizeof v)) {
        if (!hist_valid_id(v, NULL)) {
            fail(q, 400, PROTO_EBAD_REQUEST, "\"after\" must be an event id such as 1795833600000-0");
            return;
        }
        snprintf(q->after, sizeof q->after, "%s", v);
    }
    if (net_http_arg(h->net, req, "limit", v, sizeof v) && !api_read_int(v, 1, PAGE_MAX, &limit)) {
        fail(q, 400, PROTO_EBAD_REQUEST, "\"limit\" must be an integer from 1 to 10000");
        return;
    }
    q->limit = (long)limit;
    if (net_http_arg(h->net, req, "only", v, sizeof v)) {
        if (strcmp(v, "marks") != 0) {
            fail(q, 400, PROTO_EBAD_REQUEST, "\"only\" can only be \"marks\"");
            return;
        }
        q->marks_only = true;
    }
    if (net_http_arg(h->net, req, "format", v, sizeof v) && !compact_args(q, v)) return;
    begin(q);
}

/* ---- GET /state: snapshot, the edits after it, then the marks ---- */

static void finish_state(query *q);

static void got_marks(redisReply *reply, void *priv) {
    query *q = array_reply(reply, priv);
    if (!q) return;
    const char *kv[HUB_EVENT_FIELDS];
    for (size_t i = 0; i < reply->elements; i++) {
        hist_event e;
        if (!hub_stream_event(reply->element[i], &e, kv)) continue;
        hist_fold_add(&q->fold, &e, HIST_FOLD_STEPS);
        hist_state_add(&q->st, &e);
        if (q->kind == Q_EXPORT) export_book_event(&q->book, &e);
    }
    if (!next_page(q, reply, got_marks, q->k_marks, q->bound)) finish_state(q);
}

static void read_marks(query *q) {
    if (!q->bound[0] || q->kind == Q_TEXT) { /* before the first event: nobody, no poll; or only the text wanted */
        finish_state(q);
        return;
    }
    SEND(q, got_marks, "XRANGE %s - %s COUNT %d", q->k_marks, q->bound, SCAN_MAX);
}

static void scan_events(query *q);

static void got_events(redisReply *reply, void *priv) {
    query *q = array_reply(reply, priv);
    if (!q) return;
    const char *kv[HUB_EVENT_FIELDS];
    bool reached = false; /* the op that makes target + 1: the state ends before it */
    for (size_t i = 0; i < reply->elements && !reached; i++) {
        hist_event e;
        if (!hub_stream_event(reply->element[i], &e, kv)) {
            const redisReply *id = reply->element[i]->elements ? reply->element[i]->element[0] : NULL;
            /* Never read an entry twice, even one that is not an event. */
            if (id && id->type == REDIS_REPLY_STRING) snprintf(q->cursor, sizeof q->cursor, "%.47s", id->str);
            continue;
        }
        if (hist_is_op(&e) && e.rev >= q->target) {
            reached = true;
            break;
        }
        /* Exports read every event from the first snapshot on: the phases
         * take the statement as it was at each of their ends. */
        if (q->kind == Q_EXPORT && (!hist_is_op(&e) || e.rev >= q->text_rev))
            export_phases_event(&q->phases, &e, q->text.buf ? q->text.buf : "");
        /* The text agreed: the statement as it is at the agreement (its rev is the workshop's then). */
        if (q->kind == Q_EXPORT && strcmp(e.type, "agreed") == 0) {
            free(q->agreed_text);
            q->agreed_text = strdup(q->text.buf ? q->text.buf : "");
        }
        if (hist_is_op(&e) && e.rev >= q->text_rev) {
            ot_op op;
            ot_op_init(&op);
            ot_status st = e.rev == q->text_rev && e.op ? ot_op_parse(e.op, strlen(e.op), &op) : OT_EINVALID;
            if (st == OT_OK) st = ot_apply(&q->text, &op);
            ot_op_free(&op);
            if (st != OT_OK) {
                lwsl_err("workshop %s: stored op at revision %lld does not apply (%s)\n", q->id, (long long)e.rev,
                         ot_strerror(st));
                fail(q, 500, PROTO_EINTERNAL, "the stored history of this workshop is damaged");
                return;
            }
            q->text_rev++;
            q->last_edit = e.t;
        }
        snprintf(q->cursor, sizeof q->cursor, "%s", e.id);
        if (!q->by_time) snprintf(q->bound, sizeof q->bound, "%s", e.id);
    }
    if (!reached && reply->elements == (size_t)q->scan_count) {
        scan_events(q);
        return;
    }
    if (q->text_rev != q->target) {
        lwsl_err("workshop %s: revisions %lld..%lld are missing from the history\n", q->id, (long long)q->text_rev,
                 (long long)q->target);
        fail(q, 500, PROTO_EINTERNAL, "the stored history of this workshop is damaged");
        return;
    }
    read_marks(q);
}

static void scan_events(query *q) {
    if (q->text_rev == q->target && q->by_time) { /* nothing to apply, and the bound is known */
        read_marks(q);
        return;
    }
    /* The edits still to apply, and a few marks between them. */
    int64_t want = q->target - q->text_rev + 16;
    q->scan_count = want > SCAN_MAX ? SCAN_MAX : (int)want;
    SEND(q, got_events, "XRANGE %s (%s %s COUNT %d", q->k_events, q->cursor, q->by_time ? q->bound : "+",
         q->scan_count);
}

static void got_snapshot(redisReply *reply, void *priv) {
    query *q = array_reply(reply, priv);
    if (!q) return;
    const redisReply *e = reply->elements == 1 ? reply->element[0] : NULL;
    const char *kv[HUB_EVENT_FIELDS];
    const char *text = NULL, *event = NULL;
    if (e && e->type == REDIS_REPLY_ARRAY && e->elements == 2 && is_array(e->element[1])) {
        const redisReply *f = e->element[1];
        for (size_t i = 0; i + 1 < f->elements && i + 1 < HUB_EVENT_FIELDS; i += 2) {
            kv[i] = f->element[i]->str;
            if (kv[i] && strcmp(kv[i], "text") == 0) text = f->element[i + 1]->str;
            if (kv[i] && strcmp(kv[i], "event") == 0) event = f->element[i + 1]->str;
        }
    }
    int64_t snap_ms;
    if (!text || !event || !hist_valid_id(event, &snap_ms) ||
        ot_text_init(&q->text, text, strlen(text)) != OT_OK) {
        fail(q, 500, PROTO_EINTERNAL, "the stored history of this workshop is damaged");
        return;
    }
    q->text_rev = strtoll(e->element[0]->str, NULL, 10);
    if (q->text_rev > 0) q->last_edit = snap_ms; /* the snapshot's event is the edit that made it */
    snprintf(q->cursor, sizeof q->cursor, "%s", event);
    if (!q->by_time) snprintf(q->bound, sizeof q->bound, "%s", event);
    scan_events(q);
}

static void read_snapshot(query *q) {
    if (q->kind == Q_EXPORT) /* from the first, for the statement at the end of each phase */
        SEND(q, got_snapshot, "XRANGE %s - + COUNT 1", q->k_snaps);
    else
        SEND(q, got_snapshot, "XREVRANGE %s %lld-1 - COUNT 1", q->k_snaps, (long long)q->target);
}

/* ?at=T: the last event at or before T gives the revision and the bound. */
static void got_moment(redisReply *reply, void *priv) {
    query *q = array_reply(reply, priv);
    if (!q) return;
    const char *kv[HUB_EVENT_FIELDS];
    hist_event e;
    if (reply->elements == 1 && hub_stream_event(reply->element[0], &e, kv)) {
        q->target = hist_is_op(&e) ? e.rev + 1 : e.rev;
        snprintf(q->bound, sizeof q->bound, "%s", e.id);
    } else {
        q->target = 0; /* before the workshop existed: its first text, nothing else */
        q->bound[0] = '\0';
    }
    if (q->target > q->rev_now) q->target = q->rev_now; /* a mark written as a commit raced it */
    read_snapshot(q);
}

static void write_state(query *q, sbuf *b) {
    sbuf_puts(b, "{\"workshop\":");
    sbuf_put_jstrz(b, q->id);
    sbuf_puts(b, ",\"title\":");
    sbuf_put_jstrz(b, q->title);
    sbuf_puts(b, ",\"rev\":");
    sbuf_put_i64(b, q->target);
    sbuf_puts(b, ",\"event\":");
    int64_t t = q->created;
    if (q->bound[0] && hist_valid_id(q->bound, &t)) sbuf_put_jstrz(b, q->bound);
    else sbuf_puts(b, "null");
    sbuf_puts(b, ",\"t\":");
    sbuf_put_i64(b, t);
    sbuf_puts(b, ",\"text\":");
    sbuf_put_jstr(b, q->text.buf, q->text.len);
    hist_state_write(b, &q->st, q->view);
    sbuf_putc(b, '}');
}

static void export_finish(query *q);

static void finish_state(query *q) {
    /* Each folded poll as its ballots left it (its ballots' results were not
     * written one by one: only the last ones are wanted). */
    for (size_t i = 0; i < q->st.npolls; i++) {
        const char *r = hist_fold_results(&q->fold, q->st.polls[i].id);
        if (r) hist_state_set_results(&q->st, i, r);
    }
    if (q->st.oom) {
        fail(q, 500, PROTO_EINTERNAL, "out of memory");
        return;
    }
    if (q->kind == Q_EXPORT) {
        export_finish(q);
        return;
    }
    if (q->kind == Q_TEXT) {
        q->text_fn(q->text_ud, PROTO_OK, NULL, q->text.buf ? q->text.buf : "", q->text.len);
        query_free(q);
        return;
    }
    write_state(q, &q->out);
    net_http_respond(q->h->net, q->req, 200, &q->out);
    query_free(q);
}

static void start_state(query *q) {
    if (q->by_time) {
        SEND(q, got_moment, "XREVRANGE %s %lld - COUNT 1", q->k_events, (long long)q->want);
        return;
    }
    if (q->want > q->rev_now) {
        char why[96];
        snprintf(why, sizeof why, "this workshop has revisions 0 to %lld", (long long)q->rev_now);
        fail(q, 400, PROTO_EBAD_REQUEST, why);
        return;
    }
    q->target = q->want;
    read_snapshot(q);
}

void hub_history_text_at(hub *h, const char *id, int64_t rev, hub_text_fn fn, void *ud) {
    query *q = proto_valid_b64url(id, PROTO_WORKSHOP_ID_MAX) ? query_new(h, 0, id, Q_TEXT) : NULL;
    if (!q) {
        fn(ud, PROTO_EINTERNAL, "the history could not be read", NULL, 0);
        return;
    }
    q->text_fn = fn;
    q->text_ud = ud;
    q->want = rev;
    begin(q);
}

void hub_http_state(hub *h, uint64_t req, const char *id) {
    query *q = query_new(h, req, id, Q_STATE);
    if (!q) return;
    char rev[32], at[32];
    bool has_rev = net_http_arg(h->net, req, "rev", rev, sizeof rev);
    bool has_at = net_http_arg(h->net, req, "at", at, sizeof at);
    if (has_rev == has_at) {
        fail(q, 400, PROTO_EBAD_REQUEST, "give either \"rev\" (a revision) or \"at\" (a time in ms)");
        return;
    }
    q->by_time = has_at;
    if (!api_read_int(has_at ? at : rev, 0, (int64_t)1 << 53, &q->want)) {
        fail(q, 400, PROTO_EBAD_REQUEST, "\"rev\" and \"at\" are non-negative integers");
        return;
    }
    begin(q);
}

/* ---- GET /export ---- */

static void respond_file(query *q, const char *type, const char *ext) {
    if (q->export_fn) { /* for the hub: the body, not a response */
        q->export_fn(q->export_ud, PROTO_OK, NULL, sbuf_data(&q->out), q->out.len);
        query_free(q);
        return;
    }
    char name[96];
    snprintf(name, sizeof name, "atelier-%s%s", q->id, ext);
    net_http_respond_as(q->h->net, q->req, 200, type, name, &q->out);
    query_free(q);
}

/* The HTML summary opens in the browser (inline), under its policy. */
static void respond_page(query *q, const char *nonce) {
    char csp[NET_HTTP_HEADER_MAX], disposition[NET_HTTP_HEADER_MAX];
    snprintf(csp, sizeof csp, HTML_CSP, nonce);
    snprintf(disposition, sizeof disposition, "inline; filename=\"atelier-%s-%s.html\"", q->id,
             q->lang == EXPORT_EN ? "summary-en" : "resume-fr");
    if (!net_http_header(q->h->net, q->req, "content-security-policy", csp) ||
        !net_http_header(q->h->net, q->req, "content-disposition", disposition)) {
        fail(q, 500, PROTO_EINTERNAL, "the page's headers do not fit");
        return;
    }
    net_http_respond_as(q->h->net, q->req, 200, "text/html; charset=utf-8", NULL, &q->out);
    query_free(q);
}

static void export_finish(query *q) {
    char nonce[HTML_NONCE_LEN + 1];
    if (q->agenda_known) export_phases_skipped(&q->phases, &q->agenda); /* named after the phases run */
    if (q->book.oom || q->phases.oom || q->st.oom) {
        fail(q, 500, PROTO_EINTERNAL, "out of memory");
        return;
    }
    if (q->format == F_HTML && !net_random_b64url(nonce, HTML_NONCE_LEN)) {
        fail(q, 500, PROTO_EINTERNAL, "could not make the page's nonce");
        return;
    }
    hub_tz tz; /* the workshop's zone, for the writing only */
    hub_tz_enter(&tz, q->time_zone);
    int64_t ended = q->book.ended >= 0 ? q->book.moments[q->book.ended].t : 0;
    export_phases_finish(&q->phases, ended, q->text.buf ? q->text.buf : "");
    if (q->participants) hist_state_keep_public(&q->st); /* the polls as participants and observers saw them */
    export_meta m = {q->title, q->created, q->last_edit, q->target, q->text.buf ? q->text.buf : "", &tz.zone,
                     &q->phases, q->agreed_text, q->deletes_at, q->participants};
    if (q->format == F_CSV) export_csv(&q->out, &m, &q->book, &q->st, q->lang);
    else if (q->format == F_HTML) export_html(&q->out, &m, &q->book, &q->st, q->lang, nonce);
    else export_markdown(&q->out, &m, &q->book, &q->st, q->lang);
    hub_tz_leave(&tz);
    if (q->format == F_CSV)
        respond_file(q, "text/csv; charset=utf-8", q->lang == EXPORT_EN ? "-polls-en.csv" : "-sondages-fr.csv");
    else if (q->format == F_HTML) respond_page(q, nonce);
    else respond_file(q, "text/markdown; charset=utf-8", q->lang == EXPORT_EN ? "-summary-en.md" : "-resume-fr.md");
}

/* The JSON log: every event, in the facilitator's view. */
static void got_log(redisReply *reply, void *priv) {
    query *q = array_reply(reply, priv);
    if (!q) return;
    const char *kv[HUB_EVENT_FIELDS];
    sbuf *b = &q->out;
    for (size_t i = 0; i < reply->elements; i++) {
        hist_event e;
        if (!hub_stream_event(reply->element[i], &e, kv)) continue;
        hist_fold_add(&q->fold, &e, HIST_FOLD_EVERY);
        size_t mark = b->len;
        if (q->wrote_event) sbuf_putc(b, ',');
        if (hist_write_event(b, &e, HIST_FACILITATOR)) q->wrote_event = true;
        else b->len = mark;
        if (board_is_event(e.type)) {
            board_fold(&q->st.board, e.type, e.board, e.by, e.t);
            q->saw_board = true;
        }
    }
    if (next_page(q, reply, got_log, q->k_events, "+")) return;
    /* The board at the end, whole, with its columns (protocol/board.md),
     * when the workshop used it. */
    const board_viewer all = {.all = true};
    sbuf_putc(b, ']');
    if (q->saw_board) {
        sbuf_puts(b, ",\"board\":");
        board_write(b, &q->st.board, &all);
        b->len--; /* its closing brace: the columns go in it */
        sbuf_puts(b, ",\"columns\":");
        board_write_columns(b, &q->st.board, &all);
        sbuf_putc(b, '}');
    }
    sbuf_putc(b, '}');
    if (!sbuf_ok(b)) {
        fail(q, 500, PROTO_EINTERNAL, "out of memory");
        return;
    }
    respond_file(q, "application/json", "-log.json");
}

/* A participant record, for the JSON export's list (sorted: a hash has no order). */
typedef struct person_row {
    const char *pid, *name, *org, *role;
    cJSON *json;                /* owns the strings */
} person_row;

static int person_order(const void *a, const void *b) {
    const person_row *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (!c) c = strcmp(x->org, y->org);
    return c ? c : strcmp(x->pid, y->pid);
}

/* The colour slot of a stored record (core/person.h), -1 when it has none
 * (an older record) or a damaged one. */
static int record_slot(const cJSON *o) {
    int64_t slot;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "slot");
    return v && proto_json_int(v, 0, WK_SLOT_MAX, &slot) ? (int)slot : -1;
}

static void got_people(redisReply *reply, void *priv) {
    query *q = array_reply(reply, priv);
    if (!q) return;
    person_row *rows = calloc(reply->elements / 2 + 1, sizeof *rows);
    if (!rows) {
        fail(q, 500, PROTO_EINTERNAL, "out of memory");
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i + 1 < reply->elements; i += 2) {
        const redisReply *pid = reply->element[i], *rec = reply->element[i + 1];
        if (pid->type != REDIS_REPLY_STRING || rec->type != REDIS_REPLY_STRING) continue;
        cJSON *o = cJSON_Parse(rec->str);
        person_row r = {pid->str, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "name")),
                        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "organisation")),
                        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "role")), o};
        if (r.name && r.org && r.role) rows[n++] = r;
        else cJSON_Delete(o);
    }
    if (n > 1) qsort(rows, n, sizeof *rows, person_order);
    sbuf *b = &q->out;
    if (q->format == F_JSON) {
        put_workshop(b, q, "{\"workshop\":{\"id\":");
        sbuf_puts(b, ",\"deletes_at\":");
        sbuf_put_i64(b, q->deletes_at);
        sbuf_puts(b, "},\"time_zone\":"); /* the times stay in ms: this says where they were lived */
        sbuf_put_jstrz(b, q->time_zone);
        sbuf_puts(b, ",\"participants\":[");
    }
    for (size_t i = 0; i < n; i++) {
        export_book_person(&q->book, rows[i].name, rows[i].org, wk_role_read(rows[i].role));
        if (q->format == F_JSON) { /* never the participant's secret */
            if (i) sbuf_putc(b, ',');
            hist_write_person(b, rows[i].pid, rows[i].name, rows[i].org, rows[i].role, record_slot(rows[i].json));
        }
        cJSON_Delete(rows[i].json);
    }
    free(rows);
    if (q->format == F_JSON) {
        sbuf_puts(b, "],\"events\":[");
        SEND(q, got_log, "XRANGE %s - + COUNT %d", q->k_events, SCAN_MAX);
        return;
    }
    q->target = q->rev_now;
    read_snapshot(q);
}

/* An export's format and language, as named (format NULL: absent; lang
 * NULL or "": French). The participants' summary takes only md and html.
 * False when the query has ended (400). */
static bool read_format(query *q, const char *format, const char *lang) {
    static const struct {
        const char *name;
        export_format format;
    } formats[] = {{"md", F_MD}, {"html", F_HTML}, {"json", F_JSON}, {"csv", F_CSV}};
    size_t nformats = q->participants ? 2 : sizeof formats / sizeof *formats, f = 0;
    while (format && f < nformats && strcmp(format, formats[f].name) != 0) f++;
    if (!format || f == nformats) {
        fail(q, 400, PROTO_EBAD_REQUEST, q->participants ? "\"format\" must be html or md" : "\"format\" must be md, html, json or csv");
        return false;
    }
    q->format = formats[f].format;
    if (lang && lang[0] && !export_lang_from_name(lang, &q->lang)) {
        fail(q, 400, PROTO_EBAD_REQUEST, "\"lang\" must be fr or en");
        return false;
    }
    return true;
}

void hub_http_export(hub *h, uint64_t req, const char *id) {
    query *q = query_new(h, req, id, Q_EXPORT);
    if (!q) return;
    char format[16], lang[16];
    bool given = net_http_arg(h->net, req, "format", format, sizeof format);
    bool has_lang = net_http_arg(h->net, req, "lang", lang, sizeof lang);
    if (read_format(q, given ? format : NULL, has_lang ? lang : NULL)) begin(q);
}

/* GET with the token as Authorization: Bearer, or POST with the form
 * (core/api.h: a page opens it in a tab of its own, which no header can go
 * with); html unless asked md. */
void hub_http_summary(hub *h, uint64_t req, net_method m, const char *id, const char *body, size_t len) {
    query *q = query_new(h, req, id, Q_EXPORT);
    if (!q) return;
    q->participants = true;
    char format[16] = "html", lang[16] = "";
    if (m == NET_POST) {
        api_summary_form form;
        const char *why;
        if (q->has_key) {
            fail(q, 400, PROTO_EBAD_REQUEST, "give the token in the form or as Authorization: Bearer, not both");
            return;
        }
        if (!api_read_summary_form(body ? body : "", len, &form, &why)) {
            fail(q, 400, PROTO_EBAD_REQUEST, why);
            return;
        }
        snprintf(q->key, sizeof q->key, "%s", form.token);
        q->has_key = true;
        if (form.format[0]) snprintf(format, sizeof format, "%s", form.format);
        snprintf(lang, sizeof lang, "%s", form.lang);
        explicit_bzero(&form, sizeof form);
    } else {
        char v[sizeof format]; /* absent: the default stays (too long: net/ has answered 400) */
        if (net_http_arg(h->net, req, "format", v, sizeof v)) snprintf(format, sizeof format, "%s", v);
        if (net_http_arg(h->net, req, "lang", v, sizeof v)) snprintf(lang, sizeof lang, "%s", v);
    }
    if (!q->has_key) {
        fail(q, 401, PROTO_EFORBIDDEN, "this needs the participant's token (Authorization: Bearer TOKEN)");
        return;
    }
    if (read_format(q, format, lang)) begin(q);
}

void hub_history_export_for(hub *h, const char *id, bool json, export_lang lang, hub_export_fn fn, void *ud) {
    query *q = proto_valid_b64url(id, PROTO_WORKSHOP_ID_MAX) ? query_new(h, 0, id, Q_EXPORT) : NULL;
    if (!q) {
        fn(ud, PROTO_EINTERNAL, "the workshop's export could not be made", NULL, 0);
        return;
    }
    q->export_fn = fn;
    q->export_ud = ud;
    q->format = json ? F_JSON : F_MD;
    q->lang = lang;
    begin(q);
}

/* ---- DELETE ---- */

/* Everyone in a deleted workshop is told, then disconnected; the room goes
 * when the last one has left. */
void hub_workshop_deleted(hub *h, const char *id) {
    hub_room *r = hub_room_find(h, id);
    if (!r) return;
    r->deleted = true;
    for (size_t i = 0; i < r->nsess; i++) {
        uint64_t conn = r->sessions[i]->conn;
        hub_workshop_write_deleted(&h->scratch); /* said first, so that a client can tell it from a wrong link */
        net_send_sbuf(h->net, conn, &h->scratch);
        hub_send_error(h, conn, PROTO_ENOT_FOUND, "this workshop was deleted", PROTO_NONE, NULL);
        net_close(h->net, conn, 1000, "workshop deleted");
    }
    hub_room_linger_end(r); /* nobody may join it again: it goes once its connections have closed */
}

static void got_deleted(redisReply *reply, void *priv) {
    query *q = priv;
    if (!reply) {
        unavailable(q);
        return;
    }
    if (reply->type != REDIS_REPLY_INTEGER) {
        lwsl_err("deleting workshop %s: %s\n", q->id, reply->type == REDIS_REPLY_ERROR ? reply->str : "?");
        fail(q, 500, PROTO_EINTERNAL, "the workshop could not be deleted");
        return;
    }
    if (reply->integer == 0) {
        fail(q, 404, PROTO_ENOT_FOUND, "no workshop with this id");
        return;
    }
    if (reply->integer == -3 && q->delete_tries++ < 3) { /* it joined a partnership since meta was read */
        begin(q);
        return;
    }
    if (reply->integer < 0) {
        fail(q, 503, PROTO_EUNAVAILABLE, "the workshop changed meanwhile; try again");
        return;
    }
    lwsl_notice("workshop %s deleted by its facilitator\n", q->id);
    hub_workshop_deleted(q->h, q->id);
    net_http_respond_as(q->h->net, q->req, 204, "application/json", NULL, &q->out);
    query_free(q);
}

bool hub_delete_cmd(hub *h, const char *function, const char *first, const char *id, const char *code,
                    const char *partnership, const redisReply *poll_ids, const char *arg, store_reply_fn fn,
                    void *priv) {
    static const char *const whats[] = {"code", "meta", "events", "marks", "snaps", "people", "lastop", "polls",
                                        "balance", "signoff", "board", "groups"};
    enum { NFIXED = sizeof whats / sizeof whats[0], LEAD = 3 /* FCALL name count */ };
    const bool series = partnership && partnership[0];
    size_t nfirst = first ? 1 : 0, nworkshop = nfirst + NFIXED + poll_ids->elements, n = nworkshop + (series ? 2 : 0);
    size_t argc = LEAD + n + (arg ? 1 : 0) + (series ? 1 : 0);
    char **keys = calloc(n, sizeof *keys);
    const char **argv = calloc(argc, sizeof *argv);
    size_t *lens = calloc(argc, sizeof *lens);
    bool ok = keys && argv && lens;
    for (size_t i = nfirst; ok && i < nworkshop; i++) {
        size_t k = i - nfirst;
        char what[32 + POLL_ID_MAX];
        if (k < NFIXED) snprintf(what, sizeof what, "%s", whats[k]);
        else if (poll_ids->element[k - NFIXED]->type == REDIS_REPLY_STRING && poll_valid_id(poll_ids->element[k - NFIXED]->str))
            snprintf(what, sizeof what, "ballots:%s", poll_ids->element[k - NFIXED]->str);
        else snprintf(what, sizeof what, "%s", "polls"); /* a stray field: name a key we delete anyway */
        ok = (keys[i] = malloc(HUB_KEY_MAX)) && (k == 0 ? hub_code_key(keys[i], HUB_KEY_MAX, code)
                                                       : hub_key(keys[i], HUB_KEY_MAX, id, what));
    }
    /* The partnership's keys last (atelier_delete's nseries says they are there). */
    for (size_t i = nworkshop; ok && i < n; i++)
        ok = (keys[i] = malloc(HUB_KEY_MAX)) &&
             hub_series_key(keys[i], HUB_KEY_MAX, partnership, i == nworkshop ? "meta" : "workshops");
    if (ok) {
        char count[SBUF_I64_MAX + 1];
        snprintf(count, sizeof count, "%zu", n);
        argv[0] = "FCALL";
        argv[1] = function;
        argv[2] = count;
        for (size_t i = 0; i < n; i++) argv[LEAD + i] = i < nfirst ? first : keys[i];
        if (arg) argv[LEAD + n] = arg;
        if (series) argv[LEAD + n + (arg ? 1 : 0)] = "2";
        for (size_t i = 0; i < argc; i++) lens[i] = strlen(argv[i]);
        store_durability d = hub_durability(h);
        ok = h->store && store_write_argv(h->store, &d, fn, priv, (int)argc, argv, lens);
    }
    for (size_t i = 0; keys && i < n; i++) free(keys[i]);
    free(keys);
    free(argv);
    free(lens);
    return ok;
}

static void got_poll_ids(redisReply *reply, void *priv) {
    query *q = array_reply(reply, priv);
    if (!q) return;
    if (!hub_delete_cmd(q->h, "atelier_delete", NULL, q->id, q->code, q->partnership, reply, NULL, got_deleted, q))
        unavailable(q);
}

void hub_http_delete(hub *h, uint64_t req, const char *id) {
    query *q = query_new(h, req, id, Q_DELETE);
    if (q) begin(q);
}

static void start_export(query *q) {
    q->view = q->participants ? HIST_PUBLIC : HIST_FACILITATOR; /* the summary's writers take their view from m and st */
    SEND(q, got_people, "HGETALL %s", q->k_people);
}

/* ---- The participants' summary: whose token, and whether it has ended ---- */

#define NO_SUCH_TOKEN "this is not a participant token of this workshop"

/* The person the token names must be of the workshop and the token's
 * secret theirs; an observer's only while the link they came with is the
 * workshop's (got_state); then the workshop must have ended. */
static void got_state(redisReply *reply, void *priv) {
    query *q = array_reply(reply, priv);
    if (!q) return;
    const char *state = reply->elements == 2 ? hub_reply_text(reply, 0) : "";
    const char *okey = reply->elements == 2 ? hub_reply_text(reply, 1) : "";
    bool admitted = !q->observer_okey[0] || (okey[0] && proto_same_secret(okey, q->observer_okey));
    explicit_bzero(q->observer_okey, sizeof q->observer_okey);
    if (!admitted) fail(q, 403, PROTO_EFORBIDDEN, NO_SUCH_TOKEN);
    else if (strcmp(state, "ended") != 0)
        fail(q, 409, PROTO_ENOT_ENDED, "the participants' summary is there once the workshop has ended");
    else start_export(q);
}

static void got_person(redisReply *reply, void *priv) {
    query *q = priv;
    if (!reply) {
        unavailable(q);
        return;
    }
    const char *dot = strchr(q->key, '.');
    person_record p;
    if (reply->type != REDIS_REPLY_STRING || !dot || !person_read(reply->str, &p)) {
        fail(q, 403, PROTO_EFORBIDDEN, NO_SUCH_TOKEN);
        return;
    }
    bool same = proto_same_secret(p.secret, dot + 1);
    if (p.role == WK_OBSERVER) snprintf(q->observer_okey, sizeof q->observer_okey, "%s", p.okey[0] ? p.okey : "-");
    person_record_free(&p);
    if (!same) fail(q, 403, PROTO_EFORBIDDEN, NO_SUCH_TOKEN);
    else SEND(q, got_state, "HMGET %s state okey", q->k_meta);
}

/* The token is the welcome's "PID.SECRET". */
static void check_participant(query *q) {
    char pid[WK_PID_LEN + 1];
    const char *dot = strchr(q->key, '.');
    if (!dot || dot - q->key != WK_PID_LEN) {
        fail(q, 403, PROTO_EFORBIDDEN, NO_SUCH_TOKEN);
        return;
    }
    memcpy(pid, q->key, WK_PID_LEN);
    pid[WK_PID_LEN] = '\0';
    if (!proto_valid_b64url(pid, WK_PID_LEN)) fail(q, 403, PROTO_EFORBIDDEN, NO_SUCH_TOKEN);
    else SEND(q, got_person, "HGET %s %s", q->k_people, pid);
}

static void start_kind(query *q) {
    switch (q->kind) {
    case Q_HISTORY:
        if (q->compact) {
            start_compact(q);
            break;
        }
        put_workshop(&q->out, q, "{\"workshop\":");
        sbuf_puts(&q->out, ",\"events\":[");
        start_page(q);
        break;
    case Q_STATE:
    case Q_TEXT:
        start_state(q);
        break;
    case Q_EXPORT:
        if (q->participants) check_participant(q);
        else start_export(q);
        break;
    case Q_DELETE: {
        char k_polls[HUB_KEY_MAX];
        if (!hub_key(k_polls, HUB_KEY_MAX, q->id, "polls")) fail(q, 500, PROTO_EINTERNAL, "the workshop's keys do not fit");
        else SEND(q, got_poll_ids, "HKEYS %s", k_polls);
        break;
    }
    }
}
