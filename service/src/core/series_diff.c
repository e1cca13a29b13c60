#include "core/series_diff.h"

#include <stdlib.h>
#include <string.h>

#include "core/doc.h"
#include "core/vec.h"

/* ---- Tokens ---- */

typedef struct token {
    size_t off, len;
} token;

static bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

/* The tokens of s[0..len): runs of white space and runs of the rest. NULL when out of memory. */
static token *tokenize(const char *s, size_t len, size_t *n) {
    token *v = NULL;
    size_t cap = 0;
    *n = 0;
    for (size_t i = 0; i < len;) {
        size_t j = i + 1;
        while (j < len && is_space(s[j]) == is_space(s[i])) j++;
        if (!vec_reserve((void **)&v, &cap, *n, sizeof *v)) {
            free(v);
            return NULL;
        }
        v[(*n)++] = (token){i, j - i};
        i = j;
    }
    if (!v) v = malloc(sizeof *v); /* none: an empty list, not a failure */
    return v;
}

static bool same_token(const char *a, token x, const char *b, token y) {
    return x.len == y.len && memcmp(a + x.off, b + y.off, x.len) == 0;
}

/* ---- Pieces ---- */

static void add_piece(series_diff *d, series_kind kind, size_t off, size_t len) {
    if (len == 0 || d->oom) return;
    if (d->n && d->v[d->n - 1].kind == kind && d->v[d->n - 1].off + d->v[d->n - 1].len == off) {
        d->v[d->n - 1].len += len;
        return;
    }
    /* del after ins (both between the same two kept pieces): the removal reads first */
    if (kind == SERIES_DEL && d->n && d->v[d->n - 1].kind == SERIES_INS) {
        series_piece ins = d->v[d->n - 1];
        d->n--;
        add_piece(d, SERIES_DEL, off, len);
        add_piece(d, SERIES_INS, ins.off, ins.len);
        return;
    }
    if (!vec_reserve((void **)&d->v, &d->cap, d->n, sizeof *d->v)) {
        d->oom = true;
        return;
    }
    d->v[d->n++] = (series_piece){kind, off, len};
}

/* The middle (tokens ta[0..na), tb[0..nb)) by the longest common subsequence. */
static void diff_middle(series_diff *d, const char *a, const token *ta, size_t na, const char *b, const token *tb,
                        size_t nb, size_t a_end, size_t b_end) {
    uint16_t *l = (na && nb && na * nb <= SERIES_DIFF_CELLS && na < 65535 && nb < 65535)
                      ? calloc((na + 1) * (nb + 1), sizeof *l)
                      : NULL;
    if (!l) { /* too much to compare (or nothing on one side): one removal, one insertion */
        if (na) add_piece(d, SERIES_DEL, ta[0].off, a_end - ta[0].off);
        if (nb) add_piece(d, SERIES_INS, tb[0].off, b_end - tb[0].off);
        return;
    }
#define L(i, j) l[(size_t)(i) * (nb + 1) + (j)]
    for (size_t i = na; i-- > 0;)
        for (size_t j = nb; j-- > 0;)
            L(i, j) = same_token(a, ta[i], b, tb[j]) ? (uint16_t)(L(i + 1, j + 1) + 1)
                      : L(i + 1, j) >= L(i, j + 1) ? L(i + 1, j)
                                                   : L(i, j + 1);
    size_t i = 0, j = 0;
    while (i < na || j < nb) {
        if (i < na && j < nb && same_token(a, ta[i], b, tb[j])) {
            add_piece(d, SERIES_SAME, ta[i].off, ta[i].len);
            i++, j++;
        } else if (i < na && (j == nb || L(i + 1, j) >= L(i, j + 1))) {
            add_piece(d, SERIES_DEL, ta[i].off, ta[i].len);
            i++;
        } else {
            add_piece(d, SERIES_INS, tb[j].off, tb[j].len);
            j++;
        }
    }
#undef L
    free(l);
}

