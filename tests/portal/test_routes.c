/*
 * test_routes.c -- the portal's routes on an in-process server: the same
 * object as JSON for API clients and as a page for browsers, languages,
 * and bad search input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "build_info.h"
#include "portal/portal.h"
#include "testlib.h"

static struct egov_test_server srv;

static int setup_all(void **state)
{
    static const struct egov_route_table *const tables[] = {&egov_portal_routes,
                                                            &egov_http_core_routes, NULL};
    const char *localedir = getenv("EGOV_LOCALEDIR");
    egov_i18n_load(localedir != NULL ? localedir : EGOV_BUILD_LOCALEDIR);
    return egov_test_inproc_start(tables, NULL, &srv) ? 0 : -1;
}

static int teardown_all(void **state)
{
    egov_test_inproc_stop(&srv, 1000);
    egov_i18n_load(NULL);
    return 0;
}

static void get(const char *path, const char *accept, const char *accept_language,
                struct egov_test_response *r)
{
    char h1[128], h2[128];
    const char *headers[3] = {h1, NULL, NULL};
    snprintf(h1, sizeof(h1), "Accept: %s", accept);
    if (accept_language != NULL) {
        snprintf(h2, sizeof(h2), "Accept-Language: %s", accept_language);
        headers[1] = h2;
    }
    assert_true(egov_test_http(&srv, "GET", path, headers, NULL, 0, r));
}

static void test_api_clients_get_json(void **state)
{
    struct egov_test_response r;
    char ct[128];
    json_t *j;

    get("/", "application/json", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(egov_test_response_header(&r, "Content-Type", ct, sizeof(ct)));
    assert_non_null(strstr(ct, "application/json"));
    j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    assert_true(json_array_size(json_object_get(j, "services")) >= 10);
    assert_int_equal(json_array_size(json_object_get(j, "audiences")), 3);
    json_decref(j);
    egov_test_response_free(&r);

    get("/?q=tax&audience=business", "application/json", NULL, &r);
    assert_int_equal(r.status, 200);
    j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "query")), "tax");
    assert_string_equal(json_string_value(json_object_get(j, "audience")), "business");
    assert_true(json_integer_value(json_object_get(j, "count")) >= 1);
    assert_true(json_integer_value(json_object_get(j, "count")) <
                json_integer_value(json_object_get(j, "total")));
    json_decref(j);
    egov_test_response_free(&r);
}

static void test_browsers_get_the_page(void **state)
{
    struct egov_test_response r;
    char ct[128], cookie[256];

    get("/", "text/html", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(egov_test_response_header(&r, "Content-Type", ct, sizeof(ct)));
    assert_non_null(strstr(ct, "text/html"));
    assert_non_null(strstr(r.body, "<html lang=\"zh-Hant-TW\">"));
    assert_non_null(strstr(r.body, "政府服務單一窗口"));
    assert_null(strstr(r.body, "style="));
    assert_null(strstr(r.body, "<script"));
    egov_test_response_free(&r);

    get("/", "text/html", "en-GB,en;q=0.9", &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "<html lang=\"en\">"));
    egov_test_response_free(&r);

    get("/?lang=en", "text/html", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "<html lang=\"en\">"));
    assert_non_null(strstr(r.body, "href=\"/?lang=zh-TW\""));
    assert_non_null(egov_test_response_header(&r, "Set-Cookie", cookie, sizeof(cookie)));
    assert_non_null(strstr(cookie, "lang=en"));
    egov_test_response_free(&r);
}

static void test_bad_search_text_is_refused(void **state)
{
    struct egov_test_response r;
    char path[400];
    json_t *j;

    strcpy(path, "/?q=");
    memset(path + 4, 'a', 250);
    path[254] = '\0';
    get(path, "application/json", NULL, &r);
    assert_int_equal(r.status, 400);
    j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "field")), "q");
    json_decref(j);
    egov_test_response_free(&r);

    get("/?q=%ff%fe", "text/html", NULL, &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "搜尋文字過長"));
    egov_test_response_free(&r);
}

static void test_other_methods(void **state)
{
    struct egov_test_response r;
    assert_true(egov_test_http(&srv, "POST", "/", NULL, "x", 1, &r));
    assert_int_equal(r.status, 405);
    egov_test_response_free(&r);
    assert_true(egov_test_http(&srv, "HEAD", "/", NULL, NULL, 0, &r));
    assert_int_equal(r.status, 200);
    egov_test_response_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_clients_get_json),
        cmocka_unit_test(test_browsers_get_the_page),
        cmocka_unit_test(test_bad_search_text_is_refused),
        cmocka_unit_test(test_other_methods),
    };
    return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
