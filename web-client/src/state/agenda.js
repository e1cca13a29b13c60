// The agenda and its timer (protocol/agreement.md, "Agenda and timer"): the
// phases, the phase under way and its countdown on the server's clock, the
// facilitator's requests, the editor's checks, and the same state folded
// from history events for the replay. Pure but for the AgendaStore's
// `send`: no DOM, no clock of its own (times are handed in).
//
// AgendaStore events:
//   change   ()                          phases or timer changed (or the clock estimate)
//   announce (key, {phase, minutes})     a phase started, paused, resumed, was extended, the agenda is
//                                        done (`phase`: the phase object, for the view to name)
import { Emitter } from '../emitter.js';
import {
  AGENDA_REQUESTS, MAX_PHASES, MAX_PHASE_TITLE, MIN_PHASE_MINUTES, MAX_PHASE_MINUTES, MIN_PHASES,
  MIN_EXTEND_MINUTES, MAX_EXTEND_MINUTES, PHASE_ID, agendaSet, phaseStart, phaseExtend, phaseStep, isAgenda,
} from '../protocol/messages.js';
import { checkText } from './polls.js';

const MINUTE_MS = 60000;

// ---- the server's clock --------------------------------------------------------

// How many recent samples the estimate looks at: enough to ride over one
// message that sat in a busy tab's queue, few enough that a jump of the
// local clock (sleep, NTP) is forgotten after a handful of messages.
const CLOCK_SAMPLES = 8;

/**
 * The server's clock as seen from here: the offset to add to the local
 * clock, bounded by samples. Each `agenda` message (and the welcome) carries
 * the server's `now`; when it is read, `now - localNow` is the true offset
 * minus the time the message took to come (network, queues, a busy tab),
 * never more: a lower bound. A `pong` answers a ping sent at a known local
 * time, so its `now` bounds the offset on both sides: between
 * `now - received` and `now - sent`, a window as wide as the round trip.
 * The estimate is the middle of the narrowest window (the shortest round
 * trip) among the recent samples, kept within every recent bound; without
 * a round trip, the largest lower bound (the message that waited least). So
 * a welcome read late by a busy page is corrected by the next pong. Only
 * the last CLOCK_SAMPLES are kept, and when they disagree (the local clock
 * jumped: sleep, NTP) the older ones are set aside, so a jump is followed.
 */
export class ServerClock {
  constructor() {
    this.samples = []; // {lo, hi}: bounds of server now - local now (hi Infinity: one way), newest last
    this.offset = 0; // ms to add to the local clock; 0 until a sample
  }

  /** A server time `serverNow` read at local time `localNow` (a message's: a lower bound). */
  sample(serverNow, localNow) {
    if (!Number.isFinite(serverNow) || !Number.isFinite(localNow)) return;
    this._add({ lo: serverNow - localNow, hi: Infinity });
  }

  /** A server time `serverNow` stamped between local times `sentAt` and `receivedAt` (a ping's pong). */
  sampleRoundTrip(serverNow, sentAt, receivedAt) {
    if (![serverNow, sentAt, receivedAt].every(Number.isFinite) || receivedAt < sentAt) return;
    this._add({ lo: serverNow - receivedAt, hi: serverNow - sentAt });
  }

  _add(s) {
    this.samples.push(s);
    if (this.samples.length > CLOCK_SAMPLES) this.samples.shift();
    // The newest samples that agree with each other (an older one that
    // does not is from before a jump of the local clock).
    let lo = -Infinity;
    let hi = Infinity;
    let best = null;
    for (let i = this.samples.length - 1; i >= 0; i--) {
      const x = this.samples[i];
      if (Math.max(lo, x.lo) > Math.min(hi, x.hi)) break;
      lo = Math.max(lo, x.lo);
      hi = Math.min(hi, x.hi);
      if (Number.isFinite(x.hi) && (!best || x.hi - x.lo < best.hi - best.lo)) best = x;
    }
    this.offset = best ? Math.min(hi, Math.max(lo, (best.lo + best.hi) / 2)) : lo;
  }

  /** The server's time at local time `localNow`. */
  at(localNow) {
    return localNow + this.offset;
  }
}

// ---- the timer ------------------------------------------------------------------

