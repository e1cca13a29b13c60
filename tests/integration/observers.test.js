'use strict';
// Observers (protocol/agreement.md, "Observers"), with two server processes.
//
// A facilitator makes the observer link: every facilitator is told the key
// (on both processes), a facilitator's welcome carries it, nobody else's.
// An observer joins with it, without an organisation; every write they try
// is `forbidden` and changes nothing (text, revision, polls, ballots,
// people, history): the writes are one list, WRITES, checked against the
// protocol's client messages so that a new message type is one more line.
// Revoking the link closes every observer's connection on both processes
// with `forbidden`, and their token no longer resumes.
//
// What an observer gets, on the other process than the people they watch:
// the ops and carets of others, arrivals and departures, and polls and
// results exactly as participants get them (never a draft, never results
// while they are hidden); they are listed apart (role observer, no
// organisation) in rosters and GET /api/workshops/ID.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, waitUntil, fetchAllHistory, getJson, assertSchema, WRITES, READS, clientTypes } = require('./harness');

// What a refused write must not change.
async function stored(h, w) {
  const k = (what) => `atelier:{w:${w}}:${what}`;
  const polls = await h.redis.command('HGETALL', k('polls'));
  const ballots = [];
  for (let i = 0; i < polls.length; i += 2) ballots.push(await h.redis.command('HGETALL', k(`ballots:${polls[i]}`)));
  return {
    meta: await h.redis.command('HGETALL', k('meta')), events: await h.redis.command('XLEN', k('events')),
    people: await h.redis.command('HGETALL', k('people')), polls, ballots,
  };
}

