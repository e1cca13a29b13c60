/* WebSocket connections (net.h): each one's send queue, the walk that
 * interleaves it with its group's log (net_group.c), the writes of a flush
 * from the loop and their pacing, and lws' callbacks for the connection.
 *
 * Ownership: a queue entry holds a reference to its message (netmsg_unref
 * when it is sent or the queue is cleared); a connection's queue and
 * receive buffer are its own, freed when lws closes it (conn_free). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "net/net_batch.h"
#include "net/net_internal.h"


static net_server *server_of(struct lws *wsi) { return lws_context_user(lws_get_context(wsi)); }

static void flush_timer_cb(lws_sorted_usec_list_t *sul) {
    net_flush(lws_container_of(sul, net_server, sul_flush));
}

/* The first message or broadcast since the last flush: the loop flushes
 * after every turn; the 1 µs timer only matters when a timer callback
 * queued it (lws runs timers before it waits): then the loop must not wait.
 * While a paced flush waits, the lists are not empty and its timer stays. */
static void flush_soon(net_server *n) {
    if (n->ndirty == 0 && n->ndirty_groups == 0)
        lws_sul_schedule_wakesuspend(n->ctx, 0, &n->sul_flush, flush_timer_cb, 1);
}

/* id onto a list of connection ids (the flush list, the urgent list). */
static bool push_id(uint64_t **list, size_t *len, size_t *cap, uint64_t id) {
    if (*len == *cap) {
        size_t more = *cap ? *cap * 2 : 256;
        uint64_t *l = realloc(*list, more * sizeof *l);
        if (!l) return false;
        *list = l;
        *cap = more;
    }
    (*list)[(*len)++] = id;
    return true;
}

/* Put c on the flush list. */
void net_mark_dirty(net_server *n, net_conn *c) {
    if (c->dirty) return;
    flush_soon(n);
    if (!push_id(&n->dirty, &n->ndirty, &n->dirty_cap, c->id)) { /* fall back on lws' writeable callback */
        lws_callback_on_writable(c->wsi);
        return;
    }
    c->dirty = true;
}

void net_mark_urgent(net_server *n, net_conn *c) {
    if (c->urgent) return;
    c->urgent = push_id(&n->urgent, &n->nurgent, &n->urgent_cap, c->id); /* no room: it waits for the flush */
}

void net_mark_group_dirty(net_server *n, net_group *g) {
    if (g->dirty) return;
    if (n->ndirty_groups == n->dirty_groups_cap) {
        size_t cap = n->dirty_groups_cap ? n->dirty_groups_cap * 2 : 16;
        net_group **d = realloc(n->dirty_groups, cap * sizeof *d);
        if (!d) { /* no list: its members on the flush list at once */
            for (uint32_t i = 0; i < g->nmembers; i++) net_mark_dirty(n, g->members[i]);
            return;
        }
        n->dirty_groups = d;
        n->dirty_groups_cap = cap;
    }
    flush_soon(n);
    n->dirty_groups[n->ndirty_groups++] = g;
    g->dirty = true;
}

static net_qent *entry(const net_conn *c, uint32_t i) { return &c->q[(c->qhead + i) % c->qcap]; }

bool net_queue(net_server *n, net_conn *c, netmsg *m, uint64_t at, uint32_t skip) {
    /* A client that does not read cannot hold the server's memory hostage.
     * One message alone always goes (a big welcome), or a client could never
     * join. */
    size_t len = m ? m->len : 0;
    bool over = c->qlen && (c->qbytes + len > n->cfg.max_queue_bytes || c->qlen >= n->cfg.max_queue);
    if (over) {
        lwsl_notice("connection %llx is too slow (%u messages, %zu bytes queued), dropping it\n",
                    (unsigned long long)c->id, c->qlen, c->qbytes);
        n->counted.queue_drops++;
        net_drop(n, c, 1008);
        return false;
    }
    if (c->qlen == c->qcap) {
        uint32_t cap = c->qcap ? c->qcap * 2 : 4;
        net_qent *q = malloc(cap * sizeof *q);
        if (!q) { /* a connection that misses a message would show a wrong text: close it */
            net_drop(n, c, 1011);
            return false;
        }
        for (uint32_t i = 0; i < c->qlen; i++) q[i] = *entry(c, i);
        free(c->q);
        c->q = q;
        c->qhead = 0;
        c->qcap = cap;
    }
    c->q[(c->qhead + c->qlen) % c->qcap] = (net_qent){.m = m, .at = at, .skip = skip};
    c->qlen++;
    c->qbytes += len;
    if (m) m->refs++;
    net_mark_dirty(n, c);
    return true;
}

