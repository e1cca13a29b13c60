// Polls as the views see them (protocol/polls.md): the polls this person may
// see, their results when the server sends them, and this person's own
// ballot, answers and upvotes. Pure apart from the injected send() and
// timers, so it runs under node:test.
//
// Ballots and upvotes are "wishes": what the person last chose is shown at
// once and sent when connected, one vote in flight per poll (a burst of
// clicks, or arrow keys walking through radio buttons, ends in one final
// vote instead of a queue). Both are idempotent on the server ("the same
// ballot again changes nothing", "upvoting twice changes nothing"), so a wish
// whose reply was lost is simply sent again after the next welcome. Adding an
// answer is not idempotent, and facilitator steps are not either ("read the
// state from the poll message rather than resend blindly"): those are sent
// once and report their outcome to the caller.
//
// Events:
//   change   (pollId | null)      something to redraw (null: everything)
//   announce (key, params)        worth telling a screen reader
import { Emitter } from '../emitter.js';
import {
  ErrorCode, POLL_REQUESTS, isPoll, LANGS,
  MAX_QUESTION, MAX_CHOICE, MIN_CHOICES, MAX_CHOICES, MAX_TEXT_ANSWERS, DEFAULT_TEXT_ANSWERS,
  DEFAULT_THRESHOLD, MIN_THRESHOLD, MAX_THRESHOLD, respondentFields,
  pollCreate, pollEdit, pollStep, pollResults, vote as voteMsg, answer as answerMsg, upvote as upvoteMsg,
} from '../protocol/messages.js';
import { may, roleOf } from './roles.js';

const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 15000;
const TRANSIENT = new Set([ErrorCode.UNAVAILABLE, ErrorCode.RATE_LIMITED, ErrorCode.INTERNAL]);

// ---- the method's ready-made questions ---------------------------------------

/**
 * protocol/polls.md, "Ready-made questions". The texts live in the catalogues
 * (poll.ready*) so each language has its own; a unit test holds them to the
 * spec's JSON. "Is this outcome shared?" is asked of organisations, not
 * people: it is what the method asks (what is common, what is each one's).
 */
export const READY_MADE = [
  { key: 'impact', kind: 'text', question: 'poll.readyImpact' },
  { key: 'success', kind: 'text', question: 'poll.readySuccess' },
  { key: 'curious', kind: 'text', question: 'poll.readyCurious' },
  {
    key: 'shared', kind: 'single', forItem: true, respondents: 'organisations', question: 'poll.readyShared',
    choices: ['poll.readySharedAll', 'poll.readySharedOwn', 'poll.readySharedUnsure'],
  },
  { key: 'vision', kind: 'scale', question: 'poll.readyVision' },
];

/**
 * A ready-made question as a definition to launch or to start the form
 * from: in the language of i18n, with both languages as `translations` so
 * each participant reads their own.
 */
export function readyMadeDefinition(item, i18n) {
  const inLang = (lang) => {
    const t = { question: i18n.tIn(lang, item.question) };
    if (item.choices) t.choices = item.choices.map((k) => i18n.tIn(lang, k));
    return t;
  };
  const translations = Object.fromEntries(LANGS.map((l) => [l, inLang(l)]));
  const mine = translations[i18n.lang] || translations.fr;
  return {
    kind: item.kind,
    question: mine.question,
    choices: mine.choices ? [...mine.choices] : [],
    max: null,
    respondents: item.respondents || 'people',
    threshold: null,
    translations,
  };
}

/**
 * The question and choices of a poll in a language: its translation when
 * it has one that fits (ready-made questions), else as typed.
 */
export function localized(poll, lang) {
  const t = poll && poll.translations && poll.translations[lang];
  const fits = t && typeof t.question === 'string' &&
    (!poll.choices || (Array.isArray(t.choices) && t.choices.length === poll.choices.length));
  if (fits) return { question: t.question, choices: poll.choices ? t.choices : undefined };
  return { question: poll?.question ?? '', choices: poll?.choices };
}

/** Whether a poll is answered by organisations (one open answer each). */
export const byOrganisations = (poll) => !!poll && poll.respondents === 'organisations';

/**
 * Whether only the organisations' representatives answer a poll for them
 * (protocol/polls.md, "Limited to representatives").
 */
export const representativesOnly = (poll) => byOrganisations(poll) && poll.representatives_only === true;

/**
 * Whether a person of `role` may vote, answer or upvote on `poll`: never an
 * observer; on a poll limited to representatives, only a representative
 * (a facilitator is never one). The server judges; the page follows it so
 * that nobody is offered a control it would refuse.
 */
export const mayAnswer = (poll, role) => may(role, 'vote') && (!representativesOnly(poll) || roleOf(role) === 'representative');

/** The anonymity threshold a poll's results use (issue 12: per poll). */
export function thresholdOf(poll, results) {
  if (results && Number.isInteger(results.threshold)) return results.threshold;
  if (poll && Number.isInteger(poll.threshold)) return poll.threshold;
  return byOrganisations(poll) ? 1 : DEFAULT_THRESHOLD;
}

// ---- refusals -------------------------------------------------------------------

