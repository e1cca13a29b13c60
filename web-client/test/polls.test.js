// Poll state (state/polls.js) and poll messages (protocol/messages.js), from
// protocol/polls.md. The messages fed in below are the shapes the real
// server sent when tried by hand.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, pollCreate, pollEdit, answer as answerMsg } from '../src/protocol/messages.js';
import {
  PollStore, READY_MADE, readyMadeDefinition, checkDefinition, checkText, resultsModel,
  sameBallot, normaliseBallot, validBallot, formOf,
} from '../src/state/polls.js';
import { I18n } from '../src/i18n/index.js';
import { FakeClock } from '../dev/sim.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fr = JSON.parse(readFileSync(path.join(here, '../src/i18n/fr.json'), 'utf8'));
const en = JSON.parse(readFileSync(path.join(here, '../src/i18n/en.json'), 'utf8'));

const poll = (over = {}) => ({
  id: 'P1', kind: 'single', question: 'Commun ?', choices: ['Commun', 'Propre', 'Je ne sais pas'],
  state: 'open', results: 'hidden', created: 1000, ...over,
});

function setup({ role = 'participant', polls = [poll()], joined = true } = {}) {
  const clock = new FakeClock();
  const sent = [];
  const link = { joined };
  const store = new PollStore({
    send: (m) => {
      if (!link.joined) return false;
      sent.push(m);
      return true;
    },
    joined: () => link.joined,
    timers: clock,
    random: () => 0.5,
  });
  const said = [];
  store.on('announce', (key, params) => said.push([key, params.question]));
  store.welcome(polls, role);
  return { store, sent, link, clock, said };
}

const last = (arr) => arr[arr.length - 1];

// ---- messages -----------------------------------------------------------------

test('parse accepts the poll messages of the spec and drops malformed ones', () => {
  const ok = [
    '{"type":"poll","id":3,"poll":{"id":"Xq3bT9aK0cE","kind":"multiple","question":"Quelles priorités ?","choices":["Emploi","Logement","Mobilité"],"max":2,"state":"open","results":"hidden","created":1795833600000}}',
    '{"type":"poll","poll":{"id":"bT9aK0cEXq3","kind":"text","question":"Quel impact ?","max":3,"state":"open","results":"live","created":1795833600000,"answers":[{"id":1,"text":"Moins de jeunes sans solution"},{"id":3,"text":"Un réseau qui dure"}]}}',
    '{"type":"poll_deleted","id":11,"poll":"Xq3bT9aK0cE"}',
    '{"type":"answer","poll":"bT9aK0cEXq3","answer":3,"text":"Un réseau qui dure"}',
    '{"type":"answer","poll":"bT9aK0cEXq3","answer":3,"text":null}',
    '{"type":"results","poll":"Xq3bT9aK0cE","respondents":14,"counts":[5,7,2],"organisations":[{"name":"Banque Populaire","respondents":4,"counts":[0,4,0]},{"name":"Ville de Lyon","respondents":6,"counts":[5,1,0]}],"other":{"respondents":4,"counts":[0,2,2]},"alignment":{"divergence":0.8333,"label":"divergent","organisations":2}}',
    '{"type":"results","poll":"s","respondents":0,"counts":[0,0,0,0,0],"mean":null,"organisations":[],"other":null,"alignment":null}',
    '{"type":"results","poll":"t","respondents":2,"answers":[{"id":1,"upvotes":1}],"organisations":[],"other":null,"alignment":null}',
    '{"type":"my_ballot","id":5,"poll":"Xq3bT9aK0cE","ballot":[0,2]}',
    '{"type":"my_ballot","poll":"bT9aK0cEXq3","answers":[{"id":3,"text":"Un réseau qui dure"}],"upvotes":[1,4]}',
    '{"type":"welcome","id":1,"workshop":{"id":"w","title":"t"},"participant":{"id":"p","name":"A","organisation":"V","role":"participant"},"token":"p.s","doc":{"rev":0,"text":""},"participants":[],"polls":[]}',
  ];
  for (const s of ok) assert.ok(parse(s), s);
  const bad = [
    '{"type":"poll","poll":{"id":"x","kind":"poll","question":"q","state":"open","results":"hidden","created":1}}',
    '{"type":"poll","poll":{"id":"x","kind":"single","question":"q","state":"open","results":"hidden","created":1}}',
    '{"type":"poll","poll":{"id":"x","kind":"scale","question":"q","state":"ajar","results":"hidden","created":1}}',
    '{"type":"answer","poll":"p","answer":"3","text":"x"}',
    '{"type":"results","poll":"p","respondents":-1,"counts":[],"organisations":[],"other":null,"alignment":null}',
    '{"type":"results","poll":"p","respondents":1,"organisations":[],"other":null,"alignment":null}',
    '{"type":"my_ballot","poll":"p","upvotes":["1"]}',
    '{"type":"poll_deleted"}',
  ];
  for (const s of bad) assert.equal(parse(s), null, s);
});

