/*
 * pages_phone.c -- a person adds or changes the phone number of their
 * account and proves they receive messages there:
 *
 *   POST /account/phone           phone: sends a six-digit code to it (through
 *                                 the outbox; the development mailbox shows it)
 *   POST /account/phone/confirm   code: on a match the number becomes the
 *                                 account's, verified (OIDC phone_number_verified)
 *
 * A code is valid ACCOUNT_PHONE_CODE_US and for ACCOUNT_OTP_MAX_TRIES
 * attempts; only its hash is stored.  Codes sent count against the
 * caller's address like registration mail.  Every step is audited.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "account/account_int.h"
#include "account/pages.h"

#define ACCOUNT_PHONE_CODE_US (10LL * 60 * 1000000)

static const struct egov_db_stmt st_code_drop = {
    "account_phone_code_drop", "DELETE FROM account_phone_code WHERE account_id = $1", NULL};
static const struct egov_db_stmt st_code_put = {
    "account_phone_code_put",
    "INSERT INTO account_phone_code (account_id, phone, code_hash, attempts, created_at,"
    " expires_at) VALUES ($1, $2, $3, 0, $4, $5)",
    NULL};
static const struct egov_db_stmt st_code_get = {
    "account_phone_code_get",
    "SELECT phone, code_hash, attempts, expires_at FROM account_phone_code"
    " WHERE account_id = $1",
    NULL};
static const struct egov_db_stmt st_code_try = {
    "account_phone_code_try",
    "UPDATE account_phone_code SET attempts = attempts + 1 WHERE account_id = $1", NULL};
static const struct egov_db_stmt st_phone_taken = {
    "account_phone_taken_by", "SELECT id FROM account WHERE phone = $1 AND id <> $2", NULL};
static const struct egov_db_stmt st_phone_verified = {
    "account_phone_verified",
    "UPDATE account SET phone = $2, phone_verified = 1, updated_at = $3 WHERE id = $1", NULL};

/* The stored form of @p code sent to @p phone for @p account_id. */
static void code_hash(const char *account_id, const char *phone, const char *code, char out[65])
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s:%s:%s", account_id, phone, code);
    account_hash_hex(buf, out);
    egov_wipe(buf, sizeof buf);
}

/* Six random decimal digits (uniform: values past the last full million are drawn again). */
static bool new_code(char out[7])
{
    uint32_t v;
    do {
        if (!egov_random(&v, sizeof v))
            return false;
    } while (v >= 4294000000u);
    snprintf(out, 7, "%06u", (unsigned int)(v % 1000000u));
    return true;
}

struct start_txn {
    struct egov_req *req;
    const char *account_id, *phone, *code;
    bool throttled;
};

static enum egov_db_qs start_body(struct egov_db_conn *c, void *cls)
{
    struct start_txn *t = cls;
    char key[96], hash[65];
    bool over = false;
    int64_t now = egov_now_us();
    t->throttled = false;
    snprintf(key, sizeof key, "mail:%s", egov_account_client_addr(t->req));
    enum egov_db_qs qs = account_throttle_take(c, key, ACCOUNT_MAIL_MAX_PER_ADDR, &over);
    if (qs < 0)
        return qs;
    if (over) {
        t->throttled = true;
        return EGOV_DB_NO_ROW;
    }
    struct egov_db_param d[] = {EGOV_DB_PARAM_TEXT(t->account_id), EGOV_DB_PARAM_END};
    qs = egov_db_exec(c, &st_code_drop, d);
    if (qs < 0)
        return qs;
    code_hash(t->account_id, t->phone, t->code, hash);
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->account_id),
                                EGOV_DB_PARAM_TEXT(t->phone),
                                EGOV_DB_PARAM_TEXT(hash),
                                EGOV_DB_PARAM_INT64(now),
                                EGOV_DB_PARAM_INT64(now + ACCOUNT_PHONE_CODE_US),
                                EGOV_DB_PARAM_END};
    qs = egov_db_exec(c, &st_code_put, p);
    if (qs < 0)
        return qs;
    const char *lang = t->req->lang;
    char *body = egov_arena_printf(
        t->req->arena, "%s %s\n%s\n",
        egov_i18n_gettext(lang, "Your e-Government verification code is"), t->code,
        egov_i18n_gettext(lang, "It is valid for 10 minutes. Do not give it to anyone."));
    if (body == NULL)
        return EGOV_DB_HARD_ERROR;
    qs = account_mail_enqueue(c, t->phone, egov_i18n_gettext(lang, "Phone number verification"),
                              body, NULL);
    if (qs < 0)
        return qs;
    json_t *detail = json_pack("{s:s}", "phone", t->phone);
    qs = egov_account_audit(c, t->account_id, "phone.start", t->account_id,
                            egov_account_client_addr(t->req), t->req->request_id, detail);
    json_decref(detail);
    return qs < 0 ? qs : EGOV_DB_ONE_ROW;
}

