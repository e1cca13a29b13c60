// Issue 13 in the browser's state, fed messages shaped as
// protocol/agreement.md says: roles and requests, observers counted apart,
// the sign-off's rows, "changed since", the agreement, what an endorsement
// sends (the committed text at its revision), and the word diff.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { WorkshopStore } from '../src/state/workshop.js';
import { Presence } from '../src/state/presence.js';
import { signoffModel, sha256Hex, sha256HexNow, foldSignoff, NO_SIGNOFF } from '../src/state/signoff.js';
import { Replay } from '../src/state/replay.js';
import { wordDiff } from '../src/state/worddiff.js';
import { may } from '../src/state/roles.js';
import { parse, join } from '../src/protocol/messages.js';
import { FakeClock } from '../dev/sim.js';
import { FakeSession } from './fakes.js';

const sha = (text) => createHash('sha256').update(text, 'utf8').digest('hex');

const welcome = (participant, extra = {}) => ({
  type: 'welcome', id: 1,
  workshop: { id: 'W', title: 'Atelier', state: 'open' },
  participant, token: `${participant.id}.secret`, role: participant.role,
  doc: { rev: 3, text: 'Quoi ?\n' }, polls: [],
  participants: [
    { id: 'pF', name: 'Fanny', organisation: 'Atelier', role: 'facilitator' },
    { id: 'pA', name: 'Awa', organisation: 'Ville de Lyon', role: 'participant' },
    { id: 'pJ', name: 'Jean', organisation: 'Banque Solidaire', role: 'representative' },
    { id: 'pO', name: 'Olga', organisation: '', role: 'observer' },
    { id: 'pP', name: 'Paul', organisation: 'Fondation', role: 'observer' },
  ],
  ...extra,
});

function setup(participant, { observerKey = null } = {}) {
  let session;
  const clock = new FakeClock();
  const store = new WorkshopStore({
    workshopId: 'W', profile: { name: participant.name, organisation: participant.organisation }, key: participant.role === 'facilitator' ? 'k' : null, observerKey,
    createSession: () => (session = new FakeSession()), timers: clock, newOpId: (() => { let n = 0; return () => `o-${++n}`; })(),
    hash: async (t) => sha(t),
  });
  const events = [];
  for (const ev of ['fatal', 'announce', 'role', 'observerLink']) store.on(ev, (...x) => events.push([ev, ...x]));
  return { store, session: () => session, clock, events };
}

const flush = () => new Promise((r) => setImmediate(r));

test('messages: role, signoff and observer_link are read; a bad one is dropped; join carries observer_key', () => {
  assert.ok(parse(JSON.stringify({ type: 'role', participant: 'pA', role: 'representative', by: 'pF', at: 1 })));
  assert.ok(parse(JSON.stringify({ type: 'role', participant: 'pA', role: 'participant', asks: 'representative', at: 1 })));
  assert.equal(parse(JSON.stringify({ type: 'role', participant: 'pA', role: 'king' })), null);
  assert.ok(parse(JSON.stringify({ type: 'observer_link', key: null })));
  const s = { type: 'signoff', open: true, called_at: 5, organisations: [{ org: 'Ville', decision: 'endorsed', rev: 3, sha256: sha('x'), by: 'pA', name: 'Awa', at: 6 }], agreed: null };
  assert.ok(parse(JSON.stringify(s)));
  assert.equal(parse(JSON.stringify({ ...s, organisations: [{ org: 'Ville', decision: 'maybe' }] })), null);
  assert.equal(parse(JSON.stringify({ ...s, agreed: { rev: 1, sha256: 'short', organisations: [] } })), null);
  assert.deepEqual(join({ id: 1, workshop: 'W', name: 'Olga', observerKey: 'OK' }), { type: 'join', id: 1, workshop: 'W', name: 'Olga', observer_key: 'OK' });
  assert.equal(join({ id: 1, workshop: 'W', name: 'F', key: 'K', observerKey: 'OK' }).observer_key, undefined, 'the facilitator key wins');
});

test('rights follow the table of protocol/agreement.md', () => {
  assert.equal(may('observer', 'write'), false);
  assert.equal(may('observer', 'vote'), false);
  assert.equal(may('representative', 'sign'), true);
  assert.equal(may('participant', 'sign'), false);
  assert.equal(may('participant', 'askRepresentative'), true);
  assert.equal(may('representative', 'askRepresentative'), false);
  assert.equal(may('facilitator', 'signoffCall'), true);
  assert.equal(may('facilitator', 'sign'), false);
  assert.equal(may('anything', 'write'), true, 'an unknown role is a participant');
});

