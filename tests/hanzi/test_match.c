/*
 * test_match.c -- name matching across agencies: variants, width and
 * separators, different encodings (Big5 bytes against UTF-8), and bad
 * input; the POST /api/hanzi/match endpoint on an in-process server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hanzi/hanzi.h"
#include "testlib.h"

static bool have_unihan;
static bool have_tables;

static int setup_all(void **state)
{
    char err[256];
    have_tables = egov_hanzi_tables_load(NULL, err, sizeof(err));
    if (!have_tables)
        fprintf(stderr, "no character tables (%s): encoding tests skipped\n", err);
    have_unihan = egov_hanzi_props_load(NULL, NULL, err, sizeof(err));
    if (!have_unihan)
        fprintf(stderr, "no Unihan data (%s): variant tests skipped\n", err);
    return 0;
}

static int teardown_all(void **state)
{
    egov_hanzi_props_unload();
    egov_hanzi_tables_unload();
    return 0;
}

static json_t *match(const char *a, const char *b)
{
    enum egov_ec ec;
    const char *field;
    json_t *r = egov_hanzi_match_names(a, strlen(a), NULL, b, strlen(b), NULL, &ec, &field);
    if (r == NULL)
        fail_msg("match(%s, %s) failed: %d %s", a, b, (int)ec, field != NULL ? field : "");
    return r;
}

static void expect(const char *a, const char *b, bool want_match, const char *want_reason)
{
    json_t *r = match(a, b);
    if (json_is_true(json_object_get(r, "match")) != want_match ||
        strcmp(json_string_value(json_object_get(r, "reason")), want_reason) != 0) {
        char *s = json_dumps(r, JSON_COMPACT);
        fail_msg("match(%s, %s) = %s; want %s %s", a, b, s, want_match ? "true" : "false",
                 want_reason);
    }
    json_decref(r);
}

static void test_match_reasons(void **state)
{
    expect("王小明", "王小明", true, "identical");
    expect("王 小明", "王小明", true, "compatibility");
    expect("ＡＢＣ", "abc", true, "compatibility");
    expect("王小明", "王曉明", false, "different");
    expect("王小明", "王明", false, "length");
    expect("", "", true, "identical");
    if (!have_unihan)
        skip();
    expect("臺北", "台北", true, "variant");
    expect("林峯", "林峰", true, "variant");
    expect("吳秀", "呉秀", true, "variant");
    expect("范明", "範明", false, "different");
}

static void test_match_details(void **state)
{
    if (!have_unihan)
        skip();
    json_t *r = match("張臺生", "張台生");
    json_t *d = json_object_get(r, "details");
    assert_int_equal(json_array_size(d), 1);
    json_t *d0 = json_array_get(d, 0);
    assert_int_equal(json_integer_value(json_object_get(d0, "pos")), 1);
    assert_string_equal(json_string_value(json_object_get(d0, "a")), "臺");
    assert_string_equal(json_string_value(json_object_get(d0, "b")), "台");
    assert_string_equal(json_string_value(json_object_get(d0, "relation")), "variant");
    assert_string_equal(json_string_value(json_object_get(r, "a")), "張臺生");
    json_decref(r);
    /* a z-variant is named as such */
    r = match("吳", "呉");
    d0 = json_array_get(json_object_get(r, "details"), 0);
    assert_string_equal(json_string_value(json_object_get(d0, "relation")), "z-variant");
    json_decref(r);
}

static void test_match_encodings(void **state)
{
    if (!have_tables || !have_unihan)
        skip();
    enum egov_ec ec;
    const char *field;
    /* 臺北 in Big5 at one agency, 台北 in UTF-8 at another */
    static const char big5[] = "\xBB\x4F\xA5\x5F";
    json_t *r = egov_hanzi_match_names(big5, 4, "big5", "台北", strlen("台北"), NULL, &ec, &field);
    assert_non_null(r);
    assert_true(json_is_true(json_object_get(r, "match")));
    assert_string_equal(json_string_value(json_object_get(r, "reason")), "variant");
    assert_string_equal(json_string_value(json_object_get(r, "a")), "臺北");
    json_decref(r);
    /* truncated Big5 */
    r = egov_hanzi_match_names(big5, 3, "big5", "台北", strlen("台北"), NULL, &ec, &field);
    assert_null(r);
    assert_string_equal(field, "a");
    assert_true(ec == EGOV_EC_HANZI_TRUNCATED || ec == EGOV_EC_HANZI_INVALID_SEQUENCE);
    /* an unknown encoding */
    r = egov_hanzi_match_names("a", 1, NULL, "a", 1, "klingon", &ec, &field);
    assert_null(r);
    assert_int_equal(ec, EGOV_EC_HANZI_ENCODING_UNKNOWN);
    assert_string_equal(field, "encoding_b");
}

