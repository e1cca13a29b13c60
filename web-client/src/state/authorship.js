// Who wrote each code point of the local text, so the editor can tint text
// by organisation. Kept client-side only: the server never sends authorship
// for the starting snapshot, so that text is "unknown" (null).

export class Authorship {
  constructor(length = 0, author = null) {
    this.authors = new Array(length).fill(author);
  }

  get length() {
    return this.authors.length;
  }

  reset(length, author = null) {
    this.authors = new Array(length).fill(author);
  }

  /** Follow an ot-text-unicode op; inserted code points belong to `author`. */
  apply(op, author) {
    const src = this.authors;
    const out = [];
    let pos = 0;
    for (const c of op) {
      if (typeof c === 'number') {
        for (let i = 0; i < c && pos < src.length; i++) out.push(src[pos++]);
      } else if (typeof c === 'string') {
        let n = 0;
        for (const _ of c) n++; // iterates code points
        for (let i = 0; i < n; i++) out.push(author);
      } else {
        const d = typeof c.d === 'number' ? c.d : [...c.d].length;
        pos = Math.min(src.length, pos + d);
      }
    }
    while (pos < src.length) out.push(src[pos++]);
    this.authors = out;
  }

  /** Consecutive runs: [{author, length}] in code points. */
  runs() {
    const runs = [];
    for (const a of this.authors) {
      const last = runs[runs.length - 1];
      if (last && last.author === a) last.length++;
      else runs.push({ author: a, length: 1 });
    }
    return runs;
  }
}
