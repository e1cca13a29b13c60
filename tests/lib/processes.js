'use strict';
// The processes the integration and browser tests start, in one place: free
// ports, Redis (a throwaway one, or the shared one in ATELIER_TEST_REDIS_PORT),
// the server binary and its /healthz, the rules on how a server may exit,
// temporary directories, and cleanup when the test process exits or is
// interrupted. CommonJS: the integration tests require() it, the browser tests
// (ES modules) import it.
//
// Every process started here is registered and killed when the test process
// ends, also when a test fails, times out or the runner interrupts the file.
//
// How a server may exit: while a test runs, only when a test asks (kill(),
// stop()); and when asked with SIGTERM, with status 0 within the grace time
// (the server promises a clean stop: README). Anything else (a crash, an exit
// of its own even with status 0, a non-zero status or a hang on SIGTERM) is
// recorded in exitProblems(), which fails the test file (Harness.close() and
// assertNoProblems() in integration, the browser fixture's teardown). This is
// the stricter of the two rules the suites had: the integration harness
// counted only exits nobody asked for, and only in tests that asked; the
// browser harness counted nothing, so a server crashing under a browser test
// showed, if at all, as a timeout somewhere else, and a server that crashed
// or leaked (ASan) while stopping passed.

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..', '..');
const HOST = '127.0.0.1';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Poll cond() until it returns a truthy value (returned), at most timeoutMs. */
async function waitUntil(cond, timeoutMs, what, stepMs = 25) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

// ---------------------------------------------------------------- cleanup

const live = new Set(); // child processes still running
const tempDirs = new Set();

function killAllSync() {
  for (const child of live) {
    try { process.kill(child.pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  live.clear();
  // Keep the logs and Redis data of a failed file for a post-mortem.
  if (process.env.ATELIER_TEST_KEEP || (process.exitCode && tempDirs.size)) {
    if (tempDirs.size) process.stderr.write(`# kept for inspection: ${[...tempDirs].join(' ')}\n`);
    return;
  }
  for (const d of tempDirs) {
    try { fs.rmSync(d, { recursive: true, force: true }); } catch { /* best effort */ }
  }
  tempDirs.clear();
}
process.on('exit', killAllSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => { killAllSync(); process.exit(128 + os.constants.signals[sig]); });
}

function makeTempDir(prefix = 'atelier-it-') {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(d);
  return d;
}

// Removal waits for the process exit, where a failure keeps the directory.
function removeTempDir(d) {
  tempDirs.add(d);
}

// ---------------------------------------------------------------- ports

// Ports are taken below the kernel's ephemeral range (the one listen(0) and
// outgoing connections use): a port from that range can be taken by any
// outgoing connection on this machine between our check and the server's
// bind, or while a server is down for a restart on the same port. On a
// machine shared with load tests (thousands of connections) that happens.
const PORT_FLOOR = 20000;
const given = new Set(); // ports handed out by this process

function ephemeralLow() {
  try {
    const low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : 32768;
  } catch { return 32768; }
}

function canBind(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, HOST, () => srv.close(() => resolve(true)));
  });
}

function kernelPort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function freePort() {
  const high = ephemeralLow() - 1;
  if (high - PORT_FLOOR < 1000) return kernelPort(); // an unusual range: as before
  for (let i = 0; i < 100; i++) {
    const port = PORT_FLOOR + crypto.randomInt(high - PORT_FLOOR + 1);
    if (given.has(port) || !(await canBind(port))) continue;
    given.add(port);
    return port;
  }
  throw new Error(`no free port in ${PORT_FLOOR}-${high}`);
}

// ---------------------------------------------------------------- children

