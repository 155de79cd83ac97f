/*
 * test_ca.c -- the storage-free CA of the crypto layer: key store
 * permissions, root and issuing CAs, issuing from requests (tampered,
 * malformed, huge, weak), CRLs, OCSP answers, chain and signature checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/crypto.h"

#define DAY_US (86400LL * 1000000LL)

static char dir[512];
static struct egov_keystore *ks;
static char *root_pem, *sub_pem;
static char err[512];

static void rm_rf(const char *path)
{
    char cmd[600];
    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
    assert_int_equal(system(cmd), 0);
}

static EVP_PKEY *gen_key(const char *type)
{
    if (strcmp(type, "rsa1024") == 0)
        return EVP_RSA_gen(1024);
    if (strcmp(type, "rsa2048") == 0)
        return EVP_RSA_gen(2048);
    return EVP_EC_gen(type);
}

/* A PKCS#10 request for @p pk as PEM (malloc'd). */
static char *make_csr(EVP_PKEY *pk, const char *cn)
{
    X509_REQ *r = X509_REQ_new();
    X509_NAME *nm = X509_NAME_new();
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL, *out;
    long n;

    assert_non_null(r);
    assert_int_equal(
        X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0),
        1);
    assert_int_equal(X509_REQ_set_subject_name(r, nm), 1);
    assert_int_equal(X509_REQ_set_pubkey(r, pk), 1);
    assert_true(X509_REQ_sign(r, pk, EVP_sha256()) > 0);
    assert_int_equal(PEM_write_bio_X509_REQ(bio, r), 1);
    n = BIO_get_mem_data(bio, &data);
    out = malloc((size_t)n + 1);
    memcpy(out, data, (size_t)n);
    out[n] = '\0';
    BIO_free(bio);
    X509_NAME_free(nm);
    X509_REQ_free(r);
    return out;
}

static int setup(void **state)
{
    const char *tmp = getenv("EGOV_TEST_TMP");
    struct egov_ca_request rq = {.profile = EGOV_CA_PROFILE_ROOT, .cn = "Test Root"};
    struct egov_cert_info info;

    (void)state;
    if (tmp == NULL)
        tmp = "/tmp";
    (void)mkdir(tmp, 0755);
    (void)snprintf(dir, sizeof(dir), "%s/pki-ca-%d", tmp, (int)getpid());
    rm_rf(dir);
    ks = egov_keystore_open(dir, true, err, sizeof(err));
    assert_non_null(ks);
    assert_true(egov_keystore_generate(ks, "root", err, sizeof(err)));
    assert_true(egov_keystore_generate(ks, "sub", err, sizeof(err)));
    rq.not_before_us = egov_now_us() - 60 * 1000000LL;
    rq.not_after_us = egov_now_us() + 3650 * DAY_US;
    assert_int_equal(egov_ca_make_root(ks, "root", &rq, &root_pem, &info, err, sizeof(err)),
                     EGOV_EC_NONE);
    assert_true(info.is_ca);
    rq.profile = EGOV_CA_PROFILE_ISSUING;
    rq.cn = "Test Citizen CA";
    rq.crl_url = "http://127.0.0.1:1/pki/crl/root.crl";
    assert_int_equal(
        egov_ca_make_sub(ks, "root", root_pem, "sub", &rq, &sub_pem, &info, err, sizeof(err)),
        EGOV_EC_NONE);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(root_pem);
    free(sub_pem);
    egov_keystore_close(ks);
    rm_rf(dir);
    return 0;
}

static struct egov_ca_request citizen_rq(void)
{
    struct egov_ca_request rq = {
        .profile = EGOV_CA_PROFILE_CITIZEN,
        .cn = "王小明",
        .serial_number = "P0123456789ABCDEF",
        .not_before_us = egov_now_us() - 60 * 1000000LL,
        .not_after_us = egov_now_us() + 365 * DAY_US,
        .ocsp_url = "http://127.0.0.1:1/pki/ocsp",
        .ca_issuers_url = "http://127.0.0.1:1/pki/ca/citizen.crt",
        .crl_url = "http://127.0.0.1:1/pki/crl/citizen.crl",
    };
    return rq;
}

