/*
 * pages_account.c -- the account page and its forms:
 *
 *   GET  /account                     profile, sessions, second factor, recovery codes
 *   POST /account/sessions/revoke     session_id
 *   POST /account/totp/start          makes a new secret and shows the QR code
 *   POST /account/totp/confirm        code: turns TOTP on and shows recovery codes
 *   POST /account/totp/disable        password
 *   POST /account/recovery            password: new recovery codes
 *   POST /account/password            password (current), new_password
 *   POST /account/deactivate          password, confirm=yes
 *   POST /account/phone, /account/phone/confirm   (pages_phone.c)
 *
 * Every change is audited; the ones that weaken the account ask for the
 * password again.
 */
#include <stdio.h>
#include <string.h>

#include "account/account_int.h"
#include "account/pages.h"

static const struct egov_db_stmt st_sessions = {
    "account_sessions_list",
    "SELECT id, created_at, last_seen, client_addr, user_agent, amr FROM account_session"
    " WHERE account_id = $1 AND revoked_at IS NULL AND expires_at > $2 AND last_seen > $3"
    " ORDER BY created_at DESC LIMIT 50",
    NULL};
static const struct egov_db_stmt st_activity = {
    "account_activity_list",
    "SELECT at, event, client_addr FROM account_audit WHERE account_id = $1"
    " ORDER BY at DESC LIMIT 20",
    NULL};
static const struct egov_db_stmt st_recovery_left = {
    "account_recovery_left",
    "SELECT COUNT(*) FROM account_recovery WHERE account_id = $1 AND used_at IS NULL", NULL};
static const struct egov_db_stmt st_totp_secret = {
    "account_totp_secret",
    "UPDATE account SET totp_secret = $2, updated_at = $3 WHERE id = $1 AND totp_enabled = 0",
    NULL};
static const struct egov_db_stmt st_totp_enable = {
    "account_totp_enable",
    "UPDATE account SET totp_enabled = 1, totp_last_step = $2, updated_at = $3"
    " WHERE id = $1 AND totp_enabled = 0",
    NULL};
static const struct egov_db_stmt st_totp_disable = {
    "account_totp_disable",
    "UPDATE account SET totp_enabled = 0, totp_secret = NULL, totp_last_step = 0,"
    " updated_at = $2 WHERE id = $1",
    NULL};
static const struct egov_db_stmt st_recovery_clear = {
    "account_recovery_clear", "DELETE FROM account_recovery WHERE account_id = $1", NULL};
static const struct egov_db_stmt st_recovery_put = {
    "account_recovery_put",
    "INSERT INTO account_recovery (account_id, code_hash, created_at) VALUES ($1, $2, $3)", NULL};
static const struct egov_db_stmt st_password = {
    "account_change_password",
    "UPDATE account SET password_hash = $2, updated_at = $3 WHERE id = $1 AND state = 'active'",
    NULL};
static const struct egov_db_stmt st_revoke_others = {
    "account_revoke_other_sessions",
    "UPDATE account_session SET revoked_at = $3 WHERE account_id = $1 AND id <> $2"
    " AND revoked_at IS NULL",
    NULL};
static const struct egov_db_stmt st_deactivate = {
    "account_deactivate", "UPDATE account SET state = 'deactivated', updated_at = $2 WHERE id = $1",
    NULL};
static const struct egov_db_stmt st_phone_view = {
    "account_phone_view",
    "SELECT COALESCE(a.phone, ''), a.phone_verified, COALESCE(p.phone, '') FROM account a"
    " LEFT JOIN account_phone_code p ON p.account_id = a.id AND p.expires_at > $2"
    " WHERE a.id = $1",
    NULL};
static const struct egov_db_stmt st_revoke_all = {
    "account_revoke_all_sessions",
    "UPDATE account_session SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL",
    NULL};

/* ------------------------------------------------------------------ */
/* The page                                                            */
/* ------------------------------------------------------------------ */

struct view_txn {
    const char *account_id;
    const char *current;
    struct account_row acct;
    json_t *sessions;
    json_t *activity;
    int64_t recovery_left;
    char phone[ACCOUNT_PHONE_MAX + 1];
    bool phone_verified;
    char phone_pending[ACCOUNT_PHONE_MAX + 1]; /* a code was sent to it */
};

