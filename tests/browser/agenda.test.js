// Issue 13, items 4 and 5, in real browsers against the real server and
// Redis: the facilitator runs the agenda with its timer (start, pause,
// extend, resume, next) and a participant's page shows the same time left,
// after a reload too; the agenda editor; the contribution balance shown to
// the facilitator only, matching known edits; a phone; the replay's
// chapters. Screenshots in French and English.
import test from 'node:test';
import assert from 'node:assert/strict';
import { artifact } from './harness.js';
import { setupFile, axe, badTypography, until, PHONE, NNBSP } from './i12.js';
import { connected, noProblems, marksApart, countdown, currentPhase, person } from './helpers.js';

const env = await setupFile();

/**
 * Both pages show the same time left, within a second (read one after the
 * other); `paused`: and both say so (or both say it runs), so that a step
 * not arrived yet is waited for rather than read as done.
 */
async function sameTime(a, b, what, { paused } = {}) {
  return until(async () => {
    const [x, y] = [await countdown(a), await countdown(b)];
    return x && y && x.paused === y.paused && (paused === undefined || x.paused === paused) && Math.abs(x.s - y.s) <= 1 && [x, y];
  }, { message: `${what}: the same time left on both pages` });
}

test('the facilitator runs the phases; a participant sees the same time left, after a reload too', async (t) => {
  const w = await env.workshop(t, { text: `Quoi${NNBSP}?\n` });
  const { fac } = w;
  const jean = await env.guest(t, w, 'Jean', 'Banque Solidaire');
  for (const p of [fac, jean]) await p.locator('#agenda:not([hidden])').waitFor();
  // The method's phases, named in the reader's language.
  await fac.locator('.agenda-step', { hasText: `Comment saurons-nous si nous avons réussi${NNBSP}?` }).waitFor();
  assert.equal(await jean.locator('.agenda-step').count(), 6);
  assert.equal(await jean.locator('#agenda-controls').isHidden(), true, 'participants get no controls');

  // Start: one step; everyone sees phase 1 under way with its 20 minutes.
  await fac.locator('#agenda-start').click();
  for (const p of [fac, jean]) await until(async () => (await currentPhase(p)) === 'what', { message: 'first phase under way' });
  let [x] = await sameTime(fac, jean, 'started');
  assert.ok(x.s <= 20 * 60 && x.s > 19 * 60, `about 20 minutes left: ${x.text}`);

  // Pause: frozen, said in words on both pages.
  await fac.locator('#agenda-pause').click();
  [x] = await sameTime(fac, jean, 'paused', { paused: true });
  const frozen = x.s;
  // +5 min while paused, in one step.
  await fac.locator('#agenda-extend').click();
  await until(async () => (await countdown(jean)).s === frozen + 300, { message: '+5 min on the participant\'s page' });
  // Another amount: 2 minutes.
  await fac.locator('#agenda-extend-minutes').fill('2');
  await fac.locator('#agenda-extend-other').click();
  await until(async () => (await countdown(jean)).s === frozen + 420, { message: '+2 min on the participant\'s page' });
  await fac.locator('#agenda-resume').click();
  [x] = await sameTime(fac, jean, 'resumed', { paused: false });
  // Running again: the participant's countdown goes down.
  await until(async () => (await countdown(jean)).s < x.s, { message: 'the countdown runs' });

  // Next phase.
  await fac.locator('#agenda-next').click();
  for (const p of [fac, jean]) await until(async () => (await currentPhase(p)) === 'why', { message: 'second phase under way' });
  await sameTime(fac, jean, 'next phase');
  await fac.screenshot({ path: artifact('agenda-fr.png') });
  await axe(fac, 'facilitator with a running timer');
  await axe(jean, 'participant with a running timer');
  assert.deepEqual(await badTypography(jean), []);

  // A reload: the welcome brings the agenda and the server's time.
  await jean.reload();
  await connected(jean);
  await until(async () => (await currentPhase(jean)) === 'why', { message: 'phase after a reload' });
  await sameTime(fac, jean, 'after a reload');

  // English: the preset phases follow the reader's language.
  await jean.locator('#lang-switch').click();
  await jean.locator('.agenda-step[aria-current="step"]', { hasText: 'Why?' }).waitFor();
  await jean.locator('#agenda-countdown', { hasText: 'left' }).waitFor();
  await jean.screenshot({ path: artifact('agenda-en.png') });
  noProblems(fac, jean);
});

