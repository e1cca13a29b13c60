'use strict';
// The sign-off of the statement (protocol/agreement.md, "Sign-off").
//
// Two server processes on one Redis. A facilitator calls for sign-off; the
// representatives of three organisations decide: two endorse a revision (one
// through each process, each process's clients hear the other's), the third
// declines; an edit makes the endorsed text "changed since"; an endorsement
// of an older revision with its right hash is taken (read from the
// history); a wrong hash, a future revision, a non-representative, a
// facilitator's endorsement, an observer's call, close, endorsement or
// decline, and any decision while no call is open are refused and change
// nothing. When every organisation present has endorsed
// the current text, the statement is agreed (observers and facilitators make
// no organisation present). The sign-off goes on after the workshop's end.
// A process that loads the workshop afresh has the same state, and the
// history holds every step.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { Harness, waitUntil, getJson, bearer, fetchAllHistory, assertSchema } = require('./harness');

const sha256 = (text) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');
const ZEROES = '0'.repeat(64);

// The decisions of a signoff message, by organisation.
const byOrg = (s) => Object.fromEntries(s.organisations.map((d) => [d.org, d]));

describe('sign-off', { timeout: 120000 }, () => {
  let h;
  before(async () => { h = await Harness.start({ servers: 2 }); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('call, endorse, decline, changed since, older revision, refusals, agreement, two processes, reload, history',
    { timeout: 90000 }, async () => {
      const [s1, s2] = h.servers;
      const w = await s1.createWorkshop({ title: 'Accord', text: 'Quoi ?\n', time_zone: 'Europe/Paris' });
      const fac = h.client({ server: s1, workshop: w.id, name: 'Fatou', organisation: 'Animation', key: w.facilitator_key });
      const awa = h.client({ server: s1, workshop: w.id, name: 'Awa', organisation: 'Ville' });
      const paul = h.client({ server: s1, workshop: w.id, name: 'Paul', organisation: 'Ville' });
      const jean = h.client({ server: s2, workshop: w.id, name: 'Jean', organisation: 'Banque' });
      const lea = h.client({ server: s1, workshop: w.id, name: 'Léa', organisation: 'Asso' });
      const welcome = await fac.start();
      assert.deepEqual(welcome.signoff, { open: false, called_at: null, organisations: [], agreed: null });
      for (const c of [awa, paul, jean, lea]) await c.start();
      for (const c of [awa, jean, lea]) {
        await fac.must({ type: 'role_set', participant: c.participant.id, role: 'representative' }, 'role');
      }
      await waitUntil(() => jean.role === 'representative' && awa.role === 'representative' && lea.role === 'representative');
      // An observer, of an organisation of their own, follows on the other process.
      const link = await fac.must({ type: 'observer_link', action: 'create' }, 'observer_link');
      const obs = h.client({ server: s2, workshop: w.id, name: 'Zoé', organisation: 'Financeur' });
      await obs.open();
      const obsWelcome = await obs.request({ type: 'join', workshop: w.id, name: 'Zoé', organisation: 'Financeur', observer_key: link.key });
      assert.equal(obsWelcome.role, 'observer');
      assert.deepEqual(obsWelcome.signoff, welcome.signoff);

      const text0 = awa.text;
      const rev0 = awa.rev;
      // No call open: nothing is taken.
      await awa.refused({ type: 'endorse', rev: rev0, sha256: sha256(text0) }, 'bad_request');
      await lea.refused({ type: 'decline', reason: 'Pas encore.' }, 'bad_request');
      await fac.refused({ type: 'signoff_close' }, 'bad_request');
      // Rights: a facilitator calls, a representative decides.
      await awa.refused({ type: 'signoff_call' }, 'forbidden');

      const seenOn2 = jean.waitFor((m) => m.type === 'signoff' && m.open && m.id === undefined, 5000, 'the call on s2');
      const called = await fac.must({ type: 'signoff_call' }, 'signoff');
      assert.equal(called.open, true);
      assert.ok(called.called_at > 0);
      await seenOn2;
      await fac.refused({ type: 'signoff_call' }, 'bad_request');
      await paul.refused({ type: 'endorse', rev: rev0, sha256: sha256(text0) }, 'forbidden');
      await fac.refused({ type: 'endorse', rev: rev0, sha256: sha256(text0) }, 'forbidden');
      await jean.refused({ type: 'signoff_close' }, 'forbidden');
      for (const m of [{ type: 'endorse', rev: rev0, sha256: sha256(text0) }, { type: 'decline', reason: 'Non.' }, { type: 'signoff_call' }, { type: 'signoff_close' }]) {
        await obs.refused(m, 'forbidden');
      }

      // Awa (process 1) endorses; Jean (process 2) hears it.
      const heard = jean.waitFor((m) => m.type === 'signoff' && byOrg(m).Ville, 5000, 'Ville on s2');
      let s = await awa.must({ type: 'endorse', rev: rev0, sha256: sha256(text0) }, 'signoff');
      assert.deepEqual({ ...byOrg(s).Ville, at: 0 },
        { org: 'Ville', decision: 'endorsed', rev: rev0, sha256: sha256(text0), by: awa.participant.id, name: 'Awa', at: 0 });
      await heard;
      // Jean (process 2) endorses; Awa (process 1) hears it.
      const heardBack = awa.waitFor((m) => m.type === 'signoff' && byOrg(m).Banque, 5000, 'Banque on s1');
      await jean.must({ type: 'endorse', rev: rev0, sha256: sha256(text0) }, 'signoff');
      await heardBack;

      // Refused and changing nothing: a wrong hash, a future revision, bad reasons.
      await lea.refused({ type: 'endorse', rev: rev0, sha256: ZEROES }, 'bad_request');
      await lea.refused({ type: 'endorse', rev: rev0 + 5, sha256: sha256(text0) }, 'bad_request');
      await lea.refused({ type: 'endorse', rev: rev0, sha256: sha256(text0).toUpperCase() }, 'bad_request');
      await lea.refused({ type: 'decline', reason: '' }, 'bad_request');
      await lea.refused({ type: 'decline', reason: 'x'.repeat(501) }, 'bad_request');
      await lea.refused({ type: 'decline', reason: 'deux\nlignes' }, 'bad_request');

      // Léa declines, at the current revision.
      s = await lea.must({ type: 'decline', reason: 'La partie « Comment ? » ne nous engage pas.' }, 'signoff');
      assert.deepEqual(Object.keys(byOrg(s)).sort(), ['Asso', 'Banque', 'Ville']);
      assert.equal(byOrg(s).Asso.decision, 'declined');
      assert.equal(byOrg(s).Asso.reason, 'La partie « Comment ? » ne nous engage pas.');
      assert.equal(byOrg(s).Asso.sha256, sha256(text0));
      assert.equal(s.agreed, null);

      // An edit: the endorsed texts have changed since.
      awa.submit([text0.length, 'Pourquoi ?\n']);
      await waitUntil(() => awa.idle && jean.rev === awa.rev && lea.rev === awa.rev);
      const text1 = awa.text;
      const rev1 = awa.rev;
      assert.notEqual(sha256(text1), byOrg(s).Ville.sha256, 'Ville: changed since');

      // Léa endorses the older revision, with its right hash: read from the history.
      s = await lea.must({ type: 'endorse', rev: rev0, sha256: sha256(text0) }, 'signoff');
      assert.equal(byOrg(s).Asso.decision, 'endorsed');
      assert.equal(byOrg(s).Asso.rev, rev0);
      assert.equal(s.agreed, null, 'an older text is not the current one');
      // With the wrong hash of an older revision: refused.
      await lea.refused({ type: 'endorse', rev: rev0, sha256: sha256(text1) }, 'bad_request');

      // Everyone present endorses the current text: agreed. The facilitator's
      // organisation (Animation) is not one that must agree.
      await awa.must({ type: 'endorse', rev: rev1, sha256: sha256(text1) }, 'signoff');
      await jean.must({ type: 'endorse', rev: rev1, sha256: sha256(text1) }, 'signoff');
      const agreedOn2 = jean.waitFor((m) => m.type === 'signoff' && m.agreed, 5000, 'the agreement on s2');
      const agreedForObserver = obs.waitFor((m) => m.type === 'signoff' && m.agreed, 5000, 'the agreement, for the observer');
      s = await lea.must({ type: 'endorse', rev: rev1, sha256: sha256(text1) }, 'signoff');
      assert.deepEqual({ ...s.agreed, at: 0 }, { rev: rev1, sha256: sha256(text1), at: 0, organisations: ['Asso', 'Banque', 'Ville'] });
      assert.deepEqual((await agreedOn2).agreed, s.agreed);
      assert.deepEqual((await agreedForObserver).agreed, s.agreed, 'an observer sees it; their organisation (Financeur) did not have to agree');

      // Closed: decisions stay, new ones are refused.
      s = await fac.must({ type: 'signoff_close' }, 'signoff');
      assert.equal(s.open, false);
      assert.equal(s.called_at, called.called_at);
      assert.equal(s.organisations.length, 3);
      await awa.refused({ type: 'endorse', rev: rev1, sha256: sha256(text1) }, 'bad_request');

      // After the workshop's end, partners still sign the locked text.
      await fac.must({ type: 'workshop_end' }, 'workshop');
      const openOn2 = jean.waitFor((m) => m.type === 'signoff' && m.open, 5000, 'the second call on s2');
      await fac.must({ type: 'signoff_call' }, 'signoff');
      await openOn2;
      s = await jean.must({ type: 'decline', reason: 'Finalement non.' }, 'signoff');
      assert.equal(byOrg(s).Banque.decision, 'declined');
      assert.equal(byOrg(s).Banque.rev, rev1);
      assert.deepEqual(s.agreed.organisations, ['Asso', 'Banque', 'Ville'], 'the last agreement stays');

      // A process that loads the workshop afresh has the same state.
      const s3 = await h.addServer();
      const late = h.client({ server: s3, workshop: w.id, name: 'Zoé', organisation: 'Asso' });
      const lateWelcome = await late.start();
      assert.deepEqual(lateWelcome.signoff, { open: s.open, called_at: s.called_at, organisations: s.organisations, agreed: s.agreed });
      // ... and one that had it loaded, after announcements, too.
      const jeanAgain = h.client({ server: s2, workshop: w.id, name: 'Jean 2', organisation: 'Banque' });
      assert.deepEqual((await jeanAgain.start()).signoff.organisations, s.organisations);

      // The state at a revision has the sign-off as it stood (here: all of it).
      const atRev1 = await getJson(s1.port, `/api/workshops/${w.id}/state?rev=${rev1}`);
      assert.equal(atRev1.status, 200);
      assertSchema('workshop-state', atRev1.json);
      assert.deepEqual(atRev1.json.signoff, { open: s.open, called_at: s.called_at, organisations: s.organisations, agreed: s.agreed });
      const atRev0 = await getJson(s1.port, `/api/workshops/${w.id}/state?rev=${rev0}`);
      assert.deepEqual(Object.keys(byOrg(atRev0.json.signoff)).sort(), ['Asso', 'Banque', 'Ville'], 'before the edit: three decisions');
      assert.equal(atRev0.json.signoff.agreed, null);

      // The history: every step, as served, public.
      const { events } = await fetchAllHistory(s1.port, w.id);
      for (const e of events) assertSchema('history-event', e);
      const steps = events.filter((e) => ['signoff_called', 'signoff_closed', 'endorsed', 'declined', 'agreed'].includes(e.type));
      assert.deepEqual(steps.map((e) => e.type), ['signoff_called', 'endorsed', 'endorsed', 'declined', 'endorsed', 'endorsed',
        'endorsed', 'endorsed', 'agreed', 'signoff_closed', 'signoff_called', 'declined']);
      const older = steps[4];
      assert.deepEqual({ org: older.org, endorsed_rev: older.endorsed_rev, sha256: older.sha256, name: older.name },
        { org: 'Asso', endorsed_rev: rev0, sha256: sha256(text0), name: 'Léa' });
      assert.equal(older.rev, rev1, "the event's own rev is the workshop's");
      assert.equal(steps[3].reason, 'La partie « Comment ? » ne nous engage pas.');
      assert.deepEqual(steps[8].organisations, ['Asso', 'Banque', 'Ville']);
      assert.equal(steps[0].by, fac.participant.id);

      // The exports: every endorsement and decline (time, person, organisation,
      // revision, hash), and the agreement with its organisations.
      const exported = async (format, lang) => {
        const r = await s1.http('GET', `/api/workshops/${w.id}/export?format=${format}&lang=${lang}`, { headers: bearer(w.facilitator_key) });
        assert.equal(r.status, 200, `${format} ${lang}: ${r.status}`);
        return r.text;
      };
      const NNBSP = '\u202f';
      const fr = await exported('md', 'fr');
      const artifacts = require('node:path').join(__dirname, '..', 'artifacts');
      require('node:fs').mkdirSync(artifacts, { recursive: true }); // a fresh clone has none yet
      require('node:fs').writeFileSync(require('node:path').join(artifacts, 'signoff-resume-fr.md'), fr);
      assert.match(fr, /## Validation de l.énoncé/);
      assert.ok(fr.includes(`Énoncé adopté le `) && fr.includes(`(révision ${rev1}, SHA-256 ${sha256(text1)}) par les organisations présentes${NNBSP}: Asso, Banque, Ville.`), fr);
      assert.ok(fr.includes("C'est l'énoncé final") || fr.includes('C’est l’énoncé final'), 'the final text is the agreed one');
      assert.ok(fr.includes(`Ville (Awa) approuve l`) && fr.includes(`révision ${rev0} (SHA-256 ${sha256(text0)})`));
      // The reason quoted as the rest of the exports quote: « … » with narrow no-break spaces; the reason itself as typed.
      assert.ok(fr.includes(`Asso (Léa) refuse l`) && fr.includes(`motif${NNBSP}: «${NNBSP}La partie « Comment ? » ne nous engage pas.${NNBSP}»`), fr);
      const en = await exported('md', 'en');
      assert.match(en, /## Sign-off of the statement/);
      assert.ok(en.includes(`by the organisations present: Asso, Banque, Ville. It is the final statement above.`), en);
      // In English, between “ and ” (it was left bare).
      assert.ok(en.includes(`Banque (Jean) declines the statement of revision ${rev1} (SHA-256 ${sha256(text1)}) — reason: \u201cFinalement non.\u201d`), en);
      const html = await exported('html', 'fr');
      assert.ok(html.includes('Validation de l') && html.includes(sha256(text1)));
      const csv = await exported('csv', 'en');
      const rows = csv.split('\r\n');
      const head = rows.findIndex((l) => l.includes('Decision') && l.includes('SHA-256'));
      assert.ok(head > 0, csv);
      const decisions = rows.slice(head + 1).filter((l) => l);
      assert.equal(decisions.length, 9, csv); // eight decisions and the agreement
      assert.ok(decisions[0].includes(`Endorsed,Awa,Ville,${rev0},${sha256(text0)}`) || decisions[0].includes(`Endorsed;Awa;Ville;${rev0};${sha256(text0)}`), decisions[0]);
      assert.ok(decisions.at(-1).includes('Statement agreed') && decisions.at(-1).includes('Asso, Banque, Ville'), decisions.at(-1));
      const csvFr = await exported('csv', 'fr');
      assert.ok(csvFr.includes('Décision') && csvFr.includes('Refusé') && csvFr.includes('Énoncé adopté'));

      // An edit after the agreement (the workshop reopened): the summary says so and quotes the text agreed.
      await fac.must({ type: 'workshop_reopen' }, 'workshop');
      awa.submit([[...text1].length, 'Et après.']);
      await waitUntil(() => awa.idle && awa.text !== text1);
      // The quote after its lead, as text (Markdown's quote marks and hard breaks taken off).
      const unquote = (md) => md.split('\n').filter((l) => l.startsWith('>')).map((l) => l.replace(/^> ?/, '').replace(/ {2}$/, '')).join('\n');
      const frAfter = await exported('md', 'fr');
      assert.ok(frAfter.includes("L'énoncé a changé depuis") || frAfter.includes('L’énoncé a changé depuis'), frAfter);
      const lead = frAfter.indexOf('Le texte adopté');
      assert.ok(lead > 0, frAfter);
      const agreedQuote = frAfter.slice(lead, frAfter.indexOf('\n- ', lead));
      assert.equal(unquote(agreedQuote), text1.trimEnd(), `the text agreed is quoted after its lead:\n${frAfter}`);
      const enAfter = await exported('md', 'en');
      assert.ok(enAfter.includes('The statement changed since') && enAfter.includes('The text agreed'), enAfter);
      h.assertNoProblems();
    });

  test('a deleted workshop keeps nothing of its sign-off', { timeout: 30000 }, async () => {
    const s1 = h.servers[0];
    const w = await s1.createWorkshop({ title: 'Effacé', text: 'x' });
    const fac = h.client({ server: s1, workshop: w.id, name: 'Fatou', organisation: 'Animation', key: w.facilitator_key });
    const awa = h.client({ server: s1, workshop: w.id, name: 'Awa', organisation: 'Ville' });
    await fac.start();
    await awa.start();
    await fac.must({ type: 'role_set', participant: awa.participant.id, role: 'representative' }, 'role');
    await fac.must({ type: 'signoff_call' }, 'signoff');
    await awa.must({ type: 'endorse', rev: awa.rev, sha256: sha256(awa.text) }, 'signoff');
    const scan = async () => {
      const out = [];
      let cursor = '0';
      do {
        const [next, keys] = await h.redis.command('SCAN', cursor, 'MATCH', `atelier:{w:${w.id}}:*`, 'COUNT', '1000');
        out.push(...keys);
        cursor = next;
      } while (cursor !== '0');
      return out;
    };
    assert.ok((await scan()).includes(`atelier:{w:${w.id}}:signoff`));
    const r = await s1.http('DELETE', `/api/workshops/${w.id}`, { headers: bearer(w.facilitator_key) });
    assert.equal(r.status, 204);
    assert.deepEqual(await scan(), []);
    assert.equal((await getJson(s1.port, `/api/workshops/${w.id}/history`)).status, 404);
  });
});
