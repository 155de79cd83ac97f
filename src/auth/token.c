/*
 * token.c -- the token endpoint (authorization_code with PKCE,
 * refresh_token with rotation and reuse detection, client_credentials),
 * access-token verification, revocation (RFC 7009) and introspection
 * (RFC 7662).
 *
 * A grant is what one authorization produced: the code, the refresh
 * tokens that follow from it (one family) and the access tokens, which
 * carry its id in "gid".  Revoking the grant revokes them all; a second
 * use of a code or of a rotated refresh token does exactly that.
 */
#include <stdio.h>
#include <string.h>

#include "accounting/accounting.h"
#include "auth/auth_int.h"

static const struct egov_db_stmt st_code_get = {
    "oidc_code_get",
    "SELECT client_id, principal_id, session_id, redirect_uri, scope, COALESCE(nonce, ''),"
    " COALESCE(code_challenge, ''), auth_time, acr, amr, claims, expires_at,"
    " COALESCE(used_at, 0), grant_id FROM oidc_code WHERE hash = $1",
    NULL};
static const struct egov_db_stmt st_code_use = {
    "oidc_code_use", "UPDATE oidc_code SET used_at = $2 WHERE hash = $1 AND used_at IS NULL", NULL};
static const struct egov_db_stmt st_grant_insert = {
    "oidc_grant_insert",
    "INSERT INTO oidc_grant (id, client_id, principal_id, session_id, scope, auth_time, acr, amr,"
    " claims, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    NULL};
static const struct egov_db_stmt st_grant_revoke = {
    "oidc_grant_revoke",
    "UPDATE oidc_grant SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL", NULL};
static const struct egov_db_stmt st_refresh_insert = {
    "oidc_refresh_insert",
    "INSERT INTO oidc_refresh (hash, grant_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    NULL};
static const struct egov_db_stmt st_refresh_get = {
    "oidc_refresh_get",
    "SELECT r.grant_id, r.expires_at, COALESCE(r.used_at, 0), g.client_id, g.principal_id,"
    " g.session_id, g.scope, g.auth_time, g.acr, g.amr, g.claims, COALESCE(g.revoked_at, 0)"
    " FROM oidc_refresh r JOIN oidc_grant g ON g.id = r.grant_id WHERE r.hash = $1",
    NULL};
static const struct egov_db_stmt st_refresh_use = {
    "oidc_refresh_use", "UPDATE oidc_refresh SET used_at = $2 WHERE hash = $1 AND used_at IS NULL",
    NULL};
static const struct egov_db_stmt st_revoked_check = {
    "oidc_revoked_check",
    "SELECT 1 FROM oidc_revoked WHERE jti = $1 UNION ALL"
    " SELECT 1 FROM oidc_grant WHERE id = $2 AND revoked_at IS NOT NULL",
    NULL};
static const struct egov_db_stmt st_revoked_insert = {
    "oidc_revoked_insert",
    "INSERT INTO oidc_revoked (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING",
    NULL};
static const struct egov_db_stmt st_revoked_purge = {
    "oidc_revoked_purge", "DELETE FROM oidc_revoked WHERE expires_at < $1", NULL};

static int64_t now_s(void)
{
    return egov_now_us() / 1000000;
}

/* ------------------------------------------------------------------ */
/* Issuing                                                             */
/* ------------------------------------------------------------------ */

/** What a successful grant hands to the token builder. */
struct issued {
    char grant_id[37]; /* "" for client credentials */
    char principal[37];
    char session_id[37];
    char scope[AUTH_SCOPE_MAX];
    char nonce[256];
    char acr[32];
    char amr_json[128];
    int64_t auth_time;
    char refresh[64]; /* new refresh token in clear, "" if none */
    /* contact claims the grant released (OIDC Core 5.4); for the ID token */
    char email[255];
    int email_verified; /* -1: not released */
    char phone[32];
    int phone_verified;
};

/* Takes the contact claims out of a grant's claims (JSON text). */
static void contacts_from(struct issued *is, const char *claims_json)
{
    json_t *cl = claims_json != NULL ? json_loads(claims_json, 0, NULL) : NULL;
    const char *email = json_string_value(json_object_get(cl, "email"));
    const char *phone = json_string_value(json_object_get(cl, "phone_number"));
    is->email[0] = is->phone[0] = '\0';
    is->email_verified = is->phone_verified = -1;
    if (email != NULL && strlen(email) < sizeof is->email) {
        memcpy(is->email, email, strlen(email) + 1);
        is->email_verified = json_is_true(json_object_get(cl, "email_verified"));
    }
    if (phone != NULL && strlen(phone) < sizeof is->phone) {
        memcpy(is->phone, phone, strlen(phone) + 1);
        is->phone_verified = json_is_true(json_object_get(cl, "phone_number_verified"));
    }
    json_decref(cl);
}

/* Builds and sends the token response. */
static void reply_tokens(struct egov_req *req, const struct auth_client *c, const struct issued *is,
                         bool with_id_token)
{
    struct egov_db *db = egov_req_db(req);
    const char *issuer = auth_issuer(req);
    char jti[37];
    char *at = NULL, *idt = NULL;
    json_t *claims = NULL, *idc = NULL, *body = NULL;
    int64_t now = now_s();
    const char *sub = is->principal[0] ? auth_subject(req, c, is->principal) : c->id;
    if (issuer == NULL || sub == NULL)
        goto fail;
    egov_uuid7(jti);
    claims = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "iss", issuer, "sub", sub,
                       "aud", EGOV_AUTH_AUDIENCE, "client_id", c->id, "scope", is->scope, "iat",
                       (json_int_t)now, "nbf", (json_int_t)now, "exp",
                       (json_int_t)(now + AUTH_ACCESS_TTL), "jti", jti);
    if (claims == NULL)
        goto fail;
    if (is->grant_id[0])
        json_object_set_new(claims, "gid", json_string(is->grant_id));
    if (c->agency[0])
        json_object_set_new(claims, "agency", json_string(c->agency));
    if (is->auth_time > 0)
        json_object_set_new(claims, "auth_time", json_integer(is->auth_time));
    at = auth_keys_sign(db, EGOV_JOSE_ES256, claims, "at+jwt");
    if (at == NULL)
        goto fail;
    body = json_pack("{s:s, s:s, s:i, s:s}", "access_token", at, "token_type", "Bearer",
                     "expires_in", AUTH_ACCESS_TTL, "scope", is->scope);
    if (body == NULL)
        goto fail;
    if (is->refresh[0])
        json_object_set_new(body, "refresh_token", json_string(is->refresh));
    if (with_id_token && egov_auth_scope_has(is->scope, "openid")) {
        json_t *amr = json_loads(is->amr_json, 0, NULL);
        idc = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:o}", "iss", issuer, "sub", sub,
                        "aud", c->id, "azp", c->id, "iat", (json_int_t)now, "exp",
                        (json_int_t)(now + AUTH_ID_TOKEN_TTL), "auth_time",
                        (json_int_t)is->auth_time, "acr", is->acr, "amr", amr ? amr : json_array());
        if (idc == NULL)
            goto fail;
        if (is->nonce[0])
            json_object_set_new(idc, "nonce", json_string(is->nonce));
        if (is->session_id[0])
            json_object_set_new(idc, "sid", json_string(is->session_id));
        if (is->email[0] && egov_auth_scope_has(is->scope, "email")) {
            json_object_set_new(idc, "email", json_string(is->email));
            json_object_set_new(idc, "email_verified", json_boolean(is->email_verified > 0));
        }
        if (is->phone[0] && egov_auth_scope_has(is->scope, "phone")) {
            json_object_set_new(idc, "phone_number", json_string(is->phone));
            json_object_set_new(idc, "phone_number_verified", json_boolean(is->phone_verified > 0));
        }
        idt = auth_keys_sign(db, egov_jose_alg_parse(c->id_token_alg), idc, NULL);
        if (idt == NULL)
            goto fail;
        json_object_set_new(body, "id_token", json_string(idt));
    }
    egov_free(at);
    egov_free(idt);
    json_decref(claims);
    json_decref(idc);
    auth_reply_nostore(req, 200, body);
    return;
