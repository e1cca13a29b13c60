// The replay engine on a long history: the automerge-paper editing trace
// (259,778 single-character edits, 104,852 code points at the end), with
// three organisations taking turns. Checks the final text against the trace
// and reports the time to build the checkpoints, to seek, and to play a
// frame's worth of edits (the view's budget is ~16 ms a frame).
//
// Trace: "automerge-paper" by Martin Kleppmann and Alastair R. Beresford
// (https://github.com/automerge/automerge-perf), copied unchanged from
// https://github.com/josephg/editing-traces; CC BY 4.0
// (https://creativecommons.org/licenses/by/4.0/). Read from
// ../shared/traces beside the repository (or ATELIER_TRACES); skipped when absent.
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Replay } from '../src/state/replay.js';

const TRACES = process.env.ATELIER_TRACES
  || path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../shared/traces');
const FILE = path.join(TRACES, 'sequential/automerge-paper.json.gz');
const ORGS = ['Ville de Lyon', 'Banque', 'Association des Habitants'];

/** The trace as history events (ops and a few arrivals), one op per transaction. */
export function traceHistory(trace) {
  const events = [];
  let t = 1795833600000;
  let n = 0;
  const id = () => `${t}-${n++}`;
  events.push({ id: id(), t, type: 'created', rev: 0, title: 'automerge-paper' });
  let rev = 0;
  for (const txn of trace.txns) {
    let op = null;
    for (const [pos, del, ins] of txn.patches) {
      const p = [];
      if (pos) p.push(pos);
      if (del) p.push({ d: del });
      if (ins) p.push(ins);
      if (op) throw new Error('one patch per txn in this trace');
      op = p;
    }
    if (rev % 20000 === 0) {
      events.push({ id: id(), t, type: 'arrived', rev, participant: `p${rev}`, name: `P${rev}`, org: ORGS[(rev / 20000) % 3], role: 'participant' });
    }
    t += 150;
    // Organisations take turns in stretches of 40 edits: many authorship runs.
    events.push({ id: id(), t, type: 'op', rev, author: 'a', org: ORGS[Math.floor(rev / 40) % 3], op });
    rev++;
  }
  return { events, finalRev: rev, endContent: trace.endContent };
}

test('automerge-paper: builds, seeks and plays; every revision within 1,000 ops of a checkpoint', { skip: !existsSync(FILE) && 'trace not found' }, (t) => {
  const trace = JSON.parse(gunzipSync(readFileSync(FILE)).toString('utf8'));
  const h = traceHistory(trace);
  const rp = new Replay({ checkpointEvery: 1000 });
  rp.addMarks(h.events.filter((e) => e.type !== 'op'));
  rp.finishMarks(h.finalRev);
  rp.setBase('');
  let t0 = performance.now();
  rp.addEvents(h.events);
  rp.build();
  const buildMs = performance.now() - t0;
  assert.equal(rp.builtRev, 259778);
  const end = rp.docAt(h.finalRev);
  assert.equal(end.text, h.endContent);
  assert.equal(end.len, 104852);

  // Random seeks (what dragging the slider does), each from scratch.
  let r = 12345;
  const rand = () => ((r = (Math.imul(r, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const seeks = [];
  for (let i = 0; i < 300; i++) {
    const rev = Math.floor(rand() * (h.finalRev + 1));
    t0 = performance.now();
    const d = rp.docAt(rev);
    d.runs();
    seeks.push(performance.now() - t0);
  }
  seeks.sort((a, b) => a - b);

  // Playing at "fastest": forward 2000 ops per step from the start.
  let doc = rp.docAt(0);
  const steps = [];
  while (doc.rev < h.finalRev) {
    t0 = performance.now();
    rp.forward(doc, Math.min(h.finalRev, doc.rev + 2000));
    steps.push(performance.now() - t0);
  }
  steps.sort((a, b) => a - b);
  const q = (a, p) => a[Math.min(a.length - 1, Math.floor(a.length * p))].toFixed(2);
  t.diagnostic(`build checkpoints for 259,778 ops: ${buildMs.toFixed(0)} ms (${rp.checkpoints.length} checkpoints)`);
  t.diagnostic(`seek (checkpoint + tail): median ${q(seeks, 0.5)} ms, p95 ${q(seeks, 0.95)} ms, max ${q(seeks, 1)} ms`);
  t.diagnostic(`forward 2000 ops: median ${q(steps, 0.5)} ms, p95 ${q(steps, 0.95)} ms, max ${q(steps, 1)} ms`);
  t.diagnostic(`chunks at the end: ${end.chunks.length}, authorship runs: ${end.runs().length}`);
  // What bounds a seek's work, checked as a count rather than a time (a busy
  // machine must not fail it; the diagnostics above give the times): every
  // revision has a checkpoint at most checkpointEvery ops before it, so a
  // seek applies at most that many ops to a copy of one checkpoint.
  assert.equal(rp.checkpoints.length, Math.floor(h.finalRev / 1000) + 1);
  for (let k = 0; k < rp.checkpoints.length; k++) assert.ok(rp.checkpoints[k], `checkpoint ${k} built`);
});
