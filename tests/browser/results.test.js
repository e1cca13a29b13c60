// Issue 12, items 1–3 and 6–7 in the side panel at 1280 px: organisation
// names are never cut; the threshold is explained before opening and in
// the results; organisation answers show every organisation by name with
// who set its answer; text polls list each answer once; "Lancer" opens a
// ready-made question with live results in one click, and a draft stays
// possible; revealing does not need closing; each person reads ready-made
// questions in their language; French typography on screen. Screenshots of
// results at one person per organisation go to tests/browser/screenshots/.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT } from './harness.js';
import { setupFile, axe, notCut, badTypography, until, NNBSP } from './i12.js';
import { noProblems } from './helpers.js';

const env = await setupFile();
const SHOTS = path.join(ROOT, 'tests/browser/screenshots');
const SHARED = `Ce résultat est-il commun à toutes les organisations partenaires, ou propre à la vôtre${NNBSP}?`;
const SHARED_EN = 'Is this outcome shared by all partner organisations, or specific to yours?';
const IMPACT = `Quel impact voulons-nous avoir en tant que groupe${NNBSP}?`;
const ORGS = [['Jean', 'Banque Populaire Auvergne-Rhône-Alpes'], ['Inès', 'Association des Habitants du Quartier de la Guillotière'], ['Omar', 'Métropole de Lyon']];
const card = (page, q) => page.locator('.poll-card', { has: page.locator('.poll-question', { hasText: q }) });

test('one person per organisation: the ready-made question asked of organisations, launched in one click', async (t) => {
  const w = await env.workshop(t);
  const { fac } = w;
  const [jean, ines] = await Promise.all([env.guest(t, w, ...ORGS[0]), env.guest(t, w, ...ORGS[1], { locale: 'en-GB' })]);
  const omar = await env.participant(...ORGS[2], { workshop: w.id });

  // Before opening: who answers, in words.
  await fac.locator('#poll-new-toggle').click();
  const ready = fac.locator('.ready-item', { has: fac.locator('[data-ready="shared"]') });
  assert.match(await ready.locator('.ready-kind').textContent(), /Réponse par organisation/);
  await ready.locator('[data-action="launch"]').click();
  const fc = card(fac, SHARED);
  await fc.and(fac.locator('[data-state="open"]')).waitFor();
  await fc.locator('[data-action="vis-live"][aria-pressed="true"]').waitFor();
  assert.equal(await fac.evaluate(() => document.activeElement.dataset.action), 'close', 'focus on the next step: closing');
  // Answers given openly, by name: no warning about guessing who voted what.
  assert.equal(await fc.locator('.live-warning').count(), 0, 'no secret-ballot warning on organisation answers');

  // Each person reads it in their language (when the server keeps translations).
  await card(jean, SHARED).waitFor();
  await card(ines, SHARED_EN).waitFor();

  const pollId = await fc.getAttribute('data-poll-id');
  await card(jean, SHARED).getByRole('radio', { name: 'Commun à toutes les organisations' }).check();
  await card(jean, SHARED).locator('.poll-status', { hasText: 'enregistré' }).waitFor();
  const inesCard = card(ines, SHARED_EN);
  await inesCard.getByRole('radio').nth(1).check();
  await omar.vote(pollId, 0);
  await fc.locator('.results-count', { hasText: '3' }).waitFor();

  // Every organisation by name, under the choice it gave, and who set it.
  await fc.locator('.results-count', { hasText: '3 organisations ont répondu' }).waitFor();
  for (const [name, org] of ORGS) {
    await fc.locator('.org-chose .org-chip-name', { hasText: org }).waitFor();
    await fc.locator('.set-by-list li', { hasText: `${org}${NNBSP}: réponse choisie par ${name}` }).waitFor();
  }
  // Three organisations, three colours (issue 12, item 8: each organisation
  // of a workshop has its own colour slot; with the old hash of names, the
  // Banque and the Métropole shared one), the same on every page.
  const chipColours = (page) => card(page, page === jean ? SHARED : SHARED_EN).locator('.org-chose .org-chip').evaluateAll((lis) =>
    Object.fromEntries(lis.map((li) => [li.querySelector('.org-chip-name').textContent, getComputedStyle(li.querySelector('.swatch')).backgroundColor])));
  const facColours = await fc.locator('.org-chose .org-chip').evaluateAll((lis) =>
    Object.fromEntries(lis.map((li) => [li.querySelector('.org-chip-name').textContent, getComputedStyle(li.querySelector('.swatch')).backgroundColor])));
  assert.equal(Object.keys(facColours).length, 3, JSON.stringify(facColours));
  assert.equal(new Set(Object.values(facColours)).size, 3, `three organisations, three colours: ${JSON.stringify(facColours)}`);
  await until(async () => JSON.stringify(await chipColours(jean)) === JSON.stringify(facColours), { message: 'the same colours on Jean\'s page' });
  await fc.locator('.threshold-note', { hasText: 'Une réponse par organisation' }).waitFor();
  await fc.locator('.alignment .pill-partly_aligned, .alignment .pill-divergent').waitFor();
  // A colleague's answer is the organisation's: Jean sees who set it.
  await card(jean, SHARED).locator('.set-by', { hasText: 'Réponse choisie par vous.' }).waitFor();
  assert.deepEqual(await notCut(fac.locator('.org-chip-name, .org-bar-name, .set-by-list li')), [], 'names whole at 1280 px');
  assert.deepEqual(await badTypography(fac), []);
  await fac.evaluate(() => window.scrollTo(0, 0));
  await fc.screenshot({ path: path.join(SHOTS, 'results-one-per-organisation-fr.png') });
  await axe(fac, 'polls panel, organisation answers', '#polls');
  noProblems(fac, jean, ines);
});

