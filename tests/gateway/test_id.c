/*
 * test_id.c -- the gateway's identifiers, service paths, signing keys and
 * the RFC 9421 header parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "gateway/gw_int.h"

static void test_service_ids(void **state)
{
    (void)state;
    struct egov_gateway_id id;
    char why[200];
    const char *rest = NULL;
    assert_int_equal(
        egov_gateway_service_id_parse("TW/GOV/MOI/household/persons", &id, NULL, why, sizeof why),
        EGOV_EC_NONE);
    assert_string_equal(id.agency, "MOI");
    assert_string_equal(id.subsystem, "household");
    assert_string_equal(id.service, "persons");
    assert_string_equal(id.version, "");
    assert_string_equal(id.text, "TW/GOV/MOI/household/persons");

    assert_int_equal(egov_gateway_service_id_parse("TW/GOV/MOI/household/persons/v2/A1/x", &id,
                                                   &rest, why, sizeof why),
                     EGOV_EC_NONE);
    assert_string_equal(id.version, "v2");
    assert_string_equal(rest, "/A1/x");
    assert_string_equal(id.text, "TW/GOV/MOI/household/persons/v2");

    /* without a version the next segment is path */
    assert_int_equal(egov_gateway_service_id_parse("TW/GOV/MOI/household/persons/A123456789", &id,
                                                   &rest, why, sizeof why),
                     EGOV_EC_NONE);
    assert_string_equal(rest, "/A123456789");

    static const char *const bad[] = {
        "",
        "TW/GOV/MOI/household",
        "TW/GOV/MOI/household/",
        "XX/GOV/MOI/household/persons",
        "TW/GOV//household/persons",
        "TW/GOV/../household/persons",
        "TW/GOV/MOI/./persons",
        "TW/GOV/MOI/house hold/persons",
        "TW/GOV/MOI/household/pers%2Fons",
        "TW/GOV/MOI/household/persons/v0",
        "TW/GOV/MOI/household/persons/vx",
        "TW/GOV/MOI/household/persons/v1/extra",
        "TW/GOV/MOI/household/\xe6\x88\xb6",
        "TW/GOV/MOIMOIMOIMOIMOIMOIMOIMOIMOIMOIMOIMOIMOIMOIMOIMOIMOIMOIMOIMOIMOIMOI/h/p",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        assert_int_equal(egov_gateway_service_id_parse(bad[i], &id, NULL, why, sizeof why),
                         EGOV_EC_GATEWAY_SERVICE_ID_INVALID);
        assert_true(why[0] != '\0');
    }
    assert_int_equal(egov_gateway_member_id_parse("TW/GOV/MOF/tax", &id, why, sizeof why),
                     EGOV_EC_NONE);
    assert_int_equal(egov_gateway_member_id_parse("TW/GOV/MOF/tax/x", &id, why, sizeof why),
                     EGOV_EC_GATEWAY_CLIENT_INVALID);
    assert_int_equal(egov_gateway_member_id_parse(NULL, &id, why, sizeof why),
                     EGOV_EC_GATEWAY_CLIENT_INVALID);
}

