/*
 * csrf.c -- CSRF tokens for the HTML forms of every module.
 *
 * Signed double submit: the browser keeps a random value in the cookie
 * egov_csrf; forms carry HMAC-SHA-256(key, "csrf:" value).  The key is made
 * once per database (table account_secret) and cached, so every node
 * accepts every other node's tokens and a restart changes nothing.  An
 * attacker's page can neither read the cookie nor compute the HMAC, and a
 * cookie planted by a sibling domain is useless without a token signed
 * for it.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "account/account_int.h"

#define CSRF_KEY_LEN   32
#define CSRF_VALUE_MAX 64

static pthread_mutex_t key_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t key[CSRF_KEY_LEN];
static const struct egov_db *key_db; /* the database the cached key came from */

/* The cookie value made for the current request, so every form of one page agrees. */
static _Thread_local struct {
    const struct egov_req *req;
    char rid[64];
    char value[CSRF_VALUE_MAX];
} fresh;

static const struct egov_db_stmt st_secret_put = {
    "account_secret_put",
    "INSERT INTO account_secret (name, value, created_at) VALUES ($1, $2, $3)"
    " ON CONFLICT (name) DO NOTHING",
    NULL};
static const struct egov_db_stmt st_secret_get = {
    "account_secret_get", "SELECT value FROM account_secret WHERE name = $1", NULL};

struct key_txn {
    char hex[2 * CSRF_KEY_LEN + 1];
    char got[2 * CSRF_KEY_LEN + 1];
};

static enum egov_db_qs key_body(struct egov_db_conn *c, void *cls)
{
    struct key_txn *k = cls;
    struct egov_db_param put[] = {EGOV_DB_PARAM_TEXT("csrf"), EGOV_DB_PARAM_TEXT(k->hex),
                                  EGOV_DB_PARAM_INT64(egov_now_us()), EGOV_DB_PARAM_END};
    struct egov_db_param get[] = {EGOV_DB_PARAM_TEXT("csrf"), EGOV_DB_PARAM_END};
    struct egov_db_rows *rows = NULL;
    enum egov_db_qs qs = egov_db_exec(c, &st_secret_put, put);
    if (qs < 0)
        return qs;
    qs = egov_db_query(c, &st_secret_get, get, &rows);
    if (qs == EGOV_DB_ONE_ROW) {
        const char *v = egov_db_rows_text(rows, 0, 0);
        snprintf(k->got, sizeof k->got, "%s", v != NULL ? v : "");
    }
    egov_db_rows_free(rows);
    return qs == EGOV_DB_NO_ROW ? EGOV_DB_HARD_ERROR : qs;
}

/* Loads (or makes) the key of @p db into the cache.  False on failure. */
static bool load_key(struct egov_db *db)
{
    struct key_txn k;
    uint8_t fresh_key[CSRF_KEY_LEN];
    bool ok = false;

    pthread_mutex_lock(&key_lock);
    if (key_db == db && db != NULL) {
        pthread_mutex_unlock(&key_lock);
        return true;
    }
    memset(&k, 0, sizeof k);
    if (db == NULL || !egov_random(fresh_key, sizeof fresh_key))
        goto done;
    egov_hex_encode(fresh_key, sizeof fresh_key, k.hex);
    if (account_txn(db, true, key_body, &k) < 0 || strlen(k.got) != 2 * CSRF_KEY_LEN)
        goto done;
    for (size_t i = 0; i < CSRF_KEY_LEN; i++) {
        unsigned int byte;
        if (sscanf(k.got + 2 * i, "%2x", &byte) != 1)
            goto done;
        key[i] = (uint8_t)byte;
    }
    key_db = db;
    ok = true;
done:
    egov_wipe(fresh_key, sizeof fresh_key);
    egov_wipe(&k, sizeof k);
    pthread_mutex_unlock(&key_lock);
    return ok;
}

void account_csrf_reset(void)
{
    pthread_mutex_lock(&key_lock);
    key_db = NULL;
    egov_wipe(key, sizeof key);
    pthread_mutex_unlock(&key_lock);
}

/* token = base64url(HMAC(key, "csrf:" value)) into @p out (44 bytes). */
static bool sign(const char *value, char out[44])
{
    uint8_t mac[EGOV_SHA256_LEN];
    char msg[CSRF_VALUE_MAX + 8];
    int n = snprintf(msg, sizeof msg, "csrf:%s", value);
    if (n < 0 || (size_t)n >= sizeof msg)
        return false;
    pthread_mutex_lock(&key_lock);
    bool ok = egov_hmac_sha256(key, sizeof key, msg, (size_t)n, mac);
    pthread_mutex_unlock(&key_lock);
    if (!ok)
        return false;
    egov_base64url_encode(mac, sizeof mac, out);
    return true;
}

/* True if @p v is a cookie value we could have made (43 base64url characters). */
static bool value_ok(const char *v)
{
    if (v == NULL || strlen(v) != 43)
        return false;
    for (const char *p = v; *p != '\0'; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return false;
    return true;
}

const char *egov_account_csrf_token(struct egov_req *req)
{
    char tok[44];
    const char *value = egov_req_cookie(req, EGOV_ACCOUNT_CSRF_COOKIE);

    if (!load_key(egov_req_db(req)))
        return NULL;
    if (!value_ok(value)) {
        const char *rid = req->request_id != NULL ? req->request_id : "";
        if (fresh.req != req || strcmp(fresh.rid, rid) != 0) {
            if (!egov_random_token(32, fresh.value))
                return NULL;
            fresh.req = req;
            snprintf(fresh.rid, sizeof fresh.rid, "%s", rid);
            egov_reply_cookie(req, EGOV_ACCOUNT_CSRF_COOKIE, fresh.value, 0);
        }
        value = fresh.value;
    }
    if (!sign(value, tok))
        return NULL;
    return egov_arena_strdup(req->arena, tok);
}

bool egov_account_csrf_check(struct egov_req *req, const json_t *form)
{
    char want[44];
    const char *value = egov_req_cookie(req, EGOV_ACCOUNT_CSRF_COOKIE);
    const char *got = account_form_str(form, EGOV_ACCOUNT_CSRF_FIELD);

    if (value_ok(value) && got != NULL && strlen(got) == 43 && load_key(egov_req_db(req)) &&
        sign(value, want) && egov_ct_equal(want, got, 43))
        return true;
    EGOV_CLIENT_FAULT("CSRF token missing or wrong on %s %s", req->method, req->path);
    egov_reply_problem(req, EGOV_EC_GENERIC_CSRF, EGOV_ACCOUNT_CSRF_FIELD, NULL);
    return false;
}
