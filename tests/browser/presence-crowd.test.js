// Presence in a big workshop in the browser (issue 17, item 2): a workshop
// of 1,100 people connected over the protocol (not browsers), above
// --presence-list-max (50 here). The facilitator's page shows the counts
// by organisation with their colours, the people the server named, "et
// 1 0xx autres" with a narrow no-break space between the groups of digits,
// a search by the first letters of a name; the counts follow departures
// (coalesced presence messages); a participant's phone page (390 px, in
// English) shows the same in English. axe at zero violations on both;
// screenshots desktop and phone.
import test from 'node:test';
import assert from 'node:assert/strict';
import { artifact, connect } from './harness.js';
import { setupFile, axe, badTypography, until, PHONE, NNBSP } from './i12.js';
import { join, noProblems } from './helpers.js';
import { PALETTE, orgKey } from '../../web-client/src/state/colors.js';

// Every bot comes from one address: its limits are raised.
// Every bot comes from one address: its limits are raised. Above 50 people
// present the workshop is big (the first 50 stay named on the pages that
// saw them arrive one by one).
const env = await setupFile({ serverArgs: ['--max-connections-per-ip', '5000', '--join-rate', '100000', '--presence-list-max', '50'] });

const ORGS = ['Ville de Lyon', 'Banque Solidaire', 'Association Relais', 'Métropole', 'Coopérative Habitat', 'Fondation Horizon'];
const PEOPLE = 1100;
const ZOES = 7; // named "Zoé …": what the search finds

test('a workshop of a thousand: counts by organisation, "et … autres", search, updates; desktop and phone', { timeout: 60000 }, async (t) => {
  const w = await env.workshop(t, { title: 'Assemblée des partenaires', text: 'Statut de la coopération\n' });
  const bots = [];
  t.after(() => { for (const b of bots) b.close(); });
  for (let i = 0; i < PEOPLE; i += 40) { // 40 joins at a time
    const batch = [];
    for (let k = i; k < Math.min(PEOPLE, i + 40); k++) {
      const name = k < ZOES ? `Zoé ${k + 1}` : `Personne ${k + 1}`;
      batch.push(connect(env.server.url, w.id, { name, organisation: ORGS[k % ORGS.length] }));
    }
    bots.push(...(await Promise.all(batch)));
  }
  const last = bots.at(-1).welcome;
  assert.ok(last.presence, 'a welcome of this size carries counts');
  assert.ok(last.participants.length <= 120, `${last.participants.length} people in a welcome`);

  const fac = w.fac;
  const total = PEOPLE + 1;
  const fr = (n) => String(n).replace(/\B(?=(\d{3})+$)/g, NNBSP);
  await fac.locator('#presence-count', { hasText: `${fr(total)} personnes` }).waitFor({ timeout: 15000 });
  // One line per organisation, with its colour and its count.
  const orgs = fac.locator('.crowd-org');
  await until(async () => (await orgs.count()) === ORGS.length, { message: 'six organisations' });
  const lines = await orgs.evaluateAll((els) => els.map((e) => ({
    name: e.querySelector('.crowd-org-name').textContent,
    count: e.querySelector('.crowd-org-count').textContent,
    color: getComputedStyle(e.querySelector('.swatch')).backgroundColor,
  })));
  const sum = lines.reduce((s, l) => s + Number(l.count.replace(/\u202f/g, '')), 0);
  assert.equal(sum, total, `${JSON.stringify(lines)}`);
  const rgb = (hex) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;
  // Each organisation's colour is its slot's (the server's, in every welcome):
  // six organisations, six colours.
  const slots = new Map(last.org_slots.map((o) => [orgKey(o.organisation), o.slot]));
  for (const l of lines) assert.equal(l.color, rgb(PALETTE[slots.get(orgKey(l.name)) % PALETTE.length]), `${l.name}: its organisation's colour`);
  assert.equal(new Set(lines.map((l) => l.color)).size, lines.length, JSON.stringify(lines));
  // The people named: the facilitator herself at least; the rest counted.
  const more = fac.locator('#crowd-more');
  await more.waitFor();
  const moreText = await more.textContent();
  assert.match(moreText, new RegExp(`^et 1${NNBSP}0\\d\\d autres$`), moreText);
  // Search by the first letters, case aside.
  await fac.locator('#presence-search').fill('zoé');
  await fac.locator('.presence-results', { hasText: `${ZOES} personnes trouvées` }).waitFor();
  assert.equal(await fac.locator('.presence-found li.person').count(), ZOES);
  await fac.locator('#presence-search').fill('Personne 10');
  await fac.locator('.presence-results', { hasText: '20 personnes trouvées' }).waitFor();
  await fac.locator('.presence-results', { hasText: 'D’autres noms commencent ainsi' }).waitFor();
  await axe(fac, 'facilitator page of a big workshop, with a search');
  assert.deepEqual(await badTypography(fac), []);
  await fac.screenshot({ path: artifact('presence-crowd-desktop-fr.png'), fullPage: true });

  // Departures arrive together: the counts follow.
  for (const b of bots.splice(0, 40)) b.close();
  await fac.locator('#presence-count', { hasText: `${fr(total - 40)} personnes` }).waitFor({ timeout: 5000 });
  // A Zoé left: the search shown is asked again.
  await fac.locator('#presence-search').fill('zoé');
  await fac.locator('.presence-results', { hasText: 'Personne de ce nom ici' }).waitFor();

  // A participant's phone, in English.
  const phone = await env.page(t, { viewport: PHONE, locale: 'en-GB' });
  await join(phone, w.invite, 'Jean', 'Banque Solidaire');
  await phone.locator('#presence-count', { hasText: `${(total - 39).toLocaleString('en')} people` }).waitFor({ timeout: 15000 });
  const phoneMore = await phone.locator('#crowd-more').textContent();
  assert.match(phoneMore, /^and 1,0\d\d more$/, phoneMore);
  await phone.locator('#presence-search').fill('personne 99');
  await phone.locator('.presence-results', { hasText: /\d+ people found/ }).waitFor();
  const width = await phone.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the phone page is ${width} px wide`);
  await axe(phone, 'participant phone page of a big workshop');
  await phone.locator('.presence').screenshot({ path: artifact('presence-crowd-phone-en.png') });
  await phone.screenshot({ path: artifact('presence-crowd-phone-en-full.png'), fullPage: true });
  noProblems(fac, phone);
});
