// The workshop as the views see it: the shared text (OT client), presence,
// carets, connection status, undo. It is the only consumer of the Session:
// views call methods here and listen to events, they never see the socket.
//
// Events:
//   ready    ()                               the document can be shown (restored or first welcome)
//   welcome  ({title, me, role})              every welcome
//   text     ({op, source, author})           the local text changed under the editor
//                                            (source: reset | remote | resync | undo | redo)
//   presence ()                               people, typing marks
//   cursors  ()                               remote carets moved
//   status   ({status, unsent, retryAt})
//   announce (key, params)                    something worth telling a screen reader
//   fatal    ({code, message})                 code 'deleted': the facilitator deleted the workshop
//   workshop ({state, endedAt})               the workshop ended or was reopened, or its code
//                                            or time zone changed (issue 12)
//   retention (deletesAt)                     activity moved the date the server deletes the
//                                            workshop at if nothing is written (issue 14)
//   role     ({participant, before, after, self}) someone's role or request changed (issue 13)
//   observerLink (key | null)                  facilitators: the observer link's key
//   balance  ()                               the contribution balance changed (facilitators, issue 13)
//
// Polls live in `this.polls` (a PollStore, state/polls.js), the sign-off in
// `this.signoff` (a SignoffStore, state/signoff.js) and the agenda in
// `this.agenda` (an AgendaStore, state/agenda.js), with events of their own;
// this store only feeds them the welcome and their messages.
import { Emitter } from '../emitter.js';
import {
  ErrorCode, MAX_MESSAGE_BYTES, cursor as cursorMsg, workshopEnd, workshopReopen, isBalance,
  roleSet, representativeRequest, representativeAnswer, observerLink, presencePage,
} from '../protocol/messages.js';
import { OTClient } from './otclient.js';
import { Presence } from './presence.js';
import { clearOrgSlots, setOrgSlots } from './colors.js';
import { UndoStack } from './undo.js';
import { apply, splitOp, transformSelection } from './ot.js';
import { PollStore } from './polls.js';
import { Requests } from './requests.js';
import { SignoffStore } from './signoff.js';
import { may, roleOf } from './roles.js';
import { AgendaStore } from './agenda.js';
import { BoardStore } from './board.js';
import { DiscussStore } from './discuss.js';

const CURSOR_MS = 100;
const CURSOR_MAX_MS = 2000;
const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 15000;
// An op message must fit the server's 64 KiB limit with room for the
// envelope; a UTF-8 code point is at most 4 bytes, JSON escapes at most 6.
const MAX_OP_UNITS = Math.floor((MAX_MESSAGE_BYTES - 1024) / 6);
// The server refuses an op of more than 1024 components (protocol/README.md).
const MAX_OP_COMPONENTS = 1024;
// Retention (issue 14): the welcome says when the workshop will be deleted
// if nothing is written to it; every write moves that on, in Redis. These
// messages are the echo of a write (an edit, an arrival, a poll step…), so
// each moves the date on by the time passed since the welcome, on this
// page's clock (the welcome's lead absorbs the server's clock and the
// retention's length): no message of its own, nothing more on the op path.
// Messages that may come without a write (carets, errors, the balance, the
// observer link) move nothing: the date shown is Redis' to within a message's
// latency, and GET /api/workshops/ID or the next welcome says it exactly.
const WRITES = new Set(['op', 'ack', 'arrived', 'departed', 'workshop', 'role', 'poll', 'poll_deleted', 'answer',
  'results', 'my_ballot', 'agenda', 'signoff', 'board', 'discuss']);
// The date moved by less than this is not told again (it is shown to the day).
const RETENTION_TELL_MS = 1000;