/* What the audit events mean to the account holder (msgids). */
static const struct {
    const char *event, *text;
} event_texts[] = {
    {"account.create", "Account created"},
    {"account.verify", "E-mail address confirmed"},
    {"account.deactivate", "Account closed"},
    {"session.create", "Signed in"},
    {"session.logout", "Signed out"},
    {"session.revoke", "A session was signed out"},
    {"login.password", "Password accepted"},
    {"login.failure", "Wrong password"},
    {"login.locked", "Sign-in refused: account locked"},
    {"login.throttled", "Sign-in refused: too many attempts"},
    {"login.inactive", "Sign-in refused: account not active"},
    {"login.otp", "Verification code accepted"},
    {"login.otp_failure", "Wrong verification code"},
    {"login.otp_exhausted", "Too many wrong verification codes"},
    {"totp.start", "Two-step verification set-up started"},
    {"totp.enable", "Two-step verification turned on"},
    {"totp.disable", "Two-step verification turned off"},
    {"totp.confirm_failure", "Wrong code while setting up two-step verification"},
    {"recovery.regenerate", "New recovery codes made"},
    {"password.reset_request", "Password reset requested"},
    {"password.reset", "Password changed by reset"},
    {"password.change", "Password changed"},
    {"phone.start", "Verification code sent to a phone number"},
    {"phone.verify", "Phone number confirmed"},
    {"phone.verify_failure", "Wrong code for the phone number"},
    {"account.phone", "Phone number recorded by the help desk"},
};

static const char *event_text(const char *event)
{
    for (size_t i = 0; event != NULL && i < sizeof event_texts / sizeof event_texts[0]; i++)
        if (strcmp(event, event_texts[i].event) == 0)
            return event_texts[i].text;
    return event != NULL ? event : "";
}

static enum egov_db_qs view_body(struct egov_db_conn *c, void *cls)
{
    struct view_txn *t = cls;
    struct egov_db_rows *r = NULL;
    int64_t now = egov_now_us();
    enum egov_db_qs qs = account_load(c, t->account_id, &t->acct);
    if (qs <= 0)
        return qs;
    json_array_clear(t->sessions);
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->account_id), EGOV_DB_PARAM_INT64(now),
                                EGOV_DB_PARAM_INT64(now - ACCOUNT_SESSION_IDLE_US),
                                EGOV_DB_PARAM_END};
    qs = egov_db_query(c, &st_sessions, p, &r);
    for (size_t i = 0; qs > 0 && i < egov_db_rows_count(r); i++) {
        char created[32], seen[32];
        const char *id = egov_db_rows_text(r, i, 0);
        egov_time_rfc3339(egov_db_rows_int64(r, i, 1), created);
        egov_time_rfc3339(egov_db_rows_int64(r, i, 2), seen);
        json_array_append_new(t->sessions, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "id",
                                                     id, "created", created, "last_seen", seen,
                                                     "client_addr", egov_db_rows_text(r, i, 3),
                                                     "user_agent", egov_db_rows_text(r, i, 4),
                                                     "amr", egov_db_rows_text(r, i, 5), "current",
                                                     strcmp(id, t->current) == 0));
    }
    egov_db_rows_free(r);
    r = NULL;
    if (qs < 0)
        return qs;
    struct egov_db_param q[] = {EGOV_DB_PARAM_TEXT(t->account_id), EGOV_DB_PARAM_END};
    json_array_clear(t->activity);
    qs = egov_db_query(c, &st_activity, q, &r);
    for (size_t i = 0; qs > 0 && i < egov_db_rows_count(r); i++) {
        char at[32];
        egov_time_rfc3339(egov_db_rows_int64(r, i, 0), at);
        json_array_append_new(t->activity, json_pack("{s:s, s:s, s:s}", "at", at, "what",
                                                     event_text(egov_db_rows_text(r, i, 1)), "from",
                                                     egov_db_rows_text(r, i, 2)));
    }
    egov_db_rows_free(r);
    r = NULL;
    if (qs < 0)
        return qs;
    qs = egov_db_query(c, &st_recovery_left, q, &r);
    t->recovery_left = qs == EGOV_DB_ONE_ROW ? egov_db_rows_int64(r, 0, 0) : 0;
    egov_db_rows_free(r);
    r = NULL;
    if (qs < 0)
        return qs;
    struct egov_db_param ph[] = {EGOV_DB_PARAM_TEXT(t->account_id), EGOV_DB_PARAM_INT64(now),
                                 EGOV_DB_PARAM_END};
    qs = egov_db_query(c, &st_phone_view, ph, &r);
    if (qs == EGOV_DB_ONE_ROW) {
        (void)egov_utf8_copy(t->phone, sizeof t->phone, egov_db_rows_text(r, 0, 0));
        t->phone_verified = egov_db_rows_int64(r, 0, 1) != 0;
        (void)egov_utf8_copy(t->phone_pending, sizeof t->phone_pending, egov_db_rows_text(r, 0, 2));
    }
    egov_db_rows_free(r);
    return qs < 0 ? qs : EGOV_DB_ONE_ROW;
}

