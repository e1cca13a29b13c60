'use strict';
// Shared machinery for the integration tests: the protocol's schemas, an OT
// WebSocket client that behaves like a ShareDB client (one op in flight, the
// rest composed), and a Harness of one Redis, servers and clients.
//
// The processes (Redis, the server binary, ports, temporary directories,
// cleanup, the rules on how a server may exit), the RESP client and the HTTP
// helper are tests/lib/processes.js, shared with the browser tests, and
// exported from here too.

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const { EventEmitter } = require('node:events');
const fs = require('node:fs');
const path = require('node:path');

const Ajv = require('ajv');
const WebSocket = require('ws');
const { type: ot } = require('ot-text-unicode');

const processes = require('../lib/processes.js');
const topology = require('../lib/topology.js');

const {
  REPO, HOST, sleep, waitUntil, freePort, makeTempDir, removeTempDir,
  Resp, RespError, redisCommand, RedisProc, httpRequest,
} = processes;
const SCHEMA_DIR = path.join(REPO, 'protocol', 'schema');
const SCHEMA_BASE = 'https://atelier.example/protocol/v1/schema/';

const cpLen = (s) => {
  let n = 0;
  for (const _ of s) n++; // eslint-disable-line no-unused-vars
  return n;
};

// ---------------------------------------------------------------- schemas

const ajv = new Ajv({ allErrors: true });
const schemaNames = [];
for (const f of fs.readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.json')).sort()) {
  ajv.addSchema(JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, f), 'utf8')));
  schemaNames.push(f.replace(/\.json$/, ''));
}

function validator(name) {
  const v = ajv.getSchema(SCHEMA_BASE + name + '.json');
  if (!v) throw new Error(`no schema ${name}`);
  return v;
}

// Returns null when valid, else a readable list of problems.
function schemaErrors(name, value) {
  const v = validator(name);
  if (v(value)) return null;
  return v.errors.map((e) => {
    const extra = e.params && e.params.additionalProperty ? ` "${e.params.additionalProperty}"` : '';
    return `${name}${e.instancePath} ${e.message}${extra}`;
  }).join('; ');
}

function assertSchema(name, value) {
  const e = schemaErrors(name, value);
  assert.equal(e, null, `${name} does not match its schema: ${e}\n${JSON.stringify(value).slice(0, 500)}`);
}

const SERVER_SCHEMA = {
  welcome: 'welcome', ack: 'ack', op: 'server-op', arrived: 'arrived', departed: 'departed',
  cursor: 'server-cursor', pong: 'pong', error: 'error',
  // protocol/polls.md
  poll: 'poll', poll_deleted: 'poll-deleted', answer: 'poll-answer', results: 'results', my_ballot: 'my_ballot',
  // protocol/README.md, "The workshop's end"
  workshop: 'workshop',
  // protocol/agreement.md, "Agenda and timer" and "Contribution balance"
  agenda: 'agenda', balance: 'balance',
  // protocol/agreement.md, "Sign-off"
  signoff: 'signoff',
  // protocol/agreement.md
  role: 'role', observer_link: 'server-observer-link',
  // protocol/board.md
  board: 'board',
  // protocol/polls.md, "To discuss"
  discuss: 'discuss',
  // protocol/README.md, "Presence in a big workshop"
  presence: 'presence', presence_page: 'server-presence-page',
};

// What the server requires of an op beyond the schema (spec "Conventions").
function strictOpProblem(op) {
  if (!Array.isArray(op)) return 'not an array';
  let prev = null;
  for (let i = 0; i < op.length; i++) {
    const c = op[i];
    const kind = typeof c === 'number' ? 'skip' : typeof c === 'string' ? 'ins' : 'del';
    if (kind === 'skip' && !(Number.isInteger(c) && c > 0)) return `bad skip ${c}`;
    if (kind === prev) return `unmerged ${kind} at ${i}`;
    prev = kind;
  }
  if (prev === 'skip') return 'trailing skip';
  return null;
}

// ---------------------------------------------------------------- server

// The API calls the tests check against the schemas, for whatever serves the
// API (a server process, haproxy in front of several): through its http().
const apiCalls = {
  async createWorkshop(body = { title: 'Atelier de test' }) {
    const r = await this.http('POST', '/api/workshops', { body });
    assert.equal(r.status, 201, `create workshop: ${r.status} ${r.text}`);
    assertSchema('workshop-created', r.json);
    return r.json;
  },

  async workshopRev(id) {
    const r = await this.http('GET', `/api/workshops/${id}`);
    assert.equal(r.status, 200, `GET workshop: ${r.status} ${r.text}`);
    return r.json.rev;
  },
};

// The server process (tests/lib/processes.js), with the API calls.
class ServerProc extends processes.ServerProc {}
Object.assign(ServerProc.prototype, apiCalls);

// haproxy of the failover topology (tests/lib/topology.js), with the API calls.
class ProxyProc extends topology.HaproxyProc {}
Object.assign(ProxyProc.prototype, apiCalls);

// One Redis, one temp dir, any number of server processes and clients; close()
// tears all of it down.
class Harness {
  constructor() {
    this.redis = null;
    this.topology = null; // with startTopology: the Topology (tests/lib/topology.js)
    this.servers = [];
    this.clients = [];
    this.dir = null;
    this.webRoot = null;
  }

  // redis: RedisProc.start's options for a private Redis (args, auth);
  // serverOpts: more of ServerProc's options (tls, launcher) for every server.
  static async start({ servers = 1, serverArgs = [], ownRedis = false, redis = {}, serverOpts = {} } = {}) {
    const h = new Harness();
    try {
      h.dir = makeTempDir();
      h.webRoot = path.join(h.dir, 'www');
      fs.mkdirSync(h.webRoot);
      fs.writeFileSync(path.join(h.webRoot, 'index.html'),
        '<!doctype html>\n<html lang="fr"><head><meta charset="utf-8"><title>Atelier</title></head><body><p>Atelier</p></body></html>\n');
      h.redis = await RedisProc.start({ own: ownRedis, ...redis });
      for (let i = 0; i < servers; i++) await h.addServer(serverArgs, serverOpts);
    } catch (e) {
      await h.close().catch(() => {}); // the start error says what went wrong
      throw e;
    }
    return h;
  }

  // The failover topology (tests/lib/topology.js: primary, replica,
  // Sentinels, atelier processes, haproxy) instead of one Redis. servers are
  // its atelier processes, redis its primary (at start), proxy its haproxy,
  // which clients go through unless told otherwise. opts: Topology.start's.
  static async startTopology(opts = {}) {
    const h = new Harness();
    try {
      h.dir = makeTempDir();
      h.webRoot = h.dir;
      h.topology = await topology.Topology.start({ ServerClass: ServerProc, ProxyClass: ProxyProc, webRoot: h.webRoot, ...opts });
      h.servers = h.topology.servers;
      h.redis = h.topology.primary;
    } catch (e) {
      await h.close().catch(() => {});
      throw e;
    }
    return h;
  }

  get proxy() { return this.topology && this.topology.haproxy; }
  get server() { return this.proxy || this.servers[0]; }

  // start: ServerProc.start's options ({waitHealthy: false} for a server that cannot reach Redis);
  // the rest: ServerProc's (tls, launcher).
  async addServer(args = [], { env = {}, start = {}, ...opts } = {}) {
    const s = new ServerProc({ ...opts, redisPort: this.redis.port, port: await freePort(), dir: this.dir, args, webRoot: this.webRoot, env });
    this.servers.push(s);
    await s.start(start);
    return s;
  }

  client(opts) {
    const c = new Client({ server: this.server, ...opts });
    this.clients.push(c);
    return c;
  }

  // A second connection of c's participant (another tab), not started: it
  // joins by resuming with c's token at c's revision.
  twin(c, opts = {}) {
    const t = this.client({
      server: c.server, workshop: c.workshop, name: c.name, organisation: c.organisation, key: c.key, observe: c.observe, ...opts,
    });
    t.token = c.token;
    t.participant = c.participant;
    t.role = c.role;
    t.rev = c.rev;
    t.text = c.text;
    return t;
  }

  // Tears everything down, then fails if a server broke the exit rules
  // (tests/lib/processes.js) at any time, asked about or not.
  async close() {
    for (const c of this.clients) c.close();
    for (const s of this.servers) await s.kill('SIGKILL');
    if (this.topology) await this.topology.stop();
    else if (this.redis) await this.redis.close();
    if (this.dir) removeTempDir(this.dir);
    const exits = this.servers.flatMap((s) => s.exitProblems());
    assert.deepEqual(exits.slice(0, 5), [], `${exits.length} server exit problem(s)`);
  }

