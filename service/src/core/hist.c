#include "core/hist.h"

#include "core/poll.h"
#include "core/vec.h"
#include "core/workshop.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

bool hist_valid_id(const char *id, int64_t *ms) {
    int64_t v = 0;
    const char *p = id;
    if (!p || *p < '0' || *p > '9') return false;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (p - id >= HIST_MS_DIGITS) return false;
        v = v * 10 + (*p - '0');
    }
    if (*p++ != '-' || *p < '0' || *p > '9') return false;
    const char *seq = p;
    uint64_t sv = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        uint64_t digit = (uint64_t)(*p - '0');
        /* Redis refuses a sequence over 64 bits (an error, not a page). */
        if (p - seq >= HIST_SEQ_DIGITS || sv > (UINT64_MAX - digit) / 10) return false;
        sv = sv * 10 + digit;
    }
    if (*p) return false;
    if (ms) *ms = v;
    return true;
}

/* A JSON text field of a stored event: absent, or one JSON value opening
 * with `open` and nothing after it (or "" where empty means none). */
static bool stored_json(const char *v, char open, bool may_be_empty) {
    if (!v || (may_be_empty && !v[0])) return true;
    if (v[0] != open) return false;
    cJSON *j = cJSON_ParseWithOpts(v, NULL, true);
    cJSON_Delete(j);
    return j != NULL;
}

/* A colour slot as stored: decimal digits, 0..WK_SLOT_MAX, written as a
 * JSON number (no leading zero). */
static bool valid_slot(const char *v) {
    size_t n = strspn(v, "0123456789");
    return n > 0 && n <= 7 && !v[n] && (v[0] != '0' || n == 1) && strtol(v, NULL, 10) <= WK_SLOT_MAX;
}

bool hist_event_from_fields(hist_event *e, const char *id, const char *const *kv, size_t n) {
    memset(e, 0, sizeof *e);
    e->endorsed_rev = -1;
    if (!hist_valid_id(id, &e->t)) return false;
    e->id = id;
    for (size_t i = 0; i + 1 < n; i += 2) {
        const char *k = kv[i], *v = kv[i + 1];
        if (!k || !v) continue;
        if (strcmp(k, "type") == 0) e->type = v;
        else if (strcmp(k, "rev") == 0) e->rev = strtoll(v, NULL, 10);
        else if (strcmp(k, "title") == 0) e->title = v;
        else if (strcmp(k, "author") == 0) e->author = v;
        else if (strcmp(k, "org") == 0) e->org = v;
        else if (strcmp(k, "op") == 0) e->op = v;
        else if (strcmp(k, "participant") == 0) e->participant = v;
        else if (strcmp(k, "name") == 0) e->name = v;
        else if (strcmp(k, "role") == 0) e->role = v;
        else if (strcmp(k, "public") == 0) e->poll = v;
        else if (strcmp(k, "results") == 0) e->results = v;
        else if (strcmp(k, "org_answer") == 0) e->org_answer = v;
        else if (strcmp(k, "data") == 0) e->data = v;
        else if (strcmp(k, "prior") == 0) e->prior = v;
        else if (strcmp(k, "was") == 0) e->was = v;
        else if (strcmp(k, "origin") == 0) e->origin = v;
        else if (strcmp(k, "slot") == 0) e->slot = valid_slot(v) ? v : NULL; /* damaged: as an older event */
        else if (strcmp(k, "by") == 0) e->by = v;
        else if (strcmp(k, "phase") == 0) e->phase = v;
        else if (strcmp(k, "minutes") == 0) e->minutes = v;
        else if (strcmp(k, "phases") == 0) e->phases = v;
        else if (strcmp(k, "timer") == 0) e->timer = v;
        else if (strcmp(k, "sha256") == 0) e->sha256 = v;
        else if (strcmp(k, "reason") == 0) e->reason = v;
        else if (strcmp(k, "endorsed_rev") == 0) e->endorsed_rev = strtoll(v, NULL, 10);
        else if (strcmp(k, "organisations") == 0) e->organisations = v;
        else if (strcmp(k, "asks") == 0) e->asks = v;
        else if (strcmp(k, "partnership") == 0) e->partnership = v;
        else if (strcmp(k, "from") == 0) e->from = v;
        else if (strcmp(k, "next") == 0) e->next = v;
        else if (strcmp(k, "carried") == 0) e->carried = v;
        else if (strcmp(k, "board") == 0) e->board = v;
        else if (strcmp(k, "open") == 0) e->board_open = strcmp(v, "1") == 0;
        else if (strcmp(k, "item") == 0) e->item = v;
        else if (strcmp(k, "items") == 0) e->items = v;
    }
    /* The history writes these JSON texts as they were stored: damaged
     * ones would make the whole page unreadable, so the event is left out. */
    return e->type && e->type[0] && stored_json(e->op, '[', false) && stored_json(e->poll, '{', false) &&
           stored_json(e->results, '{', true) && stored_json(e->org_answer, '{', true) &&
           stored_json(e->phases, '[', false) && stored_json(e->timer, '{', false) &&
           stored_json(e->carried, '{', false) && stored_json(e->board, '{', false) &&
           stored_json(e->items, '[', false);
}

