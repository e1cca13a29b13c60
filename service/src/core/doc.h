/* doc.h -- a document written once and rendered as Markdown or as a
 * printable HTML page: headings, paragraphs, tables, lists and a block of
 * quoted lines. The summary export (core/export.h) writes its content through
 * this, so both formats say the same thing.
 *
 * Every text is escaped for the format: what people typed is written as
 * typed (doc_text), the writer's own words (doc_words) in French typography
 * when the document is French (core/typo.h). The HTML page has no script and
 * no external resource: one inline style sheet (for the screen and for
 * print), marked with the nonce its Content-Security-Policy allows.
 *
 * Pure. Tables: the first row is the header; the first column is text, the
 * others are figures (aligned right). */
#ifndef ATELIER_DOC_H
#define ATELIER_DOC_H

#include <stdbool.h>

#include "core/sbuf.h"

typedef enum { DOC_MARKDOWN, DOC_HTML } doc_format;

typedef struct doc {
    sbuf *out;
    doc_format format;
    bool french;
    int row;                  /* rows of the current table so far (0: none yet) */
    int cell;                 /* cells of the current row so far */
    int columns;              /* cells of the header row */
    bool in_em;
    sbuf words;               /* a French phrase in typography, before it is escaped */
} doc;

/* Start a document in out. HTML: the page's head (lang, title, the style
 * sheet with style_nonce); Markdown: nothing. */
void doc_begin(doc *d, sbuf *out, doc_format format, bool french, const char *title, const char *style_nonce);
/* End it (HTML: close the page) and free what the writer held. */
void doc_end(doc *d);

void doc_heading(doc *d, int level);   /* 1..3 */
void doc_heading_end(doc *d, int level);
void doc_para(doc *d);
void doc_para_end(doc *d);
/* Emphasis within a paragraph or a cell. */
void doc_em(doc *d);
void doc_em_end(doc *d);

/* Text people typed, escaped, on one line (line breaks become spaces). */
void doc_text(doc *d, const char *s);
/* The writer's own words; in French, in French typography. */
void doc_words(doc *d, const char *s);
void doc_wordsf(doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void doc_table(doc *d);
void doc_row(doc *d);
void doc_cell(doc *d);
void doc_row_end(doc *d);
void doc_table_end(doc *d);

void doc_list(doc *d);
void doc_item(doc *d);
void doc_item_end(doc *d);
void doc_list_end(doc *d);

/* A block of text people typed, its line breaks kept (the statement). */
void doc_quote(doc *d, const char *text);

#endif