fail:
    egov_free(at);
    egov_free(idt);
    json_decref(claims);
    json_decref(idc);
    json_decref(body);
    egov_reply_problem(req, EGOV_EC_GENERIC_INTERNAL, NULL, NULL);
}

/* Makes a refresh token for @p grant_id inside the caller's transaction. */
static enum egov_db_qs new_refresh(struct egov_db_conn *c, const char *grant_id, char out[64])
{
    char hash[65];
    if (!egov_random_token(32, out))
        return EGOV_DB_HARD_ERROR;
    auth_hash_hex(out, hash);
    int64_t now = now_s();
    return egov_db_exec(
        c, &st_refresh_insert,
        (struct egov_db_param[]){EGOV_DB_PARAM_TEXT(hash), EGOV_DB_PARAM_TEXT(grant_id),
                                 EGOV_DB_PARAM_INT64(now),
                                 EGOV_DB_PARAM_INT64(now + AUTH_REFRESH_TTL), EGOV_DB_PARAM_END});
}

static enum egov_db_qs revoke_grant(struct egov_db_conn *c, const char *grant_id)
{
    return egov_db_exec(c, &st_grant_revoke,
                        (struct egov_db_param[]){EGOV_DB_PARAM_TEXT(grant_id),
                                                 EGOV_DB_PARAM_INT64(now_s()), EGOV_DB_PARAM_END});
}

