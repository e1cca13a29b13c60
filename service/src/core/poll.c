#include "core/poll.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

#define MAX_SAFE_INT 9007199254740991.0 /* 2^53 - 1: beyond it doubles lose integers */
#define STORE_VERSION 1

/* ---- names ------------------------------------------------------------- */

static const char *const kind_names[] = {
    [POLL_SINGLE] = "single", [POLL_MULTIPLE] = "multiple", [POLL_SCALE] = "scale", [POLL_TEXT] = "text",
};
static const char *const state_names[] = {
    [POLL_DRAFT] = "draft", [POLL_OPEN] = "open", [POLL_CLOSED] = "closed", [POLL_DELETED] = "deleted",
};
static const char *const visibility_names[] = {
    [POLL_RESULTS_HIDDEN] = "hidden", [POLL_RESULTS_LIVE] = "live", [POLL_RESULTS_REVEALED] = "revealed",
};

#define COUNT(a) (sizeof(a) / sizeof *(a))

const char *poll_err_code(poll_err e) {
    switch (e) {
    case POLL_ESTATE: return "poll_state";
    case POLL_ECLOSED: return "poll_closed";
    case POLL_ELIMIT: return "poll_limit";
    default: return proto_err_code((proto_err)e);
    }
}

const char *poll_kind_name(poll_kind k) { return (size_t)k < COUNT(kind_names) ? kind_names[k] : "?"; }
const char *poll_state_name(poll_state s) { return (size_t)s < COUNT(state_names) ? state_names[s] : "?"; }
const char *poll_visibility_name(poll_visibility v) {
    return (size_t)v < COUNT(visibility_names) ? visibility_names[v] : "?";
}

static bool name_index(const char *s, const char *const *names, size_t n, int *out) {
    if (!s) return false;
    for (size_t i = 0; i < n; i++)
        if (names[i] && strcmp(s, names[i]) == 0) {
            *out = (int)i;
            return true;
        }
    return false;
}

bool poll_visibility_from_name(const char *s, poll_visibility *v) {
    int i;
    if (!name_index(s, visibility_names, COUNT(visibility_names), &i)) return false;
    *v = (poll_visibility)i;
    return true;
}

const char *poll_alignment_label(double d) {
    if (d < 0.2) return "aligned";
    if (d < 0.5) return "partly_aligned";
    return "divergent";
}

bool poll_valid_id(const char *id) { return id && proto_valid_b64url(id, POLL_ID_MAX); }

static poll_err fail(const char **why, poll_err e, const char *msg) {
    if (why) *why = msg;
    return e;
}

/* ---- input checks ------------------------------------------------------ */

/* 1..max code points of valid UTF-8, no C0 or C1 control character (they
 * would let one participant break everyone's layout), not only spaces. */
static bool valid_text(const char *s, size_t max) {
    if (!s) return false;
    size_t n = strlen(s);
    if (n == 0 || !utf8_valid(s, n)) return false;
    bool blank = true;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) return false;
        if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] <= 0x9f) return false;
        if (c != ' ') blank = false;
    }
    size_t cps = utf8_count(s, n);
    return !blank && cps >= 1 && cps <= max;
}

static bool valid_pid(const char *pid) {
    if (!pid) return false;
    size_t n = strlen(pid);
    if (n == 0 || n > POLL_PID_MAX) return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)pid[i] <= 0x20 || pid[i] == 0x7f) return false;
    return true;
}

static bool valid_org(const char *org) { return org && proto_valid_label(org, PROTO_NAME_MAX) && utf8_valid(org, strlen(org)); }

/* An integral JSON number in [lo, hi]. */
static bool json_int(const cJSON *v, double lo, double hi, int64_t *out) {
    if (!cJSON_IsNumber(v)) return false;
    double d = v->valuedouble;
    if (!isfinite(d) || d != floor(d) || d < lo || d > hi) return false;
    *out = (int64_t)d;
    return true;
}

/* ---- definitions ------------------------------------------------------- */

void poll_def_free(poll_def *d) {
    free(d->question);
    for (size_t i = 0; i < d->nchoices; i++) free(d->choices ? d->choices[i] : NULL);
    free(d->choices);
    memset(d, 0, sizeof *d);
}

poll_err poll_def_check(const poll_def *d, const char **why) {
    if ((size_t)d->kind >= COUNT(kind_names)) return fail(why, POLL_EBAD_REQUEST, "unknown poll kind");
    if (!valid_text(d->question, POLL_QUESTION_MAX))
        return fail(why, POLL_EBAD_REQUEST, "question must be 1 to 300 characters, without control characters");
    bool choices = d->kind == POLL_SINGLE || d->kind == POLL_MULTIPLE;
    if (!choices) {
        if (d->nchoices || d->choices)
            return fail(why, POLL_EBAD_REQUEST, "scale and text polls have no \"choices\"");
    } else {
        if (d->nchoices < POLL_CHOICES_MIN || d->nchoices > POLL_CHOICES_MAX || !d->choices)
            return fail(why, POLL_EBAD_REQUEST, "a choice poll needs 2 to 12 choices");
        for (size_t i = 0; i < d->nchoices; i++) {
            if (!valid_text(d->choices[i], POLL_CHOICE_MAX))
                return fail(why, POLL_EBAD_REQUEST, "each choice must be 1 to 120 characters, without control characters");
            for (size_t j = 0; j < i; j++)
                if (strcmp(d->choices[i], d->choices[j]) == 0)
                    return fail(why, POLL_EBAD_REQUEST, "two choices are the same");
        }
    }
    switch (d->kind) {
    case POLL_MULTIPLE:
        if (d->max < 1 || d->max > d->nchoices)
            return fail(why, POLL_EBAD_REQUEST, "max must be between 1 and the number of choices");
        break;
    case POLL_TEXT:
        if (d->max < 1 || d->max > POLL_ANSWERS_LIMIT)
            return fail(why, POLL_EBAD_REQUEST, "max (answers per participant) must be between 1 and 10");
        break;
    default:
        if (d->max != 0) return fail(why, POLL_EBAD_REQUEST, "only multiple choice and text polls take \"max\"");
    }
    return POLL_OK;
}

