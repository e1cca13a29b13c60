/* assembly.c -- the poll of --mode assembly: see assembly.h and bench/README.md. */
#define _GNU_SOURCE
#include "assembly.h"
#include "hist.h"
#include "jscan.h"

#include <cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NCH 3                 /* the poll's choices */
#define MAX_VCODES 8          /* distinct refusal codes kept */

enum { V_IDLE, V_SENT, V_ACKED, V_REFUSED, V_LOST };

typedef struct voter {
    uint64_t due;             /* when it votes; 0 until the poll is open */
    uint64_t sent_at;         /* when its vote went out */
    int8_t ballot;            /* the choice it sends, drawn at asm_init */
    uint8_t st;               /* V_* */
    uint8_t seen_poll;        /* its own connection got the open poll */
    uint8_t gone;             /* its connection was lost */
    uint32_t nresults;        /* `results` messages it got for the poll */
    int32_t resp;             /* respondents in the last of them, -1 before any */
    int32_t counts[NCH];      /* counts in the last of them */
} voter;

static struct {
    voter *v;
    int n;
    double window;
    asm_send_fn send;
    char poll[32];            /* the poll's id, from the facilitator's reply */
    uint64_t t_create;        /* poll_create sent */
    uint64_t t_open;          /* the facilitator's reply came: the vote window starts */
    uint64_t t_last;          /* the last my_ballot came */
    int *order;               /* voters by due time */
    int cursor;               /* order[cursor..] have not come due yet */
    int seen, sent, acked, refused, lost, wrong, stray;
    uint64_t unsolicited;     /* my_ballot without an id (not an answer to a vote) */
    uint64_t polls_rx;        /* `poll` messages the voters got about the poll */
    int tally[NCH];           /* acknowledged ballots by choice */
    uint32_t fac_results;     /* `results` messages the facilitator got */
    hist lat;                 /* vote sent -> its my_ballot */
    struct {
        char code[32];
        int n;
    } codes[MAX_VCODES];
} A;

void asm_init(int nvoters, double window, asm_send_fn send)
{
    memset(&A, 0, sizeof A);
    A.v = xcalloc((size_t)nvoters, sizeof *A.v);
    A.order = xcalloc((size_t)nvoters, sizeof *A.order);
    A.n = nvoters;
    A.window = window;
    A.send = send;
    hist_init(&A.lat);
    /* An assembly rarely splits evenly: half, three tenths, a fifth. */
    for (int i = 0; i < nvoters; i++) {
        double r = rndf();
        A.v[i].ballot = (int8_t)(r < 0.5 ? 0 : r < 0.8 ? 1 : 2);
        A.v[i].resp = -1;
    }
}

void asm_free(void)
{
    free(A.v);
    free(A.order);
    A.v = NULL;
    A.order = NULL;
}

const char *asm_poll_id(void) { return A.poll; }

int asm_create_msg(char *buf, size_t bufsz)
{
    A.t_create = now_ns();
    return snprintf(buf, bufsz,
                    "{\"type\":\"poll_create\",\"id\":\"asm-create\",\"kind\":\"single\","
                    "\"question\":\"Adoptons-nous la déclaration commune ?\","
                    "\"choices\":[\"Oui\",\"Non\",\"Je m'abstiens\"],\"open\":true,\"visibility\":\"live\"}");
}

static int by_due(const void *a, const void *b)
{
    uint64_t x = A.v[*(const int *)a].due, y = A.v[*(const int *)b].due;
    return x < y ? -1 : x > y;
}

static void vote_send(int i, uint64_t now)
{
    voter *v = &A.v[i];
    if (v->st != V_IDLE || v->gone)
        return;
    char msg[128];
    int n = snprintf(msg, sizeof msg, "{\"type\":\"vote\",\"id\":\"b%d\",\"poll\":\"%s\",\"ballot\":%d}", i, A.poll,
                     v->ballot);
    v->sent_at = now;
    if (A.send(i, msg, (size_t)n) < 0) {
        v->st = V_LOST;
        A.lost++;
        return;
    }
    v->st = V_SENT;
    A.sent++;
}