static void copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

/* ------------------------------------------------------------------ */
/* authorization_code                                                  */
/* ------------------------------------------------------------------ */

enum grant_outcome { G_OK, G_INVALID, G_REUSED };

struct code_ctx {
    const struct auth_client *client;
    const char *hash, *redirect_uri, *verifier;
    bool want_refresh;
    struct issued is;
    enum grant_outcome outcome;
    const char *why;
};

/* True if @p verifier (RFC 7636: 43..128 unreserved characters) hashes to @p challenge. */
static bool pkce_ok(const char *verifier, const char *challenge)
{
    size_t n = strlen(verifier);
    if (n < 43 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = verifier[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '.' || ch == '_' || ch == '~'))
            return false;
    }
    uint8_t h[EGOV_SHA256_LEN];
    char enc[64];
    if (!egov_sha256(verifier, n, h))
        return false;
    size_t el = egov_base64url_encode(h, sizeof(h), enc);
    return strlen(challenge) == el && egov_ct_equal(enc, challenge, el);
}

static enum egov_db_qs code_body(struct egov_db_conn *c, void *cls)
{
    struct code_ctx *x = cls;
    struct egov_db_rows *rows = NULL;
    x->outcome = G_INVALID;
    x->is.refresh[0] = '\0';
    enum egov_db_qs qs = egov_db_query(
        c, &st_code_get, (struct egov_db_param[]){EGOV_DB_PARAM_TEXT(x->hash), EGOV_DB_PARAM_END},
        &rows);
    if (qs < 0)
        return qs;
    if (qs == EGOV_DB_NO_ROW) {
        x->why = "the code is unknown";
        egov_db_rows_free(rows);
        return EGOV_DB_NO_ROW;
    }
    const char *client_id = egov_db_rows_text(rows, 0, 0);
    const char *grant_id = egov_db_rows_text(rows, 0, 13);
    int64_t used = egov_db_rows_int64(rows, 0, 12);
    if (used != 0) {
        /* a code used twice: someone replays it; revoke what the first use got */
        x->outcome = G_REUSED;
        x->why = "the code was already used; the tokens issued for it are revoked";
        qs = revoke_grant(c, grant_id);
        egov_db_rows_free(rows);
        return qs < 0 ? qs : EGOV_DB_ONE_ROW; /* commit the revocation */
    }
    const char *challenge = egov_db_rows_text(rows, 0, 6);
    if (strcmp(client_id, x->client->id) != 0) {
        x->why = "the code was issued to another client";
    } else if (egov_db_rows_int64(rows, 0, 11) <= now_s()) {
        x->why = "the code has expired";
    } else if (x->redirect_uri == NULL ||
               strcmp(x->redirect_uri, egov_db_rows_text(rows, 0, 3)) != 0) {
        x->why = "redirect_uri differs from the one in the authorization request";
    } else if (challenge[0] != '\0' && (x->verifier == NULL || !pkce_ok(x->verifier, challenge))) {
        x->why = "code_verifier does not match the code_challenge";
    } else if (challenge[0] == '\0' && x->verifier != NULL) {
        x->why = "code_verifier given but the authorization request had no code_challenge";
    } else {
        x->outcome = G_OK;
    }
    if (x->outcome != G_OK) {
        egov_db_rows_free(rows);
        return EGOV_DB_NO_ROW;
    }
    copy(x->is.grant_id, sizeof(x->is.grant_id), grant_id);
    copy(x->is.principal, sizeof(x->is.principal), egov_db_rows_text(rows, 0, 1));
    copy(x->is.session_id, sizeof(x->is.session_id), egov_db_rows_text(rows, 0, 2));
    copy(x->is.scope, sizeof(x->is.scope), egov_db_rows_text(rows, 0, 4));
    copy(x->is.nonce, sizeof(x->is.nonce), egov_db_rows_text(rows, 0, 5));
    x->is.auth_time = egov_db_rows_int64(rows, 0, 7);
    copy(x->is.acr, sizeof(x->is.acr), egov_db_rows_text(rows, 0, 8));
    copy(x->is.amr_json, sizeof(x->is.amr_json), egov_db_rows_text(rows, 0, 9));
    const char *claims = egov_db_rows_text(rows, 0, 10);
    contacts_from(&x->is, claims);
    int64_t now = now_s();
    qs = egov_db_exec(c, &st_code_use,
                      (struct egov_db_param[]){EGOV_DB_PARAM_TEXT(x->hash),
                                               EGOV_DB_PARAM_INT64(now), EGOV_DB_PARAM_END});
    if (qs == EGOV_DB_NO_ROW)
        qs = EGOV_DB_SOFT_ERROR; /* lost a race with another use of the code: retry and see */
    if (qs == EGOV_DB_ONE_ROW)
        qs = egov_db_exec(c, &st_grant_insert,
                          (struct egov_db_param[]){
                              EGOV_DB_PARAM_TEXT(x->is.grant_id), EGOV_DB_PARAM_TEXT(client_id),
                              EGOV_DB_PARAM_TEXT(x->is.principal),
                              EGOV_DB_PARAM_TEXT(x->is.session_id), EGOV_DB_PARAM_TEXT(x->is.scope),
                              EGOV_DB_PARAM_INT64(x->is.auth_time), EGOV_DB_PARAM_TEXT(x->is.acr),
                              EGOV_DB_PARAM_TEXT(x->is.amr_json), EGOV_DB_PARAM_TEXT(claims),
                              EGOV_DB_PARAM_INT64(now), EGOV_DB_PARAM_END});
    egov_db_rows_free(rows);
    if (qs >= 0 && x->want_refresh)
        qs = new_refresh(c, x->is.grant_id, x->is.refresh);
    if (qs >= 0)
        qs = egov_accounting_record(c, EGOV_ACCOUNTING_TOKEN, x->is.principal,
                                    x->client->agency[0] ? x->client->agency : NULL, x->client->id,
                                    1);
    return qs;
}

