/*
 * store.c -- accounts in the database: creation, loading, password checks
 * with lockout and per-address throttling, the audit log, single-use
 * tokens (e-mail verification, password reset) and outgoing mail.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "account/account_int.h"
#include "accounting/accounting.h"

#define ACCOUNT_COLS                                                                               \
    "id, principal_id, national_id, email, name, state, email_verified, totp_enabled,"             \
    " totp_secret, totp_last_step, created_at"

static const struct egov_db_stmt st_load = {
    "account_load", "SELECT " ACCOUNT_COLS " FROM account WHERE id = $1", NULL};
static const struct egov_db_stmt st_insert = {
    "account_insert",
    "INSERT INTO account (id, principal_id, national_id, email, name, password_hash, state,"
    " email_verified, totp_enabled, totp_last_step, failed_count, locked_until, created_at,"
    " updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, 0, 0, 0, $8, $8)",
    NULL};
static const struct egov_db_stmt st_exists = {
    "account_exists",
    "SELECT id, COALESCE(email, '') FROM account"
    " WHERE national_id = $1 OR ($2 <> '' AND email = $2) ORDER BY id",
    "SELECT id, COALESCE(email, '') FROM account"
    " WHERE national_id = $1 OR ($2::text <> '' AND email = $2::text) ORDER BY id"};
static const struct egov_db_stmt st_by_nid = {
    "account_by_national_id", "SELECT id FROM account WHERE national_id = $1 AND state = 'active'",
    NULL};
static const struct egov_db_stmt st_login = {
    "account_login_lookup",
    "SELECT id, password_hash, state, locked_until, totp_enabled, principal_id FROM account"
    " WHERE national_id = $1 OR email = $1",
    NULL};
static const struct egov_db_stmt st_fail = {
    "account_login_fail",
    "UPDATE account SET failed_count = failed_count + 1, updated_at = $2 WHERE id = $1"
    " RETURNING failed_count",
    NULL};
static const struct egov_db_stmt st_lock = {
    "account_login_lock", "UPDATE account SET locked_until = $2 WHERE id = $1", NULL};
static const struct egov_db_stmt st_ok = {
    "account_login_ok",
    "UPDATE account SET failed_count = 0, locked_until = 0, updated_at = $2 WHERE id = $1", NULL};
static const struct egov_db_stmt st_throttle_get = {
    "account_throttle_get", "SELECT count, window_start FROM account_throttle WHERE key = $1",
    NULL};
static const struct egov_db_stmt st_throttle_hit = {
    "account_throttle_hit",
    "INSERT INTO account_throttle (key, window_start, count) VALUES ($1, $2, 1)"
    " ON CONFLICT (key) DO UPDATE SET"
    " count = CASE WHEN account_throttle.window_start < $3 THEN 1"
    " ELSE account_throttle.count + 1 END,"
    " window_start = CASE WHEN account_throttle.window_start < $3 THEN $2"
    " ELSE account_throttle.window_start END",
    "INSERT INTO account_throttle (key, window_start, count) VALUES ($1, $2::bigint, 1)"
    " ON CONFLICT (key) DO UPDATE SET"
    " count = CASE WHEN account_throttle.window_start < $3::bigint THEN 1"
    " ELSE account_throttle.count + 1 END,"
    " window_start = CASE WHEN account_throttle.window_start < $3::bigint THEN $2::bigint"
    " ELSE account_throttle.window_start END"};
static const struct egov_db_stmt st_audit = {
    "account_audit_insert",
    "INSERT INTO account_audit (id, at, actor, event, account_id, client_addr, request_id,"
    " detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    NULL};
static const struct egov_db_stmt st_token_put = {
    "account_token_put",
    "INSERT INTO account_token (token_hash, account_id, purpose, created_at, expires_at)"
    " VALUES ($1, $2, $3, $4, $5)",
    NULL};
static const struct egov_db_stmt st_token_use = {
    "account_token_use",
    "UPDATE account_token SET used_at = $3 WHERE token_hash = $1 AND purpose = $2"
    " AND used_at IS NULL AND expires_at > $3 RETURNING account_id",
    NULL};
static const struct egov_db_stmt st_mail_put = {
    "account_mail_put",
    "INSERT INTO account_mailbox (id, job_id, recipient, subject, body, link, created_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (job_id) DO NOTHING",
    NULL};

static void copy_text(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src != NULL ? src : "");
}

enum egov_db_qs account_load(struct egov_db_conn *c, const char *id, struct account_row *out)
{
    struct egov_db_rows *r = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(id), EGOV_DB_PARAM_END};
    memset(out, 0, sizeof *out);
    enum egov_db_qs qs = egov_db_query(c, &st_load, p, &r);
    if (qs == EGOV_DB_ONE_ROW) {
        copy_text(out->id, sizeof out->id, egov_db_rows_text(r, 0, 0));
        copy_text(out->principal_id, sizeof out->principal_id, egov_db_rows_text(r, 0, 1));
        copy_text(out->national_id, sizeof out->national_id, egov_db_rows_text(r, 0, 2));
        copy_text(out->email, sizeof out->email, egov_db_rows_text(r, 0, 3));
        copy_text(out->name, sizeof out->name, egov_db_rows_text(r, 0, 4));
        copy_text(out->state, sizeof out->state, egov_db_rows_text(r, 0, 5));
        out->email_verified = egov_db_rows_int64(r, 0, 6) != 0;
        out->totp_enabled = egov_db_rows_int64(r, 0, 7) != 0;
        copy_text(out->totp_secret, sizeof out->totp_secret, egov_db_rows_text(r, 0, 8));
        out->totp_last_step = egov_db_rows_int64(r, 0, 9);
        out->created_at = egov_db_rows_int64(r, 0, 10);
    }
    egov_db_rows_free(r);
    return qs;
}

struct load_txn {
    const char *id;
    struct account_row *out;
};

static enum egov_db_qs load_body(struct egov_db_conn *c, void *cls)
{
    struct load_txn *t = cls;
    return account_load(c, t->id, t->out);
}

enum egov_db_qs account_load_db(struct egov_db *db, const char *id, struct account_row *out)
{
    struct load_txn t = {id, out};
    return account_txn(db, false, load_body, &t);
}

enum egov_db_qs egov_account_audit(struct egov_db_conn *c, const char *actor, const char *event,
                                   const char *account_id, const char *client_addr,
                                   const char *request_id, const json_t *detail)
{
    char id[37];
    char *d = detail != NULL ? egov_json_dumps(detail) : NULL;
    egov_uuid7(id);
    struct egov_db_param p[] = {
        EGOV_DB_PARAM_TEXT(id),
        EGOV_DB_PARAM_INT64(egov_now_us()),
        EGOV_DB_PARAM_TEXT(actor != NULL ? actor : "system"),
        EGOV_DB_PARAM_TEXT(event),
        EGOV_DB_PARAM_TEXT(account_id != NULL && account_id[0] != '\0' ? account_id : NULL),
        EGOV_DB_PARAM_TEXT(client_addr != NULL ? client_addr : ""),
        EGOV_DB_PARAM_TEXT(request_id != NULL ? request_id : ""),
        EGOV_DB_PARAM_TEXT(d),
        EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_exec(c, &st_audit, p);
    egov_free(d);
    return qs;
}

struct audit_txn {
    const char *actor, *event, *account_id, *addr, *rid;
    const json_t *detail;
};

static enum egov_db_qs audit_body(struct egov_db_conn *c, void *cls)
{
    struct audit_txn *t = cls;
    return egov_account_audit(c, t->actor, t->event, t->account_id, t->addr, t->rid, t->detail);
}

void account_audit_db(struct egov_db *db, const char *actor, const char *event,
                      const char *account_id, const char *client_addr, const char *request_id,
                      const json_t *detail)
{
    struct audit_txn t = {actor, event, account_id, client_addr, request_id, detail};
    if (account_txn(db, true, audit_body, &t) < 0)
        egov_error("account audit of %s could not be written", event);
}

/* ------------------------------------------------------------------ */
/* Creation                                                            */
/* ------------------------------------------------------------------ */

