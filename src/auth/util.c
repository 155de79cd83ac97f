/*
 * util.c -- small pieces the endpoints share: the issuer URL, OAuth error
 * replies, parameters, hashing and pairwise subject identifiers.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth_int.h"

static char public_url[256];
static pthread_mutex_t pairwise_mu = PTHREAD_MUTEX_INITIALIZER;
static uint8_t pairwise_key[32];
static bool pairwise_loaded;

static const struct egov_db_stmt st_meta_put = {
    "oidc_meta_put",
    "INSERT INTO oidc_meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", NULL};
static const struct egov_db_stmt st_meta_get = {
    "oidc_meta_get", "SELECT value FROM oidc_meta WHERE name = $1", NULL};

void auth_set_public_url(const char *url)
{
    size_t n = url ? strlen(url) : 0;
    while (n > 0 && url[n - 1] == '/')
        n--;
    if (n >= sizeof(public_url))
        n = 0;
    memcpy(public_url, url ? url : "", n);
    public_url[n] = '\0';
}

/* True if @p h is a plausible Host header: name or address, optional port. */
static bool host_ok(const char *h)
{
    size_t n = strlen(h);
    if (n == 0 || n > 255)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
            return false;
    }
    return true;
}

const char *auth_issuer(struct egov_req *req)
{
    if (public_url[0] != '\0')
        return public_url;
    const char *host = egov_req_header(req, "Host");
    if (host == NULL || !host_ok(host))
        return NULL;
    const char *proto = egov_req_header(req, "X-Forwarded-Proto");
    const char *scheme = proto != NULL && strcmp(proto, "https") == 0 ? "https" : "http";
    return egov_arena_printf(req->arena, "%s://%s", scheme, host);
}

