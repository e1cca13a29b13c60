/* fuzz_ot.c -- libFuzzer target for the OT core: a document and two ops
 * concurrent on it, from the input; apply, transform and compose must never
 * crash, and whenever both ops apply, transformation must converge (TP1).
 *
 * Two input forms, so both readable seeds and raw bytes are productive:
 *   - starting with '[': JSON ["document", opA, opB] (ops in wire form, read
 *     with ot_op_from_json, i.e. as strictly as the server reads them);
 *   - anything else: bytes drive a small generator of a document and two ops
 *     built with ot_op_push, which may or may not fit the document. */
#include <cjson/cJSON.h>

#include "fuzz.h"

#include "core/ot_json.h"
#include "core/utf8.h"

static const char *const fuzz_pieces[] = {"a", "b", " ", "\n", "é", "à", "Œ", "«", "😀", "𝄞", "🇫", "\"", "\\", "\x7f"};
#define FUZZ_NPIECES (sizeof fuzz_pieces / sizeof *fuzz_pieces)

typedef struct {
    const uint8_t *p;
    size_t n, at;
} fuzz_bytes;

static uint8_t fuzz_byte(fuzz_bytes *r) { return r->at < r->n ? r->p[r->at++] : 0; }

/* Up to 4 pieces of text into buf (room for 64 bytes). */
static size_t fuzz_text(fuzz_bytes *r, char *buf, size_t max_pieces) {
    size_t k = fuzz_byte(r) % (max_pieces + 1), len = 0;
    for (size_t i = 0; i < k; i++) {
        const char *s = fuzz_pieces[fuzz_byte(r) % FUZZ_NPIECES];
        memcpy(buf + len, s, strlen(s));
        len += strlen(s);
    }
    buf[len] = '\0';
    return len;
}

/* An op near the document: skips, inserts and deletes of a few code points,
 * deletes carrying the text they would meet (or not). */
static void fuzz_gen_op(fuzz_bytes *r, const ot_text *doc, ot_op *op) {
    ot_op_init(op);
    size_t pos = 0, ncomp = fuzz_byte(r) % 6;
    for (size_t i = 0; i < ncomp; i++) {
        uint8_t b = fuzz_byte(r);
        char text[64];
        size_t len;
        switch (b % 4) {
        case 0: {
            size_t n = 1 + (b >> 2) % 5;
            FUZZ_REQUIRE(ot_op_push(op, OT_SKIP, n, NULL, 0) == OT_OK);
            pos += n;
            break;
        }
        case 1:
            len = fuzz_text(r, text, 4);
            if (len) FUZZ_REQUIRE(ot_op_push(op, OT_INSERT, utf8_count(text, len), text, len) == OT_OK);
            break;
        case 2: { /* {d:n} */
            size_t n = 1 + (b >> 2) % 4;
            FUZZ_REQUIRE(ot_op_push(op, OT_DELETE, n, NULL, 0) == OT_OK);
            pos += n;
            break;
        }
        default: { /* {d:"text"}: the document's own text when there is some, else made up */
            size_t n = 1 + (b >> 2) % 4;
            if (pos < doc->cps && (b & 0x80)) {
                if (n > doc->cps - pos) n = doc->cps - pos;
                size_t b0 = utf8_offset(doc->buf, doc->len, 0, 0, pos);
                size_t b1 = utf8_offset(doc->buf, doc->len, pos, b0, pos + n);
                FUZZ_REQUIRE(ot_op_push(op, OT_DELETE, n, doc->buf + b0, b1 - b0) == OT_OK);
            } else {
                len = fuzz_text(r, text, 3);
                if (!len) break;
                n = utf8_count(text, len);
                FUZZ_REQUIRE(ot_op_push(op, OT_DELETE, n, text, len) == OT_OK);
            }
            pos += n;
            break;
        }
        }
    }
    ot_op_normalize(op);
}

