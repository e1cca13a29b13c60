// Thin wrapper over the ot-text-unicode library, plus the few helpers the
// library lacks. Everything here counts code points.
import { type } from 'ot-text-unicode';

export const apply = (text, op) => (op.length ? type.apply(text, op) : text);
export const compose = (a, b) => (a && a.length ? (b && b.length ? type.compose(a, b) : a) : (b || []));
// side 'left': op's inserts go first when both insert at the same place.
export const transform = (op, other, side) =>
  (op.length && other.length ? type.transform(op, other, side) : op);
export const normalize = (op) => type.normalize(op);
export const checkOp = (op) => type.checkOp(op);
export const invertWithDoc = (op, doc) => type.invertWithDoc(op, doc);
export const stripInvertible = (op) => type.stripInvertible(op);

/**
 * Where a position goes when op is applied. An insert exactly at the
 * position pushes it right only when `after` is set: a remote author's own
 * caret follows what they type, everyone else's stays put.
 */
export function transformPosition(pos, op, after = false) {
  let at = 0; // position in the original document consumed so far
  let out = pos;
  for (const c of op) {
    if (at > pos || (at === pos && !after)) break;
    if (typeof c === 'number') {
      at += c;
    } else if (typeof c === 'string') {
      out += [...c].length;
    } else {
      const d = typeof c.d === 'number' ? c.d : [...c.d].length;
      out -= Math.min(d, pos - at);
      at += d;
    }
  }
  return out;
}

export function transformSelection(sel, op, after = false) {
  return [transformPosition(sel[0], op, after), transformPosition(sel[1], op, after)];
}

/** The end of the last change an op makes, in the new document: where to put a caret after it. */
export function opEnd(op) {
  let pos = 0;
  let end = 0;
  for (const c of op) {
    if (typeof c === 'number') pos += c;
    else if (typeof c === 'string') { pos += [...c].length; end = pos; }
    else end = pos;
  }
  return end;
}

/**
 * Split op into [head, tail] with compose(head, tail) equal to op and head
 * inserting at most maxUnits UTF-16 units and of fewer than maxComponents
 * components; tail is null when op already fits. Used to keep every op
 * message under the server's limits (size, components).
 */
export function splitOp(op, maxUnits, maxComponents = Infinity) {
  op = stripInvertible(op);
  let size = 0;
  for (const c of op) if (typeof c === 'string') size += c.length;
  if (size <= maxUnits && op.length <= maxComponents) return [op, null];
  const head = [];
  let out = 0; // code points of the document after head, up to the cut
  let budget = maxUnits;
  for (let i = 0; i < op.length; i++) {
    const c = op[i];
    if (head.length >= maxComponents - 1) return [normalize(head), normalize([out, ...op.slice(i)])];
    if (typeof c === 'number') { head.push(c); out += c; continue; }
    if (typeof c !== 'string') { head.push(c); continue; }
    if (c.length <= budget) { head.push(c); budget -= c.length; out += [...c].length; continue; }
    let cut = Math.max(budget, 1);
    const code = c.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut = cut > 1 ? cut - 1 : cut + 1;
    const first = c.slice(0, cut);
    head.push(first);
    out += [...first].length;
    const tail = [out, c.slice(cut), ...op.slice(i + 1)].filter((x) => x !== 0 && x !== '');
    return [normalize(head), normalize(tail)];
  }
  return [op, null];
}
