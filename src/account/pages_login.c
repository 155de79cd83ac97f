/*
 * pages_login.c -- sign-in pages: the password step, the second factor
 * (TOTP or a recovery code), sign-out, and the session as JSON.
 *
 *   GET/POST /login?return_to=/path[&prompt=login][&login_hint=ID]
 *   GET/POST /login/otp?return_to=/path
 *   GET/POST /logout
 *   GET      /api/account/session
 */
#include <stdio.h>
#include <string.h>

#include "account/account_int.h"
#include "account/pages.h"

static const struct egov_db_stmt st_pending_put = {
    "account_login_put",
    "INSERT INTO account_login (token_hash, account_id, amr, attempts, created_at, expires_at)"
    " VALUES ($1, $2, $3, 0, $4, $5)",
    NULL};
static const struct egov_db_stmt st_pending_try = {
    "account_login_try",
    "UPDATE account_login SET attempts = attempts + 1 WHERE token_hash = $1 AND expires_at > $2"
    " RETURNING account_id, amr, attempts",
    NULL};
static const struct egov_db_stmt st_pending_get = {
    "account_login_get",
    "SELECT account_id FROM account_login WHERE token_hash = $1 AND expires_at > $2", NULL};
static const struct egov_db_stmt st_pending_del = {
    "account_login_del", "DELETE FROM account_login WHERE token_hash = $1 OR expires_at < $2",
    NULL};
static const struct egov_db_stmt st_totp_step = {
    "account_totp_step",
    "UPDATE account SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2"
    " AND totp_enabled = 1",
    NULL};
static const struct egov_db_stmt st_recovery_use = {
    "account_recovery_use",
    "UPDATE account_recovery SET used_at = $3 WHERE account_id = $1 AND code_hash = $2"
    " AND used_at IS NULL",
    NULL};

const char *account_return_to(struct egov_req *req, const json_t *form)
{
    const char *r =
        form != NULL ? account_form_str(form, "return_to") : egov_req_query(req, "return_to");
    return account_local_path(r) ? r : "/";
}

void account_render(struct egov_req *req, unsigned int status, const char *tmpl, const char *title,
                    json_t *data, const char *return_to)
{
    if (data != NULL && json_object_get(data, "title") == NULL)
        json_object_set_new(data, "title", json_string(title));
    if (data == NULL || !account_page_common(req, data, return_to)) {
        json_decref(data);
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    egov_reply_view(req, status, tmpl, title, data);
}

/* ------------------------------------------------------------------ */
/* Password step                                                       */
/* ------------------------------------------------------------------ */

static void login_page(struct egov_req *req, unsigned int status, const char *return_to,
                       const char *login, bool prompt_login, const char *error)
{
    json_t *d = json_pack("{s:s?, s:b, s:s?}", "login", login, "prompt_login", prompt_login,
                          "error", error);
    account_render(req, status, "account/login", "Sign in", d, return_to);
}

void account_handle_login_get(struct egov_req *req)
{
    struct egov_account_session s;
    const char *return_to = account_return_to(req, NULL);
    const char *prompt = egov_req_query(req, "prompt");
    bool force = prompt != NULL && strcmp(prompt, "login") == 0;
    const char *hint = egov_req_query(req, "login_hint");
    if (hint != NULL && strlen(hint) > ACCOUNT_EMAIL_MAX)
        hint = NULL;
    if (!force) {
        enum egov_db_qs qs = egov_account_session_current(req, &s);
        if (qs < 0) {
            account_reply_db_error(req, qs);
            return;
        }
        if (qs == EGOV_DB_ONE_ROW) {
            egov_reply_redirect(req, return_to);
            return;
        }
    }
    login_page(req, 200, return_to, hint, force, NULL);
}

struct pending_txn {
    const char *hash, *account_id, *amr;
};

static enum egov_db_qs pending_put_body(struct egov_db_conn *c, void *cls)
{
    struct pending_txn *t = cls;
    int64_t now = egov_now_us();
    struct egov_db_param del[] = {EGOV_DB_PARAM_TEXT(""), EGOV_DB_PARAM_INT64(now),
                                  EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_exec(c, &st_pending_del, del); /* sweep expired steps */
    if (qs < 0)
        return qs;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->hash),
                                EGOV_DB_PARAM_TEXT(t->account_id),
                                EGOV_DB_PARAM_TEXT(t->amr),
                                EGOV_DB_PARAM_INT64(now),
                                EGOV_DB_PARAM_INT64(now + ACCOUNT_LOGIN_STEP_US),
                                EGOV_DB_PARAM_END};
    return egov_db_exec(c, &st_pending_put, p);
}

