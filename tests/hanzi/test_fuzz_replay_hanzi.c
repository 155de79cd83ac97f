/*
 * test_fuzz_replay_hanzi.c -- replays every file of
 * tests/fuzz/corpus/hanzi_<decoder>/ through the hanzi fuzz targets, so the
 * corpora (seeds and any crashers found by libFuzzer) run under the
 * sanitizers in every test run.
 */
#include "testlib.h"

#include "../fuzz/hanzi_targets.c"

/* Replays tests/fuzz/corpus/<target>; fails the test if it is empty or unreadable. */
static void replay(const char *target, int (*fn)(const uint8_t *, size_t))
{
    assert_true(egov_test_replay_corpus(target, fn) > 0);
}

static void test_utf8(void **state)
{
    replay("hanzi_utf8", egov_fuzz_hanzi_utf8);
}

static void test_cns(void **state)
{
    replay("hanzi_cns", egov_fuzz_hanzi_cns);
}

static void test_euctw(void **state)
{
    replay("hanzi_euctw", egov_fuzz_hanzi_euctw);
}

static void test_big5(void **state)
{
    replay("hanzi_big5", egov_fuzz_hanzi_big5);
}

static void test_dci(void **state)
{
    replay("hanzi_dci", egov_fuzz_hanzi_dci);
}

static void test_tax(void **state)
{
    replay("hanzi_tax", egov_fuzz_hanzi_tax);
}

static int teardown(void **state)
{
    egov_hanzi_tables_unload();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8), cmocka_unit_test(test_cns), cmocka_unit_test(test_euctw),
        cmocka_unit_test(test_big5), cmocka_unit_test(test_dci), cmocka_unit_test(test_tax),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
