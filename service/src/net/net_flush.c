/* The flushes from the loop (net_internal.h): the lists of connections
 * with something to send (the flush list, the urgent list, the groups with
 * new broadcasts), the holds, and the paced rounds of writes.
 *
 * The lists hold connection ids, never pointers: a connection closed
 * meanwhile is simply not found (net_slot_get). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/net_batch.h"
#include "net/net_internal.h"

static void flush_timer_cb(lws_sorted_usec_list_t *sul) {
    net_flush(lws_container_of(sul, net_server, sul_flush));
}

/* The first message or broadcast since the last flush, or the first since
 * a paced round stopped at connections all held (round_parked): the loop
 * flushes after every turn; the 1 µs timer only matters when a timer
 * callback queued it (lws runs timers before it waits, as the hold's timer
 * does): then the loop must not wait. While a paced flush waits, the lists
 * are not empty and its timer stays. */
static void flush_soon(net_server *n) {
    if ((n->ndirty == 0 && n->ndirty_groups == 0) || n->round_parked) {
        n->round_parked = false;
        lws_sul_schedule_wakesuspend(n->ctx, 0, &n->sul_flush, flush_timer_cb, 1);
    }
}

/* id onto a list of connection ids (the flush list, the urgent list). */
static bool push_id(uint64_t **list, size_t *len, size_t *cap, uint64_t id) {
    if (*len == *cap) {
        size_t more = *cap ? *cap * 2 : 256;
        uint64_t *l = realloc(*list, more * sizeof *l);
        if (!l) return false;
        *list = l;
        *cap = more;
    }
    (*list)[(*len)++] = id;
    return true;
}

/* Put c on the flush list. */
void net_mark_dirty(net_server *n, net_conn *c) {
    if (c->dirty) return;
    flush_soon(n);
    if (!push_id(&n->dirty, &n->ndirty, &n->dirty_cap, c->id)) { /* fall back on lws' writeable callback */
        lws_callback_on_writable(c->wsi);
        return;
    }
    c->dirty = true;
}

void net_mark_urgent(net_server *n, net_conn *c) {
    if (c->urgent) return;
    if (n->round_parked) flush_soon(n);
    c->urgent = push_id(&n->urgent, &n->nurgent, &n->urgent_cap, c->id); /* no room: it waits for the flush */
}

void net_mark_group_dirty(net_server *n, net_group *g) {
    if (g->dirty) return;
    if (n->ndirty_groups == n->dirty_groups_cap) {
        size_t cap = n->dirty_groups_cap ? n->dirty_groups_cap * 2 : 16;
        net_group **d = realloc(n->dirty_groups, cap * sizeof *d);
        if (!d) { /* no list: its members on the flush list at once */
            for (uint32_t i = 0; i < g->nmembers; i++) net_mark_dirty(n, g->members[i]);
            return;
        }
        n->dirty_groups = d;
        n->dirty_groups_cap = cap;
    }
    flush_soon(n);
    n->dirty_groups[n->ndirty_groups++] = g;
    g->dirty = true;
}

/* A turn that completes thousands of joins at once (one read of Redis'
 * replies) would queue thousands of welcomes, each its own buffer, before
 * the flush at the turn's end: tens of megabytes for an instant, which the
 * allocator keeps afterwards, interleaved with the connections' lasting
 * memory (bench/README.md, "Memory per connection"). Past
 * NET_UNFLUSHED_MAX of new messages, what is queued goes out before more is
 * queued. A message sent to several connections counts once. */
void net_flush_if_full(net_server *n, const netmsg *m) {
    if (n->unflushed > NET_UNFLUSHED_MAX) net_flush(n);
    if (m->refs == 1) n->unflushed += m->len; /* its first queue */
}

void net_hold(net_server *n, uint64_t id) {
    net_conn *c = net_slot_get(n, id, SLOT_WS);
    if (c) c->held = true;
}

void net_release(net_server *n, uint64_t id) {
    net_conn *c = net_slot_get(n, id, SLOT_WS);
    if (!c || !c->held) return;
    c->held = false;
    if (n->round_parked) flush_soon(n); /* the round goes on: once per release, the first */
    bool urgent = c->urgent_held;
    c->urgent_held = false;
    if (!net_pending(c)) return;
    net_mark_dirty(n, c);
    /* An ack held with the workshop goes at once now, not at the paced
     * flush: at 10,000 people that is a whole round of writes later. */
    if (urgent) net_mark_urgent(n, c);
}

/* Writing from the loop instead of from lws' writeable callback saves, per
 * message and connection, switching POLLOUT on and off and a wakeup: on
 * this VM each costs as much as the send itself. And the writes of all
 * connections go out together (net_batch: one system call with io_uring).
 * Only in the plain case; anything lws must sequence itself (a send it
 * still buffers, a close, permessage-deflate, TLS) goes the writeable way. */
