/*
 * test_db_pki.c -- the CA service on the backend chosen by EGOV_TEST_DB:
 * setting up the hierarchy, issuing per profile, revocation and CRLs,
 * chain checks against the records, the HTTP repository and OCSP, and
 * certificate login through the account module's sessions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "account/account.h"
#include "accounting/accounting.h"
#include "authz/authz.h"
#include "directory/directory.h"
#include "oid/oid.h"
#include "pki/pki.h"
#include "pki/pki_int.h"
#include "testlib.h"

#define NATIONAL_ID "A123456789"

static struct egov_db *db;
static struct egov_test_server srv;
static char vardir[512], keyfile[600], err[512];
static char *citizen_pem;
static EVP_PKEY *user_key; /* the key in keyfile */
static char citizen_serial[EGOV_PKI_SERIAL_HEX];

static char *make_csr(EVP_PKEY *pk)
{
    X509_REQ *r = X509_REQ_new();
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL, *out;
    long n;

    X509_REQ_set_pubkey(r, pk);
    assert_true(X509_REQ_sign(r, pk, EVP_sha256()) > 0);
    PEM_write_bio_X509_REQ(bio, r);
    n = BIO_get_mem_data(bio, &data);
    out = malloc((size_t)n + 1);
    memcpy(out, data, (size_t)n);
    out[n] = '\0';
    BIO_free(bio);
    X509_REQ_free(r);
    return out;
}

static int setup(void **state)
{
    static const struct egov_module *const mods[] = {&egov_accounting_module, &egov_oid_module,
                                                     &egov_directory_module,  &egov_authz_module,
                                                     &egov_account_module,    &egov_pki_module};
    static const struct egov_route_table *tables[3];
    struct egov_server_options opt = {0};
    const char *tmp = getenv("EGOV_TEST_TMP");
    char cmd[600];
    EVP_PKEY *pk;
    FILE *f;

    (void)state;
    db = egov_test_db_open();
    if (db == NULL)
        return -1;
    for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++)
        if (mods[i]->migrations != NULL)
            egov_db_register_migrations(mods[i]->migrations);
    if (egov_db_migrate(db, NULL, NULL, err, sizeof(err)) < 0) {
        fprintf(stderr, "migrate: %s\n", err);
        return -1;
    }
    (void)snprintf(vardir, sizeof(vardir), "%s/pki-db-%d", tmp != NULL ? tmp : "/tmp",
                   (int)getpid());
    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", vardir);
    assert_int_equal(system(cmd), 0);
    if (!egov_pki_open(vardir, true, err, sizeof(err))) {
        fprintf(stderr, "open: %s\n", err);
        return -1;
    }
    pk = EVP_EC_gen("P-256");
    (void)snprintf(keyfile, sizeof(keyfile), "%s/user.pem", vardir);
    f = fopen(keyfile, "w");
    PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    user_key = pk;
    tables[0] = egov_pki_module.routes;
    tables[1] = &egov_http_core_routes;
    opt.threads = 2;
    opt.db = db;
    opt.datadir = getenv("EGOV_DATADIR");
    return egov_test_inproc_start(tables, &opt, &srv) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[600];

    (void)state;
    egov_test_inproc_stop(&srv, 1000);
    egov_pki_close();
    egov_db_close(db);
    free(citizen_pem);
    EVP_PKEY_free(user_key);
    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", vardir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static const struct egov_db_stmt st_jobs = {
    "t_pki_jobs", "SELECT COUNT(*) FROM egov_job WHERE queue = 'pki.crl' AND state = 'pending'",
    NULL};

static int64_t crl_jobs_pending(void)
{
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    struct egov_db_rows *rows = NULL;
    struct egov_db_param none[] = {EGOV_DB_PARAM_END};
    int64_t n;

    assert_int_equal(egov_db_query(c, &st_jobs, none, &rows), EGOV_DB_ONE_ROW);
    n = egov_db_rows_int64(rows, 0, 0);
    egov_db_rows_free(rows);
    egov_db_release(c);
    return n;
}

