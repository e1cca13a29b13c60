/* hub_series.c -- a partnership as a series of workshops (protocol/series.md).
 *
 * POST /api/workshops/{id}/next makes the next workshop from an ended one:
 * a creation (the same rate and creation token as POST /api/workshops)
 * by the ended workshop's facilitator (its key), which reads what is
 * carried over, one part after the other (core/series.h: the statement,
 * then the agreement; a new part is one more step in `carry_steps`), then
 * atelier_next makes the workshop and, the first time, the partnership,
 * in one atomic step. The new workshop has its own facilitator key, drawn
 * here and answered once, never derived from the old one.
 *
 * GET /api/partnerships/{id} reads the partnership and each of its
 * workshops from Redis (nothing is cached, so every server process answers
 * the same); with the facilitator key of one of its workshops the answer
 * adds the workshops' ids (their links), and the export and the renaming
 * need it. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/series_diff.h"
#include "hub/hub_internal.h"

bool hub_series_key(char *dst, size_t n, const char *partnership_id, const char *what) {
    int len = snprintf(dst, n, "atelier:{p:%s}:%s", partnership_id, what);
    return len > 0 && (size_t)len < n;
}

/* ====================== POST /api/workshops/{id}/next ====================== */

#define NEXT_REREADS 3 /* the ended workshop's partnership moved under us: read it again at most this often */

typedef struct next_job {
    hub *h;
    uint64_t req;
    char prev[PROTO_WORKSHOP_ID_MAX + 1];  /* the ended workshop */
    char key[PROTO_KEY_MAX + 1];           /* its facilitator key, as given */
    char *title;                           /* the new workshop's (NULL: the ended one's); owned */
    /* read from the ended workshop's meta */
    char *prev_title;
    char *agreed;                          /* meta's `agreed` ("" none) */
    char time_zone[WHEN_ZONE_MAX + 1];
    char partnership[SERIES_ID_MAX + 1];   /* "" when in none yet: then pid is drawn */
    int64_t rev;
    /* carried */
    int step;                              /* the carried part being read */
    char *text;                            /* the final statement (the new one's revision 0) */
    size_t text_len;
    sbuf agreement;                        /* JSON of the agreement carried ("null" when none) */
    char **decisions;                      /* HVALS of the sign-off: each organisation's decision (JSON); owned */
    size_t ndecisions;
    /* the new workshop */
    char id[PROTO_WORKSHOP_ID_LEN + 1];
    char fkey[PROTO_KEY_LEN + 1];
    char code[WK_CODE_LEN + 1];
    int tries, rereads;
    int64_t created;
} next_job;

static void next_free(next_job *j) {
    explicit_bzero(j->key, sizeof j->key);
    free(j->title);
    free(j->prev_title);
    free(j->agreed);
    free(j->text);
    sbuf_free(&j->agreement);
    for (size_t i = 0; i < j->ndecisions; i++) free(j->decisions[i]);
    free(j->decisions);
    free(j);
}

static void next_fail(next_job *j, int status, proto_err e, const char *why) {
    hub_http_error(j->h, j->req, status, e, why);
    next_free(j);
}

static void next_read_prev(next_job *j);
static void carry_next(next_job *j);
static void send_next(next_job *j);

/* ---- The carried parts, in order (core/series.h) ---- */

/* The statement: the ended workshop's final text. */
static void got_final_text(void *ud, proto_err e, const char *why, const char *text, size_t len) {
    next_job *j = ud;
    if (!text) {
        next_fail(j, e == PROTO_EUNAVAILABLE ? 503 : 500, e, why);
        return;
    }
    free(j->text);
    j->text = malloc(len + 1);
    if (!j->text) {
        next_fail(j, 500, PROTO_EINTERNAL, "out of memory");
        return;
    }
    memcpy(j->text, text, len);
    j->text[len] = '\0';
    j->text_len = len;
    carry_next(j);
}

static void carry_statement(next_job *j) { hub_history_text_at(j->h, j->prev, j->rev, got_final_text, j); }

/* The agreement: the text agreed, then who endorsed it (the sign-off's decisions). */
static void write_agreement(next_job *j, const char *text, size_t len) {
    const series_agreement_in in = {j->agreed, (const char *const *)j->decisions, j->ndecisions, text, len};
    sbuf_reset(&j->agreement);
    series_write_agreement(&j->agreement, &in);
    carry_next(j);
}

