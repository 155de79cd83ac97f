/*
 * clientauth.c -- client authentication at the token, revocation and
 * introspection endpoints: client_secret_basic, client_secret_post,
 * private_key_jwt (RFC 7523; the assertion's jti is remembered until it
 * expires, so a replayed assertion is refused) and none (public clients).
 * A client must use the method it registered.
 */
#include <stdio.h>
#include <string.h>

#include "auth/auth_int.h"

#define ASSERTION_TYPE "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

static const struct egov_db_stmt st_jti_purge = {
    "oidc_jti_purge", "DELETE FROM oidc_assertion_jti WHERE expires_at < $1", NULL};
static const struct egov_db_stmt st_jti_insert = {
    "oidc_jti_insert",
    "INSERT INTO oidc_assertion_jti (client_id, jti, expires_at) VALUES ($1, $2, $3)"
    " ON CONFLICT (client_id, jti) DO NOTHING",
    NULL};

/* Decodes %XX and '+' of application/x-www-form-urlencoded in place; false if malformed. */
static bool form_decode(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p == '+') {
            *o++ = ' ';
        } else if (*p == '%') {
            unsigned int v;
            if (p[1] == '\0' || p[2] == '\0' || sscanf(p + 1, "%2x", &v) != 1 || v == 0)
                return false;
            *o++ = (char)v;
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return true;
}

/* Parses "Basic base64(id:secret)"; arena strings.  False if absent or malformed. */
static bool basic_credentials(struct egov_req *req, const char **id, const char **secret,
                              bool *present)
{
    const char *h = egov_req_header(req, "Authorization");
    *present = false;
    if (h == NULL || strncasecmp(h, "Basic ", 6) != 0)
        return false;
    *present = true;
    const char *b = h + 6;
    while (*b == ' ')
        b++;
    size_t n = strlen(b);
    if (n == 0 || n > 2048)
        return false;
    char *dec = egov_arena_alloc(req->arena, n + 1);
    if (dec == NULL)
        return false;
    long dl = egov_base64_decode(b, n, (uint8_t *)dec);
    if (dl <= 0)
        return false;
    dec[dl] = '\0';
    if (strlen(dec) != (size_t)dl)
        return false;
    char *colon = strchr(dec, ':');
    if (colon == NULL)
        return false;
    *colon = '\0';
    if (!form_decode(dec) || !form_decode(colon + 1))
        return false;
    *id = dec;
    *secret = colon + 1;
    return true;
}

static bool secret_matches(const struct auth_client *c, const char *secret)
{
    char h[65];
    if (secret == NULL || c->secret_hash[0] == '\0')
        return false;
    auth_hash_hex(secret, h);
    return egov_ct_equal(h, c->secret_hash, 64);
}

struct jwks_ctx {
    const json_t *jwks;
    struct egov_jose_key *key; /* the one handed out, freed by the caller */
};

static const struct egov_jose_key *client_key(const char *kid, enum egov_jose_alg alg, void *cls)
{
    struct jwks_ctx *x = cls;
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(x->jwks, "keys"), i, k)
    {
        const char *kk = json_string_value(json_object_get(k, "kid"));
        if (kid != NULL && (kk == NULL || strcmp(kk, kid) != 0))
            continue;
        char err[160];
        struct egov_jose_key *key = egov_jose_key_from_jwk(k, err, sizeof(err));
        if (key == NULL)
            continue;
        if (egov_jose_key_alg(key) != alg) {
            egov_jose_key_free(key);
            continue;
        }
        x->key = key;
        return key;
    }
    return NULL;
}

struct jti_ctx {
    const char *client_id, *jti;
    int64_t exp;
};

static enum egov_db_qs jti_body(struct egov_db_conn *c, void *cls)
{
    struct jti_ctx *x = cls;
    enum egov_db_qs qs = egov_db_exec(
        c, &st_jti_purge,
        (struct egov_db_param[]){EGOV_DB_PARAM_INT64(egov_now_us() / 1000000), EGOV_DB_PARAM_END});
    if (qs < 0)
        return qs;
    return egov_db_exec(c, &st_jti_insert,
                        (struct egov_db_param[]){EGOV_DB_PARAM_TEXT(x->client_id),
                                                 EGOV_DB_PARAM_TEXT(x->jti),
                                                 EGOV_DB_PARAM_INT64(x->exp), EGOV_DB_PARAM_END});
}

/* True if "aud" (string or array) names the issuer or the token endpoint. */
static bool aud_ok(const json_t *aud, const char *issuer, const char *endpoint)
{
    if (json_is_string(aud)) {
        const char *a = json_string_value(aud);
        return strcmp(a, issuer) == 0 || strcmp(a, endpoint) == 0;
    }
    size_t i;
    json_t *v;
    json_array_foreach(aud, i, v) if (aud_ok(v, issuer, endpoint)) return true;
    return false;
}