bool series_diff_make(series_diff *d, const char *a, size_t alen, const char *b, size_t blen) {
    memset(d, 0, sizeof *d);
    size_t na, nb;
    token *ta = tokenize(a, alen, &na), *tb = tokenize(b, blen, &nb);
    if (!ta || !tb) {
        free(ta);
        free(tb);
        d->oom = true;
        return false;
    }
    size_t head = 0, tail = 0;
    while (head < na && head < nb && same_token(a, ta[head], b, tb[head])) head++;
    while (tail < na - head && tail < nb - head && same_token(a, ta[na - 1 - tail], b, tb[nb - 1 - tail])) tail++;
    if (head) add_piece(d, SERIES_SAME, 0, ta[head - 1].off + ta[head - 1].len);
    size_t a_end = tail ? ta[na - tail].off : alen, b_end = tail ? tb[nb - tail].off : blen;
    diff_middle(d, a, ta + head, na - head - tail, b, tb + head, nb - head - tail, a_end, b_end);
    if (tail) add_piece(d, SERIES_SAME, ta[na - tail].off, alen - ta[na - tail].off);
    free(ta);
    free(tb);
    return !d->oom;
}

void series_diff_free(series_diff *d) {
    free(d->v);
    memset(d, 0, sizeof *d);
}

static const char *kind_name(series_kind k) { return k == SERIES_INS ? "ins" : k == SERIES_DEL ? "del" : "same"; }

void series_diff_write_json(sbuf *out, const series_diff *d, const char *a, const char *b) {
    sbuf_putc(out, '[');
    for (size_t i = 0; i < d->n; i++) {
        const series_piece *p = &d->v[i];
        if (i) sbuf_putc(out, ',');
        sbuf_puts(out, "{\"kind\":\"");
        sbuf_puts(out, kind_name(p->kind));
        sbuf_puts(out, "\",\"text\":");
        sbuf_put_jstr(out, (p->kind == SERIES_INS ? b : a) + p->off, p->len);
        sbuf_putc(out, '}');
    }
    sbuf_putc(out, ']');
}

/* ---- Markdown ---- */

void series_demote_headings(sbuf *out, const char *md, size_t len) {
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(md + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - md) + 1 : len;
        if (md[i] == '#') sbuf_puts(out, "##");
        sbuf_put(out, md + i, end - i);
        i = end;
    }
}

typedef struct series_words {
    const char *partnership, *workshops, *ended, *open, *changes, *by_org, *org_line, *added, *removed, *unchanged,
        *no_org, *word_by_word;
} series_words;

static const series_words FR = {"Partenariat : ",
                                "%zu ateliers, dans l'ordre où ils se sont suivis.",
                                "terminé",
                                "en cours",
                                "Ce qui a changé dans l'énoncé",
                                "Par organisation (caractères insérés et supprimés) :",
                                " : %lld insérés, %lld supprimés",
                                "Ajouté : ",
                                "Retiré : ",
                                "L'énoncé n'a pas changé pendant cet atelier.",
                                "Personne n'a modifié l'énoncé.",
                                "Mot à mot :"};
static const series_words EN = {"Partnership: ",
                                "%zu workshops, in the order they followed one another.",
                                "ended",
                                "under way",
                                "What changed in the statement",
                                "By organisation (characters inserted and deleted):",
                                ": %lld inserted, %lld deleted",
                                "Added: ",
                                "Removed: ",
                                "The statement did not change during this workshop.",
                                "Nobody edited the statement.",
                                "Word by word:"};

/* What a piece says, on one line: its text with its line breaks as spaces (doc_text does it), quoted. */
static void write_piece(doc *dc, const series_words *w, const series_piece *p, const char *a, const char *b,
                        bool french) {
    size_t len = p->len;
    char *s = malloc(len + 1);
    if (!s) return;
    memcpy(s, (p->kind == SERIES_INS ? b : a) + p->off, len);
    s[len] = '\0';
    doc_item(dc);
    doc_words(dc, p->kind == SERIES_INS ? w->added : w->removed);
    doc_words(dc, french ? "« " : "“");
    doc_text(dc, s);
    doc_words(dc, french ? " »" : "”");
    doc_item_end(dc);
    free(s);
}

