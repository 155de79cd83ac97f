/*
 * test_router.c -- the route matcher: literal and {param} segments,
 * prefixes, 404 / 405 with the allowed methods, OPTIONS, depth limit.
 */
#include <string.h>

#include "http/http_internal.h"
#include "testlib.h"

static void h_noop(struct egov_req *req)
{
    (void)req;
}

static const struct egov_route routes_a[] = {
    {EGOV_M_GET, "/", h_noop, 0, 0, "root"},
    {EGOV_M_GET | EGOV_M_POST, "/api/items", h_noop, 0, 0, NULL},
    {EGOV_M_GET, "/api/items/new", h_noop, 0, 0, NULL},
    {EGOV_M_GET | EGOV_M_DELETE, "/api/items/{id}", h_noop, 0, 0, NULL},
    {EGOV_M_PUT, "/api/items/{id}", h_noop, 0, 0, "item-put"},
    {EGOV_M_GET, "/api/items/{id}/parts/{part}", h_noop, 0, 0, NULL},
    EGOV_ROUTE_END,
};

static const struct egov_route routes_b[] = {
    {EGOV_M_GET, "/static/", h_noop, 0, EGOV_ROUTE_PREFIX, NULL},
    {EGOV_M_GET, "/static/special", h_noop, 0, 0, NULL},
    {EGOV_M_POST, "/docs", h_noop, 0, EGOV_ROUTE_PREFIX, NULL},
    EGOV_ROUTE_END,
};

static const struct egov_route_table table_a = {"a", routes_a};
static const struct egov_route_table table_b = {"b", routes_b};
static const struct egov_route_table *const tables[] = {&table_a, &table_b};

static enum egov_router_result match(const char *path, unsigned int m,
                                     struct egov_router_match *out)
{
    return egov_router_match(tables, 2, path, m, 8, out);
}

static void test_literal_and_params(void **state)
{
    struct egov_router_match m;
    assert_int_equal(match("/api/items", EGOV_M_GET, &m), EGOV_ROUTER_FOUND);
    assert_ptr_equal(m.route, &routes_a[1]);
    assert_int_equal(m.nparams, 0);

    assert_int_equal(match("/api/items/42", EGOV_M_GET, &m), EGOV_ROUTER_FOUND);
    assert_ptr_equal(m.route, &routes_a[3]);
    assert_int_equal(m.nparams, 1);
    assert_int_equal(m.param_name_lens[0], 2);
    assert_memory_equal(m.param_names[0], "id", 2);
    assert_int_equal(m.param_value_lens[0], 2);
    assert_memory_equal(m.param_values[0], "42", 2);

    /* the literal route listed first wins over the parameter */
    assert_int_equal(match("/api/items/new", EGOV_M_GET, &m), EGOV_ROUTER_FOUND);
    assert_ptr_equal(m.route, &routes_a[2]);

    /* a second route with the same pattern serves another method */
    assert_int_equal(match("/api/items/7", EGOV_M_PUT, &m), EGOV_ROUTER_FOUND);
    assert_ptr_equal(m.route, &routes_a[4]);

    assert_int_equal(match("/api/items/7/parts/wheel", EGOV_M_GET, &m), EGOV_ROUTER_FOUND);
    assert_int_equal(m.nparams, 2);
    assert_memory_equal(m.param_values[1], "wheel", 5);

    assert_int_equal(match("/", EGOV_M_GET, &m), EGOV_ROUTER_FOUND);
    assert_ptr_equal(m.route, &routes_a[0]);
    (void)state;
}

static void test_not_found(void **state)
{
    struct egov_router_match m;
    assert_int_equal(match("/api", EGOV_M_GET, &m), EGOV_ROUTER_NOT_FOUND);
    assert_int_equal(match("/api/items/", EGOV_M_GET, &m), EGOV_ROUTER_NOT_FOUND);
    assert_int_equal(match("/api/itemsx", EGOV_M_GET, &m), EGOV_ROUTER_NOT_FOUND);
    assert_int_equal(match("/api/items//parts/x", EGOV_M_GET, &m), EGOV_ROUTER_NOT_FOUND);
    assert_int_equal(match("/api/items/1/parts", EGOV_M_GET, &m), EGOV_ROUTER_NOT_FOUND);
    assert_int_equal(match("/staticx", EGOV_M_GET, &m), EGOV_ROUTER_NOT_FOUND);
    assert_int_equal(match("api/items", EGOV_M_GET, &m), EGOV_ROUTER_BAD_PATH);
    assert_null(m.route);
    (void)state;
}

