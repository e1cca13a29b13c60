/* discuss.h -- the "to discuss" list of a workshop (protocol/polls.md,
 * "To discuss"): items a facilitator puts on it from a poll whose
 * organisations diverge, each tied to the poll (and quoting its passage, if
 * any), ticked off or removed by the facilitator. Pure: the time and who
 * acts are handed in; the shell stores the list (meta's `discuss`). */
#ifndef ATELIER_DISCUSS_H
#define ATELIER_DISCUSS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/poll.h"
#include "core/proto.h"
#include "core/sbuf.h"

#define DISCUSS_MAX 50          /* items the list holds */
#define DISCUSS_LABEL_MAX 16    /* bytes of an alignment label */

typedef struct discuss_item {
    uint32_t id;                        /* given by the list, from 1, never reused */
    char poll[POLL_ID_MAX + 1];         /* the poll it comes from (it may be deleted since) */
    char *question;                     /* the poll's question then */
    char *passage;                      /* the poll's passage then, at most PASSAGE_MAX code points and "…" (NULL: none) */
    bool aligned_known;                 /* the poll had an alignment then */
    double divergence;                  /* its divergence, 4 decimals */
    char label[DISCUSS_LABEL_MAX];      /* its label ("divergent", …) */
    bool done;                          /* ticked off */
    int64_t added;                      /* when it was put on the list, ms */
    char *by;                           /* the facilitator's name */
} discuss_item;

typedef struct discuss_list {
    discuss_item *v;                    /* in the order they were added */
    size_t n, cap;                      /* used, allocated */
    uint32_t next;                      /* the last id handed out */
} discuss_list;

/* What one request did, for the history: its event and the item. */
typedef struct discuss_change {
    const char *event;                  /* "discuss_added", "discuss_checked", "discuss_removed" (static) */
    uint32_t item;                      /* the item's id */
} discuss_change;

void discuss_init(discuss_list *l);
void discuss_free(discuss_list *l);

/* A facilitator's discuss_add ({"poll"}), discuss_check ({"item", "done"})
 * or discuss_remove ({"item"}) applied to l, checked first: a refusal
 * changes nothing. discuss_add takes the poll's question, its passage and
 * its alignment now from polls (a draft or unknown poll: not_found; a poll
 * already on the list and not ticked off: bad_request; a full list:
 * too_large). by: the facilitator's name; now: ms. */
proto_err discuss_apply(discuss_list *l, proto_type type, const cJSON *o, const poll_list *polls, const char *by,
                        int64_t now, discuss_change *c, const char **why);

/* [items]: the list as clients see it. */
void discuss_write_items(sbuf *b, const discuss_list *l);
/* {"type":"discuss"[,"id":…],"items":[…]} */
void discuss_write_message(sbuf *b, const discuss_list *l, const char *idjson);
/* {"next":N,"items":[…]}: the stored form (meta's `discuss`). */
void discuss_write_stored(sbuf *b, const discuss_list *l);
/* The stored form back into *l (emptied first); "" or NULL: an empty list.
 * False when damaged (l is then empty). */
bool discuss_read_stored(discuss_list *l, const char *json);

#endif
