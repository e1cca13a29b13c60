/* load.c -- atelier-load: load generator and measurement tool for the Atelier
 * server (protocol/README.md). One thread, one epoll loop, our own WebSocket
 * client (wsclient.c), so that the tool costs far less than the server.
 *
 * Modes (see bench/README.md for what each one measures and how):
 *   typing      N clients over W workshops, K of them type R ops/s each,
 *               one op in flight per typer; latency, deliveries, server CPU.
 *   throughput  one workshop, K typers send as fast as acks come back
 *               (--inflight ops each); committed ops/s and server CPU per op.
 *   idle        N joined connections held for D seconds; server RSS per connection.
 *   joinstorm   N connections join one workshop (idle's measures), with the
 *               server CPU per join in each tenth of the joins: does a join
 *               cost more as the workshop grows?
 *   assembly    typing's workshop at assembly size (10,000 watchers, 20
 *               writers) plus a poll every client answers once: ballots,
 *               results and GET /state checked (assembly.c).
 *   trace       replay a sequential editing trace through one client and
 *               check the final text byte for byte; ops/s.
 *   mixed       the soak: typing, leaves and resumes, polls with votes,
 *               history reads, then every client's text, every acked op and
 *               ballot checked against the server and Redis (mixed.c).
 *
 * Every mode takes several server addresses (--url A,B: processes sharing one
 * Redis); clients are dealt out round-robin within each workshop. */
#define _GNU_SOURCE
#include "assembly.h"
#include "hist.h"
#include "jscan.h"
#include "load.h"
#include "mixed.h"
#include "trace.h"
#include "wsclient.h"

#include <cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <openssl/sha.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

enum { M_TYPING, M_IDLE, M_THROUGHPUT, M_TRACE, M_MIXED, M_STORM, M_ASSEMBLY };
enum { P_SETUP, P_JOIN, P_WARMUP, P_MEASURE, P_DRAIN, P_DONE };
enum { CS_NONE, CS_PENDING, CS_JOINED, CS_FAILED, CS_GONE };

/* Send times kept per typer for latency matching; a receiver lagging more
 * than this many ops behind an author is counted as unmatched. */
#define RING 4096

static struct {
    const char *url, *workshop, *trace, *expect_sha;
    int mode, clients, workshops, typers, inflight, server_pid, redis_pid, batch, verbose;
    int spids[WS_MAX_SERVERS]; /* --server-pid A,B: every server process; server_pid is the first */
    int nspids;
    int sample;              /* receivers that time frames (-1: all up to 1,000 clients, else 1,000) */
    int lazy_ms;             /* the others are read every lazy_ms (-1: 100 when sampling, 0: as they come) */
    double vote_window;      /* assembly: seconds the votes are spread over */
    double rate, duration, warmup, drain, join_timeout, stall, settle;
    unsigned long seed;
    mixed_opts mx;           /* --mode mixed's own settings */
} O = {
    .url = "127.0.0.1:8080",
    .mode = M_TYPING,
    .clients = -1,
    .workshops = -1,
    .typers = -1,
    .inflight = 1,
    .batch = 256,
    .rate = 5,
    .duration = 30,
    .warmup = 3,
    .drain = 10,
    .join_timeout = 180,
    .stall = 30,
    .settle = 2,
    .seed = 1,
    .sample = -1,
    .lazy_ms = -1,
    .vote_window = 5,
    .mx = {.poll_secs = 40, .churn_secs = 120, .history_secs = 1, .rss_secs = 5, .rss_warmup = 60},
};

struct client;

typedef struct typer {
    struct client *c;
    int wlocal;              /* index among its workshop's typers */
    int dead;
    char pid[72];            /* participant id from welcome */
    uint64_t ring[RING];     /* send time of the k-th op of ours that the server accepts */
    uint32_t nslot;          /* ops sent and not refused */
    pend *q;                 /* ops in flight, FIFO */
    int qh, qn;
    uint64_t next_tick;
    int64_t caret;
    size_t textpos;
    uint64_t seq;
    uint64_t sent, acked, skipped, errors;
} typer;

typedef struct client {
    ws_conn ws;              /* first: epoll hands us the ws_conn pointer */
    int idx, wk;
    uint8_t st;
    uint8_t closing;         /* we closed it on purpose */
    uint8_t sampled;         /* matches each op to its send time (e2e); the others count and check */
    typer *t;
    int64_t rev;             /* next revision this client expects */
    int64_t len;             /* document length (code points) at rev */
    uint32_t *seen;          /* ops received so far from each typer of the workshop */
    uint64_t ops_rx;         /* op broadcasts received since joining */
} client;

typedef struct workshop {
    char id[72];
    char key[72];            /* facilitator key (unused unless created here) */
    typer **typers;
    int ntypers;
    int nclients;
    int *hslot;              /* open addressing: participant id -> typer index */
    uint32_t hmask;
    uint64_t acked;          /* ops of its typers acknowledged */
    int64_t final_rev, final_len; /* as a fresh client sees it after the run; -1 until known */
} workshop;

static client *C;
static int NC;
static typer *T;
static int NT;
static workshop *W;
static int NW;
static int g_phase = P_SETUP;
static uint64_t t_meas0, t_meas1 = UINT64_MAX;
static volatile sig_atomic_t g_stop;
static int g_next_open, g_pending, g_joined, g_failed, g_lost;
static typer **g_heap;
static int g_heap_n;
static uint64_t g_interval_ns;
static uint64_t g_rng = 88172645463325252ull;
/* When the current epoll batch was returned: receive times are taken from
 * it, so time the tool spends on earlier sockets of the same batch is not
 * charged to the server. */
static uint64_t g_batch_ns;
static uint64_t g_batches, g_batch_total_ns, g_batch_max_ns;

static hist H_e2e, H_ack;
/* The same e2e samples with the receive time taken from the kernel's stamp on
 * the socket (ws_g.rx_ts) instead of the epoll return: what the issue calls
 * "receipt", free of the time this one thread spends on the other sockets. */
static hist H_rx;
/* With several servers: the same samples by path, [0] the writer on the
 * reader's server, [1] on another one (the op crossed Redis' pub/sub). */
static hist H_e2e_path[2], H_rx_path[2];
/* assembly: the kernel-time samples of ops sent [1] while the votes came in, [0] otherwise. */
static hist H_rx_votes[2];
/* When the receivers that are not sampled are read next (ws_g.epfd_slow). */
static uint64_t g_slow_next;
/* assembly: the facilitator, C[g_fac] (after the clients and the checkers); -1 otherwise. */
static int g_fac = -1;
/* CLOCK_REALTIME - CLOCK_MONOTONIC: the kernel stamps in realtime, the tool
 * times in monotonic. Both advance at the same (NTP-slewed) rate, so this
 * only moves if someone steps the clock; read at start and end to check. */
static int64_t g_rt_off0, g_rt_off1;
static uint64_t g_rt_err;
/* Largest kernel time (monotonic) seen in the current epoll batch. */
static uint64_t g_batch_rx_max;
static struct {
    uint64_t n, no_ts;
    uint64_t not_last;    /* read together with bytes after them: stamped with the last segment's time */
    /* Kernel time later than the epoll return, and why: */
    uint64_t late_own;    /* the read ended with the message: it came after the return, to a socket that
                           * other bytes of the same read had made ready (the epoll figure is too early) */
    uint64_t late_joined; /* read together with bytes after it, which may have come later (last-segment rule) */
    uint64_t late_alone;  /* impossible: the message alone made its socket ready, so it came before the return */
    uint64_t before_send; /* impossible: earlier than the op was sent */
    uint64_t after_batch; /* impossible: batches with a kernel time later than the batch's end */
    int64_t diff_sum;     /* epoll-based receive time - kernel receive time, summed (ns) */
    int64_t diff_max;
} RX;
static struct {
    uint64_t ops_rx, acks, sent, skipped, errors, other_rx; /* inside the window */
    uint64_t unmatched, rev_anom, stray_ack, ack_id_mismatch, bad_msg;
} S;

#define MAX_CODES 16
static struct {
    char code[32];
    uint64_t n;
} g_codes[MAX_CODES];

/* Typed text: French with accents, so multi-byte UTF-8 goes through the
 * server's code point arithmetic like it would with real users. */
static const char TEXT[] =
    "Le partenariat entre la ville, la banque et l'association doit rester équilibré : qui décide, "
    "à quel moment, et pourquoi ? Chacun apporte ses moyens, ses contraintes et ses délais. "
    "La réunion de clôture aura lieu à l'hôtel de ville, après la fête du quartier.\n"
    "Prochaine étape : écrire ensemble les critères de réussite, puis les faire valider par tous. ";
const char *const ORGS[NORGS] = {"Ville de Lyon", "Banque des Territoires", "Association Éclat", "Université Lumière",
                             "Collectif Rive Gauche"};
static const char INITIAL_TEXT[] = "Quoi ?\\n\\nPourquoi ?\\n\\nComment ?\\n\\nLes partenaires présents : "
                                   "la ville, la banque, l'association.\\n";

/* ---------------------------------------------------------------- utils */

uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

double rndf(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }

