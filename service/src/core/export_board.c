/* The priorities board in the exports (protocol/board.md, "In the record"):
 * each organisation's list, then the groups in three parts, common to all,
 * shared by some, unique to one (core/board_match.h classifies them). The
 * facilitator's view: every item. What people typed is quoted as typed. */
#include "core/export_internal.h"

#include <stdio.h>
#include <string.h>

/* The organisations of b in order of their first item: indexes of those items. */
static size_t org_firsts(const board *b, size_t *out) {
    size_t n = 0;
    for (size_t i = 0; i < b->nitems; i++) {
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++) seen = strcmp(b->items[out[k]].org, b->items[i].org) == 0;
        if (!seen) out[n++] = i;
    }
    return n;
}

/* "Priorité : Accès aux droits — Le non-recours" */
static void summary_item(doc *d, const board_item *it, const export_words *w) {
    doc_item(d);
    doc_words(d, w->board.kinds[it->kind]);
    doc_words(d, w->colon);
    doc_text(d, it->title);
    if (it->why[0]) {
        doc_words(d, " — ");
        doc_text(d, it->why);
    }
    doc_item_end(d);
}

/* "Accès aux droits (Ville) · l'accès au droit (Banque) — toutes les organisations" */
static void summary_cluster(doc *d, const board *b, const board_cluster *c, const export_words *w) {
    doc_item(d);
    bool first = true;
    for (size_t i = c->first; i < b->nitems; i++) {
        if (!board_in_cluster(b, c, i)) continue;
        if (!first) doc_words(d, " · ");
        first = false;
        doc_text(d, b->items[i].title);
        doc_words(d, " (");
        doc_text(d, b->items[i].org);
        doc_words(d, ")");
    }
    if (c->cls == BOARD_COMMON) doc_wordsf(d, " — %s", w->board.all_orgs);
    doc_item_end(d);
}

void export__board_summary(doc *d, const board *b, const export_words *w) {
    if (!b->nitems) return;
    const board_viewer all = {.all = true};
    size_t firsts[BOARD_ITEMS_MAX], norgs = org_firsts(b, firsts);
    static board_cluster clusters[BOARD_ITEMS_MAX]; /* one thread; too big for the stack */
    size_t n = board_clusters(b, &all, clusters);
    export__section(d, w->board.heading);
    doc_heading(d, 3);
    doc_words(d, w->board.by_org_h);
    doc_heading_end(d, 3);
    for (size_t k = 0; k < norgs; k++) {
        const char *org = b->items[firsts[k]].org;
        doc_para(d);
        doc_text(d, org);
        doc_para_end(d);
        doc_list(d);
        for (size_t i = firsts[k]; i < b->nitems; i++)
            if (strcmp(b->items[i].org, org) == 0) summary_item(d, &b->items[i], w);
        doc_list_end(d);
    }
    for (int cls = BOARD_COMMON; cls <= BOARD_UNIQUE; cls++) {
        doc_heading(d, 3);
        doc_words(d, w->board.columns[cls]);
        doc_heading_end(d, 3);
        size_t shown = 0;
        for (size_t c = 0; c < n; c++) shown += clusters[c].cls == (board_class)cls;
        if (!shown) {
            export__para(d, w->board.none);
            continue;
        }
        doc_list(d);
        for (size_t c = 0; c < n; c++)
            if (clusters[c].cls == (board_class)cls) summary_cluster(d, b, &clusters[c], w);
        doc_list_end(d);
    }
}

/* One row per item, by organisation: its kind, title, why, the column of its
 * group (or of itself alone) and its group's number (empty when in none). */
void export__board_csv(csv *c, const board *b, const export_words *w) {
    if (!b->nitems) return;
    const board_viewer all = {.all = true};
    size_t firsts[BOARD_ITEMS_MAX], norgs = org_firsts(b, firsts);
    static board_cluster clusters[BOARD_ITEMS_MAX];
    size_t n = board_clusters(b, &all, clusters);
    const char *names[] = {w->phase.org, w->board.csv_kind, w->board.csv_title, w->board.csv_why, w->board.csv_column,
                           w->board.csv_group};
    export__csv_table(c, names, sizeof names / sizeof *names);
    for (size_t k = 0; k < norgs; k++) {
        const char *org = b->items[firsts[k]].org;
        for (size_t i = firsts[k]; i < b->nitems; i++) {
            const board_item *it = &b->items[i];
            if (strcmp(it->org, org) != 0) continue;
            size_t cl = 0, group = 0;
            while (cl < n && !board_in_cluster(b, &clusters[cl], i)) cl++;
            for (size_t g = 0; g <= cl && g < n; g++) group += clusters[g].nitems > 1; /* groups are numbered in order */
            csv_text(c, it->org);
            csv_text(c, w->board.kinds[it->kind]);
            csv_text(c, it->title);
            csv_text(c, it->why);
            csv_text(c, cl < n ? w->board.columns[clusters[cl].cls] : "");
            if (cl < n && clusters[cl].nitems > 1) csv_int(c, (int64_t)group);
            else csv_empty(c);
            csv_end_row(c);
        }
    }
}
