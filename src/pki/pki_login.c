/*
 * pki_login.c -- certificate login.  The server issues a challenge (256
 * random bits, single use, EGOV_PKI_CHALLENGE_TTL_S seconds) bound to a
 * random value in a cookie of the browser that asked for it; the user
 * signs "egov-login:<value>" with the certificate's key; the server checks
 * the binding, consumes the challenge, verifies the signature, the chain,
 * the validity and the revocation status, and starts a session through
 * the account module.  A challenge whose cookie is missing is refused, so
 * a response signed for one browser cannot log in another (login CSRF).
 */
#include <stdio.h>
#include <string.h>

#include "account/account.h"
#include "pki/pki_int.h"

#define TOKEN_BYTES  32
#define TOKEN_CHARS  43 /* base64url of 32 bytes */
#define RESPONSE_MAX (48 * 1024)
#define SIG_MAX      1024

/* ------------------------------------------------------------------ */
/* The command-line signer                                             */
/* ------------------------------------------------------------------ */

static char *slurp(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n;

    if (f == NULL)
        return NULL;
    buf = egov_malloc(max + 1);
    if (buf != NULL) {
        n = fread(buf, 1, max + 1, f);
        if (n == 0 || n > max) {
            egov_free(buf);
            buf = NULL;
        } else {
            buf[n] = '\0';
            *len = n;
        }
    }
    (void)fclose(f);
    return buf;
}

char *egov_pki_challenge_response(const char *key_path, const char *cert_path,
                                  const char *challenge, char *err, size_t errlen)
{
    char *cert = NULL, *out = NULL;
    uint8_t *der = NULL, *sig = NULL;
    size_t cert_len = 0, der_len = 0, sig_len = 0, n1, n2;
    enum egov_ec ec;

    if (challenge == NULL ||
        strncmp(challenge, EGOV_PKI_CHALLENGE_PREFIX, strlen(EGOV_PKI_CHALLENGE_PREFIX)) != 0) {
        pki_say(err, errlen, "the challenge must start with \"%s\"", EGOV_PKI_CHALLENGE_PREFIX);
        goto fail;
    }
    cert = slurp(cert_path, RESPONSE_MAX, &cert_len);
    if (cert == NULL) {
        pki_say(err, errlen, "cannot read certificate file %s", cert_path);
        goto fail;
    }
    if (egov_x509_to_der(cert, cert_len, &der, &der_len) != EGOV_EC_NONE) {
        pki_say(err, errlen, "%s is not a certificate in PEM or DER", cert_path);
        goto fail;
    }
    ec = egov_x509_sign_with_key_file(key_path, challenge, strlen(challenge), &sig, &sig_len, err,
                                      errlen);
    if (ec != EGOV_EC_NONE)
        goto fail;
    if (egov_x509_verify_signature(der, der_len, challenge, strlen(challenge), sig, sig_len) !=
        EGOV_EC_NONE) {
        pki_say(err, errlen, "the key does not belong to the certificate");
        goto fail;
    }
    n1 = egov_base64url_len(der_len);
    n2 = egov_base64url_len(sig_len);
    out = egov_malloc(n1 + n2 + 2);
    if (out == NULL)
        goto fail;
    egov_base64url_encode(der, der_len, out);
    out[n1] = '.';
    egov_base64url_encode(sig, sig_len, out + n1 + 1);
fail:
    egov_free(sig);
    egov_free(der);
    egov_free(cert);
    return out;
}

/* ------------------------------------------------------------------ */
/* Challenges                                                          */
/* ------------------------------------------------------------------ */

static const struct egov_db_stmt st_ch_insert = {
    "pki_challenge_insert",
    "INSERT INTO pki_challenge (id, challenge, binding, expires_at) VALUES ($1, $2, $3, $4)", NULL};
static const struct egov_db_stmt st_ch_purge = {
    "pki_challenge_purge", "DELETE FROM pki_challenge WHERE expires_at < $1", NULL};
static const struct egov_db_stmt st_ch_get = {
    "pki_challenge_get",
    "SELECT challenge, binding, expires_at FROM pki_challenge WHERE id = $1 AND used_at IS NULL",
    NULL};