export class WorkshopStore extends Emitter {
  /**
   * workshopId, profile {name, organisation}, key (facilitator key or null),
   * observerKey (the observer link's key, when joining as an observer),
   * persist {load(), save(state), saveToken(token, extra), loadToken(), dropToken()},
   * pollsPersist {load(), save(state)} (half-typed and queued answers; null
   * for a read-only page such as the presenter view),
   * createSession(getJoin) -> Session, timers, now, newOpId.
   */
  constructor({ workshopId, profile, key = null, observerKey = null, persist, pollsPersist = null, createSession, timers = globalThis, now = Date.now, newOpId, hash }) {
    super();
    clearOrgSlots(); // another workshop's colours are not this one's
    this.workshopId = workshopId;
    this.profile = profile;
    this.key = key;
    this.observerKey = key ? null : observerKey;
    this.persist = persist;
    this.timers = timers;
    this.now = now;
    this.ot = new OTClient({ newOpId });
    this.presence = new Presence();
    this.undoStack = new UndoStack();
    this.me = null;
    this.title = '';
    this.role = null;
    this.started = false; // got a document (first welcome or restored state)
    this.token = persist?.loadToken?.() || null;
    this.held = []; // messages held while a probe is out
    this.mySel = null;
    this.lastCursorSent = null;
    this.cursorTimer = null;
    this.cursorInterval = CURSOR_MS;
    this.lastCursorAt = 0;
    this.retryTimer = null;
    this.retryAttempt = 0;
    this.retryUntil = 0;
    this.storageDown = false; // the server said `unavailable` to our edit and has acked none since
    this.saveTimer = null;
    // What the welcome and `workshop` messages say of the workshop itself
    // (issue 12): join code, open or ended, time zone.
    this.workshop = { code: null, state: 'open', endedAt: null, timeZone: null, deletesAt: null };
    this.retentionLead = null; // the welcome's deletes_at minus this clock's time then
    // Requests answered once (workshop_end, role_set, signoff_call…).
    this.requests = new Requests({ send: (m) => this.session.joined && this.session.send(m) });
    // Facilitators: the observer link's key (undefined: not told yet).
    this.observerLinkKey = undefined;

    const restored = persist?.load?.();
    if (restored) this._restore(restored);

    this.session = createSession(() => this._joinFields());
    this.polls = new PollStore({
      send: (m) => this.session.send(m),
      joined: () => this.session.joined,
      timers,
      persist: pollsPersist,
      barrier: (fn) => (this.session.barrier ? this.session.barrier(fn) : fn()),
    });
    this.signoff = new SignoffStore({
      request: (make) => this.requests.request(make),
      doc: () => ({ rev: this.ot.rev, text: this.ot.serverText }),
      timers,
      ...(hash ? { hash } : {}),
    });
    this.agenda = new AgendaStore({ send: (m) => this.session.send(m), joined: () => this.session.joined, now, timers });
    // The priorities board (issue 16, state/board.js).
    this.board = new BoardStore({ request: (make) => this.requests.request(make) });
    // The "to discuss" list (protocol/polls.md, "To discuss").
    this.discuss = new DiscussStore({ request: (make) => this.requests.request(make) });
    // The contribution balance as the server last sent it (facilitators only; null for everyone else).
    this.balance = null;
    this.session.on('welcome', (m, info) => this._onWelcome(m, info));
    this.session.on('message', (m) => this._onMessage(m));
    this.session.on('clock', (serverNow, sentAt, receivedAt) => this.agenda.clockSample(serverNow, sentAt, receivedAt));
    this.session.on('status', () => this._emitStatus());
    this.session.on('disconnected', () => {
      this.requests.forget();
      this.polls.disconnected();
      this.agenda.disconnected();
      this.ot.markUnsent();
      this._emitStatus();
    });
    this.session.on('token-rejected', () => {
      this.token = null;
      this.persist?.dropToken?.();
    });
    this.session.on('fatal', (f) => {
      if (f.code === 'not_found') this.persist?.dropToken?.();
      this.emit('fatal', f);
    });
  }

  start() {
    this.session.start();
  }

