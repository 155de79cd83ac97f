/*
 * ca_issue.c -- certificates of the platform hierarchy: the self-signed
 * root, issuing CAs, and end-entity certificates issued from PKCS#10
 * requests under one of the profiles (citizen, agency, server).
 *
 * The subject and every extension come from the CA's request structure,
 * never from the PKCS#10 request, which only contributes its (checked)
 * public key.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "crypto/pki_int.h"

#define INPUT_MAX    (64 * 1024) /* largest certificate or request accepted */
#define NAME_MAX_CP  64          /* X.520 upper bound of CN, O, OU, serialNumber */
#define DNS_MAX      253
#define DNS_COUNT    20
#define URL_MAX      400
#define SERIAL_BYTES 16

/* ------------------------------------------------------------------ */
/* Shared helpers                                                      */
/* ------------------------------------------------------------------ */

static bool looks_pem(const void *data, size_t len)
{
    return len >= 10 && memmem(data, len, "-----BEGIN", 10) != NULL;
}

X509 *egov_pki_parse_cert_(const void *data, size_t len)
{
    X509 *x = NULL;
    BIO *bio;
    const unsigned char *p = data;

    if (data == NULL || len == 0 || len > INPUT_MAX)
        return NULL;
    if (looks_pem(data, len)) {
        bio = BIO_new_mem_buf(data, (int)len);
        if (bio != NULL)
            x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        BIO_free(bio);
    } else {
        x = d2i_X509(NULL, &p, (long)len);
        if (x != NULL && p != (const unsigned char *)data + len) { /* trailing bytes */
            X509_free(x);
            x = NULL;
        }
    }
    ERR_clear_error();
    return x;
}

static X509_REQ *parse_csr(const void *data, size_t len)
{
    X509_REQ *r = NULL;
    BIO *bio;
    const unsigned char *p = data;

    if (data == NULL || len == 0 || len > INPUT_MAX)
        return NULL;
    if (looks_pem(data, len)) {
        bio = BIO_new_mem_buf(data, (int)len);
        if (bio != NULL)
            r = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
        BIO_free(bio);
    } else {
        r = d2i_X509_REQ(NULL, &p, (long)len);
        if (r != NULL && p != (const unsigned char *)data + len) {
            X509_REQ_free(r);
            r = NULL;
        }
    }
    ERR_clear_error();
    return r;
}

bool egov_pki_serial_hex_(const ASN1_INTEGER *serial, char out[EGOV_PKI_SERIAL_HEX])
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
    char *hex = bn == NULL ? NULL : BN_bn2hex(bn);
    bool ok = hex != NULL && strlen(hex) < EGOV_PKI_SERIAL_HEX && hex[0] != '-';

    if (ok)
        memcpy(out, hex, strlen(hex) + 1);
    OPENSSL_free(hex);
    BN_free(bn);
    return ok;
}

static int64_t asn1_time_us(const ASN1_TIME *t)
{
    struct tm tm;

    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return (int64_t)timegm(&tm) * 1000000;
}

bool egov_pki_fill_info_(X509 *x, struct egov_cert_info *info)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    BIO *bio = NULL;
    int n;
    bool ok = false;

    memset(info, 0, sizeof(*info));
    if (!egov_pki_serial_hex_(X509_get0_serialNumber(x), info->serial))
        goto fail;
    if (X509_digest(x, EVP_sha256(), md, &mdlen) != 1 || mdlen != EGOV_SHA256_LEN)
        goto fail;
    egov_hex_encode(md, mdlen, info->fingerprint);
    bio = BIO_new(BIO_s_mem());
    if (bio == NULL)
        goto fail;
    if (X509_NAME_print_ex(bio, X509_get_subject_name(x), 0,
                           XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0)
        goto fail;
    n = BIO_read(bio, info->subject, sizeof(info->subject) - 1);
    info->subject[n > 0 ? n : 0] = '\0';
    (void)BIO_reset(bio);
    if (X509_NAME_print_ex(bio, X509_get_issuer_name(x), 0,
                           XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0)
        goto fail;
    n = BIO_read(bio, info->issuer, sizeof(info->issuer) - 1);
    info->issuer[n > 0 ? n : 0] = '\0';
    info->not_before_us = asn1_time_us(X509_get0_notBefore(x));
    info->not_after_us = asn1_time_us(X509_get0_notAfter(x));
    info->is_ca = X509_check_ca(x) != 0;
    ok = true;
fail:
    BIO_free(bio);
    ERR_clear_error();
    return ok;
}

static char *cert_to_pem(X509 *x)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL, *out = NULL;
    long n;

    if (bio == NULL || !PEM_write_bio_X509(bio, x))
        goto fail;
    n = BIO_get_mem_data(bio, &data);
    if (n <= 0)
        goto fail;
    out = egov_malloc((size_t)n + 1);
    if (out != NULL) {
        memcpy(out, data, (size_t)n);
        out[n] = '\0';
    }
fail:
    BIO_free(bio);
    return out;
}

