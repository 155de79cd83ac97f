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

#include <curl/curl.h>
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
    static const struct egov_route_table *tables[4];
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
    tables[2] = &egov_test_session_routes;
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

/* A request whose subject claims another agency and organisation. */
static char *make_csr_claiming(EVP_PKEY *pk, bool tamper)
{
    X509_REQ *r = X509_REQ_new();
    X509_NAME *n = X509_NAME_new();
    BIO *bio = BIO_new(BIO_s_mem());
    unsigned char *der = NULL;
    char *data = NULL, *out;
    long len;
    int dlen;

    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)"Evil Corp", -1, -1,
                               0);
    X509_NAME_add_entry_by_txt(n, "serialNumber", MBSTRING_UTF8,
                               (const unsigned char *)"A20000002S", -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"evil", -1, -1, 0);
    X509_REQ_set_subject_name(r, n);
    X509_REQ_set_pubkey(r, pk);
    assert_true(X509_REQ_sign(r, pk, EVP_sha256()) > 0);
    dlen = i2d_X509_REQ(r, &der);
    assert_true(dlen > 10);
    if (tamper)
        der[dlen - 1] ^= 0x01; /* the last byte of the signature */
    PEM_write_bio(bio, "CERTIFICATE REQUEST", "", der, dlen);
    len = BIO_get_mem_data(bio, &data);
    out = malloc((size_t)len + 1);
    memcpy(out, data, (size_t)len);
    out[len] = '\0';
    OPENSSL_free(der);
    BIO_free(bio);
    X509_NAME_free(n);
    X509_REQ_free(r);
    return out;
}

/* The text of entry @p nid of the subject of PEM certificate @p pem, or "". */
static void subject_entry(const char *pem, int nid, char *out, size_t outlen)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);

    assert_non_null(x);
    out[0] = '\0';
    (void)X509_NAME_get_text_by_NID(X509_get_subject_name(x), nid, out, (int)outlen);
    X509_free(x);
    BIO_free(bio);
}

static void save(const char *file, const char *text, size_t len)
{
    FILE *f = fopen(file, "w");

    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}

/* POSTs an issue request for agency @p code as @p who; returns the status. */
static long agency_post(const char *code, const char *who, const char *body,
                        struct egov_test_response *r)
{
    char path[120], hs[100];
    const char *h[] = {"Content-Type: application/json", hs, NULL};

    (void)snprintf(path, sizeof(path), "/api/pki/agencies/%s/certificates", code);
    (void)snprintf(hs, sizeof(hs), "X-Test-Subject: %s", who);
    if (who == NULL)
        h[1] = NULL;
    return http("POST", path, h, body, strlen(body), r);
}

/* True if the authz audit log of agency @p code has @p action by @p actor. */
static bool audited(const char *code, const char *action, const char *actor)
{
    json_t *v = egov_authz_agency_view(db, code), *e;
    size_t i;
    bool found = false;

    assert_non_null(v);
    json_array_foreach(json_object_get(v, "audit"), i, e)
    {
        const char *a = json_string_value(json_object_get(e, "action"));
        const char *who = json_string_value(json_object_get(e, "actor"));
        if (a != NULL && who != NULL && strcmp(a, action) == 0 && strcmp(who, actor) == 0)
            found = true;
    }
    json_decref(v);
    return found;
}

