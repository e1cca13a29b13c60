'use strict';
// GET /metrics (README, "Metrics"): the Prometheus text format 0.0.4. A
// scrape before and after edits, a vote and a refused request: the counters
// moved by exactly what happened (ops acknowledged, ballots stored, errors
// by code, every WebSocket message and its bytes as the clients received
// them), the gauges say who is here, the Redis histogram counts round
// trips. With --metrics-token a scrape needs the token.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, bearer, must, refusedWith, waitUntil, scrapeMetrics: scrape } = require('./harness');

// Bytes of a server-to-client WebSocket frame (unmasked) carrying text.
function frameBytes(text) {
  const n = Buffer.byteLength(text);
  return n + (n < 126 ? 2 : n < 65536 ? 4 : 10);
}

const received = (clients) => clients.flatMap((c) => c.log.filter((e) => e.dir === 'in').map((e) => e.data));

describe('metrics', { timeout: 60000 }, () => {
  let h;
  before(async () => { h = await Harness.start({ servers: 0 }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('edits, a vote and a refusal move the counters by exactly that', async () => {
    const s = await h.addServer();
    const w = await s.createWorkshop({ title: 'Mesures', text: '' });
    const f = h.client({ server: s, workshop: w.id, key: w.facilitator_key, name: 'Awa', organisation: 'Ville' });
    const p = h.client({ server: s, workshop: w.id, name: 'Jean', organisation: 'Banque' });
    await f.start();
    await p.start();
    const poll = (await must(f, { type: 'poll_create', id: 'c', kind: 'single', question: 'Oui ?', choices: ['oui', 'non'] }, 'poll')).poll;
    await must(f, { type: 'poll_open', id: 'o', poll: poll.id }, 'poll');
    await waitUntil(async () => { // nothing in flight before the first reading
      const a = await scrape(s);
      await new Promise((r) => setTimeout(r, 100));
      return (await scrape(s)).atelier_messages_sent_total === a.atelier_messages_sent_total;
    }, 5000, 'a quiet server');
    const start = await scrape(s);
    const seen0 = received([f, p]).length;
    assert.equal(start.atelier_connections, 2);
    assert.equal(start.atelier_participants, 2);
    assert.equal(start.atelier_rooms, 1);
    assert.equal(start.atelier_redis_up, 1);

    const OPS = 7;
    for (let i = 0; i < OPS; i++) { // one at a time: each its own op (a client composes what waits)
      f.submit(i ? [i, 'x'] : ['x']);
      await waitUntil(() => f.idle && f.rev === i + 1, 5000, `op ${i} acknowledged`);
    }
    await waitUntil(() => p.rev === OPS, 5000, 'the edits at Jean');
    await must(p, { type: 'vote', id: 'v', poll: poll.id, ballot: 0 }, 'my_ballot');
    await refusedWith(p, { type: 'poll_close', id: 'x', poll: poll.id }, 'forbidden');
    await refusedWith(p, { type: 'workshop_end', id: 'y' }, 'forbidden');
    // Every message the server counted has reached a client (results are
    // relayed on a timer). Counted from the start: f and p are this server's
    // only WebSocket connections, and a message sent before the first
    // reading may reach its client after it (a busy machine).
    await waitUntil(async () => (await scrape(s)).atelier_messages_sent_total === received([f, p]).length,
      10000, 'the messages counted and received agree');

    const end = await scrape(s);
    const delta = (k) => (end[k] || 0) - (start[k] || 0);
    assert.equal(delta('atelier_ops_committed_total'), OPS);
    assert.equal(delta('atelier_ballots_total'), 1);
    assert.equal(delta('atelier_errors_total{code="forbidden"}'), 2);
    const all = received([f, p]);
    assert.equal(end.atelier_messages_sent_total, all.length);
    assert.equal(end.atelier_bytes_sent_total, all.reduce((n, t) => n + frameBytes(t), 0));
    assert.ok(all.length - seen0 >= OPS, 'the edits reached Jean after the first reading');
    assert.equal(delta('atelier_send_queue_drops_total'), 0);
    // Flush writes took CPU time: counted, and never more than the test's own wall time.
    assert.ok(delta('atelier_flush_writes_total') > 0);
    assert.ok(delta('atelier_flush_send_cpu_microseconds_total') > 0, 'the writes cost some CPU time');
    assert.ok(delta('atelier_flush_send_cpu_microseconds_total') < 60e6);
    assert.ok(delta('atelier_redis_roundtrip_seconds_count') >= 2, 'the append and the ballot at least');
    assert.equal(end['atelier_redis_roundtrip_seconds_bucket{le="+Inf"}'], end.atelier_redis_roundtrip_seconds_count);

    f.close();
    p.close();
    await waitUntil(async () => (await scrape(s)).atelier_connections === 0, 5000, 'the connections closed');
    const last = await scrape(s);
    assert.equal(last.atelier_participants, 0);
    h.assertNoProblems();
  });

  test('--metrics-token: 401 without it, 200 with it', async () => {
    const s = await h.addServer(['--metrics-token', 'mesures-Tk7']);
    for (const headers of [{}, bearer('wrong'), { authorization: 'mesures-Tk7' }]) {
      const r = await s.http('GET', '/metrics', { headers });
      assert.equal(r.status, 401, JSON.stringify(headers));
      assert.equal(r.headers['www-authenticate'], 'Bearer');
    }
    const m = await scrape(s, bearer('mesures-Tk7'));
    assert.equal(m['atelier_errors_total{code="forbidden"}'], 3);
    assert.equal((await s.http('POST', '/metrics', { body: {} })).status, 405);
  });
});