static const struct egov_db_stmt st_ch_use = {
    "pki_challenge_use", "UPDATE pki_challenge SET used_at = $2 WHERE id = $1 AND used_at IS NULL",
    NULL};

static bool token_ok(const char *v)
{
    if (v == NULL || strlen(v) != TOKEN_CHARS)
        return false;
    for (const char *p = v; *p != '\0'; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return false;
    return true;
}

static void binding_hash(const char *cookie, char out[2 * EGOV_SHA256_LEN + 1])
{
    uint8_t d[EGOV_SHA256_LEN];

    (void)egov_sha256(cookie, strlen(cookie), d);
    egov_hex_encode(d, sizeof(d), out);
}

struct ch_new {
    char id[37];
    char text[64];
    char binding[2 * EGOV_SHA256_LEN + 1];
    int64_t expires_us;
};

static enum egov_db_qs ch_new_body(struct egov_db_conn *c, void *cls)
{
    struct ch_new *t = cls;
    struct egov_db_param purge[] = {EGOV_DB_PARAM_INT64(egov_now_us() - 3600LL * 1000000LL),
                                    EGOV_DB_PARAM_END};
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->id), EGOV_DB_PARAM_TEXT(t->text),
                                EGOV_DB_PARAM_TEXT(t->binding), EGOV_DB_PARAM_INT64(t->expires_us),
                                EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_exec(c, &st_ch_purge, purge);

    return qs < 0 ? qs : egov_db_exec(c, &st_ch_insert, p);
}

/* Makes a challenge bound to the browser's cookie (set if missing).  False after replying. */
static bool challenge_new(struct egov_req *req, struct ch_new *t)
{
    const char *cookie = egov_req_cookie(req, EGOV_PKI_CHALLENGE_COOKIE);
    char fresh[TOKEN_CHARS + 1], rnd[TOKEN_CHARS + 1];
    struct egov_db_conn *c;
    enum egov_db_qs qs;

    memset(t, 0, sizeof(*t));
    if (!token_ok(cookie)) {
        if (!egov_random_token(TOKEN_BYTES, fresh)) {
            egov_reply_problem(req, EGOV_EC_GENERIC_INTERNAL, NULL, NULL);
            return false;
        }
        cookie = fresh;
    }
    if (!egov_random_token(TOKEN_BYTES, rnd)) {
        egov_reply_problem(req, EGOV_EC_GENERIC_INTERNAL, NULL, NULL);
        return false;
    }
    egov_uuid7(t->id);
    (void)snprintf(t->text, sizeof(t->text), "%s%s", EGOV_PKI_CHALLENGE_PREFIX, rnd);
    binding_hash(cookie, t->binding);
    t->expires_us = egov_now_us() + EGOV_PKI_CHALLENGE_TTL_S * 1000000LL;
    c = egov_db_acquire(egov_req_db(req), 5000);
    if (c == NULL) {
        egov_reply_problem(req, EGOV_EC_DB_UNREACHABLE, NULL, NULL);
        return false;
    }
    qs = egov_db_txn(c, true, 10, ch_new_body, t);
    egov_db_release(c);
    if (qs < 0) {
        egov_reply_problem(req, pki_db_ec(qs), NULL, NULL);
        return false;
    }
    if (cookie == fresh)
        egov_reply_cookie(req, EGOV_PKI_CHALLENGE_COOKIE, fresh, 0);
    return true;
}

struct ch_use {
    const char *id;
    const char *binding;
    char text[64];
    bool ok;
};

