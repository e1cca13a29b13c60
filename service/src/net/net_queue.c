/* A connection's send queue (net_internal.h): its entries, the walk that
 * interleaves them with its group's log (net_group.c), and what a write of
 * that walk leaves.
 *
 * Ownership: a queue entry holds a reference to its message (netmsg_unref
 * when it is sent or the queue is cleared); the queue is its connection's,
 * emptied by net_queue_clear when lws closes it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/net_batch.h"
#include "net/net_internal.h"

static net_qent *entry(const net_conn *c, uint32_t i) { return &c->q[(c->qhead + i) % c->qcap]; }

netmsg *net_queue_head(const net_conn *c) { return c->qlen ? entry(c, 0)->m : NULL; }

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

void net_queue_clear(net_conn *c) {
    for (uint32_t i = 0; i < c->qlen; i++) netmsg_unref(entry(c, i)->m);
    free(c->q);
    c->q = NULL;
    c->qlen = c->qcap = c->qhead = 0;
    c->qbytes = 0;
}

/* Several queued messages go out in one send: each is framed once, in the
 * NET_PRE room before its payload (an unmasked server frame is the same
 * bytes for every connection), and a connection's queue goes out as one
 * gathered write. On this kind of machine a send costs far more than its
 * bytes, and a committed batch of ops is one message per op to every
 * connection. Not with permessage-deflate (lws must compress each frame
 * itself). */

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

void net_queue_pop(net_conn *c) {
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
void net_queue_pop_skips(net_conn *c) {
    while (next_piece(c, 0, c->gpos).kind == PIECE_SKIP) net_queue_pop(c);
}

/* The next pieces of c's walk as frames, at most max. */
int net_queue_gather(net_conn *c, struct iovec *iov, int max) {
    net_queue_pop_skips(c);
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
int net_queue_sent(net_server *n, struct lws *wsi, net_conn *c, const struct iovec *iov, int cnt, ssize_t result) {
    if (result == -EAGAIN || result == -EWOULDBLOCK || result == -EINTR) return 0;
    if (result < 0) return -1;
    size_t done = (size_t)result;
    for (int k = 0; k < cnt;) {
        piece p = next_piece(c, 0, c->gpos);
        if (p.kind == PIECE_SKIP) {
            net_queue_pop(c);
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
            n->counted.messages_sent += p.e->m->frames ? p.e->m->frames : 1; /* a copied log range: its broadcasts */
            net_queue_pop(c);
        }
        if (cut) return handed;
    }
    net_queue_pop_skips(c);
    return 1;
}

/* Write c's walk until it is done or the socket is full. */
int net_queue_write(net_server *n, struct lws *wsi, net_conn *c) {
    struct iovec iov[NET_IOV_PER_SEND];
    while (net_pending(c) && !lws_partial_buffered(wsi)) {
        net_sendreq r = {.fd = lws_get_socket_fd(wsi), .iov = iov, .iovcnt = net_queue_gather(c, iov, NET_IOV_PER_SEND)};
        if (!r.iovcnt) break;
        net_batch_send(NULL, &r, 1);
        int s = net_queue_sent(n, wsi, c, iov, r.iovcnt, r.result);
        if (s <= 0) return s;
    }
    return 0;
}

/* A message holding bytes already framed (log bytes): its bytes start
 * `framed` bytes before NET_PRE, as the keepalive's ping does. */
static netmsg *raw_message(const struct iovec *v, size_t frames) {
    netmsg *m = malloc(sizeof *m);
    char *buf = malloc(NET_PRE + v->iov_len);
    if (!m || !buf) {
        free(m);
        free(buf);
        return NULL;
    }
    memcpy(buf + NET_PRE - 1, v->iov_base, v->iov_len);
    *m = (netmsg){.refs = 1, .len = v->iov_len - 1, .framed = 1, .frames = (uint32_t)frames, .buf = buf};
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
            netmsg *m = raw_message(&v, net_group_frames(c->group, c->gpos, p.to));
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
        net_queue_pop(c);
    }
    net_queue_clear(c);
    c->q = q;
    c->qlen = len;
    c->qcap = cap;
    c->qhead = 0;
    c->qbytes = bytes;
    if (!whole) { /* a copy with a gap would show a wrong text: none */
        net_queue_clear(c);
        return false;
    }
    if (len) net_mark_dirty(n, c);
    return true;
}

/* An idle connection holds no queue: most of the time most connections have
 * nothing queued, and the next message allocates four slots again. */
void net_queue_drained(net_conn *c) {
    free(c->q);
    c->q = NULL;
    c->qcap = c->qhead = 0;
}
