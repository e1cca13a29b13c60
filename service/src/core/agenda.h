/* agenda.h -- a workshop's agenda and its timer (protocol/agreement.md,
 * "Agenda and timer"): the phases with their planned minutes, the method's
 * default phases, and the countdown of the phase under way.
 *
 * Pure: no sockets, no Redis, no clock. Every time (ms since the epoch) is
 * handed in by the caller, so the arithmetic is the same on every server
 * process and in the tests. An agenda is a plain value (no pointers): copy
 * it with `=`, which the hub does to prepare a change before Redis has it. */
#ifndef ATELIER_AGENDA_H
#define ATELIER_AGENDA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/proto.h"
#include "core/sbuf.h"

#define AGENDA_PHASES_MAX 20                 /* phases in an agenda */
#define AGENDA_ID_MAX 16                     /* characters of a phase id, [A-Za-z0-9_-] */
#define AGENDA_TITLE_MAX 120                 /* code points of a phase title */
#define AGENDA_TITLE_BYTES (4 * AGENDA_TITLE_MAX + 1) /* bytes of a title, with its NUL */
#define AGENDA_MINUTES_MAX 600               /* planned minutes of a phase */
#define AGENDA_EXTEND_MAX 60                 /* minutes one phase_extend adds */
#define AGENDA_MINUTE_MS 60000LL

/* The method's phases, in order (AGENDA_PRESET_NONE: typed by the facilitator). */
typedef enum {
    AGENDA_PRESET_NONE = 0,
    AGENDA_PRESET_WHAT,
    AGENDA_PRESET_WHY,
    AGENDA_PRESET_HOW,
    AGENDA_PRESET_PRIORITIES,
    AGENDA_PRESET_SUCCESS,
    AGENDA_PRESET_VALIDATION,
} agenda_preset;
#define AGENDA_PRESETS AGENDA_PRESET_VALIDATION /* presets, AGENDA_PRESET_NONE aside */

typedef struct agenda_phase {
    char id[AGENDA_ID_MAX + 1];              /* unique in the agenda */
    char title[AGENDA_TITLE_BYTES];          /* tidied, 1..AGENDA_TITLE_MAX code points */
    int minutes;                             /* planned, 1..AGENDA_MINUTES_MAX */
    agenda_preset preset;                    /* the method's phase it is, or NONE */
} agenda_phase;

/* The countdown. While running the time left is ends_at - now; while
 * paused, ends_at - paused_at (frozen). Negative: an overrun. */
typedef struct agenda_timer {
    char phase[AGENDA_ID_MAX + 1];           /* the phase under way; "" for none (not started, or done) */
    int64_t started_at;                      /* ms, when it started (0 when none) */
    int64_t ends_at;                         /* ms, when its time runs out (0 when none) */
    bool paused;                             /* frozen since paused_at */
    int64_t paused_at;                       /* ms, while paused */
    int64_t extended_ms;                     /* added by phase_extend since it started */
    bool done;                               /* no phase under way because the last one ended
                                              * (agenda_done), not because none started yet */
    char ran[AGENDA_PHASES_MAX][AGENDA_ID_MAX + 1]; /* the phases started at least once, in the order
                                              * they first started (kept across starts and the end) */
    size_t nran;                             /* 0..AGENDA_PHASES_MAX */
} agenda_timer;

/* Where a phase stands in the agenda's run. */
typedef enum {
    AGENDA_STEP_NEXT = 0,                    /* not started, and no later phase either: still to come */
    AGENDA_STEP_CURRENT,                     /* under way */
    AGENDA_STEP_RAN,                         /* started once, no longer under way */
    AGENDA_STEP_SKIPPED,                     /* never started, but a later one was (or the agenda is done) */
} agenda_step;

typedef struct agenda {
    agenda_phase phases[AGENDA_PHASES_MAX];  /* in order */
    size_t nphases;                          /* 1..AGENDA_PHASES_MAX once set */
    agenda_timer timer;
} agenda;

/* What a change did, for its event (protocol/agreement.md, "Events"). */
typedef struct agenda_change {
    const char *event;                       /* agenda_changed, phase_started, phase_paused, phase_resumed,
                                              * phase_extended, agenda_done (static) */
    char phase[AGENDA_ID_MAX + 1];           /* the phase concerned ("" for agenda_changed, agenda_done) */
    char title[AGENDA_TITLE_BYTES];          /* phase_started: its title */
    int minutes;                             /* phase_started: planned; phase_extended: added */
} agenda_change;

