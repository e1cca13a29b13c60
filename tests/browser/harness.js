// The browser tests' own machinery: the web bundle, Debian's Chromium through
// playwright-core, pages that record their errors, a small protocol client
// for people who are not in a browser, and setup(), the set-up every test
// file shares. The processes (Redis, the server binary, ports, temporary
// directories, cleanup, the rules on how a server may exit) are
// tests/lib/processes.js, shared with the integration tests.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import processes from '../lib/processes.js';
import topologies from '../lib/topology.js';

const { REPO: ROOT, sleep, waitUntil, freePort, makeTempDir, RedisProc, ServerProc, serverExitProblems } = processes;
export { ROOT, sleep, RedisProc };
export const ARTIFACTS = path.join(ROOT, 'tests/artifacts');
const WEB_ROOT = path.join(ROOT, 'web-client/dist');

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

/** The real server on the web bundle; kill() and start() again keep the same port (restart tests). */
export async function startServer({ redisPort, port, args = [] } = {}) {
  buildWeb();
  const server = new ServerProc({
    redisPort, port: port || await freePort(), dir: makeTempDir('atelier-browser-'), args, webRoot: WEB_ROOT,
  });
  await server.start();
  return server;
}

/** Chromium; `args`: more command-line switches (e.g. a host name resolved to this machine). */
export async function launchBrowser({ args = [] } = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', ...args],
  });
}

/** Record page errors, CSP violations and dialogs of a page (popups included, from their start). */
function watchPage(page) {
  if (page.problems) return;
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
}

/**
 * A browser context and page that fail the test on page errors and CSP
 * violations and record any dialog (an alert() would mean injected script ran).
 * bypassCSP: for axe, injected as a script tag.
 * ATELIER_TEST_SLOW_FRAMES=MS delays every animation frame callback by MS
 * (what a busy machine does): a test that reads what a frame draws without
 * waiting for it then fails every time instead of once in a while.
 */
export async function openPage(browser, { locale = 'fr-FR', viewport = { width: 1280, height: 800 }, bypassCSP = false } = {}) {
  const context = await browser.newContext({ locale, viewport, bypassCSP });
  const slow = Number(process.env.ATELIER_TEST_SLOW_FRAMES || 0);
  if (slow > 0) {
    await context.addInitScript((ms) => {
      const raf = window.requestAnimationFrame.bind(window);
      window.requestAnimationFrame = (f) => raf(() => setTimeout(() => f(performance.now()), ms));
    }, slow);
  }
  // Every page of the context, tabs it opens included (a link with target=_blank).
  context.on('page', watchPage);
  const page = await context.newPage();
  if (!page.problems) watchPage(page); // in case the event comes after newPage resolves
  return { context, page };
}

export function artifact(name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}

/** Poll fn until it returns a truthy value (returned). */
export async function until(fn, { timeout = 15000, interval = 100, message = 'condition' } = {}) {
  let last;
  try {
    return await waitUntil(async () => (last = await fn()), timeout, message, interval);
  } catch (e) {
    e.message += ` (last: ${JSON.stringify(last)})`;
    throw e;
  }
}

/** Create a workshop over the HTTP API (for tests that do not test the home page). */
export async function apiCreate(url, title, text = '') {
  const r = await fetch(`${url}/api/workshops`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title, text }),
  });
  if (r.status !== 201) throw new Error(`create: ${r.status}`);
  return r.json();
}

/**
 * Someone over the WebSocket protocol, not in a browser, joined to a
 * workshop: `welcome`, `got` (every message received, the welcome
 * first, in order), send(msg) (resolves with the server's reply to it), vote(poll,
 * ballot), close().
 */
