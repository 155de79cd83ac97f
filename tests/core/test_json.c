/*
 * test_json.c -- table-driven body parsing (missing, wrong type, integer
 * bounds, string lengths in code points, optional fields), parse errors
 * with positions, compact dumping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"

static json_t *load(const char *s)
{
    struct egov_json_error err;
    json_t *j = egov_json_loads(s, strlen(s), &err);
    if (j == NULL)
        fail_msg("%s: %s", s, err.detail);
    return j;
}

struct body {
    const char *name;
    int64_t age;
    bool agree;
    json_t *tags;
    json_t *addr;
    const char *note;
    json_t *any;
};

static bool parse_body(const char *text, struct body *b, struct egov_json_error *err)
{
    const struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_STRING_LEN("name", &b->name, 2, 5),
        EGOV_JSON_SPEC_INT("age", &b->age, 0, 150),
        EGOV_JSON_SPEC_BOOL("agree", &b->agree),
        EGOV_JSON_SPEC_ARRAY("tags", &b->tags),
        EGOV_JSON_SPEC_OBJECT("addr", &b->addr),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("note", &b->note, 0, 3)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_ANY("any", &b->any)),
        EGOV_JSON_SPEC_END,
    };
    json_t *j = load(text);
    bool ok = egov_json_parse_spec(j, spec, err);
    json_decref(j);
    return ok;
}

#define BASE "\"name\":\"王小明\",\"age\":30,\"agree\":true,\"tags\":[],\"addr\":{}"

static void test_spec_success(void **state)
{
    struct body b = {.note = "keep"};
    struct egov_json_error err;
    /* the outputs borrow from the json_t; check them while it lives */
    const struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_STRING_LEN("name", &b.name, 2, 5),
        EGOV_JSON_SPEC_INT("age", &b.age, 0, 150),
        EGOV_JSON_SPEC_BOOL("agree", &b.agree),
        EGOV_JSON_SPEC_ARRAY("tags", &b.tags),
        EGOV_JSON_SPEC_OBJECT("addr", &b.addr),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING("note", &b.note)),
        EGOV_JSON_SPEC_END,
    };
    json_t *j = load("{" BASE ",\"extra\":1}");
    assert_true(egov_json_parse_spec(j, spec, &err));
    assert_int_equal(err.ec, EGOV_EC_NONE);
    assert_string_equal(b.name, "王小明");
    assert_int_equal(b.age, 30);
    assert_true(b.agree);
    assert_true(json_is_array(b.tags));
    assert_true(json_is_object(b.addr));
    assert_string_equal(b.note, "keep"); /* absent optional keeps its value */
    json_decref(j);

    j = load("{" BASE ",\"note\":null}");
    assert_true(egov_json_parse_spec(j, spec, &err));
    assert_string_equal(b.note, "keep");
    json_decref(j);
}

static void expect_fail(const char *text, enum egov_ec ec, const char *field,
                        const char *detail_part)
{
    struct body b = {0};
    struct egov_json_error err;
    if (parse_body(text, &b, &err))
        fail_msg("accepted %s", text);
    assert_int_equal(err.ec, ec);
    if (field == NULL)
        assert_null(err.field);
    else
        assert_string_equal(err.field, field);
    if (strstr(err.detail, detail_part) == NULL)
        fail_msg("%s: detail \"%s\" lacks \"%s\"", text, err.detail, detail_part);
}

