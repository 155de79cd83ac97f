/*
 * test_arena.c -- the per-request arena: many and big allocations,
 * alignment, cleanup order, strdup/printf.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"

static void test_many_small(void **state)
{
    struct egov_arena *a = egov_arena_create(512);
    assert_non_null(a);
    unsigned char *ptrs[5000];
    for (int i = 0; i < 5000; i++) {
        size_t n = (size_t)(i % 37) + 1;
        ptrs[i] = egov_arena_alloc(a, n);
        assert_non_null(ptrs[i]);
        memset(ptrs[i], i & 0xFF, n);
    }
    /* nothing overlapped: every block still holds its own pattern */
    for (int i = 0; i < 5000; i++) {
        size_t n = (size_t)(i % 37) + 1;
        for (size_t k = 0; k < n; k++)
            assert_int_equal(ptrs[i][k], i & 0xFF);
    }
    assert_true(egov_arena_used(a) >= 5000);
    egov_arena_destroy(a);
}

static void test_big_blocks(void **state)
{
    struct egov_arena *a = egov_arena_create(1024);
    assert_non_null(a);
    char *small1 = egov_arena_alloc(a, 16);
    char *big = egov_arena_alloc(a, 1 << 20);
    char *small2 = egov_arena_alloc(a, 16);
    assert_non_null(small1);
    assert_non_null(big);
    assert_non_null(small2);
    memset(big, 'x', 1 << 20);
    memset(small1, 'a', 16);
    memset(small2, 'b', 16);
    assert_int_equal(big[0], 'x');
    assert_int_equal(big[(1 << 20) - 1], 'x');
    assert_int_equal(small1[15], 'a');
    assert_true(egov_arena_used(a) >= (1 << 20) + 32);
    /* absurd sizes fail cleanly */
    assert_null(egov_arena_alloc(a, SIZE_MAX));
    assert_null(egov_arena_alloc(a, SIZE_MAX / 2 + 1));
    egov_arena_destroy(a);
}

static void test_alignment(void **state)
{
    struct egov_arena *a = egov_arena_create(300);
    assert_non_null(a);
    for (size_t n = 0; n < 200; n++) {
        void *p = egov_arena_alloc(a, n);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
    }
    unsigned char *z = egov_arena_calloc(a, 1000);
    assert_non_null(z);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(z[i], 0);
    egov_arena_destroy(a);
}

static int order[8];
static int norder;

static void record(void *arg)
{
    order[norder++] = (int)(intptr_t)arg;
}

static void test_cleanup_order(void **state)
{
    norder = 0;
    struct egov_arena *a = egov_arena_create(256);
    assert_non_null(a);
    for (intptr_t i = 1; i <= 5; i++) {
        assert_true(egov_arena_add_cleanup(a, record, (void *)i));
        /* cleanups interleaved with allocations that force new blocks */
        assert_non_null(egov_arena_alloc(a, 200));
    }
    assert_int_equal(norder, 0);
    egov_arena_destroy(a);
    assert_int_equal(norder, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(order[i], 5 - i); /* last registered runs first */
    egov_arena_destroy(NULL);
}

static void test_cleanup_oom_runs_at_once(void **state)
{
    norder = 0;
    struct egov_arena *a = egov_arena_create(256);
    assert_non_null(a);
    /* fill the first block so the cleanup record needs a new block */
    assert_non_null(egov_arena_alloc(a, 256));
    egov_alloc_fail_nth(1);
    assert_false(egov_arena_add_cleanup(a, record, (void *)(intptr_t)7));
    egov_alloc_fail_nth(0);
    assert_int_equal(norder, 1);
    assert_int_equal(order[0], 7);
    egov_arena_destroy(a);
    assert_int_equal(norder, 1);
}

static void test_strings(void **state)
{
    struct egov_arena *a = egov_arena_create(64);
    assert_non_null(a);
    char *s = egov_arena_strdup(a, "中華民國");
    assert_string_equal(s, "中華民國");
    assert_null(egov_arena_strdup(a, NULL));
    char *t = egov_arena_strndup(a, "abcdef", 3);
    assert_string_equal(t, "abc");
    char *p = egov_arena_printf(a, "%s-%d-%05.1f", "x", 42, 3.14159);
    assert_string_equal(p, "x-42-003.1");
    /* a long printf that does not fit in a block */
    char *long_s = egov_arena_printf(a, "%2000s", "y");
    assert_non_null(long_s);
    assert_int_equal(strlen(long_s), 2000);
    assert_int_equal(long_s[1999], 'y');
    egov_arena_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_small),
        cmocka_unit_test(test_big_blocks),
        cmocka_unit_test(test_alignment),
        cmocka_unit_test(test_cleanup_order),
        cmocka_unit_test(test_cleanup_oom_runs_at_once),
        cmocka_unit_test(test_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