export async function connect(url, workshop, { name, organisation, key, timeoutMs = 10000 }) {
  const { default: WebSocket } = await import('ws');
  const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`);
  const waiting = new Map();
  const got = [];
  let n = 0;
  const reply = (id, what) => new Promise((resolve, reject) => {
    const t = setTimeout(() => { waiting.delete(id); reject(new Error(`${what}: no reply in ${timeoutMs} ms`)); }, timeoutMs);
    waiting.set(id, (m) => { clearTimeout(t); resolve(m); });
  });
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString());
    got.push(m);
    const f = m.id !== undefined && waiting.get(m.id);
    if (f) { waiting.delete(m.id); f(m); }
  });
  const joined = reply('j', `join of ${name}`);
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  ws.send(JSON.stringify({ type: 'join', id: 'j', workshop, name, organisation, ...(key ? { key } : {}) }));
  const welcome = await joined;
  if (welcome.type !== 'welcome') {
    ws.close();
    throw new Error(`join of ${name}: ${JSON.stringify(welcome)}`);
  }
  const person = {
    name,
    welcome,
    got,
    send(msg) {
      const id = `${name}-${++n}`;
      const r = reply(id, `${msg.type} ${id}`);
      ws.send(JSON.stringify({ ...msg, id }));
      return r;
    },
    vote: (poll, ballot) => person.send({ type: 'vote', poll, ballot }),
    close: () => ws.close(),
  };
  return person;
}

/** The server's current statement, read with a throwaway join. */
export async function serverText(url, workshop) {
  const c = await connect(url, workshop, { name: 'Lecteur', organisation: 'Tests' });
  c.close();
  return c.welcome.doc.text;
}

/**
 * The set-up every browser test file shares, at the top of the file:
 *   const { server, browser, newPage } = await setup();
 * Redis (the shared one in ATELIER_TEST_REDIS_PORT, else its own), the server
 * on the web bundle, Chromium, and with `workshop: {title, text}` a workshop
 * made over the API (`w`: {id, facilitator_key}); `serverArgs`: more server
 * flags (--create-token); `topology`: Topology.start's options (tests/lib/topology.js)
 * to serve from the failover topology instead (`server` is then its haproxy,
 * `redis` its first primary, `topology` the whole). open(opts, t) gives a page
 * and its context (see openPage), newPage(opts, t) the page alone, closed when
 * test t ends, else after the file; participant(name, organisation, {key,
 * workshop}) someone over the protocol in `workshop` (an id; default `w`'s),
 * closed after the file (see connect). After the file everything
 * is stopped, and the file fails if a server it started exited when nobody
 * asked or did not stop cleanly (tests/lib/processes.js).
 */
export async function setup({ workshop, serverArgs = [], topology } = {}) {
  const env = { redis: null, server: null, browser: null, w: null, topology: null };
  const contexts = new Set();
  const people = new Set();
  after(async () => {
    for (const c of people) c.close();
    for (const c of contexts) await c.close().catch(() => {});
    await env.browser?.close().catch(() => {});
    if (env.topology) {
      await env.topology.stop();
    } else {
      await env.server?.stop();
      await env.redis?.close();
    }
    const exits = serverExitProblems();
    assert.deepEqual(exits.slice(0, 5), [], `${exits.length} server exit problem(s)`);
  });
  if (topology) {
    buildWeb();
    env.topology = await topologies.Topology.start({ webRoot: WEB_ROOT, atelierArgs: serverArgs, ...topology });
    env.server = env.topology.haproxy;
    env.redis = env.topology.primary;
  } else {
    env.redis = await RedisProc.start();
    env.server = await startServer({ redisPort: env.redis.port, args: serverArgs });
  }
  env.browser = await launchBrowser();
  if (workshop) env.w = await apiCreate(env.server.url, workshop.title, workshop.text);
  env.open = async (opts, t) => {
    const { context, page } = await openPage(env.browser, opts);
    contexts.add(context);
    if (t) t.after(() => { contexts.delete(context); return context.close().catch(() => {}); });
    return { context, page };
  };
  env.newPage = async (opts, t) => (await env.open(opts, t)).page;
  env.participant = async (name, organisation, { key, workshop = env.w?.id } = {}) => {
    const c = await connect(env.server.url, workshop, { name, organisation, key });
    people.add(c);
    return c;
  };
  return env;
}