void *xcalloc(size_t n, size_t s)
{
    void *p = calloc(n ? n : 1, s);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

/* CLOCK_REALTIME - CLOCK_MONOTONIC, the realtime read between two monotonic
 * reads; the narrowest of a few tries, *err_ns its half width. */
static int64_t rt_offset(uint64_t *err_ns)
{
    int64_t best = 0;
    uint64_t w = UINT64_MAX;
    for (int i = 0; i < 8; i++) {
        struct timespec r;
        uint64_t a = now_ns();
        clock_gettime(CLOCK_REALTIME, &r);
        uint64_t b = now_ns();
        if (b - a < w) {
            w = b - a;
            best = (int64_t)((uint64_t)r.tv_sec * 1000000000ull + (uint64_t)r.tv_nsec) - (int64_t)(a + w / 2);
        }
    }
    *err_ns = w / 2 + 1;
    return best;
}

static int in_window(uint64_t t) { return t >= t_meas0 && t < t_meas1 && t_meas0; }

/* Latency of a message sent at ts and read in the current batch. An op sent
 * while this batch was being handled (after an ack in it) can be read in the
 * same batch; its receipt is then timed now, not at the batch start. */
static uint64_t since(uint64_t batch_ns, uint64_t ts)
{
    return batch_ns >= ts ? batch_ns - ts : now_ns() - ts;
}

void count_code(js_span code)
{
    char c[32];
    size_t n = code.n >= 2 ? code.n - 2 : 0;
    if (n >= sizeof c)
        n = sizeof c - 1;
    memcpy(c, code.p + (code.n >= 2), n);
    c[n] = 0;
    for (int i = 0; i < MAX_CODES; i++) {
        if (!g_codes[i].code[0]) {
            snprintf(g_codes[i].code, sizeof g_codes[i].code, "%s", c);
            g_codes[i].n = 1;
            return;
        }
        if (strcmp(g_codes[i].code, c) == 0) {
            g_codes[i].n++;
            return;
        }
    }
}

/* Server process figures from /proc: CPU seconds (user+system) and RSS. */
double proc_cpu_s(int pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* the command name may contain spaces */
    if (!p)
        return -1;
    unsigned long ut = 0, st = 0;
    /* after ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

long proc_rss_kb(int pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

/* Every --server-pid process: CPU seconds (rss 0) or RSS in kB (rss 1),
 * summed; -1 when no pid was given or one is unreadable. */
static double servers_sum(int rss)
{
    double sum = 0;
    for (int i = 0; i < O.nspids; i++) {
        double v = rss ? (double)proc_rss_kb(O.spids[i]) : proc_cpu_s(O.spids[i]);
        if (v < 0)
            return -1;
        sum += v;
    }
    return O.nspids ? sum : -1;
}

static double servers_cpu_s(void) { return servers_sum(0); }
static long servers_rss_kb(void) { return (long)servers_sum(1); }

/* CPU seconds all cores spent busy since boot: with the server's, Redis's
 * and our own CPU it shows how much other processes took from the run. */
static double machine_busy_s(void)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return -1;
    unsigned long long v[8] = {0};
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
                   &v[7]);
    fclose(f);
    if (n < 8)
        return -1;
    /* user nice system idle iowait irq softirq steal: all but idle and iowait */
    return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static uint32_t fnv(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

static void author_add(workshop *w, int ti)
{
    typer *t = w->typers[ti];
    uint32_t i = fnv(t->pid, strlen(t->pid)) & w->hmask;
    while (w->hslot[i] >= 0)
        i = (i + 1) & w->hmask;
    w->hslot[i] = ti;
}

/* Author is the raw JSON string (with quotes). */
static int author_find(const workshop *w, js_span a)
{
    if (!w->ntypers || a.n < 2)
        return -1;
    const char *p = a.p + 1;
    size_t n = a.n - 2;
    uint32_t i = fnv(p, n) & w->hmask;
    while (w->hslot[i] >= 0) {
        const typer *t = w->typers[w->hslot[i]];
        if (strlen(t->pid) == n && memcmp(t->pid, p, n) == 0)
            return w->hslot[i];
        i = (i + 1) & w->hmask;
    }
    return -1;
}

/* -------------------------------------------------------- typers & ops */

/* Walk a received op: returns its length delta, and moves our single
 * in-flight op p over it the way the server will (our op takes side left:
 * at one position our insert goes first; a delete of a character someone
 * else already deleted becomes a no-op). Returns INT64_MIN if malformed. */
int64_t op_walk(js_span op, pend *p)
{
    js_iter it;
    js_span v;
    int64_t cur = 0, delta = 0, shift = 0;
    int gone = 0, r;
    if (js_arr_begin(&it, op) < 0)
        return INT64_MIN;
    while ((r = js_arr_next(&it, &v)) == 1) {
        if (v.p[0] == '"') {
            int64_t m = (int64_t)js_str_cps(v);
            if (p && ((p->kind == K_INS && cur < p->pos) || (p->kind == K_DEL && cur <= p->pos)))
                shift += m;
            delta += m;
        } else if (v.p[0] == '{') {
            js_iter oi;
            js_span k, dv;
            int64_t n = -1;
            if (js_obj_begin(&oi, v.p, v.n) < 0)
                return INT64_MIN;
            while (js_obj_next(&oi, &k, &dv) == 1) {
                if (js_key_is(k, "d")) {
                    int ok;
                    if (dv.p[0] == '"')
                        n = (int64_t)js_str_cps(dv);
                    else if ((n = js_int(dv, &ok)), !ok)
                        return INT64_MIN;
                }
            }
            if (n < 0)
                return INT64_MIN;
            if (p && p->kind != K_NOOP) {
                if (p->pos >= cur + n)
                    shift -= n;
                else if (p->pos >= cur) {
                    if (p->kind == K_DEL)
                        gone = 1;
                    else
                        shift -= p->pos - cur; /* our insert lands where the deletion was */
                }
            }
            cur += n;
            delta -= n;
        } else {
            int ok;
            int64_t n = js_int(v, &ok);
            if (!ok)
                return INT64_MIN;
            cur += n;
        }
    }
    if (r < 0)
        return INT64_MIN;
    if (p) {
        p->pos += shift;
        if (gone)
            p->kind = K_NOOP;
    }
    return delta;
}

size_t typed_text_start(void)
{
    size_t i = (size_t)(rnd() % (sizeof TEXT - 1));
    while (((unsigned char)TEXT[i] & 0xC0) == 0x80)
        i++;
    return i;
}

size_t next_char(size_t *textpos, char *out)
{
    const unsigned char *u = (const unsigned char *)TEXT;
    size_t i = *textpos;
    if (i >= sizeof TEXT - 1)
        i = 0;
    size_t l = u[i] < 0x80 ? 1 : u[i] < 0xE0 ? 2 : u[i] < 0xF0 ? 3 : 4;
    if (u[i] == '\n') {
        memcpy(out, "\\n", 2);
        *textpos = i + 1;
        return 2;
    }
    memcpy(out, TEXT + i, l);
    *textpos = i + l;
    return l;
}

pend typed_edit(int64_t *caret, int64_t len, size_t *textpos, int insert_only, char ins[8], size_t *insl)
{
    pend p = {0};
    if (*caret > len)
        *caret = len;
    if (rndf() < 0.05)
        *caret = (int64_t)(rnd() % (uint64_t)(len + 1));
    double pdel = len > 4000 ? 0.5 : 0.15; /* keeps the document from growing without bound */
    *insl = 0;
    if (!insert_only && *caret > 0 && rndf() < pdel) {
        p.kind = K_DEL;
        p.pos = --*caret;
    } else {
        p.kind = K_INS;
        p.pos = (*caret)++;
        *insl = next_char(textpos, ins);
    }
    return p;
}

static void typer_send(typer *t, uint64_t now)
{
    client *c = t->c;
    int64_t L = c->len;
    /* With several ops in flight the ops are labelled with the last revision
     * we know and positions valid there; inserts only, so our own pending
     * ops never make a later one invalid. */
    char ins[8];
    size_t insl;
    pend p = typed_edit(&t->caret, L, &t->textpos, O.inflight > 1, ins, &insl);
    p.t_ns = now;
    p.seq = ++t->seq;
    char msg[192];
    int n = snprintf(msg, sizeof msg, "{\"type\":\"op\",\"id\":\"c%d-%" PRIu64 "\",\"rev\":%" PRId64 ",\"op\":[", c->idx,
                     p.seq, c->rev);
    if (p.pos > 0)
        n += snprintf(msg + n, sizeof msg - (size_t)n, "%" PRId64 ",", p.pos);
    if (p.kind == K_DEL)
        n += snprintf(msg + n, sizeof msg - (size_t)n, "{\"d\":1}]}");
    else
        n += snprintf(msg + n, sizeof msg - (size_t)n, "\"%.*s\"]}", (int)insl, ins);
    int slot = (t->qh + t->qn) % O.inflight;
    t->q[slot] = p;
    t->qn++;
    t->ring[t->nslot % RING] = now;
    t->nslot++;
    t->sent++;
    if (in_window(now))
        S.sent++;
    ws_send_text(&c->ws, msg, (size_t)n);
}

static void typer_fill(typer *t)
{
    if (t->dead || (g_phase != P_WARMUP && g_phase != P_MEASURE))
        return;
    while (t->qn < O.inflight && t->c->ws.state == WS_OPEN)
        typer_send(t, now_ns());
}

/* --- tick heap: the next typer due to type --- */

static void heap_down(int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < g_heap_n && g_heap[l]->next_tick < g_heap[m]->next_tick)
            m = l;
        if (r < g_heap_n && g_heap[r]->next_tick < g_heap[m]->next_tick)
            m = r;
        if (m == i)
            return;
        typer *x = g_heap[i];
        g_heap[i] = g_heap[m];
        g_heap[m] = x;
        i = m;
    }
}

static void heap_build(void)
{
    for (int i = g_heap_n / 2 - 1; i >= 0; i--)
        heap_down(i);
}

static void run_ticks(uint64_t now)
{
    if (O.mode == M_ASSEMBLY)
        asm_tick(now); /* votes go on into the drain */
    if ((O.mode != M_TYPING && O.mode != M_ASSEMBLY) || (g_phase != P_WARMUP && g_phase != P_MEASURE))
        return;
    while (g_heap_n && g_heap[0]->next_tick <= now) {
        typer *t = g_heap[0];
        if (!t->dead) {
            if (t->qn > 0) { /* a real client would compose; we only count it */
                t->skipped++;
                if (in_window(now))
                    S.skipped++;
            } else {
                typer_send(t, now);
            }
        }
        t->next_tick += g_interval_ns;
        if (t->next_tick + 1000000000ull < now) /* after a stall, do not fire a burst */
            t->next_tick = now + g_interval_ns;
        heap_down(0);
    }
}

/* ------------------------------------------------------------- messages */

int parse_msg(const char *data, size_t len, msgf *m)
{
    js_iter it;
    js_span k, v;
    int r;
    memset(m, 0, sizeof *m);
    if (js_obj_begin(&it, data, len) < 0)
        return -1;
    while ((r = js_obj_next(&it, &k, &v)) == 1) {
        switch (k.n) {
        case 2:
            if (k.p[0] == 'i' && k.p[1] == 'd')
                m->id = v;
            else if (k.p[0] == 'o' && k.p[1] == 'p')
                m->op = v;
            else if (k.p[0] == 'r' && k.p[1] == 'e')
                m->re = v;
            break;
        case 3:
            if (memcmp(k.p, "rev", 3) == 0)
                m->rev = v;
            break;
        case 4:
            if (memcmp(k.p, "type", 4) == 0)
                m->type = v;
            else if (memcmp(k.p, "code", 4) == 0)
                m->code = v;
            break;
        case 6:
            if (memcmp(k.p, "author", 6) == 0)
                m->author = v;
            break;
        case 7:
            if (memcmp(k.p, "message", 7) == 0)
                m->message = v;
            break;
        }
    }
    return r < 0 || !m->type.p ? -1 : 0;
}

static void on_welcome(client *c, const char *data, size_t len)
{
    cJSON *j = cJSON_ParseWithLength(data, len);
    const cJSON *doc = cJSON_GetObjectItemCaseSensitive(j, "doc");
    const cJSON *rev = cJSON_GetObjectItemCaseSensitive(doc, "rev");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(doc, "text");
    const cJSON *part = cJSON_GetObjectItemCaseSensitive(j, "participant");
    const cJSON *pid = cJSON_GetObjectItemCaseSensitive(part, "id");
    if (!cJSON_IsNumber(rev) || !cJSON_IsString(text) || !cJSON_IsString(pid)) {
        fprintf(stderr, "client %d: welcome without doc.rev, doc.text or participant.id: %.200s\n", c->idx, data);
        cJSON_Delete(j);
        c->st = CS_FAILED;
        g_pending--;
        g_failed++;
        c->closing = 1;
        ws_close(&c->ws, 1000);
        return;
    }
    c->rev = (int64_t)rev->valuedouble;
    c->len = (int64_t)utf8_cps(text->valuestring, strlen(text->valuestring));
    if (c->t) {
        snprintf(c->t->pid, sizeof c->t->pid, "%s", pid->valuestring);
        c->t->caret = c->len;
    }
    cJSON_Delete(j);
    c->st = CS_JOINED;
    g_pending--;
    g_joined++;
    if (!c->sampled)
        ws_set_slow(&c->ws, 1);
}

/* The kernel-stamped receipt of a broadcast sent at sent (monotonic) whose
 * epoll-based receive time is epoll_rx. */
static void rx_sample(uint64_t sent, uint64_t epoll_rx, int path)
{
    if (!ws_g.rx_tstamp)
        return;
    if (!ws_g.rx_ts) {
        RX.no_ts++;
        return;
    }
    uint64_t rx = (uint64_t)((int64_t)ws_g.rx_ts - g_rt_off0);
    RX.n++;
    if (rx > g_batch_rx_max)
        g_batch_rx_max = rx;
    if (rx < sent) {
        RX.before_send++;
        hist_add(&H_rx, 0);
        return;
    }
    hist_add(&H_rx, rx - sent);
    if (path >= 0)
        hist_add(&H_rx_path[path], rx - sent);
    if (O.mode == M_ASSEMBLY)
        hist_add(&H_rx_votes[asm_voting_at(sent)], rx - sent);
    if (!ws_g.rx_last)
        RX.not_last++;
    int64_t d = (int64_t)epoll_rx - (int64_t)rx;
    RX.diff_sum += d;
    if (d > RX.diff_max)
        RX.diff_max = d;
    if (d < 0) {
        if (ws_g.rx_alone)
            RX.late_alone++;
        else if (ws_g.rx_last)
            RX.late_own++;
        else
            RX.late_joined++;
    }
}

