#include "core/export_internal.h"

#include <stdio.h>

/* N. Question as a heading, then its kind, state and respondents. */
static void summary_poll_head(doc *d, int number, const export_poll *sp, const export_words *w) {
    export__numbered_heading(d, number, sp->question);
    doc_para(d);
    doc_wordsf(d, "%s · %s", w->kinds[sp->kind], w->states[sp->state]);
    if (sp->orgs) doc_wordsf(d, " · %s", w->org_poll);
    if (sp->res) {
        double n = export__number(sp->res, "respondents");
        doc_wordsf(d, " · %s%s%.0f", w->respondents, w->colon, n);
        if (sp->orgs) doc_wordsf(d, " %s", export__count_word(w, (int64_t)n, w->organisation, w->organisations));
    }
    doc_para_end(d);
}

/* A row whose first cell is a figure's name, in emphasis ("Répondants", "Moyenne"). */
static void row_named(doc *d, const char *name) {
    doc_row(d);
    doc_cell(d);
    doc_em(d);
    doc_words(d, name);
    doc_em_end(d);
}

/* The table: a column per group, a row per option (and the mean of a scale). */
static void summary_poll_table(doc *d, const export_poll *sp, const export_words *w) {
    export_group groups[EXPORT_MAX_GROUPS];
    size_t ng = export__groups(sp->res, sp->orgs, groups, EXPORT_MAX_GROUPS);
    if (sp->orgs) ng = 1; /* the organisations' answers are listed below the totals */
    const char *labels[EXPORT_MAX_OPTIONS];
    int nopt = export__options(sp, w, labels, EXPORT_MAX_OPTIONS);
    bool text = sp->kind == POLL_TEXT, rank = sp->kind == POLL_RANK;
    doc_table(d);
    doc_row(d);
    doc_cell(d);
    doc_words(d, text ? w->answer : rank ? w->discuss.rank_choice : w->choice);
    for (size_t g = 0; g < ng; g++) {
        doc_cell(d);
        if (groups[g].name) doc_text(d, groups[g].name);
        else doc_words(d, export__group_words(w, &groups[g]));
    }
    doc_row_end(d);
    row_named(d, w->respondents);
    for (size_t g = 0; g < ng; g++) {
        doc_cell(d);
        doc_wordsf(d, "%.0f", export__number(groups[g].g, "respondents"));
    }
    doc_row_end(d);
    for (int k = 0; k < nopt; k++) {
        doc_row(d);
        doc_cell(d);
        if (sp->kind == POLL_SCALE) { /* our words */
            char label[EXPORT_PHRASE_MAX];
            export__scale_label(label, sizeof label, w, k);
            doc_words(d, label);
        } else { /* what was typed */
            doc_text(d, labels[k]);
        }
        for (size_t g = 0; g < ng; g++) {
            doc_cell(d);
            doc_wordsf(d, "%.0f", export__figure(&groups[g], text, k));
            const cJSON *mr = rank ? cJSON_GetArrayItem(export__item(groups[g].g, "mean_rank"), k) : NULL;
            if (cJSON_IsNumber(mr)) {
                char v[EXPORT_NUMBER_MAX];
                export__number_text(v, mr->valuedouble, 2, w->decimal);
                doc_wordsf(d, " (%s)", v);
            }
        }
        doc_row_end(d);
    }
    if (sp->kind == POLL_SCALE) {
        row_named(d, w->mean);
        for (size_t g = 0; g < ng; g++) {
            const cJSON *m = export__item(groups[g].g, "mean");
            char v[EXPORT_NUMBER_MAX] = "–";
            if (cJSON_IsNumber(m)) export__number_text(v, m->valuedouble, 2, w->decimal);
            doc_cell(d);
            doc_words(d, v);
        }
        doc_row_end(d);
    }
    doc_table_end(d);
    if (rank) export__em_para(d, w->discuss.rank_note);
}

