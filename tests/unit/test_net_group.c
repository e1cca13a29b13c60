/* test_net_group.c -- a workshop's shared broadcast log (net/net_group.c).
 *
 * What a member is still to be sent stays in the log, byte for byte, while
 * the others move on; and letting go of what every member has been sent
 * costs about what is let go, not the whole log each time: a member that
 * reads slowly keeps megabytes in the log, and every flush trims it. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check_main.h"
#include "net/net_internal.h"

#define LOG_BYTES (16u << 20)        /* --max-queue-bytes' default: how far behind a member may be */

/* The broadcasts of a case: all of one size. */
static size_t payload;               /* bytes of each */
static size_t header;                /* ... of its frame header (2 under 126 bytes, else 4) */
#define FRAME (payload + header)

static net_server *server_new(void) {
    net_server *n = calloc(1, sizeof *n);
    ck_assert_ptr_nonnull(n);
    return n;
}

static void server_free(net_server *n) {
    free(n->slots);
    free(n->free_slots);
    free(n->dirty_groups);
    free(n);
}

/* g on the list of groups to flush, as net_mark_group_dirty puts it, without
 * the loop's timer (there is no loop here). */
static void mark(net_server *n, net_group *g) {
    if (g->dirty) return;
    n->dirty_groups = realloc(n->dirty_groups, (n->ndirty_groups + 1) * sizeof *n->dirty_groups);
    ck_assert_ptr_nonnull(n->dirty_groups);
    n->dirty_groups[n->ndirty_groups++] = g;
    g->dirty = true;
}

static net_conn *member(net_server *n, net_group *g) {
    net_conn *c = calloc(1, sizeof *c);
    ck_assert_ptr_nonnull(c);
    c->id = net_slot_add(n, SLOT_WS, c);
    ck_assert(net_group_join(n, g, c->id));
    return c;
}

/* The payload byte at position j of broadcast i. */
static unsigned char payload_byte(uint64_t i, uint64_t j) { return (unsigned char)('a' + (i * 7 + j) % 26); }

/* The stream byte at offset o: frames of FRAME bytes from offset 0. */
static unsigned char stream_byte(uint64_t o) {
    uint64_t i = o / FRAME, j = o % FRAME;
    unsigned char h[4] = {0x81, (unsigned char)payload, 0, 0};
    if (header == 4) h[1] = 126, h[2] = (unsigned char)(payload >> 8), h[3] = (unsigned char)payload;
    return j < header ? h[j] : payload_byte(i, j - header);
}

static void broadcast(net_server *n, net_group *g, uint64_t i) {
    netmsg *m = malloc(sizeof *m);
    ck_assert_ptr_nonnull(m);
    *m = (netmsg){.refs = 1, .len = payload, .buf = malloc(NET_PRE + payload)};
    ck_assert_ptr_nonnull(m->buf);
    for (uint64_t j = 0; j < payload; j++) m->buf[NET_PRE + j] = (char)payload_byte(i, j);
    mark(n, g);
    ck_assert(net_group_send(n, g, m));
    netmsg_unref(m);
}

/* One assertion per range: Check reports each passed assertion to its parent process. */
static void check_bytes(const net_group *g, uint64_t from, size_t len) {
    const unsigned char *have = net_group_bytes(g, from, from + len).iov_base;
    size_t k = 0;
    while (k < len && have[k] == stream_byte(from + k)) k++;
    ck_assert_msg(k == len, "log byte at offset %llu", (unsigned long long)(from + k));
}

static double cpu_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One member up to date, one far behind. */
typedef struct fixture {
    net_server *n;
    net_group *g;
    net_conn *fast, *slow;
} fixture;

