/*
 * jose.c -- signing keys, JWKs and compact JWS (RFC 7515, 7517, 7518) for
 * RS256 and ES256 on OpenSSL 3.  The OpenID Connect provider signs its ID
 * and access tokens here and verifies clients' assertions; no other module
 * touches the key material.
 */
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "crypto/crypto.h"

#define JOSE_MAX_TOKEN 16384u /* longest compact JWS we look at */
#define JOSE_RSA_BITS  2048
#define JOSE_RSA_MIN   2048
#define JOSE_RSA_MAX   8192
#define JOSE_EC_COORD  32u
#define JOSE_KID_MAX   128u
/* Choosing the form of a new RSA key: rounds of signatures timed per form. */
#define JOSE_TIME_ROUNDS 3
#define JOSE_TIME_SIGS   4

struct egov_jose_key {
    EVP_PKEY *pkey;
    /*
     * For a private key: a SHA-256 signing context initialised once, which
     * egov_jose_sign() copies instead of initialising a new one (that looks
     * the algorithm up in OpenSSL's provider store under a lock every time).
     * Only read after key_wrap(), so threads may copy it concurrently.
     * NULL if it could not be made; then every signature initialises its own.
     */
    EVP_MD_CTX *sign_tpl;
    enum egov_jose_alg alg;
    bool has_private;
    char kid[JOSE_KID_MAX];
};

const char *egov_jose_alg_name(enum egov_jose_alg alg)
{
    switch (alg) {
    case EGOV_JOSE_RS256:
        return "RS256";
    case EGOV_JOSE_ES256:
        return "ES256";
    default:
        return NULL;
    }
}

enum egov_jose_alg egov_jose_alg_parse(const char *name)
{
    if (name == NULL)
        return EGOV_JOSE_NONE;
    if (strcmp(name, "RS256") == 0)
        return EGOV_JOSE_RS256;
    if (strcmp(name, "ES256") == 0)
        return EGOV_JOSE_ES256;
    return EGOV_JOSE_NONE;
}

static struct egov_jose_key *key_wrap(EVP_PKEY *pkey, enum egov_jose_alg alg, bool priv,
                                      const char *kid)
{
    struct egov_jose_key *k = egov_calloc(1, sizeof(*k));
    if (k == NULL) {
        EVP_PKEY_free(pkey);
        return NULL;
    }
    k->pkey = pkey;
    k->alg = alg;
    k->has_private = priv;
    if (priv) {
        k->sign_tpl = EVP_MD_CTX_new();
        if (k->sign_tpl != NULL &&
            EVP_DigestSignInit(k->sign_tpl, NULL, EVP_sha256(), NULL, pkey) != 1) {
            EVP_MD_CTX_free(k->sign_tpl);
            k->sign_tpl = NULL;
        }
    }
    if (kid != NULL) {
        size_t n = strlen(kid);
        if (n >= sizeof(k->kid))
            n = sizeof(k->kid) - 1;
        memcpy(k->kid, kid, n);
        k->kid[n] = '\0';
    }
    return k;
}

/* True if @p pkey is of the type @p alg needs (RSA of sane size, or P-256). */
static bool key_fits_alg(EVP_PKEY *pkey, enum egov_jose_alg alg)
{
    if (alg == EGOV_JOSE_RS256) {
        int bits = EVP_PKEY_get_bits(pkey);
        return EVP_PKEY_is_a(pkey, "RSA") && bits >= JOSE_RSA_MIN && bits <= JOSE_RSA_MAX;
    }
    if (alg == EGOV_JOSE_ES256) {
        char group[64];
        size_t glen = 0;
        return EVP_PKEY_is_a(pkey, "EC") &&
               EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                              sizeof(group), &glen) == 1 &&
               strcmp(group, "prime256v1") == 0;
    }
    return false;
}

