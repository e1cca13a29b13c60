/* typo.h -- French typography for what the server writes in French: a
 * narrow no-break space (U+202F) before ? ! : ; and inside « », so that a
 * question mark or a closing guillemet never wraps onto a line of its own.
 *
 * Pure. Used on the exports' own French words (protocol/history.md,
 * "French typography"); what participants typed is quoted as typed. */
#ifndef ATELIER_TYPO_H
#define ATELIER_TYPO_H

#include <stddef.h>

#include "core/sbuf.h"

/* U+202F NARROW NO-BREAK SPACE in UTF-8. */
#define TYPO_NNBSP "\xE2\x80\xAF"

/* Append s[0..len) (valid UTF-8) to out in French typography:
 *  - before ? ! : ; a space (ASCII, U+00A0, U+2009 or U+202F, one or several)
 *    becomes one U+202F, and one is added after a letter, a digit or a
 *    closing mark (» ) ] ” ’ " '); not after another of ? ! : ; (in "?!" only
 *    the first gets it), not at the start of s or of a line, and not in a time
 *    or a ratio ("14:05", "3:2") nor in "://";
 *  - after « and before » the same: the space there becomes U+202F, or one is
 *    added.
 * Applying it twice gives the same text as once. */
void typo_fr(sbuf *out, const char *s, size_t len);
static inline void typo_frz(sbuf *out, const char *s) { typo_fr(out, s, __builtin_strlen(s)); }

#endif
