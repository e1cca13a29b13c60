#include "core/signoff.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hist.h"
#include "core/proto.h"
#include "core/utf8.h"
#include "core/vec.h"
#include "core/workshop.h"

#define BY_MAX 64                /* bytes of a participant id as stored (ids are 17) */

void signoff_init(signoff *s) { memset(s, 0, sizeof *s); }

void signoff_decision_free(signoff_decision *d) {
    free(d->org);
    free(d->reason);
    free(d->by);
    free(d->name);
    memset(d, 0, sizeof *d);
}

void signoff_agreement_free(signoff_agreement *a) {
    for (size_t i = 0; i < a->norgs; i++) free(a->orgs[i]);
    free(a->orgs);
    memset(a, 0, sizeof *a);
}

void signoff_free(signoff *s) {
    for (size_t i = 0; i < s->ndecisions; i++) signoff_decision_free(&s->decisions[i]);
    free(s->decisions);
    signoff_agreement_free(&s->agreed);
    signoff_init(s);
}

/* ---- The rules ---- */

const char *signoff_call_refusal(const signoff *s, bool calling) {
    if (calling && s->open) return "a sign-off is open already";
    if (!calling && !s->open) return "no sign-off is open";
    return NULL;
}

const char *signoff_decision_refusal(const signoff *s) {
    return s->open ? NULL : "no sign-off is open: a facilitator calls for one first";
}

void signoff_set_open(signoff *s, bool open, int64_t at) {
    s->open = open;
    if (open) s->called_at = at;
}

/* Index of org's decision, or where it would go (byte order), in *at. */
static bool find_index(const signoff *s, const char *org, size_t *at) {
    size_t lo = 0, hi = s->ndecisions;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(s->decisions[mid].org, org);
        if (c == 0) {
            *at = mid;
            return true;
        }
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    *at = lo;
    return false;
}

bool signoff_put(signoff *s, signoff_decision *d) {
    size_t i;
    if (find_index(s, d->org, &i)) {
        signoff_decision_free(&s->decisions[i]);
    } else {
        if (!vec_reserve((void **)&s->decisions, &s->decisions_cap, s->ndecisions, sizeof *s->decisions)) return false;
        memmove(&s->decisions[i + 1], &s->decisions[i], (s->ndecisions - i) * sizeof *s->decisions);
        s->ndecisions++;
    }
    s->decisions[i] = *d;
    memset(d, 0, sizeof *d);
    return true;
}

const signoff_decision *signoff_find(const signoff *s, const char *org) {
    size_t i;
    return org && find_index(s, org, &i) ? &s->decisions[i] : NULL;
}

bool signoff_changed_since(const signoff_decision *d, const char *current_sha256) {
    return strcmp(d->sha256, current_sha256) != 0;
}

static int by_bytes(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* orgs[0..n) sorted, each once, copied into a. False when out of memory. */
static bool agreement_orgs(signoff_agreement *a, const char *const *orgs, size_t n) {
    a->orgs = calloc(n ? n : 1, sizeof *a->orgs);
    if (!a->orgs) return false;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < a->norgs && !seen; j++) seen = strcmp(a->orgs[j], orgs[i]) == 0;
        if (seen) continue;
        if (!(a->orgs[a->norgs] = strdup(orgs[i]))) return false;
        a->norgs++;
    }
    if (a->norgs > 1) qsort(a->orgs, a->norgs, sizeof *a->orgs, by_bytes);
    return true;
}

void signoff_set_agreed(signoff *s, signoff_agreement *a) {
    signoff_agreement_free(&s->agreed);
    s->agreed = *a;
    s->has_agreed = true;
    memset(a, 0, sizeof *a);
}

/* ---- JSON ---- */

bool signoff_kind_parse(const char *name, signoff_kind *kind) {
    if (name && strcmp(name, "endorsed") == 0) *kind = SIGNOFF_ENDORSED;
    else if (name && strcmp(name, "declined") == 0) *kind = SIGNOFF_DECLINED;
    else return false;
    return true;
}

const char *signoff_kind_name(signoff_kind kind) { return kind == SIGNOFF_DECLINED ? "declined" : "endorsed"; }

static void put_key(sbuf *b, const char *key) {
    sbuf_puts(b, ",\"");
    sbuf_puts(b, key);
    sbuf_puts(b, "\":");
}

