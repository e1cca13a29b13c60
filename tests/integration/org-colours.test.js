'use strict';
// Organisation colour slots (protocol/README.md, "Organisation colours";
// issue 12, item 8): each organisation of a workshop gets its own slot, first
// come first served, given atomically by Redis. Two organisations joining at
// once through two server processes get two slots; the slot is the same in
// every message, on every process, after restarts and in the history; an
// organisation written another way ("  banque populaire") is the same one; a
// person of an older workshop (a record without a slot) gets one at their
// next join.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, waitUntil, trackPresence: track, fetchAllHistory } = require('./harness');

const metaKey = (id) => `atelier:{w:${id}}:meta`;
const peopleKey = (id) => `atelier:{w:${id}}:people`;

/** The welcome's org_slots as {organisation name: slot}. */
const slotsOf = (welcome) => Object.fromEntries(welcome.org_slots.map((o) => [o.organisation, o.slot]));

describe('organisation colour slots across two server processes', { timeout: 60000 }, () => {
  let h;
  before(async () => { h = await Harness.start({ servers: 2 }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('one slot per organisation, the same everywhere, after restarts and in the history', { timeout: 40000 }, async () => {
    const [s1, s2] = h.servers;
    const w = await s1.createWorkshop({ title: 'Couleurs' });
    const fac = h.client({ server: s1, workshop: w.id, name: 'Awa', organisation: 'Animation', key: w.facilitator_key });
    const seenFac = track(fac);
    await fac.start();
    assert.equal(fac.welcomes[0].participant.slot, 0, 'the first organisation has slot 0');

    // Two organisations at the same moment through two processes.
    const alice = h.client({ server: s1, workshop: w.id, name: 'Alice', organisation: 'Banque Populaire' });
    const bob = h.client({ server: s2, workshop: w.id, name: 'Bob', organisation: 'Métropole de Lyon' });
    await Promise.all([alice.start(), bob.start()]);
    const slotA = alice.welcomes[0].participant.slot;
    const slotB = bob.welcomes[0].participant.slot;
    assert.deepEqual([slotA, slotB].sort(), [1, 2], `two organisations, two slots: ${slotA}, ${slotB}`);

    // The same organisation written another way, through the other process.
    const carol = h.client({ server: s2, workshop: w.id, name: 'Carole', organisation: '  banque   POPULAIRE ' });
    const seenCarol = track(carol);
    await carol.start();
    assert.equal(carol.welcomes[0].participant.slot, slotA, "Carole is of Alice's organisation");
    const expected = { Animation: 0, 'Banque Populaire': slotA, 'Métropole de Lyon': slotB };
    assert.deepEqual(slotsOf(carol.welcomes[0]), expected);
    for (const p of seenCarol.present.values()) assert.equal(p.slot, expected[p.organisation], `${p.name} in Carole's welcome`);
    await waitUntil(() => seenFac.present.size === 3, 3000, 'the facilitator sees everyone arrive');
    for (const p of seenFac.present.values())
      assert.equal(p.slot, p.name === 'Carole' ? slotA : expected[p.organisation], `${p.name} arrived at the facilitator's`);

    // GET /api/workshops/ID (the join page) from a process with the room
    // loaded, and from one without it (presence folded from the arrivals).
    const s3 = await h.addServer();
    for (const s of [s1, s2, s3]) {
      const r = await s.http('GET', `/api/workshops/${w.id}`);
      assert.equal(r.status, 200);
      assert.equal(r.json.present.length, 4, `${s.port}: ${r.text}`);
      for (const p of r.json.present)
        assert.equal(p.slot, p.name === 'Carole' ? slotA : expected[p.organisation], `${p.name} in the public list of ${s.port}`);
    }

    // After both processes restart: the same slots, and a new organisation takes the next one.
    await s1.restart();
    await s2.restart();
    const dan = h.client({ server: s2, workshop: w.id, name: 'Dan', organisation: 'Association Eau' });
    await dan.start();
    assert.equal(dan.welcomes[0].participant.slot, 3);
    assert.deepEqual(slotsOf(dan.welcomes[0]), { ...expected, 'Association Eau': 3 });
    const alice2 = h.twin(alice, { server: s1 });
    alice2.rev = 0;
    await alice2.start();
    assert.equal(alice2.welcomes[0].participant.slot, slotA, "Alice's slot after the restart");

    // The history's arrivals carry the slots.
    const { events } = await fetchAllHistory(s1.port, w.id, { key: w.facilitator_key });
    const arrivals = events.filter((e) => e.type === 'arrived');
    assert.ok(arrivals.length >= 5, `${arrivals.length} arrivals`);
    for (const e of arrivals)
      assert.equal(e.slot, e.name === 'Carole' ? slotA : { ...expected, 'Association Eau': 3 }[e.org], `${e.name}'s arrival`);
    // The JSON export's participants: the same slots.
    const all = { ...expected, 'Association Eau': 3 };
    const exp = await s2.http('GET', `/api/workshops/${w.id}/export?format=json`, { headers: { authorization: `Bearer ${w.facilitator_key}` } });
    assert.equal(exp.status, 200, exp.text);
    assert.equal(exp.json.participants.length, 5);
    for (const p of exp.json.participants) assert.equal(p.slot, p.name === 'Carole' ? slotA : all[p.org], `${p.name} in the export`);
  });

  test('a person of an older workshop gets a slot at their next join', { timeout: 30000 }, async () => {
    const [s1, s2] = h.servers;
    const w = await s1.createWorkshop({ title: 'Ancien atelier' });
    const ana = h.client({ server: s1, workshop: w.id, name: 'Ana', organisation: 'Coopérative' });
    await ana.start();
    ana.close();
    // As a workshop written before slots: no slot in the record nor in meta.
    const rec = JSON.parse(await h.redis.command('HGET', peopleKey(w.id), ana.participant.id));
    assert.equal(rec.slot, 0);
    delete rec.slot;
    await h.redis.command('HSET', peopleKey(w.id), ana.participant.id, JSON.stringify(rec));
    const fields = (await h.redis.command('HKEYS', metaKey(w.id))).filter((f) => f.startsWith('org_slot'));
    assert.equal(fields.length, 2, `meta's slot fields: ${fields}`);
    await h.redis.command('HDEL', metaKey(w.id), ...fields);
    await s1.restart();
    await s2.restart();
    // Someone of another organisation comes first through the other process.
    const ben = h.client({ server: s2, workshop: w.id, name: 'Ben', organisation: 'Mairie' });
    await ben.start();
    assert.equal(ben.welcomes[0].participant.slot, 0);
    assert.deepEqual(slotsOf(ben.welcomes[0]), { Mairie: 0 }, 'Ana has no slot yet');
    const seenBen = track(ben);
    const ana2 = h.twin(ana, { server: s1 });
    ana2.rev = 0;
    await ana2.start();
    assert.equal(ana2.welcomes[0].participant.slot, 1, 'Ana got the next slot');
    await waitUntil(() => seenBen.present.get(ana.participant.id)?.slot === 1, 10000, "Ben sees Ana's slot");
    const stored = JSON.parse(await h.redis.command('HGET', peopleKey(w.id), ana.participant.id));
    assert.deepEqual({ ...stored, slot: stored.slot }, { ...rec, slot: 1 }, 'the record is kept, with the slot added');
  });
});
