#include "core/workshop.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ot_json.h"
#include "core/utf8.h"

/* src into dst[n], cut to fit: a stream id per batch, where snprintf's
 * format parsing would be wasted. */
static void copy_str(char *dst, size_t n, const char *src) {
    size_t k = strnlen(src, n - 1);
    memcpy(dst, src, k);
    dst[k] = '\0';
}

static void entry_free(wk_entry *e) {
    ot_op_free(&e->op); /* the packed block: opjson and opid with it */
    memset(e, 0, sizeof *e);
}

/* Pack e->op with its JSON text (json[0..len), or written from the op when
 * json is NULL) and op id (NULL: none) into one block. On error e->op is
 * still the caller's, unpacked. */
static ot_status entry_pack(wk_entry *e, const char *json, size_t len, const char *opid) {
    if (!json) len = ot_op_json_size(&e->op);
    size_t idlen = opid ? strlen(opid) + 1 : 0;
    if (len > SIZE_MAX / 2 || idlen > SIZE_MAX / 2) return OT_ENOMEM;
    char *tail;
    ot_status st = ot_op_pack(&e->op, len + 1 + idlen, &tail);
    if (st != OT_OK) return st;
    e->opjson = tail;
    if (json) memcpy(tail, json, len);
    else ot_op_write_json(&e->op, tail);
    tail[len] = '\0';
    e->opjson_len = len;
    e->opid = opid ? memcpy(tail + len + 1, opid, idlen) : NULL;
    e->bytes = sizeof *e + ot_op_bytes(&e->op) + len + 1 + idlen;
    return OT_OK;
}

static void submission_free(wk_submission *s) {
    ot_op_free(&s->op);
    free(s->opid);
    memset(s, 0, sizeof *s);
}

workshop *wk_new(const char *id, const char *title, const char *fkey, int64_t created, size_t window) {
    workshop *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    snprintf(w->id, sizeof w->id, "%s", id);
    w->title = strdup(title);
    w->fkey = strdup(fkey);
    w->created = created;
    w->win_max = window ? window : 1;
    if (!w->title || !w->fkey || ot_text_init(&w->text, "", 0) != OT_OK ||
        ot_text_init(&w->committed, "", 0) != OT_OK) {
        wk_free(w);
        return NULL;
    }
    return w;
}

void wk_set_window_bytes(workshop *w, size_t bytes) { w->win_bytes_max = bytes; }

void wk_free(workshop *w) {
    if (!w) return;
    for (size_t i = 0; i < w->win_len; i++) entry_free(&w->win[(w->win_head + i) % w->win_cap]);
    free(w->win);
    for (size_t i = 0; i < w->npeople; i++) {
        free(w->people[i].name);
        free(w->people[i].org);
        free(w->people[i].last_opid);
    }
    free(w->people);
    for (size_t i = 0; i < w->norgs; i++) free(w->orgs[i].key);
    free(w->orgs);
    free(w->by_id);
    for (size_t i = 0; i < w->qlen; i++) submission_free(&w->queue[i]);
    free(w->queue);
    wk_batch_clear(w);
    free(w->batch);
    free(w->bops);
    ot_text_free(&w->text);
    ot_text_free(&w->committed);
    free(w->title);
    free(w->fkey);
    free(w);
}

ot_status wk_load_snapshot(workshop *w, int64_t rev, const char *text, size_t len) {
    ot_text t;
    ot_status s = ot_text_init(&t, text, len);
    if (s != OT_OK) return s;
    ot_text_free(&w->text);
    w->text = t;
    for (size_t i = 0; i < w->win_len; i++) entry_free(&w->win[(w->win_head + i) % w->win_cap]);
    w->win_len = w->win_head = 0;
    w->win_bytes = 0;
    w->rev = rev;
    w->snap_rev = rev;
    return OT_OK;
}

static void window_drop_oldest(workshop *w) {
    w->win_bytes -= w->win[w->win_head].bytes;
    entry_free(&w->win[w->win_head]);
    w->win_head = (w->win_head + 1) % w->win_cap;
    w->win_len--;
}

/* Push a committed op into the window, evicting the oldest when full. Takes
 * ownership of e's fields. */
