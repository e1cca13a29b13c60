// Message types of protocol/README.md (version 1), the only place that knows
// their shape. Incoming messages are checked just enough that a malformed one
// is dropped instead of crashing the page.

export const SUBPROTOCOL = 'atelier.v1';

export const ErrorCode = Object.freeze({
  BAD_REQUEST: 'bad_request',
  UNKNOWN_TYPE: 'unknown_type',
  NOT_FOUND: 'not_found',
  FORBIDDEN: 'forbidden',
  TOO_LARGE: 'too_large',
  RATE_LIMITED: 'rate_limited',
  STALE: 'stale',
  UNAVAILABLE: 'unavailable',
  INTERNAL: 'internal',
  // protocol/polls.md
  POLL_STATE: 'poll_state',
  POLL_CLOSED: 'poll_closed',
  POLL_LIMIT: 'poll_limit',
  // issue 12: the workshop has ended; the statement is read-only
  ENDED: 'ended',
});

export const MAX_MESSAGE_BYTES = 64 * 1024;
export const MAX_LABEL = 64; // code points in a name or organisation
export const MAX_TITLE = 200;

// Poll limits (protocol/polls.md, "Kinds"), in code points.
export const POLL_KINDS = ['single', 'multiple', 'scale', 'text'];
export const POLL_STATES = ['draft', 'open', 'closed'];
export const POLL_VISIBILITIES = ['hidden', 'live', 'revealed'];
export const MAX_QUESTION = 300;
export const MAX_CHOICE = 120;
export const MAX_ANSWER = 280;
export const MIN_CHOICES = 2;
export const MAX_CHOICES = 12;
export const MAX_TEXT_ANSWERS = 10;
export const DEFAULT_TEXT_ANSWERS = 3;
export const SCALE_VALUES = [1, 2, 3, 4, 5];
// Who answers a poll (issue 12): each person, anonymously (the anonymity
// threshold applies), or each organisation once, openly.
export const RESPONDENTS = ['people', 'organisations'];
export const DEFAULT_THRESHOLD = 3;
export const MIN_THRESHOLD = 2;
export const MAX_THRESHOLD = 10;
export const LANGS = ['fr', 'en'];

// The agenda and its timer (protocol/agreement.md, "Agenda and timer").
export const MIN_PHASES = 1;
export const MAX_PHASES = 20;
export const MAX_PHASE_TITLE = 120; // code points
export const MIN_PHASE_MINUTES = 1;
export const MAX_PHASE_MINUTES = 600;
export const MIN_EXTEND_MINUTES = 1;
export const MAX_EXTEND_MINUTES = 60;
export const PHASE_ID = /^[A-Za-z0-9_-]{1,16}$/;
export const PHASE_PRESETS = ['what', 'why', 'how', 'priorities', 'success', 'validation'];
export const WORKSHOP_STATES = ['open', 'ended', 'deleted'];

export function join({ id, workshop, name, organisation, key, observerKey, resume }) {
  const m = { type: 'join', id, workshop };
  if (name) m.name = name;
  if (organisation) m.organisation = organisation;
  if (key) m.key = key;
  else if (observerKey) m.observer_key = observerKey; // protocol/agreement.md: join as an observer
  if (resume) m.resume = { token: resume.token, rev: resume.rev };
  return m;
}

export const op = (id, rev, ops) => ({ type: 'op', id, rev, op: ops });
export const cursor = (rev, sel) => ({ type: 'cursor', rev, sel: [sel[0], sel[1]] });
export const ping = (id) => ({ type: 'ping', id });

/**
 * Who answers a poll, as the wire carries it: organisations (never for text
 * polls; their threshold is always 1), perhaps through their representatives
 * only (protocol/polls.md, "Limited to representatives"), or people with
 * their anonymity threshold when it is not the default. Only what says
 * something (a server without these fields takes today's defaults).
 */
export function respondentFields({ kind, respondents, threshold, representatives_only: repsOnly }) {
  if (respondents === 'organisations' && kind !== 'text') {
    return repsOnly === true ? { respondents: 'organisations', threshold: 1, representatives_only: true } : { respondents: 'organisations', threshold: 1 };
  }
  if (threshold != null && threshold !== DEFAULT_THRESHOLD) return { threshold };
  return {};
}

/**
 * A poll definition as poll_create and poll_edit carry it: only the fields
 * its kind has; `respondents`, `threshold`, `representatives_only` and
 * `translations` only when they say something.
 */
