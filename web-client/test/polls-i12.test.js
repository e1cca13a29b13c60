// Issue 12 in the poll state, with fake messages shaped as the contract
// (/tmp/issue12-contract.md, part A) says the server will send them:
// organisation answers, the per-poll threshold, translations, "Lancer" in
// one step (and in three against a server from before), text answers
// written offline, half-typed answers kept across a reload.
import test from 'node:test';
import assert from 'node:assert/strict';
import { parse, pollCreate } from '../src/protocol/messages.js';
import {
  PollStore, resultsModel, localized, thresholdOf, checkDefinition, byOrganisations, formOf, refusalKey, REFUSAL_AUDIENCES,
} from '../src/state/polls.js';
import { readFileSync } from 'node:fs';
import { FakeClock } from '../dev/sim.js';

const poll = (over = {}) => ({
  id: 'P1', kind: 'single', question: 'Commun ?', choices: ['Commun', 'Propre', 'Je ne sais pas'],
  state: 'open', results: 'hidden', created: 1000, ...over,
});
const last = (arr) => arr[arr.length - 1];

function setup({ role = 'participant', polls = [poll()], joined = true, saved = null, manualBarrier = false } = {}) {
  const clock = new FakeClock();
  const sent = [];
  const link = { joined };
  const stored = { value: saved };
  const barriers = [];
  const store = new PollStore({
    send: (m) => {
      if (!link.joined) return false;
      sent.push(m);
      return true;
    },
    joined: () => link.joined,
    timers: clock,
    random: () => 0.5,
    persist: { load: () => stored.value, save: (v) => { stored.value = JSON.parse(JSON.stringify(v)); } },
    barrier: manualBarrier ? (fn) => barriers.push(fn) : (fn) => fn(),
  });
  store.welcome(polls, role);
  return { store, sent, link, clock, stored, barriers };
}

test('the new fields parse; bad ones drop the message', () => {
  assert.ok(parse(JSON.stringify({ type: 'poll', poll: poll({ respondents: 'organisations', threshold: 1, translations: { fr: { question: 'Q ?', choices: ['a', 'b', 'c'] }, en: { question: 'Q?', choices: ['a', 'b', 'c'] } } }) })));
  assert.equal(parse(JSON.stringify({ type: 'poll', poll: poll({ respondents: 'everyone' }) })), null);
  assert.equal(parse(JSON.stringify({ type: 'poll', poll: poll({ translations: { de: { question: 'F?' } } }) })), null);
  assert.ok(parse('{"type":"results","poll":"P1","respondents":2,"counts":[1,1,0],"threshold":1,"organisations":[{"name":"Banque","respondents":1,"counts":[1,0,0],"by":"Awa","at":1733480000000},{"name":"Ville","respondents":1,"counts":[0,1,0],"by":"Jean","at":1733480000001}],"other":null,"alignment":{"divergence":1,"label":"divergent","organisations":2}}'));
  assert.ok(parse('{"type":"my_ballot","poll":"P1","ballot":1,"by":{"participant":"p1","name":"Awa"},"at":1733480000000}'));
  assert.ok(parse('{"type":"workshop","state":"ended","at":1733480000000,"by":"p1"}'));
  assert.ok(parse('{"type":"workshop","state":"deleted"}'));
  assert.equal(parse('{"type":"workshop","state":"paused"}'), null);
});

test('poll_create carries open, visibility, respondents, threshold and translations only when they say something', () => {
  const base = { kind: 'single', question: 'Q ?', choices: ['a', 'b'] };
  assert.deepEqual(pollCreate(1, base), { type: 'poll_create', id: 1, ...base });
  assert.deepEqual(pollCreate(1, { ...base, threshold: 3 }), { type: 'poll_create', id: 1, ...base });
  assert.deepEqual(pollCreate(1, { ...base, threshold: 5 }), { type: 'poll_create', id: 1, ...base, threshold: 5 });
  assert.deepEqual(pollCreate(1, { ...base, respondents: 'organisations', threshold: 7 }, { open: true, visibility: 'live' }),
    { type: 'poll_create', id: 1, ...base, respondents: 'organisations', threshold: 1, open: true, visibility: 'live' });
  const text = pollCreate(1, { kind: 'text', question: 'Q ?', respondents: 'organisations' });
  assert.equal(text.respondents, undefined, 'never for text polls');
});

