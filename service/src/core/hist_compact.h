/* hist_compact.h -- the edits of a workshop's history as compact pages
 * (protocol/history.md, "Compact pages of edits"): the ops only, each one
 * [dt, who, op] where dt is the time since the op before it on the page (the
 * first: since t0), who an index into the page's table of (author,
 * organisation) pairs and op the op as stored. About a seventh of the bytes
 * of the same ops as events, and one JSON.parse of arrays for the client.
 *
 * Pure: the shell reads the stream and hands each op event in, in order. */
#ifndef ATELIER_HIST_COMPACT_H
#define ATELIER_HIST_COMPACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/hist.h"
#include "core/sbuf.h"

#define HIST_COMPACT_WHO_MAX 1024 /* (author, organisation) pairs a page may name: a page ends before one more */

typedef enum {
    HIST_COMPACT_OK,            /* written */
    HIST_COMPACT_FULL,          /* not written: the page's table of authors is full, the next page goes on */
    HIST_COMPACT_OOM,           /* not written: out of memory */
} hist_compact_status;

/* A compact page being written. The caller owns `out` (written into, never
 * freed here); hist_compact_free frees the table. */
typedef struct hist_compact {
    sbuf *out;                  /* the body: the ops list's items go here */
    const char **who_author;    /* who_author[i], who_org[i]: pair i (strdup'd, owned) */
    const char **who_org;
    size_t nwho, capwho;        /* pairs named, room for */
    size_t last_who;            /* the pair used last: edits come in runs */
    int64_t t0;                 /* time of the page's first op (ms) */
    int64_t last_t;             /* time of the op written last */
    int64_t ops;                /* ops written */
} hist_compact;

void hist_compact_init(hist_compact *c, sbuf *out);
void hist_compact_free(hist_compact *c);

/* Append op event e (hist_is_op) as the next item of the ops list (a comma
 * before all but the first). Nothing written unless HIST_COMPACT_OK. */
hist_compact_status hist_compact_add(hist_compact *c, const hist_event *e);

/* The fields after the ops list: ,"t0":T,"who":[[author, org], ...] */
void hist_compact_write_tail(const hist_compact *c, sbuf *b);

#endif
