import test from 'node:test';
import assert from 'node:assert/strict';
import { type } from 'ot-text-unicode';
import { OTClient } from '../src/state/otclient.js';
import { transformPosition, splitOp, compose, apply, opEnd } from '../src/state/ot.js';
import { Authorship } from '../src/state/authorship.js';
import { UndoStack } from '../src/state/undo.js';
import { diffOp } from '../src/state/unicode.js';

test('the library convention: side left puts our insert first', () => {
  // Two inserts at the same place: the server gives the incoming op 'left'.
  const accepted = [3, 'B'];
  const incoming = [3, 'A'];
  const t = type.transform(incoming, accepted, 'left');
  assert.equal(type.apply(type.apply('abc', accepted), t), 'abcAB');
});

test('local edits compose into pending; one op in flight', () => {
  const c = new OTClient();
  c.reset('Quoi ?', 0);
  c.applyLocal([4, '!']);
  c.applyLocal([5, '!']);
  assert.equal(c.text, 'Quoi!! ?');
  const m1 = c.outgoing();
  assert.match(m1.id, /^[a-z0-9]{9}-1$/);
  assert.deepEqual(m1, { type: 'op', id: m1.id, rev: 0, op: [4, '!!'] });
  assert.equal(c.outgoing(), null, 'nothing else while one is in flight');
  c.applyLocal([0, 'X'].slice(1));
  assert.equal(c.outgoing(), null);
  assert.equal(c.receiveAck(m1.id, 0).status, 'acked');
  assert.equal(c.rev, 1);
  const m2 = c.outgoing();
  assert.deepEqual(m2, { type: 'op', id: m1.id.replace(/1$/, '2'), rev: 1, op: ['X'] });
  // A reloaded page is a new client: its ids must not repeat the old ones,
  // or the server would take its first op for a duplicate.
  const d = new OTClient();
  d.reset('', 0);
  d.applyLocal(['x']);
  assert.notEqual(d.outgoing().id, m1.id);
});

test('a remote op is transformed over inflight and pending (remote is right)', () => {
  const c = new OTClient();
  c.reset('abc', 5);
  c.applyLocal([1, 'X']); // aXbc
  c.outgoing(); // in flight at rev 5
  c.applyLocal([2, 'Y']); // aXYbc
  const r = c.receiveOp(5, [1, 'R'], 'p_other'); // another client inserted R at 1 too
  assert.equal(r.status, 'applied');
  // Server: our X (left) goes before R. Locally R lands after X and after Y (pending typed right after X).
  assert.equal(c.text, 'aXYRbc');
  assert.equal(c.serverText, 'aRbc');
  assert.equal(c.rev, 6);
  // The in-flight op is now expressed against rev 6.
  assert.deepEqual(c.inflight.op, [1, 'X']);
  assert.equal(c.receiveAck(c.inflight.id, 6).status, 'acked');
  assert.equal(c.serverText, 'aXRbc');
  const m = c.outgoing();
  assert.equal(m.rev, 7);
  assert.equal(type.apply(c.serverText, m.op), c.text);
});

test('out-of-order revisions are reported', () => {
  const c = new OTClient();
  c.reset('', 3);
  assert.equal(c.receiveOp(2, ['a'], 'p').status, 'duplicate');
  assert.equal(c.receiveOp(4, ['a'], 'p').status, 'gap');
  c.applyLocal(['x']);
  const m = c.outgoing();
  assert.equal(c.receiveAck(m.id, 4).status, 'gap');
  assert.equal(c.receiveAck('nope', 3).status, 'ignored');
});

test('replayMissed recognises our own in-flight op by id', () => {
  const c = new OTClient();
  c.selfId = 'p_me';
  c.reset('abc', 10);
  c.applyLocal([3, 'Z']);
  const sent = c.outgoing();
  c.applyLocal([4, '!']); // pending
  const changes = c.replayMissed([
    { rev: 10, op: ['>'], author: 'p_x' },
    { rev: 11, op: [4, 'Z'], author: 'p_me', id: sent.id },
    { rev: 12, op: [1, '.'], author: 'p_y' },
  ], 13);
  assert.ok(changes);
  assert.equal(changes.length, 2);
  assert.equal(c.inflight, null, 'in-flight counted as acknowledged');
  assert.equal(c.serverText, '>.abcZ');
  assert.equal(c.text, '>.abcZ!');
  assert.equal(c.rev, 13);
});

test('replayMissed keeps an unaccepted in-flight op and marks it to resend with the same id', () => {
  const c = new OTClient();
  c.selfId = 'p_me';
  c.reset('abc', 0);
  c.applyLocal(['Z']);
  const sent = c.outgoing();
  assert.ok(c.replayMissed([{ rev: 0, op: [3, '!'], author: 'p_x' }], 1));
  const again = c.outgoing();
  assert.equal(again.id, sent.id);
  assert.equal(again.rev, 1);
  assert.equal(c.text, 'Zabc!');
});

