/*
 * pages_register.c -- self-registration with e-mail verification, password
 * reset by mailed link, and the development mailbox.
 *
 *   GET/POST /register                   the form; POST creates a pending account (an ID
 *                                        or address in use gets the same answer, and its
 *                                        owner a mail saying someone tried)
 *   GET/POST /register/verify?token=...  GET shows a confirm button, POST activates
 *   GET/POST /password/reset             ask for a reset link
 *   GET/POST /password/reset/confirm?token=...  set a new password
 *   GET      /dev/mailbox                mail sent by the platform (account.dev_mailbox)
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "account/account_int.h"
#include "account/pages.h"

static const struct egov_db_stmt st_activate = {
    "account_activate",
    "UPDATE account SET state = 'active', email_verified = 1, updated_at = $2"
    " WHERE id = $1 AND state = 'pending'",
    NULL};
static const struct egov_db_stmt st_reset_lookup = {
    "account_reset_lookup",
    "SELECT id, email FROM account WHERE (national_id = $1 OR email = $1) AND state = 'active'"
    " AND email IS NOT NULL",
    NULL};
static const struct egov_db_stmt st_set_password = {
    "account_set_password",
    "UPDATE account SET password_hash = $2, failed_count = 0, locked_until = 0, updated_at = $3"
    " WHERE id = $1 AND state = 'active'",
    NULL};
static const struct egov_db_stmt st_revoke_all = {
    "account_revoke_all",
    "UPDATE account_session SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL",
    NULL};
static const struct egov_db_stmt st_mailbox = {
    "account_mailbox_list",
    "SELECT recipient, subject, body, link, created_at FROM account_mailbox"
    " ORDER BY created_at DESC LIMIT 50",
    NULL};

/* An absolute link if the public URL is configured, else a local one. */
static char *mail_link(struct egov_arena *a, const char *path_and_query)
{
    return egov_arena_printf(a, "%s%s", account_public_url(), path_and_query);
}

/* ------------------------------------------------------------------ */
/* Registration                                                        */
/* ------------------------------------------------------------------ */

static void register_page(struct egov_req *req, unsigned int status, const json_t *form,
                          const char *error, const char *field)
{
    json_t *d =
        json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?}", "national_id",
                  account_form_str(form, "national_id"), "name", account_form_str(form, "name"),
                  "email", account_form_str(form, "email"), "error", error, "error_field", field);
    account_render(req, status, "account/register", "Create an account", d, NULL);
}

void account_handle_register_get(struct egov_req *req)
{
    register_page(req, 200, NULL, NULL, NULL);
}

struct verify_mail {
    struct egov_req *req;
    const char *email;
    const char *id;   /* the new account's id (filled by the insert before this runs) */
    bool throttled;   /* too many mails from this address */
    bool throttle_ok; /* the throttle was taken in this transaction */
};

/* Counts one registration mail against the caller's address, once per transaction. */
static enum egov_db_qs take_mail_throttle(struct egov_db_conn *c, struct verify_mail *m)
{
    char key[96];
    bool over = false;
    if (m->throttle_ok)
        return EGOV_DB_ONE_ROW;
    snprintf(key, sizeof key, "mail:%s", egov_account_client_addr(m->req));
    enum egov_db_qs qs = account_throttle_take(c, key, ACCOUNT_MAIL_MAX_PER_ADDR, &over);
    if (qs < 0)
        return qs;
    if (over) {
        m->throttled = true;
        return EGOV_DB_HARD_ERROR; /* roll the whole registration back */
    }
    m->throttle_ok = true;
    return EGOV_DB_ONE_ROW;
}

/*
 * The national ID or the address belongs to the accounts @p owners (id,
 * e-mail) already: the caller is answered as for a new registration, and
 * each owner with an address is told by mail that someone tried.
 */
