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
 * @p kid (copied).  An RSA key is made in two forms, of two and of three
 * primes (RFC 8017 multi-prime; the public key is n and e either way), and
 * the one that signs faster on this machine is kept (so it takes about
 * twice as long as one RSA key generation, a few tenths of a second).
 * Caller frees with egov_jose_key_free(); NULL on failure.
 */
struct egov_jose_key *egov_jose_key_generate(enum egov_jose_alg alg, const char *kid);
/**
 * Generates an RS256 key of 2048 bits whose modulus has @p primes primes
 * (2 or 3), with key id @p kid (copied).  Caller frees; NULL on failure or
 * for another number of primes.
 */
struct egov_jose_key *egov_jose_key_generate_rsa(const char *kid, unsigned int primes);
/**
 * The number of primes of a private RSA key's modulus (2, or more for a
 * multi-prime key); 0 for an EC key or a public key.
 */
unsigned int egov_jose_key_rsa_primes(const struct egov_jose_key *k);
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

/* ------------------------------------------------------------------ */
/* PKI: CA key store, issuing, CRLs, OCSP, chain and signature checks  */
/* ------------------------------------------------------------------ */
/*
 * Storage-free: callers pass certificates as PEM or DER and revocation
 * data as plain structs; the pki module keeps them in the database.  CA
 * private keys live only in a key store and are used only to sign.
 * Functions returning enum egov_ec give EGOV_EC_NONE on success and a
 * crypto/PKI code (4000 range) otherwise, with an English sentence in err.
 */

/** Room for a certificate serial as hex (160 bits) and a NUL. */
#define EGOV_PKI_SERIAL_HEX 44

/**
 * A store of CA private keys (ECDSA P-256): one PKCS#8 PEM file per key,
 * DIR/NAME.key, mode 0600 in a 0700 directory.  A key is read on its
 * first use and kept, parsed, inside the store until egov_keystore_close()
 * frees and clears it; nothing outside the store reads key material.
 * Thread-safe.
 */
struct egov_keystore;

/**
 * Opens the key store in directory @p dir, creating it (mode 0700) if
 * @p create.  Refuses a directory that others may read.  NULL with @p err
 * filled on failure; close with egov_keystore_close().
 */
struct egov_keystore *egov_keystore_open(const char *dir, bool create, char *err, size_t errlen);
/** Frees the handle and the keys it holds (cleared).  NULL is a no-op. */
void egov_keystore_close(struct egov_keystore *ks);
/**
 * Generates a new P-256 key @p name ([a-z0-9-], 1..40 chars), written with
 * O_EXCL so an existing key is never replaced.  False with @p err filled.
 */
bool egov_keystore_generate(struct egov_keystore *ks, const char *name, char *err, size_t errlen);
/** True if key @p name exists and is readable only by its owner. */
bool egov_keystore_has(struct egov_keystore *ks, const char *name);

/** Certificate profiles of the platform hierarchy. */
enum egov_ca_profile {
    EGOV_CA_PROFILE_ROOT = 0, /**< self-signed root: CA, keyCertSign, cRLSign */
    EGOV_CA_PROFILE_ISSUING,  /**< issuing CA below the root, pathlen 0 */
    EGOV_CA_PROFILE_CITIZEN,  /**< people: digitalSignature, clientAuth */
    EGOV_CA_PROFILE_AGENCY,   /**< agency systems: digitalSignature, nonRepudiation,
                                   clientAuth (signing gateway messages) */
    EGOV_CA_PROFILE_SERVER,   /**< TLS servers: digitalSignature, serverAuth, SAN dNSName */
};

/** What to put into a new certificate (strings borrowed; NULL = absent). */
struct egov_ca_request {
    enum egov_ca_profile profile;
    const char *cn;            /**< subject commonName (required, UTF-8, <= 64 chars) */
    const char *serial_number; /**< subject serialNumber (pseudonym, ID, agency code) */
    const char *o;             /**< subject organizationName */
    const char *ou;            /**< subject organizationalUnitName */
    const char *const *dns;    /**< SAN dNSNames (SERVER: at least one) */
    size_t ndns;
    int64_t not_before_us;
    int64_t not_after_us;
    const char *ocsp_url;       /**< AIA OCSP responder URL */
    const char *ca_issuers_url; /**< AIA caIssuers URL (the issuer's certificate) */
    const char *crl_url;        /**< CRL distribution point */
};

