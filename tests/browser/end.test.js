// Issue 12, items 2 and 4: joining with a code from the home page (clear
// messages for an unknown code and for too many tries), the end of a
// workshop (every page says so, the statement is read-only, the summary and
// the replay are offered, the facilitator can reopen), and a deletion said
// as such to the people still connected.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT, apiCreate } from './harness.js';
import { setupFile, axe, badTypography, until, PHONE, NNBSP } from './i12.js';
import { connected, statement, noProblems, join, opened } from './helpers.js';

const env = await setupFile();
const SHOTS = path.join(ROOT, 'tests/browser/screenshots');

test('home: join with a code; unknown codes and too many tries are said plainly', async (t) => {
  const page = await env.page(t, { viewport: PHONE });
  await page.goto(`${env.server.url}/`);
  const input = page.locator('#join-code');
  await input.waitFor();
  assert.equal(await input.evaluate((e) => e.getBoundingClientRect().top < 400), true, 'first thing on a phone');

  // Not six digits: said before asking the server.
  await input.fill('4829');
  await page.locator('#join-code-submit').click();
  await page.locator('#join-code-error', { hasText: 'Le code a 6 chiffres' }).waitFor();
  assert.equal(await input.getAttribute('aria-invalid'), 'true');

  // Unknown (or ended) workshop: 404 from the server.
  await input.fill('000 000');
  await page.locator('#join-code-submit').click();
  await page.locator('#join-code-error', { hasText: "Aucun atelier ouvert n'a ce code" }).waitFor();
  await axe(page, 'home with a code error');
  assert.deepEqual(await badTypography(page), []);

  // Too many tries: the server's 429 and its Retry-After, said in seconds.
  // (Answered here by the test, so it does not spend this address's quota.)
  await page.route('**/api/join/**', (r) => r.fulfill({ status: 429, headers: { 'retry-after': '42', 'content-type': 'application/json' }, body: '{"error":{"code":"rate_limited","message":"slow down"}}' }));
  await input.fill('123456');
  await page.locator('#join-code-submit').click();
  await page.locator('#join-code-error', { hasText: 'Trop d\'essais depuis cet appareil. Réessayez dans 42 secondes.' }).waitFor();
  await page.unroute('**/api/join/**');

  const w = await env.workshop(t);
  await input.fill(`${w.code.slice(0, 3)} ${w.code.slice(3)}`);
  await page.locator('#join-code-submit').click();
  await page.locator('#join-name').waitFor();
  assert.match(page.url(), new RegExp(`#/w/${w.id}$`));
  // #/join/CODE (a link or a scanned code) looks it up at once.
  await page.goto(`${env.server.url}/#/join/${w.code}`);
  await page.waitForURL(new RegExp(`#/w/${w.id}$`));
  noProblems(page);
});

test('a #/join link looked up while the person goes elsewhere does not pull them back', async (t) => {
  const page = await env.page(t);
  const there = await apiCreate(env.server.url, 'Ailleurs', '');
  const looked = await apiCreate(env.server.url, 'Celui du code', '');
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route('**/api/join/**', async (r) => {
    await held;
    await r.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ id: looked.id }) });
  });
  const asked = page.waitForRequest('**/api/join/**');
  await page.goto(`${env.server.url}/#/join/482913`);
  await asked;
  // Before the answer comes, the person opens another workshop.
  await page.evaluate((id) => { location.hash = `#/w/${id}`; }, there.id);
  await page.locator('#join-name').waitFor();
  const answered = page.waitForResponse('**/api/join/**');
  release();
  await (await answered).finished();
  // Give the page's promise chain its turn, then look: still where they went.
  await page.evaluate(() => new Promise((r) => setTimeout(r, 300)));
  assert.match(page.url(), new RegExp(`#/w/${there.id}$`));
  noProblems(page);
});