// What to say when the server (or the link) refuses a poll request: one
// catalogue key per error code and audience, so that a participant never
// reads a sentence meant for the facilitator. Audiences:
//   step    the facilitator's create, launch, edit, open, close, visibility, delete
//   answer  a text answer added, edited or deleted, said at its form
//   queued  a text answer sent after a reconnect, said on its card with {text}
//   vote    a ballot;  upvote  an upvote
const REFUSALS = {
  offline: { step: 'poll.errOffline', answer: 'poll.errOffline' },
  disconnected: { step: 'poll.errOffline', answer: 'poll.errOffline' },
  ended: { step: 'poll.errEnded', answer: 'poll.noticeEnded', queued: 'poll.noticeEnded', vote: 'poll.noticeEnded', upvote: 'poll.noticeEnded' },
  poll_closed: { answer: 'poll.noticeClosed', vote: 'poll.noticeClosed', upvote: 'poll.noticeClosed' },
  poll_state: { step: 'poll.errState', answer: 'poll.errState' },
  poll_limit: { step: 'poll.errPollLimit', answer: 'poll.errAnswerLimit', queued: 'poll.noticeAnswerLimit' },
  forbidden: { step: 'poll.errForbidden', answer: 'poll.errForbidden', upvote: 'poll.noticeOwnAnswer' },
  not_found: { step: 'poll.errGone', answer: 'poll.errGone', vote: 'poll.noticeGone', upvote: 'poll.noticeAnswerGone' },
  bad_request: { step: 'poll.errBadRequest', answer: 'poll.errBadRequest' },
  rate_limited: { step: 'poll.errBusy', answer: 'poll.errBusy' },
  unavailable: { step: 'poll.errBusy', answer: 'poll.errBusy' },
};
const OTHERWISE = { step: 'poll.errGeneric', answer: 'poll.errGeneric', queued: 'poll.noticeAnswerNotSent', vote: 'poll.noticeRefused', upvote: 'poll.noticeRefused' };
export const REFUSAL_AUDIENCES = Object.keys(OTHERWISE);

/** The catalogue key for a refusal `code` told to `audience` (above). */
export function refusalKey(code, audience) {
  return REFUSALS[code]?.[audience] || OTHERWISE[audience];
}

// ---- definitions and texts -----------------------------------------------------

const cpLength = (s) => [...s].length;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * A question, choice or answer as the server accepts it: one line (pasted
 * line breaks and tabs become spaces), NFC, trimmed. Returns {value} or
 * {error, max}: catalogue keys.
 */
export function checkText(raw, max) {
  // Runs of spaces, tabs and line breaks become one space; no-break spaces
  // (French typography puts U+202F before ? and !) are kept as they are.
  const v = String(raw ?? '').normalize('NFC').replace(/[^\S\u00a0\u202f]+/g, ' ').trim();
  if (!v) return { error: 'poll.errRequired' };
  if (cpLength(v) > max) return { error: 'poll.errTooLong', max };
  if (CONTROL.test(v)) return { error: 'poll.errInvalidChars' };
  return { value: v };
}

/**
 * Check a definition from the form: {kind, question, choices: [string],
 * max: number | string | null, respondents, threshold, representativesOnly
 * (boolean: organisations answer through their representatives only),
 * translations (of a ready-made question), original ({question, choices}
 * of the poll being edited)}. Empty choice rows are left out. Returns
 * {def} ready for poll_create / poll_edit, or {errors} with catalogue keys:
 * {question, choices: [per row], choicesList, max}.
 */
export function checkDefinition(form) {
  const errors = {};
  const kind = form.kind;
  const q = checkText(form.question, MAX_QUESTION);
  if (q.error) errors.question = q;
  const def = { kind, question: q.value };
  let filled = 0;

  if (hasChoices(kind)) {
    const rows = (form.choices || []).map((c) => String(c ?? ''));
    const rowErrors = rows.map(() => null);
    const seen = new Map();
    const kept = [];
    rows.forEach((raw, i) => {
      if (!raw.trim()) return;
      const c = checkText(raw, MAX_CHOICE);
      if (c.error) { rowErrors[i] = c; return; }
      if (seen.has(c.value)) { rowErrors[i] = { error: 'poll.errDuplicate' }; return; }
      seen.set(c.value, i);
      kept.push(c.value);
    });
    if (rowErrors.some(Boolean)) errors.choices = rowErrors;
    filled = rows.filter((r) => r.trim()).length;
    if (filled < MIN_CHOICES) errors.choicesList = { error: 'poll.errFewChoices', min: MIN_CHOICES };
    else if (filled > MAX_CHOICES) errors.choicesList = { error: 'poll.errManyChoices', max: MAX_CHOICES };
    def.choices = kept;
  }

  const maxRaw = form.max == null ? '' : String(form.max).trim();
  if (kind === 'multiple' && maxRaw !== '') {
    const n = Number(maxRaw);
    // Against the rows filled in, so a duplicate does not also make the limit look wrong.
    const top = Math.max(1, filled);
    if (!Number.isInteger(n) || n < 1 || n > top) errors.max = { error: 'poll.errMax', min: 1, max: top };
    else if (n < filled) def.max = n; // equal to the count is the default: say nothing
  }
  if (kind === 'text' && maxRaw !== '') {
    const n = Number(maxRaw);
    if (!Number.isInteger(n) || n < 1 || n > MAX_TEXT_ANSWERS) errors.max = { error: 'poll.errMax', min: 1, max: MAX_TEXT_ANSWERS };
    else if (n !== DEFAULT_TEXT_ANSWERS) def.max = n;
  }

  // Who answers: organisations (not for text polls), or people with an
  // anonymity threshold of 2..10 (empty: the default).
  let threshold = null;
  if (!(form.respondents === 'organisations' && kind !== 'text')) {
    const raw = form.threshold == null ? '' : String(form.threshold).trim();
    const n = raw === '' ? DEFAULT_THRESHOLD : Number(raw);
    if (!Number.isInteger(n) || n < MIN_THRESHOLD || n > MAX_THRESHOLD) errors.threshold = { error: 'poll.errThreshold', min: MIN_THRESHOLD, max: MAX_THRESHOLD };
    else threshold = n;
  }
  Object.assign(def, respondentFields({ kind, respondents: form.respondents, threshold, representatives_only: form.representativesOnly === true }));

  // Translations go along while the text is still a ready-made one, in any
  // of its languages (the form shows the reader's, whoever created the
  // poll) or as the poll was created; changed, it is sent as typed.
  const tr = form.translations;
  const known = tr ? [...LANGS.map((l) => tr[l]), form.original] : [];
  if (known.some((t) => sameText(t, def))) def.translations = tr;
  return Object.keys(errors).length ? { errors } : { def };
}

