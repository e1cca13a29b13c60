// French typography: a narrow no-break space (U+202F, "espace fine
// insécable") before ? ! ; : and %, and inside « », so that a question mark,
// a percent sign or a closing guillemet never wraps onto a line of its own.
// The app does not run it: the French catalogue is written this way, and a
// unit test holds every string of fr.json (the ready-made questions' French
// texts included) to it. Typed texts stay as typed; numbers formatted by
// Intl in French already carry U+202F before %.
//
// Rules, in order:
//   * any run of spaces (ordinary, no-break U+00A0, narrow U+202F) before
//     ? ! ; : becomes one U+202F, and so does the space inside « and »;
//   * ? ! ; glued to a word ("Quoi?") get one when a space, the end or
//     another mark follows ("?!" gets one space, before the first mark
//     only; "a?b=1" in an address is left alone);
//   * : glued to a word gets one only when a space or the end follows
//     ("Note:" → "Note :"), never in "14:05", "http://" or "a:b";
//   * % after a number or a placeholder ("100%", "100 %", "{pct} %") gets
//     one U+202F when it ends a word ("%20" in an address is left alone);
//   * groups of three digits ("1 000", the join code "482 913") are
//     separated by U+202F, never cut at the end of a line.
// Placeholders ({count}) and everything else are left alone.

export const NNBSP = '\u202f';

const SPACES = '[ \\u00a0\\u202f]';

export function frTypography(s) {
  if (typeof s !== 'string' || !s) return s;
  return s
    // Inside guillemets.
    .replace(new RegExp(`«${SPACES}*`, 'g'), `«${NNBSP}`)
    .replace(new RegExp(`${SPACES}*»`, 'g'), `${NNBSP}»`)
    // An existing space before high punctuation.
    .replace(new RegExp(`${SPACES}+([?!;:])`, 'g'), `${NNBSP}$1`)
    // Missing before ? ! ; right after a word, a digit or a closing bracket.
    .replace(/([\p{L}\p{N})\]}»…])([?!;])(?=[\s?!»)]|$)/gu, `$1${NNBSP}$2`)
    // Missing before a colon that ends a phrase.
    .replace(/([\p{L})\]}»])(:)(?=[ \u00a0\n]|$)/gu, `$1${NNBSP}$2`)
    // Before a percent sign that follows a number or a placeholder.
    .replace(new RegExp(`([\\p{N}}])${SPACES}*%(?![\\p{L}\\p{N}])`, 'gu'), `$1${NNBSP}%`)
    // Between groups of digits.
    .replace(/(\d)[ \u00a0](?=\d{3}(?!\d))/g, `$1${NNBSP}`);
}

/** Whether a string already follows frTypography (nothing left to change). */
export const isFrTypographic = (s) => frTypography(s) === s;

/**
 * An integer as people read it in lang: "9 850" in French (U+202F between
 * groups of digits, never cut at the end of a line), "9,850" in English.
 */
export function formatInteger(lang, n) {
  const s = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 }).format(n);
  return lang === 'fr' ? s.replace(/(\d)[ \u00a0\u202f](?=\d{3})/g, `$1${NNBSP}`) : s;
}
