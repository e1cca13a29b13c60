#include "core/board.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/board_match.h"
#include "core/utf8.h"
#include "core/vec.h"

static const char *const KIND_NAMES[BOARD_KINDS] = {"practice", "priority", "strength"};

const char *board_kind_name(board_kind k) { return (unsigned)k < BOARD_KINDS ? KIND_NAMES[k] : "priority"; }

bool board_kind_parse(const char *name, board_kind *out) {
    for (int k = 0; name && k < BOARD_KINDS; k++)
        if (strcmp(name, KIND_NAMES[k]) == 0) return *out = (board_kind)k, true;
    return false;
}

bool board_valid_id(const char *id) { return id && proto_valid_b64url(id, BOARD_ID_MAX); }

void board_init(board *b) { memset(b, 0, sizeof *b); }

static void item_free(board_item *it) {
    free(it->org);
    free(it->title);
    free(it->why);
}

void board_free(board *b) {
    for (size_t i = 0; i < b->nitems; i++) item_free(&b->items[i]);
    free(b->items);
    board_init(b);
}

int board_find(const board *b, const char *id) {
    for (size_t i = 0; id && i < b->nitems; i++)
        if (strcmp(b->items[i].id, id) == 0) return (int)i;
    return -1;
}

size_t board_count_org(const board *b, const char *org) {
    size_t n = 0;
    for (size_t i = 0; i < b->nitems; i++) n += strcmp(b->items[i].org, org) == 0;
    return n;
}

bool board_may_see(const board *b, const board_item *it, const board_viewer *v) {
    return v->all || board_open(&b->settings) || (v->org && v->org[0] && strcmp(v->org, it->org) == 0);
}

/* ---- Items ---- */

static char *dup(const char *s) { return strdup(s ? s : ""); }

/* A new item at the end (kept in order of creation); NULL when out of memory. */
static board_item *item_add(board *b, const char *id, const char *org, board_kind kind, const char *by, int64_t at) {
    if (!vec_reserve((void **)&b->items, &b->cap, b->nitems, sizeof *b->items)) return NULL;
    board_item *it = &b->items[b->nitems];
    memset(it, 0, sizeof *it);
    snprintf(it->id, sizeof it->id, "%s", id);
    snprintf(it->by, sizeof it->by, "%s", by ? by : "");
    it->kind = kind;
    it->at = at;
    it->org = dup(org);
    it->title = dup("");
    it->why = dup("");
    if (!it->org || !it->title || !it->why) {
        item_free(it);
        return NULL;
    }
    b->nitems++;
    return it;
}

static void item_remove(board *b, size_t i) {
    item_free(&b->items[i]);
    memmove(&b->items[i], &b->items[i + 1], (b->nitems - i - 1) * sizeof *b->items);
    b->nitems--;
}

/* Replace *field with a copy of value; false (field kept) when out of memory. */
static bool set_text(char **field, const char *value) {
    char *c = dup(value);
    if (!c) return false;
    free(*field);
    *field = c;
    return true;
}

static int by_creation(const void *x, const void *y) {
    const board_item *a = x, *b = y;
    if (a->at != b->at) return a->at < b->at ? -1 : 1;
    return strcmp(a->id, b->id);
}

/* ---- Settings ---- */

void board_write_settings(sbuf *sb, const board_settings *s) {
    sbuf_puts(sb, "{\"visibility\":");
    sbuf_puts(sb, s->live ? "\"live\"" : "\"revealed\"");
    sbuf_puts(sb, ",\"revealed\":");
    sbuf_puts(sb, s->revealed ? "true" : "false");
    sbuf_puts(sb, ",\"grouping\":");
    sbuf_puts(sb, s->reps_group ? "\"representatives\"" : "\"facilitator\"");
    sbuf_putc(sb, '}');
}