  // Problems worth failing a test for, gathered from every client and server.
  problems() {
    const out = [];
    for (const c of this.clients) {
      for (const v of c.violations) out.push(`${c.tag}: schema: ${v}`);
      for (const a of c.anomalies) out.push(`${c.tag}: ${a}`);
    }
    for (const s of this.servers) out.push(...s.exitProblems());
    return out;
  }

  assertNoProblems() {
    const p = this.problems();
    assert.deepEqual(p.slice(0, 20), [], `${p.length} problem(s)`);
  }
}

// ---------------------------------------------------------------- history

const eventsKey = (id) => `atelier:{w:${id}}:events`;
const metaKey = (id) => `atelier:{w:${id}}:meta`;
const snapsKey = (id) => `atelier:{w:${id}}:snaps`;

const fieldsToObject = (arr) => {
  const o = {};
  for (let i = 0; i + 1 < arr.length; i += 2) o[arr[i]] = arr[i + 1];
  return o;
};

// The server stores the op id as JSON text (ids may be strings or integers).
function parseOpId(raw) {
  if (raw === undefined) return undefined;
  try { return JSON.parse(raw); } catch { return raw; }
}

// The workshop's stored op history, in stream order.
async function readHistory(redisPort, id) {
  const c = new Resp(redisPort);
  await c.connect();
  try {
    const entries = await c.command('XRANGE', eventsKey(id), '-', '+');
    const meta = fieldsToObject(await c.command('HGETALL', metaKey(id)));
    const snaps = await c.command('XRANGE', snapsKey(id), '-', '+');
    const events = entries.map(([sid, f]) => ({ sid, ...fieldsToObject(f) }));
    const ops = events.filter((e) => e.type === 'op').map((e) => ({
      sid: e.sid, rev: Number(e.rev), op: JSON.parse(e.op), opid: parseOpId(e.opid), author: e.author,
    }));
    return { events, ops, meta, snaps: snaps.map(([sid, f]) => ({ sid, ...fieldsToObject(f) })) };
  } finally { c.close(); }
}

// Asserts the op history is one unforked line 0..N-1 and returns its replay.
function replayHistory(initialText, ops) {
  const problems = [];
  ops.forEach((o, i) => { if (o.rev !== i) problems.push(`stream entry ${i} (${o.sid}) has rev ${o.rev}`); });
  assert.deepEqual(problems.slice(0, 10), [], `stored history is not revisions 0..${ops.length - 1} in order (${problems.length} bad)`);
  let text = initialText;
  for (const o of ops) text = ot.apply(text, o.op);
  return text;
}

// ---------------------------------------------------------------- client

let clientSeq = 0;

// A collaborative-editing client. Keeps a local copy of the document:
//   server state at `rev`, plus `inflight` (sent, not acked), plus `pending`
//   (local edits composed while waiting), exactly like a ShareDB client.
class Client extends EventEmitter {
  // observe: the observer key to join with (then organisation is optional).
  constructor({ server, url, workshop, name, organisation, key, observe, reconnect = false, tag, record = Infinity, protocols } = {}) {
    super();
    this.server = server;
    this.url = url;
    this.workshop = workshop;
    this.name = name || `Client ${clientSeq}`;
    this.organisation = organisation || (observe ? '' : 'Tests');
    this.key = key;
    this.observe = observe;
    this.reconnect = reconnect;
    this.tag = tag || `c${clientSeq}`;
    clientSeq++;
    this.recordLimit = record;
    this.protocols = protocols;

    this.ws = null;
    this.joined = false;
    this.closed = false;
    this.participant = null;
    this.token = null;
    this.role = null;
    this.rev = null;
    this.text = null;
    this.inflight = null; // { id, op, sends }
    this.pending = null;
    this.pendingMeta = [];
    this.opMeta = new Map(); // op id -> metas of the edits it carries
    this.opSeq = 0;
    this.reqSeq = 0;

    this.log = [];
    this.waiters = [];
    this.violations = [];
    this.anomalies = [];
    this.acked = new Map(); // op id -> rev
    this.ackLog = []; // { id, rev, t, sent (when last sent, if known) }
    this.sentLog = new Map(); // op id -> first send time
    this.remote = []; // remote ops applied: { rev, op, author, id (only for another tab's own ops) }
    this.errors = [];
    this.welcomes = [];
    this.closes = [];
    this.counts = {};
    this.reconnects = 0;
    this.resyncs = 0;
    this.dropped = 0;
    this.ackTimeoutMs = 3000;
    this.timeoutResends = 0;
    this.recoveredInMissed = 0; // in-flight ops found accepted in `missed`
    this.droppedMeta = [];
    this._reconnecting = false;
    this._retryTimer = null;
  }

  get wsTarget() { return this.url || this.server.wsUrl; }
  get connected() { return !!(this.ws && this.ws.readyState === WebSocket.OPEN); }
  get idle() { return this.joined && !this.inflight && !this.pending; }

  _record(dir, data) {
    if (this.recordLimit === 0) return;
    this.log.push({ t: Date.now(), dir, data });
    if (this.log.length > this.recordLimit) this.log.splice(0, this.log.length - this.recordLimit);
  }

