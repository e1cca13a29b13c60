// The contribution balance (state/balance.js) from `balance` messages shaped
// as protocol/agreement.md says, and the replay's chapters, timer and
// balance at any moment, computed from history events (state/replay.js).
import test from 'node:test';
import assert from 'node:assert/strict';
import { summarise, opWriting, foldVotes, balanceRows, NO_VOTES, WritingTally } from '../src/state/balance.js';
import { Replay } from '../src/state/replay.js';
import { timeLeft } from '../src/state/agenda.js';

const MIN = 60000;

test('shares, sorted by writing, and the dominant partner only while several are present', () => {
  const orgs = [
    { org: 'Banque Solidaire', inserted: 100, deleted: 0, ballots: 2, answers: 0, present: 1 },
    { org: 'Ville de Lyon', inserted: 812, deleted: 40, ballots: 6, answers: 3, present: 2 },
    { org: 'Asso', inserted: 48, deleted: 0, ballots: 0, answers: 1, present: 1 },
  ];
  const s = summarise(orgs);
  assert.deepEqual(s.rows.map((r) => r.org), ['Ville de Lyon', 'Banque Solidaire', 'Asso']);
  assert.equal(s.totals.writing, 1000);
  assert.equal(s.rows[0].writing, 852);
  assert.equal(s.rows[0].writingShare, 0.852);
  assert.equal(s.rows[0].votesShare, 9 / 12);
  assert.equal(s.rows[0].presentShare, 0.5);
  assert.equal(s.dominant, 'Ville de Lyon');
  // Alone in the room, nobody dominates; at exactly half, neither.
  assert.equal(summarise([{ ...orgs[1] }, { ...orgs[0], present: 0 }]).dominant, null);
  assert.equal(summarise([{ org: 'A', inserted: 50, present: 1 }, { org: 'B', inserted: 50, present: 1 }]).dominant, null);
  // Nothing yet: no division by zero.
  const empty = summarise([{ org: 'A', present: 1 }]);
  assert.equal(empty.rows[0].writingShare, 0);
  assert.equal(empty.dominant, null);
  assert.deepEqual(summarise(undefined).rows, []);
  // Nonsense counts count as nothing.
  assert.equal(summarise([{ org: 'A', inserted: -5, deleted: 1.5, present: 'x' }]).rows[0].writing, 0);
});

test('writing, ballots and answers counted from history events', () => {
  assert.deepEqual(opWriting([3, 'é😀', { d: 2 }, 4, { d: 'ab' }]), { ins: 2, del: 4 });
  let v = NO_VOTES;
  v = foldVotes(v, { type: 'ballot', poll: {}, organisation: { name: 'Ville', ballot: 0 } });
  v = foldVotes(v, { type: 'ballot', poll: {} });
  v = foldVotes(v, { type: 'answer', poll: {} });
  v = foldVotes(v, { type: 'upvote', poll: {}, org: 'Banque' });
  assert.equal(foldVotes(v, { type: 'arrived' }), v);
  assert.deepEqual([...v.byOrg], [['Ville', { ballots: 1, answers: 0 }], ['Banque', { ballots: 0, answers: 1 }]]);
  assert.deepEqual(v.unattributed, { ballots: 1, answers: 1 });
  assert.deepEqual(NO_VOTES.unattributed, { ballots: 0, answers: 0 }, 'never mutated');
  const w = new WritingTally();
  w.add('Ville', ['abc']);
  w.add('ville ', [1, { d: 1 }]);
  w.add(null, ['zz']);
  const rows = balanceRows({
    writing: w.byOrg, votes: v,
    present: [{ org: 'Ville', role: 'participant', count: 2 }, { org: 'Banque', role: 'representative' }, { org: 'Fonds', role: 'observer' }, { org: 'Ville', role: 'facilitator' }],
  });
  assert.deepEqual(rows, [
    { org: 'Ville', inserted: 3, deleted: 1, ballots: 1, answers: 0, present: 1 },
    { org: 'Banque', inserted: 0, deleted: 0, ballots: 0, answers: 1, present: 1 },
  ], 'one organisation however spelt; unknown authors, observers and facilitators left out');
});

