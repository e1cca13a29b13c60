/* mixed.c -- atelier-load --mode mixed: see mixed.h and bench/README.md ("Soak").
 *
 * One epoll loop drives every client; a tick every 10 ms walks the clients
 * and starts what is due (an op, a vote, a poll step, a leave, a return).
 * Everything the server acknowledges is written down (ops: client, sequence
 * number, revision; ballots: the last acknowledged one per participant and
 * poll) and checked against Redis at the end.
 *
 * Restarts. A connection lost, or an op or vote refused `unavailable`, is
 * what a server restart or a Redis restart does; the tool watches both (the
 * server's pid file, a PING to Redis every second) and counts those only as
 * expected inside an incident window (from 5 s before the restart was seen
 * to 20 s after it ended). The op in flight is re-sent with its id after a
 * reconnect (the server acknowledges it again if it had it), a vote in
 * flight too while its poll is open; what it became otherwise is "in
 * doubt" and checked as either. */
#define _GNU_SOURCE
#include "mixed.h"
#include "jscan.h"
#include "load.h"
#include "trace.h"
#include "wsclient.h"

#include <cJSON.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define SEC 1000000000ull
#define NCHOICES 3      /* choices of every poll */
#define MAX_POLLS 100   /* the server's limit per workshop */
#define KEPT_POLLS 3    /* polls a workshop creates; its cycle reopens them after that */
#define MAX_INCIDENTS 64

enum { MR_FACIL, MR_TYPER, MR_READER };              /* what a client does */
enum { MS_AWAY, MS_JOINING, MS_JOINED };             /* its connection */
enum { Q_NONE, Q_WAIT, Q_SENT };                     /* an op or vote: none, due at `at`, on this connection */
enum { FS_IDLE, FS_CREATE, FS_OPEN, FS_REOPEN, FS_OPENED, FS_CLOSE }; /* the facilitator's poll cycle */

/* The statement as a client knows it: UTF-8, its length in code points. */
typedef struct mx_text {
    char *p;
    size_t len, cap;
    int64_t cps;
} mx_text;

typedef struct mx_ack {
    uint64_t seq;  /* the op's sequence number (id "mCLIENT-SEQ") */
    int64_t rev;   /* the revision it was acknowledged at */
    uint32_t seen; /* times found in the Redis stream at the end */
} mx_ack;

typedef struct mx_client {
    ws_conn ws;               /* first: epoll hands us the ws_conn pointer */
    int idx, wk, wl;          /* global index, workshop, index among the workshop's members */
    uint8_t role, st;
    uint8_t closing;          /* we are closing it on purpose */
    uint8_t resumed;          /* the current connection resumed an earlier one */
    char pid[72], token[256]; /* participant id and resume token from the first welcome */
    int64_t rev;              /* the revision its text is at */
    mx_text text;
    uint64_t leave_at, back_at;
    /* typing */
    uint64_t next_tick, seq;
    int64_t caret;
    size_t textpos;
    uint8_t opq;              /* Q_NONE, Q_WAIT (unsent: retry at op_at), Q_SENT */
    uint8_t op_resent;        /* sent again after a reconnect: `stale` is then an expected answer */
    uint64_t op_at;
    pend op;                  /* moved over the ops committed before it */
    char op_msg[200];         /* exactly as first sent: re-sent verbatim */
    int op_len;
    char op_comp[16];         /* its one component: "x" or {"d":1} */
    int64_t op_text_rev;      /* >= 0: a welcome with the whole text at this rev came while it was in flight */
    mx_ack *acks;             /* its acknowledged ops, in order */
    size_t nacks, capacks;
    /* voting */
    uint8_t vq;               /* Q_NONE, Q_WAIT, Q_SENT */
    uint8_t v_resent;
    int vpoll, vballot;
    uint64_t v_at, vseq;
} mx_client;

typedef struct mx_poll {
    char id[24];
    uint8_t open;             /* as the tool last heard */
    int8_t *acked;            /* per member: last acknowledged ballot, -1 none */
    int8_t *doubt;            /* per member: a ballot whose answer was lost with its connection, -1 none */
    uint8_t round;            /* times the facilitator reopened it (mod 256) */
    uint8_t *voted;           /* per member: round + 1 of its last vote, 0 none */
} mx_poll;

typedef struct mx_workshop {
    char id[72], key[72];
    mx_client **members;
    int nmembers;
    mx_poll polls[MAX_POLLS];
    int npolls;
    uint8_t fstep;            /* FS_* */
    uint8_t fq;               /* the step's request: Q_WAIT (due at fat) or Q_SENT */
    int fpoll;                /* the poll of the cycle, -1 before it is created */
    uint64_t fat, fseq;
    char hist_after[64];      /* where the history reader goes on; "" from the start */
} mx_workshop;

typedef struct incident {
    uint64_t from, to;        /* to == 0: still going on */
    char what[16];
} incident;

static const mixed_opts *MO;
static volatile sig_atomic_t *g_stop;
static mx_client *XC;
static mx_workshop *XW;
static int g_joining, g_stopping, g_active;
static uint64_t g_t0;

static struct {
    uint64_t ops_sent, ops_acked, ops_resent, ops_stale_resent, ops_unavail, ops_text_fetch;
    uint64_t votes_sent, votes_acked, votes_closed, votes_unavail;
    uint64_t polls_created, polls_reopened, polls_closed, fsteps_unavail;
    uint64_t joins, resumes, joins_unavail, leaves, lost, connect_failed;
    uint64_t hist_pages, hist_events, hist_bytes, hist_unavail;
    uint64_t unexpected, transient_outside;
    uint64_t bad_msg, rev_anom;
} X;

static incident g_inc[MAX_INCIDENTS];
static int g_ninc;
/* What a restart causes (a lost connection, an `unavailable`), kept with its
 * time and classified at the end: the restart may be seen a little after. */
typedef struct transient_ev {
    uint64_t t;
    const char *what;
} transient_ev;
static transient_ev *g_tr;
static size_t g_ntr, g_captr;

/* ------------------------------------------------------------- errors */

static void unexpected(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void unexpected(const char *fmt, ...)
{
    X.unexpected++;
    if (X.unexpected > 20)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "UNEXPECTED at %.1f s: ", (double)(now_ns() - g_t0) / 1e9);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void incident_begin(const char *what, uint64_t now)
{
    if (g_ninc && !g_inc[g_ninc - 1].to && !strcmp(g_inc[g_ninc - 1].what, what))
        return;
    if (g_ninc == MAX_INCIDENTS)
        return;
    g_inc[g_ninc].from = now;
    g_inc[g_ninc].to = 0;
    snprintf(g_inc[g_ninc].what, sizeof g_inc[g_ninc].what, "%s", what);
    g_ninc++;
    fprintf(stderr, "[%.1f s] %s down\n", (double)(now - g_t0) / 1e9, what);
}

static void incident_end(const char *what, uint64_t now)
{
    for (int i = 0; i < g_ninc; i++)
        if (!g_inc[i].to && !strcmp(g_inc[i].what, what)) {
            g_inc[i].to = now;
            fprintf(stderr, "[%.1f s] %s back after %.1f s\n", (double)(now - g_t0) / 1e9, what,
                    (double)(now - g_inc[i].from) / 1e9);
        }
}

/* Inside an incident window: from 5 s before a restart was seen to 20 s after it ended. */
static int in_incident(uint64_t t)
{
    for (int i = 0; i < g_ninc; i++)
        if (t + 5 * SEC >= g_inc[i].from && (!g_inc[i].to || t <= g_inc[i].to + 20 * SEC))
            return 1;
    return 0;
}

/* Something a restart causes: fine inside an incident window, unexpected otherwise. */
static void transient(const char *what, uint64_t now)
{
    if (g_ntr == g_captr) {
        g_captr = g_captr ? 2 * g_captr : 1024;
        g_tr = realloc(g_tr, g_captr * sizeof *g_tr);
        if (!g_tr)
            exit(2);
    }
    g_tr[g_ntr++] = (transient_ev){now, what};
}

static void classify_transients(void)
{
    for (size_t i = 0; i < g_ntr; i++)
        if (!in_incident(g_tr[i].t)) {
            X.transient_outside++;
            unexpected("%s at %.1f s, outside any server or Redis restart", g_tr[i].what,
                       (double)(g_tr[i].t - g_t0) / 1e9);
        }
}

/* --------------------------------------------------------------- text */

static void text_put(mx_text *t, const char *p, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t c = t->cap ? t->cap : 256;
        while (c < t->len + n + 1)
            c *= 2;
        char *q = realloc(t->p, c);
        if (!q) {
            fprintf(stderr, "out of memory\n");
            exit(2);
        }
        t->p = q;
        t->cap = c;
    }
    memcpy(t->p + t->len, p, n);
    t->len += n;
    t->p[t->len] = 0;
}

