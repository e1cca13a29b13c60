'use strict';
// Presence across server processes: two instances on one Redis, clients on
// both. Everyone must see the same people present (welcome, arrivals,
// departures, the HTTP API) and the carets of people on the other instance;
// a participant connected through both instances is present until the last
// of its connections leaves; and when an instance dies (kill -9), the other
// one sees its participants depart and records the departures it owed.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, sleep, waitUntil, waitQuiescent, trackPresence: track } = require('./harness');

const PRESENCE_SECS = 2;

async function presentOver(server, id) {
  const r = await server.http('GET', `/api/workshops/${id}`);
  assert.equal(r.status, 200);
  return r.json.present.map((p) => p.name).sort();
}

describe('presence across two server instances', { timeout: 60000 }, () => {
  let h;
  before(async () => {
    h = await Harness.start({ servers: 2, serverArgs: ['--presence-secs', String(PRESENCE_SECS)] });
  }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('arrivals, carets, departures and the participant list cross instances', { timeout: 30000 }, async () => {
    const [a, b] = h.servers;
    const w = await a.createWorkshop({ title: 'Présence', text: 'Bonjour à tous 👋' });
    const alice = h.client({ server: a, workshop: w.id, name: 'Alice', organisation: 'Mairie' });
    const bob = h.client({ server: b, workshop: w.id, name: 'Bob', organisation: 'Banque' });
    const seenA = track(alice);
    const seenB = track(bob);
    await alice.start();
    await bob.start();

    // Bob's instance loaded the workshop after Alice arrived on the other one.
    await waitUntil(() => seenB.present.has(alice.participant.id), 3000, 'Bob sees Alice present');
    await waitUntil(() => seenA.present.has(bob.participant.id), 3000, 'Alice sees Bob arrive');
    assert.deepEqual(await presentOver(b, w.id), ['Alice', 'Bob']);
    assert.deepEqual(await presentOver(a, w.id), ['Alice', 'Bob']);

    // A caret from instance A reaches Bob on B, also right after an edit
    // that B learns of through Redis, not from the caret's message.
    alice.cursor([3, 7]);
    await waitUntil(() => seenB.carets.get(alice.participant.id)?.sel?.[1] === 7, 3000, "Alice's caret on B");
    alice.submit(['« ']);
    await waitQuiescent([alice, bob], { timeoutMs: 5000 });
    alice.cursor([5, 5]);
    await waitUntil(() => {
      const c = seenB.carets.get(alice.participant.id);
      return c && c.rev === bob.rev && c.sel[0] === 5 && c.sel[1] === 5;
    }, 3000, "Alice's caret after her edit, at Bob's revision");
    // Bob types before Alice's caret: the caret moves with his edit on A too.
    bob.submit(['Oui. ']);
    await waitQuiescent([alice, bob], { timeoutMs: 5000 });
    bob.cursor([2, 2]);
    await waitUntil(() => seenA.carets.get(bob.participant.id)?.sel?.[0] === 2, 3000, "Bob's caret on A");

    // A newcomer on B gets both, with Alice's caret, in its welcome.
    const carol = h.client({ server: b, workshop: w.id, name: 'Carole', organisation: 'Association' });
    const seenC = track(carol);
    await carol.start();
    assert.ok(seenC.present.has(alice.participant.id) && seenC.present.has(bob.participant.id),
      `Carole's welcome lists ${[...seenC.present.values()].map((p) => p.name)}`);
    const caret = seenC.carets.get(alice.participant.id);
    assert.ok(caret, "Carole's welcome carries Alice's caret");
    assert.deepEqual(caret.sel, [10, 10], "Alice's caret moved over Bob's 5 code points");

    // Alice also opens the workshop through B (a second tab, resumed with her
    // token, which B never saw): nobody is told she arrived again.
    const arrivalsOfAlice = (s) => s.arrivals.filter((id) => id === alice.participant.id).length;
    const before = [arrivalsOfAlice(seenB), arrivalsOfAlice(seenC)];
    const alice2 = h.twin(alice, { server: b });
    await alice2.start();
    assert.equal(alice2.participant.id, alice.participant.id);
    await sleep(300);
    assert.deepEqual([arrivalsOfAlice(seenB), arrivalsOfAlice(seenC)], before, 'Bob or Carole was told Alice arrived again');

    // Her first connection leaves: she is still there through B.
    alice.close();
    await sleep(500);
    assert.ok(seenB.present.has(alice.participant.id), 'Alice departed while still connected through B');
    assert.ok(seenC.present.has(alice.participant.id));
    assert.deepEqual(await presentOver(a, w.id), ['Alice', 'Bob', 'Carole']);

    // And the last one: everyone is told, on both instances.
    alice2.close();
    await waitUntil(() => !seenB.present.has(alice.participant.id), 3000, 'Bob sees Alice depart');
    await waitUntil(() => !seenC.present.has(alice.participant.id), 3000, 'Carole sees Alice depart');
    await waitUntil(async () => (await presentOver(a, w.id)).join() === 'Bob,Carole', 3000, 'A lists Bob and Carole');
    assert.deepEqual(await presentOver(b, w.id), ['Bob', 'Carole']);
    assert.equal(seenB.departures.filter((id) => id === alice.participant.id).length, 1, 'Alice departed once');
    h.assertNoProblems();
    bob.close();
    carol.close();
  });

  test('an instance whose subscription was cut catches up on who came and went', { timeout: 30000 }, async () => {
    const [a, b] = h.servers;
    const w = await a.createWorkshop({ title: 'Coupure', text: '' });
    const leaves = h.client({ server: a, workshop: w.id, name: 'Léa', organisation: 'Mairie' });
    const watches = h.client({ server: b, workshop: w.id, name: 'Wassim', organisation: 'Banque' });
    const seen = track(watches);
    await leaves.start();
    await watches.start();
    await waitUntil(() => seen.present.has(leaves.participant.id), 3000, 'Léa present on B');
    // Both instances lose their subscriptions; while they reconnect, Léa
    // leaves and Colette comes, both through A: B hears of neither.
    await h.redis.command('CLIENT', 'KILL', 'TYPE', 'pubsub');
    leaves.close();
    const comes = h.client({ server: a, workshop: w.id, name: 'Colette', organisation: 'Association' });
    await comes.start();
    // Back on the channel, B says hello and A answers with its roster.
    await waitUntil(() => !seen.present.has(leaves.participant.id), 5000, 'Léa departed on B');
    await waitUntil(() => seen.present.has(comes.participant.id), 5000, 'Colette present on B');
    assert.deepEqual(await presentOver(b, w.id), ['Colette', 'Wassim']);
    h.assertNoProblems();
    watches.close();
    comes.close();
  });

  test('an instance that loads a workshop gets who is on the other one, with their carets', { timeout: 20000 }, async () => {
    const [a, b] = h.servers;
    const w = await a.createWorkshop({ title: 'Curseurs', text: 'Bonjour à tous' });
    const here = h.client({ server: a, workshop: w.id, name: 'Inès', organisation: 'Mairie' });
    await here.start();
    here.cursor([3, 8]); // only A holds the workshop: B hears of this caret from A's roster
    await sleep(200);
    const comes = h.client({ server: b, workshop: w.id, name: 'Bastien', organisation: 'Banque' });
    const seen = track(comes);
    await comes.start(); // B loads the workshop and asks for the rosters
    await waitUntil(() => seen.carets.get(here.participant.id)?.sel?.[1] === 8, 3000, "Inès's caret on B");
    assert.ok(seen.present.has(here.participant.id));
    h.assertNoProblems();
    here.close();
    comes.close();
  });

  test('the participants of an instance that dies depart on the other one', { timeout: 30000 }, async () => {
    const a = await h.addServer(['--presence-secs', String(PRESENCE_SECS)]);
    const b = h.servers[1];
    const w = await b.createWorkshop({ title: 'Panne', text: '' });
    const doomed = h.client({ server: a, workshop: w.id, name: 'Dora', organisation: 'Mairie' });
    const stays = h.client({ server: b, workshop: w.id, name: 'Stéphane', organisation: 'Banque' });
    const seen = track(stays);
    await stays.start();
    await doomed.start();
    await waitUntil(() => seen.present.has(doomed.participant.id), 3000, 'Dora arrives on B');
    const t0 = Date.now();
    await a.kill('SIGKILL');
    await waitUntil(() => !seen.present.has(doomed.participant.id), 4 * PRESENCE_SECS * 1000, 'Dora departs on B');
    const ms = Date.now() - t0;
    assert.ok(ms >= PRESENCE_SECS * 1000 * 0.5, `departed after ${ms} ms, before the process could be presumed gone`);
    // The history records her departure too (the marks, written by B).
    await waitUntil(async () => {
      const marks = await h.redis.command('XRANGE', `atelier:{w:${w.id}}:marks`, '-', '+');
      return marks.some(([, f]) => f.includes('departed') && f.includes(doomed.participant.id));
    }, 3000, "Dora's departure in the history");
    assert.deepEqual(await presentOver(b, w.id), ['Stéphane']);
    stays.close();
  });
});