static void got_agreed_text(void *ud, proto_err e, const char *why, const char *text, size_t len) {
    next_job *j = ud;
    if (!text) next_fail(j, e == PROTO_EUNAVAILABLE ? 503 : 500, e, why);
    else write_agreement(j, text, len);
}

static void got_decisions(redisReply *reply, void *priv) {
    next_job *j = priv;
    int64_t rev;
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        next_fail(j, 503, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE);
        return;
    }
    j->decisions = calloc(reply->elements + 1, sizeof *j->decisions);
    for (size_t i = 0; j->decisions && i < reply->elements; i++)
        if (reply->element[i]->type == REDIS_REPLY_STRING && !(j->decisions[j->ndecisions++] = strdup(reply->element[i]->str))) {
            next_fail(j, 500, PROTO_EINTERNAL, "out of memory");
            return;
        }
    if (!j->decisions) {
        next_fail(j, 500, PROTO_EINTERNAL, "out of memory");
        return;
    }
    if (!series_agreed_rev(j->agreed, &rev)) write_agreement(j, NULL, 0);
    else if (rev == j->rev && j->text) write_agreement(j, j->text, j->text_len);
    else hub_history_text_at(j->h, j->prev, rev, got_agreed_text, j);
}

static void carry_agreement(next_job *j) {
    char ksignoff[HUB_KEY_MAX];
    if (!j->agreed[0]) { /* never agreed: nothing to carry */
        sbuf_reset(&j->agreement);
        sbuf_puts(&j->agreement, "null");
        carry_next(j);
    } else if (!hub_key(ksignoff, sizeof ksignoff, j->prev, "signoff") || !j->h->store ||
               !store_cmd(j->h->store, got_decisions, j, "HVALS %s", ksignoff)) {
        next_fail(j, 503, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE);
    }
}

static void (*const carry_steps[SERIES_NPARTS])(next_job *) = {
    [SERIES_PART_STATEMENT] = carry_statement,
    [SERIES_PART_AGREEMENT] = carry_agreement,
};

/* The next part, or, all read, the creation. */
static void carry_next(next_job *j) {
    if (j->step < SERIES_NPARTS) carry_steps[j->step++](j);
    else send_next(j);
}

/* ---- Reading the ended workshop ---- */

static void got_prev(redisReply *reply, void *priv) {
    next_job *j = priv;
    if (!reply) {
        next_fail(j, 503, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE);
        return;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 7 || reply->element[0]->type != REDIS_REPLY_STRING) {
        next_fail(j, 404, PROTO_ENOT_FOUND, "no workshop with this id");
        return;
    }
    if (!proto_same_secret(hub_reply_text(reply, 1), j->key)) {
        next_fail(j, 403, PROTO_EFORBIDDEN, "this is not the facilitator key of this workshop");
        return;
    }
    if (strcmp(hub_reply_text(reply, 2), "ended") != 0) {
        next_fail(j, 400, PROTO_EBAD_REQUEST,
                  "this workshop has not ended: end it before preparing the next one (workshop_end)");
        return;
    }
    const char *partnership = hub_reply_text(reply, 3), *tz = hub_reply_text(reply, 6);
    free(j->prev_title);
    free(j->agreed);
    j->prev_title = strdup(reply->element[0]->str);
    j->agreed = strdup(hub_reply_text(reply, 5));
    j->rev = strtoll(hub_reply_text(reply, 4), NULL, 10);
    snprintf(j->time_zone, sizeof j->time_zone, "%s", when_valid_zone_name(tz) ? tz : WHEN_UTC);
    if (!j->prev_title || !j->agreed) {
        next_fail(j, 500, PROTO_EINTERNAL, "out of memory");
        return;
    }
    if (series_valid_id(partnership)) snprintf(j->partnership, sizeof j->partnership, "%s", partnership);
    else if (!net_random_b64url(j->partnership, SERIES_ID_LEN)) {
        next_fail(j, 500, PROTO_EINTERNAL, "could not draw the partnership's id");
        return;
    }
    j->step = 0;
    carry_next(j);
}

