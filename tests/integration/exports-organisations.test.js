'use strict';
// The exports of a poll organisations answer (protocol/history.md, "Exports";
// protocol/polls.md, "Organisation answers"): the summary (Markdown and HTML)
// shows each organisation's answer, who gave it and when, on the workshop's
// clock; the CSV fills its columns of who answered and when on the
// organisations' rows only.
//
// A workshop in Europe/Paris; a poll created open with live results,
// answered by Ville (Awa, then Jean changes it) and Banque (Béa).

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, sleep, bearer, wallClock, unhtml } = require('./harness');

const J = (x) => JSON.stringify(x);
const NNBSP = '\u202F';
let seq = 0;

async function must(c, msg, type) {
  const m = { ...msg, id: `g${++seq}` };
  const p = c.waitFor((x) => x.id === m.id && x.type !== 'ack', 5000, `reply to ${J(m).slice(0, 100)}`);
  c.send(m);
  const r = await p;
  assert.equal(r.type, type, `${J(msg)}: ${J(r)}`);
  return r;
}

describe('exports of organisation answers', { timeout: 90000 }, () => {
  let h;
  before(async () => { h = await Harness.start(); }, { timeout: 30000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('md, html and csv name each organisation, its answer, who gave it and when', { timeout: 60000 }, async () => {
    const s = h.server;
    const zone = 'Europe/Paris';
    const w = await s.createWorkshop({ title: 'Réponses des partenaires', time_zone: zone });
    const fac = h.client({ workshop: w.id, name: 'Fanny', organisation: 'Animation', key: w.facilitator_key });
    await fac.start();
    const people = {};
    for (const [name, org] of [['Awa', 'Ville de Lyon'], ['Jean', 'Ville de Lyon'], ['Béa', 'Banque']]) {
      people[name] = h.client({ workshop: w.id, name, organisation: org });
      await people[name].start();
    }
    const poll = (await must(fac, { type: 'poll_create', kind: 'single', question: 'Commun ?', choices: ['Commun', 'Propre'], respondents: 'organisations', open: true, visibility: 'live' }, 'poll')).poll;
    assert.deepEqual([poll.state, poll.respondents, poll.threshold], ['open', 'organisations', 1]);
    await must(people.Awa, { type: 'vote', poll: poll.id, ballot: 0 }, 'my_ballot');
    const jean = await must(people.Jean, { type: 'vote', poll: poll.id, ballot: 1 }, 'my_ballot'); // Ville's answer changes
    const bea = await must(people.Béa, { type: 'vote', poll: poll.id, ballot: 0 }, 'my_ballot');
    await sleep(200);
    const exp = async (q) => {
      const r = await s.http('GET', `/api/workshops/${w.id}/export?${q}`, { headers: bearer(w.facilitator_key), timeoutMs: 10000 });
      assert.equal(r.status, 200, `${q}: ${r.status} ${r.text.slice(0, 200)}`);
      return r.text;
    };
    const jeanAt = wallClock(jean.at, zone), beaAt = wallClock(bea.at, zone);

    const md = await exp('format=md&lang=fr');
    assert.ok(md.includes(`choix unique · ouvert · répondu ouvertement par chaque organisation · Répondants${NNBSP}: 2 organisations`), md);
    assert.match(md, new RegExp(`^- Banque, par Béa le \\d+ \\S+ \\d{4} à ${beaAt.hm} \\(Europe/Paris\\)${NNBSP}: Commun$`, 'm'), md);
    assert.match(md, new RegExp(`^- Ville de Lyon, par Jean le \\d+ \\S+ \\d{4} à ${jeanAt.hm} \\(Europe/Paris\\)${NNBSP}: Propre$`, 'm'), md);
    const pollsPart = md.slice(md.indexOf('## Sondages'), md.indexOf('## Moments clés'));
    assert.ok(!pollsPart.includes('Awa') && !pollsPart.includes('Autres'), 'the last answer stands; no other organisations');
    const mdEn = await exp('format=md&lang=en');
    assert.match(mdEn, new RegExp(`^- Ville de Lyon, by Jean on \\d+ \\S+ \\d{4}, ${jeanAt.hm} \\(Europe/Paris\\): Propre$`, 'm'), mdEn);
    assert.ok(mdEn.includes('Each organisation answered openly: every organisation is shown by name'), mdEn);

    const html = unhtml(await exp('format=html&lang=en'));
    assert.ok(html.includes(`Banque, by Béa on`) && html.includes(`${beaAt.hm} (Europe/Paris): Commun`), html);
    assert.ok(html.includes(`Ville de Lyon, by Jean on`) && html.includes(`${jeanAt.hm} (Europe/Paris): Propre`), html);

    for (const lang of ['fr', 'en']) {
      const csv = await exp(`format=csv&lang=${lang}`);
      const lines = csv.replace(/^\uFEFF/, '').split('\r\n');
      assert.equal(lines[0], lang === 'fr'
        ? 'N°;Question;Type;État;Groupe;Répondants;Choix;Nombre;Écart;Alignement;Répondu par;Répondu le (Europe/Paris)'
        : 'No.;Question;Kind;State;Group;Respondents;Choice;Count;Divergence;Alignment;Answered by;Answered at (Europe/Paris)');
      const rows = lines.slice(1, lines.indexOf('')).map((l) => l.split(';'));
      const all = lang === 'fr' ? 'Tous' : 'All';
      assert.deepEqual(rows.map((r) => [r[4], r[5], r[6], r[7], r[10], r[11]]), [
        [all, '2', 'Commun', '1', '', ''],
        [all, '2', 'Propre', '1', '', ''],
        ['Banque', '1', 'Commun', '1', 'Béa', beaAt[lang]],
        ['Banque', '1', 'Propre', '0', 'Béa', beaAt[lang]],
        ['Ville de Lyon', '1', 'Commun', '0', 'Jean', jeanAt[lang]],
        ['Ville de Lyon', '1', 'Propre', '1', 'Jean', jeanAt[lang]],
      ], csv);
    }
  });

  // polls.md, "translations": a ready-made question carries French and
  // English; each export reads it in its own language (question, choices,
  // key moments, phases, the list to discuss), and a typed question stays
  // as typed in both.
  test('a ready-made question reads in the export\'s language; a typed one stays as typed', { timeout: 60000 }, async () => {
    const s = h.server;
    const w = await s.createWorkshop({ title: 'Deux langues' });
    const fac = h.client({ workshop: w.id, name: 'Fanny', organisation: 'Animation', key: w.facilitator_key });
    await fac.start();
    await must(fac, { type: 'phase_next' }, 'agenda');
    const fr = { question: `Commun à tous${NNBSP}?`, choices: ['Commun', 'Propre'] };
    const en = { question: 'Shared by all?', choices: ['Shared', 'Specific'] };
    const ready = (await must(fac, { type: 'poll_create', kind: 'single', ...fr, translations: { fr, en }, open: true, visibility: 'live' }, 'poll')).poll;
    await must(fac, { type: 'vote', poll: ready.id, ballot: 1 }, 'my_ballot');
    const typed = (await must(fac, { type: 'poll_create', kind: 'single', question: 'Tapé ainsi', choices: ['Oui', 'Non'], open: true }, 'poll')).poll;
    await must(fac, { type: 'discuss_add', poll: ready.id }, 'discuss');
    await must(fac, { type: 'discuss_add', poll: typed.id }, 'discuss');
    await sleep(200);
    const exp = async (q) => {
      const r = await s.http('GET', `/api/workshops/${w.id}/export?${q}`, { headers: bearer(w.facilitator_key), timeoutMs: 10000 });
      assert.equal(r.status, 200, `${q}: ${r.status} ${r.text.slice(0, 200)}`);
      return r.text;
    };
    for (const [lang, mine, other] of [['fr', fr, en], ['en', en, fr]]) {
      const md = await exp(`format=md&lang=${lang}`);
      assert.ok(!md.includes(other.question), `${lang}: no question in the other language\n${md}`);
      const polls = md.slice(md.indexOf(lang === 'fr' ? '## Sondages' : '## Polls'));
      assert.ok(polls.includes(mine.question.replace('?', '\\?')) || polls.includes(mine.question), `${lang}: the poll's heading\n${md}`);
      assert.match(polls, new RegExp(`\\| ${mine.choices[1]} +\\| +1 \\|`), `${lang}: the choices in the language\n${md}`);
      const moments = md.slice(md.indexOf(lang === 'fr' ? '## Moments clés' : '## Key moments'));
      assert.ok(moments.includes(mine.question), `${lang}: key moments\n${md}`);
      const phases = md.slice(md.indexOf(lang === 'fr' ? '## Déroulé par phase' : '## Phase by phase'));
      assert.ok(phases.includes(mine.question) && phases.includes('Tapé ainsi'), `${lang}: the phase's polls\n${md}`);
      assert.ok(md.includes('Tapé ainsi') && md.includes('| Oui '), `${lang}: the typed one as typed`);
      const discuss = md.slice(md.indexOf(lang === 'fr' ? '## À discuter' : '## To discuss')).split('\n## ')[0];
      assert.ok([mine.question, mine.question.replace('?', '\\?')].some((q) => discuss.includes(`] ${q} —`)) && discuss.includes('] Tapé ainsi —'), `${lang}: the list to discuss\n${md}`);
      const csv = await exp(`format=csv&lang=${lang}`);
      const rows = csv.split('\r\n').map((l) => l.split(';'));
      const item = lang === 'fr' ? 'Point' : 'Item';
      const listAt = rows.findIndex((r) => r[0] === item);
      assert.deepEqual(rows.slice(listAt + 1, listAt + 3).map((r) => r.slice(0, 2)), [['1', mine.question], ['2', 'Tapé ainsi']], csv);
      assert.deepEqual(rows.slice(0, listAt).filter((r) => r[0] === '1').map((r) => [r[1], r[6]]), [[mine.question, mine.choices[0]], [mine.question, mine.choices[1]]], csv);
      assert.ok(!csv.includes(other.question), `${lang}: CSV in one language\n${csv}`);
    }
  });
});
