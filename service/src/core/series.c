#include "core/series.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/api.h"
#include "core/utf8.h"
#include "core/vec.h"

static const char *const part_names[SERIES_NPARTS] = {"statement", "agreement", "board"};

const char *series_part_name(series_part p) { return p < SERIES_NPARTS ? part_names[p] : "?"; }

static const cJSON *item(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

static bool only_spaces(const char *s, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\n' && s[i] != '\r' && s[i] != '\t') return false;
    return true;
}

/* A title field as a workshop's creation reads it: tidied into a malloc'd copy. */
static proto_err read_title_field(const cJSON *t, char **out, const char **why) {
    if (!cJSON_IsString(t) || !utf8_valid_label(t->valuestring, PROTO_TITLE_MAX)) {
        *why = "\"title\" must be a string of 1 to 200 characters, not only spaces, without control or invisible "
               "characters";
        return PROTO_EBAD_REQUEST;
    }
    *out = malloc(strlen(t->valuestring) + 1);
    if (!*out) {
        *why = "out of memory";
        return PROTO_EINTERNAL;
    }
    utf8_tidy_label(t->valuestring, *out);
    return PROTO_OK;
}

/* The body's object; an empty body (or only spaces) when empty_ok reads as {}. */
static proto_err read_body(const char *body, size_t len, bool empty_ok, cJSON **o, const char **why) {
    *o = NULL;
    if (empty_ok && only_spaces(body, len)) return PROTO_OK;
    if (!utf8_valid(body, len) || memchr(body, '\0', len) || proto_has_escaped_nul(body, len)) {
        *why = "body must be UTF-8 JSON";
        return PROTO_EBAD_REQUEST;
    }
    if (!(*o = api_body_object(body, len))) {
        *why = "body must be a JSON object";
        return PROTO_EBAD_REQUEST;
    }
    return PROTO_OK;
}

/* Every key of o is one of the names given (a misspelt field is said, not ignored). */
static bool only_keys(const cJSON *o, const char *a, const char *b) {
    for (const cJSON *c = o ? o->child : NULL; c; c = c->next)
        if (strcmp(c->string, a) != 0 && (!b || strcmp(c->string, b) != 0)) return false;
    return true;
}

proto_err series_read_next(const char *body, size_t len, series_next_req *out, const char **why) {
    memset(out, 0, sizeof *out);
    cJSON *o;
    proto_err e = read_body(body, len, true, &o, why);
    if (e != PROTO_OK) return e;
    const cJSON *title = item(o, "title"), *token = item(o, "create_token");
    if (!only_keys(o, "title", "create_token")) {
        *why = "the body may hold \"title\" and \"create_token\" only";
        e = PROTO_EBAD_REQUEST;
    } else if (token && (!cJSON_IsString(token) || !token->valuestring[0] ||
                         strlen(token->valuestring) > SERIES_TOKEN_MAX)) {
        *why = "\"create_token\" must be a string of 1 to 128 bytes";
        e = PROTO_EBAD_REQUEST;
    } else if (title && !cJSON_IsNull(title)) {
        e = read_title_field(title, &out->title, why);
    }
    if (e == PROTO_OK && token) memcpy(out->create_token, token->valuestring, strlen(token->valuestring) + 1);
    cJSON_Delete(o);
    if (e != PROTO_OK) series_next_req_free(out);
    return e;
}

void series_next_req_free(series_next_req *r) {
    free(r->title);
    r->title = NULL;
}

proto_err series_read_title(const char *body, size_t len, char **title, const char **why) {
    *title = NULL;
    cJSON *o;
    proto_err e = read_body(body, len, false, &o, why);
    if (e != PROTO_OK) return e;
    if (!only_keys(o, "title", NULL)) {
        *why = "the body holds \"title\" only";
        e = PROTO_EBAD_REQUEST;
    } else {
        e = read_title_field(item(o, "title"), title, why);
    }
    cJSON_Delete(o);
    return e;
}

bool series_agreed_rev(const char *agreed, int64_t *rev) {
    if (!agreed || !agreed[0]) return false;
    cJSON *o = cJSON_Parse(agreed);
    bool ok = proto_json_int(item(o, "rev"), 0, PROTO_SAFE_INT_MAX, rev);
    cJSON_Delete(o);
    return ok;
}

/* The decision of org in the hash's values (parsed), or NULL. */
static cJSON *decision_of(const series_agreement_in *in, const char *org) {
    for (size_t i = 0; i < in->ndecisions; i++) {
        cJSON *d = cJSON_Parse(in->decisions[i]);
        const char *o = cJSON_GetStringValue(item(d, "org"));
        if (o && strcmp(o, org) == 0) return d;
        cJSON_Delete(d);
    }
    return NULL;
}

/* ,"endorsers":[…]: each organisation agreed whose latest decision endorsed sha. */
static void write_endorsers(sbuf *b, const series_agreement_in *in, const cJSON *orgs, const char *sha) {
    sbuf_puts(b, ",\"endorsers\":[");
    bool first = true;
    const cJSON *org;
    cJSON_ArrayForEach(org, orgs) {
        if (!cJSON_IsString(org)) continue;
        cJSON *d = decision_of(in, org->valuestring);
        const char *kind = cJSON_GetStringValue(item(d, "decision")), *dsha = cJSON_GetStringValue(item(d, "sha256"));
        const char *name = cJSON_GetStringValue(item(d, "name"));
        int64_t at = 0;
        if (kind && strcmp(kind, "endorsed") == 0 && dsha && strcmp(dsha, sha) == 0 && name &&
            proto_json_int(item(d, "at"), 0, PROTO_SAFE_INT_MAX, &at)) {
            if (!first) sbuf_putc(b, ',');
            first = false;
            sbuf_puts(b, "{\"org\":");
            sbuf_put_jstrz(b, org->valuestring);
            sbuf_puts(b, ",\"name\":");
            sbuf_put_jstrz(b, name);
            sbuf_puts(b, ",\"at\":");
            sbuf_put_i64(b, at);
            sbuf_putc(b, '}');
        }
        cJSON_Delete(d);
    }
    sbuf_putc(b, ']');
}

void series_write_agreement(sbuf *b, const series_agreement_in *in) {
    cJSON *a = in->agreed && in->agreed[0] ? cJSON_Parse(in->agreed) : NULL;
    const char *sha = cJSON_GetStringValue(item(a, "sha256"));
    const cJSON *orgs = item(a, "organisations");
    int64_t rev = 0, at = 0;
    if (!sha || !cJSON_IsArray(orgs) || !in->text || !proto_json_int(item(a, "rev"), 0, PROTO_SAFE_INT_MAX, &rev) ||
        !proto_json_int(item(a, "at"), 0, PROTO_SAFE_INT_MAX, &at)) {
        sbuf_puts(b, "null");
        cJSON_Delete(a);
        return;
    }
    sbuf_puts(b, "{\"rev\":");
    sbuf_put_i64(b, rev);
    sbuf_puts(b, ",\"sha256\":");
    sbuf_put_jstrz(b, sha);
    sbuf_puts(b, ",\"at\":");
    sbuf_put_i64(b, at);
    sbuf_puts(b, ",\"organisations\":[");
    bool first = true;
    const cJSON *org;
    cJSON_ArrayForEach(org, orgs) {
        if (!cJSON_IsString(org)) continue;
        if (!first) sbuf_putc(b, ',');
        first = false;
        sbuf_put_jstrz(b, org->valuestring);
    }
    sbuf_putc(b, ']');
    write_endorsers(b, in, orgs, sha);
    sbuf_puts(b, ",\"text\":");
    sbuf_put_jstr(b, in->text, in->text_len);
    sbuf_putc(b, '}');
    cJSON_Delete(a);
}

void series_write_parts(sbuf *b, unsigned parts) {
    bool first = true;
    sbuf_putc(b, '[');
    for (int p = 0; p < SERIES_NPARTS; p++) {
        if (!(parts & (1u << p))) continue;
        if (!first) sbuf_putc(b, ',');
        first = false;
        sbuf_put_jstrz(b, series_part_name((series_part)p));
    }
    sbuf_putc(b, ']');
}

void series_write_carried(sbuf *b, const char *title, unsigned parts, const char *agreement_json) {
    sbuf_puts(b, "{\"title\":");
    sbuf_put_jstrz(b, title);
    sbuf_puts(b, ",\"parts\":");
    series_write_parts(b, parts);
    sbuf_puts(b, ",\"agreement\":");
    sbuf_puts(b, agreement_json && agreement_json[0] ? agreement_json : "null");
    sbuf_putc(b, '}');
}

/* ---- Who changed the statement ---- */

static series_org *org_slot(series_orgs *o, const char *name) {
    size_t lo = 0, hi = o->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(o->v[mid].org, name);
        if (c == 0) return &o->v[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    char *copy = strdup(name);
    if (!copy || !vec_reserve((void **)&o->v, &o->cap, o->n, sizeof *o->v)) {
        free(copy);
        o->oom = true;
        return NULL;
    }
    memmove(&o->v[lo + 1], &o->v[lo], (o->n - lo) * sizeof *o->v);
    o->v[lo] = (series_org){copy, 0, 0};
    o->n++;
    return &o->v[lo];
}

void series_orgs_read(series_orgs *o, const char *const *kv, size_t nkv) {
    for (size_t i = 0; i + 1 < nkv; i += 2) {
        const char *f = kv[i];
        bool ins = strncmp(f, "ins:", 4) == 0, del = strncmp(f, "del:", 4) == 0;
        char *end;
        long long v = kv[i + 1] ? strtoll(kv[i + 1], &end, 10) : 0;
        if ((!ins && !del) || !f[4] || !kv[i + 1] || *end || v < 0) continue;
        series_org *s = org_slot(o, f + 4);
        if (!s) return;
        if (ins) s->inserted += v;
        else s->deleted += v;
    }
}

void series_orgs_free(series_orgs *o) {
    for (size_t i = 0; i < o->n; i++) free(o->v[i].org);
    free(o->v);
    memset(o, 0, sizeof *o);
}

void series_orgs_write_json(sbuf *b, const series_orgs *o) {
    sbuf_putc(b, '[');
    for (size_t i = 0; i < o->n; i++) {
        if (i) sbuf_putc(b, ',');
        sbuf_puts(b, "{\"org\":");
        sbuf_put_jstrz(b, o->v[i].org);
        sbuf_puts(b, ",\"inserted\":");
        sbuf_put_i64(b, o->v[i].inserted);
        sbuf_puts(b, ",\"deleted\":");
        sbuf_put_i64(b, o->v[i].deleted);
        sbuf_putc(b, '}');
    }
    sbuf_putc(b, ']');
}

bool series_valid_id(const char *id) { return proto_valid_b64url(id, SERIES_ID_MAX); }