static void test_init(void **state)
{
    (void)state;
    /* nothing works before init */
    uint8_t *der = NULL;
    size_t len = 0;
    assert_int_equal(egov_pki_crl_get(db, "citizen", &der, &len), EGOV_EC_PKI_NOT_INITIALISED);
    assert_true(pki_crl_job_ensure(db)); /* no hierarchy: no job */
    assert_int_equal(crl_jobs_pending(), 0);
    assert_int_equal(egov_pki_init(db, "ftp://x", err, sizeof(err)), EGOV_EC_PKI_REQUEST_INVALID);
    assert_int_equal(egov_pki_init(db, "http://127.0.0.1:8080", err, sizeof(err)), EGOV_EC_NONE);
    assert_int_equal(egov_pki_init(db, "http://127.0.0.1:8080", err, sizeof(err)),
                     EGOV_EC_PKI_ALREADY_INITIALISED);
    /* init scheduled the CRL job; running it renews nothing yet and keeps one pending */
    assert_int_equal(crl_jobs_pending(), 1);
    assert_int_equal(pki_crl_job(db, "00000000-0000-7000-8000-000000000000", "{}", NULL),
                     EGOV_JOB_DONE);
    assert_int_equal(crl_jobs_pending(), 1);
    assert_true(pki_crl_job_ensure(db));
    assert_int_equal(crl_jobs_pending(), 1);
}

static void test_issue_profiles(void **state)
{
    char *csr = make_csr(user_key), *pem = NULL;
    const char *dns[] = {"svc.example.gov.tw"};
    struct egov_pki_subject citizen = {.name = "王小明", .national_id = NATIONAL_ID};
    struct egov_pki_subject agency = {.name = "Tax gateway client",
                                      .agency_code = "A00000000A",
                                      .agency_name = "財政部",
                                      .system_id = "tax-client"};
    struct egov_pki_subject server = {.dns = dns, .ndns = 1};
    struct egov_pki_subject bad = {.name = "x", .national_id = "not-an-id"};
    struct egov_pki_cert rec;
    const char *field = NULL;
    FILE *f;
    char certfile[700];

    (void)state;
    assert_int_equal(
        egov_pki_issue(db, "citizen", csr, strlen(csr), &bad, &pem, &rec, &field, err, sizeof(err)),
        EGOV_EC_PKI_REQUEST_INVALID);
    assert_string_equal(field, "national_id");
    assert_int_equal(egov_pki_issue(db, "nope", csr, strlen(csr), &citizen, &pem, &rec, &field, err,
                                    sizeof(err)),
                     EGOV_EC_PKI_CA_UNKNOWN);
    assert_int_equal(
        egov_pki_issue(db, "citizen", "junk", 4, &citizen, &pem, &rec, &field, err, sizeof(err)),
        EGOV_EC_PKI_CSR_MALFORMED);
    /* citizen: pseudonym in the certificate, national ID only in the record */
    assert_int_equal(egov_pki_issue(db, "citizen", csr, strlen(csr), &citizen, &citizen_pem, &rec,
                                    &field, err, sizeof(err)),
                     EGOV_EC_NONE);
    assert_null(strstr(citizen_pem, NATIONAL_ID));
    assert_null(strstr(rec.info.subject, NATIONAL_ID));
    assert_string_equal(rec.national_id, NATIONAL_ID);
    assert_true(rec.pseudonym[0] == 'P');
    (void)snprintf(citizen_serial, sizeof(citizen_serial), "%s", rec.info.serial);
    (void)snprintf(certfile, sizeof(certfile), "%s/user.crt", vardir);
    f = fopen(certfile, "w");
    fputs(citizen_pem, f);
    fclose(f);
    /* with the ID in the subject when the profile asks for it */
    citizen.id_in_subject = true;
    assert_int_equal(egov_pki_issue(db, "citizen", csr, strlen(csr), &citizen, &pem, &rec, &field,
                                    err, sizeof(err)),
                     EGOV_EC_NONE);
    assert_non_null(strstr(rec.info.subject, "serialNumber=" NATIONAL_ID));
    free(pem);
    /* agency system */
    assert_int_equal(egov_pki_issue(db, "agency", csr, strlen(csr), &agency, &pem, &rec, &field,
                                    err, sizeof(err)),
                     EGOV_EC_NONE);
    assert_string_equal(rec.system_id, "tax-client");
    assert_int_equal(egov_pki_verify_chain(db, pem, strlen(pem), EGOV_X509_CLIENT_AUTH,
                                           egov_now_us(), &rec, err, sizeof(err)),
                     EGOV_EC_NONE);
    assert_string_equal(rec.ca, "agency");
    assert_string_equal(rec.agency_code, "A00000000A");
    free(pem);
    /* server */
    assert_int_equal(egov_pki_issue(db, "server", csr, strlen(csr), &server, &pem, &rec, &field,
                                    err, sizeof(err)),
                     EGOV_EC_NONE);
    assert_int_equal(egov_pki_verify_chain(db, pem, strlen(pem), EGOV_X509_SERVER_AUTH,
                                           egov_now_us(), NULL, err, sizeof(err)),
                     EGOV_EC_NONE);
    assert_int_equal(egov_pki_verify_chain(db, pem, strlen(pem), EGOV_X509_CLIENT_AUTH,
                                           egov_now_us(), NULL, err, sizeof(err)),
                     EGOV_EC_PKI_PURPOSE_INVALID);
    free(pem);
    free(csr);
}

