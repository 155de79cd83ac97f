/*
 * test_db_account.c -- accounts, sign-in pages, sessions, second factor,
 * registration, reset and the attacks on them, against an in-process
 * server on SQLite and on PostgreSQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account/account_int.h"
#include "accounting/accounting.h"
#include "authz/authz.h"
#include "browserlike.h"
#include "testlib.h"

static struct egov_db *db;
static struct egov_test_server srv;
static struct egov_config cfg;

static const char PW[] = "correct horse battery staple";

static int64_t count_rows(const char *sql_where_event)
{
    static const struct egov_db_stmt st = {
        "t_audit_count", "SELECT COUNT(*) FROM account_audit WHERE event = $1", NULL};
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    struct egov_db_rows *r = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(sql_where_event), EGOV_DB_PARAM_END};
    int64_t n = -1;
    if (egov_db_query(c, &st, p, &r) == EGOV_DB_ONE_ROW)
        n = egov_db_rows_int64(r, 0, 0);
    egov_db_rows_free(r);
    egov_db_release(c);
    return n;
}

static struct egov_db *open_db(const struct egov_module_env *env)
{
    (void)env;
    return NULL;
}

static int setup(void **state)
{
    (void)state;
    char err[256];
    db = egov_test_db_open();
    if (db == NULL)
        return -1;
    egov_db_register_migrations(egov_accounting_module.migrations);
    egov_db_register_migrations(egov_authz_module.migrations);
    egov_db_register_migrations(egov_account_module.migrations);
    if (egov_db_migrate(db, NULL, NULL, err, sizeof err) < 0) {
        fprintf(stderr, "migrate: %s\n", err);
        return -1;
    }
    egov_config_defaults(&cfg);
    cfg.account_dev_mailbox = true;
    /* TOTP secrets sealed under a key from a file */
    snprintf(cfg.account_secret_key_file, sizeof cfg.account_secret_key_file, "%s/account-key-%d",
             getenv("EGOV_TEST_TMP"), (int)getpid());
    FILE *kf = fopen(cfg.account_secret_key_file, "w");
    if (kf == NULL)
        return -1;
    fputs("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", kf);
    fclose(kf);
    chmod(cfg.account_secret_key_file, 0600);
    struct egov_module_env env = {&cfg, db, open_db};
    if (!egov_accounting_module.init(&env) || !egov_account_module.init(&env))
        return -1;
    struct egov_server_options o;
    memset(&o, 0, sizeof o);
    o.threads = 2;
    o.db = db;
    o.datadir = getenv("EGOV_DATADIR");
    const struct egov_route_table *tables[] = {
        egov_account_module.routes, egov_accounting_module.routes, egov_authz_module.routes, NULL};
    return egov_test_inproc_start(tables, &o, &srv) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    egov_test_inproc_stop(&srv, 1000);
    account_csrf_reset();
    account_secret_key_set(NULL);
    unlink(cfg.account_secret_key_file);
    egov_db_close(db);
    return 0;
}

/* Runs queued jobs (the mail) until none is due. */
static void run_jobs(void)
{
    for (int i = 0; i < 20 && egov_jobs_run_one(db, "test", 10000, 3) == 1; i++)
        ;
}

/* Logs in; returns the HTTP status of the POST and leaves the Location in @p loc. */
static long login(struct jar *j, const char *who, const char *pw, const char *return_to, char *loc,
                  size_t loclen)
{
    char tok[64], form[1024];
    if (!jar_csrf(j, &srv, "/login?prompt=login", tok))
        return -1;
    snprintf(form, sizeof form, "csrf_token=%s&login=%s&password=%s&return_to=%s", tok, who, pw,
             return_to);
    for (char *p = form; *p != '\0'; p++)
        if (*p == ' ')
            *p = '+';
    struct egov_test_response r;
    long s = jar_req(j, &srv, "POST", "/login", form, &r);
    if (loc != NULL && egov_test_response_header(&r, "Location", loc, loclen) == NULL)
        loc[0] = '\0';
    egov_test_response_free(&r);
    return s;
}

static void test_add_and_verify(void **state)
{
    (void)state;
    char id[37], acct[37];
    const char *field = NULL;
    struct egov_account_new in = {"B120000000", "陳大文", NULL, PW, true};
    /* B120000000 has a wrong checksum: find the right last digit */
    char nid[11] = "B12000000x";
    for (char d = '0'; d <= '9'; d++) {
        nid[9] = d;
        if (account_national_id_valid(nid))
            break;
    }
    in.national_id = "B12000000"; /* too short */
    assert_int_equal(egov_account_add(db, &in, NULL, id, &field),
                     EGOV_EC_ACCOUNT_NATIONAL_ID_INVALID);
    assert_string_equal(field, "national_id");
    in.national_id = nid;
    in.password = "password1";
    assert_int_equal(egov_account_add(db, &in, NULL, id, &field), EGOV_EC_ACCOUNT_PASSWORD_COMMON);
    in.password = PW;
    in.name = "";
    assert_int_equal(egov_account_add(db, &in, NULL, id, &field), EGOV_EC_ACCOUNT_NAME_INVALID);
    in.name = "陳大文";
    assert_int_equal(egov_account_add(db, &in, NULL, id, &field), EGOV_EC_NONE);
    assert_int_equal(egov_account_add(db, &in, NULL, id, &field), EGOV_EC_ACCOUNT_EXISTS);
    assert_int_equal(egov_account_find_by_national_id(db, nid, acct), EGOV_DB_ONE_ROW);
    assert_string_equal(acct, id);

    bool totp = true;
    unsigned int retry = 0;
    assert_int_equal(
        egov_account_verify_password(db, nid, PW, "192.0.2.1", "r1", acct, &totp, &retry),
        EGOV_ACCOUNT_OK);
    assert_false(totp);
    assert_int_equal(egov_account_verify_password(db, nid, "wrong password!", "192.0.2.1", NULL,
                                                  acct, NULL, &retry),
                     EGOV_ACCOUNT_BAD_CREDENTIALS);
    assert_int_equal(
        egov_account_verify_password(db, "Z999999999", PW, "192.0.2.1", NULL, acct, NULL, &retry),
        EGOV_ACCOUNT_BAD_CREDENTIALS);
    /* lockout after five failures, even with the right password */
    for (int i = 0; i < 4; i++)
        egov_account_verify_password(db, nid, "wrong password!", "192.0.2.2", NULL, acct, NULL,
                                     &retry);
    assert_int_equal(
        egov_account_verify_password(db, nid, PW, "192.0.2.3", NULL, acct, NULL, &retry),
        EGOV_ACCOUNT_LOCKED);
    assert_true(retry > 0 && retry <= 61);
    assert_true(count_rows("login.failure") >= 6);
    assert_true(count_rows("login.locked") >= 1);
}

