/*
 * test_conv_http.c -- POST /api/hanzi/convert and GET /api/hanzi/chars/{c}
 * on an in-process server: text and base64 bodies, strict errors naming
 * the offset and bytes, bad names and policies naming the field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hanzi/hanzi.h"
#include "testlib.h"

static struct egov_test_server srv;

static int setup(void **state)
{
    char err[256];
    static const struct egov_route_table *tables[2];
    tables[0] = egov_hanzi_module.routes;
    if (!egov_hanzi_tables_load(NULL, err, sizeof err))
        fail_msg("load: %s", err);
    return egov_test_inproc_start(tables, NULL, &srv) ? 0 : -1;
}

static int teardown(void **state)
{
    egov_test_inproc_stop(&srv, 1000);
    egov_hanzi_tables_unload();
    return 0;
}

/* POSTs @p body; returns the parsed reply (caller decrefs) and the status in *status. */
static json_t *post(const char *body, long *status)
{
    struct egov_test_response r;
    const char *headers[] = {"Content-Type: application/json", "Accept: application/json", NULL};
    assert_true(
        egov_test_http(&srv, "POST", "/api/hanzi/convert", headers, body, strlen(body), &r));
    *status = r.status;
    json_t *j = json_loads(r.body, 0, NULL);
    if (!j)
        fail_msg("not JSON: %s", r.body);
    egov_test_response_free(&r);
    return j;
}

static const char *str(const json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));
    if (!s)
        fail_msg("no \"%s\" in %s", key, json_dumps(j, 0));
    return s;
}

static void test_convert_text_and_base64(void **state)
{
    long st;
    /* 臺北 in Big5 is BB 4F A5 5F: base64 u0+lXw== */
    json_t *j = post("{\"text\":\"臺北\",\"to\":\"big5\"}", &st);
    assert_int_equal(st, 200);
    assert_string_equal(str(j, "base64"), "u0+lXw==");
    assert_string_equal(str(j, "from"), "utf-8");
    assert_string_equal(str(j, "to"), "big5");
    json_decref(j);
    j = post("{\"base64\":\"u0+lXw==\",\"from\":\"BIG5\",\"to\":\"utf-8\"}", &st);
    assert_int_equal(st, 200);
    assert_string_equal(str(j, "text"), "臺北");
    json_decref(j);
    j = post("{\"text\":\"臺北\",\"to\":\"cns\"}", &st);
    assert_int_equal(st, 200);
    assert_string_equal(str(j, "text"), "1-6A57 1-4621");
    json_decref(j);
    /* empty input is fine */
    j = post("{\"text\":\"\",\"to\":\"euc-tw\"}", &st);
    assert_int_equal(st, 200);
    assert_string_equal(str(j, "base64"), "");
    json_decref(j);
    /* replace policy */
    j = post("{\"base64\":\"Qf9C\",\"from\":\"big5\",\"to\":\"utf-8\",\"policy\":\"replace\"}",
             &st);
    assert_int_equal(st, 200);
    assert_string_equal(str(j, "text"), "A〓B");
    json_decref(j);
}

static void test_strict_error_names_offset(void **state)
{
    long st;
    /* "AB" then a lone lead byte A4: truncated at offset 2 */
    json_t *j = post("{\"base64\":\"QUKk\",\"from\":\"big5\",\"to\":\"utf-8\"}", &st);
    assert_int_equal(st, 400);
    assert_string_equal(str(j, "code"), "HANZI_TRUNCATED");
    assert_int_equal(json_integer_value(json_object_get(j, "offset")), 2);
    json_t *bytes = json_object_get(j, "bytes");
    assert_int_equal(json_array_size(bytes), 1);
    assert_string_equal(json_string_value(json_array_get(bytes, 0)), "A4");
    assert_non_null(strstr(str(j, "detail"), "at byte 2"));
    json_decref(j);
    /* a character Big5 lacks */
    j = post("{\"text\":\"a😀\",\"to\":\"big5\"}", &st);
    assert_int_equal(st, 400);
    assert_string_equal(str(j, "code"), "HANZI_UNMAPPABLE");
    assert_int_equal(json_integer_value(json_object_get(j, "offset")), 1);
    assert_int_equal(json_array_size(json_object_get(j, "bytes")), 4);
    json_decref(j);
}

static void test_bad_requests_name_the_field(void **state)
{
    static const struct {
        const char *body, *field;
    } cases[] = {
        {"{\"text\":\"a\",\"to\":\"klingon\"}", "to"},
        {"{\"base64\":\"YQ==\",\"from\":\"ebcdic\",\"to\":\"utf-8\"}", "from"},
        {"{\"base64\":\"YQ==\",\"to\":\"utf-8\"}", "from"},
        {"{\"text\":\"a\",\"to\":\"big5\",\"policy\":\"lenient\"}", "policy"},
        {"{\"text\":\"a\",\"base64\":\"YQ==\",\"to\":\"big5\"}", "base64"},
        {"{\"to\":\"big5\"}", "text"},
        {"{\"base64\":\"not base64!\",\"from\":\"big5\",\"to\":\"utf-8\"}", "base64"},
        {"{\"text\":\"a\",\"from\":\"big5\",\"to\":\"utf-8\"}", "from"},
        {"{\"text\":\"a\"}", "to"},
        {"{\"text\":5,\"to\":\"big5\"}", "text"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long st;
        json_t *j = post(cases[i].body, &st);
        if (st != 400)
            fail_msg("%s: status %ld", cases[i].body, st);
        const char *field = json_string_value(json_object_get(j, "field"));
        if (!field || strcmp(field, cases[i].field) != 0)
            fail_msg("%s: field %s, want %s", cases[i].body, field ? field : "(none)",
                     cases[i].field);
        json_decref(j);
    }
}

static void test_chars(void **state)
{
    struct egov_test_response r;
    const char *headers[] = {"Accept: application/json", NULL};
    static const char *const paths[] = {"/api/hanzi/chars/%E8%87%BA", "/api/hanzi/chars/U+81FA",
                                        "/api/hanzi/chars/1-6A57"};
    for (size_t i = 0; i < 3; i++) {
        assert_true(egov_test_http(&srv, "GET", paths[i], headers, NULL, 0, &r));
        assert_int_equal(r.status, 200);
        json_t *j = json_loads(r.body, 0, NULL);
        assert_non_null(j);
        assert_string_equal(str(j, "char"), "臺");
        assert_string_equal(str(j, "cns"), "1-6A57");
        assert_string_equal(str(j, "big5"), "BB4F");
        json_decref(j);
        egov_test_response_free(&r);
    }
    assert_true(egov_test_http(&srv, "GET", "/api/hanzi/chars/abc", headers, NULL, 0, &r));
    assert_int_equal(r.status, 404);
    assert_non_null(strstr(r.body, "\"field\":\"c\""));
    egov_test_response_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_convert_text_and_base64),
        cmocka_unit_test(test_strict_error_names_offset),
        cmocka_unit_test(test_bad_requests_name_the_field),
        cmocka_unit_test(test_chars),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
