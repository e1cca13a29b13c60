#!/usr/bin/env node
// Generates ot-text-unicode.json: what ot-text-unicode 4.0.0 (the OT type the
// browser clients run) answers for apply, transform, compose, normalize,
// transformPosition and checkOp, so the C server can be tested to agree with
// it exactly. Deterministic: a fixed seed, no clock, no Math.random.
//
//   node protocol/vectors/generate.js            (from the repository root)
//
// The library is laxer than the server on some inputs (adjacent inserts,
// fractional skips, deletes past the end, {d:"text"} that does not match...).
// Those cases are kept with "strict": "reject" (and, for apply, the "code" the
// server answers with) so the C tests assert that the server refuses them.
'use strict';

const fs = require('fs');
const path = require('path');
const { type } = require('ot-text-unicode');

const LIBRARY = 'ot-text-unicode@' + require('ot-text-unicode/package.json').version;
const SEED = 0x5eed0a7e;
const OUT = path.join(__dirname, 'ot-text-unicode.json');

// ---- seeded randomness (mulberry32) ---------------------------------------

function makeRng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n); // 0 .. n-1
  const pick = (xs) => xs[int(xs.length)];
  const chance = (p) => next() < p;
  return { next, int, pick, chance };
}

const rng = makeRng(SEED);

// ---- text --------------------------------------------------------------------

const ASCII = ['Quoi', 'Pourquoi', 'Comment', 'partenaires', 'ville', 'banque', 'a', 'b', 'x', 'ok', '42',
  ' ', ' ', ' ', '?', '!', ',', '.', '-', '"cité"', 'back\\slash', '\t'];
const FRENCH = ['é', 'à', 'ç', 'œ', '«', '»', '’', 'été', 'façade', 'cœur', 'l’équipe', '« citation »', 'où',
  'Élan', 'garçon', 'à côté', 'naïve'];
const EMOJI = ['👩‍👩‍👧', '🎉', '😀'];
const NEWLINES = ['\n', '\n', '\n\n'];

const cps = (s) => Array.from(s); // code points
const cpLen = (s) => cps(s).length;

function token() {
  const r = rng.next();
  if (r < 0.45) return rng.pick(ASCII);
  if (r < 0.72) return rng.pick(FRENCH);
  if (r < 0.88) return rng.pick(EMOJI);
  return rng.pick(NEWLINES);
}

function text(maxTokens) {
  let s = '';
  const n = 1 + rng.int(maxTokens);
  for (let i = 0; i < n; i++) s += token();
  return s;
}

// Small documents make concurrent edits collide often; larger ones give room
// for multi-component ops.
function doc() {
  const r = rng.next();
  if (r < 0.08) return '';
  if (r < 0.5) return text(4);
  return text(14);
}

// ---- ops -----------------------------------------------------------------------

// A random op that fits d, in the library's normal form (which is also the
// server's strict form).
function op(d) {
  const src = cps(d);
  const out = [];
  let pos = 0;
  const edits = rng.chance(0.1) ? 0 : 1 + rng.int(rng.chance(0.3) ? 5 : 2);
  const del = () => {
    const room = src.length - pos;
    if (room === 0) return;
    const n = 1 + rng.int(Math.min(room, rng.chance(0.2) ? room : 6));
    out.push({ d: rng.chance(0.5) ? n : src.slice(pos, pos + n).join('') });
    pos += n;
  };
  const ins = () => out.push(text(rng.chance(0.7) ? 1 : 3));
  for (let k = 0; k < edits; k++) {
    const room = src.length - pos;
    if (room > 0) {
      const skip = rng.int(Math.min(room, rng.chance(0.2) ? room : 8) + 1);
      if (skip > 0) out.push(skip);
      pos += skip;
    }
    const r = rng.next();
    if (r < 0.4) ins();
    else if (r < 0.75) del();
    else if (r < 0.88) { del(); ins(); }
    else { ins(); del(); }
  }
  return type.normalize(out);
}

const clone = (x) => JSON.parse(JSON.stringify(x));

