#include "core/export.h"

#include "core/poll.h"
#include "core/vec.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

bool export_lang_from_name(const char *s, export_lang *out) {
    if (s && strcmp(s, "fr") == 0) *out = EXPORT_FR;
    else if (s && strcmp(s, "en") == 0) *out = EXPORT_EN;
    else return false;
    return true;
}

/* ---- The book: people and key moments ---- */

void export_book_init(export_book *b) { memset(b, 0, sizeof *b); }

void export_book_free(export_book *b) {
    for (size_t i = 0; i < b->norgs; i++) free(b->orgs[i].name);
    for (size_t i = 0; i < b->nmoments; i++) free(b->moments[i].subject);
    free(b->orgs);
    free(b->moments);
    export_book_init(b);
}

static export_org *org_get(export_book *b, const char *name) {
    for (size_t i = 0; i < b->norgs; i++)
        if (strcmp(b->orgs[i].name, name) == 0) return &b->orgs[i];
    char *n = strdup(name);
    if (!n || !vec_reserve((void **)&b->orgs, &b->orgs_cap, b->norgs, sizeof *b->orgs)) {
        free(n);
        b->oom = true;
        return NULL;
    }
    b->orgs[b->norgs] = (export_org){.name = n};
    return &b->orgs[b->norgs++];
}

void export_book_person(export_book *b, const char *org) {
    export_org *o = org_get(b, org ? org : "");
    if (!o) return;
    o->people++;
    b->people++;
}

static void moment(export_book *b, int64_t t, export_moment_kind kind, const char *subject) {
    char *s = subject ? strdup(subject) : NULL;
    if ((subject && !s) || !vec_reserve((void **)&b->moments, &b->moments_cap, b->nmoments, sizeof *b->moments)) {
        free(s);
        b->oom = true;
        return;
    }
    b->moments[b->nmoments++] = (export_moment){t, kind, s};
}

void export_book_event(export_book *b, const hist_event *e) {
    if (strcmp(e->type, "created") == 0) {
        moment(b, e->t, EXPORT_CREATED, NULL);
        return;
    }
    if (strcmp(e->type, "arrived") == 0 && e->org) {
        export_org *o = org_get(b, e->org);
        if (o && !o->arrived) {
            o->arrived = true;
            moment(b, e->t, EXPORT_ORG_ARRIVED, e->org);
        }
        return;
    }
    if (!e->poll) return;
    export_moment_kind kind;
    if (strcmp(e->type, "poll_opened") == 0) kind = EXPORT_POLL_OPENED;
    else if (strcmp(e->type, "poll_closed") == 0) kind = EXPORT_POLL_CLOSED;
    else if (strcmp(e->type, "poll_reopened") == 0) kind = EXPORT_POLL_REOPENED;
    else if (strcmp(e->type, "poll_results") == 0) kind = EXPORT_RESULTS_REVEALED;
    else return;
    cJSON *p = cJSON_Parse(e->poll);
    const char *q = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "question"));
    const char *vis = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "results"));
    if (q && (kind != EXPORT_RESULTS_REVEALED || (vis && strcmp(vis, "revealed") == 0))) moment(b, e->t, kind, q);
    cJSON_Delete(p);
}

/* ---- Words ---- */

typedef struct words {
    const char *months[12];
    const char *at;           /* between a date and its time */
    const char *colon, *semicolon; /* French puts a space before them, English does not */
    const char *quote_open, *quote_close; /* around a poll's question in the timeline */
    const char *created, *last_activity;
    const char *revision, *revisions, *person, *people, *organisation, *organisations; /* one, several */
    const char *org_h, *org_col, *people_h, *statement_h, *polls_h, *timeline_h;
    const char *no_polls, *empty_statement;
    const char *kinds[POLL_KINDS];
    const char *states[POLL_CLOSED + 1]; /* draft, open, closed: a deleted poll is in no export */
    const char *respondents, *all, *other, *choice, *answer, *mean, *upvotes;
    const char *scale[POLL_SCALE_POINTS]; /* the labels of the points */
    const char *alignment, *divergence, *aligned, *partly, *divergent, *compared, *no_alignment, *threshold_note;
    const char *m_created, *m_org, *m_opened, *m_closed, *m_reopened, *m_revealed, *m_last_edit;
    char decimal;
    bool zero_singular;       /* "0 révision" in French, "0 revisions" in English */
} words;

