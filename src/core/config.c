/*
 * config.c -- the typed configuration table: defaults, INI files (libinih),
 * EGOV_<SECTION>_<KEY> environment variables and single settings from flags.
 *
 * Every value goes through one parser per type with range checks; a bad
 * value leaves the configuration untouched and adds a problem that names
 * the key, the value and what is allowed.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "build_info.h"
#include "core/core.h"

#define KB     1024ULL
#define MB     (1024ULL * 1024)
#define GB     (1024ULL * 1024 * 1024)
#define SECOND 1000ULL
#define MINUTE (60ULL * 1000)
#define HOUR   (60ULL * 60 * 1000)

#define CFG_STR(sec, k, type, member, dflt, help)                                                  \
    {                                                                                              \
        sec, k, type, offsetof(struct egov_config, member), 0,                                     \
            sizeof(((struct egov_config *)0)->member), dflt, help                                  \
    }
#define CFG_NUM(sec, k, type, member, lo, hi, dflt, help)                                          \
    {                                                                                              \
        sec, k, type, offsetof(struct egov_config, member), lo, hi, dflt, help                     \
    }

const struct egov_cfg_key egov_config_keys[] = {
    CFG_STR("http", "listen", EGOV_CFG_LISTEN, listen, "127.0.0.1:8080",
            "address to listen on, HOST:PORT"),
    CFG_NUM("http", "threads", EGOV_CFG_UINT, threads, 0, 256, "0",
            "worker threads, 0 = one per core"),
    CFG_NUM("http", "connection_timeout", EGOV_CFG_MS, conn_timeout_ms, 1 * SECOND, HOUR, "30s",
            "idle connection timeout"),
    CFG_NUM("http", "max_url", EGOV_CFG_SIZE, max_url, 256, MB, "8k", "longest request URL"),
    CFG_NUM("http", "max_header", EGOV_CFG_SIZE, max_header, KB, MB, "16k",
            "largest request header block"),
    CFG_NUM("http", "max_body", EGOV_CFG_SIZE, max_body, KB, GB, "1m",
            "largest request body, unless a route says otherwise"),
    CFG_NUM("http", "max_connections", EGOV_CFG_UINT, max_connections, 1, 100000, "1024",
            "simultaneous connections"),
    CFG_NUM("http", "cookie_secure", EGOV_CFG_BOOL, cookie_secure, 0, 1, "true",
            "mark session cookies Secure"),
    CFG_STR("http", "public_url", EGOV_CFG_STRING, public_url, "",
            "external base URL, e.g. https://gov.example; empty = derive from requests"),
    CFG_STR("db", "url", EGOV_CFG_STRING, db_url, "sqlite:var/egov.db",
            "database: sqlite:PATH or postgresql://..."),
    CFG_NUM("db", "pool", EGOV_CFG_UINT, db_pool, 1, 256, "8", "database connections per node"),
    CFG_NUM("db", "busy_timeout", EGOV_CFG_MS, db_busy_ms, 0, 10 * MINUTE, "5000ms",
            "how long to wait for a locked database"),
    CFG_NUM("db", "migrate_on_start", EGOV_CFG_BOOL, migrate_on_start, 0, 1, "true",
            "apply pending migrations when the node starts"),
    CFG_STR("paths", "data", EGOV_CFG_STRING, datadir, EGOV_SOURCE_DATADIR,
            "directory with templates/ and static/"),
    CFG_STR("paths", "locale", EGOV_CFG_STRING, localedir, EGOV_BUILD_LOCALEDIR,
            "directory with compiled message catalogs"),
    CFG_STR("paths", "var", EGOV_CFG_STRING, vardir, "var", "directory for runtime state"),
    CFG_NUM("log", "level", EGOV_CFG_LEVEL, log_level, 0, 3, "info",
            "lowest level logged: debug, info, warn, error"),
    CFG_NUM("log", "requests", EGOV_CFG_BOOL, log_requests, 0, 1, "true",
            "log one line per HTTP request"),
    CFG_NUM("jobs", "workers", EGOV_CFG_UINT, job_workers, 0, 64, "2",
            "background job threads per node"),
    CFG_NUM("jobs", "poll_interval", EGOV_CFG_MS, job_poll_ms, 10, MINUTE, "200ms",
            "how often idle workers look for jobs"),
    CFG_NUM("jobs", "lease", EGOV_CFG_MS, job_lease_ms, 1 * SECOND, 24 * HOUR, "60s",
            "how long a worker owns a job before others may retry it"),
    CFG_STR("oid", "admin_token_file", EGOV_CFG_STRING, oid_admin_token_file, "",
            "file holding the bearer token of the OID and directory administrator; empty = none"),
    CFG_NUM("account", "dev_mailbox", EGOV_CFG_BOOL, account_dev_mailbox, 0, 1, "false",
            "deliver account e-mail to the page /dev/mailbox instead of sending it (development)"),
    CFG_STR("account", "secret_key_file", EGOV_CFG_STRING, account_secret_key_file, "",
            "file with the 64-hex-digit key that encrypts TOTP secrets (mode 0600, the same on"
            " every node); empty = VAR/account-secret.key, created on first start"),
    CFG_STR("account", "password_blocklist_file", EGOV_CFG_STRING,
            account_password_blocklist_file, "",
            "file of passwords to refuse, one a line (case does not matter); empty ="
            " /usr/share/dict/cracklib-small if installed, else a short built-in list"),
    CFG_STR("gateway", "key_file", EGOV_CFG_STRING, gateway_key_file, "",
            "the gateway's message signing key (PEM, created if missing); empty = VAR/gateway-key.pem"),
    CFG_NUM("gateway", "timeout", EGOV_CFG_MS, gateway_timeout_ms, 100, 10 * MINUTE, "10s",
            "how long a call to a providing system may take unless its service says otherwise"),
    CFG_NUM("gateway", "clock_skew", EGOV_CFG_UINT, gateway_clock_skew_s, 1, 3600, "300",
            "seconds a signed message may be old (or early) before it is refused"),
    CFG_NUM("gateway", "breaker_failures", EGOV_CFG_UINT, gateway_breaker_failures, 1, 1000, "5",
            "consecutive failures of a providing system that open its circuit"),
    CFG_NUM("gateway", "breaker_open", EGOV_CFG_MS, gateway_breaker_open_ms, 100, 10 * MINUTE,
            "5s", "how long an open circuit holds calls back before one trial call"),
    CFG_STR("gateway", "audit_key_file", EGOV_CFG_STRING, gateway_audit_key_file, "",
            "file with a 256-bit key (64 hex digits); if set, call bodies are kept in the audit "
            "log, encrypted (AES-256-GCM)"),
    CFG_STR("gateway", "provider_secret_file", EGOV_CFG_STRING, gateway_provider_secret_file, "",
            "master key (64 hex digits) of the secrets that sign calls forwarded to providers; "
            "empty: VAR/gateway-provider.key, made on first start; one file for all nodes"),
    {NULL, NULL, EGOV_CFG_END, 0, 0, 0, NULL, NULL},
};

/* Longest value quoted back in a problem message. */
#define VALUE_SHOWN 64

