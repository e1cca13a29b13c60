// Issue 13, item 6: a whole workshop in real browsers against the real
// server and Redis. Three organisations write (one person on a phone, one
// reading in English), the facilitator runs the phases with the timer
// (start, pause, extend, resume, next), designates one representative per
// organisation, calls for sign-off; one organisation endorses, an edit
// comes, a second endorses the new text, so the first is "changed since";
// the difference is opened (its words checked), the first endorses again,
// the third too, and the statement is agreed on every page. An observer
// watched throughout from the observer link on a phone: the text with
// carets, the agenda, the sign-off; counted apart; unable to write. The
// facilitator's exports (fr, en) say all of it: the phases, every
// endorsement with its time, person, organisation, revision and hash, the
// agreement with the final text and its organisations, the people and
// their roles, the balance. Everything waits on conditions, never on time.
import test from 'node:test';
import assert from 'node:assert/strict';
import { artifact } from './harness.js';
import { setupFile, axe, badTypography, until, PHONE, NNBSP } from './i12.js';
import { join, connected, converged, statement, typeAt, noProblems, person, countdown, currentPhase } from './helpers.js';

const env = await setupFile();

const FAC = { name: 'Awa', org: 'Équipe d\'animation' };
const BANQUE = 'Banque Solidaire';
const ASSO = 'Association des Habitants';
const VILLE = 'Ville de Lyon';
const OBSERVER = { name: 'Odile', org: 'Fondation Horizon' };

// What each organisation writes (code points, for the balance).
const WRITES = {
  [BANQUE]: ['Un réseau de lieux sportifs ouverts à tous les jeunes.\n', 'Un financement partagé sur trois ans.\n'],
  [ASSO]: ['Parce que les jeunes du quartier n\'ont nulle part où jouer.\n'],
  [VILLE]: ['La ville prête ses gymnases le soir.\n'],
};
const EDIT = ' Open on Sundays.'; // Ville's edit during the sign-off, after "le soir."
const codePoints = (s) => [...s].length;

/** Every page says the same thing about one organisation's decision. */
async function everywhere(pages, what, selector, opts) {
  for (const p of pages) await p.locator(selector, opts).first().waitFor({ timeout: 20000 }).catch((e) => { throw new Error(`${what}: ${e.message}`); });
}

/**
 * The whole page, from its top: scrolled down, the agenda's strip is fixed
 * at the top of the screen and a full-page picture would show it in the
 * middle of the page.
 */
async function shot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.locator('#agenda-mini').waitFor({ state: 'hidden' });
  await page.screenshot({ path: artifact(name), fullPage: true });
}

/** The facilitator's export, read with the facilitator key. */
async function exported(w, format, lang) {
  const r = await fetch(`${env.server.url}/api/workshops/${w.id}/export?format=${format}&lang=${lang}`, {
    headers: { authorization: `Bearer ${w.facilitator_key}` },
  });
  assert.equal(r.status, 200, `export ${format} ${lang}`);
  return format === 'json' ? r.json() : r.text();
}

/** The time a sign-off decision was made, on the workshop's clock, as the Markdown export writes it. */
function exportTime(ms, lang, zone) {
  const f = new Intl.DateTimeFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return f.format(new Date(ms));
}

