/* discuss.c -- the "to discuss" list: its requests, checked before they
 * change anything, and its JSON for clients and for Redis. */
#include "core/discuss.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/passage.h"
#include "core/utf8.h"
#include "core/vec.h"

static const cJSON *item(const cJSON *o, const char *key) { return cJSON_GetObjectItemCaseSensitive(o, key); }

static proto_err fail(const char **why, proto_err e, const char *msg) {
    *why = msg;
    return e;
}

static void item_free(discuss_item *it) {
    free(it->question);
    free(it->passage);
    free(it->by);
    memset(it, 0, sizeof *it);
}

void discuss_init(discuss_list *l) { memset(l, 0, sizeof *l); }

void discuss_free(discuss_list *l) {
    for (size_t i = 0; i < l->n; i++) item_free(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* The index of item id, or -1. */
static long find(const discuss_list *l, uint32_t id) {
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].id == id) return (long)i;
    return -1;
}

/* o's "item": an item of l; -1 (why set) otherwise. */
static long requested_item(const discuss_list *l, const cJSON *o, proto_err *e, const char **why) {
    int64_t id;
    if (!proto_json_int(item(o, "item"), 1, UINT32_MAX, &id)) {
        *e = fail(why, PROTO_EBAD_REQUEST, "\"item\" must be an item id");
        return -1;
    }
    long i = find(l, (uint32_t)id);
    if (i < 0) *e = fail(why, PROTO_ENOT_FOUND, "no such item on the list");
    return i;
}

/* A new item from poll p, at the end of l. */
static proto_err add(discuss_list *l, const poll_t *p, const char *by, int64_t now, const char **why) {
    if (!vec_reserve((void **)&l->v, &l->cap, l->n, sizeof *l->v)) return fail(why, PROTO_EINTERNAL, "out of memory");
    discuss_item *it = &l->v[l->n];
    memset(it, 0, sizeof *it);
    snprintf(it->poll, sizeof it->poll, "%s", p->id);
    it->question = strdup(p->def.question);
    it->by = strdup(by);
    /* at most PASSAGE_MAX code points: the list stays bounded */
    it->passage = p->passage.set && p->passage.text ? passage_cut(strdup(p->passage.text)) : NULL;
    if (!it->question || !it->by || (p->passage.set && p->passage.text && !it->passage)) {
        item_free(it);
        return fail(why, PROTO_EINTERNAL, "out of memory");
    }
    double d;
    if (poll_alignment(p, poll_threshold(p), &d)) {
        it->aligned_known = true;
        it->divergence = d;
        snprintf(it->label, sizeof it->label, "%s", poll_alignment_label(d));
    }
    it->added = now;
    it->id = ++l->next;
    l->n++;
    return PROTO_OK;
}

proto_err discuss_apply(discuss_list *l, proto_type type, const cJSON *o, const poll_list *polls, const char *by,
                        int64_t now, discuss_change *c, const char **why) {
    proto_err e = PROTO_OK;
    if (type == PROTO_DISCUSS_ADD) {
        const char *pid = cJSON_GetStringValue(item(o, "poll"));
        if (!pid || !poll_valid_id(pid)) return fail(why, PROTO_EBAD_REQUEST, "\"poll\" must be a poll id");
        const poll_t *p = poll_list_find(polls, pid);
        if (!p || p->state == POLL_DRAFT || p->state == POLL_DELETED)
            return fail(why, PROTO_ENOT_FOUND, "no open or closed poll with this id");
        for (size_t i = 0; i < l->n; i++)
            if (strcmp(l->v[i].poll, pid) == 0 && !l->v[i].done)
                return fail(why, PROTO_EBAD_REQUEST, "this poll is on the list already");
        if (l->n >= DISCUSS_MAX) return fail(why, PROTO_ETOO_LARGE, "the list holds 50 items: tick some off and remove them");
        if (l->next >= UINT32_MAX) return fail(why, PROTO_ETOO_LARGE, "no more item ids");
        if ((e = add(l, p, by, now, why)) != PROTO_OK) return e;
        c->event = "discuss_added";
        c->item = l->v[l->n - 1].id;
        return PROTO_OK;
    }
    long i = requested_item(l, o, &e, why);
    if (i < 0) return e;
    c->item = l->v[i].id;
    if (type == PROTO_DISCUSS_CHECK) {
        const cJSON *done = item(o, "done");
        if (!cJSON_IsBool(done)) return fail(why, PROTO_EBAD_REQUEST, "\"done\" must be true or false");
        l->v[i].done = cJSON_IsTrue(done);
        c->event = "discuss_checked";
        return PROTO_OK;
    }
    if (type != PROTO_DISCUSS_REMOVE) return fail(why, PROTO_EBAD_REQUEST, "not a request of the list");
    item_free(&l->v[i]);
    memmove(l->v + i, l->v + i + 1, (l->n - (size_t)i - 1) * sizeof *l->v);
    l->n--;
    c->event = "discuss_removed";
    return PROTO_OK;
}