static enum egov_db_qs ch_use_body(struct egov_db_conn *c, void *cls)
{
    struct ch_use *t = cls;
    struct egov_db_rows *rows = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->id), EGOV_DB_PARAM_END};
    struct egov_db_param u[] = {EGOV_DB_PARAM_TEXT(t->id), EGOV_DB_PARAM_INT64(egov_now_us()),
                                EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_ch_get, p, &rows);
    const char *bind;

    t->ok = false;
    if (qs <= 0) {
        egov_db_rows_free(rows);
        return qs;
    }
    bind = egov_db_rows_text(rows, 0, 1);
    if (strlen(bind) == strlen(t->binding) && egov_ct_equal(bind, t->binding, strlen(bind)) &&
        egov_db_rows_int64(rows, 0, 2) > egov_now_us() &&
        strlen(egov_db_rows_text(rows, 0, 0)) < sizeof(t->text)) {
        (void)snprintf(t->text, sizeof(t->text), "%s", egov_db_rows_text(rows, 0, 0));
        t->ok = true;
    }
    egov_db_rows_free(rows);
    /* a challenge is consumed by any attempt, right or wrong */
    qs = egov_db_exec(c, &st_ch_use, u);
    if (qs <= 0) {
        t->ok = false;
        return qs < 0 ? qs : EGOV_DB_NO_ROW;
    }
    return EGOV_DB_ONE_ROW;
}

/* ------------------------------------------------------------------ */
/* Verifying a login                                                   */
/* ------------------------------------------------------------------ */

/* base64 or base64url, with or without padding and line breaks, into @p out (room for len). */
static long decode_b64(struct egov_req *req, const char *s, size_t len, uint8_t **out)
{
    char *t = egov_arena_alloc(req->arena, len + 1);
    size_t k = 0;

    *out = egov_arena_alloc(req->arena, len + 1);
    if (t == NULL || *out == NULL)
        return -1;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (ch == '=' || ch == '\r' || ch == '\n' || ch == ' ' || ch == '\t')
            continue;
        t[k++] = ch == '+' ? '-' : ch == '/' ? '_' : ch;
    }
    t[k] = '\0';
    return k == 0 ? -1 : egov_base64url_decode(t, k, *out);
}

struct login_in {
    const char *challenge_id;
    const char *response;    /* "CERT.SIG" from the signer, or: */
    const char *certificate; /* PEM */
    const char *signature;   /* base64 */
};

struct audit_txn {
    const char *event;
    const char *addr;
    const char *rid;
    json_t *detail;
};

static enum egov_db_qs audit_body(struct egov_db_conn *c, void *cls)
{
    const struct audit_txn *t = cls;

    return egov_account_audit(c, "system", t->event, NULL, t->addr, t->rid, t->detail);
}

/* Records a refused certificate sign-in in the account audit log (best effort). */
static void audit_refusal(struct egov_req *req, enum egov_ec ec, const char *serial)
{
    struct audit_txn t = {"login.certificate_failure", egov_account_client_addr(req),
                          req->request_id, NULL};
    struct egov_db_conn *c = egov_db_acquire(egov_req_db(req), 5000);

    t.detail =
        json_pack("{s:s, s:s}", "error", egov_ec_name(ec), "serial", serial != NULL ? serial : "");
    if (c == NULL || t.detail == NULL || egov_db_txn(c, true, 10, audit_body, &t) < 0)
        egov_warn("pki: refused certificate sign-in not audited (%s)", egov_ec_name(ec));
    egov_db_release(c);
    json_decref(t.detail);
}

/*
 * Checks a login and starts the session.  Returns EGOV_EC_NONE with @p sess
 * filled, or the error to show; @p field names the bad input.
 */
static enum egov_ec login_check(struct egov_req *req, const struct login_in *in,
                                struct egov_account_session *sess, const char **field)
{
    const char *cookie = egov_req_cookie(req, EGOV_PKI_CHALLENGE_COOKIE);
    char binding[2 * EGOV_SHA256_LEN + 1], err[256] = "", account_id[37];
    const void *cert = NULL;
    uint8_t *cert_der = NULL, *sig = NULL;
    size_t cert_len = 0;
    long sig_len = -1, n;
    struct ch_use use = {0};
    struct egov_pki_cert rec;
    struct egov_db_conn *c;
    const char *amr[] = {EGOV_ACCOUNT_AMR_HWK};
    enum egov_db_qs qs;
    enum egov_ec ec;

