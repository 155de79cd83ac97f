/*
 * provider.c -- how a providing system knows a call came through the
 * gateway.
 *
 * The gateway signs every call it forwards (RFC 9421) with hmac-sha256
 * under a secret it shares with the providing system: 32 bytes derived
 * from the gateway's master key and the system's id ("TW/GOV/MOI/
 * household"), so that nothing secret is stored per provider and each
 * provider holds only its own.  `egov gateway provider-secret --system ID`
 * prints it for the provider's operator.  The consumer-facing legs keep
 * public-key signatures (the consumer's own, and the gateway's on the
 * answer), because those are the ones a third party may have to check;
 * the forwarded leg is vouched for by the audit log, and a shared-key
 * signature costs both ends a few microseconds instead of a P-256
 * signature and its check.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "gateway/gw_int.h"

static uint8_t master[32];
static bool master_set;

/* Parses 64 hex digits (then optional whitespace) into @p out. */
static bool parse_hex32(const char *s, uint8_t out[32])
{
    for (size_t i = 0; i < 32; i++) {
        unsigned int v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1 || s[2 * i] == '\0' || s[2 * i + 1] == '\0' ||
            s[2 * i] == ' ' || s[2 * i + 1] == ' ')
            return false;
        out[i] = (uint8_t)v;
    }
    for (const char *p = s + 64; *p; p++)
        if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t')
            return false;
    return true;
}

bool egov_gateway_secret_file_read(const char *path, uint8_t out[32])
{
    char buf[130];
    bool ok = false;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    ok = n >= 64 && parse_hex32(buf, out);
    OPENSSL_cleanse(buf, sizeof buf);
    return ok;
}

int gw_secret_file_create(const char *path, const void *data, size_t len)
{
    char tmp[700];
    int n = snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = mkstemp(tmp);
    if (fd < 0)
        return -1;
    bool ok = fchmod(fd, 0600) == 0 && write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
    if (close(fd) != 0)
        ok = false;
    int rc = -1;
    if (ok) {
        /* link() refuses to replace: of two nodes starting at once, one key wins */
        if (link(tmp, path) == 0)
            rc = 1;
        else if (errno == EEXIST)
            rc = 0;
    }
    int saved = errno;
    unlink(tmp);
    errno = saved;
    return rc;
}

/*
 * The secrets of the systems this node forwards to, derived once each: a
 * node talks to a few dozen providers, and deriving costs an HMAC per
 * call.  Cleared with the master key.
 */
#define SECRET_CACHE 64
static struct {
    char system[300];
    uint8_t secret[32];
} secret_cache[SECRET_CACHE];
static size_t secret_cached;
static pthread_mutex_t secret_lock = PTHREAD_MUTEX_INITIALIZER;

/* Forgets every derived secret (the master key is about to change or go). */
static void secrets_clear(void)
{
    pthread_mutex_lock(&secret_lock);
    OPENSSL_cleanse(secret_cache, sizeof secret_cache);
    secret_cached = 0;
    pthread_mutex_unlock(&secret_lock);
}

bool gw_provider_master_load(const struct egov_config *cfg)
{
    char path[600];
    secrets_clear();
    if (cfg->gateway_provider_secret_file[0] != '\0')
        snprintf(path, sizeof path, "%s", cfg->gateway_provider_secret_file);
    else {
        mkdir(cfg->vardir, 0700);
        snprintf(path, sizeof path, "%s/gateway-provider.key", cfg->vardir);
    }
    if (egov_gateway_secret_file_read(path, master)) {
        master_set = true;
        return true;
    }
    if (errno != ENOENT || cfg->gateway_provider_secret_file[0] != '\0') {
        egov_error("gateway: %s must hold a 256-bit key as 64 hex digits", path);
        return false;
    }
    uint8_t key[32];
    char hex[66];
    if (!egov_random(key, sizeof key))
        return false;
    egov_hex_encode(key, sizeof key, hex);
    hex[64] = '\n';
    hex[65] = '\0';
    int made = gw_secret_file_create(path, hex, 65);
    OPENSSL_cleanse(hex, sizeof hex);
    if (made == 0) {
        /* another node made it a moment ago */
        OPENSSL_cleanse(key, sizeof key);
        master_set = egov_gateway_secret_file_read(path, master);
        if (!master_set)
            egov_error("gateway: %s must hold a 256-bit key as 64 hex digits", path);
        return master_set;
    }
    if (made < 0) {
        OPENSSL_cleanse(key, sizeof key);
        egov_error("gateway: cannot create %s: %s", path, strerror(errno));
        return false;
    }
    memcpy(master, key, sizeof master);
    OPENSSL_cleanse(key, sizeof key);
    master_set = true;
    egov_info("gateway: created the providers' master key in %s", path);
    return true;
}

void gw_provider_master_forget(void)
{
    secrets_clear();
    OPENSSL_cleanse(master, sizeof master);
    master_set = false;
}

bool gw_provider_secret(const char *system_id, uint8_t out[32])
{
    if (!master_set)
        return false;
    bool fits = strlen(system_id) < sizeof secret_cache[0].system;
    if (fits) {
        pthread_mutex_lock(&secret_lock);
        for (size_t i = 0; i < secret_cached; i++)
            if (strcmp(secret_cache[i].system, system_id) == 0) {
                memcpy(out, secret_cache[i].secret, 32);
                pthread_mutex_unlock(&secret_lock);
                return true;
            }
        pthread_mutex_unlock(&secret_lock);
    }
    struct egov_buf b;
    egov_buf_init(&b);
    egov_buf_printf(&b, "egov gateway provider secret\n%s", system_id);
    bool ok = !b.oom && egov_hmac_sha256(master, sizeof master, b.data, b.len, out);
    egov_buf_free(&b);
    if (ok && fits) {
        pthread_mutex_lock(&secret_lock);
        if (secret_cached < SECRET_CACHE) {
            memcpy(secret_cache[secret_cached].system, system_id, strlen(system_id) + 1);
            memcpy(secret_cache[secret_cached].secret, out, 32);
            secret_cached++;
        }
        pthread_mutex_unlock(&secret_lock);
    }
    return ok;
}

