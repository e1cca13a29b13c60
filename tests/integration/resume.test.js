'use strict';
// Resuming a participation: missed ops, identity kept, own in-flight op
// recognised, re-sent ops acknowledged once, snapshot when out of the window,
// presence with several connections.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  Harness, readHistory, replayHistory, sleep, waitQuiescent, waitUntil, randomEdit, prng,
} = require('./harness');

const T = { timeout: 20000 };

describe('resume', { timeout: 90000 }, () => {
  let h;
  before(async () => { h = await Harness.start(); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  async function typeSome(clients, n, seed) {
    await Promise.all(clients.map(async (c, i) => {
      const rand = prng(seed + i);
      for (let k = 0; k < n; k++) {
        c.submit(randomEdit(c.text, rand));
        await sleep(2);
      }
    }));
  }

  test('a resumed client gets exactly the missed ops and keeps id and role', T, async () => {
    const initial = 'Quoi ?\nPourquoi ?\n';
    const w = await h.server.createWorkshop({ title: 'Reprise', text: initial });
    const a = h.client({ workshop: w.id, name: 'Awa', organisation: 'Ville', key: w.facilitator_key });
    const b = h.client({ workshop: w.id, name: 'Jean', organisation: 'Banque' });
    const c = h.client({ workshop: w.id, name: 'Zoé', organisation: 'Asso' });
    const wa = await a.start();
    await b.start();
    await c.start();
    assert.equal(wa.role, 'facilitator');
    await typeSome([a, b, c], 5, 1);
    const serverRev = () => h.server.workshopRev(w.id);
    await waitQuiescent([a, b, c], { serverRev });

    const idBefore = a.participant.id;
    const revBefore = a.rev;
    const departed = b.waitFor((m) => m.type === 'departed' && m.participant === idBefore, 5000, 'departed');
    a.detach();
    await departed;

    await typeSome([b, c], 12, 2);
    await waitQuiescent([b, c], { serverRev });
    assert.ok(b.rev > revBefore);

    a.key = undefined; // the role must come from the token, not a key
    const arrived = b.waitFor((m) => m.type === 'arrived' && m.participant.id === idBefore, 5000, 'arrived');
    const welcome = await a.start();
    const arr = await arrived;
    assert.equal(arr.participant.role, 'facilitator');
    assert.equal(welcome.participant.id, idBefore, 'participant id changed on resume');
    assert.equal(welcome.participant.name, 'Awa');
    assert.equal(welcome.participant.organisation, 'Ville');
    assert.equal(welcome.role, 'facilitator', 'role lost on resume');
    assert.equal(welcome.doc.text, undefined, 'a resume within the window should not send the text');
    assert.ok(Array.isArray(welcome.missed), 'missed absent');
    assert.equal(welcome.doc.rev, b.rev);
    assert.equal(welcome.missed.length, b.rev - revBefore);

    const hist = await readHistory(h.redis.port, w.id);
    welcome.missed.forEach((m, i) => {
      const stored = hist.ops[revBefore + i];
      assert.equal(m.rev, revBefore + i);
      assert.deepEqual(m.op, stored.op, `missed op at ${m.rev}`);
      assert.equal(m.author, stored.author);
      assert.equal(m.id, undefined, 'another participant\'s op id is exposed in missed');
    });
    assert.equal(a.text, b.text);
    assert.equal(a.text, replayHistory(initial, hist.ops));
    const wb = welcome.participants.map((p) => p.id).sort();
    assert.deepEqual(wb, [b.participant.id, c.participant.id].sort());

    // Editing goes on normally afterwards.
    await typeSome([a, b, c], 5, 3);
    await waitQuiescent([a, b, c], { serverRev });
    assert.equal(a.text, c.text);
    h.assertNoProblems();
    for (const x of [a, b, c]) x.close();
  });

  test('an in-flight op accepted before the disconnect shows up in missed with its id', T, async () => {
    const w = await h.server.createWorkshop({ title: 'En vol', text: 'abc' });
    const a = h.client({ workshop: w.id, name: 'A', organisation: 'O' });
    const b = h.client({ workshop: w.id, name: 'B', organisation: 'O' });
    await a.start();
    await b.start();

    a.freeze(); // the ack will never be read on this connection
    const seen = b.waitFor((m) => m.type === 'op' && m.author === a.participant.id, 5000, 'A\'s op at B');
    a.submit([3, ' — dernière 😀']);
    const id = a.inflight.id;
    const relayed = await seen;
    a.detach();
    assert.ok(a.inflight, 'test setup: the ack must not have been read');

    const welcome = await a.start();
    assert.ok(welcome.missed, 'missed absent');
    const mine = welcome.missed.filter((m) => m.author === a.participant.id);
    assert.equal(mine.length, 1);
    assert.equal(mine[0].id, id, 'own op in missed lacks its id');
    assert.equal(mine[0].rev, relayed.rev);
    assert.equal(a.inflight, null, 'the client should have recognised its op');
    assert.equal(a.acked.get(id), relayed.rev);
    await waitQuiescent([a, b], { serverRev: () => h.server.workshopRev(w.id) });
    assert.equal(a.text, 'abc — dernière 😀');
    assert.equal(b.text, a.text);
    const hist = await readHistory(h.redis.port, w.id);
    assert.equal(hist.ops.length, 1, 'op stored more than once');
    h.assertNoProblems();
    a.close();
    b.close();
  });

  test('an in-flight op that never arrived is re-sent and applied once', T, async () => {
    const w = await h.server.createWorkshop({ title: 'Perdu', text: 'abc' });
    const a = h.client({ workshop: w.id, name: 'A', organisation: 'O' });
    const b = h.client({ workshop: w.id, name: 'B', organisation: 'O' });
    await a.start();
    await b.start();
    // Simulate a send lost in the network: queue an op locally with no socket.
    a.detach();
    a.submit([1, 'X']);
    await sleep(50);
    a.submit([2, 'Y']);
    b.submit(['B']);
    await waitQuiescent([b], { serverRev: () => h.server.workshopRev(w.id) });
    await a.start();
    await waitQuiescent([a, b], { serverRev: () => h.server.workshopRev(w.id) });
    assert.equal(a.text, 'BaXYbc');
    assert.equal(b.text, a.text);
    h.assertNoProblems();
    a.close();
    b.close();
  });

  test('re-sending an acked op id is acked with the same rev and applied once', T, async () => {
    const w = await h.server.createWorkshop({ title: 'Doublon', text: 'Quoi ?' });
    const a = h.client({ workshop: w.id, name: 'A', organisation: 'O' });
    const b = h.client({ workshop: w.id, name: 'B', organisation: 'O' });
    await a.start();
    await b.start();
    const serverRev = () => h.server.workshopRev(w.id);
    b.submit(['« ']);
    await waitQuiescent([a, b], { serverRev });

    const baseRev = a.rev;
    const op = [4, { d: 1 }, '!'];
    a.submit(op);
    const id = a.inflight.id;
    await waitQuiescent([a, b], { serverRev });
    const rev = a.acked.get(id);
    assert.equal(rev, baseRev);
    const text = a.text;
    assert.equal(text, '« Qu!i ?', 'test setup');

    const bOps = b.counts.op || 0;
    // Same message again, then with the revision a reconnecting client would use.
    for (const again of [{ rev: baseRev, op }, { rev: a.rev, op: [5, { d: 1 }, '!'] }]) {
      const reply = await a.request({ type: 'op', id, ...again });
      assert.deepEqual(reply, { type: 'ack', id, rev }, `re-sent ${JSON.stringify(again)}`);
    }
    // And on a new connection after a resume.
    a.detach();
    await a.start();
    const reply = await a.request({ type: 'op', id, rev: baseRev, op });
    assert.deepEqual(reply, { type: 'ack', id, rev });

    assert.equal(await serverRev(), rev + 1, 'a re-sent op moved the revision');
    await sleep(100);
    assert.equal(b.counts.op || 0, bOps, 'a re-sent op was relayed again');
    const fresh = h.client({ workshop: w.id, name: 'C', organisation: 'O' });
    assert.equal((await fresh.start()).doc.text, text);
    const hist = await readHistory(h.redis.port, w.id);
    assert.equal(hist.ops.filter((o) => o.opid === id).length, 1);
    h.assertNoProblems();
    for (const x of [a, b, fresh]) x.close();
  });

  test('a resume with a token of another workshop is forbidden', T, async () => {
    const w1 = await h.server.createWorkshop({ title: 'Un' });
    const w2 = await h.server.createWorkshop({ title: 'Deux' });
    const a = h.client({ workshop: w1.id });
    await a.start();
    const x = h.client({ workshop: w2.id });
    await x.open();
    const reply = await x.request({ type: 'join', workshop: w2.id, resume: { token: a.token, rev: 0 } });
    assert.equal(reply.type, 'error');
    assert.equal(reply.code, 'forbidden');
    const reply2 = await x.request({ type: 'join', workshop: w1.id, resume: { token: `${a.participant.id}.pas-le-bon-secret`, rev: 0 } });
    assert.equal(reply2.code, 'forbidden', 'a forged token is accepted');
    a.close();
    x.close();
  });

  test('two connections of one participant arrive once and depart with the last', T, async () => {
    const w = await h.server.createWorkshop({ title: 'Onglets', text: '' });
    const obs = h.client({ workshop: w.id, name: 'Obs', organisation: 'O' });
    await obs.start();
    const tab1 = h.client({ workshop: w.id, name: 'Deux onglets', organisation: 'O' });
    await tab1.start();
    await waitUntil(() => (obs.counts.arrived || 0) === 1, 3000, 'first arrived');

    const tab2 = h.client({ workshop: w.id });
    tab2.token = tab1.token;
    tab2.rev = tab1.rev;
    tab2.participant = tab1.participant;
    tab2.role = tab1.role;
    tab2.text = tab1.text;
    const w2 = await tab2.start();
    assert.equal(w2.participant.id, tab1.participant.id);

    // An edit from one tab reaches the other tab as a remote op.
    const relayed = tab2.waitFor((m) => m.type === 'op', 3000, 'op at the other tab');
    tab1.submit(['onglet 1 ']);
    const opId = tab1.inflight.id;
    assert.equal((await relayed).id, opId, 'the author\'s other connection should get the op id');
    await waitQuiescent([obs, tab1, tab2], { serverRev: () => h.server.workshopRev(w.id) });
    assert.equal(tab2.text, 'onglet 1 ');
    await sleep(100);
    assert.equal(obs.counts.arrived, 1, 'second connection announced as a new arrival');

    tab1.close();
    await sleep(200);
    assert.equal(obs.counts.departed || 0, 0, 'departed while a connection remains');
    const pub = await h.server.http('GET', `/api/workshops/${w.id}`);
    assert.equal(pub.json.present.filter((p) => p.name === 'Deux onglets').length, 1);
    tab2.close();
    await obs.waitFor((m) => m.type === 'departed' && m.participant === tab1.participant.id, 3000, 'departed');
    h.assertNoProblems();
    obs.close();
  });

  test('resuming from a revision older than the window gives a snapshot; old ops are stale', T, async () => {
    const s = await h.addServer(['--window', '5']);
    const w = await s.createWorkshop({ title: 'Fenêtre', text: 'Début.' });
    const a = h.client({ server: s, workshop: w.id, name: 'A', organisation: 'O' });
    const b = h.client({ server: s, workshop: w.id, name: 'B', organisation: 'O' });
    await a.start();
    await b.start();
    const serverRev = () => s.workshopRev(w.id);
    a.submit(['« ']);
    const aOp = a.inflight.id;
    await waitQuiescent([a, b], { serverRev });
    a.detach();
    for (let i = 0; i < 11; i++) {
      b.submit([i + 3, String.fromCodePoint(0x41 + i)]);
      await waitQuiescent([b], { serverRev });
    }
    const welcome = await a.start();
    assert.equal(welcome.missed, undefined, 'missed sent beyond the window');
    assert.equal(welcome.doc.rev, 12);
    assert.equal(welcome.doc.text, b.text);
    assert.equal(a.text, b.text);
    // What a client resumed from a snapshot does with its in-flight op: the
    // id check comes before the window check.
    const again = await a.request({ type: 'op', id: aOp, rev: 0, op: ['« '] });
    assert.deepEqual(again, { type: 'ack', id: aOp, rev: 0 }, 'a re-sent last op out of the window is not recognised');
    assert.equal(await serverRev(), 12);

    const reply = await b.request({ type: 'op', id: 'trop-vieux', rev: 0, op: ['x'] });
    assert.equal(reply.type, 'error');
    assert.equal(reply.code, 'stale');
    assert.equal(reply.re, 'op');
    assert.equal(await serverRev(), 12, 'a stale op changed the revision');
    // Within the window still works.
    const ok = await b.request({ type: 'op', id: 'dans-la-fenetre', rev: 10, op: ['y'] });
    assert.equal(ok.type, 'ack');
    assert.equal(ok.rev, 12);
    a.close();
    b.close();
    await s.kill();
  });

  test('a client resumed from a snapshot learns its in-flight op was taken by re-sending it', T, async () => {
    const s = await h.addServer(['--window', '5']);
    const w = await s.createWorkshop({ title: 'Instantané', text: 'abc' });
    const a = h.client({ server: s, workshop: w.id, name: 'A', organisation: 'O' });
    const b = h.client({ server: s, workshop: w.id, name: 'B', organisation: 'O' });
    await a.start();
    await b.start();
    const serverRev = () => s.workshopRev(w.id);
    a.freeze();
    const seen = b.waitFor((m) => m.type === 'op', 3000, 'A\'s op');
    a.submit([3, '!']);
    const id = a.inflight.id;
    await seen;
    a.submit(['?']); // composed locally, never sent: lost with the snapshot
    a.detach();
    for (let i = 0; i < 10; i++) {
      b.submit(['.']);
      await waitQuiescent([b], { serverRev });
    }
    const welcome = await a.start();
    assert.equal(welcome.missed, undefined);
    await waitQuiescent([a, b], { serverRev });
    assert.equal(a.acked.get(id), 0, 'the re-sent in-flight op was not recognised');
    assert.equal(a.dropped, 1);
    assert.equal(a.text, b.text);
    assert.equal(a.text, '..........abc!');
    h.assertNoProblems();
    a.close();
    b.close();
    await s.kill();
  });
});
