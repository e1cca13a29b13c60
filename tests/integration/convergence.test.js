'use strict';
// Many clients typing at once in one workshop must all end with the same text,
// which must also be what a newcomer is given and what the stored history
// replays to.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  Harness, readHistory, replayHistory, randomEdit, prng, sleep, waitQuiescent, cpLen,
} = require('./harness');

const CLIENTS = Number(process.env.ATELIER_IT_CLIENTS || 20);
const OPS = Number(process.env.ATELIER_IT_OPS || 300);
const SEED = Number(process.env.ATELIER_IT_SEED || Date.now() % 1e9);

describe('convergence', { timeout: 150000 }, () => {
  let h;
  before(async () => { h = await Harness.start(); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test(`${CLIENTS} clients x ${OPS} random edits converge (seed ${SEED})`, { timeout: 120000 }, async (t) => {
    const initial = 'Quoi ?\n\nPourquoi ?\n\nComment ? — « déjà » 🤝\n';
    const w = await h.server.createWorkshop({ title: 'Convergence', text: initial });
    const clients = [];
    for (let i = 0; i < CLIENTS; i++) {
      // Recording every frame of 20 busy clients costs hundreds of MB.
      const c = h.client({ workshop: w.id, name: `Personne ${i}`, organisation: `Org ${i % 4}`, record: 200 });
      if (i === 0) c.key = w.facilitator_key;
      clients.push(c);
    }
    await Promise.all(clients.map((c) => c.start()));
    assert.equal(clients[0].role, 'facilitator');

    const t0 = Date.now();
    await Promise.all(clients.map(async (c, i) => {
      const rand = prng(SEED * 131 + i);
      for (let k = 0; k < OPS; k++) {
        c.submit(randomEdit(c.text, rand));
        if (k % 25 === 0) {
          const len = cpLen(c.text);
          const a = Math.floor(rand() * (len + 1));
          c.cursor([a, Math.min(len, a + Math.floor(rand() * 5))]);
        }
        await sleep(Math.floor(rand() * 12));
      }
    }));
    const typing = Date.now() - t0;

    const serverRev = () => h.server.workshopRev(w.id);
    await waitQuiescent(clients, { timeoutMs: 60000, serverRev });
    h.assertNoProblems();

    const text = clients[0].text;
    for (const c of clients) {
      assert.equal(c.rev, clients[0].rev, `${c.tag} rev`);
      if (c.text !== text) assert.equal(c.text, text, `${c.tag} diverged`);
    }

    const fresh = h.client({ workshop: w.id, name: 'Nouvelle', organisation: 'Après' });
    const welcome = await fresh.start();
    assert.equal(welcome.doc.rev, clients[0].rev);
    assert.equal(welcome.doc.text, text, 'a newcomer is given another text');
    assert.equal(welcome.participants.length, CLIENTS, 'welcome lists everyone else present');

    const hist = await readHistory(h.redis.port, w.id);
    assert.equal(hist.ops.length, clients[0].rev, 'one stored op event per revision');
    assert.equal(Number(hist.meta.rev), clients[0].rev, 'meta rev');
    assert.equal(replayHistory(initial, hist.ops), text, 'stored history does not replay to the clients\' text');
    // Snapshot entry ids start with their revision (REV-0; Redis refuses the
    // id 0-0, so revision 0 may be stored as 0-1).
    for (const sn of hist.snaps) {
      const rev = Number(sn.sid.split('-')[0]);
      assert.equal(sn.text, replayHistory(initial, hist.ops.slice(0, rev)), `snapshot at ${rev}`);
    }

    // Every op id acked to a client is stored exactly once, with that rev.
    const byId = new Map();
    for (const o of hist.ops) {
      if (o.opid === undefined) continue;
      assert.ok(!byId.has(`${o.author}/${o.opid}`), `op ${o.opid} stored twice`);
      byId.set(`${o.author}/${o.opid}`, o.rev);
    }
    let acks = 0;
    for (const c of clients) {
      for (const [id, rev] of c.acked) {
        acks++;
        assert.equal(byId.get(`${c.participant.id}/${id}`), rev, `acked op ${id} not stored at ${rev}`);
      }
    }
    assert.equal(acks, hist.ops.length, 'every stored op was acked to exactly one client');
    const resyncs = clients.reduce((n, c) => n + c.resyncs, 0);
    assert.equal(resyncs, 0, 'clients had to resync (revision gaps in the live stream)');
    h.assertNoProblems();
    fresh.close();
    t.diagnostic(`typing ${typing} ms, ${hist.ops.length} revisions, final text ${cpLen(text)} code points`);
  });
});

