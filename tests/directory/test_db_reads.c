/*
 * test_db_reads.c -- the audit of reads of personal records, on the
 * backend chosen by EGOV_TEST_DB: a lookup, a search, staff lists and
 * memberships each write who read which record, when, with the request id
 * and the stated purpose; a read whose audit entry cannot be written fails
 * with 503 and shows nothing; the person sees the list at
 * /api/directory/me/reads and /me/reads with their session.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account/account.h"
#include "accounting/accounting.h"
#include "authz/authz.h"
#include "directory/directory.h"
#include "portal/portal.h"
#include "testlib.h"

#define CITIZEN  "A123456789"
#define CITIZEN2 "F131104093"

static struct egov_db *db;
static struct egov_test_server srv;
static char agency_id[37], account_id[37];

/* Test callers name themselves in headers (no sessions needed for staff). */
static int header_actor(struct egov_req *req, struct egov_oid_actor *out)
{
    const char *s = egov_req_header(req, "X-Test-Subject");
    const char *a = egov_req_header(req, "X-Test-Agency");

    if (s == NULL)
        return 0;
    memset(out, 0, sizeof(*out));
    (void)snprintf(out->subject, sizeof(out->subject), "%s", s);
    if (a != NULL)
        (void)snprintf(out->agency_id, sizeof(out->agency_id), "%s", a);
    out->platform_admin = egov_req_header(req, "X-Test-Platform") != NULL;
    return 1;
}

static int setup(void **state)
{
    static const struct egov_module *const mods[] = {&egov_accounting_module, &egov_oid_module,
                                                     &egov_directory_module, &egov_authz_module,
                                                     &egov_account_module};
    static const struct egov_route_table *tables[5];
    struct egov_server_options opt = {0};
    char err[256];

    (void)state;
    db = egov_test_db_open();
    if (db == NULL)
        return -1;
    egov_i18n_load(getenv("EGOV_LOCALEDIR"));
    for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++)
        egov_db_register_migrations(mods[i]->migrations);
    if (egov_db_migrate(db, NULL, NULL, err, sizeof(err)) < 0) {
        fprintf(stderr, "migrate: %s\n", err);
        return -1;
    }
    egov_oid_set_actor_resolver(header_actor);
    tables[0] = egov_directory_module.routes;
    tables[1] = &egov_portal_routes;
    tables[2] = &egov_test_session_routes;
    tables[3] = &egov_http_core_routes;
    opt.threads = 2;
    opt.db = db;
    opt.datadir = getenv("EGOV_DATADIR");
    return egov_test_inproc_start(tables, &opt, &srv) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    egov_test_inproc_stop(&srv, 1000);
    egov_oid_set_actor_resolver(NULL);
    egov_db_close(db);
    egov_i18n_load(NULL);
    return 0;
}

static long get(const char *path, const char *const *headers, struct egov_test_response *r)
{
    assert_true(egov_test_http(&srv, "GET", path, headers, NULL, 0, r));
    return r->status;
}

/* The reads recorded for the citizen and for principal @p subject. */
static json_t *reads(const char *id_number, const char *subject)
{
    json_t *list = NULL;
    assert_int_equal(egov_directory_reads_of(db, id_number, subject, 100, &list), EGOV_EC_NONE);
    return list;
}

static const struct egov_db_stmt st_count = {"t_reads_count", "SELECT COUNT(*) FROM dir_read",
                                             NULL};

static int64_t read_rows(void)
{
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    struct egov_db_rows *rows = NULL;
    struct egov_db_param none[] = {EGOV_DB_PARAM_END};
    int64_t n;

    assert_int_equal(egov_db_query(c, &st_count, none, &rows), EGOV_DB_ONE_ROW);
    n = egov_db_rows_int64(rows, 0, 0);
    egov_db_rows_free(rows);
    egov_db_release(c);
    return n;
}

static void test_data(void **state)
{
    static const struct egov_oid_actor platform = {"platform", "", true};
    struct egov_directory_agency a;
    struct egov_directory_person p;
    struct egov_account_new acct = {.national_id = CITIZEN,
                                    .name = "陳臺生",
                                    .password = "correct horse battery staple",
                                    .active = true};
    const char *field = NULL;
    char id[37];

    (void)state;
    memset(&a, 0, sizeof(a));
    strcpy(a.name, "讀取稽核測試局");
    strcpy(a.code, "A99000001R");
    assert_int_equal(egov_directory_agency_create(db, &platform, &a, agency_id), EGOV_EC_NONE);
    memset(&p, 0, sizeof(p));
    strcpy(p.id_number, CITIZEN);
    strcpy(p.name, "陳臺生");
    assert_int_equal(egov_directory_person_add(db, &p, id), EGOV_EC_NONE);
    strcpy(p.id_number, CITIZEN2);
    strcpy(p.name, "陳小芳");
    assert_int_equal(egov_directory_person_add(db, &p, id), EGOV_EC_NONE);
    assert_int_equal(egov_account_add(db, &acct, NULL, account_id, &field), EGOV_EC_NONE);
    /* the citizen is also staff of the agency, under its account's principal */
    assert_int_equal(egov_directory_staff_add(db, &platform, agency_id, NULL, "staff-principal-1",
                                              "陳臺生", "科員", id),
                     EGOV_EC_NONE);
    assert_int_equal(read_rows(), 0);
}

