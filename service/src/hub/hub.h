/* hub.h -- the live workshops of this process: joins, ops, carets, polls,
 * presence and the HTTP API, each decided by the core, stored by the store,
 * and delivered by the net. Async steps find their connection again by id. */
#ifndef ATELIER_HUB_H
#define ATELIER_HUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/net.h"

struct store;
typedef struct hub hub;

#define HUB_CREATE_TOKEN_MAX 128 /* bytes of a creation token (visible ASCII) */

typedef struct hub_config {
    size_t window;             /* committed ops kept per workshop for late ops and resumes */
    size_t window_bytes;       /* ... and the memory they may hold (the oldest leave past it) */
    size_t max_rooms;          /* workshops in memory at once: a join that would load one more is refused */
    int64_t room_linger_us;    /* a room nobody is connected to stays loaded this long (0: unloaded at once) */
    double rate;               /* messages per second per participant, sustained */
    double burst;              /* messages allowed in a burst */
    int64_t snapshot_every;    /* revisions between stored snapshots */
    size_t batch_max;          /* ops in one compare-and-append */
    int presence_secs;         /* a server process silent this long is gone (its participants depart) */
    int64_t hold_us;           /* when commits follow each other, hold a commit's messages this long at most
                                  for the next one's, to write both at once (0: never) */
    double join_rate;          /* joins per second from one client address (bursts of ten times as many) */
    const char *create_token;  /* POST /api/workshops needs "Authorization: Bearer" it (NULL: open to all) */
    double create_per_hour;    /* workshops created per client address and hour (and a burst of as many) */
    const char *metrics_token; /* GET /metrics needs "Authorization: Bearer" it (NULL: open to all) */
    int64_t retention_ms;      /* a workshop nobody wrote to for this long is deleted */
    int replicas;              /* replicas that must have a write before it is acknowledged (WAIT; 0: none) */
    int replicas_timeout_ms;   /* ... how long to wait for them: then the write is answered unavailable */
    int presence_list_max;     /* more people present make a big workshop: bounded welcome, coalesced presence */
} hub_config;

hub *hub_new(const hub_config *cfg, net_server *net);
void hub_set_store(hub *h, struct store *s);
/* Before the loop goes (net_free): cancel every timer of the hub and its
 * rooms, and schedule no more. Rooms still go when their last connection
 * closes. */
void hub_stop(hub *h);
void hub_free(hub *h);
/* store_state_fn */
void hub_store_state(void *h, bool up);
/* The subscriber connection (store_state_fn, store_message_fn): other server
 * processes announce "WORKSHOP REV" when they commit. */
void hub_notify_state(void *h, bool up);
void hub_notify(void *h, const char *payload, size_t len);
/* net_turn_fn: send the ops queued in this turn of the loop to Redis, one
 * batch per workshop. */
void hub_turn(void *h);

/* What net/ does with connections and requests (net_set_handlers, with the
 * hub as user pointer). */
extern const net_handlers hub_net_handlers;

/* Rooms in memory (workshops loaded or loading): /healthz reports it. */
size_t hub_rooms(const hub *h);

#endif
