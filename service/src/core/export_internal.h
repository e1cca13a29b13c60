/* export_internal.h -- what the export files share and nobody else may use:
 * the words of each language, the polls as the exports read them, and the
 * pieces that more than one section of the summary or the CSV writes. The
 * `export__` prefix marks them private. Not for other modules.
 *
 * Every string here is static or points into a parsed poll that its
 * export_poll owns: nothing to free but the export_poll itself. */
#ifndef ATELIER_EXPORT_INTERNAL_H
#define ATELIER_EXPORT_INTERNAL_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/board_match.h"
#include "core/csv.h"
#include "core/doc.h"
#include "core/export.h"
#include "core/poll.h"
#include "core/signoff.h"

/* ---- export_words.c: the words of each language, dates and figures ---- */

/* The sign-off's words (protocol/agreement.md, "Sign-off"). */
typedef struct export_signoff_words {
    const char *heading;
    const char *none;                 /* no decision */
    const char *agreed;               /* "Énoncé adopté le DATE par : A, B (révision R)." */
    const char *agreed_final;         /* ... it is the statement above */
    const char *agreed_changed;       /* ... the statement changed since */
    const char *agreed_text;          /* the lead of the text agreed, quoted after it */
    const char *endorsed, *declined;  /* "approuve la révision", "refuse (révision" */
    const char *reason;
    const char *csv_decision, *csv_person, *csv_org, *csv_rev, *csv_reason; /* CSV headers */
    const char *csv_endorsed, *csv_declined, *csv_agreed;
    const char *reason_open, *reason_close; /* around a decline's reason: « … » in French, “…” in English */
} export_signoff_words;

/* The words of the phases and the contribution balance (core/export_phase.h). */
typedef struct export_phase_words {
    const char *phases_h, *started, *ran, *under_way, *planned, *extended, *minutes;
    const char *polls_in, *no_poll_in, *statement_end;
    const char *balance_h, *balance_phase, *balance_end;
    const char *org, *inserted, *deleted, *ballots, *answers;  /* the balance's columns */
    const char *phase_col, *start_col, *ran_col, *end_row;      /* the CSV's */
    const char *signoff_in;   /* the sign-off's decisions made during the phase */
    const char *agreed_in;    /* "Énoncé adopté (révision %lld) par ... : ", its organisations follow */
    const char *skipped;      /* "Phases non abordées": the agenda's phases jumped over, never started */
    const char *state_col;    /* the CSV's column saying whether a phase was held, is under way (under_way) or was skipped */
    const char *held, *skipped_one; /* its values: "abordée", "non abordée" */
} export_phase_words;

/* The words of the priorities board (protocol/board.md). */
typedef struct export_board_words {
    const char *heading, *by_org_h;
    const char *kinds[BOARD_KINDS];       /* practice, priority, strength */
    const char *columns[BOARD_UNIQUE + 1]; /* common to all, shared by some, unique to one: headings */
    const char *all_orgs;                  /* a common group's organisations */
    const char *none;                      /* a column without anything */
    const char *csv_kind, *csv_title, *csv_why, *csv_column, *csv_group; /* CSV headers (Organisation: the phase's) */
} export_board_words;

/* The words of ranking polls, passages and the "to discuss" list
 * (protocol/polls.md, issue 16). */
typedef struct export_discuss_words {
    const char *rank_choice;          /* a ranking's table, first header cell: "Choix : points (rang moyen)" */
    const char *mean_rank;            /* "Rang moyen" (the CSV's rows of mean ranks) */
    const char *rank_note;            /* under a ranking's table: what the figures are */
    const char *passage;              /* before a poll's passage: "À propos du passage" */
    const char *passage_changed;      /* "Le passage a changé depuis le premier vote." */
    const char *passage_first;        /* "Au premier vote :" */
    const char *passage_gone;         /* the passage was deleted from the text */
    const char *heading;              /* "À discuter" */
    const char *none;                 /* nothing was put on the list */
    const char *done, *open;          /* an item ticked off, or not */
    const char *added;                /* "ajouté par %s le %s" */
    const char *csv_item, *csv_poll, *csv_passage, *csv_state, *csv_added, *csv_by; /* the list's CSV headers */
    const char *csv_passage_now, *csv_passage_first, *csv_changed, *yes, *no; /* the passages' CSV headers and values */
} export_discuss_words;

/* Every word an export writes in one language. French is written with plain
 * spaces: doc_words sets the typography. */
