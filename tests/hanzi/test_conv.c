/*
 * test_conv.c -- the converter on the built-in tables (glibc CP950 and
 * EUC-TW): conversions both ways, strict errors at the right offset with
 * the right bytes, the replace and private policies, streaming in pieces
 * of every size, constant memory, bad names and empty input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hanzi/hanzi.h"
#include "testlib.h"

static const struct egov_hanzi_encoding *enc(const char *name)
{
    const struct egov_hanzi_encoding *e = egov_hanzi_encoding_by_name(name);
    if (!e)
        fail_msg("encoding %s missing", name);
    return e;
}

/* Converts and returns a malloc'd copy of the output (length in *n), or NULL with *err. */
static char *conv(const char *from, const char *to, enum egov_hanzi_policy pol, const void *in,
                  size_t len, size_t *n, struct egov_hanzi_error *err)
{
    struct egov_buf out;
    egov_buf_init(&out);
    bool ok = egov_hanzi_convert(enc(from), enc(to), pol, in, len, &out, err);
    if (!ok) {
        egov_buf_free(&out);
        return NULL;
    }
    *n = out.len;
    char *s = malloc(out.len + 1);
    assert_non_null(s);
    if (out.len)
        memcpy(s, out.data, out.len);
    s[out.len] = '\0';
    egov_buf_free(&out);
    return s;
}

static void expect(const char *from, const char *to, enum egov_hanzi_policy pol, const char *in,
                   size_t len, const char *want, size_t wantlen)
{
    struct egov_hanzi_error err;
    size_t n = 0;
    char *got = conv(from, to, pol, in, len, &n, &err);
    if (!got)
        fail_msg("%s -> %s failed: %s", from, to, err.detail);
    assert_int_equal(n, wantlen);
    assert_memory_equal(got, want, wantlen);
    free(got);
}

static void expect_error(const char *from, const char *to, const char *in, size_t len,
                         enum egov_ec ec, uint64_t offset, const char *bytes, size_t nbytes)
{
    struct egov_hanzi_error err;
    size_t n;
    char *got = conv(from, to, EGOV_HANZI_STRICT, in, len, &n, &err);
    assert_null(got);
    assert_int_equal(err.ec, ec);
    assert_int_equal(err.offset, offset);
    assert_int_equal(err.nbytes, nbytes);
    assert_memory_equal(err.bytes, bytes, nbytes);
    char at[32];
    snprintf(at, sizeof at, "at byte %llu", (unsigned long long)offset);
    assert_non_null(strstr(err.detail, at));
}

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

static void test_big5_both_ways(void **state)
{
    const char *u = "臺北市 Taipei", *b = "\xBB\x4F\xA5\x5F\xA5\xAB Taipei";
    expect("utf-8", "big5", EGOV_HANZI_STRICT, u, strlen(u), b, strlen(b));
    expect("big5", "utf-8", EGOV_HANZI_STRICT, b, strlen(b), u, strlen(u));
    expect("cp950", "utf-8", EGOV_HANZI_STRICT, b, strlen(b), u, strlen(u));
    /* names are case-insensitive; aliases */
    assert_ptr_equal(egov_hanzi_encoding_by_name("UTF8"), egov_hanzi_encoding_by_name("utf-8"));
    assert_string_equal(egov_hanzi_encoding_name(enc("MS950")), "cp950");
}

static void test_strict_offsets(void **state)
{
    /* truncated Big5 at the end */
    expect_error("big5", "utf-8", "AB\xA4", 3, EGOV_EC_HANZI_TRUNCATED, 2, "\xA4", 1);
    /* a lead byte with a bad trail: only the lead is bad, the trail is read again */
    expect_error("big5", "utf-8",
                 "A\xA4\x30"
                 "B",
                 4, EGOV_EC_HANZI_INVALID_SEQUENCE, 1, "\xA4", 1);
    expect_error("big5", "utf-8", "xy\xA1\xFF", 4, EGOV_EC_HANZI_INVALID_SEQUENCE, 2, "\xA1", 1);
    expect_error("big5", "utf-8", "\xFF", 1, EGOV_EC_HANZI_INVALID_SEQUENCE, 0, "\xFF", 1);
    /* well-formed but unassigned in CP950 (user-defined area) */
    expect_error("big5", "utf-8", "ab\xFA\x40", 4, EGOV_EC_HANZI_UNMAPPABLE, 2, "\xFA\x40", 2);
    /* UTF-8: bad continuation, truncation, surrogates, overlongs */
    expect_error("utf-8", "big5", "ab\xC3\x28", 4, EGOV_EC_HANZI_INVALID_SEQUENCE, 2, "\xC3", 1);
    expect_error("utf-8", "big5", "\xE8\x87", 2, EGOV_EC_HANZI_TRUNCATED, 0, "\xE8\x87", 2);
    expect_error("utf-8", "big5", "a\xED\xA0\x80", 4, EGOV_EC_HANZI_INVALID_SEQUENCE, 1, "\xED", 1);
    expect_error("utf-8", "big5", "\xC0\xAF", 2, EGOV_EC_HANZI_INVALID_SEQUENCE, 0, "\xC0", 1);
    expect_error("utf-8", "big5", "\xF4\x90\x80\x80", 4, EGOV_EC_HANZI_INVALID_SEQUENCE, 0, "\xF4",
                 1);
    /* a character the target lacks: the offset and bytes are the source's */
    expect_error("utf-8", "big5", "a\xF0\x9F\x98\x80", 5, EGOV_EC_HANZI_UNMAPPABLE, 1,
                 "\xF0\x9F\x98\x80", 4);
    /* EUC-TW: truncated four-byte form, bad plane byte */
    expect_error("euc-tw", "utf-8", "\x8E\xA2\xA1", 3, EGOV_EC_HANZI_TRUNCATED, 0, "\x8E\xA2\xA1",
                 3);
    expect_error("euc-tw", "utf-8", "z\x8E\x21", 3, EGOV_EC_HANZI_INVALID_SEQUENCE, 1, "\x8E", 1);
}

