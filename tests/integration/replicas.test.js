'use strict';
// Acknowledged means replicated (--replicas, README "Replicas and failover"),
// and what the author of an op hears when Redis commits a batch after the
// server stopped waiting for it (protocol/README.md, `op`'s `unavailable`).
//
// A real replica (redis-server --replicaof) stopped with SIGSTOP: with
// --replicas 1 nothing is acknowledged or relayed while it is stopped, to the
// author, to the others on the same process, or to the clients of a second
// process; everything sent meanwhile lands exactly once once it is back.
// A stalled primary (SIGSTOP) with --replicas 0: the batch Redis commits after
// its author was told `unavailable` comes back to that author with its id.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  Harness, HOST, RedisProc, countOccurrences, waitUntil, waitQuiescent, sleep, eventsKey,
} = require('./harness');

const WAIT_MS = 300; // --replicas-timeout-ms: a stopped replica is noticed quickly

// The ops of `c`'s own participant that came back to it without their id:
// against protocol/schema/server-op.json's rule, and applied twice by a client.
function ownOpsWithoutId(c) {
  const out = [];
  for (const { dir, data } of c.log) {
    if (dir !== 'in') continue;
    let m;
    try { m = JSON.parse(data); } catch { continue; }
    if (m.type === 'op' && c.participant && m.author === c.participant.id && m.id === undefined) out.push(m);
  }
  return out;
}

// The messages c received from its log's entry `from` on that pass pred.
function received(c, from, pred) {
  return c.log.slice(from).filter((x) => x.dir === 'in').map((x) => JSON.parse(x.data)).filter(pred);
}

async function replicationUp(replica) {
  await waitUntil(async () => /master_link_status:up/.test(await replica.command('INFO', 'replication')),
    10000, 'the replica in sync');
}

async function storedOps(redis, id) {
  return (await redis.command('XRANGE', eventsKey(id), '-', '+'))
    .filter(([, kv]) => kv[kv.indexOf('type') + 1] === 'op');
}

describe('--replicas 1 with a real replica', { timeout: 120000 }, () => {
  let h, replica, stopped = false;
  const args = ['--replicas', '1', '--replicas-timeout-ms', String(WAIT_MS)];
  before(async () => {
    h = await Harness.start({ ownRedis: true, serverArgs: args });
    replica = await RedisProc.start({ own: true, args: ['--replicaof', HOST, String(h.redis.port)] });
    await replicationUp(replica);
    await h.addServer(args); // a second process: its clients must not see what is not acknowledged either
  }, { timeout: 30000 });
  after(async () => {
    if (stopped) process.kill(replica.proc.pid, 'SIGCONT');
    if (replica) await replica.close();
    if (h) await h.close();
  }, { timeout: 30000 });

  test('replica running: acknowledged; stopped: unavailable, nothing acknowledged or relayed; back: exactly once', { timeout: 90000 }, async () => {
    const [s1, s2] = h.servers;
    const w = await s1.createWorkshop({ title: 'Réplique', text: 'Texte.\n' });
    const a = h.client({ workshop: w.id, name: 'A', organisation: 'O1', key: w.facilitator_key });
    const b = h.client({ workshop: w.id, name: 'B', organisation: 'O2' });
    const c = h.client({ server: s2, workshop: w.id, name: 'C', organisation: 'O3' });
    for (const x of [a, b, c]) await x.start();
    const serverRev = () => s1.workshopRev(w.id);

    // Running: acknowledged, and the replica has it.
    a.submit(['[avant] '], 'before');
    await waitQuiescent([a, b, c], { serverRev });
    assert.equal((await storedOps(replica, w.id)).length, 1, 'the acknowledged op is on the replica');
    const poll = (await a.must({ type: 'poll_create', kind: 'single', question: 'Laquelle ?', choices: ['x', 'y'] }, 'poll')).poll;
    await a.must({ type: 'poll_open', poll: poll.id }, 'poll');
    await b.must({ type: 'vote', poll: poll.id, ballot: 1 }, 'my_ballot');

    // Stopped: the writes are answered unavailable and nothing is acknowledged.
    process.kill(replica.proc.pid, 'SIGSTOP');
    stopped = true;
    const mark = { a: a.log.length, b: b.log.length, c: c.log.length };
    const errorsBefore = a.errors.length;
    a.submit(['[pendant] '], 'during');
    const stuck = a.inflight.id;
    const err = await waitUntil(() => a.errors.slice(errorsBefore).find((e) => e.re === 'op' && e.id === stuck), 10000,
      'the op answered while the replica is stopped');
    assert.equal(err.code, 'unavailable', JSON.stringify(err));
    assert.match(err.message, /may not have been saved/);
    assert.match(err.message, /same id/);
    const vote = await b.ask({ type: 'vote', poll: poll.id, ballot: 0 });
    assert.equal(vote.type, 'error', `a ballot while the replica is stopped: ${JSON.stringify(vote)}`);
    assert.equal(vote.code, 'unavailable');
    const agenda = await a.ask({ type: 'phase_start', phase: 'why' });
    assert.equal(agenda.code, 'unavailable', `an agenda change while the replica is stopped: ${JSON.stringify(agenda)}`);
    await sleep(4 * WAIT_MS); // a few resends go by (the client retries every 250 ms): none may be acknowledged
    assert.equal(a.acked.has(stuck), false, 'an op acknowledged while the replica was stopped');
    for (const [x, from] of [[a, mark.a], [b, mark.b], [c, mark.c]]) {
      assert.deepEqual(received(x, from, (m) => m.type === 'op' || (m.type === 'ack' && m.id === stuck)), [],
        `${x.tag} heard of an op that no replica has`);
    }

    const metrics = (await s1.http('GET', '/metrics')).text;
    const unreplicated = Number(/^atelier_writes_unreplicated_total (\d+)$/m.exec(metrics)[1]);
    assert.ok(unreplicated >= 3, `atelier_writes_unreplicated_total ${unreplicated}: the op, the ballot, the agenda`);

    // Back: the resent op is acknowledged once, everyone converges, the text has it once.
    process.kill(replica.proc.pid, 'SIGCONT');
    stopped = false;
    await waitUntil(() => a.acked.has(stuck), 20000, 'the op acknowledged once the replica is back');
    await waitQuiescent([a, b, c], { serverRev });
    for (const x of [a, b, c]) assert.equal(x.text, a.text, `${x.tag} diverged`);
    assert.equal(countOccurrences(a.text, '[pendant] '), 1, a.text);
    assert.equal(countOccurrences(a.text, '[avant] '), 1, a.text);
    assert.deepEqual(ownOpsWithoutId(a), [], 'the author got its own op without its id');
    assert.equal(a.anomalies.length + b.anomalies.length + c.anomalies.length, 0,
      [...a.anomalies, ...b.anomalies, ...c.anomalies].join('\n'));

    // The ballot sent again counts once: in the results (one record per
    // voter), and in the contribution balance and the history (the first
    // may be in Redis already: the same record writes nothing).
    await b.must({ type: 'vote', poll: poll.id, ballot: 0 }, 'my_ballot');
    await b.must({ type: 'vote', poll: poll.id, ballot: 0 }, 'my_ballot');
    assert.equal(await h.redis.command('HGET', `atelier:{w:${w.id}}:balance`, 'bal:O2'), '2', 'two ballots counted: 1, then 0');
    // On an organisations poll too (its record says when it was given: the first time stands).
    const orgPoll = (await a.must({ type: 'poll_create', kind: 'single', question: 'Et vous ?', choices: ['x', 'y'], respondents: 'organisations' }, 'poll')).poll;
    await a.must({ type: 'poll_open', poll: orgPoll.id }, 'poll');
    await b.must({ type: 'vote', poll: orgPoll.id, ballot: 1 }, 'my_ballot');
    await sleep(5); // another millisecond for its time
    await b.must({ type: 'vote', poll: orgPoll.id, ballot: 1 }, 'my_ballot');
    assert.equal(await h.redis.command('HGET', `atelier:{w:${w.id}}:balance`, 'bal:O2'), '3', 'the same organisation ballot counted once');
    await replicationUp(replica);
    const ops = await storedOps(replica, w.id);
    assert.equal(ops.length, 2, 'the replica has each op once');
    h.assertNoProblems();
  });
});