  // Opens the socket only. Resolves with the WebSocket, rejects on failure.
  open(timeoutMs = 5000) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.wsTarget, this.protocols, { handshakeTimeout: timeoutMs, perMessageDeflate: false });
      this.ws = ws;
      let opened = false;
      ws.on('open', () => { opened = true; resolve(ws); });
      ws.on('unexpected-response', (req, res) => {
        reject(new Error(`WebSocket handshake refused: HTTP ${res.statusCode}`));
        req.destroy();
      });
      ws.on('error', (e) => { if (!opened) reject(e); });
      ws.on('message', (data, isBinary) => { if (this.ws === ws) this._onMessage(data, isBinary); });
      ws.on('close', (code, reason) => {
        if (!opened) reject(new Error(`closed before open: ${code}`));
        this._onClose(ws, code, reason.toString());
      });
    });
  }

  send(obj) {
    const s = typeof obj === 'string' ? obj : JSON.stringify(obj);
    this._record('out', s);
    this.ws.send(s);
  }

  // Raw frames for the error tests (binary, invalid UTF-8...).
  sendRaw(data, opts = {}) {
    this._record('out', Buffer.isBuffer(data) ? `<${data.length} bytes>` : data);
    this.ws.send(data, opts);
  }

  // Resolves with the first future message matching pred.
  waitFor(pred, timeoutMs = 5000, what = 'message') {
    return new Promise((resolve, reject) => {
      const w = { pred, resolve, reject };
      w.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`${this.tag}: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  // Sends a message and resolves with the reply carrying its id.
  request(msg, timeoutMs = 5000) {
    if (msg.id === undefined) msg = { ...msg, id: `r-${this.tag}-${++this.reqSeq}` };
    const p = this.waitFor((m) => m.id === msg.id && ['welcome', 'ack', 'pong', 'error'].includes(m.type),
      timeoutMs, `reply to ${msg.type} ${JSON.stringify(msg.id)}`);
    this.send(msg);
    return p;
  }

  // Sends msg with a fresh id; resolves with the reply that carries it,
  // whatever its type (an op's is its ack).
  ask(msg, timeoutMs = 5000) {
    const m = { ...msg, id: `q-${this.tag}-${++this.reqSeq}` };
    const p = this.waitFor((x) => x.id === m.id, timeoutMs, `reply to ${JSON.stringify(m).slice(0, 100)}`);
    this.send(m);
    return p;
  }

  // A request that must be answered with a message of this type.
  async must(msg, type) {
    const r = await this.ask(msg);
    assert.equal(r.type, type, `${this.tag} sent ${JSON.stringify(msg).slice(0, 200)}: got ${JSON.stringify(r).slice(0, 300)}`);
    return r;
  }

  // A request that must be refused with this error code.
  async refused(msg, code) {
    const r = await this.ask(msg);
    assert.equal(r.type, 'error', `${this.tag} sent ${JSON.stringify(msg).slice(0, 200)}: expected error ${code}, got ${JSON.stringify(r).slice(0, 300)}`);
    assert.equal(r.code, code, `${JSON.stringify(msg).slice(0, 200)}: ${r.message}`);
    assert.equal(r.re, msg.type);
    return r;
  }

  // Waits for the close event of the current socket.
  waitClose(timeoutMs = 5000) {
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve(this.closes[this.closes.length - 1]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.tag}: socket did not close within ${timeoutMs} ms`)), timeoutMs);
      ws.once('close', (code, reason) => { clearTimeout(timer); resolve({ code, reason: reason.toString() }); });
    });
  }

  joinMessage(extra = {}) {
    const m = { type: 'join', id: `j-${this.tag}-${++this.reqSeq}`, workshop: this.workshop };
    if (this.token && this.rev !== null) {
      m.resume = { token: this.token, rev: this.rev };
    } else {
      m.name = this.name;
      if (this.organisation || !this.observe) m.organisation = this.organisation;
    }
    if (this.key !== undefined) m.key = this.key;
    if (this.observe !== undefined && !m.resume) m.observer_key = this.observe;
    return { ...m, ...extra };
  }

  // Connects and joins (or resumes when a token is known). Throws on error.
  async start() {
    await this.open();
    const reply = await this.request(this.joinMessage());
    if (reply.type !== 'welcome') throw new Error(`${this.tag}: join refused: ${JSON.stringify(reply)}`);
    return reply;
  }

  // --------------------------------------------------------- incoming

  _onMessage(data, isBinary) {
    const text = data.toString('utf8');
    this._record('in', text);
    let msg;
    try { msg = JSON.parse(text); } catch {
      this.violations.push(`not JSON: ${text.slice(0, 200)}`);
      return;
    }
    if (isBinary) this.violations.push(`binary frame from server: ${text.slice(0, 200)}`);
    const schema = msg && SERVER_SCHEMA[msg.type];
    if (!schema) {
      this.violations.push(`unknown message type: ${text.slice(0, 200)}`);
    } else {
      const e = schemaErrors(schema, msg);
      if (e) this.violations.push(`${e}: ${text.slice(0, 300)}`);
    }
    this.counts[msg.type] = (this.counts[msg.type] || 0) + 1;
    try {
      this._dispatch(msg);
    } catch (e) {
      this.anomalies.push(`handling ${text.slice(0, 200)}: ${e.stack}`);
    }
    for (const w of this.waiters.slice()) {
      if (w.pred(msg)) {
        clearTimeout(w.timer);
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(msg);
      }
    }
    this.emit('message', msg);
  }

  _dispatch(msg) {
    switch (msg.type) {
      case 'welcome': return this._onWelcome(msg);
      case 'ack': return this._onAck(msg);
      case 'op': return this._onRemoteOp(msg);
      case 'error': return this._onError(msg);
      case 'role': return this._onRole(msg);
      default: return undefined;
    }
  }

  _onWelcome(msg) {
    this.welcomes.push(msg);
    if (msg.role !== msg.participant.role) this.anomalies.push(`welcome role ${msg.role} != participant.role ${msg.participant.role}`);
    const resuming = this.participant !== null && this.text !== null;
    if (resuming && msg.participant.id !== this.participant.id) {
      this.anomalies.push(`resume changed participant id ${this.participant.id} -> ${msg.participant.id}`);
    }
    if (resuming && msg.role !== this.role) this.anomalies.push(`resume changed role ${this.role} -> ${msg.role}`);
    this.participant = msg.participant;
    this.token = msg.token;
    this.role = msg.role;

    if (!resuming) {
      if (msg.missed) this.anomalies.push('fresh join got missed');
      this.rev = msg.doc.rev;
      this.text = msg.doc.text;
    } else if (msg.missed) {
      for (const m of msg.missed) {
        if (m.rev !== this.rev) {
          this.anomalies.push(`missed op rev ${m.rev}, expected ${this.rev}`);
          break;
        }
        if (this.inflight && m.author === this.participant.id && m.id === this.inflight.id) {
          this.recoveredInMissed++;
          this._accepted(m.id, m.rev);
        } else {
          if (m.author === this.participant.id && m.id !== undefined && this.acked.has(m.id)) {
            this.anomalies.push(`missed contains own op ${m.id} that was already acked at ${this.acked.get(m.id)}`);
          }
          this._applyRemote(m);
        }
      }
      if (this.rev !== msg.doc.rev) this.anomalies.push(`after missed at rev ${this.rev}, welcome says ${msg.doc.rev}`);
    } else {
      // Out of the server's window: start again from its snapshot. An op
      // already sent is re-sent as it was sent (same base revision, same id),
      // so the server either recognises it (ack with its old rev) or
      // transforms it. Local edits that never reached the server cannot be
      // rebased onto the snapshot without the ops in between: they are given
      // up and counted.
      this.text = msg.doc.text;
      this.rev = msg.doc.rev;
      if (this.pending) {
        this.dropped++;
        this.droppedMeta.push(...this.pendingMeta);
        this.pending = null;
        this.pendingMeta = [];
      }
      // Sent at a revision the server no longer has (Redis lost it, or a
      // replica promoted without it: the whole text after a loss) cannot
      // be recognised or transformed there either: given up and counted.
      const lostBase = this.inflight && this.inflight.baseRev > msg.doc.rev;
      if (this.inflight && (this.inflight.sends === 0 || lostBase)) {
        this.dropped++;
        this.droppedMeta.push(...(this.opMeta.get(this.inflight.id) || []));
        this.inflight = null;
      }
      if (this.inflight) this.inflight.snapshotReset = true;
    }
    if (this.inflight && this.inflight.awaitMissed) {
      this.anomalies.push(`op ${this.inflight.id} acked at ${this.inflight.lateRev} but not in missed on resume`);
      this.inflight = null;
    }
    this.joined = true;
    this._flush(true);
  }

  // A role changed (protocol/agreement.md): ours is kept, so that a resume
  // is expected to bring the new one back.
  _onRole(msg) {
    if (this.participant && msg.participant === this.participant.id) this.role = msg.role;
  }

  _accepted(id, rev) {
    this.acked.set(id, rev);
    this.ackLog.push({ id, rev, t: Date.now(), sent: this.inflight && this.inflight.lastSent });
    this.inflight = null;
    this.rev = rev + 1;
  }

  _onAck(msg) {
    if (!this.inflight || msg.id !== this.inflight.id) {
      if (this.acked.has(msg.id) && this.acked.get(msg.id) !== msg.rev) {
        this.anomalies.push(`ack for ${msg.id} at ${msg.rev}, first acked at ${this.acked.get(msg.id)}`);
      }
      return; // a raw request (de-duplication tests) or a repeated ack
    }
    if (this.inflight.snapshotReset) {
      if (msg.rev < this.rev) {
        // Already part of the snapshot.
        this.acked.set(msg.id, msg.rev);
        this.ackLog.push({ id: msg.id, rev: msg.rev, t: Date.now() });
        this.inflight = null;
        this._flush();
      } else {
        // Applied after the snapshot: it comes back in `missed` on a resume.
        this.inflight.snapshotReset = false;
        this.inflight.awaitMissed = true;
        this.inflight.lateRev = msg.rev;
        this.resync('ack after snapshot reset');
      }
      return;
    }
    if (msg.rev !== this.rev) {
      // The server accepted it after ops this client has not seen: catch up
      // through a resume, where it shows up in `missed` with its id.
      this.gaps = (this.gaps || 0) + 1;
      if (msg.rev < this.rev) {
        this.anomalies.push(`ack ${msg.id} rev ${msg.rev} below client rev ${this.rev}`);
        return;
      }
      this.resync(`ack rev ${msg.rev} while at ${this.rev}`);
      return;
    }
    this._accepted(msg.id, msg.rev);
    this._flush();
  }

  _onRemoteOp(msg) {
    if (!this.joined) return;
    if (msg.rev < this.rev) {
      this.anomalies.push(`op rev ${msg.rev} below client rev ${this.rev} (duplicate or reordered)`);
      return;
    }
    if (msg.rev > this.rev) {
      this.gaps = (this.gaps || 0) + 1;
      this.resync(`op rev ${msg.rev} while at ${this.rev}`);
      return;
    }
    const mine = this.participant && msg.author === this.participant.id;
    if (msg.id !== undefined && !mine) this.violations.push(`op of ${msg.author} relayed with its id ${JSON.stringify(msg.id)}`);
    if (mine && this.inflight && msg.id === this.inflight.id) {
      // Accepted through another connection (a resend that raced the ack).
      this.recoveredRelayed = (this.recoveredRelayed || 0) + 1;
      this._accepted(msg.id, msg.rev);
      this._flush();
      return;
    }
    this._applyRemote(msg);
  }

  // Transforms a remote op (applying to this.rev) past the local inflight and
  // pending ops, applies it, and rebases those ops onto it.
  _applyRemote(m) {
    let remote = m.op;
    if (this.inflight) {
      const inflight = this.inflight.op;
      this.inflight.op = ot.transform(inflight, remote, 'left');
      remote = ot.transform(remote, inflight, 'right');
    }
    if (this.pending) {
      const pending = this.pending;
      this.pending = ot.transform(pending, remote, 'left');
      remote = ot.transform(remote, pending, 'right');
    }
    this.text = ot.apply(this.text, remote);
    this.remote.push({ rev: m.rev, op: m.op, author: m.author, id: m.id });
    this.rev++;
  }

  _onError(msg) {
    this.errors.push(msg);
    if (!this.inflight || msg.re !== 'op' || msg.id !== this.inflight.id) return;
    switch (msg.code) {
      case 'unavailable':
      case 'rate_limited':
        this._scheduleResend(msg.code === 'unavailable' ? 250 : 100);
        break;
      case 'stale':
        if (this.inflight.snapshotReset) {
          // Not the last accepted op (that would be acked), and too old to
          // transform: it was never taken and cannot be rebased any more.
          this.dropped++;
          this.droppedMeta.push(...(this.opMeta.get(this.inflight.id) || []));
          this.inflight = null;
          this._flush();
        } else {
          this.resync('stale');
        }
        break;
      default:
        this.anomalies.push(`op ${msg.id} refused: ${JSON.stringify(msg)} op=${JSON.stringify(this.inflight.op)}`);
        this.broken = true;
    }
  }

  _scheduleResend(ms) {
    if (this._retryTimer) return;
    this._retryTimer = setTimeout(() => {
      this._retryTimer = null;
      if (this.joined && this.connected && this.inflight) this._sendInflight();
    }, ms);
  }

  _onClose(ws, code, reason) {
    if (ws !== this.ws) return;
    this.closes.push({ code, reason, t: Date.now() });
    this.joined = false;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new Error(`${this.tag}: connection closed (${code}) while waiting`));
    }
    if (this.reconnect && !this.closed) this._reconnectLoop();
  }

  async _reconnectLoop() {
    if (this._reconnecting) return;
    this._reconnecting = true;
    let delay = 50;
    try {
      while (!this.closed) {
        await sleep(delay);
        if (this.closed) return;
        delay = Math.min(delay * 2, 500);
        try {
          await this.open(2000);
          const reply = await this.request(this.joinMessage(), 5000);
          if (reply.type === 'welcome') { this.reconnects++; return; }
          if (reply.code !== 'unavailable') {
            this.anomalies.push(`resume refused: ${JSON.stringify(reply)}`);
            this.closed = true;
          }
          this.ws.terminate();
        } catch { /* server not back yet */ }
      }
    } finally {
      this._reconnecting = false;
    }
  }

  // Drops the connection and resumes on a new one.
  resync(reason) {
    this.resyncs++;
    this.lastResync = reason;
    const wasReconnect = this.reconnect;
    this.joined = false;
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.terminate();
      this.closes.push({ code: 'resync', reason, t: Date.now() });
    }
    this.reconnect = true;
    this._reconnectLoop().finally(() => { this.reconnect = wasReconnect; });
  }

  // --------------------------------------------------------- outgoing ops

  // `meta` (anything) is remembered with the op id that ends up carrying
  // this edit, so tests can tell which edits an ack covers.
  submit(op, meta) {
    assert.ok(this.text !== null, 'submit before join');
    const problem = strictOpProblem(op);
    if (problem) throw new Error(`${this.tag}: refusing to submit ${JSON.stringify(op)}: ${problem}`);
    this.text = ot.apply(this.text, op);
    if (!this.inflight) {
      this.inflight = { id: `${this.tag}-${++this.opSeq}`, op, sends: 0 };
      if (meta !== undefined) this.opMeta.set(this.inflight.id, [meta]);
      this._flush();
    } else {
      this.pending = this.pending ? ot.compose(this.pending, op) : op;
      if (meta !== undefined) this.pendingMeta.push(meta);
    }
  }

  _flush(resend = false) {
    if (!this.joined || !this.connected) return;
    if (this.inflight) {
      if (resend || this.inflight.sends === 0) this._sendInflight();
      return;
    }
    if (this.pending) {
      const op = this.pending;
      this.pending = null;
      // Concurrent deletes can cancel a pending edit entirely.
      const meta = this.pendingMeta;
      this.pendingMeta = [];
      if (op.length === 0) return;
      this.inflight = { id: `${this.tag}-${++this.opSeq}`, op, sends: 0 };
      if (meta.length) this.opMeta.set(this.inflight.id, meta);
      this._sendInflight();
    }
  }

  _sendInflight() {
    const f = this.inflight;
    if (!f.snapshotReset) {
      if (f.op.length === 0 && f.sends === 0) {
        // Never sent and cancelled by concurrent edits: nothing to submit.
        this.inflight = null;
        this._flush();
        return;
      }
      f.baseRev = this.rev;
      f.sentOp = f.op;
    }
    f.sends++;
    f.lastSent = Date.now();
    if (!this.sentLog.has(f.id)) this.sentLog.set(f.id, f.lastSent);
    this.send({ type: 'op', id: f.id, rev: f.baseRev, op: f.sentOp });
    // A reply can be lost (the server drops some rate-limited messages
    // without naming them); re-sending under the same id is always safe.
    clearTimeout(this._ackTimer);
    this._ackTimer = setTimeout(() => {
      if (this.inflight === f && this.joined && this.connected) {
        this.timeoutResends++;
        this._sendInflight();
      }
    }, this.ackTimeoutMs);
  }

  cursor(sel) {
    if (this.joined && this.connected) this.send({ type: 'cursor', rev: this.rev, sel });
  }

  // Stops reading from the socket: replies stay unread in the kernel, as if
  // the network had stalled.
  freeze() {
    if (this.ws && this.ws._socket) this.ws._socket.pause();
  }

  // Drops the connection without reading anything more from it and without
  // reconnecting; start() then resumes on a new connection.
  detach() {
    const ws = this.ws;
    this.ws = null;
    this.joined = false;
    if (ws) ws.terminate();
  }

  close() {
    this.closed = true;
    this.reconnect = false;
    if (this._retryTimer) clearTimeout(this._retryTimer);
    clearTimeout(this._ackTimer);
    if (this.ws) this.ws.terminate();
    this.joined = false;
  }
}