static void test_keystore_rules(void **state)
{
    char path[600];
    struct stat st;

    (void)state;
    (void)snprintf(path, sizeof(path), "%s/root.key", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_true(egov_keystore_has(ks, "root"));
    assert_false(egov_keystore_has(ks, "nope"));
    /* never overwrites, never escapes the directory */
    assert_false(egov_keystore_generate(ks, "root", err, sizeof(err)));
    assert_false(egov_keystore_generate(ks, "../evil", err, sizeof(err)));
    assert_false(egov_keystore_generate(ks, "", err, sizeof(err)));
    /* a key readable by others is refused */
    assert_int_equal(chmod(path, 0644), 0);
    assert_false(egov_keystore_has(ks, "root"));
    assert_int_equal(chmod(path, 0600), 0);
    /* a store readable by others is refused */
    assert_int_equal(chmod(dir, 0755), 0);
    assert_null(egov_keystore_open(dir, false, err, sizeof(err)));
    assert_non_null(strstr(err, "0700"));
    assert_int_equal(chmod(dir, 0700), 0);
}

static void test_issue_and_verify(void **state)
{
    EVP_PKEY *pk = gen_key("P-256");
    char *csr = make_csr(pk, "ignored");
    struct egov_ca_request rq = citizen_rq();
    struct egov_cert_info info;
    const char *inter[] = {sub_pem};
    char *pem = NULL;
    X509 *x;
    BIO *bio;

    (void)state;
    assert_int_equal(
        egov_ca_issue_csr(ks, "sub", sub_pem, csr, strlen(csr), &rq, &pem, &info, err, sizeof(err)),
        EGOV_EC_NONE);
    assert_false(info.is_ca);
    assert_non_null(strstr(info.subject, "serialNumber=P0123456789ABCDEF"));
    assert_null(strstr(info.subject, "ignored")); /* the subject is the CA's, not the request's */
    assert_int_equal(egov_x509_verify_chain(pem, strlen(pem), root_pem, inter, 1,
                                            EGOV_X509_CLIENT_AUTH, egov_now_us(), NULL, err,
                                            sizeof(err)),
                     EGOV_EC_NONE);
    /* wrong purpose */
    assert_int_equal(egov_x509_verify_chain(pem, strlen(pem), root_pem, inter, 1,
                                            EGOV_X509_SERVER_AUTH, egov_now_us(), NULL, err,
                                            sizeof(err)),
                     EGOV_EC_PKI_PURPOSE_INVALID);
    /* expired, and not yet valid */
    assert_int_equal(egov_x509_verify_chain(pem, strlen(pem), root_pem, inter, 1, EGOV_X509_ANY,
                                            egov_now_us() + 400 * DAY_US, NULL, err, sizeof(err)),
                     EGOV_EC_PKI_CERT_EXPIRED);
    assert_int_equal(egov_x509_verify_chain(pem, strlen(pem), root_pem, inter, 1, EGOV_X509_ANY,
                                            egov_now_us() - 2 * DAY_US, NULL, err, sizeof(err)),
                     EGOV_EC_PKI_CERT_NOT_YET_VALID);
    /* without the intermediate there is no chain */
    assert_int_equal(egov_x509_verify_chain(pem, strlen(pem), root_pem, NULL, 0, EGOV_X509_ANY,
                                            egov_now_us(), NULL, err, sizeof(err)),
                     EGOV_EC_PKI_CHAIN_INVALID);
    /* the extensions */
    bio = BIO_new_mem_buf(pem, -1);
    x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    assert_non_null(x);
    assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
    assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_CLIENT);
    assert_int_equal(X509_check_ca(x), 0);
    X509_free(x);
    BIO_free(bio);
    free(pem);
    free(csr);
    EVP_PKEY_free(pk);
}

