/*
 * jose_targets.c -- body of the JOSE fuzz target: what the OpenID Connect
 * provider does with a token, an assertion or a JWK that arrives from
 * outside (src/crypto/jose.c).  Built with EGOV_FUZZ_JOSE_MAIN it is the
 * libFuzzer target fuzz_jose (-DEGOV_FUZZ=ON);
 * tests/auth/test_fuzz_replay_jose.c includes it and replays the corpus
 * under the sanitizers in every build.
 *
 * Checks besides "does not crash", for every input:
 *  - a compact JWS verifies only if it was signed by the key the lookup
 *    hands out (random input never does), and a verified token decodes to
 *    the same claims;
 *  - a JWK that imports exports a public JWK that imports again to a key
 *    of the same algorithm, never with private members;
 *  - a JSON object from the input signs and verifies back to itself with
 *    both algorithms;
 *  - standard base64 decoding stays within 3/4 of the input length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"

static struct egov_jose_key *fuzz_keys[2];

static const struct egov_jose_key *egov_fuzz_jose_lookup(const char *kid, enum egov_jose_alg alg,
                                                         void *cls)
{
    (void)cls;
    for (int i = 0; i < 2; i++)
        if (fuzz_keys[i] != NULL && egov_jose_key_alg(fuzz_keys[i]) == alg &&
            (kid == NULL || strcmp(kid, egov_jose_key_kid(fuzz_keys[i])) == 0))
            return fuzz_keys[i];
    return NULL;
}

static int egov_fuzz_jose(const uint8_t *data, size_t size)
{
    char err[160];
    if (fuzz_keys[0] == NULL) {
        fuzz_keys[0] = egov_jose_key_generate(EGOV_JOSE_ES256, "fuzz-es");
        fuzz_keys[1] = egov_jose_key_generate(EGOV_JOSE_RS256, "fuzz-rs");
        if (fuzz_keys[0] == NULL || fuzz_keys[1] == NULL)
            abort();
    }
    if (size > 16384)
        return 0;
    char *s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    /* as a token */
    json_t *h = NULL, *c = NULL;
    if (egov_jose_decode(s, &h, &c) && (!json_is_object(h) || !json_is_object(c)))
        abort();
    json_t *v = egov_jose_verify(s, egov_fuzz_jose_lookup, NULL, err, sizeof(err));
    if (v != NULL && !json_equal(v, c))
        abort();
    json_decref(v);
    json_decref(h);
    json_decref(c);

    /* as base64 */
    uint8_t *out = malloc(size / 4 * 3 + 3);
    if (out != NULL) {
        long n = egov_base64_decode(s, size, out);
        if (n > (long)(size / 4 * 3))
            abort();
        free(out);
    }

    /* as JSON: a JWK, or claims to sign */
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (json_is_object(j)) {
        struct egov_jose_key *k = egov_jose_key_from_jwk(j, err, sizeof(err));
        if (k != NULL) {
            json_t *pub = egov_jose_key_public_jwk(k);
            if (pub == NULL || json_object_get(pub, "d") != NULL)
                abort();
            struct egov_jose_key *k2 = egov_jose_key_from_jwk(pub, err, sizeof(err));
            if (k2 == NULL || egov_jose_key_alg(k2) != egov_jose_key_alg(k))
                abort();
            egov_jose_key_free(k2);
            json_decref(pub);
            egov_jose_key_free(k);
        }
        for (int i = 0; i < 2; i++) {
            char *t = egov_jose_sign(fuzz_keys[i], j, "JWT");
            if (t == NULL)
                continue; /* e.g. text jansson cannot serialise */
            json_t *back = egov_jose_verify(t, egov_fuzz_jose_lookup, NULL, err, sizeof(err));
            if (back == NULL || !json_equal(back, j))
                abort();
            json_decref(back);
            egov_free(t);
        }
    }
    json_decref(j);
    free(s);
    return 0;
}

#ifdef EGOV_FUZZ_JOSE_MAIN
/* The libFuzzer entry point, when tests/fuzz/CMakeLists.txt builds fuzz_jose. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return egov_fuzz_jose(data, size);
}
#endif