/* A new RSA key of JOSE_RSA_BITS bits whose modulus has @p primes primes; NULL on failure. */
static EVP_PKEY *rsa_keygen(unsigned int primes)
{
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1 ||
        EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, JOSE_RSA_BITS) != 1 ||
        EVP_PKEY_CTX_set_rsa_keygen_primes(ctx, (int)primes) != 1 ||
        EVP_PKEY_generate(ctx, &pkey) != 1)
        pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

/* CPU time of this thread in nanoseconds. */
static int64_t thread_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * CPU time of JOSE_TIME_SIGS RS256 signatures with @p pkey (of a token-sized
 * input), in nanoseconds; INT64_MAX if signing fails.
 */
static int64_t time_signatures(EVP_PKEY *pkey)
{
    uint8_t input[512], sig[JOSE_RSA_MAX / 8];
    memset(input, 'e', sizeof(input));
    int64_t t0 = thread_ns();
    for (int i = 0; i < JOSE_TIME_SIGS; i++) {
        size_t siglen = sizeof(sig);
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        bool ok = md != NULL && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) == 1 &&
                  EVP_DigestSign(md, sig, &siglen, input, sizeof(input)) == 1;
        EVP_MD_CTX_free(md);
        if (!ok)
            return INT64_MAX;
    }
    return thread_ns() - t0;
}

/*
 * An RS256 key in the form that signs faster on this machine.  RFC 8017
 * allows a modulus of more than two primes; verifiers use only n and e, so
 * the choice is invisible outside.  Which form is faster depends on the
 * CPU: OpenSSL 3.0 has an AVX-512 IFMA routine for two 1024-bit primes
 * that beats three 683-bit primes by about 45%, while on CPUs without it
 * three primes sign about 20% faster.  So both forms are generated and
 * timed (the least CPU time of a few rounds each, so that other load on
 * the machine does not decide), and the faster one is kept.  If a
 * three-prime key cannot be made (a FIPS provider refuses them), the
 * two-prime key is used.
 */
static EVP_PKEY *rsa_keygen_fastest(void)
{
    EVP_PKEY *two = rsa_keygen(2);
    if (two == NULL)
        return NULL;
    EVP_PKEY *three = rsa_keygen(3);
    if (three == NULL)
        return two;
    int64_t best2 = INT64_MAX, best3 = INT64_MAX;
    for (int r = 0; r < JOSE_TIME_ROUNDS; r++) {
        int64_t t2 = time_signatures(two), t3 = time_signatures(three);
        if (t2 < best2)
            best2 = t2;
        if (t3 < best3)
            best3 = t3;
    }
    if (best3 < best2) {
        EVP_PKEY_free(two);
        return three;
    }
    EVP_PKEY_free(three);
    return two;
}

struct egov_jose_key *egov_jose_key_generate(enum egov_jose_alg alg, const char *kid)
{
    EVP_PKEY *pkey = NULL;
    if (alg == EGOV_JOSE_RS256)
        pkey = rsa_keygen_fastest();
    else if (alg == EGOV_JOSE_ES256)
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (pkey == NULL)
        return NULL;
    return key_wrap(pkey, alg, true, kid);
}

struct egov_jose_key *egov_jose_key_generate_rsa(const char *kid, unsigned int primes)
{
    if (primes < 2 || primes > 3)
        return NULL;
    EVP_PKEY *pkey = rsa_keygen(primes);
    if (pkey == NULL)
        return NULL;
    return key_wrap(pkey, EGOV_JOSE_RS256, true, kid);
}

unsigned int egov_jose_key_rsa_primes(const struct egov_jose_key *k)
{
    static const char *const factors[] = {OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
                                          OSSL_PKEY_PARAM_RSA_FACTOR3, OSSL_PKEY_PARAM_RSA_FACTOR4,
                                          OSSL_PKEY_PARAM_RSA_FACTOR5};
    unsigned int n = 0;
    if (k == NULL || !k->has_private || k->alg != EGOV_JOSE_RS256)
        return 0;
    for (size_t i = 0; i < sizeof(factors) / sizeof(factors[0]); i++) {
        BIGNUM *f = NULL;
        if (EVP_PKEY_get_bn_param(k->pkey, factors[i], &f) != 1 || f == NULL)
            break;
        BN_clear_free(f);
        n++;
    }
    return n;
}

