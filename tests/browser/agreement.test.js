// Issue 13 in the browser (protocol/agreement.md): roles in the presence
// list (a facilitator designates a representative; a participant asks and
// is accepted), the observer link (created, shown again after a reload,
// followed on a phone read-only, revoked with a clear message), and the
// sign-off next to the statement (called, endorsed on a phone, "changed
// since" after an edit, the word diff, endorsed again, agreed), in French
// and English, with axe at zero violations.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { ROOT, artifact, launchBrowser, openPage } from './harness.js';
import { setupFile, axe, badTypography, until, PHONE, NNBSP } from './i12.js';

const NBSP = '\u00a0';
import { join, connected, statement, typeAt, noProblems, person } from './helpers.js';

const env = await setupFile();
const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('hex');
const SHOTS = path.join(ROOT, 'tests/browser/screenshots');

test('the sign-off panel and roles in presence, before anything happens: readable, axe clean, on a phone too', async (t) => {
  const w = await env.workshop(t, { text: `Quoi${NNBSP}?\n` });
  const jean = await env.guest(t, w, 'Jean', 'Banque Solidaire', { viewport: PHONE });
  await w.fac.locator('#signoff-status', { hasText: 'Aucune validation demandée' }).waitFor();
  await jean.locator('#signoff-status', { hasText: 'Aucune validation demandée' }).waitFor();
  // A participant may ask to represent their organisation, from their own line.
  await person(jean, 'Jean').getByRole('button', { name: 'Représenter mon organisation' }).waitFor();
  assert.equal(await jean.locator('#signoff-toggle').count(), 0, 'only facilitators call for sign-off');
  assert.equal(await w.fac.locator('#signoff-toggle').textContent(), 'Demander la validation');
  // The facilitator can designate from the list, and make the observer link from the share panel.
  await person(w.fac, 'Jean').getByRole('button', { name: 'Désigner représentant·e' }).waitFor();
  await w.fac.locator('#share-toggle').click();
  await w.fac.locator('#observer-create').waitFor();
  await axe(w.fac, 'facilitator page with the sign-off panel');
  await axe(jean, 'participant phone page with the sign-off panel');
  assert.deepEqual(await badTypography(w.fac), []);
  await w.fac.screenshot({ path: artifact('agreement-facilitator-fr.png'), fullPage: true });
  await jean.screenshot({ path: artifact('agreement-phone-participant-fr.png'), fullPage: true });
  noProblems(w.fac, jean);
});

test('roles: the facilitator designates a representative in one step; a participant asks and is accepted; rights follow at once', async (t) => {
  const w = await env.workshop(t, { text: `Quoi${NNBSP}?\n` });
  const jean = await env.guest(t, w, 'Jean', 'Banque Solidaire');
  const awa2 = await env.guest(t, w, 'Aminata', 'Ville de Lyon', { viewport: PHONE });

  // Designated from the presence list: the badge everywhere, the sign-off note on Jean's page.
  await person(w.fac, 'Jean').getByRole('button', { name: 'Désigner représentant·e' }).click();
  await person(jean, 'Jean').locator('.badge-representative').waitFor();
  await person(awa2, 'Jean').locator('.badge-representative').waitFor();
  await jean.locator('#signoff-mine', { hasText: 'Vous représentez Banque Solidaire' }).waitFor();
  // And back: a participant again, in one step.
  await person(w.fac, 'Jean').getByRole('button', { name: 'Redevenir participant·e' }).click();
  await until(async () => (await person(jean, 'Jean').locator('.badge-representative').count()) === 0, { message: 'Jean a participant again' });
  await jean.locator('#signoff-mine').waitFor({ state: 'hidden' });

  // Asked by a participant: waiting on their page, one step to accept on the facilitator's.
  await person(awa2, 'Aminata').getByRole('button', { name: 'Représenter mon organisation' }).click();
  await awa2.locator('#represent-waiting').waitFor();
  await w.fac.locator('#role-requests', { hasText: 'Aminata souhaite représenter Ville de Lyon' }).waitFor();
  await axe(w.fac, 'a request waiting');
  await w.fac.locator('#role-requests').getByRole('button', { name: 'Accepter' }).click();
  await person(awa2, 'Aminata').locator('.badge-representative').waitFor();
  await w.fac.locator('#role-requests').waitFor({ state: 'hidden' });
  await awa2.locator('#signoff-mine', { hasText: 'Vous représentez Ville de Lyon' }).waitFor();
  noProblems(w.fac, jean, awa2);
});