static enum egov_ec pw_problem_ec(enum egov_account_pw_problem p)
{
    switch (p) {
    case EGOV_ACCOUNT_PW_OK:
        return EGOV_EC_NONE;
    case EGOV_ACCOUNT_PW_TOO_SHORT:
        return EGOV_EC_ACCOUNT_PASSWORD_TOO_SHORT;
    case EGOV_ACCOUNT_PW_TOO_LONG:
        return EGOV_EC_ACCOUNT_PASSWORD_TOO_LONG;
    case EGOV_ACCOUNT_PW_COMMON:
        return EGOV_EC_ACCOUNT_PASSWORD_COMMON;
    case EGOV_ACCOUNT_PW_CONTEXT:
        return EGOV_EC_ACCOUNT_PASSWORD_CONTEXT;
    case EGOV_ACCOUNT_PW_INVALID:
    default:
        return EGOV_EC_ACCOUNT_PASSWORD_INVALID;
    }
}

/* True if @p s is 1..100 characters of valid UTF-8 without control characters. */
static bool name_ok(const char *s)
{
    if (s == NULL)
        return false;
    size_t n = strlen(s);
    if (n == 0 || n > 400 || !egov_utf8_valid(s, n, NULL))
        return false;
    size_t cps = egov_utf8_length(s, n);
    if (cps < 1 || cps > ACCOUNT_NAME_MAX)
        return false;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t l = egov_utf8_decode(s + i, n - i, &cp);
        if (l == 0 || cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x2028 || cp == 0x2029)
            return false;
        i += l;
    }
    /* not only spaces */
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return true;
    return false;
}

