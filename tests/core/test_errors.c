/*
 * test_errors.c -- the error registry: codes unique and ascending, HTTP
 * statuses sane, names and lookups consistent.  errors.def is expanded
 * here a second time so the test sees exactly what the build sees.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"

static const struct {
    int code;
    const char *name;
    unsigned int status;
    const char *hint;
} defs[] = {
#define EGOV_ERROR(code, name, status, hint) {code, #name, status, hint},
#include "core/errors.def"
#undef EGOV_ERROR
};

#define NDEFS (sizeof(defs) / sizeof(defs[0]))

static void test_codes_unique_and_ascending(void **state)
{
    assert_true(NDEFS > 10);
    assert_int_equal(defs[0].code, 0);
    assert_string_equal(defs[0].name, "NONE");
    for (size_t i = 1; i < NDEFS; i++) {
        if (defs[i].code <= defs[i - 1].code)
            fail_msg("%s (%d) does not follow %s (%d)", defs[i].name, defs[i].code,
                     defs[i - 1].name, defs[i - 1].code);
        for (size_t j = 0; j < i; j++)
            if (strcmp(defs[i].name, defs[j].name) == 0)
                fail_msg("name %s used twice", defs[i].name);
    }
}

static void test_statuses_and_hints(void **state)
{
    for (size_t i = 0; i < NDEFS; i++) {
        unsigned int st = defs[i].status;
        if (!(st == 200 || (st >= 400 && st <= 599)))
            fail_msg("%s: status %u", defs[i].name, st);
        if (i > 0 && defs[i].code < 2000 && defs[i].code >= 1000 && st == 200)
            fail_msg("%s: an error with status 200", defs[i].name);
        size_t n = strlen(defs[i].hint);
        if (n < 5 || strchr(".?!", defs[i].hint[n - 1]) == NULL)
            fail_msg("%s: hint should be a sentence: \"%s\"", defs[i].name, defs[i].hint);
        assert_true(egov_utf8_valid(defs[i].hint, n, NULL));
    }
}

static void test_lookups_round_trip(void **state)
{
    for (size_t i = 0; i < NDEFS; i++) {
        enum egov_ec ec = (enum egov_ec)defs[i].code;
        assert_string_equal(egov_ec_name(ec), defs[i].name);
        assert_int_equal(egov_ec_http_status(ec), defs[i].status);
        assert_string_equal(egov_ec_hint(ec), defs[i].hint);
        enum egov_ec back;
        assert_true(egov_ec_by_name(defs[i].name, &back));
        assert_int_equal(back, ec);
    }
    enum egov_ec back;
    assert_false(egov_ec_by_name("NO_SUCH_ERROR", &back));
    assert_false(egov_ec_by_name("", &back));
    assert_int_equal(egov_ec_http_status((enum egov_ec)999999), 500);
    assert_string_equal(egov_ec_name((enum egov_ec)999999), "UNKNOWN");
    assert_int_equal(egov_ec_http_status(EGOV_EC_GENERIC_NOT_FOUND), 404);
    assert_int_equal(egov_ec_http_status(EGOV_EC_GENERIC_JSON_INVALID), 400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codes_unique_and_ascending),
        cmocka_unit_test(test_statuses_and_hints),
        cmocka_unit_test(test_lookups_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