test('definitions carry only the fields of their kind', () => {
  assert.deepEqual(pollCreate(1, { kind: 'scale', question: 'Q', choices: ['a', 'b'], max: 2 }),
    { type: 'poll_create', id: 1, kind: 'scale', question: 'Q' });
  assert.deepEqual(pollEdit(2, 'P', { kind: 'multiple', question: 'Q', choices: ['a', 'b', 'c'], max: 2 }),
    { type: 'poll_edit', id: 2, poll: 'P', kind: 'multiple', question: 'Q', choices: ['a', 'b', 'c'], max: 2 });
  assert.deepEqual(pollCreate(3, { kind: 'text', question: 'Q', choices: [], max: null }),
    { type: 'poll_create', id: 3, kind: 'text', question: 'Q' });
  assert.deepEqual(answerMsg(4, 'P', { answer: 3, text: null }), { type: 'answer', id: 4, poll: 'P', answer: 3, text: null });
  assert.deepEqual(answerMsg(5, 'P', { text: 'x' }), { type: 'answer', id: 5, poll: 'P', text: 'x' });
});

// ---- ready-made questions --------------------------------------------------------

test('the ready-made questions are the spec\'s, in French and in English', () => {
  const md = readFileSync(path.join(here, '../../protocol/polls.md'), 'utf8');
  const section = md.slice(md.indexOf('## Ready-made questions'));
  const spec = JSON.parse(/```json\n([\s\S]*?)```/.exec(section)[1]);
  assert.equal(READY_MADE.length, spec.length);
  for (const lang of ['fr', 'en']) {
    const i18n = new I18n({ fr, en }, lang);
    READY_MADE.forEach((item, i) => {
      const def = readyMadeDefinition(item, i18n);
      assert.equal(def.kind, spec[i].kind);
      assert.equal(def.question, spec[i].question[lang]);
      assert.deepEqual(def.choices, spec[i].choices ? spec[i].choices[lang] : []);
      assert.equal(!!item.forItem, spec[i].for === 'statement item');
      assert.equal(def.respondents, spec[i].respondents || 'people');
      // Both languages go along, so each participant reads their own.
      for (const l of ['fr', 'en']) {
        assert.equal(def.translations[l].question, spec[i].question[l]);
        assert.deepEqual(def.translations[l].choices, spec[i].choices ? spec[i].choices[l] : undefined);
      }
      const checked = checkDefinition({ ...def, lang });
      assert.ok(checked.def, `${lang} ${item.key} is a valid definition`);
      assert.deepEqual(checked.def.translations, def.translations, 'unchanged: the translations stay');
      assert.equal(checkDefinition({ ...def, lang, question: `${def.question} (bis)` }).def.translations, undefined, 'changed: sent as typed');
    });
  }
});

