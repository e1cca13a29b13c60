/* The JSON API and /healthz. Bodies are small JSON documents with a
 * Content-Length (browsers' fetch always sends one); replies may come later,
 * from Redis, so requests are named by id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net_internal.h"

#define MAX_BODY (64 * 1024)

static net_server *server_of(struct lws *wsi) { return lws_context_user(lws_get_context(wsi)); }

void net_http_respond(net_server *n, uint64_t req, int status, sbuf *b) {
    net_http *h = net_slot_get(n, req, SLOT_HTTP);
    if (!h || h->status || !sbuf_ok(b) || !b->buf) {
        sbuf_reset(b);
        return;
    }
    h->status = status;
    h->resp = b->buf;
    h->resp_len = b->len;
    b->buf = NULL;
    b->len = b->cap = 0;
    lws_callback_on_writable(h->wsi);
}

static void respond_error(net_server *n, net_http *h, int status, const char *code, const char *message) {
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

static void route(net_server *n, net_http *h) {
    const char *p = h->path;
    if (strcmp(p, "/healthz") == 0 && !h->is_post) {
        hub_http_health(n->hub, h->id);
    } else if (strcmp(p, "/api/workshops") == 0) {
        if (h->is_post) hub_http_create(n->hub, h->id, h->body ? h->body : "", h->body_len);
        else respond_error(n, h, 405, "bad_request", "use POST to create a workshop");
    } else if (strncmp(p, "/api/workshops/", 15) == 0 && !strchr(p + 15, '/')) {
        if (!h->is_post) hub_http_get(n->hub, h->id, p + 15);
        else respond_error(n, h, 405, "bad_request", "use GET to read a workshop");
    } else {
        respond_error(n, h, 404, "not_found", "no such API endpoint");
    }
}

static void finish(net_server *n, net_http *h);

static int start(struct lws *wsi, net_server *n, net_http *h) {
    if (h->id) finish(n, h); /* a keep-alive connection's next request */
    memset(h, 0, sizeof *h);
    h->wsi = wsi;
    h->id = net_slot_add(n, SLOT_HTTP, h);
    if (!h->id) return -1;
    int get_len = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI);
    int post_len = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI);
    h->is_post = post_len > 0;
    int len = lws_hdr_copy(wsi, h->path, sizeof h->path, h->is_post ? WSI_TOKEN_POST_URI : WSI_TOKEN_GET_URI);
    if ((!get_len && !post_len) || len <= 0) {
        respond_error(n, h, 405, "bad_request", "only GET and POST are supported");
        return 0;
    }
    char *q = strchr(h->path, '?');
    if (q) *q = '\0';
    if (!h->is_post) {
        route(n, h);
        return 0;
    }
    char cl[24];
    if (lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0) {
        respond_error(n, h, 411, "bad_request", "a Content-Length is required");
        return 0;
    }
    long want = strtol(cl, NULL, 10);
    if (want > MAX_BODY) {
        respond_error(n, h, 413, "too_large", "the body is over 64 KiB");
        return 0;
    }
    if (want <= 0) route(n, h); /* no body will come */
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
    memcpy(h->body + h->body_len, in, len);
    h->body_len += len;
    h->body[h->body_len] = '\0';
    return 0;
}

static int write_response(struct lws *wsi, net_http *h) {
    if (!h->status || !h->resp) return 0;
    unsigned char headers[LWS_PRE + 512];
    unsigned char *start = headers + LWS_PRE, *p = start, *end = headers + sizeof headers - 1;
    if (lws_add_http_common_headers(wsi, (unsigned int)h->status, "application/json", h->resp_len, &p, end) ||
        lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL, (const unsigned char *)"no-store", 8, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    if (lws_write(wsi, (unsigned char *)h->resp + LWS_PRE, h->resp_len, LWS_WRITE_HTTP_FINAL) != (int)h->resp_len)
        return -1;
    free(h->resp);
    h->resp = NULL;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static void finish(net_server *n, net_http *h) {
    if (h->id) net_slot_remove(n, h->id);
    h->id = 0;
    free(h->body);
    free(h->resp);
    h->body = h->resp = NULL;
}

int net_http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    net_http *h = user;
    net_server *n = server_of(wsi);
    switch (reason) {
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
