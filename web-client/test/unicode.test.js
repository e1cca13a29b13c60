import test from 'node:test';
import assert from 'node:assert/strict';
import { type } from 'ot-text-unicode';
import {
  cpLength, cpToUnit, unitToCp, diffRegion, diffOp, wellFormed, selectionToCp, selectionToUnits,
} from '../src/state/unicode.js';

const EMOJI = '😀'; // 2 UTF-16 units, 1 code point
const FAMILY = '👩‍👩‍👧'; // 3 emoji + 2 ZWJ = 5 code points, 8 units

test('cpLength counts code points', () => {
  assert.equal(cpLength(''), 0);
  assert.equal(cpLength('Quoi ?'), 6);
  assert.equal(cpLength(`a${EMOJI}b`), 3);
  assert.equal(cpLength('é'), 1); // precomposed
  assert.equal(cpLength('e\u0301'), 2); // combining accent is its own code point
  assert.equal(cpLength(FAMILY), 5);
  assert.equal(cpLength('\ud800x'), 2); // lone surrogate counts as one
});

test('cpToUnit / unitToCp round-trip at every code point boundary', () => {
  const s = `Ça ${EMOJI} va ? ${FAMILY} é\u0301 漢字 ${EMOJI}${EMOJI}`;
  const n = cpLength(s);
  for (let cp = 0; cp <= n; cp++) {
    const u = cpToUnit(s, cp);
    assert.equal(unitToCp(s, u), cp, `cp ${cp}`);
  }
  assert.equal(cpToUnit(s, n + 10), s.length, 'clamped');
  assert.equal(unitToCp(s, s.length + 10), n, 'clamped');
});

test('a UTF-16 offset inside a surrogate pair maps to the start of the character', () => {
  const s = `a${EMOJI}b`;
  assert.equal(unitToCp(s, 1), 1);
  assert.equal(unitToCp(s, 2), 1); // between the halves
  assert.equal(unitToCp(s, 3), 2);
  assert.equal(cpToUnit(s, 2), 3);
});

test('selection helpers convert both ends', () => {
  const s = `${EMOJI}ab${EMOJI}`;
  assert.deepEqual(selectionToCp(s, [2, 6]), [1, 4]);
  assert.deepEqual(selectionToUnits(s, [4, 1]), [6, 2]);
});

test('wellFormed replaces lone surrogates only', () => {
  assert.equal(wellFormed(`a${EMOJI}b`), `a${EMOJI}b`);
  assert.equal(wellFormed('a\ud800b\udc00'), 'a\ufffdb\ufffd');
});

test('diffRegion uses the caret to place an ambiguous insert', () => {
  // Typing "a" between the two a's of "aa": caret ends at 2.
  assert.deepEqual(diffRegion('aa', 'aaa', 2), { start: 1, removed: 0, inserted: 'a' });
  assert.deepEqual(diffRegion('aa', 'aaa', 1), { start: 0, removed: 0, inserted: 'a' });
  assert.deepEqual(diffRegion('aa', 'aaa', 3), { start: 2, removed: 0, inserted: 'a' });
  // Backspace of the middle "a" in "aaa": caret ends at 1.
  assert.deepEqual(diffRegion('aaa', 'aa', 1), { start: 1, removed: 1, inserted: '' });
  // Without a caret, prefer the end.
  assert.deepEqual(diffRegion('aa', 'aaa'), { start: 2, removed: 0, inserted: 'a' });
});

test('diffRegion never splits a surrogate pair', () => {
  // 😀 (D83D DE00) -> 😁 (D83D DE01): same high surrogate.
  const r = diffRegion('x😀y', 'x😁y');
  assert.deepEqual(r, { start: 1, removed: 2, inserted: '😁' });
  // Same low surrogate, different high: 𝐀 (D835 DC00) vs 😀 (D83D DE00) share nothing, but check a crafted pair
  const a = '\ud83d\ude00'; // 😀
  const b = '\ud83e\ude00'; // 🨀 (different high, same low)
  assert.deepEqual(diffRegion(`x${a}y`, `x${b}y`), { start: 1, removed: 2, inserted: b });
});

test('diffOp produces valid strict ops that turn old into new', () => {
  const cases = [
    ['', 'Quoi ?'],
    ['Quoi ?', 'Quoi!?'],
    ['Quoi ?', ''],
    [`a${EMOJI}b`, `a${EMOJI}${EMOJI}b`],
    [`a${EMOJI}b`, 'ab'],
    ['Pourquoi ?', 'Pourquoi ? Parce que.'],
    ['école', 'École'],
    [`${FAMILY}!`, '!'],
    ['same', 'same'],
  ];
  for (const [a, b] of cases) {
    const op = diffOp(a, b);
    assert.equal(type.apply(a, op), b, `${a} -> ${b}`);
    if (op.length) {
      assert.notEqual(typeof op[op.length - 1], 'number', 'no trailing skip');
      type.checkOp(op);
    } else {
      assert.equal(a, b);
    }
  }
});

test('diffOp counts positions in code points', () => {
  assert.deepEqual(diffOp(`${EMOJI}ab`, `${EMOJI}aXb`, 4), [2, 'X']);
  assert.deepEqual(diffOp(`${EMOJI}${EMOJI}`, `${EMOJI}`, 2), [1, { d: 1 }]);
  assert.deepEqual(diffOp('héllo', 'hello', 2), [1, { d: 1 }, 'e']);
});

test('diffOp fuzz: random edits on text with emoji and accents', () => {
  const alphabet = ['a', 'é', 'e\u0301', EMOJI, ' ', '\n', '漢', FAMILY, 'Ç'];
  let seed = 7;
  const rand = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; };
  for (let i = 0; i < 2000; i++) {
    const parts = [];
    const n = Math.floor(rand() * 8);
    for (let j = 0; j < n; j++) parts.push(alphabet[Math.floor(rand() * alphabet.length)]);
    const old = parts.join('');
    const cps = [...old];
    const at = Math.floor(rand() * (cps.length + 1));
    const del = Math.floor(rand() * (cps.length - at + 1));
    const ins = rand() < 0.5 ? alphabet[Math.floor(rand() * alphabet.length)] : '';
    const nu = [...cps.slice(0, at), ins, ...cps.slice(at + del)].join('');
    const caret = cpToUnit(nu, at) + ins.length;
    const op = diffOp(old, nu, caret);
    assert.equal(type.apply(old, op), nu);
  }
});