static void next_read_prev(next_job *j) {
    char kmeta[HUB_KEY_MAX];
    if (!hub_key(kmeta, sizeof kmeta, j->prev, "meta") || !j->h->store ||
        !store_cmd(j->h->store, got_prev, j, "HMGET %s title fkey state partnership rev agreed time_zone", kmeta))
        next_fail(j, 503, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE);
}

/* ---- The creation ---- */

static void write_created(next_job *j) {
    hub *h = j->h;
    sbuf *b = &h->scratch;
    sbuf_puts(b, "{\"id\":");
    sbuf_put_jstrz(b, j->id);
    sbuf_puts(b, ",\"facilitator_key\":");
    sbuf_put_jstrz(b, j->fkey);
    sbuf_puts(b, ",\"title\":");
    sbuf_put_jstrz(b, j->title ? j->title : j->prev_title);
    sbuf_puts(b, ",\"created\":");
    sbuf_put_i64(b, j->created);
    hub_workshop_write_fields(b, j->time_zone, j->code, false, 0);
    sbuf_puts(b, ",\"deletes_at\":");
    sbuf_put_i64(b, hub_retention_deletes_at(h, j->created));
    sbuf_puts(b, ",\"partnership\":");
    sbuf_put_jstrz(b, j->partnership);
    sbuf_puts(b, ",\"from\":");
    sbuf_put_jstrz(b, j->prev);
    sbuf_puts(b, ",\"carried\":[");
    for (int p = 0; p < SERIES_NPARTS; p++) {
        if (p) sbuf_putc(b, ',');
        sbuf_put_jstrz(b, series_part_name((series_part)p));
    }
    sbuf_puts(b, "]}");
    net_http_respond(h->net, j->req, 201, b);
}

static void nexted(redisReply *reply, void *priv) {
    next_job *j = priv;
    long long status = reply && reply->type == REDIS_REPLY_INTEGER ? reply->integer : -100;
    if (!reply) {
        next_fail(j, 503, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE);
    } else if (status == 1) {
        lwsl_notice("workshop %s made from workshop %s (partnership %s)\n", j->id, j->prev, j->partnership);
        write_created(j);
        next_free(j);
    } else if (status == -1 && j->tries < HUB_CODE_TRIES) {
        send_next(j); /* the code is another open workshop's: draw again */
    } else if (status == -5 && j->rereads++ < NEXT_REREADS) {
        j->partnership[0] = '\0'; /* another next was made meanwhile: read the ended workshop again */
        next_read_prev(j);
    } else if (status == -2) {
        next_fail(j, 404, PROTO_ENOT_FOUND, "no workshop with this id");
    } else if (status == -3) {
        next_fail(j, 400, PROTO_EBAD_REQUEST, "this workshop has not ended: end it before preparing the next one");
    } else if (status == -4) {
        next_fail(j, 400, PROTO_EBAD_REQUEST,
                  "this workshop has a next one already: prepare the next workshop from the partnership's last");
    } else if (status == -6) {
        next_fail(j, 400, PROTO_ETOO_LARGE, "this partnership holds as many workshops as it may (20)");
    } else {
        lwsl_err("next workshop of %s: %s\n", j->prev, reply->type == REDIS_REPLY_ERROR ? reply->str : "?");
        next_fail(j, 500, PROTO_EINTERNAL, "could not create the workshop");
    }
}

