/* hist.h -- a workshop's history as it is served (protocol/history.md):
 * stored events into JSON, in the public view or the facilitator's, and the
 * presence and polls at a moment, folded from the non-edit events (marks).
 *
 * Pure: the shell reads the stream entries from Redis and hands their fields
 * in; nothing here knows about Redis or sockets. The stored poll events carry
 * the poll object clients saw and its results (threshold applied); a folded
 * poll's ballot events carry the ballot records instead (hist_fold.h folds
 * them into results before an event is written), which no writer here ever
 * serves: no view names a voter or a person's ballot. An organisation's
 * answer is open: its ballot events carry it, with who gave it, and a view
 * shows it exactly when it shows the event's results. */
#ifndef ATELIER_HIST_H
#define ATELIER_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sbuf.h"
#include "core/board.h"
#include "core/signoff.h"

#define HIST_ID_MAX 48          /* bytes in a stream id ("ms-seq") */
#define HIST_MS_DIGITS 16       /* most digits of a stream id's time part (times in ms have 13 until 2286) */
#define HIST_SEQ_DIGITS 20      /* most digits of its sequence part: any 64-bit number */

/* One stored event. Strings point into the caller's reply (not copied);
 * absent fields are NULL. */
typedef struct hist_event {
    const char *id;             /* stream id, "MS-SEQ" */
    int64_t t;                  /* ms since the epoch: the id's time part (ids and times agree) */
    const char *type;           /* created, op, arrived, departed, role, poll_*, ballot, answer, upvote, ended, reopened,
                                   signoff_called, signoff_closed, endorsed, declined, agreed */
    int64_t rev;                /* revision when it happened (op: the revision it applied to) */
    const char *title;          /* created */
    const char *author;         /* op: participant id */
    const char *org;            /* op, arrived, departed: organisation */
    const char *op;             /* op: the op as JSON text, as stored by the server */
    const char *participant;    /* arrived, departed, role */
    const char *name;           /* arrived, departed, role: theirs; ended, reopened: who did it */
    const char *role;           /* arrived, departed; role: the new one */
    const char *asks;           /* role: "representative" while they ask to be one */
    const char *item;           /* discuss_*: the item's id (decimal text) */
    const char *items;          /* discuss_*: the "to discuss" list after it (JSON text) */
    const char *poll;           /* poll events: the public poll object (JSON text) */
    const char *results;        /* poll events: the results message (JSON text), "" when none */
    const char *org_answer;     /* ballot on an organisations poll: the organisation's answer and who gave it (JSON text) */
    const char *data;           /* ballot of a folded poll: the ballot record after it (JSON text, "" none; never served) */
    const char *prior;          /* ... and before it, as Redis had it (hist_fold.h; never served) */
    const char *was;            /* poll_deleted: "draft" when it never left draft */
    const char *origin;         /* arrived, departed: the server process the connection was on */
    const char *slot;           /* arrived: the organisation's colour slot, decimal text checked when read (NULL: older event) */
    const char *by;             /* ended, reopened, sign-off events: who (their name in `name`);
                                 * role: the facilitator who decided (absent when the person asked) */
    const char *phase;          /* agenda events: the phase concerned */
    const char *minutes;        /* phase_started: planned; phase_extended: added (decimal text) */
    const char *phases;         /* agenda_changed: the phases (JSON text) */
    const char *timer;          /* agenda events: the timer after it (JSON text) */
    const char *sha256;         /* endorsed, declined, agreed: the SHA-256 of the text (hex) */
    const char *reason;         /* declined: why */
    int64_t endorsed_rev;       /* endorsed: the revision endorsed (-1 when absent) */
    const char *organisations;  /* agreed: the organisations, a JSON array of names */
    const char *partnership;    /* carried, continued: the partnership's id (protocol/series.md) */
    const char *from;           /* carried: the ended workshop it was made from (facilitator's view) */
    const char *next;           /* continued: the workshop made from this one (facilitator's view) */
    const char *carried;        /* carried: what it starts from (JSON text) */
    const char *board;          /* board events (protocol/board.md): their data (JSON text, an object) */
    bool board_open;            /* ... other organisations saw each list after it: the public view shows it */
} hist_event;

