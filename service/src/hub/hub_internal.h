/* hub_internal.h -- what the hub's files share. Not for other layers. */
#ifndef ATELIER_HUB_INTERNAL_H
#define ATELIER_HUB_INTERNAL_H

#include <libwebsockets.h>

#include "core/hist.h"
#include "core/poll.h"
#include "core/poll_json.h"
#include "core/poll_store.h"
#include "core/proto.h"
#include "core/workshop.h"
#include "hub/hub.h"
#include "store/store.h"

typedef enum { SESS_NEW, SESS_JOINING, SESS_JOINED } hub_sess_state;

typedef struct hub_room hub_room;

typedef struct hub_session {
    uint64_t conn;             /* the connection's id */
    hub_sess_state state;
    hub_room *room;            /* set once joined */
    int participant;           /* index in room->w->people once joined, else -1 */
    size_t slot;               /* index in room->sessions */
    wk_participant bucket;     /* rate limit before joining (only tokens fields used) */
} hub_session;

/* A join waiting for its workshop to load. */
typedef struct hub_waiting_join {
    uint64_t conn;
    proto_msg msg;
} hub_waiting_join;

typedef enum { ROOM_LOADING, ROOM_READY } hub_room_state;

#define HUB_ORIGIN_LEN 11      /* characters of a server process's random name */

/* A participant connected through another server process, as that process
 * announced it (hub_presence.c). */
typedef struct hub_remote {
    uint32_t who;              /* participant index */
    char origin[HUB_ORIGIN_LEN + 1]; /* the process */
    bool parked;               /* a caret ahead of this process's revision waits for the catch-up */
    int64_t parked_rev;        /* ... its revision */
    int64_t parked_sel[2];     /* ... anchor, head */
} hub_remote;

/* Another server process on the same Redis, and when it last said so. */
typedef struct hub_peer {
    char origin[HUB_ORIGIN_LEN + 1];
    int64_t heard_ms;
} hub_peer;

struct hub_room {
    hub *hub;
    hub_room *next;            /* hash chain */
    hub_room_state state;
    bool deleted;              /* its facilitator deleted it: refuse joins until the room is freed */
    workshop *w;               /* NULL while loading */
    char id[PROTO_WORKSHOP_ID_MAX + 1];
    char *k_meta, *k_events, *k_snaps, *k_people, *k_lastop; /* Redis keys */
    hub_session **sessions;    /* joined connections */
    size_t nsess, sess_cap;
    hub_waiting_join *waiting; /* joins waiting for the load */
    size_t nwaiting, waiting_cap;
    int pending;               /* store calls in flight that refer to this room */
    bool catching_up;          /* reading ops another process committed */
    int64_t notified_rev;      /* highest revision another process announced */
    bool cursor_timer;         /* sul_cursor is scheduled */
    lws_sorted_usec_list_t sul_cursor;
    char snap_event[WK_STREAM_ID_MAX]; /* while loading: event id of the snapshot */
    char *k_polls;             /* Redis key of the poll records */
    char *k_marks;             /* Redis key of the non-edit events (copies) */
    poll_list polls;           /* the workshop's polls */
    char **results_due;        /* ids of polls whose results changed since the last relay */
    size_t nresults_due, results_due_cap;
    bool results_timer;        /* sul_results is scheduled */
    lws_sorted_usec_list_t sul_results;
    bool pump_due;             /* on the hub's list of rooms to pump at the end of the turn */
    bool held;                 /* its connections' writes wait for the next commit (hub_session.c) */
    lws_sorted_usec_list_t sul_hold; /* ... or for this timer */
    hub_remote *remote;        /* participants connected through other processes */
    size_t nremote, remote_cap;
    uint32_t relayed;          /* presence messages from other processes applied so far */
};

#define HUB_REQ_KEEP (256 * 1024) /* bytes of command buffer kept between batches */

struct hub {
    hub_config cfg;
    net_server *net;
    store *store;
    struct lws_context *ctx;
    hub_room *rooms[256];      /* hash table by workshop id */
    size_t nrooms;
    sbuf scratch;              /* reused message builder (head NET_PRE) */
    sbuf req;                  /* reused Redis command builder (RESP) for the op path */
    char origin[HUB_ORIGIN_LEN + 1]; /* this process, in announcements, to skip its own */
    hub_peer *peers;           /* other processes heard from within presence_secs */
    size_t npeers, peers_cap;
    bool listening;            /* the subscription to atelier:notify is up: silence from a peer means something */
    lws_sorted_usec_list_t sul_alive; /* refreshes this process's liveness key */
    hub_room **due;            /* rooms whose queued ops go to Redis at the end of the turn */
    size_t ndue, due_cap;
    lws_sorted_usec_list_t sul_turn; /* hub_turn for rooms made due by a timer */
};

int64_t hub_now_ms(void);
int64_t hub_now_us(void);

hub_room *hub_room_find(hub *h, const char *id);
hub_room *hub_room_get(hub *h, const char *id); /* find or create (loading starts) */
/* Free the room if nobody is in it and nothing refers to it. */
void hub_room_maybe_free(hub_room *r);
void hub_room_load(hub_room *r);
/* The last loading step: the events after the snapshot. */
void hub_room_load_tail(hub_room *r);