  stop() {
    this._saveNow();
    this.session.stop();
    this.polls.stop();
    this.signoff.stop();
    this.agenda.stop();
    for (const t of [this.cursorTimer, this.retryTimer, this.saveTimer]) if (t != null) this.timers.clearTimeout(t);
  }

  get text() {
    return this.ot.text;
  }

  /** The workshop has ended: the statement is read-only for everyone. */
  get ended() {
    return this.workshop.state === 'ended';
  }

  /** Facilitator: end the workshop (open polls close, the statement locks). Resolves {ok} or {error}. */
  endWorkshop() {
    return this._workshopRequest(workshopEnd);
  }

  /** Facilitator: reopen an ended workshop. */
  reopenWorkshop() {
    return this._workshopRequest(workshopReopen);
  }

  async _workshopRequest(make) {
    const res = await this.requests.request(make);
    return res.ok ? { ok: true, state: res.reply.state } : res;
  }

  // ---- roles (issue 13) --------------------------------------------------

  /** Whether this person may do `what` (state/roles.js), by their role now. */
  may(what) {
    return may(this.role, what);
  }

  get observer() {
    return this.role === 'observer';
  }

  /** Facilitator: make someone a representative, or a participant again. Resolves {ok} or {error}. */
  setRole(participant, role) {
    return this.requests.request((id) => roleSet(id, participant, role));
  }

  /**
   * A page of the people present (protocol/README.md, presence_page):
   * {prefix, organisation, after, limit}, each optional. Resolves
   * {ok, reply: {participants, next}} or {error}.
   */
  presencePage(query) {
    return this.requests.request((id) => presencePage(id, query));
  }

  /** Participant: ask to represent one's organisation. */
  askRepresentative() {
    return this.requests.request(representativeRequest);
  }

  /** Facilitator: accept (the same as setRole representative) or decline a request. */
  answerRepresentative(participant, accept) {
    return this.requests.request((id) => representativeAnswer(id, participant, accept));
  }

  /** Facilitator: make the observer link ('create') or revoke it ('revoke'). Resolves {ok} or {error}. */
  observerLink(action) {
    return this.requests.request((id) => observerLink(id, action));
  }

  _onRole(m) {
    const role = roleOf(m.role);
    const asks = m.asks === 'representative' ? 'representative' : null;
    const change = this.presence.setRole(m.participant, role, asks);
    const self = m.participant === this.me?.id;
    if (self) {
      const before = this.role;
      this.role = role;
      this.me = { ...this.me, role };
      this.persist?.saveToken?.(this.token, { role });
      if (before !== role) {
        // Rights follow the role at once: polls redraw their controls.
        this.polls.setRole(role);
        this.board.setRole(role);
        this.emit('announce', role === 'representative' ? 'roles.announceYouRepresent' : 'roles.announceYouParticipant', { organisation: this.me.organisation });
      }
    } else if (change) {
      const { before, after } = change;
      if (before.role !== after.role) {
        this.emit('announce', after.role === 'representative' ? 'roles.announceRepresents' : 'roles.announceParticipant', { name: after.name, organisation: after.organisation });
      } else if (!before.asks && after.asks && this.role === 'facilitator') {
        this.emit('announce', 'roles.announceAsks', { name: after.name, organisation: after.organisation });
      }
    }
    this.emit('role', { participant: m.participant, self, ...(change || {}) });
    this.emit('presence');
  }

  _onObserverLink(m) {
    this.observerLinkKey = m.key;
    this.emit('observerLink', m.key);
  }