static void test_paths(void **state)
{
    (void)state;
    char why[200];
    assert_int_equal(egov_gateway_path_check("", why, sizeof why), EGOV_EC_NONE);
    assert_int_equal(egov_gateway_path_check("/", why, sizeof why), EGOV_EC_NONE);
    assert_int_equal(egov_gateway_path_check("/persons/A1/transcript", why, sizeof why),
                     EGOV_EC_NONE);
    static const char *const bad[] = {"/..",   "/a/../b", "/a/./b", "/a//b", "/a/%2e%2e",
                                      "/a\\b", "/a\x01",  "x",      "/..%2f"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(egov_gateway_path_check(bad[i], why, sizeof why),
                         EGOV_EC_GATEWAY_PATH_INVALID);
}

static void test_keys(void **state)
{
    (void)state;
    enum egov_sigkey_alg algs[] = {EGOV_SIGKEY_ED25519, EGOV_SIGKEY_ES256};
    for (size_t a = 0; a < 2; a++) {
        struct egov_sigkey *k = egov_sigkey_generate(algs[a]);
        assert_non_null(k);
        char *pub = egov_sigkey_public_pem(k);
        char *priv = egov_sigkey_private_pem(k);
        assert_non_null(pub);
        assert_non_null(priv);
        struct egov_sigkey *p = egov_sigkey_from_pem(pub, strlen(pub));
        struct egov_sigkey *k2 = egov_sigkey_from_pem(priv, strlen(priv));
        assert_non_null(p);
        assert_non_null(k2);
        assert_false(egov_sigkey_is_private(p));
        assert_int_equal(egov_sigkey_alg(p), algs[a]);
        uint8_t sig[EGOV_SIGKEY_MAX_SIG];
        size_t sl = 0;
        assert_true(egov_sigkey_sign(k2, "hello", 5, sig, &sl));
        assert_int_equal(sl, 64);
        assert_true(egov_sigkey_verify(p, "hello", 5, sig, sl));
        assert_false(egov_sigkey_verify(p, "hellp", 5, sig, sl));
        sig[10] ^= 1;
        assert_false(egov_sigkey_verify(p, "hello", 5, sig, sl));
        assert_false(egov_sigkey_sign(p, "x", 1, sig, &sl));
        /* a key signs and checks again and again (each use copies the key's
         * prepared context, none is used up) */
        for (int round = 0; round < 3; round++) {
            char m[16];
            snprintf(m, sizeof m, "round %d", round);
            assert_true(egov_sigkey_sign(k2, m, strlen(m), sig, &sl));
            assert_true(egov_sigkey_verify(p, m, strlen(m), sig, sl));
            assert_true(egov_sigkey_verify(k, m, strlen(m), sig, sl));
            assert_false(egov_sigkey_verify(p, "round x", 7, sig, sl));
        }
        egov_free(pub);
        egov_free(priv);
        egov_sigkey_free(p);
        egov_sigkey_free(k2);
        egov_sigkey_free(k);
    }
    assert_null(egov_sigkey_from_pem("garbage", 7));
}

/*
 * RSA keys: rsa-pss-sha512 with RFC 9421's parameters (MGF1 SHA-512, a
 * 64-byte salt) and rsa-v1_5-sha256, checked against signatures OpenSSL
 * makes with those parameters spelled out; other parameters, other
 * algorithms and short keys are refused.
 */
static void test_rsa_keys(void **state)
{
    (void)state;
    static const char msg[] = "\"@method\": GET\n\"@path\": /r1/x";
    struct egov_sigkey *k = egov_sigkey_generate(EGOV_SIGKEY_RSA_V15_SHA256);
    assert_non_null(k);
    assert_int_equal(egov_sigkey_alg(k), EGOV_SIGKEY_RSA_V15_SHA256);
    char *pub = egov_sigkey_public_pem(k), *priv = egov_sigkey_private_pem(k);
    struct egov_sigkey *p = egov_sigkey_from_pem(pub, strlen(pub));
    assert_non_null(p);
    assert_int_equal(egov_sigkey_alg(p), EGOV_SIGKEY_RSA_PSS_SHA512);
    assert_true(egov_sigkey_alg_fits(p, EGOV_SIGKEY_RSA_V15_SHA256));
    assert_false(egov_sigkey_alg_fits(p, EGOV_SIGKEY_ES256));
    assert_string_equal(egov_sigkey_alg_name(EGOV_SIGKEY_RSA_PSS_SHA512), "rsa-pss-sha512");
    assert_int_equal(egov_sigkey_alg_parse("rsa-v1_5-sha256"), EGOV_SIGKEY_RSA_V15_SHA256);

    /* our signatures, both algorithms, checked by ours and not across */
    uint8_t sig[EGOV_SIGKEY_MAX_SIG];
    size_t sl = 0;
    assert_true(egov_sigkey_sign_alg(k, EGOV_SIGKEY_RSA_PSS_SHA512, msg, strlen(msg), sig, &sl));
    assert_int_equal(sl, 256);
    assert_true(egov_sigkey_verify_alg(p, EGOV_SIGKEY_RSA_PSS_SHA512, msg, strlen(msg), sig, sl));
    assert_false(egov_sigkey_verify_alg(p, EGOV_SIGKEY_RSA_V15_SHA256, msg, strlen(msg), sig, sl));
    assert_false(egov_sigkey_verify_alg(p, EGOV_SIGKEY_ES256, msg, strlen(msg), sig, sl));
    assert_false(egov_sigkey_verify_alg(p, EGOV_SIGKEY_RSA_PSS_SHA512, msg, strlen(msg), sig, 64));
    assert_true(egov_sigkey_sign(k, msg, strlen(msg), sig, &sl)); /* the key's own: v1_5 */
    assert_true(egov_sigkey_verify_alg(p, EGOV_SIGKEY_RSA_V15_SHA256, msg, strlen(msg), sig, sl));
    sig[100] ^= 4;
    assert_false(egov_sigkey_verify_alg(p, EGOV_SIGKEY_RSA_V15_SHA256, msg, strlen(msg), sig, sl));

    /* made by OpenSSL directly with the parameters RFC 9421 names */
    BIO *b = BIO_new_mem_buf(priv, (int)strlen(priv));
    EVP_PKEY *pk = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    assert_non_null(pk);
    for (int salt = 64; salt >= 32; salt -= 32) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pc = NULL;
        assert_int_equal(EVP_DigestSignInit(ctx, &pc, EVP_sha512(), NULL, pk), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(pc, EVP_sha512()), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, salt), 1);
        sl = sizeof sig;
        assert_int_equal(EVP_DigestSign(ctx, sig, &sl, (const unsigned char *)msg, strlen(msg)), 1);
        EVP_MD_CTX_free(ctx);
        /* a salt other than 64 bytes is not rsa-pss-sha512 */
        assert_int_equal(
            egov_sigkey_verify_alg(p, EGOV_SIGKEY_RSA_PSS_SHA512, msg, strlen(msg), sig, sl),
            salt == 64);
    }
    {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pk), 1);
        sl = sizeof sig;
        assert_int_equal(EVP_DigestSign(ctx, sig, &sl, (const unsigned char *)msg, strlen(msg)), 1);
        EVP_MD_CTX_free(ctx);
        assert_true(
            egov_sigkey_verify_alg(p, EGOV_SIGKEY_RSA_V15_SHA256, msg, strlen(msg), sig, sl));
    }
    EVP_PKEY_free(pk);
    /* RSA under 2048 bits is no signing key */
    EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    assert_non_null(small);
    b = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PUBKEY(b, small), 1);
    char *data = NULL;
    long n = BIO_get_mem_data(b, &data);
    assert_null(egov_sigkey_from_pem(data, (size_t)n));
    BIO_free(b);
    EVP_PKEY_free(small);
    egov_free(pub);
    egov_wipe(priv, strlen(priv));
    egov_free(priv);
    egov_sigkey_free(p);
    egov_sigkey_free(k);
}