static void test_server_profile(void **state)
{
    EVP_PKEY *pk = gen_key("rsa2048");
    char *csr = make_csr(pk, "x");
    const char *dns[] = {"www.example.gov.tw", "api.example.gov.tw"};
    const char *bad_dns[] = {"bad,DNS:evil.com"};
    struct egov_ca_request rq = citizen_rq();
    struct egov_cert_info info;
    char *pem = NULL;
    X509 *x;
    BIO *bio;

    (void)state;
    rq.profile = EGOV_CA_PROFILE_SERVER;
    rq.cn = "www.example.gov.tw";
    rq.serial_number = NULL;
    /* a server certificate needs a DNS name */
    assert_int_equal(
        egov_ca_issue_csr(ks, "sub", sub_pem, csr, strlen(csr), &rq, &pem, &info, err, sizeof(err)),
        EGOV_EC_PKI_REQUEST_INVALID);
    rq.dns = bad_dns;
    rq.ndns = 1;
    assert_int_equal(
        egov_ca_issue_csr(ks, "sub", sub_pem, csr, strlen(csr), &rq, &pem, &info, err, sizeof(err)),
        EGOV_EC_PKI_REQUEST_INVALID);
    rq.dns = dns;
    rq.ndns = 2;
    assert_int_equal(
        egov_ca_issue_csr(ks, "sub", sub_pem, csr, strlen(csr), &rq, &pem, &info, err, sizeof(err)),
        EGOV_EC_NONE);
    bio = BIO_new_mem_buf(pem, -1);
    x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    assert_int_equal(X509_check_host(x, "api.example.gov.tw", 0, 0, NULL), 1);
    assert_int_equal(X509_check_host(x, "evil.com", 0, 0, NULL), 0);
    assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_SERVER);
    X509_free(x);
    BIO_free(bio);
    free(pem);
    free(csr);
    EVP_PKEY_free(pk);
}