enum egov_ec egov_x509_info(const void *cert, size_t len, struct egov_cert_info *info)
{
    X509 *x = egov_pki_parse_cert_(cert, len);
    enum egov_ec ec = EGOV_EC_PKI_CERT_MALFORMED;

    if (x != NULL && egov_pki_fill_info_(x, info))
        ec = EGOV_EC_NONE;
    X509_free(x);
    return ec;
}

enum egov_ec egov_x509_to_der(const void *cert, size_t len, uint8_t **der, size_t *der_len)
{
    X509 *x = egov_pki_parse_cert_(cert, len);
    unsigned char *buf = NULL;
    int n;
    enum egov_ec ec = EGOV_EC_PKI_CERT_MALFORMED;

    *der = NULL;
    *der_len = 0;
    if (x == NULL)
        goto fail;
    n = i2d_X509(x, &buf);
    if (n <= 0)
        goto fail;
    ec = EGOV_EC_GENERIC_OOM;
    *der = egov_malloc((size_t)n);
    if (*der == NULL)
        goto fail;
    memcpy(*der, buf, (size_t)n);
    *der_len = (size_t)n;
    ec = EGOV_EC_NONE;
fail:
    OPENSSL_free(buf);
    X509_free(x);
    return ec;
}

enum egov_ec egov_x509_to_pem(const void *cert, size_t len, char **pem)
{
    X509 *x = egov_pki_parse_cert_(cert, len);
    enum egov_ec ec = EGOV_EC_PKI_CERT_MALFORMED;

    *pem = NULL;
    if (x != NULL) {
        *pem = cert_to_pem(x);
        ec = *pem != NULL ? EGOV_EC_NONE : EGOV_EC_GENERIC_OOM;
    }
    X509_free(x);
    return ec;
}

/* ------------------------------------------------------------------ */
/* Checking what goes into a certificate                               */
/* ------------------------------------------------------------------ */

static bool dns_name_valid(const char *s)
{
    size_t n = s == NULL ? 0 : strlen(s), label = 0;

    if (n == 0 || n > DNS_MAX || s[0] == '.' || s[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-'))
            return false;
        if (c == '-' && label == 0)
            return false;
        if (++label > 63)
            return false;
    }
    return true;
}

/* URLs go into an OpenSSL config string, so only plain URL characters pass. */
static bool url_valid(const char *s)
{
    size_t n = s == NULL ? 0 : strlen(s);

    if (n == 0 || n > URL_MAX || (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0))
        return false;
    for (size_t i = 0; i < n; i++)
        if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:/._~%?=&-[]",
                   s[i]) == NULL)
            return false;
    return true;
}

static bool text_valid(const char *s, bool printable)
{
    size_t n;

    if (s == NULL)
        return true;
    n = strlen(s);
    if (n == 0 || !egov_utf8_valid(s, n, NULL) || egov_utf8_length(s, n) > NAME_MAX_CP)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return false;
        if (printable && strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 "
                                "'()+,-./:=?",
                                (char)c) == NULL)
            return false;
    }
    return true;
}