enum egov_ec account_validate_new(const struct egov_account_new *in, char nid[16],
                                  char email[ACCOUNT_EMAIL_MAX + 1], const char **field)
{
    const char *dummy;
    if (field == NULL)
        field = &dummy;
    *field = NULL;
    if (in->national_id == NULL || strlen(in->national_id) != 10) {
        *field = "national_id";
        return EGOV_EC_ACCOUNT_NATIONAL_ID_INVALID;
    }
    for (int i = 0; i < 10; i++)
        nid[i] = (char)toupper((unsigned char)in->national_id[i]);
    nid[10] = '\0';
    if (!account_national_id_valid(nid)) {
        *field = "national_id";
        return EGOV_EC_ACCOUNT_NATIONAL_ID_INVALID;
    }
    if (!name_ok(in->name)) {
        *field = "name";
        return EGOV_EC_ACCOUNT_NAME_INVALID;
    }
    email[0] = '\0';
    if (in->email != NULL && in->email[0] != '\0') {
        if (!account_email_valid(in->email)) {
            *field = "email";
            return EGOV_EC_ACCOUNT_EMAIL_INVALID;
        }
        snprintf(email, ACCOUNT_EMAIL_MAX + 1, "%s", in->email);
        account_ascii_lower(email);
    }
    const char *ctx[] = {nid, in->name, email[0] != '\0' ? email : NULL, NULL};
    enum egov_ec ec = pw_problem_ec(egov_account_password_check(in->password, ctx));
    if (ec != EGOV_EC_NONE)
        *field = "password";
    return ec;
}

struct add_txn {
    const struct egov_account_new *in;
    const char *nid, *email, *hash, *actor, *addr, *rid;
    char *id;
    char principal[37];
    /* optional follow-up in the same transaction: a verification mail */
    enum egov_db_qs (*then)(struct egov_db_conn *c, void *cls);
    void *then_cls;
    /* optional, when the ID or address is taken: tell each owner */
    enum egov_db_qs (*on_exists)(struct egov_db_conn *c, const struct egov_db_rows *owners,
                                 void *cls);
};