bool hist_op_from_fields(hist_event *e, const char *id, const char *const *kv, size_t n) {
    e->id = id;
    e->type = NULL;
    e->rev = -1;
    e->author = e->org = e->op = NULL;
    if (!hist_valid_id(id, &e->t)) return false;
    /* Only the fields an edit's compact form needs, found by their first
     * letters rather than compared with every field name there is. */
    for (size_t i = 0; i + 1 < n; i += 2) {
        const char *k = kv[i], *v = kv[i + 1];
        if (!k || !v) continue;
        switch (k[0]) {
        case 't': if (strcmp(k, "type") == 0) e->type = v; break;
        case 'r': if (strcmp(k, "rev") == 0) e->rev = strtoll(v, NULL, 10); break;
        case 'a': if (strcmp(k, "author") == 0) e->author = v; break;
        case 'o':
            if (k[1] == 'p' && !k[2]) e->op = v;
            else if (strcmp(k, "org") == 0) e->org = v;
            break;
        default: break;
        }
    }
    if (!e->type || !hist_is_op(e)) return false;
    return e->op && e->rev >= 0 && stored_json(e->op, '[', false);
}

static bool is_poll_event(const hist_event *e) { return e->poll != NULL; }

bool hist_is_discuss(const hist_event *e) { return e->type && strncmp(e->type, "discuss_", 8) == 0; }

bool hist_is_agenda(const hist_event *e) {
    return e->type && (strncmp(e->type, "phase_", 6) == 0 || strcmp(e->type, "agenda_changed") == 0 ||
                       strcmp(e->type, "agenda_done") == 0);
}

/* JSON text the server stored, as is; null when absent or not of that kind (open: '{' or '['). */
static void put_json(sbuf *b, const char *name, const char *json, char open) {
    sbuf_puts(b, ",\"");
    sbuf_puts(b, name);
    sbuf_puts(b, "\":");
    sbuf_puts(b, json && json[0] == open ? json : "null");
}

/* An agenda event's own fields: phase, title, minutes, phases, timer (those it has). */
static void write_agenda_fields(sbuf *b, const hist_event *e) {
    if (e->phase) {
        sbuf_puts(b, ",\"phase\":");
        sbuf_put_jstrz(b, e->phase);
    }
    if (e->title) {
        sbuf_puts(b, ",\"title\":");
        sbuf_put_jstrz(b, e->title);
    }
    if (e->minutes) {
        sbuf_puts(b, ",\"minutes\":");
        sbuf_put_i64(b, strtoll(e->minutes, NULL, 10));
    }
    if (e->phases) put_json(b, "phases", e->phases, '[');
    if (e->timer) put_json(b, "timer", e->timer, '{');
}

/* What a view needs to know of a stored poll object. */
typedef struct poll_facts {
    bool draft;          /* state "draft" */
    bool deleted;        /* state "deleted" */
    bool results_public; /* "results" is live or revealed */
    bool closed;         /* state "closed": the public history shows results only then */
    int64_t created;
    char id[POLL_ID_MAX + 1];
} poll_facts;

