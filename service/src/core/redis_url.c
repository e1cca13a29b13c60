#include "core/redis_url.h"

#include <stdarg.h>
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

/* "host[:port]" or "[v6]:port" (len bytes at p) into *node, the port
 * defport unless given. */
static bool parse_hostport(const char *p, size_t len, redis_node *node, int defport, const char **why) {
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
    if (hlen == 0 || hlen >= sizeof node->host) return *why = "the host is missing or too long", false;
    memcpy(node->host, host, hlen);
    node->host[hlen] = '\0';
    node->port = defport;
    long v;
    if (port && !parse_number(port, (size_t)(p + len - port), 1, 65535, &v))
        return *why = "the port must be a number from 1 to 65535", false;
    if (port) node->port = (int)v;
    return true;
}

/* The userinfo before the last '@' of [p, end), if any: *hp is where the
 * host part starts. */
static bool parse_login(const char *p, const char *end, redis_url *u, const char **hp, const char **why) {
    const char *at = NULL; /* the last '@': a password may hold '@' unescaped */
    for (const char *q = p; q < end; q++)
        if (*q == '@') at = q;
    *hp = at ? at + 1 : p;
    if (at && !parse_userinfo(p, (size_t)(at - p), u))
        return *why = "the user or password is empty, too long or badly escaped", false;
    return true;
}

/* "/db" at p (or nothing) into u. */
static bool parse_db(const char *p, const char *end, redis_url *u, const char **why) {
    long db;
    if (p >= end || p + 1 == end) return true;
    if (!parse_number(p + 1, (size_t)(end - p - 1), 0, REDIS_URL_DB_MAX, &db))
        return *why = "the database (after '/') must be a number", false;
    u->db = (int)db;
    return true;
}

/* "h[:p],h[:p]…" (len bytes at p): the Sentinels. */
static bool parse_sentinels(const char *p, size_t len, redis_url *u, const char **why) {
    const char *end = p + len;
    while (p <= end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        if (u->nsentinels == REDIS_URL_SENTINELS_MAX) return *why = "too many Sentinels (at most 8)", false;
        if (!parse_hostport(p, (size_t)(stop - p), &u->sentinels[u->nsentinels], REDIS_URL_SENTINEL_PORT, why))
            return false;
        u->nsentinels++;
        p = stop + 1;
    }
    return true;
}

/* The primary's name: what Sentinel's configuration calls it. */
static bool parse_name(const char *p, size_t len, redis_url *u) {
    if (len == 0 || len >= sizeof u->name) return false;
    for (size_t i = 0; i < len; i++)
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9') ||
              p[i] == '.' || p[i] == '_' || p[i] == '-'))
            return false;
    memcpy(u->name, p, len);
    u->name[len] = '\0';
    return true;
}

/* "sentinel_user=U&sentinel_password=P" (len bytes at p), either or both. */
static bool parse_query(const char *p, size_t len, redis_url *u, const char **why) {
    const char *end = p + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        size_t klen = eq ? (size_t)(eq - p) : 0;
        bool ok = false;
        if (eq && klen == 13 && memcmp(p, "sentinel_user", 13) == 0)
            ok = decode(eq + 1, (size_t)(stop - eq - 1), u->sentinel_user, sizeof u->sentinel_user);
        else if (eq && klen == 17 && memcmp(p, "sentinel_password", 17) == 0)
            ok = decode(eq + 1, (size_t)(stop - eq - 1), u->sentinel_password, sizeof u->sentinel_password) &&
                 (u->sentinel_has_password = true);
        else return *why = "the only query arguments are sentinel_user and sentinel_password", false;
        if (!ok) return *why = "the Sentinels' user or password is too long or badly escaped", false;
        p = stop + 1;
    }
    if (u->sentinel_user[0] && !u->sentinel_has_password)
        return *why = "sentinel_user needs sentinel_password", false;
    return true;
}

