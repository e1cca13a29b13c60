// A minimal character diff (on code points, by the npm package `diff`)
// turned into an ot-text-unicode op. Only used when the server hands us a
// whole snapshot instead of the ops we missed: the better the diff matches
// what people really typed, the closer our unsent edits land to where they
// were written. Past `maxEdits` it falls back to one replaced region, which
// is still exact, only coarser.
import { diffArrays } from 'diff';
import { diffOp } from './unicode.js';

export function fineDiffOp(oldText, newText, maxEdits = 2000) {
  if (oldText === newText) return [];
  const changes = diffArrays([...oldText], [...newText], { maxEditLength: maxEdits });
  if (!changes) return diffOp(oldText, newText);

  const op = [];
  const push = (c) => {
    const last = op[op.length - 1];
    if (typeof c === 'number' && typeof last === 'number') op[op.length - 1] += c;
    else if (typeof c === 'string' && typeof last === 'string') op[op.length - 1] += c;
    else if (typeof c === 'object' && last && typeof last === 'object') last.d += c.d;
    else op.push(c);
  };
  for (const c of changes) {
    if (c.added) push(c.value.join(''));
    else if (c.removed) push({ d: c.value.length });
    else push(c.value.length);
  }
  if (typeof op[op.length - 1] === 'number') op.pop();
  return op;
}
