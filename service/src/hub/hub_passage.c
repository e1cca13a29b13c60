/* hub_passage.c -- polls about a passage of the statement (protocol/
 * polls.md, "Polls about a passage"): each such poll's range follows every
 * committed edit, this process's and the others' alike (core/passage.h),
 * and its text is read again from the statement. When the text changes,
 * the process that committed the edit stores the poll record with a
 * "poll_passage" event (the history, the replay and the exports have every
 * version of the passage, and whether it changed since the first ballot)
 * and everyone who sees the poll is told once it is stored; the other
 * processes tell their own clients at once. */
#include <stdlib.h>

#include "core/passage.h"
#include "core/poll_json.h"
#include "hub/hub_internal.h"

/* Move p's passage to the committed revision and read its text again; true
 * when the text changed. A range older than the window of recent ops (a
 * record stored long before a restart) cannot be moved: it stays where it
 * was, kept within the text. */
static bool follow(const workshop *w, poll_t *p) {
    poll_passage *ps = &p->passage;
    if (!ps->set || ps->rev > w->rev) return false; /* ahead of us: the ops come soon */
    if (ps->rev == w->rev && ps->text) return false;
    passage_range g = {ps->start, ps->end};
    bool touched = !ps->text || !wk_window_has(w, ps->rev);
    if (wk_window_has(w, ps->rev)) {
        for (int64_t v = ps->rev; v < w->rev; v++) {
            const ot_op *op = &wk_window_at(w, v)->op;
            touched = touched || passage_touched(g, op);
            g = passage_transform(g, op);
        }
    }
    const ot_text *t = wk_committed_text(w);
    if (g.end > t->cps) g.end = t->cps, touched = true;
    if (g.start > g.end) g.start = g.end;
    if (!touched) { /* moved only: its text is the same, not read again */
        ps->start = g.start;
        ps->end = g.end;
        ps->rev = w->rev;
        return false;
    }
    return poll_passage_set(p, g.start, g.end, w->rev, passage_text(g, t->buf, t->len));
}

void hub_poll_passages_follow(hub_room *r, bool local) {
    hub *h = r->hub;
    for (size_t i = 0; i < r->polls.n; i++) {
        poll_t *p = r->polls.v[i];
        if (!p->passage.set || p->state == POLL_DELETED) continue;
        if (!follow(r->w, p)) continue;
        if (local) {
            hub_poll_store_step(r, p, "poll_passage"); /* relays the poll once stored */
            continue;
        }
        poll_write_poll(&h->scratch, p, NULL);
        hub_send_if(r, &h->scratch, hub_poll_may_see, p, 0);
    }
}

/* The statement's length in code points at revision rev (in the window). */
static size_t length_at(const workshop *w, int64_t rev) {
    long long len = (long long)wk_committed_text(w)->cps;
    for (int64_t v = rev; v < w->rev; v++) {
        const ot_op *op = &wk_window_at(w, v)->op;
        for (size_t i = 0; i < op->n; i++) {
            if (op->c[i].kind == OT_INSERT) len -= (long long)op->c[i].n;
            if (op->c[i].kind == OT_DELETE) len += (long long)op->c[i].n;
        }
    }
    return len < 0 ? 0 : (size_t)len;
}

void hub_poll_passages_persist(hub_room *r) {
    for (size_t i = 0; i < r->polls.n; i++) {
        poll_t *p = r->polls.v[i];
        if (p->passage.set && p->state != POLL_DELETED && p->passage.rev == r->w->rev) hub_poll_store_step(r, p, "");
    }
}

poll_err hub_poll_passage_start(hub_room *r, poll_t *p, const cJSON *v, const char **why) {
    if (!v) return POLL_OK;
    poll_passage ps;
    poll_err e = poll_passage_from_json(v, &ps, why);
    if (e != POLL_OK) return e;
    const workshop *w = r->w;
    if (ps.rev > w->rev || !wk_window_has(w, ps.rev)) {
        *why = "the passage was selected at a revision the server no longer has: select it again";
        return POLL_EBAD_REQUEST;
    }
    const ot_text *t = wk_committed_text(w);
    passage_range g = {ps.start, ps.end};
    if (g.end > length_at(w, ps.rev)) {
        *why = "the passage is not within the statement";
        return POLL_EBAD_REQUEST;
    }
    for (int64_t k = ps.rev; k < w->rev; k++) g = passage_transform(g, &wk_window_at(w, k)->op);
    char *text = passage_text(g, t->buf, t->len);
    if (!text) {
        *why = "out of memory";
        return POLL_EINTERNAL;
    }
    p->passage.set = true;
    poll_passage_set(p, g.start, g.end, w->rev, text);
    return POLL_OK;
}