// ---------------------------------------------------------------- rights

// The client messages that change nothing: everyone may send them once joined
// (join and ping before too). presence-page.test.js tries presence_page.
const READS = new Set(['join', 'ping', 'presence_page']);

// Every client message but join and ping, as a client would send it to change
// something (observers.test.js tries them as an observer, authorisation.test.js
// as everyone who is not a facilitator); o is the sending client (its rev),
// x holds the ids it names ({single, text, answer, jean}).
const WRITES = {
  op: (o) => ({ type: 'op', rev: o.rev, op: ['Piraté '] }),
  cursor: (o) => ({ type: 'cursor', rev: o.rev, sel: [0, 0] }),
  vote: (o, x) => ({ type: 'vote', poll: x.single, ballot: 0 }),
  answer: (o, x) => ({ type: 'answer', poll: x.text, text: 'Une idée' }),
  upvote: (o, x) => ({ type: 'upvote', poll: x.text, answer: x.answer }),
  poll_create: () => ({ type: 'poll_create', kind: 'scale', question: 'Piraté ?' }),
  poll_edit: (o, x) => ({ type: 'poll_edit', poll: x.single, kind: 'scale', question: 'Piraté ?' }),
  poll_open: (o, x) => ({ type: 'poll_open', poll: x.single }),
  poll_close: (o, x) => ({ type: 'poll_close', poll: x.single }),
  poll_reopen: (o, x) => ({ type: 'poll_reopen', poll: x.single }),
  poll_results: (o, x) => ({ type: 'poll_results', poll: x.single, visibility: 'revealed' }),
  poll_delete: (o, x) => ({ type: 'poll_delete', poll: x.single }),
  workshop_end: () => ({ type: 'workshop_end' }),
  workshop_reopen: () => ({ type: 'workshop_reopen' }),
  role_set: (o, x) => ({ type: 'role_set', participant: x.jean, role: 'representative' }),
  representative_request: () => ({ type: 'representative_request' }),
  representative_answer: (o, x) => ({ type: 'representative_answer', participant: x.jean, accept: true }),
  observer_link: () => ({ type: 'observer_link', action: 'revoke' }),
  agenda_set: () => ({ type: 'agenda_set', phases: [{ id: 'x', title: 'Piraté', minutes: 5 }] }),
  phase_start: () => ({ type: 'phase_start', phase: 'why' }),
  phase_next: () => ({ type: 'phase_next' }),
  phase_pause: () => ({ type: 'phase_pause' }),
  phase_resume: () => ({ type: 'phase_resume' }),
  phase_extend: () => ({ type: 'phase_extend', minutes: 5 }),
  board_add: () => ({ type: 'board_add', kind: 'priority', title: 'Piraté' }),
  board_edit: (o, x) => ({ type: 'board_edit', item: x.item || 'AAAAAAAAAAA', title: 'Piraté' }),
  board_delete: (o, x) => ({ type: 'board_delete', item: x.item || 'AAAAAAAAAAA' }),
  board_group: (o, x) => ({ type: 'board_group', items: [x.item || 'AAAAAAAAAAA', x.item2 || 'BBBBBBBBBBB'] }),
  board_ungroup: (o, x) => ({ type: 'board_ungroup', item: x.item || 'AAAAAAAAAAA' }),
  board_settings: () => ({ type: 'board_settings', revealed: true }),
  signoff_call: () => ({ type: 'signoff_call' }),
  signoff_close: () => ({ type: 'signoff_close' }),
  endorse: (o) => ({ type: 'endorse', rev: o.rev, sha256: '0'.repeat(64) }),
  decline: () => ({ type: 'decline', reason: 'Piraté' }),
  discuss_add: (o, x) => ({ type: 'discuss_add', poll: x.single }),
  discuss_check: () => ({ type: 'discuss_check', item: 1, done: true }),
  discuss_remove: () => ({ type: 'discuss_remove', item: 1 }),
};

