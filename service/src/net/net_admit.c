/* Admission: which TCP connections come in.
 *
 * A connection is counted when it is accepted, for the whole process and per
 * client address (core/peers.h), and refused there, before lws allocates
 * anything for it: the client gets a canned 503 (not with TLS: no handshake
 * yet) and the socket is closed. lws tells protocols[0] of every accept
 * (FILTER_NETWORK_CONNECTION, with the address), then of the connection it
 * made of it (SERVER_NEW_CLIENT_INSTANTIATED) and, whatever it became (HTTP,
 * WebSocket), of its end (WSI_DESTROY): the connection carries its address
 * key in lws' opaque user data from the second to the third.
 *
 * Descriptors: when the process is out of them, accept() fails and lws 4.1
 * retries it at once, forever (one log line each). So a connection is also
 * refused when its descriptor is within FD_RESERVE of RLIMIT_NOFILE: accept
 * keeps succeeding, each attempt costs one accept and one close. The default
 * --max-connections leaves room for a file being served per connection.
 *
 * Refusals are reported at most once per REPORT_EVERY_US, with their counts. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "net/net_internal.h"

#define FD_RESERVE 16
#define REPORT_EVERY_US (10 * LWS_US_PER_SEC)

/* The opaque user data of a counted connection: its address key above a
 * marker byte. An odd value: never a pointer lws or the store could set. */
#define TAG_MARK 0xA5u
static void *tag_of(uint32_t key) { return (void *)(((uintptr_t)key << 8) | TAG_MARK); }
static bool tag_key(const void *tag, uint32_t *key) {
    uintptr_t t = (uintptr_t)tag;
    if ((t & 0xFF) != TAG_MARK) return false;
    *key = (uint32_t)(t >> 8);
    return true;
}

static uint32_t address_key(const struct sockaddr_storage *sa) {
    if (sa->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return peers_key((const uint8_t *)&in->sin_addr, 4);
    }
    if (sa->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        const uint8_t *b = in6->sin6_addr.s6_addr;
        return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) ? peers_key(b + 12, 4) : peers_key(b, 16);
    }
    return 1;
}

/* Written straight to the socket: nothing is allocated for a refused client.
 * What it sent already is read first, so that the close is a FIN, not a reset
 * that could destroy the answer before the client reads it. */
static void answer_raw(int fd, const char *response) {
    char sink[4096];
    while (recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0) {}
    ssize_t w = send(fd, response, strlen(response), MSG_DONTWAIT | MSG_NOSIGNAL);
    (void)w; /* best effort: the connection is refused either way */
    shutdown(fd, SHUT_WR);
}

#define JSON_ERROR(code, message) "{\"error\":{\"code\":\"" code "\",\"message\":\"" message "\"}}"
#define BUSY_BODY JSON_ERROR("unavailable", "the server is at its connection limit; try again later")
static const char busy_response[] = "HTTP/1.1 503 Service Unavailable\r\n"
                                    "content-type: application/json\r\n"
                                    "retry-after: 5\r\n"
                                    "connection: close\r\n"
                                    "content-length: %zu\r\n\r\n" BUSY_BODY;
#define METHOD_BODY JSON_ERROR("bad_request", "this method is not supported")
static const char method_response[] = "HTTP/1.1 405 Method Not Allowed\r\n"
                                      "content-type: application/json\r\n"
                                      "allow: GET, HEAD, POST, DELETE\r\n"
                                      "connection: close\r\n"
                                      "content-length: %zu\r\n\r\n" METHOD_BODY;

static void report(net_server *n, net_refusal why) {
    n->refused[why]++;
    lws_usec_t now = lws_now_usecs();
    if (n->refused_logged_at && now - n->refused_logged_at < REPORT_EVERY_US) return;
    n->refused_logged_at = now;
    lwsl_warn("refused connections in the last %d s: %zu at --max-connections %zu, %zu over --max-connections-per-ip "
              "%zu, %zu near the descriptor limit %d, %zu out of memory (%zu open)\n",
              (int)(REPORT_EVERY_US / LWS_US_PER_SEC), n->refused[NET_REFUSED_FULL], n->cfg.max_connections,
              n->refused[NET_REFUSED_ADDRESS], n->cfg.max_per_ip, n->refused[NET_REFUSED_DESCRIPTORS], n->fd_limit,
              n->refused[NET_REFUSED_MEMORY], n->peers.open);
    memset(n->refused, 0, sizeof n->refused);
}

static void refuse(net_server *n, int fd, net_refusal why) {
    net_refused(n, "unavailable");
    if (!n->cfg.tls_cert) {
        char response[sizeof busy_response + 32];
        snprintf(response, sizeof response, busy_response, strlen(BUSY_BODY));
        answer_raw(fd, response);
    }
    report(n, why);
}

int net_admit_accepted(net_server *n, const struct lws_filter_network_conn_args *a) {
    if (n->accepting) { /* lws never made a connection of the last one: not counted after all */
        peers_release(&n->peers, n->accepting);
        n->accepting = 0;
    }
    if (n->fd_limit > 0 && a->accept_fd >= n->fd_limit - FD_RESERVE) {
        refuse(n, a->accept_fd, NET_REFUSED_DESCRIPTORS);
        return 1;
    }
    uint32_t key = address_key(&a->cli_addr);
    switch (peers_admit(&n->peers, key)) {
    case PEERS_OK:
        n->accepting = key;
        return 0;
    case PEERS_FULL: refuse(n, a->accept_fd, NET_REFUSED_FULL); return 1;
    case PEERS_ADDR_FULL: refuse(n, a->accept_fd, NET_REFUSED_ADDRESS); return 1;
    case PEERS_NO_MEMORY: refuse(n, a->accept_fd, NET_REFUSED_MEMORY); return 1;
    }
    return 1;
}

void net_admit_instantiated(net_server *n, struct lws *wsi) {
    if (!n->accepting) return;
    lws_set_opaque_user_data(wsi, tag_of(n->accepting));
    n->accepting = 0;
}

void net_admit_destroyed(net_server *n, struct lws *wsi) {
    uint32_t key;
    if (!tag_key(lws_get_opaque_user_data(wsi), &key)) return;
    lws_set_opaque_user_data(wsi, NULL);
    peers_release(&n->peers, key);
}

int net_admit_raw(struct lws *wsi) {
    net_refused(lws_context_user(lws_get_context(wsi)), "bad_request");
    char response[sizeof method_response + 32];
    int len = snprintf(response, sizeof response, method_response, strlen(METHOD_BODY));
    unsigned char buf[LWS_PRE + sizeof response];
    memcpy(buf + LWS_PRE, response, (size_t)len);
    lws_write(wsi, buf + LWS_PRE, (size_t)len, LWS_WRITE_RAW);
    return -1;
}
