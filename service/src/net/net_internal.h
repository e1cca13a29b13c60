/* net_internal.h -- what the net layer's files share. */
#ifndef ATELIER_NET_INTERNAL_H
#define ATELIER_NET_INTERNAL_H

#include <libwebsockets.h>
#include <signal.h>

#include "net/net.h"

/* What a slot names. */
typedef enum { SLOT_FREE, SLOT_WS, SLOT_HTTP } net_slot_kind;

typedef struct net_conn net_conn;
typedef struct net_http net_http;

typedef struct net_slot {
    uint64_t id;               /* generation << 32 | index: stale ids miss */
    net_slot_kind kind;
    void *ptr;                 /* net_conn or net_http */
} net_slot;

/* Per WebSocket connection (lws' per-session storage). */
struct net_conn {
    uint64_t id;               /* slot id */
    struct lws *wsi;
    void *session;             /* the hub's */
    netmsg **q;                /* send queue ring */
    uint32_t qhead, qlen, qcap;
    char *rx;                  /* a message arriving in several pieces */
    size_t rxlen, rxcap;
    bool rx_too_large;         /* the message being received is over the limit */
    bool rx_binary;            /* ... is binary */
    int close_code;            /* close once the queue is empty (0: no) */
    bool dirty;                /* on the server's flush list */
    bool held;                 /* the flush leaves it alone until net_release (net_hold) */
    bool peer_closing;         /* the client sent a close frame: no more data frames */
    lws_usec_t ping_at;        /* when a keepalive ping went out unanswered (0: none) */
    lws_usec_t last_rx;        /* when the client last sent a frame (data or pong) */
};

/* A response header the layer above added (net_http_header). */
typedef struct net_header {
    char name[32];
    char value[NET_HTTP_HEADER_MAX];
} net_header;

/* Per HTTP API request. */
struct net_http {
    uint64_t id;
    struct lws *wsi;
    net_method method;
    char path[256];            /* URI path */
    char *body;                /* request body so far */
    size_t body_len;
    int64_t started_us;        /* when the request was routed: Server-Timing */
    int status;                /* response status, 0 until answered */
    char *resp;                /* NET_PRE + response body */
    size_t resp_len;
    size_t resp_sent;          /* bytes of the body written so far (big bodies go in pieces) */
    char content_type[48];     /* of the response */
    char filename[96];         /* download name (Content-Disposition), "" for none */
    char timing[48];           /* Server-Timing value */
    bool headers_sent;
    bool close_after;          /* the request's framing is unknown (bad Content-Length): close once answered */
    net_header extra[NET_HTTP_HEADERS]; /* headers added by the layer above */
    int nextra;
};

struct net_server {
    net_config cfg;
    struct lws_context *ctx;
    net_handlers on;           /* what the layer above does with connections and requests */
    void *user;                /* ... handed to each of them */
    struct lws_protocols *protocols; /* ours, then cfg.raw's, then the terminator */
    net_slot *slots;
    uint32_t nslots, slots_cap;
    uint32_t *free_slots;      /* stack of free indexes */
    uint32_t nfree;
    uint32_t generation;
    size_t nconns;             /* open WebSocket connections */
    net_counters counted;      /* messages, bytes and drops so far (connections: nconns) */
    volatile sig_atomic_t stop; /* set by net_stop, from a signal handler */
    bool stopping;             /* close frames sent, draining */
    uint64_t *dirty;           /* connections with messages queued since the last flush */
    size_t ndirty, dirty_cap;
    struct net_batch *batch;   /* writes of a flush in one system call (NULL: one sendmsg each) */
    struct net_sendreq *flush_reqs; /* a flush's writes, one per connection */
    net_conn **flush_conns;    /* ... and their connections */
    size_t flush_cap;
    struct iovec *flush_iov;   /* ... and their frames */
    size_t flush_iov_cap;
    lws_sorted_usec_list_t sul_flush; /* keeps the loop from sleeping on a flush list queued from a timer */
    lws_sorted_usec_list_t sul_keepalive; /* the once-a-second sweep of silent connections */
    netmsg *ping;              /* the ping frame every connection is sent (framed once) */
    net_turn_fn turn_fn[NET_TURN_HOOKS]; /* run at the end of each turn, before the flush */
    void *turn_arg[NET_TURN_HOOKS];
    size_t nturn;
};

uint64_t net_slot_add(net_server *n, net_slot_kind kind, void *ptr);
void net_slot_remove(net_server *n, uint64_t id);
void *net_slot_get(net_server *n, uint64_t id, net_slot_kind kind);

int net_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);
int net_http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);
void net_close_all(net_server *n, int code, const char *reason);
/* Write what was queued since the last flush, straight from the loop
 * (no writeable round trip). Called once per loop turn. */
void net_flush(net_server *n);
/* Keepalive (net_keepalive.c): the sweep, and a frame heard from c. */
bool net_keepalive_start(net_server *n);
void net_keepalive_stop(net_server *n);
void net_keepalive_heard(net_conn *c);

#endif
