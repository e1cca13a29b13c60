'use strict';
// The participants' summary (protocol/history.md, "The participants'
// summary"): once a workshop has ended, each participant and observer reads
// the printable summary (HTML, or Markdown) with their own token, as a
// Bearer (GET) or in a form (POST, what the end banner's link sends), in
// French or English. It holds what participants could see and nothing else:
// no contribution balance, no result they were not shown, no draft. Not
// before the end, nor once the workshop is reopened (409 not_ended); a wrong
// token, another workshop's, a facilitator key or a revoked observer's is
// 403 forbidden; no token 401.
//
// Two server processes: the summary is read through the one the person did
// not join, after the end was written through the other.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, httpRequest, bearer, assertSchema } = require('./harness');

const NNBSP = '\u202f';

function summary(port, id, token, { format, lang } = {}) {
  const q = new URLSearchParams();
  if (format) q.set('format', format);
  if (lang) q.set('lang', lang);
  return httpRequest(port, 'GET', `/api/workshops/${id}/summary${q.size ? `?${q}` : ''}`, { headers: bearer(token) });
}

function postSummary(port, id, form) {
  return httpRequest(port, 'POST', `/api/workshops/${id}/summary`, {
    body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

function exported(port, id, key, format, lang) {
  return httpRequest(port, 'GET', `/api/workshops/${id}/export?format=${format}&lang=${lang}`, { headers: bearer(key) });
}

/** The Markdown's poll section of a question: from its heading to the next heading. */
function pollSection(md, question) {
  const at = md.indexOf(`. ${question}`);
  assert.ok(at >= 0, `the summary has the poll « ${question} »`);
  const rest = md.slice(at);
  const next = rest.slice(1).search(/\n#{2,3} /);
  return next < 0 ? rest : rest.slice(0, next + 1);
}

describe('the participants\' summary', { timeout: 60000 }, () => {
  let h;
  before(async () => { h = await Harness.start({ servers: 2 }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('after the end, with their own token: no balance, no hidden result; not before, not once reopened', async () => {
    const [s1, s2] = h.servers;
    const w = await s1.createWorkshop({ title: 'Bilan partagé', text: 'Quoi ?\n', time_zone: 'Europe/Paris' });
    const fac = h.client({ server: s1, workshop: w.id, name: 'Awa', organisation: 'Ville', key: w.facilitator_key });
    const jean = h.client({ server: s1, workshop: w.id, name: 'Jean', organisation: 'Banque' });
    const lea = h.client({ server: s1, workshop: w.id, name: 'Léa', organisation: 'Asso' });
    await fac.start();
    const jeanToken = (await jean.start()).token;
    await lea.start();
    const { key: okey } = await fac.must({ type: 'observer_link', action: 'create' }, 'observer_link');
    const obs = h.client({ server: s1, workshop: w.id, name: 'Zoé', observe: okey });
    const obsWelcome = await obs.start();
    assert.equal(obsWelcome.role, 'observer');

    // Edits (the balance counts them), a poll whose results are shown, one
    // whose results stay hidden, and a draft.
    await jean.must({ type: 'op', rev: (await s1.workshopRev(w.id)), op: [7, 'emploi '] }, 'ack');
    const shown = (await fac.must({ type: 'poll_create', kind: 'single', question: 'Priorité commune', choices: ['Emploi', 'Logement'] }, 'poll')).poll;
    const hidden = (await fac.must({ type: 'poll_create', kind: 'single', question: 'Vote secret', choices: ['Rouge', 'Vert'] }, 'poll')).poll;
    await fac.must({ type: 'poll_create', kind: 'scale', question: 'Brouillon jamais ouvert' }, 'poll');
    for (const p of [shown, hidden]) await fac.must({ type: 'poll_open', poll: p.id }, 'poll');
    for (const c of [jean, lea]) {
      await c.must({ type: 'vote', poll: shown.id, ballot: 0 }, 'my_ballot');
      await c.must({ type: 'vote', poll: hidden.id, ballot: 1 }, 'my_ballot');
    }
    await fac.must({ type: 'poll_results', poll: shown.id, visibility: 'revealed' }, 'poll');

    // Not before the end: 409 not_ended, for a participant and an observer.
    for (const token of [jeanToken, obsWelcome.token]) {
      const early = await summary(s2.port, w.id, token);
      assert.equal(early.status, 409, early.text);
      assert.equal(early.json.error.code, 'not_ended');
      assertSchema('http-error', early.json);
    }

    await fac.must({ type: 'workshop_end' }, 'workshop');

    // The facilitator's export has the balance and the hidden poll's figures: the test can tell.
    const facMd = (await exported(s1.port, w.id, w.facilitator_key, 'md', 'fr')).text;
    assert.match(facMd, /## Équilibre des contributions/);
    assert.match(pollSection(facMd, 'Vote secret'), /\| Vert \| 2/);

    // A participant, through the other process, in French: HTML by default, under the facilitator's policy.
    const html = await summary(s2.port, w.id, jeanToken, { lang: 'fr' });
    assert.equal(html.status, 200, html.text);
    assert.match(html.headers['content-type'], /^text\/html; charset=utf-8/);
    const csp = html.headers['content-security-policy'];
    const nonce = /style-src 'nonce-([A-Za-z0-9_-]+)'/.exec(csp)[1];
    assert.equal(csp, `default-src 'none'; style-src 'nonce-${nonce}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
    assert.match(html.headers['content-disposition'], /^inline; filename="atelier-.*-resume-fr\.html"$/);
    assert.match(html.text, /<html lang="fr"/);
    assert.match(html.text, /Bilan partagé/);
    assert.match(html.text, /Priorité commune/);
    assert.doesNotMatch(html.text, /Équilibre des contributions|Contributions à la fin de la phase/);
    assert.doesNotMatch(html.text, /Brouillon jamais ouvert/);

    // The Markdown, in English: the shown results are there, the hidden ones not, nor the balance.
    for (const lang of ['fr', 'en']) {
      const md = await summary(s2.port, w.id, jeanToken, { format: 'md', lang });
      assert.equal(md.status, 200, md.text);
      assert.match(md.headers['content-type'], /^text\/markdown/);
      assert.match(pollSection(md.text, 'Priorité commune'), /\| Emploi \| 2/);
      const secret = pollSection(md.text, 'Vote secret');
      assert.doesNotMatch(secret, /\| (Rouge|Vert) \|/, 'no figure of a result participants were not shown');
      assert.doesNotMatch(secret, /Répondants|Respondents/);
      assert.match(secret, lang === 'fr' ? /\*Résultats non montrés aux participant·es\.\*/ : /\*Results not shown to participants\.\*/);
      assert.doesNotMatch(md.text, lang === 'fr' ? /Équilibre des contributions|Caractères insérés/ : /Contribution balance|Characters inserted/);
      assert.doesNotMatch(md.text, /Brouillon jamais ouvert/);
      if (lang === 'fr') assert.match(md.text, new RegExp(`Répondants${NNBSP}: 2`));
    }

    // An observer gets the same, by the form a page posts (what the end banner sends).
    const form = `token=${obsWelcome.token}&lang=en`;
    assertSchema('summary-request', Object.fromEntries(new URLSearchParams(form)));
    const byForm = await postSummary(s2.port, w.id, form);
    assert.equal(byForm.status, 200, byForm.text);
    assert.match(byForm.text, /<html lang="en"/);
    assert.match(byForm.text, /Priorité commune/);
    assert.doesNotMatch(byForm.text, /Contribution balance/);

    // Refused: a wrong token, the facilitator key, no token, a bad form, a format the summary has not.
    const wrong = `${jeanToken.split('.')[0]}.${'A'.repeat(22)}`;
    for (const token of [wrong, w.facilitator_key, 'p' + 'x'.repeat(16) + '.secret']) {
      const r = await summary(s2.port, w.id, token);
      assert.equal(r.status, 403, `${token}: ${r.text}`);
      assert.equal(r.json.error.code, 'forbidden');
      assertSchema('http-error', r.json);
    }
    const none = await summary(s2.port, w.id, undefined);
    assert.equal(none.status, 401);
    assert.equal((await postSummary(s2.port, w.id, `token=${wrong}`)).status, 403);
    for (const form of ['', `token=${jeanToken}&token=${jeanToken}`, `token=${jeanToken}&key=x`, `token=${encodeURIComponent('<a>')}`]) {
      const r = await postSummary(s2.port, w.id, form);
      assert.equal(r.status, 400, `${form}: ${r.text}`);
      assert.equal(r.json.error.code, 'bad_request');
    }
    const csv = await summary(s2.port, w.id, jeanToken, { format: 'csv' });
    assert.equal(csv.status, 400);

    // Another workshop's participant may not read this one's.
    const other = await s1.createWorkshop({ title: 'Autre' });
    const stranger = h.client({ server: s1, workshop: other.id, name: 'Paul', organisation: 'Banque' });
    const strangerToken = (await stranger.start()).token;
    assert.equal((await summary(s2.port, w.id, strangerToken)).status, 403);

    // A revoked observer link takes the observer's summary with it.
    await fac.must({ type: 'observer_link', action: 'revoke' }, 'observer_link');
    const revoked = await summary(s2.port, w.id, obsWelcome.token);
    assert.equal(revoked.status, 403, revoked.text);

    // Reopened: withdrawn (409 not_ended), through either process.
    await fac.must({ type: 'workshop_reopen' }, 'workshop');
    for (const s of [s1, s2]) {
      const r = await summary(s.port, w.id, jeanToken);
      assert.equal(r.status, 409, r.text);
      assert.equal(r.json.error.code, 'not_ended');
    }
    // Ended again: back.
    await fac.must({ type: 'workshop_end' }, 'workshop');
    assert.equal((await summary(s2.port, w.id, jeanToken)).status, 200);
    h.assertNoProblems();
  });
});
