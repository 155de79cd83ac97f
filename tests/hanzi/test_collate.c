/*
 * test_collate.c -- stroke and 注音 sort keys for name lists, and how
 * they compare with ICU's zh-Hant stroke and zhuyin collations.
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

static bool have_unihan;

static int setup_all(void **state)
{
    char err[256];
    have_unihan = egov_hanzi_props_load(NULL, NULL, err, sizeof(err));
    if (!have_unihan)
        fprintf(stderr, "no Unihan data (%s): data-dependent tests skipped\n", err);
    return 0;
}

static int teardown_all(void **state)
{
    egov_hanzi_props_unload();
    return 0;
}

#define NEED_UNIHAN()                                                                              \
    do {                                                                                           \
        if (!have_unihan)                                                                          \
            skip();                                                                                \
    } while (0)

static const char *order_name(enum egov_hanzi_order o)
{
    return o == EGOV_HANZI_ORDER_STROKE ? "stroke" : "zhuyin";
}

/* Asserts that @p list is already in @p order. */
static void assert_ordered(const char *const *list, size_t n, enum egov_hanzi_order order)
{
    for (size_t i = 0; i + 1 < n; i++)
        if (egov_hanzi_compare(list[i], list[i + 1], order) >= 0)
            fail_msg("%s order: %s should come before %s", order_name(order), list[i], list[i + 1]);
}

static void test_stroke_order(void **state)
{
    NEED_UNIHAN();
    /* 1, 2, 3, 4, 7, 8, 16 strokes */
    static const char *const chars[] = {"一", "丁", "大", "王", "李", "林", "蕭"};
    assert_ordered(chars, sizeof(chars) / sizeof(chars[0]), EGOV_HANZI_ORDER_STROKE);
    /* same strokes (3): radical 大 (37) before 小 (42) */
    static const char *const names[] = {"王", "王大明", "王小明", "林一", "林一二"};
    assert_ordered(names, sizeof(names) / sizeof(names[0]), EGOV_HANZI_ORDER_STROKE);
    /* not Han before Han */
    static const char *const mixed[] = {"A", "Z", "一"};
    assert_ordered(mixed, 3, EGOV_HANZI_ORDER_STROKE);
    assert_int_equal(egov_hanzi_compare("王", "王", EGOV_HANZI_ORDER_STROKE), 0);
    /* variants are different names: distinct keys */
    assert_int_not_equal(egov_hanzi_compare("臺", "台", EGOV_HANZI_ORDER_STROKE), 0);
}

static void test_zhuyin_order(void **state)
{
    NEED_UNIHAN();
    /* ㄅㄚ, ㄅㄚˊ, ㄅㄚˇ, ㄅㄚˋ, then ㄅㄛ, ㄆ.., ㄌ.., ㄨ.. */
    static const char *const chars[] = {"八", "拔", "把", "爸", "波", "怕", "林", "王"};
    assert_ordered(chars, sizeof(chars) / sizeof(chars[0]), EGOV_HANZI_ORDER_ZHUYIN);
    /* ㄏㄨㄤˊ before ㄔㄣˊ; then the second character: ㄉㄚˋ before ㄧ */
    static const char *const names[] = {"黃", "陳", "陳大文", "陳一"};
    assert_ordered(names, sizeof(names) / sizeof(names[0]), EGOV_HANZI_ORDER_ZHUYIN);
}

static void test_sort_key_format(void **state)
{
    char *k = egov_hanzi_sort_key("王小明", strlen("王小明"), EGOV_HANZI_ORDER_STROKE);
    assert_non_null(k);
    assert_int_equal(strlen(k), 3 * 7 * 2);
    assert_int_equal(strspn(k, "0123456789abcdef"), strlen(k));
    egov_free(k);
    k = egov_hanzi_sort_key("王", strlen("王"), EGOV_HANZI_ORDER_ZHUYIN);
    assert_int_equal(strlen(k), 9 * 2);
    egov_free(k);
    k = egov_hanzi_sort_key("", 0, EGOV_HANZI_ORDER_ZHUYIN);
    assert_string_equal(k, "");
    egov_free(k);
    assert_null(egov_hanzi_sort_key("\xE7\x8E", 2, EGOV_HANZI_ORDER_STROKE));
    /* invalid UTF-8 sorts last */
    assert_int_equal(egov_hanzi_compare("\xFF", "王", EGOV_HANZI_ORDER_STROKE), 1);
    enum egov_hanzi_order o;
    assert_true(egov_hanzi_order_parse("zhuyin", &o));
    assert_int_equal(o, EGOV_HANZI_ORDER_ZHUYIN);
    assert_false(egov_hanzi_order_parse("pinyin", &o));
}

static void test_icu_basics(void **state)
{
    bool ok = false;
    assert_true(egov_hanzi_compare_icu("一", "王", EGOV_HANZI_ORDER_STROKE, &ok) < 0);
    assert_true(ok);
    assert_true(egov_hanzi_compare_icu("林", "王", EGOV_HANZI_ORDER_ZHUYIN, &ok) < 0);
    assert_true(ok);
}

/* The characters of CNS 11643 plane 1 (the 4,808 common ones and the rest of the plane). */
static char **plane1_chars(size_t *n)
{
    char **v = calloc(0x5200 + 1, sizeof(*v));
    assert_non_null(v);
    *n = 0;
    for (uint32_t cp = 0x4E00; cp <= 0x9FFF; cp++) {
        struct egov_hanzi_props p;
        if (!egov_hanzi_props_get(cp, &p) || p.cns >> 16 != 1)
            continue;
        char buf[5] = {0};
        egov_utf8_encode(cp, buf);
        v[(*n)++] = strdup(buf);
    }
    return v;
}

static void check_against_icu(enum egov_hanzi_order order, double min_agreement)
{
    size_t n = 0;
    char **v = plane1_chars(&n);
    assert_true(n > 5000);
    json_t *r = egov_hanzi_collate_check((const char *const *)v, n, order, 5);
    assert_non_null(r);
    assert_true(json_is_true(json_object_get(r, "icu")));
    json_int_t pairs = json_integer_value(json_object_get(r, "pairs"));
    json_int_t agree = json_integer_value(json_object_get(r, "agree"));
    json_int_t disagree = json_integer_value(json_object_get(r, "disagree"));
    json_int_t equal = json_integer_value(json_object_get(r, "icu_equal"));
    char *ex = json_dumps(json_object_get(r, "examples"), JSON_COMPACT);
    printf("%s order vs ICU on %zu CNS plane-1 characters: %lld adjacent pairs, %lld agree, "
           "%lld disagree, %lld equal for ICU; e.g. %s\n",
           order_name(order), n, (long long)pairs, (long long)agree, (long long)disagree,
           (long long)equal, ex != NULL ? ex : "");
    free(ex);
    assert_int_equal(agree + disagree + equal, pairs);
    assert_true((double)agree >= min_agreement * (double)pairs);
    json_decref(r);
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void test_against_icu(void **state)
{
    NEED_UNIHAN();
    check_against_icu(EGOV_HANZI_ORDER_STROKE, 0.90);
    check_against_icu(EGOV_HANZI_ORDER_ZHUYIN, 0.90);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stroke_order),    cmocka_unit_test(test_zhuyin_order),
        cmocka_unit_test(test_sort_key_format), cmocka_unit_test(test_icu_basics),
        cmocka_unit_test(test_against_icu),
    };
    return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