/* Every receiver counts an op broadcast and checks its revision. */
static void op_count(client *c, int64_t rev, uint64_t now)
{
    /* Broadcasts must come in revision order with no gaps (our own ops
     * arrive as acks, which also advance rev). */
    if (rev != c->rev)
        S.rev_anom++;
    c->rev = rev + 1;
    c->ops_rx++;
    if (in_window(now))
        S.ops_rx++;
}

static void on_op_msg(client *c, const msgf *m, uint64_t now)
{
    int ok;
    int64_t rev = js_int(m->rev, &ok);
    if (!ok || !m->op.p) {
        S.bad_msg++;
        return;
    }
    op_count(c, rev, now);
    workshop *w = &W[c->wk];
    int ai = author_find(w, m->author);
    if (ai >= 0 && c->seen) {
        /* Ops of one author are broadcast in the order they were accepted,
         * so the k-th op we get from A is A's k-th accepted op. */
        typer *a = w->typers[ai];
        uint32_t k = c->seen[ai]++;
        if (k < a->nslot && a->nslot - k <= RING) {
            uint64_t ts = a->ring[k % RING];
            if (in_window(ts)) {
                uint64_t lat = since(now, ts);
                int path = ws_g.nsrv > 1 ? a->c->ws.srv != c->ws.srv : -1;
                hist_add(&H_e2e, lat);
                if (path >= 0)
                    hist_add(&H_e2e_path[path], lat);
                rx_sample(ts, ts + lat, path);
            }
        } else {
            S.unmatched++;
        }
    } else if (c->seen) {
        S.unmatched++;
    }
    if (c->t) {
        pend *p = c->t->qn && O.inflight == 1 ? &c->t->q[c->t->qh] : NULL;
        int64_t d = op_walk(m->op, p);
        if (d == INT64_MIN)
            S.bad_msg++;
        else
            c->len += d;
    }
}

static void on_ack(client *c, const msgf *m, uint64_t now)
{
    typer *t = c->t;
    int ok;
    int64_t rev = js_int(m->rev, &ok);
    if (!t || !t->qn || !ok) {
        S.stray_ack++;
        return;
    }
    pend p = t->q[t->qh];
    t->qh = (t->qh + 1) % O.inflight;
    t->qn--;
    char want[48];
    int wl = snprintf(want, sizeof want, "\"c%d-%" PRIu64 "\"", c->idx, p.seq);
    if (m->id.n != (size_t)wl || memcmp(m->id.p, want, (size_t)wl) != 0)
        S.ack_id_mismatch++;
    if (rev != c->rev)
        S.rev_anom++;
    c->rev = rev + 1;
    c->len += p.kind == K_INS ? 1 : p.kind == K_DEL ? -1 : 0;
    t->acked++;
    W[c->wk].acked++;
    if (in_window(p.t_ns))
        hist_add(&H_ack, since(now, p.t_ns));
    if (in_window(now))
        S.acks++;
    if (O.mode == M_THROUGHPUT)
        typer_fill(t);
}

static void on_error_msg(client *c, const msgf *m)
{
    static int shown;
    S.errors++;
    count_code(m->code);
    if (shown++ < 10)
        fprintf(stderr, "client %d: error %.*s re %.*s id %.*s: %.*s\n", c->idx, (int)m->code.n, m->code.p,
                (int)m->re.n, m->re.p, (int)m->id.n, m->id.p, (int)m->message.n, m->message.p);
    if (c->st == CS_PENDING) { /* the join was refused */
        c->st = CS_FAILED;
        g_pending--;
        g_failed++;
        c->closing = 1;
        ws_close(&c->ws, 1000);
        return;
    }
    typer *t = c->t;
    if (!t || !t->qn || !js_str_is(m->re, "op"))
        return;
    /* The server answers in order, so the refused op is our oldest in
     * flight; it will never be broadcast, so its send time leaves the ring. */
    t->errors++;
    uint32_t idx = t->nslot - (uint32_t)t->qn;
    for (uint32_t s = idx; s + 1 < t->nslot; s++)
        t->ring[s % RING] = t->ring[(s + 1) % RING];
    t->nslot--;
    t->qh = (t->qh + 1) % O.inflight;
    t->qn--;
    if (O.mode == M_THROUGHPUT)
        typer_fill(t);
}

/* ---------------------------------------------------------- trace mode */

static struct {
    trace tr;
    size_t next, acked;
    int64_t base;
    uint64_t t0, t1, last_progress, last_report;
    size_t report_acked;
    char *buf;
    size_t bufsz;
    int failed;
    char why[256];
    int verified;       /* 0 not yet, 1 pass, -1 fail */
    char *final_text;
    size_t final_len;
    int64_t final_rev;
} TR;

static void trace_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void trace_fail(const char *fmt, ...)
{
    if (TR.failed)
        return;
    TR.failed = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(TR.why, sizeof TR.why, fmt, ap);
    va_end(ap);
}

static void trace_pump(client *c)
{
    while (!TR.failed && TR.next < TR.tr.ntx && TR.next - TR.acked < (size_t)O.inflight && c->ws.state == WS_OPEN) {
        size_t i = TR.next;
        size_t ol = TR.tr.off[i + 1] - TR.tr.off[i];
        /* We are the only writer, so the revision each op applies to is
         * known in advance: base + i. Labelling it so (instead of with the
         * last acked revision) keeps op i from being transformed over our own
         * earlier ops, which it already follows. */
        int n = snprintf(TR.buf, TR.bufsz, "{\"type\":\"op\",\"id\":\"t%zu\",\"rev\":%" PRId64 ",\"op\":", i,
                         TR.base + (int64_t)i);
        memcpy(TR.buf + n, TR.tr.ops + TR.tr.off[i], ol);
        TR.buf[n + (int)ol] = '}';
        if (C[0].t)
            C[0].t->ring[i % RING] = now_ns();
        if (ws_send_text(&c->ws, TR.buf, (size_t)n + ol + 1) < 0)
            return;
        TR.next++;
    }
}

static void trace_on_msg(client *c, const char *data, size_t len, const msgf *m, uint64_t now)
{
    if (js_str_is(m->type, "welcome")) {
        cJSON *j = cJSON_ParseWithLength(data, len);
        const cJSON *doc = cJSON_GetObjectItemCaseSensitive(j, "doc");
        const cJSON *rev = cJSON_GetObjectItemCaseSensitive(doc, "rev");
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(doc, "text");
        if (!cJSON_IsNumber(rev) || !cJSON_IsString(text)) {
            cJSON_Delete(j);
            trace_fail("welcome without doc.rev/doc.text");
            return;
        }
        c->st = CS_JOINED;
        if (c->idx == 0) {
            TR.base = (int64_t)rev->valuedouble;
            if (strlen(text->valuestring) != TR.tr.start_len || memcmp(text->valuestring, TR.tr.start, TR.tr.start_len))
                trace_fail("the workshop's text (%zu code points) is not the trace's startContent",
                           utf8_cps(text->valuestring, strlen(text->valuestring)));
            cJSON_Delete(j);
            TR.t0 = TR.last_progress = TR.last_report = now;
            trace_pump(c);
        } else {
            TR.final_rev = (int64_t)rev->valuedouble;
            TR.final_len = strlen(text->valuestring);
            TR.final_text = malloc(TR.final_len + 1);
            memcpy(TR.final_text, text->valuestring, TR.final_len + 1);
            cJSON_Delete(j);
            TR.verified = TR.final_len == TR.tr.end_len && memcmp(TR.final_text, TR.tr.end, TR.final_len) == 0 ? 1 : -1;
        }
        return;
    }
    if (js_str_is(m->type, "ack")) {
        int ok;
        int64_t rev = js_int(m->rev, &ok);
        char want[32];
        int wl = snprintf(want, sizeof want, "\"t%zu\"", TR.acked);
        if (m->id.n != (size_t)wl || memcmp(m->id.p, want, (size_t)wl) != 0) {
            trace_fail("ack out of order: got id %.*s, expected op t%zu", (int)m->id.n, m->id.p, TR.acked);
            return;
        }
        if (!ok || rev != TR.base + (int64_t)TR.acked) {
            static int shown;
            S.rev_anom++;
            if (shown++ < 5)
                fprintf(stderr, "trace: op %zu acked at rev %" PRId64 ", expected %" PRId64 "\n", TR.acked, rev,
                        TR.base + (int64_t)TR.acked);
        }
        if (C[0].t)
            hist_add(&H_ack, since(now, C[0].t->ring[TR.acked % RING]));
        TR.acked++;
        TR.last_progress = now;
        if (TR.acked == TR.tr.ntx)
            TR.t1 = now;
        trace_pump(c);
        return;
    }
    if (js_str_is(m->type, "error")) {
        S.errors++;
        count_code(m->code);
        fprintf(stderr, "trace: error %.*s re %.*s id %.*s: %.*s\n", (int)m->code.n, m->code.p, (int)m->re.n,
                m->re.p, (int)m->id.n, m->id.p, (int)m->message.n, m->message.p);
        if (O.inflight > 1)
            fprintf(stderr, "trace: with --inflight > 1 op i is labelled with revision base+i, which the server "
                            "may not have reached yet; a server that refuses that needs --inflight 1\n");
        trace_fail("server refused a message (%zu ops acked before): see the error above", TR.acked);
        return;
    }
    if (js_str_is(m->type, "op") && c->idx == 0)
        S.rev_anom++; /* someone else writes in our workshop */
}

/* ------------------------------------------------------------ callbacks */

static void cb_open(ws_conn *wc)
{
    client *c = (client *)wc;
    const workshop *w = &W[c->wk];
    char msg[512], key[100] = "";
    int fac = c->idx == g_fac;
    if (fac) /* the facilitator's key makes this one the facilitator */
        snprintf(key, sizeof key, ",\"key\":\"%s\"", w->key);
    int n = snprintf(msg, sizeof msg,
                     "{\"type\":\"join\",\"id\":1,\"workshop\":\"%s\",\"name\":\"%s %d\",\"organisation\":\"%s\"%s}",
                     w->id, O.mode == M_TRACE ? "Rejeu" : fac ? "Animatrice" : c->t ? "Rédactrice" : "Lecteur", c->idx,
                     ORGS[c->idx % (int)(sizeof ORGS / sizeof *ORGS)], key);
    ws_send_text(wc, msg, (size_t)n);
}

/* A receiver that is not sampled only counts an op and checks that it comes
 * with the next revision; the server writes `{"type":"op","rev":N,` first
 * (proto_write_op). 1 if the message was such an op, 0 to read it fully. */
static int op_counted(client *c, const char *data, size_t len, uint64_t now)
{
    static const char prefix[] = "{\"type\":\"op\",\"rev\":";
    size_t pl = sizeof prefix - 1, i = pl;
    int64_t rev = 0;
    if (len <= pl || memcmp(data, prefix, pl) != 0)
        return 0;
    while (i < len && i < pl + 18 && data[i] >= '0' && data[i] <= '9')
        rev = rev * 10 + (data[i++] - '0');
    if (i == pl || i >= len || data[i] != ',')
        return 0;
    op_count(c, rev, now);
    return 1;
}

/* The facilitator of an assembly: its welcome, the poll it opens, the results it sees. */
static void fac_message(client *c, const char *data, size_t len, const msgf *m, uint64_t now)
{
    if (js_str_is(m->type, "welcome"))
        c->st = CS_JOINED;
    else if (js_str_is(m->type, "poll"))
        asm_on_poll(-1, data, len, now);
    else if (js_str_is(m->type, "results"))
        asm_on_results(-1, data, len);
    else if (js_str_is(m->type, "error"))
        fprintf(stderr, "facilitator: error %.*s re %.*s: %.*s\n", (int)m->code.n, m->code.p, (int)m->re.n, m->re.p,
                (int)m->message.n, m->message.p);
}