/** Whether a definition says the same as a question (and its choices, if any). */
function sameText(t, def) {
  if (!t || t.question !== def.question) return false;
  return hasChoices(def.kind) === Array.isArray(t.choices) && (t.choices || []).join('\n') === (def.choices || []).join('\n');
}

/**
 * The form's starting values for an existing poll, in the reader's
 * language `lang` when the poll has it (ready-made questions), as the
 * card shows it.
 */
export function formOf(poll, lang) {
  const text = localized(poll, lang);
  return {
    kind: poll.kind,
    question: text.question,
    choices: text.choices ? [...text.choices] : [],
    original: { question: poll.question, choices: poll.choices },
    max: poll.max ?? null,
    respondents: byOrganisations(poll) ? 'organisations' : 'people',
    threshold: byOrganisations(poll) ? null : (poll.threshold ?? null),
    representativesOnly: representativesOnly(poll),
    translations: poll.translations || null,
  };
}

// ---- ballots -------------------------------------------------------------------------

/** The kinds whose polls have choices. */
export const hasChoices = (kind) => kind === 'single' || kind === 'multiple' || kind === 'rank';

/**
 * A multiple-choice ballot in one order, so two ballots compare as values.
 * A rank ballot (kind 'rank') is an order: kept as it is.
 */
export function normaliseBallot(ballot, kind) {
  if (kind === 'rank') return Array.isArray(ballot) && ballot.length ? [...ballot] : null;
  if (Array.isArray(ballot)) {
    if (!ballot.length) return null; // no picks: withdraw
    return [...new Set(ballot)].sort((a, b) => a - b);
  }
  return ballot ?? null;
}

export function sameBallot(a, b, kind) {
  const x = normaliseBallot(a, kind);
  const y = normaliseBallot(b, kind);
  if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((v, i) => v === y[i]);
  return x === y;
}

/** Whether a ballot fits the poll (checked before sending, as the server would). */
export function validBallot(poll, ballot) {
  if (ballot === null) return true;
  switch (poll.kind) {
    case 'single': return Number.isInteger(ballot) && ballot >= 0 && ballot < poll.choices.length;
    case 'scale': return Number.isInteger(ballot) && ballot >= 1 && ballot <= 5;
    case 'rank': return isOrder(ballot, poll.choices.length);
    case 'multiple': {
      const max = poll.max ?? poll.choices.length;
      return Array.isArray(ballot) && ballot.length >= 1 && ballot.length <= max &&
        new Set(ballot).size === ballot.length &&
        ballot.every((i) => Number.isInteger(i) && i >= 0 && i < poll.choices.length);
    }
    default: return false;
  }
}

/** Code points a passage may hold when a poll is made about it (polls.md). */
export const MAX_PASSAGE = 2000;

/**
 * The passage selected in the statement, for a poll about it: {start, end,
 * rev, text} in code points of the server's text at its revision, or null
 * (nothing selected, too long, or edits of ours not yet acknowledged: the
 * local text and the server's differ then).
 */
export function selectedPassage(store) {
  const sel = store.mySel;
  if (!sel || !store.ot.inSync) return null;
  const start = Math.min(sel[0], sel[1]);
  const end = Math.max(sel[0], sel[1]);
  const cps = [...store.ot.serverText];
  if (start === end || end > cps.length || end - start > MAX_PASSAGE) return null;
  return { start, end, rev: store.ot.rev, text: cps.slice(start, end).join('') };
}

/** Whether order holds each of 0..n-1 exactly once (a rank ballot). */
export function isOrder(order, n) {
  return Array.isArray(order) && order.length === n && new Set(order).size === n &&
    order.every((i) => Number.isInteger(i) && i >= 0 && i < n);
}

/** Order with the item at position `from` moved to position `to` (a new array). */
export function moveInOrder(order, from, to) {
  const out = [...order];
  if (from < 0 || from >= out.length || to < 0 || to >= out.length) return out;
  const [x] = out.splice(from, 1);
  out.splice(to, 0, x);
  return out;
}

// ---- results for drawing --------------------------------------------------------

const ALIGNMENT_LABELS = new Set(['aligned', 'partly_aligned', 'divergent']);

