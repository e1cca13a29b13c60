// The whole client stack (store -> session -> connection) against the fake
// server over a simulated network: convergence, reconnects, resume, stale
// windows, Redis outages, reloads. No browser, no real sockets.
import test from 'node:test';
import assert from 'node:assert/strict';
import { FakeServer } from '../dev/fake-core.js';
import { FakeClock, Net, rng, makeClient, memoryPersist } from '../dev/sim.js';

function env({ window = 1000, text = 'Quoi ?\n' } = {}) {
  const server = new FakeServer({ window });
  const clock = new FakeClock();
  const net = new Net(server);
  const { body } = server.createWorkshop({ title: 'Partenariat', text });
  return { server, clock, net, id: body.id, key: body.facilitator_key };
}

const people = [
  ['Awa', 'Ville de Lyon'], ['Jean', 'Banque'], ['Inès', 'Association'], ['Marc', 'Banque'],
];

function clients(e, n, opts = {}) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const [name, organisation] = people[i];
    const c = makeClient(e.net, e.clock, {
      workshopId: e.id, name, organisation, key: i === 0 ? e.key : null,
      random: opts.random, persist: opts.persist?.[i] || null,
    });
    c.start();
    out.push(c);
  }
  settle(e, opts.random);
  return out;
}

/** Let time pass and the network drain until nothing moves. */
function settle(e, random, rounds = 40) {
  for (let i = 0; i < rounds; i++) {
    e.net.flush(random);
    e.clock.advance(i < 5 ? 50 : 20000);
  }
  e.net.flush(random);
}

const insertAt = (c, pos, s) => c.localEdit(pos ? [pos, s] : [s]);

/** A random code point position that is not inside a <marker>. */
function outsideMarkers(text, random) {
  const ok = [];
  let depth = 0;
  const cps = [...text];
  for (let i = 0; i <= cps.length; i++) {
    if (depth === 0) ok.push(i);
    if (cps[i] === '<') depth++;
    if (cps[i] === '>') depth--;
  }
  return ok[Math.floor(random() * ok.length)];
}
const serverText = (e) => e.server.workshops.get(e.id).text;

function assertConverged(e, cs) {
  const t = serverText(e);
  for (const [i, c] of cs.entries()) {
    assert.equal(c.text, t, `client ${i} text`);
    assert.equal(c.unsent, 0, `client ${i} has nothing left to send`);
    assert.equal(c.status, 'connected', `client ${i} connected`);
  }
}

test('three clients typing at once converge', () => {
  const e = env();
  const random = rng(42);
  const cs = clients(e, 3, { random });
  assert.equal(cs[0].role, 'facilitator');
  assert.equal(cs[1].role, 'participant');
  for (let round = 0; round < 30; round++) {
    for (const [i, c] of cs.entries()) insertAt(c, outsideMarkers(c.text, random), `<${'abc'[i]}${round}😀>`);
    // Deliver only some frames: edits cross in flight.
    for (let k = 0; k < 5; k++) {
      const r = e.net.ready();
      if (r.length) e.net.deliver(...r[Math.floor(random() * r.length)]);
    }
  }
  settle(e, random);
  assertConverged(e, cs);
  for (let round = 0; round < 30; round++) {
    for (const ch of 'abc') assert.equal(serverText(e).split(`<${ch}${round}😀>`).length - 1, 1);
  }
});

test('presence: arrivals, departures, organisations grouped, facilitator marked', () => {
  const e = env();
  const cs = clients(e, 4);
  const groups = cs[1].presence.groups(e.clock.now(), 'fr');
  assert.deepEqual(groups.map((g) => g.organisation), ['Association', 'Banque', 'Ville de Lyon']);
  assert.deepEqual(groups[1].members.map((m) => m.name), ['Jean', 'Marc']);
  assert.equal(groups[2].members[0].role, 'facilitator');
  const said = [];
  cs[0].on('announce', (k, p) => said.push([k, p.name]));
  cs[3].stop();
  settle(e);
  assert.deepEqual(said, [['announce.departed', 'Marc']]);
  assert.equal(cs[0].presence.count, 3);
  insertAt(cs[2], 0, 'x');
  e.net.flush();
  assert.ok(cs[0].presence.isTyping(cs[2].me.id, e.clock.now()));
  e.clock.advance(2500);
  assert.ok(!cs[0].presence.isTyping(cs[2].me.id, e.clock.now()));
});