/* After "sentinel://": login@sentinels/NAME[/db][?query]. */
static bool parse_sentinel_url(const char *p, redis_url *u, const char **why) {
    size_t len = strlen(p);
    const char *q = memchr(p, '?', len);
    const char *end = q ? q : p + len;
    const char *slash = memchr(p, '/', (size_t)(end - p));
    if (!slash) return *why = "the primary's name (after '/') is missing", false;
    const char *hp;
    if (!parse_login(p, slash, u, &hp, why) || !parse_sentinels(hp, (size_t)(slash - hp), u, why)) return false;
    const char *name = slash + 1;
    const char *db = memchr(name, '/', (size_t)(end - name));
    if (!parse_name(name, (size_t)((db ? db : end) - name), u))
        return *why = "the primary's name must be 1 to 63 letters, digits, '.', '_' or '-'", false;
    if (db && !parse_db(db, end, u, why)) return false;
    return !q || parse_query(q + 1, strlen(q + 1), u, why);
}

bool redis_url_parse(const char *text, redis_url *u, const char **why) {
    memset(u, 0, sizeof *u);
    const char *p = text;
    if (strncmp(p, "sentinel://", 11) == 0) return parse_sentinel_url(p + 11, u, why);
    if (strncmp(p, "redis://", 8) == 0) p += 8;
    else if (strstr(p, "://")) return *why = "only redis:// and sentinel:// URLs are supported", false;
    size_t len = strlen(p);
    const char *slash = memchr(p, '/', len);
    const char *end = slash ? slash : p + len;
    const char *hp;
    redis_node node;
    if (!parse_login(p, end, u, &hp, why) || !parse_hostport(hp, (size_t)(end - hp), &node, 6379, why)) return false;
    memcpy(u->host, node.host, sizeof u->host);
    u->port = node.port;
    return !slash || parse_db(slash, p + len, u, why);
}

bool redis_url_set_password(redis_url *u, const char *password) {
    size_t n = strlen(password);
    if (n >= sizeof u->password) return false;
    memcpy(u->password, password, n + 1);
    u->has_password = true;
    return true;
}

/* Append to dst (n bytes) at *w, cut at its end. */
static void put(char *dst, size_t n, size_t *w, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void put(char *dst, size_t n, size_t *w, const char *fmt, ...) {
    if (*w >= n) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(dst + *w, n - *w, fmt, ap);
    va_end(ap);
    *w = k < 0 ? n : *w + (size_t)k;
}

/* "host:port", brackets around an IPv6 address. */
static void put_node(char *dst, size_t n, size_t *w, const char *host, int port) {
    bool v6 = strchr(host, ':') != NULL;
    put(dst, n, w, "%s%s%s:%d", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

void redis_url_where(const redis_url *u, char *dst, size_t n) {
    size_t w = 0;
    if (n) dst[0] = '\0';
    if (u->nsentinels) {
        put(dst, n, &w, "sentinel ");
        for (int i = 0; i < u->nsentinels; i++) {
            if (i) put(dst, n, &w, ",");
            put_node(dst, n, &w, u->sentinels[i].host, u->sentinels[i].port);
        }
        put(dst, n, &w, "/%s/%d", u->name, u->db);
    } else {
        put_node(dst, n, &w, u->host, u->port);
        put(dst, n, &w, "/%d", u->db);
    }
    if (!u->has_password) return;
    if (u->user[0]) put(dst, n, &w, " (user %s)", u->user);
    else put(dst, n, &w, " (password)");
}

void redis_url_sentinel(const redis_url *u, int i, redis_url *out) {
    memset(out, 0, sizeof *out);
    memcpy(out->host, u->sentinels[i].host, sizeof out->host);
    out->port = u->sentinels[i].port;
    memcpy(out->user, u->sentinel_user, sizeof out->user);
    memcpy(out->password, u->sentinel_password, sizeof out->password);
    out->has_password = u->sentinel_has_password;
}

void redis_url_forget(redis_url *u) {
    explicit_bzero(u->password, sizeof u->password);
    explicit_bzero(u->sentinel_password, sizeof u->sentinel_password);
}