void signoff_write_decision(sbuf *b, const signoff_decision *d, bool with_at) {
    sbuf_puts(b, "{\"org\":");
    sbuf_put_jstrz(b, d->org ? d->org : "");
    put_key(b, "decision");
    sbuf_put_jstrz(b, signoff_kind_name(d->kind));
    put_key(b, "rev");
    sbuf_put_i64(b, d->rev);
    put_key(b, "sha256");
    sbuf_put_jstrz(b, d->sha256);
    if (d->kind == SIGNOFF_DECLINED) {
        put_key(b, "reason");
        sbuf_put_jstrz(b, d->reason ? d->reason : "");
    }
    put_key(b, "by");
    sbuf_put_jstrz(b, d->by ? d->by : "");
    put_key(b, "name");
    sbuf_put_jstrz(b, d->name ? d->name : "");
    if (with_at) {
        put_key(b, "at");
        sbuf_put_i64(b, d->at);
    }
    sbuf_putc(b, '}');
}

static const cJSON *item(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

static bool read_int(const cJSON *o, const char *k, int64_t *out) {
    return proto_json_int(item(o, k), 0, PROTO_SAFE_INT_MAX, out);
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* The fields a decision and an event share, checked: the organisation, the
 * hash, who, and a reason for a decline. */
static bool fill_decision(signoff_decision *d, signoff_kind kind, const char *org, const char *sha256,
                          const char *reason, const char *by, const char *name) {
    memset(d, 0, sizeof *d);
    if (!org || !utf8_valid_label(org, PROTO_NAME_MAX) || !digest_valid_sha256_hex(sha256) || !by ||
        strlen(by) > BY_MAX || !name || (kind == SIGNOFF_DECLINED && !utf8_valid_line(reason, SIGNOFF_REASON_MAX)))
        return false;
    d->kind = kind;
    memcpy(d->sha256, sha256, DIGEST_SHA256_HEX + 1);
    d->org = strdup(org);
    d->by = strdup(by);
    d->name = strdup(name);
    d->reason = kind == SIGNOFF_DECLINED ? dup_or_null(reason) : NULL;
    if (d->org && d->by && d->name && (kind != SIGNOFF_DECLINED || d->reason)) return true;
    signoff_decision_free(d);
    return false;
}

bool signoff_read_decision(const char *json, signoff_decision *d) {
    memset(d, 0, sizeof *d);
    cJSON *o = json ? cJSON_Parse(json) : NULL;
    signoff_kind kind;
    int64_t rev, at;
    bool ok = signoff_kind_parse(cJSON_GetStringValue(item(o, "decision")), &kind) && read_int(o, "rev", &rev) &&
              read_int(o, "at", &at) &&
              fill_decision(d, kind, cJSON_GetStringValue(item(o, "org")), cJSON_GetStringValue(item(o, "sha256")),
                            cJSON_GetStringValue(item(o, "reason")), cJSON_GetStringValue(item(o, "by")),
                            cJSON_GetStringValue(item(o, "name")));
    if (ok) {
        d->rev = rev;
        d->at = at;
    }
    cJSON_Delete(o);
    return ok;
}

void signoff_write_call(sbuf *b, bool open, int64_t called_at) {
    sbuf_puts(b, open ? "{\"open\":true,\"called_at\":" : "{\"open\":false,\"called_at\":");
    sbuf_put_i64(b, called_at);
    sbuf_putc(b, '}');
}

bool signoff_read_call(const char *json, bool *open, int64_t *called_at) {
    cJSON *o = json ? cJSON_Parse(json) : NULL;
    const cJSON *v = item(o, "open");
    bool ok = cJSON_IsBool(v) && read_int(o, "called_at", called_at);
    if (ok) *open = cJSON_IsTrue(v);
    cJSON_Delete(o);
    return ok;
}

static void write_names(sbuf *b, char *const *names, size_t n) {
    sbuf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i) sbuf_putc(b, ',');
        sbuf_put_jstrz(b, names[i]);
    }
    sbuf_putc(b, ']');
}

bool signoff_write_present(sbuf *b, const workshop *w) {
    const char **orgs = malloc((w->npeople ? w->npeople : 1) * sizeof *orgs);
    size_t n = 0;
    for (size_t i = 0; orgs && i < w->npeople; i++) {
        const wk_participant *p = &w->people[i];
        if (wk_present(p) && (p->role == WK_PARTICIPANT || p->role == WK_REPRESENTATIVE)) orgs[n++] = p->org;
    }
    signoff_agreement a = {0};
    bool ok = orgs && agreement_orgs(&a, orgs, n);
    if (ok) write_names(b, a.orgs, a.norgs);
    signoff_agreement_free(&a);
    free(orgs);
    return ok;
}