void account_page_show(struct egov_req *req, const struct egov_account_session *s,
                       unsigned int status, const char *notice, const char *error)
{
    struct view_txn t;
    memset(&t, 0, sizeof t);
    t.account_id = s->account_id;
    t.current = s->id;
    t.sessions = json_array();
    t.activity = json_array();
    if (t.sessions == NULL || t.activity == NULL) {
        json_decref(t.sessions);
        json_decref(t.activity);
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    enum egov_db_qs qs = account_txn(egov_req_db(req), false, view_body, &t);
    if (qs != EGOV_DB_ONE_ROW) {
        json_decref(t.sessions);
        json_decref(t.activity);
        account_reply_db_error(req, qs < 0 ? qs : EGOV_DB_HARD_ERROR);
        return;
    }
    json_t *d = json_pack(
        "{s:s, s:s, s:s?, s:o, s:o, s:b, s:I, s:s, s:s?, s:s?}", "name", t.acct.name, "national_id",
        t.acct.national_id, "email", t.acct.email[0] != '\0' ? t.acct.email : NULL, "sessions",
        t.sessions, "activity", t.activity, "totp_enabled", t.acct.totp_enabled, "recovery_left",
        (json_int_t)t.recovery_left, "acr", s->acr, "notice", notice, "error", error);
    if (d != NULL && t.phone[0] != '\0')
        json_object_set_new(
            d, "phone", json_pack("{s:s, s:b}", "number", t.phone, "verified", t.phone_verified));
    if (d != NULL && t.phone_pending[0] != '\0')
        json_object_set_new(d, "phone_pending", json_string(t.phone_pending));
    account_render(req, status, "account/account", "Your account", d, NULL);
}

void account_handle_account_get(struct egov_req *req)
{
    struct egov_account_session s;
    if (!egov_account_require(req, NULL, &s))
        return;
    const char *done = egov_req_query(req, "done");
    const char *notice = NULL;
    if (done != NULL && strcmp(done, "revoked") == 0)
        notice = "The session was signed out.";
    else if (done != NULL && strcmp(done, "totp_off") == 0)
        notice = "Two-step verification is turned off.";
    else if (done != NULL && strcmp(done, "password") == 0)
        notice = "Your password was changed and your other sessions were signed out.";
    account_page_show(req, &s, 200, notice, NULL);
}

/* Common start of every form handler: a session and a valid CSRF token. */
static bool form_start(struct egov_req *req, struct egov_account_session *s)
{
    if (!egov_account_require(req, NULL, s))
        return false;
    return egov_account_csrf_check(req, req->form);
}

/* Checks the password typed again; replies with the account page and false if wrong. */
static bool recheck_password(struct egov_req *req, const struct egov_account_session *s)
{
    const char *pw = account_form_str(req->form, "password");
    char id[37];
    unsigned int retry = 0;
    enum egov_account_verdict v =
        pw == NULL ? EGOV_ACCOUNT_BAD_CREDENTIALS
                   : egov_account_verify_password(egov_req_db(req), s->national_id, pw,
                                                  egov_account_client_addr(req), req->request_id,
                                                  id, NULL, &retry);
    if (v == EGOV_ACCOUNT_OK && strcmp(id, s->account_id) == 0)
        return true;
    if (v == EGOV_ACCOUNT_ERROR) {
        egov_reply_problem(req, EGOV_EC_DB_SOFT_ERROR, NULL, NULL);
        return false;
    }
    enum egov_ec ec = v == EGOV_ACCOUNT_LOCKED || v == EGOV_ACCOUNT_THROTTLED
                          ? EGOV_EC_ACCOUNT_LOCKED
                          : EGOV_EC_ACCOUNT_BAD_CREDENTIALS;
    account_page_show(req, s, egov_ec_http_status(ec), NULL, egov_ec_hint(ec));
    return false;
}

/* ------------------------------------------------------------------ */
/* Sessions                                                            */
/* ------------------------------------------------------------------ */

void account_handle_session_revoke(struct egov_req *req)
{
    struct egov_account_session s;
    if (!form_start(req, &s))
        return;
    const char *sid = account_form_str(req->form, "session_id");
    enum egov_db_qs qs = egov_account_session_revoke(egov_req_db(req), req, sid, s.account_id);
    if (qs < 0) {
        account_reply_db_error(req, qs);
        return;
    }
    if (sid != NULL && strcmp(sid, s.id) == 0) {
        egov_reply_cookie(req, EGOV_ACCOUNT_COOKIE, "", -1);
        egov_reply_redirect(req, "/");
        return;
    }
    egov_reply_redirect(req, "/account?done=revoked");
}

/* ------------------------------------------------------------------ */
/* TOTP enrolment                                                      */
/* ------------------------------------------------------------------ */

struct secret_txn {
    const char *account_id;
    const char *secret;
    const char *addr, *rid;
    bool stored;
};

static enum egov_db_qs secret_body(struct egov_db_conn *c, void *cls)
{
    struct secret_txn *t = cls;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->account_id), EGOV_DB_PARAM_TEXT(t->secret),
                                EGOV_DB_PARAM_INT64(egov_now_us()), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_exec(c, &st_totp_secret, p);
    t->stored = qs > 0;
    if (qs <= 0)
        return qs;
    return egov_account_audit(c, t->account_id, "totp.start", t->account_id, t->addr, t->rid, NULL);
}