test('sign-off: called, endorsed on a phone, changed since, the difference, endorsed again, agreed (fr, en)', async (t) => {
  const w = await env.workshop(t, { text: `Quoi${NNBSP}? Un réseau de lieux où les jeunes de la ville pratiquent un sport chaque semaine.\n` });
  const jean = await env.guest(t, w, 'Jean', 'Banque Solidaire', { viewport: PHONE });
  const awa = await env.guest(t, w, 'Aminata', 'Ville de Lyon');
  for (const name of ['Jean', 'Aminata']) {
    await person(w.fac, name).getByRole('button', { name: 'Désigner représentant·e' }).click();
    await person(w.fac, name).locator('.badge-representative').waitFor();
  }
  await jean.locator('#signoff-mine').waitFor();

  // Called by the facilitator in one step: each organisation is waiting.
  await w.fac.locator('#signoff-toggle').click();
  await w.fac.locator('#signoff-toggle', { hasText: 'Clore la validation' }).waitFor();
  await jean.locator('#signoff-endorse').waitFor();
  await w.fac.locator('.signoff-row[data-org="Banque Solidaire"] .signoff-state', { hasText: 'en attente' }).waitFor();

  // Jean endorses on his phone (the revision it names is the server's).
  await jean.locator('#signoff-endorse').click();
  await w.fac.locator('.signoff-row[data-org="Banque Solidaire"] .signoff-state', { hasText: 'a validé' }).waitFor();
  // His page says it is done, instead of offering to endorse the same text again.
  await jean.locator('#signoff-done', { hasText: 'Banque Solidaire a validé ce texte (révision' }).waitFor();
  assert.equal(await jean.locator('#signoff-endorse').count(), 0, 'nothing more to endorse');
  assert.equal(await jean.locator('#signoff-decline').count(), 1, 'he may still change his mind');
  await axe(jean, 'a representative signing on a phone');
  await jean.screenshot({ path: artifact('agreement-phone-representative-fr.png'), fullPage: true });

  // Aminata endorses too: every organisation present agrees.
  await awa.locator('#signoff-endorse').click();
  await w.fac.locator('#signoff-agreed.is-current', { hasText: 'Accord trouvé' }).waitFor();
  await jean.locator('#signoff-agreed', { hasText: 'Banque Solidaire, Ville de Lyon' }).waitFor();

  // An edit: the agreement and both endorsements are now "changed since".
  await typeAt(w.fac, ' Ouverts le dimanche.', { after: 'chaque semaine.' });
  await until(async () => (await w.fac.locator('.badge-changed').count()) === 2, { message: 'two organisations changed since' });
  // The text changed: Jean may endorse the new version.
  await jean.locator('#signoff-endorse').waitFor();
  assert.equal(await jean.locator('#signoff-done').count(), 0);
  await w.fac.locator('#signoff-agreed', { hasText: 'Le texte a changé depuis l\'accord' }).waitFor();

  // Anyone opens the difference: a word diff of the endorsed text and the current one.
  await awa.locator('.signoff-row[data-org="Banque Solidaire"]').getByRole('button', { name: 'Voir les différences' }).click();
  await awa.locator('#signoff-diff-text ins', { hasText: 'dimanche' }).waitFor();
  await w.fac.locator('#agreed-diff').click();
  await w.fac.locator('#signoff-diff-text ins', { hasText: 'dimanche' }).waitFor();
  await axe(w.fac, 'changed since, with the difference open');
  assert.deepEqual(await badTypography(w.fac), []);
  await w.fac.locator('#signoff').screenshot({ path: path.join(SHOTS, 'signoff-changed-diff-fr.png') });
  await w.fac.locator('#lang-switch').click();
  await w.fac.locator('#signoff-diff-title', { hasText: 'Differences since the agreed text' }).waitFor();
  await w.fac.locator('#signoff').screenshot({ path: path.join(SHOTS, 'signoff-changed-diff-en.png') });
  await w.fac.locator('#lang-switch').click();

  // Jean declines with a reason; then both endorse the new text: agreed again.
  await jean.locator('#signoff-decline').click();
  await jean.locator('#signoff-reason').fill(`La partie «${NNBSP}Comment${NNBSP}?${NNBSP}» ne nous engage pas.`);
  // On his phone, the button that sends it is as easy to touch as the one beside it.
  const [send, cancel] = [await jean.locator('#signoff-decline-send').boundingBox(), await jean.locator('#signoff-decline-form [data-key="decline-cancel"]').boundingBox()];
  assert.ok(send.height >= 40 && send.height >= cancel.height - 2, `touch targets: ${JSON.stringify([send, cancel])}`);
  await jean.locator('#signoff-decline-send').click();
  await w.fac.locator('.signoff-row[data-org="Banque Solidaire"] .signoff-reason', { hasText: 'ne nous engage pas' }).waitFor();
  await jean.locator('#signoff-endorse').click();
  await awa.locator('#signoff-endorse').click();
  await until(async () => (await w.fac.locator('.badge-changed').count()) === 0, { message: 'nothing changed since' });
  await w.fac.locator('#signoff-agreed.is-current', { hasText: 'Accord trouvé' }).waitFor();
  assert.equal(await statement(jean), await statement(w.fac));
  noProblems(w.fac, jean, awa);
});

