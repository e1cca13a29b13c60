/* The HTTP API: routes (net/ hands every request under /api and /healthz
 * here), errors, health, creating a workshop and reading its public fields.
 * History, state, export and deletion are in hub_history.c; join codes in
 * hub_code.c. */
#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/api.h"
#include "hub/hub_internal.h"

bool hub_api_path(const char *prefix, const char *p, char *id, size_t idn, const char **what) {
    size_t plen = strlen(prefix);
    if (strncmp(p, prefix, plen) != 0) return false;
    p += plen;
    const char *slash = strchr(p, '/');
    size_t len = slash ? (size_t)(slash - p) : strlen(p);
    if (len == 0 || len >= idn) return false;
    memcpy(id, p, len);
    id[len] = '\0';
    *what = slash ? slash + 1 : "";
    return true;
}

/* GET, or DELETE, /api/workshops/{id}[/what]; POST …/next */
static void route_workshop(hub *h, uint64_t req, net_method m, const char *id, const char *what, const char *body,
                           size_t len) {
    if (strcmp(what, "next") == 0) {
        if (m == NET_POST) hub_http_next(h, req, id, body ? body : "", len);
        else hub_http_error(h, req, 405, PROTO_EBAD_REQUEST, "use POST to prepare the next workshop");
    } else if (strcmp(what, "summary") == 0) {
        if (m == NET_GET || m == NET_POST) hub_http_summary(h, req, m, id, body, len);
        else hub_http_error(h, req, 405, PROTO_EBAD_REQUEST, "use GET or POST to read the participants' summary");
    } else if (what[0] && m != NET_GET) hub_http_error(h, req, 405, PROTO_EBAD_REQUEST, "use GET to read this");
    else if (!what[0] && m == NET_GET) hub_http_get(h, req, id);
    else if (!what[0] && m == NET_DELETE) hub_http_delete(h, req, id);
    else if (!what[0]) hub_http_error(h, req, 405, PROTO_EBAD_REQUEST, "use GET to read a workshop");
    else if (strcmp(what, "history") == 0) hub_http_history(h, req, id);
    else if (strcmp(what, "state") == 0) hub_http_state(h, req, id);
    else if (strcmp(what, "export") == 0) hub_http_export(h, req, id);
    else hub_http_error(h, req, 404, PROTO_ENOT_FOUND, "no such API endpoint");
}

void hub_http_request(void *hub_, uint64_t req, net_method m, const char *path, const char *body, size_t len) {
    hub *h = hub_;
    /* Room for ids longer than any workshop's: each handler answers "no
     * workshop with this id" to those; longer paths are no endpoint. */
    char id[HUB_PATH_ID_MAX];
    const char *what;
    if (strcmp(path, "/healthz") == 0 && m == NET_GET) {
        hub_http_health(h, req);
    } else if (strcmp(path, "/metrics") == 0) {
        if (m == NET_GET) hub_http_metrics(h, req);
        else hub_http_error(h, req, 405, PROTO_EBAD_REQUEST, "use GET to read the metrics");
    } else if (strncmp(path, "/api/join/", 10) == 0) {
        if (m == NET_GET) hub_http_join(h, req, path + 10);
        else hub_http_error(h, req, 405, PROTO_EBAD_REQUEST, "use GET to look a join code up");
    } else if (strcmp(path, "/api/workshops") == 0) {
        if (m == NET_POST) hub_http_create(h, req, body ? body : "", len);
        else hub_http_error(h, req, 405, PROTO_EBAD_REQUEST, "use POST to create a workshop");
    } else if (hub_api_path("/api/workshops/", path, id, sizeof id, &what)) {
        route_workshop(h, req, m, id, what, body, len);
    } else if (strncmp(path, "/api/partnerships/", 18) == 0) {
        hub_http_partnership(h, req, m, path, body, len);
    } else {
        hub_http_error(h, req, 404, PROTO_ENOT_FOUND, "no such API endpoint");
    }
}

bool hub_http_within_limit(hub *h, uint64_t req, limiter *l, const char *why) {
    char peer[NET_PEER_MAX], retry_after[SBUF_I64_MAX + 1];
    int retry = 0;
    if (!net_http_peer(h->net, req, peer, sizeof peer)) snprintf(peer, sizeof peer, "%s", "?");
    if (limiter_take(l, peer, hub_now_us(), &retry)) return true;
    snprintf(retry_after, sizeof retry_after, "%d", retry);
    net_http_header(h->net, req, "retry-after", retry_after);
    hub_http_error(h, req, 429, PROTO_ERATE_LIMITED, why);
    return false;
}

