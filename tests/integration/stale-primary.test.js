'use strict';
// A stale primary cannot fork a history (README, "Replicas and failover").
//
// A primary P, its replica R and three Sentinels; R and the Sentinels reach
// P through a TCP relay in this process, the server S1 reaches P directly.
// Cutting the relay partitions P from R and the Sentinels but not from S1,
// which keeps writing to it (--replicas 1; P with min-replicas-to-write 1).
// The Sentinels promote R; a second server S2 writes to it. Healing the
// relay lets the Sentinels turn P into R's replica. Then: nothing S1 sent to
// P during the partition was acknowledged, every acknowledged op is in the
// final history once, and that history is one line of revisions, on both.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const path = require('node:path');
const {
  Harness, HOST, RedisProc, ServerProc, freePort, waitUntil, waitQuiescent, redisCommand, eventsKey, sleep,
} = require('./harness');
const { SentinelProc, MASTER } = require('../lib/topology.js');

// A TCP relay to `port` that can be cut (nothing flows, new connections are
// held without an answer: a partition, not a refusal) and healed.
class Relay {
  constructor(port) {
    this.target = port;
    this.cut = false;
    this.socks = new Set();
    this.server = net.createServer((c) => this._accept(c));
  }

  async listen() {
    this.port = await freePort();
    await new Promise((resolve) => this.server.listen(this.port, HOST, resolve));
  }

  _accept(c) {
    this.socks.add(c);
    c.on('close', () => this.socks.delete(c));
    c.on('error', () => {});
    if (this.cut) return; // held: its bytes go nowhere
    const up = net.connect(this.target, HOST);
    this.socks.add(up);
    up.on('close', () => { this.socks.delete(up); c.destroy(); });
    up.on('error', () => {});
    c.on('close', () => up.destroy());
    c.pipe(up);
    up.pipe(c);
  }

  // Bytes stop flowing, connections stay open: no end of stream tells
  // either side (Redis still counts its replica, which stops answering).
  partition() {
    this.cut = true;
    for (const s of this.socks) {
      s.unpipe();
      s.pause();
    }
  }

  // Every connection is dropped: their clients connect again, through.
  heal() {
    this.cut = false;
    for (const s of this.socks) s.destroy();
  }

  // Stops listening and drops every connection (server.close alone would
  // wait for the held ones forever).
  close() {
    this.partition();
    for (const s of this.socks) s.destroy();
    return new Promise((resolve) => this.server.close(resolve));
  }
}

async function opsOf(port, id) {
  const entries = await redisCommand(port, 'XRANGE', eventsKey(id), '-', '+');
  return entries.map(([, kv]) => {
    const f = {};
    for (let i = 0; i + 1 < kv.length; i += 2) f[kv[i]] = kv[i + 1];
    return f;
  }).filter((f) => f.type === 'op');
}