test('the replay shows the sign-off: its steps on the timeline, each organisation\'s decision then, changed since, the agreement (fr, en, phone)', async (t) => {
  const w = await env.workshop(t, { text: `Quoi${NNBSP}?\n` });
  const fac = await env.participant('Fanny', 'Animation', { key: w.facilitator_key, workshop: w.id });
  const awa = await env.participant('Aminata', 'Ville de Lyon', { workshop: w.id });
  const jean = await env.participant('Jean', 'Banque Solidaire', { workshop: w.id });
  for (const b of [awa, jean]) assert.equal((await fac.send({ type: 'role_set', participant: b.welcome.participant.id, role: 'representative' })).type, 'role');
  const must = async (b, msg, type = 'signoff') => {
    const r = await b.send(msg);
    assert.equal(r.type, type, JSON.stringify(r));
    return r;
  };
  const { rev, text } = awa.welcome.doc;
  await must(fac, { type: 'signoff_call' });
  await must(awa, { type: 'endorse', rev, sha256: sha256(text) });
  await must(jean, { type: 'decline', reason: 'Il manque le «\u202fcomment\u202f».' });
  // An edit: both decisions are then on an older text.
  const ack = await must(awa, { type: 'op', rev, op: [[...text].length, 'Des terrains ouverts le soir.\n'] }, 'ack');
  const text2 = `${text}Des terrains ouverts le soir.\n`;
  await must(awa, { type: 'endorse', rev: ack.rev + 1, sha256: sha256(text2) });
  const agreed = await must(jean, { type: 'endorse', rev: ack.rev + 1, sha256: sha256(text2) });
  assert.ok(agreed.agreed, 'agreed');
  await must(fac, { type: 'signoff_close' });

  const replay = await env.page(t);
  await replay.goto(`${env.server.url}/#/w/${w.id}/replay?key=${w.facilitator_key}`);
  // Seven steps, each a key moment: called, endorsed, declined, endorsed, endorsed, agreed, closed.
  const marks = replay.locator('.timeline-marks .mark-signoff');
  await until(async () => (await marks.count()) === 7, { message: 'the sign-off\'s steps on the timeline' });
  const panel = replay.locator('#replay-signoff');
  const row = (org) => panel.locator(`.signoff-row[data-org="${org}"]`);
  // The decline: the Banque declined with its reason, the Ville endorsed; the text then is the one they decided on.
  await marks.nth(2).click();
  await replay.locator('#replay-event', { hasText: 'Banque Solidaire refuse le texte' }).waitFor();
  await row('Banque Solidaire').locator('.signoff-state.is-declined').waitFor();
  await row('Banque Solidaire').locator('.signoff-reason', { hasText: 'Il manque le' }).waitFor();
  await row('Ville de Lyon').locator('.signoff-state.is-endorsed').waitFor();
  await replay.locator('#replay-signoff-status', { hasText: 'Validation en cours' }).waitFor();
  assert.equal(await panel.locator('.badge-changed').count(), 0, 'nothing changed yet');
  // After the edit, the Ville endorses the new text: the Banque's decision is on a changed text.
  await marks.nth(3).click();
  await row('Banque Solidaire').locator('.badge-changed', { hasText: 'modifié depuis' }).waitFor();
  assert.equal(await row('Ville de Lyon').locator('.badge-changed').count(), 0);
  assert.equal(await replay.locator('#replay-signoff-agreed').isHidden(), true, 'not agreed yet');
  // The agreement, then the close: the decisions stay.
  await marks.nth(6).click();
  await replay.locator('#replay-signoff-agreed.is-current', { hasText: 'Accord trouvé' }).waitFor();
  await replay.locator('#replay-signoff-agreed', { hasText: 'Banque Solidaire, Ville de Lyon' }).waitFor();
  await replay.locator('#replay-signoff-status', { hasText: 'Validation close' }).waitFor();
  assert.equal(await panel.locator('.signoff-state.is-endorsed').count(), 2);
  // Before the call, there is no sign-off to show.
  await replay.locator('#replay-prev-mark').click();
  await replay.locator('.timeline-marks .mark').first().click();
  await panel.waitFor({ state: 'hidden' });
  await marks.nth(6).click();
  await axe(replay, 'the replay with the sign-off');
  assert.deepEqual(await badTypography(replay), []);
  await panel.screenshot({ path: artifact('replay-signoff-fr.png') });
  await replay.locator('#lang-switch').click();
  await replay.locator('#replay-signoff-agreed', { hasText: 'Agreement reached' }).waitFor();
  await panel.screenshot({ path: artifact('replay-signoff-en.png') });
  // On a phone: the same, readable.
  const phone = await env.page(t, { viewport: PHONE });
  await phone.goto(`${env.server.url}/#/w/${w.id}/replay?key=${w.facilitator_key}`);
  const phoneMarks = phone.locator('.timeline-marks .mark-signoff');
  await until(async () => (await phoneMarks.count()) === 7, { message: 'the steps on the phone' });
  await phoneMarks.nth(3).click();
  await phone.locator('#replay-signoff .badge-changed').waitFor();
  await axe(phone, 'the replay with the sign-off on a phone');
  await phone.screenshot({ path: artifact('replay-signoff-phone-fr.png'), fullPage: true });
  noProblems(w.fac, replay, phone);
});

