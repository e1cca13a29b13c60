'use strict';
// An assembly votes (issue 17, item 4): a ballot is stored as a ballot, its
// history event carries the records before and after it (read by Redis in
// the same step, whichever process wrote it), and the results at any point
// are the fold of the ballots (core/poll_fold.h, core/hist_fold.h).
//
// 300 people over two processes vote, change their votes and some withdraw;
// every vote is answered my_ballot only once Redis has it. Then the results
// everywhere -- the live results, GET /state, every ballot event of the
// history read in small pages, the poll's closing, the JSON and CSV exports
// -- are the fold of the ballots Redis took, recomputed here from the raw
// stream; and neither process computed results per ballot (metrics). A
// history stored before folding (ballot events with their results) is
// served exactly as stored.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, ask, must, received, waitUntil, prng, getJson, fetchAllHistory, bearer, csvTables, scrapeMetrics } = require('./harness');

const PEOPLE = 300;
const CHOICES = ['Oui', 'Non', 'Abstention'];
// Twelve organisations; the last two small (under the threshold of 3), so
// the pool "other" is exercised, and one of them alone.
const ORGS = Array.from({ length: 10 }, (_, i) => `Organisation ${i + 1}`).concat(['Petite', 'Seule']);
const orgOf = (i) => (i === 0 ? 'Seule' : i <= 2 ? 'Petite' : ORGS[i % 10]);

// Fold of ballot records in stream order: totals, respondents and per
// organisation, as poll_fold.c does it (records as atelier_ballot stores them).
function foldRecords(entries) {
  const counts = CHOICES.map(() => 0);
  const orgs = new Map();
  let respondents = 0;
  const apply = (rec, s) => {
    if (!rec) return;
    const r = JSON.parse(rec);
    counts[r.ballot] += s;
    respondents += s;
    const o = orgs.get(r.org) || { respondents: 0, counts: CHOICES.map(() => 0) };
    o.respondents += s;
    o.counts[r.ballot] += s;
    orgs.set(r.org, o);
  };
  const after = new Map(); // event id -> totals after it
  for (const [id, rec] of entries) {
    apply(rec.prior, -1);
    apply(rec.data, +1);
    after.set(id, { respondents, counts: counts.slice() });
  }
  return { counts, respondents, orgs, after };
}

// The stream entry's fields as an object.
const fields = (kv) => Object.fromEntries(Array.from({ length: kv.length / 2 }, (_, i) => [kv[2 * i], kv[2 * i + 1]]));

