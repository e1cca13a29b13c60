/* hub_internal.h -- what the hub's files share. Not for other layers. */
#ifndef ATELIER_HUB_INTERNAL_H
#define ATELIER_HUB_INTERNAL_H

#include <libwebsockets.h>

#include "core/agenda.h"
#include "core/discuss.h"
#include "core/balance.h"
#include "core/board.h"
#include "core/export.h"
#include "core/hist.h"
#include "core/poll.h"
#include "core/presence.h"
#include "core/poll_json.h"
#include "core/poll_store.h"
#include "core/proto.h"
#include "core/series.h"
#include "core/limiter.h"
#include "core/signoff.h"
#include "core/when.h"
#include "core/workshop.h"
#include "hub/hub.h"
#include "store/store.h"
#include "store/store_write.h"

typedef enum { SESS_NEW, SESS_JOINING, SESS_JOINED } hub_sess_state;

typedef struct hub_room hub_room;
typedef struct hub_board_waiter hub_board_waiter;

typedef struct hub_session {
    uint64_t conn;             /* the connection's id */
    hub_sess_state state;
    hub_room *room;            /* set once joined */
    int participant;           /* index in room->w->people once joined, else -1 */
    size_t slot;               /* index in room->sessions */
    wk_rate bucket;            /* rate limit before joining (a whole participant here was 240 bytes per connection) */
    bool fac_counted;          /* counted in room->fac_sessions: a facilitator's */
} hub_session;

/* A join waiting for its workshop to load. */
typedef struct hub_waiting_join {
    uint64_t conn;
    proto_msg msg;
} hub_waiting_join;

/* A room's life (hub_room.c has the one rule for when it is freed). */
typedef enum {
    ROOM_NEW,                  /* in the table, nothing read yet */
    ROOM_LOADING,              /* its load's commands are in flight */
    ROOM_READY,                /* loaded: joins are decided at once */
    ROOM_FAILED,               /* the load failed: out of the table, waiting for its last references */
} hub_room_state;

/* Answers when Redis cannot be reached, one per kind of request. */
#define HUB_UNAVAILABLE "storage is unavailable, try again shortly"
/* Redis may have taken the write all the same (it committed it during a
 * stall, or its replicas did not confirm it in time): never "not saved". */
#define HUB_UNAVAILABLE_OP "storage is unavailable; the op may not have been saved: send it again with the same id"
#define HUB_UNAVAILABLE_CHANGE "storage is unavailable; the change may not have been saved: try again shortly"
#define HUB_ROOMS_FULL "this server holds as many workshops as it may (--max-rooms); try again shortly"
/* A record read back from Redis does not read: the workshop is refused
 * (error internal) with the damage logged, never run on a guess. */
#define HUB_DAMAGED "the stored data of this workshop is damaged"

#define HUB_PATH_ID_MAX 64     /* bytes of an id read from an API path, with its NUL */
#define HUB_KEY_MAX 96         /* bytes of a Redis key, "atelier:{w:ID}:ballots:POLL" with its NUL */
#define HUB_MS_TEXT (SBUF_I64_MAX + 1) /* bytes of a time in ms as decimal text, with its NUL */
_Static_assert(sizeof "atelier:{w:}:ballots:" + PROTO_WORKSHOP_ID_MAX + POLL_ID_MAX <= HUB_KEY_MAX,
               "HUB_KEY_MAX holds the longest key");