/* FCALL atelier_next with a new id, key and join code. */
static void send_next(next_job *j) {
    hub *h = j->h;
    char k[11][HUB_KEY_MAX], created_s[HUB_MS_TEXT], max_s[16];
    static const char *const mine[] = {"meta", "snaps", "events", "marks"};
    static const char *const prevs[] = {"meta", "events", "marks"};
    j->tries++;
    if (!j->id[0] && (!net_random_b64url(j->id, PROTO_WORKSHOP_ID_LEN) || !net_random_b64url(j->fkey, PROTO_KEY_LEN))) {
        next_fail(j, 500, PROTO_EINTERNAL, "could not create the workshop");
        return;
    }
    j->created = hub_now_ms();
    hub_ms_text(created_s, j->created);
    snprintf(max_s, sizeof max_s, "%d", SERIES_MAX_WORKSHOPS);
    bool keyed = hub_code_draw(j->code) && hub_code_key(k[4], HUB_KEY_MAX, j->code) &&
                 snprintf(k[5], HUB_KEY_MAX, "%s", HUB_RETENTION_KEY) > 0 &&
                 hub_series_key(k[9], HUB_KEY_MAX, j->partnership, "meta") &&
                 hub_series_key(k[10], HUB_KEY_MAX, j->partnership, "workshops");
    for (int i = 0; i < 4; i++) keyed = keyed && hub_key(k[i], HUB_KEY_MAX, j->id, mine[i]);
    for (int i = 0; i < 3; i++) keyed = keyed && hub_key(k[6 + i], HUB_KEY_MAX, j->prev, prevs[i]);
    sbuf agenda_json, carried;
    sbuf_init(&agenda_json, 0);
    sbuf_init(&carried, 0);
    hub_default_agenda_json(&agenda_json);
    series_write_carried(&carried, j->prev_title, sbuf_data(&j->agreement));
    const char *title = j->title ? j->title : j->prev_title;
    store_durability durability = hub_durability(h);
    if (!keyed || !h->store || !sbuf_ok(&agenda_json) || !sbuf_ok(&carried) ||
        !store_write(h->store, &durability, nexted, j,
                     "FCALL atelier_next 11 %s %s %s %s %s %s %s %s %s %s %s %s %s %s %b %s %s %s %s %s %s %s", k[0],
                     k[1], k[2], k[3], k[4], k[5], k[6], k[7], k[8], k[9], k[10], title, j->fkey, created_s,
                     j->text ? j->text : "", j->text_len, j->time_zone, j->code, sbuf_data(&agenda_json),
                     j->partnership, j->prev_title, max_s, sbuf_data(&carried)))
        next_fail(j, 503, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE);
    sbuf_free(&agenda_json);
    sbuf_free(&carried);
}

void hub_http_next(hub *h, uint64_t req, const char *id, const char *body, size_t len) {
    if (!hub_http_within_limit(h, req, &h->create_limits,
                               "too many workshops created from this address; try again later"))
        return;
    series_next_req r;
    const char *why;
    proto_err e = series_read_next(body, len, &r, &why);
    if (e != PROTO_OK) {
        hub_http_error(h, req, e == PROTO_EBAD_REQUEST ? 400 : 500, e, why);
        return;
    }
    bool token_ok = !h->cfg.create_token || proto_same_secret(h->cfg.create_token, r.create_token);
    explicit_bzero(r.create_token, sizeof r.create_token);
    next_job *j = token_ok && proto_valid_b64url(id, PROTO_WORKSHOP_ID_MAX) ? calloc(1, sizeof *j) : NULL;
    if (!j) {
        series_next_req_free(&r);
        if (!token_ok)
            hub_http_error(h, req, 401, PROTO_EFORBIDDEN,
                           "creating a workshop needs this server's creation token (\"create_token\" in the body)");
        else if (!proto_valid_b64url(id, PROTO_WORKSHOP_ID_MAX))
            hub_http_error(h, req, 404, PROTO_ENOT_FOUND, "no workshop with this id");
        else hub_http_error(h, req, 500, PROTO_EINTERNAL, "out of memory");
        return;
    }
    j->h = h;
    j->req = req;
    j->title = r.title; /* j owns it now */
    sbuf_init(&j->agreement, 0);
    snprintf(j->prev, sizeof j->prev, "%s", id);
    if (!net_http_bearer(h->net, req, j->key, sizeof j->key)) {
        next_fail(j, 401, PROTO_EFORBIDDEN, "this needs the facilitator key (Authorization: Bearer KEY)");
        return;
    }
    if (!h->store || !store_up(h->store)) {
        next_fail(j, 503, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE);
        return;
    }
    next_read_prev(j);
}

/* ====================== /api/partnerships/{id} ====================== */

typedef enum { P_READ, P_EXPORT, P_RENAME } partnership_kind;

/* One workshop of the partnership, as read. */
typedef struct member {
    char id[PROTO_WORKSHOP_ID_MAX + 1];
    char *title;
    int64_t created, ended_at, rev;
    bool ended;
    bool gone;                  /* deleted between the list's reading and its own */
    char *start;                /* its text at revision 0 */
    size_t start_len;
    char *text;                 /* its final text */
    size_t text_len;
    series_orgs orgs;
    char *summary;              /* its export (P_EXPORT) */
    size_t summary_len;
} member;

