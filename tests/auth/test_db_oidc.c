/*
 * test_db_oidc.c -- the OpenID Connect provider on a real `egov serve`,
 * on SQLite and on PostgreSQL: discovery and the issuer, JWKS, client
 * registration by CLI, client authentication, client credentials, the
 * access-token verification the gateway uses (in this process, on the
 * same database), revocation, introspection, the authorization endpoint's
 * refusals (error pages, never redirects, for bad clients and
 * redirect_uris; RFC 6749 error names otherwise) and key rotation.
 * The browser journeys (login, consent, code, refresh) are in
 * test_conformance.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accounting/accounting.h"
#include "auth/auth.h"
#include "crypto/crypto.h"
#include "testlib.h"

static struct egov_test_server srv;
static struct egov_db *db;
static char tmpdir[512];

struct client {
    char id[64];
    char secret[64];
};

/* Runs `egov ARGS --db URL`, capturing stdout into @p out; returns the exit status. */
static int run_cli(const char *args, char *out, size_t outlen)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "EGOV_PATHS_VAR='%s' '%s' %s --db '%s' 2>/dev/null", tmpdir,
             getenv("EGOV_BIN"), args, egov_test_db_url());
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    size_t n = out ? fread(out, 1, outlen - 1, p) : 0;
    if (out)
        out[n] = '\0';
    else {
        char sink[4096];
        while (fread(sink, 1, sizeof(sink), p) > 0) {
        }
    }
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void add_client(const char *auth, struct client *c)
{
    char args[512], out[8192];
    snprintf(args, sizeof(args),
             "oidc client add --name 'Agency <b>app</b> 測試' --redirect-uri "
             "https://rp.example.gov.tw/cb --auth %s",
             auth);
    assert_int_equal(run_cli(args, out, sizeof(out)), 0);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    snprintf(c->id, sizeof(c->id), "%s", json_string_value(json_object_get(j, "client_id")));
    snprintf(c->secret, sizeof(c->secret), "%s",
             json_string_value(json_object_get(j, "client_secret"))
                 ? json_string_value(json_object_get(j, "client_secret"))
                 : "");
    assert_string_equal(json_string_value(json_object_get(j, "subject_type")), "pairwise");
    json_decref(j);
}

static int setup(void **state)
{
    (void)state;
    db = egov_test_db_open();
    if (db == NULL)
        return -1;
    snprintf(tmpdir, sizeof(tmpdir), "%s/oidc.XXXXXX",
             getenv("EGOV_TEST_TMP") ? getenv("EGOV_TEST_TMP") : "/tmp");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    setenv("EGOV_PATHS_VAR", tmpdir, 1);
    if (!egov_test_server_start(egov_test_db_url(), NULL, &srv))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bool ok = egov_test_server_stop(&srv);
    egov_db_close(db);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        return -1;
    return ok ? 0 : -1;
}

static json_t *get_json(const char *path, const char *const *headers, long *status)
{
    struct egov_test_response r;
    assert_true(egov_test_http(&srv, "GET", path, headers, NULL, 0, &r));
    *status = r.status;
    json_t *j = json_loads(r.body, 0, NULL);
    egov_test_response_free(&r);
    return j;
}

static void test_discovery(void **state)
{
    (void)state;
    long st;
    json_t *d = get_json("/.well-known/openid-configuration", NULL, &st);
    assert_int_equal(st, 200);
    assert_string_equal(json_string_value(json_object_get(d, "issuer")), srv.base_url);
    char want[128];
    snprintf(want, sizeof(want), "%s/oidc/token", srv.base_url);
    assert_string_equal(json_string_value(json_object_get(d, "token_endpoint")), want);
    json_decref(d);

    const char *h[] = {"Host: login.example.gov.tw:8443", NULL};
    d = get_json("/.well-known/openid-configuration", h, &st);
    assert_int_equal(st, 200);
    assert_string_equal(json_string_value(json_object_get(d, "issuer")),
                        "http://login.example.gov.tw:8443");
    json_decref(d);

    const char *bad[] = {"Host: evil\"host", NULL};
    d = get_json("/.well-known/openid-configuration", bad, &st);
    assert_int_equal(st, 400);
    json_decref(d);

    json_t *jwks = get_json("/oidc/jwks", NULL, &st);
    assert_int_equal(st, 200);
    json_t *keys = json_object_get(jwks, "keys");
    assert_int_equal(json_array_size(keys), 2);
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k)
    {
        assert_null(json_object_get(k, "d"));
        char err[160];
        struct egov_jose_key *pk = egov_jose_key_from_jwk(k, err, sizeof(err));
        assert_non_null(pk);
        egov_jose_key_free(pk);
    }
    json_decref(jwks);
}

