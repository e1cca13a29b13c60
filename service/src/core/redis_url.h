/* redis_url.h -- where Redis is and how to log in: the --redis setting,
 * redis://[[user]:password@]host[:port][/db] (README, "Redis with a
 * password"), or the Sentinels that know the primary,
 * sentinel://[[user]:password@]host[:port][,host[:port]…]/NAME[/db]
 * [?sentinel_user=U&sentinel_password=P] (README, "Redis with Sentinel"): the
 * userinfo logs in to the primary, the query's to the Sentinels. User and
 * password are percent-decoded (RFC 3986 userinfo); an IPv6 host is written
 * in brackets. Pure: no I/O.
 *
 * The password is a secret: never log a parsed URL, log redis_url_where's
 * text instead. */
#ifndef ATELIER_REDIS_URL_H
#define ATELIER_REDIS_URL_H

#include <stdbool.h>
#include <stddef.h>

#define REDIS_URL_HOST_MAX 256     /* bytes of a host, with its NUL */
#define REDIS_URL_SECRET_MAX 512   /* bytes of a user name or a password, with its NUL */
#define REDIS_URL_DB_MAX 1000000   /* highest database number accepted */
#define REDIS_URL_SENTINELS_MAX 8  /* Sentinels one URL may name */
#define REDIS_URL_NAME_MAX 64      /* bytes of the primary's name (Sentinel's master-name), with its NUL */
#define REDIS_URL_SENTINEL_PORT 26379 /* a Sentinel's port unless given */
#define REDIS_URL_WHERE_MAX (REDIS_URL_SENTINELS_MAX * (REDIS_URL_HOST_MAX + 8) + REDIS_URL_NAME_MAX + 64) /* bytes of redis_url_where's text */

/* A server's address. */
typedef struct redis_node {
    char host[REDIS_URL_HOST_MAX];     /* name or address, without brackets */
    int port;
} redis_node;

typedef struct redis_url {
    char host[REDIS_URL_HOST_MAX];     /* name or address, without brackets; with Sentinels: the primary's once known */
    int port;                          /* 6379 unless given */
    char user[REDIS_URL_SECRET_MAX];   /* ACL user; "" for the default user */
    char password[REDIS_URL_SECRET_MAX]; /* "" for none: no AUTH */
    bool has_password;                 /* a password was given (it may be empty only with a user) */
    int db;                            /* database to SELECT; 0 unless given */
    int nsentinels;                    /* 0: redis://, host:port is the server; else the Sentinels to ask */
    redis_node sentinels[REDIS_URL_SENTINELS_MAX]; /* in the order given, each asked in turn */
    char name[REDIS_URL_NAME_MAX];     /* the primary's name at the Sentinels ([A-Za-z0-9._-]) */
    char sentinel_user[REDIS_URL_SECRET_MAX];     /* the Sentinels' ACL user; "" for the default */
    char sentinel_password[REDIS_URL_SECRET_MAX]; /* "" for none */
    bool sentinel_has_password;        /* the Sentinels need AUTH */
} redis_url;

/* Parse text into *u (zeroed first). False, with *why saying what is wrong
 * (static text, no part of the URL), when it is not such a URL. */
bool redis_url_parse(const char *text, redis_url *u, const char **why);
/* Replace the password (read from a file rather than written in the URL).
 * False when it does not fit. */
bool redis_url_set_password(redis_url *u, const char *password);
/* "host:port/db" with " (user NAME)" or " (password)" when it logs in; with
 * Sentinels "sentinel h:p,h:p/NAME/db" and the same: what may be logged. */
void redis_url_where(const redis_url *u, char *dst, size_t n);
/* Sentinel i's address and credentials as a plain URL (db 0, no Sentinels),
 * for the connection that asks it. */
void redis_url_sentinel(const redis_url *u, int i, redis_url *out);
/* Wipe every secret it holds. */
void redis_url_forget(redis_url *u);

#endif