test('remote carets are relayed and kept in place across edits', () => {
  const e = env({ text: 'Quoi ? Pourquoi ?' });
  const cs = clients(e, 2);
  cs[1].setSelection([7, 15]);
  settle(e);
  assert.deepEqual(cs[0].presence.cursors.get(cs[1].me.id), [7, 15]);
  insertAt(cs[0], 0, '😀😀');
  settle(e);
  assert.deepEqual(cs[0].presence.cursors.get(cs[1].me.id), [9, 17]);
});

test('edits made offline are sent once when back online', () => {
  const e = env();
  const cs = clients(e, 3);
  cs[2].setBrowserOnline(false);
  settle(e);
  assert.equal(cs[2].status, 'offline');
  insertAt(cs[2], 0, 'hors ligne ');
  insertAt(cs[2], 0, 'écrit ');
  insertAt(cs[0], 7, '(en ligne)');
  settle(e);
  assert.equal(cs[2].unsent > 0, true);
  cs[2].setBrowserOnline(true);
  settle(e);
  assertConverged(e, cs);
  assert.equal(serverText(e).split('écrit hors ligne ').length - 1, 1);
});

test('a crash with an op in flight: the ack is lost, the op is neither lost nor doubled', () => {
  const e = env();
  const cs = clients(e, 2);
  insertAt(cs[0], 0, 'UNIQUE ');
  // Deliver the op to the server, then kill every link before the ack arrives.
  const link = [...e.net.links].find((l) => l.ws === cs[0].session.conn.ws);
  e.net.deliver(link, 'toServer');
  assert.ok(serverText(e).startsWith('UNIQUE '));
  e.net.killAll();
  settle(e);
  assertConverged(e, cs);
  assert.equal(serverText(e).split('UNIQUE').length - 1, 1);
});

test('a crash before the op reached the server: it is sent again with the same id', () => {
  const e = env();
  const cs = clients(e, 2);
  insertAt(cs[0], 0, 'AGAIN ');
  const id = cs[0].ot.inflight.id;
  e.net.killAll();
  settle(e);
  assertConverged(e, cs);
  assert.equal(serverText(e).split('AGAIN').length - 1, 1);
  const ops = e.server.workshops.get(e.id).ops;
  assert.equal(ops.find((o) => o.id === id).op[0], 'AGAIN ');
});

test('stale window: an offline client falls out of the window and still merges exactly once', () => {
  for (const ackLost of [false, true]) {
    const e = env({ window: 3 });
    const cs = clients(e, 2);
    insertAt(cs[1], 0, 'MINE ');
    const link = [...e.net.links].find((l) => l.ws === cs[1].session.conn.ws);
    if (ackLost) e.net.deliver(link, 'toServer'); // accepted, ack never arrives
    cs[1].setBrowserOnline(false);
    e.net.flush();
    insertAt(cs[1], 5, 'offline ');
    for (let i = 0; i < 10; i++) { insertAt(cs[0], 0, `${i}`); settle(e); }
    cs[1].setBrowserOnline(true);
    settle(e);
    assertConverged(e, cs);
    assert.equal(serverText(e).split('MINE').length - 1, 1, `ackLost=${ackLost}`);
    assert.equal(serverText(e).split('offline').length - 1, 1, `ackLost=${ackLost}`);
  }
});

test('storage down: ops are kept and retried with the same id until accepted', () => {
  const e = env();
  const cs = clients(e, 2);
  e.server.unavailable = true;
  insertAt(cs[0], 0, 'PATIENT ');
  e.net.flush();
  e.clock.advance(3000);
  e.net.flush();
  assert.equal(cs[0].unsent, 1);
  e.server.unavailable = false;
  settle(e);
  assertConverged(e, cs);
  assert.equal(serverText(e).split('PATIENT').length - 1, 1);
});

