#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "net/net_batch.h"
#include "net/net_internal.h"

const size_t NET_PRE = LWS_PRE;

static const struct lws_protocols protocols[] = {
    /* First: WebSocket upgrades without a subprotocol land here. */
    /* A small rx buffer: lws allocates it per connection (4 KiB by default),
     * and messages are small (a join, an op: under 256 bytes); larger ones
     * simply arrive in more pieces (bench/README.md, "Memory per connection"). */
    /* tx_packet_size: lws cuts every send to this (else to rx_buffer_size,
     * 256 bytes) and buffers the rest for later writeable turns; coalesced
     * sends are up to 16 KiB. */
    {"atelier.v1", net_ws_callback, sizeof(net_conn), 256, 0, NULL, 256 * 1024},
    {"atelier-http", net_http_callback, sizeof(net_http), 0, 0, NULL, 0},
};
#define NET_PROTOCOLS (sizeof protocols / sizeof protocols[0])

/* Ours, then the adopted descriptors' (cfg->raw), then lws' terminator. */
static struct lws_protocols *protocol_table(const net_config *cfg) {
    struct lws_protocols *t = calloc(NET_PROTOCOLS + 2, sizeof *t);
    if (!t) return NULL;
    memcpy(t, protocols, sizeof protocols);
    if (cfg->raw) t[NET_PROTOCOLS] = *cfg->raw;
    return t;
}

/* lws knows few MIME types; anything else would be refused with 415. */
static const struct lws_protocol_vhost_options mime_map = {NULL, NULL, ".map", "application/json"};
static const struct lws_protocol_vhost_options mime_webmanifest = {&mime_map, NULL, ".webmanifest", "application/manifest+json"};
static const struct lws_protocol_vhost_options mime_mjs = {&mime_webmanifest, NULL, ".mjs", "text/javascript"};
static const struct lws_protocol_vhost_options mime_md = {&mime_mjs, NULL, ".md", "text/markdown; charset=utf-8"};

/* The headers of lws' HEADERS_SECURITY_BEST_PRACTICES_ENFORCE option, but
 * WebSockets only to this server: 'self' covers ws: and wss: of the page's
 * own host and port (CSP Level 3, "connect-src"). And HSTS with TLS. */
static const struct lws_protocol_vhost_options header_csp = {
    NULL, NULL, "content-security-policy:",
    "default-src 'none'; img-src 'self' data: ; script-src 'self'; font-src 'self'; style-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self';"};
static const struct lws_protocol_vhost_options header_nosniff = {&header_csp, NULL, "x-content-type-options:", "nosniff"};
static const struct lws_protocol_vhost_options header_frames = {&header_nosniff, NULL, "x-frame-options:", "deny"};
static const struct lws_protocol_vhost_options header_referrer = {&header_frames, NULL, "referrer-policy:", "no-referrer"};
static const struct lws_protocol_vhost_options header_hsts = {&header_referrer, NULL, "strict-transport-security:",
                                                              "max-age=31536000"};

/* Without a limit of its own, a process may hold (descriptors - 32) / 2
 * connections: a connection may hold two (its socket, a file being served),
 * and the rest is Redis, io_uring, the listening socket, stdio. */
static size_t default_max_connections(int fd_limit) {
    return fd_limit > 34 ? (size_t)(fd_limit - 32) / 2 : 1;
}

/* The soft limit is raised to the hard one first: many systems start
 * processes at 1,024 descriptors, which would cap a server at about 500
 * people whatever the administrator allowed (the hard limit). */
static int descriptor_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit raised = {.rlim_cur = rl.rlim_max, .rlim_max = rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > INT_MAX) return 0;
    return (int)rl.rlim_cur;
}

static const struct lws_extension extensions[] = {
    {"permessage-deflate", lws_extension_callback_pm_deflate, "permessage-deflate; client_no_context_takeover"},
    {NULL, NULL, NULL},
};

