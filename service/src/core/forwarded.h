/* forwarded.h -- the client's address behind a reverse proxy the server is
 * told to trust (--trust-proxy): read from X-Forwarded-For, only when the
 * TCP peer is one of those proxies (README, "Behind a proxy").
 *
 * Pure: addresses arrive as text (the peer from the socket, the header's
 * value), nothing is looked up. A proxy list is a few addresses or CIDR
 * ranges ("127.0.0.1,::1,10.0.0.0/8"), parsed once at start.
 *
 * Which entry of X-Forwarded-For names the client: proxies append the
 * address they heard from, so the list is read from its end. The last
 * entry was written by the trusted peer; while an entry is itself a
 * trusted proxy, the one before it was written by that proxy and is read
 * next. The first entry that is not a trusted proxy is the client. Entries
 * further left were written by whoever sent the request (anyone) and are
 * never read. An entry that is not an address ends the walk: the last
 * trusted address read stands (a proxy, so the requests share its
 * limits rather than escape them). */
#ifndef ATELIER_FORWARDED_H
#define ATELIER_FORWARDED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FORWARDED_PROXIES_MAX 16   /* entries of a --trust-proxy list */
#define FORWARDED_ADDR_MAX 46      /* bytes of an address as text, with its NUL (INET6_ADDRSTRLEN) */

/* One trusted address or range. IPv4 is held as IPv4-mapped IPv6
 * (::ffff:a.b.c.d), so that one comparison serves both families. */
typedef struct forwarded_net {
    uint8_t addr[16];              /* the network, bits past `bits` zero */
    uint8_t bits;                  /* prefix length, 0..128 (a single address: 128) */
} forwarded_net;

typedef struct forwarded_proxies {
    forwarded_net nets[FORWARDED_PROXIES_MAX]; /* the list, in the order given */
    size_t n;                      /* entries used; 0: no proxy is trusted */
} forwarded_proxies;

/* Parse a list of addresses or CIDR ranges separated by commas or spaces
 * into *out. An empty list trusts nobody. False (and *out empty) on an
 * entry that is not one, or more than FORWARDED_PROXIES_MAX; *bad then
 * points into list at the offending entry. */
bool forwarded_parse_proxies(const char *list, forwarded_proxies *out, const char **bad);
/* addr (text, IPv4 or IPv6, IPv4-mapped too) is in the list. */
bool forwarded_trusted(const forwarded_proxies *p, const char *addr);
/* The address to count a request against, into buf (len bytes, at least
 * FORWARDED_ADDR_MAX): the peer itself unless it is trusted; else the client
 * named by xff (NULL: no header) as the top of this file says. Addresses are
 * written in their canonical text form (IPv4-mapped as IPv4), so that one
 * client has one key however it was spelled. False when buf is too small or
 * peer is not an address (buf is then the peer as given, when it fits). */
bool forwarded_client(const forwarded_proxies *p, const char *peer, const char *xff, char *buf, size_t len);

#endif