static enum egov_db_qs account_add_on(struct egov_db_conn *c, void *cls)
{
    struct add_txn *t = cls;
    struct egov_db_rows *r = NULL;
    struct egov_db_param ex[] = {EGOV_DB_PARAM_TEXT(t->nid), EGOV_DB_PARAM_TEXT(t->email),
                                 EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_exists, ex, &r);
    if (qs > 0 && t->on_exists != NULL) {
        enum egov_db_qs q2 = t->on_exists(c, r, t->then_cls);
        if (q2 < 0)
            qs = q2;
    }
    egov_db_rows_free(r);
    if (qs < 0)
        return qs;
    if (qs > 0)
        return EGOV_DB_NO_ROW; /* exists */
    egov_uuid7(t->id);
    egov_uuid7(t->principal);
    int64_t now = egov_now_us();
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->id),
                                EGOV_DB_PARAM_TEXT(t->principal),
                                EGOV_DB_PARAM_TEXT(t->nid),
                                EGOV_DB_PARAM_TEXT(t->email[0] != '\0' ? t->email : NULL),
                                EGOV_DB_PARAM_TEXT(t->in->name),
                                EGOV_DB_PARAM_TEXT(t->hash),
                                EGOV_DB_PARAM_TEXT(t->in->active ? "active" : "pending"),
                                EGOV_DB_PARAM_INT64(now),
                                EGOV_DB_PARAM_END};
    qs = egov_db_exec(c, &st_insert, p);
    if (qs < 0)
        return qs;
    qs = egov_account_audit(c, t->actor != NULL ? t->actor : t->id, "account.create", t->id,
                            t->addr, t->rid, NULL);
    if (qs < 0)
        return qs;
    qs = egov_accounting_record(c, EGOV_ACCOUNTING_REGISTER, t->principal, NULL, "account", 1);
    if (qs < 0)
        return qs;
    if (t->then != NULL) {
        qs = t->then(c, t->then_cls);
        if (qs < 0)
            return qs;
    }
    return EGOV_DB_ONE_ROW;
}

enum egov_ec account_add_full(struct egov_db *db, const struct egov_account_new *in,
                              const char *actor, const char *addr, const char *rid, char id_out[37],
                              const char **field,
                              enum egov_db_qs (*then)(struct egov_db_conn *, void *),
                              void *then_cls)
{
    return account_add_or_notify(db, in, actor, addr, rid, id_out, field, then, NULL, then_cls);
}

enum egov_ec account_add_or_notify(
    struct egov_db *db, const struct egov_account_new *in, const char *actor, const char *addr,
    const char *rid, char id_out[37], const char **field,
    enum egov_db_qs (*then)(struct egov_db_conn *, void *),
    enum egov_db_qs (*on_exists)(struct egov_db_conn *, const struct egov_db_rows *, void *),
    void *cls)
{
    char nid[16], email[ACCOUNT_EMAIL_MAX + 1], hash[256];
    const char *dummy;
    if (field == NULL)
        field = &dummy;
    enum egov_ec ec = account_validate_new(in, nid, email, field);
    if (ec != EGOV_EC_NONE)
        return ec;
    if (!egov_account_password_hash(in->password, hash, sizeof hash))
        return EGOV_EC_GENERIC_INTERNAL;
    struct add_txn t = {in, nid, email, hash, actor, addr, rid, id_out, "", then, cls, on_exists};
    enum egov_db_qs qs = account_txn(db, true, account_add_on, &t);
    egov_wipe(hash, sizeof hash);
    if (qs == EGOV_DB_NO_ROW) {
        *field = "national_id";
        return EGOV_EC_ACCOUNT_EXISTS;
    }
    if (qs < 0)
        return qs == EGOV_DB_SOFT_ERROR ? EGOV_EC_DB_SOFT_ERROR : EGOV_EC_DB_HARD_ERROR;
    return EGOV_EC_NONE;
}