test('scale labels are the spec\'s in both catalogues', () => {
  const md = readFileSync(path.join(here, '../../protocol/polls.md'), 'utf8');
  for (const v of [1, 2, 3, 4, 5]) {
    const row = new RegExp(`^\\| ${v} \\| (.+?) \\| (.+?) \\|$`, 'm').exec(md);
    assert.equal(fr[`poll.scale${v}`], row[1]);
    assert.equal(en[`poll.scale${v}`], row[2]);
  }
});

// ---- checking what the facilitator typed ----------------------------------------

test('texts: one line, trimmed, counted in code points, no control characters', () => {
  assert.deepEqual(checkText('  Quel\nimpact ?\t ', 300), { value: 'Quel impact ?' });
  assert.equal(checkText('   ', 300).error, 'poll.errRequired');
  assert.deepEqual(checkText('😀'.repeat(300), 300), { value: '😀'.repeat(300) });
  assert.equal(checkText('😀'.repeat(301), 300).error, 'poll.errTooLong');
  assert.equal(checkText('a\u0007b', 300).error, 'poll.errInvalidChars');
  assert.equal(checkText('a\u0085b', 300).error, 'poll.errInvalidChars');
  assert.equal(checkText('e\u0301', 10).value, 'é', 'NFC');
});

test('definitions: choices, duplicates, limits and defaults as the server wants them', () => {
  assert.deepEqual(checkDefinition({ kind: 'single', question: 'Q ?', choices: ['a', '', 'b', '  '], max: '' }),
    { def: { kind: 'single', question: 'Q ?', choices: ['a', 'b'] } }, 'empty rows are left out');
  const one = checkDefinition({ kind: 'single', question: 'Q', choices: ['a', ''] });
  assert.equal(one.errors.choicesList.error, 'poll.errFewChoices');
  const dup = checkDefinition({ kind: 'multiple', question: 'Q', choices: ['a', 'b', ' a '] });
  assert.deepEqual(dup.errors.choices, [null, null, { error: 'poll.errDuplicate' }]);
  const many = checkDefinition({ kind: 'single', question: 'Q', choices: Array.from({ length: 13 }, (_, i) => `c${i}`) });
  assert.equal(many.errors.choicesList.error, 'poll.errManyChoices');
  const none = checkDefinition({ kind: 'single', question: '', choices: ['a', 'b'] });
  assert.equal(none.errors.question.error, 'poll.errRequired');

  // multiple: max 1..n; n is the default and is left out
  assert.equal(checkDefinition({ kind: 'multiple', question: 'Q', choices: ['a', 'b', 'c'], max: '2' }).def.max, 2);
  assert.equal(checkDefinition({ kind: 'multiple', question: 'Q', choices: ['a', 'b', 'c'], max: '3' }).def.max, undefined);
  assert.equal(checkDefinition({ kind: 'multiple', question: 'Q', choices: ['a', 'b', 'c'], max: '' }).def.max, undefined);
  assert.equal(checkDefinition({ kind: 'multiple', question: 'Q', choices: ['a', 'b', 'c'], max: '4' }).errors.max.error, 'poll.errMax');
  assert.equal(checkDefinition({ kind: 'multiple', question: 'Q', choices: ['a', 'b', 'c'], max: '1.5' }).errors.max.error, 'poll.errMax');
  const dupMax = checkDefinition({ kind: 'multiple', question: 'Q', choices: ['a', 'a', 'b'], max: '2' });
  assert.equal(dupMax.errors.max, undefined, 'a duplicate is one error, not two');
  // text: max 1..10, default 3
  assert.deepEqual(checkDefinition({ kind: 'text', question: 'Q', max: '3' }), { def: { kind: 'text', question: 'Q' } });
  assert.equal(checkDefinition({ kind: 'text', question: 'Q', max: 5 }).def.max, 5);
  assert.equal(checkDefinition({ kind: 'text', question: 'Q', max: 11 }).errors.max.max, 10);
  // scale: no choices, no max
  assert.deepEqual(checkDefinition({ kind: 'scale', question: 'Q', choices: ['x'], max: '2' }), { def: { kind: 'scale', question: 'Q' } });
  assert.deepEqual(formOf(poll({ kind: 'multiple', max: 2 })), {
    kind: 'multiple', question: 'Commun ?', choices: ['Commun', 'Propre', 'Je ne sais pas'], max: 2, respondents: 'people', threshold: null, representativesOnly: false, translations: null,
    original: { question: 'Commun ?', choices: ['Commun', 'Propre', 'Je ne sais pas'] },
  });
  assert.equal(formOf(poll({ respondents: 'organisations', threshold: 1 })).respondents, 'organisations');
  assert.equal(formOf(poll({ threshold: 5 })).threshold, 5);
});

