/* GET /metrics: what this process holds and has done, in the Prometheus
 * text format 0.0.4 (README, "Metrics"). The counts are plain counters in
 * the hub, net and store structs, bumped where things happen (an op batch
 * committed, a ballot stored, an error answered, a message written, a Redis
 * reply); a scrape reads them and walks the rooms once. With --metrics-token
 * a scrape needs "Authorization: Bearer TOKEN" (401 otherwise). */
#include <string.h>

#include "core/metrics.h"
#include "hub/hub_internal.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

void hub_count_error(hub *h, const char *code) {
    hub_counters *c = &h->counted;
    size_t i = 0;
    while (i < c->ncodes && strcmp(c->codes[i], code) != 0) i++;
    if (i == c->ncodes) {
        if (c->ncodes == HUB_ERROR_CODES) return; /* more codes than the protocol has: not counted */
        c->codes[c->ncodes++] = code;
    }
    c->errors[i]++;
}

/* Connections joined to a workshop, over every room of this process. */
static size_t joined_sessions(hub *h) {
    size_t n = 0;
    HUB_FOR_EACH_ROOM(h, r) n += r->nsess;
    return n;
}

static void write_metrics(hub *h, sbuf *b) {
    net_counters net = net_counters_now(h->net);
    const hub_counters *c = &h->counted;
    metrics_gauge(b, "atelier_connections", "WebSocket connections open.", (double)net.connections);
    metrics_gauge(b, "atelier_rooms", "Workshops in memory in this process.", (double)h->nrooms);
    metrics_gauge(b, "atelier_participants", "Connections joined to a workshop.", (double)joined_sessions(h));
    metrics_counter(b, "atelier_ops_committed_total", "Ops stored in Redis through this process.", c->ops_committed);
    metrics_counter(b, "atelier_messages_sent_total", "WebSocket messages written to clients.", net.messages_sent);
    metrics_counter(b, "atelier_bytes_sent_total", "Bytes of WebSocket frames written to clients.", net.bytes_sent);
    metrics_counter(b, "atelier_send_queue_drops_total", "Connections closed because they did not read their messages.",
                    net.queue_drops);
    metrics_counter(b, "atelier_flushes_total", "Flushes of queued messages to clients (paced past --send-budget).",
                    net.flushes);
    metrics_counter(b, "atelier_flush_writes_total", "Socket writes of those flushes (one per connection, several messages each).",
                    net.flush_writes);
    metrics_counter(b, "atelier_flush_send_cpu_microseconds_total",
                    "CPU time of those writes, the part --send-share bounds (the kernel's TCP, loopback receivers included).",
                    net.flush_send_us);
    metrics_head(b, "atelier_errors_total", "Errors answered (WebSocket and HTTP API), by code.", "counter");
    for (size_t i = 0; i < c->ncodes; i++) metrics_labelled(b, "atelier_errors_total", "code", c->codes[i], c->errors[i]);
    metrics_counter(b, "atelier_ballots_total", "Ballots stored in Redis through this process.", c->ballots);
    metrics_counter(b, "atelier_poll_results_written_total",
                    "Poll results computed (relays, joins, poll steps, history reads; never one per ballot).", poll_results_written());
    metrics_counter(b, "atelier_memory_trims_total", "Times freed memory was given back to the system (malloc_trim).",
                    c->trims);
    metrics_counter(b, "atelier_writes_unreplicated_total",
                    "Writes Redis took that fewer than --replicas replicas confirmed in time (answered unavailable).",
                    c->unreplicated);
    bool up = h->store && store_up(h->store);
    metrics_gauge(b, "atelier_redis_up", "1 when Redis is reachable and the Functions are loaded.", up ? 1 : 0);
    static const metrics_histogram none;
    metrics_histogram_write(b, "atelier_redis_roundtrip_seconds", "Redis commands, from queueing to reply.",
                            h->store ? store_roundtrips(h->store) : &none);
}

void hub_http_metrics(hub *h, uint64_t req) {
    if (h->cfg.metrics_token && !hub_http_bearer_is(h, req, h->cfg.metrics_token)) {
        hub_http_error(h, req, 401, PROTO_EFORBIDDEN, "the metrics need this server's metrics token "
                                                      "(Authorization: Bearer TOKEN)");
        return;
    }
    sbuf *b = &h->scratch;
    write_metrics(h, b);
    net_http_respond_as(h->net, req, 200, METRICS_CONTENT_TYPE, NULL, b);
}