static void test_sig_input(void **state)
{
    (void)state;
    struct egov_arena *a = egov_arena_create(4096);
    struct gw_sig_input in;
    char why[200];
    assert_true(gw_sig_input_parse("other=(\"@method\");created=1, sig1=(\"@method\" \"@path\" "
                                   "\"x-road-id\");created=1700000000;"
                                   "keyid=\"TW/GOV/MOF/tax\";alg=\"ed25519\";nonce=\"abc\"",
                                   &in, a, why, sizeof why));
    assert_int_equal(in.ncomponents, 3);
    assert_string_equal(in.components[1], "@path");
    assert_int_equal(in.created, 1700000000);
    assert_string_equal(in.keyid, "TW/GOV/MOF/tax");
    assert_string_equal(in.alg, "ed25519");
    assert_string_equal(in.params, "(\"@method\" \"@path\" \"x-road-id\");created=1700000000;"
                                   "keyid=\"TW/GOV/MOF/tax\";alg=\"ed25519\";nonce=\"abc\"");
    static const char *const bad[] = {
        "sig2=(\"@method\");created=1;keyid=\"k\"", "sig1=\"@method\";created=1;keyid=\"k\"",
        "sig1=(\"@method\");keyid=\"k\"",           "sig1=(\"@method\");created=1",
        "sig1=(\"@method\";created=1;keyid=\"k\"",  "sig1=(\"@method\");created=x;keyid=\"k\"",
        "sig1=(\"@method\");created=1;keyid=\"k",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(gw_sig_input_parse(bad[i], &in, a, why, sizeof why));
    uint8_t sig[EGOV_SIGKEY_MAX_SIG];
    assert_int_equal(gw_signature_decode("sig1=:AAECAw==:", sig), 4);
    assert_int_equal(sig[3], 3);
    assert_int_equal(gw_signature_decode("sig1=:AAECAw=:", sig), -1);
    assert_int_equal(gw_signature_decode("sig2=:AAECAw==:", sig), -1);
    char dg[64];
    gw_content_digest("{\"hello\": \"world\"}\n", 19, dg);
    /* RFC 9530 appendix B example value */
    assert_string_equal(dg, "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:");
    egov_arena_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_service_ids), cmocka_unit_test(test_paths),
        cmocka_unit_test(test_keys),        cmocka_unit_test(test_rsa_keys),
        cmocka_unit_test(test_sig_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
