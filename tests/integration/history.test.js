'use strict';
// History and replay (protocol/history.md, issue #5): a property test over
// random recorded histories.
//
// For each seed, real WebSocket clients of three organisations join a fresh
// workshop, type at the same time (accents, emoji outside the BMP, newlines),
// leave and come back (resuming with their token, or as new participants),
// open and close second tabs, and a facilitator runs polls of every kind
// (draft, edit, open, ballots, answers, upvotes, close, reopen, results
// live / revealed / hidden, delete; each seed goes once through "revealed,
// then reopened": hidden again). Two observers stay connected the whole time:
// a facilitator (F) and a participant (P). They record the LIVE state: the
// text at every revision (the ops they receive, in revision order), who is
// present in order of arrival, and the polls and results they were sent. The
// scenario stops at checkpoints (everything quiet, results flushed, the next
// thing to happen is an op) and notes the observers' state and the time.
//
// Then, against what was recorded live:
// * /history paged with limits 1, 7, 100, 1000, 10000 returns the same events,
//   once each, in id order; ?only=marks is the non-edit events; the ops
//   replay (ot-text-unicode apply) from /state?rev=0 (the creation text) to
//   the text both observers saw at every revision, with the author and
//   organisation they saw; arrivals and departures are those F saw;
// * /state?rev=R for every revision (a sample of 1500 beyond that) gives that
//   revision's text and names the last event before the next op; at each
//   checkpoint /state?rev= and ?at= give the presence and the polls with
//   results that F saw (facilitator view) and P saw (public view);
// * /state?at=T at ~80 event times and in the middle of the gaps after them
//   gives the last event at or before T and the text, presence and polls that
//   the history up to it describes (both views);
// * the public view never shows a draft's events, results while they were
//   hidden or the poll open, nor any vote (ballot, answer, upvote: their
//   times next to arrivals would tell who chose what); no participant id
//   anywhere in a poll event; its events are the facilitator's minus the
//   drafts' and the votes; at checkpoints it shows the polls P saw, with
//   the results P saw once a poll is closed; the facilitator view
//   carries results for every non-draft poll event; a wrong key is 403;
// * every page and state matches protocol/schema (history-page, workshop-state).
// A first test checks the edges (before the creation, after the last event)
// and the 400 / 404 / 403 answers.
//
// Seeds: ATELIER_IT_HISTORY_SEEDS="1,2,3" (default below); a failure names
// its seed, rerun with that seed alone to reproduce the scenario (the same
// actions in the same order; concurrent typing interleaves differently).
// ATELIER_IT_HISTORY_ROUNDS (7), ATELIER_IT_HISTORY_SNAPSHOT_EVERY (server
// default) vary the scenario.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { isDeepStrictEqual: same } = require('node:util');
const {
  Harness, ot, prng, sleep, waitUntil, waitQuiescent, randomEdit, cpLen,
  getJson: getJsonRaw, fetchAllHistory, streamIdCmp, schemaErrors,
} = require('./harness');

const SEEDS = (process.env.ATELIER_IT_HISTORY_SEEDS || '5101,5102,5103').split(',').map(Number);
const ROUNDS = Number(process.env.ATELIER_IT_HISTORY_ROUNDS || 7);
const STATE_SAMPLE = 1500; // /state?rev= requests per seed at most
const AT_SAMPLE = 80; // events whose time (and the middle of the gap after) is tried as ?at=
const J = (x) => JSON.stringify(x);
const POLL_EVENTS = new Set(['poll_created', 'poll_edited', 'poll_opened', 'poll_closed', 'poll_reopened', 'poll_results', 'poll_deleted', 'ballot', 'answer', 'upvote']);
const BALLOT_EVENTS = new Set(['ballot', 'answer', 'upvote']);
const clone = (x) => JSON.parse(JSON.stringify(x));

const PEOPLE = [
  ['Jean', 'Ville de Lyon'], ['Léa', 'Ville de Lyon'], ['Zoë', 'Ville de Lyon'],
  ['Chloé', 'Banque Populaire'], ['Mathis', 'Banque Populaire'], ['Inès', 'Banque Populaire'],
  ['Noé', 'Association Élan 🌱'], ['Élodie', 'Association Élan 🌱'],
];
const INITIAL = 'Nous voulons :\n\n« agir ensemble » 🤝\n';

// ---------------------------------------------------------------- observers

// Keeps what a connected client was told: text per revision, presence in
// order of arrival, polls and the latest results it may see.
function observe(c) {
  c.texts = new Map();
  c.presentList = [];
  c.presenceLog = []; // [type, participant id]
  c.pollMap = new Map();
  c.resultMap = new Map();
  c.on('message', (m) => {
    switch (m.type) {
      case 'welcome':
        c.texts.set(m.doc.rev, c.text);
        c.presentList = [...m.participants.map((p) => ({ participant: p.id, name: p.name, org: p.organisation, role: p.role })),
          { participant: m.participant.id, name: m.participant.name, org: m.participant.organisation, role: m.participant.role }];
        for (const p of m.polls || []) c.pollMap.set(p.id, clone(p));
        break;
      case 'op':
        if (c.text !== null) c.texts.set(c.rev, c.text);
        break;
      case 'arrived':
        c.presenceLog.push(['arrived', m.participant.id]);
        c.presentList.push({ participant: m.participant.id, name: m.participant.name, org: m.participant.organisation, role: m.participant.role });
        break;
      case 'departed':
        c.presenceLog.push(['departed', m.participant]);
        c.presentList = c.presentList.filter((p) => p.participant !== m.participant);
        break;
      case 'poll':
        c.pollMap.set(m.poll.id, clone(m.poll));
        if (m.poll.results === 'hidden' && c.role !== 'facilitator') c.resultMap.delete(m.poll.id);
        break;
      case 'poll_deleted':
        c.pollMap.delete(m.poll);
        c.resultMap.delete(m.poll);
        break;
      case 'answer': {
        const p = c.pollMap.get(m.poll);
        if (!p) break;
        p.answers = p.answers || [];
        const i = p.answers.findIndex((a) => a.id === m.answer);
        if (m.text === null) { if (i >= 0) p.answers.splice(i, 1); } else if (i >= 0) p.answers[i].text = m.text;
        else { p.answers.push({ id: m.answer, text: m.text }); p.answers.sort((a, b) => a.id - b.id); }
        break;
      }
      case 'results': {
        const { type, id, ...rest } = m; // eslint-disable-line no-unused-vars
        c.resultMap.set(m.poll, rest);
        break;
      }
      default:
    }
  });
  return c;
}

