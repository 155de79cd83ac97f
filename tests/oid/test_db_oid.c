/*
 * test_db_oid.c -- the OID registry on SQLite and PostgreSQL: registering
 * child arcs (platform administrator anywhere, agency administrator only
 * under its own arc, nobody else), next free arc numbers, conflicts,
 * resolution with path, search by folded name, the authorizer hook, and
 * the HTTP API on an in-process server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oid/oid.h"
#include "testlib.h"

static struct egov_db *db;

static int setup(void **state)
{
    (void)state;
    db = egov_test_db_open();
    if (db == NULL)
        return -1;
    egov_i18n_load(getenv("EGOV_LOCALEDIR"));
    egov_db_register_migrations(egov_oid_module.migrations);
    char err[256];
    return egov_db_migrate(db, NULL, NULL, err, sizeof(err)) >= 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    egov_db_close(db);
    egov_i18n_load(NULL);
    return 0;
}

static const struct egov_oid_actor admin = {"admin", "", true};

static void test_roots(void **state)
{
    (void)state;
    struct egov_oid_entry e;
    assert_int_equal(egov_oid_get(db, EGOV_OID_GOV_ROOT, &e), EGOV_DB_ONE_ROW);
    assert_string_equal(e.parent, EGOV_OID_TW_ROOT);
    assert_int_equal(egov_oid_get(db, "2.16.887", &e), EGOV_DB_NO_ROW);
    json_t *roots = NULL;
    assert_int_equal(egov_oid_children(db, NULL, &roots), EGOV_EC_NONE);
    assert_int_equal(json_array_size(roots), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(roots, 0), "oid")),
                        EGOV_OID_TW_ROOT);
    json_decref(roots);
}

static void test_register(void **state)
{
    (void)state;
    char oid[EGOV_OID_TEXT_MAX + 1];
    /* an explicit arc, then two automatic ones */
    assert_int_equal(egov_oid_register(db, &admin, EGOV_OID_GOV_ROOT, "20003", "行政院", NULL,
                                       "0190f0a0-0000-7000-8000-000000000001", oid),
                     EGOV_EC_NONE);
    assert_string_equal(oid, "2.16.886.101.20003");
    assert_int_equal(egov_oid_register(db, &admin, "2.16.886.101.20003", "9", "內政部", "MOI",
                                       "0190f0a0-0000-7000-8000-000000000002", oid),
                     EGOV_EC_NONE);
    assert_int_equal(
        egov_oid_register(db, &admin, "2.16.886.101.20003", NULL, "臺灣省政府", NULL, NULL, oid),
        EGOV_EC_NONE);
    assert_string_equal(oid, "2.16.886.101.20003.10");
    assert_int_equal(
        egov_oid_register(db, &admin, "2.16.886.101.20003.9", NULL, "警政署", NULL, NULL, oid),
        EGOV_EC_NONE);
    assert_string_equal(oid, "2.16.886.101.20003.9.1");
    /* conflicts and bad input change nothing */
    assert_int_equal(
        egov_oid_register(db, &admin, "2.16.886.101.20003", "9", "again", NULL, NULL, oid),
        EGOV_EC_OID_EXISTS);
    assert_int_equal(
        egov_oid_register(db, &admin, "2.16.886.101.77", "1", "orphan", NULL, NULL, oid),
        EGOV_EC_OID_PARENT_NOT_FOUND);
    assert_int_equal(egov_oid_register(db, &admin, "2.16.886.101", "01", "x", NULL, NULL, oid),
                     EGOV_EC_OID_INVALID);
    assert_int_equal(egov_oid_register(db, &admin, "2.16.886.101", "5", "", NULL, NULL, oid),
                     EGOV_EC_OID_NAME_INVALID);
    assert_int_equal(egov_oid_register(db, &admin, "2.16.886.101", "5", "a\nb", NULL, NULL, oid),
                     EGOV_EC_OID_NAME_INVALID);
    assert_int_equal(egov_oid_register(db, &admin, "not an oid", "5", "x", NULL, NULL, oid),
                     EGOV_EC_OID_INVALID);
    struct egov_oid_entry e;
    assert_int_equal(egov_oid_get(db, "2.16.886.101.5", &e), EGOV_DB_NO_ROW);
}

