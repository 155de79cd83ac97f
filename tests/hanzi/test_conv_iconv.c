/*
 * test_conv_iconv.c -- Big5 output equals glibc `iconv -t CP950` on every
 * code point both can encode, one character at a time and as one long
 * text; and Big5 input decodes as glibc decodes it.
 */
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hanzi/hanzi.h"
#include "hanzi/table.h"
#include "testlib.h"

static int setup(void **state)
{
    char err[256];
    if (!egov_hanzi_tables_load(NULL, err, sizeof err))
        fail_msg("load: %s", err);
    return 0;
}

static int teardown(void **state)
{
    egov_hanzi_tables_unload();
    return 0;
}

/* iconv of UTF-8 @p in into CP950; returns the length or -1. */
static long glibc_cp950(iconv_t cd, const char *in, size_t n, char *out, size_t outlen)
{
    char *ip = (char *)in, *op = out;
    size_t il = n, ol = outlen;
    iconv(cd, NULL, NULL, NULL, NULL);
    if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1 || il != 0)
        return -1;
    if (iconv(cd, NULL, NULL, &op, &ol) == (size_t)-1)
        return -1;
    return (long)(outlen - ol);
}

static void test_encode_equals_iconv(void **state)
{
    const struct egov_hanzi_encoding *u8 = egov_hanzi_encoding_by_name("utf-8");
    const struct egov_hanzi_encoding *b5 = egov_hanzi_encoding_by_name("big5");
    iconv_t cd = iconv_open("CP950", "UTF-8");
    assert_true(cd != (iconv_t)-1);
    struct egov_buf out, text, want;
    struct egov_hanzi_error err;
    egov_buf_init(&out);
    egov_buf_init(&text);
    egov_buf_init(&want);
    unsigned long both = 0, only_iconv = 0, only_ours = 0, dropped = 0;
    for (uint32_t cp = 1; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        char in[4], g[16];
        size_t n = egov_utf8_encode(cp, in);
        long gl = glibc_cp950(cd, in, n, g, sizeof g);
        if (gl == 0) {
            /* glibc drops the tag characters U+E0000..U+E007F: nothing to compare */
            dropped++;
            continue;
        }
        /* the table says whether we can; the converter is run where both can */
        bool ours = cp < 0x80 || egov_hanzi_dbcs_enc(b5->t, cp) != 0;
        egov_buf_reset(&out);
        if (ours && gl >= 0)
            ours = egov_hanzi_convert(u8, b5, EGOV_HANZI_STRICT, in, n, &out, &err);
        if (gl >= 0 && ours) {
            if ((size_t)gl != out.len || memcmp(g, out.data, out.len) != 0)
                fail_msg("U+%04X: iconv gives %ld bytes %02X%02X, we give %zu bytes %02X%02X",
                         (unsigned)cp, gl, (unsigned char)g[0], (unsigned char)g[1], out.len,
                         (unsigned char)out.data[0], out.len > 1 ? (unsigned char)out.data[1] : 0);
            both++;
            egov_buf_append(&text, in, n);
            egov_buf_append(&want, g, (size_t)gl);
        } else if (gl >= 0) {
            printf("iconv only: U+%04X -> %02X%02X\n", (unsigned)cp, (unsigned char)g[0],
                   gl > 1 ? (unsigned char)g[1] : 0);
            only_iconv++;
        } else if (ours) {
            only_ours++;
        }
    }
    printf("CP950: %lu code points both encode identically; iconv only: %lu; ours only: %lu; "
           "dropped by iconv: %lu\n",
           both, only_iconv, only_ours, dropped);
    assert_true(both > 13000);
    /* glibc's table is the source of ours: nothing may be missing on either side */
    assert_int_equal(only_iconv, 0);
    assert_int_equal(only_ours, 0);
    /* the same as one long text */
    egov_buf_reset(&out);
    assert_true(egov_hanzi_convert(u8, b5, EGOV_HANZI_STRICT, text.data, text.len, &out, &err));
    assert_int_equal(out.len, want.len);
    assert_memory_equal(out.data, want.data, want.len);
    /* and back: every Big5 code decodes to what we encoded it from */
    struct egov_buf back;
    egov_buf_init(&back);
    assert_true(egov_hanzi_convert(b5, u8, EGOV_HANZI_STRICT, out.data, out.len, &back, &err));
    iconv_close(cd);
    egov_buf_free(&out);
    egov_buf_free(&text);
    egov_buf_free(&want);
    egov_buf_free(&back);
}

static void test_decode_equals_iconv(void **state)
{
    const struct egov_hanzi_encoding *u8 = egov_hanzi_encoding_by_name("utf-8");
    const struct egov_hanzi_encoding *b5 = egov_hanzi_encoding_by_name("cp950");
    iconv_t cd = iconv_open("UTF-8", "CP950");
    assert_true(cd != (iconv_t)-1);
    struct egov_buf out;
    struct egov_hanzi_error err;
    egov_buf_init(&out);
    unsigned long same = 0;
    for (unsigned code = 0x8140; code <= 0xFEFE; code++) {
        char in[2] = {(char)(code >> 8), (char)code}, g[8];
        char *ip = in, *op = g;
        size_t il = 2, ol = sizeof g;
        iconv(cd, NULL, NULL, NULL, NULL);
        bool gok = iconv(cd, &ip, &il, &op, &ol) != (size_t)-1 && il == 0;
        egov_buf_reset(&out);
        bool ours = egov_hanzi_convert(b5, u8, EGOV_HANZI_STRICT, in, 2, &out, &err);
        if (gok && sizeof g - ol == 1)
            continue; /* iconv read only the first byte as a character: not a pair */
        if (gok != ours)
            fail_msg("%04X: iconv %s, we %s", code, gok ? "decodes" : "refuses",
                     ours ? "decode" : "refuse");
        if (gok) {
            assert_int_equal(out.len, sizeof g - ol);
            assert_memory_equal(out.data, g, out.len);
            same++;
        }
    }
    printf("CP950: %lu two-byte codes decode as glibc decodes them\n", same);
    assert_true(same > 13000);
    iconv_close(cd);
    egov_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_equals_iconv),
        cmocka_unit_test(test_decode_equals_iconv),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
