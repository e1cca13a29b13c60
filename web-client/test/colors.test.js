// The organisation palette against colour-vision deficiencies, simulated
// with dev/cvd.js (Machado et al. 2009, severity 1.0; CIEDE2000).
import test from 'node:test';
import assert from 'node:assert/strict';
import { PALETTE, UNKNOWN_COLOR, contrast } from '../src/state/colors.js';
import { hexToLin, simulate, lab, de2000, VISIONS } from '../dev/cvd.js';

const labIn = (hex, v) => lab(simulate(hexToLin(hex), v));

test('the simulation and the distance behave as published', () => {
  // CIEDE2000 test pair from Sharma, Wu & Dalal (2005), pair 1: 2.0425.
  assert.equal(de2000([50, 2.6772, -79.7751], [50, 0, -82.7485]).toFixed(4), '2.0425');
  // Red and green collapse for protanopes and deuteranopes, not for tritanopes.
  const gap = (v) => de2000(labIn('#d62728', v), labIn('#2ca02c', v));
  assert.ok(gap('normal') > 40);
  assert.ok(gap('deuteranopia') < gap('normal') / 2);
  assert.ok(gap('protanopia') < gap('normal') / 2);
  // Greys are unchanged by every simulation.
  for (const v of VISIONS) assert.ok(de2000(labIn('#777777', v), labIn('#777777', 'normal')) < 0.5, v);
});

test('every two organisation colours stay apart for normal, protan, deutan and tritan vision', () => {
  for (const v of VISIONS) {
    for (let i = 0; i < PALETTE.length; i++) {
      assert.ok(de2000(labIn(PALETTE[i], v), labIn(UNKNOWN_COLOR, v)) >= 8, `${PALETTE[i]} vs grey, ${v}`);
      for (let j = i + 1; j < PALETTE.length; j++) {
        const d = de2000(labIn(PALETTE[i], v), labIn(PALETTE[j], v));
        assert.ok(d >= 9, `${PALETTE[i]} vs ${PALETTE[j]} under ${v}: ΔE2000 ${d.toFixed(2)}`);
      }
    }
  }
});

test('white text stays readable on every colour', () => {
  for (const c of PALETTE) assert.ok(contrast(c, '#ffffff') >= 4.5, c);
});
