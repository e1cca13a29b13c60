#!/usr/bin/env node
'use strict';
// bench/history-seek.js: how fast the server seeks to any moment of a long
// history (issue #5, item 2: "under 20 ms of server time for any moment of a
// workshop whose history is the 260k-edit automerge-paper trace").
//
// 1. Starts a throwaway Redis and server (tests/integration/harness.js;
//    binary from ATELIER_BIN, default build/atelier), or uses --url.
// 2. Loads the automerge-paper trace through the server into a fresh
//    workshop (one WebSocket client, one op in flight), or uses --workshop.
// 3. Checks /state?rev= against the trace replayed locally at a few
//    revisions (0, 1, 1000, 100000, the last, random ones): the last must
//    equal the trace's endContent.
// 4. Requests /state?rev=R for --samples random R and /state?at=T for
//    --samples random T (between the creation and the last event), one at a
//    time, and reports min / median / p90 / p99 / max of the wall time on
//    localhost (client send -> last byte; includes Redis and HTTP) and of the
//    server's own `Server-Timing: app;dur=MS` when it sends one.
//
// Trace: automerge-paper by Martin Kleppmann and Alastair R. Beresford
// (https://github.com/automerge/automerge-perf), via
// https://github.com/josephg/editing-traces, CC BY 4.0
// (https://creativecommons.org/licenses/by/4.0/), unmodified; see
// ../shared/traces/README.md (the shared folder beside the repository).
//
//   ATELIER_BIN=build/atelier node bench/history-seek.js [--samples 2000]
//   node bench/history-seek.js --url 127.0.0.1:8080 --workshop ID [--key KEY]

const http = require('node:http');
const path = require('node:path');
const crypto = require('node:crypto');
const {
  Harness, prng, loadTrace, traceTextsAt, replayThroughServer,
} = require(path.join(__dirname, '..', 'tests', 'integration', 'harness.js'));

const TRACE_DEFAULT = path.join(__dirname, '..', '..', 'shared', 'traces', 'sequential', 'automerge-paper.json.gz');

function parseArgs(argv) {
  const o = { samples: 2000, trace: TRACE_DEFAULT, seed: 1, keepAlive: true, check: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => { if (i + 1 >= argv.length) throw new Error(`${a} needs a value`); return argv[++i]; };
    switch (a) {
      case '--url': o.url = v(); break;
      case '--workshop': o.workshop = v(); break;
      case '--key': o.key = v(); break;
      case '--samples': o.samples = Number(v()); break;
      case '--trace': o.trace = v(); break;
      case '--seed': o.seed = Number(v()); break;
      case '--ops': o.ops = Number(v()); break;
      case '--snapshot-every': o.snapshotEvery = v(); break;
      case '--no-keepalive': o.keepAlive = false; break;
      case '--no-check': o.check = false; break;
      case '--json': o.json = true; break;
      case '--help': case '-h':
        process.stdout.write('usage: node bench/history-seek.js [--url HOST:PORT --workshop ID [--key KEY]] [--samples N] [--trace FILE] [--ops N (a prefix)] [--seed N] [--snapshot-every N] [--no-keepalive] [--no-check] [--json]\n');
        process.exit(0);
        break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  return o;
}

function get(agent, host, port, urlPath, key) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const headers = key ? { authorization: `Bearer ${key}` } : {};
    const req = http.request({ host, port, path: urlPath, method: 'GET', agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        const st = res.headers['server-timing'];
        const m = st && /(?:^|,)\s*app\s*;(?:[^,]*;)?\s*dur=([0-9.]+)/.exec(st);
        resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8'), ms, server: m ? Number(m[1]) : null, serverTiming: st });
      });
      res.on('error', reject);
    });
    req.setTimeout(30000, () => req.destroy(new Error(`GET ${urlPath} timed out`)));
    req.on('error', (e) => reject(new Error(`GET ${urlPath} after ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)} ms (socket reused: ${req.reusedSocket}): ${e.message}`)));
    req.end();
  });
}

function stats(xs) {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  return { n: s.length, min: s[0], median: q(0.5), p90: q(0.9), p99: q(0.99), max: s[s.length - 1], mean: s.reduce((a, b) => a + b, 0) / s.length };
}
const fmt = (st) => (st ? `min ${st.min.toFixed(2)} / median ${st.median.toFixed(2)} / p90 ${st.p90.toFixed(2)} / p99 ${st.p99.toFixed(2)} / max ${st.max.toFixed(2)} ms (n=${st.n})` : 'not sent');

