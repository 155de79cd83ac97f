/*
 * ca_crl.c -- certificate revocation lists (RFC 5280 section 5): v2, with
 * thisUpdate/nextUpdate, a CRL number, the authority key identifier and a
 * reason code per entry; signed through the key store.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "crypto/pki_int.h"

#define CRL_MAX_ENTRIES 1000000

static ASN1_INTEGER *serial_from_hex(const char *hex)
{
    BIGNUM *bn = NULL;
    ASN1_INTEGER *ai = NULL;
    size_t n = hex == NULL ? 0 : strlen(hex);

    if (n == 0 || n >= EGOV_PKI_SERIAL_HEX || strspn(hex, "0123456789ABCDEFabcdef") != n)
        return NULL;
    if (BN_hex2bn(&bn, hex) == (int)n)
        ai = BN_to_ASN1_INTEGER(bn, NULL);
    BN_free(bn);
    return ai;
}

static bool add_entry(X509_CRL *crl, const struct egov_ca_revoked *r)
{
    X509_REVOKED *rev = X509_REVOKED_new();
    ASN1_INTEGER *serial = serial_from_hex(r->serial);
    ASN1_TIME *when = ASN1_TIME_new();
    ASN1_ENUMERATED *reason = NULL;
    bool ok = false;

    if (rev == NULL || serial == NULL || when == NULL ||
        ASN1_TIME_set(when, (time_t)(r->revoked_at_us / 1000000)) == NULL ||
        X509_REVOKED_set_serialNumber(rev, serial) != 1 ||
        X509_REVOKED_set_revocationDate(rev, when) != 1)
        goto fail;
    /* reason "unspecified" (0) is left out, as RFC 5280 5.3.1 recommends */
    if (r->reason > 0 && r->reason <= 10 && r->reason != 7) {
        reason = ASN1_ENUMERATED_new();
        if (reason == NULL || ASN1_ENUMERATED_set(reason, r->reason) != 1 ||
            X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, reason, 0, 0) != 1)
            goto fail;
    }
    if (X509_CRL_add0_revoked(crl, rev) != 1)
        goto fail;
    rev = NULL;
    ok = true;
fail:
    ASN1_ENUMERATED_free(reason);
    ASN1_TIME_free(when);
    ASN1_INTEGER_free(serial);
    X509_REVOKED_free(rev);
    return ok;
}

enum egov_ec egov_ca_make_crl(struct egov_keystore *ks, const char *issuer_key,
                              const char *issuer_pem, const struct egov_ca_revoked *revoked,
                              size_t n, int64_t crl_number, int64_t this_update_us,
                              int64_t next_update_us, uint8_t **der, size_t *der_len, char *err,
                              size_t errlen)
{
    X509 *issuer = egov_pki_parse_cert_(issuer_pem, issuer_pem == NULL ? 0 : strlen(issuer_pem));
    X509_CRL *crl = NULL;
    ASN1_TIME *t = NULL;
    ASN1_INTEGER *num = NULL;
    X509V3_CTX ctx;
    X509_EXTENSION *aki = NULL;
    unsigned char *buf = NULL;
    int len;
    enum egov_ec ec = EGOV_EC_PKI_REQUEST_INVALID;

    *der = NULL;
    *der_len = 0;
    if (issuer == NULL || n > CRL_MAX_ENTRIES || crl_number < 0 ||
        next_update_us <= this_update_us) {
        egov_pki_say_(err, errlen, "bad CRL parameters (issuer, count, number or times)");
        goto fail;
    }
    ec = EGOV_EC_PKI_SIGNING_FAILED;
    crl = X509_CRL_new();
    t = ASN1_TIME_new();
    num = ASN1_INTEGER_new();
    if (crl == NULL || t == NULL || num == NULL ||
        X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
        X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)) != 1)
        goto fail_ossl;
    if (ASN1_TIME_set(t, (time_t)(this_update_us / 1000000)) == NULL ||
        X509_CRL_set1_lastUpdate(crl, t) != 1 ||
        ASN1_TIME_set(t, (time_t)(next_update_us / 1000000)) == NULL ||
        X509_CRL_set1_nextUpdate(crl, t) != 1)
        goto fail_ossl;
    for (size_t i = 0; i < n; i++)
        if (!add_entry(crl, &revoked[i])) {
            ec = EGOV_EC_PKI_REQUEST_INVALID;
            egov_pki_say_(err, errlen, "revoked entry %zu has a bad serial", i);
            goto fail;
        }
    if (ASN1_INTEGER_set_int64(num, crl_number) != 1 ||
        X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1)
        goto fail_ossl;
    X509V3_set_ctx(&ctx, issuer, NULL, NULL, crl, 0);
    aki = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
    if (aki == NULL || X509_CRL_add_ext(crl, aki, -1) != 1)
        goto fail_ossl;
    if (X509_CRL_sort(crl) != 1)
        goto fail_ossl;
    if (!egov_keystore_sign_crl_(ks, issuer_key, crl, err, errlen))
        goto fail;
    len = i2d_X509_CRL(crl, &buf);
    if (len <= 0)
        goto fail_ossl;
    ec = EGOV_EC_GENERIC_OOM;
    *der = egov_malloc((size_t)len);
    if (*der == NULL)
        goto fail;
    memcpy(*der, buf, (size_t)len);
    *der_len = (size_t)len;
    ec = EGOV_EC_NONE;
    goto fail;
fail_ossl:
    egov_pki_err_(err, errlen, "building the CRL failed");
fail:
    OPENSSL_free(buf);
    X509_EXTENSION_free(aki);
    ASN1_INTEGER_free(num);
    ASN1_TIME_free(t);
    X509_CRL_free(crl);
    X509_free(issuer);
    return ec;
}
