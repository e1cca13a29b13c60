/* export_discuss.c -- what issue 16 adds to the exports (protocol/polls.md):
 * a poll's passage (quoted, and what it was at the first vote when it
 * changed since), the "to discuss" list in the summary and the CSV, and the
 * passages' table of the CSV. They read the final state: the poll objects
 * and the list as the history folded them. */
#include <stdio.h>
#include <string.h>

#include "core/export_internal.h"

void export__passage_summary(doc *d, const export_poll *sp, const export_words *w) {
    const cJSON *ps = export__item(sp->poll, "passage");
    if (!cJSON_IsObject(ps)) return;
    if (cJSON_IsTrue(export__item(ps, "gone"))) {
        export__em_para(d, w->discuss.passage_gone);
    } else {
        export__para(d, w->discuss.passage);
        const char *text = export__string(ps, "text");
        doc_quote(d, text ? text : "");
    }
    const char *first = export__string(ps, "first");
    if (cJSON_IsTrue(export__item(ps, "changed")) && first) {
        export__para(d, w->discuss.passage_changed);
        export__para(d, w->discuss.passage_first);
        doc_quote(d, first);
    }
}

/* The question of the poll with id in w's language when it was given in it
 * (a ready-made question, protocol/polls.md) and still reads typed as the
 * item quotes it, else NULL. Into out, which the caller frees. */
static const char *question_in(const hist_state *s, const char *id, const char *typed, const export_words *w,
                               cJSON **out) {
    for (size_t i = 0; id && typed && i < s->npolls; i++) {
        if (strcmp(s->polls[i].id, id) != 0) continue;
        *out = cJSON_Parse(s->polls[i].poll);
        const char *as_typed = export__string(*out, "question");
        return as_typed && strcmp(as_typed, typed) == 0 ? export__question_in(*out, w->code) : NULL;
    }
    return NULL;
}

/* Each item's question in w's language where its poll was given in it: the
 * list stores the question as typed, like the polls. */
static void localise_questions(cJSON *items, const hist_state *s, const export_words *w) {
    cJSON *it;
    cJSON_ArrayForEach(it, items) {
        cJSON *poll = NULL;
        const char *q = question_in(s, export__string(it, "poll"), export__string(it, "question"), w, &poll);
        cJSON *copy = q ? cJSON_CreateString(q) : NULL;
        if (copy && !cJSON_ReplaceItemInObjectCaseSensitive(it, "question", copy)) cJSON_Delete(copy);
        cJSON_Delete(poll);
    }
}

/* The list's items in the final state, their questions in w's language, or
 * NULL (free with cJSON_Delete). */
static cJSON *items_of(const hist_state *s, const export_words *w) {
    cJSON *items = s->discuss ? cJSON_Parse(s->discuss) : NULL;
    localise_questions(items, s, w);
    return items;
}

void export__discuss_summary(doc *d, const export_meta *m, const hist_state *s, const export_words *w) {
    cJSON *items = items_of(s, w);
    if (cJSON_GetArraySize(items) == 0) {
        cJSON_Delete(items);
        return; /* never used: no section */
    }
    export__section(d, w->discuss.heading);
    doc_list(d);
    const cJSON *it;
    cJSON_ArrayForEach(it, items) {
        const char *q = export__string(it, "question"), *passage = export__string(it, "passage");
        const char *by = export__string(it, "by");
        const cJSON *al = export__item(it, "alignment");
        doc_item(d);
        doc_wordsf(d, "[%s] ", cJSON_IsTrue(export__item(it, "done")) ? w->discuss.done : w->discuss.open);
        doc_text(d, q ? q : "");
        if (passage) {
            doc_words(d, w->quote_open);
            doc_text(d, passage);
            doc_words(d, w->quote_close);
        }
        if (cJSON_IsObject(al)) {
            char div[EXPORT_NUMBER_MAX];
            export__number_text(div, export__number(al, "divergence"), 2, w->decimal);
            doc_wordsf(d, " (%s, %s %s)", export__alignment_words(w, export__string(al, "label")), w->divergence, div);
        }
        char date[EXPORT_PHRASE_MAX], added[EXPORT_PHRASE_MAX * 2];
        export__long_date(date, sizeof date, w, m->zone, (int64_t)export__number(it, "added"));
        snprintf(added, sizeof added, w->discuss.added, by ? by : "", date);
        doc_wordsf(d, " — %s.", added);
        doc_item_end(d);
    }
    doc_list_end(d);
    cJSON_Delete(items);
}

void export__discuss_csv(csv *c, const export_meta *m, const hist_state *s, const export_words *w) {
    cJSON *items = items_of(s, w);
    if (cJSON_GetArraySize(items) == 0) {
        cJSON_Delete(items);
        return;
    }
    char added_h[EXPORT_PHRASE_MAX];
    export__zoned_header(added_h, sizeof added_h, w->discuss.csv_added, m->zone);
    const char *head[] = {w->discuss.csv_item, w->question, w->discuss.csv_passage, w->divergence_h, w->alignment,
                          w->discuss.csv_state, added_h, w->discuss.csv_by};
    export__csv_table(c, head, sizeof head / sizeof *head);
    const cJSON *it;
    cJSON_ArrayForEach(it, items) {
        const char *q = export__string(it, "question"), *passage = export__string(it, "passage");
        const char *by = export__string(it, "by");
        const cJSON *al = export__item(it, "alignment");
        char when[EXPORT_PHRASE_MAX];
        export__short_date(when, sizeof when, w, m->zone, (int64_t)export__number(it, "added"));
        csv_decimal(c, export__number(it, "id"), 0);
        csv_text(c, q ? q : "");
        csv_text(c, passage ? passage : "");
        if (cJSON_IsObject(al)) {
            csv_decimal(c, export__number(al, "divergence"), 2);
            csv_text(c, export__alignment_words(w, export__string(al, "label")));
        } else {
            csv_empty(c);
            csv_empty(c);
        }
        csv_text(c, cJSON_IsTrue(export__item(it, "done")) ? w->discuss.done : w->discuss.open);
        csv_text(c, when);
        csv_text(c, by ? by : "");
        csv_end_row(c);
    }
    cJSON_Delete(items);
}

static bool has_passage(const export_poll *sp) { return cJSON_IsObject(export__item(sp->poll, "passage")); }

void export__passages_csv(csv *c, const hist_state *polls, const export_words *w) {
    if (!export__polls_any(polls, has_passage)) return;
    const char *head[] = {w->number, w->question, w->discuss.csv_passage_now, w->discuss.csv_passage_first,
                          w->discuss.csv_changed};
    export__csv_table(c, head, sizeof head / sizeof *head);
    size_t i = 0;
    int number = 0;
    export_poll sp;
    while (export__poll_next(polls, w, &i, &number, &sp)) {
        const cJSON *ps = export__item(sp.poll, "passage");
        if (cJSON_IsObject(ps)) {
            const char *text = export__string(ps, "text"), *first = export__string(ps, "first");
            csv_int(c, number);
            csv_text(c, sp.question);
            csv_text(c, text ? text : "");
            csv_text(c, first ? first : "");
            csv_text(c, cJSON_IsTrue(export__item(ps, "changed")) ? w->discuss.yes : w->discuss.no);
            csv_end_row(c);
        }
        export__poll_free(&sp);
    }
}
