/* WebSocket connections (net.h): lws' callbacks for a connection, what it
 * receives, how it is closed, and its writes when lws must sequence them
 * (TLS, permessage-deflate, a send lws still buffers). Its send queue is
 * net_queue.c's; the flushes from the loop are net_flush.c's.
 *
 * Ownership: a connection's queue and receive buffer are its own, freed
 * when lws closes it (conn_free). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/net_internal.h"

static net_server *server_of(struct lws *wsi) { return lws_context_user(lws_get_context(wsi)); }

bool net_send(net_server *n, uint64_t id, netmsg *m) {
    net_conn *c = net_slot_get(n, id, SLOT_WS);
    if (!c || c->close_code) return false;
    net_flush_if_full(n, m);
    return net_queue(n, c, m, c->group ? net_group_end(c->group) : 0, 0);
}

void *net_session(net_server *n, uint64_t id) {
    net_conn *c = net_slot_get(n, id, SLOT_WS);
    return c ? c->session : NULL;
}

void net_close(net_server *n, uint64_t id, int code, const char *reason) {
    net_conn *c = net_slot_get(n, id, SLOT_WS);
    if (!c || c->close_code) return;
    net_group_detach(n, c, true); /* no broadcast after the close: those before it still go */
    if (c->close_code) return;    /* dropped instead: no memory to keep them */
    c->close_code = code;
    (void)reason;
    lws_callback_on_writable(c->wsi);
}

void net_admit(net_server *n, uint64_t id) {
    net_conn *c = net_slot_get(n, id, SLOT_WS);
    if (c) c->admitted = true;
}

bool net_ws_peer(net_server *n, uint64_t id, char *buf, size_t len) {
    net_conn *c = net_slot_get(n, id, SLOT_WS);
    if (!c || !c->peer[0] || strlen(c->peer) >= len) return false;
    memcpy(buf, c->peer, strlen(c->peer) + 1);
    return true;
}

void net_drop(net_server *n, net_conn *c, int code) {
    net_group_detach(n, c, false);
    if (c->close_code && !c->qlen) return; /* dropped already */
    net_queue_clear(c);
    c->close_code = code;
    lws_callback_on_writable(c->wsi); /* the close frame, if the socket takes it */
    /* A client that does not read never makes the socket writable again. */
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, 1);
}

void net_close_all(net_server *n, int code, const char *reason) {
    for (uint32_t i = 0; i < n->nslots; i++)
        if (n->slots[i].kind == SLOT_WS) net_close(n, n->slots[i].id, code, reason);
}

static const char *close_reason(int code) {
    switch (code) {
    case 1001: return "server shutting down";
    case 1008: return "too slow: messages were not read";
    case 1013: return "server is full";
    case 4408: return "did not join in time";
    default: return "";
    }
}

/* The close frame, written here rather than by lws_close_reason: on the
 * libuv loop, lws 4.1.6 (a _DEBUG build) closes a connection twice when a
 * writeable callback returns -1, before its close frame goes out
 * (../shared/notes/deps.md §3.3a). 4 is LWS_WRITE_CLOSE, which lws' public
 * enum leaves out. Returns -1: lws closes the connection. */
static int write_close(struct lws *wsi, int code) {
    const char *reason = close_reason(code);
    size_t len = strlen(reason);
    unsigned char frame[LWS_PRE + 2 + 64];
    if (len > 64) len = 64;
    frame[LWS_PRE] = (unsigned char)(code >> 8);
    frame[LWS_PRE + 1] = (unsigned char)(code & 0xff);
    memcpy(frame + LWS_PRE + 2, reason, len);
    lws_write(wsi, frame + LWS_PRE, 2 + len, (enum lws_write_protocol)4);
    return -1;
}

static void conn_free(net_server *n, net_conn *c) {
    net_group_detach(n, c, false);
    net_queue_clear(c);
    free(c->rx);
    c->rx = NULL;
}

/* Only /ws upgrades, and none once the server is stopping. */
static int filter(struct lws *wsi, net_server *n) {
    char uri[64];
    int len = lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI);
    if (len <= 0) return 1;
    char *q = strchr(uri, '?');
    if (q) *q = '\0';
    if (strcmp(uri, "/ws") != 0) return 1;
    if (n->stopping) return 1;
    return 0;
}

/* Whether a browser page may open a WebSocket here: a page of the server's
 * own origin (the Origin's host is the Host the request went to) or of an
 * --allowed-origin. Without an Origin the client is not a page (browsers
 * always send one): its requests carry no one else's credentials. */
static bool origin_allowed(struct lws *wsi, const net_server *n) {
    char origin[256], host[256];
    if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) <= 0) return true;
    if (lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) <= 0) return false;
    for (size_t i = 0; i < n->cfg.nallowed_origins; i++)
        if (strcasecmp(origin, n->cfg.allowed_origins[i]) == 0) return true;
    const char *authority = strstr(origin, "://");
    if (!authority || lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST) <= 0) return false;
    return strcasecmp(authority + 3, host) == 0;
}

/* Before lws answers an upgrade (to `to`: lws also knows h2c, never wanted
 * here): refused ones get a status, not a bare close (filter() below is the
 * second line). 1: answered, 0: go on. */