static void test_cli_refusals(void **state)
{
    (void)state;
    char out[4096];
    assert_int_equal(run_cli("oidc client add --name x --redirect-uri http://rp.example.org/cb",
                             out, sizeof(out)),
                     1);
    assert_int_equal(
        run_cli("oidc client add --name x --redirect-uri https://a/cb#frag", out, sizeof(out)), 1);
    assert_int_equal(run_cli("oidc client add --name x --redirect-uri https://a/cb --auth magic",
                             out, sizeof(out)),
                     1);
    assert_int_equal(run_cli("oidc client add --name x", out, sizeof(out)), 2);
    assert_int_equal(
        run_cli("oidc client add --redirect-uri https://a/cb --bogus 1", out, sizeof(out)), 2);
}

/* POSTs a form to the token endpoint; returns the parsed body and status. */
static json_t *post_form(const char *path, const char *auth_header, const char *body, long *status,
                         struct egov_test_response *keep)
{
    const char *h[] = {"Content-Type: application/x-www-form-urlencoded", auth_header, NULL};
    struct egov_test_response r;
    assert_true(egov_test_http(&srv, "POST", path, h, body, strlen(body), &r));
    *status = r.status;
    json_t *j = json_loads(r.body, 0, NULL);
    if (keep != NULL)
        *keep = r;
    else
        egov_test_response_free(&r);
    return j;
}

static char *basic(const struct client *c)
{
    char raw[200];
    snprintf(raw, sizeof(raw), "%s:%s", c->id, c->secret);
    char b64[300];
    /* standard base64 for the Basic scheme */
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(raw), o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned int v = (unsigned char)raw[i] << 16;
        if (i + 1 < n)
            v |= (unsigned char)raw[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)raw[i + 2];
        b64[o++] = tbl[(v >> 18) & 63];
        b64[o++] = tbl[(v >> 12) & 63];
        b64[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        b64[o++] = i + 2 < n ? tbl[v & 63] : '=';
    }
    b64[o] = '\0';
    char *h = malloc(400);
    snprintf(h, 400, "Authorization: Basic %s", b64);
    return h;
}

