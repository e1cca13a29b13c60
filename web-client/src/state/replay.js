// The replay of a workshop (protocol/history.md): its events, the statement
// and who wrote each part of it at any moment, who was present and the polls.
// Pure: no DOM, no fetch (the loader is handed an `api`).
//
// The time axis is the event index: position i is the workshop just after
// its i-th event (0 is the creation). A long pause is one step like any
// other, so the slider stays usable; the view shows the clock time.
//
// The marks (every non-edit event, `only=marks`) are loaded first: with the
// current revision they give the whole axis (a mark with revision r that is
// the j-th mark sits at position r + j; ops fill the gaps), who was present
// and the polls at every position, before any edit is read. The edits follow
// page by page; until a revision's edits are in, the view asks the server for
// the text at that revision (`/state?rev=R`, no authorship).
//
// The text is kept as a list of immutable chunks (about 256 code points each,
// with run-length authorship: [org, length, org, length, …]). An op replaces
// only the chunks it touches, so a checkpoint (every `checkpointEvery`
// revisions) is a shallow copy of the list and shares the unchanged chunks
// with its neighbours, and the view redraws only chunks it has not drawn.
// Positions count code points (ot-text-unicode).
import { cpLength } from './unicode.js';
import { AGENDA_EVENTS, NO_AGENDA, foldAgenda } from './agenda.js';
import { NO_VOTES, WritingTally, balanceRows, foldVotes } from './balance.js';
import { NO_BOARD, foldBoard } from './board.js';
import { NO_SIGNOFF, SIGNOFF_EVENTS, foldSignoff } from './signoff.js';

export const UNKNOWN = 0; // org id of text whose author is unknown (the starting text)
export const MAX_CHUNK = 512; // UTF-16 units in a chunk (but a longer line): small, as an edit copies its chunk
const TARGET_CHUNK = 256;
const MIN_CHUNK = 64;
const HAS_SURROGATE = /[\ud800-\udfff]/;

let chunkIds = 0;

/**
 * An immutable piece of text: `len` code points, authorship `runs`.
 * `astral`: whether it may hold a surrogate pair (then offsets are counted
 * pair by pair); an edit passes what it knows (the old chunk's flag, or that
 * of the text inserted), so that a chunk is not searched whole at each edit.
 */
export function makeChunk(text, len, runs, astral = HAS_SURROGATE.test(text)) {
  return { id: ++chunkIds, text, len, astral, runs };
}

/** UTF-16 offset of code point `cp` in a chunk. */
function unitOf(chunk, cp) {
  if (!chunk.astral) return cp;
  const s = chunk.text;
  let i = 0;
  while (cp > 0 && i < s.length) {
    const c = s.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < s.length ? 2 : 1;
    cp--;
  }
  return i;
}

// ---- run-length authorship ---------------------------------------------------

function runsPush(out, org, len) {
  if (len <= 0) return;
  const n = out.length;
  if (n && out[n - 2] === org) out[n - 1] += len;
  else out.push(org, len);
}

/** runs[from, to) as a new array, appended to `out` (merging at the seam). */
function runsSlice(runs, from, to, out = []) {
  let at = 0;
  for (let i = 0; i < runs.length && at < to; i += 2) {
    const end = at + runs[i + 1];
    if (end > from) runsPush(out, runs[i], Math.min(end, to) - Math.max(at, from));
    at = end;
  }
  return out;
}

function runsConcat(a, b) {
  const out = a.slice();
  for (let i = 0; i < b.length; i += 2) runsPush(out, b[i], b[i + 1]);
  return out;
}

/**
 * Split a text into chunks of about TARGET_CHUNK code points, cutting only
 * just after a line break: every chunk but the last ends with "\n", so the
 * view can draw each chunk as its own block (a change re-lays out one block,
 * not the whole text). A line longer than MAX_CHUNK stays in one chunk.
 */
