/* Join codes: six digits a participant types to find a workshop (the
 * presenter view shows them), valid while the workshop is open. A code is
 * drawn at creation and held in Redis as atelier:code:CODE -> workshop id by
 * the Functions (atelier_create takes it, atelier_workshop lets it go at the
 * end and takes it again on reopening, atelier_delete removes it), so it is
 * unique among open workshops; a code already held is drawn again.
 *
 * GET /api/join/CODE answers {"id"} while the workshop is open. A million
 * codes are few: lookups are counted per client address (10 a minute, a
 * burst of 10; past that 429 with Retry-After), every lookup, found or not,
 * so that codes cannot be enumerated. The count is this process's: N server
 * processes allow N times as many. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/hub_internal.h"

#define JOIN_PER_MINUTE 10
#define JOIN_BURST 10
#define JOIN_ADDRESSES 4096 /* addresses counted at once; more wait their turn (core/limiter.h) */
#define NO_SUCH_CODE "no open workshop has this code"

bool hub_code_init(hub *h) { return limiter_init(&h->join_limits, JOIN_ADDRESSES, JOIN_PER_MINUTE, JOIN_BURST); }

void hub_code_free(hub *h) { limiter_free(&h->join_limits); }

bool hub_code_draw(char code[WK_CODE_LEN + 1]) { return net_random_digits(code, WK_CODE_LEN); }

bool hub_code_valid(const char *code) {
    if (strlen(code) != WK_CODE_LEN) return false;
    for (size_t i = 0; i < WK_CODE_LEN; i++)
        if (code[i] < '0' || code[i] > '9') return false;
    return true;
}

bool hub_code_key(char *dst, size_t n, const char *code) {
    /* A workshop made before join codes has none: a key no workshop holds. */
    int len = snprintf(dst, n, "atelier:code:%s", hub_code_valid(code) ? code : "none");
    return len > 0 && (size_t)len < n;
}

/* ---- GET /api/join/CODE ---- */

typedef struct code_lookup {
    hub *h;
    uint64_t req;
    char id[PROTO_WORKSHOP_ID_MAX + 1];
} code_lookup;

static void answer(code_lookup *l, int status, const char *why) {
    if (status == 200) {
        sbuf *b = &l->h->scratch;
        sbuf_puts(b, "{\"id\":");
        sbuf_put_jstrz(b, l->id);
        sbuf_putc(b, '}');
        net_http_respond(l->h->net, l->req, 200, b);
    } else {
        hub_http_error(l->h, l->req, status, status == 503 ? PROTO_EUNAVAILABLE : PROTO_ENOT_FOUND, why);
    }
    free(l);
}

/* The workshop's state: open, or ended (its code is let go then; this is the
 * last word should a key have outlived it). */
static void got_state(redisReply *reply, void *priv) {
    code_lookup *l = priv;
    bool open = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
                reply->element[0]->type == REDIS_REPLY_STRING &&
                !(reply->element[1]->type == REDIS_REPLY_STRING && strcmp(reply->element[1]->str, "ended") == 0);
    if (!reply) answer(l, 503, HUB_UNAVAILABLE);
    else answer(l, open ? 200 : 404, NO_SUCH_CODE);
}

static void got_id(redisReply *reply, void *priv) {
    code_lookup *l = priv;
    char kmeta[HUB_KEY_MAX];
    if (!reply) {
        answer(l, 503, HUB_UNAVAILABLE);
    } else if (reply->type != REDIS_REPLY_STRING || !proto_valid_b64url(reply->str, PROTO_WORKSHOP_ID_MAX)) {
        answer(l, 404, NO_SUCH_CODE);
    } else {
        snprintf(l->id, sizeof l->id, "%s", reply->str);
        if (!hub_key(kmeta, sizeof kmeta, l->id, "meta") || !l->h->store ||
            !store_cmd(l->h->store, got_state, l, "HMGET %s title state", kmeta))
            answer(l, 503, HUB_UNAVAILABLE);
    }
}

void hub_http_join(hub *h, uint64_t req, const char *code) {
    /* Counted before anything else: a malformed code costs a lookup too. */
    if (!hub_http_within_limit(h, req, &h->join_limits, "too many join code lookups from this address; try again later"))
        return;
    char kcode[HUB_KEY_MAX];
    if (!hub_code_valid(code) || !hub_code_key(kcode, sizeof kcode, code)) {
        hub_http_error(h, req, 404, PROTO_ENOT_FOUND, NO_SUCH_CODE);
        return;
    }
    code_lookup *l = calloc(1, sizeof *l);
    if (!l) {
        hub_http_error(h, req, 500, PROTO_EINTERNAL, "out of memory");
        return;
    }
    l->h = h;
    l->req = req;
    if (!h->store || !store_cmd(h->store, got_id, l, "GET %s", kcode)) answer(l, 503, HUB_UNAVAILABLE);
}
