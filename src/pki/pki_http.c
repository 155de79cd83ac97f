/*
 * pki_http.c -- the public repository of the CA: CA certificates, CRLs,
 * the OCSP responder (POST and GET, RFC 6960 appendix A), certificate
 * records and a verification endpoint for relying parties.
 */
#include <stdio.h>
#include <string.h>

#include "authz/authz.h"
#include "pki/pki_int.h"

#define OCSP_MAX_BODY   (64 * 1024)
#define OCSP_VALIDITY_S 3600
#define VERIFY_MAX_BODY (64 * 1024)

/* Splits "NAME.EXT" into a CA name (copied into @p name) and the extension. */
static const char *split_file(const char *file, char *name, size_t n)
{
    const char *dot = file == NULL ? NULL : strrchr(file, '.');
    size_t len = dot == NULL ? 0 : (size_t)(dot - file);

    if (dot == NULL || len == 0 || len >= n)
        return NULL;
    memcpy(name, file, len);
    name[len] = '\0';
    return dot + 1;
}

static void reply_ec(struct egov_req *req, enum egov_ec ec, const char *field, const char *detail)
{
    if (ec == EGOV_EC_DB_HARD_ERROR || ec == EGOV_EC_GENERIC_INTERNAL)
        EGOV_BUG("pki: %s %s", egov_ec_name(ec), detail != NULL ? detail : "");
    egov_reply_problem(req, ec, field, detail != NULL && detail[0] != '\0' ? detail : NULL);
}

static void handle_ca_cert(struct egov_req *req)
{
    char name[16];
    const char *ext = split_file(egov_req_param(req, "file"), name, sizeof(name));
    struct egov_db_conn *c;
    struct pki_ca ca = {0};
    uint8_t *der = NULL;
    size_t len = 0;
    enum egov_db_qs qs;

    if (ext == NULL || (strcmp(ext, "crt") != 0 && strcmp(ext, "pem") != 0)) {
        egov_reply_problem(req, EGOV_EC_GENERIC_NOT_FOUND, "file",
                           "use /pki/ca/NAME.crt (DER) or NAME.pem");
        return;
    }
    c = egov_db_acquire(egov_req_db(req), 5000);
    if (c == NULL) {
        egov_reply_problem(req, EGOV_EC_DB_UNREACHABLE, NULL, NULL);
        return;
    }
    qs = pki_ca_load(c, name, &ca);
    egov_db_release(c);
    if (qs < 0)
        reply_ec(req, pki_db_ec(qs), NULL, NULL);
    else if (qs == 0)
        egov_reply_problem(req, EGOV_EC_PKI_CA_UNKNOWN, "file", NULL);
    else if (strcmp(ext, "pem") == 0)
        egov_reply_bytes(req, 200, "application/x-pem-file", ca.cert_pem, strlen(ca.cert_pem));
    else if (egov_x509_to_der(ca.cert_pem, strlen(ca.cert_pem), &der, &len) == EGOV_EC_NONE)
        egov_reply_bytes(req, 200, "application/pkix-cert", der, len);
    else
        reply_ec(req, EGOV_EC_GENERIC_INTERNAL, NULL, "stored CA certificate unreadable");
    egov_free(der);
    pki_ca_free(&ca, 1);
}

static void handle_crl(struct egov_req *req)
{
    char name[16];
    const char *ext = split_file(egov_req_param(req, "file"), name, sizeof(name));
    uint8_t *der = NULL;
    size_t len = 0;
    enum egov_ec ec;

    if (ext == NULL || strcmp(ext, "crl") != 0) {
        egov_reply_problem(req, EGOV_EC_GENERIC_NOT_FOUND, "file", "use /pki/crl/NAME.crl");
        return;
    }
    ec = egov_pki_crl_get(egov_req_db(req), name, &der, &len);
    if (ec != EGOV_EC_NONE) {
        reply_ec(req, ec, ec == EGOV_EC_PKI_CA_UNKNOWN ? "file" : NULL, NULL);
        return;
    }
    egov_reply_bytes(req, 200, "application/pkix-crl", der, len);
    egov_reply_header(req, "Cache-Control", "public, max-age=300");
    egov_free(der);
}