// The observer's polls as /state lists them: oldest first (creation order as
// the facilitator observer saw it), each with its results or null.
function observedPolls(c, order) {
  const ids = [...c.pollMap.keys()].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return ids.map((id) => ({ poll: c.pollMap.get(id), results: c.resultMap.has(id) ? c.resultMap.get(id) : null }));
}

// ---------------------------------------------------------------- requests

const REPLY_TYPES = new Set(['poll', 'poll_deleted', 'my_ballot', 'results', 'error', 'pong']);
let reqSeq = 0;
async function must(c, msg, type) {
  msg.id = `h${++reqSeq}`;
  const p = c.waitFor((m) => m.id === msg.id && REPLY_TYPES.has(m.type), 5000, `reply to ${J(msg).slice(0, 120)}`);
  c.send(msg);
  const r = await p;
  assert.equal(r.type, type, `${c.tag} sent ${J(msg)}: expected ${type}, got ${J(r)}`);
  return r;
}

// ---------------------------------------------------------------- scenario

const QUESTIONS = {
  single: ['Ce résultat est-il commun à tous nos partenaires ?', 'Quelle priorité 🚀 ?'],
  multiple: ['Quelles priorités pour 2027 ?', 'Quels publics « cibles » ?'],
  scale: ['Nos objectifs sont clairs.', 'Le calendrier est réaliste 📅.'],
  text: ['Quel impact voulons-nous avoir en tant que groupe ?', 'Comment saurons-nous si nous avons réussi ?'],
};
const CHOICES = ['Emploi', 'Logement', 'Mobilité', 'Santé 🩺', 'Éducation', 'Je ne sais pas'];
const ANSWERS = ['Un réseau qui dure', 'Moins de jeunes sans solution', 'Des données partagées 📊', 'Se parler plus souvent', 'Un œil extérieur', 'Des mesures d’impact'];

function pollDef(rand, kind) {
  const pick = (a) => a[Math.floor(rand() * a.length)];
  const def = { kind, question: pick(QUESTIONS[kind]) };
  if (kind === 'single' || kind === 'multiple') {
    const n = 2 + Math.floor(rand() * 3);
    const start = Math.floor(rand() * (CHOICES.length - n + 1));
    def.choices = CHOICES.slice(start, start + n);
    if (kind === 'multiple' && rand() < 0.5) def.max = 1 + Math.floor(rand() * n);
  }
  if (kind === 'text' && rand() < 0.5) def.max = 2;
  return def;
}

function randomBallot(rand, poll) {
  if (rand() < 0.08) return null;
  if (poll.kind === 'scale') return 1 + Math.floor(rand() * 5);
  const n = poll.choices.length;
  if (poll.kind === 'single') return Math.floor(rand() * n);
  const max = poll.max || n;
  const k = 1 + Math.floor(rand() * max);
  const idx = [...Array(n).keys()].sort(() => rand() - 0.5).slice(0, k);
  return idx.sort((a, b) => a - b);
}

