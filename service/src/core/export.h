/* export.h -- the record of a workshop for its facilitator: a Markdown
 * summary (French or English) and the poll results as CSV
 * (protocol/history.md, "Exports"). The JSON event log is the history's own
 * event writer (core/hist.h) in the facilitator's view.
 *
 * Pure: the shell reads the workshop from Redis, folds the marks into a
 * hist_state and an export_book, and hands them here. Times are written in
 * UTC so that an export reads the same wherever it is made. */
#ifndef ATELIER_EXPORT_H
#define ATELIER_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/hist.h"
#include "core/sbuf.h"

typedef enum { EXPORT_FR, EXPORT_EN } export_lang;

/* "fr" or "en". */
bool export_lang_from_name(const char *s, export_lang *out);

typedef enum {
    EXPORT_CREATED,           /* the workshop was created */
    EXPORT_ORG_ARRIVED,       /* the first person of an organisation arrived */
    EXPORT_POLL_OPENED,
    EXPORT_POLL_CLOSED,
    EXPORT_POLL_REOPENED,
    EXPORT_RESULTS_REVEALED,  /* results set to "revealed" */
} export_moment_kind;

/* A key moment of the short timeline. */
typedef struct export_moment {
    int64_t t;                /* ms since the epoch */
    export_moment_kind kind;
    char *subject;            /* the organisation, or the poll's question; NULL for EXPORT_CREATED */
} export_moment;

typedef struct export_org {
    char *name;               /* as the participants joined with */
    unsigned people;          /* participants who joined with it */
    bool arrived;             /* its first arrival is a moment already */
} export_org;

/* What the summary says beyond the final state: who took part, and when
 * things happened. Fed person by person and mark by mark. */
typedef struct export_book {
    export_org *orgs;         /* in order of first appearance */
    size_t norgs, orgs_cap;
    unsigned people;          /* everyone who joined */
    export_moment *moments;   /* in time order */
    size_t nmoments, moments_cap;
    bool oom;                 /* an allocation failed: the book is incomplete */
} export_book;

/* The workshop itself. */
typedef struct export_meta {
    const char *title;
    int64_t created;          /* ms */
    int64_t last_edit;        /* ms of the last edit, 0 if none */
    int64_t rev;              /* revisions: edits accepted */
    const char *text;         /* the final statement */
} export_meta;

void export_book_init(export_book *b);
void export_book_free(export_book *b);
/* One participant who joined (from the stored participant records). */
void export_book_person(export_book *b, const char *org);
/* One event, in stream order: creations, arrivals and poll steps become moments. */
void export_book_event(export_book *b, const hist_event *e);

/* The Markdown summary. polls: the final state (facilitator's view); drafts are left out. */
void export_markdown(sbuf *out, const export_meta *m, const export_book *b, const hist_state *polls, export_lang lang);
/* Poll results, RFC 4180 with a header row and CRLF line ends. */
void export_csv(sbuf *out, const hist_state *polls);

#endif
