// Our own undo/redo. The textarea's native history is useless here: every
// remote edit rewrites the value, which wipes it, and it would undo other
// people's text too. We keep the inverse of each of our own edits and keep it
// valid by transforming it over every remote edit that lands after it.
import { compose, transform, invertWithDoc, stripInvertible } from './ot.js';

const GROUP_MS = 1000; // keystrokes closer than this undo together

export class UndoStack {
  constructor({ limit = 200 } = {}) {
    this.limit = limit;
    this.undos = []; // inverses, last is the most recent; each applies to the current text
    this.redos = [];
    this.lastAt = -Infinity;
  }

  /** A local edit `op` was applied to `before` at time `now`. */
  record(op, before, now) {
    if (!op.length) return;
    const inv = invertWithDoc(op, before);
    const top = this.undos[this.undos.length - 1];
    if (top && now - this.lastAt < GROUP_MS) {
      // Undo the newest edit first, then the older ones of the group.
      this.undos[this.undos.length - 1] = compose(inv, top);
    } else {
      this.undos.push(inv);
      if (this.undos.length > this.limit) this.undos.shift();
    }
    this.lastAt = now;
    this.redos = [];
  }

  /** Stop grouping: the next edit starts a new undo step (caret moved, etc). */
  cut() {
    this.lastAt = -Infinity;
  }

  /** A remote op (already transformed against our local text) was applied. */
  transformAll(op) {
    this.undos = this._transformStack(this.undos, op);
    this.redos = this._transformStack(this.redos, op);
  }

  // The top entry applies to the current text; the one below it applies to
  // the text after the top is undone, and so on. Walk down carrying the remote
  // op through each entry.
  _transformStack(stack, op) {
    const out = new Array(stack.length);
    let r = op;
    for (let i = stack.length - 1; i >= 0; i--) {
      const e = stack[i];
      out[i] = transform(e, r, 'left');
      r = transform(r, e, 'right');
    }
    return out.filter((e) => e.length > 0);
  }

  get canUndo() { return this.undos.length > 0; }
  get canRedo() { return this.redos.length > 0; }

  /** The op that undoes the last step on `text` (or null); the caller applies it as a local edit. */
  undo(text) {
    const inv = this.undos.pop();
    if (!inv) return null;
    this.redos.push(invertWithDoc(inv, text));
    this.lastAt = -Infinity;
    return stripInvertible(inv);
  }

  redo(text) {
    const op = this.redos.pop();
    if (!op) return null;
    this.undos.push(invertWithDoc(op, text));
    this.lastAt = -Infinity;
    return stripInvertible(op);
  }
}