test('an op Redis committed after we were told unavailable comes back with its id: applied once', () => {
  const e = env();
  const cs = clients(e, 2);
  e.server.opFaults.push('committed_unavailable');
  insertAt(cs[0], 0, 'STALL ');
  const id = cs[0].ot.inflight.id;
  const sent = [];
  const orig = cs[0].session.send.bind(cs[0].session);
  cs[0].session.send = (m) => { if (m.type === 'op') sent.push(m.id); return orig(m); };
  e.net.flush(); // unavailable, then our own op with its id (the catch-up relay)
  assert.equal(cs[0].ot.inflight, null, 'the relayed copy counted as the ack');
  assert.equal(cs[0].text.split('STALL').length - 1, 1, 'not applied twice');
  settle(e);
  assertConverged(e, cs);
  assert.equal(serverText(e).split('STALL').length - 1, 1);
  assert.ok(sent.every((x) => x === id), 'anything sent again kept its id');
});

test('a page reload restores unsent edits and resumes with the stored token', () => {
  const e = env();
  const persist = [memoryPersist(), memoryPersist()];
  const cs = clients(e, 2, { persist });
  const me = cs[1].me.id;
  cs[1].setBrowserOnline(false);
  settle(e);
  insertAt(cs[1], 0, 'AVANT RECHARGEMENT ');
  insertAt(cs[0], 0, 'x');
  settle(e);
  cs[1].saveNow();
  cs[1].stop();
  // The reloaded page: same storage, new objects, online again.
  const again = makeClient(e.net, e.clock, { workshopId: e.id, name: 'Jean', organisation: 'Banque', persist: persist[1] });
  assert.ok(again.ready, 'the text shows before the server answers');
  assert.ok(again.text.includes('AVANT RECHARGEMENT'));
  again.start();
  settle(e);
  assertConverged(e, [cs[0], again]);
  assert.equal(again.me.id, me, 'same participant after the reload');
  assert.equal(serverText(e).split('AVANT RECHARGEMENT').length - 1, 1);
});

test('fuzz: random typing, deletes, crashes, outages and offline periods converge', () => {
  for (let seed = 1; seed <= 12; seed++) {
    const random = rng(seed * 7919);
    const e = env({ window: seed % 3 === 0 ? 4 : 1000, text: 'Quoi ?\nPourquoi ?\nComment ?\n' });
    const cs = clients(e, 3, { random });
    const markers = [];
    for (let step = 0; step < 300; step++) {
      const x = random();
      const c = cs[Math.floor(random() * cs.length)];
      const len = [...c.text].length;
      if (x < 0.3) {
        // One astral code point per marker: no resync can split it.
        const m = String.fromCodePoint(0x20000 + seed * 1000 + step);
        markers.push(m);
        insertAt(c, Math.floor(random() * (len + 1)), m);
      } else if (x < 0.36 && len > 0) {
        // Delete only the starting text, so markers stay countable.
        const cps = [...c.text];
        const at = Math.floor(random() * len);
        if (cps[at].codePointAt(0) < 0x20000) c.localEdit(at ? [at, { d: 1 }] : [{ d: 1 }]);
      } else if (x < 0.37) {
        e.net.killAll();
      } else if (x < 0.38) {
        e.net.down = !e.net.down;
      } else if (x < 0.39) {
        c.setBrowserOnline(c.status === 'offline');
      } else if (x < 0.7) {
        const r = e.net.ready();
        if (r.length) e.net.deliver(...r[Math.floor(random() * r.length)]);
      } else {
        e.clock.advance(Math.floor(random() * 3000));
      }
    }
    e.net.down = false;
    for (const c of cs) if (c.status === 'offline') c.setBrowserOnline(true);
    settle(e, random, 60);
    assertConverged(e, cs);
    for (const m of markers) assert.equal(serverText(e).split(m).length - 1, 1, `seed ${seed}: ${m}`);
  }
});

test('an op from a connection we gave up on, accepted after we resumed, is recognised as ours', () => {
  const e = env();
  const cs = clients(e, 2);
  insertAt(cs[0], 0, 'LATE ');
  const old = [...e.net.links].find((l) => l.ws === cs[0].session.conn.ws);
  cs[0].setBrowserOnline(false); // closes the socket; the op frame is still on its way
  cs[0].setBrowserOnline(true);
  const fresh = [...e.net.links].find((l) => l.ws === cs[0].session.conn.ws);
  e.net.deliver(fresh, 'toClient'); // open: the client sends join (resume)
  e.net.deliver(fresh, 'toServer'); // the server answers welcome
  e.net.deliver(old, 'toServer'); // only now the old op frame lands: accepted, broadcast to the new connection
  e.net.deliver(fresh, 'toClient'); // welcome: the client re-sends its op with the same id
  e.net.deliver(fresh, 'toClient'); // our own op, without its id
  assert.equal(cs[0].ot.inflight, null, 'recognised as our own op');
  assert.equal(cs[0].status, 'connected');
  e.net.flush();
  settle(e);
  assertConverged(e, cs);
  assert.equal(serverText(e).split('LATE').length - 1, 1);
});