poll_err poll_def_from_json(const cJSON *o, poll_def *d, const char **why) {
    memset(d, 0, sizeof *d);
    if (!cJSON_IsObject(o)) return fail(why, POLL_EBAD_REQUEST, "a poll definition must be an object");
    int k;
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(o, "kind");
    if (!name_index(cJSON_GetStringValue(kind), kind_names, COUNT(kind_names), &k))
        return fail(why, POLL_EBAD_REQUEST, "kind must be \"single\", \"multiple\", \"scale\" or \"text\"");
    d->kind = (poll_kind)k;
    const char *q = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "question"));
    if (!q) return fail(why, POLL_EBAD_REQUEST, "question must be a string");
    poll_err e = POLL_OK;
    if (!(d->question = strdup(q))) return fail(why, POLL_EINTERNAL, "out of memory");

    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(o, "choices");
    if (ch) {
        int n = cJSON_GetArraySize(ch);
        if (!cJSON_IsArray(ch) || n < POLL_CHOICES_MIN || n > POLL_CHOICES_MAX) {
            e = fail(why, POLL_EBAD_REQUEST, d->kind == POLL_SINGLE || d->kind == POLL_MULTIPLE
                                                 ? "choices must be an array of 2 to 12 strings"
                                                 : "scale and text polls have no \"choices\"");
            goto out;
        }
        if (!(d->choices = calloc((size_t)n, sizeof *d->choices))) {
            e = fail(why, POLL_EINTERNAL, "out of memory");
            goto out;
        }
        d->nchoices = (size_t)n;
        size_t i = 0;
        const cJSON *c;
        cJSON_ArrayForEach(c, ch) {
            if (!cJSON_IsString(c)) {
                e = fail(why, POLL_EBAD_REQUEST, "choices must be strings");
                goto out;
            }
            if (!(d->choices[i++] = strdup(c->valuestring))) {
                e = fail(why, POLL_EINTERNAL, "out of memory");
                goto out;
            }
        }
    }
    const cJSON *mx = cJSON_GetObjectItemCaseSensitive(o, "max");
    if (mx) {
        int64_t m;
        if (d->kind != POLL_MULTIPLE && d->kind != POLL_TEXT) {
            e = fail(why, POLL_EBAD_REQUEST, "only multiple choice and text polls take \"max\"");
            goto out;
        }
        /* the range is poll_def_check's, with the message for the kind */
        if (!json_int(mx, 0, 1000, &m)) m = 0;
        d->max = (unsigned)m;
    } else if (d->kind == POLL_MULTIPLE) {
        d->max = (unsigned)d->nchoices;
    } else if (d->kind == POLL_TEXT) {
        d->max = POLL_ANSWERS_DEFAULT;
    }
    e = poll_def_check(d, why);
out:
    if (e != POLL_OK) poll_def_free(d);
    return e;
}

/* ---- polls and their lifecycle ----------------------------------------- */

static poll_t *poll_alloc(const char *id, int64_t created) {
    poll_t *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    snprintf(p->id, sizeof p->id, "%s", id);
    p->state = POLL_DRAFT;
    p->results = POLL_RESULTS_HIDDEN;
    p->created = created;
    return p;
}

void poll_free(poll_t *p) {
    if (!p) return;
    poll_def_free(&p->def);
    for (size_t i = 0; i < p->norgs; i++) free(p->orgs[i].name);
    free(p->orgs);
    free(p->voters);
    free(p->slots);
    for (uint32_t i = 0; i < p->answers_cap; i++) {
        free(p->answers[i].text);
        free(p->answers[i].upvoters);
    }
    free(p->answers);
    free(p->pending);
    free(p);
}

/* A facilitator action may go ahead (the state is the caller's to check). */
static poll_err lead(const poll_t *p, bool facilitator, const char **why) {
    if (p->state == POLL_DELETED) return fail(why, POLL_ENOT_FOUND, "no such poll");
    if (!facilitator) return fail(why, POLL_EFORBIDDEN, "only a facilitator can do this");
    return POLL_OK;
}

poll_err poll_create(poll_t **out, const char *id, bool facilitator, poll_def *def, int64_t created, const char **why) {
    *out = NULL;
    if (!facilitator) return fail(why, POLL_EFORBIDDEN, "only a facilitator can create a poll");
    if (!poll_valid_id(id)) return fail(why, POLL_EBAD_REQUEST, "a poll id is 1 to 22 base64url characters");
    poll_err e = poll_def_check(def, why);
    if (e != POLL_OK) return e;
    poll_t *p = poll_alloc(id, created);
    if (!p) return fail(why, POLL_EINTERNAL, "out of memory");
    p->def = *def;
    memset(def, 0, sizeof *def);
    *out = p;
    return POLL_OK;
}

poll_err poll_edit(poll_t *p, bool facilitator, poll_def *def, const char **why) {
    poll_err e = lead(p, facilitator, why);
    if (e != POLL_OK) return e;
    if (p->state != POLL_DRAFT) return fail(why, POLL_ESTATE, "only a draft poll can be edited");
    if ((e = poll_def_check(def, why)) != POLL_OK) return e;
    /* A draft never took a ballot, so there are no tallies to re-shape. */
    poll_def_free(&p->def);
    p->def = *def;
    memset(def, 0, sizeof *def);
    return POLL_OK;
}

/* Move from `from` to `to`, or refuse with why_not. */
static poll_err step(poll_t *p, bool facilitator, poll_state from, poll_state to, const char *why_not,
                     const char **why) {
    poll_err e = lead(p, facilitator, why);
    if (e != POLL_OK) return e;
    if (p->state != from) return fail(why, POLL_ESTATE, why_not);
    p->state = to;
    return POLL_OK;
}

poll_err poll_open(poll_t *p, bool facilitator, const char **why) {
    return step(p, facilitator, POLL_DRAFT, POLL_OPEN, "only a draft poll can be opened (reopen a closed one)", why);
}

poll_err poll_close(poll_t *p, bool facilitator, const char **why) {
    return step(p, facilitator, POLL_OPEN, POLL_CLOSED, "only an open poll can be closed", why);
}

poll_err poll_reopen(poll_t *p, bool facilitator, const char **why) {
    poll_err e = step(p, facilitator, POLL_CLOSED, POLL_OPEN, "only a closed poll can be reopened", why);
    /* Revealed results were a snapshot of a finished vote: showing them while
     * people vote again would sway the new ballots. Live stays live. */
    if (e == POLL_OK && p->results == POLL_RESULTS_REVEALED) p->results = POLL_RESULTS_HIDDEN;
    return e;
}

poll_err poll_set_visibility(poll_t *p, bool facilitator, poll_visibility v, const char **why) {
    poll_err e = lead(p, facilitator, why);
    if (e != POLL_OK) return e;
    if ((size_t)v >= COUNT(visibility_names)) return fail(why, POLL_EBAD_REQUEST, "results must be \"hidden\", \"live\" or \"revealed\"");
    p->results = v;
    return POLL_OK;
}

poll_err poll_delete(poll_t *p, bool facilitator, const char **why) {
    poll_err e = lead(p, facilitator, why);
    if (e != POLL_OK) return e;
    p->state = POLL_DELETED;
    return POLL_OK;
}

bool poll_visible(const poll_t *p, bool facilitator) {
    if (p->state == POLL_DELETED) return false;
    return facilitator || p->state != POLL_DRAFT;
}

bool poll_may_see_results(const poll_t *p, bool facilitator) {
    if (!poll_visible(p, facilitator)) return false;
    return facilitator || p->results != POLL_RESULTS_HIDDEN;
}

/* ---- voters and organisations ------------------------------------------ */

static uint32_t hash_pid(const char *s) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

static long voter_find(const poll_t *p, const char *pid) {
    if (!p->nslots) return -1;
    size_t mask = p->nslots - 1;
    for (size_t i = hash_pid(pid) & mask;; i = (i + 1) & mask) {
        uint32_t s = p->slots[i];
        if (!s) return -1;
        if (strcmp(p->voters[s - 1].pid, pid) == 0) return (long)s - 1;
    }
}

