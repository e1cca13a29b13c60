/* poll_store.c -- a poll's records in Redis: written from the model, read
 * back into it, every record checked as strictly as a client's message (a
 * damaged record must not bring a poll back in a state the model forbids). */
#include "core/poll_store.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/poll_internal.h"
#include "core/poll_json.h"
#include "core/utf8.h"
#include "core/vec.h"

static const cJSON *item(const cJSON *o, const char *key) { return cJSON_GetObjectItemCaseSensitive(o, key); }

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

/* ---- the poll record --------------------------------------------------- */

void poll_store_write(sbuf *b, const poll_t *p) {
    sbuf_printf(b, "{\"v\":%d,", POLL_STORE_VERSION);
    poll__put_head(b, p);
    if (p->def.kind == POLL_TEXT) sbuf_printf(b, ",\"answers_next\":%u", p->answers_next);
    if (p->folded) sbuf_puts(b, ",\"folded\":true");
    sbuf_putc(b, '}');
}

/* What a poll record says besides the definition. */
typedef struct record_head {
    const char *id;       /* points into the parsed record */
    poll_state state;     /* draft, open or closed: a deleted poll has no record */
    poll_visibility results;
    int64_t created;      /* ms since the epoch */
    int64_t answers_next; /* text polls: answer ids handed out (0 when absent) */
    bool folded;          /* "folded": its ballot events carry ballots (absent in records stored before) */
} record_head;

static poll_err read_head(const cJSON *o, record_head *h, const char **why) {
    int64_t v;
    h->id = cJSON_GetStringValue(item(o, "id"));
    if (!proto_json_int(item(o, "v"), POLL_STORE_VERSION, POLL_STORE_VERSION, &v) || !poll_valid_id(h->id) ||
        !poll_state_from_name(cJSON_GetStringValue(item(o, "state")), &h->state) || h->state == POLL_DELETED ||
        !poll_visibility_from_name(cJSON_GetStringValue(item(o, "results")), &h->results) ||
        !proto_json_int(item(o, "created"), -PROTO_SAFE_INT_MAX, PROTO_SAFE_INT_MAX, &h->created))
        return poll__fail(why, POLL_EBAD_REQUEST, "a poll record needs v, id, state, results and created");
    const cJSON *fo = item(o, "folded");
    if (fo && !cJSON_IsBool(fo)) return poll__fail(why, POLL_EBAD_REQUEST, "folded is true or false");
    h->folded = cJSON_IsTrue(fo);
    const cJSON *an = item(o, "answers_next");
    h->answers_next = 0;
    if (an && !proto_json_int(an, 0, POLL_ANSWER_IDS, &h->answers_next))
        return poll__fail(why, POLL_EBAD_REQUEST, "answers_next is out of range");
    return POLL_OK;
}

/* A poll as its record's head and definition say; takes *d on success. */
static poll_err poll_from_record(const record_head *h, poll_def *d, poll_t **out, const char **why) {
    poll_t *p = poll__alloc(h->id, h->created);
    if (!p || (d->kind == POLL_TEXT && !poll__answers_extend(p, (uint32_t)h->answers_next))) {
        poll_free(p);
        return poll__fail(why, POLL_EINTERNAL, "out of memory");
    }
    p->def = *d;
    memset(d, 0, sizeof *d);
    p->state = h->state;
    p->results = h->results;
    p->folded = h->folded;
    *out = p;
    return POLL_OK;
}

poll_err poll_store_read(const char *json, size_t len, poll_t **out, const char **why) {
    *out = NULL;
    cJSON *o = parse_record(json, len);
    if (!o) return poll__fail(why, POLL_EBAD_REQUEST, "a poll record is a JSON object");
    record_head h;
    poll_def d = {0};
    poll_err e = read_head(o, &h, why);
    if (e == POLL_OK) e = poll_def_from_json(o, &d, why);
    poll_passage ps = {0};
    if (e == POLL_OK) e = poll__passage_from_record(item(o, "passage"), &ps, why);
    if (e == POLL_OK) e = poll_from_record(&h, &d, out, why);
    if (e == POLL_OK) {
        (*out)->passage = ps; /* its text: the shell reads it from the statement */
        memset(&ps, 0, sizeof ps);
    }
    poll_passage_free(&ps);
    poll_def_free(&d);
    cJSON_Delete(o);
    return e;
}

/* ---- a participant's record -------------------------------------------- */

/* An organisation's record: its ballot (null once withdrawn) and who last
 * voted for it. */