function chunksOf(text, runs) {
  const out = [];
  let u = 0;
  let cp = 0;
  const total = text.length;
  while (u < total) {
    let end = total;
    if (total - u > MAX_CHUNK) {
      let cut = text.lastIndexOf('\n', u + TARGET_CHUNK);
      if (cut < u) cut = text.indexOf('\n', u + TARGET_CHUNK);
      end = cut < 0 ? total : cut + 1;
    }
    const piece = text.slice(u, end);
    const n = cpLength(piece);
    out.push(makeChunk(piece, n, runsSlice(runs, cp, cp + n)));
    u = end;
    cp += n;
  }
  return out;
}

const endsLine = (c) => c.text.charCodeAt(c.text.length - 1) === 10;

// ---- the document ---------------------------------------------------------------

/** The statement at one revision: chunks (shared, immutable) and the revision. */
export class Doc {
  constructor(chunks = [], rev = 0) {
    this.chunks = chunks;
    this.rev = rev;
    this.len = 0;
    for (const c of chunks) this.len += c.len;
    this._k = 0; // chunk found last, and its start: edits are local
    this._start = 0;
  }

  static fromText(text, org = UNKNOWN, rev = 0) {
    const n = cpLength(text);
    return new Doc(chunksOf(text, n ? [org, n] : []), rev);
  }

  clone() {
    return new Doc(this.chunks.slice(), this.rev);
  }

  get text() {
    let s = '';
    for (const c of this.chunks) s += c.text;
    return s;
  }

  /** Authorship of the whole text: [{org, length}] (org ids, UNKNOWN = 0). */
  runs() {
    const flat = [];
    for (const c of this.chunks) for (let i = 0; i < c.runs.length; i += 2) runsPush(flat, c.runs[i], c.runs[i + 1]);
    const out = [];
    for (let i = 0; i < flat.length; i += 2) out.push({ org: flat[i], length: flat[i + 1] });
    return out;
  }

  /** Index of the chunk holding code point pos (pos === len: the last chunk), and its start. */
  _find(pos) {
    const cs = this.chunks;
    let k = this._k;
    let start = this._start;
    if (k >= cs.length) { k = 0; start = 0; }
    while (k > 0 && start > pos) { k--; start -= cs[k].len; }
    while (k < cs.length - 1 && start + cs[k].len <= pos) { start += cs[k].len; k++; }
    this._k = k;
    this._start = start;
    return [k, start];
  }

  _replace(k, count, chunks) {
    this.chunks.splice(k, count, ...chunks);
  }

  insert(pos, s, org) {
    const n = cpLength(s);
    if (!n) return;
    if (!this.chunks.length) {
      this.chunks = chunksOf(s, [org, n]);
      this.len = n;
      return;
    }
    // Into the chunk holding pos (at its start rather than at the end of the
    // one before), so every chunk but the last still ends with its line break.
    const [k, start] = this._find(pos);
    const c = this.chunks[k];
    const off = pos - start;
    const u = unitOf(c, off);
    const text = c.text.slice(0, u) + s + c.text.slice(u);
    const runs = runsSlice(c.runs, 0, off);
    runsPush(runs, org, n);
    runsSlice(c.runs, off, c.len, runs);
    const len = c.len + n;
    const astral = c.astral || (n !== s.length); // the text inserted holds a pair when its units outnumber its code points
    this._replace(k, 1, text.length <= MAX_CHUNK ? [makeChunk(text, len, runs, astral)] : chunksOf(text, runs));
    this.len += n;
  }

  delete(pos, n) {
    let first = -1;
    while (n > 0 && this.len > pos) {
      const [k, start] = this._find(pos);
      if (first < 0) first = k;
      const c = this.chunks[k];
      const off = pos - start;
      const d = Math.min(n, c.len - off);
      if (d === c.len) {
        this._replace(k, 1, []);
        this._k = Math.max(0, k - 1);
        this._start = k > 0 ? start - this.chunks[k - 1].len : 0;
      } else {
        const text = c.text.slice(0, unitOf(c, off)) + c.text.slice(unitOf(c, off + d));
        const runs = runsSlice(c.runs, 0, off);
        runsSlice(c.runs, off + d, c.len, runs);
        this._replace(k, 1, [makeChunk(text, c.len - d, runs, c.astral)]);
      }
      this.len -= d;
      n -= d;
    }
    if (first >= 0) this._fix(first);
  }