function definition({ kind, question, choices, max, respondents, threshold, representatives_only: repsOnly, translations }) {
  const d = { kind, question };
  if (kind === 'single' || kind === 'multiple') d.choices = [...choices];
  if ((kind === 'multiple' || kind === 'text') && max != null) d.max = max;
  Object.assign(d, respondentFields({ kind, respondents, threshold, representatives_only: repsOnly }));
  if (translations) d.translations = translations;
  return d;
}
/** poll_create; {open: true, visibility} creates and opens it in one step. */
export function pollCreate(id, def, { open = false, visibility } = {}) {
  const m = { type: 'poll_create', id, ...definition(def) };
  if (open) {
    m.open = true;
    if (visibility) m.visibility = visibility;
  }
  return m;
}
export const pollEdit = (id, poll, def) => ({ type: 'poll_edit', id, poll, ...definition(def) });
/** poll_open, poll_close, poll_reopen, poll_delete */
export const pollStep = (type, id, poll) => ({ type, id, poll });
export const pollResults = (id, poll, visibility) => ({ type: 'poll_results', id, poll, visibility });
export const vote = (id, poll, ballot) => ({ type: 'vote', id, poll, ballot });
export function answer(id, poll, { answer: answerId, text }) {
  const m = { type: 'answer', id, poll };
  if (answerId != null) m.answer = answerId;
  m.text = text;
  return m;
}
export const upvote = (id, poll, answerId, up) => ({ type: 'upvote', id, poll, answer: answerId, up });
/** The facilitator ends or reopens the workshop of this connection (issue 12). */
export const workshopEnd = (id) => ({ type: 'workshop_end', id });
export const workshopReopen = (id) => ({ type: 'workshop_reopen', id });


// ---- issue 13 (protocol/agreement.md) ------------------------------------------

export const ROLES = ['facilitator', 'representative', 'participant', 'observer'];
export const MAX_DECLINE_REASON = 500; // code points
/** role_set: make a participant a representative, or a participant again. */
export const roleSet = (id, participant, role) => ({ type: 'role_set', id, participant, role });
export const representativeRequest = (id) => ({ type: 'representative_request', id });
export const representativeAnswer = (id, participant, accept) => ({ type: 'representative_answer', id, participant, accept });
/** observer_link: action 'create' or 'revoke'. */
export const observerLink = (id, action) => ({ type: 'observer_link', id, action });
export const signoffCall = (id) => ({ type: 'signoff_call', id });
export const signoffClose = (id) => ({ type: 'signoff_close', id });
export const endorse = (id, rev, sha256) => ({ type: 'endorse', id, rev, sha256 });
export const decline = (id, reason) => ({ type: 'decline', id, reason });

/** The facilitator's agenda requests (issue 13); each may carry an `id`. */
export const agendaSet = (id, phases) => ({ type: 'agenda_set', id, phases });
export const phaseStart = (id, phase) => ({ type: 'phase_start', id, phase });
export const phaseExtend = (id, minutes) => ({ type: 'phase_extend', id, minutes });
/** phase_next, phase_pause, phase_resume */
export const phaseStep = (type, id) => ({ type, id });
export const AGENDA_REQUESTS = new Set(['agenda_set', 'phase_start', 'phase_next', 'phase_pause', 'phase_resume', 'phase_extend']);

// ---- issue 16: the priorities board (protocol/board.md) ------------------------

/** board_add: an item of the sender's organisation (kind practice, priority or strength). */
export const boardAdd = (id, kind, title, why) => ({ type: 'board_add', id, kind, title, ...(why ? { why } : {}) });
/** board_edit: fields {title?, why?}, only those changed (the last writer wins per field). */
export const boardEdit = (id, item, fields) => ({ type: 'board_edit', id, item, ...fields });
export const boardDelete = (id, item) => ({ type: 'board_delete', id, item });
/** board_group: the first listed item's group takes the others. */
export const boardGroup = (id, items) => ({ type: 'board_group', id, items });
/** board_ungroup: which {item} or {group}. */
export const boardUngroup = (id, which) => ({ type: 'board_ungroup', id, ...which });
/** board_settings: {visibility?, revealed?, grouping?}. */
export const boardSettings = (id, s) => ({ type: 'board_settings', id, ...s });

/** Client message types whose errors belong to polls. */
export const POLL_REQUESTS = new Set([
  'poll_create', 'poll_edit', 'poll_open', 'poll_close', 'poll_reopen', 'poll_delete', 'poll_results',
  'vote', 'answer', 'upvote',
]);

const isRev = (v) => Number.isInteger(v) && v >= 0;
const isStr = (v) => typeof v === 'string';
const isSel = (v) => Array.isArray(v) && v.length === 2 && isRev(v[0]) && isRev(v[1]);