static bool write_org_record(sbuf *b, const poll_t *p, const char *org) {
    const poll_org *o = poll_org_find(p, org);
    if (!o) return false;
    sbuf_putc(b, '{');
    poll__put_org_ballot(b, p, o);
    sbuf_putc(b, '}');
    return true;
}

bool poll_store_write_ballot(sbuf *b, const poll_t *p, const char *field) {
    if (p->def.respondents == POLL_ORGANISATIONS) return field && write_org_record(b, p, field);
    const char *pid = field;
    long vi = pid ? poll__voter_find(p, pid) : -1;
    if (vi < 0) return false;
    const poll_voter *v = &p->voters[vi];
    if (p->def.kind == POLL_TEXT ? !poll__voter_active(v) : v->ballot.none) return false;
    sbuf_puts(b, "{\"org\":");
    sbuf_put_jstrz(b, p->orgs[v->org].name);
    sbuf_putc(b, ',');
    poll__put_mine(b, p, vi);
    sbuf_putc(b, '}');
    return true;
}

/* The id of a stored answer {id, text}, or 0 when it is not one. */
static uint32_t stored_answer_id(const cJSON *a) {
    int64_t id;
    return proto_json_int(item(a, "id"), 1, POLL_ANSWER_IDS, &id) ? (uint32_t)id : 0;
}

/* A text record's answers: each {id, text} with an id free so far and used
 * once, a valid text. *top: the highest id. */
static poll_err check_stored_answers(const poll_t *p, const cJSON *ans, uint32_t *top, const char **why) {
    const cJSON *c;
    *top = 0;
    cJSON_ArrayForEach(c, ans) {
        uint32_t id = stored_answer_id(c);
        const cJSON *t = item(c, "text");
        if (!id || !cJSON_IsString(t) || !poll__valid_text(t->valuestring, POLL_ANSWER_MAX) || poll__live_answer(p, id))
            return poll__fail(why, POLL_EBAD_REQUEST, "a stored answer is {id, text} with a free id and a valid text");
        for (const cJSON *d = ans->child; d != c; d = d->next)
            if (stored_answer_id(d) == id) return poll__fail(why, POLL_EBAD_REQUEST, "two stored answers share an id");
        if (id > *top) *top = id;
    }
    return POLL_OK;
}

/* A text participant's record fits the poll and is not loaded yet. */
static poll_err check_text_record(const poll_t *p, const char *pid, const cJSON *ans, const cJSON *ups, uint32_t *top,
                                  const char **why) {
    if ((ans && !cJSON_IsArray(ans)) || (ups && !cJSON_IsArray(ups)) || cJSON_GetArraySize(ans) > (int)p->def.max)
        return poll__fail(why, POLL_EBAD_REQUEST, "a text record has answers (at most max) and upvotes arrays");
    long vi = poll__voter_find(p, pid);
    if (vi >= 0 && poll__voter_active(&p->voters[vi]))
        return poll__fail(why, POLL_EBAD_REQUEST, "this participant's record was already loaded");
    poll_err e = check_stored_answers(p, ans, top, why);
    if (e != POLL_OK) return e;
    const cJSON *c;
    int64_t id;
    cJSON_ArrayForEach(c, ups) {
        if (!proto_json_int(c, 1, POLL_ANSWER_IDS, &id)) return poll__fail(why, POLL_EBAD_REQUEST, "upvotes are answer ids");
    }
    return POLL_OK;
}

/* Room for n more pending upvotes. */
static bool pending_reserve(poll_t *p, size_t n) {
    for (size_t k = p->npending; k < p->npending + n; k++)
        if (!vec_reserve((void **)&p->pending, &p->pending_cap, k, sizeof *p->pending)) return false;
    return true;
}

/* Apply a checked text record: its answers now, its upvotes at
 * poll_store_finish (their answers may come in a later record). */
static poll_err load_text_record(poll_t *p, const char *pid, const char *org, const cJSON *ans, const cJSON *ups,
                                 uint32_t top, const char **why) {
    long vi = poll__voter_get(p, pid, org);
    if (vi < 0 || !poll__answers_extend(p, top) || !pending_reserve(p, (size_t)cJSON_GetArraySize(ups)))
        return poll__fail(why, POLL_EINTERNAL, "out of memory");
    const cJSON *c;
    cJSON_ArrayForEach(c, ans) {
        poll_err e = poll__answer_put(p, (uint32_t)vi, stored_answer_id(c), item(c, "text")->valuestring, why);
        if (e != POLL_OK) return e;
    }
    cJSON_ArrayForEach(c, ups) p->pending[p->npending++] = (poll_pending){(uint32_t)vi, (uint32_t)c->valuedouble};
    return POLL_OK;
}