/* A turn that completes thousands of joins at once (one read of Redis'
 * replies) would queue thousands of welcomes, each its own buffer, before
 * the flush at the turn's end: tens of megabytes for an instant, which the
 * allocator keeps afterwards, interleaved with the connections' lasting
 * memory (bench/README.md, "Memory per connection"). Past
 * NET_UNFLUSHED_MAX of new messages, what is queued goes out before more is
 * queued. A message sent to several connections counts once. */
static void flush_if_full(net_server *n, const netmsg *m) {
    if (n->unflushed > NET_UNFLUSHED_MAX) net_flush(n);
    if (m->refs == 1) n->unflushed += m->len; /* its first queue */
}

bool net_send(net_server *n, uint64_t id, netmsg *m) {
    net_conn *c = net_slot_get(n, id, SLOT_WS);
    if (!c || c->close_code) return false;
    flush_if_full(n, m);
    return net_queue(n, c, m, c->group ? net_group_end(c->group) : 0, 0);
}

/* The message just queued to c (the last entry) becomes alt (NULL: none). */
bool net_requeue_last(net_server *n, net_conn *c, netmsg *alt) {
    if (!c->qlen) return false;
    net_qent *e = entry(c, c->qlen - 1);
    if (e->m) {
        c->qbytes -= e->m->len;
        netmsg_unref(e->m);
    }
    e->m = alt;
    if (!alt) {
        c->qlen--;
        return true;
    }
    alt->refs++;
    c->qbytes += alt->len;
    (void)n;
    return true;
}

void net_hold(net_server *n, uint64_t id) {
    net_conn *c = net_slot_get(n, id, SLOT_WS);
    if (c) c->held = true;
}