test('the form: threshold 2..10 for people, always 1 for organisations, none for text polls', () => {
  const f = { kind: 'single', question: 'Q ?', choices: ['a', 'b'] };
  assert.equal(checkDefinition({ ...f, threshold: '' }).def.threshold, undefined);
  assert.equal(checkDefinition({ ...f, threshold: '5' }).def.threshold, 5);
  for (const bad of ['1', '11', '2.5', 'trois']) assert.equal(checkDefinition({ ...f, threshold: bad }).errors.threshold.error, 'poll.errThreshold', bad);
  const org = checkDefinition({ ...f, respondents: 'organisations', threshold: '1' }).def;
  assert.deepEqual([org.respondents, org.threshold], ['organisations', 1]);
  assert.equal(checkDefinition({ kind: 'text', question: 'Q ?', respondents: 'organisations' }).def.respondents, undefined);
});

test('each person reads a ready-made question in their language; typed ones stay as typed', () => {
  const p = poll({ question: 'Commun ?', translations: { fr: { question: 'Commun ?', choices: ['Oui', 'Non', 'NSP'] }, en: { question: 'Shared?', choices: ['Yes', 'No', 'DK'] } } });
  assert.deepEqual(localized(p, 'en'), { question: 'Shared?', choices: ['Yes', 'No', 'DK'] });
  assert.deepEqual(localized(p, 'fr').choices, ['Oui', 'Non', 'NSP']);
  assert.deepEqual(localized(poll(), 'en'), { question: 'Commun ?', choices: ['Commun', 'Propre', 'Je ne sais pas'] });
  // A translation that does not fit (wrong number of choices) is not used.
  assert.equal(localized(poll({ translations: { en: { question: 'X', choices: ['a'] } } }), 'en').question, 'Commun ?');
  const scale = poll({ kind: 'scale', choices: undefined, question: 'Vision', translations: { en: { question: 'Vision (en)' } } });
  assert.deepEqual(localized(scale, 'en'), { question: 'Vision (en)', choices: undefined });
  // Results are labelled in the reader's language.
  const m = resultsModel(p, { poll: 'P1', respondents: 1, counts: [1, 0, 0], organisations: [], other: null, alignment: null }, 'en');
  assert.deepEqual(m.rows.map((r) => r.label), ['Yes', 'No', 'DK']);
  // Announcements too.
  const { store } = setup({ polls: [] });
  const said = [];
  store.on('announce', (k, params) => said.push(params.question));
  store.lang = 'en';
  store.receive({ type: 'poll', poll: p });
  assert.deepEqual(said, ['Shared?']);
});

test('editing a ready-made draft in the other language keeps both languages', () => {
  const translations = { fr: { question: 'Commun ?', choices: ['Oui', 'Non', 'NSP'] }, en: { question: 'Shared?', choices: ['Yes', 'No', 'DK'] } };
  // Created by a French facilitator, edited by an English-speaking one (or after switching language).
  const p = poll({ state: 'draft', question: 'Commun ?', choices: ['Oui', 'Non', 'NSP'], translations });
  const form = formOf(p, 'en');
  assert.deepEqual([form.question, form.choices], ['Shared?', ['Yes', 'No', 'DK']], 'the form shows what the card shows');
  const onlyThreshold = checkDefinition({ ...form, threshold: '4' }).def;
  assert.deepEqual(onlyThreshold.translations, translations, 'French participants still read French');
  assert.equal(onlyThreshold.threshold, 4);
  // In French, or as created, the same.
  assert.deepEqual(checkDefinition({ ...formOf(p, 'fr'), threshold: '4' }).def.translations, translations);
  assert.deepEqual(checkDefinition(formOf(poll({ state: 'draft', question: 'Vieux ?', choices: ['a', 'b', 'c'], translations }), 'de')).def.translations, translations);
  // A changed text is sent as typed.
  assert.equal(checkDefinition({ ...form, question: 'Shared with whom?' }).def.translations, undefined);
  assert.equal(checkDefinition({ ...form, choices: ['Yes', 'No', 'Maybe'] }).def.translations, undefined);
});

