'use strict';
// The edge's limits (issue 14, items 2 and 12), each against a real server:
//  * --max-connections and --max-connections-per-ip: past them a connection
//    is answered 503 when it is accepted, other addresses are still served,
//    a place that frees up is given again, and refusals are logged once per
//    interval, not once each;
//  * --handshake-secs: headers that never end, a silent socket and a
//    WebSocket that never joins are closed; a joined one stays; a download
//    its client stops reading is closed;
//  * --max-queue-bytes: a client that stops reading is dropped, whether it
//    reads or not, and its session is gone;
//  * descriptors: with `ulimit -n 64` a flood of connections is refused
//    without one failed accept, and the server serves again once it is over;
//  * joins per address (--join-rate): a flood from one address is answered
//    rate_limited, creates nothing, and another address still joins.
// Client addresses: any 127.x.y.z reaches this machine, and each is an
// address of its own to the server.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const { Harness, waitUntil, rawSocket, rawExchange, upgrade, randomWorkshopId } = require('./harness');

// GET path from localAddress on a connection of its own: its status (0 when
// the server closed without answering).
async function statusFrom(server, localAddress, path = '/healthz') {
  const r = await rawExchange(server.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 5000, { localAddress });
  const m = r.text.match(/^HTTP\/1\.1 (\d+)/);
  return { status: m ? Number(m[1]) : 0, text: r.text };
}

// Connections from clientAddress the server holds established, or -1 without `ss`.
function established(server, clientAddress) {
  try {
    const out = execFileSync('ss', ['-tnH', 'state', 'established', `( sport = :${server.port} and dst ${clientAddress} )`], { encoding: 'utf8' });
    return out.split('\n').filter((l) => l.trim()).length;
  } catch {
    return -1;
  }
}

// Lines of a server's log matching re. The log reaches its file through a
// pipe: wait for a line rather than read it at once (waitLogLines).
const logLines = (server, re) => (fs.readFileSync(server.logFile, 'utf8').match(re) || []).length;
const waitLogLines = (server, re, what) => waitUntil(() => logLines(server, re), 5000, what);
const details = async (server) => (await server.http('GET', '/healthz?details=1')).json;

describe('connections per address and in all', { timeout: 90000 }, () => {
  let h;
  const held = [];
  before(async () => {
    h = await Harness.start({ serverArgs: ['--max-connections', '6', '--max-connections-per-ip', '3'] });
  }, { timeout: 30000 });
  after(async () => {
    for (const ws of held) ws.terminate();
    if (h) await h.close();
  }, { timeout: 30000 });

  test('503 past either limit, before anything is read; other addresses served; places come back', async () => {
    const url = h.server.wsUrl;
    for (let i = 0; i < 3; i++) {
      const r = await upgrade(url, { localAddress: '127.0.0.11' });
      assert.equal(r.status, 101);
      held.push(r.ws);
    }
    // The fourth from that address: the upgrade is refused, and plain HTTP too.
    assert.equal((await upgrade(url, { localAddress: '127.0.0.11' })).status, 503);
    const refused = await statusFrom(h.server, '127.0.0.11');
    assert.equal(refused.status, 503);
    assert.match(refused.text, /retry-after: 5/i);
    assert.match(refused.text, /"code":"unavailable"/);
    // Another address is served.
    assert.equal((await statusFrom(h.server, '127.0.0.12')).status, 200);

    // Five held; a sixth connection is the last place in all.
    for (let i = 0; i < 2; i++) {
      const r = await upgrade(url, { localAddress: '127.0.0.12' });
      assert.equal(r.status, 101);
      held.push(r.ws);
    }
    await waitUntil(async () => (await statusFrom(h.server, '127.0.0.13')).status === 200, 5000, 'the sixth place');
    const last = await upgrade(url, { localAddress: '127.0.0.13' });
    assert.equal(last.status, 101);
    held.push(last.ws);
    for (let i = 0; i < 5; i++) assert.equal((await statusFrom(h.server, `127.0.0.${20 + i}`)).status, 503);

    // A place freed is given again.
    held.shift().terminate();
    await waitUntil(async () => (await statusFrom(h.server, '127.0.0.14')).status === 200, 5000, 'a freed place');
    // Seven refusals at least so far, reported once or twice (one report per 10 s), never once each,
    // and counted in the metrics like every error answered.
    await waitLogLines(h.server, /refused connections in the last/g, 'the refusals reported');
    const reports = logLines(h.server, /refused connections in the last/g);
    assert.ok(reports >= 1 && reports <= 2, `${reports} reports`);
    let metrics = '';
    await waitUntil(async () => {
      const r = await statusFrom(h.server, '127.0.0.15', '/metrics');
      metrics = r.text;
      return r.status === 200;
    }, 5000, 'a place for the scrape');
    const unavailable = Number((metrics.match(/^atelier_errors_total\{code="unavailable"\} (\d+)/m) || [])[1]);
    assert.ok(unavailable >= 7, `unavailable counted ${unavailable}`);
    assert.ok(h.server.alive);
  });
});