/* ------------------------------------------------------------------ */
/* OCSP                                                                */
/* ------------------------------------------------------------------ */

static const struct egov_db_stmt st_ocsp_status = {
    "pki_ocsp_status",
    "SELECT status, COALESCE(revoked_at, 0), COALESCE(reason, 0) FROM pki_cert"
    " WHERE serial = $1 AND ca = $2",
    NULL};

struct ocsp_ctx {
    struct egov_db_conn *c;
    struct pki_ca *cas;
};

static bool ocsp_lookup(size_t issuer, const char *serial, enum egov_ocsp_status *status,
                        int64_t *revoked_at_us, int *reason, void *cls)
{
    struct ocsp_ctx *o = cls;
    struct egov_db_rows *rows = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(serial), EGOV_DB_PARAM_TEXT(o->cas[issuer].name),
                                EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(o->c, &st_ocsp_status, p, &rows);

    *status = EGOV_OCSP_UNKNOWN;
    if (qs > 0) {
        const char *st = egov_db_rows_text(rows, 0, 0);
        if (strcmp(st, "good") == 0)
            *status = EGOV_OCSP_GOOD;
        else {
            *status = EGOV_OCSP_REVOKED;
            *revoked_at_us = egov_db_rows_int64(rows, 0, 1);
            *reason = (int)egov_db_rows_int64(rows, 0, 2);
        }
    }
    egov_db_rows_free(rows);
    return qs >= 0;
}

static void ocsp_answer(struct egov_req *req, const void *der, size_t len)
{
    struct pki_ca cas[PKI_MAX_CA];
    struct egov_ocsp_issuer iss[PKI_MAX_CA];
    struct ocsp_ctx o = {0};
    uint8_t *resp = NULL;
    size_t resp_len = 0;
    char err[256] = "";
    int64_t now = egov_now_us();
    int n;
    enum egov_ec ec;

    if (pki_keystore() == NULL) {
        egov_reply_problem(req, EGOV_EC_PKI_KEYSTORE, NULL, NULL);
        return;
    }
    o.c = egov_db_acquire(egov_req_db(req), 5000);
    if (o.c == NULL) {
        egov_reply_problem(req, EGOV_EC_DB_UNREACHABLE, NULL, NULL);
        return;
    }
    n = pki_ca_load_all(o.c, cas);
    if (n <= 0) {
        egov_db_release(o.c);
        reply_ec(req, n < 0 ? EGOV_EC_DB_HARD_ERROR : EGOV_EC_PKI_NOT_INITIALISED, NULL, NULL);
        return;
    }
    for (int i = 0; i < n; i++) {
        iss[i].key = cas[i].key;
        iss[i].cert_pem = cas[i].cert_pem;
    }
    o.cas = cas;
    ec =
        egov_ca_ocsp_respond(pki_keystore(), iss, (size_t)n, der, len, ocsp_lookup, &o, now,
                             now + OCSP_VALIDITY_S * 1000000LL, &resp, &resp_len, err, sizeof(err));
    egov_db_release(o.c);
    pki_ca_free(cas, (size_t)n);
    if (ec != EGOV_EC_NONE) {
        if (ec == EGOV_EC_PKI_OCSP_MALFORMED)
            EGOV_CLIENT_FAULT("pki: OCSP request refused: %s", err);
        reply_ec(req, ec, ec == EGOV_EC_PKI_OCSP_MALFORMED ? "body" : NULL, err);
        return;
    }
    egov_reply_bytes(req, 200, "application/ocsp-response", resp, resp_len);
    egov_free(resp);
}

