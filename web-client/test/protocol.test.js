import test from 'node:test';
import assert from 'node:assert/strict';
import { parse, join } from '../src/protocol/messages.js';
import { Connection, backoffDelay } from '../src/protocol/connection.js';
import { Session, HEARTBEAT_MS, DEAD_AFTER_MS } from '../src/protocol/session.js';
import { FakeServer } from '../dev/fake-core.js';
import { FakeClock, Net } from '../dev/sim.js';

test('parse accepts the spec examples and drops malformed messages', () => {
  const ok = [
    '{"type":"ack","id":"c7-12","rev":41}',
    '{"type":"op","rev":41,"op":[12,"partenaires "],"author":"p_3fA9"}',
    '{"type":"arrived","participant":{"id":"p_1","name":"Jean","organisation":"Banque","role":"participant"}}',
    '{"type":"departed","participant":"p_1"}',
    '{"type":"cursor","participant":"p_1","rev":44,"sel":[17,20]}',
    '{"type":"pong","id":9}',
    '{"type":"error","code":"stale","message":"…","re":"op","id":"c7-12"}',
    '{"type":"welcome","id":1,"workshop":{"id":"w","title":"t"},"participant":{"id":"p","name":"A","organisation":"V","role":"facilitator"},"token":"p.s","role":"facilitator","doc":{"rev":42,"text":"Quoi ?"},"participants":[]}',
    '{"type":"welcome","id":1,"workshop":{"id":"w","title":"t"},"participant":{"id":"p","name":"A","organisation":"V","role":"participant"},"token":"p.s","doc":{"rev":44},"missed":[{"rev":41,"op":[3,"a"],"author":"p_x"},{"rev":42,"op":[5,{"d":2}],"author":"p","id":"c7-12"}]}',
  ];
  for (const s of ok) assert.ok(parse(s), s);
  const bad = [
    'not json', '[]', '{"type":1}', '{"type":"ack"}', '{"type":"op","rev":-1,"op":[]}',
    '{"type":"op","rev":1,"op":[0,"a"]}', '{"type":"op","rev":1,"op":[1.5,"a"]}', '{"type":"op","rev":1,"op":[{"d":0}]}',
    '{"type":"cursor","participant":"p","rev":1,"sel":[1]}',
    '{"type":"welcome","workshop":{"id":"w"},"participant":{"id":"p","name":"A","organisation":"V"},"token":"t","doc":{"rev":1}}',
    '{"type":"mystery"}',
  ];
  for (const s of bad) assert.equal(parse(s), null, s);
  assert.equal(parse(new ArrayBuffer(2)), null);
});

test('join carries resume only when given', () => {
  assert.deepEqual(join({ id: 1, workshop: 'w', name: 'Awa', organisation: 'Ville' }),
    { type: 'join', id: 1, workshop: 'w', name: 'Awa', organisation: 'Ville' });
  assert.deepEqual(join({ id: 2, workshop: 'w', key: 'k', resume: { token: 't', rev: 4 } }),
    { type: 'join', id: 2, workshop: 'w', key: 'k', resume: { token: 't', rev: 4 } });
});

test('backoff grows exponentially up to a ceiling, with jitter in the upper half', () => {
  const lo = () => 0;
  const hi = () => 1;
  assert.equal(backoffDelay(0, lo), 250);
  assert.equal(backoffDelay(0, hi), 500);
  assert.equal(backoffDelay(3, hi), 4000);
  assert.equal(backoffDelay(30, hi), 15000);
  assert.equal(backoffDelay(30, lo), 7500);
});

function setup({ window } = {}) {
  const server = new FakeServer({ window });
  const clock = new FakeClock();
  const net = new Net(server);
  const { body } = server.createWorkshop({ title: 'Atelier', text: 'Quoi ?' });
  return { server, clock, net, id: body.id, key: body.facilitator_key };
}

function session(env, fields) {
  const conn = new Connection({ url: 'ws://sim/ws', WebSocket: env.net.WebSocket, timers: env.clock, now: env.clock.now, random: () => 1 });
  const s = new Session({ connection: conn, getJoin: () => fields(), timers: env.clock, now: env.clock.now });
  const log = [];
  s.on('status', (st) => log.push(st));
  return { s, conn, log };
}

