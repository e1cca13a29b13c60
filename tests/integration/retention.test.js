'use strict';
// Retention (README, "How long data lives"): a workshop nobody wrote to for
// the retention time is deleted entirely (every key, its join code, its
// entry in atelier:retention), by the sweep of any server process; activity
// (edits, arrivals) extends it; a process holding the workshop in memory tells
// its clients, as with a deletion. The welcome and the creation say when.
// Here the retention is seconds (--retention-secs, for tests).

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, assertSchema, bearer, metaKey, sleep, waitUntil } = require('./harness');

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

// Workshops written before retention existed have no entry in
// atelier:retention (and no meta `active`): each process, once at its start,
// indexes them by their last activity (README, "How long data lives"). Here
// they are written as the old server wrote them, key by key.
describe('retention of workshops from before it', { timeout: 90000 }, () => {
  const KEEP = 30; // s: the sweep looks every 3 s
  let h;
  before(async () => { h = await Harness.start({ servers: 0, ownRedis: true }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  // meta, a first snapshot and events at the given times (ms), as before retention.
  async function oldWorkshop(id, { created, events = [], active } = {}) {
    const meta = ['title', `Ancien ${id}`, 'fkey', 'k'.repeat(43), 'created', String(created), 'rev', String(events.length),
      'time_zone', 'Europe/Paris', 'state', 'ended'];
    if (active) meta.push('active', String(active));
    await h.redis.command('HSET', metaKey(id), ...meta);
    await h.redis.command('XADD', `atelier:{w:${id}}:events`, `${created}-1`, 'type', 'created', 'title', 'Ancien', 'rev', '0', 't', String(created));
    await h.redis.command('XADD', `atelier:{w:${id}}:snaps`, '0-1', 'text', '', 'event', `${created}-1`, 't', String(created));
    for (const [i, t] of events.entries()) {
      await h.redis.command('XADD', `atelier:{w:${id}}:events`, `${t}-0`, 'type', 'op', 'rev', String(i), 'op', '["x"]', 'author', 'p_1', 't', String(t));
    }
  }

  test('indexed by their last activity at the start of each process, once; long idle ones deleted', async () => {
    const now = Date.now();
    const id = (c) => c.repeat(22);
    await oldWorkshop(id('A'), { created: now - 2 * 86400e3, events: [now - 86400e3, now - 10e3] }); // edited 10 s ago
    await oldWorkshop(id('B'), { created: now - 2 * 86400e3, events: [now - 86400e3], active: now - 5e3 }); // written since (active)
    await oldWorkshop(id('C'), { created: now - 3 * 3600e3, events: [now - 2 * 3600e3] }); // idle for 2 hours
    assert.equal(await h.redis.command('ZCARD', 'atelier:retention'), 0);

    // Two processes start on the same Redis: both index, neither twice.
    const [s1] = [await h.addServer(['--retention-secs', String(KEEP)]), await h.addServer(['--retention-secs', String(KEEP)])];
    const fresh = await s1.createWorkshop({ title: 'Neuf' }); // indexed at its creation
    const freshScore = await h.redis.command('ZSCORE', 'atelier:retention', fresh.id);
    await waitUntil(async () => (await h.redis.command('ZSCORE', 'atelier:retention', id('A'))) !== null, 20000, 'A indexed');
    await waitUntil(async () => (await h.redis.command('ZSCORE', 'atelier:retention', id('B'))) !== null, 20000, 'B indexed');
    assert.equal(Number(await h.redis.command('ZSCORE', 'atelier:retention', id('A'))), now - 10e3, 'A: its last event');
    assert.equal(await h.redis.command('HGET', metaKey(id('A')), 'active'), String(now - 10e3), "A: meta's active, for atelier_expire");
    assert.equal(Number(await h.redis.command('ZSCORE', 'atelier:retention', id('B'))), now - 5e3, "B: meta's active");
    assert.equal(await h.redis.command('ZSCORE', 'atelier:retention', fresh.id), freshScore, 'an indexed workshop is left as it is');

    // C was idle for longer than the retention: deleted by the next sweep, every key.
    await waitUntil(async () => (await keysOf(h, id('C'))).length === 0, 20000, 'C deleted');
    assert.equal(await h.redis.command('ZSCORE', 'atelier:retention', id('C')), null);
    // A and B are told as any workshop: GET gives when they go.
    const a = await s1.http('GET', `/api/workshops/${id('A')}`);
    assert.equal(a.status, 200);
    assert.equal(a.json.deletes_at, now - 10e3 + KEEP * 1000);
    // ... and they go in their turn, KEEP s after their last activity.
    await waitUntil(async () => (await keysOf(h, id('A'))).length === 0 && (await keysOf(h, id('B'))).length === 0,
      (KEEP + 20) * 1000, 'A and B deleted once idle for the retention');
    h.assertNoProblems();
  });
});

// Where the facilitator reads the date (issue 14, item 4): GET
// /api/workshops/ID (from Redis' meta `active`, through a process holding the
// workshop and one that does not) and the exports, moved on by activity.
describe('the deletion date, where it is read', { timeout: 60000 }, () => {
  const DAYS = 90;
  const KEEP_MS = DAYS * 86400e3;
  let h;
  before(async () => { h = await Harness.start({ servers: 2 }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  const zoned = (ms, lang) => new Intl.DateTimeFormat(lang, { timeZone: 'Europe/Paris', day: 'numeric', month: 'long', year: 'numeric' }).format(ms);

  test('GET /api/workshops/ID and every export say when; an edit moves it on', async () => {
    const [s1, s2] = h.servers;
    const w = await s1.createWorkshop({ title: 'Dates', time_zone: 'Europe/Paris' });
    const get = async (s) => {
      const r = await s.http('GET', `/api/workshops/${w.id}`);
      assert.equal(r.status, 200);
      assertSchema('workshop-public', r.json);
      return r.json.deletes_at;
    };
    const atCreation = await get(s2);
    assert.ok(Math.abs(atCreation - w.deletes_at) < 2000, `${atCreation} is the creation's ${w.deletes_at}`);

    const before = Date.now();
    const c = h.client({ server: s1, workshop: w.id, key: w.facilitator_key, name: 'Awa', organisation: 'Ville' });
    await c.start();
    assert.equal((await c.ask({ type: 'op', rev: 0, op: ['Texte'] })).type, 'ack');
    const loaded = await get(s1); // s1 holds the room: its answer comes from memory, the date from Redis
    const stored = await get(s2);
    assert.equal(loaded, stored);
    assert.ok(loaded >= before + KEEP_MS && loaded <= Date.now() + KEEP_MS, 'moved on by the arrival and the edit');
    assert.ok(loaded > atCreation);

    const exp = (q) => s2.http('GET', `/api/workshops/${w.id}/export?${q}`, { headers: bearer(w.facilitator_key) });
    assert.equal((await exp('format=json')).json.workshop.deletes_at, stored);
    const fr = (await exp('format=md&lang=fr')).text;
    assert.ok(fr.includes(`Sans nouvelle activité, cet atelier sera supprimé du serveur le ${zoned(stored, 'fr')} à `), fr);
    const en = (await exp('format=html&lang=en')).text;
    assert.ok(en.includes(`Without new activity, this workshop will be deleted from the server on ${zoned(stored, 'en-GB')}, `), en);
    c.close();
    h.assertNoProblems();
  });
});
