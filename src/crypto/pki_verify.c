/*
 * pki_verify.c -- checking certificates and signatures made with them:
 * chain verification against one trust anchor with OpenSSL's verifier,
 * signature verification with a certificate's public key, and signing
 * with a person's or a system's own key file (the command-line signer).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "crypto/pki_int.h"

#define SIG_MAX 2048

enum egov_ec egov_x509_verify_chain(const void *cert, size_t len, const char *root_pem,
                                    const char *const *intermediates, size_t nintermediates,
                                    enum egov_x509_purpose purpose, int64_t at_us,
                                    struct egov_cert_info *info, char *err, size_t errlen)
{
    X509 *leaf = egov_pki_parse_cert_(cert, len), *root = NULL;
    X509_STORE *store = NULL;
    X509_STORE_CTX *ctx = NULL;
    STACK_OF(X509) *chain = NULL;
    int verr;
    enum egov_ec ec = EGOV_EC_PKI_CERT_MALFORMED;

    if (leaf == NULL) {
        egov_pki_say_(err, errlen, "not an X.509 certificate in PEM or DER");
        goto fail;
    }
    if (info != NULL && !egov_pki_fill_info_(leaf, info))
        goto fail;
    ec = EGOV_EC_PKI_CHAIN_INVALID;
    root = egov_pki_parse_cert_(root_pem, root_pem == NULL ? 0 : strlen(root_pem));
    store = X509_STORE_new();
    chain = sk_X509_new_null();
    ctx = X509_STORE_CTX_new();
    if (root == NULL || store == NULL || chain == NULL || ctx == NULL ||
        X509_STORE_add_cert(store, root) != 1) {
        egov_pki_err_(err, errlen, "cannot set up verification");
        goto fail;
    }
    for (size_t i = 0; i < nintermediates; i++) {
        X509 *x = egov_pki_parse_cert_(intermediates[i], strlen(intermediates[i]));
        if (x == NULL || !sk_X509_push(chain, x)) {
            X509_free(x);
            egov_pki_say_(err, errlen, "intermediate %zu cannot be read", i);
            goto fail;
        }
    }
    if (X509_STORE_CTX_init(ctx, store, leaf, chain) != 1)
        goto fail;
    X509_STORE_CTX_set_time(ctx, 0, (time_t)(at_us / 1000000));
    X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_X509_STRICT);
    if (purpose == EGOV_X509_CLIENT_AUTH)
        (void)X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
    else if (purpose == EGOV_X509_SERVER_AUTH)
        (void)X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
    if (X509_verify_cert(ctx) != 1) {
        verr = X509_STORE_CTX_get_error(ctx);
        if (verr == X509_V_ERR_CERT_HAS_EXPIRED)
            ec = EGOV_EC_PKI_CERT_EXPIRED;
        else if (verr == X509_V_ERR_CERT_NOT_YET_VALID)
            ec = EGOV_EC_PKI_CERT_NOT_YET_VALID;
        else if (verr == X509_V_ERR_INVALID_PURPOSE)
            ec = EGOV_EC_PKI_PURPOSE_INVALID;
        egov_pki_say_(err, errlen, "certificate verification failed: %s",
                      X509_verify_cert_error_string(verr));
        ERR_clear_error();
        goto fail;
    }
    if (purpose != EGOV_X509_ANY && X509_check_ca(leaf) != 0) {
        ec = EGOV_EC_PKI_PURPOSE_INVALID;
        egov_pki_say_(err, errlen, "a CA certificate cannot be used here");
        goto fail;
    }
    ec = EGOV_EC_NONE;
fail:
    X509_STORE_CTX_free(ctx);
    sk_X509_pop_free(chain, X509_free);
    X509_STORE_free(store);
    X509_free(root);
    X509_free(leaf);
    ERR_clear_error();
    return ec;
}

static bool verify_with(EVP_PKEY *pk, int rsa_padding, const void *data, size_t data_len,
                        const void *sig, size_t sig_len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    bool ok = false;

    if (md == NULL || EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, pk) != 1)
        goto fail;
    if (rsa_padding != 0) {
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, rsa_padding) != 1)
            goto fail;
        if (rsa_padding == RSA_PKCS1_PSS_PADDING &&
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) != 1)
            goto fail;
    }
    ok = EVP_DigestVerify(md, sig, sig_len, data, data_len) == 1;
fail:
    EVP_MD_CTX_free(md);
    ERR_clear_error();
    return ok;
}

enum egov_ec egov_x509_verify_signature(const void *cert, size_t len, const void *data,
                                        size_t data_len, const void *sig, size_t sig_len)
{
    X509 *x = egov_pki_parse_cert_(cert, len);
    EVP_PKEY *pk = x == NULL ? NULL : X509_get0_pubkey(x);
    enum egov_ec ec = EGOV_EC_PKI_CERT_MALFORMED;
    bool ok = false;

    if (pk == NULL)
        goto fail;
    ec = EGOV_EC_PKI_SIGNATURE_INVALID;
    if (sig == NULL || sig_len == 0 || sig_len > SIG_MAX)
        goto fail;
    if (EVP_PKEY_is_a(pk, "RSA"))
        ok = verify_with(pk, RSA_PKCS1_PADDING, data, data_len, sig, sig_len) ||
             verify_with(pk, RSA_PKCS1_PSS_PADDING, data, data_len, sig, sig_len);
    else
        ok = verify_with(pk, 0, data, data_len, sig, sig_len);
    if (ok)
        ec = EGOV_EC_NONE;
fail:
    X509_free(x);
    ERR_clear_error();
    return ec;
}

enum egov_ec egov_x509_sign_with_key_file(const char *key_path, const void *data, size_t data_len,
                                          uint8_t **sig, size_t *sig_len, char *err, size_t errlen)
{
    FILE *f = fopen(key_path, "re");
    EVP_PKEY *pk = NULL;
    EVP_MD_CTX *md = NULL;
    size_t n = 0;
    enum egov_ec ec = EGOV_EC_PKI_REQUEST_INVALID;

    *sig = NULL;
    *sig_len = 0;
    if (f == NULL) {
        egov_pki_say_(err, errlen, "cannot open key file %s", key_path);
        goto fail;
    }
    pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    if (pk == NULL) {
        egov_pki_err_(err, errlen, "the key file is not an unencrypted PEM private key");
        goto fail;
    }
    ec = EGOV_EC_PKI_SIGNING_FAILED;
    md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pk) != 1 ||
        EVP_DigestSign(md, NULL, &n, data, data_len) != 1 || n == 0)
        goto fail_ossl;
    *sig = egov_malloc(n);
    if (*sig == NULL) {
        ec = EGOV_EC_GENERIC_OOM;
        goto fail;
    }
    if (EVP_DigestSign(md, *sig, &n, data, data_len) != 1) {
        egov_free(*sig);
        *sig = NULL;
        goto fail_ossl;
    }
    *sig_len = n;
    ec = EGOV_EC_NONE;
    goto fail;
fail_ossl:
    egov_pki_err_(err, errlen, "signing failed");
fail:
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pk);
    if (f != NULL)
        (void)fclose(f);
    return ec;
}
