// Polls (issue #4) in a real browser against the real server and Redis: a
// facilitator and two participants of different organisations run a poll
// from a ready-made question, draft to revealed results; an open-answer poll
// with an upvote; a scale poll whose breakdown by organisation and alignment
// need a few more voters (WebSocket clients standing in for them, since the
// server breaks out an organisation only from 3 respondents); the polls panel
// passes axe; screenshots for a human to look at.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setup, artifact, until } from './harness.js';
import { join, connected, noProblems } from './helpers.js';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const SHARED_FR = 'Ce résultat est-il commun à toutes les organisations partenaires, ou propre à la vôtre\u202f?';
const EDITED = 'Le résultat « Quoi ? » est-il commun à tous nos partenaires ou propre à notre organisation ?';
const IMPACT_FR = 'Quel impact voulons-nous avoir en tant que groupe ?';

const { server, w, newPage, participant } = await setup({
  workshop: { title: 'Partenariat Ville – Banque – Association', text: 'Quoi ?\n\nPourquoi ?\n\nComment ?\n' },
});
const [fac, jean, ines] = await Promise.all([newPage(), newPage(), newPage({ viewport: { width: 820, height: 1180 } })]);
await Promise.all([
  join(fac, `${server.url}/#/w/${w.id}?key=${w.facilitator_key}`, 'Awa', 'Ville de Lyon'),
  join(jean, `${server.url}/#/w/${w.id}`, 'Jean', 'Banque'),
  join(ines, `${server.url}/#/w/${w.id}`, 'Inès', 'Association des Habitants'),
]);

const card = (page, question) => page.locator('.poll-card', { has: page.locator('.poll-question', { hasText: question }) });
const counts = (page, question) => card(page, question).locator('.poll-results .bars > .bar-row, .answers > .answer[data-upvotes]')
  .evaluateAll((rows) => rows.map((r) => Number(r.dataset.count ?? r.dataset.upvotes)));

async function countsAre(page, question, expected, what) {
  await until(async () => JSON.stringify(await counts(page, question)) === JSON.stringify(expected), { message: `${what}: counts ${expected}` });
}

async function announced(page, text) {
  await until(async () => (await page.locator('#announcer').textContent()).includes(text), { message: `announced "${text}"` });
}

/** A voter over the WebSocket protocol (no browser): join, vote, wait for the reply. */
async function bot(name, organisation) {
  const c = await participant(name, organisation);
  return { vote: (poll, ballot) => c.send({ type: 'vote', poll, ballot }) };
}