static void test_bad_requests(void **state)
{
    EVP_PKEY *pk = gen_key("P-256"), *weak = gen_key("rsa1024");
    char *csr = make_csr(pk, "x"), *weak_csr = make_csr(weak, "x");
    struct egov_ca_request rq = citizen_rq();
    char *pem = NULL, *huge;
    unsigned char der[4096], *p = der;
    X509_REQ *r;
    BIO *bio;
    int n;

    (void)state;
    /* tampered: change the subject of a signed request (DER) */
    bio = BIO_new_mem_buf(csr, -1);
    r = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
    BIO_free(bio);
    n = i2d_X509_REQ(r, &p);
    X509_REQ_free(r);
    assert_true(n > 0);
    {
        unsigned char *hit = memmem(der, (size_t)n, "x", 1);
        assert_non_null(hit);
        *hit = 'y';
    }
    assert_int_equal(
        egov_ca_issue_csr(ks, "sub", sub_pem, der, (size_t)n, &rq, &pem, NULL, err, sizeof(err)),
        EGOV_EC_PKI_CSR_SIGNATURE);
    assert_null(pem);
    /* malformed DER and PEM, empty, huge */
    assert_int_equal(
        egov_ca_issue_csr(ks, "sub", sub_pem, der, 10, &rq, &pem, NULL, err, sizeof(err)),
        EGOV_EC_PKI_CSR_MALFORMED);
    assert_int_equal(egov_ca_issue_csr(ks, "sub", sub_pem,
                                       "-----BEGIN CERTIFICATE REQUEST-----\n"
                                       "AAAA\n-----END CERTIFICATE REQUEST-----\n",
                                       70, &rq, &pem, NULL, err, sizeof(err)),
                     EGOV_EC_PKI_CSR_MALFORMED);
    assert_int_equal(
        egov_ca_issue_csr(ks, "sub", sub_pem, "", 0, &rq, &pem, NULL, err, sizeof(err)),
        EGOV_EC_PKI_CSR_MALFORMED);
    huge = malloc(10 * 1024 * 1024);
    memset(huge, 'A', 10 * 1024 * 1024);
    assert_int_equal(egov_ca_issue_csr(ks, "sub", sub_pem, huge, 10 * 1024 * 1024, &rq, &pem, NULL,
                                       err, sizeof(err)),
                     EGOV_EC_PKI_CSR_MALFORMED);
    assert_int_equal(egov_x509_info(huge, 10 * 1024 * 1024, &(struct egov_cert_info){0}),
                     EGOV_EC_PKI_CERT_MALFORMED);
    free(huge);
    /* weak key */
    assert_int_equal(egov_ca_issue_csr(ks, "sub", sub_pem, weak_csr, strlen(weak_csr), &rq, &pem,
                                       NULL, err, sizeof(err)),
                     EGOV_EC_PKI_KEY_UNSUPPORTED);
    /* bad subject text and an empty validity period */
    rq.cn = "bad\ncn";
    assert_int_equal(
        egov_ca_issue_csr(ks, "sub", sub_pem, csr, strlen(csr), &rq, &pem, NULL, err, sizeof(err)),
        EGOV_EC_PKI_REQUEST_INVALID);
    rq = citizen_rq();
    rq.not_after_us = rq.not_before_us;
    assert_int_equal(
        egov_ca_issue_csr(ks, "sub", sub_pem, csr, strlen(csr), &rq, &pem, NULL, err, sizeof(err)),
        EGOV_EC_PKI_REQUEST_INVALID);
    /* a CA certificate is never issued from a request */
    rq = citizen_rq();
    rq.profile = EGOV_CA_PROFILE_ISSUING;
    assert_int_equal(
        egov_ca_issue_csr(ks, "sub", sub_pem, csr, strlen(csr), &rq, &pem, NULL, err, sizeof(err)),
        EGOV_EC_PKI_REQUEST_INVALID);
    free(csr);
    free(weak_csr);
    EVP_PKEY_free(pk);
    EVP_PKEY_free(weak);
}

static void test_wrong_ca(void **state)
{
    struct egov_ca_request rq = {.profile = EGOV_CA_PROFILE_ROOT, .cn = "Test Root"};
    EVP_PKEY *pk = gen_key("P-256");
    char *csr = make_csr(pk, "x"), *other_root = NULL, *pem = NULL;
    struct egov_ca_request crq = citizen_rq();

    (void)state;
    /* another root with the same name: its certificates do not chain to ours */
    assert_true(egov_keystore_generate(ks, "other", err, sizeof(err)));
    rq.not_before_us = egov_now_us() - 60 * 1000000LL;
    rq.not_after_us = egov_now_us() + 365 * DAY_US;
    assert_int_equal(egov_ca_make_root(ks, "other", &rq, &other_root, NULL, err, sizeof(err)),
                     EGOV_EC_NONE);
    assert_int_equal(egov_ca_issue_csr(ks, "other", other_root, csr, strlen(csr), &crq, &pem, NULL,
                                       err, sizeof(err)),
                     EGOV_EC_NONE);
    assert_int_equal(egov_x509_verify_chain(pem, strlen(pem), root_pem, NULL, 0, EGOV_X509_ANY,
                                            egov_now_us(), NULL, err, sizeof(err)),
                     EGOV_EC_PKI_CHAIN_INVALID);
    free(pem);
    free(other_root);
    free(csr);
    EVP_PKEY_free(pk);
}

