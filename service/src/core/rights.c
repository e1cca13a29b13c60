#include "core/rights.h"

#include <stddef.h>

/* The roles of a row, as bits. */
#define FAC (1u << WK_FACILITATOR)
#define REP (1u << WK_REPRESENTATIVE)
#define PART (1u << WK_PARTICIPANT)
#define OBS (1u << WK_OBSERVER)
#define EVERYONE (FAC | REP | PART | OBS)
#define TAKING_PART (FAC | REP | PART) /* everyone but observers */

typedef struct rights_row {
    unsigned roles;      /* who may send it (bits of wk_role); 0: no row */
    const char *refusal; /* why the others may not */
} rights_row;

#define POLL_STEP {FAC, "only a facilitator runs polls"}
#define AGENDA_STEP {FAC, "only a facilitator runs the agenda"}

static const rights_row rows[] = {
    [PROTO_JOIN] = {EVERYONE, ""},
    [PROTO_PING] = {EVERYONE, ""},
    [PROTO_OP] = {TAKING_PART, "observers cannot write"},
    [PROTO_CURSOR] = {TAKING_PART, "observers have no caret"},
    [PROTO_POLL_CREATE] = POLL_STEP,
    [PROTO_POLL_EDIT] = POLL_STEP,
    [PROTO_POLL_OPEN] = POLL_STEP,
    [PROTO_POLL_CLOSE] = POLL_STEP,
    [PROTO_POLL_REOPEN] = POLL_STEP,
    [PROTO_POLL_RESULTS] = POLL_STEP,
    [PROTO_POLL_DELETE] = POLL_STEP,
    [PROTO_VOTE] = {TAKING_PART, "observers cannot vote"},
    [PROTO_ANSWER] = {TAKING_PART, "observers cannot answer"},
    [PROTO_UPVOTE] = {TAKING_PART, "observers cannot upvote"},
    [PROTO_WORKSHOP_END] = {FAC, "only a facilitator ends or reopens the workshop"},
    [PROTO_WORKSHOP_REOPEN] = {FAC, "only a facilitator ends or reopens the workshop"},
    [PROTO_ROLE_SET] = {FAC, "only a facilitator gives roles"},
    [PROTO_REPRESENTATIVE_REQUEST] = {PART, "only a participant asks to represent their organisation"},
    [PROTO_REPRESENTATIVE_ANSWER] = {FAC, "only a facilitator answers a request to represent an organisation"},
    [PROTO_OBSERVER_LINK] = {FAC, "only a facilitator makes or revokes the observer link"},
    [PROTO_AGENDA_SET] = AGENDA_STEP,
    [PROTO_PHASE_START] = AGENDA_STEP,
    [PROTO_PHASE_NEXT] = AGENDA_STEP,
    [PROTO_PHASE_PAUSE] = AGENDA_STEP,
    [PROTO_PHASE_RESUME] = AGENDA_STEP,
    [PROTO_PHASE_EXTEND] = AGENDA_STEP,
    [PROTO_SIGNOFF_CALL] = {FAC, "only a facilitator calls or closes a sign-off"},
    [PROTO_SIGNOFF_CLOSE] = {FAC, "only a facilitator calls or closes a sign-off"},
    [PROTO_ENDORSE] = {REP, "only an organisation's representative endorses or declines"},
    [PROTO_DECLINE] = {REP, "only an organisation's representative endorses or declines"},
    [PROTO_BOARD_ADD] = {TAKING_PART, "observers cannot write on the board"},
    [PROTO_BOARD_EDIT] = {TAKING_PART, "observers cannot write on the board"},
    [PROTO_BOARD_DELETE] = {TAKING_PART, "observers cannot write on the board"},
    /* Representatives group only when the facilitator lets them (core/board.c checks the setting). */
    [PROTO_BOARD_GROUP] = {FAC | REP, "only a facilitator groups items (the facilitator may let representatives do it)"},
    [PROTO_BOARD_UNGROUP] = {FAC | REP, "only a facilitator ungroups items (the facilitator may let representatives do it)"},
    [PROTO_BOARD_SETTINGS] = {FAC, "only a facilitator changes the board's settings"},
};

static const rights_row *row(proto_type type) {
    return (size_t)type < sizeof rows / sizeof *rows && rows[type].roles ? &rows[type] : NULL;
}

bool rights_has_row(proto_type type) { return row(type) != NULL; }

bool rights_may(wk_role role, proto_type type) {
    const rights_row *r = row(type);
    return r && (r->roles & (1u << role)) != 0;
}

const char *rights_refusal(proto_type type) {
    const rights_row *r = row(type);
    return r ? r->refusal : "this message is not allowed";
}