// The client messages of protocol/schema (titled "TYPE (client to server…").
function clientTypes() {
  const dir = path.join(REPO, 'protocol', 'schema');
  return fs.readdirSync(dir).filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')).title || '')
    .map((t) => /^(\w+) \(client to server/.exec(t)).filter(Boolean).map((m) => m[1]);
}


// The rights table, service/src/core/rights.c, as { type: Set of roles }:
// each row `[PROTO_X] = {ROLES, "why"}` (or a macro standing for one), the
// type's wire name read from proto.c's type_names. Tests that try every
// message a role may not send read it, so a new row is tried at once.
function rightsTable() {
  const src = (f) => fs.readFileSync(path.join(REPO, 'service', 'src', 'core', f), 'utf8');
  const rights = src('rights.c');
  const names = Object.fromEntries([...src('proto.c').matchAll(/\[(PROTO_\w+)\] = "(\w+)"/g)].map((m) => [m[1], m[2]]));
  const bits = { FAC: ['facilitator'], REP: ['representative'], PART: ['participant'], OBS: ['observer'] };
  // #define NAME (bits) or #define NAME {ROLES, "why"}: the roles' part.
  const macros = Object.fromEntries([...rights.matchAll(/^#define (\w+) (.*)$/gm)]
    .map((m) => [m[1], m[2].replace(/\/\*.*$/, '').replace(/^\{([^,]*),.*$/, '$1').trim()]));
  const roles = (expr) => {
    const out = new Set();
    for (const w of expr.replace(/[{}(),]/g, ' ').split(/[\s|]+/).filter(Boolean)) {
      if (bits[w]) bits[w].forEach((r) => out.add(r));
      else if (macros[w] !== undefined) roles(macros[w]).forEach((r) => out.add(r));
      else throw new Error(`rights.c: cannot read ${w}`);
    }
    return out;
  };
  const table = {};
  for (const m of rights.matchAll(/\[(PROTO_\w+)\] = (?:\{([^,]+),|(\w+),)/g)) {
    const type = names[m[1]];
    if (!type) throw new Error(`rights.c: no wire name for ${m[1]}`);
    table[type] = roles(m[2] || m[3]);
  }
  return table;
}

// ---------------------------------------------------------------- editing

const ALPHABET = [
  'a', 'e', 'i', 'o', 'u', 's', 't', 'r', 'n', ' ', ' ', '\n', ',', '.',
  'é', 'è', 'ê', 'à', 'ç', 'ô', 'ù', 'ï', 'œ', 'É', '«', '»', '’', '€',
  '😀', '🎉', '🇫🇷', '𝄞', '👩‍🔧', '漢', '字',
];

function randomString(rand, maxCps = 4) {
  const n = 1 + Math.floor(rand() * maxCps);
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(rand() * ALPHABET.length)];
  return s;
}

// A random edit over `text` (string): insert, delete by count or by content.
function randomEdit(text, rand = Math.random) {
  const cps = Array.from(text);
  const len = cps.length;
  const r = rand();
  if (len === 0 || r < 0.5) {
    const pos = Math.floor(rand() * (len + 1));
    return pos ? [pos, randomString(rand)] : [randomString(rand)];
  }
  const pos = Math.floor(rand() * len);
  const n = 1 + Math.floor(rand() * Math.min(3, len - pos));
  const del = rand() < 0.5 ? { d: n } : { d: cps.slice(pos, pos + n).join('') };
  if (r < 0.8) return pos ? [pos, del] : [del];
  // Replace: delete then insert at the same place.
  return pos ? [pos, del, randomString(rand)] : [del, randomString(rand)];
}

// Deterministic PRNG so failures can be replayed with the same seed.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// All clients joined, nothing in flight or pending, at the same revision,
// and that revision is the server's (`serverRev()` when given).
async function waitQuiescent(clients, { timeoutMs = 20000, serverRev } = {}) {
  let lastState = '';
  try {
    await waitUntil(async () => {
      const revs = new Set(clients.map((c) => c.rev));
      const busy = clients.filter((c) => !c.idle).map((c) => `${c.tag}${c.joined ? '' : '(down)'}${c.inflight ? '(inflight ' + c.inflight.id + ')' : ''}${c.pending ? '(pending)' : ''}`);
      lastState = `busy=[${busy.join(',')}] revs=[${[...revs].join(',')}]`;
      if (busy.length || revs.size !== 1) return false;
      if (serverRev) {
        const sr = await serverRev();
        lastState += ` server=${sr}`;
        if (sr !== clients[0].rev) return false;
      }
      return true;
    }, timeoutMs, 'quiescence', 50);
  } catch (e) {
    e.message += `: ${lastState}`;
    for (const c of clients.filter((x) => !x.idle).slice(0, 3)) {
      e.message += `\n--- ${c.tag} (${c.joined ? 'joined' : 'down'}, rev ${c.rev}) last frames:\n` +
        c.log.slice(-8).map((x) => `${x.t % 100000} ${x.dir} ${String(x.data).slice(0, 200)}`).join('\n');
    }
    throw e;
  }
}

// Bytes the kernel holds unsent to one client right now (Send-Q of the
// server's side of its connection), or -1 when `ss` is not there.
function sendQueue(serverPort, clientPort) {
  try {
    const out = execFileSync('ss', ['-tnH', 'state', 'established', `( sport = :${serverPort} and dport = :${clientPort} )`], { encoding: 'utf8' });
    const fields = out.trim().split(/\s+/);
    return fields.length >= 2 ? Number(fields[1]) : 0;
  } catch {
    return -1;
  }
}

function countOccurrences(text, needle) {
  let n = 0;
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length)) n++;
  return n;
}

const randomWorkshopId = () => crypto.randomBytes(16).toString('base64url');

// Resident memory of a process, in kB (Linux).
function rssKb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]);
}

module.exports = {
  REPO, HOST, ot, sleep, cpLen, freePort, makeTempDir, removeTempDir,
  Resp, RespError, redisCommand, RedisProc, ServerProc, ProxyProc, Harness, Client,
  httpRequest, ajv, schemaNames, schemaErrors, assertSchema, validator, strictOpProblem,
  readHistory, replayHistory, eventsKey, metaKey, snapsKey,
  randomEdit, randomString, prng, waitUntil, waitQuiescent, countOccurrences, randomWorkshopId, rssKb, sendQueue,
};

// ---------------------------------------------------------------- history (issue #5)
// Helpers for the history, replay and export tests (protocol/history.md) and
// bench/history-seek.js. Appended; nothing above depends on them.

const zlib = require('node:zlib');

const bearer = (key) => (key === undefined ? {} : { authorization: `Bearer ${key}` });

// GET a JSON endpoint; `key` adds the facilitator's Authorization header.
async function getJson(port, urlPath, { key, timeoutMs = 10000 } = {}) {
  const t0 = process.hrtime.bigint();
  const r = await httpRequest(port, 'GET', urlPath, { headers: bearer(key), timeoutMs });
  r.ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return r;
}

