/* The client's address behind a trusted proxy: see forwarded.h. */
#include "core/forwarded.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t V4_MAPPED[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* text (exactly n bytes, no port, no brackets) as 16 bytes, IPv4 mapped. */
static bool parse_addr(const char *text, size_t n, uint8_t out[16], bool *v4) {
    char s[FORWARDED_ADDR_MAX];
    if (n == 0 || n >= sizeof s) return false;
    memcpy(s, text, n);
    s[n] = '\0';
    uint8_t b4[4];
    if (inet_pton(AF_INET, s, b4) == 1) {
        memcpy(out, V4_MAPPED, 12);
        memcpy(out + 12, b4, 4);
        *v4 = true;
        return true;
    }
    *v4 = false;
    return inet_pton(AF_INET6, s, out) == 1;
}

/* The canonical text of a 16-byte address: an IPv4-mapped one as IPv4. */
static bool format_addr(const uint8_t a[16], char *buf, size_t len) {
    bool mapped = memcmp(a, V4_MAPPED, 12) == 0;
    char s[FORWARDED_ADDR_MAX];
    if (!inet_ntop(mapped ? AF_INET : AF_INET6, mapped ? a + 12 : a, s, sizeof s) || strlen(s) >= len) return false;
    memcpy(buf, s, strlen(s) + 1);
    return true;
}

static bool in_net(const forwarded_net *net, const uint8_t a[16]) {
    int whole = net->bits / 8, rest = net->bits % 8;
    if (memcmp(net->addr, a, (size_t)whole) != 0) return false;
    if (!rest) return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[whole] & mask) == net->addr[whole];
}

static bool trusted_bytes(const forwarded_proxies *p, const uint8_t a[16]) {
    for (size_t i = 0; i < p->n; i++)
        if (in_net(&p->nets[i], a)) return true;
    return false;
}

/* "ADDR" or "ADDR/BITS" (n bytes) into *net, the bits past the prefix cleared. */
static bool parse_net(const char *e, size_t n, forwarded_net *net) {
    const char *slash = memchr(e, '/', n);
    size_t alen = slash ? (size_t)(slash - e) : n;
    bool v4;
    if (!parse_addr(e, alen, net->addr, &v4)) return false;
    long bits = v4 ? 32 : 128;
    if (slash) {
        const char *d = slash + 1;
        size_t dl = n - alen - 1;
        if (dl == 0 || dl > 3 || strspn(d, "0123456789") < dl) return false;
        bits = 0;
        for (size_t i = 0; i < dl; i++) bits = bits * 10 + (d[i] - '0');
        if (bits > (v4 ? 32 : 128)) return false;
    }
    net->bits = (uint8_t)(v4 ? bits + 96 : bits);
    for (int i = 0; i < 16; i++) { /* a range's host bits are not part of it */
        int keep = (int)net->bits - i * 8;
        net->addr[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
    }
    return true;
}

bool forwarded_parse_proxies(const char *list, forwarded_proxies *out, const char **bad) {
    static const char SEP[] = ", \t";
    memset(out, 0, sizeof *out);
    for (const char *e = list + strspn(list, SEP); *e; e += strspn(e, SEP)) {
        size_t n = strcspn(e, SEP);
        if (out->n == FORWARDED_PROXIES_MAX || !parse_net(e, n, &out->nets[out->n])) {
            *bad = e;
            memset(out, 0, sizeof *out);
            return false;
        }
        out->n++;
        e += n;
    }
    return true;
}

bool forwarded_trusted(const forwarded_proxies *p, const char *addr) {
    uint8_t a[16];
    bool v4;
    return p->n && parse_addr(addr, strlen(addr), a, &v4) && trusted_bytes(p, a);
}

/* The entry of xff that ends at `end` (exclusive), spaces trimmed: its start
 * into *from and its length returned. */
static size_t entry_before(const char *xff, const char *end, const char **from) {
    while (end > xff && (end[-1] == ' ' || end[-1] == '\t')) end--;
    const char *s = end;
    while (s > xff && s[-1] != ',') s--;
    while (s < end && (*s == ' ' || *s == '\t')) s++;
    *from = s;
    return (size_t)(end - s);
}

/* Where the entry before the one starting at `from` ends (its comma), or NULL at the first. */
static const char *previous_end(const char *xff, const char *from) {
    while (from > xff && from[-1] != ',') from--;
    return from > xff ? from - 1 : NULL;
}

bool forwarded_client(const forwarded_proxies *p, const char *peer, const char *xff, char *buf, size_t len) {
    uint8_t client[16];
    bool v4;
    if (!parse_addr(peer, strlen(peer), client, &v4)) {
        if (strlen(peer) < len) memcpy(buf, peer, strlen(peer) + 1);
        return false;
    }
    const char *end = xff ? xff + strlen(xff) : NULL;
    while (end && trusted_bytes(p, client)) {
        const char *from;
        size_t n = entry_before(xff, end, &from);
        uint8_t next[16];
        if (!parse_addr(from, n, next, &v4)) break; /* not an address: the proxy stands */
        memcpy(client, next, sizeof next);
        end = previous_end(xff, from);
    }
    return format_addr(client, buf, len);
}
