#include "store/store_sentinel.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A port as decimal text, 1 to 65535. */
static bool read_port(const char *p, size_t len, int *port) {
    long v = 0;
    if (len == 0 || len > 5) return false;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') return false;
        v = v * 10 + (p[i] - '0');
    }
    if (v < 1 || v > 65535) return false;
    *port = (int)v;
    return true;
}

static bool read_host(const char *p, size_t len, redis_node *out) {
    if (len == 0 || len >= sizeof out->host || memchr(p, '\0', len)) return false;
    memcpy(out->host, p, len);
    out->host[len] = '\0';
    return true;
}

bool sentinel_read_master(const redisReply *r, redis_node *out) {
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) return false;
    const redisReply *host = r->element[0], *port = r->element[1];
    return host->type == REDIS_REPLY_STRING && port->type == REDIS_REPLY_STRING &&
           read_host(host->str, host->len, out) && read_port(port->str, port->len, &out->port);
}

bool sentinel_read_switch(const char *payload, size_t len, const char *name, redis_node *out) {
    const char *word[5];
    size_t wlen[5], n = 0, i = 0;
    while (i < len && n < 5) {
        while (i < len && payload[i] == ' ') i++;
        size_t start = i;
        while (i < len && payload[i] != ' ') i++;
        if (i > start) {
            word[n] = payload + start;
            wlen[n++] = i - start;
        }
    }
    while (i < len && payload[i] == ' ') i++;
    if (n != 5 || i != len) return false;
    if (wlen[0] != strlen(name) || memcmp(word[0], name, wlen[0]) != 0) return false;
    return read_host(word[3], wlen[3], out) && read_port(word[4], wlen[4], &out->port);
}

bool sentinel_role_is_master(const redisReply *r) {
    return r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1 && r->element[0]->type == REDIS_REPLY_STRING &&
           strcmp(r->element[0]->str, "master") == 0;
}

bool sentinel_read_run_id(const redisReply *r, char out[SENTINEL_RUN_ID_LEN + 1]) {
    if (!r || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS)) return false;
    const char *p = strstr(r->str, "run_id:");
    if (!p) return false;
    p += 7;
    size_t n = strspn(p, "0123456789abcdef");
    if (n != SENTINEL_RUN_ID_LEN) return false;
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}