static void test_spec_failures(void **state)
{
    struct body b = {0};
    struct egov_json_error err;
    assert_true(parse_body("{" BASE "}", &b, &err));
    assert_true(parse_body("{" BASE ",\"note\":\"一二三\",\"any\":[1]}", &b, &err));

    expect_fail("{\"age\":30,\"agree\":true,\"tags\":[],\"addr\":{}}",
                EGOV_EC_GENERIC_PARAMETER_MISSING, "name", "name: is required");
    expect_fail("{\"name\":null,\"age\":30,\"agree\":true,\"tags\":[],\"addr\":{}}",
                EGOV_EC_GENERIC_PARAMETER_MISSING, "name", "required");
    expect_fail("{\"name\":5,\"age\":30,\"agree\":true,\"tags\":[],\"addr\":{}}",
                EGOV_EC_GENERIC_PARAMETER_MALFORMED, "name", "name: must be a string");
    expect_fail("{\"name\":\"王小明\",\"age\":\"30\",\"agree\":true,\"tags\":[],\"addr\":{}}",
                EGOV_EC_GENERIC_PARAMETER_MALFORMED, "age", "must be an integer");
    expect_fail("{\"name\":\"王小明\",\"age\":30.0,\"agree\":true,\"tags\":[],\"addr\":{}}",
                EGOV_EC_GENERIC_PARAMETER_MALFORMED, "age", "must be an integer");
    expect_fail("{\"name\":\"王小明\",\"age\":151,\"agree\":true,\"tags\":[],\"addr\":{}}",
                EGOV_EC_GENERIC_PARAMETER_MALFORMED, "age", "from 0 to 150");
    expect_fail("{\"name\":\"王小明\",\"age\":-1,\"agree\":true,\"tags\":[],\"addr\":{}}",
                EGOV_EC_GENERIC_PARAMETER_MALFORMED, "age", "from 0 to 150");
    expect_fail("{\"name\":\"王小明\",\"age\":30,\"agree\":1,\"tags\":[],\"addr\":{}}",
                EGOV_EC_GENERIC_PARAMETER_MALFORMED, "agree", "true or false");
    expect_fail("{\"name\":\"王小明\",\"age\":30,\"agree\":true,\"tags\":{},\"addr\":{}}",
                EGOV_EC_GENERIC_PARAMETER_MALFORMED, "tags", "an array");
    expect_fail("{\"name\":\"王小明\",\"age\":30,\"agree\":true,\"tags\":[],\"addr\":[]}",
                EGOV_EC_GENERIC_PARAMETER_MALFORMED, "addr", "an object");
    expect_fail("{" BASE ",\"note\":7}", EGOV_EC_GENERIC_PARAMETER_MALFORMED, "note",
                "must be a string");
    expect_fail("[1,2]", EGOV_EC_GENERIC_JSON_INVALID, NULL, "JSON object");
}

static void test_spec_string_lengths(void **state)
{
    struct body b = {0};
    struct egov_json_error err;
    /* 2..5 code points: Chinese characters count once each, not per byte */
    assert_true(parse_body("{\"name\":\"王明\",\"age\":1,\"agree\":false,\"tags\":[],\"addr\":{}}",
                           &b, &err));
    assert_true(parse_body(
        "{\"name\":\"歐陽王小明\",\"age\":1,\"agree\":false,\"tags\":[],\"addr\":{}}", &b, &err));
    assert_true(parse_body(
        "{\"name\":\"𠀀𠀁𠀂𠀃𠀄\",\"age\":1,\"agree\":false,\"tags\":[],\"addr\":{}}", &b, &err));
    expect_fail("{\"name\":\"歐陽王小明明\",\"age\":1,\"agree\":false,\"tags\":[],\"addr\":{}}",
                EGOV_EC_GENERIC_PARAMETER_MALFORMED, "name", "2 to 5 characters long (is 6)");
    expect_fail("{\"name\":\"王\",\"age\":1,\"agree\":false,\"tags\":[],\"addr\":{}}",
                EGOV_EC_GENERIC_PARAMETER_MALFORMED, "name", "(is 1)");
    expect_fail("{\"name\":\"\",\"age\":1,\"agree\":false,\"tags\":[],\"addr\":{}}",
                EGOV_EC_GENERIC_PARAMETER_MALFORMED, "name", "(is 0)");
    /* optional with bounds: note is at most 3 */
    expect_fail("{" BASE ",\"note\":\"一二三四\"}", EGOV_EC_GENERIC_PARAMETER_MALFORMED, "note",
                "(is 4)");

    /* minimum without maximum */
    const char *s = NULL;
    const struct egov_json_spec min_only[] = {
        EGOV_JSON_SPEC_STRING_LEN("s", &s, 3, 0),
        EGOV_JSON_SPEC_END,
    };
    json_t *j = load("{\"s\":\"ab\"}");
    assert_false(egov_json_parse_spec(j, min_only, &err));
    assert_non_null(strstr(err.detail, "at least 3"));
    json_decref(j);
    j = load("{\"s\":\"abcdefghijklmnopqrstuvwxyz\"}");
    assert_true(egov_json_parse_spec(j, min_only, &err));
    assert_string_equal(s, "abcdefghijklmnopqrstuvwxyz");
    json_decref(j);

    /* strings with an embedded NUL (built directly; the parser rejects \u0000) */
    j = json_pack("{s:s%}", "s", "abc\0def", (size_t)7);
    assert_false(egov_json_parse_spec(j, min_only, &err));
    assert_int_equal(err.ec, EGOV_EC_GENERIC_PARAMETER_MALFORMED);
    assert_non_null(strstr(err.detail, "NUL"));
    json_decref(j);
}

static int64_t static_out = 3;
static const struct egov_json_spec static_spec[] = {
    EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_INT("n", &static_out, 0, 9)),
    EGOV_JSON_SPEC_END,
};

