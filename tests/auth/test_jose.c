/*
 * test_jose.c -- the JOSE layer in crypto: keys, JWK round trips, signing
 * and verification, and everything a forger might try.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

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

/* Runs `openssl dgst -sha256 -verify` on the signing input and signature of @p jws
 * with a public key PEM made from the JWK's n and e only; true if it says OK. */
static bool openssl_cli_verifies(const char *jws, const struct egov_jose_key *pub)
{
    char dir[] = "/tmp/egov-jose-XXXXXX", path[256], cmd[1024];
    assert_non_null(mkdtemp(dir));
    const char *d2 = strrchr(jws, '.');
    assert_non_null(d2);
    /* the signing input */
    snprintf(path, sizeof(path), "%s/input", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(jws, 1, (size_t)(d2 - jws), f), (size_t)(d2 - jws));
    fclose(f);
    /* the signature bytes */
    uint8_t sig[1024];
    long sl = egov_base64url_decode(d2 + 1, strlen(d2 + 1), sig);
    assert_true(sl == 256);
    snprintf(path, sizeof(path), "%s/sig", dir);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(sig, 1, (size_t)sl, f), (size_t)sl);
    fclose(f);
    /* the public key as SubjectPublicKeyInfo PEM, built from n and e alone */
    json_t *jwk = egov_jose_key_public_jwk(pub);
    assert_non_null(jwk);
    uint8_t nb[1024], eb[16];
    const char *ns = json_string_value(json_object_get(jwk, "n"));
    const char *es = json_string_value(json_object_get(jwk, "e"));
    long nl = egov_base64url_decode(ns, strlen(ns), nb);
    long el = egov_base64url_decode(es, strlen(es), eb);
    assert_true(nl == 256 && el > 0);
    BIGNUM *n = BN_bin2bn(nb, (int)nl, NULL), *e = BN_bin2bn(eb, (int)el, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n), 1);
    assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e), 1);
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *pk = NULL;
    assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
    assert_int_equal(EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params), 1);
    snprintf(path, sizeof(path), "%s/pub.pem", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_PUBKEY(f, pk), 1);
    fclose(f);
    EVP_PKEY_free(pk);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    json_decref(jwk);
    snprintf(cmd, sizeof(cmd),
             "openssl dgst -sha256 -verify %s/pub.pem -signature %s/sig %s/input >%s/out 2>&1", dir,
             dir, dir, dir);
    int rc = system(cmd);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    return rc == 0;
}

static void test_multiprime_rsa(void **state)
{
    (void)state;
    char err[160];
    uint8_t kek[32];
    memset(kek, 9, sizeof(kek));
    /* the forms: two or three primes, nothing else */
    assert_null(egov_jose_key_generate_rsa("x", 1));
    assert_null(egov_jose_key_generate_rsa("x", 4));
    struct egov_jose_key *two = egov_jose_key_generate_rsa("two", 2);
    assert_non_null(two);
    assert_int_equal(egov_jose_key_rsa_primes(two), 2);
    egov_jose_key_free(two);
    /* a generated key is in one of them, whichever signed faster here */
    struct egov_jose_key *auto_key = egov_jose_key_generate(EGOV_JOSE_RS256, "auto");
    assert_non_null(auto_key);
    unsigned int ap = egov_jose_key_rsa_primes(auto_key);
    assert_true(ap == 2 || ap == 3);
    egov_jose_key_free(auto_key);
    struct egov_jose_key *ec = egov_jose_key_generate(EGOV_JOSE_ES256, "ec");
    assert_int_equal(egov_jose_key_rsa_primes(ec), 0);
    egov_jose_key_free(ec);

    /* a three-prime key survives its encrypted storage form (a restart) */
    struct egov_jose_key *made = egov_jose_key_generate_rsa("mp", 3);
    assert_non_null(made);
    assert_int_equal(egov_jose_key_rsa_primes(made), 3);
    char *pem = egov_jose_key_export_private(made, kek, sizeof(kek));
    assert_non_null(pem);
    egov_jose_key_free(made);
    struct egov_jose_key *k = egov_jose_key_import_private(pem, EGOV_JOSE_RS256, "mp", kek, 32);
    assert_non_null(k);
    assert_int_equal(egov_jose_key_rsa_primes(k), 3);
    json_t *claims = json_pack("{s:s, s:i}", "sub", "alice", "exp", 2000000000);

    /* its public JWK is n and e only */
    json_t *jwk = egov_jose_key_public_jwk(k);
    assert_non_null(jwk);
    const char *members[] = {"d", "p", "q", "dp", "dq", "qi", "oth"};
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
        assert_null(json_object_get(jwk, members[i]));
    struct egov_jose_key *pub = egov_jose_key_from_jwk(jwk, err, sizeof(err));
    assert_non_null(pub);
    assert_int_equal(egov_jose_key_rsa_primes(pub), 0);

    /* every signature verifies with the plain public key, in egov and in the
     * openssl command; a changed signing input does not */
    for (int i = 0; i < 3; i++) {
        char *jws = egov_jose_sign(k, claims, "JWT");
        assert_non_null(jws);
        json_t *got = egov_jose_verify(jws, the_key, pub, err, sizeof(err));
        assert_non_null(got);
        json_decref(got);
        assert_true(openssl_cli_verifies(jws, pub));
        jws[3] = jws[3] == 'A' ? 'B' : 'A';
        assert_false(openssl_cli_verifies(jws, pub));
        egov_free(jws);
    }
    json_decref(jwk);
    json_decref(claims);
    egov_jose_key_free(pub);
    egov_jose_key_free(k);
    egov_free(pem);
}

struct signer {
    const struct egov_jose_key *key;
    struct egov_jose_key *pub;
    int ok;
};

static void *sign_many(void *arg)
{
    struct signer *s = arg;
    char err[160];
    json_t *claims = json_pack("{s:s}", "sub", "bob");
    for (int i = 0; i < 25; i++) {
        char *jws = egov_jose_sign(s->key, claims, NULL);
        json_t *got = jws ? egov_jose_verify(jws, the_key, s->pub, err, sizeof(err)) : NULL;
        if (got != NULL)
            s->ok++;
        json_decref(got);
        egov_free(jws);
    }
    json_decref(claims);
    return NULL;
}

/* One key signs from many threads at once (the node's server threads share it). */
static void test_concurrent_signing(void **state)
{
    (void)state;
    char err[160];
    static const enum egov_jose_alg algs[] = {EGOV_JOSE_RS256, EGOV_JOSE_ES256};
    for (size_t a = 0; a < 2; a++) {
        struct egov_jose_key *k = egov_jose_key_generate(algs[a], "shared");
        json_t *jwk = egov_jose_key_public_jwk(k);
        struct egov_jose_key *pub = egov_jose_key_from_jwk(jwk, err, sizeof(err));
        assert_non_null(pub);
        pthread_t th[4];
        struct signer s[4];
        for (int i = 0; i < 4; i++) {
            s[i] = (struct signer){k, pub, 0};
            assert_int_equal(pthread_create(&th[i], NULL, sign_many, &s[i]), 0);
        }
        for (int i = 0; i < 4; i++) {
            pthread_join(th[i], NULL);
            assert_int_equal(s[i].ok, 25);
        }
        json_decref(jwk);
        egov_jose_key_free(pub);
        egov_jose_key_free(k);
    }
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
        cmocka_unit_test(test_rs256),
        cmocka_unit_test(test_es256),
        cmocka_unit_test(test_private_export),
        cmocka_unit_test(test_jwk_refusals),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_multiprime_rsa),
        cmocka_unit_test(test_concurrent_signing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
