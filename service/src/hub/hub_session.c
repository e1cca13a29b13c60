/* Sessions: one per WebSocket connection (net_handlers' ws_open, ws_message,
 * ws_close). A message is rate-limited, decoded by the core, checked against
 * the rights of the sender's role (core/rights.h: the one place roles are
 * checked), and handed to the handler of its type. */
#include <stdlib.h>
#include <string.h>

#include "core/rights.h"
#include "hub/hub_internal.h"

void *hub_session_open(void *hub_, uint64_t conn) {
    hub *h = hub_;
    hub_session *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->conn = conn;
    s->participant = -1;
    s->bucket.tokens = -1;
    h->nsessions++;
    return s;
}

void hub_session_close(void *hub_, void *session) {
    hub *h = hub_;
    hub_session *s = session;
    if (!s) return;
    if (s->state == SESS_JOINED) hub_leave(s);
    h->nsessions--;
    free(s);
    hub_trim_released(h);
}

static bool rate_ok(hub *h, hub_session *s, int64_t now) {
    wk_rate *bucket = s->state == SESS_JOINED ? &s->room->w->people[s->participant].rate : &s->bucket;
    return wk_rate_take(bucket, now, h->cfg.rate, h->cfg.burst);
}

/* Refused, but answered: a client waiting on this op's ack must learn it was
 * dropped. The answer is one small message per message, so a flood gains
 * nothing, and a client that does not read is dropped by its send queue's
 * bound. */
static void refuse_rate(hub *h, hub_session *s, const char *data, size_t len, net_input kind) {
    proto_msg msg;
    const char *why;
    memset(&msg, 0, sizeof msg);
    if (kind == NET_IN_TEXT) proto_decode(data, len, &msg, &why); /* only for its type and id */
    hub_send_error(h, s->conn, PROTO_ERATE_LIMITED, "too many messages; slow down and send it again", msg.type,
                   msg.idjson);
    proto_msg_free(&msg);
}

static void handle_ping(hub *h, hub_session *s, proto_msg *msg) {
    proto_write_pong(&h->scratch, msg->idjson, hub_now_ms()); /* the client's clock takes its best round trips */
    net_send_sbuf(h->net, s->conn, &h->scratch);
}

/* Whether the session's person may send this message: answered when not. */
static bool allowed(hub *h, hub_session *s, const proto_msg *msg) {
    if (rights_may(s->room->w->people[s->participant].role, msg->type)) return true;
    hub_send_error(h, s->conn, PROTO_EFORBIDDEN, rights_refusal(msg->type), msg->type, msg->idjson);
    return false;
}

/* A decoded message to its handler. */
static void dispatch(hub *h, hub_session *s, proto_msg *msg) {
    if (msg->type == PROTO_PING) handle_ping(h, s, msg);
    else if (msg->type == PROTO_JOIN) hub_join(h, s, msg);
    else if (s->state != SESS_JOINED) hub_send_error(h, s->conn, PROTO_EFORBIDDEN, "join a workshop first", msg->type, msg->idjson);
    else if (!allowed(h, s, msg)) return;
    else if (msg->type == PROTO_OP) hub_op(h, s, msg);
    else if (msg->type == PROTO_CURSOR) hub_cursor(h, s, msg);
    else if (proto_is_poll(msg->type)) hub_poll_message(h, s, msg);
    else if (msg->type == PROTO_WORKSHOP_END || msg->type == PROTO_WORKSHOP_REOPEN) hub_workshop_message(h, s, msg);
    else if (proto_is_agenda(msg->type)) hub_agenda_message(h, s, msg);
    else if (proto_is_discuss(msg->type)) hub_discuss_message(h, s, msg);
    else if (proto_is_signoff(msg->type)) hub_signoff_message(h, s, msg);
    else if (msg->type == PROTO_ROLE_SET || msg->type == PROTO_REPRESENTATIVE_REQUEST ||
             msg->type == PROTO_REPRESENTATIVE_ANSWER)
        hub_role_message(h, s, msg);
    else if (msg->type == PROTO_OBSERVER_LINK) hub_observer_message(h, s, msg);
    else if (proto_is_board(msg->type)) hub_board_message(h, s, msg);
    else if (msg->type == PROTO_PRESENCE_PAGE) hub_crowd_page(h, s, msg);
}

void hub_session_input(void *hub_, void *session, const char *data, size_t len, net_input kind) {
    hub *h = hub_;
    hub_session *s = session;
    if (!s) return;
    if (!rate_ok(h, s, hub_now_us())) {
        refuse_rate(h, s, data, len, kind);
        return;
    }
    if (kind == NET_IN_TOO_LARGE) {
        hub_send_error(h, s->conn, PROTO_ETOO_LARGE, "message is over the size limit", PROTO_NONE, NULL);
        return;
    }
    if (kind == NET_IN_BINARY) {
        hub_send_error(h, s->conn, PROTO_EBAD_REQUEST, "binary messages are not supported; send JSON text", PROTO_NONE, NULL);
        return;
    }
    proto_msg msg;
    const char *why;
    proto_err e = proto_decode(data, len, &msg, &why);
    if (e != PROTO_OK) hub_send_error(h, s->conn, e, why, msg.type, msg.idjson);
    else dispatch(h, s, &msg);
    proto_msg_free(&msg);
}
