/*
 * test_fuzz_replay.c -- replays every file of tests/fuzz/corpus/<target>/
 * through the fuzz targets, so the corpora (seeds and any crashers found
 * by libFuzzer) run under the sanitizers in every test run.
 */
#include "testlib.h"

#include "../fuzz/targets.c"

/* Replays tests/fuzz/corpus/<target>; fails the test if it is empty or unreadable. */
static void replay(const char *target, int (*fn)(const uint8_t *, size_t))
{
    assert_true(egov_test_replay_corpus(target, fn) > 0);
}

static void test_json(void **state)
{
    replay("json", egov_fuzz_json);
}

static void test_rfc3339(void **state)
{
    replay("rfc3339", egov_fuzz_rfc3339);
}

static void test_roc(void **state)
{
    replay("roc", egov_fuzz_roc);
}

static void test_utf8(void **state)
{
    replay("utf8", egov_fuzz_utf8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_roc),
        cmocka_unit_test(test_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