/* LOG_BYTES of broadcasts of `bytes` each, which the slow member is still to be sent. */
static fixture fixture_new(size_t bytes) {
    payload = bytes;
    header = bytes < 126 ? 2 : 4;
    fixture f = {.n = server_new()};
    f.g = net_group_new(f.n);
    ck_assert_ptr_nonnull(f.g);
    f.fast = member(f.n, f.g);
    f.slow = member(f.n, f.g);
    for (uint64_t i = 0; i < LOG_BYTES / FRAME; i++) broadcast(f.n, f.g, i);
    ck_assert_uint_eq(net_group_end(f.g), LOG_BYTES / FRAME * FRAME);
    f.fast->gpos = net_group_end(f.g); /* as if a flush wrote it all */
    net_groups_trim(f.n);
    return f;
}

static void fixture_free(fixture *f) {
    f->slow->gpos = f->fast->gpos = net_group_end(f->g); /* nothing left to copy out on the way */
    net_group_free(f->n, f->g);
    free(f->fast);
    free(f->slow);
    server_free(f->n);
}

START_TEST(slow_member_keeps_its_bytes) {
    fixture f = fixture_new(65000);
    check_bytes(f.g, 0, FRAME + 10);
    uint64_t end = net_group_end(f.g);
    for (uint64_t pos = 0; pos < end; pos += FRAME / 3 + 17) {
        f.slow->gpos = pos;
        mark(f.n, f.g);
        net_groups_trim(f.n);
        check_bytes(f.g, pos, 2 * FRAME); /* what it is still to be sent, whatever was let go */
        broadcast(f.n, f.g, net_group_end(f.g) / FRAME); /* the log grows meanwhile */
        f.fast->gpos = net_group_end(f.g);
        check_bytes(f.g, net_group_end(f.g) - FRAME, FRAME);
    }
    f.slow->gpos = net_group_end(f.g);
    mark(f.n, f.g);
    net_groups_trim(f.n);
    ck_assert_uint_eq(f.g->len, 0);
    ck_assert_uint_le(f.g->cap, 65536); /* the burst's memory given back */
    fixture_free(&f);
}
END_TEST

/* A slow reader drains 100 bytes between flushes, 16,000 flushes: each
 * trim may move about what it lets go, not the 16 MB it keeps (that took
 * seconds of the loop's time: at every flush, for everyone), nor the
 * start of every broadcast in them (8 bytes each). */
static void trims_cost_what_they_let_go(size_t bytes) {
    fixture f = fixture_new(bytes);
    double t0 = cpu_seconds();
    for (int k = 1; k <= 16000; k++) {
        f.slow->gpos += 100;
        mark(f.n, f.g);
        net_groups_trim(f.n);
    }
    double spent = cpu_seconds() - t0;
    check_bytes(f.g, f.slow->gpos, 2 * FRAME);
    ck_assert_uint_eq(net_group_frames(f.g, f.slow->gpos, net_group_end(f.g)),
                      net_group_end(f.g) / FRAME - (f.slow->gpos + FRAME - 1) / FRAME); /* those starting after it */
    ck_assert_msg(spent < 1.0, "16,000 trims of a 16 MB log of %zu-byte broadcasts took %.2f s of CPU", bytes, spent);
    fixture_free(&f);
}

START_TEST(trim_big_broadcasts) { trims_cost_what_they_let_go(65000); }
END_TEST

START_TEST(trim_small_broadcasts) { trims_cost_what_they_let_go(98); }
END_TEST

/* Tiny ones make the starts the cost: 1.4 million of them, 11 MB (an op of
 * one character is a frame of about 60 bytes: 280,000 starts, 2 MB). */
START_TEST(trim_tiny_broadcasts) { trims_cost_what_they_let_go(10); }
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("net_group");
    TCase *t = tcase_create("log");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, slow_member_keeps_its_bytes);
    tcase_add_test(t, trim_big_broadcasts);
    tcase_add_test(t, trim_small_broadcasts);
    tcase_add_test(t, trim_tiny_broadcasts);
    suite_add_tcase(s, t);
    return s;
}

CHECK_MAIN(suite)
