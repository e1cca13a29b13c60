/* hub_series_next.c -- POST /api/workshops/{id}/next (protocol/series.md):
 * the next workshop of a partnership, made from an ended one: a creation (the
 * same rate and creation token as POST /api/workshops) by the ended
 * workshop's facilitator (its key), which reads what is carried over, one
 * part after the other (core/series.h: the statement, then the agreement; a
 * new part is one more step in `carry_steps`), then atelier_next makes the
 * workshop and, the first time, the partnership, in one atomic step. The
 * new workshop has its own facilitator key, drawn here and answered once,
 * never derived from the old one. hub_series_read.c reads partnerships. */
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
    unsigned parts;                        /* the parts carried (bit SERIES_PART_*): the board only when it has items */
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

/* The board: whether it has anything to carry (an ended workshop's board
 * does not change); atelier_next copies it, in the same step as the rest. */
static void got_board_size(redisReply *reply, void *priv) {
    next_job *j = priv;
    if (!reply || reply->type != REDIS_REPLY_INTEGER) {
        next_fail(j, 503, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE);
        return;
    }
    if (reply->integer > 0) j->parts |= 1u << SERIES_PART_BOARD;
    carry_next(j);
}

static void carry_board(next_job *j) {
    char kboard[HUB_KEY_MAX];
    if (!hub_key(kboard, sizeof kboard, j->prev, "board") || !j->h->store ||
        !store_cmd(j->h->store, got_board_size, j, "HLEN %s", kboard))
        next_fail(j, 503, PROTO_EUNAVAILABLE, HUB_UNAVAILABLE);
}

static void (*const carry_steps[SERIES_NPARTS])(next_job *) = {
    [SERIES_PART_STATEMENT] = carry_statement,
    [SERIES_PART_AGREEMENT] = carry_agreement,
    [SERIES_PART_BOARD] = carry_board,
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
    sbuf_puts(b, ",\"carried\":");
    series_write_parts(b, j->parts);
    sbuf_putc(b, '}');
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
    char k[15][HUB_KEY_MAX], created_s[HUB_MS_TEXT], max_s[16];
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
    /* The board: copied by atelier_next itself, in the same step (core/series.h). */
    keyed = keyed && hub_key(k[11], HUB_KEY_MAX, j->prev, "board") && hub_key(k[12], HUB_KEY_MAX, j->prev, "groups") &&
            hub_key(k[13], HUB_KEY_MAX, j->id, "board") && hub_key(k[14], HUB_KEY_MAX, j->id, "groups");
    sbuf agenda_json, carried;
    sbuf_init(&agenda_json, 0);
    sbuf_init(&carried, 0);
    hub_default_agenda_json(&agenda_json);
    series_write_carried(&carried, j->prev_title, j->parts, sbuf_data(&j->agreement));
    const char *title = j->title ? j->title : j->prev_title;
    store_durability durability = hub_durability(h);
    if (!keyed || !h->store || !sbuf_ok(&agenda_json) || !sbuf_ok(&carried) ||
        !store_write(h->store, &durability, nexted, j,
                     "FCALL atelier_next 15 %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %b %s %s %s %s %s %s %s",
                     k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], k[8], k[9], k[10], k[11], k[12], k[13], k[14], title,
                     j->fkey, created_s,
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
    j->parts = (1u << SERIES_PART_STATEMENT) | (1u << SERIES_PART_AGREEMENT); /* the board: once read */
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

