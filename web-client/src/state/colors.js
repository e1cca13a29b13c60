// Organisation colours. Every client must pick the same colour for the same
// organisation, and two organisations of a workshop must not share one: a
// hash of the name did both only by luck (3 organisations shared a colour
// 28 % of the time). So the server gives each organisation of a workshop a
// slot, first come first served (protocol/README.md, "Organisation
// colours"), and the colour is PALETTE[slot % 10]: the first 10
// organisations never share a colour. Past 10, colours repeat; that is
// acceptable only because the organisation's name is always written beside
// its colour, everywhere one is shown. Each colour carries white text at a
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

// The slots of this page's workshop (or replay): orgKey -> slot, as the
// server said (welcome's org_slots, participants' slot) or a history gives.
const slots = new Map();
// Slots this page gave itself, for an organisation the server gave none
// (a workshop from before slots whose people have not joined again).
const guessed = new Set();

/** The server's slot for an organisation (a non-negative integer; anything else is ignored). */
export function setOrgSlot(name, slot) {
  const key = orgKey(name);
  if (!key || !Number.isInteger(slot) || slot < 0) return;
  guessed.delete(key);
  for (const g of guessed) { // a guess holding that slot guesses again at its next use
    if (slots.get(g) !== slot) continue;
    slots.delete(g);
    guessed.delete(g);
  }
  slots.set(key, slot);
}

/** welcome's org_slots: [{organisation, slot}]. */
export function setOrgSlots(list) {
  for (const o of Array.isArray(list) ? list : []) if (o) setOrgSlot(o.organisation, o.slot);
}

/** Forget every slot: another workshop, or a replay about to set its own. */
export function clearOrgSlots() {
  slots.clear();
  guessed.clear();
}

/** The slot of an organisation, or undefined. */
export function orgSlot(name) {
  return slots.get(orgKey(name));
}

/** The smallest slot nobody holds. */
function freeSlot() {
  const held = new Set(slots.values());
  let s = 0;
  while (held.has(s)) s++;
  return s;
}

/**
 * The slots of a history (the replay): each arrival's own slot; an
 * organisation whose arrivals carry none (events from before slots) takes,
 * in the order of its first arrival, the smallest slot none holds. A Map
 * orgKey -> slot. Observers are in no organisation.
 */
export function slotsOfHistory(events) {
  const out = new Map();
  const arrivals = (events || []).filter((e) => e && e.type === 'arrived' && e.role !== 'observer' && orgKey(e.org));
  for (const e of arrivals) if (Number.isInteger(e.slot) && e.slot >= 0 && !out.has(orgKey(e.org))) out.set(orgKey(e.org), e.slot);
  const held = new Set(out.values());
  let next = 0;
  for (const e of arrivals) {
    const key = orgKey(e.org);
    if (out.has(key)) continue;
    while (held.has(next)) next++;
    out.set(key, next);
    held.add(next);
  }
  return out;
}

/** A history's slots (slotsOfHistory) as this page's, in place of any. */
export function useHistorySlots(events) {
  clearOrgSlots();
  for (const [key, slot] of slotsOfHistory(events)) slots.set(key, slot);
}

export function orgColor(name) {
  const key = orgKey(name);
  if (!key) return UNKNOWN_COLOR;
  let slot = slots.get(key);
  if (slot === undefined) {
    // No slot from the server yet: the next free one here, so that it
    // clashes with none this page shows (another page may differ until
    // one of its people joins again and the server gives one).
    slot = freeSlot();
    slots.set(key, slot);
    guessed.add(key);
  }
  return PALETTE[slot % PALETTE.length];
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