void hub_http_error(hub *h, uint64_t req, int status, proto_err e, const char *why) {
    hub_count_error(h, proto_err_code(e));
    sbuf *b = &h->scratch;
    sbuf_puts(b, "{\"error\":{\"code\":\"");
    sbuf_puts(b, proto_err_code(e));
    sbuf_puts(b, "\",\"message\":");
    sbuf_put_jstrz(b, why);
    sbuf_puts(b, "}}");
    net_http_respond(h->net, req, status, b);
}

/* {"status"}; with ?details=1 also what this process holds (protocol/schema/healthz.json). */
void hub_http_health(hub *h, uint64_t req) {
    sbuf *b = &h->scratch;
    bool up = h->store && store_up(h->store);
    char details[2];
    sbuf_puts(b, up ? "{\"status\":\"ok\"" : "{\"status\":\"unavailable\"");
    if (net_http_arg(h->net, req, "details", details, sizeof details) && details[0] == '1')
        sbuf_printf(b, ",\"rooms\":%zu,\"sessions\":%zu", h->nrooms, h->nsessions);
    sbuf_putc(b, '}');
    net_http_respond(h->net, req, up ? 200 : 503, b);
}

typedef struct http_create {
    hub *h;
    uint64_t req;
    char id[PROTO_WORKSHOP_ID_LEN + 1];
    char fkey[PROTO_KEY_LEN + 1];
    char *title;
    char *text;                         /* the statement at revision 0 */
    char time_zone[WHEN_ZONE_MAX + 1];
    char code[WK_CODE_LEN + 1];         /* the join code drawn */
    int tries;                          /* codes drawn so far */
    int64_t created;
} http_create;

static void http_create_free(http_create *c) {
    free(c->title);
    free(c->text);
    free(c);
}

static void send_create(http_create *c);

static void created(redisReply *reply, void *priv) {
    http_create *c = priv;
    hub *h = c->h;
    if (!reply) {
        hub_http_error(h, c->req, 503, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE);
    } else if (reply->type == REDIS_REPLY_INTEGER && reply->integer == -1 && c->tries < HUB_CODE_TRIES) {
        send_create(c); /* the code is another open workshop's: draw again */
        return;
    } else if (reply->type != REDIS_REPLY_INTEGER || reply->integer != 1) {
        lwsl_err("creating workshop: %s\n", reply->type == REDIS_REPLY_ERROR ? reply->str
                                         : reply->type == REDIS_REPLY_INTEGER && reply->integer == -1
                                             ? "no free join code"
                                             : "id already taken");
        hub_http_error(h, c->req, 500, PROTO_EINTERNAL, "could not create the workshop");
    } else {
        sbuf *b = &h->scratch;
        sbuf_puts(b, "{\"id\":");
        sbuf_put_jstrz(b, c->id);
        sbuf_puts(b, ",\"facilitator_key\":");
        sbuf_put_jstrz(b, c->fkey);
        sbuf_puts(b, ",\"title\":");
        sbuf_put_jstrz(b, c->title);
        sbuf_puts(b, ",\"created\":");
        sbuf_put_i64(b, c->created);
        hub_workshop_write_fields(b, c->time_zone, c->code, false, 0);
        sbuf_puts(b, ",\"deletes_at\":");
        sbuf_put_i64(b, hub_retention_deletes_at(h, c->created));
        sbuf_putc(b, '}');
        net_http_respond(h->net, c->req, 201, b);
    }
    http_create_free(c);
}

void hub_default_agenda_json(sbuf *out) {
    agenda phases; /* a new workshop gets the method's phases (protocol/agreement.md) */
    agenda_default(&phases);
    agenda_write_phases(out, &phases);
}

/* FCALL atelier_create with a new join code; on failure the request is
 * answered (503) and c freed. */
static void send_create(http_create *c) {
    hub *h = c->h;
    char kmeta[HUB_KEY_MAX], ksnaps[HUB_KEY_MAX], kevents[HUB_KEY_MAX], kmarks[HUB_KEY_MAX], kcode[HUB_KEY_MAX],
        created_s[HUB_MS_TEXT];
    hub_ms_text(created_s, c->created);
    c->tries++;
    bool keyed = hub_code_draw(c->code) && hub_key(kmeta, sizeof kmeta, c->id, "meta") &&
                 hub_key(ksnaps, sizeof ksnaps, c->id, "snaps") && hub_key(kevents, sizeof kevents, c->id, "events") &&
                 hub_key(kmarks, sizeof kmarks, c->id, "marks") && hub_code_key(kcode, sizeof kcode, c->code);
    sbuf agenda_json;
    store_durability durability = hub_durability(h);
    sbuf_init(&agenda_json, 0);
    hub_default_agenda_json(&agenda_json);
    if (!keyed || !h->store || !sbuf_ok(&agenda_json) ||
        !store_write(h->store, &durability, created, c, "FCALL atelier_create 6 %s %s %s %s %s %s %s %s %s %s %s %s %s", kmeta,
                   ksnaps, kevents, kmarks, kcode, HUB_RETENTION_KEY, c->title, c->fkey, created_s, c->text, c->time_zone, c->code,
                   sbuf_data(&agenda_json))) {
        hub_http_error(h, c->req, 503, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE);
        http_create_free(c);
    }
    sbuf_free(&agenda_json);
}

