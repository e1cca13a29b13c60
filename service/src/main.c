/* atelier -- the workshop server: settings, signals, wiring, shutdown. */
#include <errno.h>
#include <getopt.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/forwarded.h"
#include "core/redis_url.h"
#include "hub/hub.h"
#include "net/net.h"
#include "store/store.h"

#define MAX_ORIGINS 16

typedef struct settings {
    const char *listen;
    int port;
    redis_url redis;           /* --redis, with the password of ATELIER_REDIS_PASSWORD_FILE if set */
    const char *web_root;
    const char *log_level;
    long max_message;
    double rate, burst;
    long window;
    long window_bytes;
    long max_rooms;
    long room_linger_secs;     /* a room nobody is connected to stays loaded this long */
    long snapshot_every;
    long max_queue;
    int ping_secs;
    int presence_secs;
    long presence_list_max;    /* more people present make a big workshop (hub_crowd.c) */
    long hold_us;
    bool deflate;
    bool io_uring;
    const char *create_token;  /* NULL: anyone may create workshops */
    long create_rate;          /* creations per client address and hour */
    const char *metrics_token; /* NULL: GET /metrics open to all */
    long retention_secs;       /* a workshop nobody wrote to for this long is deleted */
    long replicas;             /* replicas that must have a write before it is acknowledged (WAIT) */
    long replicas_timeout_ms;  /* ... how long to wait for them */
    long max_connections;      /* 0: from RLIMIT_NOFILE */
    long max_per_ip;
    int handshake_secs;
    long max_queue_bytes;
    long send_budget;          /* socket writes a second past which flushes are paced (0: never) */
    long send_share;           /* percent of the time the loop may spend writing flushes (0: no limit) */
    long join_rate;
    const char *tls_cert, *tls_key;
    const char *origins[MAX_ORIGINS]; /* --allowed-origin, in order */
    size_t norigins;
    forwarded_proxies trusted_proxies; /* --trust-proxy (n == 0: none) */
} settings;

static net_server *volatile running; /* read by the signal handler */

static void on_signal(int sig) {
    (void)sig;
    if (running) net_stop(running);
}

