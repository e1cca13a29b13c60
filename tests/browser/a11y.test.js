// Automated accessibility checks (axe-core, WCAG 2.1 A and AA rules) on the
// home, join and workshop screens, in both languages. Automated rules catch
// only part of what matters (the keyboard-only test covers more), but they
// catch regressions in labels, contrast, roles and names cheaply.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { setup, apiCreate } from './harness.js';
import { connected, typeAt } from './helpers.js';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');

const { server, newPage } = await setup();

function page(t, locale, viewport = { width: 1280, height: 800 }) {
  // axe is injected as a script tag: this context alone bypasses the CSP.
  return newPage({ locale, viewport, bypassCSP: true }, t);
}

async function audit(p, where) {
  await p.addScriptTag({ path: AXE });
  const result = await p.evaluate(() => globalThis.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  const problems = result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(problems, [], `${where}: accessibility violations`);
}

for (const locale of ['fr-FR', 'en-GB']) {
  test(`home, join and workshop screens pass axe (${locale})`, async (t) => {
    const home = await page(t, locale);
    await home.goto(`${server.url}/`);
    await home.locator('#home-title').waitFor();
    await audit(home, 'home');
    await home.locator('#home-create').click(); // with its error messages shown
    await audit(home, 'home with errors');

    const { id, facilitator_key: key } = await apiCreate(server.url, 'Accessibilité', 'Quoi ?\n');
    const fac = await page(t, locale);
    await fac.goto(`${server.url}/#/w/${id}?key=${key}`);
    await fac.locator('#join-name').fill('Awa');
    await fac.locator('#join-org').fill('Ville de Lyon');
    await fac.locator('#join-submit').click();
    await connected(fac);

    const guest = await page(t, locale, { width: 820, height: 1180 });
    await guest.goto(`${server.url}/#/w/${id}`);
    await guest.locator('.chip').waitFor();
    await audit(guest, 'join');
    await guest.locator('#join-name').fill('Jean');
    await guest.locator('#join-org').fill('Banque');
    await guest.locator('#join-submit').click();
    await connected(guest);
    await typeAt(guest, ' Un résultat.');
    await fac.locator('#share-toggle').click();
    await fac.locator('#authorship-toggle').click();
    await fac.locator('.rcaret-label').first().waitFor();
    await audit(fac, 'workshop (facilitator, links open, colours on)');
    await audit(guest, 'workshop (tablet)');

    // Issue 16, the priorities board: items of two organisations, the edit
    // form open, the facilitator's suggestion and "Group with…" menu, a group.
    await guest.locator('#board-add-title').fill('Accès aux droits');
    await guest.locator('#board-add-why').fill('Le non-recours');
    await guest.locator('#board-add').click();
    await fac.locator('#board-add-title').fill("L'accès au droit");
    await fac.locator('#board-add').click();
    await guest.locator('.board-own-item [data-key^="edit-"]').click();
    await audit(guest, 'board (participant, hidden, an item being edited)');
    await fac.locator('.board-suggestion').waitFor();
    await fac.locator('#board-columns [data-key^="with-"]').first().click();
    await audit(fac, 'board (facilitator, a suggestion, the group-with menu open)');
    await fac.locator('.board-accept').click();
    await fac.locator('#board-reveal').click();
    await guest.locator('#board-col-common .board-cluster').waitFor();
    await audit(guest, 'board (revealed, a group common to all)');
  });
}

// A partnership (issue 16): the end's banner with "prepare the next
// workshop", the next workshop with its partnership links, and the
// partnership page in the facilitator's and the public view.
for (const locale of ['fr-FR', 'en-GB']) {
  test(`partnership screens pass axe (${locale})`, async (t) => {
    const { id, facilitator_key: key } = await apiCreate(server.url, 'Série', 'Quoi ?\n');
    const fac = await page(t, locale);
    await fac.goto(`${server.url}/#/w/${id}?key=${key}`);
    await fac.locator('#join-name').fill('Awa');
    await fac.locator('#join-org').fill('Ville de Lyon');
    await fac.locator('#join-submit').click();
    await connected(fac);
    await typeAt(fac, ' Un fonds commun.');
    await fac.locator('#end-workshop').click();
    await fac.locator('#end-confirm-yes').click();
    await fac.locator('#prepare-next').waitFor();
    await audit(fac, 'ended, with "prepare the next workshop"');
    await fac.locator('#prepare-next').click();
    await fac.locator('#series-prev').waitFor();
    await connected(fac);
    await audit(fac, 'the next workshop with its partnership links');
    await fac.locator('#series-partnership-link').click();
    await fac.locator('.series-workshop').nth(1).waitFor();
    await audit(fac, 'partnership page (facilitator)');
    const href = new URL(fac.url()).hash;
    const guest = await page(t, locale, { width: 390, height: 844 });
    await guest.goto(`${server.url}/${href}`);
    await guest.locator('.series-workshop').nth(1).waitFor();
    await audit(guest, 'partnership page (public, phone)');
  });
}
