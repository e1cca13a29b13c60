/* wsclient.c -- see wsclient.h. */
#define _GNU_SOURCE
#include "wsclient.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

ws_env ws_g;

/* Frames larger than this are a protocol error for us: the biggest thing the
 * server sends is a welcome with the whole document. */
#define WS_MAX_MESSAGE (256u << 20)

/* One receive buffer for every connection: a socket's bytes are decoded in
 * place and only an incomplete tail is copied into the connection. */
static char g_rbuf[256 * 1024];
/* Frames are built here and sent straight away when the socket's queue is empty. */
static char g_wbuf[64 * 1024 + 16];

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;

/* Masks only have to be unpredictable to proxies, not secret: xorshift is enough. */
static uint32_t mask_rand(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 16);
}

static void b64(const unsigned char *in, size_t n, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i, o = 0;
    for (i = 0; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
        out[o++] = tab[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = 0;
}

int ws_parse_hostport(const char *s, struct sockaddr_in *out, char *host, size_t hostsz)
{
    if (strncmp(s, "ws://", 5) == 0)
        s += 5;
    else if (strncmp(s, "http://", 7) == 0)
        s += 7;
    const char *colon = strrchr(s, ':');
    char ip[64];
    int port = 8080;
    size_t hl = colon ? (size_t)(colon - s) : strlen(s);
    if (hl == 0 || hl >= sizeof ip)
        return -1;
    memcpy(ip, s, hl);
    ip[hl] = 0;
    if (colon) {
        char *end;
        long p = strtol(colon + 1, &end, 10);
        if (p <= 0 || p > 65535 || (*end && *end != '/'))
            return -1;
        port = (int)p;
    }
    if (strcmp(ip, "localhost") == 0)
        strcpy(ip, "127.0.0.1");
    memset(out, 0, sizeof *out);
    out->sin_family = AF_INET;
    out->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, ip, &out->sin_addr) != 1)
        return -1;
    snprintf(host, hostsz, "%s:%d", ip, port);
    return 0;
}

int ws_parse_urls(const char *list)
{
    ws_server tmp[WS_MAX_SERVERS];
    int n = 0;
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        char one[128];
        if (n == WS_MAX_SERVERS || l == 0 || l >= sizeof one)
            return -1;
        memcpy(one, p, l);
        one[l] = 0;
        if (ws_parse_hostport(one, &tmp[n].addr, tmp[n].host, sizeof tmp[n].host) < 0)
            return -1;
        n++;
        if (!comma)
            break;
        p = comma + 1;
    }
    memcpy(ws_g.srv, tmp, sizeof tmp[0] * (size_t)n);
    ws_g.nsrv = n;
    return 0;
}

static int grow(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 1024;
    while (nc < need)
        nc *= 2;
    char *nb = realloc(*buf, nc);
    if (!nb)
        return -1;
    *buf = nb;
    *cap = nc;
    return 0;
}

static int conn_epfd(const ws_conn *c) { return c->slow && ws_g.epfd_slow > 0 ? ws_g.epfd_slow : ws_g.epfd; }