void signoff_write_agreement(sbuf *b, const signoff_agreement *a, bool with_at) {
    sbuf_puts(b, "{\"rev\":");
    sbuf_put_i64(b, a->rev);
    put_key(b, "sha256");
    sbuf_put_jstrz(b, a->sha256);
    if (with_at) {
        put_key(b, "at");
        sbuf_put_i64(b, a->at);
    }
    put_key(b, "organisations");
    write_names(b, a->orgs, a->norgs);
    sbuf_putc(b, '}');
}

/* The names of a JSON array of organisations, checked, into a. */
static bool read_orgs(const cJSON *arr, signoff_agreement *a) {
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) < 1) return false;
    size_t n = (size_t)cJSON_GetArraySize(arr), k = 0;
    const char **names = calloc(n, sizeof *names);
    const cJSON *v;
    bool ok = names != NULL;
    cJSON_ArrayForEach(v, arr) {
        ok = ok && cJSON_IsString(v) && utf8_valid_label(v->valuestring, PROTO_NAME_MAX);
        if (ok) names[k++] = v->valuestring;
    }
    ok = ok && agreement_orgs(a, names, k);
    free(names);
    return ok;
}

bool signoff_read_agreement(const char *json, signoff_agreement *a) {
    memset(a, 0, sizeof *a);
    cJSON *o = json ? cJSON_Parse(json) : NULL;
    const char *sha = cJSON_GetStringValue(item(o, "sha256"));
    bool ok = read_int(o, "rev", &a->rev) && read_int(o, "at", &a->at) && digest_valid_sha256_hex(sha) &&
              read_orgs(item(o, "organisations"), a);
    if (ok) memcpy(a->sha256, sha, DIGEST_SHA256_HEX + 1);
    else signoff_agreement_free(a);
    cJSON_Delete(o);
    return ok;
}

/* "open":…,"called_at":…,"organisations":[…],"agreed":…: the fields after "{" or "type". */
static void write_fields(sbuf *b, const signoff *s) {
    sbuf_puts(b, s->open ? "\"open\":true" : "\"open\":false");
    put_key(b, "called_at");
    if (s->called_at) sbuf_put_i64(b, s->called_at);
    else sbuf_puts(b, "null");
    put_key(b, "organisations");
    sbuf_putc(b, '[');
    for (size_t i = 0; i < s->ndecisions; i++) {
        if (i) sbuf_putc(b, ',');
        signoff_write_decision(b, &s->decisions[i], true);
    }
    sbuf_putc(b, ']');
    put_key(b, "agreed");
    if (s->has_agreed) signoff_write_agreement(b, &s->agreed, true);
    else sbuf_puts(b, "null");
}

void signoff_write(sbuf *b, const signoff *s) {
    sbuf_putc(b, '{');
    write_fields(b, s);
    sbuf_putc(b, '}');
}

void signoff_write_message(sbuf *b, const signoff *s, const char *idjson) {
    sbuf_puts(b, "{\"type\":\"signoff\",");
    write_fields(b, s);
    proto_write_id(b, idjson);
    sbuf_putc(b, '}');
}

/* ---- The history ---- */

static void fold_decision(signoff *s, const hist_event *e, signoff_kind kind) {
    signoff_decision d;
    if (!fill_decision(&d, kind, e->org, e->sha256, e->reason, e->by, e->name ? e->name : "")) return;
    d.rev = kind == SIGNOFF_ENDORSED ? e->endorsed_rev : e->rev;
    d.at = e->t;
    if (d.rev < 0 || !signoff_put(s, &d)) {
        s->oom = s->oom || d.rev >= 0;
        signoff_decision_free(&d);
    }
}

static void fold_agreement(signoff *s, const hist_event *e) {
    signoff_agreement a;
    memset(&a, 0, sizeof a);
    cJSON *orgs = e->organisations ? cJSON_Parse(e->organisations) : NULL;
    if (digest_valid_sha256_hex(e->sha256) && read_orgs(orgs, &a)) {
        a.rev = e->rev;
        a.at = e->t;
        memcpy(a.sha256, e->sha256, DIGEST_SHA256_HEX + 1);
        signoff_set_agreed(s, &a);
    }
    signoff_agreement_free(&a);
    cJSON_Delete(orgs);
}

void signoff_fold(signoff *s, const hist_event *e) {
    if (strcmp(e->type, "signoff_called") == 0) signoff_set_open(s, true, e->t);
    else if (strcmp(e->type, "signoff_closed") == 0) signoff_set_open(s, false, e->t);
    else if (strcmp(e->type, "endorsed") == 0) fold_decision(s, e, SIGNOFF_ENDORSED);
    else if (strcmp(e->type, "declined") == 0) fold_decision(s, e, SIGNOFF_DECLINED);
    else if (strcmp(e->type, "agreed") == 0) fold_agreement(s, e);
}
