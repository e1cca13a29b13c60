#include "core/digest.h"

#include <openssl/evp.h>
#include <string.h>

bool digest_sha256_hex(const void *buf, size_t len, char out[DIGEST_SHA256_HEX + 1]) {
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    out[0] = '\0';
    if (!EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL) || n * 2 != DIGEST_SHA256_HEX) return false;
    for (unsigned int i = 0; i < n; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[DIGEST_SHA256_HEX] = '\0';
    return true;
}

bool digest_valid_sha256_hex(const char *s) {
    if (!s || strlen(s) != DIGEST_SHA256_HEX) return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return false;
    return true;
}