/**
 * The countdown at server time `serverNow`: null when no phase is under way,
 * else {phase, ms, paused, overrun}: `ms` the time left (negative: overrun),
 * frozen at its pause while paused.
 */
export function timeLeft(timer, serverNow) {
  if (!timer || timer.phase == null) return null;
  const ref = timer.paused_at != null ? timer.paused_at : serverNow;
  const ms = timer.ends_at - ref;
  return { phase: timer.phase, ms, paused: timer.paused_at != null, overrun: ms < 0 };
}

/**
 * A countdown as people read it: "12:05", "1:02:05"; whole seconds rounded
 * so that the time left reads 0:00 exactly when the phase's time is up
 * (rounded up before, overrun rounded down after).
 */
export function formatClock(ms) {
  const s = ms > 0 ? Math.ceil(ms / 1000) : Math.floor(-ms / 1000);
  const hours = Math.floor(s / 3600);
  const min = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return hours ? `${hours}:${String(min).padStart(2, '0')}:${sec}` : `${min}:${sec}`;
}

// ---- phases -----------------------------------------------------------------------

/**
 * Where each phase stands (agreement.md, "The timer": `ran`), as the server
 * decides it (core/agenda.c, agenda_step_of): 'current' (under way), 'ran'
 * (started once), 'skipped' (never started though a later one was, or the
 * agenda is done), 'next' (still to come). A timer without `ran` (a server
 * or a recorded event from before it) reads as every phase up to the one
 * under way ran (all of them once done).
 */
export function phaseSteps(phases, timer) {
  const current = timer?.phase ?? null;
  const done = current == null && timer?.done === true;
  let ran;
  if (Array.isArray(timer?.ran)) ran = new Set(timer.ran);
  else {
    const upto = done ? phases.length - 1 : phases.findIndex((p) => p.id === current);
    ran = new Set(phases.slice(0, upto + 1).map((p) => p.id));
  }
  let later = done; // a phase after this one ran (or the agenda is done)
  const steps = new Array(phases.length);
  for (let i = phases.length - 1; i >= 0; i--) {
    const id = phases[i].id;
    if (id === current) steps[i] = 'current';
    else if (ran.has(id)) steps[i] = 'ran';
    else steps[i] = later ? 'skipped' : 'next';
    if (id === current || ran.has(id)) later = true;
  }
  return steps;
}

/** The method's phases (agreement.md's table): the catalogue key of each preset's name. */
export const PRESET_KEYS = {
  what: 'agenda.presetWhat',
  why: 'agenda.presetWhy',
  how: 'agenda.presetHow',
  priorities: 'agenda.presetPriorities',
  success: 'agenda.presetSuccess',
  validation: 'agenda.presetValidation',
};

// Titles compared without their spaces, as the server does: "Quoi ?" typed
// with a plain space is still the preset's "Quoi\u202f?".
const spaceless = (s) => String(s ?? '').replace(/\s+/gu, '');

/**
 * The preset's name in the reader's language when the phase's title is
 * still the preset's own (in either language), else null.
 */
export function presetName(phase, i18n) {
  const key = PRESET_KEYS[phase?.preset];
  const title = spaceless(phase?.title);
  return key && ['fr', 'en'].some((lang) => spaceless(i18n.tIn(lang, key)) === title) ? i18n.t(key) : null;
}

/** A phase's title in the reader's language: a preset's name, or the title as the facilitator typed it. */
export function phaseTitle(phase, i18n) {
  return phase ? presetName(phase, i18n) ?? phase.title : '';
}

/**
 * The phase the sign-off belongs to (agreement.md: "the call for sign-off is
 * a moment of the agenda"), an index into `phases` (-1: none). Called
 * (`calledAt` not null) during the phase under way: that phase. Otherwise
 * (not called yet, or called in an earlier phase): the phase under way when
 * there is one and no sign-off was called yet (the facilitator may call it
 * from there), else the method's Validation phase, else the last phase.
 */
export function signoffPhaseIndex(phases, timer, calledAt) {
  const current = timer?.phase == null ? -1 : phases.findIndex((p) => p.id === timer.phase);
  if (current >= 0 && (calledAt == null || calledAt >= timer.started_at)) return current;
  const validation = phases.findIndex((p) => p.preset === 'validation');
  return validation >= 0 ? validation : phases.length - 1;
}

