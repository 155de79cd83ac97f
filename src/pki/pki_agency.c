/*
 * pki_agency.c -- agency administrators issue certificates for their
 * agency's systems:
 *
 *   POST /api/pki/agencies/{code}/certificates   {"csr","system_id","name"?,"days"?}
 *   GET  /pki/agencies/{code}/certificates       the page with the form
 *   POST /pki/agencies/{code}/certificates       the form
 *
 * {code} is the agency code (機關代碼), the key authz names agencies by.
 * Only an administrator of that agency, of an agency above it in the
 * directory, or of the platform may issue (egov_authz_is_admin()); a
 * refusal is answered 403 and written to the agency's authz audit log, as
 * is every certificate issued.  The subject is the CA's: C=TW, O=the
 * agency's official name from the directory, OU=system id,
 * serialNumber=agency code, CN=name; the request contributes only its key,
 * after its self-signature was checked.
 */
#include <stdio.h>
#include <string.h>

#include "account/account.h"
#include "authz/authz.h"
#include "directory/directory.h"
#include "pki/pki_int.h"

#define AGENCY_CSR_MAX  60000
#define SYSTEM_ID_MAX   64
#define CERT_NAME_MAX   64
#define AGENCY_MAX_DAYS 1095

/* What one issue asks for (strings borrowed). */
struct agency_issue_in {
    const char *csr;
    const char *system_id;
    const char *name; /* NULL: the system id */
    unsigned int days;
};

/* A system id: 1..64 of [A-Za-z0-9._-], as gateway consumer ids are written. */
static bool system_id_ok(const char *s)
{
    size_t n = s == NULL ? 0 : strlen(s);

    return n >= 1 && n <= SYSTEM_ID_MAX &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/*
 * The agency of {code}: 400 naming "code" if it is no agency code, 404 if
 * the directory does not know it.  False after replying.
 */
static bool agency_of(struct egov_req *req, struct egov_directory_agency *a)
{
    const char *code = egov_req_param(req, "code");
    enum egov_db_qs qs;

    if (code == NULL || !egov_directory_agency_code_valid(code)) {
        egov_reply_problem(req, EGOV_EC_DIRECTORY_AGENCY_CODE_INVALID, "code", NULL);
        return false;
    }
    qs = egov_directory_agency_by_code(egov_req_db(req), code, a);
    if (qs <= 0) {
        egov_reply_problem(req, qs == 0 ? EGOV_EC_DIRECTORY_AGENCY_NOT_FOUND : egov_db_qs_ec(qs),
                           "code", NULL);
        return false;
    }
    return true;
}

/*
 * The authz decision: true if @p subject administers agency @p a (or one
 * above it, or the platform).  A refusal is written to the agency's audit
 * log; false then.
 */
static bool may_issue(struct egov_req *req, const char *subject,
                      const struct egov_directory_agency *a)
{
    struct egov_db *db = egov_req_db(req);
    enum egov_ec ec;

    if (egov_authz_is_admin(db, subject, a->code))
        return true;
    ec = egov_authz_audit_note(db, subject, "pki.certificate.denied", a->code,
                               json_pack("{s:s}", "reason", "not an administrator of the agency"),
                               egov_account_client_addr(req), req->request_id);
    if (ec != EGOV_EC_NONE)
        egov_error("pki: the refusal of %s for agency %s could not be audited: %s", subject,
                   a->code, egov_ec_name(ec));
    EGOV_CLIENT_FAULT("pki: %s may not issue certificates for agency %s", subject, a->code);
    return false;
}

/* Issues for agency @p a; fills @p pem (caller egov_free()s) and @p rec. */
static enum egov_ec issue(struct egov_req *req, const char *subject,
                          const struct egov_directory_agency *a, const struct agency_issue_in *in,
                          char **pem, struct egov_pki_cert *rec, const char **field, char *err,
                          size_t errlen)
{
    struct egov_pki_subject subj = {0};
    enum egov_ec ec;
    char na[32];

    *pem = NULL;
    if (!system_id_ok(in->system_id)) {
        *field = "system_id";
        (void)snprintf(err, errlen, "a system id is 1 to 64 letters, digits, '.', '_' or '-'");
        return EGOV_EC_PKI_REQUEST_INVALID;
    }
    subj.agency_code = a->code;
    subj.agency_name = a->name;
    subj.system_id = in->system_id;
    subj.name = in->name != NULL ? in->name : in->system_id;
    subj.days = in->days;
    ec = egov_pki_issue(egov_req_db(req), EGOV_PKI_CA_AGENCY, in->csr, strlen(in->csr), &subj, pem,
                        rec, field, err, errlen);
    if (ec != EGOV_EC_NONE)
        return ec;
    egov_time_rfc3339(rec->info.not_after_us, na);
    egov_info("pki: %s issued certificate %s for agency %s system %s", subject, rec->info.serial,
              a->code, in->system_id);
    if (egov_authz_audit_note(egov_req_db(req), subject, "pki.certificate.issue", a->code,
                              json_pack("{s:s, s:s, s:s}", "serial", rec->info.serial, "system_id",
                                        in->system_id, "not_after", na),
                              egov_account_client_addr(req), req->request_id) != EGOV_EC_NONE)
        egov_error("pki: certificate %s of agency %s was issued but could not be audited",
                   rec->info.serial, a->code);
    return EGOV_EC_NONE;
}

/* The answer for an issued certificate. */
static json_t *issued_json(const struct egov_directory_agency *a, const struct egov_pki_cert *rec,
                           const char *pem)
{
    char na[32];

    egov_time_rfc3339(rec->info.not_after_us, na);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "serial", rec->info.serial,
                     "ca", rec->ca, "subject", rec->info.subject, "not_after", na, "agency_code",
                     a->code, "agency_name", a->name, "system_id", rec->system_id,
                     "fingerprint_sha256", rec->info.fingerprint, "certificate", pem);
}