  /**
   * After a delete around chunk k: a chunk that lost its final line break
   * joins the next one, and small chunks join a neighbour.
   */
  _fix(k) {
    const cs = this.chunks;
    for (let i = Math.max(0, k - 1); i <= k + 1 && i < cs.length; i++) {
      const c = cs[i];
      const last = i === cs.length - 1;
      let j = -1;
      if (!last && !endsLine(c)) j = i + 1;
      else if (c.len < MIN_CHUNK) {
        if (!last && cs[i + 1].text.length + c.text.length <= MAX_CHUNK) j = i + 1; // units, as chunksOf splits by units
        else if (i > 0 && cs[i - 1].text.length + c.text.length <= MAX_CHUNK) j = i - 1;
      }
      if (j < 0) continue;
      const lo = Math.min(i, j);
      const a = cs[lo];
      const b = cs[lo + 1];
      const text = a.text + b.text;
      const runs = runsConcat(a.runs, b.runs);
      cs.splice(lo, 2, ...(text.length <= MAX_CHUNK ? [makeChunk(text, a.len + b.len, runs, a.astral || b.astral)] : chunksOf(text, runs)));
      i = lo - 1; // look at the joined chunk again
      if (i < Math.max(0, k - 1) - 1) break;
    }
    this._k = 0;
    this._start = 0;
  }

  /** Apply an ot-text-unicode op whose inserts are by organisation `org`. */
  apply(op, org) {
    let pos = 0;
    for (const c of op) {
      if (typeof c === 'number') pos += c;
      else if (typeof c === 'string') { this.insert(pos, c, org); pos += cpLength(c); }
      else if (c && c.d != null) this.delete(pos, typeof c.d === 'number' ? c.d : cpLength(c.d));
    }
    this.rev++;
  }
}

// ---- presence, polls, the agenda and votes, folded from the marks -----------------

const POLL_TYPES = new Set(['poll_created', 'poll_edited', 'poll_opened', 'poll_closed', 'poll_reopened', 'poll_results', 'poll_deleted', 'ballot', 'answer', 'upvote', 'poll_passage']);
// A passage's changes (poll_passage, one per edit of its text) are folded, not marked on the timeline.
export const POLL_STEPS = new Set(['poll_created', 'poll_edited', 'poll_opened', 'poll_closed', 'poll_reopened', 'poll_results', 'poll_deleted']);
// The "to discuss" list's events (protocol/polls.md): each carries the list after it.
export const DISCUSS_EVENTS = new Set(['discuss_added', 'discuss_checked', 'discuss_removed']);

/**
 * The moment after a mark, from the moment before it: {present, polls,
 * agenda (state/agenda.js), votes (ballots and answers by organisation,
 * state/balance.js), board, discuss, signoff (state/signoff.js)}. Never mutates `prev`; a part that did not change is
 * the same object as before (the view redraws by identity).
 */