static void test_agency_issue(void **state)
{
    static const struct egov_oid_actor platform = {"platform", "", true};
    struct egov_directory_agency a;
    struct egov_test_response r;
    char parent_id[37], child_id[37], sibling_id[37], text[200], cmd[2200];
    char root[700], agency[700], cert[700];
    char *csr = make_csr_claiming(user_key, false), *bad = make_csr_claiming(user_key, true);
    char *body;
    json_t *j;

    (void)state;
    assert_true(egov_authz_register_caller(header_caller));
    memset(&a, 0, sizeof(a));
    strcpy(a.name, "測試部");
    strcpy(a.code, "A20000000P");
    assert_int_equal(egov_directory_agency_create(db, &platform, &a, parent_id), EGOV_EC_NONE);
    strcpy(a.name, "測試部資訊處");
    strcpy(a.code, "A20000001C");
    strcpy(a.parent_id, parent_id);
    assert_int_equal(egov_directory_agency_create(db, &platform, &a, child_id), EGOV_EC_NONE);
    memset(&a, 0, sizeof(a));
    strcpy(a.name, "其他部");
    strcpy(a.code, "A20000002S");
    assert_int_equal(egov_directory_agency_create(db, &platform, &a, sibling_id), EGOV_EC_NONE);
    /* authz names agencies by their agency code */
    assert_int_equal(egov_authz_admin_add(db, NULL, "parent-admin", "A20000000P", NULL, NULL),
                     EGOV_EC_NONE);
    assert_int_equal(egov_authz_admin_add(db, NULL, "child-admin", "A20000001C", NULL, NULL),
                     EGOV_EC_NONE);
    assert_int_equal(egov_authz_admin_add(db, NULL, "sibling-admin", "A20000002S", NULL, NULL),
                     EGOV_EC_NONE);
    assert_true(egov_authz_is_admin(db, "parent-admin", "A20000001C"));
    assert_false(egov_authz_is_admin(db, "child-admin", "A20000000P"));

    j = json_pack("{s:s, s:s}", "csr", csr, "system_id", "tax-client");
    body = json_dumps(j, 0);
    json_decref(j);
    /* the agency's own administrator: the subject is the agency's, not the request's */
    assert_int_equal(agency_post("A20000001C", "child-admin", body, &r), 201);
    j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    egov_test_response_free(&r);
    const char *pem = json_string_value(json_object_get(j, "certificate"));
    assert_non_null(pem);
    assert_non_null(json_object_get(j, "serial"));
    assert_non_null(json_object_get(j, "not_after"));
    subject_entry(pem, NID_organizationName, text, sizeof(text));
    assert_string_equal(text, "測試部資訊處");
    subject_entry(pem, NID_serialNumber, text, sizeof(text));
    assert_string_equal(text, "A20000001C");
    subject_entry(pem, NID_organizationalUnitName, text, sizeof(text));
    assert_string_equal(text, "tax-client");
    assert_true(audited("A20000001C", "pki.certificate.issue", "child-admin"));
    /* openssl verify accepts it against the platform chain */
    (void)snprintf(root, sizeof(root), "%s/root.pem", vardir);
    (void)snprintf(agency, sizeof(agency), "%s/agency-ca.pem", vardir);
    (void)snprintf(cert, sizeof(cert), "%s/agency-system.pem", vardir);
    assert_int_equal(http("GET", "/pki/ca/root.pem", NULL, NULL, 0, &r), 200);
    save(root, r.body, r.body_len);
    egov_test_response_free(&r);
    assert_int_equal(http("GET", "/pki/ca/agency.pem", NULL, NULL, 0, &r), 200);
    save(agency, r.body, r.body_len);
    egov_test_response_free(&r);
    save(cert, pem, strlen(pem));
    json_decref(j);
    (void)snprintf(cmd, sizeof(cmd),
                   "openssl verify -purpose sslclient -CAfile '%s' -untrusted '%s' '%s' >/dev/null",
                   root, agency, cert);
    assert_int_equal(system(cmd), 0);
    /* ... and refuses it against a foreign root */
    (void)snprintf(cmd, sizeof(cmd), "openssl verify -CAfile '%s' '%s' >/dev/null 2>&1", agency,
                   root);
    assert_int_not_equal(system(cmd), 0);

    /* an administrator of the agency above it */
    assert_int_equal(agency_post("A20000001C", "parent-admin", body, &r), 201);
    egov_test_response_free(&r);
    /* a lower agency's administrator for the agency above, another agency's for this one */
    assert_int_equal(agency_post("A20000000P", "child-admin", body, &r), 403);
    egov_test_response_free(&r);
    assert_int_equal(agency_post("A20000001C", "sibling-admin", body, &r), 403);
    assert_null(strstr(r.body, "BEGIN CERTIFICATE"));
    egov_test_response_free(&r);
    assert_true(audited("A20000000P", "pki.certificate.denied", "child-admin"));
    assert_true(audited("A20000001C", "pki.certificate.denied", "sibling-admin"));
    assert_false(audited("A20000001C", "pki.certificate.issue", "sibling-admin"));
    /* no caller, an unknown and a malformed agency code */
    assert_int_equal(agency_post("A20000001C", NULL, body, &r), 401);
    egov_test_response_free(&r);
    assert_int_equal(agency_post("A29999999Z", "parent-admin", body, &r), 404);
    assert_non_null(strstr(r.body, "\"field\":\"code\""));
    egov_test_response_free(&r);
    assert_int_equal(agency_post("a2-bad", "parent-admin", body, &r), 400);
    assert_non_null(strstr(r.body, "\"field\":\"code\""));
    egov_test_response_free(&r);
    free(body);
    /* a tampered request and a bad system id: 400 naming the field */
    j = json_pack("{s:s, s:s}", "csr", bad, "system_id", "tax-client");
    body = json_dumps(j, 0);
    json_decref(j);
    assert_int_equal(agency_post("A20000001C", "child-admin", body, &r), 400);
    assert_non_null(strstr(r.body, "PKI_CSR_SIGNATURE"));
    assert_non_null(strstr(r.body, "\"field\":\"csr\""));
    egov_test_response_free(&r);
    free(body);
    j = json_pack("{s:s, s:s}", "csr", csr, "system_id", "tax client/1");
    body = json_dumps(j, 0);
    json_decref(j);
    assert_int_equal(agency_post("A20000001C", "child-admin", body, &r), 400);
    assert_non_null(strstr(r.body, "\"field\":\"system_id\""));
    egov_test_response_free(&r);
    free(body);
    assert_int_equal(agency_post("A20000001C", "child-admin", "{\"csr\":\"x\"}", &r), 400);
    assert_non_null(strstr(r.body, "system_id"));
    egov_test_response_free(&r);
    free(csr);
    free(bad);
}