static enum egov_db_qs notify_owners(struct egov_db_conn *c, const struct egov_db_rows *owners,
                                     void *cls)
{
    struct verify_mail *m = cls;
    const char *lang = m->req->lang;
    m->throttle_ok = false;
    enum egov_db_qs qs = take_mail_throttle(c, m);
    char *link = mail_link(m->req->arena, "/password/reset");
    char *body = egov_arena_printf(
        m->req->arena, "%s\n\n%s\n",
        egov_i18n_gettext(lang,
                          "Someone tried to create a new e-Government account with your ID "
                          "number or e-mail address. No account was created. If it was you, "
                          "you already have an account: sign in, or reset your password with "
                          "this link if you have forgotten it. If it was not you, you need not "
                          "do anything."),
        link != NULL ? link : "");
    if (link == NULL || body == NULL)
        return EGOV_DB_HARD_ERROR;
    for (size_t i = 0; qs >= 0 && i < egov_db_rows_count(owners); i++) {
        const char *id = egov_db_rows_text(owners, i, 0);
        const char *email = egov_db_rows_text(owners, i, 1);
        qs = egov_account_audit(c, "anonymous", "register.existing", id,
                                egov_account_client_addr(m->req), m->req->request_id, NULL);
        if (qs >= 0 && email != NULL && email[0] != '\0')
            qs = account_mail_enqueue(
                c, email, egov_i18n_gettext(lang, "Someone tried to register with your details"),
                body, link);
    }
    return qs;
}

static enum egov_db_qs send_verify_mail(struct egov_db_conn *c, void *cls)
{
    struct verify_mail *m = cls;
    char token[44];
    m->throttle_ok = false;
    enum egov_db_qs qs = take_mail_throttle(c, m);
    if (qs < 0)
        return qs;
    qs = account_token_issue(c, m->id, "verify", ACCOUNT_VERIFY_TOKEN_US, token);
    if (qs < 0)
        return qs;
    const char *lang = m->req->lang;
    char *link = mail_link(m->req->arena,
                           egov_arena_printf(m->req->arena, "/register/verify?token=%s", token));
    char *body = egov_arena_printf(
        m->req->arena, "%s\n\n%s\n",
        egov_i18n_gettext(lang, "Please confirm your e-mail address to activate your "
                                "e-Government account by opening this link within 24 hours:"),
        link != NULL ? link : "");
    egov_wipe(token, sizeof token);
    if (link == NULL || body == NULL)
        return EGOV_DB_HARD_ERROR;
    return account_mail_enqueue(c, m->email, egov_i18n_gettext(lang, "Confirm your e-mail address"),
                                body, link);
}

void account_handle_register_post(struct egov_req *req)
{
    const json_t *form = req->form;
    char id[37] = "";
    const char *field = NULL;
    if (!egov_account_csrf_check(req, form))
        return;
    const char *email = account_form_str(form, "email");
    if (email == NULL || email[0] == '\0') {
        register_page(req, 400, form, egov_ec_hint(EGOV_EC_ACCOUNT_EMAIL_INVALID), "email");
        return;
    }
    struct egov_account_new in = {account_form_str(form, "national_id"),
                                  account_form_str(form, "name"), email,
                                  account_form_str(form, "password"), false};
    char lower[ACCOUNT_EMAIL_MAX + 1];
    snprintf(lower, sizeof lower, "%s", email);
    account_ascii_lower(lower);
    struct verify_mail m = {req, lower, id, false, false};
    /* An ID or address already in use is answered exactly as a new
     * registration (same page, same work: the password is hashed either
     * way); only the owner learns of it, by mail. */
    enum egov_ec ec =
        account_add_or_notify(egov_req_db(req), &in, NULL, egov_account_client_addr(req),
                              req->request_id, id, &field, send_verify_mail, notify_owners, &m);
    if (m.throttled) {
        egov_reply_header(req, "Retry-After", "900");
        egov_reply_problem(req, EGOV_EC_GENERIC_TOO_MANY_REQUESTS, NULL, NULL);
        return;
    }
    if (ec != EGOV_EC_NONE && ec != EGOV_EC_ACCOUNT_EXISTS) {
        register_page(req, egov_ec_http_status(ec), form, egov_ec_hint(ec), field);
        return;
    }
    account_render(
        req, 201, "account/registered", "Check your e-mail",
        json_pack("{s:s, s:b}", "email", lower, "dev_mailbox", account_dev_mailbox_enabled()),
        NULL);
}

/* True if @p t is shaped like one of our tokens. */
static bool token_ok(const char *t)
{
    if (t == NULL || strlen(t) != 43)
        return false;
    for (; *t != '\0'; t++)
        if (!isalnum((unsigned char)*t) && *t != '-' && *t != '_')
            return false;
    return true;
}