export function foldMark(prev, ev) {
  if (typeof ev.type === 'string' && ev.type.startsWith('board_')) { // issue 16: the priorities board
    const board = foldBoard(prev.board, ev);
    return board === prev.board ? prev : { ...prev, board };
  }
  if (AGENDA_EVENTS.has(ev.type) || ev.type === 'created') {
    const agenda = foldAgenda(prev.agenda, ev);
    return agenda === prev.agenda ? prev : { ...prev, agenda };
  }
  if (DISCUSS_EVENTS.has(ev.type)) return Array.isArray(ev.items) ? { ...prev, discuss: ev.items } : prev;
  if (SIGNOFF_EVENTS.has(ev.type)) { // issue 13: the sign-off as it stood
    const signoff = foldSignoff(prev.signoff, ev);
    return signoff === prev.signoff ? prev : { ...prev, signoff };
  }
  if (ev.type === 'arrived') {
    const present = prev.present.slice();
    const at = present.findIndex((p) => p.participant === ev.participant);
    if (at >= 0) present[at] = { ...present[at], count: present[at].count + 1 };
    else present.push({ participant: ev.participant, name: ev.name, org: ev.org, role: ev.role, count: 1 });
    return { ...prev, present };
  }
  if (ev.type === 'role') {
    // A representative designated (or made a participant again) while present.
    const at = prev.present.findIndex((p) => p.participant === ev.participant);
    if (at < 0 || prev.present[at].role === ev.role || typeof ev.role !== 'string') return prev;
    const present = prev.present.slice();
    present[at] = { ...present[at], role: ev.role };
    return { ...prev, present };
  }
  if (ev.type === 'departed') {
    const at = prev.present.findIndex((p) => p.participant === ev.participant);
    if (at < 0) return prev;
    const present = prev.present.slice();
    if (present[at].count > 1) present[at] = { ...present[at], count: present[at].count - 1 };
    else present.splice(at, 1);
    return { ...prev, present };
  }
  if (POLL_TYPES.has(ev.type) && ev.poll && typeof ev.poll.id === 'string') {
    const polls = prev.polls.slice();
    const at = polls.findIndex((p) => p.poll.id === ev.poll.id);
    if (ev.type === 'poll_deleted' || ev.poll.state === 'deleted') {
      if (at >= 0) polls.splice(at, 1);
    } else {
      const entry = { poll: ev.poll, results: ev.results ?? null };
      if (at >= 0) polls[at] = entry;
      else polls.push(entry);
    }
    return { ...prev, polls, votes: foldVotes(prev.votes, ev) };
  }
  return prev;
}

const EMPTY_MOMENT = Object.freeze({ present: Object.freeze([]), polls: Object.freeze([]), agenda: NO_AGENDA, votes: NO_VOTES, board: NO_BOARD, discuss: Object.freeze([]), signoff: NO_SIGNOFF });

// ---- the replay --------------------------------------------------------------------

export class Replay {
  constructor({ checkpointEvery = 1000 } = {}) {
    this.checkpointEvery = checkpointEvery;
    this.title = '';
    this.created = null;
    this.marks = []; // mark events, in order
    this.markPos = []; // their positions on the axis
    this.moments = []; // presence and polls just after each mark
    this.finalRev = null; // the revision at the end of the axis (set by finishMarks)
    this.ops = []; // ops[r]: the op that made revision r + 1
    this.opOrg = []; // its organisation (id)
    this.opT = []; // its time
    this.opAuthor = []; // its author (participant id)
    this.orgs = [null]; // org id -> name (0: unknown)
    this.orgIds = new Map();
    this.base = null; // the starting text (revision 0)
    this.checkpoints = []; // checkpoints[k]: chunks at revision k * checkpointEvery
    this.builder = null; // a Doc walking forward over loaded ops to make checkpoints
    this.writing = new WritingTally(); // writing by organisation over the ops loaded
    this.writingCheckpoints = [new Map()]; // [k]: the writing over ops below revision k * checkpointEvery
  }

  // -- loading ------------------------------------------------------------------------

  addMarks(events) {
    for (const ev of events) {
      if (!ev || ev.type === 'op') continue;
      const last = this.marks[this.marks.length - 1];
      if (last && ev.id && last.id === ev.id) continue;
      if (ev.type === 'created') {
        if (ev.title != null) this.title = ev.title;
        if (this.created == null) this.created = ev.t;
      }
      const rev = Number(ev.rev) || 0;
      this.markPos.push(rev + this.marks.length);
      this.marks.push(ev);
      this.moments.push(foldMark(this.moments.length ? this.moments[this.moments.length - 1] : EMPTY_MOMENT, ev));
    }
  }

  /** All marks are in; `rev` is the workshop's revision when they were read. */
  finishMarks(rev) {
    const lastMarkRev = this.marks.length ? Number(this.marks[this.marks.length - 1].rev) || 0 : 0;
    this.finalRev = Math.max(rev || 0, lastMarkRev);
  }

  /** Number of positions on the axis (0 .. length - 1). */
  get length() {
    return (this.finalRev ?? 0) + Math.max(1, this.marks.length);
  }

  setBase(text) {
    this.base = String(text ?? '');
    const doc = Doc.fromText(this.base);
    this.checkpoints = [doc.chunks.slice()];
    this.builder = doc;
    this._build(Infinity);
  }