void net_release(net_server *n, uint64_t id) {
    net_conn *c = net_slot_get(n, id, SLOT_WS);
    if (!c || !c->held) return;
    c->held = false;
    bool urgent = c->urgent_held;
    c->urgent_held = false;
    if (!net_pending(c)) return;
    net_mark_dirty(n, c);
    /* An ack held with the workshop goes at once now, not at the paced
     * flush: at 10,000 people that is a whole round of writes later. */
    if (urgent) net_mark_urgent(n, c);
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

static void queue_clear(net_conn *c);

void net_drop(net_server *n, net_conn *c, int code) {
    net_group_detach(n, c, false);
    if (c->close_code && !c->qlen) return; /* dropped already */
    queue_clear(c);
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

static void queue_clear(net_conn *c) {
    for (uint32_t i = 0; i < c->qlen; i++) netmsg_unref(entry(c, i)->m);
    free(c->q);
    c->q = NULL;
    c->qlen = c->qcap = c->qhead = 0;
    c->qbytes = 0;
}

static void conn_free(net_server *n, net_conn *c) {
    net_group_detach(n, c, false);
    queue_clear(c);
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

/* Several queued messages go out in one send: each is framed once, in the
 * NET_PRE room before its payload (an unmasked server frame is the same
 * bytes for every connection), and a connection's queue goes out as one
 * gathered write. On this kind of machine a send costs far more than its
 * bytes, and a committed batch of ops is one message per op to every
 * connection. Not with permessage-deflate (lws must compress each frame
 * itself). */
/* Frames per send: at assembly size a connection has tens of messages
 * queued per flush, and each send costs far more than its bytes (32 here
 * halved what 10,000 people could be sent: bench/README.md, issue 17). The
 * kernel takes up to 1,024 (UIO_MAXIOV). */
#define IOV_PER_SEND 512

_Static_assert(LWS_PRE >= 10, "a frame header must fit before the payload");

static size_t frame_header(unsigned char *h, size_t len) {
    h[0] = 0x81; /* FIN, text */
    if (len < 126) {
        h[1] = (unsigned char)len;
        return 2;
    }
    if (len < 65536) {
        h[1] = 126;
        h[2] = (unsigned char)(len >> 8);
        h[3] = (unsigned char)len;
        return 4;
    }
    h[1] = 127;
    for (int i = 0; i < 8; i++) h[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
    return 10;
}

struct iovec net_frame(netmsg *m) {
    if (!m->framed) {
        unsigned char h[10];
        size_t hlen = frame_header(h, m->len);
        memcpy(m->buf + NET_PRE - hlen, h, hlen);
        m->framed = (uint8_t)hlen;
    }
    return (struct iovec){.iov_base = m->buf + NET_PRE - m->framed, .iov_len = m->framed + m->len};
}

/* What c is to be sent, in order, is a walk over its queue and its group's
 * log: the log's bytes up to the next entry's `at`, then that entry's
 * message, then past the log bytes the entry skips, and so on; after the
 * last entry, the log to its end. A piece is one step of the walk. */
typedef enum { PIECE_NONE, PIECE_LOG, PIECE_MSG, PIECE_SKIP } piece_kind;

typedef struct piece {
    piece_kind kind;
    uint64_t to;               /* PIECE_LOG: the log bytes from the walk's position to here */
    net_qent *e;               /* PIECE_MSG, PIECE_SKIP: the entry */
} piece;

/* The piece at queue index i and log position pos. */
static piece next_piece(const net_conn *c, uint32_t i, uint64_t pos) {
    const net_group *g = c->group;
    if (i < c->qlen) {
        net_qent *e = entry(c, i);
        if (g && e->at > pos) return (piece){.kind = PIECE_LOG, .to = e->at};
        return (piece){.kind = e->m ? PIECE_MSG : PIECE_SKIP, .e = e};
    }
    if (g && pos < net_group_end(g)) return (piece){.kind = PIECE_LOG, .to = net_group_end(g)};
    return (piece){.kind = PIECE_NONE};
}

bool net_pending(const net_conn *c) { return next_piece(c, 0, c->gpos).kind != PIECE_NONE; }

static void pop(net_conn *c) {
    net_qent *e = entry(c, 0);
    if (e->m) {
        c->qbytes -= e->m->len;
        netmsg_unref(e->m);
    }
    if (c->group) c->gpos += e->skip;
    c->qhead = (c->qhead + 1) % c->qcap;
    c->qlen--;
}

/* Entries at the head that only skip log bytes need no write: done. */
static void pop_skips(net_conn *c) {
    while (next_piece(c, 0, c->gpos).kind == PIECE_SKIP) pop(c);
}

/* The next pieces of c's walk as frames, at most max. */
static int gather(net_conn *c, struct iovec *iov, int max) {
    pop_skips(c);
    int k = 0;
    uint32_t i = 0;
    uint64_t pos = c->gpos;
    while (k < max) {
        piece p = next_piece(c, i, pos);
        if (p.kind == PIECE_NONE) break;
        if (p.kind == PIECE_LOG) {
            iov[k++] = net_group_bytes(c->group, pos, p.to);
            pos = p.to;
            continue;
        }
        if (p.kind == PIECE_MSG) iov[k++] = net_frame(p.e->m);
        if (c->group) pos += p.e->skip;
        i++;
    }
    return k;
}

/* The rest of a frame (or of log bytes) a write cut short goes to lws,
 * which keeps what the socket does not take and sends it when the socket
 * drains (the queue waits for that: lws_partial_buffered). */
static int hand_rest(struct lws *wsi, const struct iovec *v, size_t done) {
    size_t rest = v->iov_len - done;
    unsigned char *buf = malloc(LWS_PRE + rest);
    if (!buf) return -1;
    memcpy(buf + LWS_PRE, (const char *)v->iov_base + done, rest);
    int wrote = lws_write(wsi, buf + LWS_PRE, rest, LWS_WRITE_RAW);
    free(buf);
    return wrote < (int)rest ? -1 : 0;
}

/* After a write of the first cnt frames of c's walk (gather): drop what
 * went out, the same walk again. 1: all went out, 0: the socket is full,
 * -1: the connection is broken. */
static int sent(net_server *n, struct lws *wsi, net_conn *c, const struct iovec *iov, int cnt, ssize_t result) {
    if (result == -EAGAIN || result == -EWOULDBLOCK || result == -EINTR) return 0;
    if (result < 0) return -1;
    size_t done = (size_t)result;
    for (int k = 0; k < cnt;) {
        piece p = next_piece(c, 0, c->gpos);
        if (p.kind == PIECE_SKIP) {
            pop(c);
            continue;
        }
        if (p.kind == PIECE_NONE) return -1; /* not what gather made: never write on */
        const struct iovec *v = &iov[k++];
        size_t took = done < v->iov_len ? done : v->iov_len;
        done -= took;
        bool cut = took < v->iov_len;
        /* Before pop: v points into the message, which pop may free. */
        int handed = cut ? hand_rest(wsi, v, took) : 0;
        n->counted.bytes_sent += v->iov_len; /* whole, or its rest handed to lws */
        if (p.kind == PIECE_LOG) {
            n->counted.messages_sent += net_group_frames(c->group, c->gpos, p.to);
            c->gpos = p.to;
        } else {
            n->counted.messages_sent++;
            pop(c);
        }
        if (cut) return handed;
    }
    pop_skips(c);
    return 1;
}

/* Write c's walk until it is done or the socket is full. */
static int write_queue(struct lws *wsi, net_conn *c) {
    struct iovec iov[IOV_PER_SEND];
    while (net_pending(c) && !lws_partial_buffered(wsi)) {
        net_sendreq r = {.fd = lws_get_socket_fd(wsi), .iov = iov, .iovcnt = gather(c, iov, IOV_PER_SEND)};
        if (!r.iovcnt) break;
        net_batch_send(NULL, &r, 1);
        int s = sent(server_of(wsi), wsi, c, iov, r.iovcnt, r.result);
        if (s <= 0) return s;
    }
    return 0;
}

/* A message holding bytes already framed (log bytes): its bytes start
 * `framed` bytes before NET_PRE, as the keepalive's ping does. */
static netmsg *raw_message(const struct iovec *v) {
    netmsg *m = malloc(sizeof *m);
    char *buf = malloc(NET_PRE + v->iov_len);
    if (!m || !buf) {
        free(m);
        free(buf);
        return NULL;
    }
    memcpy(buf + NET_PRE - 1, v->iov_base, v->iov_len);
    *m = (netmsg){.refs = 1, .len = v->iov_len - 1, .framed = 1, .buf = buf};
    return m;
}

bool net_queue_unshare(net_server *n, net_conn *c) {
    net_qent *q = NULL;
    uint32_t len = 0, cap = 0;
    size_t bytes = 0;
    bool whole = true;
    for (;;) {
        piece p = next_piece(c, 0, c->gpos);
        if (p.kind == PIECE_NONE) break;
        if (len == cap) {
            uint32_t more = cap ? cap * 2 : 4;
            net_qent *r = realloc(q, more * sizeof *r);
            if (!r) {
                whole = false;
                break;
            }
            q = r;
            cap = more;
        }
        if (p.kind == PIECE_LOG) {
            struct iovec v = net_group_bytes(c->group, c->gpos, p.to);
            netmsg *m = raw_message(&v);
            if (!m) {
                whole = false;
                break;
            }
            c->gpos = p.to;
            q[len++] = (net_qent){.m = m};
            bytes += m->len;
            continue;
        }
        if (p.kind == PIECE_MSG) {
            q[len++] = (net_qent){.m = p.e->m};
            bytes += p.e->m->len;
            p.e->m->refs++;
        }
        pop(c);
    }
    queue_clear(c);
    c->q = q;
    c->qlen = len;
    c->qcap = cap;
    c->qhead = 0;
    c->qbytes = bytes;
    if (!whole) { /* a copy with a gap would show a wrong text: none */
        queue_clear(c);
        return false;
    }
    if (len) net_mark_dirty(n, c);
    return true;
}

/* An idle connection holds no queue: most of the time most connections have
 * nothing queued, and the next message allocates four slots again. */
static void queue_drained(net_conn *c) {
    free(c->q);
    c->q = NULL;
    c->qcap = c->qhead = 0;
}

static int writeable(struct lws *wsi, net_conn *c) {
    net_server *n = server_of(wsi);
    if (n->cfg.deflate || lws_is_ssl(wsi)) {
        /* lws compresses (or encrypts) each message itself and may need
         * several writeable turns for one: one message per turn. */
        pop_skips(c);
        if (c->qlen) {
            netmsg *m = entry(c, 0)->m;
            int wrote = lws_write(wsi, (unsigned char *)m->buf + LWS_PRE, m->len,
                                  m == n->ping ? LWS_WRITE_PING : LWS_WRITE_TEXT);
            pop(c);
            if (wrote < 0) return -1;
        }
    } else if (write_queue(wsi, c) < 0) {
        return -1;
    }
    if (net_pending(c)) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    queue_drained(c);
    if (c->close_code) return write_close(wsi, c->close_code);
    return 0;
}

/* Writing from the loop instead of from lws' writeable callback saves, per
 * message and connection, switching POLLOUT on and off and a wakeup: on
 * this VM each costs as much as the send itself. And the writes of all
 * connections go out together (net_batch: one system call with io_uring).
 * Only in the plain case; anything lws must sequence itself (a send it
 * still buffers, a close, permessage-deflate, TLS) goes the writeable way. */
static bool flush_room(net_server *n, size_t conns, size_t iovs) {
    if (conns > n->flush_cap) {
        net_sendreq *r = realloc(n->flush_reqs, conns * sizeof *r);
        if (r) n->flush_reqs = r;
        net_conn **c = realloc(n->flush_conns, conns * sizeof *c);
        if (c) n->flush_conns = c;
        if (!r || !c) return false;
        n->flush_cap = conns;
    }
    if (iovs > n->flush_iov_cap) {
        struct iovec *v = realloc(n->flush_iov, iovs * sizeof *v);
        if (!v) return false;
        n->flush_iov = v;
        n->flush_iov_cap = iovs;
    }
    return true;
}

/* The CPU time this thread has used, in µs: what a flush's writes cost, not
 * counting the time another process had the core meanwhile. */
static int64_t thread_cpu_us(void) {
    struct timespec t;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) != 0) return 0;
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* The lists a flush goes through, and where a connection it meets goes. */
typedef enum {
    FLUSH_URGENT, /* the urgent list, whole: a held connection's answer waits for net_release */
    FLUSH_ALL,    /* the flush list, whole (unpaced): everyone leaves it; a held one comes back at net_release */
    FLUSH_ROUND,  /* the head of the flush list (paced): a held one keeps its place, one written goes to the tail */
} flush_kind;

typedef struct flush_done {
    size_t kept;               /* held connections, now ids[0..kept): they stay at the head of the list */
    size_t written;            /* connections written, n->flush_conns[0..written) */
} flush_done;

/* c is off the list it was met on. */
static void leave_list(net_conn *c, flush_kind kind) {
    if (kind == FLUSH_URGENT) c->urgent = false;
    else c->dirty = false;
}

/* The connections of ids[0..count) that are to be written now, into
 * n->flush_conns (sized for count); the held ones a round keeps are
 * compacted at the head of ids. Returns how many to write; *iovs: the
 * frames they may take. */
static size_t flush_pick(net_server *n, uint64_t *ids, size_t count, flush_kind kind, flush_done *done, size_t *iovs) {
    size_t k = 0;
    for (size_t i = 0; i < count; i++) {
        net_conn *c = net_slot_get(n, ids[i], SLOT_WS);
        if (!c) continue;
        if (c->held) {
            if (kind == FLUSH_ROUND) { /* its turn is when it is released: the head, not the tail */
                ids[done->kept++] = c->id; /* compacted in place: i >= kept */
                continue;
            }
            if (kind == FLUSH_URGENT) c->urgent_held = true; /* urgent again at net_release */
            leave_list(c, kind);
            continue;
        }
        leave_list(c, kind);
        if (!net_pending(c) || c->flushed_in == n->flushes_begun) continue;
        if (c->close_code || c->peer_closing || n->cfg.deflate || lws_partial_buffered(c->wsi) || lws_is_ssl(c->wsi)) {
            lws_callback_on_writable(c->wsi);
            continue;
        }
        c->flushed_in = n->flushes_begun;
        n->flush_conns[k++] = c;
        size_t most = 2 * (size_t)c->qlen + 1; /* each entry after log bytes, then the log's rest */
        *iovs += most < IOV_PER_SEND ? most : IOV_PER_SEND;
    }
    return k;
}

/* Write what each of the first `count` connections of ids (the flush list
 * or the urgent one) has to send, each in one send. ids[0..count) is used
 * as scratch: what it holds afterwards is done->kept. */
static flush_done flush_some(net_server *n, uint64_t *ids, size_t count, flush_kind kind, lws_usec_t now) {
    /* Sending may close connections but queues nothing new: the list is stable. */
    flush_done done = {0, 0};
    size_t iovs = 0;
    if (++n->flushes_begun == 0) n->flushes_begun = 1; /* 0: never flushed */
    if (!flush_room(n, count, 0)) { /* no memory to gather: lws' writeable callback, one by one */
        for (size_t i = 0; i < count; i++) {
            net_conn *c = net_slot_get(n, ids[i], SLOT_WS);
            if (!c) continue;
            leave_list(c, kind);
            if (c->held) c->urgent_held |= kind == FLUSH_URGENT;
            else lws_callback_on_writable(c->wsi);
        }
        return done;
    }
    size_t k = flush_pick(n, ids, count, kind, &done, &iovs);
    if (!k) return done;
    if (!flush_room(n, k, iovs)) {
        for (size_t i = 0; i < k; i++) lws_callback_on_writable(n->flush_conns[i]->wsi);
        return done;
    }
    struct iovec *iov = n->flush_iov;
    for (size_t i = 0; i < k; i++) {
        net_conn *c = n->flush_conns[i];
        int cnt = gather(c, iov, IOV_PER_SEND);
        n->flush_reqs[i] = (net_sendreq){.fd = lws_get_socket_fd(c->wsi), .iov = iov, .iovcnt = cnt};
        iov += cnt;
    }
    int64_t cpu_before = thread_cpu_us();
    net_batch_send(n->batch, n->flush_reqs, k);
    pace_spent(&n->pace, now, k);
    uint64_t send_us = (uint64_t)(thread_cpu_us() - cpu_before);
    pace_spent(&n->pace_time, now, send_us);
    n->counted.flush_send_us += send_us;
    n->counted.flushes++;
    n->counted.flush_writes += k;
    for (size_t i = 0; i < k; i++) {
        net_conn *c = n->flush_conns[i];
        const net_sendreq *r = &n->flush_reqs[i];
        int s = sent(n, c->wsi, c, r->iov, r->iovcnt, r->result);
        if (s < 0) {
            /* Broken: let lws close it from the loop (never close a wsi outside its callbacks). */
            lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
            continue;
        }
        if (net_pending(c)) lws_callback_on_writable(c->wsi);
        else queue_drained(c);
        n->flush_conns[done.written++] = c; /* compacted in place: i >= written */
    }
    if (n->flush_iov_cap > 65536) { /* a burst to thousands of backed-up queues is over: give back its megabyte */
        free(n->flush_iov);
        n->flush_iov = NULL;
        n->flush_iov_cap = 0;
    }
    return done;
}

/* After a round's chunk of `count` from the head of the flush list: the
 * held ones stay at the head, the ones written go to the tail, in the order
 * they went. So every connection of a big workshop comes round once a round,
 * at the same place: its wait for a message is at most one round. (Left to
 * net_groups_expand, which puts back a group's members in the group's
 * order, the ones written in a chunk mixed with the others: the time
 * between two writes to a connection ranged from 100 to 220 ms for a round
 * of 150 ms, bench/README.md, issue 17, third pass.) */
static void round_requeue(net_server *n, size_t count, flush_done done) {
    memmove(n->dirty + done.kept, n->dirty + count, (n->ndirty - count) * sizeof *n->dirty);
    n->ndirty -= count - done.kept;
    for (size_t i = 0; i < done.written; i++) {
        net_conn *c = n->flush_conns[i];
        /* Without room it leaves the list; its group's next message puts it back. */
        c->dirty = push_id(&n->dirty, &n->ndirty, &n->dirty_cap, c->id);
    }
}

/* The flush after a turn of the loop (or from the timer). Answers to one
 * client (an ack, a welcome, an error: net_send_sbuf) go at once. The rest
 * waits while the budgets (core/pace.h: writes a second, and the share of
 * the time spent writing) are spent, gathering more messages per write;
 * then the connections waiting longest go first, at most NET_FLUSH_CHUNK
 * before the loop turns again, so that a flush to 10,000 people neither
 * holds the loop nor makes the last of them wait for the whole of it. */
void net_flush(net_server *n) {
    n->unflushed = 0;
    if (!n->ndirty && !n->ndirty_groups) return;
    lws_usec_t now = lws_now_usecs();
    if (n->nurgent) {
        size_t urgent = n->nurgent;
        n->nurgent = 0;
        flush_some(n, n->urgent, urgent, FLUSH_URGENT, now);
    }
    int64_t wait = pace_wait_us(&n->pace, now), wait_time = pace_wait_us(&n->pace_time, now);
    if (wait_time > wait) wait = wait_time;
    if (wait > 0) {
        lws_sul_schedule_wakesuspend(n->ctx, 0, &n->sul_flush, flush_timer_cb, wait);
        return;
    }
    lws_sul_cancel(&n->sul_flush);
    net_groups_expand(n);
    bool paced = n->cfg.send_budget > 0 || n->cfg.send_share > 0;
    if (paced && n->ndirty > NET_FLUSH_CHUNK) {
        flush_done done = flush_some(n, n->dirty, NET_FLUSH_CHUNK, FLUSH_ROUND, now);
        round_requeue(n, NET_FLUSH_CHUNK, done);
        /* All held: the turn that releases them flushes (net_release); no timer meanwhile. */
        if (done.kept == NET_FLUSH_CHUNK) return;
    } else {
        size_t count = n->ndirty;
        flush_some(n, n->dirty, count, FLUSH_ALL, now);
        memmove(n->dirty, n->dirty + count, (n->ndirty - count) * sizeof *n->dirty);
        n->ndirty -= count;
    }
    net_groups_trim(n);
    if (n->ndirty) lws_sul_schedule_wakesuspend(n->ctx, 0, &n->sul_flush, flush_timer_cb, 1); /* the rest, next turn */
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
            queue_clear(c); /* nor of its own, should the hub's departure work set off a flush */
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
