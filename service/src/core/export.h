/* export.h -- the record of a workshop for its facilitator
 * (protocol/history.md, "Exports"): the summary, in French or English, as
 * Markdown or as a printable HTML page (one content, core/doc.h), and the
 * poll results and key moments as CSV for office software (core/csv.h). The
 * JSON event log is the history's own event writer (core/hist.h) in the
 * facilitator's view.
 *
 * Pure: the shell reads the workshop from Redis, folds the marks into a
 * hist_state and an export_book, and hands them here with the workshop's
 * time zone (core/when.h): times are written on its clock, the zone named.
 * The French exports' own words follow French typography (core/typo.h);
 * what people typed is quoted as typed. */
#ifndef ATELIER_EXPORT_H
#define ATELIER_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/export_phase.h"
#include "core/hist.h"
#include "core/sbuf.h"
#include "core/when.h"
#include "core/workshop.h"

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
    EXPORT_ENDED,             /* the facilitator ended the workshop */
    EXPORT_REOPENED,          /* ... or reopened it */
} export_moment_kind;
#define EXPORT_MOMENT_KINDS (EXPORT_REOPENED + 1)

/* A key moment of the short timeline. */
typedef struct export_moment {
    int64_t t;                /* ms since the epoch */
    export_moment_kind kind;
    char *subject;            /* the organisation, the poll's question or who ended or reopened; NULL for EXPORT_CREATED */
} export_moment;

/* One endorsement or decline, for the record (the latest per organisation is
 * in the folded state; the exports list them all). */
typedef struct export_decision {
    int64_t t;                /* ms */
    bool declined;            /* else endorsed */
    char *name;               /* the representative */
    char *org;
    int64_t rev;              /* endorsed: the revision endorsed; declined: the workshop's then */
    char *sha256;             /* the text's SHA-256 at rev */
    char *reason;             /* declined: why; NULL when endorsed */
} export_decision;

typedef struct export_org {
    char *name;               /* as the participants joined with */
    unsigned people;          /* people who joined with it (observers never count) */
    bool arrived;             /* its first arrival is a moment already */
} export_org;

/* Someone who joined, with their role (protocol/agreement.md, "Roles"). */
typedef struct export_person {
    char *name;               /* as they joined */
    char *org;                /* their organisation; "" for an observer who named none */
    wk_role role;             /* the role their record has now */
} export_person;

/* What the summary says beyond the final state: who took part, and when
 * things happened. Fed person by person and mark by mark. Observers are
 * counted apart: they never make or join an organisation. */
typedef struct export_book {
    export_org *orgs;         /* in order of first appearance */
    size_t norgs, orgs_cap;
    unsigned people;          /* everyone who joined to take part (observers not included) */
    unsigned observers;       /* observers who joined */
    export_person *persons;   /* everyone who joined, observers included, in the order fed */
    size_t npersons, persons_cap;
    export_moment *moments;   /* in time order */
    size_t nmoments, moments_cap;
    long ended;               /* index in moments of the last end, when no reopening came after it; -1 while open */
    export_decision *decisions; /* every endorsement and decline, in time order */
    size_t ndecisions, decisions_cap;
    bool oom;                 /* an allocation failed: the book is incomplete */
} export_book;

/* The workshop itself. */
typedef struct export_meta {
    const char *title;
    int64_t created;          /* ms */
    int64_t last_edit;        /* ms of the last edit, 0 if none */
    int64_t rev;              /* revisions: edits accepted */
    const char *text;         /* the final statement */
    const when_zone *zone;    /* the workshop's time zone (NULL: UTC) */
    const export_phases *phases; /* the phases run and the contribution balance (NULL: no such sections) */
    const char *agreed_text;  /* the statement when last agreed (NULL: unknown; shown when it is not the final one) */
    int64_t deletes_at;       /* ms: when the server deletes it if nothing is written to it meanwhile (0: not said) */
} export_meta;

void export_book_init(export_book *b);
void export_book_free(export_book *b);
/* One person who joined (from the stored participant records): name and
 * organisation as they joined ("" or NULL: none, an observer), their role. */
void export_book_person(export_book *b, const char *name, const char *org, wk_role role);
/* One event, in stream order: the creation, arrivals (an organisation's
 * first, observers' never), poll steps, the end and reopening of the
 * workshop become moments; endorsements and declines are recorded. The
 * summary and the CSV then say, from polls->signoff (the folded state),
 * whether the statement was agreed, by whom, and whether it is the final
 * text. */
void export_book_event(export_book *b, const hist_event *e);

/* The summary in Markdown. polls: the final state (facilitator's view);
 * drafts are left out. */
void export_markdown(sbuf *out, const export_meta *m, const export_book *b, const hist_state *polls, export_lang lang);
/* The same summary as a printable HTML page (no script; its one inline
 * style sheet carries style_nonce, which its Content-Security-Policy names). */
void export_html(sbuf *out, const export_meta *m, const export_book *b, const hist_state *polls, export_lang lang,
                 const char *style_nonce);
/* Poll results and key moments for office software: three tables one after
 * the other (choice and scale polls; text polls; key moments), headers and
 * words in the language, decimal commas in French. With a poll organisations
 * answer, the first table also says who gave each organisation's answer and
 * when (only then: other exports keep their ten columns). */
void export_csv(sbuf *out, const export_meta *m, const export_book *b, const hist_state *polls, export_lang lang);

#endif