static enum egov_db_qs set_phone_body(struct egov_db_conn *c, void *cls)
{
    const char *const *a = cls;
    return account_phone_set(c, a[0], a[1]);
}

static const struct egov_db_stmt st_t_secret_get = {
    "t_secret_get", "SELECT totp_secret FROM account WHERE national_id = $1", NULL};
static const struct egov_db_stmt st_t_secret_clear = {
    "t_secret_clear", "UPDATE account SET totp_secret = $2 WHERE national_id = $1", NULL};

/* The TOTP secret of @p nid as stored. */
static void stored_secret(const char *nid, char *out, size_t outlen)
{
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    struct egov_db_rows *r = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(nid), EGOV_DB_PARAM_END};
    out[0] = '\0';
    if (egov_db_query(c, &st_t_secret_get, p, &r) == EGOV_DB_ONE_ROW)
        snprintf(out, outlen, "%s", egov_db_rows_text(r, 0, 0));
    egov_db_rows_free(r);
    egov_db_release(c);
}

/* Stores @p secret in clear for @p nid, as nodes did before sealing was the default. */
static enum egov_db_qs set_clear_secret(const char *nid, const char *secret)
{
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(nid), EGOV_DB_PARAM_TEXT(secret),
                                EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_exec(c, &st_t_secret_clear, p);
    egov_db_release(c);
    return qs;
}

static void test_contacts(void **state)
{
    (void)state;
    char id[37], phone[ACCOUNT_PHONE_MAX + 1];
    struct account_row row;
    struct egov_account_contacts ct;
    struct egov_account_new in = {"K100000000", "聯絡人", "Contact@Example.TW", PW, true};
    assert_true(account_national_id_valid(in.national_id));
    assert_int_equal(egov_account_add(db, &in, NULL, id, NULL), EGOV_EC_NONE);
    assert_int_equal(account_load_db(db, id, &row), EGOV_DB_ONE_ROW);
    assert_int_equal(egov_account_contacts(db, row.principal_id, &ct), EGOV_DB_ONE_ROW);
    assert_string_equal(ct.email, "contact@example.tw");
    assert_false(ct.email_verified); /* given, not proven */
    assert_string_equal(ct.phone, "");

    assert_false(account_phone_normalise("0912345678", phone)); /* not international */
    assert_false(account_phone_normalise("+0912345678", phone));
    assert_false(account_phone_normalise("+886 9123x5678", phone));
    assert_false(account_phone_normalise("+8869123456789012", phone)); /* 16 digits */
    assert_true(account_phone_normalise("+886 912-345-678", phone));
    assert_string_equal(phone, "+886912345678");
    const char *args[] = {id, phone};
    assert_int_equal(egov_db_run_txn(db, true, 5000, 5, set_phone_body, (void *)args),
                     EGOV_DB_ONE_ROW);
    assert_int_equal(egov_account_contacts(db, row.principal_id, &ct), EGOV_DB_ONE_ROW);
    assert_string_equal(ct.phone, "+886912345678");
    assert_false(ct.phone_verified);
    assert_true(count_rows("account.phone") >= 1);

    /* another account cannot take the same number */
    char id2[37];
    struct egov_account_new in2 = {"K200000002", "另一人", NULL, PW, true};
    assert_true(account_national_id_valid(in2.national_id));
    assert_int_equal(egov_account_add(db, &in2, NULL, id2, NULL), EGOV_EC_NONE);
    const char *args2[] = {id2, phone};
    assert_int_equal(egov_db_run_txn(db, true, 5000, 5, set_phone_body, (void *)args2),
                     EGOV_DB_NO_ROW);

    /* unknown people have no contacts */
    assert_int_equal(egov_account_contacts(db, "00000000-0000-0000-0000-000000000000", &ct),
                     EGOV_DB_NO_ROW);
    assert_string_equal(ct.email, "");
}

static const struct egov_db_stmt st_t_throttle_clear = {"t_throttle_clear",
                                                        "DELETE FROM account_throttle", NULL};
static const struct egov_db_stmt st_t_accounts = {"t_accounts", "SELECT COUNT(*) FROM account",
                                                  NULL};
static const struct egov_db_stmt st_t_by_nid = {
    "t_accounts_by_nid", "SELECT COUNT(*) FROM account WHERE national_id = $1", NULL};
static const struct egov_db_stmt st_t_by_email = {
    "t_accounts_by_email", "SELECT COUNT(*) FROM account WHERE email = $1", NULL};
static const struct egov_db_stmt st_t_mails_to = {
    "t_mails_to", "SELECT COUNT(*) FROM account_mailbox WHERE recipient = $1", NULL};
static const struct egov_db_stmt st_t_notices_to = {
    "t_notices_to",
    "SELECT COUNT(*) FROM account_mailbox WHERE recipient = $1"
    " AND subject = 'Someone tried to register with your details'",
    NULL};

/* Runs @p st with at most one text parameter; the first column of the first row, 0 if none. */
static int64_t exec_count(const struct egov_db_stmt *st, const char *arg)
{
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    struct egov_db_rows *r = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(arg), EGOV_DB_PARAM_END};
    struct egov_db_param none[] = {EGOV_DB_PARAM_END};
    int64_t n = -1;
    enum egov_db_qs qs = egov_db_query(c, st, arg != NULL ? p : none, &r);
    if (qs >= 0)
        n = qs > 0 ? egov_db_rows_int64(r, 0, 0) : 0;
    egov_db_rows_free(r);
    egov_db_release(c);
    return n;
}

/*
 * Registers; returns the status, the body with @p email replaced by "EMAIL"
 * and the request id left out, and the time taken.
 */