static void add_problem(struct egov_cfg_problems *probs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void add_problem(struct egov_cfg_problems *probs, const char *fmt, ...)
{
    if (probs == NULL)
        return;
    size_t cap = sizeof(probs->msg) / sizeof(probs->msg[0]);
    if (probs->count >= cap) {
        snprintf(probs->msg[cap - 1], sizeof(probs->msg[0]), "%s",
                 "(more problems not shown; fix these first)");
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(probs->msg[probs->count], sizeof(probs->msg[0]), fmt, ap);
    va_end(ap);
    probs->count++;
}

/* Copies at most VALUE_SHOWN bytes of @p v, cut at a character boundary. */
static void shown_value(const char *v, char out[VALUE_SHOWN + 4])
{
    size_t n = strlen(v);
    if (n <= VALUE_SHOWN) {
        memcpy(out, v, n + 1);
        return;
    }
    n = VALUE_SHOWN;
    while (n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80)
        n--;
    memcpy(out, v, n);
    memcpy(out + n, "...", 4);
}

/* Formats a byte count with the largest exact suffix. */
static void fmt_size(unsigned long long v, char *out, size_t n)
{
    if (v != 0 && v % GB == 0)
        snprintf(out, n, "%llug", v / GB);
    else if (v != 0 && v % MB == 0)
        snprintf(out, n, "%llum", v / MB);
    else if (v != 0 && v % KB == 0)
        snprintf(out, n, "%lluk", v / KB);
    else
        snprintf(out, n, "%llu", v);
}

/* Formats milliseconds with the largest exact unit. */
static void fmt_ms(unsigned long long v, char *out, size_t n)
{
    if (v != 0 && v % MINUTE == 0)
        snprintf(out, n, "%llumin", v / MINUTE);
    else if (v != 0 && v % SECOND == 0)
        snprintf(out, n, "%llus", v / SECOND);
    else
        snprintf(out, n, "%llums", v);
}

/* Parses decimal digits only (no sign, no spaces); *end gets the rest. */
static bool parse_digits(const char *s, unsigned long long *out, const char **end)
{
    unsigned long long v = 0;
    const char *p = s;
    if (*p < '0' || *p > '9')
        return false;
    while (*p >= '0' && *p <= '9') {
        unsigned d = (unsigned)(*p - '0');
        if (v > (ULLONG_MAX - d) / 10)
            return false;
        v = v * 10 + d;
        p++;
    }
    *out = v;
    *end = p;
    return true;
}

/* Multiplies with overflow check. */
static bool scale(unsigned long long v, unsigned long long unit, unsigned long long *out)
{
    if (unit != 0 && v > ULLONG_MAX / unit)
        return false;
    *out = v * unit;
    return true;
}

static bool parse_size(const char *s, unsigned long long *out)
{
    unsigned long long v;
    const char *end;
    if (!parse_digits(s, &v, &end))
        return false;
    unsigned long long unit = 1;
    switch (tolower((unsigned char)*end)) {
    case '\0':
        break;
    case 'k':
        unit = KB;
        end++;
        break;
    case 'm':
        unit = MB;
        end++;
        break;
    case 'g':
        unit = GB;
        end++;
        break;
    default:
        return false;
    }
    if (unit != 1 && (*end == 'b' || *end == 'B'))
        end++;
    return *end == '\0' && scale(v, unit, out);
}

static bool parse_ms(const char *s, unsigned long long *out)
{
    unsigned long long v;
    const char *end;
    if (!parse_digits(s, &v, &end))
        return false;
    unsigned long long unit;
    if (*end == '\0' || strcmp(end, "ms") == 0)
        unit = 1;
    else if (strcmp(end, "s") == 0)
        unit = SECOND;
    else if (strcmp(end, "min") == 0)
        unit = MINUTE;
    else if (strcmp(end, "h") == 0)
        unit = HOUR;
    else
        return false;
    return scale(v, unit, out);
}

static bool parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

static bool hostname_valid(const char *h, size_t n)
{
    if (n == 0 || n > 253)
        return false;
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        if (c == '.') {
            if (label == 0 || h[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        if (!(isalnum((unsigned char)c) || c == '-') || (c == '-' && label == 0))
            return false;
        if (++label > 63)
            return false;
    }
    return label > 0 && h[n - 1] != '-';
}

/* HOST:PORT with an IPv4 address, a bracketed IPv6 address or a name. */
static bool parse_listen(const char *s)
{
    char host[64];
    const char *port;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || close[1] != ':')
            return false;
        size_t n = (size_t)(close - s - 1);
        if (n == 0 || n >= sizeof(host))
            return false;
        memcpy(host, s + 1, n);
        host[n] = '\0';
        unsigned char addr[16];
        if (inet_pton(AF_INET6, host, addr) != 1)
            return false;
        port = close + 2;
    } else {
        const char *colon = strrchr(s, ':');
        if (colon == NULL || memchr(s, ':', (size_t)(colon - s)) != NULL)
            return false;
        size_t n = (size_t)(colon - s);
        bool numeric = n > 0 && strspn(s, "0123456789.") == n;
        if (numeric) {
            unsigned char addr[4];
            if (n >= sizeof(host))
                return false;
            memcpy(host, s, n);
            host[n] = '\0';
            if (inet_pton(AF_INET, host, addr) != 1)
                return false;
        } else if (!hostname_valid(s, n)) {
            return false;
        }
        port = colon + 1;
    }
    unsigned long long p;
    const char *end;
    if (strlen(port) > 5 || !parse_digits(port, &p, &end) || *end != '\0')
        return false;
    return p <= 65535;
}

/* Describes what @p k accepts, for problem messages. */
static void describe(const struct egov_cfg_key *k, char *out, size_t n)
{
    char lo[32], hi[32];
    switch (k->type) {
    case EGOV_CFG_UINT:
        snprintf(out, n, "must be an integer from %llu to %llu", k->min, k->max);
        break;
    case EGOV_CFG_SIZE:
        fmt_size(k->min, lo, sizeof(lo));
        fmt_size(k->max, hi, sizeof(hi));
        snprintf(out, n, "must be a size from %s to %s (bytes, or with suffix k, m, g)", lo, hi);
        break;
    case EGOV_CFG_MS:
        fmt_ms(k->min, lo, sizeof(lo));
        fmt_ms(k->max, hi, sizeof(hi));
        snprintf(out, n,
                 "must be a duration from %s to %s (milliseconds, or with suffix ms, s, min, h)",
                 lo, hi);
        break;
    case EGOV_CFG_BOOL:
        snprintf(out, n, "must be true or false (also yes/no, on/off, 1/0)");
        break;
    case EGOV_CFG_LEVEL:
        snprintf(out, n, "must be one of debug, info, warn, error");
        break;
    case EGOV_CFG_LISTEN:
        snprintf(out, n,
                 "must be HOST:PORT (IPv4, [IPv6] or a name; port 0 to 65535), "
                 "e.g. 127.0.0.1:8080");
        break;
    case EGOV_CFG_STRING:
        snprintf(out, n, "must be UTF-8 text without control characters, at most %llu bytes",
                 k->max - 1);
        break;
    case EGOV_CFG_END:
        out[0] = '\0';
        break;
    }
}

/* Copies a string value into its char[] member, zero-filling the rest. */
static bool store_string(const struct egov_cfg_key *k, char *field, const char *v)
{
    size_t n = strlen(v);
    if (n >= k->max || !egov_utf8_valid(v, n, NULL))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7F)
            return false;
    memset(field, 0, k->max);
    memcpy(field, v, n);
    return true;
}

/*
 * Parses @p value for key @p k and stores it into @p cfg; on a bad value
 * leaves @p cfg untouched and adds a problem.  @p origin prefixes the key
 * in the message ("" or "EGOV_DB_POOL: ").
 */
static bool apply(struct egov_config *cfg, const struct egov_cfg_key *k, const char *value,
                  const char *origin, struct egov_cfg_problems *probs)
{
    char *field = (char *)cfg + k->offset;
    unsigned long long v = 0;
    bool ok = false;
    switch (k->type) {
    case EGOV_CFG_STRING:
        ok = store_string(k, field, value);
        break;
    case EGOV_CFG_LISTEN:
        ok = parse_listen(value) && store_string(k, field, value);
        break;
    case EGOV_CFG_UINT: {
        const char *end;
        ok = parse_digits(value, &v, &end) && *end == '\0' && v >= k->min && v <= k->max;
        if (ok)
            memcpy(field, &(unsigned int){(unsigned int)v}, sizeof(unsigned int));
        break;
    }
    case EGOV_CFG_SIZE:
        ok = parse_size(value, &v) && v >= k->min && v <= k->max && v <= SIZE_MAX;
        if (ok)
            memcpy(field, &(size_t){(size_t)v}, sizeof(size_t));
        break;
    case EGOV_CFG_MS:
        ok = parse_ms(value, &v) && v >= k->min && v <= k->max && v <= UINT_MAX;
        if (ok)
            memcpy(field, &(unsigned int){(unsigned int)v}, sizeof(unsigned int));
        break;
    case EGOV_CFG_BOOL: {
        bool b;
        ok = parse_bool(value, &b);
        if (ok)
            memcpy(field, &b, sizeof(bool));
        break;
    }
    case EGOV_CFG_LEVEL: {
        enum egov_log_level lvl;
        ok = egov_log_level_parse(value, &lvl);
        if (ok)
            memcpy(field, &lvl, sizeof(lvl));
        break;
    }
    case EGOV_CFG_END:
        break;
    }
    if (!ok) {
        char shown[VALUE_SHOWN + 4], allowed[160];
        shown_value(value, shown);
        describe(k, allowed, sizeof(allowed));
        add_problem(probs, "%s%s.%s = \"%s\": %s", origin, k->section, k->key, shown, allowed);
    }
    return ok;
}

static const struct egov_cfg_key *find_key(const char *section, const char *key)
{
    for (const struct egov_cfg_key *k = egov_config_keys; k->type != EGOV_CFG_END; k++)
        if (strcmp(k->section, section) == 0 && strcmp(k->key, key) == 0)
            return k;
    return NULL;
}

static bool section_known(const char *section)
{
    for (const struct egov_cfg_key *k = egov_config_keys; k->type != EGOV_CFG_END; k++)
        if (strcmp(k->section, section) == 0)
            return true;
    return false;
}

/* Lists the keys of @p section ("listen, threads, ...") into @p b. */
static void list_keys(struct egov_buf *b, const char *section)
{
    bool first = true;
    for (const struct egov_cfg_key *k = egov_config_keys; k->type != EGOV_CFG_END; k++) {
        if (strcmp(k->section, section) != 0)
            continue;
        egov_buf_printf(b, "%s%s", first ? "" : ", ", k->key);
        first = false;
    }
}

/* Lists the distinct sections in table order. */
static void list_sections(struct egov_buf *b)
{
    for (const struct egov_cfg_key *k = egov_config_keys; k->type != EGOV_CFG_END; k++) {
        bool seen = false;
        for (const struct egov_cfg_key *j = egov_config_keys; j < k; j++)
            if (strcmp(j->section, k->section) == 0)
                seen = true;
        if (!seen)
            egov_buf_printf(b, "%s%s", k == egov_config_keys ? "" : ", ", k->section);
    }
}

static void unknown_key(const char *section, const char *key, struct egov_cfg_problems *probs)
{
    struct egov_buf b;
    egov_buf_init(&b);
    char shown[VALUE_SHOWN + 4];
    shown_value(key, shown);
    if (section_known(section)) {
        list_keys(&b, section);
        add_problem(probs, "[%s] %s: unknown key; known keys in [%s]: %s", section, shown, section,
                    b.oom || b.data == NULL ? "?" : b.data);
    } else {
        char sec[VALUE_SHOWN + 4];
        shown_value(section, sec);
        list_sections(&b);
        add_problem(probs, "[%s] %s: unknown section; known sections: %s", sec, shown,
                    b.oom || b.data == NULL ? "?" : b.data);
    }
    egov_buf_free(&b);
}

void egov_config_defaults(struct egov_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    for (const struct egov_cfg_key *k = egov_config_keys; k->type != EGOV_CFG_END; k++) {
        if (!apply(cfg, k, k->dflt, "", NULL)) {
            /* a default that fails its own check is our bug */
            EGOV_BUG("config default %s.%s = \"%s\" is invalid", k->section, k->key, k->dflt);
        }
    }
}

struct load_ctx {
    struct egov_config *cfg;
    struct egov_cfg_problems *probs;
    bool ok;
};

static int on_ini_value(void *user, const char *section, const char *name, const char *value)
{
    struct load_ctx *ctx = user;
    const struct egov_cfg_key *k = find_key(section, name);
    if (k == NULL) {
        unknown_key(section, name, ctx->probs);
        ctx->ok = false;
        return 1;
    }
    /* one pair of surrounding double quotes is removed */
    size_t n = strlen(value);
    char *unq = NULL;
    if (n >= 2 && value[0] == '"' && value[n - 1] == '"') {
        unq = egov_malloc(n - 1);
        if (unq == NULL) {
            add_problem(ctx->probs, "%s.%s: out of memory", section, name);
            ctx->ok = false;
            return 1;
        }
        memcpy(unq, value + 1, n - 2);
        unq[n - 2] = '\0';
        value = unq;
    }
    if (!apply(ctx->cfg, k, value, "", ctx->probs))
        ctx->ok = false;
    egov_free(unq);
    return 1;
}

bool egov_config_load_file(struct egov_config *cfg, const char *path,
                           struct egov_cfg_problems *probs)
{
    struct load_ctx ctx = {cfg, probs, true};
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        add_problem(probs, "%s: cannot be read: %s", path, strerror(errno));
        return false;
    }
    int rc = ini_parse_file(f, on_ini_value, &ctx);
    fclose(f);
    if (rc > 0) {
        add_problem(probs, "%s:%d: syntax error (expected [section] or key = value)", path, rc);
        ctx.ok = false;
    } else if (rc != 0) {
        add_problem(probs, "%s: could not be parsed (out of memory)", path);
        ctx.ok = false;
    }
    return ctx.ok;
}

