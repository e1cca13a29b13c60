/* poll_json.c -- polls on the wire: definitions and ballots read from
 * clients, poll messages written for them (protocol/polls.md). */
#include "core/poll_json.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/poll_internal.h"

/* ---- reading ----------------------------------------------------------- */

/* The strings of array arr (of a size already checked) into *v and *n, as
 * they are: poll_def_check checks them. The caller frees them, also on error. */
static poll_err strings_from_json(const cJSON *arr, char ***v, size_t *n, const char **why) {
    size_t count = (size_t)cJSON_GetArraySize(arr);
    if (!(*v = calloc(count ? count : 1, sizeof **v))) return poll__fail(why, POLL_EINTERNAL, "out of memory");
    *n = count;
    size_t i = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, arr) {
        if (!cJSON_IsString(c)) return poll__fail(why, POLL_EBAD_REQUEST, "choices must be strings");
        if (!((*v)[i++] = strdup(c->valuestring))) return poll__fail(why, POLL_EINTERNAL, "out of memory");
    }
    return POLL_OK;
}

/* d->choices from "choices" (ch). */
static poll_err choices_from_json(const cJSON *ch, poll_def *d, const char **why) {
    int n = cJSON_GetArraySize(ch);
    if (!cJSON_IsArray(ch) || n < POLL_CHOICES_MIN || n > POLL_CHOICES_MAX)
        return poll__fail(why, POLL_EBAD_REQUEST, poll__has_choices(d->kind) ? "choices must be an array of 2 to 12 strings"
                                                                        : "scale and text polls have no \"choices\"");
    return strings_from_json(ch, &d->choices, &d->nchoices, why);
}

/* d->representatives_only from "representatives_only" (ro, NULL when
 * absent: false); whether the poll allows it is poll_def_check's. */
static poll_err representatives_from_json(const cJSON *ro, poll_def *d, const char **why) {
    if (ro && !cJSON_IsBool(ro)) return poll__fail(why, POLL_EBAD_REQUEST, "representatives_only must be true or false");
    d->representatives_only = cJSON_IsTrue(ro);
    return POLL_OK;
}

/* d->respondents and d->threshold from "respondents" (r) and "threshold"
 * (t), either absent: people, and the default threshold of the respondents. */
static poll_err respondents_from_json(const cJSON *r, const cJSON *t, poll_def *d, const char **why) {
    d->respondents = POLL_PEOPLE;
    if (r && !poll_respondents_from_name(cJSON_GetStringValue(r), &d->respondents))
        return poll__fail(why, POLL_EBAD_REQUEST, "respondents must be \"people\" or \"organisations\"");
    int64_t v;
    if (!t) {
        d->threshold = d->respondents == POLL_ORGANISATIONS ? 1 : POLL_MIN_GROUP;
    } else if (proto_json_int(t, 1, UINT_MAX, &v)) {
        d->threshold = (unsigned)v; /* its range for the respondents is poll_def_check's */
    } else {
        return poll__fail(why, POLL_EBAD_REQUEST, "threshold must be an integer: 2 to 10, or 1 for organisation answers");
    }
    return POLL_OK;
}

/* One language's version {"question", "choices"?}; the counts and texts are
 * poll_def_check's to check. */
static poll_err translation_from_json(const cJSON *o, poll_translation *t, const char **why) {
    static const char shape[] = "a translation is {\"question\": text, \"choices\": [texts]} (choices for choice polls)";
    if (!cJSON_IsObject(o)) return poll__fail(why, POLL_EBAD_REQUEST, shape);
    const cJSON *f;
    cJSON_ArrayForEach(f, o) {
        if (strcmp(f->string, "question") != 0 && strcmp(f->string, "choices") != 0)
            return poll__fail(why, POLL_EBAD_REQUEST, shape);
    }
    const char *q = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "question"));
    if (!q) return poll__fail(why, POLL_EBAD_REQUEST, "a translation needs its question (a string)");
    if (!(t->question = strdup(q))) return poll__fail(why, POLL_EINTERNAL, "out of memory");
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(o, "choices");
    if (!ch) return POLL_OK;
    if (!cJSON_IsArray(ch) || cJSON_GetArraySize(ch) > POLL_CHOICES_MAX)
        return poll__fail(why, POLL_EBAD_REQUEST, "a translation's choices are an array of as many strings as the poll's");
    return strings_from_json(ch, &t->choices, &t->nchoices, why);
}

