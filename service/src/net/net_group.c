/* Groups: connections that get the same broadcasts, from one shared log
 * (net.h). How a member's bytes are laid out is net_queue.c's (the queue walk);
 * this file keeps the log and the members.
 *
 * Ownership: the group belongs to the layer above (net_group_new/free); the
 * log's bytes are the group's; a member points at its group until it
 * leaves, closes or is dropped (net_group_detach), and the group at its
 * members until then. */
#include <stdlib.h>
#include <string.h>

#include "net/net_internal.h"

uint64_t net_group_end(const net_group *g) { return g->base + g->len; }

struct iovec net_group_bytes(const net_group *g, uint64_t from, uint64_t to) {
    return (struct iovec){.iov_base = g->log + g->head + (from - g->base), .iov_len = (size_t)(to - from)};
}

net_group *net_group_new(net_server *n) {
    net_group *g = calloc(1, sizeof *g);
    if (g) g->per_member = n->cfg.deflate || n->cfg.tls_cert;
    return g;
}

static void undirty(net_server *n, net_group *g) {
    if (!g->dirty) return;
    for (size_t i = 0; i < n->ndirty_groups; i++) {
        if (n->dirty_groups[i] != g) continue;
        n->dirty_groups[i] = n->dirty_groups[--n->ndirty_groups];
        break;
    }
    g->dirty = false;
}

void net_group_free(net_server *n, net_group *g) {
    if (!g) return;
    while (g->nmembers) net_group_detach(n, g->members[g->nmembers - 1], true);
    undirty(n, g);
    free(g->members);
    free(g->starts);
    free(g->log);
    free(g);
}

bool net_group_join(net_server *n, net_group *g, uint64_t conn) {
    net_conn *c = net_slot_get(n, conn, SLOT_WS);
    if (!c || c->close_code) return false;
    if (c->group == g) return true;
    if (g->nmembers == g->members_cap) {
        uint32_t cap = g->members_cap ? g->members_cap * 2 : 16;
        net_conn **m = realloc(g->members, cap * sizeof *m);
        if (!m) return false;
        g->members = m;
        g->members_cap = cap;
    }
    if (c->group) net_group_detach(n, c, true);
    if (c->close_code) return false; /* dropped on the way out of the other (out of memory) */
    c->group = g;
    c->gslot = g->nmembers;
    c->gpos = net_group_end(g);
    g->members[g->nmembers++] = c;
    return true;
}

void net_group_leave(net_server *n, uint64_t conn) {
    net_conn *c = net_slot_get(n, conn, SLOT_WS);
    if (c && c->group) net_group_detach(n, c, true);
}

/* What every member has been sent leaves the front of the log (bytes) and
 * of its starts (entries): only once it is at least as much as what stays.
 * A slow member keeps megabytes in the log while each flush lets go of a
 * little, and moving the rest every time cost every flush that (the moves
 * are paid for by what was let go). */
static void front_compact(void *array, size_t *head, size_t live, size_t size) {
    if (!*head || *head < live) return;
    memmove(array, (char *)array + *head * size, live * size);
    *head = 0;
}

static bool log_reserve(net_group *g, size_t more) {
    if (g->head + g->len + more <= g->cap) return true;
    front_compact(g->log, &g->head, g->len, 1);
    if (g->head + g->len + more <= g->cap) return true;
    size_t cap = g->cap ? g->cap : 4096;
    while (cap < g->head + g->len + more) cap *= 2;
    char *p = realloc(g->log, cap);
    if (!p) return false;
    g->log = p;
    g->cap = cap;
    return true;
}

static bool starts_reserve(net_group *g) {
    if (g->starts_head + g->nstarts < g->starts_cap) return true;
    front_compact(g->starts, &g->starts_head, g->nstarts, sizeof *g->starts);
    if (g->starts_head + g->nstarts < g->starts_cap) return true;
    size_t cap = g->starts_cap ? g->starts_cap * 2 : 64;
    uint64_t *st = realloc(g->starts, cap * sizeof *st);
    if (!st) return false;
    g->starts = st;
    g->starts_cap = cap;
    return true;
}