char *egov_jose_key_export_private(const struct egov_jose_key *k, const uint8_t *kek, size_t keklen)
{
    char *out = NULL;
    char pass[2 * 64 + 1];
    BIO *bio = NULL;
    if (k == NULL || !k->has_private || kek == NULL || keklen < 16 || keklen > 64)
        return NULL;
    /* the secret as hex text is the PKCS#8 password (PBKDF2 inside) */
    egov_hex_encode(kek, keklen, pass);
    bio = BIO_new(BIO_s_mem());
    if (bio == NULL)
        goto done;
    if (PEM_write_bio_PKCS8PrivateKey(bio, k->pkey, EVP_aes_256_cbc(), pass, (int)strlen(pass),
                                      NULL, NULL) != 1)
        goto done;
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    if (len <= 0)
        goto done;
    out = egov_malloc((size_t)len + 1);
    if (out == NULL)
        goto done;
    memcpy(out, data, (size_t)len);
    out[len] = '\0';
done:
    egov_wipe(pass, sizeof(pass));
    BIO_free(bio);
    return out;
}

struct egov_jose_key *egov_jose_key_import_private(const char *pem, enum egov_jose_alg alg,
                                                   const char *kid, const uint8_t *kek,
                                                   size_t keklen)
{
    char pass[2 * 64 + 1];
    EVP_PKEY *pkey = NULL;
    BIO *bio = NULL;
    if (pem == NULL || kek == NULL || keklen < 16 || keklen > 64)
        return NULL;
    egov_hex_encode(kek, keklen, pass);
    bio = BIO_new_mem_buf(pem, -1);
    if (bio != NULL)
        pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, pass);
    egov_wipe(pass, sizeof(pass));
    BIO_free(bio);
    if (pkey == NULL)
        return NULL;
    if (!key_fits_alg(pkey, alg)) {
        EVP_PKEY_free(pkey);
        return NULL;
    }
    return key_wrap(pkey, alg, true, kid);
}

/* Decodes base64url member @p name of @p jwk into a malloc'd buffer. */
static uint8_t *jwk_bytes(const json_t *jwk, const char *name, size_t maxlen, size_t *len)
{
    const char *s = json_string_value(json_object_get(jwk, name));
    if (s == NULL)
        return NULL;
    size_t sl = strlen(s);
    if (sl == 0 || sl > (maxlen * 4) / 3 + 4)
        return NULL;
    uint8_t *buf = egov_malloc(sl);
    if (buf == NULL)
        return NULL;
    long n = egov_base64url_decode(s, sl, buf);
    if (n <= 0) {
        egov_free(buf);
        return NULL;
    }
    *len = (size_t)n;
    return buf;
}

static EVP_PKEY *pkey_fromdata(const char *type, OSSL_PARAM *params)
{
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (ctx != NULL && EVP_PKEY_fromdata_init(ctx) == 1)
        if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
            pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

static EVP_PKEY *jwk_rsa(const json_t *jwk)
{
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    BIGNUM *n = NULL, *e = NULL;
    size_t nl = 0, el = 0;
    uint8_t *nb = jwk_bytes(jwk, "n", JOSE_RSA_MAX / 8 + 1, &nl);
    uint8_t *eb = jwk_bytes(jwk, "e", 8, &el);
    if (nb == NULL || eb == NULL)
        goto done;
    n = BN_bin2bn(nb, (int)nl, NULL);
    e = BN_bin2bn(eb, (int)el, NULL);
    bld = OSSL_PARAM_BLD_new();
    if (n == NULL || e == NULL || bld == NULL)
        goto done;
    if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1)
        goto done;
    params = OSSL_PARAM_BLD_to_param(bld);
    if (params != NULL)
        pkey = pkey_fromdata("RSA", params);
done:
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    egov_free(nb);
    egov_free(eb);
    return pkey;
}