// Every event of /history, page by page (`limit` per page). Checks the paging
// contract on the way: `next` is null only on the last page, pages are never
// longer than `limit`; in the facilitator's view (a key), `next` is the last
// event's id and pages are never empty but the last (the public view leaves
// drafts and votes out of a page: fewer events, even none, history.md).
async function fetchAllHistory(port, id, { key, limit, only, maxPages = 1e6 } = {}) {
  const events = [];
  const pages = [];
  let after = null;
  for (let n = 0; n < maxPages; n++) {
    const q = new URLSearchParams();
    if (after !== null) q.set('after', after);
    if (limit !== undefined) q.set('limit', String(limit));
    if (only !== undefined) q.set('only', only);
    const qs = q.toString();
    const r = await getJson(port, `/api/workshops/${id}/history${qs ? `?${qs}` : ''}`, { key });
    assert.equal(r.status, 200, `GET history after=${after} limit=${limit}: ${r.status} ${r.text.slice(0, 300)}`);
    const page = r.json;
    assert.ok(page && Array.isArray(page.events), `history page without events: ${r.text.slice(0, 300)}`);
    assertSchema('history-page', page);
    if (limit !== undefined) assert.ok(page.events.length <= limit, `page of ${page.events.length} events for limit ${limit}`);
    pages.push({ count: page.events.length, next: page.next, rev: page.rev });
    events.push(...page.events);
    if (page.next === null) return { events, pages, last: page };
    if (key !== undefined) {
      assert.ok(page.events.length > 0, `empty page with next=${page.next}`);
      assert.equal(page.next, page.events[page.events.length - 1].id, 'next is not the id of the last event of the page');
    } else if (page.events.length) {
      assert.ok(streamIdCmp(page.next, page.events[page.events.length - 1].id) >= 0, 'next is before the last event of the page');
    }
    after = page.next;
  }
  throw new Error(`history of ${id}: more than ${maxPages} pages`);
}

// Compares stream ids "ms-seq" numerically.
function streamIdCmp(a, b) {
  const [am, as] = a.split('-').map(BigInt);
  const [bm, bs] = b.split('-').map(BigInt);
  if (am !== bm) return am < bm ? -1 : 1;
  if (as !== bs) return as < bs ? -1 : 1;
  return 0;
}

// A sequential editing trace (../shared/traces/README.md, beside the repository) as one
// ot-text-unicode op per transaction (patches composed in order).
function loadTrace(file) {
  const data = JSON.parse(zlib.gunzipSync(fs.readFileSync(file)).toString('utf8'));
  const ops = new Array(data.txns.length);
  for (let i = 0; i < data.txns.length; i++) {
    let op = null;
    for (const [pos, del, ins] of data.txns[i].patches) {
      const p = [];
      if (pos > 0) p.push(pos);
      if (del > 0) p.push({ d: del });
      if (ins) p.push(ins);
      op = op === null ? p : ot.compose(op, p);
    }
    ops[i] = ot.normalize(op);
  }
  return { startContent: data.startContent, endContent: data.endContent, ops, txns: data.txns };
}

// The trace's text after each revision of `revs` (revision r = after r
// transactions), by splicing code-point arrays with the raw patches: an
// independent check of the server (and far faster than ot.apply on 100k).
function traceTextsAt(trace, revs) {
  const want = [...new Set(revs)].sort((a, b) => a - b);
  const out = new Map();
  let doc = Array.from(trace.startContent);
  let k = 0;
  for (let r = 0; r <= trace.txns.length && k < want.length; r++) {
    while (k < want.length && want[k] === r) out.set(want[k++], doc.join(''));
    if (r === trace.txns.length) break;
    for (const [pos, del, ins] of trace.txns[r].patches) {
      if (pos + del > doc.length) throw new Error(`trace txn ${r}: patch out of range`);
      doc.splice(pos, del, ...Array.from(ins));
    }
  }
  return out;
}

// Sends ops[from..to) through one WebSocket connection into `workshop`, one op
// in flight (the server refuses an op whose revision it has not reached). The
// workshop's revision must be `from` (the replayer is the only writer).
// Needs a server started with a high --rate/--burst.
function replayThroughServer(server, workshop, ops, { from = 0, to = ops.length, name = 'Trace', organisation = 'Replay', key, timeoutMs = 600000 } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(server.wsUrl, { perMessageDeflate: false });
    let i = from;
    let t0 = 0;
    const timer = setTimeout(() => { ws.terminate(); reject(new Error(`trace replay timed out at op ${i}`)); }, timeoutMs);
    const fail = (e) => { clearTimeout(timer); ws.terminate(); reject(e); };
    const sendNext = () => ws.send(JSON.stringify({ type: 'op', id: i, rev: i, op: ops[i] }));
    ws.on('error', fail);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'join', id: 'j', workshop, name, organisation, ...(key ? { key } : {}) })));
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString('utf8'));
      if (m.type === 'welcome') {
        if (m.doc.rev !== from) return fail(new Error(`workshop at rev ${m.doc.rev}, replay starts at ${from}`));
        t0 = Date.now();
        if (i >= to) { clearTimeout(timer); ws.close(); return resolve({ ms: 0, ops: 0 }); }
        sendNext();
      } else if (m.type === 'ack') {
        if (m.id !== i || m.rev !== i) return fail(new Error(`ack ${JSON.stringify(m)} for op ${i}`));
        i++;
        if (i >= to) {
          clearTimeout(timer);
          const ms = Date.now() - t0;
          ws.close();
          return resolve({ ms, ops: to - from });
        }
        sendNext();
      } else if (m.type === 'error') {
        fail(new Error(`trace op ${i}: ${JSON.stringify(m)}`));
      }
    });
  });
}

module.exports.bearer = bearer;
module.exports.getJson = getJson;
module.exports.fetchAllHistory = fetchAllHistory;
module.exports.streamIdCmp = streamIdCmp;
module.exports.loadTrace = loadTrace;
module.exports.traceTextsAt = traceTextsAt;
module.exports.replayThroughServer = replayThroughServer;

// ---------------------------------------------------------------- exports (issue #12)
// Reading the exports as a person would: times on the workshop's clock, the
// office CSV, the HTML as text.

// The wall clock of ms in zone, as the exports write it (Node's tz database).
function wallClock(ms, zone) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
    timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return { fr: `${parts.day}/${parts.month}/${parts.year} ${parts.hour}:${parts.minute}`, en: `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`, hm: `${parts.hour}:${parts.minute}` };
}

// RFC 4180 with ";" between fields (the export's own are plain: no quoted line breaks).
function csvRows(text) {
  const rows = [];
  for (const line of text.split('\r\n')) {
    const row = [];
    let i = 0;
    for (;;) {
      let field = '';
      if (line[i] === '"') {
        i++;
        for (; i < line.length; i++) {
          if (line[i] === '"' && line[i + 1] === '"') { field += '"'; i++; } else if (line[i] === '"') { i++; break; } else field += line[i];
        }
      } else {
        while (i < line.length && line[i] !== ';') field += line[i++];
      }
      row.push(field);
      if (line[i] === ';') { i++; continue; }
      break;
    }
    rows.push(row);
  }
  return rows;
}

// The tables of a CSV export, split at its empty lines.
function csvTables(text) {
  const tables = [[]];
  for (const row of csvRows(text.replace(/^\uFEFF/, '').replace(/\r\n$/, ''))) {
    if (row.length === 1 && row[0] === '') tables.push([]);
    else tables[tables.length - 1].push(row);
  }
  return tables;
}

const unhtml = (s) => s.replace(/<style[^>]*>[^<]*<\/style>/, '').replace(/<[^>]+>/g, ' ')
  .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

module.exports.wallClock = wallClock;
module.exports.csvRows = csvRows;
module.exports.csvTables = csvTables;
module.exports.unhtml = unhtml;

// ---------------------------------------------------------------- requests (issue #13)
// A request and the reply that carries its id, whatever its type: the
// files of issue 13 use these rather than a copy each.

let askSeq = 0;

// Sends msg with a fresh id; resolves with the message carrying that id.
async function ask(c, msg, timeoutMs = 5000) {
  const m = { ...msg, id: `ask${++askSeq}` };
  const p = c.waitFor((x) => x.id === m.id, timeoutMs, `reply to ${JSON.stringify(m).slice(0, 100)}`);
  c.send(m);
  return p;
}

// The reply must be of that type.
async function must(c, msg, type) {
  const r = await ask(c, msg);
  assert.equal(r.type, type, `${c.tag} ${JSON.stringify(msg)}: expected ${type}, got ${JSON.stringify(r)}`);
  return r;
}