#define HUB_ORIGIN_LEN 11      /* characters of a server process's random name */
#define HUB_CREATE_ADDRESSES 4096 /* addresses whose creations are counted at once (core/limiter.h) */

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
    hub_room *next;            /* hash chain (not in the table once ROOM_FAILED) */
    int refs;                  /* references: hub_room_ref/unref; freed when the last goes */
    hub_room_state state;
    bool deleted;              /* its facilitator deleted it: refuse joins until the room is freed */
    workshop *w;               /* NULL while loading */
    char id[PROTO_WORKSHOP_ID_MAX + 1];
    char *k_meta, *k_events, *k_snaps, *k_people, *k_lastop; /* Redis keys */
    hub_session **sessions;    /* joined connections */
    net_group *group;          /* their connections, for broadcasts framed once (NULL: out of memory, or stopped) */
    size_t nsess, sess_cap;
    hub_waiting_join *waiting; /* joins waiting for the load */
    size_t nwaiting, waiting_cap;
    bool catching_up;          /* reading ops another process committed */
    int64_t notified_rev;      /* highest revision another process announced */
    int64_t resync_until_ms;   /* resumes get the whole text until then: a failover lost revisions (hub_primary.c) */
    bool cursor_timer;         /* sul_cursor is scheduled */
    lws_sorted_usec_list_t sul_cursor;
    char snap_event[WK_STREAM_ID_MAX]; /* while loading: event id of the snapshot */
    char *k_polls;             /* Redis key of the poll records */
    char *k_marks;             /* Redis key of the non-edit events (copies) */
    poll_list polls;           /* the workshop's polls */
    struct hub_poll_sync *psync; /* polls with a write on its way or a read back out (hub_poll_sync.c) */
    size_t npsync, psync_cap;
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
    agenda agenda;             /* the agenda and timer as told to clients (Redis has them) */
    agenda agenda_ahead;       /* ... with the changes sent to Redis and not answered yet: the next change builds on it */
    int agenda_inflight;       /* agenda changes waiting for Redis' answer */
    discuss_list discuss;      /* the "to discuss" list (with the changes sent to Redis: a failure reads it back) */
    char *k_balance;           /* Redis key of the contribution balance */
    balance_table balance;     /* its counts as last read from Redis, with who is present */
    bool balance_timer;        /* sul_balance is scheduled */
    int64_t balance_sent_us;   /* when facilitators were last told the balance */
    lws_sorted_usec_list_t sul_balance;
    char *k_signoff;           /* Redis key of the organisations' sign-off decisions */
    signoff signoff;           /* the sign-off, as Redis has it (hub_signoff.c) */
    bool lingering;            /* nobody is connected: sul_linger holds a reference until it unloads the room */
    lws_sorted_usec_list_t sul_linger;
    bool unchecked;            /* Redis' primary changed: not yet compared with the new one (hub_primary.c) */
    char *k_board, *k_groups;  /* Redis keys of the board's items and groups */
    board board;               /* the priorities board as Redis last gave it (hub_board.c) */
    bool board_reading;        /* ... a read back of it is in flight */
    bool board_again;          /* ... and another must follow it (a change since it was sent) */
    struct hub_board_waiter *board_waiters; /* ... requesters waiting for the next read back (hub_board.c) */
    size_t nboard_waiters, board_waiters_cap;
    /* Presence in a big workshop (hub_crowd.c). */
    int npresent;              /* people present, here or through other processes */
    bool crowd;                /* more than presence_list_max present: welcomes bounded, presence coalesced */
    bool crowd_due;            /* presence changed since the last presence message */
    bool crowd_timer;          /* sul_crowd is scheduled (it holds a reference) */
    int64_t crowd_sent_us;     /* when the last presence message went */
    presence_counts crowd_counts; /* who was present at the last presence message, by organisation */
    int *crowd_shown;          /* people named to everyone then: facilitators, representatives, writers */
    size_t ncrowd_shown;
    unsigned char *crowd_listed; /* per person: named to some client here, or to all (hub_crowd.c's NAMED_ bits) */
    size_t crowd_listed_cap;
    lws_sorted_usec_list_t sul_crowd;
    int fac_sessions;          /* joined sessions of facilitators: whether anyone hears the balance, without a walk */
};

#define HUB_ERROR_CODES 32      /* distinct error codes counted (the protocol has fewer) */

/* What the hub has done so far (GET /metrics, hub_metrics.c): plain
 * counters, bumped where it happens. */
typedef struct hub_counters {
    uint64_t ops_committed;    /* ops Redis stored through this process */
    uint64_t ballots;          /* ballots (votes) Redis stored through this process */
    uint64_t trims;            /* times freed memory was given back to the system (hub_trim.c) */
    uint64_t unreplicated;     /* writes Redis took that --replicas replicas did not confirm in time */
    const char *codes[HUB_ERROR_CODES]; /* error codes answered so far (static text), first seen first */
    uint64_t errors[HUB_ERROR_CODES];   /* ... how many of each, WebSocket and HTTP API together */
    size_t ncodes;
} hub_counters;

#define HUB_ROOM_BUCKETS 256    /* the room table's hash buckets */
#define HUB_REQ_KEEP (256 * 1024) /* bytes of command buffer kept between batches */

