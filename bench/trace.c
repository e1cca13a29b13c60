/* trace.c -- see trace.h.
 *
 * A transaction's patches apply one after another, each against the text left
 * by the previous one, so they cannot simply be concatenated into one op.
 * We compose them with a segment list over the transaction's *output*: each
 * segment is either a kept range of the input text or inserted text. A patch
 * splits segments at its two ends, drops what lies between and puts its
 * insert there. Walking the final list gives skip / delete / insert runs over
 * the input text, i.e. one ot-text-unicode op. All ops are then applied to a
 * gap buffer and the result is compared with endContent, so a wrong op is a
 * bug of ours caught before anything is sent. */
#include "trace.h"

#include <cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

typedef struct cpvec {
    uint32_t *v;
    size_t n, cap;
} cpvec;

typedef struct seg {
    uint8_t ins;     /* 0: input text [a,b); 1: arena code points [a,b) */
    size_t a, b;
} seg;

typedef struct segvec {
    seg *v;
    size_t n, cap;
} segvec;

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

/* Document during the self-check: edits are local, so a gap buffer makes each
 * one cost the distance moved instead of the document size. */
typedef struct gapbuf {
    uint32_t *b;
    size_t cap, gs, ge;
} gapbuf;

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return q;
}

static void cp_push(cpvec *c, uint32_t x)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 256;
        c->v = xrealloc(c->v, c->cap * sizeof *c->v);
    }
    c->v[c->n++] = x;
}

static void sb_put(sbuf *s, const char *p, size_t n)
{
    if (s->n + n > s->cap) {
        size_t nc = s->cap ? s->cap : 4096;
        while (nc < s->n + n)
            nc *= 2;
        s->p = xrealloc(s->p, nc);
        s->cap = nc;
    }
    memcpy(s->p + s->n, p, n);
    s->n += n;
}

static void sb_num(sbuf *s, size_t x)
{
    char t[24];
    int n = snprintf(t, sizeof t, "%zu", x);
    sb_put(s, t, (size_t)n);
}

static size_t utf8_decode(const char *s, size_t n, cpvec *out)
{
    size_t i = 0, cnt = 0;
    const unsigned char *u = (const unsigned char *)s;
    while (i < n) {
        uint32_t c = u[i];
        size_t l = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        if (i + l > n)
            l = n - i;
        if (l == 2)
            c = (c & 0x1F) << 6 | (u[i + 1] & 0x3F);
        else if (l == 3)
            c = (c & 0x0F) << 12 | (uint32_t)(u[i + 1] & 0x3F) << 6 | (u[i + 2] & 0x3F);
        else if (l == 4)
            c = (c & 0x07) << 18 | (uint32_t)(u[i + 1] & 0x3F) << 12 | (uint32_t)(u[i + 2] & 0x3F) << 6 |
                (u[i + 3] & 0x3F);
        if (out)
            cp_push(out, c);
        i += l;
        cnt++;
    }
    return cnt;
}

size_t utf8_cps(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

static size_t utf8_encode(uint32_t c, char *o)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | c >> 6);
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | c >> 12);
        o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | c >> 18);
    o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

static void sb_json_cps(sbuf *s, const uint32_t *c, size_t n)
{
    sb_put(s, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        char t[8];
        uint32_t x = c[i];
        if (x == '"')
            sb_put(s, "\\\"", 2);
        else if (x == '\\')
            sb_put(s, "\\\\", 2);
        else if (x == '\n')
            sb_put(s, "\\n", 2);
        else if (x == '\t')
            sb_put(s, "\\t", 2);
        else if (x == '\r')
            sb_put(s, "\\r", 2);
        else if (x < 0x20) {
            snprintf(t, sizeof t, "\\u%04x", (unsigned)x);
            sb_put(s, t, 6);
        } else
            sb_put(s, t, utf8_encode(x, t));
    }
    sb_put(s, "\"", 1);
}

/* ---- gap buffer ---- */

static size_t gb_len(const gapbuf *g) { return g->cap - (g->ge - g->gs); }

static void gb_move(gapbuf *g, size_t pos)
{
    if (pos < g->gs) {
        size_t k = g->gs - pos;
        memmove(g->b + g->ge - k, g->b + pos, k * sizeof *g->b);
        g->gs -= k;
        g->ge -= k;
    } else if (pos > g->gs) {
        size_t k = pos - g->gs;
        memmove(g->b + g->gs, g->b + g->ge, k * sizeof *g->b);
        g->gs += k;
        g->ge += k;
    }
}

