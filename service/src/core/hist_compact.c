#include "core/hist_compact.h"

#include <stdlib.h>
#include <string.h>

void hist_compact_init(hist_compact *c, sbuf *out) {
    memset(c, 0, sizeof *c);
    c->out = out;
}

void hist_compact_free(hist_compact *c) {
    for (size_t i = 0; i < c->nwho; i++) {
        free((char *)c->who_author[i]);
        free((char *)c->who_org[i]);
    }
    free(c->who_author);
    free(c->who_org);
    c->who_author = c->who_org = NULL;
    c->nwho = c->capwho = 0;
}

static bool same(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : "") == 0; }

/* Index of the pair (author, org), added if new; -1 when the table is full,
 * -2 out of memory. */
static long who_index(hist_compact *c, const char *author, const char *org) {
    if (c->last_who < c->nwho && same(c->who_author[c->last_who], author) && same(c->who_org[c->last_who], org))
        return (long)c->last_who;
    for (size_t i = 0; i < c->nwho; i++)
        if (same(c->who_author[i], author) && same(c->who_org[i], org)) return (long)(c->last_who = i);
    if (c->nwho == HIST_COMPACT_WHO_MAX) return -1;
    if (c->nwho == c->capwho) {
        size_t cap = c->capwho ? c->capwho * 2 : 8;
        const char **a = realloc(c->who_author, cap * sizeof *a);
        if (!a) return -2;
        c->who_author = a;
        const char **o = realloc(c->who_org, cap * sizeof *o);
        if (!o) return -2;
        c->who_org = o;
        c->capwho = cap;
    }
    char *as = strdup(author ? author : ""), *os = strdup(org ? org : "");
    if (!as || !os) {
        free(as);
        free(os);
        return -2;
    }
    c->who_author[c->nwho] = as;
    c->who_org[c->nwho] = os;
    return (long)(c->last_who = c->nwho++);
}

hist_compact_status hist_compact_add(hist_compact *c, const hist_event *e) {
    long who = who_index(c, e->author, e->org);
    if (who == -1) return HIST_COMPACT_FULL;
    if (who < 0) return HIST_COMPACT_OOM;
    sbuf *b = c->out;
    if (c->ops) sbuf_putc(b, ',');
    else c->t0 = c->last_t = e->t;
    sbuf_putc(b, '[');
    sbuf_put_i64(b, e->t - c->last_t); /* ids grow, so never negative */
    sbuf_putc(b, ',');
    sbuf_put_i64(b, who);
    sbuf_putc(b, ',');
    sbuf_puts(b, e->op); /* stored JSON, checked when the event was read (hist_event_from_fields) */
    sbuf_putc(b, ']');
    c->last_t = e->t;
    c->ops++;
    return HIST_COMPACT_OK;
}

void hist_compact_write_tail(const hist_compact *c, sbuf *b) {
    sbuf_puts(b, ",\"t0\":");
    sbuf_put_i64(b, c->t0);
    sbuf_puts(b, ",\"who\":[");
    for (size_t i = 0; i < c->nwho; i++) {
        if (i) sbuf_putc(b, ',');
        sbuf_putc(b, '[');
        sbuf_put_jstrz(b, c->who_author[i]);
        sbuf_putc(b, ',');
        sbuf_put_jstrz(b, c->who_org[i]);
        sbuf_putc(b, ']');
    }
    sbuf_putc(b, ']');
}
