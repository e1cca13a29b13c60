/* passage.c -- a range of the statement moved over each edit. Both ends
 * move as carets do, with the OT's own position transform, so the range and
 * the carets of the people editing it never disagree. */
#include "core/passage.h"

#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

passage_range passage_transform(passage_range r, const ot_op *op) {
    passage_range out = {ot_transform_position(r.start, op), ot_transform_position(r.end, op)};
    /* An empty range stays empty: its two ends are one caret. */
    if (r.start == r.end || out.end < out.start) out.end = out.start;
    return out;
}

char *passage_text(passage_range r, const char *t, size_t len) {
    if (r.end < r.start) return NULL;
    size_t cps = utf8_count(t, len);
    if (r.end > cps) return NULL;
    size_t a = utf8_offset(t, len, 0, 0, r.start);
    size_t b = utf8_offset(t, len, r.start, a, r.end);
    char *s = malloc(b - a + 1);
    if (!s) return NULL;
    memcpy(s, t + a, b - a);
    s[b - a] = '\0';
    return s;
}
