/*
 * test_alloc_faults.c -- fault injection: for every N, fail the N-th
 * allocation inside arena, buffer, JSON and configuration operations and
 * check that each fails cleanly (no crash; AddressSanitizer's leak check
 * at exit catches anything left behind), then succeeds once N passes the
 * number of allocations the operation makes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"

/* An operation under test: returns true on success. */
typedef bool (*op_fn)(void);

/*
 * Runs @p op with the N-th allocation failing for N = 1, 2, ... until it
 * makes fewer than N allocations.  Every failing run must report failure.
 * Returns the number of allocations the operation makes.
 */
static unsigned long fail_each(op_fn op, const char *what)
{
    unsigned long before = egov_alloc_count();
    assert_true(op());
    unsigned long total = egov_alloc_count() - before;
    assert_true(total > 0);
    for (unsigned long n = 1; n <= total; n++) {
        egov_alloc_fail_nth(n);
        bool ok = op();
        egov_alloc_fail_nth(0);
        if (ok)
            fail_msg("%s: succeeded although allocation %lu of %lu failed", what, n, total);
    }
    /* one past the last allocation: nothing fails */
    egov_alloc_fail_nth(total + 1);
    assert_true(op());
    egov_alloc_fail_nth(0);
    return total;
}

static int cleanups_run;

static void count_cleanup(void *arg)
{
    free(arg);
    cleanups_run++;
}

static bool arena_op(void)
{
    bool ok = false;
    struct egov_arena *a = egov_arena_create(256);
    if (a == NULL)
        goto done;
    /* a malloc'd object owned through a cleanup: must be freed even on OOM */
    if (!egov_arena_add_cleanup(a, count_cleanup, malloc(16)))
        goto done;
    for (int i = 0; i < 20; i++)
        if (egov_arena_alloc(a, 100) == NULL)
            goto done;
    if (egov_arena_alloc(a, 10000) == NULL)
        goto done;
    if (egov_arena_printf(a, "%0500d", 1) == NULL || egov_arena_strdup(a, "中文") == NULL)
        goto done;
    ok = true;
done:
    egov_arena_destroy(a);
    return ok;
}

static bool buf_op(void)
{
    struct egov_buf b;
    egov_buf_init(&b);
    for (int i = 0; i < 200; i++)
        egov_buf_printf(&b, "<%d>", i);
    egov_buf_html_escape(&b, "<&>", 3);
    char *s = egov_buf_steal(&b);
    bool ok = s != NULL && strncmp(s, "<0><1>", 6) == 0;
    egov_free(s);
    return ok;
}

static bool json_op(void)
{
    static const char text[] =
        "{\"name\":\"王小明\",\"age\":30,\"tags\":[\"a\",\"b\",{\"c\":[1,2,3]}],\"ok\":true}";
    struct egov_json_error err;
    bool ok = false;
    char *out = NULL;
    json_t *j = egov_json_loads(text, sizeof(text) - 1, &err);
    if (j == NULL) {
        /* jansson reports most allocation failures as such, but a few
         * inside its lexer surface as a syntax error */
        assert_true(err.ec == EGOV_EC_GENERIC_OOM || err.ec == EGOV_EC_GENERIC_JSON_INVALID);
        goto done;
    }
    const char *name = NULL;
    int64_t age = 0;
    const struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_STRING_LEN("name", &name, 1, 10),
        EGOV_JSON_SPEC_INT("age", &age, 0, 150),
        EGOV_JSON_SPEC_END,
    };
    if (!egov_json_parse_spec(j, spec, &err))
        goto done;
    out = egov_json_dumps(j);
    if (out == NULL)
        goto done;
    ok = strcmp(out, text) == 0;
done:
    egov_free(out);
    json_decref(j);
    return ok;
}

static char cfg_path[64];

static bool config_op(void)
{
    struct egov_config c;
    struct egov_cfg_problems p = {0};
    egov_config_defaults(&c);
    bool ok = egov_config_load_file(&c, cfg_path, &p);
    struct egov_buf out;
    egov_buf_init(&out);
    egov_config_dump(&c, &out);
    char *s = egov_buf_steal(&out);
    ok = ok && s != NULL && strstr(s, "url = \"  sqlite:x.db\"") != NULL;
    egov_free(s);
    return ok;
}

static void test_arena_faults(void **state)
{
    cleanups_run = 0;
    unsigned long n = fail_each(arena_op, "arena");
    /* every run, failed or not, ran the cleanup once it was registered */
    assert_true(cleanups_run >= 2);
    assert_true(n >= 3);
}

static void test_buf_faults(void **state)
{
    assert_true(fail_each(buf_op, "buf") >= 3);
}

static void test_json_faults(void **state)
{
    /* route jansson's own allocations through the counting allocator */
    json_set_alloc_funcs(egov_malloc, egov_free);
    assert_true(fail_each(json_op, "json") >= 10);
    json_set_alloc_funcs(malloc, free);
}

static void test_config_faults(void **state)
{
    snprintf(cfg_path, sizeof(cfg_path), "/tmp/egov-test-faults-XXXXXX");
    int fd = mkstemp(cfg_path);
    assert_true(fd >= 0);
    static const char text[] = "[db]\nurl = \"  sqlite:x.db\"\n[http]\nlisten = [::1]:80\n";
    assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
    close(fd);
    assert_true(fail_each(config_op, "config") >= 2);
    unlink(cfg_path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_faults),
        cmocka_unit_test(test_buf_faults),
        cmocka_unit_test(test_json_faults),
        cmocka_unit_test(test_config_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