static void test_signed(void **state)
{
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    struct egov_pki_cert rec;

    (void)state;
    assert_int_equal(
        egov_x509_sign_with_key_file(keyfile, "message", 7, &sig, &sig_len, err, sizeof(err)),
        EGOV_EC_NONE);
    assert_int_equal(egov_pki_verify_signed(db, citizen_pem, strlen(citizen_pem), "message", 7, sig,
                                            sig_len, EGOV_X509_CLIENT_AUTH, &rec, err, sizeof(err)),
                     EGOV_EC_NONE);
    assert_int_equal(egov_pki_verify_signed(db, citizen_pem, strlen(citizen_pem), "messagf", 7, sig,
                                            sig_len, EGOV_X509_CLIENT_AUTH, &rec, err, sizeof(err)),
                     EGOV_EC_PKI_SIGNATURE_INVALID);
    free(sig);
}

static long http(const char *method, const char *path, const char *const *headers, const char *body,
                 size_t len, struct egov_test_response *r)
{
    assert_true(egov_test_http(&srv, method, path, headers, body, len, r));
    return r->status;
}

static int count_crl_entries(const char *ca)
{
    struct egov_test_response r;
    char path[64];
    const unsigned char *p;
    X509_CRL *crl;
    int n;

    (void)snprintf(path, sizeof(path), "/pki/crl/%s.crl", ca);
    assert_int_equal(http("GET", path, NULL, NULL, 0, &r), 200);
    p = (const unsigned char *)r.body;
    crl = d2i_X509_CRL(NULL, &p, (long)r.body_len);
    assert_non_null(crl);
    n = X509_CRL_get_REVOKED(crl) == NULL ? 0 : sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl));
    X509_CRL_free(crl);
    egov_test_response_free(&r);
    return n;
}

static int ocsp_status(const char *cert_pem)
{
    static const char *const h[] = {"Content-Type: application/ocsp-request", NULL};
    struct egov_test_response r;
    BIO *bio = BIO_new_mem_buf(cert_pem, -1);
    X509 *leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL), *issuer;
    OCSP_REQUEST *req = OCSP_REQUEST_new();
    OCSP_CERTID *id;
    OCSP_RESPONSE *resp;
    OCSP_BASICRESP *bs;
    unsigned char *der = NULL;
    const unsigned char *p;
    int n, status = -1;

    BIO_free(bio);
    assert_int_equal(http("GET", "/pki/ca/citizen.pem", NULL, NULL, 0, &r), 200);
    bio = BIO_new_mem_buf(r.body, (int)r.body_len);
    issuer = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    egov_test_response_free(&r);
    id = OCSP_cert_to_id(NULL, leaf, issuer);
    OCSP_request_add0_id(req, OCSP_CERTID_dup(id));
    n = i2d_OCSP_REQUEST(req, &der);
    assert_int_equal(http("POST", "/pki/ocsp", h, (const char *)der, (size_t)n, &r), 200);
    p = (const unsigned char *)r.body;
    resp = d2i_OCSP_RESPONSE(NULL, &p, (long)r.body_len);
    assert_non_null(resp);
    bs = OCSP_response_get1_basic(resp);
    assert_non_null(bs);
    assert_int_equal(OCSP_resp_find_status(bs, id, &status, NULL, NULL, NULL, NULL), 1);
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(resp);
    egov_test_response_free(&r);
    OPENSSL_free(der);
    OCSP_CERTID_free(id);
    OCSP_REQUEST_free(req);
    X509_free(leaf);
    X509_free(issuer);
    return status;
}

