#include "core/export_book.h"
#include "core/export_internal.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/vec.h"

void export_book_init(export_book *b) {
    memset(b, 0, sizeof *b);
    b->ended = -1;
}

void export_book_free(export_book *b) {
    for (size_t i = 0; i < b->norgs; i++) free(b->orgs[i].name);
    for (size_t i = 0; i < b->npersons; i++) {
        free(b->persons[i].name);
        free(b->persons[i].org);
    }
    free(b->persons);
    for (size_t i = 0; i < b->nmoments; i++) {
        free(b->moments[i].subject);
        free(b->moments[i].question_fr);
        free(b->moments[i].question_en);
    }
    for (size_t i = 0; i < b->ndecisions; i++) {
        free(b->decisions[i].name);
        free(b->decisions[i].org);
        free(b->decisions[i].sha256);
        free(b->decisions[i].reason);
    }
    free(b->decisions);
    free(b->orgs);
    free(b->moments);
    export_book_init(b);
}

static export_org *org_get(export_book *b, const char *name) {
    for (size_t i = 0; i < b->norgs; i++)
        if (strcmp(b->orgs[i].name, name) == 0) return &b->orgs[i];
    char *n = strdup(name);
    if (!n || !vec_reserve((void **)&b->orgs, &b->orgs_cap, b->norgs, sizeof *b->orgs)) {
        free(n);
        b->oom = true;
        return NULL;
    }
    b->orgs[b->norgs] = (export_org){.name = n};
    return &b->orgs[b->norgs++];
}

/* Keep who they are for the list of people. */
static void person_add(export_book *b, const char *name, const char *org, wk_role role) {
    char *n = strdup(name ? name : ""), *o = strdup(org ? org : "");
    if (!n || !o || !vec_reserve((void **)&b->persons, &b->persons_cap, b->npersons, sizeof *b->persons)) {
        free(n);
        free(o);
        b->oom = true;
        return;
    }
    b->persons[b->npersons++] = (export_person){n, o, role};
}

void export_book_person(export_book *b, const char *name, const char *org, wk_role role) {
    person_add(b, name, org, role);
    if (role == WK_OBSERVER) { /* counted apart, never in an organisation */
        b->observers++;
        return;
    }
    export_org *o = org_get(b, org ? org : "");
    if (!o) return;
    o->people++;
    b->people++;
}

/* A copy of s, NULL for NULL; *oom set when it cannot be made. */
static char *copy_of(const char *s, bool *oom) {
    char *c = s ? strdup(s) : NULL;
    if (s && !c) *oom = true;
    return c;
}

/* A key moment; for a poll, its question as given in French and in English too (NULL: none). */
static void moment_in(export_book *b, int64_t t, export_moment_kind kind, const char *subject, const char *fr,
                      const char *en) {
    bool oom = false;
    export_moment mo = {t, kind, copy_of(subject, &oom), copy_of(fr, &oom), copy_of(en, &oom)};
    if (oom || !vec_reserve((void **)&b->moments, &b->moments_cap, b->nmoments, sizeof *b->moments)) {
        free(mo.subject);
        free(mo.question_fr);
        free(mo.question_en);
        b->oom = true;
        return;
    }
    b->moments[b->nmoments++] = mo;
}

static void moment(export_book *b, int64_t t, export_moment_kind kind, const char *subject) {
    moment_in(b, t, kind, subject, NULL, NULL);
}

/* An endorsement or a decline, recorded whole. */
static void book_decision(export_book *b, const hist_event *e, bool declined) {
    if (!e->org || !e->sha256 || (declined && !e->reason)) return;
    export_decision d = {e->t, declined, strdup(e->name ? e->name : ""), strdup(e->org),
                         declined ? e->rev : e->endorsed_rev, strdup(e->sha256), declined ? strdup(e->reason) : NULL};
    if (!d.name || !d.org || !d.sha256 || (declined && !d.reason) ||
        !vec_reserve((void **)&b->decisions, &b->decisions_cap, b->ndecisions, sizeof *b->decisions)) {
        free(d.name);
        free(d.org);
        free(d.sha256);
        free(d.reason);
        b->oom = true;
        return;
    }
    b->decisions[b->ndecisions++] = d;
}

void export_book_event(export_book *b, const hist_event *e) {
    bool declined = strcmp(e->type, "declined") == 0;
    if (declined || strcmp(e->type, "endorsed") == 0) {
        book_decision(b, e, declined);
        return;
    }
    if (strcmp(e->type, "created") == 0) {
        moment(b, e->t, EXPORT_CREATED, NULL);
        return;
    }
    bool ended = strcmp(e->type, "ended") == 0;
    if (ended || strcmp(e->type, "reopened") == 0) {
        moment(b, e->t, ended ? EXPORT_ENDED : EXPORT_REOPENED, e->name ? e->name : "");
        b->ended = ended && !b->oom ? (long)b->nmoments - 1 : -1;
        return;
    }
    bool observer = e->role && strcmp(e->role, wk_role_name(WK_OBSERVER)) == 0;
    if (strcmp(e->type, "arrived") == 0 && e->org && e->org[0] && !observer) {
        export_org *o = org_get(b, e->org);
        if (o && !o->arrived) {
            o->arrived = true;
            moment(b, e->t, EXPORT_ORG_ARRIVED, e->org);
        }
        return;
    }
    if (!e->poll) return;
    export_moment_kind kind;
    if (strcmp(e->type, "poll_opened") == 0) kind = EXPORT_POLL_OPENED;
    else if (strcmp(e->type, "poll_closed") == 0) kind = EXPORT_POLL_CLOSED;
    else if (strcmp(e->type, "poll_reopened") == 0) kind = EXPORT_POLL_REOPENED;
    else if (strcmp(e->type, "poll_results") == 0) kind = EXPORT_RESULTS_REVEALED;
    else return;
    cJSON *p = cJSON_Parse(e->poll);
    const char *q = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "question"));
    const char *vis = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "results"));
    if (q && (kind != EXPORT_RESULTS_REVEALED || (vis && strcmp(vis, "revealed") == 0)))
        moment_in(b, e->t, kind, q, export__question_in(p, "fr"), export__question_in(p, "en"));
    cJSON_Delete(p);
}