test('observers: a link made in one step, shown again after a reload, followed read-only on a phone, revoked with a clear message', async (t) => {
  const w = await env.workshop(t, { text: `Quoi${NNBSP}?\n` });
  await w.fac.locator('#share-toggle').click();
  await w.fac.locator('#observer-create').click();
  const link = await w.fac.locator('#observer-link').inputValue();
  assert.match(link, new RegExp(`#/w/${w.id}\\?observe=[A-Za-z0-9_-]{43}$`));
  // Its revocation sits right under it (not a screen further down).
  const field = await w.fac.locator('#observer-link').boundingBox();
  const revoke = await w.fac.locator('#observer-revoke').boundingBox();
  assert.ok(revoke.y - (field.y + field.height) < 100, `the revoke link under the link: ${JSON.stringify([field, revoke])}`);
  await w.fac.reload();
  await connected(w.fac);
  await w.fac.locator('#share-toggle').click();
  assert.equal(await w.fac.locator('#observer-link').inputValue(), link, 'shown again after a reload');

  // The observer joins with a name only; the key leaves the address bar.
  const obs = await env.page(t, { viewport: PHONE });
  await obs.goto(link);
  await obs.locator('#join-name').fill('Odile');
  await obs.locator('#join-submit', { hasText: 'Observer l\'atelier' }).click();
  await connected(obs);
  assert.doesNotMatch(obs.url(), /observe=/);
  await obs.locator('#observer-banner').waitFor();
  assert.equal(await obs.locator('#statement').getAttribute('readonly'), '');
  await w.fac.locator('#presence-count', { hasText: '1 observateur·rice' }).waitFor();
  await w.fac.locator('#observers', { hasText: 'Odile' }).waitFor();
  // Nothing that does not apply: no one to invite, help about following, not writing.
  assert.equal(await obs.locator('#share-toggle').isHidden(), true, 'observers invite nobody');
  assert.equal(await obs.locator('#share-panel').isHidden(), true);
  assert.match(await obs.locator('#statement-help').textContent(), /^Vous suivez le texte en direct/);
  assert.match(await w.fac.locator('#statement-help').textContent(), /^Tout le monde écrit/);
  // The replay counts the observer apart too, as the live page does.
  const replay = await env.page(t);
  await replay.goto(`${w.invite}/replay`);
  await replay.locator('.presence .count', { hasText: `1 personne · 1 observateur·rice` }).waitFor();
  await replay.locator('#replay-observers', { hasText: 'Odile' }).waitFor();
  assert.equal(await replay.locator('#replay-present', { hasText: 'Odile' }).count(), 0, 'not among the people taking part');
  await replay.close();

  // The statement live, with the facilitator's caret; polls without controls.
  await typeAt(w.fac, 'Un réseau de lieux.');
  await until(async () => (await statement(obs)).includes('Un réseau de lieux.'), { message: 'the observer sees the text' });
  await obs.locator('.rcaret').first().waitFor();
  // A poll launched in one step: the observer reads its question, with nothing to pick.
  await w.fac.locator('#poll-new-toggle').click();
  await w.fac.locator('.ready-launch[data-ready="vision"]').click();
  await obs.locator('.poll-question', { hasText: 'la même vision du résultat visé' }).waitFor();
  await obs.locator('.field-hint', { hasText: 'Vous observez' }).first().waitFor();
  assert.equal(await obs.locator('.ballot input').count(), 0, 'no choice to pick for an observer');
  await axe(obs, 'the observer page on a phone');
  await obs.screenshot({ path: path.join(SHOTS, 'observer-phone-fr.png'), fullPage: true });
  await obs.locator('#lang-switch').click();
  await obs.locator('#observer-banner', { hasText: 'You are observing' }).waitFor();
  await obs.screenshot({ path: path.join(SHOTS, 'observer-phone-en.png'), fullPage: true });

  // Revoked after a confirmation: the observer's page says so.
  await w.fac.locator('#observer-revoke').click();
  await w.fac.locator('#observer-revoke-yes').click();
  await w.fac.locator('#observer-create').waitFor();
  await obs.locator('#msg-heading', { hasText: 'This observer link was revoked' }).waitFor();
  noProblems(w.fac, obs);
});

