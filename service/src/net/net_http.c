/* The JSON API and /healthz. Bodies are small JSON documents with a
 * Content-Length (browsers' fetch always sends one); replies may come later,
 * from Redis, so requests are named by id. Big replies (an exported history)
 * are written in pieces, one per writable callback, so one download never
 * holds the loop. */
#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "net/net_internal.h"

#define MAX_BODY (64 * 1024)
#define WRITE_PIECE (64 * 1024) /* bytes of a big body written per writable callback */
#define CONTENT_LENGTH_MAX 64   /* bytes of a Content-Length value read (a longer one counts as missing) */

static int64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static net_server *server_of(struct lws *wsi) { return lws_context_user(lws_get_context(wsi)); }

void net_http_respond_as(net_server *n, uint64_t req, int status, const char *content_type, const char *filename,
                         sbuf *b) {
    net_http *h = net_slot_get(n, req, SLOT_HTTP);
    if (!h || h->status || !sbuf_ok(b)) {
        sbuf_reset(b);
        return;
    }
    if (!b->buf) sbuf_puts(b, ""); /* an empty body still needs its head room */
    if (!b->buf) return;
    h->status = status;
    h->resp = b->buf;
    h->resp_len = b->len;
    h->resp_sent = 0;
    b->buf = NULL;
    b->len = b->cap = 0;
    snprintf(h->content_type, sizeof h->content_type, "%s", content_type);
    snprintf(h->filename, sizeof h->filename, "%s", filename ? filename : "");
    snprintf(h->timing, sizeof h->timing, "app;dur=%.3f", (double)(now_us() - h->started_us) / 1000.0);
    lws_callback_on_writable(h->wsi);
}

void net_http_respond(net_server *n, uint64_t req, int status, sbuf *b) {
    net_http_respond_as(n, req, status, "application/json", NULL, b);
}

static void respond_error(net_server *n, net_http *h, int status, const char *code, const char *message);

bool net_http_arg(net_server *n, uint64_t req, const char *name, char *buf, size_t len) {
    net_http *h = net_slot_get(n, req, SLOT_HTTP);
    if (!h || len < 2 || len > 4096) return false;
    size_t nl = strlen(name);
    char frag[4200];
    /* An empty or oversized argument ("?&rev=1") fails to copy like a missing
     * one, so look at a bounded number of them rather than stop at the first. */
    for (int i = 0; i < 32; i++) {
        if (lws_hdr_copy_fragment(h->wsi, frag, (int)sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i) <= 0) continue;
        if (strncmp(frag, name, nl) != 0 || frag[nl] != '=') continue;
        size_t vl = strlen(frag + nl + 1);
        if (vl >= len) { /* never read as absent: the answer would be to another question */
            respond_error(n, h, 400, "bad_request", "a query argument is too long");
            return false;
        }
        memcpy(buf, frag + nl + 1, vl + 1);
        return true;
    }
    return false;
}

/* What a request's Authorization header holds. */
typedef enum { AUTH_NONE, AUTH_BEARER, AUTH_MALFORMED } net_auth;

/* A token68 (RFC 7235): letters, digits, -._~+/ then '=' padding. */
static bool token68(const char *t, size_t len) {
    size_t i = 0;
    while (i < len && (isalnum((unsigned char)t[i]) || strchr("-._~+/", t[i]))) i++;
    if (i == 0) return false;
    while (i < len && t[i] == '=') i++;
    return i == len;
}

/* "Bearer TOKEN", the scheme in any case (RFC 7235), TOKEN a token68 of at
 * most AUTH_TOKEN_MAX bytes, into tok. Anything else present is malformed:
 * refused, never read as no key at all. */
#define AUTH_TOKEN_MAX 128
static net_auth authorization(struct lws *wsi, char tok[AUTH_TOKEN_MAX + 1]) {
    char v[AUTH_TOKEN_MAX + 32];
    int total = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    if (total <= 0) return AUTH_NONE;
    if (total >= (int)sizeof v || lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, 1) > 0 ||
        lws_hdr_copy(wsi, v, sizeof v, WSI_TOKEN_HTTP_AUTHORIZATION) <= 0)
        return AUTH_MALFORMED;
    if (strncasecmp(v, "bearer ", 7) != 0) return AUTH_MALFORMED;
    const char *t = v + 7;
    while (*t == ' ') t++;
    size_t tl = strlen(t);
    while (tl && t[tl - 1] == ' ') tl--;
    if (tl > AUTH_TOKEN_MAX || !token68(t, tl)) return AUTH_MALFORMED;
    memcpy(tok, t, tl);
    tok[tl] = '\0';
    return AUTH_BEARER;
}

