#include "core/export_internal.h"

#include <stdio.h>

/* A row of our words: a table's header. */
static void csv_header(csv *c, const char *const *names, size_t n) {
    for (size_t i = 0; i < n; i++) csv_text(c, names[i]);
    csv_end_row(c);
}

void export__csv_table(csv *c, const char *const *names, size_t n) {
    csv_blank_line(c);
    csv_header(c, names, n);
}

/* ---- The polls' tables ---- */

/* What every row of a poll repeats. */
typedef struct csv_poll_rows {
    int number;                        /* as in the summary */
    const export_poll *sp;
    const char **labels;               /* the options, in order */
    int nopt;                          /* how many */
    const cJSON *alignment;            /* the results' alignment, or NULL */
    bool answered_cols;                /* the table has the columns of who answered and when */
    const export_meta *m;              /* the workshop (its time zone) */
} csv_poll_rows;

/* N°, Question, [Type,] État, Groupe, Répondants: the start of each row. */
static void csv_row_start(csv *c, const csv_poll_rows *r, const export_group *g, const export_words *w) {
    csv_int(c, r->number);
    csv_text(c, r->sp->question);
    if (r->sp->kind != POLL_TEXT) csv_text(c, w->kinds[r->sp->kind]);
    csv_text(c, w->states[r->sp->state]);
    csv_text(c, export__group_words(w, g));
    csv_decimal(c, export__number(g->g, "respondents"), 0);
}

/* Who gave an organisation's answer and when; empty for other groups and polls. */
static void csv_answered(csv *c, const csv_poll_rows *r, const export_group *g, const export_words *w) {
    if (!r->sp->orgs || !g->name) {
        csv_empty(c);
        csv_empty(c);
        return;
    }
    const char *by = export__string(g->g, "by");
    char when[EXPORT_PHRASE_MAX];
    export__short_date(when, sizeof when, w, r->m->zone, (int64_t)export__number(g->g, "at"));
    csv_text(c, by ? by : "");
    csv_text(c, when);
}

/* The end of a choice poll's row: the alignment, and who answered when the table says it. */
static void csv_row_end(csv *c, const csv_poll_rows *r, const export_group *g, const export_words *w) {
    if (r->alignment) {
        csv_decimal(c, export__number(r->alignment, "divergence"), 2);
        csv_text(c, export__alignment_words(w, export__string(r->alignment, "label")));
    } else {
        csv_empty(c);
        csv_empty(c);
    }
    if (r->answered_cols) csv_answered(c, r, g, w);
    csv_end_row(c);
}

/* A ranking's rows of mean ranks of one group, after its Borda points: one
 * per choice, "Rang moyen : Emploi". */
static void csv_mean_ranks(csv *c, const csv_poll_rows *r, const export_group *g, const export_words *w) {
    for (int k = 0; k < r->nopt; k++) {
        const cJSON *mr = cJSON_GetArrayItem(export__item(g->g, "mean_rank"), k);
        char label[EXPORT_PHRASE_MAX];
        snprintf(label, sizeof label, "%s%s%s", w->discuss.mean_rank, w->colon, r->labels[k] ? r->labels[k] : "");
        csv_row_start(c, r, g, w);
        csv_text(c, label);
        if (cJSON_IsNumber(mr)) csv_decimal(c, mr->valuedouble, 2);
        else csv_empty(c);
        csv_row_end(c, r, g, w);
    }
}

/* A choice, scale or ranking poll's rows of one group: one per option (a
 * ranking's: its Borda points), then the mean of a scale, or a ranking's
 * mean ranks. */
static void csv_choice_group(csv *c, const csv_poll_rows *r, const export_group *g, const export_words *w) {
    bool scale = r->sp->kind == POLL_SCALE;
    for (int k = 0; k < r->nopt + (scale ? 1 : 0); k++) {
        csv_row_start(c, r, g, w);
        if (scale && k == POLL_SCALE_POINTS) { /* the row after the points */
            const cJSON *m = export__item(g->g, "mean");
            csv_text(c, w->mean);
            if (cJSON_IsNumber(m)) csv_decimal(c, m->valuedouble, 2);
            else csv_empty(c);
        } else {
            char label[EXPORT_PHRASE_MAX];
            if (scale) export__scale_label(label, sizeof label, w, k);
            csv_text(c, scale ? label : r->labels[k] ? r->labels[k] : "");
            csv_decimal(c, export__figure(g, false, k), 0);
        }
        csv_row_end(c, r, g, w);
    }
    if (r->sp->kind == POLL_RANK) csv_mean_ranks(c, r, g, w);
}