describe('observers', { timeout: 120000 }, () => {
  let h;
  before(async () => { h = await Harness.start({ servers: 2 }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('the link, an observer who writes nothing, and the revocation, on two processes', { timeout: 90000 }, async () => {
    const [s1, s2] = h.servers;
    const w = await s1.createWorkshop({ title: 'Observé', text: 'Quoi ?\n' });
    const fac = h.client({ server: s1, workshop: w.id, name: 'Awa', organisation: 'Ville', key: w.facilitator_key });
    const fac2 = h.client({ server: s2, workshop: w.id, name: 'Awa', organisation: 'Ville', key: w.facilitator_key });
    const jean = h.client({ server: s1, workshop: w.id, name: 'Jean', organisation: 'Banque' });
    for (const c of [fac, fac2, jean]) assert.equal((await c.start()).observer_key, undefined);

    // Made: every facilitator hears the key; nobody else.
    const heard = fac2.waitFor((m) => m.type === 'observer_link', 5000, 'the link, on the other process');
    const made = await fac.must({ type: 'observer_link', action: 'create' }, 'observer_link');
    assert.match(made.key, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(await heard, { type: 'observer_link', key: made.key });
    assert.equal((await fac.must({ type: 'observer_link', action: 'create' }, 'observer_link')).key, made.key, 'create while one stands');
    await jean.refused({ type: 'observer_link', action: 'create' }, 'forbidden');
    assert.equal(jean.counts.observer_link, undefined);
    const fac3 = h.client({ server: s2, workshop: w.id, name: 'Awa', organisation: 'Ville', key: w.facilitator_key });
    assert.equal((await fac3.start()).observer_key, made.key);
    fac3.close();

    // Things to name: polls, an answer.
    const single = (await fac.must({ type: 'poll_create', kind: 'single', question: 'Oui ?', choices: ['Oui', 'Non'], open: true, visibility: 'live' }, 'poll')).poll;
    const text = (await fac.must({ type: 'poll_create', kind: 'text', question: 'Idées ?', open: true }, 'poll')).poll;
    const mine = await jean.must({ type: 'answer', poll: text.id, text: 'Une idée' }, 'my_ballot');
    await jean.must({ type: 'vote', poll: single.id, ballot: 1 }, 'my_ballot');
    const x = { single: single.id, text: text.id, answer: mine.answers[0].id, jean: jean.participant.id };

    // An observer, without an organisation, on the other process.
    const obs = h.client({ server: s2, workshop: w.id, name: 'Zoé' });
    await obs.open();
    const bad = await obs.request({ type: 'join', workshop: w.id, name: 'Zoé', observer_key: 'A'.repeat(43) });
    assert.equal(bad.code, 'forbidden');
    const welcome = await obs.request({ type: 'join', workshop: w.id, name: 'Zoé', observer_key: made.key });
    assert.equal(welcome.type, 'welcome', JSON.stringify(welcome));
    assert.equal(welcome.role, 'observer');
    assert.equal(welcome.participant.organisation, '');
    assert.equal(welcome.observer_key, undefined);
    assert.ok(welcome.polls.some((p) => p.id === single.id), 'an observer sees the open polls');
    await waitUntil(() => fac.log.some((m) => m.dir === 'in' && m.data.includes('"arrived"') && m.data.includes('"observer"')), 5000, 'the observer arrives, on the other process');

    // Every write is forbidden and changes nothing.
    assert.deepEqual(clientTypes().filter((t) => !READS.has(t) && !WRITES[t]), [], 'a client message with no line in WRITES');
    const before = await stored(h, w.id);
    for (const [type, make] of Object.entries(WRITES)) {
      const r = await obs.refused(make(obs, x), 'forbidden');
      assert.ok(r.message, `${type}: a reason`);
    }
    assert.deepEqual(await stored(h, w.id), before, 'a refused write changed Redis');
    assert.equal(obs.counts.my_ballot, undefined);

    // Revoked from the other process: the observer is closed with forbidden; the token no longer resumes.
    const closed = obs.waitClose(5000);
    const told = fac.waitFor((m) => m.type === 'observer_link' && m.key === null, 5000, 'revoked, on the other process');
    assert.deepEqual({ ...(await fac2.must({ type: 'observer_link', action: 'revoke' }, 'observer_link')), id: 0 }, { type: 'observer_link', key: null, id: 0 });
    await told;
    await closed;
    const last = obs.log.filter((m) => m.dir === 'in').map((m) => JSON.parse(m.data)).pop();
    assert.deepEqual([last.type, last.code, last.message], ['error', 'forbidden', 'the observer link was revoked']);
    const again = h.client({ server: s1, workshop: w.id });
    await again.open();
    const resumed = await again.request({ type: 'join', workshop: w.id, resume: { token: welcome.token, rev: 0 } });
    assert.deepEqual([resumed.type, resumed.code], ['error', 'forbidden']);
    const old = await again.request({ type: 'join', workshop: w.id, name: 'Zoé', observer_key: made.key });
    assert.deepEqual([old.type, old.code], ['error', 'forbidden']);

    // The history has the observer's arrival, as an observer without an organisation.
    const hist = await fetchAllHistory(s1.port, w.id, { only: 'marks' });
    assert.ok(hist.events.some((e) => e.type === 'arrived' && e.role === 'observer' && e.org === ''));
    h.assertNoProblems();
  });
  test('what an observer gets, on the other process: ops, carets, arrivals, departures, polls and results as participants do; listed apart', { timeout: 90000 }, async () => {
    const [s1, s2] = h.servers;
    const w = await s1.createWorkshop({ title: 'Regardé', text: 'Quoi ?\n' });
    const fac = h.client({ server: s1, workshop: w.id, name: 'Awa', organisation: 'Ville', key: w.facilitator_key });
    const jean = h.client({ server: s1, workshop: w.id, name: 'Jean', organisation: 'Banque' });
    for (const c of [fac, jean]) await c.start();
    const { key } = await fac.must({ type: 'observer_link', action: 'create' }, 'observer_link');
    const obs = h.client({ server: s2, workshop: w.id, name: 'Zoé', observe: key });
    const arrives = jean.waitFor((m) => m.type === 'arrived' && m.participant.role === 'observer', 5000, 'the observer arrives');
    assert.equal((await obs.start()).role, 'observer');
    // Who c knows to be present (its welcome, then arrivals and departures), as [name, organisation, role].
    const roster = (c) => {
      const present = new Map();
      for (const m of c.log.filter((x) => x.dir === 'in').map((x) => JSON.parse(x.data))) {
        if (m.type === 'welcome') for (const p of m.participants) present.set(p.id, p);
        if (m.type === 'arrived') present.set(m.participant.id, m.participant);
        if (m.type === 'departed') present.delete(m.participant);
      }
      return [...present.values()].map((p) => [p.name, p.organisation, p.role]).sort();
    };
    await waitUntil(() => roster(obs).length === 2, 5000, 'the observer hears of the others, on the other process');
    assert.deepEqual(roster(obs), [['Awa', 'Ville', 'facilitator'], ['Jean', 'Banque', 'participant']]);
    assert.deepEqual((({ name, organisation, role }) => ({ name, organisation, role }))((await arrives).participant), { name: 'Zoé', organisation: '', role: 'observer' });

    // Listed apart on GET, through either process, as the schema says.
    for (const s of [s1, s2]) {
      let present = [];
      await waitUntil(async () => {
        const g = await getJson(s.port, `/api/workshops/${w.id}`);
        assertSchema('workshop-public', g.json);
        present = g.json.present;
        return present.length === 3;
      }, 5000, `three present on ${s.port}`);
      assert.deepEqual(present.filter((p) => p.role === 'observer'), [{ name: 'Zoé', organisation: '', role: 'observer' }]);
    }

    // Others' ops and carets.
    const caret = obs.waitFor((m) => m.type === 'cursor' && m.participant === jean.participant.id, 5000, "Jean's caret");
    jean.submit([7, 'Ensemble. ']);
    await waitUntil(() => obs.text === 'Quoi ?\nEnsemble. ', 5000, "Jean's op, seen by the observer");
    jean.cursor([7, 16]);
    assert.deepEqual((await caret).sel, [7, 16]);

    // Polls: never a draft, no results while hidden, then the same results as Jean's.
    const inbox = (c, type, poll) => c.log.filter((x) => x.dir === 'in').map((x) => JSON.parse(x.data))
      .filter((m) => m.type === type && (m.poll === poll || (m.poll && m.poll.id === poll)));
    const draft = (await fac.must({ type: 'poll_create', kind: 'single', question: 'Signons ?', choices: ['Oui', 'Non'] }, 'poll')).poll;
    const seen = Promise.all([jean, obs].map((c) => c.waitFor((m) => m.type === 'poll' && m.poll.id === draft.id && m.poll.state === 'open', 5000, `${c.tag}: opened`)));
    await fac.must({ type: 'poll_open', poll: draft.id }, 'poll');
    const [forJean, forObs] = await seen;
    assert.deepEqual(forObs, forJean);
    await jean.must({ type: 'vote', poll: draft.id, ballot: 0 }, 'my_ballot');
    const later = await fac.must({ type: 'poll_create', kind: 'scale', question: 'Clair ?' }, 'poll'); // a draft after the vote
    const results = Promise.all([jean, obs].map((c) => c.waitFor((m) => m.type === 'results' && m.poll === draft.id, 5000, `${c.tag}: results`)));
    await fac.must({ type: 'poll_results', poll: draft.id, visibility: 'live' }, 'poll');
    const [rJean, rObs] = await results;
    assert.deepEqual(rObs, rJean);
    assert.equal(rObs.respondents, 1, 'the observer is never counted');
    assert.equal(inbox(obs, 'poll', later.poll.id).length, 0, 'no draft');
    assert.equal(inbox(obs, 'results', draft.id).length, 1, 'no results while they were hidden');
    assert.equal(obs.counts.my_ballot, undefined);

    // Departures.
    const gone = obs.waitFor((m) => m.type === 'departed' && m.participant === jean.participant.id, 5000, 'Jean leaves');
    jean.close();
    await gone;
    h.assertNoProblems();
  });
  test('an observer key not heard of yet (its announcement on its way) is read back before a join is refused', { timeout: 30000 }, async () => {
    const [, s2] = h.servers;
    const w = await s2.createWorkshop({ title: 'Tout juste' });
    const fac = h.client({ server: s2, workshop: w.id, name: 'Awa', organisation: 'Ville', key: w.facilitator_key });
    await fac.start();
    // Made behind the process's back: meta only, no announcement.
    const key = 'K'.repeat(43);
    await h.redis.command('HSET', `atelier:{w:${w.id}}:meta`, 'okey', key);
    const heard = fac.waitFor((m) => m.type === 'observer_link', 5000, 'the key, read back');
    const obs = h.client({ server: s2, workshop: w.id, name: 'Zoé', observe: key });
    assert.equal((await obs.start()).role, 'observer');
    assert.deepEqual(await heard, { type: 'observer_link', key });
    // A wrong key is still refused, after the same look.
    const other = h.client({ server: s2, workshop: w.id, name: 'Paul', observe: 'L'.repeat(43) });
    await other.open();
    const bad = await other.request(other.joinMessage());
    assert.deepEqual([bad.type, bad.code], ['error', 'forbidden']);
    h.assertNoProblems();
  });
});