static long register_as(struct jar *j, const char *nid, const char *email, char *body,
                        size_t bodylen, int64_t *took_us)
{
    char tok[64], form[512];
    struct egov_test_response r;
    if (!jar_csrf(j, &srv, "/register", tok))
        return -1;
    snprintf(form, sizeof form,
             "csrf_token=%s&national_id=%s&name=%%E9%%99%%B3&email=%s"
             "&password=correct+horse+battery+staple",
             tok, nid, email);
    int64_t t0 = egov_now_us();
    long st = jar_req(j, &srv, "POST", "/register", form, &r);
    *took_us = egov_now_us() - t0;
    /* the page names the address given: blank it out to compare the rest */
    size_t n = 0;
    const char *p = r.body != NULL ? r.body : "";
    size_t el = strlen(email);
    while (*p != '\0' && n + 6 < bodylen) {
        if (strncmp(p, email, el) == 0) {
            memcpy(body + n, "EMAIL", 5);
            n += 5;
            p += el;
        } else {
            body[n++] = *p++;
        }
    }
    body[n] = '\0';
    /* every answer names its own request id */
    char *rid = strstr(body, "Request ID: <code>");
    if (rid != NULL) {
        rid += strlen("Request ID: <code>");
        char *end = strstr(rid, "</code>");
        if (end != NULL)
            memmove(rid, end, strlen(end) + 1);
    }
    egov_test_response_free(&r);
    return st;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_register_existing(void **state)
{
    (void)state;
    static char fresh_body[16384], same_body[16384];
    struct jar j = {0};
    int64_t t_fresh[3], t_taken[3];
    const char *fresh_nid[] = {"M100000010", "M100000029", "M100000038"};
    const char *fresh_mail[] = {"owner1@example.tw", "owner2@example.tw", "owner3@example.tw"};
    assert_true(exec_count(&st_t_throttle_clear, NULL) >= 0);
    int64_t accounts0 = exec_count(&st_t_accounts, NULL);

    for (int i = 0; i < 3; i++)
        assert_int_equal(register_as(&j, fresh_nid[i], fresh_mail[i], fresh_body, sizeof fresh_body,
                                     &t_fresh[i]),
                         201);
    assert_int_equal(exec_count(&st_t_accounts, NULL), accounts0 + 3);
    /* the same national ID with another address, a new ID with a taken address,
     * and both taken: each answered exactly as a new registration */
    assert_int_equal(register_as(&j, "M100000010", "someone@example.tw", same_body,
                                 sizeof same_body, &t_taken[0]),
                     201);
    assert_string_equal(same_body, fresh_body);
    assert_int_equal(register_as(&j, "M200000049", "owner2@example.tw", same_body, sizeof same_body,
                                 &t_taken[1]),
                     201);
    assert_string_equal(same_body, fresh_body);
    assert_int_equal(register_as(&j, "M100000038", "owner3@example.tw", same_body, sizeof same_body,
                                 &t_taken[2]),
                     201);
    assert_string_equal(same_body, fresh_body);
    /* nothing was created or changed */
    assert_int_equal(exec_count(&st_t_accounts, NULL), accounts0 + 3);
    assert_int_equal(exec_count(&st_t_by_nid, "M200000049"), 0);
    assert_int_equal(exec_count(&st_t_by_email, "someone@example.tw"), 0);
    assert_int_equal(count_rows("register.existing"), 3);

    /* the same class of time: the password is hashed either way (medians within 3x) */
    qsort(t_fresh, 3, sizeof t_fresh[0], cmp_i64);
    qsort(t_taken, 3, sizeof t_taken[0], cmp_i64);
    fprintf(stderr, "# register: fresh median %lld us, taken median %lld us\n",
            (long long)t_fresh[1], (long long)t_taken[1]);
    assert_true(t_taken[1] * 3 >= t_fresh[1] && t_fresh[1] * 3 >= t_taken[1]);

    /* the owners are told through the outbox; the address given by the caller
     * of a taken ID gets nothing */
    run_jobs();
    static const char *subject = "Someone tried to register with your details";
    assert_int_equal(exec_count(&st_t_notices_to, "owner1@example.tw"), 1);
    assert_int_equal(exec_count(&st_t_notices_to, "owner2@example.tw"), 1);
    assert_int_equal(exec_count(&st_t_notices_to, "owner3@example.tw"), 1);
    assert_int_equal(exec_count(&st_t_mails_to, "someone@example.tw"), 0);
    struct egov_test_response r;
    assert_int_equal(jar_req(&j, &srv, "GET", "/dev/mailbox", NULL, &r), 200);
    assert_non_null(strstr(r.body, subject));
    assert_non_null(strstr(r.body, "/password/reset"));
    egov_test_response_free(&r);
    assert_true(exec_count(&st_t_throttle_clear, NULL) >= 0);
}

static const struct egov_db_stmt st_t_last_text = {
    "t_last_text",
    "SELECT body FROM account_mailbox WHERE recipient = $1 ORDER BY created_at DESC LIMIT 1", NULL};

/* The six-digit code of the last message to @p phone, into @p code. */
static bool last_code(const char *phone, char code[7])
{
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    struct egov_db_rows *r = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(phone), EGOV_DB_PARAM_END};
    bool ok = false;
    if (egov_db_query(c, &st_t_last_text, p, &r) == EGOV_DB_ONE_ROW) {
        const char *b = egov_db_rows_text(r, 0, 0);
        for (; *b != '\0' && !ok; b++)
            if (strspn(b, "0123456789") == 6) {
                memcpy(code, b, 6);
                code[6] = '\0';
                ok = true;
            }
    }
    egov_db_rows_free(r);
    egov_db_release(c);
    return ok;
}