test('ballots compare as values and are checked against the poll', () => {
  assert.ok(sameBallot([2, 0], [0, 2]));
  assert.ok(sameBallot([], null), 'no picks is no ballot');
  assert.ok(!sameBallot(0, null));
  assert.deepEqual(normaliseBallot([2, 0, 2]), [0, 2]);
  assert.ok(validBallot(poll(), 2));
  assert.ok(!validBallot(poll(), 3));
  assert.ok(!validBallot(poll(), 1.5));
  const m = poll({ kind: 'multiple', max: 2 });
  assert.ok(validBallot(m, [0, 2]));
  assert.ok(!validBallot(m, [0, 1, 2]));
  assert.ok(!validBallot(m, []));
  assert.ok(validBallot(poll({ kind: 'scale', choices: undefined }), 5));
  assert.ok(!validBallot(poll({ kind: 'scale', choices: undefined }), 0));
});

// ---- results for drawing --------------------------------------------------------

test('results model: shares per choice, per organisation and for the other pool', () => {
  const results = parse('{"type":"results","poll":"P1","respondents":14,"counts":[5,7,2],"organisations":[{"name":"Banque Populaire","respondents":4,"counts":[0,4,0]},{"name":"Ville de Lyon","respondents":6,"counts":[5,1,0]}],"other":{"respondents":4,"counts":[0,2,2]},"alignment":{"divergence":0.8333,"label":"divergent","organisations":2}}');
  const m = resultsModel(poll(), results);
  assert.equal(m.respondents, 14);
  assert.deepEqual(m.rows.map((r) => [r.label, r.count]), [['Commun', 5], ['Propre', 7], ['Je ne sais pas', 2]]);
  assert.equal(m.rows[1].share, 0.5);
  assert.deepEqual(m.groups.map((g) => [g.name, g.other, g.respondents]), [['Banque Populaire', false, 4], ['Ville de Lyon', false, 6], [null, true, 4]]);
  assert.deepEqual(m.rows[1].groups.map((g) => g.count), [4, 1, 2]);
  assert.equal(m.rows[1].groups[0].share, 1);
  assert.equal(m.unplaced, 0);
  assert.equal(m.alignment.label, 'divergent');

  // Small organisations whose pool is too small appear only in the total.
  const small = resultsModel(poll(), { poll: 'P1', respondents: 5, counts: [3, 2, 0], organisations: [{ name: 'Banque', respondents: 3, counts: [3, 0, 0] }], other: null, alignment: null });
  assert.equal(small.unplaced, 2);
  assert.equal(small.alignment, null);
  // One or two people per organisation: the pool is everyone, a copy of the total: not drawn again.
  const pooled = resultsModel(poll(), { poll: 'P1', respondents: 4, counts: [2, 1, 1], organisations: [], other: { respondents: 4, counts: [2, 1, 1] }, alignment: null });
  assert.deepEqual(pooled.groups, []);
  assert.deepEqual(pooled.rows.map((r) => r.groups), [[], [], []]);
  assert.equal(pooled.unplaced, 4, 'said as answers counted only in the total');
  const none = resultsModel(poll(), { poll: 'P1', respondents: 0, counts: [0, 0, 0], organisations: [], other: null, alignment: null });
  assert.deepEqual(none.rows.map((r) => r.share), [0, 0, 0], 'no division by zero');
});