  orgId(name) {
    if (name == null || name === '') return UNKNOWN;
    let id = this.orgIds.get(name);
    if (id === undefined) {
      id = this.orgs.length;
      this.orgs.push(name);
      this.orgIds.set(name, id);
    }
    return id;
  }

  /** A page of the full history: keeps the ops (marks came with only=marks). */
  addEvents(events) {
    for (const ev of events) {
      if (!ev || ev.type !== 'op') continue;
      this._addOp(Number(ev.rev), ev.op, ev.org, ev.t, ev.author ?? null);
    }
  }

  /**
   * A compact page of edits (history.md): ops [dt, who, op] from revision
   * page.from, times as deltas from page.t0, who an index into page.who
   * ([author, organisation]). Pages come in revision order.
   */
  addCompact(page) {
    const who = Array.isArray(page?.who) ? page.who : [];
    const ops = Array.isArray(page?.ops) ? page.ops : [];
    let t = Number(page?.t0) || 0;
    for (let i = 0; i < ops.length; i++) {
      const [dt, w, op] = ops[i];
      const pair = who[w];
      if (!pair || !Array.isArray(op)) throw new Error(`history: compact op ${Number(page.from) + i} does not read`);
      t += dt;
      this._addOp(Number(page.from) + i, op, pair[1], t, pair[0]);
    }
  }

  /** The op that made revision r + 1, by organisation `org` (a name). */
  _addOp(r, op, org, t, author) {
    if (this.finalRev != null && r >= this.finalRev) return; // after the axis ends
    if (r < this.ops.length) return; // seen
    if (r !== this.ops.length) throw new Error(`history: op for revision ${r} while expecting ${this.ops.length}`);
    this.ops.push(op);
    this.opOrg.push(this.orgId(org));
    this.opT.push(t);
    this.opAuthor.push(author);
    this.writing.add(org, op);
    if (this.ops.length % this.checkpointEvery === 0) this.writingCheckpoints[this.ops.length / this.checkpointEvery] = this.writing.snapshot();
  }

  /** Ops known for every revision below this. */
  get loadedRev() {
    return this.ops.length;
  }

  get complete() {
    return this.finalRev != null && this.ops.length >= this.finalRev && this.builtRev >= this.finalRev;
  }

  /** Checkpoints made up to here; text is computed locally up to this revision. */
  get builtRev() {
    return this.builder ? this.builder.rev : 0;
  }

  /** Walk the builder over loaded ops for at most `budget` ops; returns how many. */
  _build(budget) {
    const b = this.builder;
    if (!b) return 0;
    let n = 0;
    while (b.rev < this.ops.length && n < budget) {
      b.apply(this.ops[b.rev], this.opOrg[b.rev]);
      n++;
      if (b.rev % this.checkpointEvery === 0) this.checkpoints[b.rev / this.checkpointEvery] = b.chunks.slice();
    }
    return n;
  }

  /** Make checkpoints for at most `budget` more ops (call between frames). */
  build(budget = Infinity) {
    return this._build(budget);
  }

  // -- the axis ---------------------------------------------------------------------

