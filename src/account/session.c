/*
 * session.c -- sessions in the database: create on login, look up per
 * request, revoke, log out, and the egov_account_require() guard.
 *
 * The cookie holds 256 random bits; the table holds their SHA-256, so a
 * copy of the database does not let anyone log in.  A session ends when it
 * is revoked, after ACCOUNT_SESSION_IDLE_US without use, or
 * ACCOUNT_SESSION_ABS_US after the login, whichever comes first.
 */
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

#include "account/account_int.h"
#include "accounting/accounting.h"

static const struct egov_db_stmt st_current = {
    "account_session_current",
    "SELECT s.id, s.account_id, a.principal_id, a.name, a.national_id, s.auth_time, s.amr,"
    " s.acr, s.created_at, s.expires_at, s.last_seen"
    " FROM account_session s JOIN account a ON a.id = s.account_id"
    " WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2"
    " AND s.last_seen > $3 AND a.state = 'active'",
    NULL};
static const struct egov_db_stmt st_touch = {
    "account_session_touch",
    "UPDATE account_session SET last_seen = $2 WHERE id = $1 AND revoked_at IS NULL", NULL};
static const struct egov_db_stmt st_insert = {
    "account_session_insert",
    "INSERT INTO account_session (id, token_hash, account_id, auth_time, amr, acr, created_at,"
    " last_seen, expires_at, client_addr, user_agent)"
    " VALUES ($1, $2, $3, $4, $5, $6, $4, $4, $7, $8, $9)",
    NULL};
static const struct egov_db_stmt st_revoke_token = {
    "account_session_revoke_token",
    "UPDATE account_session SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL"
    " RETURNING id, account_id",
    NULL};
static const struct egov_db_stmt st_revoke_id = {
    "account_session_revoke_id",
    "UPDATE account_session SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL"
    " AND ($3 = '' OR account_id = $3) RETURNING account_id",
    "UPDATE account_session SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL"
    " AND ($3::text = '' OR account_id = $3::text) RETURNING account_id"};

const char *account_acr_of(const char *const *amr, unsigned int n)
{
    bool hw = false, mfa = false;
    for (unsigned int i = 0; i < n; i++) {
        if (strcmp(amr[i], EGOV_ACCOUNT_AMR_HWK) == 0 || strcmp(amr[i], EGOV_ACCOUNT_AMR_SC) == 0)
            hw = true;
        if (strcmp(amr[i], EGOV_ACCOUNT_AMR_MFA) == 0)
            mfa = true;
    }
    return hw ? EGOV_ACCOUNT_ACR_HIGH : mfa ? EGOV_ACCOUNT_ACR_SUBSTANTIAL : EGOV_ACCOUNT_ACR_LOW;
}

/* Splits "pwd,otp,mfa" into @p out. */
static void parse_amr(const char *s, struct egov_account_session *out)
{
    out->n_amr = 0;
    while (s != NULL && *s != '\0' && out->n_amr < EGOV_ACCOUNT_MAX_AMR) {
        size_t n = strcspn(s, ",");
        if (n > 0 && n < sizeof out->amr[0]) {
            memcpy(out->amr[out->n_amr], s, n);
            out->amr[out->n_amr][n] = '\0';
            out->n_amr++;
        }
        s += n;
        if (*s == ',')
            s++;
    }
}

static void copy_text(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src != NULL ? src : "");
}

struct current_txn {
    const char *hash;
    int64_t now;
    struct egov_account_session *out;
    int64_t last_seen;
};

