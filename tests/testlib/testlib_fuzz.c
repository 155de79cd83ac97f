/*
 * testlib_fuzz.c -- replaying fuzz corpora in the cmocka test programs.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

/* Largest input read from one corpus file. */
#define EGOV_TEST_CORPUS_MAX (1u << 20)

/* Puts the path of corpus @p dir in @p out: tests/fuzz/corpus/<dir> next to
 * this source file, or @p dir itself when absolute.  False if too long. */
static bool corpus_path(const char *dir, char *out, size_t n)
{
    int w;
    if (dir[0] == '/') {
        w = snprintf(out, n, "%s", dir);
    } else {
        const char *file = __FILE__;
        const char *slash = strrchr(file, '/');
        int len = slash == NULL ? 0 : (int)(slash - file);
        w = snprintf(out, n, "%.*s%s../fuzz/corpus/%s", len, file, len > 0 ? "/" : "", dir);
    }
    return w > 0 && (size_t)w < n;
}

/* Reads up to EGOV_TEST_CORPUS_MAX bytes of @p path into a new buffer of
 * exactly that size (1 byte for an empty file) in *@p out, length in *@p len.
 * The caller frees *@p out.  False (after printing why) on failure. */
static bool read_exact(const char *path, uint8_t **out, size_t *len)
{
    uint8_t *buf = NULL, *exact = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
        return false;
    }
    buf = malloc(EGOV_TEST_CORPUS_MAX);
    if (buf == NULL)
        goto fail;
    size_t n = fread(buf, 1, EGOV_TEST_CORPUS_MAX, f);
    if (ferror(f)) {
        fprintf(stderr, "cannot read %s\n", path);
        goto fail;
    }
    exact = malloc(n == 0 ? 1 : n);
    if (exact == NULL)
        goto fail;
    memcpy(exact, buf, n);
    free(buf);
    fclose(f);
    *out = exact;
    *len = n;
    return true;
fail:
    free(buf);
    fclose(f);
    return false;
}

int egov_test_replay_corpus(const char *dir, int (*target)(const uint8_t *, size_t))
{
    char path[2048];
    if (!corpus_path(dir, path, sizeof path)) {
        fprintf(stderr, "corpus path too long: %s\n", dir);
        return -1;
    }
    size_t dlen = strlen(path);
    DIR *d = opendir(path);
    if (d == NULL) {
        fprintf(stderr, "cannot open corpus %s: %s\n", path, strerror(errno));
        return -1;
    }
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        int w = snprintf(path + dlen, sizeof path - dlen, "/%s", e->d_name);
        if (w < 0 || (size_t)w >= sizeof path - dlen) {
            fprintf(stderr, "corpus file name too long: %s\n", e->d_name);
            files = -1;
            break;
        }
        uint8_t *data;
        size_t n;
        if (!read_exact(path, &data, &n)) {
            files = -1;
            break;
        }
        target(data, n);
        free(data);
        files++;
        path[dlen] = '\0';
    }
    closedir(d);
    return files;
}