static EVP_PKEY *jwk_ec(const json_t *jwk)
{
    EVP_PKEY *pkey = NULL;
    uint8_t point[1 + 2 * JOSE_EC_COORD];
    size_t xl = 0, yl = 0;
    OSSL_PARAM params[3];
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    uint8_t *x = NULL, *y = NULL;
    if (crv == NULL || strcmp(crv, "P-256") != 0)
        return NULL;
    x = jwk_bytes(jwk, "x", JOSE_EC_COORD, &xl);
    y = jwk_bytes(jwk, "y", JOSE_EC_COORD, &yl);
    if (x == NULL || y == NULL || xl != JOSE_EC_COORD || yl != JOSE_EC_COORD)
        goto done;
    point[0] = 0x04;
    memcpy(point + 1, x, JOSE_EC_COORD);
    memcpy(point + 1 + JOSE_EC_COORD, y, JOSE_EC_COORD);
    params[0] =
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"prime256v1", 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point));
    params[2] = OSSL_PARAM_construct_end();
    /* fromdata checks that the point lies on the curve */
    pkey = pkey_fromdata("EC", params);
done:
    egov_free(x);
    egov_free(y);
    return pkey;
}

struct egov_jose_key *egov_jose_key_from_jwk(const json_t *jwk, char *err, size_t errlen)
{
    static const char *const private_members[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};
    const char *kty = json_string_value(json_object_get(jwk, "kty"));
    const char *alg_s = json_string_value(json_object_get(jwk, "alg"));
    const char *use = json_string_value(json_object_get(jwk, "use"));
    const char *kid = json_string_value(json_object_get(jwk, "kid"));
    enum egov_jose_alg alg;
    EVP_PKEY *pkey = NULL;
    if (!json_is_object(jwk) || kty == NULL) {
        snprintf(err, errlen, "a JWK must be an object with \"kty\"");
        return NULL;
    }
    for (size_t i = 0; i < sizeof(private_members) / sizeof(private_members[0]); i++)
        if (json_object_get(jwk, private_members[i]) != NULL) {
            snprintf(err, errlen, "the JWK contains private key member \"%s\"", private_members[i]);
            return NULL;
        }
    if (use != NULL && strcmp(use, "sig") != 0) {
        snprintf(err, errlen, "the JWK is not for signatures (use \"%s\")", use);
        return NULL;
    }
    if (kid != NULL && strlen(kid) >= JOSE_KID_MAX) {
        snprintf(err, errlen, "the JWK's kid is too long");
        return NULL;
    }
    if (strcmp(kty, "RSA") == 0) {
        alg = EGOV_JOSE_RS256;
        pkey = jwk_rsa(jwk);
    } else if (strcmp(kty, "EC") == 0) {
        alg = EGOV_JOSE_ES256;
        pkey = jwk_ec(jwk);
    } else {
        snprintf(err, errlen, "unsupported key type \"%s\" (RSA or EC P-256)", kty);
        return NULL;
    }
    if (alg_s != NULL && egov_jose_alg_parse(alg_s) != alg) {
        EVP_PKEY_free(pkey);
        snprintf(err, errlen, "the JWK's alg \"%s\" does not fit its key type", alg_s);
        return NULL;
    }
    if (pkey == NULL || !key_fits_alg(pkey, alg)) {
        EVP_PKEY_free(pkey);
        snprintf(err, errlen, "the JWK's key parameters are invalid (RSA needs 2048 bits or more)");
        return NULL;
    }
    struct egov_jose_key *k = key_wrap(pkey, alg, false, kid);
    if (k == NULL)
        snprintf(err, errlen, "out of memory");
    return k;
}

/* Sets base64url member @p name of @p obj to @p n bytes at @p p. */
static bool set_b64(json_t *obj, const char *name, const uint8_t *p, size_t n)
{
    char *s = egov_malloc(egov_base64url_len(n) + 1);
    if (s == NULL)
        return false;
    egov_base64url_encode(p, n, s);
    bool ok = json_object_set_new(obj, name, json_string(s)) == 0;
    egov_free(s);
    return ok;
}

