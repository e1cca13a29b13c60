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
const { Harness, waitUntil, waitQuiescent, cpLen, sendQueue } = require('./harness');

const ROUNDS_MAX = 60;
const ROUNDS_AFTER_FULL = 4; // rounds written once the frozen tab's socket takes no more

describe('a write cut short inside a message of one connection', { timeout: 60000 }, () => {
  let h;
  before(async () => {
    h = await Harness.start({
      serverArgs: ['--max-message', String(1 << 20)], // big ops: the socket fills in a few rounds
      serverOpts: { env: { MALLOC_PERTURB_: '165' } },
    });
  }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('a frozen tab gets its own ops whole once it reads again', { timeout: 50000 }, async () => {
    const w = await h.server.createWorkshop({ title: 'Onglets', text: 'Début\n' });
    const typist = h.client({ workshop: w.id, name: 'Tape', organisation: 'Ville', record: 20 });
    await typist.start();
    const tab = h.twin(typist, { tag: 'frozen-tab', record: 20 });
    await tab.start();
    const tabPort = tab.ws._socket.localPort;
    tab.freeze();
    const wsErrors = [];
    tab.ws.on('error', (e) => wsErrors.push(e.message));

    const chunk = (i) => `${i} « déjà vu » ${'éà🤝x'.repeat(40000)}\n`; // ~360 KB
    let full = -1;
    let before = 0;
    for (let i = 0; i < ROUNDS_MAX && (full < 0 || i < full + ROUNDS_AFTER_FULL); i++) {
      const ins = chunk(i);
      typist.submit([ins]);
      await waitUntil(() => typist.idle, 10000, `insert ${i} acked`);
      typist.submit([{ d: cpLen(ins) }]);
      await waitUntil(() => typist.idle, 10000, `delete ${i} acked`);
      const queued = sendQueue(h.server.port, tabPort);
      if (queued < 0) break; // no `ss`: nothing shows the socket full, said below
      if (full < 0 && queued > 0 && queued === before) full = i; // the kernel took nothing of this round's
      before = queued;
    }
    assert.ok(full >= 0, 'the frozen tab\'s socket never filled (or `ss` is missing): nothing was cut short');

    tab.ws._socket.resume();
    await waitUntil(() => tab.rev === typist.rev || !tab.connected, 20000, 'the frozen tab caught up');
    assert.ok(tab.connected, `the frozen tab was disconnected: ${wsErrors.join('; ')}`);
    await waitQuiescent([typist, tab], { timeoutMs: 20000, serverRev: () => h.server.workshopRev(w.id) });
    assert.equal(tab.text, typist.text);
    const own = tab.remote.filter((o) => o.author === typist.participant.id && o.id !== undefined);
    assert.equal(own.length, typist.rev, 'the tab got every op of its person, with its id');
    h.assertNoProblems();
  });
});