struct hub {
    hub_config cfg;
    net_server *net;
    store *store;
    struct lws_context *ctx;
    hub_room *rooms[HUB_ROOM_BUCKETS]; /* hash table by workshop id */
    size_t nrooms;             /* rooms in memory, in the table or not (ROOM_FAILED) */
    size_t nsessions;          /* open WebSocket sessions, joined or not */
    bool stopped;              /* hub_stop ran: the loop is going away, no new timers */
    sbuf scratch;              /* reused message builder (head NET_PRE) */
    struct hub_fold_kept *folds_kept; /* hub_history.c: poll folds kept between history pages (NULL before one) */
    uint64_t folds_kept_seq;   /* ... a clock to replace the oldest */
    sbuf req;                  /* reused Redis command builder (RESP) for the op path */
    char origin[HUB_ORIGIN_LEN + 1]; /* this process, in announcements, to skip its own */
    hub_peer *peers;           /* other processes heard from within presence_secs */
    size_t npeers, peers_cap;
    bool listening;            /* the subscription to atelier:notify is up: silence from a peer means something */
    lws_sorted_usec_list_t sul_alive; /* refreshes this process's liveness key */
    hub_room **due;            /* rooms whose queued ops go to Redis at the end of the turn */
    size_t ndue, due_cap;
    lws_sorted_usec_list_t sul_turn; /* hub_turn for rooms made due by a timer */
    limiter join_limits;       /* join code lookups per client address (hub_code.c) */
    limiter create_limits;     /* workshop creations per client address (hub_http.c) */
    limiter joins_by_address;  /* WebSocket joins per client address (hub_join.c) */
    balance_batch batch_counts; /* the batch being sent: code points per organisation (hub_op.c) */
    hub_counters counted;      /* for GET /metrics */
    lws_sorted_usec_list_t sul_retention; /* the next retention sweep (hub_retention.c) */
    int retiring;              /* the sweep's commands in flight: no new sweep until they are answered */
    lws_sorted_usec_list_t sul_index; /* the next batch of the index pass (hub_retention.c) */
    char index_cursor[32];     /* ... its SCAN cursor ("0" at the start, and again at the end) */
    int indexing;              /* ... its commands in flight, plus one while a batch is being sent */
    bool indexed;              /* ... done for this process */
    size_t index_added;        /* ... workshops it indexed */
    lws_sorted_usec_list_t sul_trim; /* the next slow trim (hub_trim.c) */
    bool released;             /* a room or a connection went since the last trim */
    size_t joined_recently;    /* joins since the last trim (hub_trim_joined) */
    size_t joined_seen;        /* ... when the crowd timer last looked */
    lws_sorted_usec_list_t sul_trim_crowd; /* the trim once a crowd has arrived (hub_trim.c) */
};

int64_t hub_now_ms(void);
int64_t hub_now_us(void);
/* A time in ms as the decimal text Redis is sent. */
void hub_ms_text(char dst[HUB_MS_TEXT], int64_t ms);

/* net_handlers (hub.c gathers them into hub_net_handlers). */
void *hub_session_open(void *hub, uint64_t conn);
void hub_session_input(void *hub, void *session, const char *data, size_t len, net_input kind);
void hub_session_close(void *hub, void *session);
void hub_http_request(void *hub, uint64_t req, net_method method, const char *path, const char *body, size_t len);

/* The HTTP API's handlers (hub_http.c routes to them). */
void hub_http_create(hub *h, uint64_t req, const char *body, size_t len);
/* GET /api/join/CODE (hub_code.c). */
void hub_http_join(hub *h, uint64_t req, const char *code);
void hub_http_get(hub *h, uint64_t req, const char *workshop_id);
void hub_http_health(hub *h, uint64_t req);
/* History, replay and export (hub_history.c, protocol/history.md). Query
 * arguments and the facilitator key are read while these run. */
void hub_http_history(hub *h, uint64_t req, const char *workshop_id);
void hub_http_state(hub *h, uint64_t req, const char *workshop_id);
void hub_http_export(hub *h, uint64_t req, const char *workshop_id);
/* GET (Bearer) or POST (form) /api/workshops/{id}/summary: the participants' summary once it has ended. */
void hub_http_summary(hub *h, uint64_t req, net_method m, const char *workshop_id, const char *body, size_t len);
void hub_http_delete(hub *h, uint64_t req, const char *workshop_id);
/* FCALL `function` on every key of workshop id: `first` (NULL: none), its
 * join code's (code), meta, the other fixed keys and a ballots key per poll
 * of poll_ids (HKEYS of its polls hash), then, when partnership is an id
 * (not NULL or ""), that partnership's meta and list; then the one argument
 * arg (NULL: none) and "2" with a partnership's keys: atelier_delete's and
 * atelier_expire's keys. False (fn never called)
 * when out of memory or the store is down. */
bool hub_delete_cmd(hub *h, const char *function, const char *first, const char *id, const char *code,
                    const char *partnership, const struct redisReply *poll_ids, const char *arg, store_reply_fn fn,
                    void *priv);
/* The statement's text at revision rev, read as GET /state?rev= reads it (the
 * newest snapshot at or before it, then the edits after it), for the hub
 * itself. fn is called once: with the text (its bytes, valid only during the
 * call), or with text NULL and why: bad_request when the workshop has not
 * reached rev, not_found, unavailable, internal (a damaged history). */
typedef void (*hub_text_fn)(void *ud, proto_err e, const char *why, const char *text, size_t len);
void hub_history_text_at(hub *h, const char *workshop_id, int64_t rev, hub_text_fn fn, void *ud);
/* A workshop's export (Markdown, or the JSON log when json), in the
 * facilitator's view, for the hub itself (the series' export: the caller
 * has checked who asks). fn is called once: with the body (valid only
 * during the call), or with body NULL and why. */
typedef void (*hub_export_fn)(void *ud, proto_err e, const char *why, const char *body, size_t len);
void hub_history_export_for(hub *h, const char *workshop_id, bool json, export_lang lang, hub_export_fn fn, void *ud);