describe('A stalled Redis commits a batch after its author was told unavailable', { timeout: 90000 }, () => {
  let h, stopped = false;
  before(async () => { h = await Harness.start({ ownRedis: true }); }, { timeout: 30000 });
  after(async () => {
    if (stopped) process.kill(h.redis.proc.pid, 'SIGCONT');
    if (h) await h.close();
  }, { timeout: 30000 });

  test('the author gets its op back with its id (or an ack), once; the message says it may be saved', { timeout: 70000 }, async () => {
    const s = h.server;
    const w = await s.createWorkshop({ title: 'Redis figé', text: 'Texte.\n' });
    const a = h.client({ workshop: w.id, name: 'A', organisation: 'O1' });
    const b = h.client({ workshop: w.id, name: 'B', organisation: 'O2' });
    await a.start();
    await b.start();
    const serverRev = () => s.workshopRev(w.id);

    process.kill(h.redis.proc.pid, 'SIGSTOP');
    stopped = true;
    a.submit(['[figé] '], 'stalled');
    const stuck = a.inflight.id;
    // The batch sits in Redis' socket; the server gives up on its answer
    // (no PING answered for 3 s) and tells the author.
    const err = await waitUntil(() => a.errors.find((e) => e.re === 'op' && e.id === stuck), 15000, 'unavailable');
    assert.equal(err.code, 'unavailable');
    assert.match(err.message, /may not have been saved/);
    assert.match(err.message, /send it again with the same id/);
    process.kill(h.redis.proc.pid, 'SIGCONT');
    stopped = false;

    // Redis, back, runs the batch it had read: the op is in, once.
    await waitUntil(() => a.acked.has(stuck), 20000, 'the op accepted');
    await waitQuiescent([a, b], { serverRev });
    assert.equal(a.text, b.text);
    assert.equal(countOccurrences(a.text, '[figé] '), 1, a.text);
    assert.equal((await storedOps(h.redis, w.id)).length, 1, 'stored once');
    assert.deepEqual(ownOpsWithoutId(a), [], 'the author got its own op back without its id');
    h.assertNoProblems();
  });
});
