/*
 * test_fuzz_replay_jose.c -- replays tests/fuzz/corpus/jose through the
 * JOSE fuzz target (tests/fuzz/jose_targets.c) under the sanitizers, so
 * every build checks what the fuzzer found.
 */
#include "testlib.h"

#include "../fuzz/jose_targets.c"

static void test_replay(void **state)
{
    (void)state;
    assert_true(egov_test_replay_corpus("jose", egov_fuzz_jose) >= 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