static void test_client_credentials(void **state)
{
    (void)state;
    struct client cb, cp;
    add_client("client_secret_basic", &cb);
    add_client("client_secret_post", &cp);
    long st;
    char *auth = basic(&cb);

    /* basic auth: a token the gateway can verify on the same database */
    json_t *t = post_form("/oidc/token", auth, "grant_type=client_credentials", &st, NULL);
    assert_int_equal(st, 200);
    const char *at = json_string_value(json_object_get(t, "access_token"));
    assert_non_null(at);
    assert_string_equal(json_string_value(json_object_get(t, "token_type")), "Bearer");
    assert_null(json_object_get(t, "refresh_token"));
    struct egov_auth_claims cl;
    assert_int_equal(egov_auth_token_verify(db, at, &cl), EGOV_AUTH_OK);
    assert_string_equal(cl.client_id, cb.id);
    assert_string_equal(cl.sub, cb.id);
    assert_true(cl.client_only);
    assert_string_equal(cl.iss, srv.base_url);

    /* a client-credentials token has no person: userinfo refuses it */
    char bearer[4096];
    snprintf(bearer, sizeof(bearer), "Authorization: Bearer %s", at);
    const char *hb[] = {bearer, NULL};
    json_t *u = get_json("/oidc/userinfo", hb, &st);
    assert_int_equal(st, 403);
    assert_string_equal(json_string_value(json_object_get(u, "error")), "insufficient_scope");
    json_decref(u);

    /* tampering: a changed character anywhere is refused */
    char *tam = strdup(at);
    char *dot = strchr(tam, '.');
    dot[3] = dot[3] == 'a' ? 'b' : 'a';
    assert_int_equal(egov_auth_token_verify(db, tam, NULL), EGOV_AUTH_MALFORMED);
    free(tam);
    assert_int_equal(egov_auth_token_verify(db, "x.y.z", NULL), EGOV_AUTH_MALFORMED);
    assert_int_equal(egov_auth_token_verify(db, "", NULL), EGOV_AUTH_MALFORMED);

    /* introspection, revocation (RFC 7662, 7009) */
    char body[4096];
    snprintf(body, sizeof(body), "token=%s", at);
    json_t *in = post_form("/oidc/introspect", auth, body, &st, NULL);
    assert_int_equal(st, 200);
    assert_true(json_is_true(json_object_get(in, "active")));
    json_decref(in);
    /* another client cannot revoke it */
    snprintf(body, sizeof(body), "token=%s&client_id=%s&client_secret=%s", at, cp.id, cp.secret);
    json_t *rv = post_form("/oidc/revoke", NULL, body, &st, NULL);
    assert_int_equal(st, 200);
    json_decref(rv);
    assert_int_equal(egov_auth_token_verify(db, at, NULL), EGOV_AUTH_OK);
    snprintf(body, sizeof(body), "token=%s", at);
    rv = post_form("/oidc/revoke", auth, body, &st, NULL);
    assert_int_equal(st, 200);
    json_decref(rv);
    assert_int_equal(egov_auth_token_verify(db, at, NULL), EGOV_AUTH_REVOKED);
    in = post_form("/oidc/introspect", auth, body, &st, NULL);
    assert_true(json_is_false(json_object_get(in, "active")));
    json_decref(in);
    json_decref(t);

    /* client_secret_post */
    snprintf(body, sizeof(body), "grant_type=client_credentials&client_id=%s&client_secret=%s",
             cp.id, cp.secret);
    t = post_form("/oidc/token", NULL, body, &st, NULL);
    assert_int_equal(st, 200);
    json_decref(t);

    /* a client must use the method it registered */
    char *pauth = basic(&cp);
    t = post_form("/oidc/token", pauth, "grant_type=client_credentials", &st, NULL);
    assert_int_equal(st, 401);
    assert_string_equal(json_string_value(json_object_get(t, "error")), "invalid_client");
    json_decref(t);
    free(pauth);

    /* wrong secret, malformed Basic, nothing at all */
    struct client wrong = cb;
    snprintf(wrong.secret, sizeof(wrong.secret), "not-the-secret");
    char *wauth = basic(&wrong);
    struct egov_test_response keep;
    t = post_form("/oidc/token", wauth, "grant_type=client_credentials", &st, &keep);
    assert_int_equal(st, 401);
    assert_string_equal(json_string_value(json_object_get(t, "error")), "invalid_client");
    char hv[128];
    assert_non_null(egov_test_response_header(&keep, "WWW-Authenticate", hv, sizeof(hv)));
    assert_non_null(egov_test_response_header(&keep, "Cache-Control", hv, sizeof(hv)));
    assert_string_equal(hv, "no-store");
    egov_test_response_free(&keep);
    json_decref(t);
    free(wauth);
    t = post_form("/oidc/token", "Authorization: Basic !!!", "grant_type=client_credentials", &st,
                  NULL);
    assert_int_equal(st, 401);
    json_decref(t);
    t = post_form("/oidc/token", NULL, "grant_type=client_credentials", &st, NULL);
    assert_int_equal(st, 401);
    json_decref(t);

    /* error names exactly as RFC 6749 */
    t = post_form("/oidc/token", auth, "grant_type=password&username=a&password=b", &st, NULL);
    assert_int_equal(st, 400);
    assert_string_equal(json_string_value(json_object_get(t, "error")), "unsupported_grant_type");
    json_decref(t);
    t = post_form("/oidc/token", auth, "code=abc", &st, NULL);
    assert_int_equal(st, 400);
    assert_string_equal(json_string_value(json_object_get(t, "error")), "invalid_request");
    json_decref(t);
    t = post_form("/oidc/token", auth, "grant_type=authorization_code&code=nope&redirect_uri=x",
                  &st, NULL);
    assert_int_equal(st, 400);
    assert_string_equal(json_string_value(json_object_get(t, "error")), "invalid_grant");
    json_decref(t);
    t = post_form("/oidc/token", auth, "grant_type=refresh_token&refresh_token=nope", &st, NULL);
    assert_int_equal(st, 400);
    assert_string_equal(json_string_value(json_object_get(t, "error")), "invalid_grant");
    json_decref(t);
    t = post_form("/oidc/token", auth, "grant_type=client_credentials&scope=openid", &st, NULL);
    assert_int_equal(st, 400);
    assert_string_equal(json_string_value(json_object_get(t, "error")), "invalid_scope");
    json_decref(t);

    /* key rotation: the old key keeps verifying what it signed */
    t = post_form("/oidc/token", auth, "grant_type=client_credentials", &st, NULL);
    at = json_string_value(json_object_get(t, "access_token"));
    char out[16384];
    assert_int_equal(run_cli("oidc keys rotate --ahead 3600", out, sizeof(out)), 0);
    json_t *pub = json_loads(strchr(out, '{'), 0, NULL);
    assert_int_equal(json_array_size(json_object_get(pub, "keys")), 4);
    json_decref(pub);
    assert_int_equal(egov_auth_token_verify(db, at, NULL), EGOV_AUTH_OK);
    json_decref(t);
    free(auth);
}

