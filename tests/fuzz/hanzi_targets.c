/*
 * hanzi_targets.c -- bodies of the hanzi decoder fuzz targets: every
 * decoder shape of src/hanzi/conv.c (UTF-8, CNS plane-code notation,
 * EUC-TW, Big5/CP950, the agencies' double-byte codes, 財稅交換碼).
 * Each fuzz_hanzi_<name>.c wraps one in LLVMFuzzerTestOneInput;
 * tests/hanzi/test_fuzz_replay_hanzi.c includes this file and replays the
 * corpora under the sanitizers.
 *
 * The tables: the official ones if $EGOV_SHARED_DATA/cns11643 is there
 * (imported once into a temporary directory), else glibc's CP950 and
 * EUC-TW; the agency targets then have nothing to decode and return.
 *
 * Checks besides "does not crash", for every input:
 *  - strict either succeeds or names an offset inside the input whose
 *    bytes are the input's bytes there;
 *  - replace always succeeds and writes valid UTF-8;
 *  - the input fed in two pieces converts exactly as in one piece, and a
 *    strict error has the same offset;
 *  - what decodes strictly encodes back strictly, and that decodes to the
 *    same text again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hanzi/hanzi.h"

static void egov_fuzz_hanzi_load(void)
{
    static int loaded;
    char err[512], src[1024], var[1024];
    struct stat st;
    if (loaded)
        return;
    loaded = 1;
    const char *shared = getenv("EGOV_SHARED_DATA");
    const char *tmp = getenv("EGOV_TEST_TMP");
    snprintf(var, sizeof var, "%s/hanzi-fuzz-%ld", tmp ? tmp : "/tmp", (long)getpid());
    if (shared && snprintf(src, sizeof src, "%s/cns11643", shared) < (int)sizeof src &&
        stat(src, &st) == 0) {
        struct egov_hanzi_import_report rep;
        egov_buf_init(&rep.notes);
        if (tmp)
            mkdir(tmp, 0755);
        if (!egov_hanzi_import(src, var, &rep, err, sizeof err)) {
            fprintf(stderr, "import: %s\n", err);
            abort();
        }
        egov_buf_free(&rep.notes);
    }
    if (!egov_hanzi_tables_load(var, err, sizeof err)) {
        fprintf(stderr, "load: %s\n", err);
        abort();
    }
    /* the loaded tables are in memory now */
    char path[1100];
    snprintf(path, sizeof path, "%s/hanzi/tables.bin", var);
    unlink(path);
    snprintf(path, sizeof path, "%s/hanzi", var);
    rmdir(path);
    rmdir(var);
}

static bool egov_fuzz_hanzi_run(const struct egov_hanzi_encoding *from,
                                const struct egov_hanzi_encoding *to, enum egov_hanzi_policy pol,
                                const uint8_t *data, size_t size, size_t split,
                                struct egov_buf *out, struct egov_hanzi_error *err)
{
    struct egov_hanzi_conv *cv = egov_hanzi_conv_open(from, to, pol);
    if (!cv)
        abort();
    bool ok = egov_hanzi_conv_feed(cv, data, split, false, out, err) &&
              egov_hanzi_conv_feed(cv, data + split, size - split, true, out, err);
    egov_hanzi_conv_close(cv);
    return ok;
}

static int egov_fuzz_hanzi(const char *encname, const uint8_t *data, size_t size)
{
    egov_fuzz_hanzi_load();
    const struct egov_hanzi_encoding *e = egov_hanzi_encoding_by_name(encname);
    const struct egov_hanzi_encoding *u8 = egov_hanzi_encoding_by_name("utf-8");
    if (!u8)
        abort();
    if (!e)
        return 0; /* an imported table that is not loaded */
    struct egov_buf a, b, c, d;
    struct egov_hanzi_error ea, eb;
    egov_buf_init(&a);
    egov_buf_init(&b);
    egov_buf_init(&c);
    egov_buf_init(&d);
    size_t split = size ? data[0] % (size + 1) : 0;

    /* strict, in one piece and in two */
    bool oka = egov_hanzi_convert(e, u8, EGOV_HANZI_STRICT, data, size, &a, &ea);
    bool okb = egov_fuzz_hanzi_run(e, u8, EGOV_HANZI_STRICT, data, size, split, &b, &eb);
    if (oka != okb)
        abort();
    if (oka) {
        if (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len) != 0))
            abort();
        if (!egov_utf8_valid(a.data ? a.data : "", a.len, NULL))
            abort();
        /* back and forth */
        if (!egov_hanzi_convert(u8, e, EGOV_HANZI_STRICT, a.data ? a.data : "", a.len, &c, &ea))
            abort();
        if (!egov_hanzi_convert(e, u8, EGOV_HANZI_STRICT, c.data ? c.data : "", c.len, &d, &ea))
            abort();
        if (d.len != a.len || (a.len && memcmp(d.data, a.data, a.len) != 0))
            abort();
    } else {
        if (ea.ec == EGOV_EC_NONE || ea.offset != eb.offset || ea.ec != eb.ec)
            abort();
        if (ea.offset >= size || ea.nbytes == 0 || ea.offset + ea.nbytes > size ||
            memcmp(ea.bytes, data + ea.offset, ea.nbytes) != 0)
            abort();
    }

    /* replace and private always succeed, in one piece as in two */
    for (int pol = EGOV_HANZI_REPLACE; pol <= EGOV_HANZI_PRIVATE; pol++) {
        egov_buf_reset(&a);
        egov_buf_reset(&b);
        if (!egov_hanzi_convert(e, u8, (enum egov_hanzi_policy)pol, data, size, &a, &ea) ||
            !egov_fuzz_hanzi_run(e, u8, (enum egov_hanzi_policy)pol, data, size, split, &b, &eb))
            abort();
        if (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len) != 0))
            abort();
        if (!egov_utf8_valid(a.data ? a.data : "", a.len, NULL))
            abort();
    }
    /* and the other way: the input taken as UTF-8 (replace) into the encoding */
    egov_buf_reset(&c);
    if (!egov_hanzi_convert(u8, e, EGOV_HANZI_REPLACE, data, size, &c, &ea))
        abort();
    egov_buf_free(&a);
    egov_buf_free(&b);
    egov_buf_free(&c);
    egov_buf_free(&d);
    return 0;
}

__attribute__((unused)) static int egov_fuzz_hanzi_utf8(const uint8_t *data, size_t size)
{
    return egov_fuzz_hanzi("utf-8", data, size);
}

__attribute__((unused)) static int egov_fuzz_hanzi_cns(const uint8_t *data, size_t size)
{
    return egov_fuzz_hanzi("cns", data, size);
}

__attribute__((unused)) static int egov_fuzz_hanzi_euctw(const uint8_t *data, size_t size)
{
    return egov_fuzz_hanzi("euc-tw", data, size);
}

__attribute__((unused)) static int egov_fuzz_hanzi_big5(const uint8_t *data, size_t size)
{
    return egov_fuzz_hanzi("big5", data, size);
}

__attribute__((unused)) static int egov_fuzz_hanzi_dci(const uint8_t *data, size_t size)
{
    return egov_fuzz_hanzi("cns-dci", data, size);
}

__attribute__((unused)) static int egov_fuzz_hanzi_tax(const uint8_t *data, size_t size)
{
    return egov_fuzz_hanzi("cns-tax", data, size);
}
