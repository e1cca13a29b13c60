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

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, waitUntil, fetchAllHistory, WRITES, clientTypes } = require('./harness');

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
    assert.deepEqual(clientTypes().filter((t) => t !== 'join' && t !== 'ping' && !WRITES[t]), [], 'a client message with no line in WRITES');
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
});
