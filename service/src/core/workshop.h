/* workshop.h -- one workshop's live state: the statement (text, revision and
 * a window of recent ops), its participants, and the op pipeline.
 *
 * Pure: no sockets, no Redis, no clock (times are handed in). The shell feeds
 * it submissions, asks it to form a batch, stores that batch, then commits or
 * aborts it. While a batch is in flight, `text` already includes it and
 * `committed` holds the text as of `rev`; joiners are always given the
 * committed state. */
#ifndef ATELIER_WORKSHOP_H
#define ATELIER_WORKSHOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ot.h"
#include "core/proto.h"
#include "core/sbuf.h"
#include "core/when.h"

#define WK_PID_LEN PROTO_PID_LEN /* "p" + 16 base64url characters */
#define WK_SECRET_LEN 22  /* 128 bits, base64url */
#define WK_STREAM_ID_MAX 48
#define WK_CODE_LEN 6     /* digits of a join code */
/* Why an ended workshop refuses a change (error code "ended"). */
#define WK_ENDED_WHY "the workshop has ended; the statement is read-only"

/* A person's role in a workshop: what they may do (protocol/agreement.md). */
typedef enum {
    WK_PARTICIPANT,                   /* writes, votes, answers */
    WK_REPRESENTATIVE,                /* a participant who speaks for their organisation */
    WK_FACILITATOR,                   /* runs the workshop */
    WK_OBSERVER,                      /* follows, never writes */
} wk_role;

/* The role's name on the wire and in Redis: "participant", … */
const char *wk_role_name(wk_role role);
/* The role a name says; false (role untouched) for any other text. */
bool wk_role_parse(const char *name, wk_role *role);
/* A role read back from storage or another process: unknown text (a record
 * from a later version) reads as a participant, the role with fewest rights. */
wk_role wk_role_read(const char *name);

/* A rate limit: messages a second, in bursts (wk_rate_take). */
typedef struct wk_rate {
    double tokens;                    /* messages the bucket holds now (negative: full on first use) */
    int64_t at;                       /* µs when it was last refilled */
} wk_rate;

typedef struct wk_participant {
    char id[WK_PID_LEN + 1];          /* public id, also the author of ops */
    char secret[WK_SECRET_LEN + 1];   /* resume secret: token = id "." secret */
    char *name;                       /* display name */
    char *org;                        /* organisation */
    wk_role role;                     /* what they may do */
    bool asks;                        /* asked to represent their organisation; no facilitator answered yet */
    char okey[PROTO_KEY_MAX + 1];     /* an observer: the observer link's key they joined with ("" for others) */
    int slot;                         /* their organisation's colour slot as stored (-1: none in their record) */
    char *last_opid;                  /* JSON text of the last accepted op id, NULL if none (de-duplication) */
    int64_t last_op_rev;              /* revision that op was applied at */
    int online;                       /* live connections on this process */
    int remote;                       /* other server processes it is connected through */
    wk_rate rate;                     /* rate limit of their messages, whichever connection sends them */
    bool has_cursor;                  /* a caret is known */
    bool cursor_dirty;                /* changed since last relayed */
    bool cursor_local;                /* the caret came from a connection on this process (relay it to the others) */
    int64_t cursor_sent;              /* µs of the last relay */
    int64_t sel[2];                   /* anchor, head at revision `rev` of the workshop (kept transformed) */
} wk_participant;

/* Connected at all: through this process or another one. */
static inline bool wk_present(const wk_participant *p) { return p->online > 0 || p->remote > 0; }
static inline bool wk_is_facilitator(const wk_participant *p) { return p->role == WK_FACILITATOR; }
/* The organisation whose group p belongs to in polls: theirs, or "" (none)
 * for an observer, who never forms or joins one whatever they named. */
static inline const char *wk_org_group(const wk_participant *p) { return p->role == WK_OBSERVER ? "" : p->org; }

/* Most components an op may have (a message of ~65 KB could carry 21,000 and
 * cost a megabyte once parsed): more is refused with too_large. */
#define WK_OP_COMPONENTS_MAX PROTO_OP_COMPONENTS_MAX
/* Work one op may cause when it is moved to the head: components visited,
 * its own times the ops it is moved over, plus theirs. Past it the op is
 * refused with `stale` before any of that work is done (the client resyncs
 * and sends it again against a recent revision). A typed character 1,000
 * ops behind costs ~4,000; this allows an op of 250 components 1,000 typed
 * ops behind, or of 1,000 components a few hundred behind. */
#define WK_REBASE_WORK_MAX 262144
/* Work of one batch: the ops after it wait for the next batch, so that one
 * busy workshop's batch keeps the loop for a bounded time. */
#define WK_BATCH_WORK_MAX (4 * WK_REBASE_WORK_MAX)
/* Why an op is refused past WK_REBASE_WORK_MAX (error code "stale"). */
#define WK_REBASE_WHY "the op is too far behind to be merged here; rejoin with resume to resync"
/* Why an op is refused that would make the statement longer than PROTO_TEXT_MAX (too_large). */
#define WK_TEXT_WHY "the statement would exceed its size limit (1 MiB); nothing was changed"