/* The poll messages of an assembly's clients; 1 if m was one. */
static int poll_message(client *c, const char *data, size_t len, const msgf *m, uint64_t now)
{
    if (O.mode != M_ASSEMBLY)
        return 0;
    if (js_str_is(m->type, "results"))
        asm_on_results(c->idx, data, len);
    else if (js_str_is(m->type, "my_ballot")) {
        asm_on_my_ballot(c->idx, m, data, len, now);
        if (!c->sampled && m->id.p)
            ws_set_slow(&c->ws, 1);
    } else if (js_str_is(m->type, "poll"))
        asm_on_poll(c->idx, data, len, now);
    else if (js_str_is(m->type, "error") && js_str_is(m->re, "vote")) {
        asm_on_vote_error(c->idx, m, now);
        if (!c->sampled)
            ws_set_slow(&c->ws, 1);
    } else
        return 0;
    return 1;
}

static void cb_message(ws_conn *wc, const char *data, size_t len)
{
    client *c = (client *)wc;
    uint64_t now = g_batch_ns;
    msgf m;
    if (!c->sampled && !c->t && c->st == CS_JOINED && op_counted(c, data, len, now))
        return;
    if (parse_msg(data, len, &m) < 0) {
        static int shown;
        S.bad_msg++;
        if (shown++ < 5)
            fprintf(stderr, "client %d: unreadable message: %.*s\n", c->idx, (int)(len > 200 ? 200 : len), data);
        return;
    }
    if (O.verbose > 1)
        fprintf(stderr, "client %d <- %.*s\n", c->idx, (int)(len > 300 ? 300 : len), data);
    if (O.mode == M_TRACE) {
        trace_on_msg(c, data, len, &m, now);
        return;
    }
    if (c->idx == g_fac) {
        fac_message(c, data, len, &m, now);
        return;
    }
    if (c->idx >= NC) { /* a checker: only its welcome matters */
        if (js_str_is(m.type, "welcome") && c->st == CS_PENDING) {
            cJSON *j = cJSON_ParseWithLength(data, len);
            const cJSON *doc = cJSON_GetObjectItemCaseSensitive(j, "doc");
            const cJSON *rev = cJSON_GetObjectItemCaseSensitive(doc, "rev");
            const cJSON *text = cJSON_GetObjectItemCaseSensitive(doc, "text");
            if (cJSON_IsNumber(rev) && cJSON_IsString(text)) {
                W[c->wk].final_rev = (int64_t)rev->valuedouble;
                W[c->wk].final_len = (int64_t)utf8_cps(text->valuestring, strlen(text->valuestring));
            }
            cJSON_Delete(j);
            c->st = CS_JOINED;
        }
        return;
    }
    /* Broadcasts and acks are nearly all the traffic: test them first. */
    if (js_str_is(m.type, "op"))
        on_op_msg(c, &m, now);
    else if (js_str_is(m.type, "ack"))
        on_ack(c, &m, now);
    else if (poll_message(c, data, len, &m, now))
        ;
    else if (js_str_is(m.type, "welcome")) {
        if (c->st == CS_PENDING)
            on_welcome(c, data, len);
    } else if (js_str_is(m.type, "error"))
        on_error_msg(c, &m);
    else if (in_window(now))
        S.other_rx++;
}

static void cb_close(ws_conn *wc, int code, const char *reason)
{
    client *c = (client *)wc;
    static int shown;
    if (c->closing)
        return;
    if (shown++ < 10)
        fprintf(stderr, "client %d: connection lost (%s, code %d: %s)\n", c->idx,
                c->st == CS_PENDING ? "while joining" : "after joining", code, reason ? reason : "");
    if (c->st == CS_PENDING) {
        g_pending--;
        g_failed++;
        c->st = CS_FAILED;
    } else if (c->st == CS_JOINED) {
        g_lost++;
        c->st = CS_GONE;
    }
    if (c->t) {
        c->t->dead = 1;
        c->t->qn = 0;
    }
    if (O.mode == M_ASSEMBLY && c->idx < NC)
        asm_on_lost(c->idx);
    if (O.mode == M_TRACE && !TR.verified)
        trace_fail("replay connection lost (code %d: %s)", code, reason ? reason : "");
}

static const ws_handlers HANDLERS = {cb_open, cb_message, cb_close};

/* ----------------------------------------------------------------- loop */

/* Every receiver that is not sampled, read once every --unsampled-every ms:
 * fewer, larger reads (and fewer TCP acks) for those whose receive times
 * are not measured. */
static void read_unsampled(void)
{
    static struct epoll_event ev[1024];
    for (int round = 0; round < 64; round++) {
        int n = epoll_wait(ws_g.epfd_slow, ev, 1024, 0);
        g_batch_ns = now_ns();
        for (int i = 0; i < n; i++)
            ws_handle((ws_conn *)ev[i].data.ptr, ev[i].events);
        if (n < 1024)
            return;
    }
}

static void loop_once(uint64_t deadline)
{
    static struct epoll_event ev[1024];
    uint64_t now = now_ns();
    uint64_t until = deadline;
    if ((O.mode == M_TYPING || O.mode == M_ASSEMBLY) && g_heap_n && (g_phase == P_WARMUP || g_phase == P_MEASURE) &&
        g_heap[0]->next_tick < until)
        until = g_heap[0]->next_tick;
    if (O.mode == M_ASSEMBLY && asm_next_due() < until)
        until = asm_next_due();
    if (ws_g.epfd_slow > 0 && g_slow_next < until)
        until = g_slow_next;
    int ms = until <= now ? 0 : (int)((until - now + 999999) / 1000000);
    if (ms > 100)
        ms = 100;
    int n = epoll_wait(ws_g.epfd, ev, 1024, ms);
    g_batch_ns = now_ns();
    for (int i = 0; i < n; i++)
        ws_handle((ws_conn *)ev[i].data.ptr, ev[i].events);
    now = now_ns();
    /* Every read of the batch ended before now: a kernel time after it
     * would mean the clock conversion is wrong. */
    if (g_batch_rx_max > now)
        RX.after_batch++;
    g_batch_rx_max = 0;
    if (n > 0) {
        uint64_t d = now - g_batch_ns;
        g_batches++;
        g_batch_total_ns += d;
        if (d > g_batch_max_ns && g_phase == P_MEASURE)
            g_batch_max_ns = d;
    }
    if (ws_g.epfd_slow > 0 && now >= g_slow_next) {
        read_unsampled();
        now = now_ns();
        g_slow_next = now + (uint64_t)O.lazy_ms * 1000000ull;
    }
    run_ticks(now);
}

static void run_for(double seconds)
{
    uint64_t end = now_ns() + (uint64_t)(seconds * 1e9);
    while (!g_stop && now_ns() < end)
        loop_once(end);
}

static void open_more(void)
{
    static int shown;
    while (g_next_open < NC && g_pending < O.batch) {
        client *c = &C[g_next_open++];
        if (ws_connect(&c->ws) < 0) {
            if (shown++ < 5)
                fprintf(stderr, "client %d: cannot open a socket: %s\n", c->idx, strerror(errno));
            c->st = CS_FAILED;
            g_failed++;
            continue;
        }
        c->st = CS_PENDING;
        g_pending++;
    }
}

/* joinstorm: the server's CPU time (s) when the first k tenths of the
 * connections had joined, k = 0..10, and the joins counted then. */
static double g_storm_cpu[11];
static int g_storm_joined[11], g_storm_step;

static void storm_sample(void)
{
    while (O.mode == M_STORM && O.nspids && g_storm_step <= 10 && g_joined >= g_storm_step * NC / 10) {
        g_storm_cpu[g_storm_step] = servers_cpu_s();
        g_storm_joined[g_storm_step++] = g_joined;
    }
}

/* Open every connection, at most --connect-batch joining at once. */
static double join_all(void)
{
    uint64_t t0 = now_ns(), end = t0 + (uint64_t)(O.join_timeout * 1e9), last = t0;
    g_phase = P_JOIN;
    while (!g_stop && g_joined + g_failed < NC) {
        storm_sample();
        open_more();
        uint64_t now = now_ns();
        if (now > end) {
            fprintf(stderr, "join timeout: %d of %d joined, %d pending\n", g_joined, NC, g_pending);
            break;
        }
        if (O.verbose && now - last > 2000000000ull) {
            fprintf(stderr, "  ... %d joined, %d failed, %d pending\n", g_joined, g_failed, g_pending);
            last = now;
        }
        loop_once(now + 50000000ull);
    }
    storm_sample();
    return (double)(now_ns() - t0) / 1e9;
}

/* The CPU per join of each tenth, and the last tenth's against the first's. */
static void storm_report(void)
{
    if (O.mode != M_STORM || g_storm_step < 2)
        return;
    double us[10] = {0};
    int tenths = g_storm_step - 1; /* those every join of which was counted (10 unless the joins timed out) */
    printf("server CPU per join by tenth of the joins (people already there):");
    for (int k = 0; k < tenths; k++) {
        int n = g_storm_joined[k + 1] - g_storm_joined[k];
        us[k] = n > 0 ? (g_storm_cpu[k + 1] - g_storm_cpu[k]) * 1e6 / n : 0;
        printf(" %d-%d: %.0f us;", g_storm_joined[k], g_storm_joined[k + 1], us[k]);
    }
    printf("\nRESULT mode=joinstorm tenths=%d first_tenth_us=%.0f last_tenth_us=%.0f last_over_first=%.2f\n", tenths,
           us[0], us[tenths - 1], us[0] > 0 ? us[tenths - 1] / us[0] : 0);
}

static void close_all(void)
{
    for (int i = 0; i < NC; i++) {
        if (C[i].ws.state == WS_OPEN || C[i].ws.state == WS_CONNECTING || C[i].ws.state == WS_HANDSHAKE) {
            C[i].closing = 1;
            ws_close(&C[i].ws, 1000);
        }
    }
}

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

/* ---------------------------------------------------------------- setup */

int server_of(int i, int groups)
{
    return ws_g.nsrv > 1 ? (i / (groups > 0 ? groups : 1)) % ws_g.nsrv : 0;
}

void report_addresses(int nclients, int groups)
{
    if (ws_g.nsrv < 2)
        return;
    int n[WS_MAX_SERVERS] = {0};
    for (int i = 0; i < nclients; i++)
        n[server_of(i, groups)]++;
    printf("clients per server address:");
    for (int s = 0; s < ws_g.nsrv; s++)
        printf(" %s %d%s", ws_g.srv[s].host, n[s], s + 1 < ws_g.nsrv ? ";" : "\n");
}