/**
 * What the results view draws, from a poll and its `results` message.
 * Choice kinds: rows (one per choice or scale value) with the total count
 * and share of respondents, and per group (each broken-out organisation,
 * then the "other" pool) the same for that group. Text: the answers in the
 * server's order (most upvoted first) with their upvotes, in total and per
 * group. `unplaced` counts respondents shown in no group (organisations
 * under the anonymity threshold whose pool is too small to show).
 */
export function resultsModel(poll, results, lang = 'fr') {
  if (!poll || !results) return null;
  const total = results.respondents;
  const groups = results.organisations.map((o) => ({
    name: o.name, other: false, respondents: o.respondents, mean: o.mean ?? null,
    by: typeof o.by === 'string' ? o.by : null, at: Number.isFinite(o.at) ? o.at : null, src: o,
  }));
  // "Other organisations" when no organisation is broken out is everyone:
  // its figures would only repeat the total's (issue 12; the exports leave it
  // out too). The results then say no organisation has enough respondents yet.
  const pool = results.other && results.other.respondents < total ? results.other : null;
  if (pool) groups.push({ name: null, other: true, respondents: pool.respondents, mean: pool.mean ?? null, src: pool });
  const placed = groups.reduce((n, g) => n + g.respondents, 0);
  const model = {
    kind: poll.kind,
    respondents: total,
    groups: groups.map(({ src, ...g }) => g),
    unplaced: Math.max(0, total - placed),
    alignment: results.alignment && ALIGNMENT_LABELS.has(results.alignment.label) ? results.alignment : null,
    mean: typeof results.mean === 'number' ? results.mean : null,
    mode: byOrganisations(poll) ? 'organisations' : 'people',
    threshold: thresholdOf(poll, results),
  };
  const share = (n, of) => (of > 0 ? n / of : 0);

  if (poll.kind === 'text') {
    const texts = new Map((poll.answers || []).map((a) => [a.id, a.text]));
    const ranked = (results.answers || []).map((a, i) => ({ ...a, at: i })).filter((a) => texts.has(a.id));
    const top = ranked.reduce((m, a) => Math.max(m, a.upvotes), 0);
    model.answers = ranked.map((a) => ({
      id: a.id,
      text: texts.get(a.id),
      upvotes: a.upvotes,
      scale: share(a.upvotes, top),
      groups: groups.map((g) => ({ upvotes: g.src.upvotes?.[a.at] ?? 0 })),
    }));
    // Answers given after the last results message are listed without upvotes yet.
    const listed = new Set(ranked.map((a) => a.id));
    for (const a of poll.answers || []) {
      if (!listed.has(a.id)) model.answers.push({ id: a.id, text: a.text, upvotes: 0, scale: 0, groups: groups.map(() => ({ upvotes: 0 })) });
    }
    model.alignment = null; // never for text polls (polls.md, "Alignment")
    return model;
  }

  if (poll.kind === 'rank') return rankModel(model, poll, results, groups, lang);
  const labels = poll.kind === 'scale' ? [1, 2, 3, 4, 5] : localized(poll, lang).choices;
  model.rows = labels.map((label, i) => {
    const count = results.counts?.[i] ?? 0;
    return {
      index: i,
      value: poll.kind === 'scale' ? i + 1 : null,
      label: poll.kind === 'scale' ? null : label,
      count,
      share: share(count, total),
      groups: groups.map((g) => {
        const c = g.src.counts?.[i] ?? 0;
        return { count: c, share: share(c, g.respondents) };
      }),
    };
  });
  return model;
}

/**
 * Rank polls (polls.md, "Ranking polls"): one row per choice, most Borda
 * points first (then the poll's order), with its points, its mean rank and
 * its share of the most points a choice can get (every respondent putting it
 * first), in total and per group.
 */
function rankModel(model, poll, results, groups, lang) {
  const labels = localized(poll, lang).choices;
  const n = labels.length;
  const top = (r) => (r > 0 ? r * (n - 1) : 0);
  const rows = labels.map((label, i) => {
    const borda = results.borda?.[i] ?? 0;
    return {
      index: i, value: null, label, count: borda, borda,
      meanRank: results.mean_rank?.[i] ?? null,
      share: top(model.respondents) ? borda / top(model.respondents) : 0,
      groups: groups.map((g) => {
        const b = g.src.borda?.[i] ?? 0;
        return { count: b, borda: b, meanRank: g.src.mean_rank?.[i] ?? null, share: top(g.respondents) ? b / top(g.respondents) : 0 };
      }),
    };
  });
  model.rows = rows.sort((a, b) => b.borda - a.borda || a.index - b.index);
  return model;
}

// ---- the store -------------------------------------------------------------------

function newPrefix(random) {
  return `q${Math.floor(random() * 2 ** 32).toString(36)}${Math.floor(random() * 2 ** 32).toString(36)}`;
}

