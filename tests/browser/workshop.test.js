// The workshop page in a real browser (Debian's Chromium) against the real
// server and a real Redis: start a workshop, join from a link (also with the
// keyboard alone), co-edit from three browsers at once, untrusted text shown
// as text, both languages, and screenshots for a human to look at.
import test from 'node:test';
import assert from 'node:assert/strict';
import { setup, artifact, until, apiCreate, serverText } from './harness.js';
import { join, connected, statement, typeAt, converged, count, noProblems } from './helpers.js';

const { server, newPage } = await setup();

let shared = null; // the workshop made through the home page, reused below

test('home: a facilitator starts a workshop and lands in it with both links', async () => {
  const page = await newPage();
  await page.goto(`${server.url}/`);
  await assert.doesNotReject(page.locator('h1', { hasText: 'Lancer un atelier' }).waitFor());
  assert.equal(await page.getAttribute('html', 'lang'), 'fr');

  // Empty form: errors are shown and tied to their fields.
  await page.locator('#home-create').click();
  assert.equal(await page.getAttribute('#home-title', 'aria-invalid'), 'true');
  assert.match(await page.getAttribute('#home-title', 'aria-describedby'), /home-title-error/);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'home-title');

  await page.locator('#home-title').fill('Partenariat Ville – Banque – Association');
  await page.locator('#home-name').fill('Awa');
  await page.locator('#home-org').fill('Ville de Lyon');
  await page.screenshot({ path: artifact('home-fr.png'), fullPage: true });
  await page.locator('#home-create').click();
  await connected(page);

  const text = await statement(page);
  // French typography: a narrow no-break space before the question marks.
  assert.equal(text, 'Quoi\u202f?\n\nPourquoi\u202f?\n\nComment\u202f?\n', 'the method template');
  assert.match(page.url(), /#\/w\/[A-Za-z0-9_-]+$/, 'the key is not left in the address bar');
  const invite = await page.inputValue('#invite-link');
  const facilitator = await page.inputValue('#facilitator-link');
  assert.match(invite, /^http:\/\/127\.0\.0\.1:\d+\/#\/w\/[A-Za-z0-9_-]+$/);
  assert.match(facilitator, /#\/w\/[A-Za-z0-9_-]+\?key=[A-Za-z0-9_-]{20,}$/, 'key in the fragment');
  assert.ok(facilitator.startsWith(invite));
  await page.locator('#invite-copy').click();
  await until(async () => /Copié|Copie impossible/.test(await page.locator('#invite-copy').textContent()), { message: 'copy feedback' });
  await page.locator('.person', { hasText: 'Awa' }).locator('.badge-facilitator').waitFor();
  shared = { page, invite, facilitator, id: invite.split('/w/')[1] };
  noProblems(page);
});

test('join: keyboard alone, from the invite link, with organisations suggested', async () => {
  assert.ok(shared, 'needs the workshop from the first test');
  const page = await newPage();
  await page.goto(shared.invite);
  await page.locator('#join-name').waitFor();
  await page.locator('.chip', { hasText: 'Ville de Lyon' }).waitFor();
  await page.screenshot({ path: artifact('join-fr.png'), fullPage: true });

  // The name field has the focus; everything else is Tab, typing and keys.
  assert.equal(await page.evaluate(() => document.activeElement.id), 'join-name');
  await page.keyboard.type('Jean');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'join-org');
  await page.keyboard.type('Banque');
  await page.keyboard.press('Tab'); // the "Ville de Lyon" suggestion
  assert.equal(await page.evaluate(() => document.activeElement.className), 'chip');
  await page.keyboard.press('Tab'); // the submit button
  assert.equal(await page.evaluate(() => document.activeElement.id), 'join-submit');
  await page.keyboard.press('Enter');
  await connected(page);

  // The editor takes the focus: type straight away.
  await until(() => page.evaluate(() => document.activeElement && document.activeElement.id === 'statement'), { message: 'editor focus' });
  await page.keyboard.press('Control+End');
  await page.keyboard.type('Un résultat partagé.');
  await until(async () => (await statement(shared.page)).endsWith('Un résultat partagé.'), { message: 'text at the facilitator' });

  // The toggle works from the keyboard too.
  const toggle = page.locator('#authorship-toggle');
  await toggle.focus();
  await page.keyboard.press('Space');
  assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
  await page.locator('#authorship-legend li', { hasText: 'Banque' }).waitFor();

  // Presence, at the facilitator: grouped by organisation, facilitator marked.
  const groups = shared.page.locator('.org-group');
  await until(async () => (await groups.count()) === 2, { message: 'two organisations' });
  assert.deepEqual(await shared.page.locator('.presence .org-name').allTextContents(), ['Banque', 'Ville de Lyon']);
  shared.jean = page;
  noProblems(page, shared.page);
});

test('three browsers typing at the same time converge, accents and emoji included', async (t) => {
  assert.ok(shared?.jean, 'needs the two pages of the previous tests');
  const ines = await newPage(undefined, t);
  await join(ines, shared.invite, 'Inès', 'Association des Habitants');
  const pages = [shared.page, shared.jean, ines];
  await converged(pages);

  // Everyone at the end of the text at once: the same spot.
  const typed = ['Xç😀', 'Yñ🎉', 'Zø✨'];
  await Promise.all(pages.map((p, i) => typeAt(p, typed[i].repeat(4), { delay: 10 })));
  // Then each in a different section, at once.
  await converged(pages);
  const headings = ['Quoi\u202f?', 'Pourquoi\u202f?', 'Comment\u202f?'];
  const marks = [' [Ville]', ' [Banque]', ' [Habitants]'];
  await Promise.all(pages.map((p, i) => typeAt(p, marks[i], { after: headings[i], delay: 10 })));

  const text = await converged(pages);
  assert.equal(await serverText(server.url, shared.id), text, 'the server holds the same text');
  for (const s of typed) for (const ch of s) assert.equal(count(text, ch), 4, `${ch} neither lost nor doubled`);
  for (const m of marks) assert.equal(count(text, m), 1, m);
  for (const [i, h] of headings.entries()) assert.equal(count(text, `${h}${marks[i]}`), 1, `${marks[i]} after ${h}`);

  // Remote carets carry names; the local caret was never moved by others' typing.
  await until(async () => (await shared.page.locator('.rcaret-label').allTextContents()).sort().join() === 'Inès,Jean', { message: 'remote carets' });
  // Someone typing shows in the presence list.
  await typeAt(ines, '!', { at: 'end' });
  await shared.page.locator('.person.is-typing', { hasText: 'Inès' }).waitFor();

  await shared.page.locator('#authorship-toggle').click();
  await shared.page.screenshot({ path: artifact('workshop-fr.png'), fullPage: true });
  noProblems(...pages);
});

test('a remote edit does not move the local caret or lose the selection', async (t) => {
  const { facilitator_key: key, id } = await apiCreate(server.url, 'Caret', 'Quoi 😀 ? Pourquoi ?');
  const a = await newPage(undefined, t);
  await a.goto(`${server.url}/#/w/${id}?key=${key}`);
  await a.locator('#join-name').fill('Awa');
  await a.locator('#join-org').fill('Ville');
  await a.locator('#join-submit').click();
  await connected(a);
  const b = await newPage(undefined, t);
  await join(b, `${server.url}/#/w/${id}`, 'Jean', 'Banque');

  // a selects "Pourquoi" (after the emoji: UTF-16 offsets 10..18).
  await a.locator('#statement').evaluate((el) => { el.focus(); el.setSelectionRange(10, 18); });
  await typeAt(b, '🎉é ', { at: 0 });
  await until(async () => (await statement(a)).startsWith('🎉é '), { message: 'remote edit at a' });
  const sel = await a.locator('#statement').evaluate((el) => el.value.slice(el.selectionStart, el.selectionEnd));
  assert.equal(sel, 'Pourquoi');
  noProblems(a, b);
});

test('names, organisations and titles are shown as text, never as HTML', async (t) => {
  const evil = '<img src=x onerror=alert(1)>';
  const { facilitator_key: key, id } = await apiCreate(server.url, '<script>alert("t")</script> Atelier', '<b>gras</b>');
  const a = await newPage(undefined, t);
  await a.goto(`${server.url}/#/w/${id}?key=${key}`);
  await a.locator('#join-name').fill('Awa');
  await a.locator('#join-org').fill('Ville');
  await a.locator('#join-submit').click();
  await connected(a);
  const b = await newPage(undefined, t);
  await join(b, `${server.url}/#/w/${id}`, evil, `<i>${evil}</i>`);
  await typeAt(b, ' <svg onload=alert(2)>');

  await a.locator('.person-name', { hasText: evil }).waitFor();
  assert.equal(await a.locator('.presence .org-name').filter({ hasText: '<i>' }).count(), 1);
  // The facilitator's balance names the organisation too, as text.
  await a.locator('#balance .org-name').filter({ hasText: '<i>' }).waitFor();
  await until(async () => (await a.locator('.rcaret-label').allTextContents()).includes(evil), { message: 'caret label' });
  assert.equal(await a.locator('#workshop-title').textContent(), '<script>alert("t")</script> Atelier');
  assert.equal(await a.locator('img, svg:not(.swatch), script:not([src])').count(), 0, 'no element made from data');
  await until(async () => (await statement(a)).endsWith('<svg onload=alert(2)>'), { message: 'statement' });
  await a.locator('#authorship-toggle').click();
  assert.equal(await a.locator('.editor-backdrop svg, .editor-backdrop b').count(), 0);
  // Someone joining is announced in the live region, as text.
  const c = await newPage(undefined, t);
  await join(c, `${server.url}/#/w/${id}`, 'Zoé', 'Banque');
  await until(async () => (await a.locator('#announcer').textContent()).includes('Zoé (Banque)'), { message: 'arrival announced' });
  noProblems(a, b, c);
});

test('English: chosen for an English browser, switchable, remembered', async (t) => {
  const page = await newPage({ locale: 'en-GB' }, t);
  await page.goto(`${server.url}/`);
  await page.locator('h1', { hasText: 'Start a workshop' }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await page.screenshot({ path: artifact('home-en.png'), fullPage: true });
  await page.locator('#lang-switch').click();
  await page.locator('h1', { hasText: 'Lancer un atelier' }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'fr');
  await page.reload();
  await page.locator('h1', { hasText: 'Lancer un atelier' }).waitFor();

  // Switching inside a workshop relabels without touching the text.
  assert.ok(shared?.jean);
  await typeAt(shared.jean, ' (fin)');
  const before = await statement(shared.jean);
  await shared.jean.locator('#lang-switch').click();
  await shared.jean.locator('#statement-label', { hasText: 'Shared outcome statement' }).waitFor();
  assert.equal(await shared.jean.locator('#connection-status .status-label').textContent(), 'Connected');
  assert.equal(await statement(shared.jean), before);
  await shared.jean.locator('#lang-switch').click();
  noProblems(page);
});

test('tablet: the workshop is readable at 820×1180', async (t) => {
  assert.ok(shared);
  const page = await newPage({ viewport: { width: 820, height: 1180 } }, t);
  await join(page, shared.facilitator, 'Awa T.', 'Ville de Lyon'); // the facilitator, on a tablet
  await page.locator('.person', { hasText: 'Awa T.' }).locator('.badge-facilitator').waitFor();
  const box = await page.locator('#statement').boundingBox();
  assert.ok(box.width > 600, `editor is wide enough (${box.width}px)`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  assert.equal(overflow, false, 'no horizontal scrolling');
  await page.screenshot({ path: artifact('workshop-tablet-fr.png'), fullPage: true });
  noProblems(page);
});