/* A committed op kept for transforming late ops and for resumes. Its op is
 * packed (ot_op_pack): one block holds the components, their strings, the
 * JSON text and the op id, freed with the op. */
typedef struct wk_entry {
    int64_t rev;        /* revision the op applied to */
    ot_op op;           /* packed; its block also holds opjson and opid */
    char *opjson;       /* the op as JSON text, encoded once */
    size_t opjson_len;
    uint32_t author;    /* participant index */
    char *opid;         /* JSON text of the author's op id (NULL when unknown) */
    size_t bytes;       /* memory it holds, counted against the window's byte budget */
} wk_entry;

/* An op as a client sent it, waiting for a batch. */
typedef struct wk_submission {
    uint64_t conn;      /* connection to acknowledge */
    uint32_t author;    /* participant index */
    char *opid;         /* JSON text of the op id */
    int64_t base;       /* revision it was written against */
    ot_op op;
} wk_submission;

typedef struct workshop {
    char id[PROTO_WORKSHOP_ID_MAX + 1];
    char *title;
    char *fkey;                       /* facilitator key */
    int64_t created;                  /* ms since the epoch */
    char time_zone[WHEN_ZONE_MAX + 1];/* where the workshop takes place: exports' times are on its clock */
    char code[WK_CODE_LEN + 1];       /* its join code ("" when it has none: made before join codes) */
    char okey[PROTO_KEY_MAX + 1];     /* the observer link's key ("" while there is none) */
    bool ended;                       /* the facilitator ended it: the statement is read-only */
    int64_t ended_at;                 /* ms, while ended */
    int64_t rev;                      /* committed revision */
    ot_text text;                     /* current text (includes the batch in flight) */
    ot_text committed;                /* text at `rev`, valid while a batch is in flight */
    char last_event[WK_STREAM_ID_MAX];/* stream id of the event that made `rev` ("" if unknown) */
    int64_t snap_rev;                 /* revision of the newest stored snapshot */

    wk_entry *win;                    /* ring of the last committed ops: revisions rev-win_len .. rev-1 */
    size_t win_cap, win_len, win_head;/* allocated, count, index of the oldest */
    size_t win_max;                   /* most ops the ring may hold */
    size_t win_bytes;                 /* memory its entries hold */
    size_t win_bytes_max;             /* budget: older ops leave past it, but never a batch being committed (0: none) */
    uint64_t rebase_work;             /* work spent moving ops to the head (the unit of WK_REBASE_WORK_MAX) */

    wk_participant *people;           /* everyone who ever joined (index = identity while loaded) */
    size_t npeople, people_cap;
    struct wk_org *orgs;              /* the organisations seen, for wk_same_org without reading everyone */
    size_t norgs, orgs_cap;
    uint32_t *by_id;                  /* open-addressed table of people by id: index + 1, 0 empty (NULL: none, read all) */
    size_t by_id_cap;                 /* its slots: a power of two, at least twice npeople */
    int online;                       /* live connections on this process */

    wk_submission *queue;             /* submitted, not yet in a batch */
    size_t qlen, qcap;
    wk_submission *batch;             /* in flight, in order; their ops are in bops */
    wk_entry *bops;                   /* the batch's ops, transformed, at revisions rev .. rev+blen-1 */
    size_t blen, bcap;
    bool in_flight;
} workshop;

workshop *wk_new(const char *id, const char *title, const char *fkey, int64_t created, size_t window);
void wk_free(workshop *w);
/* The window's byte budget (0: none): the oldest ops leave once their
 * entries hold more, so that a few huge ops cannot pin megabytes; a resume
 * from before them takes the snapshot path. */
void wk_set_window_bytes(workshop *w, size_t bytes);

/* Loading from the store: the snapshot first, then every later op in order. */
ot_status wk_load_snapshot(workshop *w, int64_t rev, const char *text, size_t len);
/* An op committed elsewhere (loading, or another server process). author is
 * a participant id (added as unknown if needed). Fails if rev != w->rev or
 * the op does not fit. Only while no batch is in flight. */
ot_status wk_apply_committed(workshop *w, int64_t rev, const char *opjson, size_t len, const char *author,
                             const char *opid, const char *event_id);

/* Participants. Returns the index, or -1 (out of memory). */
int wk_add_participant(workshop *w, const char *id, const char *secret, const char *name, const char *org,
                       wk_role role);
int wk_find_participant(const workshop *w, const char *id);
/* An organisation seen: its utf8_label_key, and the first person (not an
 * observer) who wrote it so. */
typedef struct wk_org {
    char *key;                        /* malloc'd */
    uint32_t first;                   /* index in people */
    int slot;                         /* its colour slot, -1 while none is known */
} wk_org;
/* How an organisation already in the workshop is written, if org is the
 * same one written another way (case, spaces: utf8_label_key); else NULL.
 * Joins use it so that one organisation is one group in poll results. No
 * organisation ("", an observer's) is never one, and observers' organisations
 * are not looked at: observers never form an organisation's group. The
 * organisations found are remembered (w->orgs): the next join of one reads
 * them, not everyone. */
