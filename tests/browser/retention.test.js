// Issue 14, item 4: the facilitator sees when the workshop will be deleted
// if nothing is written to it (README, "How long data lives"), to the day in
// the workshop's time zone, with the exports one step away; the date moves
// on as people write, without a reload; participants are not told. On a
// phone, in French and in English, in the share panel and beside the summary
// once the workshop has ended.
import test from 'node:test';
import assert from 'node:assert/strict';
import { artifact } from './harness.js';
import { setupFile, axe, badTypography, notCut, until, PHONE } from './i12.js';
import { join, typeAt, noProblems } from './helpers.js';

const env = await setupFile();
const KEEP_MS = 90 * 86400e3; // the server's default retention
// The day as the page writes it (i18n/index.js, dateFormat: English as en-GB,
// French as fr-FR): in Paris, kept on one line (no-break spaces).
const day = (lang, ms) => new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'fr-FR', { dateStyle: 'long', timeZone: 'Europe/Paris' }).format(ms).replace(/ /g, '\u00a0');
const when = async (note) => Date.parse(await note.locator('time').getAttribute('datetime'));

async function createInParis(title) {
  const r = await fetch(`${env.server.url}/api/workshops`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title, time_zone: 'Europe/Paris' }),
  });
  assert.equal(r.status, 201);
  const w = await r.json();
  return { ...w, invite: `${env.server.url}/#/w/${w.id}`, facilitator: `${env.server.url}/#/w/${w.id}?key=${w.facilitator_key}` };
}

test('the deletion date in the share panel (phone, fr), moved on by a participant\'s edit, beside the summary after the end', async (t) => {
  const w = await createInParis('Combien de temps ?');
  const fac = await env.page(t, { viewport: PHONE });
  await join(fac, w.facilitator, 'Awa', 'Ville de Lyon');
  await fac.locator('#share-toggle').click();
  const note = fac.locator('#retention-note');
  await note.waitFor();
  const t1 = await when(note);
  assert.ok(t1 >= w.deletes_at, 'the join moved it on from the creation');
  assert.equal(await note.textContent(), `Sans activité, cet atelier sera supprimé le ${day('fr', t1)}. Exportez-le avant.`);
  assert.equal(await note.locator('a').getAttribute('href'), `#/w/${w.id}/replay`, 'the exports, one step away');
  assert.deepEqual(await notCut(note), []);
  assert.deepEqual(await badTypography(fac), []);
  await axe(fac, 'the share panel with the deletion date, phone');
  await note.scrollIntoViewIfNeeded();
  await fac.screenshot({ path: artifact('retention-phone-fr.png') });

  // A participant is not told (the exports are the facilitator's).
  const jean = await env.page(t);
  await join(jean, w.invite, 'Jean', 'Banque');
  await jean.locator('#share-toggle').click();
  await jean.locator('#share-panel').waitFor();
  assert.equal(await jean.locator('#retention-note').isHidden(), true);

  // Jean writes a second or more after the welcome: the facilitator's page moves the date on.
  await until(() => Date.now() >= t1 - KEEP_MS + 1500, { message: 'a second and a half after the welcome' });
  await typeAt(jean, 'Écrit.');
  await until(async () => (await when(note)) > t1, { message: 'the date moved on' });
  const t2 = await when(note);
  assert.ok(t2 - t1 >= 1000, `moved on by the time passed (${t2 - t1} ms)`);
  assert.equal(await note.textContent(), `Sans activité, cet atelier sera supprimé le ${day('fr', t2)}. Exportez-le avant.`);
  // What the page works out is what Redis has, within a message's latency.
  await until(async () => (await (await fetch(`${env.server.url}/api/workshops/${w.id}`)).json()).deletes_at >= t2 - 5000, { message: 'GET agrees' });

  // Ended: the line is beside the summary too.
  await fac.locator('#end-workshop').click();
  await fac.locator('#end-confirm-yes').click();
  const ended = fac.locator('#ended-retention');
  await ended.waitFor();
  assert.match(await ended.textContent(), /^Sans activité, cet atelier sera supprimé le .+\. Exportez-le avant\.$/);
  assert.doesNotMatch(await fac.locator('#ended-banner').textContent(), /null/, 'nothing absent written as "null"');
  await axe(fac, 'ended, with the deletion date, phone');
  await fac.locator('#ended-banner').screenshot({ path: artifact('retention-ended-phone-fr.png') });
  noProblems(fac, jean);
});

test('in English, on a phone', async (t) => {
  const w = await createInParis('How long?');
  const fac = await env.page(t, { viewport: PHONE, locale: 'en-GB' });
  await join(fac, w.facilitator, 'Awa', 'City');
  await fac.locator('#share-toggle').click();
  const note = fac.locator('#retention-note');
  await note.waitFor();
  assert.equal(await note.textContent(), `Without activity, this workshop will be deleted on ${day('en', await when(note))}. Export it before then.`);
  await axe(fac, 'the share panel with the deletion date, phone, English');
  await note.scrollIntoViewIfNeeded();
  await fac.screenshot({ path: artifact('retention-phone-en.png') });
  noProblems(fac);
});