/* The "id" and "state" of the poll object in a `poll` message. */
static int poll_fields(const char *data, size_t len, js_span *reply_id, js_span *pid, js_span *state)
{
    js_iter it, pi;
    js_span k, val, po = {0};
    memset(pid, 0, sizeof *pid);
    memset(state, 0, sizeof *state);
    memset(reply_id, 0, sizeof *reply_id);
    if (js_obj_begin(&it, data, len) < 0)
        return -1;
    while (js_obj_next(&it, &k, &val) == 1) {
        if (js_key_is(k, "poll"))
            po = val;
        else if (js_key_is(k, "id"))
            *reply_id = val;
    }
    if (!po.p || js_obj_begin(&pi, po.p, po.n) < 0)
        return -1;
    while (js_obj_next(&pi, &k, &val) == 1) {
        if (js_key_is(k, "id"))
            *pid = val;
        else if (js_key_is(k, "state"))
            *state = val;
    }
    return pid->p && pid->n >= 2 && pid->n - 2 < sizeof A.poll ? 0 : -1;
}

void asm_on_poll(int v, const char *data, size_t len, uint64_t now)
{
    js_span rid, pid, state;
    if (poll_fields(data, len, &rid, &pid, &state) < 0 || !js_str_is(state, "open"))
        return;
    if (v < 0) {
        if (!js_str_is(rid, "asm-create") || A.t_open)
            return;
        memcpy(A.poll, pid.p + 1, pid.n - 2);
        A.poll[pid.n - 2] = 0;
        A.t_open = now;
        for (int i = 0; i < A.n; i++) {
            A.v[i].due = now + 1 + (uint64_t)(rndf() * A.window * 1e9);
            A.order[i] = i;
        }
        qsort(A.order, (size_t)A.n, sizeof *A.order, by_due);
        return;
    }
    voter *x = &A.v[v];
    A.polls_rx++;
    if (!x->seen_poll) {
        x->seen_poll = 1;
        A.seen++;
    }
    /* Due before its own connection showed the poll: a person votes once they see it. */
    if (A.t_open && x->due <= now)
        vote_send(v, now);
}

void asm_tick(uint64_t now)
{
    if (!A.t_open)
        return;
    while (A.cursor < A.n && A.v[A.order[A.cursor]].due <= now) {
        int i = A.order[A.cursor++];
        if (A.v[i].seen_poll)
            vote_send(i, now);
    }
}

int asm_voting_at(uint64_t t)
{
    return A.t_open && t >= A.t_open && t <= A.t_open + (uint64_t)(A.window * 1e9);
}

uint64_t asm_next_due(void)
{
    return A.t_open && A.cursor < A.n ? A.v[A.order[A.cursor]].due : UINT64_MAX;
}

static int ballot_value(const char *data, size_t len)
{
    js_iter it;
    js_span k, val;
    if (js_obj_begin(&it, data, len) < 0)
        return -2;
    while (js_obj_next(&it, &k, &val) == 1) {
        if (js_key_is(k, "ballot")) {
            int ok;
            int64_t b = js_int(val, &ok);
            return ok ? (int)b : -2;
        }
    }
    return -2;
}

static int is_own_vote(int v, js_span id)
{
    char want[32];
    int n = snprintf(want, sizeof want, "\"b%d\"", v);
    return id.n == (size_t)n && memcmp(id.p, want, (size_t)n) == 0;
}

void asm_on_my_ballot(int v, const msgf *m, const char *data, size_t len, uint64_t now)
{
    if (v < 0)
        return;
    voter *x = &A.v[v];
    if (!m->id.p) {
        /* Not the answer to a vote: the server telling this person their
         * ballot again (it sends it after reading a poll back that another
         * process changed). Counted: it is traffic the assembly pays for. */
        A.unsolicited++;
        return;
    }
    if (x->st != V_SENT || !is_own_vote(v, m->id)) {
        if (A.stray++ < 3)
            fprintf(stderr, "voter %d (state %d): unexpected %.*s\n", v, x->st, (int)(len > 300 ? 300 : len), data);
        return;
    }
    int b = ballot_value(data, len);
    hist_add(&A.lat, now - x->sent_at);
    A.t_last = now;
    if (b != x->ballot) {
        A.wrong++;
        x->st = V_REFUSED;
        return;
    }
    x->st = V_ACKED;
    A.acked++;
    A.tally[b]++;
}