typedef struct pjob {
    hub *h;
    uint64_t req;
    partnership_kind kind;
    char id[SERIES_ID_MAX + 1];
    char k_meta[HUB_KEY_MAX];
    bool has_key;
    char key[PROTO_KEY_MAX + 1];
    bool facilitator;           /* the key is one of its workshops' */
    bool json;                  /* export: JSON (else Markdown) */
    export_lang lang;
    char *new_title;            /* rename */
    char *title;
    int64_t created;
    member m[SERIES_MAX_WORKSHOPS];
    size_t n, i;                /* workshops; the one being read */
} pjob;

static void pjob_free(pjob *p) {
    explicit_bzero(p->key, sizeof p->key);
    for (size_t i = 0; i < p->n; i++) {
        free(p->m[i].title);
        free(p->m[i].start);
        free(p->m[i].text);
        free(p->m[i].summary);
        series_orgs_free(&p->m[i].orgs);
    }
    free(p->new_title);
    free(p->title);
    free(p);
}

static void pfail(pjob *p, int status, proto_err e, const char *why) {
    hub_http_error(p->h, p->req, status, e, why);
    pjob_free(p);
}

#define PSEND(p, fn, ...)                                                                                             \
    do {                                                                                                              \
        if (!(p)->h->store || !store_cmd((p)->h->store, fn, p, __VA_ARGS__))                                          \
            pfail(p, 503, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE);                                                       \
    } while (0)

static char *copy_bytes(const char *s, size_t len) {
    char *c = malloc(len + 1);
    if (c) {
        memcpy(c, s, len);
        c[len] = '\0';
    }
    return c;
}

static void read_member(pjob *p);
static void members_read(pjob *p);

static void member_done(pjob *p) {
    p->i++;
    read_member(p);
}

static void got_member_text(void *ud, proto_err e, const char *why, const char *text, size_t len) {
    pjob *p = ud;
    member *m = &p->m[p->i];
    if (!text && e == PROTO_ENOT_FOUND) m->gone = true;
    else if (!text) {
        pfail(p, e == PROTO_EUNAVAILABLE ? 503 : 500, e, why);
        return;
    } else if (!(m->text = copy_bytes(text, len))) {
        pfail(p, 500, PROTO_EINTERNAL, "out of memory");
        return;
    }
    m->text_len = len;
    member_done(p);
}

static void got_member_balance(redisReply *reply, void *priv) {
    pjob *p = priv;
    member *m = &p->m[p->i];
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        pfail(p, 503, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE);
        return;
    }
    const char **kv = calloc(reply->elements + 1, sizeof *kv);
    if (!kv) {
        pfail(p, 500, PROTO_EINTERNAL, "out of memory");
        return;
    }
    for (size_t i = 0; i < reply->elements; i++) kv[i] = hub_reply_text(reply, i);
    series_orgs_read(&m->orgs, kv, reply->elements);
    free(kv);
    hub_history_text_at(p->h, m->id, m->rev, got_member_text, p);
}

static void got_member_start(redisReply *reply, void *priv) {
    pjob *p = priv;
    member *m = &p->m[p->i];
    char kbalance[HUB_KEY_MAX];
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        pfail(p, 503, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE);
        return;
    }
    /* the first snapshot, 0-1: the text at revision 0 (its fields: text event t) */
    const redisReply *e = reply->elements ? reply->element[0] : NULL, *kv = e && e->elements == 2 ? e->element[1] : NULL;
    const char *start = "";
    size_t start_len = 0;
    for (size_t i = 0; kv && i + 1 < kv->elements; i += 2)
        if (kv->element[i]->type == REDIS_REPLY_STRING && strcmp(kv->element[i]->str, "text") == 0 &&
            kv->element[i + 1]->type == REDIS_REPLY_STRING) {
            start = kv->element[i + 1]->str;
            start_len = kv->element[i + 1]->len;
        }
    if (!(m->start = copy_bytes(start, start_len))) {
        pfail(p, 500, PROTO_EINTERNAL, "out of memory");
        return;
    }
    m->start_len = start_len;
    if (!hub_key(kbalance, sizeof kbalance, m->id, "balance")) pfail(p, 500, PROTO_EINTERNAL, "bad key");
    else PSEND(p, got_member_balance, "HGETALL %s", kbalance);
}