static void test_method_not_allowed(void **state)
{
    struct egov_router_match m;
    char allow[128];
    assert_int_equal(match("/api/items/9", EGOV_M_POST, &m), EGOV_ROUTER_NOT_ALLOWED);
    assert_null(m.route);
    assert_int_equal(m.allowed, EGOV_M_GET | EGOV_M_HEAD | EGOV_M_DELETE | EGOV_M_PUT);
    egov_http_allow_header(m.allowed, allow, sizeof allow);
    assert_string_equal(allow, "GET, HEAD, PUT, DELETE, OPTIONS");

    /* GET implies HEAD */
    assert_int_equal(match("/api/items", EGOV_M_HEAD, &m), EGOV_ROUTER_FOUND);
    assert_ptr_equal(m.route, &routes_a[1]);
    assert_int_equal(match("/docs/a", EGOV_M_HEAD, &m), EGOV_ROUTER_NOT_ALLOWED);

    assert_int_equal(match("/api/items", EGOV_M_OPTIONS, &m), EGOV_ROUTER_OPTIONS);
    assert_int_equal(m.allowed, EGOV_M_GET | EGOV_M_HEAD | EGOV_M_POST);
    (void)state;
}

static void test_prefix(void **state)
{
    struct egov_router_match m;
    assert_int_equal(match("/static/css/site.css", EGOV_M_GET, &m), EGOV_ROUTER_FOUND);
    assert_ptr_equal(m.route, &routes_b[0]);
    assert_int_equal(match("/static", EGOV_M_GET, &m), EGOV_ROUTER_FOUND);
    /* an exact route beats a prefix route whatever the order */
    assert_int_equal(match("/static/special", EGOV_M_GET, &m), EGOV_ROUTER_FOUND);
    assert_ptr_equal(m.route, &routes_b[1]);
    assert_int_equal(match("/docs", EGOV_M_POST, &m), EGOV_ROUTER_FOUND);
    assert_int_equal(match("/docs/x/y", EGOV_M_POST, &m), EGOV_ROUTER_FOUND);
    assert_int_equal(match("/docsx", EGOV_M_POST, &m), EGOV_ROUTER_NOT_FOUND);
    (void)state;
}

static void test_depth_and_methods(void **state)
{
    struct egov_router_match m;
    assert_int_equal(match("/static/1/2/3/4/5/6/7", EGOV_M_GET, &m), EGOV_ROUTER_FOUND);
    assert_int_equal(match("/static/1/2/3/4/5/6/7/8", EGOV_M_GET, &m), EGOV_ROUTER_TOO_DEEP);
    assert_int_equal(egov_http_method_bit("GET"), EGOV_M_GET);
    assert_int_equal(egov_http_method_bit("PATCH"), EGOV_M_PATCH);
    assert_int_equal(egov_http_method_bit("get"), 0);
    assert_int_equal(egov_http_method_bit("BREW"), 0);
    (void)state;
}

static void test_negotiation(void **state)
{
    assert_int_equal(egov_http_negotiate_repr(NULL), EGOV_REPR_JSON);
    assert_int_equal(egov_http_negotiate_repr("*/*"), EGOV_REPR_JSON);
    assert_int_equal(egov_http_negotiate_repr("application/json"), EGOV_REPR_JSON);
    assert_int_equal(egov_http_negotiate_repr(
                         "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
                     EGOV_REPR_HTML);
    assert_int_equal(egov_http_negotiate_repr("text/html;q=0.5, application/json"),
                     EGOV_REPR_JSON);
    assert_int_equal(egov_http_negotiate_repr("text/html;q=0"), EGOV_REPR_JSON);
    assert_true(egov_http_accepts_gzip("gzip, deflate, br"));
    assert_true(egov_http_accepts_gzip("*"));
    assert_false(egov_http_accepts_gzip("gzip;q=0, br"));
    assert_false(egov_http_accepts_gzip("identity"));
    assert_false(egov_http_accepts_gzip(NULL));
    assert_true(egov_http_request_id_valid("abc-123"));
    assert_false(egov_http_request_id_valid(""));
    assert_false(egov_http_request_id_valid("has space"));
    assert_false(egov_http_request_id_valid("tab\tchar"));
    char long_id[130];
    memset(long_id, 'a', 129);
    long_id[129] = '\0';
    assert_false(egov_http_request_id_valid(long_id));
    long_id[128] = '\0';
    assert_true(egov_http_request_id_valid(long_id));
    assert_true(egov_http_content_type_is_json("application/json"));
    assert_true(egov_http_content_type_is_json("application/json; charset=UTF-8"));
    assert_true(egov_http_content_type_is_json("application/merge-patch+json"));
    assert_false(egov_http_content_type_is_json("application/json; charset=latin1"));
    assert_false(egov_http_content_type_is_json("text/plain"));
    assert_false(egov_http_content_type_is_json(NULL));
    assert_string_equal(egov_static_content_type("a/b.css"), "text/css; charset=utf-8");
    assert_string_equal(egov_static_content_type("x.SVG"), "image/svg+xml");
    assert_string_equal(egov_static_content_type("noext"), "application/octet-stream");
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal_and_params),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_method_not_allowed),
        cmocka_unit_test(test_prefix),
        cmocka_unit_test(test_depth_and_methods),
        cmocka_unit_test(test_negotiation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