test('results model: scale means, and text answers ranked with upvotes per organisation', () => {
  const scale = poll({ kind: 'scale', choices: undefined });
  const s = resultsModel(scale, { poll: 'P1', respondents: 9, counts: [1, 2, 2, 2, 2], mean: 3.2222, organisations: [{ name: 'Banque', respondents: 3, counts: [1, 2, 0, 0, 0], mean: 1.6667 }], other: null, alignment: null });
  assert.deepEqual(s.rows.map((r) => r.value), [1, 2, 3, 4, 5]);
  assert.equal(s.mean, 3.2222);
  assert.equal(s.groups[0].mean, 1.6667);

  const text = poll({ kind: 'text', choices: undefined, answers: [{ id: 1, text: 'Un réseau' }, { id: 3, text: 'Moins de jeunes sans solution' }, { id: 4, text: 'Nouvelle' }] });
  const t = resultsModel(text, {
    poll: 'P1', respondents: 6,
    answers: [{ id: 3, upvotes: 4 }, { id: 1, upvotes: 2 }, { id: 2, upvotes: 9 }],
    organisations: [{ name: 'Banque', respondents: 3, upvotes: [3, 0, 0] }], other: { respondents: 3, upvotes: [1, 2, 0] }, alignment: null,
  });
  assert.deepEqual(t.answers.map((a) => [a.id, a.upvotes]), [[3, 4], [1, 2], [4, 0]], 'deleted answer 2 left out, new answer 4 listed last');
  assert.deepEqual(t.answers[0].groups.map((g) => g.upvotes), [3, 1]);
  assert.deepEqual(t.answers[1].groups.map((g) => g.upvotes), [0, 2]);
  assert.equal(t.answers[0].scale, 1);
  assert.equal(t.alignment, null);
});

// ---- the store ---------------------------------------------------------------------

test('welcome lists the polls newest first; a participant sees a poll open and results come and go', () => {
  const { store, said } = setup({ polls: [poll({ id: 'A', created: 1 }), poll({ id: 'B', created: 2, state: 'closed' })] });
  assert.deepEqual(store.list.map((e) => e.poll.id), ['B', 'A']);
  assert.equal(store.openCount, 1);
  assert.deepEqual(said, [], 'nothing announced for what was already there');

  store.receive({ type: 'poll', poll: poll({ id: 'C', created: 3 }) });
  assert.deepEqual(last(said), ['poll.announceOpened', 'Commun ?']);
  assert.equal(store.openCount, 2);

  // Results shown to participants only while visible.
  store.receive({ type: 'poll', poll: poll({ id: 'C', created: 3, results: 'live' }) });
  assert.deepEqual(last(said), ['poll.announceLive', 'Commun ?']);
  store.receive({ type: 'results', poll: 'C', respondents: 1, counts: [1, 0, 0], organisations: [], other: null, alignment: null });
  assert.equal(store.get('C').results.respondents, 1);
  store.receive({ type: 'poll', poll: poll({ id: 'C', created: 3, state: 'closed', results: 'live' }) });
  assert.deepEqual(last(said), ['poll.announceClosed', 'Commun ?']);
  store.receive({ type: 'poll', poll: poll({ id: 'C', created: 3, state: 'closed', results: 'revealed' }) });
  assert.deepEqual(last(said), ['poll.announceRevealed', 'Commun ?']);
  // Reopening hides revealed results again (polls.md): drop what we show.
  store.receive({ type: 'poll', poll: poll({ id: 'C', created: 3, state: 'open', results: 'hidden' }) });
  assert.deepEqual(last(said), ['poll.announceReopened', 'Commun ?']);
  assert.equal(store.get('C').results, null);

  store.receive({ type: 'poll_deleted', poll: 'C' });
  assert.equal(store.get('C'), null);
  assert.deepEqual(last(said), ['poll.announceDeleted', 'Commun ?']);
});