static bool request_valid(const struct egov_ca_request *rq, char *err, size_t errlen)
{
    if (rq->cn == NULL || !text_valid(rq->cn, false)) {
        egov_pki_say_(err, errlen, "commonName is required: 1..64 characters of UTF-8 text");
        return false;
    }
    if (!text_valid(rq->serial_number, true) || !text_valid(rq->o, false) ||
        !text_valid(rq->ou, false)) {
        egov_pki_say_(err, errlen,
                      "serialNumber (printable ASCII), O and OU must have 1..64 characters");
        return false;
    }
    if (rq->not_after_us <= rq->not_before_us) {
        egov_pki_say_(err, errlen, "the validity period is empty");
        return false;
    }
    if (rq->ndns > DNS_COUNT || (rq->ndns > 0 && rq->dns == NULL)) {
        egov_pki_say_(err, errlen, "at most %d DNS names", DNS_COUNT);
        return false;
    }
    for (size_t i = 0; i < rq->ndns; i++)
        if (!dns_name_valid(rq->dns[i])) {
            egov_pki_say_(err, errlen, "not a DNS host name: %.80s", rq->dns[i]);
            return false;
        }
    if (rq->profile == EGOV_CA_PROFILE_SERVER && rq->ndns == 0) {
        egov_pki_say_(err, errlen, "a server certificate needs at least one DNS name");
        return false;
    }
    if ((rq->ocsp_url != NULL && !url_valid(rq->ocsp_url)) ||
        (rq->ca_issuers_url != NULL && !url_valid(rq->ca_issuers_url)) ||
        (rq->crl_url != NULL && !url_valid(rq->crl_url))) {
        egov_pki_say_(err, errlen, "OCSP, caIssuers and CRL URLs must be plain http(s) URLs");
        return false;
    }
    return true;
}

/* Accepts EC P-256/P-384 and RSA 2048..8192. */
static bool key_acceptable(EVP_PKEY *pk)
{
    char group[64] = "";
    size_t glen = 0;
    int bits = EVP_PKEY_get_bits(pk);

    if (EVP_PKEY_is_a(pk, "RSA"))
        return bits >= 2048 && bits <= 8192;
    if (EVP_PKEY_is_a(pk, "EC")) {
        if (!EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                            &glen))
            return false;
        return strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0 ||
               strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0;
    }
    return false;
}

/* ------------------------------------------------------------------ */
/* Building a certificate                                              */
/* ------------------------------------------------------------------ */

static bool add_name(X509_NAME *nm, const char *field, const char *value, int type)
{
    if (value == NULL)
        return true;
    return X509_NAME_add_entry_by_txt(nm, field, type, (const unsigned char *)value, -1, -1, 0) ==
           1;
}

static bool add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    bool ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;

    X509_EXTENSION_free(ext);
    return ok;
}

static bool set_random_serial(X509 *x)
{
    unsigned char b[SERIAL_BYTES];
    BIGNUM *bn = NULL;
    bool ok;

    if (!egov_random(b, sizeof(b)))
        return false;
    b[0] = (unsigned char)((b[0] & 0x7f) | 0x40); /* positive, full length */
    bn = BN_bin2bn(b, sizeof(b), NULL);
    ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok;
}

