// Issue 12, items 8 and 9 on a 390×844 phone: the open poll one tap away
// (a banner at the bottom of the screen, not 1,100 px further down); the
// connection notice on one line, also offline; remote caret names inside the
// text box; a text answer written offline kept, shown as waiting and sent
// once on reconnect; a half-typed answer surviving a reload; axe at zero.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT } from './harness.js';
import { setupFile, axe, badTypography, until, PHONE, NNBSP } from './i12.js';
import { connected, noProblems } from './helpers.js';

const env = await setupFile();
const SHOTS = path.join(ROOT, 'tests/browser/screenshots');
const IMPACT = `Quel impact voulons-nous avoir en tant que groupe${NNBSP}?`;
const VISION = 'Nos organisations partagent la même vision du résultat visé.';
const card = (page, q) => page.locator('.poll-card', { has: page.locator('.poll-question', { hasText: q }) });
const inViewport = (loc) => loc.evaluate((e) => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0; });

test('phone: an open poll is one tap away, and the page passes axe', async (t) => {
  const w = await env.workshop(t, { text: `Quoi${NNBSP}?\n\nPourquoi${NNBSP}?\n\nComment${NNBSP}?\n${'Une ligne de plus.\n'.repeat(12)}` });
  const phone = await env.guest(t, w, 'Inès', 'Association des Habitants', { viewport: PHONE });
  await w.fac.locator('#poll-new-toggle').click();
  await w.fac.locator('[data-action="launch"][data-ready="vision"]').click();

  // Reading the top of the statement when the poll opens.
  await phone.evaluate(() => window.scrollTo(0, 0));
  const banner = phone.locator('#poll-banner');
  await banner.waitFor();
  await until(() => inViewport(banner), { message: 'the banner on screen without scrolling' });
  assert.match(await banner.textContent(), /Sondage ouvert/);
  const pollTop = await card(phone, VISION).evaluate((e) => e.getBoundingClientRect().top);
  assert.ok(pollTop > 844, `the poll itself is further down (${Math.round(pollTop)} px)`);
  await phone.screenshot({ path: path.join(SHOTS, 'phone-poll-banner-fr.png') });
  await axe(phone, 'phone, workshop with the banner');
  assert.deepEqual(await badTypography(phone), []);

  await phone.locator('#poll-banner-go').click();
  const first = card(phone, VISION).getByRole('radio').first();
  await until(() => inViewport(first), { message: 'the first choice in view' });
  assert.equal(await phone.evaluate(() => document.activeElement.type), 'radio', 'focus on the first choice');
  await card(phone, VISION).getByRole('radio', { name: /^4 ·/ }).check();
  await banner.waitFor({ state: 'hidden' });
  noProblems(phone, w.fac);
});

test('phone: the offline notice stays one line; caret names stay inside the text box', async (t) => {
  const line = 'Un résultat partagé par tous les partenaires du quartier';
  const w = await env.workshop(t, { text: `${line}\n` });
  const phone = await env.guest(t, w, 'Inès', 'Association des Habitants', { viewport: PHONE });
  // Awa's caret at the end of a line that reaches the right edge on the phone.
  await w.fac.locator('#statement').focus();
  await w.fac.locator('#statement').evaluate((el, n) => el.setSelectionRange(n, n), line.length);
  await w.fac.keyboard.type(' en 2030');
  const label = phone.locator('.rcaret-label:not(.folded)');
  await label.waitFor();
  const inside = async () => phone.evaluate(() => {
    const box = document.querySelector('.editor').getBoundingClientRect();
    return [...document.querySelectorAll('.rcaret-label')].every((l) => { const r = l.getBoundingClientRect(); return r.left >= box.left - 1 && r.right <= box.right + 1; });
  });
  await until(inside, { message: 'caret labels inside the text box' });

  await phone.context().setOffline(true);
  const status = phone.locator('#connection-status');
  await phone.locator('#connection-status.status-offline').waitFor();
  await phone.locator('#statement').focus();
  await phone.keyboard.press('Control+End');
  await phone.keyboard.type(' Écrit hors ligne.');
  await until(async () => (await status.locator('.status-detail').textContent()) !== '', { message: 'unsent edits said' });
  const oneLine = await status.evaluate((e) => {
    const lh = parseFloat(getComputedStyle(e).lineHeight) || 20;
    const r = e.getBoundingClientRect();
    return { height: r.height, lh, right: r.right, width: window.innerWidth };
  });
  assert.ok(oneLine.height < oneLine.lh * 2, `one line (${oneLine.height}px for ${oneLine.lh}px lines)`);
  assert.ok(oneLine.right <= oneLine.width, 'inside the screen');
  assert.equal(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'no sideways scrolling');
  await phone.screenshot({ path: path.join(SHOTS, 'phone-offline-fr.png') });
  await phone.context().setOffline(false);
  await connected(phone);
  noProblems(phone);
});

