#include "store/store.h"

#include <errno.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <libwebsockets.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/metrics.h"
#include "core/redis_url.h"
#include "core/resp.h"
#include "core/sbuf.h"
#include "store/store_functions.h"
#include "store/store_sentinel.h"

#define BACKOFF_MIN_US (100 * LWS_US_PER_MS)
#define BACKOFF_MAX_US (2 * LWS_US_PER_SEC)
#define PING_EVERY_US LWS_US_PER_SEC
#define PING_DEADLINE_US (3 * LWS_US_PER_SEC)
#define STORE_REQ_KEEP (64 * 1024) /* bytes of command buffer kept between commands */
#define SWITCH_CHANNEL "+switch-master" /* where Sentinels say a primary was replaced */
#define PRIMARY_ID_MAX (REDIS_URL_HOST_MAX + 8) /* bytes of a server's identity: its run_id, else host:port */

/* One connection attempt. hiredis and lws each own one end of it (the
 * context, the adopted descriptor) and tear it down on their own schedules,
 * so it is freed once both have let go. */
typedef struct store_link {
    store *s;                   /* owner, NULL once the store dropped this link */
    redisAsyncContext *ac;      /* NULL once hiredis freed it */
    struct lws *wsi;            /* NULL once lws closed the adopted fd */
    bool asking;                /* to a Sentinel, asking which server is the primary */
} store_link;

struct store {
    struct lws_context *ctx;
    redis_url url;              /* where, and how to log in (the password: never logged) */
    char where[REDIS_URL_WHERE_MAX]; /* what the logs say instead: host:port/db */
    store_state_fn on_state;    /* told when usable or not */
    void *ud;
    store_link *link;           /* current connection, NULL while waiting to retry */
    bool up;                    /* connected and the functions are loaded */
    lws_usec_t backoff;         /* next reconnect delay */
    lws_sorted_usec_list_t sul_retry;  /* reconnect timer */
    lws_sorted_usec_list_t sul_ping;   /* health check timer */
    lws_usec_t ping_sent;       /* when the outstanding PING left, 0 if none */
    bool closing;               /* store_free in progress */
    char *channel;              /* subscriber mode: the channel listened to (no commands, no functions) */
    store_message_fn on_message;/* subscriber mode: told of each message */
    size_t inflight;            /* commands sent and not answered yet */
    sbuf req;                   /* store_cmd_argv's command, reused */
    bool write_due;             /* commands queued since the last write: store_turn writes them */
    bool writing;               /* inside redisAsyncHandleWrite: a request to write again means "wait for POLLOUT" */
    lws_sorted_usec_list_t sul_write; /* store_turn for commands queued where no turn end follows (timers) */
    metrics_histogram roundtrips; /* from a command's queueing to its reply (GET /metrics) */
    /* With Sentinels (url.nsentinels > 0): */
    bool watch;                 /* this store is another's listener for +switch-master, on the Sentinels in turn */
    store *watcher;             /* ... this store's listener, NULL without Sentinels */
    bool named;                 /* url.host:port is the primary a Sentinel named: connect there, not ask first */
    int sentinel;               /* the Sentinel asked (or listened to) next: index into url.sentinels */
    int asked;                  /* Sentinels that did not name a primary in this round: all of them, then a backoff */
    /* Whatever the URL: */
    char primary[PRIMARY_ID_MAX]; /* the server it was last up on: run_id, or host:port; "" before the first */
    bool switched;              /* up on another server than before: tell on_switch before on_state */
    store_switch_fn on_switch;  /* NULL: not told */
};

static void store_connect(store *s);
static store *store_new_watch(struct lws_context *ctx, const redis_url *url, store *owner);

static void link_release(store_link *l) {
    if (!l->ac && !l->wsi) free(l);
}

static void set_up(store *s, bool up) {
    if (s->up == up) return;
    s->up = up;
    lwsl_notice("redis %s is %s\n", s->where, up ? "up" : "down");
    if (s->closing) return;
    if (up && s->switched && s->on_switch) s->on_switch(s->ud);
    s->switched = false;
    if (s->on_state) s->on_state(s->ud, up);
}

