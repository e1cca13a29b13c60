// Issue 16 in the client's state: ranking ballots (strict orders, moves),
// ranking results for drawing (the spec's first worked example), passages
// selected in the statement, the messages the client accepts, and the "to
// discuss" list's store.
import test from 'node:test';
import assert from 'node:assert/strict';
import { parse, pollCreate } from '../src/protocol/messages.js';
import {
  resultsModel, validBallot, normaliseBallot, sameBallot, isOrder, moveInOrder, selectedPassage, checkDefinition, MAX_PASSAGE,
} from '../src/state/polls.js';
import { DiscussStore } from '../src/state/discuss.js';

const POLL = { id: 'Rk3bT9aK0cE', kind: 'rank', question: 'Dans quel ordre ?', choices: ['a', 'b', 'c'], state: 'open', results: 'live', created: 1 };
// polls.md, "Ranking polls": the first worked example.
const RESULTS = {
  type: 'results', poll: 'Rk3bT9aK0cE', respondents: 7, borda: [8, 7, 6], mean_rank: [1.8571, 2, 2.1429],
  organisations: [
    { name: 'Asso Entraide', respondents: 3, borda: [5, 4, 0], mean_rank: [1.3333, 1.6667, 3] },
    { name: 'Ville de Lyon', respondents: 3, borda: [1, 3, 5], mean_rank: [2.6667, 2, 1.3333] }],
  other: null,
  alignment: { divergence: 1, label: 'divergent', organisations: 2 },
};

test('a rank ballot is an order of every choice, kept as it is', () => {
  assert.ok(validBallot(POLL, [2, 0, 1]));
  for (const bad of [[0, 1], [0, 1, 2, 0], [0, 0, 1], [0, 1, 3], [0, 1.5, 2], ['0', 1, 2], 1, []]) assert.ok(!validBallot(POLL, bad), JSON.stringify(bad));
  assert.deepEqual(normaliseBallot([2, 0, 1], 'rank'), [2, 0, 1], 'not sorted: the order is the ballot');
  assert.ok(!sameBallot([2, 0, 1], [0, 1, 2], 'rank'));
  assert.ok(sameBallot([2, 0, 1], [2, 0, 1], 'rank'));
  assert.ok(isOrder([1, 0], 2) && !isOrder([1, 1], 2));
  assert.deepEqual(moveInOrder([0, 1, 2], 2, 0), [2, 0, 1]);
  assert.deepEqual(moveInOrder([0, 1, 2], 0, 1), [1, 0, 2]);
  assert.deepEqual(moveInOrder([0, 1, 2], 0, 5), [0, 1, 2], 'out of range: unchanged');
});

test('ranking results for drawing: most Borda points first, per organisation, shares of the most points', () => {
  const m = resultsModel(POLL, RESULTS, 'fr');
  assert.deepEqual(m.rows.map((r) => [r.label, r.borda, r.meanRank]), [['a', 8, 1.8571], ['b', 7, 2], ['c', 6, 2.1429]]);
  assert.equal(m.rows[0].share, 8 / 14); // 7 respondents × (3 − 1) points at most
  assert.deepEqual(m.rows[2].groups.map((g) => [g.borda, g.share]), [[0, 0], [5, 5 / 6]]);
  assert.equal(m.alignment.label, 'divergent');
  assert.ok(parse(JSON.stringify(RESULTS)), 'the client accepts the message');
});

test('the client accepts rank polls with a passage, and the list to discuss', () => {
  const poll = { ...POLL, passage: { start: 13, end: 33, rev: 61, text: "plus d'emplois durs", first: "plus d'emplois", changed: true } };
  assert.ok(parse(JSON.stringify({ type: 'poll', poll })));
  assert.equal(parse(JSON.stringify({ type: 'poll', poll: { ...poll, passage: { start: 3 } } })), null);
  assert.ok(parse(JSON.stringify({ type: 'discuss', items: [] })));
  const created = pollCreate('q1', { kind: 'rank', question: 'Q', choices: ['a', 'b'], passage: { start: 1, end: 4, rev: 2, text: 'abc' } });
  assert.deepEqual(created.passage, { start: 1, end: 4, rev: 2 }, 'the range and its revision, not the text');
  assert.deepEqual(created.choices, ['a', 'b']);
  const form = checkDefinition({ kind: 'rank', question: 'Q', choices: ['a', '', 'b'] });
  assert.deepEqual(form.def.choices, ['a', 'b']);
});

test('the passage selected: server text at its revision, only when in sync', () => {
  const store = { mySel: [17, 13], ot: { inSync: true, serverText: "Nous voulons plus d'emplois.", rev: 4 } };
  assert.deepEqual(selectedPassage(store), { start: 13, end: 17, rev: 4, text: 'plus' });
  assert.equal(selectedPassage({ ...store, mySel: [5, 5] }), null, 'nothing selected');
  assert.equal(selectedPassage({ ...store, ot: { ...store.ot, inSync: false } }), null, 'edits of ours on their way');
  const long = { mySel: [0, MAX_PASSAGE + 1], ot: { inSync: true, serverText: 'x'.repeat(MAX_PASSAGE + 5), rev: 0 } };
  assert.equal(selectedPassage(long), null, 'too long');
  const emoji = { mySel: [1, 2], ot: { inSync: true, serverText: 'a😀b', rev: 0 } };
  assert.equal(selectedPassage(emoji).text, '😀', 'code points');
});

test('the list to discuss follows the server, and asks for changes', async () => {
  const sent = [];
  const d = new DiscussStore({ request: (make) => { sent.push(make('r1')); return Promise.resolve({ ok: true }); } });
  let changes = 0;
  d.on('change', () => changes++);
  d.welcome([{ id: 1, poll: 'p', question: 'Q', alignment: null, done: false, added: 1, by: 'Awa' }, { bad: true }]);
  assert.equal(d.items.length, 1, 'an item it cannot read is left out');
  assert.equal(d.openItemOf('p').id, 1);
  assert.ok(d.receive({ type: 'discuss', items: [{ id: 1, poll: 'p', question: 'Q', alignment: null, done: true, added: 1, by: 'Awa' }] }));
  assert.equal(d.openItemOf('p'), null, 'ticked off');
  assert.equal(changes, 2);
  await d.add('p');
  await d.check(1, false);
  await d.remove(1);
  assert.deepEqual(sent, [{ type: 'discuss_add', id: 'r1', poll: 'p' }, { type: 'discuss_check', id: 'r1', item: 1, done: false },
    { type: 'discuss_remove', id: 'r1', item: 1 }]);
});