static void write_changes(doc *dc, const series_words *w, const series_member *m, bool french) {
    doc_heading(dc, 3);
    doc_words(dc, w->changes);
    doc_heading_end(dc, 3);
    doc_para(dc);
    doc_words(dc, m->orgs && m->orgs->n ? w->by_org : w->no_org);
    doc_para_end(dc);
    if (m->orgs && m->orgs->n) {
        doc_list(dc);
        for (size_t i = 0; i < m->orgs->n; i++) {
            doc_item(dc);
            doc_text(dc, m->orgs->v[i].org);
            doc_wordsf(dc, w->org_line, (long long)m->orgs->v[i].inserted, (long long)m->orgs->v[i].deleted);
            doc_item_end(dc);
        }
        doc_list_end(dc);
    }
    series_diff d;
    series_diff_make(&d, m->start, m->start_len, m->text, m->text_len);
    bool changed = false;
    for (size_t i = 0; i < d.n; i++) changed |= d.v[i].kind != SERIES_SAME;
    if (!changed) {
        doc_para(dc);
        doc_words(dc, w->unchanged);
        doc_para_end(dc);
    } else {
        doc_para(dc); /* a paragraph between the two lists: Markdown would make them one */
        doc_words(dc, w->word_by_word);
        doc_para_end(dc);
        doc_list(dc);
        for (size_t i = 0; i < d.n; i++)
            if (d.v[i].kind != SERIES_SAME) write_piece(dc, w, &d.v[i], m->start, m->text, french);
        doc_list_end(dc);
    }
    series_diff_free(&d);
}

void series_export_markdown(sbuf *out, const series_export *s, export_lang lang) {
    const bool french = lang == EXPORT_FR;
    const series_words *w = french ? &FR : &EN;
    doc dc;
    doc_begin(&dc, out, DOC_MARKDOWN, french, s->title, NULL);
    doc_heading(&dc, 1);
    doc_words(&dc, w->partnership);
    doc_text(&dc, s->title);
    doc_heading_end(&dc, 1);
    doc_para(&dc);
    doc_wordsf(&dc, w->workshops, s->n);
    doc_para_end(&dc);
    for (size_t i = 0; i < s->n; i++) {
        const series_member *m = &s->members[i];
        doc_heading(&dc, 2);
        doc_wordsf(&dc, "%zu. ", i + 1);
        doc_text(&dc, m->title);
        doc_wordsf(&dc, " (%s)", m->ended ? w->ended : w->open);
        doc_heading_end(&dc, 2);
        if (m->summary) series_demote_headings(out, m->summary, m->summary_len);
        sbuf_putc(out, '\n');
        write_changes(&dc, w, m, french);
    }
    doc_end(&dc);
}

/* ---- JSON ---- */

void series_export_json(sbuf *out, const series_export *s) {
    sbuf_puts(out, "{\"partnership\":{\"id\":");
    sbuf_put_jstrz(out, s->id);
    sbuf_puts(out, ",\"title\":");
    sbuf_put_jstrz(out, s->title);
    sbuf_puts(out, ",\"created\":");
    sbuf_put_i64(out, s->created);
    sbuf_puts(out, "},\"workshops\":[");
    for (size_t i = 0; i < s->n; i++) {
        const series_member *m = &s->members[i];
        if (i) sbuf_putc(out, ',');
        sbuf_puts(out, "{\"id\":");
        sbuf_put_jstrz(out, m->id);
        sbuf_puts(out, ",\"title\":");
        sbuf_put_jstrz(out, m->title);
        sbuf_puts(out, ",\"created\":");
        sbuf_put_i64(out, m->created);
        sbuf_puts(out, m->ended ? ",\"state\":\"ended\"" : ",\"state\":\"open\"");
        sbuf_puts(out, ",\"organisations\":");
        if (m->orgs) series_orgs_write_json(out, m->orgs);
        else sbuf_puts(out, "[]");
        series_diff d;
        series_diff_make(&d, m->start, m->start_len, m->text, m->text_len);
        sbuf_puts(out, ",\"changes\":");
        series_diff_write_json(out, &d, m->start, m->text);
        series_diff_free(&d);
        sbuf_puts(out, ",\"export\":");
        if (m->summary && m->summary_len) sbuf_put(out, m->summary, m->summary_len);
        else sbuf_puts(out, "null");
        sbuf_putc(out, '}');
    }
    sbuf_puts(out, "]}");
}
