/* net_internal.h -- what the net layer's files share. */
#ifndef ATELIER_NET_INTERNAL_H
#define ATELIER_NET_INTERNAL_H

#include <libwebsockets.h>
#include <signal.h>
#include <uv.h>

#include "core/pace.h"
#include "core/peers.h"
#include "net/net.h"

#define NET_PACE_BURST_US 10000      /* writes the budget lets go at once: 10 ms of it */
#define NET_PACE_WAIT_MAX_US 250000  /* the longest a flush is held back for the budget */
#define NET_UNFLUSHED_MAX (1 << 20)  /* bytes of new messages queued before a flush comes early (net_send) */
#define NET_FLUSH_CHUNK 1024         /* connections a paced flush writes before the loop turns again */
/* Frames per send: at assembly size a connection has tens of messages
 * queued per flush, and each send costs far more than its bytes (32 here
 * halved what 10,000 people could be sent: bench/README.md, issue 17). The
 * kernel takes up to 1,024 (UIO_MAXIOV). */
#define NET_IOV_PER_SEND 512

/* What a slot names. */
typedef enum { SLOT_FREE, SLOT_WS, SLOT_HTTP } net_slot_kind;

typedef struct net_conn net_conn;
typedef struct net_http net_http;

typedef struct net_slot {
    uint64_t id;               /* generation << 32 | index: stale ids miss */
    net_slot_kind kind;
    void *ptr;                 /* net_conn or net_http */
} net_slot;

/* One entry of a connection's send queue. */
typedef struct net_qent {
    netmsg *m;                 /* the message (NULL: none, the entry only skips log bytes) */
    uint64_t at;               /* its group's log end when it was queued: it goes after the log bytes before that */
    uint32_t skip;             /* and then this many log bytes are not for this connection (net_group_instead) */
} net_qent;

/* Connections that get the same broadcasts (net_group.c). */
struct net_group {
    char *log;                 /* broadcasts, framed, not yet sent to every member, from log[head] */
    size_t head;               /* bytes before them, sent to everyone: moved out once they outweigh the rest */
    size_t len, cap;           /* bytes from log[head], allocated */
    uint64_t base;             /* the stream offset of log[head] (offsets only grow) */
    uint32_t last_frame;       /* bytes of the last broadcast appended (net_group_instead) */
    uint64_t *starts;          /* the stream offset of each broadcast in the log, ascending (counting messages sent),
                                  from starts[starts_head] */
    size_t starts_head;        /* entries before them, of broadcasts sent to everyone: moved out as the log's bytes are */
    size_t nstarts, starts_cap; /* entries from starts[starts_head], allocated */
    net_conn **members;
    uint32_t nmembers, members_cap;
    bool dirty;                /* on the server's list of groups to flush */
    bool per_member;           /* permessage-deflate or TLS: lws frames each message, so no shared log */
};