/* The fields of o that are present into s; false (s partly set) when one is wrong. */
static bool settings_from(board_settings *s, const cJSON *o, const char **why) {
    const cJSON *vis = cJSON_GetObjectItemCaseSensitive(o, "visibility");
    const cJSON *rev = cJSON_GetObjectItemCaseSensitive(o, "revealed");
    const cJSON *grp = cJSON_GetObjectItemCaseSensitive(o, "grouping");
    const char *vs = cJSON_GetStringValue(vis), *gs = cJSON_GetStringValue(grp);
    if (vis && !(vs && (strcmp(vs, "live") == 0 || strcmp(vs, "revealed") == 0)))
        return *why = "\"visibility\" must be \"live\" or \"revealed\"", false;
    if (rev && !cJSON_IsBool(rev)) return *why = "\"revealed\" must be true or false", false;
    if (grp && !(gs && (strcmp(gs, "facilitator") == 0 || strcmp(gs, "representatives") == 0)))
        return *why = "\"grouping\" must be \"facilitator\" or \"representatives\"", false;
    if (vis) s->live = strcmp(vs, "live") == 0;
    if (rev) s->revealed = cJSON_IsTrue(rev);
    if (grp) s->reps_group = strcmp(gs, "representatives") == 0;
    return true;
}

bool board_read_settings(board_settings *s, const char *json) {
    memset(s, 0, sizeof *s);
    if (!json || !json[0]) return true;
    cJSON *o = cJSON_Parse(json);
    const char *why;
    bool ok = cJSON_IsObject(o) && settings_from(s, o, &why);
    cJSON_Delete(o);
    return ok;
}

/* ---- Stored form ---- */

void board_write_stored_item(sbuf *sb, const char *org, board_kind kind, const char *by, int64_t at) {
    sbuf_puts(sb, "{\"org\":");
    sbuf_put_jstrz(sb, org);
    sbuf_puts(sb, ",\"kind\":");
    sbuf_put_jstrz(sb, board_kind_name(kind));
    sbuf_puts(sb, ",\"by\":");
    sbuf_put_jstrz(sb, by);
    sbuf_puts(sb, ",\"at\":");
    sbuf_put_i64(sb, at);
    sbuf_putc(sb, '}');
}

/* An item's fixed record (the hash's field ID) into b. */
static bool stored_item(board *b, const char *id, const char *json) {
    cJSON *o = cJSON_Parse(json);
    const char *org = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "org"));
    const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "kind"));
    const char *by = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "by"));
    int64_t at = 0;
    board_kind k;
    bool ok = org && org[0] && board_kind_parse(kind, &k) && by && strlen(by) <= BOARD_PID_MAX &&
              proto_json_int(cJSON_GetObjectItemCaseSensitive(o, "at"), 0, PROTO_SAFE_INT_MAX, &at) &&
              board_valid_id(id) && board_find(b, id) < 0 && item_add(b, id, org, k, by, at);
    cJSON_Delete(o);
    return ok;
}

/* ID:title or ID:why into its item (read after the fixed records). */
static bool stored_text(board *b, const char *field, const char *value) {
    const char *colon = strchr(field, ':');
    char id[BOARD_ID_MAX + 1];
    size_t n = colon ? (size_t)(colon - field) : 0;
    if (!n || n > BOARD_ID_MAX) return false;
    memcpy(id, field, n);
    id[n] = '\0';
    int i = board_find(b, id);
    if (i < 0) return false;
    board_item *it = &b->items[i];
    if (strcmp(colon + 1, "title") == 0) return utf8_valid_label(value, BOARD_TITLE_MAX) && set_text(&it->title, value);
    if (strcmp(colon + 1, "why") == 0) return (!value[0] || utf8_valid_line(value, BOARD_WHY_MAX)) && set_text(&it->why, value);
    return false;
}

/* A group's members ("ID ID …") take its id. */
static bool stored_group(board *b, const char *gid, const char *members) {
    if (!board_valid_id(gid)) return false;
    char id[BOARD_ID_MAX + 1];
    for (const char *p = members; *p;) {
        size_t n = strcspn(p, " ");
        if (n == 0 || n > BOARD_ID_MAX) return false;
        memcpy(id, p, n);
        id[n] = '\0';
        int i = board_find(b, id);
        if (i >= 0) snprintf(b->items[i].group, sizeof b->items[i].group, "%s", gid); /* a member gone: left out */
        p += n;
        if (*p == ' ') p++;
    }
    return true;
}

