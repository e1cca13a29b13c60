/* wsclient.h -- a minimal RFC 6455 WebSocket client for the load tool.
 *
 * Why not the lws client: at 10,000 connections the load generator must cost
 * far less per connection and per message than the server it measures. This
 * client is one struct per connection, one shared receive buffer, no
 * per-message allocation when a frame arrives whole, and it is driven by the
 * caller's epoll loop (level-triggered). Text frames only go out; server frames
 * of any length (7/16/64-bit), fragmentation, ping and close are handled.
 *
 * Also here: a blocking HTTP/1.1 helper for the few setup requests. */
#ifndef BENCH_WSCLIENT_H
#define BENCH_WSCLIENT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

enum ws_state {
    WS_IDLE = 0,      /* no socket */
    WS_CONNECTING,    /* TCP connect in progress */
    WS_HANDSHAKE,     /* upgrade request sent, waiting for 101 */
    WS_OPEN,
    WS_CLOSED         /* socket closed; see close_code / error */
};

typedef struct ws_conn ws_conn;

/* Called by ws_handle() for each event; the connection may be closed from
 * inside any of them (ws_close), parsing then stops. */
typedef struct ws_handlers {
    void (*on_open)(ws_conn *c);
    /* One complete text (or binary) message; data is valid only during the call. */
    void (*on_message)(ws_conn *c, const char *data, size_t len);
    /* The connection is gone: code is the peer's close code, or 0 with a
     * reason for a local/TCP failure. Called once. */
    void (*on_close)(ws_conn *c, int code, const char *reason);
} ws_handlers;

struct ws_conn {
    int fd;
    uint8_t state;
    uint8_t frag_opcode;      /* opcode of the message being reassembled, 0 if none */
    uint8_t want_out;         /* EPOLLOUT currently registered */
    uint8_t close_sent;
    uint8_t srv;              /* index into ws_g.srv: the server this connection goes to (set before ws_connect) */
    uint8_t no_tstamp;        /* 1: no kernel receive times on this socket even if ws_g.rx_tstamp */
    uint8_t slow;             /* registered with ws_g.epfd_slow instead of ws_g.epfd (ws_set_slow) */
    int close_code;
    char *rx;                 /* undecoded bytes kept between reads */
    size_t rx_len, rx_cap;
    char *tx;                 /* bytes the kernel did not take yet */
    size_t tx_off, tx_len, tx_cap;
    char *frag;               /* fragments of an unfinished message */
    size_t frag_len, frag_cap;
    char accept[29];          /* expected Sec-WebSocket-Accept */
};

#define WS_MAX_SERVERS 16

/* One server address (several processes may serve the same workshops). */
typedef struct ws_server {
    struct sockaddr_in addr;
    char host[64];            /* Host header value, "127.0.0.1:8080" */
} ws_server;

/* Global settings shared by all connections (one loop). */
typedef struct ws_env {
    int epfd;
    /* A second epoll set the caller waits on less often, for connections
     * whose receive times do not matter (fewer, larger reads); 0: none. */
    int epfd_slow;
    ws_server srv[WS_MAX_SERVERS]; /* the servers, from ws_parse_urls */
    int nsrv;                 /* how many; connections pick one with ws_conn.srv */
    int http_srv;             /* the server http_request talks to [0] */
    const char *path;         /* "/ws" */
    const ws_handlers *h;
    uint64_t pings;           /* server pings answered (keepalive works) */
    /* Kernel receive timestamps. Set rx_tstamp = 1 before connecting and
     * every WebSocket gets SO_TIMESTAMPNS. If a socket refuses it,
     * rx_tstamp drops to 0 and rx_tstamp_err keeps the errno: the times are
     * then missing, and the caller must not report them. */
    int rx_tstamp, rx_tstamp_err;
    /* Valid while on_message runs. rx_ts is the kernel's software receive
     * time (CLOCK_REALTIME, ns) of the bytes the current read returned, 0 if
     * that read carried none. For TCP the kernel gives the time of the LAST
     * segment a read consumed, so a message read together with bytes that
     * came after it gets their later time. rx_last is 1 when the message
     * ends at the end of those bytes: its own arrival time, then. rx_alone is
     * 1 when, besides, nothing of the read came before it: the socket was
     * readable only because of this message. */
    uint64_t rx_ts;
    uint8_t rx_last, rx_alone;
    uint64_t rx_reads_no_ts;  /* reads that returned data but no timestamp */
} ws_env;

extern ws_env ws_g;

/* Parse "host:port" (IPv4 literal or "localhost"). 0 on success. */
int ws_parse_hostport(const char *s, struct sockaddr_in *out, char *host, size_t hostsz);
/* Parse a comma-separated list of "host:port" into ws_g.srv / ws_g.nsrv.
 * 0 on success, -1 (nothing set) on a bad entry or more than WS_MAX_SERVERS. */
int ws_parse_urls(const char *list);

/* Start a non-blocking connect and register the socket with ws_g.epfd,
 * with the epoll user pointer set to c. 0 on success, -1 (errno) when the
 * socket could not even be created (fd exhaustion). */
int ws_connect(ws_conn *c);

/* Move c to ws_g.epfd_slow (slow 1) or back to ws_g.epfd; no-op without a slow set. */
void ws_set_slow(ws_conn *c, int slow);

/* Handle epoll events for c. */
void ws_handle(ws_conn *c, uint32_t events);

/* Queue one masked text frame and try to write it at once. -1 if closed. */
int ws_send_text(ws_conn *c, const char *data, size_t len);

/* Send a close frame (best effort, never blocks) and close the socket.
 * on_close is called with the given code. */
void ws_close(ws_conn *c, int code);

/* Release buffers (after close). */
void ws_free(ws_conn *c);

/* Blocking HTTP request to ws_g.srv[ws_g.http_srv] on a fresh connection (Connection: close). Returns the
 * status code (or -1) and a malloc'd, NUL-terminated body in *body. */
int http_request(const char *method, const char *path, const char *ctype,
                 const char *body, size_t body_len, char **resp_body, int timeout_ms);
/* The same with "Authorization: Bearer BEARER" (a facilitator's key) unless bearer is NULL. */
int http_request_auth(const char *method, const char *path, const char *bearer, const char *ctype,
                      const char *body, size_t body_len, char **resp_body, int timeout_ms);

#endif