test('an observer sees a poll\'s results exactly when participants do, never counted among those who answered (phone)', async (t) => {
  const w = await env.workshop(t, { text: `Quoi${NNBSP}?\n` });
  const fac = await env.participant('Fanny', 'Animation', { key: w.facilitator_key, workshop: w.id });
  const jean = await env.participant('Jean', 'Banque Solidaire', { workshop: w.id });
  const link = await fac.send({ type: 'observer_link', action: 'create' });
  const obs = await env.page(t, { viewport: PHONE });
  await obs.goto(`${w.invite}?observe=${link.key}`);
  await obs.locator('#join-name').fill('Odile');
  await obs.locator('#join-submit').click();
  await connected(obs);
  const lea = await env.guest(t, w, 'Léa', 'Association des Habitants', { viewport: PHONE });
  const made = await fac.send({ type: 'poll_create', kind: 'single', question: `Clair${NNBSP}?`, choices: ['Oui', 'Non'], open: true, visibility: 'hidden' });
  assert.equal(made.type, 'poll', JSON.stringify(made));
  assert.equal((await jean.vote(made.poll.id, 0)).type, 'my_ballot');
  // Hidden: the question, no results, on the observer's page as on Léa's.
  for (const p of [obs, lea]) await p.locator('.poll-question', { hasText: 'Clair' }).waitFor();
  await lea.locator('.ballot input').first().waitFor();
  for (const p of [obs, lea]) assert.equal(await p.locator('.results-count').count(), 0, 'no results while hidden');
  // Revealed: both see them; one person answered (the observer is not counted, and could not answer).
  assert.equal((await fac.send({ type: 'poll_results', poll: made.poll.id, visibility: 'revealed' })).type, 'poll');
  for (const p of [obs, lea]) await p.locator('.results-count', { hasText: '1 personne a répondu' }).waitFor();
  assert.equal(await obs.locator('.bar-row[data-count="1"]').count(), 1, 'Jean\'s vote, and nothing more');
  assert.equal(await obs.locator('.ballot input').count(), 0, 'nothing to pick for the observer');
  await axe(obs, 'an observer reading revealed results');
  await obs.screenshot({ path: artifact('observer-results-phone-fr.png'), fullPage: true });
  noProblems(w.fac, obs, lea);
});

