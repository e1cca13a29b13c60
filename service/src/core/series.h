/* series.h -- a partnership as a series of workshops (protocol/series.md).
 * Pure: what a "next workshop" request brings, what is carried from the
 * ended workshop into the next one, and who changed the statement in a
 * workshop (by organisation). The word diff and the series' export are in
 * series_diff.h. */
#ifndef ATELIER_SERIES_H
#define ATELIER_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/proto.h"
#include "core/sbuf.h"

#define SERIES_MAX_WORKSHOPS 20 /* workshops a partnership holds at most (the next one past it is refused) */
#define SERIES_ID_LEN 22        /* base64url characters of a partnership id: 132 random bits, like a workshop's */
#define SERIES_ID_MAX 43        /* the longest partnership id read from a path */
#define SERIES_TOKEN_MAX 128    /* bytes of a creation token in a body (as --create-token) */

/* What is carried from the ended workshop into the next one, in order. A
 * part is one row here and one step in hub_series_next.c. */
typedef enum {
    SERIES_PART_STATEMENT,              /* its final text becomes the next one's text at revision 0 */
    SERIES_PART_AGREEMENT,              /* its last agreement: the text agreed and who endorsed it */
    SERIES_PART_BOARD,                  /* its priorities board, when it has items (copied by atelier_next) */
    SERIES_NPARTS
} series_part;
#define SERIES_ALL_PARTS ((1u << SERIES_NPARTS) - 1)
const char *series_part_name(series_part p);
/* The names of the parts in the set `parts` (bit p: part p), as a JSON array. */
void series_write_parts(sbuf *b, unsigned parts);

/* The body of POST /api/workshops/ID/next: {"title"?, "create_token"?}
 * (the body may be empty). */
typedef struct series_next_req {
    char *title;                        /* tidied label, or NULL: the previous workshop's; owned */
    char create_token[SERIES_TOKEN_MAX + 1]; /* "" when none was given */
} series_next_req;

/* PROTO_OK with *out filled (free with series_next_req_free); else
 * PROTO_EBAD_REQUEST (PROTO_EINTERNAL when out of memory) with *why (static). */
proto_err series_read_next(const char *body, size_t len, series_next_req *out, const char **why);
void series_next_req_free(series_next_req *r);

/* The body of POST /api/partnerships/ID: {"title": "…"}: *title (tidied,
 * malloc'd) or an error as above. */
proto_err series_read_title(const char *body, size_t len, char **title, const char **why);

/* One endorsement as the sign-off hash stores it (JSON text of a decision). */
typedef struct series_agreement_in {
    const char *agreed;                 /* meta's `agreed` JSON, NULL or "" when none */
    const char *const *decisions;       /* the signoff hash's values (JSON), n of them */
    size_t ndecisions;
    const char *text;                   /* the statement at agreed.rev (NULL when none) */
    size_t text_len;
} series_agreement_in;

/* The agreement carried, as JSON: {"rev","sha256","at","organisations",
 * "endorsers":[{"org","name","at"}],"text"}, endorsers being the organisations
 * of the agreement whose latest decision endorsed that text (by name); or
 * `null` when there was no agreement (or it does not read). */
void series_write_agreement(sbuf *b, const series_agreement_in *in);

/* The rev of an agreement (meta's `agreed`): false when none or unreadable. */
bool series_agreed_rev(const char *agreed, int64_t *rev);

/* What the next workshop records of where it comes from (meta's `carried`
 * and its `carried` event; the ended workshop's id goes beside it, as
 * `from`, which only facilitators are shown): {"title": the ended one's,
 * "parts": ["statement", "agreement", "board"] (those in `parts`), "agreement": …}.
 * agreement_json: written by series_write_agreement. */
void series_write_carried(sbuf *b, const char *title, unsigned parts, const char *agreement_json);

/* Who changed the statement during a workshop, by organisation: its
 * balance hash (HGETALL: field, value, field, value…) read into code points
 * inserted and deleted by each organisation, sorted by name (byte order).
 * Other fields (ballots, answers) are left out. */
typedef struct series_org {
    char *org;                          /* owned */
    int64_t inserted, deleted;          /* code points */
} series_org;
typedef struct series_orgs {
    series_org *v;
    size_t n, cap;
    bool oom;
} series_orgs;
void series_orgs_read(series_orgs *o, const char *const *kv, size_t nkv);
void series_orgs_free(series_orgs *o);
/* [{"org","inserted","deleted"}…] */
void series_orgs_write_json(sbuf *b, const series_orgs *o);

/* A partnership id as the server makes them (and reads from a path). */
bool series_valid_id(const char *id);

#endif
