#!/usr/bin/env node
'use strict';
// Memory per idle connection with Node `ws` clients (issue 17, item 2): the
// counterpart of `atelier-load --mode idle` with the WebSocket client most
// peers use. Creates W workshops, opens N connections (at most --batch
// connecting or joining at once), each joins the way the web client does
// (subprotocol atelier.v1, then a join with a name and one of five
// organisations), answers nothing itself (ws answers the server's pings),
// and reads the server's VmRSS before the first connection and after all
// joins plus --settle seconds:
//   kB per connection = (RSS after - RSS before) / joined
// exactly as the C tool does (bench/README.md, "--mode idle").
//
//   ulimit -n 20000
//   node bench/idle-ws.js --url http://127.0.0.1:P --server-pid PID [--clients 10000]
//        [--workshops 100] [--deflate on|off] [--subprotocol atelier.v1|none] [--settle 2] [--hold 3]
//
// --deflate on (the default, as ws and browsers do) offers permessage-deflate;
// off offers nothing. The last line is `RESULT client=ws key=value...`.

const fs = require('node:fs');
const WebSocket = require('ws');

const ORGS = ['Ville de Lyon', 'Banque des Territoires', 'Association Éclat', 'Université Lumière', 'Collectif Rive Gauche'];
const INITIAL_TEXT = "Quoi ?\n\nPourquoi ?\n\nComment ?\n\nLes partenaires présents : la ville, la banque, l'association.\n";

function parseArgs(argv) {
  const o = { url: 'http://127.0.0.1:8080', serverPid: 0, clients: 10000, workshops: 0, deflate: 'on',
    subprotocol: 'atelier.v1', settle: 2, hold: 3, batch: 256, joinTimeout: 180 };
  for (let i = 2; i < argv.length; i++) {
    const [k, v] = [argv[i], argv[i + 1]];
    const num = () => { i++; const x = Number(v); if (!Number.isFinite(x)) throw new Error(`${k}: not a number: ${v}`); return x; };
    if (k === '--url') { o.url = v; i++; }
    else if (k === '--server-pid') o.serverPid = num();
    else if (k === '--clients') o.clients = num();
    else if (k === '--workshops') o.workshops = num();
    else if (k === '--deflate') { o.deflate = v; i++; }
    else if (k === '--subprotocol') { o.subprotocol = v; i++; }
    else if (k === '--settle') o.settle = num();
    else if (k === '--hold') o.hold = num();
    else if (k === '--batch') o.batch = num();
    else if (k === '--join-timeout') o.joinTimeout = num();
    else { console.error(`unknown option ${k}; see the header of ${__filename}`); process.exit(2); }
  }
  if (!o.workshops) o.workshops = Math.max(1, Math.round(o.clients / 100));
  if (!['on', 'off'].includes(o.deflate)) throw new Error('--deflate on|off');
  return o;
}

function rssKb(pid) {
  const m = /^VmRSS:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : -1;
}

function cpuSeconds(pid) {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime in USER_HZ (100 on Linux)
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function createWorkshop(base, i) {
  const r = await fetch(`${base}/api/workshops`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title: `Banc d'essai n°${i + 1} – charge (ws)`, text: INITIAL_TEXT }),
  });
  const j = await r.json();
  if (!j.id) throw new Error(`POST /api/workshops: ${r.status} ${JSON.stringify(j)}`);
  return j.id;
}

// Opens one connection and joins; resolves with the socket once welcomed.
function joinOne(o, wsUrl, workshop, idx, stats) {
  return new Promise((resolve) => {
    const opts = { perMessageDeflate: o.deflate === 'on', handshakeTimeout: o.joinTimeout * 1000 };
    const ws = o.subprotocol === 'none' ? new WebSocket(wsUrl, opts) : new WebSocket(wsUrl, o.subprotocol, opts);
    let done = false;
    const finish = (ok) => { if (!done) { done = true; resolve(ok ? ws : null); } };
    ws.on('open', () => {
      stats.extensions.add(ws.extensions || '(none)');
      ws.send(JSON.stringify({ type: 'join', id: 1, workshop, name: `Lecteur ${idx}`, organisation: ORGS[idx % ORGS.length] }));
    });
    ws.on('message', (data) => {
      stats.messages++;
      if (done) return;
      const m = JSON.parse(data.toString('utf8'));
      if (m.type === 'welcome') finish(true);
      else if (m.type === 'error') { stats.codes[m.code] = (stats.codes[m.code] || 0) + 1; finish(false); }
    });
    ws.on('ping', () => { stats.pings++; });
    ws.on('error', (e) => { stats.errors[e.code || e.message] = (stats.errors[e.code || e.message] || 0) + 1; finish(false); });
    ws.on('close', () => { if (done) stats.lost++; finish(false); });
  });
}

async function main() {
  const o = parseArgs(process.argv);
  const base = o.url.replace(/^ws/, 'http').replace(/\/$/, '');
  const wsUrl = `${base.replace(/^http/, 'ws')}/ws`;
  const stats = { messages: 0, pings: 0, lost: 0, codes: {}, errors: {}, extensions: new Set() };
  const workshops = [];
  for (let i = 0; i < o.workshops; i++) workshops.push(await createWorkshop(base, i));

  const rss0 = o.serverPid ? rssKb(o.serverPid) : -1;
  const cpu0 = o.serverPid ? cpuSeconds(o.serverPid) : -1;
  const t0 = process.hrtime.bigint();
  const sockets = [];
  let next = 0;
  let failed = 0;
  // --batch workers, each opening and joining one connection after another.
  const worker = async () => {
    while (next < o.clients) {
      const i = next++;
      const ws = await joinOne(o, wsUrl, workshops[i % workshops.length], i, stats);
      if (ws) sockets.push(ws); else failed++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.batch, o.clients) }, worker));
  const joinS = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu1 = o.serverPid ? cpuSeconds(o.serverPid) : -1;
  console.log(`joined ${sockets.length} of ${o.clients} clients in ${joinS.toFixed(2)} s, ${failed} failed, over ${o.workshops} workshop(s);`
    + ` permessage-deflate offered: ${o.deflate}; negotiated: ${[...stats.extensions].join(' | ')}`);
  if (Object.keys(stats.codes).length || Object.keys(stats.errors).length)
    console.log(`refusals ${JSON.stringify(stats.codes)} errors ${JSON.stringify(stats.errors)}`);

  await sleep(o.settle * 1000); // arrivals fan out; let them pass before measuring
  const rss1 = o.serverPid ? rssKb(o.serverPid) : -1;
  await sleep(o.hold * 1000);
  const rss2 = o.serverPid ? rssKb(o.serverPid) : -1;
  const kb = sockets.length && rss0 >= 0 ? (rss1 - rss0) / sockets.length : -1;
  if (rss0 >= 0) {
    console.log(`server RSS: ${rss0} kB before, ${rss1} kB after joins, ${rss2} kB after the hold: ${kb.toFixed(1)} kB per connection;`
      + ` server CPU ${((cpu1 - cpu0) * 1e6 / Math.max(1, sockets.length)).toFixed(0)} us per join`);
  }
  console.log(`RESULT client=ws deflate=${o.deflate} clients=${o.clients} joined=${sockets.length} failed=${failed} lost=${stats.lost}`
    + ` workshops=${o.workshops} join_s=${joinS.toFixed(2)} rss_before_kb=${rss0} rss_after_kb=${rss1} rss_end_kb=${rss2}`
    + ` kb_per_conn=${kb.toFixed(1)}`);
  for (const ws of sockets) ws.terminate();
  process.exit(failed || !sockets.length ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(2); });