async function runScenario(h, seed, t) {
  const rand = prng(seed);
  const w = await h.server.createWorkshop({ title: `Histoire ${seed} — « partenariat » 🤝`, text: INITIAL });
  const all = []; // every client of the scenario, gone ones included
  const mk = (name, organisation, key, extra = {}) => {
    const c = h.client({ workshop: w.id, name, organisation, key, record: 100, ...extra });
    all.push(c);
    return c;
  };

  const F = observe(mk('Observatrice', 'Observatoire', w.facilitator_key));
  await F.start();
  const P = observe(mk('Témoin', 'Observatoire'));
  await P.start();
  const fac = mk('Awa', 'Ville de Lyon', w.facilitator_key);
  await fac.start();
  const people = [];
  for (const [name, org] of PEOPLE) {
    const c = mk(name, org);
    await c.start();
    people.push(c);
  }
  const orgOf = new Map(); // participant id -> organisation
  const learn = (c) => orgOf.set(c.participant.id, c.organisation);
  for (const c of [F, P, fac, ...people]) learn(c);

  const away = []; // closed clients that may come back
  const polls = []; // driver's model: { id, kind, state, vis, choices, max, answers: [{id, author}] }
  const pollOrder = []; // creation order
  const checkpoints = [];
  const steps = { leave: 0, tab: 0, closeTab: 0, closeFirstTab: 0, backResume: 0, backNew: 0 };
  const tabs = []; // second connections (tabs) of present participants
  const connected = () => [F, P, fac, ...people, ...tabs];

  async function quiet() {
    await waitQuiescent(connected(), { timeoutMs: 20000, serverRev: () => h.server.workshopRev(w.id) });
    const want = new Set(connected().map((c) => c.participant.id));
    await waitUntil(() => F.presentList.length === want.size && F.presentList.every((p) => want.has(p.participant))
      && P.presentList.length === want.size, 5000, `presence seen by the observers (seed ${seed})`);
    await sleep(400); // results are coalesced (250 ms)
  }

  async function checkpoint(label) {
    await quiet();
    const cp = {
      label, T: Date.now(), rev: F.rev, text: F.text,
      present: clone(F.presentList), presentP: clone(P.presentList),
      pollsF: clone(observedPolls(F, pollOrder)), pollsP: clone(observedPolls(P, pollOrder)),
    };
    assert.equal(P.rev, F.rev);
    assert.equal(P.text, F.text, 'the two observers disagree');
    checkpoints.push(cp);
    await sleep(3);
  }

  async function typeBurst(typers, ops) {
    await Promise.all(typers.map(async (c, i) => {
      const r = prng(seed * 977 + i * 31 + checkpoints.length);
      for (let k = 0; k < ops; k++) {
        c.submit(randomEdit(c.text, r));
        await sleep(Math.floor(r() * 8));
      }
    }));
  }

  async function pollAction() {
    const live = polls.filter((p) => p.state !== 'deleted');
    const choices = [];
    if (live.length < 6) choices.push('create', 'create');
    if (live.some((p) => p.state === 'draft')) choices.push('edit', 'open', 'open', 'open');
    if (live.some((p) => p.state === 'open')) choices.push('vote', 'vote', 'vote', 'close', 'close', 'results');
    if (live.some((p) => p.state === 'closed')) choices.push('reopen', 'reopen', 'results', 'results');
    if (live.length >= 4) choices.push('delete');
    const what = choices[Math.floor(rand() * choices.length)];
    const any = (pred) => { const xs = live.filter(pred); return xs[Math.floor(rand() * xs.length)]; };
    const vis = () => ['hidden', 'live', 'revealed'][Math.floor(rand() * 3)];
    switch (what) {
      case 'create': {
        const kind = ['single', 'multiple', 'scale', 'text'][Math.floor(rand() * 4)];
        const def = pollDef(rand, kind);
        const r = await must(fac, { type: 'poll_create', ...def }, 'poll');
        polls.push({ id: r.poll.id, ...def, state: 'draft', vis: 'hidden', answers: [] });
        pollOrder.push(r.poll.id);
        break;
      }
      case 'edit': {
        const p = any((x) => x.state === 'draft');
        const kind = ['single', 'multiple', 'scale', 'text'][Math.floor(rand() * 4)];
        const def = pollDef(rand, kind);
        await must(fac, { type: 'poll_edit', poll: p.id, ...def }, 'poll');
        delete p.choices; delete p.max;
        Object.assign(p, def);
        break;
      }
      case 'open': {
        const p = any((x) => x.state === 'draft');
        if (rand() < 0.4) { p.vis = vis(); await must(fac, { type: 'poll_results', poll: p.id, visibility: p.vis }, 'poll'); }
        await must(fac, { type: 'poll_open', poll: p.id }, 'poll');
        p.state = 'open';
        await ballots(p, 0.9);
        break;
      }
      case 'vote': await ballots(any((x) => x.state === 'open'), 0.6); break;
      case 'close': {
        const p = any((x) => x.state === 'open');
        await must(fac, { type: 'poll_close', poll: p.id }, 'poll');
        p.state = 'closed';
        break;
      }
      case 'reopen': {
        const p = any((x) => x.state === 'closed');
        await must(fac, { type: 'poll_reopen', poll: p.id }, 'poll');
        p.state = 'open';
        if (p.vis === 'revealed') p.vis = 'hidden';
        break;
      }
      case 'results': {
        const p = any((x) => x.state !== 'draft');
        p.vis = vis();
        await must(fac, { type: 'poll_results', poll: p.id, visibility: p.vis }, 'poll');
        break;
      }
      case 'delete': {
        const p = any(() => true);
        await must(fac, { type: 'poll_delete', poll: p.id }, 'poll_deleted');
        p.state = 'deleted';
        break;
      }
      default:
    }
  }

  // Every seed goes once through "revealed until a reopen" (history.md):
  // results visible to participants after the close, hidden again on reopen.
  async function revealThenReopen() {
    const def = pollDef(rand, rand() < 0.5 ? 'single' : 'scale');
    const r = await must(fac, { type: 'poll_create', ...def }, 'poll');
    const p = { id: r.poll.id, ...def, state: 'draft', vis: 'hidden', answers: [] };
    polls.push(p);
    pollOrder.push(p.id);
    await must(fac, { type: 'poll_open', poll: p.id }, 'poll');
    p.state = 'open';
    await ballots(p, 1);
    await must(fac, { type: 'poll_close', poll: p.id }, 'poll');
    p.state = 'closed';
    await must(fac, { type: 'poll_results', poll: p.id, visibility: 'revealed' }, 'poll');
    p.vis = 'revealed';
    await sleep(300);
    await must(fac, { type: 'poll_reopen', poll: p.id }, 'poll');
    p.state = 'open';
    p.vis = 'hidden';
    await ballots(p, 0.5);
  }

  // Connected participants take part in an open poll (ballots, or answers
  // and upvotes).
  async function ballots(p, share) {
    const voters = people.filter(() => rand() < share);
    for (const c of voters) {
      if (p.kind !== 'text') {
        await must(c, { type: 'vote', poll: p.id, ballot: randomBallot(rand, p) }, 'my_ballot');
        continue;
      }
      const mine = p.answers.filter((a) => a.author === c.participant.id);
      const others = p.answers.filter((a) => a.author !== c.participant.id);
      const r = rand();
      if (r < 0.45 && mine.length < 2) {
        const m = await must(c, { type: 'answer', poll: p.id, text: ANSWERS[Math.floor(rand() * ANSWERS.length)] }, 'my_ballot');
        const ids = new Set(p.answers.map((a) => a.id));
        for (const a of m.answers) if (!ids.has(a.id)) p.answers.push({ id: a.id, author: c.participant.id });
      } else if (r < 0.55 && mine.length) {
        const a = mine[0];
        await must(c, { type: 'answer', poll: p.id, answer: a.id, text: `${ANSWERS[Math.floor(rand() * ANSWERS.length)]} (modifié)` }, 'my_ballot');
      } else if (r < 0.62 && mine.length) {
        const a = mine[0];
        await must(c, { type: 'answer', poll: p.id, answer: a.id, text: null }, 'my_ballot');
        p.answers = p.answers.filter((x) => x !== a);
      } else if (others.length) {
        const a = others[Math.floor(rand() * others.length)];
        await must(c, { type: 'upvote', poll: p.id, answer: a.id, up: rand() < 0.85 }, 'my_ballot');
      }
    }
  }

  // A resume with c's token on a new connection: the same participant.
  const resumeOf = (c) => {
    const x = mk(c.name, c.organisation, c.key);
    x.token = c.token; x.participant = c.participant; x.role = c.role; x.rev = c.rev; x.text = c.text;
    return x;
  };

  async function presenceChange() {
    const r = rand();
    if (r < 0.35 && people.length > 4) {
      // Leaves (closes the tab; still present if another tab is open).
      const c = people.splice(Math.floor(rand() * people.length), 1)[0];
      c.close();
      away.push(c);
      steps.leave++;
    } else if (r < 0.5 && tabs.length < 2) {
      // Opens a second tab: arrives once (history.md, README: a participant
      // connected twice arrives once and departs when the last tab closes).
      const c = people[Math.floor(rand() * people.length)];
      const x = resumeOf(c);
      await x.start();
      tabs.push(x);
      steps.tab++;
    } else if (r < 0.7 && tabs.length) {
      const x = tabs.splice(Math.floor(rand() * tabs.length), 1)[0];
      const i = people.findIndex((c) => c.participant.id === x.participant.id);
      if (i >= 0 && rand() < 0.5) {
        // Closes the first tab; the second one carries on.
        people[i].close();
        people[i] = x;
        steps.closeFirstTab++;
      } else {
        x.close();
        steps.closeTab++;
      }
    } else if (away.length) {
      const old = away.splice(Math.floor(rand() * away.length), 1)[0];
      // Back as the same participant (resume: same text and revision as
      // when it left), or as a new participant with the same name.
      const resume = rand() < 0.5;
      const c = resume ? resumeOf(old) : mk(old.name, old.organisation, undefined);
      steps[resume ? 'backResume' : 'backNew']++;
      await c.start();
      learn(c);
      people.push(c);
    }
  }

  await checkpoint('start');
  for (let round = 0; round < ROUNDS; round++) {
    // First thing after a checkpoint: one op, so /state?rev= of the
    // checkpoint's revision describes exactly the checkpoint.
    const lead = people[Math.floor(rand() * people.length)];
    lead.submit(randomEdit(lead.text, rand));
    await waitUntil(() => lead.idle, 5000, 'lead op ack');
    const typers = [fac, ...people].filter(() => rand() < 0.6);
    const actions = (async () => {
      if (round === 2) await revealThenReopen();
      const n = 2 + Math.floor(rand() * 3);
      for (let i = 0; i < n; i++) { await pollAction(); await sleep(Math.floor(rand() * 40)); }
    })();
    await Promise.all([typeBurst(typers, 8 + Math.floor(rand() * 14)), actions]);
    await quiet();
    const changes = 1 + Math.floor(rand() * 3);
    for (let i = 0; i < changes; i++) await presenceChange();
    // A checkpoint both right after ballots (between ops) and after presence.
    await checkpoint(`round ${round}`);
  }
  for (const c of connected()) {
    assert.equal(c.resyncs, 0, `${c.tag} had to resync (gap in the live stream)`);
  }
  h.assertNoProblems();
  const everyone = all;
  return { steps, w, F, P, fac, checkpoints, pollOrder, orgOf, everyone };
}

