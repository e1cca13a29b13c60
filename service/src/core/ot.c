/* ot.c -- ot-text-unicode semantics in C.
 *
 * transform and compose walk one op component by component while cutting the
 * other into pieces, exactly where the JS library cuts: the results must be
 * equal to the library's byte for byte (protocol/vectors/ checks this), because
 * clients run the JS type and the server must agree on every op it relays.
 *
 * Output ops (copy, transform, compose) are built aside and only then replace
 * *out, whose previous content is released: callers pass an initialised (or
 * zeroed) op, and on error *out is left empty. */
#include "core/ot.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

/* ---- ops ---------------------------------------------------------------- */

void ot_op_init(ot_op *op) {
    op->c = NULL;
    op->n = 0;
    op->cap = 0;
    op->packed = false;
}

void ot_op_free(ot_op *op) {
    if (!op) return;
    if (!op->packed)
        for (size_t i = 0; i < op->n; i++) free(op->c[i].s);
    free(op->c);
    ot_op_init(op);
}

size_t ot_op_bytes(const ot_op *op) {
    size_t bytes = op->n * sizeof *op->c;
    for (size_t i = 0; i < op->n; i++)
        if (op->c[i].s) bytes += op->c[i].len + 1;
    return bytes;
}

ot_status ot_op_pack(ot_op *op, size_t extra, char **tail) {
    size_t bytes = ot_op_bytes(op);
    if (extra > SIZE_MAX - bytes - 1) return OT_ENOMEM;
    char *block = malloc(bytes + extra + 1); /* + 1: never a malloc(0) */
    if (!block) return OT_ENOMEM;
    ot_comp *c = (ot_comp *)(void *)block;
    char *p = block + op->n * sizeof *c;
    for (size_t i = 0; i < op->n; i++) {
        c[i] = op->c[i];
        if (!c[i].s) continue;
        memcpy(p, op->c[i].s, c[i].len);
        p[c[i].len] = '\0';
        c[i].s = p;
        p += c[i].len + 1;
    }
    size_t n = op->n;
    ot_op_free(op);
    *op = (ot_op){c, n, n, true};
    if (tail) *tail = p;
    return OT_OK;
}

static ot_status op_reserve(ot_op *op, size_t want) {
    if (want <= op->cap) return OT_OK;
    size_t cap = op->cap ? op->cap : 4;
    while (cap < want) {
        if (cap > SIZE_MAX / 2 / sizeof *op->c) return OT_ENOMEM;
        cap *= 2;
    }
    ot_comp *c = realloc(op->c, cap * sizeof *c);
    if (!c) return OT_ENOMEM;
    op->c = c;
    op->cap = cap;
    return OT_OK;
}