static bool flush_room(net_server *n, size_t conns, size_t iovs) {
    if (conns > n->flush_cap) {
        net_sendreq *r = realloc(n->flush_reqs, conns * sizeof *r);
        if (r) n->flush_reqs = r;
        net_conn **c = realloc(n->flush_conns, conns * sizeof *c);
        if (c) n->flush_conns = c;
        if (!r || !c) return false;
        n->flush_cap = conns;
    }
    if (iovs > n->flush_iov_cap) {
        struct iovec *v = realloc(n->flush_iov, iovs * sizeof *v);
        if (!v) return false;
        n->flush_iov = v;
        n->flush_iov_cap = iovs;
    }
    return true;
}

/* The CPU time this thread has used, in µs: what a flush's writes cost, not
 * counting the time another process had the core meanwhile. */
static int64_t thread_cpu_us(void) {
    struct timespec t;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) != 0) return 0;
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* The lists a flush goes through, and where a connection it meets goes. */
typedef enum {
    FLUSH_URGENT, /* the urgent list, whole: a held connection's answer waits for net_release */
    FLUSH_ALL,    /* the flush list, whole (unpaced): everyone leaves it; a held one comes back at net_release */
    FLUSH_ROUND,  /* the head of the flush list (paced): a held one keeps its place, one written goes to the tail */
} flush_kind;

typedef struct flush_done {
    size_t scanned;            /* entries of ids looked at: ids[0..scanned) */
    size_t kept;               /* held connections, now ids[0..kept): they stay at the head of the list */
    size_t written;            /* connections written, n->flush_conns[0..written) */
} flush_done;

/* c is off the list it was met on. */
static void leave_list(net_conn *c, flush_kind kind) {
    if (kind == FLUSH_URGENT) c->urgent = false;
    else c->dirty = false;
}

/* The connections of ids[0..count) that are to be written now, into
 * n->flush_conns (sized for limit): the first `limit` that are not held.
 * The held ones a round keeps are compacted at the head of ids and not
 * counted, so a held workshop does not hold up the others. Returns how
 * many to write; *iovs: the frames they may take. */
static size_t flush_pick(net_server *n, uint64_t *ids, size_t count, size_t limit, flush_kind kind, flush_done *done,
                         size_t *iovs) {
    size_t k = 0, met = 0, i = 0;
    for (; i < count && met < limit; i++) {
        net_conn *c = net_slot_get(n, ids[i], SLOT_WS);
        if (!c) continue;
        if (c->held && kind == FLUSH_ROUND) { /* its turn is when it is released: the head, not the tail */
            ids[done->kept++] = c->id; /* compacted in place: i >= kept */
            continue;
        }
        met++;
        if (c->held) {
            if (kind == FLUSH_URGENT) c->urgent_held = true; /* urgent again at net_release */
            leave_list(c, kind);
            continue;
        }
        leave_list(c, kind);
        if (!net_pending(c) || c->flushed_in == n->flushes_begun) continue;
        if (c->close_code || c->peer_closing || n->cfg.deflate || lws_partial_buffered(c->wsi) || lws_is_ssl(c->wsi)) {
            lws_callback_on_writable(c->wsi);
            continue;
        }
        c->flushed_in = n->flushes_begun;
        n->flush_conns[k++] = c;
        size_t most = 2 * (size_t)c->qlen + 1; /* each entry after log bytes, then the log's rest */
        *iovs += most < NET_IOV_PER_SEND ? most : NET_IOV_PER_SEND;
    }
    done->scanned = i;
    return k;
}

/* Write what each of the first `limit` connections of ids[0..count) (the
 * flush list or the urgent one) that are not held has to send, each in one
 * send. What the list holds afterwards: flush_done. */
