'use strict';
// Polls about a passage (protocol/polls.md, "Polls about a passage") on two
// server processes sharing one Redis: the facilitator makes a rank poll
// about a passage selected at their revision; edits before it move it,
// edits inside it grow it; the first ballot keeps its text; an edit inside
// it afterwards makes every client, on both processes, see "changed" with
// the first text and the new one; the history has a poll_passage event and
// /state?at= before and after it tells the two apart; a workshop loaded
// again from Redis by a new process has the passage where it is. Bad
// passages are refused.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, waitUntil, must, refusedWith, getJson, fetchAllHistory, waitQuiescent, bearer } = require('./harness');

const TEXT = "Nous voulons plus d'emplois locaux.\n";
const START = 13; // "plus d'emplois"
const END = 27;

// The latest poll object a client received for that poll.
function lastPoll(c, id) {
  const m = c.log.filter((e) => e.dir === 'in').map((e) => JSON.parse(e.data))
    .filter((x) => x.type === 'poll' && x.poll.id === id).pop();
  return m ? m.poll : null;
}

describe('polls about a passage', { timeout: 60000 }, () => {
  let h;
  before(async () => { h = await Harness.start({ servers: 2 }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('the passage follows the edits; changed after the first vote reaches everyone, and the record', { timeout: 40000 }, async () => {
    const [s1, s2] = h.servers;
    const w = await s1.createWorkshop({ title: 'Passage', text: TEXT });
    const fac = h.client({ server: s1, workshop: w.id, name: 'Awa', organisation: 'Ville', key: w.facilitator_key });
    const jean = h.client({ server: s2, workshop: w.id, name: 'Jean', organisation: 'Banque' });
    const lea = h.client({ server: s1, workshop: w.id, name: 'Léa', organisation: 'Asso' });
    await fac.start();
    await jean.start();
    await lea.start();
    assert.equal(fac.text, TEXT);

    // Bad passages: refused, nothing made.
    const def = { type: 'poll_create', kind: 'rank', question: 'Quelle priorité ?', choices: ['Emploi', 'Logement'], open: true, visibility: 'live' };
    for (const passage of [{ start: 5, end: 5, rev: 0 }, { start: 6, end: 5, rev: 0 }, { start: 0, end: 999, rev: 0 },
      { start: 0, end: 3, rev: 99 }, { start: 0, end: 3 }, { start: '0', end: 3, rev: 0 }, [0, 3], { start: 0, end: 2001, rev: 0 }]) {
      await refusedWith(fac, { ...def, passage }, 'bad_request');
    }
    assert.equal(await h.redis.command('HLEN', `atelier:{w:${w.id}}:polls`), 0);

    // Jean types at the start while the facilitator selects at revision 0.
    jean.submit(['Oui. ']);
    await waitQuiescent([fac, jean, lea]);
    const poll = (await must(fac, { ...def, passage: { start: START, end: END, rev: 0 } }, 'poll')).poll;
    assert.deepEqual(poll.passage, { start: START + 5, end: END + 5, rev: 1, text: "plus d'emplois", changed: false });

    // An edit inside before any ballot: the text follows, nothing "changed".
    fac.submit([START + 5 + 4, ' de']); // "plus de d'emplois"
    await waitQuiescent([fac, jean, lea]);
    await waitUntil(() => lastPoll(jean, poll.id)?.passage.text === "plus de d'emplois", 5000, 'the passage text reaches process 2');
    fac.submit([START + 5 + 4, { d: 3 }]);
    await waitQuiescent([fac, jean, lea]);
    await waitUntil(() => lastPoll(lea, poll.id)?.passage.text === "plus d'emplois", 5000, 'back');

    // The first ballot keeps the text.
    await must(lea, { type: 'vote', poll: poll.id, ballot: [1, 0] }, 'my_ballot');
    const first = await waitUntil(async () => {
      const rec = JSON.parse(await h.redis.command('HGET', `atelier:{w:${w.id}}:polls`, poll.id));
      return rec.passage && rec.passage.first ? rec : null;
    }, 5000, 'the poll record keeps the first text');
    assert.equal(first.passage.first, "plus d'emplois");
    await must(jean, { type: 'vote', poll: poll.id, ballot: [0, 1] }, 'my_ballot');

    // Jean, on the other process, edits inside the passage: everyone sees it changed.
    jean.submit([START + 5 + 5, 'beaucoup ']); // "plus beaucoup d'emplois"
    await waitQuiescent([fac, jean, lea]);
    for (const c of [fac, jean, lea]) {
      await waitUntil(() => lastPoll(c, poll.id)?.passage.changed === true, 5000, `${c.tag} sees the change`);
      const ps = lastPoll(c, poll.id).passage;
      assert.equal(ps.first, "plus d'emplois");
      assert.equal(ps.text, "plus beaucoup d'emplois");
      assert.equal(c.text.slice(ps.start, ps.end), "plus beaucoup d'emplois");
    }
    // Text typed just after the passage stays outside it.
    const atEnd = lastPoll(fac, poll.id).passage.end;
    fac.submit([atEnd, ' durables']);
    await waitQuiescent([fac, jean, lea]);
    await sleepUntilQuiet();
    assert.equal(lastPoll(jean, poll.id).passage.text, "plus beaucoup d'emplois");

    // The history: a poll_passage event for each change of its text (two
    // before the first vote, one after: the change); /state?at= before and after it.
    const hist = await fetchAllHistory(s2.port, w.id, { key: w.facilitator_key });
    const evs = hist.events.filter((e) => e.type === 'poll_passage');
    assert.deepEqual(evs.map((e) => [e.poll.passage.text, e.poll.passage.changed, e.poll.passage.first ?? null]), [
      ["plus de d'emplois", false, null], ["plus d'emplois", false, null], ["plus beaucoup d'emplois", true, "plus d'emplois"]]);
    const flip = evs[2];
    const at = (t) => getJson(s1.port, `/api/workshops/${w.id}/state?at=${t}`, { key: w.facilitator_key });
    const before = await at(flip.t - 1);
    const afterIt = await at(flip.t);
    const ps = (st) => st.json.polls.find((p) => p.poll.id === poll.id)?.poll.passage;
    assert.equal(ps(before).changed, false);
    assert.equal(ps(afterIt).changed, true);

    // The exports quote the passage, say it changed, and what it was at the first vote.
    const exp = async (q) => (await s1.http('GET', `/api/workshops/${w.id}/export?${q}`, { headers: bearer(w.facilitator_key), timeoutMs: 10000 })).text;
    const N = '\u202f';
    const fr = await exp('format=md&lang=fr');
    assert.ok(fr.includes(`À propos du passage${N}:\n\n> plus beaucoup d'emplois\n\nLe passage a changé depuis le premier vote.\n\nAu premier vote${N}:\n\n> plus d'emplois`), fr);
    const en = await exp('format=md&lang=en');
    assert.ok(en.includes("About the passage:\n\n> plus beaucoup d'emplois\n\nThe passage changed since the first vote.\n\nAt the first vote:\n\n> plus d'emplois"), en);
    const csv = await exp('format=csv&lang=fr');
    assert.ok(csv.includes("1;Quelle priorité ?;plus beaucoup d'emplois;plus d'emplois;oui"), csv);

    // A new process loads the workshop from Redis: the passage where it is.
    const s3 = await h.addServer();
    const late = h.client({ server: s3, workshop: w.id, name: 'Tard', organisation: 'Asso' });
    const welcome = await late.start();
    const wp = welcome.polls.find((p) => p.id === poll.id);
    assert.equal(wp.passage.text, "plus beaucoup d'emplois");
    assert.equal(wp.passage.changed, true);
    h.assertNoProblems();

    async function sleepUntilQuiet() {
      await waitUntil(() => [fac, jean, lea].every((c) => c.rev === fac.rev), 5000, 'same revision');
    }
  });
});

// A process loading the workshop starts from its newest snapshot and the
// edits after it: the passage's range must be stored at a revision it can
// move on from. With a snapshot every 4 revisions and 30 edits before the
// passage after the poll was made, a new process still quotes it right.
describe('a passage after snapshots', { timeout: 40000 }, () => {
  let h;
  before(async () => { h = await Harness.start({ servers: 1, serverArgs: ['--snapshot-every', '4'] }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('a new process quotes the passage where it is', { timeout: 30000 }, async () => {
    const [s1] = h.servers;
    const w = await s1.createWorkshop({ title: 'Instantanés', text: TEXT });
    const fac = h.client({ server: s1, workshop: w.id, name: 'Awa', organisation: 'Ville', key: w.facilitator_key });
    await fac.start();
    const poll = (await must(fac, { type: 'poll_create', kind: 'rank', question: 'Quelle priorité ?', choices: ['Emploi', 'Logement'],
      open: true, passage: { start: START, end: END, rev: 0 } }, 'poll')).poll;
    for (let i = 0; i < 30; i++) {
      fac.submit(['x']); // each before the passage: it moves, its text stays
      await waitUntil(() => fac.idle, 5000, 'acked');
    }
    assert.equal(fac.text.slice(START + 30, END + 30), "plus d'emplois");
    const s2 = await h.addServer(['--snapshot-every', '4']);
    const late = h.client({ server: s2, workshop: w.id, name: 'Tard', organisation: 'Asso' });
    const welcome = await late.start();
    const wp = welcome.polls.find((p) => p.id === poll.id);
    assert.deepEqual({ start: wp.passage.start, end: wp.passage.end, text: wp.passage.text },
      { start: START + 30, end: END + 30, text: "plus d'emplois" });
    h.assertNoProblems();
  });
});