static const words FR = {
    {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre",
     "décembre"},
    " à ",
    " :", " ;",
    " « ", " »",
    "Atelier créé le", "dernière modification le", "révision", "révisions", "personne", "personnes", "organisation",
    "organisations",
    "Organisations", "Organisation", "Personnes", "Énoncé commun", "Sondages", "Moments clés",
    "Aucun sondage.", "(vide)",
    {"choix unique", "choix multiple", "échelle d'accord", "réponses libres"},
    {"brouillon", "ouvert", "clos"},
    "Répondants", "Tous", "Autres", "Choix", "Réponse", "Moyenne", "votes",
    {"Pas du tout d'accord", "Plutôt pas d'accord", "Ni d'accord ni pas d'accord", "Plutôt d'accord",
     "Tout à fait d'accord"},
    "Alignement", "écart", "organisations alignées", "organisations partiellement alignées", "organisations divergentes",
    "organisations comparées",
    "Alignement : non calculé (il faut au moins deux organisations détaillées).",
    "Une organisation n'est détaillée qu'à partir de 3 répondants ; les autres sont regroupées dans « Autres » "
    "quand elles en réunissent au moins 3, sinon elles ne comptent que dans le total.",
    "Atelier créé", "Première arrivée :", "Sondage ouvert :", "Sondage clos :", "Sondage rouvert :",
    "Résultats dévoilés :", "Dernière modification de l'énoncé",
    ',',
    true,
};

static const words EN = {
    {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
     "December"},
    ", ",
    ":", ";",
    " ", "",
    "Workshop created on", "last edited on", "revision", "revisions", "person", "people", "organisation",
    "organisations",
    "Organisations", "Organisation", "People", "Shared outcome statement", "Polls", "Key moments",
    "No polls.", "(empty)",
    {"single choice", "multiple choice", "agreement scale", "open answers"},
    {"draft", "open", "closed"},
    "Respondents", "All", "Other", "Choice", "Answer", "Mean", "upvotes",
    {"Strongly disagree", "Somewhat disagree", "Neither agree nor disagree", "Somewhat agree", "Strongly agree"},
    "Alignment", "divergence", "aligned", "partly aligned", "divergent", "organisations compared",
    "Alignment: not computed (it needs at least two organisations broken out).",
    "An organisation is broken out only with at least 3 respondents; the others are pooled under \"Other\" when "
    "they add up to at least 3, otherwise they count only in the total.",
    "Workshop created", "First arrival from", "Poll opened:", "Poll closed:", "Poll reopened:", "Results revealed:",
    "Last edit of the statement",
    '.',
    false,
};

/* The word for n things. */
static const char *count_word(const words *w, int64_t n, const char *one, const char *several) {
    return n == 1 || (n == 0 && w->zero_singular) ? one : several;
}

static void put_date(sbuf *b, const words *w, int64_t ms, bool with_time) {
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&s, &tm)) return;
    sbuf_printf(b, "%d %s %d", tm.tm_mday, w->months[tm.tm_mon], tm.tm_year + 1900);
    if (with_time) sbuf_printf(b, "%s%02d:%02d UTC", w->at, tm.tm_hour, tm.tm_min);
}

static void put_time(sbuf *b, int64_t ms) {
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    if (gmtime_r(&s, &tm)) sbuf_printf(b, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                                       tm.tm_hour, tm.tm_min);
}

/* Room for a figure printed with a few decimals: counts, means, divergences. */
#define NUMBER_TEXT_MAX 64

static void put_number(sbuf *b, double v, int decimals, char decimal) {
    char tmp[NUMBER_TEXT_MAX];
    snprintf(tmp, sizeof tmp, "%.*f", decimals, v);
    for (char *p = tmp; *p; p++)
        if (*p == '.') *p = decimal;
    sbuf_puts(b, tmp);
}

/* Text in Markdown, as text: characters Markdown would read as syntax are
 * escaped, line breaks kept. in_table: also `|`, and line breaks as spaces. */
static void put_md(sbuf *b, const char *s, bool in_table) {
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (c == '\r') continue;
        if (c == '\n') {
            sbuf_puts(b, in_table ? " " : "\n");
            continue;
        }
        if (strchr("\\`*_[]{}<>#|!~", c) || (c == '-' && (p == s || p[-1] == '\n')) ||
            (c == '+' && (p == s || p[-1] == '\n')))
            sbuf_putc(b, '\\');
        sbuf_putc(b, c);
    }
}

