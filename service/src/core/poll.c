/* poll.c -- the poll model: definitions, lifecycle, voters, ballots, text
 * answers and upvotes, tallies and alignment, the list. Its JSON is
 * poll_json.c's, its store record poll_store.c's. */
#include "core/poll.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/poll_internal.h"
#include "core/utf8.h"
#include "core/vec.h"

/* ---- names ------------------------------------------------------------- */

static const char *const kind_names[] = {
    [POLL_SINGLE] = "single", [POLL_MULTIPLE] = "multiple", [POLL_SCALE] = "scale", [POLL_TEXT] = "text",
    [POLL_RANK] = "rank",
};
static const char *const state_names[] = {
    [POLL_DRAFT] = "draft", [POLL_OPEN] = "open", [POLL_CLOSED] = "closed", [POLL_DELETED] = "deleted",
};
static const char *const visibility_names[] = {
    [POLL_RESULTS_HIDDEN] = "hidden", [POLL_RESULTS_LIVE] = "live", [POLL_RESULTS_REVEALED] = "revealed",
};
static const char *const respondents_names[] = {[POLL_PEOPLE] = "people", [POLL_ORGANISATIONS] = "organisations"};
static const char *const lang_names[] = {[POLL_LANG_FR] = "fr", [POLL_LANG_EN] = "en"};

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
const char *poll_respondents_name(poll_respondents r) {
    return (size_t)r < COUNT(respondents_names) ? respondents_names[r] : "?";
}
const char *poll_lang_name(poll_lang l) { return (size_t)l < COUNT(lang_names) ? lang_names[l] : "?"; }

/* The index of s in names[0..n), or -1. */
static int name_index(const char *s, const char *const *names, size_t n) {
    for (size_t i = 0; s && i < n; i++)
        if (strcmp(s, names[i]) == 0) return (int)i;
    return -1;
}

/* bool FN(const char *s, TYPE *out): *out is the value named s in NAMES,
 * when there is one. */
#define FROM_NAME(fn, type, names)                                                                                     \
    bool fn(const char *s, type *out) {                                                                                \
        int i = name_index(s, names, COUNT(names));                                                                    \
        if (i >= 0) *out = (type)i;                                                                                    \
        return i >= 0;                                                                                                 \
    }

FROM_NAME(poll_kind_from_name, poll_kind, kind_names)
FROM_NAME(poll_state_from_name, poll_state, state_names)
FROM_NAME(poll_visibility_from_name, poll_visibility, visibility_names)
FROM_NAME(poll_respondents_from_name, poll_respondents, respondents_names)
FROM_NAME(poll_lang_from_name, poll_lang, lang_names)

const char *poll_alignment_label(double d) {
    if (d < 0.2) return "aligned";
    if (d < 0.5) return "partly_aligned";
    return "divergent";
}

bool poll_valid_id(const char *id) { return id && proto_valid_b64url(id, POLL_ID_MAX); }

poll_err poll__fail(const char **why, poll_err e, const char *msg) {
    if (why) *why = msg;
    return e;
}

/* ---- input checks ------------------------------------------------------ */

/* No C0 or C1 control character: they would let one participant break
 * everyone's layout. */
bool poll__valid_text(const char *s, size_t max) { return utf8_valid_line(s, max); }

bool poll__valid_pid(const char *pid) {
    if (!pid) return false;
    size_t n = strlen(pid);
    if (n == 0 || n > POLL_PID_MAX) return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)pid[i] <= 0x20 || pid[i] == 0x7f) return false;
    return true;
}

bool poll__valid_org(const char *org) { return utf8_valid_label(org, PROTO_NAME_MAX); }

/* ---- definitions ------------------------------------------------------- */

/* Free n strings of v, and v. */
static void strings_free(char **v, size_t n) {
    for (size_t i = 0; v && i < n; i++) free(v[i]);
    free(v);
}