  /**
   * Take what a welcome, a `workshop` message or an `ended` refusal says of
   * the workshop. Emits `workshop` only when something changed; returns
   * whether it ended or reopened. It sends nothing: the caller pumps held
   * edits once its own state is reconciled (a welcome, after the missed ops).
   */
  _setWorkshop(w, { announce = false } = {}) {
    if (!w || typeof w !== 'object') return false;
    const was = this.workshop;
    const next = { ...was };
    if (typeof w.code === 'string' && /^\d{6}$/.test(w.code)) next.code = w.code;
    if (typeof w.time_zone === 'string') next.timeZone = w.time_zone;
    if (Number.isFinite(w.deletes_at)) {
      next.deletesAt = w.deletes_at;
      this.retentionLead = w.deletes_at - this.now();
    }
    if (w.state === 'open' || w.state === 'ended') next.state = w.state;
    if (next.state === 'ended') {
      next.endedAt = Number.isFinite(w.ended_at) ? w.ended_at : Number.isFinite(w.at) ? w.at : next.endedAt;
    } else {
      next.endedAt = null;
    }
    this.workshop = next;
    const moved = was.state !== next.state;
    if (moved) {
      if (announce) this.emit('announce', next.state === 'ended' ? 'end.announceEnded' : 'end.announceReopened', {});
      this._emitStatus();
    }
    if (Object.keys(next).some((k) => next[k] !== was[k])) this.emit('workshop', { state: next.state, endedAt: next.endedAt });
    return moved;
  }

  get status() {
    return this.session.status;
  }

  /** Edits not yet acknowledged (in flight, pending): 0 when all is saved. */
  get unsent() {
    return this.ot.unsentCount;
  }

  // ---- joining ---------------------------------------------------------

  _joinFields() {
    const f = {
      workshop: this.workshopId,
      name: this.profile?.name,
      organisation: this.profile?.organisation,
      key: this.key || undefined,
      observerKey: this.observerKey || undefined,
    };
    // Resuming needs a revision we hold the text of; without one, a fresh
    // join sends the whole text.
    if (this.token && this.started) f.resume = { token: this.token, rev: this.ot.rev };
    return f;
  }

  _restore(s) {
    try {
      const ot = this.ot;
      ot.reset(s.serverText, s.rev);
      if (s.inflight) ot.inflight = { id: s.inflight.id, op: s.inflight.op, sent: false };
      if (s.pending && s.pending.length) ot.pending = s.pending;
      ot.text = apply(apply(ot.serverText, ot.inflight ? ot.inflight.op : []), ot.pending || []);
      ot.authors.authors = expandRuns(s.authors || [], [...ot.text].length);
      for (const p of s.people || []) this.presence.remember(p);
      this.title = s.title || '';
      if (s.me && typeof s.me.id === 'string') {
        this.me = s.me;
        this.role = s.role || s.me.role || 'participant';
        this.ot.selfId = s.me.id;
      }
      this.started = true;
    } catch {
      this.ot.reset('', 0);
      this.me = null;
      this.started = false;
    }
  }

  /** The document is known (restored from storage or first welcome): the editor can show. */
  get ready() {
    return this.started && !!this.me;
  }

  _onWelcome(m, info) {
    const first = !this.ready;
    this.me = m.participant;
    this.role = roleOf(m.role || m.participant.role);
    this.title = (m.workshop && m.workshop.title) || this.title;
    if (this.role === 'facilitator') this.observerLinkKey = typeof m.observer_key === 'string' ? m.observer_key : null;
    this._setWorkshop(m.workshop);
    this.token = m.token;
    this.persist?.saveToken?.(m.token, { title: this.title, role: this.role });
    this.ot.selfId = this.me.id;
    setOrgSlots(m.org_slots); // every organisation's colour, present or not (state/colors.js)
    this.presence.reset(this.me, m.participants, m.presence);
    this.held = [];

    if (!this.started) {
      this.ot.selfId = this.me.id;
      this.ot.reset(m.doc.text ?? '', m.doc.rev);
      this.started = true;
      this.emit('text', { op: null, source: 'reset' });
    } else if (m.doc.text !== undefined) {
      const res = this.ot.beginResync(m.doc.text, m.doc.rev);
      if (res.change) this._showChange(res.change, 'resync', null);
    } else {
      const changes = this.ot.replayMissed(m.missed || [], m.doc.rev);
      if (!changes) {
        this.broken = true;
        this.session.stop();
        this.emit('fatal', { code: 'desync', message: 'missed ops do not line up' });
        return;
      }
      for (const c of changes) this._showChange(c.op, 'remote', c.author);
    }
    this.ot.markUnsent();
    for (const p of m.participants || []) {
      if (Array.isArray(p.sel) && Number.isInteger(p.rev)) this._remoteCursor(p.id, p.sel, p.rev);
    }
    if (first) this.emit('ready');
    this.emit('welcome', { title: this.title, me: this.me, role: this.role });
    this.polls.welcome(m.polls || [], this.role);
    this.signoff.welcome(m.signoff);
    if (this.role === 'facilitator') this.emit('observerLink', this.observerLinkKey);
    this.agenda.welcome(m.agenda, this.role);
    this.board.welcome(m.board, this.role, this.role === 'observer' ? null : this.me?.organisation);
    this.discuss.welcome(m.discuss);
    this._setBalance(m.balance);
    this.emit('presence');
    this.emit('cursors');
    this.lastCursorSent = null;
    this._pump();
    this._scheduleCursor();
    this._emitStatus();
    this._scheduleSave();
  }