static void grant_code(struct egov_req *req, const struct auth_client *c)
{
    const char *code = auth_param(req, "code");
    struct code_ctx x;
    memset(&x, 0, sizeof(x));
    if (code == NULL || code[0] == '\0') {
        auth_reply_oauth_error(req, 400, "invalid_request", "code is missing");
        return;
    }
    char hash[65];
    auth_hash_hex(code, hash);
    x.client = c;
    x.hash = hash;
    x.redirect_uri = auth_param(req, "redirect_uri");
    x.verifier = auth_param(req, "code_verifier");
    x.want_refresh = auth_client_grant_ok(c, "refresh_token");
    enum egov_db_qs qs = auth_write(egov_req_db(req), code_body, &x);
    if (qs < 0) {
        egov_reply_problem(req, EGOV_EC_DB_SOFT_ERROR, NULL, NULL);
        return;
    }
    if (x.outcome != G_OK) {
        EGOV_CLIENT_FAULT("authorization code refused: %s", x.why);
        auth_reply_oauth_error(req, 400, "invalid_grant", x.why);
        return;
    }
    reply_tokens(req, c, &x.is, true);
}

/* ------------------------------------------------------------------ */
/* refresh_token                                                       */
/* ------------------------------------------------------------------ */

struct refresh_ctx {
    const struct auth_client *client;
    const char *hash, *scope;
    struct issued is;
    enum grant_outcome outcome;
    const char *why;
};

