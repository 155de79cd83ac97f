/*
 * ca_ocsp.c -- an OCSP responder (RFC 6960) without storage: the caller
 * looks each certificate's status up through a callback.  The issuing CA
 * signs its own responses (RFC 6960 section 4.2.2.2, first case), so
 * clients need no separate responder certificate.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>

#include "crypto/pki_int.h"

#define OCSP_MAX_REQUEST (64 * 1024)
#define OCSP_MAX_IDS     32
#define OCSP_MAX_ISSUERS 16
#define ISSUER_CACHE     16

/*
 * Parsed issuer certificates, by the SHA-256 of their PEM text.  OpenSSL
 * 3.0 decodes a certificate's public key through its provider decoders,
 * about 0.2 ms per certificate, which made parsing the issuers the largest
 * cost of an answer.  The few CA certificates are parsed once per process.
 */
static struct {
    uint8_t digest[EGOV_SHA256_LEN];
    X509 *x;
} issuer_cache[ISSUER_CACHE];
static unsigned int issuer_cache_next;
static pthread_mutex_t issuer_cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* A new reference to the parsed certificate @p pem (caller X509_free()s), or NULL. */
static X509 *issuer_parse(const char *pem)
{
    uint8_t d[EGOV_SHA256_LEN];
    size_t len = strlen(pem);
    X509 *x = NULL;

    if (!egov_sha256(pem, len, d))
        return NULL;
    pthread_mutex_lock(&issuer_cache_lock);
    for (size_t i = 0; i < ISSUER_CACHE; i++)
        if (issuer_cache[i].x != NULL && memcmp(issuer_cache[i].digest, d, sizeof(d)) == 0) {
            x = issuer_cache[i].x;
            if (X509_up_ref(x) != 1)
                x = NULL;
            break;
        }
    pthread_mutex_unlock(&issuer_cache_lock);
    if (x != NULL)
        return x;
    x = egov_pki_parse_cert_(pem, len);
    if (x == NULL)
        return NULL;
    pthread_mutex_lock(&issuer_cache_lock);
    if (X509_up_ref(x) == 1) {
        unsigned int i = issuer_cache_next++ % ISSUER_CACHE;
        X509_free(issuer_cache[i].x); /* users hold their own references */
        memcpy(issuer_cache[i].digest, d, sizeof(d));
        issuer_cache[i].x = x;
    }
    pthread_mutex_unlock(&issuer_cache_lock);
    return x;
}

static ASN1_GENERALIZEDTIME *gtime(int64_t us)
{
    return ASN1_GENERALIZEDTIME_set(NULL, (time_t)(us / 1000000));
}

/* DER of an OCSP response that carries only an error status. */
static enum egov_ec error_response(int status, uint8_t **resp, size_t *resp_len)
{
    OCSP_RESPONSE *r = OCSP_response_create(status, NULL);
    unsigned char *buf = NULL;
    int len = r == NULL ? 0 : i2d_OCSP_RESPONSE(r, &buf);
    enum egov_ec ec = EGOV_EC_GENERIC_OOM;

    if (len > 0 && (*resp = egov_malloc((size_t)len)) != NULL) {
        memcpy(*resp, buf, (size_t)len);
        *resp_len = (size_t)len;
        ec = EGOV_EC_NONE;
    }
    OPENSSL_free(buf);
    OCSP_RESPONSE_free(r);
    return ec;
}

/* Index of the issuer that @p cid names, or -1. */
static long match_issuer(OCSP_CERTID *cid, X509 *const *issuers, size_t n)
{
    ASN1_OBJECT *md_oid = NULL;
    const EVP_MD *md;

    if (OCSP_id_get0_info(NULL, &md_oid, NULL, NULL, cid) != 1)
        return -1;
    md = EVP_get_digestbyobj(md_oid);
    if (md == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        OCSP_CERTID *mine = OCSP_cert_to_id(md, NULL, issuers[i]);
        int cmp = mine == NULL ? -1 : OCSP_id_issuer_cmp(cid, mine);
        OCSP_CERTID_free(mine);
        if (cmp == 0)
            return (long)i;
    }
    return -1;
}

