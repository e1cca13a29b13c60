/* export.h -- the record of a workshop for its facilitator
 * (protocol/history.md, "Exports"): the summary, in French or English, as
 * Markdown or as a printable HTML page (one content, core/doc.h), and the
 * poll results and key moments as CSV for office software (core/csv.h). The
 * JSON event log is the history's own event writer (core/hist.h) in the
 * facilitator's view.
 *
 * Pure: the shell reads the workshop from Redis, folds the marks into a
 * hist_state, an export_book (core/export_book.h) and the phases
 * (core/export_phase.h), and hands them here with the workshop's time zone
 * (core/when.h): times are written on its clock, the zone named. The French
 * exports' own words follow French typography (core/typo.h); what people
 * typed is quoted as typed.
 *
 * The writers' files: export_words.c (the words of each language, dates and
 * figures), export_poll.c (the polls as the exports read them),
 * export_summary.c and export_summary_polls.c (the summary), export_csv.c
 * (the CSV), export_signoff.c and export_phase_sections.c (the sections both
 * write); what they share is in export_internal.h. */
#ifndef ATELIER_EXPORT_H
#define ATELIER_EXPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/export_book.h"
#include "core/export_phase.h"
#include "core/hist.h"
#include "core/sbuf.h"
#include "core/when.h"

typedef enum { EXPORT_FR, EXPORT_EN } export_lang;

/* "fr" or "en". */
bool export_lang_from_name(const char *s, export_lang *out);

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
    bool participants;        /* the participants' summary: no contribution balance, the board only when it was
                                 shown to everyone (polls: the hub hands their public view, hist_state_keep_public) */
} export_meta;

/* The summary in Markdown. polls: the final state (facilitator's view, or
 * with m->participants the public view); drafts are left out. */
void export_markdown(sbuf *out, const export_meta *m, const export_book *b, const hist_state *polls, export_lang lang);
/* The same summary as a printable HTML page (no script; its one inline
 * style sheet carries style_nonce, which its Content-Security-Policy names). */
void export_html(sbuf *out, const export_meta *m, const export_book *b, const hist_state *polls, export_lang lang,
                 const char *style_nonce);
/* Poll results and key moments for office software: three tables one after
 * the other (choice and scale polls; text polls; key moments), headers and
 * words in the language, decimal commas in French. With a poll organisations
 * answer, the first table also says who gave each organisation's answer and
 * when (only then: other exports keep their ten columns). Then the balance
 * by phase and the sign-off, each a table of its own, when there are any. */
void export_csv(sbuf *out, const export_meta *m, const export_book *b, const hist_state *polls, export_lang lang);

#endif
