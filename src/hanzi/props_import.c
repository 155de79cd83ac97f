/*
 * props_import.c -- imports the official 全字庫 Properties folder
 * (CNS_stroke.txt, CNS_radical.txt, CNS_phonetic.txt) into one compact
 * file, vardir/hanzi/props.tsv, keyed by CNS code:
 *
 *   # egov hanzi properties 1
 *   1-4421<TAB>1<TAB>1<TAB>ㄧ ㄧˊ ㄧˋ
 *
 * (code, strokes, radical number, readings in file order; 0 / empty when
 * the official files have no value).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hanzi/props_internal.h"

#define CNS_PLANES   32u
#define CNS_CELLS    (94u * 94u)
#define NCELLS       (CNS_PLANES * CNS_CELLS)
#define LINE_MAX_LEN 512

struct cell {
    uint8_t strokes;
    uint8_t radical;
    uint8_t present;
    struct egov_buf zhuyin; /* readings, space-separated */
};

struct import {
    struct cell *cells;
    char path[1024];
    unsigned long lineno;
};

/* "1-4421" -> cell index; false if malformed. */
static bool cell_of(const char *s, size_t n, size_t *idx)
{
    const char *dash = memchr(s, '-', n);
    if (dash == NULL || dash == s || dash - s > 2 || (size_t)(s + n - dash) != 5)
        return false;
    unsigned plane = 0, code = 0;
    for (const char *p = s; p < dash; p++) {
        if (*p < '0' || *p > '9')
            return false;
        plane = plane * 10 + (unsigned)(*p - '0');
    }
    for (const char *p = dash + 1; p < s + n; p++) {
        unsigned d;
        if (*p >= '0' && *p <= '9')
            d = (unsigned)(*p - '0');
        else if (*p >= 'A' && *p <= 'F')
            d = (unsigned)(*p - 'A' + 10);
        else if (*p >= 'a' && *p <= 'f')
            d = (unsigned)(*p - 'a' + 10);
        else
            return false;
        code = code * 16 + d;
    }
    unsigned hi = code >> 8, lo = code & 0xff;
    if (plane < 1 || plane >= CNS_PLANES || hi < 0x21 || hi > 0x7e || lo < 0x21 || lo > 0x7e)
        return false;
    *idx = plane * CNS_CELLS + (hi - 0x21) * 94u + (lo - 0x21);
    return true;
}

enum column { COL_STROKES, COL_RADICAL, COL_ZHUYIN };

/* Reads one two-column file into the cells. */
static bool read_file(struct import *im, const char *dir, const char *name, enum column col,
                      unsigned long *lines, char *err, size_t errlen)
{
    bool ok = false;
    char line[LINE_MAX_LEN];
    int pn = snprintf(im->path, sizeof(im->path), "%s/%s", dir, name);
    if (pn < 0 || (size_t)pn >= sizeof(im->path)) {
        snprintf(err, errlen, "path too long");
        return false;
    }
    FILE *f = fopen(im->path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", im->path, strerror(errno));
        return false;
    }
    im->lineno = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        im->lineno++;
        size_t l = strlen(line);
        if (l == sizeof(line) - 1 && line[l - 1] != '\n') {
            snprintf(err, errlen, "%s:%lu: line too long", name, im->lineno);
            goto fail;
        }
        while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == '\r' || line[l - 1] == ' '))
            line[--l] = '\0';
        if (l == 0)
            continue;
        /* a UTF-8 byte-order mark on the first line */
        char *p = line;
        if (im->lineno == 1 && l >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
            p += 3;
        char *tab = strchr(p, '\t');
        size_t idx;
        if (tab == NULL || !cell_of(p, (size_t)(tab - p), &idx) || tab[1] == '\0') {
            snprintf(err, errlen, "%s:%lu: malformed line", name, im->lineno);
            goto fail;
        }
        const char *v = tab + 1;
        struct cell *c = &im->cells[idx];
        if (col == COL_ZHUYIN) {
            uint8_t letters[3], tone;
            size_t vl = strlen(v);
            if (hz_zhuyin_parse(v, vl, false, letters, &tone) != vl) {
                snprintf(err, errlen, "%s:%lu: not a 注音 syllable", name, im->lineno);
                goto fail;
            }
            if (c->zhuyin.len > 3000) {
                snprintf(err, errlen, "%s:%lu: too many readings for one character", name,
                         im->lineno);
                goto fail;
            }
            if (c->zhuyin.len > 0)
                egov_buf_putc(&c->zhuyin, ' ');
            egov_buf_puts(&c->zhuyin, v);
            if (c->zhuyin.oom) {
                snprintf(err, errlen, "out of memory");
                goto fail;
            }
        } else {
            char *end;
            errno = 0;
            long n = strtol(v, &end, 10);
            long max = col == COL_STROKES ? 99 : 214;
            if (errno != 0 || *end != '\0' || n < 1 || n > max) {
                snprintf(err, errlen, "%s:%lu: number out of range 1..%ld", name, im->lineno, max);
                goto fail;
            }
            if (col == COL_STROKES)
                c->strokes = (uint8_t)n;
            else
                c->radical = (uint8_t)n;
        }
        c->present = 1;
        (*lines)++;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error", im->path);
        goto fail;
    }
    ok = true;