static void test_match_bad_utf8(void **state)
{
    enum egov_ec ec;
    const char *field;
    json_t *r = egov_hanzi_match_names("\xE8\x87", 2, NULL, "a", 1, NULL, &ec, &field);
    assert_null(r);
    assert_int_equal(ec, EGOV_EC_GENERIC_UTF8_INVALID);
    assert_string_equal(field, "a");
}

static const struct egov_route routes[] = {
    {EGOV_M_POST, "/api/hanzi/match", egov_hanzi_handle_match, 16384, EGOV_ROUTE_JSON_BODY,
     "hanzi-match"},
    EGOV_ROUTE_END,
};
static const struct egov_route_table table = {"hanzi", routes};

static long post(const struct egov_test_server *srv, const char *body, json_t **out)
{
    static const char *const hdrs[] = {"Content-Type: application/json", "Accept: application/json",
                                       NULL};
    struct egov_test_response resp;
    assert_true(egov_test_http(srv, "POST", "/api/hanzi/match", hdrs, body, strlen(body), &resp));
    long status = resp.status;
    *out = json_loads(resp.body, 0, NULL);
    egov_test_response_free(&resp);
    assert_non_null(*out);
    return status;
}

static void test_match_http(void **state)
{
    const struct egov_route_table *tables[] = {&table, NULL};
    struct egov_test_server srv;
    json_t *j;
    assert_true(egov_test_inproc_start(tables, NULL, &srv));

    assert_int_equal(post(&srv, "{\"a\":\"王小明\",\"b\":\"王小明\"}", &j), 200);
    assert_true(json_is_true(json_object_get(j, "match")));
    json_decref(j);

    if (have_tables && have_unihan) {
        assert_int_equal(
            post(&srv, "{\"a_hex\":\"BB4F A55F\",\"encoding_a\":\"big5\",\"b\":\"台北\"}", &j),
            200);
        assert_string_equal(json_string_value(json_object_get(j, "reason")), "variant");
        json_decref(j);
    }
    /* neither a nor a_hex */
    assert_int_equal(post(&srv, "{\"b\":\"x\"}", &j), 400);
    assert_string_equal(json_string_value(json_object_get(j, "field")), "a");
    json_decref(j);
    /* both */
    assert_int_equal(post(&srv, "{\"a\":\"x\",\"a_hex\":\"78\",\"b\":\"x\"}", &j), 400);
    json_decref(j);
    /* bad hex */
    assert_int_equal(post(&srv, "{\"a_hex\":\"BB4\",\"b\":\"x\"}", &j), 400);
    assert_string_equal(json_string_value(json_object_get(j, "field")), "a_hex");
    json_decref(j);
    /* an encoding with text */
    assert_int_equal(post(&srv, "{\"a\":\"x\",\"encoding_a\":\"big5\",\"b\":\"x\"}", &j), 400);
    assert_string_equal(json_string_value(json_object_get(j, "field")), "encoding_a");
    json_decref(j);
    /* an unknown encoding */
    assert_int_equal(post(&srv, "{\"a_hex\":\"41\",\"encoding_a\":\"nope\",\"b\":\"A\"}", &j), 400);
    assert_string_equal(json_string_value(json_object_get(j, "field")), "encoding_a");
    json_decref(j);
    /* invalid UTF-8 in hex form */
    assert_int_equal(post(&srv, "{\"a_hex\":\"E887\",\"b\":\"A\"}", &j), 400);
    assert_string_equal(json_string_value(json_object_get(j, "field")), "a_hex");
    json_decref(j);
    /* wrong type */
    assert_int_equal(post(&srv, "{\"a\":1,\"b\":\"A\"}", &j), 400);
    json_decref(j);

    egov_test_inproc_stop(&srv, 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_reasons),   cmocka_unit_test(test_match_details),
        cmocka_unit_test(test_match_encodings), cmocka_unit_test(test_match_bad_utf8),
        cmocka_unit_test(test_match_http),
    };
    return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