export class PollStore extends Emitter {
  /**
   * send(message) -> boolean (false when not joined: nothing was sent),
   * joined() -> boolean, timers {setTimeout, clearTimeout}, random;
   * persist {load(), save(state)}: this tab's half-typed answers and the
   * answers waiting to be sent (they survive a reload); barrier(fn): call fn
   * once everything the server sent right after the welcome has arrived
   * (the session's ping and pong), so that an answer whose reply was lost
   * is sent again only if the server does not have it.
   */
  constructor({ send, joined = () => true, timers = globalThis, random = Math.random, persist = null, barrier = (fn) => fn() } = {}) {
    super();
    this.send = send;
    this.joined = joined;
    this.timers = timers;
    this.persist = persist;
    this.barrier = barrier;
    this.lang = 'fr'; // of announcements: the page's language, set by main.js
    this.role = null;
    this.synced = false; // the post-welcome burst has arrived: the outbox may go
    this.epoch = 0;
    const saved = (persist && persist.load && safe(() => persist.load())) || {};
    this.drafts = new Map(Object.entries(saved.drafts && typeof saved.drafts === 'object' ? saved.drafts : {})
      .filter(([, v]) => typeof v === 'string' && v));
    this.outSeq = 0;
    // Answers written but not known to be on the server: {key, poll, text,
    // state: queued (never sent) | sent (reply awaited) | doubt (sent, the
    // link dropped before the reply; or restored after a reload)}.
    this.outbox = (Array.isArray(saved.outbox) ? saved.outbox : [])
      .filter((o) => o && typeof o.poll === 'string' && typeof o.text === 'string')
      .map((o) => ({ key: `o${++this.outSeq}`, poll: o.poll, text: o.text, state: 'doubt' }));
    this.known = false; // a welcome has told us the polls
    this.entries = new Map();
    this.requests = new Map(); // request id -> {type, poll, answer?, resolve?}
    // Request ids never repeat within a page, and two tabs of one person
    // never share them, so a reply is matched only by the tab that asked.
    this.prefix = newPrefix(random);
    this.seq = 0;
  }

  get isFacilitator() {
    return this.role === 'facilitator';
  }

  /** Whether this person may vote, answer or upvote on this poll (issue 13: observers, representatives). */
  mayAnswer(poll) {
    return mayAnswer(poll, this.role);
  }

  /**
   * This person's role changed (a `role` message): rights follow at once.
   * A ballot chosen but not yet confirmed on a poll they may no longer
   * answer is dropped, said on its card, rather than sent to be refused.
   */
  setRole(role) {
    if (role === this.role) return;
    this.role = role;
    for (const e of this.entries.values()) {
      if (!this.mayAnswer(e.poll)) this._dropWishes(e, 'poll.noticeNotSent');
    }
    this.emit('change', null);
  }

  /** Polls newest first (by creation: a poll never moves when its state changes). */
  get list() {
    return [...this.entries.values()].sort((a, b) => b.poll.created - a.poll.created || (a.poll.id < b.poll.id ? -1 : 1));
  }

  get(id) {
    return this.entries.get(id) || null;
  }

  get openCount() {
    let n = 0;
    for (const e of this.entries.values()) if (e.poll.state === 'open') n++;
    return n;
  }

  _entry(poll) {
    return {
      poll,
      results: null,
      mine: { ballot: null, answers: [], upvotes: [] },
      wish: undefined, // {ballot} chosen, not yet confirmed
      voteSent: null, // {id, ballot} in flight
      upWish: new Map(), // answer id -> wanted upvote state
      upSent: new Map(), // answer id -> request id in flight
      retryTimer: null,
      retryAttempt: 0,
      notice: null, // {key, params, tone}
    };
  }

  /** Every welcome: the server's list replaces ours; ballots and results follow it. */
  welcome(polls, role) {
    // A welcome means a new connection: nothing asked on the old one will be answered.
    this._forgetRequests();
    this.role = role;
    const first = !this.known;
    this.known = true;
    const old = this.entries;
    this.entries = new Map();
    for (const p of Array.isArray(polls) ? polls : []) {
      if (!isPoll(p)) continue;
      const e = this._entry(p);
      const prev = old.get(p.id);
      if (prev) {
        e.wish = prev.wish;
        e.upWish = prev.upWish;
        e.notice = prev.notice;
        // Results are sent again after the welcome when we may see them;
        // keep what we showed until then rather than blink.
        if (this._maySee(p)) e.results = prev.results;
        if (!first && prev.poll.state !== 'open' && p.state === 'open') this._say('poll.announceOpened', p);
      } else if (!first && p.state === 'open') {
        this._say('poll.announceOpened', p);
      }
      this.entries.set(p.id, e);
    }
    for (const prev of old.values()) if (prev.retryTimer != null) this.timers.clearTimeout(prev.retryTimer);
    for (const e of this.entries.values()) {
      if (e.poll.state !== 'open' && (e.wish !== undefined || e.upWish.size)) {
        e.wish = undefined;
        e.upWish = new Map();
        e.notice = { key: 'poll.noticeNotSent', tone: 'error' };
      }
      this._pump(e);
    }
    this.synced = false;
    const epoch = ++this.epoch;
    this.barrier(() => {
      if (epoch !== this.epoch) return; // another welcome since
      this.synced = true;
      this._flushOutbox();
    });
    this.emit('change', null);
  }

  /** The link dropped: nothing in flight will be answered. */
  disconnected() {
    this._forgetRequests();
    this.emit('change', null);
  }

  _forgetRequests() {
    const pending = [...this.requests.values()];
    this.requests.clear();
    this.synced = false;
    this.epoch = (this.epoch || 0) + 1;
    for (const e of this.entries.values()) {
      e.voteSent = null;
      e.upSent.clear();
    }
    for (const o of this.outbox) if (o.state === 'sent') o.state = 'doubt';
    for (const r of pending) r.resolve?.(r.outKey ? { queued: true } : { error: 'disconnected' });
  }

  // ---- incoming --------------------------------------------------------------