/* True if every scope of @p want is in @p have. */
static bool scope_subset(const char *want, const char *have)
{
    char buf[AUTH_SCOPE_MAX];
    if (strlen(want) >= sizeof(buf))
        return false;
    snprintf(buf, sizeof(buf), "%s", want);
    char *save = NULL;
    for (char *t = strtok_r(buf, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save))
        if (!egov_auth_scope_has(have, t))
            return false;
    return true;
}

static enum egov_db_qs refresh_body(struct egov_db_conn *c, void *cls)
{
    struct refresh_ctx *x = cls;
    struct egov_db_rows *rows = NULL;
    x->outcome = G_INVALID;
    x->is.refresh[0] = '\0';
    enum egov_db_qs qs = egov_db_query(
        c, &st_refresh_get,
        (struct egov_db_param[]){EGOV_DB_PARAM_TEXT(x->hash), EGOV_DB_PARAM_END}, &rows);
    if (qs < 0)
        return qs;
    if (qs == EGOV_DB_NO_ROW) {
        x->why = "the refresh token is unknown";
        egov_db_rows_free(rows);
        return EGOV_DB_NO_ROW;
    }
    const char *grant_id = egov_db_rows_text(rows, 0, 0);
    const char *client_id = egov_db_rows_text(rows, 0, 3);
    if (strcmp(client_id, x->client->id) != 0) {
        x->why = "the refresh token was issued to another client";
    } else if (egov_db_rows_int64(rows, 0, 11) != 0) {
        x->why = "the grant has been revoked";
    } else if (egov_db_rows_int64(rows, 0, 2) != 0) {
        /* a rotated token came back: the family may be stolen, end it */
        x->outcome = G_REUSED;
        x->why = "the refresh token was already used; every token of this grant is revoked";
        qs = revoke_grant(c, grant_id);
        egov_db_rows_free(rows);
        return qs < 0 ? qs : EGOV_DB_ONE_ROW;
    } else if (egov_db_rows_int64(rows, 0, 1) <= now_s()) {
        x->why = "the refresh token has expired";
    } else if (x->scope != NULL && !scope_subset(x->scope, egov_db_rows_text(rows, 0, 6))) {
        x->why = "the scope asks for more than the grant holds";
    } else {
        x->outcome = G_OK;
    }
    if (x->outcome != G_OK) {
        egov_db_rows_free(rows);
        return EGOV_DB_NO_ROW;
    }
    copy(x->is.grant_id, sizeof(x->is.grant_id), grant_id);
    copy(x->is.principal, sizeof(x->is.principal), egov_db_rows_text(rows, 0, 4));
    copy(x->is.session_id, sizeof(x->is.session_id), egov_db_rows_text(rows, 0, 5));
    copy(x->is.scope, sizeof(x->is.scope), x->scope ? x->scope : egov_db_rows_text(rows, 0, 6));
    x->is.auth_time = egov_db_rows_int64(rows, 0, 7);
    copy(x->is.acr, sizeof(x->is.acr), egov_db_rows_text(rows, 0, 8));
    copy(x->is.amr_json, sizeof(x->is.amr_json), egov_db_rows_text(rows, 0, 9));
    contacts_from(&x->is, egov_db_rows_text(rows, 0, 10));
    egov_db_rows_free(rows);
    qs = egov_db_exec(c, &st_refresh_use,
                      (struct egov_db_param[]){EGOV_DB_PARAM_TEXT(x->hash),
                                               EGOV_DB_PARAM_INT64(now_s()), EGOV_DB_PARAM_END});
    if (qs == EGOV_DB_NO_ROW)
        return EGOV_DB_SOFT_ERROR;
    if (qs < 0)
        return qs;
    qs = new_refresh(c, x->is.grant_id, x->is.refresh);
    if (qs >= 0)
        qs = egov_accounting_record(c, EGOV_ACCOUNTING_TOKEN, x->is.principal,
                                    x->client->agency[0] ? x->client->agency : NULL, x->client->id,
                                    1);
    return qs;
}

