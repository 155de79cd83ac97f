/*
 * test_time.c -- clocks, RFC 3339 round trips and rejects, the ROC
 * calendar both ways, HTTP dates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"

#define SEC 1000000LL

static void test_clocks(void **state)
{
    int64_t now = egov_now_us();
    assert_true(now > 1704067200LL * SEC); /* after 2024-01-01 */
    int64_t m1 = egov_mono_us();
    int64_t m2 = egov_mono_us();
    assert_true(m2 >= m1);
}

static void test_rfc3339_format(void **state)
{
    char out[32];
    egov_time_rfc3339(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
    egov_time_rfc3339(-1, out);
    assert_string_equal(out, "1969-12-31T23:59:59.999Z");
    egov_time_rfc3339(1795737600LL * SEC + 123456, out);
    assert_string_equal(out, "2026-11-27T00:00:00.123Z");
    egov_time_rfc3339(1709210096LL * SEC, out);
    assert_string_equal(out, "2024-02-29T12:34:56.000Z");
    egov_time_rfc3339(253402300799LL * SEC + 999999, out);
    assert_string_equal(out, "9999-12-31T23:59:59.999Z");
}

static void test_taipei(void **state)
{
    (void)state;
    char out[20];
    egov_time_taipei(0, out);
    assert_string_equal(out, "1970-01-01 08:00:00");
    /* 16:30 UTC on 27 November is half past midnight on the 28th in Taiwan */
    egov_time_taipei((1795737600LL + 16 * 3600 + 30 * 60) * SEC + 999999, out);
    assert_string_equal(out, "2026-11-28 00:30:00");
    egov_time_taipei(-1, out);
    assert_string_equal(out, "1970-01-01 07:59:59");
}

static void test_rfc3339_parse(void **state)
{
    static const struct {
        const char *s;
        int64_t us;
    } good[] = {
        {"1970-01-01T00:00:00Z", 0},
        {"2026-11-27T00:00:00Z", 1795737600LL * SEC},
        {"2026-11-27T08:00:00+08:00", 1795737600LL * SEC},
        {"2026-11-26T19:30:00-04:30", 1795737600LL * SEC},
        {"2026-11-27t00:00:00z", 1795737600LL * SEC},
        {"2026-11-27 00:00:00Z", 1795737600LL * SEC},
        {"2026-11-27T00:00:00.5Z", 1795737600LL * SEC + 500000},
        {"2026-11-27T00:00:00.123456789Z", 1795737600LL * SEC + 123456},
        {"2026-11-27T00:00:00.000001+00:00", 1795737600LL * SEC + 1},
        {"2024-02-29T12:34:56Z", 1709210096LL * SEC},
        {"1912-01-01T00:00:00Z", -1830384000LL * SEC},
        {"1969-12-31T23:59:59.999Z", -1000},
        {"9999-12-31T23:59:59Z", 253402300799LL * SEC},
        {"0001-01-01T00:00:00Z", -62135596800LL * SEC},
        {"2016-12-31T23:59:60Z", 1483228800LL * SEC}, /* leap second */
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        int64_t us = -42;
        if (!egov_time_parse_rfc3339(good[i].s, &us))
            fail_msg("rejected %s", good[i].s);
        if (us != good[i].us)
            fail_msg("%s: got %lld, expected %lld", good[i].s, (long long)us,
                     (long long)good[i].us);
    }
    static const char *const bad[] = {
        "",
        "2026-11-27",
        "2026-11-27T00:00:00",      /* no offset */
        "2026-11-27T00:00Z",        /* no seconds */
        "2026-11-27T00:00:00+0800", /* offset without colon */
        "2026-11-27T00:00:00+24:00",
        "2026-11-27T00:00:00+08:60",
        "2026-11-27T00:00:00.Z", /* empty fraction */
        "2026-11-27T00:00:00ZZ",
        "2026-11-27T00:00:00Z ",
        "2026-13-01T00:00:00Z",
        "2026-00-01T00:00:00Z",
        "2026-11-31T00:00:00Z",
        "2026-11-00T00:00:00Z",
        "2026-02-29T00:00:00Z", /* not a leap year */
        "1900-02-29T00:00:00Z", /* century, not leap */
        "2026-11-27T24:00:00Z",
        "2026-11-27T23:60:00Z",
        "2026-11-27T23:59:61Z",
        "2026-1-27T00:00:00Z",
        "+2026-11-27T00:00:00Z",
        "2026-11-27X00:00:00Z",
        "２０２６-11-27T00:00:00Z",
        "0001-01-01T00:00:00+00:01", /* before year 1 in UTC */
        "9999-12-31T23:59:59-00:01", /* after year 9999 in UTC */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t us = 0;
        if (egov_time_parse_rfc3339(bad[i], &us))
            fail_msg("accepted %s", bad[i]);
    }
    int64_t us;
    assert_false(egov_time_parse_rfc3339(NULL, &us));
    assert_true(egov_time_parse_rfc3339("2000-02-29T00:00:00Z", &us)); /* 400-year leap */
}

static void test_rfc3339_round_trip(void **state)
{
    int64_t samples[] = {0,
                         1000,
                         -1000,
                         1795737600LL * SEC + 123000,
                         951782400LL * SEC,
                         egov_now_us() / 1000 * 1000};
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        char out[32];
        int64_t back;
        egov_time_rfc3339(samples[i], out);
        assert_true(egov_time_parse_rfc3339(out, &back));
        assert_int_equal(back, samples[i]);
    }
}