test('full resync without in-flight op rebases pending by text difference', () => {
  const c = new OTClient();
  c.reset('Quoi ?', 0);
  c.applyLocal([6, ' Un résultat.']);
  const res = c.beginResync('Quoi ?\nPourquoi ?', 40);
  assert.ok(res.change);
  assert.equal(c.rev, 40);
  assert.equal(c.serverText, 'Quoi ?\nPourquoi ?');
  assert.equal(c.text, 'Quoi ? Un résultat.\nPourquoi ?');
  const m = c.outgoing();
  assert.equal(type.apply(c.serverText, m.op), c.text);
});

test('full resync with an in-flight op probes; included or not, nothing doubles or vanishes', () => {
  for (const included of [true, false]) {
    const c = new OTClient();
    c.reset('abc', 0);
    c.applyLocal([3, 'X']);
    const sent = c.outgoing();
    c.applyLocal([4, 'Y']);
    const serverNow = included ? '>abcX' : '>abc';
    const r = c.beginResync(serverNow, 50);
    assert.equal(r.probe, true);
    const probe = c.outgoing();
    assert.deepEqual(probe, { type: 'op', id: sent.id, rev: 0, op: [3, 'X'] });
    const change = c.resolveProbe(included);
    assert.equal(c.text, '>abcXY');
    assert.equal(c.rev, 50);
    const next = c.outgoing();
    assert.equal(type.apply(c.serverText, next.op), c.text);
    assert.ok(Array.isArray(change));
  }
});

test('a welcome behind us (a Redis failover lost acknowledged ops): its text wins, unacknowledged edits are rebased', () => {
  // protocol/README.md, "After a failover of Redis": revisions 2 and 3 were
  // acknowledged by the old primary and never reached the new one.
  const c = new OTClient();
  c.reset('abc', 0);
  for (const [rev, ins] of [[0, 'D'], [1, 'E'], [2, 'F']]) {
    c.applyLocal([3 + rev, ins]);
    const m = c.outgoing();
    assert.equal(c.receiveAck(m.id, rev).status, 'acked');
  }
  assert.equal(c.rev, 3);
  c.applyLocal([6, '!']); // typed, not sent yet
  const sent = c.outgoing();
  c.applyLocal([7, '?']); // typed after it
  assert.equal(c.beginResync('abcD', 1).probe, true);
  const probe = c.outgoing();
  assert.deepEqual(probe, { type: 'op', id: sent.id, rev: 3, op: [6, '!'] }); // the server refuses it: ahead of it
  c.resolveProbe(false);
  assert.equal(c.rev, 1);
  assert.equal(c.serverText, 'abcD');
  assert.equal(c.text, 'abcD!?', 'the lost ops go, the edits never acknowledged stay');
  const next = c.outgoing();
  assert.equal(type.apply(c.serverText, next.op), c.text);
});

test('mapSelection brings a cursor from an older revision to the local text', () => {
  const c = new OTClient();
  c.reset('hello', 0);
  c.receiveOp(0, ['>> '], 'p1'); // rev 1
  c.applyLocal([0, 'A'].slice(1)); // local pending insert at 0
  assert.deepEqual(c.mapSelection([2, 4], 0), [6, 8]);
  assert.deepEqual(c.mapSelection([5, 5], 1), [6, 6]);
  c.history = [];
  assert.equal(c.mapSelection([1, 1], 0), null);
});

test('transformPosition: an author\'s own caret follows their insert', () => {
  assert.equal(transformPosition(3, [3, 'ab']), 3);
  assert.equal(transformPosition(3, [3, 'ab'], true), 5);
  assert.equal(transformPosition(3, [1, { d: 4 }]), 1);
  assert.equal(transformPosition(5, [1, { d: 2 }]), 3);
  assert.equal(transformPosition(2, ['😀']), 3);
});

test('splitOp keeps messages small and composes back to the op', () => {
  const big = 'x'.repeat(25) + '😀' + 'y'.repeat(10);
  const op = [3, { d: 1 }, big, 2, 'z'];
  const doc = 'abcdefg';
  const [head, tail] = splitOp(op, 10);
  assert.ok(tail);
  const both = apply(apply(doc, head), tail);
  assert.equal(both, apply(doc, op));
  let parts = 1;
  let rest = op;
  let text = doc;
  for (;;) {
    const [h, t] = splitOp(rest, 10);
    text = apply(text, h);
    if (!t) break;
    parts++;
    rest = t;
    assert.ok(parts < 20);
  }
  assert.equal(text, apply(doc, op));
  assert.equal(splitOp([1, 'ab'], 10)[1], null);
  // ... and under the server's component limit: an op edited at 2,000 places
  const scattered = Array.from({ length: 1000 }, () => [1, 'a']).flat();
  const doc2 = 'x'.repeat(1000);
  let rest2 = scattered;
  let text2 = doc2;
  for (let n = 0; rest2; n++) {
    const [h, t] = splitOp(rest2, 1e9, 16);
    assert.ok(h.length <= 16, `a head of ${h.length} components`);
    text2 = apply(text2, h);
    rest2 = t;
    assert.ok(n < 1000);
  }
  assert.equal(text2, apply(doc2, scattered));
  assert.deepEqual(compose(null, [1, 'a']), [1, 'a']);
  assert.equal(opEnd([2, 'ab', 3, { d: 1 }]), 7);
});

