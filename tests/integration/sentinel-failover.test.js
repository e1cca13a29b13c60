'use strict';
// Redis with Sentinel (issue 15): the failover topology (tests/lib/topology.js:
// a primary, a replica, three Sentinels, two server processes) with the
// servers given sentinel://, clients connected to each process directly. Through a clean
// switch (SENTINEL FAILOVER) and the primary's death (kill -9), the servers
// follow the new primary by themselves: /healthz says so, edits after the
// switch are acknowledged and stored there, the Functions are there, and one
// process's writes still reach the other's clients. When the new primary
// lacks ops the old one acknowledged (--replicas 0: the replica stopped
// following before they reached it), the clients ahead of it are closed with 1012,
// resume, and end with the new primary's text.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  Harness, readHistory, replayHistory, prng, randomEdit, sleep, waitUntil, waitQuiescent,
} = require('./harness');
const { MASTER } = require('../lib/topology');

// INFO's fields as an object.
async function info(proc, section) {
  const text = await proc.command('INFO', section);
  return Object.fromEntries(text.split('\r\n').filter((l) => l.includes(':')).map((l) => l.split(/:(.*)/s).slice(0, 2)));
}

// /healthz of a server every 50 ms until stop(): the statuses seen, in order, repeats folded.
function watchHealth(server) {
  const seen = [];
  let on = true;
  const loop = (async () => {
    while (on) {
      const r = await server.http('GET', '/healthz', { timeoutMs: 1000 }).catch(() => ({ status: 'none' }));
      if (seen[seen.length - 1] !== r.status) seen.push(r.status);
      await sleep(50);
    }
  })();
  return { seen, stop: async () => { on = false; await loop; return seen; } };
}