/* Gets a challenge; copies the cookie header and id. */
static void challenge(char cookie[300], char id[40], char text[80])
{
    struct egov_test_response r;
    char set[256];
    json_t *j;

    assert_int_equal(http("POST", "/api/pki/challenges", NULL, NULL, 0, &r), 201);
    assert_non_null(egov_test_response_header(&r, "Set-Cookie", set, sizeof(set)));
    *strchr(set, ';') = '\0';
    (void)snprintf(cookie, 300, "Cookie: %.250s", set);
    j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    (void)snprintf(id, 40, "%s", json_string_value(json_object_get(j, "challenge_id")));
    (void)snprintf(text, 80, "%s", json_string_value(json_object_get(j, "challenge")));
    json_decref(j);
    egov_test_response_free(&r);
}

static long login(const char *cookie, const char *id, const char *response)
{
    const char *h[] = {"Content-Type: application/json", cookie, NULL};
    struct egov_test_response r;
    json_t *body = json_pack("{s:s, s:s}", "challenge_id", id, "response", response);
    char *text = json_dumps(body, 0);
    long status = http("POST", "/api/pki/login", h, text, strlen(text), &r);

    if (status != 200)
        fprintf(stderr, "login: %ld %s\n", status, r.body);
    egov_test_response_free(&r);
    free(text);
    json_decref(body);
    return status;
}

static void test_login(void **state)
{
    struct egov_account_new acct = {.national_id = NATIONAL_ID,
                                    .name = "王小明",
                                    .password = "correct horse battery staple",
                                    .active = true};
    char certfile[700], cookie[300], other_cookie[300], id[40], text[80], id2[40], text2[80];
    char account_id[37], *resp;
    const char *field = NULL;

    (void)state;
    (void)snprintf(certfile, sizeof(certfile), "%s/user.crt", vardir);
    challenge(cookie, id, text);
    resp = egov_pki_challenge_response(keyfile, certfile, text, err, sizeof(err));
    assert_non_null(resp);
    /* no account yet */
    assert_int_equal(login(cookie, id, resp), 403);
    egov_free(resp);
    assert_int_equal(egov_account_add(db, &acct, NULL, account_id, &field), EGOV_EC_NONE);

    challenge(cookie, id, text);
    resp = egov_pki_challenge_response(keyfile, certfile, text, err, sizeof(err));
    /* another browser's cookie cannot use it; and that attempt consumed it */
    challenge(other_cookie, id2, text2);
    assert_int_equal(login(other_cookie, id, resp), 401);
    assert_int_equal(login(cookie, id, resp), 401);
    egov_free(resp);

    challenge(cookie, id, text);
    resp = egov_pki_challenge_response(keyfile, certfile, text, err, sizeof(err));
    assert_int_equal(login(cookie, id, "garbage"), 400); /* refused before use */
    assert_int_equal(login(cookie, id, resp), 200);
    assert_int_equal(login(cookie, id, resp), 401); /* single use */
    egov_free(resp);

    /* a signature over another challenge */
    challenge(cookie, id, text);
    resp = egov_pki_challenge_response(keyfile, certfile, text2, err, sizeof(err));
    assert_int_equal(login(cookie, id, resp), 401);
    egov_free(resp);
}