static enum egov_db_qs current_body(struct egov_db_conn *c, void *cls)
{
    struct current_txn *t = cls;
    struct egov_db_rows *r = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->hash), EGOV_DB_PARAM_INT64(t->now),
                                EGOV_DB_PARAM_INT64(t->now - ACCOUNT_SESSION_IDLE_US),
                                EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_current, p, &r);
    if (qs == EGOV_DB_ONE_ROW) {
        struct egov_account_session *o = t->out;
        copy_text(o->id, sizeof o->id, egov_db_rows_text(r, 0, 0));
        copy_text(o->account_id, sizeof o->account_id, egov_db_rows_text(r, 0, 1));
        copy_text(o->principal_id, sizeof o->principal_id, egov_db_rows_text(r, 0, 2));
        copy_text(o->name, sizeof o->name, egov_db_rows_text(r, 0, 3));
        copy_text(o->national_id, sizeof o->national_id, egov_db_rows_text(r, 0, 4));
        o->auth_time = egov_db_rows_int64(r, 0, 5) / 1000000;
        parse_amr(egov_db_rows_text(r, 0, 6), o);
        copy_text(o->acr, sizeof o->acr, egov_db_rows_text(r, 0, 7));
        o->created_us = egov_db_rows_int64(r, 0, 8);
        o->expires_us = egov_db_rows_int64(r, 0, 9);
        t->last_seen = egov_db_rows_int64(r, 0, 10);
    }
    egov_db_rows_free(r);
    return qs;
}

struct touch_txn {
    const char *id;
    int64_t now;
};

static enum egov_db_qs touch_body(struct egov_db_conn *c, void *cls)
{
    struct touch_txn *t = cls;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->id), EGOV_DB_PARAM_INT64(t->now),
                                EGOV_DB_PARAM_END};
    return egov_db_exec(c, &st_touch, p);
}

/* True if @p v looks like one of our session tokens (43 base64url characters). */
static bool token_shape_ok(const char *v)
{
    if (v == NULL || strlen(v) != 43)
        return false;
    for (; *v != '\0'; v++)
        if (!((*v >= 'A' && *v <= 'Z') || (*v >= 'a' && *v <= 'z') || (*v >= '0' && *v <= '9') ||
              *v == '-' || *v == '_'))
            return false;
    return true;
}

/*
 * The session of @p req's cookie, waiting at most @p wait_ms for a
 * connection; @p touch records the visit (now and then) as a request of the
 * session does, a mere look (the page header) does not.
 */
static enum egov_db_qs session_lookup(struct egov_req *req, struct egov_account_session *out,
                                      unsigned int wait_ms, bool touch)
{
    char hash[65];
    struct current_txn t;
    memset(out, 0, sizeof *out);
    const char *tok = egov_req_cookie(req, EGOV_ACCOUNT_COOKIE);
    if (!token_shape_ok(tok))
        return EGOV_DB_NO_ROW;
    account_hash_hex(tok, hash);
    t.hash = hash;
    t.now = egov_now_us();
    t.out = out;
    t.last_seen = 0;
    /* one statement, so no transaction around it: one round trip on PostgreSQL
     * instead of three; a busy database is asked once more */
    enum egov_db_qs qs = EGOV_DB_SOFT_ERROR;
    struct egov_db *db = egov_req_db(req);
    if (db == NULL)
        return EGOV_DB_HARD_ERROR;
    struct egov_db_conn *c = egov_db_acquire(db, wait_ms);
    for (int attempt = 0; c != NULL && attempt < 2 && qs == EGOV_DB_SOFT_ERROR; attempt++)
        qs = current_body(c, &t);
    egov_db_release(c);
    if (touch && qs == EGOV_DB_ONE_ROW && t.now - t.last_seen > ACCOUNT_SESSION_TOUCH_US) {
        struct touch_txn tt = {out->id, t.now};
        (void)account_txn(egov_req_db(req), true, touch_body, &tt); /* best effort */
    }
    if (qs != EGOV_DB_ONE_ROW)
        memset(out, 0, sizeof *out);
    return qs;
}

enum egov_db_qs egov_account_session_current(struct egov_req *req, struct egov_account_session *out)
{
    return session_lookup(req, out, ACCOUNT_ACQUIRE_MS, true);
}

bool account_session_peek(struct egov_req *req, char *name, size_t n)
{
    struct egov_account_session s;
    /* the page must not wait on a busy pool for its header */
    if (n == 0 || session_lookup(req, &s, 100, false) != EGOV_DB_ONE_ROW)
        return false;
    egov_utf8_copy(name, n, s.name);
    return true;
}

struct create_txn {
    const char *account_id;
    const char *old_hash; /* may be NULL */
    const char *new_hash;
    const char *amr;
    const char *acr;
    const char *addr;
    const char *ua;
    const char *rid;
    int64_t now;
    struct egov_account_session *out;
    struct account_row acct;
};