test('a facilitator keeps hidden results; drafts lose their tallies when edited', () => {
  const { store } = setup({ role: 'facilitator', polls: [poll({ state: 'draft' })] });
  assert.ok(store.isFacilitator);
  store.receive({ type: 'results', poll: 'P1', respondents: 0, counts: [0, 0, 0], organisations: [], other: null, alignment: null });
  assert.ok(store.get('P1').results);
  store.receive({ type: 'poll', poll: poll({ state: 'draft', choices: ['x', 'y'] }) });
  assert.equal(store.get('P1').results, null);
  store.receive({ type: 'poll', poll: poll({ state: 'open', choices: ['x', 'y'] }) });
  store.receive({ type: 'results', poll: 'P1', respondents: 2, counts: [1, 1], organisations: [], other: null, alignment: null });
  assert.equal(store.get('P1').results.respondents, 2, 'hidden from participants, shown to facilitators');
});

test('votes: shown at once, one in flight per poll, the last choice wins', () => {
  const { store, sent } = setup();
  assert.ok(store.vote('P1', 0));
  assert.deepEqual(store.ballotOf('P1'), { ballot: 0, status: 'sending' });
  assert.equal(sent.length, 1);
  const first = sent[0];
  assert.equal(first.type, 'vote');
  assert.equal(first.ballot, 0);
  assert.match(String(first.id), /^q/, 'request ids carry a per-page prefix');

  store.vote('P1', 2);
  store.vote('P1', 1);
  assert.equal(sent.length, 1, 'nothing more while one is in flight');
  assert.equal(store.ballotOf('P1').ballot, 1);

  store.receive({ type: 'my_ballot', id: first.id, poll: 'P1', ballot: 0 });
  assert.equal(sent.length, 2, 'the latest wish goes out after the reply');
  assert.equal(sent[1].ballot, 1);
  assert.deepEqual(store.ballotOf('P1'), { ballot: 1, status: 'sending' });
  store.receive({ type: 'my_ballot', id: sent[1].id, poll: 'P1', ballot: 1 });
  assert.deepEqual(store.ballotOf('P1'), { ballot: 1, status: 'saved' });

  // Withdraw.
  store.vote('P1', null);
  assert.equal(last(sent).ballot, null);
  store.receive({ type: 'my_ballot', id: last(sent).id, poll: 'P1', ballot: null });
  assert.deepEqual(store.ballotOf('P1'), { ballot: null, status: 'none' });

  // Not taken locally: bad ballot, closed poll, text poll.
  assert.equal(store.vote('P1', 7), false);
  assert.equal(store.vote('nope', 0), false);
});

test('multiple choice: ballots are sets; an empty set withdraws', () => {
  const { store, sent } = setup({ polls: [poll({ kind: 'multiple', max: 2 })] });
  assert.ok(store.vote('P1', [2, 0]));
  assert.deepEqual(sent[0].ballot, [0, 2]);
  assert.equal(store.vote('P1', [0, 1, 2]), false, 'more than max');
  store.receive({ type: 'my_ballot', id: sent[0].id, poll: 'P1', ballot: [0, 2] });
  assert.deepEqual(store.ballotOf('P1'), { ballot: [0, 2], status: 'saved' });
  assert.ok(store.vote('P1', []));
  assert.equal(last(sent).ballot, null);
});