test('organisation answers: every organisation by name with who set its answer; the threshold is said', () => {
  const p = poll({ respondents: 'organisations', threshold: 1 });
  assert.ok(byOrganisations(p));
  const r = {
    poll: 'P1', respondents: 3, counts: [2, 1, 0], threshold: 1,
    organisations: [
      { name: 'Association des Habitants', respondents: 1, counts: [1, 0, 0], by: 'Inès', at: 3 },
      { name: 'Banque', respondents: 1, counts: [0, 1, 0], by: 'Jean', at: 2 },
      { name: 'Ville de Lyon', respondents: 1, counts: [1, 0, 0], by: 'Awa', at: 1 }],
    other: null, alignment: { divergence: 0.6667, label: 'divergent', organisations: 3 },
  };
  const m = resultsModel(p, r);
  assert.equal(m.mode, 'organisations');
  assert.equal(m.threshold, 1);
  assert.deepEqual(m.groups.map((g) => [g.name, g.by]), [['Association des Habitants', 'Inès'], ['Banque', 'Jean'], ['Ville de Lyon', 'Awa']]);
  assert.equal(m.unplaced, 0);
  assert.equal(thresholdOf(poll({ threshold: 4 }), null), 4);
  assert.equal(thresholdOf(poll(), { threshold: 2 }), 2);
  assert.equal(thresholdOf(poll(), null), 3, 'a server from before issue 12: the default');

  // my_ballot is the organisation's, sent to each member, with who set it.
  const { store, sent } = setup({ polls: [p] });
  store.vote('P1', 0);
  store.receive({ type: 'my_ballot', id: sent[0].id, poll: 'P1', ballot: 0, by: { participant: 'p1', name: 'Awa' }, at: 5 });
  assert.deepEqual(store.setBy('P1'), { name: 'Awa', participant: 'p1', at: 5 });
  // A colleague changes it: no request of ours, the new ballot and name show.
  store.receive({ type: 'my_ballot', poll: 'P1', ballot: 2, by: { participant: 'p2', name: 'Lina' }, at: 9 });
  assert.deepEqual(store.ballotOf('P1'), { ballot: 2, status: 'saved' });
  assert.equal(store.setBy('P1').name, 'Lina');
  store.receive({ type: 'my_ballot', poll: 'P1', ballot: null, by: null });
  assert.equal(store.setBy('P1'), null);
});

test('"Lancer": one poll_create that opens with live results; three steps against an older server', async () => {
  const def = { kind: 'single', question: 'Q ?', choices: ['a', 'b'] };
  const a = setup({ role: 'facilitator', polls: [] });
  const one = a.store.launch(def);
  assert.deepEqual(a.sent[0], { type: 'poll_create', id: a.sent[0].id, ...def, open: true, visibility: 'live' });
  a.store.receive({ type: 'poll', id: a.sent[0].id, poll: poll({ id: 'N', question: 'Q ?', choices: ['a', 'b'], state: 'open', results: 'live' }) });
  assert.equal((await one).poll.state, 'open');
  assert.equal(a.sent.length, 1, 'one message');

  const b = setup({ role: 'facilitator', polls: [] });
  const three = b.store.launch(def);
  b.store.receive({ type: 'poll', id: b.sent[0].id, poll: poll({ id: 'N', state: 'draft' }) }); // ignored "open"
  await Promise.resolve();
  assert.deepEqual(last(b.sent), { type: 'poll_open', id: last(b.sent).id, poll: 'N' });
  b.store.receive({ type: 'poll', id: last(b.sent).id, poll: poll({ id: 'N', state: 'open' }) });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(last(b.sent), { type: 'poll_results', id: last(b.sent).id, poll: 'N', visibility: 'live' });
  b.store.receive({ type: 'poll', id: last(b.sent).id, poll: poll({ id: 'N', state: 'open', results: 'live' }) });
  const res = await three;
  assert.deepEqual([res.poll.state, res.poll.results], ['open', 'live']);
});

test('a text answer written offline waits, is shown, and is sent once after the reconnect', async () => {
  const text = poll({ kind: 'text', choices: undefined, max: 3, answers: [] });
  const { store, sent, link, stored, barriers } = setup({ polls: [text], manualBarrier: true });
  barriers.shift()();
  link.joined = false;
  store.disconnected();
  const res = await store.answer('P1', { text: 'Écrit dans le train' });
  assert.deepEqual(res, { queued: true }, 'not refused: queued');
  assert.deepEqual(store.pendingAnswers('P1').map((a) => a.text), ['Écrit dans le train']);
  assert.equal(sent.length, 0);
  assert.deepEqual(stored.value.outbox, [{ poll: 'P1', text: 'Écrit dans le train' }], 'kept across a reload');

  link.joined = true;
  store.welcome([text], 'participant');
  assert.equal(sent.length, 0, 'not before the post-welcome burst is in');
  barriers.shift()();
  assert.deepEqual(last(sent), { type: 'answer', id: last(sent).id, poll: 'P1', text: 'Écrit dans le train' });
  store.receive({ type: 'my_ballot', id: last(sent).id, poll: 'P1', answers: [{ id: 1, text: 'Écrit dans le train' }], upvotes: [] });
  assert.deepEqual(store.pendingAnswers('P1'), []);
  assert.deepEqual(stored.value.outbox, []);
  assert.equal(sent.length, 1, 'sent once');
});

