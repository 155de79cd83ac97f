/*
 * test_variant_nodata.c -- a machine without Unihan (no unicode-data) and
 * without an import: loading says so, and everything still answers
 * sensibly: keys fold width and case only, lookups find nothing, matching
 * knows only identity and compatibility.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "hanzi/hanzi.h"

static void test_without_data(void **state)
{
    char err[256];
    assert_false(egov_hanzi_props_load(NULL, "/nonexistent/unicode", err, sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent/unicode"));
    assert_string_equal(egov_hanzi_props_source(), "none");
    assert_int_equal(egov_hanzi_props_count(), 0);

    char *k = egov_hanzi_search_key("ＡＢ臺北", strlen("ＡＢ臺北"));
    assert_string_equal(k, "ab臺北");
    egov_free(k);

    struct egov_hanzi_props p;
    assert_false(egov_hanzi_props_get(0x81FA, &p));
    assert_int_equal(egov_hanzi_variant_fold(0x81FA), 0x81FA);
    unsigned int strokes = 9;
    assert_string_equal(egov_hanzi_radical_char(85, &strokes), ""); /* unknown */
    assert_int_equal(strokes, 0);

    struct egov_hanzi_lookup_query q;
    memset(&q, 0, sizeof(q));
    q.residual = -1;
    q.strokes = 5;
    enum egov_ec ec;
    const char *field;
    json_t *r = egov_hanzi_lookup(&q, &ec, &field);
    assert_non_null(r);
    assert_int_equal(json_integer_value(json_object_get(r, "total")), 0);
    json_decref(r);

    r = egov_hanzi_match_names("臺北", strlen("臺北"), NULL, "台北", strlen("台北"), NULL, &ec,
                               &field);
    assert_non_null(r);
    assert_false(json_is_true(json_object_get(r, "match")));
    json_decref(r);

    json_t *o = json_object();
    egov_hanzi_props_describe(0x81FA, o);
    assert_int_equal(json_object_size(o), 0);
    json_decref(o);

    char *sk = egov_hanzi_sort_key("王", strlen("王"), EGOV_HANZI_ORDER_STROKE);
    assert_non_null(sk);
    egov_free(sk);
    egov_hanzi_props_unload();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_without_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