/* d->translations from "translations" (tr): an object whose keys are
 * languages, each given once. */
static poll_err translations_from_json(const cJSON *tr, poll_def *d, const char **why) {
    if (!cJSON_IsObject(tr) || !tr->child)
        return poll__fail(why, POLL_EBAD_REQUEST, "translations is an object with \"fr\", \"en\" or both");
    const cJSON *t;
    cJSON_ArrayForEach(t, tr) {
        poll_lang l;
        if (!poll_lang_from_name(t->string, &l))
            return poll__fail(why, POLL_EBAD_REQUEST, "translations take only \"fr\" and \"en\"");
        if (d->translations[l].question) return poll__fail(why, POLL_EBAD_REQUEST, "a language is given twice in translations");
        poll_err e = translation_from_json(t, &d->translations[l], why);
        if (e != POLL_OK) return e;
    }
    return POLL_OK;
}

/* d->max from "max" (mx, NULL when absent: the kind's default). */
static poll_err max_from_json(const cJSON *mx, poll_def *d, const char **why) {
    if (!mx) {
        d->max = d->kind == POLL_MULTIPLE ? (unsigned)d->nchoices : d->kind == POLL_TEXT ? POLL_ANSWERS_DEFAULT : 0;
        return POLL_OK;
    }
    if (d->kind != POLL_MULTIPLE && d->kind != POLL_TEXT)
        return poll__fail(why, POLL_EBAD_REQUEST, "only multiple choice and text polls take \"max\"");
    /* Anything but an unsigned integer reads as 0: poll_def_check refuses it
     * with the range for the kind. */
    int64_t m;
    d->max = proto_json_int(mx, 0, UINT_MAX, &m) ? (unsigned)m : 0;
    return POLL_OK;
}

poll_err poll_def_from_json(const cJSON *o, poll_def *d, const char **why) {
    memset(d, 0, sizeof *d);
    if (!cJSON_IsObject(o)) return poll__fail(why, POLL_EBAD_REQUEST, "a poll definition must be an object");
    if (!poll_kind_from_name(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "kind")), &d->kind))
        return poll__fail(why, POLL_EBAD_REQUEST, "kind must be \"single\", \"multiple\", \"scale\", \"text\" or \"rank\"");
    const char *q = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "question"));
    if (!q) return poll__fail(why, POLL_EBAD_REQUEST, "question must be a string");
    if (!(d->question = strdup(q))) return poll__fail(why, POLL_EINTERNAL, "out of memory");
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(o, "choices");
    const cJSON *tr = cJSON_GetObjectItemCaseSensitive(o, "translations");
    poll_err e = ch ? choices_from_json(ch, d, why) : POLL_OK;
    if (e == POLL_OK) e = max_from_json(cJSON_GetObjectItemCaseSensitive(o, "max"), d, why);
    if (e == POLL_OK)
        e = respondents_from_json(cJSON_GetObjectItemCaseSensitive(o, "respondents"),
                                  cJSON_GetObjectItemCaseSensitive(o, "threshold"), d, why);
    if (e == POLL_OK) e = representatives_from_json(cJSON_GetObjectItemCaseSensitive(o, "representatives_only"), d, why);
    if (e == POLL_OK && tr) e = translations_from_json(tr, d, why);
    if (e == POLL_OK) e = poll_def_check(d, why);
    if (e != POLL_OK) poll_def_free(d);
    return e;
}

/* A choice index of p, as a single choice ballot's value or one of a
 * multiple choice ballot's. */
static bool choice_index(const poll_t *p, const cJSON *v, int64_t *k) {
    return proto_json_int(v, 0, (double)p->def.nchoices - 1, k);
}

static poll_err picks_from_json(const poll_t *p, const cJSON *v, poll_ballot *b, const char **why) {
    static const char bad[] = "a ballot is an array of 1 to max distinct choice indexes";
    int n = cJSON_GetArraySize(v);
    if (!cJSON_IsArray(v) || n < 1 || (unsigned)n > p->def.max) return poll__fail(why, POLL_EBAD_REQUEST, bad);
    const cJSON *c;
    int64_t k;
    cJSON_ArrayForEach(c, v) {
        if (!choice_index(p, c, &k) || (b->picks & (1u << k))) return poll__fail(why, POLL_EBAD_REQUEST, bad);
        b->picks |= (uint16_t)(1u << k);
    }
    return POLL_OK;
}