  /** A server message; true when it was about polls. */
  receive(m) {
    switch (m.type) {
      case 'poll': this._onPoll(m); return true;
      case 'poll_deleted': this._onDeleted(m); return true;
      case 'answer': this._onAnswer(m); return true;
      case 'results': this._onResults(m); return true;
      case 'my_ballot': this._onMyBallot(m); return true;
      case 'error':
        if (!POLL_REQUESTS.has(m.re)) return false;
        this._onError(m);
        return true;
      default: return false;
    }
  }

  _maySee(poll) {
    return this.isFacilitator || poll.results !== 'hidden';
  }

  _say(key, poll) {
    this.emit('announce', key, { question: localized(poll, this.lang).question });
  }

  _onPoll(m) {
    const p = m.poll;
    const e = this.entries.get(p.id);
    const req = m.id !== undefined ? this._take(m.id) : null;
    if (!e) {
      const fresh = this._entry(p);
      this.entries.set(p.id, fresh);
      if (p.state === 'open') this._say('poll.announceOpened', p);
    } else {
      const before = e.poll;
      e.poll = p;
      if (!this._maySee(p)) e.results = null;
      if (before.state !== p.state) {
        if (p.state === 'open') this._say(before.state === 'closed' ? 'poll.announceReopened' : 'poll.announceOpened', p);
        else if (p.state === 'closed') this._say('poll.announceClosed', p);
        if (p.state !== 'open') this._dropWishes(e, 'poll.noticeNotSent');
      } else if (before.results !== p.results) {
        const key = { live: 'poll.announceLive', revealed: 'poll.announceRevealed', hidden: 'poll.announceHidden' }[p.results];
        this._say(key, p);
      }
      // A draft's definition may have changed: tallies of the old one no longer fit.
      if (p.state === 'draft') e.results = null;
    }
    req?.resolve?.({ ok: true, poll: p });
    this.emit('change', p.id);
  }

  _onDeleted(m) {
    const req = m.id !== undefined ? this._take(m.id) : null;
    const e = this.entries.get(m.poll);
    if (e) {
      if (e.retryTimer != null) this.timers.clearTimeout(e.retryTimer);
      this.entries.delete(m.poll);
      if (!req && e.poll.state !== 'draft') this._say('poll.announceDeleted', e.poll);
    }
    req?.resolve?.({ ok: true });
    this.emit('change', m.poll);
  }

  _onAnswer(m) {
    const e = this.entries.get(m.poll);
    if (!e) return;
    const answers = (e.poll.answers || []).filter((a) => a.id !== m.answer);
    if (m.text !== null) {
      answers.push({ id: m.answer, text: m.text });
      answers.sort((a, b) => a.id - b.id);
    } else {
      e.mine.answers = e.mine.answers.filter((a) => a.id !== m.answer);
      e.mine.upvotes = e.mine.upvotes.filter((id) => id !== m.answer);
      e.upWish.delete(m.answer);
    }
    e.poll = { ...e.poll, answers };
    this.emit('change', m.poll);
  }

  _onResults(m) {
    const e = this.entries.get(m.poll);
    if (!e || !this._maySee(e.poll)) return;
    e.results = m;
    this.emit('change', m.poll);
  }

  _onMyBallot(m) {
    const req = m.id !== undefined ? this._take(m.id) : null;
    if (req?.type === 'answer' && req.outKey) this._dropOut(req.outKey);
    const e = this.entries.get(m.poll);
    if (!e) {
      req?.resolve?.({ ok: true });
      return;
    }
    e.mine = {
      ballot: m.ballot === undefined ? null : normaliseBallot(m.ballot, e.poll.kind),
      answers: Array.isArray(m.answers) ? m.answers : [],
      upvotes: Array.isArray(m.upvotes) ? m.upvotes : [],
      // Organisation answers: who set the organisation's answer, and when.
      by: m.by && typeof m.by.name === 'string' ? { participant: m.by.participant ?? null, name: m.by.name } : null,
      at: Number.isFinite(m.at) ? m.at : null,
    };
    if (req?.type === 'vote') {
      e.voteSent = null;
      e.retryAttempt = 0;
      if (e.wish !== undefined && sameBallot(e.wish.ballot, req.ballot, e.poll.kind)) e.wish = undefined;
    } else if (req?.type === 'upvote') {
      if (e.upSent.get(req.answer) === m.id) e.upSent.delete(req.answer);
      if (e.upWish.get(req.answer) === req.up) e.upWish.delete(req.answer);
      e.retryAttempt = 0;
    }
    req?.resolve?.({ ok: true });
    this._pump(e);
    this.emit('change', m.poll);
  }

