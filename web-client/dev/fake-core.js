// An in-memory stand-in for the Atelier server's protocol logic, written from
// protocol/README.md, so the client's unit tests hold a real protocol
// conversation without sockets or Redis (see sim.js). It is not the server:
// when they disagree, the spec and the C server win.
import { randomBytes } from 'node:crypto';
import { type } from 'ot-text-unicode';

const b64 = (n) => randomBytes(n).toString('base64url');
const cps = (s) => [...s].length;

function validLabel(s, max) {
  return typeof s === 'string' && cps(s.trim()) >= 1 && cps(s) <= max && !/[\u0000-\u001f\u007f]/.test(s);
}

/** The server's stricter op rules (see the spec's "Ops" section). */
export function strictOpError(op, docLen) {
  if (!Array.isArray(op) || op.length === 0) return 'op must be a non-empty array';
  let pos = 0;
  let lastKind = null;
  for (const c of op) {
    let kind;
    if (typeof c === 'number') {
      if (!Number.isInteger(c) || c <= 0) return 'skip must be a positive integer';
      kind = 's';
      pos += c;
    } else if (typeof c === 'string') {
      if (!c.length) return 'empty insert';
      kind = 'i';
    } else if (c && typeof c === 'object' && (typeof c.d === 'number' || typeof c.d === 'string')) {
      if (typeof c.d === 'number' && (!Number.isInteger(c.d) || c.d <= 0)) return 'bad delete';
      if (typeof c.d === 'string' && !c.d.length) return 'empty delete';
      kind = 'd';
      pos += typeof c.d === 'number' ? c.d : cps(c.d);
    } else {
      return 'bad component';
    }
    if (kind === lastKind) return 'adjacent components of one kind';
    lastKind = kind;
    if (docLen != null && pos > docLen) return 'op goes past the end of the document';
  }
  if (lastKind === 's') return 'op ends with a skip';
  return null;
}

function deleteTextMatches(text, op) {
  let pos = 0;
  for (const c of op) {
    if (typeof c === 'number') pos += c;
    else if (typeof c === 'object') {
      const n = typeof c.d === 'number' ? c.d : cps(c.d);
      if (typeof c.d === 'string' && [...text].slice(pos, pos + n).join('') !== c.d) return false;
      pos += n;
    }
  }
  return true;
}

export class FakeServer {
  constructor({ window = 1000, now = Date.now } = {}) {
    this.window = window;
    this.now = now;
    this.workshops = new Map();
    this.unavailable = false; // fault injection: pretend Redis is down
    this.opFaults = []; // fault injection: error codes for the next ops
  }

  createWorkshop({ title, text = '' }) {
    if (!validLabel(title, 200)) return { status: 400, body: { error: { code: 'bad_request', message: 'title' } } };
    if (typeof text !== 'string') return { status: 400, body: { error: { code: 'bad_request', message: 'text' } } };
    if (this.unavailable) return { status: 503, body: { error: { code: 'unavailable', message: 'down' } } };
    const w = {
      id: b64(16), fkey: b64(32), title, created: this.now(),
      text, rev: 0, ops: [], people: new Map(), lastop: new Map(), conns: new Set(), cursors: new Map(),
    };
    this.workshops.set(w.id, w);
    return { status: 201, body: { id: w.id, facilitator_key: w.fkey, title: w.title, created: w.created } };
  }

  getWorkshop(id) {
    const w = this.workshops.get(id);
    if (!w) return { status: 404, body: { error: { code: 'not_found', message: 'unknown workshop' } } };
    return {
      status: 200,
      body: { id: w.id, title: w.title, created: w.created, rev: w.rev, present: this._present(w).map((p) => ({ name: p.name, organisation: p.organisation, role: p.role })) },
    };
  }

  _present(w, except) {
    const seen = new Map();
    for (const c of w.conns) if (c.pid && c.pid !== except && !seen.has(c.pid)) seen.set(c.pid, { id: c.pid, ...w.people.get(c.pid) });
    return [...seen.values()].map(({ secret, ...p }) => p);
  }

  /** A new connection; send(text) delivers a frame to the client. */
  connect(send) {
    const conn = { send, pid: null, w: null, closed: false };
    conn.receive = (text) => this._receive(conn, text);
    conn.close = () => this._close(conn);
    return conn;
  }

  _out(conn, m) {
    if (!conn.closed) conn.send(JSON.stringify(m));
  }