describe('Redis with Sentinel', { timeout: 300000 }, () => {
  let h;
  const redis = new Map(); // port -> RedisProc
  let sentinels = [];

  // The primary's port, when every Sentinel names the same one.
  const named = async () => {
    const ports = await Promise.all(sentinels.map((s) => s.primary().then((p) => p.port, () => null)));
    return ports.every((p) => p === ports[0]) ? ports[0] : null;
  };
  // Every Sentinel names a primary other than `old`, and that server says it is one.
  async function waitSwitchedFrom(old) {
    return waitUntil(async () => {
      const port = await named();
      if (!port || port === old || !redis.has(port)) return null;
      const role = await redis.get(port).command('ROLE').catch(() => null);
      return role && role[0] === 'master' ? port : null;
    }, 60000, `the Sentinels to name a primary other than ${old}`, 100);
  }
  // The replica has what the primary has.
  async function waitReplicated(primaryPort) {
    const primary = redis.get(primaryPort);
    const replica = [...redis.values()].find((r) => r.port !== primaryPort && r.proc);
    await waitUntil(async () => {
      const [p, r] = await Promise.all([info(primary, 'replication'), info(replica, 'replication')]);
      return r.master_link_status === 'up' && r.master_port === String(primaryPort) &&
        r.slave_repl_offset === p.master_repl_offset;
    }, 60000, `replica ${replica.port} caught up with ${primaryPort}`, 100);
    return replica;
  }
  async function typeFor(clients, ms, rand) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      for (const c of clients) if (c.joined) c.submit(randomEdit(c.text, rand));
      await sleep(40);
    }
  }
  // Every op a client had acknowledged (after time `after`) is at its revision.
  function assertAckedStored(clients, hist, after = 0) {
    for (const c of clients) {
      for (const { id, rev, t } of c.ackLog) {
        if (t < after) continue;
        const stored = hist.ops[rev];
        assert.ok(stored && stored.opid === id && stored.author === c.participant.id,
          `${c.tag}: acked op ${id}@${rev} not stored there (${JSON.stringify(stored && { opid: stored.opid, author: stored.author })})`);
      }
    }
  }

  // A workshop with a client on each process, typed into until quiet, the
  // replica caught up: {w, a, b, rand, old (the primary's port), replica}.
  async function typedOnBoth(title, initial, seed) {
    const [s1, s2] = h.servers;
    const w = await s1.createWorkshop({ title, text: initial });
    const a = h.client({ server: s1, workshop: w.id, name: 'A', organisation: 'O', reconnect: true });
    const b = h.client({ server: s2, workshop: w.id, name: 'B', organisation: 'P', reconnect: true });
    await a.start();
    await b.start();
    const rand = prng(seed);
    await typeFor([a, b], 600, rand);
    await waitQuiescent([a, b]);
    const old = await named();
    return { w, a, b, rand, old, replica: await waitReplicated(old) };
  }

  before(async () => {
    h = await Harness.startTopology();
    for (const r of [h.topology.primary, h.topology.replica]) redis.set(r.port, r);
    sentinels = h.topology.sentinels;
  }, { timeout: 120000 });

  after(async () => { if (h) await h.close(); }, { timeout: 60000 });

  test('SENTINEL FAILOVER: both processes follow the new primary, nothing acknowledged is lost, clients notice nothing', { timeout: 120000 }, async (t) => {
    const [s1, s2] = h.servers;
    const initial = 'Avant la bascule.\n';
    const { w, a, b, rand, old } = await typedOnBoth('Bascule', initial, 15);

    const health = [watchHealth(s1), watchHealth(s2)];
    await sentinels[0].command('SENTINEL', 'FAILOVER', MASTER);
    const now = await waitSwitchedFrom(old);
    for (const s of h.servers) await waitUntil(async () => (await s.http('GET', '/healthz')).status === 200, 15000, 'healthy after the switch');

    // Edits after the switch: acknowledged, and relayed from one process to the other.
    a.submit(['[A après la bascule] '], 'after-A');
    b.submit(['[B après la bascule] '], 'after-B');
    await typeFor([a, b], 600, rand);
    await waitQuiescent([a, b], { timeoutMs: 30000 });
    assert.equal(a.text, b.text);
    for (const [c, other, meta] of [[a, b, 'after-A'], [b, a, 'after-B']]) {
      const id = [...c.opMeta].find(([, metas]) => metas.includes(meta))?.[0];
      assert.ok(id && c.acked.has(id), `${c.tag}: the edit made after the switch (${meta}) was never acked`);
      const rev = c.acked.get(id);
      assert.ok(other.remote.some((o) => o.rev === rev && o.author === c.participant.id),
        `${other.tag} (the other process) never got ${c.tag}'s op ${id}@${rev}`);
    }
    const seen = await Promise.all(health.map((x) => x.stop()));

    const hist = await readHistory(now, w.id);
    assert.equal(replayHistory(initial, hist.ops), a.text, 'the new primary\'s history does not replay to the clients\' text');
    assertAckedStored([a, b], hist);
    const lib = await redis.get(now).command('FUNCTION', 'LIST', 'LIBRARYNAME', 'atelier');
    assert.equal(lib.length, 1, 'the Functions library is on the new primary');
    // The same history: the rooms caught up, nobody was made to resync.
    for (const c of [a, b]) assert.ok(!c.closes.some((x) => x.code === 1012), `${c.tag} was closed for a resync`);
    const fresh = h.client({ server: s2, workshop: w.id, name: 'Après', organisation: 'O' });
    assert.equal((await fresh.start()).doc.text, a.text);
    fresh.close();
    h.assertNoProblems();
    t.diagnostic(`primary ${old} -> ${now}; /healthz seen: s1 ${seen[0].join(' ')}, s2 ${seen[1].join(' ')}; ${hist.ops.length} revisions`);
  });

  test('kill -9 of the primary with ops not replicated: 503 then 200, clients ahead resync to the new primary\'s text', { timeout: 150000 }, async (t) => {
    const [s1, s2] = h.servers;
    const initial = 'Avant la panne du primaire.\n';
    const { w, a, b, rand, old, replica } = await typedOnBoth('Panne du primaire', initial, 16);
    const kept = a.rev; // what the replica has

    // The replica stops following (a stopped process would still read what
    // its socket holds): what follows is acknowledged by the primary alone.
    // The Sentinels would make it a replica again after failover-timeout (10 s).
    await replica.command('REPLICAOF', 'NO', 'ONE');
    await typeFor([a, b], 600, rand);
    await waitQuiescent([a, b]);
    const ahead = a.rev;
    assert.ok(ahead > kept, 'ops were acknowledged after the replica stopped');

    const health = [watchHealth(s1), watchHealth(s2)];
    const killed = Date.now();
    await redis.get(old).stop('SIGKILL');
    const now = await waitSwitchedFrom(old);
    assert.equal(now, replica.port);
    await waitUntil(() => health.every((x) => x.seen.includes(503) && x.seen[x.seen.length - 1] === 200), 20000,
      '/healthz 503, then 200 again, on both processes');
    const seen = await Promise.all(health.map((x) => x.stop()));

    // Told: each connection was closed for a resync, and resumed.
    await waitUntil(() => [a, b].every((c) => c.closes.some((x) => x.code === 1012) && c.joined), 30000, 'both clients closed with 1012 and back')
      .catch((e) => { throw new Error(`${e.message}: ${JSON.stringify([a, b].map((c) => ({ closes: c.closes, joined: c.joined, rev: c.rev, errors: c.errors.slice(-3), welcomes: c.welcomes.length })))}`); });
    await waitQuiescent([a, b], { timeoutMs: 30000 });
    assert.equal(a.text, b.text);
    assert.equal(a.rev, kept, 'the clients start again from the new primary\'s revision');

    a.submit(['[A sur le nouveau primaire] '], 'new-A');
    await typeFor([a, b], 600, rand);
    await waitQuiescent([a, b], { timeoutMs: 30000 });
    assert.equal(a.text, b.text);
    const hist = await readHistory(now, w.id);
    assert.equal(replayHistory(initial, hist.ops), a.text, 'the new primary\'s history does not replay to the clients\' text');
    assertAckedStored([a, b], hist, killed); // those acknowledged since; the ones between kept and ahead were lost:
    const lost = [a, b].flatMap((c) => c.ackLog.filter((x) => x.t < killed && x.rev >= kept)
      .filter((x) => !hist.ops.some((o) => o.opid === x.id && o.author === c.participant.id)));
    assert.equal(lost.length, ahead - kept, 'the ops the replica never had are the ones lost');
    const lib = await redis.get(now).command('FUNCTION', 'LIST', 'LIBRARYNAME', 'atelier');
    assert.equal(lib.length, 1, 'the Functions library is on the new primary');
    const fresh = h.client({ server: s1, workshop: w.id, name: 'Après', organisation: 'O' });
    assert.equal((await fresh.start()).doc.text, a.text);
    fresh.close();
    h.assertNoProblems();
    t.diagnostic(`primary ${old} -> ${now}; ${ahead - kept} acknowledged op(s) lost (revisions ${kept}..${ahead - 1}); /healthz seen: s1 ${seen[0].join(' ')}, s2 ${seen[1].join(' ')}; dropped local edits: a ${a.dropped}, b ${b.dropped}`);
  });

  test('after a loss, a client closed on one process resumes on another that had not loaded the workshop: the whole text, never ops', { timeout: 150000 }, async (t) => {
    const [s1, s2] = h.servers;
    const initial = 'Perte puis reprise ailleurs.\n';
    // The Redis the test before killed comes back: Sentinel makes it a replica.
    for (const r of redis.values()) if (!r.proc) await r.startProcess();
    const old = await named();
    const w = await s1.createWorkshop({ title: 'Reprise ailleurs', text: initial });
    const a = h.client({ server: s1, workshop: w.id, name: 'A', organisation: 'O' }); // on s1 only: s2 never loads it
    await a.start();
    const rand = prng(17);
    await typeFor([a], 400, rand);
    await waitQuiescent([a]);
    const replica = await waitReplicated(old);
    const kept = a.rev;
    await replica.command('REPLICAOF', 'NO', 'ONE'); // what follows is acknowledged by the primary alone
    await typeFor([a], 400, rand);
    await waitQuiescent([a]);
    const ahead = a.rev;
    assert.ok(ahead > kept, 'ops acknowledged that the replica lacks');

    const closed = a.waitClose(60000);
    await redis.get(old).stop('SIGKILL');
    const now = await waitSwitchedFrom(old);
    assert.equal((await closed).code, 1012, 's1 closes its client for a resync');
    const meta = await redis.get(now).command('HGET', `atelier:{w:${w.id}}:meta`, 'resync_until');
    assert.ok(Number(meta) > Date.now(), `the new primary says resumes get the whole text (${meta})`);

    // Others write on the new primary past the revision a holds, with other ops.
    const c = h.client({ server: s2, workshop: w.id, name: 'C', organisation: 'P' });
    await c.start();
    while (c.rev <= ahead + 1) { c.submit(randomEdit(c.text, rand)); await waitQuiescent([c]); }

    // a resumes on s2 at its revision: ops since it would not follow a's text.
    const again = h.twin(a, { server: s2 });
    const welcome = await again.start();
    assert.equal(welcome.missed, undefined, 'ops since a revision the new primary reached with other ops');
    assert.equal(welcome.doc.text, c.text);
    assert.equal(welcome.doc.rev, c.rev);
    h.assertNoProblems();
    t.diagnostic(`revisions ${kept}..${ahead - 1} lost; the workshop at ${c.rev} when a resumed at ${ahead}`);
  });
});