test('the agenda editor checks what the server checks; a change reaches everyone', async (t) => {
  const w = await env.workshop(t);
  const { fac } = w;
  const jean = await env.guest(t, w, 'Jean', 'Banque Solidaire');
  await fac.locator('#agenda-edit').click();
  await fac.locator('#agenda-editor form').waitFor();
  assert.equal(await fac.locator('.agenda-edit-row').count(), 6);
  // A bad row is refused before anything is sent.
  await fac.locator('#agenda-add').click();
  await fac.locator('#agenda-edit-title-6').fill('Tour de table');
  await fac.locator('#agenda-edit-minutes-6').fill('0');
  await fac.locator('#agenda-save').click();
  await fac.locator('#agenda-edit-minutes-6[aria-invalid="true"]').waitFor();
  await fac.locator('#agenda-edit-minutes-6-error', { hasText: 'de 1 à 600' }).waitFor();
  await axe(fac, 'agenda editor with an error');
  await fac.locator('#agenda-edit-minutes-6').fill('10');
  // Reorder: the new phase goes first; remove the last preset one.
  for (let i = 6; i > 0; i--) await fac.locator('.agenda-edit-row').nth(i).locator('.move-up').click();
  await fac.locator('.agenda-edit-row').nth(6).locator('.agenda-edit-remove').click();
  await fac.locator('#agenda-save').click();
  await fac.locator('#agenda-editor').waitFor({ state: 'hidden' });
  await until(async () => (await jean.locator('.agenda-step-title').allTextContents()).join('|') === ['Tour de table', `Quoi${NNBSP}?`, `Pourquoi${NNBSP}?`, `Comment${NNBSP}?`, 'Les priorités de chaque organisation', `Comment saurons-nous si nous avons réussi${NNBSP}?`].join('|'),
    { message: 'the new agenda on the participant\'s page' });
  noProblems(fac, jean);
});

test('the balance: the facilitator sees each organisation\'s share, a participant never does', async (t) => {
  const w = await env.workshop(t, { text: '' });
  const { fac } = w;
  const jean = await env.guest(t, w, 'Jean', 'Banque Solidaire');
  const ville = await env.participant('Awa', 'Ville de Lyon', { workshop: w.id });
  const banque = await env.participant('Marc', 'Banque Solidaire', { workshop: w.id });
  // Known edits, one after the other: Ville writes 30 code points, the Banque 10 and deletes 2.
  let rev = ville.welcome.doc.rev;
  const op = async (bot, o) => {
    const r = await bot.send({ type: 'op', rev, op: o });
    assert.equal(r.type, 'ack', JSON.stringify(r));
    rev = r.rev + 1; // the ack names the revision the op was applied at; the document is now one further
  };
  await op(ville, ['Nous voulons des quartiers 🤝 !']); // 30 code points
  await op(banque, [30, 'Et agir !!']);
  await op(banque, [38, { d: 2 }]);
  const row = (org) => fac.locator(`#balance .balance-org[data-org="${org}"]`);
  await row('Ville de Lyon').locator('.balance-writing', { hasText: 'caractères ajoutés : 30, supprimés : 0'.replaceAll(' :', `${NNBSP}:`) }).waitFor();
  await row('Banque Solidaire').locator('.balance-writing', { hasText: 'caractères ajoutés : 10, supprimés : 2'.replaceAll(' :', `${NNBSP}:`) }).waitFor();
  await row('Ville de Lyon').locator('.balance-writing', { hasText: `71${NNBSP}%` }).waitFor();
  // Ville has most of the writing while both are present: said in words.
  await fac.locator('#balance-dominant', { hasText: 'Ville de Lyon' }).waitFor();
  await axe(fac, 'facilitator with the balance');
  await fac.locator('#balance').screenshot({ path: artifact('balance-fr.png') });
  await fac.locator('#lang-switch').click();
  await row('Ville de Lyon').locator('.balance-writing', { hasText: 'characters added: 30, deleted: 0' }).waitFor();
  await fac.locator('#balance').screenshot({ path: artifact('balance-en.png') });
  // Never on a participant's page, nor in their messages.
  assert.equal(await jean.locator('#balance').isHidden(), true);
  assert.equal(await jean.locator('#balance .balance-org').count(), 0);
  assert.equal(banque.welcome.balance, undefined);
  assert.equal(banque.got.some((m) => m.type === 'balance'), false);
  noProblems(fac, jean);
});

