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

/* ------------------------------------------------------------------ */
/* JOSE: signing keys, JWK and compact JWS (used by auth)              */
/* ------------------------------------------------------------------ */

#include <jansson.h>

/** JWS algorithms egov signs and verifies with. */
enum egov_jose_alg {
    EGOV_JOSE_NONE = 0,
    EGOV_JOSE_RS256 = 1, /**< RSASSA-PKCS1-v1_5 with SHA-256, 2048-bit keys or larger */
    EGOV_JOSE_ES256 = 2, /**< ECDSA on P-256 with SHA-256 */
};

/** A signing key (private) or a verification key (public only); opaque. */
struct egov_jose_key;

/** "RS256" / "ES256" for @p alg; NULL for anything else. */
const char *egov_jose_alg_name(enum egov_jose_alg alg);
/** Parses "RS256" / "ES256"; EGOV_JOSE_NONE for anything else (including "none"). */
enum egov_jose_alg egov_jose_alg_parse(const char *name);

/**
 * Generates a new private key for @p alg (RSA 2048 or P-256) with key id
 * @p kid (copied).  Caller frees with egov_jose_key_free(); NULL on failure.
 */
struct egov_jose_key *egov_jose_key_generate(enum egov_jose_alg alg, const char *kid);
/**
 * Exports the private key as PKCS#8 PEM encrypted with AES-256-CBC under
 * a key derived from the secret @p kek (PBKDF2).  Returns a malloc'd string
 * the caller frees with egov_free(); NULL on failure or for a public key.
 */
char *egov_jose_key_export_private(const struct egov_jose_key *k, const uint8_t *kek,
                                   size_t keklen);
/**
 * Imports a private key written by egov_jose_key_export_private().  The
 * key's type must match @p alg.  NULL if the PEM, the secret or the type
 * is wrong.  Caller frees.
 */
struct egov_jose_key *egov_jose_key_import_private(const char *pem, enum egov_jose_alg alg,
                                                   const char *kid, const uint8_t *kek,
                                                   size_t keklen);
/**
 * Builds a public key from a JWK object (kty RSA with n/e of 2048 bits or
 * more, or kty EC with crv P-256 and x/y).  The JWK's "alg", if present,
 * must agree with the key type; "kid" is taken when present.  A JWK that
 * carries private members ("d", "p", ...) is refused.  Returns NULL with a
 * reason in @p err.  Caller frees.
 */
struct egov_jose_key *egov_jose_key_from_jwk(const json_t *jwk, char *err, size_t errlen);
/**
 * The public JWK of @p k (kty, use "sig", alg, kid and n/e or crv/x/y,
 * never private members).  New reference; NULL on failure.
 */
json_t *egov_jose_key_public_jwk(const struct egov_jose_key *k);
/** The key id (borrowed from @p k). */
const char *egov_jose_key_kid(const struct egov_jose_key *k);
/** The key's algorithm. */
enum egov_jose_alg egov_jose_key_alg(const struct egov_jose_key *k);
/** Frees a key, wiping it.  NULL is a no-op. */
void egov_jose_key_free(struct egov_jose_key *k);

/**
 * Signs @p claims (serialised compactly) as a compact JWS with header
 * {"alg", "typ" (if @p typ not NULL), "kid"}.  Returns a malloc'd string
 * (egov_free()); NULL on failure or for a public key.
 */
char *egov_jose_sign(const struct egov_jose_key *k, const json_t *claims, const char *typ);

/**
 * Splits a compact JWS into its decoded header and payload objects without
 * checking the signature (to learn "kid" or "iss" before choosing a key).
 * New references in @p header and @p claims; false if malformed.
 */
bool egov_jose_decode(const char *jws, json_t **header, json_t **claims);

/**
 * Looks up the key for a JWS: @p kid may be NULL when the header has none.
 * Returns a borrowed key whose algorithm must equal @p alg, or NULL.
 */
typedef const struct egov_jose_key *(*egov_jose_key_lookup_fn)(const char *kid,
                                                                enum egov_jose_alg alg,
                                                                void *cls);

/**
 * Verifies compact JWS @p jws: the header's "alg" must be RS256 or ES256
 * ("none" and HMAC are refused), the key comes from @p lookup, and the
 * signature must verify.  Returns the payload object (new reference) or
 * NULL with a reason in @p err.  Claims (exp, aud, ...) are the caller's.
 */
json_t *egov_jose_verify(const char *jws, egov_jose_key_lookup_fn lookup, void *cls, char *err,
                         size_t errlen);

/**
 * Decodes standard base64 (RFC 4648 section 4, padding required, no
 * whitespace) into @p out (room for 3*len/4 bytes).  Returns the length or
 * -1 if @p s is not valid base64.
 */
long egov_base64_decode(const char *s, size_t len, uint8_t *out);

/* ------------------------------------------------------------------ */
/* End of JOSE                                                         */
/* ------------------------------------------------------------------ */

#endif /* EGOV_CRYPTO_H */