// Spawns a process whose output goes to a log file and a small in-memory tail
// (kept for error messages). Draining the pipes matters: a full pipe would
// block the server.
function spawnLogged(cmd, args, logFile, env) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const out = fs.createWriteStream(logFile, { flags: 'a' });
  const tail = [];
  const onData = (buf) => {
    out.write(buf);
    for (const line of buf.toString('utf8').split('\n')) {
      if (!line) continue;
      tail.push(line);
      if (tail.length > 60) tail.shift();
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.exited = new Promise((resolve) => {
    const done = (info) => {
      if (child.exitInfo) return;
      live.delete(child);
      child.exitInfo = info;
      out.end();
      resolve(info);
    };
    child.on('exit', (code, signal) => done({ code, signal }));
    // A failed spawn (missing binary, ETXTBSY while it is being rebuilt) never
    // emits 'exit'.
    child.on('error', (err) => { child.spawnError = err; if (child.pid === undefined) done({ code: null, signal: null, error: err.message }); });
  });
  child.tail = tail;
  live.add(child);
  return child;
}

// Sends `signal`; SIGKILL after graceMs. Resolves with {code, signal}.
async function killChild(child, signal, graceMs = 5000) {
  if (!child || child.exitInfo) return child && child.exitInfo;
  try { child.kill(signal); } catch { /* gone */ }
  let timer;
  const timeout = new Promise((r) => { timer = setTimeout(() => r('timeout'), graceMs); });
  const r = await Promise.race([child.exited, timeout]);
  clearTimeout(timer);
  if (r === 'timeout') {
    try { child.kill('SIGKILL'); } catch { /* gone */ }
    const t2 = new Promise((res) => { timer = setTimeout(res, 2000); });
    await Promise.race([child.exited, t2]);
    clearTimeout(timer);
  }
  return child.exitInfo;
}

// ---------------------------------------------------------------- RESP

class RespError extends Error {}

// Parses one RESP2/RESP3 value at buf[i]; undefined when incomplete.
function parseResp(buf, i) {
  if (i >= buf.length) return undefined;
  const crlf = buf.indexOf('\r\n', i);
  if (crlf < 0) return undefined;
  const kind = String.fromCharCode(buf[i]);
  const line = buf.toString('utf8', i + 1, crlf);
  const next = crlf + 2;
  switch (kind) {
    case '+': return { value: line, end: next };
    case '-': return { value: new RespError(line), end: next };
    case ':': return { value: Number(line), end: next };
    case '_': return { value: null, end: next };
    case '#': return { value: line === 't', end: next };
    case ',': return { value: Number(line), end: next };
    case '$':
    case '=':
    case '!': {
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      if (next + len + 2 > buf.length) return undefined;
      const s = buf.toString('utf8', next, next + len);
      return { value: kind === '!' ? new RespError(s) : s, end: next + len + 2 };
    }
    case '*':
    case '~':
    case '>':
    case '%': {
      let n = Number(line);
      if (n < 0) return { value: null, end: next };
      if (kind === '%') n *= 2;
      const arr = [];
      let at = next;
      for (let k = 0; k < n; k++) {
        const r = parseResp(buf, at);
        if (!r) return undefined;
        arr.push(r.value);
        at = r.end;
      }
      return { value: arr, end: at };
    }
    default:
      throw new Error(`RESP: unexpected byte ${JSON.stringify(kind)}`);
  }
}

class Resp {
  constructor(port, host = HOST) {
    this.port = port;
    this.host = host;
    this.sock = null;
    this.buf = Buffer.alloc(0);
    this.queue = [];
  }

  connect(timeoutMs = 2000) {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host: this.host, port: this.port });
      const timer = setTimeout(() => { sock.destroy(); reject(new Error('RESP connect timeout')); }, timeoutMs);
      sock.once('connect', () => { clearTimeout(timer); this.sock = sock; resolve(this); });
      sock.once('error', (e) => { clearTimeout(timer); reject(e); });
      sock.on('data', (chunk) => this._onData(chunk));
      sock.on('close', () => {
        for (const q of this.queue.splice(0)) q.reject(new Error('RESP connection closed'));
        this.sock = null;
      });
      sock.on('error', () => {}); // surfaced through close
    });
  }

  _onData(chunk) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      const r = parseResp(this.buf, 0);
      if (!r) break;
      this.buf = this.buf.subarray(r.end);
      const q = this.queue.shift();
      if (!q) continue;
      if (r.value instanceof RespError) q.reject(r.value); else q.resolve(r.value);
    }
  }

  command(...args) {
    if (!this.sock) return Promise.reject(new Error('RESP not connected'));
    const parts = [`*${args.length}\r\n`];
    for (const a of args) {
      const s = String(a);
      parts.push(`$${Buffer.byteLength(s)}\r\n${s}\r\n`);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject });
      this.sock.write(parts.join(''));
    });
  }

  close() {
    if (this.sock) this.sock.destroy();
    this.sock = null;
  }
}

async function redisCommand(port, ...args) {
  const c = new Resp(port);
  await c.connect();
  try { return await c.command(...args); } finally { c.close(); }
}

// ---------------------------------------------------------------- Redis

class RedisProc {
  constructor({ port, dir, external, args = [], auth = null }) {
    this.port = port;
    this.dir = dir;
    this.external = external;
    this.args = args; // more redis-server arguments (--requirepass, --user)
    this.auth = auth; // AUTH's arguments for the tests' own commands ([password] or [user, password]), or null
    this.proc = null;
  }

