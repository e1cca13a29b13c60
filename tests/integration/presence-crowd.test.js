'use strict';
// Presence in a big workshop (protocol/README.md, "Presence in a big
// workshop"), across two server processes started with a low
// --presence-list-max so that some thirty clients make a big workshop: the
// welcome stays bounded and carries the counts by organisation; presence_page
// returns everyone present exactly once, pages, searches by name prefix and
// filters by organisation, and refuses what it must; arrivals and departures
// come in coalesced presence messages (never arrived / departed one by one)
// whose counts end equal to who is really there on both processes; back to
// the threshold, a presence message lists everyone and arrivals go one by one
// again.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, waitUntil } = require('./harness');

const LIST_MAX = 10;

// What a client learns of presence from the messages, as a page would.
function watch(c) {
  const v = { big: false, total: 0, orgs: new Map(), shown: new Map(), presence: 0, single: 0 };
  c.on('message', (m) => {
    if (m.type === 'welcome') {
      v.shown = new Map(m.participants.map((p) => [p.id, p]));
      v.big = !!m.presence;
      if (m.presence) {
        v.total = m.presence.total;
        v.orgs = new Map(m.presence.organisations.map((o) => [o.name, o.count]));
      }
    } else if (m.type === 'presence') {
      v.presence++;
      if (m.participants) {
        v.big = false;
        v.shown = new Map(m.participants.filter((p) => p.id !== c.participant.id).map((p) => [p.id, p]));
        return;
      }
      v.big = true;
      v.total = m.total;
      v.orgs = new Map(m.organisations.map((o) => [o.name, o.count]));
      for (const p of m.arrived) v.shown.set(p.id, p);
      for (const id of m.departed) v.shown.delete(id);
    } else if (m.type === 'arrived') {
      v.single++;
      v.shown.set(m.participant.id, m.participant);
    } else if (m.type === 'departed') {
      v.single++;
      v.shown.delete(m.participant);
    }
  });
  return v;
}

// {name: count} of the clients still connected (observers aside), and their total.
function truth(clients) {
  const orgs = new Map();
  for (const c of clients) if (c.org) orgs.set(c.org, (orgs.get(c.org) || 0) + 1);
  return { orgs, total: clients.length };
}

function sameCounts(v, clients) {
  const t = truth(clients);
  if (v.total !== t.total || v.orgs.size !== t.orgs.size) return false;
  for (const [k, n] of t.orgs) if (v.orgs.get(k) !== n) return false;
  return true;
}

// Every page of a presence_page query, with the ids it returned.
async function allPages(c, query, limit) {
  const ids = [];
  let after;
  for (let pages = 0; pages < 100; pages++) {
    const r = await c.must({ type: 'presence_page', limit, ...query, ...(after ? { after } : {}) }, 'presence_page');
    assert.ok(r.participants.length <= limit, `a page of ${r.participants.length} > ${limit}`);
    ids.push(...r.participants.map((p) => p.id));
    if (!r.next) return ids;
    assert.equal(r.next, r.participants.at(-1).id, 'next is the last one of the page');
    after = r.next;
  }
  throw new Error('presence_page never ended');
}

