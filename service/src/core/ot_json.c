/* ot_json.c -- ops as JSON arrays.
 *
 * cJSON neither validates UTF-8 nor keeps integers apart from doubles, so
 * both are checked here: an op read by the server is only ever one the JS
 * library would read the same way. */
#include "core/ot_json.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

#define MAX_SAFE_INT 9007199254740991.0 /* 2^53 - 1 */

static bool count_of(const cJSON *v, size_t *n) {
    if (!cJSON_IsNumber(v)) return false;
    double d = v->valuedouble;
    if (!isfinite(d) || d < 1 || d > MAX_SAFE_INT || d != floor(d)) return false;
    if (d > (double)SIZE_MAX) return false;
    *n = (size_t)d;
    return true;
}

static bool text_of(const cJSON *v, const char **s, size_t *len, size_t *n) {
    if (!cJSON_IsString(v) || !v->valuestring) return false;
    *s = v->valuestring;
    *len = strlen(*s);
    if (*len == 0 || !utf8_valid(*s, *len)) return false;
    *n = utf8_count(*s, *len);
    return true;
}

static ot_status read_comp(const cJSON *item, ot_comp *c) {
    c->s = NULL;
    c->len = 0;
    const char *s = NULL;
    if (count_of(item, &c->n)) {
        c->kind = OT_SKIP;
    } else if (text_of(item, &s, &c->len, &c->n)) {
        c->kind = OT_INSERT;
    } else if (cJSON_IsObject(item)) {
        const cJSON *d = item->child;
        if (!d || d->next || !d->string || strcmp(d->string, "d") != 0) return OT_EINVALID;
        c->kind = OT_DELETE;
        if (!count_of(d, &c->n) && !text_of(d, &s, &c->len, &c->n)) return OT_EINVALID;
    } else {
        return OT_EINVALID;
    }
    c->s = (char *)s; /* borrowed from the cJSON tree until pushed */
    return OT_OK;
}

ot_status ot_op_from_json(const cJSON *array, ot_op *out) {
    ot_op_free(out);
    if (!cJSON_IsArray(array)) return OT_EINVALID;
    ot_op op;
    ot_op_init(&op);
    ot_status st = OT_OK;
    for (const cJSON *item = array->child; st == OT_OK && item; item = item->next) {
        ot_comp c;
        st = read_comp(item, &c);
        if (st == OT_OK && op.n > 0 && op.c[op.n - 1].kind == c.kind) st = OT_EINVALID;
        if (st == OT_OK) st = ot_op_push(&op, c.kind, c.n, c.s, c.len);
    }
    if (st == OT_OK && op.n > 0 && op.c[op.n - 1].kind == OT_SKIP) st = OT_EINVALID;
    if (st != OT_OK) {
        ot_op_free(&op);
        return st;
    }
    *out = op;
    return OT_OK;
}

static cJSON *string_item(const char *s, size_t len) {
    char *z = malloc(len + 1); /* s need not be NUL-terminated */
    if (!z) return NULL;
    memcpy(z, s, len);
    z[len] = '\0';
    cJSON *v = cJSON_CreateString(z);
    free(z);
    return v;
}

cJSON *ot_op_to_json(const ot_op *op) {
    cJSON *a = cJSON_CreateArray();
    if (!a) return NULL;
    for (size_t i = 0; i < op->n; i++) {
        const ot_comp *c = &op->c[i];
        cJSON *v = NULL;
        if (c->kind == OT_SKIP) {
            v = cJSON_CreateNumber((double)c->n);
        } else if (c->kind == OT_INSERT) {
            v = string_item(c->s, c->len);
        } else {
            v = cJSON_CreateObject();
            cJSON *d = !v ? NULL : c->s ? string_item(c->s, c->len) : cJSON_CreateNumber((double)c->n);
            if (d) {
                cJSON_AddItemToObject(v, "d", d);
            } else {
                cJSON_Delete(v);
                v = NULL;
            }
        }
        if (!v) {
            cJSON_Delete(a);
            return NULL;
        }
        cJSON_AddItemToArray(a, v);
    }
    return a;
}

/* \u0000 in a string (not a literal backslash followed by "u0000"). */
static bool escapes_nul(const char *s, size_t len) {
    for (size_t i = 0; i + 1 < len; i++) {
        if (s[i] != '\\') continue;
        if (s[i + 1] == 'u' && i + 6 <= len && memcmp(s + i + 2, "0000", 4) == 0) return true;
        i++;
    }
    return false;
}

ot_status ot_op_parse(const char *json, size_t len, ot_op *out) {
    ot_op_free(out);
    if (!json || memchr(json, '\0', len) || !utf8_valid(json, len) || escapes_nul(json, len)) return OT_EINVALID;
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!v) return OT_EINVALID;
    while (end && end < json + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')) end++;
    ot_status st = end == json + len ? ot_op_from_json(v, out) : OT_EINVALID;
    cJSON_Delete(v);
    return st;
}

static size_t digits(size_t n) {
    size_t d = 1;
    while (n >= 10) {
        n /= 10;
        d++;
    }
    return d;
}

#define SIZE_DIGITS_MAX 20 /* decimal digits of the largest size_t, 2^64 - 1 */

static char *put_uint(char *p, size_t n) {
    char tmp[SIZE_DIGITS_MAX];
    size_t k = 0;
    do {
        tmp[k++] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    while (k) *p++ = tmp[--k];
    return p;
}

static size_t jstr_size(const char *s, size_t len) {
    size_t n = 2;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        n += c == '"' || c == '\\' ? 2 : c < 0x20 ? 6 : 1;
    }
    return n;
}

static char *put_jstr(char *p, const char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    *p++ = '"';
    size_t run = 0; /* bytes copied verbatim, flushed in one memcpy */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        memcpy(p, s + run, i - run);
        p += i - run;
        run = i + 1;
        *p++ = '\\';
        if (c == '"' || c == '\\') {
            *p++ = (char)c;
        } else {
            memcpy(p, "u00", 3);
            p[3] = hex[c >> 4];
            p[4] = hex[c & 15];
            p += 5;
        }
    }
    memcpy(p, s + run, len - run);
    p += len - run;
    *p++ = '"';
    return p;
}

size_t ot_op_json_size(const ot_op *op) {
    size_t n = 2 + (op->n ? op->n - 1 : 0);
    for (size_t i = 0; i < op->n; i++) {
        const ot_comp *c = &op->c[i];
        if (c->kind == OT_SKIP) n += digits(c->n);
        else if (c->kind == OT_INSERT) n += jstr_size(c->s, c->len);
        else n += 6 + (c->s ? jstr_size(c->s, c->len) : digits(c->n)); /* {"d":…} */
    }
    return n;
}

char *ot_op_write_json(const ot_op *op, char *dst) {
    char *p = dst;
    *p++ = '[';
    for (size_t i = 0; i < op->n; i++) {
        const ot_comp *c = &op->c[i];
        if (i) *p++ = ',';
        if (c->kind == OT_SKIP) {
            p = put_uint(p, c->n);
        } else if (c->kind == OT_INSERT) {
            p = put_jstr(p, c->s, c->len);
        } else {
            memcpy(p, "{\"d\":", 5);
            p += 5;
            p = c->s ? put_jstr(p, c->s, c->len) : put_uint(p, c->n);
            *p++ = '}';
        }
    }
    *p++ = ']';
    return p;
}
