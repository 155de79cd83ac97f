/*
 * test_der.c -- OID text validation and DER encoding/decoding, checked
 * against fixed vectors (X.690's own example among them) and against
 * OpenSSL's OBJ_txt2obj()/i2d_ASN1_OBJECT()/OBJ_obj2txt() on thousands of
 * random OIDs with arcs up to 39 digits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/objects.h>

#include "oid/oid.h"
#include "testlib.h"

static void hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", p[i]);
    out[2 * n] = '\0';
}

static void test_valid(void **state)
{
    (void)state;
    static const char *const good[] = {
        "0.0",
        "1.39",
        "2.999",
        "2.16.886",
        "2.16.886.101.20003.20001",
        "0.9.2342.19200300.100.1.1",
        "2.25.329800735698586629295641978511506172918",
        "1.2.840.113549.1.1.11",
    };
    static const char *const bad[] = {
        "",     "1",      "3.1",
        "1.40", "0.40",   "01.2",
        "1.02", "1..2",   "1.2.",
        ".1.2", "1.2a",   "1.2 ",
        "-1.2", "1.2.+3", "2.1234567890123456789012345678901234567890", /* 40 digits */
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(egov_oid_valid(good[i]));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (egov_oid_valid(bad[i]))
            fail_msg("accepted %s", bad[i]);
    }
    assert_false(egov_oid_valid(NULL));
    /* too many arcs */
    char many[EGOV_OID_TEXT_MAX + 1] = "1.2";
    for (int i = 0; i < EGOV_OID_MAX_ARCS - 1; i++)
        strcat(many, ".1");
    assert_false(egov_oid_valid(many));
    assert_int_equal(egov_oid_depth("2.16.886.101"), 4);
    assert_int_equal(egov_oid_depth("x"), 0);
}

static void test_vectors(void **state)
{
    (void)state;
    static const struct {
        const char *oid;
        const char *der;
    } v[] = {
        {"2.16.886.101", "060460867665"},
        {"2.999.3", "0603883703"}, /* X.690 8.19.5 example */
        {"1.2.840.113549", "06062a864886f70d"},
        {"0.0", "060100"},
        {"2.16.886.101.20003.20001", "060a60867665819c23819c21"},
        {"1.3.6.1.4.1.311.21.20", "06092b0601040182371514"},
        {"2.25.329800735698586629295641978511506172918",
         "06146983f09da7ebcfdee0c7a1a7b2c0948cc8f9d776"},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        uint8_t der[EGOV_OID_DER_MAX];
        char h[2 * EGOV_OID_DER_MAX + 1], text[EGOV_OID_TEXT_MAX + 1];
        long n = egov_oid_der_encode(v[i].oid, true, der, sizeof(der));
        assert_true(n > 0);
        hex(der, (size_t)n, h);
        assert_string_equal(h, v[i].der);
        assert_true(egov_oid_der_decode(der, (size_t)n, true, text, sizeof(text)));
        assert_string_equal(text, v[i].oid);
        /* content only */
        long m = egov_oid_der_encode(v[i].oid, false, der, sizeof(der));
        assert_int_equal(m, n - 2);
        assert_true(egov_oid_der_decode(der, (size_t)m, false, text, sizeof(text)));
        assert_string_equal(text, v[i].oid);
    }
    uint8_t small[3];
    assert_int_equal(egov_oid_der_encode("2.16.886.101", true, small, sizeof(small)), -1);
    assert_int_equal(egov_oid_der_encode("3.1", true, small, sizeof(small)), -1);
}

