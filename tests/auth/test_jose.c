/*
 * test_jose.c -- the JOSE layer in crypto: keys, JWK round trips, signing
 * and verification, and everything a forger might try.
 */
#include <string.h>

#include "crypto/crypto.h"
#include "testlib.h"

static const struct egov_jose_key *the_key(const char *kid, enum egov_jose_alg alg, void *cls)
{
    const struct egov_jose_key *k = cls;
    if (k == NULL || egov_jose_key_alg(k) != alg)
        return NULL;
    if (kid != NULL && strcmp(kid, egov_jose_key_kid(k)) != 0)
        return NULL;
    return k;
}

static void sign_verify(enum egov_jose_alg alg)
{
    char err[160];
    struct egov_jose_key *k = egov_jose_key_generate(alg, "k1");
    assert_non_null(k);
    json_t *claims = json_pack("{s:s, s:i}", "sub", "alice", "exp", 2000000000);
    char *jws = egov_jose_sign(k, claims, "JWT");
    assert_non_null(jws);

    /* the public half, through its JWK, verifies */
    json_t *jwk = egov_jose_key_public_jwk(k);
    assert_non_null(jwk);
    assert_null(json_object_get(jwk, "d"));
    struct egov_jose_key *pub = egov_jose_key_from_jwk(jwk, err, sizeof(err));
    assert_non_null(pub);
    json_t *got = egov_jose_verify(jws, the_key, pub, err, sizeof(err));
    assert_non_null(got);
    assert_string_equal(json_string_value(json_object_get(got, "sub")), "alice");
    json_decref(got);

    /* a changed payload does not verify */
    char *dot1 = strchr(jws, '.');
    char *dot2 = strchr(dot1 + 1, '.');
    json_t *evil = json_pack("{s:s, s:i}", "sub", "mallory", "exp", 2000000000);
    char *ej = egov_json_dumps(evil);
    char b64[256];
    size_t bl = egov_base64url_encode(ej, strlen(ej), b64);
    struct egov_buf fb;
    egov_buf_init(&fb);
    egov_buf_append(&fb, jws, (size_t)(dot1 - jws) + 1);
    egov_buf_append(&fb, b64, bl);
    egov_buf_puts(&fb, dot2);
    assert_false(fb.oom);
    assert_null(egov_jose_verify(fb.data, the_key, pub, err, sizeof(err)));

    /* a flipped signature bit does not verify */
    char *flip = egov_strdup(jws);
    size_t n = strlen(flip);
    flip[n - 2] = flip[n - 2] == 'A' ? 'B' : 'A';
    assert_null(egov_jose_verify(flip, the_key, pub, err, sizeof(err)));

    /* another key of the same type does not verify */
    struct egov_jose_key *other = egov_jose_key_generate(alg, "k1");
    assert_null(egov_jose_verify(jws, the_key, other, err, sizeof(err)));

    /* alg none is refused even without a signature */
    const char *hnone = "{\"alg\":\"none\",\"kid\":\"k1\"}";
    char hb[128];
    size_t hl = egov_base64url_encode(hnone, strlen(hnone), hb);
    egov_buf_reset(&fb);
    egov_buf_append(&fb, hb, hl);
    egov_buf_append(&fb, dot1, (size_t)(dot2 - dot1));
    egov_buf_putc(&fb, '.');
    assert_false(fb.oom);
    assert_null(egov_jose_verify(fb.data, the_key, pub, err, sizeof(err)));
    assert_non_null(strstr(err, "not accepted"));

    /* garbage */
    assert_null(egov_jose_verify("a.b", the_key, pub, err, sizeof(err)));
    assert_null(egov_jose_verify("a.b.c.d", the_key, pub, err, sizeof(err)));
    assert_null(egov_jose_verify("", the_key, pub, err, sizeof(err)));

    egov_buf_free(&fb);
    egov_free(flip);
    egov_free(ej);
    json_decref(evil);
    egov_jose_key_free(other);
    egov_jose_key_free(pub);
    json_decref(jwk);
    egov_free(jws);
    json_decref(claims);
    egov_jose_key_free(k);
}

