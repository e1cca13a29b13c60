/* balance.h -- the contribution balance (protocol/agreement.md,
 * "Contribution balance"): for each organisation, code points inserted and
 * deleted in the statement, ballots and answers given, and people present.
 *
 * Pure. The counts are kept in Redis (atelier:{w:ID}:balance, fields
 * ins:ORG, del:ORG, bal:ORG, ans:ORG); the op path sums each batch's code
 * points per organisation here (balance_batch), so that Redis gets one
 * increment per organisation and batch, and the shell folds the stored hash
 * and who is present into a balance_table to tell facilitators. */
#ifndef ATELIER_BALANCE_H
#define ATELIER_BALANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ot.h"
#include "core/sbuf.h"

/* Code points an op inserts and deletes. */
void balance_op_counts(const ot_op *op, int64_t *ins, int64_t *del);

/* One organisation's share of a batch of ops. */
typedef struct balance_delta {
    const char *org;           /* borrowed: the author's organisation, valid while the batch is formed */
    int64_t ins, del;          /* code points */
} balance_delta;

/* A batch's ops summed per organisation. Reused from batch to batch (reset
 * keeps its memory); freed with balance_batch_free. */
typedef struct balance_batch {
    balance_delta *orgs;       /* in order of first appearance */
    size_t n, cap;
    bool oom;                  /* an allocation failed: an organisation's counts were dropped */
} balance_batch;

void balance_batch_reset(balance_batch *b);
void balance_batch_free(balance_batch *b);
/* Add op's counts to org's (org compared by pointer first: the same author's
 * string, then by text). */
void balance_batch_add(balance_batch *b, const char *org, const ot_op *op);

/* One organisation's figures. */
typedef struct balance_org {
    char *org;                 /* owned */
    int64_t ins, del;          /* code points inserted, deleted */
    int64_t ballots, answers;  /* ballots given; answers and upvotes given */
    int present;               /* people present now (participants and representatives) */
} balance_org;

/* Every organisation's figures, by name. */
typedef struct balance_table {
    balance_org *orgs;         /* sorted by name (byte order) once balance_table_sort ran */
    size_t n, cap;
    bool oom;                  /* an allocation failed: the table is incomplete */
} balance_table;

void balance_table_init(balance_table *t);
void balance_table_free(balance_table *t);
/* Clear the figures, keep the memory. */
void balance_table_clear(balance_table *t);
/* The stored hash's fields and values (strings alternating field, value,
 * n of them): unknown fields and values that are not integers are skipped. */
void balance_table_read_hash(balance_table *t, const char *const *kv, size_t n);
/* Add to org's counts. */
void balance_table_add(balance_table *t, const char *org, int64_t ins, int64_t del, int64_t ballots, int64_t answers);
/* One person present of org. */
void balance_table_add_present(balance_table *t, const char *org);
void balance_table_sort(balance_table *t);
/* A copy of src into dst (dst initialised): false when out of memory. */
bool balance_table_copy(balance_table *dst, const balance_table *src);
/* {"type":"balance","organisations":[{"org","inserted","deleted","ballots","answers","present"},…]} */
void balance_write_message(sbuf *b, const balance_table *t);
/* {"organisations":[…]}: the welcome's "balance" (the message without its type). */
void balance_write_state(sbuf *b, const balance_table *t);

#endif