/* EGOV_<SECTION>_<KEY>, upper-cased, with dots and dashes as underscores. */
static bool env_name(const struct egov_cfg_key *k, char *out, size_t n)
{
    int w = snprintf(out, n, "EGOV_%s_%s", k->section, k->key);
    if (w < 0 || (size_t)w >= n)
        return false;
    for (char *p = out; *p != '\0'; p++) {
        if (*p == '.' || *p == '-')
            *p = '_';
        else
            *p = (char)toupper((unsigned char)*p);
    }
    return true;
}

/* Older names still honoured when the canonical variable is not set. */
static const struct {
    const char *alias;
    const char *canonical;
} env_aliases[] = {
    {"EGOV_DATADIR", "EGOV_PATHS_DATA"},
    {"EGOV_LOCALEDIR", "EGOV_PATHS_LOCALE"},
};

bool egov_config_load_env(struct egov_config *cfg, struct egov_cfg_problems *probs)
{
    bool ok = true;
    for (const struct egov_cfg_key *k = egov_config_keys; k->type != EGOV_CFG_END; k++) {
        char name[96], origin[112];
        if (!env_name(k, name, sizeof(name)))
            continue;
        const char *v = getenv(name);
        for (size_t i = 0; v == NULL && i < sizeof(env_aliases) / sizeof(env_aliases[0]); i++) {
            if (strcmp(env_aliases[i].canonical, name) == 0) {
                v = getenv(env_aliases[i].alias);
                if (v != NULL)
                    snprintf(name, sizeof(name), "%s", env_aliases[i].alias);
            }
        }
        if (v == NULL)
            continue;
        snprintf(origin, sizeof(origin), "%s: ", name);
        if (!apply(cfg, k, v, origin, probs))
            ok = false;
    }
    return ok;
}

