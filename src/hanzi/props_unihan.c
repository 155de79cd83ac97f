/*
 * props_unihan.c -- streams the Unihan database as Debian's unicode-data
 * ships it (/usr/share/unicode/Unihan_<part>.txt.bz2), line by line, in
 * constant memory.
 */
#include <bzlib.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hanzi/props_internal.h"

#define UNIHAN_LINE_MAX 4096

/* Parses "U+XXXX" (4 to 6 hex digits).  0 if malformed. */
static uint32_t parse_ucode(const char *s, size_t n)
{
    if (n < 6 || n > 8 || s[0] != 'U' || s[1] != '+')
        return 0;
    uint32_t v = 0;
    for (size_t i = 2; i < n; i++) {
        char ch = s[i];
        int d;
        if (ch >= '0' && ch <= '9')
            d = ch - '0';
        else if (ch >= 'A' && ch <= 'F')
            d = ch - 'A' + 10;
        else if (ch >= 'a' && ch <= 'f')
            d = ch - 'a' + 10;
        else
            return 0;
        v = v * 16 + (uint32_t)d;
    }
    return v < HZ_CP_LIMIT ? v : 0;
}

/* Splits one line and calls fn.  Comment and blank lines are skipped. */
static bool handle_line(char *line, size_t len,
                        bool (*fn)(uint32_t, const char *, const char *, void *, char *, size_t),
                        void *ctx, char *err, size_t errlen)
{
    if (len > 0 && line[len - 1] == '\r')
        line[--len] = '\0';
    if (len == 0 || line[0] == '#')
        return true;
    char *t1 = memchr(line, '\t', len);
    if (t1 == NULL)
        return true;
    char *t2 = memchr(t1 + 1, '\t', len - (size_t)(t1 + 1 - line));
    if (t2 == NULL)
        return true;
    uint32_t cp = parse_ucode(line, (size_t)(t1 - line));
    if (cp == 0 || t1[1] != 'k')
        return true;
    *t1 = '\0';
    *t2 = '\0';
    return fn(cp, t1 + 1, t2 + 1, ctx, err, errlen);
}

bool hz_unihan_each(const char *dir, const char *part,
                    bool (*fn)(uint32_t cp, const char *field, const char *value, void *ctx,
                               char *err, size_t errlen),
                    void *ctx, char *err, size_t errlen)
{
    bool ok = false;
    char path[1024];
    FILE *f = NULL;
    BZFILE *bz = NULL;
    char *buf = NULL;
    int bzerr = BZ_OK;

    int pn = snprintf(path, sizeof(path), "%s/Unihan_%s.txt.bz2", dir, part);
    if (pn < 0 || (size_t)pn >= sizeof(path)) {
        snprintf(err, errlen, "Unihan directory path too long");
        goto fail;
    }
    f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto fail;
    }
    bz = BZ2_bzReadOpen(&bzerr, f, 0, 0, NULL, 0);
    if (bz == NULL || bzerr != BZ_OK) {
        snprintf(err, errlen, "%s: not a bzip2 file", path);
        goto fail;
    }
    buf = egov_malloc(UNIHAN_LINE_MAX + 65536);
    if (buf == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    size_t have = 0;
    for (;;) {
        int got = BZ2_bzRead(&bzerr, bz, buf + have, 65536);
        if (bzerr != BZ_OK && bzerr != BZ_STREAM_END) {
            snprintf(err, errlen, "%s: corrupt bzip2 data (%d)", path, bzerr);
            goto fail;
        }
        have += (size_t)got;
        size_t start = 0;
        for (;;) {
            char *nl = memchr(buf + start, '\n', have - start);
            if (nl == NULL)
                break;
            *nl = '\0';
            if (!handle_line(buf + start, (size_t)(nl - (buf + start)), fn, ctx, err, errlen))
                goto fail;
            start = (size_t)(nl - buf) + 1;
        }
        memmove(buf, buf + start, have - start);
        have -= start;
        if (bzerr == BZ_STREAM_END)
            break;
        if (have >= UNIHAN_LINE_MAX) {
            snprintf(err, errlen, "%s: line longer than %d bytes", path, UNIHAN_LINE_MAX);
            goto fail;
        }
    }
    if (have > 0) {
        buf[have] = '\0';
        if (!handle_line(buf, have, fn, ctx, err, errlen))
            goto fail;
    }
    ok = true;
fail:
    if (bz != NULL)
        BZ2_bzReadClose(&bzerr, bz);
    if (f != NULL)
        fclose(f);
    egov_free(buf);
    return ok;
}