test('a phone: the phase and its time left stay in view; the replay\'s chapters', async (t) => {
  const w = await env.workshop(t);
  const { fac } = w;
  const phone = await env.guest(t, w, 'Léa', 'Association des Habitants', { viewport: PHONE });
  await fac.locator('#agenda-start').click();
  await until(async () => (await countdown(phone)) !== null, { message: 'countdown on the phone' });
  // Scrolled to the bottom, the phase and its time left are at the top of the screen.
  await phone.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  const mini = phone.locator('#agenda-mini');
  await mini.waitFor();
  await phone.locator('#agenda-mini', { hasText: `Quoi${NNBSP}?` }).waitFor();
  await until(async () => /\d+:\d\d restantes/.test(await phone.locator('#agenda-mini-time').textContent()), { message: 'time left in the strip' });
  const box = await mini.boundingBox();
  assert.ok(box && box.y >= 0 && box.y + box.height <= 80, `strip at the top: ${JSON.stringify(box)}`);
  await phone.screenshot({ path: artifact('agenda-phone-scrolled.png') });
  await phone.evaluate(() => window.scrollTo(0, 0));
  await mini.waitFor({ state: 'hidden' });
  await axe(phone, 'phone with the agenda');
  await phone.screenshot({ path: artifact('agenda-phone.png') });

  // Two chapters, then the replay: jump to each in one step.
  await fac.locator('#agenda-next').click();
  await until(async () => (await currentPhase(phone)) === 'why', { message: 'second phase on the phone' });
  const replay = await env.page(t);
  await replay.goto(`${env.server.url}/#/w/${w.id}/replay?key=${w.facilitator_key}`);
  await replay.locator('#replay-chapters .replay-chapter').nth(1).waitFor();
  assert.deepEqual(await replay.locator('#replay-chapters .replay-chapter').allTextContents().then((l) => l.map((s) => s.replace(/ · .*/, ''))), [`1. Quoi${NNBSP}?`, `2. Pourquoi${NNBSP}?`]);
  await replay.locator('#replay-chapters .replay-chapter').nth(0).click();
  await replay.locator('#replay-agenda', { hasText: `Quoi${NNBSP}?` }).waitFor();
  await replay.locator('#replay-agenda', { hasText: '20:00 restantes' }).waitFor();
  await replay.locator('.replay-chapter[aria-current="step"]', { hasText: 'Quoi' }).waitFor();
  await replay.locator('#replay-chapters .replay-chapter').nth(1).click();
  await replay.locator('#replay-agenda', { hasText: `Pourquoi${NNBSP}?` }).waitFor();
  // The timeline's marks (the legend has a .mark-chapter key of its own).
  assert.equal(await replay.locator('.timeline-marks .mark-chapter').count(), 2);
  await marksApart(replay, 'replay with chapters');
  await replay.locator('#replay-balance:not([hidden])').waitFor();
  await axe(replay, 'replay with chapters');
  noProblems(fac, phone, replay);
});