bool net_http_bearer(net_server *n, uint64_t req, char *buf, size_t len) {
    net_http *h = net_slot_get(n, req, SLOT_HTTP);
    char tok[AUTH_TOKEN_MAX + 1];
    if (!h || authorization(h->wsi, tok) != AUTH_BEARER || strlen(tok) >= len) return false;
    memcpy(buf, tok, strlen(tok) + 1);
    return true;
}

bool net_http_peer(net_server *n, uint64_t req, char *buf, size_t len) {
    net_http *h = net_slot_get(n, req, SLOT_HTTP);
    return h && net_client_address(n, h->wsi, buf, len);
}

bool net_http_header(net_server *n, uint64_t req, const char *name, const char *value) {
    net_http *h = net_slot_get(n, req, SLOT_HTTP);
    if (!h || h->status || h->nextra == NET_HTTP_HEADERS) return false;
    net_header *x = &h->extra[h->nextra];
    if (strlen(name) >= sizeof x->name - 1 || strlen(value) >= sizeof x->value) return false;
    snprintf(x->name, sizeof x->name, "%s:", name); /* lws wants the colon */
    snprintf(x->value, sizeof x->value, "%s", value);
    h->nextra++;
    return true;
}

static void respond_error(net_server *n, net_http *h, int status, const char *code, const char *message) {
    net_refused(n, code);
    sbuf b;
    sbuf_init(&b, LWS_PRE);
    sbuf_puts(&b, "{\"error\":{\"code\":\"");
    sbuf_puts(&b, code);
    sbuf_puts(&b, "\",\"message\":");
    sbuf_put_jstrz(&b, message);
    sbuf_puts(&b, "}}");
    net_http_respond(n, h->id, status, &b);
    sbuf_free(&b);
}

/* The layer above decides what the request means. */
static void route(net_server *n, net_http *h) {
    n->on.http_request(n->user, h->id, h->method, h->path, h->body, h->body_len);
}

/* A Content-Length: decimal digits only, at most max. -1 when it is not one. */
static long content_length(const char *v, long max) {
    long n = 0;
    if (!*v) return -1;
    for (; *v; v++) {
        if (*v < '0' || *v > '9') return -1;
        n = n * 10 + (*v - '0');
        if (n > max) return max + 1; /* over the limit however many digits follow */
    }
    return n;
}

static void finish(net_server *n, net_http *h);

static int start(struct lws *wsi, net_server *n, net_http *h) {
    if (h->id) finish(n, h); /* a keep-alive connection's next request */
    memset(h, 0, sizeof *h);
    h->wsi = wsi;
    h->started_us = now_us();
    h->id = net_slot_add(n, SLOT_HTTP, h);
    if (!h->id) return -1;
    enum lws_token_indexes uri = WSI_TOKEN_GET_URI;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0) h->method = NET_POST, uri = WSI_TOKEN_POST_URI;
    else if (lws_hdr_total_length(wsi, WSI_TOKEN_DELETE_URI) > 0) h->method = NET_DELETE, uri = WSI_TOKEN_DELETE_URI;
    else h->method = NET_GET;
    int len = lws_hdr_total_length(wsi, uri) > 0 ? lws_hdr_copy(wsi, h->path, sizeof h->path, uri) : -1;
    if (len <= 0) {
        respond_error(n, h, 405, "bad_request", "only GET, POST and DELETE are supported");
        return 0;
    }
    char *q = strchr(h->path, '?');
    if (q) *q = '\0';
    char tok[AUTH_TOKEN_MAX + 1];
    if (authorization(wsi, tok) == AUTH_MALFORMED) {
        respond_error(n, h, 401, "forbidden", "the Authorization header is not \"Bearer KEY\"");
        return 0;
    }
    if (h->method != NET_POST) {
        route(n, h);
        return 0;
    }
    char cl[CONTENT_LENGTH_MAX];
    if (lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0) {
        respond_error(n, h, 411, "bad_request", "a Content-Length is required");
        return 0;
    }
    long want = content_length(cl, MAX_BODY);
    if (want < 0) { /* where the body ends is unknown: nothing after it on this connection can be read */
        h->close_after = true;
        respond_error(n, h, 400, "bad_request", "the Content-Length is not a number");
        return 0;
    }
    if (want > MAX_BODY) {
        respond_error(n, h, 413, "too_large", "the body is over 64 KiB");
        return 0;
    }
    if (want == 0) route(n, h); /* no body will come */
    return 0;
}

