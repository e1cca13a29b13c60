/* hub_series_read.c -- /api/partnerships/{id}[/export] (protocol/series.md):
 * GET reads the partnership and each of its workshops from Redis (nothing
 * is cached, so every server process answers the same); with the facilitator
 * key of one of its workshops the answer adds the workshops' ids (their
 * links), and the export and the renaming (POST) need it. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/series_diff.h"
#include "hub/hub_internal.h"

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