  /** Index of the last mark at or before position i (-1: none). */
  markAt(i) {
    let lo = 0;
    let hi = this.markPos.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.markPos[mid] <= i) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return found;
  }

  /** The statement's revision just after the event at position i. */
  revAt(i) {
    return Math.max(0, Math.min(this.finalRev ?? Infinity, i + 1 - (this.markAt(i) + 1)));
  }

  /** Position of the op that made revision rev (rev >= 1): after every mark of a lower revision. */
  positionOfRev(rev) {
    if (rev <= 0) return 0;
    // marks with mark.rev <= rev - 1 come before that op.
    let lo = 0;
    let hi = this.marks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((Number(this.marks[mid].rev) || 0) <= rev - 1) lo = mid + 1; else hi = mid;
    }
    return rev - 1 + lo;
  }

  /** The event at position i: {kind: 'mark', event, index} or {kind: 'op', rev, op, org, t} (op null if not loaded). */
  eventAt(i) {
    const j = this.markAt(i);
    if (j >= 0 && this.markPos[j] === i) return { kind: 'mark', event: this.marks[j], index: j };
    const r = this.revAt(i) - 1;
    return { kind: 'op', rev: r, op: this.ops[r] ?? null, org: r < this.ops.length ? this.orgs[this.opOrg[r]] : null, t: this.opT[r] ?? null };
  }

  /** Server time of the event at position i, or null if not loaded yet. */
  timeAt(i) {
    const e = this.eventAt(i);
    return e.kind === 'mark' ? e.event.t : e.t;
  }

  /** Best known time at position i: its own, else the last mark's before it. */
  timeNear(i) {
    const t = this.timeAt(i);
    if (t != null) return { t, exact: true };
    const j = this.markAt(i);
    return { t: j >= 0 ? this.marks[j].t : this.created, exact: false };
  }

  /** Presence, polls, agenda and votes just after position i (see foldMark; shared, do not mutate). */
  momentAt(i) {
    const j = this.markAt(i);
    return j >= 0 ? this.moments[j] : EMPTY_MOMENT;
  }

  /** Can the text at position i be computed here (its ops are in)? */
  canShow(i) {
    return this.base != null && this.revAt(i) <= this.builtRev;
  }

  /** The last position whose text can be computed here now. */
  lastShowable() {
    if (this.base == null) return 0;
    if (this.builtRev >= (this.finalRev ?? 0)) return this.length - 1;
    return this.positionOfRev(this.builtRev + 1) - 1;
  }

  /**
   * The agenda and the server's time just after position i: {agenda:
   * {phases, timer}, t} (the countdown then is timeLeft(agenda.timer, t)).
   */
  agendaAt(i) {
    return { agenda: this.momentAt(i).agenda, t: this.timeNear(i).t };
  }

  /** The workshop's chapters: each phase started, {pos, event} in time order. */
  chapters() {
    return this.timelineMarks().filter((m) => m.kind === 'chapter');
  }

  /** Writing by organisation over the ops below revision rev (Map org -> {ins, del}), or null if not loaded. */
  writingAt(rev) {
    if (rev > this.ops.length) return null;
    const k = Math.floor(rev / this.checkpointEvery);
    const tally = WritingTally.from(this.writingCheckpoints[k]);
    for (let r = k * this.checkpointEvery; r < rev; r++) tally.add(this.orgs[this.opOrg[r]], this.ops[r]);
    return tally.byOrg;
  }

  /**
   * The contribution balance just after position i, shaped as the `balance`
   * message's organisations (state/balance.js says what is counted), or
   * null while the edits up to there are not loaded.
   */
  balanceAt(i) {
    const writing = this.writingAt(this.revAt(i));
    if (!writing) return null;
    const m = this.momentAt(i);
    return { organisations: balanceRows({ writing, votes: m.votes, present: m.present }), unattributed: m.votes.unattributed };
  }

  /** Marks worth drawing on the timeline: arrivals, poll steps, chapters (phases started), the sign-off's steps, the end and a reopening. */
  timelineMarks() {
    if (this._tm && this._tm.n === this.marks.length) return this._tm.list;
    const out = [];
    for (let j = 0; j < this.marks.length; j++) {
      const ev = this.marks[j];
      if (ev.type === 'arrived') out.push({ kind: 'arrival', pos: this.markPos[j], event: ev });
      else if (POLL_STEPS.has(ev.type) || DISCUSS_EVENTS.has(ev.type)) out.push({ kind: 'poll', pos: this.markPos[j], event: ev });
      else if (ev.type === 'phase_started') out.push({ kind: 'chapter', pos: this.markPos[j], event: ev });
      else if (SIGNOFF_EVENTS.has(ev.type)) out.push({ kind: 'signoff', pos: this.markPos[j], event: ev });
      else if (ev.type === 'ended' || ev.type === 'reopened') out.push({ kind: 'end', pos: this.markPos[j], event: ev });
    }
    this._tm = { n: this.marks.length, list: out };
    return out;
  }

  /** Position of the next (dir 1) or previous (dir -1) timeline mark from i, or -1. */
  nextMark(i, dir) {
    const marks = this.timelineMarks();
    if (dir > 0) return marks.find((m) => m.pos > i)?.pos ?? -1;
    for (let k = marks.length - 1; k >= 0; k--) if (marks[k].pos < i) return marks[k].pos;
    return -1;
  }

  // -- the text -----------------------------------------------------------------------

  /** A Doc at revision rev from the nearest checkpoint (rev <= builtRev). */
  docAt(rev, from = null) {
    if (rev > this.builtRev) throw new Error(`revision ${rev} is not loaded yet`);
    const k = Math.floor(rev / this.checkpointEvery);
    const cpRev = k * this.checkpointEvery;
    let doc;
    if (from && from.rev <= rev && from.rev >= cpRev) doc = from; // going forward from here is shorter
    else doc = new Doc(this.checkpoints[k].slice(), cpRev);
    this.forward(doc, rev);
    return doc;
  }

  /** Move doc forward to revision rev (applying ops). */
  forward(doc, rev, budget = Infinity) {
    let n = 0;
    while (doc.rev < rev && n < budget) {
      doc.apply(this.ops[doc.rev], this.opOrg[doc.rev]);
      n++;
    }
    return n;
  }
}

