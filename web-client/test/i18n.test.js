import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { I18n, pickLanguage, dateFormat } from '../src/i18n/index.js';
import { PALETTE, orgColor, orgKey, contrast, UNKNOWN_COLOR } from '../src/state/colors.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.join(here, '../src');
const fr = JSON.parse(readFileSync(path.join(src, 'i18n/fr.json'), 'utf8'));
const en = JSON.parse(readFileSync(path.join(src, 'i18n/en.json'), 'utf8'));

function sources(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.js') ? [p] : [];
  });
}

test('both catalogues have the same keys, placeholders and plural forms', () => {
  assert.deepEqual(Object.keys(fr).sort(), Object.keys(en).sort());
  // Tokens with all their braces, so that {{name}} in one language differs from {name}.
  const holes = (s) => (typeof s === 'string' ? s : Object.values(s).join(' ')).match(/\{+\w+\}+/g)?.sort() ?? [];
  for (const k of Object.keys(fr)) {
    assert.deepEqual(holes(fr[k]), holes(en[k]), k);
    // t() fills {name} only: {{name}} would keep a pair of braces on screen.
    for (const t of holes(fr[k])) assert.match(t, /^\{\w+\}$/, `${k}: ${t}`);
    assert.equal(typeof fr[k], typeof en[k], k);
    if (typeof fr[k] === 'object') assert.ok(fr[k].other && en[k].other, `${k} has an "other" form`);
  }
});

test('placeholders are filled whole: no brace left on screen', () => {
  const i = new I18n({ fr, en }, 'fr');
  assert.equal(i.t('share.code', { code: '482\u202f913', address: 'atelier.example.org' }),
    '482\u202f913\u202f: \u00e0 taper sur atelier.example.org (valable tant que l\'atelier est ouvert)');
  assert.equal(i.t('present.announcePoll', { question: 'Quoi\u202f?' }), '\u00c0 l\'\u00e9cran\u202f: Quoi\u202f?');
});

test('every key the code uses exists, and every key is used', () => {
  const used = new Set();
  for (const file of sources(src)) {
    const code = readFileSync(file, 'utf8');
    for (const m of code.matchAll(/['`]((?:app|home|template|form|join|workshop|share|editor|presence|status|announce|error|action|poll|replay|present|end|roles|observer|signoff|agenda|balance|retention|series|board)\.[A-Za-z0-9_]+)['`]/g)) used.add(m[1]);
  }
  // Keys built at run time: status.${status}, error.${code}.
  for (const s of ['connecting', 'connected', 'reconnecting', 'offline', 'failed']) used.add(`status.${s}`);
  for (const c of ['network', 'unavailable', 'too_large', 'create']) used.add(`error.${c}`);
  for (const s of ['endorsed', 'declined', 'waiting']) used.add(`signoff.${s}`); // views/signoff.js: signoff.${status}
  for (const k of used) assert.ok(k in fr, `missing key ${k}`);
  for (const k of Object.keys(fr)) assert.ok(used.has(k), `unused key ${k}`);
});

test('no user-facing string literal hides in the views', () => {
  for (const file of sources(path.join(src, 'views'))) {
    const code = readFileSync(file, 'utf8');
    // text: 'Something' with a capital or an accent would be an untranslated string.
    assert.doesNotMatch(code, /text: '[A-ZÀ-Ý][a-zà-ÿ]/, file);
  }
});

test('language: French when preferred or unknown, English when preferred, stored choice wins', () => {
  assert.equal(pickLanguage(null, ['fr-FR', 'en']), 'fr');
  assert.equal(pickLanguage(null, ['en-GB', 'fr']), 'en');
  assert.equal(pickLanguage(null, ['de-DE', 'en-US']), 'en');
  assert.equal(pickLanguage(null, ['de-DE']), 'fr');
  assert.equal(pickLanguage('en', ['fr-FR']), 'en');
  assert.equal(pickLanguage('xx', ['fr-CA']), 'fr');
});

test('t() fills placeholders and picks plural forms per language', () => {
  const i = new I18n({ fr, en }, 'fr');
  assert.equal(i.t('presence.count', { count: 1 }), '1 personne');
  assert.equal(i.t('presence.count', { count: 3 }), '3 personnes');
  assert.equal(i.t('join.present', { count: 0 }), "Personne n'est encore là.");
  assert.equal(i.t('announce.arrived', { name: 'Jean', organisation: 'Banque' }), "Jean (Banque) a rejoint l'atelier.");
  i.setLanguage('en');
  assert.equal(i.t('presence.count', { count: 1 }), '1 person');
  assert.equal(i.t('join.present', { count: 2 }), '2 people are already here.');
  assert.equal(i.t('no.such.key'), 'no.such.key');
});

test('bound elements follow the language', () => {
  const i = new I18n({ fr, en }, 'fr');
  const el = { textContent: '', isConnected: true, attrs: {}, setAttribute(k, v) { this.attrs[k] = v; } };
  i.bind(el, 'status.connected');
  i.bind(el, 'app.switchLanguage', null, 'aria-label');
  assert.equal(el.textContent, 'En ligne');
  i.setLanguage('en');
  assert.equal(el.textContent, 'Connected');
  assert.equal(el.attrs['aria-label'], 'Passer en français');
});

// Users are in Europe: English dates read as in Britain, day first and on a
// 24-hour clock, wherever the page writes one (replay, sign-off, workshop,
// partnership), so every date format comes from dateFormat().
test('dates: English as en-GB (6 December 2026, 17:05), French as fr-FR, through one helper', () => {
  const at = new Date(Date.UTC(2026, 11, 6, 17, 5, 9));
  const utc = { timeZone: 'UTC' };
  assert.equal(dateFormat('en', { ...utc, dateStyle: 'long' }).format(at), '6 December 2026');
  assert.equal(dateFormat('en', { ...utc, dateStyle: 'long', timeStyle: 'short' }).format(at), '6 December 2026 at 17:05');
  assert.equal(dateFormat('en', { ...utc, hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(at), '17:05:09');
  assert.equal(dateFormat('fr', { ...utc, dateStyle: 'long' }).format(at), '6 décembre 2026');
  assert.equal(dateFormat('fr', { ...utc, timeStyle: 'short' }).format(at), '17:05');
  for (const file of sources(src)) {
    if (file.endsWith(path.join('i18n', 'index.js'))) continue;
    const code = readFileSync(file, 'utf8');
    assert.doesNotMatch(code, /new Intl\.DateTimeFormat\(|\.toLocale(Date|Time)?String\(/, `${path.relative(src, file)}: dates through dateFormat()`);
  }
});

test('organisation colours: stable, case-insensitive, readable with white text', () => {
  for (const c of [...PALETTE, UNKNOWN_COLOR]) {
    assert.ok(contrast(c, '#ffffff') >= 4.5, `${c} vs white: ${contrast(c, '#ffffff').toFixed(2)}`);
  }
  assert.equal(orgColor('Ville de Lyon'), orgColor('  ville  de LYON '));
  assert.equal(orgKey('Banque\u0301'), orgKey('Banqué'));
  assert.ok(PALETTE.includes(orgColor('Banque')));
  assert.equal(orgColor(''), UNKNOWN_COLOR);
  const used = new Set(['Ville de Lyon', 'Banque', 'Association', 'Région', 'Université', 'Entreprise'].map(orgColor));
  assert.ok(used.size >= 4, 'common names spread over the palette');
});
