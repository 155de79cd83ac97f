/*
 * test_serve_process.c -- a real `egov serve` child on loopback: it
 * reports its port, answers /healthz, /readyz and /metrics with the
 * security headers, and exits 0 on SIGTERM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

static void test_serve_lifecycle(void **state)
{
    struct egov_test_server srv;
    struct egov_test_response r;
    char url[600], buf[256];
    const char *tmp = getenv("EGOV_TEST_TMP");
    if (getenv("EGOV_BIN") == NULL)
        skip();
    mkdir(tmp ? tmp : "/tmp", 0700);
    snprintf(url, sizeof url, "sqlite:%s/serve-%ld.db", tmp ? tmp : "/tmp", (long)getpid());

    assert_true(egov_test_server_start(url, NULL, &srv));
    assert_true(srv.port > 0);

    assert_true(egov_test_http(&srv, "GET", "/readyz", NULL, NULL, 0, &r));
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"db\":\"sqlite\""));
    assert_non_null(egov_test_response_header(&r, "Content-Security-Policy", buf, sizeof buf));
    egov_test_response_free(&r);

    assert_true(egov_test_http(&srv, "GET", "/metrics", NULL, NULL, 0, &r));
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "egov_http_requests_total{route=\"/readyz\""));
    egov_test_response_free(&r);

    assert_true(egov_test_http(&srv, "GET", "/definitely/not/here", NULL, NULL, 0, &r));
    assert_int_equal(r.status, 404);
    egov_test_response_free(&r);

    assert_true(egov_test_server_stop(&srv));
    snprintf(url, sizeof url, "%s/serve-%ld.db", tmp ? tmp : "/tmp", (long)getpid());
    unlink(url);
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serve_lifecycle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
