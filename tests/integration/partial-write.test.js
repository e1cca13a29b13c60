'use strict';
// A write the socket cuts short in the middle of a message held by that
// connection alone (its own op seen from another tab, an ack, a welcome):
// the rest of the frame is handed to lws, and must be the frame's bytes, not
// those of memory given back already. The server runs with MALLOC_PERTURB_,
// so that memory read after it was freed is garbage and the client sees it
// (the frame stops being valid UTF-8 or JSON), instead of the old bytes that
// usually still sit there.
//
// The typist's other tab stops reading: every op the typist makes reaches
// that tab as a message of its own (the op with its id), so once its socket
// is full, each flush cuts one of those.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, waitUntil, waitQuiescent, cpLen, sendQueue, bearer } = require('./harness');

const ROUNDS_MAX = 60;
const ROUNDS_AFTER_FULL = 4; // rounds written once the frozen tab's socket takes no more
const ROUNDS_WITHOUT_SS = 24; // without `ss` to tell: about 8 MB, twice what a loopback socket holds

describe('a write cut short inside a message of one connection', { timeout: 60000 }, () => {
  let h;
  before(async () => {
    h = await Harness.start({
      serverArgs: ['--max-message', String(1 << 20)], // big ops: the socket fills in a few rounds
      serverOpts: { env: { MALLOC_PERTURB_: '165' } },
    });
  }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  // The typist types big inserts, each deleted again, until the frozen
  // tab's socket takes no more, then a few rounds more.
  async function typeUntilFull(typist, tab) {
    const tabPort = tab.ws._socket.localPort;
    const chunk = (i) => `${i} « déjà vu » ${'éà🤝x'.repeat(40000)}\n`; // ~360 KB
    let full = -1;
    let before = 0;
    let blind = false; // no `ss`
    for (let i = 0; i < ROUNDS_MAX && (full < 0 || i < full + ROUNDS_AFTER_FULL); i++) {
      const ins = chunk(i);
      typist.submit([ins]);
      await waitUntil(() => typist.idle, 10000, `insert ${i} acked`);
      typist.submit([{ d: cpLen(ins) }]);
      await waitUntil(() => typist.idle, 10000, `delete ${i} acked`);
      const queued = sendQueue(h.server.port, tabPort);
      if (queued < 0) blind = true;
      if (blind && i + 1 >= ROUNDS_WITHOUT_SS) break;
      if (full < 0 && queued > 0 && queued === before) full = i; // the kernel took nothing of this round's
      before = queued;
    }
    if (!blind) assert.ok(full >= 0, 'the frozen tab\'s socket never filled: nothing was cut short');
  }

  // A typist and its other tab, which stops reading; ws errors of the tab.
  async function typistAndFrozenTab(title) {
    const w = await h.server.createWorkshop({ title, text: 'Début\n' });
    const typist = h.client({ workshop: w.id, name: 'Tape', organisation: 'Ville', record: 20 });
    await typist.start();
    const tab = h.twin(typist, { tag: 'frozen-tab', record: 20 });
    await tab.start();
    tab.freeze();
    const wsErrors = [];
    tab.ws.on('error', (e) => wsErrors.push(e.message));
    return { w, typist, tab, wsErrors };
  }

  test('a frozen tab gets its own ops whole once it reads again', { timeout: 50000 }, async () => {
    const { w, typist, tab, wsErrors } = await typistAndFrozenTab('Onglets');
    await typeUntilFull(typist, tab);
    tab.ws._socket.resume();
    await waitUntil(() => tab.rev === typist.rev || !tab.connected, 20000, 'the frozen tab caught up');
    assert.ok(tab.connected, `the frozen tab was disconnected: ${wsErrors.join('; ')}`);
    await waitQuiescent([typist, tab], { timeoutMs: 20000, serverRev: () => h.server.workshopRev(w.id) });
    assert.equal(tab.text, typist.text);
    const own = tab.remote.filter((o) => o.author === typist.participant.id && o.id !== undefined);
    assert.equal(own.length, typist.rev, 'the tab got every op of its person, with its id');
    h.assertNoProblems();
  });

  // Closed by the server (the workshop deleted) while the socket is full:
  // what was queued before the close still arrives whole, then the close.
  // The tab's are messages of its own; a frozen reader's are the group
  // log's bytes, which become its own when it leaves the group at the close.
  test('connections closed while their socket is full get everything, then the close', { timeout: 50000 }, async () => {
    const { w, typist, tab, wsErrors } = await typistAndFrozenTab('Supprimé');
    const reader = h.client({ workshop: w.id, name: 'Lit', organisation: 'Banque', record: 20 });
    await reader.start();
    reader.freeze();
    reader.ws.on('error', (e) => wsErrors.push(`reader: ${e.message}`));
    await typeUntilFull(typist, tab);
    const del = await h.server.http('DELETE', `/api/workshops/${w.id}`, { headers: bearer(w.facilitator_key) });
    assert.equal(del.status, 204);
    await typist.waitClose(5000);
    for (const c of [tab, reader]) {
      c.ws._socket.resume();
      const close = await c.waitClose(20000);
      assert.deepEqual(wsErrors, []);
      assert.equal(close.code, 1000, `${c.tag} closed with ${JSON.stringify(close)} at rev ${c.rev} of ${typist.rev}`);
      assert.equal(c.rev, typist.rev);
      assert.equal(c.text, typist.text);
      assert.ok(c.errors.some((e) => e.code === 'not_found'), `${c.tag} was not told the workshop was deleted`);
    }
  });
});