/* The preset's name on the wire ("what", …), and its title in French or English. */
const char *agenda_preset_name(agenda_preset p);
bool agenda_preset_parse(const char *name, agenda_preset *out);
const char *agenda_preset_title(agenda_preset p, bool french);
/* A phase's title in a language: the preset's own in that language while the
 * title is the preset's (in either language), else the title as typed. */
const char *agenda_phase_title(const agenda_phase *ph, bool french);
/* The same for a title alone (a stored event's): the preset's own in that
 * language when the title is one of the method's, else the title. */
const char *agenda_title_in(const char *title, bool french);

/* The method's phases (French titles), no phase under way. */
void agenda_default(agenda *a);
/* Index of a phase by id, or -1. */
int agenda_find(const agenda *a, const char *id);
/* Whether phase id was started at least once. */
bool agenda_ran(const agenda *a, const char *id);
/* Where phase i stands (protocol/agreement.md, "The timer": `ran`). */
agenda_step agenda_step_of(const agenda *a, size_t i);
/* The step's name on the wire and in tests: "next", "current", "ran", "skipped". */
const char *agenda_step_name(agenda_step s);
/* Time left at now, in ms (negative: an overrun); 0 when no phase is under way. */
int64_t agenda_time_left(const agenda_timer *t, int64_t now);

/* The phases of a JSON array (agenda_set's "phases", or the stored ones),
 * checked: 1..20 phases, ids valid and unique, titles and minutes in range.
 * Fills phases and nphases of out (its timer untouched); false with *why
 * (static) otherwise, out's phases untouched. */
bool agenda_phases_read(agenda *out, const struct cJSON *phases, const char **why);
/* A stored agenda: meta's "agenda" and "timer" JSON texts, either may be
 * empty or NULL (a workshop made before agendas: the default, nothing under
 * way). A timer stored before `ran` was kept reads as the client showed it
 * then: every phase up to the one under way (all of them once done) ran. False when either is damaged (not JSON, not an agenda's phases, not
 * a timer): *a then holds the default phases, or no timer, in their place,
 * and the hub refuses the workshop rather than run it on a guess. A timer
 * naming a phase the agenda does not have reads as none. */
bool agenda_read_stored(agenda *a, const char *phases_json, const char *timer_json);

/* A facilitator's request (type PROTO_AGENDA_SET .. PROTO_PHASE_EXTEND, obj
 * its parsed message) applied at now. PROTO_OK with *change filled, or an
 * error (PROTO_EBAD_REQUEST, PROTO_ENOT_FOUND) with *why and a unchanged. */
proto_err agenda_apply(agenda *a, proto_type type, const struct cJSON *obj, int64_t now, agenda_change *change,
                       const char **why);

/* The timer operations agenda_apply is made of: each returns PROTO_OK or an
 * error with *why (a unchanged). */
proto_err agenda_start(agenda *a, const char *phase, int64_t now, agenda_change *c, const char **why);
proto_err agenda_next(agenda *a, int64_t now, agenda_change *c, const char **why);
proto_err agenda_pause(agenda *a, int64_t now, agenda_change *c, const char **why);
proto_err agenda_resume(agenda *a, int64_t now, agenda_change *c, const char **why);
proto_err agenda_extend(agenda *a, int minutes, agenda_change *c, const char **why);
/* New phases (checked already by agenda_phases_read into `from`). */
proto_err agenda_set_phases(agenda *a, const agenda *from, agenda_change *c, const char **why);

/* [{"id","title","minutes"[,"preset"]},…] */
void agenda_write_phases(sbuf *b, const agenda *a);
/* {"phase","started_at","ends_at","paused_at","extended_ms"[,"done"],"ran"} (nulls when none) */
void agenda_write_timer(sbuf *b, const agenda_timer *t);
/* {"now":NOW,"phases":[…],"timer":{…}}: the welcome's "agenda". */
void agenda_write_state(sbuf *b, const agenda *a, int64_t now);
/* {"type":"agenda","now":NOW,"phases":[…],"timer":{…}[,"id":…]} */
void agenda_write_message(sbuf *b, const agenda *a, int64_t now, const char *idjson);

#endif
