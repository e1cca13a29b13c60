/* store_sentinel.h -- reading what tells which server is the primary: a
 * Sentinel's answers (SENTINEL get-master-addr-by-name, +switch-master) and
 * the server's own (ROLE, INFO server's run_id). hiredis 0.14 knows nothing
 * of Sentinel: the store sends these few commands itself (store.c) and reads
 * their answers here. No I/O. */
#ifndef ATELIER_STORE_SENTINEL_H
#define ATELIER_STORE_SENTINEL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/redis_url.h"

struct redisReply;

#define SENTINEL_RUN_ID_LEN 40 /* hex characters of a server's run_id */

/* SENTINEL get-master-addr-by-name's answer ["host", "port"] into *out. False
 * for nil (the Sentinel knows no primary of that name) or anything else. */
bool sentinel_read_master(const struct redisReply *r, redis_node *out);
/* A +switch-master message, "NAME OLDHOST OLDPORT NEWHOST NEWPORT": true when
 * it is about `name`, with the new primary in *out. */
bool sentinel_read_switch(const char *payload, size_t len, const char *name, redis_node *out);
/* ROLE's answer says this server is a primary ("master"). */
bool sentinel_role_is_master(const struct redisReply *r);
/* INFO server's run_id (a new one each time a server starts) into out. */
bool sentinel_read_run_id(const struct redisReply *r, char out[SENTINEL_RUN_ID_LEN + 1]);

#endif
