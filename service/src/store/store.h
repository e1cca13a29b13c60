/* store.h -- the Redis connection on the server's event loop.
 *
 * hiredis' async API, its socket adopted into libwebsockets' poll loop as a
 * RAW_FILE descriptor (docs/dependencies.md, "The Redis socket in the poll loop"), so the loop never waits
 * on Redis. Reconnects by itself with backoff; loads the Redis Functions
 * library on every (re)connect before reporting itself up; pings once a second
 * so a hung Redis is noticed too.
 *
 * With Sentinels (sentinel:// URLs, README "Redis with Sentinel") each
 * connection first asks them in turn which server is the primary
 * (SENTINEL get-master-addr-by-name), checks that server's ROLE, and a second
 * connection, to a Sentinel, follows +switch-master: on a switch the store
 * leaves the old primary at once for the new one. Meanwhile it is down, as in
 * any outage. Its once-a-second ping is then a ROLE, so that a primary turned
 * replica is left even when the switch was not heard. */
#ifndef ATELIER_STORE_H
#define ATELIER_STORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct lws_context;
struct lws_protocols;
struct redisReply;
struct redis_url;
struct metrics_histogram;

typedef struct store store;

/* reply is NULL when the command could not be answered (connection lost). */
typedef void (*store_reply_fn)(struct redisReply *reply, void *priv);
/* Called when the store becomes usable (up) or stops being usable. */
typedef void (*store_state_fn)(void *ud, bool up);

/* Told, just before on_state(up), that the store is up on another Redis
 * server than the one it was up on before (its run_id differs: a Sentinel's
 * switch of primary, or a server restarted): what the caller holds may be
 * ahead of, or differ from, what that server has. */
typedef void (*store_switch_fn)(void *ud);

/* A message published on a subscriber's channel. */
typedef void (*store_message_fn)(void *ud, const char *payload, size_t len);

/* url: where Redis is and how to log in (core/redis_url.h), copied. Every
 * connection logs in (AUTH, SELECT) before anything else. Starts connecting
 * at once. */
store *store_new(struct lws_context *ctx, const struct redis_url *url, store_state_fn on_state, void *ud);
/* A second connection, in subscribe mode on one channel: it takes no
 * commands; it is up while subscribed. on_state(up) after a reconnect means
 * messages may have been missed meanwhile. */
store *store_new_subscriber(struct lws_context *ctx, const struct redis_url *url, const char *channel,
                            store_message_fn on_message, store_state_fn on_state, void *ud);
void store_free(store *s);
/* Be told of switches (store_switch_fn, with the store's ud); NULL: not. */
void store_on_switch(store *s, store_switch_fn fn);
bool store_up(const store *s);
/* Round trips of the commands answered so far (core/metrics.h), from queueing to reply. */
const struct metrics_histogram *store_roundtrips(const store *s);

/* Commands are waiting for their replies (and Redis is there to give them).
 * For a shutdown that lets the last writes (departures) land. */
bool store_busy(void *s);
/* Write the commands queued since the last call (arg: the store). Run at the
 * end of each turn of the loop (net_on_turn), so that a turn's commands go out
 * in one write; a timer queued them otherwise, and the store runs it itself. */
void store_turn(void *s);

/* Queue a command. Returns false (and never calls fn) when the store is down. */
bool store_cmd(store *s, store_reply_fn fn, void *priv, const char *fmt, ...);
bool store_vcmd(store *s, store_reply_fn fn, void *priv, const char *fmt, va_list ap);
bool store_cmd_argv(store *s, store_reply_fn fn, void *priv, int argc, const char **argv, const size_t *lens);
/* A command already written as RESP (core/resp.h): len bytes at cmd, copied. */
bool store_cmd_resp(store *s, store_reply_fn fn, void *priv, const char *cmd, size_t len);

/* The lws protocol of the adopted Redis socket: the loop's owner (net/,
 * through net_config.raw) registers it with its context before store_new. */
const struct lws_protocols *store_lws_protocol(void);
#define STORE_LWS_PROTOCOL "atelier-redis"

#endif