bool hub_http_bearer_is(hub *h, uint64_t req, const char *secret) {
    char token[HUB_CREATE_TOKEN_MAX + 2] = {0}; /* one byte more than a token: a longer guess cannot match */
    net_http_bearer(h->net, req, token, sizeof token);
    bool ok = proto_same_secret(secret, token);
    explicit_bzero(token, sizeof token);
    return ok;
}

/* Who may create (README, "Who may create workshops"): every attempt counts
 * against the address's rate, a wrong token too (so it cannot be guessed
 * fast); then the token, when the server has one. */
static bool may_create(hub *h, uint64_t req) {
    if (!hub_http_within_limit(h, req, &h->create_limits,
                               "too many workshops created from this address; try again later"))
        return false;
    bool ok = !h->cfg.create_token || hub_http_bearer_is(h, req, h->cfg.create_token);
    if (!ok) hub_http_error(h, req, 401, PROTO_EFORBIDDEN, "creating a workshop needs this server's creation token "
                                                             "(Authorization: Bearer TOKEN)");
    return ok;
}

void hub_http_create(hub *h, uint64_t req, const char *body, size_t len) {
    if (!may_create(h, req)) return;
    api_create a;
    const char *why;
    proto_err e = api_read_create(body, len, &a, &why);
    if (e == PROTO_OK && !hub_tz_exists(a.time_zone)) {
        e = PROTO_EBAD_REQUEST;
        why = "\"time_zone\" is not a time zone this server knows (see the IANA tz database: \"Europe/Paris\")";
    }
    if (e != PROTO_OK) {
        api_create_free(&a);
        hub_http_error(h, req, e == PROTO_EBAD_REQUEST ? 400 : 500, e, why);
        return;
    }
    if (!h->store || !store_up(h->store)) {
        api_create_free(&a);
        hub_http_error(h, req, 503, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE);
        return;
    }
    http_create *c = calloc(1, sizeof *c);
    if (!c || !net_random_b64url(c->id, PROTO_WORKSHOP_ID_LEN) || !net_random_b64url(c->fkey, PROTO_KEY_LEN)) {
        free(c);
        api_create_free(&a);
        hub_http_error(h, req, 500, PROTO_EINTERNAL, "could not create the workshop");
        return;
    }
    c->title = a.title; /* c owns them now */
    c->text = a.text;
    c->h = h;
    c->req = req;
    c->created = hub_now_ms();
    snprintf(c->time_zone, sizeof c->time_zone, "%s", a.time_zone);
    send_create(c);
}

/* The public fields up to the list of people present, left open. */
static void put_public(sbuf *b, const char *id, const char *title, int64_t created, int64_t rev, const char *time_zone,
                       const char *code, bool ended, int64_t ended_at, int64_t deletes_at, const char *partnership,
                       const char *carried) {
    sbuf_puts(b, "{\"id\":");
    sbuf_put_jstrz(b, id);
    sbuf_puts(b, ",\"title\":");
    sbuf_put_jstrz(b, title);
    sbuf_puts(b, ",\"created\":");
    sbuf_put_i64(b, created);
    sbuf_puts(b, ",\"rev\":");
    sbuf_put_i64(b, rev);
    hub_workshop_write_fields(b, time_zone, code, ended, ended_at);
    sbuf_puts(b, ",\"deletes_at\":");
    sbuf_put_i64(b, deletes_at);
    if (series_valid_id(partnership)) { /* meta's, never the room's: atelier_next writes it without telling rooms */
        sbuf_puts(b, ",\"partnership\":");
        sbuf_put_jstrz(b, partnership);
    }
    if (carried && carried[0] == '{') { /* JSON atelier_next stored (series_write_carried): what it started from */
        sbuf_puts(b, ",\"carried\":");
        sbuf_puts(b, carried);
    }
    sbuf_puts(b, ",\"present\":[");
}