static void grant_refresh(struct egov_req *req, const struct auth_client *c)
{
    const char *token = auth_param(req, "refresh_token");
    struct refresh_ctx x;
    memset(&x, 0, sizeof(x));
    if (token == NULL || token[0] == '\0') {
        auth_reply_oauth_error(req, 400, "invalid_request", "refresh_token is missing");
        return;
    }
    char hash[65];
    auth_hash_hex(token, hash);
    x.client = c;
    x.hash = hash;
    x.scope = auth_param(req, "scope");
    if (x.scope != NULL && x.scope[0] == '\0')
        x.scope = NULL;
    enum egov_db_qs qs = auth_write(egov_req_db(req), refresh_body, &x);
    if (qs < 0) {
        egov_reply_problem(req, EGOV_EC_DB_SOFT_ERROR, NULL, NULL);
        return;
    }
    if (x.outcome != G_OK) {
        EGOV_CLIENT_FAULT("refresh token refused: %s", x.why);
        auth_reply_oauth_error(req, 400, "invalid_grant", x.why);
        return;
    }
    reply_tokens(req, c, &x.is, true);
}

/* ------------------------------------------------------------------ */
/* client_credentials                                                  */
/* ------------------------------------------------------------------ */

static void grant_client_credentials(struct egov_req *req, const struct auth_client *c)
{
    struct issued is;
    memset(&is, 0, sizeof(is));
    const char *scope = auth_param(req, "scope");
    if (scope != NULL) {
        if (strlen(scope) >= sizeof(is.scope) || !scope_subset(scope, c->scope) ||
            egov_auth_scope_has(scope, "openid")) {
            auth_reply_oauth_error(req, 400, "invalid_scope",
                                   "the scope is not registered for this client");
            return;
        }
        copy(is.scope, sizeof(is.scope), scope);
    }
    reply_tokens(req, c, &is, false);
    if (req->status == 200)
        auth_usage_count(c->id, c->agency, 1);
}

void auth_handle_token(struct egov_req *req)
{
    struct auth_client c;
    const char *gt = auth_param(req, "grant_type");
    if (req->form == NULL) {
        auth_reply_oauth_error(req, 400, "invalid_request",
                               "send the parameters as application/x-www-form-urlencoded");
        return;
    }
    if (gt == NULL) {
        auth_reply_oauth_error(req, 400, "invalid_request", "grant_type is missing");
        return;
    }
    if (strcmp(gt, "authorization_code") != 0 && strcmp(gt, "refresh_token") != 0 &&
        strcmp(gt, "client_credentials") != 0) {
        auth_reply_oauth_error(req, 400, "unsupported_grant_type", NULL);
        return;
    }
    if (!auth_client_authenticate(req, &c))
        return;
    if (!auth_client_grant_ok(&c, gt)) {
        auth_reply_oauth_error(req, 400, "unauthorized_client",
                               "this grant type is not registered for the client");
    } else if (strcmp(gt, "authorization_code") == 0) {
        grant_code(req, &c);
    } else if (strcmp(gt, "refresh_token") == 0) {
        grant_refresh(req, &c);
    } else {
        grant_client_credentials(req, &c);
    }
    auth_client_clear(&c);
}

/* ------------------------------------------------------------------ */
/* Verification, revocation, introspection                             */
/* ------------------------------------------------------------------ */

