// French typography (src/i18n/typography.js) and the French catalogue held to
// it; one inclusive-writing choice across fr.json.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { frTypography, isFrTypographic, NNBSP } from '../src/i18n/typography.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fr = JSON.parse(readFileSync(path.join(here, '../src/i18n/fr.json'), 'utf8'));
const n = NNBSP;

test('a narrow no-break space before ? ! ; : whatever was there before', () => {
  assert.equal(frTypography('Quoi ?'), `Quoi${n}?`);
  assert.equal(frTypography('Quoi?'), `Quoi${n}?`);
  assert.equal(frTypography('Quoi\u00a0?'), `Quoi${n}?`);
  assert.equal(frTypography('Quoi  \u00a0 ?'), `Quoi${n}?`, 'a run of spaces is one');
  assert.equal(frTypography('Enfin !'), `Enfin${n}!`);
  assert.equal(frTypography('un ; deux'), `un${n}; deux`);
  assert.equal(frTypography('Note : ceci'), `Note${n}: ceci`);
  assert.equal(frTypography('Note: ceci'), `Note${n}: ceci`);
  assert.equal(frTypography('Vraiment ?!'), `Vraiment${n}?!`, 'one space before the first mark only');
  assert.equal(frTypography('Vraiment?!'), `Vraiment${n}?!`);
  assert.equal(frTypography('{count} ?'), `{count}${n}?`);
  assert.equal(frTypography('(voir ci-dessus)?'), `(voir ci-dessus)${n}?`);
});

test('a narrow no-break space before % after a number or a placeholder', () => {
  assert.equal(frTypography('100 %'), `100${n}%`);
  assert.equal(frTypography('100%'), `100${n}%`);
  assert.equal(frTypography('100\u00a0% au total.'), `100${n}% au total.`);
  assert.equal(frTypography('{pct} %'), `{pct}${n}%`);
  assert.equal(frTypography('{pct}%'), `{pct}${n}%`);
  for (const s of ['http://exemple.org/a%20b', 'a%b', '20%20', 'taux %']) assert.equal(frTypography(s), s, s);
});

test('groups of digits (thousands, a join code) are held together', () => {
  assert.equal(frTypography('par exemple 482 913.'), `par exemple 482${n}913.`);
  assert.equal(frTypography('1\u00a0000 personnes'), `1${n}000 personnes`);
  for (const s of ['entre 2 et 3', 'de 1 à 5', '2 1234']) assert.equal(frTypography(s), s, s);
});

test('guillemets hold their text with narrow no-break spaces', () => {
  assert.equal(frTypography('« Révélés »'), `«${n}Révélés${n}»`);
  assert.equal(frTypography('«Révélés»'), `«${n}Révélés${n}»`);
  assert.equal(frTypography('«\u00a0Révélés\u00a0» ?'), `«${n}Révélés${n}»${n}?`);
});

test('colons that are not punctuation, and other text, are left alone', () => {
  for (const s of ['14:05', 'http://exemple.org/a?b=1', 'a:b', '0,5 ou plus.', '', 'Quoi\n\nPourquoi', '5 · Tout à fait d\'accord', '{count} · {share}']) {
    assert.equal(frTypography(s), s, s);
  }
  assert.equal(frTypography(null), null);
});

test('idempotent, and line breaks are kept', () => {
  const s = 'Quoi ?\n\nPourquoi ?\n\nComment ?\n';
  const once = frTypography(s);
  assert.equal(once, `Quoi${n}?\n\nPourquoi${n}?\n\nComment${n}?\n`);
  assert.equal(frTypography(once), once);
  assert.ok(isFrTypographic(once));
  assert.ok(!isFrTypographic(s));
});

const strings = (cat) => Object.entries(cat).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : Object.entries(v).map(([f, s]) => [`${k}.${f}`, s])));

test('every French string follows French typography', () => {
  const bad = strings(fr).filter(([, s]) => !isFrTypographic(s)).map(([k, s]) => `${k}: ${JSON.stringify(s)}`);
  assert.deepEqual(bad, []);
  // No ordinary or no-break space left before high punctuation or % or inside guillemets.
  for (const [k, s] of strings(fr)) assert.doesNotMatch(s, /[ \u00a0][?!;:»%]|«[ \u00a0]/, k);
});

// One inclusive-writing choice: the point médian (participant·es,
// animateur·rice, chacun·e), never a masculine generic for people, never
// another notation (participant(e)s, participant.e.s, participantEs).
test('one inclusive-writing choice across the French catalogue', () => {
  const text = strings(fr).map(([, s]) => s).join('\n');
  for (const re of [/\bparticipants?\b(?!·)/i, /\banimateurs?\b(?!·)/i, /\bprésents\b/i, /\bcurieux\b(?!·)/i,
    /\binvités?\b(?!·)/i, /\bconnectés\b/i, /\bchacun\b(?!·)/i, /\btous (les |nos )?(partenaires|participant)/, /\(e\)|\.e\.|[a-z]Es\b/, /qu'ils\b|: ils\b/, /toutes et (à )?tous|tous et (à )?toutes/]) {
    const m = re.exec(text);
    assert.equal(m, null, `found "${m && text.slice(Math.max(0, m.index - 30), m.index + 30)}"`);
  }
  assert.match(text, /animateur·rice/);
  assert.match(text, /participant·es/);
});
