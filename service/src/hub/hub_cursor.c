/* Carets: a participant's selection, moved to the current revision, relayed
 * to the others at most once per participant per CURSOR_EVERY_US (the
 * newest wins), and to the other server processes (hub_presence.c). */
#include "hub/hub_internal.h"

#define CURSOR_EVERY_US 50000     /* at most one caret relay per participant per 50 ms */

static void flush_cursors(hub_room *r, int64_t now);

static void cursor_timer_cb(lws_sorted_usec_list_t *sul) {
    hub_room *r = lws_container_of(sul, hub_room, sul_cursor);
    r->cursor_timer = false;
    flush_cursors(r, hub_now_us());
    hub_room_unref(r);
}

static void flush_cursors(hub_room *r, int64_t now) {
    hub *h = r->hub;
    workshop *w = r->w;
    int64_t next = 0;
    for (size_t i = 0; i < w->npeople; i++) {
        wk_participant *p = &w->people[i];
        if (!p->cursor_dirty || !wk_present(p)) continue;
        int64_t due = p->cursor_sent + CURSOR_EVERY_US;
        if (now < due) {
            if (!next || due < next) next = due;
            continue;
        }
        p->cursor_dirty = false;
        p->cursor_sent = now;
        proto_write_cursor(&h->scratch, p->id, w->rev, p->sel[0], p->sel[1]);
        hub_broadcast(r, &h->scratch, 0, (int)i);
        if (p->cursor_local) hub_presence_cursor(r, (int)i);
    }
    if (next && !r->cursor_timer && !h->stopped) {
        r->cursor_timer = true;
        hub_room_ref(r); /* the timer's */
        lws_sul_schedule_wakesuspend(h->ctx, 0, &r->sul_cursor, cursor_timer_cb, next - now);
    }
}

void hub_cursor(hub *h, hub_session *s, proto_msg *msg) {
    hub_room *r = s->room;
    workshop *w = r->w;
    const proto_cursor *c = &msg->u.cursor;
    int64_t sel[2] = {c->anchor, c->head};
    if (c->rev > w->rev) {
        hub_send_error(h, s->conn, PROTO_EBAD_REQUEST, "cursor revision is ahead of the server's", PROTO_CURSOR, msg->idjson);
        return;
    }
    /* A caret from before the window is simply out of date: drop it quietly,
     * a newer one follows. One past the end of the text is an error. */
    if (!wk_window_has(w, c->rev)) return;
    if (!wk_transform_caret(w, c->rev, &sel[0]) || !wk_transform_caret(w, c->rev, &sel[1])) {
        hub_send_error(h, s->conn, PROTO_EBAD_REQUEST, "cursor is outside the document", PROTO_CURSOR, msg->idjson);
        return;
    }
    wk_participant *p = &w->people[s->participant];
    p->sel[0] = sel[0];
    p->sel[1] = sel[1];
    p->has_cursor = true;
    p->cursor_dirty = true;
    p->cursor_local = true;
    hub_crowd_shown_maybe(r, s->participant); /* a big workshop's clients learn of a new writer by name */
    flush_cursors(r, hub_now_us());
}

void hub_cursors_flush(hub_room *r) { flush_cursors(r, hub_now_us()); }


void hub_cursor_stop(hub_room *r) {
    if (!r->cursor_timer) return;
    lws_sul_cancel(&r->sul_cursor);
    r->cursor_timer = false;
    hub_room_unref(r);
}
