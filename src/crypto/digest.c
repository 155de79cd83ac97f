/*
 * digest.c -- SHA-256, HMAC, constant-time compare, hex, base64url, random
 * tokens: thin wrappers over OpenSSL 3.
 */
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "crypto/crypto.h"

/*
 * SHA-256 and HMAC are fetched from the provider once: EVP_sha256() and
 * HMAC() look them up again at each call in OpenSSL 3, which costs about
 * as much as hashing a few hundred bytes.
 */
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_md;
static EVP_MAC *hmac_mac;

static void fetch_algorithms(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

bool egov_sha256(const void *p, size_t n, uint8_t out[EGOV_SHA256_LEN])
{
    unsigned int len = 0;
    pthread_once(&fetch_once, fetch_algorithms);
    return EVP_Digest(p, n, out, &len, sha256_md != NULL ? sha256_md : EVP_sha256(), NULL) == 1 &&
           len == EGOV_SHA256_LEN;
}

bool egov_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                      uint8_t out[EGOV_SHA256_LEN])
{
    unsigned int len = 0;
    if (keylen > INT32_MAX)
        return false;
    pthread_once(&fetch_once, fetch_algorithms);
    if (hmac_mac == NULL)
        return HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, out, &len) != NULL &&
               len == EGOV_SHA256_LEN;
    EVP_MAC_CTX *c = EVP_MAC_CTX_new(hmac_mac);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
                           OSSL_PARAM_construct_end()};
    size_t outlen = 0;
    bool ok = c != NULL && EVP_MAC_init(c, key, keylen, params) == 1 &&
              EVP_MAC_update(c, msg, msglen) == 1 &&
              EVP_MAC_final(c, out, &outlen, EGOV_SHA256_LEN) == 1 && outlen == EGOV_SHA256_LEN;
    EVP_MAC_CTX_free(c);
    return ok;
}

bool egov_ct_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

void egov_hex_encode(const void *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *u = p;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[u[i] >> 4];
        out[2 * i + 1] = digits[u[i] & 0xF];
    }
    out[2 * n] = '\0';
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t egov_base64url_len(size_t n)
{
    return (n / 3) * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

size_t egov_base64url_encode(const void *p, size_t n, char *out)
{
    const uint8_t *u = p;
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = ((uint32_t)u[i] << 16) | ((uint32_t)u[i + 1] << 8) | u[i + 2];
        out[o++] = b64url[(v >> 18) & 63];
        out[o++] = b64url[(v >> 12) & 63];
        out[o++] = b64url[(v >> 6) & 63];
        out[o++] = b64url[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)u[i] << 16;
        out[o++] = b64url[(v >> 18) & 63];
        out[o++] = b64url[(v >> 12) & 63];
    } else if (n - i == 2) {
        uint32_t v = ((uint32_t)u[i] << 16) | ((uint32_t)u[i + 1] << 8);
        out[o++] = b64url[(v >> 18) & 63];
        out[o++] = b64url[(v >> 12) & 63];
        out[o++] = b64url[(v >> 6) & 63];
    }
    out[o] = '\0';
    return o;
}

static int b64url_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

long egov_base64url_decode(const char *s, size_t len, uint8_t *out)
{
    if (len % 4 == 1)
        return -1;
    size_t o = 0;
    uint32_t acc = 0;
    unsigned int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_value(s[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    /* leftover bits must be zero for a canonical encoding */
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
        return -1;
    return (long)o;
}

bool egov_random_token(size_t nbytes, char *out)
{
    uint8_t buf[64];
    if (nbytes == 0 || nbytes > sizeof(buf) || RAND_bytes(buf, (int)nbytes) != 1)
        return false;
    egov_base64url_encode(buf, nbytes, out);
    OPENSSL_cleanse(buf, sizeof(buf));
    return true;
}

void egov_wipe(void *p, size_t n)
{
    OPENSSL_cleanse(p, n);
}