void account_handle_verify_get(struct egov_req *req)
{
    const char *token = egov_req_query(req, "token");
    if (!token_ok(token)) {
        egov_reply_problem(req, EGOV_EC_ACCOUNT_TOKEN_INVALID, "token", NULL);
        return;
    }
    account_render(req, 200, "account/verify", "Confirm your e-mail address",
                   json_pack("{s:s}", "token", token), NULL);
}

struct activate_txn {
    const char *token, *addr, *rid;
    bool done;
};

static enum egov_db_qs activate_body(struct egov_db_conn *c, void *cls)
{
    struct activate_txn *t = cls;
    char id[37];
    t->done = false;
    enum egov_db_qs qs = account_token_use(c, t->token, "verify", id);
    if (qs <= 0)
        return qs;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(id), EGOV_DB_PARAM_INT64(egov_now_us()),
                                EGOV_DB_PARAM_END};
    qs = egov_db_exec(c, &st_activate, p);
    if (qs <= 0)
        return qs;
    t->done = true;
    return egov_account_audit(c, id, "account.verify", id, t->addr, t->rid, NULL);
}

void account_handle_verify_post(struct egov_req *req)
{
    if (!egov_account_csrf_check(req, req->form))
        return;
    const char *token = account_form_str(req->form, "token");
    if (!token_ok(token)) {
        egov_reply_problem(req, EGOV_EC_ACCOUNT_TOKEN_INVALID, "token", NULL);
        return;
    }
    struct activate_txn t = {token, egov_account_client_addr(req), req->request_id, false};
    enum egov_db_qs qs = account_txn(egov_req_db(req), true, activate_body, &t);
    if (qs < 0) {
        account_reply_db_error(req, qs);
        return;
    }
    if (!t.done) {
        egov_reply_problem(req, EGOV_EC_ACCOUNT_TOKEN_INVALID, "token", NULL);
        return;
    }
    account_render(req, 200, "account/done", "Your account is active",
                   json_pack("{s:s, s:s, s:s}", "message",
                             "Your e-mail address is confirmed and your account is active. "
                             "You can sign in now.",
                             "link", "/login", "link_text", "Sign in"),
                   NULL);
}

/* ------------------------------------------------------------------ */
/* Password reset                                                      */
/* ------------------------------------------------------------------ */

void account_handle_reset_get(struct egov_req *req)
{
    account_render(req, 200, "account/reset", "Reset your password", json_object(), NULL);
}

struct reset_req_txn {
    struct egov_req *req;
    const char *login;
    bool throttled;
};

static enum egov_db_qs reset_req_body(struct egov_db_conn *c, void *cls)
{
    struct reset_req_txn *t = cls;
    struct egov_db_rows *r = NULL;
    char id[37], email[ACCOUNT_EMAIL_MAX + 1], token[44], key[96];
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->login), EGOV_DB_PARAM_END};
    snprintf(key, sizeof key, "mail:%s", egov_account_client_addr(t->req));
    enum egov_db_qs qs = account_throttle_take(c, key, ACCOUNT_MAIL_MAX_PER_ADDR, &t->throttled);
    if (qs < 0 || t->throttled)
        return qs;
    qs = egov_db_query(c, &st_reset_lookup, p, &r);
    if (qs == EGOV_DB_ONE_ROW) {
        snprintf(id, sizeof id, "%s", egov_db_rows_text(r, 0, 0));
        snprintf(email, sizeof email, "%s", egov_db_rows_text(r, 0, 1));
    }
    egov_db_rows_free(r);
    if (qs < 0)
        return qs;
    if (qs == EGOV_DB_NO_ROW)
        return egov_account_audit(c, "anonymous", "password.reset_unknown", NULL,
                                  egov_account_client_addr(t->req), t->req->request_id, NULL);
    qs = account_token_issue(c, id, "reset", ACCOUNT_RESET_TOKEN_US, token);
    if (qs < 0)
        return qs;
    const char *lang = t->req->lang;
    char *link = mail_link(
        t->req->arena, egov_arena_printf(t->req->arena, "/password/reset/confirm?token=%s", token));
    egov_wipe(token, sizeof token);
    char *body = egov_arena_printf(
        t->req->arena, "%s\n\n%s\n",
        egov_i18n_gettext(lang, "Someone asked to reset the password of your e-Government "
                                "account. If it was you, open this link within 30 minutes; "
                                "otherwise ignore this message:"),
        link != NULL ? link : "");
    if (link == NULL || body == NULL)
        return EGOV_DB_HARD_ERROR;
    qs = account_mail_enqueue(c, email, egov_i18n_gettext(lang, "Reset your password"), body, link);
    if (qs < 0)
        return qs;
    return egov_account_audit(c, id, "password.reset_request", id, egov_account_client_addr(t->req),
                              t->req->request_id, NULL);
}