/* How aligned the organisations were, or why it was not computed (text polls: nothing). */
static void summary_poll_alignment(doc *d, const export_poll *sp, const export_words *w) {
    const cJSON *al = export__item(sp->res, "alignment");
    if (!cJSON_IsObject(al) && sp->kind == POLL_TEXT) return;
    if (!cJSON_IsObject(al)) {
        export__para(d, w->no_alignment);
        return;
    }
    char div[EXPORT_NUMBER_MAX];
    export__number_text(div, export__number(al, "divergence"), 2, w->decimal);
    doc_para(d);
    doc_wordsf(d, "%s%s%s (%s %s%s%.0f %s).", w->alignment, w->colon,
               export__alignment_words(w, export__string(al, "label")), w->divergence, div, w->semicolon,
               export__number(al, "organisations"), w->compared);
    doc_para_end(d);
}

static void doc_text_cb(void *d, const char *s) { doc_text(d, s); }
static void doc_words_cb(void *d, const char *s) { doc_words(d, s); }

/* "- Ville, par Awa le 28 novembre 2026 à 02:45 (UTC) : Oui", one item per
 * organisation that answered, by name. */
static void summary_org_answers(doc *d, const export_meta *m, const export_poll *sp, const export_words *w) {
    export_group groups[EXPORT_MAX_GROUPS];
    size_t ng = export__groups(sp->res, true, groups, EXPORT_MAX_GROUPS);
    if (ng < 2) return;
    doc_list(d);
    for (size_t g = 1; g < ng; g++) {
        char date[EXPORT_PHRASE_MAX];
        export__long_date(date, sizeof date, w, m->zone, (int64_t)export__number(groups[g].g, "at"));
        const char *by = export__string(groups[g].g, "by");
        doc_item(d);
        doc_text(d, groups[g].name ? groups[g].name : "");
        doc_words(d, w->org_by);
        doc_text(d, by ? by : "");
        doc_wordsf(d, "%s%s%s", w->org_on, date, w->colon);
        export__org_answer(sp, &groups[g], w, doc_text_cb, doc_words_cb, d);
        doc_item_end(d);
    }
    doc_list_end(d);
}

/* The threshold note, in emphasis, for polls that people answer under threshold t. */
static void threshold_note(doc *d, const export_words *w, unsigned t) {
    char note[512]; /* the longest note is under 250 bytes */
    snprintf(note, sizeof note, "%s%u%s%u%s", w->threshold_note[0], t, w->threshold_note[1], t,
             w->threshold_note[2]);
    export__em_para(d, note);
}

/* One poll. own_note: the polls people answer do not all share one
 * threshold, each says its own. */
static void summary_poll(doc *d, const export_meta *m, int number, const export_poll *sp, const export_words *w,
                         bool own_note) {
    summary_poll_head(d, number, sp, w);
    export__passage_summary(d, sp, w);
    if (sp->res) summary_poll_table(d, sp, w);
    else if (m->participants) export__em_para(d, w->results_not_shown); /* not "there were none" */
    if (sp->res && sp->orgs) summary_org_answers(d, m, sp, w);
    if (sp->res) summary_poll_alignment(d, sp, w);
    if (sp->orgs) export__em_para(d, w->org_note);
    else if (own_note) threshold_note(d, w, sp->threshold);
}

/* The threshold the polls people answer share (0: none such; -1 when they differ). */
static long shared_threshold(const hist_state *polls) {
    long t = 0;
    size_t i = 0;
    int number = 0;
    export_poll sp;
    while (export__poll_next(polls, NULL, &i, &number, &sp)) {
        if (!sp.orgs) {
            if (t == 0) t = sp.threshold;
            else if (t != (long)sp.threshold) t = -1;
        }
        export__poll_free(&sp);
    }
    return t;
}

/* The threshold note once at the end when the polls people answer share
 * one threshold, else under each of them. */
void export__summary_polls(doc *d, const export_meta *m, const hist_state *polls, const export_words *w) {
    export__section(d, w->polls_h);
    long shared = shared_threshold(polls);
    size_t i = 0;
    int number = 0;
    export_poll sp;
    while (export__poll_next(polls, w, &i, &number, &sp)) {
        summary_poll(d, m, number, &sp, w, shared < 0);
        export__poll_free(&sp);
    }
    if (!number) export__para(d, w->no_polls);
    else if (shared > 0) threshold_note(d, w, (unsigned)shared);
}