enum egov_ec egov_account_add(struct egov_db *db, const struct egov_account_new *in,
                              const char *actor, char id_out[37], const char **field)
{
    return account_add_full(db, in, actor, NULL, NULL, id_out, field, NULL, NULL);
}

struct nid_txn {
    const char *nid;
    char *out;
};

static enum egov_db_qs nid_body(struct egov_db_conn *c, void *cls)
{
    struct nid_txn *t = cls;
    struct egov_db_rows *r = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->nid), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_by_nid, p, &r);
    if (qs == EGOV_DB_ONE_ROW)
        copy_text(t->out, 37, egov_db_rows_text(r, 0, 0));
    egov_db_rows_free(r);
    return qs;
}

enum egov_db_qs egov_account_find_by_national_id(struct egov_db *db, const char *national_id,
                                                 char account_id[37])
{
    char nid[16];
    account_id[0] = '\0';
    if (national_id == NULL || strlen(national_id) != 10)
        return EGOV_DB_NO_ROW;
    for (int i = 0; i < 10; i++)
        nid[i] = (char)toupper((unsigned char)national_id[i]);
    nid[10] = '\0';
    struct nid_txn t = {nid, account_id};
    return account_txn(db, false, nid_body, &t);
}

/* ------------------------------------------------------------------ */
/* Password verification with lockout and throttling                   */
/* ------------------------------------------------------------------ */

struct lookup_txn {
    const char *login;
    const char *addr_key;
    int64_t now;
    bool found;
    char id[37];
    char principal[37];
    char hash[256];
    char state[16];
    int64_t locked_until;
    bool totp;
    int64_t addr_count, addr_window;
};

static enum egov_db_qs lookup_body(struct egov_db_conn *c, void *cls)
{
    struct lookup_txn *t = cls;
    struct egov_db_rows *r = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->login), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_login, p, &r);
    t->found = qs == EGOV_DB_ONE_ROW;
    if (t->found) {
        copy_text(t->id, sizeof t->id, egov_db_rows_text(r, 0, 0));
        copy_text(t->hash, sizeof t->hash, egov_db_rows_text(r, 0, 1));
        copy_text(t->state, sizeof t->state, egov_db_rows_text(r, 0, 2));
        t->locked_until = egov_db_rows_int64(r, 0, 3);
        t->totp = egov_db_rows_int64(r, 0, 4) != 0;
        copy_text(t->principal, sizeof t->principal, egov_db_rows_text(r, 0, 5));
    }
    egov_db_rows_free(r);
    if (qs < 0)
        return qs;
    r = NULL;
    struct egov_db_param q[] = {EGOV_DB_PARAM_TEXT(t->addr_key), EGOV_DB_PARAM_END};
    qs = egov_db_query(c, &st_throttle_get, q, &r);
    if (qs == EGOV_DB_ONE_ROW) {
        t->addr_count = egov_db_rows_int64(r, 0, 0);
        t->addr_window = egov_db_rows_int64(r, 0, 1);
    }
    egov_db_rows_free(r);
    return qs < 0 ? qs : EGOV_DB_ONE_ROW;
}

