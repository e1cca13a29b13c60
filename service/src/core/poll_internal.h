/* poll_internal.h -- what the poll files share and nobody else may use: the
 * model's steps that the wire codec (poll_json.c) and the store record
 * (poll_store.c) reuse, and the JSON pieces both of those write or read.
 * The `poll__` prefix marks them private. Not for other modules. */
#ifndef ATELIER_POLL_INTERNAL_H
#define ATELIER_POLL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/poll.h"
#include "core/sbuf.h"
#include <cjson/cJSON.h>

/* ---- poll.c: the model ---- */

/* Set *why (when why is not NULL) and return e. */
poll_err poll__fail(const char **why, poll_err e, const char *msg);
/* 1..max code points of valid UTF-8, no control character, not only spaces. */
bool poll__valid_text(const char *s, size_t max);
/* 1..POLL_PID_MAX bytes, none of them a space or a control character. */
bool poll__valid_pid(const char *pid);
/* A valid organisation name (utf8_valid_label, PROTO_NAME_MAX). */
bool poll__valid_org(const char *org);

/* The poll is live (open, not deleted) and takes this kind of input: text
 * answers when text, else ballots. */
poll_err poll__gate(const poll_t *p, bool text, const char **why);

/* A draft poll with no definition yet, or NULL when out of memory. */
poll_t *poll__alloc(const char *id, int64_t created);

/* The voter index of pid, or -1. */
long poll__voter_find(const poll_t *p, const char *pid);
/* The voter index of pid, created when absent and moved to org when they
 * come with another organisation than before; -1 when out of memory. */
long poll__voter_get(poll_t *p, const char *pid, const char *org);
/* The index of organisation name, or -1. */
long poll__org_find(const poll_t *p, const char *name);
/* The index of organisation name, added when absent; -1 when out of memory. */
long poll__org_get(poll_t *p, const char *name);
/* Add (s = +1) or remove (s = -1) ballot b of organisation org (one of its
 * members', or its own) from the tallies; a `none` ballot counts nowhere. */
void poll__tally(poll_t *p, uint32_t org, const poll_ballot *b, int s);
/* Set organisation oi's ballot (checked, or `none`) and who set it, moving
 * the tallies; poll_org.c. */
poll_err poll__org_set(poll_t *p, long oi, const poll_ballot *b, const char *pid, const char *name, int64_t at,
                       const char **why);

/* A text voter counts as a respondent: they have an answer or an upvote. */
bool poll__voter_active(const poll_voter *v);

/* b fits the poll's kind and definition (b is not `none`). */
poll_err poll__ballot_check(const poll_t *p, const poll_ballot *b, const char **why);
/* Record a checked ballot (not `none`) whatever the state. */
poll_err poll__record_ballot(poll_t *p, const char *pid, const char *org, const poll_ballot *b, const char **why);

/* The live answer with this id, or NULL (never handed out, or deleted). */
poll_answer *poll__live_answer(const poll_t *p, uint32_t id);
/* Voter vi upvoted a. */
bool poll__upvoted(const poll_answer *a, size_t vi);
/* Hand out answer ids up to n (deleted until filled); false when out of memory. */
bool poll__answers_extend(poll_t *p, uint32_t n);
/* Store answer `id` (a free id already handed out) for voter vi. */
poll_err poll__answer_put(poll_t *p, uint32_t vi, uint32_t id, const char *text, const char **why);
/* Set voter vi's upvote on a (not its author's, not already set). */
poll_err poll__upvote_set(poll_t *p, poll_answer *a, size_t vi, const char **why);
/* The voter index of each upvoter of a, in index order: start with *next = 0;
 * false when there are no more. */
bool poll__upvoter_next(const poll_answer *a, size_t *next, size_t *vi);

/* The kind has choices (single, multiple, rank). */
bool poll__has_choices(poll_kind k);
/* order[0..n) holds each of 0..n-1 exactly once (poll_rank.c). */
bool poll__rank_is_order(const uint8_t *order, size_t n);
/* Add (s = +1) or remove (s = -1) rank ballot b's positions to the
 * workshop-wide and the organisation's rank sums (poll_rank.c). */
void poll__rank_tally(uint32_t *all, uint32_t *org, const poll_ballot *b, size_t n, int s);

/* The anonymity threshold actually applied (0 means 1). */
unsigned poll__group_min(unsigned min_group);
/* The mean scale value of a group with at least one respondent. */
double poll__org_mean(const poll_org *o);

/* ---- poll_json.c: JSON pieces the wire and the store record share ---- */

/* "id":…,"kind":…,"question":…[,"choices":[…]][,"max":N][,"respondents":…][,"threshold":N]
 * [,"representatives_only":true][,"translations":{…}],"state":…,"results":…,"created":N */
void poll__put_head(sbuf *b, const poll_t *p);
/* ,"passage":{"start":…,"end":…,"rev":…,"text":…[,"first":…],"changed":…[,"gone":true]} when the poll is about one (poll_passage.c). */
void poll__put_passage(sbuf *b, const poll_t *p);
/* The stored passage of a poll record's "passage" (v: NULL when absent),
 * texts included (poll_passage.c). */
poll_err poll__passage_from_record(const cJSON *v, poll_passage *out, const char **why);
/* A ballot as on the wire: an index, an array of indexes, a scale value, or null. */
void poll__put_ballot(sbuf *b, const poll_t *p, const poll_ballot *bl);
/* "ballot":…,"by":{"participant":…,"name":…},"at":MS: organisation o's
 * ballot and who last voted for it; o NULL (no member voted yet): null, and
 * null by and at. */
void poll__put_org_ballot(sbuf *b, const poll_t *p, const poll_org *o);
/* What voter vi (-1: nobody) gave: "ballot":… (null when none), or on a text
 * poll "answers":[{"id":…,"text":…}],"upvotes":[answer ids]. Not for
 * organisations polls. */
void poll__put_mine(sbuf *b, const poll_t *p, long vi);

#endif
