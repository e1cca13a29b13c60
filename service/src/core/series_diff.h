/* series_diff.h -- how the statement changed from one workshop of a
 * partnership to the next, word by word, and the series' export (Markdown
 * and JSON: each workshop's own summary in order, with the changes). Pure.
 *
 * The diff works on tokens: runs of white space and runs of anything else
 * (as the web client's diffWordsWithSpace does), after the common start and
 * end are set aside; past SERIES_DIFF_CELLS comparisons it gives up and says
 * the whole text was replaced (one removal, one insertion). */
#ifndef ATELIER_SERIES_DIFF_H
#define ATELIER_SERIES_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/export.h"
#include "core/sbuf.h"
#include "core/series.h"

#define SERIES_DIFF_CELLS (4u << 20) /* token pairs compared at most (4 Mi: 8 MiB of table) */

typedef enum { SERIES_SAME, SERIES_INS, SERIES_DEL } series_kind;

/* A piece of the diff: bytes [off, off + len) of the old text (same, del)
 * or of the new one (ins). */
typedef struct series_piece {
    series_kind kind;
    size_t off, len;
} series_piece;

typedef struct series_diff {
    series_piece *v;
    size_t n, cap;
    bool oom;
} series_diff;

/* The diff from a[0..alen) to b[0..blen) into d (empty first; free with
 * series_diff_free). Adjacent pieces of one kind are merged; a deletion
 * comes before the insertion that replaces it. False when out of memory. */
bool series_diff_make(series_diff *d, const char *a, size_t alen, const char *b, size_t blen);
void series_diff_free(series_diff *d);
/* [{"kind":"same"|"ins"|"del","text":…}…] */
void series_diff_write_json(sbuf *out, const series_diff *d, const char *a, const char *b);

/* One workshop of a partnership, for the export. */
typedef struct series_member {
    const char *id;
    const char *title;
    int64_t created;
    bool ended;
    const char *start;                  /* its text at revision 0 */
    size_t start_len;
    const char *text;                   /* its final text */
    size_t text_len;
    const series_orgs *orgs;            /* who changed it */
    const char *summary;                /* its own export in the same format (Markdown, or the JSON log) */
    size_t summary_len;
} series_member;

typedef struct series_export {
    const char *id;
    const char *title;
    int64_t created;
    const series_member *members;
    size_t n;
} series_export;

/* The series as Markdown: its title, then each workshop in order: its
 * number and title, its summary (headings two levels down), and what
 * changed in the statement during it, by organisation and word by word. */
void series_export_markdown(sbuf *out, const series_export *s, export_lang lang);
/* {"partnership":{id,title,created},"workshops":[{id,title,created,state,
 * organisations,changes,export}…]} with each workshop's JSON log as `export`. */
void series_export_json(sbuf *out, const series_export *s);

/* Markdown with every heading (a line starting "#") two levels down, so a
 * workshop's summary fits under the series' headings; other lines as they are. */
void series_demote_headings(sbuf *out, const char *md, size_t len);

#endif
