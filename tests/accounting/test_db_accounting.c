/*
 * test_db_accounting.c -- usage records, daily aggregates by the job, the
 * usage query, the guard of the API and the SVG chart, on SQLite and
 * PostgreSQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounting/accounting_int.h"
#include "testlib.h"

static struct egov_db *db;
static struct egov_test_server srv;
static int guard_calls;

static bool test_guard(struct egov_req *req, const char *agency)
{
    guard_calls++;
    if (egov_req_header(req, "X-Test-Allow") == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_FORBIDDEN, NULL, NULL);
        return false;
    }
    (void)agency;
    return true;
}

static int setup(void **state)
{
    (void)state;
    char err[256];
    db = egov_test_db_open();
    if (db == NULL)
        return -1;
    egov_db_register_migrations(egov_accounting_module.migrations);
    if (egov_db_migrate(db, NULL, NULL, err, sizeof err) < 0)
        return -1;
    struct egov_server_options o;
    memset(&o, 0, sizeof o);
    o.threads = 2;
    o.db = db;
    o.datadir = getenv("EGOV_DATADIR");
    const struct egov_route_table *tables[] = {egov_accounting_module.routes, NULL};
    return egov_test_inproc_start(tables, &o, &srv) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    egov_test_inproc_stop(&srv, 1000);
    egov_db_close(db);
    return 0;
}

static void test_record_aggregate_query(void **state)
{
    (void)state;
    char today[11];
    accounting_day_of(egov_now_us(), today);
    assert_int_equal(egov_accounting_record_db(db, "login", "p1", "A01", "account", 1), 1);
    assert_int_equal(egov_accounting_record_db(db, "login", "p1", "A01", "account", 1), 1);
    assert_int_equal(egov_accounting_record_db(db, "login", "p2", "A01", "account", 1), 1);
    assert_int_equal(egov_accounting_record_db(db, "call", "sys", "A02", "svc", 40), 1);
    assert_true(egov_accounting_record_db(db, "Bad Kind", "p", NULL, NULL, 1) < 0);
    assert_true(egov_accounting_record_db(db, "login", "p", NULL, NULL, 0) < 0);

    /* today's figures come from the raw rows before any aggregation */
    enum egov_ec ec;
    json_t *u = egov_accounting_usage(db, today, today, NULL, NULL, NULL, &ec);
    assert_non_null(u);
    assert_int_equal(json_integer_value(json_object_get(u, "total")), 43);
    json_decref(u);
    u = egov_accounting_usage(db, today, today, "login", "A01", NULL, &ec);
    assert_non_null(u);
    assert_int_equal(json_integer_value(json_object_get(u, "total")), 3);
    json_t *row = json_array_get(json_object_get(u, "rows"), 0);
    assert_int_equal(json_integer_value(json_object_get(row, "principals")), 2);
    json_decref(u);

    /* the job aggregates (idempotently) and schedules its next run */
    assert_true(accounting_schedule(db, 0));
    assert_true(accounting_schedule(db, 0)); /* no second pending job */
    assert_true(egov_jobs_register(EGOV_ACCOUNTING_QUEUE, accounting_aggregate_job, NULL));
    assert_int_equal(egov_jobs_run_one(db, "t", 10000, 3), 1);
    assert_int_equal(egov_jobs_run_one(db, "t", 10000, 3), 0); /* next one is an hour away */
    assert_int_equal(egov_accounting_aggregate_day(db, today), 2);
    assert_int_equal(egov_accounting_aggregate_day(db, today), 2);
    assert_int_equal(egov_accounting_aggregate_day(db, "2026-02-30"), -1);

    /* a range with past days: zero-filled, one bar per day */
    int64_t ed;
    assert_true(accounting_parse_day(today, &ed));
    char from[11];
    accounting_day_of((ed - 6) * 86400LL * 1000000LL, from);
    u = egov_accounting_usage(db, from, today, NULL, NULL, NULL, &ec);
    assert_non_null(u);
    assert_int_equal(json_array_size(json_object_get(u, "days")), 7);
    assert_int_equal(json_integer_value(
                         json_object_get(json_array_get(json_object_get(u, "days"), 6), "events")),
                     43);

    /* the chart: one bar per day, labels escaped, no script */
    struct egov_buf b;
    egov_buf_init(&b);
    egov_accounting_svg_chart(json_object_get(u, "days"), "<script>x</script>", &b);
    assert_false(b.oom);
    assert_null(strstr(b.data, "<script>"));
    assert_non_null(strstr(b.data, "&lt;script&gt;"));
    size_t bars = 0;
    for (const char *p = b.data; (p = strstr(p, "<rect ")) != NULL; p++)
        bars++;
    assert_int_equal(bars, 7);
    egov_buf_free(&b);
    json_decref(u);

    /* one principal's usage, from the raw records */
    u = egov_accounting_principal_usage(db, "p1", from, today, &ec);
    assert_non_null(u);
    assert_int_equal(json_integer_value(json_object_get(u, "total")), 2);
    assert_int_equal(json_array_size(json_object_get(u, "rows")), 1);
    json_decref(u);
    assert_null(egov_accounting_principal_usage(db, "", from, today, &ec));
    assert_int_equal(ec, EGOV_EC_GENERIC_PARAMETER_MALFORMED);
    /* raw records past the keeping period go; today's stay */
    assert_int_equal(accounting_purge(db, egov_now_us()), 0);
    assert_int_equal(
        accounting_purge(db, egov_now_us() + (ACCOUNTING_KEEP_DAYS + 1) * 86400LL * 1000000LL), 4);

    assert_null(egov_accounting_usage(db, today, from, NULL, NULL, NULL, &ec));
    assert_int_equal(ec, EGOV_EC_ACCOUNTING_RANGE_INVALID);
    assert_null(egov_accounting_usage(db, "2020-01-01", "2026-01-01", NULL, NULL, NULL, &ec));
    assert_int_equal(ec, EGOV_EC_ACCOUNTING_RANGE_INVALID);
}