enum egov_db_qs account_fail(struct egov_db_conn *c, const char *account_id, int64_t now,
                             int64_t *lock_until)
{
    struct egov_db_rows *r = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(account_id), EGOV_DB_PARAM_INT64(now),
                                EGOV_DB_PARAM_END};
    *lock_until = 0;
    enum egov_db_qs qs = egov_db_query(c, &st_fail, p, &r);
    int64_t fails = qs == EGOV_DB_ONE_ROW ? egov_db_rows_int64(r, 0, 0) : 0;
    egov_db_rows_free(r);
    if (qs < 0 || fails < ACCOUNT_LOCK_AFTER)
        return qs;
    /* 1, 2, 4 ... minutes, at most an hour, for each failure past the fifth */
    int64_t shift = fails - ACCOUNT_LOCK_AFTER;
    int64_t secs = shift >= 6 ? ACCOUNT_LOCK_MAX_S : (int64_t)ACCOUNT_LOCK_BASE_S << shift;
    if (secs > ACCOUNT_LOCK_MAX_S)
        secs = ACCOUNT_LOCK_MAX_S;
    *lock_until = now + secs * 1000000;
    struct egov_db_param lp[] = {EGOV_DB_PARAM_TEXT(account_id), EGOV_DB_PARAM_INT64(*lock_until),
                                 EGOV_DB_PARAM_END};
    return egov_db_exec(c, &st_lock, lp);
}

enum egov_db_qs account_fail_reset(struct egov_db_conn *c, const char *account_id, int64_t now)
{
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(account_id), EGOV_DB_PARAM_INT64(now),
                                EGOV_DB_PARAM_END};
    return egov_db_exec(c, &st_ok, p);
}

enum egov_db_qs account_throttle_take(struct egov_db_conn *c, const char *key, int64_t max,
                                      bool *over)
{
    struct egov_db_rows *r = NULL;
    int64_t now = egov_now_us();
    struct egov_db_param h[] = {EGOV_DB_PARAM_TEXT(key), EGOV_DB_PARAM_INT64(now),
                                EGOV_DB_PARAM_INT64(now - ACCOUNT_ADDR_WINDOW_US),
                                EGOV_DB_PARAM_END};
    *over = false;
    enum egov_db_qs qs = egov_db_exec(c, &st_throttle_hit, h);
    if (qs < 0)
        return qs;
    struct egov_db_param q[] = {EGOV_DB_PARAM_TEXT(key), EGOV_DB_PARAM_END};
    qs = egov_db_query(c, &st_throttle_get, q, &r);
    if (qs == EGOV_DB_ONE_ROW)
        *over = egov_db_rows_int64(r, 0, 0) > max;
    egov_db_rows_free(r);
    return qs;
}

struct outcome_txn {
    const struct lookup_txn *l;
    bool ok;
    const char *event;
    const char *addr;
    const char *rid;
    int64_t now;
    int64_t lock_until; /* out */
};

static enum egov_db_qs outcome_body(struct egov_db_conn *c, void *cls)
{
    struct outcome_txn *t = cls;
    const struct lookup_txn *l = t->l;
    enum egov_db_qs qs;
    t->lock_until = 0;
    if (t->ok && l->found) {
        /* with a second factor the failures are forgotten only after it */
        if (!l->totp) {
            qs = account_fail_reset(c, l->id, t->now);
            if (qs < 0)
                return qs;
        }
    } else if (!t->ok) {
        if (l->found && strcmp(t->event, "login.failure") == 0) {
            qs = account_fail(c, l->id, t->now, &t->lock_until);
            if (qs < 0)
                return qs;
        }
        if (strcmp(t->event, "login.throttled") != 0) {
            struct egov_db_param h[] = {
                EGOV_DB_PARAM_TEXT(l->addr_key), EGOV_DB_PARAM_INT64(t->now),
                EGOV_DB_PARAM_INT64(t->now - ACCOUNT_ADDR_WINDOW_US), EGOV_DB_PARAM_END};
            qs = egov_db_exec(c, &st_throttle_hit, h);
            if (qs < 0)
                return qs;
        }
        qs = egov_accounting_record(c, EGOV_ACCOUNTING_LOGIN_FAILED, l->found ? l->principal : NULL,
                                    NULL, "account", 1);
        if (qs < 0)
            return qs;
    }
    json_t *detail =
        t->lock_until > 0 ? json_pack("{s:I}", "locked_until_us", (json_int_t)t->lock_until) : NULL;
    qs = egov_account_audit(c, l->found ? l->id : "anonymous", t->event, l->found ? l->id : NULL,
                            t->addr, t->rid, detail);
    json_decref(detail);
    return qs < 0 ? qs : EGOV_DB_ONE_ROW;
}