test('a phase jumped over is shown skipped, not done: on a phone, after a reload, in English', async (t) => {
  const w = await env.workshop(t);
  const { fac } = w;
  const phone = await env.guest(t, w, 'Léa', 'Association des Habitants', { viewport: PHONE });
  await fac.locator('#agenda-start').click(); // Quoi ?
  await until(async () => (await currentPhase(phone)) === 'what', { message: 'first phase on the phone' });
  // Straight to Validation, in one step from its row.
  await fac.locator('.agenda-step-start[data-phase="validation"]').click();
  for (const p of [fac, phone]) await until(async () => (await currentPhase(p)) === 'validation', { message: 'validation on both pages' });
  const states = (p) => p.locator('.agenda-step').evaluateAll((els) => els.map((e) => [e.dataset.phase,
    ['is-current', 'is-past', 'is-skipped', 'is-next'].find((c) => e.classList.contains(c)), e.querySelector('.tag')?.textContent ?? null]));
  const expected = (skipped) => [['what', 'is-past', null], ['why', 'is-skipped', skipped], ['how', 'is-skipped', skipped],
    ['priorities', 'is-skipped', skipped], ['success', 'is-skipped', skipped], ['validation', 'is-current', 'en cours']];
  assert.deepEqual(await states(fac), expected('non abordée'));
  // The phone opens the list: the same, and the skipped ones are not struck through.
  await phone.locator('#agenda-toggle').click();
  await phone.locator('.agenda-step.is-skipped').first().waitFor();
  assert.equal(await phone.locator('#agenda-toggle').textContent(), 'Masquer les phases', 'the toggle says what it does now');
  assert.deepEqual(await states(phone), expected('non abordée'));
  const struck = await phone.locator('.agenda-step.is-skipped .agenda-step-title').evaluateAll((els) => els.map((e) => getComputedStyle(e).textDecorationLine));
  assert.deepEqual(struck, ['none', 'none', 'none', 'none']);
  assert.equal(await phone.locator('.agenda-step.is-past .agenda-step-title').evaluate((e) => getComputedStyle(e).textDecorationLine), 'line-through');
  await phone.locator('.agenda-step[data-phase="how"]').scrollIntoViewIfNeeded();
  await phone.screenshot({ path: artifact('agenda-skipped-phone.png') });
  await axe(phone, 'phone with skipped phases');
  assert.deepEqual(await badTypography(phone), []);
  // After a reload the server's record says the same (the client never guessed it).
  await phone.reload();
  await connected(phone);
  await until(async () => (await currentPhase(phone)) === 'validation', { message: 'validation after a reload' });
  assert.deepEqual(await states(phone), expected('non abordée'));
  // Back to one jumped over: it ran; then the end: the others stay skipped.
  await fac.locator('.agenda-step-start[data-phase="how"]').click();
  await until(async () => (await currentPhase(fac)) === 'how', { message: 'back to how' });
  await fac.locator('#agenda-next').click();
  await until(async () => (await currentPhase(fac)) === 'priorities', { message: 'priorities' });
  await fac.locator('.agenda-step-start[data-phase="validation"]').click();
  await until(async () => (await currentPhase(fac)) === 'validation', { message: 'validation again' });
  await fac.locator('#agenda-next').click(); // the end
  await fac.locator('#agenda-phase', { hasText: 'Programme terminé (2 phases sur 6 non abordées)' }).waitFor();
  await phone.locator('#lang-switch').click();
  await phone.locator('#agenda-phase', { hasText: 'Agenda finished (2 of 6 phases skipped)' }).waitFor();
  assert.deepEqual(await states(phone), [['what', 'is-past', null], ['why', 'is-skipped', 'skipped'], ['how', 'is-past', null],
    ['priorities', 'is-past', null], ['success', 'is-skipped', 'skipped'], ['validation', 'is-past', null]]);
  await phone.locator('#agenda-toggle').click(); // closed again by the reload
  await phone.locator('.agenda-step.is-skipped').first().waitFor();
  await phone.screenshot({ path: artifact('agenda-skipped-phone-en.png') });
  // The replay, at the jump: the phases skipped by then are named.
  const replay = await env.page(t);
  await replay.goto(`${env.server.url}/#/w/${w.id}/replay?key=${w.facilitator_key}`);
  await replay.locator('#replay-chapters .replay-chapter').nth(1).click(); // Validation, the first time
  await replay.locator('#replay-agenda', { hasText: `Non abordées${NNBSP}: Pourquoi${NNBSP}?, Comment${NNBSP}?, Les priorités de chaque organisation, Comment saurons-nous si nous avons réussi${NNBSP}?` }).waitFor();
  await replay.locator('#replay-chapters .replay-chapter').nth(0).click(); // before the jump: nothing skipped
  await replay.locator('#replay-agenda', { hasText: `Quoi${NNBSP}?` }).waitFor();
  assert.doesNotMatch(await replay.locator('#replay-agenda').textContent(), /Non abordées/);
  noProblems(fac, phone, replay);
});

