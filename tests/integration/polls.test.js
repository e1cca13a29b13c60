'use strict';
// Live polls (protocol/polls.md, issue #4) against the real server and Redis:
// who may do what, the lifecycle and what participants see at each step,
// ballots, text answers and upvotes, results (threshold, alignment,
// coalescing), anonymity on the wire and in Redis, durability, two instances
// and a Redis outage.
//
// Expectations come from polls.md. Where the server disagrees, a test gathers
// every disagreement (message sent, reply, what the spec says) and fails once
// with the whole list, so one run shows them all.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { isDeepStrictEqual: same } = require('node:util');
const { Harness, sleep, waitUntil, prng, eventsKey } = require('./harness');

const POLL_TYPES = new Set(['poll', 'poll_deleted', 'answer', 'results', 'my_ballot']);
const REPLY_TYPES = new Set(['poll', 'poll_deleted', 'my_ballot', 'results', 'error', 'pong']);
const J = (x) => JSON.stringify(x);
const pollsKey = (w) => `atelier:{w:${w}}:polls`;
const ballotsKey = (w, p) => `atelier:{w:${w}}:ballots:${p}`;
const UNKNOWN_POLL = 'AAAAAAAAAAA';

// ---------------------------------------------------------------- helpers

// Keeps every poll message a client receives, and the latest results and
// my_ballot per poll. Attached before start() so the messages that follow
// the welcome are kept too.
function track(c) {
  c.pmsgs = []; // { t, m }
  c.results = new Map();
  c.ballots = new Map();
  c.on('message', (m) => {
    if (!POLL_TYPES.has(m.type)) return;
    c.pmsgs.push({ t: Date.now(), m });
    if (m.type === 'results') c.results.set(m.poll, m);
    if (m.type === 'my_ballot') c.ballots.set(m.poll, m);
  });
  return c;
}

async function join(h, w, { name, org = 'Tests', fac = false, server, record = 400 } = {}) {
  const c = track(h.client({
    server: server || h.server, workshop: w.id, name: name || `${fac ? 'F' : 'P'}-${org}`, organisation: org,
    key: fac ? w.facilitator_key : undefined, record,
  }));
  await c.start();
  return c;
}

// A second connection of the same participant (a resume with its token).
async function twin(h, c, server) {
  const t = track(h.twin(c, { server: server || c.server, record: 400 }));
  await t.start();
  return t;
}

let reqSeq = 0;
// Sends msg (an id is added) and resolves with the reply carrying that id.
async function req(c, msg, timeoutMs = 4000) {
  msg.id = msg.id === undefined ? `q${++reqSeq}` : msg.id;
  const p = c.waitFor((m) => m.id === msg.id && REPLY_TYPES.has(m.type), timeoutMs, `reply to ${J(msg).slice(0, 120)}`);
  c.send(msg);
  return p;
}

// A request that must succeed with a reply of `type` (later steps build on it).
async function must(c, msg, type) {
  const r = await req(c, msg);
  assert.equal(r.type, type, `${c.tag} sent ${J(msg)}: expected ${type}, got ${J(r)}`);
  return r;
}

async function createPoll(f, def) {
  return (await must(f, { type: 'poll_create', ...def }, 'poll')).poll;
}

const mark = (c) => c.pmsgs.length;
const since = (c, at, pred = () => true) => c.pmsgs.slice(at).map((x) => x.m).filter(pred);

// Waits until a poll message matching pred arrived at c after `at`; null if not.
async function seen(c, at, pred, ms = 2000) {
  try {
    return await waitUntil(() => since(c, at, pred)[0], ms, 'message', 20);
  } catch {
    return null;
  }
}

// Waits until c's latest results for poll satisfy pred; returns them or null.
async function latestResults(c, poll, pred, ms = 2500) {
  try {
    return await waitUntil(() => {
      const r = c.results.get(poll);
      return r && pred(r) ? r : null;
    }, ms, 'results', 20);
  } catch {
    return null;
  }
}

const about = (poll, ...types) => (m) => (types.length === 0 || types.includes(m.type)) && (m.poll === poll || (m.poll && m.poll.id === poll));

// The figures of a results message, without type, id and poll.
function figures(r) {
  if (!r) return r;
  const { type, id, poll, ...rest } = r; // eslint-disable-line no-unused-vars
  return rest;
}

async function pollRecord(h, w, poll) {
  const s = await h.redis.command('HGET', pollsKey(w.id), poll);
  return s === null ? null : JSON.parse(s);
}

async function ballotRecords(h, w, poll) {
  const flat = await h.redis.command('HGETALL', ballotsKey(w.id, poll));
  const out = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]] = JSON.parse(flat[i + 1]);
  return out;
}

async function rawState(h, w, polls) {
  const out = { polls: await h.redis.command('HGETALL', pollsKey(w.id)), events: await h.redis.command('XLEN', eventsKey(w.id)) };
  for (const p of polls) out[p] = await h.redis.command('HGETALL', ballotsKey(w.id, p));
  return out;
}

// What a facilitator who joins now is told: welcome.polls, then the results
// that follow the welcome (a facilitator may see every poll's results).
async function facilitatorView(h, w, server) {
  const f = await join(h, w, { name: 'Vue', org: 'Vue', fac: true, server });
  const polls = f.welcomes[0].polls;
  await waitUntil(() => polls.every((p) => f.results.has(p.id)), 3000, 'results after welcome').catch(() => {});
  f.close();
  return { polls, results: f.results, client: f };
}

// Errors: the reply must be an error with this code, re and id.
async function expectError(bugs, c, msg, code, label) {
  const r = await req(c, msg);
  const where = `${label}: ${c.role || ''} sent ${J(msg)}`;
  if (r.type !== 'error' || r.code !== code) bugs.push(`${where} -> got ${J(r)}; polls.md: error "${code}"`);
  else if (r.re !== msg.type || r.id !== msg.id) bugs.push(`${where} -> error without re/id of the request: ${J(r)}`);
  return r;
}

function finish(bugs, t) {
  for (const b of bugs) t.diagnostic(`SPEC MISMATCH: ${b}`);
  assert.equal(bugs.length, 0, `${bugs.length} disagreement(s) with protocol/polls.md:\n- ${bugs.join('\n- ')}`);
}

// No poll message (nor welcome.polls) any client received names a participant.
function anonymityProblems(clients, pids) {
  const out = [];
  for (const c of clients) {
    const texts = c.pmsgs.map((x) => J(x.m));
    for (const wm of c.welcomes) texts.push(J(wm.polls || []));
    for (const s of texts) {
      for (const pid of pids) {
        if (s.includes(pid)) { out.push(`${c.tag} received a poll message naming ${pid}: ${s.slice(0, 200)}`); break; }
      }
    }
  }
  return out;
}

// Every poll event of the workshop's stream: names an organisation (ballots,
// answers, upvotes) and never a participant.
async function eventProblems(h, w, pids, orgs) {
  const out = [];
  const entries = await h.redis.command('XRANGE', eventsKey(w.id), '-', '+');
  let ballots = 0;
  for (const [sid, f] of entries) {
    const ev = {};
    for (let i = 0; i + 1 < f.length; i += 2) ev[f[i]] = f[i + 1];
    if (!ev.poll) continue;
    const text = J(f);
    for (const pid of pids) if (text.includes(pid)) out.push(`event ${sid} ${ev.type} names participant ${pid}: ${text.slice(0, 200)}`);
    if (['ballot', 'answer', 'upvote'].includes(ev.type)) {
      ballots++;
      if (!orgs.includes(ev.org)) out.push(`event ${sid} ${ev.type} has org ${J(ev.org)}, not one of ${J(orgs)}`);
      for (const k of ['participant', 'author']) if (k in ev) out.push(`event ${sid} ${ev.type} has a ${k} field`);
    }
  }
  return { problems: out, ballots };
}

function schemaProblems(h) {
  return h.problems().filter((p) => !p.includes('exited unexpectedly'));
}

// ---------------------------------------------------------------- tests

