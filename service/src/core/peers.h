/* peers.h -- open connections counted for the whole process and per client
 * address, so that a connection over a limit is refused when it is accepted,
 * before anything is allocated for it (protocol/README.md, "Limits").
 *
 * Pure: no sockets. An address is a 32-bit key: an IPv4 address as is, an
 * IPv6 address as a hash of its /64 (one site's prefix), never 0. The table
 * holds the addresses with at least one connection, so it is never larger
 * than twice the connections open; an address whose last connection closes
 * leaves it. */
#ifndef ATELIER_PEERS_H
#define ATELIER_PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct peers_entry {
    uint32_t addr;             /* the key, 0 for an empty slot */
    uint32_t open;             /* connections open from it */
} peers_entry;

typedef struct peers {
    peers_entry *slots;        /* open addressing, linear probing */
    size_t cap;                /* a power of two, or 0 before the first connection */
    size_t used;               /* addresses in the table */
    size_t open;               /* connections open in all */
    size_t max_open;           /* most connections open in all */
    size_t max_per_addr;       /* most connections open from one address */
} peers;

/* Why a connection was refused (PEERS_OK: it was counted). */
typedef enum {
    PEERS_OK,
    PEERS_FULL,                /* max_open connections are open */
    PEERS_ADDR_FULL,           /* max_per_addr connections are open from this address */
    PEERS_NO_MEMORY,           /* the table could not grow */
} peers_verdict;

void peers_init(peers *p, size_t max_open, size_t max_per_addr);
void peers_free(peers *p);
/* A connection from addr: counted when the limits allow it. */
peers_verdict peers_admit(peers *p, uint32_t addr);
/* A connection peers_admit counted has closed. */
void peers_release(peers *p, uint32_t addr);
/* Connections open from addr. */
size_t peers_of(const peers *p, uint32_t addr);
/* The key of an IPv4 address (network byte order, 4 bytes) or of an IPv6 one
 * (16 bytes): see the top of this file. */
uint32_t peers_key(const uint8_t *addr, size_t len);

#endif