static void slot_put(uint32_t *slots, size_t nslots, const char *pid, uint32_t value) {
    size_t mask = nslots - 1, i = hash_pid(pid) & mask;
    while (slots[i]) i = (i + 1) & mask;
    slots[i] = value;
}

static long org_get(poll_t *p, const char *name) {
    for (size_t i = 0; i < p->norgs; i++)
        if (strcmp(p->orgs[i].name, name) == 0) return (long)i;
    if (p->norgs == p->orgs_cap) {
        size_t cap = p->orgs_cap ? p->orgs_cap * 2 : 8;
        poll_org *o = realloc(p->orgs, cap * sizeof *o);
        if (!o) return -1;
        p->orgs = o;
        p->orgs_cap = cap;
    }
    poll_org *o = &p->orgs[p->norgs];
    memset(o, 0, sizeof *o);
    if (!(o->name = strdup(name))) return -1;
    return (long)p->norgs++;
}

static bool active(const poll_voter *v) { return v->answers + v->upvotes > 0; }

/* Add (s = +1) or remove (s = -1) a voter's ballot from the tallies. */
static void tally(poll_t *p, const poll_voter *v, int s) {
    if (v->ballot.none) return;
    poll_org *o = &p->orgs[v->org];
    p->respondents += (uint32_t)s;
    o->respondents += (uint32_t)s;
    if (p->def.kind == POLL_SCALE) {
        p->counts[v->ballot.value - 1] += (uint32_t)s;
        o->counts[v->ballot.value - 1] += (uint32_t)s;
        return;
    }
    uint64_t w = POLL_WEIGHT_UNIT / (unsigned)__builtin_popcount(v->ballot.picks);
    for (size_t k = 0; k < p->def.nchoices; k++) {
        if (!(v->ballot.picks & (1u << k))) continue;
        p->counts[k] += (uint32_t)s;
        o->counts[k] += (uint32_t)s;
        if (p->def.kind == POLL_MULTIPLE) o->weights[k] += s > 0 ? w : -w;
    }
}

/* A text voter's part in the respondent counts after their answers or
 * upvotes changed; `was` is whether they counted before. */
static void text_update(poll_t *p, const poll_voter *v, bool was) {
    bool is = active(v);
    if (was == is) return;
    uint32_t d = is ? 1u : (uint32_t)-1;
    p->respondents += d;
    p->orgs[v->org].respondents += d;
}

/* The voter for pid, created when absent and moved to org when they arrive
 * with another organisation than before. -1 when out of memory. */
static long voter_get(poll_t *p, const char *pid, const char *org) {
    long vi = voter_find(p, pid);
    /* The usual case, a known voter in their usual organisation, must not
     * scan the organisations: 200 people vote within the same second. */
    if (vi >= 0 && strcmp(p->orgs[p->voters[vi].org].name, org) == 0) return vi;
    long oi = org_get(p, org);
    if (oi < 0) return -1;
    if (vi >= 0) {
        poll_voter *v = &p->voters[vi];
        tally(p, v, -1);
        if (active(v)) p->orgs[v->org].respondents--;
        v->org = (uint32_t)oi;
        if (active(v)) p->orgs[v->org].respondents++;
        tally(p, v, +1);
        return vi;
    }
    if ((p->nvoters + 1) * 2 > p->nslots) {
        size_t n = p->nslots ? p->nslots * 2 : 64;
        uint32_t *slots = calloc(n, sizeof *slots);
        if (!slots) return -1;
        for (size_t i = 0; i < p->nvoters; i++) slot_put(slots, n, p->voters[i].pid, (uint32_t)i + 1);
        free(p->slots);
        p->slots = slots;
        p->nslots = n;
    }
    if (p->nvoters == p->voters_cap) {
        size_t cap = p->voters_cap ? p->voters_cap * 2 : 32;
        poll_voter *v = realloc(p->voters, cap * sizeof *v);
        if (!v) return -1;
        p->voters = v;
        p->voters_cap = cap;
    }
    poll_voter *v = &p->voters[p->nvoters];
    memset(v, 0, sizeof *v);
    snprintf(v->pid, sizeof v->pid, "%s", pid);
    v->org = (uint32_t)oi;
    v->ballot.none = true;
    slot_put(p->slots, p->nslots, pid, (uint32_t)p->nvoters + 1);
    return (long)p->nvoters++;
}

/* ---- ballots ----------------------------------------------------------- */

/* The poll is live and takes this kind of input. */
static poll_err gate(const poll_t *p, bool text, const char **why) {
    if (p->state == POLL_DELETED) return fail(why, POLL_ENOT_FOUND, "no such poll");
    if ((p->def.kind == POLL_TEXT) != text)
        return fail(why, POLL_EBAD_REQUEST, text ? "this poll takes ballots, not text answers" : "this poll takes text answers, not ballots");
    if (p->state != POLL_OPEN) return fail(why, POLL_ECLOSED, "the poll is not open");
    return POLL_OK;
}

static poll_err ballot_check(const poll_t *p, const poll_ballot *b, const char **why) {
    unsigned n = (unsigned)__builtin_popcount(b->picks);
    bool in_range = (b->picks >> p->def.nchoices) == 0;
    switch (p->def.kind) {
    case POLL_SINGLE:
        if (n != 1 || !in_range || b->value) return fail(why, POLL_EBAD_REQUEST, "a ballot is the index of one choice");
        return POLL_OK;
    case POLL_MULTIPLE:
        if (n < 1 || n > p->def.max || !in_range || b->value)
            return fail(why, POLL_EBAD_REQUEST, "a ballot is an array of 1 to max distinct choice indexes");
        return POLL_OK;
    case POLL_SCALE:
        if (b->picks || b->value < 1 || b->value > POLL_SCALE_POINTS)
            return fail(why, POLL_EBAD_REQUEST, "a ballot is an integer from 1 to 5");
        return POLL_OK;
    default: return fail(why, POLL_EBAD_REQUEST, "this poll takes text answers, not ballots");
    }
}

poll_err poll_ballot_from_json(const poll_t *p, const cJSON *v, poll_ballot *b, const char **why) {
    memset(b, 0, sizeof *b);
    if (p->def.kind == POLL_TEXT) return fail(why, POLL_EBAD_REQUEST, "this poll takes text answers, not ballots");
    if (cJSON_IsNull(v)) {
        b->none = true;
        return POLL_OK;
    }
    int64_t x;
    switch (p->def.kind) {
    case POLL_SINGLE:
        if (!json_int(v, 0, (double)p->def.nchoices - 1, &x))
            return fail(why, POLL_EBAD_REQUEST, "a ballot is the index of one choice");
        b->picks = (uint16_t)(1u << x);
        break;
    case POLL_MULTIPLE: {
        int n = cJSON_GetArraySize(v);
        if (!cJSON_IsArray(v) || n < 1 || (unsigned)n > p->def.max)
            return fail(why, POLL_EBAD_REQUEST, "a ballot is an array of 1 to max distinct choice indexes");
        const cJSON *c;
        cJSON_ArrayForEach(c, v) {
            if (!json_int(c, 0, (double)p->def.nchoices - 1, &x) || (b->picks & (1u << x)))
                return fail(why, POLL_EBAD_REQUEST, "a ballot is an array of 1 to max distinct choice indexes");
            b->picks |= (uint16_t)(1u << x);
        }
        break;
    }
    default:
        if (!json_int(v, 1, POLL_SCALE_POINTS, &x)) return fail(why, POLL_EBAD_REQUEST, "a ballot is an integer from 1 to 5");
        b->value = (uint8_t)x;
    }
    return ballot_check(p, b, why);
}