test('presence: observers are counted and listed apart; organisations that sign; requests', () => {
  const p = new Presence();
  const w = welcome({ id: 'pF', name: 'Fanny', organisation: 'Atelier', role: 'facilitator' });
  p.reset(w.participant, w.participants);
  assert.equal(p.count, 3);
  assert.equal(p.observerCount, 2);
  assert.deepEqual(p.observers('fr').map((o) => o.name), ['Olga', 'Paul']);
  assert.ok(p.groups(0, 'fr').every((g) => g.members.every((m) => m.role !== 'observer')));
  assert.deepEqual(p.signingOrganisations().sort(), ['Banque Solidaire', 'Ville de Lyon'], 'facilitators and observers make no organisation present');
  assert.deepEqual(p.asking('fr'), []);
  p.setRole('pA', 'participant', 'representative');
  assert.deepEqual(p.asking('fr').map((x) => x.id), ['pA']);
  const c = p.setRole('pA', 'representative', null);
  assert.equal(c.before.role, 'participant');
  assert.equal(c.after.role, 'representative');
  assert.deepEqual(p.asking('fr'), []);
  const g = p.groups(0, 'fr').find((x) => x.organisation === 'Ville de Lyon');
  assert.equal(g.members[0].role, 'representative');
  assert.equal(p.setRole('nobody', 'representative'), null);
});

test('a participant asks, the facilitator accepts: rights follow the role message at once', async () => {
  const { store, session, events } = setup({ id: 'pA', name: 'Awa', organisation: 'Ville de Lyon', role: 'participant' });
  store.start();
  session().welcome(welcome({ id: 'pA', name: 'Awa', organisation: 'Ville de Lyon', role: 'participant' }));
  assert.equal(store.may('sign'), false);
  const asked = store.askRepresentative();
  const req = session().sent.at(-1);
  assert.deepEqual(req, { type: 'representative_request', id: req.id });
  session().deliver({ type: 'role', participant: 'pA', role: 'participant', asks: 'representative', at: 2, id: req.id });
  assert.equal((await asked).ok, true);
  assert.equal(store.presence.person('pA').asks, 'representative');
  session().deliver({ type: 'role', participant: 'pA', role: 'representative', by: 'pF', at: 3 });
  assert.equal(store.role, 'representative');
  assert.equal(store.may('sign'), true);
  assert.equal(store.polls.role, 'representative');
  assert.equal(store.polls.mayAnswer({ kind: 'single', respondents: 'organisations', representatives_only: true }), true, 'a poll limited to representatives is theirs now');
  assert.ok(events.some(([e, k]) => e === 'announce' && k === 'roles.announceYouRepresent'));
  assert.ok(events.some(([e, x]) => e === 'role' && x.self));
});

test('facilitator: role_set, representative_answer and the observer link, with errors by id', async () => {
  const { store, session, events } = setup({ id: 'pF', name: 'Fanny', organisation: 'Atelier', role: 'facilitator' });
  store.start();
  session().welcome(welcome({ id: 'pF', name: 'Fanny', organisation: 'Atelier', role: 'facilitator' }, { observer_key: 'KEY1' }));
  assert.equal(store.observerLinkKey, 'KEY1');
  assert.ok(events.some(([e, k]) => e === 'observerLink' && k === 'KEY1'));

  const made = store.setRole('pA', 'representative');
  const r1 = session().sent.at(-1);
  assert.deepEqual(r1, { type: 'role_set', id: r1.id, participant: 'pA', role: 'representative' });
  session().deliver({ type: 'error', code: 'not_found', re: 'role_set', id: r1.id, message: 'no such participant' });
  assert.equal((await made).error, 'not_found');

  const no = store.answerRepresentative('pA', false);
  const r2 = session().sent.at(-1);
  assert.deepEqual(r2, { type: 'representative_answer', id: r2.id, participant: 'pA', accept: false });
  session().deliver({ type: 'role', participant: 'pA', role: 'participant', by: 'pF', at: 4, id: r2.id });
  assert.equal((await no).ok, true);

  const revoke = store.observerLink('revoke');
  const r3 = session().sent.at(-1);
  assert.deepEqual(r3, { type: 'observer_link', id: r3.id, action: 'revoke' });
  session().deliver({ type: 'observer_link', key: null, id: r3.id });
  assert.equal((await revoke).ok, true);
  assert.equal(store.observerLinkKey, null);
});

