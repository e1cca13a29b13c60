'use strict';
// The failover topology of tests/lib/topology.js (primary, replica, 3
// Sentinels, 2 atelier processes with --trust-proxy 127.0.0.1, haproxy with
// deploy/haproxy.cfg), every client connected through haproxy only, never
// to a process directly.
//
// The per-address limits count the client haproxy forwards
// (X-Forwarded-For), not haproxy.
//
// One atelier process dies (kill -9) while 30 people type and vote in 3
// workshops (issue 15, "Failure tests"). What must hold: the clients of the dead process reconnect through haproxy
// to the other one by themselves and resume; every acknowledged edit is in
// the final text exactly once (harness.js, "exactly once") and in the stored
// history at the revision it was acknowledged; everyone converges; haproxy
// takes the dead process out; presence shows each participant once, to every
// client and in the API, once the dead process is presumed gone
// (--presence-secs). Every participant changes its ballot as the process
// dies: the dead process's voters get no answer, vote again once resumed,
// and each participant's last ballot counts once.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, LoadRooms, sleep, waitUntil } = require('./harness');

const WORKSHOPS = 3;
const PER_WORKSHOP = 10; // participants, besides the facilitator
const OPS = 1000; // edits per participant at most: the typing stops 3 s after the kill
const PRESENCE_SECS = 2;
const SEED = Number(process.env.ATELIER_IT_SEED || Date.now() % 1e9);

// Sessions an atelier process holds (GET /healthz?details=1, straight to it).
async function sessionsOf(s) {
  const r = await s.http('GET', '/healthz?details=1');
  return r.json.sessions;
}

describe('behind haproxy', { timeout: 240000 }, () => {
  let h;
  before(async () => {
    h = await Harness.startTopology({ instances: 2, atelierArgs: ['--presence-secs', String(PRESENCE_SECS)] });
  }, { timeout: 60000 });
  after(async () => { if (h) await h.close(); }, { timeout: 60000 });

  test('the per-address limits count the client haproxy forwards, not haproxy', async () => {
    // Join code lookups: 10 a minute per address and process (2 processes behind haproxy).
    const lookup = (from) => h.proxy.http('GET', '/api/join/abc', { localAddress: from }).then((r) => r.status);
    let allowed = 0;
    while ((await lookup('127.0.0.5')) !== 429) {
      allowed++;
      assert.ok(allowed <= 20, 'no limit on lookups through haproxy');
    }
    assert.ok(allowed >= 10, `${allowed} lookups before the limit`);
    // Counted against haproxy (127.0.0.1), both processes would now refuse everyone.
    for (let i = 0; i < 4; i++) assert.notEqual(await lookup('127.0.0.6'), 429, 'another client behind haproxy was held back');
  });

  test(`an atelier process killed: its clients resume on the other one: nothing lost or doubled, presence once (seed ${SEED})`, { timeout: 180000 }, async (t) => {
    const [victim, survivor] = h.servers;
    const load = await LoadRooms.start(h, { workshops: WORKSHOPS, perWorkshop: PER_WORKSHOP, seed: SEED });
    const { rooms, everyone } = load;
    // leastconn spreads the connections: the process about to die holds some.
    const held = await sessionsOf(victim);
    assert.ok(held > 0 && (await sessionsOf(survivor)) > 0, `sessions: ${held} and ${await sessionsOf(survivor)}`);

    // Everyone votes (each ballot confirmed), then types.
    await load.vote((_, rand) => Math.floor(rand() * 3));
    // Typing goes on until 3 s after the kill (OPS at most): through the
    // resumes, whatever the machine's pace.
    let killedAt = 0;
    const typing = load.type(OPS, { stop: () => killedAt > 0 && Date.now() > killedAt + 3000 });

    // Once everyone has had edits acknowledged, and while they type, the
    // kill, with everyone's change of ballot on its way: the dead process's
    // voters get no answer and vote again once resumed.
    await waitUntil(() => load.people.every((c) => c.acked.size >= 3), 60000, 'every participant acked a few times');
    const ackedBefore = load.count((c) => c.acked.size);
    const reconnectsBefore = load.count('reconnects');
    const revoting = load.vote((before, rand) => (before + 1 + Math.floor(rand() * 2)) % 3);
    await victim.kill('SIGKILL');
    killedAt = Date.now();
    const voteResends = await revoting;
    await waitUntil(async () => (await h.proxy.servers()).atelier1 === 'DOWN', 10000, 'haproxy to take the dead process out');
    await typing;
    // Everyone converges on a text with each acknowledged edit once, and
    // each participant's last ballot counts once.
    await load.check(h.redis);

    // The dead process's clients (and only they) came back, all on the other one.
    const resumed = load.count('reconnects') - reconnectsBefore;
    const resyncs = load.count('resyncs');
    assert.ok(resumed >= held, `${resumed} clients resumed, the dead process held ${held}`);
    // (The newcomers check() let in have left: their sessions end as their sockets close.)
    await waitUntil(async () => (await sessionsOf(survivor)) === everyone.length, 5000, 'every client on the survivor, no one else');

    // Presence, once the dead process is presumed gone: each participant once,
    // to every client, in the API, and in a newcomer's welcome.
    for (const r of rooms) {
      const group = [r.facilitator, ...r.people];
      const ids = group.map((c) => c.participant.id).sort();
      await sleep(PRESENCE_SECS * 1000); // what the survivor waits before it presumes the other dead
      // A welcome lists the others: each client should see everyone but itself.
      const others = (c) => ids.filter((id) => id !== c.participant.id).join();
      const wrong = () => group.map((c, i) => (i === 0 ? null : [c, r.seen[i - 1]]))
        .filter((x) => x && [...x[1].present.keys()].sort().join() !== others(x[0]))
        .map(([c, s]) => `${c.tag} sees ${[...s.present.values()].map((p) => p.name).sort().join(' ')}`);
      await waitUntil(() => wrong().length === 0, 10000, `everyone in ${r.w.id} sees the ${ids.length} present`)
        .catch((e) => { e.message += `:\n${wrong().join('\n')}`; throw e; });
      const api = await h.proxy.http('GET', `/api/workshops/${r.w.id}`);
      assert.deepEqual(api.json.present.map((p) => p.name).sort(), group.map((c) => c.name).sort(), 'the API lists each participant once');
      const newcomer = h.client({ workshop: r.w.id, name: 'Après', organisation: 'Mairie', key: r.w.facilitator_key });
      const welcome = await newcomer.start();
      const present = welcome.participants.map((p) => p.id).filter((id) => id !== newcomer.participant.id).sort();
      assert.deepEqual(present, ids, 'a newcomer is told each participant once');
      newcomer.close();
    }
    h.assertNoProblems();
    t.diagnostic(`${ackedBefore} acks before the kill; ${held} of ${everyone.length} clients on the dead process, `
      + `${resumed} resumes through haproxy (${resyncs} resyncs in all), ${voteResends} votes sent again`);
  });
});