static void got_member_meta(redisReply *reply, void *priv) {
    pjob *p = priv;
    member *m = &p->m[p->i];
    char ksnaps[HUB_KEY_MAX];
    if (!reply) {
        pfail(p, 503, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE);
        return;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 6 || reply->element[0]->type != REDIS_REPLY_STRING) {
        m->gone = true; /* deleted since the list was read */
        member_done(p);
        return;
    }
    if (p->has_key && proto_same_secret(hub_reply_text(reply, 5), p->key)) p->facilitator = true;
    m->title = strdup(reply->element[0]->str);
    m->created = strtoll(hub_reply_text(reply, 1), NULL, 10);
    m->ended = strcmp(hub_reply_text(reply, 2), "ended") == 0;
    m->ended_at = strtoll(hub_reply_text(reply, 3), NULL, 10);
    m->rev = strtoll(hub_reply_text(reply, 4), NULL, 10);
    if (!m->title) {
        pfail(p, 500, PROTO_EINTERNAL, "out of memory");
        return;
    }
    if (p->kind == P_RENAME) { /* only who may rename it matters */
        member_done(p);
        return;
    }
    if (!hub_key(ksnaps, sizeof ksnaps, m->id, "snaps")) pfail(p, 500, PROTO_EINTERNAL, "bad key");
    else PSEND(p, got_member_start, "XRANGE %s - + COUNT 1", ksnaps);
}

static void read_member(pjob *p) {
    char kmeta[HUB_KEY_MAX];
    if (p->i == p->n) {
        members_read(p);
        return;
    }
    if (!hub_key(kmeta, sizeof kmeta, p->m[p->i].id, "meta")) pfail(p, 500, PROTO_EINTERNAL, "bad key");
    else PSEND(p, got_member_meta, "HMGET %s title created state ended_at rev fkey", kmeta);
}

static void got_list(redisReply *reply, void *priv) {
    pjob *p = priv;
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        pfail(p, 503, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE);
        return;
    }
    for (size_t i = 0; i < reply->elements && p->n < SERIES_MAX_WORKSHOPS; i++) {
        const char *id = hub_reply_text(reply, i);
        if (proto_valid_b64url(id, PROTO_WORKSHOP_ID_MAX)) snprintf(p->m[p->n++].id, sizeof p->m[0].id, "%s", id);
    }
    read_member(p);
}

static void got_pmeta(redisReply *reply, void *priv) {
    pjob *p = priv;
    char klist[HUB_KEY_MAX];
    if (!reply) {
        pfail(p, 503, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE);
        return;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 || reply->element[0]->type != REDIS_REPLY_STRING) {
        pfail(p, 404, PROTO_ENOT_FOUND, "no partnership with this id");
        return;
    }
    p->title = strdup(reply->element[0]->str);
    p->created = strtoll(hub_reply_text(reply, 1), NULL, 10);
    if (!p->title) pfail(p, 500, PROTO_EINTERNAL, "out of memory");
    else if (!hub_series_key(klist, sizeof klist, p->id, "workshops")) pfail(p, 500, PROTO_EINTERNAL, "bad key");
    else PSEND(p, got_list, "LRANGE %s 0 %d", klist, SERIES_MAX_WORKSHOPS - 1);
}

/* ---- GET: the partnership and its workshops ---- */

