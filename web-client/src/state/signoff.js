// The sign-off of the statement (protocol/agreement.md, "Sign-off") as the
// views see it: whether one is open, each organisation's latest decision,
// the last agreement, and whether the text has changed since each of them
// (their hash against the current text's, computed here, debounced).
// Pure apart from the injected request(), doc(), hash() and timers, so it
// runs under node:test.
//
// An endorsement names the text it endorses by `rev` and the SHA-256 of
// that text: the committed server text at that revision (doc()), never the
// local text with edits not yet acknowledged, which no one else has.
//
// Events:
//   change   ()               something to redraw
//   announce (key, params)    worth telling a screen reader
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { Emitter } from '../emitter.js';
import { orgKey } from './colors.js';
import { checkText } from './polls.js';
import {
  isSignoff, MAX_DECLINE_REASON,
  signoffCall, signoffClose, endorse as endorseMsg, decline as declineMsg,
} from '../protocol/messages.js';

export const HASH_DEBOUNCE_MS = 400;
export const SIGNOFF_REQUESTS = new Set(['signoff_call', 'signoff_close', 'endorse', 'decline']);

/**
 * The SHA-256 of a text's UTF-8 bytes, lower-case hex. Web Crypto where the
 * page has it (off the main thread: the text is hashed again after every
 * burst of edits); a page served over plain http to another machine (a
 * laptop on the room's network) is not a secure context and has no
 * crypto.subtle, so there @noble/hashes computes the same digest.
 */
export async function sha256Hex(text, subtle = globalThis.crypto?.subtle) {
  if (!subtle) return sha256HexNow(text);
  const bytes = new TextEncoder().encode(text);
  const digest = await subtle.digest('SHA-256', bytes);
  return bytesToHex(new Uint8Array(digest));
}

/** The same at once, on this thread (the replay hashes the text of the moment it shows). */
export function sha256HexNow(text) {
  return bytesToHex(sha256(new TextEncoder().encode(text)));
}

const EMPTY = Object.freeze({ open: false, calledAt: null, organisations: [], agreed: null });

/** A signoff message (or the welcome's `signoff`) as kept here. */
function fromWire(s) {
  return {
    open: s.open,
    calledAt: Number.isFinite(s.called_at) ? s.called_at : null,
    organisations: s.organisations.map((d) => ({ ...d })),
    agreed: s.agreed ? { ...s.agreed, organisations: [...s.agreed.organisations] } : null,
  };
}

/** The history's sign-off events (protocol/agreement.md, "Sign-off"). */
export const SIGNOFF_EVENTS = new Set(['signoff_called', 'signoff_closed', 'endorsed', 'declined', 'agreed']);
/** The sign-off before any event. */
export const NO_SIGNOFF = EMPTY;

const isHash = (v) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
const isTime = (v) => Number.isFinite(v) ? v : null;

/**
 * The sign-off as kept here (as a `signoff` message would say it) after a
 * history event, from the one before: the replay shows it at any moment.
 * Never mutates `prev`; an event that is not the sign-off's, or is
 * malformed, gives `prev` back. A decision's `rev` is the revision it was
 * made on: an endorsement's `endorsed_rev`, the workshop's for a decline.
 */
export function foldSignoff(prev, ev) {
  switch (ev.type) {
    case 'signoff_called': return { ...prev, open: true, calledAt: isTime(ev.t) };
    case 'signoff_closed': return prev.open ? { ...prev, open: false } : prev;
    case 'endorsed':
    case 'declined': {
      if (typeof ev.org !== 'string' || !ev.org || !isHash(ev.sha256)) return prev;
      const endorsed = ev.type === 'endorsed';
      const decision = {
        org: ev.org, decision: ev.type, rev: Number(endorsed ? ev.endorsed_rev : ev.rev) || 0, sha256: ev.sha256,
        by: ev.by ?? null, name: ev.name ?? '', at: isTime(ev.t),
        ...(endorsed ? {} : { reason: typeof ev.reason === 'string' ? ev.reason : '' }),
      };
      const organisations = prev.organisations.filter((d) => d.org !== ev.org);
      organisations.push(decision);
      organisations.sort((a, b) => (a.org < b.org ? -1 : a.org > b.org ? 1 : 0));
      return { ...prev, organisations };
    }
    case 'agreed':
      if (!isHash(ev.sha256) || !Array.isArray(ev.organisations)) return prev;
      return { ...prev, agreed: { rev: Number(ev.rev) || 0, sha256: ev.sha256, at: isTime(ev.t), organisations: ev.organisations.filter((o) => typeof o === 'string') } };
    default: return prev;
  }
}

/**
 * What the sign-off panel shows. state: as kept by SignoffStore;
 * currentHash: the current text's hash (null: not known yet, nothing is
 * said "changed"); signing: the organisations present that sign (their
 * people take part); mine: this person's organisation (or null).
 *
 * Returns {open, calledAt, rows, agreed, mine} where each row is
 * {org, status: endorsed | declined | waiting, rev, sha256, reason, name,
 * at, changed, present} (organisations by name; `changed`: the text is not
 * the one decided on) and agreed is null or {rev, sha256, at,
 * organisations, current} (`current`: the text is still the agreed one;
 * null while the current hash is unknown). `mine` is this organisation's
 * row, or null.
 */