test('the end: every page says it, the statement is read-only, summary and replay offered, reopen', async (t) => {
  const w = await env.workshop(t, { text: `Quoi${NNBSP}?\n` });
  const { fac } = w;
  const jean = await env.guest(t, w, 'Jean', 'Banque', { viewport: PHONE });

  // Asked before it happens, "no" keeps things as they are.
  await fac.locator('#end-workshop').click();
  await fac.locator('#end-confirm', { hasText: 'Les sondages ouverts seront clos' }).waitFor();
  await axe(fac, 'end confirmation');
  await fac.locator('#end-confirm-no').click();
  assert.equal(await fac.locator('#end-confirm').isHidden(), true);
  assert.equal(await fac.evaluate(() => document.activeElement.id), 'end-workshop');

  await fac.locator('#poll-new-toggle').click();
  await fac.locator('[data-action="launch"][data-ready="vision"]').click();
  await jean.locator('.poll-card[data-state="open"]').waitFor();
  await fac.locator('#end-workshop').click();
  await fac.locator('#end-confirm-yes').click();
  for (const p of [fac, jean]) {
    await p.locator('#ended-banner', { hasText: 'Atelier terminé' }).waitFor();
    assert.equal(await p.locator('#workshop-eyebrow').textContent(), 'Atelier terminé', 'no longer "live" above the title');
    await p.locator('#ended-replay[href$="/replay"]').waitFor();
    assert.equal(await p.locator('#statement').evaluate((e) => e.readOnly), true, 'read-only');
    await p.locator('.poll-card[data-state="closed"]').waitFor(); // open polls closed
  }
  assert.equal(await fac.locator('#end-workshop').isHidden(), true);
  // When, in the workshop's time zone, named (UTC: made over the API without one).
  await fac.locator('#ended-banner', { hasText: '(UTC)' }).waitFor();
  // The facilitator downloads the printable summary (HTML).
  const [download] = await Promise.all([fac.waitForEvent('download'), fac.locator('#summary-download').click()]);
  assert.match(download.suggestedFilename(), /\.html$/);
  await jean.screenshot({ path: path.join(SHOTS, 'phone-ended-fr.png') });
  await axe(jean, 'ended, phone');
  // The replay offered from the banner: a tab of its own, opened at the end, which it names and marks.
  const replay = await opened(jean, '#ended-replay');
  await replay.locator('#replay-event', { hasText: 'Atelier terminé par Awa' }).waitFor();
  assert.equal(await replay.locator('.timeline-marks .mark-end').count(), 1, 'the end on the timeline');
  assert.match(await replay.locator('.timeline-marks .mark-end').getAttribute('aria-label'), /^Atelier terminé par Awa — /);
  assert.doesNotMatch(jean.url(), /\/replay/, 'the live workshop stays in its tab');
  await replay.close();

  // Typing does nothing; reopening lets everyone write again.
  const before = await statement(jean);
  await jean.locator('#statement').focus();
  await jean.keyboard.type('x');
  assert.equal(await statement(jean), before);
  await fac.locator('#reopen-workshop').click();
  await jean.locator('#ended-banner').waitFor({ state: 'hidden' });
  assert.equal(await jean.locator('#workshop-eyebrow').textContent(), 'Atelier en direct');
  await jean.locator('#statement').focus();
  await jean.keyboard.press('Control+End');
  await jean.keyboard.type(' Rouvert.');
  await until(async () => (await statement(fac)).endsWith(' Rouvert.'), { message: 'writing again' });
  noProblems(fac, jean);
});

test('after the end: "Lancer" waits for a reopen and says why, drafts stay possible, a reconnect keeps the banner, reopen goes once', async (t) => {
  const w = await env.workshop(t);
  const { fac } = w;
  await fac.locator('#poll-new-toggle').click();
  await fac.locator('[data-action="launch"][data-ready="vision"]').click();
  await fac.locator('.poll-card[data-state="open"]').waitFor();
  await fac.locator('#end-workshop').click();
  await fac.locator('#end-confirm-yes').click();
  await fac.locator('#ended-banner').waitFor();

  // The closed poll says why it cannot be reopened now.
  await fac.locator('.poll-card[data-state="closed"] .ended-hint', { hasText: 'rouvrez-le' }).waitFor();
  assert.equal(await fac.locator('.poll-card [data-action="reopen"]').count(), 0);
  // "Lancer" is there, unusable, and says why; a draft can still be made.
  await fac.locator('#poll-new-toggle').click();
  const launch = fac.locator('[data-action="launch"][data-ready="impact"]');
  assert.equal(await launch.getAttribute('aria-disabled'), 'true');
  await fac.locator('#poll-launch-ended', { hasText: "rouvrez l'atelier d'abord" }).waitFor();
  await launch.click({ force: true }); // a person may click it anyway
  await fac.locator('[data-action="prepare"][data-ready="impact"]').click();
  const launchNow = fac.locator('.poll-form [data-action="launch"]');
  assert.equal(await launchNow.getAttribute('aria-disabled'), 'true');
  await fac.locator('.poll-form .ended-hint', { hasText: "rouvrez l'atelier d'abord" }).waitFor();
  await launchNow.click({ force: true });
  await fac.locator('.poll-form [data-action="save"]').click();
  await fac.locator('.poll-card[data-state="draft"]').waitFor();
  // Sent after the two clicks on "Lancer": had either gone, its poll would be here first.
  assert.equal(await fac.locator('.poll-card').count(), 2);
  assert.equal(await fac.locator('.poll-card[data-state="open"]').count(), 0);
  await axe(fac, 'ended, new poll panel');

  // The summary's status line and the focus survive a reconnect (the welcome changes nothing).
  const frames = [];
  fac.on('websocket', (ws) => ws.on('framesent', (f) => { if (typeof f.payload === 'string') frames.push(JSON.parse(f.payload).type); }));
  await Promise.all([fac.waitForEvent('download'), fac.locator('#summary-download').click()]);
  await fac.locator('#summary-status', { hasText: 'Résumé téléchargé' }).waitFor();
  await fac.context().setOffline(true);
  await until(async () => !(await fac.locator('#connection-status.status-connected').count()), { message: 'offline' });
  await fac.context().setOffline(false);
  await connected(fac);
  assert.equal(await fac.locator('#summary-status').textContent(), 'Résumé téléchargé.');
  assert.equal(await fac.evaluate(() => document.activeElement.id), 'summary-download');

  // A double click on "Reopen" sends one request.
  await fac.locator('#reopen-workshop').dblclick();
  await fac.locator('#ended-banner').waitFor({ state: 'hidden' });
  assert.equal(frames.filter((f) => f === 'workshop_reopen').length, 1);
  noProblems(fac);
});

