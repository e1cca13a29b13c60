/* signoff.h -- the sign-off of the statement (protocol/agreement.md,
 * "Sign-off"): whether a call is open, each organisation's latest decision
 * (it endorsed the text of a revision, named by its SHA-256, or declined),
 * and the last agreement (every organisation present endorsed the current
 * text). The rules, and the JSON this state is stored, sent and folded from;
 * whether an endorsement completes an agreement is checked where every
 * process's decisions meet, in the Redis Function (signoff_write_present).
 *
 * Pure: no sockets, no Redis, no clock. The shell hands in who is present,
 * the current revision and its text's hash (core/digest.h), and times.
 *
 * Ownership: a signoff owns its decisions and agreement (signoff_free frees
 * them); a signoff_decision or signoff_agreement filled by a reader is the
 * caller's, freed with signoff_decision_free or signoff_agreement_free
 * unless handed to signoff_put or signoff_set_agreed, which take it. */
#ifndef ATELIER_SIGNOFF_H
#define ATELIER_SIGNOFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/digest.h"
#include "core/proto.h"
#include "core/sbuf.h"

#define SIGNOFF_REASON_MAX PROTO_REASON_MAX /* code points in a decline's reason */

struct hist_event;

typedef enum { SIGNOFF_ENDORSED, SIGNOFF_DECLINED } signoff_kind;

/* One organisation's decision. */
typedef struct signoff_decision {
    char *org;                   /* the organisation, as its people joined with it */
    signoff_kind kind;
    int64_t rev;                 /* endorsed: the revision endorsed; declined: the workshop's revision then */
    char sha256[DIGEST_SHA256_HEX + 1]; /* SHA-256 (hex) of the text at rev */
    char *reason;                /* declined: why; NULL when endorsed */
    char *by;                    /* the representative's participant id */
    char *name;                  /* their name */
    int64_t at;                  /* ms since the epoch */
} signoff_decision;

/* An agreement: every organisation present had endorsed the current text. */
typedef struct signoff_agreement {
    int64_t rev;                 /* the workshop's revision then (its text is the one agreed) */
    char sha256[DIGEST_SHA256_HEX + 1]; /* that text's SHA-256 */
    int64_t at;                  /* ms */
    char **orgs;                 /* the organisations, in byte order, each once */
    size_t norgs;
} signoff_agreement;

typedef struct signoff {
    bool open;                   /* a call is open: decisions are taken */
    int64_t called_at;           /* ms of the last call (0: never called) */
    signoff_decision *decisions; /* the latest per organisation, in byte order of its name */
    size_t ndecisions, decisions_cap;
    bool has_agreed;             /* `agreed` holds the last agreement */
    signoff_agreement agreed;
    bool oom;                    /* folding events ran out of memory: the state is incomplete */
} signoff;

void signoff_init(signoff *s);
void signoff_free(signoff *s);
void signoff_decision_free(signoff_decision *d);
void signoff_agreement_free(signoff_agreement *a);

/* ---- The rules ---- */

/* Why a call (calling) or a close (!calling) is not possible now, or NULL. */
const char *signoff_call_refusal(const signoff *s, bool calling);
/* Why an organisation may not decide now (no call open), or NULL. */
const char *signoff_decision_refusal(const signoff *s);
/* A call (open, at: its time) or a close, once stored. A close keeps the decisions and called_at. */
void signoff_set_open(signoff *s, bool open, int64_t at);
/* The organisation's decision, replacing its last one; d is taken (emptied) on
 * success. False (d still the caller's) when out of memory. */
bool signoff_put(signoff *s, signoff_decision *d);
/* The organisation's latest decision, or NULL. */
const signoff_decision *signoff_find(const signoff *s, const char *org);
/* The text changed since this decision: its hash is not the current text's. */
bool signoff_changed_since(const signoff_decision *d, const char *current_sha256);
/* The organisations present, as the agreement counts them: those of the
 * participants and representatives connected through any process (observers
 * and facilitators make no organisation present), each once, in byte order,
 * as a JSON array. False when out of memory. An endorsement completes an
 * agreement when every one of them has endorsed the current text: the Redis
 * Function decides it (store_functions.c, atelier_signoff), atomically with
 * the decisions every process stores. */
struct workshop;
bool signoff_write_present(sbuf *b, const struct workshop *w);
/* The last agreement is now a (taken). */
void signoff_set_agreed(signoff *s, signoff_agreement *a);

/* ---- JSON ---- */

/* "endorsed" or "declined"; false for any other text. */
bool signoff_kind_parse(const char *name, signoff_kind *kind);
const char *signoff_kind_name(signoff_kind kind);
/* A decision: {"org","decision","rev","sha256"[,"reason"],"by","name"[,"at"]}
 * (stored without "at" for the Redis Function to append its own time). */
void signoff_write_decision(sbuf *b, const signoff_decision *d, bool with_at);
/* A decision as stored or sent; false (d empty) when it is not a valid one. */
bool signoff_read_decision(const char *json, signoff_decision *d);
/* The call: {"open":true|false,"called_at":MS} (meta's "signoff" field). */
void signoff_write_call(sbuf *b, bool open, int64_t called_at);
bool signoff_read_call(const char *json, bool *open, int64_t *called_at);
/* An agreement: {"rev","sha256"[,"at"],"organisations":[…]} (stored without "at", like a decision). */
void signoff_write_agreement(sbuf *b, const signoff_agreement *a, bool with_at);
bool signoff_read_agreement(const char *json, signoff_agreement *a);
/* The state as clients get it: {"open","called_at","organisations":[…],"agreed":{…}|null}. */
void signoff_write(sbuf *b, const signoff *s);
/* The `signoff` message: the state with "type" (and the request's id, when idjson is not NULL or ""). */
void signoff_write_message(sbuf *b, const signoff *s, const char *idjson);

/* ---- The history ---- */

/* Fold one stored event in (signoff_called, signoff_closed, endorsed,
 * declined, agreed; others change nothing): the state at any moment of the
 * history, for the replay and the exports. */
void signoff_fold(signoff *s, const struct hist_event *e);

#endif