test('session joins, reports status, and reconnects with backoff after the server goes away', () => {
  const env = setup();
  let welcomes = 0;
  let resumedFlag = null;
  const { s, log } = session(env, () => ({ workshop: env.id, name: 'Awa', organisation: 'Ville' }));
  s.on('welcome', (m, info) => { welcomes++; resumedFlag = info.resumed; });
  s.start();
  env.net.flush();
  assert.equal(s.status, 'connected');
  assert.equal(welcomes, 1);
  assert.equal(resumedFlag, false);

  env.net.down = true;
  env.net.killAll();
  env.net.flush();
  assert.equal(s.status, 'reconnecting');
  // Attempts at 500, 1000, 2000 ms (random()=1 -> upper bound) all fail.
  env.clock.advance(500); env.net.flush();
  env.clock.advance(1000); env.net.flush();
  env.clock.advance(2000); env.net.flush();
  assert.equal(s.status, 'reconnecting');
  env.net.down = false;
  env.clock.advance(4000); env.net.flush();
  assert.equal(s.status, 'connected');
  assert.equal(welcomes, 2);
  assert.equal(resumedFlag, true);
  assert.deepEqual(log.filter((x, i) => log[i - 1] !== x), ['connected', 'reconnecting', 'connected']);
});

test('a dead link (no pong) is detected by the heartbeat', () => {
  const env = setup();
  const { s } = session(env, () => ({ workshop: env.id, name: 'Awa', organisation: 'Ville' }));
  s.start();
  env.net.flush();
  assert.equal(s.status, 'connected');
  // Swallow everything from now on without closing: a half-open TCP link.
  const link = [...env.net.links][0];
  link.conn.send = () => {};
  link.conn.receive = () => {};
  env.clock.advance(HEARTBEAT_MS + 100);
  env.net.flush();
  assert.equal(s.status, 'connected', 'ping sent, still waiting');
  env.clock.advance(DEAD_AFTER_MS + 100);
  env.net.flush();
  assert.equal(s.status, 'reconnecting');
});

test('unknown workshop is fatal; a rejected token falls back to a fresh join', () => {
  const env = setup();
  const bad = session(env, () => ({ workshop: 'nope', name: 'Awa', organisation: 'Ville' }));
  let fatal = null;
  bad.s.on('fatal', (f) => { fatal = f; });
  bad.s.start();
  env.net.flush();
  assert.equal(fatal.code, 'not_found');
  assert.equal(bad.s.status, 'failed');
  env.clock.advance(60000);
  assert.equal(env.net.links.size, 0, 'no retry after a fatal error');

  let token = 'p_forged.secret';
  let rejected = 0;
  const t = session(env, () => ({ workshop: env.id, name: 'Awa', organisation: 'Ville', resume: token ? { token, rev: 0 } : undefined }));
  t.s.on('token-rejected', () => { rejected++; token = null; });
  t.s.start();
  env.net.flush();
  env.clock.advance(0);
  env.net.flush();
  assert.equal(rejected, 1);
  assert.equal(t.s.status, 'connected');
});

test('a wrong facilitator key is fatal (forbidden)', () => {
  const env = setup();
  const { s } = session(env, () => ({ workshop: env.id, name: 'Awa', organisation: 'Ville', key: 'wrong' }));
  let fatal = null;
  s.on('fatal', (f) => { fatal = f; });
  s.start();
  env.net.flush();
  assert.equal(fatal.code, 'forbidden');
});

test('offline pauses reconnection until the browser is back online', () => {
  const env = setup();
  const { s } = session(env, () => ({ workshop: env.id, name: 'Awa', organisation: 'Ville' }));
  s.start();
  env.net.flush();
  s.setOnline(false);
  env.net.flush();
  assert.equal(s.status, 'offline');
  env.clock.advance(60000);
  env.net.flush();
  assert.equal(s.status, 'offline');
  s.setOnline(true);
  env.net.flush();
  assert.equal(s.status, 'connected');
});
