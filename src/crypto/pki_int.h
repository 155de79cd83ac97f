/*
 * pki_int.h -- what the PKI files of the crypto layer share and nothing
 * else sees: sign-only operations of the key store on OpenSSL objects,
 * and parsing helpers.  Key material never leaves pki_keystore.c.
 */
#ifndef EGOV_CRYPTO_PKI_INT_H
#define EGOV_CRYPTO_PKI_INT_H

#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/crypto.h"

/** Signs @p x (its tbs part) with key @p name, SHA-256.  False with @p err filled. */
bool egov_keystore_sign_x509_(struct egov_keystore *ks, const char *name, X509 *x, char *err,
                              size_t errlen);
/** Signs @p crl with key @p name, SHA-256. */
bool egov_keystore_sign_crl_(struct egov_keystore *ks, const char *name, X509_CRL *crl, char *err,
                             size_t errlen);
/** Signs the OCSP basic response @p bs with key @p name; @p signer is its certificate. */
bool egov_keystore_sign_ocsp_(struct egov_keystore *ks, const char *name, OCSP_BASICRESP *bs,
                              X509 *signer, char *err, size_t errlen);
/** The public key of key @p name (caller frees with EVP_PKEY_free), or NULL. */
EVP_PKEY *egov_keystore_public_(struct egov_keystore *ks, const char *name, char *err,
                                size_t errlen);

/** Parses one certificate given as PEM or DER; NULL if it is neither. */
X509 *egov_pki_parse_cert_(const void *data, size_t len);
/** Serial of @p x as uppercase hex without leading zeros into @p out. */
bool egov_pki_serial_hex_(const ASN1_INTEGER *serial, char out[EGOV_PKI_SERIAL_HEX]);
/** Fills @p info from @p x. */
bool egov_pki_fill_info_(X509 *x, struct egov_cert_info *info);
/** Formats a message into @p err (may be NULL), truncating silently. */
void egov_pki_say_(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** Writes formatted text into @p err (may be NULL) and appends OpenSSL's last error. */
void egov_pki_err_(char *err, size_t errlen, const char *what);

#endif /* EGOV_CRYPTO_PKI_INT_H */