describe('polls', { timeout: 150000 }, () => {
  let h;
  before(async () => { h = await Harness.start({ ownRedis: true }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('a participant cannot run polls: forbidden, and nothing changes', { timeout: 20000 }, async (t) => {
    const bugs = [];
    const w = await h.server.createWorkshop({ title: 'Droits' });
    const f = await join(h, w, { name: 'Awa', org: 'Ville de Lyon', fac: true });
    const p = await join(h, w, { name: 'Jean', org: 'Banque' });
    const draft = await createPoll(f, { kind: 'single', question: 'Brouillon ?', choices: ['a', 'b'] });
    const open = await createPoll(f, { kind: 'single', question: 'Ouvert ?', choices: ['a', 'b'] });
    await must(f, { type: 'poll_open', poll: open.id }, 'poll');
    const closed = await createPoll(f, { kind: 'scale', question: 'Fermé.' });
    await must(f, { type: 'poll_open', poll: closed.id }, 'poll');
    await must(p, { type: 'vote', poll: closed.id, ballot: 4 }, 'my_ballot');
    await must(f, { type: 'poll_close', poll: closed.id }, 'poll');
    await must(p, { type: 'vote', poll: open.id, ballot: 1 }, 'my_ballot');
    const gone = await createPoll(f, { kind: 'text', question: 'Supprimé ?' });
    await must(f, { type: 'poll_open', poll: gone.id }, 'poll');
    await must(f, { type: 'poll_delete', poll: gone.id }, 'poll_deleted');
    await sleep(300); // let the results of these steps reach everyone

    const ids = [draft.id, open.id, closed.id];
    const before = await rawState(h, w, ids);
    const fAt = mark(f);
    const pAt = mark(p);

    await expectError(bugs, p, { type: 'poll_create', kind: 'single', question: 'Piraté', choices: ['x', 'y'] }, 'forbidden', 'participant poll_create');
    for (const [label, poll] of [['draft', draft], ['open poll', open], ['closed poll', closed]]) {
      const actions = [
        { type: 'poll_edit', poll: poll.id, kind: 'single', question: 'Piraté', choices: ['x', 'y'] },
        { type: 'poll_open', poll: poll.id },
        { type: 'poll_close', poll: poll.id },
        { type: 'poll_reopen', poll: poll.id },
        { type: 'poll_results', poll: poll.id, visibility: 'live' },
        { type: 'poll_results', poll: poll.id, visibility: 'revealed' },
        { type: 'poll_results', poll: poll.id, visibility: 'hidden' },
        { type: 'poll_delete', poll: poll.id },
      ];
      // polls.md, Lifecycle: "Only a facilitator creates, edits, opens,
      // closes, reopens, deletes a poll or sets who sees its results.
      // Anyone else who tries gets `forbidden`, whatever the poll."
      for (const a of actions) await expectError(bugs, p, a, 'forbidden', `participant ${a.type} on a ${label}`);
    }
    // Rights come first: a deleted or unknown poll is forbidden to a
    // participant too, and not_found for a facilitator.
    await expectError(bugs, p, { type: 'poll_open', poll: gone.id }, 'forbidden', 'participant poll_open on a deleted poll');
    await expectError(bugs, p, { type: 'poll_delete', poll: UNKNOWN_POLL }, 'forbidden', 'participant poll_delete on an unknown poll');
    await expectError(bugs, f, { type: 'poll_open', poll: gone.id }, 'not_found', 'facilitator poll_open on a deleted poll');
    await sleep(400);

    // Nothing changed: Redis, the event stream, what the facilitator was sent.
    assert.deepEqual(await rawState(h, w, ids), before, 'Redis (polls, ballots or events) changed after refused facilitator actions');
    const fGot = since(f, fAt, (m) => m.type === 'poll' || m.type === 'poll_deleted');
    assert.deepEqual(fGot, [], `the facilitator was sent poll changes: ${J(fGot).slice(0, 300)}`);
    const pGot = since(p, pAt, (m) => m.type === 'poll' || m.type === 'poll_deleted');
    assert.deepEqual(pGot, [], `the participant was sent poll changes: ${J(pGot).slice(0, 300)}`);
    for (const poll of [draft, open, closed]) {
      const rec = await pollRecord(h, w, poll.id);
      assert.equal(rec.question, poll.question);
    }
    assert.equal((await pollRecord(h, w, draft.id)).state, 'draft');
    assert.equal((await pollRecord(h, w, open.id)).state, 'open');
    assert.equal((await pollRecord(h, w, closed.id)).state, 'closed');
    const view = await facilitatorView(h, w);
    assert.deepEqual(view.polls.map((x) => [x.id, x.state, x.results, x.question]),
      [[draft.id, 'draft', 'hidden', 'Brouillon ?'], [open.id, 'open', 'hidden', 'Ouvert ?'], [closed.id, 'closed', 'hidden', 'Fermé.']]);
    // The participant's own view: no draft, the others unchanged.
    const p2 = await join(h, w, { name: 'Jeanne', org: 'Banque' });
    assert.deepEqual(p2.welcomes[0].polls.map((x) => [x.id, x.state]), [[open.id, 'open'], [closed.id, 'closed']]);
    p2.close();
    assert.deepEqual(schemaProblems(h), []);
    finish(bugs, t);
  });

  test('lifecycle: draft, open, closed, reopened, closed; who receives what', { timeout: 30000 }, async (t) => {
    const bugs = [];
    const w = await h.server.createWorkshop({ title: 'Cycle de vie' });
    const f = await join(h, w, { name: 'Awa', org: 'Ville', fac: true });
    const f2 = await join(h, w, { name: 'Bea', org: 'Ville', fac: true });
    const p1 = await join(h, w, { name: 'Jean', org: 'Banque' });
    const p2 = await join(h, w, { name: 'Lou', org: 'Asso' });
    const parts = [p1, p2];

    // Draft: the author and the other facilitators; never participants.
    const at0 = [f2, p1, p2].map(mark);
    const created = await must(f, { type: 'poll_create', kind: 'single', question: 'Quelle priorité ?', choices: ['Emploi', 'Logement', 'Mobilité'] }, 'poll');
    const id = created.poll.id;
    assert.match(id, /^[A-Za-z0-9_-]{1,22}$/);
    assert.deepEqual({ ...created.poll, created: 0 }, { id, kind: 'single', question: 'Quelle priorité ?', choices: ['Emploi', 'Logement', 'Mobilité'], state: 'draft', results: 'hidden', created: 0 });
    assert.ok(Math.abs(created.poll.created - Date.now()) < 60000, 'created is server time in ms');
    const f2got = await seen(f2, at0[0], about(id, 'poll'));
    if (!f2got) bugs.push('poll_create: the other facilitator got no poll message');
    else if ('id' in f2got) bugs.push(`poll_create: the other facilitator's copy carries the requester's id: ${J(f2got)}`);
    let rec = await pollRecord(h, w, id);
    assert.equal(rec.state, 'draft');

    const atEdit = mark(f2);
    const edited = await must(f, { type: 'poll_edit', poll: id, kind: 'multiple', question: 'Quelles priorités ?', choices: ['Emploi', 'Logement', 'Mobilité', 'Santé'], max: 2 }, 'poll');
    assert.deepEqual([edited.poll.kind, edited.poll.choices.length, edited.poll.max, edited.poll.state], ['multiple', 4, 2, 'draft']);
    if (!await seen(f2, atEdit, (m) => m.type === 'poll' && m.poll.id === id && m.poll.kind === 'multiple')) bugs.push('poll_edit: the other facilitator got no poll message');
    rec = await pollRecord(h, w, id);
    assert.deepEqual([rec.kind, rec.max, rec.choices.length], ['multiple', 2, 4]);
    await expectError(bugs, f, { type: 'poll_close', poll: id }, 'poll_state', 'poll_close on a draft');
    await expectError(bugs, f, { type: 'poll_reopen', poll: id }, 'poll_state', 'poll_reopen on a draft');
    await expectError(bugs, f, { type: 'vote', poll: id, ballot: [0] }, 'poll_closed', 'facilitator vote on a draft');
    await sleep(300);
    for (const [i, c] of parts.entries()) {
      const got = since(c, at0[i + 1], about(id));
      if (got.length) bugs.push(`draft: participant ${c.tag} received ${J(got).slice(0, 200)}; polls.md: participants never see drafts`);
    }

    // Open: participants see the poll for the first time; results stay hidden.
    const atOpen = parts.map(mark);
    const fAtOpen = mark(f);
    const opened = await must(f, { type: 'poll_open', poll: id }, 'poll');
    assert.equal(opened.poll.state, 'open');
    for (const [i, c] of parts.entries()) {
      const m = await seen(c, atOpen[i], about(id, 'poll'));
      if (!m || m.poll.state !== 'open' || m.poll.results !== 'hidden') bugs.push(`poll_open: participant got ${J(m)}; expected poll open/hidden`);
      else if ('id' in m) bugs.push(`poll_open: a participant's copy carries the requester's id: ${J(m)}`);
    }
    if (!await seen(f, fAtOpen, about(id, 'results'))) bugs.push('poll_open: the facilitator got no results');
    await expectError(bugs, f, { type: 'poll_open', poll: id }, 'poll_state', 'poll_open on an open poll');
    await expectError(bugs, f, { type: 'poll_reopen', poll: id }, 'poll_state', 'poll_reopen on an open poll');
    await expectError(bugs, f, { type: 'poll_edit', poll: id, kind: 'scale', question: 'Autre' }, 'poll_state', 'poll_edit on an open poll');
    assert.equal((await pollRecord(h, w, id)).state, 'open');

    // A ballot: facilitators see results, participants (hidden) do not.
    const mb = await must(p1, { type: 'vote', poll: id, ballot: [1, 0] }, 'my_ballot');
    assert.deepEqual(mb.ballot, [0, 1]);
    let r = await latestResults(f, id, (x) => x.respondents === 1);
    assert.deepEqual(r && [r.respondents, r.counts], [1, [1, 1, 0, 0]], `facilitator results after one ballot: ${J(r)}`);
    await sleep(400);
    for (const [i, c] of parts.entries()) {
      const got = since(c, atOpen[i], about(id, 'results'));
      if (got.length) bugs.push(`results hidden: participant ${c.tag} received ${J(got[0])}`);
    }

    // Live: participants get the poll, then results, then every change.
    const atLive = parts.map(mark);
    const fAtLive = mark(f);
    const live = await must(f, { type: 'poll_results', poll: id, visibility: 'live' }, 'poll');
    assert.equal(live.poll.results, 'live');
    for (const [i, c] of parts.entries()) {
      const pm = await seen(c, atLive[i], about(id, 'poll'));
      if (!pm || pm.poll.results !== 'live') bugs.push(`poll_results live: participant got ${J(pm)}`);
      const rm = await seen(c, atLive[i], about(id, 'results'));
      if (!rm || rm.respondents !== 1) bugs.push(`poll_results live: participant got results ${J(rm)}; polls.md: results when they become visible`);
    }
    const fLive = await seen(f, fAtLive, about(id, 'results'));
    if (!fLive) bugs.push('poll_results: the requesting facilitator got no results (polls.md: results in reply to poll_results)');
    else t.diagnostic(`results after the facilitator's poll_results ${'id' in fLive ? 'carry' : 'do not carry'} the request id (${J(live.id)})`);
    await must(p2, { type: 'vote', poll: id, ballot: [2] }, 'my_ballot');
    for (const c of [f, ...parts]) {
      r = await latestResults(c, id, (x) => x.respondents === 2);
      if (!r || !same(r.counts, [1, 1, 1, 0])) bugs.push(`live: ${c.tag} results after the second ballot: ${J(r || c.results.get(id))}`);
    }

    // Closed: ballots refused, kept.
    const atClose = parts.map(mark);
    assert.equal((await must(f, { type: 'poll_close', poll: id }, 'poll')).poll.state, 'closed');
    for (const [i, c] of parts.entries()) {
      const pm = await seen(c, atClose[i], about(id, 'poll'));
      if (!pm || pm.poll.state !== 'closed') bugs.push(`poll_close: participant got ${J(pm)}`);
    }
    await expectError(bugs, f, { type: 'poll_close', poll: id }, 'poll_state', 'poll_close on a closed poll');
    await expectError(bugs, f, { type: 'poll_open', poll: id }, 'poll_state', 'poll_open on a closed poll');
    await expectError(bugs, f, { type: 'poll_edit', poll: id, kind: 'scale', question: 'Autre' }, 'poll_state', 'poll_edit on a closed poll');
    await expectError(bugs, p1, { type: 'vote', poll: id, ballot: [3] }, 'poll_closed', 'vote on a closed poll');
    assert.deepEqual((await ballotRecords(h, w, id))[p1.participant.id], { org: 'Banque', ballot: [0, 1] });

    // Hidden, then revealed, while closed.
    const atHidden = parts.map(mark);
    await must(f, { type: 'poll_results', poll: id, visibility: 'hidden' }, 'poll');
    for (const [i, c] of parts.entries()) {
      const pm = await seen(c, atHidden[i], about(id, 'poll'));
      if (!pm || pm.poll.results !== 'hidden') bugs.push(`poll_results hidden: participant got ${J(pm)}`);
    }
    await sleep(350);
    for (const [i, c] of parts.entries()) {
      const got = since(c, atHidden[i], about(id, 'results'));
      if (got.length) bugs.push(`poll_results hidden: participant still received results ${J(got[0])}`);
    }
    const atRev = parts.map(mark);
    await must(f, { type: 'poll_results', poll: id, visibility: 'revealed' }, 'poll');
    for (const [i, c] of parts.entries()) {
      const rm = await seen(c, atRev[i], about(id, 'results'));
      if (!rm || rm.respondents !== 2) bugs.push(`poll_results revealed: participant got results ${J(rm)}`);
    }

    // Reopened: revealed goes back to hidden; ballots continue and change.
    const atReopen = parts.map(mark);
    const reopened = await must(f, { type: 'poll_reopen', poll: id }, 'poll');
    if (reopened.poll.state !== 'open' || reopened.poll.results !== 'hidden') bugs.push(`poll_reopen of a revealed poll -> ${J(reopened.poll)}; polls.md: open, results hidden`);
    for (const [i, c] of parts.entries()) {
      const pm = await seen(c, atReopen[i], about(id, 'poll'));
      if (!pm || pm.poll.state !== 'open' || pm.poll.results !== 'hidden') bugs.push(`poll_reopen: participant got ${J(pm)}`);
    }
    rec = await pollRecord(h, w, id);
    assert.deepEqual([rec.state, rec.results], ['open', 'hidden']);
    const changed = await must(p1, { type: 'vote', poll: id, ballot: [3] }, 'my_ballot');
    assert.deepEqual(changed.ballot, [3]);
    r = await latestResults(f, id, (x) => x.counts[3] === 1);
    assert.deepEqual(r && [r.respondents, r.counts], [2, [0, 0, 1, 1]], `results after a changed ballot on the reopened poll: ${J(r || f.results.get(id))}`);
    await sleep(350);
    for (const [i, c] of parts.entries()) {
      const got = since(c, atReopen[i], about(id, 'results'));
      if (got.length) bugs.push(`reopened (hidden): participant received results ${J(got[0])}`);
    }
    await must(f, { type: 'poll_close', poll: id }, 'poll');
    rec = await pollRecord(h, w, id);
    assert.deepEqual([rec.state, rec.results], ['closed', 'hidden']);
    assert.deepEqual(await ballotRecords(h, w, id), {
      [p1.participant.id]: { org: 'Banque', ballot: [3] }, [p2.participant.id]: { org: 'Asso', ballot: [2] },
    });

    // A poll set to live while a draft: participants get it and its results when it opens.
    const lp = await createPoll(f, { kind: 'scale', question: 'Nos objectifs sont clairs.' });
    const atL = parts.map(mark);
    await must(f, { type: 'poll_results', poll: lp.id, visibility: 'live' }, 'poll');
    await sleep(350);
    for (const [i, c] of parts.entries()) {
      const got = since(c, atL[i], about(lp.id));
      if (got.length) bugs.push(`poll_results live on a draft: participant received ${J(got[0])}`);
    }
    await must(f, { type: 'poll_open', poll: lp.id }, 'poll');
    for (const [i, c] of parts.entries()) {
      const rm = await seen(c, atL[i], about(lp.id, 'results'));
      if (!rm || rm.respondents !== 0 || rm.mean !== null || !same(rm.counts, [0, 0, 0, 0, 0])) bugs.push(`opened with live: participant got results ${J(rm)}`);
    }

    // Someone joining now: no drafts, results only where allowed, no ballot.
    const draft2 = await createPoll(f, { kind: 'text', question: 'Encore un brouillon ?' });
    const p3 = await join(h, w, { name: 'Noa', org: 'Asso' });
    assert.deepEqual(p3.welcomes[0].polls.map((x) => [x.id, x.state, x.results]), [[id, 'closed', 'hidden'], [lp.id, 'open', 'live']]);
    await sleep(300);
    const p3res = since(p3, 0, (m) => m.type === 'results').map((m) => m.poll);
    if (!same(p3res, [lp.id])) bugs.push(`after welcome, a participant got results for ${J(p3res)}; polls.md: only the polls whose results they may see (${lp.id})`);
    const p3b = since(p3, 0, (m) => m.type === 'my_ballot');
    if (p3b.length) bugs.push(`after welcome, a participant who never voted got ${J(p3b[0])}`);
    const fv = await facilitatorView(h, w);
    assert.deepEqual(fv.polls.map((x) => x.id), [id, lp.id, draft2.id], 'polls in welcome, oldest first, drafts for facilitators');

    // Deleting a draft: facilitators only; participants never saw it.
    const atDel = [f2, p1, p2, p3].map(mark);
    const del = await must(f, { type: 'poll_delete', poll: draft2.id }, 'poll_deleted');
    assert.equal(del.poll, draft2.id);
    if (!await seen(f2, atDel[0], about(draft2.id, 'poll_deleted'))) bugs.push('poll_delete of a draft: the other facilitator got no poll_deleted');
    await sleep(300);
    for (const [i, c] of [p1, p2, p3].entries()) {
      const got = since(c, atDel[i + 1], about(draft2.id));
      if (got.length) bugs.push(`poll_delete of a draft: participant ${c.tag} received ${J(got[0])}; polls.md: poll_deleted goes "to everyone who could see it" and participants never see drafts`);
    }
    // Deleting the main poll: everyone; then it is gone everywhere.
    const atDel2 = [f2, p1, p2, p3].map(mark);
    await must(f, { type: 'poll_delete', poll: id }, 'poll_deleted');
    for (const [i, c] of [f2, p1, p2, p3].entries()) {
      if (!await seen(c, atDel2[i], about(id, 'poll_deleted'))) bugs.push(`poll_delete: ${c.tag} got no poll_deleted`);
    }
    assert.equal(await pollRecord(h, w, id), null, 'poll record still in Redis');
    assert.equal(await h.redis.command('EXISTS', ballotsKey(w.id, id)), 0, 'ballots still in Redis');
    await expectError(bugs, p1, { type: 'vote', poll: id, ballot: [0] }, 'not_found', 'vote on a deleted poll');
    await expectError(bugs, f, { type: 'poll_open', poll: id }, 'not_found', 'poll_open on a deleted poll');
    await expectError(bugs, f, { type: 'poll_results', poll: id, visibility: 'live' }, 'not_found', 'poll_results on a deleted poll');
    await expectError(bugs, f, { type: 'poll_delete', poll: id }, 'not_found', 'poll_delete on a deleted poll');
    assert.deepEqual((await facilitatorView(h, w)).polls.map((x) => x.id), [lp.id]);

    bugs.push(...anonymityProblems([f, f2, p1, p2, p3], [f, f2, p1, p2, p3].map((c) => c.participant.id)));
    assert.deepEqual(schemaProblems(h), []);
    finish(bugs, t);
  });

  test('ballots: one per participant, changeable while open, refused when closed, back on resume', { timeout: 25000 }, async (t) => {
    const bugs = [];
    const w = await h.server.createWorkshop({ title: 'Bulletins' });
    const f = await join(h, w, { name: 'Awa', org: 'Ville', fac: true });
    const p = await join(h, w, { name: 'Jean', org: 'Banque' });
    const pid = p.participant.id;
    const single = await createPoll(f, { kind: 'single', question: 'Un choix ?', choices: ['a', 'b', 'c'] });
    const multi = await createPoll(f, { kind: 'multiple', question: 'Plusieurs ?', choices: ['a', 'b', 'c', 'd'], max: 2 });
    const scale = await createPoll(f, { kind: 'scale', question: 'D’accord ?' });
    const text = await createPoll(f, { kind: 'text', question: 'Une idée ?' });
    const untouched = await createPoll(f, { kind: 'single', question: 'Personne ?', choices: ['x', 'y'] });
    for (const x of [single, multi, scale, text, untouched]) await must(f, { type: 'poll_open', poll: x.id }, 'poll');
    const other = await twin(h, p); // the same participant in a second tab
    const stored = async (poll) => (await ballotRecords(h, w, poll))[pid];

    // Cast, change, repeat, withdraw, cast again.
    const steps = [[0, 0], [2, 2], [2, 2], [null, null], [1, 1]];
    for (const [ballot, expect] of steps) {
      const at = mark(other);
      const m = await must(p, { type: 'vote', poll: single.id, ballot }, 'my_ballot');
      assert.deepEqual(m.ballot, expect, `vote ${J(ballot)}`);
      const o = await seen(other, at, about(single.id, 'my_ballot'));
      if (!o || !same(o.ballot, expect)) bugs.push(`vote ${J(ballot)}: the voter's other connection got ${J(o)}; polls.md: my_ballot to all the voter's connections`);
      assert.deepEqual(await stored(single.id), expect === null ? undefined : { org: 'Banque', ballot: expect });
      assert.equal(await h.redis.command('HLEN', ballotsKey(w.id, single.id)), expect === null ? 0 : 1, 'one ballot per participant');
      const r = await latestResults(f, single.id, (x) => x.respondents === (expect === null ? 0 : 1) && (expect === null || x.counts[expect] === 1));
      if (!r) bugs.push(`vote ${J(ballot)}: facilitator results ${J(f.results.get(single.id))}`);
    }
    await must(p, { type: 'vote', poll: multi.id, ballot: [3, 0] }, 'my_ballot');
    await must(p, { type: 'vote', poll: scale.id, ballot: 5 }, 'my_ballot');
    await must(p, { type: 'answer', poll: text.id, text: 'Se parler plus souvent' }, 'my_ballot');

    // Invalid ballots: bad_request, nothing changes.
    const before = await rawState(h, w, [single.id, multi.id, scale.id]);
    const bad = [
      [single, 3, 'index out of range'], [single, -1, 'negative index'], [single, 1.5, 'fraction'], [single, '1', 'string'],
      [single, [1], 'array on a single poll'], [single, true, 'boolean'], [single, {}, 'object'], [single, undefined, 'no ballot'],
      [multi, [0, 1, 2], 'too many choices (max 2)'], [multi, [], 'empty array'], [multi, [1, 1], 'duplicates'], [multi, [4], 'index out of range'],
      [multi, 1, 'not an array'], [multi, [0.5], 'fraction'],
      [scale, 0, 'scale 0'], [scale, 6, 'scale 6'], [scale, 2.5, 'fraction'], [scale, '3', 'string'], [scale, [3], 'array'],
      [text, 0, 'vote on a text poll'], [text, null, 'vote null on a text poll'],
    ];
    for (const [poll, ballot, what] of bad) {
      const msg = { type: 'vote', poll: poll.id };
      if (ballot !== undefined) msg.ballot = ballot;
      await expectError(bugs, p, msg, 'bad_request', `${poll.kind} ballot: ${what}`);
    }
    await expectError(bugs, p, { type: 'answer', poll: single.id, text: 'Une réponse' }, 'bad_request', 'answer on a choice poll');
    await expectError(bugs, p, { type: 'vote', poll: UNKNOWN_POLL, ballot: 0 }, 'not_found', 'vote on an unknown poll');
    assert.deepEqual(await rawState(h, w, [single.id, multi.id, scale.id]), before, 'refused ballots changed Redis');

    // Closed: refused (casting and withdrawing alike), kept; reopened: changeable.
    await must(f, { type: 'poll_close', poll: single.id }, 'poll');
    await expectError(bugs, p, { type: 'vote', poll: single.id, ballot: 2 }, 'poll_closed', 'vote on a closed poll');
    await expectError(bugs, p, { type: 'vote', poll: single.id, ballot: null }, 'poll_closed', 'withdrawing on a closed poll');
    assert.deepEqual(await stored(single.id), { org: 'Banque', ballot: 1 });
    await must(f, { type: 'poll_reopen', poll: single.id }, 'poll');
    assert.equal((await must(p, { type: 'vote', poll: single.id, ballot: 2 }, 'my_ballot')).ballot, 2);
    assert.deepEqual(await stored(single.id), { org: 'Banque', ballot: 2 });

    // Deleted: not_found.
    await must(f, { type: 'poll_delete', poll: scale.id }, 'poll_deleted');
    await expectError(bugs, p, { type: 'vote', poll: scale.id, ballot: 3 }, 'not_found', 'vote on a deleted poll');

    // Reconnect (resume with the token): my_ballot comes back after welcome.
    p.detach();
    other.close();
    const back = await twin(h, p);
    assert.equal(back.participant.id, pid);
    const want = { [single.id]: { ballot: 2 }, [multi.id]: { ballot: [0, 3] }, [text.id]: { answers: [{ id: 1, text: 'Se parler plus souvent' }], upvotes: [] } };
    await waitUntil(() => Object.keys(want).every((k) => back.ballots.has(k)), 2000, 'my_ballot after resume').catch(() => {});
    for (const [poll, fig] of Object.entries(want)) {
      const got = back.ballots.get(poll);
      const { type, poll: _p, ...rest } = got || {}; // eslint-disable-line no-unused-vars
      if (!got || !same(rest, fig)) bugs.push(`resume: my_ballot for ${poll} is ${J(got)}; expected ${J(fig)}`);
    }
    if (back.ballots.has(untouched.id)) bugs.push(`resume: my_ballot for a poll never voted on: ${J(back.ballots.get(untouched.id))}`);
    if (back.ballots.has(scale.id)) bugs.push('resume: my_ballot for a deleted poll');
    const resumedResults = since(back, 0, (m) => m.type === 'results');
    if (resumedResults.length) bugs.push(`resume: a participant got results of hidden polls: ${J(resumedResults[0])}`);

    bugs.push(...anonymityProblems([f, back], [f.participant.id, pid]));
    assert.deepEqual(schemaProblems(h), []);
    finish(bugs, t);
  });

  test('results by organisation: threshold, pooled "other", alignment worked examples', { timeout: 30000 }, async (t) => {
    const bugs = [];
    const w = await h.server.createWorkshop({ title: 'Alignement' });
    const f = await join(h, w, { name: 'Awa', org: 'Animation', fac: true });
    const orgs = { ban: 'Banque Populaire', vil: 'Ville de Lyon', ela: 'Élan Solidaire', pet: 'Petite Asso', solo: 'Solo' };
    const people = {};
    const joins = [];
    for (const [k, n] of [['ban', 2], ['vil', 3], ['ela', 3], ['pet', 2], ['solo', 1]]) {
      people[k] = [];
      for (let i = 0; i < n; i++) joins.push(join(h, w, { name: `${k}${i}`, org: orgs[k], record: 50 }).then((c) => people[k].push(c)));
    }
    await Promise.all(joins);
    // The third of the bank writes its name otherwise: it is still one organisation.
    const ban2 = await join(h, w, { name: 'ban2', org: '  banque\u00a0 POPULAIRE ', record: 50 });
    assert.equal(ban2.participant.organisation, orgs.ban, 'an organisation written otherwise joins the one already there');
    people.ban.push(ban2);
    const all = Object.values(people).flat();

    async function votes(poll, list) {
      await Promise.all(list.map(([c, b]) => must(c, { type: 'vote', poll, ballot: b }, 'my_ballot')));
    }
    async function expectResults(poll, want, label) {
      const r = await latestResults(f, poll, (x) => same(figures(x), want), 2500);
      if (!r) bugs.push(`${label}: facilitator results ${J(figures(f.results.get(poll)))}; expected ${J(want)}`);
    }
    const scaleOrg = (name, n, counts, mean) => ({ name, respondents: n, counts, mean });

    // Scale: three organisations with means 1, 3, 5 -> D = (5 - 1) / 4 = 1.
    const sc = await createPoll(f, { kind: 'scale', question: 'Nos objectifs sont clairs.' });
    await must(f, { type: 'poll_open', poll: sc.id }, 'poll');
    await votes(sc.id, [
      ...people.ban.map((c) => [c, 1]), ...people.vil.map((c) => [c, 3]), ...people.ela.map((c) => [c, 5]),
      [people.pet[0], 2], [people.pet[1], 4],
    ]);
    await expectResults(sc.id, {
      respondents: 11, counts: [3, 1, 3, 1, 3], mean: 3,
      organisations: [scaleOrg(orgs.ban, 3, [3, 0, 0, 0, 0], 1), scaleOrg(orgs.vil, 3, [0, 0, 3, 0, 0], 3), scaleOrg(orgs.ela, 3, [0, 0, 0, 0, 3], 5)],
      other: null, // Petite Asso: 2 respondents, pooled alone: below the threshold, shown nowhere
      alignment: { divergence: 1, label: 'divergent', organisations: 3 },
    }, 'scale, means 1/3/5, a 2-member organisation');
    // One more small organisation: the pool reaches 3 and is shown as other.
    await votes(sc.id, [[people.solo[0], 3]]);
    await expectResults(sc.id, {
      respondents: 12, counts: [3, 1, 4, 1, 3], mean: 3,
      organisations: [scaleOrg(orgs.ban, 3, [3, 0, 0, 0, 0], 1), scaleOrg(orgs.vil, 3, [0, 0, 3, 0, 0], 3), scaleOrg(orgs.ela, 3, [0, 0, 0, 0, 3], 5)],
      other: { respondents: 3, counts: [0, 1, 1, 1, 0], mean: 3 },
      alignment: { divergence: 1, label: 'divergent', organisations: 3 },
    }, 'scale, pooled other of 3');
    // Everyone agrees: D = 0.
    await votes(sc.id, [...people.ban, ...people.vil, ...people.ela].map((c) => [c, 4]));
    await expectResults(sc.id, {
      respondents: 12, counts: [0, 1, 1, 10, 0], mean: 3.75, // (2 + 3 + 10 * 4) / 12
      organisations: [scaleOrg(orgs.ban, 3, [0, 0, 0, 3, 0], 4), scaleOrg(orgs.vil, 3, [0, 0, 0, 3, 0], 4), scaleOrg(orgs.ela, 3, [0, 0, 0, 3, 0], 4)],
      other: { respondents: 3, counts: [0, 1, 1, 1, 0], mean: 3 },
      alignment: { divergence: 0, label: 'aligned', organisations: 3 },
    }, 'scale, all organisations at 4');
    // A withdrawal drops the bank below the threshold: it joins the pool.
    await votes(sc.id, [[people.ban[0], null]]);
    await expectResults(sc.id, {
      respondents: 11, counts: [0, 1, 1, 9, 0], mean: 3.7273, // 41 / 11
      organisations: [scaleOrg(orgs.vil, 3, [0, 0, 0, 3, 0], 4), scaleOrg(orgs.ela, 3, [0, 0, 0, 3, 0], 4)],
      other: { respondents: 5, counts: [0, 1, 1, 3, 0], mean: 3.4 },
      alignment: { divergence: 0, label: 'aligned', organisations: 2 },
    }, 'scale, a withdrawal leaves the bank with 2');

    // Single: A = (2/3, 1/3, 0), B = (1/3, 1/3, 1/3): D = 0.3333.
    const si = await createPoll(f, { kind: 'single', question: 'Commun ou propre ?', choices: ['a', 'b', 'c'] });
    await must(f, { type: 'poll_open', poll: si.id }, 'poll');
    await votes(si.id, [[people.ban[0], 0], [people.ban[1], 0], [people.ban[2], 1], [people.vil[0], 0], [people.vil[1], 1], [people.vil[2], 2]]);
    await expectResults(si.id, {
      respondents: 6, counts: [3, 2, 1],
      organisations: [{ name: orgs.ban, respondents: 3, counts: [2, 1, 0] }, { name: orgs.vil, respondents: 3, counts: [1, 1, 1] }],
      other: null, alignment: { divergence: 0.3333, label: 'partly_aligned', organisations: 2 },
    }, 'single, worked example 0.3333');
    // Three organisations: A and B all chose a, C all chose b: D = 2/3.
    await votes(si.id, [...people.ban.map((c) => [c, 0]), ...people.vil.map((c) => [c, 0]), ...people.ela.map((c) => [c, 1])]);
    await expectResults(si.id, {
      respondents: 9, counts: [6, 3, 0],
      organisations: [{ name: orgs.ban, respondents: 3, counts: [3, 0, 0] }, { name: orgs.vil, respondents: 3, counts: [3, 0, 0] }, { name: orgs.ela, respondents: 3, counts: [0, 3, 0] }],
      other: null, alignment: { divergence: 0.6667, label: 'divergent', organisations: 3 },
    }, 'single, worked example 2/3');

    // Multiple: A's members all pick {a, b}, B's all pick {a}: D = 0.5.
    const mu = await createPoll(f, { kind: 'multiple', question: 'Priorités ?', choices: ['a', 'b', 'c', 'd'] });
    await must(f, { type: 'poll_open', poll: mu.id }, 'poll');
    await votes(mu.id, [...people.ban.map((c) => [c, [0, 1]]), ...people.vil.map((c) => [c, [0]])]);
    await expectResults(mu.id, {
      respondents: 6, counts: [6, 3, 0, 0],
      organisations: [{ name: orgs.ban, respondents: 3, counts: [3, 3, 0, 0] }, { name: orgs.vil, respondents: 3, counts: [3, 0, 0, 0] }],
      other: null, alignment: { divergence: 0.5, label: 'divergent', organisations: 2 },
    }, 'multiple, worked example 0.5');

    // Stored ballots carry the organisation and never the participant id.
    for (const poll of [sc.id, si.id, mu.id]) {
      for (const [key, recd] of Object.entries(await ballotRecords(h, w, poll))) {
        const c = all.find((x) => x.participant.id === key);
        assert.ok(c, `ballot record keyed by an unknown participant ${key}`);
        assert.deepEqual(Object.keys(recd).sort(), ['ballot', 'org']);
        assert.equal(recd.org, c.participant.organisation); // as the server wrote it (one spelling per organisation)
      }
    }
    const pids = [f, ...all].map((c) => c.participant.id);
    bugs.push(...anonymityProblems([f, ...all], pids));
    const ev = await eventProblems(h, w, pids, Object.values(orgs));
    bugs.push(...ev.problems);
    assert.ok(ev.ballots >= 40, `ballot events in the stream: ${ev.ballots}`);
    assert.deepEqual(schemaProblems(h), []);
    finish(bugs, t);
  });

  test('text polls: answers, edits, deletions, upvotes, limits', { timeout: 25000 }, async (t) => {
    const bugs = [];
    const w = await h.server.createWorkshop({ title: 'Réponses ouvertes' });
    const f = await join(h, w, { name: 'Awa', org: 'Ville', fac: true });
    const p1 = await join(h, w, { name: 'Jean', org: 'Banque' });
    const p2 = await join(h, w, { name: 'Lou', org: 'Asso' });
    const everyone = [f, p1, p2];
    const tp = await createPoll(f, { kind: 'text', question: 'Quel impact voulons-nous avoir en tant que groupe ?', max: 2 });
    assert.equal(tp.max, 2);
    assert.deepEqual(tp.answers, []);
    await must(f, { type: 'poll_open', poll: tp.id }, 'poll');
    const poll = tp.id;

    // Each change goes to everyone who sees the poll as an `answer` message.
    async function answerOk(c, msg, expectBroadcast, label) {
      const at = everyone.map(mark);
      const r = await req(c, { type: 'answer', poll, ...msg });
      if (r.type !== 'my_ballot') { bugs.push(`${label}: sent ${J(msg)} -> ${J(r)}`); return r; }
      for (const [i, x] of everyone.entries()) {
        const m = await seen(x, at[i], (y) => y.type === 'answer' && y.poll === poll && y.answer === expectBroadcast.answer);
        if (!m || m.text !== expectBroadcast.text) bugs.push(`${label}: ${x.tag} got answer ${J(m)}; expected ${J(expectBroadcast)}`);
      }
      return r;
    }

    let r = await answerOk(p1, { text: 'Un réseau qui dure' }, { answer: 1, text: 'Un réseau qui dure' }, 'add');
    assert.deepEqual([r.answers, r.upvotes], [[{ id: 1, text: 'Un réseau qui dure' }], []]);
    r = await answerOk(p1, { text: 'Moins de jeunes sans solution' }, { answer: 2, text: 'Moins de jeunes sans solution' }, 'add a second');
    assert.deepEqual(r.answers.map((a) => a.id), [1, 2]);
    await expectError(bugs, p1, { type: 'answer', poll, text: 'Une de trop' }, 'poll_limit', 'a third answer with max 2');
    assert.equal((await ballotRecords(h, w, poll))[p1.participant.id].answers.length, 2);
    r = await answerOk(p1, { answer: 1, text: 'Un réseau qui dure après le projet' }, { answer: 1, text: 'Un réseau qui dure après le projet' }, 'edit');
    assert.deepEqual(r.answers[0], { id: 1, text: 'Un réseau qui dure après le projet' });
    await expectError(bugs, p2, { type: 'answer', poll, answer: 1, text: 'Réécrit' }, 'forbidden', 'editing someone else\'s answer');
    await expectError(bugs, p2, { type: 'answer', poll, answer: 1, text: null }, 'forbidden', 'deleting someone else\'s answer');

    // Upvotes: once per answer, never one's own, withdrawable.
    assert.deepEqual((await must(p2, { type: 'upvote', poll, answer: 1 }, 'my_ballot')).upvotes, [1]);
    assert.deepEqual((await must(p2, { type: 'upvote', poll, answer: 1, up: true }, 'my_ballot')).upvotes, [1], 'upvoting twice changes nothing');
    await expectError(bugs, p1, { type: 'upvote', poll, answer: 1 }, 'forbidden', 'upvoting one\'s own answer');
    assert.deepEqual((await must(p2, { type: 'upvote', poll, answer: 2 }, 'my_ballot')).upvotes, [1, 2]);
    assert.deepEqual((await must(p2, { type: 'upvote', poll, answer: 2, up: false }, 'my_ballot')).upvotes, [1]);
    assert.deepEqual((await must(p2, { type: 'upvote', poll, answer: 2, up: false }, 'my_ballot')).upvotes, [1], 'withdrawing an absent upvote changes nothing');
    await expectError(bugs, p2, { type: 'upvote', poll, answer: 99 }, 'not_found', 'upvoting an unknown answer');
    await expectError(bugs, p2, { type: 'vote', poll, ballot: 0 }, 'bad_request', 'vote on a text poll');
    let res = await latestResults(f, poll, (x) => x.respondents === 2 && x.answers.length === 2 && x.answers[0].upvotes === 1);
    if (!res || !same(res.answers, [{ id: 1, upvotes: 1 }, { id: 2, upvotes: 0 }]) || res.alignment !== null || 'counts' in res) {
      bugs.push(`text results after one upvote: ${J(f.results.get(poll))}`);
    }

    // Deleting frees a slot; ids are never reused.
    await answerOk(p1, { answer: 2, text: null }, { answer: 2, text: null }, 'delete own');
    await expectError(bugs, p1, { type: 'answer', poll, answer: 2, text: 'Revenu' }, 'not_found', 'editing a deleted answer');
    r = await answerOk(p1, { text: 'Se former ensemble' }, { answer: 3, text: 'Se former ensemble' }, 'add after a delete');
    assert.deepEqual(r.answers.map((a) => a.id), [1, 3]);
    await answerOk(p2, { text: 'Des partenaires qui se parlent' }, { answer: 4, text: 'Des partenaires qui se parlent' }, 'add by another');
    assert.deepEqual((await must(p1, { type: 'upvote', poll, answer: 4 }, 'my_ballot')).upvotes, [4]);

    // Invalid texts.
    for (const [bad, what] of [['', 'empty'], ['   ', 'only spaces'], ['a\nb', 'a line break'], ['a\tb', 'a tab'], ['a\u0085b', 'a C1 control'], ['x'.repeat(281), '281 code points'], [42, 'a number']]) {
      await expectError(bugs, p2, { type: 'answer', poll, text: bad }, 'bad_request', `answer text: ${what}`);
    }
    await expectError(bugs, p2, { type: 'answer', poll, answer: 4, text: 'é'.repeat(281) }, 'bad_request', 'edit to 281 code points');
    await answerOk(p2, { text: '😀'.repeat(280) }, { answer: 5, text: '😀'.repeat(280) }, '280 code points (emoji)');
    await expectError(bugs, p2, { type: 'answer', poll, text: 'Encore' }, 'poll_limit', 'p2 over max');

    // Moderation: a facilitator deletes anyone's answer; its upvotes go with it.
    await answerOk(f, { answer: 1, text: null }, { answer: 1, text: null }, 'facilitator deletes someone\'s answer');
    res = await latestResults(f, poll, (x) => !x.answers.some((a) => a.id === 1));
    if (!res || !same(res.answers, [{ id: 4, upvotes: 1 }, { id: 3, upvotes: 0 }, { id: 5, upvotes: 0 }])) bugs.push(`results after moderation: ${J(f.results.get(poll))}`);

    // Closed: participants can neither add, edit, delete nor upvote; the facilitator still moderates.
    await must(f, { type: 'poll_close', poll }, 'poll');
    await expectError(bugs, p1, { type: 'answer', poll, text: 'Trop tard' }, 'poll_closed', 'answer on a closed poll');
    await expectError(bugs, p1, { type: 'answer', poll, answer: 3, text: 'Trop tard' }, 'poll_closed', 'edit on a closed poll');
    await expectError(bugs, p1, { type: 'answer', poll, answer: 3, text: null }, 'poll_closed', 'participant delete on a closed poll');
    await expectError(bugs, p2, { type: 'upvote', poll, answer: 3 }, 'poll_closed', 'upvote on a closed poll');
    await answerOk(f, { answer: 5, text: null }, { answer: 5, text: null }, 'facilitator deletes on a closed poll');

    // Final state: the poll lists the live answers without authors; results rank them.
    res = await latestResults(f, poll, (x) => x.answers.length === 2);
    const want = {
      respondents: 2, answers: [{ id: 4, upvotes: 1 }, { id: 3, upvotes: 0 }],
      organisations: [], other: null, alignment: null,
    };
    if (!res || !same(figures(res), want)) bugs.push(`final text results ${J(figures(f.results.get(poll)))}; expected ${J(want)}`);
    const view = await facilitatorView(h, w);
    assert.deepEqual(view.polls[0].answers, [{ id: 3, text: 'Se former ensemble' }, { id: 4, text: 'Des partenaires qui se parlent' }]);
    const rec = await pollRecord(h, w, poll);
    assert.ok(rec.answers_next >= 5, `answers_next ${rec.answers_next}`);

    const pids = everyone.map((c) => c.participant.id);
    bugs.push(...anonymityProblems([...everyone, view.client], pids));
    const ev = await eventProblems(h, w, pids, ['Banque', 'Asso', 'Ville']);
    bugs.push(...ev.problems);
    assert.deepEqual(schemaProblems(h), []);
    finish(bugs, t);
  });

  test('definitions and limits: bad_request, 100 polls, 4096 answer ids (poll_limit)', { timeout: 30000 }, async (t) => {
    const bugs = [];
    // A second process with a high message rate, so the 8192 answer requests are not rate-limited.
    const fast = await h.addServer(['--rate', '100000', '--burst', '100000']);
    try {
      const w = await fast.createWorkshop({ title: 'Limites' });
      const f = await join(h, w, { name: 'Awa', org: 'Ville', fac: true, server: fast });
      const p = await join(h, w, { name: 'Jean', org: 'Banque', server: fast });

      // Defaults: multiple takes all its choices, text 3 answers.
      assert.equal((await createPoll(f, { kind: 'multiple', question: 'Défaut ?', choices: ['a', 'b', 'c'] })).max, 3);
      const txt = await createPoll(f, { kind: 'text', question: 'Défaut ?' });
      assert.equal(txt.max, 3);
      const ch = (n) => Array.from({ length: n }, (_, i) => `choix ${i}`);
      const badDefs = [
        [{ kind: 'poll', question: 'Q' }, 'unknown kind'],
        [{ question: 'Q', choices: ['a', 'b'] }, 'no kind'],
        [{ kind: 'single', choices: ['a', 'b'] }, 'no question'],
        [{ kind: 'single', question: '', choices: ['a', 'b'] }, 'empty question'],
        [{ kind: 'single', question: '   ', choices: ['a', 'b'] }, 'question of spaces'],
        [{ kind: 'single', question: 'Q\nR', choices: ['a', 'b'] }, 'line break in the question'],
        [{ kind: 'single', question: 'é'.repeat(301), choices: ['a', 'b'] }, '301 code points'],
        [{ kind: 'single', question: 'Q', choices: ['a'] }, 'one choice'],
        [{ kind: 'single', question: 'Q', choices: ch(13) }, '13 choices'],
        [{ kind: 'single', question: 'Q' }, 'single without choices'],
        [{ kind: 'single', question: 'Q', choices: ['a', 'a'] }, 'duplicate choices'],
        [{ kind: 'single', question: 'Q', choices: ['a', 'x'.repeat(121)] }, 'choice of 121 code points'],
        [{ kind: 'single', question: 'Q', choices: ['a', 'b\tc'] }, 'tab in a choice'],
        [{ kind: 'single', question: 'Q', choices: ['a', 2] }, 'a choice that is not a string'],
        [{ kind: 'single', question: 'Q', choices: ['a', 'b'], max: 1 }, 'max on a single poll'],
        [{ kind: 'scale', question: 'Q', choices: ['a', 'b'] }, 'choices on a scale poll'],
        [{ kind: 'scale', question: 'Q', max: 2 }, 'max on a scale poll'],
        [{ kind: 'text', question: 'Q', choices: ['a', 'b'] }, 'choices on a text poll'],
        [{ kind: 'text', question: 'Q', max: 11 }, 'text max 11'],
        [{ kind: 'text', question: 'Q', max: 0 }, 'text max 0'],
        [{ kind: 'multiple', question: 'Q', choices: ['a', 'b', 'c'], max: 4 }, 'multiple max above the number of choices'],
        [{ kind: 'multiple', question: 'Q', choices: ['a', 'b', 'c'], max: 1.5 }, 'fractional max'],
      ];
      const before = await rawState(h, w, []);
      for (const [def, what] of badDefs) await expectError(bugs, f, { type: 'poll_create', ...def }, 'bad_request', `poll_create: ${what}`);
      const draft = await createPoll(f, { kind: 'single', question: 'Brouillon', choices: ['a', 'b'] });
      // A participant voting on a draft: polls.md says both "participants never
      // see drafts" and "on a draft or closed poll they get poll_closed";
      // reported, not asserted.
      const onDraft = await req(p, { type: 'vote', poll: draft.id, ballot: 0 });
      t.diagnostic(`a participant's vote on a draft -> ${onDraft.type} ${onDraft.code || ''}`);
      const afterDraft = await rawState(h, w, []);
      await expectError(bugs, f, { type: 'poll_edit', poll: draft.id, kind: 'scale', question: 'Q', choices: ['a', 'b'] }, 'bad_request', 'poll_edit: choices on a scale poll');
      await expectError(bugs, f, { type: 'poll_results', poll: draft.id, visibility: 'public' }, 'bad_request', 'poll_results: unknown visibility');
      await expectError(bugs, f, { type: 'poll_edit', poll: UNKNOWN_POLL, kind: 'scale', question: 'Q' }, 'not_found', 'poll_edit of an unknown poll');
      assert.deepEqual(await rawState(h, w, []), afterDraft, 'refused definitions changed Redis');
      assert.equal(afterDraft.polls.length, before.polls.length + 2, 'only the valid draft was added');

      // 100 polls per workshop (3 made so far).
      for (let i = 3; i < 100; i++) await createPoll(f, { kind: 'scale', question: `Sondage ${i}` });
      assert.equal(await h.redis.command('HLEN', pollsKey(w.id)), 100);
      await expectError(bugs, f, { type: 'poll_create', kind: 'scale', question: 'Le 101e' }, 'poll_limit', 'the 101st poll');
      assert.equal(await h.redis.command('HLEN', pollsKey(w.id)), 100);
      // Deleting one makes room again.
      await must(f, { type: 'poll_delete', poll: draft.id }, 'poll_deleted');
      await createPoll(f, { kind: 'scale', question: 'Le 100e, à nouveau' });

      // 4096 answer ids per poll, deleted ones included.
      await must(f, { type: 'poll_open', poll: txt.id }, 'poll');
      const start = Date.now();
      const IDS = 4096;
      for (let k = 1; k <= IDS; k += 256) {
        const batch = [];
        for (let j = k; j < Math.min(IDS + 1, k + 256); j++) {
          batch.push(req(p, { type: 'answer', poll: txt.id, text: `Idée ${j}` }, 20000));
          batch.push(req(p, { type: 'answer', poll: txt.id, answer: j, text: null }, 20000));
        }
        const replies = await Promise.all(batch);
        const bad = replies.filter((r) => r.type !== 'my_ballot');
        assert.deepEqual(bad.slice(0, 2), [], `answer ids ${k}..${k + 255}`);
      }
      t.diagnostic(`4096 answers added and deleted in ${Date.now() - start} ms`);
      await expectError(bugs, p, { type: 'answer', poll: txt.id, text: 'Une de trop' }, 'poll_limit', 'the 4097th answer id');
      await expectError(bugs, f, { type: 'answer', poll: txt.id, text: 'Une de trop' }, 'poll_limit', 'the 4097th answer id (another participant)');
      assert.equal(await h.redis.command('HLEN', ballotsKey(w.id, txt.id)), 0, 'no answers left in Redis');
      const rec = await pollRecord(h, w, txt.id);
      if (rec.answers_next !== IDS) bugs.push(`after 4096 answers the poll record is ${J(rec)}; polls.md (Storage): answers_next = the last answer id handed out (4096)`);

      assert.deepEqual(schemaProblems(h), []);
    } finally {
      await fast.kill('SIGKILL');
    }
    finish(bugs, t);
  });

  test('200 participants vote at once, then change at once: results = Redis = their choices', { timeout: 60000 }, async (t) => {
    const bugs = [];
    const N = 200;
    const ORGS = ['Banque Populaire', 'Ville de Lyon', 'Mission Locale', 'Pôle emploi', 'Association Relais', 'Région'];
    const w = await h.server.createWorkshop({ title: 'Deux cents' });
    const f = await join(h, w, { name: 'Awa', org: 'Animation', fac: true });
    const poll = (await createPoll(f, { kind: 'single', question: 'Quelle priorité ?', choices: ['Emploi', 'Logement', 'Mobilité', 'Santé'] })).id;
    await must(f, { type: 'poll_open', poll }, 'poll');
    const voters = [];
    const t0 = Date.now();
    for (let i = 0; i < N; i += 50) {
      const batch = [];
      for (let k = i; k < Math.min(N, i + 50); k++) batch.push(join(h, w, { name: `V${k}`, org: ORGS[k % ORGS.length], record: 0 }));
      voters.push(...await Promise.all(batch));
    }
    t.diagnostic(`${N} joined in ${Date.now() - t0} ms`);
    const rand = prng(4242);
    const choice = new Map();

    // All at once (spacingMs 0), or one every spacingMs.
    async function round(pick, label, spacingMs = 0) {
      const at = mark(f);
      const start = Date.now();
      const replies = await Promise.all(voters.map(async (c, i) => {
        if (spacingMs) await sleep(i * spacingMs);
        const b = pick(c);
        choice.set(c, b);
        return req(c, { type: 'vote', poll, ballot: b }, 15000);
      }));
      const acked = Date.now();
      const refused = replies.filter((r, i) => r.type !== 'my_ballot' || r.ballot !== choice.get(voters[i]));
      assert.deepEqual(refused.slice(0, 3), [], `${label}: ${refused.length} votes not taken`);
      const counts = [0, 0, 0, 0];
      for (const b of choice.values()) counts[b]++;
      const r = await latestResults(f, poll, (x) => x.respondents === N && same(x.counts, counts), 2000);
      const got = since(f, at, about(poll, 'results'));
      const times = f.pmsgs.slice(at).filter((x) => x.m.type === 'results' && x.m.poll === poll).map((x) => x.t);
      const gaps = times.slice(1).map((x, i) => x - times[i]);
      t.diagnostic(`${label}: ${N} ballots acked in ${acked - start} ms; facilitator got ${got.length} results messages; min gap ${Math.min(...gaps)} ms`);
      if (!r) bugs.push(`${label}: facilitator's results within 2 s of the last reply: ${J(figures(f.results.get(poll))).slice(0, 300)}; expected respondents ${N}, counts ${J(counts)}`);
      const most = spacingMs ? Math.ceil((acked - start) / 250) + 3 : N / 10;
      if (got.length > most) bugs.push(`${label}: ${got.length} results messages for ${N} ballots over ${acked - start} ms: not coalesced (at most one per 250 ms)`);
      if (gaps.some((g) => g < 200)) bugs.push(`${label}: results messages ${J(gaps)} ms apart; polls.md: at most once per poll every 250 ms`);
      return counts;
    }

    await round(() => Math.floor(rand() * 4), 'first ballots');
    await round((c) => (choice.get(c) + 1 + Math.floor(rand() * 3)) % 4, 'changed ballots');
    // A steady stream of changes over about a second: still one results message per 250 ms at most.
    const counts = await round((c) => (choice.get(c) + 1 + Math.floor(rand() * 3)) % 4, 'changes spread over ~1 s', 5);

    // Redis holds exactly the clients' final choices, with their organisations.
    const stored = await ballotRecords(h, w, poll);
    assert.equal(Object.keys(stored).length, N, 'ballot records in Redis');
    const fromRedis = [0, 0, 0, 0];
    const byOrg = new Map(ORGS.map((o) => [o, [0, 0, 0, 0]]));
    for (const c of voters) {
      const recd = stored[c.participant.id];
      assert.deepEqual(recd, { org: c.organisation, ballot: choice.get(c) }, `${c.tag}'s stored ballot`);
      fromRedis[recd.ballot]++;
      byOrg.get(c.organisation)[recd.ballot]++;
    }
    assert.deepEqual(fromRedis, counts);
    const final = f.results.get(poll);
    assert.deepEqual(final.counts, fromRedis, 'results counts vs Redis');
    const wantOrgs = [...ORGS].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
      .map((name) => ({ name, respondents: byOrg.get(name).reduce((x, y) => x + y, 0), counts: byOrg.get(name) }));
    assert.deepEqual(final.organisations, wantOrgs, 'per-organisation counts');
    assert.equal(final.other, null);
    for (const c of voters) {
      if (c.ballots.get(poll)?.ballot !== choice.get(c)) { bugs.push(`${c.tag}: last my_ballot ${J(c.ballots.get(poll))}, chose ${choice.get(c)}`); break; }
    }
    // Nobody was told anyone else's ballot; the stream has organisations only.
    const pids = [f, ...voters].map((c) => c.participant.id);
    const others = voters.filter((c) => since(c, 0, (m) => m.type === 'my_ballot' || m.type === 'results').length > 3);
    if (others.length) bugs.push(`${others.length} voters received more than their own three my_ballot replies, e.g. ${J(since(others[0], 0)).slice(0, 300)}`);
    bugs.push(...anonymityProblems([f, ...voters], pids).slice(0, 5));
    const ev = await eventProblems(h, w, pids, ORGS);
    bugs.push(...ev.problems.slice(0, 5));
    assert.equal(ev.ballots, 3 * N, 'ballot events in the stream');
    for (const c of voters) c.close();
    assert.deepEqual(schemaProblems(h).slice(0, 5), []);
    finish(bugs, t);
  });

  test('durability: ballots and answers survive kill -9 of the server', { timeout: 30000 }, async (t) => {
    const bugs = [];
    const s = h.server;
    const w = await s.createWorkshop({ title: 'Durable' });
    const f = await join(h, w, { name: 'Awa', org: 'Animation', fac: true });
    const voters = [];
    for (const org of ['Banque', 'Banque', 'Banque', 'Ville', 'Ville', 'Ville', 'Asso']) voters.push(await join(h, w, { name: `V-${org}`, org, record: 50 }));
    // Several polls, a few ms apart, so "oldest first" has one meaning.
    const single = await createPoll(f, { kind: 'single', question: 'Un choix ?', choices: ['a', 'b', 'c'] });
    await sleep(3);
    const text = await createPoll(f, { kind: 'text', question: 'Une idée ?' });
    await sleep(3);
    const draft = await createPoll(f, { kind: 'scale', question: 'Brouillon' });
    for (let i = 0; i < 3; i++) {
      await sleep(3);
      await createPoll(f, { kind: 'scale', question: `Brouillon ${i + 2}` });
    }
    for (const x of [single, text]) await must(f, { type: 'poll_open', poll: x.id }, 'poll');
    await must(f, { type: 'poll_results', poll: single.id, visibility: 'live' }, 'poll');
    const picks = [0, 0, 1, 2, 2, 2, 1];
    await Promise.all(voters.map((c, i) => must(c, { type: 'vote', poll: single.id, ballot: picks[i] }, 'my_ballot')));
    await must(voters[0], { type: 'answer', poll: text.id, text: 'Première' }, 'my_ballot');
    await must(voters[0], { type: 'answer', poll: text.id, text: 'Deuxième' }, 'my_ballot');
    await must(voters[3], { type: 'answer', poll: text.id, text: 'Troisième' }, 'my_ballot');
    await must(voters[3], { type: 'upvote', poll: text.id, answer: 1 }, 'my_ballot');
    await must(voters[4], { type: 'upvote', poll: text.id, answer: 2 }, 'my_ballot');
    await must(voters[0], { type: 'answer', poll: text.id, answer: 2, text: null }, 'my_ballot'); // delete answer 2 (upvoted)
    await must(voters[1], { type: 'answer', poll: text.id, text: 'Quatrième' }, 'my_ballot');
    await must(voters[1], { type: 'answer', poll: text.id, answer: 4, text: null }, 'my_ballot'); // deleted by its author
    await must(voters[5], { type: 'answer', poll: text.id, text: 'Cinquième' }, 'my_ballot');
    await must(voters[6], { type: 'upvote', poll: text.id, answer: 5 }, 'my_ballot');
    await must(f, { type: 'answer', poll: text.id, answer: 5, text: null }, 'my_ballot'); // moderation
    await must(voters[2], { type: 'answer', poll: text.id, text: 'Sixième' }, 'my_ballot');
    await must(voters[2], { type: 'answer', poll: text.id, answer: 6, text: null }, 'my_ballot'); // the highest id, deleted by its author
    await must(f, { type: 'poll_close', poll: single.id }, 'poll');
    await sleep(400);
    // polls.md, Storage: the poll record is "rewritten at every lifecycle step
    // and every answer added, since it keeps answers_next".
    const textRec = await pollRecord(h, w, text.id);
    if (textRec.answers_next !== 6) bugs.push(`6 answers were added to the open text poll but its record in Redis is ${J(textRec)}; polls.md (Storage): rewritten at every answer added, answers_next = the last answer id handed out (6)`);
    const beforeView = await facilitatorView(h, w);
    const beforeResults = new Map([...beforeView.results].map(([k, v]) => [k, figures(v)]));
    assert.equal(beforeResults.get(single.id).respondents, 7);
    assert.deepEqual(beforeResults.get(text.id), {
      respondents: 2, answers: [{ id: 1, upvotes: 1 }, { id: 3, upvotes: 0 }], organisations: [], other: null, alignment: null,
    });
    assert.deepEqual(beforeView.polls.find((x) => x.id === text.id).answers, [{ id: 1, text: 'Première' }, { id: 3, text: 'Troisième' }]);
    // What each voter should get back: its ballot, its live answers and upvotes.
    const textOf = (m) => (m && (m.answers.length || m.upvotes.length) ? { answers: m.answers, upvotes: m.upvotes } : null);
    const wantBallots = picks.map((b, i) => [b, {
      0: { answers: [{ id: 1, text: 'Première' }], upvotes: [] },
      3: { answers: [{ id: 3, text: 'Troisième' }], upvotes: [1] },
    }[i] || null]);

    const info = await s.kill('SIGKILL');
    assert.equal(info.signal, 'SIGKILL');
    await s.start();
    const afterView = await facilitatorView(h, w);
    const byId = (l) => [...l].sort((x, y) => (x.id < y.id ? -1 : 1));
    const bv = byId(beforeView.polls);
    byId(afterView.polls).forEach((x, i) => {
      if (!same(x, bv[i])) bugs.push(`after kill -9 and restart, welcome.polls has ${J(x)}; before: ${J(bv[i])}`);
    });
    const order = (l) => l.map((x) => `${x.question}@${x.created}`);
    if (!same(order(afterView.polls), order(beforeView.polls))) {
      bugs.push(`after kill -9 and restart, welcome.polls comes in the order ${J(order(afterView.polls))}; before: ${J(order(beforeView.polls))}; polls.md (Joining): "oldest first"`);
    }
    for (const [poll, fig] of beforeResults) {
      if (!same(figures(afterView.results.get(poll)), fig)) bugs.push(`after kill -9: results of ${poll} ${J(figures(afterView.results.get(poll)))}; before ${J(fig)}`);
    }
    assert.ok(afterView.polls.some((x) => x.id === draft.id && x.state === 'draft'));
    // Each voter resumes with its token and gets its own ballot back.
    const back = [];
    for (const c of voters) back.push(await twin(h, c));
    await waitUntil(() => back.every((c) => c.ballots.has(single.id)), 3000, 'my_ballot after resume').catch(() => {});
    await sleep(200);
    back.forEach((c, i) => {
      const got = [c.ballots.get(single.id)?.ballot, textOf(c.ballots.get(text.id))];
      if (!same(got, wantBallots[i])) bugs.push(`after kill -9: ${c.tag} (resumed) got my_ballot [choice, text] ${J(got)}; expected ${J(wantBallots[i])}`);
    });
    // The reloaded tallies move correctly, and answer ids are not reused.
    const g = await join(h, w, { name: 'Awa', org: 'Animation', fac: true }); // f's connection died with the server
    await must(g, { type: 'poll_reopen', poll: single.id }, 'poll');
    await must(back[0], { type: 'vote', poll: single.id, ballot: 2 }, 'my_ballot');
    const r = await latestResults(g, single.id, (x) => x.counts[2] === 4);
    if (!r || !same(r.counts, [1, 2, 4]) || r.respondents !== 7) bugs.push(`after restart, changing a ballot 0 -> 2: results ${J(g.results.get(single.id))}; expected counts [1,2,4]`);
    const added = await must(back[2], { type: 'answer', poll: text.id, text: 'Après le redémarrage' }, 'my_ballot');
    if (!same(added.answers.map((a) => a.id), [7])) bugs.push(`after restart, a new answer on the text poll got ${J(added.answers)}; ids 1-6 were handed out before (2, 4, 5, 6 deleted): polls.md says ids are never reused, so 7`);
    assert.deepEqual(schemaProblems(h), []);
    finish(bugs, t);
  });

  test('two instances on one Redis: a vote through B reaches a facilitator on A', { timeout: 30000 }, async (t) => {
    const bugs = [];
    const a = h.server;
    const b = await h.addServer();
    try {
      const w = await a.createWorkshop({ title: 'Deux instances' });
      const f = await join(h, w, { name: 'Awa', org: 'Animation', fac: true, server: a });
      const poll = (await createPoll(f, { kind: 'single', question: 'Un choix ?', choices: ['a', 'b', 'c'] })).id;
      await must(f, { type: 'poll_open', poll }, 'poll');
      const onB = [];
      for (const org of ['Banque', 'Banque', 'Banque', 'Ville', 'Ville', 'Ville']) onB.push(await join(h, w, { name: `B-${org}`, org, server: b }));
      assert.deepEqual(onB[0].welcomes[0].polls.map((x) => [x.id, x.state]), [[poll, 'open']], 'instance B lists the poll made on A');
      const picks = [0, 0, 0, 1, 1, 2];
      const start = Date.now();
      await Promise.all(onB.map((c, i) => must(c, { type: 'vote', poll, ballot: picks[i] }, 'my_ballot')));
      const want = { respondents: 6, counts: [3, 2, 1], organisations: [{ name: 'Banque', respondents: 3, counts: [3, 0, 0] }, { name: 'Ville', respondents: 3, counts: [0, 2, 1] }], other: null, alignment: { divergence: 1, label: 'divergent', organisations: 2 } };
      const r = await latestResults(f, poll, (x) => same(figures(x), want), 2500);
      if (!r) bugs.push(`votes through instance B: the facilitator on A has ${J(figures(f.results.get(poll)))} after 2.5 s; expected ${J(want)}`);
      else t.diagnostic(`results on A ${Date.now() - start} ms after the first vote on B`);
      // A change of mind on B, then A closes and reveals: B's participants follow.
      await must(onB[5], { type: 'vote', poll, ballot: 0 }, 'my_ballot');
      if (!await latestResults(f, poll, (x) => same(x.counts, [4, 2, 0]), 2500)) bugs.push(`changed vote through B: A's results ${J(f.results.get(poll))}`);
      const atB = onB.map(mark);
      await must(f, { type: 'poll_close', poll }, 'poll');
      await must(f, { type: 'poll_results', poll, visibility: 'revealed' }, 'poll');
      const closedOnB = await seen(onB[0], atB[0], (m) => m.type === 'poll' && m.poll.id === poll && m.poll.state === 'closed', 2500);
      if (!closedOnB) bugs.push('poll_close on A: participants on B were not sent the closed poll within 2.5 s');
      const revealedOnB = await seen(onB[1], atB[1], (m) => m.type === 'results' && m.poll === poll && same(m.counts, [4, 2, 0]), 2500);
      if (!revealedOnB) bugs.push('poll_results revealed on A: participants on B got no results within 2.5 s');
      await waitUntil(async () => (await req(onB[2], { type: 'vote', poll, ballot: 1 })).code === 'poll_closed', 3000, 'B refuses votes on the closed poll')
        .catch(() => bugs.push('instance B still takes votes on a poll closed on A'));
      assert.deepEqual(Object.values(await ballotRecords(h, w, poll)).map((x) => x.ballot).sort(), [0, 0, 0, 0, 1, 1]);

      // Text answers across instances: added on B, moderated on A.
      const tp = (await createPoll(f, { kind: 'text', question: 'Une idée ?' })).id;
      await must(f, { type: 'poll_open', poll: tp }, 'poll');
      await seen(onB[0], atB[0], (m) => m.type === 'poll' && m.poll.id === tp, 2500);
      const atA = mark(f);
      await must(onB[0], { type: 'answer', poll: tp, text: 'Idée venue de B' }, 'my_ballot');
      const onA = await seen(f, atA, (m) => (m.type === 'answer' && m.poll === tp) || (m.type === 'poll' && m.poll.id === tp && m.poll.answers.length), 2500);
      if (!onA) bugs.push('an answer added through B never reached the facilitator on A (no answer or poll message within 2.5 s)');
      await latestResults(f, tp, (x) => x.answers.length === 1, 2500);
      const atB2 = onB.map(mark);
      await must(f, { type: 'answer', poll: tp, answer: 1, text: null }, 'my_ballot'); // moderation on A
      await sleep(1000);
      const lastPollOnB = since(onB[1], atB2[1], (m) => m.type === 'poll' && m.poll.id === tp).pop();
      const goneOnB = since(onB[1], atB2[1], (m) => m.type === 'answer' && m.poll === tp && m.answer === 1 && m.text === null).length > 0;
      if ((lastPollOnB && lastPollOnB.poll.answers.length) || (!lastPollOnB && !goneOnB)) {
        bugs.push(`facilitator on A deleted answer 1 (moderation); a participant on B was then sent ${J(lastPollOnB || 'nothing')}; the answer should be gone`);
      }
      const freshB = await join(h, w, { name: 'Nouveau', org: 'Ville', server: b });
      const listed = freshB.welcomes[0].polls.find((x) => x.id === tp);
      if (!listed || listed.answers.length) bugs.push(`after the moderation on A, joining B lists the text poll as ${J(listed)}; answer 1 was deleted`);
      freshB.close();
      const remotePolls = since(onB[3], 0, (m) => m.type === 'poll').length;
      t.diagnostic(`a participant on B received ${remotePolls} poll messages and ${since(onB[3], 0, (m) => m.type === 'my_ballot').length} my_ballot messages`);
      bugs.push(...anonymityProblems([f, ...onB], [f, ...onB].map((c) => c.participant.id)));
      assert.deepEqual(schemaProblems(h), []);
    } finally {
      await b.kill('SIGKILL');
    }
    finish(bugs, t);
  });

  test('Redis down: votes get unavailable and change nothing; afterwards the server shows what Redis has', { timeout: 40000 }, async (t) => {
    if (!h.redis.canStop) {
      t.skip('uses an external Redis (ATELIER_TEST_REDIS_PORT): cannot stop it');
      return;
    }
    const bugs = [];
    const s = h.server;
    const w = await s.createWorkshop({ title: 'Panne' });
    const f = await join(h, w, { name: 'Awa', org: 'Animation', fac: true });
    const p = await join(h, w, { name: 'Jean', org: 'Banque' });
    const poll = (await createPoll(f, { kind: 'single', question: 'Un choix ?', choices: ['a', 'b', 'c'] })).id;
    await must(f, { type: 'poll_open', poll }, 'poll');
    await must(p, { type: 'vote', poll, ballot: 0 }, 'my_ballot');
    await latestResults(f, poll, (x) => x.respondents === 1);
    await sleep(300);
    const fAt = mark(f);
    const pAt = mark(p);

    await h.redis.stop('SIGTERM');
    // Straight away (the server may not know yet), then once it reports it.
    await expectError(bugs, p, { type: 'vote', poll, ballot: 1 }, 'unavailable', 'vote just after Redis went away');
    await waitUntil(async () => (await s.http('GET', '/healthz')).status === 503, 5000, '/healthz 503');
    await expectError(bugs, p, { type: 'vote', poll, ballot: 2 }, 'unavailable', 'vote with Redis down');
    await expectError(bugs, p, { type: 'vote', poll, ballot: null }, 'unavailable', 'withdrawal with Redis down');
    await expectError(bugs, f, { type: 'poll_close', poll }, 'unavailable', 'poll_close with Redis down');
    await expectError(bugs, f, { type: 'poll_create', kind: 'scale', question: 'Pendant la panne' }, 'unavailable', 'poll_create with Redis down');
    await sleep(400);
    const during = [...since(f, fAt), ...since(p, pAt)].filter((m) => m.type !== 'results' || !same(m.counts, [1, 0, 0]));
    if (during.length) bugs.push(`during the outage clients were sent changes: ${J(during).slice(0, 300)}`);

    await h.redis.startProcess();
    await waitUntil(async () => (await s.http('GET', '/healthz')).status === 200, 10000, '/healthz 200 after Redis is back');
    await sleep(500);
    const rec = await pollRecord(h, w, poll);
    const stored = await ballotRecords(h, w, poll);
    assert.equal(rec.state, 'open', 'Redis kept the poll open');
    assert.deepEqual(stored, { [p.participant.id]: { org: 'Banque', ballot: 0 } }, 'Redis has the ballot from before the outage');
    const view = await facilitatorView(h, w);
    assert.deepEqual(view.polls.map((x) => [x.id, x.state]), [[poll, rec.state]], 'facilitator view vs Redis');
    const r = view.results.get(poll);
    if (!r || r.respondents !== 1 || !same(r.counts, [1, 0, 0])) bugs.push(`after the outage the server's results are ${J(r)}; Redis has one ballot for choice 0`);
    const last = p.ballots.get(poll);
    if (last && last.ballot !== 0) bugs.push(`after the outage the voter was told its ballot is ${J(last)}; Redis has 0`);
    const fresh = await twin(h, p);
    await waitUntil(() => fresh.ballots.has(poll), 2000, 'my_ballot').catch(() => {});
    if (fresh.ballots.get(poll)?.ballot !== 0) bugs.push(`after the outage a resume gives my_ballot ${J(fresh.ballots.get(poll))}; Redis has 0`);
    // And it works again.
    assert.equal((await must(p, { type: 'vote', poll, ballot: 2 }, 'my_ballot')).ballot, 2);
    assert.deepEqual((await ballotRecords(h, w, poll))[p.participant.id], { org: 'Banque', ballot: 2 });
    if (!await latestResults(f, poll, (x) => same(x.counts, [0, 0, 1]))) bugs.push(`after the outage a new vote: results ${J(f.results.get(poll))}`);
    assert.deepEqual(schemaProblems(h), []);
    finish(bugs, t);
  });
});
