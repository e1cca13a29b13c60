'use strict';
// A poll's state in each process's memory stays Redis' while ballots arrive
// on several processes at once. A process reads a poll back from Redis when
// another process changed it (or a write of its own failed); its own writes
// still in flight when that read was sent are not in the answer, and must
// not be dropped from its memory by it. 30 people on two processes change
// their ballots as fast as they are answered; then each process's results
// (what a newcomer on it is given) are the last confirmed ballots, counted
// once, and so are the ballots stored in Redis.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, ask, must, received, waitUntil, prng, sleep } = require('./harness');

const PEOPLE = 30;
const VOTES = 12; // each

describe('polls across processes', { timeout: 120000 }, () => {
  let h;
  before(async () => { h = await Harness.start({ servers: 2 }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('ballots from two processes at once: each process\'s results are the ballots stored, once', async (t) => {
    const [s1, s2] = h.servers;
    const w = await s1.createWorkshop({ title: 'Votes croisés', text: '' });
    const fac = h.client({ server: s1, workshop: w.id, name: 'Awa', organisation: 'Ville', key: w.facilitator_key });
    await fac.start();
    const poll = (await must(fac, { type: 'poll_create', kind: 'single', question: 'Laquelle ?', choices: ['a', 'b', 'c', 'd'], open: true }, 'poll')).poll;
    const people = [];
    for (let i = 0; i < PEOPLE; i++) {
      people.push(h.client({ server: i % 2 ? s2 : s1, workshop: w.id, name: `V${i}`, organisation: ['Ville', 'Banque', 'Asso'][i % 3] }));
    }
    await Promise.all(people.map((c) => c.start()));
    const last = new Map();
    await Promise.all(people.map(async (c, i) => {
      const rand = prng(1000 + i);
      for (let k = 0; k < VOTES; k++) {
        const ballot = Math.floor(rand() * 4);
        const r = await ask(c, { type: 'vote', poll: poll.id, ballot }, 10000);
        assert.equal(r.type, 'my_ballot', JSON.stringify(r));
        last.set(c.tag, ballot);
      }
    }));
    const expected = [0, 0, 0, 0];
    for (const b of last.values()) expected[b]++;
    // Redis has the last ballots.
    const stored = await h.redis.command('HGETALL', `atelier:{w:${w.id}}:ballots:${poll.id}`);
    assert.equal(stored.length / 2, PEOPLE);
    // Each process's memory: the results a newcomer there is given (after the
    // other process's last announcements were heard: they settle).
    for (const s of [s1, s2]) {
      let got = null;
      await waitUntil(async () => {
        const c = h.client({ server: s, workshop: w.id, name: 'Après', organisation: 'Ville', key: w.facilitator_key });
        await c.start();
        const res = await waitUntil(() => received(c, 'results').find((m) => m.poll === poll.id), 5000, 'results');
        c.close();
        got = res.counts;
        return res.respondents === PEOPLE && JSON.stringify(res.counts) === JSON.stringify(expected);
      }, 10000, `process ${s.port}'s results to be the stored ballots`).catch((e) => {
        throw new Error(`${e.message}: ${JSON.stringify(got)} against ${JSON.stringify(expected)}`);
      });
    }
    h.assertNoProblems();
    t.diagnostic(`${PEOPLE * VOTES} ballots over two processes; results ${JSON.stringify(expected)} on both`);
  });
});
