/*
 * admin.c -- client registration by agency administrators (JSON API):
 *   GET  /api/oidc/clients?agency=CODE   the agency's clients
 *   POST /api/oidc/clients               register a client of an agency
 *   GET/POST /oidc/clients?agency=CODE   the same as a page with a form
 * The caller must be signed in and administer the agency (authz).
 */
#include <string.h>

#include "account/account.h"
#include "auth/auth_int.h"
#include "authz/authz.h"

static const struct egov_db_stmt st_clients_of = {
    "oidc_clients_of_agency",
    "SELECT id FROM oidc_client WHERE agency = $1 AND disabled_at IS NULL ORDER BY created_at",
    NULL};

/* Requires a session of an administrator of @p agency; false after replying. */
static bool require_admin(struct egov_req *req, const char *agency, struct egov_account_session *s)
{
    if (!egov_account_require(req, NULL, s))
        return false;
    if (agency == NULL || !egov_authz_is_admin(egov_req_db(req), s->principal_id, agency)) {
        egov_reply_problem(req, EGOV_EC_AUTHZ_NOT_ADMIN, "agency", NULL);
        return false;
    }
    return true;
}

void auth_handle_clients_api_list(struct egov_req *req)
{
    struct egov_account_session s;
    const char *agency = egov_req_query(req, "agency");
    if (agency == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_PARAMETER_MISSING, "agency", NULL);
        return;
    }
    if (!require_admin(req, agency, &s))
        return;
    struct egov_db_rows *rows = NULL;
    struct egov_db_conn *c = egov_db_acquire(egov_req_db(req), 5000);
    enum egov_db_qs qs =
        c ? egov_db_query(c, &st_clients_of,
                          (struct egov_db_param[]){EGOV_DB_PARAM_TEXT(agency), EGOV_DB_PARAM_END},
                          &rows)
          : EGOV_DB_SOFT_ERROR;
    egov_db_release(c);
    if (qs < 0) {
        egov_reply_problem(req, EGOV_EC_DB_SOFT_ERROR, NULL, NULL);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < egov_db_rows_count(rows); i++) {
        struct auth_client cl;
        if (auth_client_load(egov_req_db(req), egov_db_rows_text(rows, i, 0), &cl) ==
            EGOV_DB_ONE_ROW) {
            json_array_append_new(list, auth_client_json(&cl));
            auth_client_clear(&cl);
        }
    }
    egov_db_rows_free(rows);
    egov_reply_json(req, 200, json_pack("{s:s, s:o}", "agency", agency, "clients", list));
}

void auth_handle_clients_api_create(struct egov_req *req)
{
    struct egov_account_session s;
    const char *name = NULL, *agency = NULL, *method = NULL, *scope = NULL, *alg = NULL, *st = NULL;
    json_t *redirects = NULL, *logouts = NULL, *grants = NULL, *jwks = NULL;
    struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_STRING_LEN("client_name", &name, 1, 100),
        EGOV_JSON_SPEC_STRING_LEN("agency", &agency, 1, 60),
        EGOV_JSON_SPEC_ARRAY("redirect_uris", &redirects),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_ARRAY("post_logout_redirect_uris", &logouts)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_ARRAY("grant_types", &grants)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_OBJECT("jwks", &jwks)),
        EGOV_JSON_SPEC_OPTIONAL(
            EGOV_JSON_SPEC_STRING_LEN("token_endpoint_auth_method", &method, 1, 32)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("scope", &scope, 1, 500)),
        EGOV_JSON_SPEC_OPTIONAL(
            EGOV_JSON_SPEC_STRING_LEN("id_token_signed_response_alg", &alg, 1, 8)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("subject_type", &st, 1, 16)),
        EGOV_JSON_SPEC_END,
    };
    if (egov_req_parse_json(req, spec) == NULL)
        return;
    if (!require_admin(req, agency, &s))
        return;
    struct auth_client_new in = {name,
                                 agency,
                                 method,
                                 redirects,
                                 logouts,
                                 grants,
                                 jwks,
                                 scope,
                                 alg,
                                 st,
                                 s.principal_id,
                                 false,
                                 s.account_id,
                                 egov_account_client_addr(req),
                                 req->request_id};
    enum egov_ec ec;
    const char *field = NULL;
    char detail[256];
    json_t *out = auth_client_register(egov_req_db(req), &in, &ec, &field, detail, sizeof(detail));
    if (out == NULL) {
        egov_reply_problem(
            req, ec == EGOV_EC_GENERIC_PARAMETER_MALFORMED ? EGOV_EC_AUTH_CLIENT_INVALID : ec,
            field, detail[0] ? detail : NULL);
        return;
    }
    egov_reply_json(req, 201, out);
}

/* ------------------------------------------------------------------ */
/* Pages: GET /oidc/clients?agency=CODE, POST /oidc/clients             */
/* ------------------------------------------------------------------ */