static bool set_bn(json_t *obj, const char *name, const BIGNUM *bn)
{
    int n = BN_num_bytes(bn);
    if (n <= 0 || n > JOSE_RSA_MAX / 8 + 1)
        return false;
    uint8_t *buf = egov_malloc((size_t)n);
    if (buf == NULL)
        return false;
    bool ok = BN_bn2bin(bn, buf) == n && set_b64(obj, name, buf, (size_t)n);
    egov_free(buf);
    return ok;
}

json_t *egov_jose_key_public_jwk(const struct egov_jose_key *k)
{
    json_t *jwk = NULL;
    BIGNUM *n = NULL, *e = NULL;
    if (k == NULL)
        return NULL;
    jwk = json_pack("{s:s, s:s, s:s}", "use", "sig", "alg", egov_jose_alg_name(k->alg), "kid",
                    k->kid);
    if (jwk == NULL)
        return NULL;
    if (k->alg == EGOV_JOSE_RS256) {
        if (EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
            EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_E, &e) != 1)
            goto fail;
        if (json_object_set_new(jwk, "kty", json_string("RSA")) != 0 || !set_bn(jwk, "n", n) ||
            !set_bn(jwk, "e", e))
            goto fail;
    } else {
        uint8_t point[1 + 2 * JOSE_EC_COORD];
        size_t plen = 0;
        if (EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
                                            sizeof(point), &plen) != 1 ||
            plen != sizeof(point) || point[0] != 0x04)
            goto fail;
        if (json_object_set_new(jwk, "kty", json_string("EC")) != 0 ||
            json_object_set_new(jwk, "crv", json_string("P-256")) != 0 ||
            !set_b64(jwk, "x", point + 1, JOSE_EC_COORD) ||
            !set_b64(jwk, "y", point + 1 + JOSE_EC_COORD, JOSE_EC_COORD))
            goto fail;
    }
    BN_free(n);
    BN_free(e);
    return jwk;
fail:
    BN_free(n);
    BN_free(e);
    json_decref(jwk);
    return NULL;
}

const char *egov_jose_key_kid(const struct egov_jose_key *k)
{
    return k->kid;
}

enum egov_jose_alg egov_jose_key_alg(const struct egov_jose_key *k)
{
    return k->alg;
}

void egov_jose_key_free(struct egov_jose_key *k)
{
    if (k == NULL)
        return;
    EVP_MD_CTX_free(k->sign_tpl);
    EVP_PKEY_free(k->pkey); /* OpenSSL clears private key material when freeing */
    egov_wipe(k, sizeof(*k));
    egov_free(k);
}

/* Appends base64url of @p n bytes to @p b. */
static void buf_b64(struct egov_buf *b, const void *p, size_t n)
{
    char *s = egov_malloc(egov_base64url_len(n) + 1);
    if (s == NULL) {
        b->oom = true;
        return;
    }
    size_t l = egov_base64url_encode(p, n, s);
    egov_buf_append(b, s, l);
    egov_free(s);
}

/* Converts a DER ECDSA signature to the JWS form R || S (32 bytes each). */
static bool ecdsa_der_to_raw(const uint8_t *der, size_t len, uint8_t raw[2 * JOSE_EC_COORD])
{
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
    if (sig == NULL)
        return false;
    const BIGNUM *r = NULL, *s = NULL;
    ECDSA_SIG_get0(sig, &r, &s);
    bool ok = BN_bn2binpad(r, raw, JOSE_EC_COORD) == (int)JOSE_EC_COORD &&
              BN_bn2binpad(s, raw + JOSE_EC_COORD, JOSE_EC_COORD) == (int)JOSE_EC_COORD;
    ECDSA_SIG_free(sig);
    return ok;
}