describe('an assembly votes', { timeout: 120000 }, () => {
  let h;
  before(async () => { h = await Harness.start({ servers: 2 }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('300 voters on two processes: results everywhere are the fold of the ballots Redis took', async (t) => {
    const [s1, s2] = h.servers;
    const w = await s1.createWorkshop({ title: 'Assemblée', text: '' });
    const fac = h.client({ server: s1, workshop: w.id, name: 'Awa', organisation: 'Réseau', key: w.facilitator_key });
    await fac.start();
    const poll = (await must(fac, { type: 'poll_create', kind: 'single', question: 'Adopte-t-on le texte ?', choices: CHOICES, open: true, visibility: 'live' }, 'poll')).poll;

    const people = [];
    for (let i = 0; i < PEOPLE; i++) {
      people.push(h.client({ server: i % 2 ? s2 : s1, workshop: w.id, name: `Votant ${i}`, organisation: orgOf(i) }));
    }
    for (let i = 0; i < PEOPLE; i += 50) await Promise.all(people.slice(i, i + 50).map((c) => c.start()));

    // Results computed from here on (joins compute one each for the joiner).
    const metrics0 = await Promise.all([s1, s2].map((s) => scrapeMetrics(s)));
    // Everyone votes, some change their minds twice, some withdraw.
    const last = new Map();
    const t0 = Date.now();
    let votes = 0;
    let events = 0; // a vote for the ballot already stored stores nothing (atelier_ballot)
    await Promise.all(people.map(async (c, i) => {
      const rand = prng(7000 + i);
      const rounds = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < rounds; k++) {
        const ballot = rand() < 0.1 && k > 0 ? null : Math.floor(rand() * CHOICES.length);
        const r = await ask(c, { type: 'vote', poll: poll.id, ballot }, 15000);
        assert.equal(r.type, 'my_ballot', JSON.stringify(r));
        assert.equal(r.ballot, ballot);
        votes++;
        if (!(k > 0 && ballot !== null && last.get(i) === ballot)) events++;
        last.set(i, ballot);
      }
    }));
    const voteMs = Date.now() - t0;

    // No results were computed per ballot: only the relays (at most 4 a
    // second per poll) and, on the other process, its reads back.
    const metrics1 = await Promise.all([s1, s2].map((s) => scrapeMetrics(s)));
    const computed = metrics1.map((m, i) => m.atelier_poll_results_written_total - metrics0[i].atelier_poll_results_written_total);
    const stored1 = metrics1.map((m, i) => m.atelier_ballots_total - metrics0[i].atelier_ballots_total);
    assert.equal(stored1[0] + stored1[1], votes);
    // At most 4 relays a second per poll (and one read back may add one).
    const relays = 4 * Math.ceil((Date.now() - t0) / 1000) + 2;
    for (let i = 0; i < 2; i++) {
      assert.ok(computed[i] <= relays, `process ${i + 1}: ${computed[i]} results computed for ${stored1[i]} ballots (at most ${relays})`);
    }
    // A process reads the poll back when the other one stored a ballot; it
    // tells each person only what changed for them: nobody here votes on
    // both processes, so no voter was sent the poll again, nor a ballot
    // they did not ask about (before: both, to everyone, at each read back).
    const unasked = people.reduce((n, c) => n + received(c, 'poll').length +
      received(c, 'my_ballot').filter((m) => m.id === undefined).length, 0);
    assert.equal(unasked, 0, 'poll or my_ballot messages nobody asked for');
    // What the voters were told last is what Redis holds.
    const expected = { counts: CHOICES.map(() => 0), respondents: 0 };
    for (const b of last.values()) if (b !== null) { expected.counts[b]++; expected.respondents++; }
    const stored = await h.redis.command('HGETALL', `atelier:{w:${w.id}}:ballots:${poll.id}`);
    assert.equal(stored.length / 2, expected.respondents);

    // The raw record: every ballot event, in the order Redis took them.
    const raw = await h.redis.command('XRANGE', `atelier:{w:${w.id}}:marks`, '-', '+');
    const ballots = raw.filter(([, kv]) => fields(kv).type === 'ballot').map(([id, kv]) => [id, fields(kv)]);
    assert.equal(ballots.length, events, 'one event per vote that changed something');
    for (const [, f] of ballots) {
      assert.equal(f.results, '', 'a ballot event stores no results');
      assert.ok('prior' in f && 'data' in f, 'a ballot event stores its records');
      assert.ok(!JSON.stringify(f).includes('Votant'), 'no voter named');
    }
    const fold = foldRecords(ballots.map(([id, f]) => [id, f]));
    assert.deepEqual(fold.counts, expected.counts);
    assert.equal(fold.respondents, expected.respondents);

    // The live results, on both processes (coalesced: at most 4 a second).
    for (const s of [s1, s2]) {
      const c = h.client({ server: s, workshop: w.id, name: 'Observatrice', organisation: 'Réseau', key: w.facilitator_key });
      await c.start();
      const res = await waitUntil(() => received(c, 'results').find((m) => m.poll === poll.id), 5000, 'results');
      assert.deepEqual(res.counts, expected.counts, `process ${s.port}`);
      assert.equal(res.respondents, expected.respondents);
      // Organisations under the threshold are pooled, never shown alone.
      assert.ok(!res.organisations.some((o) => o.name === 'Seule' || o.name === 'Petite'));
      for (const o of res.organisations) assert.deepEqual(o.counts, fold.orgs.get(o.name).counts, o.name);
      c.close();
    }

    // GET /state: the poll with the fold's results.
    const state = await getJson(s2.port, `/api/workshops/${w.id}/state?at=${Date.now()}`, { key: w.facilitator_key });
    assert.equal(state.status, 200, state.text);
    const sp = state.json.polls.find((p) => p.poll.id === poll.id);
    assert.deepEqual(sp.results.counts, expected.counts);
    assert.equal(sp.results.respondents, expected.respondents);

    // The history in pages of 97 events: every ballot event carries the
    // results after it, the fold up to it, whichever page it is on.
    const hist = await fetchAllHistory(s1.port, w.id, { key: w.facilitator_key, limit: 97, only: 'marks' });
    const served = hist.events.filter((e) => e.type === 'ballot');
    assert.equal(served.length, events);
    for (const e of served) {
      const want = fold.after.get(e.id);
      assert.deepEqual({ respondents: e.results.respondents, counts: e.results.counts }, want, `ballot ${e.id}`);
      assert.ok(!('data' in e) && !('prior' in e) && !('org' in e), 'the records are never served');
    }
    // A page that starts anywhere (no page before it left its fold): the
    // same results, the marks before it folded first.
    const k = hist.events.indexOf(served[Math.floor(served.length / 2)]);
    const mid = await getJson(s2.port, `/api/workshops/${w.id}/history?only=marks&limit=5&after=${hist.events[k - 1].id}`, { key: w.facilitator_key });
    assert.equal(mid.status, 200, mid.text);
    for (const e of mid.json.events.filter((x) => x.type === 'ballot')) {
      assert.deepEqual({ respondents: e.results.respondents, counts: e.results.counts }, fold.after.get(e.id), `ballot ${e.id} read alone`);
    }
    assert.ok(mid.json.events.some((x) => x.type === 'ballot'));
    // The public view leaves every ballot out.
    const pub = await fetchAllHistory(s1.port, w.id, { limit: 500, only: 'marks' });
    assert.equal(pub.events.filter((e) => e.type === 'ballot').length, 0);

    // Closing: the step's results are the fold's too, and so are the exports'.
    const closed = await must(fac, { type: 'poll_close', poll: poll.id }, 'poll');
    assert.equal(closed.poll.state, 'closed');
    const hist2 = await fetchAllHistory(s2.port, w.id, { key: w.facilitator_key, limit: 1000, only: 'marks' });
    const closing = hist2.events.find((e) => e.type === 'poll_closed');
    assert.deepEqual(closing.results.counts, expected.counts);
    const exp = async (q) => {
      const r = await s2.http('GET', `/api/workshops/${w.id}/export?${q}`, { headers: bearer(w.facilitator_key), timeoutMs: 15000 });
      assert.equal(r.status, 200, `${q}: ${r.text.slice(0, 200)}`);
      return r.text;
    };
    const log = JSON.parse(await exp('format=json'));
    const logBallots = log.events.filter((e) => e.type === 'ballot');
    assert.equal(logBallots.length, events);
    assert.deepEqual(logBallots[logBallots.length - 1].results.counts, expected.counts);
    const rows = csvTables(await exp('format=csv&lang=en'))[0];
    const head = rows[0];
    const col = (name) => head.indexOf(name);
    for (let k = 0; k < CHOICES.length; k++) {
      const row = rows.find((r) => r[col('Group')] === 'All' && r[col('Choice')] === CHOICES[k]);
      assert.ok(row, `CSV row for ${CHOICES[k]}`);
      assert.equal(Number(row[col('Count')]), expected.counts[k], `CSV count of ${CHOICES[k]}`);
    }

    h.assertNoProblems();
    t.diagnostic(`${votes} votes (${events} changes) from ${PEOPLE} people in ${voteMs} ms; results ${JSON.stringify(expected.counts)}; ` +
      `results computed ${computed.join(' + ')} for ${stored1.join(' + ')} ballots`);
  });

  test('a history stored before folding is served as it was stored', async () => {
    const [s1] = h.servers;
    const w = await s1.createWorkshop({ title: 'Avant', text: '' });
    const id = 'LegacyPoll1';
    const pollObj = (state) => JSON.stringify({ id, kind: 'single', question: 'Ancien ?', choices: ['a', 'b'], state, results: 'live', created: 1795833600000 });
    const results = (n, counts) => JSON.stringify({ type: 'results', poll: id, respondents: n, counts, organisations: [], other: { respondents: n, counts }, alignment: null });
    // Old-shape events: the poll and two ballots, each with its results, and no records.
    const steps = [
      ['poll_opened', pollObj('open'), results(0, [0, 0]), {}],
      ['ballot', pollObj('open'), results(1, [1, 0]), { org: 'Ville', data: '{"org":"Ville","ballot":0}' }],
      ['ballot', pollObj('open'), results(2, [1, 1]), { org: 'Ville', data: '{"org":"Ville","ballot":1}' }],
      ['poll_closed', pollObj('closed'), results(2, [1, 1]), {}],
    ];
    for (const [type, pub, res, extra] of steps) {
      const evId = await h.redis.command('XADD', `atelier:{w:${w.id}}:events`, '*', 'type', type, 'poll', id,
        ...Object.entries(extra).flat(), 'rev', '0', 'public', pub, 'results', res, 't', String(Date.now()));
      await h.redis.command('XADD', `atelier:{w:${w.id}}:marks`, evId, 'type', type, 'poll', id, 'rev', '0', 'public', pub, 'results', res, 't', String(Date.now()));
    }
    for (const limit of [1, 1000]) {
      const hist = await fetchAllHistory(s1.port, w.id, { key: w.facilitator_key, limit, only: 'marks' });
      const got = hist.events.filter((e) => e.poll && e.poll.id === id).map((e) => [e.type, e.results.respondents, e.results.counts]);
      assert.deepEqual(got, [['poll_opened', 0, [0, 0]], ['ballot', 1, [1, 0]], ['ballot', 2, [1, 1]], ['poll_closed', 2, [1, 1]]], `limit ${limit}`);
    }
    const state = await getJson(s1.port, `/api/workshops/${w.id}/state?at=${Date.now()}`, { key: w.facilitator_key });
    assert.deepEqual(state.json.polls.find((p) => p.poll.id === id).results.counts, [1, 1]);
    const r = await s1.http('GET', `/api/workshops/${w.id}/export?format=json`, { headers: bearer(w.facilitator_key) });
    const log = JSON.parse(r.text);
    assert.deepEqual(log.events.filter((e) => e.type === 'ballot').map((e) => e.results.counts), [[1, 0], [1, 1]]);
  });
});