/* Components of a received forwarded call, for its signature base. */
static const char *provider_component(const char *name, void *cls)
{
    const struct egov_req *req = cls;
    if (strcmp(name, "@method") == 0)
        return req->method;
    if (strcmp(name, "@path") == 0)
        return req->path;
    if (strcmp(name, "@query") == 0)
        return req->raw_query != NULL && req->raw_query[0] != '\0'
                   ? egov_arena_printf(req->arena, "?%s", req->raw_query)
                   : NULL;
    if (name[0] == '@')
        return NULL;
    return egov_req_header(req, name);
}

/* Checks the gateway's hmac-sha256 signature on @p req, which must cover @p need (and
 * content-digest with a body). */
static enum egov_ec verify_gateway_hmac(const struct egov_req *req, const uint8_t secret[32],
                                        unsigned int skew_s, const char *const *need, size_t nneed,
                                        char *why, size_t whylen)
{
    enum egov_ec ec = EGOV_EC_GATEWAY_SIGNATURE_INVALID;
    struct egov_buf base;
    struct gw_sig_input in;
    egov_buf_init(&base);
    snprintf(why, whylen, "the gateway's signature does not verify");
    const char *si = egov_req_header(req, "Signature-Input");
    const char *sg = egov_req_header(req, "Signature");
    if (si == NULL || sg == NULL) {
        snprintf(why, whylen, "the call carries no signature of the gateway");
        ec = EGOV_EC_GATEWAY_SIGNATURE_MISSING;
        goto done;
    }
    if (!gw_sig_input_parse(si, &in, req->arena, why, whylen))
        goto done;
    if (strcmp(in.alg, "hmac-sha256") != 0 || strcmp(in.keyid, "gateway") != 0) {
        snprintf(why, whylen,
                 "the signature must be the gateway's (keyid \"gateway\", alg "
                 "\"hmac-sha256\")");
        goto done;
    }
    bool query = req->raw_query != NULL && req->raw_query[0] != '\0';
    for (size_t i = 0; i < nneed + (req->body_len > 0) + query; i++) {
        const char *want = i < nneed                         ? need[i]
                           : i == nneed && req->body_len > 0 ? "content-digest"
                                                             : "@query";
        bool have = false;
        for (unsigned int j = 0; j < in.ncomponents && !have; j++)
            have = strcmp(in.components[j], want) == 0;
        if (!have) {
            snprintf(why, whylen, "the signature must cover \"%s\"", want);
            goto done;
        }
    }
    int64_t now_s = egov_now_us() / 1000000;
    if (in.created > now_s + (int64_t)skew_s || in.created < now_s - (int64_t)skew_s) {
        snprintf(why, whylen, "the signature was created outside the accepted time window");
        goto done;
    }
    if (req->body_len > 0) {
        char dg[64];
        gw_content_digest(req->body, req->body_len, dg);
        const char *cd = egov_req_header(req, "Content-Digest");
        if (cd == NULL || strcmp(cd, dg) != 0) {
            snprintf(why, whylen, "the body does not match its Content-Digest");
            ec = EGOV_EC_GATEWAY_DIGEST_MISMATCH;
            goto done;
        }
    }
    if (!gw_sig_base(&in, provider_component, (void *)req, &base, why, whylen))
        goto done;
    uint8_t sig[EGOV_SIGKEY_MAX_SIG], mac[EGOV_SHA256_LEN];
    long sl = gw_signature_decode(sg, sig);
    if (sl != (long)sizeof mac || !egov_hmac_sha256(secret, 32, base.data, base.len, mac) ||
        CRYPTO_memcmp(mac, sig, sizeof mac) != 0) {
        snprintf(why, whylen, "the gateway's signature does not verify");
        goto done;
    }
    ec = EGOV_EC_NONE;
done:
    egov_buf_free(&base);
    return ec;
}

enum egov_ec egov_gateway_forwarded_verify(const struct egov_req *req, const uint8_t secret[32],
                                           unsigned int skew_s, char *why, size_t whylen)
{
    static const char *const need[] = {"@method", "@path", "x-road-client", "x-road-service",
                                       "x-road-id"};
    return verify_gateway_hmac(req, secret, skew_s, need, sizeof need / sizeof need[0], why,
                               whylen);
}

enum egov_ec egov_gateway_delivery_verify(const struct egov_req *req, const uint8_t secret[32],
                                          unsigned int skew_s, char *why, size_t whylen)
{
    static const char *const need[] = {"@method", "@path", "x-egov-delivery"};
    return verify_gateway_hmac(req, secret, skew_s, need, sizeof need / sizeof need[0], why,
                               whylen);
}

bool egov_gateway_provider_secret_write(const char *system_id, const char *path, bool replace)
{
    uint8_t secret[32];
    char hex[66];
    if (!gw_provider_secret(system_id, secret))
        return false;
    egov_hex_encode(secret, sizeof secret, hex);
    hex[64] = '\n';
    hex[65] = '\0';
    if (replace)
        (void)unlink(path);
    bool ok = gw_secret_file_create(path, hex, 65) == 1;
    OPENSSL_cleanse(secret, sizeof secret);
    OPENSSL_cleanse(hex, sizeof hex);
    return ok;
}
