#include "core/doc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/typo.h"
#include "core/utf8.h"

/* Room for one formatted phrase of the writer's own words (doc_wordsf). */
#define DOC_PHRASE_MAX 512

/* The page's only style: readable on a screen, clean on paper (A4 or
 * Letter, from the browser's "Print" or "Save as PDF"). */
static const char STYLE[] =
    ":root{color-scheme:light}"
    "body{font:11pt/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,Helvetica,Arial,sans-serif;color:#1a1a1a;"
    "background:#fff;max-width:48rem;margin:2rem auto;padding:0 1rem}"
    "h1{font-size:1.6em;margin:0 0 .6em}"
    "h2{font-size:1.25em;margin:1.6em 0 .5em;padding-bottom:.2em;border-bottom:1px solid #bbb}"
    "h3{font-size:1.05em;margin:1.3em 0 .4em}"
    "table{border-collapse:collapse;margin:.5em 0 1em}"
    "th,td{border:1px solid #bbb;padding:.25em .6em;vertical-align:top;text-align:left}"
    "th{background:#eee}"
    "th+th,td+td{text-align:right;font-variant-numeric:tabular-nums}"
    "blockquote{margin:0 0 1em;padding:.6em 1em;border-left:4px solid #777;background:#f5f5f5;white-space:pre-wrap}"
    "ul{padding-left:1.2em}"
    "@page{margin:18mm}"
    "@media print{body{margin:0;max-width:none;font-size:10pt}th{background:none}"
    "h2,h3{break-after:avoid}table,blockquote,li{break-inside:avoid}}";

/* ---- Escaping ---- */

/* Control characters in what people typed (ESC, BEL, BS, C1…) are dropped:
 * they mean nothing in a document and would drive a terminal showing it. A
 * line break is kept (or made a space on one line), a tab is a space. Returns
 * the bytes to skip at s[i] (0: write it), *out the character to write
 * instead (0: none). */
static size_t control(const char *s, size_t len, size_t i, bool one_line, char *out) {
    size_t n = utf8_control_at(s, len, i);
    *out = !n ? 0 : s[i] == '\n' ? (one_line ? ' ' : '\n') : s[i] == '\t' ? ' ' : 0;
    return n;
}

/* Markdown, as text: characters Markdown would read as syntax get a
 * backslash. one_line: line breaks become spaces (headings, cells, items). */
static void md_escape(sbuf *b, const char *s, size_t len, bool one_line) {
    for (size_t i = 0; i < len; i++) {
        char c = s[i], instead;
        size_t n = control(s, len, i, one_line, &instead);
        if (n) {
            if (instead) sbuf_putc(b, instead);
            i += n - 1;
            continue;
        }
        bool line_start = i == 0 || s[i - 1] == '\n';
        if (strchr("\\`*_[]{}<>#|!~", c) || ((c == '-' || c == '+') && line_start)) sbuf_putc(b, '\\');
        sbuf_putc(b, c);
    }
}

/* HTML text and attribute values alike. */
static void html_escape(sbuf *b, const char *s, size_t len, bool one_line) {
    for (size_t i = 0; i < len; i++) {
        char instead;
        size_t n = control(s, len, i, one_line, &instead);
        if (n) {
            if (instead) sbuf_putc(b, instead);
            i += n - 1;
            continue;
        }
        switch (s[i]) {
        case '&': sbuf_puts(b, "&amp;"); break;
        case '<': sbuf_puts(b, "&lt;"); break;
        case '>': sbuf_puts(b, "&gt;"); break;
        case '"': sbuf_puts(b, "&quot;"); break;
        case '\'': sbuf_puts(b, "&#39;"); break;
        default: sbuf_putc(b, s[i]);
        }
    }
}

static void escape(doc *d, const char *s, size_t len, bool one_line) {
    if (d->format == DOC_HTML) html_escape(d->out, s, len, one_line);
    else md_escape(d->out, s, len, one_line);
}

/* ---- The document ---- */

