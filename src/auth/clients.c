/*
 * clients.c -- registered OpenID Connect clients: validation, storage,
 * loading.
 *
 * Client secrets are 256-bit random values made here and shown once.
 * The table keeps only their SHA-256: a secret of that entropy cannot be
 * guessed from its hash, so a slow password hash (Argon2) would buy
 * nothing and would cost the token endpoint milliseconds per request.
 */
#include <stdio.h>
#include <string.h>

#include "account/account.h"
#include "auth/auth_int.h"

#define DEFAULT_SCOPE "openid profile email address phone offline_access " AUTH_SCOPE_NATIONAL_ID

static const struct egov_db_stmt st_client_get = {
    "oidc_client_get",
    "SELECT id, name, COALESCE(agency, ''), auth_method, COALESCE(secret_hash, ''), sector,"
    " subject_type, id_token_alg, scope, redirect_uris, post_logout_uris, grant_types, jwks"
    " FROM oidc_client WHERE id = $1 AND disabled_at IS NULL",
    NULL};
static const struct egov_db_stmt st_client_insert = {
    "oidc_client_insert",
    "INSERT INTO oidc_client (id, name, agency, auth_method, secret_hash, sector, subject_type,"
    " id_token_alg, scope, redirect_uris, post_logout_uris, grant_types, jwks, created_by,"
    " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    NULL};

void auth_client_clear(struct auth_client *c)
{
    json_decref(c->redirect_uris);
    json_decref(c->post_logout_uris);
    json_decref(c->grant_types);
    json_decref(c->jwks);
    c->redirect_uris = c->post_logout_uris = c->grant_types = c->jwks = NULL;
}

static void copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

static json_t *load_json(const char *s)
{
    return s != NULL ? json_loads(s, 0, NULL) : NULL;
}

enum egov_db_qs auth_client_load(struct egov_db *db, const char *id, struct auth_client *out)
{
    struct egov_db_rows *rows = NULL;
    memset(out, 0, sizeof(*out));
    if (id == NULL || strlen(id) >= sizeof(out->id))
        return EGOV_DB_NO_ROW;
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    if (c == NULL)
        return EGOV_DB_SOFT_ERROR;
    enum egov_db_qs qs =
        egov_db_query(c, &st_client_get,
                      (struct egov_db_param[]){EGOV_DB_PARAM_TEXT(id), EGOV_DB_PARAM_END}, &rows);
    egov_db_release(c);
    if (qs != EGOV_DB_ONE_ROW) {
        egov_db_rows_free(rows);
        return qs < 0 ? qs : EGOV_DB_NO_ROW;
    }
    copy(out->id, sizeof(out->id), egov_db_rows_text(rows, 0, 0));
    copy(out->name, sizeof(out->name), egov_db_rows_text(rows, 0, 1));
    copy(out->agency, sizeof(out->agency), egov_db_rows_text(rows, 0, 2));
    copy(out->auth_method, sizeof(out->auth_method), egov_db_rows_text(rows, 0, 3));
    copy(out->secret_hash, sizeof(out->secret_hash), egov_db_rows_text(rows, 0, 4));
    copy(out->sector, sizeof(out->sector), egov_db_rows_text(rows, 0, 5));
    copy(out->subject_type, sizeof(out->subject_type), egov_db_rows_text(rows, 0, 6));
    copy(out->id_token_alg, sizeof(out->id_token_alg), egov_db_rows_text(rows, 0, 7));
    copy(out->scope, sizeof(out->scope), egov_db_rows_text(rows, 0, 8));
    out->redirect_uris = load_json(egov_db_rows_text(rows, 0, 9));
    out->post_logout_uris = load_json(egov_db_rows_text(rows, 0, 10));
    out->grant_types = load_json(egov_db_rows_text(rows, 0, 11));
    out->jwks = load_json(egov_db_rows_text(rows, 0, 12));
    egov_db_rows_free(rows);
    if (!json_is_array(out->redirect_uris) || !json_is_array(out->grant_types)) {
        auth_client_clear(out);
        EGOV_BUG("client %s has a malformed row", id);
        return EGOV_DB_HARD_ERROR;
    }
    return EGOV_DB_ONE_ROW;
}

static bool in_array(const json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    if (s == NULL)
        return false;
    json_array_foreach(arr, i, v)
    {
        const char *x = json_string_value(v);
        if (x != NULL && strcmp(x, s) == 0)
            return true;
    }
    return false;
}

bool auth_client_redirect_ok(const struct auth_client *c, const char *uri)
{
    return in_array(c->redirect_uris, uri);
}

bool auth_client_grant_ok(const struct auth_client *c, const char *gt)
{
    return in_array(c->grant_types, gt);
}

/*
 * A redirect URI must be absolute https, or http on a loopback host, with
 * no fragment and no user info.  Writes its host into @p host.
 */
static bool uri_ok(const char *u, char *host, size_t hostlen)
{
    size_t n = strlen(u);
    const char *rest;
    if (n == 0 || n > AUTH_URI_MAX || strchr(u, '#') != NULL)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f || u[i] == '\\' ||
            u[i] == '"' || u[i] == '<' || u[i] == '>')
            return false;
    bool https = strncmp(u, "https://", 8) == 0;
    if (https)
        rest = u + 8;
    else if (strncmp(u, "http://", 7) == 0)
        rest = u + 7;
    else
        return false;
    size_t hl = strcspn(rest, "/?");
    if (hl == 0 || hl >= hostlen || memchr(rest, '@', hl) != NULL)
        return false;
    memcpy(host, rest, hl);
    host[hl] = '\0';
    /* strip a port */
    char *colon = host[0] == '[' ? strstr(host, "]:") : strrchr(host, ':');
    if (colon != NULL)
        colon[host[0] == '[' ? 1 : 0] = '\0';
    if (!https && strcmp(host, "127.0.0.1") != 0 && strcmp(host, "localhost") != 0 &&
        strcmp(host, "[::1]") != 0)
        return false;
    return true;
}

