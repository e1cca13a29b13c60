#include "core/export_internal.h"

#include <stdio.h>
#include <string.h>

bool export_lang_from_name(const char *s, export_lang *out) {
    if (s && strcmp(s, "fr") == 0) *out = EXPORT_FR;
    else if (s && strcmp(s, "en") == 0) *out = EXPORT_EN;
    else return false;
    return true;
}

/* French, written with plain spaces: doc_words sets the typography. */
static const export_words FR = {
    true,
    "fr",
    {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre",
     "décembre"},
    " à ",
    " : ", " ; ",
    " « ", " »",
    "Atelier créé le", "dernière modification le", "Atelier terminé le", " par ",
    "révision", "révisions", "personne", "personnes", "organisation", "organisations",
    "Organisations", "Organisation", "Personnes", "Énoncé commun", "Sondages", "Moments clés",
    "Aucun sondage.", "(vide)",
    {"choix unique", "choix multiple", "échelle d'accord", "réponses libres", "classement"},
    {"brouillon", "ouvert", "clos"},
    "Répondants", "Tous", "Autres", "Choix", "Réponse", "Moyenne", "Soutiens",
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
    .signoff = {
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
        "« ", " »",
    },
    .phase = {
        "Déroulé par phase", "Commencée le", "Durée", "en cours", "prévue", "prolongée de", "min",
        "Sondages ouverts pendant la phase", "Aucun sondage ouvert pendant la phase.", "Énoncé à la fin de la phase",
        "Équilibre des contributions", "Contributions à la fin de la phase", "À la fin de l'atelier",
        "Organisation", "Caractères insérés", "Caractères supprimés", "Votes", "Réponses",
        "Phase", "Début", "Durée (min)", "Fin de l'atelier",
        "Validation pendant la phase",
        "Énoncé adopté (révision %lld) par les organisations présentes : ",
        "Phases non abordées",
        "État", "abordée", "non abordée",
    },
    .board = {
        "Tableau des priorités", "Par organisation",
        {"Pratique actuelle", "Priorité", "Force"},
        {"Commun à toutes les organisations", "Partagé par certaines organisations", "Propre à une organisation"},
        "toutes les organisations", "Rien.",
        "Type", "Intitulé", "Pourquoi", "Colonne", "Groupe",
    },
    .discuss = {
        "Choix : points de Borda (rang moyen)", "Rang moyen",
        "Points de Borda : pour n choix, le premier de chaque classement reçoit n − 1 points, le dernier 0. "
        "Rang moyen : 1 = toujours premier.",
        "À propos du passage :", "Le passage a changé depuis le premier vote.", "Au premier vote :",
        "Le passage de ce sondage a été supprimé du texte.",
        "À discuter", "Aucun point n'a été mis à discuter.", "fait", "à faire", "ajouté par %s le %s",
        "Point", "Sondage", "Passage", "État", "Ajouté le", "Par",
        "Passage (final)", "Passage au premier vote", "Changé", "oui", "non",
    },    .results_not_shown = "Résultats non montrés aux participant·es.",
};

static const export_words EN = {
    false,
    "en",
    {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
     "December"},
    ", ",
    ": ", "; ",
    " ", "",
    "Workshop created on", "last edited on", "Workshop ended on", " by ",
    "revision", "revisions", "person", "people", "organisation", "organisations",
    "Organisations", "Organisation", "People", "Shared outcome statement", "Polls", "Key moments",
    "No polls.", "(empty)",
    {"single choice", "multiple choice", "agreement scale", "open answers", "ranking"},
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
    .signoff = {
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
        "\u201c", "\u201d",
    },
    .phase = {
        "Phase by phase", "Started on", "Ran for", "under way", "planned", "extended by", "min",
        "Polls opened during the phase", "No poll opened during the phase.", "Statement at the end of the phase",
        "Contribution balance", "Contributions at the end of the phase", "At the end of the workshop",
        "Organisation", "Characters inserted", "Characters deleted", "Ballots", "Answers",
        "Phase", "Start", "Duration (min)", "End of the workshop",
        "Sign-off during the phase",
        "Statement agreed (revision %lld) by the organisations present: ",
        "Phases skipped",
        "Status", "held", "skipped",
    },
    .board = {
        "Priorities board", "By organisation",
        {"Current practice", "Priority", "Strength"},
        {"Common to all organisations", "Shared by some organisations", "Unique to one organisation"},
        "all organisations", "Nothing.",
        "Kind", "Title", "Why", "Column", "Group",
    },
    .discuss = {
        "Choice: Borda points (mean rank)", "Mean rank",
        "Borda points: with n choices, the first of each ranking gets n − 1 points, the last 0. "
        "Mean rank: 1 = always first.",
        "About the passage:", "The passage changed since the first vote.", "At the first vote:",
        "This poll's passage was deleted from the text.",
        "To discuss", "Nothing was put on the list to discuss.", "done", "to do", "added by %s on %s",
        "Item", "Poll", "Passage", "State", "Added on", "By",
        "Passage (final)", "Passage at the first vote", "Changed", "yes", "no",
    },    .results_not_shown = "Results not shown to participants.",
};

const export_words *export__words(export_lang lang) { return lang == EXPORT_EN ? &EN : &FR; }

const char *export__count_word(const export_words *w, int64_t n, const char *one, const char *several) {
    return n == 1 || (n == 0 && w->zero_singular) ? one : several;
}

const char *export__zone_name(const when_zone *z) { return z && z->name ? z->name : WHEN_UTC; }

void export__long_date(char *dst, size_t n, const export_words *w, const when_zone *z, int64_t ms) {
    when_local l = when_at(z, ms);
    snprintf(dst, n, "%d %s %d%s%02d:%02d (%s)", l.day, w->months[l.month - 1], l.year, w->at, l.hour, l.minute,
             export__zone_name(z));
}

void export__short_date(char *dst, size_t n, const export_words *w, const when_zone *z, int64_t ms) {
    sbuf b;
    sbuf_init(&b, 0);
    when_write(&b, z, ms, w->french);
    snprintf(dst, n, "%s", sbuf_data(&b) ? sbuf_data(&b) : "");
    sbuf_free(&b);
}

void export__zoned_header(char *dst, size_t n, const char *name, const when_zone *z) {
    snprintf(dst, n, "%s (%s)", name, export__zone_name(z));
}

void export__number_text(char dst[EXPORT_NUMBER_MAX], double v, int decimals, char decimal) {
    snprintf(dst, EXPORT_NUMBER_MAX, "%.*f", decimals, v);
    for (char *p = dst; *p; p++)
        if (*p == '.') *p = decimal;
}

const char *export__alignment_words(const export_words *w, const char *label) {
    return label && strcmp(label, "aligned") == 0          ? w->aligned
           : label && strcmp(label, "partly_aligned") == 0 ? w->partly
                                                            : w->divergent;
}

void export__scale_label(char *dst, size_t n, const export_words *w, int k) {
    snprintf(dst, n, "%d — %s", k + 1, w->scale[k]);
}