/* GET @p path without following redirects; returns status and the Location. */
static long get_loc(const char *path, char *loc, size_t loclen, char **body)
{
    struct egov_test_response r;
    const char *h[] = {"Accept: text/html", NULL};
    assert_true(egov_test_http(&srv, "GET", path, h, NULL, 0, &r));
    long st = r.status;
    if (egov_test_response_header(&r, "Location", loc, loclen) == NULL)
        loc[0] = '\0';
    if (body != NULL)
        *body = strdup(r.body);
    egov_test_response_free(&r);
    return st;
}

static void test_authorize_refusals(void **state)
{
    (void)state;
    struct client c;
    add_client("client_secret_basic", &c);
    char path[2048], loc[2048];
    char *body = NULL;
    const char *cb = "https%3A%2F%2Frp.example.gov.tw%2Fcb";

    /* unknown client, unregistered or missing redirect_uri: a page, never a redirect */
    snprintf(path, sizeof(path),
             "/oidc/authorize?client_id=nope&redirect_uri=%s&response_type=code&scope=openid", cb);
    assert_int_equal(get_loc(path, loc, sizeof(loc), &body), 400);
    assert_string_equal(loc, "");
    free(body);
    snprintf(path, sizeof(path),
             "/oidc/authorize?client_id=%s&redirect_uri=https%%3A%%2F%%2Fevil.example%%2Fcb"
             "&response_type=code&scope=openid&state=%%3Cscript%%3E",
             c.id);
    assert_int_equal(get_loc(path, loc, sizeof(loc), &body), 400);
    assert_string_equal(loc, "");
    assert_null(strstr(body, "evil.example"));
    free(body);
    snprintf(
        path, sizeof(path),
        "/oidc/authorize?client_id=%s&redirect_uri=%s%%2Fextra&response_type=code&scope=openid",
        c.id, cb);
    assert_int_equal(get_loc(path, loc, sizeof(loc), NULL), 400);
    assert_string_equal(loc, "");

    /* errors after that go back to the client with state, named as RFC 6749 / OIDC */
    struct {
        const char *extra, *error;
    } cases[] = {
        {"&response_type=token&scope=openid", "error=unsupported_response_type"},
        {"&response_type=code&scope=openid&request=eyJ.eyJ.", "error=request_not_supported"},
        {"&response_type=code&scope=openid&request_uri=https%3A%2F%2Fx",
         "error=request_uri_not_supported"},
        {"&response_type=code&scope=openid&code_challenge="
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "&code_challenge_method=plain",
         "error=invalid_request"},
        {"&response_type=code&scope=openid&prompt=none", "error=login_required"},
        {"&response_type=code&scope=openid&prompt=none%20login", "error=invalid_request"},
        {"&response_type=code&scope=openid&max_age=-5", "error=invalid_request"},
        {"&response_type=code&scope=nonsense", "error=invalid_scope"},
        {"&scope=openid", "error=invalid_request"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(path, sizeof(path), "/oidc/authorize?client_id=%s&redirect_uri=%s&state=st%zu%s",
                 c.id, cb, i, cases[i].extra);
        assert_int_equal(get_loc(path, loc, sizeof(loc), NULL), 303);
        if (strncmp(loc, "https://rp.example.gov.tw/cb?", 29) != 0 ||
            strstr(loc, cases[i].error) == NULL)
            fail_msg("case %zu: Location %s lacks %s", i, loc, cases[i].error);
        char st[16];
        snprintf(st, sizeof(st), "state=st%zu", i);
        assert_non_null(strstr(loc, st));
        assert_non_null(strstr(loc, "iss="));
    }

    /* no session: off to the login page, with this request to come back to */
    snprintf(path, sizeof(path),
             "/oidc/authorize?client_id=%s&redirect_uri=%s&response_type=code&scope=openid"
             "&login_hint=A123456789&ui_locales=en",
             c.id, cb);
    assert_int_equal(get_loc(path, loc, sizeof(loc), NULL), 303);
    assert_true(strncmp(loc, "/login?return_to=%2Foidc%2Fauthorize%3F", 39) == 0);
    assert_non_null(strstr(loc, "login_hint=A123456789"));
    assert_non_null(strstr(loc, "lang=en"));
}

static const struct egov_db_stmt st_age_keys = {
    "test_oidc_age_keys",
    "UPDATE oidc_key SET sign_from = sign_from - $1, sign_until = sign_until - $1,"
    " verify_until = verify_until - $1",
    NULL};

static const struct egov_db_stmt st_all_kids = {"test_oidc_all_kids", "SELECT kid FROM oidc_key",
                                                NULL};

/* True if @p kid is one of the rows of @p rows. */
static bool kid_in(const struct egov_db_rows *rows, const char *kid)
{
    for (size_t i = 0; i < egov_db_rows_count(rows); i++)
        if (strcmp(egov_db_rows_text(rows, i, 0), kid) == 0)
            return true;
    return false;
}

static void test_automatic_rotation(void **state)
{
    (void)state;
    /* every key becomes 200 days older: the newest ones are due for replacement */
    struct egov_db_rows *before = NULL;
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    assert_non_null(c);
    assert_true(egov_db_exec(c, &st_age_keys,
                             (struct egov_db_param[]){EGOV_DB_PARAM_INT64(200LL * 86400),
                                                      EGOV_DB_PARAM_END}) > 0);
    assert_true(
        egov_db_query(c, &st_all_kids, (struct egov_db_param[]){EGOV_DB_PARAM_END}, &before) > 0);
    egov_db_release(c);
    sleep(2);
    /* a token with a kid the node does not know makes it re-read its keys now */
    struct egov_jose_key *stranger = egov_jose_key_generate(EGOV_JOSE_ES256, "nobody-knows");
    json_t *cl = json_pack("{s:s}", "sub", "x");
    char *t = egov_jose_sign(stranger, cl, "at+jwt");
    char bearer[2048];
    snprintf(bearer, sizeof(bearer), "Authorization: Bearer %s", t);
    const char *hb[] = {bearer, NULL};
    long st;
    json_t *u = get_json("/oidc/userinfo", hb, &st);
    assert_int_equal(st, 401);
    json_decref(u);
    /* the keys that sign now stay published; one new key per algorithm joins them */
    json_t *jwks = get_json("/oidc/jwks", NULL, &st);
    json_t *keys = json_object_get(jwks, "keys");
    assert_int_equal(json_array_size(keys), 4);
    size_t i, fresh = 0;
    json_t *k;
    json_array_foreach(keys, i, k)
    {
        if (!kid_in(before, json_string_value(json_object_get(k, "kid"))))
            fresh++;
    }
    assert_int_equal(fresh, 2);
    json_decref(jwks);
    egov_db_rows_free(before);
    egov_free(t);
    json_decref(cl);
    egov_jose_key_free(stranger);
}

static const struct egov_db_stmt st_put_key = {
    "test_oidc_put_key",
    "INSERT INTO oidc_key (kid, alg, private_pem, public_jwk, created_at, sign_from)"
    " VALUES ($1, 'ES256', 'not used', $2, $3, $3)",
    NULL};

/* Signs @p claims with @p k as an access token would be. */
static char *sign_at(const struct egov_jose_key *k, int64_t exp, const char *aud, const char *typ)
{
    json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "iss", "http://test", "sub",
                          "someone", "aud", aud, "client_id", "c1", "scope", "", "iat",
                          (json_int_t)(exp - 600), "exp", (json_int_t)exp, "jti", "j-1");
    char *t = egov_jose_sign(k, c, typ);
    json_decref(c);
    return t;
}