/* ---- Rooms (hub_room.c) ----
 *
 * A room lives while something refers to it, and only then. Each of these
 * holds one reference, taken when it starts and given back when it ends:
 *   - a joined session (hub_join.c; given back when it closes);
 *   - a join waiting for the room to load (on r->waiting);
 *   - a store command about the room (hub_room_cmd*; given back by its
 *     reply callback, which ends with hub_room_unref);
 *   - a timer about the room (carets, results, the hold, the linger);
 *   - a place on the hub's end-of-turn list (hub_room_pump_soon);
 *   - a caller between hub_room_acquire and its hub_room_unref.
 * hub_room_unref frees the room when the last reference goes: nowhere else
 * is a room freed (but hub_free, at shutdown). */
hub_room *hub_room_find(hub *h, const char *id);
/* Find or create (ROOM_NEW) the room of a workshop, with a reference for the
 * caller. NULL when out of memory. */
hub_room *hub_room_acquire(hub *h, const char *id);
/* Whether the room of workshop id is in memory, or one more may be (under
 * max_rooms): a join is refused unavailable (HUB_ROOMS_FULL) otherwise,
 * before anything is allocated for it. */
bool hub_room_may_hold(hub *h, const char *id);
void hub_room_ref(hub_room *r);
void hub_room_unref(hub_room *r);
/* The last connection left a loaded room: it stays cfg.room_linger_us more
 * (a timer's reference), or at once goes when that is 0. A later leave
 * starts the time again; a join meanwhile finds it loaded. */
void hub_room_linger(hub_room *r);
/* Unload it now if nothing else holds it (deleted, or the hub stops). May free r. */
void hub_room_linger_end(hub_room *r);
/* A failed load: take the room out of the table, so that the next join
 * starts afresh; it is freed when its last reference goes. */
void hub_room_detach(hub_room *r);
/* Store commands about r: r holds a reference until fn has run, and fn must
 * end with hub_room_unref(r). False (no reference kept, fn never called) when
 * the store is down. */
bool hub_room_cmd(hub_room *r, store_reply_fn fn, void *priv, const char *fmt, ...);
bool hub_room_cmd_resp(hub_room *r, store_reply_fn fn, void *priv, const char *cmd, size_t len);
bool hub_room_cmd_argv(hub_room *r, store_reply_fn fn, void *priv, int argc, const char **argv, const size_t *lens);
/* The same for a write whose success a client is told (an op batch, a
 * ballot, every acknowledged change): fn hears Redis' reply only once
 * cfg.replicas confirmed it, and NULL otherwise (unavailable: it may be
 * stored). */
bool hub_room_write(hub_room *r, store_reply_fn fn, void *priv, const char *fmt, ...);
bool hub_room_write_resp(hub_room *r, store_reply_fn fn, void *priv, const char *cmd, size_t len);
bool hub_room_write_argv(hub_room *r, store_reply_fn fn, void *priv, int argc, const char **argv, const size_t *lens);
/* What such a write waits for (cfg.replicas, cfg.replicas_timeout_ms), for
 * the writes not about a room (creation, deletion). */
store_durability hub_durability(hub *h);
/* Every room in the table (not the detached ones). The body may free r. */
#define HUB_FOR_EACH_ROOM(h, r)                                                                                      \
    for (size_t hub__b = 0; hub__b < HUB_ROOM_BUCKETS; hub__b++)                                                     \
        for (hub_room *r = (h)->rooms[hub__b], *hub__next; r && (hub__next = r->next, 1); r = hub__next)
void hub_room_free_all(hub *h);
/* Each file's timers of a room, cancelled for hub_stop (their references given back). */
void hub_op_stop(hub_room *r);
void hub_cursor_stop(hub_room *r);
void hub_poll_stop(hub_room *r);
void hub_balance_stop(hub_room *r);

/* Loading (hub_load.c): meta, newest snapshot, people, last ops, polls, then the tail of events. */
void hub_room_load(hub_room *r);
/* The last loading step: the events after the snapshot. */
void hub_room_load_tail(hub_room *r);
/* A load step failed: tell the joins waiting for it, detach the room. */
void hub_room_load_failed(hub_room *r, proto_err e, const char *why);
/* A load step's reply: true when the load goes on with it; a failed reply
 * fails the load. Either way the step ends with hub_room_unref. */
bool hub_load_step_ok(hub_room *r, struct redisReply *reply);

/* A workshop's Redis key: atelier:{w:ID}:WHAT. False if it does not fit n. */
bool hub_key(char *dst, size_t n, const char *workshop_id, const char *what) __attribute__((warn_unused_result));

/* A stream entry (id, [field, value, …]) as a history event; kv holds
 * HUB_EVENT_FIELDS pointers into the reply. False when it is not an event. */
#define HUB_EVENT_FIELDS 32
struct redisReply;
bool hub_stream_event(const struct redisReply *e, hist_event *ev, const char **kv);
/* The same for an op event only (hist_op_from_fields): the edits' compact pages. */
bool hub_stream_op_event(const struct redisReply *e, hist_event *ev, const char **kv);

