#include "core/export_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- What several sections write ---- */

void export__section(doc *d, const char *title) {
    doc_heading(d, 2);
    doc_words(d, title);
    doc_heading_end(d, 2);
}

void export__numbered_heading(doc *d, int number, const char *title) {
    doc_heading(d, 3);
    doc_wordsf(d, "%d. ", number);
    doc_text(d, title);
    doc_heading_end(d, 3);
}

void export__para(doc *d, const char *words) {
    doc_para(d);
    doc_words(d, words);
    doc_para_end(d);
}

void export__em_para(doc *d, const char *words) {
    doc_para(d);
    doc_em(d);
    doc_words(d, words);
    doc_em_end(d);
    doc_para_end(d);
}

void export__header_row(doc *d, const char *const *words, size_t n) {
    doc_row(d);
    for (size_t i = 0; i < n; i++) {
        doc_cell(d);
        doc_words(d, words[i]);
    }
    doc_row_end(d);
}

void export__statement(doc *d, const char *text, const export_words *w) {
    if (text && text[0]) doc_quote(d, text);
    else export__para(d, w->empty_statement);
}

/* ---- The sections of the summary but the polls, the sign-off and the phases ---- */

/* # Title, then when it was created and last edited, how many took part,
 * when and by whom it was ended, if it is, and when the retention deletes
 * it from the server if nothing is written to it (README, "How long data
 * lives"): the summary is what remains then. */
static void summary_title(doc *d, const export_meta *m, const export_book *bk, const export_words *w) {
    char date[EXPORT_PHRASE_MAX];
    doc_heading(d, 1);
    doc_text(d, m->title);
    doc_heading_end(d, 1);
    doc_para(d);
    export__long_date(date, sizeof date, w, m->zone, m->created);
    doc_wordsf(d, "%s %s", w->created, date);
    if (m->last_edit) {
        export__long_date(date, sizeof date, w, m->zone, m->last_edit);
        doc_wordsf(d, " · %s %s", w->last_activity, date);
    }
    size_t norgs = 0;
    for (size_t i = 0; i < bk->norgs; i++) norgs += bk->orgs[i].people > 0;
    doc_wordsf(d, " · %lld %s · %u %s · %zu %s", (long long)m->rev,
               export__count_word(w, m->rev, w->revision, w->revisions), bk->people,
               export__count_word(w, bk->people, w->person, w->people), norgs,
               export__count_word(w, (int64_t)norgs, w->organisation, w->organisations));
    if (bk->observers)
        doc_wordsf(d, " · %u %s", bk->observers, export__count_word(w, bk->observers, w->observer, w->observers));
    doc_para_end(d);
    if (bk->ended >= 0) {
        const export_moment *end = &bk->moments[bk->ended];
        doc_para(d);
        export__long_date(date, sizeof date, w, m->zone, end->t);
        doc_wordsf(d, "%s %s%s", w->ended_on, date, w->by);
        doc_text(d, end->subject ? end->subject : "");
        doc_words(d, ".");
        doc_para_end(d);
    }
    if (!m->deletes_at) return;
    doc_para(d);
    export__long_date(date, sizeof date, w, m->zone, m->deletes_at);
    doc_wordsf(d, "%s %s.", w->deletes_on, date);
    doc_para_end(d);
}

static int by_name(const void *a, const void *b) {
    return strcmp((*(const export_org *const *)a)->name, (*(const export_org *const *)b)->name);
}

static void summary_organisations(doc *d, const export_book *bk, const export_words *w) {
    export__section(d, w->org_h);
    doc_table(d);
    const char *head[] = {w->org_col, w->people_h};
    export__header_row(d, head, sizeof head / sizeof *head);
    /* By name (byte order): the summary does not tell who came first. */
    const export_org *sorted[bk->norgs ? bk->norgs : 1];
    for (size_t i = 0; i < bk->norgs; i++) sorted[i] = &bk->orgs[i];
    if (bk->norgs > 1) qsort(sorted, bk->norgs, sizeof *sorted, by_name);
    for (size_t i = 0; i < bk->norgs; i++) {
        if (!sorted[i]->people) continue; /* only seen arriving: its participant record is gone */
        doc_row(d);
        doc_cell(d);
        doc_text(d, sorted[i]->name);
        doc_cell(d);
        doc_wordsf(d, "%u", sorted[i]->people);
        doc_row_end(d);
    }
    doc_table_end(d);
}

/* Observers last; the others by organisation, then name (byte order). */
static int by_org_then_name(const void *a, const void *b) {
    const export_person *x = *(const export_person *const *)a, *y = *(const export_person *const *)b;
    bool xo = x->role == WK_OBSERVER, yo = y->role == WK_OBSERVER;
    if (xo != yo) return xo ? 1 : -1;
    int c = xo ? 0 : strcmp(x->org, y->org);
    return c ? c : strcmp(x->name, y->name);
}