void account_handle_login_post(struct egov_req *req)
{
    const json_t *form = req->form;
    char account_id[37], retry_txt[16];
    bool has_totp = false;
    unsigned int retry = 0;
    if (!egov_account_csrf_check(req, form))
        return;
    const char *return_to = account_return_to(req, form);
    const char *login = account_form_str(form, "login");
    const char *password = account_form_str(form, "password");
    const char *prompt = account_form_str(form, "prompt");
    bool force = prompt != NULL && strcmp(prompt, "login") == 0;
    if (login == NULL || login[0] == '\0' || password == NULL || password[0] == '\0') {
        login_page(req, 400, return_to, login, force,
                   egov_ec_hint(EGOV_EC_ACCOUNT_BAD_CREDENTIALS));
        return;
    }
    enum egov_account_verdict v = egov_account_verify_password(
        egov_req_db(req), login, password, egov_account_client_addr(req), req->request_id,
        account_id, &has_totp, &retry);
    switch (v) {
    case EGOV_ACCOUNT_OK:
        break;
    case EGOV_ACCOUNT_BAD_CREDENTIALS:
        login_page(req, 401, return_to, login, force,
                   egov_ec_hint(EGOV_EC_ACCOUNT_BAD_CREDENTIALS));
        return;
    case EGOV_ACCOUNT_LOCKED:
    case EGOV_ACCOUNT_THROTTLED:
        snprintf(retry_txt, sizeof retry_txt, "%u", retry);
        egov_reply_header(req, "Retry-After", retry_txt);
        login_page(req, 429, return_to, login, force, egov_ec_hint(EGOV_EC_ACCOUNT_LOCKED));
        return;
    case EGOV_ACCOUNT_INACTIVE:
        login_page(req, 403, return_to, login, force, egov_ec_hint(EGOV_EC_ACCOUNT_INACTIVE));
        return;
    case EGOV_ACCOUNT_ERROR:
    default:
        egov_reply_problem(req, EGOV_EC_DB_SOFT_ERROR, NULL, NULL);
        return;
    }
    if (has_totp) {
        char token[44], hash[65];
        if (!egov_random_token(32, token)) {
            egov_reply_problem(req, EGOV_EC_GENERIC_INTERNAL, NULL, NULL);
            return;
        }
        account_hash_hex(token, hash);
        struct pending_txn t = {hash, account_id, EGOV_ACCOUNT_AMR_PWD};
        enum egov_db_qs qs = account_txn(egov_req_db(req), true, pending_put_body, &t);
        if (qs < 0) {
            account_reply_db_error(req, qs);
            return;
        }
        egov_reply_cookie(req, ACCOUNT_LOGIN_COOKIE, token,
                          (long)(ACCOUNT_LOGIN_STEP_US / 1000000));
        egov_wipe(token, sizeof token);
        const char *enc = account_urlencode(req, return_to);
        egov_reply_redirect(req, egov_arena_printf(req->arena, "/login/otp?return_to=%s",
                                                   enc != NULL ? enc : "%2F"));
        return;
    }
    const char *amr[] = {EGOV_ACCOUNT_AMR_PWD};
    enum egov_db_qs qs = egov_account_session_create(req, account_id, amr, 1, NULL);
    if (qs != EGOV_DB_ONE_ROW) {
        account_reply_db_error(req, qs < 0 ? qs : EGOV_DB_HARD_ERROR);
        return;
    }
    egov_reply_redirect(req, return_to);
}