  // own: start a private Redis even when ATELIER_TEST_REDIS_PORT names a shared
  // one (tests that stop and restart Redis must not take it from the others).
  // args and auth (see the constructor) make it a private one too.
  static async start({ own = false, args = [], auth = null } = {}) {
    const ext = own || args.length || auth ? null : process.env.ATELIER_TEST_REDIS_PORT;
    if (ext) {
      const r = new RedisProc({ port: Number(ext), dir: null, external: true });
      await r.waitReady();
      return r;
    }
    const r = new RedisProc({ port: await freePort(), dir: makeTempDir('atelier-redis-'), external: false, args, auth });
    await r.startProcess();
    return r;
  }

  get canStop() { return !this.external; }

  async startProcess() {
    const bin = process.env.ATELIER_REDIS_SERVER || '/usr/bin/redis-server';
    this.proc = spawnLogged(bin, [
      '--port', String(this.port), '--bind', HOST, '--dir', this.dir,
      '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec',
      '--daemonize', 'no', '--logfile', '', ...this.args,
    ], path.join(this.dir, 'redis.log'));
    await this.waitReady();
  }

  // Ready: it answers PING (a bound port is not enough: Redis says LOADING
  // while it reads its AOF).
  async waitReady(timeoutMs = 10000) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      if (this.proc && this.proc.exitInfo) {
        throw new Error(`redis-server exited ${JSON.stringify(this.proc.exitInfo)}:\n${this.proc.tail.join('\n')}`);
      }
      try {
        if ((await this.command('PING')) === 'PONG') return;
      } catch (e) { last = e; }
      await sleep(50);
    }
    throw new Error(`Redis on ${this.port} not ready: ${last && last.message}`);
  }

  // SIGTERM: Redis flushes its AOF on a clean shutdown. SIGKILL keeps
  // whatever already reached the kernel, which is everything acked to clients.
  async stop(signal = 'SIGTERM') {
    assert.ok(this.canStop, 'cannot stop an external Redis');
    await killChild(this.proc, signal);
    this.proc = null;
  }

  async restart() {
    assert.ok(this.canStop, 'cannot restart an external Redis');
    if (this.proc) await this.stop();
    await this.startProcess();
  }

  async close() {
    if (this.proc) await killChild(this.proc, 'SIGTERM');
    this.proc = null;
    if (this.dir) removeTempDir(this.dir);
  }

  async command(...args) {
    if (!this.auth) return redisCommand(this.port, ...args);
    const c = new Resp(this.port);
    await c.connect();
    try {
      await c.command('AUTH', ...this.auth);
      return await c.command(...args);
    } finally { c.close(); }
  }
}

// ---------------------------------------------------------------- HTTP

// tls: over HTTPS, any certificate accepted (the tests make their own);
// localAddress: connect from it (any 127.x.y.z is this machine: another client address to the server).
function httpRequest(port, method, urlPath, { body, headers = {}, timeoutMs = 5000, tls = false, localAddress } = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined
      : Buffer.isBuffer(body) ? body
        : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const hdrs = { ...headers };
    if (data) {
      hdrs['content-length'] = data.length;
      if (!Object.keys(hdrs).some((k) => k.toLowerCase() === 'content-type')) hdrs['content-type'] = 'application/json';
    }
    let settled = false;
    const options = { host: HOST, port, method, path: urlPath, headers: hdrs, agent: false, localAddress };
    const req = (tls ? https : http).request(tls ? { ...options, rejectUnauthorized: false } : options, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        settled = true;
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
      res.on('error', (e) => { if (!settled) { settled = true; reject(e); } });
    });
    const timer = setTimeout(() => {
      if (!settled) { settled = true; req.destroy(); reject(new Error(`HTTP ${method} ${urlPath} timed out`)); }
    }, timeoutMs);
    // A server may answer 413 and close before reading the whole body: the
    // write then fails with EPIPE/ECONNRESET even though a reply arrived.
    req.on('error', (e) => { if (!settled) { settled = true; clearTimeout(timer); reject(e); } });
    if (data) req.write(data);
    req.end();
  });
}

// ---------------------------------------------------------------- server

const servers = new Set(); // every ServerProc of this process, for exitProblems()

class ServerProc {
  // env: more environment; tls: the server serves HTTPS (its args name the
  // certificate); launcher: a command the binary is run through
  // (['prlimit', '--nofile=64', '--']).
  constructor({ redisPort, port, dir, args = [], webRoot, env = {}, tls = false, launcher = [] }) {
    this.redisPort = redisPort;
    this.tls = tls;
    this.launcher = launcher;
    this.port = port;
    this.dir = dir;
    this.args = args;
    this.env = env; // more environment variables (ATELIER_REDIS_PASSWORD_FILE)
    this.webRoot = webRoot;
    this.proc = null;
    this.starts = 0;
    this.unexpectedExits = []; // exits nobody asked for
    this.failedStops = []; // SIGTERM answered otherwise than by status 0
    servers.add(this);
  }