/* A rank ballot: an array of exactly as many indexes as choices, each once. */
static poll_err order_from_json(const poll_t *p, const cJSON *v, poll_ballot *b, const char **why) {
    static const char bad[] = "a ballot is every choice index once, in the order of preference";
    if (!cJSON_IsArray(v) || (size_t)cJSON_GetArraySize(v) != p->def.nchoices)
        return poll__fail(why, POLL_EBAD_REQUEST, bad);
    uint32_t seen = 0;
    size_t i = 0;
    const cJSON *c;
    int64_t k;
    cJSON_ArrayForEach(c, v) {
        if (!choice_index(p, c, &k) || (seen >> k & 1u)) return poll__fail(why, POLL_EBAD_REQUEST, bad);
        seen |= 1u << k;
        b->order[i++] = (uint8_t)k;
    }
    return POLL_OK;
}

poll_err poll_ballot_from_json(const poll_t *p, const cJSON *v, poll_ballot *b, const char **why) {
    memset(b, 0, sizeof *b);
    if (p->def.kind == POLL_TEXT) return poll__fail(why, POLL_EBAD_REQUEST, "this poll takes text answers, not ballots");
    if (cJSON_IsNull(v)) {
        b->none = true;
        return POLL_OK;
    }
    int64_t x;
    poll_err e = POLL_OK;
    switch (p->def.kind) {
    case POLL_SINGLE:
        if (!choice_index(p, v, &x)) return poll__fail(why, POLL_EBAD_REQUEST, "a ballot is the index of one choice");
        b->picks = (uint16_t)(1u << x);
        break;
    case POLL_MULTIPLE: e = picks_from_json(p, v, b, why); break;
    case POLL_RANK: e = order_from_json(p, v, b, why); break;
    default:
        if (!proto_json_int(v, 1, POLL_SCALE_POINTS, &x))
            return poll__fail(why, POLL_EBAD_REQUEST, "a ballot is an integer from 1 to 5");
        b->value = (uint8_t)x;
    }
    return e == POLL_OK ? poll__ballot_check(p, b, why) : e;
}

/* ---- pieces ------------------------------------------------------------ */

/* Room for a double printed with 4 decimals: the figures here are shares,
 * means and divergences, far below 10^50. */
#define NUM_TEXT_MAX 64

/* A number rounded to 4 decimals, without trailing zeros. */
static void put_num(sbuf *b, double x) {
    char tmp[NUM_TEXT_MAX];
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

/* [s0,s1,…] */
static void put_strings(sbuf *b, char *const *v, size_t n) {
    sbuf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i) sbuf_putc(b, ',');
        sbuf_put_jstrz(b, v[i]);
    }
    sbuf_putc(b, ']');
}

/* A poll answered by people under the default threshold says neither, on the
 * wire and in its record, exactly as before polls had these settings: an
 * absent respondents reads "people", an absent threshold 3. */
static bool states_respondents(const poll_t *p) {
    return p->def.respondents != POLL_PEOPLE || poll_threshold(p) != POLL_MIN_GROUP;
}

/* ,"translations":{"fr":{"question":…[,"choices":[…]]},…} when there are any. */
static void put_translations(sbuf *b, const poll_def *d) {
    bool first = true;
    for (int l = 0; l < POLL_LANGS; l++) {
        const poll_translation *t = &d->translations[l];
        if (!t->question) continue;
        sbuf_puts(b, first ? ",\"translations\":{\"" : ",\"");
        first = false;
        sbuf_puts(b, poll_lang_name((poll_lang)l));
        sbuf_puts(b, "\":{\"question\":");
        sbuf_put_jstrz(b, t->question);
        if (t->nchoices) {
            sbuf_puts(b, ",\"choices\":");
            put_strings(b, t->choices, t->nchoices);
        }
        sbuf_putc(b, '}');
    }
    if (!first) sbuf_putc(b, '}');
}

