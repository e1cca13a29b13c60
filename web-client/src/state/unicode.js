// The protocol counts positions in Unicode code points; the DOM (textarea
// value, selectionStart/End) counts UTF-16 code units. Every crossing between
// the two goes through this module so the rule lives in one place.

const isHigh = (c) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c) => c >= 0xdc00 && c <= 0xdfff;

/** Number of code points in s. A lone surrogate counts as one. */
export function cpLength(s) {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    if (isHigh(s.charCodeAt(i)) && i + 1 < s.length && isLow(s.charCodeAt(i + 1))) i++;
    n++;
  }
  return n;
}

/** UTF-16 offset of code point index cp in s (clamped to s.length). */
export function cpToUnit(s, cp) {
  let i = 0;
  while (cp > 0 && i < s.length) {
    if (isHigh(s.charCodeAt(i)) && i + 1 < s.length && isLow(s.charCodeAt(i + 1))) i += 2;
    else i += 1;
    cp--;
  }
  return i;
}

/**
 * Code point index of UTF-16 offset unit in s. An offset that falls between
 * the two halves of a pair maps to the start of that character, so a caret
 * can never land inside an emoji.
 */
export function unitToCp(s, unit) {
  if (unit > s.length) unit = s.length;
  let n = 0;
  let i = 0;
  while (i < unit) {
    if (isHigh(s.charCodeAt(i)) && i + 1 < s.length && isLow(s.charCodeAt(i + 1))) {
      if (i + 2 > unit) break;
      i += 2;
    } else {
      i += 1;
    }
    n++;
  }
  return n;
}

/** Replace lone surrogates by U+FFFD: they cannot be sent as UTF-8. */
export function wellFormed(s) {
  if (typeof s.toWellFormed === 'function') return s.toWellFormed();
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isHigh(c) && i + 1 < s.length && isLow(s.charCodeAt(i + 1))) {
      out += s[i] + s[i + 1];
      i++;
    } else if (isHigh(c) || isLow(c)) {
      out += '\ufffd';
    } else {
      out += s[i];
    }
  }
  return out;
}

/**
 * The single edited region between two strings, in UTF-16 units:
 * old[start, start+removed) became inserted.
 *
 * `caret` (UTF-16 offset in the new string after the edit, optional) breaks
 * ties: typing "a" into "aa" could be an insert at 0, 1 or 2; the region is
 * made to end at the caret, which is where the browser put the new text.
 * The region never splits a surrogate pair.
 */
export function diffRegion(oldText, newText, caret) {
  const oldLen = oldText.length;
  const newLen = newText.length;
  const shorter = Math.min(oldLen, newLen);
  const common = (a, b) => oldText.charCodeAt(a) === newText.charCodeAt(b);
  let prefix = 0;
  let suffix = 0;
  if (typeof caret === 'number' && caret >= 0 && caret <= newLen) {
    // The edit ends at the caret: take the suffix first, never past it.
    const maxSuffix = Math.min(shorter, newLen - caret);
    while (suffix < maxSuffix && common(oldLen - 1 - suffix, newLen - 1 - suffix)) suffix++;
    while (prefix < shorter - suffix && common(prefix, prefix)) prefix++;
  } else {
    while (prefix < shorter && common(prefix, prefix)) prefix++;
    while (suffix < shorter - prefix && common(oldLen - 1 - suffix, newLen - 1 - suffix)) suffix++;
  }
  // Keep whole surrogate pairs inside or outside the region.
  if (prefix > 0 && isHigh(oldText.charCodeAt(prefix - 1)) && prefix < oldLen &&
      isLow(oldText.charCodeAt(prefix))) {
    prefix--;
  } else if (prefix > 0 && isHigh(newText.charCodeAt(prefix - 1)) && prefix < newLen &&
             isLow(newText.charCodeAt(prefix))) {
    prefix--;
  }
  if (suffix > 0 && isLow(oldText.charCodeAt(oldLen - suffix)) && oldLen - suffix > 0 &&
      isHigh(oldText.charCodeAt(oldLen - suffix - 1))) {
    suffix--;
  } else if (suffix > 0 && isLow(newText.charCodeAt(newLen - suffix)) && newLen - suffix > 0 &&
             isHigh(newText.charCodeAt(newLen - suffix - 1))) {
    suffix--;
  }
  return {
    start: prefix,
    removed: oldLen - suffix - prefix,
    inserted: newText.slice(prefix, newLen - suffix),
  };
}

/**
 * The ot-text-unicode op (code points) turning oldText into newText, or []
 * when they are equal. Deletes are counts, not text: the op stays small and
 * the server never has to compare deleted text.
 */
export function diffOp(oldText, newText, caret) {
  if (oldText === newText) return [];
  const { start, removed, inserted } = diffRegion(oldText, newText, caret);
  const op = [];
  const skip = cpLength(oldText.slice(0, start));
  if (skip > 0) op.push(skip);
  const del = cpLength(oldText.slice(start, start + removed));
  if (del > 0) op.push({ d: del });
  if (inserted.length > 0) op.push(inserted);
  return op;
}

/** [anchor, head] in UTF-16 units from a textarea-like selection. */
export function selectionUnits(el) {
  const { selectionStart: s, selectionEnd: e, selectionDirection: dir } = el;
  return dir === 'backward' ? [e, s] : [s, e];
}

export function selectionToCp(text, sel) {
  return [unitToCp(text, sel[0]), unitToCp(text, sel[1])];
}

export function selectionToUnits(text, sel) {
  return [cpToUnit(text, sel[0]), cpToUnit(text, sel[1])];
}