static void text_set(mx_text *t, const char *s)
{
    t->len = 0;
    text_put(t, s, strlen(s));
    t->cps = (int64_t)utf8_cps(s, strlen(s));
}

/* Byte offset k code points after byte offset i, or SIZE_MAX past the end. */
static size_t utf8_forward(const char *s, size_t n, size_t i, int64_t k)
{
    while (k > 0 && i < n) {
        i++;
        while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        k--;
    }
    return k ? SIZE_MAX : i;
}

static void put_utf8(mx_text *t, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80)
        b[0] = (char)cp, n = 1;
    else if (cp < 0x800)
        b[0] = (char)(0xC0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    else if (cp < 0x10000)
        b[0] = (char)(0xE0 | cp >> 12), b[1] = (char)(0x80 | ((cp >> 6) & 0x3F)), b[2] = (char)(0x80 | (cp & 0x3F)),
        n = 3;
    else
        b[0] = (char)(0xF0 | cp >> 18), b[1] = (char)(0x80 | ((cp >> 12) & 0x3F)),
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), b[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    text_put(t, b, n);
}

/* Appends the decoded JSON string v (with its quotes). -1 if malformed. */
static int put_jstr(mx_text *t, js_span v)
{
    const char *p = v.p + 1, *e = v.p + v.n - 1;
    while (p < e) {
        const char *q = p;
        while (q < e && *q != '\\')
            q++;
        text_put(t, p, (size_t)(q - p));
        if (q >= e)
            break;
        if (q + 1 >= e)
            return -1;
        char c = q[1];
        p = q + 2;
        switch (c) {
        case 'n': text_put(t, "\n", 1); break;
        case 't': text_put(t, "\t", 1); break;
        case 'r': text_put(t, "\r", 1); break;
        case 'b': text_put(t, "\b", 1); break;
        case 'f': text_put(t, "\f", 1); break;
        case '"': case '\\': case '/': text_put(t, &c, 1); break;
        case 'u': {
            if (e - p < 4)
                return -1;
            uint32_t cp = (uint32_t)strtoul((char[5]){p[0], p[1], p[2], p[3], 0}, NULL, 16);
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && e - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                uint32_t lo = (uint32_t)strtoul((char[5]){p[2], p[3], p[4], p[5], 0}, NULL, 16);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            }
            put_utf8(t, cp);
            break;
        }
        default: return -1;
        }
    }
    return 0;
}

/* Applies an ot-text-unicode op to the text. -1 (text unchanged) if it does not fit. */
static int text_apply(mx_text *t, js_span op)
{
    mx_text out = {0};
    size_t i = 0;
    int64_t cps = t->cps;
    js_iter it;
    js_span v;
    int r;
    if (js_arr_begin(&it, op) < 0)
        return -1;
    while ((r = js_arr_next(&it, &v)) == 1) {
        if (v.p[0] == '"') {
            if (put_jstr(&out, v) < 0)
                goto bad;
            cps += (int64_t)js_str_cps(v);
        } else if (v.p[0] == '{') {
            js_iter oi;
            js_span k, dv;
            int64_t n = -1;
            int ok = 1;
            if (js_obj_begin(&oi, v.p, v.n) < 0)
                goto bad;
            while (js_obj_next(&oi, &k, &dv) == 1)
                if (js_key_is(k, "d"))
                    n = dv.p[0] == '"' ? (int64_t)js_str_cps(dv) : js_int(dv, &ok);
            size_t j = ok && n > 0 ? utf8_forward(t->p, t->len, i, n) : SIZE_MAX;
            if (j == SIZE_MAX)
                goto bad;
            i = j;
            cps -= n;
        } else {
            int ok;
            int64_t n = js_int(v, &ok);
            size_t j = ok && n > 0 ? utf8_forward(t->p, t->len, i, n) : SIZE_MAX;
            if (j == SIZE_MAX)
                goto bad;
            text_put(&out, t->p + i, j - i);
            i = j;
        }
    }
    if (r < 0)
        goto bad;
    if (t->len > i)
        text_put(&out, t->p + i, t->len - i);
    else
        text_put(&out, "", 0);
    free(t->p);
    *t = out;
    t->cps = cps;
    return 0;
bad:
    free(out.p);
    return -1;
}

/* --------------------------------------------------------------- polls */

static int poll_find(mx_workshop *w, const char *id)
{
    for (int i = 0; i < w->npolls; i++)
        if (!strcmp(w->polls[i].id, id))
            return i;
    return -1;
}

static int poll_add(mx_workshop *w, const char *id)
{
    int i = poll_find(w, id);
    if (i >= 0 || w->npolls == MAX_POLLS || strlen(id) >= sizeof w->polls[0].id)
        return i;
    mx_poll *p = &w->polls[i = w->npolls++];
    snprintf(p->id, sizeof p->id, "%s", id);
    p->acked = xcalloc((size_t)w->nmembers, 1);
    p->doubt = xcalloc((size_t)w->nmembers, 1);
    p->voted = xcalloc((size_t)w->nmembers, 1);
    memset(p->acked, -1, (size_t)w->nmembers);
    memset(p->doubt, -1, (size_t)w->nmembers);
    return i;
}

static void vote_schedule(mx_client *c, int poll, uint64_t now)
{
    c->vpoll = poll;
    c->vballot = (int)(rnd() % NCHOICES);
    c->vq = Q_WAIT;
    c->v_resent = 0;
    c->v_at = now + (uint64_t)((0.05 + 0.5 * rndf()) * MO->poll_secs * 1e9);
}

/* A poll object (from a `poll` message or a welcome), as a participant sees it. */
static void on_poll_seen(mx_client *c, const cJSON *po, uint64_t now)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(po, "id");
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(po, "state");
    if (!cJSON_IsString(id) || !cJSON_IsString(state))
        return;
    mx_workshop *w = &XW[c->wk];
    int pi = poll_add(w, id->valuestring);
    if (pi < 0)
        return;
    w->polls[pi].open = !strcmp(state->valuestring, "open");
    if (c->role == MR_FACIL || !w->polls[pi].open || g_stopping)
        return;
    /* once per opening: a reopened poll is voted on again (a changed mind or the same) */
    mx_poll *p = &w->polls[pi];
    uint8_t this_round = (uint8_t)(p->round + 1);
    if (c->vq == Q_NONE && p->voted[c->wl] != this_round && rndf() < 0.85) {
        p->voted[c->wl] = this_round;
        vote_schedule(c, pi, now);
    }
}

/* ------------------------------------------------------------- sending */

static void send_join(mx_client *c)
{
    const mx_workshop *w = &XW[c->wk];
    char msg[1024], key[100] = "";
    if (c->role == MR_FACIL)
        snprintf(key, sizeof key, ",\"key\":\"%s\"", w->key);
    int n;
    if (c->token[0])
        n = snprintf(msg, sizeof msg,
                     "{\"type\":\"join\",\"id\":1,\"workshop\":\"%s\",\"resume\":{\"token\":\"%s\",\"rev\":%" PRId64
                     "}%s}",
                     w->id, c->token, c->rev, key);
    else
        n = snprintf(msg, sizeof msg,
                     "{\"type\":\"join\",\"id\":1,\"workshop\":\"%s\",\"name\":\"%s %d\",\"organisation\":\"%s\"%s}",
                     w->id, c->role == MR_FACIL ? "Animatrice" : c->role == MR_TYPER ? "Rédactrice" : "Votant",
                     c->idx, ORGS[c->idx % NORGS], key);
    ws_send_text(&c->ws, msg, (size_t)n);
}