/* Record a checked ballot (not `none`), whatever the state. */
static poll_err record_ballot(poll_t *p, const char *pid, const char *org, const poll_ballot *b, const char **why) {
    long vi = voter_get(p, pid, org);
    if (vi < 0) return fail(why, POLL_EINTERNAL, "out of memory");
    poll_voter *v = &p->voters[vi];
    tally(p, v, -1);
    v->ballot = *b;
    v->ballot.none = false;
    tally(p, v, +1);
    return POLL_OK;
}

poll_err poll_vote(poll_t *p, const char *pid, const char *org, const poll_ballot *b, const char **why) {
    poll_err e = gate(p, false, why);
    if (e != POLL_OK) return e;
    if (!valid_pid(pid) || !valid_org(org) || !b)
        return fail(why, POLL_EBAD_REQUEST, "a ballot needs a participant and an organisation");
    if (b->none) {
        long vi = voter_find(p, pid);
        if (vi >= 0) {
            tally(p, &p->voters[vi], -1);
            p->voters[vi].ballot.none = true;
        }
        return POLL_OK;
    }
    if ((e = ballot_check(p, b, why)) != POLL_OK) return e;
    return record_ballot(p, pid, org, b, why);
}

/* ---- text answers and upvotes ------------------------------------------ */

static poll_answer *live_answer(const poll_t *p, uint32_t id) {
    if (id < 1 || id > p->answers_next || !p->answers[id - 1].text) return NULL;
    return &p->answers[id - 1];
}

static bool upvoted(const poll_answer *a, size_t vi) {
    return vi / 64 < a->words && (a->upvoters[vi / 64] >> (vi % 64) & 1);
}

/* Make room for answer ids up to n. */
static bool answers_reserve(poll_t *p, uint32_t n) {
    if (n <= p->answers_cap) return true;
    uint32_t cap = p->answers_cap ? p->answers_cap : 16;
    while (cap < n) cap *= 2;
    poll_answer *a = realloc(p->answers, cap * sizeof *a);
    if (!a) return false;
    memset(a + p->answers_cap, 0, (cap - p->answers_cap) * sizeof *a);
    p->answers = a;
    p->answers_cap = cap;
    return true;
}

/* Hand out ids up to n (deleted until filled). */
static bool answers_extend(poll_t *p, uint32_t n) {
    if (!answers_reserve(p, n)) return false;
    if (n > p->answers_next) p->answers_next = n;
    return true;
}

static poll_err text_input(const char *text, const char **why) {
    if (!valid_text(text, POLL_ANSWER_MAX))
        return fail(why, POLL_EBAD_REQUEST, "an answer is 1 to 280 characters, without control characters");
    return POLL_OK;
}

/* Store answer `id` (a free slot) for voter vi. */
static poll_err answer_put(poll_t *p, uint32_t vi, uint32_t id, const char *text, const char **why) {
    poll_answer *a = &p->answers[id - 1];
    char *t = strdup(text);
    if (!t) return fail(why, POLL_EINTERNAL, "out of memory");
    free(a->upvoters);
    memset(a, 0, sizeof *a);
    a->author = vi;
    a->text = t;
    poll_voter *v = &p->voters[vi];
    bool was = active(v);
    v->answers++;
    text_update(p, v, was);
    return POLL_OK;
}

poll_err poll_answer_add(poll_t *p, const char *pid, const char *org, const char *text, uint32_t *answer_id,
                         const char **why) {
    poll_err e = gate(p, true, why);
    if (e != POLL_OK) return e;
    if (!valid_pid(pid) || !valid_org(org))
        return fail(why, POLL_EBAD_REQUEST, "an answer needs a participant and an organisation");
    if ((e = text_input(text, why)) != POLL_OK) return e;
    long fv = voter_find(p, pid);
    if (fv >= 0 && p->voters[fv].answers >= p->def.max)
        return fail(why, POLL_ELIMIT, "you already gave as many answers as this poll takes: edit or delete one");
    if (p->answers_next >= POLL_ANSWER_IDS) return fail(why, POLL_ELIMIT, "this poll takes no more answers");
    long vi = voter_get(p, pid, org);
    if (vi < 0 || !answers_reserve(p, p->answers_next + 1)) return fail(why, POLL_EINTERNAL, "out of memory");
    uint32_t id = p->answers_next + 1;
    if ((e = answer_put(p, (uint32_t)vi, id, text, why)) != POLL_OK) return e;
    p->answers_next = id;
    if (answer_id) *answer_id = id;
    return POLL_OK;
}

poll_err poll_answer_edit(poll_t *p, const char *pid, uint32_t answer_id, const char *text, const char **why) {
    poll_err e = gate(p, true, why);
    if (e != POLL_OK) return e;
    if ((e = text_input(text, why)) != POLL_OK) return e;
    poll_answer *a = live_answer(p, answer_id);
    if (!a) return fail(why, POLL_ENOT_FOUND, "no such answer");
    long vi = pid ? voter_find(p, pid) : -1;
    if (vi < 0 || a->author != (uint32_t)vi) return fail(why, POLL_EFORBIDDEN, "only its author can edit an answer");
    if (strcmp(a->text, text) == 0) return POLL_OK;
    char *t = strdup(text);
    if (!t) return fail(why, POLL_EINTERNAL, "out of memory");
    free(a->text);
    a->text = t;
    return POLL_OK;
}

poll_err poll_answer_delete(poll_t *p, const char *pid, bool facilitator, uint32_t answer_id, const char **why) {
    if (p->state == POLL_DELETED) return fail(why, POLL_ENOT_FOUND, "no such poll");
    if (p->def.kind != POLL_TEXT) return fail(why, POLL_EBAD_REQUEST, "this poll takes ballots, not text answers");
    poll_answer *a = live_answer(p, answer_id);
    if (!a) return fail(why, POLL_ENOT_FOUND, "no such answer");
    if (!facilitator) {
        long vi = pid ? voter_find(p, pid) : -1;
        if (vi < 0 || a->author != (uint32_t)vi)
            return fail(why, POLL_EFORBIDDEN, "only its author or a facilitator can delete an answer");
        if (p->state != POLL_OPEN) return fail(why, POLL_ECLOSED, "the poll is not open");
    }
    for (uint32_t w = 0; w < a->words; w++)
        for (uint64_t bits = a->upvoters[w]; bits; bits &= bits - 1) {
            poll_voter *u = &p->voters[w * 64 + (uint32_t)__builtin_ctzll(bits)];
            bool was = active(u);
            u->upvotes--;
            text_update(p, u, was);
        }
    poll_voter *v = &p->voters[a->author];
    bool was = active(v);
    v->answers--;
    text_update(p, v, was);
    free(a->text);
    free(a->upvoters);
    memset(a, 0, sizeof *a);
    return POLL_OK;
}