static void window_push(workshop *w, wk_entry *e) {
    /* The ring grows on demand up to win_max: most workshops are short, and
     * an idle one should not hold a full window. */
    if (w->win_len == w->win_cap && w->win_cap < w->win_max) {
        size_t cap = w->win_cap ? w->win_cap * 2 : 16;
        if (cap > w->win_max) cap = w->win_max;
        wk_entry *ring = malloc(cap * sizeof *ring);
        if (ring) {
            for (size_t i = 0; i < w->win_len; i++) ring[i] = w->win[(w->win_head + i) % w->win_cap];
            free(w->win);
            w->win = ring;
            w->win_cap = cap;
            w->win_head = 0;
        }
    }
    if (w->win_len == w->win_cap && w->win_cap == 0) { /* could not grow at all: forget this op's past */
        entry_free(e);
        return;
    }
    if (w->win_len == w->win_cap) window_drop_oldest(w);
    w->win[(w->win_head + w->win_len) % w->win_cap] = *e;
    w->win_len++;
    w->win_bytes += e->bytes;
    memset(e, 0, sizeof *e);
}

/* Keep the window within its byte budget: the oldest ops leave, but none
 * from revision keep_from on (a batch being committed is read back for its
 * acks; a single op larger than the budget stays until the next one). */
static void window_trim(workshop *w, int64_t keep_from) {
    while (w->win_bytes_max && w->win_bytes > w->win_bytes_max && w->win_len > 0 &&
           w->win[w->win_head].rev < keep_from)
        window_drop_oldest(w);
}

static void set_last_op(wk_participant *p, const char *opid, int64_t rev) {
    if (!opid) return;
    size_t n = strlen(opid);
    if (p->last_opid && strlen(p->last_opid) >= n) { /* once per op: reuse the room of the last id */
        memcpy(p->last_opid, opid, n + 1);
    } else {
        char *d = strdup(opid);
        if (!d) return; /* de-duplication degrades to the window; nothing is corrupted */
        free(p->last_opid);
        p->last_opid = d;
    }
    p->last_op_rev = rev;
}

ot_status wk_apply_committed(workshop *w, int64_t rev, const char *opjson, size_t len, const char *author,
                             const char *opid, const char *event_id) {
    if (w->in_flight || rev != w->rev) return OT_EINVALID;
    wk_entry e = {.rev = rev};
    ot_status s = ot_op_parse(opjson, len, &e.op);
    if (s != OT_OK) return s;
    int who = wk_find_participant(w, author);
    if (who < 0) who = wk_add_participant(w, author, "", "?", "?", WK_PARTICIPANT);
    if (who < 0) { /* not an id this service makes: the stored history is damaged */
        ot_op_free(&e.op);
        return OT_EINVALID;
    }
    s = entry_pack(&e, opjson, len, opid && opid[0] ? opid : NULL);
    if (s != OT_OK) {
        ot_op_free(&e.op);
        return s;
    }
    e.author = (uint32_t)who;
    s = ot_apply(&w->text, &e.op);
    if (s != OT_OK) {
        entry_free(&e);
        return s;
    }
    set_last_op(&w->people[who], e.opid, rev);
    window_push(w, &e);
    w->rev++;
    window_trim(w, rev);
    if (event_id) copy_str(w->last_event, sizeof w->last_event, event_id);
    return OT_OK;
}

static const char *const role_names[] = {
    [WK_PARTICIPANT] = "participant",
    [WK_REPRESENTATIVE] = "representative",
    [WK_FACILITATOR] = "facilitator",
    [WK_OBSERVER] = "observer",
};

const char *wk_role_name(wk_role role) {
    return (size_t)role < sizeof role_names / sizeof *role_names ? role_names[role] : "participant";
}

bool wk_role_parse(const char *name, wk_role *role) {
    for (size_t i = 0; name && i < sizeof role_names / sizeof *role_names; i++) {
        if (strcmp(name, role_names[i]) == 0) {
            *role = (wk_role)i;
            return true;
        }
    }
    return false;
}

wk_role wk_role_read(const char *name) {
    wk_role role = WK_PARTICIPANT;
    wk_role_parse(name, &role);
    return role;
}

