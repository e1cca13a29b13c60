'use strict';
// Exports and deletion (protocol/history.md, issue #5).
//
// A fixed, scripted workshop (fixed names, organisations, text, polls and
// ballots, everything in order, no randomness) is exported as Markdown (fr and
// en), JSON and CSV with the facilitator's key. Volatile parts (ids, keys,
// times, dates) are replaced by placeholders (normalise() below), and the
// result must equal the committed files in tests/integration/golden/.
// UPDATE_GOLDEN=1 rewrites them from the server's output (read the diff
// before committing it). Besides the goldens, the exports are checked against
// the spec directly: the JSON is the facilitator view of /history, the CSV is
// the office dialect of history.md (byte order mark, ";", CRLF, RFC 4180
// quoting, headers and words in the language, decimal commas in French) with
// the spec's columns and the figures of /state.
//
// Then: exports without the key are 401, with a wrong key (or a participant
// token) 403, an unknown format or lang 400; DELETE without the key 401, with
// a wrong one or another workshop's 403 (nothing changes), with the key 204:
// every key atelier:{w:ID}:* is gone from Redis (SCAN), connected clients
// get `not_found` and are closed, a client of another workshop is not, the
// workshop is 404 everywhere, joining it again is `not_found` and writes
// nothing back (also right after a poll was created: the server used to keep
// the room loaded and welcome a newcomer, who wrote `people` back).

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { isDeepStrictEqual: same } = require('node:util');
const { Harness, Resp, sleep, waitUntil, getJson, bearer, fetchAllHistory, assertSchema } = require('./harness');

const GOLDEN = path.join(__dirname, 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const J = (x) => JSON.stringify(x);
// history.md, "CSV": the first table (choice and scale polls) and the text
// polls' table, in each language; and the words of its cells.
const CSV = {
  fr: {
    header: ['N°', 'Question', 'Type', 'État', 'Groupe', 'Répondants', 'Choix', 'Nombre', 'Écart', 'Alignement'],
    text: ['N°', 'Question', 'État', 'Groupe', 'Répondants', 'Réponse', 'Soutiens'],
    kinds: { single: 'choix unique', multiple: 'choix multiple', scale: "échelle d'accord" },
    states: { open: 'ouvert', closed: 'clos' },
    all: 'Tous', other: 'Autres', mean: 'Moyenne',
    labels: { aligned: 'organisations alignées', partly_aligned: 'organisations partiellement alignées', divergent: 'organisations divergentes' },
    scale: ['Pas du tout d\'accord', 'Plutôt pas d\'accord', 'Ni d\'accord ni pas d\'accord', 'Plutôt d\'accord', 'Tout à fait d\'accord'],
    number: (x) => Number(x.replace(',', '.')),
  },
  en: {
    header: ['No.', 'Question', 'Kind', 'State', 'Group', 'Respondents', 'Choice', 'Count', 'Divergence', 'Alignment'],
    text: ['No.', 'Question', 'State', 'Group', 'Respondents', 'Answer', 'Upvotes'],
    kinds: { single: 'single choice', multiple: 'multiple choice', scale: 'agreement scale' },
    states: { open: 'open', closed: 'closed' },
    all: 'All', other: 'Other', mean: 'Mean',
    labels: { aligned: 'aligned', partly_aligned: 'partly aligned', divergent: 'divergent' },
    scale: ['Strongly disagree', 'Somewhat disagree', 'Neither agree nor disagree', 'Somewhat agree', 'Strongly agree'],
    number: (x) => Number(x),
  },
};

// ---------------------------------------------------------------- normalising

const MONTHS_FR = 'janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre';
const MONTHS_EN = 'January|February|March|April|May|June|July|August|September|October|November|December';

// Placeholders for the volatile parts of an export:
//  1. exact strings we know (workshop id, facilitator key, poll ids, participant
//     ids), named after what they are;
//  2. Redis stream ids (13-digit ms, dash, sequence) -> <EVENT>;
//  3. ms timestamps (13 digits starting with 1) -> <MS>;
//  4. ISO 8601 date-times (with optional seconds, fraction, zone) -> <DATETIME>;
//  5. dates: ISO (2026-11-28), French (28 novembre 2026, 1er décembre 2026),
//     English (November 28, 2026 / 28 November 2026), numeric (28/11/2026) -> <DATE>;
//  6. clock times (14:05, 14:05:09, 14h05) -> <TIME>.
function normalise(text, known) {
  let s = text;
  // Ids are random base64url: one in 64 starts with "-", which the CSV
  // formula guard writes as "'-…" (quoted, history.md); put the plain id back
  // first so that the golden files do not depend on the draw.
  for (const [value] of known) if (value.startsWith('-')) s = s.split(`"'${value}"`).join(value);
  for (const [value, name] of [...known].sort((a, b) => b[0].length - a[0].length)) s = s.split(value).join(`<${name}>`);
  s = s.replace(/\b\d{13}-\d+\b/g, '<EVENT>');
  s = s.replace(/\b1\d{12}\b/g, '<MS>');
  s = s.replace(/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?/g, '<DATETIME>');
  s = s.replace(/\b\d{4}-\d{2}-\d{2}\b/g, '<DATE>');
  s = s.replace(new RegExp(`\\b\\d{1,2}(?:er)? (?:${MONTHS_FR}) \\d{4}\\b`, 'gi'), '<DATE>');
  s = s.replace(new RegExp(`\\b(?:${MONTHS_EN}) \\d{1,2}(?:st|nd|rd|th)?,? \\d{4}\\b`, 'g'), '<DATE>');
  s = s.replace(new RegExp(`\\b\\d{1,2} (?:${MONTHS_EN}) \\d{4}\\b`, 'g'), '<DATE>');
  s = s.replace(/\b\d{1,2}\/\d{1,2}\/\d{4}\b/g, '<DATE>');
  s = s.replace(/\b\d{1,2}[:h]\d{2}(?::\d{2})?\b/g, '<TIME>');
  return s;
}

function checkGolden(t, name, actual) {
  const file = path.join(GOLDEN, name);
  if (UPDATE) {
    fs.mkdirSync(GOLDEN, { recursive: true });
    fs.writeFileSync(file, actual);
    t.diagnostic(`wrote ${path.relative(process.cwd(), file)}`);
    return;
  }
  assert.ok(fs.existsSync(file), `no golden file ${file}: run with UPDATE_GOLDEN=1 and check it by eye`);
  const want = fs.readFileSync(file, 'utf8');
  if (want !== actual) {
    const a = actual.split('\n');
    const b = want.split('\n');
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    assert.fail(`${name} differs from the golden file at line ${i + 1}:\n  got:      ${J(a[i])}\n  expected: ${J(b[i])}\n(UPDATE_GOLDEN=1 rewrites it)`);
  }
}

// RFC 4180 with `sep` between fields: records end with CRLF, quoted fields
// may hold the separator, CR, LF and doubled quotes. Throws on anything else.
function parseCsv(text, sep = ',') {
  const rows = [];
  let row = [];
  let i = 0;
  const n = text.length;
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= n) throw new Error('CSV: unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
          i++;
          break;
        }
        field += text[i++];
      }
    } else {
      while (i < n && text[i] !== sep && text[i] !== '\r' && text[i] !== '\n') {
        if (text[i] === '"') throw new Error(`CSV: quote inside an unquoted field at ${i}`);
        field += text[i++];
      }
    }
    row.push(field);
    if (text[i] === sep) { i++; continue; }
    if (text[i] === '\r' && text[i + 1] === '\n') { rows.push(row); row = []; i += 2; if (i >= n) return rows; continue; }
    if (i >= n) { rows.push(row); return rows; }
    throw new Error(`CSV: expected , or CRLF at offset ${i}, got ${J(text.slice(i, i + 10))}`);
  }
}

