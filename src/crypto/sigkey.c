/*
 * sigkey.c -- message signing keys for HTTP Message Signatures (RFC 9421):
 * Ed25519, ECDSA P-256 with SHA-256 (raw r||s signatures), and RSA keys of
 * 2048 bits or more as rsa-pss-sha512 or rsa-v1_5-sha256.  RSA is there
 * for the agencies whose certificates carry RSA keys (as most government
 * certificates do), and because an RSA signature is checked about four
 * times faster than a P-256 one: the gateway checks one for every call.
 */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto/crypto.h"

/*
 * A key keeps one prepared context per algorithm it fits and direction
 * (tpl[alg][sign]), made when the key is loaded.  Signing or checking
 * copies one (EVP_MD_CTX_copy_ex) instead of setting up a context from the
 * key: with OpenSSL 3 the set-up fetches the algorithms from the provider
 * and costs about a fifth of an RSA check or a P-256 signature.  The
 * templates are only read after the key is made, so threads may share a
 * key.
 */
#define ALG_SLOTS 5

struct egov_sigkey {
    EVP_PKEY *pkey;
    enum egov_sigkey_alg alg;
    bool priv;
    EVP_MD_CTX *tpl[ALG_SLOTS][2];
};

static bool digest_init(EVP_MD_CTX *ctx, const struct egov_sigkey *k, enum egov_sigkey_alg alg,
                        bool sign);

const char *egov_sigkey_alg_name(enum egov_sigkey_alg alg)
{
    switch (alg) {
    case EGOV_SIGKEY_ED25519:
        return "ed25519";
    case EGOV_SIGKEY_ES256:
        return "ecdsa-p256-sha256";
    case EGOV_SIGKEY_RSA_PSS_SHA512:
        return "rsa-pss-sha512";
    case EGOV_SIGKEY_RSA_V15_SHA256:
        return "rsa-v1_5-sha256";
    default:
        return "";
    }
}

enum egov_sigkey_alg egov_sigkey_alg_parse(const char *name)
{
    if (name == NULL)
        return EGOV_SIGKEY_NONE;
    if (strcmp(name, "ed25519") == 0)
        return EGOV_SIGKEY_ED25519;
    if (strcmp(name, "ecdsa-p256-sha256") == 0)
        return EGOV_SIGKEY_ES256;
    if (strcmp(name, "rsa-pss-sha512") == 0)
        return EGOV_SIGKEY_RSA_PSS_SHA512;
    if (strcmp(name, "rsa-v1_5-sha256") == 0)
        return EGOV_SIGKEY_RSA_V15_SHA256;
    return EGOV_SIGKEY_NONE;
}

/* Works out the algorithm of @p pkey; NONE for anything we do not sign with. */
static enum egov_sigkey_alg alg_of(EVP_PKEY *pkey)
{
    if (EVP_PKEY_is_a(pkey, "ED25519"))
        return EGOV_SIGKEY_ED25519;
    if (EVP_PKEY_is_a(pkey, "EC")) {
        char group[64];
        size_t glen = 0;
        if (EVP_PKEY_get_utf8_string_param(pkey, "group", group, sizeof group, &glen) &&
            (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0))
            return EGOV_SIGKEY_ES256;
    }
    if (EVP_PKEY_is_a(pkey, "RSA") && EVP_PKEY_get_bits(pkey) >= 2048 &&
        EVP_PKEY_get_bits(pkey) <= EGOV_SIGKEY_MAX_SIG * 8)
        return EGOV_SIGKEY_RSA_PSS_SHA512;
    return EGOV_SIGKEY_NONE;
}

static bool is_rsa(enum egov_sigkey_alg alg)
{
    return alg == EGOV_SIGKEY_RSA_PSS_SHA512 || alg == EGOV_SIGKEY_RSA_V15_SHA256;
}

bool egov_sigkey_alg_fits(const struct egov_sigkey *k, enum egov_sigkey_alg alg)
{
    if (k == NULL || alg == EGOV_SIGKEY_NONE)
        return false;
    return alg == k->alg || (is_rsa(alg) && is_rsa(k->alg));
}

static struct egov_sigkey *wrap(EVP_PKEY *pkey, bool priv)
{
    enum egov_sigkey_alg alg = alg_of(pkey);
    if (alg == EGOV_SIGKEY_NONE) {
        EVP_PKEY_free(pkey);
        return NULL;
    }
    struct egov_sigkey *k = egov_calloc(1, sizeof *k);
    if (k == NULL) {
        EVP_PKEY_free(pkey);
        return NULL;
    }
    k->pkey = pkey;
    k->alg = alg;
    k->priv = priv;
    for (int a = 1; a < ALG_SLOTS; a++) {
        if (!egov_sigkey_alg_fits(k, (enum egov_sigkey_alg)a))
            continue;
        for (int sign = 0; sign <= (priv ? 1 : 0); sign++) {
            EVP_MD_CTX *t = EVP_MD_CTX_new();
            if (t != NULL && !digest_init(t, k, (enum egov_sigkey_alg)a, sign != 0)) {
                EVP_MD_CTX_free(t);
                t = NULL;
            }
            k->tpl[a][sign] = t; /* NULL: set up at each use instead */
        }
    }
    return k;
}