/** Facts about a certificate. */
struct egov_cert_info {
    char serial[EGOV_PKI_SERIAL_HEX]; /**< uppercase hex, no leading zeros */
    char subject[512];                /**< RFC 2253 text */
    char issuer[512];
    char fingerprint[2 * EGOV_SHA256_LEN + 1]; /**< SHA-256 of the DER, lowercase hex */
    int64_t not_before_us;
    int64_t not_after_us;
    bool is_ca;
};

/**
 * Makes a self-signed root certificate for key @p key of @p ks with the
 * fields of @p rq (profile ROOT).  Returns a malloc'd PEM in @p *cert_pem
 * (caller egov_free()s) and fills @p info.
 */
enum egov_ec egov_ca_make_root(struct egov_keystore *ks, const char *key,
                               const struct egov_ca_request *rq, char **cert_pem,
                               struct egov_cert_info *info, char *err, size_t errlen);
/**
 * Makes a certificate for key @p subject_key of @p ks (profile ISSUING),
 * signed by @p issuer_key whose certificate is @p issuer_pem.
 */
enum egov_ec egov_ca_make_sub(struct egov_keystore *ks, const char *issuer_key,
                              const char *issuer_pem, const char *subject_key,
                              const struct egov_ca_request *rq, char **cert_pem,
                              struct egov_cert_info *info, char *err, size_t errlen);
/**
 * Issues an end-entity certificate from a PKCS#10 request @p csr (PEM or
 * DER, @p csr_len bytes): checks the request's self-signature and key (EC
 * P-256/P-384 or RSA of 2048..8192 bits), then signs a certificate with
 * the CA's subject and extensions from @p rq -- never from the request --
 * and a random 128-bit serial.  Errors: PKI_CSR_MALFORMED,
 * PKI_CSR_SIGNATURE, PKI_KEY_UNSUPPORTED, PKI_REQUEST_INVALID,
 * PKI_SIGNING_FAILED.
 */
enum egov_ec egov_ca_issue_csr(struct egov_keystore *ks, const char *issuer_key,
                               const char *issuer_pem, const void *csr, size_t csr_len,
                               const struct egov_ca_request *rq, char **cert_pem,
                               struct egov_cert_info *info, char *err, size_t errlen);

/** One revoked certificate for a CRL or an OCSP answer. */
struct egov_ca_revoked {
    const char *serial; /**< uppercase hex as in egov_cert_info */
    int64_t revoked_at_us;
    int reason; /**< RFC 5280 CRLReason 0..10 (not 7) */
};

/**
 * Builds and signs a CRL (v2, with CRL number and authority key id) of
 * @p n revoked certificates.  Returns malloc'd DER in @p *der.
 */
enum egov_ec egov_ca_make_crl(struct egov_keystore *ks, const char *issuer_key,
                              const char *issuer_pem, const struct egov_ca_revoked *revoked,
                              size_t n, int64_t crl_number, int64_t this_update_us,
                              int64_t next_update_us, uint8_t **der, size_t *der_len, char *err,
                              size_t errlen);

/** Status of one certificate as the OCSP lookup reports it. */
enum egov_ocsp_status {
    EGOV_OCSP_GOOD = 0,
    EGOV_OCSP_REVOKED = 1,
    EGOV_OCSP_UNKNOWN = 2,
};

/** One CA that may answer OCSP requests: key name and certificate (borrowed). */
struct egov_ocsp_issuer {
    const char *key;
    const char *cert_pem;
};

/**
 * Looks up certificate @p serial of issuer number @p issuer; fills
 * @p status, and for REVOKED @p revoked_at_us and @p reason.  Returns false
 * on an internal error (the responder then answers tryLater).
 */
typedef bool (*egov_ocsp_lookup_fn)(size_t issuer, const char *serial,
                                    enum egov_ocsp_status *status, int64_t *revoked_at_us,
                                    int *reason, void *cls);

