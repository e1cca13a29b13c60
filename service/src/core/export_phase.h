/* export_phase.h -- the exports organised by phase (protocol/agreement.md,
 * "Agenda and timer"; protocol/history.md, "Exports"): for each phase
 * started, when and how long it ran, the statement as it was at its end,
 * the polls opened during it, and the contribution balance at its end; and
 * the balance at the end of the workshop.
 *
 * Pure: the shell hands in every event of the stream in order (edits and
 * marks), with the statement as it is at that event, and then the end. */
#ifndef ATELIER_EXPORT_PHASE_H
#define ATELIER_EXPORT_PHASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/agenda.h"
#include "core/balance.h"
#include "core/hist.h"

/* A poll's question as typed, and as given in French and in English (a
 * ready-made question's translations; NULL where it has none). */
typedef struct export_question {
    char *typed;
    char *fr;
    char *en;
} export_question;

typedef struct export_phase {
    char *title;              /* as started (the export shows a preset's title in its language) */
    int minutes;              /* planned when it started */
    int64_t extended_ms;      /* added while it ran */
    int64_t started;          /* ms */
    int64_t ended;            /* ms: when the next one started, the agenda was done or the workshop ended */
    bool under_way;           /* still under way at the export: `ended` is the last event's time */
    int64_t paused_ms;        /* time it spent paused */
    int64_t paused_at;        /* ms, while paused (0: running) */
    char *text;               /* the statement at its end (or now); NULL until it ends */
    export_question *polls;   /* questions of the polls opened during it */
    size_t npolls, polls_cap;
    balance_table balance;    /* the counts at its end (present: 0; counts since the workshop began) */
} export_phase;

typedef struct export_phases {
    export_phase *v;          /* in the order they started */
    size_t n, cap;
    balance_table running;    /* the counts so far */
    int64_t last_t;           /* ms of the last event handed in */
    bool done;                /* the agenda was done after the last phase (agenda_done) */
    char **skipped;           /* titles of the agenda's phases never started though a later one was
                               * (agenda_step_of: skipped), in the agenda's order; owned */
    size_t nskipped;
    bool oom;                 /* an allocation failed: the sections are incomplete */
} export_phases;

void export_phases_init(export_phases *p);
void export_phases_free(export_phases *p);
/* One event in stream order; text: the statement as it is at that event. */
void export_phases_event(export_phases *p, const hist_event *e, const char *text);
/* The end of the stream: the phase under way keeps running (ended 0) unless
 * the workshop ended at end_ms (not 0); its text is the final one. */
void export_phases_finish(export_phases *p, int64_t end_ms, const char *text);
/* The agenda as stored now (its timer's `ran`): the titles of its skipped
 * phases (agenda_step_of), for the exports to name. Once, before writing. */
void export_phases_skipped(export_phases *p, const agenda *final);
/* How long a phase ran, in ms, pauses excluded. */
int64_t export_phase_ran_ms(const export_phase *ph);

#endif