typedef struct export_words {
    bool french;
    const char *code;         /* "fr" or "en": this language's key in a poll's translations */
    const char *months[12];
    const char *at;           /* between a date and its time */
    const char *colon;        /* before a figure: "Répondants : 8" */
    const char *semicolon;
    const char *quote_open, *quote_close; /* around a poll's question in the timeline */
    const char *created, *last_activity, *ended_on, *by;
    const char *revision, *revisions, *person, *people, *organisation, *organisations; /* one, several */
    const char *org_h, *org_col, *people_h, *statement_h, *polls_h, *timeline_h;
    const char *no_polls, *empty_statement;
    const char *kinds[POLL_KINDS];
    const char *states[POLL_CLOSED + 1]; /* draft, open, closed: a deleted poll is in no export */
    const char *respondents, *all, *other, *choice, *answer, *mean, *upvotes;
    const char *scale[POLL_SCALE_POINTS]; /* the labels of the points */
    const char *alignment, *divergence, *aligned, *partly, *divergent, *compared, *no_alignment;
    const char *threshold_note[3];        /* around the threshold, twice: "... 3 répondants ; ... au moins 3, ..." */
    const char *org_poll;                 /* a poll organisations answer, after its state */
    const char *org_by, *org_on;          /* "Ville, par Awa le 28 novembre 2026 à 02:45 (UTC)" */
    const char *org_note;                 /* under it: every organisation shown by name */
    const char *moment_lead[EXPORT_MOMENT_KINDS]; /* the summary's timeline, before the subject */
    const char *moment_name[EXPORT_MOMENT_KINDS]; /* the CSV's "Moment" column */
    const char *last_edit_lead, *last_edit_name;
    const char *number, *question, *kind, *state, *group, *count, *divergence_h, *time, *moment, *subject; /* CSV headers */
    const char *answered_by, *answered_at; /* CSV headers of an organisation's answer */
    char decimal;
    bool zero_singular;       /* "0 révision" in French, "0 revisions" in English */
    const char *observer, *observers;     /* one, several: counted apart from the people taking part */
    const char *observers_h;              /* the list of people's last item */
    const char *role_mark[WK_OBSERVER + 1]; /* after a name in the list of people; NULL: no mark */
    const char *deletes_on;               /* before the date the retention deletes the workshop */
    export_signoff_words signoff;
    export_phase_words phase;
    export_board_words board;
    export_discuss_words discuss;
    const char *results_not_shown;        /* the participants' summary: a poll whose results they were not shown */
} export_words;

/* Room for a figure printed with a few decimals, a date, a phrase of words. */
#define EXPORT_NUMBER_MAX 64
#define EXPORT_PHRASE_MAX 160

const export_words *export__words(export_lang lang);
/* The word for n things: one or several. */
const char *export__count_word(const export_words *w, int64_t n, const char *one, const char *several);
/* The zone's name, "UTC" without one. */
const char *export__zone_name(const when_zone *z);
/* "28 novembre 2026 à 14:05 (Europe/Paris)": the prose form. */
void export__long_date(char *dst, size_t n, const export_words *w, const when_zone *z, int64_t ms);
/* "28/11/2026 14:05" or "2026-11-28 14:05": the timeline's and the CSV's form. */
void export__short_date(char *dst, size_t n, const export_words *w, const when_zone *z, int64_t ms);
/* "Heure (Europe/Paris)": the header of a column of times, their zone named. */
void export__zoned_header(char *dst, size_t n, const char *name, const when_zone *z);
/* v with `decimals` decimals and the language's decimal mark. */
void export__number_text(char dst[EXPORT_NUMBER_MAX], double v, int decimals, char decimal);
/* The words of an alignment label ("aligned", "partly_aligned", else divergent). */
const char *export__alignment_words(const export_words *w, const char *label);
/* A scale point's label as both exports write it: "4 — Plutôt d'accord". */
void export__scale_label(char *dst, size_t n, const export_words *w, int k);

/* ---- export_poll.c: the polls as the exports read them ---- */