fail:
    fclose(f);
    return ok;
}

/* Makes @p path (one level) if it does not exist. */
static bool ensure_dir(const char *path, char *err, size_t errlen)
{
    if (mkdir(path, 0755) == 0 || errno == EEXIST)
        return true;
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return false;
}

bool egov_hanzi_props_import(const char *srcdir, const char *vardir, unsigned long *entries,
                             char *err, size_t errlen)
{
    bool ok = false;
    struct import im;
    char dir[1024], out[1024], tmp[1100];
    FILE *f = NULL;
    unsigned long lines = 0, written = 0;
    struct stat st;

    memset(&im, 0, sizeof(im));
    tmp[0] = '\0';
    if (entries != NULL)
        *entries = 0;
    if (srcdir == NULL || vardir == NULL || *srcdir == '\0' || *vardir == '\0') {
        snprintf(err, errlen, "a source and a data directory are needed");
        return false;
    }
    int pn = snprintf(dir, sizeof(dir), "%s/Properties", srcdir);
    if (pn < 0 || (size_t)pn >= sizeof(dir)) {
        snprintf(err, errlen, "path too long");
        return false;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        snprintf(dir, sizeof(dir), "%s", srcdir);
    im.cells = egov_calloc(NCELLS, sizeof(*im.cells));
    if (im.cells == NULL) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    if (!read_file(&im, dir, "CNS_stroke.txt", COL_STROKES, &lines, err, errlen) ||
        !read_file(&im, dir, "CNS_radical.txt", COL_RADICAL, &lines, err, errlen) ||
        !read_file(&im, dir, "CNS_phonetic.txt", COL_ZHUYIN, &lines, err, errlen))
        goto fail;

    pn = snprintf(out, sizeof(out), "%s/hanzi", vardir);
    if (pn < 0 || (size_t)pn >= sizeof(out)) {
        snprintf(err, errlen, "path too long");
        goto fail;
    }
    if (!ensure_dir(vardir, err, errlen) || !ensure_dir(out, err, errlen))
        goto fail;
    snprintf(out, sizeof(out), "%s/hanzi/props.tsv", vardir);
    snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", out, (long)getpid());
    f = fopen(tmp, "w");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        goto fail;
    }
    fprintf(f, "# egov hanzi properties 1\n");
    for (size_t i = 0; i < NCELLS; i++) {
        struct cell *c = &im.cells[i];
        if (!c->present)
            continue;
        unsigned plane = (unsigned)(i / CNS_CELLS), rest = (unsigned)(i % CNS_CELLS);
        fprintf(f, "%u-%02X%02X\t%u\t%u\t%s\n", plane, rest / 94 + 0x21, rest % 94 + 0x21,
                c->strokes, c->radical, c->zhuyin.data != NULL ? c->zhuyin.data : "");
        written++;
    }
    if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        goto fail;
    }
    if (fclose(f) != 0) {
        f = NULL;
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        goto fail;
    }
    f = NULL;
    if (rename(tmp, out) != 0) {
        snprintf(err, errlen, "%s: %s", out, strerror(errno));
        goto fail;
    }
    tmp[0] = '\0';
    if (entries != NULL)
        *entries = written;
    ok = true;
fail:
    if (f != NULL)
        fclose(f);
    if (!ok && tmp[0] != '\0')
        unlink(tmp);
    if (im.cells != NULL) {
        for (size_t i = 0; i < NCELLS; i++)
            egov_buf_free(&im.cells[i].zhuyin);
        egov_free(im.cells);
    }
    return ok;
}