test('authorship follows inserts and deletes per code point', () => {
  const a = new Authorship(3, null); // "abc" from the snapshot
  a.apply([1, 'XY'], 'p1'); // aXYbc
  a.apply([4, '😀'], 'p2'); // aXYb😀c
  a.apply([2, { d: 2 }], 'p3'); // aX😀c
  assert.deepEqual(a.authors, [null, 'p1', 'p2', null]);
  assert.deepEqual(a.runs(), [
    { author: null, length: 1 }, { author: 'p1', length: 1 }, { author: 'p2', length: 1 }, { author: null, length: 1 },
  ]);
});

test('undo is grouped by time, survives remote edits, and redo works', () => {
  const u = new UndoStack();
  let text = 'Quoi ?';
  const edit = (newText, at) => {
    const op = diffOp(text, newText);
    u.record(op, text, at);
    text = newText;
  };
  edit('Quoi ? N', 0);
  edit('Quoi ? No', 100);
  edit('Quoi ? Nous', 300);
  edit('Quoi ? Nous.', 5000); // a new step
  // Someone else prepends a title.
  const remote = ['# '];
  text = apply(text, remote);
  u.transformAll(remote);
  let op = u.undo(text);
  text = apply(text, op);
  assert.equal(text, '# Quoi ? Nous');
  op = u.undo(text);
  text = apply(text, op);
  assert.equal(text, '# Quoi ?');
  assert.equal(u.undo(text), null);
  op = u.redo(text);
  text = apply(text, op);
  assert.equal(text, '# Quoi ? Nous');
});

test('undo never removes text typed by others inside our range', () => {
  const u = new UndoStack();
  let text = 'ab';
  const op1 = [1, 'XYZ'];
  u.record(op1, text, 0);
  text = apply(text, op1); // aXYZb
  const remote = [2, 'r']; // aXrYZb
  text = apply(text, remote);
  u.transformAll(remote);
  text = apply(text, u.undo(text));
  assert.equal(text, 'arb');
});

test('fineDiffOp finds small multi-place edits and stays exact', async () => {
  const { fineDiffOp } = await import('../src/state/textdiff.js');
  assert.deepEqual(fineDiffOp('Quoi ? Pourquoi ?', 'Quoi ! Pourquoi !'), [5, { d: 1 }, '!', 10, { d: 1 }, '!']);
  assert.deepEqual(fineDiffOp('a😀b', 'a😀xb'), [2, 'x']);
  assert.deepEqual(fineDiffOp('same', 'same'), []);
  let seed = 11;
  const rand = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; };
  const alpha = ['a', 'b', 'é', '😀', ' ', '\n'];
  for (let i = 0; i < 500; i++) {
    const mk = () => Array.from({ length: Math.floor(rand() * 20) }, () => alpha[Math.floor(rand() * alpha.length)]).join('');
    const x = mk();
    const y = rand() < 0.5 ? mk() : x.slice(0, 3) + mk() + x.slice(5);
    const op = fineDiffOp(x, y, i % 2 ? 3 : 2000);
    assert.equal(type.apply(x, op), y);
    if (op.length) type.checkOp(op);
  }
});

test('an op of ours relayed with its id counts as the ack of our in-flight op', () => {
  const c = new OTClient();
  c.selfId = 'p_me';
  c.reset('abc', 4);
  c.applyLocal([3, '!']);
  const sent = c.outgoing();
  // Another tab of ours (same participant) typed too: its op has another id.
  assert.equal(c.receiveOp(4, ['>'], 'p_me', 'tab2-1').status, 'applied');
  assert.equal(c.text, '>abc!');
  assert.equal(c.receiveOp(5, [4, '!'], 'p_me', sent.id).status, 'own');
  assert.equal(c.inflight, null);
  assert.equal(c.serverText, '>abc!');
  assert.equal(c.rev, 6);
  assert.equal(c.receiveAck(sent.id, 5).status, 'ignored', 'a late ack changes nothing');
});

test('told unavailable, then our op relayed with its id: counted once, as its ack', () => {
  // Redis committed the batch after the server stopped waiting for it
  // (protocol/README.md, op's unavailable): the catch-up relays it to us.
  const c = new OTClient();
  c.selfId = 'p_me';
  c.reset('abc', 7);
  c.applyLocal([3, '!']);
  const sent = c.outgoing();
  c.markUnsent(); // unavailable: to be sent again with the same id
  c.applyLocal([4, '?']); // typed meanwhile: pending
  assert.equal(c.receiveOp(7, [3, '!'], 'p_me', sent.id).status, 'own');
  assert.equal(c.inflight, null);
  assert.equal(c.text, 'abc!?');
  assert.equal(c.serverText, 'abc!');
  assert.equal(c.rev, 8);
  const next = c.outgoing();
  assert.notEqual(next.id, sent.id, 'the next op is the pending one, not ours again');
  assert.deepEqual(next.op, [4, '?']);
  assert.equal(c.receiveAck(sent.id, 7).status, 'ignored', 'the ack of a re-send changes nothing');
});