/* A workshop's Redis key: atelier:{w:ID}:WHAT. False if it does not fit n. */
bool hub_key(char *dst, size_t n, const char *workshop_id, const char *what);

/* A stream entry (id, [field, value, …]) as a history event; kv holds
 * HUB_EVENT_FIELDS pointers into the reply. False when it is not an event. */
#define HUB_EVENT_FIELDS 32
struct redisReply;
bool hub_stream_event(const struct redisReply *e, hist_event *ev, const char **kv);

/* A stored participant record into the model (added or filled in). */
bool hub_person_upsert(workshop *w, const char *pid, const char *json);

/* An HTTP API error: {"error": {"code", "message"}}. */
void hub_http_error(hub *h, uint64_t req, int status, proto_err e, const char *why);
void hub_send_error(hub *h, uint64_t conn, proto_err e, const char *why, proto_type re, const char *idjson);
/* Send the scratch buffer's message to every session of the room but `except`. */
void hub_broadcast(hub_room *r, sbuf *b, uint64_t except_conn, int except_participant);

/* Presence (hub_presence.c): this process's liveness key and announcements,
 * arrivals, departures and carets relayed between processes, and the
 * departures of processes that died. */
void hub_alive_start(hub *h);
void hub_alive_stop(hub *h);
/* Read who the history says is connected: departures owed by processes that
 * died are recorded; participants of live processes count as present (unless
 * those processes told something newer meanwhile). */
void hub_presence_sweep(hub_room *r);
/* The workshop was just loaded here: ask the processes that hold it for
 * their rosters of it. */
void hub_presence_ask(hub_room *r);
/* A participant's first connection on this process arrived or its last one
 * left (after the history mark): tell this process's clients if that
 * changes whether they are present at all, and the other processes. */
void hub_presence_arrived(hub_room *r, int who, uint64_t conn);
void hub_presence_departed(hub_room *r, int who, uint64_t conn);
/* A caret from this process's connection was sent to its clients: relay it. */
void hub_presence_cursor(hub_room *r, int who);
/* Announcements from the channel: "* alive ORIGIN" and "* hello ORIGIN"
 * (what: "alive" or "hello"), "ID presence ORIGIN JSON". */
void hub_presence_peer(hub *h, const char *what, const char *origin);
/* This process's subscription is up (again: ask the others for their
 * rosters) or down (peers cannot be heard: none is presumed gone meanwhile). */
void hub_presence_listening(hub *h, bool up);
void hub_presence_relayed(hub_room *r, const char *origin, const char *json, size_t len);
/* Answer GET /api/workshops/ID for a workshop not loaded here: `answer`
 * (malloc'd, taken) holds its public fields up to the list of people present,
 * which is read from the history's marks and the live processes. */
void hub_presence_answer(hub *h, uint64_t req, const char *id, char *answer);
/* One entry of that list: {"name","organisation","role"}, after a comma unless first. */
void hub_write_present(sbuf *b, const char *name, const char *org, bool facilitator, bool first);
/* The room caught up with other processes' ops: carets parked for them apply. */
void hub_presence_caught_up(hub_room *r);
/* Send the carets that changed, at most one per participant per 50 ms (hub_session.c). */
void hub_cursors_flush(hub_room *r);

/* History (hub_history.c): tell and disconnect everyone in a deleted workshop. */
void hub_workshop_deleted(hub *h, const char *id);

/* Sessions (hub_session.c) */
void hub_join_ready(hub_room *r, uint64_t conn, proto_msg *msg);
void hub_room_pump(hub_room *r);
/* Pump at the end of this turn of the loop (hub_turn), so that every op read
 * in the turn goes in one batch: the write to Redis waits for the turn's end
 * anyway. */
void hub_room_pump_soon(hub_room *r);
/* Read and relay the ops committed since ours (by another process). */
void hub_room_catch_up(hub_room *r);
void hub_room_refuse_all(hub_room *r, proto_err e, const char *why);

/* Polls (hub_poll.c) */
void hub_poll_message(hub *h, hub_session *s, proto_msg *msg);
/* Appends ,"polls":[…] (those this participant may see) to a welcome being written. */
void hub_poll_write_welcome(hub_room *r, int who, sbuf *b);
/* After a welcome: the participant's own ballots and the results they may see. */
void hub_poll_after_welcome(hub_room *r, hub_session *s);
/* Loading: read the poll records and their ballots (queued before the events tail). */
bool hub_poll_load(hub_room *r);
/* Read one poll again from Redis (another process changed it, or our write failed) and relay it. */
void hub_poll_reload(hub_room *r, const char *poll_id);
void hub_poll_reload_all(hub_room *r);
void hub_poll_room_free(hub_room *r);
/* Send b's message to the sessions that pass `may` (NULL: all) but connection `except`. b is reset. */
void hub_send_if(hub_room *r, sbuf *b, bool (*may)(const hub_room *r, const hub_session *s, const void *arg),
                 const void *arg, uint64_t except);

#endif