static enum egov_db_qs create_body(struct egov_db_conn *c, void *cls)
{
    struct create_txn *t = cls;
    struct egov_account_session *o = t->out;
    enum egov_db_qs qs = account_load(c, t->account_id, &t->acct);
    if (qs <= 0)
        return qs;
    if (strcmp(t->acct.state, "active") != 0)
        return EGOV_DB_NO_ROW;
    if (t->old_hash != NULL) {
        struct egov_db_rows *r = NULL;
        struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->old_hash), EGOV_DB_PARAM_INT64(t->now),
                                    EGOV_DB_PARAM_END};
        qs = egov_db_query(c, &st_revoke_token, p, &r);
        egov_db_rows_free(r);
        if (qs < 0)
            return qs;
    }
    egov_uuid7(o->id);
    struct egov_db_param ins[] = {EGOV_DB_PARAM_TEXT(o->id),
                                  EGOV_DB_PARAM_TEXT(t->new_hash),
                                  EGOV_DB_PARAM_TEXT(t->account_id),
                                  EGOV_DB_PARAM_INT64(t->now),
                                  EGOV_DB_PARAM_TEXT(t->amr),
                                  EGOV_DB_PARAM_TEXT(t->acr),
                                  EGOV_DB_PARAM_INT64(t->now + ACCOUNT_SESSION_ABS_US),
                                  EGOV_DB_PARAM_TEXT(t->addr),
                                  EGOV_DB_PARAM_TEXT(t->ua),
                                  EGOV_DB_PARAM_END};
    qs = egov_db_exec(c, &st_insert, ins);
    if (qs < 0)
        return qs;
    json_t *detail = json_pack("{s:s, s:s}", "amr", t->amr, "session", o->id);
    qs = egov_account_audit(c, t->account_id, "session.create", t->account_id, t->addr, t->rid,
                            detail);
    json_decref(detail);
    if (qs < 0)
        return qs;
    qs = egov_accounting_record(c, EGOV_ACCOUNTING_LOGIN, t->acct.principal_id, NULL, "account", 1);
    return qs < 0 ? qs : EGOV_DB_ONE_ROW;
}

enum egov_db_qs egov_account_session_create(struct egov_req *req, const char *account_id,
                                            const char *const *amr, unsigned int n_amr,
                                            struct egov_account_session *out)
{
    struct egov_account_session local;
    struct create_txn t;
    char token[44], new_hash[65], old_hash[65], amr_text[64] = "";
    const char *list[EGOV_ACCOUNT_MAX_AMR];
    unsigned int n = 0;