static void write_read(pjob *p) {
    sbuf b;
    sbuf_init(&b, NET_PRE);
    sbuf_puts(&b, "{\"id\":");
    sbuf_put_jstrz(&b, p->id);
    sbuf_puts(&b, ",\"title\":");
    sbuf_put_jstrz(&b, p->title);
    sbuf_puts(&b, ",\"created\":");
    sbuf_put_i64(&b, p->created);
    sbuf_printf(&b, ",\"max_workshops\":%d,\"view\":\"%s\",\"workshops\":[", SERIES_MAX_WORKSHOPS,
                p->facilitator ? "facilitator" : "public");
    size_t k = 0;
    for (size_t i = 0; i < p->n; i++) {
        const member *m = &p->m[i];
        if (m->gone) continue;
        if (k) sbuf_putc(&b, ',');
        sbuf_printf(&b, "{\"n\":%zu", ++k);
        if (p->facilitator) { /* a workshop's id is its invitation: facilitators hand it out */
            sbuf_puts(&b, ",\"id\":");
            sbuf_put_jstrz(&b, m->id);
        }
        sbuf_puts(&b, ",\"title\":");
        sbuf_put_jstrz(&b, m->title);
        sbuf_puts(&b, ",\"created\":");
        sbuf_put_i64(&b, m->created);
        sbuf_puts(&b, m->ended ? ",\"state\":\"ended\",\"ended_at\":" : ",\"state\":\"open\"");
        if (m->ended) sbuf_put_i64(&b, m->ended_at);
        sbuf_puts(&b, ",\"rev\":");
        sbuf_put_i64(&b, m->rev);
        sbuf_puts(&b, ",\"start\":");
        sbuf_put_jstr(&b, m->start ? m->start : "", m->start_len);
        sbuf_puts(&b, ",\"text\":");
        sbuf_put_jstr(&b, m->text ? m->text : "", m->text_len);
        sbuf_puts(&b, ",\"organisations\":");
        series_orgs_write_json(&b, &m->orgs);
        sbuf_putc(&b, '}');
    }
    sbuf_puts(&b, "]}");
    if (!sbuf_ok(&b)) hub_http_error(p->h, p->req, 500, PROTO_EINTERNAL, "out of memory");
    else net_http_respond(p->h->net, p->req, 200, &b);
    sbuf_free(&b);
    pjob_free(p);
}

/* ---- GET /export: each workshop's own export, then the series' ---- */

static void export_member(pjob *p);

static void write_export(pjob *p) {
    series_member sm[SERIES_MAX_WORKSHOPS];
    size_t k = 0;
    for (size_t i = 0; i < p->n; i++) {
        const member *m = &p->m[i];
        if (m->gone) continue;
        sm[k++] = (series_member){m->id,   m->title, m->created,  m->ended,   m->start ? m->start : "", m->start_len,
                                  m->text ? m->text : "", m->text_len, &m->orgs, m->summary, m->summary_len};
    }
    const series_export s = {p->id, p->title, p->created, sm, k};
    sbuf b;
    sbuf_init(&b, NET_PRE);
    if (p->json) series_export_json(&b, &s);
    else series_export_markdown(&b, &s, p->lang);
    char name[96];
    snprintf(name, sizeof name, "partenariat-%s%s", p->id,
             p->json ? "-log.json" : p->lang == EXPORT_EN ? "-summary-en.md" : "-resume-fr.md");
    if (!sbuf_ok(&b)) hub_http_error(p->h, p->req, 500, PROTO_EINTERNAL, "out of memory");
    else net_http_respond_as(p->h->net, p->req, 200, p->json ? "application/json" : "text/markdown; charset=utf-8", name, &b);
    sbuf_free(&b);
    pjob_free(p);
}

static void got_member_export(void *ud, proto_err e, const char *why, const char *body, size_t len) {
    pjob *p = ud;
    member *m = &p->m[p->i];
    if (!body && e == PROTO_ENOT_FOUND) m->gone = true;
    else if (!body) {
        pfail(p, e == PROTO_EUNAVAILABLE ? 503 : 500, e, why);
        return;
    } else if (!(m->summary = copy_bytes(body, len))) {
        pfail(p, 500, PROTO_EINTERNAL, "out of memory");
        return;
    }
    m->summary_len = len;
    p->i++;
    export_member(p);
}

static void export_member(pjob *p) {
    while (p->i < p->n && p->m[p->i].gone) p->i++;
    if (p->i == p->n) write_export(p);
    else hub_history_export_for(p->h, p->m[p->i].id, p->json, p->lang, got_member_export, p);
}

/* ---- POST: a new title ---- */

static void renamed(redisReply *reply, void *priv) {
    pjob *p = priv;
    if (!reply || reply->type != REDIS_REPLY_INTEGER) {
        pfail(p, 503, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE);
        return;
    }
    if (reply->integer != 1) {
        pfail(p, 404, PROTO_ENOT_FOUND, "no partnership with this id");
        return;
    }
    sbuf *b = &p->h->scratch;
    sbuf_puts(b, "{\"id\":");
    sbuf_put_jstrz(b, p->id);
    sbuf_puts(b, ",\"title\":");
    sbuf_put_jstrz(b, p->new_title);
    sbuf_putc(b, '}');
    net_http_respond(p->h->net, p->req, 200, b);
    pjob_free(p);
}