test('person-level polls: the threshold set and explained before opening, said in the results; names whole at 1280 px', async (t) => {
  const w = await env.workshop(t);
  const { fac } = w;
  await fac.locator('#poll-new-toggle').click();
  await fac.locator('#poll-blank').click();
  const form = fac.locator('.poll-form');
  await form.locator('textarea[name="question"]').fill('Quelle priorité pour la première année ?');
  await form.locator('[data-action="add-choice"]').click();
  for (const [i, c] of ['Emploi des jeunes', 'Logement', 'Mobilité'].entries()) await form.locator('.choice-input').nth(i).fill(c);
  // The threshold, with why, in the form.
  const threshold = form.locator('input[name="threshold"]');
  assert.equal(await threshold.inputValue(), '3');
  const hintId = await threshold.getAttribute('aria-describedby');
  assert.match(await fac.locator(`#${hintId}`).textContent(), /personne ne puisse deviner ce qu'une personne a répondu/);
  await threshold.fill('1');
  await form.locator('[data-action="save"]').click();
  await form.locator('.field-error', { hasText: 'Un nombre entier de 2 à 10.' }).waitFor();
  await threshold.fill('2');
  await form.locator('[data-action="save"]').click();
  const fc = card(fac, 'Quelle priorité');
  await fc.and(fac.locator('[data-state="draft"]')).waitFor();
  // Before opening: said in plain words on the draft.
  const expected = 2;
  await fc.locator('.mode-hint', { hasText: `Ventilation par organisation à partir de ${expected} répondant·es` }).waitFor();
  // Revealing results does not need closing first.
  await fc.locator('[data-action="open"]').click();
  // A person-level poll: the plain-language warning next to "live".
  await fc.locator('.live-warning', { hasText: 'on peut alors deviner qui a voté quoi' }).waitFor();
  await fc.locator('[data-action="vis-revealed"]').click();
  await fc.locator('[data-action="vis-revealed"][aria-pressed="true"]').waitFor();
  assert.equal(await fc.getAttribute('data-state'), 'open');

  const pollId = await fc.getAttribute('data-poll-id');
  const long = 'Association des Habitants du Quartier de la Guillotière';
  for (const [name, org, v] of [['A', long, 0], ['B', long, 0], ['C', long, 1], ['D', 'Banque Populaire Auvergne-Rhône-Alpes', 2], ['E', 'Banque Populaire Auvergne-Rhône-Alpes', 2], ['F', 'Banque Populaire Auvergne-Rhône-Alpes', 2]]) {
    await (await env.participant(name, org, { workshop: w.id })).vote(pollId, v);
  }
  await fc.locator('.results-count', { hasText: '6 personnes ont répondu' }).waitFor();
  await fc.locator('.org-bar-name', { hasText: long }).first().waitFor();
  assert.deepEqual(await notCut(fc.locator('.org-bar-name')), [], 'no organisation name cut at 1280 px');
  await fc.locator('.threshold-note', { hasText: `Ventilation par organisation à partir de ${expected} répondant·es.` }).waitFor();
  await fc.locator('.alignment-detail', { hasText: 'sur une échelle de 0 (mêmes réponses) à 1 (aucune réponse en commun)' }).waitFor();
  await fc.screenshot({ path: path.join(SHOTS, 'results-breakdown-1280-fr.png') });
  noProblems(fac);
});

test('a text poll lists each answer once, its upvotes beside it', async (t) => {
  const w = await env.workshop(t);
  const { fac } = w;
  const jean = await env.guest(t, w, 'Jean', 'Banque');
  await fac.locator('#poll-new-toggle').click();
  await fac.locator('[data-action="launch"][data-ready="impact"]').click();
  const jc = card(jean, IMPACT);
  for (const text of ['Un réseau qui dure', 'Moins de jeunes sans solution']) {
    await jc.locator('.answer-input').fill(text);
    await jc.locator('[data-action="add-answer"]').click();
    await jc.locator('.answer-text', { hasText: text }).waitFor();
  }
  const fc = card(fac, IMPACT);
  await fc.locator('.answer[data-answer-id]', { hasText: 'Un réseau qui dure' }).locator('[data-action="moderate-answer"]').waitFor();
  await fc.locator('.answer', { hasText: 'Moins de jeunes' }).locator('.answer-upvotes').waitFor();
  // Upvotes with no organisation chips yet: nothing else written beside them.
  assert.deepEqual(await fc.locator('.answer-stats').evaluateAll((els) => els.map((e) => e.textContent).filter((x) => /null|undefined/.test(x))), []);
  for (const p of [fac, jean]) {
    for (const text of ['Un réseau qui dure', 'Moins de jeunes sans solution']) {
      assert.equal(await card(p, IMPACT).getByText(text, { exact: true }).count(), 1, `"${text}" once`);
    }
  }
  noProblems(fac, jean);
});

test('a person-level poll with one or two people per organisation: no "other organisations" copy of the total, said in words', async (t) => {
  const w = await env.workshop(t);
  const { fac } = w;
  await fac.locator('#poll-new-toggle').click();
  await fac.locator('[data-action="launch"][data-ready="vision"]').click();
  const fc = fac.locator('.poll-card[data-state="open"]');
  const pollId = await fc.getAttribute('data-poll-id');
  for (const [name, org, v] of [['A', 'Ville de Lyon', 5], ['B', 'Banque', 4], ['C', 'Asso', 2], ['D', 'Asso', 1]]) {
    await (await env.participant(name, org, { workshop: w.id })).vote(pollId, v);
  }
  await fc.locator('.results-count', { hasText: '4 personnes ont répondu' }).waitFor();
  await fc.locator('.threshold-note', { hasText: `Aucune organisation n'a encore 3 répondant·es${NNBSP}: leurs réponses comptent seulement dans le total.` }).waitFor();
  assert.equal(await fc.locator('.org-bar').count(), 0, 'no bar per organisation');
  assert.doesNotMatch(await fc.textContent(), /Autres organisations/);
  noProblems(fac);
});