static void test_bad_der(void **state)
{
    (void)state;
    static const struct {
        const char *hex;
        size_t len;
        const uint8_t bytes[8];
    } bad[] = {
        {"empty content", 2, {0x06, 0x00}},
        {"wrong tag", 3, {0x05, 0x01, 0x2a}},
        {"leading 0x80", 4, {0x06, 0x02, 0x80, 0x01}},
        {"truncated arc", 4, {0x06, 0x02, 0x2a, 0x86}},
        {"length too long", 4, {0x06, 0x03, 0x2a, 0x03}},
        {"trailing byte", 5, {0x06, 0x02, 0x2a, 0x03, 0x00}},
        {"non-minimal length", 5, {0x06, 0x81, 0x02, 0x2a, 0x03}},
        {"indefinite length", 5, {0x06, 0x80, 0x2a, 0x03, 0x00}},
        {"header only", 1, {0x06}},
    };
    char text[EGOV_OID_TEXT_MAX + 1];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (egov_oid_der_decode(bad[i].bytes, bad[i].len, true, text, sizeof(text)))
            fail_msg("accepted %s", bad[i].hex);
    }
    /* an arc larger than 39 digits: 20 groups of 0xff then 0x7f */
    uint8_t huge[24] = {0x06, 22, 0x2a};
    memset(huge + 3, 0xff, 20);
    huge[23] = 0x7f;
    assert_false(egov_oid_der_decode(huge, sizeof(huge), true, text, sizeof(text)));
    /* output too small */
    const uint8_t ok[] = {0x06, 0x04, 0x60, 0x86, 0x76, 0x65};
    char tiny[8];
    assert_false(egov_oid_der_decode(ok, sizeof(ok), true, tiny, sizeof(tiny)));
    assert_true(egov_oid_der_decode(ok, sizeof(ok), true, text, sizeof(text)));
}

/* A random decimal arc of 1..maxdigits digits without a leading zero. */
static void random_arc(char *out, unsigned int maxdigits)
{
    unsigned int n = 1 + (unsigned int)(rand() % (int)maxdigits);
    out[0] = (char)('0' + (n == 1 ? rand() % 10 : 1 + rand() % 9));
    for (unsigned int i = 1; i < n; i++)
        out[i] = (char)('0' + rand() % 10);
    out[n] = '\0';
}

static void test_against_openssl(void **state)
{
    (void)state;
    srand(20261127);
    unsigned int checked = 0;
    for (int iter = 0; iter < 3000; iter++) {
        char oid[EGOV_OID_TEXT_MAX + 1], arc[48];
        int first = rand() % 3;
        int nsub = 1 + rand() % 8;
        if (first < 2)
            snprintf(oid, sizeof(oid), "%d.%d", first, rand() % 40);
        else {
            random_arc(arc, iter % 10 == 0 ? 39 : 6);
            snprintf(oid, sizeof(oid), "2.%s", arc);
        }
        for (int k = 1; k < nsub; k++) {
            random_arc(arc, iter % 7 == 0 ? 39 : (iter % 3 == 0 ? 20 : 5));
            size_t len = strlen(oid);
            if (len + strlen(arc) + 2 > sizeof(oid))
                break;
            oid[len] = '.';
            strcpy(oid + len + 1, arc);
        }
        assert_true(egov_oid_valid(oid));
        uint8_t ours[EGOV_OID_DER_MAX];
        long n = egov_oid_der_encode(oid, true, ours, sizeof(ours));
        assert_true(n > 0);

        ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
        if (obj == NULL)
            fail_msg("OpenSSL rejects %s", oid);
        unsigned char *theirs = NULL;
        int tn = i2d_ASN1_OBJECT(obj, &theirs);
        assert_true(tn > 0);
        if ((long)tn != n || memcmp(theirs, ours, (size_t)n) != 0)
            fail_msg("DER of %s differs from OpenSSL's", oid);
        /* decode OpenSSL's bytes, and let OpenSSL print ours */
        char text[EGOV_OID_TEXT_MAX + 1], back[EGOV_OID_TEXT_MAX + 64];
        assert_true(egov_oid_der_decode(theirs, (size_t)tn, true, text, sizeof(text)));
        assert_string_equal(text, oid);
        const unsigned char *p = ours;
        ASN1_OBJECT *obj2 = d2i_ASN1_OBJECT(NULL, &p, n);
        assert_non_null(obj2);
        assert_true(OBJ_obj2txt(back, sizeof(back), obj2, 1) > 0);
        assert_string_equal(back, oid);
        ASN1_OBJECT_free(obj2);
        OPENSSL_free(theirs);
        ASN1_OBJECT_free(obj);
        checked++;
    }
    assert_int_equal(checked, 3000);
}