/* [pos,COMP], or [COMP] at 0 (an op never starts with a zero skip). */
static void op_json(char *out, size_t sz, int64_t pos, const char *comp)
{
    if (pos > 0)
        snprintf(out, sz, "[%" PRId64 ",%s]", pos, comp);
    else
        snprintf(out, sz, "[%s]", comp);
}

static void op_send_new(mx_client *c, uint64_t now)
{
    char ins[8];
    size_t insl;
    pend p = typed_edit(&c->caret, c->text.cps, &c->textpos, 0, ins, &insl);
    p.t_ns = now;
    p.seq = ++c->seq;
    if (p.kind == K_DEL)
        snprintf(c->op_comp, sizeof c->op_comp, "{\"d\":1}");
    else
        snprintf(c->op_comp, sizeof c->op_comp, "\"%.*s\"", (int)insl, ins);
    char op[48];
    op_json(op, sizeof op, p.pos, c->op_comp);
    c->op_len = snprintf(c->op_msg, sizeof c->op_msg,
                         "{\"type\":\"op\",\"id\":\"m%d-%" PRIu64 "\",\"rev\":%" PRId64 ",\"op\":%s}", c->idx, p.seq,
                         c->rev, op);
    int n = c->op_len;
    c->op = p;
    c->op_text_rev = -1;
    c->op_resent = 0;
    c->opq = Q_SENT;
    X.ops_sent++;
    ws_send_text(&c->ws, c->op_msg, (size_t)n);
}

static void op_resend(mx_client *c)
{
    c->opq = Q_SENT;
    X.ops_resent++;
    ws_send_text(&c->ws, c->op_msg, (size_t)c->op_len);
}

static void vote_send(mx_client *c)
{
    char msg[160];
    int n = snprintf(msg, sizeof msg, "{\"type\":\"vote\",\"id\":\"v%d-%" PRIu64 "\",\"poll\":\"%s\",\"ballot\":%d}",
                     c->idx, ++c->vseq, XW[c->wk].polls[c->vpoll].id, c->vballot);
    c->vq = Q_SENT;
    X.votes_sent++;
    ws_send_text(&c->ws, msg, (size_t)n);
}

/* The facilitator's request for the step its workshop's cycle is at. */
static void fstep_send(mx_workshop *w, mx_client *f)
{
    char msg[512];
    int n;
    const char *pid = w->fpoll >= 0 ? w->polls[w->fpoll].id : "";
    w->fseq++;
    if (w->fstep == FS_CREATE)
        n = snprintf(msg, sizeof msg,
                     "{\"type\":\"poll_create\",\"id\":\"f%d-%" PRIu64 "\",\"kind\":\"single\",\"question\":\"Quelle "
                     "priorité pour la phase %d ?\",\"choices\":[\"Emploi\",\"Logement\",\"Mobilité\"],"
                     "\"visibility\":\"live\"}",
                     f->idx, w->fseq, w->npolls + 1);
    else
        n = snprintf(msg, sizeof msg, "{\"type\":\"%s\",\"id\":\"f%d-%" PRIu64 "\",\"poll\":\"%s\"}",
                     w->fstep == FS_OPEN     ? "poll_open"
                     : w->fstep == FS_REOPEN ? "poll_reopen"
                                             : "poll_close",
                     f->idx, w->fseq, pid);
    w->fq = Q_SENT;
    ws_send_text(&f->ws, msg, (size_t)n);
}

/* ------------------------------------------------------------ receiving */

static int id_is(js_span id, char tag, int idx, uint64_t seq)
{
    char want[48];
    int n = snprintf(want, sizeof want, "\"%c%d-%" PRIu64 "\"", tag, idx, seq);
    return id.n == (size_t)n && memcmp(id.p, want, (size_t)n) == 0;
}

static void own_op_applied(mx_client *c, int64_t rev)
{
    if (rev != c->rev)
        X.rev_anom++;
    if (c->op_text_rev >= 0) {
        /* A whole-text welcome came while it was in flight: where it landed is
         * not known here, so read the text it made. */
        char path[160], *body = NULL;
        snprintf(path, sizeof path, "/api/workshops/%s/state?rev=%" PRId64, XW[c->wk].id, rev + 1);
        int st = http_request("GET", path, NULL, NULL, 0, &body, 10000);
        cJSON *j = st == 200 ? cJSON_Parse(body) : NULL;
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(j, "text");
        if (cJSON_IsString(text))
            text_set(&c->text, text->valuestring);
        else
            unexpected("client %d: GET %s -> %d", c->idx, path, st);
        X.ops_text_fetch++;
        cJSON_Delete(j);
        free(body);
    } else if (c->op.kind != K_NOOP) {
        char op[48];
        op_json(op, sizeof op, c->op.pos, c->op_comp); /* as the server moved it */
        js_span s = {op, strlen(op)};
        if (text_apply(&c->text, s) < 0)
            unexpected("client %d: its own op %s does not fit its text", c->idx, op);
    }
    c->rev = rev + 1;
}

/* The server has the op in flight, at revision rev: an ack, or our own op coming back. */
static void op_acked(mx_client *c, int64_t rev)
{
    if (c->op_text_rev < 0 || rev >= c->op_text_rev)
        own_op_applied(c, rev); /* else it is in the text that welcome carried */
    if (c->nacks == c->capacks) {
        c->capacks = c->capacks ? 2 * c->capacks : 64;
        c->acks = realloc(c->acks, c->capacks * sizeof *c->acks);
        if (!c->acks)
            exit(2);
    }
    c->acks[c->nacks++] = (mx_ack){.seq = c->op.seq, .rev = rev};
    c->opq = Q_NONE;
    X.ops_acked++;
}

/* Someone else's op at revision rev (a broadcast, or one the welcome says we missed). */
static void other_op(mx_client *c, int64_t rev, js_span op)
{
    if (rev != c->rev)
        X.rev_anom++;
    if (text_apply(&c->text, op) < 0)
        unexpected("client %d: an op at rev %" PRId64 " does not fit its text", c->idx, rev);
    if (c->opq != Q_NONE && c->op_text_rev < 0)
        op_walk(op, &c->op);
    c->rev = rev + 1;
}

static void on_op(mx_client *c, const msgf *m)
{
    int ok;
    int64_t rev = js_int(m->rev, &ok);
    if (!ok || !m->op.p) {
        X.bad_msg++;
        return;
    }
    if (c->opq != Q_NONE && m->id.p && id_is(m->id, 'm', c->idx, c->op.seq))
        op_acked(c, rev); /* our own op, sent on an earlier connection */
    else
        other_op(c, rev, m->op);
}

static void on_ack(mx_client *c, const msgf *m)
{
    int ok;
    int64_t rev = js_int(m->rev, &ok);
    if (c->opq != Q_SENT || !ok || !id_is(m->id, 'm', c->idx, c->op.seq)) {
        unexpected("client %d: an ack it did not wait for: %.*s", c->idx, (int)m->id.n, m->id.p);
        return;
    }
    op_acked(c, rev);
}

