/* passage.h -- a passage of the statement: a range of code points that
 * follows the edits (protocol/polls.md, "Polls about a passage"). Pure. */
#ifndef ATELIER_PASSAGE_H
#define ATELIER_PASSAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/ot.h"

#define PASSAGE_MAX 2000 /* code points a passage may hold when a poll is made about it */

/* Code points [start, end) of a text; start <= end. */
typedef struct passage_range {
    size_t start;        /* the first code point in it */
    size_t end;          /* the first code point after it */
} passage_range;

/* r moved over op, each end as a caret (ot_transform_position): text
 * inserted inside the range, or at its start, is inside it; text inserted at
 * its end is after it; deleted text leaves it; a range deleted entirely is
 * empty (start == end) and stays empty. */
passage_range passage_transform(passage_range r, const ot_op *op);
/* text (taken) cut to its first PASSAGE_MAX code points and "…" when it is
 * longer: a passage grows with what is typed inside it, and what is stored,
 * sent and kept of it stays bounded. The result is the caller's to free;
 * NULL when text is NULL or out of memory (text is then freed). */
char *passage_cut(char *text);
/* Whether op may change the text of r (on the text op applies to): it
 * inserts within [start, end] or deletes a code point of [start, end).
 * False means r's text is the same after op, only moved: the shell need not
 * read it again (reading it costs the length of the text before it). */
bool passage_touched(passage_range r, const ot_op *op);
/* The range's text, a new NUL-terminated copy of its bytes in the UTF-8
 * text t (the caller frees it); NULL when it does not fit
 * t or out of memory. */
char *passage_text(passage_range r, const char *t, size_t len);

#endif