describe('handshake deadline', { timeout: 60000 }, () => {
  let h;
  before(async () => { h = await Harness.start({ serverArgs: ['--handshake-secs', '1'] }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('headers that never end and a silent socket are closed', async () => {
    const dribble = await rawSocket(h.server.port);
    dribble.sock.write('GET / HTTP/1.1\r\nHost: x\r\n');
    const timer = setInterval(() => { if (!dribble.sock.destroyed) dribble.sock.write('X-Slow: a\r\n'); }, 200);
    const silent = await rawSocket(h.server.port);
    try {
      await Promise.race([
        Promise.all([dribble.closed, silent.closed]),
        new Promise((_, reject) => setTimeout(() => reject(new Error('not closed')), 20000)),
      ]);
    } finally {
      clearInterval(timer);
    }
    assert.doesNotMatch(dribble.text(), /HTTP\/1\.1 200/);
  });

  test('a WebSocket that never joins is closed with 4408; a joined one stays', async () => {
    const w = await h.server.createWorkshop({ title: 'Délai' });
    const joined = h.client({ workshop: w.id, name: 'Présente', organisation: 'Ville' });
    await joined.start();
    const idle = await upgrade(h.server.wsUrl);
    assert.equal(idle.status, 101);
    const closed = await new Promise((resolve) => idle.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    assert.equal(closed.code, 4408);
    assert.equal(closed.reason, 'did not join in time');
    assert.ok(joined.connected, 'the joined client was closed too');
    await joined.must({ type: 'ping' }, 'pong');
  });
});

describe('a download nobody reads', { timeout: 120000 }, () => {
  let h;
  before(async () => { h = await Harness.start({ serverArgs: ['--handshake-secs', '1'] }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('is closed, its place given back', { timeout: 100000 }, async (t) => {
    if (established(h.server, '127.0.0.1') < 0) { t.skip('no ss'); return; }
    const w = await h.server.createWorkshop({ title: 'Gros export' });
    const writer = h.client({ workshop: w.id, name: 'Écrit', organisation: 'Ville', record: 0 });
    await writer.start();
    // About 12 MB of events: more than the kernel's buffers hold for a reader.
    const big = 'é'.repeat(20000);
    for (let i = 0; i < 150; i++) {
      writer.submit([big]);
      await waitUntil(() => writer.idle, 10000, `insert ${i} acked`);
      writer.submit([{ d: big.length }]);
      await waitUntil(() => writer.idle, 10000, `delete ${i} acked`);
    }
    const reader = await rawSocket(h.server.port, { localAddress: '127.0.0.41' });
    reader.sock.pause(); // reads nothing
    reader.sock.write(`GET /api/workshops/${w.id}/export?format=json HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${w.facilitator_key}\r\n\r\n`);
    await waitUntil(() => established(h.server, '127.0.0.41') === 1, 5000, 'the download under way');
    await waitUntil(() => established(h.server, '127.0.0.41') === 0, 30000, 'the stalled download closed');
    reader.sock.destroy();
    assert.ok(h.server.alive);
  });
});

describe('a client that stops reading', { timeout: 90000 }, () => {
  let h;
  before(async () => { h = await Harness.start({ serverArgs: ['--max-queue-bytes', '262144', '--log-level', 'notice'] }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('is dropped once its queue holds --max-queue-bytes, and its session is gone', { timeout: 80000 }, async () => {
    const w = await h.server.createWorkshop({ title: 'Lecteur lent' });
    const writer = h.client({ workshop: w.id, name: 'Écrit', organisation: 'Ville', record: 20 });
    const slow = h.client({ workshop: w.id, name: 'Lent', organisation: 'Banque', record: 20 });
    const watcher = h.client({ workshop: w.id, name: 'Regarde', organisation: 'ONG', record: 20 });
    await Promise.all([writer.start(), slow.start(), watcher.start()]);
    const slowId = slow.participant.id;
    const departed = watcher.waitFor((m) => m.type === 'departed' && m.participant === slowId, 70000, 'the slow client dropped');
    let gone = false;
    departed.then(() => { gone = true; }, () => {});
    slow.freeze();
    const big = 'é'.repeat(20000);
    // The kernel's buffers take a few MB first; then the queue fills.
    for (let i = 0; i < 400 && !gone; i++) {
      writer.submit([big]);
      await waitUntil(() => writer.idle, 10000, `insert ${i} acked`);
      writer.submit([{ d: big.length }]);
      await waitUntil(() => writer.idle, 10000, `delete ${i} acked`);
    }
    await departed;
    await waitUntil(async () => (await details(h.server)).sessions === 2, 5000, 'the slow session closed');
    assert.ok(writer.connected && watcher.connected);
    await waitLogLines(h.server, /is too slow/g, 'the slow reader logged');
  });
});

describe('out of descriptors (ulimit -n 64)', { timeout: 90000 }, () => {
  let h;
  const launcher = ['prlimit', '--nofile=64:64', '--'];
  before(async () => {
    h = await Harness.start({ serverArgs: ['--max-connections', '1000', '--handshake-secs', '30'], serverOpts: { launcher } });
  }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('a flood is refused without a failed accept; served again when it is over', async () => {
    const socks = [];
    for (let i = 0; i < 80; i++) socks.push(await rawSocket(h.server.port, { localAddress: `127.0.1.${i + 1}` }));
    // Each is either held (a place) or answered 503 and closed.
    let refused = 0;
    await waitUntil(async () => {
      refused = 0;
      for (const s of socks) if (/^HTTP\/1\.1 503/.test(s.text())) refused++;
      return refused >= 20;
    }, 10000, 'refusals near the descriptor limit');
    assert.ok(h.server.alive);
    for (const s of socks) s.sock.destroy();
    await waitUntil(async () => (await statusFrom(h.server, '127.0.0.2')).status === 200, 10000, 'served again');
    assert.equal(logLines(h.server, /accept: errno/g), 0, 'accept failed');
    assert.ok(logLines(h.server, /near the descriptor limit/g) <= 2);
  });
});

describe('the default --max-connections follows the descriptor limit', { timeout: 60000 }, () => {
  let h;
  before(async () => {
    h = await Harness.start({ serverArgs: ['--log-level', 'notice'], serverOpts: { launcher: ['prlimit', '--nofile=64:64', '--'] } });
  }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('(64 - 32) / 2 = 16 connections', async () => {
    assert.equal(logLines(h.server, /at most 16 connections, 1000 per address/g), 1);
  });
});

describe('joins per address', { timeout: 90000 }, () => {
  let h;
  before(async () => { h = await Harness.start({ serverArgs: ['--join-rate', '2'] }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('a flood of joins from one address is rate_limited and loads nothing; another address joins', async () => {
    const sockets = [];
    const codes = {};
    for (let i = 0; i < 60; i++) {
      const r = await upgrade(h.server.wsUrl, { localAddress: '127.0.0.31' });
      assert.equal(r.status, 101);
      sockets.push(r.ws);
    }
    await Promise.all(sockets.map((ws, i) => new Promise((resolve) => {
      ws.once('message', (data) => {
        const m = JSON.parse(data.toString());
        codes[m.code] = (codes[m.code] || 0) + 1;
        resolve();
      });
      ws.send(JSON.stringify({ type: 'join', id: `j${i}`, workshop: randomWorkshopId(), name: 'Flot', organisation: 'Ailleurs' }));
    })));
    // A burst of 20, then 2 a second.
    assert.ok(codes.rate_limited >= 10, JSON.stringify(codes));
    assert.ok(codes.not_found >= 20, JSON.stringify(codes));
    for (const ws of sockets) ws.terminate();

    const w = await h.server.createWorkshop({ title: 'Ouvert' });
    const other = h.client({ workshop: w.id, name: 'Ailleurs', organisation: 'Ville', url: h.server.wsUrl });
    await other.open();
    // The harness' clients connect from 127.0.0.1: a bucket of its own.
    const reply = await other.request(other.joinMessage());
    assert.equal(reply.type, 'welcome', JSON.stringify(reply));
    await waitUntil(async () => (await details(h.server)).rooms === 1, 5000, 'only the real workshop in memory');
  });
});
