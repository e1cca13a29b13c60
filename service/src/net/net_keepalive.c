/* Keepalive: ping connections that have been silent, drop the ones that
 * stay silent, and the ones never admitted (net_admit) within
 * handshake_secs of their upgrade.
 *
 * lws can do this itself (retry_and_idle_policy), but in 4.1 every
 * connection then owns a timer in one sorted list, re-inserted by a walk
 * over the list each time a pong arrives: with 10,000 connections that
 * walk took 90 % of the server's CPU, 0.45 ms per ping. Here one timer
 * sweeps every connection once a second (a few µs per thousand), and a
 * ping is a queued 3-byte frame that goes out with the next flush. */
#include <stdlib.h>
#include <string.h>

#include "net/net_internal.h"

#define SWEEP_EVERY_US LWS_US_PER_SEC

static void sweep(lws_sorted_usec_list_t *sul) {
    net_server *n = lws_container_of(sul, net_server, sul_keepalive);
    if (n->stopping) return;
    lws_usec_t now = lws_now_usecs();
    lws_usec_t ping_after = (lws_usec_t)n->cfg.ping_secs * LWS_US_PER_SEC;
    lws_usec_t admit_within = (lws_usec_t)n->cfg.handshake_secs * LWS_US_PER_SEC;
    for (uint32_t i = 0; i < n->nslots; i++) {
        if (n->slots[i].kind != SLOT_WS) continue;
        net_conn *c = n->slots[i].ptr;
        if (!c->admitted && now - c->opened_at > admit_within) {
            /* Opened, never joined: it holds a descriptor and a slot for nothing. */
            lwsl_info("connection %llx did not join in time, dropping it\n", (unsigned long long)c->id);
            net_drop(n, c, 4408);
            continue;
        }
        if (!ping_after) continue;
        if (c->ping_at) {
            if (now - c->ping_at > ping_after) {
                /* No pong, nor anything else, for ping_secs after a ping: the
                 * peer is gone (or its network is); a close handshake would
                 * never finish. */
                lwsl_info("connection %llx did not answer a ping, dropping it\n", (unsigned long long)c->id);
                lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
            }
        } else if (now - c->last_rx >= ping_after && !c->close_code && !c->peer_closing) {
            if (net_send(n, c->id, n->ping)) c->ping_at = now;
        }
    }
    lws_sul_schedule_wakesuspend(n->ctx, 0, &n->sul_keepalive, sweep, SWEEP_EVERY_US);
}

bool net_keepalive_start(net_server *n) {
    /* One ping frame for everyone, already framed: FIN, opcode 9, and a
     * payload, because lws 4.1 does not tell us of a pong without one. */
    netmsg *m = malloc(sizeof *m);
    char *buf = malloc(NET_PRE + 1);
    if (!m || !buf) {
        free(m);
        free(buf);
        return false;
    }
    buf[NET_PRE - 2] = (char)0x89;
    buf[NET_PRE - 1] = 1;
    buf[NET_PRE] = 'a';
    *m = (netmsg){.refs = 1, .len = 1, .buf = buf, .framed = 2};
    n->ping = m;
    lws_sul_schedule_wakesuspend(n->ctx, 0, &n->sul_keepalive, sweep, SWEEP_EVERY_US);
    return true;
}

void net_keepalive_stop(net_server *n) {
    lws_sul_cancel(&n->sul_keepalive);
    netmsg_unref(n->ping);
    n->ping = NULL;
}

void net_keepalive_heard(net_conn *c) {
    c->last_rx = lws_now_usecs();
    c->ping_at = 0;
}