void pki_handle_agency_issue_api(struct egov_req *req)
{
    struct agency_issue_in in = {0};
    int64_t days = 0;
    struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_STRING_LEN("csr", &in.csr, 1, AGENCY_CSR_MAX),
        EGOV_JSON_SPEC_STRING_LEN("system_id", &in.system_id, 1, SYSTEM_ID_MAX),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("name", &in.name, 1, CERT_NAME_MAX)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_INT("days", &days, 1, AGENCY_MAX_DAYS)),
        EGOV_JSON_SPEC_END,
    };
    struct egov_directory_agency a;
    struct egov_pki_cert rec;
    const char *field = NULL;
    char subject[64], err[512] = "", *pem = NULL;
    enum egov_ec ec;
    json_t *j;

    if (!agency_of(req, &a) || !egov_authz_caller(req, subject))
        return;
    if (!may_issue(req, subject, &a)) {
        egov_reply_problem(req, EGOV_EC_GENERIC_FORBIDDEN, "code",
                           "only administrators of this agency or of an agency above it issue "
                           "its certificates");
        return;
    }
    if (egov_req_parse_json(req, spec) == NULL)
        return;
    in.days = (unsigned int)days;
    ec = issue(req, subject, &a, &in, &pem, &rec, &field, err, sizeof(err));
    if (ec != EGOV_EC_NONE) {
        egov_reply_problem(req, ec, field, err[0] != '\0' ? err : NULL);
        return;
    }
    j = issued_json(&a, &rec, pem);
    egov_free(pem);
    if (j == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    egov_reply_json(req, 201, j);
}

/* Renders the page: the form, and the certificate when one was issued. */
static void render(struct egov_req *req, int status, const struct egov_directory_agency *a,
                   json_t *issued, enum egov_ec ec, const char *field,
                   const struct agency_issue_in *in)
{
    const char *csrf = egov_account_csrf_token(req);
    json_t *data;

    if (csrf == NULL) {
        json_decref(issued);
        egov_reply_problem(req, EGOV_EC_GENERIC_INTERNAL, NULL, "no form token");
        return;
    }
    data = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "agency_code", a->code, "agency_name",
                     a->name, "csrf_token", csrf, "system_id",
                     in != NULL && in->system_id != NULL ? in->system_id : "", "name",
                     in != NULL && in->name != NULL ? in->name : "", "csr",
                     in != NULL && in->csr != NULL && issued == NULL ? in->csr : "");
    if (data == NULL) {
        json_decref(issued);
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    if (issued != NULL)
        json_object_set_new(data, "issued", issued);
    if (ec != EGOV_EC_NONE) {
        json_object_set_new(data, "error", json_string(egov_ec_hint(ec)));
        if (field != NULL)
            json_object_set_new(data, "error_field", json_string(field));
    }
    egov_reply_view(req, status, "pki/agency_issue", "Issue a certificate for a system", data);
}

void pki_handle_agency_issue_page(struct egov_req *req)
{
    struct egov_account_session s;
    struct egov_directory_agency a;
    struct agency_issue_in in = {0};
    struct egov_pki_cert rec;
    const char *field = NULL;
    char err[512] = "", *pem = NULL;
    enum egov_ec ec;

    if (!agency_of(req, &a) || !egov_account_require(req, NULL, &s))
        return;
    if (!may_issue(req, s.principal_id, &a)) {
        egov_reply_problem(req, EGOV_EC_GENERIC_FORBIDDEN, "code",
                           "only administrators of this agency or of an agency above it issue "
                           "its certificates");
        return;
    }
    if (req->method_bit != EGOV_M_POST) {
        render(req, 200, &a, NULL, EGOV_EC_NONE, NULL, NULL);
        return;
    }
    if (req->form == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_UNSUPPORTED_MEDIA_TYPE, NULL,
                           "send the form as application/x-www-form-urlencoded");
        return;
    }
    if (!egov_account_csrf_check(req, req->form))
        return;
    in.csr = egov_json_get_str(req->form, "csr", "");
    in.system_id = egov_json_get_str(req->form, "system_id", "");
    in.name = egov_json_get_str(req->form, "name", NULL);
    if (in.name != NULL && in.name[0] == '\0')
        in.name = NULL;
    if (in.csr[0] == '\0' || strlen(in.csr) > AGENCY_CSR_MAX) {
        render(req, 400, &a, NULL, EGOV_EC_PKI_CSR_MALFORMED, "csr", &in);
        return;
    }
    if (in.name != NULL && !egov_utf8_valid(in.name, strlen(in.name), NULL)) {
        render(req, 400, &a, NULL, EGOV_EC_PKI_REQUEST_INVALID, "name", &in);
        return;
    }
    if (in.name != NULL && egov_utf8_length(in.name, strlen(in.name)) > CERT_NAME_MAX) {
        render(req, 400, &a, NULL, EGOV_EC_PKI_REQUEST_INVALID, "name", &in);
        return;
    }
    ec = issue(req, s.principal_id, &a, &in, &pem, &rec, &field, err, sizeof(err));
    if (ec != EGOV_EC_NONE) {
        render(req, egov_ec_http_status(ec), &a, NULL, ec, field, &in);
        return;
    }
    json_t *issued = issued_json(&a, &rec, pem);
    egov_free(pem);
    render(req, 201, &a, issued, EGOV_EC_NONE, NULL, &in);
}