/* Validates an array of URIs; the first one's host goes to @p host. */
static bool uris_ok(const json_t *arr, bool required, char *host, size_t hostlen, char *detail,
                    size_t dlen)
{
    size_t i;
    json_t *v;
    char h[256];
    if (arr == NULL)
        return !required;
    if (!json_is_array(arr) || json_array_size(arr) > AUTH_MAX_URIS ||
        (required && json_array_size(arr) == 0)) {
        snprintf(detail, dlen, "give 1 to %d absolute URIs", AUTH_MAX_URIS);
        return false;
    }
    json_array_foreach(arr, i, v)
    {
        const char *s = json_string_value(v);
        if (s == NULL || !uri_ok(s, h, sizeof(h))) {
            snprintf(detail, dlen,
                     "URI %zu must be https (or http on 127.0.0.1, [::1] or localhost), without "
                     "a fragment or user name",
                     i + 1);
            return false;
        }
        if (i == 0 && host != NULL)
            snprintf(host, hostlen, "%s", h);
    }
    return true;
}

bool auth_client_uris_ok(const json_t *arr, char *host, size_t hostlen, char *detail, size_t dlen)
{
    return uris_ok(arr, true, host, hostlen, detail, dlen);
}

json_t *auth_client_json(const struct auth_client *c)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:O, s:s}", "client_id", c->id,
                          "client_name", c->name, "token_endpoint_auth_method", c->auth_method,
                          "subject_type", c->subject_type, "id_token_signed_response_alg",
                          c->id_token_alg, "scope", c->scope, "redirect_uris", c->redirect_uris,
                          "grant_types", c->grant_types, "sector_identifier", c->sector);
    if (j == NULL)
        return NULL;
    if (c->agency[0] != '\0')
        json_object_set_new(j, "agency", json_string(c->agency));
    if (c->post_logout_uris != NULL)
        json_object_set(j, "post_logout_redirect_uris", c->post_logout_uris);
    if (c->jwks != NULL)
        json_object_set(j, "jwks", c->jwks);
    return j;
}

struct insert_ctx {
    const struct auth_client *c;
    const struct auth_client_new *in;
    char *redirects, *logouts, *grants, *jwks;
};

static enum egov_db_qs insert_body(struct egov_db_conn *conn, void *cls)
{
    struct insert_ctx *x = cls;
    const struct auth_client *c = x->c;
    struct egov_db_param p[] = {
        EGOV_DB_PARAM_TEXT(c->id),
        EGOV_DB_PARAM_TEXT(c->name),
        EGOV_DB_PARAM_TEXT(c->agency[0] ? c->agency : NULL),
        EGOV_DB_PARAM_TEXT(c->auth_method),
        EGOV_DB_PARAM_TEXT(c->secret_hash[0] ? c->secret_hash : NULL),
        EGOV_DB_PARAM_TEXT(c->sector),
        EGOV_DB_PARAM_TEXT(c->subject_type),
        EGOV_DB_PARAM_TEXT(c->id_token_alg),
        EGOV_DB_PARAM_TEXT(c->scope),
        EGOV_DB_PARAM_TEXT(x->redirects),
        EGOV_DB_PARAM_TEXT(x->logouts),
        EGOV_DB_PARAM_TEXT(x->grants),
        EGOV_DB_PARAM_TEXT(x->jwks),
        EGOV_DB_PARAM_TEXT(x->in->created_by),
        EGOV_DB_PARAM_INT64(egov_now_us()),
        EGOV_DB_PARAM_END,
    };
    enum egov_db_qs qs = egov_db_exec(conn, &st_client_insert, p);
    if (qs < 0)
        return qs;
    json_t *detail = json_pack("{s:s, s:s, s:s}", "client_id", c->id, "client_name", c->name,
                               "agency", c->agency);
    enum egov_db_qs qa = egov_account_audit(
        conn, x->in->audit_account ? x->in->audit_account : "system", "oidc.client.create",
        x->in->audit_account, x->in->audit_addr, x->in->audit_rid, detail);
    json_decref(detail);
    return qa < 0 ? qa : qs;
}