  _onError(m) {
    const req = m.id !== undefined ? this._take(m.id) : null;
    if (!req) return;
    const e = this.entries.get(req.poll);
    if (req.type === 'answer' && req.outKey) {
      const o = this.outbox.find((x) => x.key === req.outKey);
      if (o && TRANSIENT.has(m.code) && e) {
        o.state = 'queued';
        this._retryLater(e);
        req.resolve?.({ queued: true });
        this.emit('change', req.poll);
        return;
      }
      this._dropOut(req.outKey);
      // Nobody is waiting at the form (sent after a reconnect): say it on
      // the card, with the text, so that it is not lost.
      if (!req.resolve && e && o) e.notice = { key: refusalKey(m.code, 'queued'), params: { text: o.text }, tone: 'error' };
      if (!req.resolve) this.emit('change', req.poll);
    }
    if (req.type === 'vote' || req.type === 'upvote') {
      if (!e) return;
      if (req.type === 'vote') e.voteSent = null;
      else if (e.upSent.get(req.answer) === m.id) e.upSent.delete(req.answer);
      if (TRANSIENT.has(m.code)) {
        this._retryLater(e);
      } else {
        // Refused for good (closed, gone, own answer...): show what the
        // server holds, and say why.
        if (req.type === 'vote') e.wish = undefined;
        else e.upWish.delete(req.answer);
        e.notice = { key: refusalKey(m.code, req.type), tone: 'error' };
        if (m.code === ErrorCode.NOT_FOUND && req.type === 'vote') this.entries.delete(req.poll);
      }
      this.emit('change', req.poll);
      return;
    }
    if (m.code === ErrorCode.NOT_FOUND && req.type !== 'answer' && e) {
      this.entries.delete(req.poll); // deleted meanwhile (by another facilitator)
      this.emit('change', req.poll);
    }
    req.resolve?.({ error: m.code, message: m.message });
  }

  _take(id) {
    const r = this.requests.get(id);
    if (r) this.requests.delete(id);
    return r || null;
  }

  _dropWishes(e, noticeKey) {
    if (e.wish !== undefined || e.upWish.size) {
      e.wish = undefined;
      e.upWish = new Map();
      e.upSent.clear();
      e.voteSent = null;
      e.notice = { key: noticeKey, tone: 'error' };
    }
  }

  // ---- outgoing ----------------------------------------------------------------

  _id() {
    return `${this.prefix}-${++this.seq}`;
  }

  _request(m, extra = {}) {
    if (!this.joined() || !this.send(m)) return Promise.resolve({ error: 'offline' });
    return new Promise((resolve) => this.requests.set(m.id, { type: m.type, poll: m.poll, resolve, ...extra }));
  }

  /** Facilitator: a new draft. Resolves {ok, poll} or {error}. */
  create(def) {
    return this._request(pollCreate(this._id(), def));
  }

  /**
   * Facilitator: create and open in one step, with results `visibility`
   * ("Lancer"). A server from before issue 12 ignores `open` and answers
   * with a draft: then it is opened, and its visibility set, in two more
   * steps. Resolves {ok, poll} or {error} (with `poll` when it was created).
   */
  async launch(def, visibility = 'live') {
    const res = await this._request(pollCreate(this._id(), def, { open: true, visibility }));
    if (res.error || res.poll.state !== 'draft') return res;
    const id = res.poll.id;
    const opened = await this.step(id, 'open');
    if (opened.error) return { error: opened.error, poll: res.poll };
    if (!visibility || opened.poll.results === visibility) return opened;
    const shown = await this.setVisibility(id, visibility);
    return shown.error ? { error: shown.error, poll: opened.poll } : shown;
  }

  edit(pollId, def) {
    return this._request(pollEdit(this._id(), pollId, def));
  }

  /** step: 'open' | 'close' | 'reopen' | 'delete' */
  step(pollId, step) {
    return this._request(pollStep(`poll_${step}`, this._id(), pollId));
  }

  setVisibility(pollId, visibility) {
    return this._request(pollResults(this._id(), pollId, visibility));
  }

  /**
   * What to show as this person's ballot (their organisation's, for
   * organisation answers), and whether the server has it yet.
   */
  ballotOf(pollId) {
    const e = this.entries.get(pollId);
    if (!e) return { ballot: null, status: 'none' };
    if (e.wish !== undefined) {
      return { ballot: e.wish.ballot, status: this.joined() && !e.retryTimer ? 'sending' : 'waiting' };
    }
    return { ballot: e.mine.ballot, status: e.mine.ballot == null ? 'none' : 'saved' };
  }

  /** Organisation answers: who set the organisation's answer, and when ({name, at} or null). */
  setBy(pollId) {
    const e = this.entries.get(pollId);
    if (!e || !e.mine.by || e.wish !== undefined) return null;
    return { name: e.mine.by.name, participant: e.mine.by.participant, at: e.mine.at };
  }

  /** Cast, change or (null) withdraw a ballot. False when the poll takes none now. */
  vote(pollId, ballot) {
    const e = this.entries.get(pollId);
    if (!e || e.poll.state !== 'open' || e.poll.kind === 'text' || !this.mayAnswer(e.poll)) return false;
    const b = normaliseBallot(ballot, e.poll.kind);
    if (!validBallot(e.poll, b)) return false;
    e.notice = null;
    e.wish = sameBallot(b, e.mine.ballot, e.poll.kind) && !e.voteSent ? undefined : { ballot: b };
    this._pump(e);
    this.emit('change', pollId);
    return true;
  }

  upvoted(pollId, answerId) {
    const e = this.entries.get(pollId);
    if (!e) return false;
    if (e.upWish.has(answerId)) return e.upWish.get(answerId);
    return e.mine.upvotes.includes(answerId);
  }

  isMine(pollId, answerId) {
    const e = this.entries.get(pollId);
    return !!e && e.mine.answers.some((a) => a.id === answerId);
  }

  upvote(pollId, answerId, up) {
    const e = this.entries.get(pollId);
    if (!e || e.poll.state !== 'open' || e.poll.kind !== 'text' || this.isMine(pollId, answerId)) return false;
    e.notice = null;
    if (e.mine.upvotes.includes(answerId) === up && !e.upSent.has(answerId)) e.upWish.delete(answerId);
    else e.upWish.set(answerId, up);
    this._pump(e);
    this.emit('change', pollId);
    return true;
  }

