/*
 * module.c -- the gateway module's descriptor: start-up (settings, the
 * signing key, the audit writer, the event job handler, metrics) and its
 * verbs `egov gateway` and `egov audit`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/gw_int.h"

struct gw_settings gw_settings = {10000, 300, 5, 5000};
struct egov_sigkey *gw_key;

/* Reads the whole of a small file into a malloc'd string; NULL if unreadable. */
static char *read_small_file(const char *path, size_t max)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = egov_malloc(max + 1);
    size_t n = buf != NULL ? fread(buf, 1, max, f) : 0;
    fclose(f);
    if (buf == NULL)
        return NULL;
    buf[n] = '\0';
    return buf;
}

/*
 * Loads the gateway's signing key, creating it (mode 0600) on first start;
 * when another node sharing the folder made it first, that one is loaded.
 */
static struct egov_sigkey *load_or_make_key(const char *path, bool may_make)
{
    char *pem = read_small_file(path, 16384);
    struct egov_sigkey *k = NULL;
    if (pem != NULL) {
        k = egov_sigkey_from_pem(pem, strlen(pem));
        egov_wipe(pem, strlen(pem));
        egov_free(pem);
        if (k == NULL || !egov_sigkey_is_private(k)) {
            egov_error("gateway: %s is not an Ed25519, P-256 or RSA (2048 bits or more) private key", path);
            egov_sigkey_free(k);
            return NULL;
        }
        return k;
    }
    if (errno != ENOENT || !may_make) {
        egov_error("gateway: cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    /* P-256: signing costs about half of Ed25519 with OpenSSL 3 on x86-64 */
    k = egov_sigkey_generate(EGOV_SIGKEY_ES256);
    char *priv = egov_sigkey_private_pem(k);
    int made = priv != NULL ? gw_secret_file_create(path, priv, strlen(priv)) : -1;
    if (priv != NULL) {
        egov_wipe(priv, strlen(priv));
        egov_free(priv);
    }
    if (made == 0) {
        egov_sigkey_free(k);
        return load_or_make_key(path, false);
    }
    if (made < 0) {
        egov_error("gateway: cannot create the signing key %s: %s", path, strerror(errno));
        egov_sigkey_free(k);
        return NULL;
    }
    egov_info("gateway: created a new signing key in %s", path);
    return k;
}

static bool gw_init(const struct egov_module_env *env)
{
    const struct egov_config *cfg = env->cfg;
    gw_settings.timeout_ms = cfg->gateway_timeout_ms;
    gw_settings.clock_skew_s = cfg->gateway_clock_skew_s;
    gw_settings.breaker_failures = cfg->gateway_breaker_failures;
    gw_settings.breaker_open_ms = cfg->gateway_breaker_open_ms;
    if (cfg->gateway_audit_key_file[0] != '\0') {
        char *hex = read_small_file(cfg->gateway_audit_key_file, 256);
        uint8_t key[32];
        size_t n = 0;
        bool ok = hex != NULL;
        for (const char *p = hex; ok && *p != '\0' && *p != '\n'; p += 2) {
            unsigned int v;
            ok = n < 32 && sscanf(p, "%2x", &v) == 1 && p[1] != '\0';
            if (ok)
                key[n++] = (uint8_t)v;
        }
        if (hex != NULL) {
            egov_wipe(hex, strlen(hex));
            egov_free(hex);
        }
        if (!ok || n != 32) {
            egov_error("gateway: %s must hold a 256-bit key as 64 hex digits",
                       cfg->gateway_audit_key_file);
            egov_wipe(key, sizeof key);
            return false;
        }
        gw_audit_set_key(key);
        egov_wipe(key, sizeof key);
    }
    char path[600];
    if (cfg->gateway_key_file[0] != '\0')
        snprintf(path, sizeof path, "%s", cfg->gateway_key_file);
    else {
        mkdir(cfg->vardir, 0700);
        snprintf(path, sizeof path, "%s/gateway-key.pem", cfg->vardir);
    }
    gw_key = load_or_make_key(path, true);
    if (gw_key == NULL || !gw_provider_master_load(cfg))
        return false;
    if (!gw_proxy_init()) {
        egov_error("gateway: cannot set up outbound calls");
        return false;
    }
    if (!egov_gateway_events_register() || !egov_metrics_register_source(gw_stats_render, NULL)) {
        egov_error("gateway: cannot register the event job handler or the metrics");
        return false;
    }
    if (!gw_audit_start(env->db)) {
        egov_error("gateway: cannot start the audit writer");
        return false;
    }
    if (!gw_limits_start(env->db)) {
        egov_error("gateway: cannot start the rate limit counter");
        return false;
    }
    return true;
}

static void gw_fini(void)
{
    gw_limits_stop();
    gw_audit_stop();
    gw_audit_set_key(NULL);
    gw_proxy_fini();
    gw_cache_fini();
    gw_stats_fini();
    egov_sigkey_free(gw_key);
    gw_key = NULL;
    gw_provider_master_forget();
}

static const struct egov_module_cli gw_cli[] = {
    {"gateway", "Common gateway: services, clients, keys, legal bases, subscriptions, publishers",
     gw_cli_gateway},
    {"audit", "Gateway audit log: verify the hash chain", gw_cli_audit},
    {NULL, NULL, NULL},
};

const struct egov_module egov_gateway_module = {
    .name = "gateway",
    .migrations = &gw_migrations,
    .routes = &gw_routes,
    .init = gw_init,
    .fini = gw_fini,
    .cli = gw_cli,
};