/* ------------------------------------------------------------------ */
/* Second factor                                                       */
/* ------------------------------------------------------------------ */

static void otp_page(struct egov_req *req, unsigned int status, const char *return_to,
                     const char *error)
{
    account_render(req, status, "account/otp", "Verification code",
                   json_pack("{s:s?}", "error", error), return_to);
}

struct get_pending_txn {
    const char *hash;
    bool found;
};

static enum egov_db_qs get_pending_body(struct egov_db_conn *c, void *cls)
{
    struct get_pending_txn *t = cls;
    struct egov_db_rows *r = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->hash), EGOV_DB_PARAM_INT64(egov_now_us()),
                                EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_pending_get, p, &r);
    t->found = qs == EGOV_DB_ONE_ROW;
    egov_db_rows_free(r);
    return qs;
}

/* Sends the browser back to the password step. */
static void restart_login(struct egov_req *req, const char *return_to)
{
    const char *enc = account_urlencode(req, return_to);
    egov_reply_cookie(req, ACCOUNT_LOGIN_COOKIE, "", -1);
    egov_reply_redirect(
        req, egov_arena_printf(req->arena, "/login?return_to=%s", enc != NULL ? enc : "%2F"));
}

void account_handle_otp_get(struct egov_req *req)
{
    char hash[65];
    const char *return_to = account_return_to(req, NULL);
    const char *tok = egov_req_cookie(req, ACCOUNT_LOGIN_COOKIE);
    if (tok == NULL || strlen(tok) != 43) {
        restart_login(req, return_to);
        return;
    }
    account_hash_hex(tok, hash);
    struct get_pending_txn t = {hash, false};
    enum egov_db_qs qs = account_txn(egov_req_db(req), false, get_pending_body, &t);
    if (qs < 0) {
        account_reply_db_error(req, qs);
        return;
    }
    if (!t.found) {
        restart_login(req, return_to);
        return;
    }
    otp_page(req, 200, return_to, NULL);
}

enum otp_outcome { OTP_OK, OTP_WRONG, OTP_EXPIRED };

struct otp_txn {
    const char *hash;
    const char *code;
    const char *addr, *rid;
    char account_id[37];
    char amr[32];
    enum otp_outcome outcome;
    const char *method;
};

/* Normalises a recovery code: lower-case, without '-' and spaces. */
void account_recovery_normalise(const char *in, char *out, size_t outlen)
{
    size_t o = 0;
    for (; in != NULL && *in != '\0' && o + 1 < outlen; in++) {
        char c = *in;
        if (c == '-' || c == ' ')
            continue;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        out[o++] = c;
    }
    out[o] = '\0';
}

void account_recovery_hash(const char *account_id, const char *normalised, char out[65])
{
    char buf[128];
    snprintf(buf, sizeof buf, "recovery:%s:%s", account_id, normalised);
    account_hash_hex(buf, out);
    egov_wipe(buf, sizeof buf);
}

