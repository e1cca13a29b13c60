/* load.h -- what the modes of atelier-load share (defined in load.c): the
 * clock and random numbers, /proc readings, the typed text, reading server
 * messages, moving an op in flight over others' ops, creating workshops. */
#ifndef BENCH_LOAD_H
#define BENCH_LOAD_H

#include "jscan.h"

#include <stddef.h>
#include <stdint.h>

enum { K_NOOP = 0, K_INS = 1, K_DEL = 2 };

/* One typed op in flight: a single character inserted or deleted. */
typedef struct pend {
    uint64_t t_ns;   /* when it was sent */
    int64_t pos;     /* position as the op was written (transformed while in flight) */
    uint64_t seq;    /* its sequence number (its id's suffix) */
    uint8_t kind;    /* K_INS, K_DEL, or K_NOOP once someone else deleted its character */
} pend;

/* The members of a server message the tool reads (raw JSON, strings with quotes). */
typedef struct msgf {
    js_span type, rev, op, author, id, code, message, re;
} msgf;

#define NORGS 5
extern const char *const ORGS[NORGS]; /* the organisations clients join with, by index modulo NORGS */

uint64_t now_ns(void);          /* CLOCK_MONOTONIC, ns */
uint64_t rnd(void);             /* xorshift64, seeded by --seed */
double rndf(void);              /* uniform in [0, 1) */
void *xcalloc(size_t n, size_t s); /* exits with 2 when out of memory */
double proc_cpu_s(int pid);     /* utime + stime of /proc/PID/stat, s; -1 if unreadable */
long proc_rss_kb(int pid);      /* VmRSS of /proc/PID/status, kB; -1 if unreadable */

/* Walk a received op: returns its length delta in code points and moves the
 * op in flight p (if any) over it as the server will; INT64_MIN if malformed. */
int64_t op_walk(js_span op, pend *p);
/* A random place in the typed text, at the first byte of a character. */
size_t typed_text_start(void);
/* The next character of the typed text from *textpos, as JSON string content
 * (a newline is written "\n"); returns its length in bytes (at most 4). */
size_t next_char(size_t *textpos, char *out);
/* The next typed edit at the caret (moved 5 % of the time, kept inside len):
 * a backspace 15 % of the time (50 % past 4,000 code points, so the text stays
 * bounded; never with insert_only), else the next character of the typed
 * text into ins (*insl bytes). Its kind and pos are set, t_ns and seq not. */
pend typed_edit(int64_t *caret, int64_t len, size_t *textpos, int insert_only, char ins[8], size_t *insl);
/* type, rev, op, author, id, code, message, re of one server message; -1 if unreadable. */
int parse_msg(const char *data, size_t len, msgf *m);
/* Errors received, by code: count_code adds one, print_codes lists them. */
void count_code(js_span code);
void print_codes(void);
/* The server (index into ws_g.srv) of the i-th client when clients are dealt
 * out to `groups` workshops round-robin: each workshop's own clients go
 * round-robin over the servers, so every workshop is split evenly. */
int server_of(int i, int groups);
/* With several servers, print how many of nclients go to each. */
void report_addresses(int nclients, int groups);
/* POST /api/workshops (blocking): the i-th workshop's id and facilitator key. 0 or -1. */
int create_workshop(int i, char *id, size_t idsz, char *key, size_t keysz);

#endif