    *field = NULL;
    /* parse everything before consuming the challenge */
    if (in->response != NULL) {
        const char *dot = strchr(in->response, '.');
        *field = "response";
        if (dot == NULL)
            return EGOV_EC_PKI_RESPONSE_MALFORMED;
        n = decode_b64(req, in->response, (size_t)(dot - in->response), &cert_der);
        sig_len = decode_b64(req, dot + 1, strlen(dot + 1), &sig);
        if (n <= 0 || sig_len <= 0 || sig_len > SIG_MAX)
            return EGOV_EC_PKI_RESPONSE_MALFORMED;
        cert = cert_der;
        cert_len = (size_t)n;
    } else if (in->certificate != NULL && in->signature != NULL) {
        cert = in->certificate;
        cert_len = strlen(in->certificate);
        sig_len = decode_b64(req, in->signature, strlen(in->signature), &sig);
        *field = "signature";
        if (sig_len <= 0 || sig_len > SIG_MAX)
            return EGOV_EC_PKI_RESPONSE_MALFORMED;
    } else {
        *field = "response";
        return EGOV_EC_GENERIC_PARAMETER_MISSING;
    }
    *field = "certificate";
    {
        uint8_t *check = NULL;
        size_t check_len = 0;
        if (egov_x509_to_der(cert, cert_len, &check, &check_len) != EGOV_EC_NONE)
            return EGOV_EC_PKI_CERT_MALFORMED;
        egov_free(check); /* only checked here; verification parses again */
    }

    *field = "challenge_id";
    if (!token_ok(cookie) || in->challenge_id == NULL || !egov_uuid_valid(in->challenge_id))
        return EGOV_EC_PKI_CHALLENGE_INVALID;
    binding_hash(cookie, binding);
    use.id = in->challenge_id;
    use.binding = binding;
    c = egov_db_acquire(egov_req_db(req), 5000);
    if (c == NULL)
        return EGOV_EC_DB_UNREACHABLE;
    qs = egov_db_txn(c, true, 10, ch_use_body, &use);
    egov_db_release(c);
    if (qs < 0)
        return pki_db_ec(qs);
    if (!use.ok)
        return EGOV_EC_PKI_CHALLENGE_INVALID;

    *field = "certificate";
    ec = egov_pki_verify_signed(egov_req_db(req), cert, cert_len, use.text, strlen(use.text), sig,
                                (size_t)sig_len, EGOV_X509_CLIENT_AUTH, &rec, err, sizeof(err));
    if (ec != EGOV_EC_NONE) {
        EGOV_CLIENT_FAULT("pki: certificate login refused: %s %s", egov_ec_name(ec), err);
        if (ec == EGOV_EC_PKI_SIGNATURE_INVALID)
            *field = "signature";
        audit_refusal(req, ec, rec.info.serial[0] != '\0' ? rec.info.serial : NULL);
        return ec;
    }
    if (strcmp(rec.ca, EGOV_PKI_CA_CITIZEN) != 0 || rec.national_id[0] == '\0') {
        EGOV_CLIENT_FAULT("pki: certificate %s of CA %s is not a personal one", rec.info.serial,
                          rec.ca);
        audit_refusal(req, EGOV_EC_PKI_PURPOSE_INVALID, rec.info.serial);
        return EGOV_EC_PKI_PURPOSE_INVALID;
    }
    *field = NULL;
    qs = egov_account_find_by_national_id(egov_req_db(req), rec.national_id, account_id);
    if (qs < 0)
        return pki_db_ec(qs);
    if (qs == 0) {
        audit_refusal(req, EGOV_EC_PKI_NO_ACCOUNT, rec.info.serial);
        return EGOV_EC_PKI_NO_ACCOUNT;
    }
    qs = egov_account_session_create(req, account_id, amr, 1, sess);
    if (qs < 0)
        return pki_db_ec(qs);
    if (qs == 0)
        return EGOV_EC_PKI_NO_ACCOUNT;
    egov_info("pki: certificate login, serial %s", rec.info.serial);
    return EGOV_EC_NONE;
}

/* ------------------------------------------------------------------ */
/* Handlers                                                            */
/* ------------------------------------------------------------------ */