static void set_out(ws_conn *c, int on)
{
    if (c->want_out == on || c->fd < 0)
        return;
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(conn_epfd(c), EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = (uint8_t)on;
}

void ws_set_slow(ws_conn *c, int slow)
{
    if (c->slow == slow || ws_g.epfd_slow <= 0)
        return;
    if (c->fd < 0) {
        c->slow = (uint8_t)slow;
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN | (c->want_out ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(conn_epfd(c), EPOLL_CTL_DEL, c->fd, NULL);
    c->slow = (uint8_t)slow;
    epoll_ctl(conn_epfd(c), EPOLL_CTL_ADD, c->fd, &ev);
}

static void finish(ws_conn *c, int code, const char *reason)
{
    if (c->state == WS_CLOSED || c->state == WS_IDLE)
        return;
    if (c->fd >= 0)
        close(c->fd); /* also drops it from the epoll set */
    c->fd = -1;
    c->state = WS_CLOSED;
    c->close_code = code;
    c->tx_len = c->tx_off = 0;
    c->want_out = 0;
    if (ws_g.h && ws_g.h->on_close)
        ws_g.h->on_close(c, code, reason);
}

int ws_connect(ws_conn *c)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    /* Ops are tiny and latency is what we measure: never wait for Nagle. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* Kernel receive times: when the bytes reached this socket, whatever the
     * single-threaded caller was doing then. Set before connect, so that no
     * byte of the connection arrives unstamped. */
    if (ws_g.rx_tstamp && !c->no_tstamp && setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0) {
        ws_g.rx_tstamp_err = errno;
        ws_g.rx_tstamp = 0;
    }
    c->fd = fd;
    c->state = WS_CONNECTING;
    c->want_out = 1;
    c->close_sent = 0;
    c->close_code = 0;
    c->rx_len = c->tx_len = c->tx_off = c->frag_len = 0;
    c->frag_opcode = 0;
    const ws_server *sv = &ws_g.srv[c->srv < ws_g.nsrv ? c->srv : 0];
    if (connect(fd, (struct sockaddr *)&sv->addr, sizeof sv->addr) < 0 && errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        c->fd = -1;
        c->state = WS_IDLE;
        errno = e;
        return -1;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    if (epoll_ctl(conn_epfd(c), EPOLL_CTL_ADD, fd, &ev) < 0) {
        int e = errno;
        close(fd);
        c->fd = -1;
        c->state = WS_IDLE;
        errno = e;
        return -1;
    }
    return 0;
}

/* Write what the kernel takes; keep the rest and wait for EPOLLOUT. */
static int push_bytes(ws_conn *c, const char *p, size_t n)
{
    if (c->tx_len == c->tx_off) {
        c->tx_len = c->tx_off = 0;
        while (n) {
            ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
            if (w > 0) {
                p += w;
                n -= (size_t)w;
                continue;
            }
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;
            finish(c, 0, w < 0 ? strerror(errno) : "send returned 0");
            return -1;
        }
        if (!n)
            return 0;
    }
    if (grow(&c->tx, &c->tx_cap, c->tx_len + n) < 0) {
        finish(c, 0, "out of memory");
        return -1;
    }
    memcpy(c->tx + c->tx_len, p, n);
    c->tx_len += n;
    set_out(c, 1);
    return 0;
}

static int send_frame(ws_conn *c, int opcode, const char *data, size_t len)
{
    if (c->state != WS_OPEN && !(c->state == WS_HANDSHAKE && opcode == 8))
        return -1;
    size_t total = len + 14;
    char *f = g_wbuf;
    char *heap = NULL;
    if (total > sizeof g_wbuf) {
        heap = malloc(total);
        if (!heap) {
            finish(c, 0, "out of memory");
            return -1;
        }
        f = heap;
    }
    size_t h = 0;
    f[h++] = (char)(0x80 | opcode);
    if (len < 126) {
        f[h++] = (char)(0x80 | len);
    } else if (len <= 0xffff) {
        f[h++] = (char)(0x80 | 126);
        f[h++] = (char)(len >> 8);
        f[h++] = (char)len;
    } else {
        f[h++] = (char)(0x80 | 127);
        for (int i = 7; i >= 0; i--)
            f[h++] = (char)((uint64_t)len >> (8 * i));
    }
    uint32_t m = mask_rand();
    unsigned char mk[4] = {(unsigned char)(m >> 24), (unsigned char)(m >> 16), (unsigned char)(m >> 8),
                           (unsigned char)m};
    memcpy(f + h, mk, 4);
    h += 4;
    for (size_t i = 0; i < len; i++)
        f[h + i] = (char)(data[i] ^ mk[i & 3]);
    int r = push_bytes(c, f, h + len);
    free(heap);
    return r;
}

int ws_send_text(ws_conn *c, const char *data, size_t len)
{
    return send_frame(c, 1, data, len);
}

void ws_close(ws_conn *c, int code)
{
    if (c->state == WS_OPEN && !c->close_sent) {
        char p[2] = {(char)(code >> 8), (char)code};
        c->close_sent = 1;
        send_frame(c, 8, p, 2);
    }
    finish(c, code, "closed by us");
}

void ws_free(ws_conn *c)
{
    free(c->rx);
    free(c->tx);
    free(c->frag);
    c->rx = c->tx = c->frag = NULL;
    c->rx_cap = c->tx_cap = c->frag_cap = 0;
}

static void send_handshake(ws_conn *c)
{
    unsigned char key[16];
    for (int i = 0; i < 16; i += 4) {
        uint32_t r = mask_rand();
        memcpy(key + i, &r, 4);
    }
    char k64[25];
    b64(key, 16, k64);
    char cat[64];
    snprintf(cat, sizeof cat, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", k64);
    unsigned char dig[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)cat, strlen(cat), dig);
    b64(dig, sizeof dig, c->accept);
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
                     ws_g.path, ws_g.srv[c->srv < ws_g.nsrv ? c->srv : 0].host, k64);
    c->state = WS_HANDSHAKE;
    push_bytes(c, req, (size_t)n);
}

static const char *find_crlf2(const char *p, size_t n)
{
    for (size_t i = 3; i < n; i++)
        if (p[i] == '\n' && p[i - 1] == '\r' && p[i - 2] == '\n' && p[i - 3] == '\r')
            return p + i + 1;
    return NULL;
}

/* Returns bytes consumed, or (size_t)-1 when the connection was closed. */
static size_t check_handshake(ws_conn *c, char *buf, size_t len)
{
    const char *end = find_crlf2(buf, len);
    if (!end) {
        if (len > 16384) {
            finish(c, 0, "handshake reply too long");
            return (size_t)-1;
        }
        return 0;
    }
    size_t hl = (size_t)(end - buf);
    if (hl < 12 || memcmp(buf, "HTTP/1.1 101", 12) != 0) {
        char line[80];
        size_t ll = 0;
        while (ll < hl && ll < sizeof line - 1 && buf[ll] != '\r')
            line[ll] = buf[ll], ll++;
        line[ll] = 0;
        finish(c, 0, line);
        return (size_t)-1;
    }
    /* Find the accept header line, case-insensitively. */
    int ok = 0;
    const char *p = buf;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            break;
        if ((size_t)(eol - p) > 21 && strncasecmp(p, "Sec-WebSocket-Accept:", 21) == 0) {
            const char *v = p + 21;
            while (*v == ' ')
                v++;
            ok = strncmp(v, c->accept, 28) == 0;
        }
        p = eol + 1;
    }
    if (!ok) {
        finish(c, 0, "bad Sec-WebSocket-Accept");
        return (size_t)-1;
    }
    c->state = WS_OPEN;
    if (ws_g.h && ws_g.h->on_open)
        ws_g.h->on_open(c);
    if (c->state != WS_OPEN)
        return (size_t)-1;
    return hl;
}

/* last: the message ends at the end of the bytes read; alone: and no other
 * message came before it in this read (see ws_env.rx_last). */
static int deliver(ws_conn *c, const char *p, size_t n, int last, int alone)
{
    ws_g.rx_last = (uint8_t)last;
    ws_g.rx_alone = (uint8_t)(last && alone);
    if (ws_g.h && ws_g.h->on_message)
        ws_g.h->on_message(c, p, n);
    return c->state == WS_OPEN ? 0 : -1;
}

/* Decode as many whole frames as buf holds; its first kept bytes came from
 * earlier reads. Returns bytes consumed, or (size_t)-1 when the connection
 * was closed meanwhile. */
static size_t decode(ws_conn *c, char *buf, size_t len, size_t kept)
{
    size_t off = 0;
    if (c->state == WS_HANDSHAKE) {
        size_t r = check_handshake(c, buf, len);
        if (r == (size_t)-1 || r == 0)
            return r;
        off = r;
    }
    while (len - off >= 2) {
        int first = off <= kept; /* nothing of this read comes before the frame */
        unsigned char *f = (unsigned char *)buf + off;
        size_t avail = len - off;
        int fin = f[0] & 0x80, op = f[0] & 0x0f, masked = f[1] & 0x80;
        uint64_t plen = f[1] & 0x7f;
        size_t h = 2;
        if (plen == 126) {
            if (avail < 4)
                break;
            plen = (uint64_t)f[2] << 8 | f[3];
            h = 4;
        } else if (plen == 127) {
            if (avail < 10)
                break;
            plen = 0;
            for (int i = 0; i < 8; i++)
                plen = plen << 8 | f[2 + i];
            h = 10;
        }
        if (plen > WS_MAX_MESSAGE) {
            finish(c, 0, "frame too large");
            return (size_t)-1;
        }
        if (masked)
            h += 4;
        if (avail < h + plen)
            break;
        char *pl = (char *)f + h;
        if (masked) /* servers must not mask, but decoding it costs nothing */
            for (size_t i = 0; i < plen; i++)
                pl[i] ^= (char)f[h - 4 + (i & 3)];
        off += h + (size_t)plen;
        switch (op) {
        case 0: /* continuation */
            if (!c->frag_opcode) {
                finish(c, 0, "continuation without start");
                return (size_t)-1;
            }
            if (c->frag_len + plen > WS_MAX_MESSAGE || grow(&c->frag, &c->frag_cap, c->frag_len + plen) < 0) {
                finish(c, 0, "fragmented message too large");
                return (size_t)-1;
            }
            memcpy(c->frag + c->frag_len, pl, plen);
            c->frag_len += plen;
            if (fin) {
                c->frag_opcode = 0;
                size_t fl = c->frag_len;
                c->frag_len = 0;
                if (deliver(c, c->frag, fl, off == len, first) < 0)
                    return (size_t)-1;
            }
            break;
        case 1:
        case 2:
            if (fin) {
                if (deliver(c, pl, plen, off == len, first) < 0)
                    return (size_t)-1;
            } else {
                if (grow(&c->frag, &c->frag_cap, plen) < 0) {
                    finish(c, 0, "out of memory");
                    return (size_t)-1;
                }
                memcpy(c->frag, pl, plen);
                c->frag_len = plen;
                c->frag_opcode = (uint8_t)op;
            }
            break;
        case 8: { /* close: echo the code, then drop the socket */
            int code = plen >= 2 ? ((unsigned char)pl[0] << 8 | (unsigned char)pl[1]) : 1005;
            if (!c->close_sent) {
                c->close_sent = 1;
                send_frame(c, 8, pl, plen >= 2 ? 2 : 0);
            }
            char why[128];
            size_t wl = plen > 2 ? plen - 2 : 0;
            if (wl > sizeof why - 1)
                wl = sizeof why - 1;
            if (wl)
                memcpy(why, pl + 2, wl);
            why[wl] = 0;
            finish(c, code, why);
            return (size_t)-1;
        }
        case 9: /* ping: the server drops clients that do not answer */
            ws_g.pings++;
            if (send_frame(c, 10, pl, plen) < 0)
                return (size_t)-1;
            break;
        case 10:
            break;
        default:
            finish(c, 0, "unknown opcode");
            return (size_t)-1;
        }
    }
    return off;
}

/* recv, plus the kernel receive time of what it returned in ws_g.rx_ts (0 if
 * none came). recvmsg costs the same syscall; the control buffer is a few
 * bytes on the stack. */
static ssize_t read_stamped(const ws_conn *c)
{
    union {
        char buf[CMSG_SPACE(sizeof(struct timespec))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {.iov_base = g_rbuf, .iov_len = sizeof g_rbuf};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    int stamped = ws_g.rx_tstamp && !c->no_tstamp;
    if (stamped) {
        mh.msg_control = ctl.buf;
        mh.msg_controllen = sizeof ctl.buf;
    }
    ssize_t n = recvmsg(c->fd, &mh, 0);
    ws_g.rx_ts = 0;
    if (n <= 0 || !stamped)
        return n;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(cm), sizeof ts);
            ws_g.rx_ts = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
        }
    }
    if (!ws_g.rx_ts)
        ws_g.rx_reads_no_ts++;
    return n;
}