async function main() {
  const o = parseArgs(process.argv.slice(2));
  let h = null;
  let host;
  let port;
  let workshop = o.workshop;
  let trace = null;
  const log = (s) => process.stderr.write(`${s}\n`);
  try {
    if (o.url) {
      [host, port] = o.url.replace(/^https?:\/\//, '').split(':');
      port = Number(port);
    } else {
      const args = ['--rate', '10000000', '--burst', '10000000'];
      if (o.snapshotEvery) args.push('--snapshot-every', o.snapshotEvery);
      h = await Harness.start({ ownRedis: true, serverArgs: args });
      host = '127.0.0.1';
      port = h.server.port;
      log(`server ${h.server.url} (${process.env.ATELIER_BIN || 'build/atelier'}), redis ${h.redis.port}`);
    }
    if (!workshop || o.check) {
      trace = loadTrace(o.trace);
      log(`trace ${path.basename(o.trace)}: ${trace.ops.length} transactions`);
    }
    if (!workshop) {
      const r = await new Promise((resolve, reject) => {
        const body = JSON.stringify({ title: 'automerge-paper', text: trace.startContent });
        const req = http.request({ host, port, path: '/api/workshops', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
          const c = []; res.on('data', (x) => c.push(x)); res.on('end', () => resolve({ status: res.statusCode, json: JSON.parse(Buffer.concat(c).toString('utf8')) }));
        });
        req.on('error', reject); req.end(body);
      });
      if (r.status !== 201) throw new Error(`create workshop: ${r.status}`);
      workshop = r.json.id;
      o.key = o.key || r.json.facilitator_key;
      const server = h ? h.server : { wsUrl: `ws://${host}:${port}/ws` };
      const to = o.ops ? Math.min(o.ops, trace.ops.length) : trace.ops.length;
      const { ms } = await replayThroughServer(server, workshop, trace.ops, { to });
      log(`loaded ${to} ops into ${workshop} in ${(ms / 1000).toFixed(1)} s (${Math.round(to / ms * 1000)} ops/s)`);
    }

    let agent = new http.Agent({ keepAlive: o.keepAlive, maxSockets: 1 });
    const meta = JSON.parse((await get(agent, host, port, `/api/workshops/${workshop}`)).body);
    const rev = meta.rev;
    const last = await get(agent, host, port, `/api/workshops/${workshop}/state?rev=${rev}`, o.key);
    if (last.status !== 200) throw new Error(`state?rev=${rev}: ${last.status} ${last.body.slice(0, 300)}`);
    const lastState = JSON.parse(last.body);
    const t0 = meta.created;
    const t1 = lastState.t;
    log(`workshop ${workshop}: rev ${rev}, created ${new Date(t0).toISOString()}, last event ${new Date(t1).toISOString()}`);

    // Correctness first: a fast wrong answer is no result.
    const rand = prng(o.seed);
    if (o.check && trace) {
      const revs = [0, 1, 1000, 100000, rev].filter((r) => r <= rev);
      for (let i = 0; i < 8; i++) revs.push(Math.floor(rand() * (rev + 1)));
      // The local replay blocks the event loop for seconds: on a fresh
      // connection afterwards (the server closes idle keep-alive ones, and a
      // close not read in time would look like a hang-up).
      const want = traceTextsAt(trace, revs);
      agent.destroy();
      agent = new http.Agent({ keepAlive: o.keepAlive, maxSockets: 1 });
      for (const r of want.keys()) {
        const s = await get(agent, host, port, `/api/workshops/${workshop}/state?rev=${r}`, o.key);
        const got = JSON.parse(s.body);
        if (s.status !== 200 || got.text !== want.get(r)) throw new Error(`state?rev=${r} is not the trace's text at ${r}`);
      }
      if (rev === trace.ops.length) {
        if (lastState.text !== trace.endContent) throw new Error('last revision is not endContent');
        log(`checked ${want.size} revisions against the local replay; final text = endContent, sha256 ${crypto.createHash('sha256').update(lastState.text).digest('hex').slice(0, 16)}…`);
      }
    }

    for (let i = 0; i < 20; i++) await get(agent, host, port, `/api/workshops/${workshop}/state?rev=${Math.floor(rand() * (rev + 1))}`, o.key);
    const res = { rev: { wall: [], server: [] }, at: { wall: [], server: [] } };
    const every = Number(o.snapshotEvery || 200);
    const byTail = [[], [], [], []]; // server (or wall) time of ?rev=R by R mod every, in quarters
    const byPos = [[], [], [], []]; // the same by R / rev (where in the history), in quarters
    // CPU of the server and Redis processes over the measured loop (only
    // when this script started them): contention-proof, unlike wall time.
    const cpuMs = (pid) => {
      try {
        const f = require('node:fs').readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
        return (Number(f[11]) + Number(f[12])) * 10; // utime + stime, 100 Hz ticks
      } catch { return null; }
    };
    const pids = h ? { server: h.server.proc.pid, redis: h.redis.proc.pid } : null;
    const cpu0 = pids && { server: cpuMs(pids.server), redis: cpuMs(pids.redis) };
    let worst = { ms: 0 };
    let serverTimingExample = null;
    for (let i = 0; i < o.samples; i++) {
      for (const kind of ['rev', 'at']) {
        const q = kind === 'rev' ? `rev=${Math.floor(rand() * (rev + 1))}` : `at=${t0 + Math.floor(rand() * (t1 - t0 + 1))}`;
        const s = await get(agent, host, port, `/api/workshops/${workshop}/state?${q}`, o.key);
        if (s.status !== 200) throw new Error(`state?${q}: ${s.status} ${s.body.slice(0, 200)}`);
        res[kind].wall.push(s.ms);
        if (s.server !== null) res[kind].server.push(s.server);
        if (kind === 'rev') {
          const R = Number(q.slice(4));
          byTail[Math.floor(((R % every) / every) * 4)].push(s.server !== null ? s.server : s.ms);
          byPos[Math.min(3, Math.floor((R / (rev + 1)) * 4))].push(s.server !== null ? s.server : s.ms);
        }
        if (s.serverTiming && !serverTimingExample) serverTimingExample = s.serverTiming;
        if (s.ms > worst.ms) worst = { ms: s.ms, q, server: s.server };
      }
    }
    agent.destroy();
    const n = 2 * o.samples;
    const cpu = pids && {
      server_ms_per_request: (cpuMs(pids.server) - cpu0.server) / n,
      redis_ms_per_request: (cpuMs(pids.redis) - cpu0.redis) / n,
    };
    const tails = byTail.map((xs, i) => ({ tail: `${Math.round(i * every / 4)}..${Math.round((i + 1) * every / 4) - 1}`, ...stats(xs) }));
    const positions = byPos.map((xs, i) => ({ revs: `${Math.round(i * rev / 4)}..${Math.round((i + 1) * rev / 4)}`, ...stats(xs) }));
    const out = {
      cpu, tails, positions,
      workshop, rev, samples: o.samples, keepAlive: o.keepAlive,
      rev_wall: stats(res.rev.wall), rev_server: stats(res.rev.server),
      at_wall: stats(res.at.wall), at_server: stats(res.at.server), worst, serverTimingExample,
    };
    if (o.json) {
      process.stdout.write(`${JSON.stringify(out)}\n`);
    } else {
      process.stdout.write(`history-seek: workshop at rev ${rev}, ${o.samples} random /state?rev= and ${o.samples} random /state?at=, one at a time, ${o.keepAlive ? 'keep-alive' : 'new connection each'}\n`);
      process.stdout.write(`  ?rev=R wall time:   ${fmt(out.rev_wall)}\n`);
      process.stdout.write(`  ?rev=R server time: ${fmt(out.rev_server)}\n`);
      process.stdout.write(`  ?at=T  wall time:   ${fmt(out.at_wall)}\n`);
      process.stdout.write(`  ?at=T  server time: ${fmt(out.at_server)}\n`);
      if (cpu) process.stdout.write(`  CPU per request (utime+stime over the ${n} requests): server ${cpu.server_ms_per_request.toFixed(2)} ms, Redis ${cpu.redis_ms_per_request.toFixed(2)} ms\n`);
      process.stdout.write(`  ?rev=R ${res.rev.server.length ? 'server' : 'wall'} time by R mod ${every} (ops after the snapshot, if one is taken every ${every}):\n`);
      for (const x of tails) if (x.n) process.stdout.write(`    ${x.tail.padEnd(8)} median ${x.median.toFixed(2)} / p99 ${x.p99.toFixed(2)} / max ${x.max.toFixed(2)} ms (n=${x.n})\n`);
      process.stdout.write(`  ?rev=R ${res.rev.server.length ? 'server' : 'wall'} time by where R is in the history:\n`);
      for (const x of positions) if (x.n) process.stdout.write(`    ${x.revs.padEnd(15)} median ${x.median.toFixed(2)} / p99 ${x.p99.toFixed(2)} / max ${x.max.toFixed(2)} ms (n=${x.n})\n`);
      process.stdout.write(`  slowest: ${worst.q} ${worst.ms.toFixed(2)} ms wall${worst.server !== null && worst.server !== undefined ? `, ${worst.server} ms server` : ''}${serverTimingExample ? `; Server-Timing e.g. ${JSON.stringify(serverTimingExample)}` : ''}\n`);
    }
  } finally {
    if (h) await h.close();
  }
}

main().catch((e) => { process.stderr.write(`history-seek: ${e.stack || e}\n`); process.exitCode = 1; });