enum egov_ec egov_ca_ocsp_respond(struct egov_keystore *ks, const struct egov_ocsp_issuer *issuers,
                                  size_t nissuers, const void *req, size_t req_len,
                                  egov_ocsp_lookup_fn lookup, void *cls, int64_t now_us,
                                  int64_t next_update_us, uint8_t **resp, size_t *resp_len,
                                  char *err, size_t errlen)
{
    X509 *certs[OCSP_MAX_ISSUERS] = {NULL};
    const unsigned char *p = req;
    OCSP_REQUEST *rq = NULL;
    OCSP_BASICRESP *bs = NULL;
    OCSP_RESPONSE *out = NULL;
    ASN1_GENERALIZEDTIME *this_upd = NULL, *next_upd = NULL, *rev_t = NULL;
    unsigned char *buf = NULL;
    long signer = -1;
    int count, len;
    enum egov_ec ec = EGOV_EC_PKI_OCSP_MALFORMED;

    *resp = NULL;
    *resp_len = 0;
    if (req == NULL || req_len == 0 || req_len > OCSP_MAX_REQUEST) {
        egov_pki_say_(err, errlen, "the OCSP request is empty or larger than %d bytes",
                      OCSP_MAX_REQUEST);
        goto fail;
    }
    rq = d2i_OCSP_REQUEST(NULL, &p, (long)req_len);
    if (rq == NULL || p != (const unsigned char *)req + req_len) {
        ERR_clear_error();
        egov_pki_say_(err, errlen, "the body is not a DER OCSP request");
        goto fail;
    }
    count = OCSP_request_onereq_count(rq);
    if (count <= 0 || count > OCSP_MAX_IDS) {
        ec = error_response(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, resp, resp_len);
        goto fail;
    }
    ec = EGOV_EC_PKI_REQUEST_INVALID;
    if (nissuers == 0 || nissuers > OCSP_MAX_ISSUERS) {
        egov_pki_say_(err, errlen, "between 1 and %d issuers", OCSP_MAX_ISSUERS);
        goto fail;
    }
    for (size_t i = 0; i < nissuers; i++) {
        certs[i] = issuer_parse(issuers[i].cert_pem);
        if (certs[i] == NULL) {
            egov_pki_say_(err, errlen, "issuer %zu's certificate cannot be read", i);
            goto fail;
        }
    }
    ec = EGOV_EC_PKI_SIGNING_FAILED;
    bs = OCSP_BASICRESP_new();
    this_upd = gtime(now_us);
    next_upd = gtime(next_update_us);
    if (bs == NULL || this_upd == NULL || next_upd == NULL)
        goto fail_ossl;
    for (int i = 0; i < count; i++) {
        OCSP_CERTID *cid = OCSP_onereq_get0_id(OCSP_request_onereq_get0(rq, i));
        ASN1_INTEGER *serial = NULL;
        char hex[EGOV_PKI_SERIAL_HEX];
        enum egov_ocsp_status st = EGOV_OCSP_UNKNOWN;
        int64_t rev_us = 0;
        int reason = 0, ost;
        long who = match_issuer(cid, certs, nissuers);

        if (who >= 0 && signer < 0)
            signer = who;
        if (who >= 0 && who == signer && OCSP_id_get0_info(NULL, NULL, NULL, &serial, cid) == 1 &&
            egov_pki_serial_hex_(serial, hex) &&
            !lookup((size_t)who, hex, &st, &rev_us, &reason, cls)) {
            ec = error_response(OCSP_RESPONSE_STATUS_TRYLATER, resp, resp_len);
            goto fail;
        }
        ost = st == EGOV_OCSP_GOOD      ? V_OCSP_CERTSTATUS_GOOD
              : st == EGOV_OCSP_REVOKED ? V_OCSP_CERTSTATUS_REVOKED
                                        : V_OCSP_CERTSTATUS_UNKNOWN;
        ASN1_GENERALIZEDTIME_free(rev_t);
        rev_t = NULL;
        if (ost == V_OCSP_CERTSTATUS_REVOKED && (rev_t = gtime(rev_us)) == NULL)
            goto fail_ossl;
        if (OCSP_basic_add1_status(bs, cid, ost,
                                   ost == V_OCSP_CERTSTATUS_REVOKED && reason >= 0 && reason <= 10
                                       ? reason
                                       : OCSP_REVOKED_STATUS_NOSTATUS,
                                   rev_t, this_upd, next_upd) == NULL)
            goto fail_ossl;
    }
    if (signer < 0) {
        ec = error_response(OCSP_RESPONSE_STATUS_UNAUTHORIZED, resp, resp_len);
        goto fail;
    }
    if (OCSP_copy_nonce(bs, rq) <= 0)
        goto fail_ossl;
    if (!egov_keystore_sign_ocsp_(ks, issuers[signer].key, bs, certs[signer], err, errlen))
        goto fail;
    out = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
    len = out == NULL ? 0 : i2d_OCSP_RESPONSE(out, &buf);
    if (len <= 0)
        goto fail_ossl;
    ec = EGOV_EC_GENERIC_OOM;
    *resp = egov_malloc((size_t)len);
    if (*resp == NULL)
        goto fail;
    memcpy(*resp, buf, (size_t)len);
    *resp_len = (size_t)len;
    ec = EGOV_EC_NONE;
    goto fail;
fail_ossl:
    egov_pki_err_(err, errlen, "building the OCSP response failed");
fail:
    OPENSSL_free(buf);
    OCSP_RESPONSE_free(out);
    ASN1_GENERALIZEDTIME_free(rev_t);
    ASN1_GENERALIZEDTIME_free(next_upd);
    ASN1_GENERALIZEDTIME_free(this_upd);
    OCSP_BASICRESP_free(bs);
    OCSP_REQUEST_free(rq);
    for (size_t i = 0; i < OCSP_MAX_ISSUERS; i++)
        X509_free(certs[i]);
    return ec;
}
