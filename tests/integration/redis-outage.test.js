'use strict';
// Redis goes away and comes back. Meanwhile the server stays up, reports it
// (/healthz 503, `unavailable`), accepts nothing, and afterwards reconnects by
// itself without losing anything it had acknowledged.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  Harness, assertSchema, readHistory, replayHistory, sleep, waitUntil, waitQuiescent, prng, randomEdit,
} = require('./harness');

// Redis with `appendfsync always`: the setting under which a Redis process
// crash loses nothing acknowledged (README, "Durability"). With everysec,
// Redis postpones writing its AOF for up to 2 s while a once-a-second fsync
// is still running (a slow or busy disk), and a SIGKILL then loses the ops
// it had answered meanwhile: seen in CI, where the server found revisions
// missing and resynced the clients.
describe('Redis outage', { timeout: 90000 }, () => {
  let h;
  before(async () => {
    h = await Harness.start({ ownRedis: true, redis: { args: ['--appendfsync', 'always'] } });
  }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('stop Redis (SIGTERM, then SIGKILL): unavailable, nothing acked; back: reconnects, nothing lost', { timeout: 70000 }, async (t) => {
    if (!h.redis.canStop) {
      t.skip('uses an external Redis (ATELIER_TEST_REDIS_PORT): cannot stop it');
      return;
    }
    const s = h.server;
    const initial = 'Avant la panne.\n';
    const w = await s.createWorkshop({ title: 'Panne Redis', text: initial });
    const a = h.client({ workshop: w.id, name: 'A', organisation: 'O', reconnect: true });
    const b = h.client({ workshop: w.id, name: 'B', organisation: 'O', reconnect: true });
    await a.start();
    await b.start();
    const serverRev = () => s.workshopRev(w.id);
    const rand = prng(7);

    async function typeFor(clients, ms) {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        for (const c of clients) c.submit(randomEdit(c.text, rand));
        await sleep(40);
      }
    }

    await typeFor([a, b], 300);
    await waitQuiescent([a, b], { serverRev });
    const notes = [];

    for (const signal of ['SIGTERM', 'SIGKILL']) {
      await h.redis.stop(signal);
      const down = Date.now();

      const health = await waitUntil(async () => {
        const r = await s.http('GET', '/healthz');
        return r.status === 503 ? r : null;
      }, 5000, '/healthz 503 with Redis down');
      assertSchema('healthz', health.json);
      assert.deepEqual(health.json, { status: 'unavailable' });

      const errorsBefore = a.errors.length;
      a.submit(['[A pendant la panne] '], `${signal}-A`);
      b.submit(['[B pendant la panne] '], `${signal}-B`);
      await waitUntil(() => a.errors.slice(errorsBefore).some((e) => e.code === 'unavailable' && e.re === 'op'),
        5000, 'an unavailable error for an op');

      // Still answering everything that does not need Redis.
      assert.ok(s.alive, 'server died when Redis went away');
      const pong = await a.request({ type: 'ping' }).catch((e) => e);
      assert.equal(pong.type, 'pong', `ping during the outage: ${pong.message || JSON.stringify(pong)}`);
      const created = await s.http('POST', '/api/workshops', { body: { title: 'Pendant la panne' } });
      assert.equal(created.status, 503, `create during the outage: ${created.status} ${created.text}`);
      assertSchema('http-error', created.json);
      assert.equal(created.json.error.code, 'unavailable');
      const meta = await s.http('GET', `/api/workshops/${w.id}`);
      notes.push(`${signal}: GET workshop during outage -> ${meta.status}`);
      const late = h.client({ workshop: w.id, name: 'Tard', organisation: 'O' });
      await late.open();
      const lj = await late.request(late.joinMessage());
      notes.push(`join during outage -> ${lj.type}${lj.code ? ' ' + lj.code : ''}`);
      assert.ok(lj.type === 'welcome' || lj.code === 'unavailable', `join during the outage: ${JSON.stringify(lj)}`);
      late.close();

      await typeFor([a, b], 800);
      const restartAt = Date.now();
      await h.redis.startProcess();
      const up = Date.now();

      for (const c of [a, b]) {
        for (const x of c.ackLog) {
          const sent = c.sentLog.get(x.id);
          assert.ok(!(sent > down && x.t < restartAt), `${c.tag}: op ${x.id} sent during the outage was acked at ${x.t - down} ms into it`);
        }
      }

      await waitUntil(async () => (await s.http('GET', '/healthz')).status === 200, 10000, '/healthz 200 after Redis came back');
      notes.push(`${signal}: healthy ${Date.now() - up} ms after Redis restarted`);

      await waitQuiescent([a, b], { timeoutMs: 15000, serverRev });
      assert.equal(a.text, b.text);
      // The edits refused during the outage went through afterwards.
      for (const [c, meta] of [[a, `${signal}-A`], [b, `${signal}-B`]]) {
        const id = [...c.opMeta].find(([, metas]) => metas.includes(meta))?.[0];
        assert.ok(id && c.acked.has(id), `${c.tag}: the edit made during the outage (${meta}, op ${id}) was never acked`);
      }
    }

    // Editing works normally again.
    await typeFor([a, b], 300);
    await waitQuiescent([a, b], { timeoutMs: 10000, serverRev });
    assert.equal(a.text, b.text);

    const hist = await readHistory(h.redis.port, w.id);
    assert.equal(replayHistory(initial, hist.ops), a.text, 'stored history does not replay to the clients\' text');
    for (const c of [a, b]) {
      for (const [id, rev] of c.acked) {
        const stored = hist.ops[rev];
        assert.ok(stored && stored.opid === id && stored.author === c.participant.id, `acked op ${id}@${rev} lost (stored there: ${JSON.stringify(stored && { opid: stored.opid, author: stored.author })})`);
      }
    }
    const fresh = h.client({ workshop: w.id, name: 'Après', organisation: 'O' });
    assert.equal((await fresh.start()).doc.text, a.text);
    fresh.close();
    h.assertNoProblems();
    for (const n of notes) t.diagnostic(n);
    t.diagnostic(`reconnects: a ${a.reconnects}, b ${b.reconnects}; ${hist.ops.length} revisions`);
  });
});