// ---------------------------------------------------------------- script

const REPLY_TYPES = new Set(['poll', 'poll_deleted', 'my_ballot', 'results', 'error', 'pong']);
let reqSeq = 0;
async function must(c, msg, type) {
  msg.id = `x${++reqSeq}`;
  const p = c.waitFor((m) => m.id === msg.id && REPLY_TYPES.has(m.type), 5000, `reply to ${J(msg).slice(0, 120)}`);
  c.send(msg);
  const r = await p;
  assert.equal(r.type, type, `${c.tag} sent ${J(msg)}: expected ${type}, got ${J(r)}`);
  return r;
}

const cpIndex = (text, needle) => {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, `${J(needle)} not in ${J(text)}`);
  return Array.from(text.slice(0, i)).length;
};
const insertAfter = (text, needle, ins) => [cpIndex(text, needle) + Array.from(needle).length, ins];
const replaceText = (text, from, to) => {
  const at = cpIndex(text, from);
  return [...(at ? [at] : []), { d: from }, to];
};

async function typeOp(c, op) {
  c.submit(op);
  await waitUntil(() => c.idle, 5000, 'ack');
  await sleep(5);
}

const TITLE = 'Partenariat Ville – Banque – Association';
const START = 'Quoi ?\n\nPourquoi ?\n\nComment ?\n';
const PEOPLE = [
  ['Jean Martin', 'Ville de Lyon'], ['Léa Rousseau', 'Ville de Lyon'], ['Zoë Bernard', 'Ville de Lyon'],
  ['Chloé Petit', 'Banque Populaire'], ['Mathis Durand', 'Banque Populaire'], ['Inès Moreau', 'Banque Populaire'],
  ['Noé Garnier', 'Association Élan'], ['Élodie Faure', 'Association Élan'],
];