static void test_replace_and_private(void **state)
{
    /* undecodable bytes become 〓 in UTF-8 */
    expect("big5", "utf-8", EGOV_HANZI_REPLACE,
           "A\xFF"
           "B\xA4",
           4, "A〓B〓", strlen("A〓B〓"));
    /* CP950 has no 〓: an unmappable character becomes '?' */
    expect("utf-8", "big5", EGOV_HANZI_REPLACE, "a😀b", strlen("a😀b"), "a?b", 3);
    /* private: Big5 user-defined codes keep their place as private use (CP950 rule) */
    expect("big5", "utf-8", EGOV_HANZI_PRIVATE, "\xFA\x40\x8E\x40\x81\x40", 6,
           "\xEE\x80\x80\xEE\x8C\x91\xEE\xBA\xB8", 9);
    expect("utf-8", "big5", EGOV_HANZI_PRIVATE, "\xEE\x80\x80\xEE\x8C\x91\xEE\xBA\xB8", 9,
           "\xFA\x40\x8E\x40\x81\x40", 6);
    /* private use outside the user-defined area still follows replace */
    expect("utf-8", "big5", EGOV_HANZI_PRIVATE, "\xF3\xB0\x80\x80", 4, "?", 1);
}

static void test_cns_and_euctw(void **state)
{
    const char *u = "臺北\n市";
    expect("utf-8", "cns", EGOV_HANZI_STRICT, u, strlen(u), "1-6A57 1-4621\n1-464B",
           strlen("1-6A57 1-4621\n1-464B"));
    expect("cns", "utf-8", EGOV_HANZI_STRICT, " 1-6a57\t1-4621 \n1-464B", 22, u, strlen(u));
    expect("utf-8", "euc-tw", EGOV_HANZI_STRICT, u, strlen(u), "\xEA\xD7\xC6\xA1\n\xC6\xCB", 7);
    expect("euc-tw", "utf-8", EGOV_HANZI_STRICT, "\x8E\xA1\xEA\xD7", 4, "臺", strlen("臺"));
    /* a plane-2 character goes through the four-byte form */
    uint32_t cp = egov_hanzi_cp_of_cns(0x022121);
    assert_true(cp > 0);
    char in[5];
    size_t n = egov_utf8_encode(cp, in);
    expect("utf-8", "euc-tw", EGOV_HANZI_STRICT, in, n, "\x8E\xA2\xA1\xA1", 4);
    expect("euc-tw", "utf-8", EGOV_HANZI_STRICT, "\x8E\xA2\xA1\xA1", 4, in, n);
    /* malformed plane-code tokens */
    expect_error("cns", "utf-8", "1-6A57 1-ZZ57", 13, EGOV_EC_HANZI_INVALID_SEQUENCE, 7, "1-ZZ57",
                 6);
    expect_error("cns", "utf-8", "1-6A5", 5, EGOV_EC_HANZI_INVALID_SEQUENCE, 0, "1-6A5", 5);
    /* well-formed but on a plane without characters */
    expect_error("cns", "utf-8", "1-2121 99-2121", 14, EGOV_EC_HANZI_UNMAPPABLE, 7, "99-2121", 7);
    /* ASCII letters have no CNS code */
    expect_error("utf-8", "cns", "臺a", strlen("臺a"), EGOV_EC_HANZI_UNMAPPABLE, 3, "a", 1);
}