/*
 * A context ready to sign (@p sign) or verify in @p alg with @p k: a copy
 * of the key's template, or one set up afresh.  NULL on failure.
 */
static EVP_MD_CTX *ctx_for(const struct egov_sigkey *k, enum egov_sigkey_alg alg, bool sign)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL)
        return NULL;
    const EVP_MD_CTX *t = (int)alg > 0 && (int)alg < ALG_SLOTS ? k->tpl[alg][sign ? 1 : 0] : NULL;
    if (t != NULL) {
        /* a copy that fails (an OpenSSL that cannot copy the context) leaves no error behind */
        ERR_set_mark();
        if (EVP_MD_CTX_copy_ex(ctx, t) == 1) {
            ERR_clear_last_mark();
            return ctx;
        }
        ERR_pop_to_mark();
    }
    if (digest_init(ctx, k, alg, sign))
        return ctx;
    EVP_MD_CTX_free(ctx);
    return NULL;
}

struct egov_sigkey *egov_sigkey_generate(enum egov_sigkey_alg alg)
{
    EVP_PKEY *pkey = NULL;
    if (alg == EGOV_SIGKEY_ED25519)
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    else if (alg == EGOV_SIGKEY_ES256)
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    else if (is_rsa(alg))
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    if (pkey == NULL)
        return NULL;
    struct egov_sigkey *k = wrap(pkey, true);
    if (k != NULL && is_rsa(alg))
        k->alg = alg;
    return k;
}

/* True if the @p len bytes at @p s (not necessarily NUL-terminated) hold @p needle. */
static bool holds(const char *s, size_t len, const char *needle)
{
    size_t nl = strlen(needle);
    for (size_t i = 0; i + nl <= len; i++)
        if (s[i] == needle[0] && memcmp(s + i, needle, nl) == 0)
            return true;
    return false;
}

struct egov_sigkey *egov_sigkey_from_pem(const char *pem, size_t len)
{
    if (pem == NULL || len == 0 || len > 65536)
        return NULL;
    struct egov_sigkey *k = NULL;
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    if (b == NULL)
        return NULL;
    if (holds(pem, len, "PRIVATE KEY-----")) {
        EVP_PKEY *p = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
        if (p != NULL)
            k = wrap(p, true);
    } else if (holds(pem, len, "-----BEGIN CERTIFICATE-----")) {
        X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
        if (x != NULL) {
            EVP_PKEY *p = X509_get_pubkey(x);
            if (p != NULL)
                k = wrap(p, false);
            X509_free(x);
        }
    } else {
        EVP_PKEY *p = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
        if (p != NULL)
            k = wrap(p, false);
    }
    BIO_free(b);
    return k;
}

enum egov_sigkey_alg egov_sigkey_alg(const struct egov_sigkey *k)
{
    return k != NULL ? k->alg : EGOV_SIGKEY_NONE;
}

bool egov_sigkey_is_private(const struct egov_sigkey *k)
{
    return k != NULL && k->priv;
}

/* Copies a memory BIO's contents into a malloc'd NUL-terminated string. */
static char *bio_string(BIO *b)
{
    char *data = NULL;
    long n = BIO_get_mem_data(b, &data);
    if (n <= 0)
        return NULL;
    char *out = egov_malloc((size_t)n + 1);
    if (out == NULL)
        return NULL;
    memcpy(out, data, (size_t)n);
    out[n] = '\0';
    return out;
}

char *egov_sigkey_public_pem(const struct egov_sigkey *k)
{
    if (k == NULL)
        return NULL;
    char *out = NULL;
    BIO *b = BIO_new(BIO_s_mem());
    if (b == NULL)
        return NULL;
    if (PEM_write_bio_PUBKEY(b, k->pkey) == 1)
        out = bio_string(b);
    BIO_free(b);
    return out;
}

char *egov_sigkey_private_pem(const struct egov_sigkey *k)
{
    if (k == NULL || !k->priv)
        return NULL;
    char *out = NULL;
    BIO *b = BIO_new(BIO_s_secmem());
    if (b == NULL)
        return NULL;
    if (PEM_write_bio_PKCS8PrivateKey(b, k->pkey, NULL, NULL, 0, NULL, NULL) == 1)
        out = bio_string(b);
    BIO_free(b);
    return out;
}

/*
 * Sets up @p ctx to sign (@p sign) or verify in algorithm @p alg with
 * @p k, whose type @p alg must fit.
 */