static void on_welcome(mx_client *c, const char *data, size_t len, uint64_t now)
{
    cJSON *j = cJSON_ParseWithLength(data, len);
    const cJSON *doc = cJSON_GetObjectItemCaseSensitive(j, "doc");
    const cJSON *rev = cJSON_GetObjectItemCaseSensitive(doc, "rev");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(doc, "text");
    const cJSON *missed = cJSON_GetObjectItemCaseSensitive(j, "missed");
    const cJSON *pid = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "participant"), "id");
    const cJSON *token = cJSON_GetObjectItemCaseSensitive(j, "token");
    if (!cJSON_IsNumber(rev) || (!cJSON_IsString(text) && !cJSON_IsArray(missed)) || !cJSON_IsString(pid) ||
        !cJSON_IsString(token) || strlen(token->valuestring) >= sizeof c->token) {
        unexpected("client %d: a welcome without doc.rev, doc.text or missed, participant.id, token", c->idx);
        cJSON_Delete(j);
        return;
    }
    if (c->pid[0] && strcmp(c->pid, pid->valuestring))
        unexpected("client %d: resumed as another participant", c->idx);
    snprintf(c->pid, sizeof c->pid, "%s", pid->valuestring);
    snprintf(c->token, sizeof c->token, "%s", token->valuestring);
    int64_t wrev = (int64_t)rev->valuedouble;
    if (cJSON_IsString(text)) {
        text_set(&c->text, text->valuestring);
        c->rev = wrev;
        if (c->opq != Q_NONE)
            c->op_text_rev = wrev;
    } else {
        const cJSON *e;
        cJSON_ArrayForEach(e, missed)
        {
            const cJSON *er = cJSON_GetObjectItemCaseSensitive(e, "rev");
            const cJSON *eid = cJSON_GetObjectItemCaseSensitive(e, "id");
            char *ops = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(e, "op"));
            char want[48];
            snprintf(want, sizeof want, "m%d-%" PRIu64, c->idx, c->op.seq);
            if (!cJSON_IsNumber(er) || !ops)
                X.bad_msg++;
            else if (c->opq != Q_NONE && cJSON_IsString(eid) && !strcmp(eid->valuestring, want))
                op_acked(c, (int64_t)er->valuedouble);
            else
                other_op(c, (int64_t)er->valuedouble, (js_span){ops, strlen(ops)});
            free(ops);
        }
        if (c->rev != wrev)
            X.rev_anom++;
        c->rev = wrev;
    }
    c->st = MS_JOINED;
    g_joining--;
    if (c->resumed)
        X.resumes++;
    else
        X.joins++;
    /* Polls: the facilitator reconciles its cycle, participants vote on open ones. */
    const cJSON *polls = cJSON_GetObjectItemCaseSensitive(j, "polls"), *po;
    mx_workshop *w = &XW[c->wk];
    if (c->role == MR_FACIL) {
        cJSON_ArrayForEach(po, polls)
        {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(po, "id");
            const cJSON *st = cJSON_GetObjectItemCaseSensitive(po, "state");
            if (!cJSON_IsString(id) || !cJSON_IsString(st))
                continue;
            int known = poll_find(w, id->valuestring) >= 0;
            int pi = poll_add(w, id->valuestring);
            if (pi < 0)
                continue;
            w->polls[pi].open = !strcmp(st->valuestring, "open");
            if (w->fq != Q_WAIT)
                continue;
            if (w->fstep == FS_CREATE && !known && !strcmp(st->valuestring, "draft")) {
                w->fpoll = pi; /* created before the connection was lost */
                w->fstep = FS_OPEN;
                X.polls_created++;
            } else if (pi == w->fpoll && (w->fstep == FS_OPEN || w->fstep == FS_REOPEN) && w->polls[pi].open) {
                X.polls_reopened += w->fstep == FS_REOPEN;
                w->fstep = FS_OPENED;
                w->fq = Q_NONE;
                w->fat = now + (uint64_t)(0.75 * MO->poll_secs * 1e9);
            } else if (pi == w->fpoll && w->fstep == FS_CLOSE && !strcmp(st->valuestring, "closed")) {
                w->fstep = FS_IDLE;
                w->fq = Q_NONE;
                w->fat = now + (uint64_t)(0.25 * MO->poll_secs * 1e9);
                X.polls_closed++;
            }
        }
    } else {
        cJSON_ArrayForEach(po, polls) on_poll_seen(c, po, now);
    }
    /* What was in flight goes again: the op with its id (acknowledged again
     * if the server had it), the vote while its poll is open. */
    if (c->opq != Q_NONE) {
        c->op_resent = 1;
        c->opq = Q_WAIT;
        c->op_at = now;
    }
    if (c->vq == Q_WAIT && c->v_resent && !w->polls[c->vpoll].open)
        c->vq = Q_NONE; /* in doubt, checked as either */
    cJSON_Delete(j);
}

static void on_poll_msg(mx_client *c, const msgf *m, const char *data, size_t len, uint64_t now)
{
    cJSON *j = cJSON_ParseWithLength(data, len);
    const cJSON *po = cJSON_GetObjectItemCaseSensitive(j, "poll");
    mx_workshop *w = &XW[c->wk];
    if (c->role != MR_FACIL) {
        on_poll_seen(c, po, now);
    } else if (w->fq == Q_SENT && m->id.p && id_is(m->id, 'f', c->idx, w->fseq)) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(po, "id");
        int pi = cJSON_IsString(id) ? poll_add(w, id->valuestring) : -1;
        if (pi < 0) {
            unexpected("facilitator %d: a poll reply without a poll id", c->idx);
        } else if (w->fstep == FS_CREATE) {
            w->fpoll = pi;
            w->fstep = FS_OPEN;
            w->fq = Q_WAIT;
            w->fat = now;
            X.polls_created++;
        } else if (w->fstep == FS_OPEN || w->fstep == FS_REOPEN) {
            X.polls_reopened += w->fstep == FS_REOPEN;
            w->polls[pi].open = 1;
            w->fstep = FS_OPENED;
            w->fq = Q_NONE;
            w->fat = now + (uint64_t)(0.75 * MO->poll_secs * 1e9);
        } else if (w->fstep == FS_CLOSE) {
            w->polls[pi].open = 0;
            w->fstep = FS_IDLE;
            w->fq = Q_NONE;
            w->fat = now + (uint64_t)(0.25 * MO->poll_secs * 1e9);
            X.polls_closed++;
        }
    }
    cJSON_Delete(j);
}

static void on_my_ballot(mx_client *c, const msgf *m, uint64_t now)
{
    if (c->vq != Q_SENT || !m->id.p || !id_is(m->id, 'v', c->idx, c->vseq))
        return; /* after a welcome, or to our other connections: nothing to check */
    mx_poll *p = &XW[c->wk].polls[c->vpoll];
    p->acked[c->wl] = (int8_t)c->vballot;
    p->doubt[c->wl] = -1;
    c->vq = Q_NONE;
    X.votes_acked++;
    if (p->open && !g_stopping && rndf() < 0.2) { /* some change their mind */
        int poll = c->vpoll;
        vote_schedule(c, poll, now);
    }
}

static void on_error(mx_client *c, const msgf *m, uint64_t now)
{
    mx_workshop *w = &XW[c->wk];
    count_code(m->code);
    int unavailable = js_str_is(m->code, "unavailable");
    if (js_str_is(m->re, "join")) {
        if (unavailable) {
            X.joins_unavail++;
            transient("a join refused unavailable", now);
        } else {
            unexpected("client %d: join refused %.*s: %.*s", c->idx, (int)m->code.n, m->code.p, (int)m->message.n,
                       m->message.p);
        }
        c->closing = 1;
        ws_close(&c->ws, 1000);
        c->closing = 0;
        c->st = MS_AWAY;
        g_joining--;
        c->back_at = now + SEC;
        return;
    }
    if (js_str_is(m->re, "op") && c->opq == Q_SENT && id_is(m->id, 'm', c->idx, c->op.seq)) {
        if (unavailable) { /* not taken: the same op again later */
            X.ops_unavail++;
            transient("an op refused unavailable", now);
            c->opq = Q_WAIT;
            c->op_at = now + SEC;
        } else if (js_str_is(m->code, "stale") && c->op_resent) {
            X.ops_stale_resent++; /* never taken, and too old now: dropped */
            c->opq = Q_NONE;
        } else {
            unexpected("client %d: op %.*s refused %.*s: %.*s", c->idx, (int)m->id.n, m->id.p, (int)m->code.n,
                       m->code.p, (int)m->message.n, m->message.p);
            c->opq = Q_NONE;
        }
        return;
    }
    if (js_str_is(m->re, "vote") && c->vq == Q_SENT && id_is(m->id, 'v', c->idx, c->vseq)) {
        if (unavailable) {
            X.votes_unavail++;
            transient("a vote refused unavailable", now);
            c->vq = Q_WAIT;
            c->v_at = now + SEC;
        } else if (js_str_is(m->code, "poll_closed")) {
            X.votes_closed++; /* it crossed the close: never taken */
            c->vq = Q_NONE;
        } else {
            unexpected("client %d: vote refused %.*s: %.*s", c->idx, (int)m->code.n, m->code.p, (int)m->message.n,
                       m->message.p);
            c->vq = Q_NONE;
        }
        return;
    }
    if (c->role == MR_FACIL && w->fq == Q_SENT && m->id.p && id_is(m->id, 'f', c->idx, w->fseq) && unavailable) {
        X.fsteps_unavail++;
        transient("a poll step refused unavailable", now);
        w->fq = Q_WAIT;
        w->fat = now + SEC;
        return;
    }
    unexpected("client %d: error %.*s re %.*s id %.*s: %.*s", c->idx, (int)m->code.n, m->code.p, (int)m->re.n,
               m->re.p, (int)m->id.n, m->id.p, (int)m->message.n, m->message.p);
    if (c->role == MR_FACIL && w->fq == Q_SENT && m->id.p && id_is(m->id, 'f', c->idx, w->fseq)) {
        w->fq = Q_WAIT; /* try the step again a little later */
        w->fat = now + 5 * SEC;
    }
}