/* Converts R || S to DER into a malloc'd buffer. */
static uint8_t *ecdsa_raw_to_der(const uint8_t *raw, size_t *derlen)
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, JOSE_EC_COORD, NULL);
    BIGNUM *s = BN_bin2bn(raw + JOSE_EC_COORD, JOSE_EC_COORD, NULL);
    uint8_t *der = NULL;
    if (sig == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(sig, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(sig);
        return NULL;
    }
    int n = i2d_ECDSA_SIG(sig, NULL);
    if (n > 0 && (der = egov_malloc((size_t)n)) != NULL) {
        unsigned char *q = der;
        if (i2d_ECDSA_SIG(sig, &q) != n) {
            egov_free(der);
            der = NULL;
        } else {
            *derlen = (size_t)n;
        }
    }
    ECDSA_SIG_free(sig);
    return der;
}

char *egov_jose_sign(const struct egov_jose_key *k, const json_t *claims, const char *typ)
{
    struct egov_buf b;
    EVP_MD_CTX *md = NULL;
    uint8_t *sig = NULL;
    char *header = NULL, *payload = NULL;
    json_t *h = NULL;
    egov_buf_init(&b);
    if (k == NULL || !k->has_private || claims == NULL)
        return NULL;
    h = json_pack("{s:s, s:s}", "alg", egov_jose_alg_name(k->alg), "kid", k->kid);
    if (h == NULL || (typ != NULL && json_object_set_new(h, "typ", json_string(typ)) != 0))
        goto fail;
    header = egov_json_dumps(h);
    payload = egov_json_dumps(claims);
    if (header == NULL || payload == NULL)
        goto fail;
    buf_b64(&b, header, strlen(header));
    egov_buf_putc(&b, '.');
    buf_b64(&b, payload, strlen(payload));
    if (b.oom)
        goto fail;
    size_t siglen = 0;
    md = EVP_MD_CTX_new();
    if (md == NULL)
        goto fail;
    if (k->sign_tpl != NULL ? EVP_MD_CTX_copy_ex(md, k->sign_tpl) != 1
                            : EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k->pkey) != 1)
        goto fail;
    if (EVP_DigestSign(md, NULL, &siglen, (const uint8_t *)b.data, b.len) != 1)
        goto fail;
    sig = egov_malloc(siglen);
    if (sig == NULL || EVP_DigestSign(md, sig, &siglen, (const uint8_t *)b.data, b.len) != 1)
        goto fail;
    egov_buf_putc(&b, '.');
    if (k->alg == EGOV_JOSE_ES256) {
        uint8_t raw[2 * JOSE_EC_COORD];
        if (!ecdsa_der_to_raw(sig, siglen, raw))
            goto fail;
        buf_b64(&b, raw, sizeof(raw));
    } else {
        buf_b64(&b, sig, siglen);
    }
    EVP_MD_CTX_free(md);
    egov_free(sig);
    egov_free(header);
    egov_free(payload);
    json_decref(h);
    return egov_buf_steal(&b);
fail:
    EVP_MD_CTX_free(md);
    egov_free(sig);
    egov_free(header);
    egov_free(payload);
    json_decref(h);
    egov_buf_free(&b);
    return NULL;
}

