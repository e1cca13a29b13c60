// The priorities board's store (state/board.js): the three columns as the
// server's core/board_match.c makes them, the statement line of a group,
// what a role may do, and the board messages.
import test from 'node:test';
import assert from 'node:assert/strict';
import { BoardStore, classify, statementLine } from '../src/state/board.js';

const item = (id, org, title, group) => ({ id, org, kind: 'priority', title, why: '', by: 'p', at: 0, ...(group ? { group } : {}) });

test('columns: common to all, shared by some, unique to one', () => {
  const board = {
    settings: { visibility: 'revealed', revealed: true, grouping: 'facilitator' },
    items: [item('a1', 'Ville', 'Accès aux droits', 'g1'), item('b1', 'Banque', "l'accès au droit", 'g1'), item('c1', 'Asso', 'Accès', 'g1'),
      item('a2', 'Ville', 'Emploi', 'g2'), item('b2', 'banque ', 'Emploi des jeunes', 'g2'), item('c2', 'Asso', 'Logement')],
    groups: [{ id: 'g1', items: ['a1', 'b1', 'c1'] }, { id: 'g2', items: ['a2', 'b2'] }],
  };
  const { orgs, clusters } = classify(board);
  assert.deepEqual(orgs, ['Ville', 'Banque', 'Asso'], 'one organisation written two ways is one');
  assert.deepEqual(clusters.map((c) => [c.cls, c.items.map((i) => i.id)]),
    [['common', ['a1', 'b1', 'c1']], ['shared', ['a2', 'b2']], ['unique', ['c2']]]);
  assert.equal(statementLine(clusters[0]), "Accès aux droits / l'accès au droit / Accès");
  // One organisation alone: nothing is common.
  const one = classify({ items: [item('x', 'Ville', 'A', 'g'), item('y', 'Ville', 'B', 'g')], groups: [{ id: 'g', items: ['x', 'y'] }] });
  assert.deepEqual(one.clusters.map((c) => c.cls), ['unique']);
});

test('the store: the whole board from each message, rights by role', () => {
  const sent = [];
  const s = new BoardStore({ request: (make) => { sent.push(make('r1')); return Promise.resolve({ ok: true }); } });
  let changes = 0;
  s.on('change', () => changes++);
  s.welcome({ settings: { visibility: 'revealed', revealed: false, grouping: 'representatives' }, items: [item('a1', 'Ville', 'A')], groups: [] }, 'representative', 'Ville');
  assert.equal(s.ownItems.length, 1);
  assert.ok(s.mayGroup, 'a representative groups when allowed');
  assert.ok(s.receive({ type: 'board', id: 'r1', settings: { visibility: 'live', revealed: false, grouping: 'facilitator' }, items: [], groups: [] }));
  assert.ok(!s.mayGroup && s.open && s.items.length === 0);
  assert.equal(s.receive({ type: 'agenda' }), false);
  s.setRole('observer');
  assert.ok(!s.mayWrite);
  s.group(['b', 'a']);
  s.edit('a1', { why: 'Parce que' });
  assert.deepEqual(sent, [{ type: 'board_group', id: 'r1', items: ['b', 'a'] }, { type: 'board_edit', id: 'r1', item: 'a1', why: 'Parce que' }]);
  assert.equal(changes, 3);
});

test('the replay folds the board from the history: items, edits, groups, a reveal\'s snapshot', async () => {
  const { foldBoard, NO_BOARD } = await import('../src/state/board.js');
  const ev = (type, board, extra = {}) => ({ type, board, by: 'p', name: 'Awa', t: 10, ...extra });
  let b = foldBoard(NO_BOARD, ev('board_added', { item: 'a', org: 'Ville', kind: 'strength', title: 'A', why: '' }, { t: 1 }));
  b = foldBoard(b, ev('board_edited', { item: 'a', org: 'Ville', why: 'Parce que' }));
  assert.deepEqual(b.items.map((i) => [i.id, i.kind, i.title, i.why]), [['a', 'strength', 'A', 'Parce que']]);
  assert.equal(foldBoard(b, { type: 'poll_opened' }), b, 'not the board\'s: the same object');
  // The public history left out b and c (written while hidden): the reveal brings them.
  b = foldBoard(b, ev('board_revealed', { settings: { visibility: 'revealed', revealed: true, grouping: 'facilitator' },
    snapshot: { items: [{ item: 'c', org: 'Asso', kind: 'priority', title: 'C', why: '', at: 3 }, { item: 'b', org: 'Banque', kind: 'priority', title: 'B', why: '', at: 2 }],
      groups: { g: ['a', 'b'] } } }));
  assert.deepEqual(b.items.map((i) => i.id), ['a', 'b', 'c']);
  assert.deepEqual(b.groups, [{ id: 'g', items: ['a', 'b'] }]);
  assert.equal(b.settings.revealed, true);
  b = foldBoard(b, ev('board_deleted', { item: 'b', org: 'Banque', title: 'B', groups: { g: [] } }));
  assert.deepEqual(b.groups, []);
  assert.deepEqual(b.items.map((i) => [i.id, i.group]), [['a', undefined], ['c', undefined]]);
});