test('"Terminer" cut off before the answer: the page says it does not know yet, then shows the state', async (t) => {
  const w = await apiCreate(env.server.url, 'Coupure', '');
  const fac = await env.page(t);
  // The end request is lost on the way, then the link drops.
  const sockets = new Set();
  await fac.routeWebSocket(/\/ws$/, (ws) => {
    const server = ws.connectToServer();
    sockets.add(ws);
    ws.onMessage((m) => { if (JSON.parse(m).type !== 'workshop_end') server.send(m); });
  });
  await join(fac, `${env.server.url}/#/w/${w.id}?key=${w.facilitator_key}`, 'Awa', 'Ville de Lyon');
  await fac.locator('#end-workshop').click();
  await fac.locator('#end-confirm-yes').click();
  for (const ws of sockets) await ws.close({ code: 1006 }).catch(() => {});
  await fac.locator('#end-confirm .form-error', { hasText: 'on ne sait pas encore' }).waitFor();
  await connected(fac);
  // The server never got it: still open, as the page now shows.
  assert.equal(await fac.locator('#ended-banner').isHidden(), true);
  assert.equal(await fac.locator('#statement').evaluate((e) => e.readOnly), false);
  noProblems(fac);
});

test('a deleted workshop says who deleted it to the people still connected', async (t) => {
  const w = await env.workshop(t);
  const jean = await env.guest(t, w, 'Jean', 'Banque');
  const r = await fetch(`${env.server.url}/api/workshops/${w.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${w.facilitator_key}` } });
  assert.ok(r.status === 204 || r.ok, `deleted (${r.status})`);
  await jean.locator('#msg-heading', { hasText: 'Atelier supprimé' }).waitFor();
  await jean.locator('.message', { hasText: 'Cet atelier a été supprimé par son animateur·rice' }).waitFor();
  // Said again on a reload, not "check your link".
  await jean.reload();
  await jean.locator('.message', { hasText: 'supprimé par son animateur·rice' }).waitFor();
  noProblems(jean);
});

test('an ended workshop opened later: the join page says so', async (t) => {
  const w = await env.workshop(t);
  await w.fac.locator('#end-workshop').click();
  await w.fac.locator('#end-confirm-yes').click();
  await w.fac.locator('#ended-banner').waitFor();
  const late = await env.page(t);
  await late.goto(w.invite);
  await late.locator('#join-ended', { hasText: 'Cet atelier est terminé' }).waitFor();
  await late.locator('#join-name').fill('Zoé');
  await late.locator('#join-org').fill('Région');
  await late.locator('#join-submit').click();
  await connected(late);
  await late.locator('#ended-banner').waitFor();
  noProblems(late);
});

test('a workshop made on the home page takes the time zone of this device', async (t) => {
  const context = await env.browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris' });
  t.after(() => context.close().catch(() => {}));
  const page = await context.newPage();
  await page.goto(`${env.server.url}/`);
  assert.equal(await page.locator('#home-zone').inputValue(), 'Europe/Paris');
  await page.locator('#home-title').fill('Fuseau');
  await page.locator('#home-name').fill('Awa');
  await page.locator('#home-org').fill('Ville de Lyon');
  const [req] = await Promise.all([page.waitForRequest((r) => r.url().endsWith('/api/workshops') && r.method() === 'POST'), page.locator('#home-create').click()]);
  assert.equal(JSON.parse(req.postData()).time_zone, 'Europe/Paris');
  await connected(page);
  const id = page.url().split('/w/')[1];
  const meta = await (await fetch(`${env.server.url}/api/workshops/${id}`)).json();
  assert.equal(meta.time_zone, 'Europe/Paris');
});