  _err(conn, code, message, re, id) {
    const m = { type: 'error', code, message };
    if (re) m.re = re;
    if (id !== undefined) m.id = id;
    this._out(conn, m);
  }

  _broadcast(w, m, except) {
    for (const c of w.conns) if (c !== except) this._out(c, m);
  }

  _receive(conn, text) {
    let m;
    try { m = JSON.parse(text); } catch { return this._err(conn, 'bad_request', 'not JSON'); }
    if (!m || typeof m !== 'object' || Array.isArray(m)) return this._err(conn, 'bad_request', 'not an object');
    const id = m.id;
    switch (m.type) {
      case 'join': return this._join(conn, m, id);
      case 'op': return this._op(conn, m, id);
      case 'cursor': return this._cursor(conn, m);
      case 'ping': return this._out(conn, { type: 'pong', id, now: this.now() }); // the server's time, as the real one (protocol/README.md)
      default: return this._err(conn, 'unknown_type', 'unknown type', undefined, id);
    }
  }

  _join(conn, m, id) {
    if (conn.pid) return this._err(conn, 'bad_request', 'second join', 'join', id);
    const w = this.workshops.get(m.workshop);
    if (!w) return this._err(conn, 'not_found', 'unknown workshop', 'join', id);
    if (this.unavailable) return this._err(conn, 'unavailable', 'storage down', 'join', id);
    if (m.key !== undefined && m.key !== w.fkey) return this._err(conn, 'forbidden', 'wrong key', 'join', id);
    let pid;
    let resumeRev = null;
    if (m.resume) {
      const [p, secret] = String(m.resume.token || '').split('.');
      const person = w.people.get(p);
      if (!person || person.secret !== secret) return this._err(conn, 'forbidden', 'bad token', 'join', id);
      if (!Number.isInteger(m.resume.rev) || m.resume.rev < 0) return this._err(conn, 'bad_request', 'bad rev', 'join', id);
      pid = p;
      resumeRev = m.resume.rev;
      if (m.key === w.fkey) person.role = 'facilitator';
    } else {
      if (!validLabel(m.name, 64) || !validLabel(m.organisation, 64)) {
        return this._err(conn, 'bad_request', 'name and organisation are required', 'join', id);
      }
      pid = `p_${b64(9)}`;
      w.people.set(pid, { name: m.name, organisation: m.organisation, role: m.key === w.fkey ? 'facilitator' : 'participant', secret: b64(18) });
    }
    const person = w.people.get(pid);
    const already = [...w.conns].some((c) => c.pid === pid);
    conn.pid = pid;
    conn.w = w;
    w.conns.add(conn);
    const first = w.rev - w.ops.length;
    const doc = { rev: w.rev };
    let missed;
    if (resumeRev != null && resumeRev >= first && resumeRev <= w.rev && !w.wholeText) {
      missed = w.ops.filter((o) => o.rev >= resumeRev).map((o) => {
        const x = { rev: o.rev, op: o.op, author: o.author };
        if (o.author === pid) x.id = o.id;
        return x;
      });
    } else {
      doc.text = w.text;
    }
    const participants = this._present(w, pid).map((p) => {
      const c = w.cursors.get(p.id);
      return c ? { ...p, sel: c.sel, rev: c.rev } : p;
    });
    const me = { id: pid, name: person.name, organisation: person.organisation, role: person.role };
    const welcome = {
      type: 'welcome', id, workshop: { id: w.id, title: w.title }, participant: me,
      token: `${pid}.${person.secret}`, role: person.role, doc, participants,
    };
    if (missed) welcome.missed = missed;
    this._out(conn, welcome);
    if (!already) this._broadcast(w, { type: 'arrived', participant: me }, conn);
  }