/* ------------------------------------------------------------ callbacks */

static void cb_open(ws_conn *wc)
{
    send_join((mx_client *)wc);
}

static void cb_message(ws_conn *wc, const char *data, size_t len)
{
    mx_client *c = (mx_client *)wc;
    uint64_t now = now_ns();
    msgf m;
    if (parse_msg(data, len, &m) < 0) {
        X.bad_msg++;
        return;
    }
    if (js_str_is(m.type, "op"))
        on_op(c, &m);
    else if (js_str_is(m.type, "ack"))
        on_ack(c, &m);
    else if (js_str_is(m.type, "welcome"))
        on_welcome(c, data, len, now);
    else if (js_str_is(m.type, "poll"))
        on_poll_msg(c, &m, data, len, now);
    else if (js_str_is(m.type, "my_ballot"))
        on_my_ballot(c, &m, now);
    else if (js_str_is(m.type, "error"))
        on_error(c, &m, now);
}

/* The client's connection is gone: what was on it waits for the next one.
 * The vote's answer is lost: it is in doubt until answered again. */
static void in_flight_orphaned(mx_client *c)
{
    c->st = MS_AWAY;
    if (c->opq == Q_SENT)
        c->opq = Q_WAIT;
    if (c->vq == Q_SENT) {
        XW[c->wk].polls[c->vpoll].doubt[c->wl] = (int8_t)c->vballot;
        c->vq = Q_WAIT;
        c->v_resent = 1;
    }
    mx_workshop *w = &XW[c->wk];
    if (c->role == MR_FACIL && w->fq == Q_SENT)
        w->fq = Q_WAIT;
}

/* The connection is gone (not by our leave): come back soon, resend what was in flight. */
static void cb_close(ws_conn *wc, int code, const char *reason)
{
    mx_client *c = (mx_client *)wc;
    uint64_t now = now_ns();
    if (c->closing)
        return;
    if (c->st == MS_JOINING) {
        g_joining--;
        X.connect_failed++;
        c->back_at = now + SEC / 2 + rnd() % SEC;
    } else {
        X.lost++;
        transient("a lost connection", now);
        static int shown;
        if (shown++ < 3)
            fprintf(stderr, "[%.1f s] client %d lost (code %d: %s)\n", (double)(now - g_t0) / 1e9, c->idx, code,
                    reason ? reason : "");
        c->back_at = now + SEC / 2 + rnd() % (2 * SEC);
    }
    in_flight_orphaned(c);
}

static const ws_handlers MX_HANDLERS = {cb_open, cb_message, cb_close};

/* ------------------------------------------------------------ the tick */

static void client_connect(mx_client *c, uint64_t now)
{
    c->resumed = c->token[0] != 0;
    if (ws_connect(&c->ws) < 0) {
        c->back_at = now + SEC;
        return;
    }
    c->st = MS_JOINING;
    g_joining++;
}

static void client_leave(mx_client *c, uint64_t now)
{
    c->closing = 1;
    ws_close(&c->ws, 1000);
    c->closing = 0;
    X.leaves++;
    c->back_at = now + SEC + (uint64_t)(4e9 * rndf());
    in_flight_orphaned(c);
}

static uint64_t exp_delay(double mean_s)
{
    double u = rndf();
    return (uint64_t)(-mean_s * log1p(-u) * 1e9);
}

static void tick_client(mx_client *c, uint64_t now, uint64_t interval)
{
    if (c->st == MS_AWAY) {
        if (now >= c->back_at && g_joining < MO->batch)
            client_connect(c, now);
        return;
    }
    if (c->st != MS_JOINED)
        return;
    if (g_active && !g_stopping && c->role != MR_FACIL && now >= c->leave_at) {
        c->leave_at = now + exp_delay(MO->churn_secs);
        client_leave(c, now);
        return;
    }
    if (c->opq == Q_WAIT && now >= c->op_at) {
        op_resend(c);
    } else if (c->role == MR_TYPER && g_active && !g_stopping && now >= c->next_tick) {
        if (c->opq == Q_NONE)
            op_send_new(c, now);
        c->next_tick += interval;
        if (c->next_tick + SEC < now)
            c->next_tick = now + interval;
    }
    if (c->vq == Q_WAIT && now >= c->v_at) {
        mx_poll *p = &XW[c->wk].polls[c->vpoll];
        if (!p->open || (g_stopping && !c->v_resent))
            c->vq = Q_NONE;
        else
            vote_send(c);
    }
    mx_workshop *w = &XW[c->wk];
    if (c->role == MR_FACIL && g_active && now >= w->fat) {
        if (w->fq == Q_WAIT)
            fstep_send(w, c);
        else if (w->fq == Q_NONE && !g_stopping && w->fstep == FS_IDLE && w->npolls < KEPT_POLLS) {
            w->fstep = FS_CREATE;
            w->fpoll = -1;
            fstep_send(w, c);
        } else if (w->fq == Q_NONE && !g_stopping && w->fstep == FS_IDLE) {
            /* a real facilitator comes back to the same few questions: the
             * server's memory then stays that of a few polls, as in a workshop */
            w->fstep = FS_REOPEN;
            w->fpoll = (w->fpoll + 1) % w->npolls;
            w->polls[w->fpoll].round++;
            fstep_send(w, c);
        } else if (w->fq == Q_NONE && !g_stopping && w->fstep == FS_OPENED) {
            w->fstep = FS_CLOSE;
            fstep_send(w, c);
        }
    }
}

/* ----------------------------------------------------- watching restarts */

static struct {
    int pid;                  /* the server's current pid */
    uint64_t started;         /* when the tool first saw it */
    redisContext *rc;
    struct {
        double t;
        int pid;
        long kb;
    } *rss;
    int nrss, caprss;
} WT;

static int read_pid(void)
{
    if (!MO->server_pid_file)
        return MO->server_pid;
    FILE *f = fopen(MO->server_pid_file, "r");
    int pid = 0;
    if (f) {
        if (fscanf(f, "%d", &pid) != 1)
            pid = 0;
        fclose(f);
    }
    return pid;
}

static int parse_redis(const char *s, char *host, size_t hostsz, int *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon || (size_t)(colon - s) >= hostsz)
        return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = 0;
    *port = atoi(colon + 1);
    return *port > 0 ? 0 : -1;
}

static redisContext *redis_open(int timeout_ms)
{
    char host[128];
    int port;
    if (parse_redis(MO->redis, host, sizeof host, &port) < 0)
        return NULL;
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    redisContext *rc = redisConnectWithTimeout(host, port, tv);
    if (!rc || rc->err) {
        if (rc)
            redisFree(rc);
        return NULL;
    }
    redisSetTimeout(rc, tv);
    return rc;
}

/* Once a second: is the server the same process, does Redis answer (not LOADING)? */
static void watch(uint64_t now)
{
    int pid = read_pid();
    int alive = pid > 0 && kill(pid, 0) == 0;
    if (!alive || pid != WT.pid) {
        if (WT.pid)
            incident_begin("server", now);
        if (alive) {
            if (WT.pid)
                incident_end("server", now);
            WT.pid = pid;
            WT.started = now;
        }
    }
    if (!WT.rc)
        WT.rc = redis_open(300);
    redisReply *r = WT.rc ? redisCommand(WT.rc, "PING") : NULL;
    int up = r && r->type == REDIS_REPLY_STATUS;
    if (r)
        freeReplyObject(r);
    if (!up) {
        incident_begin("redis", now);
        if (WT.rc) {
            redisFree(WT.rc);
            WT.rc = NULL;
        }
    } else {
        incident_end("redis", now);
    }
}

