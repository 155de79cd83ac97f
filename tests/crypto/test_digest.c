/*
 * test_digest.c -- crypto digests, HMAC, base64url and tokens against
 * published test vectors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/crypto.h"

static void test_sha256_vectors(void **state)
{
    (void)state;
    uint8_t d[EGOV_SHA256_LEN];
    char hex[2 * EGOV_SHA256_LEN + 1];
    assert_true(egov_sha256("abc", 3, d));
    egov_hex_encode(d, sizeof(d), hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_true(egov_sha256("", 0, d));
    egov_hex_encode(d, sizeof(d), hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_hmac_rfc4231_case2(void **state)
{
    (void)state;
    uint8_t d[EGOV_SHA256_LEN];
    char hex[2 * EGOV_SHA256_LEN + 1];
    const char *msg = "what do ya want for nothing?";
    assert_true(egov_hmac_sha256("Jefe", 4, msg, strlen(msg), d));
    egov_hex_encode(d, sizeof(d), hex);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void test_ct_equal(void **state)
{
    (void)state;
    assert_true(egov_ct_equal("abcd", "abcd", 4));
    assert_false(egov_ct_equal("abcd", "abce", 4));
}

static void test_base64url(void **state)
{
    (void)state;
    /* RFC 4648 test vectors, unpadded, url alphabet */
    static const struct { const char *in, *out; } v[] = {
        {"", ""}, {"f", "Zg"}, {"fo", "Zm8"}, {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
    };
    char out[32];
    uint8_t back[32];
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        size_t n = strlen(v[i].in);
        assert_int_equal(egov_base64url_encode(v[i].in, n, out), strlen(v[i].out));
        assert_string_equal(out, v[i].out);
        assert_int_equal(egov_base64url_len(n), strlen(v[i].out));
        long m = egov_base64url_decode(out, strlen(out), back);
        assert_int_equal(m, (long)n);
        assert_memory_equal(back, v[i].in, n);
    }
    const uint8_t hi[] = {0xfb, 0xff, 0xfe};
    egov_base64url_encode(hi, 3, out);
    assert_string_equal(out, "-__-");
    /* invalid: bad character, impossible length, non-canonical tail bits */
    assert_int_equal(egov_base64url_decode("Zm9v+", 5, back), -1);
    assert_int_equal(egov_base64url_decode("Z", 1, back), -1);
    assert_int_equal(egov_base64url_decode("Zh", 2, back), -1);
}

static void test_random_token(void **state)
{
    (void)state;
    char a[64], b[64];
    assert_true(egov_random_token(32, a));
    assert_true(egov_random_token(32, b));
    assert_int_equal(strlen(a), egov_base64url_len(32));
    assert_string_not_equal(a, b);
    assert_false(egov_random_token(0, a));
    assert_false(egov_random_token(65, a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors), cmocka_unit_test(test_hmac_rfc4231_case2),
        cmocka_unit_test(test_ct_equal),       cmocka_unit_test(test_base64url),
        cmocka_unit_test(test_random_token),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
