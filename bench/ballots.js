#!/usr/bin/env node
'use strict';
// bench/ballots.js: an assembly votes (issue 17, item 4). N people join one
// workshop, a facilitator opens one poll (results shown live, so every
// relay goes to everyone), then everyone votes once, all at once. Measures
// the time from the first vote sent to the last my_ballot received (each
// my_ballot is sent only once Redis has the ballot), the server's CPU over
// that window (utime + stime from /proc/PID/stat, so per ballot; with
// --rounds R everyone votes R times, each time for another choice: changed
// votes, and R times the ballots for the clock's 10 ms ticks), the
// results messages each voter received meanwhile (coalesced: at most 4 a
// second), and checks that the last results are the ballots cast.
//
//   flock /tmp/bench.lock node bench/ballots.js --voters 10000 [--bin build/atelier]
//       [--redis-port PORT] [--port 18431] [--orgs 40] [--choices 4] [--rounds 1]
//       [--visibility live|hidden] [--servers 1] [--label after]
//
// It starts its own server process (ATELIER_BIN or --bin) and, unless
// --redis-port names one, its own throwaway Redis (redis-server on PATH): a
// server loads its Redis Functions into the Redis it uses, so two versions
// on one Redis would swap each other's; the voters are Node `ws` clients in this one process, connecting
// 200 at a time. Prints one JSON line of figures, the driver's own CPU
// among them: with big results (hundreds of organisations) the driver, one
// Node process parsing every relay for 10,000 sockets, is slower than the
// server, and the time to the last my_ballot is then the driver's.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const WebSocket = require('ws');

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}
const VOTERS = Number(arg('voters', 1000));
const BIN = arg('bin', process.env.ATELIER_BIN || 'build/atelier');
const REDIS_PORT = Number(arg('redis-port', 0)); // 0: a Redis of its own, on a free port
const PORT = Number(arg('port', 18431));
const SERVERS = Number(arg('servers', 1)); // processes on the one Redis (ports PORT, PORT + 1): voters alternate
const ORGS = Number(arg('orgs', 40));
const CHOICES = Number(arg('choices', 4));
const LABEL = arg('label', BIN);
const ROUNDS = Number(arg('rounds', 1)); // each round everyone votes (again: a changed vote)
const VISIBILITY = arg('visibility', 'live'); // hidden: results go to the facilitator only (no relay to everyone)
const HOST = '127.0.0.1';
const TICK = 100; // clock ticks per second of /proc/PID/stat (getconf CLK_TCK on Linux)

