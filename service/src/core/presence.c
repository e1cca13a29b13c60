#include "core/presence.h"

#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

void presence_counts_init(presence_counts *c) { memset(c, 0, sizeof *c); }

void presence_counts_clear(presence_counts *c) {
    for (size_t i = 0; i < c->n; i++) {
        free(c->orgs[i].name);
        free(c->orgs[i].key);
    }
    c->n = 0;
    c->total = 0;
    c->observers = 0;
}

void presence_counts_free(presence_counts *c) {
    presence_counts_clear(c);
    free(c->orgs);
    presence_counts_init(c);
}

/* org's key in out (PRESENCE_KEY_MAX bytes); false when too long to be a label. */
static bool key_of(const char *org, char *out) {
    if (strlen(org) >= PRESENCE_KEY_MAX) return false;
    utf8_label_key(org, out);
    return true;
}

static presence_org *find_key(const presence_counts *c, const char *key) {
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->orgs[i].key, key) == 0) return &c->orgs[i];
    return NULL;
}

const presence_org *presence_counts_find(const presence_counts *c, const char *org) {
    char key[PRESENCE_KEY_MAX];
    return key_of(org, key) ? find_key(c, key) : NULL;
}

static presence_org *add_org(presence_counts *c, const char *org, const char *key) {
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        presence_org *m = realloc(c->orgs, cap * sizeof *m);
        if (!m) return NULL;
        c->orgs = m;
        c->cap = cap;
    }
    presence_org *o = &c->orgs[c->n];
    memset(o, 0, sizeof *o);
    o->slot = -1;
    o->name = strdup(org);
    o->key = strdup(key);
    if (!o->name || !o->key) {
        free(o->name);
        free(o->key);
        return NULL;
    }
    c->n++;
    return o;
}

bool presence_counts_add(presence_counts *c, int who, const char *org, bool observer) {
    c->total++;
    if (observer) {
        c->observers++;
        return true;
    }
    char key[PRESENCE_KEY_MAX];
    if (!key_of(org, key)) return false;
    presence_org *o = find_key(c, key);
    if (!o && !(o = add_org(c, org, key))) return false;
    o->count++;
    if (o->nsample < PRESENCE_OWN_ORG_MAX) o->sample[o->nsample++] = who;
    return true;
}

void presence_counts_slot(presence_counts *c, const char *org, int slot) {
    char key[PRESENCE_KEY_MAX];
    presence_org *o = slot >= 0 && key_of(org, key) ? find_key(c, key) : NULL;
    if (o) o->slot = slot;
}

void presence_counts_write(sbuf *b, const presence_counts *c) {
    sbuf_puts(b, "\"total\":");
    sbuf_put_i64(b, c->total);
    sbuf_puts(b, ",\"observers\":");
    sbuf_put_i64(b, c->observers);
    sbuf_puts(b, ",\"organisations\":[");
    for (size_t i = 0; i < c->n; i++) {
        if (i) sbuf_putc(b, ',');
        sbuf_puts(b, "{\"name\":");
        sbuf_put_jstrz(b, c->orgs[i].name);
        sbuf_puts(b, ",\"count\":");
        sbuf_put_i64(b, c->orgs[i].count);
        if (c->orgs[i].slot >= 0) {
            sbuf_puts(b, ",\"slot\":");
            sbuf_put_i64(b, c->orgs[i].slot);
        }
        sbuf_putc(b, '}');
    }
    sbuf_putc(b, ']');
}

bool presence_name_starts(const char *name, const char *prefix_key, size_t prefix_len) {
    char key[PRESENCE_KEY_MAX];
    return key_of(name, key) && strncmp(key, prefix_key, prefix_len) == 0;
}

bool presence_org_is(const char *org, const char *org_key) {
    char key[PRESENCE_KEY_MAX];
    return key_of(org, key) && strcmp(key, org_key) == 0;
}