/* ---- People by id: a resume, a relayed arrival, an author find theirs
 * without reading everyone (thousands in an assembly). ---- */

static size_t id_hash(const char *id) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const unsigned char *c = (const unsigned char *)id; *c; c++) h = (h ^ *c) * 1099511628211ull;
    return (size_t)h;
}

static void by_id_put(uint32_t *t, size_t cap, const char *id, size_t who) {
    size_t i = id_hash(id) & (cap - 1);
    while (t[i]) i = (i + 1) & (cap - 1);
    t[i] = (uint32_t)who + 1;
}

/* Person `who` (just added) into the table, grown when half full. Out of
 * memory, the table goes: wk_find_participant reads everyone then. */
static void by_id_add(workshop *w, size_t who) {
    if (!w->by_id && w->npeople > 1) return; /* gone for good (out of memory once) */
    if (2 * (who + 1) > w->by_id_cap) {
        size_t cap = w->by_id_cap ? w->by_id_cap * 2 : 64;
        uint32_t *t = calloc(cap, sizeof *t);
        free(w->by_id);
        w->by_id = t;
        w->by_id_cap = t ? cap : 0;
        if (!t) return;
        for (size_t i = 0; i < who; i++) by_id_put(t, cap, w->people[i].id, i);
    }
    by_id_put(w->by_id, w->by_id_cap, w->people[who].id, who);
}

int wk_add_participant(workshop *w, const char *id, const char *secret, const char *name, const char *org,
                       wk_role role) {
    if (w->npeople == w->people_cap) {
        size_t cap = w->people_cap ? w->people_cap * 2 : 8;
        wk_participant *p = realloc(w->people, cap * sizeof *p);
        if (!p) return -1;
        w->people = p;
        w->people_cap = cap;
    }
    if (strlen(id) > WK_PID_LEN || strlen(secret) > WK_SECRET_LEN) return -1; /* would be cut, then never found */
    wk_participant *p = &w->people[w->npeople];
    memset(p, 0, sizeof *p);
    snprintf(p->id, sizeof p->id, "%s", id);
    snprintf(p->secret, sizeof p->secret, "%s", secret);
    p->name = strdup(name);
    p->org = strdup(org);
    if (!p->name || !p->org) {
        free(p->name);
        free(p->org);
        return -1;
    }
    p->role = role;
    p->slot = -1; /* known once their record or another process says it */
    p->rate.tokens = -1; /* full bucket on first use */
    by_id_add(w, w->npeople);
    return (int)w->npeople++;
}

#define ORG_KEY_MAX 1024 /* bytes: labels are at most 64 code points (4 bytes each) */

static wk_org *org_find(const workshop *w, const char *key) {
    for (size_t i = 0; i < w->norgs; i++)
        if (strcmp(w->orgs[i].key, key) == 0) return &w->orgs[i];
    return NULL;
}

/* Remember that person `who` writes the organisation whose key is key. Out
 * of memory, it is not remembered: wk_same_org reads everyone then. */
static void org_note(workshop *w, const char *key, size_t who) {
    if (w->norgs == w->orgs_cap) {
        size_t cap = w->orgs_cap ? w->orgs_cap * 2 : 8;
        wk_org *m = realloc(w->orgs, cap * sizeof *m);
        if (!m) return;
        w->orgs = m;
        w->orgs_cap = cap;
    }
    char *k = strdup(key);
    if (!k) return;
    w->orgs[w->norgs++] = (wk_org){.key = k, .first = (uint32_t)who, .slot = -1};
}

/* Whether person i is not an observer and writes an organisation whose key is want. */
static bool org_of(const workshop *w, size_t i, const char *want) {
    char have[ORG_KEY_MAX];
    const char *o = w->people[i].org;
    if (!o || !o[0] || w->people[i].role == WK_OBSERVER || strlen(o) >= sizeof have) return false;
    utf8_label_key(o, have);
    return strcmp(want, have) == 0;
}

/* An organisation seen before is found among the organisations (dozens),
 * not among the people (thousands in an assembly): a join costs the same at
 * any size. Everyone is read only for an organisation not seen yet, or when
 * the person remembered no longer writes it (their record was read again). */