bool net_group_send(net_server *n, net_group *g, netmsg *m) {
    if (!g->nmembers) return true;
    if (g->per_member) { /* net_queue, not net_send: no flush in between, net_group_instead replaces the last entry */
        for (uint32_t i = 0; i < g->nmembers;) {
            net_conn *c = g->members[i];
            if (net_queue(n, c, m, 0, 0) || c->group == g) i++; /* a dropped member left: members[i] is another */
        }
        return true;
    }
    struct iovec f = net_frame(m);
    if (!log_reserve(g, f.iov_len)) return false;
    if (!starts_reserve(g)) return false;
    g->starts[g->starts_head + g->nstarts++] = net_group_end(g);
    memcpy(g->log + g->head + g->len, f.iov_base, f.iov_len);
    g->len += f.iov_len;
    g->last_frame = (uint32_t)f.iov_len;
    net_mark_group_dirty(n, g);
    return true;
}

bool net_group_instead(net_server *n, uint64_t conn, netmsg *alt) {
    net_conn *c = net_slot_get(n, conn, SLOT_WS);
    if (!c || !c->group) return false;
    if (c->group->per_member) return net_requeue_last(n, c, alt);
    return net_queue(n, c, alt, net_group_end(c->group) - c->group->last_frame, c->group->last_frame);
}

/* The first broadcast starting at or after `at`, counted from the first one kept. */
static size_t first_start(const net_group *g, uint64_t at) {
    const uint64_t *starts = g->starts + g->starts_head;
    size_t lo = 0, hi = g->nstarts;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (starts[mid] < at) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

size_t net_group_frames(const net_group *g, uint64_t from, uint64_t to) {
    return first_start(g, to) - first_start(g, from);
}

void net_groups_expand(net_server *n) {
    for (size_t i = 0; i < n->ndirty_groups; i++) {
        net_group *g = n->dirty_groups[i];
        for (uint32_t k = 0; k < g->nmembers;) {
            net_conn *c = g->members[k];
            size_t behind = (size_t)(net_group_end(g) - c->gpos) + c->qbytes;
            if (behind > n->cfg.max_queue_bytes) { /* a client that does not read: as net_send does */
                lwsl_notice("connection %llx is too slow (%zu bytes to send), dropping it\n",
                            (unsigned long long)c->id, behind);
                n->counted.queue_drops++;
                net_drop(n, c, 1008); /* leaves the group: members[k] is another one now */
                continue;
            }
            if (!c->held) net_mark_dirty(n, c);
            k++;
        }
    }
}

void net_groups_trim(net_server *n) {
    for (size_t i = 0; i < n->ndirty_groups; i++) {
        net_group *g = n->dirty_groups[i];
        g->dirty = false;
        uint64_t low = net_group_end(g);
        for (uint32_t k = 0; k < g->nmembers; k++)
            if (g->members[k]->gpos < low) low = g->members[k]->gpos;
        size_t done = (size_t)(low - g->base);
        g->head += done;
        g->len -= done;
        g->base = low;
        front_compact(g->log, &g->head, g->len, 1);
        size_t gone = first_start(g, low);
        g->starts_head += gone;
        g->nstarts -= gone;
        front_compact(g->starts, &g->starts_head, g->nstarts, sizeof *g->starts);
        if (!g->head && g->cap > 65536 && g->len < g->cap / 4) { /* a burst is over: give its memory back */
            char *p = realloc(g->log, g->len > 4096 ? g->len : 4096);
            if (p) {
                g->log = p;
                g->cap = g->len > 4096 ? g->len : 4096;
            }
        }
    }
    n->ndirty_groups = 0;
}

void net_group_detach(net_server *n, net_conn *c, bool keep) {
    net_group *g = c->group;
    if (!g) return;
    bool whole = !keep || net_queue_unshare(n, c);
    net_conn *last = g->members[--g->nmembers];
    g->members[c->gslot] = last;
    last->gslot = c->gslot;
    c->group = NULL;
    c->gpos = 0;
    if (!whole) net_drop(n, c, 1011); /* out of memory for its copy: it would miss messages */
}