  static binary() {
    const bin = process.env.ATELIER_BIN || 'build/atelier';
    return path.isAbsolute(bin) ? bin : path.join(REPO, bin);
  }

  get url() { return `${this.tls ? 'https' : 'http'}://${HOST}:${this.port}`; }
  get wsUrl() { return `${this.tls ? 'wss' : 'ws'}://${HOST}:${this.port}/ws`; }
  get alive() { return !!(this.proc && !this.proc.exitInfo); }
  get logFile() { return path.join(this.dir, `server-${this.port}.log`); }
  tail() { return this.proc ? this.proc.tail.join('\n') : ''; }

  async start({ waitHealthy = true } = {}) {
    const bin = ServerProc.binary();
    if (!fs.existsSync(bin)) throw new Error(`server binary not found: ${bin} (build it, or set ATELIER_BIN)`);
    const args = [
      '--port', String(this.port), '--listen', HOST,
      '--redis', `redis://${HOST}:${this.redisPort}`,
      '--log-level', process.env.ATELIER_TEST_LOG_LEVEL || 'warn',
      // Tests create many workshops from one address: the creation rate is
      // tested where a test asks for one (a later --create-rate wins).
      '--create-rate', '1000000',
    ];
    if (this.webRoot) args.push('--web-root', this.webRoot);
    args.push(...this.args);
    const proc = this.launcher.length
      ? spawnLogged(this.launcher[0], [...this.launcher.slice(1), bin, ...args], this.logFile, this.env)
      : spawnLogged(bin, args, this.logFile, this.env);
    this.proc = proc;
    this.starts++;
    proc.exited.then((info) => {
      if (!proc.expectedExit) this.unexpectedExits.push({ ...info, tail: proc.tail.join('\n') });
    });
    await this.waitListening(waitHealthy ? 200 : null);
  }

  // Waits until GET /healthz answers (with `status` when given).
  async waitListening(status = 200, timeoutMs = 15000) {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer';
    while (Date.now() < deadline) {
      if (!this.alive) {
        throw new Error(`server exited ${JSON.stringify(this.proc && this.proc.exitInfo)} during start:\n${this.tail()}`);
      }
      try {
        const r = await httpRequest(this.port, 'GET', '/healthz', { timeoutMs: 1000, tls: this.tls });
        if (status === null || r.status === status) return r;
        last = `status ${r.status} ${r.text}`;
      } catch (e) { last = e.message; }
      await sleep(50);
    }
    throw new Error(`server on ${this.port}: /healthz never answered ${status}: ${last}\n${this.tail()}`);
  }

  // SIGKILL (the default) is a crash: nothing flushed. SIGTERM is a clean
  // stop, which must end with status 0 within the grace time.
  async kill(signal = 'SIGKILL') {
    if (!this.proc) return null;
    const proc = this.proc;
    const running = !proc.exitInfo;
    proc.expectedExit = proc.expectedExit || running;
    const info = await killChild(proc, signal);
    this.proc = null;
    if (running && signal === 'SIGTERM' && !(info && info.code === 0)) {
      this.failedStops.push({ ...info, tail: proc.tail.join('\n') });
    }
    return info;
  }

  async stop() { return this.kill('SIGTERM'); }

  async restart(opts) {
    await this.kill('SIGKILL');
    await this.start(opts);
  }

  http(method, urlPath, opts) { return httpRequest(this.port, method, urlPath, { tls: this.tls, ...opts }); }

  /** What broke the exit rules (see the top of this file), one line each with the log's tail. */
  exitProblems() {
    const brief = (x) => JSON.stringify({ code: x.code, signal: x.signal });
    return [
      ...this.unexpectedExits.map((x) => `server ${this.port} exited unexpectedly ${brief(x)}:\n${x.tail}`),
      ...this.failedStops.map((x) => `server ${this.port} did not stop cleanly on SIGTERM ${brief(x)}:\n${x.tail}`),
    ];
  }
}

/** exitProblems() of every server this process started. */
function serverExitProblems() {
  return [...servers].flatMap((s) => s.exitProblems());
}

module.exports = {
  REPO, HOST, sleep, waitUntil, freePort, makeTempDir, removeTempDir, spawnLogged, killChild,
  Resp, RespError, redisCommand, RedisProc, httpRequest, ServerProc, serverExitProblems,
};