static void sample_rss(uint64_t now)
{
    if (!WT.pid)
        return;
    long kb = proc_rss_kb(WT.pid);
    if (kb < 0)
        return;
    if (WT.nrss == WT.caprss) {
        WT.caprss = WT.caprss ? 2 * WT.caprss : 256;
        WT.rss = realloc(WT.rss, (size_t)WT.caprss * sizeof *WT.rss);
        if (!WT.rss)
            exit(2);
    }
    double t = (double)(now - g_t0) / 1e9;
    WT.rss[WT.nrss].t = t;
    WT.rss[WT.nrss].pid = WT.pid;
    WT.rss[WT.nrss].kb = kb;
    WT.nrss++;
    printf("RSS t=%.0f pid=%d kb=%ld\n", t, WT.pid, kb);
    fflush(stdout);
}

/* ------------------------------------------------------- history reads */

static void read_history_page(uint64_t now)
{
    static int next_w;
    mx_workshop *w = &XW[next_w++ % MO->workshops];
    char path[256], *body = NULL;
    snprintf(path, sizeof path, "/api/workshops/%s/history?limit=100%s%s", w->id, w->hist_after[0] ? "&after=" : "",
             w->hist_after);
    int st = http_request("GET", path, NULL, NULL, 0, &body, 10000);
    if (st != 200) {
        if (st == 503 || st < 0) {
            X.hist_unavail++;
            transient(st < 0 ? "a history read without an answer" : "a history read answered 503", now);
        } else {
            unexpected("GET %s -> %d: %.200s", path, st, body ? body : "");
        }
        free(body);
        return;
    }
    cJSON *j = cJSON_Parse(body);
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(j, "events");
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(j, "next");
    if (!cJSON_IsArray(ev) || !(cJSON_IsString(next) || cJSON_IsNull(next))) {
        unexpected("GET %s: a page without events or next", path);
    } else {
        X.hist_pages++;
        X.hist_events += (uint64_t)cJSON_GetArraySize(ev);
        X.hist_bytes += strlen(body);
        if (cJSON_IsString(next) && strlen(next->valuestring) < sizeof w->hist_after)
            snprintf(w->hist_after, sizeof w->hist_after, "%s", next->valuestring);
        else
            w->hist_after[0] = 0; /* the end: start again from the beginning */
    }
    cJSON_Delete(j);
    free(body);
}

/* ------------------------------------------------------------ the loop */

static void loop_for(uint64_t until, int (*done)(void))
{
    static struct epoll_event ev[512];
    static uint64_t next_watch, next_rss, next_hist;
    uint64_t interval = (uint64_t)(1e9 / MO->rate);
    while (!*g_stop && now_ns() < until && !(done && done())) {
        int n = epoll_wait(ws_g.epfd, ev, 512, 10);
        for (int i = 0; i < n; i++)
            ws_handle((ws_conn *)ev[i].data.ptr, ev[i].events);
        uint64_t now = now_ns();
        for (int i = 0; i < MO->clients; i++)
            tick_client(&XC[i], now, interval);
        if (now >= next_watch) {
            watch(now);
            next_watch = now + SEC;
        }
        if (now >= next_rss) {
            sample_rss(now);
            next_rss = now + (uint64_t)(MO->rss_secs * 1e9);
        }
        if (g_active && !g_stopping && now >= next_hist) {
            read_history_page(now);
            next_hist = now + (uint64_t)(MO->history_secs * 1e9);
        }
    }
}

static int all_joined(void)
{
    for (int i = 0; i < MO->clients; i++)
        if (XC[i].st != MS_JOINED)
            return 0;
    return 1;
}

/* Everyone connected, nothing in flight: the end state can be read. */
static int settled(void)
{
    for (int i = 0; i < MO->clients; i++) {
        const mx_client *c = &XC[i];
        if (c->st != MS_JOINED || c->opq != Q_NONE || c->vq == Q_SENT || (c->vq == Q_WAIT && c->v_resent))
            return 0;
    }
    for (int i = 0; i < MO->workshops; i++)
        if (XW[i].fq != Q_NONE)
            return 0;
    return 1;
}

/* --------------------------------------------------------- final checks */

typedef struct mx_final {
    uint64_t clients_checked, text_disagree, rev_disagree;
    uint64_t ops_in_redis, ops_missing, ops_dup, ops_bad_rev, ops_never_acked;
    uint64_t ballots_checked, ballots_doubt, ballots_wrong, ballots_foreign, polls_checked, polls_bad_counts;
    int state_unreadable, redis_unreadable;
} mx_final;

static cJSON *get_json(const char *path, const char *bearer, int *status)
{
    char *body = NULL;
    *status = http_request_auth("GET", path, bearer, NULL, NULL, 0, &body, 15000);
    cJSON *j = *status == 200 ? cJSON_Parse(body) : NULL;
    free(body);
    return j;
}

/* Every client's revision and text against GET /state at the workshop's current revision.
 * Returns the state (polls with their results) for the ballot check. */
static cJSON *check_texts(mx_workshop *w, int wi, mx_final *F)
{
    char path[256];
    int st;
    snprintf(path, sizeof path, "/api/workshops/%s", w->id);
    cJSON *meta = get_json(path, NULL, &st);
    const cJSON *rev = cJSON_GetObjectItemCaseSensitive(meta, "rev");
    if (!cJSON_IsNumber(rev)) {
        fprintf(stderr, "GET %s -> %d\n", path, st);
        F->state_unreadable++;
        cJSON_Delete(meta);
        return NULL;
    }
    int64_t R = (int64_t)rev->valuedouble;
    cJSON_Delete(meta);
    /* The last broadcasts may still be on their way. */
    uint64_t end = now_ns() + 10 * SEC;
    for (;;) {
        int behind = 0;
        for (int i = 0; i < w->nmembers; i++)
            behind += w->members[i]->rev < R;
        if (!behind || now_ns() > end)
            break;
        loop_for(now_ns() + 50000000ull, NULL);
    }
    snprintf(path, sizeof path, "/api/workshops/%s/state?rev=%" PRId64, w->id, R);
    cJSON *state = get_json(path, w->key, &st);
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(state, "text");
    if (!cJSON_IsString(text)) {
        fprintf(stderr, "GET %s -> %d\n", path, st);
        F->state_unreadable++;
        cJSON_Delete(state);
        return NULL;
    }
    int shown = 0;
    for (int i = 0; i < w->nmembers; i++) {
        const mx_client *c = w->members[i];
        F->clients_checked++;
        if (c->rev != R)
            F->rev_disagree++;
        if (c->text.len != strlen(text->valuestring) || memcmp(c->text.p, text->valuestring, c->text.len)) {
            F->text_disagree++;
            if (!shown++)
                fprintf(stderr, "workshop %d: client %d's text (%zu bytes, rev %" PRId64 ") differs from /state (%zu bytes, rev %" PRId64 ")\n",
                        wi, c->idx, c->text.len, c->rev, strlen(text->valuestring), R);
        }
    }
    return state;
}

