/* redis_url.h -- where Redis is and how to log in: the --redis setting,
 * redis://[[user]:password@]host[:port][/db] (README, "Redis with a
 * password"). User and password are percent-decoded (RFC 3986 userinfo); an
 * IPv6 host is written in brackets. Pure: no I/O.
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
#define REDIS_URL_WHERE_MAX (REDIS_URL_HOST_MAX + 32) /* bytes of redis_url_where's text */

typedef struct redis_url {
    char host[REDIS_URL_HOST_MAX];     /* name or address, without brackets */
    int port;                          /* 6379 unless given */
    char user[REDIS_URL_SECRET_MAX];   /* ACL user; "" for the default user */
    char password[REDIS_URL_SECRET_MAX]; /* "" for none: no AUTH */
    bool has_password;                 /* a password was given (it may be empty only with a user) */
    int db;                            /* database to SELECT; 0 unless given */
} redis_url;

/* Parse text into *u (zeroed first). False, with *why saying what is wrong
 * (static text, no part of the URL), when it is not such a URL. */
bool redis_url_parse(const char *text, redis_url *u, const char **why);
/* Replace the password (read from a file rather than written in the URL).
 * False when it does not fit. */
bool redis_url_set_password(redis_url *u, const char *password);
/* "host:port/db" with " (user NAME)" or " (password)" when it logs in: what
 * may be logged. */
void redis_url_where(const redis_url *u, char *dst, size_t n);

#endif