/* Verifies an access token; on OK fills @p claims and, if not NULL, @p payload. */
static enum egov_auth_status verify(struct egov_db *db, const char *token,
                                    struct egov_auth_claims *claims, json_t **payload)
{
    char err[160];
    json_t *h = NULL, *cl = NULL;
    struct egov_auth_claims tmp;
    if (claims == NULL)
        claims = &tmp;
    memset(claims, 0, sizeof(*claims));
    if (payload != NULL)
        *payload = NULL;
    if (token == NULL || !egov_jose_decode(token, &h, &cl)) {
        json_decref(h);
        json_decref(cl);
        return EGOV_AUTH_MALFORMED;
    }
    const char *typ = json_string_value(json_object_get(h, "typ"));
    bool at = typ != NULL && strcmp(typ, "at+jwt") == 0;
    json_decref(h);
    json_decref(cl);
    if (!at)
        return EGOV_AUTH_MALFORMED; /* e.g. an ID token offered as an access token */
    json_t *p = auth_keys_verify(db, token, err, sizeof(err));
    if (p == NULL)
        return EGOV_AUTH_MALFORMED;
    enum egov_auth_status st = EGOV_AUTH_OK;
    const char *aud = json_string_value(json_object_get(p, "aud"));
    const char *jti = json_string_value(json_object_get(p, "jti"));
    const char *gid = json_string_value(json_object_get(p, "gid"));
    json_t *exp = json_object_get(p, "exp");
    if (aud == NULL || strcmp(aud, EGOV_AUTH_AUDIENCE) != 0 || jti == NULL ||
        !json_is_integer(exp)) {
        st = EGOV_AUTH_MALFORMED;
        goto done;
    }
    if (json_integer_value(exp) <= now_s()) {
        st = EGOV_AUTH_EXPIRED;
        goto done;
    }
    struct egov_db_rows *rows = NULL;
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    enum egov_db_qs qs =
        c ? egov_db_query(c, &st_revoked_check,
                          (struct egov_db_param[]){EGOV_DB_PARAM_TEXT(jti),
                                                   EGOV_DB_PARAM_TEXT(gid ? gid : ""),
                                                   EGOV_DB_PARAM_END},
                          &rows)
          : EGOV_DB_SOFT_ERROR;
    egov_db_release(c);
    egov_db_rows_free(rows);
    if (qs < 0) {
        st = EGOV_AUTH_ERROR;
        goto done;
    }
    if (qs > 0) {
        st = EGOV_AUTH_REVOKED;
        goto done;
    }
    copy(claims->iss, sizeof(claims->iss), json_string_value(json_object_get(p, "iss")));
    copy(claims->sub, sizeof(claims->sub), json_string_value(json_object_get(p, "sub")));
    copy(claims->client_id, sizeof(claims->client_id),
         json_string_value(json_object_get(p, "client_id")));
    copy(claims->agency, sizeof(claims->agency), json_string_value(json_object_get(p, "agency")));
    copy(claims->scope, sizeof(claims->scope), json_string_value(json_object_get(p, "scope")));
    copy(claims->jti, sizeof(claims->jti), jti);
    claims->iat = json_integer_value(json_object_get(p, "iat"));
    claims->exp = json_integer_value(exp);
    claims->client_only = gid == NULL;
done:
    if (st == EGOV_AUTH_OK && payload != NULL)
        *payload = p;
    else
        json_decref(p);
    return st;
}

enum egov_auth_status egov_auth_token_verify(struct egov_db *db, const char *token,
                                             struct egov_auth_claims *claims)
{
    return verify(db, token, claims, NULL);
}

/** Verifies and returns the payload too (for userinfo). */
enum egov_auth_status auth_token_verify_payload(struct egov_db *db, const char *token,
                                                struct egov_auth_claims *claims, json_t **payload);
enum egov_auth_status auth_token_verify_payload(struct egov_db *db, const char *token,
                                                struct egov_auth_claims *claims, json_t **payload)
{
    return verify(db, token, claims, payload);
}

struct revoke_ctx {
    const char *hash; /* refresh token hash, or NULL */
    const char *client_id;
    const char *jti; /* access token jti, or NULL */
    int64_t exp;
};

static enum egov_db_qs revoke_body(struct egov_db_conn *c, void *cls)
{
    struct revoke_ctx *x = cls;
    enum egov_db_qs qs;
    if (x->jti != NULL) {
        qs =
            egov_db_exec(c, &st_revoked_purge,
                         (struct egov_db_param[]){EGOV_DB_PARAM_INT64(now_s()), EGOV_DB_PARAM_END});
        if (qs < 0)
            return qs;
        return egov_db_exec(c, &st_revoked_insert,
                            (struct egov_db_param[]){EGOV_DB_PARAM_TEXT(x->jti),
                                                     EGOV_DB_PARAM_INT64(x->exp),
                                                     EGOV_DB_PARAM_END});
    }
    struct egov_db_rows *rows = NULL;
    qs = egov_db_query(c, &st_refresh_get,
                       (struct egov_db_param[]){EGOV_DB_PARAM_TEXT(x->hash), EGOV_DB_PARAM_END},
                       &rows);
    if (qs == EGOV_DB_ONE_ROW && strcmp(egov_db_rows_text(rows, 0, 3), x->client_id) == 0)
        qs = revoke_grant(c, egov_db_rows_text(rows, 0, 0));
    egov_db_rows_free(rows);
    return qs;
}