// Runs the fixed workshop; returns what the checks need.
async function scriptedWorkshop(h) {
  const w = await h.server.createWorkshop({ title: TITLE, text: START });
  const mk = (name, organisation, key) => h.client({ workshop: w.id, name, organisation, key, record: 100 });
  const fac = mk('Awa Diallo', 'Ville de Lyon', w.facilitator_key);
  await fac.start();
  const p = [];
  for (const [name, org] of PEOPLE) { const c = mk(name, org); await c.start(); p.push(c); }
  const [jean, lea, zoe, chloe, mathis, ines, noe, elodie] = p;

  // The statement, written in turns.
  await typeOp(fac, insertAfter(fac.text, 'Quoi ?', ' Un réseau local pour l’emploi des jeunes.'));
  await typeOp(chloe, insertAfter(chloe.text, 'Pourquoi ?', ' Parce que 30 % des 16-25 ans du quartier sont sans solution.'));
  await typeOp(noe, insertAfter(noe.text, 'Comment ?', ' Des permanences communes, chaque mois 📅.'));
  await typeOp(jean, replaceText(jean.text, ' Un réseau local', ' Un réseau durable'));
  await typeOp(elodie, insertAfter(elodie.text, 'chaque mois 📅.', '\nÀ suivre : « indicateurs » partagés.'));

  // Poll 1: single, closed, results revealed. Ville 0,0,1; Banque 1,1,1; Asso 0,2.
  const q1 = (await must(fac, { type: 'poll_create', kind: 'single', question: 'Ce résultat est-il commun à tous nos partenaires ou propre à notre organisation ?', choices: ['Commun à tous les partenaires', 'Propre à notre organisation', 'Je ne sais pas'] }, 'poll')).poll;
  await must(fac, { type: 'poll_open', poll: q1.id }, 'poll');
  for (const [c, b] of [[jean, 0], [lea, 0], [zoe, 1], [chloe, 1], [mathis, 1], [ines, 1], [noe, 0], [elodie, 2]]) await must(c, { type: 'vote', poll: q1.id, ballot: b }, 'my_ballot');
  await must(fac, { type: 'poll_close', poll: q1.id }, 'poll');
  await must(fac, { type: 'poll_results', poll: q1.id, visibility: 'revealed' }, 'poll');

  // Poll 2: multiple (max 2), results hidden; choices with a comma and quotes
  // (CSV quoting), a pipe (Markdown tables) and a leading "+" (history.md:
  // the CSV guards cells a spreadsheet would run as a formula: "'+ …").
  const q2 = (await must(fac, { type: 'poll_create', kind: 'multiple', question: 'Quelles priorités, pour 2027 ?', choices: ['+ d’emplois', 'Logement, « abordable »', 'Mobilité "douce" | vélo'], max: 2 }, 'poll')).poll;
  await must(fac, { type: 'poll_open', poll: q2.id }, 'poll');
  for (const [c, b] of [[jean, [0, 1]], [lea, [0]], [zoe, [0, 2]], [chloe, [0]], [mathis, [0, 1]], [ines, [0]], [noe, [1, 2]]]) await must(c, { type: 'vote', poll: q2.id, ballot: b }, 'my_ballot');
  await must(fac, { type: 'poll_close', poll: q2.id }, 'poll');

  // Poll 3: scale, live, left open. Ville 4,5,4; Banque 2,3,2; Asso 5,5.
  const q3 = (await must(fac, { type: 'poll_create', kind: 'scale', question: 'Nos objectifs sont clairs.' }, 'poll')).poll;
  await must(fac, { type: 'poll_results', poll: q3.id, visibility: 'live' }, 'poll');
  await must(fac, { type: 'poll_open', poll: q3.id }, 'poll');
  for (const [c, b] of [[jean, 4], [lea, 5], [zoe, 4], [chloe, 2], [mathis, 3], [ines, 2], [noe, 5], [elodie, 5]]) await must(c, { type: 'vote', poll: q3.id, ballot: b }, 'my_ballot');

  // Poll 4: text, answers and upvotes, closed and revealed.
  const q4 = (await must(fac, { type: 'poll_create', kind: 'text', question: 'Quel impact voulons-nous avoir en tant que groupe ?' }, 'poll')).poll;
  await must(fac, { type: 'poll_open', poll: q4.id }, 'poll');
  await must(jean, { type: 'answer', poll: q4.id, text: 'Moins de jeunes sans solution' }, 'my_ballot');
  await must(chloe, { type: 'answer', poll: q4.id, text: 'Un réseau qui dure' }, 'my_ballot');
  await must(noe, { type: 'answer', poll: q4.id, text: 'Des données partagées, enfin' }, 'my_ballot');
  for (const [c, a] of [[lea, 1], [zoe, 1], [mathis, 1], [ines, 2], [elodie, 2], [jean, 3], [mathis, 2], [lea, 3]]) await must(c, { type: 'upvote', poll: q4.id, answer: a, up: true }, 'my_ballot');
  await must(fac, { type: 'poll_close', poll: q4.id }, 'poll');
  await must(fac, { type: 'poll_results', poll: q4.id, visibility: 'revealed' }, 'poll');

  // A draft never opened, and a poll deleted after a ballot.
  const q5 = (await must(fac, { type: 'poll_create', kind: 'single', question: 'Brouillon : on se revoit quand ?', choices: ['En janvier', 'En février'] }, 'poll')).poll;
  const q6 = (await must(fac, { type: 'poll_create', kind: 'scale', question: 'Question supprimée.' }, 'poll')).poll;
  await must(fac, { type: 'poll_open', poll: q6.id }, 'poll');
  await must(jean, { type: 'vote', poll: q6.id, ballot: 3 }, 'my_ballot');
  await must(fac, { type: 'poll_delete', poll: q6.id }, 'poll_deleted');

  // Someone leaves; the last edit.
  elodie.close();
  await sleep(100);
  await typeOp(fac, ['# Déclaration commune\n\n']);
  await sleep(300);

  const known = new Map([
    [w.id, 'WORKSHOP'], [w.facilitator_key, 'KEY'],
    [q1.id, 'POLL1'], [q2.id, 'POLL2'], [q3.id, 'POLL3'], [q4.id, 'POLL4'], [q5.id, 'POLL5'], [q6.id, 'POLL6'],
    [fac.participant.id, 'P:Awa'],
  ]);
  for (const c of p) known.set(c.participant.id, `P:${c.name.split(' ')[0]}`);
  return { w, fac, people: p, polls: [q1, q2, q3, q4, q5, q6], known };
}

