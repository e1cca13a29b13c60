// The statement editor: a plain <textarea> (native caret, selection, IME,
// spellcheck, accessibility) over a "backdrop" that mirrors its text with the
// same wrapping. The backdrop gives the textarea its height, tints text by
// organisation, highlights remote selections and holds zero-width anchors
// whose positions place the remote carets drawn in the overlay above.
//
// Local edits are found by diffing the textarea before/after each input
// (whatever caused it: typing, IME, paste, cut, drag, spellcheck). Remote
// edits rewrite the value and put the selection back, moved over the edit.
import { h } from './dom.js';
import {
  diffOp, wellFormed, selectionUnits, selectionToCp, selectionToUnits, cpToUnit,
} from '../state/unicode.js';
import { compose, transform, transformSelection, opEnd } from '../state/ot.js';
import { orgColor, tint } from '../state/colors.js';

// A remote caret's name shows while its owner is active, then folds into a
// small flag so labels do not sit on top of the text everyone is reading.
const LABEL_MS = 4000;

const NAV_KEYS = new Set(['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'PageUp', 'PageDown', 'Enter']);

export class EditorView {
  constructor({ store, i18n, id = 'statement', describedBy }) {
    this.store = store;
    this.i18n = i18n;
    this.showAuthors = false;
    this.composing = false;
    this.compBase = null;
    this.remoteDuring = null;
    this.shadow = store.text;
    this.rafPending = false;

    this.backdrop = h('div', { class: 'editor-backdrop', 'aria-hidden': 'true' });
    this.overlay = h('div', { class: 'editor-overlay', 'aria-hidden': 'true' });
    this.ta = h('textarea', {
      id,
      class: 'editor-input',
      spellcheck: 'true',
      autocomplete: 'off',
      'aria-describedby': describedBy,
      'aria-multiline': 'true',
    });
    this.el = h('div', { class: 'editor' }, this.backdrop, this.ta, this.overlay);
    this.ta.value = this.shadow;

    const ta = this.ta;
    ta.addEventListener('input', () => this._onInput());
    ta.addEventListener('compositionstart', () => this._onCompositionStart());
    ta.addEventListener('compositionend', () => this._onCompositionEnd());
    ta.addEventListener('beforeinput', (e) => {
      if (e.inputType === 'historyUndo' || e.inputType === 'historyRedo') {
        e.preventDefault();
        this._history(e.inputType === 'historyUndo' ? 'undo' : 'redo');
      }
    });
    ta.addEventListener('keydown', (e) => this._onKeyDown(e));
    ta.addEventListener('mousedown', () => store.cutUndo());
    for (const ev of ['select', 'keyup', 'mouseup', 'focus']) ta.addEventListener(ev, () => this._reportSelection());
    this._onSelectionChange = () => {
      if (document.activeElement === ta) this._reportSelection();
    };
    document.addEventListener('selectionchange', this._onSelectionChange);

    this.labelTimer = null;
    this.offs = [
      store.on('status', ({ status }) => this.el.classList.toggle('is-stale', status !== 'connected')),
      store.on('text', (ev) => this._onStoreText(ev)),
      store.on('cursors', () => this._scheduleRender()),
      store.on('presence', () => this._scheduleRender()),
    ];
    if (typeof ResizeObserver === 'function') {
      this.resizeObs = new ResizeObserver(() => this._scheduleRender());
      this.resizeObs.observe(this.el);
    }
    this.render();
  }

  destroy() {
    document.removeEventListener('selectionchange', this._onSelectionChange);
    clearTimeout(this.labelTimer);
    for (const off of this.offs) off();
    this.resizeObs?.disconnect();
  }

  setShowAuthors(on) {
    this.showAuthors = on;
    this.el.classList.toggle('show-authors', on);
    this.render();
  }

  /** The workshop ended: the text stays readable and selectable, not editable. */
  setReadOnly(on) {
    this.readOnly = !!on;
    this.ta.readOnly = this.readOnly;
    if (on) this.ta.setAttribute('aria-readonly', 'true');
    else this.ta.removeAttribute('aria-readonly');
    this.el.classList.toggle('is-readonly', this.readOnly);
  }

  focus() {
    this.ta.focus();
  }

  // ---- local edits -----------------------------------------------------

  _onInput() {
    if (this.composing) return;
    let value = this.ta.value;
    const fixed = wellFormed(value);
    if (fixed !== value) {
      const sel = selectionUnits(this.ta);
      this.ta.value = fixed;
      this.ta.setSelectionRange(Math.min(...sel), Math.max(...sel));
      value = fixed;
    }
    if (value === this.shadow) return;
    const op = diffOp(this.shadow, value, this.ta.selectionEnd);
    this.shadow = value;
    this.store.localEdit(op);
    this.render();
    this._reportSelection();
  }

  _onCompositionStart() {
    this.composing = true;
    this.compBase = this.shadow;
    this.remoteDuring = null;
  }

  // Remote edits that arrived during the composition were kept aside (writing
  // the value would cancel the IME). Now merge: our composed text against
  // them, as two concurrent ops.
  _onCompositionEnd() {
    if (!this.composing) return;
    this.composing = false;
    const value = wellFormed(this.ta.value);
    const mine = diffOp(this.compBase, value, this.ta.selectionEnd);
    const theirs = this.remoteDuring;
    this.remoteDuring = null;
    this.compBase = null;
    if (!theirs || !theirs.length) {
      this.shadow = value;
      this.store.localEdit(mine);
      this.render();
      this._reportSelection();
      return;
    }
    const sel = selectionToCp(value, selectionUnits(this.ta));
    const mine2 = transform(mine, theirs, 'left');
    const theirs2 = transform(theirs, mine, 'right');
    this.shadow = this.store.text;
    this.store.localEdit(mine2);
    // apply(value, theirs2) equals the store's text: both orders meet.
    this._setValue(this.store.text, transformSelection(sel, theirs2));
    this._reportSelection();
  }

  _onKeyDown(e) {
    if (this.readOnly) return;
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key.toLowerCase();
    if (mod && !e.altKey && key === 'z') {
      e.preventDefault();
      this._history(e.shiftKey ? 'redo' : 'undo');
    } else if (mod && !e.altKey && key === 'y') {
      e.preventDefault();
      this._history('redo');
    } else if (NAV_KEYS.has(e.key)) {
      this.store.cutUndo();
    }
  }

  _history(which) {
    if (this.readOnly) return;
    if (this.composing) return;
    if (which === 'undo') this.store.undo();
    else this.store.redo();
  }

  _reportSelection() {
    if (this.composing) return;
    this.store.setSelection(selectionToCp(this.shadow, selectionUnits(this.ta)));
  }

  // ---- edits from elsewhere --------------------------------------------

  _onStoreText({ op, source }) {
    if (source === 'reset' || !op) {
      this._setValue(this.store.text, this.composing ? null : [0, 0]);
      return;
    }
    if (this.composing) {
      this.remoteDuring = compose(this.remoteDuring, op);
      return;
    }
    const old = this.shadow;
    let sel;
    if (source === 'undo' || source === 'redo') {
      const end = opEnd(op);
      sel = [end, end];
    } else {
      sel = transformSelection(selectionToCp(old, selectionUnits(this.ta)), op);
    }
    this._setValue(this.store.text, sel);
    if (source === 'undo' || source === 'redo') this._reportSelection();
  }

  _setValue(text, selCp) {
    const focused = document.activeElement === this.ta;
    const x = window.scrollX;
    const y = window.scrollY;
    this.shadow = text;
    if (this.ta.value !== text) this.ta.value = text;
    if (selCp) {
      const [a, b] = selectionToUnits(text, selCp);
      this.ta.setSelectionRange(Math.min(a, b), Math.max(a, b), a > b ? 'backward' : 'forward');
    }
    // Rewriting the value must not make the page jump under the reader.
    if (focused && (window.scrollX !== x || window.scrollY !== y)) window.scrollTo(x, y);
    this.render();
  }

  // ---- drawing ---------------------------------------------------------

  _scheduleRender() {
    if (this.rafPending) return;
    this.rafPending = true;
    requestAnimationFrame(() => {
      this.rafPending = false;
      this.render();
    });
  }

  render() {
    if (this.composing) return; // the textarea holds text the model has not seen yet
    const text = this.shadow;
    const store = this.store;
    const presence = store.presence;
    const length = [...text].length;

    const marks = []; // remote carets and selections
    for (const [pid, sel] of presence.cursors) {
      const p = presence.present.get(pid);
      if (!p || !sel) continue;
      const a = Math.min(sel[0], length);
      const b = Math.min(sel[1], length);
      marks.push({ pid, name: p.name, color: orgColor(p.organisation), from: Math.min(a, b), to: Math.max(a, b), head: b });
    }

    const cuts = new Set([0, length]);
    let runs = [];
    if (this.showAuthors) {
      let pos = 0;
      for (const r of store.ot.authors.runs()) {
        runs.push({ from: pos, to: pos + r.length, author: r.author });
        pos += r.length;
        cuts.add(pos);
      }
    }
    for (const m of marks) { cuts.add(m.from); cuts.add(m.to); cuts.add(m.head); }
    const points = [...cuts].filter((c) => c >= 0 && c <= length).sort((a, b) => a - b);

    // One walk over the text for all code point -> UTF-16 conversions.
    const unitAt = new Map();
    let unit = 0;
    let cp = 0;
    for (const p of points) {
      unit = cpToUnitFrom(text, unit, p - cp);
      cp = p;
      unitAt.set(p, unit);
    }

    const frag = document.createDocumentFragment();
    let ri = 0;
    const anchors = [];
    for (let i = 0; i < points.length; i++) {
      const p = points[i];
      for (const m of marks) {
        if (m.head === p) {
          const a = h('span', { class: 'caret-anchor' });
          anchors.push([a, m]);
          frag.append(a);
        }
      }
      if (i === points.length - 1) break;
      const q = points[i + 1];
      if (q === p) continue;
      const span = document.createElement('span');
      span.textContent = text.slice(unitAt.get(p), unitAt.get(q));
      while (ri < runs.length && runs[ri].to <= p) ri++;
      if (this.showAuthors && ri < runs.length) {
        const org = presence.organisationOf(runs[ri].author);
        // The starting text and authors we never met stay untinted.
        const color = org != null ? orgColor(org) : null;
        if (color) {
          span.style.backgroundColor = tint(color, 0.2);
          span.style.boxShadow = `inset 0 -2px 0 ${tint(color, 0.55)}`;
        }
      }
      const sel = marks.find((m) => m.from <= p && m.to >= q && m.from !== m.to);
      if (sel) {
        span.style.backgroundColor = tint(sel.color, 0.3);
      }
      frag.append(span);
    }
    // A trailing newline needs something after it to take up its line.
    frag.append('\u200b');
    this.backdrop.replaceChildren(frag);

    const nodes = [];
    const lineHeight = parseFloat(getComputedStyle(this.backdrop).lineHeight) || 24;
    const now = Date.now();
    let nextFold = Infinity;
    for (const [anchor, m] of anchors) {
      const foldAt = presence.activeSince(m.pid) + LABEL_MS;
      if (foldAt > now) nextFold = Math.min(nextFold, foldAt);
      const left = anchor.offsetLeft;
      // An empty inline span measures the font's box, centred in the line:
      // move up by half the leading to reach the top of the line.
      const top = Math.round(anchor.offsetTop - (lineHeight - anchor.offsetHeight) / 2);
      const caret = h('div', { class: 'rcaret' });
      caret.style.left = `${left}px`;
      caret.style.top = `${top}px`;
      caret.style.height = `${lineHeight}px`;
      caret.style.backgroundColor = m.color;
      const label = h('div', { class: ['rcaret-label', top < lineHeight ? 'below' : null, foldAt <= now ? 'folded' : null], text: m.name });
      label.style.backgroundColor = m.color;
      label.style.left = `${left}px`;
      label.style.top = top < lineHeight && foldAt > now ? `${top + lineHeight}px` : `${top}px`;
      nodes.push(caret, label);
    }
    this.overlay.replaceChildren(...nodes);
    // Name labels stay inside the text box: one near the right edge hangs
    // to the left of its caret instead of past the border.
    const width = this.overlay.clientWidth;
    for (const label of nodes) {
      if (!label.classList.contains('rcaret-label') || label.classList.contains('folded')) continue;
      const left = parseFloat(label.style.left) || 0;
      const over = left + label.offsetWidth - (width - 2);
      if (over > 0) {
        label.style.left = `${Math.max(0, left - label.offsetWidth + 2)}px`;
        label.classList.add('flip');
      }
    }
    clearTimeout(this.labelTimer);
    if (nextFold !== Infinity) this.labelTimer = setTimeout(() => this._scheduleRender(), nextFold - now + 50);
  }
}

function cpToUnitFrom(text, unit, n) {
  return unit + cpToUnit(text.slice(unit), n);
}