  /**
   * Add ({text}), edit ({answer, text}) or delete ({answer, text: null}) an
   * answer. A new answer goes into the outbox first: offline, it waits
   * there (resolves {queued: true}) and is sent after the next welcome,
   * like an upvote; connected, it resolves with the server's reply.
   */
  answer(pollId, { answer, text }) {
    const e = this.entries.get(pollId);
    if (!e) return Promise.resolve({ error: ErrorCode.NOT_FOUND });
    if (e.notice) {
      e.notice = null;
      this.emit('change', pollId);
    }
    if (answer == null && text != null) {
      const o = { key: `o${++this.outSeq}`, poll: pollId, text, state: 'queued' };
      this.outbox.push(o);
      this._saveLocal();
      if (!this.joined() || !this.synced || e.retryTimer != null) {
        this.emit('change', pollId);
        return Promise.resolve({ queued: true });
      }
      return this._sendOut(o, true);
    }
    return this._request(answerMsg(this._id(), pollId, { answer, text }), { answer });
  }

  /** Answers of this person to a poll that the server does not have yet. */
  pendingAnswers(pollId) {
    // One sent on a live link is about to come back as an answer: not shown twice.
    return this.outbox.filter((o) => o.poll === pollId && o.state !== 'sent').map((o) => ({ key: o.key, text: o.text }));
  }

  _sendOut(o, live) {
    o.state = 'sent';
    const m = answerMsg(this._id(), o.poll, { text: o.text });
    if (!this.send(m)) {
      o.state = 'queued';
      return Promise.resolve({ queued: true });
    }
    if (live) return new Promise((resolve) => this.requests.set(m.id, { type: 'answer', poll: o.poll, outKey: o.key, resolve }));
    this.requests.set(m.id, { type: 'answer', poll: o.poll, outKey: o.key });
    return Promise.resolve({ queued: true });
  }

  _dropOut(key) {
    const n = this.outbox.length;
    this.outbox = this.outbox.filter((o) => o.key !== key);
    if (this.outbox.length !== n) this._saveLocal();
  }

  /** After the post-welcome burst: send what waits, unless the server has it. */
  _flushOutbox() {
    if (!this.synced || !this.joined()) return;
    for (const o of [...this.outbox]) {
      if (o.state === 'sent') continue;
      const e = this.entries.get(o.poll);
      if (!e) {
        this._dropOut(o.key); // the poll was deleted
        continue;
      }
      if (o.state === 'doubt' && e.mine.answers.some((a) => a.text === o.text)) {
        this._dropOut(o.key); // it did arrive: the reply was what got lost
        continue;
      }
      if (e.poll.state !== 'open') {
        this._dropOut(o.key);
        e.notice = { key: 'poll.noticeAnswerNotSent', params: { text: o.text }, tone: 'error' };
        this.emit('change', o.poll);
        continue;
      }
      if (e.retryTimer != null) continue;
      this._sendOut(o, false);
    }
    this.emit('change', null);
  }

  /** The half-typed answer of a poll, kept across reloads of this tab. */
  draftOf(pollId) {
    return this.drafts.get(pollId) || '';
  }

  setDraft(pollId, text) {
    const had = this.drafts.get(pollId) || '';
    if (had === (text || '')) return;
    if (text) this.drafts.set(pollId, text);
    else this.drafts.delete(pollId);
    this._saveLocal();
  }

  _saveLocal() {
    if (!this.persist || !this.persist.save) return;
    safe(() => this.persist.save({
      drafts: Object.fromEntries(this.drafts),
      outbox: this.outbox.map((o) => ({ poll: o.poll, text: o.text })),
    }));
  }

  clearNotice(pollId) {
    const e = this.entries.get(pollId);
    if (e?.notice) {
      e.notice = null;
      this.emit('change', pollId);
    }
  }

  /** Send what is wished and not in flight (after a change, a reply, a welcome, a retry). */
  _pump(e) {
    if (e.retryTimer != null || !this.joined()) return;
    const pollId = e.poll.id;
    if (e.wish !== undefined && !e.voteSent) {
      const id = this._id();
      const ballot = e.wish.ballot;
      if (this.send(voteMsg(id, pollId, ballot))) {
        e.voteSent = { id, ballot };
        this.requests.set(id, { type: 'vote', poll: pollId, ballot });
      }
    }
    for (const [answerId, up] of e.upWish) {
      if (e.upSent.has(answerId)) continue;
      const id = this._id();
      if (this.send(upvoteMsg(id, pollId, answerId, up))) {
        e.upSent.set(answerId, id);
        this.requests.set(id, { type: 'upvote', poll: pollId, answer: answerId, up });
      }
    }
  }

  _retryLater(e) {
    if (e.retryTimer != null) return;
    const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** e.retryAttempt);
    e.retryAttempt++;
    e.retryTimer = this.timers.setTimeout(() => {
      e.retryTimer = null;
      if (this.entries.get(e.poll.id) !== e) return;
      this._pump(e);
      this._flushOutbox();
      this.emit('change', e.poll.id);
    }, delay);
  }

  stop() {
    for (const e of this.entries.values()) if (e.retryTimer != null) this.timers.clearTimeout(e.retryTimer);
  }
}

function safe(fn) {
  try { return fn(); } catch { return null; } // storage full or disabled
}
