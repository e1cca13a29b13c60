'use strict';
// Every bad input gets its error code, changes nothing, and leaves the server
// (and the offending connection, except for invalid UTF-8) serving.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, Client, randomWorkshopId, sleep, waitUntil, waitQuiescent } = require('./harness');

const T = { timeout: 30000 };
const INITIAL = 'Quoi ?'; // 6 code points
const REPLY = new Set(['error', 'pong', 'ack', 'welcome']);

describe('errors', { timeout: 120000 }, () => {
  let h;
  let w; // the workshop every bad input is aimed at
  let a; // the offender, joined
  let b; // a bystander in the same workshop

  before(async () => {
    h = await Harness.start();
    w = await h.server.createWorkshop({ title: 'Erreurs', text: INITIAL });
    a = h.client({ workshop: w.id, name: 'Offender', organisation: 'Tests' });
    b = h.client({ workshop: w.id, name: 'Bystander', organisation: 'Tests' });
    await a.start();
    await b.start();
  }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  // Sends `payload` on `c` and checks the reply is the expected error.
  async function expectError(c, payload, { code, re, id, what }) {
    const label = what || (typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? '<binary>' : JSON.stringify(payload));
    const reply = c.waitFor((m) => REPLY.has(m.type), 3000, `reply to ${label.slice(0, 80)}`);
    if (Buffer.isBuffer(payload)) c.sendRaw(payload, { binary: true });
    else c.send(payload);
    const m = await reply;
    assert.equal(m.type, 'error', `${label.slice(0, 200)}: expected error ${code}, got ${JSON.stringify(m)}`);
    if (Array.isArray(code)) assert.ok(code.includes(m.code), `${label.slice(0, 200)}: ${JSON.stringify(m)}`);
    else if (code) assert.equal(m.code, code, `${label.slice(0, 200)}: ${JSON.stringify(m)}`);
    if (re !== undefined) assert.equal(m.re, re === null ? undefined : re, `${label.slice(0, 200)}: re in ${JSON.stringify(m)}`);
    if (id !== undefined) assert.deepEqual(m.id, id === null ? undefined : id, `${label.slice(0, 200)}: id in ${JSON.stringify(m)}`);
    return m;
  }

  // Nothing changed and both the bystander and the offender are still served.
  async function assertUnchanged(label) {
    const pub = await h.server.http('GET', `/api/workshops/${w.id}`);
    assert.equal(pub.json.rev, 0, `${label}: revision moved`);
    assert.equal(b.counts.op || 0, 0, `${label}: the bystander received an op`);
    assert.equal((await b.request({ type: 'ping' })).type, 'pong', `${label}: bystander not served`);
    assert.ok(a.connected, `${label}: offender's connection closed`);
    assert.equal((await a.request({ type: 'ping' })).type, 'pong', `${label}: offender not served after the error`);
  }

  async function runCases(c, cases) {
    for (const [payload, expect] of cases) {
      const label = typeof payload === 'string' ? payload : JSON.stringify(payload);
      await expectError(c, payload, expect);
      await assertUnchanged(label.slice(0, 120));
    }
  }

  test('unreadable messages are bad_request without re', T, async () => {
    await runCases(a, [
      ['{"type":"ping"', { code: 'bad_request', re: null }],
      ['', { code: 'bad_request', re: null }],
      ['ping', { code: 'bad_request', re: null }],
      ['[1,2]', { code: 'bad_request', re: null }],
      ['"ping"', { code: 'bad_request', re: null }],
      ['null', { code: 'bad_request', re: null }],
      ['42', { code: 'bad_request', re: null }],
      ['{"type":"ping","id":"x"} trailing', { code: 'bad_request' }],
    ]);
  });

  test('missing or wrongly typed type/id are bad_request; unknown type is unknown_type', T, async () => {
    await runCases(a, [
      [{ id: 'no-type' }, { code: 'bad_request' }],
      [{ type: 5, id: 't5' }, { code: 'bad_request' }],
      [{ type: null, id: 't6' }, { code: 'bad_request' }],
      [{ type: 'dance', id: 'x3' }, { code: 'unknown_type', id: 'x3' }],
      [{ type: 'PING', id: 'x4' }, { code: 'unknown_type', id: 'x4' }],
      [{ type: 'welcome', id: 'x5' }, { code: 'unknown_type', id: 'x5' }],
      [{ type: 'ping', id: '' }, { code: 'bad_request', re: 'ping' }],
      [{ type: 'ping', id: 'x'.repeat(65) }, { code: 'bad_request', re: 'ping' }],
      [{ type: 'ping', id: { a: 1 } }, { code: 'bad_request', re: 'ping' }],
      [{ type: 'ping', id: [1] }, { code: 'bad_request', re: 'ping' }],
      [{ type: 'ping', id: 1.5 }, { code: 'bad_request', re: 'ping' }],
      [{ type: 'ping', id: true }, { code: 'bad_request', re: 'ping' }],
    ]);
    // The limits themselves are fine.
    // A pong carries the server's time (for the client's clock): compared apart.
    const pong = async (id) => { const { now, ...rest } = await a.request({ type: 'ping', id }); assert.ok(Math.abs(now - Date.now()) < 60000, `now: ${now}`); return rest; };
    assert.deepEqual(await pong(12345), { type: 'pong', id: 12345 });
    assert.deepEqual(await pong('x'.repeat(64)), { type: 'pong', id: 'x'.repeat(64) });
  });

  test('an id of 64 characters that take more than 64 bytes is accepted', T, async () => {
    const long = 'é'.repeat(64); // spec: "a string of 1–64 characters"
    const reply = a.waitFor((m) => REPLY.has(m.type), 3000, 'reply to a 64-character id');
    a.send({ type: 'ping', id: long });
    const { now, ...rest } = await reply;
    assert.ok(Number.isInteger(now), 'the server\'s time');
    assert.deepEqual(rest, { type: 'pong', id: long });
  });

  test('malformed op messages are bad_request', T, async () => {
    await runCases(a, [
      [{ type: 'op', rev: 0, op: ['x'] }, { code: 'bad_request', re: 'op' }],
      [{ type: 'op', id: 'o1', op: ['x'] }, { code: 'bad_request', re: 'op', id: 'o1' }],
      [{ type: 'op', id: 'o2', rev: '0', op: ['x'] }, { code: 'bad_request', re: 'op', id: 'o2' }],
      [{ type: 'op', id: 'o3', rev: -1, op: ['x'] }, { code: 'bad_request', re: 'op', id: 'o3' }],
      [{ type: 'op', id: 'o4', rev: 0.5, op: ['x'] }, { code: 'bad_request', re: 'op', id: 'o4' }],
      [{ type: 'op', id: 'o5', rev: 0 }, { code: 'bad_request', re: 'op', id: 'o5' }],
      [{ type: 'op', id: 'o6', rev: 0, op: 'x' }, { code: 'bad_request', re: 'op', id: 'o6' }],
      [{ type: 'op', id: 'o7', rev: 0, op: { 0: 'x' } }, { code: 'bad_request', re: 'op', id: 'o7' }],
      [{ type: 'op', id: 'o8', rev: 0, op: null }, { code: 'bad_request', re: 'op', id: 'o8' }],
      [{ type: 'op', id: '', rev: 0, op: ['x'] }, { code: 'bad_request', re: 'op' }],
      [{ type: 'op', id: 'x'.repeat(65), rev: 0, op: ['x'] }, { code: 'bad_request', re: 'op' }],
    ]);
  });

  test('ops that do not fit the document are bad_request and change nothing', T, async () => {
    const bad = [
      ['empty op', []],
      ['skip past end', [7, 'x']],
      ['skip to end then delete', [6, { d: 1 }]],
      ['delete past end', [4, { d: 3 }]],
      ['delete more than the document', [{ d: 7 }]],
      ['delete text past end', [4, { d: ' ?!' }]],
      ['mismatched delete text', [{ d: 'Quoa' }]],
      ['mismatched delete text after skip', [1, { d: 'x' }]],
      ['trailing skip', ['x', 3]],
      ['only a skip', [2]],
      ['zero skip', [0, 'x']],
      ['negative skip', [-1, 'x']],
      ['fractional skip', [1.5, 'x']],
      ['empty insert', ['']],
      ['zero delete', [{ d: 0 }]],
      ['negative delete', [{ d: -1 }]],
      ['fractional delete', [{ d: 1.5 }]],
      ['empty text delete', [{ d: '' }]],
      ['delete of wrong type', [{ d: null }]],
      ['unknown component object', [{ x: 1 }]],
      ['boolean component', [true]],
      ['null component', [null]],
      ['nested array', [['x']]],
      ['unmerged skips', [1, 1, 'x']],
      ['unmerged inserts', ['a', 'b']],
      ['unmerged deletes', [{ d: 1 }, { d: 1 }]],
      ['unmerged text deletes', [{ d: 'Q' }, { d: 'u' }]],
    ];
    let n = 0;
    for (const [what, op] of bad) {
      const id = `bad-${++n}`;
      await expectError(a, { type: 'op', id, rev: 0, op }, { code: 'bad_request', re: 'op', id, what: `${what} ${JSON.stringify(op)}` });
      await assertUnchanged(what);
    }
  });

  test('ops against a future revision or with lone surrogates are refused', T, async () => {
    await expectError(a, { type: 'op', id: 'futur', rev: 99, op: ['x'] }, { re: 'op', id: 'futur' });
    await assertUnchanged('future rev');
    // JSON allows \ud800 as an escape, but it is no Unicode text.
    await expectError(a, '{"type":"op","id":"surrogate","rev":0,"op":["a\\ud800b"]}', {});
    await assertUnchanged('lone surrogate');
  });

  test('malformed cursors are bad_request', T, async () => {
    await runCases(a, [
      [{ type: 'cursor', id: 'k1', rev: 0 }, { code: 'bad_request', re: 'cursor', id: 'k1' }],
      [{ type: 'cursor', id: 'k2', sel: [1, 1] }, { code: 'bad_request', re: 'cursor', id: 'k2' }],
      [{ type: 'cursor', id: 'k3', rev: 0, sel: [1] }, { code: 'bad_request', re: 'cursor', id: 'k3' }],
      [{ type: 'cursor', id: 'k4', rev: 0, sel: [1, 2, 3] }, { code: 'bad_request', re: 'cursor', id: 'k4' }],
      [{ type: 'cursor', id: 'k5', rev: 0, sel: [-1, 0] }, { code: 'bad_request', re: 'cursor', id: 'k5' }],
      [{ type: 'cursor', id: 'k6', rev: 0, sel: 'x' }, { code: 'bad_request', re: 'cursor', id: 'k6' }],
      [{ type: 'cursor', id: 'k7', rev: 0, sel: [0.5, 1] }, { code: 'bad_request', re: 'cursor', id: 'k7' }],
    ]);
    assert.equal(b.counts.cursor || 0, 0, 'a malformed cursor was relayed');
  });

  test('a second join on one connection is bad_request', T, async () => {
    await runCases(a, [
      [{ type: 'join', id: 'again', workshop: w.id, name: 'Encore', organisation: 'Tests' }, { code: 'bad_request', re: 'join', id: 'again' }],
    ]);
    const pub = await h.server.http('GET', `/api/workshops/${w.id}`);
    assert.equal(pub.json.present.length, 2, 'a second join added a participant');
  });

  test('a binary frame is bad_request', T, async () => {
    await expectError(a, Buffer.from(JSON.stringify({ type: 'ping', id: 'bin' })), { code: 'bad_request' });
    await assertUnchanged('binary frame');
  });

  test('a message over 64 KiB is too_large and the connection stays usable', T, async () => {
    await expectError(a, { type: 'ping', id: 'big', pad: 'x'.repeat(70 * 1024) }, { code: 'too_large' });
    await assertUnchanged('big ping');
    await expectError(a, { type: 'op', id: 'big-op', rev: 0, op: ['é'.repeat(40 * 1024)] }, { code: 'too_large' });
    await assertUnchanged('big op');
    // Far over the limit, in several fragments of the kernel's buffers.
    await expectError(a, { type: 'op', id: 'huge-op', rev: 0, op: ['z'.repeat(1024 * 1024)] }, { code: 'too_large' });
    await assertUnchanged('huge op');
    // Just under the limit is fine.
    const pong = await a.request({ type: 'ping', id: 'almost', pad: 'x'.repeat(60 * 1024) });
    assert.equal(pong.type, 'pong');
  });

  test('invalid UTF-8 in a text frame closes the connection with 1007', T, async () => {
    const frames = [
      ['bad byte', Buffer.from([0x7b, 0xff, 0x7d])],
      ['invalid in a string', Buffer.concat([Buffer.from('{"type":"ping","id":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])],
      ['overlong encoding', Buffer.concat([Buffer.from('{"type":"ping","id":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')])],
      ['encoded surrogate', Buffer.concat([Buffer.from('{"type":"ping","id":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])],
      ['truncated sequence', Buffer.concat([Buffer.from('{"type":"ping","id":"'), Buffer.from([0xf0, 0x9f, 0x98]), Buffer.from('"}')])],
    ];
    for (const [what, bytes] of frames) {
      const x = h.client({ workshop: w.id, name: 'UTF', organisation: 'Tests' });
      await x.start();
      const closed = x.waitClose(3000);
      x.sendRaw(bytes, { binary: false });
      const { code } = await closed;
      assert.equal(code, 1007, `${what}: closed with ${code}`);
      assert.equal(x.counts.pong || 0, 0, `${what}: answered`);
      await assertUnchanged(what);
    }
  });

  test('before joining: op and cursor are forbidden; bad joins get their code', T, async () => {
    const x = h.client({ workshop: w.id, name: 'Pas encore', organisation: 'Tests' });
    await x.open();
    await expectError(x, { type: 'op', id: 'early', rev: 0, op: ['x'] }, { code: 'forbidden', re: 'op', id: 'early' });
    await expectError(x, { type: 'cursor', id: 'early-c', rev: 0, sel: [0, 0] }, { code: 'forbidden', re: 'cursor', id: 'early-c' });
    const j = (extra) => ({ type: 'join', id: 'jx', workshop: w.id, name: 'X', organisation: 'Org', ...extra });
    const cases = [
      [j({ workshop: randomWorkshopId() }), 'not_found'],
      [j({ workshop: undefined }), 'bad_request'],
      [j({ workshop: 42 }), 'bad_request'],
      [j({ name: undefined }), 'bad_request'],
      [j({ organisation: undefined }), 'bad_request'],
      [j({ name: '' }), 'bad_request'],
      [j({ name: '😀'.repeat(65) }), 'bad_request'],
      [j({ name: 7 }), 'bad_request'],
      [j({ organisation: '' }), 'bad_request'],
      [j({ organisation: 'o'.repeat(65) }), 'bad_request'],
      [j({ organisation: ['Org'] }), 'bad_request'],
      [j({ key: 'A'.repeat(43) }), 'forbidden'],
      [j({ key: '' }), ['forbidden', 'bad_request']],
      [j({ key: 5 }), 'bad_request'],
      [j({ resume: { rev: 0 } }), 'bad_request'],
      [j({ resume: { token: 'x' } }), 'bad_request'],
      [j({ resume: 'token' }), 'bad_request'],
      [j({ resume: { token: 'pXXXXXXXXXXXXXXXX.secret', rev: 0 } }), 'forbidden'],
    ];
    for (const [msg, code] of cases) {
      await expectError(x, msg, { code, re: 'join', id: 'jx', what: JSON.stringify(msg).slice(0, 150) });
    }
    const pub = await h.server.http('GET', `/api/workshops/${w.id}`);
    assert.equal(pub.json.present.length, 2, 'a refused join left a participant behind');
    // The connection is still good for a proper join, with maximal labels.
    const ok = await x.request(j({ name: '😀'.repeat(64), organisation: 'o'.repeat(64) }));
    assert.equal(ok.type, 'welcome', JSON.stringify(ok));
    assert.equal(ok.role, 'participant');
    await assertUnchanged('bad joins');
    x.close();
  });

  test('the facilitator key gives the facilitator role; another workshop\'s key is forbidden', T, async () => {
    const other = await h.server.createWorkshop({ title: 'Autre' });
    const f = h.client({ workshop: w.id, name: 'Awa', organisation: 'Ville', key: w.facilitator_key });
    const welcome = await f.start();
    assert.equal(welcome.role, 'facilitator');
    assert.equal(welcome.participant.role, 'facilitator');
    const arrived = await b.waitFor((m) => m.type === 'arrived' && m.participant.id === welcome.participant.id, 3000, 'arrived')
      .catch(() => null);
    if (arrived) assert.equal(arrived.participant.role, 'facilitator');
    const x = h.client({ workshop: w.id, name: 'Intrus', organisation: 'Ailleurs' });
    await x.open();
    await expectError(x, { type: 'join', id: 'k', workshop: w.id, name: 'Intrus', organisation: 'Ailleurs', key: other.facilitator_key },
      { code: 'forbidden', re: 'join', id: 'k' });
    const p = h.client({ workshop: w.id, name: 'Simple', organisation: 'Tests' });
    assert.equal((await p.start()).role, 'participant');
    for (const c of [f, x, p]) c.close();
  });

  test('subprotocol atelier.v1 is accepted, any other refused', T, async () => {
    const good = h.client({ workshop: w.id, protocols: ['atelier.v1'] });
    await good.start();
    assert.equal(good.ws.protocol, 'atelier.v1');
    good.close();
    const bad = h.client({ workshop: w.id, protocols: ['chat'] });
    await assert.rejects(bad.open(), 'a wrong subprotocol was accepted');
    bad.close();
  });

  // Waits until `c` has received nothing for `quietMs`.
  async function quiet(c, quietMs = 400, timeoutMs = 10000) {
    let last = Date.now();
    const onMsg = () => { last = Date.now(); };
    c.on('message', onMsg);
    try {
      await waitUntil(() => Date.now() - last >= quietMs, timeoutMs, 'the flood to end');
    } finally {
      c.off('message', onMsg);
    }
  }

  async function floodSetup(title) {
    const fw = await h.server.createWorkshop({ title, text: '' });
    const flooder = h.client({ workshop: fw.id, name: 'Flood', organisation: 'Tests', record: 0 });
    const other = h.client({ workshop: fw.id, name: 'Calme', organisation: 'Tests' });
    await flooder.start();
    await other.start();
    return { fw, flooder, other };
  }

  test('a flood is rate limited per participant, not per IP, and the server keeps serving', T, async () => {
    const { fw, flooder, other } = await floodSetup('Déluge');
    const tab2 = new Client({ server: h.server, workshop: fw.id });
    h.clients.push(tab2);
    Object.assign(tab2, { token: flooder.token, rev: flooder.rev, participant: flooder.participant, role: flooder.role, text: flooder.text });
    await tab2.start();

    const N = 2000;
    const pongs = new Map();
    const limited = [];
    flooder.on('message', (m) => {
      if (m.type === 'pong' && typeof m.id === 'string' && m.id.startsWith('f-')) pongs.set(m.id, (pongs.get(m.id) || 0) + 1);
      if (m.type === 'error') limited.push(m);
    });
    for (let i = 0; i < N; i++) flooder.send({ type: 'ping', id: `f-${i}` });
    // The same participant's other connection, at once: it shares the (now empty) budget.
    // Sent now, not after the flood settles, because the budget refills at 200/s.
    const before = tab2.errors.length;
    const tabPongs = [];
    const onPong = (m) => { if (m.type === 'pong') tabPongs.push(m); };
    tab2.on('message', onPong);
    for (let i = 0; i < 100; i++) tab2.send({ type: 'ping', id: `t-${i}` });
    // Another participant from the same address is not throttled meanwhile.
    for (let i = 0; i < 20; i++) {
      const r = await other.request({ type: 'ping' });
      assert.equal(r.type, 'pong', `other participant throttled: ${JSON.stringify(r)}`);
    }
    await quiet(flooder);
    assert.ok(flooder.connected, 'the flooder was disconnected');
    assert.ok(limited.length > 0, 'no rate_limited in a flood of 2000');
    for (const m of limited) {
      assert.equal(m.code, 'rate_limited', JSON.stringify(m));
      assert.equal(m.re, 'ping', `rate_limited without re: ${JSON.stringify(m)}`);
      assert.match(String(m.id), /^f-/, `rate_limited without the ping's id: ${JSON.stringify(m)}`);
    }
    assert.deepEqual([...pongs.values()].filter((n) => n > 1), [], 'a ping was answered twice');
    const limitedIds = new Set(limited.map((m) => m.id));
    assert.equal(limitedIds.size, limited.length, 'a ping was refused twice');
    assert.ok(![...limitedIds].some((id) => pongs.has(id)), 'a ping got both pong and rate_limited');
    assert.equal(pongs.size + limitedIds.size, N, `${N - pongs.size - limitedIds.size} pings got no reply at all`);
    assert.ok(pongs.size >= 300, `only ${pongs.size} pongs: the burst allowance (400) is not honoured`);
    assert.ok(pongs.size < N, 'nothing was limited');

    await quiet(tab2, 300);
    tab2.off('message', onPong);
    const tabLimited = tab2.errors.slice(before).filter((m) => m.code === 'rate_limited').length;
    assert.ok(tabLimited > 0 && tabPongs.length < 100,
      `the participant's second connection got ${tabPongs.length}/100 pongs and ${tabLimited} rate_limited: the limit is per connection`);

    // The budget comes back.
    await sleep(2200);
    assert.equal((await flooder.request({ type: 'ping' })).type, 'pong');
    other.submit(['toujours là']);
    await waitQuiescent([other], { serverRev: () => h.server.workshopRev(fw.id) });
    assert.equal((await h.server.http('GET', '/healthz')).status, 200);
    for (const c of [flooder, other, tab2]) c.close();
  });

  test('every rate-limited request is answered: an op dropped by the limiter gets rate_limited with its id', T, async () => {
    const { fw, flooder, other } = await floodSetup('Limite');
    for (let i = 0; i < 1000; i++) flooder.send({ type: 'ping', id: `g-${i}` });
    const reply = flooder.waitFor((m) => m.id === 'lim-op', 3000, 'a reply to the throttled op').catch((e) => e);
    flooder.send({ type: 'op', id: 'lim-op', rev: 0, op: ['x'] });
    const m = await reply;
    await quiet(flooder);
    const limited = flooder.errors.filter((e) => e.code === 'rate_limited');
    assert.ok(!(m instanceof Error),
      `the op got no reply at all (rate_limited errors seen: ${limited.length}, e.g. ${JSON.stringify(limited[0])}); ` +
      'spec: the reply to a message carries its id, and rate_limited is an op error; a client with its op in flight waits forever');
    if (m.type === 'error') {
      assert.equal(m.code, 'rate_limited');
      assert.equal(m.re, 'op');
      assert.equal(await h.server.workshopRev(fw.id), 0);
    }
    for (const c of [flooder, other]) c.close();
  });

  test('after all of it: the document is untouched, and editing works', T, async () => {
    const fresh = h.client({ workshop: w.id, name: 'Fin', organisation: 'Tests' });
    const welcome = await fresh.start();
    assert.equal(welcome.doc.rev, 0);
    assert.equal(welcome.doc.text, INITIAL);
    fresh.submit([4, { d: 1 }, '!']);
    await waitQuiescent([fresh, b], { serverRev: () => h.server.workshopRev(w.id) });
    assert.equal(b.text, 'Quoi!?');
    assert.ok(h.server.alive, 'server died');
    h.assertNoProblems();
    fresh.close();
  });
});
