// The 6-digit join code (issue 12) as people read and type it: shown in two
// groups held together, typed with whatever separators they like.

/** "482913" → "482 913" (narrow no-break space: never cut in two). */
export const spacedCode = (code) => (code ? `${code.slice(0, 3)}\u202f${code.slice(3)}` : '');

/** Digits of a typed join code ("482 913", "482-913" → "482913"). */
export const codeDigits = (raw) => String(raw ?? '').replace(/[\s\u00a0\u202f.-]/g, '');