void poll_def_free(poll_def *d) {
    free(d->question);
    strings_free(d->choices, d->nchoices);
    for (int l = 0; l < POLL_LANGS; l++) {
        free(d->translations[l].question);
        strings_free(d->translations[l].choices, d->translations[l].nchoices);
    }
    memset(d, 0, sizeof *d);
}

bool poll__has_choices(poll_kind k) { return k == POLL_SINGLE || k == POLL_MULTIPLE || k == POLL_RANK; }

/* n choices, each a valid choice text (else bad), all different (else same). */
static poll_err choices_check(char *const *choices, size_t n, const char *bad, const char *same, const char **why) {
    for (size_t i = 0; i < n; i++) {
        if (!poll__valid_text(choices[i], POLL_CHOICE_MAX)) return poll__fail(why, POLL_EBAD_REQUEST, bad);
        for (size_t j = 0; j < i; j++)
            if (strcmp(choices[i], choices[j]) == 0) return poll__fail(why, POLL_EBAD_REQUEST, same);
    }
    return POLL_OK;
}

/* A language's version says what the typed one says: a question, and the
 * same number of choices (none for scale and text polls). */
static poll_err translation_check(const poll_def *d, const poll_translation *t, const char **why) {
    if (!t->question) {
        if (t->choices || t->nchoices) return poll__fail(why, POLL_EBAD_REQUEST, "a translation needs its question");
        return POLL_OK;
    }
    if (!poll__valid_text(t->question, POLL_QUESTION_MAX))
        return poll__fail(why, POLL_EBAD_REQUEST, "a translated question must be 1 to 300 characters, without control characters");
    if (!poll__has_choices(d->kind)) {
        if (t->choices || t->nchoices)
            return poll__fail(why, POLL_EBAD_REQUEST, "scale and text polls have no \"choices\", in any language");
        return POLL_OK;
    }
    if (t->nchoices != d->nchoices || !t->choices)
        return poll__fail(why, POLL_EBAD_REQUEST, "a translation has as many choices as the poll");
    return choices_check(t->choices, t->nchoices,
                         "each translated choice must be 1 to 120 characters, without control characters",
                         "two translated choices are the same", why);
}

/* Who answers, and the threshold that fits them. */
static poll_err respondents_check(const poll_def *d, const char **why) {
    if ((size_t)d->respondents >= COUNT(respondents_names))
        return poll__fail(why, POLL_EBAD_REQUEST, "respondents must be \"people\" or \"organisations\"");
    if (d->representatives_only && d->respondents != POLL_ORGANISATIONS)
        return poll__fail(why, POLL_EBAD_REQUEST, "only a poll organisations answer is limited to representatives");
    if (d->respondents == POLL_ORGANISATIONS) {
        if (d->kind == POLL_TEXT)
            return poll__fail(why, POLL_EBAD_REQUEST, "organisations answer single, multiple, scale and rank polls, not text polls");
        if (d->threshold > 1)
            return poll__fail(why, POLL_EBAD_REQUEST, "organisation answers are shown by name: their threshold is always 1");
        return POLL_OK;
    }
    if (d->threshold == 1)
        return poll__fail(why, POLL_EBAD_REQUEST, "a threshold of 1 is only for organisation answers: it would show how one person voted");
    if (d->threshold && (d->threshold < POLL_THRESHOLD_MIN || d->threshold > POLL_THRESHOLD_MAX))
        return poll__fail(why, POLL_EBAD_REQUEST, "threshold must be from 2 to 10");
    return POLL_OK;
}