void auth_reply_nostore(struct egov_req *req, unsigned int status, json_t *body)
{
    /* the http layer already marks every dynamic response Cache-Control: no-store */
    egov_reply_header(req, "Pragma", "no-cache");
    if (body == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    egov_reply_json(req, status, body);
}

void auth_reply_oauth_error(struct egov_req *req, unsigned int status, const char *error,
                            const char *description)
{
    json_t *body = json_pack("{s:s}", "error", error);
    if (body != NULL && description != NULL)
        json_object_set_new(body, "error_description", json_string(description));
    if (status == 401)
        egov_reply_header(req, "WWW-Authenticate",
                          strcmp(error, "invalid_token") == 0 ? "Bearer error=\"invalid_token\""
                                                              : "Basic realm=\"egov\"");
    auth_reply_nostore(req, status, body);
}

const char *auth_param(struct egov_req *req, const char *name)
{
    if (req->form != NULL) {
        const char *v = json_string_value(json_object_get(req->form, name));
        if (v != NULL)
            return v;
    }
    if (req->method_bit == EGOV_M_GET || req->method_bit == EGOV_M_HEAD)
        return egov_req_query(req, name);
    return NULL;
}

void auth_hash_hex(const char *s, char out[65])
{
    uint8_t h[EGOV_SHA256_LEN];
    if (!egov_sha256(s, strlen(s), h))
        memset(h, 0, sizeof(h));
    egov_hex_encode(h, sizeof(h), out);
}

bool auth_pairwise_init(struct egov_db *db)
{
    char hex[65];
    uint8_t fresh[32];
    bool ok = false;
    struct egov_db_rows *rows = NULL;
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    if (c == NULL || !egov_random(fresh, sizeof(fresh)))
        goto done;
    egov_hex_encode(fresh, sizeof(fresh), hex);
    if (egov_db_exec(c, &st_meta_put,
                     (struct egov_db_param[]){EGOV_DB_PARAM_TEXT("pairwise_key"),
                                              EGOV_DB_PARAM_TEXT(hex), EGOV_DB_PARAM_END}) < 0)
        goto done;
    if (egov_db_query(
            c, &st_meta_get,
            (struct egov_db_param[]){EGOV_DB_PARAM_TEXT("pairwise_key"), EGOV_DB_PARAM_END},
            &rows) != EGOV_DB_ONE_ROW)
        goto done;
    const char *v = egov_db_rows_text(rows, 0, 0);
    if (v == NULL || strlen(v) != 64)
        goto done;
    pthread_mutex_lock(&pairwise_mu);
    for (size_t i = 0; i < 32; i++) {
        unsigned int byte;
        if (sscanf(v + 2 * i, "%2x", &byte) != 1)
            break;
        pairwise_key[i] = (uint8_t)byte;
    }
    pairwise_loaded = true;
    pthread_mutex_unlock(&pairwise_mu);
    ok = true;
done:
    egov_wipe(fresh, sizeof(fresh));
    egov_wipe(hex, sizeof(hex));
    egov_db_rows_free(rows);
    egov_db_release(c);
    return ok;
}

bool auth_subject_for(struct egov_db *db, const struct auth_client *c, const char *principal,
                      char out[64])
{
    if (strcmp(c->subject_type, "public") == 0) {
        snprintf(out, 64, "%s", principal);
        return true;
    }
    pthread_mutex_lock(&pairwise_mu);
    bool loaded = pairwise_loaded;
    pthread_mutex_unlock(&pairwise_mu);
    if (!loaded && !auth_pairwise_init(db))
        return false;
    char msg[512];
    int n = snprintf(msg, sizeof(msg), "%s\n%s", c->sector, principal);
    if (n < 0 || (size_t)n >= sizeof(msg))
        return false;
    uint8_t mac[EGOV_SHA256_LEN];
    pthread_mutex_lock(&pairwise_mu);
    bool ok = egov_hmac_sha256(pairwise_key, sizeof(pairwise_key), msg, (size_t)n, mac);
    pthread_mutex_unlock(&pairwise_mu);
    if (!ok)
        return false;
    egov_base64url_encode(mac, sizeof(mac), out);
    return true;
}

const char *auth_subject(struct egov_req *req, const struct auth_client *c, const char *principal)
{
    char sub[64];
    if (!auth_subject_for(egov_req_db(req), c, principal, sub))
        return NULL;
    return egov_arena_strdup(req->arena, sub);
}

void auth_url_encode(struct egov_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            egov_buf_putc(b, (char)*p);
        } else {
            egov_buf_putc(b, '%');
            egov_buf_putc(b, hex[*p >> 4]);
            egov_buf_putc(b, hex[*p & 15]);
        }
    }
}

bool egov_auth_scope_has(const char *scopes, const char *scope)
{
    size_t n = strlen(scope);
    if (scopes == NULL || n == 0)
        return false;
    for (const char *p = scopes; *p;) {
        while (*p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        if ((size_t)(e - p) == n && memcmp(p, scope, n) == 0)
            return true;
        p = e;
    }
    return false;
}

/*
 * SQLite has one writer: threads of this node that start write
 * transactions together would meet in SQLite's busy handler, which sleeps
 * for milliseconds.  Queueing them on a mutex first hands the write lock
 * over in microseconds.  (Several processes on one SQLite file still meet
 * in the busy handler; PostgreSQL needs none of this.)
 */
static pthread_mutex_t sqlite_writer = PTHREAD_MUTEX_INITIALIZER;

enum egov_db_qs auth_write(struct egov_db *db, egov_db_txn_fn fn, void *cls)
{
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    if (c == NULL)
        return EGOV_DB_SOFT_ERROR;
    bool serial = egov_db_kind(db) == EGOV_DB_SQLITE;
    if (serial)
        pthread_mutex_lock(&sqlite_writer);
    enum egov_db_qs qs = egov_db_txn(c, true, 10, fn, cls);
    if (serial)
        pthread_mutex_unlock(&sqlite_writer);
    egov_db_release(c);
    return qs;
}
