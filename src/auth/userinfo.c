/*
 * userinfo.c -- the UserInfo endpoint (GET or POST; the access token in
 * the Authorization header, or in the form body of a POST, RFC 6750),
 * the discovery document and the JWKS.
 */
#include <stdio.h>
#include <string.h>

#include "auth/auth_int.h"

enum egov_auth_status auth_token_verify_payload(struct egov_db *db, const char *token,
                                                struct egov_auth_claims *claims, json_t **payload);

static const struct egov_db_stmt st_grant_claims = {
    "oidc_grant_claims", "SELECT claims FROM oidc_grant WHERE id = $1 AND revoked_at IS NULL",
    NULL};

static void bearer_error(struct egov_req *req, const char *error, const char *desc)
{
    char h[256];
    if (error != NULL)
        snprintf(h, sizeof(h), "Bearer realm=\"egov\", error=\"%s\"", error);
    else
        snprintf(h, sizeof(h), "Bearer realm=\"egov\"");
    egov_reply_header(req, "WWW-Authenticate", h);
    json_t *body = json_pack("{s:s}", "error", error ? error : "invalid_request");
    if (body != NULL && desc != NULL)
        json_object_set_new(body, "error_description", json_string(desc));
    auth_reply_nostore(req, error != NULL && strcmp(error, "insufficient_scope") == 0 ? 403 : 401,
                       body);
}

void auth_handle_userinfo(struct egov_req *req)
{
    const char *token = NULL;
    const char *h = egov_req_header(req, "Authorization");
    const char *form_token =
        req->form ? json_string_value(json_object_get(req->form, "access_token")) : NULL;
    if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0) {
        token = h + 7;
        while (*token == ' ')
            token++;
    }
    if (token != NULL && form_token != NULL) {
        bearer_error(req, "invalid_request", "send the token in one place only");
        return;
    }
    if (token == NULL)
        token = form_token;
    if (token == NULL || token[0] == '\0') {
        bearer_error(req, NULL, "an access token is required");
        return;
    }
    struct egov_auth_claims cl;
    json_t *payload = NULL;
    enum egov_auth_status st = auth_token_verify_payload(egov_req_db(req), token, &cl, &payload);
    if (st == EGOV_AUTH_ERROR) {
        egov_reply_problem(req, EGOV_EC_DB_SOFT_ERROR, NULL, NULL);
        return;
    }
    if (st != EGOV_AUTH_OK) {
        bearer_error(req, "invalid_token",
                     st == EGOV_AUTH_EXPIRED   ? "the access token has expired"
                     : st == EGOV_AUTH_REVOKED ? "the access token has been revoked"
                                               : "the access token is not valid");
        return;
    }
    const char *gid = json_string_value(json_object_get(payload, "gid"));
    if (cl.client_only || gid == NULL || !egov_auth_scope_has(cl.scope, "openid")) {
        json_decref(payload);
        bearer_error(req, "insufficient_scope", "the token was not issued with scope openid");
        return;
    }
    struct egov_db_rows *rows = NULL;
    struct egov_db_conn *c = egov_db_acquire(egov_req_db(req), 5000);
    enum egov_db_qs qs =
        c ? egov_db_query(c, &st_grant_claims,
                          (struct egov_db_param[]){EGOV_DB_PARAM_TEXT(gid), EGOV_DB_PARAM_END},
                          &rows)
          : EGOV_DB_SOFT_ERROR;
    egov_db_release(c);
    json_decref(payload);
    if (qs < 0) {
        egov_db_rows_free(rows);
        egov_reply_problem(req, EGOV_EC_DB_SOFT_ERROR, NULL, NULL);
        return;
    }
    json_t *body = NULL;
    if (qs == EGOV_DB_ONE_ROW)
        body = json_loads(egov_db_rows_text(rows, 0, 0), 0, NULL);
    egov_db_rows_free(rows);
    if (qs == EGOV_DB_NO_ROW) {
        bearer_error(req, "invalid_token", "the grant has been revoked");
        return;
    }
    if (!json_is_object(body)) {
        json_decref(body);
        body = json_object();
    }
    /* release only what the token's scope covers */
    if (!egov_auth_scope_has(cl.scope, "profile")) {
        json_object_del(body, "name");
        json_object_del(body, "birthdate");
        json_object_del(body, "gender");
    }
    if (!egov_auth_scope_has(cl.scope, "address"))
        json_object_del(body, "address");
    if (!egov_auth_scope_has(cl.scope, "email")) {
        json_object_del(body, "email");
        json_object_del(body, "email_verified");
    }
    if (!egov_auth_scope_has(cl.scope, "phone")) {
        json_object_del(body, "phone_number");
        json_object_del(body, "phone_number_verified");
    }
    if (!egov_auth_scope_has(cl.scope, AUTH_SCOPE_NATIONAL_ID))
        json_object_del(body, "national_id");
    json_object_set_new(body, "sub", json_string(cl.sub));
    auth_reply_nostore(req, 200, body);
}