/* Renders the enrolment page for base32 secret @p secret. */
static void enrol_page(struct egov_req *req, const struct egov_account_session *s,
                       unsigned int status, const char *secret, const char *error)
{
    char *label = egov_arena_printf(req->arena,
                                    "otpauth://totp/egov:%s?secret=%s&issuer=egov"
                                    "&algorithm=SHA1&digits=6&period=30",
                                    s->national_id, secret);
    char *qr = label != NULL ? account_qr_data_uri(label) : NULL;
    if (qr == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_INTERNAL, NULL, NULL);
        return;
    }
    /* the secret in groups of four, easier to type */
    char grouped[128];
    size_t o = 0;
    for (size_t i = 0; secret[i] != '\0' && o + 2 < sizeof grouped; i++) {
        if (i > 0 && i % 4 == 0)
            grouped[o++] = ' ';
        grouped[o++] = secret[i];
    }
    grouped[o] = '\0';
    json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:s?}", "qr", qr, "secret", secret,
                          "secret_grouped", grouped, "otpauth", label, "error", error);
    egov_free(qr);
    account_render(req, status, "account/totp", "Set up two-step verification", d, NULL);
}

void account_handle_totp_start(struct egov_req *req)
{
    struct egov_account_session s;
    uint8_t key[ACCOUNT_TOTP_SECRET_LEN];
    char secret[64];
    if (!form_start(req, &s))
        return;
    if (!egov_random(key, sizeof key)) {
        egov_reply_problem(req, EGOV_EC_GENERIC_INTERNAL, NULL, NULL);
        return;
    }
    account_base32_encode(key, sizeof key, secret, sizeof secret);
    egov_wipe(key, sizeof key);
    char sealed[160];
    if (!account_secret_seal(secret, s.account_id, sealed, sizeof sealed)) {
        egov_wipe(secret, sizeof secret);
        egov_reply_problem(req, EGOV_EC_GENERIC_INTERNAL, NULL, NULL);
        return;
    }
    struct secret_txn t = {s.account_id, sealed, egov_account_client_addr(req), req->request_id,
                           false};
    enum egov_db_qs qs = account_txn(egov_req_db(req), true, secret_body, &t);
    if (qs < 0) {
        account_reply_db_error(req, qs);
        return;
    }
    if (!t.stored) { /* already enabled */
        egov_reply_redirect(req, "/account");
        return;
    }
    enrol_page(req, &s, 200, secret, NULL);
    egov_wipe(secret, sizeof secret);
}

