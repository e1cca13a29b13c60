'use strict';
// The server dies while people type (kill -9, then a clean SIGTERM) and comes
// back on the same port. Clients reconnect and resume by themselves. Nothing
// that was acknowledged may be lost and nothing may be applied twice.
//
// Every edit inserts a unique marker between two existing markers (never
// inside one), so each edit's presence can be counted in the final text.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  Harness, readHistory, replayHistory, prng, sleep, waitQuiescent, countOccurrences,
} = require('./harness');

const CLIENTS = 8;
const OPS = 200;
const SEED = Number(process.env.ATELIER_IT_SEED || Date.now() % 1e9);

// Code point offsets where a new marker may go: the start and after each ⟧.
function boundaries(text) {
  const out = [0];
  let cp = 0;
  for (const ch of text) {
    cp++;
    if (ch === '⟧') out.push(cp);
  }
  return out;
}

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
        const b = boundaries(c.text);
        const pos = b[Math.floor(rand() * b.length)];
        // The emoji makes positions count code points, not UTF-16 units.
        const marker = `⟦${c.tag}.${k}${k % 5 === 0 ? '😀' : ''}⟧`;
        c.submit(pos ? [pos, marker] : [marker], marker);
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
    let dropped = 0;
    for (const c of clients) {
      dropped += c.droppedMeta.length;
      const droppedSet = new Set(c.droppedMeta);
      for (const metas of c.opMeta.values()) {
        for (const marker of metas) {
          const n = countOccurrences(text, marker);
          if (droppedSet.has(marker)) assert.ok(n <= 1, `${marker} appears ${n} times`);
          else assert.equal(n, 1, `${marker} appears ${n} times`);
        }
      }
      for (const marker of c.pendingMeta) assert.fail(`${marker} still pending`);
    }
    const markers = text.match(/⟦[^⟧]*⟧/g) || [];
    assert.equal(markers.join(''), text, 'text is not made of whole markers: an edit was split');
    assert.equal(new Set(markers).size, markers.length, 'a marker appears twice');

    const hist = await readHistory(h.redis.port, w.id);
    assert.equal(hist.ops.length, clients[0].rev);
    assert.equal(replayHistory('', hist.ops), text, 'stored history does not replay to the clients\' text');
    const seen = new Set();
    for (const o of hist.ops) {
      const k = `${o.author}/${o.opid}`;
      assert.ok(!seen.has(k), `op ${k} stored twice`);
      seen.add(k);
    }
    for (const c of clients) {
      for (const [id, rev] of c.acked) {
        const stored = hist.ops[rev];
        assert.ok(stored && stored.opid === id && stored.author === c.participant.id, `acked ${id}@${rev} is not stored there`);
      }
    }

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