/* Field i of an array reply (an HMGET's): its text, or "" when absent. */
const char *hub_reply_text(const struct redisReply *reply, size_t i);

/* An op event of a workshop's stream, pointing into the reply. */
typedef struct hub_stream_op {
    const char *event;         /* stream entry id (set whenever the entry has one, op or not) */
    int64_t rev;               /* the revision it made */
    const char *op;            /* its JSON */
    size_t oplen;
    const char *author;        /* participant id, "?" when missing */
    const char *opid;          /* the author's op id as JSON text, or NULL */
} hub_stream_op;
/* False when the entry is not an op (op->event may still be set). */
bool hub_stream_read_op(const struct redisReply *e, hub_stream_op *op);

/* A stored participant record into the model (added or filled in). */
bool hub_person_upsert(workshop *w, const char *pid, const char *json);

/* An HTTP API error: {"error": {"code", "message"}}. */
void hub_http_error(hub *h, uint64_t req, int status, proto_err e, const char *why);
void hub_send_error(hub *h, uint64_t conn, proto_err e, const char *why, proto_type re, const char *idjson);
/* Send the scratch buffer's message to every session of the room but `except`. */
void hub_broadcast(hub_room *r, sbuf *b, uint64_t except_conn, int except_participant);
/* Who hears a message: the sessions this lets through (arg: its own data). */
typedef bool (*hub_audience)(const hub_room *r, const hub_session *s, const void *arg);
/* Writes a message about arg into b, answering request idjson (NULL: none). */
typedef void (*hub_writer)(sbuf *b, const void *arg, const char *idjson);
/* A change is stored: the sessions `may` lets through (NULL: all) hear the
 * message `write` makes of arg, and the requester (conn, when not 0) gets
 * its own copy with its request id idjson (hub_tell.c). */
void hub_tell(hub_room *r, hub_writer write, const void *arg, hub_audience may, const void *may_arg, uint64_t conn,
              const char *idjson);

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
void hub_write_present(sbuf *b, const char *name, const char *org, wk_role role, int slot, bool first);
/* Presence in a big workshop (hub_crowd.c). A person became present at
 * all (or absent): true when the room is big, and then the change goes out
 * in the next coalesced presence message instead of arrived / departed. */
bool hub_crowd_changed(hub_room *r, int who, bool present);
/* The welcome's ,"participants":[…] of a big workshop, with its
 * ,"presence":{…} counts; false (nothing written) when the room is small. */
bool hub_crowd_write_welcome(hub_room *r, int who, sbuf *b);
/* Person `who` now has a caret: in a big workshop, named to everyone in the
 * next presence message if they were not yet. */
void hub_crowd_shown_maybe(hub_room *r, int who);
/* presence_page: a page of the people present. */
void hub_crowd_page(hub *h, hub_session *s, proto_msg *msg);
void hub_crowd_stop(hub_room *r);
/* A participant object with its organisation's colour slot when one is
 * known ("slot"), and nothing else of the moment. */
void hub_write_participant(sbuf *b, const workshop *w, const wk_participant *p);
/* hub_write_participant with its caret when it has one ("rev", "sel"). */
void hub_write_person(sbuf *b, const workshop *w, const wk_participant *p);
void hub_crowd_room_free(hub_room *r);
/* The room caught up with other processes' ops: carets parked for them apply. */
void hub_presence_caught_up(hub_room *r);
/* Send the carets that changed, at most one per participant per 50 ms (hub_cursor.c). */
void hub_cursors_flush(hub_room *r);

/* Following a switch of Redis primary (hub_primary.c). store_switch_fn:
 * the store is up on another server; every loaded room is unchecked. */
void hub_primary_switched(void *h);
/* The store is up: compare each unchecked room with the server (its stream
 * must hold the room's last event), then catch up, or resync the room. */
void hub_primary_check_all(hub *h);
/* A resume in r must be given the whole text (its ops since a revision may
 * not be the ones the client holds): meta's resync_until is not past. */
bool hub_primary_resyncing(const hub_room *r);
/* "ID resync UNTIL_MS" from another process (text after "resync "). */
void hub_primary_notified(hub_room *r, const char *until, size_t len);

/* History (hub_history.c): the folds kept between pages go (hub_free). */
void hub_history_free(hub *h);
/* History (hub_history.c): tell and disconnect everyone in a deleted workshop. */
void hub_workshop_deleted(hub *h, const char *id);

/* Joins (hub_join.c): the room is loaded, decide the join (msg's strings stay the caller's). */
void hub_join(hub *h, hub_session *s, proto_msg *msg);
void hub_join_ready(hub_room *r, uint64_t conn, proto_msg *msg);
/* A joined session left: the room's reference goes with it. */
void hub_leave(hub_session *s);

