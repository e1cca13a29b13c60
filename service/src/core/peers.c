#include "core/peers.h"

#include <stdlib.h>
#include <string.h>

void peers_init(peers *p, size_t max_open, size_t max_per_addr) {
    memset(p, 0, sizeof *p);
    p->max_open = max_open;
    p->max_per_addr = max_per_addr;
}

void peers_free(peers *p) {
    free(p->slots);
    p->slots = NULL;
    p->cap = p->used = p->open = 0;
}

/* Every bit of the address moves the low bits (murmur3's finalizer), so
 * that neighbours (one subnet) and addresses alike in their low bits spread out. */
static size_t home(const peers *p, uint32_t addr) {
    uint32_t h = addr;
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return (size_t)(h & (uint32_t)(p->cap - 1));
}

/* The slot holding addr, or the empty slot where it would go. */
static size_t find(const peers *p, uint32_t addr) {
    size_t i = home(p, addr);
    while (p->slots[i].addr && p->slots[i].addr != addr) i = (i + 1) & (p->cap - 1);
    return i;
}

static bool grow(peers *p) {
    size_t cap = p->cap ? p->cap * 2 : 64;
    peers_entry *old = p->slots;
    size_t old_cap = p->cap;
    p->slots = calloc(cap, sizeof *p->slots);
    if (!p->slots) {
        p->slots = old;
        return false;
    }
    p->cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].addr) p->slots[find(p, old[i].addr)] = old[i];
    free(old);
    return true;
}

size_t peers_of(const peers *p, uint32_t addr) {
    if (!p->cap || !addr) return 0;
    return p->slots[find(p, addr)].open;
}

peers_verdict peers_admit(peers *p, uint32_t addr) {
    if (!addr) addr = 1; /* 0 marks an empty slot */
    if (p->open >= p->max_open) return PEERS_FULL;
    if (peers_of(p, addr) >= p->max_per_addr) return PEERS_ADDR_FULL;
    /* At most half full, so that probes stay short. */
    if ((p->used + 1) * 2 > p->cap && !grow(p)) return PEERS_NO_MEMORY;
    peers_entry *e = &p->slots[find(p, addr)];
    if (!e->addr) {
        e->addr = addr;
        p->used++;
    }
    e->open++;
    p->open++;
    return PEERS_OK;
}

/* Empty slot i, moving back the entries after it that would no longer be
 * found past the hole (deletion in linear probing, without tombstones). */
static void remove_at(peers *p, size_t i) {
    size_t mask = p->cap - 1;
    for (size_t j = (i + 1) & mask; p->slots[j].addr; j = (j + 1) & mask) {
        size_t h = home(p, p->slots[j].addr);
        /* j's entry may fill the hole at i unless its home lies in (i, j]. */
        bool home_between = i <= j ? (i < h && h <= j) : (i < h || h <= j);
        if (home_between) continue;
        p->slots[i] = p->slots[j];
        i = j;
    }
    p->slots[i] = (peers_entry){0};
    p->used--;
}

void peers_release(peers *p, uint32_t addr) {
    if (!addr) addr = 1;
    if (!p->cap) return;
    size_t i = find(p, addr);
    if (!p->slots[i].addr) return; /* never counted */
    p->open--;
    if (--p->slots[i].open == 0) remove_at(p, i);
}

uint32_t peers_key(const uint8_t *addr, size_t len) {
    uint32_t k;
    if (len == 4) {
        memcpy(&k, addr, 4);
        return k ? k : 1;
    }
    /* FNV-1a over the /64. */
    k = 2166136261u;
    for (size_t i = 0; i < 8 && i < len; i++) k = (k ^ addr[i]) * 16777619u;
    return k ? k : 1;
}