// The reply must be the error with that code, naming the request's type.
async function refusedWith(c, msg, code) {
  const r = await ask(c, msg);
  assert.equal(r.type, 'error', `${c.tag} ${JSON.stringify(msg)}: expected error ${code}, got ${JSON.stringify(r)}`);
  assert.equal(r.code, code, `${c.tag} ${JSON.stringify(msg)}: ${JSON.stringify(r)}`);
  assert.equal(r.re, msg.type);
  return r;
}

// The messages of a type a client received, in order.
function received(c, type) {
  return c.log.filter((e) => e.dir === 'in').map((e) => JSON.parse(e.data)).filter((m) => m.type === type);
}

module.exports.ask = ask;
module.exports.must = must;
module.exports.refusedWith = refusedWith;
module.exports.received = received;
module.exports.WRITES = WRITES;
module.exports.READS = READS;
module.exports.clientTypes = clientTypes;
module.exports.rightsTable = rightsTable;

// ---------------------------------------------------------------- raw sockets (issue #14)
// What a client that is not a browser may send: bytes, headers that never
// end, a WebSocket that never joins. The edge's tests use these.

const net = require('node:net');

// Connects (from localAddress when given: any 127.x.y.z is this machine, and
// a distinct client address to the server). Resolves once connected with
// { sock, text(), closed: Promise<{ text }> } ; closed resolves when the
// server closes (or resets) the connection.
function rawSocket(port, { localAddress } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: HOST, localAddress });
    let text = '';
    const closed = new Promise((done) => {
      const end = () => done({ text });
      sock.on('end', end);
      sock.on('close', end);
    });
    sock.on('data', (d) => { text += d.toString('utf8'); });
    sock.on('error', () => {}); // a reset is a close here
    sock.once('connect', () => resolve({ sock, text: () => text, closed }));
    sock.once('error', reject);
  });
}

// Sends raw bytes, resolves with everything read until the server closes or
// `ms` passes: { text, closed }.
async function rawExchange(port, bytes, ms = 2000, opts = {}) {
  const r = await rawSocket(port, opts);
  r.sock.write(bytes);
  let timer;
  const timeout = new Promise((done) => { timer = setTimeout(() => done(null), ms); });
  const got = await Promise.race([r.closed, timeout]);
  clearTimeout(timer);
  r.sock.destroy();
  return { text: r.text(), closed: got !== null };
}

// A WebSocket upgrade's outcome: { status } (101 when it opened: then ws is
// the open socket) from the client address localAddress, with more request
// headers when given.
function upgrade(url, { origin, localAddress, headers, timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, origin, localAddress, headers, handshakeTimeout: timeoutMs });
    ws.on('open', () => resolve({ status: 101, ws }));
    ws.on('unexpected-response', (req, res) => { resolve({ status: res.statusCode }); req.destroy(); });
    ws.on('error', (e) => reject(e));
  });
}

module.exports.rawSocket = rawSocket;
module.exports.rawExchange = rawExchange;
module.exports.upgrade = upgrade;

// ---------------------------------------------------------------- exactly once (issue #15)
// What a crash or a failover must keep, checked the same way by every test
// that kills something while people type (crash.test.js,
// haproxy-instance-kill.test.js): each edit inserts a unique marker between
// two others (never inside one), so each edit's presence can be counted in
// the final text; the stored history is compared with what clients were told.

// Code point offsets where a new marker may go: the start and after each ⟧.
function markerBoundaries(text) {
  const out = [0];
  let cp = 0;
  for (const ch of text) {
    cp++;
    if (ch === '⟧') out.push(cp);
  }
  return out;
}

// c's k-th edit: a marker ⟦TAG.K⟧ at a boundary drawn with rand (an emoji in
// every fifth, so that positions count code points, not UTF-16 units). The
// marker is the edit's meta (Client.submit).
function submitMarker(c, k, rand) {
  const b = markerBoundaries(c.text);
  const pos = b[Math.floor(rand() * b.length)];
  const marker = `⟦${c.tag}.${k}${k % 5 === 0 ? '😀' : ''}⟧`;
  c.submit(pos ? [pos, marker] : [marker], marker);
  return marker;
}

// Every edit of these clients is in text exactly once (at most once when the
// client gave it up), none is split or still pending, no marker appears
// twice. Returns how many edits clients gave up.
function assertMarkersOnce(clients, text) {
  let dropped = 0;
  for (const c of clients) {
    dropped += c.droppedMeta.length;
    const droppedSet = new Set(c.droppedMeta);
    for (const metas of c.opMeta.values()) {
      for (const marker of metas) {
        const n = countOccurrences(text, marker);
        if (droppedSet.has(marker)) assert.ok(n <= 1, `${marker} appears ${n} times`);
        else assert.equal(n, 1, `${c.tag}: ${marker} appears ${n} times`);
      }
    }
    for (const marker of c.pendingMeta) assert.fail(`${c.tag}: ${marker} still pending`);
  }
  const markers = text.match(/⟦[^⟧]*⟧/g) || [];
  assert.equal(markers.join(''), text, 'text is not made of whole markers: an edit was split');
  assert.equal(new Set(markers).size, markers.length, 'a marker appears twice');
  return dropped;
}

// The stored history (readHistory) is revisions 0..N-1 once each, replays
// from `initial` (to `text` when given), stores no op twice, and holds every
// op a client was acknowledged at the revision it was told. Returns the text
// it replays to.
function assertHistoryOnce(hist, clients, initial, text) {
  const replayed = replayHistory(initial, hist.ops);
  if (text !== undefined) assert.equal(replayed, text, 'the stored history does not replay to the clients\' text');
  const seen = new Set();
  for (const o of hist.ops) {
    const k = `${o.author}/${o.opid}`;
    assert.ok(!seen.has(k), `op ${k} stored twice`);
    seen.add(k);
  }
  for (const c of clients) {
    for (const [id, rev] of c.acked) {
      const stored = hist.ops[rev];
      assert.ok(stored && stored.opid === id && stored.author === c.participant.id, `${c.tag}: acked ${id}@${rev} is not stored there`);
    }
  }
  return replayed;
}

// Who c believes is present, from what the server told it (welcome,
// arrived, departed), with carets: { present: Map id -> participant,
// carets: Map id -> {rev, sel}, arrivals: [id], departures: [id] }.
function trackPresence(c) {
  const seen = { present: new Map(), carets: new Map(), arrivals: [], departures: [] };
  c.on('message', (m) => {
    if (m.type === 'welcome') {
      seen.present.clear();
      for (const p of m.participants) {
        seen.present.set(p.id, p);
        if (p.sel) seen.carets.set(p.id, { rev: p.rev, sel: p.sel });
      }
    } else if (m.type === 'arrived') {
      seen.arrivals.push(m.participant.id);
      seen.present.set(m.participant.id, m.participant);
    } else if (m.type === 'departed') {
      seen.departures.push(m.participant);
      seen.present.delete(m.participant);
      seen.carets.delete(m.participant);
    } else if (m.type === 'cursor') {
      seen.carets.set(m.participant, { rev: m.rev, sel: m.sel });
    }
  });
  return seen;
}

module.exports.markerBoundaries = markerBoundaries;
module.exports.submitMarker = submitMarker;
module.exports.assertMarkersOnce = assertMarkersOnce;
module.exports.assertHistoryOnce = assertHistoryOnce;
module.exports.trackPresence = trackPresence;

// ---------------------------------------------------------------- rooms under load (issue #15)
// The failure tests' load (haproxy.test.js, failover-load.test.js): WORKSHOPS
// workshops, each with a facilitator and PER participants of three
// organisations, an open poll, everyone connected through h.server (haproxy
// in the topology) with reconnect on. Everyone votes (each ballot confirmed
// by my_ballot, sent again after `unavailable` or a lost connection) and types
// markers (submitMarker); check() then says what held.

// Casts a ballot until the server confirms it (my_ballot in reply): a vote
// lost with its connection, or answered unavailable, is sent again once the
// client has resumed. The last vote stands, so sending it twice is harmless.
// Resolves with the number of sends.
async function castVote(c, poll, ballot) {
  for (let attempt = 1; ; attempt++) {
    await waitUntil(() => c.joined, 30000, `${c.tag} joined to vote`);
    try {
      const r = await ask(c, { type: 'vote', poll, ballot }, 4000);
      if (r.type === 'my_ballot') return attempt;
      assert.equal(r.code, 'unavailable', `${c.tag} vote: ${JSON.stringify(r)}`);
    } catch (e) {
      if (e.code === 'ERR_ASSERTION' || attempt > 60) throw e;
    }
    await sleep(100);
  }
}

