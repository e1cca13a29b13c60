// Labelled form fields with inline errors tied to the input (aria-invalid,
// aria-describedby), and the server's rules for names and titles checked
// before anything is sent.
import { h, nextId } from './dom.js';
import { MAX_LABEL, MAX_TITLE } from '../protocol/messages.js';

/**
 * Trimmed value, or an error key: empty, too long, or invisible characters
 * (controls, format controls such as U+200B or U+202E, line and paragraph
 * separators: the server's rule for labels, protocol/README.md, "Limits";
 * but the joiners and tags writing needs, as utf8_has_invisible allows them).
 */
export function checkLabel(value, max = MAX_LABEL) {
  const v = String(value ?? '').normalize('NFC').trim().replace(/\s+/g, ' ');
  if (!v) return { error: 'form.required' };
  if ([...v].length > max) return { error: 'form.tooLong', max };
  if (hasInvisible(v)) return { error: 'form.invalidChars' };
  return { value: v };
}

const JOINER = /^[\u200c\u200d]$/u;
const TAG = /^[\u{e0020}-\u{e007f}]$/u;
// eslint-disable-next-line no-control-regex
const INVISIBLE = /^[\u0000-\u001f\u007f-\u009f\u2028\u2029\p{Cf}]$/u;

/** A format control writing needs where it is (service/src/core/utf8.c, needed_control). */
function needed(prev, c, next) {
  if (JOINER.test(c)) {
    return !!prev && !!next && !/\s/u.test(prev) && !/\s/u.test(next) && !INVISIBLE.test(prev) && !INVISIBLE.test(next);
  }
  if (TAG.test(c)) return prev === '\u{1f3f4}' || TAG.test(prev ?? '');
  return false;
}

function hasInvisible(v) {
  const cps = [...v];
  return cps.some((c, i) => INVISIBLE.test(c) && !needed(cps[i - 1], c, cps[i + 1]));
}

export const checkTitle = (v) => checkLabel(v, MAX_TITLE);

/**
 * A field: {el, input, setError(keyOrNull, params)}. labelKey/hintKey are
 * catalogue keys, bound so they follow the language.
 */
export function field(i18n, { labelKey, hintKey, input, optionalKey }) {
  const id = input.id || nextId('f');
  input.id = id;
  const label = h('label', { for: id, class: 'field-label' });
  i18n.bind(label, labelKey);
  const hint = hintKey ? h('p', { class: 'field-hint', id: `${id}-hint` }) : null;
  if (hint) i18n.bind(hint, hintKey);
  const error = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
  const describe = () => {
    const ids = [hint && hint.id, !error.hidden && error.id].filter(Boolean).join(' ');
    if (ids) input.setAttribute('aria-describedby', ids);
    else input.removeAttribute('aria-describedby');
  };
  describe();
  const optional = optionalKey ? h('span', { class: 'field-optional' }) : null;
  if (optional) i18n.bind(optional, optionalKey);
  const el = h('div', { class: 'field' }, h('div', { class: 'field-label-row' }, label, optional), input, hint, error);
  return {
    el,
    input,
    setError(key, params) {
      if (key) {
        i18n.rebind(error, key, params);
        error.hidden = false;
        input.setAttribute('aria-invalid', 'true');
      } else {
        error.hidden = true;
        input.removeAttribute('aria-invalid');
      }
      describe();
    },
  };
}

/** A read-only link with a copy button that says when it worked. */
export function copyField(i18n, { labelKey, hintKey, value, announce, idPrefix }) {
  const input = h('input', { type: 'text', readonly: true, class: 'link-input', id: `${idPrefix}-link`, value, spellcheck: 'false' });
  input.addEventListener('focus', () => input.select());
  const button = h('button', { type: 'button', class: 'secondary copy-button', id: `${idPrefix}-copy` });
  i18n.bind(button, 'share.copy');
  button.addEventListener('click', async () => {
    const ok = await copyText(input);
    i18n.rebind(button, ok ? 'share.copied' : 'share.copyFailed');
    announce(i18n.t(ok ? 'share.copiedAnnounce' : 'share.copyFailed'));
    setTimeout(() => i18n.rebind(button, 'share.copy'), 2500);
  });
  const label = h('label', { for: input.id, class: 'field-label' });
  i18n.bind(label, labelKey);
  const hint = h('p', { class: 'field-hint', id: `${idPrefix}-hint` });
  i18n.bind(hint, hintKey);
  input.setAttribute('aria-describedby', hint.id);
  return h('div', { class: 'field copy-field' }, label, h('div', { class: 'copy-row' }, input, button), hint);
}

async function copyText(input) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(input.value);
      return true;
    }
  } catch {
    // Permission refused: fall back to the selection below.
  }
  try {
    input.focus();
    input.select();
    return document.execCommand('copy');
  } catch {
    return false;
  }
}