void asm_on_vote_error(int v, const msgf *m, uint64_t now)
{
    if (v < 0 || A.v[v].st != V_SENT) {
        A.stray++;
        return;
    }
    A.v[v].st = V_REFUSED;
    A.refused++;
    A.t_last = now;
    char c[32];
    size_t n = m->code.n >= 2 ? m->code.n - 2 : 0;
    if (n >= sizeof c)
        n = sizeof c - 1;
    memcpy(c, m->code.p + (m->code.n >= 2), n);
    c[n] = 0;
    for (int i = 0; i < MAX_VCODES; i++) {
        if (!A.codes[i].code[0])
            snprintf(A.codes[i].code, sizeof A.codes[i].code, "%s", c);
        if (!strcmp(A.codes[i].code, c)) {
            A.codes[i].n++;
            return;
        }
    }
}

void asm_on_lost(int v)
{
    voter *x = &A.v[v];
    x->gone = 1;
    if (x->st == V_SENT || x->st == V_IDLE) {
        x->st = V_LOST;
        A.lost++;
    }
}

void asm_on_results(int v, const char *data, size_t len)
{
    js_iter it, ai;
    js_span k, val, counts = {0};
    int64_t resp = -1;
    int for_ours = 0, ok;
    if (js_obj_begin(&it, data, len) < 0)
        return;
    while (js_obj_next(&it, &k, &val) == 1) {
        if (js_key_is(k, "poll"))
            for_ours = A.poll[0] && val.n == strlen(A.poll) + 2 && !memcmp(val.p + 1, A.poll, val.n - 2);
        else if (js_key_is(k, "respondents"))
            resp = js_int(val, &ok);
        else if (js_key_is(k, "counts"))
            counts = val;
    }
    if (!for_ours)
        return;
    if (v < 0) {
        A.fac_results++;
        return;
    }
    voter *x = &A.v[v];
    x->nresults++;
    x->resp = (int32_t)resp;
    int i = 0;
    if (counts.p && js_arr_begin(&ai, counts) == 0)
        while (i < NCH && js_arr_next(&ai, &val) == 1)
            x->counts[i++] = (int32_t)js_int(val, &ok);
    for (; i < NCH; i++)
        x->counts[i] = -1;
}

int asm_votes_done(void)
{
    if (!A.t_open)
        return 0;
    for (int i = 0; i < A.n; i++)
        if (A.v[i].st == V_IDLE && !A.v[i].gone)
            return 0;
        else if (A.v[i].st == V_SENT)
            return 0;
    return 1;
}

static int results_exact(const voter *x)
{
    if (x->resp != A.acked)
        return 0;
    for (int k = 0; k < NCH; k++)
        if (x->counts[k] != A.tally[k])
            return 0;
    return 1;
}

int asm_results_behind(void)
{
    int behind = 0;
    for (int i = 0; i < A.n; i++)
        behind += !A.v[i].gone && !results_exact(&A.v[i]);
    return behind;
}

int asm_check_state(const void *state_json)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive((const cJSON *)state_json, "polls"))
    {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(e, "poll"), "id");
        if (!cJSON_IsString(id) || strcmp(id->valuestring, A.poll))
            continue;
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(e, "results");
        const cJSON *counts = cJSON_GetObjectItemCaseSensitive(res, "counts");
        const cJSON *resp = cJSON_GetObjectItemCaseSensitive(res, "respondents");
        int same = cJSON_IsArray(counts) && cJSON_GetArraySize(counts) == NCH && cJSON_IsNumber(resp) &&
                   (int)resp->valuedouble == A.acked;
        for (int k = 0; same && k < NCH; k++)
            same = (int)cJSON_GetArrayItem(counts, k)->valuedouble == A.tally[k];
        if (!same) {
            char *r = cJSON_PrintUnformatted(res);
            fprintf(stderr, "GET /state: the poll's results are %.300s\n", r ? r : "(none)");
            free(r);
        }
        return same;
    }
    fprintf(stderr, "GET /state: no poll %s\n", A.poll);
    return 0;
}

