// Issue 12, item 2: the presenter view. One click on the facilitator's page
// opens it in a window of its own; it follows the facilitator's current
// poll (launched in one step from a ready-made question), shows its results
// as large bars once they may be shown, organisation names whole, a QR code
// of the invite link and the join code, and the statement in large type.
// Screenshots at 1920×1080 go to tests/browser/screenshots/.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT, artifact } from './harness.js';
import { setupFile, axe, notCut, badTypography, until, NNBSP } from './i12.js';
import { typeAt, noProblems, opened } from './helpers.js';

const env = await setupFile();
const SHOTS = path.join(ROOT, 'tests/browser/screenshots');
const LONG = 'Association des Habitants du Quartier de la Guillotière';
const VISION = 'Nos organisations partagent la même vision du résultat visé.';
const IMPACT = `Quel impact voulons-nous avoir en tant que groupe${NNBSP}?`;

test('the presenter view follows the current poll, with the QR code, the code and the statement', async (t) => {
  const w = await env.workshop(t, { text: `Quoi${NNBSP}?\nUn quartier où chacun·e trouve sa place.\n` });
  const { fac } = w;
  const jean = await env.guest(t, w, 'Jean', 'Banque Populaire Auvergne-Rhône-Alpes');

  // One click: a window of its own, full screen one button away.
  const present = await opened(fac, '#present-link');
  await present.setViewportSize({ width: 1920, height: 1080 });
  await present.locator('#presenter-fullscreen').waitFor();
  assert.match(present.url(), /#\/w\/[\w-]+\/present$/);
  // The statement in large type, following edits.
  await typeAt(jean, ' Des emplois pour les jeunes.');
  await until(async () => (await present.locator('#presenter-statement-text').textContent()).includes('Des emplois pour les jeunes.'), { message: 'statement on screen' });
  const size = await present.locator('#presenter-statement-text').evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
  assert.ok(size >= 24, `statement in large type (${size}px)`);

  // How to join: a QR code of the invite link, and the code when the server gives one.
  const qr = present.locator('#presenter-join svg.qr');
  await qr.waitFor();
  assert.ok(Number(await qr.getAttribute('data-modules')) >= 21, 'a real QR code');
  const qrBox = await qr.boundingBox();
  assert.ok(qrBox.width >= 240, `QR code big enough to scan from a seat (${qrBox.width}px)`);
  assert.equal((await present.locator('#presenter-code').textContent()).replace(/\D/g, ''), w.code);

  // "Lancer" on a ready-made question: created, opened, live, and on screen.
  await fac.locator('#poll-new-toggle').click();
  await fac.locator('[data-action="launch"][data-ready="vision"]').click();
  await present.locator('#presenter-q', { hasText: VISION }).waitFor();
  await present.locator('#presenter-meta', { hasText: 'Sondage ouvert' }).waitFor();

  // Enough people per organisation for the breakdown (people poll, threshold 3).
  const pollId = await fac.locator('.poll-card', { hasText: VISION }).getAttribute('data-poll-id');
  const voters = [['Lina', 'Ville de Lyon', 5], ['Marc', 'Ville de Lyon', 4], ['Nora', 'Ville de Lyon', 5],
    ['Paul', LONG, 2], ['Rémi', LONG, 1], ['Sara', LONG, 2]];
  for (const [name, org, v] of voters) await (await env.participant(name, org, { workshop: w.id })).vote(pollId, v);
  await until(async () => (await present.locator('.org-bar').count()) > 0, { message: 'breakdown on screen' });
  await present.locator('.results-count', { hasText: '6 personnes ont répondu' }).waitFor();
  // Large enough to read on a shared screen, names whole.
  const label = await present.locator('.bar-label').first().evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
  assert.ok(label >= 24, `choice labels at ${label}px`);
  assert.deepEqual(await notCut(present.locator('.org-bar-name')), [], 'no organisation name cut');
  assert.ok((await present.locator('.org-bar-name', { hasText: LONG }).count()) > 0);
  await present.screenshot({ path: path.join(SHOTS, 'presenter-fr.png') });
  // One screen: nothing to scroll, and nothing cut at its bottom (the alignment is the last line).
  assert.equal(await present.evaluate(() => document.documentElement.scrollHeight <= window.innerHeight + 1), true, 'fits the screen');
  const bottom = await present.locator('#presenter-results .alignment').evaluate((e) => e.getBoundingClientRect().bottom);
  assert.ok(bottom <= 1080, `the alignment on screen (its bottom at ${Math.round(bottom)} px)`);
  assert.equal(await present.locator('#presenter-results .alignment').isVisible(), true);
  assert.deepEqual(await badTypography(present), []);
  // A 1280×720 projector or a shared window: the poll zooms out until it
  // fits, the alignment included, rather than hiding its end in a scroll box.
  const alignmentIn = (height) => present.locator('#presenter-results .alignment').evaluate((e, h) => {
    const box = document.querySelector('#presenter-poll');
    return e.getBoundingClientRect().bottom <= h && box.scrollHeight <= box.clientHeight + 1;
  }, height);
  await present.setViewportSize({ width: 1280, height: 720 });
  await until(() => alignmentIn(720), { message: 'the whole poll on a 1280×720 screen' });
  assert.deepEqual(await notCut(present.locator('.org-bar-name')), [], 'no organisation name cut at 1280×720');
  await present.screenshot({ path: artifact('presenter-1280x720-fr.png') });
  await present.setViewportSize({ width: 1920, height: 1080 });
  await until(() => present.locator('.presenter-fit').evaluate((e) => e.style.zoom === ''), { message: 'full size again on a big screen' });

  // Hidden results stay hidden on the shared screen, and so does how many
  // answered: participants are told neither.
  await fac.locator('.poll-card', { hasText: VISION }).locator('[data-action="vis-hidden"]').click();
  await present.locator('.presenter-waiting').waitFor();
  assert.equal(await present.locator('.bar-row').count(), 0);
  assert.doesNotMatch(await present.locator('#presenter-results').textContent(), /ont répondu/);

  // The facilitator launches another: the screen follows.
  await fac.locator('#poll-new-toggle').click();
  await fac.locator('[data-action="launch"][data-ready="impact"]').click();
  await present.locator('#presenter-q', { hasText: IMPACT }).waitFor();
  await jean.locator('.poll-card', { hasText: IMPACT }).locator('.answer-input').fill('Un réseau qui dure');
  await jean.locator('.poll-card', { hasText: IMPACT }).locator('[data-action="add-answer"]').click();
  await present.locator('.bar-choice', { hasText: 'Un réseau qui dure' }).waitFor();

  // Closing keeps it on screen; revealing the first one's results brings it back.
  await fac.locator('.poll-card', { hasText: IMPACT }).locator('[data-action="close"]').click();
  await present.locator('#presenter-meta', { hasText: 'Sondage clos' }).waitFor();
  assert.equal(await present.locator('#presenter-q').textContent(), IMPACT);
  await fac.locator('.poll-card', { hasText: VISION }).locator('[data-action="vis-revealed"]').click();
  await present.locator('#presenter-q', { hasText: VISION }).waitFor();
  await present.locator('.org-bar').first().waitFor();

  await axe(present, 'presenter view');
  // In English, for the second language (after a reload: the newest open poll).
  await present.evaluate(() => localStorage.setItem('atelier.lang', '"en"'));
  await present.reload();
  await present.locator('#presenter-meta', { hasText: 'Poll open' }).waitFor();
  await present.locator('#presenter-q', { hasText: 'Our organisations share the same view of the outcome we are aiming for.' }).waitFor();
  await present.locator('.org-bar').first().waitFor();
  await present.screenshot({ path: path.join(SHOTS, 'presenter-en.png') });
  assert.deepEqual(present.problems, []);
  noProblems(fac, jean);
});

test('"Reload" after an error in the presenter window brings the presenter view back', async (t) => {
  const w = await env.workshop(t);
  const { fac } = w;
  // The presenter's join is refused once (a reason the page cannot fix: it gives up).
  let refuse = true;
  await fac.context().routeWebSocket(/\/ws$/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((m) => {
      if (refuse && JSON.parse(m).type === 'join') ws.send(JSON.stringify({ type: 'error', re: 'join', id: JSON.parse(m).id, code: 'bad_state', message: 'refused by the test' }));
      else server.send(m);
    });
  });
  const present = await opened(fac, '#present-link');
  await present.locator('#msg-heading', { hasText: "L'atelier doit être rechargé" }).waitFor();
  refuse = false;
  await present.locator('.message button.primary').click();
  await present.locator('#presenter-fullscreen').waitFor();
  assert.match(present.url(), /#\/w\/[\w-]+\/present$/);
  assert.equal(await present.locator('#statement').count(), 0, 'not the full workshop page');
  noProblems(present, fac);
});

test('the presenter view: focus without a poll, a refused full screen and a lost connection are said', async (t) => {
  const w = await env.workshop(t);
  const { fac } = w;
  const present = await opened(fac, '#present-link');
  await present.locator('#presenter-fullscreen').waitFor();
  // No poll yet: the focus goes to how to join, not to a hidden heading.
  await until(async () => (await present.evaluate(() => document.activeElement?.id)) === 'presenter-join-title', { message: 'focus on "join"' });

  // The browser refuses full screen: the button says so instead of doing nothing.
  await present.evaluate(() => { document.documentElement.requestFullscreen = () => Promise.reject(new TypeError('not allowed')); });
  await present.locator('#presenter-fullscreen').click();
  await present.locator('#presenter-fullscreen-note', { hasText: 'Le navigateur a refusé le plein écran' }).waitFor();

  // The link drops: the screen says it is not up to date, until it is back.
  assert.equal(await present.locator('#presenter-connection').isHidden(), true);
  await fac.context().setOffline(true);
  await present.locator('#presenter-connection', { hasText: 'Connexion perdue' }).waitFor();
  await present.screenshot({ path: artifact('presenter-offline-fr.png') });
  await fac.context().setOffline(false);
  await present.locator('#presenter-connection').waitFor({ state: 'hidden' });
  await axe(present, 'presenter view without a poll');
  noProblems(present, fac);
});

test('the presenter view at the end: said on screen, the join code withdrawn; back on reopen', async (t) => {
  const w = await env.workshop(t);
  const { fac } = w;
  const present = await opened(fac, '#present-link');
  await present.locator('#presenter-code').waitFor();
  await fac.locator('#end-workshop').click();
  await fac.locator('#end-confirm-yes').click();
  // The code may be another workshop's by now: not shown; the QR code (the invite link) stays.
  await present.locator('#presenter-ended', { hasText: 'Cet atelier est terminé' }).waitFor();
  await present.locator('#presenter-code').waitFor({ state: 'detached' });
  assert.doesNotMatch(await present.locator('#presenter-join').textContent(), /tapez le code/);
  await present.locator('#presenter-join svg.qr').waitFor();
  assert.deepEqual(await badTypography(present), []);
  await axe(present, 'presenter view, ended');
  await fac.locator('#reopen-workshop').click();
  await present.locator('#presenter-ended').waitFor({ state: 'hidden' });
  await present.locator('#presenter-code').waitFor();
  assert.match((await present.locator('#presenter-code').textContent()).replace(/\D/g, ''), /^\d{6}$/);
  noProblems(present, fac);
});