static bool digest_init(EVP_MD_CTX *ctx, const struct egov_sigkey *k, enum egov_sigkey_alg alg,
                        bool sign)
{
    EVP_PKEY_CTX *pctx = NULL;
    const char *md = alg == EGOV_SIGKEY_ED25519        ? NULL
                     : alg == EGOV_SIGKEY_RSA_PSS_SHA512 ? "SHA512"
                                                         : "SHA256";
    int r = sign ? EVP_DigestSignInit_ex(ctx, &pctx, md, NULL, NULL, k->pkey, NULL)
                 : EVP_DigestVerifyInit_ex(ctx, &pctx, md, NULL, NULL, k->pkey, NULL);
    if (r != 1)
        return false;
    if (alg == EGOV_SIGKEY_RSA_PSS_SHA512)
        /* RFC 9421 3.3.1: MGF1 with SHA-512, a salt of 64 bytes */
        return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
               EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA512", NULL) == 1 &&
               EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 64) == 1;
    if (alg == EGOV_SIGKEY_RSA_V15_SHA256)
        return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
    return true;
}

bool egov_sigkey_sign(const struct egov_sigkey *k, const void *msg, size_t n,
                      uint8_t sig[EGOV_SIGKEY_MAX_SIG], size_t *siglen)
{
    return k != NULL && egov_sigkey_sign_alg(k, k->alg, msg, n, sig, siglen);
}

bool egov_sigkey_sign_alg(const struct egov_sigkey *k, enum egov_sigkey_alg alg, const void *msg,
                          size_t n, uint8_t sig[EGOV_SIGKEY_MAX_SIG], size_t *siglen)
{
    bool ok = false;
    uint8_t der[80];
    size_t derlen = sizeof der;
    ECDSA_SIG *es = NULL;
    if (k == NULL || !k->priv || !egov_sigkey_alg_fits(k, alg))
        return false;
    EVP_MD_CTX *ctx = ctx_for(k, alg, true);
    if (ctx == NULL)
        return false;
    if (alg == EGOV_SIGKEY_ED25519) {
        size_t len = 64;
        if (EVP_DigestSign(ctx, sig, &len, msg, n) != 1 || len != 64)
            goto fail;
        *siglen = 64;
        ok = true;
        goto fail;
    }
    if (is_rsa(alg)) {
        size_t len = EGOV_SIGKEY_MAX_SIG;
        if (EVP_PKEY_get_size(k->pkey) > EGOV_SIGKEY_MAX_SIG ||
            EVP_DigestSign(ctx, sig, &len, msg, n) != 1)
            goto fail;
        *siglen = len;
        ok = true;
        goto fail;
    }
    if (EVP_DigestSign(ctx, der, &derlen, msg, n) != 1)
        goto fail;
    const unsigned char *p = der;
    es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
    if (es == NULL)
        goto fail;
    if (BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32) != 32 ||
        BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32) != 32)
        goto fail;
    *siglen = 64;
    ok = true;
fail:
    ECDSA_SIG_free(es);
    EVP_MD_CTX_free(ctx);
    return ok;
}

bool egov_sigkey_verify(const struct egov_sigkey *k, const void *msg, size_t n, const uint8_t *sig,
                        size_t siglen)
{
    return k != NULL && egov_sigkey_verify_alg(k, k->alg, msg, n, sig, siglen);
}

bool egov_sigkey_verify_alg(const struct egov_sigkey *k, enum egov_sigkey_alg alg,
                            const void *msg, size_t n, const uint8_t *sig, size_t siglen)
{
    bool ok = false;
    ECDSA_SIG *es = NULL;
    unsigned char *der = NULL;
    if (k == NULL || sig == NULL || !egov_sigkey_alg_fits(k, alg))
        return false;
    if (is_rsa(alg) ? siglen != (size_t)EVP_PKEY_get_size(k->pkey) : siglen != 64)
        return false;
    EVP_MD_CTX *ctx = ctx_for(k, alg, false);
    if (ctx == NULL)
        return false;
    if (alg != EGOV_SIGKEY_ES256) {
        ok = EVP_DigestVerify(ctx, sig, siglen, msg, n) == 1;
        goto fail;
    }
    es = ECDSA_SIG_new();
    if (es == NULL)
        goto fail;
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
    if (r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        goto fail;
    }
    int derlen = i2d_ECDSA_SIG(es, &der);
    if (derlen <= 0)
        goto fail;
    ok = EVP_DigestVerify(ctx, der, (size_t)derlen, msg, n) == 1;
fail:
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
    EVP_MD_CTX_free(ctx);
    return ok;
}

void egov_sigkey_free(struct egov_sigkey *k)
{
    if (k == NULL)
        return;
    for (int a = 0; a < ALG_SLOTS; a++)
        for (int sign = 0; sign < 2; sign++)
            EVP_MD_CTX_free(k->tpl[a][sign]);
    EVP_PKEY_free(k->pkey);
    egov_free(k);
}