static enum egov_db_qs otp_body(struct egov_db_conn *c, void *cls)
{
    struct otp_txn *t = cls;
    struct egov_db_rows *r = NULL;
    int64_t now = egov_now_us();
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->hash), EGOV_DB_PARAM_INT64(now),
                                EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_pending_try, p, &r);
    int64_t attempts = 0;
    t->outcome = OTP_EXPIRED;
    t->method = "otp";
    if (qs == EGOV_DB_ONE_ROW) {
        snprintf(t->account_id, sizeof t->account_id, "%s", egov_db_rows_text(r, 0, 0));
        snprintf(t->amr, sizeof t->amr, "%s", egov_db_rows_text(r, 0, 1));
        attempts = egov_db_rows_int64(r, 0, 2);
    }
    egov_db_rows_free(r);
    if (qs <= 0)
        return qs;
    if (attempts > ACCOUNT_OTP_MAX_TRIES) {
        struct egov_db_param d[] = {EGOV_DB_PARAM_TEXT(t->hash), EGOV_DB_PARAM_INT64(now),
                                    EGOV_DB_PARAM_END};
        qs = egov_db_exec(c, &st_pending_del, d);
        if (qs < 0)
            return qs;
        return egov_account_audit(c, t->account_id, "login.otp_exhausted", t->account_id, t->addr,
                                  t->rid, NULL);
    }
    struct account_row acct;
    qs = account_load(c, t->account_id, &acct);
    if (qs <= 0)
        return qs;
    t->outcome = OTP_WRONG;
    uint8_t key[64];
    char secret[64];
    long keylen = -1;
    if (account_secret_open(acct.totp_secret, t->account_id, secret, sizeof secret)) {
        keylen = account_base32_decode(secret, key, sizeof key);
        /* a secret stored in clear before sealing became the default: seal it now */
        if (keylen > 0 && !account_secret_is_sealed(acct.totp_secret)) {
            qs = account_secret_reseal(c, t->account_id, acct.totp_secret);
            if (qs < 0) {
                egov_wipe(secret, sizeof secret);
                egov_wipe(key, sizeof key);
                return qs;
            }
        }
    }
    egov_wipe(secret, sizeof secret);
    int64_t step = 0;
    size_t clen = strlen(t->code);
    if (acct.totp_enabled && keylen > 0 && clen == ACCOUNT_TOTP_DIGITS &&
        account_totp_verify(key, (size_t)keylen, t->code, now / 1000000, acct.totp_last_step,
                            &step)) {
        struct egov_db_param s[] = {EGOV_DB_PARAM_TEXT(t->account_id), EGOV_DB_PARAM_INT64(step),
                                    EGOV_DB_PARAM_END};
        qs = egov_db_exec(c, &st_totp_step, s); /* 0 rows: the code was just used */
        if (qs < 0)
            goto out;
        if (qs > 0)
            t->outcome = OTP_OK;
    } else if (acct.totp_enabled && clen > ACCOUNT_TOTP_DIGITS && clen < 32) {
        char norm[32], h[65];
        account_recovery_normalise(t->code, norm, sizeof norm);
        account_recovery_hash(t->account_id, norm, h);
        struct egov_db_param u[] = {EGOV_DB_PARAM_TEXT(t->account_id), EGOV_DB_PARAM_TEXT(h),
                                    EGOV_DB_PARAM_INT64(now), EGOV_DB_PARAM_END};
        qs = egov_db_exec(c, &st_recovery_use, u);
        if (qs < 0)
            goto out;
        if (qs > 0) {
            t->outcome = OTP_OK;
            t->method = "recovery";
        }
    }
    if (t->outcome == OTP_OK) {
        struct egov_db_param d[] = {EGOV_DB_PARAM_TEXT(t->hash), EGOV_DB_PARAM_INT64(now),
                                    EGOV_DB_PARAM_END};
        qs = egov_db_exec(c, &st_pending_del, d);
        if (qs >= 0)
            qs = account_fail_reset(c, t->account_id, now);
    } else {
        /* wrong codes lock the account like wrong passwords do */
        int64_t lock_until = 0;
        qs = account_fail(c, t->account_id, now, &lock_until);
    }
    if (qs < 0)
        goto out;
    json_t *detail = json_pack("{s:s}", "method", t->method);
    qs = egov_account_audit(c, t->account_id,
                            t->outcome == OTP_OK ? "login.otp" : "login.otp_failure", t->account_id,
                            t->addr, t->rid, detail);
    json_decref(detail);
out:
    egov_wipe(key, sizeof key);
    return qs < 0 ? qs : EGOV_DB_ONE_ROW;
}

