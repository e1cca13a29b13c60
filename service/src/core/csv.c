#include "core/csv.h"

#include <stdio.h>
#include <string.h>

#include "core/utf8.h"

/* Room for a number written with a few decimals. */
#define CSV_NUMBER_MAX 64

void csv_begin(csv *c, sbuf *out, char decimal) {
    c->out = out;
    c->decimal = decimal;
    c->in_row = false;
    sbuf_puts(out, CSV_BOM);
}

static void next_field(csv *c) {
    if (c->in_row) sbuf_putc(c->out, CSV_SEPARATOR);
    c->in_row = true;
}

/* A spreadsheet runs a cell that starts with one of these as a formula. */
static bool looks_like_formula(const char *s) { return s[0] && strchr("=+-@\t\r", s[0]); }

static bool needs_quotes(const char *s) {
    size_t n = strlen(s);
    return strchr(s, CSV_SEPARATOR) || strpbrk(s, "\"\r\n") || (n && (s[0] == ' ' || s[n - 1] == ' '));
}

/* Control characters other than the tab and line breaks (ESC, BEL, BS, C1)
 * mean nothing in a cell and would drive a terminal showing the file: the
 * bytes to drop at s[i] (0: keep it). */
static size_t dropped(const char *s, size_t len, size_t i) {
    return s[i] == '\t' || s[i] == '\r' || s[i] == '\n' ? 0 : utf8_control_at(s, len, i);
}

void csv_text(csv *c, const char *s) {
    next_field(c);
    bool guard = looks_like_formula(s), quoted = guard || needs_quotes(s);
    size_t len = strlen(s);
    if (quoted) sbuf_putc(c->out, '"');
    if (guard) sbuf_putc(c->out, '\'');
    for (size_t i = 0; i < len; i++) {
        size_t n = dropped(s, len, i);
        if (n) {
            i += n - 1;
            continue;
        }
        if (s[i] == '"') sbuf_putc(c->out, '"');
        sbuf_putc(c->out, s[i]);
    }
    if (quoted) sbuf_putc(c->out, '"');
}

void csv_int(csv *c, int64_t v) {
    next_field(c);
    sbuf_put_i64(c->out, v);
}

void csv_decimal(csv *c, double v, int decimals) {
    char tmp[CSV_NUMBER_MAX];
    snprintf(tmp, sizeof tmp, "%.*f", decimals, v);
    for (char *p = tmp; *p; p++)
        if (*p == '.') *p = c->decimal;
    next_field(c);
    sbuf_puts(c->out, tmp);
}

void csv_empty(csv *c) { next_field(c); }

void csv_end_row(csv *c) {
    sbuf_puts(c->out, "\r\n");
    c->in_row = false;
}

void csv_blank_line(csv *c) { csv_end_row(c); }