void account_handle_phone_start(struct egov_req *req)
{
    struct egov_account_session s;
    char phone[ACCOUNT_PHONE_MAX + 1], code[7];
    if (!egov_account_require(req, NULL, &s) || !egov_account_csrf_check(req, req->form))
        return;
    if (!account_phone_normalise(account_form_str(req->form, "phone"), phone)) {
        account_page_show(req, &s, 400, NULL,
                          "The phone number is not valid. Write it in international form, "
                          "such as +886 912 345 678.");
        return;
    }
    if (!new_code(code)) {
        egov_reply_problem(req, EGOV_EC_GENERIC_INTERNAL, NULL, NULL);
        return;
    }
    struct start_txn t = {req, s.account_id, phone, code, false};
    enum egov_db_qs qs = account_txn(egov_req_db(req), true, start_body, &t);
    egov_wipe(code, sizeof code);
    if (qs < 0) {
        account_reply_db_error(req, qs);
        return;
    }
    if (t.throttled) {
        egov_reply_header(req, "Retry-After", "900");
        egov_reply_problem(req, EGOV_EC_GENERIC_TOO_MANY_REQUESTS, NULL, NULL);
        return;
    }
    account_page_show(req, &s, 200, "We sent a code to the phone number. Type it below.", NULL);
}

enum confirm_outcome { PC_OK, PC_WRONG, PC_EXPIRED, PC_TAKEN };

struct confirm_txn {
    struct egov_req *req;
    const char *account_id, *code;
    enum confirm_outcome outcome;
};

static enum egov_db_qs confirm_body(struct egov_db_conn *c, void *cls)
{
    struct confirm_txn *t = cls;
    struct egov_db_rows *r = NULL;
    char phone[ACCOUNT_PHONE_MAX + 1] = "", stored[65] = "", hash[65];
    int64_t attempts = 0, expires = 0, now = egov_now_us();
    const char *addr = egov_account_client_addr(t->req), *rid = t->req->request_id;
    struct egov_db_param id[] = {EGOV_DB_PARAM_TEXT(t->account_id), EGOV_DB_PARAM_END};
    t->outcome = PC_EXPIRED;
    enum egov_db_qs qs = egov_db_query(c, &st_code_get, id, &r);
    if (qs == EGOV_DB_ONE_ROW) {
        (void)egov_utf8_copy(phone, sizeof phone, egov_db_rows_text(r, 0, 0));
        (void)egov_utf8_copy(stored, sizeof stored, egov_db_rows_text(r, 0, 1));
        attempts = egov_db_rows_int64(r, 0, 2);
        expires = egov_db_rows_int64(r, 0, 3);
    }
    egov_db_rows_free(r);
    r = NULL;
    if (qs <= 0)
        return qs;
    if (expires <= now || attempts >= ACCOUNT_OTP_MAX_TRIES) /* used up: start again */
        return egov_db_exec(c, &st_code_drop, id);
    code_hash(t->account_id, phone, t->code, hash);
    if (strlen(stored) != 64 || CRYPTO_memcmp(hash, stored, 64) != 0) {
        t->outcome = PC_WRONG;
        qs = egov_db_exec(c, &st_code_try, id);
        if (qs < 0)
            return qs;
        return egov_account_audit(c, t->account_id, "phone.verify_failure", t->account_id, addr,
                                  rid, NULL);
    }
    qs = egov_db_exec(c, &st_code_drop, id);
    if (qs < 0)
        return qs;
    struct egov_db_param tk[] = {EGOV_DB_PARAM_TEXT(phone), EGOV_DB_PARAM_TEXT(t->account_id),
                                 EGOV_DB_PARAM_END};
    qs = egov_db_query(c, &st_phone_taken, tk, &r);
    egov_db_rows_free(r);
    if (qs != EGOV_DB_NO_ROW) {
        if (qs > 0)
            t->outcome = PC_TAKEN;
        return qs;
    }
    struct egov_db_param up[] = {EGOV_DB_PARAM_TEXT(t->account_id), EGOV_DB_PARAM_TEXT(phone),
                                 EGOV_DB_PARAM_INT64(now), EGOV_DB_PARAM_END};
    qs = egov_db_exec(c, &st_phone_verified, up);
    if (qs <= 0)
        return qs < 0 ? qs : EGOV_DB_HARD_ERROR;
    t->outcome = PC_OK;
    json_t *detail = json_pack("{s:s}", "phone", phone);
    qs = egov_account_audit(c, t->account_id, "phone.verify", t->account_id, addr, rid, detail);
    json_decref(detail);
    return qs;
}

void account_handle_phone_confirm(struct egov_req *req)
{
    struct egov_account_session s;
    if (!egov_account_require(req, NULL, &s) || !egov_account_csrf_check(req, req->form))
        return;
    const char *code = account_form_str(req->form, "code");
    bool shaped = code != NULL && strlen(code) == 6 && strspn(code, "0123456789") == 6;
    struct confirm_txn t = {req, s.account_id, code, PC_WRONG};
    if (shaped) {
        enum egov_db_qs qs = account_txn(egov_req_db(req), true, confirm_body, &t);
        if (qs < 0) {
            account_reply_db_error(req, qs);
            return;
        }
    }
    switch (t.outcome) {
    case PC_OK:
        account_page_show(req, &s, 200, "Your phone number is confirmed.", NULL);
        return;
    case PC_TAKEN:
        account_page_show(req, &s, 409, NULL, "Another account already uses this phone number.");
        return;
    case PC_EXPIRED:
        account_page_show(req, &s, 400, NULL,
                          "The code has expired or was tried too often. Ask for a new one.");
        return;
    case PC_WRONG:
        break;
    }
    account_page_show(req, &s, 400, NULL, egov_ec_hint(EGOV_EC_ACCOUNT_OTP_INVALID));
}