bool egov_config_set(struct egov_config *cfg, const char *name, const char *value,
                     struct egov_cfg_problems *probs)
{
    const char *dot = strchr(name, '.');
    char section[32];
    size_t n = dot == NULL ? 0 : (size_t)(dot - name);
    if (dot == NULL || n == 0 || n >= sizeof(section)) {
        char shown[VALUE_SHOWN + 4];
        shown_value(name, shown);
        add_problem(probs, "%s: unknown key; keys are written section.key, e.g. db.url", shown);
        return false;
    }
    memcpy(section, name, n);
    section[n] = '\0';
    const struct egov_cfg_key *k = find_key(section, dot + 1);
    if (k == NULL) {
        unknown_key(section, dot + 1, probs);
        return false;
    }
    return apply(cfg, k, value, "", probs);
}

/* Writes the text form of @p k's value in @p cfg. */
static void dump_value(const struct egov_config *cfg, const struct egov_cfg_key *k,
                       struct egov_buf *out)
{
    const char *field = (const char *)cfg + k->offset;
    char tmp[32];
    switch (k->type) {
    case EGOV_CFG_STRING:
    case EGOV_CFG_LISTEN: {
        size_t n = strnlen(field, k->max);
        bool quote =
            n > 0 && (isspace((unsigned char)field[0]) || isspace((unsigned char)field[n - 1]) ||
                      field[0] == '"' || field[0] == ';' || field[0] == '#');
        if (quote)
            egov_buf_putc(out, '"');
        egov_buf_append(out, field, n);
        if (quote)
            egov_buf_putc(out, '"');
        break;
    }
    case EGOV_CFG_UINT: {
        unsigned int v;
        memcpy(&v, field, sizeof(v));
        egov_buf_printf(out, "%u", v);
        break;
    }
    case EGOV_CFG_SIZE: {
        size_t v;
        memcpy(&v, field, sizeof(v));
        fmt_size(v, tmp, sizeof(tmp));
        egov_buf_puts(out, tmp);
        break;
    }
    case EGOV_CFG_MS: {
        unsigned int v;
        memcpy(&v, field, sizeof(v));
        fmt_ms(v, tmp, sizeof(tmp));
        egov_buf_puts(out, tmp);
        break;
    }
    case EGOV_CFG_BOOL: {
        bool v;
        memcpy(&v, field, sizeof(v));
        egov_buf_puts(out, v ? "true" : "false");
        break;
    }
    case EGOV_CFG_LEVEL: {
        static const char *const names[] = {"debug", "info", "warn", "error"};
        enum egov_log_level v;
        memcpy(&v, field, sizeof(v));
        egov_buf_puts(out, v >= EGOV_LOG_DEBUG && v <= EGOV_LOG_ERROR ? names[v] : "info");
        break;
    }
    case EGOV_CFG_END:
        break;
    }
}

void egov_config_dump(const struct egov_config *cfg, struct egov_buf *out)
{
    egov_buf_puts(out, "; egov configuration\n");
    for (const struct egov_cfg_key *s = egov_config_keys; s->type != EGOV_CFG_END; s++) {
        bool seen = false;
        for (const struct egov_cfg_key *j = egov_config_keys; j < s; j++)
            if (strcmp(j->section, s->section) == 0)
                seen = true;
        if (seen)
            continue;
        egov_buf_printf(out, "\n[%s]\n", s->section);
        for (const struct egov_cfg_key *k = s; k->type != EGOV_CFG_END; k++) {
            if (strcmp(k->section, s->section) != 0)
                continue;
            egov_buf_printf(out, "; %s\n%s = ", k->help, k->key);
            dump_value(cfg, k, out);
            egov_buf_putc(out, '\n');
        }
    }
}