static void test_agency_admin(void **state)
{
    (void)state;
    char oid[EGOV_OID_TEXT_MAX + 1];
    struct egov_oid_actor moi = {"officer", "0190f0a0-0000-7000-8000-000000000002", false};
    struct egov_oid_actor nobody = {"citizen", "", false};
    /* under its own arc, at any depth */
    assert_int_equal(
        egov_oid_register(db, &moi, "2.16.886.101.20003.9", "100", "資訊中心", NULL, NULL, oid),
        EGOV_EC_NONE);
    assert_int_equal(
        egov_oid_register(db, &moi, "2.16.886.101.20003.9.100", NULL, "系統", NULL, NULL, oid),
        EGOV_EC_NONE);
    /* not beside it, not above it */
    assert_int_equal(
        egov_oid_register(db, &moi, "2.16.886.101.20003.10", NULL, "x", NULL, NULL, oid),
        EGOV_EC_GENERIC_FORBIDDEN);
    assert_int_equal(egov_oid_register(db, &moi, "2.16.886.101.20003", NULL, "x", NULL, NULL, oid),
                     EGOV_EC_GENERIC_FORBIDDEN);
    assert_int_equal(
        egov_oid_register(db, &nobody, "2.16.886.101.20003.9", NULL, "x", NULL, NULL, oid),
        EGOV_EC_GENERIC_FORBIDDEN);
    assert_int_equal(
        egov_oid_register(db, NULL, "2.16.886.101.20003.9", NULL, "x", NULL, NULL, oid),
        EGOV_EC_GENERIC_UNAUTHORIZED);
}

static const char *denied_action;

static enum egov_ec deny_some(const struct egov_oid_actor *actor, const char *action,
                              const char *agency_id)
{
    (void)actor;
    (void)agency_id;
    return denied_action != NULL && strcmp(action, denied_action) == 0 ? EGOV_EC_GENERIC_FORBIDDEN
                                                                       : EGOV_EC_NONE;
}

static void test_authorizer_hook(void **state)
{
    (void)state;
    char oid[EGOV_OID_TEXT_MAX + 1];
    egov_oid_set_authorizer(deny_some);
    denied_action = "oid.register";
    assert_int_equal(egov_oid_register(db, &admin, "2.16.886.101", NULL, "x", NULL, NULL, oid),
                     EGOV_EC_GENERIC_FORBIDDEN);
    denied_action = NULL;
    assert_int_equal(egov_oid_register(db, &admin, "2.16.886.101", NULL, "x", NULL, NULL, oid),
                     EGOV_EC_NONE);
    egov_oid_set_authorizer(NULL);
}

static void test_resolve_and_search(void **state)
{
    (void)state;
    json_t *r = NULL;
    assert_int_equal(egov_oid_resolve(db, "2.16.886.101.20003.9.100.1", &r), EGOV_EC_NONE);
    assert_true(json_is_true(json_object_get(r, "exact")));
    json_t *path = json_object_get(r, "path");
    assert_int_equal(json_array_size(path), 6);
    assert_string_equal(json_string_value(json_object_get(json_array_get(path, 3), "name")),
                        "內政部");
    json_decref(r);
    /* an unregistered OID resolves to its nearest registered ancestor */
    assert_int_equal(egov_oid_resolve(db, "2.16.886.101.20003.9.55.66", &r), EGOV_EC_NONE);
    assert_false(json_is_true(json_object_get(r, "exact")));
    assert_string_equal(json_string_value(json_object_get(r, "oid")), "2.16.886.101.20003.9");
    assert_string_equal(json_string_value(json_object_get(r, "der")), "060860867665819c2309");
    json_decref(r);
    assert_int_equal(egov_oid_resolve(db, "1.2.3", &r), EGOV_EC_OID_NOT_FOUND);
    assert_int_equal(egov_oid_resolve(db, "1..2", &r), EGOV_EC_OID_INVALID);
    /* variant folding: 台 finds 臺 */
    assert_int_equal(egov_oid_search(db, "台灣省", 10, &r), EGOV_EC_NONE);
    assert_int_equal(json_array_size(r), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(r, 0), "name")),
                        "臺灣省政府");
    json_decref(r);
    assert_int_equal(egov_oid_search(db, "100%", 10, &r), EGOV_EC_NONE);
    assert_int_equal(json_array_size(r), 0);
    json_decref(r);
    assert_int_equal(egov_oid_search(db, " ", 10, &r), EGOV_EC_GENERIC_PARAMETER_MALFORMED);
}

