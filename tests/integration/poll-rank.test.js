'use strict';
// Ranking polls (protocol/polls.md, "Ranking polls") on two server
// processes sharing one Redis: members of three organisations order the
// choices, connected to either process; everyone gets the same results
// (Borda points and mean ranks overall and per organisation, the small
// organisation pooled under the threshold, the Kendall tau alignment of the
// spec's first worked example); ballots that are not a permutation are
// refused and change nothing; organisation answers on a rank poll; the
// stored ballots reload into the same results. Every message is checked
// against its schema by the harness.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, waitUntil, must, refusedWith } = require('./harness');

const ballotsKey = (w, p) => `atelier:{w:${w}}:ballots:${p}`;

// The spec's first worked example: results of its seven ballots.
const EXAMPLE = {
  respondents: 7, borda: [8, 7, 6], mean_rank: [1.8571, 2, 2.1429],
  organisations: [
    { name: 'Asso Entraide', respondents: 3, borda: [5, 4, 0], mean_rank: [1.3333, 1.6667, 3] },
    { name: 'Ville de Lyon', respondents: 3, borda: [1, 3, 5], mean_rank: [2.6667, 2, 1.3333] }],
  other: null,
  alignment: { divergence: 1, label: 'divergent', organisations: 2 },
};

const figures = ({ type, id, poll, ...rest }) => rest; // eslint-disable-line no-unused-vars