/* Set voter vi's upvote on a (not its author's, not already set). */
static poll_err upvote_set(poll_t *p, poll_answer *a, size_t vi, const char **why) {
    uint32_t need = (uint32_t)(vi / 64 + 1);
    if (need > a->words) {
        uint64_t *u = realloc(a->upvoters, need * sizeof *u);
        if (!u) return fail(why, POLL_EINTERNAL, "out of memory");
        memset(u + a->words, 0, (need - a->words) * sizeof *u);
        a->upvoters = u;
        a->words = need;
    }
    a->upvoters[vi / 64] |= 1ull << (vi % 64);
    a->upvotes++;
    poll_voter *v = &p->voters[vi];
    bool was = active(v);
    v->upvotes++;
    text_update(p, v, was);
    return POLL_OK;
}

poll_err poll_upvote(poll_t *p, const char *pid, const char *org, uint32_t answer_id, bool up, const char **why) {
    poll_err e = gate(p, true, why);
    if (e != POLL_OK) return e;
    if (!valid_pid(pid) || !valid_org(org))
        return fail(why, POLL_EBAD_REQUEST, "an upvote needs a participant and an organisation");
    poll_answer *a = live_answer(p, answer_id);
    if (!a) return fail(why, POLL_ENOT_FOUND, "no such answer");
    if (!up) {
        long vi = voter_find(p, pid);
        if (vi < 0 || !upvoted(a, (size_t)vi)) return POLL_OK;
        a->upvoters[vi / 64] &= ~(1ull << (vi % 64));
        a->upvotes--;
        poll_voter *v = &p->voters[vi];
        bool was = active(v);
        v->upvotes--;
        text_update(p, v, was);
        return POLL_OK;
    }
    long fv = voter_find(p, pid);
    if (fv >= 0 && a->author == (uint32_t)fv) return fail(why, POLL_EFORBIDDEN, "you cannot upvote your own answer");
    long vi = voter_get(p, pid, org);
    if (vi < 0) return fail(why, POLL_EINTERNAL, "out of memory");
    if (upvoted(a, (size_t)vi)) return POLL_OK;
    return upvote_set(p, a, (size_t)vi, why);
}

/* ---- results and alignment --------------------------------------------- */

static unsigned group_min(unsigned min_group) { return min_group ? min_group : 1; }

/* The share of an organisation's answers on choice k: for multiple choice
 * each respondent weighs 1, split evenly over their picks. */
static double share(const poll_t *p, const poll_org *o, size_t k) {
    if (p->def.kind == POLL_MULTIPLE) return (double)o->weights[k] / ((double)o->respondents * POLL_WEIGHT_UNIT);
    return (double)o->counts[k] / (double)o->respondents;
}

static double org_mean(const poll_org *o) {
    uint64_t sum = 0;
    for (int k = 0; k < POLL_SCALE_POINTS; k++) sum += (uint64_t)(k + 1) * o->counts[k];
    return (double)sum / (double)o->respondents;
}

bool poll_alignment(const poll_t *p, unsigned min_group, double *divergence) {
    if (p->state == POLL_DELETED || p->def.kind == POLL_TEXT) return false;
    unsigned g = group_min(min_group);
    size_t n = 0, pairs = 0;
    double lo = 0, hi = 0, sum = 0;
    for (size_t i = 0; i < p->norgs; i++) {
        const poll_org *a = &p->orgs[i];
        if (a->respondents < g) continue;
        if (p->def.kind == POLL_SCALE) {
            double m = org_mean(a);
            if (n == 0 || m < lo) lo = m;
            if (n == 0 || m > hi) hi = m;
        } else {
            for (size_t j = 0; j < i; j++) {
                const poll_org *b = &p->orgs[j];
                if (b->respondents < g) continue;
                double tv = 0;
                for (size_t k = 0; k < p->def.nchoices; k++) tv += fabs(share(p, a, k) - share(p, b, k));
                sum += tv / 2;
                pairs++;
            }
        }
        n++;
    }
    if (n < 2) return false;
    double d = p->def.kind == POLL_SCALE ? (hi - lo) / (POLL_SCALE_POINTS - 1) : sum / (double)pairs;
    d = round(d * 10000) / 10000;
    *divergence = d < 0 ? 0 : d > 1 ? 1 : d;
    return true;
}

/* ---- encoders ---------------------------------------------------------- */

static void put_id(sbuf *b, const char *idjson) {
    if (idjson && idjson[0]) {
        sbuf_puts(b, ",\"id\":");
        sbuf_puts(b, idjson);
    }
}

/* A number rounded to 4 decimals, without trailing zeros. */
static void put_num(sbuf *b, double x) {
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.4f", round(x * 10000) / 10000);
    char *e = tmp + strlen(tmp);
    while (e[-1] == '0') e--;
    if (e[-1] == '.') e--;
    *e = '\0';
    sbuf_puts(b, strcmp(tmp, "-0") == 0 ? "0" : tmp);
}

static void put_u32s(sbuf *b, const uint32_t *v, size_t n) {
    sbuf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i) sbuf_putc(b, ',');
        sbuf_put_i64(b, v[i]);
    }
    sbuf_putc(b, ']');
}

/* "kind":…,"question":…[,"choices":[…]][,"max":N] */
static void put_def(sbuf *b, const poll_def *d) {
    sbuf_puts(b, "\"kind\":\"");
    sbuf_puts(b, poll_kind_name(d->kind));
    sbuf_puts(b, "\",\"question\":");
    sbuf_put_jstrz(b, d->question);
    if (d->nchoices) {
        sbuf_puts(b, ",\"choices\":[");
        for (size_t i = 0; i < d->nchoices; i++) {
            if (i) sbuf_putc(b, ',');
            sbuf_put_jstrz(b, d->choices[i]);
        }
        sbuf_putc(b, ']');
    }
    if (d->max) sbuf_printf(b, ",\"max\":%u", d->max);
}

/* A ballot as on the wire: an index, an array of indexes, a scale value, or null. */
static void put_ballot(sbuf *b, const poll_t *p, const poll_ballot *bl) {
    if (bl->none) {
        sbuf_puts(b, "null");
    } else if (p->def.kind == POLL_SCALE) {
        sbuf_put_i64(b, bl->value);
    } else if (p->def.kind == POLL_SINGLE) {
        sbuf_put_i64(b, __builtin_ctz(bl->picks));
    } else {
        sbuf_putc(b, '[');
        bool first = true;
        for (size_t k = 0; k < p->def.nchoices; k++)
            if (bl->picks & (1u << k)) {
                if (!first) sbuf_putc(b, ',');
                sbuf_put_i64(b, (int64_t)k);
                first = false;
            }
        sbuf_putc(b, ']');
    }
}