bool board_read_stored(board *b, const char *const *items_kv, size_t nitems_kv, const char *const *groups_kv,
                       size_t ngroups_kv, const char *settings) {
    board_free(b);
    bool ok = board_read_settings(&b->settings, settings);
    for (size_t i = 0; ok && i + 1 < nitems_kv; i += 2) /* the fixed records first: the texts name them */
        if (items_kv[i] && !strchr(items_kv[i], ':')) ok = items_kv[i + 1] && stored_item(b, items_kv[i], items_kv[i + 1]);
    for (size_t i = 0; ok && i + 1 < nitems_kv; i += 2)
        if (items_kv[i] && strchr(items_kv[i], ':')) ok = items_kv[i + 1] && stored_text(b, items_kv[i], items_kv[i + 1]);
    for (size_t i = 0; ok && i < b->nitems; i++) ok = b->items[i].title[0] != '\0';
    for (size_t i = 0; ok && i + 1 < ngroups_kv; i += 2)
        ok = groups_kv[i] && groups_kv[i + 1] && stored_group(b, groups_kv[i], groups_kv[i + 1]);
    if (ok && b->nitems > 1) qsort(b->items, b->nitems, sizeof *b->items, by_creation); /* an empty board has no array: qsort(NULL, 0) is undefined */
    return ok;
}

/* ---- Requests ---- */

static const char *str_field(const cJSON *o, const char *name) {
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

/* title and why of an add or an edit: absent (NULL) or valid. */
static proto_err read_texts(const cJSON *o, board_request *r, const char **why) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "title"), *w = cJSON_GetObjectItemCaseSensitive(o, "why");
    if (t && !(cJSON_IsString(t) && utf8_valid_label(t->valuestring, BOARD_TITLE_MAX)))
        return *why = "\"title\" must be 1 to 120 characters, not only spaces, without control or invisible characters",
               PROTO_EBAD_REQUEST;
    if (w && !(cJSON_IsString(w) && (!w->valuestring[0] || utf8_valid_line(w->valuestring, BOARD_WHY_MAX))))
        return *why = "\"why\" must be a line of at most 280 characters, without control characters", PROTO_EBAD_REQUEST;
    r->title = t ? t->valuestring : NULL;
    r->why = w ? w->valuestring : NULL;
    return PROTO_OK;
}

/* The item an edit, a delete or an ungroup names: its index, or -1 with the error. */
static int named_item(const board *b, const cJSON *o, board_request *r, proto_err *e, const char **why) {
    const char *id = str_field(o, "item");
    if (!board_valid_id(id)) {
        *e = PROTO_EBAD_REQUEST, *why = "\"item\" must be an item id";
        return -1;
    }
    snprintf(r->item, sizeof r->item, "%s", id);
    int i = board_find(b, id);
    if (i < 0) *e = PROTO_ENOT_FOUND, *why = "no item with this id on the board";
    return i;
}

static proto_err check_add(const board *b, const cJSON *o, const char *org, board_request *r, const char **why) {
    proto_err e = read_texts(o, r, why);
    if (e != PROTO_OK) return e;
    if (!board_kind_parse(str_field(o, "kind"), &r->kind))
        return *why = "\"kind\" must be \"practice\", \"priority\" or \"strength\"", PROTO_EBAD_REQUEST;
    if (!r->title) return *why = "board_add needs \"title\"", PROTO_EBAD_REQUEST;
    if (!org || !org[0]) return *why = "only a member of an organisation adds items", PROTO_EFORBIDDEN;
    if (board_count_org(b, org) >= BOARD_ITEMS_PER_ORG)
        return *why = "an organisation has at most 30 items on the board", PROTO_ETOO_LARGE;
    if (b->nitems >= BOARD_ITEMS_MAX) return *why = "the board holds at most 200 items", PROTO_ETOO_LARGE;
    return PROTO_OK;
}

