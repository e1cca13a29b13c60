/* mixed.h -- atelier-load --mode mixed: the soak (issue 14, item 11).
 *
 * N clients over W workshops for D seconds, all at once: typing (K typers at
 * R ops/s, one op in flight each), joins and leaves (every participant leaves
 * now and then and comes back with resume), polls with votes (each
 * workshop's facilitator creates, opens and closes a poll every
 * --poll-secs; participants vote and sometimes change their vote), history
 * reads (pages of GET /api/workshops/ID/history). Each client keeps the
 * statement's text. At the end: every client's text equals GET .../state,
 * every acknowledged op is in the workshop's Redis events stream exactly
 * once at its revision, every acknowledged ballot is in Redis and the poll's
 * counts add up; errors are sorted into expected (during a server or Redis
 * restart the tool saw) and unexpected; the server's RSS is sampled
 * throughout. See bench/README.md, "Soak". */
#ifndef BENCH_MIXED_H
#define BENCH_MIXED_H

#include <signal.h>

typedef struct mixed_opts {
    int clients, workshops, typers; /* connections, workshops, clients that type */
    int batch;                      /* connections joining at once */
    int server_pid;                 /* the server's pid, unless server_pid_file */
    double rate;                    /* ops/s per typer */
    double duration;                /* seconds of mixed load */
    double drain;                   /* seconds to wait for everyone to settle at the end */
    double join_timeout;            /* seconds for the first joins */
    const char *redis;              /* HOST:PORT of the server's Redis (read directly at the end) */
    const char *server_pid_file;    /* re-read every second: the server may be restarted */
    double poll_secs;               /* one poll cycle per workshop (open for 3/4 of it) */
    double churn_secs;              /* mean time a participant stays before leaving a while */
    double history_secs;            /* one history page read every this often */
    double rss_secs;                /* server RSS sampled every this often */
    double rss_warmup;              /* RSS growth counted from this long after the server (re)started */
} mixed_opts;

/* Runs the mode and prints its report; 0 when every check passed, 3 when one
 * failed, 2 when it could not start. *stop is set by SIGINT/SIGTERM. */
int mixed_run(const mixed_opts *o, volatile sig_atomic_t *stop);

#endif