void poll_write_public(sbuf *b, const poll_t *p) {
    sbuf_puts(b, "{\"id\":");
    sbuf_put_jstrz(b, p->id);
    sbuf_putc(b, ',');
    put_def(b, &p->def);
    sbuf_printf(b, ",\"state\":\"%s\",\"results\":\"%s\",\"created\":", poll_state_name(p->state),
                poll_visibility_name(p->results));
    sbuf_put_i64(b, p->created);
    if (p->def.kind == POLL_TEXT) {
        sbuf_puts(b, ",\"answers\":[");
        bool first = true;
        for (uint32_t i = 0; i < p->answers_next; i++) {
            if (!p->answers[i].text) continue;
            sbuf_puts(b, first ? "{\"id\":" : ",{\"id\":");
            sbuf_put_i64(b, i + 1);
            sbuf_puts(b, ",\"text\":");
            sbuf_put_jstrz(b, p->answers[i].text);
            sbuf_putc(b, '}');
            first = false;
        }
        sbuf_putc(b, ']');
    }
    sbuf_putc(b, '}');
}

void poll_write_poll(sbuf *b, const poll_t *p, const char *idjson) {
    sbuf_puts(b, "{\"type\":\"poll\"");
    put_id(b, idjson);
    sbuf_puts(b, ",\"poll\":");
    poll_write_public(b, p);
    sbuf_putc(b, '}');
}

void poll_write_deleted(sbuf *b, const char *poll_id, const char *idjson) {
    sbuf_puts(b, "{\"type\":\"poll_deleted\"");
    put_id(b, idjson);
    sbuf_puts(b, ",\"poll\":");
    sbuf_put_jstrz(b, poll_id);
    sbuf_putc(b, '}');
}

void poll_write_answer(sbuf *b, const poll_t *p, uint32_t answer_id) {
    const poll_answer *a = live_answer(p, answer_id);
    sbuf_puts(b, "{\"type\":\"answer\",\"poll\":");
    sbuf_put_jstrz(b, p->id);
    sbuf_puts(b, ",\"answer\":");
    sbuf_put_i64(b, answer_id);
    sbuf_puts(b, ",\"text\":");
    if (a)
        sbuf_put_jstrz(b, a->text);
    else
        sbuf_puts(b, "null");
    sbuf_putc(b, '}');
}

void poll_write_error(sbuf *b, poll_err e, const char *message, const char *re, const char *idjson) {
    sbuf_puts(b, "{\"type\":\"error\",\"code\":\"");
    sbuf_puts(b, poll_err_code(e));
    sbuf_puts(b, "\",\"message\":");
    sbuf_put_jstrz(b, message ? message : "");
    if (re && re[0]) {
        sbuf_puts(b, ",\"re\":");
        sbuf_put_jstrz(b, re);
    }
    put_id(b, idjson);
    sbuf_putc(b, '}');
}

/* One group's figures: respondents, then counts and mean, or upvotes per
 * answer (in the order of `order`). */
static void put_group(sbuf *b, const poll_t *p, const poll_org *o, const uint32_t *ups, size_t nups) {
    sbuf_puts(b, "\"respondents\":");
    sbuf_put_i64(b, o->respondents);
    if (p->def.kind == POLL_TEXT) {
        sbuf_puts(b, ",\"upvotes\":");
        put_u32s(b, ups, nups);
        return;
    }
    sbuf_puts(b, ",\"counts\":");
    put_u32s(b, o->counts, p->def.kind == POLL_SCALE ? POLL_SCALE_POINTS : p->def.nchoices);
    if (p->def.kind == POLL_SCALE) {
        sbuf_puts(b, ",\"mean\":");
        if (o->respondents)
            put_num(b, org_mean(o));
        else
            sbuf_puts(b, "null");
    }
}

typedef struct ranked {
    uint32_t id;        /* answer id */
    uint32_t upvotes;   /* its upvotes */
} ranked;