/* An event of the "to discuss" list (discuss_added, discuss_checked, discuss_removed). */
bool hist_is_discuss(const hist_event *e);
/* An event of the agenda (agenda_changed, phase_*, agenda_done). */
bool hist_is_agenda(const hist_event *e);

/* The view of the history a request gets. */
typedef enum { HIST_PUBLIC, HIST_FACILITATOR } hist_view;

/* A stream id "MS-SEQ" (both parts decimal, at most HIST_MS_DIGITS and
 * HIST_SEQ_DIGITS digits). Its time part in *ms. */
bool hist_valid_id(const char *id, int64_t *ms);

/* Fill e from a stream entry: id and n strings alternating field, value.
 * False when the entry is not a usable event (bad id, no type, a JSON text
 * field -- op, public, results, org_answer, phases, timer -- damaged). */
bool hist_event_from_fields(hist_event *e, const char *id, const char *const *kv, size_t n);

/* Like hist_event_from_fields for an op event only, reading just id, type,
 * rev, author, org and op (the other fields of e are left as they were).
 * False when the entry is not an op, or its op is missing or damaged. */
bool hist_op_from_fields(hist_event *e, const char *id, const char *const *kv, size_t n);

static inline bool hist_is_op(const hist_event *e) { return e->type[0] == 'o' && e->type[1] == 'p' && !e->type[2]; }

/* Whether the view shows e at all: drafts' events are the facilitators'. */
bool hist_visible(const hist_event *e, hist_view v);
/* Write e as served (one JSON object). False, and nothing written, when the
 * view does not show it. */
bool hist_write_event(sbuf *b, const hist_event *e, hist_view v);

/* Someone connected at the moment, through one server process. */
typedef struct hist_person {
    char *participant;          /* participant id */
    char *origin;               /* the process ("" when not recorded) */
    char *name;
    char *org;
    char *role;                 /* "facilitator", "representative", "participant" or "observer" */
    int connections;            /* arrivals minus departures through that process */
    int slot;                   /* their organisation's colour slot, from the arrival (-1: an older event) */
} hist_person;

/* A poll as it stood: its last event's poll object and results. */
typedef struct hist_poll {
    char *id;                   /* poll id */
    char *poll;                 /* public poll object (JSON text) */
    char *results;              /* results message (JSON text), "" when none */
    char *step_poll;            /* the public view's: the poll object as its last step (not a vote) left it; NULL before one */
    char *step_results;         /* ... and its results then */
    int64_t created;            /* from the poll object: orders the polls */
    bool draft;                 /* still a draft: the facilitators' only */
    bool results_public;        /* the public view shows step_results: shown to participants, and the poll closed */
} hist_poll;

/* Presence and polls at a moment, folded from marks in stream order. */
typedef struct hist_state {
    hist_person *people;        /* present, in order of arrival; one per participant and process */
    size_t npeople, people_cap;
    hist_poll *polls;           /* not deleted, in order of creation */
    size_t npolls, polls_cap;
    signoff signoff;            /* the sign-off then (core/signoff.h) */
    board board;                /* the priorities board then (core/board.h) */
    char *discuss;              /* the "to discuss" list then (JSON text of its items); NULL: empty */
    bool oom;                   /* an allocation failed: the state is incomplete */
} hist_state;

void hist_state_init(hist_state *s);
void hist_state_free(hist_state *s);
/* Fold one event in (edits and unknown types change nothing). */
void hist_state_add(hist_state *s, const hist_event *e);
/* Poll i's results now (a folded poll's, hist_fold.h: its ballots stored none). */
void hist_state_set_results(hist_state *s, size_t i, const char *results);
/* Keep only what the public view shows of the polls: drafts go, each other
 * poll becomes its last step's object, with its results only where
 * participants were shown them (step_results: none then). For the
 * participants' summary. */
void hist_state_keep_public(hist_state *s);
/* ,"present":[…],"polls":[…],"signoff":{…},"board":{…},"discuss":[…] as the view sees them (written after other fields). */
void hist_state_write(sbuf *b, const hist_state *s, hist_view v);
/* {"participant","name","org","role"[,"slot"]}: a person as every history reply names them (slot -1: none). */
void hist_write_person(sbuf *b, const char *participant, const char *name, const char *org, const char *role, int slot);
/* Results as served: the stored message without its "type", or null when
 * the view may not see them. */
void hist_write_results(sbuf *b, const char *results, bool shown);

#endif
