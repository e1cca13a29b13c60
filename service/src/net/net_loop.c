/* The event loop: libuv's, with lws on it as a foreign loop.
 *
 * Why not lws' own loop: it calls poll() on every descriptor each turn and
 * then scans them all, so with 10,000 connections a turn cost about a
 * millisecond before any work, and at assembly size that was most of the
 * core (bench/README.md, issue 17). libuv waits with epoll: a turn costs
 * what is ready.
 *
 * Timers. lws keeps its timers (lws_sul_*) in a sorted list and services
 * it from libuv's idle and timer callbacks; it re-arms its libuv timer only
 * after servicing input or a timer. A timer set anywhere else (a turn hook,
 * after uv_run returned) could wait for the next input. So every timer of
 * ours goes on lws' "wake if suspended" list (lws_sul_schedule_wakesuspend:
 * a server is never suspended, the list is just the one whose earliest time
 * lws tells us): before each wait, `wake` is armed for that time, and if it
 * fires with the timer still not run, lws_cancel_service wakes lws (input
 * on its event pipe, after which it services its timers).
 *
 * Two workarounds for lws 4.1.6 on libuv (../shared/notes/deps.md §3.3):
 * with permessage-deflate or TLS, lws may hold input it has not handed out
 * yet ("forced service") and only looks again after new input, so before
 * each wait we ask it and wake it if so; a close frame from a writeable
 * callback is written by net_ws.c itself. */
#include "net/net_internal.h"

static void wake_cb(uv_timer_t *t) {
    net_server *n = t->data;
    lws_usec_t due;
    if (!lws_sul_earliest_wakeable_event(n->ctx, &due) && due <= lws_now_usecs()) lws_cancel_service(n->ctx);
}

static void before_wait_cb(uv_prepare_t *p) {
    net_server *n = p->data;
    if (!lws_service_adjust_timeout(n->ctx, 1, 0)) lws_cancel_service(n->ctx); /* input lws holds */
    lws_usec_t due;
    if (lws_sul_earliest_wakeable_event(n->ctx, &due)) {
        uv_timer_stop(&n->wake);
        return;
    }
    lws_usec_t in = due - lws_now_usecs();
    uint64_t ms = in <= 0 ? 0 : (uint64_t)((in + 999) / 1000); /* libuv counts milliseconds: never early */
    uv_timer_start(&n->wake, wake_cb, ms, 0);
}

bool net_loop_init(net_server *n) {
    if (uv_loop_init(&n->loop) != 0) return false;
    n->loop_ready = true;
    uv_prepare_init(&n->loop, &n->before_wait);
    uv_timer_init(&n->loop, &n->wake);
    n->before_wait.data = n;
    n->wake.data = n;
    return true;
}

void net_loop_start(net_server *n) { uv_prepare_start(&n->before_wait, before_wait_cb); }

bool net_loop_turn(net_server *n) {
    if (!n->ctx) return false;
    uv_run(&n->loop, UV_RUN_ONCE);
    return true;
}

/* lws closes its libuv handles asynchronously: the loop runs until they
 * are closed, then lws finishes and clears n->ctx (info.pcontext). */
void net_loop_close(net_server *n) {
    if (!n->loop_ready) return;
    if (n->ctx) lws_context_destroy(n->ctx);
    uv_close((uv_handle_t *)&n->before_wait, NULL);
    uv_close((uv_handle_t *)&n->wake, NULL);
    while (uv_run(&n->loop, UV_RUN_DEFAULT)) {
    }
    if (n->ctx) lws_context_destroy(n->ctx);
    if (uv_loop_close(&n->loop) != 0) lwsl_err("the event loop still had handles open at exit\n");
    n->loop_ready = false;
}
