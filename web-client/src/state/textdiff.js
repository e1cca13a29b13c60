// A minimal character diff (Myers' O(ND) greedy algorithm, on code points)
// turned into an ot-text-unicode op. Only used when the server hands us a
// whole snapshot instead of the ops we missed: the better the diff matches
// what people really typed, the closer our unsent edits land to where they
// were written. Past `maxEdits` it falls back to one replaced region, which
// is still exact, only coarser.
import { diffOp } from './unicode.js';

export function fineDiffOp(oldText, newText, maxEdits = 2000) {
  if (oldText === newText) return [];
  const a = [...oldText];
  const b = [...newText];
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const A = a.slice(pre, a.length - suf);
  const B = b.slice(pre, b.length - suf);
  const script = myers(A, B, maxEdits);
  if (!script) return diffOp(oldText, newText);

  const op = [];
  const push = (c) => {
    const last = op[op.length - 1];
    if (typeof c === 'number' && typeof last === 'number') op[op.length - 1] += c;
    else if (typeof c === 'string' && typeof last === 'string') op[op.length - 1] += c;
    else if (typeof c === 'object' && last && typeof last === 'object') last.d += c.d;
    else op.push(c);
  };
  if (pre) push(pre);
  for (const [kind, n, text] of script) {
    if (kind === '=') push(n);
    else if (kind === '-') push({ d: n });
    else push(text);
  }
  if (typeof op[op.length - 1] === 'number') op.pop();
  return op;
}

// Edit script [['=', n] | ['-', n] | ['+', n, text]] turning A into B, or
// null when more than max edits are needed.
function myers(A, B, max) {
  const n = A.length;
  const m = B.length;
  const limit = Math.min(max, n + m);
  const off = limit + 1;
  let v = new Int32Array(2 * limit + 3);
  const trace = [];
  let found = -1;
  for (let d = 0; d <= limit; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x;
      if (k === -d || (k !== d && v[off + k - 1] < v[off + k + 1])) x = v[off + k + 1];
      else x = v[off + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && A[x] === B[y]) { x++; y++; }
      v[off + k] = x;
      if (x >= n && y >= m) { found = d; break; }
    }
    if (found >= 0) break;
  }
  if (found < 0) return null;
  // Walk back through the saved frontiers.
  const steps = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const pv = trace[d];
    const k = x - y;
    let prevK;
    if (k === -d || (k !== d && pv[off + k - 1] < pv[off + k + 1])) prevK = k + 1;
    else prevK = k - 1;
    const prevX = pv[off + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) { steps.push(['=']); x--; y--; }
    if (x === prevX) { steps.push(['+', B[y - 1]]); y--; } else { steps.push(['-']); x--; }
  }
  while (x > 0 && y > 0) { steps.push(['=']); x--; y--; }
  steps.reverse();
  // Merge into runs; within a change, deletes before inserts.
  const script = [];
  let i = 0;
  while (i < steps.length) {
    if (steps[i][0] === '=') {
      let c = 0;
      while (i < steps.length && steps[i][0] === '=') { c++; i++; }
      script.push(['=', c]);
    } else {
      let del = 0;
      let ins = '';
      while (i < steps.length && steps[i][0] !== '=') {
        if (steps[i][0] === '-') del++;
        else ins += steps[i][1];
        i++;
      }
      if (del) script.push(['-', del]);
      if (ins) script.push(['+', 0, ins]);
    }
  }
  return script;
}