static void test_http_repository(void **state)
{
    static const char *const json_h[] = {"Content-Type: application/json", NULL};
    static const char *const ocsp_h[] = {"Content-Type: application/ocsp-request", NULL};
    struct egov_test_response r;
    char *big;

    (void)state;
    assert_int_equal(http("GET", "/pki/ca/root.crt", NULL, NULL, 0, &r), 200);
    assert_true(r.body_len > 100 && (unsigned char)r.body[0] == 0x30);
    egov_test_response_free(&r);
    assert_int_equal(http("GET", "/pki/ca/nope.crt", NULL, NULL, 0, &r), 404);
    egov_test_response_free(&r);
    assert_int_equal(http("GET", "/pki/crl/citizen.txt", NULL, NULL, 0, &r), 404);
    egov_test_response_free(&r);
    assert_int_equal(http("POST", "/pki/ocsp", ocsp_h, "\x30\x01", 2, &r), 400);
    assert_non_null(strstr(r.body, "PKI_OCSP_MALFORMED"));
    egov_test_response_free(&r);
    assert_int_equal(http("GET", "/pki/ocsp/!!!notbase64", NULL, NULL, 0, &r), 400);
    egov_test_response_free(&r);
    assert_int_equal(http("POST", "/pki/ocsp", NULL, "x", 1, &r), 415);
    egov_test_response_free(&r);
    big = malloc(200000);
    memset(big, 'A', 200000);
    assert_int_equal(http("POST", "/pki/ocsp", ocsp_h, big, 200000, &r), 413);
    egov_test_response_free(&r);
    free(big);
    assert_int_equal(http("POST", "/api/pki/verify", json_h, "{\"certificate\":\"junk\"}", 22, &r),
                     400);
    assert_non_null(strstr(r.body, "certificate"));
    egov_test_response_free(&r);
    {
        json_t *b = json_pack("{s:s, s:s}", "certificate", citizen_pem, "purpose", "client");
        char *t = json_dumps(b, 0);
        assert_int_equal(http("POST", "/api/pki/verify", json_h, t, strlen(t), &r), 200);
        assert_non_null(strstr(r.body, "\"valid\":true"));
        egov_test_response_free(&r);
        free(t);
        json_decref(b);
    }
    {
        char path[100];
        (void)snprintf(path, sizeof(path), "/api/pki/certificates/%s", citizen_serial);
        assert_int_equal(http("GET", path, NULL, NULL, 0, &r), 200);
        assert_null(strstr(r.body, NATIONAL_ID)); /* the ID is not public */
        egov_test_response_free(&r);
    }
}

static void test_revoke_crl_ocsp(void **state)
{
    struct egov_pki_cert rec;

    (void)state;
    assert_int_equal(count_crl_entries("citizen"), 0);
    assert_int_equal(ocsp_status(citizen_pem), V_OCSP_CERTSTATUS_GOOD);
    assert_int_equal(egov_pki_revoke(db, citizen_serial, 42, err, sizeof(err)),
                     EGOV_EC_PKI_REASON_INVALID);
    assert_int_equal(egov_pki_revoke(db, "ABCDEF", 1, err, sizeof(err)), EGOV_EC_PKI_CERT_UNKNOWN);
    assert_int_equal(egov_pki_revoke(db, citizen_serial, egov_pki_reason_parse("keyCompromise"),
                                     err, sizeof(err)),
                     EGOV_EC_NONE);
    assert_int_equal(egov_pki_revoke(db, citizen_serial, 1, err, sizeof(err)),
                     EGOV_EC_PKI_ALREADY_REVOKED);
    assert_int_equal(count_crl_entries("citizen"), 1);
    assert_int_equal(count_crl_entries("agency"), 0);
    assert_int_equal(ocsp_status(citizen_pem), V_OCSP_CERTSTATUS_REVOKED);
    assert_int_equal(egov_pki_verify_chain(db, citizen_pem, strlen(citizen_pem),
                                           EGOV_X509_CLIENT_AUTH, egov_now_us(), &rec, err,
                                           sizeof(err)),
                     EGOV_EC_PKI_CERT_REVOKED);
    assert_int_equal(egov_pki_crl_refresh(db, true, err, sizeof(err)), EGOV_EC_NONE);
    assert_int_equal(count_crl_entries("citizen"), 1);
    /* a revoked certificate cannot log in */
    {
        char cookie[300], id[40], text[80], certfile[700], *resp;
        (void)snprintf(certfile, sizeof(certfile), "%s/user.crt", vardir);
        challenge(cookie, id, text);
        resp = egov_pki_challenge_response(keyfile, certfile, text, err, sizeof(err));
        assert_int_equal(login(cookie, id, resp), 401);
        egov_free(resp);
    }
    /* refused sign-ins are in the account audit log, with the serial */
    {
        static const struct egov_db_stmt st = {
            "t_pki_audit",
            "SELECT detail FROM account_audit WHERE event = 'login.certificate_failure'", NULL};
        struct egov_db_conn *c = egov_db_acquire(db, 5000);
        struct egov_db_rows *rows = NULL;
        struct egov_db_param none[] = {EGOV_DB_PARAM_END};
        bool revoked_seen = false;

        assert_true(egov_db_query(c, &st, none, &rows) >= 3);
        for (size_t i = 0; i < egov_db_rows_count(rows); i++) {
            const char *d = egov_db_rows_text(rows, i, 0);
            if (strstr(d, "PKI_CERT_REVOKED") != NULL && strstr(d, citizen_serial) != NULL)
                revoked_seen = true;
        }
        assert_true(revoked_seen);
        egov_db_rows_free(rows);
        egov_db_release(c);
    }
}