static void test_rs256(void **state)
{
    (void)state;
    sign_verify(EGOV_JOSE_RS256);
}

static void test_es256(void **state)
{
    (void)state;
    sign_verify(EGOV_JOSE_ES256);
}

static void test_private_export(void **state)
{
    (void)state;
    uint8_t kek[32], wrong[32];
    memset(kek, 7, sizeof(kek));
    memset(wrong, 8, sizeof(wrong));
    struct egov_jose_key *k = egov_jose_key_generate(EGOV_JOSE_ES256, "e1");
    char *pem = egov_jose_key_export_private(k, kek, sizeof(kek));
    assert_non_null(pem);
    assert_non_null(strstr(pem, "ENCRYPTED PRIVATE KEY"));
    assert_null(egov_jose_key_import_private(pem, EGOV_JOSE_ES256, "e1", wrong, sizeof(wrong)));
    assert_null(egov_jose_key_import_private(pem, EGOV_JOSE_RS256, "e1", kek, sizeof(kek)));
    struct egov_jose_key *back =
        egov_jose_key_import_private(pem, EGOV_JOSE_ES256, "e1", kek, sizeof(kek));
    assert_non_null(back);
    json_t *c = json_pack("{s:s}", "x", "y");
    char *jws = egov_jose_sign(back, c, NULL);
    char err[160];
    json_t *got = egov_jose_verify(jws, the_key, k, err, sizeof(err));
    assert_non_null(got);
    json_decref(got);
    egov_free(jws);
    json_decref(c);
    egov_jose_key_free(back);
    egov_free(pem);
    egov_jose_key_free(k);
}

static void test_jwk_refusals(void **state)
{
    (void)state;
    char err[160];
    struct egov_jose_key *k = egov_jose_key_generate(EGOV_JOSE_ES256, "e1");
    json_t *jwk = egov_jose_key_public_jwk(k);
    /* a JWK with a private member */
    json_t *priv = json_deep_copy(jwk);
    json_object_set_new(priv, "d", json_string("AAAA"));
    assert_null(egov_jose_key_from_jwk(priv, err, sizeof(err)));
    /* a point off the curve */
    json_t *off = json_deep_copy(jwk);
    json_object_set_new(off, "y", json_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    assert_null(egov_jose_key_from_jwk(off, err, sizeof(err)));
    /* alg that does not fit */
    json_t *mis = json_deep_copy(jwk);
    json_object_set_new(mis, "alg", json_string("RS256"));
    assert_null(egov_jose_key_from_jwk(mis, err, sizeof(err)));
    /* a symmetric key */
    json_t *oct = json_pack("{s:s, s:s}", "kty", "oct", "k", "c2VjcmV0");
    assert_null(egov_jose_key_from_jwk(oct, err, sizeof(err)));
    /* a short RSA key */
    json_t *small = json_pack("{s:s, s:s, s:s}", "kty", "RSA", "n", "AQAB", "e", "AQAB");
    assert_null(egov_jose_key_from_jwk(small, err, sizeof(err)));
    json_decref(priv);
    json_decref(off);
    json_decref(mis);
    json_decref(oct);
    json_decref(small);
    json_decref(jwk);
    egov_jose_key_free(k);
}

static void test_base64(void **state)
{
    (void)state;
    uint8_t out[64];
    assert_int_equal(egov_base64_decode("YWxpY2U6c2VjcmV0", 16, out), 12);
    assert_memory_equal(out, "alice:secret", 12);
    assert_int_equal(egov_base64_decode("YQ==", 4, out), 1);
    assert_int_equal(egov_base64_decode("YWI=", 4, out), 2);
    assert_int_equal(egov_base64_decode("YQ=", 3, out), -1);
    assert_int_equal(egov_base64_decode("Y=Q=", 4, out), -1);
    assert_int_equal(egov_base64_decode("YW-_", 4, out), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rs256),          cmocka_unit_test(test_es256),
        cmocka_unit_test(test_private_export), cmocka_unit_test(test_jwk_refusals),
        cmocka_unit_test(test_base64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