enum egov_account_verdict egov_account_verify_password(struct egov_db *db, const char *login,
                                                       const char *password,
                                                       const char *client_addr,
                                                       const char *request_id, char account_id[37],
                                                       bool *has_totp, unsigned int *retry_after_s)
{
    struct lookup_txn l;
    char norm_login[ACCOUNT_EMAIL_MAX + 1], addr_key[96];
    enum egov_account_verdict v;
    unsigned int retry = 0;

    memset(&l, 0, sizeof l);
    if (account_id != NULL)
        account_id[0] = '\0';
    if (has_totp != NULL)
        *has_totp = false;
    if (login == NULL || password == NULL || strlen(login) > ACCOUNT_EMAIL_MAX ||
        strlen(password) > ACCOUNT_PW_MAX_BYTES)
        return EGOV_ACCOUNT_BAD_CREDENTIALS;
    snprintf(norm_login, sizeof norm_login, "%s", login);
    if (strchr(norm_login, '@') != NULL) {
        account_ascii_lower(norm_login);
    } else {
        for (char *p = norm_login; *p != '\0'; p++)
            *p = (char)toupper((unsigned char)*p);
    }
    snprintf(addr_key, sizeof addr_key, "addr:%s", client_addr != NULL ? client_addr : "");
    l.login = norm_login;
    l.addr_key = addr_key;
    l.now = egov_now_us();
    if (account_txn(db, false, lookup_body, &l) < 0)
        return EGOV_ACCOUNT_ERROR;

    struct outcome_txn o = {&l, false, "login.failure", client_addr, request_id, l.now, 0};
    if (l.addr_count >= ACCOUNT_ADDR_MAX_FAIL && l.addr_window > l.now - ACCOUNT_ADDR_WINDOW_US) {
        o.event = "login.throttled";
        retry = (unsigned int)((l.addr_window + ACCOUNT_ADDR_WINDOW_US - l.now) / 1000000 + 1);
        v = EGOV_ACCOUNT_THROTTLED;
    } else if (l.found && l.locked_until > l.now) {
        o.event = "login.locked";
        retry = (unsigned int)((l.locked_until - l.now) / 1000000 + 1);
        v = EGOV_ACCOUNT_LOCKED;
    } else if (!account_password_verify(l.found ? l.hash : NULL, password)) {
        v = EGOV_ACCOUNT_BAD_CREDENTIALS;
    } else if (strcmp(l.state, "active") != 0) {
        o.ok = true;
        o.event = "login.inactive";
        v = EGOV_ACCOUNT_INACTIVE;
    } else {
        o.ok = true;
        o.event = "login.password";
        v = EGOV_ACCOUNT_OK;
    }
    egov_wipe(l.hash, sizeof l.hash);
    if (account_txn(db, true, outcome_body, &o) < 0)
        return EGOV_ACCOUNT_ERROR;
    if (v == EGOV_ACCOUNT_BAD_CREDENTIALS && o.lock_until > 0) {
        /* this failure started a lockout: say so, the next attempt would anyway */
        retry = (unsigned int)((o.lock_until - l.now) / 1000000 + 1);
        v = EGOV_ACCOUNT_LOCKED;
    }
    if (retry_after_s != NULL)
        *retry_after_s = retry;
    if (v == EGOV_ACCOUNT_OK) {
        if (account_id != NULL)
            snprintf(account_id, 37, "%s", l.id);
        if (has_totp != NULL)
            *has_totp = l.totp;
    }
    return v;
}