static void test_phone_verification(void **state)
{
    (void)state;
    char id[37], tok[64], form[256], loc[512], code[7], wrong[12];
    struct jar j = {0};
    struct egov_test_response r;
    struct account_row row;
    struct egov_account_contacts ct;
    struct egov_account_new in = {"P100000003", "Phone Person", NULL, PW, true};
    assert_int_equal(egov_account_add(db, &in, NULL, id, NULL), EGOV_EC_NONE);
    assert_int_equal(account_load_db(db, id, &row), EGOV_DB_ONE_ROW);
    assert_int_equal(login(&j, "P100000003", PW, "/account", loc, sizeof loc), 303);
    assert_true(jar_csrf(&j, &srv, "/account", tok));

    /* a number not in international form is refused, naming what is wrong */
    snprintf(form, sizeof form, "csrf_token=%s&phone=0912345600", tok);
    assert_int_equal(jar_req(&j, &srv, "POST", "/account/phone", form, &r), 400);
    assert_non_null(strstr(r.body, "international form"));
    egov_test_response_free(&r);
    /* without the CSRF token nothing is sent */
    assert_int_equal(jar_status(&j, &srv, "POST", "/account/phone", "phone=%2B886912345600"), 403);

    snprintf(form, sizeof form, "csrf_token=%s&phone=%%2B886+912-345-600", tok);
    assert_int_equal(jar_req(&j, &srv, "POST", "/account/phone", form, &r), 200);
    assert_non_null(strstr(r.body, "action=\"/account/phone/confirm\""));
    assert_non_null(strstr(r.body, "+886912345600"));
    egov_test_response_free(&r);
    run_jobs();
    assert_true(last_code("+886912345600", code));
    /* a wrong code is refused and the number stays unconfirmed */
    snprintf(wrong, sizeof wrong, "%06u", (unsigned int)(atoi(code) + 1) % 1000000u);
    snprintf(form, sizeof form, "csrf_token=%s&code=%s", tok, wrong);
    assert_int_equal(jar_status(&j, &srv, "POST", "/account/phone/confirm", form), 400);
    assert_int_equal(egov_account_contacts(db, row.principal_id, &ct), EGOV_DB_ONE_ROW);
    assert_string_equal(ct.phone, "");
    snprintf(form, sizeof form, "csrf_token=%s&code=%s", tok, code);
    assert_int_equal(jar_req(&j, &srv, "POST", "/account/phone/confirm", form, &r), 200);
    assert_non_null(strstr(r.body, "+886912345600"));
    egov_test_response_free(&r);
    assert_int_equal(egov_account_contacts(db, row.principal_id, &ct), EGOV_DB_ONE_ROW);
    assert_string_equal(ct.phone, "+886912345600");
    assert_true(ct.phone_verified);
    assert_int_equal(count_rows("phone.verify"), 1);
    /* the code works once */
    assert_int_equal(jar_status(&j, &srv, "POST", "/account/phone/confirm", form), 400);

    /* a number another account has is not taken over */
    snprintf(form, sizeof form, "csrf_token=%s&phone=%%2B886912345678", tok);
    assert_int_equal(jar_status(&j, &srv, "POST", "/account/phone", form), 200);
    run_jobs();
    assert_true(last_code("+886912345678", code));
    snprintf(form, sizeof form, "csrf_token=%s&code=%s", tok, code);
    assert_int_equal(jar_status(&j, &srv, "POST", "/account/phone/confirm", form), 409);
    assert_int_equal(egov_account_contacts(db, row.principal_id, &ct), EGOV_DB_ONE_ROW);
    assert_string_equal(ct.phone, "+886912345600");

    /* five wrong codes use a code up */
    snprintf(form, sizeof form, "csrf_token=%s&phone=%%2B886912345611", tok);
    assert_int_equal(jar_status(&j, &srv, "POST", "/account/phone", form), 200);
    run_jobs();
    assert_true(last_code("+886912345611", code));
    snprintf(wrong, sizeof wrong, "%06u", (unsigned int)(atoi(code) + 1) % 1000000u);
    snprintf(form, sizeof form, "csrf_token=%s&code=%s", tok, wrong);
    for (int i = 0; i < ACCOUNT_OTP_MAX_TRIES; i++)
        assert_int_equal(jar_status(&j, &srv, "POST", "/account/phone/confirm", form), 400);
    snprintf(form, sizeof form, "csrf_token=%s&code=%s", tok, code);
    assert_int_equal(jar_req(&j, &srv, "POST", "/account/phone/confirm", form, &r), 400);
    assert_non_null(strstr(r.body, "expired"));
    egov_test_response_free(&r);
    assert_int_equal(egov_account_contacts(db, row.principal_id, &ct), EGOV_DB_ONE_ROW);
    assert_string_equal(ct.phone, "+886912345600");
    assert_true(exec_count(&st_t_throttle_clear, NULL) >= 0);
}