test('a vote made offline is sent after the welcome; a reconnect brings the ballot back', () => {
  const { store, sent, link } = setup({ joined: false });
  store.vote('P1', 1);
  assert.deepEqual(store.ballotOf('P1'), { ballot: 1, status: 'waiting' });
  assert.equal(sent.length, 0);
  link.joined = true;
  store.welcome([poll()], 'participant');
  assert.equal(sent.length, 1);
  assert.equal(sent[0].ballot, 1);

  // The link drops before the reply: the vote goes again on the next welcome
  // (the same ballot again changes nothing on the server).
  store.disconnected();
  link.joined = false;
  assert.equal(store.ballotOf('P1').status, 'waiting');
  link.joined = true;
  store.welcome([poll()], 'participant');
  assert.equal(sent.length, 2);
  store.receive({ type: 'my_ballot', id: sent[1].id, poll: 'P1', ballot: 1 });

  // Another tab, or a later visit: the server's my_ballot after the welcome.
  const other = setup({ polls: [] });
  other.store.welcome([poll()], 'participant');
  other.store.receive({ type: 'my_ballot', poll: 'P1', ballot: 2 });
  assert.deepEqual(other.store.ballotOf('P1'), { ballot: 2, status: 'saved' });
});

test('a poll closed before the vote arrives: the choice is dropped and the person told', () => {
  const { store, sent } = setup();
  store.receive({ type: 'my_ballot', poll: 'P1', ballot: 0 });
  store.vote('P1', 1);
  store.receive({ type: 'error', code: 'poll_closed', message: 'the poll is not open', re: 'vote', id: sent[0].id });
  assert.deepEqual(store.ballotOf('P1'), { ballot: 0, status: 'saved' }, 'back to what the server holds');
  assert.equal(store.get('P1').notice.key, 'poll.noticeClosed');

  // Closed while offline with a wish pending.
  const b = setup({ joined: false });
  b.store.vote('P1', 2);
  b.link.joined = true;
  b.store.welcome([poll({ state: 'closed' })], 'participant');
  assert.equal(b.sent.length, 0);
  assert.equal(b.store.ballotOf('P1').ballot, null);
  assert.equal(b.store.get('P1').notice.key, 'poll.noticeNotSent');
});

test('storage trouble on a vote: kept, and tried again later', () => {
  const { store, sent, clock } = setup();
  store.vote('P1', 1);
  store.receive({ type: 'error', code: 'unavailable', message: 'redis', re: 'vote', id: sent[0].id });
  assert.equal(store.ballotOf('P1').status, 'waiting');
  assert.equal(sent.length, 1);
  clock.advance(1000);
  assert.equal(sent.length, 2);
  assert.equal(sent[1].ballot, 1);
  store.receive({ type: 'my_ballot', id: sent[1].id, poll: 'P1', ballot: 1 });
  assert.equal(store.ballotOf('P1').status, 'saved');
});

test('open answers: added, edited, deleted; upvotes on others\' answers only', async () => {
  const text = poll({ kind: 'text', choices: undefined, max: 3, answers: [] });
  const { store, sent, said } = setup({ polls: [text] });
  const adding = store.answer('P1', { text: 'Un réseau qui dure' });
  assert.deepEqual(sent[0], { type: 'answer', id: sent[0].id, poll: 'P1', text: 'Un réseau qui dure' });
  store.receive({ type: 'answer', poll: 'P1', answer: 1, text: 'Un réseau qui dure' });
  store.receive({ type: 'my_ballot', id: sent[0].id, poll: 'P1', answers: [{ id: 1, text: 'Un réseau qui dure' }], upvotes: [] });
  assert.deepEqual(await adding, { ok: true });
  assert.ok(store.isMine('P1', 1));
  assert.equal(store.upvote('P1', 1, true), false, 'not one\'s own answer');

  store.receive({ type: 'answer', poll: 'P1', answer: 2, text: 'Autre' });
  assert.deepEqual(store.get('P1').poll.answers.map((a) => a.id), [1, 2]);
  assert.ok(store.upvote('P1', 2, true));
  assert.ok(store.upvoted('P1', 2), 'shown at once');
  const up = last(sent);
  assert.deepEqual(up, { type: 'upvote', id: up.id, poll: 'P1', answer: 2, up: true });
  store.receive({ type: 'my_ballot', id: up.id, poll: 'P1', answers: [{ id: 1, text: 'Un réseau qui dure' }], upvotes: [2] });
  assert.ok(store.upvoted('P1', 2));
  assert.equal(store.get('P1').upWish.size, 0);

  store.receive({ type: 'answer', poll: 'P1', answer: 2, text: 'Autre, précisée' });
  assert.equal(store.get('P1').poll.answers[1].text, 'Autre, précisée');
  store.receive({ type: 'answer', poll: 'P1', answer: 2, text: null });
  assert.deepEqual(store.get('P1').poll.answers.map((a) => a.id), [1]);
  assert.equal(store.upvoted('P1', 2), false, 'a deleted answer takes its upvotes');

  const limit = store.answer('P1', { text: 'Encore' });
  store.receive({ type: 'error', code: 'poll_limit', message: 'too many', re: 'answer', id: last(sent).id });
  assert.equal((await limit).error, 'poll_limit');
  assert.deepEqual(said, []);
});

