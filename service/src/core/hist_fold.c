/* hist_fold.c -- poll results along a history (hist_fold.h). */
#include "core/hist_fold.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/poll_fold.h"
#include "core/poll_json.h"
#include "core/vec.h"

void hist_fold_init(hist_fold *f) {
    memset(f, 0, sizeof *f);
    sbuf_init(&f->results, 0);
}

void hist_fold_free(hist_fold *f) {
    for (size_t i = 0; i < f->n; i++) poll_free(f->v[i].p);
    free(f->v);
    sbuf_free(&f->results);
    memset(f, 0, sizeof *f);
}

/* The poll id and state of a stored poll object; false when it does not read. */
static bool poll_id_state(const char *json, char id[POLL_ID_MAX + 1], poll_state *st) {
    cJSON *o = cJSON_Parse(json);
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "id"));
    bool ok = poll_valid_id(v) && poll_state_from_name(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "state")), st);
    if (ok) memcpy(id, v, strlen(v) + 1);
    cJSON_Delete(o);
    return ok;
}

/* The entry of poll id, made (and its fold started from e) when absent; NULL when out of memory. */
static hist_fold_poll *entry(hist_fold *f, const char *id, const hist_event *e) {
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->v[i].id, id) == 0) return &f->v[i];
    if (!vec_reserve((void **)&f->v, &f->cap, f->n, sizeof *f->v)) return NULL;
    hist_fold_poll *fp = &f->v[f->n++];
    memset(fp, 0, sizeof *fp);
    memcpy(fp->id, id, strlen(id) + 1);
    const char *why;
    if (poll_fold_start(e->poll, &fp->p, &why) == POLL_OK && fp->p->def.kind == POLL_TEXT) {
        poll_free(fp->p); /* text polls store their results with every answer and upvote */
        fp->p = NULL;
    }
    return fp;
}

static void forget(hist_fold *f, const char *id) {
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->v[i].id, id) != 0) continue;
        poll_free(f->v[i].p);
        f->v[i] = f->v[--f->n];
        return;
    }
}

/* This poll's fold cannot go on: it is served as stored from now on. */
static void unfold(hist_fold_poll *fp) {
    poll_free(fp->p);
    fp->p = NULL;
}

static bool is_ballot(const hist_event *e) { return strcmp(e->type, "ballot") == 0; }

/* A ballot event stored with its results: a poll stored before folding. */
static bool stored_results(const hist_event *e) { return e->results && e->results[0]; }

/* The results of fp's poll now, or NULL (a draft has none). */
static const char *write_results(hist_fold *f, const hist_fold_poll *fp) {
    if (fp->p->state != POLL_OPEN && fp->p->state != POLL_CLOSED) return NULL;
    sbuf_reset(&f->results);
    poll_write_results(&f->results, fp->p, poll_threshold(fp->p), NULL);
    return sbuf_ok(&f->results) ? sbuf_data(&f->results) : NULL;
}

void hist_fold_add(hist_fold *f, hist_event *e, hist_fold_want want) {
    char id[POLL_ID_MAX + 1];
    poll_state st;
    if (!e->poll || !e->type || !poll_id_state(e->poll, id, &st)) return;
    if (st == POLL_DELETED) {
        forget(f, id);
        return;
    }
    hist_fold_poll *fp = entry(f, id, e);
    if (!fp || !fp->p) return;
    const char *why;
    /* A ballot with its results (stored before folding), or without its
     * prior record (written by a Function of an older server on the same
     * Redis): the fold cannot go on exactly, so it stops there. */
    if (is_ballot(e) && (stored_results(e) || !e->prior)) {
        unfold(fp);
        return;
    }
    if (poll_fold_step(fp->p, e->poll, &why) != POLL_OK) {
        unfold(fp);
        return;
    }
    if (is_ballot(e)) {
        if (poll_fold_ballot(fp->p, e->org, e->prior, e->data, &why) != POLL_OK) {
            unfold(fp);
            e->results = ""; /* no results rather than wrong ones */
            return;
        }
        f->folded++;
    }
    if (want == HIST_FOLD_NONE || (want == HIST_FOLD_STEPS && is_ballot(e))) return;
    const char *r = write_results(f, fp);
    if (r) e->results = r;
}

const char *hist_fold_results(hist_fold *f, const char *poll_id) {
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->v[i].id, poll_id) == 0) return f->v[i].p ? write_results(f, &f->v[i]) : NULL;
    return NULL;
}