/* ---- Results ---- */

static const cJSON *item(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

static double num(const cJSON *v) { return cJSON_IsNumber(v) ? v->valuedouble : 0; }

/* A poll of the final state as the exports read it: its stored object and
 * results parsed, its kind and state read once. */
typedef struct shown_poll {
    cJSON *poll;              /* the public poll object */
    cJSON *res;               /* the results message, NULL when there were none */
    poll_kind kind;
    poll_state state;         /* draft, open or closed */
    const char *question;     /* points into poll */
} shown_poll;

/* Parse hp; false when it is not a poll an export can show. Free sp either way. */
static bool shown_poll_read(shown_poll *sp, const hist_poll *hp) {
    sp->poll = cJSON_Parse(hp->poll);
    sp->res = hp->results[0] ? cJSON_Parse(hp->results) : NULL;
    sp->question = cJSON_GetStringValue(item(sp->poll, "question"));
    return sp->question && poll_kind_from_name(cJSON_GetStringValue(item(sp->poll, "kind")), &sp->kind) &&
           poll_state_from_name(cJSON_GetStringValue(item(sp->poll, "state")), &sp->state) &&
           sp->state != POLL_DELETED;
}

static void shown_poll_free(shown_poll *sp) {
    cJSON_Delete(sp->poll);
    cJSON_Delete(sp->res);
}

/* The groups of a results message: all, each broken-out organisation, other. */
typedef struct group {
    const char *name;         /* NULL for "all" and "other" */
    bool other;
    const cJSON *g;           /* the object with respondents / counts / upvotes / mean (the results for "all") */
} group;

static size_t groups_of(const cJSON *res, group *out, size_t max) {
    size_t n = 0;
    out[n++] = (group){NULL, false, res};
    const cJSON *o;
    cJSON_ArrayForEach(o, item(res, "organisations")) {
        if (n + 1 >= max) break;
        out[n++] = (group){cJSON_GetStringValue(item(o, "name")), false, o};
    }
    const cJSON *other = item(res, "other");
    if (cJSON_IsObject(other) && n < max) out[n++] = (group){NULL, true, other};
    return n;
}

/* One option's figure in a group: the count of choice k, or the upvotes of answer k. */
static double figure(const group *g, bool text, int k) {
    const cJSON *arr = item(g->g, text ? (g->name || g->other ? "upvotes" : "answers") : "counts");
    const cJSON *v = cJSON_GetArrayItem(arr, k);
    if (text && !g->name && !g->other) return num(item(v, "upvotes"));
    return num(v);
}

static const char *answer_text(const cJSON *poll, double id) {
    const cJSON *a;
    cJSON_ArrayForEach(a, item(poll, "answers"))
        if (num(item(a, "id")) == id) return cJSON_GetStringValue(item(a, "text"));
    return "";
}

/* Options of a poll: labels in order (NULL for the points of a scale when
 * w is NULL); n returned. */
static int options(const shown_poll *sp, const words *w, const char **labels, int max) {
    int n = 0;
    if (sp->kind == POLL_SCALE) {
        for (int i = 0; i < POLL_SCALE_POINTS && n < max; i++) labels[n++] = w ? w->scale[i] : NULL;
    } else if (sp->kind == POLL_TEXT) {
        const cJSON *a;
        cJSON_ArrayForEach(a, item(sp->res, "answers")) {
            if (n >= max) break;
            labels[n++] = answer_text(sp->poll, num(item(a, "id")));
        }
    } else {
        const cJSON *c;
        cJSON_ArrayForEach(c, item(sp->poll, "choices")) {
            if (n >= max) break;
            labels[n++] = cJSON_GetStringValue(c) ? c->valuestring : "";
        }
    }
    return n;
}

enum { MAX_GROUPS = 128, MAX_OPTIONS = 4096 };

/* ---- Markdown ---- */

/* ### N. Question, then its kind, state and respondents. */
static void md_poll_head(sbuf *b, int number, const shown_poll *sp, const words *w) {
    sbuf_printf(b, "### %d. ", number);
    put_md(b, sp->question, true);
    sbuf_printf(b, "\n\n%s · %s", w->kinds[sp->kind], w->states[sp->state]);
    if (sp->res) sbuf_printf(b, " · %s%s %.0f", w->respondents, w->colon, num(item(sp->res, "respondents")));
    sbuf_puts(b, "\n\n");
}

/* The table: a column per group, a row per option (and the mean of a scale). */
static void md_poll_table(sbuf *b, const shown_poll *sp, const words *w) {
    group groups[MAX_GROUPS];
    size_t ng = groups_of(sp->res, groups, MAX_GROUPS);
    const char *labels[MAX_OPTIONS];
    int nopt = options(sp, w, labels, MAX_OPTIONS);
    bool text = sp->kind == POLL_TEXT;
    sbuf_printf(b, "| %s |", text ? w->answer : w->choice);
    for (size_t g = 0; g < ng; g++) {
        sbuf_putc(b, ' ');
        if (groups[g].name) put_md(b, groups[g].name, true);
        else sbuf_puts(b, groups[g].other ? w->other : w->all);
        sbuf_puts(b, " |");
    }
    sbuf_puts(b, "\n|---|");
    for (size_t g = 0; g < ng; g++) sbuf_puts(b, "---:|");
    sbuf_printf(b, "\n| *%s* |", w->respondents);
    for (size_t g = 0; g < ng; g++) sbuf_printf(b, " %.0f |", num(item(groups[g].g, "respondents")));
    for (int k = 0; k < nopt; k++) {
        sbuf_puts(b, "\n| ");
        if (sp->kind == POLL_SCALE) sbuf_printf(b, "%d — ", k + 1);
        put_md(b, labels[k], true);
        sbuf_puts(b, " |");
        for (size_t g = 0; g < ng; g++) sbuf_printf(b, " %.0f |", figure(&groups[g], text, k));
    }
    if (sp->kind == POLL_SCALE) {
        sbuf_printf(b, "\n| *%s* |", w->mean);
        for (size_t g = 0; g < ng; g++) {
            const cJSON *m = item(groups[g].g, "mean");
            sbuf_putc(b, ' ');
            if (cJSON_IsNumber(m)) put_number(b, m->valuedouble, 2, w->decimal);
            else sbuf_puts(b, "–");
            sbuf_puts(b, " |");
        }
    }
    sbuf_puts(b, "\n\n");
}

/* How aligned the organisations were, or why it was not computed (text polls: nothing). */
static void md_poll_alignment(sbuf *b, const shown_poll *sp, const words *w) {
    const cJSON *al = item(sp->res, "alignment");
    if (!cJSON_IsObject(al)) {
        if (sp->kind != POLL_TEXT) sbuf_printf(b, "%s\n\n", w->no_alignment);
        return;
    }
    const char *label = cJSON_GetStringValue(item(al, "label"));
    const char *said = label && strcmp(label, "aligned") == 0          ? w->aligned
                       : label && strcmp(label, "partly_aligned") == 0 ? w->partly
                                                                        : w->divergent;
    sbuf_printf(b, "%s%s %s (%s ", w->alignment, w->colon, said, w->divergence);
    put_number(b, num(item(al, "divergence")), 2, w->decimal);
    sbuf_printf(b, "%s %.0f %s).\n\n", w->semicolon, num(item(al, "organisations")), w->compared);
}

/* One poll; nothing when it cannot be shown. */
static void md_poll(sbuf *b, int number, const hist_poll *hp, const words *w) {
    shown_poll sp;
    if (shown_poll_read(&sp, hp)) {
        md_poll_head(b, number, &sp, w);
        if (sp.res) md_poll_table(b, &sp, w);
        if (sp.res) md_poll_alignment(b, &sp, w);
    }
    shown_poll_free(&sp);
}

static const char *moment_words(const words *w, export_moment_kind k) {
    switch (k) {
    case EXPORT_CREATED: return w->m_created;
    case EXPORT_ORG_ARRIVED: return w->m_org;
    case EXPORT_POLL_OPENED: return w->m_opened;
    case EXPORT_POLL_CLOSED: return w->m_closed;
    case EXPORT_POLL_REOPENED: return w->m_reopened;
    case EXPORT_RESULTS_REVEALED: return w->m_revealed;
    }
    return "";
}

static int by_name(const void *a, const void *b) {
    return strcmp((*(const export_org *const *)a)->name, (*(const export_org *const *)b)->name);
}

/* # Title, then when it was created and last edited and how many took part. */
static void md_title(sbuf *out, const export_meta *m, const export_book *bk, const words *w) {
    sbuf_puts(out, "# ");
    put_md(out, m->title, true);
    sbuf_printf(out, "\n\n%s ", w->created);
    put_date(out, w, m->created, true);
    if (m->last_edit) {
        sbuf_printf(out, " · %s ", w->last_activity);
        put_date(out, w, m->last_edit, true);
    }
    size_t norgs = 0;
    for (size_t i = 0; i < bk->norgs; i++) norgs += bk->orgs[i].people > 0;
    sbuf_printf(out, " · %lld %s · %u %s · %zu %s\n\n", (long long)m->rev, count_word(w, m->rev, w->revision, w->revisions),
                bk->people, count_word(w, bk->people, w->person, w->people), norgs,
                count_word(w, (int64_t)norgs, w->organisation, w->organisations));
}

static void md_organisations(sbuf *out, const export_book *bk, const words *w) {
    sbuf_printf(out, "## %s\n\n| %s | %s |\n|---|---:|\n", w->org_h, w->org_col, w->people_h);
    /* By name (byte order): the summary does not tell who came first. */
    const export_org *sorted[bk->norgs ? bk->norgs : 1];
    for (size_t i = 0; i < bk->norgs; i++) sorted[i] = &bk->orgs[i];
    qsort(sorted, bk->norgs, sizeof *sorted, by_name);
    for (size_t i = 0; i < bk->norgs; i++) {
        if (!sorted[i]->people) continue; /* only seen arriving: its participant record is gone */
        sbuf_puts(out, "| ");
        put_md(out, sorted[i]->name, true);
        sbuf_printf(out, " | %u |\n", sorted[i]->people);
    }
}

static void md_statement(sbuf *out, const char *text, const words *w) {
    sbuf_printf(out, "\n## %s\n\n", w->statement_h);
    if (!text[0]) sbuf_printf(out, "%s\n", w->empty_statement);
    /* Each line its own quoted line, ended by a hard break, so the line
     * breaks of the statement survive. */
    for (const char *line = text; *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char *copy = strndup(line, len);
        if (!copy) {
            out->oom = true;
            return;
        }
        sbuf_puts(out, len ? "> " : ">");
        put_md(out, copy, false);
        sbuf_puts(out, nl && nl[1] && nl[1] != '\n' && len ? "  \n" : "\n");
        free(copy);
        line = nl ? nl + 1 : line + len;
    }
}

static void md_polls(sbuf *out, const hist_state *polls, const words *w) {
    sbuf_printf(out, "\n## %s\n\n", w->polls_h);
    int number = 0;
    for (size_t i = 0; i < polls->npolls; i++)
        if (!polls->polls[i].draft) md_poll(out, ++number, &polls->polls[i], w);
    if (!number) sbuf_printf(out, "%s\n\n", w->no_polls);
    else sbuf_printf(out, "*%s*\n\n", w->threshold_note);
}

static void md_timeline(sbuf *out, const export_meta *m, const export_book *bk, const words *w) {
    sbuf_printf(out, "## %s\n\n", w->timeline_h);
    for (size_t i = 0; i < bk->nmoments; i++) {
        const export_moment *mo = &bk->moments[i];
        sbuf_puts(out, "- ");
        put_time(out, mo->t);
        sbuf_printf(out, " — %s", moment_words(w, mo->kind));
        if (mo->subject) {
            bool quoted = mo->kind != EXPORT_ORG_ARRIVED; /* a question, not an organisation */
            sbuf_puts(out, quoted ? w->quote_open : " ");
            put_md(out, mo->subject, true);
            if (quoted) sbuf_puts(out, w->quote_close);
        }
        sbuf_putc(out, '\n');
    }
    if (m->last_edit) {
        sbuf_puts(out, "- ");
        put_time(out, m->last_edit);
        sbuf_printf(out, " — %s (%lld %s)\n", w->m_last_edit, (long long)m->rev,
                    count_word(w, m->rev, w->revision, w->revisions));
    }
}

void export_markdown(sbuf *out, const export_meta *m, const export_book *bk, const hist_state *polls,
                     export_lang lang) {
    const words *w = lang == EXPORT_EN ? &EN : &FR;
    md_title(out, m, bk, w);
    md_organisations(out, bk, w);
    md_statement(out, m->text, w);
    md_polls(out, polls, w);
    md_timeline(out, m, bk, w);
}

/* ---- CSV ---- */

static void csv_field(sbuf *b, const char *s) {
    bool quote = strpbrk(s, ",\"\r\n") != NULL || s[0] == ' ' || (s[0] && s[strlen(s) - 1] == ' ');
    /* A leading = + - @ would make a spreadsheet run the cell as a formula. */
    bool guard = strchr("=+-@\t", s[0]) && s[0];
    if (!quote && !guard) {
        sbuf_puts(b, s);
        return;
    }
    sbuf_putc(b, '"');
    if (guard) sbuf_putc(b, '\'');
    for (const char *p = s; *p; p++) {
        if (*p == '"') sbuf_putc(b, '"');
        sbuf_putc(b, *p);
    }
    sbuf_putc(b, '"');
}

static void csv_number(sbuf *b, double v) {
    if (v == (double)(long long)v) sbuf_printf(b, "%lld", (long long)v);
    else sbuf_printf(b, "%.4f", v);
}

/* What every row of a poll repeats. */
typedef struct csv_rows {
    const hist_poll *hp;
    const shown_poll *sp;
    const char **labels;               /* the options, in order */
    int nopt;                          /* how many */
    char divergence[NUMBER_TEXT_MAX];  /* the alignment's, "" when none */
    const char *label;                 /* the alignment's label, "" when none */
} csv_rows;

/* The rows of one group of a poll: one per option, and the mean of a scale. */
static void csv_group(sbuf *out, const csv_rows *r, const group *g) {
    bool text = r->sp->kind == POLL_TEXT, scale = r->sp->kind == POLL_SCALE;
    for (int k = 0; k < r->nopt + (scale ? 1 : 0); k++) {
        csv_field(out, r->hp->id);
        sbuf_putc(out, ',');
        csv_field(out, r->sp->question);
        sbuf_printf(out, ",%s,%s,", poll_kind_name(r->sp->kind), poll_state_name(r->sp->state));
        csv_field(out, g->name ? g->name : g->other ? "other" : "all");
        sbuf_putc(out, ',');
        csv_number(out, num(item(g->g, "respondents")));
        sbuf_putc(out, ',');
        if (scale && k == POLL_SCALE_POINTS) { /* the row after the points */
            const cJSON *m = item(g->g, "mean");
            sbuf_puts(out, "mean,");
            if (cJSON_IsNumber(m)) csv_number(out, m->valuedouble);
        } else {
            if (scale) sbuf_printf(out, "%d", k + 1);
            else csv_field(out, r->labels[k] ? r->labels[k] : "");
            sbuf_putc(out, ',');
            csv_number(out, figure(g, text, k));
        }
        sbuf_printf(out, ",%s,%s\r\n", r->divergence, r->label);
    }
}

/* Every row of a poll with results. */
static void csv_poll(sbuf *out, const hist_poll *hp) {
    shown_poll sp;
    if (shown_poll_read(&sp, hp) && sp.res) {
        const char *labels[MAX_OPTIONS];
        csv_rows r = {.hp = hp, .sp = &sp, .labels = labels, .label = ""};
        r.nopt = options(&sp, NULL, labels, MAX_OPTIONS);
        const cJSON *al = item(sp.res, "alignment");
        if (cJSON_IsObject(al)) {
            snprintf(r.divergence, sizeof r.divergence, "%.4f", num(item(al, "divergence")));
            r.label = cJSON_GetStringValue(item(al, "label")) ? item(al, "label")->valuestring : "";
        }
        group groups[MAX_GROUPS];
        size_t ng = groups_of(sp.res, groups, MAX_GROUPS);
        for (size_t g = 0; g < ng; g++) csv_group(out, &r, &groups[g]);
    }
    shown_poll_free(&sp);
}

void export_csv(sbuf *out, const hist_state *polls) {
    sbuf_puts(out, "poll,question,kind,state,group,respondents,option,count,divergence,alignment\r\n");
    for (size_t i = 0; i < polls->npolls; i++)
        if (!polls->polls[i].draft && polls->polls[i].results[0]) csv_poll(out, &polls->polls[i]);
}
