#include "core/export_internal.h"

#include <string.h>

#include "core/proto.h"

/* The translation of poll into lang when it has a question there, else NULL. */
static const cJSON *translation(const cJSON *poll, const char *lang) {
    const cJSON *t = export__item(export__item(poll, "translations"), lang);
    return cJSON_IsString(export__item(t, "question")) ? t : NULL;
}

const char *export__question_in(const cJSON *poll, const char *lang) {
    return export__string(translation(poll, lang), "question");
}

/* poll's choices replaced by their translation into lang when it has them
 * all, one text per choice; else (or short of memory) they stay as typed. */
static void localise_choices(cJSON *poll, const char *lang) {
    const cJSON *mine = export__item(poll, "choices");
    const cJSON *theirs = export__item(translation(poll, lang), "choices");
    if (!cJSON_IsArray(mine) || !cJSON_IsArray(theirs) || cJSON_GetArraySize(mine) != cJSON_GetArraySize(theirs)) return;
    const cJSON *c;
    cJSON_ArrayForEach(c, theirs) if (!cJSON_IsString(c)) return;
    cJSON *copy = cJSON_Duplicate(theirs, true);
    if (copy && !cJSON_ReplaceItemInObjectCaseSensitive(poll, "choices", copy)) cJSON_Delete(copy);
}

/* Parse hp, in w's language when given (NULL: as typed); false when it is
 * not a poll an export can show. Free sp either way. */
static bool poll_read(export_poll *sp, const hist_poll *hp, const export_words *w) {
    sp->poll = cJSON_Parse(hp->poll);
    sp->res = hp->results[0] ? cJSON_Parse(hp->results) : NULL;
    sp->question = w ? export__question_in(sp->poll, w->code) : NULL;
    if (sp->question) localise_choices(sp->poll, w->code);
    else sp->question = export__string(sp->poll, "question");
    const char *who = export__string(sp->poll, "respondents");
    sp->orgs = who && strcmp(who, "organisations") == 0;
    const cJSON *t = export__item(sp->res, "threshold");
    if (!cJSON_IsNumber(t)) t = export__item(sp->poll, "threshold");
    int64_t threshold; /* a stored number: any double, checked before it is an integer */
    sp->threshold = sp->orgs ? 1 : proto_json_int(t, 1, PROTO_SAFE_INT_MAX, &threshold) ? (unsigned)threshold : POLL_MIN_GROUP;
    return sp->question && poll_kind_from_name(export__string(sp->poll, "kind"), &sp->kind) &&
           poll_state_from_name(export__string(sp->poll, "state"), &sp->state) &&
           sp->state != POLL_DELETED;
}

void export__poll_free(export_poll *sp) {
    cJSON_Delete(sp->poll);
    cJSON_Delete(sp->res);
}

bool export__poll_next(const hist_state *polls, const export_words *w, size_t *i, int *number, export_poll *sp) {
    for (; *i < polls->npolls; (*i)++) {
        const hist_poll *hp = &polls->polls[*i];
        if (hp->draft) continue;
        ++*number;
        if (poll_read(sp, hp, w)) {
            ++*i;
            return true;
        }
        export__poll_free(sp);
    }
    return false;
}

bool export__polls_any(const hist_state *polls, bool (*test)(const export_poll *sp)) {
    size_t i = 0;
    int number = 0;
    export_poll sp;
    while (export__poll_next(polls, NULL, &i, &number, &sp)) {
        bool found = sp.res && test(&sp);
        export__poll_free(&sp);
        if (found) return true;
    }
    return false;
}

/* A group with as many respondents as "all" is everyone: its figures are
 * the same as "all"'s, and it is left out rather than shown as a duplicate
 * column ("other" when no organisation is broken out, an organisation that
 * everyone belongs to). */
static bool repeats_all(const cJSON *res, const cJSON *g) {
    return export__number(g, "respondents") == export__number(res, "respondents");
}

size_t export__groups(const cJSON *res, bool orgs, export_group *out, size_t max) {
    size_t n = 0;
    out[n++] = (export_group){NULL, false, res};
    const cJSON *o;
    cJSON_ArrayForEach(o, export__item(res, "organisations")) {
        if (n + 1 >= max) break;
        if (orgs || !repeats_all(res, o)) out[n++] = (export_group){export__string(o, "name"), false, o};
    }
    if (orgs) return n;
    const cJSON *other = export__item(res, "other");
    if (cJSON_IsObject(other) && !repeats_all(res, other) && n < max) out[n++] = (export_group){NULL, true, other};
    return n;
}

const char *export__group_words(const export_words *w, const export_group *g) {
    return g->name ? g->name : g->other ? w->other : w->all;
}

double export__figure(const export_group *g, bool text, int k) {
    /* A ranking's figures are its Borda points (polls.md, "Ranking polls"). */
    const char *key = text ? (g->name || g->other ? "upvotes" : "answers") : export__item(g->g, "counts") ? "counts" : "borda";
    const cJSON *arr = export__item(g->g, key);
    const cJSON *v = cJSON_GetArrayItem(arr, k);
    if (text && !g->name && !g->other) return export__number(v, "upvotes");
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *answer_text(const cJSON *poll, double id) {
    const cJSON *a;
    cJSON_ArrayForEach(a, export__item(poll, "answers"))
        if (export__number(a, "id") == id) return export__string(a, "text");
    return "";
}

int export__options(const export_poll *sp, const export_words *w, const char **labels, int max) {
    int n = 0;
    if (sp->kind == POLL_SCALE) {
        for (int i = 0; i < POLL_SCALE_POINTS && n < max; i++) labels[n++] = w->scale[i];
    } else if (sp->kind == POLL_TEXT) {
        const cJSON *a;
        cJSON_ArrayForEach(a, export__item(sp->res, "answers")) {
            if (n >= max) break;
            labels[n++] = answer_text(sp->poll, export__number(a, "id"));
        }
    } else {
        const cJSON *c;
        cJSON_ArrayForEach(c, export__item(sp->poll, "choices")) {
            if (n >= max) break;
            labels[n++] = cJSON_GetStringValue(c) ? c->valuestring : "";
        }
    }
    return n;
}

void export__org_answer(const export_poll *sp, const export_group *g, const export_words *w,
                        void (*text)(void *, const char *), void (*ours)(void *, const char *), void *ctx) {
    const char *labels[EXPORT_MAX_OPTIONS];
    int nopt = export__options(sp, w, labels, EXPORT_MAX_OPTIONS);
    bool first = true;
    for (int k = 0; k < nopt; k++) {
        if (export__figure(g, false, k) <= 0) continue;
        if (!first) ours(ctx, " · ");
        first = false;
        if (sp->kind == POLL_SCALE) {
            char label[EXPORT_PHRASE_MAX];
            export__scale_label(label, sizeof label, w, k);
            ours(ctx, label);
        } else {
            text(ctx, labels[k] ? labels[k] : "");
        }
    }
}
