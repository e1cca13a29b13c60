// A compact page of edits as the server writes it (protocol/history.md,
// "Compact pages of edits"), from a list of op events, for the fakes of the
// replay's tests (unit and browser). `ops[r]` is the op event that made
// revision r + 1; a page holds at most `max` ops, and ends once its ops'
// JSON passes `maxBytes` (the server's 1 MiB).
export function compactPage(ops, { from, to = ops.length, max = Infinity, maxBytes = 1 << 20, workshop = 'w', title = '', created = 0 }) {
  let end = Math.min(to, from + max);
  let bytes = 0;
  const who = [];
  const index = new Map();
  const list = [];
  let last = null;
  for (let r = from; r < end; r++) {
    if (bytes >= maxBytes) {
      end = r;
      break;
    }
    const e = ops[r];
    const key = `${e.author ?? ''}\u0000${e.org ?? ''}`;
    if (!index.has(key)) {
      index.set(key, who.length);
      who.push([e.author ?? '', e.org ?? '']);
    }
    const item = [last == null ? 0 : e.t - last, index.get(key), e.op];
    bytes += JSON.stringify(item).length + 1;
    list.push(item);
    last = e.t;
  }
  return {
    workshop, title, created, rev: ops.length, from, ops: list,
    t0: from < end ? ops[from].t : 0, who, next: end < to ? end : null,
  };
}