test('a reload with an op in flight whose ack was lost: recognised after the reload, not doubled', () => {
  const e = env();
  const persist = [memoryPersist(), memoryPersist()];
  const cs = clients(e, 2, { persist });
  insertAt(cs[1], 0, 'ONCE ');
  const link = [...e.net.links].find((l) => l.ws === cs[1].session.conn.ws);
  e.net.deliver(link, 'toServer'); // accepted by the server...
  cs[1].saveNow();
  cs[1].stop(); // ...and the page is gone before the ack
  e.net.killAll();
  const again = makeClient(e.net, e.clock, { workshopId: e.id, name: 'Jean', organisation: 'Banque', persist: persist[1] });
  assert.ok(again.ot.inflight, 'the in-flight op was kept');
  again.start();
  settle(e);
  assertConverged(e, [cs[0], again]);
  assert.equal(serverText(e).split('ONCE').length - 1, 1);
});

test('storage lost acknowledged revisions: an op in flight at a lost revision is rebased, not dropped nor re-sent forever', () => {
  const e = env();
  const cs = clients(e, 2);
  insertAt(cs[0], 0, 'KEPT ');
  settle(e);
  insertAt(cs[1], 0, 'LOST ');
  settle(e); // acknowledged, seen by both
  insertAt(cs[0], 0, 'FLIGHT ');
  assert.ok(cs[0].ot.inflight, 'an op in flight');
  e.server.loseLast(e.id, 1); // 'LOST ' is gone from storage
  e.net.killAll(); // the server closes every connection (1012)
  const sent = [];
  const orig = cs[0].session.send.bind(cs[0].session);
  cs[0].session.send = (m) => { if (m.type === 'op') sent.push(m); return orig(m); };
  settle(e);
  assertConverged(e, cs);
  const t = serverText(e);
  assert.equal(t.split('FLIGHT').length - 1, 1, `the edit in flight is kept once: ${JSON.stringify(t)}`);
  assert.equal(t.split('KEPT').length - 1, 1);
  assert.equal(t.split('LOST').length - 1, 0, 'what storage lost is gone for everyone');
  assert.ok(sent.length <= 3, `sent ${sent.length} times, not forever`);
});

test('rate_limited and internal errors on an op: backed off, re-sent with the same id', () => {
  const e = env();
  const cs = clients(e, 2);
  e.server.opFaults.push('rate_limited', 'rate_limited', 'internal');
  insertAt(cs[0], 0, 'SLOW ');
  const id = cs[0].ot.inflight.id;
  const sent = [];
  const orig = cs[0].session.send.bind(cs[0].session);
  cs[0].session.send = (m) => { if (m.type === 'op') sent.push([m.id, e.clock.now()]); return orig(m); };
  e.net.flush();
  assert.equal(cs[0].unsent, 1);
  assert.equal(cs[0].status, 'connected', 'the connection is kept');
  settle(e);
  assertConverged(e, cs);
  assert.equal(serverText(e).split('SLOW').length - 1, 1);
  assert.ok(sent.length >= 3 && sent.every(([x]) => x === id), 'same id every time');
  const gaps = sent.slice(1).map(([, t], i) => t - sent[i][1]);
  assert.ok(gaps.every((g) => g >= 500), `backed off between tries: ${gaps}`);
});

test('storage down at join time: the join is retried until it works', () => {
  const e = env();
  e.server.unavailable = true;
  const c = makeClient(e.net, e.clock, { workshopId: e.id, name: 'Awa', organisation: 'Ville' });
  c.start();
  e.net.flush();
  e.clock.advance(1000);
  e.net.flush();
  assert.equal(c.ready, false);
  assert.equal(c.status, 'connecting');
  e.server.unavailable = false;
  settle(e);
  assert.equal(c.status, 'connected');
  assert.equal(c.text, 'Quoi ?\n');
});
