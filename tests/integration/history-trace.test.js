'use strict';
// Replay through the server (protocol/history.md, issue #5): the
// automerge-paper editing trace goes through the real server into a fresh
// workshop, then /state?rev=R at chosen and random revisions must equal the
// trace replayed locally up to that transaction, and the last revision must
// equal the trace's endContent.
//
// Trace: automerge-paper, from https://github.com/automerge/automerge-perf by
// Martin Kleppmann and Alastair R. Beresford (typing the LaTeX source of "A
// Conflict-Free Replicated JSON Datatype"), via
// https://github.com/josephg/editing-traces; licensed CC BY 4.0
// (https://creativecommons.org/licenses/by/4.0/), used unmodified. See
// ../shared/traces/README.md (beside the repository).
//
// The full trace is 259,778 ops (about 20-40 s through the server on a
// 2-core machine). By default (CI) this test replays all of it, checks
// revision 259,778 against endContent, and revisions 0, 1, 2, 1000, 100,000
// and 12 random ones against the trace replayed locally.
// ATELIER_IT_TRACE_FULL=0 replays only a prefix (ATELIER_IT_TRACE_OPS=N,
// default 100,000) for a quicker local run. bench/history-seek.js always loads the full trace and checks
// revisions 0, 1, 1000, 100,000, 259,778 (= endContent) and random ones.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { REPO, Harness, prng, getJson, loadTrace, traceTextsAt, replayThroughServer } = require('./harness');

const TRACE = process.env.ATELIER_TRACE || path.join(REPO, '../shared/traces/sequential/automerge-paper.json.gz');
const FULL = process.env.ATELIER_IT_TRACE_FULL !== '0';
const PREFIX = Number(process.env.ATELIER_IT_TRACE_OPS || 100000);
const END_SHA256 = 'a489e9022976c14e46627aea174d07797edcb3fd17df42605956d4cf01bf9039';

describe('history: automerge-paper through the server', { timeout: 180000 }, () => {
  let h;
  before(async () => {
    h = await Harness.start({ ownRedis: true, serverArgs: ['--rate', '10000000', '--burst', '10000000'] });
  }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test(`replay ${FULL ? 'the whole trace' : `the first ${PREFIX} transactions`}, then /state?rev= equals the local replay`, {
    timeout: 170000, skip: !fs.existsSync(TRACE) && `no trace at ${TRACE}`,
  }, async (t) => {
    const trace = loadTrace(TRACE);
    const total = trace.ops.length;
    assert.equal(total, 259778, 'automerge-paper has 259,778 transactions');
    assert.equal(crypto.createHash('sha256').update(trace.endContent).digest('hex'), END_SHA256);
    const n = FULL ? total : Math.min(PREFIX, total);

    const w = await h.server.createWorkshop({ title: 'automerge-paper', text: trace.startContent });
    const { ms } = await replayThroughServer(h.server, w.id, trace.ops, { to: n });
    t.diagnostic(`replayed ${n} ops in ${ms} ms (${Math.round(n / ms * 1000)} ops/s)`);
    assert.equal(await h.server.workshopRev(w.id), n);

    const rand = prng(20261128);
    const revs = [0, 1, 2, 1000, 100000, 259778, n - 1, n].filter((r) => r <= n);
    for (let i = 0; i < 12; i++) revs.push(Math.floor(rand() * (n + 1)));
    const want = traceTextsAt(trace, revs);
    if (n === total) assert.equal(want.get(total), trace.endContent, 'local replay of the whole trace is not endContent');

    const slow = [];
    for (const r of [...want.keys()].sort((a, b) => a - b)) {
      const s = await getJson(h.server.port, `/api/workshops/${w.id}/state?rev=${r}`);
      assert.equal(s.status, 200, `state?rev=${r}: ${s.status} ${s.text.slice(0, 200)}`);
      assert.equal(s.json.rev, r, `state?rev=${r}: rev`);
      if (s.json.text !== want.get(r)) {
        const a = Array.from(s.json.text);
        const b = Array.from(want.get(r));
        let i = 0;
        while (i < a.length && a[i] === b[i]) i++;
        assert.fail(`state?rev=${r}: text differs from the local replay at code point ${i} (server ${a.length} cps, local ${b.length}): ${JSON.stringify(a.slice(i, i + 40).join(''))} vs ${JSON.stringify(b.slice(i, i + 40).join(''))}`);
      }
      slow.push(`${r}:${s.ms.toFixed(1)}ms${s.headers['server-timing'] ? `(${s.headers['server-timing']})` : ''}`);
    }
    if (n === total) {
      const s = await getJson(h.server.port, `/api/workshops/${w.id}/state?rev=${total}`);
      assert.equal(s.json.text, trace.endContent, 'the last revision is not endContent');
    }
    // Out of range: rev after the current revision is 400.
    const bad = await getJson(h.server.port, `/api/workshops/${w.id}/state?rev=${n + 1}`);
    assert.equal(bad.status, 400, `state?rev=${n + 1} (after the current revision): ${bad.status}`);

    // The history knows the revision and starts with the creation.
    const page = await getJson(h.server.port, `/api/workshops/${w.id}/history?limit=3`);
    assert.equal(page.status, 200, `history?limit=3: ${page.status} ${page.text.slice(0, 200)}`);
    assert.equal(page.json.rev, n);
    assert.equal(page.json.events[0].type, 'created');
    t.diagnostic(`/state?rev= latencies (wall, localhost): ${slow.join(' ')}`);
  });
});
