/* libwebsockets' allocations (lws_set_allocator).
 *
 * A connection's lasting memory in lws is small (its wsi, its WebSocket
 * state, its receive buffer: under 1 KiB each), but while it is being
 * handshaken it also holds a header table of about 5 KiB (4 KiB of header
 * data by default). When thousands of clients connect at once, those tables
 * are taken from the heap in between the lasting allocations of the
 * connections that are already open, and once they are given back glibc
 * cannot return the pages: the heap keeps the storm's high-water mark
 * (bench/README.md, "Memory per connection": 7.8 kB per connection after a
 * storm of 10,000 instead of 3.2 kB).
 *
 * So the header tables (and whatever lws allocates of NET_ALLOC_PAGED or
 * more) get pages of their own (mmap), given back to the system when lws
 * frees them; the rest is malloc's.
 * Each block is preceded by a header saying which it is. Cost: one mmap and
 * one munmap per header table, against the hundreds of microseconds a
 * handshake and a join cost. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "net/net_internal.h"

#define NET_ALLOC_PAGED 2048 /* lws allocations at least this big get pages of their own */

/* Before each block. 16 bytes: what follows keeps malloc's alignment. */
typedef struct block {
    size_t size;   /* bytes asked for */
    size_t mapped; /* bytes mapped (a multiple of the page size), 0: from malloc */
} block;

/* Whether lws' allocation goes to pages of its own: big ones, and the
 * header table's own struct (976 bytes in lws 4.1), which comes and goes
 * with each handshake like its data. Had lws another name for it, it would
 * simply come from malloc, as before. */
static bool paged(size_t size, const char *reason) {
    return size >= NET_ALLOC_PAGED || (reason && strcmp(reason, "ah struct") == 0);
}

static block *block_new(size_t size, bool mapped) {
    size_t need = sizeof(block) + size;
    block *b;
    if (mapped) {
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        size_t len = (need + page - 1) / page * page;
        void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return NULL;
        b = p;
        b->mapped = len;
    } else {
        b = malloc(need);
        if (!b) return NULL;
        b->mapped = 0;
    }
    b->size = size;
    return b;
}

static void block_free(block *b) {
    if (b->mapped) munmap(b, b->mapped);
    else free(b);
}

/* lws' realloc: size 0 frees, ptr NULL allocates. */
static void *lws_alloc(void *ptr, size_t size, const char *reason) {
    block *old = ptr ? (block *)ptr - 1 : NULL;
    if (size == 0) {
        if (old) block_free(old);
        return NULL;
    }
    bool mapped = paged(size, reason);
    if (old && !old->mapped && !mapped) { /* stays small: malloc's realloc */
        block *b = realloc(old, sizeof(block) + size);
        if (!b) return NULL;
        b->size = size;
        return b + 1;
    }
    if (old && old->mapped && mapped && sizeof(block) + size <= old->mapped) {
        old->size = size; /* fits in its pages */
        return old + 1;
    }
    block *b = block_new(size, mapped);
    if (!b) return NULL; /* old stays valid, as realloc's contract says */
    if (old) {
        memcpy(b + 1, old + 1, old->size < size ? old->size : size);
        block_free(old);
    }
    return b + 1;
}

void net_alloc_install(void) { lws_set_allocator(lws_alloc); }