static void gb_insert(gapbuf *g, size_t pos, const uint32_t *c, size_t n)
{
    if (g->ge - g->gs < n) {
        size_t tail = g->cap - g->ge;
        size_t nc = (g->cap + n) * 2 + 1024;
        g->b = xrealloc(g->b, nc * sizeof *g->b);
        memmove(g->b + nc - tail, g->b + g->ge, tail * sizeof *g->b);
        g->ge = nc - tail;
        g->cap = nc;
    }
    gb_move(g, pos);
    memcpy(g->b + g->gs, c, n * sizeof *c);
    g->gs += n;
}

static void gb_delete(gapbuf *g, size_t pos, size_t n)
{
    gb_move(g, pos);
    g->ge += n;
}

/* ---- transaction composition ---- */

static void seg_insert_at(segvec *sv, size_t i, seg s)
{
    if (sv->n == sv->cap) {
        sv->cap = sv->cap ? sv->cap * 2 : 16;
        sv->v = xrealloc(sv->v, sv->cap * sizeof *sv->v);
    }
    memmove(sv->v + i + 1, sv->v + i, (sv->n - i) * sizeof *sv->v);
    sv->v[i] = s;
    sv->n++;
}

/* Index of the first segment starting at output position pos, splitting a
 * segment that straddles it. pos must not exceed the output length. */
static size_t split_at(segvec *sv, size_t pos)
{
    size_t acc = 0;
    for (size_t i = 0; i < sv->n; i++) {
        if (acc == pos)
            return i;
        size_t l = sv->v[i].b - sv->v[i].a;
        if (pos < acc + l) {
            seg right = sv->v[i];
            right.a += pos - acc;
            sv->v[i].b = right.a;
            seg_insert_at(sv, i + 1, right);
            return i + 1;
        }
        acc += l;
    }
    return sv->n;
}

enum { C_SKIP, C_DEL, C_INS };
typedef struct comp {
    int kind;
    size_t n;      /* code points */
    size_t off;    /* C_INS: start in the op's insert buffer */
} comp;

typedef struct compvec {
    comp *v;
    size_t n, cap;
} compvec;

static void comp_push(compvec *cv, int kind, size_t n, size_t off)
{
    if (!n)
        return;
    if (cv->n && cv->v[cv->n - 1].kind == kind && kind != C_INS) {
        cv->v[cv->n - 1].n += n;
        return;
    }
    if (cv->n == cv->cap) {
        cv->cap = cv->cap ? cv->cap * 2 : 16;
        cv->v = xrealloc(cv->v, cv->cap * sizeof *cv->v);
    }
    cv->v[cv->n++] = (comp){kind, n, off};
}

typedef struct builder {
    segvec sv;
    cpvec arena;    /* inserted text of the current transaction */
    cpvec opins;    /* insert runs of the op being emitted */
    compvec cv;
} builder;

/* Deletes then inserts that sit at the same input position. */
static void flush_gap(builder *bd, size_t del, size_t ins_from)
{
    comp_push(&bd->cv, C_DEL, del, 0);
    if (bd->opins.n > ins_from)
        comp_push(&bd->cv, C_INS, bd->opins.n - ins_from, ins_from);
}

/* Turn the segment list of a transaction over an input of in_len code points
 * into components. */
static void emit_op(builder *bd, size_t in_len)
{
    bd->cv.n = 0;
    bd->opins.n = 0;
    size_t o = 0, ins_from = 0;
    for (size_t i = 0; i < bd->sv.n; i++) {
        seg s = bd->sv.v[i];
        if (s.ins) {
            for (size_t k = s.a; k < s.b; k++)
                cp_push(&bd->opins, bd->arena.v[k]);
            continue;
        }
        flush_gap(bd, s.a - o, ins_from);
        ins_from = bd->opins.n;
        comp_push(&bd->cv, C_SKIP, s.b - s.a, 0);
        o = s.b;
    }
    flush_gap(bd, in_len - o, ins_from);
    if (bd->cv.n && bd->cv.v[bd->cv.n - 1].kind == C_SKIP)
        bd->cv.n--; /* an op must not end with a skip */
}

/* The server takes messages of at most 64 KiB; a transaction's op above this
 * budget (a 50 kB paste in rustcode) goes out as several consecutive ops,
 * each starting with a skip to where the previous one stopped. */
#define OP_BUDGET (48 * 1024)

/* Bytes one code point takes inside a JSON string as sb_json_cps writes it. */
static size_t json_cp_size(uint32_t x)
{
    if (x == '"' || x == '\\' || x == '\n' || x == '\t' || x == '\r')
        return 2;
    if (x < 0x20)
        return 6;
    return x < 0x80 ? 1 : x < 0x800 ? 2 : x < 0x10000 ? 3 : 4;
}

typedef struct emitter {
    trace *t;
    sbuf *out;
    gapbuf *g;
    size_t outpos;     /* code points of output the transaction has produced so far */
    size_t described;  /* output position the current op has reached */
    size_t cursor;     /* same, in the self-check document */
    size_t ncomp;      /* components written in the current op */
    int open;
    size_t cap;        /* allocated entries of t->off */
} emitter;