static void usage(FILE *f) {
    fprintf(f,
            "Usage: atelier [options]\n"
            "Serves Atelier workshops: the web app, the HTTP API and the WebSocket protocol on one port.\n\n"
            "Each option can also be set by the environment variable in brackets.\n"
            "  --listen ADDR         address to listen on [ATELIER_LISTEN] (default 127.0.0.1)\n"
            "  --port N              TCP port [ATELIER_PORT] (default 8080)\n"
            "  --redis URL           Redis server, redis://[[user]:password@]host:port[/db] [ATELIER_REDIS]\n"
            "                        (default redis://127.0.0.1:6379); a password may rather be read from the\n"
            "                        file named by ATELIER_REDIS_PASSWORD_FILE, kept out of the process list;\n"
            "                        or the Sentinels that know the primary, sentinel://[[user]:password@]host:port\n"
            "                        [,host:port...]/NAME[/db][?sentinel_password=P]: the server follows its failovers\n"
            "  --web-root DIR        directory of the web client [ATELIER_WEB_ROOT] (default ./web-client/dist)\n"
            "  --log-level LEVEL     error, warn, notice, info or debug [ATELIER_LOG_LEVEL] (default notice)\n"
            "  --max-message BYTES   largest WebSocket message [ATELIER_MAX_MESSAGE] (default 65536)\n"
            "  --rate N              messages per second per participant [ATELIER_RATE] (default 200)\n"
            "  --burst N             burst allowance per participant [ATELIER_BURST] (default 400)\n"
            "  --window N            recent ops kept per workshop [ATELIER_WINDOW] (default 1000)\n"
            "  --window-bytes BYTES  memory those ops may hold per workshop: older ones leave past it\n"
            "                        [ATELIER_WINDOW_BYTES] (default 4194304)\n"
            "  --max-rooms N         workshops in memory at once; a join to another one is refused (unavailable)\n"
            "                        [ATELIER_MAX_ROOMS] (default 10000)\n"
            "  --room-linger-secs N  a workshop nobody is connected to stays in memory N seconds more, so that a\n"
            "                        page reloaded joins at once; 0 unloads it at once [ATELIER_ROOM_LINGER_SECS] (default 5)\n"
            "  --snapshot-every N    revisions between snapshots [ATELIER_SNAPSHOT_EVERY] (default 200)\n"
            "  --max-queue N         messages queued to a slow client before it is dropped [ATELIER_MAX_QUEUE] (default 4096)\n"
            "  --max-queue-bytes N   bytes queued to a client before it is dropped, whether it reads or not\n"
            "                        [ATELIER_MAX_QUEUE_BYTES] (default 16777216)\n"
            "  --send-budget N       socket writes a second past which messages are sent in fewer, larger writes:\n"
            "                        a big audience then gets several messages per write, at most 250 ms later\n"
            "                        (README, \"Delivery under load\") [ATELIER_SEND_BUDGET] (default 150000; 0: never)\n"
            "  --send-share P        at most P %% of the time spent writing flushes: past it, the same fewer, larger\n"
            "                        writes, whatever a write costs on this machine [ATELIER_SEND_SHARE] (default 50; 0: no limit)\n"
            "  --max-connections N   TCP connections open at once; more are answered 503 [ATELIER_MAX_CONNECTIONS]\n"
            "                        (default: (descriptor limit - 32) / 2)\n"
            "  --max-connections-per-ip N  ... from one client address [ATELIER_MAX_CONNECTIONS_PER_IP] (default 1000)\n"
            "  --handshake-secs N    to send whole request headers, and for a WebSocket to join; else closed\n"
            "                        [ATELIER_HANDSHAKE_SECS] (default 10)\n"
            "  --trust-proxy LIST    addresses or CIDR ranges of reverse proxies (haproxy) whose X-Forwarded-For\n"
            "                        names the client, for the per-address rates (joins, join codes, creations);\n"
            "                        comma-separated, e.g. 127.0.0.1,::1 [ATELIER_TRUST_PROXY] (default: none)\n"
            "  --join-rate N         joins per second from one client address, in bursts of up to 10N\n"
            "                        (a whole office reconnecting at once) [ATELIER_JOIN_RATE] (default 100)\n"
            "  --tls-cert FILE       PEM certificate (chain): HTTPS and WSS on the port, with HSTS [ATELIER_TLS_CERT]\n"
            "  --tls-key FILE        its private key [ATELIER_TLS_KEY]\n"
            "  --allowed-origin URL  pages of this origin (https://example.org) may open WebSockets besides the\n"
            "                        server's own; repeatable [ATELIER_ALLOWED_ORIGIN, space-separated]\n"
            "  --ping-secs N         keepalive ping after N silent seconds, dropped after N more without an answer;\n"
            "                        0 for none [ATELIER_PING_SECS] (default 30)\n"
            "  --presence-secs N     a server process on the same Redis silent this long is gone: its participants\n"
            "                        depart [ATELIER_PRESENCE_SECS] (default 20)\n"
            "  --presence-list-max N with more than N people present, a workshop's welcome names only some of them,\n"
            "                        with counts by organisation, and arrivals and departures go out together\n"
            "                        twice a second at most [ATELIER_PRESENCE_LIST_MAX] (default 200)\n"
            "  --hold-us N           when a busy workshop's next batch is already on its way to Redis, the messages\n"
            "                        of the batch just committed wait for it (N µs at most), so that each connection\n"
            "                        gets both in one write; 0: never [ATELIER_HOLD_US] (default 5000)\n"
            "  --deflate             offer permessage-deflate (about 190 KB more per connection) [ATELIER_DEFLATE=1]\n"
            "  --no-io-uring         one sendmsg per connection instead of one io_uring call per flush\n"
            "                        [ATELIER_IO_URING=0] (io_uring is used when the kernel allows it)\n"
            "  --create-token TOKEN  creating a workshop needs \"Authorization: Bearer TOKEN\" (visible ASCII, at most\n"
            "                        128 bytes); unset, anyone may create [ATELIER_CREATE_TOKEN] (default unset)\n"
            "  --create-rate N       workshops created per client address and hour, then 429 [ATELIER_CREATE_RATE]\n"
            "                        (default 30)\n"
            "  --metrics-token TOKEN GET /metrics (Prometheus) needs \"Authorization: Bearer TOKEN\"; unset, it is\n"
            "                        open to all who reach the port [ATELIER_METRICS_TOKEN] (default unset)\n"
            "  --retention-days N    a workshop nobody wrote to for N days is deleted, every key of it\n"
            "                        [ATELIER_RETENTION_DAYS] (default 90)\n"
            "  --retention-secs N    the same in seconds, over --retention-days: for tests [ATELIER_RETENTION_SECS]\n"
            "  --replicas N          a write (op batch, ballot, every change a client is told of) is acknowledged\n"
            "                        only once N Redis replicas have it (WAIT), else answered unavailable\n"
            "                        [ATELIER_REPLICAS] (default 0: the primary's word; README \"Replicas and failover\")\n"
            "  --replicas-timeout-ms N  how long a write waits for those replicas, 1 to 2000\n"
            "                        [ATELIER_REPLICAS_TIMEOUT_MS] (default 1000)\n"
            "  --help                this text\n");
}