static void test_person_get(void **state)
{
    static const char *const admin_h[] = {"X-Test-Subject: officer-1", "X-Test-Platform: 1",
                                          "X-Request-Id: req-get-1", NULL};
    static const char *const admin_hdr_purpose[] = {"X-Test-Subject: officer-1",
                                                    "X-Test-Platform: 1",
                                                    "X-Purpose: household registration", NULL};
    static const char *const nobody_h[] = {"X-Test-Subject: nobody", NULL};
    struct egov_test_response r;
    json_t *list, *e;

    (void)state;
    /* not allowed: refused before anything is read, nothing recorded */
    assert_int_equal(get("/api/directory/persons/" CITIZEN, nobody_h, &r), 403);
    egov_test_response_free(&r);
    assert_int_equal(read_rows(), 0);
    /* a purpose as a query parameter, the request id from the header */
    assert_int_equal(get("/api/directory/persons/" CITIZEN "?purpose=tax%20case%2077", admin_h, &r),
                     200);
    assert_non_null(strstr(r.body, "陳臺生"));
    egov_test_response_free(&r);
    list = reads(CITIZEN, NULL);
    assert_int_equal(json_array_size(list), 1);
    e = json_array_get(list, 0);
    assert_string_equal(json_string_value(json_object_get(e, "reader")), "officer-1");
    assert_string_equal(json_string_value(json_object_get(e, "purpose")), "tax case 77");
    assert_string_equal(json_string_value(json_object_get(e, "request_id")), "req-get-1");
    assert_string_equal(json_string_value(json_object_get(e, "record")), "person");
    assert_string_equal(json_string_value(json_object_get(e, "via")), "get");
    assert_non_null(json_object_get(e, "at"));
    json_decref(list);
    /* a purpose in the X-Purpose header */
    assert_int_equal(get("/api/directory/persons/" CITIZEN, admin_hdr_purpose, &r), 200);
    egov_test_response_free(&r);
    list = reads(CITIZEN, NULL);
    assert_int_equal(json_array_size(list), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "purpose")),
                        "household registration");
    json_decref(list);
    /* a purpose with a control character: 400 naming it, nothing read or recorded */
    assert_int_equal(get("/api/directory/persons/" CITIZEN "?purpose=a%01b", admin_h, &r), 400);
    assert_non_null(strstr(r.body, "\"field\":\"purpose\""));
    assert_null(strstr(r.body, "陳臺生"));
    egov_test_response_free(&r);
    /* nobody of that number: 404, nothing recorded */
    assert_int_equal(get("/api/directory/persons/B120863158", admin_h, &r), 404);
    egov_test_response_free(&r);
    assert_int_equal(read_rows(), 2);
    /* the other person's list is empty */
    list = reads(CITIZEN2, NULL);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
}

static void test_search_and_staff(void **state)
{
    static const char *const admin_h[] = {"X-Test-Subject: officer-2", "X-Test-Platform: 1", NULL};
    static const char *const self_h[] = {"X-Test-Subject: staff-principal-1", NULL};
    char agency_h[80], path[160];
    const char *ah[3] = {"X-Test-Subject: agency-admin", agency_h, NULL};
    struct egov_test_response r;
    json_t *list;
    int64_t before;

    (void)state;
    /* a search returning two persons records one read of each, naming the query */
    assert_int_equal(get("/api/directory/principals?q=%E9%99%B3", admin_h, &r), 200);
    egov_test_response_free(&r);
    list = reads(CITIZEN2, NULL);
    assert_int_equal(json_array_size(list), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "via")),
                        "search");
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "query")), "陳");
    json_decref(list);
    list = reads(CITIZEN, NULL);
    assert_int_equal(json_array_size(list), 3);
    json_decref(list);
    /* the agency's administrator lists its staff: one read of the staff record */
    (void)snprintf(agency_h, sizeof(agency_h), "X-Test-Agency: %s", agency_id);
    (void)snprintf(path, sizeof(path), "/api/directory/agencies/%s/staff?purpose=audit", agency_id);
    assert_int_equal(get(path, ah, &r), 200);
    egov_test_response_free(&r);
    list = reads(NULL, "staff-principal-1");
    assert_int_equal(json_array_size(list), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "record")),
                        "staff");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(list, 0), "reader_agency_name")),
        "讀取稽核測試局");
    json_decref(list);
    /* one's own memberships are no read of somebody else's record */
    before = read_rows();
    assert_int_equal(get("/api/directory/staff-of/staff-principal-1", self_h, &r), 200);
    egov_test_response_free(&r);
    assert_int_equal(read_rows(), before);
    assert_int_equal(get("/api/directory/staff-of/staff-principal-1", admin_h, &r), 200);
    egov_test_response_free(&r);
    assert_int_equal(read_rows(), before + 1);
}