static proto_err check_edit(const board *b, const cJSON *o, const char *org, board_request *r, const char **why) {
    proto_err e = read_texts(o, r, why);
    if (e != PROTO_OK) return e;
    if (!r->title && !r->why) return *why = "board_edit needs \"title\" or \"why\"", PROTO_EBAD_REQUEST;
    int i = named_item(b, o, r, &e, why);
    if (i < 0) return e;
    if (!org || strcmp(org, b->items[i].org) != 0)
        return *why = "only the members of its organisation edit an item", PROTO_EFORBIDDEN;
    return PROTO_OK;
}

static proto_err check_delete(const board *b, const cJSON *o, const char *org, bool fac, board_request *r,
                              const char **why) {
    proto_err e = PROTO_OK;
    int i = named_item(b, o, r, &e, why);
    if (i < 0) return e;
    if (!fac && (!org || strcmp(org, b->items[i].org) != 0))
        return *why = "only the members of its organisation or a facilitator delete an item", PROTO_EFORBIDDEN;
    return PROTO_OK;
}

static proto_err check_group(const board *b, const cJSON *o, bool fac, board_request *r, const char **why) {
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(o, "items"), *v;
    int n = cJSON_IsArray(items) ? cJSON_GetArraySize(items) : -1;
    if (n < 2 || n > BOARD_ITEMS_MAX) return *why = "\"items\" must be an array of 2 to 200 item ids", PROTO_EBAD_REQUEST;
    if (!fac && !b->settings.reps_group)
        return *why = "only a facilitator groups items (the facilitator may let representatives do it)", PROTO_EFORBIDDEN;
    cJSON_ArrayForEach(v, items) {
        const char *id = cJSON_GetStringValue(v);
        if (!board_valid_id(id)) return *why = "\"items\" must be item ids", PROTO_EBAD_REQUEST;
        for (size_t j = 0; j < r->nitems; j++)
            if (strcmp(r->items[j], id) == 0) return *why = "an item is listed twice", PROTO_EBAD_REQUEST;
        if (board_find(b, id) < 0) return *why = "no item with this id on the board", PROTO_ENOT_FOUND;
        snprintf(r->items[r->nitems++], sizeof r->items[0], "%s", id);
    }
    return PROTO_OK;
}

static proto_err check_ungroup(const board *b, const cJSON *o, bool fac, board_request *r, const char **why) {
    const char *gid = str_field(o, "group");
    proto_err e = PROTO_OK;
    if (!fac && !b->settings.reps_group)
        return *why = "only a facilitator ungroups items (the facilitator may let representatives do it)", PROTO_EFORBIDDEN;
    if (cJSON_GetObjectItemCaseSensitive(o, "group")) {
        if (!board_valid_id(gid)) return *why = "\"group\" must be a group id", PROTO_EBAD_REQUEST;
        for (size_t i = 0; i < b->nitems; i++)
            if (strcmp(b->items[i].group, gid) == 0) return snprintf(r->group, sizeof r->group, "%s", gid), PROTO_OK;
        return *why = "no group with this id on the board", PROTO_ENOT_FOUND;
    }
    int i = named_item(b, o, r, &e, why);
    if (i < 0) return e;
    if (!b->items[i].group[0]) return *why = "this item is in no group", PROTO_EBAD_REQUEST;
    return PROTO_OK;
}

proto_err board_check(const board *b, proto_type type, const cJSON *obj, const char *org, bool facilitator,
                      board_request *r, const char **why) {
    memset(r, 0, sizeof *r);
    r->type = type;
    r->settings = b->settings;
    switch (type) {
    case PROTO_BOARD_ADD: return check_add(b, obj, org, r, why);
    case PROTO_BOARD_EDIT: return check_edit(b, obj, org, r, why);
    case PROTO_BOARD_DELETE: return check_delete(b, obj, org, facilitator, r, why);
    case PROTO_BOARD_GROUP: return check_group(b, obj, facilitator, r, why);
    case PROTO_BOARD_UNGROUP: return check_ungroup(b, obj, facilitator, r, why);
    case PROTO_BOARD_SETTINGS:
        if (!cJSON_GetObjectItemCaseSensitive(obj, "visibility") && !cJSON_GetObjectItemCaseSensitive(obj, "revealed") &&
            !cJSON_GetObjectItemCaseSensitive(obj, "grouping"))
            return *why = "board_settings needs \"visibility\", \"revealed\" or \"grouping\"", PROTO_EBAD_REQUEST;
        return settings_from(&r->settings, obj, why) ? PROTO_OK : PROTO_EBAD_REQUEST;
    default: return *why = "not a board message", PROTO_EBAD_REQUEST;
    }
}

