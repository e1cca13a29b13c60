'use strict';
// Redis with credentials (README, "Redis with a password"): the server logs
// in with AUTH (and SELECT) on every connection before anything else, from
// redis://[user:]password@host:port/db or from a password file named by
// ATELIER_REDIS_PASSWORD_FILE; the password never shows in its logs. Against
// a redis-server started with requirepass and one with an ACL user (and its
// default user off), each started here on a port of its own.

const { describe, test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Harness, HOST, metaKey, waitUntil } = require('./harness');

const PASSWORD = 'pw-Zq81-unique-secret';
const ACL_USER = 'atelier-app';
const ACL_PASSWORD = 'acl-Xr42-unique-secret';

// Create, join, edit: the edit is acknowledged, so Redis has it.
async function createJoinEdit(h, s) {
  const w = await s.createWorkshop({ title: 'Identifiants', text: 'abc' });
  const c = h.client({ server: s, workshop: w.id, key: w.facilitator_key, name: 'Awa', organisation: 'Ville' });
  await c.start();
  c.submit([3, 'd']);
  await waitUntil(() => c.idle && c.rev === 1, 5000, 'the edit acknowledged');
  c.close();
  return w;
}

function assertLogFree(s, secret) {
  const log = fs.readFileSync(s.logFile, 'utf8');
  assert.ok(log.length > 0, 'the log is empty');
  assert.ok(!log.includes(secret), `the password is in ${s.logFile}`);
}

describe('Redis with credentials', { timeout: 120000 }, () => {
  const harnesses = [];
  after(async () => { for (const h of harnesses) await h.close(); }, { timeout: 30000 });

  test('requirepass: the password in the URL, in a file, and a wrong one', { timeout: 60000 }, async () => {
    const h = await Harness.start({ servers: 0, redis: { args: ['--requirepass', PASSWORD], auth: [PASSWORD] } });
    harnesses.push(h);
    const port = h.redis.port;
    const fromUrl = await h.addServer(['--log-level', 'info', '--redis', `redis://:${PASSWORD}@${HOST}:${port}`]);
    const w = await createJoinEdit(h, fromUrl);
    assert.equal(await h.redis.command('HGET', metaKey(w.id), 'rev'), '1');

    const file = path.join(h.dir, 'redis-password');
    fs.writeFileSync(file, `${PASSWORD}\n`, { mode: 0o600 });
    const fromFile = await h.addServer(['--log-level', 'info', '--redis', `redis://${HOST}:${port}`],
      { env: { ATELIER_REDIS_PASSWORD_FILE: file } });
    await createJoinEdit(h, fromFile);

    // Reconnections log in again: Redis closes every client, the servers come back.
    await h.redis.command('CLIENT', 'KILL', 'TYPE', 'normal');
    await h.redis.command('CLIENT', 'KILL', 'TYPE', 'pubsub');
    const downs = (s) => (fs.readFileSync(s.logFile, 'utf8').match(/ is down/g) || []).length;
    await waitUntil(() => downs(fromUrl) > 0 && downs(fromFile) > 0, 5000, 'the connections lost');
    for (const s of [fromUrl, fromFile]) await s.waitListening(200);
    await createJoinEdit(h, fromUrl);

    const wrong = await h.addServer(['--log-level', 'info', '--redis', `redis://:not-${PASSWORD}@${HOST}:${port}`],
      { start: { waitHealthy: false } });
    await wrong.waitListening(503);
    await waitUntil(() => /AUTH refused: WRONGPASS/.test(fs.readFileSync(wrong.logFile, 'utf8')), 5000, 'the refusal logged');
    for (const s of [fromUrl, fromFile, wrong]) assertLogFree(s, PASSWORD);

    const missing = path.join(h.dir, 'no-such-file');
    const bad = await h.addServer([], { env: { ATELIER_REDIS_PASSWORD_FILE: missing }, start: { waitHealthy: false } })
      .catch((e) => e);
    assert.ok(bad instanceof Error, 'a server started with a password file it cannot read');
    assert.match(bad.message, /cannot read a password/);
    h.servers.pop().proc.expectedExit = true; // it exits with 2, as it should
  });

  test('an ACL user (the default user off), with a database', { timeout: 60000 }, async () => {
    const h = await Harness.start({
      servers: 0,
      redis: {
        args: ['--user', 'default', 'off', '--user', ACL_USER, 'on', `>${ACL_PASSWORD}`, '~*', '&*', '+@all'],
        auth: [ACL_USER, ACL_PASSWORD],
      },
    });
    harnesses.push(h);
    const escaped = encodeURIComponent(ACL_PASSWORD);
    const s = await h.addServer(['--log-level', 'info', '--redis', `redis://${ACL_USER}:${escaped}@${HOST}:${h.redis.port}/3`]);
    const w = await createJoinEdit(h, s);
    assert.equal(await h.redis.command('EXISTS', metaKey(w.id)), 0, 'written to database 0');
    const c = new (require('./harness').Resp)(h.redis.port);
    await c.connect();
    try {
      await c.command('AUTH', ACL_USER, ACL_PASSWORD);
      await c.command('SELECT', '3');
      assert.equal(await c.command('HGET', metaKey(w.id), 'rev'), '1');
    } finally { c.close(); }
    assertLogFree(s, ACL_PASSWORD);
  });
});