/* Strings are kept NUL-terminated so they can be handed to C APIs as is. */
static char *dup_bytes(const char *s, size_t len) {
    char *d = malloc(len + 1);
    if (!d) return NULL;
    if (len) memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

static ot_status append_bytes(ot_comp *c, const char *s, size_t len) {
    char *d = realloc(c->s, c->len + len + 1);
    if (!d) return OT_ENOMEM;
    memcpy(d + c->len, s, len);
    d[c->len + len] = '\0';
    c->s = d;
    c->len += len;
    return OT_OK;
}

/* Fold a component of a's kind (n, and text s/len or NULL) into a. As in the
 * library, two deletes keep their text only when both carry it; otherwise
 * the result is a bare count. */
static ot_status merge_into(ot_comp *a, const char *s, size_t len, size_t n) {
    switch (a->kind) {
    case OT_SKIP:
        break;
    case OT_INSERT: {
        ot_status st = append_bytes(a, s, len);
        if (st != OT_OK) return st;
        break;
    }
    case OT_DELETE:
        if (a->s && s) {
            ot_status st = append_bytes(a, s, len);
            if (st != OT_OK) return st;
        } else {
            free(a->s);
            a->s = NULL;
            a->len = 0;
        }
        break;
    }
    a->n += n;
    return OT_OK;
}

static bool kind_ok(ot_kind k) { return k == OT_SKIP || k == OT_INSERT || k == OT_DELETE; }

ot_status ot_op_push(ot_op *op, ot_kind kind, size_t n, const char *s, size_t len) {
    if (!kind_ok(kind) || op->packed) return OT_EINVALID;
    if (kind == OT_SKIP) s = NULL;
    if (kind == OT_INSERT && !s) return OT_EINVALID;
    if (n == 0 || (s && len == 0)) return OT_OK; /* no-op components vanish, as in the library */
    if (op->n > 0 && op->c[op->n - 1].kind == kind) return merge_into(&op->c[op->n - 1], s, len, n);
    ot_status st = op_reserve(op, op->n + 1);
    if (st != OT_OK) return st;
    ot_comp *c = &op->c[op->n];
    c->kind = kind;
    c->n = n;
    c->s = NULL;
    c->len = 0;
    if (s) {
        c->s = dup_bytes(s, len);
        if (!c->s) return OT_ENOMEM;
        c->len = len;
    }
    op->n++;
    return OT_OK;
}

ot_status ot_op_copy(ot_op *dst, const ot_op *src) {
    ot_op t;
    ot_op_init(&t);
    ot_status st = op_reserve(&t, src->n);
    for (size_t i = 0; st == OT_OK && i < src->n; i++) {
        ot_comp c = src->c[i];
        if (c.s) {
            c.s = dup_bytes(src->c[i].s, c.len);
            if (!c.s) st = OT_ENOMEM;
        }
        if (st == OT_OK) t.c[t.n++] = c;
    }
    ot_op_free(dst);
    if (st == OT_OK) *dst = t;
    else ot_op_free(&t);
    return st;
}

ot_status ot_op_check(const ot_op *op) {
    if (op->n > 0 && !op->c) return OT_EINVALID;
    for (size_t i = 0; i < op->n; i++) {
        const ot_comp *c = &op->c[i];
        if (!kind_ok(c->kind) || c->n == 0) return OT_EINVALID;
        if (i > 0 && op->c[i - 1].kind == c->kind) return OT_EINVALID;
        if (c->kind == OT_SKIP) {
            if (c->s) return OT_EINVALID;
            continue;
        }
        if (!c->s) {
            if (c->kind == OT_INSERT) return OT_EINVALID;
            continue;
        }
        if (c->len == 0 || !utf8_valid(c->s, c->len) || utf8_count(c->s, c->len) != c->n) return OT_EINVALID;
    }
    if (op->n > 0 && op->c[op->n - 1].kind == OT_SKIP) return OT_EINVALID;
    return OT_OK;
}

void ot_op_normalize(ot_op *op) {
    if (op->packed) return; /* packed ops come from checked ones: already normal */
    size_t w = 0;
    for (size_t r = 0; r < op->n; r++) {
        ot_comp c = op->c[r];
        bool empty = c.n == 0 || (c.kind != OT_SKIP && c.s && c.len == 0) || !kind_ok(c.kind);
        if (!empty && w > 0 && op->c[w - 1].kind == c.kind) {
            /* On allocation failure the pair stays unmerged: still a
             * correct op, merely not normalised. */
            if (merge_into(&op->c[w - 1], c.s, c.len, c.n) == OT_OK) empty = true;
        }
        if (empty) free(c.s);
        else op->c[w++] = c;
    }
    if (w > 0 && op->c[w - 1].kind == OT_SKIP) w--;
    op->n = w;
}

size_t ot_op_input_len(const ot_op *op) {
    size_t n = 0;
    for (size_t i = 0; i < op->n; i++)
        if (op->c[i].kind != OT_INSERT) n += op->c[i].n;
    return n;
}

/* ---- texts -------------------------------------------------------------- */

ot_status ot_text_init(ot_text *t, const char *utf8, size_t len) {
    memset(t, 0, sizeof *t);
    if (len > 0 && (!utf8 || !utf8_valid(utf8, len))) return OT_EINVALID;
    t->buf = dup_bytes(utf8, len);
    if (!t->buf) return OT_ENOMEM;
    t->len = len;
    t->cap = len + 1;
    t->cps = utf8_count(utf8, len);
    return OT_OK;
}

void ot_text_free(ot_text *t) {
    if (!t) return;
    free(t->buf);
    memset(t, 0, sizeof *t);
}

/* dst must be initialised (or zeroed): its buffer is reused when big enough. */
ot_status ot_text_copy(ot_text *dst, const ot_text *src) {
    if (dst == src) return OT_OK;
    if (!dst->buf || dst->cap < src->len + 1) {
        char *b = realloc(dst->buf, src->len + 1);
        if (!b) return OT_ENOMEM;
        dst->buf = b;
        dst->cap = src->len + 1;
    }
    if (src->len) memcpy(dst->buf, src->buf, src->len);
    dst->buf[src->len] = '\0';
    dst->len = src->len;
    dst->cps = src->cps;
    memcpy(dst->hints, src->hints, sizeof dst->hints);
    dst->nhints = src->nhints;
    dst->hint_next = src->hint_next;
    return OT_OK;
}

static size_t dist(size_t a, size_t b) { return a > b ? a - b : b - a; }

/* Code points within which a new hint replaces an old one rather than
 * taking a slot: a seek of this many costs a few word steps. */
#define OT_HINT_NEAR 64
/* Code points close enough to scan without looking for a nearer hint. */
#define OT_SEEK_SHORT 16

/* Byte offset of code point cp, scanning from whichever known position is
 * closest: (kc, kb), one of the text's hints, or its end. */
static size_t seek(const ot_text *t, size_t kc, size_t kb, size_t cp) {
    if (cp >= t->cps) return t->len;
    size_t fc = kc, fb = kb, best = dist(kc, cp);
    if (t->cps - cp < best) {
        fc = t->cps;
        fb = t->len;
        best = t->cps - cp;
    }
    size_t near = t->nhints; /* the nearest hint, if nearer */
    for (size_t i = 0; i < t->nhints && best > OT_SEEK_SHORT; i++) {
        size_t d = dist(t->hints[i].cp, cp);
        if (d < best) {
            near = i;
            best = d;
        }
    }
    /* ot_apply keeps hints true; one set from outside may be stale */
    if (near < t->nhints && t->hints[near].cp <= t->cps && t->hints[near].byte <= t->len) {
        fc = t->hints[near].cp;
        fb = t->hints[near].byte;
    }
    return utf8_offset(t->buf, t->len, fc, fb, cp);
}

/* After an edit that changed code points [first, end) of the old text (old
 * counts old_cps, old_len): hints before it still hold, hints after it move
 * with the text, hints inside it are dropped. Then the position just after
 * the edit, (cp, byte) in the new text, becomes a hint: in place of the
 * nearest one if that is close (most likely the one this edit was sought
 * from: the same writer's caret, which it follows), so that each caret
 * keeps one hint rather than the last few edits all of them. */
static void hints_update(ot_text *t, size_t first, size_t end, size_t old_cps, size_t old_len, size_t cp,
                         size_t byte) {
    size_t w = 0, near = 0, best = SIZE_MAX;
    for (size_t i = 0; i < t->nhints; i++) {
        ot_hint h = t->hints[i];
        if (h.cp > old_cps || h.byte > old_len) continue; /* stale */
        if (h.cp > first) {
            if (h.cp < end) continue;
            h.cp = h.cp - old_cps + t->cps;
            h.byte = h.byte - old_len + t->len;
        }
        if (dist(h.cp, cp) < best) {
            best = dist(h.cp, cp);
            near = w;
        }
        t->hints[w++] = h;
    }
    t->nhints = w;
    if (best <= OT_HINT_NEAR) {
        t->hints[near] = (ot_hint){cp, byte};
    } else if (t->nhints < OT_HINTS) {
        t->hints[t->nhints++] = (ot_hint){cp, byte};
    } else {
        if (t->hint_next >= OT_HINTS) t->hint_next = 0;
        t->hints[t->hint_next] = (ot_hint){cp, byte};
        t->hint_next = (t->hint_next + 1) % OT_HINTS;
    }
}

/* Walk op over t checking ranges and {d:"text"} matches. With bpos (op->n + 1
 * entries) also record the byte offset in t where each component starts, and
 * where the op's input ends. Without it, seek only for string deletes. */
static ot_status locate(const ot_text *t, const ot_op *op, size_t *bpos) {
    size_t pos = 0;        /* code point where the current component starts */
    size_t kc = 0, kb = 0; /* a known (code point, byte) pair, kc <= pos */
    for (size_t i = 0; i < op->n; i++) {
        const ot_comp *c = &op->c[i];
        if (bpos) {
            bpos[i] = seek(t, kc, kb, pos);
            kc = pos;
            kb = bpos[i];
        }
        if (c->kind == OT_INSERT) continue;
        if (c->n > t->cps - pos) return OT_ERANGE;
        if (c->kind == OT_DELETE && c->s) {
            size_t b = bpos ? bpos[i] : seek(t, kc, kb, pos);
            if (c->len > t->len - b || memcmp(t->buf + b, c->s, c->len) != 0) return OT_EMISMATCH;
            kc = pos + c->n;
            kb = b + c->len;
        }
        pos += c->n;
    }
    if (bpos) bpos[op->n] = seek(t, kc, kb, pos);
    return OT_OK;
}

ot_status ot_check_fits(const ot_text *t, const ot_op *op) {
    ot_status st = ot_op_check(op);
    return st != OT_OK ? st : locate(t, op, NULL);
}

ot_status ot_applied_len(const ot_text *t, const ot_op *op, size_t *len) {
    ot_status st = ot_op_check(op);
    if (st != OT_OK) return st;
    if (op->n >= SIZE_MAX / sizeof(size_t) - 1) return OT_ENOMEM;
    size_t *bpos = malloc((op->n + 1) * sizeof *bpos);
    if (!bpos) return OT_ENOMEM;
    st = locate(t, op, bpos);
    size_t n = t->len;
    for (size_t i = 0; st == OT_OK && i < op->n; i++) {
        if (op->c[i].kind == OT_INSERT) n += op->c[i].len;
        else if (op->c[i].kind == OT_DELETE) n -= bpos[i + 1] - bpos[i];
    }
    free(bpos);
    if (st == OT_OK) *len = n;
    return st;
}

/* A kept run of old text (a skip, or the tail after the op) together with the
 * inserts written just before it, components [first, last). */
typedef struct {
    size_t first, last;
    size_t src, dst, len; /* old offset, new offset, bytes */
} unit;

static void write_inserts(char *buf, const ot_op *op, const unit *u, size_t end) {
    size_t ins = 0;
    for (size_t i = u->first; i < u->last; i++)
        if (op->c[i].kind == OT_INSERT) ins += op->c[i].len;
    size_t at = end - ins;
    for (size_t i = u->first; i < u->last; i++) {
        const ot_comp *c = &op->c[i];
        if (c->kind != OT_INSERT) continue;
        memcpy(buf + at, c->s, c->len);
        at += c->len;
    }
}

/* Units are moved in place. A unit moving left (or staying) only overwrites
 * bytes before its old position, all of which are already placed when units
 * go left to right; a unit moving right may overwrite the old bytes of the
 * next right-moving units, so each maximal run of those goes right to left,
 * the unit's own text before the inserts that land on its old bytes. */
static void move_units(char *buf, const ot_op *op, const unit *u, size_t nu) {
    size_t i = 0;
    while (i < nu) {
        if (u[i].dst <= u[i].src) {
            write_inserts(buf, op, &u[i], u[i].dst);
            if (u[i].dst != u[i].src) memmove(buf + u[i].dst, buf + u[i].src, u[i].len);
            i++;
            continue;
        }
        size_t j = i;
        while (j < nu && u[j].dst > u[j].src) j++;
        for (size_t k = j; k-- > i;) {
            memmove(buf + u[k].dst, buf + u[k].src, u[k].len);
            write_inserts(buf, op, &u[k], u[k].dst);
        }
        i = j;
    }
}

/* Ops that fit on ot_apply's stack, without an allocation: a typed
 * character or a short edit has far fewer components and skips. */
#define APPLY_STACK_COMPONENTS 16
#define APPLY_STACK_SKIPS 8

ot_status ot_apply(ot_text *t, const ot_op *op) {
    ot_status st = ot_op_check(op);
    if (st != OT_OK) return st;
    if (op->n == 0) return OT_OK;

    /* One block: byte offsets (n + 1), then units (at most one per skip, plus the tail). */
    size_t nskips = 0;
    for (size_t i = 0; i < op->n; i++) nskips += op->c[i].kind == OT_SKIP;
    size_t stackpos[APPLY_STACK_COMPONENTS + 1];
    unit stackunits[APPLY_STACK_SKIPS + 1];
    size_t *bpos = stackpos;
    unit *u = stackunits;
    void *heap = NULL;
    if (op->n + 1 > sizeof stackpos / sizeof *stackpos || nskips + 1 > sizeof stackunits / sizeof *stackunits) {
        if (op->n >= SIZE_MAX / 2 / (sizeof *bpos + sizeof *u)) return OT_ENOMEM;
        heap = malloc((nskips + 1) * sizeof *u + (op->n + 1) * sizeof *bpos);
        if (!heap) return OT_ENOMEM;
        u = heap;
        bpos = (size_t *)(u + nskips + 1);
    }

    st = locate(t, op, bpos);
    if (st != OT_OK) {
        free(heap);
        return st;
    }

    size_t nu = 0, first = 0;
    size_t d = 0;                       /* new byte offset */
    size_t cp = 0;                      /* new code point offset */
    size_t ins_cps = 0, del_cps = 0;
    for (size_t i = 0; i < op->n; i++) {
        const ot_comp *c = &op->c[i];
        if (c->kind == OT_INSERT) {
            d += c->len;
            cp += c->n;
            ins_cps += c->n;
        } else if (c->kind == OT_DELETE) {
            del_cps += c->n;
        } else {
            u[nu++] = (unit){first, i, bpos[i], d, bpos[i + 1] - bpos[i]};
            d += bpos[i + 1] - bpos[i];
            cp += c->n;
            first = i + 1;
        }
    }
    size_t hint_cp = cp, hint_byte = d; /* just after the last edit */
    size_t edit_first = op->c[0].kind == OT_SKIP ? op->c[0].n : 0; /* the edit, in old code points */
    size_t edit_end = cp - ins_cps + del_cps;
    u[nu] = (unit){first, op->n, bpos[op->n], d, t->len - bpos[op->n]};
    size_t newlen = d + u[nu].len;
    nu++;

    size_t need = (newlen > t->len ? newlen : t->len) + 1;
    if (!t->buf || need > t->cap) {
        size_t cap = t->cap + t->cap / 2;
        if (cap < need) cap = need;
        char *b = realloc(t->buf, cap);
        if (!b) {
            free(heap);
            return OT_ENOMEM;
        }
        t->buf = b;
        t->cap = cap;
    }
    move_units(t->buf, op, u, nu);
    t->buf[newlen] = '\0';
    size_t old_len = t->len, old_cps = t->cps;
    t->len = newlen;
    t->cps = t->cps - del_cps + ins_cps;
    hints_update(t, edit_first, edit_end, old_cps, old_len, hint_cp, hint_byte);
    free(heap);
    return OT_OK;
}

/* ---- transform and compose ---------------------------------------------- */

/* Reads an op in pieces. A piece points into the op's strings. */
typedef struct {
    const ot_op *op;
    ot_op *owner; /* op itself when its strings may move into the result, else NULL */
    size_t idx;   /* current component */
    size_t off;   /* code points of it already taken */
    size_t boff;  /* bytes of its string already taken */
} reader;

typedef struct {
    ot_kind kind; /* 0: the op is exhausted */
    size_t n;
    const char *s;
    size_t len;
    char **own;   /* a whole component's string that may be moved rather than copied, or NULL */
} piece;

#define TAKE_REST SIZE_MAX

/* Take up to n code points (TAKE_REST: the rest of the component). Components
 * of kind `whole` are never split. Past the end an op skips forever. */
static piece take(reader *r, size_t n, ot_kind whole) {
    piece p = {0, 0, NULL, 0, NULL};
    if (r->idx == r->op->n) {
        if (n != TAKE_REST) {
            p.kind = OT_SKIP;
            p.n = n;
        }
        return p;
    }
    const ot_comp *c = &r->op->c[r->idx];
    size_t left = c->n - r->off;
    p.kind = c->kind;
    if (c->s) p.s = c->s + r->boff;
    if (n == TAKE_REST || c->kind == whole || left <= n) {
        p.n = left;
        if (c->s) p.len = c->len - r->boff;
        if (c->s && r->owner && r->off == 0) p.own = &r->owner->c[r->idx].s;
        r->idx++;
        r->off = 0;
        r->boff = 0;
    } else {
        p.n = n;
        if (c->s) {
            p.len = utf8_offset(p.s, c->len - r->boff, 0, 0, n);
            r->boff += p.len;
        }
        r->off += n;
    }
    return p;
}

static ot_kind peek(const reader *r) { return r->idx < r->op->n ? r->op->c[r->idx].kind : 0; }

/* Append a piece; a whole component's string is moved when it may be (and
 * it does not merge into the last component): no copy, no allocation. */
static ot_status push_piece(ot_op *op, piece p) {
    bool merges = op->n > 0 && op->c[op->n - 1].kind == p.kind;
    if (!p.own || merges || p.n == 0 || p.len == 0) return ot_op_push(op, p.kind, p.n, p.s, p.len);
    ot_status st = op_reserve(op, op->n + 1);
    if (st != OT_OK) return st;
    op->c[op->n++] = (ot_comp){p.kind, p.n, *p.own, p.len};
    *p.own = NULL;
    return OT_OK;
}

static void trim(ot_op *op) {
    if (op->n > 0 && op->c[op->n - 1].kind == OT_SKIP) op->n--;
}

static ot_status finish(ot_op *out, ot_op *built, ot_status st) {
    ot_op_free(out);
    if (st == OT_OK) {
        trim(built);
        *out = *built;
    } else {
        ot_op_free(built);
    }
    return st;
}

/* The walk of transform: r = op moved over other. Inputs already checked.
 * With rd->owner set, op's whole strings move into r. */
static ot_status transform_walk(ot_op *r, reader *rd, const ot_op *other, ot_side side) {
    ot_status st = OT_OK;
    for (size_t i = 0; st == OT_OK && i < other->n; i++) {
        const ot_comp *c = &other->c[i];
        size_t len = c->n;
        piece p;
        switch (c->kind) {
        case OT_SKIP: /* keep op's components over the kept text, inserts whole */
            while (st == OT_OK && len > 0) {
                p = take(rd, len, OT_INSERT);
                st = push_piece(r, p);
                if (p.kind != OT_INSERT) len -= p.n;
            }
            break;
        case OT_INSERT: /* skip other's insert, after op's own one if op wins the tie */
            if (side == OT_LEFT && peek(rd) == OT_INSERT) st = push_piece(r, take(rd, TAKE_REST, 0));
            if (st == OT_OK) st = ot_op_push(r, OT_SKIP, c->n, NULL, 0);
            break;
        case OT_DELETE: /* the text is gone: drop op's skips and deletes over it */
            while (st == OT_OK && len > 0) {
                p = take(rd, len, OT_INSERT);
                if (p.kind == OT_INSERT) st = push_piece(r, p);
                else len -= p.n;
            }
            break;
        }
    }
    for (piece p; st == OT_OK && (p = take(rd, TAKE_REST, 0)).kind;) st = push_piece(r, p);
    return st;
}

ot_status ot_transform(ot_op *out, const ot_op *op, const ot_op *other, ot_side side) {
    ot_op r;
    ot_op_init(&r);
    ot_status st = ot_op_check(op);
    if (st == OT_OK) st = ot_op_check(other);
    if (st == OT_OK && side != OT_LEFT && side != OT_RIGHT) st = OT_EINVALID;
    reader rd = {op, NULL, 0, 0, 0};
    if (st == OT_OK) st = transform_walk(&r, &rd, other, side);
    return finish(out, &r, st);
}

/* Most ops are one edit at one place (a keystroke, a backspace): an
 * optional skip, then one insert or delete. Sets *at and *edit. */
static bool single_edit(const ot_op *op, size_t *at, const ot_comp **edit) {
    if (op->n == 1 && op->c[0].kind != OT_SKIP) {
        *at = 0;
        *edit = &op->c[0];
        return true;
    }
    if (op->n == 2 && op->c[0].kind == OT_SKIP && op->c[1].kind != OT_SKIP) {
        *at = op->c[0].n;
        *edit = &op->c[1];
        return true;
    }
    return false;
}

/* Where edit x at code point `at` goes when moved over edit y at q: what the
 * walk of transform_walk gives for such a pair, worked out. False when the
 * walk is needed: x deletes across y's insert, or two deletes overlap (both
 * split the delete). */
static bool move_single(size_t at, const ot_comp *x, size_t q, const ot_comp *y, ot_side side, size_t *to) {
    if (y->kind == OT_INSERT) {
        if (x->kind == OT_INSERT) /* at the same place, left goes first */
            *to = q < at || (q == at && side == OT_RIGHT) ? at + y->n : at;
        else if (q <= at)
            *to = at + y->n;
        else if (q >= at + x->n)
            *to = at;
        else
            return false;
        return true;
    }
    if (x->kind == OT_INSERT) /* an insert inside deleted text lands where the text was */
        *to = at <= q ? at : at >= q + y->n ? at - y->n : q;
    else if (at + x->n <= q)
        *to = at;
    else if (q + y->n <= at)
        *to = at - y->n;
    else
        return false;
    return true;
}

/* A single edit put at code point `at`: its leading skip set, added or removed. */
static ot_status move_edit(ot_op *op, size_t at) {
    bool skip = op->c[0].kind == OT_SKIP;
    if (skip && at > 0) {
        op->c[0].n = at;
    } else if (skip) {
        op->c[0] = op->c[1];
        op->n = 1;
    } else if (at > 0) {
        ot_status st = op_reserve(op, 2);
        if (st != OT_OK) return st;
        op->c[1] = op->c[0];
        op->c[0] = (ot_comp){OT_SKIP, at, NULL, 0};
        op->n = 2;
    }
    return OT_OK;
}

ot_status ot_transform_checked(ot_op *op, const ot_op *other, ot_side side) {
    if ((side != OT_LEFT && side != OT_RIGHT) || op->packed) {
        ot_op_free(op);
        return OT_EINVALID;
    }
    size_t at, q, to;
    const ot_comp *x, *y;
    if (single_edit(op, &at, &x) && single_edit(other, &q, &y) && move_single(at, x, q, y, side, &to)) {
        ot_status st = move_edit(op, to);
        if (st != OT_OK) ot_op_free(op);
        return st;
    }
    ot_op r;
    ot_op_init(&r);
    reader rd = {op, op, 0, 0, 0};
    ot_status st = transform_walk(&r, &rd, other, side);
    return finish(op, &r, st); /* frees what is left of op: the strings that moved are NULL there */
}

ot_status ot_compose(ot_op *out, const ot_op *a, const ot_op *b) {
    ot_op r;
    ot_op_init(&r);
    ot_status st = ot_op_check(a);
    if (st == OT_OK) st = ot_op_check(b);
    reader rd = {a, NULL, 0, 0, 0};
    for (size_t i = 0; st == OT_OK && i < b->n; i++) {
        const ot_comp *c = &b->c[i];
        piece p;
        switch (c->kind) {
        case OT_SKIP: { /* b keeps a's output: copy a, whose deletes take no room in it */
            size_t len = c->n;
            while (st == OT_OK && len > 0) {
                p = take(&rd, len, OT_DELETE);
                st = push_piece(&r, p);
                if (p.kind != OT_DELETE) len -= p.n;
            }
            break;
        }
        case OT_INSERT:
            st = ot_op_push(&r, OT_INSERT, c->n, c->s, c->len);
            break;
        case OT_DELETE: { /* b deletes a's output: cancel a's inserts, delete a's kept text */
            size_t off = 0, boff = 0; /* into b's delete, code points and bytes */
            while (st == OT_OK && off < c->n) {
                p = take(&rd, c->n - off, OT_DELETE);
                if (p.kind == OT_DELETE) {
                    st = push_piece(&r, p);
                    continue;
                }
                size_t bytes = c->s ? utf8_offset(c->s + boff, c->len - boff, 0, 0, p.n) : 0;
                if (p.kind == OT_SKIP) st = ot_op_push(&r, OT_DELETE, p.n, c->s ? c->s + boff : NULL, bytes);
                off += p.n;
                boff += bytes;
            }
            break;
        }
        }
    }
    for (piece p; st == OT_OK && (p = take(&rd, TAKE_REST, 0)).kind;) st = push_piece(&r, p);
    return finish(out, &r, st);
}

size_t ot_transform_position(size_t pos, const ot_op *op) {
    size_t at = 0; /* where the op is, in the document as it was */
    for (size_t i = 0; i < op->n && pos > at; i++) {
        const ot_comp *c = &op->c[i];
        switch (c->kind) {
        case OT_SKIP:
            at += c->n;
            break;
        case OT_INSERT:
            at += c->n;
            pos += c->n;
            break;
        case OT_DELETE:
            pos -= c->n < pos - at ? c->n : pos - at;
            break;
        }
    }
    return pos;
}

const char *ot_strerror(ot_status s) {
    switch (s) {
    case OT_OK: return "ok";
    case OT_EINVALID: return "malformed op";
    case OT_ERANGE: return "op does not fit the document";
    case OT_EMISMATCH: return "deleted text does not match the document";
    case OT_ENOMEM: return "out of memory";
    }
    return "unknown error";
}
