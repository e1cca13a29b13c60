'use strict';
// Organisation answers, per-poll thresholds, translations, creating a poll
// open and revealing results in any state (protocol/polls.md, issue 12),
// against the real server and Redis: several organisations of one and two
// people, members changing their organisation's answer and everyone in it
// seeing who, results by name at threshold 1, a person-level poll at
// threshold 2, two server processes, the history and /state, and refusals
// that change nothing.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, sleep, waitUntil, getJson, fetchAllHistory, eventsKey } = require('./harness');

const POLL_MESSAGES = new Set(['poll', 'poll_deleted', 'answer', 'results', 'my_ballot']);
const J = (x) => JSON.stringify(x);
const pollsKey = (w) => `atelier:{w:${w}}:polls`;
const ballotsKey = (w, p) => `atelier:{w:${w}}:ballots:${p}`;

const QUESTION = 'Ce résultat est-il commun à tous nos partenaires ou propre à notre organisation ?';
const CHOICES = ['Commun à tous les partenaires', 'Propre à notre organisation', 'Je ne sais pas'];
const TRANSLATIONS = {
  fr: { question: QUESTION, choices: CHOICES },
  en: { question: 'Is this outcome shared by all our partners, or specific to our organisation?', choices: ['Shared by all partners', 'Specific to our organisation', "I don't know"] },
};

// ---------------------------------------------------------------- people

// A participant (or facilitator) who keeps every poll message they receive,
// from the ones that follow the welcome on.
async function person(h, w, name, org, { fac = false, server } = {}) {
  const c = h.client({ server: server || h.server, workshop: w.id, name, organisation: org, key: fac ? w.facilitator_key : undefined, record: 200 });
  c.inbox = [];
  c.on('message', (m) => { if (POLL_MESSAGES.has(m.type)) c.inbox.push(m); });
  await c.start();
  return c;
}

// Another tab of the same participant.
async function secondTab(h, c, server) {
  const t = h.twin(c, { server: server || c.server, record: 200 });
  t.inbox = [];
  t.on('message', (m) => { if (POLL_MESSAGES.has(m.type)) t.inbox.push(m); });
  await t.start();
  return t;
}

let seq = 0;
// Sends msg and resolves with the reply that carries its id.
function send(c, msg) {
  const m = { ...msg, id: `o${++seq}` };
  const reply = c.waitFor((x) => x.id === m.id && x.type !== 'ack', 4000, `reply to ${J(m).slice(0, 100)}`);
  c.send(m);
  return reply;
}

// A request that must be answered with a message of this type.
async function must(c, msg, type) {
  const r = await send(c, msg);
  assert.equal(r.type, type, `${c.name} sent ${J(msg).slice(0, 200)}: got ${J(r).slice(0, 300)}`);
  return r;
}

// A request that must be refused with this code.
async function refused(c, msg, code) {
  const r = await send(c, msg);
  assert.equal(r.type, 'error', `${c.name} sent ${J(msg).slice(0, 200)}: expected error ${code}, got ${J(r).slice(0, 300)}`);
  assert.equal(r.code, code, `${J(msg).slice(0, 200)}: ${r.message}`);
  assert.equal(r.re, msg.type);
  return r;
}

// The newest poll message of c about poll that satisfies pred, waited for.
async function latest(c, poll, type, pred = () => true, ms = 3000) {
  const pick = () => {
    for (let i = c.inbox.length - 1; i >= 0; i--) {
      const m = c.inbox[i];
      if (m.type === type && (m.poll === poll || (m.poll && m.poll.id === poll))) return pred(m) ? m : null;
    }
    return null;
  };
  try {
    return await waitUntil(pick, ms, `${type} of ${poll} at ${c.name}`, 20);
  } catch {
    const last = c.inbox.filter((m) => m.type === type && (m.poll === poll || (m.poll && m.poll.id === poll))).pop();
    assert.fail(`${c.name}: no ${type} of ${poll} as expected within ${ms} ms; the last one: ${J(last)}`);
  }
  return null;
}

const about = (c, poll, type) => c.inbox.filter((m) => m.type === type && (m.poll === poll || (m.poll && m.poll.id === poll)));