int create_workshop(int i, char *id, size_t idsz, char *key, size_t keysz)
{
    char body[1024];
    int n = snprintf(body, sizeof body, "{\"title\":\"Banc d'essai n°%d – charge\",\"text\":\"%s\"}", i + 1,
                     O.mode == M_TRACE ? "" : INITIAL_TEXT);
    char *resp = NULL;
    int st = http_request("POST", "/api/workshops", "application/json", body, (size_t)n, &resp, 10000);
    if (st != 201 && st != 200) {
        fprintf(stderr, "POST /api/workshops: status %d: %.300s\n", st, resp ? resp : "(no reply)");
        free(resp);
        return -1;
    }
    cJSON *j = cJSON_Parse(resp);
    const cJSON *jid = cJSON_GetObjectItemCaseSensitive(j, "id");
    const cJSON *jkey = cJSON_GetObjectItemCaseSensitive(j, "facilitator_key");
    int rc = -1;
    if (cJSON_IsString(jid) && strlen(jid->valuestring) < idsz && cJSON_IsString(jkey) &&
        strlen(jkey->valuestring) < keysz) {
        strcpy(id, jid->valuestring);
        strcpy(key, jkey->valuestring);
        rc = 0;
    } else {
        fprintf(stderr, "POST /api/workshops: no id in reply: %.300s\n", resp);
    }
    cJSON_Delete(j);
    free(resp);
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: atelier-load [options]\n"
            "  --mode M            typing | throughput | idle | trace | mixed | joinstorm | assembly [typing]\n"
            "  --url HOST:PORT[,HOST:PORT...]  server(s) (IPv4 literal or localhost) [127.0.0.1:8080];\n"
            "                      several: processes sharing one Redis, each workshop's clients dealt out\n"
            "                      round-robin over them (HTTP setup requests go to the first)\n"
            "  --workshop ID       use this workshop instead of creating them\n"
            "  --clients N         connections (typing 200, throughput = typers, idle 10000)\n"
            "  --workshops W       workshops created and filled round-robin (idle: N/100, else 1)\n"
            "  --typers K          clients that type (typing 20, throughput 20, idle 0)\n"
            "  --rate R            ops/s per typer in typing mode                 [5]\n"
            "  --duration D        measured window / idle hold, seconds           [30]\n"
            "  --warmup S          typing before the window opens, seconds        [3]\n"
            "  --inflight F        ops in flight per typer (throughput, trace)    [1]\n"
            "  --trace FILE        trace to replay (.json.gz) in trace mode\n"
            "  --expect-sha256 H   trace mode: also require this SHA-256 of the final text\n"
            "  --server-pid PID[,PID...]  read server CPU and RSS from /proc/PID (summed over all)\n"
            "  --sample K          only K receivers match ops to their send time for e2e; the others\n"
            "                      count them and check their revisions   [all up to 1000 clients, else 1000]\n"
            "  --unsampled-every MS  read the receivers that are not sampled every MS ms, once joined\n"
            "                      (fewer, larger reads; 0: as their bytes come)    [100 when sampling]\n"
            "  --redis-pid PID     also report Redis CPU in the window\n"
            "  --connect-batch B   connections opening/joining at once            [256]\n"
            "  --settle S          idle wait after joins before measuring, s      [2]\n"
            "  --drain S           max wait for outstanding acks/broadcasts, s   [10]\n"
            "  --join-timeout S    give up joining after S seconds                [180]\n"
            "  --stall S           trace mode: fail if no ack for S seconds       [30]\n"
            "  --seed N            random seed for positions/text                 [1]\n"
            "  --verbose           progress on stderr (twice: every message)\n"
            "mixed mode (typing, joins and leaves with resume, polls with votes, history reads; checks at the end):\n"
            "  --redis HOST:PORT   the server's Redis, read directly to check acked ops and ballots\n"
            "  --server-pid-file F read the server's pid from F at every RSS sample (it may restart)\n"
            "  --poll-secs S       one poll per workshop every S seconds (open for 3/4 of it)   [40]\n"
            "  --churn-secs S      each participant leaves after ~S s (exponential), back 1-5 s later [120]\n"
            "  --history-secs S    one history page read every S seconds                   [1]\n"
            "  --rss-secs S        server RSS sampled every S seconds                      [5]\n"
            "  --rss-warmup S      RSS growth counted from S s after the server (re)started [60]\n"
            "assembly mode (typing's options; --clients 10000 --typers 20; one workshop):\n"
            "  --vote-window S     after the warm-up a facilitator opens a poll; every client votes once,\n"
            "                      at a random moment of the next S seconds                [5]\n"
            "  --help\n");
}

/* --server-pid A,B,... */
static void parse_pids(const char *list)
{
    O.nspids = 0;
    for (const char *p = list; *p;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v <= 0 || O.nspids == WS_MAX_SERVERS || (*end && *end != ',')) {
            fprintf(stderr, "bad --server-pid %s (want PID[,PID...])\n", list);
            exit(2);
        }
        O.spids[O.nspids++] = (int)v;
        p = *end ? end + 1 : end;
    }
    O.server_pid = O.nspids ? O.spids[0] : 0;
}

static void parse_args(int argc, char **argv)
{
    static const struct option lo[] = {
        {"mode", 1, 0, 'm'},          {"url", 1, 0, 'u'},       {"workshop", 1, 0, 'w'},
        {"clients", 1, 0, 'n'},       {"workshops", 1, 0, 'W'}, {"typers", 1, 0, 'k'},
        {"rate", 1, 0, 'r'},          {"duration", 1, 0, 'd'},  {"warmup", 1, 0, 'a'},
        {"inflight", 1, 0, 'f'},      {"trace", 1, 0, 't'},     {"server-pid", 1, 0, 'p'},
        {"connect-batch", 1, 0, 'b'}, {"drain", 1, 0, 'D'},     {"join-timeout", 1, 0, 'J'},
        {"stall", 1, 0, 'S'},         {"seed", 1, 0, 's'},      {"verbose", 0, 0, 'v'},
        {"expect-sha256", 1, 0, 'E'}, {"settle", 1, 0, 'L'},    {"help", 0, 0, 'h'},
        {"redis-pid", 1, 0, 'R'},
        {"redis", 1, 0, 1000},        {"server-pid-file", 1, 0, 1001}, {"poll-secs", 1, 0, 1002},
        {"churn-secs", 1, 0, 1003},   {"history-secs", 1, 0, 1004},    {"rss-secs", 1, 0, 1005},
        {"rss-warmup", 1, 0, 1006},   {"sample", 1, 0, 1007},          {"vote-window", 1, 0, 1008},
        {"unsampled-every", 1, 0, 1009},
        {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "m:u:w:n:W:k:r:d:a:f:t:p:b:D:J:S:s:vE:L:hR:", lo, NULL)) != -1) {
        switch (ch) {
        case 'm':
            if (!strcmp(optarg, "typing"))
                O.mode = M_TYPING;
            else if (!strcmp(optarg, "idle"))
                O.mode = M_IDLE;
            else if (!strcmp(optarg, "joinstorm"))
                O.mode = M_STORM;
            else if (!strcmp(optarg, "throughput"))
                O.mode = M_THROUGHPUT;
            else if (!strcmp(optarg, "trace"))
                O.mode = M_TRACE;
            else if (!strcmp(optarg, "assembly"))
                O.mode = M_ASSEMBLY;
            else if (!strcmp(optarg, "mixed"))
                O.mode = M_MIXED;
            else {
                fprintf(stderr, "unknown mode %s\n", optarg);
                exit(2);
            }
            break;
        case 'u': O.url = optarg; break;
        case 'w': O.workshop = optarg; break;
        case 'n': O.clients = atoi(optarg); break;
        case 'W': O.workshops = atoi(optarg); break;
        case 'k': O.typers = atoi(optarg); break;
        case 'r': O.rate = atof(optarg); break;
        case 'd': O.duration = atof(optarg); break;
        case 'a': O.warmup = atof(optarg); break;
        case 'f': O.inflight = atoi(optarg); break;
        case 't': O.trace = optarg; break;
        case 'p': parse_pids(optarg); break;
        case 'R': O.redis_pid = atoi(optarg); break;
        case 'b': O.batch = atoi(optarg); break;
        case 'D': O.drain = atof(optarg); break;
        case 'J': O.join_timeout = atof(optarg); break;
        case 'S': O.stall = atof(optarg); break;
        case 's': O.seed = strtoul(optarg, NULL, 10); break;
        case 'v': O.verbose++; break;
        case 'E': O.expect_sha = optarg; break;
        case 'L': O.settle = atof(optarg); break;
        case 1000: O.mx.redis = optarg; break;
        case 1001: O.mx.server_pid_file = optarg; break;
        case 1002: O.mx.poll_secs = atof(optarg); break;
        case 1003: O.mx.churn_secs = atof(optarg); break;
        case 1004: O.mx.history_secs = atof(optarg); break;
        case 1005: O.mx.rss_secs = atof(optarg); break;
        case 1006: O.mx.rss_warmup = atof(optarg); break;
        case 1007: O.sample = atoi(optarg); break;
        case 1008: O.vote_window = atof(optarg); break;
        case 1009: O.lazy_ms = atoi(optarg); break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); exit(2);
        }
    }
    if (optind < argc) {
        usage(stderr);
        exit(2);
    }
    switch (O.mode) {
    case M_TYPING:
        if (O.clients < 0) O.clients = 200;
        if (O.typers < 0) O.typers = 20;
        if (O.workshops < 0) O.workshops = 1;
        O.inflight = 1; /* like a ShareDB client */
        break;
    case M_THROUGHPUT:
        if (O.typers < 0) O.typers = 20;
        if (O.clients < 0) O.clients = O.typers;
        O.workshops = 1;
        break;
    case M_STORM: /* idle's, in one workshop */
        if (O.clients < 0) O.clients = 10000;
        O.typers = 0;
        if (O.workshops < 0) O.workshops = 1;
        break;
    case M_IDLE:
        if (O.clients < 0) O.clients = 10000;
        O.typers = 0;
        if (O.workshops < 0) O.workshops = (O.clients + 99) / 100;
        break;
    case M_MIXED:
        if (O.clients < 0) O.clients = 300;
        if (O.workshops < 0) O.workshops = 10;
        if (O.typers < 0) O.typers = O.clients / 5;
        if (O.workshop || !O.mx.redis || O.workshops * 3 > O.clients || O.mx.poll_secs < 4 ||
            O.mx.churn_secs <= 0 || O.mx.history_secs <= 0 || O.mx.rss_secs <= 0) {
            fprintf(stderr, "--mode mixed creates its workshops (no --workshop), needs --redis, at least 3 clients a "
                            "workshop, --poll-secs >= 4 and positive --churn-secs, --history-secs, --rss-secs\n");
            exit(2);
        }
        break;
    case M_ASSEMBLY:
        if (O.clients < 0) O.clients = 10000;
        if (O.typers < 0) O.typers = 20;
        O.workshops = 1;
        O.inflight = 1;
        if (O.workshop || O.vote_window <= 0) {
            fprintf(stderr, "--mode assembly creates its workshop (no --workshop) and needs --vote-window > 0\n");
            exit(2);
        }
        break;
    case M_TRACE:
        O.clients = 2; /* the replayer, then a fresh client that reads the result */
        O.typers = 0;
        O.workshops = 1;
        if (!O.trace) {
            fprintf(stderr, "--mode trace needs --trace FILE\n");
            exit(2);
        }
        break;
    }
    if (O.workshop)
        O.workshops = 1;
    if (O.clients < 1 || O.workshops < 1 || O.typers < 0 || O.typers > O.clients || O.inflight < 1 ||
        O.inflight > 1000 || O.rate <= 0 || O.duration < 0 || O.batch < 1) {
        fprintf(stderr, "bad option values (need clients>=1, 0<=typers<=clients, 1<=inflight<=1000, rate>0)\n");
        exit(2);
    }
    if (O.workshops > O.clients)
        O.workshops = O.clients;
    if (O.sample < 0)
        O.sample = O.clients > 1000 ? 1000 : 0;
    if (O.sample >= O.clients)
        O.sample = 0; /* 0: every receiver is sampled */
    if (O.lazy_ms < 0)
        O.lazy_ms = O.sample ? 100 : 0;
}

static void raise_nofile(int need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
        if ((rlim_t)need + 32 > rl.rlim_cur)
            fprintf(stderr, "warning: open-file limit %lu is below the %d connections asked for\n",
                    (unsigned long)rl.rlim_cur, need);
    }
}

static double ms(uint64_t ns) { return (double)ns / 1e6; }

static void print_lat(const char *what, const hist *h)
{
    if (!h->count) {
        printf("%-28s no samples\n", what);
        return;
    }
    printf("%-28s n=%" PRIu64 "  p50 %.3f  p90 %.3f  p99 %.3f  max %.3f  mean %.3f ms\n", what, h->count,
           ms(hist_quantile(h, 0.50)), ms(hist_quantile(h, 0.90)), ms(hist_quantile(h, 0.99)), ms(h->max),
           h->sum / (double)h->count / 1e6);
}

/* The kernel-stamped e2e figure and its checks. Returns 1 if its RESULT keys
 * may be printed. */