static const char *fake_csrf_token(struct egov_req *req)
{
    (void)req;
    return "tok";
}

static bool fake_csrf_check(struct egov_req *req, const json_t *form)
{
    const char *t = egov_json_get_str(form, "csrf_token", "");
    if (strcmp(t, "tok") == 0)
        return true;
    egov_reply_problem(req, EGOV_EC_GENERIC_CSRF, NULL, NULL);
    return false;
}

static void test_http(void **state)
{
    (void)state;
    const struct egov_route_table *tables[] = {egov_oid_module.routes, NULL};
    struct egov_server_options opt = {0};
    opt.db = db;
    opt.threads = 2;
    opt.datadir = getenv("EGOV_DATADIR");
    struct egov_test_server srv;
    struct egov_test_response resp;
    assert_true(egov_test_inproc_start(tables, &opt, &srv));
    egov_oid_set_admin_token("test-token-0123456789");

    assert_true(egov_test_http(&srv, "GET", "/api/oid/2.16.886.101.20003", NULL, NULL, 0, &resp));
    assert_int_equal(resp.status, 200);
    assert_non_null(strstr(resp.body, "\"行政院\""));
    egov_test_response_free(&resp);

    const char *json_hdr[] = {"Content-Type: application/json", NULL};
    const char *auth_hdr[] = {"Content-Type: application/json",
                              "Authorization: Bearer test-token-0123456789", NULL};
    const char *bad_auth[] = {"Content-Type: application/json", "Authorization: Bearer nope", NULL};
    const char *body = "{\"name\":\"<script>x</script>\",\"arc\":\"7\"}";
    assert_true(egov_test_http(&srv, "POST", "/api/oid/2.16.886.101/children", json_hdr, body,
                               strlen(body), &resp));
    assert_int_equal(resp.status, 401);
    egov_test_response_free(&resp);
    assert_true(egov_test_http(&srv, "POST", "/api/oid/2.16.886.101/children", bad_auth, body,
                               strlen(body), &resp));
    assert_int_equal(resp.status, 401);
    egov_test_response_free(&resp);
    assert_true(egov_test_http(&srv, "POST", "/api/oid/2.16.886.101/children", auth_hdr, body,
                               strlen(body), &resp));
    assert_int_equal(resp.status, 201);
    egov_test_response_free(&resp);
    assert_true(egov_test_http(&srv, "POST", "/api/oid/2.16.886.101/children", auth_hdr, body,
                               strlen(body), &resp));
    assert_int_equal(resp.status, 409);
    assert_non_null(strstr(resp.body, "\"arc\""));
    egov_test_response_free(&resp);
    const char *bad = "{\"name\":7}";
    assert_true(egov_test_http(&srv, "POST", "/api/oid/2.16.886.101/children", auth_hdr, bad,
                               strlen(bad), &resp));
    assert_int_equal(resp.status, 400);
    assert_non_null(strstr(resp.body, "\"name\""));
    egov_test_response_free(&resp);

    const char *der = "{\"oid\":\"2.999.3\"}";
    assert_true(egov_test_http(&srv, "POST", "/api/oid/der", json_hdr, der, strlen(der), &resp));
    assert_int_equal(resp.status, 200);
    assert_non_null(strstr(resp.body, "0603883703"));
    egov_test_response_free(&resp);
    const char *undo = "{\"der\":\"06028037\"}";
    assert_true(egov_test_http(&srv, "POST", "/api/oid/der", json_hdr, undo, strlen(undo), &resp));
    assert_int_equal(resp.status, 400);
    egov_test_response_free(&resp);

    /* the page escapes names */
    const char *html[] = {"Accept: text/html", NULL};
    assert_true(egov_test_http(&srv, "GET", "/oid?q=script", html, NULL, 0, &resp));
    assert_int_equal(resp.status, 200);
    assert_null(strstr(resp.body, "<script>x"));
    assert_non_null(strstr(resp.body, "&lt;script&gt;x"));
    egov_test_response_free(&resp);
    assert_true(egov_test_http(&srv, "GET", "/oid?oid=2.16.886.101.20003&lang=zh-TW", html, NULL, 0,
                               &resp));
    assert_int_equal(resp.status, 200);
    assert_non_null(strstr(resp.body, "OID 註冊中心"));
    egov_test_response_free(&resp);

    /* the registration form: refused without CSRF functions, hidden too */
    const char *form_hdr[] = {"Content-Type: application/x-www-form-urlencoded",
                              "Authorization: Bearer test-token-0123456789", "Accept: text/html",
                              NULL};
    const char *form = "csrf_token=tok&parent=2.16.886.101&name=%E8%A1%A8%E5%96%AE&arc=55";
    assert_true(egov_test_http(&srv, "POST", "/oid/register", form_hdr, form, strlen(form), &resp));
    assert_int_equal(resp.status, 403);
    egov_test_response_free(&resp);
    assert_true(egov_test_http(&srv, "GET", "/oid?oid=2.16.886.101", html, NULL, 0, &resp));
    assert_null(strstr(resp.body, "name=\"csrf_token\""));
    egov_test_response_free(&resp);
    /* with them: the form is shown, a wrong token is refused, the right one registers */
    egov_oid_set_csrf(fake_csrf_token, fake_csrf_check);
    assert_true(egov_test_http(&srv, "GET", "/oid?oid=2.16.886.101", html, NULL, 0, &resp));
    assert_non_null(strstr(resp.body, "name=\"csrf_token\" value=\"tok\""));
    egov_test_response_free(&resp);
    const char *wrong = "csrf_token=nope&parent=2.16.886.101&name=x&arc=55";
    assert_true(
        egov_test_http(&srv, "POST", "/oid/register", form_hdr, wrong, strlen(wrong), &resp));
    assert_int_equal(resp.status, 403);
    egov_test_response_free(&resp);
    assert_true(egov_test_http(&srv, "POST", "/oid/register", form_hdr, form, strlen(form), &resp));
    assert_int_equal(resp.status, 303);
    char loc[128];
    assert_non_null(egov_test_response_header(&resp, "Location", loc, sizeof(loc)));
    assert_string_equal(loc, "/oid?oid=2.16.886.101.55");
    egov_test_response_free(&resp);
    struct egov_oid_entry e;
    assert_int_equal(egov_oid_get(db, "2.16.886.101.55", &e), EGOV_DB_ONE_ROW);
    assert_string_equal(e.name, "表單");
    /* without a token the form needs a session or the admin token */
    const char *anon_hdr[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    assert_true(egov_test_http(&srv, "POST", "/oid/register", anon_hdr, form, strlen(form), &resp));
    assert_int_equal(resp.status, 401);
    egov_test_response_free(&resp);
    egov_oid_set_csrf(NULL, NULL);

    egov_oid_set_admin_token(NULL);
    egov_test_inproc_stop(&srv, 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roots),
        cmocka_unit_test(test_register),
        cmocka_unit_test(test_agency_admin),
        cmocka_unit_test(test_authorizer_hook),
        cmocka_unit_test(test_resolve_and_search),
        cmocka_unit_test(test_http),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
