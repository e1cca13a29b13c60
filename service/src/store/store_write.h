/* store_write.h -- writes whose success a client is told: acknowledged only
 * once enough replicas have them.
 *
 * The command goes out with `WAIT replicas timeout_ms` right behind it, on
 * the same connection and in the same write, so that one round trip (and
 * one WAIT per command, never one per op of a batch) settles both. The
 * caller's fn hears the command's reply only after WAIT confirmed it;
 * otherwise fn gets NULL, as for a lost connection: the command may be in
 * Redis (README, "Replicas and failover"). With replicas 0 nothing waits.
 * Either way a refusal as no primary may take a write (a demoted primary,
 * one cut off from its replicas) is handed on as NULL: unavailable, as in
 * an outage, never an internal error. */
#ifndef ATELIER_STORE_WRITE_H
#define ATELIER_STORE_WRITE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* How far a write must go before it is acknowledged. */
typedef struct store_durability {
    int replicas;               /* replicas that must confirm (0: the primary's word is enough) */
    int timeout_ms;             /* how long WAIT may take (>= 1: WAIT 0 would wait for ever) */
    uint64_t *shortfalls;       /* +1 each time Redis answered a write and WAIT then fell short (NULL: not
                                 * counted); must outlive the store, whose end answers nothing */
} store_durability;

/* As store_cmd_resp, store_cmd_argv and store_vcmd, followed by WAIT. False
 * (fn never called) when the store is down or out of memory. */
bool store_write_resp(store *s, const store_durability *d, store_reply_fn fn, void *priv, const char *cmd,
                      size_t len);
bool store_write_argv(store *s, const store_durability *d, store_reply_fn fn, void *priv, int argc,
                      const char **argv, const size_t *lens);
bool store_vwrite(store *s, const store_durability *d, store_reply_fn fn, void *priv, const char *fmt, va_list ap);
bool store_write(store *s, const store_durability *d, store_reply_fn fn, void *priv, const char *fmt, ...);

/* A deep copy of a reply (hiredis 0.14's fields), for holding it past its
 * callback (hiredis frees the original when the callback returns). The
 * caller frees it with freeReplyObject. NULL when out of memory. */
struct redisReply *store_reply_dup(const struct redisReply *r);

/* Whether a reply is Redis refusing a write as no primary may (READONLY,
 * NOREPLICAS): the write is not stored, and fn is handed NULL for it. */
bool store_write_refused(const struct redisReply *reply);

/* Whether a WAIT reply says that d->replicas confirmed (pure: for tests too). */
bool store_wait_enough(const struct redisReply *wait_reply, const store_durability *d);

#endif
