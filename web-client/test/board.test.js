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
