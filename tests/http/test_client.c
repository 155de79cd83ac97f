/*
 * test_client.c -- the outbound libcurl client against an in-process
 * server: retries on 503 for idempotent methods only, back-off, transport
 * errors, bodies and headers.
 */
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

static atomic_int get_calls;
static atomic_int post_calls;

static void h_flaky_get(struct egov_req *req)
{
    /* 503 for the first two calls, then 200 */
    if (atomic_fetch_add(&get_calls, 1) < 2) {
        egov_reply_problem(req, EGOV_EC_GENERIC_SHUTTING_DOWN, NULL, NULL);
        return;
    }
    egov_reply_json(req, 200, json_pack("{s:s, s:s?}", "ok", "yes", "hdr",
                                        egov_req_header(req, "X-Test")));
}

static void h_flaky_post(struct egov_req *req)
{
    atomic_fetch_add(&post_calls, 1);
    egov_reply_problem(req, EGOV_EC_GENERIC_SHUTTING_DOWN, NULL, NULL);
}

static void h_echo(struct egov_req *req)
{
    egov_reply_bytes(req, 200, "text/plain", req->body, req->body_len);
}

static const struct egov_route routes[] = {
    {EGOV_M_GET | EGOV_M_POST, "/flaky", h_flaky_get, 0, 0, NULL},
    {EGOV_M_POST, "/post", h_flaky_post, 0, 0, NULL},
    {EGOV_M_PUT, "/echo", h_echo, 0, 0, NULL},
    EGOV_ROUTE_END,
};
static const struct egov_route_table table = {"client-test", routes};

static int setup(void **state)
{
    static struct egov_test_server srv;
    const struct egov_route_table *const tables[] = {&table, NULL};
    if (!egov_test_inproc_start(tables, NULL, &srv))
        return -1;
    *state = &srv;
    return 0;
}

static int teardown(void **state)
{
    egov_test_inproc_stop(*state, 1000);
    return 0;
}

static void test_get_retries_on_503(void **state)
{
    struct egov_test_server *s = *state;
    struct egov_http_client_options o = {1000, 5000, 3, 20};
    struct egov_http_client *c = egov_http_client_create(&o);
    struct egov_http_response resp;
    char url[128], err[256];
    const char *hdrs[] = {"X-Test: hi", NULL};
    assert_non_null(c);
    snprintf(url, sizeof url, "%s/flaky", s->base_url);
    atomic_store(&get_calls, 0);
    int64_t t0 = egov_mono_us();
    assert_true(egov_http_client_request(c, "GET", url, hdrs, NULL, 0, &resp, err, sizeof err));
    int64_t took = egov_mono_us() - t0;
    assert_int_equal(resp.status, 200);
    assert_int_equal(resp.attempts, 3);
    assert_int_equal(atomic_load(&get_calls), 3);
    /* back-off 20 ms then 40 ms */
    assert_true(took >= 60000);
    assert_non_null(strstr(resp.body, "\"hdr\":\"hi\""));
    assert_string_equal(resp.content_type, "application/json");
    egov_http_response_free(&resp);

    /* not enough retries: the last 503 is returned as a response */
    struct egov_http_client_options o1 = {1000, 5000, 1, 10};
    struct egov_http_client *c1 = egov_http_client_create(&o1);
    atomic_store(&get_calls, 0);
    assert_true(egov_http_client_request(c1, "GET", url, NULL, NULL, 0, &resp, err, sizeof err));
    assert_int_equal(resp.status, 503);
    assert_int_equal(resp.attempts, 2);
    egov_http_response_free(&resp);
    egov_http_client_destroy(c1);
    egov_http_client_destroy(c);
}

static void test_post_never_retried(void **state)
{
    struct egov_test_server *s = *state;
    struct egov_http_client_options o = {1000, 5000, 3, 10};
    struct egov_http_client *c = egov_http_client_create(&o);
    struct egov_http_response resp;
    char url[128], err[256];
    snprintf(url, sizeof url, "%s/post", s->base_url);
    atomic_store(&post_calls, 0);
    assert_true(egov_http_client_request(c, "POST", url, NULL, "{}", 2, &resp, err, sizeof err));
    assert_int_equal(resp.status, 503);
    assert_int_equal(resp.attempts, 1);
    assert_int_equal(atomic_load(&post_calls), 1);
    egov_http_response_free(&resp);

    assert_true(egov_http_client_request(c, "PATCH", url, NULL, "{}", 2, &resp, err, sizeof err));
    assert_int_equal(resp.attempts, 1);
    egov_http_response_free(&resp);
    egov_http_client_destroy(c);
}

static void test_body_and_transport_error(void **state)
{
    struct egov_test_server *s = *state;
    struct egov_http_client *c = egov_http_client_create(NULL);
    struct egov_http_response resp;
    char url[128], err[256];
    snprintf(url, sizeof url, "%s/echo", s->base_url);
    assert_true(egov_http_client_request(c, "PUT", url, NULL, "a\0b", 3, &resp, err, sizeof err));
    assert_int_equal(resp.status, 200);
    assert_int_equal(resp.body_len, 3);
    assert_memory_equal(resp.body, "a\0b", 3);
    egov_http_response_free(&resp);

    /* a port nobody listens on: connection refused, retried, then false */
    int fd = egov_test_connect(s->port);
    assert_true(fd >= 0);
    close(fd);
    struct egov_http_client_options o = {500, 2000, 2, 10};
    struct egov_http_client *c2 = egov_http_client_create(&o);
    assert_false(egov_http_client_request(c2, "GET", "http://127.0.0.1:1/x", NULL, NULL, 0, &resp,
                                          err, sizeof err));
    assert_int_equal(resp.attempts, 3);
    assert_true(strlen(err) > 0);
    egov_http_response_free(&resp);
    egov_http_client_destroy(c2);
    egov_http_client_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_retries_on_503),
        cmocka_unit_test(test_post_never_retried),
        cmocka_unit_test(test_body_and_transport_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
