// Roles scoped to organisations (protocol/agreement.md, "Roles"): who may
// do what, as the server checks it. The page follows the same table so that
// nobody is offered a control the server would refuse; the server stays the
// judge. Pure.
import { ROLES } from '../protocol/messages.js';

/** What a person may do, by role (the "Rights" table of protocol/agreement.md). */
const RIGHTS = {
  facilitator: new Set(['write', 'vote', 'facilitate', 'signoffCall']),
  representative: new Set(['write', 'vote', 'sign']),
  participant: new Set(['write', 'vote', 'askRepresentative']),
  observer: new Set([]),
};

/**
 * A role as the server spells it; anything else (an older server, a
 * damaged record) is a participant, the role with the fewest rights that
 * still takes part.
 */
export const roleOf = (v) => (ROLES.includes(v) ? v : 'participant');

/**
 * Whether `role` may do `what`: write (op, cursor), vote (vote, answer,
 * upvote), facilitate (poll steps, roles, the observer link, the agenda),
 * signoffCall, sign (endorse, decline), askRepresentative.
 */
export const may = (role, what) => !!RIGHTS[roleOf(role)]?.has(what);

/** Whether a facilitator may make this person a representative or a participant again. */
export const designatable = (role) => role === 'participant' || role === 'representative';

/** The order people are listed in within an organisation. */
const RANK = { facilitator: 0, representative: 1, participant: 2, observer: 3 };
export const roleRank = (role) => RANK[roleOf(role)];