/* What the logs call the server the next link goes to: with Sentinels, the
 * one asked (or listened to), or the primary they named. */
static void describe(store *s, bool sentinel) {
    redis_url u = s->url;
    if (!u.nsentinels) {
        redis_url_where(&u, s->where, sizeof s->where);
        return;
    }
    if (sentinel) redis_url_sentinel(&s->url, s->sentinel, &u);
    u.nsentinels = 0;
    redis_url_where(&u, s->where, sizeof s->where);
    size_t n = strlen(s->where);
    snprintf(s->where + n, sizeof s->where - n, " (%s %s)", sentinel ? "Sentinel of" : "primary", s->url.name);
    redis_url_forget(&u);
}

static void retry_cb(lws_sorted_usec_list_t *sul) {
    store *s = lws_container_of(sul, store, sul_retry);
    store_connect(s);
}

/* The link is gone (disconnect, failed connect, hung server): be down, retry
 * later. With Sentinels: a Sentinel that did not name a primary gives way to
 * the next one at once, until each was asked in this round; a lost primary
 * is asked for again. */
static void link_lost(store *s) {
    s->link = NULL;
    s->ping_sent = 0;
    set_up(s, false);
    if (s->closing) return;
    lws_usec_t delay = s->backoff;
    if (s->url.nsentinels) {
        bool ask_failed = !s->named && !s->watch;
        if (ask_failed || s->watch) s->sentinel = (s->sentinel + 1) % s->url.nsentinels;
        if (ask_failed && ++s->asked < s->url.nsentinels) delay = 1;
        else s->asked = 0;
        s->named = false;
    }
    lws_sul_schedule_wakesuspend(s->ctx, 0, &s->sul_retry, retry_cb, delay);
    if (delay == s->backoff) s->backoff = s->backoff * 2 > BACKOFF_MAX_US ? BACKOFF_MAX_US : s->backoff * 2;
}

/* Let go of the current link now (a hung server, a primary no more): its
 * pending commands are answered NULL, and the store retries as after any loss. */
static void link_drop(store *s) {
    store_link *l = s->link;
    if (!l) return;
    redisAsyncContext *ac = l->ac;
    l->s = NULL; /* its callbacks must not touch the store any more */
    link_lost(s);
    if (ac) redisAsyncFree(ac);
}

static void write_cb(lws_sorted_usec_list_t *sul) { store_turn(lws_container_of(sul, store, sul_write)); }

/* Let hiredis write what it has queued; if the socket takes only part of it,
 * hiredis asks to write again and that request waits for POLLOUT. */
static void link_write(store_link *l) {
    store *s = l->s;
    if (s) s->writing = true;
    redisAsyncHandleWrite(l->ac);
    if (s) s->writing = false;
}

/* hiredis event hooks: the adopted RAW_FILE wsi always polls for input, so
 * only addWrite does anything. A command queued on a connected link is
 * written at the end of the loop's turn (store_turn), with every other
 * command of that turn and without a poll for POLLOUT first; connecting and
 * a write the socket cut short wait for POLLOUT. */
static void ev_add_write(void *priv) {
    store_link *l = priv;
    store *s = l->s;
    if (s && s->link == l && l->ac && (l->ac->c.flags & REDIS_CONNECTED) && !s->writing) {
        if (!s->write_due) lws_sul_schedule_wakesuspend(s->ctx, 0, &s->sul_write, write_cb, 1);
        s->write_due = true;
        return;
    }
    if (l->wsi) lws_callback_on_writable(l->wsi);
}

void store_turn(void *arg) {
    store *s = arg;
    if (!s || !s->write_due) return;
    s->write_due = false;
    lws_sul_cancel(&s->sul_write);
    if (s->link && s->link->ac) link_write(s->link);
}

static void ev_noop(void *priv) { (void)priv; }

