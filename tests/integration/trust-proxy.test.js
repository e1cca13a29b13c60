'use strict';
// --trust-proxy (README, "Behind a proxy"): when the TCP peer is a trusted
// proxy, the per-address limits count the client it names in
// X-Forwarded-For: the creation rate, join code lookups (both HTTP) and
// joins (WebSocket). Only the entries a trusted proxy wrote are read (the
// last one, or further left while each is a trusted proxy itself), never one
// the client wrote before them. From a peer that is not trusted, the header
// is ignored: the peer is the client.
//
// Any 127.x.y.z is this machine, so the tests play the proxy from 127.0.0.2
// (trusted) and an untrusted client that sends the header from 127.0.0.3.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, upgrade, randomWorkshopId } = require('./harness');

const PROXY = '127.0.0.2';
const STRANGER = '127.0.0.3';
const xff = (value) => ({ 'x-forwarded-for': value });

// POST /api/workshops from `from` with these headers: the status.
async function create(s, from, headers = {}) {
  const r = await s.http('POST', '/api/workshops', { body: { title: 'Proxy' }, headers, localAddress: from });
  return r.status;
}

// A join of an unknown workshop on a new WebSocket: the error's code
// (not_found when the join was let through, rate_limited when it was not).
async function joinCode(s, from, headers) {
  const r = await upgrade(s.wsUrl, { localAddress: from, headers });
  assert.equal(r.status, 101);
  try {
    const reply = new Promise((resolve) => r.ws.once('message', (d) => resolve(JSON.parse(d.toString()))));
    r.ws.send(JSON.stringify({ type: 'join', id: 'j', workshop: randomWorkshopId(), name: 'Par le proxy', organisation: 'Ailleurs' }));
    const m = await reply;
    assert.equal(m.type, 'error', JSON.stringify(m));
    return m.code;
  } finally { r.ws.terminate(); }
}

describe('--trust-proxy', { timeout: 90000 }, () => {
  let h;
  let s;
  before(async () => {
    h = await Harness.start({ servers: 0 });
    s = await h.addServer(['--trust-proxy', `${PROXY}, 10.0.0.0/8`, '--create-rate', '2', '--join-rate', '1']);
  }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('creations: a trusted proxy\'s clients each have their own rate, never one they name themselves', async () => {
    assert.equal(await create(s, PROXY, xff('198.51.100.1')), 201);
    assert.equal(await create(s, PROXY, xff('198.51.100.1')), 201);
    assert.equal(await create(s, PROXY, xff('198.51.100.1')), 429, 'the client is over its rate');
    // The client wrote an address of its own first; the proxy appended the real one.
    assert.equal(await create(s, PROXY, xff('203.0.113.50, 198.51.100.1')), 429, 'a client-supplied entry was read');
    // Two header lines (a client's, then the proxy's): the proxy's counts.
    assert.equal(await create(s, PROXY, xff(['203.0.113.51', '198.51.100.1'])), 429, 'the first header line was read');
    // Another client behind the same proxy is not held back.
    assert.equal(await create(s, PROXY, xff('198.51.100.2')), 201);
    // A chain of trusted proxies (10.0.0.0/8): each vouches for the entry before its own.
    assert.equal(await create(s, PROXY, xff('203.0.113.52, 198.51.100.1, 10.1.2.3')), 429, 'the chain was not followed');
    // Junk in the header: the proxy itself is the client (its own rate, not a way round one).
    assert.equal(await create(s, PROXY, xff('unknown')), 201);
    assert.equal(await create(s, PROXY, xff('198.51.100.1:4000')), 201);
    assert.equal(await create(s, PROXY, {}), 429, 'without the header the proxy is the client');
  });

  test('creations: X-Forwarded-For from a peer that is not trusted is ignored', async () => {
    assert.equal(await create(s, STRANGER, xff('198.51.100.3')), 201);
    assert.equal(await create(s, STRANGER, xff('198.51.100.4')), 201);
    assert.equal(await create(s, STRANGER, xff('198.51.100.5')), 429, 'an untrusted peer chose its address');
    assert.equal(await create(s, PROXY, xff(STRANGER)), 429, 'the same client through the proxy shares its rate');
  });

  test('join code lookups are counted per forwarded client', async () => {
    const lookup = (from, headers) => s.http('GET', '/api/join/abc', { headers, localAddress: from }).then((r) => r.status);
    for (let i = 0; i < 10; i++) assert.notEqual(await lookup(PROXY, xff('198.51.100.20')), 429, `lookup ${i}`);
    assert.equal(await lookup(PROXY, xff('198.51.100.20')), 429);
    assert.notEqual(await lookup(PROXY, xff('198.51.100.21')), 429, 'another client behind the proxy');
    for (let i = 0; i < 10; i++) await lookup(STRANGER, xff(`198.51.100.${30 + i}`));
    assert.equal(await lookup(STRANGER, xff('198.51.100.40')), 429, 'an untrusted peer chose its address');
  });

  test('joins (WebSocket) are counted per forwarded client, read at the upgrade', async () => {
    // --join-rate 1: a burst of 10, then one a second.
    const codes = [];
    for (let i = 0; i < 12; i++) codes.push(await joinCode(s, PROXY, xff('198.51.100.60')));
    assert.ok(codes.includes('rate_limited'), codes.join(' '));
    assert.equal(codes[0], 'not_found');
    assert.equal(await joinCode(s, PROXY, xff('203.0.113.60, 198.51.100.60')), 'rate_limited', 'a client-supplied entry was read');
    assert.equal(await joinCode(s, PROXY, xff('198.51.100.61')), 'not_found', 'another client behind the proxy');

    const stranger = [];
    for (let i = 0; i < 12; i++) stranger.push(await joinCode(s, STRANGER, xff(`198.51.100.${70 + i}`)));
    assert.ok(stranger.includes('rate_limited'), `an untrusted peer chose its address: ${stranger.join(' ')}`);
    h.assertNoProblems();
  });
});

describe('--trust-proxy refuses what is not an address or range', { timeout: 30000 }, () => {
  test('a bad list stops the server at start with status 2', async () => {
    const { spawnSync } = require('node:child_process');
    const { ServerProc } = require('../lib/processes.js');
    for (const bad of ['localhost', '10.0.0.0/33', '127.0.0.1;rm']) {
      const r = spawnSync(ServerProc.binary(), ['--trust-proxy', bad, '--port', '1'], { encoding: 'utf8' });
      assert.equal(r.status, 2, `${bad}: ${r.stderr}`);
      assert.match(r.stderr, /--trust-proxy/);
    }
    const env = { ...process.env, ATELIER_TRUST_PROXY: 'nope' };
    const r = spawnSync(ServerProc.binary(), ['--port', '1'], { encoding: 'utf8', env });
    assert.equal(r.status, 2, r.stderr);
  });
});