function isOp(v) {
  if (!Array.isArray(v)) return false;
  for (const c of v) {
    if (typeof c === 'number') { if (!(Number.isInteger(c) && c > 0)) return false; }
    else if (typeof c === 'string') { if (!c.length) return false; }
    else if (!c || typeof c !== 'object' ||
             !((Number.isInteger(c.d) && c.d > 0) || (isStr(c.d) && c.d.length))) return false;
  }
  return true;
}

const isCount = (v) => Number.isInteger(v) && v >= 0;
const isCounts = (v) => Array.isArray(v) && v.every(isCount);
const isMean = (v) => v === undefined || v === null || (typeof v === 'number' && Number.isFinite(v));
const isAnswerText = (a) => a && Number.isInteger(a.id) && isStr(a.text);
const isTranslation = (t) => t && typeof t === 'object' && isStr(t.question) &&
  (t.choices === undefined || (Array.isArray(t.choices) && t.choices.every(isStr)));
const isTranslations = (v) => v === undefined || (!!v && typeof v === 'object' && !Array.isArray(v) &&
  Object.entries(v).every(([lang, t]) => LANGS.includes(lang) && isTranslation(t)));

export function isPoll(p) {
  return !!p && typeof p === 'object' && isStr(p.id) && p.id.length > 0 &&
    POLL_KINDS.includes(p.kind) && isStr(p.question) &&
    POLL_STATES.includes(p.state) && POLL_VISIBILITIES.includes(p.results) &&
    (p.choices === undefined || (Array.isArray(p.choices) && p.choices.every(isStr))) &&
    ((p.kind !== 'single' && p.kind !== 'multiple') || Array.isArray(p.choices)) &&
    (p.max === undefined || (Number.isInteger(p.max) && p.max > 0)) &&
    (p.answers === undefined || (Array.isArray(p.answers) && p.answers.every(isAnswerText))) &&
    (p.respondents === undefined || RESPONDENTS.includes(p.respondents)) &&
    (p.threshold === undefined || (Number.isInteger(p.threshold) && p.threshold > 0)) &&
    (p.representatives_only === undefined || typeof p.representatives_only === 'boolean') &&
    isTranslations(p.translations);
}

// A group of results: the whole, one organisation or the "other" pool.
const isTally = (g) => g && isCount(g.respondents) &&
  (g.counts === undefined || isCounts(g.counts)) && (g.upvotes === undefined || isCounts(g.upvotes)) && isMean(g.mean);

function isResults(m) {
  return isStr(m.poll) && isTally(m) &&
    (m.answers === undefined || (Array.isArray(m.answers) && m.answers.every((a) => a && Number.isInteger(a.id) && isCount(a.upvotes)))) &&
    (m.counts !== undefined || m.answers !== undefined) &&
    Array.isArray(m.organisations) && m.organisations.every((o) => isTally(o) && isStr(o.name) &&
      (o.by === undefined || isStr(o.by)) && (o.at === undefined || Number.isFinite(o.at))) &&
    (m.threshold === undefined || (Number.isInteger(m.threshold) && m.threshold > 0)) &&
    (m.other == null || isTally(m.other)) &&
    (m.alignment == null || (typeof m.alignment === 'object' && typeof m.alignment.divergence === 'number' && isStr(m.alignment.label)));
}

const isTime = (v) => Number.isFinite(v) && v >= 0;
const isPhase = (p) => !!p && typeof p === 'object' && isStr(p.id) && PHASE_ID.test(p.id) &&
  isStr(p.title) && Number.isInteger(p.minutes) && p.minutes > 0 && (p.preset === undefined || isStr(p.preset));
const isTimer = (t) => t === undefined || t === null || (typeof t === 'object' &&
  (t.phase === null || t.phase === undefined || isStr(t.phase)) &&
  (t.phase == null || (isTime(t.started_at) && isTime(t.ends_at))) &&
  (t.paused_at == null || isTime(t.paused_at)) && (t.extended_ms == null || Number.isFinite(t.extended_ms)));
/** An agenda as `agenda` messages and the welcome carry it (`now` may be missing in the welcome's). */
export const isAgenda = (a) => !!a && typeof a === 'object' && Array.isArray(a.phases) && a.phases.every(isPhase) &&
  isTimer(a.timer) && (a.now === undefined || isTime(a.now));
const isBalanceRow = (o) => o && isStr(o.org) && ['inserted', 'deleted', 'ballots', 'answers', 'present'].every((k) => o[k] === undefined || isCount(o[k]));
export const isBalance = (b) => !!b && typeof b === 'object' && Array.isArray(b.organisations) && b.organisations.every(isBalanceRow);