static int by_upvotes(const void *x, const void *y) {
    const ranked *a = x, *b = y;
    if (a->upvotes != b->upvotes) return a->upvotes > b->upvotes ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

void poll_write_results(sbuf *b, const poll_t *p, unsigned min_group, const char *idjson) {
    unsigned g = group_min(min_group);
    /* Broken-out organisations, by name so the order does not tell who voted first. */
    size_t nb = 0, nlive = 0;
    uint32_t *out = malloc((p->norgs ? p->norgs : 1) * sizeof *out);
    long *group = malloc((p->norgs ? p->norgs : 1) * sizeof *group);
    ranked *rank = malloc((p->answers_next ? p->answers_next : 1) * sizeof *rank);
    uint32_t *ups = NULL;
    if (!out || !group || !rank) goto oom;
    poll_org other;
    memset(&other, 0, sizeof other);
    for (size_t i = 0; i < p->norgs; i++) {
        const poll_org *o = &p->orgs[i];
        group[i] = -1;
        if (o->respondents >= g) {
            size_t j = nb++;
            while (j > 0 && strcmp(p->orgs[out[j - 1]].name, o->name) > 0) {
                out[j] = out[j - 1];
                j--;
            }
            out[j] = (uint32_t)i;
        } else if (o->respondents > 0) {
            other.respondents += o->respondents;
            for (size_t k = 0; k < POLL_CHOICES_MAX; k++) other.counts[k] += o->counts[k];
        }
    }
    for (size_t j = 0; j < nb; j++) group[out[j]] = (long)j;
    for (size_t i = 0; i < p->norgs; i++)
        if (group[i] < 0) group[i] = (long)nb; /* the other organisations */

    if (p->def.kind == POLL_TEXT) {
        for (uint32_t i = 0; i < p->answers_next; i++)
            if (p->answers[i].text) rank[nlive++] = (ranked){i + 1, p->answers[i].upvotes};
        qsort(rank, nlive, sizeof *rank, by_upvotes);
        if (!(ups = calloc((nb + 1) * (nlive ? nlive : 1), sizeof *ups))) goto oom;
        for (size_t r = 0; r < nlive; r++) {
            const poll_answer *a = &p->answers[rank[r].id - 1];
            for (uint32_t w = 0; w < a->words; w++)
                for (uint64_t bits = a->upvoters[w]; bits; bits &= bits - 1) {
                    const poll_voter *v = &p->voters[w * 64 + (uint32_t)__builtin_ctzll(bits)];
                    ups[(size_t)group[v->org] * nlive + r]++;
                }
        }
    }

    sbuf_puts(b, "{\"type\":\"results\"");
    put_id(b, idjson);
    sbuf_puts(b, ",\"poll\":");
    sbuf_put_jstrz(b, p->id);
    sbuf_puts(b, ",\"respondents\":");
    sbuf_put_i64(b, p->respondents);
    if (p->def.kind == POLL_TEXT) {
        sbuf_puts(b, ",\"answers\":[");
        for (size_t r = 0; r < nlive; r++)
            sbuf_printf(b, "%s{\"id\":%u,\"upvotes\":%u}", r ? "," : "", rank[r].id, rank[r].upvotes);
        sbuf_putc(b, ']');
    } else {
        sbuf_puts(b, ",\"counts\":");
        put_u32s(b, p->counts, p->def.kind == POLL_SCALE ? POLL_SCALE_POINTS : p->def.nchoices);
        if (p->def.kind == POLL_SCALE) {
            poll_org all;
            memcpy(all.counts, p->counts, sizeof all.counts);
            all.respondents = p->respondents;
            sbuf_puts(b, ",\"mean\":");
            if (p->respondents)
                put_num(b, org_mean(&all));
            else
                sbuf_puts(b, "null");
        }
    }
    sbuf_puts(b, ",\"organisations\":[");
    for (size_t j = 0; j < nb; j++) {
        const poll_org *o = &p->orgs[out[j]];
        sbuf_puts(b, j ? ",{\"name\":" : "{\"name\":");
        sbuf_put_jstrz(b, o->name);
        sbuf_putc(b, ',');
        put_group(b, p, o, ups ? ups + j * nlive : NULL, nlive);
        sbuf_putc(b, '}');
    }
    sbuf_puts(b, "],\"other\":");
    /* Pooled small organisations are shown only when the pool itself is
     * large enough not to single anyone out. */
    if (other.respondents >= g) {
        sbuf_putc(b, '{');
        put_group(b, p, &other, ups ? ups + nb * nlive : NULL, nlive);
        sbuf_putc(b, '}');
    } else {
        sbuf_puts(b, "null");
    }
    sbuf_puts(b, ",\"alignment\":");
    double d;
    if (poll_alignment(p, g, &d)) {
        sbuf_puts(b, "{\"divergence\":");
        put_num(b, d);
        sbuf_printf(b, ",\"label\":\"%s\",\"organisations\":%zu}", poll_alignment_label(d), nb);
    } else {
        sbuf_puts(b, "null");
    }
    sbuf_putc(b, '}');
    goto done;
oom:
    b->oom = true;
done:
    free(out);
    free(group);
    free(rank);
    free(ups);
}

/* "answers":[{"id":…,"text":…}],"upvotes":[…] of voter vi (-1: none). */
static void put_own_text(sbuf *b, const poll_t *p, long vi) {
    sbuf_puts(b, "\"answers\":[");
    bool first = true;
    for (uint32_t i = 0; vi >= 0 && i < p->answers_next; i++) {
        const poll_answer *a = &p->answers[i];
        if (!a->text || a->author != (uint32_t)vi) continue;
        sbuf_printf(b, "%s{\"id\":%u,\"text\":", first ? "" : ",", i + 1);
        sbuf_put_jstrz(b, a->text);
        sbuf_putc(b, '}');
        first = false;
    }
    sbuf_puts(b, "],\"upvotes\":[");
    first = true;
    for (uint32_t i = 0; vi >= 0 && i < p->answers_next; i++) {
        if (!p->answers[i].text || !upvoted(&p->answers[i], (size_t)vi)) continue;
        sbuf_printf(b, "%s%u", first ? "" : ",", i + 1);
        first = false;
    }
    sbuf_putc(b, ']');
}

void poll_write_my_ballot(sbuf *b, const poll_t *p, const char *pid, const char *idjson) {
    long vi = pid ? voter_find(p, pid) : -1;
    sbuf_puts(b, "{\"type\":\"my_ballot\"");
    put_id(b, idjson);
    sbuf_puts(b, ",\"poll\":");
    sbuf_put_jstrz(b, p->id);
    sbuf_putc(b, ',');
    if (p->def.kind == POLL_TEXT) {
        put_own_text(b, p, vi);
    } else {
        poll_ballot none = {.none = true};
        sbuf_puts(b, "\"ballot\":");
        put_ballot(b, p, vi >= 0 ? &p->voters[vi].ballot : &none);
    }
    sbuf_putc(b, '}');
}

/* ---- store ------------------------------------------------------------- */

void poll_store_write(sbuf *b, const poll_t *p) {
    sbuf_printf(b, "{\"v\":%d,\"id\":", STORE_VERSION);
    sbuf_put_jstrz(b, p->id);
    sbuf_putc(b, ',');
    put_def(b, &p->def);
    sbuf_printf(b, ",\"state\":\"%s\",\"results\":\"%s\",\"created\":", poll_state_name(p->state),
                poll_visibility_name(p->results));
    sbuf_put_i64(b, p->created);
    if (p->def.kind == POLL_TEXT) sbuf_printf(b, ",\"answers_next\":%u", p->answers_next);
    sbuf_putc(b, '}');
}

/* Parse stored JSON: valid UTF-8, one object. */
static cJSON *parse_record(const char *json, size_t len) {
    if (!json || !utf8_valid(json, len)) return NULL;
    cJSON *o = cJSON_ParseWithLength(json, len);
    if (o && !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

poll_err poll_store_read(const char *json, size_t len, poll_t **out, const char **why) {
    *out = NULL;
    cJSON *o = parse_record(json, len);
    if (!o) return fail(why, POLL_EBAD_REQUEST, "a poll record is a JSON object");
    poll_err e = POLL_EBAD_REQUEST;
    poll_def d;
    memset(&d, 0, sizeof d);
    int64_t v, created, next = 0;
    int st, vis;
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "id"));
    const cJSON *cr = cJSON_GetObjectItemCaseSensitive(o, "created");
    if (!json_int(cJSON_GetObjectItemCaseSensitive(o, "v"), STORE_VERSION, STORE_VERSION, &v) || !poll_valid_id(id) ||
        !name_index(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "state")), state_names, POLL_DELETED, &st) ||
        !name_index(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "results")), visibility_names,
                    COUNT(visibility_names), &vis) ||
        !json_int(cr, -MAX_SAFE_INT, MAX_SAFE_INT, &created)) {
        fail(why, e, "a poll record needs v, id, state, results and created");
        goto out;
    }
    const cJSON *an = cJSON_GetObjectItemCaseSensitive(o, "answers_next");
    if (an && !json_int(an, 0, POLL_ANSWER_IDS, &next)) {
        fail(why, e, "answers_next is out of range");
        goto out;
    }
    if ((e = poll_def_from_json(o, &d, why)) != POLL_OK) goto out;
    poll_t *p = poll_alloc(id, created);
    if (!p || (d.kind == POLL_TEXT && !answers_extend(p, (uint32_t)next))) {
        poll_free(p);
        e = fail(why, POLL_EINTERNAL, "out of memory");
        goto out;
    }
    p->def = d;
    memset(&d, 0, sizeof d);
    p->state = (poll_state)st;
    p->results = (poll_visibility)vis;
    *out = p;
    e = POLL_OK;
out:
    poll_def_free(&d);
    cJSON_Delete(o);
    return e;
}

bool poll_store_write_ballot(sbuf *b, const poll_t *p, const char *pid) {
    long vi = pid ? voter_find(p, pid) : -1;
    if (vi < 0) return false;
    const poll_voter *v = &p->voters[vi];
    if (p->def.kind == POLL_TEXT ? !active(v) : v->ballot.none) return false;
    sbuf_puts(b, "{\"org\":");
    sbuf_put_jstrz(b, p->orgs[v->org].name);
    sbuf_putc(b, ',');
    if (p->def.kind == POLL_TEXT) {
        put_own_text(b, p, vi);
    } else {
        sbuf_puts(b, "\"ballot\":");
        put_ballot(b, p, &v->ballot);
    }
    sbuf_putc(b, '}');
    return true;
}