test('a poll from a ready-made question, draft to revealed results', async () => {
  // The facilitator starts from the method's question and creates a draft.
  await fac.locator('#poll-new-toggle').click();
  await fac.locator('.ready-question[data-ready="shared"]').click();
  const form = fac.locator('.poll-form');
  assert.equal(await form.locator('textarea[name="question"]').inputValue(), SHARED_FR);
  assert.deepEqual(await form.locator('.choice-input').evaluateAll((els) => els.map((e) => e.value)),
    ['Commun à toutes les organisations', 'Propre à notre organisation', 'Nous ne savons pas encore']);
  // Asked of each person here (the ready-made one is asked of organisations).
  await form.getByRole('radio', { name: /^Chaque personne/ }).check();
  await form.locator('[data-action="save"]').click();
  await card(fac, SHARED_FR).and(fac.locator('[data-state="draft"]')).waitFor();
  // Focus lands on the next step: opening it.
  assert.equal(await fac.evaluate(() => document.activeElement.dataset.action), 'open');

  // Participants see neither the draft nor any facilitator control.
  for (const p of [jean, ines]) {
    await p.locator('.polls-empty', { hasText: 'Aucun sondage' }).waitFor();
    assert.equal(await p.locator('.poll-card').count(), 0, 'drafts are not shown to participants');
    assert.equal(await p.locator('#poll-new-toggle').count(), 0);
  }

  // Edit the draft: name the statement item, reword a choice.
  await card(fac, SHARED_FR).locator('[data-action="edit"]').click();
  await form.locator('textarea[name="question"]').fill(EDITED);
  await form.locator('.choice-input').nth(2).fill('Nous ne savons pas encore');
  await form.locator('[data-action="save"]').click();
  await card(fac, EDITED).locator('.preview-choices li', { hasText: 'Nous ne savons pas encore' }).waitFor();
  assert.equal(await fac.evaluate(() => document.activeElement.dataset.action), 'edit', 'focus back on "edit"');

  // Open it: participants see it appear and hear about it.
  await card(fac, EDITED).locator('[data-action="open"]').click();
  await card(fac, EDITED).and(fac.locator('[data-state="open"]')).waitFor();
  assert.equal(await fac.evaluate(() => document.activeElement.dataset.action), 'close', 'focus moves from "open" to "close"');
  for (const p of [jean, ines]) {
    await card(p, EDITED).waitFor();
    await announced(p, `Sondage ouvert\u202f: ${EDITED}`);
  }
  await jean.locator('#polls-jump', { hasText: '1 sondage ouvert' }).waitFor();

  // Jean votes with the mouse; Inès with the keyboard, then changes her mind.
  await card(jean, EDITED).getByRole('radio', { name: 'Commun à toutes les organisations' }).check();
  const inesCard = card(ines, EDITED);
  await inesCard.getByRole('radio', { name: 'Propre à notre organisation' }).focus();
  await ines.keyboard.press('Space');
  await inesCard.locator('.poll-status', { hasText: 'Votre vote est enregistré' }).waitFor();
  await countsAre(fac, EDITED, [1, 1, 0], 'facilitator, both votes');
  await ines.keyboard.press('ArrowUp'); // radio group: the previous choice
  await until(async () => (await inesCard.getByRole('radio', { name: 'Commun à toutes les organisations' }).isChecked()), { message: 'Inès changed her vote' });
  await countsAre(fac, EDITED, [2, 0, 0], 'facilitator, after the change');
  await inesCard.locator('.poll-status', { hasText: 'Votre vote est enregistré' }).waitFor();

  // Hidden results: the facilitator sees them, labelled so; participants do not.
  await card(fac, EDITED).locator('.tag', { hasText: "Vus par l'animateur·rice seulement" }).waitFor();
  for (const p of [jean, ines]) {
    assert.equal(await card(p, EDITED).locator('.bar-row').count(), 0, 'no results for participants yet');
    await card(p, EDITED).locator('.results-pending').waitFor();
    assert.equal(await card(p, EDITED).locator('.poll-controls:visible, [data-action="close"], [data-action^="vis-"], [data-action="delete"]').count(), 0,
      'no facilitator control for participants');
  }
  // The live warning sits next to the live option and describes it.
  const live = card(fac, EDITED).locator('[data-action="vis-live"]');
  const warnId = await live.getAttribute('aria-describedby');
  assert.match(await fac.locator(`#${warnId}`).textContent(), /on peut alors deviner qui a voté quoi/);

  // Close: a clear message, the ballot kept and shown, no inputs left.
  await card(fac, EDITED).locator('[data-action="close"]').click();
  for (const p of [jean, ines]) {
    await card(p, EDITED).locator('.closed-note', { hasText: 'Ce sondage est clos' }).waitFor();
    assert.equal(await card(p, EDITED).locator('input').count(), 0);
    assert.match(await card(p, EDITED).locator('.my-ballot').textContent(), /Votre réponse\s:\sCommun à toutes les organisations/);
  }

  // Reveal: everybody sees the same counts, in text.
  await card(fac, EDITED).locator('[data-action="vis-revealed"]').click();
  for (const [p, who] of [[fac, 'facilitator'], [jean, 'Jean'], [ines, 'Inès']]) {
    await countsAre(p, EDITED, [2, 0, 0], who);
    const c = card(p, EDITED);
    assert.equal(await c.locator('.results-count').textContent(), '2 personnes ont répondu');
    // Real numbers in text beside each bar (Intl puts a no-break space before %).
    assert.deepEqual((await c.locator('.bars > .bar-row .bar-num').allTextContents()).map((s) => s.replace(/\s/g, ' ')), ['2 · 100 %', '0 · 0 %', '0 · 0 %']);
    // One respondent per organisation: no breakdown, no alignment, said plainly.
    await c.locator('.pill-none', { hasText: 'pas assez de réponses par organisation' }).waitFor();
    assert.equal(await c.locator('.org-bar').count(), 0);
  }
  await announced(jean, `Résultats révélés\u202f: ${EDITED}`);
  assert.equal(await card(jean, EDITED).locator('[data-action^="vis-"]').count(), 0);

  // A reload resumes as the same participant and gets the ballot back.
  await ines.reload();
  await connected(ines);
  await card(ines, EDITED).locator('.my-ballot', { hasText: 'Commun à toutes les organisations' }).waitFor();
  noProblems(fac, jean, ines);
});