/* ---- Writing ---- */

/* ,"name":"value" */
static void put_str(sbuf *sb, const char *name, const char *value) {
    sbuf_puts(sb, ",\"");
    sbuf_puts(sb, name);
    sbuf_puts(sb, "\":");
    sbuf_put_jstrz(sb, value);
}

/* Whether v sees two members of group gid or more: else the group, and the
 * group of an item v sees, are not said (they would tell of hidden items). */
static bool group_seen(const board *b, const char *gid, const board_viewer *v) {
    size_t seen = 0;
    for (size_t j = 0; gid[0] && j < b->nitems && seen < 2; j++)
        seen += strcmp(b->items[j].group, gid) == 0 && board_may_see(b, &b->items[j], v);
    return seen >= 2;
}

static void write_item(sbuf *sb, const board_item *it, bool grouped) {
    sbuf_puts(sb, "{\"id\":");
    sbuf_put_jstrz(sb, it->id);
    put_str(sb, "org", it->org);
    put_str(sb, "kind", board_kind_name(it->kind));
    put_str(sb, "title", it->title);
    put_str(sb, "why", it->why);
    put_str(sb, "by", it->by);
    sbuf_puts(sb, ",\"at\":");
    sbuf_put_i64(sb, it->at);
    if (grouped) put_str(sb, "group", it->group);
    sbuf_putc(sb, '}');
}

/* [{"id":GID,"items":[ID,…]},…]: each group once, with the members v sees
 * (a group of which v sees fewer than two is left out). */
static void write_groups(sbuf *sb, const board *b, const board_viewer *v) {
    sbuf_putc(sb, '[');
    bool first = true;
    for (size_t i = 0; i < b->nitems; i++) {
        const board_item *it = &b->items[i];
        bool earlier = false;
        for (size_t j = 0; j < i && !earlier; j++) earlier = strcmp(b->items[j].group, it->group) == 0;
        if (!it->group[0] || earlier || !group_seen(b, it->group, v)) continue;
        sbuf_puts(sb, first ? "{\"id\":" : ",{\"id\":");
        first = false;
        sbuf_put_jstrz(sb, it->group);
        sbuf_puts(sb, ",\"items\":[");
        bool f2 = true;
        for (size_t j = i; j < b->nitems; j++) {
            if (strcmp(b->items[j].group, it->group) != 0 || !board_may_see(b, &b->items[j], v)) continue;
            if (!f2) sbuf_putc(sb, ',');
            f2 = false;
            sbuf_put_jstrz(sb, b->items[j].id);
        }
        sbuf_puts(sb, "]}");
    }
    sbuf_putc(sb, ']');
}

static void write_fields(sbuf *sb, const board *b, const board_viewer *v) {
    sbuf_puts(sb, "\"settings\":");
    board_write_settings(sb, &b->settings);
    sbuf_puts(sb, ",\"items\":[");
    bool first = true;
    for (size_t i = 0; i < b->nitems; i++) {
        if (!board_may_see(b, &b->items[i], v)) continue;
        if (!first) sbuf_putc(sb, ',');
        first = false;
        write_item(sb, &b->items[i], group_seen(b, b->items[i].group, v));
    }
    sbuf_puts(sb, "],\"groups\":");
    write_groups(sb, b, v);
    if (v->may_group) {
        sbuf_puts(sb, ",\"suggestions\":");
        board_write_suggestions(sb, b, v);
    }
}

void board_write(sbuf *sb, const board *b, const board_viewer *v) {
    sbuf_putc(sb, '{');
    write_fields(sb, b, v);
    sbuf_putc(sb, '}');
}

