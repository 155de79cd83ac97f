/*
 * test_spawn.c -- back offices as child processes of another program
 * (egov_backoffice_spawn, as `egov demo` uses it): start, answer, stop on
 * SIGTERM with exit status 0, die on SIGKILL, and clear failures.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backoffice/backoffice.h"
#include "testlib.h"

static char dir[512];

static void test_spawn_and_stop(void **state)
{
    (void)state;
    const char *bin = getenv("EGOV_BIN");
    char db[600], err[512] = "";
    if (bin == NULL) {
        skip();
        return;
    }
    snprintf(db, sizeof(db), "sqlite:%s/land.db", dir);
    struct egov_backoffice_options o = {
        .agency = EGOV_BO_LAND, .db_url = db, .seed = 3, .people = 200, .vardir = dir};
    struct egov_backoffice_child c;
    assert_true(egov_backoffice_spawn(bin, &o, 30000, &c, err, sizeof(err)));
    assert_true(c.pid > 0);
    assert_true(c.port > 0);
    assert_int_equal(c.agency, EGOV_BO_LAND);
    struct egov_test_server srv = {.pid = 0, .out_fd = -1, .port = c.port};
    snprintf(srv.base_url, sizeof(srv.base_url), "%s", c.url);
    struct egov_test_response r;
    assert_true(egov_test_http(&srv, "GET", "/healthz", NULL, NULL, 0, &r));
    assert_int_equal(r.status, 200);
    egov_test_response_free(&r);
    assert_true(egov_test_http(&srv, "GET", "/openapi.json", NULL, NULL, 0, &r));
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "/parcels/{section}/{number}"));
    egov_test_response_free(&r);
    assert_true(egov_backoffice_child_stop(&c, SIGTERM));
    assert_int_equal(c.pid, 0);
    assert_false(egov_backoffice_child_stop(&c, SIGTERM)); /* not running any more */

    /* again on the same database (no second generation), then killed */
    assert_true(egov_backoffice_spawn(bin, &o, 30000, &c, err, sizeof(err)));
    assert_true(egov_backoffice_child_stop(&c, SIGKILL));
}

static void test_spawn_failures(void **state)
{
    (void)state;
    const char *bin = getenv("EGOV_BIN");
    char err[512] = "";
    struct egov_backoffice_child c;
    if (bin == NULL) {
        skip();
        return;
    }
    struct egov_backoffice_options o = {
        .agency = EGOV_BO_BUSINESS,
        .db_url = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1"};
    assert_false(egov_backoffice_spawn(bin, &o, 20000, &c, err, sizeof(err)));
    assert_non_null(strstr(err, "exited before it listened"));
    assert_int_equal(c.pid, 0);
    assert_false(egov_backoffice_spawn("/nonexistent/egov", &o, 5000, &c, err, sizeof(err)));
    o.db_url = NULL;
    assert_false(egov_backoffice_spawn(bin, &o, 5000, &c, err, sizeof(err)));
}

static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("EGOV_TEST_TMP");
    snprintf(dir, sizeof(dir), "%s/spawn-%ld", tmp != NULL ? tmp : "/tmp", (long)getpid());
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spawn_and_stop),
        cmocka_unit_test(test_spawn_failures),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