net_server *net_new(const net_config *cfg) {
    net_server *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->cfg = *cfg;
    pace_init(&n->pace, (double)cfg->send_budget, NET_PACE_BURST_US, NET_PACE_WAIT_MAX_US, lws_now_usecs());
    /* The same bucket counting microseconds of writing instead of writes:
     * what a write costs differs between machines (and on loopback the
     * receivers' side is paid here too), the share of the loop does not. */
    pace_init(&n->pace_time, (double)cfg->send_share * 1e4, NET_PACE_BURST_US, NET_PACE_WAIT_MAX_US, lws_now_usecs());
    n->protocols = protocol_table(cfg);
    if (!n->protocols) {
        free(n);
        return NULL;
    }

    static struct lws_http_mount m_metrics, m_health, m_api, m_root;
    m_metrics = (struct lws_http_mount){.mountpoint = "/metrics", .origin = "atelier-http", .protocol = "atelier-http",
                                        .origin_protocol = LWSMPRO_CALLBACK, .mountpoint_len = 8};
    m_health = (struct lws_http_mount){.mount_next = &m_metrics, .mountpoint = "/healthz", .origin = "atelier-http",
                                       .protocol = "atelier-http", .origin_protocol = LWSMPRO_CALLBACK, .mountpoint_len = 8};
    m_api = (struct lws_http_mount){.mount_next = &m_health, .mountpoint = "/api", .origin = "atelier-http",
                                    .protocol = "atelier-http", .origin_protocol = LWSMPRO_CALLBACK, .mountpoint_len = 4};
    m_root = (struct lws_http_mount){.mount_next = &m_api, .mountpoint = "/", .origin = cfg->web_root, .def = "index.html",
                                     .extra_mimetypes = &mime_md, .origin_protocol = LWSMPRO_FILE, .mountpoint_len = 1};

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = cfg->port;
    info.iface = cfg->listen;
    info.protocols = n->protocols;
    info.mounts = &m_root;
    info.vhost_name = "default";
    info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_DISABLE_IPV6;
    n->headers = cfg->tls_cert ? &header_hsts : &header_referrer;
    info.headers = n->headers;
    /* Whole request headers (and a body) within this time, else closed
     * (slowloris); a WebSocket must also be admitted within it (the sweep). */
    info.timeout_secs = (unsigned int)cfg->handshake_secs;
    if (cfg->tls_cert) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = cfg->tls_cert;
        info.ssl_private_key_filepath = cfg->tls_key;
        info.alpn = "http/1.1"; /* not h2: WebSockets and the API are HTTP/1.1 here */
    }
    n->fd_limit = descriptor_limit();
    if (!n->cfg.max_connections) n->cfg.max_connections = default_max_connections(n->fd_limit);
    peers_init(&n->peers, n->cfg.max_connections, n->cfg.max_per_ip);
    if (cfg->deflate) info.extensions = extensions;
    info.user = n;
    /* No keepalive timers from lws: net_keepalive.c does it. Without a policy
     * of our own lws applies its default (ping after 300 s), with the same
     * per-connection timer it re-inserts by walking a list of all of them. */
    static const lws_retry_bo_t no_lws_keepalive = {.secs_since_valid_ping = 0, .secs_since_valid_hangup = 0};
    info.retry_and_idle_policy = &no_lws_keepalive;
    /* lws on libuv's loop (net_loop.c), not its own poll(). */
    if (!net_loop_init(n)) {
        net_free(n);
        return NULL;
    }
    void *loops[] = {&n->loop};
    info.options |= LWS_SERVER_OPTION_LIBUV;
    info.foreign_loops = loops;
    info.pcontext = &n->ctx; /* lws clears it when it is done destroying */
    net_alloc_install(); /* before lws allocates anything */
    n->ctx = lws_create_context(&info);
    if (n->ctx) net_loop_start(n);
    if (!n->ctx || !net_keepalive_start(n)) {
        net_free(n);
        return NULL;
    }
    net_static_guard(n->ctx, cfg->web_root);
    lwsl_notice("at most %zu connections, %zu per address; %d s to send request headers or to join%s\n",
                n->cfg.max_connections, n->cfg.max_per_ip, cfg->handshake_secs, cfg->tls_cert ? "; TLS on" : "");
    const char *why = "turned off";
    if (cfg->io_uring) n->batch = net_batch_new(256, &why);
    if (n->batch) lwsl_notice("writes batched with io_uring\n");
    else lwsl_notice("writes with one sendmsg per connection: io_uring %s\n", why);
    return n;
}

struct lws_context *net_context(net_server *n) { return n->ctx; }

net_counters net_counters_now(const net_server *n) {
    net_counters c = n->counted;
    c.connections = n->nconns;
    return c;
}
void net_set_handlers(net_server *n, const net_handlers *h, void *user) {
    n->on = *h;
    n->user = user;
}

void net_stop(net_server *n) {
    n->stop = 1;
    lws_cancel_service(n->ctx);
}

void net_refused(net_server *n, const char *code) {
    if (n->on.refused) n->on.refused(n->user, code);
}

bool net_on_turn(net_server *n, net_turn_fn fn, void *arg) {
    if (n->nturn == NET_TURN_HOOKS) return false;
    n->turn_fn[n->nturn] = fn;
    n->turn_arg[n->nturn++] = arg;
    return true;
}

static void turn_end(net_server *n) {
    for (size_t i = 0; i < n->nturn; i++) n->turn_fn[i](n->turn_arg[i]);
    net_flush(n);
}

