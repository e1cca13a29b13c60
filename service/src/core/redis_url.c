#include "core/redis_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* len bytes at src, percent-decoded, into dst (n bytes with the NUL). False
 * on a bad escape, a NUL, or when it does not fit. */
static bool decode(const char *src, size_t len, char *dst, size_t n) {
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '%') {
            int hi = i + 2 < len ? hex_value(src[i + 1]) : -1;
            int lo = i + 2 < len ? hex_value(src[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return false;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (o + 1 >= n) return false;
        dst[o++] = c;
    }
    dst[o] = '\0';
    return true;
}

/* "user:password" or "password" (len bytes at p) into u. */
static bool parse_userinfo(const char *p, size_t len, redis_url *u) {
    const char *colon = memchr(p, ':', len);
    if (!colon) return decode(p, len, u->password, sizeof u->password) && (u->has_password = len > 0);
    size_t ulen = (size_t)(colon - p);
    if (!decode(p, ulen, u->user, sizeof u->user) || !decode(colon + 1, len - ulen - 1, u->password, sizeof u->password))
        return false;
    u->has_password = true;
    return ulen > 0 || colon + 1 < p + len; /* ":" alone says nothing */
}

/* Decimal digits only, within [min, max]. */
static bool parse_number(const char *p, size_t len, long min, long max, long *out) {
    if (len == 0 || len > 9) return false;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') return false;
        v = v * 10 + (p[i] - '0');
    }
    if (v < min || v > max) return false;
    *out = v;
    return true;
}

/* "host[:port]" or "[v6]:port" (len bytes at p) into u. */
static bool parse_hostport(const char *p, size_t len, redis_url *u, const char **why) {
    const char *host = p, *port = NULL;
    size_t hlen = len;
    if (len && p[0] == '[') {
        const char *close = memchr(p, ']', len);
        if (!close) return *why = "an IPv6 address must end with ']'", false;
        host = p + 1;
        hlen = (size_t)(close - host);
        if (close + 1 < p + len) {
            if (close[1] != ':') return *why = "expected ':' and a port after ']'", false;
            port = close + 2;
        }
    } else {
        const char *colon = memchr(p, ':', len);
        if (colon) {
            hlen = (size_t)(colon - p);
            port = colon + 1;
        }
    }
    if (hlen == 0 || hlen >= sizeof u->host) return *why = "the host is missing or too long", false;
    memcpy(u->host, host, hlen);
    u->host[hlen] = '\0';
    u->port = 6379;
    long v;
    if (port && !parse_number(port, (size_t)(p + len - port), 1, 65535, &v))
        return *why = "the port must be a number from 1 to 65535", false;
    if (port) u->port = (int)v;
    return true;
}

bool redis_url_parse(const char *text, redis_url *u, const char **why) {
    memset(u, 0, sizeof *u);
    const char *p = text;
    if (strncmp(p, "redis://", 8) == 0) p += 8;
    else if (strstr(p, "://")) return *why = "only redis:// URLs are supported", false;
    size_t len = strlen(p);
    const char *slash = memchr(p, '/', len);
    const char *end = slash ? slash : p + len;
    /* The last '@' before the path: a password may hold '@' unescaped. */
    const char *at = NULL;
    for (const char *q = p; q < end; q++)
        if (*q == '@') at = q;
    if (at && !parse_userinfo(p, (size_t)(at - p), u))
        return *why = "the user or password is empty, too long or badly escaped", false;
    const char *hp = at ? at + 1 : p;
    if (!parse_hostport(hp, (size_t)(end - hp), u, why)) return false;
    if (slash && slash[1]) {
        long db;
        if (!parse_number(slash + 1, strlen(slash + 1), 0, REDIS_URL_DB_MAX, &db))
            return *why = "the database (after '/') must be a number", false;
        u->db = (int)db;
    }
    return true;
}

bool redis_url_set_password(redis_url *u, const char *password) {
    size_t n = strlen(password);
    if (n >= sizeof u->password) return false;
    memcpy(u->password, password, n + 1);
    u->has_password = true;
    return true;
}

void redis_url_where(const redis_url *u, char *dst, size_t n) {
    bool v6 = strchr(u->host, ':') != NULL;
    int w = snprintf(dst, n, "%s%s%s:%d/%d", v6 ? "[" : "", u->host, v6 ? "]" : "", u->port, u->db);
    if (w < 0 || (size_t)w >= n || !u->has_password) return;
    if (u->user[0]) snprintf(dst + w, n - (size_t)w, " (user %s)", u->user);
    else snprintf(dst + w, n - (size_t)w, " (password)");
}