static void handle_ocsp_post(struct egov_req *req)
{
    const char *ct = egov_req_header(req, "Content-Type");

    if (ct == NULL || strncasecmp(ct, "application/ocsp-request", 24) != 0) {
        egov_reply_problem(req, EGOV_EC_GENERIC_UNSUPPORTED_MEDIA_TYPE, "Content-Type",
                           "send the DER request as application/ocsp-request");
        return;
    }
    ocsp_answer(req, req->body, req->body_len);
}

/* GET /pki/ocsp/{base64 of the DER request, URL-encoded} */
static void handle_ocsp_get(struct egov_req *req)
{
    const char *p = req->path + strlen("/pki/ocsp");
    size_t n, k = 0;
    char *b64;
    uint8_t *der;
    long len;

    while (*p == '/')
        p++;
    n = strlen(p);
    if (n == 0 || n > (OCSP_MAX_BODY * 4) / 3 + 4) {
        egov_reply_problem(req, EGOV_EC_PKI_OCSP_MALFORMED, "path",
                           "append the base64 DER request to /pki/ocsp/");
        return;
    }
    b64 = egov_arena_alloc(req->arena, n + 1);
    der = egov_arena_alloc(req->arena, n);
    if (b64 == NULL || der == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    /* base64 (RFC 4648 section 4) -> base64url without padding */
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (ch == '=')
            continue;
        b64[k++] = ch == '+' ? '-' : ch == '/' ? '_' : ch;
    }
    b64[k] = '\0';
    len = egov_base64url_decode(b64, k, der);
    if (len <= 0) {
        egov_reply_problem(req, EGOV_EC_PKI_OCSP_MALFORMED, "path",
                           "the request is not valid base64");
        return;
    }
    ocsp_answer(req, der, (size_t)len);
}

/* ------------------------------------------------------------------ */
/* Certificate records and verification                                */
/* ------------------------------------------------------------------ */

static json_t *record_json(const struct egov_pki_cert *rec)
{
    char nb[32], na[32], ra[32];
    json_t *j;

    egov_time_rfc3339(rec->info.not_before_us, nb);
    egov_time_rfc3339(rec->info.not_after_us, na);
    j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "serial", rec->info.serial, "ca", rec->ca,
                  "subject", rec->info.subject, "status", rec->status, "not_before", nb,
                  "not_after", na, "fingerprint_sha256", rec->info.fingerprint);
    if (j != NULL && strcmp(rec->status, "revoked") == 0) {
        egov_time_rfc3339(rec->revoked_at_us, ra);
        json_object_set_new(j, "revoked_at", json_string(ra));
        json_object_set_new(j, "reason", json_integer(rec->reason));
    }
    if (j != NULL && rec->system_id[0] != '\0')
        json_object_set_new(j, "system_id", json_string(rec->system_id));
    if (j != NULL && rec->agency_code[0] != '\0')
        json_object_set_new(j, "agency_code", json_string(rec->agency_code));
    return j;
}

static void handle_cert_get(struct egov_req *req)
{
    const char *serial = egov_req_param(req, "serial");
    struct egov_pki_cert rec;
    enum egov_ec ec;
    json_t *j;

    if (serial == NULL || strlen(serial) >= EGOV_PKI_SERIAL_HEX ||
        strspn(serial, "0123456789ABCDEF") != strlen(serial)) {
        egov_reply_problem(req, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "serial",
                           "a serial is upper-case hex without leading zeros");
        return;
    }
    ec = egov_pki_cert_get(egov_req_db(req), serial, &rec);
    if (ec != EGOV_EC_NONE) {
        reply_ec(req, ec, ec == EGOV_EC_PKI_CERT_UNKNOWN ? "serial" : NULL, NULL);
        return;
    }
    j = record_json(&rec);
    if (j == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    egov_reply_json(req, 200, j);
}

static void handle_verify(struct egov_req *req)
{
    const char *cert = NULL, *purpose = "any";
    struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_STRING_LEN("certificate", &cert, 1, 60000),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("purpose", &purpose, 1, 16)),
        EGOV_JSON_SPEC_END,
    };
    enum egov_x509_purpose pu;
    struct egov_pki_cert rec;
    char err[256] = "";
    enum egov_ec ec;
    json_t *j;

    if (egov_req_parse_json(req, spec) == NULL)
        return;
    if (strcmp(purpose, "any") == 0)
        pu = EGOV_X509_ANY;
    else if (strcmp(purpose, "client") == 0)
        pu = EGOV_X509_CLIENT_AUTH;
    else if (strcmp(purpose, "server") == 0)
        pu = EGOV_X509_SERVER_AUTH;
    else {
        egov_reply_problem(req, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "purpose",
                           "purpose is any, client or server");
        return;
    }
    ec = egov_pki_verify_chain(egov_req_db(req), cert, strlen(cert), pu, egov_now_us(), &rec, err,
                               sizeof(err));
    if (ec != EGOV_EC_NONE) {
        reply_ec(req, ec, ec == EGOV_EC_PKI_CERT_MALFORMED ? "certificate" : NULL, err);
        return;
    }
    j = record_json(&rec);
    if (j == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    json_object_set_new(j, "valid", json_true());
    egov_reply_json(req, 200, j);
}