/** A phase id not among `taken` (a Set): `ph` and a number. */
export function newPhaseId(taken) {
  for (let n = taken.size + 1; ; n++) {
    const id = `ph${n}`;
    if (!taken.has(id)) return id;
  }
}

/**
 * The editor's rows as agenda_set takes them, checked as the server does
 * (1 to 20 phases, a title of 1 to 120 characters, 1 to 600 minutes).
 * rows: [{id, title (as typed), minutes (number or typed string), preset,
 * presetTitle, storedTitle}] where `presetTitle` is the preset's name as the
 * editor showed it (in the reader's language) and `storedTitle` the phase's
 * title as the server has it: a row whose title is still `presetTitle`
 * keeps `storedTitle` and its preset (so it goes on following the reader's
 * language); a new row has no id (one is made).
 * Returns {phases} or {errors: {list, rows: [{title, minutes} | null]}}
 * with catalogue keys ({error, max}).
 */
export function checkPhases(rows) {
  const errors = { list: null, rows: rows.map(() => null) };
  let bad = false;
  if (rows.length < MIN_PHASES) { errors.list = { error: 'agenda.errNoPhase' }; bad = true; }
  if (rows.length > MAX_PHASES) { errors.list = { error: 'agenda.errManyPhases', max: MAX_PHASES }; bad = true; }
  const taken = new Set(rows.map((r) => r.id).filter((id) => PHASE_ID.test(id ?? '')));
  const seen = new Set();
  const phases = rows.map((r, i) => {
    const rowErr = {};
    const keepPreset = r.preset && r.presetTitle != null && r.title === r.presetTitle;
    const t = keepPreset ? { value: r.storedTitle ?? r.title } : checkText(r.title, MAX_PHASE_TITLE);
    if (t.error) rowErr.title = t;
    const minutes = checkMinutes(r.minutes, MIN_PHASE_MINUTES, MAX_PHASE_MINUTES);
    if (minutes.error) rowErr.minutes = minutes;
    if (rowErr.title || rowErr.minutes) { errors.rows[i] = rowErr; bad = true; }
    let id = PHASE_ID.test(r.id ?? '') && !seen.has(r.id) ? r.id : null;
    if (!id) { id = newPhaseId(taken); taken.add(id); }
    seen.add(id);
    const phase = { id, title: t.value, minutes: minutes.value };
    if (keepPreset) phase.preset = r.preset;
    return phase;
  });
  return bad ? { errors } : { phases };
}

/** A whole number of minutes from min to max, typed or given. Returns {value} or {error, min, max}. */
export function checkMinutes(raw, min, max) {
  const s = String(raw ?? '').trim();
  if (!s) return { error: 'agenda.errMinutes', min, max };
  const n = Number(s);
  if (!/^\d+$/.test(s) || !Number.isInteger(n) || n < min || n > max) return { error: 'agenda.errMinutes', min, max };
  return { value: n };
}

// ---- the replay: the agenda folded from events -------------------------------------

export const AGENDA_EVENTS = new Set(['agenda_changed', 'phase_started', 'phase_paused', 'phase_resumed', 'phase_extended', 'agenda_done']);
// The agenda every workshop starts with (the server's agenda_default: the
// method's phases, French titles), which its history does not repeat: the
// replay starts from it, so that a phase jumped over before any
// agenda_changed is known, and shown skipped.
export const METHOD_PHASES = Object.freeze([
  ['what', 'Quoi\u202f?', 20], ['why', 'Pourquoi\u202f?', 20], ['how', 'Comment\u202f?', 25],
  ['priorities', 'Les priorités de chaque organisation', 20], ['success', 'Comment saurons-nous si nous avons réussi\u202f?', 20],
  ['validation', 'Validation', 15],
].map(([id, title, minutes]) => Object.freeze({ id, title, minutes, preset: id })));
export const NO_AGENDA = Object.freeze({ phases: Object.freeze([]), timer: null });