static bool read_poll_facts(const char *json, poll_facts *f) {
    memset(f, 0, sizeof *f);
    cJSON *o = json && json[0] ? cJSON_Parse(json) : NULL;
    const char *state = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "state"));
    const char *vis = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "results"));
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "id"));
    const cJSON *created = cJSON_GetObjectItemCaseSensitive(o, "created");
    poll_state st;
    poll_visibility v;
    /* A state or visibility the poll model does not know reads as damage,
     * not as results anyone may see. */
    bool ok = poll_state_from_name(state, &st) && poll_visibility_from_name(vis, &v) && poll_valid_id(id);
    if (ok) {
        f->draft = st == POLL_DRAFT;
        f->deleted = st == POLL_DELETED;
        f->results_public = v != POLL_RESULTS_HIDDEN;
        f->closed = st == POLL_CLOSED;
        if (!proto_json_int(created, 0, PROTO_SAFE_INT_MAX, &f->created)) f->created = 0; /* damaged: first */
        memcpy(f->id, id, strlen(id) + 1);
    }
    cJSON_Delete(o);
    return ok;
}

/* A ballot, an answer or an upvote: one person's vote (protocol/history.md,
 * "Ballots in the public history"). */
static bool is_vote(const hist_event *e) {
    return strcmp(e->type, "ballot") == 0 || strcmp(e->type, "answer") == 0 || strcmp(e->type, "upvote") == 0;
}

/* Whether the public view shows a poll's results: only while it is closed
 * (and they were shown). Results that move ballot by ballot, next to who
 * arrived when, would tell a small organisation's choice. */
static bool public_results(const poll_facts *f) { return f->results_public && f->closed; }

/* The public view of a poll event: not of a draft, and not a vote. */
static bool publicly_visible(const hist_event *e, const poll_facts *f) {
    if (is_vote(e)) return false;
    if (f->deleted) return !(e->was && strcmp(e->was, "draft") == 0);
    return !f->draft;
}

bool hist_visible(const hist_event *e, hist_view v) {
    if (v == HIST_PUBLIC && board_is_event(e->type)) return e->board_open; /* written while hidden: not public */
    if (!is_poll_event(e) || v == HIST_FACILITATOR) return true;
    poll_facts f;
    return read_poll_facts(e->poll, &f) && publicly_visible(e, &f);
}

void hist_write_results(sbuf *b, const char *results, bool shown) {
    static const char prefix[] = "{\"type\":\"results\",";
    if (!shown || !results || !results[0]) {
        sbuf_puts(b, "null");
    } else if (strncmp(results, prefix, sizeof prefix - 1) == 0) {
        sbuf_putc(b, '{');
        sbuf_puts(b, results + sizeof prefix - 1);
    } else {
        sbuf_puts(b, results);
    }
}

static void put_field(sbuf *b, const char *name, const char *value) {
    sbuf_puts(b, ",\"");
    sbuf_puts(b, name);
    sbuf_puts(b, "\":");
    sbuf_put_jstrz(b, value ? value : "");
}

void hist_write_person(sbuf *b, const char *participant, const char *name, const char *org, const char *role, int slot) {
    sbuf_puts(b, "{\"participant\":");
    sbuf_put_jstrz(b, participant ? participant : "");
    put_field(b, "name", name);
    put_field(b, "org", org);
    put_field(b, "role", role);
    if (slot >= 0) {
        sbuf_puts(b, ",\"slot\":");
        sbuf_put_i64(b, slot);
    }
    sbuf_putc(b, '}');
}

/* endorsed: org, endorsed_rev, sha256, by, name; declined: org, sha256,
 * reason, by, name; agreed: sha256, organisations. */
static void write_signoff_fields(sbuf *b, const hist_event *e) {
    if (e->org) put_field(b, "org", e->org);
    if (e->endorsed_rev >= 0) {
        sbuf_puts(b, ",\"endorsed_rev\":");
        sbuf_put_i64(b, e->endorsed_rev);
    }
    put_field(b, "sha256", e->sha256);
    if (e->reason) put_field(b, "reason", e->reason);
    if (e->organisations) { /* stored by the server as a JSON array of strings: re-read, never trusted raw */
        cJSON *orgs = cJSON_Parse(e->organisations);
        const cJSON *list = cJSON_IsArray(orgs) ? orgs : NULL, *o;
        sbuf_puts(b, ",\"organisations\":[");
        bool first = true;
        cJSON_ArrayForEach(o, list) {
            if (!cJSON_IsString(o)) continue;
            if (!first) sbuf_putc(b, ',');
            sbuf_put_jstrz(b, o->valuestring);
            first = false;
        }
        sbuf_putc(b, ']');
        cJSON_Delete(orgs);
    }
    if (e->by) {
        put_field(b, "by", e->by);
        put_field(b, "name", e->name);
    }
}

