#include "core/export_internal.h"

#include <stdio.h>

#include "core/agenda.h"

/* Whole minutes, rounded to the nearest. */
static long long minutes_of(int64_t ms) { return (long long)((ms + 30000) / 60000); }

/* The balance's counts of an organisation, in the order of its columns. */
enum { BALANCE_COUNTS = 4 };
static void balance_counts(const balance_org *o, int64_t v[BALANCE_COUNTS]) {
    v[0] = o->ins;
    v[1] = o->del;
    v[2] = o->ballots;
    v[3] = o->answers;
}

/* ---- The summary ---- */

static void summary_balance_table(doc *d, const balance_table *t, const export_phase_words *pw) {
    if (!t->n) return;
    doc_table(d);
    const char *head[] = {pw->org, pw->inserted, pw->deleted, pw->ballots, pw->answers};
    export__header_row(d, head, sizeof head / sizeof *head);
    for (size_t i = 0; i < t->n; i++) {
        int64_t v[BALANCE_COUNTS];
        balance_counts(&t->orgs[i], v);
        doc_row(d);
        doc_cell(d);
        doc_text(d, t->orgs[i].org);
        for (size_t k = 0; k < BALANCE_COUNTS; k++) {
            doc_cell(d);
            doc_wordsf(d, "%lld", (long long)v[k]);
        }
        doc_row_end(d);
    }
    doc_table_end(d);
}

/* "Commencée le ... Durée : 12 min (prévue : 10 min, prolongée de 2 min, en cours)." */
static void summary_phase_times(doc *d, const export_meta *m, const export_phase *ph, const export_words *w) {
    const export_phase_words *pw = &w->phase;
    char when[EXPORT_PHRASE_MAX];
    export__long_date(when, sizeof when, w, m->zone, ph->started);
    doc_para(d);
    doc_wordsf(d, "%s %s. %s%s%lld %s", pw->started, when, pw->ran, w->colon, minutes_of(export_phase_ran_ms(ph)),
               pw->minutes);
    doc_wordsf(d, " (%s%s%d %s", pw->planned, w->colon, ph->minutes, pw->minutes);
    if (ph->extended_ms) doc_wordsf(d, ", %s %lld %s", pw->extended, minutes_of(ph->extended_ms), pw->minutes);
    if (ph->under_way) doc_wordsf(d, ", %s", pw->under_way);
    doc_words(d, ").");
    doc_para_end(d);
}

/* When the sign-off's steps stop belonging to phase i: when the next one
 * started; the last one keeps them until the agenda was done (the sign-off
 * goes on after the workshop's end, and so does the phase). */
static int64_t phase_until(const export_phases *p, size_t i) {
    if (i + 1 < p->n) return p->v[i + 1].started;
    return p->done ? p->v[i].ended : INT64_MAX;
}

/* ### 2. Pourquoi ?, then when it started, how long it ran, its polls, the
 * sign-off's decisions made in it, the statement at its end and the balance
 * then. */
static void summary_phase(doc *d, const export_meta *m, const export_book *bk, const signoff *so, size_t at,
                          const export_words *w) {
    const export_phase *ph = &m->phases->v[at];
    const export_phase_words *pw = &w->phase;
    export__numbered_heading(d, (int)at + 1, agenda_title_in(ph->title, w->french));
    summary_phase_times(d, m, ph, w);
    export__em_para(d, ph->npolls ? pw->polls_in : pw->no_poll_in);
    if (ph->npolls) {
        doc_list(d);
        for (size_t i = 0; i < ph->npolls; i++) {
            doc_item(d);
            const export_question *q = &ph->polls[i];
            const char *mine = w->french ? q->fr : q->en;
            doc_text(d, mine ? mine : q->typed);
            doc_item_end(d);
        }
        doc_list_end(d);
    }
    export__signoff_between(d, m, bk, so, ph->started, phase_until(m->phases, at), w);
    export__em_para(d, pw->statement_end);
    export__statement(d, ph->text, w);
    if (ph->balance.n && !m->participants) { /* the facilitator's only */
        export__em_para(d, pw->balance_phase);
        summary_balance_table(d, &ph->balance, pw);
    }
}