/* Test callers name themselves in a header (the account module is not running here). */
static bool header_caller(struct egov_req *req, char subject[64])
{
    const char *s = egov_req_header(req, "X-Test-Subject");

    if (s == NULL || strlen(s) >= 64)
        return false;
    memcpy(subject, s, strlen(s) + 1);
    return true;
}

static void test_issue_api(void **state)
{
    static const char *const admin_h[] = {"Content-Type: application/json",
                                          "X-Test-Subject: platform-admin", NULL};
    static const char *const user_h[] = {"Content-Type: application/json",
                                         "X-Test-Subject: someone", NULL};
    static const char *const anon_h[] = {"Content-Type: application/json", NULL};
    struct egov_test_response r;
    char *csr = make_csr(user_key), *text, path[120];
    json_t *body, *j;

    (void)state;
    assert_true(egov_authz_register_caller(header_caller));
    assert_int_equal(egov_authz_admin_add(db, NULL, "platform-admin", "*", NULL, NULL),
                     EGOV_EC_NONE);
    body = json_pack("{s:s, s:s, s:s, s:s, s:s}", "ca", "agency", "csr", csr, "agency_code",
                     "A00000000A", "system_id", "land-client", "name", "Land client");
    text = json_dumps(body, 0);
    assert_int_equal(http("POST", "/api/pki/certificates", anon_h, text, strlen(text), &r), 401);
    egov_test_response_free(&r);
    assert_int_equal(http("POST", "/api/pki/certificates", user_h, text, strlen(text), &r), 403);
    egov_test_response_free(&r);
    assert_int_equal(http("POST", "/api/pki/certificates", admin_h, text, strlen(text), &r), 201);
    j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    assert_non_null(strstr(json_string_value(json_object_get(j, "certificate")), "BEGIN CERT"));
    (void)snprintf(path, sizeof(path), "/api/pki/certificates/%s/revoke",
                   json_string_value(json_object_get(j, "serial")));
    json_decref(j);
    egov_test_response_free(&r);
    free(text);
    /* a tampered request, a bad agency code, an unknown CA: 400/404 naming the field */
    json_object_set_new(body, "csr",
                        json_string("-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n"
                                    "-----END CERTIFICATE REQUEST-----\n"));
    text = json_dumps(body, 0);
    assert_int_equal(http("POST", "/api/pki/certificates", admin_h, text, strlen(text), &r), 400);
    assert_non_null(strstr(r.body, "PKI_CSR_MALFORMED"));
    egov_test_response_free(&r);
    free(text);
    json_object_set_new(body, "csr", json_string(csr));
    json_object_set_new(body, "agency_code", json_string("nope"));
    text = json_dumps(body, 0);
    assert_int_equal(http("POST", "/api/pki/certificates", admin_h, text, strlen(text), &r), 400);
    assert_non_null(strstr(r.body, "\"field\":\"agency_code\""));
    egov_test_response_free(&r);
    free(text);
    json_object_set_new(body, "ca", json_string("root"));
    text = json_dumps(body, 0);
    assert_int_equal(http("POST", "/api/pki/certificates", admin_h, text, strlen(text), &r), 404);
    egov_test_response_free(&r);
    free(text);
    /* revoke over HTTP */
    assert_int_equal(http("POST", path, user_h, "{}", 2, &r), 403);
    egov_test_response_free(&r);
    assert_int_equal(http("POST", path, admin_h, "{\"reason\":\"bogus\"}", 18, &r), 400);
    egov_test_response_free(&r);
    assert_int_equal(http("POST", path, admin_h, "{\"reason\":\"superseded\"}", 23, &r), 200);
    assert_non_null(strstr(r.body, "\"status\":\"revoked\""));
    egov_test_response_free(&r);
    assert_int_equal(http("POST", path, admin_h, "{}", 2, &r), 409);
    egov_test_response_free(&r);
    json_decref(body);
    free(csr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init),      cmocka_unit_test(test_issue_profiles),
        cmocka_unit_test(test_signed),    cmocka_unit_test(test_http_repository),
        cmocka_unit_test(test_login),     cmocka_unit_test(test_revoke_crl_ocsp),
        cmocka_unit_test(test_issue_api),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
