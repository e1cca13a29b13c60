/* poll_passage.c -- polls about a passage of the statement (protocol/
 * polls.md, "Polls about a passage"): the range a facilitator selected, as
 * the shell moves it over every edit (core/passage.h), its text now, and its
 * text when the first ballot was cast, so everyone can see the passage
 * changed since people started voting on it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/passage.h"
#include "core/poll.h"
#include "core/poll_internal.h"

static const cJSON *item(const cJSON *o, const char *key) { return cJSON_GetObjectItemCaseSensitive(o, key); }

/* start, end and rev of o: whole numbers, start <= end. */
static bool read_range(const cJSON *o, poll_passage *out) {
    int64_t s, e, r;
    if (!cJSON_IsObject(o) || !proto_json_int(item(o, "start"), 0, PROTO_SAFE_INT_MAX, &s) ||
        !proto_json_int(item(o, "end"), 0, PROTO_SAFE_INT_MAX, &e) ||
        !proto_json_int(item(o, "rev"), 0, PROTO_SAFE_INT_MAX, &r) || e < s)
        return false;
    out->start = (size_t)s;
    out->end = (size_t)e;
    out->rev = r;
    out->set = true;
    return true;
}

poll_err poll_passage_from_json(const cJSON *v, poll_passage *out, const char **why) {
    memset(out, 0, sizeof *out);
    if (!read_range(v, out) || out->start == out->end)
        return poll__fail(why, POLL_EBAD_REQUEST,
                          "passage is {\"start\", \"end\", \"rev\"}: code points start < end of the statement at revision rev");
    if (out->end - out->start > PASSAGE_MAX)
        return poll__fail(why, POLL_EBAD_REQUEST, "a passage holds at most 2000 characters");
    return POLL_OK;
}

poll_err poll__passage_from_record(const cJSON *v, poll_passage *out, const char **why) {
    memset(out, 0, sizeof *out);
    if (!v) return POLL_OK;
    const cJSON *first = item(v, "first");
    if (!read_range(v, out) || (first && !cJSON_IsString(first)))
        return poll__fail(why, POLL_EBAD_REQUEST, "a stored passage needs start <= end, rev, and first a string if any");
    if (first && !(out->first = strdup(first->valuestring))) return poll__fail(why, POLL_EINTERNAL, "out of memory");
    return POLL_OK;
}

bool poll_passage_set(poll_t *p, size_t start, size_t end, int64_t rev, char *text) {
    poll_passage *ps = &p->passage;
    text = passage_cut(text); /* what is kept, stored and sent of it stays bounded */
    bool changed = !ps->text || !text || strcmp(ps->text, text) != 0;
    ps->start = start;
    ps->end = end;
    ps->rev = rev;
    if (!text) return changed; /* out of memory: the old text stays */
    free(ps->text);
    ps->text = text;
    return changed;
}

bool poll_passage_first_ballot(poll_t *p) {
    poll_passage *ps = &p->passage;
    if (!ps->set || ps->first) return false;
    ps->first = strdup(ps->text ? ps->text : "");
    return ps->first != NULL;
}

bool poll_passage_changed(const poll_t *p) {
    const poll_passage *ps = &p->passage;
    return ps->set && ps->first && ps->text && strcmp(ps->first, ps->text) != 0;
}

void poll_passage_free(poll_passage *ps) {
    free(ps->text);
    free(ps->first);
    memset(ps, 0, sizeof *ps);
}

void poll__put_passage(sbuf *b, const poll_t *p) {
    const poll_passage *ps = &p->passage;
    if (!ps->set) return;
    sbuf_printf(b, ",\"passage\":{\"start\":%zu,\"end\":%zu,\"rev\":", ps->start, ps->end);
    sbuf_put_i64(b, ps->rev);
    sbuf_puts(b, ",\"text\":");
    sbuf_put_jstrz(b, ps->text ? ps->text : "");
    if (ps->first) {
        sbuf_puts(b, ",\"first\":");
        sbuf_put_jstrz(b, ps->first);
    }
    sbuf_puts(b, poll_passage_changed(p) ? ",\"changed\":true" : ",\"changed\":false");
    if (ps->start == ps->end) sbuf_puts(b, ",\"gone\":true");
    sbuf_putc(b, '}');
}
