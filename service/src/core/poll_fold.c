/* poll_fold.c -- a poll's results folded from its ballot events
 * (poll_fold.h). Every record is checked as strictly as when a poll is
 * loaded (poll_store.c): a damaged event is refused, never half applied. */
#include "core/poll_fold.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "core/poll_internal.h"
#include "core/poll_json.h"
#include "core/utf8.h"

void poll_fold_write_event(sbuf *pub, sbuf *res, const poll_t *p, bool ballot) {
    poll_write_public(pub, p);
    if (ballot && p->folded) return;
    if (p->state == POLL_OPEN || p->state == POLL_CLOSED) poll_write_results(res, p, poll_threshold(p), NULL);
}

static const cJSON *item(const cJSON *o, const char *key) { return cJSON_GetObjectItemCaseSensitive(o, key); }

/* Stored JSON text: absent or "" is none (*o NULL); else one valid object. */
static bool parse_object(const char *json, cJSON **o) {
    *o = NULL;
    if (!json || !json[0]) return true;
    size_t len = strlen(json);
    if (!utf8_valid(json, len)) return false;
    *o = cJSON_ParseWithLength(json, len);
    if (*o && cJSON_IsObject(*o)) return true;
    cJSON_Delete(*o);
    *o = NULL;
    return false;
}

/* What a public poll object says of the poll's life. */
typedef struct public_head {
    const char *id;          /* points into the parsed object */
    poll_state state;
    poll_visibility results;
    int64_t created;
} public_head;

static poll_err read_public_head(const cJSON *o, public_head *h, const char **why) {
    h->id = cJSON_GetStringValue(item(o, "id"));
    if (!poll_valid_id(h->id) || !poll_state_from_name(cJSON_GetStringValue(item(o, "state")), &h->state) ||
        !poll_visibility_from_name(cJSON_GetStringValue(item(o, "results")), &h->results) ||
        !proto_json_int(item(o, "created"), -PROTO_SAFE_INT_MAX, PROTO_SAFE_INT_MAX, &h->created))
        return poll__fail(why, POLL_EBAD_REQUEST, "a poll object needs id, state, results and created");
    return POLL_OK;
}

poll_err poll_fold_start(const char *public_json, poll_t **out, const char **why) {
    *out = NULL;
    cJSON *o;
    if (!parse_object(public_json, &o) || !o) return poll__fail(why, POLL_EBAD_REQUEST, "a poll object is a JSON object");
    public_head h;
    poll_def d = {0};
    poll_err e = read_public_head(o, &h, why);
    if (e == POLL_OK) e = poll_def_from_json(o, &d, why);
    poll_t *p = NULL;
    if (e == POLL_OK && !(p = poll__alloc(h.id, h.created))) e = poll__fail(why, POLL_EINTERNAL, "out of memory");
    if (e == POLL_OK) {
        p->def = d;
        memset(&d, 0, sizeof d);
        p->state = h.state;
        p->results = h.results;
        p->folded = true;
        *out = p;
    }
    poll_def_free(&d);
    cJSON_Delete(o);
    return e;
}

poll_err poll_fold_step(poll_t *p, const char *public_json, const char **why) {
    cJSON *o;
    if (!parse_object(public_json, &o) || !o) return poll__fail(why, POLL_EBAD_REQUEST, "a poll object is a JSON object");
    public_head h;
    poll_err e = read_public_head(o, &h, why);
    if (e == POLL_OK && strcmp(h.id, p->id) != 0) e = poll__fail(why, POLL_EBAD_REQUEST, "a step of another poll");
    if (e == POLL_OK && h.state == POLL_DRAFT) {
        /* A draft has no ballot: its definition may change, so start over. */
        poll_t *fresh;
        e = poll_fold_start(public_json, &fresh, why);
        if (e == POLL_OK) {
            poll_def_free(&p->def);
            p->def = fresh->def;
            memset(&fresh->def, 0, sizeof fresh->def);
            poll_free(fresh);
        }
    }
    if (e == POLL_OK) {
        p->state = h.state;
        p->results = h.results;
    }
    cJSON_Delete(o);
    return e;
}