void auth_handle_discovery(struct egov_req *req)
{
    const char *iss = auth_issuer(req);
    if (iss == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_BAD_REQUEST, "Host", "the Host header is invalid");
        return;
    }
#define U(path) egov_arena_printf(req->arena, "%s" path, iss)
    json_t *d = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
        " s:[s], s:[s], s:[s,s,s], s:[s,s], s:[s,s], s:[s,s,s,s],"
        " s:[s,s,s,s,s,s,s], s:[s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s], s:[s], s:[s,s,s],"
        " s:[s,s], s:[s,s], s:b, s:b, s:b, s:b, s:b, s:[s,s,s]}",
        "issuer", iss, "authorization_endpoint", U("/oidc/authorize"), "token_endpoint",
        U("/oidc/token"), "userinfo_endpoint", U("/oidc/userinfo"), "jwks_uri", U("/oidc/jwks"),
        "revocation_endpoint", U("/oidc/revoke"), "introspection_endpoint", U("/oidc/introspect"),
        "end_session_endpoint", U("/oidc/logout"), "service_documentation", U("/"),
        "response_types_supported", "code", "response_modes_supported", "query",
        "grant_types_supported", "authorization_code", "refresh_token", "client_credentials",
        "subject_types_supported", "pairwise", "public", "id_token_signing_alg_values_supported",
        "RS256", "ES256", "token_endpoint_auth_methods_supported", "client_secret_basic",
        "client_secret_post", "private_key_jwt", "none", "scopes_supported", "openid", "profile",
        "email", "address", "phone", "offline_access", AUTH_SCOPE_NATIONAL_ID, "claims_supported",
        "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "sid", "name",
        "birthdate", "gender", "address", "national_id", "email", "email_verified", "phone_number",
        "phone_number_verified", "code_challenge_methods_supported", "S256", "acr_values_supported",
        "urn:egov:loa:1", "urn:egov:loa:2", "urn:egov:loa:3", "ui_locales_supported", "zh-TW", "en",
        "token_endpoint_auth_signing_alg_values_supported", "RS256", "ES256",
        "request_parameter_supported", 0, "request_uri_parameter_supported", 0,
        "claims_parameter_supported", 0, "authorization_response_iss_parameter_supported", 1,
        "frontchannel_logout_supported", 0, "prompt_values_supported", "none", "login", "consent");
#undef U
    if (d != NULL) {
        json_object_set_new(
            d, "revocation_endpoint_auth_methods_supported",
            json_pack("[s,s,s]", "client_secret_basic", "client_secret_post", "private_key_jwt"));
        json_object_set_new(
            d, "introspection_endpoint_auth_methods_supported",
            json_pack("[s,s,s]", "client_secret_basic", "client_secret_post", "private_key_jwt"));
    }
    if (d == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    egov_reply_header(req, "Access-Control-Allow-Origin", "*");
    egov_reply_json(req, 200, d);
}

void auth_handle_jwks(struct egov_req *req)
{
    json_t *jwks = auth_keys_jwks(egov_req_db(req));
    if (jwks == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_INTERNAL, NULL, NULL);
        return;
    }
    egov_reply_header(req, "Access-Control-Allow-Origin", "*");
    char *text = egov_json_dumps(jwks);
    json_decref(jwks);
    if (text == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    egov_reply_bytes(req, 200, "application/json", text, strlen(text));
    egov_free(text);
}
