/* resp.h -- Redis commands written as RESP (an array of bulk strings).
 *
 * For the op path: hiredis' argv and format-string APIs build every argument
 * with sdscatfmt and grow their buffer piece by piece, which cost more than
 * the rest of a batch's encoding. Here a command is written straight into a
 * reused buffer and handed to hiredis whole. Pure: bytes into an sbuf. */
#ifndef ATELIER_RESP_H
#define ATELIER_RESP_H

#include <stddef.h>
#include <stdint.h>

#include "core/sbuf.h"

/* Start a command of argc arguments (the command name counts). */
void resp_begin(sbuf *b, size_t argc);
/* One argument: n bytes at p (any bytes). */
void resp_arg(sbuf *b, const void *p, size_t n);
static inline void resp_argz(sbuf *b, const char *s) { resp_arg(b, s, __builtin_strlen(s)); }
/* One argument: v in decimal. */
void resp_arg_i64(sbuf *b, int64_t v);

#endif
