/* jscan.h -- read server messages without building a tree.
 *
 * Why: at tens of thousands of broadcasts per second, a cJSON parse per
 * message (dozens of allocations) would make the load tool slower than the
 * server. The server's messages are small flat objects; we walk them once and
 * take the few members we need. Input is trusted to be JSON from the server;
 * malformed input makes the functions return errors, never read past the end. */
#ifndef BENCH_JSCAN_H
#define BENCH_JSCAN_H

#include <stddef.h>
#include <stdint.h>

typedef struct js_span {
    const char *p;
    size_t n;
} js_span;

typedef struct js_iter {
    const char *p, *e;
    int first;
} js_iter;

/* Skip one JSON value starting at p (whitespace allowed before it); returns
 * the position just after it, or NULL on malformed input. */
const char *js_skip(const char *p, const char *e);

/* Iterate the members of an object; key is the raw text between the quotes
 * (keys are plain ASCII in this protocol), val the raw value (strings keep
 * their quotes). next returns 1 per member, 0 at the end, -1 on error. */
int js_obj_begin(js_iter *it, const char *s, size_t n);
int js_obj_next(js_iter *it, js_span *key, js_span *val);

/* Iterate the elements of an array value. */
int js_arr_begin(js_iter *it, js_span arr);
int js_arr_next(js_iter *it, js_span *val);

int js_key_is(js_span k, const char *lit);
/* Integer value; *ok set to 0 if it is not a number. */
int64_t js_int(js_span v, int *ok);
/* 1 when v is a string equal to lit (no escapes in lit). */
int js_str_is(js_span v, const char *lit);
/* Code points in the decoded value of the string v (with its quotes):
 * \uD8xx\uDCxx pairs count once, every other escape once, raw UTF-8 by lead bytes. */
size_t js_str_cps(js_span v);

#endif