// ---------------------------------------------------------------- models from /history

// What /state should say at the end of events[0..k]: presence and polls as
// the events describe them.
function modelAt(events, k) {
  let present = [];
  const polls = new Map();
  let rev = 0;
  for (let i = 0; i <= k; i++) {
    const e = events[i];
    if (e.type === 'op') rev = e.rev + 1;
    else if (e.type === 'arrived') present.push({ participant: e.participant, name: e.name, org: e.org, role: e.role });
    else if (e.type === 'departed') present = present.filter((p) => p.participant !== e.participant);
    else if (POLL_EVENTS.has(e.type)) {
      if (e.type === 'poll_deleted') polls.delete(e.poll.id);
      else polls.set(e.poll.id, { poll: e.poll, results: e.results });
    }
  }
  const list = [...polls.values()].sort((a, b) => a.poll.created - b.poll.created);
  return { rev, present, polls: list };
}

// ---------------------------------------------------------------- checks

async function checkHistory(h, run, t) {
  const { w, F, P, checkpoints, orgOf, everyone } = run;
  const port = h.server.port;
  const key = w.facilitator_key;
  const pids = everyone.map((c) => c.participant.id);
  const bugs = [];
  const bug = (s) => { if (bugs.length < 40) bugs.push(s); };
  // Every /state reply is checked against protocol/schema/workshop-state.json.
  const getJson = async (p, path, opts) => {
    const r = await getJsonRaw(p, path, opts);
    if (r.status === 200 && path.includes('/state?')) {
      const e = schemaErrors('workshop-state', r.json);
      if (e) bug(`GET ${path}: ${e}`);
    }
    return r;
  };

  // --- paging: every limit gives the same events, once each, in order
  const base = await fetchAllHistory(port, w.id, { key });
  const events = base.events;
  // limit=1 costs one request per event: on the first seed only.
  for (const limit of run.first ? [1, 7, 100, 1000, 10000] : [7, 1000, 10000]) {
    const got = await fetchAllHistory(port, w.id, { key, limit });
    assert.equal(got.events.length, events.length, `limit=${limit}: ${got.events.length} events, default paging ${events.length}`);
    if (!same(got.events, events)) {
      const i = got.events.findIndex((e, k) => !same(e, events[k]));
      assert.fail(`limit=${limit}: event ${i} differs: ${J(got.events[i])} vs ${J(events[i])}`);
    }
  }
  for (let i = 1; i < events.length; i++) {
    if (streamIdCmp(events[i - 1].id, events[i].id) >= 0) bug(`history: ids not increasing at ${i}: ${events[i - 1].id} then ${events[i].id}`);
    if (events[i].t < events[i - 1].t) bug(`history: t goes back at ${i}`);
  }
  const marks = await fetchAllHistory(port, w.id, { key, only: 'marks', limit: 50 });
  assert.deepEqual(marks.events, events.filter((e) => e.type !== 'op'), '?only=marks is not the non-edit events');

  // --- structure and replay from the creation text
  assert.equal(events[0].type, 'created');
  assert.equal(events[0].rev, 0);
  assert.equal(events[0].title, w.title);
  assert.equal(base.last.title, w.title);
  assert.equal(base.last.created, w.created);
  assert.equal(base.last.workshop, w.id);
  const s0 = await getJson(port, `/api/workshops/${w.id}/state?rev=0`);
  assert.equal(s0.status, 200, `state?rev=0: ${s0.status} ${s0.text.slice(0, 200)}`);
  assert.equal(s0.json.text, INITIAL, 'state?rev=0 is not the creation text');
  const ops = events.filter((e) => e.type === 'op');
  const finalRev = F.rev;
  assert.equal(ops.length, finalRev, 'one op event per revision');
  assert.equal(base.last.rev, finalRev);
  const texts = [INITIAL];
  let rev = 0;
  for (const e of events) {
    if (e.rev !== rev) bug(`event ${e.id} (${e.type}) has rev ${e.rev}, expected ${rev}`);
    if (e.type !== 'op') continue;
    texts.push(ot.apply(texts[texts.length - 1], e.op));
    rev++;
  }
  const remote = new Map(F.remote.map((m) => [m.rev, m]));
  for (const e of ops) {
    const live = remote.get(e.rev);
    if (live && (!same(live.op, e.op) || live.author !== e.author)) bug(`op event rev ${e.rev}: ${J(e)} but F received ${J(live)}`);
    if (e.org !== orgOf.get(e.author)) bug(`op event rev ${e.rev}: org ${J(e.org)}, author's organisation ${J(orgOf.get(e.author))}`);
  }
  for (const [r, text] of F.texts) {
    if (texts[r] !== text) { bug(`history replay at rev ${r} differs from the text F saw live`); break; }
  }
  for (const [r, text] of P.texts) {
    if (texts[r] !== text) { bug(`history replay at rev ${r} differs from the text P saw live`); break; }
  }
  assert.ok(F.texts.size > finalRev / 2, 'F recorded too few revisions');

  // --- presence: the arrivals and departures F saw, in order
  const presence = events.filter((e) => e.type === 'arrived' || e.type === 'departed').map((e) => [e.type, e.participant]);
  assert.deepEqual(presence[0], ['arrived', F.participant.id]);
  if (!same(presence.slice(1, 1 + F.presenceLog.length), F.presenceLog)) {
    bug(`presence events ${J(presence.slice(1, 12))}… differ from what F saw ${J(F.presenceLog.slice(0, 11))}…`);
  }
  for (const e of events.filter((x) => x.type === 'arrived')) {
    const c = everyone.find((x) => x.participant.id === e.participant);
    if (!c || e.name !== c.name || e.org !== c.organisation || e.role !== c.role) bug(`arrived event ${J(e)} does not match the participant`);
  }

  // --- /state?rev=R: the text of every revision (or a sample)
  const rand = prng(finalRev);
  let revs = [...Array(finalRev + 1).keys()];
  if (revs.length > STATE_SAMPLE) revs = revs.filter(() => rand() < STATE_SAMPLE / (finalRev + 1)).concat([finalRev]);
  const lastEventBefore = new Map(); // rev -> last event before the op making rev+1
  for (const e of events) lastEventBefore.set(e.type === 'op' ? e.rev + 1 : e.rev, e);
  for (const r of revs) {
    const view = r % 2 ? undefined : key;
    const s = await getJson(port, `/api/workshops/${w.id}/state?rev=${r}`, { key: view });
    if (s.status !== 200) { bug(`state?rev=${r}: ${s.status} ${s.text.slice(0, 200)}`); continue; }
    if (s.json.text !== texts[r]) bug(`state?rev=${r}: text ${J(s.json.text.slice(0, 80))}…, history/live text ${J(texts[r].slice(0, 80))}…`);
    if (s.json.rev !== r) bug(`state?rev=${r}: rev ${s.json.rev}`);
    const le = lastEventBefore.get(r);
    if (view && (s.json.event !== le.id || s.json.t !== le.t)) bug(`state?rev=${r}: event ${s.json.event} t ${s.json.t}; history.md: the last event before the next op, ${le.id} t ${le.t}`);
  }

  // --- checkpoints: everything F and P had live, at ?rev= and ?at=
  for (const cp of checkpoints) {
    for (const q of [`rev=${cp.rev}`, `at=${cp.T}`]) {
      const sf = await getJson(port, `/api/workshops/${w.id}/state?${q}`, { key });
      const sp = await getJson(port, `/api/workshops/${w.id}/state?${q}`);
      if (sf.status !== 200 || sp.status !== 200) { bug(`${cp.label}: state?${q}: ${sf.status}/${sp.status} ${sf.text.slice(0, 200)}`); continue; }
      for (const [who, s] of [['facilitator', sf.json], ['public', sp.json]]) {
        if (s.rev !== cp.rev || s.text !== cp.text) bug(`${cp.label}: ${who} state?${q}: rev ${s.rev} (live ${cp.rev}) or text differs`);
        if (!same(s.present, cp.present)) bug(`${cp.label}: ${who} state?${q}: present ${J(s.present)}; live (F, in order of arrival) ${J(cp.present)}`);
        if (s.workshop !== w.id || s.title !== w.title) bug(`${cp.label}: ${who} state?${q}: workshop/title ${s.workshop}/${s.title}`);
      }
      if (!same(cp.present.map((p) => p.participant).sort(), cp.presentP.map((p) => p.participant).sort())) bug(`${cp.label}: F and P disagree on presence`);
      comparePolls(bug, `${cp.label}: facilitator state?${q}`, sf.json.polls, cp.pollsF);
      // The public view shows the polls P saw, their results only once closed
      // (history.md, "Ballots in the public history"): then as P saw them.
      const closedP = cp.pollsP.map((x) => ({ poll: x.poll, results: x.poll.state === 'closed' ? x.results : null }));
      const gotP = (sp.json.polls || []).map((x) => ({ poll: x.poll, results: x.poll.state === 'closed' ? x.results : null }));
      if (!same(gotP.map((x) => x.poll.id), closedP.map((x) => x.poll.id))) bug(`${cp.label}: public state?${q}: polls ${J(gotP.map((x) => x.poll.id))}; live ${J(closedP.map((x) => x.poll.id))}`);
      for (const x of sp.json.polls || []) if (x.poll.state !== 'closed' && x.results !== null) bug(`${cp.label}: public state?${q}: results of ${x.poll.state} poll ${x.poll.id}`);
      for (let i = 0; i < closedP.length && i < gotP.length; i++) {
        if (closedP[i].poll.state === 'closed' && !same(gotP[i], closedP[i])) bug(`${cp.label}: public state?${q}: closed poll ${closedP[i].poll.id} is ${J(gotP[i])}; live ${J(closedP[i])}`);
      }
    }
  }

  // --- ?at=T between events: the state the history describes
  const publicHist = await fetchAllHistory(port, w.id, { limit: 500 });
  const pevents = publicHist.events;
  const tr = prng(events.length);
  const times = new Set();
  for (let i = 0; i < events.length; i++) {
    if (tr() < AT_SAMPLE / events.length || i === events.length - 1) {
      times.add(events[i].t);
      if (i + 1 < events.length && events[i + 1].t - 1 > events[i].t) times.add(events[i].t + Math.floor((events[i + 1].t - events[i].t) / 2));
    }
  }
  for (const T of times) {
    let k = -1;
    while (k + 1 < events.length && events[k + 1].t <= T) k++;
    const m = modelAt(events, k);
    let pk = -1;
    while (pk + 1 < pevents.length && pevents[pk + 1].t <= T) pk++;
    const pm = modelAt(pevents, pk);
    const sf = await getJson(port, `/api/workshops/${w.id}/state?at=${T}`, { key });
    const sp = await getJson(port, `/api/workshops/${w.id}/state?at=${T}`);
    if (sf.status !== 200 || sp.status !== 200) { bug(`state?at=${T}: ${sf.status}/${sp.status} ${sf.text.slice(0, 200)}`); continue; }
    const f = sf.json;
    if (f.event !== events[k].id || f.t !== events[k].t) bug(`state?at=${T}: event ${f.event} t ${f.t}; last event at or before T is ${events[k].id}`);
    if (f.rev !== m.rev || f.text !== texts[m.rev]) bug(`state?at=${T}: rev ${f.rev}, expected ${m.rev} (or text differs)`);
    if (!same(f.present, m.present)) bug(`state?at=${T}: present ${J(f.present)}; from history ${J(m.present)}`);
    comparePolls(bug, `facilitator state?at=${T}`, f.polls, m.polls);
    if (sp.json.rev !== m.rev || sp.json.text !== texts[m.rev] || !same(sp.json.present, m.present)) bug(`public state?at=${T}: rev/text/present differ from the facilitator view`);
    comparePolls(bug, `public state?at=${T}`, sp.json.polls, pm.polls);
  }

  // --- who sees what
  const fById = new Map(events.map((e) => [e.id, e]));
  for (const e of events) {
    if (!POLL_EVENTS.has(e.type)) continue;
    const s = J(e);
    for (const pid of pids) if (s.includes(pid)) bug(`facilitator view: ${e.type} event ${e.id} names participant ${pid}`);
    if (e.type === 'poll_opened') fById.set(`opened:${e.poll.id}`, true);
    if (e.poll.state !== 'draft' && e.type !== 'poll_deleted' && (!e.results || e.results.poll !== e.poll.id)) bug(`facilitator view: ${e.type} event ${e.id} of a ${e.poll.state} poll has results ${J(e.results)}`);
  }
  const wasDraftEvent = (e) => POLL_EVENTS.has(e.type) && (e.poll.state === 'draft' || (e.type === 'poll_deleted' && !fById.has(`opened:${e.poll.id}`)));
  const expectIds = events.filter((e) => !wasDraftEvent(e) && !BALLOT_EVENTS.has(e.type)).map((e) => e.id);
  if (!same(pevents.map((e) => e.id), expectIds)) bug(`public history: ${pevents.length} events; expected the ${expectIds.length} non-draft, non-vote events of the facilitator view`);
  for (const e of pevents) {
    const fe = fById.get(e.id);
    if (!POLL_EVENTS.has(e.type)) { if (!same(e, fe)) bug(`public ${e.type} event ${e.id} differs from the facilitator's`); continue; }
    const s = J(e);
    for (const pid of pids) if (s.includes(pid)) bug(`public view: ${e.type} event ${e.id} names participant ${pid}`);
    if (e.poll.state === 'draft') bug(`public view: event ${e.id} shows a draft`);
    if (BALLOT_EVENTS.has(e.type)) bug(`public view: ${e.type} event ${e.id} (history.md: votes are not in the public history)`);
    if (fe) {
      const extraF = Object.keys(fe).filter((k) => !['id', 't', 'type', 'rev', 'poll', 'results'].includes(k));
      if (BALLOT_EVENTS.has(fe.type) && extraF.length) bug(`facilitator view: ${fe.type} event ${fe.id} has fields ${J(extraF)}`);
    }
    const visible = (e.poll.results === 'live' || e.poll.results === 'revealed') && e.poll.state === 'closed';
    if (e.type === 'poll_deleted') continue;
    if (!visible && e.results !== null) bug(`public view: ${e.type} event ${e.id} shows results of a poll whose results are ${e.poll.results}`);
    if (visible && (!fe || !same(e.results, fe.results))) bug(`public view: ${e.type} event ${e.id} results ${J(e.results)}; facilitator's ${J(fe && fe.results)}`);
    if (fe && !same(e.poll, fe.poll)) bug(`public view: ${e.type} event ${e.id} poll differs from the facilitator's`);
  }
  assert.ok(events.some((e) => BALLOT_EVENTS.has(e.type)), 'the scenario cast no ballot');

  // --- a wrong key is 403, never the public view
  for (const p of [`/api/workshops/${w.id}/history`, `/api/workshops/${w.id}/state?rev=0`]) {
    const r = await getJson(port, p, { key: `${key.slice(0, -2)}xx` });
    if (r.status !== 403) bug(`GET ${p} with a wrong key: ${r.status}; history.md: 403 forbidden`);
  }

  const withResults = (list) => list.filter((x) => x.results !== null).length;
  const cpF = checkpoints.reduce((n, cp) => n + withResults(cp.pollsF), 0);
  const cpP = checkpoints.reduce((n, cp) => n + withResults(cp.pollsP), 0);
  const cpHidden = checkpoints.reduce((n, cp) => n + cp.pollsP.length - withResults(cp.pollsP), 0);
  const pubNull = pevents.filter((e) => POLL_EVENTS.has(e.type) && e.results === null).length;
  t.diagnostic(`checkpoint polls with results: facilitator ${cpF}, public ${cpP} (public hidden: ${cpHidden}); public poll events with results null: ${pubNull} of ${pevents.filter((e) => POLL_EVENTS.has(e.type)).length}; facilitator events hidden from the public: ${events.length - pevents.length}`);
  const kinds = {};
  for (const e of events) kinds[e.type] = (kinds[e.type] || 0) + 1;
  t.diagnostic(`${events.length} events (${J(kinds)}), ${finalRev} revisions, ${revs.length} /state?rev checked, ${checkpoints.length} checkpoints, ${times.size} ?at times, final text ${cpLen(texts[finalRev])} code points`);
  for (const b of bugs) t.diagnostic(`SPEC MISMATCH: ${b}`);
  assert.equal(bugs.length, 0, `${bugs.length} disagreement(s) with protocol/history.md:\n- ${bugs.join('\n- ')}`);
}