test('endorsing from a page served over plain http to another machine (no Web Crypto there): the server takes the hash', async (t) => {
  // A laptop on the room's network serves http://192.168.x.y: not a secure
  // context, so the browser has no crypto.subtle. A host name other than
  // localhost, resolved to this machine, makes the same kind of page.
  const lan = await launchBrowser({ args: ['--host-resolver-rules=MAP atelier-lan.test 127.0.0.1'] });
  t.after(() => lan.close());
  const w = await env.workshop(t, { text: `Quoi${NNBSP}? Un réseau de lieux sportifs.\n` });
  const { page: jean } = await openPage(lan, { viewport: PHONE });
  const invite = w.invite.replace(/^http:\/\/[^/]+/, `http://atelier-lan.test:${new URL(w.invite).port}`);
  await join(jean, invite, 'Jean', 'Banque Solidaire');
  assert.deepEqual(await jean.evaluate(() => [window.isSecureContext, typeof crypto.subtle]), [false, 'undefined'], 'an insecure page, without Web Crypto');
  await person(w.fac, 'Jean').getByRole('button', { name: 'Désigner représentant·e' }).click();
  await w.fac.locator('#signoff-toggle').click();
  await jean.locator('#signoff-endorse').click();
  await w.fac.locator('.signoff-row[data-org="Banque Solidaire"] .signoff-state', { hasText: 'a validé' }).waitFor();
  // Only one organisation present: its endorsement is the agreement, on both pages.
  await w.fac.locator('#signoff-agreed.is-current', { hasText: 'Accord trouvé' }).waitFor();
  await jean.locator('#signoff-agreed.is-current', { hasText: 'Accord trouvé' }).waitFor();
  // The page compares hashes too: an edit makes the endorsement "changed since" there.
  await typeAt(w.fac, ' Le dimanche aussi.', { after: 'sportifs.' });
  await jean.locator('.signoff-row[data-org="Banque Solidaire"] .badge-changed').waitFor();
  noProblems(w.fac, jean);
});

