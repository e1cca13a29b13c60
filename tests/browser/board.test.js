// Issue 16, the priorities board, in real browsers against the real server
// and Redis: three organisations (three browser contexts) add their
// priorities; before the reveal each page shows its own organisation's only;
// the facilitator reveals the board in one step, accepts the server's
// suggestion (three organisations: common to all) and drags one item onto
// another (two organisations: shared by some); the columns show common,
// shared and unique on every page; the "Group with…" menu does from the
// keyboard what the drag does; one group becomes a line of the statement.
// A phone at 390 px; axe at zero; French typography.
import test from 'node:test';
import assert from 'node:assert/strict';
import { artifact } from './harness.js';
import { setupFile, axe, badTypography, until, PHONE } from './i12.js';
import { boardAdd, noProblems, opened } from './helpers.js';

const env = await setupFile();


/** The titles in each column, as a page shows them. */
function columns(page) {
  return page.evaluate(() => Object.fromEntries(['common', 'shared', 'unique'].map((c) => [c,
    [...document.querySelectorAll(`#board-col-${c} .board-cluster`)].map((el) =>
      [...el.querySelectorAll('.board-item-title')].map((t) => t.textContent).sort().join(' + ')).sort()])));
}

test('three organisations, the reveal, a suggestion accepted, a drag, the columns, a statement line', async (t) => {
  const w = await env.workshop(t, { text: 'Nos priorités communes\n' });
  const { fac } = w;
  const jean = await env.guest(t, w, 'Jean', 'Banque Solidaire');
  const lea = await env.guest(t, w, 'Léa', 'Asso Logement', { viewport: PHONE });
  for (const p of [fac, jean, lea]) await p.locator('#board').waitFor();

  // The method's priorities phase under way: the step to the board stands out.
  await fac.locator('.agenda-step', { hasText: 'Les priorités de chaque organisation' }).locator('button').click();
  await jean.locator('#board-jump.primary').waitFor();
  await boardAdd(fac, 'Accès aux droits', { why: 'Le non-recours aux aides' });
  await boardAdd(fac, 'Mobilité', { kind: 'strength' });
  await boardAdd(jean, "L'accès au droit");
  await boardAdd(jean, 'Emploi des jeunes', { why: 'Un jeune sur cinq sans emploi' });
  await boardAdd(lea, 'Accès au droit', { kind: 'practice' });
  await boardAdd(lea, 'Insertion des jeunes');

  // Before the reveal: each page has its own organisation's items only (the server sends nothing else).
  await until(async () => (await fac.locator('#board-columns .board-item').count()) === 6, { message: 'the facilitator sees six items' });
  assert.equal(await jean.locator('#board-columns .board-item').count(), 2);
  assert.equal(await jean.getByText('Mobilité').count(), 0, 'Ville\'s item is not on Jean\'s page');
  await jean.locator('#board-hidden-note').waitFor();
  assert.equal(await jean.locator('#board-controls').isHidden(), true, 'participants get no settings');

  // The reveal: one step.
  await fac.locator('#board-reveal').click();
  for (const p of [jean, lea]) await until(async () => (await p.locator('#board-columns .board-item').count()) === 6, { message: 'revealed to everyone' });

  // The server's suggestion: the three "accès au droit", one click.
  const sug = fac.locator('.board-suggestion', { hasText: 'Accès aux droits' });
  await sug.waitFor();
  assert.equal(await sug.locator('.board-chip').count(), 3);
  await sug.locator('.board-accept').click();
  await until(async () => (await columns(fac)).common.length === 1, { message: 'a group common to all' });

  // A drag: Léa's "Insertion des jeunes" onto Jean's "Emploi des jeunes".
  await fac.locator('.board-item', { hasText: 'Insertion des jeunes' }).dragTo(fac.locator('.board-item', { hasText: 'Emploi des jeunes' }));
  const expected = {
    common: ["Accès au droit + Accès aux droits + L'accès au droit"],
    shared: ['Emploi des jeunes + Insertion des jeunes'],
    unique: ['Mobilité'],
  };
  for (const p of [fac, jean, lea]) await until(async () => JSON.stringify(await columns(p)) === JSON.stringify(expected), { message: 'the same columns on every page' });
  assert.equal(await jean.locator('#board-col-common .board-cluster-orgs').textContent(), 'Toutes les organisations (3)');
  assert.equal(await jean.locator('#board-col-shared .board-cluster-orgs').textContent(), 'Banque Solidaire, Asso Logement');

  // The keyboard's way: take "Mobilité" into the shared group with "Group with…".
  const mob = fac.locator('.board-item', { hasText: 'Mobilité' });
  await mob.locator('[data-key^="with-"]').first().click();
  const select = fac.locator('select[id^="board-with-"]');
  await select.selectOption({ label: 'Banque Solidaire — Emploi des jeunes' });
  await fac.locator('[data-key^="with-go-"]').click();
  await until(async () => (await columns(jean)).common.length === 2, { message: 'three organisations now: common to all' });
  await until(async () => fac.evaluate(() => document.activeElement?.dataset.key?.startsWith('out-')), { message: 'the focus stays with the item grouped' });
  // ... and out again.
  await fac.locator('.board-item', { hasText: 'Mobilité' }).locator('[data-key^="out-"]').click();
  for (const p of [fac, jean, lea]) await until(async () => JSON.stringify(await columns(p)) === JSON.stringify(expected), { message: 'ungrouped' });

  // Jean edits his item's why: only that field is sent; everyone sees it.
  await jean.locator('.board-own-item', { hasText: 'Emploi des jeunes' }).locator('[data-key^="edit-"]').click();
  const why = jean.locator('input[id$="-why"][id^="board-edit-"]');
  await why.fill('Un jeune sur quatre sans emploi');
  await why.press('Enter');
  await fac.locator('#board-columns .board-item-why', { hasText: 'Un jeune sur quatre sans emploi' }).waitFor();

  // A group becomes a line of the statement, an ordinary edit.
  await fac.locator('#board-col-common [data-key^="line-"]').click();
  const line = "Accès aux droits / L'accès au droit / Accès au droit";
  for (const p of [fac, jean]) await until(async () => (await p.locator('#statement').inputValue()).includes(line), { message: 'the line in the statement' });
  assert.equal(await jean.locator('#statement').inputValue(), `Nos priorités communes\n${line}`);

  // A group becomes a poll: the form opens pre-filled (a multiple choice poll).
  await fac.locator('#board-col-shared [data-key^="poll-"]').click();
  await until(async () => (await fac.locator('.choice-rows input').count()) >= 2, { message: 'the poll form with the choices' });
  const choices = await fac.locator('.choice-rows input').evaluateAll((els) => els.map((e) => e.value));
  assert.deepEqual(choices.sort(), ['Emploi des jeunes', 'Insertion des jeunes']);
  assert.equal(await fac.locator('input[value="multiple"]').isChecked(), true);

  await fac.locator('#board').screenshot({ path: artifact('board-fr.png') });
  // On the phone the board is one step away from the top.
  await lea.evaluate(() => window.scrollTo(0, 0));
  await lea.locator('#board-jump').click();
  await until(async () => lea.evaluate(() => document.activeElement?.id === 'board-title'), { message: 'the board heading has the focus' });
  await lea.locator('#board').scrollIntoViewIfNeeded();
  await lea.screenshot({ path: artifact('board-phone.png'), fullPage: false });
  await lea.locator('#board').screenshot({ path: artifact('board-phone-panel.png') });
  const overflow = await lea.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  assert.equal(overflow, false, 'nothing wider than the phone');
  await axe(fac, 'facilitator with the board');
  await axe(jean, 'participant with the board');
  await axe(lea, 'phone with the board');
  assert.deepEqual(await badTypography(jean), []);
  await jean.locator('#lang-switch').click();
  await jean.locator('#board-title', { hasText: 'Priorities board' }).waitFor();
  await jean.locator('#board').screenshot({ path: artifact('board-en.png') });
  noProblems(fac, jean, lea);

  // The presenter view (the room's screen): the board as everyone sees it, no poll on screen.
  const present = await opened(fac, '#present-link');
  await present.setViewportSize({ width: 1920, height: 1080 });
  await present.locator('#presenter-board:not([hidden])').waitFor();
  assert.equal(await present.locator('#presenter-board-col-common .board-cluster').count(), 1);
  await present.screenshot({ path: artifact('board-presenter.png') });
  await axe(present, 'the presenter view with the board');
  await present.close();

  // The replay: the board as it stood, from the public history (no key): at the end,
  // the same columns; at its start, no board; the reveal's moment said in words.
  const replay = await env.page(t);
  await replay.goto(`${env.server.url}/#/w/${w.id}/replay`);
  await replay.locator('#replay-board:not([hidden])').waitFor();
  await until(async () => JSON.stringify(await replayColumns(replay)) === JSON.stringify(expected), { message: 'the replay shows the final board' });
  await replay.locator('#replay-slider').focus();
  await replay.keyboard.press('Home');
  await until(async () => replay.locator('#replay-board').isHidden(), { message: 'no board at the start' });
  await replay.locator('#replay-board').evaluate((el) => el.scrollIntoView());
  await replay.screenshot({ path: artifact('board-replay-start.png') });
  await replay.keyboard.press('End');
  await replay.locator('#replay-board:not([hidden])').waitFor();
  await replay.locator('#replay-board').screenshot({ path: artifact('board-replay.png') });
  await axe(replay, 'the replay with the board');
});

/** The titles in each column of the replay's board. */
function replayColumns(page) {
  return page.evaluate(() => Object.fromEntries(['common', 'shared', 'unique'].map((c) => [c,
    [...document.querySelectorAll(`#replay-board-col-${c} .board-cluster`)].map((el) =>
      [...el.querySelectorAll('.board-item-title')].map((t) => t.textContent).sort().join(' + ')).sort()])));
}