void asm_report(int state_servers, int state_agree, int *failed)
{
    uint64_t rmin = UINT64_MAX, rmax = 0, rsum = 0;
    int alive = 0, exact = 0;
    for (int i = 0; i < A.n; i++) {
        const voter *x = &A.v[i];
        if (x->gone)
            continue;
        alive++;
        exact += results_exact(x);
        rsum += x->nresults;
        if (x->nresults < rmin)
            rmin = x->nresults;
        if (x->nresults > rmax)
            rmax = x->nresults;
    }
    if (!alive)
        rmin = 0;
    double open_ms = A.t_open ? (double)(A.t_open - A.t_create) / 1e6 : -1;
    double last_s = A.t_open && A.t_last > A.t_open ? (double)(A.t_last - A.t_open) / 1e9 : -1;
    printf("poll: %s; created and opened in %.1f ms (poll_create -> the facilitator's poll); seen by %d of %d "
           "clients\n",
           A.poll[0] ? A.poll : "(never opened)", open_ms, A.seen, A.n);
    printf("votes (spread over %.1f s): %d sent, %d acknowledged (my_ballot with the ballot sent), %d refused, %d "
           "answered with another ballot, %d lost with their connection, %d stray answers\n",
           A.window, A.sent, A.acked, A.refused, A.wrong, A.lost, A.stray);
    for (int i = 0; i < MAX_VCODES && A.codes[i].code[0]; i++)
        printf("  vote refused %-14s %d\n", A.codes[i].code, A.codes[i].n);
    printf("unsolicited: %" PRIu64 " my_ballot without an id (%.1f per voter), %" PRIu64
           " `poll` messages (%.1f per voter) for one poll opened once\n",
           A.unsolicited, A.n ? (double)A.unsolicited / A.n : 0.0, A.polls_rx, A.n ? (double)A.polls_rx / A.n : 0.0);
    printf("time from opening to the last my_ballot: %.2f s; vote -> my_ballot n=%" PRIu64
           " p50 %.2f p99 %.2f max %.2f ms\n",
           last_s, A.lat.count, (double)hist_quantile(&A.lat, 0.5) / 1e6, (double)hist_quantile(&A.lat, 0.99) / 1e6,
           (double)A.lat.max / 1e6);
    printf("expected counts from the acknowledged ballots: [%d, %d, %d] (%d respondents)\n", A.tally[0], A.tally[1],
           A.tally[2], A.acked);
    printf("results: %d of %d connected clients saw exactly these as their last `results`; results messages per "
           "client: mean %.1f, min %" PRIu64 ", max %" PRIu64 " for %d ballots (the facilitator got %u)\n",
           exact, alive, alive ? (double)rsum / alive : 0.0, rmin, rmax, A.acked, A.fac_results);
    printf("GET /state: %d of %d servers show these counts\n", state_agree, state_servers);
    int bad = !A.t_open || A.seen != A.n || A.acked + A.refused + A.lost != A.n || A.wrong || A.stray || A.refused ||
              exact != alive || state_agree != state_servers || A.lost;
    if (bad)
        *failed = 1;
    printf("RESULT poll voters=%d seen=%d acked=%d refused=%d lost=%d wrong=%d open_to_last_ballot_s=%.2f "
           "vote_p50_ms=%.2f vote_p99_ms=%.2f results_per_client=%.1f results_exact=%d of=%d state_agree=%d "
           "state_servers=%d unsolicited_my_ballot=%" PRIu64 " poll_msgs=%" PRIu64 " poll_ok=%d\n",
           A.n, A.seen, A.acked, A.refused, A.lost, A.wrong, last_s, (double)hist_quantile(&A.lat, 0.5) / 1e6,
           (double)hist_quantile(&A.lat, 0.99) / 1e6, alive ? (double)rsum / alive : 0.0, exact, alive, state_agree,
           state_servers, A.unsolicited, A.polls_rx, !bad);
}