/* Decode the input into a document and two valid ops; false: not usable. */
static bool fuzz_read_case(const uint8_t *data, size_t size, ot_text *doc, ot_op *a, ot_op *b) {
    ot_op_init(a);
    ot_op_init(b);
    if (size > 0 && data[0] == '[') {
        if (memchr(data, '\0', size) || !utf8_valid((const char *)data, size)) return false;
        cJSON *v = cJSON_ParseWithLength((const char *)data, size);
        bool ok = cJSON_IsArray(v) && cJSON_GetArraySize(v) == 3 && cJSON_IsString(cJSON_GetArrayItem(v, 0));
        if (ok) {
            const char *s = cJSON_GetArrayItem(v, 0)->valuestring;
            ok = utf8_valid(s, strlen(s)) && ot_text_init(doc, s, strlen(s)) == OT_OK;
            if (ok && (ot_op_from_json(cJSON_GetArrayItem(v, 1), a) != OT_OK ||
                       ot_op_from_json(cJSON_GetArrayItem(v, 2), b) != OT_OK)) {
                ot_text_free(doc);
                ot_op_free(a);
                ot_op_free(b);
                ok = false;
            }
        }
        cJSON_Delete(v);
        return ok;
    }
    fuzz_bytes r = {data, size, 0};
    char text[64 * 4];
    size_t len = 0, k = fuzz_byte(&r) % 16;
    for (size_t i = 0; i < k; i++) {
        const char *s = fuzz_pieces[fuzz_byte(&r) % FUZZ_NPIECES];
        memcpy(text + len, s, strlen(s));
        len += strlen(s);
    }
    FUZZ_REQUIRE(ot_text_init(doc, text, len) == OT_OK);
    fuzz_gen_op(&r, doc, a);
    fuzz_gen_op(&r, doc, b);
    return true;
}

static void fuzz_check_text(const ot_text *t) {
    FUZZ_REQUIRE(utf8_valid(t->buf, t->len));
    FUZZ_REQUIRE(utf8_count(t->buf, t->len) == t->cps);
    FUZZ_REQUIRE(t->buf[t->len] == '\0');
    FUZZ_REQUIRE(strlen(t->buf) == t->len);
}

static void fuzz_check_json_roundtrip(const ot_op *op) {
    size_t n = ot_op_json_size(op);
    char *json = malloc(n + 1);
    FUZZ_REQUIRE(json != NULL);
    FUZZ_REQUIRE((size_t)(ot_op_write_json(op, json) - json) == n);
    ot_op back;
    ot_op_init(&back);
    FUZZ_REQUIRE(ot_op_parse(json, n, &back) == OT_OK);
    FUZZ_REQUIRE(fuzz_ops_equal(op, &back));
    ot_op_free(&back);
    free(json);
}

/* t with op applied, into *out; the status of ot_apply. On failure t must be
 * unchanged and agree with ot_check_fits. */
static ot_status fuzz_apply(const ot_text *t, const ot_op *op, ot_text *out) {
    memset(out, 0, sizeof *out);
    FUZZ_REQUIRE(ot_text_copy(out, t) == OT_OK);
    ot_status fits = ot_check_fits(t, op);
    ot_status st = ot_apply(out, op);
    FUZZ_REQUIRE(st == fits);
    if (st != OT_OK) {
        FUZZ_REQUIRE(fuzz_texts_equal(out, t));
    } else {
        fuzz_check_text(out);
        size_t ins = 0, del = 0;
        for (size_t i = 0; i < op->n; i++) {
            if (op->c[i].kind == OT_INSERT) ins += op->c[i].n;
            if (op->c[i].kind == OT_DELETE) del += op->c[i].n;
        }
        FUZZ_REQUIRE(out->cps == t->cps + ins - del);
        FUZZ_REQUIRE(ot_op_input_len(op) <= t->cps);
    }
    return st;
}

static void fuzz_transform(ot_op *out, const ot_op *op, const ot_op *other, ot_side side) {
    ot_op_init(out);
    FUZZ_REQUIRE(ot_transform(out, op, other, side) == OT_OK);
    FUZZ_REQUIRE(ot_op_check(out) == OT_OK);
}