/**
 * The agenda just after history event `ev`, from the one before (never
 * mutated). The timer is rebuilt from the events' times as the server keeps
 * it: a start sets the end to start + minutes, a pause freezes the time
 * left, a resume pushes the end by the pause's length, an extension by its
 * minutes.
 */
export function foldAgenda(prev, ev) {
  const t = ev.t;
  const timer = prev.timer;
  switch (ev.type) {
    case 'created':
      return isAgenda(ev.agenda) ? { phases: ev.agenda.phases, timer: ev.agenda.timer ?? null } : { phases: METHOD_PHASES, timer: prev.timer };
    case 'agenda_changed': {
      if (!Array.isArray(ev.phases)) return prev;
      // The phases it removed leave the record of those run (a new one may take a removed id).
      const kept = timer && Array.isArray(timer.ran) ? { ...timer, ran: timer.ran.filter((id) => ev.phases.some((p) => p.id === id)) } : timer;
      return { phases: ev.phases, timer: kept };
    }
    case 'phase_started': {
      const minutes = Number(ev.minutes) || 0;
      const known = prev.phases.some((p) => p.id === ev.phase);
      const phases = known ? prev.phases : [...prev.phases, { id: ev.phase, title: ev.title ?? '', minutes }];
      // The phases run: the event's own record (servers since `ran`), else folded from the starts seen.
      const before = Array.isArray(timer?.ran) ? timer.ran : [];
      const ran = Array.isArray(ev.timer?.ran) ? ev.timer.ran : before.includes(ev.phase) ? before : [...before, ev.phase];
      return { phases, timer: { phase: ev.phase, started_at: t, ends_at: t + minutes * MINUTE_MS, paused_at: null, extended_ms: 0, ran } };
    }
    case 'phase_paused':
      return timer?.phase != null && timer.paused_at == null ? { phases: prev.phases, timer: { ...timer, paused_at: t } } : prev;
    case 'phase_resumed':
      return timer?.phase != null && timer.paused_at != null
        ? { phases: prev.phases, timer: { ...timer, ends_at: timer.ends_at + (t - timer.paused_at), paused_at: null } } : prev;
    case 'phase_extended': {
      if (timer?.phase == null) return prev;
      const ms = (Number(ev.minutes) || 0) * MINUTE_MS;
      return { phases: prev.phases, timer: { ...timer, ends_at: timer.ends_at + ms, extended_ms: (timer.extended_ms || 0) + ms } };
    }
    case 'agenda_done':
      return { phases: prev.phases, timer: { phase: null, started_at: null, ends_at: null, paused_at: null, extended_ms: 0, done: true, ran: Array.isArray(timer?.ran) ? timer.ran : [] } };
    default:
      return prev;
  }
}

// ---- the live agenda --------------------------------------------------------------

const REQUEST_TIMEOUT_MS = 15000;

export class AgendaStore extends Emitter {
  /**
   * send(msg) -> bool, joined() -> bool, now() (local ms), timers
   * {setTimeout, clearTimeout}: a request the server never answers gives up
   * after REQUEST_TIMEOUT_MS.
   */
  constructor({ send, joined, now = Date.now, timers = globalThis }) {
    super();
    this.send = send;
    this.joined = joined;
    this.now = now;
    this.timers = timers;
    this.clock = new ServerClock();
    this.phases = [];
    this.timer = null;
    this.known = false; // the server has sent an agenda (a server before issue 13 never does)
    this.role = null;
    this.requests = new Map(); // id -> {resolve, timeout}
    this.prefix = `a${Math.floor(Math.random() * 2 ** 32).toString(36)}`;
    this.seq = 0;
  }

  get isFacilitator() {
    return this.role === 'facilitator';
  }

  /** The phase under way, or null. */
  get current() {
    const id = this.timer?.phase;
    return id == null ? null : this.phases.find((p) => p.id === id) || null;
  }

  /** Whether the agenda was run to its end (no phase under way since the last one ended), not merely not started. */
  get done() {
    return this.timer?.phase == null && this.timer?.done === true;
  }

  /** Where each phase stands: 'current', 'ran', 'skipped' or 'next' (phaseSteps). */
  get steps() {
    return phaseSteps(this.phases, this.timer);
  }