// ---- loading from the server ------------------------------------------------------

const RANGES = 6; // compact ranges asked for at once (a browser's connections to one server)
const MIN_RANGE = 20000; // revisions: a shorter history is fewer ranges
const BUILD_SLICE_MS = 12; // checkpoint building between two yields to the page

/** [from, to) ranges of revisions covering 0..total, at most RANGES of them. */
export function splitRanges(total, { ranges = RANGES, min = MIN_RANGE } = {}) {
  const n = Math.max(1, Math.min(ranges, Math.ceil(total / min)));
  const out = [];
  for (let k = 0; k < n; k++) {
    const from = Math.floor((total * k) / n);
    const to = Math.floor((total * (k + 1)) / n);
    if (to > from) out.push([from, to]);
  }
  return out;
}

/**
 * The compact pages of the range [from, to) as a chain: {page, rest}, where
 * rest is the promise of the next link (asked for as soon as this page is
 * in) or null. Rejections are left for whoever awaits the link.
 */
function fetchRange(api, from, to) {
  const link = api.edits({ from, to }).then((page) => {
    const next = page && page.next != null ? Number(page.next) : null;
    if (next != null && !(next > from && next < to)) throw new Error(`history: a compact page from ${from} goes on at ${next}`);
    return { page, rest: next != null ? fetchRange(api, next, to) : null };
  });
  link.catch(() => {}); // awaited (and thrown) in turn
  return link;
}

/**
 * Fill a Replay from the server. api: {history({after, limit, only}),
 * edits({from, to}), state({rev})} returning the parsed replies (or
 * throwing). onMarks() is called once the axis, presence and polls are known
 * (the page is usable from then on: the text of a moment not loaded yet is
 * asked of /state); onProgress({phase, loaded, total}) after each page;
 * `idle()` (optional) is awaited between slices of checkpoint building so the
 * page stays responsive. Returns when everything is in. `isCancelled()` stops
 * it early. `minRange`: the fewest revisions worth a range of their own.
 *
 * The edits come as compact pages (history.md), RANGES ranges of revisions
 * asked for at once: the time of a long history is one round trip and the
 * building of its checkpoints, not a round trip per page. Ranges are added
 * in revision order as they arrive, so the replay plays from the start while
 * the end is on its way.
 */
