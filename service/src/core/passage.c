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

bool passage_touched(passage_range r, const ot_op *op) {
    size_t at = 0; /* where the op is, in the text it applies to */
    for (size_t i = 0; i < op->n && at <= r.end; i++) {
        const ot_comp *c = &op->c[i];
        if (c->kind == OT_INSERT) {
            if (at >= r.start) return true;
        } else if (c->kind == OT_DELETE) {
            if (at < r.end && at + c->n > r.start) return true;
            at += c->n;
        } else {
            at += c->n;
        }
    }
    return false;
}

char *passage_cut(char *text) {
    if (!text) return NULL;
    size_t len = strlen(text);
    if (utf8_count(text, len) <= PASSAGE_MAX) return text;
    size_t cut = utf8_offset(text, len, 0, 0, PASSAGE_MAX);
    char *s = malloc(cut + sizeof "…");
    if (s) {
        memcpy(s, text, cut);
        memcpy(s + cut, "…", sizeof "…");
    }
    free(text);
    return s;
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