const char *wk_same_org(workshop *w, const char *org) {
    char want[ORG_KEY_MAX];
    if (!org[0] || strlen(org) >= sizeof want) return NULL;
    utf8_label_key(org, want);
    wk_org *known = org_find(w, want);
    if (known && known->first < w->npeople && org_of(w, known->first, want)) return w->people[known->first].org;
    for (size_t i = 0; i < w->npeople; i++) {
        if (!org_of(w, i, want)) continue;
        if (!known) org_note(w, want, i); /* remembered for the next join */
        else known->first = (uint32_t)i;
        return w->people[i].org;
    }
    return NULL;
}

/* ---- Organisation colour slots ---- */

/* The remembered organisation whose key is org's, noted with person who
 * when not remembered yet; NULL for no organisation or out of memory. */
static wk_org *org_entry(workshop *w, const char *org, size_t who) {
    char key[ORG_KEY_MAX];
    if (!org[0] || strlen(org) >= sizeof key) return NULL;
    utf8_label_key(org, key);
    wk_org *o = org_find(w, key);
    if (!o) {
        org_note(w, key, who);
        o = org_find(w, key);
    }
    return o;
}

void wk_set_org_slot(workshop *w, int who, int slot) {
    wk_participant *p = &w->people[who];
    if (p->role == WK_OBSERVER || slot < 0) return;
    p->slot = slot;
    wk_org *o = org_entry(w, p->org, (size_t)who);
    if (o) o->slot = slot; /* out of memory: colleagues without a slot of their own show none */
}

int wk_org_slot(const workshop *w, const wk_participant *p) {
    if (p->role == WK_OBSERVER) return -1;
    if (p->slot >= 0) return p->slot;
    char key[ORG_KEY_MAX];
    if (!p->org[0] || strlen(p->org) >= sizeof key) return -1;
    utf8_label_key(p->org, key);
    const wk_org *o = org_find(w, key);
    return o ? o->slot : -1;
}

void wk_write_org_slots(sbuf *b, const workshop *w) {
    /* From the organisations, never the people: a welcome to the 10,000th
     * person of an assembly costs what the first one's did. Every slot is
     * on its organisation (wk_set_org_slot), written as its first person
     * wrote it. */
    sbuf_puts(b, ",\"org_slots\":[");
    bool first = true;
    for (size_t i = 0; i < w->norgs; i++) {
        const wk_org *o = &w->orgs[i];
        if (o->slot < 0) continue;
        if (!first) sbuf_putc(b, ',');
        first = false;
        sbuf_puts(b, "{\"organisation\":");
        sbuf_put_jstrz(b, w->people[o->first].org);
        sbuf_puts(b, ",\"slot\":");
        sbuf_put_i64(b, o->slot);
        sbuf_putc(b, '}');
    }
    sbuf_putc(b, ']');
}

int wk_find_participant(const workshop *w, const char *id) {
    if (!w->by_id) {
        for (size_t i = 0; i < w->npeople; i++)
            if (strcmp(w->people[i].id, id) == 0) return (int)i;
        return -1;
    }
    for (size_t i = id_hash(id) & (w->by_id_cap - 1); w->by_id[i]; i = (i + 1) & (w->by_id_cap - 1))
        if (strcmp(w->people[w->by_id[i] - 1].id, id) == 0) return (int)(w->by_id[i] - 1);
    return -1;
}

int wk_check_token(const workshop *w, const char *token) {
    const char *dot = strchr(token, '.');
    if (!dot || (size_t)(dot - token) != WK_PID_LEN) return -1;
    char id[WK_PID_LEN + 1];
    memcpy(id, token, WK_PID_LEN);
    id[WK_PID_LEN] = '\0';
    int i = wk_find_participant(w, id);
    if (i < 0 || !w->people[i].secret[0]) return -1;
    return proto_same_secret(w->people[i].secret, dot + 1) ? i : -1;
}

bool wk_check_key(const workshop *w, const char *key) { return proto_same_secret(w->fkey, key); }

bool wk_check_observer_key(const workshop *w, const char *key) { return w->okey[0] && proto_same_secret(w->okey, key); }

