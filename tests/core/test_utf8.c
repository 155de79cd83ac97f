/*
 * test_utf8.c -- strict UTF-8: valid and invalid tables (overlongs,
 * surrogates, above U+10FFFF, truncated), bad offsets, decode/encode.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"

struct utf8_case {
    const char *s;
    size_t n;
    bool valid;
    size_t bad; /* offset of the first bad sequence */
};

#define C(lit, ok, off)                                                                            \
    {                                                                                              \
        lit, sizeof(lit) - 1, ok, off                                                              \
    }

static const struct utf8_case cases[] = {
    C("", true, 0),
    C("hello", true, 0),
    C("\x7F", true, 0),
    C("\xC2\x80", true, 0),         /* U+0080 */
    C("\xDF\xBF", true, 0),         /* U+07FF */
    C("\xE0\xA0\x80", true, 0),     /* U+0800 */
    C("\xED\x9F\xBF", true, 0),     /* U+D7FF */
    C("\xEE\x80\x80", true, 0),     /* U+E000 */
    C("\xEF\xBF\xBF", true, 0),     /* U+FFFF */
    C("\xF0\x90\x80\x80", true, 0), /* U+10000 */
    C("\xF4\x8F\xBF\xBF", true, 0), /* U+10FFFF */
    C("中華民國115年", true, 0),
    C("𠀀𪚥", true, 0), /* CJK extension B */
    C("a\0b", true, 0), /* NUL is valid UTF-8 */
    /* overlongs */
    C("\xC0\x80", false, 0),
    C("\xC1\xBF", false, 0),
    C("ab\xE0\x80\x80", false, 2),
    C("\xE0\x9F\xBF", false, 0),
    C("\xF0\x80\x80\x80", false, 0),
    C("\xF0\x8F\xBF\xBF", false, 0),
    /* surrogates */
    C("\xED\xA0\x80", false, 0),
    C("x\xED\xBF\xBF", false, 1),
    C("\xED\xB0\x80", false, 0),
    /* above U+10FFFF */
    C("\xF4\x90\x80\x80", false, 0),
    C("\xF5\x80\x80\x80", false, 0),
    C("\xF8\x88\x80\x80\x80", false, 0),
    C("\xFF", false, 0),
    C("\xFE", false, 0),
    /* truncated */
    C("\xC2", false, 0),
    C("abc\xE4\xB8", false, 3),
    C("\xF0\x9F\x98", false, 0),
    C("中\xE6", false, 3),
    /* lone continuation bytes, bad continuations */
    C("\x80", false, 0),
    C("ok\xBF", false, 2),
    C("\xE4\x41\xAD", false, 0),
    C("\xC3\xC3\xA9", false, 0),
};

static void test_table(void **state)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t bad = 9999;
        bool ok = egov_utf8_valid(cases[i].s, cases[i].n, &bad);
        if (ok != cases[i].valid)
            fail_msg("case %zu: expected %s", i, cases[i].valid ? "valid" : "invalid");
        if (!ok && bad != cases[i].bad)
            fail_msg("case %zu: bad offset %zu, expected %zu", i, bad, cases[i].bad);
        assert_int_equal(egov_utf8_valid(cases[i].s, cases[i].n, NULL), cases[i].valid);
    }
}

static void test_decode_encode_roundtrip(void **state)
{
    static const uint32_t cps[] = {0,      0x41,   0x7F,   0x80,   0x7FF,   0x800,   0x4E2D,
                                   0xD7FF, 0xE000, 0xFFFD, 0xFFFF, 0x10000, 0x20000, 0x10FFFF};
    for (size_t i = 0; i < sizeof(cps) / sizeof(cps[0]); i++) {
        char buf[4];
        size_t n = egov_utf8_encode(cps[i], buf);
        assert_true(n >= 1 && n <= 4);
        uint32_t back = 0xFFFFFFFF;
        assert_int_equal(egov_utf8_decode(buf, n, &back), n);
        assert_int_equal(back, cps[i]);
        assert_true(egov_utf8_valid(buf, n, NULL));
        /* one byte short is truncated */
        if (n > 1)
            assert_int_equal(egov_utf8_decode(buf, n - 1, &back), 0);
    }
    char buf[4];
    assert_int_equal(egov_utf8_encode(0xD800, buf), 0);
    assert_int_equal(egov_utf8_encode(0xDFFF, buf), 0);
    assert_int_equal(egov_utf8_encode(0x110000, buf), 0);
    uint32_t cp;
    assert_int_equal(egov_utf8_decode("", 0, &cp), 0);
    assert_int_equal(egov_utf8_decode("中", 3, &cp), 3);
    assert_int_equal(cp, 0x4E2D);
}

static void test_length(void **state)
{
    assert_int_equal(egov_utf8_length("", 0), 0);
    assert_int_equal(egov_utf8_length("abc", 3), 3);
    assert_int_equal(egov_utf8_length("中華民國", strlen("中華民國")), 4);
    assert_int_equal(egov_utf8_length("a中𠀀b", strlen("a中𠀀b")), 4);
}

static void test_copy(void **state)
{
    (void)state;
    char small[6];
    assert_true(egov_utf8_copy(small, sizeof(small), "abcde"));
    assert_string_equal(small, "abcde");
    assert_true(egov_utf8_copy(small, sizeof(small), NULL));
    assert_string_equal(small, "");
    /* 臺北 is 6 bytes: only 臺 (3 bytes) fits whole in 5 */
    assert_false(egov_utf8_copy(small, sizeof(small), "臺北"));
    assert_string_equal(small, "臺");
    assert_false(egov_utf8_copy(small, sizeof(small), "abcdef"));
    assert_string_equal(small, "abcde");
    char one[1];
    assert_false(egov_utf8_copy(one, sizeof(one), "x"));
    assert_string_equal(one, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_decode_encode_roundtrip),
        cmocka_unit_test(test_length),
        cmocka_unit_test(test_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