static int log_mask(const char *level) {
    int m = LLL_ERR | LLL_USER;
    if (!strcmp(level, "error")) return m;
    m |= LLL_WARN;
    if (!strcmp(level, "warn")) return m;
    m |= LLL_NOTICE;
    if (!strcmp(level, "notice")) return m;
    m |= LLL_INFO;
    if (!strcmp(level, "info")) return m;
    if (!strcmp(level, "debug")) return m | LLL_DEBUG;
    return -1;
}

static bool parse_long(const char *s, long min, long max, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) return false;
    *out = v;
    return true;
}

static const char *env_or(const char *name, const char *def) {
    const char *v = getenv(name);
    return v && *v ? v : def;
}

enum { O_LISTEN = 1, O_PORT, O_REDIS, O_WEB_ROOT, O_LOG, O_MAXMSG, O_RATE, O_BURST, O_WINDOW, O_WINDOW_BYTES, O_MAX_ROOMS, O_ROOM_LINGER, O_SNAP, O_QUEUE, O_PING, O_PRESENCE, O_HOLD, O_DEFLATE, O_URING,
       O_CREATE_TOKEN, O_CREATE_RATE, O_METRICS_TOKEN, O_RETENTION_DAYS, O_RETENTION_SECS,
       O_REPLICAS, O_REPLICAS_TIMEOUT,
       O_QBYTES, O_SEND_BUDGET, O_SEND_SHARE, O_MAXCONN, O_PERIP, O_HANDSHAKE, O_JOINRATE, O_TRUST_PROXY, O_CERT, O_KEY, O_ORIGIN,
       O_PRESENCE_LIST_MAX, O_HELP };

/* ATELIER_ALLOWED_ORIGIN's origins (space-separated) then the flags'. False when there are too many. */
static bool add_origins(const char **origins, size_t *n, const char *list) {
    static char copy[4096];
    if (!list || strlen(list) >= sizeof copy) return !list;
    snprintf(copy, sizeof copy, "%s", list);
    for (char *save = NULL, *o = strtok_r(copy, " ,", &save); o; o = strtok_r(NULL, " ,", &save)) {
        if (*n == MAX_ORIGINS) return false;
        origins[(*n)++] = o;
    }
    return true;
}

/* A creation or metrics token: 1 to HUB_CREATE_TOKEN_MAX visible ASCII characters (it travels in a header). */
static bool valid_token(const char *t) {
    size_t n = strlen(t);
    for (size_t i = 0; i < n; i++)
        if (t[i] < 0x21 || t[i] > 0x7e) return false;
    return n > 0 && n <= HUB_CREATE_TOKEN_MAX;
}

/* The password in the file named by ATELIER_REDIS_PASSWORD_FILE, if set,
 * replaces the URL's: its first line (without the line end). */
static bool redis_password_file(redis_url *u) {
    const char *name = getenv("ATELIER_REDIS_PASSWORD_FILE");
    if (!name || !*name) return true;
    FILE *f = fopen(name, "r");
    char line[REDIS_URL_SECRET_MAX + 2] = {0};
    bool read = f && fgets(line, sizeof line, f);
    if (f) fclose(f);
    size_t n = strcspn(line, "\r\n");
    bool whole = read && (line[n] != '\0' || n < sizeof line - 2); /* a line end, or the end of a short file */
    line[n] = '\0';
    bool ok = read && whole && n > 0 && redis_url_set_password(u, line);
    explicit_bzero(line, sizeof line);
    if (!ok) fprintf(stderr, "atelier: cannot read a password (one line, at most %d bytes) from %s\n",
                     REDIS_URL_SECRET_MAX - 1, name);
    return ok;
}