/* TP1 for one choice of sides: doc.a.b' == doc.b.a'. */
static void fuzz_tp1(const ot_text *doc, const ot_text *da, const ot_text *db, const ot_op *a, const ot_op *b,
                     ot_side side_a) {
    ot_side side_b = side_a == OT_LEFT ? OT_RIGHT : OT_LEFT;
    ot_op a2, b2;
    fuzz_transform(&a2, a, b, side_a);
    fuzz_transform(&b2, b, a, side_b);
    ot_text dab, dba;
    FUZZ_REQUIRE(fuzz_apply(da, &b2, &dab) == OT_OK);
    FUZZ_REQUIRE(fuzz_apply(db, &a2, &dba) == OT_OK);
    FUZZ_REQUIRE(fuzz_texts_equal(&dab, &dba));

    /* a then b' is one op: their composition does the same in one step. */
    ot_op c;
    ot_op_init(&c);
    FUZZ_REQUIRE(ot_compose(&c, a, &b2) == OT_OK);
    FUZZ_REQUIRE(ot_op_check(&c) == OT_OK);
    ot_text dc;
    FUZZ_REQUIRE(fuzz_apply(doc, &c, &dc) == OT_OK);
    FUZZ_REQUIRE(fuzz_texts_equal(&dc, &dab));

    /* A caret anywhere in doc lands inside the converged text. */
    size_t probes[3] = {0, doc->cps / 2, doc->cps};
    for (int i = 0; i < 3; i++) {
        size_t p = ot_transform_position(ot_transform_position(probes[i], a), &b2);
        FUZZ_REQUIRE(p <= dab.cps);
    }
    ot_text_free(&dc);
    ot_op_free(&c);
    ot_text_free(&dab);
    ot_text_free(&dba);
    ot_op_free(&a2);
    ot_op_free(&b2);
}

int fuzz_ot_one(const uint8_t *data, size_t size) {
    ot_text doc;
    ot_op a, b;
    if (!fuzz_read_case(data, size, &doc, &a, &b)) return 0;
    fuzz_check_text(&doc);
    FUZZ_REQUIRE(ot_op_check(&a) == OT_OK);
    FUZZ_REQUIRE(ot_op_check(&b) == OT_OK);
    fuzz_check_json_roundtrip(&a);
    fuzz_check_json_roundtrip(&b);

    ot_text da, db;
    ot_status sa = fuzz_apply(&doc, &a, &da);
    ot_status sb = fuzz_apply(&doc, &b, &db);

    /* Whatever the document, transform and compose of valid ops succeed. */
    ot_op t, c;
    fuzz_transform(&t, &a, &b, OT_LEFT);
    ot_op_free(&t);
    fuzz_transform(&t, &b, &a, OT_RIGHT);
    ot_op_free(&t);
    ot_op_init(&c);
    FUZZ_REQUIRE(ot_compose(&c, &a, &b) == OT_OK);
    FUZZ_REQUIRE(ot_op_check(&c) == OT_OK);
    if (sa == OT_OK) {
        /* If b happens to apply after a, compose(a, b) is the two in one. */
        ot_text dab, dc;
        if (fuzz_apply(&da, &b, &dab) == OT_OK) {
            FUZZ_REQUIRE(fuzz_apply(&doc, &c, &dc) == OT_OK);
            FUZZ_REQUIRE(fuzz_texts_equal(&dc, &dab));
            ot_text_free(&dc);
        }
        ot_text_free(&dab);
    }
    ot_op_free(&c);

    /* Transforming over an empty op changes nothing. */
    ot_op none;
    ot_op_init(&none);
    fuzz_transform(&t, &a, &none, OT_LEFT);
    FUZZ_REQUIRE(fuzz_ops_equal(&t, &a));
    ot_op_free(&t);

    if (sa == OT_OK && sb == OT_OK) {
        fuzz_tp1(&doc, &da, &db, &a, &b, OT_LEFT);
        fuzz_tp1(&doc, &da, &db, &a, &b, OT_RIGHT);
    }
    ot_text_free(&da);
    ot_text_free(&db);
    ot_text_free(&doc);
    ot_op_free(&a);
    ot_op_free(&b);
    return 0;
}

#ifndef FUZZ_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_ot_one(data, size); }
#endif
