// Issue 16, item 7: a partnership as a series of workshops. A facilitator
// ends a workshop and prepares the next one in one click from the end's
// banner: they land in it, with its own links (invite and facilitator, the
// new key), its statement the old final text, a link back to the previous
// workshop and to the partnership. The previous workshop then offers the
// way forward. The partnership page lists both in order with what changed
// in the second and by which organisation (the word diff); a participant's
// view has no workshop links. Screenshots, desktop and phone; axe at zero.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT } from './harness.js';
import { setupFile, axe, badTypography, until, PHONE, NNBSP } from './i12.js';
import { statement, noProblems, typeAt, connected } from './helpers.js';

const env = await setupFile();
const SHOTS = path.join(ROOT, 'tests/browser/screenshots');

test('end, prepare the next workshop in one click, land in it with its own links, see the change on the partnership page', async (t) => {
  const w = await env.workshop(t, { title: 'Fonds commun', text: `Quoi${NNBSP}?\n` });
  const { fac } = w;
  await typeAt(fac, 'Un fonds commun.');
  await until(async () => (await statement(fac)).endsWith('Un fonds commun.'), { message: 'typed' });
  await fac.locator('#connection-status.status-connected').waitFor();
  const final1 = await statement(fac);

  await fac.locator('#end-workshop').click();
  await fac.locator('#end-confirm-yes').click();
  const next = fac.locator('#prepare-next');
  await next.waitFor();
  assert.equal(await next.textContent(), "Préparer l'atelier suivant");
  await axe(fac, 'ended, with "prepare the next workshop"');
  await fac.screenshot({ path: path.join(SHOTS, 'series-ended-desktop-fr.png') });

  // One click: the next workshop opens, with its own links.
  await next.click();
  await fac.waitForURL((u) => /#\/w\/[A-Za-z0-9_-]{22}$/.test(u.hash) && !u.hash.includes(w.id), { timeout: 15000 });
  const id2 = /#\/w\/([A-Za-z0-9_-]{22})$/.exec(new URL(fac.url()).hash)[1];
  await connected(fac);
  assert.equal(await statement(fac), final1, 'it starts from the previous final text');
  const invite = await fac.locator('#invite-link').inputValue();
  assert.ok(invite.endsWith(`#/w/${id2}`), invite);
  const facLink = await fac.locator('#facilitator-link').inputValue();
  assert.ok(facLink.includes(`#/w/${id2}?key=`) && !facLink.includes(w.facilitator_key), 'a key of its own');
  await fac.locator('#series-prev', { hasText: 'Atelier précédent' }).waitFor();
  assert.ok((await fac.locator('#series-prev').getAttribute('href')).endsWith(`#/w/${w.id}`));
  await fac.locator('#series-partnership-link', { hasText: 'Fonds commun' }).waitFor();
  await fac.locator('#series-carried', { hasText: `reprend l'énoncé final de «${NNBSP}Fonds commun${NNBSP}»` }).waitFor();
  await axe(fac, 'the next workshop, its links open');
  assert.deepEqual(await badTypography(fac), []);
  await fac.screenshot({ path: path.join(SHOTS, 'series-next-workshop-desktop-fr.png') });

  // A change in the second workshop.
  await typeAt(fac, ' Et solidaire.');
  await until(async () => (await statement(fac)).endsWith('Et solidaire.'), { message: 'typed again' });
  // Stored (the server has it) before the page reads the partnership.
  const pid = /#\/partnership\/([A-Za-z0-9_-]+)/.exec(await fac.locator('#series-partnership-link').getAttribute('href'))[1];
  await until(async () => {
    const r = await fetch(`${env.server.url}/api/partnerships/${pid}`);
    const p = await r.json();
    return p.workshops.length === 2 && p.workshops[1].text.endsWith('Et solidaire.');
  }, { message: 'the edit is stored' });

  // The partnership page, from the link.
  await fac.locator('#series-partnership-link').click();
  await fac.locator('#partnership-title', { hasText: 'Fonds commun' }).waitFor();
  const items = fac.locator('.series-workshop');
  await until(async () => (await items.count()) === 2, { message: 'two workshops' });
  assert.match(await items.nth(0).textContent(), /1\. Fonds commun.*Terminé/);
  assert.match(await items.nth(1).textContent(), /2\. Fonds commun.*En cours/);
  assert.ok((await items.nth(1).locator('a').first().getAttribute('href')).endsWith(`#/w/${id2}`), 'links for the facilitator');
  await until(async () => (await items.nth(1).locator('ins').textContent()).includes('Et solidaire.'), { message: 'the change, word by word' });
  await items.nth(1).locator('.series-orgs li', { hasText: 'Ville de Lyon' }).waitFor();
  assert.match(await items.nth(1).locator('.series-orgs').textContent(), /Ville de Lyon 14 caractères insérés, 0 supprimés/);
  await items.nth(1).locator('h3', { hasText: "Ce qui a changé depuis l'atelier précédent" }).waitFor();
  await fac.locator('#partnership-export-md').waitFor();
  await axe(fac, 'partnership page (facilitator)');
  assert.deepEqual(await badTypography(fac), []);
  await fac.screenshot({ path: path.join(SHOTS, 'series-partnership-desktop-fr.png'), fullPage: true });
  const [download] = await Promise.all([fac.waitForEvent('download'), fac.locator('#partnership-export-md').click()]);
  assert.match(download.suggestedFilename(), /^partenariat-.*-resume-fr\.md$/);

  // The previous workshop now offers the way forward.
  await fac.goto(`${env.server.url}/#/w/${w.id}`);
  await fac.locator('#ended-next', { hasText: 'Atelier suivant' }).waitFor();
  assert.ok((await fac.locator('#ended-next').getAttribute('href')).endsWith(`#/w/${id2}`));
  assert.equal(await fac.locator('#prepare-next').count(), 0, 'once only');

  // From the replay page too; an open workshop cannot be continued, and the page says why.
  await fac.goto(`${env.server.url}/#/w/${id2}/replay`);
  await fac.locator('#replay-prepare-next').click();
  await fac.locator('#replay-export-status', { hasText: "l'atelier doit être terminé" }).waitFor();
  assert.match(new URL(fac.url()).hash, new RegExp(`#/w/${id2}/replay$`), 'stays there');

  // A participant's view, on a phone: the same page without workshop links.
  const phone = await env.page(t, { viewport: PHONE });
  await phone.goto(`${env.server.url}/#/partnership/${pid}`);
  await phone.locator('#partnership-title').waitFor();
  await until(async () => (await phone.locator('.series-workshop').count()) === 2, { message: 'two workshops (phone)' });
  assert.equal(await phone.locator('.series-workshop-title a').count(), 0, 'no links in the public view');
  assert.equal(await phone.locator('#partnership-export-md').count(), 0);
  await phone.locator('.series-workshop ins', { hasText: 'Et solidaire.' }).waitFor();
  assert.equal(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'no sideways scrolling');
  await axe(phone, 'partnership page (public, phone)');
  await phone.screenshot({ path: path.join(SHOTS, 'series-partnership-phone-fr.png'), fullPage: true });
  noProblems(fac, phone);
});