// The server's rules (protocol/README.md), written out independently of the
// C code: the generator refuses to record a case where the server would be
// laxer than the library, and marks those where it is stricter.
function strictValid(o) {
  if (!Array.isArray(o)) return false;
  const kind = (c) => {
    if (typeof c === 'number') return Number.isSafeInteger(c) && c > 0 ? 'skip' : null;
    if (typeof c === 'string') return c.length > 0 && !c.includes('\u0000') ? 'ins' : null;
    if (c === null || typeof c !== 'object' || Array.isArray(c)) return null;
    const keys = Object.keys(c);
    if (keys.length !== 1 || keys[0] !== 'd') return null;
    const d = c.d;
    if (typeof d === 'number') return Number.isSafeInteger(d) && d > 0 ? 'del' : null;
    if (typeof d === 'string') return d.length > 0 && !d.includes('\u0000') ? 'del' : null;
    return null;
  };
  let last = null;
  for (const c of o) {
    const k = kind(c);
    if (k === null || k === last) return false;
    last = k;
  }
  return last !== 'skip';
}

// null when the server applies o to d, else its error: invalid, range, mismatch.
function strictApplyCode(d, o) {
  if (!strictValid(o)) return 'invalid';
  const src = cps(d);
  let pos = 0;
  for (const c of o) {
    if (typeof c === 'string') continue;
    const n = typeof c === 'number' ? c : typeof c.d === 'number' ? c.d : cpLen(c.d);
    if (n > src.length - pos) return 'range';
    if (typeof c === 'object' && typeof c.d === 'string' && src.slice(pos, pos + n).join('') !== c.d) return 'mismatch';
    pos += n;
  }
  return null;
}

function libError(e) {
  // TypeErrors come from the engine, and their wording changes between Node versions.
  return e instanceof TypeError ? 'TypeError' : e.message;
}

function fail(msg, x) {
  throw Error(msg + ': ' + JSON.stringify(x));
}

// ---- cases -----------------------------------------------------------------------

const out = { apply: [], transform: [], compose: [], normalize: [], transformPosition: [], checkOp: [] };

function addApply(d, o) {
  const c = { doc: d, op: clone(o) };
  let ok = true;
  try {
    c.result = type.apply(d, clone(o));
  } catch (e) {
    ok = false;
    c.error = libError(e);
  }
  const code = strictApplyCode(d, o);
  if (code) {
    c.strict = 'reject';
    c.code = code;
  } else if (!ok) {
    fail('the library refuses an op the server would apply', c);
  }
  out.apply.push(c);
}

function addTransform(d, a, b) {
  const left = type.transform(clone(a), clone(b), 'left');
  const right = type.transform(clone(a), clone(b), 'right');
  // Sanity: the library's TP1, with the sides as the server and clients use them.
  const other = type.transform(clone(b), clone(a), 'right');
  if (type.apply(type.apply(d, a), other) !== type.apply(type.apply(d, b), left)) fail('TP1', { d, a, b });
  out.transform.push({ doc: d, op: a, other: b, left, right });
}

function addCompose(d, a, b) {
  const result = type.compose(clone(a), clone(b));
  if (type.apply(d, result) !== type.apply(type.apply(d, a), b)) fail('compose', { d, a, b });
  out.compose.push({ doc: d, a, b, result });
}

function addNormalize(o) {
  out.normalize.push({ op: clone(o), result: type.normalize(clone(o)) });
}

function addPosition(pos, o) {
  out.transformPosition.push({ pos, op: o, result: type.transformPosition(pos, clone(o)) });
}

function addCheck(o) {
  const c = { op: clone(o) };
  try {
    type.checkOp(clone(o));
    c.valid = true;
  } catch (e) {
    c.valid = false;
    c.error = libError(e);
  }
  if (strictValid(o)) {
    if (!c.valid) fail('the library refuses an op the server accepts', c);
  } else if (c.valid) {
    c.strict = 'reject';
  }
  out.checkOp.push(c);
}

// Hand-written edge cases first, so they are easy to find in the file.

const FAMILY = '👩‍👩‍👧'; // 5 code points: woman, ZWJ, woman, ZWJ, girl