int net_ws_confirm_upgrade(struct lws *wsi, const char *to) {
    net_server *n = server_of(wsi);
    int status = 0;
    const char *why = NULL;
    if (!to || strcasecmp(to, "websocket") != 0) status = 400, why = "only WebSocket upgrades"; /* not h2c */
    else if (filter(wsi, n) && !n->stopping) status = 404, why = "WebSockets are served on /ws only";
    else if (n->stopping) status = 503, why = "the server is shutting down";
    else if (!origin_allowed(wsi, n)) status = 403, why = "pages of this origin may not connect";
    if (!status) return 0;
    if (status == 403) lwsl_info("refused a WebSocket from a page of another origin\n");
    return lws_return_http_status(wsi, (unsigned int)status, why) ? -1 : 1;
}

static void deliver(net_server *n, net_conn *c, const char *data, size_t len) {
    net_input kind = c->rx_too_large ? NET_IN_TOO_LARGE : c->rx_binary ? NET_IN_BINARY : NET_IN_TEXT;
    n->on.ws_message(n->user, c->session, data, len, kind);
}

static int receive(struct lws *wsi, net_server *n, net_conn *c, const char *in, size_t len) {
    bool first = lws_is_first_fragment(wsi);
    bool last = lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi);
    if (first) {
        c->rxlen = 0;
        c->rx_too_large = false;
        c->rx_binary = lws_frame_is_binary(wsi);
    }
    if (first && last) { /* the common case: the whole message in one piece, no copy */
        c->rx_too_large = len > n->cfg.max_message;
        deliver(n, c, in, len);
        return 0;
    }
    if (!c->rx_too_large && !c->rx_binary) {
        if (c->rxlen + len > n->cfg.max_message) {
            c->rx_too_large = true;
            free(c->rx);
            c->rx = NULL;
            c->rxlen = c->rxcap = 0;
        } else {
            if (c->rxlen + len > c->rxcap) {
                size_t cap = c->rxcap ? c->rxcap : 1024;
                while (cap < c->rxlen + len) cap *= 2;
                char *p = realloc(c->rx, cap);
                if (!p) return -1;
                c->rx = p;
                c->rxcap = cap;
            }
            memcpy(c->rx + c->rxlen, in, len);
            c->rxlen += len;
        }
    }
    if (last) {
        deliver(n, c, c->rx ? c->rx : "", c->rxlen);
        c->rxlen = 0;
        free(c->rx); /* most messages come in one piece: keep no buffer per connection for the next */
        c->rx = NULL;
        c->rxcap = 0;
    }
    return 0;
}

static int writeable(struct lws *wsi, net_conn *c) {
    net_server *n = server_of(wsi);
    if (n->cfg.deflate || lws_is_ssl(wsi)) {
        /* lws compresses (or encrypts) each message itself and may need
         * several writeable turns for one: one message per turn. */
        net_queue_pop_skips(c);
        if (c->qlen) {
            netmsg *m = net_queue_head(c);
            int wrote = lws_write(wsi, (unsigned char *)m->buf + LWS_PRE, m->len,
                                  m == n->ping ? LWS_WRITE_PING : LWS_WRITE_TEXT);
            net_queue_pop(c);
            if (wrote < 0) return -1;
            n->counted.messages_sent++;
        }
    } else if (net_queue_write(n, wsi, c) < 0) {
        return -1;
    }
    if (net_pending(c)) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    net_queue_drained(c);
    if (c->close_code) return write_close(wsi, c->close_code);
    return 0;
}

int net_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    net_conn *c = user;
    net_server *n = server_of(wsi);
    switch (reason) {
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        return net_admit_accepted(n, user);
    case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
        net_admit_instantiated(n, wsi);
        return 0;
    case LWS_CALLBACK_WSI_DESTROY:
        net_admit_destroyed(n, wsi);
        return 0;
    case LWS_CALLBACK_RAW_ADOPT:
        return net_admit_raw(wsi);
    case LWS_CALLBACK_FILTER_HTTP_CONNECTION:
        return net_http_filter(wsi);
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return net_ws_confirm_upgrade(wsi, in);
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return filter(wsi, n);
    case LWS_CALLBACK_ESTABLISHED:
        memset(c, 0, sizeof *c);
        c->wsi = wsi;
        if (!net_client_address(n, wsi, c->peer, sizeof c->peer)) c->peer[0] = '\0';
        c->id = net_slot_add(n, SLOT_WS, c);
        if (!c->id) return -1;
        c->session = n->on.ws_open(n->user, c->id);
        if (!c->session) {
            net_slot_remove(n, c->id);
            c->id = 0;
            return -1;
        }
        n->nconns++;
        net_keepalive_heard(c);
        c->opened_at = c->last_rx;
        /* lws keeps the handshake's header table (4 KiB) for the life of the
         * connection unless told otherwise; nothing reads it after this. */
        lws_http_headers_detach(wsi);
        if (n->stopping) net_close(n, c->id, 1001, "");
        return 0;
    case LWS_CALLBACK_RECEIVE:
        if (!c->id) return -1;
        net_keepalive_heard(c);
        return receive(wsi, n, c, in, len);
    case LWS_CALLBACK_RECEIVE_PONG:
        if (c->id) net_keepalive_heard(c);
        return 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        c->peer_closing = true;
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (!c->id) return -1;
        return writeable(wsi, c);
    case LWS_CALLBACK_CLOSED:
        if (c->id) {
            net_group_detach(n, c, false); /* closed: nothing more to send, nothing to keep for it */
            net_queue_clear(c); /* nor of its own, should the hub's departure work set off a flush */
            n->on.ws_close(n->user, c->session);
            net_slot_remove(n, c->id);
            n->nconns--;
            c->id = 0;
        }
        conn_free(n, c);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}