static void em_close(emitter *e)
{
    if (!e->open)
        return;
    sb_put(e->out, "]", 1);
    size_t sz = e->out->n - e->t->off[e->t->ntx];
    if (sz > e->t->max_op_bytes)
        e->t->max_op_bytes = sz;
    e->t->ntx++;
    e->open = 0;
}

/* Make sure an op is open with room for about `need` more bytes, and that it
 * has reached the current output position (leading or inner skip). */
static void em_reach(emitter *e, size_t need)
{
    if (e->open && e->ncomp && e->out->n - e->t->off[e->t->ntx] + need > OP_BUDGET) {
        em_close(e);
        e->t->nsplit++;
    }
    if (!e->open) {
        if (e->t->ntx + 2 > e->cap) {
            e->cap = e->cap * 2 + 1024;
            e->t->off = xrealloc(e->t->off, e->cap * sizeof *e->t->off);
        }
        e->t->off[e->t->ntx] = e->out->n;
        sb_put(e->out, "[", 1);
        e->open = 1;
        e->ncomp = 0;
        e->described = 0;
        e->cursor = 0;
    }
    if (e->outpos > e->described) {
        if (e->ncomp++)
            sb_put(e->out, ",", 1);
        sb_num(e->out, e->outpos - e->described);
        e->cursor += e->outpos - e->described;
        e->described = e->outpos;
    }
}

/* Write the transaction's components as one op (or several, see OP_BUDGET),
 * and apply exactly what is written to the self-check document. */
static void emit_and_apply(builder *bd, emitter *e)
{
    e->outpos = 0;
    for (size_t i = 0; i < bd->cv.n; i++) {
        comp c = bd->cv.v[i];
        if (c.kind == C_SKIP) {
            e->outpos += c.n; /* written lazily: never as a trailing skip */
        } else if (c.kind == C_DEL) {
            em_reach(e, 32);
            if (e->ncomp++)
                sb_put(e->out, ",", 1);
            sb_put(e->out, "{\"d\":", 5);
            sb_num(e->out, c.n);
            sb_put(e->out, "}", 1);
            gb_delete(e->g, e->cursor, c.n);
        } else {
            size_t k = 0;
            while (k < c.n) {
                em_reach(e, 0);
                size_t used = e->out->n - e->t->off[e->t->ntx] + 3, m = 0, bytes = 0;
                while (k + m < c.n) {
                    size_t b = json_cp_size(bd->opins.v[c.off + k + m]);
                    if (used + bytes + b > OP_BUDGET)
                        break;
                    bytes += b;
                    m++;
                }
                if (m == 0) { /* this op is full: go on in a fresh one */
                    em_close(e);
                    e->t->nsplit++;
                    continue;
                }
                if (e->ncomp++)
                    sb_put(e->out, ",", 1);
                sb_json_cps(e->out, bd->opins.v + c.off + k, m);
                gb_insert(e->g, e->cursor, bd->opins.v + c.off + k, m);
                e->cursor += m;
                e->outpos += m;
                e->described = e->outpos;
                k += m;
                /* The rest of this insert must not become a second adjacent
                 * string in the same op: it goes into the next op. */
                if (k < c.n) {
                    em_close(e);
                    e->t->nsplit++;
                }
            }
        }
    }
    em_close(e);
}

