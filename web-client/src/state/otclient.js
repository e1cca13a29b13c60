// The client side of the shared statement, ShareDB-style:
//
//   server text (rev) --inflight--> --pending--> local text
//
// At most one op is in flight (sent, not yet acknowledged): the server's
// de-duplication after a reconnect relies on it. Local edits made meanwhile
// are composed into `pending`. A remote op is transformed against inflight
// and pending before it touches the local text; our ops take side 'left'
// because the server transforms an incoming op with side 'left' over the ops
// it accepted before, and we must end on the same text as the server.
//
// This module is pure (no sockets, no DOM, no clocks) so it can be unit-tested
// and fuzzed against a simulated server.
import { apply, compose, transform, transformSelection } from './ot.js';
import { fineDiffOp } from './textdiff.js';
import { Authorship } from './authorship.js';

const HISTORY = 200;

function randomTag() {
  const bytes = new Uint8Array(9);
  globalThis.crypto.getRandomValues(bytes);
  let s = '';
  for (const b of bytes) s += 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36];
  return s;
}

function sameOp(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (typeof x !== typeof y) return false;
    if (typeof x === 'object') {
      const dx = typeof x.d === 'number' ? x.d : [...x.d].length;
      const dy = typeof y.d === 'number' ? y.d : [...y.d].length;
      if (dx !== dy) return false;
    } else if (x !== y) return false;
  }
  return true;
} // server ops kept to bring late cursors up to date

export class OTClient {
  constructor({ newOpId } = {}) {
    let n = 0;
    // The server de-duplicates by (participant, op id), across reconnects
    // and reloads: ids must never repeat for a participant, so each page
    // session draws a random prefix.
    const session = randomTag();
    this.newOpId = newOpId || (() => `${session}-${++n}`);
    this.selfId = null;
    this.rev = 0;
    this.serverText = '';
    this.text = '';
    this.inflight = null; // {id, op, sent}
    this.pending = null; // op or null
    this.authors = new Authorship(0);
    this.history = []; // [{rev, op}]: op turned rev into rev+1
    this.probe = null; // see beginResync
  }

  /** A fresh snapshot with no local changes (first join). */
  reset(text, rev) {
    this.rev = rev;
    this.serverText = text;
    this.text = text;
    this.inflight = null;
    this.pending = null;
    this.history = [];
    this.probe = null;
    this.authors.reset([...text].length, null);
  }

  get hasLocalChanges() {
    return !!(this.inflight || this.pending);
  }

  get unsentCount() {
    return (this.inflight ? 1 : 0) + (this.pending ? 1 : 0);
  }

  /** A local edit, written against this.text. */
  applyLocal(op) {
    if (!op.length) return;
    this.text = apply(this.text, op);
    this.pending = compose(this.pending, op);
    if (!this.pending.length) this.pending = null;
    this.authors.apply(op, this.selfId);
  }

  /**
   * The op message to send now, or null. The in-flight op is sent once per
   * connection (markUnsent after a reconnect or a retryable error sends it
   * again with the same id, so the server can de-duplicate it).
   */
  outgoing() {
    if (this.probe) {
      if (this.probe.sent) return null;
      this.probe.sent = true;
      return { type: 'op', id: this.probe.id, rev: this.probe.rev, op: this.probe.op };
    }
    if (!this.inflight && this.pending) {
      this.inflight = { id: this.newOpId(), op: this.pending, sent: false };
      this.pending = null;
    }
    if (!this.inflight || this.inflight.sent) return null;
    this.inflight.sent = true;
    return { type: 'op', id: this.inflight.id, rev: this.rev, op: this.inflight.op };
  }

  markUnsent() {
    if (this.inflight) this.inflight.sent = false;
    if (this.probe) this.probe.sent = false;
  }

  get inSync() {
    return !this.inflight && !this.pending && !this.probe;
  }

  _record(rev, op) {
    this.history.push({ rev, op });
    if (this.history.length > HISTORY) this.history.shift();
  }

  /**
   * A remote op at revision rev. Returns {status: 'applied', op} with op
   * rewritten against the previous local text (for the editor), 'duplicate'
   * when already seen, or 'gap' when ops are missing (resync needed).
   */
  receiveOp(rev, op, author, id) {
    if (rev < this.rev) return { status: 'duplicate' };
    if (rev > this.rev) return { status: 'gap' };
    // Our own in-flight op, accepted from a connection we already gave up on
    // (its frames still reached the server), comes back as a broadcast to
    // this connection. The server adds its id; should it not, our copy,
    // transformed over the same ops as the server's, is identical to it.
    if (author != null && author === this.selfId && this.inflight &&
        (id != null ? String(id) === String(this.inflight.id) : sameOp(op, this.inflight.op))) {
      this.receiveAck(this.inflight.id, rev);
      return { status: 'own' };
    }
    this.serverText = apply(this.serverText, op);
    this._record(rev, op);
    this.rev = rev + 1;
    let r = op;
    if (this.inflight) {
      const mine = this.inflight.op;
      this.inflight.op = transform(mine, r, 'left');
      r = transform(r, mine, 'right');
    }
    if (this.pending) {
      const mine = this.pending;
      this.pending = transform(mine, r, 'left');
      r = transform(r, mine, 'right');
      if (!this.pending.length) this.pending = null;
    }
    this.text = apply(this.text, r);
    this.authors.apply(r, author ?? null);
    return { status: 'applied', op: r };
  }