static mx_ack *ack_find(mx_client *c, uint64_t seq)
{
    size_t lo = 0, hi = c->nacks;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->acks[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->nacks && c->acks[lo].seq == seq ? &c->acks[lo] : NULL;
}

static const redisReply *field(const redisReply *fv, const char *name)
{
    for (size_t i = 0; fv && fv->type == REDIS_REPLY_ARRAY && i + 1 < fv->elements; i += 2)
        if (fv->element[i]->type == REDIS_REPLY_STRING && !strcmp(fv->element[i]->str, name))
            return fv->element[i + 1];
    return NULL;
}

/* One op event of the stream: which acknowledged op is it? */
static void check_op_event(const redisReply *fv, mx_final *F)
{
    const redisReply *opid = field(fv, "opid"), *rev = field(fv, "rev");
    int ci;
    uint64_t seq;
    F->ops_in_redis++;
    if (!opid || opid->type != REDIS_REPLY_STRING || sscanf(opid->str, "\"m%d-%" SCNu64 "\"", &ci, &seq) != 2 ||
        ci < 0 || ci >= MO->clients) {
        F->ops_never_acked++;
        return;
    }
    mx_ack *a = ack_find(&XC[ci], seq);
    if (!a) {
        F->ops_never_acked++;
        return;
    }
    a->seen++;
    if (!rev || rev->type != REDIS_REPLY_STRING || strtoll(rev->str, NULL, 10) != a->rev)
        F->ops_bad_rev++;
}

/* Every op event of the workshop's stream, read directly from Redis. */
static int check_stream(redisContext *rc, const mx_workshop *w, mx_final *F)
{
    char from[64] = "-";
    for (;;) {
        redisReply *r = redisCommand(rc, "XRANGE atelier:{w:%s}:events %s + COUNT 2000", w->id, from);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            if (r)
                freeReplyObject(r);
            return -1;
        }
        for (size_t i = 0; i < r->elements; i++) {
            const redisReply *e = r->element[i];
            if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
                continue;
            const redisReply *type = field(e->element[1], "type");
            if (type && type->type == REDIS_REPLY_STRING && !strcmp(type->str, "op"))
                check_op_event(e->element[1], F);
            if (i + 1 == r->elements)
                snprintf(from, sizeof from, "(%s", e->element[0]->str);
        }
        size_t n = r->elements;
        freeReplyObject(r);
        if (n < 2000)
            return 0;
    }
}

static int ballot_of(const char *json)
{
    cJSON *j = cJSON_Parse(json);
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(j, "ballot");
    int v = cJSON_IsNumber(b) ? (int)b->valuedouble : -2;
    cJSON_Delete(j);
    return v;
}

static const cJSON *state_poll_counts(const cJSON *state, const char *pid)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(state, "polls"))
    {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(e, "poll"), "id");
        if (cJSON_IsString(id) && !strcmp(id->valuestring, pid))
            return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(e, "results"), "counts");
    }
    return NULL;
}

/* Each poll: every member's acknowledged ballot is the one Redis holds (or
 * one in doubt), and the counts /state shows are Redis' ballots counted. */
static int check_ballots(redisContext *rc, const mx_workshop *w, const cJSON *state, mx_final *F)
{
    for (int pi = 0; pi < w->npolls; pi++) {
        const mx_poll *p = &w->polls[pi];
        redisReply *r = redisCommand(rc, "HGETALL atelier:{w:%s}:ballots:%s", w->id, p->id);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            if (r)
                freeReplyObject(r);
            return -1;
        }
        int tally[NCHOICES] = {0}, any_doubt = 0, matched = 0;
        for (int i = 0; i < w->nmembers; i++) {
            const mx_client *c = w->members[i];
            int stored = -1;
            for (size_t k = 0; k + 1 < r->elements; k += 2)
                if (!strcmp(r->element[k]->str, c->pid))
                    stored = ballot_of(r->element[k + 1]->str), matched++;
            if (stored >= 0 && stored < NCHOICES)
                tally[stored]++;
            if (p->acked[i] < 0 && p->doubt[i] < 0 && stored == -1)
                continue;
            F->ballots_checked++;
            if (p->doubt[i] >= 0) {
                any_doubt = 1;
                F->ballots_doubt++;
                if (stored != p->doubt[i] && stored != p->acked[i])
                    F->ballots_wrong++;
            } else if (stored != p->acked[i]) {
                F->ballots_wrong++;
            }
        }
        F->ballots_foreign += r->elements / 2 - (size_t)matched;
        freeReplyObject(r);
        /* The counts the server shows. */
        const cJSON *counts = state_poll_counts(state, p->id);
        int bad = !cJSON_IsArray(counts) || cJSON_GetArraySize(counts) != NCHOICES;
        for (int k = 0; !bad && k < NCHOICES; k++) {
            int expect = tally[k];
            if (!any_doubt) { /* without doubt, what was acknowledged is exactly what counts */
                expect = 0;
                for (int i = 0; i < w->nmembers; i++)
                    expect += p->acked[i] == k;
            }
            bad = (int)cJSON_GetArrayItem(counts, k)->valuedouble != expect || expect != tally[k];
        }
        F->polls_checked++;
        F->polls_bad_counts += bad;
    }
    return 0;
}

static void final_checks(mx_final *F)
{
    redisContext *rc = redis_open(5000);
    for (int wi = 0; wi < MO->workshops; wi++) {
        mx_workshop *w = &XW[wi];
        cJSON *state = check_texts(w, wi, F);
        if (!rc || check_stream(rc, w, F) < 0 || (state && check_ballots(rc, w, state, F) < 0))
            F->redis_unreadable++;
        cJSON_Delete(state);
    }
    if (rc)
        redisFree(rc);
    for (int i = 0; i < MO->clients; i++)
        for (size_t k = 0; k < XC[i].nacks; k++) {
            F->ops_missing += XC[i].acks[k].seen == 0;
            F->ops_dup += XC[i].acks[k].seen > 1;
        }
}

/* ---------------------------------------------------------------- report */

/* RSS growth of the last server process: from rss_warmup after it started
 * (mean of the first minute after that) to the end (mean of the last minute). */
static int rss_growth(double *base, double *end, double *from_t)
{
    int last = WT.nrss - 1;
    if (last < 0)
        return -1;
    int pid = WT.rss[last].pid, first = last;
    while (first > 0 && WT.rss[first - 1].pid == pid)
        first--;
    double t_start = WT.rss[first].t + MO->rss_warmup;
    int a = first;
    while (a <= last && WT.rss[a].t < t_start)
        a++;
    if (a > last || WT.rss[last].t - WT.rss[a].t < 90)
        return -1;
    double sb = 0, se = 0;
    int nb = 0, ne = 0;
    for (int i = a; i <= last; i++) {
        if (WT.rss[i].t < WT.rss[a].t + 60)
            sb += (double)WT.rss[i].kb, nb++;
        if (WT.rss[i].t > WT.rss[last].t - 60)
            se += (double)WT.rss[i].kb, ne++;
    }
    *base = sb / nb;
    *end = se / ne;
    *from_t = WT.rss[a].t;
    return 0;
}

