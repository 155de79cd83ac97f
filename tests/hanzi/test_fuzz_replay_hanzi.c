/*
 * test_fuzz_replay_hanzi.c -- replays every file of
 * tests/fuzz/corpus/hanzi_<decoder>/ through the hanzi fuzz targets, so the
 * corpora (seeds and any crashers found by libFuzzer) run under the
 * sanitizers in every test run.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

#include "../fuzz/hanzi_targets.c"

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
    corpus_dir(target, dir, sizeof dir);
    DIR *d = opendir(dir);
    if (d == NULL)
        fail_msg("cannot open corpus %s", dir);
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
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