// apply
addApply('Quoi ?', [4, { d: 1 }, '!']);
addApply('', []);
addApply('', ['Bonjour 🎉']);
addApply('abc', []);
addApply('abc', ['X']);
addApply('abc', [3, 'X']);
addApply('abc', [{ d: 3 }]);
addApply('abc', [{ d: 'abc' }]);
addApply('abc', [{ d: 'abc' }, 'é']);
addApply('abc', ['é', { d: 'abc' }]);
addApply('é😀ç', [1, { d: '😀' }, 1, '🎉']);
addApply(FAMILY, [2, { d: 1 }]);
addApply(FAMILY + '\n', [5, '\n«', 1, '»']);
addApply('ligne 1\nligne 2\n', [7, { d: '\n' }, ' ; ']);
addApply('a"b\\c\td', [1, { d: '"' }, 1, { d: '\\' }, 1, '\n']);
// ... where the library is laxer than the server
addApply('abc', [1, { d: 100 }]);              // delete past the end: the library truncates
addApply('abc', [1, { d: 'zz' }]);             // deleted text does not match
addApply('abc', [{ d: 'abcd' }]);              // longer than the document
addApply('abc', ['a', 'b']);                   // adjacent inserts
addApply('abc', [{ d: 1 }, { d: 1 }]);         // adjacent deletes
addApply('abc', [{ d: 1 }, { d: 'b' }]);
addApply('abc', [1.5, 'x']);                   // fractional skip
addApply('abc', [{ d: 1.5 }]);                 // fractional delete
addApply('abc', [{ d: 1, x: 1 }]);             // extra key
addApply('abc', [4, 'x']);                     // skip past the end (the library refuses too)
addApply('abc', [1]);                          // trailing skip (refused by both)
addApply('abc', [0, 'x']);                     // zero skip (refused by both)
addApply('abc', [-1, 'x']);                    // negative skip (refused by both)
addApply('abc', ['']);                         // empty insert (refused by both)
addApply('abc', [{ d: 0 }]);                   // empty delete (refused by both)
addApply('', [{ d: 1 }]);
addApply('😀', [{ d: '😀😀' }]);

// transform
const T = [
  ['xyz', ['a'], ['b']],                                  // inserts at 0
  ['xyz', [3, 'a'], [3, 'b']],                            // inserts at the end
  ['xyz', [1, 'a'], [1, 'b']],                            // same position inside
  ['', ['a'], ['b']],
  ['xyz', [1, 'a'], [1, { d: 1 }]],                       // insert where the other deletes
  ['xyz', [2, 'a'], [1, { d: 1 }]],                       // insert just after the other's delete
  ['abcdef', [1, { d: 2 }], [2, { d: 2 }]],               // overlapping deletes
  ['abcdef', [1, { d: 'bc' }], [2, { d: 'cd' }]],
  ['abcdef', [1, { d: 'bcde' }], [2, { d: 'cd' }]],       // one delete contains the other
  ['abcdef', [2, { d: 'cd' }], [1, { d: 'bcde' }]],
  ['abcdef', [1, { d: 'bcd' }], [1, { d: 'bcd' }]],       // identical deletes
  ['abcdef', [1, { d: 3 }], [2, 'X']],                    // insert inside a deleted range
  ['abcdef', [2, 'X'], [1, { d: 3 }]],
  ['abcd', [{ d: 'abcd' }], [2, 'X']],                    // a {d:"text"} split in two
  ['abcd', [{ d: 4 }], [2, 'X']],
  ['abcd', [{ d: 'ab' }, 'Y'], ['X']],                    // delete before insert, other inserts at 0
  ['abcd', ['Y', { d: 'ab' }], ['X']],
  ['abcd', [2, 'Y', { d: 'cd' }], [2, 'X', { d: 1 }]],
  [FAMILY, [2, { d: 1 }], [2, '🎉']],                      // inside a ZWJ sequence
  [FAMILY, [{ d: FAMILY }], [3, '😀', { d: 1 }]],
  ['été', [1, 'ç'], [{ d: 'ét' }]],
  ['Quoi ?\n\nPourquoi ?\n', [4, { d: 1 }, '!'], [6, '\nDes idées', 2, { d: 'Pour' }]],
];
for (const [d, a, b] of T) {
  addTransform(d, a, b);
  addTransform(d, b, a);
}

