// Issue 16, item 8: the method's priorities step end to end, in real
// browsers against the real server and Redis. Three organisations add their
// priorities on the board; the facilitator reveals it, accepts the server's
// suggestion (common to all) and drags one item onto another (shared by
// some); the common group becomes a line of the statement; with that line
// selected, the shared group becomes a ranking poll tied to the line; two
// organisations rank; the facilitator then edits the line, and every page
// shows that the passage changed since the first vote, with the old words.
// A phone at 390 px; axe at zero.
import test from 'node:test';
import assert from 'node:assert/strict';
import { artifact } from './harness.js';
import { setupFile, axe, until, PHONE } from './i12.js';
import { boardAdd, converged, noProblems } from './helpers.js';

const env = await setupFile();


const order = (page) => page.locator('.rank-list .rank-text').allTextContents();

test('priorities on the board, a group to the statement, another to a ranking poll about that line, the line edited after the first vote', async (t) => {
  const w = await env.workshop(t, { text: 'Nos résultats communs\n' });
  const { fac } = w;
  const jean = await env.guest(t, w, 'Jean', 'Banque Solidaire');
  const lea = await env.guest(t, w, 'Léa', 'Asso Logement', { viewport: PHONE });
  for (const p of [fac, jean, lea]) await p.locator('#board').waitFor();

  // Each organisation says what matters to it.
  await boardAdd(fac, 'Accès aux droits');
  await boardAdd(jean, "L'accès au droit");
  await boardAdd(jean, 'Emploi des jeunes');
  await boardAdd(lea, 'Accès au droit');
  await boardAdd(lea, 'Insertion des jeunes');

  // The facilitator reveals the board, accepts the suggestion, drags one item onto another.
  await fac.locator('#board-reveal').click();
  await fac.locator('.board-suggestion', { hasText: 'Accès aux droits' }).locator('.board-accept').click();
  await fac.locator('#board-col-common .board-cluster').waitFor();
  await fac.locator('.board-item', { hasText: 'Insertion des jeunes' }).dragTo(fac.locator('.board-item', { hasText: 'Emploi des jeunes' }));
  for (const p of [jean, lea]) await p.locator('#board-col-shared .board-cluster', { hasText: 'Insertion des jeunes' }).waitFor();

  // The common group becomes a line of the statement.
  await fac.locator('#board-col-common [data-key^="line-"]').click();
  const line = "Accès aux droits / L'accès au droit / Accès au droit";
  await converged([fac, jean, lea]);
  assert.equal(await jean.locator('#statement').inputValue(), `Nos résultats communs\n${line}`);

  // The facilitator selects that line, then makes the shared group a poll:
  // the form quotes the line; the kind is switched to a ranking.
  const ta = fac.locator('#statement');
  await ta.focus();
  await ta.evaluate((el, l) => { const i = el.value.indexOf(l); el.setSelectionRange(i, i); }, line);
  await fac.keyboard.press('Shift+End');
  await fac.locator('#board-col-shared [data-key^="poll-"]').click();
  const form = fac.locator('.poll-form');
  await form.locator('.passage-quote', { hasText: line }).waitFor();
  await form.locator('input[value="rank"]').check();
  const choices = await form.locator('.choice-input').evaluateAll((els) => els.map((e) => e.value));
  assert.deepEqual([...choices].sort(), ['Emploi des jeunes', 'Insertion des jeunes']);
  await form.locator('[data-action="launch"]').click();
  const card = (p) => p.locator('article.poll-card', { hasText: 'Emploi des jeunes' });
  for (const p of [fac, jean, lea]) await card(p).locator('.passage-quote', { hasText: line }).waitFor();

  // Two organisations rank: Léa on the phone moves the second choice up; Jean keeps the order.
  await until(async () => (await order(lea)).length === 2, { message: 'the ranking on the phone' });
  const [, second] = await order(lea);
  await card(lea).locator(`.rank-up[aria-label*="${second}"]`).click();
  await until(async () => (await order(lea))[0] === second, { message: 'moved up' });
  await card(lea).locator('[data-action="rank-cast"]').click();
  await card(lea).locator('[data-action="rank-cast"]', { hasText: 'Classement enregistré' }).waitFor();
  await until(async () => (await order(jean)).length === 2, { message: 'the ranking on the desktop' });
  await card(jean).locator('[data-action="rank-cast"]').click();
  await card(jean).locator('[data-action="rank-cast"]', { hasText: 'Classement enregistré' }).waitFor();
  await card(fac).locator('.rank-results > li').first().waitFor();

  // The facilitator edits the line after the first vote: everyone is told, with the words it had.
  await ta.focus();
  await ta.evaluate((el) => { const i = el.value.indexOf('Accès aux droits') + 'Accès aux droits'.length; el.setSelectionRange(i, i); });
  await fac.keyboard.type(' et aux services');
  for (const p of [fac, jean, lea]) {
    const changed = card(p).locator('.passage-changed');
    await changed.waitFor();
    assert.match(await changed.textContent(), /Le passage a changé depuis le premier vote/);
    await card(p).locator('.passage-quote', { hasText: 'Accès aux droits et aux services' }).waitFor();
  }
  await converged([fac, jean, lea]);
  await card(lea).scrollIntoViewIfNeeded();
  await lea.screenshot({ path: artifact('method-phone-passage-changed.png') });
  await fac.screenshot({ path: artifact('method-facilitator.png'), fullPage: true });
  await axe(lea, 'phone: the board, the ranking about the line, the line changed');
  await axe(fac, 'facilitator: the board, the ranking results, the line changed');
  noProblems(fac, jean, lea);
});