/* Makes every insert into dir_read fail (@p broken) or work again. */
static void break_audit(bool broken)
{
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    const char *sql;

    if (egov_test_db_is_pg())
        sql = broken ? "ALTER TABLE dir_read ADD CONSTRAINT t_broken CHECK (false) NOT VALID"
                     : "ALTER TABLE dir_read DROP CONSTRAINT t_broken";
    else
        sql = broken ? "CREATE TRIGGER t_broken BEFORE INSERT ON dir_read"
                       " BEGIN SELECT RAISE(ABORT, 'audit unavailable'); END"
                     : "DROP TRIGGER t_broken";
    assert_non_null(c);
    assert_true(egov_db_exec_script(c, sql) >= 0);
    egov_db_release(c);
}

static void test_audit_failure(void **state)
{
    static const char *const admin_h[] = {"X-Test-Subject: officer-3", "X-Test-Platform: 1", NULL};
    char agency_h[80], path[160];
    const char *ah[3] = {"X-Test-Subject: agency-admin", agency_h, NULL};
    struct egov_test_response r;
    int64_t before = read_rows();

    (void)state;
    break_audit(true);
    assert_int_equal(get("/api/directory/persons/" CITIZEN, admin_h, &r), 503);
    assert_non_null(strstr(r.body, "DIRECTORY_READ_AUDIT_FAILED"));
    assert_null(strstr(r.body, "陳臺生"));
    egov_test_response_free(&r);
    assert_int_equal(get("/api/directory/principals?q=%E9%99%B3", admin_h, &r), 503);
    assert_null(strstr(r.body, "陳小芳"));
    egov_test_response_free(&r);
    (void)snprintf(agency_h, sizeof(agency_h), "X-Test-Agency: %s", agency_id);
    (void)snprintf(path, sizeof(path), "/api/directory/agencies/%s/staff", agency_id);
    assert_int_equal(get(path, ah, &r), 503);
    assert_null(strstr(r.body, "staff-principal-1"));
    egov_test_response_free(&r);
    /* a search that finds no person records nothing and needs no audit */
    assert_int_equal(get("/api/directory/principals?q=zzzz", admin_h, &r), 200);
    egov_test_response_free(&r);
    break_audit(false);
    assert_int_equal(read_rows(), before);
    assert_int_equal(get("/api/directory/persons/" CITIZEN, admin_h, &r), 200);
    egov_test_response_free(&r);
    assert_int_equal(read_rows(), before + 1);
}

static void test_my_reads(void **state)
{
    static const char *const html_h[] = {"Accept: text/html", NULL};
    struct egov_test_response r;
    char cookie[600];
    const char *h[3] = {cookie, NULL, NULL};
    json_t *j;

    (void)state;
    assert_int_equal(get("/api/directory/me/reads", NULL, &r), 401);
    egov_test_response_free(&r);
    assert_int_equal(get("/me/reads", html_h, &r), 303); /* to the login page */
    egov_test_response_free(&r);
    assert_true(egov_test_sign_in(&srv, account_id, cookie, sizeof(cookie)));
    assert_int_equal(get("/api/directory/me/reads", h, &r), 200);
    j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    /* the person record's reads: two lookups, a search, one after the failure */
    assert_int_equal(json_integer_value(json_object_get(j, "count")), 4);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(j, "items"), 3), "purpose")),
                        "tax case 77");
    json_decref(j);
    egov_test_response_free(&r);
    assert_int_equal(get("/api/directory/me/reads?limit=2", h, &r), 200);
    assert_non_null(strstr(r.body, "\"count\":2"));
    egov_test_response_free(&r);
    assert_int_equal(get("/api/directory/me/reads?limit=0", h, &r), 400);
    assert_non_null(strstr(r.body, "\"field\":\"limit\""));
    egov_test_response_free(&r);
    /* the page, in Traditional Chinese, escaping what it shows */
    h[1] = "Accept: text/html";
    assert_int_equal(get("/me/reads?lang=zh-TW", h, &r), 200);
    assert_non_null(strstr(r.body, "誰查閱了我的資料"));
    assert_non_null(strstr(r.body, "tax case 77"));
    assert_non_null(strstr(r.body, "officer-1"));
    egov_test_response_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data),
        cmocka_unit_test(test_person_get),
        cmocka_unit_test(test_search_and_staff),
        cmocka_unit_test(test_audit_failure),
        cmocka_unit_test(test_my_reads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