const isParticipant = (p) => p && isStr(p.id) && isStr(p.name) && isStr(p.organisation);
const isHash = (v) => isStr(v) && /^[0-9a-f]{64}$/.test(v);
// One organisation's latest decision in a signoff message; the view shows
// only what it can read, so a decision is checked field by field.
const isDecision = (d) => d && isStr(d.org) && (d.decision === 'endorsed' || d.decision === 'declined') &&
  (d.rev === undefined || isRev(d.rev)) && (d.sha256 === undefined || isHash(d.sha256)) &&
  (d.reason === undefined || isStr(d.reason)) && (d.name === undefined || isStr(d.name));
/** The whole sign-off state (the signoff message, the welcome's `signoff`). */
export const isSignoff = (s) => !!s && typeof s === 'object' && typeof s.open === 'boolean' &&
  Array.isArray(s.organisations) && s.organisations.every(isDecision) &&
  (s.agreed == null || (isRev(s.agreed.rev) && isHash(s.agreed.sha256) &&
    Array.isArray(s.agreed.organisations) && s.agreed.organisations.every(isStr)));

const BOARD_KIND_NAMES = ['practice', 'priority', 'strength'];
const isBoardItem = (it) => it && isStr(it.id) && isStr(it.org) && BOARD_KIND_NAMES.includes(it.kind) && isStr(it.title) &&
  isStr(it.why) && (it.group === undefined || isStr(it.group));
/** A board (protocol/board.md): the message, or the welcome's `board`. */
export const isBoard = (b) => !!b && typeof b === 'object' && !!b.settings && typeof b.settings === 'object' &&
  Array.isArray(b.items) && b.items.every(isBoardItem) &&
  Array.isArray(b.groups) && b.groups.every((g) => g && isStr(g.id) && Array.isArray(g.items) && g.items.every(isStr)) &&
  (b.suggestions === undefined || (Array.isArray(b.suggestions) && b.suggestions.every((x) => Array.isArray(x) && x.every(isStr))));

const checks = {
  welcome: (m) => m.workshop && isStr(m.workshop.id) && isParticipant(m.participant) &&
    isStr(m.token) && m.doc && isRev(m.doc.rev) &&
    (m.doc.text === undefined || isStr(m.doc.text)) &&
    (m.doc.text !== undefined || Array.isArray(m.missed)) &&
    (m.missed === undefined || (Array.isArray(m.missed) &&
      m.missed.every((x) => x && isRev(x.rev) && isOp(x.op)))) &&
    (m.participants === undefined || (Array.isArray(m.participants) && m.participants.every(isParticipant))) &&
    // One bad poll must not cost the whole welcome: bad ones are dropped later.
    (m.polls === undefined || Array.isArray(m.polls)) &&
    (m.observer_key === undefined || m.observer_key === null || isStr(m.observer_key)),
  ack: (m) => m.id !== undefined && isRev(m.rev),
  op: (m) => isRev(m.rev) && isOp(m.op),
  arrived: (m) => isParticipant(m.participant),
  departed: (m) => isStr(m.participant),
  cursor: (m) => isStr(m.participant) && isRev(m.rev) && isSel(m.sel),
  pong: () => true,
  error: (m) => isStr(m.code),
  poll: (m) => isPoll(m.poll),
  poll_deleted: (m) => isStr(m.poll),
  answer: (m) => isStr(m.poll) && Number.isInteger(m.answer) && (m.text === null || isStr(m.text)),
  results: isResults,
  // issue 12: ended, reopened ("open") or deleted
  workshop: (m) => WORKSHOP_STATES.includes(m.state) && (m.at === undefined || Number.isFinite(m.at)),
  // issue 13: a person's role (and pending request) changed
  role: (m) => isStr(m.participant) && ROLES.includes(m.role) && (m.asks === undefined || m.asks === null || m.asks === 'representative'),
  observer_link: (m) => m.key === null || isStr(m.key),
  signoff: isSignoff,
  // issue 13: the agenda and its timer (everyone), the balance (facilitators)
  agenda: isAgenda,
  balance: isBalance,
  // issue 16: the priorities board, whole, as this person may see it
  board: isBoard,
  my_ballot: (m) => isStr(m.poll) &&
    (m.by === undefined || m.by === null || (typeof m.by === 'object' && isStr(m.by.name))) &&
    (m.answers === undefined || (Array.isArray(m.answers) && m.answers.every(isAnswerText))) &&
    (m.upvotes === undefined || (Array.isArray(m.upvotes) && m.upvotes.every(Number.isInteger))),
};

/** Parse a text frame: the message object, or null when it is not one we understand. */
export function parse(data) {
  if (typeof data !== 'string') return null;
  let m;
  try { m = JSON.parse(data); } catch { return null; }
  if (!m || typeof m !== 'object' || Array.isArray(m) || !isStr(m.type)) return null;
  const check = checks[m.type];
  if (!check || !check(m)) return null;
  return m;
}

export function encode(m) {
  return JSON.stringify(m);
}
