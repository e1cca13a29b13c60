/* poll.h -- live polls of one workshop: definitions, lifecycle, ballots,
 * text answers with upvotes, results by organisation and how far the
 * organisations diverge. protocol/polls.md is the specification. Their JSON
 * on the wire is poll_json.h's; their Redis records are poll_store.h's.
 *
 * Pure: no sockets, no Redis, no clock (creation times are handed in), no
 * randomness (the shell picks poll ids). Every change to a ballot updates the
 * tallies in O(choices), so a burst of votes stays cheap; results, the
 * per-organisation breakdown and the alignment are computed on demand.
 *
 * Who voted what is kept only so that each participant has one changeable
 * ballot: no wire encoder (poll_json.h) ever writes a participant id, and a
 * ballot's store record (poll_store.h) leaves it out too: the shell keys the
 * record by it. Organisation answers (respondents "organisations") are the
 * exception by design: an organisation answers openly, so its one ballot
 * carries who set it, and that is shown. */
#ifndef ATELIER_POLL_H
#define ATELIER_POLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/proto.h"

#define POLL_ID_MAX 22          /* base64url characters in a poll id */
#define POLL_ID_LEN 11          /* base64url characters in a poll id the server makes (66 random bits) */
#define POLL_PID_MAX 32         /* bytes in a participant id */
#define POLL_QUESTION_MAX 300   /* code points in a question */
#define POLL_CHOICES_MIN 2      /* choices of a single or multiple choice poll_t */
#define POLL_CHOICES_MAX 12
#define POLL_CHOICE_MAX 120     /* code points in one choice */
#define POLL_SCALE_POINTS 5     /* agreement scale 1..5 */
#define POLL_ANSWER_MAX 280     /* code points in a text answer */
#define POLL_ANSWERS_DEFAULT 3  /* live text answers per participant when the poll does not say */
#define POLL_ANSWERS_LIMIT 10   /* highest per-participant answer limit a poll may set */
#define POLL_ANSWER_IDS 4096    /* answer ids one poll hands out, deleted ones included: bounds an add/delete loop */
#define POLL_MIN_GROUP 3        /* default anonymity threshold: fewest respondents an organisation is shown with */
#define POLL_THRESHOLD_MIN 2    /* lowest threshold of a poll that people answer (1 would show a lone voter's ballot) */
#define POLL_THRESHOLD_MAX 10   /* highest threshold a poll may set */
#define POLL_PER_WORKSHOP 100   /* polls a poll_list holds */
/* lcm(1..12): a multiple choice respondent weighs this much, split evenly
 * over their picks, so per-organisation distributions stay exact integers. */
#define POLL_WEIGHT_UNIT 27720u

/* Status of every poll operation. The first values are proto_err's (same
 * numbers, same codes on the wire); the rest are poll-specific, with codes
 * documented in protocol/polls.md. */
typedef enum {
    POLL_OK = PROTO_OK,
    POLL_EBAD_REQUEST = PROTO_EBAD_REQUEST, /* malformed or out-of-range input */
    POLL_ENOT_FOUND = PROTO_ENOT_FOUND,     /* no such poll (or deleted), no such answer */
    POLL_EFORBIDDEN = PROTO_EFORBIDDEN,     /* a facilitator action by a participant; someone else's answer */
    POLL_EINTERNAL = PROTO_EINTERNAL,       /* out of memory */
    POLL_ESTATE = 100,                      /* "poll_state": the action does not fit the poll's state */
    POLL_ECLOSED,                           /* "poll_closed": the poll is not open (draft or closed) */
    POLL_ELIMIT,                            /* "poll_limit": too many answers or polls */
} poll_err;

typedef enum { POLL_SINGLE, POLL_MULTIPLE, POLL_SCALE, POLL_TEXT, POLL_RANK } poll_kind;
#define POLL_KINDS (POLL_RANK + 1) /* how many kinds there are */
typedef enum { POLL_DRAFT, POLL_OPEN, POLL_CLOSED, POLL_DELETED } poll_state;
/* Who sees results: facilitators always; participants per this setting. */
typedef enum {
    POLL_RESULTS_HIDDEN,   /* facilitators only (the default) */
    POLL_RESULTS_LIVE,     /* participants too, as ballots come in */
    POLL_RESULTS_REVEALED, /* participants too, until the poll is reopened (then hidden again) */
} poll_visibility;

/* Who answers a poll. */
typedef enum {
    POLL_PEOPLE,         /* each participant, anonymously, under the poll's threshold (the default) */
    POLL_ORGANISATIONS,  /* each organisation once, openly: any member sets or changes its one ballot */
} poll_respondents;

/* The languages a poll's texts may be given in, besides the typed ones. */
typedef enum { POLL_LANG_FR, POLL_LANG_EN } poll_lang;
#define POLL_LANGS (POLL_LANG_EN + 1)

