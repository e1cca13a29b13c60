// Shared by the browser tests: a throwaway Redis (or the one in
// ATELIER_TEST_REDIS_PORT), the real server binary, the web bundle, and
// Debian's Chromium through playwright-core. Every process started here is
// stopped by stopAll(), also when a test fails or the run is interrupted.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, statSync, readdirSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS = path.join(ROOT, 'tests/artifacts');
const BIN = path.resolve(ROOT, process.env.ATELIER_BIN || 'build/atelier');
const WEB_ROOT = path.join(ROOT, 'web-client/dist');
const HOST = '127.0.0.1';

const children = new Set();
const tmpDirs = new Set();

function cleanupSync() {
  for (const c of children) {
    try { c.kill('SIGKILL'); } catch { /* gone */ }
  }
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
}
process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => { cleanupSync(); process.exit(130); });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, HOST, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function newestMtime(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Build web-client/dist with the project's build script unless it is up to date. */
export function buildWeb() {
  const out = path.join(WEB_ROOT, 'app.js');
  const src = Math.max(
    newestMtime(path.join(ROOT, 'web-client/src')),
    newestMtime(path.join(ROOT, 'web-client/public')),
    statSync(path.join(ROOT, 'web-client/build.js')).mtimeMs,
  );
  if (existsSync(out) && statSync(out).mtimeMs >= src && existsSync(path.join(WEB_ROOT, 'index.html'))) return;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'web-client/build.js')], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('web build failed');
}

function track(proc, name) {
  children.add(proc);
  let log = '';
  const keep = (d) => { log = (log + d.toString()).slice(-8000); };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  proc.on('exit', () => children.delete(proc));
  proc.logTail = () => `${name} log:\n${log}`;
  return proc;
}

function stopProc(proc, signal = 'SIGTERM') {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => { try { proc.kill('SIGKILL'); } catch { /* gone */ } }, 3000);
    proc.once('exit', () => { clearTimeout(t); resolve(); });
    try { proc.kill(signal); } catch { clearTimeout(t); resolve(); }
  });
}

async function listening(port) {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(true)); // in use: something listens
    s.listen(port, HOST, () => s.close(() => resolve(false)));
  });
}

/**
 * A throwaway Redis (AOF on, in a temporary directory), or the one in
 * ATELIER_TEST_REDIS_PORT (unless `own`). pause()/resume() stop and restart
 * a private one on the same port and data (storage outage tests).
 */
export async function startRedis({ own = false } = {}) {
  if (process.env.ATELIER_TEST_REDIS_PORT && !own) {
    return { port: Number(process.env.ATELIER_TEST_REDIS_PORT), shared: true, stop: async () => {} };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'atelier-browser-redis-'));
  tmpDirs.add(dir);
  const port = await freePort();
  let proc = null;
  const spawnIt = async () => {
    proc = track(spawn('/usr/bin/redis-server', [
      '--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'yes', '--dir', dir,
    ], { stdio: ['ignore', 'pipe', 'pipe'] }), 'redis');
    for (let i = 0; i < 200 && !(await listening(port)); i++) {
      if (proc.exitCode !== null) throw new Error(proc.logTail());
      await sleep(50);
    }
  };
  await spawnIt();
  return {
    port,
    shared: false,
    pause: () => stopProc(proc),
    resume: spawnIt,
    stop: async () => {
      await stopProc(proc);
      rmSync(dir, { recursive: true, force: true });
      tmpDirs.delete(dir);
    },
  };
}

async function healthy(url, ms = 15000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.status === 200) return;
    } catch { /* not listening yet */ }
    await sleep(100);
  }
  throw new Error(`server at ${url} did not become healthy`);
}

/** The real server; stop() and start() again keep the same port (restart tests). */
export async function startServer({ redisPort, port, args = [] } = {}) {
  if (!existsSync(BIN)) throw new Error(`server binary not found: ${BIN} (build it, or set ATELIER_BIN)`);
  buildWeb();
  const p = port || await freePort();
  const url = `http://${HOST}:${p}`;
  const server = {
    port: p,
    url,
    proc: null,
    async start() {
      this.proc = track(spawn(BIN, [
        '--listen', HOST, '--port', String(p), '--redis', `redis://${HOST}:${redisPort}`,
        '--web-root', WEB_ROOT, '--log-level', 'warn', ...args,
      ], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }), 'atelier');
      try {
        await healthy(url);
      } catch (e) {
        throw new Error(`${e.message}\n${this.proc.logTail()}`);
      }
    },
    /** Kill the process (SIGKILL: a crash, nothing flushed) or stop it cleanly. */
    async stop(signal = 'SIGTERM') {
      await stopProc(this.proc, signal);
    },
    log() {
      return this.proc ? this.proc.logTail() : '';
    },
  };
  await server.start();
  return server;
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/**
 * A browser context and page that fail the test on page errors and CSP
 * violations and record any dialog (an alert() would mean injected script ran).
 * ATELIER_TEST_SLOW_FRAMES=MS delays every animation frame callback by MS
 * (what a busy machine does): a test that reads what a frame draws without
 * waiting for it then fails every time instead of once in a while.
 */
export async function openPage(browser, { locale = 'fr-FR', viewport = { width: 1280, height: 800 } } = {}) {
  const context = await browser.newContext({ locale, viewport });
  const slow = Number(process.env.ATELIER_TEST_SLOW_FRAMES || 0);
  if (slow > 0) {
    await context.addInitScript((ms) => {
      const raf = window.requestAnimationFrame.bind(window);
      window.requestAnimationFrame = (f) => raf(() => setTimeout(() => f(performance.now()), ms));
    }, slow);
  }
  const page = await context.newPage();
  page.problems = [];
  page.dialogs = [];
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource|ERR_INTERNET_DISCONNECTED|WebSocket connection/.test(m.text())) {
      page.problems.push(`console: ${m.text()}`);
    }
  });
  page.on('dialog', (d) => {
    // "Leave the page? Unsent changes" is ours and expected; anything else is not.
    if (d.type() === 'beforeunload') {
      page.beforeUnloadPrompts = (page.beforeUnloadPrompts || 0) + 1;
      d.accept().catch(() => {});
      return;
    }
    page.dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  return { context, page };
}

export function artifact(name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}

/** Poll fn until it returns a truthy value. */
export async function until(fn, { timeout = 15000, interval = 100, message = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await sleep(interval);
  }
  throw new Error(`timed out waiting for ${message} (last: ${JSON.stringify(last)})`);
}

/** Create a workshop over the HTTP API (for tests that do not test the home page). */
export async function apiCreate(url, title, text = '') {
  const r = await fetch(`${url}/api/workshops`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title, text }),
  });
  if (r.status !== 201) throw new Error(`create: ${r.status}`);
  return r.json();
}

/** The server's current statement, read with a throwaway WebSocket join. */
export async function serverText(url, workshop) {
  const { default: WebSocket } = await import('ws');
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`);
    const t = setTimeout(() => { ws.terminate(); reject(new Error('serverText timeout')); }, 5000);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'join', id: 1, workshop, name: 'Lecteur', organisation: 'Tests' })));
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString());
      if (m.type === 'welcome') { clearTimeout(t); ws.close(); resolve(m.doc.text); }
      if (m.type === 'error') { clearTimeout(t); ws.close(); reject(new Error(m.code)); }
    });
    ws.on('error', reject);
  });
}

export { sleep };
