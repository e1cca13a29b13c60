// Automated accessibility checks (axe-core, WCAG 2.1 A and AA rules) on the
// home, join and workshop screens, in both languages. Automated rules catch
// only part of what matters (the keyboard-only test covers more), but they
// catch regressions in labels, contrast, roles and names cheaply.
import test from 'node:test';
import { setup, apiCreate, connect } from './harness.js';
import { connected, join, typeAt } from './helpers.js';
import { axe } from './i12.js';

const { server, newPage } = await setup();

function page(t, locale, viewport = { width: 1280, height: 800 }) {
  return newPage({ locale, viewport }, t);
}

for (const locale of ['fr-FR', 'en-GB']) {
  test(`home, join and workshop screens pass axe (${locale})`, async (t) => {
    const home = await page(t, locale);
    await home.goto(`${server.url}/`);
    await home.locator('#home-title').waitFor();
    await axe(home, 'home');
    await home.locator('#home-create').click(); // with its error messages shown
    await axe(home, 'home with errors');

    const { id, facilitator_key: key } = await apiCreate(server.url, 'Accessibilité', 'Quoi ?\n');
    const fac = await page(t, locale);
    await join(fac, `${server.url}/#/w/${id}?key=${key}`, 'Awa', 'Ville de Lyon');

    const guest = await page(t, locale, { width: 820, height: 1180 });
    await guest.goto(`${server.url}/#/w/${id}`);
    await guest.locator('.chip').waitFor();
    await axe(guest, 'join');
    await guest.locator('#join-name').fill('Jean');
    await guest.locator('#join-org').fill('Banque');
    await guest.locator('#join-submit').click();
    await connected(guest);
    await typeAt(guest, ' Un résultat.');
    await fac.locator('#share-toggle').click();
    await fac.locator('#authorship-toggle').click();
    await fac.locator('.rcaret-label').first().waitFor();
    await axe(fac, 'workshop (facilitator, links open, colours on)');
    await axe(guest, 'workshop (tablet)');

    // Issue 16: a ranking poll about a passage, its ballot and results, and
    // the "to discuss" list (made over the protocol: the views are audited).
    const bot = await connect(server.url, id, { name: 'Robot', organisation: 'Animation', key });
    const made = await bot.send({ type: 'poll_create', kind: 'rank', question: 'Dans quel ordre ?', choices: ['Emploi', 'Logement', 'Mobilité'],
      open: true, visibility: 'live', passage: { start: 0, end: 4, rev: 0 } });
    await bot.send({ type: 'vote', poll: made.poll.id, ballot: [2, 0, 1] });
    await bot.send({ type: 'discuss_add', poll: made.poll.id });
    bot.close();
    for (const p of [fac, guest]) await p.locator('#discuss:not([hidden]) .discuss-item').waitFor();
    await guest.locator('.rank-list .rank-item').first().waitFor();
    await fac.locator('.rank-results').waitFor();
    await axe(fac, 'workshop (facilitator, ranking results, passage, to discuss)');
    await axe(guest, 'workshop (ranking ballot, passage, to discuss)');
    // Issue 16, the priorities board: items of two organisations, the edit
    // form open, the facilitator's suggestion and "Group with…" menu, a group.
    await guest.locator('#board-add-title').fill('Accès aux droits');
    await guest.locator('#board-add-why').fill('Le non-recours');
    await guest.locator('#board-add').click();
    await fac.locator('#board-add-title').fill("L'accès au droit");
    await fac.locator('#board-add').click();
    await guest.locator('.board-own-item [data-key^="edit-"]').click();
    await axe(guest, 'board (participant, hidden, an item being edited)');
    await fac.locator('.board-suggestion').waitFor();
    await fac.locator('#board-columns [data-key^="with-"]').first().click();
    await axe(fac, 'board (facilitator, a suggestion, the group-with menu open)');
    await fac.locator('.board-accept').click();
    await fac.locator('#board-reveal').click();
    await guest.locator('#board-col-common .board-cluster').waitFor();
    await axe(guest, 'board (revealed, a group common to all)');
  });
}

// A partnership (issue 16): the end's banner with "prepare the next
// workshop", the next workshop with its partnership links, and the
// partnership page in the facilitator's and the public view.
for (const locale of ['fr-FR', 'en-GB']) {
  test(`partnership screens pass axe (${locale})`, async (t) => {
    const { id, facilitator_key: key } = await apiCreate(server.url, 'Série', 'Quoi ?\n');
    const fac = await page(t, locale);
    await join(fac, `${server.url}/#/w/${id}?key=${key}`, 'Awa', 'Ville de Lyon');
    await typeAt(fac, ' Un fonds commun.');
    await fac.locator('#end-workshop').click();
    await fac.locator('#end-confirm-yes').click();
    await fac.locator('#prepare-next').waitFor();
    await axe(fac, 'ended, with "prepare the next workshop"');
    await fac.locator('#prepare-next').click();
    await fac.locator('#series-prev').waitFor();
    await connected(fac);
    await axe(fac, 'the next workshop with its partnership links');
    await fac.locator('#series-partnership-link').click();
    await fac.locator('.series-workshop').nth(1).waitFor();
    await axe(fac, 'partnership page (facilitator)');
    const href = new URL(fac.url()).hash;
    const guest = await page(t, locale, { width: 390, height: 844 });
    await guest.goto(`${server.url}/${href}`);
    await guest.locator('.series-workshop').nth(1).waitFor();
    await axe(guest, 'partnership page (public, phone)');
  });
}

// Issue 17: a big workshop's presence (above the default --presence-list-max,
// 200): counts by organisation, the search with its results, "and N more".
test('a big workshop\'s presence panel passes axe (fr-FR, en-GB)', async (t) => {
  const { id, facilitator_key: key } = await apiCreate(server.url, 'Assemblée', 'Quoi ?\n');
  const bots = [];
  t.after(() => { for (const b of bots) b.close(); });
  const orgs = ['Ville de Lyon', 'Banque', 'Association'];
  for (let i = 0; i < 205; i += 41) {
    const batch = [];
    for (let k = i; k < i + 41; k++) batch.push(connect(server.url, id, { name: `Personne ${k}`, organisation: orgs[k % 3] }));
    bots.push(...(await Promise.all(batch)));
  }
  for (const locale of ['fr-FR', 'en-GB']) {
    const p = await page(t, locale);
    await p.goto(`${server.url}/#/w/${id}${locale === 'fr-FR' ? `?key=${key}` : ''}`);
    await p.locator('#join-name').fill(locale === 'fr-FR' ? 'Awa' : 'Jean');
    await p.locator('#join-org').fill('Banque');
    await p.locator('#join-submit').click();
    await connected(p);
    await p.locator('#crowd-more').waitFor();
    await p.locator('#presence-search').fill('Personne 1');
    await p.locator('.presence-found li').first().waitFor();
    await axe(p, `big workshop presence with a search (${locale})`);
  }
});