static void test_signatures(void **state)
{
    const char *types[] = {"P-256", "P-384", "rsa2048"};
    char keyfile[600];

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        EVP_PKEY *pk = gen_key(types[i]);
        char *csr = make_csr(pk, "x"), *pem = NULL;
        struct egov_ca_request rq = citizen_rq();
        uint8_t *sig = NULL;
        size_t sig_len = 0;
        FILE *f;

        assert_int_equal(egov_ca_issue_csr(ks, "sub", sub_pem, csr, strlen(csr), &rq, &pem, NULL,
                                           err, sizeof(err)),
                         EGOV_EC_NONE);
        (void)snprintf(keyfile, sizeof(keyfile), "%s/user-%zu.pem", dir, i);
        f = fopen(keyfile, "w");
        assert_non_null(f);
        assert_int_equal(PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL), 1);
        fclose(f);
        assert_int_equal(egov_x509_sign_with_key_file(keyfile, "egov-login:abc", 14, &sig, &sig_len,
                                                      err, sizeof(err)),
                         EGOV_EC_NONE);
        assert_int_equal(
            egov_x509_verify_signature(pem, strlen(pem), "egov-login:abc", 14, sig, sig_len),
            EGOV_EC_NONE);
        /* other data, a flipped bit, no signature */
        assert_int_equal(
            egov_x509_verify_signature(pem, strlen(pem), "egov-login:abd", 14, sig, sig_len),
            EGOV_EC_PKI_SIGNATURE_INVALID);
        sig[sig_len / 2] ^= 1;
        assert_int_equal(
            egov_x509_verify_signature(pem, strlen(pem), "egov-login:abc", 14, sig, sig_len),
            EGOV_EC_PKI_SIGNATURE_INVALID);
        assert_int_equal(egov_x509_verify_signature(pem, strlen(pem), "x", 1, sig, 0),
                         EGOV_EC_PKI_SIGNATURE_INVALID);
        assert_int_equal(egov_x509_verify_signature("junk", 4, "x", 1, sig, sig_len),
                         EGOV_EC_PKI_CERT_MALFORMED);
        free(sig);
        free(pem);
        free(csr);
        EVP_PKEY_free(pk);
    }
}

static void test_crl(void **state)
{
    struct egov_ca_revoked rev[] = {{"4ABC", egov_now_us() - DAY_US, 1},
                                    {"5DEF", egov_now_us(), 0}};
    struct egov_ca_revoked bad[] = {{"XYZ", egov_now_us(), 1}};
    uint8_t *der = NULL;
    size_t len = 0;
    const unsigned char *p;
    X509_CRL *crl;
    X509 *issuer;
    BIO *bio;

    (void)state;
    assert_int_equal(egov_ca_make_crl(ks, "sub", sub_pem, rev, 2, 7, egov_now_us(),
                                      egov_now_us() + DAY_US, &der, &len, err, sizeof(err)),
                     EGOV_EC_NONE);
    p = der;
    crl = d2i_X509_CRL(NULL, &p, (long)len);
    assert_non_null(crl);
    assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 2);
    assert_non_null(X509_CRL_get0_nextUpdate(crl));
    bio = BIO_new_mem_buf(sub_pem, -1);
    issuer = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(issuer)), 1);
    {
        ASN1_INTEGER *num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
        assert_int_equal(ASN1_INTEGER_get(num), 7);
        ASN1_INTEGER_free(num);
    }
    X509_free(issuer);
    BIO_free(bio);
    X509_CRL_free(crl);
    free(der);
    assert_int_equal(egov_ca_make_crl(ks, "sub", sub_pem, bad, 1, 8, egov_now_us(),
                                      egov_now_us() + DAY_US, &der, &len, err, sizeof(err)),
                     EGOV_EC_PKI_REQUEST_INVALID);
    assert_null(der);
}

struct lookup_state {
    char revoked_serial[EGOV_PKI_SERIAL_HEX];
    char good_serial[EGOV_PKI_SERIAL_HEX];
};