test('an answer whose reply was lost is sent again only if the server does not have it', () => {
  const text = poll({ kind: 'text', choices: undefined, max: 3, answers: [] });
  for (const arrived of [true, false]) {
    const { store, sent, link, barriers } = setup({ polls: [text], manualBarrier: true });
    barriers.shift()();
    store.answer('P1', { text: 'Un réseau qui dure' });
    assert.equal(sent.length, 1);
    link.joined = false;
    store.disconnected(); // no reply: in doubt
    link.joined = true;
    store.welcome([text], 'participant');
    if (arrived) store.receive({ type: 'my_ballot', poll: 'P1', answers: [{ id: 4, text: 'Un réseau qui dure' }], upvotes: [] });
    barriers.shift()();
    assert.equal(sent.length, arrived ? 1 : 2, arrived ? 'the server had it' : 'sent again');
  }
});

test('an answer queued for a poll closed meanwhile is not lost: the card says it, with the text', () => {
  const text = poll({ kind: 'text', choices: undefined, max: 3, answers: [] });
  const { store, sent, link } = setup({ polls: [text] });
  link.joined = false;
  store.disconnected();
  store.answer('P1', { text: 'Trop tard' });
  link.joined = true;
  store.welcome([{ ...text, state: 'closed' }], 'participant');
  assert.equal(sent.length, 0);
  assert.deepEqual(store.get('P1').notice, { key: 'poll.noticeAnswerNotSent', params: { text: 'Trop tard' }, tone: 'error' });
  assert.deepEqual(store.pendingAnswers('P1'), []);
});

test('answers restored after a reload are sent unless the server already has them; drafts come back', () => {
  const text = poll({ kind: 'text', choices: undefined, max: 3, answers: [] });
  const saved = { drafts: { P1: 'à moitié tap' }, outbox: [{ poll: 'P1', text: 'Déjà là' }, { poll: 'P1', text: 'Pas encore' }] };
  const { store, sent, barriers, stored } = setup({ polls: [text], saved, manualBarrier: true });
  assert.equal(store.draftOf('P1'), 'à moitié tap');
  store.receive({ type: 'my_ballot', poll: 'P1', answers: [{ id: 2, text: 'Déjà là' }], upvotes: [] });
  barriers.shift()();
  assert.deepEqual(sent.map((m) => m.text), ['Pas encore']);
  store.setDraft('P1', 'à moitié tapé');
  assert.equal(stored.value.drafts.P1, 'à moitié tapé');
  store.setDraft('P1', '');
  assert.deepEqual(stored.value.drafts, {});
});

test('a refusal is said to each audience in its own words: participants never get the facilitator\'s', () => {
  const fr = JSON.parse(readFileSync(new URL('../src/i18n/fr.json', import.meta.url), 'utf8'));
  // An answer refused because the workshop ended: the participant's sentence, not "reopen it".
  assert.equal(refusalKey('ended', 'answer'), 'poll.noticeEnded');
  assert.equal(refusalKey('ended', 'step'), 'poll.errEnded');
  const codes = ['offline', 'disconnected', 'ended', 'poll_closed', 'poll_state', 'poll_limit', 'forbidden', 'not_found', 'bad_request', 'rate_limited', 'unavailable', 'internal', 'something_new'];
  for (const code of codes) {
    for (const who of REFUSAL_AUDIENCES) {
      const key = refusalKey(code, who);
      assert.ok(key in fr, `${code}/${who}: ${key}`);
      if (who !== 'step') assert.notEqual(key, 'poll.errEnded', `${code}/${who}`);
    }
  }
  // Each audience as before.
  assert.equal(refusalKey('poll_limit', 'answer'), 'poll.errAnswerLimit');
  assert.equal(refusalKey('poll_limit', 'queued'), 'poll.noticeAnswerLimit');
  assert.equal(refusalKey('internal', 'queued'), 'poll.noticeAnswerNotSent');
  assert.equal(refusalKey('not_found', 'upvote'), 'poll.noticeAnswerGone');
  assert.equal(refusalKey('forbidden', 'upvote'), 'poll.noticeOwnAnswer');
  assert.equal(refusalKey('forbidden', 'vote'), 'poll.noticeRefused');
  assert.equal(refusalKey('offline', 'step'), 'poll.errOffline');
});
