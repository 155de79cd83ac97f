/*
 * pages_authz.c -- the authorization administration page for browsers,
 * on top of the authz API (authz sits below account, so its HTML forms,
 * which need sessions and CSRF tokens, live here):
 *
 *   GET  /authz?agency=CODE            roles, members, administrators, grants, audit
 *   POST /authz/roles                  agency, name, permissions ("action resource" per line)
 *   POST /authz/assign                 agency, subject, role_id, assign=1|0
 *   POST /authz/admins                 agency, subject
 *   POST /authz/grants                 agency, consumer, service_id, method, path
 *   POST /authz/grants/revoke          agency, grant_id
 *
 * Only administrators of the agency (or of the platform, agency "*") get
 * anything but 403; the checks are made again inside each change's
 * transaction by the authz module.
 */
#include <stdio.h>
#include <string.h>

#include "account/account_int.h"
#include "account/pages.h"
#include "authz/authz.h"

static void admin_page(struct egov_req *req, const char *agency, unsigned int status,
                       const char *error)
{
    json_t *view =
        agency != NULL ? egov_authz_agency_view(egov_req_db(req), agency) : json_object();
    if (view == NULL) {
        egov_reply_problem(req, EGOV_EC_DB_SOFT_ERROR, NULL, NULL);
        return;
    }
    json_object_set_new(view, "chosen", json_boolean(agency != NULL));
    if (error != NULL)
        json_object_set_new(view, "error", json_string(error));
    account_render(req, status, "authz/admin", "Authorization administration", view, NULL);
}

/* True if @p agency is a plausible agency code (or "*"). */
static bool agency_ok(const char *a)
{
    if (a == NULL || a[0] == '\0' || strlen(a) > 64)
        return false;
    if (strcmp(a, "*") == 0)
        return true;
    for (; *a != '\0'; a++)
        if (!((*a >= 'A' && *a <= 'Z') || (*a >= 'a' && *a <= 'z') || (*a >= '0' && *a <= '9') ||
              *a == '.' || *a == '-' || *a == '_'))
            return false;
    return true;
}

void account_handle_authz_get(struct egov_req *req)
{
    struct egov_account_session s;
    if (!egov_account_require(req, NULL, &s))
        return;
    const char *agency = egov_req_query(req, "agency");
    if (agency == NULL || agency[0] == '\0') {
        admin_page(req, NULL, 200, NULL);
        return;
    }
    if (!agency_ok(agency)) {
        egov_reply_problem(req, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "agency", NULL);
        return;
    }
    if (!egov_authz_is_admin(egov_req_db(req), s.principal_id, agency)) {
        egov_reply_problem(req, EGOV_EC_AUTHZ_NOT_ADMIN, "agency", NULL);
        return;
    }
    admin_page(req, agency, 200, NULL);
}

/* Common start: session, CSRF, a valid agency.  NULL after replying. */
static const char *form_agency(struct egov_req *req, struct egov_account_session *s)
{
    if (!egov_account_require(req, NULL, s) || !egov_account_csrf_check(req, req->form))
        return NULL;
    const char *agency = account_form_str(req->form, "agency");
    if (!agency_ok(agency)) {
        egov_reply_problem(req, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "agency", NULL);
        return NULL;
    }
    return agency;
}

/* After a change: back to the page, or the page with the error. */
static void after(struct egov_req *req, const char *agency, enum egov_ec ec)
{
    if (ec == EGOV_EC_NONE) {
        const char *enc = account_urlencode(req, agency);
        egov_reply_redirect(
            req, egov_arena_printf(req->arena, "/authz?agency=%s", enc != NULL ? enc : ""));
        return;
    }
    if (ec == EGOV_EC_AUTHZ_NOT_ADMIN || ec == EGOV_EC_DB_SOFT_ERROR ||
        ec == EGOV_EC_DB_HARD_ERROR) {
        egov_reply_problem(req, ec, NULL, NULL);
        return;
    }
    admin_page(req, agency, egov_ec_http_status(ec), egov_ec_hint(ec));
}

void account_handle_authz_role(struct egov_req *req)
{
    struct egov_account_session s;
    const char *agency = form_agency(req, &s);
    if (agency == NULL)
        return;
    const char *name = account_form_str(req->form, "name");
    const char *lines = account_form_str(req->form, "permissions");
    json_t *perms = json_array();
    char id[37];
    /* one "action resource" pair per line */
    for (const char *p = lines != NULL ? lines : ""; perms != NULL && *p != '\0';) {
        size_t n = strcspn(p, "\r\n");
        char line[700], action[160], resource[540], extra;
        if (n > 0 && n < sizeof line) {
            memcpy(line, p, n);
            line[n] = '\0';
            int k = sscanf(line, "%159s %539s %c", action, resource, &extra);
            if (k == 2)
                json_array_append_new(
                    perms, json_pack("{s:s, s:s}", "action", action, "resource", resource));
            else if (k != EOF) {
                json_decref(perms);
                perms = NULL;
            }
        } else if (n > 0) {
            json_decref(perms);
            perms = NULL;
        }
        p += n;
        while (*p == '\r' || *p == '\n')
            p++;
    }
    if (perms == NULL) {
        after(req, agency, EGOV_EC_AUTHZ_PATTERN_INVALID);
        return;
    }
    enum egov_ec ec =
        egov_authz_role_create(egov_req_db(req), s.principal_id, agency, name != NULL ? name : "",
                               perms, egov_account_client_addr(req), req->request_id, id, NULL);
    json_decref(perms);
    after(req, agency, ec);
}

void account_handle_authz_assign(struct egov_req *req)
{
    struct egov_account_session s;
    const char *agency = form_agency(req, &s);
    if (agency == NULL)
        return;
    const char *assign = account_form_str(req->form, "assign");
    enum egov_ec ec = egov_authz_assign(
        egov_req_db(req), s.principal_id, account_form_str(req->form, "subject"),
        account_form_str(req->form, "role_id"), assign == NULL || strcmp(assign, "0") != 0,
        egov_account_client_addr(req), req->request_id);
    after(req, agency, ec);
}

void account_handle_authz_admin(struct egov_req *req)
{
    struct egov_account_session s;
    const char *agency = form_agency(req, &s);
    if (agency == NULL)
        return;
    enum egov_ec ec = egov_authz_admin_add(egov_req_db(req), s.principal_id,
                                           account_form_str(req->form, "subject"), agency,
                                           egov_account_client_addr(req), req->request_id);
    after(req, agency, ec);
}

void account_handle_authz_grant(struct egov_req *req)
{
    struct egov_account_session s;
    char id[37];
    const char *agency = form_agency(req, &s);
    if (agency == NULL)
        return;
    enum egov_ec ec = egov_authz_grant_add(
        egov_req_db(req), s.principal_id, account_form_str(req->form, "consumer"),
        account_form_str(req->form, "service_id"), agency, account_form_str(req->form, "method"),
        account_form_str(req->form, "path"), egov_account_client_addr(req), req->request_id, id,
        NULL);
    after(req, agency, ec);
}

void account_handle_authz_revoke(struct egov_req *req)
{
    struct egov_account_session s;
    const char *agency = form_agency(req, &s);
    if (agency == NULL)
        return;
    enum egov_ec ec = egov_authz_grant_revoke(egov_req_db(req), s.principal_id,
                                              account_form_str(req->form, "grant_id"),
                                              egov_account_client_addr(req), req->request_id);
    after(req, agency, ec);
}
