#include "core/export_phase.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/export_internal.h"
#include "core/ot_json.h"

void export_phases_init(export_phases *p) {
    memset(p, 0, sizeof *p);
    balance_table_init(&p->running);
}

static void phase_free(export_phase *ph) {
    free(ph->title);
    free(ph->text);
    for (size_t i = 0; i < ph->npolls; i++) {
        free(ph->polls[i].typed);
        free(ph->polls[i].fr);
        free(ph->polls[i].en);
    }
    free(ph->polls);
    balance_table_free(&ph->balance);
}

void export_phases_free(export_phases *p) {
    for (size_t i = 0; i < p->n; i++) phase_free(&p->v[i]);
    free(p->v);
    for (size_t i = 0; i < p->nskipped; i++) free(p->skipped[i]);
    free(p->skipped);
    balance_table_free(&p->running);
    export_phases_init(p);
}

static export_phase *current(export_phases *p) {
    return p->n && !p->v[p->n - 1].text ? &p->v[p->n - 1] : NULL;
}

/* The phase under way ends at t with this text and the counts so far. */
static void close_current(export_phases *p, int64_t t, const char *text) {
    export_phase *ph = current(p);
    if (!ph) return;
    if (ph->paused_at && t > ph->paused_at) ph->paused_ms += t - ph->paused_at;
    ph->paused_at = 0;
    ph->ended = t;
    ph->text = strdup(text ? text : "");
    if (!ph->text || !balance_table_copy(&ph->balance, &p->running)) p->oom = true;
    balance_table_sort(&ph->balance);
}

static void open_phase(export_phases *p, const hist_event *e) {
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        export_phase *v = realloc(p->v, cap * sizeof *v);
        if (!v) {
            p->oom = true;
            return;
        }
        p->v = v;
        p->cap = cap;
    }
    export_phase *ph = &p->v[p->n];
    memset(ph, 0, sizeof *ph);
    balance_table_init(&ph->balance);
    ph->title = strdup(e->title ? e->title : (e->phase ? e->phase : "?"));
    if (!ph->title) {
        p->oom = true;
        return;
    }
    ph->minutes = e->minutes ? atoi(e->minutes) : 0;
    ph->started = e->t;
    p->n++;
}

static void add_poll(export_phases *p, const hist_event *e) {
    export_phase *ph = current(p);
    if (!ph) return;
    cJSON *o = cJSON_Parse(e->poll);
    const char *q = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "question"));
    if (q && ph->npolls == ph->polls_cap) {
        size_t cap = ph->polls_cap ? ph->polls_cap * 2 : 4;
        export_question *v = realloc(ph->polls, cap * sizeof *v);
        if (v) ph->polls = v, ph->polls_cap = cap;
    }
    if (q && ph->npolls < ph->polls_cap) {
        const char *fr = export__question_in(o, "fr"), *en = export__question_in(o, "en");
        export_question eq = {strdup(q), fr ? strdup(fr) : NULL, en ? strdup(en) : NULL};
        if (eq.typed && (!fr || eq.fr) && (!en || eq.en)) {
            ph->polls[ph->npolls++] = eq;
        } else {
            free(eq.typed);
            free(eq.fr);
            free(eq.en);
            p->oom = true;
        }
    } else if (q) {
        p->oom = true;
    }
    cJSON_Delete(o);
}

/* An edit's code points, for its organisation. */
static void count_op(export_phases *p, const hist_event *e) {
    ot_op op;
    ot_op_init(&op);
    if (e->op && e->org && ot_op_parse(e->op, strlen(e->op), &op) == OT_OK) {
        int64_t ins, del;
        balance_op_counts(&op, &ins, &del);
        balance_table_add(&p->running, e->org, ins, del, 0, 0);
    }
    ot_op_free(&op);
}

void export_phases_event(export_phases *p, const hist_event *e, const char *text) {
    const char *t = e->type;
    export_phase *ph = current(p);
    if (e->t > p->last_t) p->last_t = e->t;
    if (hist_is_op(e)) count_op(p, e);
    else if (strcmp(t, "phase_started") == 0) close_current(p, e->t, text), open_phase(p, e), p->done = false;
    else if (strcmp(t, "agenda_done") == 0) close_current(p, e->t, text), p->done = true;
    else if (strcmp(t, "phase_paused") == 0 && ph && !ph->paused_at) ph->paused_at = e->t;
    else if (strcmp(t, "phase_resumed") == 0 && ph && ph->paused_at) ph->paused_ms += e->t - ph->paused_at, ph->paused_at = 0;
    else if (strcmp(t, "phase_extended") == 0 && ph && e->minutes) ph->extended_ms += atoll(e->minutes) * 60000;
    else if (strcmp(t, "poll_opened") == 0 && e->poll) add_poll(p, e);
    else if (strcmp(t, "ballot") == 0 && e->org) balance_table_add(&p->running, e->org, 0, 0, 1, 0);
    else if ((strcmp(t, "answer") == 0 || strcmp(t, "upvote") == 0) && e->org)
        balance_table_add(&p->running, e->org, 0, 0, 0, 1);
}

void export_phases_skipped(export_phases *p, const agenda *final) {
    if (p->skipped) return; /* once */
    if (!(p->skipped = calloc(final->nphases, sizeof *p->skipped))) {
        p->oom = true;
        return;
    }
    for (size_t i = 0; i < final->nphases; i++) {
        if (agenda_step_of(final, i) != AGENDA_STEP_SKIPPED) continue;
        if (!(p->skipped[p->nskipped] = strdup(final->phases[i].title))) p->oom = true;
        else p->nskipped++;
    }
}

void export_phases_finish(export_phases *p, int64_t end_ms, const char *text) {
    balance_table_sort(&p->running); /* by name, as at the end of each phase */
    export_phase *ph = current(p);
    if (!ph) return;
    /* The agenda goes on after the end: a phase started since is under way. */
    bool ended = end_ms && end_ms >= ph->started;
    ph->under_way = !ended;
    close_current(p, ended ? end_ms : p->last_t, text); /* under way: its text and counts as they are now */
}

int64_t export_phase_ran_ms(const export_phase *ph) {
    int64_t ran = ph->ended - ph->started - ph->paused_ms;
    return ran > 0 ? ran : 0;
}