/* Random bytes never crash the decoder, and what it accepts re-encodes to the same bytes. */
static void test_random_bytes(void **state)
{
    (void)state;
    srand(7);
    unsigned int accepted = 0;
    for (int iter = 0; iter < 200000; iter++) {
        uint8_t buf[24];
        size_t n = (size_t)(rand() % (int)sizeof(buf));
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)(iter % 3 == 0 ? (rand() & 0x7f) : rand());
        bool tlv = iter % 2 == 0;
        if (tlv && n >= 2) {
            buf[0] = 0x06;
            buf[1] = (uint8_t)(n - 2);
        }
        char text[EGOV_OID_TEXT_MAX + 1];
        if (!egov_oid_der_decode(buf, n, tlv, text, sizeof(text)))
            continue;
        accepted++;
        assert_true(egov_oid_valid(text));
        uint8_t again[EGOV_OID_DER_MAX];
        long m = egov_oid_der_encode(text, tlv, again, sizeof(again));
        assert_int_equal(m, (long)n);
        assert_memory_equal(again, buf, n);
    }
    assert_true(accepted > 1000);
}

static void test_tree_helpers(void **state)
{
    (void)state;
    char parent[EGOV_OID_TEXT_MAX + 1];
    assert_true(egov_oid_is_under("2.16.886.101.20003", "2.16.886.101"));
    assert_true(egov_oid_is_under("2.16.886.101", "2.16.886.101"));
    assert_false(egov_oid_is_under("2.16.8860.1", "2.16.886"));
    assert_false(egov_oid_is_under("2.16.886", "2.16.886.101"));
    assert_false(egov_oid_is_under("x", "2.16"));
    assert_true(egov_oid_parent("2.16.886.101", parent, sizeof(parent)));
    assert_string_equal(parent, "2.16.886");
    assert_false(egov_oid_parent("2.16", parent, sizeof(parent)));
    assert_false(egov_oid_parent("2.16.886.101", parent, 4));
}

static void test_search_key(void **state)
{
    (void)state;
    char a[256], b[256];
    /* which character stands for a variant class is the hanzi module's choice;
       what counts is that variants, widths, case and spaces meet */
    egov_oid_search_key("臺北市 政府", a, sizeof(a));
    egov_oid_search_key("台北市政府", b, sizeof(b));
    assert_string_equal(a, b);
    egov_oid_search_key("ＡＢＣ－１２３　衞生署", a, sizeof(a));
    egov_oid_search_key("abc123衛生署", b, sizeof(b));
    assert_string_equal(a, b);
    assert_memory_equal(a, "abc123", 6);
    egov_oid_search_key("峯裏羣", a, sizeof(a));
    egov_oid_search_key("峰裡群", b, sizeof(b));
    assert_string_equal(a, b);
    egov_oid_search_key("內政部", a, sizeof(a));
    egov_oid_search_key("外交部", b, sizeof(b));
    assert_string_not_equal(a, b);
    egov_oid_search_key("", a, sizeof(a));
    assert_string_equal(a, "");
    /* truncation stays on a character boundary */
    egov_oid_search_key("臺灣", b, sizeof(b));
    assert_int_equal(strlen(b), 6);
    egov_oid_search_key("臺灣臺灣", a, 7);
    assert_string_equal(a, b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_bad_der),      cmocka_unit_test(test_against_openssl),
        cmocka_unit_test(test_random_bytes), cmocka_unit_test(test_tree_helpers),
        cmocka_unit_test(test_search_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