static int rx_report(void)
{
    if (!ws_g.rx_tstamp) {
        printf("kernel receive times: unavailable (setsockopt SO_TIMESTAMPNS: %s); no e2e_rx figure\n",
               strerror(ws_g.rx_tstamp_err));
        return 0;
    }
    if (!H_rx.count) {
        printf("kernel receive times: none came with the reads (%" PRIu64 " broadcasts without); no e2e_rx figure\n",
               RX.no_ts);
        return 0;
    }
    print_lat("latency e2e, kernel rx time", &H_rx);
    uint64_t nd = RX.n - RX.before_send;
    int64_t drift = g_rt_off1 - g_rt_off0;
    printf("  kernel times: %" PRIu64 " broadcasts stamped, %" PRIu64 " not; %" PRIu64
           " read with bytes that followed them (stamped with the read's last segment: theirs if sent together, "
           "else later); epoll return - kernel time: mean %.1f us, max %.3f ms\n",
           RX.n, RX.no_ts, RX.not_last, nd ? (double)RX.diff_sum / (double)nd / 1e3 : 0.0, (double)RX.diff_max / 1e6);
    printf("  later than the epoll return: %" PRIu64 " (%" PRIu64 " came after it, read behind earlier bytes; %" PRIu64
           " read with later bytes, stamped with theirs); impossible: %" PRIu64 " later but alone in their read, %" PRIu64
           " before the send, %" PRIu64 " batches ending before a time read in them\n",
           RX.late_own + RX.late_joined + RX.late_alone, RX.late_own, RX.late_joined, RX.late_alone, RX.before_send,
           RX.after_batch);
    printf("  realtime - monotonic offset moved %+" PRId64 " ns over the run (each read to +-%" PRIu64 " ns)\n", drift,
           g_rt_err);
    if ((uint64_t)(drift < 0 ? -drift : drift) > 10000 + 2 * g_rt_err) {
        printf("kernel receive times: the realtime clock was stepped during the run; no e2e_rx figure\n");
        return 0;
    }
    if (RX.before_send || RX.after_batch || RX.late_alone)
        printf("kernel receive times: impossible values above: the clock conversion is wrong, do not trust e2e_rx\n");
    return 1;
}

void print_codes(void)
{
    for (int i = 0; i < MAX_CODES && g_codes[i].code[0]; i++)
        printf("  error %-14s %" PRIu64 "\n", g_codes[i].code, g_codes[i].n);
}

static void sha_hex(const char *s, size_t n, char out[65])
{
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)s, n, d);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void free_all(void)
{
    for (int i = 0; C && i < NC + NW + (g_fac >= 0); i++) {
        ws_free(&C[i].ws);
        free(C[i].seen);
    }
    if (g_fac >= 0)
        asm_free();
    for (int i = 0; T && i < NT; i++)
        free(T[i].q);
    for (int i = 0; W && i < NW; i++) {
        free(W[i].typers);
        free(W[i].hslot);
    }
    free(T);
    free(C);
    free(W);
    free(g_heap);
    T = NULL;
    C = NULL;
    W = NULL;
    g_heap = NULL;
}

/* ------------------------------------------------------------------ modes */

static int run_trace(void)
{
    char err[256];
    uint64_t l0 = now_ns();
    if (trace_load(O.trace, &TR.tr, err, sizeof err) < 0) {
        fprintf(stderr, "trace: %s\n", err);
        return 2;
    }
    printf("trace %s: %zu transactions, %zu patches (%zu multi-patch transactions composed into one op each) "
           "-> %zu ops (%zu extra from splitting ops over %d bytes); endContent %zu code points; "
           "loaded and checked locally in %.2f s\n",
           O.trace, TR.tr.ntxn, TR.tr.npatches, TR.tr.multi, TR.tr.ntx, TR.tr.nsplit, 48 * 1024, TR.tr.end_cps,
           (double)(now_ns() - l0) / 1e9);
    TR.bufsz = TR.tr.max_op_bytes + 128;
    TR.buf = xcalloc(1, TR.bufsz);
    /* Reuse a typer struct only for its ring of send times. */
    T = xcalloc(1, sizeof *T);
    C[0].t = T;
    T->c = &C[0];
    double cpu0 = servers_cpu_s();
    double self0 = self_cpu_s();
    double mb0 = machine_busy_s();
    double rc0 = O.redis_pid ? proc_cpu_s(O.redis_pid) : -1;
    g_phase = P_MEASURE;
    if (ws_connect(&C[0].ws) < 0) {
        fprintf(stderr, "cannot connect: %s\n", strerror(errno));
        return 2;
    }
    C[0].st = CS_PENDING;
    uint64_t last_report = now_ns();
    size_t last_acked = 0;
    while (!g_stop && !TR.failed && (TR.acked < TR.tr.ntx || !TR.t1)) {
        uint64_t now = now_ns();
        loop_once(now + 100000000ull);
        now = now_ns();
        uint64_t ref = TR.last_progress ? TR.last_progress : l0;
        if (now - ref > (uint64_t)(O.stall * 1e9)) {
            trace_fail("stalled: no ack for %.0f s (%zu of %zu acked)", O.stall, TR.acked, TR.tr.ntx);
            break;
        }
        if (now - last_report > 5000000000ull && TR.t0) {
            fprintf(stderr, "  trace: %zu/%zu acked, %.0f ops/s\n", TR.acked, TR.tr.ntx,
                    (double)(TR.acked - last_acked) / ((double)(now - last_report) / 1e9));
            last_report = now;
            last_acked = TR.acked;
        }
        if (TR.tr.ntx == 0 && C[0].st == CS_JOINED)
            TR.t1 = now;
    }
    double cpu1 = servers_cpu_s();
    double self1 = self_cpu_s();
    double mb1 = machine_busy_s();
    double rc1 = O.redis_pid ? proc_cpu_s(O.redis_pid) : -1;
    double secs = TR.t1 > TR.t0 ? (double)(TR.t1 - TR.t0) / 1e9 : 0;
    if (!TR.failed && !g_stop) {
        /* A fresh client reads the server's text: what anyone joining now would see. */
        if (ws_connect(&C[1].ws) < 0) {
            trace_fail("cannot connect the checking client");
        } else {
            C[1].st = CS_PENDING;
            uint64_t end = now_ns() + 30000000000ull;
            while (!g_stop && !TR.failed && !TR.verified && now_ns() < end)
                loop_once(end);
            if (!TR.verified)
                trace_fail("no welcome for the checking client");
        }
    }
    close_all();
    char want[65], got[65] = "-";
    sha_hex(TR.tr.end, TR.tr.end_len, want);
    if (TR.final_text)
        sha_hex(TR.final_text, TR.final_len, got);
    int pass = !TR.failed && TR.verified == 1;
    if (pass && O.expect_sha && strcmp(O.expect_sha, got) != 0)
        pass = 0;
    if (pass && TR.final_rev != TR.base + (int64_t)TR.tr.ntx)
        pass = 0;
    printf("replay: %zu of %zu ops acked in %.2f s = %.0f ops/s (inflight %d)\n", TR.acked, TR.tr.ntx, secs,
           secs > 0 ? (double)TR.acked / secs : 0, O.inflight);
    print_lat("latency send->ack", &H_ack);
    if (cpu0 >= 0 && cpu1 >= 0 && TR.acked)
        printf("server CPU %.2f s = %.1f us per committed op\n", cpu1 - cpu0, (cpu1 - cpu0) * 1e6 / (double)TR.acked);
    if (rc0 >= 0 && rc1 >= 0 && TR.acked)
        printf("redis CPU %.2f s = %.1f us per committed op\n", rc1 - rc0, (rc1 - rc0) * 1e6 / (double)TR.acked);
    printf("load tool CPU %.2f s; machine busy %.2f CPU-s in total (%.0f %% of one core)\n", self1 - self0, mb1 - mb0,
           secs > 0 ? (mb1 - mb0) * 100 / secs : 0);
    printf("expected: %zu code points, %zu bytes, sha256 %s\n", TR.tr.end_cps, TR.tr.end_len, want);
    if (TR.final_text)
        printf("server:   rev %" PRId64 " (expected %" PRId64 "), %zu code points, %zu bytes, sha256 %s\n",
               TR.final_rev, TR.base + (int64_t)TR.tr.ntx, utf8_cps(TR.final_text, TR.final_len), TR.final_len,
               got);
    if (S.rev_anom)
        printf("acks at an unexpected revision: %" PRIu64 "\n", S.rev_anom);
    if (TR.failed)
        printf("failure: %s\n", TR.why);
    if (TR.verified == -1) {
        size_t i = 0;
        while (i < TR.final_len && i < TR.tr.end_len && TR.final_text[i] == TR.tr.end[i])
            i++;
        printf("texts differ from byte %zu: server \"%.40s\" vs expected \"%.40s\"\n", i,
               i < TR.final_len ? TR.final_text + i : "", i < TR.tr.end_len ? TR.tr.end + i : "");
    }
    printf("%s\n", pass ? "PASS" : "FAIL");
    printf("RESULT mode=trace ops=%zu acked=%zu secs=%.3f ops_per_s=%.0f inflight=%d ack_p50_ms=%.3f "
           "ack_p99_ms=%.3f server_cpu_us_per_op=%.1f sha256=%s pass=%d\n",
           TR.tr.ntx, TR.acked, secs, secs > 0 ? (double)TR.acked / secs : 0, O.inflight,
           ms(hist_quantile(&H_ack, 0.5)), ms(hist_quantile(&H_ack, 0.99)),
           cpu0 >= 0 && TR.acked ? (cpu1 - cpu0) * 1e6 / (double)TR.acked : -1.0, got, pass);
    free(TR.final_text);
    free(TR.buf);
    trace_free(&TR.tr);
    return pass ? 0 : 1;
}

/* ------------------------------------------------------------- assembly */

/* A vote in flight is read at once, so that its answer is timed. */
static int asm_send(int v, const char *msg, size_t len)
{
    if (C[v].ws.state != WS_OPEN)
        return -1;
    ws_set_slow(&C[v].ws, 0);
    return ws_send_text(&C[v].ws, msg, len);
}

/* The facilitator joins (on the first server) once the assembly is there. 0 or -1. */
static int assembly_join(void)
{
    client *f = &C[g_fac];
    if (O.verbose) /* to look at the workshop after the run */
        fprintf(stderr, "workshop %s, facilitator key %s\n", W[0].id, W[0].key);
    if (ws_connect(&f->ws) < 0) {
        fprintf(stderr, "facilitator: cannot connect: %s\n", strerror(errno));
        return -1;
    }
    f->st = CS_PENDING;
    uint64_t end = now_ns() + 10000000000ull;
    while (f->st == CS_PENDING && now_ns() < end && !g_stop)
        loop_once(now_ns() + 50000000ull);
    if (f->st != CS_JOINED) {
        fprintf(stderr, "facilitator: no welcome within 10 s\n");
        return -1;
    }
    return 0;
}

/* GET /state from every server: how many show the poll's counts as the
 * acknowledged ballots make them. */
