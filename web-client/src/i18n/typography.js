// French typography: a narrow no-break space (U+202F, "espace fine
// insécable") before ? ! ; : and inside « », so that a question mark or a
// closing guillemet never wraps onto a line of its own. Used on the French
// catalogue (a unit test holds every string of fr.json to it) and on the
// French texts of ready-made questions.
//
// Rules, in order:
//   * any run of spaces (ordinary, no-break U+00A0, narrow U+202F) before
//     ? ! ; : becomes one U+202F, and so does the space inside « and »;
//   * ? ! ; glued to a word ("Quoi?") get one when a space, the end or
//     another mark follows ("?!" gets one space, before the first mark
//     only; "a?b=1" in an address is left alone);
//   * : glued to a word gets one only when a space or the end follows
//     ("Note:" → "Note :"), never in "14:05", "http://" or "a:b".
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
    .replace(/([\p{L})\]}»])(:)(?=[ \u00a0\n]|$)/gu, `$1${NNBSP}$2`);
}

/** Whether a string already follows frTypography (nothing left to change). */
export const isFrTypographic = (s) => frTypography(s) === s;