static void test_api_guard(void **state)
{
    (void)state;
    struct egov_test_response r;
    for (int i = 0; i < 3; i++) /* the first test purged everything */
        assert_int_equal(egov_accounting_record_db(db, "login", "p1", "A01", "account", 1), 1);
    /* no guard registered: nobody may read */
    assert_true(egov_test_http(&srv, "GET", "/api/accounting/usage", NULL, NULL, 0, &r));
    assert_int_equal(r.status, 403);
    egov_test_response_free(&r);
    egov_accounting_set_guard(test_guard);
    assert_true(egov_test_http(&srv, "GET", "/api/accounting/usage", NULL, NULL, 0, &r));
    assert_int_equal(r.status, 403);
    egov_test_response_free(&r);
    const char *allow[] = {"X-Test-Allow: 1", NULL};
    assert_true(
        egov_test_http(&srv, "GET", "/api/accounting/usage?kind=login", allow, NULL, 0, &r));
    assert_int_equal(r.status, 200);
    json_t *j = json_loads(r.body, 0, NULL);
    assert_int_equal(json_array_size(json_object_get(j, "days")), 30);
    assert_int_equal(json_integer_value(json_object_get(j, "total")), 3);
    json_decref(j);
    egov_test_response_free(&r);
    assert_true(
        egov_test_http(&srv, "GET", "/api/accounting/usage?from=2026-13-01", allow, NULL, 0, &r));
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "\"from\""));
    egov_test_response_free(&r);
    const char *html[] = {"X-Test-Allow: 1", "Accept: text/html", NULL};
    assert_true(egov_test_http(&srv, "GET", "/accounting?agency=%3Cb%3E", html, NULL, 0, &r));
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "<svg class=\"chart\""));
    assert_null(strstr(r.body, "<b>"));
    egov_test_response_free(&r);
    assert_true(
        egov_test_http(&srv, "GET", "/api/accounting/principals/p1/usage", allow, NULL, 0, &r));
    assert_int_equal(r.status, 200);
    egov_test_response_free(&r);
    egov_accounting_set_guard(NULL);
    assert_true(guard_calls >= 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_aggregate_query),
        cmocka_unit_test(test_api_guard),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
