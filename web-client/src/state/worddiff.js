// The difference between two versions of the statement, word by word, as a
// reader wants it: what was taken out, what was put in, and only a little
// of the unchanged text around each change (the rest folds into a gap that
// says how much it hides). The diff itself is the npm package `diff`.
import { diffWordsWithSpace } from 'diff';

/** Characters of unchanged text kept on each side of a change. */
export const CONTEXT_CHARS = 60;
// Past this many edited tokens the word diff gives up (a whole rewrite):
// the texts are then shown as one removal and one insertion.
const MAX_EDIT_LENGTH = 4000;

/** Cut `text` to about `n` characters at its start or end, at a space where one is near. */
function cut(text, n, fromEnd) {
  const chars = [...text];
  if (chars.length <= n) return text;
  let piece = fromEnd ? chars.slice(chars.length - n).join('') : chars.slice(0, n).join('');
  const space = fromEnd ? piece.search(/\s/) : piece.search(/\s\S*$/);
  if (space > 0 && space < piece.length - 1) piece = fromEnd ? piece.slice(space + 1) : piece.slice(0, space);
  return piece;
}

/**
 * The parts of a readable diff from `before` to `after`: a list of
 * {kind: 'same' | 'del' | 'ins', text} and {kind: 'gap', chars} (unchanged
 * text left out, `chars` code points of it), plus counts of inserted and
 * deleted words. `context`: characters of unchanged text kept beside each
 * change (Infinity: all of it).
 */
export function wordDiff(before, after, { context = CONTEXT_CHARS } = {}) {
  const changes = diffWordsWithSpace(before, after, { maxEditLength: MAX_EDIT_LENGTH }) ||
    [{ removed: true, value: before }, { added: true, value: after }].filter((c) => c.value);
  const raw = changes.map((c) => ({ kind: c.added ? 'ins' : c.removed ? 'del' : 'same', text: c.value }));
  const words = (kind) => raw.filter((p) => p.kind === kind).reduce((n, p) => n + (p.text.match(/\S+/g) || []).length, 0);
  const parts = [];
  raw.forEach((p, i) => {
    if (p.kind !== 'same' || !Number.isFinite(context)) {
      parts.push(p);
      return;
    }
    const first = i === 0;
    const last = i === raw.length - 1;
    const length = [...p.text].length;
    const keepHead = first ? 0 : context; // after the previous change
    const keepTail = last ? 0 : context; // before the next change
    if (length <= keepHead + keepTail + 20) {
      parts.push(p);
      return;
    }
    const head = keepHead ? cut(p.text, keepHead, false) : '';
    const tail = keepTail ? cut(p.text, keepTail, true) : '';
    if (head) parts.push({ kind: 'same', text: head });
    parts.push({ kind: 'gap', chars: length - [...head].length - [...tail].length });
    if (tail) parts.push({ kind: 'same', text: tail });
  });
  return { parts, inserted: words('ins'), deleted: words('del'), same: before === after };
}