/* The op pipeline (hub_op.c) */
void hub_op(hub *h, hub_session *s, proto_msg *msg);
/* Send the next batch if none is in flight. */
void hub_room_pump(hub_room *r);
/* Pump at the end of this turn of the loop (hub_turn), so that every op read
 * in the turn goes in one batch: the write to Redis waits for the turn's end
 * anyway. */
void hub_room_pump_soon(hub_room *r);
/* Read and relay the ops committed since ours (by another process). */
void hub_room_catch_up(hub_room *r);
/* The catch-up's reply (XRANGE of the events after ours, r held by the
 * command): apply, relay, then send ours. Ends with hub_room_unref(r). */
void hub_room_caught_up(struct redisReply *reply, void *r);
void hub_room_refuse_all(hub_room *r, proto_err e, const char *why);
/* Move every caret over the ops committed since revision `from`. */
void hub_carets_follow(workshop *w, int64_t from);

/* Carets (hub_cursor.c) */
void hub_cursor(hub *h, hub_session *s, proto_msg *msg);

/* Polls (hub_poll.c: requests and their writes; hub_poll_read.c: welcome, loading, reloading) */
void hub_poll_message(hub *h, hub_session *s, proto_msg *msg);
/* Results of a poll changed: relayed at most every RESULTS_EVERY_US. */
void hub_poll_results_due(hub_room *r, const char *poll_id);
bool hub_poll_may_see(const hub_room *r, const hub_session *s, const void *poll);
bool hub_poll_is_facilitator(const hub_room *r, const hub_session *s);
/* A poll's ballots key: malloc'd, NULL when out of memory. */
char *hub_poll_ballots_key(const hub_room *r, const char *poll_id);
/* Appends ,"polls":[…] (those this participant may see) to a welcome being written. */
void hub_poll_write_welcome(hub_room *r, int who, sbuf *b);
/* After a welcome: the participant's own ballots and the results they may see. */
void hub_poll_after_welcome(hub_room *r, hub_session *s);
/* Loading: read the poll records and their ballots (queued before the events tail). */
bool hub_poll_load(hub_room *r);
/* The workshop ends: every open poll closes, each a poll step of its own,
 * stored and then relayed to everyone (s: the facilitator ending it). */
void hub_poll_close_all(hub_room *r, hub_session *s);
/* Read one poll again from Redis (another process changed it, or our write
 * failed) and relay it, without losing our writes of it on their way
 * (hub_poll_sync.c). */
void hub_poll_reload(hub_room *r, const char *poll_id);
void hub_poll_reload_all(hub_room *r);
/* hub_poll_reload for another process's change: the read back tells each
 * person only what changed for them (an assembly's ballots elsewhere). */
void hub_poll_reload_changed(hub_room *r, const char *poll_id);
/* A write of the poll was sent to Redis; ... and answered (before its reply is handled). */
void hub_poll_sync_sent(hub_room *r, const char *poll_id);
void hub_poll_sync_answered(hub_room *r, const char *poll_id);
/* A read back sent when read_at writes had been sent is answered: true when
 * it may replace the model (no write of the poll went after it); then, once
 * it is handled, hub_poll_sync_read_done. */
bool hub_poll_sync_fresh(hub_room *r, const char *poll_id, uint64_t read_at);
void hub_poll_sync_read_done(hub_room *r, const char *poll_id);
void hub_poll_sync_free(hub_room *r);
/* hub_poll_read.c: send the read back of a poll (its record and its ballots,
 * pipelined), read_at handed back to hub_poll_sync_fresh; tell_all: relay the
 * poll and every ballot once read, else only what changed. False when Redis is away. */
bool hub_poll_read_back(hub_room *r, const char *poll_id, uint64_t read_at, bool tell_all);
void hub_poll_room_free(hub_room *r);
/* Polls about a passage (hub_passage.c). follow: every passage moved to the
 * committed revision after ops were applied (local: this process committed
 * them, and stores a change of "changed since the first ballot");
 * passage_start: a new poll's "passage" (v, NULL when absent) from the
 * requester's revision to ours, checked; store_step: store p's record with
 * a history event of that name, relayed to everyone once stored. */
void hub_poll_passages_follow(hub_room *r, bool local);
poll_err hub_poll_passage_start(hub_room *r, poll_t *p, const cJSON *v, const char **why);
void hub_poll_store_step(hub_room *r, poll_t *p, const char *event);
/* At a snapshot: store the record of every poll about a passage, with its
 * range at the snapshot's revision and no event, so that a process loading
 * the workshop from that snapshot can move the range on (event "" to
 * hub_poll_store_step). */
void hub_poll_passages_persist(hub_room *r);
/* Send b's message to the sessions that pass `may` (NULL: all) but connection `except`. b is reset. */
void hub_send_if(hub_room *r, sbuf *b, hub_audience may, const void *arg, uint64_t except);

/* Time zones (hub_tz.c): whether one is in the system's tz database, and, while
 * an export is written, its offsets from UTC for the core (core/when.h). */