// The figures of results, without type, id, poll, and the organisations'
// times (checked on their own).
function figures(r) {
  const { type, id, poll, ...rest } = r; // eslint-disable-line no-unused-vars
  return { ...rest, organisations: rest.organisations.map(({ at, ...o }) => o) };
}

async function storedBallots(h, w, poll) {
  const flat = await h.redis.command('HGETALL', ballotsKey(w.id, poll));
  const out = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]] = JSON.parse(flat[i + 1]);
  return out;
}

async function redisState(h, w) {
  return { polls: await h.redis.command('HGETALL', pollsKey(w.id)), events: await h.redis.command('XLEN', eventsKey(w.id)) };
}

function noProblems(h) {
  assert.deepEqual(h.problems().filter((p) => !p.includes('exited unexpectedly')), []);
}

// ---------------------------------------------------------------- tests

describe('organisation answers, thresholds, translations (issue 12)', { timeout: 150000 }, () => {
  let h;
  before(async () => { h = await Harness.start({ ownRedis: true }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('members change their organisation\'s answer, every member sees who; results by name at threshold 1', { timeout: 40000 }, async () => {
    const w = await h.server.createWorkshop({ title: 'Réponses par organisation' });
    const f = await person(h, w, 'Fanny', 'Animation', { fac: true });
    const awa = await person(h, w, 'Awa', 'Ville de Lyon');
    const jean = await person(h, w, 'Jean', 'Ville de Lyon');
    const bea = await person(h, w, 'Béa', 'Banque Populaire');
    const lea = await person(h, w, 'Léa', 'Asso Entraide');
    const remi = await person(h, w, 'Rémi', 'Région');
    const rose = await person(h, w, 'Rose', 'Région');
    const awa2 = await secondTab(h, awa);

    // Created open, with live results, in one step: participants are told at once, open.
    const eventsBefore = await h.redis.command('XLEN', eventsKey(w.id));
    const created = await must(f, { type: 'poll_create', kind: 'single', question: QUESTION, choices: CHOICES, respondents: 'organisations', open: true, visibility: 'live' }, 'poll');
    const poll = created.poll.id;
    assert.deepEqual([created.poll.state, created.poll.results, created.poll.respondents, created.poll.threshold], ['open', 'live', 'organisations', 1]);
    const seenByBea = await latest(bea, poll, 'poll');
    assert.deepEqual({ ...seenByBea.poll }, created.poll);
    assert.equal(about(bea, poll, 'poll').length, 1, 'one poll message for a poll created open');
    assert.equal(await h.redis.command('XLEN', eventsKey(w.id)), eventsBefore + 1, 'one stored step');
    await latest(bea, poll, 'results', (r) => r.respondents === 0 && r.threshold === 1);

    // Awa answers for Ville de Lyon: her tabs and Jean hear it, with who; nobody else.
    const mine = await must(awa, { type: 'vote', poll, ballot: 0 }, 'my_ballot');
    assert.deepEqual([mine.ballot, mine.by], [0, { participant: awa.participant.id, name: 'Awa' }]);
    assert.ok(Math.abs(mine.at - Date.now()) < 10000, `at ${mine.at}`);
    for (const c of [awa2, jean]) {
      const m = await latest(c, poll, 'my_ballot', (x) => x.ballot === 0);
      assert.deepEqual([m.id, m.by.name, m.at], [undefined, 'Awa', mine.at], `${c.name} is told Ville's answer and who gave it`);
    }
    // Jean changes it: the last vote stands, and Awa sees that Jean changed it.
    const changed = await must(jean, { type: 'vote', poll, ballot: 1 }, 'my_ballot');
    assert.deepEqual([changed.ballot, changed.by.name], [1, 'Jean']);
    for (const c of [awa, awa2]) assert.equal((await latest(c, poll, 'my_ballot', (x) => x.ballot === 1)).by.participant, jean.participant.id);
    await must(bea, { type: 'vote', poll, ballot: 2 }, 'my_ballot');
    await must(lea, { type: 'vote', poll, ballot: 0 }, 'my_ballot');
    await must(remi, { type: 'vote', poll, ballot: 1 }, 'my_ballot');
    assert.equal((await latest(rose, poll, 'my_ballot', (x) => x.ballot === 1)).by.name, 'Rémi');
    for (const c of [bea, lea]) assert.ok(about(c, poll, 'my_ballot').every((m) => m.by.name === c.name), `${c.name} hears only their own organisation's answer`);

    // Every organisation by name, whatever its size; the alignment over the organisations.
    const want = {
      respondents: 4, counts: [1, 2, 1], threshold: 1,
      organisations: [
        { name: 'Asso Entraide', respondents: 1, counts: [1, 0, 0], by: 'Léa' },
        { name: 'Banque Populaire', respondents: 1, counts: [0, 0, 1], by: 'Béa' },
        { name: 'Région', respondents: 1, counts: [0, 1, 0], by: 'Rémi' },
        { name: 'Ville de Lyon', respondents: 1, counts: [0, 1, 0], by: 'Jean' },
      ],
      other: null,
      alignment: { divergence: 0.8333, label: 'divergent', organisations: 4 },
    };
    for (const c of [f, bea]) {
      const r = await latest(c, poll, 'results', (x) => x.respondents === 4 && x.organisations.length === 4);
      assert.deepEqual(figures(r), want, `${c.name}'s results`);
      assert.equal(r.organisations[3].at, changed.at, 'at: when Jean voted');
    }
    const stored = await storedBallots(h, w, poll);
    assert.deepEqual(Object.keys(stored).sort(), ['Asso Entraide', 'Banque Populaire', 'Région', 'Ville de Lyon']);
    assert.deepEqual(stored['Ville de Lyon'], { ballot: 1, by: { participant: jean.participant.id, name: 'Jean' }, at: changed.at });

    // Rose withdraws Région's answer: both members are told who did it, Région leaves the results.
    const withdrawn = await must(rose, { type: 'vote', poll, ballot: null }, 'my_ballot');
    assert.deepEqual([withdrawn.ballot, withdrawn.by.name], [null, 'Rose']);
    assert.equal((await latest(remi, poll, 'my_ballot', (x) => x.ballot === null)).by.name, 'Rose');
    const r3 = await latest(f, poll, 'results', (x) => x.respondents === 3);
    assert.deepEqual([r3.counts, r3.organisations.map((o) => o.name), r3.alignment], [[1, 1, 1], ['Asso Entraide', 'Banque Populaire', 'Ville de Lyon'], { divergence: 1, label: 'divergent', organisations: 3 }]);
    assert.deepEqual((await storedBallots(h, w, poll))['Région'].ballot, null, 'a withdrawal keeps who withdrew');

    // A member who joins later is told the organisation's answer after the welcome.
    const zoe = await person(h, w, 'Zoé', 'Ville de Lyon');
    const told = await latest(zoe, poll, 'my_ballot');
    assert.deepEqual([told.ballot, told.by.name], [1, 'Jean']);
    const nobody = await person(h, w, 'Nina', 'Nouvelle Asso');
    await latest(nobody, poll, 'results', (x) => x.respondents === 3);
    assert.equal(about(nobody, poll, 'my_ballot').length, 0, 'an organisation that never answered: nothing to tell back');

    // Closing keeps the answers; votes are refused; reopening takes them again.
    await must(f, { type: 'poll_close', poll }, 'poll');
    await refused(jean, { type: 'vote', poll, ballot: 2 }, 'poll_closed');
    await must(f, { type: 'poll_reopen', poll }, 'poll');
    assert.equal((await must(zoe, { type: 'vote', poll, ballot: 2 }, 'my_ballot')).by.name, 'Zoé');
    assert.equal((await latest(jean, poll, 'my_ballot', (x) => x.ballot === 2)).by.name, 'Zoé');
    noProblems(h);
  });

  test('a person-level poll with threshold 2 breaks out organisations of 2; the default stays as it was', { timeout: 30000 }, async () => {
    const w = await h.server.createWorkshop({ title: 'Seuil 2' });
    const f = await person(h, w, 'Fanny', 'Animation', { fac: true });
    const people = [];
    for (const [name, org] of [['Awa', 'Ville'], ['Jean', 'Ville'], ['Rémi', 'Région'], ['Rose', 'Région'], ['Béa', 'Banque']]) people.push(await person(h, w, name, org));
    const two = (await must(f, { type: 'poll_create', kind: 'single', question: 'Un choix ?', choices: ['a', 'b', 'c'], threshold: 2, open: true }, 'poll')).poll;
    const three = (await must(f, { type: 'poll_create', kind: 'single', question: 'Un choix ?', choices: ['a', 'b', 'c'], open: true }, 'poll')).poll;
    assert.deepEqual([two.respondents, two.threshold], ['people', 2]);
    assert.ok(!('respondents' in three) && !('threshold' in three), `a default poll says nothing new: ${J(three)}`);
    const picks = [0, 0, 1, 1, 2];
    for (const poll of [two.id, three.id]) {
      for (let i = 0; i < people.length; i++) {
        const m = await must(people[i], { type: 'vote', poll, ballot: picks[i] }, 'my_ballot');
        assert.deepEqual(Object.keys(m).sort(), ['ballot', 'id', 'poll', 'type'], 'a person\'s ballot names nobody');
      }
    }
    const r2 = await latest(f, two.id, 'results', (x) => x.respondents === 5);
    assert.deepEqual(figures(r2), {
      respondents: 5, counts: [2, 2, 1], threshold: 2,
      organisations: [{ name: 'Région', respondents: 2, counts: [0, 2, 0] }, { name: 'Ville', respondents: 2, counts: [2, 0, 0] }],
      other: null, alignment: { divergence: 1, label: 'divergent', organisations: 2 },
    });
    const r3 = await latest(f, three.id, 'results', (x) => x.respondents === 5);
    assert.deepEqual(figures(r3), { respondents: 5, counts: [2, 2, 1], organisations: [], other: { respondents: 5, counts: [2, 2, 1] }, alignment: null });
    const stored = Object.values(await storedBallots(h, w, two.id));
    assert.ok(stored.every((s) => Object.keys(s).sort().join() === 'ballot,org'), `person records keep their shape: ${J(stored)}`);
    noProblems(h);
  });

  test('translations are stored and relayed as given; poll_edit replaces them', { timeout: 30000 }, async () => {
    const w = await h.server.createWorkshop({ title: 'Deux langues' });
    const f = await person(h, w, 'Fanny', 'Animation', { fac: true });
    const draft = (await must(f, { type: 'poll_create', kind: 'single', question: QUESTION, choices: CHOICES, translations: TRANSLATIONS, respondents: 'organisations' }, 'poll')).poll;
    assert.deepEqual(draft.translations, TRANSLATIONS);
    const record = JSON.parse(await h.redis.command('HGET', pollsKey(w.id), draft.id));
    assert.deepEqual([record.translations, record.respondents, record.threshold], [TRANSLATIONS, 'organisations', 1]);
    const textPoll = (await must(f, { type: 'poll_create', kind: 'text', question: 'Quel impact voulons-nous avoir en tant que groupe ?', translations: { en: { question: 'What impact do we want to have as a group?' } }, open: true }, 'poll')).poll;
    assert.deepEqual(textPoll.translations, { en: { question: 'What impact do we want to have as a group?' } });
    // An edit replaces the whole definition: translations left out are gone.
    const edited = (await must(f, { type: 'poll_edit', poll: draft.id, kind: 'scale', question: 'Nos objectifs sont clairs.', translations: { en: { question: 'Our goals are clear.' } } }, 'poll')).poll;
    assert.deepEqual([edited.kind, edited.translations, 'respondents' in edited], ['scale', { en: { question: 'Our goals are clear.' } }, false]);
    await must(f, { type: 'poll_open', poll: draft.id }, 'poll');
    // A participant who joins now gets both, exactly as given, in the welcome.
    const p = await person(h, w, 'Tom', 'Banque');
    const listed = p.welcomes[0].polls;
    assert.deepEqual(listed.map((x) => [x.id, x.translations]), [[draft.id, { en: { question: 'Our goals are clear.' } }], [textPoll.id, textPoll.translations]]);
    noProblems(h);
  });

  test('results revealed while the poll is open, without closing it', { timeout: 30000 }, async () => {
    const w = await h.server.createWorkshop({ title: 'Révéler' });
    const f = await person(h, w, 'Fanny', 'Animation', { fac: true });
    const p = await person(h, w, 'Awa', 'Ville');
    const poll = (await must(f, { type: 'poll_create', kind: 'scale', question: 'Nos objectifs sont clairs.', respondents: 'organisations', open: true }, 'poll')).poll.id;
    await must(p, { type: 'vote', poll, ballot: 4 }, 'my_ballot');
    await sleep(400);
    assert.equal(about(p, poll, 'results').length, 0, 'hidden results are not sent');
    const shown = await must(f, { type: 'poll_results', poll, visibility: 'revealed' }, 'poll');
    assert.deepEqual([shown.poll.state, shown.poll.results], ['open', 'revealed']);
    const r = await latest(p, poll, 'results', (x) => x.respondents === 1);
    assert.deepEqual([r.mean, r.organisations[0].name, r.organisations[0].by, r.organisations[0].mean], [4, 'Ville', 'Awa', 4]);
    // Still open: a change of mind is taken and shown.
    await must(p, { type: 'vote', poll, ballot: 2 }, 'my_ballot');
    await latest(p, poll, 'results', (x) => x.mean === 2);
    noProblems(h);
  });

  test('two server processes agree on organisation answers', { timeout: 40000 }, async () => {
    const a = h.server;
    const b = await h.addServer();
    try {
      const w = await a.createWorkshop({ title: 'Deux processus' });
      const f = await person(h, w, 'Fanny', 'Animation', { fac: true, server: a });
      const awaA = await person(h, w, 'Awa', 'Ville de Lyon', { server: a });
      const jeanB = await person(h, w, 'Jean', 'Ville de Lyon', { server: b });
      const beaB = await person(h, w, 'Béa', 'Banque', { server: b });
      const fB = await person(h, w, 'Fred', 'Animation', { fac: true, server: b });
      const poll = (await must(f, { type: 'poll_create', kind: 'multiple', question: 'Quelles priorités ?', choices: ['Emploi', 'Logement', 'Mobilité'], max: 2, respondents: 'organisations', open: true, visibility: 'live' }, 'poll')).poll.id;
      await latest(jeanB, poll, 'poll', (m) => m.poll.state === 'open');
      // A vote through B reaches Ville's member on A, with who.
      await must(jeanB, { type: 'vote', poll, ballot: [0, 1] }, 'my_ballot');
      const onA = await latest(awaA, poll, 'my_ballot', (m) => J(m.ballot) === '[0,1]');
      assert.equal(onA.by.participant, jeanB.participant.id);
      // And Awa's change on A reaches Jean on B.
      const byAwa = await must(awaA, { type: 'vote', poll, ballot: [2] }, 'my_ballot');
      const onB = await latest(jeanB, poll, 'my_ballot', (m) => J(m.ballot) === '[2]');
      assert.deepEqual([onB.by.name, onB.at], ['Awa', byAwa.at]);
      await must(beaB, { type: 'vote', poll, ballot: [0] }, 'my_ballot');
      const want = {
        respondents: 2, counts: [1, 0, 1], threshold: 1,
        organisations: [{ name: 'Banque', respondents: 1, counts: [1, 0, 0], by: 'Béa' }, { name: 'Ville de Lyon', respondents: 1, counts: [0, 0, 1], by: 'Awa' }],
        other: null, alignment: { divergence: 1, label: 'divergent', organisations: 2 },
      };
      const ra = await latest(f, poll, 'results', (x) => x.respondents === 2 && x.counts[0] === 1);
      const rb = await latest(fB, poll, 'results', (x) => x.respondents === 2 && x.counts[0] === 1);
      assert.deepEqual(figures(ra), want);
      assert.deepEqual(ra, rb, 'both processes send the same results');
      // A process that loads the workshop afresh reads the same answers back.
      const c = await b.kill('SIGKILL').then(() => h.addServer());
      const late = await person(h, w, 'Luc', 'Ville de Lyon', { server: c });
      const told = await latest(late, poll, 'my_ballot');
      assert.deepEqual([told.ballot, told.by.name, told.at], [[2], 'Awa', byAwa.at]);
      const rc = await latest(late, poll, 'results', (x) => x.respondents === 2);
      assert.deepEqual(figures(rc), want);
      await c.kill('SIGKILL');
    } finally {
      await b.kill('SIGKILL');
    }
    noProblems(h);
  });

  test('the history and state?at= show organisation answers by organisation, with who; person-level ballots stay anonymous', { timeout: 40000 }, async () => {
    const w = await h.server.createWorkshop({ title: 'Historique' });
    const f = await person(h, w, 'Fanny', 'Animation', { fac: true });
    const awa = await person(h, w, 'Awa', 'Ville');
    const jean = await person(h, w, 'Jean', 'Ville');
    const bea = await person(h, w, 'Béa', 'Banque');
    const live = (await must(f, { type: 'poll_create', kind: 'single', question: 'Commun ?', choices: ['Oui', 'Non'], respondents: 'organisations', open: true, visibility: 'live' }, 'poll')).poll.id;
    const hidden = (await must(f, { type: 'poll_create', kind: 'single', question: 'Caché ?', choices: ['Oui', 'Non'], respondents: 'organisations', open: true }, 'poll')).poll.id;
    const people = (await must(f, { type: 'poll_create', kind: 'single', question: 'Personnel ?', choices: ['Oui', 'Non'], threshold: 2, open: true, visibility: 'live' }, 'poll')).poll.id;
    const first = await must(awa, { type: 'vote', poll: live, ballot: 0 }, 'my_ballot');
    await sleep(5); // /state?at= has millisecond steps: the two votes must not share one
    const second = await must(jean, { type: 'vote', poll: live, ballot: 1 }, 'my_ballot');
    await sleep(5);
    await must(bea, { type: 'vote', poll: live, ballot: 1 }, 'my_ballot');
    await must(awa, { type: 'vote', poll: hidden, ballot: 0 }, 'my_ballot');
    for (const c of [awa, jean, bea]) await must(c, { type: 'vote', poll: people, ballot: 0 }, 'my_ballot');

    const fac = (await fetchAllHistory(h.server.port, w.id, { key: w.facilitator_key })).events;
    const pub = (await fetchAllHistory(h.server.port, w.id)).events;
    const ballots = (events, poll) => events.filter((e) => e.type === 'ballot' && e.poll.id === poll);
    // One event per poll created open: poll_opened.
    for (const poll of [live, hidden, people]) assert.deepEqual(fac.filter((e) => e.poll && e.poll.id === poll && e.type.startsWith('poll_')).map((e) => e.type), ['poll_opened']);
    const byOrg = ballots(fac, live).map((e) => [e.organisation.name, e.organisation.ballot, e.organisation.by.name, e.organisation.at === e.t || e.organisation.at <= e.t]);
    assert.deepEqual(byOrg, [['Ville', 0, 'Awa', true], ['Ville', 1, 'Jean', true], ['Banque', 1, 'Béa', true]]);
    assert.deepEqual(ballots(fac, live)[1].organisation.by, { participant: jean.participant.id, name: 'Jean' });
    // The public history has no votes (history.md, "Ballots in the public
    // history"): the answers show in the results once the poll is closed.
    assert.deepEqual(pub.filter((e) => e.type === 'ballot'), [], 'ballot events in the public view');
    assert.equal(ballots(fac, hidden)[0].organisation.by.name, 'Awa', 'the facilitator sees it');
    for (const e of ballots(fac, people)) {
      assert.deepEqual(Object.keys(e).sort(), ['id', 'poll', 'results', 'rev', 't', 'type'], `a person's ballot event: ${J(e).slice(0, 200)}`);
      assert.ok(![awa, jean, bea].some((c) => J(e).includes(c.participant.id)), 'names no participant');
    }
    assert.deepEqual(ballots(fac, people).pop().results.organisations, [{ name: 'Ville', respondents: 2, counts: [2, 0] }], 'threshold 2 in the history');

    // The state at Awa's vote, then at Jean's: Ville's answer and who gave it
    // then (the facilitator's view; the public one shows no results while open).
    const at = async (t, key) => (await getJson(h.server.port, `/api/workshops/${w.id}/state?at=${t}`, { key })).json.polls.find((p) => p.poll.id === live).results;
    const t1 = ballots(fac, live)[0].t;
    const t2 = ballots(fac, live)[1].t;
    assert.deepEqual((await at(t1, w.facilitator_key)).organisations.map((o) => [o.name, o.counts, o.by, o.at]), [['Ville', [1, 0], 'Awa', first.at]]);
    assert.deepEqual((await at(t2, w.facilitator_key)).organisations.map((o) => [o.name, o.counts, o.by, o.at]), [['Ville', [0, 1], 'Jean', second.at]]);
    assert.equal(await at(t2), null, 'the public view: no results while the poll is open');
    const now = (await getJson(h.server.port, `/api/workshops/${w.id}/state?at=${Date.now() + 1000}`, { key: w.facilitator_key })).json;
    assert.deepEqual(now.polls.find((p) => p.poll.id === hidden).results.organisations.map((o) => o.by), ['Awa']);
    for (const poll of [live, hidden]) await must(f, { type: 'poll_close', poll }, 'poll');
    const closed = (await getJson(h.server.port, `/api/workshops/${w.id}/state?at=${Date.now() + 1000}`)).json.polls;
    assert.deepEqual(closed.find((p) => p.poll.id === live).results.organisations.map((o) => [o.name, o.by]), [['Banque', 'Béa'], ['Ville', 'Jean']], 'closed: the answers and who gave them, openly');
    assert.equal(closed.find((p) => p.poll.id === hidden).results, null, 'hidden results stay hidden');
    noProblems(h);
  });

  test('refusals change nothing: text with organisations, threshold 1 for people, bad thresholds, translations, open', { timeout: 30000 }, async () => {
    const w = await h.server.createWorkshop({ title: 'Refus' });
    const f = await person(h, w, 'Fanny', 'Animation', { fac: true });
    const p = await person(h, w, 'Awa', 'Ville');
    const draft = (await must(f, { type: 'poll_create', kind: 'single', question: 'Q ?', choices: ['a', 'b'] }, 'poll')).poll;
    const before = await redisState(h, w);
    const single = { kind: 'single', question: 'Q ?', choices: ['a', 'b'] };
    const bad = [
      { kind: 'text', question: 'Q ?', respondents: 'organisations' },
      { ...single, threshold: 1 },
      { ...single, respondents: 'people', threshold: 1 },
      { ...single, threshold: 0 },
      { ...single, threshold: 11 },
      { ...single, threshold: 2.5 },
      { ...single, threshold: '3' },
      { ...single, respondents: 'organisations', threshold: 3 },
      { ...single, respondents: 'everyone' },
      { ...single, translations: {} },
      { ...single, translations: { de: { question: 'Q?', choices: ['a', 'b'] } } },
      { ...single, translations: { en: { question: 'Q?' } } },
      { ...single, translations: { en: { question: 'Q?', choices: ['a', 'b', 'c'] } } },
      { ...single, translations: { en: { question: 'Q?', choices: ['x', 'x'] } } },
      { ...single, translations: { en: { question: 'é'.repeat(301), choices: ['a', 'b'] } } },
      { ...single, translations: { en: { question: 'Q?', choices: ['a', 'b'], max: 1 } } },
      { kind: 'scale', question: 'Q ?', translations: { en: { question: 'Q?', choices: ['a', 'b'] } } },
    ];
    for (const def of bad) {
      await refused(f, { type: 'poll_create', ...def }, 'bad_request');
      await refused(f, { type: 'poll_edit', poll: draft.id, ...def }, 'bad_request');
    }
    // How a poll starts is poll_create's (poll_edit keeps a draft a draft).
    for (const start of [{ open: 'yes' }, { open: 1 }, { open: true, visibility: 'everyone' }, { visibility: null }]) {
      await refused(f, { type: 'poll_create', ...single, ...start }, 'bad_request');
    }
    await refused(p, { type: 'poll_create', ...single, respondents: 'organisations', open: true }, 'forbidden');
    assert.deepEqual(await redisState(h, w), before, 'refused definitions changed Redis');
    assert.equal(about(p, draft.id, 'poll').length, 0, 'participants never heard of the draft');
    // A bad ballot for an organisation is refused too, and stores nothing.
    const poll = (await must(f, { type: 'poll_create', ...single, respondents: 'organisations', open: true }, 'poll')).poll.id;
    const held = await redisState(h, w);
    for (const ballot of [2, [0], 1.5, 'a']) await refused(p, { type: 'vote', poll, ballot }, 'bad_request');
    await refused(p, { type: 'answer', poll, text: 'Une idée' }, 'bad_request');
    assert.deepEqual(await redisState(h, w), held);
    assert.deepEqual(await storedBallots(h, w, poll), {});
    noProblems(h);
  });
});