static void test_login_pages(void **state)
{
    (void)state;
    char id[37], loc[512], tok[64], form[512];
    struct jar j = {0};
    struct egov_test_response r;
    struct egov_account_new in = {"A123456789", "<script>alert(1)</script> 𠀀", "a@example.tw", PW,
                                  true};
    assert_int_equal(egov_account_add(db, &in, NULL, id, NULL), EGOV_EC_NONE);

    /* no CSRF token: refused, nothing happens */
    assert_int_equal(jar_status(&j, &srv, "POST", "/login",
                                "login=A123456789&password=correct+horse+battery+staple"),
                     403);
    assert_null(jar_get(&j, EGOV_ACCOUNT_COOKIE));
    /* a token of another browser: refused */
    assert_true(jar_csrf(&j, &srv, "/login", tok));
    struct jar other = {0};
    snprintf(form, sizeof form, "csrf_token=%s&login=A123456789&password=x", tok);
    assert_int_equal(jar_status(&other, &srv, "POST", "/login", form), 403);

    assert_int_equal(login(&j, "A123456789", "wrong", "/account", loc, sizeof loc), 401);
    assert_int_equal(login(&j, "a123456789", PW, "/account", loc, sizeof loc), 303);
    assert_string_equal(loc, "/account");
    assert_non_null(jar_get(&j, EGOV_ACCOUNT_COOKIE));

    /* the session as JSON */
    const char *hdr[] = {NULL, NULL};
    char cookie[400];
    snprintf(cookie, sizeof cookie, "Cookie: %s=%s", EGOV_ACCOUNT_COOKIE,
             jar_get(&j, EGOV_ACCOUNT_COOKIE));
    hdr[0] = cookie;
    assert_true(egov_test_http(&srv, "GET", "/api/account/session", hdr, NULL, 0, &r));
    assert_int_equal(r.status, 200);
    json_t *s = json_loads(r.body, 0, NULL);
    assert_non_null(s);
    assert_string_equal(json_string_value(json_object_get(s, "acr")), EGOV_ACCOUNT_ACR_LOW);
    assert_string_equal(json_string_value(json_array_get(json_object_get(s, "amr"), 0)), "pwd");
    json_decref(s);
    egov_test_response_free(&r);

    /* the account page escapes the name */
    assert_int_equal(jar_req(&j, &srv, "GET", "/account", NULL, &r), 200);
    assert_null(strstr(r.body, "<script>alert"));
    assert_non_null(strstr(r.body, "&lt;script&gt;alert(1)&lt;/script&gt; 𠀀"));
    assert_non_null(strstr(r.body, "activity-title"));
    assert_non_null(strstr(r.body, "127.0.0.1"));
    egov_test_response_free(&r);

    /* no open redirect */
    assert_int_equal(login(&j, "A123456789", PW, "//evil.example/x", loc, sizeof loc), 303);
    assert_string_equal(loc, "/");
    assert_int_equal(login(&j, "A123456789", PW, "https://evil.example/", loc, sizeof loc), 303);
    assert_string_equal(loc, "/");

    /* a page that needs a session sends a stranger to the login page */
    struct jar stranger = {0};
    assert_int_equal(jar_req(&stranger, &srv, "GET", "/account?x=1", NULL, &r), 303);
    assert_true(egov_test_response_header(&r, "Location", loc, sizeof loc) != NULL);
    assert_string_equal(loc, "/login?return_to=/account%3Fx%3D1");
    egov_test_response_free(&r);

    /* logout needs the token; then the cookie is dead everywhere */
    char old_cookie[256];
    snprintf(old_cookie, sizeof old_cookie, "%s", jar_get(&j, EGOV_ACCOUNT_COOKIE));
    assert_int_equal(jar_status(&j, &srv, "POST", "/logout", "return_to=/"), 403);
    assert_true(jar_csrf(&j, &srv, "/logout", tok));
    snprintf(form, sizeof form, "csrf_token=%s&return_to=/", tok);
    assert_int_equal(jar_status(&j, &srv, "POST", "/logout", form), 303);
    jar_set(&stranger, EGOV_ACCOUNT_COOKIE, old_cookie);
    assert_int_equal(jar_status(&stranger, &srv, "GET", "/account", NULL), 303);
    assert_true(count_rows("session.logout") >= 1);
}