void account_handle_reset_post(struct egov_req *req)
{
    char login[ACCOUNT_EMAIL_MAX + 1];
    if (!egov_account_csrf_check(req, req->form))
        return;
    const char *in = account_form_str(req->form, "login");
    if (in == NULL || in[0] == '\0' || strlen(in) > ACCOUNT_EMAIL_MAX) {
        account_render(req, 400, "account/reset", "Reset your password",
                       json_pack("{s:s}", "error", egov_ec_hint(EGOV_EC_GENERIC_PARAMETER_MISSING)),
                       NULL);
        return;
    }
    snprintf(login, sizeof login, "%s", in);
    if (strchr(login, '@') != NULL)
        account_ascii_lower(login);
    else
        for (char *p = login; *p != '\0'; p++)
            *p = (char)toupper((unsigned char)*p);
    struct reset_req_txn t = {req, login, false};
    enum egov_db_qs qs = account_txn(egov_req_db(req), true, reset_req_body, &t);
    if (qs < 0) {
        account_reply_db_error(req, qs);
        return;
    }
    if (t.throttled) {
        egov_reply_header(req, "Retry-After", "900");
        egov_reply_problem(req, EGOV_EC_GENERIC_TOO_MANY_REQUESTS, NULL, NULL);
        return;
    }
    /* the same answer whether or not the account exists */
    account_render(req, 200, "account/done", "Reset your password",
                   json_pack("{s:s, s:b}", "message",
                             "If an active account with an e-mail address matches, we have sent "
                             "it a link to reset the password.",
                             "dev_mailbox", account_dev_mailbox_enabled()),
                   NULL);
}

void account_handle_reset_confirm_get(struct egov_req *req)
{
    const char *token = egov_req_query(req, "token");
    if (!token_ok(token)) {
        egov_reply_problem(req, EGOV_EC_ACCOUNT_TOKEN_INVALID, "token", NULL);
        return;
    }
    account_render(req, 200, "account/reset_confirm", "Choose a new password",
                   json_pack("{s:s}", "token", token), NULL);
}

struct reset_txn {
    const char *token, *password, *hash, *addr, *rid;
    enum egov_ec ec;
};

static enum egov_db_qs reset_body(struct egov_db_conn *c, void *cls)
{
    struct reset_txn *t = cls;
    char id[37];
    struct account_row a;
    t->ec = EGOV_EC_ACCOUNT_TOKEN_INVALID;
    enum egov_db_qs qs = account_token_use(c, t->token, "reset", id);
    if (qs <= 0)
        return qs;
    qs = account_load(c, id, &a);
    if (qs <= 0)
        return qs;
    const char *ctx[] = {a.national_id, a.name, a.email, NULL};
    enum egov_account_pw_problem pp = egov_account_password_check(t->password, ctx);
    if (pp != EGOV_ACCOUNT_PW_OK) {
        t->ec = pp == EGOV_ACCOUNT_PW_CONTEXT ? EGOV_EC_ACCOUNT_PASSWORD_CONTEXT
                                              : EGOV_EC_ACCOUNT_PASSWORD_COMMON;
        return EGOV_DB_HARD_ERROR; /* roll back: the token stays usable */
    }
    int64_t now = egov_now_us();
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(id), EGOV_DB_PARAM_TEXT(t->hash),
                                EGOV_DB_PARAM_INT64(now), EGOV_DB_PARAM_END};
    qs = egov_db_exec(c, &st_set_password, p);
    if (qs <= 0)
        return qs;
    struct egov_db_param rv[] = {EGOV_DB_PARAM_TEXT(id), EGOV_DB_PARAM_INT64(now),
                                 EGOV_DB_PARAM_END};
    qs = egov_db_exec(c, &st_revoke_all, rv);
    if (qs < 0)
        return qs;
    t->ec = EGOV_EC_NONE;
    return egov_account_audit(c, id, "password.reset", id, t->addr, t->rid, NULL);
}