/* A poll's question and choices in one language (ready-made questions). */
typedef struct poll_translation {
    char *question;      /* NULL: no text in this language */
    char **choices;      /* as many as the poll has, in its order; NULL for scale and text */
    size_t nchoices;
} poll_translation;

typedef struct poll_def {
    poll_kind kind;      /* what a ballot is */
    char *question;      /* 1..POLL_QUESTION_MAX code points */
    char **choices;      /* single, multiple and rank: the choices; NULL for scale and text (labels are fixed) */
    size_t nchoices;     /* POLL_CHOICES_MIN..POLL_CHOICES_MAX, or 0 */
    unsigned max;        /* multiple: most picks per ballot; text: most live answers per participant; else 0 */
    poll_respondents respondents; /* people or organisations; organisations never for text polls */
    unsigned threshold;  /* people: POLL_THRESHOLD_MIN..POLL_THRESHOLD_MAX; organisations: always 1; 0: the default */
    bool representatives_only; /* organisations only: only their representatives answer for them */
    poll_translation translations[POLL_LANGS]; /* stored and relayed as given; none by default */
} poll_def;

/* One participant's ballot on a single, multiple or scale poll. */
typedef struct poll_ballot {
    bool none;           /* no ballot: voting this withdraws the previous one */
    uint16_t picks;      /* single, multiple: bit k set when choice k is picked (fits POLL_CHOICES_MAX) */
    uint8_t value;       /* scale: 1..POLL_SCALE_POINTS */
    uint8_t order[POLL_CHOICES_MAX]; /* rank: order[i] is the choice put at position i + 1 (a permutation) */
} poll_ballot;

typedef struct poll_org {
    char *name;                            /* as the participants joined with; exact match groups them */
    uint32_t respondents;                  /* members with a ballot (text: with an answer or an upvote); 0 or 1 when organisations answer */
    uint32_t counts[POLL_CHOICES_MAX];     /* per choice or scale point: members who picked it; rank: the sum of the positions (1..n) they gave it */
    uint64_t weights[POLL_CHOICES_MAX];    /* multiple: sum of POLL_WEIGHT_UNIT / picks over the members who picked it */
    /* Organisations poll: the organisation's one ballot and who last set or
     * withdrew it. An organisation is listed once a member voted. */
    poll_ballot ballot;                    /* none when never set or withdrawn */
    char by[POLL_PID_MAX + 1];             /* the participant who last voted for it */
    char *by_name;                         /* their name then */
    int64_t at;                            /* when, ms since the epoch (handed in) */
} poll_org;

typedef struct poll_voter {
    char pid[POLL_PID_MAX + 1]; /* participant id: the key of the one changeable ballot */
    uint32_t org;               /* index into orgs */
    poll_ballot ballot;         /* none when never cast or withdrawn (the voter stays: indexes are bitset keys) */
    uint32_t answers;           /* text: live answers written */
    uint32_t upvotes;           /* text: upvotes given */
} poll_voter;

typedef struct poll_answer {
    uint32_t author;     /* voter index */
    char *text;          /* NULL once deleted: ids are never handed out again */
    uint32_t upvotes;    /* bits set in upvoters */
    uint64_t *upvoters;  /* bitset over voter indexes: one upvote per participant, O(1) to check */
    uint32_t words;      /* 64-bit words in upvoters */
} poll_answer;

/* An upvote read from the store before the answer it names was loaded. */
typedef struct poll_pending {
    uint32_t voter;      /* voter index */
    uint32_t answer;     /* answer id */
} poll_pending;

/* The passage of the statement a poll is about (poll_passage.c; protocol/
 * polls.md, "Polls about a passage"): a range the shell moves over every
 * edit, its text then, and its text when the first ballot was cast. */
typedef struct poll_passage {
    bool set;            /* the poll is about a passage */
    size_t start, end;   /* its code points [start, end) at revision rev; empty once deleted */
    int64_t rev;         /* the statement's revision the range is at */
    char *text;          /* its text at rev, cut at PASSAGE_MAX code points (passage_cut); NULL until the shell sets it */
    char *first;         /* its text (so cut) when the first ballot was cast; NULL before */
} poll_passage;