  _op(conn, m, id) {
    const w = conn.w;
    if (!w) return this._err(conn, 'forbidden', 'join first', 'op', id);
    if (id === undefined || !(typeof id === 'string' ? id.length >= 1 && id.length <= 64 : Number.isInteger(id))) {
      return this._err(conn, 'bad_request', 'op needs an id', 'op', id);
    }
    const last = w.lastop.get(conn.pid);
    if (last && last.opid === String(id)) return this._out(conn, { type: 'ack', id, rev: last.rev });
    if (!Number.isInteger(m.rev) || m.rev < 0 || m.rev > w.rev) return this._err(conn, 'bad_request', 'bad rev', 'op', id);
    const shapeErr = strictOpError(m.op);
    if (shapeErr) return this._err(conn, 'bad_request', shapeErr, 'op', id);
    const first = w.rev - w.ops.length;
    if (m.rev < first) return this._err(conn, 'stale', `revision ${m.rev} is older than the window (first kept: ${first})`, 'op', id);
    if (this.unavailable) return this._err(conn, 'unavailable', 'storage down', 'op', id);
    // 'committed_unavailable': a stalled Redis that took the batch after the
    // server stopped waiting for it: the author is told unavailable, and the
    // op comes back later to every connection, the author's with its id.
    const committedUnavailable = this.opFaults[0] === 'committed_unavailable' && this.opFaults.shift();
    if (this.opFaults.length && !committedUnavailable) return this._err(conn, this.opFaults.shift(), 'injected', 'op', id);
    let op = m.op;
    for (const o of w.ops) if (o.rev >= m.rev) op = type.transform(op, o.op, 'left');
    if (op.length) {
      const fitErr = strictOpError(op, cps(w.text));
      if (fitErr || !deleteTextMatches(w.text, op)) return this._err(conn, 'bad_request', fitErr || 'delete mismatch', 'op', id);
    }
    const rev = w.rev;
    const before = w.text;
    w.text = type.apply(w.text, op);
    w.rev++;
    w.ops.push({ rev, op, author: conn.pid, id: String(id), before });
    if (w.ops.length > this.window) w.ops.shift();
    w.lastop.set(conn.pid, { opid: String(id), rev });
    if (committedUnavailable) {
      this._err(conn, 'unavailable', 'storage is unavailable; the op may not have been saved: send it again with the same id', 'op', id);
    } else {
      this._out(conn, { type: 'ack', id, rev });
    }
    const plain = { type: 'op', rev, op, author: conn.pid };
    const withId = { ...plain, id };
    for (const c of w.conns) if (c !== conn || committedUnavailable) this._out(c, c.pid === conn.pid ? withId : plain);
  }

  /**
   * Fault injection: storage lost its last n revisions (a Redis crash under
   * appendfsync everysec, a failover to a replica that lagged), after they
   * were acknowledged. From now on each resume is given the whole text, as
   * the real server does (hub_primary.c); the caller closes the connections
   * (net.killAll()), as the real server does with 1012.
   */
  loseLast(id, n) {
    const w = this.workshops.get(id);
    for (let i = 0; i < n && w.ops.length; i++) {
      const o = w.ops.pop();
      w.text = o.before;
      w.rev = o.rev;
    }
    for (const [pid, last] of w.lastop) if (last.rev >= w.rev) w.lastop.delete(pid);
    w.wholeText = true;
  }

  _cursor(conn, m) {
    const w = conn.w;
    if (!w) return this._err(conn, 'forbidden', 'join first', 'cursor');
    if (!Number.isInteger(m.rev) || !Array.isArray(m.sel) || m.sel.length !== 2) return this._err(conn, 'bad_request', 'bad cursor', 'cursor');
    const first = w.rev - w.ops.length;
    if (m.rev < first || m.rev > w.rev) return;
    let sel = m.sel;
    for (const o of w.ops) if (o.rev >= m.rev) sel = type.transformSelection(sel, o.op);
    w.cursors.set(conn.pid, { rev: w.rev, sel });
    this._broadcast(w, { type: 'cursor', participant: conn.pid, rev: w.rev, sel }, conn);
  }

  _close(conn) {
    if (conn.closed) return;
    conn.closed = true;
    const w = conn.w;
    if (!w) return;
    w.conns.delete(conn);
    if (![...w.conns].some((c) => c.pid === conn.pid)) {
      w.cursors.delete(conn.pid);
      this._broadcast(w, { type: 'departed', participant: conn.pid });
    }
  }

  /** Plain data for a restart (connections are not kept). */
  dump() {
    return [...this.workshops.values()].map((w) => ({
      id: w.id, fkey: w.fkey, title: w.title, created: w.created, text: w.text, rev: w.rev,
      ops: w.ops, people: [...w.people], lastop: [...w.lastop],
    }));
  }

  load(data) {
    for (const d of data || []) {
      this.workshops.set(d.id, {
        ...d, people: new Map(d.people), lastop: new Map(d.lastop), conns: new Set(), cursors: new Map(),
      });
    }
  }
}