const char *wk_same_org(workshop *w, const char *org);
/* Organisation colour slots (protocol/README.md, "Organisation colours"):
 * each organisation of a workshop has one, first come first served, given
 * by Redis (atelier_person) when it first joins. Observers have none. */
#define WK_SLOT_MAX 1000000 /* slots read from a record or another process: more is damage */
/* Person who's slot is now `slot` (>= 0), and so is their organisation's. */
void wk_set_org_slot(workshop *w, int who, int slot);
/* Person p's organisation's slot: theirs, else one a colleague's record
 * gave; -1 while none is known (an old record, an observer). */
int wk_org_slot(const workshop *w, const wk_participant *p);
/* ,"org_slots":[{"organisation":…,"slot":…},…]: every organisation of the
 * workshop with a slot known, present or not, once each, in the order the
 * workshop first met them; its cost grows with the organisations, not the
 * people. */
void wk_write_org_slots(sbuf *b, const workshop *w);
/* The participant a resume token ("id.secret") names, or -1. Constant-time secret compare. */
int wk_check_token(const workshop *w, const char *token);
bool wk_check_key(const workshop *w, const char *key);
/* The observer link's key, while there is one (constant-time compare). */
bool wk_check_observer_key(const workshop *w, const char *key);
/* Whether an observer's link still stands: the key they joined with is the
 * workshop's (a revoked link, or a new one, shuts them out). True for
 * everyone else. */
bool wk_observer_admitted(const workshop *w, const wk_participant *p);
/* Token bucket: true if one more message may go now. */
bool wk_rate_take(wk_rate *b, int64_t now_us, double rate, double burst);

/* Committed ops since `rev` (for a resume), or NULL/false if `rev` is outside
 * the window. *first is the index into the window ring of revision rev. */
bool wk_window_has(const workshop *w, int64_t rev);
const wk_entry *wk_window_at(const workshop *w, int64_t rev);
/* A caret at revision rev moved to the current committed revision; false if
 * rev is outside the window or past the end. */
bool wk_transform_caret(const workshop *w, int64_t rev, int64_t *pos);
const ot_text *wk_committed_text(const workshop *w);

/* Whether an ended workshop refuses this message: ops, and what would take
 * an answer or open a poll (poll_open, poll_reopen, poll_create with "open":
 * true, vote, answer, upvote). Carets, reading and the facilitator's other
 * poll steps (close, results, edit, delete) go on. */
bool wk_ended_refuses(const workshop *w, const proto_msg *msg);

/* Submit an op. Returns PROTO_OK when queued. When the op id equals the
 * author's last accepted op, returns PROTO_OK with *dup_rev set (>= 0): ack
 * again, do not queue. When it is still queued or in flight, its ack is
 * redirected to `conn` (the client reconnected) and nothing is queued. An
 * ended workshop refuses any other op (PROTO_EENDED). On
 * PROTO_OK op is consumed (left empty); on error nothing is queued and the
 * caller keeps op. */
proto_err wk_submit(workshop *w, uint64_t conn, uint32_t author, const char *opid, int64_t base, ot_op *op,
                    int64_t *dup_rev, const char **why);

/* Called for each submission the batch former refuses or finds duplicate:
 * err == PROTO_OK means a duplicate, to be acked at ack_rev. */
typedef void (*wk_refuse_fn)(void *ud, const wk_submission *s, proto_err err, const char *why, int64_t ack_rev);

/* Form a batch of at most max ops from the queue: transform each over what was
 * committed since its base and over the batch so far, check it fits, apply it
 * to `text`. Returns the number of ops in the batch (0: nothing to send).
 * An op whose move would cost more than WK_REBASE_WORK_MAX is refused
 * `stale` without being moved; one that would make the statement longer
 * than PROTO_TEXT_MAX bytes, `too_large`. The batch stops before
 * WK_BATCH_WORK_MAX: the ops after wait, queued, for the next one. */
size_t wk_batch_form(workshop *w, size_t max, wk_refuse_fn refuse, void *ud);
/* The store accepted the batch: its ops move into the window at revisions
 * first..first+blen-1 (returns first; read them with wk_window_at). The
 * submissions stay readable (for acks) until wk_batch_clear. Batches are never
 * larger than the window, so the whole batch is in it. */
int64_t wk_batch_commit(workshop *w, const char *last_event_id);
void wk_batch_clear(workshop *w);
/* The store did not take the batch. requeue: put its submissions back at the
 * front of the queue (the revision moved: load the missed ops, then form a new
 * batch); otherwise they are handed to refuse with `err` and dropped. */
void wk_batch_abort(workshop *w, bool requeue, proto_err err, const char *why, wk_refuse_fn refuse, void *ud);

#endif
