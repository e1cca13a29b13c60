// Organisation colours. Every client must pick the same colour for the same
// organisation without talking to the others, so the colour is a hash of the
// normalised name into a fixed palette. Each colour carries white text at a
// contrast ratio of at least 4.5:1 (checked by a unit test), and is used as a
// light tint behind text.
//
// The palette stays distinguishable for the common colour-vision
// deficiencies: simulated with the Machado, Oliveira & Fernandes (2009)
// model (severity 1.0: protanopia, deuteranopia, tritanopia, in linear
// sRGB; dev/cvd.js, our own code), every two colours are at least 9
// CIEDE2000 units apart under normal vision and each simulation, and at
// least 8 from the grey of "other organisations" and unknown authors
// (test/colors.test.js). The palette before issue 12 failed this: its
// burnt orange and olive were 0.75 apart for protanopes. Colour is never
// the only cue: names are always written beside it.

export const PALETTE = [
  '#693c96', // purple
  '#961e00', // rust
  '#1e6978', // teal
  '#96694b', // brown
  '#b45a00', // orange
  '#3c69e1', // blue
  '#3c5a3c', // forest green
  '#872d5a', // plum
  '#14148c', // navy
  '#b44ba5', // orchid
];

export const UNKNOWN_COLOR = '#6b6b6b';

/** Organisations that differ only by case, spacing or Unicode form are one. */
export function orgKey(name) {
  return String(name ?? '').normalize('NFC').trim().replace(/\s+/g, ' ').toLocaleLowerCase('fr');
}

function fnv1a(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function orgColor(name) {
  const key = orgKey(name);
  if (!key) return UNKNOWN_COLOR;
  return PALETTE[fnv1a(key) % PALETTE.length];
}

/** rgba() of a #rrggbb colour, for tints. */
export function tint(hex, alpha) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

function channel(v) {
  const c = v / 255;
  return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

export function luminance(hex) {
  const n = parseInt(hex.slice(1), 16);
  return 0.2126 * channel((n >> 16) & 255) + 0.7152 * channel((n >> 8) & 255) + 0.0722 * channel(n & 255);
}

export function contrast(a, b) {
  const la = luminance(a);
  const lb = luminance(b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}
