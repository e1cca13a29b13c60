'use strict';
// Compact pages of edits (protocol/history.md, "Compact pages of edits";
// issue 17, item 6): GET /history?format=compact&from=R&to=S.
//
// Three people of three organisations (one of them a facilitator) write at
// the same time, with a poll and ballots in the middle, on a server that
// snapshots every 25 revisions (so `from` falls inside snapshots' tails).
// Then, against the events of /history (the facilitator's view):
// * the compact pages from 0, followed by `next`, give every op once, in
//   revision order, with its author, organisation and time;
// * 40 random ranges from..to give exactly those ops (pages in parallel);
// * the public view's pages are byte for byte the facilitator's: edits only,
//   nothing of the poll or the ballots; a wrong key is 403;
// * a page ends once its body passes 1 MiB, and `next` goes on from there;
// * every page matches protocol/schema/history-compact.json;
// * bad arguments are 400 (and nothing else changes), an unknown workshop 404.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  Harness, prng, randomEdit, waitQuiescent, fetchAllHistory, getJson, must, assertSchema,
} = require('./harness');

const PAGE_BYTES = 1 << 20;

/** Every op of a compact read from..to (following `next`), as {rev, op, author, org, t}. */
async function compactOps(port, id, { from = 0, to, key } = {}) {
  const out = [];
  const pages = [];
  let at = from;
  for (;;) {
    const q = new URLSearchParams({ format: 'compact', from: String(at) });
    if (to !== undefined) q.set('to', String(to));
    const r = await getJson(port, `/api/workshops/${id}/history?${q}`, { key });
    assert.equal(r.status, 200, `compact from=${at} to=${to}: ${r.status} ${r.text.slice(0, 300)}`);
    const page = r.json;
    assertSchema('history-compact', page);
    assert.equal(page.from, at);
    pages.push({ bytes: Buffer.byteLength(r.text), ops: page.ops.length, text: r.text });
    let t = page.t0;
    page.ops.forEach(([dt, who, op], i) => {
      t += dt;
      assert.ok(dt >= 0, 'times never go back');
      const [author, org] = page.who[who];
      out.push({ rev: at + i, op, author, org, t });
    });
    if (page.next === null) break;
    assert.equal(page.next, at + page.ops.length, 'next is the revision after the page');
    assert.ok(page.ops.length > 0, 'a page that is not the last holds an op');
    at = page.next;
  }
  return { ops: out, pages };
}

const asOps = (events) => events.filter((e) => e.type === 'op').map((e) => ({ rev: e.rev, op: e.op, author: e.author, org: e.org, t: e.t }));