bool wk_observer_admitted(const workshop *w, const wk_participant *p) {
    return p->role != WK_OBSERVER || wk_check_observer_key(w, p->okey);
}

bool wk_rate_take(wk_rate *b, int64_t now_us, double rate, double burst) {
    if (b->tokens < 0) {
        b->tokens = burst;
        b->at = now_us;
    }
    double elapsed = (double)(now_us - b->at) / 1e6;
    if (elapsed > 0) {
        b->tokens += elapsed * rate;
        if (b->tokens > burst) b->tokens = burst;
        b->at = now_us;
    }
    if (b->tokens < 1) return false;
    b->tokens -= 1;
    return true;
}

bool wk_window_has(const workshop *w, int64_t rev) {
    return rev <= w->rev && rev >= w->rev - (int64_t)w->win_len;
}

const wk_entry *wk_window_at(const workshop *w, int64_t rev) {
    if (rev < w->rev - (int64_t)w->win_len || rev >= w->rev) return NULL;
    size_t k = (size_t)(rev - (w->rev - (int64_t)w->win_len));
    return &w->win[(w->win_head + k) % w->win_cap];
}

const ot_text *wk_committed_text(const workshop *w) { return w->in_flight ? &w->committed : &w->text; }

bool wk_transform_caret(const workshop *w, int64_t rev, int64_t *pos) {
    if (!wk_window_has(w, rev)) return false;
    size_t p = (size_t)*pos;
    for (int64_t r = rev; r < w->rev; r++) p = ot_transform_position(p, &wk_window_at(w, r)->op);
    if (p > wk_committed_text(w)->cps) return false;
    *pos = (int64_t)p;
    return true;
}

bool wk_ended_refuses(const workshop *w, const proto_msg *msg) {
    if (!w->ended) return false;
    switch (msg->type) {
    case PROTO_OP: case PROTO_POLL_OPEN: case PROTO_POLL_REOPEN: case PROTO_VOTE: case PROTO_ANSWER: case PROTO_UPVOTE:
        return true;
    case PROTO_POLL_CREATE: /* a draft is fine; created open, it would take answers */
        return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg->u.obj, "open"));
    default:
        return false;
    }
}

/* What moving op from revision base to the head would cost, in the unit of
 * WK_REBASE_WORK_MAX: each op it moves over (committed since base, then the
 * batch in flight or being formed) visits its components and op's. Counting
 * stops once past the bound. */
static uint64_t rebase_work(const workshop *w, int64_t base, const ot_op *op) {
    uint64_t work = 0;
    for (int64_t r = base; r < w->rev && work <= WK_REBASE_WORK_MAX; r++) work += wk_window_at(w, r)->op.n + op->n;
    for (size_t b = 0; b < w->blen && work <= WK_REBASE_WORK_MAX; b++) work += w->bops[b].op.n + op->n;
    return work;
}

proto_err wk_submit(workshop *w, uint64_t conn, uint32_t author, const char *opid, int64_t base, ot_op *op,
                    int64_t *dup_rev, const char **why) {
    *dup_rev = -1;
    wk_participant *p = &w->people[author];
    if (p->last_opid && strcmp(p->last_opid, opid) == 0) {
        *dup_rev = p->last_op_rev;
        ot_op_free(op);
        return PROTO_OK;
    }
    /* A re-send of an op still queued or in flight (the client reconnected
     * before its ack): answer on the newest connection, queue nothing. */
    for (size_t i = 0; i < w->qlen + w->blen; i++) {
        wk_submission *q = i < w->qlen ? &w->queue[i] : &w->batch[i - w->qlen];
        if (q->author == author && strcmp(q->opid, opid) == 0) {
            q->conn = conn;
            ot_op_free(op);
            return PROTO_OK;
        }
    }
    if (w->ended) {
        *why = WK_ENDED_WHY;
        return PROTO_EENDED;
    }
    if (base > w->rev) {
        *why = "revision is ahead of the server's";
        return PROTO_EBAD_REQUEST;
    }
    if (!wk_window_has(w, base)) {
        *why = "revision is older than the server keeps; rejoin with resume to resync";
        return PROTO_ESTALE;
    }
    if (rebase_work(w, base, op) > WK_REBASE_WORK_MAX) {
        *why = WK_REBASE_WHY;
        return PROTO_ESTALE;
    }
    if (w->qlen == w->qcap) {
        size_t cap = w->qcap ? w->qcap * 2 : 16;
        wk_submission *q = realloc(w->queue, cap * sizeof *q);
        if (!q) return PROTO_EINTERNAL;
        w->queue = q;
        w->qcap = cap;
    }
    char *id = strdup(opid);
    if (!id) return PROTO_EINTERNAL;
    wk_submission *s = &w->queue[w->qlen++];
    s->conn = conn;
    s->author = author;
    s->opid = id;
    s->base = base;
    s->op = *op;
    ot_op_init(op);
    return PROTO_OK;
}