/* ------------------------------------------------------------------ */
/* Tokens and mail                                                     */
/* ------------------------------------------------------------------ */

enum egov_db_qs account_token_issue(struct egov_db_conn *c, const char *account_id,
                                    const char *purpose, int64_t ttl_us, char token[44])
{
    char hash[65];
    if (!egov_random_token(32, token))
        return EGOV_DB_HARD_ERROR;
    account_hash_hex(token, hash);
    int64_t now = egov_now_us();
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(hash),          EGOV_DB_PARAM_TEXT(account_id),
                                EGOV_DB_PARAM_TEXT(purpose),       EGOV_DB_PARAM_INT64(now),
                                EGOV_DB_PARAM_INT64(now + ttl_us), EGOV_DB_PARAM_END};
    return egov_db_exec(c, &st_token_put, p);
}

enum egov_db_qs account_token_use(struct egov_db_conn *c, const char *token, const char *purpose,
                                  char account_id[37])
{
    char hash[65];
    struct egov_db_rows *r = NULL;
    account_id[0] = '\0';
    if (token == NULL || strlen(token) != 43)
        return EGOV_DB_NO_ROW;
    account_hash_hex(token, hash);
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(hash), EGOV_DB_PARAM_TEXT(purpose),
                                EGOV_DB_PARAM_INT64(egov_now_us()), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_token_use, p, &r);
    if (qs == EGOV_DB_ONE_ROW)
        copy_text(account_id, 37, egov_db_rows_text(r, 0, 0));
    egov_db_rows_free(r);
    return qs;
}

enum egov_db_qs account_mail_enqueue(struct egov_db_conn *c, const char *to, const char *subject,
                                     const char *body, const char *link)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "to", to, "subject", subject, "body", body,
                          "link", link != NULL ? link : "");
    char *text = j != NULL ? egov_json_dumps(j) : NULL;
    json_decref(j);
    if (text == NULL)
        return EGOV_DB_HARD_ERROR;
    enum egov_db_qs qs = egov_job_enqueue(c, ACCOUNT_MAIL_QUEUE, text, 0, NULL);
    egov_free(text);
    return qs;
}

struct mail_txn {
    const char *job_id;
    const json_t *mail;
};

static enum egov_db_qs mail_body(struct egov_db_conn *c, void *cls)
{
    struct mail_txn *t = cls;
    char id[37];
    egov_uuid7(id);
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(id),
                                EGOV_DB_PARAM_TEXT(t->job_id),
                                EGOV_DB_PARAM_TEXT(egov_json_get_str(t->mail, "to", "")),
                                EGOV_DB_PARAM_TEXT(egov_json_get_str(t->mail, "subject", "")),
                                EGOV_DB_PARAM_TEXT(egov_json_get_str(t->mail, "body", "")),
                                EGOV_DB_PARAM_TEXT(egov_json_get_str(t->mail, "link", "")),
                                EGOV_DB_PARAM_INT64(egov_now_us()),
                                EGOV_DB_PARAM_END};
    return egov_db_exec(c, &st_mail_put, p);
}

enum egov_job_result account_mail_job(struct egov_db *db, const char *job_id, const char *payload,
                                      void *cls)
{
    struct egov_json_error err;
    (void)cls;
    json_t *mail = egov_json_loads(payload, strlen(payload), &err);
    if (mail == NULL || !json_is_object(mail)) {
        json_decref(mail);
        EGOV_BUG("account mail job %s has a malformed payload", job_id);
        return EGOV_JOB_FAIL;
    }
    /* The only channel so far is the mailbox table (read at /dev/mailbox when
     * account.dev_mailbox is on); job_id makes a re-run deliver nothing twice. */
    struct mail_txn t = {job_id, mail};
    enum egov_db_qs qs = account_txn(db, true, mail_body, &t);
    json_decref(mail);
    return qs < 0 ? EGOV_JOB_RETRY : EGOV_JOB_DONE;
}
