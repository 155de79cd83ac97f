/*
 * test_id.c -- UUIDv7: format, version and variant bits, timestamp,
 * strictly increasing order (also across threads), validation, random.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"

static void test_format(void **state)
{
    char u[37];
    int64_t before_ms = egov_now_us() / 1000;
    egov_uuid7(u);
    int64_t after_ms = egov_now_us() / 1000;
    assert_int_equal(strlen(u), 36);
    assert_true(egov_uuid_valid(u));
    assert_int_equal(u[8], '-');
    assert_int_equal(u[13], '-');
    assert_int_equal(u[18], '-');
    assert_int_equal(u[23], '-');
    assert_int_equal(u[14], '7');           /* version */
    assert_non_null(strchr("89ab", u[19])); /* variant 10xx */
    for (size_t i = 0; i < 36; i++)
        assert_non_null(strchr("0123456789abcdef-", u[i])); /* lower case */
    char hex[13];
    memcpy(hex, u, 8);
    memcpy(hex + 8, u + 9, 4);
    hex[12] = '\0';
    int64_t ms = (int64_t)strtoll(hex, NULL, 16);
    assert_true(ms >= before_ms && ms <= after_ms + 1);
}

#define N_IDS 10000

static void test_monotonic(void **state)
{
    char(*ids)[37] = malloc(sizeof(*ids) * N_IDS);
    assert_non_null(ids);
    for (int i = 0; i < N_IDS; i++) {
        egov_uuid7(ids[i]);
        if (i > 0 && strcmp(ids[i - 1], ids[i]) >= 0)
            fail_msg("not increasing: %s then %s", ids[i - 1], ids[i]);
        assert_int_equal(ids[i][14], '7');
    }
    free(ids);
}

#define THREADS    4
#define PER_THREAD 2500

static void *make_ids(void *arg)
{
    char(*ids)[37] = arg;
    for (int i = 0; i < PER_THREAD; i++)
        egov_uuid7(ids[i]);
    return NULL;
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void test_unique_across_threads(void **state)
{
    char(*ids)[37] = malloc(sizeof(*ids) * THREADS * PER_THREAD);
    assert_non_null(ids);
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, make_ids, ids + t * PER_THREAD), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    /* each thread's own sequence is increasing */
    for (int t = 0; t < THREADS; t++)
        for (int i = 1; i < PER_THREAD; i++)
            assert_true(strcmp(ids[t * PER_THREAD + i - 1], ids[t * PER_THREAD + i]) < 0);
    qsort(ids, THREADS * PER_THREAD, sizeof(*ids), cmp_id);
    for (int i = 1; i < THREADS * PER_THREAD; i++)
        if (strcmp(ids[i - 1], ids[i]) == 0)
            fail_msg("duplicate id %s", ids[i]);
    free(ids);
}

static void test_valid(void **state)
{
    assert_true(egov_uuid_valid("00000000-0000-0000-0000-000000000000"));
    assert_true(egov_uuid_valid("550e8400-e29b-41d4-a716-446655440000"));
    assert_true(egov_uuid_valid("550E8400-E29B-41D4-A716-446655440000"));
    assert_false(egov_uuid_valid(NULL));
    assert_false(egov_uuid_valid(""));
    assert_false(egov_uuid_valid("550e8400-e29b-41d4-a716-44665544000"));   /* short */
    assert_false(egov_uuid_valid("550e8400-e29b-41d4-a716-4466554400000")); /* long */
    assert_false(egov_uuid_valid("550e8400e29b-41d4-a716-4466554400000"));  /* hyphen */
    assert_false(egov_uuid_valid("550e8400-e29b-41d4-a716-44665544000g"));  /* not hex */
    assert_false(egov_uuid_valid("{50e8400-e29b-41d4-a716-446655440000"));
    assert_false(egov_uuid_valid("550e8400-e29b-41d4-a716_446655440000"));
}

static void test_random(void **state)
{
    unsigned char a[32], b[32], zero[32] = {0};
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    assert_true(egov_random(a, sizeof(a)));
    assert_true(egov_random(b, sizeof(b)));
    assert_memory_not_equal(a, b, sizeof(a));
    assert_memory_not_equal(a, zero, sizeof(a));
    assert_true(egov_random(a, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_monotonic),
        cmocka_unit_test(test_unique_across_threads),
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