typedef struct poll {
    char id[POLL_ID_MAX + 1];           /* picked by the shell: the model has no randomness */
    poll_def def;                       /* fixed once the poll leaves draft, so ballots keep their meaning */
    poll_state state;                   /* deleted polls linger only until the shell drops them */
    poll_visibility results;            /* who sees results */
    int64_t created;                    /* ms since the epoch, handed in: orders polls for clients */
    uint32_t respondents;               /* voters with a ballot (text: with an answer or an upvote) */
    uint32_t counts[POLL_CHOICES_MAX];  /* per choice or scale point, all organisations (rank: sums of positions) */

    poll_org *orgs;                     /* every organisation that ever took part, in order of arrival */
    size_t norgs, orgs_cap;             /* used, allocated */
    poll_voter *voters;                 /* everyone who ever took part; never removed, so indexes are stable */
    size_t nvoters, voters_cap;         /* used, allocated */
    uint32_t *slots;                    /* open addressing on pid: voter index + 1, 0 = free; power of two */
    size_t nslots;                      /* kept at least twice nvoters: probes stay short */

    poll_answer *answers;               /* text: answer id k is answers[k - 1] */
    uint32_t answers_next;              /* ids handed out so far; the next answer gets answers_next + 1 */
    uint32_t answers_cap;               /* allocated */
    poll_pending *pending;              /* store loading: upvotes waiting for poll_store_finish */
    size_t npending, pending_cap;       /* used, allocated */
    poll_passage passage;               /* the passage it is about, if any */
    bool folded;                        /* its ballot events carry the ballot, not the results: the history folds
                                         * them (poll_fold.h); false for polls stored before, whose events carry results */
} poll_t;

/* The workshop's polls in creation order. */
typedef struct poll_list {
    poll_t **v;            /* owned */
    size_t n, cap;       /* polls held, room for */
} poll_list;

/* Names, as on the wire ("?" for a value out of range). The _from_name
 * functions read them back: false when s is NULL or no such name. */
const char *poll_err_code(poll_err e);
const char *poll_kind_name(poll_kind k);
const char *poll_state_name(poll_state s);
const char *poll_visibility_name(poll_visibility v);
bool poll_kind_from_name(const char *s, poll_kind *k);
bool poll_state_from_name(const char *s, poll_state *st);
bool poll_visibility_from_name(const char *s, poll_visibility *v);
/* The label of a divergence: "aligned" (< 0.2), "partly_aligned" (< 0.5), "divergent". */
const char *poll_alignment_label(double divergence);
/* 1..POLL_ID_MAX base64url characters. */
bool poll_valid_id(const char *id);

const char *poll_respondents_name(poll_respondents r);
bool poll_respondents_from_name(const char *s, poll_respondents *r);
const char *poll_lang_name(poll_lang l);
bool poll_lang_from_name(const char *s, poll_lang *l);

/* Definitions (read from JSON by poll_def_from_json, poll_json.h). A
 * threshold of 0 stands for its respondents' default (POLL_MIN_GROUP for
 * people, 1 for organisations). */
poll_err poll_def_check(const poll_def *d, const char **why);
void poll_def_free(poll_def *d);
/* The threshold this poll's results are shown under. */
unsigned poll_threshold(const poll_t *p);

/* Lifecycle, facilitators only (others get POLL_EFORBIDDEN; a deleted poll_t
 * gives POLL_ENOT_FOUND to everyone). create and edit take ownership of *def
 * on success (it is left empty) and leave it to the caller otherwise. */
poll_err poll_create(poll_t **out, const char *id, bool facilitator, poll_def *def, int64_t created, const char **why);
poll_err poll_edit(poll_t *p, bool facilitator, poll_def *def, const char **why);       /* draft only */
poll_err poll_open(poll_t *p, bool facilitator, const char **why);                      /* draft -> open */
poll_err poll_close(poll_t *p, bool facilitator, const char **why);                     /* open -> closed */
poll_err poll_reopen(poll_t *p, bool facilitator, const char **why);                    /* closed -> open */
poll_err poll_set_visibility(poll_t *p, bool facilitator, poll_visibility v, const char **why); /* any state */
poll_err poll_delete(poll_t *p, bool facilitator, const char **why);                    /* any state -> deleted */
/* Open a draft with results visibility v, both at once (poll_create with
 * "open": true): draft -> open. */
poll_err poll_launch(poll_t *p, bool facilitator, poll_visibility v, const char **why);
void poll_free(poll_t *p);

/* Who sees what. Drafts are the facilitators' own; nobody sees a deleted poll. */
bool poll_visible(const poll_t *p, bool facilitator);
bool poll_may_see_results(const poll_t *p, bool facilitator);

/* Ballots (single, multiple, scale), while open. A new ballot replaces the
 * participant's previous one; a ballot with `none` withdraws it. org is the
 * participant's organisation (1..PROTO_NAME_MAX code points). Casting the
 * same ballot again changes nothing and returns POLL_OK. A client's ballot
 * is read by poll_ballot_from_json (poll_json.h). */
poll_err poll_vote(poll_t *p, const char *pid, const char *org, const poll_ballot *b, const char **why);