static bool add_profile_extensions(X509 *x, X509V3_CTX *ctx, const struct egov_ca_request *rq,
                                   EVP_PKEY *subject_key)
{
    struct egov_buf b;
    bool ok = true, is_ca = rq->profile <= EGOV_CA_PROFILE_ISSUING;
    bool rsa = EVP_PKEY_is_a(subject_key, "RSA");

    switch (rq->profile) {
    case EGOV_CA_PROFILE_ROOT:
        ok = add_ext(x, ctx, NID_basic_constraints, "critical,CA:TRUE");
        break;
    case EGOV_CA_PROFILE_ISSUING:
        ok = add_ext(x, ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
        break;
    default:
        ok = add_ext(x, ctx, NID_basic_constraints, "critical,CA:FALSE");
        break;
    }
    if (is_ca)
        ok = ok && add_ext(x, ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
    else if (rq->profile == EGOV_CA_PROFILE_CITIZEN)
        ok = ok && add_ext(x, ctx, NID_key_usage, "critical,digitalSignature") &&
             add_ext(x, ctx, NID_ext_key_usage, "clientAuth");
    else if (rq->profile == EGOV_CA_PROFILE_AGENCY)
        ok = ok && add_ext(x, ctx, NID_key_usage, "critical,digitalSignature,nonRepudiation") &&
             add_ext(x, ctx, NID_ext_key_usage, "clientAuth");
    else
        ok = ok &&
             add_ext(x, ctx, NID_key_usage,
                     rsa ? "critical,digitalSignature,keyEncipherment"
                         : "critical,digitalSignature") &&
             add_ext(x, ctx, NID_ext_key_usage, "serverAuth");
    ok = ok && add_ext(x, ctx, NID_subject_key_identifier, "hash");
    if (rq->profile != EGOV_CA_PROFILE_ROOT)
        ok = ok && add_ext(x, ctx, NID_authority_key_identifier, "keyid:always");
    if (!ok)
        return false;

    egov_buf_init(&b);
    for (size_t i = 0; i < rq->ndns; i++)
        egov_buf_printf(&b, "%sDNS:%s", i == 0 ? "" : ",", rq->dns[i]);
    if (rq->ndns > 0)
        ok = !b.oom && add_ext(x, ctx, NID_subject_alt_name, b.data);
    egov_buf_reset(&b);
    if (ok && rq->crl_url != NULL) {
        egov_buf_printf(&b, "URI:%s", rq->crl_url);
        ok = !b.oom && add_ext(x, ctx, NID_crl_distribution_points, b.data);
        egov_buf_reset(&b);
    }
    if (ok && (rq->ocsp_url != NULL || rq->ca_issuers_url != NULL)) {
        if (rq->ocsp_url != NULL)
            egov_buf_printf(&b, "OCSP;URI:%s", rq->ocsp_url);
        if (rq->ca_issuers_url != NULL)
            egov_buf_printf(&b, "%scaIssuers;URI:%s", rq->ocsp_url != NULL ? "," : "",
                            rq->ca_issuers_url);
        ok = !b.oom && add_ext(x, ctx, NID_info_access, b.data);
    }
    egov_buf_free(&b);
    return ok;
}

/*
 * Builds and signs a certificate for @p subject_key: issued by @p issuer
 * (NULL = self-signed with @p sign_key), signed with key @p sign_key.
 */
static enum egov_ec build_and_sign(struct egov_keystore *ks, const char *sign_key, X509 *issuer,
                                   EVP_PKEY *subject_key, const struct egov_ca_request *rq,
                                   char **cert_pem, struct egov_cert_info *info, char *err,
                                   size_t errlen)
{
    X509 *x = NULL;
    X509_NAME *nm = NULL;
    X509V3_CTX ctx;
    enum egov_ec ec = EGOV_EC_PKI_REQUEST_INVALID;

    *cert_pem = NULL;
    if (!request_valid(rq, err, errlen))
        goto fail;
    ec = EGOV_EC_PKI_SIGNING_FAILED;
    x = X509_new();
    nm = X509_NAME_new();
    if (x == NULL || nm == NULL || X509_set_version(x, X509_VERSION_3) != 1 ||
        !set_random_serial(x))
        goto fail_ossl;
    if (!add_name(nm, "C", "TW", MBSTRING_ASC) || !add_name(nm, "O", rq->o, MBSTRING_UTF8) ||
        !add_name(nm, "OU", rq->ou, MBSTRING_UTF8) ||
        !add_name(nm, "serialNumber", rq->serial_number, MBSTRING_ASC) ||
        !add_name(nm, "CN", rq->cn, MBSTRING_UTF8) || X509_set_subject_name(x, nm) != 1 ||
        X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : nm) != 1)
        goto fail_ossl;
    if (ASN1_TIME_set(X509_getm_notBefore(x), (time_t)(rq->not_before_us / 1000000)) == NULL ||
        ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(rq->not_after_us / 1000000)) == NULL ||
        X509_set_pubkey(x, subject_key) != 1)
        goto fail_ossl;
    X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
    if (!add_profile_extensions(x, &ctx, rq, subject_key))
        goto fail_ossl;
    if (!egov_keystore_sign_x509_(ks, sign_key, x, err, errlen))
        goto fail;
    *cert_pem = cert_to_pem(x);
    if (*cert_pem == NULL || (info != NULL && !egov_pki_fill_info_(x, info))) {
        egov_free(*cert_pem);
        *cert_pem = NULL;
        ec = EGOV_EC_GENERIC_OOM;
        goto fail;
    }
    ec = EGOV_EC_NONE;
    goto fail;
fail_ossl:
    egov_pki_err_(err, errlen, "building the certificate failed");
fail:
    X509_NAME_free(nm);
    X509_free(x);
    return ec;
}

enum egov_ec egov_ca_make_root(struct egov_keystore *ks, const char *key,
                               const struct egov_ca_request *rq, char **cert_pem,
                               struct egov_cert_info *info, char *err, size_t errlen)
{
    EVP_PKEY *pub = egov_keystore_public_(ks, key, err, errlen);
    enum egov_ec ec = EGOV_EC_PKI_KEYSTORE;