static int report(const mx_final *F, double secs, int settled_ok)
{
    classify_transients();
    printf("mixed load %.0f s over %d workshops, %d clients (%d typing %.1f ops/s each)\n", secs, MO->workshops,
           MO->clients, MO->typers, MO->rate);
    for (int i = 0; i < g_ninc; i++)
        printf("incident: %s down at %.1f s, back at %.1f s\n", g_inc[i].what, (double)(g_inc[i].from - g_t0) / 1e9,
               g_inc[i].to ? (double)(g_inc[i].to - g_t0) / 1e9 : -1.0);
    printf("ops: %" PRIu64 " sent, %" PRIu64 " acknowledged, %" PRIu64 " sent again (%" PRIu64 " after unavailable), %" PRIu64
           " dropped stale after a resume, %" PRIu64 " texts read back after a whole-text resume\n",
           X.ops_sent, X.ops_acked, X.ops_resent, X.ops_unavail, X.ops_stale_resent, X.ops_text_fetch);
    printf("polls: %" PRIu64 " created, %" PRIu64 " reopened, %" PRIu64 " closed, %" PRIu64 " steps retried after unavailable; votes: %" PRIu64
           " sent, %" PRIu64 " acknowledged, %" PRIu64 " crossed a close, %" PRIu64 " refused unavailable\n",
           X.polls_created, X.polls_reopened, X.polls_closed, X.fsteps_unavail, X.votes_sent, X.votes_acked, X.votes_closed,
           X.votes_unavail);
    printf("connections: %" PRIu64 " first joins, %" PRIu64 " resumes, %" PRIu64 " leaves, %" PRIu64
           " lost, %" PRIu64 " connects failed, %" PRIu64 " joins refused unavailable\n",
           X.joins, X.resumes, X.leaves, X.lost, X.connect_failed, X.joins_unavail);
    printf("history: %" PRIu64 " pages, %" PRIu64 " events, %" PRIu64 " bytes read, %" PRIu64 " unavailable\n",
           X.hist_pages, X.hist_events, X.hist_bytes, X.hist_unavail);
    print_codes();
    printf("settled at the end: %s\n", settled_ok ? "yes" : "NO (something still in flight or a client away)");
    printf("convergence: %" PRIu64 " clients checked against GET /state: %" PRIu64 " texts differ, %" PRIu64
           " revisions differ%s\n",
           F->clients_checked, F->text_disagree, F->rev_disagree, F->state_unreadable ? " (a state unreadable)" : "");
    uint64_t total_acked = 0;
    for (int i = 0; i < MO->clients; i++)
        total_acked += XC[i].nacks;
    printf("ops in Redis: %" PRIu64 " op events; of %" PRIu64 " acknowledged: %" PRIu64 " missing, %" PRIu64
           " more than once, %" PRIu64 " at another revision; %" PRIu64 " stored but never acknowledged%s\n",
           F->ops_in_redis, total_acked, F->ops_missing, F->ops_dup, F->ops_bad_rev, F->ops_never_acked,
           F->redis_unreadable ? " (Redis unreadable)" : "");
    printf("ballots in Redis: %" PRIu64 " checked (%" PRIu64 " in doubt), %" PRIu64 " wrong, %" PRIu64
           " unknown voters; %" PRIu64 " polls, %" PRIu64 " with wrong counts\n",
           F->ballots_checked, F->ballots_doubt, F->ballots_wrong, F->ballots_foreign, F->polls_checked,
           F->polls_bad_counts);
    if (X.rev_anom || X.bad_msg)
        printf("anomalies: %" PRIu64 " out-of-order revisions, %" PRIu64 " unreadable messages\n", X.rev_anom, X.bad_msg);
    double base = 0, end = 0, from_t = 0, growth = 0;
    int rss_ok = rss_growth(&base, &end, &from_t) == 0;
    if (rss_ok)
        growth = (end - base) * 100 / base;
    long kb_min = LONG_MAX, kb_max = 0;
    for (int i = 0; i < WT.nrss; i++) {
        kb_min = WT.rss[i].kb < kb_min ? WT.rss[i].kb : kb_min;
        kb_max = WT.rss[i].kb > kb_max ? WT.rss[i].kb : kb_max;
    }
    if (rss_ok)
        printf("server RSS: %d samples, %ld..%ld kB; after warm-up (from %.0f s) %.0f kB -> %.0f kB at the end: %+.2f %%\n",
               WT.nrss, kb_min, kb_max, from_t, base, end, growth);
    else
        printf("server RSS: %d samples; too short after warm-up to measure growth\n", WT.nrss);
    int pass = !X.unexpected && settled_ok && !F->text_disagree && !F->rev_disagree && !F->state_unreadable &&
               !F->redis_unreadable && !F->ops_missing && !F->ops_dup && !F->ops_bad_rev && !F->ballots_wrong &&
               !F->ballots_foreign && !F->polls_bad_counts && !X.rev_anom && !X.bad_msg;
    printf("unexpected errors: %" PRIu64 "\n%s\n", X.unexpected, pass ? "PASS" : "FAIL");
    printf("RESULT mode=mixed secs=%.0f workshops=%d clients=%d typers=%d ops_acked=%" PRIu64 " votes_acked=%" PRIu64
           " polls=%" PRIu64 " resumes=%" PRIu64 " lost=%" PRIu64 " history_pages=%" PRIu64 " unexpected=%" PRIu64
           " text_disagree=%" PRIu64 " ops_missing=%" PRIu64 " ops_dup=%" PRIu64 " ballots_wrong=%" PRIu64
           " polls_bad_counts=%" PRIu64 " rss_base_kb=%.0f rss_end_kb=%.0f rss_growth_pct=%.2f transient_outside=%" PRIu64
           " pass=%d\n",
           secs, MO->workshops, MO->clients, MO->typers, X.ops_acked, X.votes_acked, X.polls_created, X.resumes, X.lost,
           X.hist_pages, X.unexpected, F->text_disagree, F->ops_missing, F->ops_dup, F->ballots_wrong,
           F->polls_bad_counts, base, end, rss_ok ? growth : -1.0, X.transient_outside, pass);
    return pass ? 0 : 3;
}

/* ------------------------------------------------------------------ run */

static void setup(void)
{
    XC = xcalloc((size_t)MO->clients, sizeof *XC);
    XW = xcalloc((size_t)MO->workshops, sizeof *XW);
    uint64_t now = now_ns(), interval = (uint64_t)(1e9 / MO->rate);
    for (int i = 0; i < MO->clients; i++) {
        mx_client *c = &XC[i];
        c->idx = i;
        c->wk = i % MO->workshops;
        c->ws.fd = -1;
        c->ws.srv = (uint8_t)server_of(i, MO->workshops);
        c->role = i < MO->workshops ? MR_FACIL : i < MO->workshops + MO->typers ? MR_TYPER : MR_READER;
        c->textpos = typed_text_start();
        c->vpoll = -1;
        c->next_tick = now + rnd() % interval;
        XW[c->wk].nmembers++;
    }
    report_addresses(MO->clients, MO->workshops);
    for (int i = 0; i < MO->workshops; i++) {
        XW[i].members = xcalloc((size_t)XW[i].nmembers, sizeof *XW[i].members);
        XW[i].nmembers = 0;
        XW[i].fpoll = -1;
    }
    for (int i = 0; i < MO->clients; i++) {
        mx_workshop *w = &XW[XC[i].wk];
        XC[i].wl = w->nmembers;
        w->members[w->nmembers++] = &XC[i];
    }
}

static void free_all(void)
{
    for (int i = 0; i < MO->clients; i++) {
        ws_free(&XC[i].ws);
        free(XC[i].text.p);
        free(XC[i].acks);
    }
    for (int i = 0; i < MO->workshops; i++) {
        for (int k = 0; k < XW[i].npolls; k++) {
            free(XW[i].polls[k].acked);
            free(XW[i].polls[k].doubt);
            free(XW[i].polls[k].voted);
        }
        free(XW[i].members);
    }
    free(XC);
    free(XW);
    free(WT.rss);
    free(g_tr);
    if (WT.rc)
        redisFree(WT.rc);
}

int mixed_run(const mixed_opts *o, volatile sig_atomic_t *stop)
{
    MO = o;
    g_stop = stop;
    ws_g.h = &MX_HANDLERS;
    setup();
    for (int i = 0; i < o->workshops; i++)
        if (create_workshop(i, XW[i].id, sizeof XW[i].id, XW[i].key, sizeof XW[i].key) < 0)
            return 2;
    g_t0 = now_ns();
    watch(g_t0);
    loop_for(g_t0 + (uint64_t)(o->join_timeout * 1e9), all_joined);
    if (!all_joined()) {
        fprintf(stderr, "not every client joined within %.0f s\n", o->join_timeout);
        return 2;
    }
    fprintf(stderr, "[%.1f s] %d clients joined; mixed load for %.0f s\n", (double)(now_ns() - g_t0) / 1e9,
            o->clients, o->duration);
    uint64_t now = now_ns();
    for (int i = 0; i < o->clients; i++)
        XC[i].leave_at = now + exp_delay(o->churn_secs);
    for (int i = 0; i < o->workshops; i++)
        XW[i].fat = now + (uint64_t)(rndf() * o->poll_secs * 0.25e9);
    g_active = 1;
    uint64_t t_active = now;
    loop_for(now + (uint64_t)(o->duration * 1e9), NULL);
    double secs = (double)(now_ns() - t_active) / 1e9;
    /* The end: nothing new, everyone back, everything in flight answered. */
    g_stopping = 1;
    for (int i = 0; i < o->clients; i++)
        if (XC[i].st == MS_AWAY)
            XC[i].back_at = now_ns();
    loop_for(now_ns() + (uint64_t)(o->drain * 1e9), settled);
    int settled_ok = settled();
    mx_final F = {0};
    final_checks(&F);
    for (int i = 0; i < o->clients; i++)
        if (XC[i].ws.state == WS_OPEN || XC[i].ws.state == WS_CONNECTING || XC[i].ws.state == WS_HANDSHAKE) {
            XC[i].closing = 1;
            ws_close(&XC[i].ws, 1000);
        }
    int rc = report(&F, secs, settled_ok);
    free_all();
    return rc;
}