void board_write_message(sbuf *sb, const board *b, const board_viewer *v, const char *idjson) {
    sbuf_puts(sb, "{\"type\":\"board\",");
    write_fields(sb, b, v);
    proto_write_id(sb, idjson);
    sbuf_putc(sb, '}');
}

/* ---- Folding the history ---- */

bool board_is_event(const char *type) { return type && strncmp(type, "board_", 6) == 0; }

/* "groups":{"GID":["ID",…],…}: each group named has these members now (none: dissolved). */
static void fold_groups(board *b, const cJSON *groups) {
    const cJSON *g, *m;
    cJSON_ArrayForEach(g, groups) {
        if (!g->string || !board_valid_id(g->string) || !cJSON_IsArray(g)) continue;
        for (size_t i = 0; i < b->nitems; i++)
            if (strcmp(b->items[i].group, g->string) == 0) b->items[i].group[0] = '\0';
        cJSON_ArrayForEach(m, g) {
            int i = board_find(b, cJSON_GetStringValue(m));
            if (i >= 0) snprintf(b->items[i].group, sizeof b->items[i].group, "%s", g->string);
        }
    }
}

static void fold_item(board *b, const char *type, const cJSON *o, const char *by, int64_t t) {
    const char *id = str_field(o, "item"), *title = str_field(o, "title"), *why = str_field(o, "why");
    int i = board_find(b, id);
    board_kind k = BOARD_PRIORITY;
    if (strcmp(type, "board_added") == 0 && i < 0 && board_valid_id(id)) {
        board_kind_parse(str_field(o, "kind"), &k);
        board_item *it = item_add(b, id, str_field(o, "org"), k, by, t);
        if (!it) return (void)(b->oom = true);
        i = (int)(it - b->items);
    }
    if (i < 0) return;
    if (strcmp(type, "board_deleted") == 0) return item_remove(b, (size_t)i);
    if (title && !set_text(&b->items[i].title, title)) b->oom = true;
    if (why && !set_text(&b->items[i].why, why)) b->oom = true;
}

/* A reveal's "snapshot": {"items":[{item, org, kind, title, why, by, at}],
 * "groups":{…}}: items not known yet are added (the public history left
 * out the events written while the board was hidden), every text set. */
static void fold_snapshot(board *b, const cJSON *snap) {
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(snap, "items")) {
        int64_t at = 0;
        proto_json_int(cJSON_GetObjectItemCaseSensitive(it, "at"), 0, PROTO_SAFE_INT_MAX, &at);
        const char *by = str_field(it, "by");
        if (board_find(b, str_field(it, "item")) < 0) {
            board_kind k = BOARD_PRIORITY;
            board_kind_parse(str_field(it, "kind"), &k);
            if (board_valid_id(str_field(it, "item")) && str_field(it, "org") &&
                !item_add(b, str_field(it, "item"), str_field(it, "org"), k, by && strlen(by) <= BOARD_PID_MAX ? by : "", at))
                b->oom = true;
        }
        fold_item(b, "board_edited", it, NULL, 0);
    }
    fold_groups(b, cJSON_GetObjectItemCaseSensitive(snap, "groups"));
    if (b->nitems > 1) qsort(b->items, b->nitems, sizeof *b->items, by_creation);
}

void board_fold(board *b, const char *type, const char *data, const char *by, int64_t t) {
    if (!board_is_event(type) || !data) return;
    cJSON *o = cJSON_Parse(data);
    if (!cJSON_IsObject(o)) return cJSON_Delete(o);
    const cJSON *settings = cJSON_GetObjectItemCaseSensitive(o, "settings");
    const char *why;
    if (cJSON_IsObject(settings)) settings_from(&b->settings, settings, &why);
    if (cJSON_GetObjectItemCaseSensitive(o, "item")) fold_item(b, type, o, by, t);
    fold_groups(b, cJSON_GetObjectItemCaseSensitive(o, "groups"));
    if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(o, "snapshot")))
        fold_snapshot(b, cJSON_GetObjectItemCaseSensitive(o, "snapshot"));
    cJSON_Delete(o);
}