static char *read_gz(const char *path, size_t *len)
{
    gzFile f = gzopen(path, "rb"); /* reads plain files transparently too */
    if (!f)
        return NULL;
    size_t cap = 1 << 20, n = 0;
    char *b = xrealloc(NULL, cap);
    for (;;) {
        if (cap - n < (1 << 16)) {
            cap *= 2;
            b = xrealloc(b, cap);
        }
        int r = gzread(f, b + n, (unsigned)(cap - n - 1));
        if (r < 0) {
            gzclose(f);
            free(b);
            return NULL;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    gzclose(f);
    b[n] = 0;
    *len = n;
    return b;
}

int trace_load(const char *path, trace *t, char *err, size_t errsz)
{
    memset(t, 0, sizeof *t);
    size_t jl;
    char *js = read_gz(path, &jl);
    if (!js) {
        snprintf(err, errsz, "cannot read %s", path);
        return -1;
    }
    cJSON *root = cJSON_ParseWithLength(js, jl);
    free(js);
    if (!root) {
        snprintf(err, errsz, "%s is not JSON", path);
        return -1;
    }
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(root, "startContent");
    const cJSON *ec = cJSON_GetObjectItemCaseSensitive(root, "endContent");
    const cJSON *txns = cJSON_GetObjectItemCaseSensitive(root, "txns");
    if (!cJSON_IsString(sc) || !cJSON_IsString(ec) || !cJSON_IsArray(txns)) {
        snprintf(err, errsz, "%s: not a sequential trace (need startContent, endContent, txns)", path);
        cJSON_Delete(root);
        return -1;
    }
    t->start_len = strlen(sc->valuestring);
    t->start = strdup(sc->valuestring);
    t->end_len = strlen(ec->valuestring);
    t->end = strdup(ec->valuestring);
    t->end_cps = utf8_cps(t->end, t->end_len);

    size_t ntx_in = (size_t)cJSON_GetArraySize(txns);
    sbuf ops = {0};
    builder bd = {0};
    cpvec tmp = {0};
    gapbuf g = {0};
    tmp.n = 0;
    utf8_decode(t->start, t->start_len, &tmp);
    gb_insert(&g, 0, tmp.v, tmp.n);
    size_t doclen = tmp.n;
    emitter em = {.t = t, .out = &ops, .g = &g, .cap = ntx_in + 1};
    t->off = xrealloc(NULL, em.cap * sizeof *t->off);
    int rc = 0;
    size_t ti = 0;
    const cJSON *tx;
    cJSON_ArrayForEach(tx, txns)
    {
        size_t idx = ti++;
        const cJSON *patches = cJSON_GetObjectItemCaseSensitive(tx, "patches");
        if (!cJSON_IsArray(patches)) {
            snprintf(err, errsz, "txn %zu: no patches array", idx);
            rc = -1;
            break;
        }
        bd.sv.n = 0;
        bd.arena.n = 0;
        if (doclen)
            seg_insert_at(&bd.sv, 0, (seg){0, 0, doclen});
        size_t cur = doclen, np = 0;
        const cJSON *p;
        cJSON_ArrayForEach(p, patches)
        {
            const cJSON *pp = cJSON_GetArrayItem(p, 0), *pd = cJSON_GetArrayItem(p, 1),
                        *pi = cJSON_GetArrayItem(p, 2);
            if (!cJSON_IsNumber(pp) || !cJSON_IsNumber(pd) || !cJSON_IsString(pi) || pp->valuedouble < 0 ||
                pd->valuedouble < 0) {
                snprintf(err, errsz, "txn %zu: malformed patch", idx);
                rc = -1;
                break;
            }
            size_t pos = (size_t)pp->valuedouble, del = (size_t)pd->valuedouble;
            if (pos + del > cur) {
                snprintf(err, errsz, "txn %zu: patch [%zu,%zu] past the end (%zu)", idx, pos, del, cur);
                rc = -1;
                break;
            }
            size_t i = split_at(&bd.sv, pos);
            size_t j = split_at(&bd.sv, pos + del);
            memmove(bd.sv.v + i, bd.sv.v + j, (bd.sv.n - j) * sizeof *bd.sv.v);
            bd.sv.n -= j - i;
            size_t a = bd.arena.n;
            size_t ni = utf8_decode(pi->valuestring, strlen(pi->valuestring), &bd.arena);
            if (ni)
                seg_insert_at(&bd.sv, i, (seg){1, a, a + ni});
            cur = cur - del + ni;
            np++;
        }
        if (rc)
            break;
        t->ntxn++;
        t->npatches += np;
        t->multi += np > 1;
        emit_op(&bd, doclen);
        if (bd.cv.n == 0)
            continue; /* the transaction changed nothing: no op to send */
        emit_and_apply(&bd, &em);
        doclen = cur;
        if (gb_len(&g) != doclen) {
            snprintf(err, errsz, "txn %zu: composed op gives %zu code points, patches %zu", idx, gb_len(&g), doclen);
            rc = -1;
            break;
        }
    }
    cJSON_Delete(root);
    if (rc == 0) {
        /* The op stream must rebuild endContent exactly, or the replay proves nothing. */
        gb_move(&g, gb_len(&g));
        sbuf txt = {0};
        for (size_t i = 0; i < g.gs; i++) {
            char e[4];
            sb_put(&txt, e, utf8_encode(g.b[i], e));
        }
        if (txt.n != t->end_len || memcmp(txt.p, t->end, txt.n) != 0) {
            snprintf(err, errsz, "local replay of the composed ops does not give endContent (%zu vs %zu bytes)", txt.n,
                     t->end_len);
            rc = -1;
        }
        free(txt.p);
    }
    t->off[t->ntx] = ops.n;
    t->ops = ops.p;
    free(bd.sv.v);
    free(bd.arena.v);
    free(bd.opins.v);
    free(bd.cv.v);
    free(tmp.v);
    free(g.b);
    if (rc)
        trace_free(t);
    return rc;
}

void trace_free(trace *t)
{
    free(t->ops);
    free(t->off);
    free(t->start);
    free(t->end);
    memset(t, 0, sizeof *t);
}