// compose
const C = [
  ['abc', ['X'], [1, { d: 1 }]],                          // delete what a inserted
  ['abc', ['XYZ'], [1, { d: 'Y' }]],
  ['abc', ['XYZ'], [1, { d: 3 }]],                        // delete past a's insert into the doc
  ['abc', [{ d: 'a' }], [{ d: 'b' }]],                    // {d:"text"} + {d:"text"} keep their text
  ['abc', [{ d: 'a' }], [{ d: 1 }]],                      // mixed: the text is dropped
  ['abc', [{ d: 1 }], [{ d: 'b' }]],
  ['abc', [1, { d: 'b' }], [{ d: 'ac' }]],
  ['abc', [3, 'X'], [4, 'Y']],
  ['', ['😀'], [{ d: '😀' }]],
  [FAMILY, [5, '🎉'], [2, { d: '👩' }, 3, '!']],
  ['abcdef', [1, { d: 'bc' }, 1, 'X'], [1, 'Y', { d: 'dX' }]],
];
for (const [d, a, b] of C) addCompose(d, a, b);

// normalize
for (const o of [
  [], [0], [''], [{ d: 0 }], [{ d: '' }], [1, 2], [1, 2, 'a'], ['a', 'b'], ['a', 3], ['a', 3, 0],
  [{ d: 'a' }, { d: 'b' }], [{ d: 'a' }, { d: 2 }], [{ d: 2 }, { d: 'a' }], [0, 'a', '', { d: 0 }, 4],
  [2, { d: '' }, 3, 'x'], ['😀', '🎉', { d: '👩' }, { d: '‍' }], [1, 0, 1, 'x', 0, 1],
]) addNormalize(o);

// transformPosition
for (const [pos, o] of [
  [0, ['abc']], [1, ['abc']], [0, [{ d: 2 }]], [3, [1, 'x']], [1, [1, 'x']], [2, [1, 'x']],
  [3, [1, { d: 5 }]], [10, [1, { d: 5 }]], [4, [1, { d: 2 }, 'xy']], [2, [2, { d: 2 }]],
  [5, [{ d: '😀' }, '👩‍👩‍👧']], [7, [3, 'x']], [1, [{ d: 1 }, 'ab', { d: 2 }]],
]) addPosition(pos, o);

// checkOp
for (const o of [
  [], ['a'], [1, 'a'], [{ d: 1 }], [{ d: 'a' }], [1, { d: 1 }, 'a'], ['a', { d: 1 }, 'b'],
  [9007199254740991, 'a'],
  'not an op', {}, [0, 'a'], [-1, 'a'], [1, 2, 'a'], [1], ['a', 1], [''], [{ d: 0 }], [{ d: '' }],
  [{ d: -1 }], [{}], [{ d: true }], [null], [[1]], [{ d: null }],
  // accepted by the library, refused by the server
  [1.5, 'a'], [{ d: 1.5 }], ['a', 'b'], [{ d: 1 }, { d: 2 }], [{ d: 1 }, { d: 'a' }], [{ d: 1, x: 2 }],
  [true], [false, 'a'], [1e300, 'a'], [9007199254740992, 'a'], [{ d: 9007199254740992 }],
  [1, 'a', 'b', 2, { d: 1 }],
]) addCheck(o);

// Random cases.

function randomPair() {
  const d = doc();
  return [d, op(d), op(d)];
}

for (let i = 0; i < 1100; i++) {
  const d = doc();
  addApply(d, op(d));
}

// Lax variants of random ops, recorded with the server's refusal.
function laxVariant(d, o) {
  const v = clone(o);
  const n = cpLen(d);
  const r = rng.int(6);
  if (r === 0) { // delete past the end
    v.push({ d: n + 1 + rng.int(3) });
    return type.normalize(v);
  }
  if (r === 1) { // a {d:"text"} that does not match
    const i = v.findIndex((c) => typeof c === 'object' && typeof c.d === 'string');
    if (i < 0) return [{ d: 'ω' }].concat(v); // mismatch, or range on an empty document
    v[i] = { d: 'Z' + cps(v[i].d).slice(1).join('') };
    return v;
  }
  if (r === 2) { // an insert split in two
    const i = v.findIndex((c) => typeof c === 'string' && cpLen(c) > 1);
    if (i < 0) return ['¿', '?'].concat(v);
    const s = cps(v[i]);
    v.splice(i, 1, s[0], s.slice(1).join(''));
    return v;
  }
  if (r === 3) { // a trailing skip
    v.push(1 + rng.int(3));
    return v;
  }
  if (r === 4) { // skip past the end
    return [n + 1, 'x'];
  }
  const i = v.findIndex((c) => typeof c === 'number'); // fractional skip
  if (i < 0) return [0.5, 'x'].concat(v);
  v[i] -= 0.5;
  return v;
}