static bool lookup(size_t issuer, const char *serial, enum egov_ocsp_status *status,
                   int64_t *revoked_at_us, int *reason, void *cls)
{
    const struct lookup_state *ls = cls;

    (void)issuer;
    if (strcmp(serial, ls->good_serial) == 0)
        *status = EGOV_OCSP_GOOD;
    else if (strcmp(serial, ls->revoked_serial) == 0) {
        *status = EGOV_OCSP_REVOKED;
        *revoked_at_us = egov_now_us() - 1000000;
        *reason = 1;
    } else
        *status = EGOV_OCSP_UNKNOWN;
    return true;
}

/* Asks the responder about @p serial_hex and returns the status OpenSSL reads. */
static int ocsp_status_of(const char *serial_hex, struct lookup_state *ls)
{
    struct egov_ocsp_issuer iss[] = {{"root", root_pem}, {"sub", sub_pem}};
    BIO *bio = BIO_new_mem_buf(sub_pem, -1);
    X509 *issuer = PEM_read_bio_X509(bio, NULL, NULL, NULL), *rootx;
    OCSP_REQUEST *req = OCSP_REQUEST_new();
    BIGNUM *bn = NULL;
    ASN1_INTEGER *serial;
    OCSP_CERTID *id;
    unsigned char *der = NULL;
    uint8_t *resp = NULL;
    size_t resp_len = 0;
    const unsigned char *p;
    OCSP_RESPONSE *r;
    OCSP_BASICRESP *bs;
    X509_STORE *store = X509_STORE_new();
    STACK_OF(X509) *certs = sk_X509_new_null();
    int status = -1, reason, n;

    BIO_free(bio);
    bio = BIO_new_mem_buf(root_pem, -1);
    rootx = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    BN_hex2bn(&bn, serial_hex);
    serial = BN_to_ASN1_INTEGER(bn, NULL);
    id = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(issuer),
                          X509_get0_pubkey_bitstr(issuer), serial);
    OCSP_request_add0_id(req, OCSP_CERTID_dup(id));
    OCSP_request_add1_nonce(req, NULL, -1);
    n = i2d_OCSP_REQUEST(req, &der);
    assert_int_equal(egov_ca_ocsp_respond(ks, iss, 2, der, (size_t)n, lookup, ls, egov_now_us(),
                                          egov_now_us() + 3600 * 1000000LL, &resp, &resp_len, err,
                                          sizeof(err)),
                     EGOV_EC_NONE);
    p = resp;
    r = d2i_OCSP_RESPONSE(NULL, &p, (long)resp_len);
    assert_non_null(r);
    assert_int_equal(OCSP_response_status(r), OCSP_RESPONSE_STATUS_SUCCESSFUL);
    bs = OCSP_response_get1_basic(r);
    assert_int_equal(OCSP_check_nonce(req, bs), 1);
    X509_STORE_add_cert(store, rootx);
    sk_X509_push(certs, issuer);
    assert_int_equal(OCSP_basic_verify(bs, certs, store, 0), 1);
    assert_int_equal(OCSP_resp_find_status(bs, id, &status, &reason, NULL, NULL, NULL), 1);
    sk_X509_free(certs);
    X509_STORE_free(store);
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(r);
    free(resp);
    OPENSSL_free(der);
    OCSP_CERTID_free(id);
    ASN1_INTEGER_free(serial);
    BN_free(bn);
    OCSP_REQUEST_free(req);
    X509_free(issuer);
    X509_free(rootx);
    return status;
}

