/*
 * test_variant_threads.c -- the first search key asked for by several
 * threads at once, with no explicit load: the defaults are loaded once and
 * every thread gets the same, variant-folded key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "hanzi/hanzi.h"

#define NTHREADS 4

static void *worker(void *arg)
{
    char **out = arg;
    *out = egov_hanzi_search_key("臺北市", strlen("臺北市"));
    return NULL;
}

static void test_first_use_from_threads(void **state)
{
    pthread_t t[NTHREADS];
    char *keys[NTHREADS] = {NULL};
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, &keys[i]), 0);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < NTHREADS; i++) {
        assert_non_null(keys[i]);
        assert_string_equal(keys[i], keys[0]);
    }
    char *other = egov_hanzi_search_key("台北市", strlen("台北市"));
    if (egov_hanzi_props_count() > 0)
        assert_string_equal(other, keys[0]);
    else
        printf("no Unihan data: keys fold width and case only\n");
    egov_free(other);
    for (int i = 0; i < NTHREADS; i++)
        egov_free(keys[i]);
    egov_hanzi_props_unload();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_use_from_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
