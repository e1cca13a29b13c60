// Issue 16, items 3, 4 and 5, in real browsers against the real server and
// Redis: the facilitator selects a passage of the statement and makes a
// ranking poll about it; a participant on a phone orders the choices with
// the keyboard (the up/down buttons), one on a desktop by dragging a handle
// with the mouse, two more people by the protocol; the results chart the
// Borda points with the breakdown by organisation; the facilitator edits
// the passage after the first vote and everyone sees that it changed, with
// the word difference; the organisations diverge and the facilitator puts
// the poll on the "to discuss" list in one click, which everyone sees; the
// replay shows the passage changed and the list.
// Screenshots desktop and phone; axe at zero.
import test from 'node:test';
import assert from 'node:assert/strict';
import { artifact } from './harness.js';
import { setupFile, axe, badTypography, until, PHONE, NNBSP } from './i12.js';
import { converged, noProblems } from './helpers.js';

const env = await setupFile();
const TEXT = "Nous voulons plus d'emplois locaux.\n";

/** The order of the choices on a page's ballot, as their texts. */
const order = (page) => page.locator('.rank-list .rank-text').allTextContents();

test('a ranking poll about a passage: keyboard on a phone, drag on a desktop, results, the passage changed, to discuss', async (t) => {
  const w = await env.workshop(t, { text: TEXT });
  const { fac } = w;
  const lea = await env.guest(t, w, 'Léa', 'Asso Entraide', { viewport: PHONE });
  const jean = await env.guest(t, w, 'Jean', 'Banque Solidaire');

  // The facilitator selects "plus d'emplois" with the keyboard, then "Sondage sur ce passage".
  const ta = fac.locator('#statement');
  await ta.focus();
  await ta.evaluate((el) => el.setSelectionRange(13, 13));
  for (let i = 0; i < "plus d'emplois".length; i++) await fac.keyboard.press('Shift+ArrowRight');
  await fac.locator('#poll-passage').click();
  const form = fac.locator('.poll-form');
  await form.locator('.passage-quote', { hasText: "plus d'emplois" }).waitFor();
  await form.locator('.poll-question-input').fill(`Dans quel ordre traiter ces chantiers${NNBSP}?`);
  await form.locator('input[value="rank"]').check();
  await form.locator('.choice-input').nth(0).fill('Emploi');
  await form.locator('.choice-input').nth(1).fill('Logement');
  await form.locator('[data-action="add-choice"]').click();
  await form.locator('.choice-input').nth(2).fill('Mobilité');
  await form.locator('input[name="threshold"]').fill('2');
  await form.locator('[data-action="launch"]').click();
  const card = (p) => p.locator('article.poll-card', { hasText: 'Dans quel ordre' });
  await card(fac).waitFor();
  const pollId = await card(fac).getAttribute('data-poll-id');
  for (const p of [fac, lea, jean]) await card(p).locator('.passage-quote', { hasText: "plus d'emplois" }).waitFor();

  // Léa, on a phone, with the keyboard: Mobilité up twice, then cast.
  await until(async () => (await order(lea)).length === 3, { message: 'the ballot on the phone' });
  assert.deepEqual(await order(lea), ['Emploi', 'Logement', 'Mobilité']);
  const up = card(lea).locator('.rank-up[aria-label*="Mobilité"]');
  await up.focus();
  await lea.keyboard.press('Enter');
  await until(async () => (await order(lea))[1] === 'Mobilité', { message: 'moved up once' });
  await card(lea).locator('.rank-up[aria-label*="Mobilité"]').focus();
  await lea.keyboard.press('Space');
  await until(async () => (await order(lea))[0] === 'Mobilité', { message: 'moved up twice' });
  assert.deepEqual(await order(lea), ['Mobilité', 'Emploi', 'Logement']);
  await lea.screenshot({ path: artifact('rank-phone-ballot.png') });
  await card(lea).locator('[data-action="rank-cast"]').click();
  await card(lea).locator('[data-action="rank-cast"]', { hasText: 'Classement enregistré' }).waitFor();

  // Jean, on a desktop, drags Logement above Emploi with the mouse.
  await until(async () => (await order(jean)).length === 3, { message: 'the ballot on the desktop' });
  const handle = card(jean).locator('.rank-item', { hasText: 'Logement' }).locator('.rank-handle');
  await card(jean).locator('.rank-list').scrollIntoViewIfNeeded();
  const first = await card(jean).locator('.rank-item').first().boundingBox();
  const hb = await handle.boundingBox();
  await jean.mouse.move(hb.x + hb.width / 2, hb.y + hb.height / 2);
  await jean.mouse.down();
  await jean.mouse.move(hb.x + hb.width / 2, first.y + 5, { steps: 8 });
  await jean.mouse.up();
  await until(async () => (await order(jean))[0] === 'Logement', { message: 'dragged to the top' });
  assert.deepEqual(await order(jean), ['Logement', 'Emploi', 'Mobilité']);
  await card(jean).locator('[data-action="rank-cast"]').click();
  await card(jean).locator('[data-action="rank-cast"]', { hasText: 'Classement enregistré' }).waitFor();

  // One more member of each organisation, by the protocol: Asso agree with
  // Léa, Banque with Jean's reverse of it. Asso M, E, L; Banque L, E, M.
  const asso = await env.participant('Marc', 'Asso Entraide', { workshop: w.id });
  const banque = await env.participant('Nadia', 'Banque Solidaire', { workshop: w.id });
  assert.equal((await asso.vote(pollId, [2, 0, 1])).type, 'my_ballot');
  assert.equal((await banque.vote(pollId, [1, 0, 2])).type, 'my_ballot');

  // The results: Borda points by choice, with the breakdown by organisation (live for everyone).
  const results = card(fac).locator('.rank-results');
  await until(async () => (await results.locator(':scope > li').count()) === 3 &&
    (await card(fac).locator('.pill-divergent').count()) === 1, { message: 'results with divergent organisations' });
  const rows = await results.locator(':scope > li').evaluateAll((els) => els.map((e) => [e.querySelector('.bar-choice').textContent, e.dataset.borda]));
  // Emploi 1+1+1+1 = 4, Mobilité 2+2+0+0 = 4, Logement 0+0+2+2 = 4: all tied, in the poll's order.
  assert.deepEqual(rows, [['Emploi', '4'], ['Logement', '4'], ['Mobilité', '4']]);
  assert.equal(await results.locator(':scope > li').first().locator('.org-bar').count(), 2, 'two organisations broken out');
  await card(fac).locator('.org-bar-name', { hasText: 'Asso Entraide' }).first().waitFor();
  await fac.screenshot({ path: artifact('rank-results-desktop.png'), fullPage: true });

  // The facilitator edits the passage after the first vote, typing inside it.
  await ta.focus();
  await ta.evaluate((el) => el.setSelectionRange(26, 26));
  await fac.keyboard.type('s dur', { delay: 20 });
  await converged([fac, lea, jean]);
  for (const p of [fac, lea, jean]) {
    const changed = card(p).locator('.passage-changed');
    await changed.waitFor();
    assert.match(await changed.textContent(), /Le passage a changé depuis le premier vote/);
    // "plus d'emploi|s" + "s dur" typed inside: "plus d'emplois durs", the difference marked.
    await card(p).locator('.passage-quote', { hasText: "plus d'emplois durs" }).waitFor();
    assert.match((await changed.locator('ins').allTextContents()).join(' '), /durs/);
  }
  await lea.screenshot({ path: artifact('rank-phone-passage-changed.png'), fullPage: true });

  // Divergent: "Mettre à discuter", one click; everyone gets the list.
  await card(fac).locator('[data-action="discuss-add"]').click();
  await card(fac).locator('.discuss-note').waitFor();
  for (const p of [fac, lea, jean]) await p.locator('#discuss:not([hidden]) .discuss-item', { hasText: 'Dans quel ordre' }).waitFor();
  await lea.locator('#discuss').scrollIntoViewIfNeeded();
  await lea.screenshot({ path: artifact('rank-phone-discuss.png') });
  // Ticked off by the facilitator: struck through everywhere.
  await fac.locator('#discuss input[type="checkbox"]').check();
  await jean.locator('#discuss .discuss-item.is-done').waitFor();
  await fac.locator('#discuss').scrollIntoViewIfNeeded();
  await fac.screenshot({ path: artifact('rank-discuss-desktop.png') });

  await axe(fac, 'facilitator: ranking results, passage changed, to discuss');
  await axe(lea, 'phone: ranking ballot cast, passage changed');
  await axe(jean, 'desktop participant');
  assert.deepEqual(await badTypography(lea), []);
  assert.deepEqual(await badTypography(fac), []);

  // English.
  await jean.locator('#lang-switch').click();
  await card(jean).locator('.passage-changed', { hasText: 'The passage changed since the first vote' }).waitFor();
  await jean.locator('#discuss .panel-title', { hasText: 'To discuss' }).waitFor();

  // The replay, at the end of the session: the passage changed, the list to discuss ticked off.
  const rp = await env.page(t);
  await rp.goto(`${w.invite}/replay`);
  await rp.locator('#replay-slider:not([disabled])').waitFor();
  await rp.locator('.replay-loading').waitFor({ state: 'hidden' });
  await rp.locator('#replay-polls .passage-changed', { hasText: 'Le passage a changé depuis le premier vote' }).waitFor();
  await rp.locator('.replay-discuss:not([hidden]) .discuss-item.is-done', { hasText: 'Dans quel ordre' }).waitFor();
  await rp.screenshot({ path: artifact('rank-replay.png'), fullPage: true });
  await axe(rp, 'replay: passage changed, list to discuss');
  noProblems(fac, lea, jean, rp);
});
