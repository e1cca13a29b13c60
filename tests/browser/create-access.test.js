// Who may create workshops, from the home page (README, "Who may create
// workshops"): a server with a creation token answers 401, and the page asks
// for the token, says when it is wrong, creates with the right one and keeps
// it for the tab's session only (sessionStorage, never localStorage); past the
// address's creation rate, the page says so and when to try again (on a phone,
// in English). axe at zero violations in each state; screenshots.
import test from 'node:test';
import assert from 'node:assert/strict';
import { setup, artifact } from './harness.js';
import { connected, noProblems } from './helpers.js';
import { axe, PHONE } from './i12.js';

const TOKEN = 'jeton-9Qp_partenaires';
// Three attempts an hour from this address: the first page spends them all.
const { server, newPage } = await setup({ serverArgs: ['--create-token', TOKEN, '--create-rate', '3'] });

async function fillHome(page, title) {
  await page.locator('#home-title').fill(title);
  await page.locator('#home-name').fill('Awa');
  await page.locator('#home-org').fill('Ville de Lyon');
}

test('the page asks for the token, says when it is wrong, and keeps it for the session only', async (t) => {
  const page = await newPage({}, t);
  await page.goto(`${server.url}/`);
  await page.locator('#home-title').waitFor();
  assert.equal(await page.locator('#home-token').isVisible(), false, 'no token field before the server asks');
  await fillHome(page, 'Atelier réservé');
  await page.locator('#home-create').click();

  await page.locator('#home-token').waitFor({ state: 'visible' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'home-token');
  assert.equal(await page.getAttribute('#home-token', 'aria-invalid'), 'true');
  assert.match(await page.locator('#home-token-error').textContent(), /demande un jeton/);
  await page.screenshot({ path: artifact('create-token-fr.png'), fullPage: true });
  await axe(page, 'home asking for the token');

  await page.locator('#home-token').fill('pas-le-bon');
  await page.locator('#home-create').click();
  await page.locator('#home-token-error', { hasText: "n'est pas le bon" }).waitFor();

  await page.locator('#home-token').fill(TOKEN);
  await page.locator('#home-create').click();
  await connected(page);
  const kept = await page.evaluate(() => ({
    session: sessionStorage.getItem('atelier.createToken'),
    local: Object.keys(localStorage).filter((k) => localStorage.getItem(k).includes('jeton-9Qp')),
  }));
  assert.equal(kept.session, JSON.stringify(TOKEN));
  assert.deepEqual(kept.local, [], 'the token is not kept on the device');

  // Back home in the same tab: the field is there, filled in.
  await page.goto(`${server.url}/#/`);
  await page.locator('#home-token').waitFor({ state: 'visible' });
  assert.equal(await page.inputValue('#home-token'), TOKEN);
  noProblems(page);
});

test('past the creation rate, the page says so and when to try again (phone, English)', async (t) => {
  const page = await newPage({ locale: 'en-GB', viewport: PHONE }, t);
  await page.goto(`${server.url}/`);
  await page.locator('#home-title').waitFor();
  await fillHome(page, 'One too many');
  await page.locator('#home-create').click();
  const error = page.locator('.form-error[role="alert"]');
  await error.waitFor({ state: 'visible' });
  assert.match(await error.textContent(), /^Too many workshops created from this address\. Try again in \d+ minutes\.$/);
  assert.equal(await page.locator('#home-token').isVisible(), false, 'the rate is told first, whoever asks');
  assert.equal(await page.locator('#home-create').isEnabled(), true);
  await error.scrollIntoViewIfNeeded();
  await page.screenshot({ path: artifact('create-rate-phone-en.png') });
  await axe(page, 'home past the creation rate');
  noProblems(page);
});