  /** The index of the phase under way in the agenda (-1: none). */
  get currentIndex() {
    const id = this.timer?.phase;
    return id == null ? -1 : this.phases.findIndex((p) => p.id === id);
  }

  /** A pong's server time, for the clock (ServerClock.sampleRoundTrip): redraws the countdown when it moved. */
  clockSample(serverNow, sentAt, receivedAt) {
    const before = this.clock.offset;
    this.clock.sampleRoundTrip(serverNow, sentAt, receivedAt);
    if (this.known && Math.abs(this.clock.offset - before) >= 1) this.emit('change');
  }

  /** The countdown now (see timeLeft), on the server's clock. */
  left() {
    return timeLeft(this.timer, this.clock.at(this.now()));
  }

  welcome(agenda, role) {
    this.role = role;
    if (agenda !== undefined && isAgenda(agenda)) this._apply(agenda, { announce: false });
    else this.emit('change');
  }

  /** An incoming message: true when it was the agenda's. */
  receive(m) {
    if (m.type === 'agenda') {
      this._apply(m, { announce: true });
      this._settle(m.id, { ok: true });
      return true;
    }
    if (m.type === 'error' && AGENDA_REQUESTS.has(m.re)) {
      this._settle(m.id, { error: m.code, message: m.message });
      return true;
    }
    return false;
  }

  _apply(a, { announce }) {
    if (a.now !== undefined) this.clock.sample(a.now, this.now());
    const before = this.timer;
    this.phases = a.phases;
    this.timer = a.timer ?? null;
    this.known = true;
    if (announce) this._announceChange(before, this.timer);
    this.emit('change');
  }

  // What a screen reader hears of the timer: its steps, never its ticks
  // (the last minute is said by the view, once).
  _announceChange(before, after) {
    const b = before || {};
    const a = after || {};
    const title = () => ({ phase: this.current });
    if (a.phase !== b.phase || (a.phase != null && a.started_at !== b.started_at)) {
      if (a.phase == null) this.emit('announce', 'agenda.announceDone', {});
      else this.emit('announce', 'agenda.announceStarted', title());
    } else if (a.phase != null && (a.paused_at != null) !== (b.paused_at != null)) {
      this.emit('announce', a.paused_at != null ? 'agenda.announcePaused' : 'agenda.announceResumed', title());
    } else if (a.phase != null && a.ends_at !== b.ends_at && a.paused_at == null && b.paused_at == null) {
      this.emit('announce', 'agenda.announceExtended', { ...title(), minutes: Math.round((a.ends_at - b.ends_at) / MINUTE_MS) });
    }
  }

  disconnected() {
    const pending = [...this.requests.keys()];
    for (const id of pending) this._settle(id, { error: 'disconnected' });
  }

  stop() {
    this.disconnected();
  }

  _settle(id, result) {
    const r = id !== undefined ? this.requests.get(id) : null;
    if (!r) return;
    this.requests.delete(id);
    this.timers.clearTimeout(r.timeout);
    r.resolve(result);
  }

  _request(make) {
    const id = `${this.prefix}-${++this.seq}`;
    if (!this.joined() || !this.send(make(id))) return Promise.resolve({ error: 'offline' });
    return new Promise((resolve) => {
      const timeout = this.timers.setTimeout(() => this._settle(id, { error: 'timeout' }), REQUEST_TIMEOUT_MS);
      this.requests.set(id, { resolve, timeout });
    });
  }

  // Facilitator requests; each resolves {ok} or {error, message}.

  /** The whole agenda (phases as checkPhases gives them). */
  setPhases(phases) {
    return this._request((id) => agendaSet(id, phases));
  }

  start(phaseId) {
    return this._request((id) => phaseStart(id, phaseId));
  }

  next() {
    return this._request((id) => phaseStep('phase_next', id));
  }

  pause() {
    return this._request((id) => phaseStep('phase_pause', id));
  }

  resume() {
    return this._request((id) => phaseStep('phase_resume', id));
  }

  extend(minutes) {
    const m = checkMinutes(minutes, MIN_EXTEND_MINUTES, MAX_EXTEND_MINUTES);
    if (m.error) return Promise.resolve({ error: 'bad_request' });
    return this._request((id) => phaseExtend(id, m.value));
  }
}
