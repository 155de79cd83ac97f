/*
 * module.c -- the auth module's descriptor: migrations, routes, start-up.
 */
#include "auth/auth_int.h"

static const struct egov_db_migration auth_migrations[] = {
    {1, "OpenID Connect provider",
     "CREATE TABLE oidc_key ("
     " kid TEXT PRIMARY KEY,"
     " alg TEXT NOT NULL CHECK (alg IN ('RS256', 'ES256')),"
     " private_pem TEXT NOT NULL,"
     " public_jwk TEXT NOT NULL,"
     " created_at BIGINT NOT NULL,"
     " sign_from BIGINT NOT NULL,"
     " sign_until BIGINT,"
     " verify_until BIGINT);"
     "CREATE TABLE oidc_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);"
     "CREATE TABLE oidc_client ("
     " id TEXT PRIMARY KEY,"
     " name TEXT NOT NULL,"
     " agency TEXT,"
     " auth_method TEXT NOT NULL,"
     " secret_hash TEXT,"
     " sector TEXT NOT NULL,"
     " subject_type TEXT NOT NULL,"
     " id_token_alg TEXT NOT NULL,"
     " scope TEXT NOT NULL,"
     " redirect_uris TEXT NOT NULL,"
     " post_logout_uris TEXT NOT NULL,"
     " grant_types TEXT NOT NULL,"
     " jwks TEXT,"
     " created_by TEXT,"
     " created_at BIGINT NOT NULL,"
     " disabled_at BIGINT);"
     "CREATE INDEX oidc_client_agency ON oidc_client (agency);"
     "CREATE TABLE oidc_code ("
     " hash TEXT PRIMARY KEY,"
     " client_id TEXT NOT NULL,"
     " principal_id TEXT NOT NULL,"
     " session_id TEXT NOT NULL,"
     " redirect_uri TEXT NOT NULL,"
     " scope TEXT NOT NULL,"
     " nonce TEXT,"
     " code_challenge TEXT,"
     " auth_time BIGINT NOT NULL,"
     " acr TEXT NOT NULL,"
     " amr TEXT NOT NULL,"
     " claims TEXT NOT NULL,"
     " created_at BIGINT NOT NULL,"
     " expires_at BIGINT NOT NULL,"
     " used_at BIGINT,"
     " grant_id TEXT NOT NULL);"
     "CREATE TABLE oidc_grant ("
     " id TEXT PRIMARY KEY,"
     " client_id TEXT NOT NULL,"
     " principal_id TEXT NOT NULL,"
     " session_id TEXT NOT NULL,"
     " scope TEXT NOT NULL,"
     " auth_time BIGINT NOT NULL,"
     " acr TEXT NOT NULL,"
     " amr TEXT NOT NULL,"
     " claims TEXT NOT NULL,"
     " created_at BIGINT NOT NULL,"
     " revoked_at BIGINT);"
     "CREATE INDEX oidc_grant_principal ON oidc_grant (principal_id);"
     "CREATE TABLE oidc_refresh ("
     " hash TEXT PRIMARY KEY,"
     " grant_id TEXT NOT NULL REFERENCES oidc_grant (id),"
     " created_at BIGINT NOT NULL,"
     " expires_at BIGINT NOT NULL,"
     " used_at BIGINT);"
     "CREATE INDEX oidc_refresh_grant ON oidc_refresh (grant_id);"
     "CREATE TABLE oidc_revoked (jti TEXT PRIMARY KEY, expires_at BIGINT NOT NULL);"
     "CREATE TABLE oidc_assertion_jti ("
     " client_id TEXT NOT NULL,"
     " jti TEXT NOT NULL,"
     " expires_at BIGINT NOT NULL,"
     " PRIMARY KEY (client_id, jti));"
     "CREATE INDEX oidc_assertion_jti_exp ON oidc_assertion_jti (expires_at);"
     "CREATE TABLE oidc_consent ("
     " principal_id TEXT NOT NULL,"
     " client_id TEXT NOT NULL,"
     " scope TEXT NOT NULL,"
     " created_at BIGINT NOT NULL,"
     " PRIMARY KEY (principal_id, client_id));",
     NULL},
    {2, "grants by session (revoked at logout)",
     "CREATE INDEX oidc_grant_session ON oidc_grant (session_id);", NULL},
    {0, NULL, NULL, NULL},
};

static const struct egov_db_module_migrations migrations = {"auth", auth_migrations};

static const struct egov_route routes[] = {
    {EGOV_M_GET, "/.well-known/openid-configuration", auth_handle_discovery, 0, 0,
     "oidc-discovery"},
    {EGOV_M_GET, "/oidc/jwks", auth_handle_jwks, 0, 0, "oidc-jwks"},
    {EGOV_M_GET | EGOV_M_POST, "/oidc/authorize", auth_handle_authorize, 16384,
     EGOV_ROUTE_FORM_BODY, "oidc-authorize"},
    {EGOV_M_POST, "/oidc/token", auth_handle_token, 16384, EGOV_ROUTE_FORM_BODY, "oidc-token"},
    {EGOV_M_GET | EGOV_M_POST, "/oidc/userinfo", auth_handle_userinfo, 8192, EGOV_ROUTE_FORM_BODY,
     "oidc-userinfo"},
    {EGOV_M_POST, "/oidc/revoke", auth_handle_revoke, 16384, EGOV_ROUTE_FORM_BODY, "oidc-revoke"},
    {EGOV_M_POST, "/oidc/introspect", auth_handle_introspect, 16384, EGOV_ROUTE_FORM_BODY,
     "oidc-introspect"},
    {EGOV_M_GET | EGOV_M_POST, "/oidc/logout", auth_handle_logout, 16384, EGOV_ROUTE_FORM_BODY,
     "oidc-logout"},
    {EGOV_M_GET, "/api/oidc/clients", auth_handle_clients_api_list, 0, 0, "oidc-clients"},
    {EGOV_M_POST, "/api/oidc/clients", auth_handle_clients_api_create, 65536, EGOV_ROUTE_JSON_BODY,
     "oidc-clients"},
    {EGOV_M_GET | EGOV_M_POST, "/oidc/clients", auth_handle_clients_page, 65536,
     EGOV_ROUTE_FORM_BODY, "oidc-clients-page"},
    {EGOV_M_GET | EGOV_M_POST, "/oidc/consents", auth_handle_consents, 4096, EGOV_ROUTE_FORM_BODY,
     "oidc-consents"},
    EGOV_ROUTE_END,
};

static const struct egov_route_table route_table = {"auth", routes};

static bool auth_init(const struct egov_module_env *env)
{
    auth_set_public_url(env->cfg->public_url);
    if (!auth_keys_init(env->db, env->cfg->vardir)) {
        egov_error("the OpenID Connect signing keys cannot be loaded or created");
        return false;
    }
    if (!auth_pairwise_init(env->db)) {
        egov_error("the pairwise subject secret cannot be loaded or created");
        return false;
    }
    if (!auth_usage_start(env->db)) {
        egov_error("the token usage recorder cannot start");
        return false;
    }
    return true;
}

static void auth_fini(void)
{
    auth_usage_stop();
    auth_keys_fini();
}

static const struct egov_module_cli auth_cli[] = {
    {"oidc", "OpenID Connect: register clients, rotate signing keys", auth_cli_oidc},
    {NULL, NULL, NULL},
};

const struct egov_module egov_auth_module = {
    .name = "auth",
    .migrations = &migrations,
    .routes = &route_table,
    .init = auth_init,
    .fini = auth_fini,
    .cli = auth_cli,
};