poll_err poll_def_check(const poll_def *d, const char **why) {
    if ((size_t)d->kind >= COUNT(kind_names)) return poll__fail(why, POLL_EBAD_REQUEST, "unknown poll kind");
    if (!poll__valid_text(d->question, POLL_QUESTION_MAX))
        return poll__fail(why, POLL_EBAD_REQUEST, "question must be 1 to 300 characters, without control characters");
    if (!poll__has_choices(d->kind)) {
        if (d->nchoices || d->choices)
            return poll__fail(why, POLL_EBAD_REQUEST, "scale and text polls have no \"choices\"");
    } else {
        if (d->nchoices < POLL_CHOICES_MIN || d->nchoices > POLL_CHOICES_MAX || !d->choices)
            return poll__fail(why, POLL_EBAD_REQUEST, "a choice poll needs 2 to 12 choices");
        poll_err e = choices_check(d->choices, d->nchoices,
                                   "each choice must be 1 to 120 characters, without control characters",
                                   "two choices are the same", why);
        if (e != POLL_OK) return e;
    }
    switch (d->kind) {
    case POLL_MULTIPLE:
        if (d->max < 1 || d->max > d->nchoices)
            return poll__fail(why, POLL_EBAD_REQUEST, "max must be between 1 and the number of choices");
        break;
    case POLL_TEXT:
        if (d->max < 1 || d->max > POLL_ANSWERS_LIMIT)
            return poll__fail(why, POLL_EBAD_REQUEST, "max (answers per participant) must be between 1 and 10");
        break;
    default:
        if (d->max != 0) return poll__fail(why, POLL_EBAD_REQUEST, "only multiple choice and text polls take \"max\"");
    }
    poll_err e = respondents_check(d, why);
    for (int l = 0; e == POLL_OK && l < POLL_LANGS; l++) e = translation_check(d, &d->translations[l], why);
    return e;
}

unsigned poll_threshold(const poll_t *p) {
    if (p->def.respondents == POLL_ORGANISATIONS) return 1;
    return p->def.threshold ? p->def.threshold : POLL_MIN_GROUP;
}


/* ---- polls and their lifecycle ----------------------------------------- */

poll_t *poll__alloc(const char *id, int64_t created) {
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
    for (size_t i = 0; i < p->norgs; i++) {
        free(p->orgs[i].name);
        free(p->orgs[i].by_name);
    }
    free(p->orgs);
    free(p->voters);
    free(p->slots);
    for (uint32_t i = 0; i < p->answers_cap; i++) {
        free(p->answers[i].text);
        free(p->answers[i].upvoters);
    }
    free(p->answers);
    free(p->pending);
    poll_passage_free(&p->passage);
    free(p);
}

/* A facilitator action may go ahead (the state is the caller's to check). */
static poll_err lead(const poll_t *p, bool facilitator, const char **why) {
    if (p->state == POLL_DELETED) return poll__fail(why, POLL_ENOT_FOUND, "no such poll");
    if (!facilitator) return poll__fail(why, POLL_EFORBIDDEN, "only a facilitator can do this");
    return POLL_OK;
}

poll_err poll_create(poll_t **out, const char *id, bool facilitator, poll_def *def, int64_t created, const char **why) {
    *out = NULL;
    if (!facilitator) return poll__fail(why, POLL_EFORBIDDEN, "only a facilitator can create a poll");
    if (!poll_valid_id(id)) return poll__fail(why, POLL_EBAD_REQUEST, "a poll id is 1 to 22 base64url characters");
    poll_err e = poll_def_check(def, why);
    if (e != POLL_OK) return e;
    poll_t *p = poll__alloc(id, created);
    if (!p) return poll__fail(why, POLL_EINTERNAL, "out of memory");
    p->def = *def;
    memset(def, 0, sizeof *def);
    p->folded = true; /* a new poll's ballots go to the history as ballots (poll_fold.h) */
    *out = p;
    return POLL_OK;
}

poll_err poll_edit(poll_t *p, bool facilitator, poll_def *def, const char **why) {
    poll_err e = lead(p, facilitator, why);
    if (e != POLL_OK) return e;
    if (p->state != POLL_DRAFT) return poll__fail(why, POLL_ESTATE, "only a draft poll can be edited");
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
    if (p->state != from) return poll__fail(why, POLL_ESTATE, why_not);
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
    if ((size_t)v >= COUNT(visibility_names)) return poll__fail(why, POLL_EBAD_REQUEST, "results must be \"hidden\", \"live\" or \"revealed\"");
    p->results = v;
    return POLL_OK;
}