/* A person's record: {"org", "ballot"} with a ballot (never null). */
static poll_err read_person(const poll_t *p, const cJSON *o, const char **org, poll_ballot *b, const char **why) {
    *org = cJSON_GetStringValue(item(o, "org"));
    if (!poll__valid_org(*org)) return poll__fail(why, POLL_EBAD_REQUEST, "a ballot record needs its organisation");
    poll_err e = poll_ballot_from_json(p, item(o, "ballot"), b, why);
    if (e == POLL_OK && b->none) e = poll__fail(why, POLL_EBAD_REQUEST, "a stored ballot is never null");
    return e;
}

/* A person's ballot moves from prior to now (either absent). The prior one
 * must be in the tallies: a fold that misses it is refused, not skewed. */
static poll_err fold_person(poll_t *p, const cJSON *prior, const cJSON *now, const char **why) {
    const char *porg = NULL, *norg = NULL;
    poll_ballot pb = {.none = true}, nb = {.none = true};
    poll_err e = POLL_OK;
    if (prior && (e = read_person(p, prior, &porg, &pb, why)) != POLL_OK) return e;
    if (now && (e = read_person(p, now, &norg, &nb, why)) != POLL_OK) return e;
    long po = porg ? poll__org_find(p, porg) : -1;
    if (porg && (po < 0 || p->orgs[po].respondents == 0))
        return poll__fail(why, POLL_EBAD_REQUEST, "the ballot it replaces is not in the fold");
    long no = norg ? poll__org_get(p, norg) : -1;
    if (norg && no < 0) return poll__fail(why, POLL_EINTERNAL, "out of memory");
    if (porg) poll__tally(p, (uint32_t)po, &pb, -1);
    if (norg) poll__tally(p, (uint32_t)no, &nb, +1);
    return POLL_OK;
}

/* An organisation's record: {"ballot" (null: withdrawn), "by": {"participant", "name"}, "at"}. */
static poll_err fold_org(poll_t *p, const char *org, const cJSON *now, const char **why) {
    if (!poll__valid_org(org)) return poll__fail(why, POLL_EBAD_REQUEST, "an organisation's ballot names it");
    if (!now) return poll__fail(why, POLL_EBAD_REQUEST, "an organisation's ballot keeps its record");
    poll_ballot b;
    const cJSON *by = item(now, "by");
    const char *pid = cJSON_GetStringValue(item(by, "participant")), *name = cJSON_GetStringValue(item(by, "name"));
    int64_t at;
    poll_err e = poll_ballot_from_json(p, item(now, "ballot"), &b, why);
    if (e == POLL_OK && (!poll__valid_pid(pid) || !poll__valid_org(name) ||
                         !proto_json_int(item(now, "at"), 0, PROTO_SAFE_INT_MAX, &at)))
        e = poll__fail(why, POLL_EBAD_REQUEST, "an organisation's record says who voted (by) and when (at)");
    long oi = -1;
    if (e == POLL_OK && (oi = poll__org_get(p, org)) < 0) e = poll__fail(why, POLL_EINTERNAL, "out of memory");
    return e == POLL_OK ? poll__org_set(p, oi, &b, pid, name, at, why) : e;
}

poll_err poll_fold_ballot(poll_t *p, const char *org, const char *prior, const char *data, const char **why) {
    if (p->def.kind == POLL_TEXT) return poll__fail(why, POLL_EBAD_REQUEST, "text polls are not folded");
    cJSON *po = NULL, *no = NULL;
    poll_err e;
    if (!parse_object(prior, &po) || !parse_object(data, &no))
        e = poll__fail(why, POLL_EBAD_REQUEST, "a ballot record is a JSON object");
    else if (p->def.respondents == POLL_ORGANISATIONS)
        e = fold_org(p, org, no, why);
    else
        e = fold_person(p, po, no, why);
    cJSON_Delete(po);
    cJSON_Delete(no);
    return e;
}