static void test_verify_claims(void **state)
{
    (void)state;
    int64_t now = egov_now_us() / 1000000;
    /* a key published in oidc_key as the provider publishes its own */
    struct egov_jose_key *k = egov_jose_key_generate(EGOV_JOSE_ES256, "test-key-1");
    struct egov_jose_key *stranger = egov_jose_key_generate(EGOV_JOSE_ES256, "test-key-2");
    json_t *jwk = egov_jose_key_public_jwk(k);
    char *jwk_s = egov_json_dumps(jwk);
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    assert_non_null(c);
    assert_int_equal(egov_db_exec(c, &st_put_key,
                                  (struct egov_db_param[]){
                                      EGOV_DB_PARAM_TEXT("test-key-1"), EGOV_DB_PARAM_TEXT(jwk_s),
                                      EGOV_DB_PARAM_INT64(now), EGOV_DB_PARAM_END}),
                     1);
    egov_db_release(c);
    sleep(2); /* key caches re-read the table for an unknown kid at most once a second */

    char *ok = sign_at(k, now + 60, EGOV_AUTH_AUDIENCE, "at+jwt");
    char *expired = sign_at(k, now - 5, EGOV_AUTH_AUDIENCE, "at+jwt");
    char *wrong_aud = sign_at(k, now + 60, "https://other.example", "at+jwt");
    char *id_token = sign_at(k, now + 60, EGOV_AUTH_AUDIENCE, "JWT");
    char *unknown = sign_at(stranger, now + 60, EGOV_AUTH_AUDIENCE, "at+jwt");
    struct egov_auth_claims cl;
    assert_int_equal(egov_auth_token_verify(db, ok, &cl), EGOV_AUTH_OK);
    assert_string_equal(cl.sub, "someone");
    assert_int_equal(egov_auth_token_verify(db, expired, NULL), EGOV_AUTH_EXPIRED);
    assert_int_equal(egov_auth_token_verify(db, wrong_aud, NULL), EGOV_AUTH_MALFORMED);
    assert_int_equal(egov_auth_token_verify(db, id_token, NULL), EGOV_AUTH_MALFORMED);
    assert_int_equal(egov_auth_token_verify(db, unknown, NULL), EGOV_AUTH_MALFORMED);

    /* the node refuses the expired one at userinfo with RFC 6750's error */
    char bearer[4096];
    snprintf(bearer, sizeof(bearer), "Authorization: Bearer %s", expired);
    const char *hb[] = {bearer, NULL};
    long st;
    json_t *u = get_json("/oidc/userinfo", hb, &st);
    assert_int_equal(st, 401);
    assert_string_equal(json_string_value(json_object_get(u, "error")), "invalid_token");
    json_decref(u);

    egov_free(ok);
    egov_free(expired);
    egov_free(wrong_aud);
    egov_free(id_token);
    egov_free(unknown);
    egov_free(jwk_s);
    json_decref(jwk);
    egov_jose_key_free(k);
    egov_jose_key_free(stranger);
}

static void test_usage_accounting(void **state)
{
    (void)state;
    struct client c;
    add_client("client_secret_basic", &c);
    char *auth = basic(&c);
    long st;
    for (int i = 0; i < 3; i++) {
        json_t *t = post_form("/oidc/token", auth, "grant_type=client_credentials", &st, NULL);
        assert_int_equal(st, 200);
        json_decref(t);
    }
    free(auth);
    sleep(3); /* client-credentials tokens are counted in memory and written every 2 s */
    char day[32];
    egov_time_rfc3339(egov_now_us(), day);
    day[10] = '\0';
    assert_true(egov_accounting_aggregate_day(db, day) >= 0);
    enum egov_ec ec;
    json_t *u = egov_accounting_usage(db, day, day, EGOV_ACCOUNTING_TOKEN, NULL, c.id, &ec);
    assert_non_null(u);
    assert_int_equal(json_integer_value(json_object_get(u, "total")), 3);
    json_decref(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discovery),          cmocka_unit_test(test_cli_refusals),
        cmocka_unit_test(test_client_credentials), cmocka_unit_test(test_authorize_refusals),
        cmocka_unit_test(test_usage_accounting),   cmocka_unit_test(test_automatic_rotation),
        cmocka_unit_test(test_verify_claims),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