const RESULTS_HEAD = Buffer.from('{"type":"results"'); // how the server writes a results message (poll_json.c)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function request(method, path, body, port = PORT) {
  return new Promise((resolve, reject) => {
    const data = body ? JSON.stringify(body) : null;
    const req = http.request({ host: HOST, port, method, path, headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {} }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

// Server CPU so far, in seconds.
function cpu(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK; // utime, stime (fields 14 and 15)
}

// One person: a socket that joins, and counts what it is told.
function person(workshop, name, organisation, key, port = PORT) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${HOST}:${port}/ws`, { perMessageDeflate: false, handshakeTimeout: 30000 });
    const p = { ws, msgs: 0, results: 0, lastResults: null, myBallotAt: 0, poll: null, error: null };
    ws.on('open', () => ws.send(JSON.stringify({ type: 'join', id: 'j', workshop, name, organisation, ...(key ? { key } : {}) })));
    ws.on('message', (data) => {
      p.msgs++;
      // A results relay is counted, and read only by the facilitator: parsing
      // 10,000 copies of a big one would make the driver the bottleneck.
      if (!key && data.length > RESULTS_HEAD.length && data.subarray(0, RESULTS_HEAD.length).equals(RESULTS_HEAD)) {
        p.results++;
        return;
      }
      const m = JSON.parse(data.toString('utf8'));
      if (m.type === 'welcome') resolve(p);
      else if (m.type === 'results') { p.results++; p.lastResults = m; }
      else if (m.type === 'my_ballot' && m.id === 'v') p.myBallotAt = performance.now();
      else if (m.type === 'poll' && m.id === 'p') p.poll = m.poll;
      else if (m.type === 'error') { if (!p.error) p.error = m; if (m.id === 'j') reject(new Error(JSON.stringify(m))); }
    });
    ws.on('error', reject);
  });
}

// A free TCP port, as the system hands one out.
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = require('node:net').createServer();
    srv.listen(0, HOST, () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
    srv.on('error', reject);
  });
}

async function main() {
  let redis = null;
  let redisPort = REDIS_PORT;
  if (!redisPort) {
    redisPort = await freePort();
    redis = spawn('redis-server', ['--port', String(redisPort), '--bind', HOST, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await sleep(300);
  }
  const servers = Array.from({ length: SERVERS }, (_, k) => spawn(BIN, ['--port', String(PORT + k), '--listen', HOST,
    '--redis', `redis://${HOST}:${redisPort}`,
    '--max-connections', String(VOTERS + 1000), '--max-connections-per-ip', String(VOTERS + 1000),
    '--join-rate', '100000', '--log-level', 'error'], { stdio: ['ignore', 'inherit', 'inherit'] }));
  const cpuAll = () => servers.reduce((t, sv) => t + cpu(sv.pid), 0);
  try {
    for (let k = 0; k < SERVERS; k++) {
      for (let i = 0; ; i++) {
        try { if ((await request('GET', '/healthz', null, PORT + k)).status === 200) break; } catch { /* not up yet */ }
        if (i > 100) throw new Error('server did not start');
        await sleep(100);
      }
    }
    const made = await request('POST', '/api/workshops', { title: 'Assemblée', text: '' });
    if (made.status !== 201) throw new Error(`create: ${made.status} ${made.text}`);
    const created = JSON.parse(made.text);
    const fac = await person(created.id, 'Animatrice', 'Réseau', created.facilitator_key);
    const joinT0 = performance.now();
    const people = [];
    for (let i = 0; i < VOTERS; i += 200) {
      const batch = [];
      for (let k = i; k < Math.min(VOTERS, i + 200); k++) batch.push(person(created.id, `Votant ${k}`, `Organisation ${k % ORGS}`, undefined, PORT + (k % SERVERS)));
      people.push(...await Promise.all(batch));
    }
    const joinMs = performance.now() - joinT0;
    const choices = Array.from({ length: CHOICES }, (_, k) => `Choix ${k + 1}`);
    fac.ws.send(JSON.stringify({ type: 'poll_create', id: 'p', kind: 'single', question: 'Adopte-t-on le texte ?', choices, open: true, visibility: VISIBILITY }));
    while (!fac.poll) await sleep(10);
    await sleep(1500); // everyone has the poll; the first results relay has gone
    for (const p of people) p.results = p.msgs = 0;

    let expected;
    const cpu0 = cpuAll();
    const me0 = process.cpuUsage();
    const t0 = performance.now();
    let sentMs = 0;
    for (let round = 0; round < ROUNDS; round++) {
      expected = new Array(CHOICES).fill(0);
      const r0 = performance.now();
      people.forEach((p, i) => {
        const ballot = (i * 7 + round) % CHOICES;
        expected[ballot]++;
        p.myBallotAt = 0;
        p.ws.send(JSON.stringify({ type: 'vote', id: 'v', poll: fac.poll.id, ballot }));
      });
      sentMs += performance.now() - r0;
      for (;;) {
        if (people.every((p) => p.myBallotAt || p.error)) break;
        if (performance.now() - t0 > 120000) throw new Error('votes not all answered within 120 s');
        await sleep(20);
      }
    }
    const lastAck = Math.max(...people.map((p) => p.myBallotAt));
    const cpu1 = cpuAll();
    const me1 = process.cpuUsage(me0);
    const errors = {};
    for (const p of people) if (p.error) errors[p.error.code] = (errors[p.error.code] || 0) + 1;
    // The last results relay: the ballots cast.
    const settled = performance.now();
    const done = () => fac.lastResults && fac.lastResults.respondents === VOTERS &&
      JSON.stringify(fac.lastResults.counts) === JSON.stringify(expected);
    while (!done() && performance.now() - settled < 5000) await sleep(20);
    await sleep(300); // the last relay has gone to everyone
    const cpu2 = cpuAll();
    const windowS = (lastAck - t0) / 1000; // every round's, from the first vote sent
    const resultsPerVoter = people.reduce((n, p) => n + p.results, 0) / VOTERS;
    const resultsBytes = fac.lastResults ? JSON.stringify(fac.lastResults).length : 0;
    const out = {
      label: LABEL, servers: SERVERS, voters: VOTERS, rounds: ROUNDS, visibility: VISIBILITY, ballots: VOTERS * ROUNDS, orgs: ORGS, choices: CHOICES,
      join_s: +(joinMs / 1000).toFixed(2),
      send_ms: +sentMs.toFixed(0),
      first_vote_to_last_my_ballot_s: +windowS.toFixed(3),
      server_cpu_s: +(cpu1 - cpu0).toFixed(2),
      server_cpu_per_ballot_us: +((cpu1 - cpu0) / (VOTERS * ROUNDS) * 1e6).toFixed(1),
      driver_cpu_s: +((me1.user + me1.system) / 1e6).toFixed(2),
      server_cpu_with_last_relays_s: +(cpu2 - cpu0).toFixed(2),
      results_msgs_per_voter_in_window: +resultsPerVoter.toFixed(1),
      msgs_per_voter_in_window: +(people.reduce((n, p) => n + p.msgs, 0) / VOTERS).toFixed(1),
      results_bytes: resultsBytes,
      errors,
      results_exact: !!fac.lastResults && JSON.stringify(fac.lastResults.counts) === JSON.stringify(expected),
    };
    console.log(JSON.stringify(out));
    for (const p of [fac, ...people]) p.ws.terminate();
  } finally {
    for (const sv of servers) sv.kill('SIGTERM');
    if (redis) redis.kill('SIGTERM');
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