static void test_names_and_empty(void **state)
{
    struct egov_buf out;
    struct egov_hanzi_error err;
    enum egov_hanzi_policy p;
    egov_buf_init(&out);
    assert_null(egov_hanzi_encoding_by_name("klingon"));
    assert_null(egov_hanzi_encoding_by_name(NULL));
    assert_null(egov_hanzi_encoding_by_name("land-atlantis"));
    assert_false(egov_hanzi_convert(NULL, enc("big5"), EGOV_HANZI_STRICT, "a", 1, &out, &err));
    assert_int_equal(err.ec, EGOV_EC_HANZI_ENCODING_UNKNOWN);
    assert_true(
        egov_hanzi_convert(enc("big5"), enc("utf-8"), EGOV_HANZI_STRICT, "", 0, &out, &err));
    assert_int_equal(out.len, 0);
    assert_true(egov_hanzi_policy_parse("Replace", &p));
    assert_int_equal(p, EGOV_HANZI_REPLACE);
    assert_false(egov_hanzi_policy_parse("lenient", &p));
    assert_false(egov_hanzi_policy_parse(NULL, &p));
    /* no buffer but a length: refused, not read */
    assert_false(egov_hanzi_convert(enc("big5"), enc("utf-8"), EGOV_HANZI_STRICT, NULL, 3, &out,
                                    &err));
    assert_int_equal(err.ec, EGOV_EC_GENERIC_BAD_REQUEST);
    /* an output limit is reported as out of memory, not as success */
    out.max = 4;
    assert_false(egov_hanzi_convert(enc("utf-8"), enc("big5"), EGOV_HANZI_STRICT, "abcdefgh", 8,
                                    &out, &err));
    assert_int_equal(err.ec, EGOV_EC_GENERIC_OOM);
    egov_buf_free(&out);
}

static void test_char_parse_and_info(void **state)
{
    uint32_t cp = 0, cns = 0;
    char buf[16];
    assert_true(egov_hanzi_char_parse("臺", &cp));
    assert_int_equal(cp, 0x81FA);
    assert_true(egov_hanzi_char_parse("U+81fa", &cp));
    assert_int_equal(cp, 0x81FA);
    assert_true(egov_hanzi_char_parse("1-6A57", &cp));
    assert_int_equal(cp, 0x81FA);
    assert_false(egov_hanzi_char_parse("U+D800", &cp));
    assert_false(egov_hanzi_char_parse("U+110000", &cp));
    assert_false(egov_hanzi_char_parse("臺北", &cp));
    assert_false(egov_hanzi_char_parse("", &cp));
    assert_false(egov_hanzi_cns_parse("1-7F21", &cns));
    assert_false(egov_hanzi_cns_parse("0-2121", &cns));
    assert_false(egov_hanzi_cns_parse("1-21212", &cns));
    assert_true(egov_hanzi_cns_parse("15-7E7E", &cns));
    egov_hanzi_cns_format(cns, buf);
    assert_string_equal(buf, "15-7E7E");
    /* planes beyond glibc's seven come from Unihan kIRG_TSource (unicode-data) */
    assert_string_equal(egov_hanzi_tables_source(), "glibc+unihan");
    assert_int_equal(egov_hanzi_cns_of(0x3406), 0x0F216C);
    assert_int_equal(egov_hanzi_cp_of_cns(0x0F216C), 0x3406);
    json_t *o = egov_hanzi_char_info(0x81FA);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "cns")), "1-6A57");
    assert_string_equal(json_string_value(json_object_get(o, "big5")), "BB4F");
    assert_string_equal(json_string_value(json_object_get(o, "euc-tw")), "EAD7");
    assert_string_equal(json_string_value(json_object_get(o, "unicode")), "U+81FA");
    json_decref(o);
}

/* Mixed text in every shape the decoders know. */
static const char mixed[] = "ab臺北市\n中正區 〇１２ 王小明；Ｘ－🀄 end 龘";

static void feed_in_pieces(const char *from, const char *to, const char *in, size_t len,
                           size_t piece)
{
    struct egov_buf whole, part;
    struct egov_hanzi_error err;
    egov_buf_init(&whole);
    egov_buf_init(&part);
    assert_true(egov_hanzi_convert(enc(from), enc(to), EGOV_HANZI_REPLACE, in, len, &whole, &err));
    struct egov_hanzi_conv *cv = egov_hanzi_conv_open(enc(from), enc(to), EGOV_HANZI_REPLACE);
    assert_non_null(cv);
    for (size_t i = 0; i < len; i += piece) {
        size_t n = len - i < piece ? len - i : piece;
        assert_true(egov_hanzi_conv_feed(cv, in + i, n, false, &part, &err));
    }
    assert_true(egov_hanzi_conv_feed(cv, NULL, 0, true, &part, &err));
    egov_hanzi_conv_close(cv);
    if (part.len != whole.len || memcmp(part.data, whole.data, whole.len) != 0)
        fail_msg("%s -> %s in pieces of %zu differs", from, to, piece);
    egov_buf_free(&whole);
    egov_buf_free(&part);
}