  /** Ack of our in-flight op: 'acked', 'ignored' (not ours / late) or 'gap'. */
  receiveAck(id, rev) {
    if (!this.inflight || this.inflight.id !== id) return { status: 'ignored' };
    if (rev > this.rev) return { status: 'gap' };
    if (rev < this.rev) {
      // Acknowledged at a revision we already passed: the op was applied
      // here once as someone's op and is still held as ours. The spec rules
      // this out (our own ops come back with their id); if it happens, our
      // copy has the op twice and only a reload can repair it.
      return { status: 'desync' };
    }
    this.serverText = apply(this.serverText, this.inflight.op);
    this._record(rev, this.inflight.op);
    this.rev = rev + 1;
    this.inflight = null;
    return { status: 'acked' };
  }

  /**
   * Replay the ops missed while disconnected (welcome after resume). Our own
   * in-flight op is recognised by its id and counts as acknowledged. Returns
   * the list of changes to show ({op, author}) or null if the result does not
   * line up with docRev (then a full resync is needed).
   */
  replayMissed(missed, docRev) {
    const changes = [];
    for (const m of missed) {
      if (this.inflight && m.id != null && String(m.id) === String(this.inflight.id) &&
          (m.author === this.selfId || this.selfId == null)) {
        const res = this.receiveAck(this.inflight.id, m.rev);
        if (res.status !== 'acked') return null;
        continue;
      }
      const res = this.receiveOp(m.rev, m.op, m.author);
      if (res.status === 'gap') return null;
      if (res.status === 'applied') changes.push({ op: res.op, author: m.author ?? null });
    }
    if (this.rev !== docRev) return null;
    this.markUnsent();
    return changes;
  }

  /**
   * The server sent a full snapshot (our revision fell out of its window).
   * Without local changes we just adopt it. With an in-flight op we cannot
   * tell whether the server took it before the disconnect, so we probe: send
   * it again with its id and its old revision. The server acknowledges an id
   * it already accepted; otherwise the old revision is stale. Until
   * resolveProbe() is called, remote messages must be held back.
   *
   * Returns {change} (an op on the local text, author unknown) or {probe: true}.
   */
  beginResync(text, rev) {
    if (!this.inflight) {
      return { change: this._rebaseOnto(this.serverText, null, text, rev) };
    }
    this.probe = {
      id: this.inflight.id,
      rev: this.rev,
      op: this.inflight.op,
      sent: false,
      target: { text, rev },
    };
    return { probe: true };
  }

  get probing() {
    return !!this.probe;
  }

  /**
   * included: the server had accepted our in-flight op (acked), or not
   * (stale). Returns the change to show on the local text.
   */
  resolveProbe(included) {
    const { target } = this.probe;
    this.probe = null;
    const mine = this.inflight.op;
    this.inflight = null;
    if (included) {
      // The snapshot already holds our op: rebase only what came after it.
      return this._rebaseOnto(apply(this.serverText, mine), null, target.text, target.rev);
    }
    return this._rebaseOnto(this.serverText, mine, target.text, target.rev);
  }

  // Local changes `local` (may be null) followed by this.pending, all written
  // on top of `base`; the server is now at `text`/`rev`. What happened on the
  // server in between is only known as a text difference, so it is turned
  // into one op and transformed like any remote op.
  _rebaseOnto(base, local, text, rev) {
    const theirs = fineDiffOp(base, text);
    let mine = compose(local, this.pending);
    if (!mine.length) mine = null;
    let r = theirs;
    if (mine) {
      const m2 = transform(mine, theirs, 'left');
      r = transform(theirs, mine, 'right');
      mine = m2.length ? m2 : null;
    }
    this.serverText = text;
    this.rev = rev;
    this.history = [];
    this.pending = mine;
    this.inflight = null;
    this.text = apply(this.text, r);
    this.authors.apply(r, null);
    return r;
  }

  /**
   * A remote selection at server revision rev, mapped to the local text.
   * Returns null when rev is too old to map.
   */
  mapSelection(sel, rev, after = false) {
    let s = sel;
    if (rev < this.rev) {
      const first = this.history.length ? this.history[0].rev : this.rev;
      if (rev < first) return null;
      for (const h of this.history) if (h.rev >= rev) s = transformSelection(s, h.op, after);
    }
    if (this.inflight) s = transformSelection(s, this.inflight.op);
    if (this.pending) s = transformSelection(s, this.pending);
    return s;
  }
}