static void test_roc_format(void **state)
{
    char out[64];
    assert_true(egov_time_roc_date(2026, 11, 27, out, sizeof(out)));
    assert_string_equal(out, "中華民國115年11月27日");
    assert_true(egov_time_roc_date(1912, 1, 1, out, sizeof(out)));
    assert_string_equal(out, "中華民國1年1月1日");
    assert_true(egov_time_roc_date(2024, 2, 29, out, sizeof(out)));
    assert_string_equal(out, "中華民國113年2月29日");
    assert_true(egov_time_roc_date(2000, 2, 29, out, sizeof(out)));
    assert_false(egov_time_roc_date(1911, 12, 31, out, sizeof(out)));
    assert_false(egov_time_roc_date(2023, 2, 29, out, sizeof(out)));
    assert_false(egov_time_roc_date(2100, 2, 29, out, sizeof(out)));
    assert_false(egov_time_roc_date(2026, 4, 31, out, sizeof(out)));
    assert_false(egov_time_roc_date(2026, 13, 1, out, sizeof(out)));
    assert_false(egov_time_roc_date(2026, 0, 1, out, sizeof(out)));
    assert_false(egov_time_roc_date(2026, 1, 0, out, sizeof(out)));
    /* too small a buffer is refused, not truncated */
    char small[10];
    assert_false(egov_time_roc_date(2026, 11, 27, small, sizeof(small)));
}

static void test_roc_parse(void **state)
{
    static const struct {
        const char *s;
        int y, m, d;
    } good[] = {
        {"中華民國115年11月27日", 2026, 11, 27},
        {"民國115年11月27日", 2026, 11, 27},
        {"115/11/27", 2026, 11, 27},
        {"1151127", 2026, 11, 27},
        {"中華民國1年1月1日", 1912, 1, 1},
        {"1/1/1", 1912, 1, 1},
        {"0010101", 1912, 1, 1},
        {"010101", 1912, 1, 1},
        {"991231", 2010, 12, 31},
        {"0991231", 2010, 12, 31},
        {"113/02/29", 2024, 2, 29},
        {"1130229", 2024, 2, 29},
        {"中華民國89年2月29日", 2000, 2, 29},
        {"中華民國115年01月05日", 2026, 1, 5},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        int y = 0, m = 0, d = 0;
        if (!egov_time_parse_roc_date(good[i].s, &y, &m, &d))
            fail_msg("rejected %s", good[i].s);
        if (y != good[i].y || m != good[i].m || d != good[i].d)
            fail_msg("%s: got %d-%d-%d", good[i].s, y, m, d);
    }
    static const char *const bad[] = {
        "",
        "115/02/29", /* 2026 is not a leap year */
        "1150229",
        "中華民國189年2月29日", /* 2100 is not a leap year */
        "中華民國115年13月1日",
        "中華民國115年11月31日",
        "中華民國115年11月0日",
        "中華民國0年1月1日", /* before 1912 */
        "0/1/1",
        "0000101",
        "中華民國115年11月27",
        "中華民國115年11月27日 ",
        "中華民國-1年1月1日",
        "中華115年11月27日",
        "115/11/27x",
        "115-11-27",
        "115//27",
        "115/123/1",
        "11511270", /* 8 digits */
        "11127",    /* 5 digits */
        "115112a",
        "2026/11/27x",
        "中華民國99999年1月1日",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int y = 0, m = 0, d = 0;
        if (egov_time_parse_roc_date(bad[i], &y, &m, &d))
            fail_msg("accepted %s as %d-%d-%d", bad[i], y, m, d);
    }
    int y, m, d;
    assert_false(egov_time_parse_roc_date(NULL, &y, &m, &d));
}

static void test_roc_round_trip(void **state)
{
    /* every day of a leap year and a common year */
    static const int years[] = {1912, 2024, 2026};
    for (size_t yi = 0; yi < sizeof(years) / sizeof(years[0]); yi++) {
        for (int m = 1; m <= 12; m++) {
            for (int d = 1; d <= 31; d++) {
                char out[64];
                bool ok = egov_time_roc_date(years[yi], m, d, out, sizeof(out));
                int y2 = 0, m2 = 0, d2 = 0;
                char slash[32];
                snprintf(slash, sizeof(slash), "%d/%d/%d", years[yi] - 1911, m, d);
                assert_int_equal(egov_time_parse_roc_date(slash, &y2, &m2, &d2), ok);
                if (!ok)
                    continue;
                assert_true(egov_time_parse_roc_date(out, &y2, &m2, &d2));
                assert_int_equal(y2, years[yi]);
                assert_int_equal(m2, m);
                assert_int_equal(d2, d);
            }
        }
    }
}

static void test_http_date(void **state)
{
    char out[30];
    egov_time_http_date(784111777, out);
    assert_string_equal(out, "Sun, 06 Nov 1994 08:49:37 GMT");
    egov_time_http_date(0, out);
    assert_string_equal(out, "Thu, 01 Jan 1970 00:00:00 GMT");
    egov_time_http_date(1795737600, out);
    assert_string_equal(out, "Fri, 27 Nov 2026 00:00:00 GMT");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clocks),        cmocka_unit_test(test_rfc3339_format),
        cmocka_unit_test(test_rfc3339_parse), cmocka_unit_test(test_rfc3339_round_trip),
        cmocka_unit_test(test_taipei),        cmocka_unit_test(test_roc_format),
        cmocka_unit_test(test_roc_parse),     cmocka_unit_test(test_roc_round_trip),
        cmocka_unit_test(test_http_date),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