void doc_begin(doc *d, sbuf *out, doc_format format, bool french, const char *title, const char *style_nonce) {
    memset(d, 0, sizeof *d);
    d->out = out;
    d->format = format;
    d->french = french;
    sbuf_init(&d->words, 0);
    if (format != DOC_HTML) return;
    sbuf_printf(out, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n", french ? "fr" : "en");
    sbuf_puts(out, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    html_escape(out, title, strlen(title), true);
    sbuf_puts(out, "</title>\n<style nonce=\"");
    html_escape(out, style_nonce, strlen(style_nonce), true);
    sbuf_puts(out, "\">");
    sbuf_puts(out, STYLE);
    sbuf_puts(out, "</style>\n</head>\n<body>\n<main>\n");
}

void doc_end(doc *d) {
    if (d->format == DOC_HTML) sbuf_puts(d->out, "</main>\n</body>\n</html>\n");
    if (!sbuf_ok(&d->words)) d->out->oom = true;
    sbuf_free(&d->words);
}

void doc_heading(doc *d, int level) {
    if (level < 1) level = 1;
    if (level > 3) level = 3;
    if (d->format == DOC_HTML) sbuf_printf(d->out, "<h%d>", level);
    else sbuf_printf(d->out, "%.*s ", level, "###");
}

void doc_heading_end(doc *d, int level) {
    if (level < 1) level = 1;
    if (level > 3) level = 3;
    if (d->format == DOC_HTML) sbuf_printf(d->out, "</h%d>\n", level);
    else sbuf_puts(d->out, "\n\n");
}

void doc_para(doc *d) {
    if (d->format == DOC_HTML) sbuf_puts(d->out, "<p>");
}

void doc_para_end(doc *d) { sbuf_puts(d->out, d->format == DOC_HTML ? "</p>\n" : "\n\n"); }

void doc_em(doc *d) { sbuf_puts(d->out, d->format == DOC_HTML ? "<em>" : "*"); }

void doc_em_end(doc *d) { sbuf_puts(d->out, d->format == DOC_HTML ? "</em>" : "*"); }

void doc_text(doc *d, const char *s) { escape(d, s, strlen(s), true); }

void doc_words(doc *d, const char *s) {
    if (!d->french) {
        escape(d, s, strlen(s), true);
        return;
    }
    sbuf_reset(&d->words);
    typo_frz(&d->words, s);
    if (d->words.len) escape(d, sbuf_data(&d->words), d->words.len, true);
}

void doc_wordsf(doc *d, const char *fmt, ...) {
    char phrase[DOC_PHRASE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(phrase, sizeof phrase, fmt, ap);
    va_end(ap);
    doc_words(d, phrase);
}

/* ---- Tables ---- */

void doc_table(doc *d) {
    d->row = 0;
    d->columns = 0;
    if (d->format == DOC_HTML) sbuf_puts(d->out, "<table>\n");
}

void doc_row(doc *d) {
    d->cell = 0;
    if (d->format != DOC_HTML) return;
    if (d->row == 0) sbuf_puts(d->out, "<thead>");
    else if (d->row == 1) sbuf_puts(d->out, "<tbody>");
    sbuf_puts(d->out, "<tr>");
}

static void close_cell(doc *d) {
    if (d->format == DOC_HTML && d->cell > 0) sbuf_puts(d->out, d->row == 0 ? "</th>" : "</td>");
}

void doc_cell(doc *d) {
    close_cell(d);
    if (d->format == DOC_HTML) sbuf_puts(d->out, d->row == 0 ? "<th>" : "<td>");
    else sbuf_puts(d->out, d->cell == 0 ? "| " : " | ");
    d->cell++;
}

void doc_row_end(doc *d) {
    close_cell(d);
    if (d->format == DOC_HTML) {
        sbuf_puts(d->out, d->row == 0 ? "</tr></thead>\n" : "</tr>\n");
    } else {
        sbuf_puts(d->out, d->cell ? " |\n" : "\n");
        if (d->row == 0) { /* the header's rule: text on the left, figures on the right */
            sbuf_puts(d->out, "|---|");
            for (int i = 1; i < d->cell; i++) sbuf_puts(d->out, "---:|");
            sbuf_putc(d->out, '\n');
        }
    }
    if (d->row == 0) d->columns = d->cell;
    d->row++;
}

void doc_table_end(doc *d) {
    if (d->format == DOC_HTML) sbuf_puts(d->out, d->row > 1 ? "</tbody></table>\n" : "</table>\n");
    else sbuf_putc(d->out, '\n');
    d->row = 0;
}

/* ---- Lists ---- */

void doc_list(doc *d) {
    if (d->format == DOC_HTML) sbuf_puts(d->out, "<ul>\n");
}

void doc_item(doc *d) { sbuf_puts(d->out, d->format == DOC_HTML ? "<li>" : "- "); }

void doc_item_end(doc *d) { sbuf_puts(d->out, d->format == DOC_HTML ? "</li>\n" : "\n"); }

void doc_list_end(doc *d) {
    if (d->format == DOC_HTML) sbuf_puts(d->out, "</ul>\n");
    else sbuf_putc(d->out, '\n'); /* a blank line: what follows is not part of the last item */
}

/* ---- The statement ---- */

/* Markdown: each line its own quoted line, ended by a hard break when the
 * next line goes on the paragraph, so the line breaks survive. */
static void md_quote(sbuf *out, const char *text) {
    for (const char *line = text; *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        sbuf_puts(out, len ? "> " : ">");
        md_escape(out, line, len, false);
        sbuf_puts(out, nl && nl[1] && nl[1] != '\n' && len ? "  \n" : "\n");
        line = nl ? nl + 1 : line + len;
    }
    sbuf_putc(out, '\n');
}

void doc_quote(doc *d, const char *text) {
    if (d->format != DOC_HTML) {
        md_quote(d->out, text);
        return;
    }
    sbuf_puts(d->out, "<blockquote>");
    html_escape(d->out, text, strlen(text), false); /* the style sheet keeps its line breaks */
    sbuf_puts(d->out, "</blockquote>\n");
}