/* carried, continued: the partnership; a workshop's id is its invitation, so
 * the other workshop's (from, next) is in the facilitator's view only. */
static void write_series_fields(sbuf *b, const hist_event *e, hist_view v) {
    put_field(b, "partnership", e->partnership);
    if (v == HIST_FACILITATOR && e->from) put_field(b, "from", e->from);
    if (v == HIST_FACILITATOR && e->next) put_field(b, "next", e->next);
    if (e->carried) {
        sbuf_puts(b, ",\"carried\":");
        sbuf_puts(b, e->carried);
    }
}

bool hist_write_event(sbuf *b, const hist_event *e, hist_view v) {
    poll_facts f = {0};
    if (v == HIST_PUBLIC && board_is_event(e->type) && !e->board_open) return false;
    if (is_poll_event(e)) {
        if (!read_poll_facts(e->poll, &f)) return false;
        if (v == HIST_PUBLIC && !publicly_visible(e, &f)) return false;
    }
    sbuf_puts(b, "{\"id\":");
    sbuf_put_jstrz(b, e->id);
    sbuf_puts(b, ",\"t\":");
    sbuf_put_i64(b, e->t);
    put_field(b, "type", e->type);
    sbuf_puts(b, ",\"rev\":");
    sbuf_put_i64(b, e->rev);
    if (hist_is_op(e)) {
        put_field(b, "author", e->author);
        put_field(b, "org", e->org);
        sbuf_puts(b, ",\"op\":");
        sbuf_puts(b, e->op && e->op[0] ? e->op : "[]");
    } else if (is_poll_event(e)) {
        bool shown = v == HIST_FACILITATOR || public_results(&f);
        sbuf_puts(b, ",\"poll\":");
        sbuf_puts(b, e->poll);
        sbuf_puts(b, ",\"results\":");
        hist_write_results(b, e->results, shown);
        /* Who set an organisation's answer is seen with the results, as live:
         * members were told at once, everyone else reads it in the results. */
        if (shown && e->org_answer && e->org_answer[0] == '{') {
            sbuf_puts(b, ",\"organisation\":");
            sbuf_puts(b, e->org_answer);
        }
    } else if (e->participant) {
        put_field(b, "participant", e->participant);
        put_field(b, "name", e->name);
        put_field(b, "org", e->org);
        put_field(b, "role", e->role);
        if (e->slot && strcmp(e->type, "arrived") == 0) {
            sbuf_puts(b, ",\"slot\":");
            sbuf_puts(b, e->slot);
        }
        if (e->asks) put_field(b, "asks", e->asks);
        if (e->by) put_field(b, "by", e->by);
    } else if (board_is_event(e->type)) { /* protocol/board.md: who, and the change */
        put_field(b, "by", e->by);
        put_field(b, "name", e->name);
        put_json(b, "board", e->board, '{');
    } else if (e->sha256) { /* a sign-off decision or agreement (protocol/agreement.md) */
        write_signoff_fields(b, e);
    } else if (e->by) { /* the workshop ended or reopened, a sign-off called or closed, an agenda event */
        put_field(b, "by", e->by);
        put_field(b, "name", e->name);
        if (hist_is_agenda(e)) write_agenda_fields(b, e);
        if (hist_is_discuss(e)) {
            sbuf_puts(b, ",\"item\":");
            sbuf_put_i64(b, e->item ? strtoll(e->item, NULL, 10) : 0);
            put_json(b, "items", e->items, '[');
        }
    } else if (e->partnership) { /* a partnership's workshops (protocol/series.md) */
        write_series_fields(b, e, v);
    } else if (e->title) {
        put_field(b, "title", e->title);
    }
    sbuf_putc(b, '}');
    return true;
}

/* ---- The state at a moment ---- */

void hist_state_init(hist_state *s) {
    memset(s, 0, sizeof *s);
    signoff_init(&s->signoff);
    board_init(&s->board);
}

