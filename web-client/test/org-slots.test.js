// Organisation colours from the server's slots (state/colors.js; protocol/
// README.md, "Organisation colours"; issue 12, item 8): the first 10
// organisations of a workshop never share a colour, an organisation written
// another way is the same one, a replay colours as the live pages did, and
// an older history falls back to the order of first arrival.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  PALETTE, UNKNOWN_COLOR, orgColor, orgSlot, setOrgSlot, setOrgSlots, clearOrgSlots, slotsOfHistory, useHistorySlots,
} from '../src/state/colors.js';
import { Presence } from '../src/state/presence.js';

// The names of issue 12's screenshot: with the old hash of names, Banque
// Populaire and Métropole de Lyon had one colour (rust).
const ORGS = ['Ville de Lyon', 'Banque Populaire', 'Métropole de Lyon', 'Association Eau', 'Coopérative', 'Mairie',
  'Région', 'Université', 'Chambre', 'Fondation', 'Onzième'];

test('the first 10 organisations never share a colour; the 11th repeats the first', () => {
  clearOrgSlots();
  setOrgSlots(ORGS.map((organisation, slot) => ({ organisation, slot })));
  const colours = ORGS.slice(0, 10).map(orgColor);
  assert.equal(new Set(colours).size, 10, colours.join(' '));
  assert.deepEqual(colours, PALETTE);
  assert.equal(orgColor(ORGS[10]), orgColor(ORGS[0]), 'past 10, colours repeat (the name is always beside)');
  assert.equal(orgColor('  banque   POPULAIRE '), orgColor('Banque Populaire'), 'one organisation written another way');
  assert.equal(orgColor(''), UNKNOWN_COLOR);
});

test('the colour is the server slot, not the name', () => {
  clearOrgSlots();
  setOrgSlot('Banque Populaire', 1);
  setOrgSlot('Métropole de Lyon', 2);
  assert.notEqual(orgColor('Banque Populaire'), orgColor('Métropole de Lyon'));
  assert.equal(orgColor('Métropole de Lyon'), PALETTE[2]);
  // Garbage from the wire is ignored.
  for (const bad of [-1, 1.5, '3', null, undefined]) setOrgSlot('Mairie', bad);
  assert.equal(orgSlot('Mairie'), undefined);
});

test('participants and counts carry their slot into the colours (welcome, arrived, presence)', () => {
  clearOrgSlots();
  const p = new Presence();
  p.reset({ id: 'p1', name: 'Awa', organisation: 'Ville de Lyon', role: 'facilitator', slot: 0 },
    [{ id: 'p2', name: 'Jean', organisation: 'Métropole de Lyon', role: 'participant', slot: 2 }]);
  p.arrive({ id: 'p3', name: 'Zoé', organisation: 'Banque Populaire', role: 'participant', slot: 1 });
  p.setCrowd({ total: 40, observers: 0, organisations: [{ name: 'Région', count: 30, slot: 7 }] });
  assert.deepEqual(['Ville de Lyon', 'Banque Populaire', 'Métropole de Lyon', 'Région'].map(orgColor),
    [PALETTE[0], PALETTE[1], PALETTE[2], PALETTE[7]]);
  const groups = p.groups(0, 'fr');
  assert.equal(new Set(groups.map((g) => g.color)).size, groups.length, 'each group its own colour');
});

test('an organisation without a slot takes one nobody holds, and gives it up to the server', () => {
  clearOrgSlots();
  setOrgSlots([{ organisation: 'A', slot: 0 }, { organisation: 'B', slot: 1 }]);
  assert.equal(orgColor('Ancienne'), PALETTE[2], 'the smallest free slot, not a clash');
  setOrgSlot('C', 2); // the server gives slot 2 to another organisation
  assert.equal(orgColor('C'), PALETTE[2]);
  assert.equal(orgColor('Ancienne'), PALETTE[3], 'the guess moved out of the way');
});

test('a history: its arrivals\' slots; older events by order of first arrival', () => {
  const arrived = (org, slot, role = 'participant') => ({ type: 'arrived', org, role, ...(slot === undefined ? {} : { slot }) });
  // With slots: they stand whatever the order of events.
  assert.deepEqual([...slotsOfHistory([arrived('B', 1), arrived('A', 0), arrived('b ', 1)])], [['b', 1], ['a', 0]]);
  // An older history: the order of first arrival; observers and departures aside.
  assert.deepEqual([...slotsOfHistory([
    arrived('Mairie'), arrived('Presse', undefined, 'observer'), { type: 'departed', org: 'Banque' }, arrived('Banque'), arrived('mairie'),
  ])], [['mairie', 0], ['banque', 1]]);
  // Mixed: slotted ones stand, the others fill the free slots in order.
  assert.deepEqual([...slotsOfHistory([arrived('Ancienne'), arrived('Nouvelle', 0), arrived('Autre')])],
    [['nouvelle', 0], ['ancienne', 1], ['autre', 2]]);
  useHistorySlots([arrived('Banque Populaire', 1), arrived('Métropole de Lyon', 2), arrived('Ville de Lyon', 0)]);
  assert.deepEqual(['Ville de Lyon', 'Banque Populaire', 'Métropole de Lyon'].map(orgColor), PALETTE.slice(0, 3));
});