/* "Phases non abordées : Comment ?, Les priorités de chaque organisation.":
 * the facilitator jumped over them; they never ran, so they have no section. */
static void summary_skipped(doc *d, const export_phases *p, const export_words *w) {
    if (!p->nskipped) return;
    doc_para(d);
    doc_wordsf(d, "%s%s", w->phase.skipped, w->colon);
    for (size_t i = 0; i < p->nskipped; i++) {
        if (i) doc_words(d, ", ");
        doc_text(d, agenda_title_in(p->skipped[i], w->french));
    }
    doc_words(d, ".");
    doc_para_end(d);
}

/* ## The phases, then ## the balance at the end. */
void export__phases_summary(doc *d, const export_meta *m, const export_book *bk, const signoff *so,
                            const export_words *w) {
    const export_phases *p = m->phases;
    const export_phase_words *pw = &w->phase;
    if (!p) return;
    if (p->n || p->nskipped) {
        export__section(d, pw->phases_h);
        for (size_t i = 0; i < p->n; i++) summary_phase(d, m, bk, so, i, w);
        summary_skipped(d, p, w);
    }
    if (p->running.n && !m->participants) {
        export__section(d, pw->balance_h);
        export__em_para(d, pw->balance_end);
        summary_balance_table(d, &p->running, pw);
    }
}

/* ---- The CSV ---- */

/* One row per organisation of a balance: Phase, Start, Duration, Status, then the counts. */
static void csv_balance_rows(csv *c, const balance_table *t, const char *phase, const char *start, const char *ran,
                             const char *state) {
    for (size_t i = 0; i < t->n; i++) {
        int64_t v[BALANCE_COUNTS];
        balance_counts(&t->orgs[i], v);
        csv_text(c, phase);
        csv_text(c, start);
        csv_text(c, ran);
        csv_text(c, state);
        csv_text(c, t->orgs[i].org);
        for (size_t k = 0; k < BALANCE_COUNTS; k++) {
            char n[24];
            snprintf(n, sizeof n, "%lld", (long long)v[k]);
            csv_text(c, n);
        }
        csv_end_row(c);
    }
}

/* A phase jumped over: its title and "non abordée", nothing else (it never ran). */
static void csv_skipped_row(csv *c, const char *phase, const export_phase_words *pw) {
    csv_text(c, phase);
    csv_empty(c);
    csv_empty(c);
    csv_text(c, pw->skipped_one);
    for (size_t k = 0; k <= BALANCE_COUNTS; k++) csv_empty(c); /* the organisation and its counts */
    csv_end_row(c);
}

/* The balance at the end of each phase and of the workshop, and the phases
 * skipped (after those held, in the agenda's order): a table of its own. */
void export__phases_csv(csv *c, const export_meta *m, const export_words *w) {
    const export_phases *p = m->phases;
    const export_phase_words *pw = &w->phase;
    if (!p || (!p->running.n && !p->nskipped)) return;
    char start_header[EXPORT_PHRASE_MAX], when[EXPORT_PHRASE_MAX], ran[24];
    export__zoned_header(start_header, sizeof start_header, pw->start_col, m->zone);
    const char *head[] = {pw->phase_col, start_header, pw->ran_col, pw->state_col, pw->org, pw->inserted, pw->deleted,
                          pw->ballots, pw->answers};
    export__csv_table(c, head, sizeof head / sizeof *head);
    for (size_t i = 0; i < p->n; i++) {
        const export_phase *ph = &p->v[i];
        export__short_date(when, sizeof when, w, m->zone, ph->started);
        snprintf(ran, sizeof ran, "%lld", minutes_of(export_phase_ran_ms(ph)));
        csv_balance_rows(c, &ph->balance, agenda_title_in(ph->title, w->french), when, ran,
                         ph->under_way ? pw->under_way : pw->held);
    }
    for (size_t i = 0; i < p->nskipped; i++) csv_skipped_row(c, agenda_title_in(p->skipped[i], w->french), pw);
    csv_balance_rows(c, &p->running, pw->end_row, "", "", "");
}
