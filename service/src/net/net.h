/* net.h -- the edge: libwebsockets context, static files, HTTP requests,
 * WebSocket connections with bounded send queues.
 *
 * net/ knows nothing above it: what a connection or a request means is
 * decided by the handlers main.c hands it (net_handlers), called with the
 * user pointer handed with them.
 *
 * Connections and HTTP requests are named by 64-bit ids, never by pointers:
 * an id outlives the connection it named, so a late reply (Redis answered
 * after the client left) finds nothing instead of freed memory. */
#ifndef ATELIER_NET_H
#define ATELIER_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sbuf.h"

struct lws_context;
struct lws_protocols;
struct forwarded_proxies;

typedef struct net_server net_server;

typedef struct net_config {
    const char *listen;        /* address to bind */
    int port;                  /* TCP port */
    const char *web_root;      /* directory of the browser app */
    size_t max_message;        /* bytes in one WebSocket message */
    size_t max_queue;          /* messages queued to one slow client before it is dropped */
    size_t max_queue_bytes;    /* bytes queued to one client before it is dropped, whether it reads or not */
    size_t max_connections;    /* TCP connections open at once; more are refused when accepted (503) */
    size_t max_per_ip;         /* ... from one client address (the TCP peer: behind a proxy, the proxy's) */
    const struct forwarded_proxies *trusted_proxies; /* X-Forwarded-For from these names the client
                                                        (net_http_peer, net_ws_peer); NULL or empty: none */
    int handshake_secs;        /* to send whole request headers (lws), and for a WebSocket to be admitted */
    const char *tls_cert;      /* PEM certificate (chain) file: HTTPS and WSS on the port (NULL: plain) */
    const char *tls_key;       /* ... and its private key */
    const char *const *allowed_origins; /* pages of these origins may open WebSockets, besides the server's own */
    size_t nallowed_origins;
    int ping_secs;             /* keepalive ping after this much silence (0: none) */
    bool deflate;              /* offer permessage-deflate */
    bool io_uring;             /* batch the writes of a flush with io_uring when the kernel allows */
    long send_budget;          /* writes a second past which flushes are paced (core/pace.h; 0: never) */
    long send_share;           /* percent of the time flushes may take, past which they are paced (0: no limit) */
    const struct lws_protocols *raw; /* a protocol for descriptors adopted into the loop (the store's), or NULL */
} net_config;

/* A message to send, shared by every connection it goes to. */
typedef struct netmsg {
    int refs;                  /* connections (and the builder) holding it */
    size_t len;                /* bytes of payload */
    uint8_t framed;            /* bytes of frame header written before the payload (0: not yet) */
    uint32_t frames;           /* WebSocket messages its bytes hold when already framed (0: one, itself) */
    char *buf;                 /* NET_PRE bytes of room for the frame header, then the payload */
} netmsg;

/* Bytes to reserve before a payload (LWS_PRE). */
extern const size_t NET_PRE;

/* How a WebSocket message arrived. */
typedef enum {
    NET_IN_TEXT,               /* a whole text message */
    NET_IN_TOO_LARGE,          /* over max_message: its bytes were dropped */
    NET_IN_BINARY,             /* a binary message: dropped */
} net_input;

/* An HTTP API request's method; others are refused by net itself. */
typedef enum { NET_GET, NET_POST, NET_DELETE } net_method;

/* What the layer above does with connections and requests. Each gets the
 * user pointer given to net_set_handlers. */
typedef struct net_handlers {
    /* A WebSocket connection opened: its session, handed back to the two
     * below (NULL closes the connection). */
    void *(*ws_open)(void *user, uint64_t conn);
    /* A whole message arrived (or was dropped: kind says why). */
    void (*ws_message)(void *user, void *session, const char *data, size_t len, net_input kind);
    /* The connection is gone: the session is not handed back again. */
    void (*ws_close)(void *user, void *session);
    /* An HTTP request under /api, /healthz or /metrics, its body read whole (NULL and 0
     * for none). Answer it, now or later, with net_http_respond*; query
     * arguments and headers can be read until then. */
    void (*http_request)(void *user, uint64_t req, net_method method, const char *path, const char *body,
                         size_t len);
    /* net answered a request or a connection itself with this error code
     * (a static string: "unavailable" past a connection limit, "bad_request",
     * "forbidden", "too_large"), before any route; NULL: not told. */
    void (*refused)(void *user, const char *code);
} net_handlers;

net_server *net_new(const net_config *cfg);
void net_free(net_server *n);
struct lws_context *net_context(net_server *n);
/* Before net_run. h is copied; user is handed to every handler. */
void net_set_handlers(net_server *n, const net_handlers *h, void *user);
/* Serve until net_stop; returns 0 on a clean stop. */
int net_run(net_server *n);
/* After net_run: keep the loop turning while busy(arg) says so, for at most
 * ms milliseconds (the store's last writes). */
void net_run_while(net_server *n, bool (*busy)(void *arg), void *arg, int ms);
/* Run fn(arg) at the end of each turn of the loop: after the input of one
 * poll has been handled, before the queued messages are written. For work
 * that gains from seeing a whole turn's input first (one Redis batch, one
 * write). Hooks run in the order they were added; false when all
 * NET_TURN_HOOKS are taken. */