/* Scopes a client may register: the ones the provider supports. */
static bool scope_ok(const char *scope)
{
    static const char *const known[] = {
        "openid", "profile", "email", "address", "phone", "offline_access", AUTH_SCOPE_NATIONAL_ID};
    char buf[AUTH_SCOPE_MAX];
    if (strlen(scope) >= sizeof(buf))
        return false;
    snprintf(buf, sizeof(buf), "%s", scope);
    char *save = NULL;
    for (char *t = strtok_r(buf, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save)) {
        bool found = false;
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
            found = found || strcmp(t, known[i]) == 0;
        if (!found)
            return false;
    }
    return true;
}

json_t *auth_client_register(struct egov_db *db, const struct auth_client_new *in, enum egov_ec *ec,
                             const char **field, char *detail, size_t dlen)
{
    struct auth_client c;
    char secret[64] = "";
    char host[256] = "";
    json_t *out = NULL;
    struct insert_ctx x = {&c, in, NULL, NULL, NULL, NULL};
    struct egov_db_conn *conn = NULL;
    memset(&c, 0, sizeof(c));
    *ec = EGOV_EC_GENERIC_PARAMETER_MALFORMED;
    *field = NULL;
    detail[0] = '\0';

    size_t nl = in->name ? egov_utf8_length(in->name, strlen(in->name)) : 0;
    if (in->name == NULL || nl == 0 || nl > 100 ||
        !egov_utf8_valid(in->name, strlen(in->name), NULL)) {
        *field = "client_name";
        snprintf(detail, dlen, "give a name of 1 to 100 characters");
        goto done;
    }
    const char *method = in->auth_method ? in->auth_method : "client_secret_basic";
    if (strcmp(method, "client_secret_basic") != 0 && strcmp(method, "client_secret_post") != 0 &&
        strcmp(method, "private_key_jwt") != 0 && strcmp(method, "none") != 0) {
        *field = "token_endpoint_auth_method";
        snprintf(detail, dlen,
                 "use client_secret_basic, client_secret_post, private_key_jwt or none");
        goto done;
    }
    if (!uris_ok(in->redirect_uris, true, host, sizeof(host), detail, dlen)) {
        *field = "redirect_uris";
        goto done;
    }
    if (!uris_ok(in->post_logout_uris, false, NULL, 0, detail, dlen)) {
        *field = "post_logout_redirect_uris";
        goto done;
    }
    if (in->grant_types != NULL) {
        size_t i;
        json_t *v;
        if (!json_is_array(in->grant_types) || json_array_size(in->grant_types) == 0)
            goto bad_grants;
        json_array_foreach(in->grant_types, i, v)
        {
            const char *g = json_string_value(v);
            if (g == NULL ||
                (strcmp(g, "authorization_code") != 0 && strcmp(g, "refresh_token") != 0 &&
                 strcmp(g, "client_credentials") != 0))
                goto bad_grants;
            if (strcmp(g, "client_credentials") == 0 && strcmp(method, "none") == 0)
                goto bad_grants;
        }
        c.grant_types = json_incref(in->grant_types);
    } else if (strcmp(method, "none") == 0) {
        c.grant_types = json_pack("[s,s]", "authorization_code", "refresh_token");
    } else {
        c.grant_types =
            json_pack("[s,s,s]", "authorization_code", "refresh_token", "client_credentials");
    }
    if (strcmp(method, "private_key_jwt") == 0 && in->jwks == NULL && in->jwks_later) {
        /* registered now, usable once `egov oidc client set --jwks-file` gave its keys */
    } else if (strcmp(method, "private_key_jwt") == 0) {
        json_t *keys = json_object_get(in->jwks, "keys");
        size_t i;
        json_t *k;
        if (!json_is_array(keys) || json_array_size(keys) == 0 || json_array_size(keys) > 10) {
            *field = "jwks";
            snprintf(detail, dlen,
                     "private_key_jwt needs a JWK set {\"keys\": [...]} of 1 to 10 "
                     "public keys");
            goto done;
        }
        json_array_foreach(keys, i, k)
        {
            char err[160];
            struct egov_jose_key *pk = egov_jose_key_from_jwk(k, err, sizeof(err));
            if (pk == NULL) {
                *field = "jwks";
                snprintf(detail, dlen, "key %zu: %s", i + 1, err);
                goto done;
            }
            egov_jose_key_free(pk);
        }
        c.jwks = json_incref(in->jwks);
    } else if (in->jwks != NULL) {
        *field = "jwks";
        snprintf(detail, dlen, "a JWK set is only used with private_key_jwt");
        goto done;
    }
    const char *scope = in->scope ? in->scope : DEFAULT_SCOPE;
    if (!scope_ok(scope)) {
        *field = "scope";
        snprintf(detail, dlen, "scopes must be among: " DEFAULT_SCOPE);
        goto done;
    }
    const char *alg = in->id_token_alg ? in->id_token_alg : "RS256";
    if (egov_jose_alg_parse(alg) == EGOV_JOSE_NONE) {
        *field = "id_token_signed_response_alg";
        snprintf(detail, dlen, "use RS256 or ES256");
        goto done;
    }
    const char *st = in->subject_type ? in->subject_type : "pairwise";
    if (strcmp(st, "pairwise") != 0 && strcmp(st, "public") != 0) {
        *field = "subject_type";
        snprintf(detail, dlen, "use pairwise or public");
        goto done;
    }
    if (in->agency != NULL && (strlen(in->agency) == 0 || strlen(in->agency) >= sizeof(c.agency))) {
        *field = "agency";
        snprintf(detail, dlen, "give an agency code");
        goto done;
    }

    egov_uuid7(c.id);
    copy(c.name, sizeof(c.name), in->name);
    copy(c.agency, sizeof(c.agency), in->agency);
    copy(c.auth_method, sizeof(c.auth_method), method);
    copy(c.subject_type, sizeof(c.subject_type), st);
    copy(c.id_token_alg, sizeof(c.id_token_alg), alg);
    copy(c.scope, sizeof(c.scope), scope);
    /* the sector of pairwise subjects: the agency, else the redirect host */
    if (in->agency != NULL)
        snprintf(c.sector, sizeof(c.sector), "agency:%s", in->agency);
    else
        snprintf(c.sector, sizeof(c.sector), "host:%.200s", host);
    c.redirect_uris = json_incref(in->redirect_uris);
    c.post_logout_uris = in->post_logout_uris ? json_incref(in->post_logout_uris) : json_array();
    if (strncmp(method, "client_secret_", 14) == 0) {
        if (!egov_random_token(32, secret)) {
            *ec = EGOV_EC_GENERIC_INTERNAL;
            goto done;
        }
        auth_hash_hex(secret, c.secret_hash);
    }
    x.redirects = egov_json_dumps(c.redirect_uris);
    x.logouts = egov_json_dumps(c.post_logout_uris);
    x.grants = egov_json_dumps(c.grant_types);
    x.jwks = c.jwks ? egov_json_dumps(c.jwks) : NULL;
    if (x.redirects == NULL || x.logouts == NULL || x.grants == NULL ||
        (c.jwks != NULL && x.jwks == NULL)) {
        *ec = EGOV_EC_GENERIC_OOM;
        goto done;
    }
    conn = egov_db_acquire(db, 5000);
    enum egov_db_qs qs = conn ? egov_db_txn(conn, true, 10, insert_body, &x) : EGOV_DB_SOFT_ERROR;
    if (qs < 0) {
        *ec = qs == EGOV_DB_SOFT_ERROR ? EGOV_EC_DB_SOFT_ERROR : EGOV_EC_DB_HARD_ERROR;
        goto done;
    }
    out = auth_client_json(&c);
    if (out != NULL && secret[0] != '\0')
        json_object_set_new(out, "client_secret", json_string(secret));
    *ec = out ? EGOV_EC_NONE : EGOV_EC_GENERIC_OOM;
    goto done;
bad_grants:
    *field = "grant_types";
    snprintf(detail, dlen,
             "grant types are authorization_code, refresh_token and client_credentials (not for "
             "public clients)");
done:
    egov_db_release(conn);
    egov_wipe(secret, sizeof(secret));
    egov_free(x.redirects);
    egov_free(x.logouts);
    egov_free(x.grants);
    egov_free(x.jwks);
    auth_client_clear(&c);
    return out;
}
