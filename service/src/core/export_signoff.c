#include "core/export_internal.h"

#include <stdio.h>
#include <string.h>

#include "core/digest.h"

/* Room for the agreement's organisations, "A, B, C". */
#define AGREED_ORGS_MAX 1024

static void agreed_orgs(char dst[AGREED_ORGS_MAX], const signoff_agreement *a) {
    size_t len = 0;
    dst[0] = '\0';
    for (size_t i = 0; i < a->norgs && len < AGREED_ORGS_MAX; i++)
        len += (size_t)snprintf(dst + len, AGREED_ORGS_MAX - len, "%s%s", i ? ", " : "", a->orgs[i]);
}

/* ---- The summary ---- */

/* "Énoncé adopté le ... par les organisations présentes : A, B. C'est
 * l'énoncé final ci-dessus.", and the text agreed when it is not the final one. */
static void summary_agreement(doc *d, const export_meta *m, const signoff_agreement *a, const export_words *w) {
    const export_signoff_words *sw = &w->signoff;
    char date[EXPORT_PHRASE_MAX], orgs[AGREED_ORGS_MAX], final_sha[DIGEST_SHA256_HEX + 1];
    export__long_date(date, sizeof date, w, m->zone, a->at);
    agreed_orgs(orgs, a);
    bool final = digest_sha256_hex(m->text, strlen(m->text), final_sha) && strcmp(final_sha, a->sha256) == 0;
    doc_para(d);
    doc_wordsf(d, sw->agreed, date, (long long)a->rev, a->sha256);
    doc_text(d, orgs);
    doc_words(d, ". ");
    doc_words(d, final ? sw->agreed_final : sw->agreed_changed);
    doc_para_end(d);
    if (final || !m->agreed_text) return;
    export__em_para(d, sw->agreed_text);
    export__statement(d, m->agreed_text, w);
}

/* "- 28/11/2026 14:05 — Banque (Jean) refuse l'énoncé de la révision 4
 * (SHA-256 ...) — motif : « ... »" */
static void summary_decision(doc *d, const export_meta *m, const export_decision *x, const export_words *w) {
    const export_signoff_words *sw = &w->signoff;
    char when[EXPORT_PHRASE_MAX];
    export__short_date(when, sizeof when, w, m->zone, x->t);
    doc_item(d);
    doc_wordsf(d, "%s — ", when);
    doc_text(d, x->org);
    doc_words(d, " (");
    doc_text(d, x->name);
    doc_wordsf(d, ") %s %lld (SHA-256 %s)", x->declined ? sw->declined : sw->endorsed, (long long)x->rev, x->sha256);
    if (x->reason) {
        doc_wordsf(d, " — %s%s", sw->reason, sw->reason_open);
        doc_text(d, x->reason);
        doc_words(d, sw->reason_close);
    }
    doc_item_end(d);
}

void export__signoff_between(doc *d, const export_meta *m, const export_book *bk, const signoff *so, int64_t from,
                             int64_t to, const export_words *w) {
    bool agreed = so->has_agreed && so->agreed.at >= from && so->agreed.at < to;
    size_t n = 0;
    for (size_t i = 0; i < bk->ndecisions; i++) n += bk->decisions[i].t >= from && bk->decisions[i].t < to;
    if (!n && !agreed) return;
    export__em_para(d, w->phase.signoff_in);
    doc_list(d);
    for (size_t i = 0; i < bk->ndecisions; i++)
        if (bk->decisions[i].t >= from && bk->decisions[i].t < to) summary_decision(d, m, &bk->decisions[i], w);
    if (agreed) {
        char when[EXPORT_PHRASE_MAX], orgs[AGREED_ORGS_MAX];
        export__short_date(when, sizeof when, w, m->zone, so->agreed.at);
        agreed_orgs(orgs, &so->agreed);
        doc_item(d);
        doc_wordsf(d, "%s — ", when);
        doc_wordsf(d, w->phase.agreed_in, (long long)so->agreed.rev);
        doc_text(d, orgs);
        doc_item_end(d);
    }
    doc_list_end(d);
}

/* The agreement, if any (and whether the final text is the one agreed),
 * then every endorsement and decline with its time, person, organisation,
 * revision and hash. */
void export__signoff_summary(doc *d, const export_meta *m, const export_book *bk, const signoff *so,
                             const export_words *w) {
    if (!so->called_at && !bk->ndecisions) return;
    export__section(d, w->signoff.heading);
    if (so->has_agreed) summary_agreement(d, m, &so->agreed, w);
    if (!bk->ndecisions) {
        export__para(d, w->signoff.none);
        return;
    }
    doc_list(d);
    for (size_t i = 0; i < bk->ndecisions; i++) summary_decision(d, m, &bk->decisions[i], w);
    doc_list_end(d);
}

/* ---- The CSV: a table of its own ---- */

/* Every endorsement and decline, then the agreement. */
void export__signoff_csv(csv *c, const export_meta *m, const export_book *bk, const signoff *so,
                         const export_words *w) {
    if (!so->called_at && !bk->ndecisions) return;
    const export_signoff_words *sw = &w->signoff;
    char time_header[EXPORT_PHRASE_MAX], when[EXPORT_PHRASE_MAX];
    export__zoned_header(time_header, sizeof time_header, w->time, m->zone);
    const char *head[] = {time_header, sw->csv_decision, sw->csv_person, sw->csv_org, sw->csv_rev, "SHA-256",
                          sw->csv_reason};
    export__csv_table(c, head, sizeof head / sizeof *head);
    for (size_t i = 0; i < bk->ndecisions; i++) {
        const export_decision *x = &bk->decisions[i];
        export__short_date(when, sizeof when, w, m->zone, x->t);
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
    char orgs[AGREED_ORGS_MAX];
    agreed_orgs(orgs, &so->agreed);
    export__short_date(when, sizeof when, w, m->zone, so->agreed.at);
    csv_text(c, when);
    csv_text(c, sw->csv_agreed);
    csv_empty(c);
    csv_text(c, orgs);
    csv_int(c, so->agreed.rev);
    csv_text(c, so->agreed.sha256);
    csv_empty(c);
    csv_end_row(c);
}