export function signoffModel(state, { currentHash = null, signing = [], mine = null, locale = 'fr' } = {}) {
  const rows = new Map();
  for (const d of state.organisations) {
    rows.set(orgKey(d.org), {
      org: d.org,
      status: d.decision,
      rev: d.rev ?? null,
      sha256: d.sha256 ?? null,
      reason: d.reason ?? null,
      name: d.name ?? null,
      at: Number.isFinite(d.at) ? d.at : null,
      changed: currentHash != null && d.sha256 != null && d.sha256 !== currentHash,
      present: false,
    });
  }
  for (const org of signing) {
    const k = orgKey(org);
    if (!k) continue;
    if (!rows.has(k)) rows.set(k, { org, status: 'waiting', rev: null, sha256: null, reason: null, name: null, at: null, changed: false, present: true });
    else rows.get(k).present = true;
  }
  const sorted = [...rows.values()].sort((a, b) => a.org.localeCompare(b.org, locale, { sensitivity: 'base' }));
  const agreed = state.agreed ? {
    rev: state.agreed.rev,
    sha256: state.agreed.sha256,
    at: Number.isFinite(state.agreed.at) ? state.agreed.at : null,
    organisations: state.agreed.organisations,
    current: currentHash == null ? null : state.agreed.sha256 === currentHash,
  } : null;
  const myKey = mine ? orgKey(mine) : '';
  return {
    open: state.open,
    calledAt: state.calledAt,
    rows: sorted,
    agreed,
    mine: myKey ? rows.get(myKey) || null : null,
  };
}

export class SignoffStore extends Emitter {
  /**
   * request(make) -> Promise of {ok} or {error} (state/requests.js);
   * doc() -> {rev, text}: the committed server text; hash(text) -> Promise
   * of hex; timers.
   */
  constructor({ request, doc, hash = sha256Hex, timers = globalThis }) {
    super();
    this.request = request;
    this.doc = doc;
    this.hash = hash;
    this.timers = timers;
    this.state = EMPTY;
    this.known = false; // a welcome has told us (an older server says nothing)
    this.currentHash = null; // of the text at hashedRev
    this.hashedRev = null;
    this.hashTimer = null;
    this.hashing = 0; // bumps so that only the newest hash lands
  }

  stop() {
    if (this.hashTimer != null) this.timers.clearTimeout(this.hashTimer);
    this.hashTimer = null;
    this.hashing++;
  }

  /** The welcome's `signoff` (absent: no sign-off yet, or a server without it). */
  welcome(s) {
    this.known = true;
    this.state = isSignoff(s) ? fromWire(s) : EMPTY;
    this.emit('change');
    this.docChanged({ now: true });
  }

  /** A server message; true when it was about the sign-off. */
  receive(m) {
    if (m.type !== 'signoff') return false;
    const before = this.state;
    this.state = fromWire(m);
    this._announce(before, this.state);
    this.emit('change');
    return true;
  }

  _announce(before, after) {
    if (!before.open && after.open) this.emit('announce', 'signoff.announceCalled', {});
    else if (before.open && !after.open) this.emit('announce', 'signoff.announceClosed', {});
    const was = before.agreed;
    const is = after.agreed;
    if (is && (!was || was.sha256 !== is.sha256 || was.at !== is.at)) {
      this.emit('announce', 'signoff.announceAgreed', { organisations: is.organisations.join(', ') });
      return;
    }
    const old = new Map(before.organisations.map((d) => [d.org, d]));
    for (const d of after.organisations) {
      const o = old.get(d.org);
      if (o && o.decision === d.decision && o.at === d.at) continue;
      this.emit('announce', d.decision === 'endorsed' ? 'signoff.announceEndorsed' : 'signoff.announceDeclined', { org: d.org, name: d.name || '' });
    }
  }

  /**
   * The committed text may have changed: hash it again, debounced (a
   * burst of keystrokes elsewhere costs one hash). `now`: at once (after a
   * welcome).
   */
  docChanged({ now = false } = {}) {
    if (this.hashTimer != null) {
      if (!now) return;
      this.timers.clearTimeout(this.hashTimer);
    }
    this.hashTimer = this.timers.setTimeout(() => {
      this.hashTimer = null;
      this._hashNow();
    }, now ? 0 : HASH_DEBOUNCE_MS);
  }

  async _hashNow() {
    const { rev, text } = this.doc();
    if (rev === this.hashedRev && this.currentHash != null) return;
    const ticket = ++this.hashing;
    const hex = await this.hash(text);
    if (ticket !== this.hashing) return; // a newer text is being hashed
    this.hashedRev = rev;
    this.currentHash = hex;
    this.emit('change');
  }

  model(opts) {
    return signoffModel(this.state, { currentHash: this.currentHash, ...opts });
  }

  get open() {
    return this.state.open;
  }

  /** Facilitator: open a sign-off on the current statement. */
  call() {
    return this.request(signoffCall);
  }

  /** Facilitator: stop taking decisions (the ones made stay). */
  close() {
    return this.request(signoffClose);
  }

  /**
   * Representative: endorse the statement as the server has it now (its
   * revision and the hash of exactly that text). Resolves {ok} or {error}.
   */
  async endorse() {
    const { rev, text } = this.doc();
    const hex = await this.hash(text);
    return this.request((id) => endorseMsg(id, rev, hex));
  }

  /** Representative: decline, with a reason of 1 to 500 characters. Resolves {ok}, {error}, or {invalid: {error, max}}. */
  decline(reason) {
    const r = checkText(reason, MAX_DECLINE_REASON);
    if (r.error) return Promise.resolve({ invalid: r });
    return this.request((id) => declineMsg(id, r.value));
  }
}