static void test_optional_in_static_table(void **state)
{
    struct egov_json_error err;
    assert_true(static_spec[0].optional);
    json_t *j = load("{}");
    assert_true(egov_json_parse_spec(j, static_spec, &err));
    assert_int_equal(static_out, 3);
    json_decref(j);
    j = load("{\"n\":10}");
    assert_false(egov_json_parse_spec(j, static_spec, &err));
    assert_string_equal(err.field, "n");
    json_decref(j);
    j = load("{\"n\":9}");
    assert_true(egov_json_parse_spec(j, static_spec, &err));
    assert_int_equal(static_out, 9);
    json_decref(j);
}

static void test_int_extremes(void **state)
{
    int64_t v = 7;
    struct egov_json_error err;
    const struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_INT("v", &v, INT64_MIN, INT64_MAX),
        EGOV_JSON_SPEC_END,
    };
    json_t *j = load("{\"v\":-9223372036854775808}");
    assert_true(egov_json_parse_spec(j, spec, &err));
    assert_int_equal(v, INT64_MIN);
    json_decref(j);
    j = load("{\"v\":9223372036854775807}");
    assert_true(egov_json_parse_spec(j, spec, &err));
    assert_int_equal(v, INT64_MAX);
    json_decref(j);
    /* out of int64 range is a parse error, not a wrap-around */
    assert_null(egov_json_loads("{\"v\":9223372036854775808}", 25, &err));
    assert_int_equal(err.ec, EGOV_EC_GENERIC_JSON_INVALID);
}

static void test_loads_errors(void **state)
{
    struct egov_json_error err;
    const char *s = "{\"a\":x}";
    assert_null(egov_json_loads(s, strlen(s), &err));
    assert_int_equal(err.ec, EGOV_EC_GENERIC_JSON_INVALID);
    assert_string_equal(err.detail,
                        "invalid JSON at line 1, column 6 (byte 5): invalid token near 'x'");
    s = "{\n  \"a\": 1,\n  \"b\": }";
    assert_null(egov_json_loads(s, strlen(s), &err));
    assert_non_null(strstr(err.detail, "invalid JSON at line 3, column 8 (byte 19)"));
    s = "[1,2";
    assert_null(egov_json_loads(s, strlen(s), &err));
    assert_non_null(strstr(err.detail, "line 1"));
    s = "{\"a\":1,\"a\":2}";
    assert_null(egov_json_loads(s, strlen(s), &err));
    assert_non_null(strstr(err.detail, "duplicate"));
    s = "{\"a\":\"\\u0000\"}";
    assert_null(egov_json_loads(s, strlen(s), &err));
    s = "\"\xC3\x28\"";
    assert_null(egov_json_loads(s, strlen(s), &err));
    assert_int_equal(err.ec, EGOV_EC_GENERIC_JSON_INVALID);
    assert_null(egov_json_loads("", 0, &err));
    assert_null(egov_json_loads("{} x", 4, &err));
    /* n bounds the input: the text after it is not read */
    json_t *j = egov_json_loads("[1]garbage", 3, &err);
    assert_non_null(j);
    assert_int_equal(err.ec, EGOV_EC_NONE);
    json_decref(j);
    /* a NULL error pointer is allowed */
    assert_null(egov_json_loads("{", 1, NULL));
}

static void test_dumps_and_get_str(void **state)
{
    json_t *j = load("{ \"b\" : [1, 2, {\"c\": null}], \"a\": \"中文\\n\" }");
    char *s = egov_json_dumps(j);
    assert_string_equal(s, "{\"b\":[1,2,{\"c\":null}],\"a\":\"中文\\n\"}");
    egov_free(s);
    assert_string_equal(egov_json_get_str(j, "a", "d"), "中文\n");
    assert_string_equal(egov_json_get_str(j, "b", "d"), "d");
    assert_string_equal(egov_json_get_str(j, "zz", "d"), "d");
    assert_null(egov_json_get_str(j, "zz", NULL));
    assert_string_equal(egov_json_get_str(NULL, "a", "d"), "d");
    json_decref(j);
    json_t *str = json_string("scalar");
    s = egov_json_dumps(str);
    assert_string_equal(s, "\"scalar\"");
    egov_free(s);
    json_decref(str);
    assert_null(egov_json_dumps(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_success),        cmocka_unit_test(test_spec_failures),
        cmocka_unit_test(test_spec_string_lengths), cmocka_unit_test(test_optional_in_static_table),
        cmocka_unit_test(test_int_extremes),        cmocka_unit_test(test_loads_errors),
        cmocka_unit_test(test_dumps_and_get_str),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
