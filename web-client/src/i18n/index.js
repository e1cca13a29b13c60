// Strings come from one catalogue per language (fr.json, en.json). Elements
// bound with bind() are relabelled in place when the language changes, so
// switching language never rebuilds a view (and never disturbs the editor).
import { Emitter } from '../emitter.js';

export const LANGUAGES = ['fr', 'en'];

// The locale dates and times are written in, per page language: users are in
// Europe, so English reads as in Britain (6 December 2026, 17:05), not as
// plain 'en' would (December 6, 2026, 5:05 PM).
const DATE_LOCALES = { fr: 'fr-FR', en: 'en-GB' };

/** A date/time format for the page language lang (Intl.DateTimeFormat options). */
export function dateFormat(lang, options) {
  return new Intl.DateTimeFormat(DATE_LOCALES[lang] ?? lang, options);
}

/**
 * French when the browser prefers it over English, English when it prefers
 * English; French otherwise, since the method and most users are French.
 */
export function pickLanguage(stored, preferred = []) {
  if (LANGUAGES.includes(stored)) return stored;
  for (const tag of preferred) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return 'fr';
}

export class I18n extends Emitter {
  constructor(catalogs, lang = 'fr') {
    super();
    this.catalogs = catalogs;
    this.lang = lang;
    this.bound = new Set();
  }

  /** The string for key, with {name} placeholders filled; {count} picks a plural form. */
  t(key, params = {}) {
    let s = this.catalogs[this.lang]?.[key] ?? this.catalogs.fr?.[key];
    if (s && typeof s === 'object') {
      const n = Number(params.count ?? 0);
      // "zero" is a wording choice ("nobody yet"), not a plural category in fr/en.
      s = (n === 0 && s.zero) || s[new Intl.PluralRules(this.lang).select(n)] || s.other;
    }
    if (typeof s !== 'string') return key;
    return s.replace(/\{(\w+)\}/g, (m, name) => (params[name] !== undefined ? String(params[name]) : m));
  }

  /** The string for key in another language (ready-made questions carry both). */
  tIn(lang, key, params = {}) {
    const was = this.lang;
    this.lang = lang;
    try { return this.t(key, params); } finally { this.lang = was; }
  }

  /** Set el's text (or attribute) now and on every language change. */
  bind(el, key, params, attr) {
    const entry = { el, key, params, attr };
    this._apply(entry);
    this.bound.add(entry);
    return el;
  }

  /** Change the parameters (or key) of an element bound earlier. */
  rebind(el, key, params, attr) {
    for (const e of this.bound) {
      if (e.el === el && e.attr === attr) {
        e.key = key;
        e.params = params;
        this._apply(e);
        return el;
      }
    }
    return this.bind(el, key, params, attr);
  }

  _apply({ el, key, params, attr }) {
    const p = typeof params === 'function' ? params() : params;
    const s = this.t(key, p);
    if (attr) el.setAttribute(attr, s);
    else el.textContent = s;
  }

  setLanguage(lang) {
    if (!LANGUAGES.includes(lang) || lang === this.lang) return;
    this.lang = lang;
    for (const e of [...this.bound]) {
      if (e.el.isConnected === false) this.bound.delete(e);
      else this._apply(e);
    }
    this.emit('change', lang);
  }
}