/* Makes ACCOUNT_RECOVERY_CODES codes into @p codes and stores their hashes on @p c. */
static enum egov_db_qs make_recovery(struct egov_db_conn *c, const char *account_id,
                                     char codes[ACCOUNT_RECOVERY_CODES][ACCOUNT_RECOVERY_LEN])
{
    int64_t now = egov_now_us();
    struct egov_db_param d[] = {EGOV_DB_PARAM_TEXT(account_id), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_exec(c, &st_recovery_clear, d);
    if (qs < 0)
        return qs;
    for (int i = 0; i < ACCOUNT_RECOVERY_CODES; i++) {
        uint8_t raw[10];
        char b32[24], norm[24], hash[65];
        if (!egov_random(raw, sizeof raw))
            return EGOV_DB_HARD_ERROR;
        /* 80 bits, 16 characters: out of reach of an offline search of the hashes */
        account_base32_encode(raw, sizeof raw, b32, sizeof b32);
        account_recovery_normalise(b32, norm, sizeof norm);
        snprintf(codes[i], ACCOUNT_RECOVERY_LEN, "%.4s-%.4s-%.4s-%.4s", norm, norm + 4, norm + 8,
                 norm + 12);
        account_recovery_hash(account_id, norm, hash);
        struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(account_id), EGOV_DB_PARAM_TEXT(hash),
                                    EGOV_DB_PARAM_INT64(now), EGOV_DB_PARAM_END};
        qs = egov_db_exec(c, &st_recovery_put, p);
        if (qs < 0)
            return qs;
    }
    return EGOV_DB_ONE_ROW;
}

static json_t *codes_json(char codes[ACCOUNT_RECOVERY_CODES][ACCOUNT_RECOVERY_LEN])
{
    json_t *a = json_array();
    for (int i = 0; a != NULL && i < ACCOUNT_RECOVERY_CODES; i++)
        json_array_append_new(a, json_string(codes[i]));
    return a;
}

struct confirm_txn {
    const char *account_id, *code, *addr, *rid;
    char secret[64];
    bool ok;
    char codes[ACCOUNT_RECOVERY_CODES][ACCOUNT_RECOVERY_LEN];
};

static enum egov_db_qs confirm_body(struct egov_db_conn *c, void *cls)
{
    struct confirm_txn *t = cls;
    struct account_row a;
    uint8_t key[64];
    int64_t step = 0;
    t->ok = false;
    enum egov_db_qs qs = account_load(c, t->account_id, &a);
    if (qs <= 0)
        return qs;
    long keylen = -1;
    if (account_secret_open(a.totp_secret, t->account_id, t->secret, sizeof t->secret))
        keylen = account_base32_decode(t->secret, key, sizeof key);
    if (a.totp_enabled || keylen <= 0 ||
        !account_totp_verify(key, (size_t)keylen, t->code, egov_now_us() / 1000000, 0, &step)) {
        egov_wipe(key, sizeof key);
        return egov_account_audit(c, t->account_id, "totp.confirm_failure", t->account_id, t->addr,
                                  t->rid, NULL);
    }
    egov_wipe(key, sizeof key);
    int64_t now = egov_now_us();
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->account_id), EGOV_DB_PARAM_INT64(step),
                                EGOV_DB_PARAM_INT64(now), EGOV_DB_PARAM_END};
    qs = egov_db_exec(c, &st_totp_enable, p);
    if (qs <= 0)
        return qs;
    qs = make_recovery(c, t->account_id, t->codes);
    if (qs < 0)
        return qs;
    t->ok = true;
    return egov_account_audit(c, t->account_id, "totp.enable", t->account_id, t->addr, t->rid,
                              NULL);
}