/**
 * Answers the DER OCSP request @p req (RFC 6960): each CertID is matched
 * against @p issuers by name and key hash (SHA-1 or SHA-256), its status
 * taken from @p lookup, and the response signed by the issuing CA itself
 * (the first matched one), with the request's nonce copied.  CertIDs of
 * other issuers are answered "unknown"; a request with none of ours gets
 * an "unauthorized" response.  Returns malloc'd DER in @p *resp.
 * Errors: PKI_OCSP_MALFORMED (not a DER OCSP request), PKI_SIGNING_FAILED.
 */
enum egov_ec egov_ca_ocsp_respond(struct egov_keystore *ks, const struct egov_ocsp_issuer *issuers,
                                  size_t nissuers, const void *req, size_t req_len,
                                  egov_ocsp_lookup_fn lookup, void *cls, int64_t now_us,
                                  int64_t next_update_us, uint8_t **resp, size_t *resp_len,
                                  char *err, size_t errlen);

/** Reads facts about a certificate in PEM or DER.  PKI_CERT_MALFORMED if it is neither. */
enum egov_ec egov_x509_info(const void *cert, size_t len, struct egov_cert_info *info);
/** Converts a PEM or DER certificate to malloc'd DER.  PKI_CERT_MALFORMED on bad input. */
enum egov_ec egov_x509_to_der(const void *cert, size_t len, uint8_t **der, size_t *der_len);
/** Converts a PEM or DER certificate to a malloc'd PEM string. */
enum egov_ec egov_x509_to_pem(const void *cert, size_t len, char **pem);

/** Extended key usages a verification may require. */
enum egov_x509_purpose {
    EGOV_X509_ANY = 0,
    EGOV_X509_CLIENT_AUTH = 1,
    EGOV_X509_SERVER_AUTH = 2,
};

/**
 * Verifies the chain of @p cert (PEM or DER) up to the trust anchor
 * @p root_pem through the intermediates @p intermediates (PEM, borrowed),
 * at time @p at_us, requiring @p purpose.  Signatures, validity periods,
 * basic constraints and key usage are checked by OpenSSL's verifier;
 * revocation is the caller's business (it holds the status).  Fills
 * @p info for the leaf.  Errors: PKI_CERT_MALFORMED, PKI_CERT_EXPIRED,
 * PKI_CERT_NOT_YET_VALID, PKI_CHAIN_INVALID, PKI_PURPOSE_INVALID.
 */
enum egov_ec egov_x509_verify_chain(const void *cert, size_t len, const char *root_pem,
                                    const char *const *intermediates, size_t nintermediates,
                                    enum egov_x509_purpose purpose, int64_t at_us,
                                    struct egov_cert_info *info, char *err, size_t errlen);
/**
 * Verifies @p sig over @p data with the public key of @p cert: ECDSA with
 * SHA-256 (DER signature, as `openssl dgst -sha256 -sign` makes) or RSA
 * PKCS#1 v1.5 / PSS with SHA-256.  Errors: PKI_CERT_MALFORMED,
 * PKI_SIGNATURE_INVALID.
 */
enum egov_ec egov_x509_verify_signature(const void *cert, size_t len, const void *data,
                                        size_t data_len, const void *sig, size_t sig_len);
/**
 * Signs @p data with SHA-256 using the private key in PEM file @p key_path
 * (a person's or a system's own key, not a CA key).  Returns a malloc'd
 * DER signature.  For the command-line signer and tests.
 */
