/* board.h -- the priorities board (protocol/board.md): each organisation's
 * items (current practices, priorities, strengths: a title and a "why"),
 * the groups that say one item of one organisation means the same as one of
 * another, and the board's settings (who sees what, who groups).
 *
 * Pure: no sockets, no Redis, no clock. The board a process holds is read
 * back whole from Redis after every change (the writes are merged there, last
 * writer per field: store_functions.c's atelier_board), so this file only
 * reads the stored board, checks requests against it, folds the history's
 * events into it (protocol/history.md) and writes it as one person may see it.
 *
 * Ownership: a board owns its items' strings; board_free frees them. */
#ifndef ATELIER_BOARD_H
#define ATELIER_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/proto.h"
#include "core/sbuf.h"

#define BOARD_ID_LEN 11              /* base64url characters of an id the server makes (66 random bits) */
#define BOARD_ID_MAX 22              /* base64url characters of an item or group id read */
#define BOARD_TITLE_MAX 120          /* code points of a title: a poll choice's (it may become one) */
#define BOARD_WHY_MAX 280            /* code points of a "why": a text poll answer's */
#define BOARD_ITEMS_PER_ORG 30       /* items one organisation may have */
#define BOARD_ITEMS_MAX 200          /* items a workshop's board may have */
#define BOARD_PID_MAX 32             /* bytes of a participant id */

typedef enum { BOARD_PRACTICE = 0, BOARD_PRIORITY, BOARD_STRENGTH } board_kind;
#define BOARD_KINDS 3

typedef struct board_item {
    char id[BOARD_ID_MAX + 1];       /* unique on the board */
    char *org;                       /* the organisation it is of (owned) */
    board_kind kind;
    char *title;                     /* 1..BOARD_TITLE_MAX code points, a label (owned) */
    char *why;                       /* 0..BOARD_WHY_MAX code points, a line (owned; "" when none) */
    char by[BOARD_PID_MAX + 1];      /* who added it */
    int64_t at;                      /* when (ms) */
    char group[BOARD_ID_MAX + 1];    /* its group's id, "" when in none */
} board_item;

typedef struct board_settings {
    bool live;                       /* other organisations see each list as it is written */
    bool revealed;                   /* ... or since the facilitator revealed the board */
    bool reps_group;                 /* representatives may group too (else only facilitators) */
} board_settings;

typedef struct board {
    board_item *items;               /* in order of creation (at, then id) */
    size_t nitems, cap;
    board_settings settings;
    bool oom;                        /* an allocation failed while folding: incomplete */
} board;

/* Who is looking: a facilitator sees everything; anyone else sees their
 * organisation's items, and the others' once the board is open. */
typedef struct board_viewer {
    const char *org;                 /* their organisation; NULL for none (an observer, the public history) */
    bool all;                        /* a facilitator (or the facilitator's history) */
    bool may_group;                  /* gets the suggestions */
} board_viewer;

void board_init(board *b);
void board_free(board *b);
/* Other organisations' items are shown: live, or revealed. */
static inline bool board_open(const board_settings *s) { return s->live || s->revealed; }
bool board_may_see(const board *b, const board_item *it, const board_viewer *v);
int board_find(const board *b, const char *id);
size_t board_count_org(const board *b, const char *org);
const char *board_kind_name(board_kind k);
bool board_kind_parse(const char *name, board_kind *out);
bool board_valid_id(const char *id);

/* ---- Stored form (protocol/board.md, "Storage") ---- */
/* The settings as meta's `board` holds them: {"visibility","revealed","grouping"}. */
void board_write_settings(sbuf *sb, const board_settings *s);
/* NULL or "" reads as the default (hidden until revealed, facilitators group);
 * false when damaged. */
bool board_read_settings(board_settings *s, const char *json);
/* The board hash's fields (ID: {"org","kind","by","at"}, ID:title, ID:why)
 * and the groups hash's (GID: "ID ID …"), as alternating field and value
 * strings, into b (emptied first). False when a record does not read. */
bool board_read_stored(board *b, const char *const *items_kv, size_t nitems_kv, const char *const *groups_kv,
                       size_t ngroups_kv, const char *settings);
/* {"org","kind","by","at"}: an item's fixed part as stored. */
void board_write_stored_item(sbuf *sb, const char *org, board_kind kind, const char *by, int64_t at);

/* ---- Requests (checked against the board; the rights table has let the sender's role through) ---- */
typedef struct board_request {
    proto_type type;                 /* PROTO_BOARD_ADD .. PROTO_BOARD_SETTINGS */
    board_kind kind;                 /* add */
    const char *title;               /* add, edit: NULL when not changed (points into the message) */
    const char *why;                 /* add, edit: NULL when not changed */
    char item[BOARD_ID_MAX + 1];     /* edit, delete, ungroup: the item ("" for ungroup by group) */
    char group[BOARD_ID_MAX + 1];    /* ungroup: the group dissolved ("" when by item) */
    char items[BOARD_ITEMS_MAX][BOARD_ID_MAX + 1]; /* group: the items, the first's group takes the others */
    size_t nitems;
    board_settings settings;         /* settings: the new ones (the absent fields kept) */
} board_request;

/* msg's body (type PROTO_BOARD_*, obj its parsed object) checked against b
 * for the person of organisation org, a facilitator or not: PROTO_OK with *r
 * filled (its strings point into obj), or an error with *why (static). */
proto_err board_check(const board *b, proto_type type, const struct cJSON *obj, const char *org, bool facilitator,
                      board_request *r, const char **why);

/* ---- Writing ---- */
/* {"settings":{…},"items":[…],"groups":[…][,"suggestions":[[ID,…],…]]} as v sees it. */
void board_write(sbuf *sb, const board *b, const board_viewer *v);
/* {"type":"board",…the same…[,"id":…]} */
void board_write_message(sbuf *sb, const board *b, const board_viewer *v, const char *idjson);

/* ---- The history (protocol/history.md): board events fold into a board ---- */
/* A board event: type board_added, board_edited, board_deleted, board_grouped,
 * board_ungrouped, board_settings or board_revealed, data its "board" JSON. */
bool board_is_event(const char *type);
void board_fold(board *b, const char *type, const char *data, const char *by, int64_t t);

#endif