test('phone: a text answer written offline is kept, shown waiting, and sent once on reconnect', async (t) => {
  const w = await env.workshop(t);
  const phone = await env.guest(t, w, 'Inès', 'Association des Habitants', { viewport: PHONE });
  await w.fac.locator('#poll-new-toggle').click();
  await w.fac.locator('[data-action="launch"][data-ready="impact"]').click();
  const pc = card(phone, IMPACT);
  await pc.locator('.answer-input').waitFor();

  await phone.context().setOffline(true);
  await phone.locator('#connection-status.status-offline').waitFor();
  await pc.locator('.answer-input').fill('Écrit dans le tram');
  await pc.locator('[data-action="add-answer"]').click();
  // Kept and shown as waiting, no error.
  await pc.locator('.answer.is-pending', { hasText: 'Écrit dans le tram' }).locator('.badge-pending', { hasText: "en attente d'envoi" }).waitFor();
  assert.equal(await pc.locator('.answer-input').inputValue(), '');
  assert.equal(await pc.locator('.field-error, .form-error, .tone-error').count(), 0, 'no error');
  // It survives a reload while still offline... and is sent once back online.
  await phone.context().setOffline(false);
  await connected(phone);
  const fc = card(w.fac, IMPACT);
  await fc.locator('.answer-text', { hasText: 'Écrit dans le tram' }).waitFor();
  await pc.locator('.answer.is-mine:not(.is-pending)', { hasText: 'Écrit dans le tram' }).waitFor();
  assert.equal(await pc.locator('.answer.is-pending').count(), 0);
  // Once, also after a reload (nothing left to resend).
  await phone.reload();
  await connected(phone);
  await pc.locator('.answer-text', { hasText: 'Écrit dans le tram' }).waitFor();
  await until(async () => (await fc.locator('.answer-text', { hasText: 'Écrit dans le tram' }).count()) === 1, { message: 'exactly once' });
  noProblems(w.fac);
});

test('a half-typed answer survives a reload', async (t) => {
  const w = await env.workshop(t);
  const phone = await env.guest(t, w, 'Inès', 'Association des Habitants', { viewport: PHONE });
  await w.fac.locator('#poll-new-toggle').click();
  await w.fac.locator('[data-action="launch"][data-ready="impact"]').click();
  const pc = card(phone, IMPACT);
  await pc.locator('.answer-input').fill('Un réseau qui du');
  await phone.reload();
  await connected(phone);
  await until(async () => (await pc.locator('.answer-input').inputValue()) === 'Un réseau qui du', { message: 'the draft is back' });
  await pc.locator('.answer-input').press('End');
  await phone.keyboard.type('re');
  await pc.locator('[data-action="add-answer"]').click();
  await card(w.fac, IMPACT).locator('.answer-text', { hasText: 'Un réseau qui dure' }).waitFor();
  await phone.reload();
  await connected(phone);
  await pc.locator('.answer-text', { hasText: 'Un réseau qui dure' }).waitFor();
  assert.equal(await pc.locator('.answer-input').inputValue(), '', 'sent: the draft is gone');
  noProblems(phone, w.fac);
});