/* ------------------------------------------------------------------ */
/* Issuing and revoking (platform administrators)                      */
/* ------------------------------------------------------------------ */

/* True if the caller is a platform administrator; otherwise replied 401/403. */
static bool require_platform_admin(struct egov_req *req, char subject[64])
{
    if (!egov_authz_caller(req, subject))
        return false;
    if (!egov_authz_is_admin(egov_req_db(req), subject, "*")) {
        egov_reply_problem(req, EGOV_EC_GENERIC_FORBIDDEN, NULL,
                           "only platform administrators issue and revoke certificates");
        return false;
    }
    return true;
}

#define ISSUE_MAX_DNS 20

static void handle_issue(struct egov_req *req)
{
    const char *ca = NULL, *csr = NULL;
    struct egov_pki_subject subj = {0};
    json_t *dns = NULL;
    int64_t days = 0;
    struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_STRING_LEN("ca", &ca, 1, 15),
        EGOV_JSON_SPEC_STRING_LEN("csr", &csr, 1, 60000),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("name", &subj.name, 1, 64)),
        EGOV_JSON_SPEC_OPTIONAL(
            EGOV_JSON_SPEC_STRING_LEN("national_id", &subj.national_id, 10, 10)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_BOOL("id_in_subject", &subj.id_in_subject)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("agency_code", &subj.agency_code, 1, 31)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("agency_name", &subj.agency_name, 1, 64)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("system_id", &subj.system_id, 1, 64)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_ARRAY("dns", &dns)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_INT("days", &days, 1, 3650)),
        EGOV_JSON_SPEC_END,
    };
    const char *names[ISSUE_MAX_DNS];
    const char *field = NULL;
    struct egov_pki_cert rec;
    char subject[64], err[512] = "", na[32], *pem = NULL;
    enum egov_ec ec;
    json_t *j;

    if (!require_platform_admin(req, subject) || egov_req_parse_json(req, spec) == NULL)
        return;
    if (dns != NULL) {
        if (json_array_size(dns) > ISSUE_MAX_DNS) {
            egov_reply_problem(req, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "dns",
                               "at most 20 DNS names");
            return;
        }
        for (size_t i = 0; i < json_array_size(dns); i++) {
            names[i] = json_string_value(json_array_get(dns, i));
            if (names[i] == NULL) {
                egov_reply_problem(req, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "dns",
                                   "dns is a list of host names");
                return;
            }
        }
        subj.dns = names;
        subj.ndns = json_array_size(dns);
    }
    subj.days = (unsigned int)days;
    ec = egov_pki_issue(egov_req_db(req), ca, csr, strlen(csr), &subj, &pem, &rec, &field, err,
                        sizeof(err));
    if (ec != EGOV_EC_NONE) {
        reply_ec(req, ec, field, err);
        return;
    }
    egov_info("pki: %s issued certificate %s by the %s CA", subject, rec.info.serial, rec.ca);
    egov_time_rfc3339(rec.info.not_after_us, na);
    j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "serial", rec.info.serial, "ca", rec.ca, "subject",
                  rec.info.subject, "not_after", na, "certificate", pem);
    egov_free(pem);
    if (j == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    egov_reply_json(req, 201, j);
}