void account_handle_totp_confirm(struct egov_req *req)
{
    struct egov_account_session s;
    if (!form_start(req, &s))
        return;
    const char *code = account_form_str(req->form, "code");
    struct confirm_txn t;
    memset(&t, 0, sizeof t);
    t.account_id = s.account_id;
    t.code = code != NULL && strlen(code) < 16 ? code : "";
    t.addr = egov_account_client_addr(req);
    t.rid = req->request_id;
    enum egov_db_qs qs = account_txn(egov_req_db(req), true, confirm_body, &t);
    if (qs < 0) {
        account_reply_db_error(req, qs);
        return;
    }
    if (!t.ok) {
        if (t.secret[0] == '\0') {
            egov_reply_redirect(req, "/account");
            return;
        }
        enrol_page(req, &s, 400, t.secret, egov_ec_hint(EGOV_EC_ACCOUNT_OTP_INVALID));
        egov_wipe(&t, sizeof t);
        return;
    }
    json_t *d = json_pack("{s:o}", "codes", codes_json(t.codes));
    egov_wipe(&t, sizeof t);
    account_render(req, 200, "account/recovery", "Your recovery codes", d, NULL);
}

struct simple_txn {
    const char *account_id, *addr, *rid;
    const char *what;
    char codes[ACCOUNT_RECOVERY_CODES][ACCOUNT_RECOVERY_LEN];
};

static enum egov_db_qs disable_body(struct egov_db_conn *c, void *cls)
{
    struct simple_txn *t = cls;
    int64_t now = egov_now_us();
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->account_id), EGOV_DB_PARAM_INT64(now),
                                EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_exec(c, &st_totp_disable, p);
    if (qs < 0)
        return qs;
    struct egov_db_param d[] = {EGOV_DB_PARAM_TEXT(t->account_id), EGOV_DB_PARAM_END};
    qs = egov_db_exec(c, &st_recovery_clear, d);
    if (qs < 0)
        return qs;
    return egov_account_audit(c, t->account_id, "totp.disable", t->account_id, t->addr, t->rid,
                              NULL);
}

void account_handle_totp_disable(struct egov_req *req)
{
    struct egov_account_session s;
    if (!form_start(req, &s) || !recheck_password(req, &s))
        return;
    struct simple_txn t = {
        s.account_id, egov_account_client_addr(req), req->request_id, NULL, {{0}}};
    enum egov_db_qs qs = account_txn(egov_req_db(req), true, disable_body, &t);
    if (qs < 0) {
        account_reply_db_error(req, qs);
        return;
    }
    egov_reply_redirect(req, "/account?done=totp_off");
}

static enum egov_db_qs recovery_body(struct egov_db_conn *c, void *cls)
{
    struct simple_txn *t = cls;
    struct account_row a;
    enum egov_db_qs qs = account_load(c, t->account_id, &a);
    if (qs <= 0)
        return qs;
    if (!a.totp_enabled)
        return EGOV_DB_NO_ROW;
    qs = make_recovery(c, t->account_id, t->codes);
    if (qs < 0)
        return qs;
    qs = egov_account_audit(c, t->account_id, "recovery.regenerate", t->account_id, t->addr, t->rid,
                            NULL);
    return qs < 0 ? qs : EGOV_DB_ONE_ROW;
}

void account_handle_recovery(struct egov_req *req)
{
    struct egov_account_session s;
    if (!form_start(req, &s) || !recheck_password(req, &s))
        return;
    struct simple_txn t = {
        s.account_id, egov_account_client_addr(req), req->request_id, NULL, {{0}}};
    enum egov_db_qs qs = account_txn(egov_req_db(req), true, recovery_body, &t);
    if (qs < 0) {
        account_reply_db_error(req, qs);
        return;
    }
    if (qs == EGOV_DB_NO_ROW) {
        egov_reply_redirect(req, "/account");
        return;
    }
    json_t *d = json_pack("{s:o}", "codes", codes_json(t.codes));
    egov_wipe(&t, sizeof t);
    account_render(req, 200, "account/recovery", "Your recovery codes", d, NULL);
}

/* ------------------------------------------------------------------ */
/* Deactivation                                                        */
/* ------------------------------------------------------------------ */

static enum egov_db_qs deactivate_body(struct egov_db_conn *c, void *cls)
{
    struct simple_txn *t = cls;
    int64_t now = egov_now_us();
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->account_id), EGOV_DB_PARAM_INT64(now),
                                EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_exec(c, &st_deactivate, p);
    if (qs < 0)
        return qs;
    qs = egov_db_exec(c, &st_revoke_all, p);
    if (qs < 0)
        return qs;
    return egov_account_audit(c, t->account_id, "account.deactivate", t->account_id, t->addr,
                              t->rid, NULL);
}

