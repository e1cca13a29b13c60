'use strict';
// Join codes and time zones at creation (protocol/README.md, "POST
// /api/workshops" and "GET /api/join/{code}").
//
// A workshop gets a six-digit code, in the create response, GET and the
// welcome; GET /api/join/CODE finds it while it is open and says 404 for an
// unknown or malformed code, and once the workshop has ended or is deleted.
// Lookups are counted per client address: past 10 a minute (burst 10), 429
// rate_limited with a Retry-After header, and a token comes back after it.
// The create Function refuses a code another open workshop holds. The time
// zone is checked: a name of the tz database, else 400, nothing stored.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, sleep, getJson, bearer, assertSchema } = require('./harness');

const J = (x) => JSON.stringify(x);

describe('join codes and time zones', { timeout: 120000 }, () => {
  let h;
  before(async () => { h = await Harness.start({ ownRedis: true }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('a code per workshop: in create, GET and the welcome; found while open; 404 unknown, ended, deleted', { timeout: 30000 }, async () => {
    const s = await h.addServer(); // a limiter of its own: this test makes 8 lookups
    const w = await s.createWorkshop({ title: 'Code' });
    assert.match(w.code, /^\d{6}$/);
    assert.equal((await getJson(s.port, `/api/workshops/${w.id}`)).json.code, w.code);
    const c = h.client({ server: s, workshop: w.id, key: w.facilitator_key, name: 'Awa', organisation: 'Ville' });
    assert.equal((await c.start()).workshop.code, w.code);
    assert.equal(await h.redis.command('GET', `atelier:code:${w.code}`), w.id);

    const found = await getJson(s.port, `/api/join/${w.code}`);
    assert.equal(found.status, 200, found.text);
    assertSchema('join-code', found.json);
    assert.deepEqual(found.json, { id: w.id });

    const unknown = (await h.redis.command('EXISTS', 'atelier:code:000000')) ? '000001' : '000000';
    for (const bad of [unknown, '12345', '1234567', 'abcdef', '12%2034']) {
      const r = await getJson(s.port, `/api/join/${bad}`);
      assert.equal(r.status, 404, `${bad}: ${r.status} ${r.text}`);
      assertSchema('http-error', r.json);
      assert.equal(r.json.error.code, 'not_found');
    }

    c.send({ type: 'workshop_end', id: 'end' });
    await c.waitFor((m) => m.type === 'workshop' && m.id === 'end', 5000, 'the end');
    assert.equal((await getJson(s.port, `/api/join/${w.code}`)).status, 404, 'ended');

    const d = await s.createWorkshop({ title: 'Supprimé' });
    assert.equal((await s.http('DELETE', `/api/workshops/${d.id}`, { headers: bearer(d.facilitator_key) })).status, 204);
    assert.equal((await getJson(s.port, `/api/join/${d.code}`)).status, 404, 'deleted');
    c.close();
  });

  test('codes are unique among open workshops; the create Function refuses a code held by another', async () => {
    const codes = new Set();
    for (let i = 0; i < 20; i++) codes.add((await h.server.createWorkshop({ title: `W${i}` })).code);
    assert.equal(codes.size, 20);
    const [held] = codes;
    const id = 'AAAAAAAAAAAAAAAAAAAAAA';
    const k = (what) => `atelier:{w:${id}}:${what}`;
    const r = await h.redis.command('FCALL', 'atelier_create', '5', k('meta'), k('snaps'), k('events'), k('marks'),
      `atelier:code:${held}`, 'T', 'key', String(Date.now()), '', 'UTC', held);
    assert.equal(r, -1);
    assert.deepEqual(await h.redis.command('KEYS', `atelier:{w:${id}}:*`), [], 'nothing stored for a refused code');
  });

  test('lookups per address: 10, then 429 rate_limited with Retry-After, then one more after it', { timeout: 30000 }, async () => {
    const s = await h.addServer(); // a fresh count
    const w = await s.createWorkshop({ title: 'Compté' });
    const statuses = [];
    for (let i = 0; i < 10; i++) statuses.push((await getJson(s.port, `/api/join/${i % 2 ? w.code : '999999'}`)).status);
    assert.ok(statuses.every((x) => x === 200 || x === 404), J(statuses));
    const over = await s.http('GET', `/api/join/${w.code}`);
    assert.equal(over.status, 429, over.text);
    assertSchema('http-error', over.json);
    assert.equal(over.json.error.code, 'rate_limited');
    const retry = Number(over.headers['retry-after']);
    assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 6, `Retry-After ${J(over.headers['retry-after'])}`);
    // Malformed codes count too: enumeration gains nothing from them.
    assert.equal((await s.http('GET', '/api/join/abc')).status, 429);
    // Other routes are not counted.
    assert.equal((await getJson(s.port, `/api/workshops/${w.id}`)).status, 200);
    await sleep(retry * 1000 + 200);
    assert.equal((await getJson(s.port, `/api/join/${w.code}`)).status, 200, 'a token came back');
    assert.equal((await s.http('GET', `/api/join/${w.code}`)).status, 429, 'only one');
  });

  test('time_zone at creation: a zone of the tz database, else 400 and nothing stored; UTC by default', async () => {
    const s = h.server;
    for (const [body, want] of [
      [{ title: 'Paris', time_zone: 'Europe/Paris' }, 'Europe/Paris'],
      [{ title: 'Katmandou', time_zone: 'Asia/Kathmandu' }, 'Asia/Kathmandu'],
      [{ title: 'Buenos Aires', time_zone: 'America/Argentina/Buenos_Aires' }, 'America/Argentina/Buenos_Aires'],
      [{ title: 'Défaut' }, 'UTC'],
      [{ title: 'Nul', time_zone: null }, 'UTC'],
    ]) {
      const w = await s.createWorkshop(body);
      assert.equal(w.time_zone, want);
      assert.equal((await getJson(s.port, `/api/workshops/${w.id}`)).json.time_zone, want);
      assert.equal(await h.redis.command('HGET', `atelier:{w:${w.id}}:meta`, 'time_zone'), want);
    }
    const keysBefore = (await h.redis.command('KEYS', 'atelier:*')).length;
    for (const tz of ['Mars/Olympus_Mons', '../../../etc/passwd', '/etc/localtime', 'Europe/Paris/', 'Europe//Paris',
      'Europe/Paris ', 'zone.tab', 'leapseconds', 'Europe', 'a'.repeat(65), 42, ['Europe/Paris'], '']) {
      const r = await s.http('POST', '/api/workshops', { body: { title: 'Mauvaise zone', time_zone: tz } });
      assert.equal(r.status, 400, `${J(tz)}: ${r.status} ${r.text}`);
      assertSchema('http-error', r.json);
      assert.equal(r.json.error.code, 'bad_request');
      assert.match(r.json.error.message, /time_zone/);
    }
    assert.equal((await h.redis.command('KEYS', 'atelier:*')).length, keysBefore, 'a refused creation stored something');
  });

  test('no schema violation, protocol anomaly or server crash along the way', () => {
    h.assertNoProblems();
  });
});
