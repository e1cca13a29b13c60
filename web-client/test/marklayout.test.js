// The replay timeline's mark layout: 24 px targets that never overlap and
// stay inside the track, as near their moment as rows allow.
import test from 'node:test';
import assert from 'node:assert/strict';
import { layoutMarks } from '../src/state/marklayout.js';

const SIZE = 24;

/** Every property the page relies on, for one layout. */
function check(centres, width, { lanes, places }) {
  assert.equal(places.length, centres.length);
  for (const p of places) {
    assert.ok(p.left >= 0 && p.left + SIZE <= width + 1e-9, `inside the track: ${p.left} in ${width}`);
    assert.ok(Number.isInteger(p.lane) && p.lane >= 0 && p.lane < lanes);
  }
  for (let i = 0; i < places.length; i++) {
    for (let j = i + 1; j < places.length; j++) {
      if (places[i].lane !== places[j].lane) continue;
      assert.ok(Math.abs(places[i].left - places[j].left) >= SIZE - 1e-9, `marks ${i} and ${j} overlap`);
      assert.ok(places[i].left < places[j].left, `marks ${i} and ${j} keep time order in their row`);
    }
  }
}

test('marks far apart stay on one row, each centred on its moment', () => {
  const centres = [12, 100, 300, 628];
  const out = layoutMarks(centres, { width: 640, size: SIZE });
  check(centres, 640, out);
  assert.equal(out.lanes, 1);
  assert.deepEqual(out.places.map((p) => p.left + SIZE / 2), centres);
});

test('marks at the same moment go to further rows before being pushed aside', () => {
  const centres = [50, 51, 52];
  const out = layoutMarks(centres, { width: 640, size: SIZE });
  check(centres, 640, out);
  assert.equal(out.lanes, 3);
  for (const [i, p] of out.places.entries()) assert.ok(Math.abs(p.left + SIZE / 2 - centres[i]) <= SIZE / 2);
});

test('a crowd at one moment is spread along the rows, inside the track, even at the very end', () => {
  const centres = Array.from({ length: 40 }, () => 630);
  const out = layoutMarks(centres, { width: 640, size: SIZE });
  check(centres, 640, out);
  assert.equal(out.lanes, 3);
});

test('more marks than three rows hold: as many rows as needed (a phone with a long workshop)', () => {
  const width = 340; // a 390 px phone's track
  const centres = Array.from({ length: 100 }, (_, i) => 10 + i * 0.5);
  const out = layoutMarks(centres, { width, size: SIZE });
  check(centres, width, out);
  assert.equal(out.lanes, Math.ceil(100 / Math.floor(width / SIZE)));
});

test('random timelines of every size: never an overlap, never outside the track', () => {
  let seed = 12345;
  const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  for (let round = 0; round < 500; round++) {
    const width = 30 + Math.floor(rand() * 1200);
    const n = Math.floor(rand() * 60);
    const clustered = rand() < 0.5;
    const centres = Array.from({ length: n }, () => (clustered ? width * 0.2 + rand() * 30 : rand() * width)).sort((a, b) => a - b);
    check(centres, width, layoutMarks(centres, { width, size: SIZE }));
  }
});

test('no marks: nothing to place', () => {
  assert.deepEqual(layoutMarks([], { width: 500 }), { lanes: 1, places: [] });
});