void account_handle_deactivate(struct egov_req *req)
{
    struct egov_account_session s;
    if (!form_start(req, &s))
        return;
    const char *confirm = account_form_str(req->form, "confirm");
    if (confirm == NULL || strcmp(confirm, "yes") != 0) {
        account_page_show(req, &s, 400, NULL,
                          "Tick the box to confirm that you want to close your account.");
        return;
    }
    if (!recheck_password(req, &s))
        return;
    struct simple_txn t = {
        s.account_id, egov_account_client_addr(req), req->request_id, NULL, {{0}}};
    enum egov_db_qs qs = account_txn(egov_req_db(req), true, deactivate_body, &t);
    if (qs < 0) {
        account_reply_db_error(req, qs);
        return;
    }
    egov_reply_cookie(req, EGOV_ACCOUNT_COOKIE, "", -1);
    account_render(req, 200, "account/done", "Your account is closed",
                   json_pack("{s:s}", "message",
                             "Your account is closed and every session was signed out. Contact "
                             "the help desk if you want to use it again."),
                   NULL);
}

/* ------------------------------------------------------------------ */
/* Password change                                                     */
/* ------------------------------------------------------------------ */

struct password_txn {
    const char *account_id, *session_id, *hash, *addr, *rid;
};

static enum egov_db_qs password_body(struct egov_db_conn *c, void *cls)
{
    struct password_txn *t = cls;
    int64_t now = egov_now_us();
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->account_id), EGOV_DB_PARAM_TEXT(t->hash),
                                EGOV_DB_PARAM_INT64(now), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_exec(c, &st_password, p);
    if (qs <= 0)
        return qs;
    struct egov_db_param o[] = {EGOV_DB_PARAM_TEXT(t->account_id),
                                EGOV_DB_PARAM_TEXT(t->session_id), EGOV_DB_PARAM_INT64(now),
                                EGOV_DB_PARAM_END};
    qs = egov_db_exec(c, &st_revoke_others, o);
    if (qs < 0)
        return qs;
    qs = egov_account_audit(c, t->account_id, "password.change", t->account_id, t->addr, t->rid,
                            NULL);
    return qs < 0 ? qs : EGOV_DB_ONE_ROW;
}

void account_handle_password(struct egov_req *req)
{
    struct egov_account_session s;
    char hash[256];
    struct account_row a;
    if (!form_start(req, &s))
        return;
    const char *pw = account_form_str(req->form, "new_password");
    enum egov_db_qs qs = account_load_db(egov_req_db(req), s.account_id, &a);
    if (qs != EGOV_DB_ONE_ROW) {
        account_reply_db_error(req, qs < 0 ? qs : EGOV_DB_HARD_ERROR);
        return;
    }
    const char *ctx[] = {a.national_id, a.name, a.email[0] != '\0' ? a.email : NULL, NULL};
    enum egov_account_pw_problem pp = egov_account_password_check(pw, ctx);
    if (pp != EGOV_ACCOUNT_PW_OK) {
        static const enum egov_ec ecs[] = {EGOV_EC_NONE,
                                           EGOV_EC_ACCOUNT_PASSWORD_TOO_SHORT,
                                           EGOV_EC_ACCOUNT_PASSWORD_TOO_LONG,
                                           EGOV_EC_ACCOUNT_PASSWORD_INVALID,
                                           EGOV_EC_ACCOUNT_PASSWORD_COMMON,
                                           EGOV_EC_ACCOUNT_PASSWORD_CONTEXT};
        account_page_show(req, &s, 400, NULL, egov_ec_hint(ecs[pp]));
        return;
    }
    if (!recheck_password(req, &s))
        return;
    if (!egov_account_password_hash(pw, hash, sizeof hash)) {
        egov_reply_problem(req, EGOV_EC_GENERIC_INTERNAL, NULL, NULL);
        return;
    }
    struct password_txn t = {s.account_id, s.id, hash, egov_account_client_addr(req),
                             req->request_id};
    qs = account_txn(egov_req_db(req), true, password_body, &t);
    egov_wipe(hash, sizeof hash);
    if (qs != EGOV_DB_ONE_ROW) {
        account_reply_db_error(req, qs < 0 ? qs : EGOV_DB_HARD_ERROR);
        return;
    }
    egov_reply_redirect(req, "/account?done=password");
}