test('a whole workshop: three organisations write, the phases run, the statement is signed off and agreed, an observer watches, the export says it all (fr, en)', async (t) => {
  const w = await env.workshop(t, { text: `Quoi${NNBSP}?\n`, name: FAC.name, organisation: FAC.org });
  const { fac } = w;

  // ---- the observer link, and the observer on a phone from the start ----
  await fac.locator('#share-toggle').click();
  await fac.locator('#observer-create').click();
  const observerLink = await fac.locator('#observer-link').inputValue();
  await fac.locator('#share-toggle').click();
  const obs = await env.page(t, { viewport: PHONE });
  await obs.goto(observerLink);
  await obs.locator('#join-name').fill(OBSERVER.name);
  await obs.locator('#join-org').fill(OBSERVER.org);
  await obs.locator('#join-submit').click();
  await connected(obs);
  await obs.locator('#observer-banner').waitFor();

  // ---- three organisations: a desktop, a phone, a desktop in English ----
  const jean = await env.guest(t, w, 'Jean', BANQUE);
  const lea = await env.guest(t, w, 'Léa', ASSO, { viewport: PHONE });
  const tom = await env.page(t, { locale: 'en-GB' });
  await join(tom, w.invite, 'Tom', VILLE);
  await tom.locator('#statement-label', { hasText: 'statement' }).waitFor();
  const writers = [jean, lea, tom];
  const everyone = [fac, ...writers, obs];

  // Counted apart: three people take part (and the facilitator), one observes.
  await fac.locator('#presence-count', { hasText: `4 personnes · 1 observateur·rice` }).waitFor();
  await tom.locator('#presence-count', { hasText: '4 people · 1 observer' }).waitFor();
  await fac.locator('#observers', { hasText: OBSERVER.name }).waitFor();
  assert.equal(await person(fac, OBSERVER.name).locator('.badge-representative, .role-action').count(), 0, 'an observer is never designated');

  // ---- the first phase: started in one step, everyone (the observer too) sees it ----
  await obs.locator('#agenda-phase', { hasText: '6 phases prévues, aucune en cours' }).waitFor();
  await fac.locator('#agenda-start').click();
  for (const p of everyone) await until(async () => (await currentPhase(p)) === 'what', { message: 'first phase under way' });
  await until(async () => (await countdown(obs))?.s > 19 * 60, { message: 'the observer sees about 20 minutes left' });

  // Each organisation writes, one after the other (the texts are known, for the balance).
  await typeAt(jean, WRITES[BANQUE][0]);
  await converged(everyone);
  await typeAt(lea, WRITES[ASSO][0]);
  await converged(everyone);
  // The observer sees the writers' carets, with their names.
  await obs.locator('.rcaret-label', { hasText: 'Léa' }).waitFor();

  // Pause, +5 min, resume: the observer's countdown follows.
  await fac.locator('#agenda-pause').click();
  const paused = await until(async () => { const c = await countdown(obs); return c?.paused && c; }, { message: 'paused on the observer\'s page' });
  await fac.locator('#agenda-extend').click();
  await until(async () => (await countdown(obs)).s === paused.s + 300, { message: '+5 min on the observer\'s page' });
  await fac.locator('#agenda-resume').click();
  await until(async () => (await countdown(obs)).paused === false, { message: 'running again on the observer\'s page' });

  // ---- the second phase ----
  await fac.locator('#agenda-next').click();
  for (const p of everyone) await until(async () => (await currentPhase(p)) === 'why', { message: 'second phase under way' });
  await tom.locator('#agenda-phase', { hasText: 'Why?' }).waitFor();
  await typeAt(tom, WRITES[VILLE][0]);
  await converged(everyone);
  await typeAt(jean, WRITES[BANQUE][1]);
  const written = await converged(everyone);
  await obs.locator('.rcaret-label', { hasText: 'Jean' }).waitFor();

  // The observer cannot write: the statement is read-only, typing changes nothing.
  assert.equal(await obs.locator('#statement').getAttribute('readonly'), '');
  await obs.locator('#statement').focus();
  await obs.keyboard.type('xyz');
  assert.equal(await statement(obs), written);
  assert.equal(await obs.locator('#agenda-controls').isHidden(), true, 'no agenda controls for the observer');

  // ---- representatives: one per organisation, each in one step ----
  for (const name of ['Jean', 'Léa', 'Tom']) {
    await person(fac, name).getByRole('button', { name: 'Désigner représentant·e' }).click();
    await person(fac, name).locator('.badge-representative').waitFor();
  }
  for (const p of writers) await p.locator('#signoff-mine').waitFor();
  await person(obs, 'Tom').locator('.badge-representative').waitFor();

  // ---- the sign-off, in the method's last phase ----
  await fac.locator('.agenda-step-start[data-phase="validation"]').click();
  for (const p of everyone) await until(async () => (await currentPhase(p)) === 'validation', { message: 'the validation phase under way' });
  await fac.locator('#signoff-toggle').click();
  await fac.locator('#signoff-toggle', { hasText: 'Clore la validation' }).waitFor();
  // Three organisations sign; the observer's and the facilitator's do not.
  await everywhere(everyone, 'each organisation waiting', `.signoff-row[data-org="${VILLE}"] .signoff-state.is-waiting`);
  assert.equal(await fac.locator('.signoff-row').count(), 3);
  assert.equal(await obs.locator('#signoff-endorse').count(), 0, 'the observer cannot sign');

  // The Banque endorses; then the Ville edits; then the Association endorses the new text.
  await jean.locator('#signoff-endorse').click();
  await everywhere(everyone, 'the Banque endorsed', `.signoff-row[data-org="${BANQUE}"] .signoff-state.is-endorsed`);
  await typeAt(tom, EDIT, { after: 'le soir.' });
  const edited = await converged(everyone);
  assert.ok(edited.includes(`le soir.${EDIT}`));
  // The phone endorses the text as the server has it now.
  await lea.locator('#signoff-endorse', { hasText: 'révision' }).waitFor();
  await lea.locator('#signoff-endorse').click();
  await everywhere(everyone, 'the Association endorsed', `.signoff-row[data-org="${ASSO}"] .signoff-state.is-endorsed`);

  // One organisation is "changed since": the Banque, on every page.
  for (const p of everyone) {
    await until(async () => (await p.locator('.badge-changed').count()) === 1
      && (await p.locator(`.signoff-row[data-org="${BANQUE}"] .badge-changed`).count()) === 1, { message: 'the Banque alone changed since' });
  }
  await tom.locator(`.signoff-row[data-org="${BANQUE}"] .badge-changed`, { hasText: 'changed since' }).waitFor();

  // The difference, opened by the observer: the Ville's words, added, nothing removed.
  await obs.locator(`.signoff-row[data-org="${BANQUE}"]`).getByRole('button', { name: 'Voir les différences' }).click();
  await obs.locator('#signoff-diff-title', { hasText: `Banque Solidaire` }).waitFor();
  const diffText = obs.locator('#signoff-diff-text');
  await diffText.locator('ins').first().waitFor();
  const inserted = await diffText.locator('ins').evaluateAll((els) => els.map((e) => [...e.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join('')).join('|'));
  assert.equal(inserted.trim(), EDIT.trim(), 'the inserted words');
  assert.equal(await diffText.locator('del').count(), 0, 'nothing removed');
  await obs.locator('.diff-summary', { hasText: `Mots ajoutés${NNBSP}: 3 · mots retirés${NNBSP}: 0` }).waitFor();
  assert.match(await diffText.textContent(), /le soir\./, 'the words around the change');
  // The facilitator's page in English shows the same difference.
  await tom.locator(`.signoff-row[data-org="${BANQUE}"]`).getByRole('button', { name: 'Show the differences' }).click();
  await tom.locator('.diff-summary', { hasText: 'Words added: 3 · words removed: 0' }).waitFor();

  // The Banque endorses again; nothing is changed since.
  await jean.locator('#signoff-endorse').click();
  for (const p of everyone) await until(async () => (await p.locator('.badge-changed').count()) === 0, { message: 'nothing changed since' });
  // The differences opened from the Banque's older endorsement close: there is none now.
  for (const p of [obs, tom]) await p.locator('#signoff-diff').waitFor({ state: 'hidden' });
  assert.equal(await fac.locator('#signoff-agreed').isHidden(), true, 'not agreed while the Ville has not endorsed');

  // The Ville endorses: every organisation present agrees; every page says so.
  await tom.locator('#signoff-endorse').click();
  const agreedOrgs = [ASSO, BANQUE, VILLE].join(', ');
  for (const p of [fac, jean, lea, obs]) await p.locator('#signoff-agreed.is-current', { hasText: 'Accord trouvé' }).waitFor();
  await tom.locator('#signoff-agreed.is-current', { hasText: 'Agreement reached' }).waitFor();
  for (const p of everyone) await p.locator('#signoff-agreed', { hasText: agreedOrgs }).waitFor();
  const finalText = await statement(fac);
  for (const p of everyone) assert.equal(await statement(p), finalText);

  // ---- the balance, for the facilitator only ----
  const row = (org) => fac.locator(`#balance .balance-org[data-org="${org}"]`);
  const expected = {
    [BANQUE]: WRITES[BANQUE].map(codePoints).reduce((a, b) => a + b),
    [ASSO]: codePoints(WRITES[ASSO][0]),
    [VILLE]: codePoints(WRITES[VILLE][0]) + codePoints(EDIT),
  };
  for (const [org, n] of Object.entries(expected)) {
    await row(org).locator('.balance-writing', { hasText: `caractères ajoutés${NNBSP}: ${n}, supprimés${NNBSP}: 0` }).waitFor();
    await row(org).locator('.balance-present', { hasText: '1 personne présente' }).waitFor();
  }
  for (const p of [...writers, obs]) assert.equal(await p.locator('#balance .balance-org').count(), 0, 'the balance is the facilitator\'s');

  // ---- screenshots (looked at) and accessibility ----
  await axe(fac, 'facilitator after the agreement');
  await axe(obs, 'observer phone after the agreement');
  await axe(tom, 'English page after the agreement');
  assert.deepEqual(await badTypography(fac), []);
  assert.deepEqual(await badTypography(obs), []);
  await shot(fac, 'agreement-workshop-facilitator-fr.png');
  await shot(obs, 'agreement-workshop-observer-phone-fr.png');
  await fac.locator('#lang-switch').click();
  await fac.locator('#signoff-agreed', { hasText: 'Agreement reached' }).waitFor();
  await shot(fac, 'agreement-workshop-facilitator-en.png');
  await fac.locator('#lang-switch').click();
  await obs.locator('#lang-switch').click();
  await obs.locator('#observer-banner', { hasText: 'You are observing' }).waitFor();
  await shot(obs, 'agreement-workshop-observer-phone-en.png');

  // The agenda is done after its last phase.
  await fac.locator('#agenda-next').click();
  for (const p of everyone) await until(async () => (await currentPhase(p)) === null, { message: 'the agenda done' });
  // Said as finished, not as "not started yet", after a reload too (the server keeps it);
  // the three phases jumped over (from Pourquoi ? to Validation) are not claimed as run.
  for (const p of [fac, jean, lea]) await p.locator('#agenda-phase', { hasText: 'Programme terminé (3 phases sur 6 non abordées)' }).waitFor();
  for (const p of [tom, obs]) await p.locator('#agenda-phase', { hasText: 'Agenda finished (3 of 6 phases skipped)' }).waitFor(); // both read English now
  await lea.reload();
  await connected(lea);
  await lea.locator('#agenda-phase', { hasText: 'Programme terminé (3 phases sur 6 non abordées)' }).waitFor();

  // ---- the exports say it all ----
  const json = await exported(w, 'json', 'fr');
  const zone = json.time_zone;
  const roles = Object.fromEntries(json.participants.map((p) => [p.name, p.role]));
  assert.deepEqual(roles, { Awa: 'facilitator', Jean: 'representative', Léa: 'representative', Tom: 'representative', Odile: 'observer' });
  const endorsements = json.events.filter((e) => e.type === 'endorsed');
  assert.deepEqual(endorsements.map((e) => [e.org, e.name]), [[BANQUE, 'Jean'], [ASSO, 'Léa'], [BANQUE, 'Jean'], [VILLE, 'Tom']]);
  const agreedEv = json.events.filter((e) => e.type === 'agreed');
  assert.equal(agreedEv.length, 1);
  assert.deepEqual(agreedEv[0].organisations, [ASSO, BANQUE, VILLE]);
  const finalRev = endorsements.at(-1).endorsed_rev;
  assert.equal(agreedEv[0].rev, finalRev);
  assert.equal(agreedEv[0].sha256, endorsements.at(-1).sha256);
  assert.deepEqual(json.events.filter((e) => e.type === 'phase_started').map((e) => e.phase), ['what', 'why', 'validation']);
  for (const type of ['phase_paused', 'phase_extended', 'phase_resumed', 'agenda_done', 'signoff_called']) {
    assert.ok(json.events.some((e) => e.type === type), `the JSON has ${type}`);
  }

  const md = { fr: await exported(w, 'md', 'fr'), en: await exported(w, 'md', 'en') };
  const words = {
    fr: {
      phases: ['Déroulé par phase', `1. Quoi${NNBSP}?`, `2. Pourquoi${NNBSP}?`, '3. Validation',
        `Phases non abordées${NNBSP}: Comment${NNBSP}?, Les priorités de chaque organisation, Comment saurons-nous si nous avons réussi${NNBSP}?.`],
      endorsed: (e) => `${exportTime(e.t, 'fr', zone)} — ${e.org} (${e.name}) approuve l'énoncé de la révision ${e.endorsed_rev} (SHA-256 ${e.sha256})`,
      agreed: `(révision ${finalRev}, SHA-256 ${agreedEv[0].sha256}) par les organisations présentes${NNBSP}: ${agreedOrgs}`,
      final: 'C\'est l\'énoncé final ci-dessus.',
      balance: 'Équilibre des contributions',
      validationPhase: '### 3. Validation',
      signoffInPhase: '*Validation pendant la phase*',
      agreedInPhase: `Énoncé adopté (révision ${finalRev}) par les organisations présentes${NNBSP}: ${agreedOrgs}`,
    },
    en: {
      phases: ['Phase by phase', '1. What?', '2. Why?', '3. Sign-off', 'Phases skipped: How?, Each organisation\'s priorities, How will we know we succeeded?.'],
      endorsed: (e) => `${exportTime(e.t, 'en', zone)} — ${e.org} (${e.name}) endorses the statement of revision ${e.endorsed_rev} (SHA-256 ${e.sha256})`,
      agreed: `(revision ${finalRev}, SHA-256 ${agreedEv[0].sha256}) by the organisations present: ${agreedOrgs}`,
      final: 'It is the final statement above.',
      balance: 'Contribution balance',
      validationPhase: '### 3. Sign-off',
      signoffInPhase: '*Sign-off during the phase*',
      agreedInPhase: `Statement agreed (revision ${finalRev}) by the organisations present: ${agreedOrgs}`,
    },
  };
  for (const lang of ['fr', 'en']) {
    const text = md[lang];
    const say = words[lang];
    for (const s of say.phases) assert.ok(text.includes(s), `${lang}: the phases (${s})`);
    for (const e of endorsements) assert.ok(text.includes(say.endorsed(e)), `${lang}: the endorsement ${say.endorsed(e)}`);
    assert.ok(text.includes(say.agreed), `${lang}: the agreement`);
    assert.ok(text.includes(say.final), `${lang}: the final text is the one agreed`);
    for (const line of finalText.split('\n').filter(Boolean)) assert.ok(text.includes(line), `${lang}: the final text (${line})`);
    // The sign-off was a moment of the agenda: its decisions and the agreement are in the validation phase's section.
    const phase = text.slice(text.indexOf(say.validationPhase), text.indexOf('\n## ', text.indexOf(say.validationPhase)));
    assert.ok(phase.includes(say.signoffInPhase), `${lang}: the sign-off in its phase`);
    for (const e of endorsements) assert.ok(phase.includes(say.endorsed(e)), `${lang}: the endorsement in its phase ${say.endorsed(e)}`);
    assert.ok(phase.includes(say.agreedInPhase), `${lang}: the agreement in its phase`);
    assert.ok(!text.slice(0, text.indexOf(say.validationPhase)).includes(say.signoffInPhase), `${lang}: no sign-off in the phases before`);
    const balance = text.slice(text.lastIndexOf(say.balance));
    for (const [org, n] of Object.entries(expected)) {
      assert.match(balance, new RegExp(`${org}[^\\n]*\\b${n}\\b`), `${lang}: the balance of ${org}`);
    }
  }
  noProblems(...everyone);
});