  // ---- incoming --------------------------------------------------------

  _onMessage(m) {
    if (WRITES.has(m.type)) this._written();
    if (this.ot.probing && (m.type === 'op' || m.type === 'cursor')) {
      this.held.push(m);
      return;
    }
    if (this.polls.receive(m) || this.agenda.receive(m)) return;
    if (this.board.receive(m) || this.discuss.receive(m)) {
      this.requests.reply(m);
      return;
    }
    if (m.type === 'error' && this.requests.reply(m)) return;
    if (this.signoff.receive(m)) {
      this.requests.reply(m);
      return;
    }
    switch (m.type) {
      case 'balance': return this._setBalance(m);
      case 'role':
        this._onRole(m);
        this.requests.reply(m);
        return;
      case 'observer_link':
        this._onObserverLink(m);
        this.requests.reply(m);
        return;
      case 'workshop': return this._onWorkshop(m);
      case 'op': return this._onRemoteOp(m);
      case 'ack': return this._onAck(m);
      case 'cursor': return this._remoteCursor(m.participant, m.sel, m.rev, true);
      case 'arrived': {
        const p = this.presence.arrive(m.participant);
        if (p) this.emit('announce', 'announce.arrived', { name: p.name, organisation: p.organisation });
        this.emit('presence');
        return;
      }
      case 'presence': // a big workshop's: counts, and the named people who came and went, together
        this.presence.applyPresence(m);
        this.emit('presence');
        this.emit('cursors');
        return;
      case 'presence_page':
        this.requests.reply(m);
        return;
      case 'departed': {
        const p = this.presence.depart(m.participant);
        if (p) this.emit('announce', 'announce.departed', { name: p.name, organisation: p.organisation });
        this.emit('presence');
        this.emit('cursors');
        return;
      }
      case 'error': return this._onError(m);
      default:
    }
  }

  /** Something was written to the workshop just now: its deletion date moves on. */
  _written() {
    if (this.retentionLead === null) return;
    const at = this.now() + this.retentionLead;
    if (at - this.workshop.deletesAt < RETENTION_TELL_MS) return;
    this.workshop.deletesAt = at;
    this.emit('retention', at);
  }

  _setBalance(b) {
    this.balance = this.role === 'facilitator' && isBalance(b) ? { organisations: b.organisations } : null;
    this.emit('balance');
  }

  _onWorkshop(m) {
    const mine = this.requests.has(m.id);
    if (m.state === 'deleted') {
      // Said before the server's not_found and close: say who did it.
      this.broken = true; // nothing of this workshop is worth keeping now
      this.session.stop();
      this.emit('fatal', { code: 'deleted', message: 'deleted by its facilitator' });
      return;
    }
    // Reopened: what waited (edits made before the end was known) goes now.
    if (this._setWorkshop(m, { announce: !mine }) && !this.ended) this._pump();
    this.requests.reply(m);
  }

