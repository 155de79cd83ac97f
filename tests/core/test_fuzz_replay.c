/*
 * test_fuzz_replay.c -- replays every file of tests/fuzz/corpus/<target>/
 * through the fuzz targets, so the corpora (seeds and any crashers found
 * by libFuzzer) run under the sanitizers in every test run.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../fuzz/targets.c"

/* tests/fuzz/corpus, found next to this source file. */
static void corpus_dir(const char *target, char *out, size_t n)
{
    const char *file = __FILE__;
    const char *slash = strrchr(file, '/');
    int len = slash == NULL ? 0 : (int)(slash - file);
    int w = snprintf(out, n, "%.*s%s../fuzz/corpus/%s", len, file, len > 0 ? "/" : "", target);
    assert_true(w > 0 && (size_t)w < n);
}

static void replay(const char *target, int (*fn)(const uint8_t *, size_t))
{
    char dir[1024];
    corpus_dir(target, dir, sizeof(dir));
    DIR *d = opendir(dir);
    if (d == NULL)
        fail_msg("cannot open corpus %s", dir);
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[2048];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        uint8_t *buf = malloc(1 << 20);
        assert_non_null(buf);
        size_t n = fread(buf, 1, 1 << 20, f);
        fclose(f);
        /* an exact-size copy so ASan sees reads past the input */
        uint8_t *exact = malloc(n == 0 ? 1 : n);
        assert_non_null(exact);
        memcpy(exact, buf, n);
        free(buf);
        fn(exact, n);
        free(exact);
        files++;
    }
    closedir(d);
    assert_true(files > 0);
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