static void handle_revoke(struct egov_req *req)
{
    const char *reason_text = "unspecified";
    struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("reason", &reason_text, 1, 32)),
        EGOV_JSON_SPEC_END,
    };
    const char *serial = egov_req_param(req, "serial");
    char subject[64], err[512] = "";
    struct egov_pki_cert rec;
    enum egov_ec ec;
    int reason;
    json_t *j;

    if (!require_platform_admin(req, subject) || egov_req_parse_json(req, spec) == NULL)
        return;
    reason = egov_pki_reason_parse(reason_text);
    if (reason < 0) {
        egov_reply_problem(req, EGOV_EC_PKI_REASON_INVALID, "reason", NULL);
        return;
    }
    ec = egov_pki_revoke(egov_req_db(req), serial, reason, err, sizeof(err));
    if (ec == EGOV_EC_NONE)
        ec = egov_pki_cert_get(egov_req_db(req), serial, &rec);
    if (ec != EGOV_EC_NONE) {
        reply_ec(req, ec, ec == EGOV_EC_PKI_CERT_UNKNOWN ? "serial" : NULL, err);
        return;
    }
    egov_info("pki: %s revoked certificate %s (reason %d)", subject, serial, reason);
    j = record_json(&rec);
    if (j == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    egov_reply_json(req, 200, j);
}

static const struct egov_route routes[] = {
    {EGOV_M_POST, "/api/pki/certificates", handle_issue, VERIFY_MAX_BODY, EGOV_ROUTE_JSON_BODY,
     "pki-issue"},
    {EGOV_M_POST, "/api/pki/certificates/{serial}/revoke", handle_revoke, 4096,
     EGOV_ROUTE_JSON_BODY, "pki-revoke"},
    {EGOV_M_POST, "/api/pki/agencies/{code}/certificates", pki_handle_agency_issue_api,
     VERIFY_MAX_BODY, EGOV_ROUTE_JSON_BODY, "pki-agency-issue"},
    {EGOV_M_GET | EGOV_M_POST, "/pki/agencies/{code}/certificates", pki_handle_agency_issue_page,
     VERIFY_MAX_BODY * 2, EGOV_ROUTE_FORM_BODY, "pki-agency-issue-page"},
    {EGOV_M_GET, "/pki/ca/{file}", handle_ca_cert, 0, 0, "pki-ca"},
    {EGOV_M_GET, "/pki/crl/{file}", handle_crl, 0, 0, "pki-crl"},
    {EGOV_M_POST, "/pki/ocsp", handle_ocsp_post, OCSP_MAX_BODY, 0, "pki-ocsp"},
    {EGOV_M_GET, "/pki/ocsp", handle_ocsp_get, 0, EGOV_ROUTE_PREFIX, "pki-ocsp-get"},
    {EGOV_M_GET, "/api/pki/certificates/{serial}", handle_cert_get, 0, 0, "pki-cert"},
    {EGOV_M_POST, "/api/pki/verify", handle_verify, VERIFY_MAX_BODY, EGOV_ROUTE_JSON_BODY,
     "pki-verify"},
    {EGOV_M_POST, "/api/pki/challenges", pki_handle_challenge_api, 1024, 0, "pki-challenge"},
    {EGOV_M_POST, "/api/pki/login", pki_handle_login_api, VERIFY_MAX_BODY, EGOV_ROUTE_JSON_BODY,
     "pki-login-api"},
    {EGOV_M_GET | EGOV_M_POST, "/pki/login", pki_handle_login_page, VERIFY_MAX_BODY,
     EGOV_ROUTE_FORM_BODY, "pki-login"},
    EGOV_ROUTE_END,
};

const struct egov_route_table pki_routes = {"pki", routes};