test('facilitator steps resolve with the server\'s answer, and never resend by themselves', async () => {
  const { store, sent, link } = setup({ role: 'facilitator', polls: [] });
  const creating = store.create({ kind: 'scale', question: 'Nos objectifs sont clairs.' });
  const m = sent[0];
  assert.deepEqual(m, { type: 'poll_create', id: m.id, kind: 'scale', question: 'Nos objectifs sont clairs.' });
  const created = poll({ id: 'N', kind: 'scale', choices: undefined, question: 'Nos objectifs sont clairs.', state: 'draft' });
  store.receive({ type: 'poll', id: m.id, poll: created });
  const res = await creating;
  assert.equal(res.ok, true);
  assert.equal(res.poll.id, 'N');

  const opening = store.step('N', 'open');
  assert.deepEqual(last(sent), { type: 'poll_open', id: last(sent).id, poll: 'N' });
  store.receive({ type: 'error', code: 'poll_state', message: 'not a draft', re: 'poll_open', id: last(sent).id });
  assert.equal((await opening).error, 'poll_state');

  const vis = store.setVisibility('N', 'live');
  assert.deepEqual(last(sent), { type: 'poll_results', id: last(sent).id, poll: 'N', visibility: 'live' });
  store.disconnected();
  assert.equal((await vis).error, 'disconnected');
  const count = sent.length;
  store.welcome([created], 'facilitator');
  assert.equal(sent.length, count, 'not sent again');

  link.joined = false;
  assert.equal((await store.step('N', 'delete')).error, 'offline');
  link.joined = true;
  const deleting = store.step('N', 'delete');
  store.receive({ type: 'poll_deleted', id: last(sent).id, poll: 'N' });
  assert.deepEqual(await deleting, { ok: true });
  assert.equal(store.list.length, 0);
});

test('replies meant for another tab do not confuse this one', () => {
  const { store, sent } = setup();
  store.vote('P1', 0);
  // The other tab's vote reply reaches every connection of the person.
  store.receive({ type: 'my_ballot', id: 'other-tab-7', poll: 'P1', ballot: 2 });
  assert.equal(store.ballotOf('P1').ballot, 0, 'our wish still shows');
  store.receive({ type: 'my_ballot', id: sent[0].id, poll: 'P1', ballot: 0 });
  assert.deepEqual(store.ballotOf('P1'), { ballot: 0, status: 'saved' });
  // Errors about other messages are not ours to handle.
  assert.equal(store.receive({ type: 'error', code: 'stale', re: 'op', id: 'x' }), false);
  assert.equal(store.receive({ type: 'error', code: 'poll_closed', re: 'vote', id: 'other-tab-8' }), true);
  assert.deepEqual(store.ballotOf('P1'), { ballot: 0, status: 'saved' });
});
