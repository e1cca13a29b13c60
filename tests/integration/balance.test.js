'use strict';
// The contribution balance (protocol/agreement.md, "Contribution balance").
//
// Two server processes on one Redis. Two organisations write through
// different processes (code points, not bytes: "é" and "😀" count one);
// a ballot, a text answer and an upvote are given; the facilitator, on the
// first process, is told exact counts per organisation and who is present,
// and so is a facilitator joining through the second process. The counts in
// Redis are exactly those; after a restart of the first process a new
// facilitator's welcome has them. Participants never get the balance, not in
// their welcome and not live. The workshop's deletion takes the key.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, waitUntil, bearer, ask, must, received } = require('./harness');

const balanceKey = (id) => `atelier:{w:${id}}:balance`;

async function typeOp(c, op) {
  c.submit(op);
  await waitUntil(() => c.idle, 5000, `ack of ${JSON.stringify(op)}`);
}

// The last balance a facilitator was told, as { org: [inserted, deleted, ballots, answers, present] }.
function figures(orgs) {
  return Object.fromEntries(orgs.map((o) => [o.org, [o.inserted, o.deleted, o.ballots, o.answers, o.present]]));
}

function lastBalance(c) {
  const all = received(c, 'balance');
  return all.length ? figures(all[all.length - 1].organisations) : null;
}

async function told(c, expected, what) {
  await waitUntil(() => JSON.stringify(lastBalance(c)) === JSON.stringify(expected), 5000,
    `${what}: ${JSON.stringify(expected)}, last told ${JSON.stringify(lastBalance(c))}`);
}

describe('the contribution balance', { timeout: 120000 }, () => {
  let h;
  before(async () => { h = await Harness.start({ servers: 2 }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('exact counts per organisation through two processes, facilitators only, after a restart too', { timeout: 60000 }, async () => {
    const [s1, s2] = h.servers;
    const w = await s1.createWorkshop({ title: 'Équilibre', text: '' });
    const fac = h.client({ server: s1, workshop: w.id, name: 'Awa', organisation: 'Animation', key: w.facilitator_key });
    const jean = h.client({ server: s1, workshop: w.id, name: 'Jean', organisation: 'Banque' });
    const lea = h.client({ server: s2, workshop: w.id, name: 'Léa', organisation: 'Asso' });
    const welcome = await fac.start();
    assert.deepEqual(welcome.balance, { organisations: [] });
    const jw = await jean.start();
    assert.equal(jw.balance, undefined, 'no balance in a participant\'s welcome');
    await lea.start();
    await told(fac, { Asso: [0, 0, 0, 0, 1], Banque: [0, 0, 0, 0, 1] }, 'who is present');

    // Banque writes 8 code points (one "é", one emoji) through s1, Asso 6 and deletes 2 through s2.
    await typeOp(jean, ['Café 😀 !']);
    await waitUntil(() => lea.rev === jean.rev, 5000, 'lea has Banque\'s text');
    await typeOp(lea, [8, ' ça va']);
    await typeOp(lea, [{ d: 2 }]);
    await told(fac, { Asso: [6, 2, 0, 0, 1], Banque: [8, 0, 0, 0, 1] }, 'the writing');

    // A ballot (Banque), a text answer (Asso) and an upvote (Banque).
    const single = (await must(fac, { type: 'poll_create', kind: 'single', question: 'Oui ?', choices: ['Oui', 'Non'] }, 'poll')).poll;
    const text = (await must(fac, { type: 'poll_create', kind: 'text', question: 'Idées ?' }, 'poll')).poll;
    await must(fac, { type: 'poll_open', poll: single.id }, 'poll');
    await must(fac, { type: 'poll_open', poll: text.id }, 'poll');
    await waitUntil(() => received(lea, 'poll').some((m) => m.poll.id === text.id && m.poll.state === 'open'), 5000, 'lea sees the text poll');
    await must(jean, { type: 'vote', poll: single.id, ballot: 0 }, 'my_ballot');
    const mine = await must(lea, { type: 'answer', poll: text.id, text: 'Une idée' }, 'my_ballot');
    // s1 reads the answer back when s2 announces it: until then it is not_found there.
    await waitUntil(async () => (await ask(jean, { type: 'upvote', poll: text.id, answer: mine.answers[0].id })).type === 'my_ballot',
      5000, 'jean\'s upvote, once s1 has the answer');
    const expected = { Asso: [6, 2, 0, 1, 1], Banque: [8, 0, 1, 1, 1] };
    await told(fac, expected, 'the ballots and answers');

    // Exactly that in Redis, one field per figure.
    const stored = await h.redis.command('HGETALL', balanceKey(w.id));
    const hash = {};
    for (let i = 0; i < stored.length; i += 2) hash[stored[i]] = stored[i + 1];
    assert.deepEqual(hash, { 'ins:Banque': '8', 'ins:Asso': '6', 'del:Asso': '2', 'bal:Banque': '1', 'ans:Asso': '1', 'ans:Banque': '1' });

    // A facilitator through the other process (which had no facilitator to
    // tell): the welcome has its last reading, then it is told Redis' figures.
    const fac2 = h.client({ server: s2, workshop: w.id, name: 'Awa', organisation: 'Animation', key: w.facilitator_key });
    assert.ok((await fac2.start()).balance.organisations.length > 0);
    await told(fac2, expected, 'the balance, for a facilitator on the other process');

    // A departure changes who is present, for both facilitators.
    lea.close();
    const gone = { Asso: [6, 2, 0, 1, 0], Banque: [8, 0, 1, 1, 1] };
    await told(fac, gone, 'lea left');
    await told(fac2, gone, 'lea left, on the other process');

    // After a restart of the first process, from Redis.
    await s1.restart();
    const fac3 = h.client({ server: s1, workshop: w.id, name: 'Awa', organisation: 'Animation', key: w.facilitator_key });
    const w3 = await fac3.start();
    const restarted = figures(w3.balance.organisations);
    assert.deepEqual([restarted.Asso.slice(0, 4), restarted.Banque.slice(0, 4)], [[6, 2, 0, 1], [8, 0, 1, 1]]);

    // Participants never got it.
    for (const c of [jean, lea]) assert.deepEqual(received(c, 'balance'), [], `${c.tag} got the balance`);

    // Deleting the workshop takes the key.
    const del = await s2.http('DELETE', `/api/workshops/${w.id}`, { headers: bearer(w.facilitator_key) });
    assert.equal(del.status, 204);
    assert.equal(await h.redis.command('EXISTS', balanceKey(w.id)), 0);
  });
});
