#include "core/export.h"

#include "core/agenda.h"

#include "core/csv.h"
#include "core/digest.h"
#include "core/doc.h"
#include "core/poll.h"
#include "core/vec.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool export_lang_from_name(const char *s, export_lang *out) {
    if (s && strcmp(s, "fr") == 0) *out = EXPORT_FR;
    else if (s && strcmp(s, "en") == 0) *out = EXPORT_EN;
    else return false;
    return true;
}

/* ---- The book: people and key moments ---- */

void export_book_init(export_book *b) {
    memset(b, 0, sizeof *b);
    b->ended = -1;
}

void export_book_free(export_book *b) {
    for (size_t i = 0; i < b->norgs; i++) free(b->orgs[i].name);
    for (size_t i = 0; i < b->npersons; i++) {
        free(b->persons[i].name);
        free(b->persons[i].org);
    }
    free(b->persons);
    for (size_t i = 0; i < b->nmoments; i++) free(b->moments[i].subject);
    for (size_t i = 0; i < b->ndecisions; i++) {
        free(b->decisions[i].name);
        free(b->decisions[i].org);
        free(b->decisions[i].sha256);
        free(b->decisions[i].reason);
    }
    free(b->decisions);
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

/* Keep who they are for the list of people. */
static void person_add(export_book *b, const char *name, const char *org, wk_role role) {
    char *n = strdup(name ? name : ""), *o = strdup(org ? org : "");
    if (!n || !o || !vec_reserve((void **)&b->persons, &b->persons_cap, b->npersons, sizeof *b->persons)) {
        free(n);
        free(o);
        b->oom = true;
        return;
    }
    b->persons[b->npersons++] = (export_person){n, o, role};
}

void export_book_person(export_book *b, const char *name, const char *org, wk_role role) {
    person_add(b, name, org, role);
    if (role == WK_OBSERVER) { /* counted apart, never in an organisation */
        b->observers++;
        return;
    }
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

/* An endorsement or a decline, recorded whole. */
static void book_decision(export_book *b, const hist_event *e, bool declined) {
    if (!e->org || !e->sha256 || (declined && !e->reason)) return;
    export_decision d = {e->t, declined, strdup(e->name ? e->name : ""), strdup(e->org),
                         declined ? e->rev : e->endorsed_rev, strdup(e->sha256), declined ? strdup(e->reason) : NULL};
    if (!d.name || !d.org || !d.sha256 || (declined && !d.reason) ||
        !vec_reserve((void **)&b->decisions, &b->decisions_cap, b->ndecisions, sizeof *b->decisions)) {
        free(d.name);
        free(d.org);
        free(d.sha256);
        free(d.reason);
        b->oom = true;
        return;
    }
    b->decisions[b->ndecisions++] = d;
}

void export_book_event(export_book *b, const hist_event *e) {
    bool declined = strcmp(e->type, "declined") == 0;
    if (declined || strcmp(e->type, "endorsed") == 0) {
        book_decision(b, e, declined);
        return;
    }
    if (strcmp(e->type, "created") == 0) {
        moment(b, e->t, EXPORT_CREATED, NULL);
        return;
    }
    bool ended = strcmp(e->type, "ended") == 0;
    if (ended || strcmp(e->type, "reopened") == 0) {
        moment(b, e->t, ended ? EXPORT_ENDED : EXPORT_REOPENED, e->name ? e->name : "");
        b->ended = ended && !b->oom ? (long)b->nmoments - 1 : -1;
        return;
    }
    bool observer = e->role && strcmp(e->role, wk_role_name(WK_OBSERVER)) == 0;
    if (strcmp(e->type, "arrived") == 0 && e->org && e->org[0] && !observer) {
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
    bool french;
    const char *months[12];
    const char *at;           /* between a date and its time */
    const char *colon;        /* before a figure: "Répondants : 8" */
    const char *semicolon;
    const char *quote_open, *quote_close; /* around a poll's question in the timeline */
    const char *created, *last_activity, *ended_on, *by;
    const char *revision, *revisions, *person, *people, *organisation, *organisations; /* one, several */
    const char *org_h, *org_col, *people_h, *statement_h, *polls_h, *timeline_h;
    const char *no_polls, *empty_statement;
    const char *kinds[POLL_KINDS];
    const char *states[POLL_CLOSED + 1]; /* draft, open, closed: a deleted poll is in no export */
    const char *respondents, *all, *other, *choice, *answer, *mean, *upvotes;
    const char *scale[POLL_SCALE_POINTS]; /* the labels of the points */
    const char *alignment, *divergence, *aligned, *partly, *divergent, *compared, *no_alignment;
    const char *threshold_note[3];        /* around the threshold, twice: "... 3 répondants ; ... au moins 3, ..." */
    const char *org_poll;                 /* a poll organisations answer, after its state */
    const char *org_by, *org_on;          /* "Ville, par Awa le 28 novembre 2026 à 02:45 (UTC)" */
    const char *org_note;                 /* under it: every organisation shown by name */
    const char *moment_lead[EXPORT_MOMENT_KINDS]; /* the summary's timeline, before the subject */
    const char *moment_name[EXPORT_MOMENT_KINDS]; /* the CSV's "Moment" column */
    const char *last_edit_lead, *last_edit_name;
    const char *number, *question, *kind, *state, *group, *count, *divergence_h, *time, *moment, *subject; /* CSV headers */
    const char *answered_by, *answered_at; /* CSV headers of an organisation's answer */
    char decimal;
    bool zero_singular;       /* "0 révision" in French, "0 revisions" in English */
    const char *observer, *observers;     /* one, several: counted apart from the people taking part */
    const char *observers_h;              /* the list of people's last item */
    const char *role_mark[WK_OBSERVER + 1]; /* after a name in the list of people; NULL: no mark */
    const char *deletes_on;               /* before the date the retention deletes the workshop */
} words;

/* French, written with plain spaces: doc_words sets the typography. */
static const words FR = {
    true,
    {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre",
     "décembre"},
    " à ",
    " : ", " ; ",
    " « ", " »",
    "Atelier créé le", "dernière modification le", "Atelier terminé le", " par ",
    "révision", "révisions", "personne", "personnes", "organisation", "organisations",
    "Organisations", "Organisation", "Personnes", "Énoncé commun", "Sondages", "Moments clés",
    "Aucun sondage.", "(vide)",
    {"choix unique", "choix multiple", "échelle d'accord", "réponses libres"},
    {"brouillon", "ouvert", "clos"},
    "Répondants", "Tous", "Autres", "Choix", "Réponse", "Moyenne", "Votes",
    {"Pas du tout d'accord", "Plutôt pas d'accord", "Ni d'accord ni pas d'accord", "Plutôt d'accord",
     "Tout à fait d'accord"},
    "Alignement", "écart", "organisations alignées", "organisations partiellement alignées", "organisations divergentes",
    "organisations comparées",
    "Alignement : non calculé (il faut au moins deux organisations détaillées).",
    {"Une organisation n'est détaillée qu'à partir de ",
     " répondants ; les autres sont regroupées dans « Autres » quand elles en réunissent au moins ",
     ", sinon elles ne comptent que dans le total."},
    "répondu ouvertement par chaque organisation",
    ", par ", " le ",
    "Chaque organisation a répondu ouvertement : toutes sont montrées par leur nom, avec qui a donné la réponse et "
    "quand.",
    {"Atelier créé", "Première arrivée : ", "Sondage ouvert :", "Sondage clos :", "Sondage rouvert :",
     "Résultats dévoilés :", "Atelier terminé par ", "Atelier rouvert par "},
    {"Atelier créé", "Première arrivée", "Sondage ouvert", "Sondage clos", "Sondage rouvert", "Résultats dévoilés",
     "Atelier terminé", "Atelier rouvert"},
    "Dernière modification de l'énoncé", "Dernière modification de l'énoncé",
    "N°", "Question", "Type", "État", "Groupe", "Nombre", "Écart", "Heure", "Moment", "Objet",
    "Répondu par", "Répondu le",
    ',',
    true,
    "observateur·rice", "observateur·rices", "Observateur·rices",
    {[WK_REPRESENTATIVE] = "représentant·e", [WK_FACILITATOR] = "animateur·rice"},
    "Sans nouvelle activité, cet atelier sera supprimé du serveur le",
};

static const words EN = {
    false,
    {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
     "December"},
    ", ",
    ": ", "; ",
    " ", "",
    "Workshop created on", "last edited on", "Workshop ended on", " by ",
    "revision", "revisions", "person", "people", "organisation", "organisations",
    "Organisations", "Organisation", "People", "Shared outcome statement", "Polls", "Key moments",
    "No polls.", "(empty)",
    {"single choice", "multiple choice", "agreement scale", "open answers"},
    {"draft", "open", "closed"},
    "Respondents", "All", "Other", "Choice", "Answer", "Mean", "Upvotes",
    {"Strongly disagree", "Somewhat disagree", "Neither agree nor disagree", "Somewhat agree", "Strongly agree"},
    "Alignment", "divergence", "aligned", "partly aligned", "divergent", "organisations compared",
    "Alignment: not computed (it needs at least two organisations broken out).",
    {"An organisation is broken out only with at least ",
     " respondents; the others are pooled under \"Other\" when they add up to at least ",
     ", otherwise they count only in the total."},
    "answered openly by each organisation",
    ", by ", " on ",
    "Each organisation answered openly: every organisation is shown by name, with who gave its answer and when.",
    {"Workshop created", "First arrival from ", "Poll opened:", "Poll closed:", "Poll reopened:", "Results revealed:",
     "Workshop ended by ", "Workshop reopened by "},
    {"Workshop created", "First arrival", "Poll opened", "Poll closed", "Poll reopened", "Results revealed",
     "Workshop ended", "Workshop reopened"},
    "Last edit of the statement", "Last edit of the statement",
    "No.", "Question", "Kind", "State", "Group", "Count", "Divergence", "Time", "Moment", "Subject",
    "Answered by", "Answered at",
    '.',
    false,
    "observer", "observers", "Observers",
    {[WK_REPRESENTATIVE] = "representative", [WK_FACILITATOR] = "facilitator"},
    "Without new activity, this workshop will be deleted from the server on",
};

/* The word for n things. */
static const char *count_word(const words *w, int64_t n, const char *one, const char *several) {
    return n == 1 || (n == 0 && w->zero_singular) ? one : several;
}

static const char *zone_name(const when_zone *z) { return z && z->name ? z->name : WHEN_UTC; }

/* Room for a figure printed with a few decimals, a date, a phrase of words. */
#define NUMBER_TEXT_MAX 64
#define PHRASE_MAX 160

/* "28 novembre 2026 à 14:05 (Europe/Paris)": the prose form. */
static void long_date(char *dst, size_t n, const words *w, const when_zone *z, int64_t ms) {
    when_local l = when_at(z, ms);
    snprintf(dst, n, "%d %s %d%s%02d:%02d (%s)", l.day, w->months[l.month - 1], l.year, w->at, l.hour, l.minute,
             zone_name(z));
}

/* "28/11/2026 14:05" or "2026-11-28 14:05": the timeline's and the CSV's form. */
static void short_date(char *dst, size_t n, const words *w, const when_zone *z, int64_t ms) {
    sbuf b;
    sbuf_init(&b, 0);
    when_write(&b, z, ms, w->french);
    snprintf(dst, n, "%s", sbuf_data(&b) ? sbuf_data(&b) : "");
    sbuf_free(&b);
}

static void number_text(char *dst, double v, int decimals, char decimal) {
    snprintf(dst, NUMBER_TEXT_MAX, "%.*f", decimals, v);
    for (char *p = dst; *p; p++)
        if (*p == '.') *p = decimal;
}

static const char *alignment_words(const words *w, const char *label) {
    return label && strcmp(label, "aligned") == 0          ? w->aligned
           : label && strcmp(label, "partly_aligned") == 0 ? w->partly
                                                            : w->divergent;
}

/* ---- The sign-off's words (protocol/agreement.md), apart from the rest ---- */

typedef struct signoff_words {
    const char *heading;
    const char *none;                 /* no decision */
    const char *agreed;               /* "Énoncé adopté le DATE par : A, B (révision R)." */
    const char *agreed_final;         /* ... it is the statement above */
    const char *agreed_changed;       /* ... the statement changed since */
    const char *agreed_text;          /* the lead of the text agreed, quoted after it */
    const char *endorsed, *declined;  /* "approuve la révision", "refuse (révision" */
    const char *reason;
    const char *csv_decision, *csv_person, *csv_org, *csv_rev, *csv_reason; /* CSV headers */
    const char *csv_endorsed, *csv_declined, *csv_agreed;
} signoff_words;

static const signoff_words SIGNOFF_FR = {
    "Validation de l'énoncé",
    "Aucune organisation ne s'est prononcée.",
    "Énoncé adopté le %s (révision %lld, SHA-256 %s) par les organisations présentes : ",
    "C'est l'énoncé final ci-dessus.",
    "L'énoncé a changé depuis : le texte final ci-dessus n'est pas celui qui a été adopté.",
    "Le texte adopté :",
    "approuve l'énoncé de la révision", "refuse l'énoncé de la révision",
    "motif : ",
    "Décision", "Personne", "Organisation", "Révision", "Motif",
    "Approuvé", "Refusé", "Énoncé adopté",
};

static const signoff_words SIGNOFF_EN = {
    "Sign-off of the statement",
    "No organisation has decided.",
    "Statement agreed on %s (revision %lld, SHA-256 %s) by the organisations present: ",
    "It is the final statement above.",
    "The statement changed since: the final text above is not the one agreed.",
    "The text agreed:",
    "endorses the statement of revision", "declines the statement of revision",
    "reason: ",
    "Decision", "Person", "Organisation", "Revision", "Reason",
    "Endorsed", "Declined", "Statement agreed",
};

/* The agreement's organisations, "A, B, C". */
static void agreed_orgs(char *dst, size_t n, const signoff_agreement *a) {
    size_t len = 0;
    dst[0] = '\0';
    for (size_t i = 0; i < a->norgs && len < n; i++) len += (size_t)snprintf(dst + len, n - len, "%s%s", i ? ", " : "", a->orgs[i]);
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
    bool orgs;                /* organisations answer it, openly (polls.md, "Organisation answers") */
    unsigned threshold;       /* its anonymity threshold: the results', else the poll's, else 3; 1 for organisations */
} shown_poll;

/* Parse hp; false when it is not a poll an export can show. Free sp either way. */
static bool shown_poll_read(shown_poll *sp, const hist_poll *hp) {
    sp->poll = cJSON_Parse(hp->poll);
    sp->res = hp->results[0] ? cJSON_Parse(hp->results) : NULL;
    sp->question = cJSON_GetStringValue(item(sp->poll, "question"));
    const char *who = cJSON_GetStringValue(item(sp->poll, "respondents"));
    sp->orgs = who && strcmp(who, "organisations") == 0;
    const cJSON *t = item(sp->res, "threshold");
    if (!cJSON_IsNumber(t)) t = item(sp->poll, "threshold");
    int64_t threshold; /* a stored number: any double, checked before it is an integer */
    sp->threshold = sp->orgs ? 1 : proto_json_int(t, 1, PROTO_SAFE_INT_MAX, &threshold) ? (unsigned)threshold : POLL_MIN_GROUP;
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

/* A group with as many respondents as "all" is everyone: its figures are
 * the same as "all"'s, and it is left out rather than shown as a duplicate
 * column ("other" when no organisation is broken out, an organisation that
 * everyone belongs to). */
static bool repeats_all(const cJSON *res, const cJSON *g) {
    return num(item(g, "respondents")) == num(item(res, "respondents"));
}

/* orgs: a poll organisations answer, where every organisation that answered
 * is shown by name (even the only one) and there is no "other". */
static size_t groups_of(const cJSON *res, bool orgs, group *out, size_t max) {
    size_t n = 0;
    out[n++] = (group){NULL, false, res};
    const cJSON *o;
    cJSON_ArrayForEach(o, item(res, "organisations")) {
        if (n + 1 >= max) break;
        if (orgs || !repeats_all(res, o)) out[n++] = (group){cJSON_GetStringValue(item(o, "name")), false, o};
    }
    if (orgs) return n;
    const cJSON *other = item(res, "other");
    if (cJSON_IsObject(other) && !repeats_all(res, other) && n < max) out[n++] = (group){NULL, true, other};
    return n;
}

static const char *group_words(const words *w, const group *g) {
    return g->name ? g->name : g->other ? w->other : w->all;
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

/* Options of a poll: labels in order (the points' words for a scale); n returned. */
static int options(const shown_poll *sp, const words *w, const char **labels, int max) {
    int n = 0;
    if (sp->kind == POLL_SCALE) {
        for (int i = 0; i < POLL_SCALE_POINTS && n < max; i++) labels[n++] = w->scale[i];
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

/* A scale point's label as both exports write it: "4 — Plutôt d'accord". */
static void scale_label(char *dst, size_t n, const words *w, int k) { snprintf(dst, n, "%d — %s", k + 1, w->scale[k]); }

/* ---- The summary (Markdown or HTML, core/doc.h) ---- */

/* ### N. Question, then its kind, state and respondents. */
static void summary_poll_head(doc *d, int number, const shown_poll *sp, const words *w) {
    doc_heading(d, 3);
    doc_wordsf(d, "%d. ", number);
    doc_text(d, sp->question);
    doc_heading_end(d, 3);
    doc_para(d);
    doc_wordsf(d, "%s · %s", w->kinds[sp->kind], w->states[sp->state]);
    if (sp->orgs) doc_wordsf(d, " · %s", w->org_poll);
    if (sp->res) {
        double n = num(item(sp->res, "respondents"));
        doc_wordsf(d, " · %s%s%.0f", w->respondents, w->colon, n);
        if (sp->orgs) doc_wordsf(d, " %s", count_word(w, (int64_t)n, w->organisation, w->organisations));
    }
    doc_para_end(d);
}

/* A row whose first cell is a figure's name, in emphasis ("Répondants", "Moyenne"). */
static void row_named(doc *d, const char *name) {
    doc_row(d);
    doc_cell(d);
    doc_em(d);
    doc_words(d, name);
    doc_em_end(d);
}

/* The table: a column per group, a row per option (and the mean of a scale). */
static void summary_poll_table(doc *d, const shown_poll *sp, const words *w) {
    group groups[MAX_GROUPS];
    size_t ng = groups_of(sp->res, sp->orgs, groups, MAX_GROUPS);
    if (sp->orgs) ng = 1; /* the organisations' answers are listed below the totals */
    const char *labels[MAX_OPTIONS];
    int nopt = options(sp, w, labels, MAX_OPTIONS);
    bool text = sp->kind == POLL_TEXT;
    doc_table(d);
    doc_row(d);
    doc_cell(d);
    doc_words(d, text ? w->answer : w->choice);
    for (size_t g = 0; g < ng; g++) {
        doc_cell(d);
        if (groups[g].name) doc_text(d, groups[g].name);
        else doc_words(d, group_words(w, &groups[g]));
    }
    doc_row_end(d);
    row_named(d, w->respondents);
    for (size_t g = 0; g < ng; g++) {
        doc_cell(d);
        doc_wordsf(d, "%.0f", num(item(groups[g].g, "respondents")));
    }
    doc_row_end(d);
    for (int k = 0; k < nopt; k++) {
        doc_row(d);
        doc_cell(d);
        if (sp->kind == POLL_SCALE) { /* our words */
            char label[PHRASE_MAX];
            scale_label(label, sizeof label, w, k);
            doc_words(d, label);
        } else { /* what was typed */
            doc_text(d, labels[k]);
        }
        for (size_t g = 0; g < ng; g++) {
            doc_cell(d);
            doc_wordsf(d, "%.0f", figure(&groups[g], text, k));
        }
        doc_row_end(d);
    }
    if (sp->kind == POLL_SCALE) {
        row_named(d, w->mean);
        for (size_t g = 0; g < ng; g++) {
            const cJSON *m = item(groups[g].g, "mean");
            char v[NUMBER_TEXT_MAX] = "–";
            if (cJSON_IsNumber(m)) number_text(v, m->valuedouble, 2, w->decimal);
            doc_cell(d);
            doc_words(d, v);
        }
        doc_row_end(d);
    }
    doc_table_end(d);
}

/* How aligned the organisations were, or why it was not computed (text polls: nothing). */
static void summary_poll_alignment(doc *d, const shown_poll *sp, const words *w) {
    const cJSON *al = item(sp->res, "alignment");
    if (!cJSON_IsObject(al) && sp->kind == POLL_TEXT) return;
    doc_para(d);
    if (!cJSON_IsObject(al)) {
        doc_words(d, w->no_alignment);
    } else {
        char div[NUMBER_TEXT_MAX];
        number_text(div, num(item(al, "divergence")), 2, w->decimal);
        doc_wordsf(d, "%s%s%s (%s %s%s%.0f %s).", w->alignment, w->colon,
                   alignment_words(w, cJSON_GetStringValue(item(al, "label"))), w->divergence, div, w->semicolon,
                   num(item(al, "organisations")), w->compared);
    }
    doc_para_end(d);
}

/* An organisation's answer as the exports write it: the labels of its
 * choices (what was typed, " · " between them) or its scale point (our
 * words). Written through text (typed) and words (ours). */
static void org_answer(const shown_poll *sp, const group *g, const words *w, void (*text)(void *, const char *),
                       void (*ours)(void *, const char *), void *ctx) {
    const char *labels[MAX_OPTIONS];
    int nopt = options(sp, w, labels, MAX_OPTIONS);
    bool first = true;
    for (int k = 0; k < nopt; k++) {
        if (figure(g, false, k) <= 0) continue;
        if (!first) ours(ctx, " · ");
        first = false;
        if (sp->kind == POLL_SCALE) {
            char label[PHRASE_MAX];
            scale_label(label, sizeof label, w, k);
            ours(ctx, label);
        } else {
            text(ctx, labels[k] ? labels[k] : "");
        }
    }
}

static void doc_text_cb(void *d, const char *s) { doc_text(d, s); }
static void doc_words_cb(void *d, const char *s) { doc_words(d, s); }

/* "- Ville, par Awa le 28 novembre 2026 à 02:45 (UTC) : Oui", one item per
 * organisation that answered, by name. */
static void summary_org_answers(doc *d, const export_meta *m, const shown_poll *sp, const words *w) {
    group groups[MAX_GROUPS];
    size_t ng = groups_of(sp->res, true, groups, MAX_GROUPS);
    if (ng < 2) return;
    doc_list(d);
    for (size_t g = 1; g < ng; g++) {
        char date[PHRASE_MAX];
        long_date(date, sizeof date, w, m->zone, (int64_t)num(item(groups[g].g, "at")));
        const char *by = cJSON_GetStringValue(item(groups[g].g, "by"));
        doc_item(d);
        doc_text(d, groups[g].name ? groups[g].name : "");
        doc_words(d, w->org_by);
        doc_text(d, by ? by : "");
        doc_wordsf(d, "%s%s%s", w->org_on, date, w->colon);
        org_answer(sp, &groups[g], w, doc_text_cb, doc_words_cb, d);
        doc_item_end(d);
    }
    doc_list_end(d);
}

/* The threshold note, in emphasis, for polls that people answer under threshold t. */
static void threshold_note(doc *d, const words *w, unsigned t) {
    doc_para(d);
    doc_em(d);
    doc_wordsf(d, "%s%u%s%u%s", w->threshold_note[0], t, w->threshold_note[1], t, w->threshold_note[2]);
    doc_em_end(d);
    doc_para_end(d);
}

/* One poll; nothing when it cannot be shown. own_note: the polls people
 * answer do not all share one threshold, each says its own. */
static void summary_poll(doc *d, const export_meta *m, int number, const hist_poll *hp, const words *w,
                         bool own_note) {
    shown_poll sp;
    if (shown_poll_read(&sp, hp)) {
        summary_poll_head(d, number, &sp, w);
        if (sp.res) summary_poll_table(d, &sp, w);
        if (sp.res && sp.orgs) summary_org_answers(d, m, &sp, w);
        if (sp.res) summary_poll_alignment(d, &sp, w);
        if (sp.orgs) {
            doc_para(d);
            doc_em(d);
            doc_words(d, w->org_note);
            doc_em_end(d);
            doc_para_end(d);
        } else if (own_note) {
            threshold_note(d, w, sp.threshold);
        }
    }
    shown_poll_free(&sp);
}

/* The threshold the polls people answer share (0: none such; -1 when they differ). */
static long shared_threshold(const hist_state *polls) {
    long t = 0;
    for (size_t i = 0; i < polls->npolls; i++) {
        shown_poll sp = {0};
        if (!polls->polls[i].draft && shown_poll_read(&sp, &polls->polls[i]) && !sp.orgs) {
            if (t == 0) t = sp.threshold;
            else if (t != (long)sp.threshold) t = -1;
        }
        shown_poll_free(&sp);
    }
    return t;
}

static int by_name(const void *a, const void *b) {
    return strcmp((*(const export_org *const *)a)->name, (*(const export_org *const *)b)->name);
}

/* # Title, then when it was created and last edited, how many took part,
 * when and by whom it was ended, if it is, and when the retention deletes
 * it from the server if nothing is written to it (README, "How long data
 * lives"): the summary is what remains then. */
static void summary_title(doc *d, const export_meta *m, const export_book *bk, const words *w) {
    char date[PHRASE_MAX];
    doc_heading(d, 1);
    doc_text(d, m->title);
    doc_heading_end(d, 1);
    doc_para(d);
    long_date(date, sizeof date, w, m->zone, m->created);
    doc_wordsf(d, "%s %s", w->created, date);
    if (m->last_edit) {
        long_date(date, sizeof date, w, m->zone, m->last_edit);
        doc_wordsf(d, " · %s %s", w->last_activity, date);
    }
    size_t norgs = 0;
    for (size_t i = 0; i < bk->norgs; i++) norgs += bk->orgs[i].people > 0;
    doc_wordsf(d, " · %lld %s · %u %s · %zu %s", (long long)m->rev, count_word(w, m->rev, w->revision, w->revisions),
               bk->people, count_word(w, bk->people, w->person, w->people), norgs,
               count_word(w, (int64_t)norgs, w->organisation, w->organisations));
    if (bk->observers) doc_wordsf(d, " · %u %s", bk->observers, count_word(w, bk->observers, w->observer, w->observers));
    doc_para_end(d);
    if (bk->ended >= 0) {
        const export_moment *end = &bk->moments[bk->ended];
        doc_para(d);
        long_date(date, sizeof date, w, m->zone, end->t);
        doc_wordsf(d, "%s %s%s", w->ended_on, date, w->by);
        doc_text(d, end->subject ? end->subject : "");
        doc_words(d, ".");
        doc_para_end(d);
    }
    if (!m->deletes_at) return;
    doc_para(d);
    long_date(date, sizeof date, w, m->zone, m->deletes_at);
    doc_wordsf(d, "%s %s.", w->deletes_on, date);
    doc_para_end(d);
}

static void summary_organisations(doc *d, const export_book *bk, const words *w) {
    doc_heading(d, 2);
    doc_words(d, w->org_h);
    doc_heading_end(d, 2);
    doc_table(d);
    doc_row(d);
    doc_cell(d);
    doc_words(d, w->org_col);
    doc_cell(d);
    doc_words(d, w->people_h);
    doc_row_end(d);
    /* By name (byte order): the summary does not tell who came first. */
    const export_org *sorted[bk->norgs ? bk->norgs : 1];
    for (size_t i = 0; i < bk->norgs; i++) sorted[i] = &bk->orgs[i];
    qsort(sorted, bk->norgs, sizeof *sorted, by_name);
    for (size_t i = 0; i < bk->norgs; i++) {
        if (!sorted[i]->people) continue; /* only seen arriving: its participant record is gone */
        doc_row(d);
        doc_cell(d);
        doc_text(d, sorted[i]->name);
        doc_cell(d);
        doc_wordsf(d, "%u", sorted[i]->people);
        doc_row_end(d);
    }
    doc_table_end(d);
}

/* Observers last; the others by organisation, then name (byte order). */
static int by_org_then_name(const void *a, const void *b) {
    const export_person *x = *(const export_person *const *)a, *y = *(const export_person *const *)b;
    bool xo = x->role == WK_OBSERVER, yo = y->role == WK_OBSERVER;
    if (xo != yo) return xo ? 1 : -1;
    int c = xo ? 0 : strcmp(x->org, y->org);
    return c ? c : strcmp(x->name, y->name);
}

/* ", Jean (représentant·e)": one name in a list item, its role marked. */
static void person_name(doc *d, const export_person *p, bool first, const words *w) {
    if (!first) doc_words(d, ", ");
    doc_text(d, p->name);
    const char *mark = p->role == WK_OBSERVER ? NULL : w->role_mark[p->role];
    if (mark) doc_wordsf(d, " (%s)", mark);
}

/* "- Banque : Jean (représentant·e), Marc", one item per organisation, then
 * "- Observateur·rices (2) : Zoé (Fondation), Paul": observers apart, each
 * with the organisation they named, if any. */
static void summary_people(doc *d, const export_book *bk, const words *w) {
    if (!bk->npersons) return;
    doc_heading(d, 2);
    doc_words(d, w->people_h);
    doc_heading_end(d, 2);
    const export_person *sorted[bk->npersons];
    for (size_t i = 0; i < bk->npersons; i++) sorted[i] = &bk->persons[i];
    qsort(sorted, bk->npersons, sizeof *sorted, by_org_then_name);
    doc_list(d);
    for (size_t i = 0; i < bk->npersons; i++) {
        const export_person *p = sorted[i];
        bool group_starts = i == 0 || (p->role == WK_OBSERVER) != (sorted[i - 1]->role == WK_OBSERVER) ||
                            (p->role != WK_OBSERVER && strcmp(p->org, sorted[i - 1]->org) != 0);
        if (group_starts && i) doc_item_end(d);
        if (group_starts && p->role == WK_OBSERVER) {
            doc_item(d);
            doc_wordsf(d, "%s (%u)%s", w->observers_h, bk->observers, w->colon);
        } else if (group_starts) {
            doc_item(d);
            doc_text(d, p->org);
            doc_words(d, w->colon);
        }
        person_name(d, p, group_starts, w);
        if (p->role == WK_OBSERVER && p->org[0]) {
            doc_words(d, " (");
            doc_text(d, p->org);
            doc_words(d, ")");
        }
    }
    doc_item_end(d);
    doc_list_end(d);
}

static void summary_statement(doc *d, const char *text, const words *w) {
    doc_heading(d, 2);
    doc_words(d, w->statement_h);
    doc_heading_end(d, 2);
    if (text[0]) {
        doc_quote(d, text);
        return;
    }
    doc_para(d);
    doc_words(d, w->empty_statement);
    doc_para_end(d);
}

/* The polls; the threshold note once at the end when the polls people
 * answer share one threshold, else under each of them. */
static void summary_polls(doc *d, const export_meta *m, const hist_state *polls, const words *w) {
    doc_heading(d, 2);
    doc_words(d, w->polls_h);
    doc_heading_end(d, 2);
    long shared = shared_threshold(polls);
    int number = 0;
    for (size_t i = 0; i < polls->npolls; i++)
        if (!polls->polls[i].draft) summary_poll(d, m, ++number, &polls->polls[i], w, shared < 0);
    if (!number) {
        doc_para(d);
        doc_words(d, w->no_polls);
        doc_para_end(d);
    } else if (shared > 0) {
        threshold_note(d, w, (unsigned)shared);
    }
}

/* "- 28/11/2026 14:05 — Sondage ouvert : « Question »" */
static void summary_moment(doc *d, const export_meta *m, const export_moment *mo, const words *w) {
    char when[PHRASE_MAX];
    short_date(when, sizeof when, w, m->zone, mo->t);
    doc_item(d);
    doc_wordsf(d, "%s — %s", when, w->moment_lead[mo->kind]);
    if (mo->subject) {
        bool question = mo->kind >= EXPORT_POLL_OPENED && mo->kind <= EXPORT_RESULTS_REVEALED;
        if (question) doc_words(d, w->quote_open);
        doc_text(d, mo->subject);
        if (question) doc_words(d, w->quote_close);
    }
    doc_item_end(d);
}

static void summary_timeline(doc *d, const export_meta *m, const export_book *bk, const words *w) {
    doc_heading(d, 2);
    doc_wordsf(d, "%s (%s)", w->timeline_h, zone_name(m->zone));
    doc_heading_end(d, 2);
    doc_list(d);
    for (size_t i = 0; i < bk->nmoments; i++) summary_moment(d, m, &bk->moments[i], w);
    if (m->last_edit) {
        char when[PHRASE_MAX];
        short_date(when, sizeof when, w, m->zone, m->last_edit);
        doc_item(d);
        doc_wordsf(d, "%s — %s (%lld %s)", when, w->last_edit_lead, (long long)m->rev,
                   count_word(w, m->rev, w->revision, w->revisions));
        doc_item_end(d);
    }
    doc_list_end(d);
}

/* ---- The phases and the contribution balance (core/export_phase.h) ---- */

/* Their words, apart from the rest (French written with plain spaces: doc_words sets the typography). */
typedef struct phase_words {
    const char *phases_h, *started, *ran, *under_way, *planned, *extended, *minutes;
    const char *polls_in, *no_poll_in, *statement_end;
    const char *balance_h, *balance_phase, *balance_end;
    const char *org, *inserted, *deleted, *ballots, *answers;  /* the balance's columns */
    const char *phase_col, *start_col, *ran_col, *end_row;      /* the CSV's */
} phase_words;

static const phase_words PHASE_FR = {
    "Déroulé par phase", "Commencée le", "Durée", "en cours", "prévue", "prolongée de", "min",
    "Sondages ouverts pendant la phase", "Aucun sondage ouvert pendant la phase.", "Énoncé à la fin de la phase",
    "Équilibre des contributions", "Contributions à la fin de la phase", "À la fin de l'atelier",
    "Organisation", "Caractères insérés", "Caractères supprimés", "Votes", "Réponses",
    "Phase", "Début", "Durée (min)", "Fin de l'atelier",
};

static const phase_words PHASE_EN = {
    "Phase by phase", "Started on", "Ran for", "under way", "planned", "extended by", "min",
    "Polls opened during the phase", "No poll opened during the phase.", "Statement at the end of the phase",
    "Contribution balance", "Contributions at the end of the phase", "At the end of the workshop",
    "Organisation", "Characters inserted", "Characters deleted", "Ballots", "Answers",
    "Phase", "Start", "Duration (min)", "End of the workshop",
};

/* A paragraph of words in emphasis: a section's lead. */
static void em_para(doc *d, const char *lead) {
    doc_para(d);
    doc_em(d);
    doc_words(d, lead);
    doc_em_end(d);
    doc_para_end(d);
}

/* Whole minutes, rounded to the nearest. */
static long long minutes_of(int64_t ms) { return (long long)((ms + 30000) / 60000); }

static void summary_balance_table(doc *d, const balance_table *t, const phase_words *pw) {
    if (!t->n) return;
    doc_table(d);
    doc_row(d);
    const char *head[] = {pw->org, pw->inserted, pw->deleted, pw->ballots, pw->answers};
    for (size_t i = 0; i < 5; i++) {
        doc_cell(d);
        doc_words(d, head[i]);
    }
    doc_row_end(d);
    for (size_t i = 0; i < t->n; i++) {
        const balance_org *o = &t->orgs[i];
        doc_row(d);
        doc_cell(d);
        doc_text(d, o->org);
        const int64_t v[] = {o->ins, o->del, o->ballots, o->answers};
        for (size_t k = 0; k < 4; k++) {
            doc_cell(d);
            doc_wordsf(d, "%lld", (long long)v[k]);
        }
        doc_row_end(d);
    }
    doc_table_end(d);
}

/* ### 2. Pourquoi ?, then when it started, how long it ran, its polls, the
 * statement at its end and the balance then. */
static void summary_phase(doc *d, const export_meta *m, int number, const export_phase *ph, const words *w,
                          const phase_words *pw) {
    char when[PHRASE_MAX];
    doc_heading(d, 3);
    doc_wordsf(d, "%d. ", number);
    doc_text(d, agenda_title_in(ph->title, w->french));
    doc_heading_end(d, 3);
    long_date(when, sizeof when, w, m->zone, ph->started);
    doc_para(d);
    doc_wordsf(d, "%s %s. %s%s%lld %s", pw->started, when, pw->ran, w->colon, minutes_of(export_phase_ran_ms(ph)),
               pw->minutes);
    doc_wordsf(d, " (%s%s%d %s", pw->planned, w->colon, ph->minutes, pw->minutes);
    if (ph->extended_ms) doc_wordsf(d, ", %s %lld %s", pw->extended, minutes_of(ph->extended_ms), pw->minutes);
    if (ph->under_way) doc_wordsf(d, ", %s", pw->under_way);
    doc_words(d, ").");
    doc_para_end(d);
    em_para(d, ph->npolls ? pw->polls_in : pw->no_poll_in);
    if (ph->npolls) {
        doc_list(d);
        for (size_t i = 0; i < ph->npolls; i++) {
            doc_item(d);
            doc_text(d, ph->polls[i]);
            doc_item_end(d);
        }
        doc_list_end(d);
    }
    em_para(d, pw->statement_end);
    if (ph->text && ph->text[0]) doc_quote(d, ph->text);
    else {
        doc_para(d);
        doc_words(d, w->empty_statement);
        doc_para_end(d);
    }
    if (ph->balance.n) {
        em_para(d, pw->balance_phase);
        summary_balance_table(d, &ph->balance, pw);
    }
}

/* ## The phases, then ## the balance at the end; nothing when no phase was run and nothing counted. */
static void summary_phases(doc *d, const export_meta *m, const words *w) {
    const export_phases *p = m->phases;
    const phase_words *pw = w->french ? &PHASE_FR : &PHASE_EN;
    if (!p) return;
    if (p->n) {
        doc_heading(d, 2);
        doc_words(d, pw->phases_h);
        doc_heading_end(d, 2);
        for (size_t i = 0; i < p->n; i++) summary_phase(d, m, (int)i + 1, &p->v[i], w, pw);
    }
    if (p->running.n) {
        doc_heading(d, 2);
        doc_words(d, pw->balance_h);
        doc_heading_end(d, 2);
        em_para(d, pw->balance_end);
        summary_balance_table(d, &p->running, pw);
    }
}

/* The sign-off: the agreement, if any (and whether the final text is the
 * one agreed), then every endorsement and decline with its time, person,
 * organisation, revision and hash. Nothing when there was no sign-off. */
static void summary_signoff(doc *d, const export_meta *m, const export_book *bk, const signoff *so, const words *w) {
    const signoff_words *sw = w->french ? &SIGNOFF_FR : &SIGNOFF_EN;
    if (!so->called_at && !bk->ndecisions) return;
    doc_heading(d, 2);
    doc_words(d, sw->heading);
    doc_heading_end(d, 2);
    if (so->has_agreed) {
        char date[PHRASE_MAX], orgs[1024], final_sha[DIGEST_SHA256_HEX + 1];
        long_date(date, sizeof date, w, m->zone, so->agreed.at);
        agreed_orgs(orgs, sizeof orgs, &so->agreed);
        bool final = digest_sha256_hex(m->text, strlen(m->text), final_sha) && strcmp(final_sha, so->agreed.sha256) == 0;
        doc_para(d);
        doc_wordsf(d, sw->agreed, date, (long long)so->agreed.rev, so->agreed.sha256);
        doc_text(d, orgs);
        doc_words(d, ". ");
        doc_words(d, final ? sw->agreed_final : sw->agreed_changed);
        doc_para_end(d);
        if (!final && m->agreed_text) {
            em_para(d, sw->agreed_text);
            if (m->agreed_text[0]) doc_quote(d, m->agreed_text);
            else {
                doc_para(d);
                doc_words(d, w->empty_statement);
                doc_para_end(d);
            }
        }
    }
    if (!bk->ndecisions) {
        doc_para(d);
        doc_words(d, sw->none);
        doc_para_end(d);
        return;
    }
    doc_list(d);
    for (size_t i = 0; i < bk->ndecisions; i++) {
        const export_decision *x = &bk->decisions[i];
        char when[PHRASE_MAX];
        short_date(when, sizeof when, w, m->zone, x->t);
        doc_item(d);
        doc_wordsf(d, "%s — ", when);
        doc_text(d, x->org);
        doc_words(d, " (");
        doc_text(d, x->name);
        doc_wordsf(d, ") %s %lld (SHA-256 %s)", x->declined ? sw->declined : sw->endorsed, (long long)x->rev, x->sha256);
        if (x->reason) {
            doc_wordsf(d, " — %s%s", sw->reason, w->quote_open + 1); /* « without the space before it */
            doc_text(d, x->reason);
            doc_words(d, w->quote_close);
        }
        doc_item_end(d);
    }
    doc_list_end(d);
}

static void summary(sbuf *out, doc_format format, const export_meta *m, const export_book *bk,
                    const hist_state *polls, export_lang lang, const char *style_nonce) {
    const words *w = lang == EXPORT_EN ? &EN : &FR;
    doc d;
    doc_begin(&d, out, format, w->french, m->title, style_nonce ? style_nonce : "");
    summary_title(&d, m, bk, w);
    summary_organisations(&d, bk, w);
    summary_people(&d, bk, w);
    summary_statement(&d, m->text, w);
    summary_signoff(&d, m, bk, &polls->signoff, w);
    summary_polls(&d, m, polls, w);
    summary_phases(&d, m, w);
    summary_timeline(&d, m, bk, w);
    doc_end(&d);
}

void export_markdown(sbuf *out, const export_meta *m, const export_book *bk, const hist_state *polls,
                     export_lang lang) {
    summary(out, DOC_MARKDOWN, m, bk, polls, lang, NULL);
}

void export_html(sbuf *out, const export_meta *m, const export_book *bk, const hist_state *polls, export_lang lang,
                 const char *style_nonce) {
    summary(out, DOC_HTML, m, bk, polls, lang, style_nonce);
}

/* ---- CSV (core/csv.h) ---- */

/* What every row of a poll repeats. */
typedef struct csv_poll_rows {
    int number;                        /* as in the summary */
    const shown_poll *sp;
    const char **labels;               /* the options, in order */
    int nopt;                          /* how many */
    const cJSON *alignment;            /* the results' alignment, or NULL */
    bool answered_cols;                /* the table has the columns of who answered and when */
    const export_meta *m;              /* the workshop (its time zone) */
} csv_poll_rows;

/* N°, Question, [Type,] État, Groupe, Répondants: the start of each row. */
static void csv_row_start(csv *c, const csv_poll_rows *r, const group *g, const words *w) {
    csv_int(c, r->number);
    csv_text(c, r->sp->question);
    if (r->sp->kind != POLL_TEXT) csv_text(c, w->kinds[r->sp->kind]);
    csv_text(c, w->states[r->sp->state]);
    csv_text(c, group_words(w, g));
    csv_decimal(c, num(item(g->g, "respondents")), 0);
}

/* Who gave an organisation's answer and when; empty for other groups and polls. */
static void csv_answered(csv *c, const csv_poll_rows *r, const group *g, const words *w) {
    if (!r->sp->orgs || !g->name) {
        csv_empty(c);
        csv_empty(c);
        return;
    }
    const char *by = cJSON_GetStringValue(item(g->g, "by"));
    char when[PHRASE_MAX];
    short_date(when, sizeof when, w, r->m->zone, (int64_t)num(item(g->g, "at")));
    csv_text(c, by ? by : "");
    csv_text(c, when);
}

/* A choice or scale poll's rows of one group: one per option, and the mean of a scale. */
static void csv_choice_group(csv *c, const csv_poll_rows *r, const group *g, const words *w) {
    bool scale = r->sp->kind == POLL_SCALE;
    for (int k = 0; k < r->nopt + (scale ? 1 : 0); k++) {
        csv_row_start(c, r, g, w);
        if (scale && k == POLL_SCALE_POINTS) { /* the row after the points */
            const cJSON *m = item(g->g, "mean");
            csv_text(c, w->mean);
            if (cJSON_IsNumber(m)) csv_decimal(c, m->valuedouble, 2);
            else csv_empty(c);
        } else {
            char label[PHRASE_MAX];
            if (scale) scale_label(label, sizeof label, w, k);
            csv_text(c, scale ? label : r->labels[k] ? r->labels[k] : "");
            csv_decimal(c, figure(g, false, k), 0);
        }
        if (r->alignment) {
            csv_decimal(c, num(item(r->alignment, "divergence")), 2);
            csv_text(c, alignment_words(w, cJSON_GetStringValue(item(r->alignment, "label"))));
        } else {
            csv_empty(c);
            csv_empty(c);
        }
        if (r->answered_cols) csv_answered(c, r, g, w);
        csv_end_row(c);
    }
}

/* A text poll's rows of one group: one per answer, with its upvotes. */
static void csv_text_group(csv *c, const csv_poll_rows *r, const group *g, const words *w) {
    for (int k = 0; k < r->nopt; k++) {
        csv_row_start(c, r, g, w);
        csv_text(c, r->labels[k] ? r->labels[k] : "");
        csv_decimal(c, figure(g, true, k), 0);
        csv_end_row(c);
    }
}

/* Every row of the polls of one table (text polls, or the others), numbered
 * as in the summary. True when there was one. */
static bool csv_polls(csv *c, const export_meta *m, const hist_state *polls, const words *w, bool text,
                      bool answered_cols) {
    int number = 0;
    bool any = false;
    for (size_t i = 0; i < polls->npolls; i++) {
        const hist_poll *hp = &polls->polls[i];
        if (hp->draft) continue;
        number++;
        shown_poll sp;
        if (shown_poll_read(&sp, hp) && sp.res && (sp.kind == POLL_TEXT) == text) {
            const char *labels[MAX_OPTIONS];
            csv_poll_rows r = {number, &sp, labels, options(&sp, w, labels, MAX_OPTIONS), NULL, answered_cols, m};
            const cJSON *al = item(sp.res, "alignment");
            r.alignment = cJSON_IsObject(al) ? al : NULL;
            group groups[MAX_GROUPS];
            size_t ng = groups_of(sp.res, sp.orgs, groups, MAX_GROUPS);
            for (size_t g = 0; g < ng; g++) {
                if (text) csv_text_group(c, &r, &groups[g], w);
                else csv_choice_group(c, &r, &groups[g], w);
            }
            any = true;
        }
        shown_poll_free(&sp);
    }
    return any;
}

static void csv_header(csv *c, const char *const *names, size_t n) {
    for (size_t i = 0; i < n; i++) csv_text(c, names[i]);
    csv_end_row(c);
}

static bool has_text_poll(const hist_state *polls) {
    bool found = false;
    for (size_t i = 0; i < polls->npolls && !found; i++) {
        shown_poll sp = {0};
        found = !polls->polls[i].draft && shown_poll_read(&sp, &polls->polls[i]) && sp.res && sp.kind == POLL_TEXT;
        shown_poll_free(&sp);
    }
    return found;
}

/* A poll organisations answer has results to show: the first table gets
 * the columns of who answered and when. */
static bool has_org_poll(const hist_state *polls) {
    bool found = false;
    for (size_t i = 0; i < polls->npolls && !found; i++) {
        shown_poll sp = {0};
        found = !polls->polls[i].draft && shown_poll_read(&sp, &polls->polls[i]) && sp.res && sp.orgs;
        shown_poll_free(&sp);
    }
    return found;
}

static void csv_moments(csv *c, const export_meta *m, const export_book *bk, const words *w) {
    char time_header[PHRASE_MAX], when[PHRASE_MAX];
    snprintf(time_header, sizeof time_header, "%s (%s)", w->time, zone_name(m->zone));
    const char *head[] = {time_header, w->moment, w->subject};
    csv_header(c, head, 3);
    for (size_t i = 0; i < bk->nmoments; i++) {
        const export_moment *mo = &bk->moments[i];
        short_date(when, sizeof when, w, m->zone, mo->t);
        csv_text(c, when);
        csv_text(c, w->moment_name[mo->kind]);
        csv_text(c, mo->subject ? mo->subject : "");
        csv_end_row(c);
    }
    if (m->last_edit) {
        char revisions[PHRASE_MAX];
        snprintf(revisions, sizeof revisions, "%lld %s", (long long)m->rev,
                 count_word(w, m->rev, w->revision, w->revisions));
        short_date(when, sizeof when, w, m->zone, m->last_edit);
        csv_text(c, when);
        csv_text(c, w->last_edit_name);
        csv_text(c, revisions);
        csv_end_row(c);
    }
}

/* One row per organisation of a balance: Phase, Start, Duration, then the counts. */
static void csv_balance_rows(csv *c, const balance_table *t, const char *phase, const char *start, const char *ran) {
    for (size_t i = 0; i < t->n; i++) {
        const balance_org *o = &t->orgs[i];
        csv_text(c, phase);
        csv_text(c, start);
        csv_text(c, ran);
        csv_text(c, o->org);
        const int64_t v[] = {o->ins, o->del, o->ballots, o->answers};
        for (size_t k = 0; k < 4; k++) {
            char n[24];
            snprintf(n, sizeof n, "%lld", (long long)v[k]);
            csv_text(c, n);
        }
        csv_end_row(c);
    }
}

/* The balance at the end of each phase and of the workshop: a table of its own. */
static void csv_phases(csv *c, const export_meta *m, const words *w) {
    const export_phases *p = m->phases;
    const phase_words *pw = w->french ? &PHASE_FR : &PHASE_EN;
    if (!p || !p->running.n) return;
    char start_header[PHRASE_MAX], when[PHRASE_MAX], ran[24];
    snprintf(start_header, sizeof start_header, "%s (%s)", pw->start_col, zone_name(m->zone));
    const char *head[] = {pw->phase_col, start_header, pw->ran_col, pw->org, pw->inserted, pw->deleted, pw->ballots,
                          pw->answers};
    csv_blank_line(c);
    csv_header(c, head, sizeof head / sizeof *head);
    for (size_t i = 0; i < p->n; i++) {
        const export_phase *ph = &p->v[i];
        short_date(when, sizeof when, w, m->zone, ph->started);
        snprintf(ran, sizeof ran, "%lld", minutes_of(export_phase_ran_ms(ph)));
        csv_balance_rows(c, &ph->balance, agenda_title_in(ph->title, w->french), when, ran);
    }
    csv_balance_rows(c, &p->running, pw->end_row, "", "");
}

/* The sign-off's table: every endorsement and decline, then the agreement. */
static void csv_signoff(csv *c, const export_meta *m, const export_book *bk, const signoff *so, const words *w) {
    const signoff_words *sw = w->french ? &SIGNOFF_FR : &SIGNOFF_EN;
    char time_header[PHRASE_MAX], when[PHRASE_MAX];
    snprintf(time_header, sizeof time_header, "%s (%s)", w->time, zone_name(m->zone));
    const char *head[] = {time_header, sw->csv_decision, sw->csv_person, sw->csv_org, sw->csv_rev, "SHA-256", sw->csv_reason};
    csv_blank_line(c);
    csv_header(c, head, sizeof head / sizeof *head);
    for (size_t i = 0; i < bk->ndecisions; i++) {
        const export_decision *x = &bk->decisions[i];
        short_date(when, sizeof when, w, m->zone, x->t);
        csv_text(c, when);
        csv_text(c, x->declined ? sw->csv_declined : sw->csv_endorsed);
        csv_text(c, x->name);
        csv_text(c, x->org);
        csv_int(c, x->rev);
        csv_text(c, x->sha256);
        csv_text(c, x->reason ? x->reason : "");
        csv_end_row(c);
    }
    if (!so->has_agreed) return;
    char orgs[1024];
    agreed_orgs(orgs, sizeof orgs, &so->agreed);
    short_date(when, sizeof when, w, m->zone, so->agreed.at);
    csv_text(c, when);
    csv_text(c, sw->csv_agreed);
    csv_empty(c);
    csv_text(c, orgs);
    csv_int(c, so->agreed.rev);
    csv_text(c, so->agreed.sha256);
    csv_empty(c);
    csv_end_row(c);
}

void export_csv(sbuf *out, const export_meta *m, const export_book *bk, const hist_state *polls, export_lang lang) {
    const words *w = lang == EXPORT_EN ? &EN : &FR;
    csv c;
    csv_begin(&c, out, w->decimal);
    bool answered = has_org_poll(polls);
    char answered_at[PHRASE_MAX];
    snprintf(answered_at, sizeof answered_at, "%s (%s)", w->answered_at, zone_name(m->zone));
    const char *results[] = {w->number,      w->question, w->kind,  w->state,        w->group,     w->respondents,
                             w->choice,      w->count,    w->divergence_h, w->alignment, w->answered_by, answered_at};
    csv_header(&c, results, sizeof results / sizeof *results - (answered ? 0 : 2));
    csv_polls(&c, m, polls, w, false, answered);
    if (has_text_poll(polls)) { /* their own table: no kind, no alignment (always empty for them) */
        const char *text[] = {w->number, w->question, w->state, w->group, w->respondents, w->answer, w->upvotes};
        csv_blank_line(&c);
        csv_header(&c, text, sizeof text / sizeof *text);
        csv_polls(&c, m, polls, w, true, false);
    }
    csv_blank_line(&c);
    csv_moments(&c, m, bk, w);
    csv_phases(&c, m, w);
    if (polls->signoff.called_at || bk->ndecisions) csv_signoff(&c, m, bk, &polls->signoff, w);
}
