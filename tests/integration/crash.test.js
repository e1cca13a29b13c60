'use strict';
// The server dies while people type (kill -9, then a clean SIGTERM) and comes
// back on the same port. Clients reconnect and resume by themselves. Nothing
// that was acknowledged may be lost and nothing may be applied twice.
//
// Every edit inserts a unique marker between two existing markers (never
// inside one), so each edit's presence can be counted in the final text
// (harness.js, "exactly once").

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  Harness, readHistory, prng, sleep, waitQuiescent, countOccurrences, submitMarker, assertMarkersOnce, assertHistoryOnce,
} = require('./harness');

const CLIENTS = 8;
const OPS = 200;
const SEED = Number(process.env.ATELIER_IT_SEED || Date.now() % 1e9);

describe('server crash and restart', { timeout: 120000 }, () => {
  let h;
  before(async () => { h = await Harness.start(); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test(`acked edits survive kill -9 and restart (seed ${SEED})`, { timeout: 90000 }, async (t) => {
    const server = h.server;
    const w = await server.createWorkshop({ title: 'Panne', text: '' });
    const clients = [];
    for (let i = 0; i < CLIENTS; i++) {
      clients.push(h.client({ workshop: w.id, name: `P${i}`, organisation: 'Crash', reconnect: true, record: 500 }));
    }
    await Promise.all(clients.map((c) => c.start()));

    const allAcked = () => {
      const ids = [];
      for (const c of clients) for (const id of c.acked.keys()) ids.push([c, id]);
      return ids;
    };

    let typingDone = false;
    const typing = Promise.all(clients.map(async (c, i) => {
      const rand = prng(SEED * 7 + i);
      for (let k = 0; k < OPS; k++) {
        submitMarker(c, k, rand);
        await sleep(4 + Math.floor(rand() * 12));
      }
    })).then(() => { typingDone = true; });

    const crashes = [];
    for (const signal of ['SIGKILL', 'SIGTERM']) {
      await sleep(700);
      assert.ok(!typingDone, 'typing ended before the crash; slow it down');
      const info = await server.kill(signal);
      const acked = allAcked();
      crashes.push({ signal, info, acked: acked.length });
      // Some typing happens while the server is down.
      await sleep(300);
      await server.start();
      crashes[crashes.length - 1].ackedIds = acked;
    }
    await typing;

    await waitQuiescent(clients, { timeoutMs: 30000, serverRev: () => server.workshopRev(w.id) });
    h.assertNoProblems();

    const text = clients[0].text;
    for (const c of clients) assert.equal(c.text, text, `${c.tag} diverged after the restarts`);

    const fresh = h.client({ workshop: w.id, name: 'Après', organisation: 'Crash' });
    const welcome = await fresh.start();
    assert.equal(welcome.doc.text, text, 'a newcomer is given another text');
    fresh.close();

    // Acked before each crash: present exactly once.
    for (const crash of crashes) {
      for (const [c, id] of crash.ackedIds) {
        for (const marker of c.opMeta.get(id) || []) {
          assert.equal(countOccurrences(text, marker), 1, `${marker} (op ${id}, acked before ${crash.signal}) appears ${countOccurrences(text, marker)} times`);
        }
      }
    }
    // Nothing duplicated; nothing lost unless a client had to give it up.
    const dropped = assertMarkersOnce(clients, text);

    const hist = await readHistory(h.redis.port, w.id);
    assert.equal(hist.ops.length, clients[0].rev);
    assertHistoryOnce(hist, clients, '', text);

    const resumes = clients.reduce((n, c) => n + c.reconnects, 0);
    const snapshotResumes = clients.reduce((n, c) => n + c.welcomes.filter((x, i) => i > 0 && !x.missed).length, 0);
    assert.ok(resumes >= CLIENTS * 2, `clients resumed ${resumes} times, expected at least ${CLIENTS * 2}`);
    t.diagnostic(`crashes: ${crashes.map((c) => `${c.signal} after ${c.acked} acks (exit ${JSON.stringify(c.info)})`).join('; ')}`);
    const recovered = clients.reduce((n, c) => n + c.recoveredInMissed, 0);
    const resent = clients.reduce((n, c) => n + [...c.acked.keys()].length, 0);
    t.diagnostic(`${recovered} in-flight ops found in missed, ${resent} acks in all`);
    t.diagnostic(`${hist.ops.length} revisions, ${resumes} resumes (${snapshotResumes} from a snapshot), ${dropped} edits given up by clients`);
  });
});