/** A workshop's history: three organisations write while the facilitator runs two phases. */
function history() {
  const t0 = 1795836000000;
  let t = t0;
  let rev = 0;
  let n = 0;
  const events = [];
  const at = (dt, x) => events.push({ id: `${(t += dt)}-${n++}`, t, rev, ...x });
  const op = (dt, org, o) => { at(dt, { type: 'op', author: org, org, op: o }); rev++; };
  at(0, { type: 'created', title: 'Partenariat' });
  at(1000, { type: 'agenda_changed', phases: [{ id: 'what', title: 'Quoi\u202f?', minutes: 20, preset: 'what' }, { id: 'why', title: 'Pourquoi\u202f?', minutes: 20, preset: 'why' }] });
  for (const [p, org] of [['a', 'Ville'], ['b', 'Banque'], ['c', 'Asso']]) at(500, { type: 'arrived', participant: p, name: p, org, role: 'participant' });
  at(1000, { type: 'phase_started', phase: 'what', title: 'Quoi\u202f?', minutes: 20 });
  op(1000, 'Ville', ['Nous voulons']);
  op(1000, 'Banque', [12, ' agir']);
  at(1000, { type: 'phase_paused', phase: 'what' });
  at(2 * MIN, { type: 'phase_resumed', phase: 'what' });
  op(1000, 'Ville', [{ d: 3 }, 'Vous']);
  at(1000, { type: 'ballot', poll: { id: 'P' }, organisation: { name: 'Asso', ballot: 1 } });
  at(1000, { type: 'phase_extended', phase: 'what', minutes: 5 });
  at(1000, { type: 'phase_started', phase: 'why', title: 'Pourquoi\u202f?', minutes: 20 });
  op(1000, 'Asso', [17, '.']);
  return { t0, events };
}

test('the replay: chapters, the timer and the balance at any moment', () => {
  const { events } = history();
  const rp = new Replay({ checkpointEvery: 2 });
  rp.addMarks(events.filter((e) => e.type !== 'op'));
  rp.finishMarks(4);
  rp.setBase('');
  rp.addEvents(events);
  rp.build();
  const chapters = rp.chapters();
  assert.deepEqual(chapters.map((c) => c.event.phase), ['what', 'why']);
  assert.ok(rp.timelineMarks().some((m) => m.kind === 'chapter' && m.pos === chapters[1].pos), 'chapters are timeline marks (laid out with the others)');
  // Jumping to a chapter: the phase under way there and its full time.
  const first = rp.agendaAt(chapters[0].pos);
  assert.equal(first.agenda.timer.phase, 'what');
  assert.equal(timeLeft(first.agenda.timer, first.t).ms, 20 * MIN);
  // Just before the second chapter: paused 2 min (not counted), extended 5.
  const before = rp.agendaAt(chapters[1].pos - 1);
  const elapsedRunning = before.t - first.t - 2 * MIN;
  assert.equal(timeLeft(before.agenda.timer, before.t).ms, 25 * MIN - elapsedRunning);
  assert.equal(rp.agendaAt(chapters[1].pos).agenda.timer.phase, 'why');
  // The balance at the first chapter: nothing written yet; at the end: everything.
  const start = rp.balanceAt(chapters[0].pos);
  assert.deepEqual(start.organisations.map((o) => [o.org, o.inserted, o.present]), [['Ville', 0, 1], ['Banque', 0, 1], ['Asso', 0, 1]]);
  const end = rp.balanceAt(rp.length - 1);
  const by = Object.fromEntries(end.organisations.map((o) => [o.org, o]));
  assert.deepEqual([by.Ville.inserted, by.Ville.deleted, by.Banque.inserted, by.Asso.inserted, by.Asso.ballots], [16, 3, 5, 1, 1]);
  // Whatever checkpoint it starts from, the balance is the sum of the ops before.
  for (let pos = 0; pos < rp.length; pos++) {
    const rev = rp.revAt(pos);
    const sum = new WritingTally();
    for (let r = 0; r < rev; r++) sum.add(rp.orgs[rp.opOrg[r]], rp.ops[r]);
    assert.deepEqual(rp.writingAt(rev), sum.byOrg, `at ${pos}`);
  }
  // Not loaded yet: no balance rather than a wrong one.
  const partial = new Replay({ checkpointEvery: 2 });
  partial.addMarks(events.filter((e) => e.type !== 'op'));
  partial.finishMarks(4);
  assert.equal(partial.balanceAt(partial.length - 1), null);
});