static void test_register_totp_reset(void **state)
{
    (void)state;
    char tok[64], form[1024], loc[512], link[512], secret[64], at_rest[160];
    struct jar j = {0};
    struct egov_test_response r;
    const char *nid = "F231234561";
    assert_true(account_national_id_valid(nid));

    assert_true(jar_csrf(&j, &srv, "/register", tok));
    snprintf(
        form, sizeof form,
        "csrf_token=%s&national_id=%s&name=%%E6%%9E%%97%%22%%3E%%3Cb%%3E&email=Lin%%40Example.TW"
        "&password=password",
        tok, nid);
    assert_int_equal(jar_req(&j, &srv, "POST", "/register", form, &r), 400); /* common password */
    assert_null(strstr(r.body, "\"><b>"));
    egov_test_response_free(&r);
    snprintf(
        form, sizeof form,
        "csrf_token=%s&national_id=%s&name=%%E6%%9E%%97%%22%%3E%%3Cb%%3E&email=Lin%%40Example.TW"
        "&password=correct+horse+battery+staple",
        tok, nid);
    assert_int_equal(jar_status(&j, &srv, "POST", "/register", form), 201);
    /* pending: cannot log in yet */
    assert_int_equal(login(&j, nid, PW, "/", loc, sizeof loc), 403);
    run_jobs();
    assert_int_equal(jar_req(&j, &srv, "GET", "/dev/mailbox", NULL, &r), 200);
    char *p = strstr(r.body, "href=\"/register/verify?token=");
    assert_non_null(p);
    p += 6;
    size_t n = strcspn(p, "\"");
    memcpy(link, p, n);
    link[n] = '\0';
    assert_non_null(strstr(r.body, "lin@example.tw"));
    egov_test_response_free(&r);
    assert_true(jar_csrf(&j, &srv, link, tok));
    const char *t = strstr(link, "token=") + 6;
    snprintf(form, sizeof form, "csrf_token=%s&token=%s", tok, t);
    assert_int_equal(jar_status(&j, &srv, "POST", "/register/verify", form), 200);
    assert_int_equal(jar_status(&j, &srv, "POST", "/register/verify", form), 400); /* used */
    {
        /* the followed link verified the address, and the contact reader says so */
        char aid[37];
        struct account_row row;
        struct egov_account_contacts ct;
        assert_int_equal(egov_account_find_by_national_id(db, nid, aid), EGOV_DB_ONE_ROW);
        assert_int_equal(account_load_db(db, aid, &row), EGOV_DB_ONE_ROW);
        assert_int_equal(egov_account_contacts(db, row.principal_id, &ct), EGOV_DB_ONE_ROW);
        assert_string_equal(ct.email, "lin@example.tw");
        assert_true(ct.email_verified);
        assert_string_equal(ct.phone, "");
        assert_false(ct.phone_verified);
    }
    assert_int_equal(login(&j, "lin@example.tw", PW, "/account", loc, sizeof loc), 303);

    /* TOTP enrolment */
    assert_true(jar_csrf(&j, &srv, "/account", tok));
    snprintf(form, sizeof form, "csrf_token=%s", tok);
    assert_int_equal(jar_req(&j, &srv, "POST", "/account/totp/start", form, &r), 200);
    p = strstr(r.body, "data-secret=\"");
    assert_non_null(p);
    p += 13;
    n = strcspn(p, "\"");
    memcpy(secret, p, n);
    secret[n] = '\0';
    assert_non_null(strstr(r.body, "src=\"data:image/svg+xml;base64,"));
    egov_test_response_free(&r);
    uint8_t key[64];
    long keylen = account_base32_decode(secret, key, sizeof key);
    assert_int_equal(keylen, 20);
    unsigned int code;
    int64_t step = egov_now_us() / 1000000 / 30;
    assert_true(account_totp_code(key, 20, (uint64_t)step, &code));
    snprintf(form, sizeof form, "csrf_token=%s&code=%06u", tok, (code + 1) % 1000000);
    assert_int_equal(jar_status(&j, &srv, "POST", "/account/totp/confirm", form), 400);
    snprintf(form, sizeof form, "csrf_token=%s&code=%06u", tok, code);
    assert_int_equal(jar_req(&j, &srv, "POST", "/account/totp/confirm", form, &r), 200);
    char recovery[32];
    p = strstr(r.body, "<li><code>");
    assert_non_null(p);
    p += 10;
    n = strcspn(p, "<");
    assert_int_equal(n, 19);
    memcpy(recovery, p, n);
    recovery[n] = '\0';
    egov_test_response_free(&r);

    {
        static const struct egov_db_stmt st = {
            "t_totp_sealed", "SELECT totp_secret FROM account WHERE national_id = $1", NULL};
        struct egov_db_conn *c = egov_db_acquire(db, 5000);
        struct egov_db_rows *rows = NULL;
        struct egov_db_param p1[] = {EGOV_DB_PARAM_TEXT(nid), EGOV_DB_PARAM_END};
        assert_int_equal(egov_db_query(c, &st, p1, &rows), EGOV_DB_ONE_ROW);
        const char *stored = egov_db_rows_text(rows, 0, 0);
        assert_true(strncmp(stored, "v1:", 3) == 0); /* sealed at rest */
        assert_null(strstr(stored, secret));
        egov_db_rows_free(rows);
        egov_db_release(c);
    }

    /* a secret stored in clear (before sealing was the default) still works,
     * and is sealed at its next use */
    assert_int_equal(set_clear_secret(nid, secret), EGOV_DB_ONE_ROW);
    stored_secret(nid, at_rest, sizeof at_rest);
    assert_string_equal(at_rest, secret);

    /* password alone now leads to the second step */
    struct jar k = {0};
    assert_int_equal(login(&k, nid, PW, "/account", loc, sizeof loc), 303);
    assert_string_equal(loc, "/login/otp?return_to=/account");
    assert_null(jar_get(&k, EGOV_ACCOUNT_COOKIE));
    assert_true(jar_csrf(&k, &srv, loc, tok));
    /* the code just used is refused (replay) */
    snprintf(form, sizeof form, "csrf_token=%s&code=%06u&return_to=/account", tok, code);
    assert_int_equal(jar_status(&k, &srv, "POST", "/login/otp", form), 401);
    /* the next step's code is accepted (clock drift of one step) */
    assert_true(account_totp_code(key, 20, (uint64_t)step + 1, &code));
    snprintf(form, sizeof form, "csrf_token=%s&code=%06u&return_to=/account", tok, code);
    struct egov_test_response r2;
    assert_int_equal(jar_req(&k, &srv, "POST", "/login/otp", form, &r2), 303);
    assert_true(egov_test_response_header(&r2, "Location", loc, sizeof loc) != NULL);
    assert_string_equal(loc, "/account");
    egov_test_response_free(&r2);
    assert_non_null(jar_get(&k, EGOV_ACCOUNT_COOKIE));
    stored_secret(nid, at_rest, sizeof at_rest);
    assert_true(strncmp(at_rest, "v1:", 3) == 0);
    assert_null(strstr(at_rest, secret));
    {
        /* ... or by the pass every node makes at start */
        char aid[37], opened[64];
        assert_int_equal(egov_account_find_by_national_id(db, nid, aid), EGOV_DB_ONE_ROW);
        assert_int_equal(set_clear_secret(nid, secret), EGOV_DB_ONE_ROW);
        assert_true(account_secret_seal_all(db) >= 1);
        stored_secret(nid, at_rest, sizeof at_rest);
        assert_true(account_secret_is_sealed(at_rest));
        assert_true(account_secret_open(at_rest, aid, opened, sizeof opened));
        assert_string_equal(opened, secret);
        assert_int_equal(account_secret_seal_all(db), 0);
    }
    assert_int_equal(jar_req(&k, &srv, "GET", "/api/account/session", NULL, &r), 200);
    assert_non_null(strstr(r.body, EGOV_ACCOUNT_ACR_SUBSTANTIAL));
    assert_non_null(strstr(r.body, "\"mfa\""));
    egov_test_response_free(&r);

    /* a recovery code works once */
    struct jar m = {0};
    assert_int_equal(login(&m, nid, PW, "/", loc, sizeof loc), 303);
    assert_true(jar_csrf(&m, &srv, loc, tok));
    snprintf(form, sizeof form, "csrf_token=%s&code=%s", tok, recovery);
    assert_int_equal(jar_status(&m, &srv, "POST", "/login/otp", form), 303);
    struct jar m2 = {0};
    assert_int_equal(login(&m2, nid, PW, "/", loc, sizeof loc), 303);
    assert_true(jar_csrf(&m2, &srv, loc, tok));
    snprintf(form, sizeof form, "csrf_token=%s&code=%s", tok, recovery);
    assert_int_equal(jar_status(&m2, &srv, "POST", "/login/otp", form), 401);
    /* brute force of the second step: after five tries the step is gone */
    for (int i = 0; i < ACCOUNT_OTP_MAX_TRIES - 1; i++) {
        snprintf(form, sizeof form, "csrf_token=%s&code=%06d", tok, i);
        assert_int_equal(jar_status(&m2, &srv, "POST", "/login/otp", form), 401);
    }
    snprintf(form, sizeof form, "csrf_token=%s&code=000009", tok);
    assert_int_equal(jar_status(&m2, &srv, "POST", "/login/otp", form), 400);
    assert_int_equal(jar_status(&m2, &srv, "POST", "/login/otp", form), 303); /* start again */
    assert_true(count_rows("login.otp_exhausted") == 1);
    /* five wrong codes in a row lock the account like wrong passwords */
    struct jar m3 = {0};
    assert_int_equal(login(&m3, nid, PW, "/", loc, sizeof loc), 429);

    /* the list of sessions, and revoking one from another */
    assert_int_equal(jar_req(&j, &srv, "GET", "/account", NULL, &r), 200);
    assert_non_null(strstr(r.body, "Two-step verification is on") != NULL
                        ? r.body
                        : strstr(r.body, "兩步驟驗證已開啟"));
    egov_test_response_free(&r);
    assert_int_equal(jar_req(&k, &srv, "GET", "/api/account/session", NULL, &r), 200);
    json_t *ks = json_loads(r.body, 0, NULL);
    egov_test_response_free(&r);
    assert_true(jar_csrf(&j, &srv, "/account", tok));
    snprintf(form, sizeof form, "csrf_token=%s&session_id=%s", tok,
             json_string_value(json_object_get(ks, "session_id")));
    json_decref(ks);
    assert_int_equal(jar_status(&j, &srv, "POST", "/account/sessions/revoke", form), 303);
    assert_int_equal(jar_status(&k, &srv, "GET", "/api/account/session", NULL), 401);
    assert_int_equal(jar_status(&j, &srv, "GET", "/api/account/session", NULL), 200);

    /* password reset by mail: every session ends */
    struct jar x = {0};
    assert_true(jar_csrf(&x, &srv, "/password/reset", tok));
    snprintf(form, sizeof form, "csrf_token=%s&login=lin%%40example.tw", tok);
    assert_int_equal(jar_status(&x, &srv, "POST", "/password/reset", form), 200);
    snprintf(form, sizeof form, "csrf_token=%s&login=nobody%%40example.tw", tok);
    assert_int_equal(jar_status(&x, &srv, "POST", "/password/reset", form), 200);
    run_jobs();
    assert_int_equal(jar_req(&x, &srv, "GET", "/dev/mailbox", NULL, &r), 200);
    p = strstr(r.body, "href=\"/password/reset/confirm?token=");
    assert_non_null(p);
    p += 6;
    n = strcspn(p, "\"");
    memcpy(link, p, n);
    link[n] = '\0';
    egov_test_response_free(&r);
    assert_true(jar_csrf(&x, &srv, link, tok));
    t = strstr(link, "token=") + 6;
    snprintf(form, sizeof form, "csrf_token=%s&token=%s&password=Lin+F231234561+rocks", tok, t);
    assert_int_equal(jar_status(&x, &srv, "POST", "/password/reset/confirm", form), 400);
    snprintf(form, sizeof form, "csrf_token=%s&token=%s&password=a+whole+new+passphrase", tok, t);
    assert_int_equal(jar_status(&x, &srv, "POST", "/password/reset/confirm", form), 200);
    assert_int_equal(jar_status(&x, &srv, "POST", "/password/reset/confirm", form), 400);
    assert_int_equal(jar_status(&j, &srv, "GET", "/api/account/session", NULL), 401);
    assert_int_equal(login(&x, nid, PW, "/", loc, sizeof loc), 401);
    assert_int_equal(login(&x, nid, "a+whole+new+passphrase", "/", loc, sizeof loc), 303);
    assert_true(count_rows("password.reset") == 1);
    assert_true(count_rows("totp.enable") == 1);
}