/* A text poll's rows of one group: one per answer, with its upvotes. */
static void csv_text_group(csv *c, const csv_poll_rows *r, const export_group *g, const export_words *w) {
    for (int k = 0; k < r->nopt; k++) {
        csv_row_start(c, r, g, w);
        csv_text(c, r->labels[k] ? r->labels[k] : "");
        csv_decimal(c, export__figure(g, true, k), 0);
        csv_end_row(c);
    }
}

/* Every row of one poll, group by group. */
static void csv_poll(csv *c, const export_meta *m, int number, const export_poll *sp, const export_words *w,
                     bool answered_cols) {
    const char *labels[EXPORT_MAX_OPTIONS];
    csv_poll_rows r = {number, sp, labels, export__options(sp, w, labels, EXPORT_MAX_OPTIONS), NULL, answered_cols, m};
    const cJSON *al = export__item(sp->res, "alignment");
    r.alignment = cJSON_IsObject(al) ? al : NULL;
    export_group groups[EXPORT_MAX_GROUPS];
    size_t ng = export__groups(sp->res, sp->orgs, groups, EXPORT_MAX_GROUPS);
    for (size_t g = 0; g < ng; g++) {
        if (sp->kind == POLL_TEXT) csv_text_group(c, &r, &groups[g], w);
        else csv_choice_group(c, &r, &groups[g], w);
    }
}

/* Every row of the polls of one table (text polls, or the others), numbered
 * as in the summary. */
static void csv_polls(csv *c, const export_meta *m, const hist_state *polls, const export_words *w, bool text,
                      bool answered_cols) {
    size_t i = 0;
    int number = 0;
    export_poll sp;
    while (export__poll_next(polls, w, &i, &number, &sp)) {
        if (sp.res && (sp.kind == POLL_TEXT) == text) csv_poll(c, m, number, &sp, w, answered_cols);
        export__poll_free(&sp);
    }
}

static bool is_text_poll(const export_poll *sp) { return sp->kind == POLL_TEXT; }

/* A poll organisations answer has results to show: the first table gets
 * the columns of who answered and when. */
static bool is_org_poll(const export_poll *sp) { return sp->orgs; }

/* ---- The key moments ---- */

static void csv_moments(csv *c, const export_meta *m, const export_book *bk, const export_words *w) {
    char time_header[EXPORT_PHRASE_MAX], when[EXPORT_PHRASE_MAX];
    export__zoned_header(time_header, sizeof time_header, w->time, m->zone);
    const char *head[] = {time_header, w->moment, w->subject};
    export__csv_table(c, head, sizeof head / sizeof *head);
    for (size_t i = 0; i < bk->nmoments; i++) {
        const export_moment *mo = &bk->moments[i];
        export__short_date(when, sizeof when, w, m->zone, mo->t);
        csv_text(c, when);
        csv_text(c, w->moment_name[mo->kind]);
        const char *subject = export__moment_subject(mo, w);
        csv_text(c, subject ? subject : "");
        csv_end_row(c);
    }
    if (m->last_edit) {
        char revisions[EXPORT_PHRASE_MAX];
        snprintf(revisions, sizeof revisions, "%lld %s", (long long)m->rev,
                 export__count_word(w, m->rev, w->revision, w->revisions));
        export__short_date(when, sizeof when, w, m->zone, m->last_edit);
        csv_text(c, when);
        csv_text(c, w->last_edit_name);
        csv_text(c, revisions);
        csv_end_row(c);
    }
}

/* ---- The file ---- */

void export_csv(sbuf *out, const export_meta *m, const export_book *bk, const hist_state *polls, export_lang lang) {
    const export_words *w = export__words(lang);
    csv c;
    csv_begin(&c, out, w->decimal);
    bool answered = export__polls_any(polls, is_org_poll);
    char answered_at[EXPORT_PHRASE_MAX];
    export__zoned_header(answered_at, sizeof answered_at, w->answered_at, m->zone);
    const char *results[] = {w->number,      w->question, w->kind,  w->state,        w->group,     w->respondents,
                             w->choice,      w->count,    w->divergence_h, w->alignment, w->answered_by, answered_at};
    csv_header(&c, results, sizeof results / sizeof *results - (answered ? 0 : 2));
    csv_polls(&c, m, polls, w, false, answered);
    if (export__polls_any(polls, is_text_poll)) { /* their own table: no kind, no alignment (always empty for them) */
        const char *text[] = {w->number, w->question, w->state, w->group, w->respondents, w->answer, w->upvotes};
        export__csv_table(&c, text, sizeof text / sizeof *text);
        csv_polls(&c, m, polls, w, true, false);
    }
    export__passages_csv(&c, polls, w);
    export__discuss_csv(&c, m, polls, w);
    csv_moments(&c, m, bk, w);
    export__phases_csv(&c, m, w);
    export__signoff_csv(&c, m, bk, &polls->signoff, w);
    export__board_csv(&c, &polls->board, w);
}
