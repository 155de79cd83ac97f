/*
 * test_fuzz_replay_jose.c -- replays tests/fuzz/corpus/jose through the
 * JOSE fuzz target (tests/fuzz/jose_targets.c) under the sanitizers, so
 * every build checks what the fuzzer found.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

#include "../fuzz/jose_targets.c"

static void test_replay(void **state)
{
    (void)state;
    char dir[1024];
    const char *file = __FILE__;
    const char *slash = strrchr(file, '/');
    int len = slash == NULL ? 0 : (int)(slash - file);
    int w = snprintf(dir, sizeof dir, "%.*s%s../fuzz/corpus/jose", len, file, len > 0 ? "/" : "");
    assert_true(w > 0 && (size_t)w < sizeof dir);
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
        uint8_t *buf = malloc(1 << 16);
        assert_non_null(buf);
        size_t n = fread(buf, 1, 1 << 16, f);
        fclose(f);
        /* an exact-size copy so ASan sees reads past the input */
        uint8_t *exact = malloc(n == 0 ? 1 : n);
        assert_non_null(exact);
        memcpy(exact, buf, n);
        free(buf);
        egov_fuzz_jose(exact, n);
        free(exact);
        files++;
    }
    closedir(d);
    assert_true(files >= 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