/* Settings from the environment first, flags over them. Returns 0, or 2 on a bad value. */
static int configure(int argc, char **argv, settings *s) {
    const char *v[O_HELP] = {0};
    v[O_LISTEN] = env_or("ATELIER_LISTEN", "127.0.0.1");
    v[O_PORT] = env_or("ATELIER_PORT", "8080");
    v[O_REDIS] = env_or("ATELIER_REDIS", "redis://127.0.0.1:6379");
    v[O_WEB_ROOT] = env_or("ATELIER_WEB_ROOT", "./web-client/dist");
    v[O_LOG] = env_or("ATELIER_LOG_LEVEL", "notice");
    v[O_MAXMSG] = env_or("ATELIER_MAX_MESSAGE", "65536");
    v[O_RATE] = env_or("ATELIER_RATE", "200");
    v[O_BURST] = env_or("ATELIER_BURST", "400");
    v[O_WINDOW] = env_or("ATELIER_WINDOW", "1000");
    v[O_WINDOW_BYTES] = env_or("ATELIER_WINDOW_BYTES", "4194304");
    v[O_MAX_ROOMS] = env_or("ATELIER_MAX_ROOMS", "10000");
    v[O_ROOM_LINGER] = env_or("ATELIER_ROOM_LINGER_SECS", "5");
    v[O_SNAP] = env_or("ATELIER_SNAPSHOT_EVERY", "200");
    v[O_QUEUE] = env_or("ATELIER_MAX_QUEUE", "4096");
    v[O_PING] = env_or("ATELIER_PING_SECS", "30");
    v[O_PRESENCE] = env_or("ATELIER_PRESENCE_SECS", "20");
    v[O_PRESENCE_LIST_MAX] = env_or("ATELIER_PRESENCE_LIST_MAX", "200");
    v[O_HOLD] = env_or("ATELIER_HOLD_US", "5000");
    v[O_DEFLATE] = env_or("ATELIER_DEFLATE", "0");
    v[O_URING] = env_or("ATELIER_IO_URING", "1");
    v[O_CREATE_TOKEN] = env_or("ATELIER_CREATE_TOKEN", NULL);
    v[O_CREATE_RATE] = env_or("ATELIER_CREATE_RATE", "30");
    v[O_METRICS_TOKEN] = env_or("ATELIER_METRICS_TOKEN", NULL);
    v[O_RETENTION_DAYS] = env_or("ATELIER_RETENTION_DAYS", "90");
    v[O_RETENTION_SECS] = env_or("ATELIER_RETENTION_SECS", NULL);
    v[O_REPLICAS] = env_or("ATELIER_REPLICAS", "0");
    v[O_REPLICAS_TIMEOUT] = env_or("ATELIER_REPLICAS_TIMEOUT_MS", "1000");
    v[O_QBYTES] = env_or("ATELIER_MAX_QUEUE_BYTES", "16777216");
    v[O_SEND_BUDGET] = env_or("ATELIER_SEND_BUDGET", "150000");
    v[O_SEND_SHARE] = env_or("ATELIER_SEND_SHARE", "50");
    v[O_MAXCONN] = env_or("ATELIER_MAX_CONNECTIONS", "0");
    v[O_PERIP] = env_or("ATELIER_MAX_CONNECTIONS_PER_IP", "1000");
    v[O_HANDSHAKE] = env_or("ATELIER_HANDSHAKE_SECS", "10");
    v[O_JOINRATE] = env_or("ATELIER_JOIN_RATE", "100");
    v[O_TRUST_PROXY] = env_or("ATELIER_TRUST_PROXY", "");
    v[O_CERT] = env_or("ATELIER_TLS_CERT", NULL);
    v[O_KEY] = env_or("ATELIER_TLS_KEY", NULL);
    const char *origins[MAX_ORIGINS];
    size_t norigins = 0;
    bool origins_ok = add_origins(origins, &norigins, env_or("ATELIER_ALLOWED_ORIGIN", NULL));
    static const struct option opts[] = {
        {"listen", required_argument, NULL, O_LISTEN},   {"port", required_argument, NULL, O_PORT},
        {"redis", required_argument, NULL, O_REDIS},     {"web-root", required_argument, NULL, O_WEB_ROOT},
        {"log-level", required_argument, NULL, O_LOG},   {"max-message", required_argument, NULL, O_MAXMSG},
        {"rate", required_argument, NULL, O_RATE},       {"burst", required_argument, NULL, O_BURST},
        {"window", required_argument, NULL, O_WINDOW},   {"snapshot-every", required_argument, NULL, O_SNAP},
        {"max-queue", required_argument, NULL, O_QUEUE}, {"ping-secs", required_argument, NULL, O_PING},
        {"presence-secs", required_argument, NULL, O_PRESENCE},
        {"presence-list-max", required_argument, NULL, O_PRESENCE_LIST_MAX},
        {"window-bytes", required_argument, NULL, O_WINDOW_BYTES}, {"max-rooms", required_argument, NULL, O_MAX_ROOMS},
        {"room-linger-secs", required_argument, NULL, O_ROOM_LINGER},
        {"hold-us", required_argument, NULL, O_HOLD},
        {"deflate", no_argument, NULL, O_DEFLATE},       {"no-io-uring", no_argument, NULL, O_URING},
        {"create-token", required_argument, NULL, O_CREATE_TOKEN},
        {"create-rate", required_argument, NULL, O_CREATE_RATE},
        {"metrics-token", required_argument, NULL, O_METRICS_TOKEN},
        {"retention-days", required_argument, NULL, O_RETENTION_DAYS},
        {"retention-secs", required_argument, NULL, O_RETENTION_SECS},
        {"replicas", required_argument, NULL, O_REPLICAS},
        {"replicas-timeout-ms", required_argument, NULL, O_REPLICAS_TIMEOUT},
        {"max-queue-bytes", required_argument, NULL, O_QBYTES},
        {"send-budget", required_argument, NULL, O_SEND_BUDGET},
        {"send-share", required_argument, NULL, O_SEND_SHARE},
        {"max-connections", required_argument, NULL, O_MAXCONN},
        {"max-connections-per-ip", required_argument, NULL, O_PERIP},
        {"handshake-secs", required_argument, NULL, O_HANDSHAKE},
        {"join-rate", required_argument, NULL, O_JOINRATE},
        {"trust-proxy", required_argument, NULL, O_TRUST_PROXY},
        {"tls-cert", required_argument, NULL, O_CERT},
        {"tls-key", required_argument, NULL, O_KEY},
        {"allowed-origin", required_argument, NULL, O_ORIGIN},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == O_HELP || c == 'h') {
            usage(stdout);
            exit(0);
        }
        if (c == O_DEFLATE) v[O_DEFLATE] = "1";
        else if (c == O_URING) v[O_URING] = "0";
        else if (c == O_ORIGIN) origins_ok = origins_ok && add_origins(origins, &norigins, optarg);
        else if (c > 0 && c < O_HELP) v[c] = optarg;
        else {
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "atelier: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    long port, maxmsg, rate, burst, window, window_bytes, max_rooms, linger, snap, queue, ping, presence, hold, create_rate, days,
        secs = 0, qbytes, send_budget, send_share, maxconn, perip, handshake, joinrate, replicas, replicas_timeout, list_max;
    const char *bad = NULL;
    if (!parse_long(v[O_PORT], 1, 65535, &port)) bad = "port";
    else if (!parse_long(v[O_MAXMSG], 256, 16 << 20, &maxmsg)) bad = "max-message";
    else if (!parse_long(v[O_RATE], 1, 10000000, &rate)) bad = "rate";
    else if (!parse_long(v[O_BURST], 1, 10000000, &burst)) bad = "burst";
    else if (!parse_long(v[O_WINDOW], 1, 1000000, &window)) bad = "window";
    else if (!parse_long(v[O_WINDOW_BYTES], 65536, 1L << 30, &window_bytes)) bad = "window-bytes";
    else if (!parse_long(v[O_MAX_ROOMS], 1, 10000000, &max_rooms)) bad = "max-rooms";
    else if (!parse_long(v[O_ROOM_LINGER], 0, 3600, &linger)) bad = "room-linger-secs";
    else if (!parse_long(v[O_SNAP], 1, 100000000, &snap)) bad = "snapshot-every";
    else if (!parse_long(v[O_QUEUE], 16, 10000000, &queue)) bad = "max-queue";
    else if (!parse_long(v[O_PING], 0, 3600, &ping)) bad = "ping-secs";
    else if (!parse_long(v[O_PRESENCE], 2, 3600, &presence)) bad = "presence-secs";
    else if (!parse_long(v[O_HOLD], 0, 1000000, &hold)) bad = "hold-us";
    else if (!parse_long(v[O_PRESENCE_LIST_MAX], 1, 1000000, &list_max)) bad = "presence-list-max";
    else if (!parse_long(v[O_QBYTES], 65536, 1L << 34, &qbytes)) bad = "max-queue-bytes";
    else if (!parse_long(v[O_SEND_BUDGET], 0, 100000000, &send_budget)) bad = "send-budget";
    else if (!parse_long(v[O_SEND_SHARE], 0, 100, &send_share)) bad = "send-share";
    else if (!parse_long(v[O_MAXCONN], 0, 100000000, &maxconn)) bad = "max-connections";
    else if (!parse_long(v[O_PERIP], 1, 100000000, &perip)) bad = "max-connections-per-ip";
    else if (!parse_long(v[O_HANDSHAKE], 1, 3600, &handshake)) bad = "handshake-secs";
    else if (!parse_long(v[O_JOINRATE], 1, 1000000, &joinrate)) bad = "join-rate";
    else if (!v[O_CERT] != !v[O_KEY]) bad = "tls-cert and --tls-key (give both or neither)";
    else if (!origins_ok) bad = "allowed-origin (at most 16)";
    else if (log_mask(v[O_LOG]) < 0) bad = "log-level";
    else if (v[O_CREATE_TOKEN] && !valid_token(v[O_CREATE_TOKEN])) bad = "create-token";
    else if (!parse_long(v[O_CREATE_RATE], 1, 1000000, &create_rate)) bad = "create-rate";
    else if (v[O_METRICS_TOKEN] && !valid_token(v[O_METRICS_TOKEN])) bad = "metrics-token";
    else if (!parse_long(v[O_RETENTION_DAYS], 1, 36500, &days)) bad = "retention-days";
    else if (v[O_RETENTION_SECS] && !parse_long(v[O_RETENTION_SECS], 1, 36500L * 86400, &secs)) bad = "retention-secs";
    else if (!parse_long(v[O_REPLICAS], 0, 100, &replicas)) bad = "replicas";
    /* Below the store's 3 s deadline for an answer: a WAIT must not pass for a hung Redis. */
    else if (!parse_long(v[O_REPLICAS_TIMEOUT], 1, 2000, &replicas_timeout)) bad = "replicas-timeout-ms";
    if (bad) {
        fprintf(stderr, "atelier: bad value for --%s\n", bad);
        return 2;
    }
    forwarded_proxies trusted;
    const char *bad_proxy = NULL;
    if (!forwarded_parse_proxies(v[O_TRUST_PROXY], &trusted, &bad_proxy)) {
        fprintf(stderr, "atelier: bad value for --trust-proxy at '%s' (at most %d addresses or CIDR ranges)\n",
                bad_proxy, FORWARDED_PROXIES_MAX);
        return 2;
    }
    const char *why = NULL;
    if (!redis_url_parse(v[O_REDIS], &s->redis, &why)) { /* the URL itself may hold a password: not repeated */
        fprintf(stderr, "atelier: bad value for --redis: %s (expected redis://[[user]:password@]host:port[/db] or "
                        "sentinel://[[user]:password@]host:port[,host:port...]/NAME[/db])\n", why);
        return 2;
    }
    if (!redis_password_file(&s->redis)) return 2;
    redis_url redis = s->redis;
    *s = (settings){.listen = v[O_LISTEN], .port = (int)port, .redis = redis, .web_root = v[O_WEB_ROOT],
                    .log_level = v[O_LOG], .max_message = maxmsg, .rate = (double)rate, .burst = (double)burst,
                    .window = window, .window_bytes = window_bytes, .max_rooms = max_rooms, .room_linger_secs = linger, .snapshot_every = snap, .max_queue = queue, .ping_secs = (int)ping,
                    .presence_secs = (int)presence, .hold_us = hold, .presence_list_max = list_max,
                    .deflate = strcmp(v[O_DEFLATE], "1") == 0 || strcmp(v[O_DEFLATE], "true") == 0,
                    .io_uring = strcmp(v[O_URING], "0") != 0 && strcmp(v[O_URING], "false") != 0,
                    .create_token = v[O_CREATE_TOKEN], .create_rate = create_rate,
                    .metrics_token = v[O_METRICS_TOKEN], .retention_secs = secs ? secs : days * 86400,
                    .replicas = replicas, .replicas_timeout_ms = replicas_timeout,
                    .max_connections = maxconn, .max_per_ip = perip, .handshake_secs = (int)handshake,
                    .max_queue_bytes = qbytes, .send_budget = send_budget, .send_share = send_share, .join_rate = joinrate, .tls_cert = v[O_CERT], .tls_key = v[O_KEY]};
    memcpy(s->origins, origins, norigins * sizeof *origins);
    s->norigins = norigins;
    s->trusted_proxies = trusted;
    redis_url_forget(&redis);
    return 0;
}

/* Thousands of idle connections need thousands of descriptors. */
static void raise_fd_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int main(int argc, char **argv) {
    settings s;
    int rc = configure(argc, argv, &s);
    if (rc) return rc;
    lws_set_log_level(log_mask(s.log_level), NULL);
    raise_fd_limit();
    signal(SIGPIPE, SIG_IGN);

    net_config nc = {.listen = s.listen, .port = s.port, .web_root = s.web_root, .max_message = (size_t)s.max_message,
                     .max_queue = (size_t)s.max_queue, .ping_secs = s.ping_secs, .deflate = s.deflate,
                     .io_uring = s.io_uring, .raw = store_lws_protocol(),
                     .max_queue_bytes = (size_t)s.max_queue_bytes, .send_budget = s.send_budget, .send_share = s.send_share, .max_connections = (size_t)s.max_connections,
                     .max_per_ip = (size_t)s.max_per_ip, .handshake_secs = s.handshake_secs, .tls_cert = s.tls_cert,
                     .tls_key = s.tls_key, .allowed_origins = s.origins, .nallowed_origins = s.norigins,
                     .trusted_proxies = &s.trusted_proxies};
    net_server *net = net_new(&nc);
    if (!net) {
        fprintf(stderr, "atelier: cannot listen on %s:%d\n", s.listen, s.port);
        return 1;
    }
    hub_config hc = {.window = (size_t)s.window, .window_bytes = (size_t)s.window_bytes, .max_rooms = (size_t)s.max_rooms,
                     .room_linger_us = (int64_t)s.room_linger_secs * 1000000,
                     .rate = s.rate, .burst = s.burst,
                     .snapshot_every = s.snapshot_every, .batch_max = 256, .presence_secs = s.presence_secs,
                     .hold_us = s.hold_us, .create_token = s.create_token,
                     .create_per_hour = (double)s.create_rate, .metrics_token = s.metrics_token,
                     .retention_ms = (int64_t)s.retention_secs * 1000, .join_rate = (double)s.join_rate,
                     .replicas = (int)s.replicas, .replicas_timeout_ms = (int)s.replicas_timeout_ms,
                     .presence_list_max = (int)s.presence_list_max};
    hub *h = hub_new(&hc, net);
    store *st = h ? store_new(net_context(net), &s.redis, hub_store_state, h) : NULL;
    store *sub = st ? store_new_subscriber(net_context(net), &s.redis, "atelier:notify", hub_notify, hub_notify_state, h)
                    : NULL;
    char redis_where[REDIS_URL_WHERE_MAX];
    redis_url_where(&s.redis, redis_where, sizeof redis_where);
    redis_url_forget(&s.redis); /* the stores have their copies */
    if (!h || !st || !sub) {
        store_free(st);
        fprintf(stderr, "atelier: cannot start (out of memory)\n");
        hub_free(h);
        net_free(net);
        return 1;
    }
    hub_set_store(h, st);
    net_set_handlers(net, &hub_net_handlers, h);
    /* At the end of each turn: ops to Redis in one batch per workshop, then
     * the commands written, then (net itself) the messages. */
    bool hooked = net_on_turn(net, hub_turn, h) && net_on_turn(net, store_turn, st) && net_on_turn(net, store_turn, sub);
    if (hooked) {
        running = net;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);

        lwsl_user("atelier listening on %s://%s:%d/ (redis %s, web root %s)\n", s.tls_cert ? "https" : "http", s.listen,
                  s.port, redis_where,
                  s.web_root);
        rc = net_run(net);
        /* The departures of the connections just closed are history: let them land. */
        net_run_while(net, store_busy, st, 1000);
    } else {
        fprintf(stderr, "atelier: more end-of-turn hooks than NET_TURN_HOOKS\n");
        rc = 1;
    }

    /* Order matters: the store's pending replies still reach the hub; closing
     * the connections still tells the hub; then the hub goes. */
    store_free(sub);
    store_free(st);
    hub_set_store(h, NULL);
    hub_stop(h); /* the timers go with the loop's context */
    net_free(net);
    hub_free(h);
    lwsl_user("atelier stopped\n");
    return rc;
}
