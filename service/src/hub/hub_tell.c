/* Telling a stored change: every session that may hear it gets the
 * message, and the session that asked for it gets its own copy carrying its
 * request id, so that a client waiting on that id learns its change was
 * made (protocol/README.md, "Conventions"). The end of a workshop, roles,
 * the observer link, the sign-off and the agenda tell their changes this way. */
#include "hub/hub_internal.h"

void hub_tell(hub_room *r, hub_writer write, const void *arg, hub_audience may, const void *may_arg, uint64_t conn,
              const char *idjson) {
    hub *h = r->hub;
    write(&h->scratch, arg, NULL);
    hub_send_if(r, &h->scratch, may, may_arg, conn);
    if (!conn || !net_session(h->net, conn)) return; /* gone meanwhile */
    write(&h->scratch, arg, idjson);
    net_send_sbuf(h->net, conn, &h->scratch);
}