export async function loadReplay(replay, api, { onProgress = () => {}, idle = null, isCancelled = () => false, limit = 10000, onMarks = () => {}, minRange = MIN_RANGE } = {}) {
  // 1. the marks (the axis, presence and polls) and the starting text, together.
  const start = api.state({ rev: 0 });
  start.catch(() => {}); // awaited below
  let after = null;
  let page;
  do {
    page = await api.history({ after, limit, only: 'marks' });
    if (isCancelled()) return;
    if (page.title != null && !replay.title) replay.title = page.title;
    if (page.created != null && replay.created == null) replay.created = page.created;
    replay.addMarks(page.events || []);
    after = page.next;
  } while (after);
  replay.finishMarks(page.rev);
  // 2. the edits, every range asked for now; the starting text meanwhile.
  const ranges = replay.finalRev > 0 ? splitRanges(replay.finalRev, { min: minRange }).map(([from, to]) => fetchRange(api, from, to)) : [];
  replay.setBase((await start).text ?? '');
  if (isCancelled()) return;
  onMarks();
  onProgress({ phase: 'ops', loaded: 0, total: replay.finalRev });
  // 3. each range's pages in order, building checkpoints as they come.
  const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());
  for (const range of ranges) {
    let link = await range;
    while (link) {
      if (isCancelled()) return;
      replay.addCompact(link.page);
      while (replay.builtRev < replay.loadedRev) {
        const t0 = now();
        do replay.build(500); while (replay.builtRev < replay.loadedRev && (!idle || now() - t0 < BUILD_SLICE_MS));
        if (idle) await idle();
        if (isCancelled()) return;
      }
      onProgress({ phase: 'ops', loaded: replay.loadedRev, total: replay.finalRev });
      link = link.rest && await link.rest;
    }
  }
  if (replay.loadedRev < replay.finalRev) throw new Error(`history ended at revision ${replay.loadedRev} of ${replay.finalRev}`);
  onProgress({ phase: 'done', loaded: replay.loadedRev, total: replay.finalRev });
}

// ---- playing ---------------------------------------------------------------------

export const MAX_PAUSE_MS = 2000; // a longer silence plays as this long
export const SPEEDS = ['1', '4', '16', 'max'];
const MAX_FRAME_MS = 100; // a frame late by more (a hidden tab) does not jump ahead

/**
 * Where the replay is (`pos`, the position last asked for) and timed playing
 * (1×, 4×, 16×): the real time between two events, divided by the speed,
 * pauses capped at MAX_PAUSE_MS. "max" is the view's business (as many events
 * as fit in a frame). Times not loaded yet count as no pause.
 *
 * Every move is made from `pos`, never from what is on screen: the view draws
 * a move at its next frame, and two clicks on "next" before that frame are
 * two steps.
 */
export class Player {
  constructor(replay) {
    this.replay = replay;
    this.pos = 0;
    this.speed = 1;
    this.playing = false;
    this.carry = 0; // virtual ms waited since the current event
    this.last = 0;
  }

  play(now) {
    this.playing = true;
    this.last = now;
    this.carry = 0;
  }

  pause() {
    this.playing = false;
  }

  /** Stop playing and go to position pos (kept on the axis); returns the position. */
  seek(pos) {
    this.pause();
    this.pos = Math.max(0, Math.min(this.replay.length - 1, pos));
    return this.pos;
  }

  /** One event forward (dir 1) or back (dir -1) from the position last asked for. */
  step(dir) {
    return this.seek(this.pos + dir);
  }

  /** To the next or previous timeline mark, else to that end of the axis. */
  stepMark(dir) {
    const p = this.replay.nextMark(this.pos, dir);
    return this.seek(p >= 0 ? p : dir > 0 ? this.replay.length - 1 : 0);
  }

  /** Wait between the event at i and the next one, at 1×. */
  delayAfter(i) {
    const a = this.replay.timeAt(i);
    const b = this.replay.timeAt(i + 1);
    if (a == null || b == null) return 0;
    return Math.max(0, Math.min(MAX_PAUSE_MS, b - a));
  }

  /** Move on to where the clock says at `now`, not beyond `limit`; returns the position. */
  advance(now, limit) {
    const dt = Math.max(0, Math.min(MAX_FRAME_MS, now - this.last));
    this.last = now;
    this.carry += dt * this.speed;
    let pos = this.pos;
    while (pos < limit) {
      const d = this.delayAfter(pos);
      if (this.carry < d) break;
      this.carry -= d;
      pos++;
    }
    if (pos >= limit) this.carry = 0;
    this.pos = pos;
    return pos;
  }
}