typedef void (*net_turn_fn)(void *arg);
#define NET_TURN_HOOKS 4
bool net_on_turn(net_server *n, net_turn_fn fn, void *arg);
/* Ask the loop to stop (signal-safe): clients get close 1001 first. */
void net_stop(net_server *n);

/* Take over b's buffer (b must have been initialised with head NET_PRE). b is left empty. NULL on OOM. */
netmsg *netmsg_take(sbuf *b);
void netmsg_unref(netmsg *m);

/* Queue m (adds a reference). False when the connection is gone. */
bool net_send(net_server *n, uint64_t conn, netmsg *m);
/* Keep the flush from writing to conn until net_release: its messages
 * queue meanwhile, so that several batches' messages go out in one write. */
void net_hold(net_server *n, uint64_t conn);
void net_release(net_server *n, uint64_t conn);
/* A group: connections that get the same broadcasts (a workshop's people).
 * A broadcast is framed once into the group's log, and each member is sent
 * the log from where it is, together with what was queued to it alone, in
 * the order both were sent: at 10,000 people a broadcast is one append, not
 * 10,000 queue entries, and a flush writes each member one contiguous range
 * (issue 17). The group belongs to whoever made it (net_group_free); its
 * members leave it when they close. */
typedef struct net_group net_group;
net_group *net_group_new(net_server *n);
void net_group_free(net_server *n, net_group *g);
/* From now on conn gets g's broadcasts (it leaves any other group first). */
bool net_group_join(net_server *n, net_group *g, uint64_t conn);
/* conn stops getting them; what it was still to be sent is sent. */
void net_group_leave(net_server *n, uint64_t conn);
/* Send m to every member. m keeps the caller's reference. */
bool net_group_send(net_server *n, net_group *g, netmsg *m);
/* Right after net_group_send: conn, a member, gets alt in place of that
 * broadcast (alt NULL: nothing). */
bool net_group_instead(net_server *n, uint64_t conn, netmsg *alt);
/* Build-and-send for one recipient; b is reset. */
bool net_send_sbuf(net_server *n, uint64_t conn, sbuf *b);
/* The hub's session of a live connection, or NULL. */
void *net_session(net_server *n, uint64_t conn);
/* Close after the queued messages are sent. */
void net_close(net_server *n, uint64_t conn, int code, const char *reason);
/* The layer above took the connection in (a join): it is no longer closed
 * handshake_secs after it opened. */
void net_admit(net_server *n, uint64_t conn);
/* The address a WebSocket connection came from, as text into buf (see
 * net_http_peer), read when it was established. False when it is not known
 * or does not fit. */
bool net_ws_peer(net_server *n, uint64_t conn, char *buf, size_t len);

/* Answer an HTTP request (b holds a JSON body; it is reset). */
void net_http_respond(net_server *n, uint64_t req, int status, sbuf *b);
/* The same with any content type, and a download file name (NULL: none). */
void net_http_respond_as(net_server *n, uint64_t req, int status, const char *content_type, const char *filename,
                         sbuf *b);
/* While routing a request: the value of query argument `name` (URL-decoded)
 * into buf. False when absent, or longer than len - 1: then the request is
 * answered 400 bad_request already (a later answer is dropped). */
bool net_http_arg(net_server *n, uint64_t req, const char *name, char *buf, size_t len);
/* While routing: the token of "Authorization: Bearer TOKEN" into buf.
 * False when there is none (or it does not fit). */
bool net_http_bearer(net_server *n, uint64_t req, char *buf, size_t len);
/* While routing: the address the request came from, as text
 * ("203.0.113.7", "2001:db8::1") into buf: the TCP peer, or when that is one
 * of cfg.trusted_proxies, the client it names in X-Forwarded-For
 * (core/forwarded.h). False when it is not known or does not fit. */
#define NET_PEER_MAX 64 /* bytes of an address as text, with its NUL */
bool net_http_peer(net_server *n, uint64_t req, char *buf, size_t len);
/* Before answering: one more response header ("retry-after",
 * "content-disposition", ...). A "content-security-policy" replaces the
 * server's own (which allows styles and scripts from files only). False, and
 * nothing added, when the request is answered already or it does not fit: at
 * most NET_HTTP_HEADERS extra headers, names under 32 bytes, values under
 * NET_HTTP_HEADER_MAX. Names in lower case. */
#define NET_HTTP_HEADERS 3
#define NET_HTTP_HEADER_MAX 256
bool net_http_header(net_server *n, uint64_t req, const char *name, const char *value);

/* What the edge has done so far (GET /metrics): plain counters, bumped where
 * it happens. */
typedef struct net_counters {
    size_t connections;        /* WebSocket connections open now */
    uint64_t messages_sent;    /* WebSocket messages written to sockets */
    uint64_t bytes_sent;       /* ... their bytes, frame headers included */
    uint64_t queue_drops;      /* connections closed because their send queue was full */
    uint64_t flushes;          /* flushes of queued messages (each one send per connection written to) */
    uint64_t flush_writes;     /* ... the sends they made */
    uint64_t flush_send_us;    /* ... the CPU time of those sends, µs (what --send-share paces) */
} net_counters;
net_counters net_counters_now(const net_server *n);

/* Fill dst with len random base64url characters from the OS CSPRNG. */
bool net_random_b64url(char *dst, size_t len);
/* Fill dst with len random decimal digits, each uniform, and a NUL. */
bool net_random_digits(char *dst, size_t len);

#endif