describe('presence in a big workshop', { timeout: 60000 }, () => {
  let h;
  before(async () => {
    h = await Harness.start({ servers: 2, serverArgs: ['--presence-list-max', String(LIST_MAX)] });
  }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('bounded welcome, pages, coalesced presence, and back to small, across two processes', { timeout: 50000 }, async () => {
    const [a, b] = h.servers;
    const w = await a.createWorkshop({ title: 'Assemblée', text: 'Statut' });
    const live = []; // connected clients: {c, org}
    const join = async (server, name, organisation, extra = {}) => {
      const c = h.client({ server, workshop: w.id, name, organisation, ...extra });
      const v = watch(c);
      await c.start();
      const e = { c, org: extra.observe ? null : organisation, v, welcome: c.welcomes.at(-1) };
      live.push(e);
      return e;
    };
    const leave = (e) => {
      e.c.close();
      live.splice(live.indexOf(e), 1);
    };
    const fac = await join(a, 'Awa', 'Animation', { key: w.facilitator_key });
    const watchA = await join(a, 'Veilleur A', 'Mairie');
    const watchB = await join(b, 'Veilleur B', 'Banque');
    const orgs = ['Mairie', 'Banque', 'Association'];
    for (let i = 0; i < 24; i++) {
      const name = i % 6 === 0 ? `Zoé ${i}` : `Personne ${String(i).padStart(2, '0')}`;
      await join(i % 2 ? a : b, name, orgs[i % 3]);
    }
    assert.equal(live.length, 27);
    // Below the threshold, arrivals went one by one; above it, in presence messages.
    assert.ok(watchA.v.single >= LIST_MAX - 3, `${watchA.v.single} arrived one by one while small`);
    const singleAtBig = [watchA.v.single, watchB.v.single];
    await waitUntil(() => watchA.v.big && watchB.v.big && sameCounts(watchA.v, live) && sameCounts(watchB.v, live),
      5000, 'both watchers count everyone by organisation');

    // A newcomer's welcome: the counts and a bounded list (the facilitator,
    // some of its organisation), not everyone.
    const newcomer = await join(b, 'Nouvelle', 'Mairie');
    const wel = newcomer.welcome;
    assert.ok(wel.presence, 'a big workshop welcome carries presence');
    assert.ok(wel.presence.total >= live.length - 1, `welcome total ${wel.presence.total}`);
    assert.ok(wel.participants.some((p) => p.id === fac.c.participant.id), 'the facilitator is named');
    assert.ok(wel.participants.length < live.length - 1, `${wel.participants.length} named of ${live.length - 1}`);
    const own = wel.participants.filter((p) => p.organisation === 'Mairie').length;
    assert.ok(own >= 5, `${own} of the newcomer's organisation named`);
    await waitUntil(() => sameCounts(newcomer.v, live), 5000, "the newcomer's counts catch up");

    // presence_page: everyone present exactly once, in pages of 7.
    const everyone = new Set(live.map((e) => e.c.participant.id));
    const paged = await allPages(newcomer.c, {}, 7);
    assert.equal(paged.length, everyone.size, 'everyone once');
    assert.deepEqual(new Set(paged), everyone);
    // ... on the other process too.
    assert.deepEqual(new Set(await allPages(fac.c, {}, 100)), everyone);
    // By name prefix, case and accents as typed aside: "zoé" finds the Zoés.
    const zoes = live.filter((e) => e.c.participant.name.startsWith('Zoé')).map((e) => e.c.participant.id);
    assert.deepEqual(new Set(await allPages(newcomer.c, { prefix: 'zoé' }, 2)), new Set(zoes));
    assert.deepEqual(await allPages(newcomer.c, { prefix: 'Quelqu' }, 5), []);
    // By organisation, written another way.
    const banque = live.filter((e) => e.org === 'Banque').map((e) => e.c.participant.id);
    assert.deepEqual(new Set(await allPages(fac.c, { organisation: ' banque ' }, 3)), new Set(banque));
    // Refused, and the connection stays usable.
    for (const bad of [{ limit: 0 }, { limit: 101 }, { limit: 2.5 }, { limit: '5' }, { after: 'quelqu-un' },
      { prefix: '' }, { prefix: '   ' }, { prefix: 5 }, { organisation: 'x'.repeat(65) }]) {
      await newcomer.c.refused({ type: 'presence_page', ...bad }, 'bad_request');
    }
    await newcomer.c.refused({ type: 'presence_page', after: 'pAAAAAAAAAAAAAAAA' }, 'not_found');

    // Someone with a caret is named to everyone, on both processes, without
    // waiting for anyone to come or go.
    const writer = live.find((e) => e.c.server === a && e !== fac && e !== watchA && !watchA.v.shown.has(e.c.participant.id) &&
      !watchB.v.shown.has(e.c.participant.id));
    assert.ok(writer, 'someone nobody was shown');
    writer.c.cursor([0, 0]);
    await waitUntil(() => watchA.v.shown.has(writer.c.participant.id) && watchB.v.shown.has(writer.c.participant.id),
      5000, 'the writer named on both processes');

    // Churn: 8 leave (the facilitator among them), 3 arrive, on both processes.
    const presenceBefore = [watchA.v.presence, watchB.v.presence];
    const leaving = live.filter((e) => e !== watchA && e !== watchB && e !== newcomer).slice(0, 8);
    assert.ok(leaving.includes(fac));
    for (const e of leaving) leave(e);
    for (let i = 0; i < 3; i++) await join(i % 2 ? a : b, `Arrivée ${i}`, 'Collectif');
    await waitUntil(() => sameCounts(watchA.v, live) && sameCounts(watchB.v, live) && sameCounts(newcomer.v, live),
      5000, 'the counts end right on both processes');
    assert.ok(!watchA.v.shown.has(fac.c.participant.id) && !watchB.v.shown.has(fac.c.participant.id),
      'the facilitator shown to everyone departed');
    assert.deepEqual([watchA.v.single, watchB.v.single], singleAtBig, 'no arrived or departed one by one while big');
    const msgs = [watchA.v.presence - presenceBefore[0], watchB.v.presence - presenceBefore[1]];
    assert.ok(msgs.every((n) => n >= 1 && n <= 8), `11 changes in ${msgs} presence messages`);
    // What a page shows is who is there now.
    assert.deepEqual(new Set(await allPages(watchB.c, {}, 50)), new Set(live.map((e) => e.c.participant.id)));

    // Back under LIST_MAX: everyone listed again, then one by one.
    while (live.length > LIST_MAX - 1) leave(live.find((e) => e !== watchA && e !== watchB));
    const others = (self) => new Set(live.filter((e) => e !== self).map((e) => e.c.participant.id));
    await waitUntil(() => !watchA.v.big && !watchB.v.big, 5000, 'both watchers back to the full list');
    assert.deepEqual(new Set(watchA.v.shown.keys()), others(watchA));
    assert.deepEqual(new Set(watchB.v.shown.keys()), others(watchB));
    const last = await join(a, 'Dernier', 'Mairie');
    assert.ok(!last.welcome.presence, 'a small workshop welcome has no counts');
    assert.equal(last.welcome.participants.length, live.length - 1, 'and lists everyone');
    await waitUntil(() => watchB.v.single > singleAtBig[1] && watchB.v.shown.has(last.c.participant.id),
      5000, 'an arrival one by one on the other process');

    for (const e of live) assert.deepEqual(e.c.violations, [], `${e.c.tag}: schema`);
  });
});