int net_run(net_server *n) {
    lws_usec_t drain_until = 0;
    while (net_loop_turn(n)) {
        turn_end(n);
        if (n->stop && !n->stopping) {
            /* lws sends no close frame when the context is destroyed: say goodbye first. */
            n->stopping = true;
            net_close_all(n, 1001, "server shutting down");
            drain_until = lws_now_usecs() + 300 * LWS_US_PER_MS;
        }
        if (n->stopping && (n->nconns == 0 || lws_now_usecs() > drain_until)) break;
    }
    return 0;
}

void net_run_while(net_server *n, bool (*busy)(void *arg), void *arg, int ms) {
    lws_usec_t until = lws_now_usecs() + (lws_usec_t)ms * LWS_US_PER_MS;
    while (busy(arg) && lws_now_usecs() < until && net_loop_turn(n)) turn_end(n);
}

void net_free(net_server *n) {
    if (!n) return;
    lws_sul_cancel(&n->sul_flush);
    net_keepalive_stop(n);
    net_loop_close(n);
    free(n->slots);
    free(n->free_slots);
    free(n->dirty);
    free(n->dirty_groups);
    free(n->urgent);
    net_batch_free(n->batch);
    free(n->flush_reqs);
    free(n->flush_conns);
    free(n->flush_iov);
    free(n->protocols);
    peers_free(&n->peers);
    free(n);
}

uint64_t net_slot_add(net_server *n, net_slot_kind kind, void *ptr) {
    uint32_t idx;
    if (n->nfree) {
        idx = n->free_slots[--n->nfree];
    } else {
        if (n->nslots == n->slots_cap) {
            uint32_t cap = n->slots_cap ? n->slots_cap * 2 : 256;
            net_slot *s = realloc(n->slots, cap * sizeof *s);
            if (!s) return 0;
            n->slots = s;
            uint32_t *f = realloc(n->free_slots, cap * sizeof *f);
            if (!f) return 0;
            n->free_slots = f;
            n->slots_cap = cap;
        }
        idx = n->nslots++;
    }
    n->generation++;
    if (n->generation == 0) n->generation = 1; /* id 0 means none */
    uint64_t id = ((uint64_t)n->generation << 32) | idx;
    n->slots[idx] = (net_slot){.id = id, .kind = kind, .ptr = ptr};
    return id;
}

void net_slot_remove(net_server *n, uint64_t id) {
    uint32_t idx = (uint32_t)id;
    if (idx >= n->nslots || n->slots[idx].id != id) return;
    n->slots[idx] = (net_slot){0};
    n->free_slots[n->nfree++] = idx;
}

void *net_slot_get(net_server *n, uint64_t id, net_slot_kind kind) {
    uint32_t idx = (uint32_t)id;
    if (!id || idx >= n->nslots || n->slots[idx].id != id || n->slots[idx].kind != kind) return NULL;
    return n->slots[idx].ptr;
}

netmsg *netmsg_take(sbuf *b) {
    netmsg *m = malloc(sizeof *m);
    if (!m || !sbuf_ok(b) || !b->buf) {
        free(m);
        sbuf_reset(b);
        return NULL;
    }
    *m = (netmsg){.refs = 1, .len = b->len, .buf = b->buf};
    b->buf = NULL;
    b->len = b->cap = 0;
    b->oom = false;
    return m;
}

void netmsg_unref(netmsg *m) {
    if (m && --m->refs == 0) {
        free(m->buf);
        free(m);
    }
}

bool net_send_sbuf(net_server *n, uint64_t conn, sbuf *b) {
    netmsg *m = netmsg_take(b);
    if (!m) return false;
    bool ok = net_send(n, conn, m);
    netmsg_unref(m);
    net_conn *c = ok ? net_slot_get(n, conn, SLOT_WS) : NULL;
    if (c) net_mark_urgent(n, c); /* an answer to this client alone: never held for the budget */
    return ok;
}

/* len bytes from the OS CSPRNG. */
static bool random_bytes(unsigned char *dst, size_t len) {
    size_t got = 0;
    while (got < len) {
        ssize_t r = getrandom(dst + got, len - got, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        got += (size_t)r;
    }
    return true;
}

bool net_random_b64url(char *dst, size_t len) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[64];
    if (len > sizeof raw || !random_bytes(raw, len)) return false;
    /* 64 symbols: each byte's low 6 bits are uniform, so each character carries 6 random bits. */
    for (size_t i = 0; i < len; i++) dst[i] = alphabet[raw[i] & 63];
    dst[len] = '\0';
    return true;
}

bool net_random_digits(char *dst, size_t len) {
    unsigned char raw[32];
    size_t used = sizeof raw;
    for (size_t i = 0; i < len;) {
        if (used == sizeof raw) {
            if (!random_bytes(raw, sizeof raw)) return false;
            used = 0;
        }
        unsigned char byte = raw[used++];
        if (byte >= 250) continue; /* 250 = 25 x 10: below it, byte % 10 is uniform */
        dst[i++] = (char)('0' + byte % 10);
    }
    dst[len] = '\0';
    return true;
}