static int body(net_server *n, net_http *h, const char *in, size_t len) {
    if (h->status) return 0; /* already answered (too large): drop the rest */
    if (h->body_len + len > MAX_BODY) {
        respond_error(n, h, 413, "too_large", "the body is over 64 KiB");
        return 0;
    }
    char *p = realloc(h->body, h->body_len + len + 1);
    if (!p) return -1;
    h->body = p;
    if (len) memcpy(h->body + h->body_len, in, len); /* an empty body may come as (NULL, 0) */
    h->body_len += len;
    h->body[h->body_len] = '\0';
    return 0;
}

/* Whether the layer above gave this response a policy of its own. */
static bool own_policy(const net_http *h) {
    for (int i = 0; i < h->nextra; i++)
        if (strcmp(h->extra[i].name, "content-security-policy:") == 0) return true;
    return false;
}

/* The status line and common headers of a response with a policy of its
 * own: lws adds the server-wide policy to every response it heads (style
 * only from files: net_server.c's headers), and a browser enforces every
 * policy it is given, so this one is written here, with the same other
 * safety headers. */
static int write_own_head(struct lws *wsi, const net_http *h, unsigned char **p, unsigned char *end) {
    char status[32];
    int n = snprintf(status, sizeof status, "HTTP/1.1 %d %s", h->status, h->status == 200 ? "OK" : "");
    if (lws_add_http_header_by_name(wsi, NULL, (const unsigned char *)status, n, p, end)) return -1;
    for (const struct lws_protocol_vhost_options *o = server_of(wsi)->headers; o; o = o->next)
        if (strcmp(o->name, "content-security-policy:") != 0 &&
            lws_add_http_header_by_name(wsi, (const unsigned char *)o->name, (const unsigned char *)o->value,
                                        (int)strlen(o->value), p, end))
            return -1;
    if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, (const unsigned char *)h->content_type,
                                     (int)strlen(h->content_type), p, end) ||
        lws_add_http_header_content_length(wsi, h->resp_len, p, end))
        return -1;
    return 0;
}

static int write_headers(struct lws *wsi, net_http *h) {
    unsigned char headers[LWS_PRE + 768 + NET_HTTP_HEADERS * (32 + NET_HTTP_HEADER_MAX)];
    unsigned char *start = headers + LWS_PRE, *p = start, *end = headers + sizeof headers - 1;
    char disposition[160];
    int head = own_policy(h) ? write_own_head(wsi, h, &p, end)
                             : lws_add_http_common_headers(wsi, (unsigned int)h->status, h->content_type, h->resp_len,
                                                           &p, end);
    if (head ||
        lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL, (const unsigned char *)"no-store", 8, &p, end) ||
        lws_add_http_header_by_name(wsi, (const unsigned char *)"server-timing:", (const unsigned char *)h->timing,
                                    (int)strlen(h->timing), &p, end))
        return -1;
    if (h->status == 401 && lws_add_http_header_by_name(wsi, (const unsigned char *)"www-authenticate:",
                                                        (const unsigned char *)"Bearer", 6, &p, end))
        return -1;
    if (h->filename[0]) {
        int dl = snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", h->filename);
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)"content-disposition:",
                                        (const unsigned char *)disposition, dl, &p, end))
            return -1;
    }
    for (int i = 0; i < h->nextra; i++)
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)h->extra[i].name,
                                        (const unsigned char *)h->extra[i].value, (int)strlen(h->extra[i].value), &p,
                                        end))
            return -1;
    if (lws_finalize_write_http_header(wsi, start, &p, end)) return -1;
    h->headers_sent = true;
    return 0;
}

/* A response's reader must take each piece within this many handshakes. lws
 * gives a request handshake_secs from its headers to be answered whole, which
 * would cut a big download however well it goes; each piece renews this
 * instead, and a client that stops reading is closed, not kept with the body
 * in memory. */
#define STALL_HANDSHAKES 3