poll_err poll_launch(poll_t *p, bool facilitator, poll_visibility v, const char **why) {
    poll_err e = lead(p, facilitator, why);
    if (e != POLL_OK) return e;
    /* Both checked before either changes: a refusal changes nothing. */
    if ((size_t)v >= COUNT(visibility_names)) return poll__fail(why, POLL_EBAD_REQUEST, "results must be \"hidden\", \"live\" or \"revealed\"");
    if (p->state != POLL_DRAFT) return poll__fail(why, POLL_ESTATE, "only a draft poll can be opened (reopen a closed one)");
    p->results = v;
    p->state = POLL_OPEN;
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

long poll__voter_find(const poll_t *p, const char *pid) {
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

long poll__org_find(const poll_t *p, const char *name) {
    for (size_t i = 0; i < p->norgs; i++)
        if (strcmp(p->orgs[i].name, name) == 0) return (long)i;
    return -1;
}

long poll__org_get(poll_t *p, const char *name) {
    long oi = poll__org_find(p, name);
    if (oi >= 0) return oi;
    if (!vec_reserve((void **)&p->orgs, &p->orgs_cap, p->norgs, sizeof *p->orgs)) return -1;
    poll_org *o = &p->orgs[p->norgs];
    memset(o, 0, sizeof *o);
    o->ballot.none = true; /* an organisation's own ballot: only organisations polls set it */
    if (!(o->name = strdup(name))) return -1;
    return (long)p->norgs++;
}

bool poll__voter_active(const poll_voter *v) { return v->answers + v->upvotes > 0; }

void poll__tally(poll_t *p, uint32_t org, const poll_ballot *b, int s) {
    if (b->none) return;
    poll_org *o = &p->orgs[org];
    p->respondents += (uint32_t)s;
    o->respondents += (uint32_t)s;
    if (p->def.kind == POLL_SCALE) {
        p->counts[b->value - 1] += (uint32_t)s;
        o->counts[b->value - 1] += (uint32_t)s;
        return;
    }
    if (p->def.kind == POLL_RANK) {
        poll__rank_tally(p->counts, o->counts, b, p->def.nchoices, s);
        return;
    }
    uint64_t w = POLL_WEIGHT_UNIT / (unsigned)__builtin_popcount(b->picks);
    for (size_t k = 0; k < p->def.nchoices; k++) {
        if (!(b->picks & (1u << k))) continue;
        p->counts[k] += (uint32_t)s;
        o->counts[k] += (uint32_t)s;
        if (p->def.kind == POLL_MULTIPLE) o->weights[k] += s > 0 ? w : -w;
    }
}

/* Add (s = +1) or remove (s = -1) a voter's ballot from the tallies. */
static void tally(poll_t *p, const poll_voter *v, int s) { poll__tally(p, v->org, &v->ballot, s); }

/* Change a text voter's live answers by `answers` and upvotes given by
 * `upvotes`, keeping them a respondent exactly while they have either. */
static void text_adjust(poll_t *p, poll_voter *v, int answers, int upvotes) {
    bool was = poll__voter_active(v);
    v->answers += (uint32_t)answers;
    v->upvotes += (uint32_t)upvotes;
    bool is = poll__voter_active(v);
    if (was == is) return;
    uint32_t d = is ? 1u : (uint32_t)-1;
    p->respondents += d;
    p->orgs[v->org].respondents += d;
}

/* Move voter vi, with their ballot or answers, to organisation oi. */
static void voter_move(poll_t *p, long vi, long oi) {
    poll_voter *v = &p->voters[vi];
    tally(p, v, -1);
    if (poll__voter_active(v)) p->orgs[v->org].respondents--;
    v->org = (uint32_t)oi;
    if (poll__voter_active(v)) p->orgs[v->org].respondents++;
    tally(p, v, +1);
}

/* Keep the slots at least twice the voters, with room for one more. */
static bool slots_reserve(poll_t *p) {
    if ((p->nvoters + 1) * 2 <= p->nslots) return true;
    size_t n = p->nslots ? p->nslots * 2 : 64;
    uint32_t *slots = calloc(n, sizeof *slots);
    if (!slots) return false;
    for (size_t i = 0; i < p->nvoters; i++) slot_put(slots, n, p->voters[i].pid, (uint32_t)i + 1);
    free(p->slots);
    p->slots = slots;
    p->nslots = n;
    return true;
}

/* A new voter without a ballot, in organisation oi; -1 when out of memory. */
static long voter_add(poll_t *p, const char *pid, long oi) {
    if (!slots_reserve(p) || !vec_reserve((void **)&p->voters, &p->voters_cap, p->nvoters, sizeof *p->voters))
        return -1;
    poll_voter *v = &p->voters[p->nvoters];
    memset(v, 0, sizeof *v);
    snprintf(v->pid, sizeof v->pid, "%s", pid);
    v->org = (uint32_t)oi;
    v->ballot.none = true;
    slot_put(p->slots, p->nslots, pid, (uint32_t)p->nvoters + 1);
    return (long)p->nvoters++;
}

long poll__voter_get(poll_t *p, const char *pid, const char *org) {
    long vi = poll__voter_find(p, pid);
    /* The usual case, a known voter in their usual organisation, must not
     * scan the organisations: 200 people vote within the same second. */
    if (vi >= 0 && strcmp(p->orgs[p->voters[vi].org].name, org) == 0) return vi;
    long oi = poll__org_get(p, org);
    if (oi < 0) return -1;
    if (vi < 0) return voter_add(p, pid, oi);
    voter_move(p, vi, oi);
    return vi;
}

/* ---- ballots ----------------------------------------------------------- */

poll_err poll__gate(const poll_t *p, bool text, const char **why) {
    if (p->state == POLL_DELETED) return poll__fail(why, POLL_ENOT_FOUND, "no such poll");
    if ((p->def.kind == POLL_TEXT) != text)
        return poll__fail(why, POLL_EBAD_REQUEST, text ? "this poll takes ballots, not text answers" : "this poll takes text answers, not ballots");
    if (p->state != POLL_OPEN) return poll__fail(why, POLL_ECLOSED, "the poll is not open");
    return POLL_OK;
}

poll_err poll__ballot_check(const poll_t *p, const poll_ballot *b, const char **why) {
    unsigned n = (unsigned)__builtin_popcount(b->picks);
    bool in_range = (b->picks >> p->def.nchoices) == 0;
    switch (p->def.kind) {
    case POLL_SINGLE:
        if (n != 1 || !in_range || b->value) return poll__fail(why, POLL_EBAD_REQUEST, "a ballot is the index of one choice");
        return POLL_OK;
    case POLL_MULTIPLE:
        if (n < 1 || n > p->def.max || !in_range || b->value)
            return poll__fail(why, POLL_EBAD_REQUEST, "a ballot is an array of 1 to max distinct choice indexes");
        return POLL_OK;
    case POLL_SCALE:
        if (b->picks || b->value < 1 || b->value > POLL_SCALE_POINTS)
            return poll__fail(why, POLL_EBAD_REQUEST, "a ballot is an integer from 1 to 5");
        return POLL_OK;
    case POLL_RANK:
        if (b->picks || b->value || !poll__rank_is_order(b->order, p->def.nchoices))
            return poll__fail(why, POLL_EBAD_REQUEST, "a ballot is every choice index once, in the order of preference");
        return POLL_OK;
    default: return poll__fail(why, POLL_EBAD_REQUEST, "this poll takes text answers, not ballots");
    }
}


poll_err poll__record_ballot(poll_t *p, const char *pid, const char *org, const poll_ballot *b, const char **why) {
    long vi = poll__voter_get(p, pid, org);
    if (vi < 0) return poll__fail(why, POLL_EINTERNAL, "out of memory");
    poll_voter *v = &p->voters[vi];
    tally(p, v, -1);
    v->ballot = *b;
    v->ballot.none = false;
    tally(p, v, +1);
    return POLL_OK;
}

poll_err poll_vote(poll_t *p, const char *pid, const char *org, const poll_ballot *b, const char **why) {
    poll_err e = poll__gate(p, false, why);
    if (e != POLL_OK) return e;
    if (p->def.respondents == POLL_ORGANISATIONS)
        return poll__fail(why, POLL_EBAD_REQUEST, "organisations answer this poll (poll_vote_org)");
    if (!poll__valid_pid(pid) || !poll__valid_org(org) || !b)
        return poll__fail(why, POLL_EBAD_REQUEST, "a ballot needs a participant and an organisation");
    if (b->none) {
        long vi = poll__voter_find(p, pid);
        if (vi >= 0) {
            tally(p, &p->voters[vi], -1);
            p->voters[vi].ballot.none = true;
        }
        return POLL_OK;
    }
    if ((e = poll__ballot_check(p, b, why)) != POLL_OK) return e;
    return poll__record_ballot(p, pid, org, b, why);
}

/* ---- text answers and upvotes ------------------------------------------ */

poll_answer *poll__live_answer(const poll_t *p, uint32_t id) {
    if (id < 1 || id > p->answers_next || !p->answers[id - 1].text) return NULL;
    return &p->answers[id - 1];
}

bool poll__upvoted(const poll_answer *a, size_t vi) {
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

bool poll__answers_extend(poll_t *p, uint32_t n) {
    if (!answers_reserve(p, n)) return false;
    if (n > p->answers_next) p->answers_next = n;
    return true;
}

static poll_err text_input(const char *text, const char **why) {
    if (!poll__valid_text(text, POLL_ANSWER_MAX))
        return poll__fail(why, POLL_EBAD_REQUEST, "an answer is 1 to 280 characters, without control characters");
    return POLL_OK;
}

poll_err poll__answer_put(poll_t *p, uint32_t vi, uint32_t id, const char *text, const char **why) {
    poll_answer *a = &p->answers[id - 1];
    char *t = strdup(text);
    if (!t) return poll__fail(why, POLL_EINTERNAL, "out of memory");
    free(a->upvoters);
    memset(a, 0, sizeof *a);
    a->author = vi;
    a->text = t;
    text_adjust(p, &p->voters[vi], +1, 0);
    return POLL_OK;
}

poll_err poll_answer_add(poll_t *p, const char *pid, const char *org, const char *text, uint32_t *answer_id,
                         const char **why) {
    poll_err e = poll__gate(p, true, why);
    if (e != POLL_OK) return e;
    if (!poll__valid_pid(pid) || !poll__valid_org(org))
        return poll__fail(why, POLL_EBAD_REQUEST, "an answer needs a participant and an organisation");
    if ((e = text_input(text, why)) != POLL_OK) return e;
    long fv = poll__voter_find(p, pid);
    if (fv >= 0 && p->voters[fv].answers >= p->def.max)
        return poll__fail(why, POLL_ELIMIT, "you already gave as many answers as this poll takes: edit or delete one");
    if (p->answers_next >= POLL_ANSWER_IDS) return poll__fail(why, POLL_ELIMIT, "this poll takes no more answers");
    long vi = poll__voter_get(p, pid, org);
    if (vi < 0 || !answers_reserve(p, p->answers_next + 1)) return poll__fail(why, POLL_EINTERNAL, "out of memory");
    uint32_t id = p->answers_next + 1;
    if ((e = poll__answer_put(p, (uint32_t)vi, id, text, why)) != POLL_OK) return e;
    p->answers_next = id;
    if (answer_id) *answer_id = id;
    return POLL_OK;
}

poll_err poll_answer_edit(poll_t *p, const char *pid, uint32_t answer_id, const char *text, const char **why) {
    poll_err e = poll__gate(p, true, why);
    if (e != POLL_OK) return e;
    if ((e = text_input(text, why)) != POLL_OK) return e;
    poll_answer *a = poll__live_answer(p, answer_id);
    if (!a) return poll__fail(why, POLL_ENOT_FOUND, "no such answer");
    long vi = pid ? poll__voter_find(p, pid) : -1;
    if (vi < 0 || a->author != (uint32_t)vi) return poll__fail(why, POLL_EFORBIDDEN, "only its author can edit an answer");
    if (strcmp(a->text, text) == 0) return POLL_OK;
    char *t = strdup(text);
    if (!t) return poll__fail(why, POLL_EINTERNAL, "out of memory");
    free(a->text);
    a->text = t;
    return POLL_OK;
}

poll_err poll_answer_delete(poll_t *p, const char *pid, bool facilitator, uint32_t answer_id, const char **why) {
    if (p->state == POLL_DELETED) return poll__fail(why, POLL_ENOT_FOUND, "no such poll");
    if (p->def.kind != POLL_TEXT) return poll__fail(why, POLL_EBAD_REQUEST, "this poll takes ballots, not text answers");
    poll_answer *a = poll__live_answer(p, answer_id);
    if (!a) return poll__fail(why, POLL_ENOT_FOUND, "no such answer");
    if (!facilitator) {
        long vi = pid ? poll__voter_find(p, pid) : -1;
        if (vi < 0 || a->author != (uint32_t)vi)
            return poll__fail(why, POLL_EFORBIDDEN, "only its author or a facilitator can delete an answer");
        if (p->state != POLL_OPEN) return poll__fail(why, POLL_ECLOSED, "the poll is not open");
    }
    size_t next = 0, vi;
    while (poll__upvoter_next(a, &next, &vi)) text_adjust(p, &p->voters[vi], 0, -1);
    text_adjust(p, &p->voters[a->author], -1, 0);
    free(a->text);
    free(a->upvoters);
    memset(a, 0, sizeof *a);
    return POLL_OK;
}

poll_err poll__upvote_set(poll_t *p, poll_answer *a, size_t vi, const char **why) {
    uint32_t need = (uint32_t)(vi / 64 + 1);
    if (need > a->words) {
        uint64_t *u = realloc(a->upvoters, need * sizeof *u);
        if (!u) return poll__fail(why, POLL_EINTERNAL, "out of memory");
        memset(u + a->words, 0, (need - a->words) * sizeof *u);
        a->upvoters = u;
        a->words = need;
    }
    a->upvoters[vi / 64] |= 1ull << (vi % 64);
    a->upvotes++;
    text_adjust(p, &p->voters[vi], 0, +1);
    return POLL_OK;
}

/* Withdraw voter vi's upvote from a, if they gave one. */
static void upvote_clear(poll_t *p, poll_answer *a, size_t vi) {
    if (!poll__upvoted(a, vi)) return;
    a->upvoters[vi / 64] &= ~(1ull << (vi % 64));
    a->upvotes--;
    text_adjust(p, &p->voters[vi], 0, -1);
}

bool poll__upvoter_next(const poll_answer *a, size_t *next, size_t *vi) {
    for (size_t i = *next; i / 64 < a->words; i = (i / 64 + 1) * 64) {
        uint64_t bits = a->upvoters[i / 64] >> (i % 64);
        if (!bits) continue;
        *vi = i + (size_t)__builtin_ctzll(bits);
        *next = *vi + 1;
        return true;
    }
    return false;
}

poll_err poll_upvote(poll_t *p, const char *pid, const char *org, uint32_t answer_id, bool up, const char **why) {
    poll_err e = poll__gate(p, true, why);
    if (e != POLL_OK) return e;
    if (!poll__valid_pid(pid) || !poll__valid_org(org))
        return poll__fail(why, POLL_EBAD_REQUEST, "an upvote needs a participant and an organisation");
    poll_answer *a = poll__live_answer(p, answer_id);
    if (!a) return poll__fail(why, POLL_ENOT_FOUND, "no such answer");
    if (!up) {
        long vi = poll__voter_find(p, pid);
        if (vi >= 0) upvote_clear(p, a, (size_t)vi);
        return POLL_OK;
    }
    long fv = poll__voter_find(p, pid);
    if (fv >= 0 && a->author == (uint32_t)fv) return poll__fail(why, POLL_EFORBIDDEN, "you cannot upvote your own answer");
    long vi = poll__voter_get(p, pid, org);
    if (vi < 0) return poll__fail(why, POLL_EINTERNAL, "out of memory");
    if (poll__upvoted(a, (size_t)vi)) return POLL_OK;
    return poll__upvote_set(p, a, (size_t)vi, why);
}

/* ---- results and alignment --------------------------------------------- */

unsigned poll__group_min(unsigned min_group) { return min_group ? min_group : 1; }

/* The share of an organisation's answers on choice k: for multiple choice
 * each respondent weighs 1, split evenly over their picks. */
static double share(const poll_t *p, const poll_org *o, size_t k) {
    if (p->def.kind == POLL_MULTIPLE) return (double)o->weights[k] / ((double)o->respondents * POLL_WEIGHT_UNIT);
    return (double)o->counts[k] / (double)o->respondents;
}

double poll__org_mean(const poll_org *o) {
    uint64_t sum = 0;
    for (int k = 0; k < POLL_SCALE_POINTS; k++) sum += (uint64_t)(k + 1) * o->counts[k];
    return (double)sum / (double)o->respondents;
}

bool poll_alignment(const poll_t *p, unsigned min_group, double *divergence) {
    if (p->state == POLL_DELETED || p->def.kind == POLL_TEXT) return false;
    unsigned g = poll__group_min(min_group);
    size_t n = 0, pairs = 0;
    double lo = 0, hi = 0, sum = 0;
    for (size_t i = 0; i < p->norgs; i++) {
        const poll_org *a = &p->orgs[i];
        if (a->respondents < g) continue;
        if (p->def.kind == POLL_RANK) {
            for (size_t j = 0; j < i; j++) {
                const poll_org *b = &p->orgs[j];
                if (b->respondents < g) continue;
                sum += poll_rank_distance(a->counts, a->respondents, b->counts, b->respondents, p->def.nchoices);
                pairs++;
            }
        } else if (p->def.kind == POLL_SCALE) {
            double m = poll__org_mean(a);
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
    if (list_index(l, p->id) >= 0) return poll__fail(why, POLL_EBAD_REQUEST, "a poll with this id exists");
    if (l->n >= POLL_PER_WORKSHOP) return poll__fail(why, POLL_ELIMIT, "this workshop has as many polls as it can hold: delete one");
    if (!vec_reserve((void **)&l->v, &l->cap, l->n, sizeof *l->v)) return poll__fail(why, POLL_EINTERNAL, "out of memory");
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

bool poll_took_part(const poll_t *p, const char *pid, const char *org) {
    if (p->def.respondents == POLL_ORGANISATIONS) return org && poll__org_find(p, org) >= 0;
    long vi = pid ? poll__voter_find(p, pid) : -1;
    if (vi < 0) return false;
    const poll_voter *v = &p->voters[vi];
    return p->def.kind == POLL_TEXT ? poll__voter_active(v) : !v->ballot.none;
}

const char *poll_answer_author(const poll_t *p, uint32_t answer_id) {
    const poll_answer *a = poll__live_answer(p, answer_id);
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