test('an open-answer poll: answers as text, one upvote per person, counts live', async () => {
  await fac.locator('#poll-new-toggle').click();
  await fac.locator('.ready-question[data-ready="impact"]').click();
  await fac.locator('.poll-form [data-action="save"]').click();
  const fc = card(fac, IMPACT_FR);
  await fc.locator('[data-action="open"]').click();
  await fc.and(fac.locator('[data-state="open"]')).waitFor();
  await fc.locator('[data-action="vis-live"]').click();
  await fc.locator('[data-action="vis-live"][aria-pressed="true"]').waitFor();

  const evil = '<img src=x onerror=alert(1)>';
  const jc = card(jean, IMPACT_FR);
  for (const text of ['Un réseau qui dure', evil]) {
    await jc.locator('.answer-input').fill(text);
    await jc.locator('[data-action="add-answer"]').click();
    await jc.locator('.answer-text', { hasText: text }).waitFor();
  }
  await jc.locator('.field-hint', { hasText: 'Encore 1 réponse possible sur 3' }).waitFor();
  // Jean's own answers: marked as his, no upvote button on them.
  assert.equal(await jc.locator('.answer.is-mine').count(), 2);
  assert.equal(await jc.locator('.answer.is-mine [data-action="upvote"]').count(), 0);

  const ic = card(ines, IMPACT_FR);
  const answer = ic.locator('.answer', { hasText: 'Un réseau qui dure' });
  await answer.locator('[data-action="upvote"]').click();
  await answer.locator('[data-action="upvote"][aria-pressed="true"]').waitFor();
  // Upvoting is a toggle: one upvote per person per answer.
  for (const [p, who] of [[fac, 'facilitator'], [jean, 'Jean'], [ines, 'Inès']]) {
    await until(async () => {
      // Each answer is listed once, with its upvotes beside it.
      const top = card(p, IMPACT_FR).locator('.answers > .answer').first();
      return (await top.locator('.answer-text').textContent()) === 'Un réseau qui dure' && (await top.getAttribute('data-upvotes')) === '1';
    }, { message: `${who} sees the upvote live` });
  }
  assert.equal(await card(fac, IMPACT_FR).locator('.results-count').textContent(), '2 personnes ont participé');
  await answer.locator('[data-action="upvote"]').click();
  await countsAre(ines, IMPACT_FR, [0, 0], 'upvote withdrawn');
  await answer.locator('[data-action="upvote"]').click();
  await countsAre(jean, IMPACT_FR, [1, 0], 'upvote given again');

  // Untrusted text stays text everywhere.
  for (const p of [fac, jean, ines]) {
    await card(p, IMPACT_FR).locator('.answer-text', { hasText: evil }).waitFor();
    assert.equal(await p.locator('.polls img').count(), 0);
  }
  noProblems(fac, jean, ines);
});

