/* The client address the per-address limits count: the TCP peer, or behind
 * a proxy named by --trust-proxy, the client that proxy forwarded
 * (core/forwarded.h). Read while the request's headers are still there: when
 * an API request is routed, when a WebSocket is established (kept for the
 * connection's life, since lws lets its headers go then). */
#include <string.h>

#include "core/forwarded.h"
#include "net/net_internal.h"

#define XFF_MAX 4096 /* bytes of X-Forwarded-For read; a longer one is not read (the proxy stands) */

bool net_client_address(net_server *n, struct lws *wsi, char *buf, size_t len) {
    char peer[NET_PEER_MAX];
    if (!lws_get_peer_simple(wsi, peer, sizeof peer) || !peer[0]) return false;
    const forwarded_proxies *trusted = n->cfg.trusted_proxies;
    char xff[XFF_MAX];
    const char *forwarded = NULL;
    /* lws_hdr_copy joins repeated header lines with commas: the last line is the nearest proxy's. */
    if (trusted && trusted->n && forwarded_trusted(trusted, peer) &&
        lws_hdr_total_length(wsi, WSI_TOKEN_X_FORWARDED_FOR) > 0 &&
        lws_hdr_copy(wsi, xff, sizeof xff, WSI_TOKEN_X_FORWARDED_FOR) > 0)
        forwarded = xff;
    static const forwarded_proxies nobody;
    return forwarded_client(trusted ? trusted : &nobody, peer, forwarded, buf, len);
}
