'use strict';
// Exports people can open (protocol/history.md, "Exports"): CSV for office
// software, times in the workshop's time zone with the zone named, the
// printable HTML summary, French typography, the end in the summary.
//
// A workshop in Europe/Paris with a hostile title, statement, organisation
// name and answers; a scale poll whose means need decimals; a text poll that
// only one organisation answered; ended by its facilitator. Checked against
// what the spec says byte by byte (BOM, ";", CRLF, decimal commas in French
// and points in English), against Node's own tz database for the times, and
// the HTML against the Markdown (same content) and against script injection.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Harness, sleep, waitUntil, bearer, wallClock, csvRows, csvTables, unhtml } = require('./harness');

const J = (x) => JSON.stringify(x);
const NNBSP = '\u202F';
const HOSTILE = '<script>alert(1)</script> & "Lyon" <img src=x onerror=alert(2)>';
let seq = 0;

async function must(c, msg, type) {
  const m = { ...msg, id: `x${++seq}` };
  const p = c.waitFor((x) => x.id === m.id, 5000, `reply to ${J(m).slice(0, 100)}`);
  c.send(m);
  const r = await p;
  assert.equal(r.type, type, `${c.tag} ${J(msg)}: ${J(r)}`);
  return r;
}

const columns = (table) => table[0].map((_, k) => table.map((row) => row[k]));