  _onRemoteOp(m) {
    const res = this.ot.receiveOp(m.rev, m.op, m.author, m.id);
    if (res.status === 'gap') {
      this.session.resync();
      return;
    }
    if (res.status === 'own') {
      this._afterAck();
      return;
    }
    if (res.status !== 'applied') return;
    this.presence.noteOp(m.author, this.now());
    this.signoff.docChanged();
    this._showChange(res.op, 'remote', m.author ?? null);
    this.emit('presence');
    this._scheduleSave();
  }

  // A change that did not come from the textarea: move carets and undo
  // history over it, then tell the editor.
  _showChange(op, source, author) {
    if (!op || !op.length) return;
    this.presence.mapCursors((sel, id) => transformSelection(sel, op, id === author));
    if (this.mySel) this.mySel = transformSelection(this.mySel, op);
    this.undoStack.transformAll(op);
    this.emit('text', { op, source, author });
    this.emit('cursors');
  }

  _onAck(m) {
    const probe = this.ot.probe;
    if (probe && String(m.id) === String(probe.id)) {
      const target = probe.target.rev;
      this._finishProbe(true);
      // Acked at or after the snapshot: it was applied just now, after the
      // snapshot we adopted. Resume once more to fetch it as a missed op.
      if (m.rev >= target) this.session.resync();
      return;
    }
    const res = this.ot.receiveAck(m.id, m.rev);
    if (res.status === 'gap') {
      this.session.resync();
      return;
    }
    if (res.status === 'desync') {
      this.broken = true;
      this.session.stop();
      this.emit('fatal', { code: 'desync', message: `ack for revision ${m.rev}, already at ${this.ot.rev}` });
      return;
    }
    if (res.status === 'acked') this._afterAck();
  }

  _afterAck() {
    this.signoff.docChanged();
    this.retryAttempt = 0;
    this.storageDown = false;
    this._pump();
    if (this.ot.inSync) this._scheduleCursor();
    this._emitStatus();
    this._scheduleSave();
  }

  _finishProbe(included) {
    const change = this.ot.resolveProbe(included);
    this.signoff.docChanged();
    this._showChange(change, 'resync', null);
    const held = this.held;
    this.held = [];
    for (const h of held) this._onMessage(h);
    this._pump();
    this._emitStatus();
    this._scheduleSave();
  }

  _onError(m) {
    // protocol/agreement.md: revoking the observer link closes observers'
    // connections with `forbidden`; their tokens stop working too.
    if (this.observer && m.code === ErrorCode.FORBIDDEN && !m.re) {
      this.broken = true;
      this.session.stop();
      this.emit('fatal', { code: 'observer_revoked', message: m.message });
      return;
    }
    if (m.re === 'cursor') {
      if (m.code === ErrorCode.RATE_LIMITED) this.cursorInterval = Math.min(CURSOR_MAX_MS, this.cursorInterval * 2);
      return;
    }
    if (m.re !== 'op') return;
    const probe = this.ot.probe;
    if (probe && String(m.id) === String(probe.id)) {
      if (m.code === ErrorCode.STALE || m.code === ErrorCode.BAD_REQUEST || m.code === ErrorCode.TOO_LARGE) {
        this._finishProbe(false);
      } else {
        this._retryLater();
      }
      return;
    }
    if (!this.ot.inflight || String(m.id) !== String(this.ot.inflight.id)) return;
    switch (m.code) {
      case ErrorCode.ENDED:
        // Ended before our edit arrived: keep it (the facilitator may
        // reopen) but send nothing while the workshop is ended.
        this.ot.markUnsent();
        this._setWorkshop({ state: 'ended' }, { announce: true });
        this._emitStatus();
        return;
      case ErrorCode.STALE:
      case ErrorCode.FORBIDDEN:
        this.session.resync();
        return;
      case ErrorCode.UNAVAILABLE:
        this.storageDown = true;
        this._retryLater();
        return;
      case ErrorCode.RATE_LIMITED:
      case ErrorCode.INTERNAL:
        this._retryLater();
        return;
      default: {
        // The server says the op cannot apply: our copy has drifted. Drop
        // the op rather than loop on it, and resync.
        this.ot.inflight = null;
        this.emit('announce', 'announce.editRejected', {});
        this.session.resync();
      }
    }
  }