test('an observer: joins with the observer key, never sends a caret or an edit, and a revoked link ends the page', () => {
  const me = { id: 'pO', name: 'Olga', organisation: '', role: 'observer' };
  const { store, session, events } = setup(me, { observerKey: 'OK' });
  assert.equal(store._joinFields().observerKey, 'OK');
  store.start();
  session().welcome(welcome(me));
  assert.equal(store.observer, true);
  assert.equal(store.polls.mayAnswer({ kind: 'single', respondents: 'people' }), false);
  store.setSelection([1, 1]);
  store.localEdit([2, 'x']);
  assert.deepEqual(session().sent.filter((m) => m.type === 'cursor' || m.type === 'op'), []);
  session().deliver({ type: 'error', code: 'forbidden', message: 'the observer link was revoked' });
  assert.equal(events.find(([e]) => e === 'fatal')[1].code, 'observer_revoked');
  assert.equal(session().stopped, true);
});

test('signoffModel: each organisation decided or waiting, changed since, the agreement current or not', () => {
  const h1 = sha('v1');
  const h2 = sha('v2');
  const state = {
    open: true, calledAt: 10,
    organisations: [
      { org: 'Ville de Lyon', decision: 'endorsed', rev: 5, sha256: h1, by: 'pA', name: 'Awa', at: 11 },
      { org: 'Banque Solidaire', decision: 'declined', rev: 6, sha256: h2, reason: 'Non', by: 'pJ', name: 'Jean', at: 12 },
    ],
    agreed: { rev: 5, sha256: h1, at: 13, organisations: ['Ville de Lyon'] },
  };
  const m = signoffModel(state, { currentHash: h1, signing: ['Fondation', 'ville de lyon'], mine: 'Banque Solidaire', locale: 'fr' });
  assert.deepEqual(m.rows.map((r) => [r.org, r.status, r.changed, r.present]), [
    ['Banque Solidaire', 'declined', true, false],
    ['Fondation', 'waiting', false, true],
    ['Ville de Lyon', 'endorsed', false, true],
  ]);
  assert.equal(m.agreed.current, true);
  assert.equal(m.mine.org, 'Banque Solidaire');
  const later = signoffModel(state, { currentHash: h2 });
  assert.equal(later.rows.find((r) => r.org === 'Ville de Lyon').changed, true, 'changed since its endorsement');
  assert.equal(later.agreed.current, false, 'the text changed since the agreement');
  assert.equal(signoffModel(state, {}).agreed.current, null, 'unknown until the current hash is computed');
  assert.equal(signoffModel(state, {}).rows.some((r) => r.changed), false);
});