typedef struct hub_tz {
    when_zone zone;            /* handed to the core between enter and leave */
    char *saved;               /* the process's own TZ, put back on leaving (NULL: it had none) */
} hub_tz;
bool hub_tz_exists(const char *name);
/* Make zone the C library's until hub_tz_leave, in the same turn of the loop. */
void hub_tz_enter(hub_tz *t, const char *zone);
void hub_tz_leave(hub_tz *t);
/* when_offset_fn: seconds east of UTC at ms in the entered zone. */
int32_t hub_tz_offset(void *ctx, int64_t ms);

/* GET /metrics (hub_metrics.c): the Prometheus text format 0.0.4. */
void hub_http_metrics(hub *h, uint64_t req);
/* An error answered with this code (static text: a code of ours). */
void hub_count_error(hub *h, const char *code);
/* The request's "Authorization: Bearer" is secret (constant-time). */
bool hub_http_bearer_is(hub *h, uint64_t req, const char *secret);

/* A request from a client address over its limit l: true when within it;
 * else it is answered 429 rate_limited with Retry-After and `why`. */
bool hub_http_within_limit(hub *h, uint64_t req, limiter *l, const char *why);

/* Memory given back to the system (hub_trim.c): glibc keeps what is freed
 * in its free lists; a trim returns it. At once when the process holds
 * nothing (no connection, no room), and every HUB_TRIM_EVERY_US while busy
 * when something was freed since the last trim. */
void hub_trim_start(hub *h);
void hub_trim_stop(hub *h);
/* A room or a connection went: trims now if it was the last of them. */
void hub_trim_released(hub *h);
/* A session joined: a trim once a crowd of them has arrived. */
void hub_trim_joined(hub *h);

/* Retention (hub_retention.c): workshops without activity for
 * cfg.retention_ms are deleted by a sweep of each process. */
#define HUB_RETENTION_KEY "atelier:retention" /* workshops by activity (store_functions.c) */
void hub_retention_start(hub *h);
void hub_retention_stop(hub *h);
/* When a workshop last active at active_ms (Redis' clock) will be deleted. */
int64_t hub_retention_deletes_at(const hub *h, int64_t active_ms);
/* The same from meta's fields: `active` as stored (NULL or "": a workshop
 * from before retention, whose creation counts until it is indexed). */
int64_t hub_retention_deletes_at_meta(const hub *h, const char *active, int64_t created);

/* Partnerships (hub_series_next.c, hub_series_read.c, protocol/series.md): a series of workshops,
 * each made from the ended one before it. */
/* The Redis key atelier:{p:ID}:WHAT of a partnership. */
bool hub_series_key(char *dst, size_t n, const char *partnership_id, const char *what) __attribute__((warn_unused_result));
/* prefix{id}[/what] (prefix: "/api/workshops/"): the id into id (idn bytes),
 * the rest (or "") into what; false when path is not one. */
bool hub_api_path(const char *prefix, const char *path, char *id, size_t idn, const char **what);
/* The method's phases as JSON (meta's `agenda` of a new workshop; hub_http.c). */
void hub_default_agenda_json(sbuf *out);
/* POST /api/workshops/{id}/next: the next workshop, from an ended one. */
void hub_http_next(hub *h, uint64_t req, const char *workshop_id, const char *body, size_t len);
/* /api/partnerships/{id}[/export]: GET reads it, POST renames it. */
void hub_http_partnership(hub *h, uint64_t req, net_method m, const char *path, const char *body, size_t len);

/* Join codes (hub_code.c): six digits held in Redis while a workshop is open. */
#define HUB_CODE_TRIES 8       /* codes drawn (a code held by another workshop) before giving up */
bool hub_code_init(hub *h);
/* The count of joins per client address (hub_join.c). */
bool hub_join_init(hub *h);
void hub_join_free(hub *h);
void hub_code_free(hub *h);
bool hub_code_draw(char code[WK_CODE_LEN + 1]);
bool hub_code_valid(const char *code);
/* The Redis key of a code, atelier:code:CODE ("atelier:code:none", which no
 * workshop holds, for a workshop made before join codes). */
bool hub_code_key(char *dst, size_t n, const char *code) __attribute__((warn_unused_result));

/* The sign-off (hub_signoff.c, protocol/agreement.md "Sign-off"): signoff_call,
 * signoff_close, endorse and decline, stored by atelier_signoff, then the
 * whole state to everyone. */
void hub_signoff_message(hub *h, hub_session *s, proto_msg *msg);
/* ,"signoff":{…}: the state in a welcome. */
void hub_signoff_write_welcome(const hub_room *r, sbuf *b);
/* Loading: read the state (queued with the load's first steps). False when it could not be queued. */
bool hub_signoff_load(hub_room *r);
/* "ID signoff ORIGIN" from atelier:notify: another process changed it. */
void hub_signoff_notified(hub_room *r, const char *origin);
/* Read the state back from Redis and tell everyone here (an announcement may have been missed). */
void hub_signoff_reread(hub_room *r);