static int assembly_state_agree(void)
{
    int agree = 0;
    for (ws_g.http_srv = 0; ws_g.http_srv < ws_g.nsrv; ws_g.http_srv++) {
        char path[256], *body = NULL;
        snprintf(path, sizeof path, "/api/workshops/%s", W[0].id);
        int st = http_request("GET", path, NULL, NULL, 0, &body, 15000);
        cJSON *meta = st == 200 ? cJSON_Parse(body) : NULL;
        free(body);
        const cJSON *rev = cJSON_GetObjectItemCaseSensitive(meta, "rev");
        if (cJSON_IsNumber(rev)) {
            snprintf(path, sizeof path, "/api/workshops/%s/state?rev=%.0f", W[0].id, rev->valuedouble);
            body = NULL;
            st = http_request_auth("GET", path, W[0].key, NULL, NULL, 0, &body, 15000);
        }
        cJSON_Delete(meta);
        cJSON *state = st == 200 && body ? cJSON_Parse(body) : NULL;
        free(body);
        if (state && asm_check_state(state))
            agree++;
        else
            fprintf(stderr, "GET %s from %s -> %d: no poll with the acknowledged ballots' counts\n", path,
                    ws_g.srv[ws_g.http_srv].host, st);
        cJSON_Delete(state);
    }
    ws_g.http_srv = 0;
    return agree;
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    g_rng ^= (uint64_t)O.seed * 0x9E3779B97F4A7C15ull;
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    raise_nofile(O.clients);
    hist_init(&H_e2e);
    hist_init(&H_ack);
    hist_init(&H_rx);
    for (int p = 0; p < 2; p++) {
        hist_init(&H_e2e_path[p]);
        hist_init(&H_rx_path[p]);
        hist_init(&H_rx_votes[p]);
    }

    if (ws_parse_urls(O.url) < 0) {
        fprintf(stderr, "bad --url %s (want HOST:PORT[,HOST:PORT...] with IPv4 addresses, at most %d)\n", O.url,
                WS_MAX_SERVERS);
        return 2;
    }
    ws_g.path = "/ws";
    ws_g.h = &HANDLERS;
    ws_g.epfd = epoll_create1(EPOLL_CLOEXEC);
    /* Only the modes with an e2e figure stamp their reads: a stamping socket
     * makes the kernel stamp every packet of the machine (one clock read each). */
    ws_g.rx_tstamp = O.mode == M_TYPING || O.mode == M_THROUGHPUT || O.mode == M_ASSEMBLY;
    if (O.sample && O.lazy_ms > 0 && ws_g.rx_tstamp) /* the modes with an e2e figure */
        ws_g.epfd_slow = epoll_create1(EPOLL_CLOEXEC);
    g_rt_off0 = rt_offset(&g_rt_err);

    for (ws_g.http_srv = 0; ws_g.http_srv < ws_g.nsrv; ws_g.http_srv++) {
        char *health = NULL;
        int hs = http_request("GET", "/healthz", NULL, NULL, 0, &health, 5000);
        if (hs != 200) {
            fprintf(stderr, "server at %s is not healthy: GET /healthz -> %d %s\n", ws_g.srv[ws_g.http_srv].host, hs,
                    health ? health : "");
            free(health);
            return 2;
        }
        free(health);
    }
    ws_g.http_srv = 0;

    if (O.mode == M_MIXED) {
        O.mx.clients = O.clients;
        O.mx.workshops = O.workshops;
        O.mx.typers = O.typers;
        O.mx.rate = O.rate;
        O.mx.duration = O.duration;
        O.mx.drain = O.drain;
        O.mx.join_timeout = O.join_timeout;
        O.mx.batch = O.batch;
        O.mx.server_pid = O.server_pid;
        return mixed_run(&O.mx, &g_stop);
    }

    NC = O.clients;
    NW = O.workshops;
    /* + one checker per workshop, + the facilitator of an assembly */
    int nextra = O.mode == M_ASSEMBLY;
    C = xcalloc((size_t)(NC + NW + nextra), sizeof *C);
    W = xcalloc((size_t)NW, sizeof *W);
    if (nextra) {
        g_fac = NC + NW;
        asm_init(NC, O.vote_window, asm_send); /* before any connection can be lost */
    }
    int stride = O.sample ? (NC + O.sample - 1) / O.sample : 1, on_srv[WS_MAX_SERVERS] = {0};
    for (int i = 0; i < NC + NW + nextra; i++) {
        C[i].idx = i;
        C[i].wk = i < NC ? i % NW : i == g_fac ? 0 : i - NC;
        C[i].ws.fd = -1;
        if (i >= NC)
            continue;
        W[C[i].wk].nclients++;
        C[i].ws.srv = (uint8_t)server_of(i, NW);
        /* every stride-th client of each server, so both paths are timed */
        C[i].sampled = on_srv[C[i].ws.srv]++ % stride == 0 || i < O.typers;
        C[i].ws.no_tstamp = !C[i].sampled;
    }
    report_addresses(NC, NW);

    for (int i = 0; i < NW; i++) {
        if (O.workshop)
            snprintf(W[i].id, sizeof W[i].id, "%s", O.workshop);
        else if (create_workshop(i, W[i].id, sizeof W[i].id, W[i].key, sizeof W[i].key) < 0)
            return 2;
    }
    if (O.mode == M_TRACE) {
        int rc = run_trace();
        free_all();
        return rc;
    }

    /* Typers: the first K clients, so they spread round-robin over the workshops. */
    NT = O.typers;
    T = xcalloc((size_t)(NT ? NT : 1), sizeof *T);
    for (int i = 0; i < NT; i++) {
        T[i].c = &C[i];
        T[i].q = xcalloc((size_t)O.inflight, sizeof *T[i].q);
        T[i].textpos = typed_text_start();
        C[i].t = &T[i];
        workshop *w = &W[C[i].wk];
        T[i].wlocal = w->ntypers++;
    }
    for (int i = 0; i < NW; i++) {
        workshop *w = &W[i];
        w->typers = xcalloc((size_t)(w->ntypers ? w->ntypers : 1), sizeof *w->typers);
        uint32_t hs2 = 4;
        while (hs2 < 2u * (uint32_t)w->ntypers)
            hs2 *= 2;
        w->hmask = hs2 - 1;
        w->hslot = malloc(hs2 * sizeof *w->hslot);
        for (uint32_t k = 0; k < hs2; k++)
            w->hslot[k] = -1;
    }
    for (int i = 0; i < NT; i++)
        W[C[i].wk].typers[T[i].wlocal] = &T[i];

    long rss0 = servers_rss_kb();
    double jcpu0 = servers_cpu_s();
    double jsecs = join_all();
    double jcpu1 = servers_cpu_s();
    printf("joined %d of %d clients in %.2f s (%.0f joins/s), %d failed, over %d workshop(s)", g_joined, NC, jsecs,
           jsecs > 0 ? g_joined / jsecs : 0, g_failed, NW);
    if (jcpu0 >= 0 && jcpu1 >= 0 && g_joined)
        printf("; server CPU %.2f s = %.0f us per join", jcpu1 - jcpu0, (jcpu1 - jcpu0) * 1e6 / g_joined);
    printf("\n");
    if (!g_joined) {
        fprintf(stderr, "no client could join\n");
        return 2;
    }
    /* Latency tables need every typer's participant id. */
    for (int i = 0; i < NT; i++)
        if (C[i].st == CS_JOINED)
            author_add(&W[C[i].wk], T[i].wlocal);
        else
            T[i].dead = 1;
    int nsampled = 0;
    for (int i = 0; i < NC; i++)
        if (W[C[i].wk].ntypers && C[i].sampled) {
            C[i].seen = xcalloc((size_t)W[C[i].wk].ntypers, sizeof *C[i].seen);
            nsampled++;
        }

    run_for(O.settle); /* arrivals fan out; let them pass before measuring */
    long rss1 = servers_rss_kb();

    double cpu0, cpu1, self0, self1, win;
    long rss2 = -1;
    if (O.mode == M_IDLE || O.mode == M_STORM) {
        storm_report();
        g_phase = P_MEASURE;
        t_meas0 = now_ns();
        cpu0 = servers_cpu_s();
        self0 = self_cpu_s();
        double mb0 = machine_busy_s();
        uint64_t pings0 = ws_g.pings;
        run_for(O.duration);
        uint64_t hold_pings = ws_g.pings - pings0;
        double mb1 = machine_busy_s();
        t_meas1 = now_ns();
        cpu1 = servers_cpu_s();
        self1 = self_cpu_s();
        rss2 = servers_rss_kb();
        win = (double)(t_meas1 - t_meas0) / 1e9;
        int alive = g_joined - g_lost;
        printf("held %d connections for %.1f s; %d lost meanwhile; %" PRIu64 " server pings answered\n", alive, win,
               g_lost, ws_g.pings);
        double kbpc = rss1 >= 0 && g_joined ? (double)(rss1 - rss0) / g_joined : -1;
        if (rss0 >= 0)
            printf("server RSS: %ld kB before, %ld kB after joins, %ld kB after the hold: %.1f kB per connection\n",
                   rss0, rss1, rss2, kbpc);
        if (cpu0 >= 0)
            printf("server CPU during the hold: %.2f s (%.2f %% of a core); %" PRIu64
                   " keepalive pings in the hold = %.0f us of server CPU per ping\n",
                   cpu1 - cpu0, (cpu1 - cpu0) * 100 / win, hold_pings,
                   hold_pings ? (cpu1 - cpu0) * 1e6 / (double)hold_pings : 0);
        printf("load tool CPU during the hold: %.2f s; machine %.0f %% of one core busy in total\n", self1 - self0,
               (mb1 - mb0) * 100 / win);
        print_codes();
        close_all();
        printf("RESULT mode=idle clients=%d joined=%d failed=%d lost=%d workshops=%d join_s=%.2f rss_before_kb=%ld "
               "rss_after_kb=%ld rss_end_kb=%ld kb_per_conn=%.1f server_cpu_s=%.2f hold_pings=%" PRIu64
               " join_us=%.0f\n",
               NC, g_joined, g_failed, g_lost, NW, jsecs, rss0, rss1, rss2, kbpc, cpu0 >= 0 ? cpu1 - cpu0 : -1.0,
               hold_pings, jcpu0 >= 0 && g_joined ? (jcpu1 - jcpu0) * 1e6 / g_joined : -1.0);
        free_all();
        return g_failed || g_lost ? 3 : 0;
    }

    /* typing / throughput / assembly */
    if (O.mode == M_ASSEMBLY && assembly_join() < 0) {
        close_all();
        free_all();
        return 2;
    }
    g_interval_ns = (uint64_t)(1e9 / O.rate);
    uint64_t start = now_ns();
    g_heap = xcalloc((size_t)(NT ? NT : 1), sizeof *g_heap);
    for (int i = 0; i < NT; i++) {
        /* Random phases: real typists do not press keys in lockstep. */
        T[i].next_tick = start + rnd() % g_interval_ns;
        if (!T[i].dead)
            g_heap[g_heap_n++] = &T[i];
    }
    heap_build();
    g_phase = P_WARMUP;
    if (O.mode == M_THROUGHPUT)
        for (int i = 0; i < NT; i++)
            typer_fill(&T[i]);
    run_for(O.warmup);

    g_phase = P_MEASURE;
    t_meas0 = now_ns();
    cpu0 = servers_cpu_s();
    double rcpu0 = O.redis_pid ? proc_cpu_s(O.redis_pid) : -1;
    double mbusy0 = machine_busy_s();
    self0 = self_cpu_s();
    double each0[WS_MAX_SERVERS];
    for (int i = 0; i < O.nspids; i++)
        each0[i] = proc_cpu_s(O.spids[i]);
    if (O.mode == M_ASSEMBLY) { /* the poll opens with the window */
        char msg[512];
        int n = asm_create_msg(msg, sizeof msg);
        ws_send_text(&C[g_fac].ws, msg, (size_t)n);
    }
    run_for(O.duration);
    t_meas1 = now_ns();
    cpu1 = servers_cpu_s();
    double each1[WS_MAX_SERVERS];
    for (int i = 0; i < O.nspids; i++)
        each1[i] = proc_cpu_s(O.spids[i]);
    double rcpu1 = O.redis_pid ? proc_cpu_s(O.redis_pid) : -1;
    double mbusy1 = machine_busy_s();
    self1 = self_cpu_s();
    win = (double)(t_meas1 - t_meas0) / 1e9;
    g_phase = P_DRAIN;

    /* Wait for every ack and every broadcast of every acked op, so losses show;
     * in an assembly also for every vote's answer and everyone's last results. */
    uint64_t dend = now_ns() + (uint64_t)((O.drain + (O.mode == M_ASSEMBLY ? O.vote_window : 0)) * 1e9);
    uint64_t missing = 0, extra = 0;
    int inflight_left = 0;
    for (;;) {
        missing = extra = 0;
        inflight_left = 0;
        for (int i = 0; i < NT; i++)
            if (!T[i].dead)
                inflight_left += T[i].qn;
        for (int i = 0; i < NC; i++) {
            if (C[i].st != CS_JOINED)
                continue;
            uint64_t exp = W[C[i].wk].acked - (C[i].t ? C[i].t->acked : 0);
            if (C[i].ops_rx < exp)
                missing += exp - C[i].ops_rx;
            else
                extra += C[i].ops_rx - exp;
        }
        int poll_left = O.mode == M_ASSEMBLY && (!asm_votes_done() || asm_results_behind());
        if ((!missing && !inflight_left && !poll_left) || now_ns() > dend || g_stop)
            break;
        loop_once(now_ns() + 50000000ull);
    }
    int state_agree = O.mode == M_ASSEMBLY ? assembly_state_agree() : 0;

    /* What a newcomer sees must be what every client computed from the ops. */
    int checked = 0;
    uint64_t rev_disagree = 0, len_disagree = 0;
    for (int i = 0; i < NW; i++) {
        W[i].final_rev = W[i].final_len = -1;
        if (W[i].ntypers && ws_connect(&C[NC + i].ws) == 0)
            C[NC + i].st = CS_PENDING, checked++;
    }
    uint64_t cend = now_ns() + 10000000000ull;
    for (;;) {
        int waiting = 0;
        for (int i = 0; i < NW; i++)
            waiting += C[NC + i].st == CS_PENDING;
        if (!waiting || now_ns() > cend || g_stop)
            break;
        loop_once(now_ns() + 50000000ull);
    }
    for (int i = 0; i < NC && checked; i++) {
        const workshop *w = &W[C[i].wk];
        if (C[i].st != CS_JOINED || !w->ntypers)
            continue;
        if (C[i].rev != w->final_rev)
            rev_disagree++;
        if (C[i].t && C[i].len != w->final_len)
            len_disagree++;
    }
    NC += NW + (g_fac >= 0); /* close the checkers and the facilitator too */
    close_all();
    NC -= NW + (g_fac >= 0);
    uint64_t rt_err1;
    g_rt_off1 = rt_offset(&rt_err1);
    if (rt_err1 > g_rt_err)
        g_rt_err = rt_err1;

    uint64_t tsent = 0, tacked = 0, tskipped = 0, terr = 0;
    for (int i = 0; i < NT; i++) {
        tsent += T[i].sent;
        tacked += T[i].acked;
        tskipped += T[i].skipped;
        terr += T[i].errors;
    }
    double deliv = (double)(S.ops_rx + S.acks);
    printf("window %.2f s: %" PRIu64 " ops sent, %" PRIu64 " committed = %.1f ops/s, %" PRIu64
           " ticks skipped (op in flight), %" PRIu64 " errors\n",
           win, S.sent, S.acks, (double)S.acks / win, S.skipped, S.errors);
    printf("deliveries: %" PRIu64 " op broadcasts = %.0f/s; with acks %.0f msg/s; %" PRIu64 " other messages\n",
           S.ops_rx, (double)S.ops_rx / win, deliv / win, S.other_rx);
    print_lat("latency send->others (e2e)", &H_e2e);
    if (O.sample)
        printf("  (e2e timed by %d sampled receivers of %d, --sample %d; every receiver counts its ops and checks "
               "their revisions; the others are read every %d ms)\n",
               nsampled, NC, O.sample, ws_g.epfd_slow > 0 ? O.lazy_ms : 0);
    if (ws_g.nsrv > 1) {
        print_lat("  writer on the same server", &H_e2e_path[0]);
        print_lat("  writer on another server", &H_e2e_path[1]);
    }
    int rx_ok = rx_report();
    if (rx_ok && ws_g.nsrv > 1) {
        print_lat("  kernel rx, same server", &H_rx_path[0]);
        print_lat("  kernel rx, another server", &H_rx_path[1]);
    }
    if (rx_ok && O.mode == M_ASSEMBLY) {
        print_lat("  kernel rx, while voting", &H_rx_votes[1]);
        print_lat("  kernel rx, outside votes", &H_rx_votes[0]);
    }
    print_lat("latency send->ack", &H_ack);
    double scpu = cpu1 - cpu0;
    if (cpu0 >= 0 && cpu1 >= 0) {
        printf("server CPU %.2f s in the window (%.1f %% of a core): %.2f us per delivered message, %.1f us per "
               "committed op\n",
               scpu, scpu * 100 / win, deliv > 0 ? scpu * 1e6 / deliv : 0, S.acks ? scpu * 1e6 / (double)S.acks : 0);
    }
    if (O.nspids > 1)
        for (int i = 0; i < O.nspids; i++)
            printf("  server pid %d: %.2f s (%.1f %% of a core)\n", O.spids[i], each1[i] - each0[i],
                   (each1[i] - each0[i]) * 100 / win);
    double rcpu = rcpu0 >= 0 && rcpu1 >= 0 ? rcpu1 - rcpu0 : -1;
    if (rcpu >= 0)
        printf("redis CPU %.2f s in the window (%.1f %% of a core): %.1f us per committed op\n", rcpu, rcpu * 100 / win,
               S.acks ? rcpu * 1e6 / (double)S.acks : 0);
    if (rss0 >= 0)
        printf("server RSS: %ld kB before connecting, %ld kB after joins (%.1f kB per connection)\n", rss0, rss1,
               (double)(rss1 - rss0) / g_joined);
    printf("load tool CPU %.2f s in the window (%.1f %% of a core)\n", self1 - self0, (self1 - self0) * 100 / win);
    double other = -1;
    if (mbusy0 >= 0 && mbusy1 >= 0) {
        other = (mbusy1 - mbusy0) - (self1 - self0) - (cpu0 >= 0 ? scpu : 0) - (rcpu >= 0 ? rcpu : 0);
        if (other < 0)
            other = 0;
        printf("machine: %.0f %% of one core busy in total (%ld cores), of which %.0f %% by other processes%s\n",
               (mbusy1 - mbusy0) * 100 / win, sysconf(_SC_NPROCESSORS_ONLN), other * 100 / win,
               cpu0 < 0 || rcpu < 0 ? " (or the server/redis, not given)" : "");
    }
    printf("totals: sent %" PRIu64 ", acked %" PRIu64 ", skipped %" PRIu64 ", refused %" PRIu64
           "; after drain: %d ops still in flight, %" PRIu64 " broadcasts missing, %" PRIu64 " extra\n",
           tsent, tacked, tskipped, terr, inflight_left, missing, extra);
    if (S.rev_anom || S.unmatched || S.stray_ack || S.ack_id_mismatch || S.bad_msg)
        printf("anomalies: %" PRIu64 " out-of-order revisions, %" PRIu64 " unmatched ops, %" PRIu64
               " stray acks, %" PRIu64 " ack id mismatches, %" PRIu64 " unreadable messages\n",
               S.rev_anom, S.unmatched, S.stray_ack, S.ack_id_mismatch, S.bad_msg);
    if (checked)
        printf("final state: %" PRIu64 " clients disagree with a fresh join on the revision, %" PRIu64
               " typers on the length (of %d workshops checked)\n",
               rev_disagree, len_disagree, checked);
    if (g_batches)
        printf("load tool epoll batches: mean %.1f us, longest in the window %.2f ms\n",
               (double)g_batch_total_ns / (double)g_batches / 1e3, ms(g_batch_max_ns));
    if (g_failed || g_lost)
        printf("connections: %d failed to join, %d lost after joining\n", g_failed, g_lost);
    print_codes();
    printf("RESULT mode=%s clients=%d joined=%d typers=%d workshops=%d rate=%.1f inflight=%d window_s=%.2f "
           "committed_per_s=%.1f broadcasts_per_s=%.0f deliveries_per_s=%.0f e2e_p50_ms=%.3f e2e_p90_ms=%.3f "
           "e2e_p99_ms=%.3f e2e_max_ms=%.3f ack_p50_ms=%.3f ack_p99_ms=%.3f server_cpu_pct=%.1f "
           "server_us_per_delivery=%.2f server_us_per_op=%.1f redis_cpu_pct=%.1f load_cpu_pct=%.1f other_cpu_pct=%.0f "
           "errors=%" PRIu64
           " skipped=%" PRIu64 " missing=%" PRIu64 " anomalies=%" PRIu64 " disagree=%" PRIu64,
           O.mode == M_TYPING ? "typing" : O.mode == M_ASSEMBLY ? "assembly" : "throughput", NC, g_joined, NT, NW, O.rate, O.inflight, win,
           (double)S.acks / win, (double)S.ops_rx / win, deliv / win, ms(hist_quantile(&H_e2e, 0.5)),
           ms(hist_quantile(&H_e2e, 0.9)), ms(hist_quantile(&H_e2e, 0.99)), ms(H_e2e.max),
           ms(hist_quantile(&H_ack, 0.5)), ms(hist_quantile(&H_ack, 0.99)), cpu0 >= 0 ? scpu * 100 / win : -1.0,
           cpu0 >= 0 && deliv > 0 ? scpu * 1e6 / deliv : -1.0, cpu0 >= 0 && S.acks ? scpu * 1e6 / (double)S.acks : -1.0,
           rcpu >= 0 ? rcpu * 100 / win : -1.0, (self1 - self0) * 100 / win, other >= 0 ? other * 100 / win : -1.0, S.errors, S.skipped, missing,
           S.rev_anom + S.unmatched + S.stray_ack + S.ack_id_mismatch + S.bad_msg, rev_disagree + len_disagree);
    if (rx_ok)
        printf(" e2e_rx_p50_ms=%.3f e2e_rx_p90_ms=%.3f e2e_rx_p99_ms=%.3f e2e_rx_max_ms=%.3f e2e_rx_after_epoll=%" PRIu64
               " e2e_rx_impossible=%" PRIu64,
               ms(hist_quantile(&H_rx, 0.5)), ms(hist_quantile(&H_rx, 0.9)), ms(hist_quantile(&H_rx, 0.99)),
               ms(H_rx.max), RX.late_own + RX.late_joined + RX.late_alone, RX.late_alone + RX.before_send + RX.after_batch);
    printf(" servers=%d sampled=%d", ws_g.nsrv, O.sample ? nsampled : NC);
    if (rx_ok && O.mode == M_ASSEMBLY)
        printf(" e2e_rx_voting_p99_ms=%.3f e2e_rx_not_voting_p99_ms=%.3f", ms(hist_quantile(&H_rx_votes[1], 0.99)),
               ms(hist_quantile(&H_rx_votes[0], 0.99)));
    if (ws_g.nsrv > 1) {
        printf(" e2e_same_p50_ms=%.3f e2e_same_p99_ms=%.3f e2e_other_p50_ms=%.3f e2e_other_p99_ms=%.3f",
               ms(hist_quantile(&H_e2e_path[0], 0.5)), ms(hist_quantile(&H_e2e_path[0], 0.99)),
               ms(hist_quantile(&H_e2e_path[1], 0.5)), ms(hist_quantile(&H_e2e_path[1], 0.99)));
        if (rx_ok)
            printf(" e2e_rx_same_p50_ms=%.3f e2e_rx_same_p99_ms=%.3f e2e_rx_other_p50_ms=%.3f e2e_rx_other_p99_ms=%.3f",
                   ms(hist_quantile(&H_rx_path[0], 0.5)), ms(hist_quantile(&H_rx_path[0], 0.99)),
                   ms(hist_quantile(&H_rx_path[1], 0.5)), ms(hist_quantile(&H_rx_path[1], 0.99)));
    }
    printf("\n");
    int poll_failed = 0;
    if (O.mode == M_ASSEMBLY)
        asm_report(ws_g.nsrv, state_agree, &poll_failed);

    free_all();
    return (missing || g_failed || g_lost || inflight_left || rev_disagree || len_disagree || poll_failed) ? 3 : 0;
}