test('the replay: the sign-off as it stood at each moment, from the history\'s events; its steps are key moments', () => {
  const t0 = 1795836000000;
  const hA = sha('Quoi ?\n');
  const hB = sha('Quoi ?\nTout.\n');
  // Events as GET /history gives them (protocol/agreement.md, "Sign-off").
  const events = [
    { id: '1-0', type: 'created', rev: 0, t: t0, title: 'Atelier' },
    { id: '2-0', type: 'arrived', rev: 0, t: t0 + 1, participant: 'pA', name: 'Awa', org: 'Ville', role: 'representative' },
    { id: '3-0', type: 'arrived', rev: 0, t: t0 + 2, participant: 'pJ', name: 'Jean', org: 'Banque', role: 'representative' },
    { id: '4-0', type: 'signoff_called', rev: 0, t: t0 + 3, by: 'pF', name: 'Fanny' },
    { id: '5-0', type: 'endorsed', rev: 0, t: t0 + 4, org: 'Ville', endorsed_rev: 0, sha256: hA, by: 'pA', name: 'Awa' },
    { id: '6-0', type: 'declined', rev: 0, t: t0 + 5, org: 'Banque', sha256: hA, reason: 'Pas encore.', by: 'pJ', name: 'Jean' },
    { id: '7-0', type: 'endorsed', rev: 1, t: t0 + 7, org: 'Ville', endorsed_rev: 1, sha256: hB, by: 'pA', name: 'Awa' },
    { id: '8-0', type: 'endorsed', rev: 1, t: t0 + 8, org: 'Banque', endorsed_rev: 1, sha256: hB, by: 'pJ', name: 'Jean' },
    { id: '8-1', type: 'agreed', rev: 1, t: t0 + 8, sha256: hB, organisations: ['Banque', 'Ville'] },
    { id: '9-0', type: 'signoff_closed', rev: 1, t: t0 + 9, by: 'pF', name: 'Fanny' },
  ];
  const rp = new Replay();
  rp.addMarks(events);
  rp.finishMarks(1);
  const at = (id) => rp.momentAt(rp.markPos[events.findIndex((e) => e.id === id)]).signoff;
  assert.equal(at('3-0'), NO_SIGNOFF, 'nothing before the call');
  assert.deepEqual(at('4-0'), { open: true, calledAt: t0 + 3, organisations: [], agreed: null });
  // The Banque's decline, at the workshop's revision then, with its reason; the Ville's endorsement stays.
  assert.deepEqual(at('6-0').organisations.map((d) => [d.org, d.decision, d.rev, d.sha256, d.name, d.at, d.reason]), [
    ['Banque', 'declined', 0, hA, 'Jean', t0 + 5, 'Pas encore.'],
    ['Ville', 'endorsed', 0, hA, 'Awa', t0 + 4, undefined],
  ]);
  // "Changed since" at that moment, against the text then: the edit makes both decisions stale.
  const model = signoffModel(at('6-0'), { currentHash: hB, signing: ['Ville', 'Banque'] });
  assert.deepEqual(model.rows.map((r) => [r.org, r.status, r.changed]), [['Banque', 'declined', true], ['Ville', 'endorsed', true]]);
  // Each organisation's latest decision; the agreement; the close keeps them.
  assert.deepEqual(at('8-1').organisations.map((d) => [d.org, d.decision, d.rev]), [['Banque', 'endorsed', 1], ['Ville', 'endorsed', 1]]);
  assert.deepEqual(at('8-1').agreed, { rev: 1, sha256: hB, at: t0 + 8, organisations: ['Banque', 'Ville'] });
  assert.equal(at('8-0').agreed, null, 'not agreed before the agreement\'s event');
  const closed = at('9-0');
  assert.equal(closed.open, false);
  assert.equal(closed.organisations.length, 2);
  assert.equal(signoffModel(closed, { currentHash: hB }).agreed.current, true);
  // Every step of the sign-off is a key moment on the timeline, in order.
  assert.deepEqual(rp.timelineMarks().filter((m) => m.kind === 'signoff').map((m) => m.event.id), ['4-0', '5-0', '6-0', '7-0', '8-0', '8-1', '9-0']);
  // A malformed event changes nothing.
  assert.equal(foldSignoff(closed, { type: 'endorsed', org: 'Ville', sha256: 'nope' }), closed);
  assert.equal(foldSignoff(closed, { type: 'agreed', sha256: hB }), closed);
  assert.equal(sha256HexNow('Quoi ?\n'), hA);
});

