// Organisation colours. Every client must pick the same colour for the same
// organisation without talking to the others, so the colour is a hash of the
// normalised name into a fixed palette. Each colour carries white text at a
// contrast ratio of at least 4.5:1 (checked by a unit test), and is used as a
// light tint behind text.

export const PALETTE = [
  '#1558b0', // blue
  '#b3261e', // red
  '#1b7a3a', // green
  '#7b3fb0', // purple
  '#9c4a00', // burnt orange
  '#00707a', // teal
  '#b0245e', // raspberry
  '#5c5c00', // olive
  '#3949ab', // indigo
  '#6d4c41', // brown
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