test('a scale poll: breakdown by organisation in their colours, alignment in words, and screenshots', async () => {
  // From scratch, through the form.
  const QUESTION = 'Nos objectifs communs sont clairs pour tous.';
  await fac.locator('#poll-new-toggle').click();
  await fac.locator('#poll-blank').click();
  const form = fac.locator('.poll-form');
  await form.locator('textarea[name="question"]').fill(QUESTION);
  await form.getByRole('radio', { name: /^Échelle d'accord/ }).check();
  await form.locator('[data-action="save"]').click();
  const fc = card(fac, QUESTION);
  await fc.locator('[data-action="open"]').click();
  await fc.and(fac.locator('[data-state="open"]')).waitFor();
  const pollId = await fc.getAttribute('data-poll-id');

  // Enough people per organisation for the server to break them out.
  const voters = await Promise.all([
    ['Lina', 'Ville de Lyon', 5], ['Marc', 'Ville de Lyon', 4], ['Nora', 'Ville de Lyon', 5],
    ['Paul', 'Banque', 2], ['Rémi', 'Banque', 1], ['Sara', 'Banque', 2],
  ].map(async ([name, org, v]) => [await bot(name, org), v]));
  const replies = await Promise.all(voters.map(([b, v]) => b.vote(pollId, v)));
  assert.ok(replies.every((m) => m.type === 'my_ballot'), JSON.stringify(replies));
  await card(jean, QUESTION).getByRole('radio', { name: /^2 · Plutôt pas d'accord/ }).check();
  await card(ines, QUESTION).getByRole('radio', { name: /^3 · Ni d'accord/ }).check();

  // Banque: 4 respondents (mean 1.75), Ville de Lyon: 3 (mean 4.67),
  // Inès's organisation alone: in the total only. D = (4.6667 - 1.75) / 4.
  await countsAre(fac, QUESTION, [1, 3, 1, 1, 2], 'scale counts');
  await fc.locator('.pill-divergent', { hasText: 'Divergentes' }).waitFor();
  assert.match(await fc.locator('.alignment-detail').textContent(), /écart de 0,73 entre 2 organisations, sur une échelle de 0 \(mêmes réponses\) à 1 \(aucune réponse en commun\)/);
  assert.deepEqual(await fc.locator('.bars > .bar-row').first().locator('.org-bar-name').allTextContents(), ['Banque', 'Ville de Lyon']);
  assert.match(await fc.locator('.results-note', { hasText: 'total' }).textContent(), /1 réponse vient d'organisations trop peu nombreuses/);
  assert.match(await fc.locator('.means').textContent(), /Moyenne\s:\s3,0 sur 5.*Banque\s:\s1,8.*Ville de Lyon\s:\s4,7/);
  // Organisation colours are the presence list's (and the editor's).
  const swatch = async (loc) => loc.evaluate((el) => getComputedStyle(el).backgroundColor);
  const barBanque = fc.locator('.org-bar', { hasText: 'Banque' }).first().locator('.swatch');
  const listBanque = fac.locator('.org-group', { hasText: 'Banque' }).locator('.swatch');
  assert.equal(await swatch(barBanque), await swatch(listBanque));
  // The explanation is one click away.
  await fc.locator('.alignment-help summary').click();
  await fc.locator('.alignment-help p', { hasText: 'Divergentes\u202f: 0,5 ou plus.' }).waitFor();

  // Live for everyone: participants see the same breakdown.
  await fc.locator('[data-action="vis-live"]').click();
  await countsAre(jean, QUESTION, [1, 3, 1, 1, 2], 'Jean sees live results');
  await card(jean, QUESTION).locator('.pill-divergent').waitFor();

  // axe on the polls panel, both roles (evaluate runs outside the page's CSP).
  for (const [p, who] of [[fac, 'facilitator'], [jean, 'participant']]) {
    await p.evaluate(AXE);
    const result = await p.evaluate(() => globalThis.axe.run('#polls', {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    }));
    assert.deepEqual(result.violations.map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`), [], `${who}: axe`);
  }

  // The finished poll folds away; its results come back on demand.
  const closed = card(fac, EDITED);
  await closed.locator('[data-action="toggle"]').click();
  assert.equal(await closed.locator('.poll-details').isHidden(), true);
  assert.equal(await closed.locator('[data-action="toggle"]').getAttribute('aria-expanded'), 'false');
  assert.equal(await fac.evaluate(() => document.activeElement.dataset.action), 'toggle');

  await fac.evaluate(() => window.scrollTo(0, 0));
  await fac.screenshot({ path: artifact('polls-fr.png'), fullPage: true });
  await jean.screenshot({ path: artifact('polls-participant-fr.png'), fullPage: true });
  await ines.screenshot({ path: artifact('polls-tablet-fr.png'), fullPage: true });
  const overflow = await ines.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  assert.equal(overflow, false, 'no horizontal scrolling on a tablet');
  noProblems(fac, jean, ines);
});