/* Decodes one base64url JSON object part; new reference or NULL. */
static json_t *decode_part(const char *s, size_t len)
{
    if (len == 0 || len > JOSE_MAX_TOKEN)
        return NULL;
    uint8_t *buf = egov_malloc(len + 1);
    if (buf == NULL)
        return NULL;
    long n = egov_base64url_decode(s, len, buf);
    json_t *j = NULL;
    if (n > 0)
        j = json_loadb((const char *)buf, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
    egov_free(buf);
    if (j != NULL && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

/* Finds the two dots of a compact JWS; false if there are not exactly two. */
static bool split3(const char *jws, size_t *d1, size_t *d2, size_t *len)
{
    size_t n = strnlen(jws, JOSE_MAX_TOKEN + 1);
    if (n == 0 || n > JOSE_MAX_TOKEN)
        return false;
    const char *a = memchr(jws, '.', n);
    if (a == NULL)
        return false;
    const char *b = memchr(a + 1, '.', n - (size_t)(a + 1 - jws));
    if (b == NULL || memchr(b + 1, '.', n - (size_t)(b + 1 - jws)) != NULL)
        return false;
    *d1 = (size_t)(a - jws);
    *d2 = (size_t)(b - jws);
    *len = n;
    return true;
}

bool egov_jose_decode(const char *jws, json_t **header, json_t **claims)
{
    size_t d1, d2, n;
    *header = *claims = NULL;
    if (jws == NULL || !split3(jws, &d1, &d2, &n))
        return false;
    *header = decode_part(jws, d1);
    *claims = decode_part(jws + d1 + 1, d2 - d1 - 1);
    if (*header == NULL || *claims == NULL) {
        json_decref(*header);
        json_decref(*claims);
        *header = *claims = NULL;
        return false;
    }
    return true;
}

json_t *egov_jose_verify(const char *jws, egov_jose_key_lookup_fn lookup, void *cls, char *err,
                         size_t errlen)
{
    json_t *header = NULL, *claims = NULL;
    uint8_t *sig = NULL, *der = NULL;
    EVP_MD_CTX *md = NULL;
    size_t d1, d2, n;
    if (jws == NULL || !split3(jws, &d1, &d2, &n) || !egov_jose_decode(jws, &header, &claims)) {
        snprintf(err, errlen, "not a compact JWS");
        goto fail;
    }
    if (json_object_get(header, "crit") != NULL) {
        snprintf(err, errlen, "critical header extensions are not supported");
        goto fail;
    }
    const char *alg_s = json_string_value(json_object_get(header, "alg"));
    enum egov_jose_alg alg = egov_jose_alg_parse(alg_s);
    if (alg == EGOV_JOSE_NONE) {
        snprintf(err, errlen, "signature algorithm \"%s\" is not accepted",
                 alg_s ? alg_s : "(missing)");
        goto fail;
    }
    const char *kid = json_string_value(json_object_get(header, "kid"));
    const struct egov_jose_key *k = lookup(kid, alg, cls);
    if (k == NULL || k->alg != alg) {
        snprintf(err, errlen, "no key matches the token's kid and alg");
        goto fail;
    }
    size_t slen = n - d2 - 1;
    if (slen == 0 || slen > 2048) {
        snprintf(err, errlen, "the signature is missing or too long");
        goto fail;
    }
    sig = egov_malloc(slen);
    long sl = sig ? egov_base64url_decode(jws + d2 + 1, slen, sig) : -1;
    if (sl <= 0) {
        snprintf(err, errlen, "the signature is not base64url");
        goto fail;
    }
    const uint8_t *vsig = sig;
    size_t vlen = (size_t)sl;
    if (alg == EGOV_JOSE_ES256) {
        if (sl != 2 * JOSE_EC_COORD || (der = ecdsa_raw_to_der(sig, &vlen)) == NULL) {
            snprintf(err, errlen, "the ES256 signature has the wrong length");
            goto fail;
        }
        vsig = der;
    }
    md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k->pkey) != 1 ||
        EVP_DigestVerify(md, vsig, vlen, (const uint8_t *)jws, d2) != 1) {
        snprintf(err, errlen, "the signature does not verify");
        goto fail;
    }
    EVP_MD_CTX_free(md);
    egov_free(sig);
    egov_free(der);
    json_decref(header);
    return claims;
fail:
    EVP_MD_CTX_free(md);
    egov_free(sig);
    egov_free(der);
    json_decref(header);
    json_decref(claims);
    return NULL;
}

long egov_base64_decode(const char *s, size_t len, uint8_t *out)
{
    if (len == 0)
        return 0;
    if (len % 4 != 0 || len > INT32_MAX)
        return -1;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '+' || c == '/' || (c == '=' && i >= len - 2);
        if (!ok || (c != '=' && i > 0 && s[i - 1] == '='))
            return -1;
    }
    int n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
    if (n < 0)
        return -1;
    /* EVP_DecodeBlock counts padding as zero bytes */
    if (s[len - 1] == '=')
        n--;
    if (s[len - 2] == '=')
        n--;
    return n;
}
