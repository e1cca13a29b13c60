/* csv.h -- CSV for office software (protocol/history.md, "CSV"): UTF-8 with a
 * byte order mark (how Excel knows it is UTF-8), a ";" between fields (what
 * French spreadsheets expect: "," is their decimal mark), CRLF line ends,
 * decimal commas in French. Fields are quoted when they hold the separator, a
 * quote, a line break or spaces at either end, with quotes doubled inside
 * (RFC 4180's rules, with another separator). A text field a spreadsheet
 * would run as a formula gets a "'" in front.
 *
 * Pure: writes into an sbuf. */
#ifndef ATELIER_CSV_H
#define ATELIER_CSV_H

#include <stdbool.h>
#include <stdint.h>

#include "core/sbuf.h"

#define CSV_BOM "\xEF\xBB\xBF"
#define CSV_SEPARATOR ';'

typedef struct csv {
    sbuf *out;
    char decimal;       /* ',' (French) or '.' */
    bool in_row;        /* a field was written on this row: the next needs a separator */
} csv;

/* Start a file in out: the byte order mark. */
void csv_begin(csv *c, sbuf *out, char decimal);
/* Fields of the current row. */
void csv_text(csv *c, const char *s);
void csv_int(csv *c, int64_t v);
/* v with exactly `decimals` decimals, in the file's decimal mark. */
void csv_decimal(csv *c, double v, int decimals);
void csv_empty(csv *c);
/* End the row (CRLF). */
void csv_end_row(csv *c);
/* An empty line: between two tables of one file. */
void csv_blank_line(csv *c);

#endif