// ---------------------------------------------------------------- tests

describe('history: exports and deletion', { timeout: 120000 }, () => {
  let h;
  let run;
  before(async () => {
    h = await Harness.start({ ownRedis: true });
    run = await scriptedWorkshop(h);
  }, { timeout: 60000 });
  after(async () => { if (h) await h.close(); }, { timeout: 30000 });

  const exp = (q, key) => h.server.http('GET', `/api/workshops/${run.w.id}/export?${q}`, { headers: bearer(key), timeoutMs: 10000 });

  test('export md (fr, en): headers, content, golden files', async (t) => {
    const bugs = [];
    const { w, fac } = run;
    const st = await getJson(h.server.port, `/api/workshops/${w.id}/state?rev=${fac.rev}`, { key: w.facilitator_key });
    assert.equal(st.status, 200, `state: ${st.status} ${st.text.slice(0, 200)}`);
    assert.equal(st.json.text, fac.text);
    for (const [q, lang] of [['format=md&lang=fr', 'fr'], ['format=md&lang=en', 'en'], ['format=md', 'fr']]) {
      const r = await exp(q, w.facilitator_key);
      assert.equal(r.status, 200, `export ${q}: ${r.status} ${r.text.slice(0, 300)}`);
      if (r.headers['content-type'] !== 'text/markdown; charset=utf-8') bugs.push(`export ${q}: Content-Type ${J(r.headers['content-type'])}; history.md: text/markdown; charset=utf-8`);
      if (!/^attachment\b/.test(r.headers['content-disposition'] || '')) bugs.push(`export ${q}: Content-Disposition ${J(r.headers['content-disposition'])}; history.md: attachment`);
      const md = r.text;
      // What history.md asks of the summary.
      if (!md.includes(TITLE)) bugs.push(`md ${lang}: no title`);
      for (const line of fac.text.split('\n').filter((x) => x.trim())) if (!md.includes(line)) bugs.push(`md ${lang}: the final statement's line ${J(line)} is missing`);
      for (const org of ['Ville de Lyon', 'Banque Populaire', 'Association Élan']) if (!md.includes(org)) bugs.push(`md ${lang}: organisation ${org} missing`);
      for (const p of run.polls.slice(0, 4)) if (!md.includes(p.question)) bugs.push(`md ${lang}: poll ${J(p.question)} missing`);
      if (/^#+ .*Question supprimée\./m.test(md)) bugs.push(`md ${lang}: shows a deleted poll among the polls`);
      if (/^#+ .*Brouillon/m.test(md)) bugs.push(`md ${lang}: shows a draft among the polls`);
      for (const x of ['Moins de jeunes sans solution', 'Un réseau qui dure']) if (!md.includes(x)) bugs.push(`md ${lang}: text answer ${J(x)} missing`);
      if (q === 'format=md') {
        const fr = await exp('format=md&lang=fr', w.facilitator_key);
        if (normalise(fr.text, run.known) !== normalise(md, run.known)) bugs.push('md without lang differs from lang=fr (history.md: fr is the default)');
        continue;
      }
      checkGolden(t, `export.${lang}.md`, normalise(md, run.known));
    }
    const fr = (await exp('format=md&lang=fr', w.facilitator_key)).text;
    const en = (await exp('format=md&lang=en', w.facilitator_key)).text;
    if (fr === en) bugs.push('md: fr and en are the same text');
    for (const b of bugs) t.diagnostic(`SPEC MISMATCH: ${b}`);
    assert.deepEqual(bugs, []);
  });

  test('export json: the facilitator view of the whole history, golden file', async (t) => {
    const { w } = run;
    const r = await exp('format=json', w.facilitator_key);
    assert.equal(r.status, 200, `export json: ${r.status} ${r.text.slice(0, 300)}`);
    assert.match(r.headers['content-type'] || '', /^application\/json\b/);
    assert.match(r.headers['content-disposition'] || '', /^attachment\b/);
    const x = r.json;
    assert.ok(x, 'export json is not JSON');
    const meta = (await getJson(h.server.port, `/api/workshops/${w.id}`)).json;
    assert.deepEqual(x.workshop, { id: w.id, title: TITLE, created: w.created, rev: meta.rev, deletes_at: meta.deletes_at }, 'workshop');
    // Each with their organisation's colour slot, as their welcome gave it (README.md, "Organisation colours").
    const want = [run.fac, ...run.people].map((c) => ({ participant: c.participant.id, name: c.name, org: c.organisation, role: c.role, slot: c.participant.slot }));
    assert.deepEqual([...x.participants].sort((a, b) => (a.participant < b.participant ? -1 : 1)), want.sort((a, b) => (a.participant < b.participant ? -1 : 1)), 'participants');
    const hist = await fetchAllHistory(h.server.port, w.id, { key: w.facilitator_key });
    for (const e of x.events) assertSchema('history-event', e);
    assert.deepEqual(x.events, hist.events, 'events are not the facilitator view of /history');
    // Never who voted what, even for the facilitator.
    for (const e of x.events.filter((ev) => ['ballot', 'answer', 'upvote'].includes(ev.type))) {
      assert.deepEqual(Object.keys(e).sort(), ['id', 'poll', 'results', 'rev', 't', 'type'], `json export ballot event ${J(e).slice(0, 200)}`);
    }
    // history.md does not say in which order participants come (the server
    // currently lists them in Redis hash order, which changes with the random
    // ids): the golden file has them sorted by name.
    const g = { ...x, participants: [...x.participants].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
    checkGolden(t, 'export.json', `${normalise(JSON.stringify(g, null, 2), run.known)}\n`);
  });

  test('export csv: the office dialect, the spec\'s columns, the figures of /state, golden file (fr, en)', async (t) => {
    const bugs = [];
    const { w } = run;
    const st = (await getJson(h.server.port, `/api/workshops/${w.id}/state?rev=${run.fac.rev}`, { key: w.facilitator_key })).json;
    for (const lang of ['fr', 'en']) {
      const words = CSV[lang];
      const r = await exp(`format=csv&lang=${lang}`, w.facilitator_key);
      assert.equal(r.status, 200, `export csv: ${r.status} ${r.text.slice(0, 300)}`);
      if (r.headers['content-type'] !== 'text/csv; charset=utf-8') bugs.push(`csv: Content-Type ${J(r.headers['content-type'])}`);
      if (!/^attachment\b/.test(r.headers['content-disposition'] || '')) bugs.push(`csv: Content-Disposition ${J(r.headers['content-disposition'])}`);
      assert.ok(r.text.startsWith('\uFEFF'), 'csv: no byte order mark');
      const text = r.text.slice(1);
      if (/(^|[^\r])\n/.test(text)) bugs.push('csv: a bare LF line end (CRLF)');
      // Tables one after the other, an empty line between them.
      const tables = [[]];
      for (const row of parseCsv(text, ';')) {
        if (row.length === 1 && row[0] === '') tables.push([]);
        else tables[tables.length - 1].push(row);
      }
      assert.equal(tables.length, 4, `csv ${lang}: four tables (choice and scale polls, text polls, key moments, the contribution balance)`);
      const [choices, texts] = tables;
      assert.deepEqual(choices[0], words.header, 'csv header');
      assert.deepEqual(texts[0], words.text, 'csv text polls header');
      for (const [table, head] of [[choices, words.header], [texts, words.text]]) {
        for (const row of table.slice(1)) if (row.length !== head.length) bugs.push(`csv: row of ${row.length} fields: ${J(row)}`);
      }
      // history.md: a text field starting with = + - @ or a tab gets a "'"
      // in front (CSV injection guard).
      const cell = (x) => (/^[=+\-@\t]/.test(x) ? `'${x}` : x);
      const shown = st.polls.filter(({ poll }) => poll.state !== 'draft');
      shown.forEach(({ poll, results }, i) => {
        const number = String(i + 1); // as in the summary
        const isText = poll.kind === 'text';
        const head = isText ? words.text : words.header;
        const col = Object.fromEntries(head.map((c, k) => [c, k]));
        const [qCol, sCol, gCol, rCol] = [head[1], head[isText ? 2 : 3], head[isText ? 3 : 4], head[isText ? 4 : 5]].map((c) => col[c]);
        const mine = (isText ? texts : choices).slice(1).filter((row) => row[0] === number);
        if (!mine.length) { bugs.push(`csv ${lang}: no rows for poll ${number} (${poll.kind})`); return; }
        for (const row of mine) {
          if (row[qCol] !== cell(poll.question) || row[sCol] !== words.states[poll.state] || (!isText && row[2] !== words.kinds[poll.kind])) bugs.push(`csv ${lang}: row ${J(row)} does not describe poll ${number}`);
          if (isText) continue;
          const a = results.alignment;
          const div = row[8] === '' ? null : words.number(row[8]);
          if (div !== (a ? Math.round(a.divergence * 100) / 100 : null) || row[9] !== (a ? words.labels[a.label] : '')) bugs.push(`csv ${lang}: row ${J(row)}: divergence/alignment, expected ${J(a)}`);
        }
        const all = mine.filter((row) => row[gCol] === words.all);
        const figure = (row) => words.number(row[row.length - (isText ? 1 : 3)]);
        const option = (row) => row[row.length - (isText ? 2 : 4)];
        if (poll.kind === 'single' || poll.kind === 'multiple') {
          const got = poll.choices.map((ch) => { const row = all.find((x) => option(x) === cell(ch)); return row ? figure(row) : null; });
          if (!same(got, results.counts)) bugs.push(`csv ${lang}: poll ${number} group all counts ${J(got)}; /state ${J(results.counts)}`);
        } else if (poll.kind === 'scale') {
          const got = words.scale.map((label, k) => { const row = all.find((x) => option(x) === `${k + 1} — ${label}`); return row ? figure(row) : null; });
          if (!same(got, results.counts)) bugs.push(`csv ${lang}: scale ${number} counts ${J(got)}; /state ${J(results.counts)}`);
          const mean = all.find((x) => option(x) === words.mean);
          if (!mean || figure(mean) !== Math.round(results.mean * 100) / 100) bugs.push(`csv ${lang}: scale ${number} mean row ${J(mean)}; /state mean ${results.mean}`);
        } else {
          for (const a of results.answers) {
            const txt = poll.answers.find((x) => x.id === a.id).text;
            const row = all.find((x) => option(x) === cell(txt));
            if (!row || figure(row) !== a.upvotes) bugs.push(`csv ${lang}: answer ${J(txt)} row ${J(row)}; /state upvotes ${a.upvotes}`);
          }
        }
        for (const row of all) if (Number(row[rCol]) !== results.respondents) bugs.push(`csv ${lang}: ${J(row)} respondents; /state ${results.respondents}`);
        const groups = new Set(mine.map((row) => row[gCol]));
        // A group with as many respondents as "all" (everyone) would repeat its figures: left out.
        const everyone = (g) => g.respondents === results.respondents;
        for (const o of results.organisations) if (!everyone(o) && !groups.has(cell(o.name))) bugs.push(`csv ${lang}: poll ${number}: no rows for broken-out ${o.name}`);
        if (results.other && !everyone(results.other) && !groups.has(words.other)) bugs.push(`csv ${lang}: poll ${number}: no rows for other`);
        for (const g of groups) if (g !== words.all && g !== words.other && !results.organisations.some((o) => cell(o.name) === g)) bugs.push(`csv ${lang}: poll ${number}: group ${J(g)} is not broken out (threshold)`);
      });
      if (choices.concat(texts).some((row) => row[1] === 'Question supprimée.')) bugs.push(`csv ${lang}: rows for a deleted poll`);
      checkGolden(t, `export.${lang}.csv`, normalise(r.text, run.known));
    }
    for (const b of bugs) t.diagnostic(`SPEC MISMATCH: ${b}`);
    assert.deepEqual(bugs, []);
  });

  test('exports: 401 without the key, 403 with a wrong one, 400 for an unknown format or lang, 404 unknown workshop', async () => {
    const { w } = run;
    const wrong = `${w.facilitator_key.slice(0, -3)}${w.facilitator_key.endsWith('AAA') ? 'BBB' : 'AAA'}`;
    const got = [];
    const code = (r) => `${r.status} ${r.json && r.json.error ? r.json.error.code : r.text.slice(0, 60)}`;
    for (const f of ['md', 'json', 'csv']) {
      got.push([`${f} no key`, code(await exp(`format=${f}`)), '401 forbidden']);
      got.push([`${f} wrong key`, code(await exp(`format=${f}`, wrong)), '403 forbidden']);
      got.push([`${f} participant token as key`, (await exp(`format=${f}`, run.people[0].token)).status, 403]);
    }
    got.push(['format=pdf', (await exp('format=pdf', w.facilitator_key)).status, 400]);
    got.push(['no format', (await exp('lang=fr', w.facilitator_key)).status, 400]);
    got.push(['lang=de', (await exp('format=md&lang=de', w.facilitator_key)).status, 400]);
    got.push(['unknown workshop', (await h.server.http('GET', '/api/workshops/AAAAAAAAAAAAAAAAAAAAAA/export?format=md', { headers: bearer(w.facilitator_key) })).status, 404]);
    const bad = got.filter(([, s, want]) => s !== want);
    assert.deepEqual(bad, [], `statuses (label, got, history.md): ${J(bad)}`);
  });

  test('DELETE: 401/403 without the right key; with it 204, Redis keys gone, clients told not_found and closed, 404 after', { timeout: 30000 }, async () => {
    // A workshop of its own, next to another one that must survive.
    const keep = await h.server.createWorkshop({ title: 'Reste' });
    const w = await h.server.createWorkshop({ title: 'À supprimer', text: 'Texte' });
    const f = h.client({ workshop: w.id, name: 'Awa', organisation: 'Ville de Lyon', key: w.facilitator_key });
    const p = h.client({ workshop: w.id, name: 'Jean', organisation: 'Banque' });
    const other = h.client({ workshop: keep.id, name: 'Lou', organisation: 'Asso' });
    await f.start(); await p.start(); await other.start();
    await typeOp(p, [5, ' à garder ?']);
    const poll = (await must(f, { type: 'poll_create', kind: 'single', question: 'Oui ?', choices: ['Oui', 'Non'] }, 'poll')).poll;
    await must(f, { type: 'poll_open', poll: poll.id }, 'poll');
    await must(p, { type: 'vote', poll: poll.id, ballot: 0 }, 'my_ballot');
    await typeOp(other, ['Ici']);
    await sleep(200);

    const redis = new Resp(h.redis.port);
    await redis.connect();
    try {
      const scan = async (id) => {
        const out = [];
        let cursor = '0';
        do {
          const [next, keys] = await redis.command('SCAN', cursor, 'MATCH', `atelier:{w:${id}}:*`, 'COUNT', '1000');
          out.push(...keys);
          cursor = next;
        } while (cursor !== '0');
        return out.sort();
      };
      const before = await scan(w.id);
      for (const k of ['meta', 'events', 'people', 'polls', `ballots:${poll.id}`]) assert.ok(before.includes(`atelier:{w:${w.id}}:${k}`), `before DELETE: no key ${k} (${J(before)})`);
      const keepBefore = await scan(keep.id);

      const del = (key) => h.server.http('DELETE', `/api/workshops/${w.id}`, { headers: bearer(key) });
      assert.equal((await del()).status, 401, 'DELETE without a key');
      assert.equal((await del(`${w.facilitator_key.slice(0, -1)}${w.facilitator_key.endsWith('A') ? 'B' : 'A'}`)).status, 403, 'DELETE with a wrong key');
      assert.equal((await del(keep.facilitator_key)).status, 403, 'DELETE with another workshop\'s key');
      assert.deepEqual(await scan(w.id), before, 'a refused DELETE changed Redis');
      assert.ok(f.connected && p.connected, 'a refused DELETE closed connections');

      // A ballot and a new poll just before the deletion (the server may
      // still have work pending for them: results are sent at most every
      // 250 ms).
      await must(p, { type: 'vote', poll: poll.id, ballot: 1 }, 'my_ballot');
      await must(f, { type: 'poll_create', kind: 'scale', question: 'Encore une ?' }, 'poll');
      const errs = [f, p].map((c) => c.waitFor((m) => m.type === 'error' && m.code === 'not_found', 5000, 'error not_found after DELETE'));
      const closes = [f, p].map((c) => c.waitClose(5000));
      const r = await del(w.facilitator_key);
      assert.equal(r.status, 204, `DELETE: ${r.status} ${r.text}`);
      assert.equal(r.text, '', '204 has no body');
      // Once its clients are gone, joining it is not_found and the metadata
      // is 404 (a client told not_found may well try again).
      const bugs = [];
      const lateJoin = async (when) => {
        const late = h.client({ workshop: w.id, name: 'Tard', organisation: 'Banque' });
        await late.open();
        const reply = await late.request(late.joinMessage());
        late.close();
        const meta = await getJson(h.server.port, `/api/workshops/${w.id}`);
        if (reply.type !== 'error' || reply.code !== 'not_found') bugs.push(`join ${when}: got ${J(reply).slice(0, 160)}; history.md: the workshop is gone (not_found)`);
        if (meta.status !== 404) bugs.push(`GET /api/workshops/ID ${when}: ${meta.status} ${meta.text.slice(0, 160)}; expected 404`);
      };
      await Promise.all(errs);
      await Promise.all(closes);
      // Several tries over 300 ms: the server may keep the room in memory a
      // little while after its last connection closed.
      for (let i = 0; i < 10 && !bugs.length; i++) {
        await lateJoin(`after DELETE, once its clients were closed (try ${i + 1}, +${i * 30} ms)`);
        await sleep(30);
      }
      const left = await scan(w.id);
      if (left.length) bugs.push(`keys of the deleted workshop left in Redis: ${J(left)}`);
      assert.deepEqual(await scan(keep.id), keepBefore, 'another workshop\'s keys changed');
      assert.ok(other.connected, 'a client of another workshop was closed');

      for (const path of [`/api/workshops/${w.id}`, `/api/workshops/${w.id}/history`, `/api/workshops/${w.id}/state?rev=0`]) {
        const g = await getJson(h.server.port, path, { key: path.endsWith('history') ? w.facilitator_key : undefined });
        if (g.status !== 404) bugs.push(`GET ${path} after DELETE (clients closed): ${g.status} ${g.text.slice(0, 160)}`);
      }
      assert.equal((await exp('format=md', run.w.facilitator_key)).status, 200, 'the other (scripted) workshop still exports');
      assert.equal((await del(w.facilitator_key)).status, 404, 'a second DELETE');
      // Nothing recreated the keys behind our back (a late write, a reload).
      await sleep(300);
      const back = await scan(w.id);
      if (back.length) bugs.push(`keys of the deleted workshop came back after the 204: ${J(back)}`);
      assert.deepEqual(bugs, [], `${bugs.length} disagreement(s) with history.md (DELETE)`);
    } finally {
      redis.close();
    }
  });

  test('DELETE then join again at once, six times: always not_found, no key left behind', { timeout: 30000 }, async () => {
    const bugs = [];
    for (let k = 0; k < 6; k++) {
      const w = await h.server.createWorkshop({ title: `Éphémère ${k}`, text: 'Texte' });
      const f = h.client({ workshop: w.id, name: 'Awa', organisation: 'Ville', key: w.facilitator_key });
      const p = h.client({ workshop: w.id, name: 'Jean', organisation: 'Banque' });
      await f.start(); await p.start();
      if (k % 2) await must(f, { type: 'poll_create', kind: 'single', question: 'Oui ?', choices: ['Oui', 'Non'] }, 'poll');
      const closes = [f, p].map((c) => c.waitClose(5000));
      const r = await h.server.http('DELETE', `/api/workshops/${w.id}`, { headers: bearer(w.facilitator_key) });
      assert.equal(r.status, 204);
      await Promise.all(closes);
      const late = h.client({ workshop: w.id, name: 'Tard', organisation: 'Asso' });
      await late.open();
      const reply = await late.request(late.joinMessage());
      late.close();
      const meta = await getJson(h.server.port, `/api/workshops/${w.id}`);
      await sleep(100);
      const keys = await h.redis.command('KEYS', `atelier:{w:${w.id}}:*`);
      const what = `${k % 2 ? 'with' : 'without'} a poll`;
      if (reply.type !== 'error' || reply.code !== 'not_found') bugs.push(`${what}: join after DELETE got ${reply.type}${reply.code ? ` ${reply.code}` : ''}`);
      if (meta.status !== 404) bugs.push(`${what}: GET metadata after DELETE: ${meta.status}`);
      if (keys.length) bugs.push(`${what}: keys after DELETE: ${J(keys)}`);
    }
    assert.deepEqual(bugs, [], `${bugs.length} disagreement(s) with history.md (DELETE)`);
  });

  test('a process that has not heard of a deletion yet writes none of its keys back', { timeout: 20000 }, async () => {
    const w = await h.server.createWorkshop({ title: 'Course', text: 'Texte' });
    const stays = h.client({ workshop: w.id, name: 'Awa', organisation: 'Ville' });
    await stays.start(); // the workshop is loaded here
    // Another process deleted it, and its announcement has not arrived: the
    // keys are gone without the announcement.
    const before = await h.redis.command('KEYS', `atelier:{w:${w.id}}:*`);
    await h.redis.command('DEL', ...before);
    const late = h.client({ workshop: w.id, name: 'Tard', organisation: 'Asso' });
    await late.open();
    const reply = await late.request(late.joinMessage());
    assert.equal(reply.type, 'error');
    assert.equal(reply.code, 'not_found');
    // Neither the participant record nor a snapshot (the FCALL refuses) came back.
    const snap = await h.redis.command('FCALL', 'atelier_snapshot', '2', `atelier:{w:${w.id}}:meta`,
      `atelier:{w:${w.id}}:snaps`, '5-1', 'text', '0-1', '1');
    assert.equal(snap, 0);
    assert.deepEqual(await h.redis.command('KEYS', `atelier:{w:${w.id}}:*`), []);
    late.close();
    stays.close();
  });
});