/* A number with 4 decimals, without trailing zeros. */
static void put_divergence(sbuf *b, double d) {
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%.4f", round(d * 10000) / 10000);
    char *end = tmp + strlen(tmp);
    while (end[-1] == '0') end--;
    if (end[-1] == '.') end--;
    *end = '\0';
    sbuf_puts(b, tmp);
}

void discuss_write_items(sbuf *b, const discuss_list *l) {
    sbuf_putc(b, '[');
    for (size_t i = 0; i < l->n; i++) {
        const discuss_item *it = &l->v[i];
        sbuf_printf(b, "%s{\"id\":%u,\"poll\":", i ? "," : "", it->id);
        sbuf_put_jstrz(b, it->poll);
        sbuf_puts(b, ",\"question\":");
        sbuf_put_jstrz(b, it->question);
        if (it->passage) {
            sbuf_puts(b, ",\"passage\":");
            sbuf_put_jstrz(b, it->passage);
        }
        sbuf_puts(b, ",\"alignment\":");
        if (it->aligned_known) {
            sbuf_puts(b, "{\"divergence\":");
            put_divergence(b, it->divergence);
            sbuf_puts(b, ",\"label\":");
            sbuf_put_jstrz(b, it->label);
            sbuf_putc(b, '}');
        } else {
            sbuf_puts(b, "null");
        }
        sbuf_printf(b, ",\"done\":%s,\"added\":", it->done ? "true" : "false");
        sbuf_put_i64(b, it->added);
        sbuf_puts(b, ",\"by\":");
        sbuf_put_jstrz(b, it->by);
        sbuf_putc(b, '}');
    }
    sbuf_putc(b, ']');
}

void discuss_write_message(sbuf *b, const discuss_list *l, const char *idjson) {
    sbuf_puts(b, "{\"type\":\"discuss\"");
    proto_write_id(b, idjson);
    sbuf_puts(b, ",\"items\":");
    discuss_write_items(b, l);
    sbuf_putc(b, '}');
}

void discuss_write_stored(sbuf *b, const discuss_list *l) {
    sbuf_printf(b, "{\"next\":%u,\"items\":", l->next);
    discuss_write_items(b, l);
    sbuf_putc(b, '}');
}

/* A string field copied, or NULL (absent); false when present but not a string or out of memory. */
static bool copy_string(const cJSON *o, const char *key, char **out, bool required) {
    const cJSON *v = item(o, key);
    *out = NULL;
    if (!v) return !required;
    if (!cJSON_IsString(v)) return false;
    return (*out = strdup(v->valuestring)) != NULL;
}

/* One stored item into *it; false when damaged. */
static bool read_item(const cJSON *o, discuss_item *it) {
    memset(it, 0, sizeof *it);
    int64_t id, added;
    const char *poll = cJSON_GetStringValue(item(o, "poll"));
    const cJSON *al = item(o, "alignment"), *done = item(o, "done");
    if (!cJSON_IsObject(o) || !proto_json_int(item(o, "id"), 1, UINT32_MAX, &id) || !poll || !poll_valid_id(poll) ||
        !proto_json_int(item(o, "added"), -PROTO_SAFE_INT_MAX, PROTO_SAFE_INT_MAX, &added) || !cJSON_IsBool(done) ||
        !(cJSON_IsNull(al) || cJSON_IsObject(al)))
        return false;
    it->id = (uint32_t)id;
    snprintf(it->poll, sizeof it->poll, "%s", poll);
    it->added = added;
    it->done = cJSON_IsTrue(done);
    if (cJSON_IsObject(al)) {
        const cJSON *d = item(al, "divergence");
        const char *label = cJSON_GetStringValue(item(al, "label"));
        if (!cJSON_IsNumber(d) || !label || strlen(label) >= DISCUSS_LABEL_MAX) return false;
        it->aligned_known = true;
        it->divergence = d->valuedouble;
        snprintf(it->label, sizeof it->label, "%s", label);
    }
    return copy_string(o, "question", &it->question, true) && copy_string(o, "by", &it->by, true) &&
           copy_string(o, "passage", &it->passage, false);
}

bool discuss_read_stored(discuss_list *l, const char *json) {
    discuss_free(l);
    if (!json || !json[0]) return true;
    cJSON *o = cJSON_Parse(json);
    int64_t next;
    const cJSON *items = o ? item(o, "items") : NULL;
    bool ok = cJSON_IsObject(o) && proto_json_int(item(o, "next"), 0, UINT32_MAX, &next) && cJSON_IsArray(items) &&
              cJSON_GetArraySize(items) <= DISCUSS_MAX;
    const cJSON *it;
    if (ok) {
        l->next = (uint32_t)next;
        cJSON_ArrayForEach(it, items) {
            if (!vec_reserve((void **)&l->v, &l->cap, l->n, sizeof *l->v) || !read_item(it, &l->v[l->n])) {
                if (l->cap > l->n) item_free(&l->v[l->n]);
                ok = false;
                break;
            }
            if (l->v[l->n].id > l->next) ok = false; /* ids are never handed out twice */
            l->n++;
            if (!ok) break;
        }
    }
    cJSON_Delete(o);
    if (!ok) discuss_free(l);
    return ok;
}