/* The workshop's end (hub_workshop.c) */
void hub_workshop_message(hub *h, hub_session *s, proto_msg *msg);
/* ,"time_zone","code","state"[,"ended_at"]: a workshop's own fields in the
 * welcome and GET /api/workshops/ID. */
void hub_workshop_write_fields(sbuf *b, const char *time_zone, const char *code, bool ended, int64_t ended_at);
/* {"type":"workshop","state":"deleted"}: the word before a deleted workshop's not_found. */
void hub_workshop_write_deleted(sbuf *b);
/* "ID workshop ORIGIN ended T BY" or "... open T BY CODE" from atelier:notify. */
void hub_workshop_notified(hub_room *r, const char *rest, size_t len);
/* Read the state back from Redis and tell what changed: an announcement was
 * missed (the subscription was down), or Redis refused ops of an end not
 * heard of yet. */
void hub_workshop_reread(hub_room *r);

/* The "to discuss" list (hub_discuss.c, protocol/polls.md): a
 * facilitator's request; loading meta's `discuss`; ,"discuss":[…] in every
 * welcome; "ID discuss ORIGIN" from atelier:notify; reading it back. */
void hub_discuss_message(hub *h, hub_session *s, proto_msg *msg);
bool hub_discuss_load(hub_room *r);
void hub_discuss_write_welcome(const hub_room *r, sbuf *b);
void hub_discuss_notified(hub_room *r, const char *origin);
void hub_discuss_reread(hub_room *r);

/* The agenda and its timer (hub_agenda.c, protocol/agreement.md) */
void hub_agenda_message(hub *h, hub_session *s, proto_msg *msg);
/* Loading: meta's agenda and timer (a workshop made before agendas gets the
 * default, in memory only until a facilitator changes it). */
bool hub_agenda_load(hub_room *r);
/* ,"agenda":{"now","phases","timer"}: in every welcome. */
void hub_agenda_write_welcome(const hub_room *r, sbuf *b);
/* "ID agenda ORIGIN" from atelier:notify: another process changed it. */
void hub_agenda_notified(hub_room *r, const char *origin);
/* Read the agenda back from Redis and tell everyone here (an announcement may have been missed). */
void hub_agenda_reread(hub_room *r);

/* The contribution balance (hub_balance.c): facilitators only. */
/* Loading: the stored counts. */
bool hub_balance_load(hub_room *r);
/* The counts or who is present changed: facilitators hear it within a
 * second, at most once a second (read back from Redis, which every process
 * writes to). */
void hub_balance_due(hub_room *r);
/* ,"balance":{"organisations":[…]} for a facilitator's welcome; nothing for
 * anyone else. The counts are this process's last reading (changes made
 * while no facilitator was here are not read): a `balance` message follows
 * the welcome with Redis' own. */
void hub_balance_write_welcome(hub_room *r, int who, sbuf *b);
void hub_balance_room_free(hub_room *r);

/* Roles (hub_role.c): role_set, representative_request, representative_answer. */
void hub_role_message(hub *h, hub_session *s, proto_msg *msg);
/* "ID role ORIGIN PARTICIPANT T BY" from atelier:notify (rest: from ORIGIN). */
void hub_role_notified(hub_room *r, const char *rest, size_t len);
/* Read every person's record back (announcements may have been missed):
 * a role or request that changed meanwhile is told. */
void hub_role_reread(hub_room *r);

/* The observer link (hub_observer.c): observer_link. */
void hub_observer_message(hub *h, hub_session *s, proto_msg *msg);
/* ,"observer_key":K in a facilitator's welcome while there is a link. */
void hub_observer_write_welcome(const workshop *w, const wk_participant *me, sbuf *b);
/* "ID observer ORIGIN" from atelier:notify (origin: len bytes). */
void hub_observer_notified(hub_room *r, const char *origin, size_t len);
/* Read the link back (an announcement may have been missed). */
void hub_observer_reread(hub_room *r);
/* The key as Redis has it ("": none): when it is not the room's, the room
 * takes it as if announced (facilitators told, observers shut out). */
void hub_observer_take(hub_room *r, const char *key);

/* The priorities board (hub_board.c, protocol/board.md): board_add,
 * board_edit, board_delete, board_group, board_ungroup, board_settings. */
void hub_board_message(hub *h, hub_session *s, proto_msg *msg);
/* Loading: the items, groups and settings (queued with the load's first steps). */
bool hub_board_load(hub_room *r);
/* ,"board":{…}: the board as person `who` may see it, in their welcome. */
void hub_board_write_welcome(const hub_room *r, int who, sbuf *b);
/* "ID board ORIGIN" from atelier:notify: another process changed it. */
void hub_board_notified(hub_room *r, const char *origin);
/* Read the board back from Redis and tell everyone here (an announcement may have been missed). */
void hub_board_reread(hub_room *r);
/* The room goes: its board and its waiting requesters. */
void hub_board_room_free(hub_room *r);

#endif