test('a poll only representatives answer: set in the form, kept on edit, said on every card; the others see their organisation\'s answer; rights follow a role at once (fr, en, phone)', async (t) => {
  const QUESTION = `Votre organisation s'engage-t-elle sur ce résultat${NNBSP}?`;
  const w = await env.workshop(t, { text: `Quoi${NNBSP}?\n` });
  const jean = await env.guest(t, w, 'Jean', 'Banque Solidaire');
  const ines = await env.guest(t, w, 'Inès', 'Banque Solidaire', { viewport: PHONE });
  const card = (page) => page.locator('.poll-card', { has: page.locator('.poll-question', { hasText: QUESTION }) });

  // The facilitator writes it: the choice appears under "each organisation" only.
  await w.fac.locator('#poll-new-toggle').click();
  await w.fac.locator('#poll-blank').click();
  const form = w.fac.locator('.poll-form');
  const repsOnly = form.getByRole('checkbox', { name: /^Seul·es les représentant·es répondent pour leur organisation/ });
  assert.equal(await repsOnly.isHidden(), true, 'not offered while each person answers');
  await form.locator('textarea[name="question"]').fill(QUESTION);
  await form.locator('.choice-input').nth(0).fill('Oui, pleinement');
  await form.locator('.choice-input').nth(1).fill('Pas encore');
  await form.getByRole('radio', { name: /^Chaque organisation/ }).check();
  await repsOnly.check();
  await axe(w.fac, 'the poll form with "only representatives"');
  assert.deepEqual(await badTypography(w.fac), []);
  await form.screenshot({ path: artifact('reps-poll-form-fr.png') });
  await form.locator('[data-action="save"]').click();
  await card(w.fac).locator('.poll-reps', { hasText: 'Représentant·es seulement' }).waitFor();
  // Kept when the draft is edited.
  await card(w.fac).locator('[data-action="edit"]').click();
  assert.equal(await card(w.fac).getByRole('checkbox', { name: /^Seul·es les représentant·es/ }).isChecked(), true, 'kept on edit');
  await card(w.fac).locator('[data-action="cancel"]').click();
  await card(w.fac).locator('[data-action="open"]').click();

  // Nobody at Banque Solidaire represents it yet: everyone reads the question, nobody can pick.
  const NOTE = 'Seul·e un·e représentant·e de votre organisation peut répondre.';
  for (const [page, who] of [[jean, 'Jean'], [ines, 'Inès'], [w.fac, 'the facilitator']]) {
    await card(page).locator('.reps-note', { hasText: NOTE }).waitFor();
    await card(page).locator('.poll-reps').waitFor();
    assert.equal(await card(page).locator('.ballot input').count(), 0, `${who}: no choice to pick`);
  }
  await card(ines).locator('.my-ballot', { hasText: 'Votre organisation n\'a pas encore répondu.' }).waitFor();

  // Jean made representative: the choices at once, on his page only.
  await person(w.fac, 'Jean').getByRole('button', { name: 'Désigner représentant·e' }).click();
  await card(jean).locator('.ballot input').first().waitFor();
  await card(jean).locator('.ballot .field-hint', { hasText: 'Vous répondez pour toute votre organisation' }).waitFor();
  await card(jean).getByRole('radio', { name: 'Oui, pleinement' }).check();
  await card(jean).locator('.set-by', { hasText: 'Réponse choisie par vous.' }).waitFor();
  await card(jean).locator('.poll-status', { hasText: 'ses représentant·es peuvent la changer' }).waitFor();

  // Inès (a phone) sees her organisation's answer and who gave it, still with nothing to pick.
  await card(ines).locator('.my-ballot', { hasText: 'Oui, pleinement' }).waitFor();
  await card(ines).locator('.set-by', { hasText: 'Réponse choisie par Jean.' }).waitFor();
  await card(ines).locator('.preview-choices li.is-chosen', { hasText: 'Oui, pleinement' }).waitFor();
  assert.equal(await card(ines).locator('.ballot input').count(), 0);
  assert.equal(await card(ines).locator('.poll-status').textContent(), '', 'nothing said about a ballot she cannot give');
  assert.equal(await card(w.fac).locator('.ballot input').count(), 0, 'a facilitator is never a representative');
  await w.fac.locator('.poll-results', { hasText: 'Banque Solidaire' }).waitFor();
  await axe(ines, 'a member who is not a representative, on a phone');
  assert.deepEqual(await badTypography(ines), []);
  await card(ines).scrollIntoViewIfNeeded();
  await ines.screenshot({ path: artifact('reps-poll-phone-member-fr.png') });
  await card(jean).screenshot({ path: artifact('reps-poll-representative-fr.png') });
  await card(w.fac).screenshot({ path: artifact('reps-poll-facilitator-fr.png') });
  await ines.locator('#lang-switch').click();
  await card(ines).locator('.reps-note', { hasText: 'Only a representative of your organisation can answer.' }).waitFor();
  await card(ines).locator('.poll-reps', { hasText: 'Representatives only' }).waitFor();
  await card(ines).screenshot({ path: artifact('reps-poll-phone-member-en.png') });

  // Jean a participant again: the choices go, his organisation's answer stays.
  await person(w.fac, 'Jean').getByRole('button', { name: 'Redevenir participant·e' }).click();
  await card(jean).locator('.reps-note', { hasText: NOTE }).waitFor();
  assert.equal(await card(jean).locator('.ballot input').count(), 0);
  await card(jean).locator('.my-ballot', { hasText: 'Oui, pleinement' }).waitFor();
  noProblems(w.fac, jean, ines);
});