static void person_free(hist_person *p) {
    free(p->participant);
    free(p->origin);
    free(p->name);
    free(p->org);
    free(p->role);
}

static void poll_entry_free(hist_poll *p) {
    free(p->id);
    free(p->poll);
    free(p->results);
    free(p->step_poll);
    free(p->step_results);
}

void hist_state_free(hist_state *s) {
    for (size_t i = 0; i < s->npeople; i++) person_free(&s->people[i]);
    for (size_t i = 0; i < s->npolls; i++) poll_entry_free(&s->polls[i]);
    free(s->people);
    free(s->polls);
    free(s->discuss);
    signoff_free(&s->signoff);
    board_free(&s->board);
    hist_state_init(s);
}

static char *dup(const char *s) { return strdup(s ? s : ""); }

static void presence_add(hist_state *s, const hist_event *e) {
    bool arrived = strcmp(e->type, "arrived") == 0;
    const char *origin = e->origin ? e->origin : "";
    size_t i = 0;
    while (i < s->npeople &&
           (strcmp(s->people[i].participant, e->participant) != 0 || strcmp(s->people[i].origin, origin) != 0))
        i++;
    if (i < s->npeople) {
        if (arrived) {
            s->people[i].connections++;
        } else if (--s->people[i].connections <= 0) {
            person_free(&s->people[i]);
            memmove(&s->people[i], &s->people[i + 1], (s->npeople - i - 1) * sizeof *s->people);
            s->npeople--;
        }
        return;
    }
    if (!arrived) return; /* a departure whose arrival came before the history we read */
    if (!vec_reserve((void **)&s->people, &s->people_cap, s->npeople, sizeof *s->people)) {
        s->oom = true;
        return;
    }
    hist_person *p = &s->people[s->npeople];
    *p = (hist_person){dup(e->participant), dup(origin), dup(e->name), dup(e->org),
                       dup(e->role && e->role[0] ? e->role : "participant"), 1, e->slot ? atoi(e->slot) : -1};
    if (!p->participant || !p->origin || !p->name || !p->org || !p->role) {
        person_free(p);
        s->oom = true;
        return;
    }
    s->npeople++;
}

/* The public view's copy of p: the poll as its last step left it (votes
 * move only the facilitator's). */
static void poll_step(hist_state *s, hist_poll *p, const poll_facts *f) {
    char *poll = dup(p->poll), *results = dup(p->results);
    if (!poll || !results) {
        free(poll);
        free(results);
        s->oom = true;
        return;
    }
    free(p->step_poll);
    free(p->step_results);
    p->step_poll = poll;
    p->step_results = results;
    p->results_public = public_results(f);
}

static void polls_add(hist_state *s, const hist_event *e) {
    poll_facts f;
    if (!read_poll_facts(e->poll, &f)) return;
    size_t i = 0;
    while (i < s->npolls && strcmp(s->polls[i].id, f.id) != 0) i++;
    if (f.deleted) {
        if (i == s->npolls) return;
        poll_entry_free(&s->polls[i]);
        memmove(&s->polls[i], &s->polls[i + 1], (s->npolls - i - 1) * sizeof *s->polls);
        s->npolls--;
        return;
    }
    char *poll = dup(e->poll), *results = dup(e->results);
    if (!poll || !results) {
        free(poll);
        free(results);
        s->oom = true;
        return;
    }
    if (i == s->npolls) {
        char *id = dup(f.id);
        if (!id || !vec_reserve((void **)&s->polls, &s->polls_cap, s->npolls, sizeof *s->polls)) {
            free(id);
            free(poll);
            free(results);
            s->oom = true;
            return;
        }
        /* Keep creation order (then id), the order clients are promised. */
        while (i > 0 && (s->polls[i - 1].created > f.created ||
                         (s->polls[i - 1].created == f.created && strcmp(s->polls[i - 1].id, f.id) > 0)))
            i--;
        memmove(&s->polls[i + 1], &s->polls[i], (s->npolls - i) * sizeof *s->polls);
        s->npolls++;
        s->polls[i] = (hist_poll){.id = id};
    } else {
        free(s->polls[i].poll);
        free(s->polls[i].results);
    }
    hist_poll *p = &s->polls[i];
    p->poll = poll;
    p->results = results;
    p->created = f.created;
    p->draft = f.draft;
    if (!is_vote(e)) poll_step(s, p, &f);
}

