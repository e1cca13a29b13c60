#include "core/balance.h"

#include <stdlib.h>
#include <string.h>

void balance_op_counts(const ot_op *op, int64_t *ins, int64_t *del) {
    *ins = *del = 0;
    for (size_t i = 0; i < op->n; i++) {
        if (op->c[i].kind == OT_INSERT) *ins += (int64_t)op->c[i].n;
        else if (op->c[i].kind == OT_DELETE) *del += (int64_t)op->c[i].n;
    }
}

/* ---- A batch ---- */

void balance_batch_reset(balance_batch *b) {
    b->n = 0;
    b->oom = false;
}

void balance_batch_free(balance_batch *b) {
    free(b->orgs);
    memset(b, 0, sizeof *b);
}

static balance_delta *batch_org(balance_batch *b, const char *org) {
    for (size_t i = 0; i < b->n; i++)
        if (b->orgs[i].org == org || strcmp(b->orgs[i].org, org) == 0) return &b->orgs[i];
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8;
        balance_delta *d = realloc(b->orgs, cap * sizeof *d);
        if (!d) return b->oom = true, NULL;
        b->orgs = d;
        b->cap = cap;
    }
    balance_delta *d = &b->orgs[b->n++];
    d->org = org;
    d->ins = d->del = 0;
    return d;
}

void balance_batch_add(balance_batch *b, const char *org, const ot_op *op) {
    int64_t ins, del;
    balance_op_counts(op, &ins, &del);
    if (ins == 0 && del == 0) return;
    balance_delta *d = batch_org(b, org);
    if (!d) return;
    d->ins += ins;
    d->del += del;
}

/* ---- The table ---- */

void balance_table_init(balance_table *t) { memset(t, 0, sizeof *t); }

void balance_table_clear(balance_table *t) {
    for (size_t i = 0; i < t->n; i++) free(t->orgs[i].org);
    t->n = 0;
    t->oom = false;
}

void balance_table_free(balance_table *t) {
    balance_table_clear(t);
    free(t->orgs);
    balance_table_init(t);
}

static balance_org *table_org(balance_table *t, const char *org, size_t len) {
    for (size_t i = 0; i < t->n; i++)
        if (strlen(t->orgs[i].org) == len && memcmp(t->orgs[i].org, org, len) == 0) return &t->orgs[i];
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        balance_org *o = realloc(t->orgs, cap * sizeof *o);
        if (!o) return t->oom = true, NULL;
        t->orgs = o;
        t->cap = cap;
    }
    char *name = malloc(len + 1);
    if (!name) return t->oom = true, NULL;
    memcpy(name, org, len);
    name[len] = '\0';
    balance_org *o = &t->orgs[t->n++];
    memset(o, 0, sizeof *o);
    o->org = name;
    return o;
}

/* A stored count: a decimal integer, or false. */
static bool count_value(const char *s, int64_t *v) {
    char *end;
    if (!s || !*s) return false;
    long long n = strtoll(s, &end, 10);
    if (*end) return false;
    *v = n;
    return true;
}

void balance_table_read_hash(balance_table *t, const char *const *kv, size_t n) {
    static const char *const prefixes[] = {"ins:", "del:", "bal:", "ans:"};
    for (size_t i = 0; i + 1 < n; i += 2) {
        int64_t v;
        if (!kv[i] || strlen(kv[i]) < 4 || !count_value(kv[i + 1], &v)) continue;
        size_t k = 0;
        while (k < 4 && strncmp(kv[i], prefixes[k], 4) != 0) k++;
        if (k == 4) continue;
        balance_org *o = table_org(t, kv[i] + 4, strlen(kv[i] + 4));
        if (!o) continue;
        int64_t *field[] = {&o->ins, &o->del, &o->ballots, &o->answers};
        *field[k] = v;
    }
}

void balance_table_add(balance_table *t, const char *org, int64_t ins, int64_t del, int64_t ballots, int64_t answers) {
    balance_org *o = table_org(t, org, strlen(org));
    if (!o) return;
    o->ins += ins;
    o->del += del;
    o->ballots += ballots;
    o->answers += answers;
}

void balance_table_add_present(balance_table *t, const char *org) {
    balance_org *o = table_org(t, org, strlen(org));
    if (o) o->present++;
}

static int by_org(const void *a, const void *b) {
    return strcmp(((const balance_org *)a)->org, ((const balance_org *)b)->org);
}

void balance_table_sort(balance_table *t) {
    if (t->n > 1) qsort(t->orgs, t->n, sizeof *t->orgs, by_org);
}

bool balance_table_copy(balance_table *dst, const balance_table *src) {
    balance_table_clear(dst);
    for (size_t i = 0; i < src->n; i++) {
        const balance_org *s = &src->orgs[i];
        balance_org *d = table_org(dst, s->org, strlen(s->org));
        if (!d) return false;
        char *name = d->org;
        *d = *s;
        d->org = name;
    }
    return true;
}

/* "organisations":[…] */
static void write_orgs(sbuf *b, const balance_table *t) {
    sbuf_puts(b, "\"organisations\":[");
    for (size_t i = 0; i < t->n; i++) {
        const balance_org *o = &t->orgs[i];
        if (i) sbuf_putc(b, ',');
        sbuf_puts(b, "{\"org\":");
        sbuf_put_jstrz(b, o->org);
        sbuf_printf(b, ",\"inserted\":%lld,\"deleted\":%lld,\"ballots\":%lld,\"answers\":%lld,\"present\":%d}",
                    (long long)o->ins, (long long)o->del, (long long)o->ballots, (long long)o->answers, o->present);
    }
    sbuf_putc(b, ']');
}

void balance_write_state(sbuf *b, const balance_table *t) {
    sbuf_putc(b, '{');
    write_orgs(b, t);
    sbuf_putc(b, '}');
}

void balance_write_message(sbuf *b, const balance_table *t) {
    sbuf_puts(b, "{\"type\":\"balance\",");
    write_orgs(b, t);
    sbuf_putc(b, '}');
}