static void ev_cleanup(void *priv) {
    store_link *l = priv;
    l->ac = NULL;
    if (l->wsi) {
        lws_set_opaque_user_data(l->wsi, l); /* keep the link reachable for the close callback */
        lws_set_timeout(l->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
}

static void functions_loaded(redisAsyncContext *ac, void *r, void *priv) {
    store_link *l = priv;
    redisReply *reply = r;
    store *s = l->s;
    if (!s || !reply) return;
    if (reply->type == REDIS_REPLY_ERROR) {
        /* A Redis still loading its data answers LOADING: it will be ready
         * shortly, and the reconnection with backoff is the remedy. */
        if (strncmp(reply->str, "LOADING", 7) == 0) lwsl_warn("redis: not ready yet (%s); trying again\n", reply->str);
        else lwsl_err("redis: FUNCTION LOAD failed: %s\n", reply->str);
        redisAsyncDisconnect(ac);
    }
}

/* INFO server, after the functions: which server this is. Up. */
static void server_known(redisAsyncContext *ac, void *r, void *priv) {
    store_link *l = priv;
    store *s = l->s;
    if (!s || !r || (ac->c.flags & REDIS_DISCONNECTING)) return; /* the functions did not load */
    char id[PRIMARY_ID_MAX];
    if (!sentinel_read_run_id(r, id)) snprintf(id, sizeof id, "%s:%d", s->url.host, s->url.port);
    s->switched = s->primary[0] && strcmp(s->primary, id) != 0;
    if (s->switched) lwsl_notice("redis %s is another server than before (run_id %s)\n", s->where, id);
    snprintf(s->primary, sizeof s->primary, "%s", id);
    s->backoff = BACKOFF_MIN_US;
    set_up(s, true);
}

/* Subscriber mode: hiredis calls this for the confirmation and for every message. */
static void on_pubsub(redisAsyncContext *ac, void *r, void *priv) {
    store_link *l = priv;
    redisReply *reply = r;
    store *s = l->s;
    (void)ac;
    if (!s || !reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) return;
    const redisReply *kind = reply->element[0], *payload = reply->element[2];
    if (kind->type != REDIS_REPLY_STRING) return;
    if (strcmp(kind->str, "subscribe") == 0) {
        s->backoff = BACKOFF_MIN_US;
        s->asked = 0;
        set_up(s, true);
    } else if (strcmp(kind->str, "message") == 0 && payload->type == REDIS_REPLY_STRING && s->on_message) {
        s->on_message(s->ud, payload->str, payload->len);
    }
}

/* A refused AUTH or SELECT is logged (Redis' words, which never repeat the
 * password) and ends this link; the next one tries again. */
static void login_step(redisAsyncContext *ac, store_link *l, const redisReply *reply, const char *what) {
    store *s = l->s;
    if (!s || !reply || reply->type != REDIS_REPLY_ERROR) return;
    lwsl_err("redis %s: %s refused: %s\n", s->where, what, reply->str);
    redisAsyncDisconnect(ac);
}

static void authed(redisAsyncContext *ac, void *r, void *priv) { login_step(ac, priv, r, "AUTH"); }

static void selected(redisAsyncContext *ac, void *r, void *priv) { login_step(ac, priv, r, "SELECT"); }

/* Whether l goes to a Sentinel (to ask, or to listen), not to a Redis server. */
static bool to_sentinel(const store *s, const store_link *l) { return l->asking || s->watch; }

/* AUTH (with the user, when one is named) and SELECT, before anything else
 * on every connection. A Sentinel gets its own credentials and no SELECT. */
static int log_in(store *s, store_link *l, redisAsyncContext *c) {
    redis_url sentinel;
    redis_url_sentinel(&s->url, s->sentinel, &sentinel);
    const redis_url *u = to_sentinel(s, l) ? &sentinel : &s->url;
    int rc = REDIS_OK;
    if (u->has_password && u->user[0]) rc = redisAsyncCommand(c, authed, l, "AUTH %s %s", u->user, u->password);
    else if (u->has_password) rc = redisAsyncCommand(c, authed, l, "AUTH %s", u->password);
    /* Channels are the same in every database: the subscriber needs no SELECT. */
    if (rc == REDIS_OK && u->db && !s->channel) rc = redisAsyncCommand(c, selected, l, "SELECT %d", u->db);
    redis_url_forget(&sentinel);
    return rc;
}

/* The server is the one to use: subscribe, or load the functions and learn
 * which server it is. */
static int serve(store *s, store_link *l, redisAsyncContext *c) {
    if (s->channel) return redisAsyncCommand(c, on_pubsub, l, "SUBSCRIBE %s", s->channel);
    int rc = redisAsyncCommand(c, functions_loaded, l, "FUNCTION LOAD REPLACE %s", store_functions_lua);
    return rc == REDIS_OK ? redisAsyncCommand(c, server_known, l, "INFO server") : rc;
}

/* The Sentinel's answer: connect to the primary it names, or ask the next one. */
static void primary_named(redisAsyncContext *ac, void *r, void *priv) {
    store_link *l = priv;
    store *s = l->s;
    redis_node at;
    if (!s || !r) return;
    if (!sentinel_read_master(r, &at)) {
        const redisReply *reply = r;
        lwsl_warn("redis %s names no primary %s%s%s\n", s->where, s->url.name,
                  reply->type == REDIS_REPLY_ERROR ? ": " : "", reply->type == REDIS_REPLY_ERROR ? reply->str : "");
        redisAsyncDisconnect(ac); /* link_lost: the next Sentinel */
        return;
    }
    memcpy(s->url.host, at.host, sizeof s->url.host);
    s->url.port = at.port;
    s->named = true;
    l->s = NULL; /* this link's work is done: it closes on its own */
    s->link = NULL;
    redisAsyncDisconnect(ac);
    store_connect(s);
}

/* ROLE of the server a Sentinel named: only a primary is used. */
static void role_checked(redisAsyncContext *ac, void *r, void *priv) {
    store_link *l = priv;
    store *s = l->s;
    if (!s || !r || (ac->c.flags & REDIS_DISCONNECTING)) return;
    if (!sentinel_role_is_master(r)) {
        lwsl_warn("redis %s is not a primary (any more): asking the Sentinels again\n", s->where);
        s->named = false;
        redisAsyncDisconnect(ac);
    } else if (serve(s, l, ac) != REDIS_OK) {
        redisAsyncDisconnect(ac);
    }
}

/* What a link sends first, after logging in: to a Sentinel, the question or
 * the subscription; to a server a Sentinel named, ROLE; else serve. */
static int first_commands(store *s, store_link *l, redisAsyncContext *c) {
    if (l->asking) return redisAsyncCommand(c, primary_named, l, "SENTINEL get-master-addr-by-name %s", s->url.name);
    if (s->url.nsentinels && !s->watch) return redisAsyncCommand(c, role_checked, l, "ROLE");
    return serve(s, l, c);
}

static void on_connect(const redisAsyncContext *ac, int status) {
    store_link *l = ac->data;
    store *s = l->s;
    if (!s) return;
    if (status != REDIS_OK) {
        lwsl_warn("redis %s: connect failed: %s\n", s->where, ac->errstr);
        link_lost(s);
        return;
    }
    redisAsyncContext *c = (redisAsyncContext *)ac;
    /* Replies come in order: the login's before the first command's, which
     * Redis refuses (NOAUTH) should the login have failed. */
    int rc = log_in(s, l, c);
    if (rc == REDIS_OK) rc = first_commands(s, l, c);
    if (rc != REDIS_OK) { /* out of memory: this link will never be up; on_disconnect retries */
        lwsl_err("redis %s: cannot queue the first commands\n", s->where);
        redisAsyncDisconnect(c);
    }
}

static void on_disconnect(const redisAsyncContext *ac, int status) {
    store_link *l = ac->data;
    store *s = l->s;
    if (!s) return;
    if (status != REDIS_OK) lwsl_warn("redis %s: connection lost: %s\n", s->where, ac->errstr);
    link_lost(s);
}

static void store_connect(store *s) {
    if (s->closing || s->link) return;
    store_link *l = calloc(1, sizeof *l);
    if (!l) {
        link_lost(s);
        return;
    }
    l->s = s;
    l->asking = s->url.nsentinels && !s->watch && !s->named;
    describe(s, to_sentinel(s, l));
    const redis_node *sentinel = &s->url.sentinels[s->sentinel];
    redisAsyncContext *ac = to_sentinel(s, l) ? redisAsyncConnect(sentinel->host, sentinel->port)
                                              : redisAsyncConnect(s->url.host, s->url.port);
    if (!ac || ac->err) {
        lwsl_warn("redis %s: %s\n", s->where, ac ? ac->errstr : "out of memory");
        if (ac) redisAsyncFree(ac);
        free(l);
        s->link = NULL;
        link_lost(s);
        return;
    }
    /* lws closes its copy of the descriptor and hiredis its own: no double close. */
    int fd = dup(ac->c.fd);
    lws_sock_file_fd_type desc = {.filefd = fd};
    struct lws_vhost *vh = lws_get_vhost_by_name(s->ctx, "default");
    struct lws *wsi = fd >= 0 && vh ? lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC, desc, STORE_LWS_PROTOCOL, NULL)
                                    : NULL;
    if (!wsi) {
        lwsl_err("redis: cannot adopt the socket into the event loop\n");
        if (fd >= 0) close(fd);
        redisAsyncFree(ac);
        free(l);
        link_lost(s);
        return;
    }
    lws_set_opaque_user_data(wsi, l);
    l->ac = ac;
    l->wsi = wsi;
    s->link = l;
    ac->data = l;
    ac->ev.data = l;
    ac->ev.addRead = ev_noop;
    ac->ev.delRead = ev_noop;
    ac->ev.addWrite = ev_add_write;
    ac->ev.delWrite = ev_noop;
    ac->ev.cleanup = ev_cleanup;
    /* Only now: in hiredis 0.14 setting the connect callback already asks to write. */
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
}

static void pong(redisAsyncContext *ac, void *r, void *priv) {
    store *s = priv;
    if (!r || !s->link || s->link->ac != ac) return;
    s->ping_sent = 0;
    if (s->url.nsentinels && !sentinel_role_is_master(r)) { /* demoted, and the switch went unheard */
        lwsl_warn("redis %s is not a primary any more: asking the Sentinels\n", s->where);
        link_drop(s);
    }
}

/* A Redis that accepts the connection but stops answering (SIGSTOP, a long
 * blocking script) is as unusable as one that is gone. */
static void ping_cb(lws_sorted_usec_list_t *sul) {
    store *s = lws_container_of(sul, store, sul_ping);
    lws_usec_t now = lws_now_usecs();
    if (s->up && s->link && s->link->ac && !s->channel) {
        if (s->ping_sent && now - s->ping_sent > PING_DEADLINE_US) {
            lwsl_warn("redis %s: no answer for %d s, reconnecting\n", s->where,
                      (int)(PING_DEADLINE_US / LWS_US_PER_SEC));
            link_drop(s);
        } else if (!s->ping_sent &&
                   redisAsyncCommand(s->link->ac, pong, s, s->url.nsentinels ? "ROLE" : "PING") == REDIS_OK) {
            s->ping_sent = now; /* not queued (out of memory): the next tick tries again */
        }
    }
    if (!s->closing) lws_sul_schedule_wakesuspend(s->ctx, 0, &s->sul_ping, ping_cb, PING_EVERY_US);
}

/* A store, not connecting yet. */
static store *store_alloc(struct lws_context *ctx, const redis_url *url, store_state_fn on_state, void *ud) {
    store *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->url = *url;
    redis_url_where(url, s->where, sizeof s->where);
    s->ctx = ctx;
    s->on_state = on_state;
    s->ud = ud;
    s->backoff = BACKOFF_MIN_US;
    sbuf_init(&s->req, 0);
    return s;
}

/* Connect, and ping from now on. */
static store *store_start(store *s) {
    store_connect(s);
    lws_sul_schedule_wakesuspend(s->ctx, 0, &s->sul_ping, ping_cb, PING_EVERY_US);
    return s;
}

/* +switch-master from a Sentinel: when it is about our primary and names
 * another server than ours, leave ours now for that one (its ROLE is checked
 * as always). */
static void switch_heard(void *ud, const char *payload, size_t len) {
    store *s = ud;
    redis_node to;
    if (s->closing || !sentinel_read_switch(payload, len, s->url.name, &to)) return;
    bool same = s->named && strcmp(s->url.host, to.host) == 0 && s->url.port == to.port;
    if (same && (s->up || s->link)) return;
    lwsl_notice("redis: the Sentinels switched primary %s to %s:%d\n", s->url.name, to.host, to.port);
    link_drop(s);
    memcpy(s->url.host, to.host, sizeof s->url.host);
    s->url.port = to.port;
    s->named = true;
    s->asked = 0;
    s->backoff = BACKOFF_MIN_US;
    lws_sul_cancel(&s->sul_retry);
    store_connect(s);
}

/* The listener of owner's switches: subscribed to +switch-master on one
 * Sentinel after the other. */
static store *store_new_watch(struct lws_context *ctx, const redis_url *url, store *owner) {
    store *s = store_alloc(ctx, url, NULL, owner);
    if (!s) return NULL;
    s->watch = true;
    s->on_message = switch_heard;
    if (!(s->channel = strdup(SWITCH_CHANNEL))) {
        store_free(s);
        return NULL;
    }
    return store_start(s);
}

/* A store of the primary (or the one Redis), subscribed to channel when not
 * NULL; with Sentinels, its listener to them too. */
static store *store_open(struct lws_context *ctx, const redis_url *url, const char *channel,
                         store_message_fn on_message, store_state_fn on_state, void *ud) {
    store *s = store_alloc(ctx, url, on_state, ud);
    if (!s) return NULL;
    s->on_message = on_message;
    if ((channel && !(s->channel = strdup(channel))) ||
        (url->nsentinels && !(s->watcher = store_new_watch(ctx, url, s)))) {
        store_free(s);
        return NULL;
    }
    return store_start(s);
}

store *store_new(struct lws_context *ctx, const redis_url *url, store_state_fn on_state, void *ud) {
    return store_open(ctx, url, NULL, NULL, on_state, ud);
}

store *store_new_subscriber(struct lws_context *ctx, const redis_url *url, const char *channel,
                            store_message_fn on_message, store_state_fn on_state, void *ud) {
    return store_open(ctx, url, channel, on_message, on_state, ud);
}

void store_on_switch(store *s, store_switch_fn fn) { s->on_switch = fn; }

void store_free(store *s) {
    if (!s) return;
    s->closing = true;
    store_free(s->watcher);
    lws_sul_cancel(&s->sul_retry);
    lws_sul_cancel(&s->sul_ping);
    lws_sul_cancel(&s->sul_write);
    if (s->link) {
        store_link *l = s->link;
        s->link = NULL;
        l->s = NULL;
        if (l->ac) redisAsyncFree(l->ac); /* pending callbacks get NULL; cleanup hook runs */
        link_release(l);
    }
    free(s->channel);
    sbuf_free(&s->req);
    redis_url_forget(&s->url);
    free(s);
}

bool store_up(const store *s) { return s->up; }

const metrics_histogram *store_roundtrips(const store *s) { return &s->roundtrips; }

bool store_busy(void *s) {
    const store *st = s;
    return st && st->up && st->inflight > 0;
}

/* hiredis calls back with its context; callers want the reply and their
 * own pointer only, and must not learn of a link that may be gone. */
typedef struct store_call {
    store *s;                   /* alive until every call is answered: store_free answers them (with NULL) */
    store_reply_fn fn;
    void *priv;
    lws_usec_t queued;          /* when it was queued: its round trip is timed from there */
} store_call;

static void call_done(redisAsyncContext *ac, void *reply, void *priv) {
    (void)ac;
    store_call *c = priv;
    c->s->inflight--;
    if (reply) metrics_observe(&c->s->roundtrips, (double)(lws_now_usecs() - c->queued) / 1e6);
    if (c->fn) c->fn(reply, c->priv);
    free(c);
}

static store_call *call_new(store *s, store_reply_fn fn, void *priv) {
    if (!s->up || !s->link || !s->link->ac || s->channel) return NULL;
    store_call *c = malloc(sizeof *c);
    if (!c) return NULL;
    c->s = s;
    c->fn = fn;
    c->priv = priv;
    c->queued = lws_now_usecs();
    return c;
}

bool store_vcmd(store *s, store_reply_fn fn, void *priv, const char *fmt, va_list ap) {
    store_call *c = s ? call_new(s, fn, priv) : NULL;
    if (!c) return false;
    int rc = redisvAsyncCommand(s->link->ac, call_done, c, fmt, ap);
    if (rc != REDIS_OK) free(c);
    else s->inflight++;
    return rc == REDIS_OK;
}

bool store_cmd(store *s, store_reply_fn fn, void *priv, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    bool ok = store_vcmd(s, fn, priv, fmt, ap);
    va_end(ap);
    return ok;
}

/* Written as RESP here rather than by redisAsyncCommandArgv, whose
 * sdscatfmt per argument was a measurable share of the op path. */
bool store_cmd_argv(store *s, store_reply_fn fn, void *priv, int argc, const char **argv, const size_t *lens) {
    if (!s) return false;
    sbuf *b = &s->req;
    sbuf_reset(b);
    resp_begin(b, (size_t)argc);
    for (int i = 0; i < argc; i++) resp_arg(b, argv[i], lens ? lens[i] : strlen(argv[i]));
    bool ok = sbuf_ok(b) && store_cmd_resp(s, fn, priv, sbuf_data(b), b->len);
    if (b->cap > STORE_REQ_KEEP) sbuf_free(b); /* hiredis has its copy: do not hold on to a rare big one */
    return ok;
}

bool store_cmd_resp(store *s, store_reply_fn fn, void *priv, const char *cmd, size_t len) {
    store_call *c = s ? call_new(s, fn, priv) : NULL;
    if (!c) return false;
    int rc = redisAsyncFormattedCommand(s->link->ac, call_done, c, cmd, len);
    if (rc != REDIS_OK) free(c);
    else s->inflight++;
    return rc == REDIS_OK;
}

static int lws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    store_link *l = lws_get_opaque_user_data(wsi);
    switch (reason) {
    case LWS_CALLBACK_RAW_RX_FILE:
        if (!l || !l->ac) return -1;
        redisAsyncHandleRead(l->ac);
        return 0;
    case LWS_CALLBACK_RAW_WRITEABLE_FILE:
        if (!l || !l->ac) return -1;
        link_write(l);
        return 0;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
        if (l) {
            l->wsi = NULL;
            lws_set_opaque_user_data(wsi, NULL);
            if (l->ac) {
                /* lws gave up the descriptor first (error, hangup): hiredis must let go too. */
                redisAsyncContext *ac = l->ac;
                store *s = l->s;
                if (s && s->link == l) {
                    l->s = NULL;
                    link_lost(s);
                }
                redisAsyncFree(ac);
            }
            link_release(l);
        }
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static const struct lws_protocols protocol = {STORE_LWS_PROTOCOL, lws_callback, 0, 0, 0, NULL, 0};

const struct lws_protocols *store_lws_protocol(void) { return &protocol; }