void hist_state_set_results(hist_state *s, size_t i, const char *results) {
    char *r = dup(results);
    if (!r) {
        s->oom = true;
        return;
    }
    free(s->polls[i].results);
    s->polls[i].results = r;
}

void hist_state_keep_public(hist_state *s) {
    size_t kept = 0;
    for (size_t i = 0; i < s->npolls; i++) {
        hist_poll *p = &s->polls[i];
        if (p->draft || !p->step_poll) { /* never shown to anyone but the facilitators */
            poll_entry_free(p);
            continue;
        }
        free(p->poll);
        free(p->results);
        p->poll = p->step_poll;
        p->results = p->results_public ? p->step_results : NULL;
        if (!p->results_public) free(p->step_results);
        p->step_poll = p->step_results = NULL;
        if (!p->results && !(p->results = dup(""))) s->oom = true;
        s->polls[kept++] = *p;
    }
    s->npolls = kept;
}

/* A role event: the person, wherever present, has their new role. */
static void presence_role(hist_state *s, const hist_event *e) {
    for (size_t i = 0; i < s->npeople; i++) {
        hist_person *p = &s->people[i];
        if (strcmp(p->participant, e->participant) != 0) continue;
        char *role = dup(e->role && e->role[0] ? e->role : "participant");
        if (!role) {
            s->oom = true;
            return;
        }
        free(p->role);
        p->role = role;
    }
}

void hist_state_add(hist_state *s, const hist_event *e) {
    if (is_poll_event(e)) polls_add(s, e);
    else if (e->participant && (strcmp(e->type, "arrived") == 0 || strcmp(e->type, "departed") == 0))
        presence_add(s, e);
    else if (e->participant && strcmp(e->type, "role") == 0)
        presence_role(s, e);
    else if (board_is_event(e->type))
        board_fold(&s->board, e->type, e->board, e->by, e->t);
    else if (hist_is_discuss(e) && e->items) {
        char *list = strdup(e->items);
        if (!list) s->oom = true;
        else {
            free(s->discuss);
            s->discuss = list;
        }
    }
    else signoff_fold(&s->signoff, e);
    s->oom = s->oom || s->signoff.oom || s->board.oom;
}

void hist_state_write(sbuf *b, const hist_state *s, hist_view v) {
    sbuf_puts(b, ",\"present\":[");
    bool first = true;
    for (size_t i = 0; i < s->npeople; i++) {
        const hist_person *p = &s->people[i];
        bool seen = false; /* connected through two processes: listed once */
        for (size_t j = 0; j < i && !seen; j++) seen = strcmp(s->people[j].participant, p->participant) == 0;
        if (seen) continue;
        if (!first) sbuf_putc(b, ',');
        first = false;
        hist_write_person(b, p->participant, p->name, p->org, p->role, -1); /* colours: from the arrivals */
    }
    sbuf_puts(b, "],\"polls\":[");
    first = true;
    for (size_t i = 0; i < s->npolls; i++) {
        const hist_poll *p = &s->polls[i];
        bool pub = v == HIST_PUBLIC;
        if (pub && (p->draft || !p->step_poll)) continue;
        sbuf_puts(b, first ? "{\"poll\":" : ",{\"poll\":");
        first = false;
        sbuf_puts(b, pub ? p->step_poll : p->poll);
        sbuf_puts(b, ",\"results\":");
        hist_write_results(b, pub ? p->step_results : p->results, !pub || p->results_public);
        sbuf_putc(b, '}');
    }
    sbuf_puts(b, "],\"signoff\":"); /* open to everyone, as it is live */
    signoff_write(b, &s->signoff);
    /* The board as it was, as an observer saw it then (other organisations'
     * items once it was open), or whole for the facilitator. */
    const board_viewer bv = {.org = NULL, .all = v == HIST_FACILITATOR, .may_group = false};
    sbuf_puts(b, ",\"board\":");
    board_write(b, &s->board, &bv);
    sbuf_puts(b, ",\"discuss\":"); /* open to everyone too */
    sbuf_puts(b, s->discuss ? s->discuss : "[]");
}
