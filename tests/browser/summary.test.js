// Issue 12, item 4: once the workshop has ended, every page links to the
// summary. Participants (here on a 390 px phone, one in French, one in
// English) open theirs from the end banner, beside the replay: a tab of its
// own, the printable page in their language, under the server's policy (its
// style applies, nothing is refused), without the contribution balance the
// facilitator's has. An observer on a desktop the same. Not offered before
// the end, withdrawn on reopening.
// axe-core finds nothing in the banner; screenshots of the banner and the
// summary, on the phone, in both languages.
import test from 'node:test';
import assert from 'node:assert/strict';
import { artifact } from './harness.js';
import { setupFile, axe, badTypography, PHONE } from './i12.js';
import { connected, noProblems, opened } from './helpers.js';

const env = await setupFile();

/** The summary a participant opens from their end banner: its page, loaded. */
async function openSummary(page) {
  const summary = await opened(page, '#ended-summary');
  await summary.waitForLoadState('load');
  return summary;
}

/**
 * The English end banner on `page` with its summary link: captured as `shot`,
 * axe at zero; then the summary it opens, with no balance, its style applied.
 */
async function englishSummary(page, shot, what) {
  const banner = page.locator('#ended-banner');
  await banner.locator('#ended-summary', { hasText: 'Open the summary' }).waitFor();
  await banner.scrollIntoViewIfNeeded();
  await page.screenshot({ path: artifact(shot) });
  await axe(page, what, '#ended-banner');
  const summary = await openSummary(page);
  assert.equal(await summary.getByText('Contribution balance').count(), 0, 'no balance for participants');
  assert.equal(await styled(summary), true, 'its style sheet applies under its policy');
  return summary;
}

/** Whether the summary's own style sheet applied (its policy lets only it in). */
const styled = (page) => page.locator('table').first().evaluate((t) => getComputedStyle(t).borderCollapse === 'collapse');

test('the end banner links participants to their summary (phone, fr and en); withdrawn on reopening', async (t) => {
  const w = await env.workshop(t, { title: 'Partenariat Ville – Banque', text: 'Quoi ?\nEmploi des jeunes.\n' });
  const { fac } = w;
  const jean = await env.guest(t, w, 'Jean', 'Banque', { viewport: PHONE });
  const tom = await env.guest(t, w, 'Tom', 'Foundation', { viewport: PHONE, locale: 'en-GB' });

  // An observer, on a desktop, in English, by the facilitator's observer link.
  await fac.locator('#share-toggle').click();
  await fac.locator('#observer-create').click();
  const link = await fac.locator('#observer-link').inputValue();
  const obs = await env.page(t, { locale: 'en-GB' });
  await obs.goto(link);
  await obs.locator('#join-name').fill('Odile');
  await obs.locator('#join-submit').click();
  await connected(obs);
  await obs.locator('#observer-banner').waitFor();

  await fac.locator('#poll-new-toggle').click();
  await fac.locator('[data-action="launch"][data-ready="vision"]').click();
  await jean.locator('.poll-card[data-state="open"]').waitFor();
  assert.equal(await jean.locator('#ended-summary').count(), 0, 'no summary while the workshop is open');

  await fac.locator('#end-workshop').click();
  await fac.locator('#end-confirm-yes').click();

  // French, on the phone: the link beside the replay, the banner at zero violations.
  const banner = jean.locator('#ended-banner');
  await banner.locator('#ended-summary', { hasText: 'Ouvrir le résumé' }).waitFor();
  await banner.locator('#ended-replay').waitFor();
  await banner.getByText('Le résumé s\'ouvre dans un nouvel onglet').waitFor();
  assert.equal(await fac.locator('#ended-summary').count(), 0, 'the facilitator has the full summary instead');
  await fac.locator('#summary-download').waitFor();
  const fits = await banner.locator('#ended-summary, #ended-replay').evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).every((r) => r.right <= 390 && r.height >= 24));
  assert.equal(fits, true, 'both actions fit the phone and are big enough to tap');
  await banner.scrollIntoViewIfNeeded();
  await jean.screenshot({ path: artifact('summary-banner-phone-fr.png') });
  await axe(jean, 'end banner with the summary link, phone, fr', '#ended-banner');
  assert.deepEqual(await badTypography(jean), []);

  const fr = await openSummary(jean);
  assert.equal(await fr.locator('html').getAttribute('lang'), 'fr');
  await fr.locator('h1', { hasText: 'Partenariat Ville – Banque' }).waitFor();
  await fr.locator('h2', { hasText: 'Énoncé commun' }).waitFor();
  assert.equal(await fr.getByText('Équilibre des contributions').count(), 0, 'no balance for participants');
  assert.equal(await styled(fr), true, 'its style sheet applies under its policy');
  assert.doesNotMatch(jean.url(), /summary/, 'the workshop stays in its tab');
  await fr.screenshot({ path: artifact('summary-page-phone-fr.png') });

  // English, on the phone.
  const en = await englishSummary(tom, 'summary-banner-phone-en.png', 'end banner with the summary link, phone, en');
  assert.equal(await en.locator('html').getAttribute('lang'), 'en');
  await en.locator('h2', { hasText: 'Statement' }).first().waitFor();
  await en.screenshot({ path: artifact('summary-page-phone-en.png') });

  // The observer, on a desktop: the same link, their summary.
  const seen = await englishSummary(obs, 'summary-banner-observer-desktop-en.png', 'end banner with the summary link, observer, desktop, en');
  await seen.locator('h1', { hasText: 'Partenariat Ville – Banque' }).waitFor();

  // Reopened: the banner and its link go.
  await fac.locator('#reopen-workshop').click();
  await jean.locator('#ended-banner').waitFor({ state: 'hidden' });
  assert.equal(await jean.locator('#ended-summary').count(), 0, 'withdrawn with the end');
  await obs.locator('#ended-banner').waitFor({ state: 'hidden' });
  noProblems(fac, jean, tom, obs, fr, en, seen); // the summary pages too: no error, no style refused by their policy
});