test('the join page: only the organisations of people taking part are offered, never an observer\'s or none; observers counted apart', async (t) => {
  const w = await env.workshop(t, { text: `Quoi${NNBSP}?\n` });
  await env.guest(t, w, 'Jean', 'Banque Solidaire');
  await w.fac.locator('#share-toggle').click();
  await w.fac.locator('#observer-create').click();
  const link = await w.fac.locator('#observer-link').inputValue();
  // Two observers: one for a funder, one with no organisation.
  for (const [name, organisation] of [['Paul', 'Fondation du Rhône'], ['Odile', '']]) {
    const obs = await env.page(t);
    await obs.goto(link);
    await obs.locator('#join-name').fill(name);
    await obs.locator('#join-org').fill(organisation);
    await obs.locator('#join-submit').click();
    await connected(obs);
  }
  await w.fac.locator('#presence-count', { hasText: '2 observateur·rices' }).waitFor();

  for (const [url, what] of [[w.invite, 'invite link'], [link, 'observer link']]) {
    const page = await env.page(t, { viewport: PHONE });
    await page.goto(url);
    await page.locator('#join-present', { hasText: `2${NBSP}personnes participent déjà. 2${NBSP}observateur·rices suivent l'atelier.` }).waitFor();
    const offered = await page.locator('#join-orgs option').evaluateAll((els) => els.map((e) => e.value));
    assert.deepEqual(offered.sort(), ['Banque Solidaire', 'Ville de Lyon'], `${what}: suggestions`);
    const chips = await page.locator('.chips .chip').allTextContents();
    if (url === w.invite) assert.deepEqual(chips.sort(), ['Banque Solidaire', 'Ville de Lyon'], 'buttons');
    else assert.deepEqual(chips, [], 'an observer joins no organisation: no buttons');
    await axe(page, `the join page through the ${what}`);
    assert.deepEqual(await badTypography(page), []);
    await page.screenshot({ path: artifact(`join-${url === w.invite ? 'invite' : 'observer'}-phone-fr.png`), fullPage: true });
  }
});