/* The "name=value" of cookie @p name among the Set-Cookie headers of @p r. */
static void cookie_of(const struct egov_test_response *r, const char *name, char *out, size_t n)
{
    const char *p = r->headers;
    size_t len = strlen(name);

    out[0] = '\0';
    while ((p = strstr(p, "Set-Cookie: ")) != NULL) {
        p += 12;
        if (strncmp(p, name, len) == 0 && p[len] == '=') {
            size_t k = strcspn(p, ";\r\n");
            assert_true(k < n);
            memcpy(out, p, k);
            out[k] = '\0';
        }
    }
}

/* The agency administrator's page: sign-in, the form with its token, issuing. */
static void test_agency_issue_page(void **state)
{
    struct egov_account_new acct = {.national_id = "F131104093",
                                    .name = "林資訊",
                                    .password = "correct horse battery staple",
                                    .active = true};
    static const char *const html[] = {"Accept: text/html", NULL};
    char account_id[37], session[200], csrf[200], cookies[500], path[80], token[200];
    const char *field = NULL, *h[4];
    struct egov_test_response r;
    char *csr = make_csr_claiming(user_key, false), *enc, *form;
    const char *t;
    json_t *j;
    size_t n;

    (void)state;
    (void)snprintf(path, sizeof(path), "/pki/agencies/A20000001C/certificates");
    /* no session: browsers are sent to the login page */
    assert_int_equal(http("GET", path, html, NULL, 0, &r), 303);
    egov_test_response_free(&r);
    assert_int_equal(egov_account_add(db, &acct, NULL, account_id, &field), EGOV_EC_NONE);
    (void)snprintf(cookies, sizeof(cookies), "/test/session?account=%s", account_id);
    assert_int_equal(http("GET", cookies, NULL, NULL, 0, &r), 200);
    cookie_of(&r, EGOV_ACCOUNT_COOKIE, session, sizeof(session));
    assert_true(session[0] != '\0');
    j = json_loads(r.body, 0, NULL);
    egov_test_response_free(&r);
    assert_non_null(j);
    (void)snprintf(cookies, sizeof(cookies), "Cookie: %s", session);
    h[0] = "Accept: text/html";
    h[1] = cookies;
    h[2] = NULL;
    /* signed in, but no administrator of the agency: 403 */
    assert_int_equal(http("GET", path, h, NULL, 0, &r), 403);
    egov_test_response_free(&r);
    assert_int_equal(egov_authz_admin_add(db, NULL,
                                          json_string_value(json_object_get(j, "principal_id")),
                                          "A20000001C", NULL, NULL),
                     EGOV_EC_NONE);
    json_decref(j);
    assert_int_equal(http("GET", path, h, NULL, 0, &r), 200);
    assert_non_null(strstr(r.body, "測試部資訊處"));
    assert_non_null(strstr(r.body, "action=\"/pki/agencies/A20000001C/certificates\""));
    cookie_of(&r, EGOV_ACCOUNT_CSRF_COOKIE, csrf, sizeof(csrf));
    assert_true(csrf[0] != '\0');
    t = strstr(r.body, "name=\"csrf_token\" value=\"");
    assert_non_null(t);
    t += strlen("name=\"csrf_token\" value=\"");
    n = strcspn(t, "\"");
    assert_true(n < sizeof(token));
    memcpy(token, t, n);
    token[n] = '\0';
    egov_test_response_free(&r);
    (void)snprintf(cookies, sizeof(cookies), "Cookie: %s; %s", session, csrf);
    h[2] = "Content-Type: application/x-www-form-urlencoded";
    h[3] = NULL;
    enc = curl_easy_escape(NULL, csr, 0);
    form = malloc(strlen(enc) + 300);
    /* without the token: refused */
    (void)sprintf(form, "system_id=web-portal&csr=%s", enc);
    assert_int_equal(http("POST", path, h, form, strlen(form), &r), 403);
    egov_test_response_free(&r);
    (void)sprintf(form, "csrf_token=%s&system_id=web-portal&name=%s&csr=%s", token,
                  "%E5%85%A5%E5%8F%A3%E7%B6%B2", enc);
    assert_int_equal(http("POST", path, h, form, strlen(form), &r), 201);
    assert_non_null(strstr(r.body, "BEGIN CERTIFICATE"));
    assert_non_null(strstr(r.body, "web-portal"));
    egov_test_response_free(&r);
    /* a bad system id comes back on the page, naming the field */
    (void)sprintf(form, "csrf_token=%s&system_id=a%%20b&csr=%s", token, enc);
    assert_int_equal(http("POST", path, h, form, strlen(form), &r), 400);
    assert_non_null(strstr(r.body, "<code>system_id</code>"));
    assert_null(strstr(r.body, "BEGIN CERTIFICATE-----"));
    egov_test_response_free(&r);
    curl_free(enc);
    free(form);
    free(csr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_issue_profiles),
        cmocka_unit_test(test_signed),
        cmocka_unit_test(test_http_repository),
        cmocka_unit_test(test_login),
        cmocka_unit_test(test_revoke_crl_ocsp),
        cmocka_unit_test(test_issue_api),
        cmocka_unit_test(test_agency_issue),
        cmocka_unit_test(test_agency_issue_page),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