describe('compact pages of edits', { timeout: 60000 }, () => {
  let h;
  before(async () => {
    h = await Harness.start({ serverArgs: ['--snapshot-every', '25', '--rate', '1000000', '--burst', '1000000'] });
  }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('every op once, with author, organisation and time; ranges; both views; no ballot', { timeout: 40000 }, async () => {
    const port = h.server.port;
    const w = await h.server.createWorkshop({ title: 'Compact', text: 'Nous voulons :\n« agir » 🤝\n' });
    const fac = h.client({ workshop: w.id, name: 'Awa', organisation: 'Ville de Lyon', key: w.facilitator_key });
    await fac.start();
    const jean = h.client({ workshop: w.id, name: 'Jean', organisation: 'Banque Solidaire' });
    await jean.start();
    const ines = h.client({ workshop: w.id, name: 'Inès', organisation: 'Association Élan 🌱' });
    await ines.start();
    const all = [fac, jean, ines];
    const rand = prng(1717);
    const burst = async (n) => {
      for (let i = 0; i < n; i++) {
        for (const c of all) if (rand() < 0.7) c.submit(randomEdit(c.text, rand)); // at the same time: transformed
        await waitQuiescent(all);
      }
    };
    await burst(30);
    const poll = (await must(fac, { type: 'poll_create', kind: 'single', question: 'Oui ?', choices: ['Oui', 'Non'], open: true, visibility: 'live' }, 'poll')).poll;
    await must(jean, { type: 'vote', poll: poll.id, ballot: 0 }, 'my_ballot');
    await burst(20);
    await must(ines, { type: 'vote', poll: poll.id, ballot: 1 }, 'my_ballot');
    await burst(30);
    const rev = await h.server.workshopRev(w.id);
    assert.ok(rev > 100, `enough revisions (${rev})`);

    const { events } = await fetchAllHistory(port, w.id, { key: w.facilitator_key, limit: 10000 });
    assert.ok(events.some((e) => e.type === 'ballot'), 'the facilitator view has the ballots');
    const want = asOps(events);
    assert.equal(want.length, rev);

    // From 0, followed page by page: every op.
    const whole = await compactOps(port, w.id, { key: w.facilitator_key });
    assert.deepEqual(whole.ops, want);

    // The public view: the same bytes (edits only: nothing of the poll or its ballots).
    const pub = await compactOps(port, w.id);
    assert.deepEqual(pub.pages.map((p) => p.text), whole.pages.map((p) => p.text));
    for (const p of pub.pages) assert.doesNotMatch(p.text, /ballot|results|poll/, 'no vote in a compact page');

    // Random ranges, asked for at the same time (as the replay page does).
    const ranges = [[0, 1], [0, rev], [rev, rev], [rev - 1, rev], [24, 26], [25, 50], [26, 27]];
    while (ranges.length < 40) {
      const a = Math.floor(rand() * (rev + 1));
      ranges.push([a, a + Math.floor(rand() * (rev - a + 1))]);
    }
    const got = await Promise.all(ranges.map(([from, to]) => compactOps(port, w.id, { from, to, key: rand() < 0.5 ? w.facilitator_key : undefined })));
    ranges.forEach(([from, to], k) => assert.deepEqual(got[k].ops, want.slice(from, to), `ops ${from}..${to}`));
    // `to` left out: up to the current revision.
    assert.deepEqual((await compactOps(port, w.id, { from: rev - 10 })).ops, want.slice(rev - 10));

    // A wrong key is refused, never downgraded to the public view.
    const wrong = await getJson(port, `/api/workshops/${w.id}/history?format=compact`, { key: 'not-the-key' });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.json.error.code, 'forbidden');
  });

  test('a page ends after about 1 MiB and next goes on', { timeout: 30000 }, async () => {
    const port = h.server.port;
    const w = await h.server.createWorkshop({ title: 'Gros', text: '' });
    const c = h.client({ workshop: w.id, name: 'Awa', organisation: 'Ville de Lyon', key: w.facilitator_key });
    await c.start();
    const big = 'é'.repeat(20000); // 40 kB of JSON an op
    for (let i = 0; i < 40; i++) {
      c.submit([big]);
      c.submit([{ d: 20000 }]);
      await waitQuiescent([c]);
    }
    const { ops, pages } = await compactOps(port, w.id);
    assert.equal(ops.length, 80);
    assert.ok(pages.length >= 2, `${pages.length} pages`);
    for (const p of pages.slice(0, -1)) assert.ok(p.bytes >= PAGE_BYTES && p.bytes < PAGE_BYTES + 60000, `a page of ${p.bytes} bytes`);
    const { events } = await fetchAllHistory(port, w.id, { key: w.facilitator_key, limit: 10000 });
    assert.deepEqual(ops, asOps(events));
  });

  test('a damaged edit is a 500, never a page with a hole or broken JSON', { timeout: 20000 }, async () => {
    const port = h.server.port;
    const w = await h.server.createWorkshop({ title: 'Abîmé', text: '' });
    const c = h.client({ workshop: w.id, name: 'Awa', organisation: 'Ville de Lyon' });
    await c.start();
    for (const ch of 'abc') {
      c.submit([[...c.text].length, ch].filter((x) => x !== 0));
      await waitQuiescent([c]);
    }
    c.close();
    // Revision 3's op, cut short, as a damaged record would be.
    await h.redis.command('XADD', `atelier:{w:${w.id}}:events`, '*', 'type', 'op', 'rev', '3', 'author', 'p_1', 'org', 'X', 'op', '[3,"d', 't', '1');
    await h.redis.command('HINCRBY', `atelier:{w:${w.id}}:meta`, 'rev', '1');
    const bad = await getJson(port, `/api/workshops/${w.id}/history?format=compact`);
    assert.equal(bad.status, 500, bad.text.slice(0, 200));
    assert.equal(bad.json.error.code, 'internal');
    const ok = await getJson(port, `/api/workshops/${w.id}/history?format=compact&to=3`);
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json.ops.map((o) => o[2]), [['a'], [1, 'b'], [2, 'c']]);
  });

  test('bad arguments are 400, an unknown workshop 404', async () => {
    const port = h.server.port;
    const w = await h.server.createWorkshop({ title: 'Erreurs', text: 'x' });
    const c = h.client({ workshop: w.id, name: 'Awa', organisation: 'Ville de Lyon' });
    await c.start();
    c.submit([1, 'y']);
    await waitQuiescent([c]);
    const bad = [
      'format=binary', 'format=', 'format=compact&from=-1', 'format=compact&from=x', 'format=compact&from=2',
      'format=compact&to=2', 'format=compact&from=1&to=0', 'format=compact&from=1.5', 'format=compact&limit=10',
      'format=compact&after=1795833600000-0', 'format=compact&only=marks', 'format=compact&from=99999999999999999999',
    ];
    for (const q of bad) {
      const r = await getJson(port, `/api/workshops/${w.id}/history?${q}`);
      assert.equal(r.status, 400, `${q}: ${r.status} ${r.text.slice(0, 200)}`);
      assert.equal(r.json.error.code, 'bad_request', q);
      assertSchema('http-error', r.json);
    }
    assert.equal((await getJson(port, '/api/workshops/AAAAAAAAAAAAAAAAAAAAAA/history?format=compact')).status, 404);
    // The workshop is as it was.
    const ok = await getJson(port, `/api/workshops/${w.id}/history?format=compact&from=0&to=1`);
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json.ops.map((o) => o[2]), [[1, 'y']]);
    assert.equal(ok.json.next, null);
  });
});