function comparePolls(bug, where, got, want) {
  if (!Array.isArray(got)) { bug(`${where}: polls is ${J(got)}`); return; }
  const g = got.map((x) => x.poll && x.poll.id);
  const e = want.map((x) => x.poll.id);
  if (!same(g, e)) { bug(`${where}: polls ${J(g)}; expected ${J(e)} (${J(want.map((x) => x.poll.state))})`); return; }
  for (let i = 0; i < want.length; i++) {
    if (!same(got[i].poll, want[i].poll)) bug(`${where}: poll ${e[i]} is ${J(got[i].poll)}; expected ${J(want[i].poll)}`);
    if (!same(got[i].results, want[i].results)) bug(`${where}: results of ${e[i]} (${want[i].poll.state}, ${want[i].poll.results}) are ${J(got[i].results)}; expected ${J(want[i].results)}`);
  }
}

// ---------------------------------------------------------------- tests

describe('history: random recorded histories', { timeout: 240000 }, () => {
  let h;
  // ATELIER_IT_HISTORY_SNAPSHOT_EVERY=N: snapshots every N revisions (the
  // server's default is 200, more than one round of typing; 1 or 7 make
  // every /state read start from a nearby snapshot).
  const snap = process.env.ATELIER_IT_HISTORY_SNAPSHOT_EVERY;
  before(async () => { h = await Harness.start({ ownRedis: true, serverArgs: snap ? ['--snapshot-every', snap] : [] }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  const getJson = getJsonRaw;
  test('edges and bad requests: before the creation, after the end; 400, 404, 403', { timeout: 20000 }, async (t) => {
    const w = await h.server.createWorkshop({ title: 'Erreurs', text: 'abc' });
    const c = h.client({ workshop: w.id, name: 'Awa', organisation: 'Ville' });
    await c.start();
    c.submit([3, 'd']);
    await waitUntil(() => c.idle, 5000, 'ack');
    c.close();
    const port = h.server.port;
    const base = `/api/workshops/${w.id}`;
    const ok = await getJson(port, `${base}/history`);
    assert.equal(ok.status, 200, `history: ${ok.status} ${ok.text.slice(0, 200)}`);
    const first = ok.json.events[0].id;
    const cases = [
      [`${base}/history?after=abc`, 400], [`${base}/history?after=12-x`, 400], [`${base}/history?limit=0`, 400],
      [`${base}/history?limit=10001`, 400], [`${base}/history?limit=-1`, 400], [`${base}/history?limit=2.5`, 400],
      [`${base}/history?only=ops`, 400], [`${base}/history?limit=10000`, 200], [`${base}/history?only=marks`, 200],
      [`${base}/history?after=${first}&limit=1`, 200],
      [`${base}/state`, 400], [`${base}/state?rev=0&at=${w.created}`, 400], [`${base}/state?rev=-1`, 400],
      [`${base}/state?rev=2`, 400], [`${base}/state?rev=1.5`, 400], [`${base}/state?rev=abc`, 400], [`${base}/state?at=soon`, 400],
      [`${base}/state?rev=1`, 200], [`${base}/state?at=${Date.now()}`, 200],
      ['/api/workshops/AAAAAAAAAAAAAAAAAAAAAA/history', 404], ['/api/workshops/AAAAAAAAAAAAAAAAAAAAAA/state?rev=0', 404],
    ];
    const bad = [];
    for (const [p, want] of cases) {
      const r = await getJson(port, p);
      if (r.status !== want) bad.push(`GET ${p}: ${r.status} ${r.text.slice(0, 120)}; history.md: ${want}`);
      else if (want >= 400 && !(r.json && r.json.error && r.json.error.code === (want === 400 ? 'bad_request' : 'not_found'))) bad.push(`GET ${p}: ${want} without the error object: ${r.text.slice(0, 120)}`);
    }
    // Edges: before the creation nothing is included (event null, t the
    // creation time); the creation itself is an event; after the last event
    // a page is empty with next null.
    const pre = await getJson(port, `${base}/state?at=${w.created - 1}`);
    const want0 = { workshop: w.id, title: 'Erreurs', rev: 0, event: null, t: w.created, text: 'abc', present: [], polls: [],
      signoff: { open: false, called_at: null, organisations: [], agreed: null },
      board: { settings: { visibility: 'revealed', revealed: false, grouping: 'facilitator' }, items: [], groups: [] } };
    if (pre.status !== 200 || !same(pre.json, want0)) bad.push(`GET state?at=created-1: ${pre.status} ${pre.text.slice(0, 200)}; history.md: ${J(want0)}`);
    const created = ok.json.events[0];
    const at0 = await getJson(port, `${base}/state?at=${created.t}`);
    if (!at0.json || at0.json.event !== first || at0.json.rev !== 0) bad.push(`GET state?at=T of the created event: ${at0.text.slice(0, 200)}; expected the created event ${first}`);
    // The created event's time comes from the stream id (Redis' clock), the
    // workshop's `created` from the server's: they may differ by a ms or so.
    if (created.t !== w.created) t.diagnostic(`note: the created event has t ${created.t}, the workshop's created is ${w.created}`);
    const all = ok.json.events;
    const end = await getJson(port, `${base}/history?after=${all[all.length - 1].id}`);
    if (!end.json || end.json.events.length !== 0 || end.json.next !== null) bad.push(`GET history?after=LAST: ${end.text.slice(0, 200)}; expected no events, next null`);
    const after = await getJson(port, `${base}/history?after=${first}&limit=1`);
    if (after.json && after.json.events[0] && after.json.events[0].id === first) bad.push('history?after=ID includes ID (history.md: exclusive)');
    for (const p of [`${base}/history`, `${base}/state?rev=0`]) {
      const r = await getJson(port, p, { key: 'not-the-key' });
      if (r.status !== 403) bad.push(`GET ${p} with a wrong key: ${r.status}; history.md: 403`);
    }
    assert.deepEqual(bad, [], `${bad.length} disagreement(s) with history.md`);
  });

  for (const seed of SEEDS) {
    test(`seed ${seed}: /history and /state agree with what the clients saw live`, { timeout: 90000 }, async (t) => {
      let run;
      try {
        const t0 = Date.now();
        run = await runScenario(h, seed, t);
        run.first = seed === SEEDS[0];
        const t1 = Date.now();
        await checkHistory(h, run, t);
        t.diagnostic(`scenario ${t1 - t0} ms, checks ${Date.now() - t1} ms; presence steps: ${JSON.stringify(run.steps)}`);
      } catch (e) {
        e.message = `[seed ${seed}; rerun with ATELIER_IT_HISTORY_SEEDS=${seed}] ${e.message}`;
        throw e;
      } finally {
        if (run) for (const c of run.everyone) c.close();
        for (const c of h.clients) c.close();
        h.clients.length = 0;
      }
    });
  }
});