/* Who casts an organisation's ballot, and when. */
typedef struct poll_voter_id {
    const char *pid;     /* participant id */
    const char *name;    /* their name (1..PROTO_NAME_MAX code points) */
    const char *org;     /* their organisation: the one the ballot is for */
    int64_t at;          /* ms since the epoch, handed in */
    bool representative; /* they are one of its representatives (role "representative") */
} poll_voter_id;

/* Organisation answers (poll_org.c), while open: sets the voter's
 * organisation's one ballot (b `none`: withdraws it), whoever set it before;
 * every accepted vote records who cast it and when, so the organisation's
 * members see who changed its answer. poll_vote refuses these polls, and
 * this refuses polls that people answer. On a poll limited to
 * representatives, anyone but a representative is POLL_EFORBIDDEN (a
 * facilitator too: a facilitator is never an organisation's representative). */
poll_err poll_vote_org(poll_t *p, const poll_voter_id *who, const poll_ballot *b, const char **why);
/* The organisation named org, or NULL when no member voted yet. */
const poll_org *poll_org_find(const poll_t *p, const char *org);
/* The participant has something to be told back after joining: their
 * ballot or text answers, or on an organisations poll their organisation's. */
bool poll_took_part(const poll_t *p, const char *pid, const char *org);

/* Text answers, while open. Each participant has at most def.max live
 * answers; editing keeps the upvotes. A facilitator may delete any answer in
 * any state (moderation); a participant only their own, while open. Upvotes:
 * one per participant per answer, never on one's own; upvoting twice or
 * withdrawing an absent upvote changes nothing and returns POLL_OK. */
poll_err poll_answer_add(poll_t *p, const char *pid, const char *org, const char *text, uint32_t *answer_id,
                         const char **why);
poll_err poll_answer_edit(poll_t *p, const char *pid, uint32_t answer_id, const char *text, const char **why);
poll_err poll_answer_delete(poll_t *p, const char *pid, bool facilitator, uint32_t answer_id, const char **why);
poll_err poll_upvote(poll_t *p, const char *pid, const char *org, uint32_t answer_id, bool up, const char **why);

/* The divergence between the organisations broken out under min_group
 * (protocol/polls.md, "Alignment"), rounded to 4 decimals so that the number
 * sent and its label agree. False (null on the wire) for text polls and when
 * fewer than 2 organisations are broken out. */
bool poll_alignment(const poll_t *p, unsigned min_group, double *divergence);

/* Ranking polls (poll_rank.c, protocol/polls.md "Ranking polls"). A
 * group's figures for choice k from its respondents and the sum of the
 * positions they gave k (its counts[k]): the mean rank (1 = first), and the
 * Borda points (n - position for each respondent: first n - 1, last 0). */
double poll_rank_mean(uint32_t respondents, uint32_t rank_sum);
uint32_t poll_rank_borda(size_t nchoices, uint32_t respondents, uint32_t rank_sum);
/* The normalised Kendall tau distance between two groups' mean orders
 * (rank sums over n choices, respondents ra and rb): the share of pairs of
 * choices the two order differently, a pair tied in one order only counting
 * one half. In [0, 1]. */
double poll_rank_distance(const uint32_t *a, uint32_t ra, const uint32_t *b, uint32_t rb, size_t n);

/* Polls about a passage (poll_passage.c). from_json reads a client's
 * {"start", "end", "rev"} (start < end, at most PASSAGE_MAX code points) into
 * *out (set, no texts): the shell moves it to the current revision and
 * checks it fits the statement before poll_passage_set. */
poll_err poll_passage_from_json(const cJSON *v, poll_passage *out, const char **why);
/* Move p's passage to [start, end) at rev with its text then (taken, NULL
 * is kept as ""); true when the text is not what it was. */
bool poll_passage_set(poll_t *p, size_t start, size_t end, int64_t rev, char *text);
/* At a ballot: keep the passage's text as the one the first ballot was cast
 * on; true when it was not kept yet (the poll record must be stored). */
bool poll_passage_first_ballot(poll_t *p);
/* The passage's text is not the one the first ballot was cast on. */
bool poll_passage_changed(const poll_t *p);
void poll_passage_free(poll_passage *ps);

/* The list. add refuses a duplicate id (POLL_EBAD_REQUEST) and a full list
 * (POLL_ELIMIT), and takes ownership only on success; take removes a poll_t
 * and hands it back to be freed. */
void poll_list_init(poll_list *l);
void poll_list_free(poll_list *l);
poll_t *poll_list_find(const poll_list *l, const char *id);
poll_err poll_list_add(poll_list *l, poll_t *p, const char **why);
poll_t *poll_list_take(poll_list *l, const char *id);
/* Oldest first (creation time, then id): the order clients are promised. */
void poll_list_sort(poll_list *l);
/* The participant id of a live answer's author, or NULL. */
const char *poll_answer_author(const poll_t *p, uint32_t answer_id);

#endif