static inline const cJSON *export__item(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }
/* The number at k in a stored object; 0 when there is none. */
static inline double export__number(const cJSON *o, const char *k) {
    const cJSON *v = export__item(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}
/* The string at k in a stored object, or NULL. */
static inline const char *export__string(const cJSON *o, const char *k) {
    return cJSON_GetStringValue(export__item(o, k));
}

/* A poll of the final state as the exports read it: its stored object and
 * results parsed, its kind and state read once. Owns poll and res. */
typedef struct export_poll {
    cJSON *poll;              /* the public poll object */
    cJSON *res;               /* the results message, NULL when there were none */
    poll_kind kind;
    poll_state state;         /* draft, open or closed */
    const char *question;     /* points into poll; in the export's language when the poll was given in it */
    bool orgs;                /* organisations answer it, openly (polls.md, "Organisation answers") */
    unsigned threshold;       /* its anonymity threshold: the results', else the poll's, else 3; 1 for organisations */
} export_poll;

/* The next poll an export shows after *i, read into sp, or false when there
 * is none left. Drafts are skipped; *number counts the others, readable or
 * not (start it at 0): it is the poll's number in the summary and, at the
 * end, how many polls are not drafts. With w, a poll given in w's language
 * (a ready-made question's translations, protocol/polls.md) reads in it:
 * its question and choices; NULL: as typed. Free sp after each poll it
 * gives (export__poll_free). */
bool export__poll_next(const hist_state *polls, const export_words *w, size_t *i, int *number, export_poll *sp);
/* A poll object's question in the language lang ("fr", "en") when it was
 * given in it, else NULL. Points into poll. */
const char *export__question_in(const cJSON *poll, const char *lang);
/* A key moment's subject in w's language: a poll's question as given in it, else as typed. */
static inline const char *export__moment_subject(const export_moment *mo, const export_words *w) {
    const char *q = w->french ? mo->question_fr : mo->question_en;
    return q ? q : mo->subject;
}
void export__poll_free(export_poll *sp);
/* A poll of the final state with results to show passes test: false when
 * none does. */
bool export__polls_any(const hist_state *polls, bool (*test)(const export_poll *sp));

/* A group of a results message: all, each broken-out organisation, other. */
typedef struct export_group {
    const char *name;         /* NULL for "all" and "other" */
    bool other;
    const cJSON *g;           /* the object with respondents / counts / upvotes / mean (the results for "all") */
} export_group;

enum { EXPORT_MAX_GROUPS = 128, EXPORT_MAX_OPTIONS = 4096 };

/* The groups of res into out, "all" first; n returned. orgs: a poll
 * organisations answer, where every organisation that answered is shown by
 * name (even the only one) and there is no "other". */
size_t export__groups(const cJSON *res, bool orgs, export_group *out, size_t max);
/* Its name: the organisation's, or our word for all or other. */
const char *export__group_words(const export_words *w, const export_group *g);
/* One option's figure in a group: the count of choice k, or the upvotes of answer k. */
double export__figure(const export_group *g, bool text, int k);
/* Options of a poll: labels in order (the points' words for a scale); n returned. */
int export__options(const export_poll *sp, const export_words *w, const char **labels, int max);
/* An organisation's answer as the exports write it: the labels of its
 * choices (what was typed, " · " between them) or its scale point (our
 * words). Written through text (typed) and ours (our words). */
void export__org_answer(const export_poll *sp, const export_group *g, const export_words *w,
                        void (*text)(void *, const char *), void (*ours)(void *, const char *), void *ctx);

/* ---- export_summary.c: what several sections of the summary write ---- */

/* "## Sondages": a section's heading, our words. */
void export__section(doc *d, const char *title);
/* "### 2. Pourquoi ?": a numbered heading, the title as typed. */
void export__numbered_heading(doc *d, int number, const char *title);
/* A paragraph of our words. */
void export__para(doc *d, const char *words);
/* The same in emphasis: a lead or a note. */
void export__em_para(doc *d, const char *words);
/* A table's header row: our words, one cell each. */
void export__header_row(doc *d, const char *const *words, size_t n);
/* A statement quoted as typed, or our word for an empty one. */
void export__statement(doc *d, const char *text, const export_words *w);

/* ---- The sections, each in its file ---- */

/* export_summary_polls.c: the polls with their results. */
void export__summary_polls(doc *d, const export_meta *m, const hist_state *polls, const export_words *w);
/* export_csv.c: a table after the ones before it: an empty line, then its
 * header (our words). */
void export__csv_table(csv *c, const char *const *names, size_t n);
/* export_signoff.c: the sign-off (nothing when there was none). */
void export__signoff_summary(doc *d, const export_meta *m, const export_book *bk, const signoff *so,
                             const export_words *w);
void export__signoff_csv(csv *c, const export_meta *m, const export_book *bk, const signoff *so,
                         const export_words *w);
/* The sign-off's decisions made in [from, to) and the agreement if it was
 * reached then, as a list (nothing when there is none): a phase's. */
void export__signoff_between(doc *d, const export_meta *m, const export_book *bk, const signoff *so, int64_t from,
                             int64_t to, const export_words *w);
/* export_discuss.c: ranking tables' words, a poll's passage, the "to
 * discuss" list (nothing when it is empty). */
void export__passage_summary(doc *d, const export_poll *sp, const export_words *w);
void export__discuss_summary(doc *d, const export_meta *m, const hist_state *s, const export_words *w);
void export__discuss_csv(csv *c, const export_meta *m, const hist_state *s, const export_words *w);
/* The passages' table: one row per poll about a passage (nothing when none). */
void export__passages_csv(csv *c, const hist_state *polls, const export_words *w);

/* export_phase_sections.c: the phases run and the contribution balance
 * (nothing when no phase was run and nothing counted). */
void export__phases_summary(doc *d, const export_meta *m, const export_book *bk, const signoff *so,
                            const export_words *w);
void export__phases_csv(csv *c, const export_meta *m, const export_words *w);
/* export_board.c: the priorities board by organisation, then common / shared
 * by some / unique (nothing when the board is empty). */
void export__board_summary(doc *d, const board *b, const export_words *w);
void export__board_csv(csv *c, const board *b, const export_words *w);

#endif