static void on_readable(ws_conn *c)
{
    /* A few reads per wakeup at most, so one busy socket cannot starve the rest. */
    for (int round = 0; round < 4; round++) {
        ssize_t n = read_stamped(c);
        if (n == 0) {
            finish(c, 0, "connection closed by server (EOF)");
            return;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                finish(c, 0, strerror(errno));
            return;
        }
        size_t used;
        if (c->rx_len == 0) {
            used = decode(c, g_rbuf, (size_t)n, 0);
            if (used == (size_t)-1)
                return;
            size_t rest = (size_t)n - used;
            if (rest) {
                if (grow(&c->rx, &c->rx_cap, rest) < 0) {
                    finish(c, 0, "out of memory");
                    return;
                }
                memcpy(c->rx, g_rbuf + used, rest);
                c->rx_len = rest;
            }
        } else {
            if (grow(&c->rx, &c->rx_cap, c->rx_len + (size_t)n) < 0) {
                finish(c, 0, "out of memory");
                return;
            }
            memcpy(c->rx + c->rx_len, g_rbuf, (size_t)n);
            size_t kept = c->rx_len;
            c->rx_len += (size_t)n;
            used = decode(c, c->rx, c->rx_len, kept);
            if (used == (size_t)-1)
                return;
            if (used) {
                memmove(c->rx, c->rx + used, c->rx_len - used);
                c->rx_len -= used;
            }
        }
        if ((size_t)n < sizeof g_rbuf)
            return;
    }
}