describe('A partitioned old primary cannot fork the history', { timeout: 120000 }, () => {
  let h, relay, replica;
  const sentinels = [];
  before(async () => {
    h = await Harness.start({ ownRedis: true, redis: { args: ['--min-replicas-to-write', '1', '--min-replicas-max-lag', '2'] }, servers: 0 });
    relay = new Relay(h.redis.port);
    await relay.listen();
    replica = await RedisProc.start({ own: true, args: ['--replicaof', HOST, String(relay.port)] });
    await waitUntil(async () => /master_link_status:up/.test(await replica.command('INFO', 'replication')), 10000,
      'the replica in sync');
    // deploy/sentinel.conf's Sentinels, watching P through the relay.
    for (let i = 0; i < 3; i++) {
      const s = new SentinelProc({ port: await freePort(), dir: path.join(h.dir, `sentinel-${i}`), primaryPort: relay.port });
      await s.startProcess();
      sentinels.push(s);
    }
    await waitUntil(async () => (await Promise.all(sentinels.map((s) => s.ready(3)))).every(Boolean), 20000,
      'the Sentinels knowing the replica and each other');
    await h.addServer(['--replicas', '1', '--replicas-timeout-ms', '300']);
  }, { timeout: 40000 });
  after(async () => {
    for (const s of sentinels) await s.close();
    if (relay) await relay.close();
    if (replica) await replica.close();
    if (h) await h.close();
  }, { timeout: 30000 });

  test('partition, failover, writes on both sides, heal: no acknowledged op lost, no fork', { timeout: 100000 }, async (t) => {
    const s1 = h.server;
    const w = await s1.createWorkshop({ title: 'Ancien primaire', text: 'Texte.\n' });
    const a = h.client({ workshop: w.id, name: 'A', organisation: 'O1' });
    await a.start();
    for (let i = 0; i < 5; i++) a.submit([`[A${i}] `], `before-${i}`);
    await waitQuiescent([a], { serverRev: () => s1.workshopRev(w.id) });
    const ackedBefore = new Set(a.acked.keys());
    assert.ok(ackedBefore.size >= 1);
    await waitUntil(async () => (await opsOf(replica.port, w.id)).length === a.rev, 5000, 'the replica has them');

    // Partition: P keeps S1, loses R and the Sentinels.
    relay.partition();
    const cutAt = a.acked.size;
    for (let i = 0; i < 5; i++) {
      a.submit([`[P${i}] `], `partitioned-${i}`);
      await sleep(100);
    }
    // P refuses writes once its replica is 2 s silent (min-replicas-max-lag).
    await waitUntil(async () => {
      try { await redisCommand(h.redis.port, 'SET', 'atelier:probe', '1'); return false; } catch (e) { return /NOREPLICAS/.test(e.message); }
    }, 15000, 'the old primary refusing writes (NOREPLICAS)');
    // The Sentinels promote R.
    await waitUntil(async () => (await sentinels[0].primary().catch(() => ({}))).port === replica.port, 30000,
      `the replica promoted (Sentinels' ${MASTER})`);
    await waitUntil(async () => (await replica.command('ROLE'))[0] === 'master', 10000, 'R a primary');
    const partitionAcks = [...a.acked.keys()].filter((id) => !ackedBefore.has(id));
    assert.deepEqual(partitionAcks, [], 'the partitioned old primary acknowledged nothing');
    assert.equal(a.acked.size, cutAt);
    const onOld = (await opsOf(h.redis.port, w.id)).length;
    t.diagnostic(`the old primary took ${onOld - ackedBefore.size} op(s) during the partition, none acknowledged`);
    const errs = a.errors.filter((e) => e.re === 'op').map((e) => e.code);
    assert.ok(errs.length > 0 && errs.every((c) => c === 'unavailable'), `S1 answered: ${errs}`);

    // A second server on the new primary; its client writes there.
    const s2 = new ServerProc({ redisPort: replica.port, port: await freePort(), dir: h.dir, args: ['--replicas', '0'], webRoot: h.webRoot });
    h.servers.push(s2);
    await s2.start();
    const b = h.client({ server: s2, workshop: w.id, name: 'B', organisation: 'O2' });
    await b.start();
    for (let i = 0; i < 5; i++) b.submit([`[B${i}] `], `new-${i}`);
    await waitQuiescent([b], { serverRev: () => s2.workshopRev(w.id) });
    const ackedNew = [...b.acked.keys()];

    // Heal: the Sentinels make P a replica of R, which replaces its data.
    relay.heal();
    await waitUntil(async () => {
      const role = await redisCommand(h.redis.port, 'ROLE').catch(() => null);
      return role && role[0] === 'slave' && role[3] === 'connected';
    }, 30000, 'the old primary a replica of the new one, in sync');
    await waitUntil(async () => (await opsOf(h.redis.port, w.id)).length === (await opsOf(replica.port, w.id)).length,
      10000, 'the old primary has the new history');

    const final = await opsOf(replica.port, w.id);
    assert.deepEqual(final.map((f) => Number(f.rev)), final.map((_, i) => i), 'one line of revisions, no fork');
    assert.deepEqual(await opsOf(h.redis.port, w.id), final, 'the old primary holds the same history');
    const ids = final.map((f) => JSON.parse(f.opid));
    for (const id of [...ackedBefore, ...ackedNew]) assert.equal(ids.filter((x) => x === id).length, 1, `acknowledged op ${id} once`);
    for (const id of ids) assert.ok(ackedBefore.has(id) || ackedNew.includes(id), `op ${id} in the history was never acknowledged`);
    assert.equal(b.text.includes('[B0] '), true);
  });
});
