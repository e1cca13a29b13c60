// Issue 13's last web pieces: polls limited to representatives
// (protocol/polls.md, "Limited to representatives") from the form to the
// ballot, and the join page's organisations and count (observers apart).
import test from 'node:test';
import assert from 'node:assert/strict';
import { parse, pollCreate, pollEdit } from '../src/protocol/messages.js';
import { PollStore, checkDefinition, formOf, representativesOnly, mayAnswer } from '../src/state/polls.js';
import { organisationsOf, countApart, Presence } from '../src/state/presence.js';
import { FakeClock } from '../dev/sim.js';

const poll = (over = {}) => ({
  id: 'P1', kind: 'single', question: 'Commun ?', choices: ['Commun', 'Propre', 'Je ne sais pas'],
  state: 'open', results: 'live', created: 1000, respondents: 'organisations', threshold: 1, representatives_only: true, ...over,
});

function pollStore(role, polls = [poll()]) {
  const sent = [];
  const store = new PollStore({ send: (m) => { sent.push(m); return true; }, timers: new FakeClock(), random: () => 0.5 });
  store.welcome(polls, role);
  return { store, sent };
}

test('messages: a poll says representatives_only as a boolean; poll_create and poll_edit carry it only for organisations', () => {
  assert.ok(parse(JSON.stringify({ type: 'poll', poll: poll() })));
  assert.equal(parse(JSON.stringify({ type: 'poll', poll: poll({ representatives_only: 'yes' }) })), null);
  const def = { kind: 'single', question: 'Q ?', choices: ['a', 'b'], respondents: 'organisations', representatives_only: true };
  assert.deepEqual(pollCreate(1, def), { type: 'poll_create', id: 1, kind: 'single', question: 'Q ?', choices: ['a', 'b'], respondents: 'organisations', threshold: 1, representatives_only: true });
  assert.equal(pollEdit(2, 'P1', def).representatives_only, true);
  assert.equal(pollCreate(1, { ...def, representatives_only: false }).representatives_only, undefined, 'false is the default: not said');
  assert.equal(pollCreate(1, { ...def, respondents: 'people' }).representatives_only, undefined, 'never for people');
  assert.equal(pollCreate(1, { kind: 'text', question: 'Q ?', respondents: 'organisations', representatives_only: true }).representatives_only, undefined, 'never for text polls');
});

test('the form: "only representatives" goes with organisation answers, and is kept when a draft is edited', () => {
  const f = { kind: 'scale', question: 'Q ?', respondents: 'organisations', representativesOnly: true };
  assert.deepEqual(checkDefinition(f).def, { kind: 'scale', question: 'Q ?', respondents: 'organisations', threshold: 1, representatives_only: true });
  assert.equal(checkDefinition({ ...f, respondents: 'people' }).def.representatives_only, undefined);
  assert.equal(checkDefinition({ ...f, representativesOnly: false }).def.representatives_only, undefined);
  assert.equal(formOf(poll({ state: 'draft' }), 'fr').representativesOnly, true);
  assert.equal(formOf(poll({ representatives_only: undefined }), 'fr').representativesOnly, false);
  // A poll of people that somehow says it is not limited: only organisations are.
  assert.equal(representativesOnly(poll({ respondents: 'people' })), false);
});

test('who answers: on a poll limited to representatives only they do; the facilitator and other members do not', () => {
  const limited = poll();
  const open = poll({ representatives_only: undefined });
  assert.deepEqual(['facilitator', 'representative', 'participant', 'observer'].map((r) => mayAnswer(limited, r)), [false, true, false, false]);
  assert.deepEqual(['facilitator', 'representative', 'participant', 'observer'].map((r) => mayAnswer(open, r)), [true, true, true, false]);
});

test('a participant sends no vote on a poll limited to representatives; made one, they vote at once', () => {
  const { store, sent } = pollStore('participant');
  assert.equal(store.vote('P1', 1), false);
  assert.equal(store.ballotOf('P1').status, 'none');
  assert.deepEqual(sent, []);
  // The organisation's answer, given by its representative, is shown all the same.
  store.receive({ type: 'my_ballot', poll: 'P1', ballot: 0, by: { participant: 'pJ', name: 'Jean' }, at: 5 });
  assert.deepEqual([store.ballotOf('P1').ballot, store.setBy('P1').name], [0, 'Jean']);

  let changed = 0;
  store.on('change', () => changed++);
  store.setRole('representative');
  assert.ok(changed > 0, 'the cards redraw with their controls');
  assert.equal(store.mayAnswer(store.get('P1').poll), true);
  assert.equal(store.vote('P1', 2), true);
  assert.deepEqual(sent.map((m) => [m.type, m.ballot]), [['vote', 2]]);
});

test('a representative made a participant again: a ballot not yet confirmed is dropped and said, not sent to be refused', () => {
  const { store, sent } = pollStore('representative');
  store.vote('P1', 1);
  assert.equal(sent.length, 1);
  store.disconnected(); // the vote will never be answered
  store.setRole('participant');
  assert.equal(store.ballotOf('P1').status, 'none');
  assert.equal(store.get('P1').notice.key, 'poll.noticeNotSent');
  store.welcome([poll()], 'participant');
  assert.equal(sent.length, 1, 'nothing sent again after the reconnect');
});

test('the join page\'s organisations: only those of people taking part, never an observer\'s, never "none"', () => {
  // As GET /api/workshops/ID gives `present`.
  const present = [
    { name: 'Awa', organisation: 'Ville de Lyon', role: 'facilitator' },
    { name: 'Jean', organisation: 'Banque Solidaire', role: 'representative' },
    { name: 'Inès', organisation: 'banque solidaire ', role: 'participant' },
    { name: 'Olga', organisation: '', role: 'observer' },
    { name: 'Paul', organisation: 'Fondation du Rhône', role: 'observer' },
    { name: 'Zoé', organisation: '  ' },
  ];
  assert.deepEqual(organisationsOf(present), ['Ville de Lyon', 'Banque Solidaire']);
  assert.deepEqual(countApart(present), { people: 4, observers: 2 }, 'a person without a role takes part');
  assert.deepEqual(countApart([]), { people: 0, observers: 0 });
  // The live presence reads the same way.
  const p = new Presence();
  p.reset({ id: 'a', ...present[0] }, present.slice(1).map((x, i) => ({ id: `p${i}`, ...x })));
  assert.deepEqual(p.organisations(), ['Ville de Lyon', 'Banque Solidaire']);
  assert.deepEqual([p.count, p.observerCount], [4, 2]);
});
