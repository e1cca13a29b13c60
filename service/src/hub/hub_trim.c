/* Memory given back to the system. glibc keeps what the process freed in its
 * free lists (and its arenas' tops), so that a crowd of connections or rooms
 * that has gone still shows in RSS; malloc_trim returns the free pages. It
 * walks the free chunks of every arena: cheap against what it returns, but
 * not for every free, so it runs when the process holds nothing any more (no
 * connection, no room: a flood has passed), and while it is busy, on a slow
 * timer, only when something was freed since the last trim. */
#include <malloc.h>

#include "hub/hub_internal.h"

#define HUB_TRIM_EVERY_US (30 * LWS_US_PER_SEC) /* README, "Bounds" */

static void trim(hub *h) {
    h->released = false;
    h->counted.trims++;
    malloc_trim(0);
}

static void trim_cb(lws_sorted_usec_list_t *sul) {
    hub *h = lws_container_of(sul, hub, sul_trim);
    if (h->released) trim(h);
    hub_trim_start(h);
}

void hub_trim_start(hub *h) {
    if (!h->stopped) lws_sul_schedule_wakesuspend(h->ctx, 0, &h->sul_trim, trim_cb, HUB_TRIM_EVERY_US);
}

void hub_trim_stop(hub *h) { lws_sul_cancel(&h->sul_trim); }

void hub_trim_released(hub *h) {
    h->released = true;
    if (h->nsessions == 0 && h->nrooms == 0) trim(h);
}