/* A text participant's record: checked whole, then applied. */
static poll_err read_text_record(poll_t *p, const char *pid, const char *org, const cJSON *o, const char **why) {
    const cJSON *ans = item(o, "answers"), *ups = item(o, "upvotes");
    uint32_t top = 0;
    poll_err e = check_text_record(p, pid, ans, ups, &top, why);
    return e == POLL_OK ? load_text_record(p, pid, org, ans, ups, top, why) : e;
}

/* A ballot participant's record: one ballot, never null. */
static poll_err read_ballot_record(poll_t *p, const char *pid, const char *org, const cJSON *o, const char **why) {
    poll_ballot bl;
    poll_err e = poll_ballot_from_json(p, item(o, "ballot"), &bl, why);
    if (e == POLL_OK && bl.none) e = poll__fail(why, POLL_EBAD_REQUEST, "a stored ballot is never null");
    return e == POLL_OK ? poll__record_ballot(p, pid, org, &bl, why) : e;
}

/* Who last voted for an organisation: {"participant", "name"}. */
static bool read_setter(const cJSON *by, const char **pid, const char **name) {
    *pid = cJSON_GetStringValue(item(by, "participant"));
    *name = cJSON_GetStringValue(item(by, "name"));
    return cJSON_IsObject(by) && poll__valid_pid(*pid) && poll__valid_org(*name);
}

/* An organisation's record, under its name: a ballot or null, and who last
 * voted for it and when. Each organisation has one. */
static poll_err read_org_record(poll_t *p, const char *org, const char *json, size_t len, const char **why) {
    if (!poll__valid_org(org)) return poll__fail(why, POLL_EBAD_REQUEST, "an organisation's record is filed under its name");
    if (poll__org_find(p, org) >= 0) return poll__fail(why, POLL_EBAD_REQUEST, "this organisation's record was already loaded");
    cJSON *o = parse_record(json, len);
    if (!o) return poll__fail(why, POLL_EBAD_REQUEST, "a ballot record is a JSON object");
    poll_ballot bl;
    const char *pid, *name;
    int64_t at;
    long oi = -1;
    poll_err e = poll_ballot_from_json(p, item(o, "ballot"), &bl, why);
    if (e == POLL_OK && (!read_setter(item(o, "by"), &pid, &name) ||
                         !proto_json_int(item(o, "at"), 0, PROTO_SAFE_INT_MAX, &at)))
        e = poll__fail(why, POLL_EBAD_REQUEST, "an organisation's record says who voted (by) and when (at)");
    if (e == POLL_OK && (oi = poll__org_get(p, org)) < 0) e = poll__fail(why, POLL_EINTERNAL, "out of memory");
    if (e == POLL_OK) e = poll__org_set(p, oi, &bl, pid, name, at, why);
    cJSON_Delete(o);
    return e;
}

poll_err poll_store_read_ballot(poll_t *p, const char *field, const char *json, size_t len, const char **why) {
    if (p->state == POLL_DELETED || p->state == POLL_DRAFT)
        return poll__fail(why, POLL_EBAD_REQUEST, "a draft or deleted poll has no ballots");
    if (p->def.respondents == POLL_ORGANISATIONS) return read_org_record(p, field, json, len, why);
    const char *pid = field;
    if (!poll__valid_pid(pid)) return poll__fail(why, POLL_EBAD_REQUEST, "bad participant id");
    cJSON *o = parse_record(json, len);
    if (!o) return poll__fail(why, POLL_EBAD_REQUEST, "a ballot record is a JSON object");
    poll_err e;
    const char *org = cJSON_GetStringValue(item(o, "org"));
    if (!poll__valid_org(org))
        e = poll__fail(why, POLL_EBAD_REQUEST, "a ballot record needs its organisation");
    else if (p->def.kind == POLL_TEXT)
        e = read_text_record(p, pid, org, o, why);
    else
        e = read_ballot_record(p, pid, org, o, why);
    cJSON_Delete(o);
    return e;
}

void poll_store_finish(poll_t *p) {
    for (size_t i = 0; i < p->npending; i++) {
        poll_pending *u = &p->pending[i];
        poll_answer *a = poll__live_answer(p, u->answer);
        /* Upvotes of answers deleted since, and any that break the rules, are dropped. */
        if (!a || a->author == u->voter || poll__upvoted(a, u->voter)) continue;
        if (poll__upvote_set(p, a, u->voter, NULL) != POLL_OK) break;
    }
    free(p->pending);
    p->pending = NULL;
    p->npending = p->pending_cap = 0;
}