enum egov_ec egov_x509_sign_with_key_file(const char *key_path, const void *data, size_t data_len,
                                          uint8_t **sig, size_t *sig_len, char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* End of PKI                                                          */
/* ------------------------------------------------------------------ */

/* ------------------------------------------------------------------ */
/* Message signing keys: Ed25519, ECDSA P-256, RSA (used by the gateway) */
/* ------------------------------------------------------------------ */

/** Algorithms of message signing keys (names as in the RFC 9421 registry). */
enum egov_sigkey_alg {
    EGOV_SIGKEY_NONE = 0,
    EGOV_SIGKEY_ED25519 = 1,        /**< "ed25519" */
    EGOV_SIGKEY_ES256 = 2,          /**< "ecdsa-p256-sha256": raw r||s, 64 bytes */
    EGOV_SIGKEY_RSA_PSS_SHA512 = 3, /**< "rsa-pss-sha512" (RSA keys of 2048 bits or more) */
    EGOV_SIGKEY_RSA_V15_SHA256 = 4, /**< "rsa-v1_5-sha256" (the same RSA keys) */
};

/** Room for any signature egov_sigkey_sign() makes (RSA up to 4096 bits). */
#define EGOV_SIGKEY_MAX_SIG 512

/** A message signing key, private or public only (opaque). */
struct egov_sigkey;

/** The RFC 9421 name of @p alg ("ed25519", "rsa-pss-sha512", ...), or "" (static). */
const char *egov_sigkey_alg_name(enum egov_sigkey_alg alg);
/** Parses an RFC 9421 algorithm name; EGOV_SIGKEY_NONE if unknown. */
enum egov_sigkey_alg egov_sigkey_alg_parse(const char *name);
/** Generates a new private key (RSA: 2048 bits).  NULL on failure.  Free with egov_sigkey_free(). */
struct egov_sigkey *egov_sigkey_generate(enum egov_sigkey_alg alg);
/**
 * Reads a PEM private key (PKCS#8, unencrypted) or public key
 * (SubjectPublicKeyInfo) or an X.509 certificate (its public key) of
 * either algorithm.  NULL if it is none of these.
 */
struct egov_sigkey *egov_sigkey_from_pem(const char *pem, size_t len);
/**
 * The key's algorithm: its only one for Ed25519 and P-256 keys; for RSA
 * keys the one asked for when generated, else EGOV_SIGKEY_RSA_PSS_SHA512
 * (an RSA key signs and verifies in both RSA algorithms, see
 * egov_sigkey_alg_fits()).
 */
enum egov_sigkey_alg egov_sigkey_alg(const struct egov_sigkey *k);
/** True if @p k can make and check signatures of algorithm @p alg. */
bool egov_sigkey_alg_fits(const struct egov_sigkey *k, enum egov_sigkey_alg alg);
/** True if @p k holds a private key. */
bool egov_sigkey_is_private(const struct egov_sigkey *k);
/** The public key as PEM (malloc'd; caller frees with egov_free), NULL on failure. */
char *egov_sigkey_public_pem(const struct egov_sigkey *k);
/** The private key as unencrypted PKCS#8 PEM (malloc'd; caller wipes and frees), or NULL. */
char *egov_sigkey_private_pem(const struct egov_sigkey *k);
/**
 * Signs @p n bytes of @p msg with private key @p k in the key's own
 * algorithm.  Writes the signature (64 bytes for Ed25519 and P-256, the
 * modulus size for RSA) to @p sig, which holds EGOV_SIGKEY_MAX_SIG bytes,
 * and its length to *@p siglen.  False on failure.
 */
bool egov_sigkey_sign(const struct egov_sigkey *k, const void *msg, size_t n,
                      uint8_t sig[EGOV_SIGKEY_MAX_SIG], size_t *siglen);
/** As egov_sigkey_sign(), in algorithm @p alg (which must fit the key). */
bool egov_sigkey_sign_alg(const struct egov_sigkey *k, enum egov_sigkey_alg alg, const void *msg,
                          size_t n, uint8_t sig[EGOV_SIGKEY_MAX_SIG], size_t *siglen);
/** True if @p sig is a valid signature of @p msg by @p k in the key's own algorithm. */
bool egov_sigkey_verify(const struct egov_sigkey *k, const void *msg, size_t n, const uint8_t *sig,
                        size_t siglen);
/** As egov_sigkey_verify(), in algorithm @p alg; false if @p alg does not fit the key. */
bool egov_sigkey_verify_alg(const struct egov_sigkey *k, enum egov_sigkey_alg alg,
                            const void *msg, size_t n, const uint8_t *sig, size_t siglen);
/** Frees a key (wiping private material).  NULL is a no-op. */
void egov_sigkey_free(struct egov_sigkey *k);

/* ------------------------------------------------------------------ */
/* End of message signing keys                                         */
/* ------------------------------------------------------------------ */

#endif /* EGOV_CRYPTO_H */