/* Checks a private_key_jwt assertion; false with a description. */
static bool assertion_ok(struct egov_req *req, const struct auth_client *c, const char *jwt,
                         const char **why)
{
    struct jwks_ctx x = {c->jwks, NULL};
    char err[160];
    json_t *claims = egov_jose_verify(jwt, client_key, &x, err, sizeof(err));
    egov_jose_key_free(x.key);
    bool ok = false;
    if (claims == NULL) {
        *why = egov_arena_printf(req->arena, "client assertion: %s", err);
        return false;
    }
    const char *issuer = auth_issuer(req);
    const char *endpoint = issuer ? egov_arena_printf(req->arena, "%s/oidc/token", issuer) : NULL;
    const char *iss = json_string_value(json_object_get(claims, "iss"));
    const char *sub = json_string_value(json_object_get(claims, "sub"));
    const char *jti = json_string_value(json_object_get(claims, "jti"));
    json_t *exp = json_object_get(claims, "exp");
    int64_t now = egov_now_us() / 1000000;
    if (iss == NULL || sub == NULL || strcmp(iss, c->id) != 0 || strcmp(sub, c->id) != 0) {
        *why = "client assertion: iss and sub must be the client_id";
    } else if (endpoint == NULL || !aud_ok(json_object_get(claims, "aud"), issuer, endpoint)) {
        *why = "client assertion: aud must be the token endpoint or the issuer";
    } else if (!json_is_integer(exp) || json_integer_value(exp) <= now) {
        *why = "client assertion: exp is missing or has passed";
    } else if (json_integer_value(exp) > now + 3600) {
        *why = "client assertion: exp is more than an hour away";
    } else if (jti == NULL || strlen(jti) == 0 || strlen(jti) > 256) {
        *why = "client assertion: jti is missing";
    } else {
        struct jti_ctx jx = {c->id, jti, json_integer_value(exp)};
        enum egov_db_qs qs = auth_write(egov_req_db(req), jti_body, &jx);
        if (qs < 0)
            *why = "the assertion could not be recorded; try again";
        else if (qs == EGOV_DB_NO_ROW)
            *why = "client assertion: this jti was used before (replay)";
        else
            ok = true;
    }
    json_decref(claims);
    return ok;
}

bool auth_client_authenticate(struct egov_req *req, struct auth_client *out)
{
    const char *b_id = NULL, *b_secret = NULL;
    bool basic_present = false;
    bool basic = basic_credentials(req, &b_id, &b_secret, &basic_present);
    const char *f_id = auth_param(req, "client_id");
    const char *f_secret = auth_param(req, "client_secret");
    const char *a_type = auth_param(req, "client_assertion_type");
    const char *assertion = auth_param(req, "client_assertion");
    const char *id = NULL, *why = "client authentication failed";
    const char *method = NULL;
    memset(out, 0, sizeof(*out));

    if (basic_present && !basic) {
        auth_reply_oauth_error(req, 401, "invalid_client", "malformed Basic credentials");
        return false;
    }
    int used = (basic ? 1 : 0) + (f_secret != NULL ? 1 : 0) + (assertion != NULL ? 1 : 0);
    if (used > 1) {
        auth_reply_oauth_error(req, 400, "invalid_request",
                               "use exactly one client authentication method");
        return false;
    }
    if (basic) {
        id = b_id;
        method = "client_secret_basic";
    } else if (assertion != NULL) {
        if (a_type == NULL || strcmp(a_type, ASSERTION_TYPE) != 0) {
            auth_reply_oauth_error(req, 400, "invalid_request",
                                   "client_assertion_type must be " ASSERTION_TYPE);
            return false;
        }
        json_t *h = NULL, *cl = NULL;
        if (egov_jose_decode(assertion, &h, &cl)) {
            const char *iss = json_string_value(json_object_get(cl, "iss"));
            id = iss ? egov_arena_strdup(req->arena, iss) : NULL;
        }
        json_decref(h);
        json_decref(cl);
        method = "private_key_jwt";
    } else if (f_secret != NULL) {
        id = f_id;
        method = "client_secret_post";
    } else {
        id = f_id;
        method = "none";
    }
    if (id == NULL || id[0] == '\0') {
        auth_reply_oauth_error(req, 401, "invalid_client", "no client authentication was given");
        return false;
    }
    if (f_id != NULL && strcmp(f_id, id) != 0) {
        auth_reply_oauth_error(req, 401, "invalid_client",
                               "client_id does not match the authenticated client");
        return false;
    }
    enum egov_db_qs qs = auth_client_load(egov_req_db(req), id, out);
    if (qs < 0) {
        egov_reply_problem(req, EGOV_EC_DB_SOFT_ERROR, NULL, NULL);
        return false;
    }
    bool ok = false;
    if (qs == EGOV_DB_NO_ROW) {
        why = "unknown client";
    } else if (strcmp(out->auth_method, method) != 0) {
        why = egov_arena_printf(req->arena, "this client authenticates with %s", out->auth_method);
    } else if (strcmp(method, "none") == 0) {
        ok = true;
    } else if (strcmp(method, "private_key_jwt") == 0) {
        ok = assertion_ok(req, out, assertion, &why);
    } else {
        ok = secret_matches(out, basic ? b_secret : f_secret);
    }
    if (!ok) {
        auth_client_clear(out);
        EGOV_CLIENT_FAULT("client authentication failed: %s", why);
        auth_reply_oauth_error(req, 401, "invalid_client", why);
        return false;
    }
    return true;
}