/* Splits text into an array of its non-empty trimmed lines (new reference). */
static json_t *lines(const char *text)
{
    json_t *arr = json_array();
    if (arr == NULL || text == NULL)
        return arr;
    const char *p = text;
    while (*p) {
        const char *e = p + strcspn(p, "\r\n");
        const char *a = p, *b = e;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (b > a)
            json_array_append_new(arr, json_stringn(a, (size_t)(b - a)));
        p = *e ? e + 1 : e;
    }
    return arr;
}

/* Renders the page: the agency's clients, the form, and @p created or @p problem. */
static void clients_page(struct egov_req *req, unsigned int status, const char *agency,
                         json_t *created, const char *problem_field, const char *problem)
{
    json_t *list = json_array();
    struct egov_db_rows *rows = NULL;
    struct egov_db_conn *c = egov_db_acquire(egov_req_db(req), 5000);
    if (c != NULL)
        egov_db_query(c, &st_clients_of,
                      (struct egov_db_param[]){EGOV_DB_PARAM_TEXT(agency), EGOV_DB_PARAM_END},
                      &rows);
    egov_db_release(c);
    for (size_t i = 0; list != NULL && i < egov_db_rows_count(rows); i++) {
        struct auth_client cl;
        if (auth_client_load(egov_req_db(req), egov_db_rows_text(rows, i, 0), &cl) ==
            EGOV_DB_ONE_ROW) {
            json_t *j = auth_client_json(&cl);
            json_t *uris = json_object_get(j, "redirect_uris");
            json_object_set_new(j, "redirect_list", json_deep_copy(uris));
            json_array_append_new(list, j);
            auth_client_clear(&cl);
        }
    }
    egov_db_rows_free(rows);
    const char *csrf = egov_account_csrf_token(req);
    json_t *data =
        json_pack("{s:s, s:o, s:b, s:s}", "agency", agency, "clients", list, "has_clients",
                  json_array_size(list) > 0, "csrf_token", csrf ? csrf : "");
    if (data != NULL && created != NULL)
        json_object_set_new(data, "created", created);
    else
        json_decref(created);
    if (data != NULL && problem != NULL)
        json_object_set_new(data, "problem",
                            json_pack("{s:s, s:s}", "field", problem_field ? problem_field : "",
                                      "detail", problem));
    egov_reply_view(req, status, "auth/clients", "Applications using the e-Government login", data);
}

void auth_handle_clients_page(struct egov_req *req)
{
    struct egov_account_session s;
    const char *agency = req->form ? json_string_value(json_object_get(req->form, "agency"))
                                   : egov_req_query(req, "agency");
    if (req->form != NULL && !egov_account_csrf_check(req, req->form))
        return;
    if (agency == NULL || agency[0] == '\0' || strlen(agency) > 60) {
        egov_reply_problem(req, EGOV_EC_GENERIC_PARAMETER_MISSING, "agency",
                           "open this page with ?agency=<agency code>");
        return;
    }
    if (!require_admin(req, agency, &s))
        return;
    if (req->form == NULL) {
        clients_page(req, 200, agency, NULL, NULL, NULL);
        return;
    }
    const char *name = json_string_value(json_object_get(req->form, "client_name"));
    const char *method =
        json_string_value(json_object_get(req->form, "token_endpoint_auth_method"));
    const char *jwks_text = json_string_value(json_object_get(req->form, "jwks"));
    json_t *redirects = lines(json_string_value(json_object_get(req->form, "redirect_uris")));
    json_t *logouts =
        lines(json_string_value(json_object_get(req->form, "post_logout_redirect_uris")));
    json_t *jwks = NULL;
    if (jwks_text != NULL && strspn(jwks_text, " \t\r\n") < strlen(jwks_text)) {
        jwks = json_loads(jwks_text, 0, NULL);
        if (!json_is_object(jwks)) {
            json_decref(redirects);
            json_decref(logouts);
            json_decref(jwks);
            clients_page(req, 400, agency, NULL, "jwks", "The JWK set is not valid JSON.");
            return;
        }
    }
    struct auth_client_new in = {name,           agency,
                                 method,         redirects,
                                 logouts,        NULL,
                                 jwks,           NULL,
                                 NULL,           NULL,
                                 s.principal_id, false,
                                 s.account_id,   egov_account_client_addr(req),
                                 req->request_id};
    enum egov_ec ec;
    const char *field = NULL;
    char detail[256];
    json_t *out = auth_client_register(egov_req_db(req), &in, &ec, &field, detail, sizeof(detail));
    json_decref(redirects);
    json_decref(logouts);
    json_decref(jwks);
    if (out == NULL) {
        clients_page(req,
                     egov_ec_http_status(ec == EGOV_EC_GENERIC_PARAMETER_MALFORMED
                                             ? EGOV_EC_AUTH_CLIENT_INVALID
                                             : ec),
                     agency, NULL, field, detail[0] ? detail : egov_ec_hint(ec));
        return;
    }
    clients_page(req, 201, agency, out, NULL, NULL);
}