static void test_deactivate_and_throttle(void **state)
{
    (void)state;
    char id[37], tok[64], form[512], loc[256];
    struct jar j = {0};
    struct egov_account_new in = {"C100000007", "Closing Person", NULL, PW, true};
    if (!account_national_id_valid(in.national_id)) {
        static char nid[11] = "C10000000x";
        for (char d = '0'; d <= '9'; d++) {
            nid[9] = d;
            if (account_national_id_valid(nid))
                break;
        }
        in.national_id = nid;
    }
    assert_int_equal(egov_account_add(db, &in, NULL, id, NULL), EGOV_EC_NONE);
    assert_int_equal(login(&j, in.national_id, PW, "/", loc, sizeof loc), 303);
    assert_true(jar_csrf(&j, &srv, "/account", tok));
    snprintf(form, sizeof form, "csrf_token=%s&password=x&confirm=yes", tok);
    assert_int_equal(jar_status(&j, &srv, "POST", "/account/deactivate", form), 401);
    snprintf(form, sizeof form, "csrf_token=%s&password=correct+horse+battery+staple", tok);
    assert_int_equal(jar_status(&j, &srv, "POST", "/account/deactivate", form), 400);
    snprintf(form, sizeof form, "csrf_token=%s&password=correct+horse+battery+staple&confirm=yes",
             tok);
    assert_int_equal(jar_status(&j, &srv, "POST", "/account/deactivate", form), 200);
    assert_int_equal(jar_status(&j, &srv, "GET", "/api/account/session", NULL), 401);
    assert_int_equal(login(&j, in.national_id, PW, "/", loc, sizeof loc), 403);
    assert_int_equal(count_rows("account.deactivate"), 1);

    /* mail sending per address is limited: registration and reset requests */
    bool throttled = false;
    for (int i = 0; i < ACCOUNT_MAIL_MAX_PER_ADDR + 2 && !throttled; i++) {
        assert_true(jar_csrf(&j, &srv, "/password/reset", tok));
        snprintf(form, sizeof form, "csrf_token=%s&login=someone%%40example.tw", tok);
        long st = jar_status(&j, &srv, "POST", "/password/reset", form);
        assert_true(st == 200 || st == 429);
        throttled = st == 429;
    }
    assert_true(throttled);

    /* per-address throttling: many failures for unknown logins from one address */
    unsigned int retry = 0;
    char acct[37];
    enum egov_account_verdict v = EGOV_ACCOUNT_OK;
    for (int i = 0; i < ACCOUNT_ADDR_MAX_FAIL + 1; i++)
        v = egov_account_verify_password(db, "nobody@example.tw", "guess guess", "198.51.100.7",
                                         NULL, acct, NULL, &retry);
    assert_int_equal(v, EGOV_ACCOUNT_THROTTLED);
    assert_true(retry > 0);
    /* another address is not affected */
    assert_int_equal(egov_account_verify_password(db, "nobody@example.tw", "guess guess",
                                                  "198.51.100.8", NULL, acct, NULL, &retry),
                     EGOV_ACCOUNT_BAD_CREDENTIALS);
}

