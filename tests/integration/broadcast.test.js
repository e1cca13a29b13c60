'use strict';
// Broadcasts through a workshop's group (net/net_group.c, issue 17): an op
// is framed once into the room's log and each connection is sent the log
// from where it is, interleaved with what was queued to it alone (its acks,
// its welcome) in the order both were sent. What must hold for every
// connection, with several people typing at once on two processes:
//   - every op exactly once, in revision order, and everyone converges;
//   - the connection an op came through gets its ack, never the op;
//   - another tab of the same person gets the op with its id (it is theirs),
//     nobody else ever sees an id;
//   - a connection that leaves and joins again mid-typing picks up where
//     the welcome says, without a gap or a duplicate.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, randomEdit, prng, sleep, waitQuiescent, waitUntil, redisCommand } = require('./harness');

const ORGS = ['Ville', 'Banque', 'Asso'];

// Plain, and with --deflate, under which lws frames each message itself: no
// shared log, each member's copy queued to it (net_group_send's per-member
// path, as under TLS), the author's entries replaced in its queue.
for (const [mode, serverArgs] of [['shared log', []], ['per member, --deflate', ['--deflate']]]) {
  describe(`broadcasts through a workshop group (${mode})`, { timeout: 90000 }, () => {
    let h;
    before(async () => { h = await Harness.start({ servers: 2, serverArgs }); }, { timeout: 30000 });
    after(async () => { if (h) await h.close(); }, { timeout: 30000 });

    test('ops, acks and own ops in order for every connection, tabs on two processes', async () => {
      const [s1, s2] = h.servers;
      const w = await s1.createWorkshop({ title: 'Assemblée', text: 'Début. ' });
      const people = [];
      for (let i = 0; i < 16; i++) {
        people.push(h.client({ server: i % 2 ? s2 : s1, workshop: w.id, name: `P${i}`, organisation: ORGS[i % 3] }));
      }
      await Promise.all(people.map((c) => c.start()));
      const [alice, bob] = people;
      const aliceTab = h.twin(alice, { server: s2, tag: 'alice-tab' }); // the same person, on the other process
      const bobTab = h.twin(bob, { server: s1, tag: 'bob-tab' });
      await aliceTab.start();
      await bobTab.start();
      const everyone = [...people, aliceTab, bobTab];
      const typers = [alice, aliceTab, bob, bobTab, people[2], people[3]];
      const rand = prng(17);
      for (let k = 0; k < 40; k++) {
        for (const t of typers) t.submit(randomEdit(t.text, rand));
        await sleep(15);
      }
      await waitQuiescent(everyone, { timeoutMs: 30000 });
      h.assertNoProblems();
      for (const c of everyone) {
        assert.equal(c.text, alice.text, `${c.tag} diverged`);
        const revs = c.remote.map((o) => o.rev);
        assert.deepEqual(revs, [...revs].sort((a, b) => a - b), `${c.tag} got ops out of order`);
        assert.equal(new Set(revs).size, revs.length, `${c.tag} got an op twice`);
      }
      // The connection an op came through: its ack only. Its other tab: the op with its id.
      for (const [self, tab] of [[alice, aliceTab], [bob, bobTab], [aliceTab, alice], [bobTab, bob]]) {
        const own = new Set(self.acked.keys());
        assert.ok(own.size > 10, `${self.tag} had ${own.size} ops acknowledged`);
        const echoed = self.remote.filter((o) => own.has(o.id));
        assert.deepEqual(echoed.map((o) => o.id), [], `${self.tag} was sent its own ops back`);
        const fromTwin = tab.remote.filter((o) => o.author === self.participant.id);
        assert.equal(fromTwin.length, own.size, `${tab.tag} got ${fromTwin.length} of ${self.tag}'s ${own.size} ops`);
        assert.ok(fromTwin.every((o) => own.has(o.id)), `${tab.tag} got ${self.tag}'s ops without their ids`);
      }
      for (const c of people.slice(2)) {
        assert.ok(c.remote.every((o) => o.id === undefined), `${c.tag} saw another person's op id`);
      }
    });

    test('leaving and joining again while others type: no gap, no duplicate', async () => {
      const [s1] = h.servers;
      const w = await s1.createWorkshop({ title: 'Allers-retours', text: '' });
      const people = [];
      for (let i = 0; i < 8; i++) people.push(h.client({ server: s1, workshop: w.id, name: `Q${i}`, organisation: ORGS[i % 3] }));
      await Promise.all(people.map((c) => c.start()));
      const [typer, other, ...readers] = people;
      const rand = prng(23);
      let typing = true;
      const typed = (async () => {
        while (typing) {
          typer.submit(randomEdit(typer.text, rand));
          other.submit(randomEdit(other.text, rand));
          await sleep(5);
        }
      })();
      // Each reader in turn drops its connection and comes back (a resume),
      // while ops keep being broadcast to the others.
      for (const r of readers) {
        r.detach();
        await sleep(30);
        await r.start();
      }
      typing = false;
      await typed;
      await waitQuiescent(people, { timeoutMs: 30000 });
      h.assertNoProblems();
      for (const c of people) assert.equal(c.text, typer.text, `${c.tag} diverged`);
    });
  });
}

// The author's connection that sent an op is gone when Redis answers, and
// the same person is back on a new connection (a reconnect that raced the
// ack): that connection is the author's only one, and must get the op with
// its id, or the client takes its own op for someone else's and applies it
// on top of the one it still holds in flight.
describe('a reconnect that races the commit of its op', { timeout: 30000 }, () => {
  let h;
  before(async () => { h = await Harness.start({ ownRedis: true }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('the new connection gets the op with its id', async () => {
    const w = await h.server.createWorkshop({ title: 'Reprise', text: 'Début. ' });
    const author = h.client({ workshop: w.id, name: 'Auteur', organisation: 'Ville' });
    const reader = h.client({ workshop: w.id, name: 'Lit', organisation: 'Banque' });
    await Promise.all([author.start(), reader.start()]);
    const blockedAppends = async () => (await redisCommand(h.redis.port, 'CLIENT', 'LIST')).toString()
      .split('\n').filter((l) => /flags=\S*b/.test(l) && /cmd=fcall/.test(l)).length;
    await redisCommand(h.redis.port, 'CLIENT', 'PAUSE', '2000', 'WRITE'); // the op's commit waits
    author.submit(['« ici » ']);
    const id = author.inflight.id;
    await waitUntil(async () => (await blockedAppends()) > 0, 2000, 'the op on its way to Redis');
    author.detach();
    const back = h.twin(author, { tag: 'author-back' });
    await back.start(); // resumes before the op is committed
    await redisCommand(h.redis.port, 'CLIENT', 'UNPAUSE');
    await waitUntil(() => reader.text === '« ici » Début. ', 5000, 'the op committed');
    await waitUntil(() => back.remote.some((o) => o.author === author.participant.id), 5000, 'the op relayed to the new connection');
    const relayed = back.remote.find((o) => o.author === author.participant.id);
    assert.equal(relayed.id, id, 'the author\'s new connection got its own op without its id');
    h.assertNoProblems();
  });
});