static void test_streaming_pieces(void **state)
{
    static const char *const encs[] = {"utf-8", "big5", "euc-tw", "cns"};
    for (size_t a = 0; a < 4; a++) {
        /* the text in encoding a (replace: characters a set lacks become 〓 or ?) */
        struct egov_buf src;
        struct egov_hanzi_error err;
        egov_buf_init(&src);
        assert_true(egov_hanzi_convert(enc("utf-8"), enc(encs[a]), EGOV_HANZI_REPLACE, mixed,
                                       strlen(mixed), &src, &err));
        /* add damage: a truncated sequence at the end */
        egov_buf_append(&src, a == 3 ? "1-21" : "\xE8", a == 3 ? 4 : 1);
        for (size_t b = 0; b < 4; b++)
            for (size_t piece = 1; piece <= 9; piece++)
                feed_in_pieces(encs[a], encs[b], src.data, src.len, piece);
        egov_buf_free(&src);
    }
}

static void test_streaming_error_offset(void **state)
{
    /* the same offset whether the input came at once or byte by byte */
    struct egov_buf out;
    struct egov_hanzi_error err;
    egov_buf_init(&out);
    struct egov_buf big5;
    egov_buf_init(&big5);
    assert_true(egov_hanzi_convert(enc("utf-8"), enc("big5"), EGOV_HANZI_STRICT, "臺北市",
                                   strlen("臺北市"), &big5, &err));
    egov_buf_append(&big5, "\xA4\x30", 2);
    struct egov_hanzi_conv *cv = egov_hanzi_conv_open(enc("big5"), enc("utf-8"), EGOV_HANZI_STRICT);
    bool ok = true;
    for (size_t i = 0; i < big5.len && ok; i++)
        ok = egov_hanzi_conv_feed(cv, big5.data + i, 1, false, &out, &err);
    if (ok)
        ok = egov_hanzi_conv_feed(cv, NULL, 0, true, &out, &err);
    assert_false(ok);
    assert_int_equal(err.ec, EGOV_EC_HANZI_INVALID_SEQUENCE);
    assert_int_equal(err.offset, 6);
    assert_int_equal(err.bytes[0], 0xA4);
    /* the converted prefix was written; a failed converter stays failed */
    assert_int_equal(out.len, strlen("臺北市"));
    assert_false(egov_hanzi_conv_feed(cv, "a", 1, true, &out, &err));
    egov_hanzi_conv_close(cv);
    egov_buf_free(&out);
    egov_buf_free(&big5);
}

static void test_constant_memory(void **state)
{
    /* 4 MB through the converter in 64 KiB pieces: no allocation after the first piece */
    enum { PIECE = 1 << 16, PIECES = 64 };
    char *piece = malloc(PIECE);
    assert_non_null(piece);
    const char *unit = "\xBB\x4F\xA5\x5F\xA5\xAB abc\n"; /* 12 bytes */
    for (size_t i = 0; i < PIECE; i++)
        piece[i] = unit[i % 12];
    struct egov_buf out;
    struct egov_hanzi_error err;
    egov_buf_init(&out);
    struct egov_hanzi_conv *cv = egov_hanzi_conv_open(enc("big5"), enc("utf-8"), EGOV_HANZI_STRICT);
    unsigned long allocs = 0;
    size_t total = 0;
    for (int i = 0; i < PIECES; i++) {
        assert_true(egov_hanzi_conv_feed(cv, piece, PIECE, false, &out, &err));
        total += out.len;
        egov_buf_reset(&out);
        if (i == 0)
            allocs = egov_alloc_count();
    }
    assert_true(egov_hanzi_conv_feed(cv, NULL, 0, true, &out, &err));
    total += out.len;
    assert_int_equal(egov_alloc_count(), allocs);
    /* each 12-byte unit (3 Big5 characters) becomes 15 bytes of UTF-8; a piece
     * holds 5461 units and 4 more bytes (臺北, 6 bytes of UTF-8) */
    assert_int_equal(total, (size_t)PIECES * (5461 * 15 + 6));
    egov_hanzi_conv_close(cv);
    egov_buf_free(&out);
    free(piece);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_big5_both_ways),      cmocka_unit_test(test_strict_offsets),
        cmocka_unit_test(test_replace_and_private), cmocka_unit_test(test_cns_and_euctw),
        cmocka_unit_test(test_names_and_empty),     cmocka_unit_test(test_char_parse_and_info),
        cmocka_unit_test(test_streaming_pieces),    cmocka_unit_test(test_streaming_error_offset),
        cmocka_unit_test(test_constant_memory),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