class LoadRooms {
  constructor(h, seed) {
    this.h = h;
    this.seed = seed;
    this.rand = prng(seed);
    this.rooms = []; // { w, facilitator, people, poll, seen (trackPresence of each person), ballots: tag -> last confirmed }
    this.typed = new Map(); // client -> markers it has typed
  }

  // Creates the workshops and their polls, and joins everyone.
  static async start(h, { workshops = 3, perWorkshop = 10, seed, title = 'Panne' }) {
    const r = new LoadRooms(h, seed);
    for (let n = 0; n < workshops; n++) {
      const w = await h.server.createWorkshop({ title: `${title} ${n + 1}`, text: '' });
      const facilitator = h.client({
        workshop: w.id, name: `Animatrice ${n + 1}`, organisation: 'Coordination', key: w.facilitator_key, reconnect: true, record: 200,
      });
      await facilitator.start();
      const created = await ask(facilitator, { type: 'poll_create', kind: 'single', question: 'On continue ?', choices: ['oui', 'non', 'plus tard'] });
      assert.equal(created.type, 'poll', JSON.stringify(created));
      const opened = await ask(facilitator, { type: 'poll_open', poll: created.poll.id });
      assert.equal(opened.type, 'poll', JSON.stringify(opened));
      const people = [];
      for (let i = 0; i < perWorkshop; i++) {
        people.push(h.client({
          workshop: w.id, name: `P${n + 1}-${i}`, organisation: ['Mairie', 'Banque', 'Association'][i % 3], reconnect: true, record: 300,
        }));
      }
      r.rooms.push({ w, facilitator, people, poll: created.poll.id, seen: people.map(trackPresence), ballots: new Map() });
    }
    await Promise.all(r.people.map((c) => c.start()));
    return r;
  }

  get people() { return this.rooms.flatMap((r) => r.people); }
  get everyone() { return this.rooms.flatMap((r) => [r.facilitator, ...r.people]); }
  count(what) { return this.everyone.reduce((n, c) => n + (typeof what === 'function' ? what(c) : c[what]), 0); }

  // Everyone votes choose(their last confirmed ballot or undefined), each
  // ballot confirmed; resolves with how many votes were sent again.
  vote(choose) {
    return Promise.all(this.rooms.flatMap((r) => r.people.map(async (c) => {
      const ballot = choose(r.ballots.get(c.tag), this.rand);
      const sends = await castVote(c, r.poll, ballot);
      r.ballots.set(c.tag, ballot);
      return sends - 1;
    }))).then((resent) => resent.reduce((a, b) => a + b, 0));
  }

  // Everyone types `ops` more markers, 15 to 45 ms apart, or fewer when
  // stop() says so first (typing through an incident, however long it takes
  // to come); resolves when all are submitted.
  type(ops, { stop = () => false } = {}) {
    this.typingDone = false;
    this.round = (this.round || 0) + 1;
    return Promise.all(this.rooms.flatMap((r, n) => r.people.map(async (c, i) => {
      const rnd = prng(this.seed * 31 + n * 100 + i + this.round * 7919);
      let k = this.typed.get(c) || 0; // markers are numbered on from the last round's
      for (const end = k + ops; k < end && !stop(); k++) {
        submitMarker(c, k, rnd);
        this.typed.set(c, k + 1);
        await sleep(15 + Math.floor(rnd() * 30));
      }
    }))).then(() => { this.typingDone = true; });
  }

  // Every room quiet: each one's clients idle at one revision (rooms differ).
  async settle(timeoutMs = 30000) {
    for (const r of this.rooms) await waitQuiescent([r.facilitator, ...r.people], { timeoutMs });
  }

  // The earliest ack of an op sent (or sent again) after time t (ms since
  // the epoch), or null: after a death at t, when the service answered again.
  firstAckAfter(t) {
    let first = null;
    for (const c of this.everyone) for (const a of c.ackLog) if (a.sent > t && (first === null || a.t < first)) first = a.t;
    return first;
  }

  // Each room, once quiet (the stored revision in `redis`, the Redis that
  // holds the final state, reached): everyone has one text, made of whole
  // markers none twice, and the stored history replays to it. With `lossless`
  // every acknowledged edit is in it once, at its revision; without, the
  // acknowledged edits missing from it are counted (a failover under
  // --replicas 0). Then, when they voted, every participant's last confirmed
  // ballot counts once in the results a newcomer is given. Resolves with { lost, acked }.
  async check(redis, { lossless = true, timeoutMs = 30000 } = {}) {
    let lost = 0;
    let acked = 0;
    for (const r of this.rooms) {
      const group = [r.facilitator, ...r.people];
      const storedRev = async () => Number(await redis.command('HGET', metaKey(r.w.id), 'rev'));
      await waitQuiescent(group, { timeoutMs, serverRev: storedRev });
      const text = r.people[0].text;
      for (const c of group) assert.equal(c.text, text, `${c.tag} diverged`);
      const hist = await readHistory(redis.port, r.w.id);
      assert.equal(hist.ops.length, r.people[0].rev);
      for (const c of r.people) {
        for (const { id } of c.ackLog) {
          acked++;
          const markers = c.opMeta.get(id) || [];
          if (markers.some((m) => countOccurrences(text, m) === 0)) lost++;
        }
      }
      if (lossless) {
        assert.equal(assertMarkersOnce(r.people, text), 0, 'a client gave edits up');
        assertHistoryOnce(hist, r.people, '', text);
      } else {
        // After a loss an edit not yet acknowledged is rebased onto the
        // surviving text by a text difference (README, "Replicas and
        // failover"), which can put it between two characters of someone
        // else's edit: markers may nest then. What must hold: each edit
        // whole around what was put inside it, none twice.
        const markers = [];
        let rest = text;
        for (let inner = /⟦[^⟦⟧]*⟧/g; inner.test(rest); inner.lastIndex = 0) {
          rest = rest.replace(inner, (m) => { markers.push(m); return ''; });
        }
        assert.equal(rest, '', 'text is not made of whole markers: an edit was cut');
        assert.equal(new Set(markers).size, markers.length, 'a marker appears twice');
        assert.equal(replayHistory('', hist.ops), text, 'the stored history does not replay to the clients\' text');
      }
      if (r.ballots.size) await this.checkBallots(r); // when they voted
    }
    if (lossless) assert.equal(lost, 0, `${lost} acknowledged edits missing`);
    return { lost, acked };
  }

  // Every participant's last confirmed ballot, once: the results a newcomer gets.
  async checkBallots(r) {
    const newcomer = this.h.client({ workshop: r.w.id, name: 'Après', organisation: 'Mairie', key: r.w.facilitator_key });
    const welcome = await newcomer.start();
    assert.equal(welcome.doc.text, r.people[0].text);
    const results = await waitUntil(() => received(newcomer, 'results').find((m) => m.poll === r.poll), 5000, 'results after welcome');
    const expected = [0, 0, 0];
    for (const b of r.ballots.values()) expected[b]++;
    assert.equal(results.respondents, r.people.length);
    assert.deepEqual(results.counts, expected, 'the ballots counted are not the last ones confirmed');
    const closed = newcomer.waitClose();
    newcomer.close();
    await closed;
    return welcome;
  }
}

module.exports.LoadRooms = LoadRooms;
module.exports.castVote = castVote;

// ---------------------------------------------------------------- metrics

// name{labels} value lines into {"name{labels}": number}; checks the format as it goes.
function parseMetrics(text) {
  const out = {};
  const typed = new Set();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const type = line.match(/^# TYPE (\w+) (counter|gauge|histogram)$/);
    if (type) { typed.add(type[1]); continue; }
    if (line.startsWith('# HELP ')) continue;
    const m = line.match(/^(\w+)(\{[^}]*\})? (\S+)$/);
    assert.ok(m, `not a sample line: ${line}`);
    assert.ok(typed.has(m[1].replace(/_(bucket|sum|count)$/, '')) || typed.has(m[1]), `no TYPE before ${m[1]}`);
    out[m[1] + (m[2] || '')] = Number(m[3]);
  }
  return out;
}

// GET /metrics of server s, parsed: {"name{labels}": number}.
async function scrapeMetrics(s, headers = {}) {
  const r = await s.http('GET', '/metrics', { headers });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  return parseMetrics(r.text);
}

module.exports.parseMetrics = parseMetrics;
module.exports.scrapeMetrics = scrapeMetrics;