static int write_response(struct lws *wsi, net_http *h) {
    if (!h->status || !h->resp) return 0;
    lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, STALL_HANDSHAKES * server_of(wsi)->cfg.handshake_secs);
    if (!h->headers_sent) {
        if (write_headers(wsi, h)) return -1;
        if (h->resp_len) {
            lws_callback_on_writable(wsi); /* the body in the next callbacks */
            return 0;
        }
    }
    if (h->resp_len) {
        size_t piece = h->resp_len - h->resp_sent;
        if (piece > WRITE_PIECE) piece = WRITE_PIECE;
        bool last = h->resp_sent + piece == h->resp_len;
        /* lws may write a frame header in the LWS_PRE bytes before what it
         * sends: give each piece its own head room rather than the body's. */
        unsigned char *out = (unsigned char *)h->resp + LWS_PRE + h->resp_sent;
        unsigned char stash[LWS_PRE] = {0};
        if (h->resp_sent) memcpy(stash, out - LWS_PRE, LWS_PRE);
        int w = lws_write(wsi, out, piece, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
        if (h->resp_sent) memcpy(out - LWS_PRE, stash, LWS_PRE);
        if (w != (int)piece) return -1;
        h->resp_sent += piece;
        if (!last) {
            lws_callback_on_writable(wsi);
            return 0;
        }
    }
    free(h->resp);
    h->resp = NULL;
    if (h->close_after) return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static void finish(net_server *n, net_http *h) {
    if (h->id) net_slot_remove(n, h->id);
    h->id = 0;
    free(h->body);
    free(h->resp);
    h->body = h->resp = NULL;
}

/* An answer written at once, before lws routes the request (and closes the
 * connection after it when the filter returns nonzero). */
static int refuse_now(struct lws *wsi, unsigned int status, const char *code, const char *message) {
    char body[256];
    unsigned char head[LWS_PRE + 1024], *start = head + LWS_PRE, *p = start, *end = head + sizeof head - 1;
    unsigned char out[LWS_PRE + sizeof body];
    int blen = snprintf(body, sizeof body, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code, message);
    if (blen < 0 || blen >= (int)sizeof body) return -1;
    net_refused(server_of(wsi), code);
    if (lws_add_http_common_headers(wsi, status, "application/json", (lws_filepos_t)blen, &p, end) ||
        lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION, (const unsigned char *)"close", 5, &p, end) ||
        lws_finalize_http_header(wsi, &p, end) ||
        lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP_HEADERS) < 0)
        return -1;
    memcpy(out + LWS_PRE, body, (size_t)blen);
    lws_write(wsi, out + LWS_PRE, (size_t)blen, LWS_WRITE_HTTP_FINAL);
    return 1;
}

/* Methods lws parses that nothing here serves: refused before any body is
 * read (lws would otherwise route them as GETs). */
static const enum lws_token_indexes unserved_methods[] = {WSI_TOKEN_PUT_URI, WSI_TOKEN_PATCH_URI, WSI_TOKEN_OPTIONS_URI};

int net_http_filter(struct lws *wsi) {
    for (size_t i = 0; i < sizeof unserved_methods / sizeof *unserved_methods; i++)
        if (lws_hdr_total_length(wsi, unserved_methods[i]) > 0)
            return refuse_now(wsi, 405, "bad_request", "this method is not supported");
    /* Where a body ends must be beyond doubt: a proxy in front that reads it
     * otherwise would hide a second request in it (request smuggling). */
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0)
        return refuse_now(wsi, 400, "bad_request", "Transfer-Encoding is not supported: send a Content-Length");
    if (lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, 1) > 0)
        return refuse_now(wsi, 400, "bad_request", "more than one Content-Length");
    return 0;
}

int net_http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    net_http *h = user;
    net_server *n = server_of(wsi);
    switch (reason) {
    case LWS_CALLBACK_FILTER_HTTP_CONNECTION:
        return net_http_filter(wsi);
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return net_ws_confirm_upgrade(wsi, in);
    case LWS_CALLBACK_HTTP:
        return start(wsi, n, h);
    case LWS_CALLBACK_HTTP_BODY:
        return h->id ? body(n, h, in, len) : -1;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (h->id && !h->status) route(n, h);
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return h->id ? write_response(wsi, h) : -1;
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
        if (h && h->id) finish(n, h);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}