for (let i = 0; i < 150; i++) {
  const d = doc();
  addApply(d, laxVariant(d, op(d)));
}

for (let i = 0; i < 1300; i++) {
  const [d, a, b] = randomPair();
  addTransform(d, a, b);
}

for (let i = 0; i < 900; i++) {
  const d = doc();
  const a = op(d);
  const b = op(type.apply(d, a));
  addCompose(d, a, b);
}

// Denormalised ops: split components, sprinkle empty ones, add trailing skips.
function denormalise(o) {
  const v = [];
  for (const c of o) {
    if (rng.chance(0.2)) v.push(rng.pick([0, '', { d: 0 }, { d: '' }]));
    if (typeof c === 'number' && c > 1 && rng.chance(0.5)) {
      const k = 1 + rng.int(c - 1);
      v.push(k, c - k);
    } else if (typeof c === 'string' && cpLen(c) > 1 && rng.chance(0.5)) {
      const s = cps(c);
      const k = 1 + rng.int(s.length - 1);
      v.push(s.slice(0, k).join(''), s.slice(k).join(''));
    } else if (typeof c === 'object' && cpLen(String(c.d)) > 1 && rng.chance(0.5)) {
      const n = typeof c.d === 'number' ? c.d : cpLen(c.d);
      const k = 1 + rng.int(n - 1);
      if (typeof c.d === 'number') v.push({ d: k }, { d: n - k });
      else {
        const s = cps(c.d);
        const head = s.slice(0, k).join('');
        v.push({ d: rng.chance(0.3) ? k : head }, { d: s.slice(k).join('') });
      }
    } else {
      v.push(clone(c));
    }
  }
  if (rng.chance(0.4)) v.push(1 + rng.int(5));
  if (rng.chance(0.2)) v.push(rng.pick([0, 2]));
  return v;
}

for (let i = 0; i < 300; i++) {
  const d = doc();
  addNormalize(denormalise(op(d)));
}

for (let i = 0; i < 700; i++) {
  const d = doc();
  addPosition(rng.int(cpLen(d) + 3), op(d));
}

for (let i = 0; i < 200; i++) {
  const d = doc();
  const o = op(d);
  const r = rng.int(4);
  if (r === 0) addCheck(o);
  else if (r === 1) addCheck(denormalise(o));
  else addCheck(laxVariant(d, o));
}

// ---- output: one case per line, so diffs stay readable --------------------------

const total = Object.values(out).reduce((n, xs) => n + xs.length, 0);
let s = '{\n';
s += '"about": "Reference answers of ' + LIBRARY + ' (the OT type of the browser clients) for the C server\'s tests. ' +
  'Generated by protocol/vectors/generate.js; do not edit by hand. Cases with \\"strict\\": \\"reject\\" are ones ' +
  'the library accepts (or answers oddly) but the server must refuse; for apply, \\"code\\" is the server\'s reason: ' +
  'invalid, range or mismatch.",\n';
s += '"library": ' + JSON.stringify(LIBRARY) + ',\n';
s += '"seed": ' + SEED + ',\n';
s += '"count": ' + total + ',\n';
const keys = Object.keys(out);
keys.forEach((k, i) => {
  s += JSON.stringify(k) + ': [\n' + out[k].map((c) => JSON.stringify(c)).join(',\n') + '\n]' +
    (i + 1 < keys.length ? ',' : '') + '\n';
});
s += '}\n';
JSON.parse(s); // well-formed
// cJSON cuts strings at U+0000, so the C tests could not read such a case as
// written; the server refuses \u0000 before cJSON sees it (tested in C).
if (s.includes('\\u0000')) throw Error('a case contains U+0000');
fs.writeFileSync(OUT, s);
console.log(`wrote ${path.relative(process.cwd(), OUT)}: ${total} cases, ${s.length} bytes (` +
  keys.map((k) => `${k} ${out[k].length}`).join(', ') + ')');