static void test_ocsp(void **state)
{
    struct lookup_state ls = {"4ABC", "5DEF"};
    struct egov_ocsp_issuer iss[] = {{"sub", sub_pem}};
    uint8_t *resp = NULL;
    size_t len = 0;

    (void)state;
    assert_int_equal(ocsp_status_of("5DEF", &ls), V_OCSP_CERTSTATUS_GOOD);
    assert_int_equal(ocsp_status_of("4ABC", &ls), V_OCSP_CERTSTATUS_REVOKED);
    assert_int_equal(ocsp_status_of("7777", &ls), V_OCSP_CERTSTATUS_UNKNOWN);
    /* garbage is refused without a response */
    assert_int_equal(egov_ca_ocsp_respond(ks, iss, 1, "\x30\x03\x02\x01", 4, lookup, &ls,
                                          egov_now_us(), egov_now_us() + 1, &resp, &len, err,
                                          sizeof(err)),
                     EGOV_EC_PKI_OCSP_MALFORMED);
    assert_null(resp);
    assert_int_equal(egov_ca_ocsp_respond(ks, iss, 1, "", 0, lookup, &ls, egov_now_us(),
                                          egov_now_us() + 1, &resp, &len, err, sizeof(err)),
                     EGOV_EC_PKI_OCSP_MALFORMED);
}

/* Mutated and random input to every parser: an error code, never a crash. */
static void test_random_input(void **state)
{
    struct egov_ocsp_issuer iss[] = {{"sub", sub_pem}};
    struct lookup_state ls = {"4ABC", "5DEF"};
    struct egov_ca_request rq = citizen_rq();
    struct egov_cert_info info;
    EVP_PKEY *pk = gen_key("P-256");
    char *csr = make_csr(pk, "x"), *pem = NULL;
    unsigned char csr_der[2048], cert_der[4096], buf[4096], *p;
    int csr_n, cert_n, accepted = 0;
    X509_REQ *r;
    X509 *x;
    BIO *bio;

    (void)state;
    bio = BIO_new_mem_buf(csr, -1);
    r = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
    BIO_free(bio);
    p = csr_der;
    csr_n = i2d_X509_REQ(r, &p);
    X509_REQ_free(r);
    bio = BIO_new_mem_buf(sub_pem, -1);
    x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    p = cert_der;
    cert_n = i2d_X509(x, &p);
    X509_free(x);
    srand(12345);
    for (int i = 0; i < 1500; i++) {
        int which = i % 3, n = which == 0 ? csr_n : which == 1 ? cert_n : 1 + rand() % 400;
        uint8_t *out = NULL;
        size_t out_len = 0;

        if (which == 0)
            memcpy(buf, csr_der, (size_t)n);
        else if (which == 1)
            memcpy(buf, cert_der, (size_t)n);
        for (int k = 0; k < (which == 2 ? n : 1 + rand() % 4); k++)
            buf[rand() % n] = (unsigned char)rand();
        if (rand() % 5 == 0)
            n = 1 + rand() % n; /* truncated */
        if (egov_ca_issue_csr(ks, "sub", sub_pem, buf, (size_t)n, &rq, &pem, NULL, err,
                              sizeof(err)) == EGOV_EC_NONE) {
            accepted++; /* a flip in a part the signature does not cover */
            free(pem);
            pem = NULL;
        }
        (void)egov_x509_info(buf, (size_t)n, &info);
        (void)egov_x509_verify_chain(buf, (size_t)n, root_pem, NULL, 0, EGOV_X509_ANY,
                                     egov_now_us(), NULL, err, sizeof(err));
        (void)egov_x509_verify_signature(buf, (size_t)n, "x", 1, buf, (size_t)n);
        if (egov_ca_ocsp_respond(ks, iss, 1, buf, (size_t)n, lookup, &ls, egov_now_us(),
                                 egov_now_us() + 1000000, &out, &out_len, err,
                                 sizeof(err)) == EGOV_EC_NONE)
            free(out);
    }
    print_message("mutated requests still accepted: %d of 500\n", accepted);
    assert_true(accepted < 100);
    free(csr);
    EVP_PKEY_free(pk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keystore_rules),
        cmocka_unit_test(test_issue_and_verify),
        cmocka_unit_test(test_server_profile),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_wrong_ca),
        cmocka_unit_test(test_signatures),
        cmocka_unit_test(test_crl),
        cmocka_unit_test(test_ocsp),
        cmocka_unit_test(test_random_input),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