/* Per WebSocket connection (lws' per-session storage). */
struct net_conn {
    uint64_t id;               /* slot id */
    struct lws *wsi;
    void *session;             /* the hub's */
    net_qent *q;               /* send queue ring */
    uint32_t qhead, qlen, qcap;
    size_t qbytes;             /* bytes of the messages queued */
    net_group *group;          /* whose broadcasts it gets (NULL: none) */
    uint32_t gslot;            /* its index in group->members */
    uint64_t gpos;             /* the stream offset of the next log byte it is to be sent */
    char *rx;                  /* a message arriving in several pieces */
    size_t rxlen, rxcap;
    bool rx_too_large;         /* the message being received is over the limit */
    bool rx_binary;            /* ... is binary */
    int close_code;            /* close once the queue is empty (0: no) */
    bool dirty;                /* on the server's flush list */
    uint32_t flushed_in;       /* the last flush that wrote to it (n->flushes_begun): once per flush */
    bool urgent;               /* ... with an answer to it queued: written even while flushes are paced */
    bool urgent_held;          /* an answer waited while held: urgent again at net_release */
    bool held;                 /* the flush leaves it alone until net_release (net_hold) */
    bool peer_closing;         /* the client sent a close frame: no more data frames */
    lws_usec_t ping_at;        /* when a keepalive ping went out unanswered (0: none) */
    lws_usec_t last_rx;        /* when the client last sent a frame (data or pong) */
    lws_usec_t opened_at;      /* when the upgrade finished */
    bool admitted;             /* the layer above took it in (net_admit): no handshake deadline */
    char peer[NET_PEER_MAX];   /* the client's address (net_client_address), "" when unknown */
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
    uint64_t *dirty;           /* connections with something to send, oldest first: flushed in that order */
    size_t ndirty, dirty_cap;
    bool round_parked;         /* a paced round found everyone on the flush list held: it waits for a release */
    size_t unflushed;          /* bytes of the messages queued since the last flush, each message once */
    uint64_t *urgent;          /* those with an answer queued (net_send_sbuf): written at once, paced or not;
                                  a connection may be on both lists (flushed_in tells), on each once */
    size_t nurgent, urgent_cap;
    uint32_t flushes_begun;    /* counts flush_some calls */
    struct net_batch *batch;   /* writes of a flush in one system call (NULL: one sendmsg each) */
    struct net_sendreq *flush_reqs; /* a flush's writes, one per connection */
    net_conn **flush_conns;    /* ... and their connections */
    size_t flush_cap;
    struct iovec *flush_iov;   /* ... and their frames */
    size_t flush_iov_cap;
    net_group **dirty_groups;  /* groups with broadcasts appended since the last flush */
    size_t ndirty_groups, dirty_groups_cap;
    lws_sorted_usec_list_t sul_flush; /* the next flush: at once after a timer queued messages, or when the pace allows */
    pace pace;                 /* writes per second of the flushes (--send-budget) */
    pace pace_time;            /* microseconds of flushing per second (--send-share) */
    uv_loop_t loop;            /* the event loop; lws runs on it (net_loop.c) */
    bool loop_ready;           /* loop initialised, not yet closed */
    uv_prepare_t before_wait;  /* each turn, just before the loop waits: arms wake */
    uv_timer_t wake;           /* the earliest timer of ours is due: wake lws if it did not (net_loop.c) */
    lws_sorted_usec_list_t sul_keepalive; /* the once-a-second sweep of silent connections */
    netmsg *ping;              /* the ping frame every connection is sent (framed once) */
    net_turn_fn turn_fn[NET_TURN_HOOKS]; /* run at the end of each turn, before the flush */
    void *turn_arg[NET_TURN_HOOKS];
    size_t nturn;
    const struct lws_protocol_vhost_options *headers; /* every response carries them (lws adds them to what it
                                                         heads; a response with a policy of its own writes them) */
    peers peers;               /* TCP connections open, per client address (net_admit.c) */
    uint32_t accepting;        /* address key of the connection just accepted, until lws instantiates it (0: none) */
    int fd_limit;              /* RLIMIT_NOFILE when the server started */
    size_t refused[4];         /* connections refused since the last report, by net_refusal */
    lws_usec_t refused_logged_at; /* when refusals were last reported */
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
/* The event loop (net_loop.c): init before the lws context, start after it;
 * a turn runs the loop once (waits for input or a timer); close destroys
 * the lws context too, as libuv needs for lws' handles. */
bool net_loop_init(net_server *n);
void net_loop_start(net_server *n);
bool net_loop_turn(net_server *n);
void net_loop_close(net_server *n);

/* Groups (net_group.c). The stream offset where g's log ends. */
uint64_t net_group_end(const net_group *g);
/* The log's bytes at stream offsets [from, to), which it still holds. */
struct iovec net_group_bytes(const net_group *g, uint64_t from, uint64_t to);
/* Before a flush: each member of a group with new broadcasts goes on the
 * flush list (or is dropped when too far behind). After it: the log bytes
 * every member has been sent are let go. */
void net_groups_expand(net_server *n);
/* How many of g's broadcasts start within the stream offsets [from, to). */
size_t net_group_frames(const net_group *g, uint64_t from, uint64_t to);
void net_groups_trim(net_server *n);
/* c stops getting its group's broadcasts. With keep, what it was still to
 * be sent of the log becomes queued messages of its own (a session leaving
 * its workshop still gets what was sent before); without, it is dropped (a
 * closed or dropped connection). */
void net_group_detach(net_server *n, net_conn *c, bool keep);

/* The flushes (net_flush.c). c on the flush list. */
void net_mark_dirty(net_server *n, net_conn *c);
/* c has an answer queued: on the urgent list too. */
void net_mark_urgent(net_server *n, net_conn *c);
void net_mark_group_dirty(net_server *n, net_group *g);
/* Before m is queued (net_send): past NET_UNFLUSHED_MAX of new messages,
 * what is queued goes out first. */
void net_flush_if_full(net_server *n, const netmsg *m);

/* A connection's send queue (net_queue.c). Queue m (NULL: an entry that
 * only skips) to c, after the group log's bytes before `at` and skipping
 * `skip` of them. False (and c dropped) past the queue's limits. */
bool net_queue(net_server *n, net_conn *c, netmsg *m, uint64_t at, uint32_t skip);
/* The message just queued to c (the last entry) becomes alt (NULL: none). */
bool net_requeue_last(net_server *n, net_conn *c, netmsg *alt);
/* c's pending log bytes become messages of its own queue (net_group_detach).
 * False when out of memory: then c's queue is empty, and c must be dropped. */
bool net_queue_unshare(net_server *n, net_conn *c);
/* Every entry let go; the queue's memory freed. */
void net_queue_clear(net_conn *c);
/* After c was sent everything: its queue's memory freed (an idle connection holds none). */
void net_queue_drained(net_conn *c);
/* The first entry's message (NULL: none, or an entry that only skips). */
netmsg *net_queue_head(const net_conn *c);
/* The first entry let go. */
void net_queue_pop(net_conn *c);
/* The entries at the head that only skip log bytes let go. */
void net_queue_pop_skips(net_conn *c);
/* m's bytes on the wire: its frame header, written once, then its payload. */
struct iovec net_frame(netmsg *m);
/* Whether c has anything to be sent: queued messages or log bytes. */
bool net_pending(const net_conn *c);
/* The next frames (or log ranges) of c's walk into iov, at most max. */
int net_queue_gather(net_conn *c, struct iovec *iov, int max);
/* After a write of result bytes of the cnt frames net_queue_gather gave:
 * what went out let go. 1: all went out, 0: the socket is full, -1: the
 * connection is broken. */
int net_queue_sent(net_server *n, struct lws *wsi, net_conn *c, const struct iovec *iov, int cnt, ssize_t result);
/* c's walk written from lws' writeable callback until it is done or the
 * socket is full. -1: the connection is broken. */
int net_queue_write(net_server *n, struct lws *wsi, net_conn *c);

/* Keepalive (net_keepalive.c): the sweep, and a frame heard from c. */
bool net_keepalive_start(net_server *n);
void net_keepalive_stop(net_server *n);
void net_keepalive_heard(net_conn *c);
/* Close c now, whether or not it reads: its queue is dropped, a close frame
 * is attempted, and the socket goes within a second anyway. */
void net_drop(net_server *n, net_conn *c, int code);
/* Admission (net_admit.c): lws' callbacks about every connection, delivered to
 * protocols[0]. accepted: 0 lets it in; a refusal is answered and closed. */
int net_admit_accepted(net_server *n, const struct lws_filter_network_conn_args *a);
void net_admit_instantiated(net_server *n, struct lws *wsi);
void net_admit_destroyed(net_server *n, struct lws *wsi);
/* A socket lws would turn raw (CONNECT, or a request it cannot parse): refused. */
int net_admit_raw(struct lws *wsi);
/* LWS_CALLBACK_HTTP_CONFIRM_UPGRADE, whichever protocol the connection was
 * bound to (a keep-alive connection's last request may have been the API's). */
int net_ws_confirm_upgrade(struct lws *wsi, const char *to);
/* LWS_CALLBACK_FILTER_HTTP_CONNECTION, likewise: a request whose framing is
 * ambiguous, or of a method not served, is refused and its connection closed. */
int net_http_filter(struct lws *wsi);
/* The client address the per-address limits count (net_peer.c): the TCP
 * peer, or the client a trusted proxy forwarded. Only while wsi's request
 * headers are there. False when unknown or longer than len - 1. */
bool net_client_address(net_server *n, struct lws *wsi, char *buf, size_t len);
/* lws' allocations of a header table's size or more in pages of their own,
 * given back at once when freed (net_alloc.c). Before lws_create_context. */
void net_alloc_install(void);
/* Serve no file whose real path leaves web_root (net_static.c). */
void net_static_guard(struct lws_context *ctx, const char *web_root);
/* Tell the layer above of an error net answered itself (net_handlers.refused). */
void net_refused(net_server *n, const char *code);
/* What net_admit_accepted refused, counted for the report. */
typedef enum { NET_REFUSED_FULL, NET_REFUSED_ADDRESS, NET_REFUSED_DESCRIPTORS, NET_REFUSED_MEMORY } net_refusal;

#endif
