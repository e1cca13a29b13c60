'use strict';
// Retention (README, "How long data lives"): a workshop nobody wrote to for
// the retention time is deleted entirely (every key, its join code, its
// entry in atelier:retention), by the sweep of any server process; activity
// (edits, arrivals) extends it; a process holding the workshop in memory tells
// its clients, as with a deletion. The welcome and the creation say when.
// Here the retention is seconds (--retention-secs, for tests).

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, metaKey, sleep, waitUntil } = require('./harness');

const KEEP_S = 4;

async function keysOf(h, id) {
  let cursor = '0';
  const out = [];
  do {
    const [next, keys] = await h.redis.command('SCAN', cursor, 'MATCH', `atelier:{w:${id}}:*`, 'COUNT', '1000');
    cursor = next;
    out.push(...keys);
  } while (cursor !== '0');
  return out;
}

describe('retention', { timeout: 90000 }, () => {
  let h;
  before(async () => {
    h = await Harness.start({ servers: 2, serverArgs: ['--retention-secs', String(KEEP_S)], ownRedis: true });
  }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('idle workshops go entirely, active ones stay; clients of another process are told', { timeout: 60000 }, async () => {
    const [s1, s2] = h.servers;
    const t0 = Date.now();
    const idle = await s1.createWorkshop({ title: 'Oublié', text: 'abc' });
    assert.ok(idle.deletes_at >= t0 + KEEP_S * 1000 && idle.deletes_at <= Date.now() + KEEP_S * 1000, 'deletes_at at creation');
    const busy = await s1.createWorkshop({ title: 'Vivant' });
    assert.ok(Number(await h.redis.command('ZSCORE', 'atelier:retention', idle.id)) >= t0, 'in the retention index');

    // Someone waits in the idle workshop through the other process, with a poll (a ballots key).
    const waiting = h.client({ server: s2, workshop: idle.id, key: idle.facilitator_key, name: 'Awa', organisation: 'Ville' });
    const welcome = await waiting.start();
    assert.ok(welcome.workshop.deletes_at > Date.now(), 'deletes_at in the welcome');
    await waiting.must({ type: 'poll_create', id: 'p', kind: 'single', question: 'Oui ?', choices: ['oui', 'non'] }, 'poll');
    assert.ok((await keysOf(h, idle.id)).some((k) => k.endsWith(':polls')), 'the polls key, deleted too');

    // The busy one is written to more often than the retention.
    const typist = h.client({ server: s1, workshop: busy.id, name: 'Jean', organisation: 'Banque' });
    await typist.start();
    let typing = true;
    const typed = (async () => {
      for (let i = 0; typing; i++) {
        typist.submit(i ? [i, 'x'] : ['x']);
        await sleep(400);
      }
    })();

    const told = waiting.waitFor((m) => m.type === 'workshop' && m.state === 'deleted', 30000, 'the deletion told');
    await told;
    await waiting.waitClose(5000);
    assert.deepEqual(await keysOf(h, idle.id), [], 'every key of the idle workshop is gone');
    assert.equal(await h.redis.command('EXISTS', `atelier:code:${idle.code}`), 0, 'its join code too');
    assert.equal(await h.redis.command('ZSCORE', 'atelier:retention', idle.id), null);
    assert.equal((await s1.http('GET', `/api/workshops/${idle.id}`)).status, 404);

    // The busy workshop outlived the idle one by more than the retention's length of typing.
    const idleGone = Date.now();
    await waitUntil(() => Date.now() - idleGone > KEEP_S * 1000 + 1000, 10000, 'a retention more of typing', 200);
    assert.equal(await h.redis.command('EXISTS', metaKey(busy.id)), 1, 'an active workshop was deleted');
    typing = false;
    await typed;
    await waitUntil(async () => (await keysOf(h, busy.id)).length === 0, 30000, 'the busy workshop gone once idle');
    await typist.waitClose(5000);
    h.assertNoProblems();
  });
});