void hub_write_present(sbuf *b, const char *name, const char *org, wk_role role, int slot, bool first) {
    if (!first) sbuf_putc(b, ',');
    sbuf_puts(b, "{\"name\":");
    sbuf_put_jstrz(b, name);
    sbuf_puts(b, ",\"organisation\":");
    sbuf_put_jstrz(b, org);
    sbuf_puts(b, ",\"role\":");
    sbuf_put_jstrz(b, wk_role_name(role));
    if (slot >= 0) {
        sbuf_puts(b, ",\"slot\":");
        sbuf_put_i64(b, slot);
    }
    sbuf_putc(b, '}');
}

typedef struct http_get {
    hub *h;
    uint64_t req;
    char id[PROTO_WORKSHOP_ID_MAX + 1];
} http_get;

/* A room loaded here answers from memory (who is present is known at
 * once); meta's `active`, read with it, says when the retention ends. */
static void answer_loaded(hub *h, uint64_t req, const hub_room *r, int64_t deletes_at, const char *partnership,
                          const char *carried) {
    sbuf *b = &h->scratch;
    const workshop *w = r->w;
    put_public(b, r->id, w->title, w->created, w->rev, w->time_zone, w->code, w->ended, w->ended_at, deletes_at,
               partnership, carried);
    bool first = true;
    for (size_t i = 0; i < w->npeople; i++) {
        const wk_participant *p = &w->people[i];
        if (!wk_present(p)) continue;
        hub_write_present(b, p->name, p->org, p->role, wk_org_slot(w, p), first);
        first = false;
    }
    sbuf_puts(b, "]}");
    net_http_respond(h->net, req, 200, b);
}

/* Not loaded here: who is present is known from the history and the
 * processes that are alive. */
static void answer_stored(hub *h, uint64_t req, const char *id, const redisReply *meta, int64_t deletes_at) {
    sbuf b;
    sbuf_init(&b, 0);
    put_public(&b, id, meta->element[0]->str, strtoll(hub_reply_text(meta, 1), NULL, 10),
               strtoll(hub_reply_text(meta, 2), NULL, 10), hub_reply_text(meta, 3), hub_reply_text(meta, 4),
               strcmp(hub_reply_text(meta, 5), "ended") == 0, strtoll(hub_reply_text(meta, 6), NULL, 10), deletes_at,
               hub_reply_text(meta, 8), hub_reply_text(meta, 9));
    char *answer = sbuf_ok(&b) ? strndup(sbuf_data(&b), b.len) : NULL;
    sbuf_free(&b);
    if (answer) hub_presence_answer(h, req, id, answer);
    else hub_http_error(h, req, 500, PROTO_EINTERNAL, "out of memory");
}

static void got_meta(redisReply *reply, void *priv) {
    http_get *g = priv;
    hub *h = g->h;
    if (!reply) hub_http_error(h, g->req, 503, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE);
    else if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 10 || reply->element[0]->type != REDIS_REPLY_STRING)
        hub_http_error(h, g->req, 404, PROTO_ENOT_FOUND, "no workshop with this id");
    else {
        /* Meta's `active` (a workshop from before retention has none: its creation then). */
        int64_t deletes_at =
            hub_retention_deletes_at_meta(h, hub_reply_text(reply, 7), strtoll(hub_reply_text(reply, 1), NULL, 10));
        const hub_room *r = hub_room_find(h, g->id);
        if (r && r->deleted) hub_http_error(h, g->req, 404, PROTO_ENOT_FOUND, "no workshop with this id");
        else if (r && r->state == ROOM_READY) answer_loaded(h, g->req, r, deletes_at, hub_reply_text(reply, 8), hub_reply_text(reply, 9));
        else answer_stored(h, g->req, g->id, reply, deletes_at);
    }
    free(g);
}

void hub_http_get(hub *h, uint64_t req, const char *id) {
    if (!proto_valid_b64url(id, PROTO_WORKSHOP_ID_MAX)) {
        hub_http_error(h, req, 404, PROTO_ENOT_FOUND, "no workshop with this id");
        return;
    }
    http_get *g = calloc(1, sizeof *g);
    if (!g) {
        hub_http_error(h, req, 500, PROTO_EINTERNAL, "out of memory");
        return;
    }
    g->h = h;
    g->req = req;
    snprintf(g->id, sizeof g->id, "%s", id);
    char kmeta[HUB_KEY_MAX];
    if (!hub_key(kmeta, sizeof kmeta, id, "meta") || !h->store ||
        !store_cmd(h->store, got_meta, g, "HMGET %s title created rev time_zone code state ended_at active partnership carried", kmeta)) {
        free(g);
        hub_http_error(h, req, 503, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE);
    }
}

