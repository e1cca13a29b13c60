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