    if (out == NULL)
        out = &local;
    memset(out, 0, sizeof *out);
    memset(&t, 0, sizeof t);
    if (account_id == NULL || amr == NULL || n_amr == 0 || n_amr >= EGOV_ACCOUNT_MAX_AMR)
        return EGOV_DB_HARD_ERROR;
    bool has_pwd = false, has_other = false;
    for (unsigned int i = 0; i < n_amr; i++) {
        if (amr[i] == NULL || strlen(amr[i]) >= sizeof out->amr[0])
            return EGOV_DB_HARD_ERROR;
        if (strcmp(amr[i], EGOV_ACCOUNT_AMR_MFA) == 0)
            continue;
        if (strcmp(amr[i], EGOV_ACCOUNT_AMR_PWD) == 0)
            has_pwd = true;
        else
            has_other = true;
        list[n++] = amr[i];
    }
    if (has_pwd && has_other && n < EGOV_ACCOUNT_MAX_AMR)
        list[n++] = EGOV_ACCOUNT_AMR_MFA;
    for (unsigned int i = 0; i < n; i++) {
        size_t l = strlen(amr_text), m = strlen(list[i]);
        /* always fits: at most a few short method names */
        if (l + (i > 0) + m < sizeof amr_text) {
            if (i > 0)
                amr_text[l++] = ',';
            memcpy(amr_text + l, list[i], m + 1);
        }
        snprintf(out->amr[i], sizeof out->amr[i], "%s", list[i]);
    }
    out->n_amr = n;
    if (!egov_random_token(32, token))
        return EGOV_DB_HARD_ERROR;
    account_hash_hex(token, new_hash);
    const char *old = egov_req_cookie(req, EGOV_ACCOUNT_COOKIE);
    if (token_shape_ok(old)) {
        account_hash_hex(old, old_hash);
        t.old_hash = old_hash;
    }
    const char *ua = egov_req_header(req, "User-Agent");
    char ua_short[200];
    snprintf(ua_short, sizeof ua_short, "%s", ua != NULL ? ua : "");
    if (!egov_utf8_valid(ua_short, strlen(ua_short), NULL))
        ua_short[0] = '\0';
    t.account_id = account_id;
    t.new_hash = new_hash;
    t.amr = amr_text;
    t.acr = account_acr_of(list, n);
    t.addr = egov_account_client_addr(req);
    t.ua = ua_short;
    t.rid = req->request_id;
    t.now = egov_now_us();
    t.out = out;
    enum egov_db_qs qs = account_txn(egov_req_db(req), true, create_body, &t);
    if (qs != EGOV_DB_ONE_ROW) {
        egov_wipe(token, sizeof token);
        memset(out, 0, sizeof *out);
        return qs;
    }
    snprintf(out->account_id, sizeof out->account_id, "%s", account_id);
    snprintf(out->principal_id, sizeof out->principal_id, "%s", t.acct.principal_id);
    snprintf(out->name, sizeof out->name, "%s", t.acct.name);
    snprintf(out->national_id, sizeof out->national_id, "%s", t.acct.national_id);
    snprintf(out->acr, sizeof out->acr, "%s", t.acr);
    out->auth_time = t.now / 1000000;
    out->created_us = t.now;
    out->expires_us = t.now + ACCOUNT_SESSION_ABS_US;
    egov_reply_cookie(req, EGOV_ACCOUNT_COOKIE, token, 0);
    egov_wipe(token, sizeof token);
    return EGOV_DB_ONE_ROW;
}

struct revoke_txn {
    const char *session_id;
    const char *account_id;
    const char *addr;
    const char *rid;
    const char *token_hash; /* revoke by token instead of id */
};

static enum egov_db_qs revoke_body(struct egov_db_conn *c, void *cls)
{
    struct revoke_txn *t = cls;
    struct egov_db_rows *r = NULL;
    enum egov_db_qs qs;
    char acct[37] = "", sid[37] = "";
    int64_t now = egov_now_us();
    if (t->token_hash != NULL) {
        struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->token_hash), EGOV_DB_PARAM_INT64(now),
                                    EGOV_DB_PARAM_END};
        qs = egov_db_query(c, &st_revoke_token, p, &r);
        if (qs == EGOV_DB_ONE_ROW) {
            copy_text(sid, sizeof sid, egov_db_rows_text(r, 0, 0));
            copy_text(acct, sizeof acct, egov_db_rows_text(r, 0, 1));
        }
    } else {
        struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->session_id), EGOV_DB_PARAM_INT64(now),
                                    EGOV_DB_PARAM_TEXT(t->account_id != NULL ? t->account_id : ""),
                                    EGOV_DB_PARAM_END};
        qs = egov_db_query(c, &st_revoke_id, p, &r);
        if (qs == EGOV_DB_ONE_ROW) {
            copy_text(sid, sizeof sid, t->session_id);
            copy_text(acct, sizeof acct, egov_db_rows_text(r, 0, 0));
        }
    }
    egov_db_rows_free(r);
    if (qs != EGOV_DB_ONE_ROW)
        return qs;
    json_t *detail = json_pack("{s:s}", "session", sid);
    enum egov_db_qs aq = egov_account_audit(
        c, t->account_id != NULL ? t->account_id : acct,
        t->token_hash != NULL ? "session.logout" : "session.revoke", acct, t->addr, t->rid, detail);
    json_decref(detail);
    return aq < 0 ? aq : EGOV_DB_ONE_ROW;
}

enum egov_db_qs egov_account_session_revoke(struct egov_db *db, struct egov_req *req,
                                            const char *session_id, const char *account_id)
{
    if (session_id == NULL || !egov_uuid_valid(session_id))
        return EGOV_DB_NO_ROW;
    struct revoke_txn t = {session_id, account_id, req != NULL ? egov_account_client_addr(req) : "",
                           req != NULL ? req->request_id : NULL, NULL};
    return account_txn(db, true, revoke_body, &t);
}