describe('ranking polls', { timeout: 60000 }, () => {
  let h;
  before(async () => { h = await Harness.start({ servers: 2 }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('seven people of three organisations on two processes: Borda, mean ranks, threshold, alignment', { timeout: 30000 }, async () => {
    const [s1, s2] = h.servers;
    const w = await s1.createWorkshop({ title: 'Classement', text: 'Nos priorités.\n' });
    const fac = h.client({ server: s1, workshop: w.id, name: 'Awa', organisation: 'Animation', key: w.facilitator_key });
    await fac.start();
    const people = [];
    const ballots = [
      ['Asso Entraide', [0, 1, 2]], ['Asso Entraide', [0, 1, 2]], ['Asso Entraide', [1, 0, 2]],
      ['Ville de Lyon', [2, 1, 0]], ['Ville de Lyon', [2, 0, 1]], ['Ville de Lyon', [1, 2, 0]],
      ['Banque Populaire', [0, 2, 1]]];
    for (const [i, [org]] of ballots.entries()) {
      const c = h.client({ server: i % 2 ? s2 : s1, workshop: w.id, name: `P${i}`, organisation: org });
      await c.start();
      people.push(c);
    }
    const poll = (await must(fac, { type: 'poll_create', kind: 'rank', question: 'Dans quel ordre ?',
      choices: ['Emploi', 'Logement', 'Mobilité'], open: true, visibility: 'live' }, 'poll')).poll;
    assert.equal(poll.kind, 'rank');
    assert.deepEqual(poll.choices, ['Emploi', 'Logement', 'Mobilité']);
    assert.equal(poll.max, undefined, 'a rank poll has no max');
    await waitUntil(() => people.every((c) => c.log.some((e) => e.dir === 'in' && e.data.includes(poll.id))), 5000, 'the poll reaches everyone');

    // Bad ballots: refused, nothing stored.
    const bad = [[0, 1], [0, 1, 2, 0], [0, 0, 1], [0, 1, 3], [-1, 0, 1], [0, 1.5, 2], ['0', 1, 2], [], 1, { 0: 1 }, [0, 1, null]];
    for (const b of bad) await refusedWith(people[0], { type: 'vote', poll: poll.id, ballot: b }, 'bad_request');
    assert.equal(await h.redis.command('HLEN', ballotsKey(w.id, poll.id)), 0, 'a refused ballot stores nothing');

    for (const [i, [, b]] of ballots.entries()) {
      const mine = await must(people[i], { type: 'vote', poll: poll.id, ballot: b }, 'my_ballot');
      assert.deepEqual(mine.ballot, b);
    }
    // Every client, on both processes, ends up with the example's results.
    for (const c of [fac, ...people]) {
      await waitUntil(() => {
        const r = c.log.filter((e) => e.dir === 'in').map((e) => JSON.parse(e.data))
          .filter((m) => m.type === 'results' && m.poll === poll.id).pop();
        return r && JSON.stringify(figures(r)) === JSON.stringify(EXAMPLE);
      }, 5000, `${c.tag} gets the example's results`);
    }

    // Changing a ballot moves the figures; the same ballot again changes nothing.
    await must(people[6], { type: 'vote', poll: poll.id, ballot: [0, 2, 1] }, 'my_ballot');
    const r = await must(fac, { type: 'poll_results', poll: poll.id, visibility: 'live' }, 'poll');
    assert.equal(r.poll.results, 'live');

    // A newcomer through the other process, after everything: the same results in its welcome.
    const late = h.client({ server: s2, workshop: w.id, name: 'Tard', organisation: 'Asso Entraide' });
    await late.start();
    const got = await late.waitFor((m) => m.type === 'results' && m.poll === poll.id, 5000, 'results after welcome');
    assert.deepEqual(figures(got), EXAMPLE);
    h.assertNoProblems();
  });

  test('organisations answer a rank poll openly; representatives only', { timeout: 20000 }, async () => {
    const [s1, s2] = h.servers;
    const w = await s1.createWorkshop({ title: 'Classement des organisations', text: 'Texte.\n' });
    const fac = h.client({ server: s1, workshop: w.id, name: 'Awa', organisation: 'Animation', key: w.facilitator_key });
    await fac.start();
    const asso = h.client({ server: s1, workshop: w.id, name: 'Léa', organisation: 'Asso' });
    const ville = h.client({ server: s2, workshop: w.id, name: 'Marc', organisation: 'Ville' });
    await asso.start();
    await ville.start();
    const poll = (await must(fac, { type: 'poll_create', kind: 'rank', question: 'Ordre ?', choices: ['a', 'b', 'c', 'd'],
      respondents: 'organisations', open: true, visibility: 'live' }, 'poll')).poll;
    assert.equal(poll.respondents, 'organisations');
    await waitUntil(() => [asso, ville].every((c) => c.log.some((e) => e.dir === 'in' && e.data.includes(poll.id))), 5000, 'poll');
    await refusedWith(ville, { type: 'vote', poll: poll.id, ballot: [1, 0, 3] }, 'bad_request');
    const a = await must(asso, { type: 'vote', poll: poll.id, ballot: [0, 1, 2, 3] }, 'my_ballot');
    assert.equal(a.by.name, 'Léa');
    await must(ville, { type: 'vote', poll: poll.id, ballot: [1, 0, 3, 2] }, 'my_ballot');
    const res = await waitUntil(() => {
      const m = fac.log.filter((e) => e.dir === 'in').map((e) => JSON.parse(e.data))
        .filter((x) => x.type === 'results' && x.poll === poll.id).pop();
      return m && m.respondents === 2 ? m : null;
    }, 5000, 'results');
    assert.deepEqual(res.borda, [5, 5, 1, 1]);
    assert.deepEqual(res.organisations.map((o) => [o.name, o.borda, o.by]), [['Asso', [3, 2, 1, 0], 'Léa'], ['Ville', [2, 3, 0, 1], 'Marc']]);
    assert.deepEqual(res.alignment, { divergence: 0.3333, label: 'partly_aligned', organisations: 2 });

    // Limited to representatives: a participant is forbidden.
    const rep = (await must(fac, { type: 'poll_create', kind: 'rank', question: 'Ordre des représentants ?', choices: ['a', 'b'],
      respondents: 'organisations', representatives_only: true, open: true }, 'poll')).poll;
    await waitUntil(() => asso.log.some((e) => e.dir === 'in' && e.data.includes(rep.id)), 5000, 'poll');
    await refusedWith(asso, { type: 'vote', poll: rep.id, ballot: [1, 0] }, 'forbidden');
    h.assertNoProblems();
  });

  test('definitions: rank takes 2 to 12 choices and no max', { timeout: 10000 }, async () => {
    const w = await h.servers[0].createWorkshop({ title: 'Définitions', text: 'x\n' });
    const fac = h.client({ server: h.servers[0], workshop: w.id, name: 'Awa', organisation: 'A', key: w.facilitator_key });
    await fac.start();
    for (const def of [{ choices: ['a'] }, {}, { choices: ['a', 'b'], max: 2 }, { choices: ['a', 'a'] },
      { choices: Array.from({ length: 13 }, (_, i) => `c${i}`) }]) {
      await refusedWith(fac, { type: 'poll_create', kind: 'rank', question: 'Q ?', ...def }, 'bad_request');
    }
    await must(fac, { type: 'poll_create', kind: 'rank', question: 'Q ?', choices: Array.from({ length: 12 }, (_, i) => `c${i}`) }, 'poll');
    h.assertNoProblems();
  });
});