/* "kind":…,"question":…[,"choices":[…]][,"max":N][,"respondents":…,"threshold":N][,"representatives_only":true]
 * [,"translations":{…}] */
static void put_def(sbuf *b, const poll_t *p) {
    const poll_def *d = &p->def;
    sbuf_puts(b, "\"kind\":\"");
    sbuf_puts(b, poll_kind_name(d->kind));
    sbuf_puts(b, "\",\"question\":");
    sbuf_put_jstrz(b, d->question);
    if (d->nchoices) {
        sbuf_puts(b, ",\"choices\":");
        put_strings(b, d->choices, d->nchoices);
    }
    if (d->max) sbuf_printf(b, ",\"max\":%u", d->max);
    if (states_respondents(p))
        sbuf_printf(b, ",\"respondents\":\"%s\",\"threshold\":%u", poll_respondents_name(d->respondents),
                    poll_threshold(p));
    if (d->representatives_only) sbuf_puts(b, ",\"representatives_only\":true");
    put_translations(b, d);
    poll__put_passage(b, p);
}

void poll__put_head(sbuf *b, const poll_t *p) {
    sbuf_puts(b, "\"id\":");
    sbuf_put_jstrz(b, p->id);
    sbuf_putc(b, ',');
    put_def(b, p);
    sbuf_printf(b, ",\"state\":\"%s\",\"results\":\"%s\",\"created\":", poll_state_name(p->state),
                poll_visibility_name(p->results));
    sbuf_put_i64(b, p->created);
}

