// DOM building without HTML parsing: every piece of text goes through
// textContent or a text node, so names, organisations, titles and the
// statement can never become markup.

/**
 * h('button', {class: 'x', type: 'button', on: {click}}, 'label', child)
 * Props other than class/on/data go through setAttribute (never `style`:
 * the CSP forbids inline style attributes; use el.style from code).
 */
export function h(tag, props = null, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v == null || v === false) continue;
      if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
      else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
      else if (k === 'data') for (const [dk, dv] of Object.entries(v)) el.dataset[dk] = dv;
      else if (k === 'text') el.textContent = v;
      else if (k === 'value') el.value = v;
      else if (k === 'style') throw new Error('inline style attributes are blocked by the CSP');
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** Replace a region's children, keeping the focus on "the same" control. */
export function rebuild(container, children, fallback) {
  const active = document.activeElement;
  const had = active && active !== document.body && container.contains(active);
  let key = null;
  let sel = null;
  if (had) {
    key = active.dataset ? active.dataset.key || null : null;
    if (active.tagName === 'INPUT' && active.type === 'text') sel = [active.selectionStart, active.selectionEnd];
  }
  container.replaceChildren(...children.filter(Boolean));
  if (!had || document.activeElement === active) return;
  let target = active.isConnected && container.contains(active) ? active : null;
  if (!target && key) target = [...container.querySelectorAll('[data-key]')].find((e) => e.dataset.key === key) || null;
  if (target) {
    target.focus({ preventScroll: true });
    if (sel && target === active) {
      try { target.setSelectionRange(sel[0], sel[1]); } catch { /* not a text field any more */ }
    }
  } else if (fallback) {
    fallback();
  }
}

let uid = 0;
export const nextId = (prefix) => `${prefix}-${++uid}`;
