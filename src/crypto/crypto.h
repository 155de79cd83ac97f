/*
 * crypto.h -- the cryptography layer on OpenSSL 3.  For now: digests,
 * HMAC, constant-time comparison, random tokens and base64url, which the
 * HTTP layer (ETags, CSRF tokens) and later modules build on.  Private-key
 * operations (CA, signing) will live here too, behind a small interface.
 *
 * Depends only on core.
 */
#ifndef EGOV_CRYPTO_H
#define EGOV_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

#define EGOV_SHA256_LEN 32

/** SHA-256 of @p n bytes at @p p into @p out.  False only if OpenSSL fails. */
bool egov_sha256(const void *p, size_t n, uint8_t out[EGOV_SHA256_LEN]);
/** HMAC-SHA-256 of @p msg under @p key into @p out. */
bool egov_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                      uint8_t out[EGOV_SHA256_LEN]);
/** Compares two buffers in time independent of their contents. */
bool egov_ct_equal(const void *a, const void *b, size_t n);
/** Writes @p n bytes as lowercase hex into @p out (2n+1 bytes). */
void egov_hex_encode(const void *p, size_t n, char *out);
/**
 * Encodes @p n bytes as base64url without padding (RFC 4648 section 5) into
 * @p out, which must hold egov_base64url_len(n)+1 bytes.  Returns the length.
 */
size_t egov_base64url_encode(const void *p, size_t n, char *out);
/** Length of the base64url text for @p n bytes, without padding. */
size_t egov_base64url_len(size_t n);
/**
 * Decodes base64url (no padding, no whitespace) into @p out (room for
 * 3*len/4 bytes).  Returns the decoded length, or -1 on any invalid input.
 */
long egov_base64url_decode(const char *s, size_t len, uint8_t *out);
/**
 * Makes a random token of @p nbytes of entropy, base64url encoded, into
 * @p out (egov_base64url_len(nbytes)+1 bytes).  False if the RNG fails.
 */
bool egov_random_token(size_t nbytes, char *out);
/** Wipes @p n bytes at @p p so the compiler cannot skip it (key material). */
void egov_wipe(void *p, size_t n);

#endif /* EGOV_CRYPTO_H */