void poll__put_ballot(sbuf *b, const poll_t *p, const poll_ballot *bl) {
    if (bl->none) {
        sbuf_puts(b, "null");
    } else if (p->def.kind == POLL_SCALE) {
        sbuf_put_i64(b, bl->value);
    } else if (p->def.kind == POLL_SINGLE) {
        sbuf_put_i64(b, __builtin_ctz(bl->picks));
    } else if (p->def.kind == POLL_RANK) {
        sbuf_putc(b, '[');
        for (size_t i = 0; i < p->def.nchoices; i++) sbuf_printf(b, i ? ",%u" : "%u", bl->order[i]);
        sbuf_putc(b, ']');
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

#define ANY_AUTHOR (-2) /* put_answers: every live answer (-1 is nobody's) */

/* [{"id":…,"text":…},…]: the live answers of voter `author`, or all of them. */
static void put_answers(sbuf *b, const poll_t *p, long author) {
    sbuf_putc(b, '[');
    bool first = true;
    for (uint32_t i = 0; author != -1 && i < p->answers_next; i++) {
        const poll_answer *a = &p->answers[i];
        if (!a->text || (author != ANY_AUTHOR && a->author != (uint32_t)author)) continue;
        sbuf_puts(b, first ? "{\"id\":" : ",{\"id\":");
        sbuf_put_i64(b, i + 1);
        sbuf_puts(b, ",\"text\":");
        sbuf_put_jstrz(b, a->text);
        sbuf_putc(b, '}');
        first = false;
    }
    sbuf_putc(b, ']');
}

/* "answers":[{"id":…,"text":…}],"upvotes":[…] of voter vi (-1: none). */
static void put_own_text(sbuf *b, const poll_t *p, long vi) {
    sbuf_puts(b, "\"answers\":");
    put_answers(b, p, vi);
    sbuf_puts(b, ",\"upvotes\":[");
    bool first = true;
    for (uint32_t i = 0; vi >= 0 && i < p->answers_next; i++) {
        if (!p->answers[i].text || !poll__upvoted(&p->answers[i], (size_t)vi)) continue;
        sbuf_printf(b, "%s%u", first ? "" : ",", i + 1);
        first = false;
    }
    sbuf_putc(b, ']');
}

void poll__put_mine(sbuf *b, const poll_t *p, long vi) {
    if (p->def.kind == POLL_TEXT) {
        put_own_text(b, p, vi);
        return;
    }
    static const poll_ballot none = {.none = true};
    sbuf_puts(b, "\"ballot\":");
    poll__put_ballot(b, p, vi >= 0 ? &p->voters[vi].ballot : &none);
}

void poll__put_org_ballot(sbuf *b, const poll_t *p, const poll_org *o) {
    static const poll_ballot none = {.none = true};
    sbuf_puts(b, "\"ballot\":");
    poll__put_ballot(b, p, o ? &o->ballot : &none);
    if (!o || !o->by_name) {
        sbuf_puts(b, ",\"by\":null,\"at\":null");
        return;
    }
    sbuf_puts(b, ",\"by\":{\"participant\":");
    sbuf_put_jstrz(b, o->by);
    sbuf_puts(b, ",\"name\":");
    sbuf_put_jstrz(b, o->by_name);
    sbuf_puts(b, "},\"at\":");
    sbuf_put_i64(b, o->at);
}

/* {"type":TYPE[,"id":…],"poll":POLL_ID -- the start of a message about one poll. */
static void put_start(sbuf *b, const char *type, const char *idjson, const char *poll_id) {
    sbuf_puts(b, "{\"type\":\"");
    sbuf_puts(b, type);
    sbuf_putc(b, '"');
    proto_write_id(b, idjson);
    sbuf_puts(b, ",\"poll\":");
    sbuf_put_jstrz(b, poll_id);
}

/* ---- messages ---------------------------------------------------------- */

void poll_write_public(sbuf *b, const poll_t *p) {
    sbuf_putc(b, '{');
    poll__put_head(b, p);
    if (p->def.kind == POLL_TEXT) {
        sbuf_puts(b, ",\"answers\":");
        put_answers(b, p, ANY_AUTHOR);
    }
    sbuf_putc(b, '}');
}

void poll_write_poll(sbuf *b, const poll_t *p, const char *idjson) {
    sbuf_puts(b, "{\"type\":\"poll\"");
    proto_write_id(b, idjson);
    sbuf_puts(b, ",\"poll\":");
    poll_write_public(b, p);
    sbuf_putc(b, '}');
}

void poll_write_deleted(sbuf *b, const char *poll_id, const char *idjson) {
    put_start(b, "poll_deleted", idjson, poll_id);
    sbuf_putc(b, '}');
}

void poll_write_answer(sbuf *b, const poll_t *p, uint32_t answer_id) {
    const poll_answer *a = poll__live_answer(p, answer_id);
    put_start(b, "answer", NULL, p->id);
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
    proto_write_error_code(b, poll_err_code(e), message, re, idjson);
}

void poll_write_my_ballot(sbuf *b, const poll_t *p, const char *pid, const char *idjson) {
    put_start(b, "my_ballot", idjson, p->id);
    sbuf_putc(b, ',');
    poll__put_mine(b, p, pid ? poll__voter_find(p, pid) : -1);
    sbuf_putc(b, '}');
}

void poll_write_mine(sbuf *b, const poll_t *p, const char *pid, const char *org, const char *idjson) {
    if (p->def.respondents != POLL_ORGANISATIONS) {
        poll_write_my_ballot(b, p, pid, idjson);
        return;
    }
    put_start(b, "my_ballot", idjson, p->id);
    sbuf_putc(b, ',');
    poll__put_org_ballot(b, p, poll_org_find(p, org));
    sbuf_putc(b, '}');
}

void poll_write_org_answer(sbuf *b, const poll_t *p, const char *org) {
    sbuf_puts(b, "{\"name\":");
    sbuf_put_jstrz(b, org);
    sbuf_putc(b, ',');
    poll__put_org_ballot(b, p, poll_org_find(p, org));
    sbuf_putc(b, '}');
}

/* ---- results ----------------------------------------------------------- */

/* Who results are shown by: the organisations with at least the threshold,
 * one by one, and the others pooled. */
typedef struct results_groups {
    uint32_t *shown;      /* indexes into p->orgs of the organisations broken out, by name */
    size_t nshown;        /* how many */
    size_t *group_of;     /* per organisation: its index in shown, or nshown when pooled */
    poll_org other;       /* the pooled organisations' respondents and counts */
} results_groups;

typedef struct ranked {
    uint32_t id;          /* answer id */
    uint32_t upvotes;     /* its upvotes */
} ranked;

/* Text polls: the live answers, most upvoted first, and their upvotes by group. */
typedef struct results_ranking {
    ranked *rank;         /* the live answers in rank order */
    size_t n;             /* how many */
    uint32_t *ups;        /* (nshown + 1) rows of n: upvotes per group, in rank order; the pool last */
} results_ranking;

static void groups_free(results_groups *g) {
    free(g->shown);
    free(g->group_of);
}

static void ranking_free(results_ranking *r) {
    free(r->rank);
    free(r->ups);
}

/* Insert organisation i into g->shown, which stays sorted by name so that
 * the order does not tell who voted first. */
static void shown_insert(results_groups *g, const poll_t *p, uint32_t i) {
    size_t j = g->nshown++;
    while (j > 0 && strcmp(p->orgs[g->shown[j - 1]].name, p->orgs[i].name) > 0) {
        g->shown[j] = g->shown[j - 1];
        j--;
    }
    g->shown[j] = i;
}

/* Sort the organisations into broken out (at least min respondents) and pooled. */
static bool groups_form(results_groups *g, const poll_t *p, unsigned min) {
    memset(g, 0, sizeof *g);
    size_t n = p->norgs ? p->norgs : 1;
    g->shown = malloc(n * sizeof *g->shown);
    g->group_of = malloc(n * sizeof *g->group_of);
    if (!g->shown || !g->group_of) return false;
    for (size_t i = 0; i < p->norgs; i++) {
        const poll_org *o = &p->orgs[i];
        if (o->respondents >= min) {
            shown_insert(g, p, (uint32_t)i);
        } else if (o->respondents > 0) {
            g->other.respondents += o->respondents;
            for (size_t k = 0; k < POLL_CHOICES_MAX; k++) g->other.counts[k] += o->counts[k];
        }
    }
    for (size_t i = 0; i < p->norgs; i++) g->group_of[i] = g->nshown;
    for (size_t j = 0; j < g->nshown; j++) g->group_of[g->shown[j]] = j;
    return true;
}

static int by_upvotes(const void *x, const void *y) {
    const ranked *a = x, *b = y;
    if (a->upvotes != b->upvotes) return a->upvotes > b->upvotes ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* Rank the live answers (most upvoted first, then oldest first) and count
 * their upvotes by the upvoters' group. */
static bool ranking_form(results_ranking *r, const poll_t *p, const results_groups *g) {
    memset(r, 0, sizeof *r);
    if (!(r->rank = malloc((p->answers_next ? p->answers_next : 1) * sizeof *r->rank))) return false;
    for (uint32_t i = 0; i < p->answers_next; i++)
        if (p->answers[i].text) r->rank[r->n++] = (ranked){i + 1, p->answers[i].upvotes};
    if (r->n > 1) qsort(r->rank, r->n, sizeof *r->rank, by_upvotes);
    if (!(r->ups = calloc((g->nshown + 1) * (r->n ? r->n : 1), sizeof *r->ups))) return false;
    for (size_t k = 0; k < r->n; k++) {
        const poll_answer *a = &p->answers[r->rank[k].id - 1];
        size_t next = 0, vi;
        while (poll__upvoter_next(a, &next, &vi)) r->ups[g->group_of[p->voters[vi].org] * r->n + k]++;
    }
    return true;
}

/* ,"borda":[…],"mean_rank":[…] of a ranking group (mean ranks null
 * without respondents). */
static void put_rank(sbuf *b, const poll_t *p, const poll_org *o) {
    size_t n = p->def.nchoices;
    sbuf_puts(b, ",\"borda\":[");
    for (size_t k = 0; k < n; k++)
        sbuf_printf(b, k ? ",%u" : "%u", poll_rank_borda(n, o->respondents, o->counts[k]));
    sbuf_puts(b, "],\"mean_rank\":");
    if (!o->respondents) {
        sbuf_puts(b, "null");
        return;
    }
    sbuf_putc(b, '[');
    for (size_t k = 0; k < n; k++) {
        if (k) sbuf_putc(b, ',');
        put_num(b, poll_rank_mean(o->respondents, o->counts[k]));
    }
    sbuf_putc(b, ']');
}

/* One group's figures: respondents, then counts (and the mean on a scale),
 * Borda points and mean ranks, or the upvotes of each answer in rank order. */
static void put_group(sbuf *b, const poll_t *p, const poll_org *o, const uint32_t *ups, size_t nups) {
    sbuf_puts(b, "\"respondents\":");
    sbuf_put_i64(b, o->respondents);
    if (p->def.kind == POLL_RANK) {
        put_rank(b, p, o);
        return;
    }
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
            put_num(b, poll__org_mean(o));
        else
            sbuf_puts(b, "null");
    }
}

/* The figures of everyone: like a group's, but a text poll lists its answers
 * (id and upvotes) in rank order. */
static void put_totals(sbuf *b, const poll_t *p, const results_ranking *r) {
    if (p->def.kind != POLL_TEXT) {
        poll_org all = {.respondents = p->respondents};
        memcpy(all.counts, p->counts, sizeof all.counts);
        put_group(b, p, &all, NULL, 0);
        return;
    }
    sbuf_puts(b, "\"respondents\":");
    sbuf_put_i64(b, p->respondents);
    sbuf_puts(b, ",\"answers\":[");
    for (size_t k = 0; k < r->n; k++)
        sbuf_printf(b, "%s{\"id\":%u,\"upvotes\":%u}", k ? "," : "", r->rank[k].id, r->rank[k].upvotes);
    sbuf_putc(b, ']');
}

/* The upvotes row of group j, or NULL for a poll that is not a text poll. */
static const uint32_t *group_ups(const results_ranking *r, size_t j) { return r->ups ? r->ups + j * r->n : NULL; }

/* "organisations":[…],"other":{…} or null */
static void put_groups(sbuf *b, const poll_t *p, const results_groups *g, const results_ranking *r, unsigned min) {
    sbuf_puts(b, ",\"organisations\":[");
    for (size_t j = 0; j < g->nshown; j++) {
        const poll_org *o = &p->orgs[g->shown[j]];
        sbuf_puts(b, j ? ",{\"name\":" : "{\"name\":");
        sbuf_put_jstrz(b, o->name);
        sbuf_putc(b, ',');
        put_group(b, p, o, group_ups(r, j), r->n);
        if (p->def.respondents == POLL_ORGANISATIONS) { /* an open answer: who gave it */
            sbuf_puts(b, ",\"by\":");
            sbuf_put_jstrz(b, o->by_name ? o->by_name : "");
            sbuf_puts(b, ",\"at\":");
            sbuf_put_i64(b, o->at);
        }
        sbuf_putc(b, '}');
    }
    sbuf_puts(b, "],\"other\":");
    /* Pooled small organisations are shown only when the pool itself is
     * large enough not to single anyone out. */
    if (g->other.respondents >= min) {
        sbuf_putc(b, '{');
        put_group(b, p, &g->other, group_ups(r, g->nshown), r->n);
        sbuf_putc(b, '}');
    } else {
        sbuf_puts(b, "null");
    }
}

/* ,"alignment":{…} or null; `compared` organisations are broken out. */
static void put_alignment(sbuf *b, const poll_t *p, unsigned min, size_t compared) {
    sbuf_puts(b, ",\"alignment\":");
    double d;
    if (!poll_alignment(p, min, &d)) {
        sbuf_puts(b, "null");
        return;
    }
    sbuf_puts(b, "{\"divergence\":");
    put_num(b, d);
    sbuf_printf(b, ",\"label\":\"%s\",\"organisations\":%zu}", poll_alignment_label(d), compared);
}

static uint64_t results_written; /* poll_write_results calls, for poll_results_written */

uint64_t poll_results_written(void) { return results_written; }

void poll_write_results(sbuf *b, const poll_t *p, unsigned min_group, const char *idjson) {
    results_written++;
    unsigned min = poll__group_min(min_group);
    results_groups g;
    results_ranking r = {0};
    if (!groups_form(&g, p, min) || (p->def.kind == POLL_TEXT && !ranking_form(&r, p, &g))) {
        b->oom = true;
    } else {
        put_start(b, "results", idjson, p->id);
        sbuf_putc(b, ',');
        put_totals(b, p, &r);
        if (states_respondents(p)) sbuf_printf(b, ",\"threshold\":%u", min);
        put_groups(b, p, &g, &r, min);
        put_alignment(b, p, min, g.nshown);
        sbuf_putc(b, '}');
    }
    groups_free(&g);
    ranking_free(&r);
}
