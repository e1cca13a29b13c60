'use strict';
// What one op may cost the server (issue 14, item 12): its components are
// capped, the window of recent ops has a byte budget, moving a late op over
// many others is bounded (refused `stale` past it, so one workshop cannot
// stall the others), the statement has a size limit, and a history page
// ends at a byte cap. Each limit answers with its documented code and
// changes nothing.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, rssKb, fetchAllHistory, getJson } = require('./harness');

// [1,"a",1,"a",…]: 2 × pairs components, each insert one code point.
const pairsOp = (pairs) => Array.from({ length: pairs }, () => [1, 'a']).flat();

describe('op limits', { timeout: 600000 }, () => {
  let h;
  before(async () => { h = await Harness.start(); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('an op of more than 1024 components is too_large; 300 of the largest allowed cost a few MB, not 327', async () => {
    const w = await h.server.createWorkshop({ title: 'Forme', text: 'x'.repeat(11000) });
    const c = h.client({ workshop: w.id, name: 'A', organisation: 'O' });
    await c.start();
    const pid = h.server.proc.pid;
    // The adversarial test's op: ~21,800 components, ~65 KB.
    const huge = await c.ask({ type: 'op', rev: c.rev, op: pairsOp(10900) }, 20000);
    assert.equal(huge.type, 'error', JSON.stringify(huge).slice(0, 200));
    assert.equal(huge.code, 'too_large');
    assert.equal(await h.server.workshopRev(w.id), 0, 'a refused op changed nothing');
    const rss0 = rssKb(pid);
    const op = pairsOp(512); // 1024 components
    for (let i = 0; i < 300; i++) {
      const r = await c.ask({ type: 'op', rev: i, op }, 20000);
      assert.equal(r.type, 'ack', JSON.stringify(r).slice(0, 200));
    }
    const grew = rssKb(pid) - rss0;
    console.log(`# RSS grew by ${grew} kB for 300 ops of 1024 components`);
    // The text grows by 150 kB (held twice); the window holds at most its 4 MiB budget.
    assert.ok(grew < 16 * 1024, `RSS grew by ${grew} kB (limit 16 MB; 327 MB before the limits)`);
  });

  test('the window has a byte budget: a resume from before it gets the whole text', async () => {
    const s = await h.addServer(['--window-bytes', '65536']);
    const w = await s.createWorkshop({ title: 'Fenêtre' });
    const a = h.client({ server: s, workshop: w.id, name: 'A', organisation: 'O' });
    const b = h.client({ server: s, workshop: w.id, name: 'B', organisation: 'P' });
    await Promise.all([a.start(), b.start()]);
    const revB = b.rev;
    b.detach();
    const chunk = 'é'.repeat(20000);
    for (let i = 0; i < 5; i++) {
      assert.equal((await a.ask({ type: 'op', rev: revB + 2 * i, op: [chunk] })).type, 'ack');
      assert.equal((await a.ask({ type: 'op', rev: revB + 2 * i + 1, op: [{ d: 20000 }] })).type, 'ack');
    }
    const again = await b.start();
    assert.equal(again.doc.rev, revB + 10);
    assert.equal(again.doc.text, '', 'the ops since its revision left the window: the whole text comes');
    assert.equal(again.missed, undefined);
    await s.stop();
  });

  test('a late op over large ops is refused stale without stalling another workshop', async () => {
    const wa = await h.server.createWorkshop({ title: 'Lourd', text: 'x'.repeat(1100) });
    const wb = await h.server.createWorkshop({ title: 'Voisin' });
    const a = h.client({ workshop: wa.id, name: 'A', organisation: 'O' });
    const late = h.client({ workshop: wa.id, name: 'Retard', organisation: 'P' });
    const n = h.client({ workshop: wb.id, name: 'N', organisation: 'Q' });
    await Promise.all([a.start(), late.start(), n.start()]);
    const op = pairsOp(512);
    for (let i = 0; i < 200; i++) assert.equal((await a.ask({ type: 'op', rev: i, op }, 20000)).type, 'ack');
    // 200 ops of 1024 components behind: past the bound on the work of one op.
    const lateReplies = [];
    const neighbour = [];
    for (let i = 0; i < 100; i++) {
      lateReplies.push(late.ask({ type: 'op', rev: 0, op }, 30000));
      neighbour.push(n.ask({ type: 'op', rev: 0, op: ['n'] }, 30000)); // each moved over those before it
    }
    for (const r of await Promise.all(lateReplies)) {
      assert.equal(r.type, 'error', JSON.stringify(r).slice(0, 200));
      assert.equal(r.code, 'stale');
    }
    for (const r of await Promise.all(neighbour)) assert.equal(r.type, 'ack', JSON.stringify(r).slice(0, 200));
    assert.equal(await h.server.workshopRev(wa.id), 200, 'the refused ops changed nothing');
    assert.equal(await h.server.workshopRev(wb.id), 100);
    // The client resyncs and sends it again, recent: accepted.
    const again = await late.ask({ type: 'op', rev: 200, op: ['y'] });
    assert.equal(again.type, 'ack');
  });

  test('the statement is at most 1 MiB: an op past it is too_large and changes nothing', async () => {
    const w = await h.server.createWorkshop({ title: 'Long' });
    const c = h.client({ workshop: w.id, name: 'A', organisation: 'O' });
    await c.start();
    const chunk = 'z'.repeat(60000);
    let rev = 0;
    while ((rev + 1) * chunk.length <= 1 << 20) {
      assert.equal((await c.ask({ type: 'op', rev, op: rev ? [rev * chunk.length, chunk] : [chunk] })).type, 'ack');
      rev++;
    }
    const over = await c.ask({ type: 'op', rev, op: [chunk] }); // at the start: the same length after
    assert.equal(over.type, 'error');
    assert.equal(over.code, 'too_large', over.message);
    assert.equal(await h.server.workshopRev(w.id), rev);
    const st = await getJson(h.server.port, `/api/workshops/${w.id}/state?rev=${rev}`, { key: w.facilitator_key });
    assert.equal(st.json.text.length, rev * chunk.length);
  });

  test('a history page ends at about 1 MiB; next goes on to every event', async () => {
    const w = await h.server.createWorkshop({ title: 'Pages' });
    const c = h.client({ workshop: w.id, name: 'A', organisation: 'O' });
    await c.start();
    const chunk = 'é🤝'.repeat(10000); // ~60 KB an op
    for (let i = 0; i < 40; i++) {
      assert.equal((await c.ask({ type: 'op', rev: 2 * i, op: [chunk] })).type, 'ack');
      assert.equal((await c.ask({ type: 'op', rev: 2 * i + 1, op: [{ d: 20000 }] })).type, 'ack');
    }
    const first = await getJson(h.server.port, `/api/workshops/${w.id}/history?limit=10000`);
    assert.equal(first.status, 200);
    assert.ok(first.text.length < (1 << 20) + 200000, `a page of ${first.text.length} bytes`);
    assert.ok(first.json.next, 'the page ended early, with next');
    const all = await fetchAllHistory(h.server.port, w.id, { limit: 10000 });
    assert.ok(all.pages.length >= 3, `${all.pages.length} pages`);
    assert.equal(all.events.filter((e) => e.type === 'op').length, 80);
  });
});
