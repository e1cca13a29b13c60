/* jscan.c -- see jscan.h. */
#include "jscan.h"

#include <string.h>

static const char *ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* p at the opening quote; returns just after the closing quote. */
static const char *skip_str(const char *p, const char *e)
{
    for (p++; p < e; p++) {
        if (*p == '\\') {
            p++;
            continue;
        }
        if (*p == '"')
            return p + 1;
    }
    return NULL;
}

const char *js_skip(const char *p, const char *e)
{
    p = ws(p, e);
    if (p >= e)
        return NULL;
    if (*p == '"')
        return skip_str(p, e);
    if (*p == '{' || *p == '[') {
        /* Brackets only need counting, strings are the only place they may hide. */
        int depth = 0;
        while (p < e) {
            char ch = *p;
            if (ch == '"') {
                p = skip_str(p, e);
                if (!p)
                    return NULL;
                continue;
            }
            if (ch == '{' || ch == '[')
                depth++;
            else if (ch == '}' || ch == ']') {
                if (--depth == 0)
                    return p + 1;
            }
            p++;
        }
        return NULL;
    }
    /* number, true, false, null */
    const char *s = p;
    while (p < e && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t')
        p++;
    return p > s ? p : NULL;
}

int js_obj_begin(js_iter *it, const char *s, size_t n)
{
    it->e = s + n;
    it->p = ws(s, it->e);
    it->first = 1;
    if (it->p >= it->e || *it->p != '{')
        return -1;
    it->p++;
    return 0;
}

int js_obj_next(js_iter *it, js_span *key, js_span *val)
{
    const char *p = ws(it->p, it->e);
    if (p >= it->e)
        return -1;
    if (*p == '}')
        return 0;
    if (!it->first) {
        if (*p != ',')
            return -1;
        p = ws(p + 1, it->e);
    }
    it->first = 0;
    if (p >= it->e || *p != '"')
        return -1;
    const char *ke = skip_str(p, it->e);
    if (!ke)
        return -1;
    key->p = p + 1;
    key->n = (size_t)(ke - p - 2);
    p = ws(ke, it->e);
    if (p >= it->e || *p != ':')
        return -1;
    p = ws(p + 1, it->e);
    const char *ve = js_skip(p, it->e);
    if (!ve)
        return -1;
    val->p = p;
    val->n = (size_t)(ve - p);
    it->p = ve;
    return 1;
}

int js_arr_begin(js_iter *it, js_span arr)
{
    it->e = arr.p + arr.n;
    it->p = ws(arr.p, it->e);
    it->first = 1;
    if (it->p >= it->e || *it->p != '[')
        return -1;
    it->p++;
    return 0;
}

int js_arr_next(js_iter *it, js_span *val)
{
    const char *p = ws(it->p, it->e);
    if (p >= it->e)
        return -1;
    if (*p == ']')
        return 0;
    if (!it->first) {
        if (*p != ',')
            return -1;
        p = ws(p + 1, it->e);
    }
    it->first = 0;
    const char *ve = js_skip(p, it->e);
    if (!ve)
        return -1;
    val->p = p;
    val->n = (size_t)(ve - p);
    it->p = ve;
    return 1;
}

int js_key_is(js_span k, const char *lit)
{
    size_t l = strlen(lit);
    return k.n == l && memcmp(k.p, lit, l) == 0;
}

int64_t js_int(js_span v, int *ok)
{
    const char *p = v.p, *e = v.p + v.n;
    int neg = 0;
    int64_t x = 0;
    *ok = 0;
    if (p < e && *p == '-')
        neg = 1, p++;
    if (p >= e || *p < '0' || *p > '9')
        return 0;
    while (p < e && *p >= '0' && *p <= '9')
        x = x * 10 + (*p++ - '0');
    if (p != e) /* fractions and exponents never appear in revisions or counts */
        return 0;
    *ok = 1;
    return neg ? -x : x;
}

int js_str_is(js_span v, const char *lit)
{
    size_t l = strlen(lit);
    return v.n == l + 2 && v.p[0] == '"' && memcmp(v.p + 1, lit, l) == 0;
}

static int hex4(const char *p, const char *e, unsigned *out)
{
    if (e - p < 4)
        return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

size_t js_str_cps(js_span v)
{
    if (v.n < 2 || v.p[0] != '"')
        return 0;
    const char *p = v.p + 1, *e = v.p + v.n - 1;
    size_t n = 0;
    while (p < e) {
        unsigned char c = (unsigned char)*p;
        if (c == '\\' && p + 1 < e) {
            if (p[1] == 'u') {
                unsigned u;
                if (hex4(p + 2, e, &u) == 0) {
                    p += 6;
                    /* A high surrogate followed by a low one is one code point. */
                    unsigned lo;
                    if (u >= 0xD800 && u <= 0xDBFF && e - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
                        hex4(p + 2, e, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF)
                        p += 6;
                    n++;
                    continue;
                }
            }
            p += 2;
            n++;
            continue;
        }
        if ((c & 0xC0) != 0x80)
            n++;
        p++;
    }
    return n;
}
