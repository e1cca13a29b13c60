#!/usr/bin/env node
'use strict';
// bench/history-read.js: read a workshop's marks page by page, as the replay
// does (only=marks&limit=10000, the facilitator's view), from a running
// server, and print the pages, the events, the ballot events served with
// results, the wall time and, with --pid, the server's CPU meanwhile.
//
//   node bench/history-read.js --port 8080 --workshop ID --key FACILITATOR_KEY [--pid SERVER_PID]

const fs = require('node:fs');
const http = require('node:http');

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}
const PORT = Number(arg('port', 8080));
const ID = arg('workshop');
const KEY = arg('key');
const PID = arg('pid');
const TICK = 100; // clock ticks per second of /proc/PID/stat

const cpu = () => (PID ? fs.readFileSync(`/proc/${PID}/stat`, 'utf8').split(') ')[1].split(' ')
  .slice(11, 13).reduce((t, v) => t + Number(v), 0) / TICK : 0);

function get(path) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: PORT, path, headers: { authorization: `Bearer ${KEY}` } }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString())));
    }).on('error', reject);
  });
}

(async () => {
  const cpu0 = cpu();
  const t0 = Date.now();
  let after = null, pages = 0, events = 0, ballots = 0;
  for (;;) {
    const page = await get(`/api/workshops/${ID}/history?only=marks&limit=10000${after ? `&after=${after}` : ''}`);
    pages++;
    events += page.events.length;
    ballots += page.events.filter((e) => e.type === 'ballot' && e.results).length;
    if (page.next === null) break;
    after = page.next;
  }
  console.log(JSON.stringify({ pages, events, ballots_with_results: ballots, ms: Date.now() - t0,
    ...(PID ? { server_cpu_s: +(cpu() - cpu0).toFixed(2) } : {}) }));
})();
