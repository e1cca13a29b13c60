/* ot.h -- operational transformation for plain text, in the format and
 * semantics of the npm package ot-text-unicode (ShareDB's text type).
 *
 * Positions and lengths count Unicode code points. Pure: no I/O, no globals.
 * Every function returns OT_OK or an error code; outputs are only valid on
 * OT_OK. Ops own their strings: free with ot_op_free. Functions that produce
 * an op (copy, transform, compose) replace *out, which must be initialised or
 * zeroed: its old content is freed (out may be one of the inputs), and on
 * error it is left empty. */
#ifndef ATELIER_OT_H
#define ATELIER_OT_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    OT_OK = 0,
    OT_EINVALID,   /* op is malformed (see ot_op_check) */
    OT_ERANGE,     /* op does not fit the document (skip/delete past the end) */
    OT_EMISMATCH,  /* {d:"text"} does not match the document */
    OT_ENOMEM
} ot_status;

typedef enum { OT_SKIP = 1, OT_INSERT, OT_DELETE } ot_kind;

typedef enum { OT_LEFT = 0, OT_RIGHT = 1 } ot_side;

typedef struct ot_comp {
    ot_kind kind;
    size_t n;      /* code points skipped, inserted or deleted */
    char *s;       /* UTF-8 text: inserted text, or deleted text for {d:"text"}; NULL for skips and {d:n} */
    size_t len;    /* bytes in s */
} ot_comp;

typedef struct ot_op {
    ot_comp *c;    /* components, in order */
    size_t n;      /* number of components */
    size_t cap;    /* allocated components */
    bool packed;   /* one block holds the components and their strings (ot_op_pack): read-only */
} ot_op;

/* A code point index of a text and its byte offset. */
typedef struct ot_hint {
    size_t cp, byte;
} ot_hint;

#define OT_HINTS 16

/* The document: UTF-8 text with its code point count. */
typedef struct ot_text {
    char *buf;     /* UTF-8 bytes, NUL-terminated, always valid UTF-8 */
    size_t len;    /* bytes, excluding the NUL */
    size_t cap;    /* allocated bytes */
    size_t cps;    /* code points */
    /* Known byte offsets, kept true by ot_apply: a position is sought from
     * the nearest. Each is where an edit ended, so when several people type
     * at their own carets, each caret has one close by. */
    ot_hint hints[OT_HINTS];
    size_t nhints;    /* in use */
    size_t hint_next; /* replaced next once all are in use */
} ot_text;

void ot_op_init(ot_op *op);
void ot_op_free(ot_op *op);
ot_status ot_op_copy(ot_op *dst, const ot_op *src);
/* Append a component, merging with the last one when of the same kind.
 * s/len are copied (insert text, or deleted text; NULL for skips and {d:n}). */
ot_status ot_op_push(ot_op *op, ot_kind kind, size_t n, const char *s, size_t len);

/* Move op into one allocation: its components, then their strings (each
 * NUL-terminated), then `extra` bytes for the caller, at *tail (may be NULL
 * when extra is 0). An op kept a long time (a workshop's window) then costs
 * one block rather than one allocation per component. A packed op is read
 * like any other but is never changed: push, normalize and the in-place
 * transform refuse it (OT_EINVALID); ot_op_free frees the block, tail
 * included. On error op is unchanged. */
ot_status ot_op_pack(ot_op *op, size_t extra, char **tail);
/* Bytes op holds in memory, its components and strings (what ot_op_pack makes one block of). */
size_t ot_op_bytes(const ot_op *op);

/* Strict validity, stricter than the library: every component non-empty,
 * adjacent components of one kind merged, no trailing skip, strings valid
 * UTF-8 with n equal to their code point count. */
ot_status ot_op_check(const ot_op *op);
/* Merge adjacent components of one kind, drop empty ones and a trailing skip. */
void ot_op_normalize(ot_op *op);

/* Code points the op expects the document to have at least (skips + deletes). */
size_t ot_op_input_len(const ot_op *op);

ot_status ot_text_init(ot_text *t, const char *utf8, size_t len); /* len bytes, must be valid UTF-8 */
void ot_text_free(ot_text *t);
ot_status ot_text_copy(ot_text *dst, const ot_text *src); /* dst initialised or zeroed; its buffer is reused */

/* Check that op applies to t (ranges, {d:"text"} matches) without changing it. */
ot_status ot_check_fits(const ot_text *t, const ot_op *op);
/* Apply op to t in place. On error t is unchanged. */
ot_status ot_apply(ot_text *t, const ot_op *op);
/* The length in bytes t would have after op (which must fit: OT_ERANGE or
 * OT_EMISMATCH otherwise), without changing t. */
ot_status ot_applied_len(const ot_text *t, const ot_op *op, size_t *len);

/* out = op transformed so that it applies after other. side says whose
 * inserts go first at the same position: OT_LEFT means op's go first. */
ot_status ot_transform(ot_op *out, const ot_op *op, const ot_op *other, ot_side side);
/* *op = *op transformed over other, in place: the same result as
 * ot_transform(op, op, other, side), for less: one edit moved over another
 * is arithmetic on its leading skip, and otherwise op's strings move into
 * the result rather than being copied. Both ops must already have passed
 * ot_op_check, which is not repeated: for moving one op over many (a late
 * op over the ops committed since its revision), each checked once. On
 * error *op is left empty. A packed op cannot be moved in place (OT_EINVALID). */
ot_status ot_transform_checked(ot_op *op, const ot_op *other, ot_side side);
/* out = a then b, as one op. */
ot_status ot_compose(ot_op *out, const ot_op *a, const ot_op *b);
/* A caret at code point pos, moved over op (as ot-text-unicode's transformPosition). */
size_t ot_transform_position(size_t pos, const ot_op *op);

const char *ot_strerror(ot_status s);

#endif