test('sha256Hex: the UTF-8 bytes, lower-case hex', async () => {
  assert.equal(await sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(await sha256Hex('Quoi ?\n🌍 é'), sha('Quoi ?\n🌍 é'));
});

test('sha256Hex without Web Crypto (plain http to another machine): the same digest, a 1 MB text too', async () => {
  for (const text of ['', 'abc', 'Quoi ?\n🌍 é', 'é'.repeat(70000)]) {
    assert.equal(await sha256Hex(text, undefined), sha(text), `${text.length} code units`);
  }
  const big = 'Nous voulons des quartiers où chacun·e trouve sa place 🤝\n'.repeat(18000); // about 1 MB
  assert.ok(Buffer.byteLength(big) > 1e6);
  assert.equal(await sha256Hex(big, null), sha(big));
});

test('endorse sends the committed text\'s revision and hash, not local edits; decline checks its reason', async () => {
  const me = { id: 'pJ', name: 'Jean', organisation: 'Banque Solidaire', role: 'representative' };
  const { store, session, clock } = setup(me);
  store.start();
  session().welcome(welcome(me, { signoff: { open: true, called_at: 1, organisations: [], agreed: null } }));
  clock.advance(0);
  await flush();
  assert.equal(store.signoff.currentHash, sha('Quoi ?\n'));
  store.localEdit([7, 'pas encore envoyé']); // in flight, not acknowledged
  const done = store.signoff.endorse();
  await flush();
  const req = session().sent.at(-1);
  assert.deepEqual(req, { type: 'endorse', id: req.id, rev: 3, sha256: sha('Quoi ?\n') });
  session().deliver({ type: 'signoff', id: req.id, open: true, called_at: 1, organisations: [{ org: 'Banque Solidaire', decision: 'endorsed', rev: 3, sha256: sha('Quoi ?\n'), by: 'pJ', name: 'Jean', at: 2 }], agreed: null });
  assert.equal((await done).ok, true);
  assert.equal(store.signoff.model({ mine: 'Banque Solidaire' }).mine.status, 'endorsed');

  // Our edit is acknowledged: the committed text moves on, its hash follows (debounced).
  const op = session().sent.find((m) => m.type === 'op');
  session().deliver({ type: 'ack', id: op.id, rev: 3 });
  clock.advance(1000);
  await flush();
  assert.equal(store.signoff.currentHash, sha('Quoi ?\npas encore envoyé'));
  assert.equal(store.signoff.model({}).rows[0].changed, true);

  assert.deepEqual((await store.signoff.decline('   ')).invalid.error, 'poll.errRequired');
  assert.equal((await store.signoff.decline('x'.repeat(501))).invalid.max, 500);
  const d = store.signoff.decline('  La partie\n« Comment ? » ne nous engage pas. ');
  const dreq = session().sent.at(-1);
  assert.equal(dreq.type, 'decline');
  assert.equal(dreq.reason, 'La partie « Comment ? » ne nous engage pas.');
  session().deliver({ type: 'error', code: 'bad_request', re: 'decline', id: dreq.id, message: 'no sign-off is open' });
  assert.equal((await d).error, 'bad_request');
});

test('sign-off announcements: called, an organisation decides, agreement', () => {
  const me = { id: 'pA', name: 'Awa', organisation: 'Ville de Lyon', role: 'participant' };
  const { store, session } = setup(me);
  const said = [];
  store.signoff.on('announce', (k) => said.push(k));
  store.start();
  session().welcome(welcome(me));
  const base = { type: 'signoff', called_at: 1, agreed: null };
  session().deliver({ ...base, open: true, organisations: [] });
  session().deliver({ ...base, open: true, organisations: [{ org: 'Banque Solidaire', decision: 'endorsed', rev: 3, sha256: sha('Quoi ?\n'), at: 2 }] });
  session().deliver({ ...base, open: true, organisations: [{ org: 'Banque Solidaire', decision: 'endorsed', rev: 3, sha256: sha('Quoi ?\n'), at: 2 }], agreed: { rev: 3, sha256: sha('Quoi ?\n'), at: 3, organisations: ['Banque Solidaire'] } });
  assert.deepEqual(said, ['signoff.announceCalled', 'signoff.announceEndorsed', 'signoff.announceAgreed']);
});

test('wordDiff: words in and out, unchanged stretches folded with their size', () => {
  const before = 'Nous voulons que les enfants de la ville aient accès au sport. '.repeat(4) + 'Fin.';
  const after = before.replace('enfants', 'jeunes').replace('Fin.', 'Fin du texte.');
  const d = wordDiff(before, after);
  assert.deepEqual(d.parts.filter((p) => p.kind === 'del').map((p) => p.text), ['enfants']);
  assert.deepEqual(d.parts.filter((p) => p.kind === 'ins').map((p) => p.text.trim()), ['jeunes', 'du texte']);
  const gap = d.parts.find((p) => p.kind === 'gap');
  assert.ok(gap && gap.chars > 0);
  // Nothing is lost: the shown parts plus the gaps give back both texts' lengths.
  const len = (kinds) => d.parts.reduce((n, p) => n + (p.kind === 'gap' ? p.chars : kinds.includes(p.kind) ? [...p.text].length : 0), 0);
  assert.equal(len(['same', 'del']), [...before].length);
  assert.equal(len(['same', 'ins']), [...after].length);
  assert.deepEqual(wordDiff('a b', 'a b'), { parts: [{ kind: 'same', text: 'a b' }], inserted: 0, deleted: 0, same: true });
  assert.equal(wordDiff('', 'Quoi ?').inserted, 2);
  const whole = wordDiff(before, after, { context: Infinity });
  assert.equal(whole.parts.some((p) => p.kind === 'gap'), false);
});
