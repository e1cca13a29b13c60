/* digest.h -- SHA-256 of a buffer, as the lower-case hex a sign-off names a
 * text by (protocol/agreement.md, "endorse"). Pure: OpenSSL's libcrypto
 * computes, nothing else is touched. */
#ifndef ATELIER_DIGEST_H
#define ATELIER_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#define DIGEST_SHA256_HEX 64     /* hex digits of a SHA-256 */

/* The SHA-256 of buf[0..len) in lower-case hex, NUL-terminated, into out.
 * False (out empty) when libcrypto fails, which it does only out of memory. */
bool digest_sha256_hex(const void *buf, size_t len, char out[DIGEST_SHA256_HEX + 1]);
/* Whether s is a SHA-256 as the protocol writes it: 64 lower-case hex digits. */
bool digest_valid_sha256_hex(const char *s);

#endif