// What a reader sees of a page or a Markdown file: text, entities and escapes undone.
const unmd = (s) => s.replace(/\\([\\`*_[\]{}<>#|!~+-])/g, '$1');

describe('exports for offices', { timeout: 120000 }, () => {
  let h;
  let run;
  before(async () => {
    h = await Harness.start();
    const s = h.server;
    const w = await s.createWorkshop({ title: HOSTILE, text: 'Quoi ?\n<b>gras</b> & plus\n', time_zone: 'Europe/Paris' });
    const fac = h.client({ workshop: w.id, name: 'Awa <i>', organisation: 'Ville <Lyon>', key: w.facilitator_key });
    await fac.start();
    const people = [];
    for (const [name, org] of [['Jean', 'Ville <Lyon>'], ['Léa', 'Ville <Lyon>'], ['Zoë', 'Ville <Lyon>'],
      ['Chloé', 'Banque'], ['Mathis', 'Banque'], ['Inès', 'Banque'], ['Noé', 'Asso']]) {
      const c = h.client({ workshop: w.id, name, organisation: org });
      await c.start();
      people.push(c);
    }
    const scale = (await must(fac, { type: 'poll_create', kind: 'scale', question: 'Clair ?' }, 'poll')).poll;
    await must(fac, { type: 'poll_open', poll: scale.id }, 'poll');
    for (const [c, v] of people.map((c, i) => [c, [4, 5, 5, 2, 3, 2, 5][i]])) await must(c, { type: 'vote', poll: scale.id, ballot: v }, 'my_ballot');
    const text = (await must(fac, { type: 'poll_create', kind: 'text', question: 'Idées ?' }, 'poll')).poll;
    await must(fac, { type: 'poll_open', poll: text.id }, 'poll');
    const [jean, lea, zoe] = people;
    await must(jean, { type: 'answer', poll: text.id, text: '=HYPERLINK("http://x";"clic")' }, 'my_ballot');
    await must(lea, { type: 'answer', poll: text.id, text: '<script>alert(3)</script>' }, 'my_ballot');
    await must(zoe, { type: 'upvote', poll: text.id, answer: 1 }, 'my_ballot');
    fac.submit([7, 'Ensemble. ']);
    await waitUntil(() => fac.idle, 5000, 'the edit');
    const ended = await must(fac, { type: 'workshop_end' }, 'workshop');
    await sleep(200);
    const exp = async (q) => {
      const r = await s.http('GET', `/api/workshops/${w.id}/export?${q}`, { headers: bearer(w.facilitator_key), timeoutMs: 10000 });
      assert.equal(r.status, 200, `${q}: ${r.status} ${r.text.slice(0, 200)}`);
      return r;
    };
    run = { w, fac, ended, exp };
  }, { timeout: 60000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  test('CSV: byte order mark, ";", CRLF, decimal commas in French and points in English, words in the language', async () => {
    for (const [lang, header, mean, decimal, created] of [
      ['fr', 'N°;Question;Type;État;Groupe;Répondants;Choix;Nombre;Écart;Alignement', 'Moyenne', '3,71', 'Atelier créé'],
      ['en', 'No.;Question;Kind;State;Group;Respondents;Choice;Count;Divergence;Alignment', 'Mean', '3.71', 'Workshop created'],
    ]) {
      const r = await run.exp(`format=csv&lang=${lang}`);
      assert.equal(r.headers['content-type'], 'text/csv; charset=utf-8');
      const bytes = Buffer.from(r.text, 'utf8');
      assert.deepEqual([...bytes.subarray(0, 3)], [0xEF, 0xBB, 0xBF], 'UTF-8 byte order mark');
      assert.ok(r.text.endsWith('\r\n'));
      assert.ok(!/[^\r]\n/.test(r.text), 'every line ends with CRLF');
      const lines = r.text.slice(1).split('\r\n');
      assert.equal(lines[0], header);
      // The scale's mean: 26 / 7, two decimals in the language's mark.
      const meanRow = lines.find((l) => l.includes(`;${lang === 'fr' ? 'Tous' : 'All'};7;${mean};`));
      assert.ok(meanRow && meanRow.split(';')[7] === decimal, `mean row ${J(meanRow)}`);
      assert.ok(lines.some((l) => l.split(';').includes(lang === 'fr' ? "échelle d'accord" : 'agreement scale')));
      assert.ok(lines.some((l) => l.split(';')[1] === created), `${lang}: the key moments table`);
      // The formula guard and quoting.
      assert.ok(r.text.includes('"\'=HYPERLINK(""http://x"";""clic"")"'), 'a formula is quoted and guarded');
    }
  });

  test('CSV: the text poll\'s table has no empty and no duplicate column', async () => {
    for (const lang of ['fr', 'en']) {
      const tables = csvTables((await run.exp(`format=csv&lang=${lang}`)).text);
      assert.equal(tables.length, 4, 'choice and scale polls, text polls, key moments, the contribution balance');
      const texts = tables[1];
      assert.deepEqual(texts[0], lang === 'fr' ? ['N°', 'Question', 'État', 'Groupe', 'Répondants', 'Réponse', 'Soutiens'] : ['No.', 'Question', 'State', 'Group', 'Respondents', 'Answer', 'Upvotes']);
      assert.equal(texts.length, 3, `${lang}: one row per answer, for "all" only (one organisation answered: its rows would repeat them): ${J(texts)}`);
      const cols = columns(texts).map((col) => col.slice(1));
      for (const [k, col] of cols.entries()) assert.ok(col.some((x) => x !== ''), `${lang}: column ${texts[0][k]} is empty`);
      // No column repeats another (ids and counts could, by chance, only in a bigger table).
      for (let a = 0; a < cols.length; a++) for (let b = a + 1; b < cols.length; b++) assert.notDeepEqual(cols[a], cols[b], `${lang}: columns ${texts[0][a]} and ${texts[0][b]} are the same`);
      // The choice table has no column that is always empty either.
      for (const [k, col] of columns(tables[0]).entries()) assert.ok(col.slice(1).some((x) => x !== ''), `${lang}: column ${tables[0][0][k]} is empty`);
    }
  });

  test('times on the workshop\'s clock (Europe/Paris), the zone named, in every format', async () => {
    const { w, ended } = run;
    const at = wallClock(w.created, 'Europe/Paris');
    const end = wallClock(ended.at, 'Europe/Paris');
    const fr = csvTables((await run.exp('format=csv&lang=fr')).text)[2];
    assert.deepEqual(fr[0], ['Heure (Europe/Paris)', 'Moment', 'Objet']);
    assert.deepEqual(fr[1], [at.fr, 'Atelier créé', '']);
    assert.deepEqual(fr.find((row) => row[1] === 'Atelier terminé'), [end.fr, 'Atelier terminé', 'Awa <i>']);
    const en = csvTables((await run.exp('format=csv&lang=en')).text)[2];
    assert.deepEqual(en[0], ['Time (Europe/Paris)', 'Moment', 'Subject']);
    assert.deepEqual(en[1], [at.en, 'Workshop created', '']);
    const md = (await run.exp('format=md&lang=fr')).text;
    assert.ok(md.includes(`à ${at.hm} (Europe/Paris)`), `md: the creation on Paris' clock (${at.hm}):\n${md.slice(0, 400)}`);
    assert.ok(md.includes('## Moments clés (Europe/Paris)'));
    assert.ok(md.includes(`- ${end.fr} — Atelier terminé par Awa \\<i\\>`), 'md: the end in the timeline');
    assert.ok((await run.exp('format=md&lang=en')).text.includes(`- ${at.en} — Workshop created`));
    const json = JSON.parse((await run.exp('format=json')).text);
    assert.equal(json.time_zone, 'Europe/Paris');
    assert.equal(json.workshop.created, w.created, 'the JSON keeps ms');
    // Another zone, with minutes: +5:45.
    const k = await h.server.createWorkshop({ title: 'Katmandou', time_zone: 'Asia/Kathmandu' });
    const r = await h.server.http('GET', `/api/workshops/${k.id}/export?format=csv&lang=en`, { headers: bearer(k.facilitator_key) });
    const moments = csvTables(r.text).at(-1); // no text poll: two tables
    assert.deepEqual(moments[1], [wallClock(k.created, 'Asia/Kathmandu').en, 'Workshop created', '']);
    assert.equal(moments[0][0], 'Time (Asia/Kathmandu)');
  });

  test('the summary says when and by whom the workshop ended; French typography in French only', async () => {
    const end = wallClock(run.ended.at, 'Europe/Paris');
    const fr = (await run.exp('format=md&lang=fr')).text;
    assert.match(fr, new RegExp(`\\nAtelier terminé le \\d{1,2} \\S+ \\d{4} à ${end.hm} \\(Europe/Paris\\) par Awa \\\\<i\\\\>\\.\\n`));
    assert.ok(fr.includes(`Répondants${NNBSP}: 7`), 'a narrow no-break space before ":"');
    assert.ok(fr.includes(`Première arrivée${NNBSP}: `));
    assert.ok(!/ [:;?!](\s|$)/m.test(fr.replace(/^> .*$/gm, '').replace(/Quoi \?|Clair \?|Idées \?/g, '')), 'a plain space before French punctuation in the export\'s own words');
    const en = (await run.exp('format=md&lang=en')).text;
    assert.ok(en.includes(`Workshop ended on `) && en.includes(' (Europe/Paris) by Awa \\<i\\>.'), en.slice(0, 600));
    assert.ok(!en.includes(NNBSP), 'no French typography in English');
  });

  test('HTML: a printable page, everything escaped, no script, a CSP for its one style sheet, the Markdown\'s content', async () => {
    for (const lang of ['fr', 'en']) {
      const r = await run.exp(`format=html&lang=${lang}`);
      assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
      assert.match(r.headers['content-disposition'] || '', /^inline\b/, 'opens in the browser');
      const csp = r.headers['content-security-policy'] || '';
      const nonce = (csp.match(/style-src 'nonce-([A-Za-z0-9_-]+)'/) || [])[1];
      assert.ok(nonce && /default-src 'none'/.test(csp) && !/script-src/.test(csp), `CSP ${J(csp)}`);
      const html = r.text;
      assert.ok(html.startsWith(`<!DOCTYPE html>\n<html lang="${lang}">`));
      assert.ok(html.includes(`<style nonce="${nonce}">`), 'the style sheet carries the nonce');
      assert.equal((html.match(/<style/g) || []).length, 1);
      assert.ok(/@media print\{/.test(html), 'a print style sheet');
      assert.ok(!/<script|<img|<b>|<i>|<[^>]*onerror/i.test(html), 'something hostile went through unescaped');
      assert.ok(html.includes('<title>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Lyon&quot; &lt;img src=x onerror=alert(2)&gt;</title>'));
      assert.ok(html.includes('&lt;script&gt;alert(3)&lt;/script&gt;'), 'the hostile answer, escaped');
      // Same content as the Markdown: the same texts, and as many table rows.
      const md = (await run.exp(`format=md&lang=${lang}`)).text;
      const page = unhtml(html);
      const plain = unmd(md);
      for (const x of [HOSTILE, 'Quoi ?', '<b>gras</b> & plus', 'Ville <Lyon>', 'Banque', 'Clair ?', 'Idées ?',
        '=HYPERLINK("http://x";"clic")', '<script>alert(3)</script>', 'Awa <i>']) {
        assert.ok(plain.includes(x), `md ${lang}: ${J(x)}`);
        assert.ok(page.includes(x), `html ${lang}: ${J(x)}`);
      }
      const mdRows = md.split('\n').filter((l) => l.startsWith('|') && !/^\|---/.test(l)).length;
      assert.equal((html.match(/<tr>/g) || []).length, mdRows, 'table rows');
      const mdItems = md.split('\n').filter((l) => l.startsWith('- ')).length;
      assert.equal((html.match(/<li>/g) || []).length, mdItems, 'timeline items');
      const mdHeadings = md.split('\n').filter((l) => /^#{1,3} /.test(l)).length;
      assert.equal((html.match(/<h[1-3]>/g) || []).length, mdHeadings, 'headings');
    }
    const bad = await h.server.http('GET', `/api/workshops/${run.w.id}/export?format=pdf`, { headers: bearer(run.w.facilitator_key) });
    assert.equal(bad.status, 400);
  });

  test('no schema violation, protocol anomaly or server crash along the way', () => {
    h.assertNoProblems();
  });
});