enum egov_db_qs egov_account_logout(struct egov_req *req)
{
    char hash[65];
    const char *tok = egov_req_cookie(req, EGOV_ACCOUNT_COOKIE);
    enum egov_db_qs qs = EGOV_DB_NO_ROW;
    if (tok != NULL)
        egov_reply_cookie(req, EGOV_ACCOUNT_COOKIE, "", -1);
    if (!token_shape_ok(tok))
        return EGOV_DB_NO_ROW;
    account_hash_hex(tok, hash);
    struct revoke_txn t = {NULL, NULL, egov_account_client_addr(req), req->request_id, hash};
    qs = account_txn(egov_req_db(req), true, revoke_body, &t);
    return qs;
}

/* Appends one query argument, re-encoded, to the buffer in @p cls. */
static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    struct egov_buf *b = cls;
    (void)kind;
    egov_buf_putc(b, b->len > 0 && strchr(b->data, '?') != NULL ? '&' : '?');
    for (int part = 0; part < 2; part++) {
        const unsigned char *s = (const unsigned char *)(part == 0 ? key : value);
        if (part == 1) {
            if (value == NULL)
                break;
            egov_buf_putc(b, '=');
        }
        for (; s != NULL && *s != '\0'; s++) {
            if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
                strchr("-._~", *s) != NULL) {
                egov_buf_putc(b, (char)*s);
            } else {
                egov_buf_putc(b, '%');
                egov_buf_putc(b, hex[*s >> 4]);
                egov_buf_putc(b, hex[*s & 15]);
            }
        }
    }
    return MHD_YES;
}

/* This request's path and query, re-encoded, in the arena. */
static const char *self_url(struct egov_req *req)
{
    struct egov_buf b;
    egov_buf_init(&b);
    egov_buf_puts(&b, req->path);
    if (req->mhd_connection != NULL)
        MHD_get_connection_values(req->mhd_connection, MHD_GET_ARGUMENT_KIND, query_arg, &b);
    char *s = b.oom ? NULL : egov_arena_strdup(req->arena, b.data);
    egov_buf_free(&b);
    return s != NULL ? s : "/";
}

static int acr_rank(const char *acr)
{
    if (acr == NULL)
        return 0;
    if (strcmp(acr, EGOV_ACCOUNT_ACR_HIGH) == 0)
        return 3;
    if (strcmp(acr, EGOV_ACCOUNT_ACR_SUBSTANTIAL) == 0)
        return 2;
    if (strcmp(acr, EGOV_ACCOUNT_ACR_LOW) == 0)
        return 1;
    return 0;
}

bool egov_account_require(struct egov_req *req, const struct egov_account_requirement *need,
                          struct egov_account_session *out)
{
    enum egov_db_qs qs = egov_account_session_current(req, out);
    if (qs < 0) {
        account_reply_db_error(req, qs);
        return false;
    }
    bool weak = false;
    if (qs == EGOV_DB_ONE_ROW && need != NULL) {
        if (need->min_acr != NULL && acr_rank(out->acr) < acr_rank(need->min_acr))
            weak = true;
        if (need->max_age_s > 0 && egov_now_us() / 1000000 - out->auth_time > need->max_age_s)
            weak = true;
    }
    if (qs == EGOV_DB_ONE_ROW && !weak)
        return true;
    if (req->repr == EGOV_REPR_HTML) {
        const char *back = account_urlencode(req, self_url(req));
        char *loc = egov_arena_printf(req->arena, "/login?return_to=%s%s",
                                      back != NULL ? back : "%2F", weak ? "&prompt=login" : "");
        egov_reply_redirect(req, loc != NULL ? loc : "/login");
    } else {
        egov_reply_header(req, "WWW-Authenticate", "Cookie realm=\"egov\"");
        egov_reply_problem(req, weak ? EGOV_EC_GENERIC_FORBIDDEN : EGOV_EC_GENERIC_UNAUTHORIZED,
                           NULL, NULL);
    }
    return false;
}