/* ", Jean (représentant·e)": one name in a list item, its role marked. */
static void person_name(doc *d, const export_person *p, bool first, const export_words *w) {
    if (!first) doc_words(d, ", ");
    doc_text(d, p->name);
    const char *mark = p->role == WK_OBSERVER ? NULL : w->role_mark[p->role];
    if (mark) doc_wordsf(d, " (%s)", mark);
}

/* "- Banque : Jean (représentant·e), Marc", one item per organisation, then
 * "- Observateur·rices (2) : Zoé (Fondation), Paul": observers apart, each
 * with the organisation they named, if any. */
static void summary_people(doc *d, const export_book *bk, const export_words *w) {
    if (!bk->npersons) return;
    export__section(d, w->people_h);
    const export_person *sorted[bk->npersons];
    for (size_t i = 0; i < bk->npersons; i++) sorted[i] = &bk->persons[i];
    if (bk->npersons > 1) qsort(sorted, bk->npersons, sizeof *sorted, by_org_then_name);
    doc_list(d);
    for (size_t i = 0; i < bk->npersons; i++) {
        const export_person *p = sorted[i];
        bool group_starts = i == 0 || (p->role == WK_OBSERVER) != (sorted[i - 1]->role == WK_OBSERVER) ||
                            (p->role != WK_OBSERVER && strcmp(p->org, sorted[i - 1]->org) != 0);
        if (group_starts && i) doc_item_end(d);
        if (group_starts && p->role == WK_OBSERVER) {
            doc_item(d);
            doc_wordsf(d, "%s (%u)%s", w->observers_h, bk->observers, w->colon);
        } else if (group_starts) {
            doc_item(d);
            doc_text(d, p->org);
            doc_words(d, w->colon);
        }
        person_name(d, p, group_starts, w);
        if (p->role == WK_OBSERVER && p->org[0]) {
            doc_words(d, " (");
            doc_text(d, p->org);
            doc_words(d, ")");
        }
    }
    doc_item_end(d);
    doc_list_end(d);
}

/* "- 28/11/2026 14:05 — Sondage ouvert : « Question »" */
static void summary_moment(doc *d, const export_meta *m, const export_moment *mo, const export_words *w) {
    char when[EXPORT_PHRASE_MAX];
    export__short_date(when, sizeof when, w, m->zone, mo->t);
    doc_item(d);
    doc_wordsf(d, "%s — %s", when, w->moment_lead[mo->kind]);
    const char *subject = export__moment_subject(mo, w);
    if (subject) {
        bool question = mo->kind >= EXPORT_POLL_OPENED && mo->kind <= EXPORT_RESULTS_REVEALED;
        if (question) doc_words(d, w->quote_open);
        doc_text(d, subject);
        if (question) doc_words(d, w->quote_close);
    }
    doc_item_end(d);
}

static void summary_timeline(doc *d, const export_meta *m, const export_book *bk, const export_words *w) {
    char heading[EXPORT_PHRASE_MAX];
    export__zoned_header(heading, sizeof heading, w->timeline_h, m->zone);
    export__section(d, heading);
    doc_list(d);
    for (size_t i = 0; i < bk->nmoments; i++) summary_moment(d, m, &bk->moments[i], w);
    if (m->last_edit) {
        char when[EXPORT_PHRASE_MAX];
        export__short_date(when, sizeof when, w, m->zone, m->last_edit);
        doc_item(d);
        doc_wordsf(d, "%s — %s (%lld %s)", when, w->last_edit_lead, (long long)m->rev,
                   export__count_word(w, m->rev, w->revision, w->revisions));
        doc_item_end(d);
    }
    doc_list_end(d);
}

/* ---- The summary ---- */

static void summary(sbuf *out, doc_format format, const export_meta *m, const export_book *bk,
                    const hist_state *polls, export_lang lang, const char *style_nonce) {
    const export_words *w = export__words(lang);
    doc d;
    doc_begin(&d, out, format, w->french, m->title, style_nonce ? style_nonce : "");
    summary_title(&d, m, bk, w);
    summary_organisations(&d, bk, w);
    summary_people(&d, bk, w);
    export__section(&d, w->statement_h);
    export__statement(&d, m->text, w);
    export__signoff_summary(&d, m, bk, &polls->signoff, w);
    if (!m->participants || board_open(&polls->board.settings)) /* else an observer never saw the others' lists */
        export__board_summary(&d, &polls->board, w);
    export__summary_polls(&d, m, polls, w);
    export__discuss_summary(&d, m, polls, w);
    export__phases_summary(&d, m, bk, &polls->signoff, w);
    summary_timeline(&d, m, bk, w);
    doc_end(&d);
}

void export_markdown(sbuf *out, const export_meta *m, const export_book *bk, const hist_state *polls,
                     export_lang lang) {
    summary(out, DOC_MARKDOWN, m, bk, polls, lang, NULL);
}

void export_html(sbuf *out, const export_meta *m, const export_book *bk, const hist_state *polls, export_lang lang,
                 const char *style_nonce) {
    summary(out, DOC_HTML, m, bk, polls, lang, style_nonce);
}