static flush_done flush_some(net_server *n, uint64_t *ids, size_t count, size_t limit, flush_kind kind, lws_usec_t now) {
    /* Sending may close connections but queues nothing new: the list is stable. */
    flush_done done = {0, 0, 0};
    size_t iovs = 0;
    if (++n->flushes_begun == 0) n->flushes_begun = 1; /* 0: never flushed */
    if (!flush_room(n, limit < count ? limit : count, 0)) { /* no memory to gather: lws' writeable callback, one by one */
        done.scanned = count;
        for (size_t i = 0; i < count; i++) {
            net_conn *c = net_slot_get(n, ids[i], SLOT_WS);
            if (!c) continue;
            leave_list(c, kind);
            if (c->held) c->urgent_held |= kind == FLUSH_URGENT;
            else lws_callback_on_writable(c->wsi);
        }
        return done;
    }
    size_t k = flush_pick(n, ids, count, limit, kind, &done, &iovs);
    if (!k) return done;
    if (!flush_room(n, k, iovs)) {
        for (size_t i = 0; i < k; i++) lws_callback_on_writable(n->flush_conns[i]->wsi);
        return done;
    }
    struct iovec *iov = n->flush_iov;
    for (size_t i = 0; i < k; i++) {
        net_conn *c = n->flush_conns[i];
        int cnt = net_queue_gather(c, iov, NET_IOV_PER_SEND);
        n->flush_reqs[i] = (net_sendreq){.fd = lws_get_socket_fd(c->wsi), .iov = iov, .iovcnt = cnt};
        iov += cnt;
    }
    int64_t cpu_before = thread_cpu_us();
    net_batch_send(n->batch, n->flush_reqs, k);
    pace_spent(&n->pace, now, k);
    uint64_t send_us = (uint64_t)(thread_cpu_us() - cpu_before);
    pace_spent(&n->pace_time, now, send_us);
    n->counted.flush_send_us += send_us;
    n->counted.flushes++;
    n->counted.flush_writes += k;
    for (size_t i = 0; i < k; i++) {
        net_conn *c = n->flush_conns[i];
        const net_sendreq *r = &n->flush_reqs[i];
        int s = net_queue_sent(n, c->wsi, c, r->iov, r->iovcnt, r->result);
        if (s < 0) {
            /* Broken: let lws close it from the loop (never close a wsi outside its callbacks). */
            lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
            continue;
        }
        if (net_pending(c)) lws_callback_on_writable(c->wsi);
        else net_queue_drained(c);
        n->flush_conns[done.written++] = c; /* compacted in place: i >= written */
    }
    if (n->flush_iov_cap > 65536) { /* a burst to thousands of backed-up queues is over: give back its megabyte */
        free(n->flush_iov);
        n->flush_iov = NULL;
        n->flush_iov_cap = 0;
    }
    return done;
}

/* After a round's chunk (the done.scanned entries at the head of the flush
 * list): the held ones stay at the head, the ones written go to the tail,
 * in the order they went. So every connection of a big workshop comes round once a round,
 * at the same place: its wait for a message is at most one round. (Left to
 * net_groups_expand, which puts back a group's members in the group's
 * order, the ones written in a chunk mixed with the others: the time
 * between two writes to a connection ranged from 100 to 220 ms for a round
 * of 150 ms, bench/README.md, issue 17, third pass.) */
static void round_requeue(net_server *n, flush_done done) {
    memmove(n->dirty + done.kept, n->dirty + done.scanned, (n->ndirty - done.scanned) * sizeof *n->dirty);
    n->ndirty -= done.scanned - done.kept;
    for (size_t i = 0; i < done.written; i++) {
        net_conn *c = n->flush_conns[i];
        /* Without room it leaves the list; its group's next message puts it back. */
        c->dirty = push_id(&n->dirty, &n->ndirty, &n->dirty_cap, c->id);
    }
}

/* The flush after a turn of the loop (or from the timer). Answers to one
 * client (an ack, a welcome, an error: net_send_sbuf) go at once. The rest
 * waits while the budgets (core/pace.h: writes a second, and the share of
 * the time spent writing) are spent, gathering more messages per write;
 * then the connections waiting longest go first, at most NET_FLUSH_CHUNK
 * before the loop turns again, so that a flush to 10,000 people neither
 * holds the loop nor makes the last of them wait for the whole of it. */
void net_flush(net_server *n) {
    n->unflushed = 0;
    if (!n->ndirty && !n->ndirty_groups) return;
    lws_usec_t now = lws_now_usecs();
    if (n->nurgent) {
        size_t urgent = n->nurgent;
        n->nurgent = 0;
        flush_some(n, n->urgent, urgent, urgent, FLUSH_URGENT, now);
    }
    int64_t wait = pace_wait_us(&n->pace, now), wait_time = pace_wait_us(&n->pace_time, now);
    if (wait_time > wait) wait = wait_time;
    if (wait > 0) {
        lws_sul_schedule_wakesuspend(n->ctx, 0, &n->sul_flush, flush_timer_cb, wait);
        return;
    }
    lws_sul_cancel(&n->sul_flush);
    net_groups_expand(n);
    bool paced = n->cfg.send_budget > 0 || n->cfg.send_share > 0;
    if (paced && n->ndirty > NET_FLUSH_CHUNK) {
        if (!n->round_parked) {
            flush_done done = flush_some(n, n->dirty, n->ndirty, NET_FLUSH_CHUNK, FLUSH_ROUND, now);
            round_requeue(n, done);
            /* Everyone on the list held: nothing to write before a release, which goes on (flush_soon). */
            n->round_parked = done.kept == n->ndirty;
        }
    } else {
        size_t count = n->ndirty;
        flush_some(n, n->dirty, count, count, FLUSH_ALL, now);
        memmove(n->dirty, n->dirty + count, (n->ndirty - count) * sizeof *n->dirty);
        n->ndirty -= count;
        n->round_parked = false;
    }
    net_groups_trim(n);
    if (n->ndirty && !n->round_parked)
        lws_sul_schedule_wakesuspend(n->ctx, 0, &n->sul_flush, flush_timer_cb, 1); /* the rest, next turn */
}