/* Every workshop read: answer, or go on with what needs the key. */
static void members_read(pjob *p) {
    if (p->has_key && !p->facilitator) {
        pfail(p, 403, PROTO_EFORBIDDEN, "this is not the facilitator key of a workshop of this partnership");
        return;
    }
    if (p->kind == P_READ) {
        write_read(p);
        return;
    }
    if (!p->facilitator) { /* no key at all */
        pfail(p, 401, PROTO_EFORBIDDEN,
              "this needs the facilitator key of one of its workshops (Authorization: Bearer KEY)");
        return;
    }
    if (p->kind == P_EXPORT) {
        p->i = 0;
        export_member(p);
        return;
    }
    store_durability d = hub_durability(p->h);
    if (!p->h->store || !store_write(p->h->store, &d, renamed, p, "FCALL atelier_series_title 1 %s %s", p->k_meta,
                                     p->new_title))
        pfail(p, 503, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE);
}

/* The kind of request, or false (answered) when it is none. */
static bool partnership_kind_of(hub *h, uint64_t req, net_method m, const char *what, partnership_kind *kind) {
    if (!what[0] && m == NET_GET) *kind = P_READ;
    else if (!what[0] && m == NET_POST) *kind = P_RENAME;
    else if (strcmp(what, "export") == 0 && m == NET_GET) *kind = P_EXPORT;
    else if (!what[0] || strcmp(what, "export") == 0) {
        hub_http_error(h, req, 405, PROTO_EBAD_REQUEST, "use GET to read a partnership, POST to rename it");
        return false;
    } else {
        hub_http_error(h, req, 404, PROTO_ENOT_FOUND, "no such API endpoint");
        return false;
    }
    return true;
}

/* The export's format and language from the query; false (answered) when wrong. */
static bool read_export_args(pjob *p) {
    char v[16];
    bool given = net_http_arg(p->h->net, p->req, "format", v, sizeof v);
    if (!given || (strcmp(v, "md") != 0 && strcmp(v, "json") != 0)) {
        pfail(p, 400, PROTO_EBAD_REQUEST, "\"format\" must be md or json");
        return false;
    }
    p->json = strcmp(v, "json") == 0;
    if (net_http_arg(p->h->net, p->req, "lang", v, sizeof v) && !export_lang_from_name(v, &p->lang)) {
        pfail(p, 400, PROTO_EBAD_REQUEST, "\"lang\" must be fr or en");
        return false;
    }
    return true;
}

void hub_http_partnership(hub *h, uint64_t req, net_method m, const char *path, const char *body, size_t len) {
    char id[SERIES_ID_MAX + 1];
    const char *what;
    partnership_kind kind;
    if (!hub_api_path("/api/partnerships/", path, id, sizeof id, &what) || !series_valid_id(id)) {
        hub_http_error(h, req, 404, PROTO_ENOT_FOUND, "no partnership with this id");
        return;
    }
    if (!partnership_kind_of(h, req, m, what, &kind)) return;
    pjob *p = calloc(1, sizeof *p);
    if (!p) {
        hub_http_error(h, req, 500, PROTO_EINTERNAL, "out of memory");
        return;
    }
    p->h = h;
    p->req = req;
    p->kind = kind;
    p->lang = EXPORT_FR;
    snprintf(p->id, sizeof p->id, "%s", id);
    p->has_key = net_http_bearer(h->net, req, p->key, sizeof p->key);
    if (kind == P_EXPORT && !read_export_args(p)) return;
    if (kind == P_RENAME) {
        const char *why;
        proto_err e = series_read_title(body ? body : "", len, &p->new_title, &why);
        if (e != PROTO_OK) {
            pfail(p, e == PROTO_EBAD_REQUEST ? 400 : 500, e, why);
            return;
        }
    }
    if (!hub_series_key(p->k_meta, sizeof p->k_meta, id, "meta")) pfail(p, 500, PROTO_EINTERNAL, "bad key");
    else PSEND(p, got_pmeta, "HMGET %s title created", p->k_meta);
}
