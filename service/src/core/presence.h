/* presence.h -- who is present in a big workshop, counted by organisation
 * (protocol/README.md, "Presence in a big workshop"). Above a number of
 * people present (--presence-list-max), clients get these counts and a few
 * people by name instead of everyone. Pure: people are indices the caller
 * gives. */
#ifndef ATELIER_PRESENCE_H
#define ATELIER_PRESENCE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/sbuf.h"

#define PRESENCE_LIST_MAX 200   /* default --presence-list-max: more people present make a big workshop */
#define PRESENCE_SHOWN_MAX 100  /* people named to everyone in a big workshop (facilitators, representatives, writers) */
#define PRESENCE_OWN_ORG_MAX 20 /* people of the joining person's organisation named in their welcome */
#define PRESENCE_KEY_MAX 1024   /* bytes of a label's key: labels are at most 64 code points (4 bytes each) */

/* One organisation's people present. */
typedef struct presence_org {
    char *name;                       /* as the first person counted writes it (malloc'd) */
    char *key;                        /* utf8_label_key of it (malloc'd) */
    int count;                        /* people present */
    int sample[PRESENCE_OWN_ORG_MAX]; /* the first of them (caller's indices) */
    int nsample;                      /* entries of sample */
    int slot;                         /* its colour slot (-1 while none is known) */
} presence_org;

/* The counts of one moment. */
typedef struct presence_counts {
    presence_org *orgs;  /* in the order first counted */
    size_t n, cap;
    int total;           /* people present, observers included */
    int observers;       /* of whom observers: in no organisation */
} presence_counts;

void presence_counts_init(presence_counts *c);
/* Counts back to zero; the organisations' memory is kept for the next count. */
void presence_counts_clear(presence_counts *c);
void presence_counts_free(presence_counts *c);
/* Count person `who` of organisation org (an observer in none). False when
 * out of memory (then the person is counted in total only). */
bool presence_counts_add(presence_counts *c, int who, const char *org, bool observer);
/* The colour slot of org's organisation, once counted (slot >= 0). */
void presence_counts_slot(presence_counts *c, const char *org, int slot);
/* The organisation whose key is org's, or NULL. */
const presence_org *presence_counts_find(const presence_counts *c, const char *org);
/* "total":T,"observers":O,"organisations":[{"name":…,"count":…[,"slot":…]},…] (no braces). */
void presence_counts_write(sbuf *b, const presence_counts *c);
/* Whether name starts with prefix as people mean it: both compared by their
 * utf8_label_key (case and runs of spaces aside). prefix_key is the key of
 * the prefix, computed once by the caller. */
bool presence_name_starts(const char *name, const char *prefix_key, size_t prefix_len);
/* Whether org is the organisation whose key is org_key. */
bool presence_org_is(const char *org, const char *org_key);

#endif