    *cert_pem = NULL;
    if (pub != NULL && rq->profile == EGOV_CA_PROFILE_ROOT)
        ec = build_and_sign(ks, key, NULL, pub, rq, cert_pem, info, err, errlen);
    else if (pub != NULL) {
        ec = EGOV_EC_PKI_REQUEST_INVALID;
        egov_pki_say_(err, errlen, "a root certificate needs the ROOT profile");
    }
    EVP_PKEY_free(pub);
    return ec;
}

enum egov_ec egov_ca_make_sub(struct egov_keystore *ks, const char *issuer_key,
                              const char *issuer_pem, const char *subject_key,
                              const struct egov_ca_request *rq, char **cert_pem,
                              struct egov_cert_info *info, char *err, size_t errlen)
{
    X509 *issuer = egov_pki_parse_cert_(issuer_pem, issuer_pem == NULL ? 0 : strlen(issuer_pem));
    EVP_PKEY *pub = NULL;
    enum egov_ec ec = EGOV_EC_PKI_CERT_MALFORMED;

    *cert_pem = NULL;
    if (issuer == NULL) {
        egov_pki_say_(err, errlen, "the issuer certificate cannot be read");
        goto fail;
    }
    ec = EGOV_EC_PKI_REQUEST_INVALID;
    if (rq->profile != EGOV_CA_PROFILE_ISSUING) {
        egov_pki_say_(err, errlen, "a subordinate CA needs the ISSUING profile");
        goto fail;
    }
    ec = EGOV_EC_PKI_KEYSTORE;
    pub = egov_keystore_public_(ks, subject_key, err, errlen);
    if (pub != NULL)
        ec = build_and_sign(ks, issuer_key, issuer, pub, rq, cert_pem, info, err, errlen);
fail:
    EVP_PKEY_free(pub);
    X509_free(issuer);
    return ec;
}

enum egov_ec egov_ca_issue_csr(struct egov_keystore *ks, const char *issuer_key,
                               const char *issuer_pem, const void *csr, size_t csr_len,
                               const struct egov_ca_request *rq, char **cert_pem,
                               struct egov_cert_info *info, char *err, size_t errlen)
{
    X509 *issuer = NULL;
    X509_REQ *req = NULL;
    EVP_PKEY *pub = NULL;
    enum egov_ec ec = EGOV_EC_PKI_REQUEST_INVALID;

    *cert_pem = NULL;
    if (rq->profile <= EGOV_CA_PROFILE_ISSUING) {
        egov_pki_say_(err, errlen, "CA certificates are not issued from requests");
        goto fail;
    }
    ec = EGOV_EC_PKI_CSR_MALFORMED;
    req = parse_csr(csr, csr_len);
    if (req == NULL) {
        egov_pki_say_(err, errlen,
                      "not a PKCS#10 certificate request in PEM or DER (at most %d bytes)",
                      INPUT_MAX);
        goto fail;
    }
    pub = X509_REQ_get_pubkey(req);
    if (pub == NULL) {
        egov_pki_say_(err, errlen, "the request's public key cannot be read");
        goto fail;
    }
    ec = EGOV_EC_PKI_KEY_UNSUPPORTED;
    if (!key_acceptable(pub)) {
        egov_pki_say_(err, errlen, "key of type %s with %d bits is not accepted",
                      EVP_PKEY_get0_type_name(pub) ? EVP_PKEY_get0_type_name(pub) : "?",
                      EVP_PKEY_get_bits(pub));
        goto fail;
    }
    ec = EGOV_EC_PKI_CSR_SIGNATURE;
    if (X509_REQ_verify(req, pub) != 1) {
        ERR_clear_error();
        egov_pki_say_(err, errlen, "the request's signature does not verify with its key");
        goto fail;
    }
    ec = EGOV_EC_PKI_CERT_MALFORMED;
    issuer = egov_pki_parse_cert_(issuer_pem, issuer_pem == NULL ? 0 : strlen(issuer_pem));
    if (issuer == NULL) {
        egov_pki_say_(err, errlen, "the issuer certificate cannot be read");
        goto fail;
    }
    ec = build_and_sign(ks, issuer_key, issuer, pub, rq, cert_pem, info, err, errlen);
fail:
    EVP_PKEY_free(pub);
    X509_REQ_free(req);
    X509_free(issuer);
    return ec;
}