/* Bring a submitted op to the current head (committed ops since its base,
 * then the batch so far). The incoming op takes side left, as in ShareDB.
 * It is checked once, here; the ops it moves over passed the same check
 * when they were applied, so each step moves it in place. */
static ot_status rebase(const workshop *w, const wk_submission *s, ot_op *out) {
    ot_status st = ot_op_check(&s->op);
    if (st == OT_OK) st = ot_op_copy(out, &s->op);
    if (st == OT_OK && s->base < w->rev) { /* the window ring, walked without a division per op */
        size_t i = (size_t)(wk_window_at(w, s->base) - w->win);
        for (int64_t r = s->base; st == OT_OK && r < w->rev; r++) {
            st = ot_transform_checked(out, &w->win[i].op, OT_LEFT);
            if (++i == w->win_cap) i = 0;
        }
    }
    for (size_t b = 0; st == OT_OK && b < w->blen; b++) st = ot_transform_checked(out, &w->bops[b].op, OT_LEFT);
    return st;
}

/* Whether text would be longer than PROTO_TEXT_MAX bytes after op: exact
 * (the bytes op deletes are sought) only when its inserts could take it
 * there. An op that does not fit is not too long: ot_apply says why. */
static bool makes_text_too_long(const ot_text *t, const ot_op *op) {
    size_t ins = 0;
    for (size_t i = 0; i < op->n; i++)
        if (op->c[i].kind == OT_INSERT) ins += op->c[i].len;
    if (t->len <= PROTO_TEXT_MAX && ins <= PROTO_TEXT_MAX - t->len) return false;
    size_t len;
    return ot_applied_len(t, op, &len) == OT_OK && len > PROTO_TEXT_MAX;
}

static bool batch_reserve(workshop *w, size_t n) {
    if (n <= w->bcap) return true;
    size_t cap = w->bcap ? w->bcap : 16;
    while (cap < n) cap *= 2;
    wk_submission *b = realloc(w->batch, cap * sizeof *b);
    if (!b) return false;
    w->batch = b;
    wk_entry *e = realloc(w->bops, cap * sizeof *e);
    if (!e) return false;
    w->bops = e;
    w->bcap = cap;
    return true;
}

/* Is this op id already in the batch being formed (a re-send that raced its original)? */
static bool in_batch(const workshop *w, const wk_submission *s) {
    for (size_t i = 0; i < w->blen; i++)
        if (w->batch[i].author == s->author && strcmp(w->batch[i].opid, s->opid) == 0) return true;
    return false;
}

