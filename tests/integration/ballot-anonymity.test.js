'use strict';
// Ballot anonymity through the history (issue 14, item 12; protocol/history.md,
// "Ballots in the public history").
//
// The attack: people from small organisations arrive one at a time and each
// votes right after arriving, in a poll whose results are live. Whoever holds
// the workshop's link reads the public history (and /state at any moment)
// afterwards, looking for a change of the results right after an arrival. The
// public view must give nothing to work with: no vote events, no results
// while the poll is open (in events and in /state at any time, the poll object
// as its last step left it, so a text poll's answers do not appear one by
// one), and results only once the poll is closed. The facilitator's view keeps
// every ballot with its results.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, fetchAllHistory, getJson, must } = require('./harness');

const VOTES = new Set(['ballot', 'answer', 'upvote']);

describe('ballot anonymity through the history', { timeout: 60000 }, () => {
  let h;
  before(async () => { h = await Harness.start(); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('arrivals then votes: the public history cannot attribute a choice', { timeout: 45000 }, async () => {
    const port = h.server.port;
    const w = await h.server.createWorkshop({ title: 'Anonymat', text: 'Quoi ?\n' });
    const fac = h.client({ workshop: w.id, name: 'Awa', organisation: 'Animation', key: w.facilitator_key });
    await fac.start();
    const single = (await must(fac, { type: 'poll_create', kind: 'single', question: 'Oui ?', choices: ['Oui', 'Non'], open: true, visibility: 'live' }, 'poll')).poll;
    const text = (await must(fac, { type: 'poll_create', kind: 'text', question: 'Idées ?', open: true, visibility: 'live' }, 'poll')).poll;

    // One person per small organisation: arrives, votes (choices vary), writes an idea.
    const people = [['Jean', 'Mairie de Saint-Alban', 0], ['Léa', 'Épicerie solidaire', 1], ['Marc', 'Club de foot', 0], ['Zoé', 'Crèche', 1]];
    for (const [name, organisation, choice] of people) {
      const c = h.client({ workshop: w.id, name, organisation });
      await c.start();
      await must(c, { type: 'vote', poll: single.id, ballot: choice }, 'my_ballot');
      await must(c, { type: 'answer', poll: text.id, text: `L'idée de ${name}` }, 'my_ballot');
    }

    // While the polls are open.
    const open = await fetchAllHistory(port, w.id, { limit: 3 });
    const arrivals = open.events.filter((e) => e.type === 'arrived');
    assert.equal(arrivals.length, 1 + people.length);
    assert.deepEqual(open.events.filter((e) => VOTES.has(e.type)), [], 'votes in the public history');
    for (const e of open.events.filter((x) => x.poll)) assert.equal(e.results, null, `${e.type}: results of an open poll`);
    // /state just before and just after each arrival, and at the end: the
    // same polls each time, without results, without anyone's idea.
    const states = [];
    for (const a of arrivals) {
      for (const at of [a.t - 1, a.t, a.t + 1, a.t + 50]) {
        const r = await getJson(port, `/api/workshops/${w.id}/state?at=${at}`);
        assert.equal(r.status, 200, r.text);
        states.push(r.json.polls);
      }
    }
    for (const polls of states.slice(4)) {
      assert.deepEqual(polls, states[4], 'the public polls changed between arrivals');
      for (const p of polls) assert.equal(p.results, null);
      assert.ok(!JSON.stringify(polls).includes("L'idée"), 'an answer appears before the poll closes');
    }

    // The facilitator's view keeps every vote, each with its results.
    const fview = await fetchAllHistory(port, w.id, { key: w.facilitator_key });
    const ballots = fview.events.filter((e) => e.type === 'ballot');
    assert.equal(ballots.length, people.length);
    assert.deepEqual(ballots.map((b) => b.results.respondents), [1, 2, 3, 4]);

    // Closed: the results appear, once, as totals.
    for (const p of [single, text]) await must(fac, { type: 'poll_close', poll: p.id }, 'poll');
    const closed = await fetchAllHistory(port, w.id);
    const withResults = closed.events.filter((e) => e.poll && e.results !== null);
    assert.deepEqual(withResults.map((e) => [e.type, e.poll.id]), [['poll_closed', single.id], ['poll_closed', text.id]]);
    assert.deepEqual(withResults[0].results.counts, [2, 2]);
    assert.equal(withResults[1].poll.answers.length, people.length);
    assert.deepEqual(closed.events.filter((e) => VOTES.has(e.type)), []);
    const now = await getJson(port, `/api/workshops/${w.id}/state?at=${Date.now() + 1000}`);
    assert.deepEqual(now.json.polls.map((p) => p.results && p.results.respondents), [4, 4]);
    // No participant id of a voter anywhere in the public poll events.
    const pub = JSON.stringify(closed.events.filter((e) => e.poll));
    for (const c of h.clients.slice(1)) assert.ok(!pub.includes(c.participant.id), 'a voter named');
  });
});
