'use strict';
// Two server processes on one Redis, clients on both typing into the same
// workshop. The stored history must stay one line (no fork), replay to what
// clients end with, and every instance must hand newcomers that text.
// Whether an instance relays the other's ops live is reported, not required:
// the protocol only promises that a write conflict makes an instance reload.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  Harness, readHistory, assertHistoryOnce, metaKey, prng, randomEdit, sleep, waitUntil, waitQuiescent,
} = require('./harness');

const PER_SERVER = 3;
const OPS = 120;
const SEED = Number(process.env.ATELIER_IT_SEED || Date.now() % 1e9);

describe('two server instances', { timeout: 120000 }, () => {
  let h;
  before(async () => { h = await Harness.start({ servers: 2 }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test(`concurrent typing through two instances (seed ${SEED})`, { timeout: 90000 }, async (t) => {
    const [s1, s2] = h.servers;
    const initial = 'Deux serveurs, un texte. ✌️\n';
    const w = await s1.createWorkshop({ title: 'Multi', text: initial });
    const clients = [];
    for (const [n, s] of [[1, s1], [2, s2]]) {
      for (let i = 0; i < PER_SERVER; i++) {
        clients.push(h.client({ server: s, workshop: w.id, name: `S${n}-${i}`, organisation: `Instance ${n}`, record: 300 }));
      }
    }
    await Promise.all(clients.map((c) => c.start()));

    await Promise.all(clients.map(async (c, i) => {
      const rand = prng(SEED * 17 + i);
      for (let k = 0; k < OPS; k++) {
        c.submit(randomEdit(c.text, rand));
        await sleep(2 + Math.floor(rand() * 10));
      }
    }));
    await waitUntil(() => clients.every((c) => c.idle), 30000, 'every op acked');

    const storedRev = async () => Number(await h.redis.command('HGET', metaKey(w.id), 'rev'));
    let live = true;
    try {
      await waitQuiescent(clients, { timeoutMs: 5000, serverRev: storedRev });
    } catch (e) {
      live = false;
      t.diagnostic(`no live convergence across instances within 5 s: ${e.message}`);
    }
    const gaps = clients.map((c) => `${c.tag}:${c.gaps || 0}/${c.resyncs}`).join(' ');
    t.diagnostic(`revision gaps/resyncs per client: ${gaps}`);

    const hist = await readHistory(h.redis.port, w.id);
    const finalRev = await storedRev();
    assert.equal(hist.ops.length, finalRev, 'meta rev and stored op count disagree');
    const replayed = assertHistoryOnce(hist, clients, initial);

    if (!live) {
      // Catch up through a resume: `missed` comes from each instance's window.
      for (const c of clients) if (c.rev !== finalRev) c.resync('catch up');
      await waitQuiescent(clients, { timeoutMs: 15000, serverRev: storedRev });
    }
    for (const c of clients) assert.equal(c.text, replayed, `${c.tag} does not have the stored text`);

    for (const s of [s1, s2]) {
      const fresh = h.client({ server: s, workshop: w.id, name: 'Nouveau', organisation: 'Après' });
      const welcome = await fresh.start();
      assert.equal(welcome.doc.rev, finalRev, `instance ${s.port} gives a newcomer rev ${welcome.doc.rev} of ${finalRev}`);
      assert.equal(welcome.doc.text, replayed, `instance ${s.port} gives a newcomer another text`);
      fresh.close();
    }
    h.assertNoProblems();
    t.diagnostic(`${finalRev} revisions; live relay across instances: ${live ? 'yes' : 'no'}`);
  });

  test('an op on one instance reaches a silent client on the other', { timeout: 20000 }, async (t) => {
    const [s1, s2] = h.servers;
    const w = await s2.createWorkshop({ title: 'Relais', text: 'abc' });
    const writer = h.client({ server: s1, workshop: w.id, name: 'Écrit', organisation: 'S1' });
    const reader = h.client({ server: s2, workshop: w.id, name: 'Lit', organisation: 'S2' });
    await writer.start();
    await reader.start();
    const arrived = reader.waitFor((m) => m.type === 'arrived', 2000, 'arrived from the other instance').then(() => true, () => false);
    for (let i = 0; i < 5; i++) {
      writer.submit([3 + i, String(i)]);
      await waitQuiescent([writer], { timeoutMs: 5000 });
    }
    const t0 = Date.now();
    let relayed = true;
    await waitUntil(() => reader.rev === 5, 3000, 'ops relayed').catch(() => { relayed = false; });
    t.diagnostic(relayed ? `relayed within ${Date.now() - t0} ms of the last ack` : 'ops are not relayed to an instance that does not write');
    t.diagnostic(`arrived relayed across instances: ${await arrived}`);
    assert.ok(relayed, 'a client on the other instance never got the ops (no live relay between instances)');
    assert.equal(reader.text, 'abc01234');
    h.assertNoProblems();
    writer.close();
    reader.close();
  });
});