/* A text participant's record: checked whole, then applied. */
static poll_err read_text_record(poll_t *p, const char *pid, const char *org, const cJSON *o, const char **why) {
    const cJSON *ans = cJSON_GetObjectItemCaseSensitive(o, "answers");
    const cJSON *ups = cJSON_GetObjectItemCaseSensitive(o, "upvotes");
    if ((ans && !cJSON_IsArray(ans)) || (ups && !cJSON_IsArray(ups)) || cJSON_GetArraySize(ans) > (int)p->def.max)
        return fail(why, POLL_EBAD_REQUEST, "a text record has answers (at most max) and upvotes arrays");
    long vi0 = voter_find(p, pid);
    if (vi0 >= 0 && (p->voters[vi0].answers || p->voters[vi0].upvotes))
        return fail(why, POLL_EBAD_REQUEST, "this participant's record was already loaded");
    const cJSON *c;
    int64_t id = 0, top = 0;
    cJSON_ArrayForEach(c, ans) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "text");
        if (!json_int(cJSON_GetObjectItemCaseSensitive(c, "id"), 1, POLL_ANSWER_IDS, &id) || !cJSON_IsString(t) ||
            !valid_text(t->valuestring, POLL_ANSWER_MAX) || live_answer(p, (uint32_t)id))
            return fail(why, POLL_EBAD_REQUEST, "a stored answer is {id, text} with a free id and a valid text");
        for (const cJSON *d = ans->child; d != c; d = d->next)
            if (cJSON_GetObjectItemCaseSensitive(d, "id")->valuedouble == (double)id)
                return fail(why, POLL_EBAD_REQUEST, "two stored answers share an id");
        if (id > top) top = id;
    }
    cJSON_ArrayForEach(c, ups) {
        if (!json_int(c, 1, POLL_ANSWER_IDS, &id)) return fail(why, POLL_EBAD_REQUEST, "upvotes are answer ids");
    }
    long vi = voter_get(p, pid, org);
    if (vi < 0 || !answers_extend(p, (uint32_t)top)) return fail(why, POLL_EINTERNAL, "out of memory");
    size_t nups = (size_t)cJSON_GetArraySize(ups);
    if (p->npending + nups > p->pending_cap) {
        size_t cap = p->npending + nups + 16;
        poll_pending *pd = realloc(p->pending, cap * sizeof *pd);
        if (!pd) return fail(why, POLL_EINTERNAL, "out of memory");
        p->pending = pd;
        p->pending_cap = cap;
    }
    cJSON_ArrayForEach(c, ans) {
        json_int(cJSON_GetObjectItemCaseSensitive(c, "id"), 1, POLL_ANSWER_IDS, &id);
        poll_err e = answer_put(p, (uint32_t)vi, (uint32_t)id, cJSON_GetObjectItemCaseSensitive(c, "text")->valuestring, why);
        if (e != POLL_OK) return e;
    }
    cJSON_ArrayForEach(c, ups) {
        json_int(c, 1, POLL_ANSWER_IDS, &id);
        p->pending[p->npending++] = (poll_pending){(uint32_t)vi, (uint32_t)id};
    }
    return POLL_OK;
}

poll_err poll_store_read_ballot(poll_t *p, const char *pid, const char *json, size_t len, const char **why) {
    if (p->state == POLL_DELETED || p->state == POLL_DRAFT)
        return fail(why, POLL_EBAD_REQUEST, "a draft or deleted poll has no ballots");
    if (!valid_pid(pid)) return fail(why, POLL_EBAD_REQUEST, "bad participant id");
    cJSON *o = parse_record(json, len);
    if (!o) return fail(why, POLL_EBAD_REQUEST, "a ballot record is a JSON object");
    poll_err e;
    const char *org = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "org"));
    if (!valid_org(org)) {
        e = fail(why, POLL_EBAD_REQUEST, "a ballot record needs its organisation");
    } else if (p->def.kind == POLL_TEXT) {
        e = read_text_record(p, pid, org, o, why);
    } else {
        poll_ballot bl;
        e = poll_ballot_from_json(p, cJSON_GetObjectItemCaseSensitive(o, "ballot"), &bl, why);
        if (e == POLL_OK && bl.none) e = fail(why, POLL_EBAD_REQUEST, "a stored ballot is never null");
        if (e == POLL_OK) e = record_ballot(p, pid, org, &bl, why);
    }
    cJSON_Delete(o);
    return e;
}

void poll_store_finish(poll_t *p) {
    for (size_t i = 0; i < p->npending; i++) {
        poll_pending *u = &p->pending[i];
        poll_answer *a = live_answer(p, u->answer);
        /* Upvotes of answers deleted since, and any that break the rules, are dropped. */
        if (!a || a->author == u->voter || upvoted(a, u->voter)) continue;
        if (upvote_set(p, a, u->voter, NULL) != POLL_OK) break;
    }
    free(p->pending);
    p->pending = NULL;
    p->npending = p->pending_cap = 0;
}

/* ---- the list ---------------------------------------------------------- */

void poll_list_init(poll_list *l) { memset(l, 0, sizeof *l); }

void poll_list_free(poll_list *l) {
    for (size_t i = 0; i < l->n; i++) poll_free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static long list_index(const poll_list *l, const char *id) {
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i]->id, id) == 0) return (long)i;
    return -1;
}

poll_t *poll_list_find(const poll_list *l, const char *id) {
    long i = id ? list_index(l, id) : -1;
    return i < 0 ? NULL : l->v[i];
}

poll_err poll_list_add(poll_list *l, poll_t *p, const char **why) {
    if (list_index(l, p->id) >= 0) return fail(why, POLL_EBAD_REQUEST, "a poll with this id exists");
    if (l->n >= POLL_PER_WORKSHOP) return fail(why, POLL_ELIMIT, "this workshop has as many polls as it can hold: delete one");
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        poll_t **v = realloc(l->v, cap * sizeof *v);
        if (!v) return fail(why, POLL_EINTERNAL, "out of memory");
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = p;
    return POLL_OK;
}

poll_t *poll_list_take(poll_list *l, const char *id) {
    long i = id ? list_index(l, id) : -1;
    if (i < 0) return NULL;
    poll_t *p = l->v[i];
    memmove(l->v + i, l->v + i + 1, (l->n - (size_t)i - 1) * sizeof *l->v);
    l->n--;
    return p;
}

const char *poll_answer_author(const poll_t *p, uint32_t answer_id) {
    const poll_answer *a = live_answer(p, answer_id);
    return a ? p->voters[a->author].pid : NULL;
}

static int by_creation(const void *a, const void *b) {
    const poll_t *x = *(poll_t *const *)a, *y = *(poll_t *const *)b;
    if (x->created != y->created) return x->created < y->created ? -1 : 1;
    return strcmp(x->id, y->id);
}

void poll_list_sort(poll_list *l) {
    if (l->n > 1) qsort(l->v, l->n, sizeof *l->v, by_creation);
}