test('the call for sign-off is a moment of the agenda: called from its phase\'s row, its state there for everyone, the button for the facilitator only', async (t) => {
  const w = await env.workshop(t);
  const { fac } = w;
  await fac.locator('#share-toggle').click();
  await fac.locator('#observer-create').click();
  const observerLink = await fac.locator('#observer-link').inputValue();
  await fac.locator('#share-toggle').click();
  const obs = await env.page(t);
  await obs.goto(observerLink);
  await obs.locator('#join-name').fill('Odile');
  await obs.locator('#join-org').fill('Fondation Horizon');
  await obs.locator('#join-submit').click();
  await connected(obs);
  const jean = await env.guest(t, w, 'Jean', 'Banque Solidaire');
  const lea = await env.guest(t, w, 'Léa', 'Association des Habitants', { viewport: PHONE });
  for (const name of ['Jean', 'Léa']) {
    await person(fac, name).getByRole('button', { name: 'Désigner représentant·e' }).click();
    await person(fac, name).locator('.badge-representative').waitFor();
  }
  await lea.locator('#agenda-toggle').click(); // the phone opens the phases
  const row = (p, phase) => p.locator(`.agenda-step[data-phase="${phase}"]`);
  // Before any call: the facilitator's call sits in the Validation row; nobody else has one.
  await row(fac, 'validation').locator('#agenda-signoff-call', { hasText: 'Demander la validation' }).waitFor();
  for (const p of [jean, lea, obs]) assert.equal(await p.locator('#agenda-signoff-call').count(), 0);
  // The phase under way (Quoi ?) takes it: the facilitator may call from where the workshop is.
  await fac.locator('#agenda-start').click();
  await until(async () => (await currentPhase(lea)) === 'what', { message: 'first phase' });
  await row(fac, 'what').locator('#agenda-signoff-call').waitFor();
  // In the Validation phase: one step from its row.
  await fac.locator('.agenda-step-start[data-phase="validation"]').click();
  await until(async () => (await currentPhase(lea)) === 'validation', { message: 'validation' });
  await row(fac, 'validation').locator('#agenda-signoff-call').waitFor();
  await fac.locator('#agenda').screenshot({ path: artifact('agenda-signoff-call-fr.png') });
  await row(fac, 'validation').locator('#agenda-signoff-call').click();
  // Called: the state in that row on every page, the call gone; the panel under the statement agrees.
  for (const p of [fac, jean, lea, obs]) {
    await row(p, 'validation').locator('#agenda-signoff-state', { hasText: `Validation demandée${NNBSP}: 0 organisation sur 2 a approuvé` }).waitFor();
  }
  assert.equal(await fac.locator('#agenda-signoff-call').count(), 0, 'no second call while it is open');
  await fac.locator('#signoff-toggle', { hasText: 'Clore la validation' }).waitFor();
  for (const p of [jean, lea, obs]) assert.equal(await p.locator('#agenda-signoff-call').count(), 0, 'the state, not the button');
  // One endorses: 1 of 2; the other: agreed.
  await jean.locator('#signoff-endorse').click();
  for (const p of [fac, lea, obs]) await row(p, 'validation').locator('#agenda-signoff-state', { hasText: '1 organisation sur 2 a approuvé' }).waitFor();
  await lea.locator('#signoff-endorse').click();
  for (const p of [fac, jean, lea, obs]) await row(p, 'validation').locator('#agenda-signoff-state.is-agreed', { hasText: 'Énoncé adopté par 2 organisations' }).waitFor();
  await row(lea, 'validation').scrollIntoViewIfNeeded();
  await lea.screenshot({ path: artifact('agenda-signoff-phone.png') });
  await fac.locator('#agenda').screenshot({ path: artifact('agenda-signoff-fr.png') });
  await axe(fac, 'agenda with the sign-off in its row');
  await axe(lea, 'phone agenda with the sign-off in its row');
  assert.deepEqual(await badTypography(fac), []);
  // English, after a reload: the same, from the server's state.
  await obs.reload();
  await connected(obs);
  await obs.locator('#lang-switch').click();
  await row(obs, 'validation').locator('#agenda-signoff-state', { hasText: 'Statement agreed by 2 organisations' }).waitFor();
  noProblems(fac, jean, lea, obs);
});