void pki_handle_challenge_api(struct egov_req *req)
{
    struct ch_new t;
    char exp[32];
    json_t *j;

    if (!challenge_new(req, &t))
        return;
    egov_time_rfc3339(t.expires_us, exp);
    j = json_pack("{s:s, s:s, s:s}", "challenge_id", t.id, "challenge", t.text, "expires_at", exp);
    if (j == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    egov_reply_json(req, 201, j);
}

static json_t *session_json(const struct egov_account_session *s)
{
    return json_pack("{s:s, s:s, s:s, s:I}", "session_id", s->id, "account_id", s->account_id,
                     "acr", s->acr, "auth_time", (json_int_t)s->auth_time);
}

void pki_handle_login_api(struct egov_req *req)
{
    struct login_in in = {0};
    struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_STRING_LEN("challenge_id", &in.challenge_id, 36, 36),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("response", &in.response, 1, 40000)),
        EGOV_JSON_SPEC_OPTIONAL(
            EGOV_JSON_SPEC_STRING_LEN("certificate", &in.certificate, 1, 40000)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("signature", &in.signature, 1, 4000)),
        EGOV_JSON_SPEC_END,
    };
    struct egov_account_session sess;
    const char *field = NULL;
    enum egov_ec ec;
    json_t *j;

    if (egov_req_parse_json(req, spec) == NULL)
        return;
    ec = login_check(req, &in, &sess, &field);
    if (ec != EGOV_EC_NONE) {
        egov_reply_problem(req, ec, field, NULL);
        return;
    }
    j = session_json(&sess);
    if (j == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    egov_reply_json(req, 200, j);
}

/* A local path to go to after login, never another site. */
static const char *safe_return_to(const char *r)
{
    if (r == NULL || r[0] != '/' || r[1] == '/' || r[1] == '\\' || strlen(r) > 1000)
        return "/account";
    for (const char *p = r; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == '\\')
            return "/account";
    return r;
}

static void render_page(struct egov_req *req, unsigned int status, enum egov_ec error,
                        const char *return_to)
{
    struct ch_new t;
    const char *csrf = egov_account_csrf_token(req);
    json_t *data;

    if (csrf == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_INTERNAL, NULL, NULL);
        return;
    }
    if (!challenge_new(req, &t))
        return;
    data = json_pack("{s:s, s:s, s:s, s:s, s:i}", "challenge", t.text, "challenge_id", t.id,
                     "csrf_token", csrf, "return_to", safe_return_to(return_to), "ttl_minutes",
                     EGOV_PKI_CHALLENGE_TTL_S / 60);
    if (data == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    if (error != EGOV_EC_NONE)
        json_object_set_new(data, "error", json_string(egov_ec_hint(error)));
    egov_reply_view(req, status, "pki/login", "Sign in with a certificate", data);
}

void pki_handle_login_page(struct egov_req *req)
{
    struct egov_account_session sess;
    struct login_in in = {0};
    const char *field = NULL, *return_to;
    enum egov_ec ec;

    if (req->method_bit != EGOV_M_POST) {
        render_page(req, 200, EGOV_EC_NONE, egov_req_query(req, "return_to"));
        return;
    }
    if (req->form == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_UNSUPPORTED_MEDIA_TYPE, NULL,
                           "send the form as application/x-www-form-urlencoded");
        return;
    }
    if (!egov_account_csrf_check(req, req->form))
        return;
    in.challenge_id = egov_json_get_str(req->form, "challenge_id", NULL);
    in.response = egov_json_get_str(req->form, "response", NULL);
    return_to = safe_return_to(egov_json_get_str(req->form, "return_to", NULL));
    if (in.response != NULL && (in.response[0] == '\0' || strlen(in.response) > RESPONSE_MAX))
        in.response = NULL;
    ec = login_check(req, &in, &sess, &field);
    if (ec != EGOV_EC_NONE) {
        render_page(req, egov_ec_http_status(ec), ec, return_to);
        return;
    }
    egov_reply_redirect(req, return_to);
}
