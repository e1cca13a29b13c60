import test from 'node:test';
import assert from 'node:assert/strict';
import { Presence, TYPING_MS } from '../src/state/presence.js';

const me = { id: 'p1', name: 'Awa', organisation: 'Ville de Lyon', role: 'facilitator' };

test('groups by organisation (case and spacing ignored), facilitator first', () => {
  const p = new Presence();
  p.reset(me, [
    { id: 'p2', name: 'Zoé', organisation: 'banque', role: 'participant' },
    { id: 'p3', name: 'Jean', organisation: 'Banque ', role: 'participant' },
    { id: 'p4', name: 'Ana', organisation: 'Ville de Lyon', role: 'participant' },
    { id: 'p1', name: 'Awa (dup)', organisation: 'x' }, // ourselves, listed by mistake
  ]);
  const g = p.groups(0, 'fr');
  assert.deepEqual(g.map((x) => x.members.map((m) => m.name)), [['Jean', 'Zoé'], ['Awa', 'Ana']]);
  assert.equal(g[1].members[0].self, true);
  assert.match(g[0].color, /^#[0-9a-f]{6}$/);
  assert.deepEqual(p.organisations().sort((a, b) => a.localeCompare(b)), ['banque', 'Ville de Lyon']);
});

test('arrivals, departures and typing marks', () => {
  const p = new Presence();
  p.reset(me, []);
  assert.ok(p.arrive({ id: 'p2', name: 'Jean', organisation: 'Banque', role: 'participant' }));
  assert.equal(p.arrive({ id: 'p2', name: 'Jean', organisation: 'Banque', role: 'participant' }), null, 'second tab: no new arrival');
  p.noteOp('p2', 1000);
  assert.ok(p.isTyping('p2', 1000 + TYPING_MS - 1));
  assert.ok(!p.isTyping('p2', 1000 + TYPING_MS));
  assert.equal(p.nextTypingExpiry(1500), 1000 + TYPING_MS);
  p.setCursor('p2', [1, 2]);
  assert.equal(p.depart('p2').name, 'Jean');
  assert.equal(p.cursors.size, 0);
  assert.equal(p.depart('p1'), null, 'we never depart from our own list');
  assert.equal(p.organisationOf('p2'), 'Banque', 'departed authors keep their organisation');
});

test('a big workshop: counts from the server, named people, "and N more", back to everyone', async () => {
  const { formatInteger } = await import('../src/i18n/typography.js');
  const p = new Presence();
  const jean = { id: 'p2', name: 'Jean', organisation: 'Banque', role: 'representative' };
  p.reset(me, [jean], { total: 9852, observers: 2, organisations: [{ name: 'Ville de Lyon', count: 4000 }, { name: 'Banque', count: 5850 }, { name: 'x', count: 0 }, 'junk'] });
  assert.equal(p.count, 9850);
  assert.equal(p.observerCount, 2);
  assert.equal(p.unnamed, 9850);
  assert.deepEqual(p.crowdOrganisations('fr').map((o) => [o.name, o.count]), [['Banque', 5850], ['Ville de Lyon', 4000]]);
  assert.match(p.crowdOrganisations('fr')[0].color, /^#[0-9a-f]{6}$/);
  // Arrivals and departures of named people come together with the counts.
  p.applyPresence({ type: 'presence', total: 9853, observers: 2, organisations: [{ name: 'Banque', count: 5851 }, { name: 'Ville de Lyon', count: 4000 }],
    arrived: [{ id: 'p3', name: 'Zoé', organisation: 'Banque', role: 'facilitator' }], departed: ['p2', 'p-unknown'] });
  assert.deepEqual([...p.present.keys()].sort(), ['p1', 'p3']);
  assert.equal(p.unnamed, 9851);
  assert.equal(formatInteger('fr', p.unnamed), '9\u202f851');
  // Organisations that sign: from the counts, but for one made only of its (named) facilitators.
  p.applyPresence({ type: 'presence', total: 9854, observers: 2, organisations: [{ name: 'Banque', count: 5851 }, { name: 'Ville de Lyon', count: 4000 }, { name: 'Animation', count: 1 }],
    arrived: [{ id: 'p9', name: 'Léa', organisation: 'Animation', role: 'facilitator' }], departed: [] });
  assert.deepEqual(p.signingOrganisations().sort(), ['Banque', 'Ville de Lyon']);
  assert.equal(formatInteger('en', p.unnamed), '9,851');
  // Back under the threshold: everyone listed, the counts gone.
  p.applyPresence({ type: 'presence', participants: [me, jean, { id: 'p4', name: 'Ana', organisation: 'Banque', role: 'participant' }] });
  assert.equal(p.crowd, null);
  assert.deepEqual([...p.present.keys()].sort(), ['p1', 'p2', 'p4']);
  assert.equal(p.count, 3);
  assert.equal(p.unnamed, 0);
});