void auth_handle_revoke(struct egov_req *req)
{
    struct auth_client c;
    const char *token = auth_param(req, "token");
    if (req->form == NULL || token == NULL) {
        auth_reply_oauth_error(req, 400, "invalid_request", "token is missing");
        return;
    }
    if (!auth_client_authenticate(req, &c))
        return;
    struct revoke_ctx x = {NULL, c.id, NULL, 0};
    struct egov_auth_claims cl;
    char hash[65];
    enum egov_auth_status st = verify(egov_req_db(req), token, &cl, NULL);
    if (st == EGOV_AUTH_ERROR) {
        auth_client_clear(&c);
        egov_reply_problem(req, EGOV_EC_DB_SOFT_ERROR, NULL, NULL);
        return;
    }
    if (st == EGOV_AUTH_OK) {
        if (strcmp(cl.client_id, c.id) != 0)
            goto done; /* not this client's token: nothing to do (RFC 7009 2.2) */
        x.jti = cl.jti;
        x.exp = cl.exp;
    } else {
        auth_hash_hex(token, hash);
        x.hash = hash;
    }
    if (st == EGOV_AUTH_OK || st == EGOV_AUTH_MALFORMED) {
        enum egov_db_qs qs = auth_write(egov_req_db(req), revoke_body, &x);
        if (qs < 0) {
            auth_client_clear(&c);
            egov_reply_problem(req, EGOV_EC_DB_SOFT_ERROR, NULL, NULL);
            return;
        }
    }
done:
    auth_client_clear(&c);
    auth_reply_nostore(req, 200, json_object());
}

void auth_handle_introspect(struct egov_req *req)
{
    struct auth_client c;
    const char *token = auth_param(req, "token");
    if (req->form == NULL || token == NULL) {
        auth_reply_oauth_error(req, 400, "invalid_request", "token is missing");
        return;
    }
    if (!auth_client_authenticate(req, &c))
        return;
    json_t *payload = NULL;
    struct egov_auth_claims cl;
    enum egov_auth_status st = verify(egov_req_db(req), token, &cl, &payload);
    if (st == EGOV_AUTH_ERROR) {
        auth_client_clear(&c);
        egov_reply_problem(req, EGOV_EC_DB_SOFT_ERROR, NULL, NULL);
        return;
    }
    json_t *body = NULL;
    if (st == EGOV_AUTH_OK) {
        body = json_pack("{s:b, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s}", "active", 1, "scope",
                         cl.scope, "client_id", cl.client_id, "sub", cl.sub, "aud",
                         EGOV_AUTH_AUDIENCE, "iat", (json_int_t)cl.iat, "exp", (json_int_t)cl.exp,
                         "iss", cl.iss, "jti", cl.jti, "token_type", "Bearer");
    } else if (st == EGOV_AUTH_MALFORMED) {
        /* perhaps a refresh token of this client */
        char hash[65];
        struct egov_db_rows *rows = NULL;
        auth_hash_hex(token, hash);
        struct egov_db_conn *conn = egov_db_acquire(egov_req_db(req), 5000);
        enum egov_db_qs qs =
            conn ? egov_db_query(
                       conn, &st_refresh_get,
                       (struct egov_db_param[]){EGOV_DB_PARAM_TEXT(hash), EGOV_DB_PARAM_END}, &rows)
                 : EGOV_DB_SOFT_ERROR;
        egov_db_release(conn);
        if (qs == EGOV_DB_ONE_ROW && strcmp(egov_db_rows_text(rows, 0, 3), c.id) == 0 &&
            egov_db_rows_int64(rows, 0, 2) == 0 && egov_db_rows_int64(rows, 0, 11) == 0 &&
            egov_db_rows_int64(rows, 0, 1) > now_s()) {
            const char *sub = auth_subject(req, &c, egov_db_rows_text(rows, 0, 4));
            body = json_pack("{s:b, s:s, s:s, s:s, s:I, s:s}", "active", 1, "scope",
                             egov_db_rows_text(rows, 0, 6), "client_id", c.id, "sub",
                             sub ? sub : "", "exp", (json_int_t)egov_db_rows_int64(rows, 0, 1),
                             "token_type", "refresh_token");
        }
        egov_db_rows_free(rows);
        if (qs < 0) {
            auth_client_clear(&c);
            egov_reply_problem(req, EGOV_EC_DB_SOFT_ERROR, NULL, NULL);
            return;
        }
    }
    if (body == NULL)
        body = json_pack("{s:b}", "active", 0);
    json_decref(payload);
    auth_client_clear(&c);
    auth_reply_nostore(req, 200, body);
}