static void test_password_change(void **state)
{
    (void)state;
    char id[37], tok[64], form[512], loc[256];
    static char nid[11] = "G20000000x";
    for (char d = '0'; d <= '9'; d++) {
        nid[9] = d;
        if (account_national_id_valid(nid))
            break;
    }
    struct egov_account_new in = {nid, "Changing Person", NULL, PW, true};
    assert_int_equal(egov_account_add(db, &in, NULL, id, NULL), EGOV_EC_NONE);
    struct jar j = {0}, k = {0};
    assert_int_equal(login(&j, nid, PW, "/", loc, sizeof loc), 303);
    assert_int_equal(login(&k, nid, PW, "/", loc, sizeof loc), 303);
    assert_true(jar_csrf(&j, &srv, "/account", tok));
    snprintf(form, sizeof form, "csrf_token=%s&password=wrong+one&new_password=fresh+new+words",
             tok);
    assert_int_equal(jar_status(&j, &srv, "POST", "/account/password", form), 401);
    snprintf(form, sizeof form,
             "csrf_token=%s&password=correct+horse+battery+staple&new_password=12345678", tok);
    assert_int_equal(jar_status(&j, &srv, "POST", "/account/password", form), 400);
    snprintf(form, sizeof form,
             "csrf_token=%s&password=correct+horse+battery+staple&new_password=fresh+new+words",
             tok);
    assert_int_equal(jar_status(&j, &srv, "POST", "/account/password", form), 303);
    assert_int_equal(jar_status(&j, &srv, "GET", "/api/account/session", NULL), 200);
    assert_int_equal(jar_status(&k, &srv, "GET", "/api/account/session", NULL), 401);
    assert_int_equal(login(&k, nid, PW, "/", loc, sizeof loc), 401);
    assert_int_equal(login(&k, nid, "fresh+new+words", "/", loc, sizeof loc), 303);
    assert_int_equal(count_rows("password.change"), 1);
}

/* Every form of the module refuses a post without its CSRF token, and
 * garbage in the fields, and changes nothing. */
static void test_forms_refuse_forgery(void **state)
{
    (void)state;
    static const struct egov_db_stmt st = {
        "t_change_count",
        "SELECT (SELECT COUNT(*) FROM account_audit) + (SELECT COUNT(*) FROM account)"
        " + (SELECT COUNT(*) FROM authz_role) + (SELECT COUNT(*) FROM account_session"
        " WHERE revoked_at IS NULL)",
        NULL};
    char id[37], loc[256];
    struct jar j = {0};
    struct egov_account_new in = {"E100000000", "Forged Forms", NULL, PW, true};
    static char nid[11] = "E10000000x";
    for (char d = '0'; d <= '9'; d++) {
        nid[9] = d;
        if (account_national_id_valid(nid))
            break;
    }
    in.national_id = nid;
    assert_int_equal(egov_account_add(db, &in, NULL, id, NULL), EGOV_EC_NONE);
    assert_int_equal(login(&j, nid, PW, "/", loc, sizeof loc), 303);

    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    struct egov_db_rows *r = NULL;
    struct egov_db_param none[] = {EGOV_DB_PARAM_END};
    assert_int_equal(egov_db_query(c, &st, none, &r), EGOV_DB_ONE_ROW);
    int64_t before = egov_db_rows_int64(r, 0, 0);
    egov_db_rows_free(r);

    static const char *const bodies[] = {
        "session_id=x&password=correct+horse+battery+staple&confirm=yes&agency=*&name=evil",
        "csrf_token=&login=A123456789&password=x",
        "csrf_token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&code=123456",
        "csrf_token=%3Cscript%3E&name=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "csrf_token=x%00y&login=%00",
        "",
    };
    unsigned int forms = 0;
    for (const struct egov_route *rt = account_routes.routes; rt->pattern != NULL; rt++) {
        if (rt->methods != EGOV_M_POST)
            continue;
        forms++;
        for (size_t b = 0; b < sizeof bodies / sizeof bodies[0]; b++) {
            long st_code = jar_status(&j, &srv, "POST", rt->pattern, bodies[b]);
            if (st_code != 403 && st_code != 400)
                fprintf(stderr, "%s with body %zu answered %ld\n", rt->pattern, b, st_code);
            assert_true(st_code == 403 || st_code == 400);
        }
    }
    assert_true(forms >= 15);
    r = NULL;
    assert_int_equal(egov_db_query(c, &st, none, &r), EGOV_DB_ONE_ROW);
    assert_int_equal(egov_db_rows_int64(r, 0, 0), before);
    egov_db_rows_free(r);
    egov_db_release(c);
    /* the session still works: nothing was revoked or deactivated */
    assert_int_equal(jar_status(&j, &srv, "GET", "/api/account/session", NULL), 200);
}

static void test_cleanup(void **state)
{
    (void)state;
    static const struct egov_db_stmt st = {"t_session_count",
                                           "SELECT COUNT(*) FROM account_session", NULL};
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    struct egov_db_rows *r = NULL;
    struct egov_db_param none[] = {EGOV_DB_PARAM_END};
    assert_int_equal(egov_db_query(c, &st, none, &r), EGOV_DB_ONE_ROW);
    int64_t before = egov_db_rows_int64(r, 0, 0);
    egov_db_rows_free(r);
    egov_db_release(c);
    assert_true(before > 0);
    /* nothing is due now: live sessions stay */
    assert_int_equal(account_cleanup_run(db, egov_now_us()) >= 0, 1);
    /* three days on, every session has ended more than a day ago */
    assert_true(account_cleanup_run(db, egov_now_us() + 3LL * 86400 * 1000000) >= before);
    c = egov_db_acquire(db, 5000);
    r = NULL;
    assert_int_equal(egov_db_query(c, &st, none, &r), EGOV_DB_ONE_ROW);
    assert_int_equal(egov_db_rows_int64(r, 0, 0), 0);
    egov_db_rows_free(r);
    egov_db_release(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_and_verify),
        cmocka_unit_test(test_contacts),
        cmocka_unit_test(test_register_existing),
        cmocka_unit_test(test_phone_verification),
        cmocka_unit_test(test_login_pages),
        cmocka_unit_test(test_register_totp_reset),
        cmocka_unit_test(test_deactivate_and_throttle),
        cmocka_unit_test(test_password_change),
        cmocka_unit_test(test_forms_refuse_forgery),
        cmocka_unit_test(test_cleanup),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