void account_handle_reset_confirm_post(struct egov_req *req)
{
    char hash[256];
    if (!egov_account_csrf_check(req, req->form))
        return;
    const char *token = account_form_str(req->form, "token");
    const char *password = account_form_str(req->form, "password");
    if (!token_ok(token)) {
        egov_reply_problem(req, EGOV_EC_ACCOUNT_TOKEN_INVALID, "token", NULL);
        return;
    }
    enum egov_account_pw_problem pp = egov_account_password_check(password, NULL);
    if (pp != EGOV_ACCOUNT_PW_OK) {
        static const enum egov_ec ecs[] = {EGOV_EC_NONE,
                                           EGOV_EC_ACCOUNT_PASSWORD_TOO_SHORT,
                                           EGOV_EC_ACCOUNT_PASSWORD_TOO_LONG,
                                           EGOV_EC_ACCOUNT_PASSWORD_INVALID,
                                           EGOV_EC_ACCOUNT_PASSWORD_COMMON,
                                           EGOV_EC_ACCOUNT_PASSWORD_CONTEXT};
        enum egov_ec ec = ecs[pp];
        account_render(req, 400, "account/reset_confirm", "Choose a new password",
                       json_pack("{s:s, s:s}", "token", token, "error", egov_ec_hint(ec)), NULL);
        return;
    }
    if (!egov_account_password_hash(password, hash, sizeof hash)) {
        egov_reply_problem(req, EGOV_EC_GENERIC_INTERNAL, NULL, NULL);
        return;
    }
    struct reset_txn t = {token,           password,    hash, egov_account_client_addr(req),
                          req->request_id, EGOV_EC_NONE};
    enum egov_db_qs qs = account_txn(egov_req_db(req), true, reset_body, &t);
    egov_wipe(hash, sizeof hash);
    if (t.ec == EGOV_EC_ACCOUNT_PASSWORD_CONTEXT || t.ec == EGOV_EC_ACCOUNT_PASSWORD_COMMON) {
        account_render(req, 400, "account/reset_confirm", "Choose a new password",
                       json_pack("{s:s, s:s}", "token", token, "error", egov_ec_hint(t.ec)), NULL);
        return;
    }
    if (qs < 0) {
        account_reply_db_error(req, qs);
        return;
    }
    if (t.ec != EGOV_EC_NONE) {
        egov_reply_problem(req, t.ec, "token", NULL);
        return;
    }
    account_render(req, 200, "account/done", "Your password was changed",
                   json_pack("{s:s, s:s, s:s}", "message",
                             "Your password was changed and every session of your account was "
                             "signed out. Sign in with the new password.",
                             "link", "/login", "link_text", "Sign in"),
                   NULL);
}

/* ------------------------------------------------------------------ */
/* Development mailbox                                                 */
/* ------------------------------------------------------------------ */

struct mailbox_txn {
    json_t *list;
};

static enum egov_db_qs mailbox_body(struct egov_db_conn *c, void *cls)
{
    struct mailbox_txn *t = cls;
    struct egov_db_rows *r = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_END};
    json_array_clear(t->list);
    enum egov_db_qs qs = egov_db_query(c, &st_mailbox, p, &r);
    for (size_t i = 0; qs > 0 && i < egov_db_rows_count(r); i++) {
        char at[32];
        egov_time_rfc3339(egov_db_rows_int64(r, i, 4), at);
        json_array_append_new(t->list, json_pack("{s:s, s:s, s:s, s:s, s:s}", "to",
                                                 egov_db_rows_text(r, i, 0), "subject",
                                                 egov_db_rows_text(r, i, 1), "body",
                                                 egov_db_rows_text(r, i, 2), "link",
                                                 egov_db_rows_text(r, i, 3), "at", at));
    }
    egov_db_rows_free(r);
    return qs;
}

void account_handle_mailbox(struct egov_req *req)
{
    if (!account_dev_mailbox_enabled()) {
        egov_reply_problem(req, EGOV_EC_GENERIC_NOT_FOUND, NULL, NULL);
        return;
    }
    struct mailbox_txn t = {json_array()};
    if (t.list == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    enum egov_db_qs qs = account_txn(egov_req_db(req), false, mailbox_body, &t);
    if (qs < 0) {
        json_decref(t.list);
        account_reply_db_error(req, qs);
        return;
    }
    json_t *d = json_pack("{s:o, s:b}", "messages", t.list, "empty", json_array_size(t.list) == 0);
    account_render(req, 200, "account/mailbox", "Development mailbox", d, NULL);
}
