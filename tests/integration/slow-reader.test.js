'use strict';
// A client that stops reading must neither stall the others nor lose or
// garble anything: once the socket is full, the server keeps the rest of a
// frame cut short and the queued messages, and sends them, in order and
// whole, when the client reads again. Run with the batched writes (io_uring,
// when the kernel allows) and with one sendmsg per connection.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, waitUntil, waitQuiescent, cpLen, sendQueue } = require('./harness');

const ROUNDS = 100;

for (const [mode, serverArgs] of [['batched writes', []], ['one sendmsg per connection', ['--no-io-uring']]]) {
  describe(`slow reader (${mode})`, { timeout: 120000 }, () => {
    let h;
    before(async () => { h = await Harness.start({ serverArgs }); }, { timeout: 30000 });
    after(async () => { if (h) await h.close(); }, { timeout: 30000 });

    test(`a frozen client gets ${ROUNDS * 2} big ops intact after the others`, { timeout: 100000 }, async () => {
      const w = await h.server.createWorkshop({ title: 'Lent', text: 'Début 🤝\n' });
      const writer = h.client({ workshop: w.id, name: 'Écrit', organisation: 'Ville' });
      const slow = h.client({ workshop: w.id, name: 'Lent', organisation: 'Banque', record: 50 });
      const watcher = h.client({ workshop: w.id, name: 'Regarde', organisation: 'ONG', record: 50 });
      await Promise.all([writer.start(), slow.start(), watcher.start()]);
      const slowPort = slow.ws._socket.localPort;
      slow.freeze();

      // ~54 KB of text with accents and astral emoji per insert; each
      // insert is deleted again by the next op, so the document stays small
      // while the frozen client is owed megabytes.
      const chunk = (i) => `${i} « déjà vu » — ça marche 🎉 ${'éà🤝x'.repeat(6000)}\n`;
      let maxQueued = 0;
      for (let i = 0; i < ROUNDS; i++) {
        const ins = chunk(i);
        writer.submit([ins]);
        await waitUntil(() => writer.idle, 10000, `insert ${i} acked`);
        writer.submit([{ d: cpLen(ins) }]);
        await waitUntil(() => writer.idle, 10000, `delete ${i} acked`);
        // The watcher is not held back by the frozen client.
        await waitUntil(() => watcher.rev === writer.rev, 5000, `watcher at rev ${writer.rev}`);
        maxQueued = Math.max(maxQueued, sendQueue(h.server.port, slowPort));
      }
      console.log(`# max send queue ${maxQueued}`);
      const owed = writer.rev - slow.rev;
      assert.ok(owed >= ROUNDS, `the frozen client read ${slow.rev} of ${writer.rev} revisions: it was not frozen`);
      if (maxQueued >= 0) assert.ok(maxQueued > 0, 'the kernel never held unsent bytes for the frozen client: the socket never filled');

      slow.ws._socket.resume();
      await waitQuiescent([writer, slow, watcher], { timeoutMs: 30000, serverRev: () => h.server.workshopRev(w.id) });
      assert.equal(slow.text, writer.text);
      assert.equal(slow.text, 'Début 🤝\n');
      assert.equal(slow.rev, 2 * ROUNDS);
      assert.ok(slow.connected, 'the slow client was dropped');
      h.assertNoProblems();
    });
  });
}