void account_handle_otp_post(struct egov_req *req)
{
    char hash[65];
    const json_t *form = req->form;
    if (!egov_account_csrf_check(req, form))
        return;
    const char *return_to = account_return_to(req, form);
    const char *tok = egov_req_cookie(req, ACCOUNT_LOGIN_COOKIE);
    const char *code = account_form_str(form, "code");
    if (tok == NULL || strlen(tok) != 43) {
        restart_login(req, return_to);
        return;
    }
    if (code == NULL || strlen(code) > 64) {
        otp_page(req, 400, return_to, egov_ec_hint(EGOV_EC_ACCOUNT_OTP_INVALID));
        return;
    }
    account_hash_hex(tok, hash);
    struct otp_txn t;
    memset(&t, 0, sizeof t);
    t.hash = hash;
    t.code = code;
    t.addr = egov_account_client_addr(req);
    t.rid = req->request_id;
    enum egov_db_qs qs = account_txn(egov_req_db(req), true, otp_body, &t);
    if (qs < 0) {
        account_reply_db_error(req, qs);
        return;
    }
    if (t.outcome == OTP_EXPIRED) {
        egov_reply_cookie(req, ACCOUNT_LOGIN_COOKIE, "", -1);
        login_page(req, 400, return_to, NULL, false, egov_ec_hint(EGOV_EC_ACCOUNT_LOGIN_EXPIRED));
        return;
    }
    if (t.outcome == OTP_WRONG) {
        otp_page(req, 401, return_to, egov_ec_hint(EGOV_EC_ACCOUNT_OTP_INVALID));
        return;
    }
    const char *amr[] = {EGOV_ACCOUNT_AMR_PWD, EGOV_ACCOUNT_AMR_OTP};
    qs = egov_account_session_create(req, t.account_id, amr, 2, NULL);
    if (qs != EGOV_DB_ONE_ROW) {
        account_reply_db_error(req, qs < 0 ? qs : EGOV_DB_HARD_ERROR);
        return;
    }
    egov_reply_cookie(req, ACCOUNT_LOGIN_COOKIE, "", -1);
    egov_reply_redirect(req, return_to);
}

/* ------------------------------------------------------------------ */
/* Sign-out and the session as JSON                                    */
/* ------------------------------------------------------------------ */

void account_handle_logout_get(struct egov_req *req)
{
    account_render(req, 200, "account/logout", "Sign out", json_object(),
                   account_return_to(req, NULL));
}

void account_handle_logout_post(struct egov_req *req)
{
    if (!egov_account_csrf_check(req, req->form))
        return;
    const char *return_to = account_return_to(req, req->form);
    enum egov_db_qs qs = egov_account_logout(req);
    if (qs < 0) {
        account_reply_db_error(req, qs);
        return;
    }
    egov_reply_redirect(req, return_to);
}

json_t *account_session_json(const struct egov_account_session *s)
{
    json_t *amr = json_array();
    for (unsigned int i = 0; amr != NULL && i < s->n_amr; i++)
        json_array_append_new(amr, json_string(s->amr[i]));
    char created[32], expires[32];
    egov_time_rfc3339(s->created_us, created);
    egov_time_rfc3339(s->expires_us, expires);
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:s, s:s, s:s}", "session_id", s->id,
                     "account_id", s->account_id, "principal_id", s->principal_id, "name", s->name,
                     "auth_time", (json_int_t)s->auth_time, "amr", amr != NULL ? amr : json_array(),
                     "acr", s->acr, "created", created, "expires", expires);
}

void account_handle_session_api(struct egov_req *req)
{
    struct egov_account_session s;
    enum egov_db_qs qs = egov_account_session_current(req, &s);
    if (qs < 0) {
        account_reply_db_error(req, qs);
        return;
    }
    if (qs == EGOV_DB_NO_ROW) {
        egov_reply_problem(req, EGOV_EC_GENERIC_UNAUTHORIZED, NULL, NULL);
        return;
    }
    egov_reply_json(req, 200, account_session_json(&s));
}