size_t wk_batch_form(workshop *w, size_t max, wk_refuse_fn refuse, void *ud) {
    if (w->in_flight || w->qlen == 0) return 0;
    if (max > w->win_max) max = w->win_max;
    if (!batch_reserve(w, max < w->qlen ? max : w->qlen)) return 0;
    size_t used = 0;
    uint64_t batch_work = 0;
    bool backed_up = false;
    while (used < w->qlen && w->blen < max) {
        wk_submission *s = &w->queue[used++];
        wk_participant *p = &w->people[s->author];
        if (p->last_opid && strcmp(p->last_opid, s->opid) == 0) {
            refuse(ud, s, PROTO_OK, NULL, p->last_op_rev);
            submission_free(s);
            continue;
        }
        if (in_batch(w, s)) { /* acked with its twin; the client sees one ack per id it awaits */
            submission_free(s);
            continue;
        }
        if (!wk_window_has(w, s->base)) {
            refuse(ud, s, PROTO_ESTALE, "revision is older than the server keeps; rejoin with resume to resync", -1);
            submission_free(s);
            continue;
        }
        uint64_t work = rebase_work(w, s->base, &s->op);
        if (work > WK_REBASE_WORK_MAX) { /* refused before any of it is done */
            refuse(ud, s, PROTO_ESTALE, WK_REBASE_WHY, -1);
            submission_free(s);
            continue;
        }
        if (w->blen > 0 && batch_work + work > WK_BATCH_WORK_MAX) { /* it leads the next batch */
            used--;
            break;
        }
        batch_work += work;
        w->rebase_work += work;
        wk_entry e = {.rev = w->rev + (int64_t)w->blen, .author = s->author};
        ot_op_init(&e.op);
        /* Whether the op fits the text is ot_apply's check, last: it leaves
         * the text as it was when the op does not fit. */
        ot_status st = rebase(w, s, &e.op);
        bool too_long = st == OT_OK && makes_text_too_long(&w->text, &e.op);
        if (st == OT_OK && !too_long && !backed_up) {
            st = ot_text_copy(&w->committed, &w->text);
            backed_up = st == OT_OK;
        }
        if (st == OT_OK && !too_long) st = entry_pack(&e, NULL, 0, s->opid);
        if (st == OT_OK && !too_long) st = ot_apply(&w->text, &e.op);
        if (st != OT_OK || too_long) {
            if (too_long) refuse(ud, s, PROTO_ETOO_LARGE, WK_TEXT_WHY, -1);
            else refuse(ud, s, st == OT_ENOMEM ? PROTO_EINTERNAL : PROTO_EBAD_REQUEST,
                        st == OT_ENOMEM ? "out of memory" : "op does not fit the document", -1);
            entry_free(&e);
            submission_free(s);
            continue;
        }
        w->batch[w->blen] = *s;
        w->bops[w->blen] = e;
        w->blen++;
    }
    memmove(w->queue, w->queue + used, (w->qlen - used) * sizeof *w->queue);
    w->qlen -= used;
    w->in_flight = w->blen > 0;
    return w->blen;
}

int64_t wk_batch_commit(workshop *w, const char *last_event_id) {
    int64_t first = w->rev;
    for (size_t i = 0; i < w->blen; i++) {
        set_last_op(&w->people[w->bops[i].author], w->bops[i].opid, w->bops[i].rev);
        window_push(w, &w->bops[i]); /* moves it: bops[i] is left empty */
        w->rev++;
    }
    window_trim(w, first);
    if (last_event_id) copy_str(w->last_event, sizeof w->last_event, last_event_id);
    w->in_flight = false;
    return first;
}

void wk_batch_clear(workshop *w) {
    for (size_t i = 0; i < w->blen; i++) {
        entry_free(&w->bops[i]);
        submission_free(&w->batch[i]);
    }
    w->blen = 0;
}

void wk_batch_abort(workshop *w, bool requeue, proto_err err, const char *why, wk_refuse_fn refuse, void *ud) {
    if (!w->in_flight) return;
    /* Put the committed text back: swap rather than copy. */
    ot_text t = w->text;
    w->text = w->committed;
    w->committed = t;
    w->in_flight = false;
    if (requeue && w->qcap < w->qlen + w->blen) {
        size_t cap = w->qlen + w->blen;
        wk_submission *q = realloc(w->queue, cap * sizeof *q);
        if (q) {
            w->queue = q;
            w->qcap = cap;
        } else {
            requeue = false;
            err = PROTO_EINTERNAL;
            why = "out of memory";
        }
    }
    if (requeue) {
        memmove(w->queue + w->blen, w->queue, w->qlen * sizeof *w->queue);
        memcpy(w->queue, w->batch, w->blen * sizeof *w->queue);
        w->qlen += w->blen;
        for (size_t i = 0; i < w->blen; i++) {
            entry_free(&w->bops[i]);
            memset(&w->batch[i], 0, sizeof w->batch[i]);
        }
        w->blen = 0;
        return;
    }
    for (size_t i = 0; i < w->blen; i++) refuse(ud, &w->batch[i], err, why, -1);
    wk_batch_clear(w);
}
