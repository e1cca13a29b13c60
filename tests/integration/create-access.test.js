'use strict';
// Who may create workshops (README, "Who may create workshops"; protocol
// README, "POST /api/workshops"): with --create-token, a creation needs
// "Authorization: Bearer TOKEN" (the scheme in any case), else 401 with
// WWW-Authenticate: Bearer; without it creation is open. Every attempt counts
// against the client address's rate (--create-rate an hour, as a burst):
// past it, 429 rate_limited with Retry-After. Nothing refused is stored.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, assertSchema, bearer } = require('./harness');

const TOKEN = 'tok-3Jx9_partenaires';
const body = { title: 'Accès' };

async function workshopCount(h) {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await h.redis.command('SCAN', cursor, 'MATCH', 'atelier:{w:*}:meta', 'COUNT', '1000');
    cursor = next;
    n += keys.length;
  } while (cursor !== '0');
  return n;
}

describe('who may create workshops', { timeout: 60000 }, () => {
  let h;
  before(async () => { h = await Harness.start({ servers: 0, ownRedis: true }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('with a token: 401 without it or with a wrong one; any case of "Bearer"', async () => {
    const s = await h.addServer(['--create-token', TOKEN]);
    const before = await workshopCount(h);
    for (const headers of [{}, bearer('wrong'), bearer(`${TOKEN}x`), bearer(TOKEN.slice(0, -1)), { authorization: TOKEN },
      { authorization: `Basic ${TOKEN}` }, bearer('x'.repeat(200))]) {
      const r = await s.http('POST', '/api/workshops', { body, headers });
      assert.equal(r.status, 401, `${JSON.stringify(headers)}: ${r.status} ${r.text}`);
      assert.equal(r.headers['www-authenticate'], 'Bearer');
      assertSchema('http-error', r.json);
      assert.equal(r.json.error.code, 'forbidden');
    }
    assert.equal(await workshopCount(h), before, 'a refused creation stored something');
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const r = await s.http('POST', '/api/workshops', { body, headers: { authorization: `${scheme} ${TOKEN}` } });
      assert.equal(r.status, 201, `${scheme}: ${r.status} ${r.text}`);
      assertSchema('workshop-created', r.json);
    }
    assert.equal(await workshopCount(h), before + 3);
  });

  test('without a token creation is open; past the rate 429 with Retry-After, nothing stored', async () => {
    const s = await h.addServer(['--create-rate', '3']);
    for (let i = 0; i < 3; i++) await s.createWorkshop(body);
    const before = await workshopCount(h);
    const r = await s.http('POST', '/api/workshops', { body });
    assert.equal(r.status, 429, r.text);
    assertSchema('http-error', r.json);
    assert.equal(r.json.error.code, 'rate_limited');
    // 3 an hour: the next one in 20 minutes.
    const retry = Number(r.headers['retry-after']);
    assert.ok(retry > 1000 && retry <= 1200, `Retry-After ${r.headers['retry-after']}`);
    assert.equal(await workshopCount(h), before);
    // Other requests of that address are not counted against it, nor is it against them.
    assert.equal((await s.http('GET', '/healthz')).status, 200);
  });

  test('wrong tokens count against the rate too', async () => {
    const s = await h.addServer(['--create-token', TOKEN, '--create-rate', '2']);
    for (let i = 0; i < 2; i++) assert.equal((await s.http('POST', '/api/workshops', { body, headers: bearer('guess') })).status, 401);
    const r = await s.http('POST', '/api/workshops', { body, headers: bearer(TOKEN) });
    assert.equal(r.status, 429, r.text);
  });
});