  _retryLater() {
    this.ot.markUnsent();
    const ceiling = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** this.retryAttempt);
    this.retryAttempt++;
    const delay = Math.round(ceiling / 2 + Math.random() * ceiling / 2);
    this.retryUntil = this.now() + delay;
    if (this.retryTimer != null) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = null;
      this.retryUntil = 0;
      this._pump();
    }, delay);
    this._emitStatus();
  }

  _remoteCursor(id, sel, rev, fromMessage = false) {
    if (id === this.me?.id) return;
    const mapped = this.ot.mapSelection(sel, rev, false);
    const len = this.ot.authors.length;
    this.presence.setCursor(id, mapped && [Math.min(mapped[0], len), Math.min(mapped[1], len)]);
    if (fromMessage) {
      this.presence.touch(id, this.now());
      this.emit('cursors');
    }
  }

  // ---- outgoing --------------------------------------------------------

  _pump() {
    if (!this.session.joined || this.now() < this.retryUntil || this.ended || !this.may('write')) return;
    if (!this.ot.probing && !this.ot.inflight && this.ot.pending) this._splitPending();
    const m = this.ot.outgoing();
    if (m && !this.session.send(m)) this.ot.markUnsent();
    this._emitStatus();
  }

  // A huge paste would not fit in one message: send it in pieces, each
  // waiting for the previous ack like any other op.
  _splitPending() {
    const [head, tail] = splitOp(this.ot.pending, MAX_OP_UNITS, MAX_OP_COMPONENTS);
    if (tail) {
      this.ot.pending = head;
      this.ot.outgoing(); // makes `head` the in-flight op (not sent yet)
      this.ot.inflight.sent = false;
      this.ot.pending = tail;
    }
  }

  /**
   * A line of text inserted into the statement by this person (from the
   * board, issue 16): at the caret when there is one (at the start of the
   * caret's line's end), else at the end, on a line of its own. A normal op,
   * so the history has it with its author. False when it cannot be written.
   */
  insertLine(line, { atCaret = false } = {}) {
    if (this.ended || !this.may('write') || !line) return false;
    const cps = [...this.ot.text];
    let at = cps.length;
    if (atCaret && this.mySel) {
      at = Math.max(this.mySel[0], this.mySel[1]);
      while (at < cps.length && cps[at] !== '\n') at++; // the end of the caret's line
    }
    const before = at > 0 && cps[at - 1] !== '\n' ? '\n' : '';
    const after = at < cps.length && cps[at] !== '\n' ? '\n' : '';
    const op = at > 0 ? [at, before + line + after] : [line + (cps.length ? '\n' : '')];
    this.localEdit(op);
    this.emit('text', { op, source: 'board', author: this.me?.id ?? null });
    return true;
  }

  /** An edit typed in the editor, as an op on the current text. */
  localEdit(op, { undoable = true } = {}) {
    if (!op.length) return;
    const before = this.ot.text;
    this.ot.applyLocal(op);
    if (undoable) this.undoStack.record(op, before, this.now());
    this.presence.mapCursors((sel) => transformSelection(sel, op));
    this._pump();
    this.emit('cursors');
    this._emitStatus();
    this._scheduleSave();
  }

  undo() {
    return this._history('undo');
  }

  redo() {
    return this._history('redo');
  }

  _history(which) {
    const op = which === 'undo' ? this.undoStack.undo(this.ot.text) : this.undoStack.redo(this.ot.text);
    if (!op || !op.length) return null;
    this.localEdit(op, { undoable: false });
    this.emit('text', { op, source: which, author: this.me?.id ?? null });
    return op;
  }

  /** Break the undo grouping (the caret jumped, focus left). */
  cutUndo() {
    this.undoStack.cut();
  }

  /** The local caret/selection, [anchor, head] in code points of the local text. */
  setSelection(sel) {
    this.mySel = sel;
    this._scheduleCursor();
  }

  _scheduleCursor() {
    if (this.cursorTimer != null) return;
    const wait = Math.max(0, this.lastCursorAt + this.cursorInterval - this.now());
    this.cursorTimer = this.timers.setTimeout(() => {
      this.cursorTimer = null;
      this._sendCursor();
    }, wait);
  }

  // Our caret is in local-text coordinates; the server only understands
  // server revisions. Send it when nothing of ours is unacknowledged (the two
  // coincide then); an ack re-schedules it.
  _sendCursor() {
    // An observer has no caret (protocol/agreement.md).
    if (!this.mySel || !this.session.joined || !this.ot.inSync || !this.may('write')) return;
    const key = `${this.ot.rev}:${this.mySel[0]}:${this.mySel[1]}`;
    if (key === this.lastCursorSent) return;
    if (this.session.send(cursorMsg(this.ot.rev, this.mySel))) {
      this.lastCursorSent = key;
      this.lastCursorAt = this.now();
    }
  }

  _emitStatus() {
    // Connected, but the server cannot reach its storage (a Redis outage or
    // failover): to the person that is the service reconnecting, with their
    // edits kept, until an edit is acknowledged again.
    const storageDown = this.storageDown && this.unsent > 0 && this.session.status === 'connected';
    this.emit('status', {
      status: storageDown ? 'reconnecting' : this.session.status,
      unsent: this.unsent,
      retryAt: storageDown ? this.retryUntil || null : this.session.retryAt,
      // Connected, but the server could not store our edit (rate limit, an
      // internal error): it is kept and tried again.
      delayed: !storageDown && this.retryTimer != null && this.unsent > 0,
      // Edits kept because the workshop ended before they arrived.
      held: this.ended && this.unsent > 0,
    });
  }

  retryNow() {
    this.retryUntil = 0;
    this.session.retryNow();
    this._pump();
  }

  setOnline(on) {
    this.session.setOnline(on);
  }

  // ---- persistence -----------------------------------------------------

  _scheduleSave() {
    if (!this.persist?.save || this.saveTimer != null) return;
    this.saveTimer = this.timers.setTimeout(() => {
      this.saveTimer = null;
      this._saveNow();
    }, 300);
  }

  /** What a reload needs to resume without losing unsent edits. */
  snapshot() {
    const ot = this.ot;
    // A probe means the in-flight op's fate is unknown; keeping it as
    // in-flight lets the next session probe again.
    return {
      rev: ot.rev,
      serverText: ot.serverText,
      text: ot.text,
      inflight: ot.inflight ? { id: ot.inflight.id, op: ot.inflight.op } : null,
      pending: ot.pending,
      authors: compressRuns(ot.authors.authors),
      people: [...this.presence.known.values()],
      title: this.title,
      me: this.me,
      role: this.role,
    };
  }

  _saveNow() {
    // A copy known to be wrong must not outlive the page.
    if (!this.persist?.save || !this.started || this.broken) return;
    if (this.ot.probing) return; // the base is in flux; the previous save is safer
    try { this.persist.save(this.snapshot()); } catch { /* storage full or disabled */ }
  }

  saveNow() {
    this._saveNow();
  }
}

function compressRuns(arr) {
  const runs = [];
  for (const a of arr) {
    const last = runs[runs.length - 1];
    if (last && last[0] === a) last[1]++;
    else runs.push([a, 1]);
  }
  return runs;
}

function expandRuns(runs, length) {
  const out = [];
  for (const [a, n] of runs) for (let i = 0; i < n; i++) out.push(a);
  while (out.length < length) out.push(null);
  out.length = length;
  return out;
}
