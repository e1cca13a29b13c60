/* export_book.h -- what the exports say beyond the final state (protocol/
 * history.md, "Exports"): who took part, with which organisation and role,
 * the key moments of the short timeline, and every endorsement and decline
 * of the statement. The shell feeds it person by person (the stored
 * participant records) and event by event (the stream, in order); the
 * writers (core/export.h) read it.
 *
 * Pure. The book owns every string in it: export_book_free frees them. */
#ifndef ATELIER_EXPORT_BOOK_H
#define ATELIER_EXPORT_BOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/hist.h"
#include "core/workshop.h"

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
    char *question_fr;        /* a poll's question as given in French (a ready-made one's translations), else NULL */
    char *question_en;        /* ... and in English */
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

/* Fed person by person and mark by mark. Observers are counted apart: they
 * never make or join an organisation. */
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

#endif
