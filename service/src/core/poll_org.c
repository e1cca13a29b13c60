/* poll_org.c -- organisation answers (protocol/polls.md, "Organisation
 * answers"): on a poll whose respondents are "organisations", each
 * organisation has one ballot, set or changed by any of its members, the
 * last one standing. It is open, not anonymous: the organisation keeps who
 * set it and when, and its members and the results say so. The tallies are
 * the same as a person's ballot's, with the organisation as the one voter,
 * so results and alignment need nothing of their own. */
#include "core/poll.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/poll_internal.h"

const poll_org *poll_org_find(const poll_t *p, const char *org) {
    long oi = org ? poll__org_find(p, org) : -1;
    return oi < 0 ? NULL : &p->orgs[oi];
}

poll_err poll__org_set(poll_t *p, long oi, const poll_ballot *b, const char *pid, const char *name, int64_t at,
                       const char **why) {
    char *by_name = strdup(name);
    if (!by_name) return poll__fail(why, POLL_EINTERNAL, "out of memory");
    poll_org *o = &p->orgs[oi];
    poll__tally(p, (uint32_t)oi, &o->ballot, -1);
    o->ballot = *b;
    poll__tally(p, (uint32_t)oi, &o->ballot, +1);
    snprintf(o->by, sizeof o->by, "%s", pid);
    free(o->by_name);
    o->by_name = by_name;
    o->at = at;
    return POLL_OK;
}

poll_err poll_vote_org(poll_t *p, const poll_voter_id *who, const poll_ballot *b, const char **why) {
    poll_err e = poll__gate(p, false, why);
    if (e != POLL_OK) return e;
    if (p->def.respondents != POLL_ORGANISATIONS)
        return poll__fail(why, POLL_EBAD_REQUEST, "people answer this poll, each for themself (poll_vote)");
    /* A name follows the same rule as an organisation's (a label). */
    if (!who || !b || !poll__valid_pid(who->pid) || !poll__valid_org(who->name) || !poll__valid_org(who->org))
        return poll__fail(why, POLL_EBAD_REQUEST, "an organisation's ballot needs a participant, their name and their organisation");
    if (p->def.representatives_only && !who->representative)
        return poll__fail(why, POLL_EFORBIDDEN, "only the organisations' representatives answer this poll");
    if (!b->none && (e = poll__ballot_check(p, b, why)) != POLL_OK) return e;
    long oi = poll__org_get(p, who->org);
    if (oi < 0) return poll__fail(why, POLL_EINTERNAL, "out of memory");
    return poll__org_set(p, oi, b, who->pid, who->name, who->at, why);
}