void ws_handle(ws_conn *c, uint32_t events)
{
    if (c->fd < 0)
        return;
    if (c->state == WS_CONNECTING) {
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
            return;
        int err = 0;
        socklen_t el = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err) {
            finish(c, 0, strerror(err));
            return;
        }
        set_out(c, 0);
        send_handshake(c);
        return;
    }
    if (events & EPOLLOUT) {
        while (c->tx_off < c->tx_len) {
            ssize_t w = send(c->fd, c->tx + c->tx_off, c->tx_len - c->tx_off, MSG_NOSIGNAL);
            if (w > 0) {
                c->tx_off += (size_t)w;
                continue;
            }
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;
            finish(c, 0, w < 0 ? strerror(errno) : "send returned 0");
            return;
        }
        if (c->tx_off == c->tx_len) {
            c->tx_off = c->tx_len = 0;
            set_out(c, 0);
        }
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        on_readable(c);
}

/* ---- blocking HTTP for setup requests ---- */

static int read_all_until(int fd, char **buf, size_t *len, size_t *cap, size_t want)
{
    while (*len < want) {
        if (grow(buf, cap, *len + 4096 + 1) < 0)
            return -1;
        ssize_t n = recv(fd, *buf + *len, *cap - *len - 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n == 0 ? 1 : -1;
        *len += (size_t)n;
    }
    return 0;
}

int http_request(const char *method, const char *path, const char *ctype,
                 const char *body, size_t body_len, char **resp_body, int timeout_ms)
{
    return http_request_auth(method, path, NULL, ctype, body, body_len, resp_body, timeout_ms);
}

int http_request_auth(const char *method, const char *path, const char *bearer, const char *ctype,
                      const char *body, size_t body_len, char **resp_body, int timeout_ms)
{
    *resp_body = NULL;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    const ws_server *sv = &ws_g.srv[ws_g.http_srv < ws_g.nsrv ? ws_g.http_srv : 0];
    if (connect(fd, (struct sockaddr *)&sv->addr, sizeof sv->addr) < 0) {
        close(fd);
        return -1;
    }
    char head[1024];
    int hn = snprintf(head, sizeof head,
                      "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nAccept: application/json\r\n"
                      "%s%s%s%s%s%sContent-Length: %zu\r\n\r\n",
                      method, path, sv->host, bearer ? "Authorization: Bearer " : "", bearer ? bearer : "",
                      bearer ? "\r\n" : "", ctype ? "Content-Type: " : "", ctype ? ctype : "",
                      ctype ? "\r\n" : "", body_len);
    if (hn < 0 || (size_t)hn >= sizeof head) {
        close(fd);
        return -1;
    }
    if (send(fd, head, (size_t)hn, MSG_NOSIGNAL) != hn ||
        (body_len && send(fd, body, body_len, MSG_NOSIGNAL) != (ssize_t)body_len)) {
        close(fd);
        return -1;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    const char *hend = NULL;
    int status = -1;
    for (;;) {
        int r = read_all_until(fd, &buf, &len, &cap, len + 1);
        if (r != 0)
            break;
        buf[len] = 0;
        if ((hend = find_crlf2(buf, len)))
            break;
    }
    if (!hend || sscanf(buf, "HTTP/1.%*d %d", &status) != 1) {
        free(buf);
        close(fd);
        return -1;
    }
    size_t hl = (size_t)(hend - buf);
    long clen = -1;
    int chunked = 0;
    for (const char *p = buf; p < hend;) {
        const char *eol = memchr(p, '\n', (size_t)(hend - p));
        if (!eol)
            break;
        if (strncasecmp(p, "Content-Length:", 15) == 0)
            clen = strtol(p + 15, NULL, 10);
        if (strncasecmp(p, "Transfer-Encoding:", 18) == 0 && strstr(p, "chunked") && strstr(p, "chunked") < eol)
            chunked = 1;
        p = eol + 1;
    }
    if (clen >= 0)
        read_all_until(fd, &buf, &len, &cap, hl + (size_t)clen);
    else
        read_all_until(fd, &buf, &len, &cap, (size_t)-1); /* until EOF */
    close(fd);
    size_t blen = len - hl;
    if (clen >= 0 && (size_t)clen < blen)
        blen = (size_t)clen;
    char *out = malloc(blen + 1);
    if (!out) {
        free(buf);
        return -1;
    }
    if (chunked) { /* decode in place: size line, data, CRLF ... */
        size_t o = 0;
        const char *p = buf + hl, *e = buf + len;
        while (p < e) {
            char *end;
            unsigned long sz = strtoul(p, &end, 16);
            const char *nl = memchr(end, '\n', (size_t)(e - end));
            if (!nl || sz == 0)
                break;
            p = nl + 1;
            if ((size_t)(e - p) < sz)
                sz = (unsigned long)(e - p);
            memcpy(out + o, p, sz);
            o += sz;
            p += sz + 2;
        }
        blen = o;
    } else {
        memcpy(out, buf + hl, blen);
    }
    out[blen] = 0;
    free(buf);
    *resp_body = out;
    return status;
}
