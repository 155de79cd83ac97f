/*
 * keys.c -- the provider's signing keys: creation, encrypted storage in
 * oidc_key, a per-node cache, rotation, signing and the JWKS.
 *
 * A key row has sign_from (when it starts signing), sign_until (when a
 * newer key took over) and verify_until (when the last token it signed
 * has expired; then it leaves the JWKS).  A rotated-in key is published
 * AUTH_KEY_PUBLISH_AHEAD before it signs, so relying parties that cache
 * the JWKS know it before they meet it.  Private halves are PKCS#8
 * encrypted under a 32-byte secret in PATHS.VAR/oidc-keys.secret, created
 * with mode 0600 by the first node; other nodes need a copy of that file
 * (as of any other secret).  Verification needs only the public JWKs, so
 * egov_auth_token_verify() works on nodes without the secret.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/auth_int.h"

#define KEYS_MAX     32
#define KEK_LEN      32
#define KEYS_WAIT_MS 5000

struct cached_key {
    char kid[64];
    enum egov_jose_alg alg;
    struct egov_jose_key *key;                   /* private if the secret is loaded, else public */
    int64_t sign_from, sign_until, verify_until; /* 0 = open-ended */
};

static struct {
    pthread_mutex_t mu;
    struct cached_key keys[KEYS_MAX];
    unsigned int n;
    int64_t loaded_at; /* epoch seconds of the last reload */
    bool have_kek;
    uint8_t kek[KEK_LEN];
} cache = {.mu = PTHREAD_MUTEX_INITIALIZER};

static const struct egov_db_stmt st_keys = {
    "oidc_keys_all",
    "SELECT kid, alg, private_pem, public_jwk, sign_from, COALESCE(sign_until, 0),"
    " COALESCE(verify_until, 0) FROM oidc_key ORDER BY sign_from",
    NULL};
static const struct egov_db_stmt st_key_insert = {
    "oidc_key_insert",
    "INSERT INTO oidc_key (kid, alg, private_pem, public_jwk, created_at, sign_from)"
    " VALUES ($1, $2, $3, $4, $5, $6)",
    NULL};
static const struct egov_db_stmt st_key_count_usable = {
    "oidc_key_count_usable",
    "SELECT COUNT(*) FROM oidc_key WHERE alg = $1 AND (sign_until IS NULL OR sign_until > $2)",
    NULL};
static const struct egov_db_stmt st_key_newest = {
    "oidc_key_newest", "SELECT COALESCE(MAX(sign_from), 0) FROM oidc_key WHERE alg = $1", NULL};
static const struct egov_db_stmt st_key_retire = {
    "oidc_key_retire",
    "UPDATE oidc_key SET sign_until = $2, verify_until = $3 WHERE alg = $1 AND sign_until IS NULL"
    " AND sign_from <= $2",
    NULL};

static int64_t now_s(void)
{
    return egov_now_us() / 1000000;
}

/* Reads or creates the key-encryption secret. */
static bool kek_load(const char *vardir)
{
    char path[1024];
    int n = snprintf(path, sizeof(path), "%s/oidc-keys.secret",
                     vardir != NULL && vardir[0] != '\0' ? vardir : ".");
    if (n < 0 || (size_t)n >= sizeof(path))
        return false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        uint8_t fresh[KEK_LEN];
        if (!egov_random(fresh, sizeof(fresh)))
            return false;
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            bool ok = write(fd, fresh, sizeof(fresh)) == (ssize_t)sizeof(fresh);
            close(fd);
            egov_wipe(fresh, sizeof(fresh));
            if (!ok) {
                unlink(path);
                egov_error("cannot write %s", path);
                return false;
            }
        } else if (errno != EEXIST) {
            egov_error("cannot create %s: %s", path, strerror(errno));
            return false;
        }
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0) {
        egov_error("cannot read %s: %s", path, strerror(errno));
        return false;
    }
    struct stat stbuf;
    bool ok = fstat(fd, &stbuf) == 0;
    if (ok && (stbuf.st_mode & 077) != 0) {
        egov_error("%s must not be readable by group or others (chmod 600)", path);
        ok = false;
    }
    uint8_t buf[KEK_LEN + 1];
    ssize_t got = ok ? read(fd, buf, sizeof(buf)) : -1;
    close(fd);
    if (got != KEK_LEN) {
        if (ok)
            egov_error("%s must hold exactly %d bytes", path, KEK_LEN);
        egov_wipe(buf, sizeof(buf));
        return false;
    }
    pthread_mutex_lock(&cache.mu);
    memcpy(cache.kek, buf, KEK_LEN);
    cache.have_kek = true;
    pthread_mutex_unlock(&cache.mu);
    egov_wipe(buf, sizeof(buf));
    return true;
}

/* Finds a cached key by kid; caller holds the lock. */
static struct cached_key *find_locked(const char *kid)
{
    for (unsigned int i = 0; i < cache.n; i++)
        if (strcmp(cache.keys[i].kid, kid) == 0)
            return &cache.keys[i];
    return NULL;
}

/* Re-reads oidc_key into the cache.  Keys already cached keep their object. */
static bool reload(struct egov_db *db)
{
    struct egov_db_rows *rows = NULL;
    struct egov_db_conn *c = egov_db_acquire(db, KEYS_WAIT_MS);
    if (c == NULL)
        return false;
    enum egov_db_qs qs =
        egov_db_query(c, &st_keys, (struct egov_db_param[]){EGOV_DB_PARAM_END}, &rows);
    egov_db_release(c);
    if (qs < 0)
        return false;
    pthread_mutex_lock(&cache.mu);
    for (size_t r = 0; r < egov_db_rows_count(rows); r++) {
        const char *kid = egov_db_rows_text(rows, r, 0);
        enum egov_jose_alg alg = egov_jose_alg_parse(egov_db_rows_text(rows, r, 1));
        if (kid == NULL || alg == EGOV_JOSE_NONE || strlen(kid) >= sizeof(cache.keys[0].kid))
            continue;
        struct cached_key *ck = find_locked(kid);
        if (ck == NULL) {
            struct egov_jose_key *k = NULL;
            if (cache.have_kek)
                k = egov_jose_key_import_private(egov_db_rows_text(rows, r, 2), alg, kid, cache.kek,
                                                 KEK_LEN);
            if (k == NULL) {
                if (cache.have_kek)
                    egov_warn("signing key %s cannot be decrypted with this node's "
                              "oidc-keys.secret; it is used for verification only",
                              kid);
                char err[160];
                json_t *jwk = json_loads(egov_db_rows_text(rows, r, 3), 0, NULL);
                k = jwk ? egov_jose_key_from_jwk(jwk, err, sizeof(err)) : NULL;
                json_decref(jwk);
            }
            if (k == NULL || cache.n == KEYS_MAX) {
                egov_jose_key_free(k);
                continue;
            }
            ck = &cache.keys[cache.n++];
            snprintf(ck->kid, sizeof(ck->kid), "%s", kid);
            ck->alg = alg;
            ck->key = k;
        }
        ck->sign_from = egov_db_rows_int64(rows, r, 4);
        ck->sign_until = egov_db_rows_int64(rows, r, 5);
        ck->verify_until = egov_db_rows_int64(rows, r, 6);
    }
    cache.loaded_at = now_s();
    pthread_mutex_unlock(&cache.mu);
    egov_db_rows_free(rows);
    return true;
}

static bool add_key(struct egov_db *db, enum egov_jose_alg alg, int64_t sign_from,
                    bool only_if_none, bool retire, bool only_if_due, bool *inserted);

/*
 * Automatic rotation: when the newest key of an algorithm is older than
 * AUTH_KEY_ROTATE_AFTER, a node holding the key secret publishes a new one
 * that signs from AUTH_KEY_PUBLISH_AHEAD on.  The check in the transaction
 * makes sure only one node of many does it.
 */
static void maybe_rotate(struct egov_db *db)
{
    static const enum egov_jose_alg algs[] = {EGOV_JOSE_RS256, EGOV_JOSE_ES256};
    int64_t now = now_s();
    bool rotated = false;
    for (size_t a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
        int64_t newest = 0;
        pthread_mutex_lock(&cache.mu);
        bool have = cache.have_kek;
        for (unsigned int i = 0; i < cache.n; i++)
            if (cache.keys[i].alg == algs[a] && cache.keys[i].sign_from > newest)
                newest = cache.keys[i].sign_from;
        pthread_mutex_unlock(&cache.mu);
        if (!have || newest == 0 || newest > now - AUTH_KEY_ROTATE_AFTER)
            continue;
        bool inserted = false;
        if (add_key(db, algs[a], now + AUTH_KEY_PUBLISH_AHEAD, false, true, true, &inserted) &&
            inserted) {
            egov_info("published a new %s signing key; it signs from %lld",
                      egov_jose_alg_name(algs[a]), (long long)(now + AUTH_KEY_PUBLISH_AHEAD));
            rotated = true;
        }
    }
    if (rotated)
        reload(db);
}

/* Reloads when the cache is stale, and rotates keys that are due. */
static void refresh(struct egov_db *db, bool force)
{
    pthread_mutex_lock(&cache.mu);
    int64_t age = now_s() - cache.loaded_at;
    pthread_mutex_unlock(&cache.mu);
    if (age >= AUTH_KEY_CACHE_TTL || (force && age >= 1)) {
        reload(db);
        maybe_rotate(db);
    }
}

struct new_key {
    const char *kid, *alg, *pem, *jwk;
    int64_t sign_from;
    bool only_if_none; /* first key: insert only if no usable key exists */
    bool retire;       /* rotation: retire the current key at sign_from */
    bool only_if_due;  /* automatic rotation: only if the newest key is old enough */
    bool inserted;     /* out: the key was stored */
};

static enum egov_db_qs insert_body(struct egov_db_conn *c, void *cls)
{
    struct new_key *nk = cls;
    int64_t now = now_s();
    nk->inserted = false;
    if (nk->only_if_none) {
        struct egov_db_rows *rows = NULL;
        enum egov_db_qs qs =
            egov_db_query(c, &st_key_count_usable,
                          (struct egov_db_param[]){EGOV_DB_PARAM_TEXT(nk->alg),
                                                   EGOV_DB_PARAM_INT64(now), EGOV_DB_PARAM_END},
                          &rows);
        if (qs < 0)
            return qs;
        int64_t count = egov_db_rows_int64(rows, 0, 0);
        egov_db_rows_free(rows);
        if (count > 0)
            return EGOV_DB_NO_ROW;
    }
    if (nk->only_if_due) {
        struct egov_db_rows *rows = NULL;
        enum egov_db_qs qs = egov_db_query(
            c, &st_key_newest,
            (struct egov_db_param[]){EGOV_DB_PARAM_TEXT(nk->alg), EGOV_DB_PARAM_END}, &rows);
        if (qs < 0)
            return qs;
        int64_t newest = egov_db_rows_int64(rows, 0, 0);
        egov_db_rows_free(rows);
        if (newest > now - AUTH_KEY_ROTATE_AFTER)
            return EGOV_DB_NO_ROW; /* another node rotated already */
    }
    if (nk->retire) {
        /* the old key verifies until the last token it signed has expired */
        int64_t last = AUTH_ACCESS_TTL > AUTH_ID_TOKEN_TTL ? AUTH_ACCESS_TTL : AUTH_ID_TOKEN_TTL;
        enum egov_db_qs qs =
            egov_db_exec(c, &st_key_retire,
                         (struct egov_db_param[]){
                             EGOV_DB_PARAM_TEXT(nk->alg), EGOV_DB_PARAM_INT64(nk->sign_from),
                             EGOV_DB_PARAM_INT64(nk->sign_from + last + 60), EGOV_DB_PARAM_END});
        if (qs < 0)
            return qs;
    }
    nk->inserted = true;
    return egov_db_exec(
        c, &st_key_insert,
        (struct egov_db_param[]){EGOV_DB_PARAM_TEXT(nk->kid), EGOV_DB_PARAM_TEXT(nk->alg),
                                 EGOV_DB_PARAM_TEXT(nk->pem), EGOV_DB_PARAM_TEXT(nk->jwk),
                                 EGOV_DB_PARAM_INT64(now), EGOV_DB_PARAM_INT64(nk->sign_from),
                                 EGOV_DB_PARAM_END});
}

/* Generates and stores one key of @p alg. */
static bool add_key(struct egov_db *db, enum egov_jose_alg alg, int64_t sign_from,
                    bool only_if_none, bool retire, bool only_if_due, bool *inserted)
{
    char kid[37];
    uint8_t kek[KEK_LEN];
    bool ok = false;
    char *pem = NULL, *jwk_s = NULL;
    json_t *jwk = NULL;
    struct egov_jose_key *k = NULL;
    struct egov_db_conn *c = NULL;
    if (inserted != NULL)
        *inserted = false;
    pthread_mutex_lock(&cache.mu);
    bool have = cache.have_kek;
    memcpy(kek, cache.kek, KEK_LEN);
    pthread_mutex_unlock(&cache.mu);
    if (!have)
        goto done;
    egov_uuid7(kid);
    k = egov_jose_key_generate(alg, kid);
    if (k == NULL)
        goto done;
    pem = egov_jose_key_export_private(k, kek, KEK_LEN);
    jwk = egov_jose_key_public_jwk(k);
    jwk_s = jwk ? egov_json_dumps(jwk) : NULL;
    if (pem == NULL || jwk_s == NULL)
        goto done;
    struct new_key nk = {
        kid,  egov_jose_alg_name(alg), pem, jwk_s, sign_from, only_if_none, retire, only_if_due,
        false};
    c = egov_db_acquire(db, KEYS_WAIT_MS);
    if (c == NULL)
        goto done;
    ok = egov_db_txn(c, true, 10, insert_body, &nk) >= 0;
    if (inserted != NULL)
        *inserted = ok && nk.inserted;
    if (ok && nk.inserted && alg == EGOV_JOSE_RS256)
        egov_info("RS256 signing key %s has a modulus of %u primes, the form that signs faster "
                  "on this node",
                  kid, egov_jose_key_rsa_primes(k));
done:
    egov_db_release(c);
    egov_wipe(kek, sizeof(kek));
    egov_jose_key_free(k);
    egov_free(pem);
    egov_free(jwk_s);
    json_decref(jwk);
    return ok;
}

bool auth_keys_init(struct egov_db *db, const char *vardir)
{
    if (!kek_load(vardir))
        return false;
    int64_t now = now_s();
    if (!add_key(db, EGOV_JOSE_RS256, now, true, false, false, NULL) ||
        !add_key(db, EGOV_JOSE_ES256, now, true, false, false, NULL))
        return false;
    return reload(db);
}

bool auth_keys_rotate(struct egov_db *db, const char *vardir, int64_t ahead_s)
{
    if (!kek_load(vardir))
        return false;
    int64_t from = now_s() + ahead_s;
    bool ok = add_key(db, EGOV_JOSE_RS256, from, false, true, false, NULL) &&
              add_key(db, EGOV_JOSE_ES256, from, false, true, false, NULL);
    return ok && reload(db);
}

void auth_keys_fini(void)
{
    pthread_mutex_lock(&cache.mu);
    for (unsigned int i = 0; i < cache.n; i++)
        egov_jose_key_free(cache.keys[i].key);
    cache.n = 0;
    cache.loaded_at = 0;
    egov_wipe(cache.kek, sizeof(cache.kek));
    cache.have_kek = false;
    pthread_mutex_unlock(&cache.mu);
}

char *auth_keys_sign(struct egov_db *db, enum egov_jose_alg alg, const json_t *claims,
                     const char *typ)
{
    refresh(db, false);
    int64_t now = now_s();
    const struct egov_jose_key *best = NULL;
    int64_t best_from = -1;
    pthread_mutex_lock(&cache.mu);
    for (unsigned int i = 0; i < cache.n; i++) {
        struct cached_key *ck = &cache.keys[i];
        if (ck->alg != alg || ck->sign_from > now || (ck->sign_until != 0 && ck->sign_until <= now))
            continue;
        if (ck->sign_from > best_from) {
            best = ck->key;
            best_from = ck->sign_from;
        }
    }
    pthread_mutex_unlock(&cache.mu);
    /* cached keys are never freed while the module runs, so signing outside the lock is safe */
    if (best == NULL) {
        EGOV_BUG("no %s signing key is usable", egov_jose_alg_name(alg));
        return NULL;
    }
    return egov_jose_sign(best, claims, typ);
}

static const struct egov_jose_key *lookup(const char *kid, enum egov_jose_alg alg, void *cls)
{
    (void)cls;
    const struct egov_jose_key *k = NULL;
    int64_t now = now_s();
    if (kid == NULL)
        return NULL;
    pthread_mutex_lock(&cache.mu);
    struct cached_key *ck = find_locked(kid);
    if (ck != NULL && ck->alg == alg && (ck->verify_until == 0 || ck->verify_until > now))
        k = ck->key;
    pthread_mutex_unlock(&cache.mu);
    return k;
}

/* True if @p kid is in the cache. */
static bool known(const char *kid)
{
    pthread_mutex_lock(&cache.mu);
    bool k = find_locked(kid) != NULL;
    pthread_mutex_unlock(&cache.mu);
    return k;
}

json_t *auth_keys_verify(struct egov_db *db, const char *jws, char *err, size_t errlen)
{
    json_t *h = NULL, *cl = NULL;
    refresh(db, false);
    if (egov_jose_decode(jws, &h, &cl)) {
        const char *kid = json_string_value(json_object_get(h, "kid"));
        if (kid != NULL && !known(kid))
            refresh(db, true); /* a key another node just made */
    }
    json_decref(h);
    json_decref(cl);
    return egov_jose_verify(jws, lookup, NULL, err, errlen);
}

json_t *auth_keys_jwks(struct egov_db *db)
{
    refresh(db, false);
    int64_t now = now_s();
    json_t *keys = json_array();
    if (keys == NULL)
        return NULL;
    pthread_mutex_lock(&cache.mu);
    for (unsigned int i = 0; i < cache.n; i++) {
        struct cached_key *ck = &cache.keys[i];
        if (ck->verify_until != 0 && ck->verify_until <= now)
            continue;
        json_array_append_new(keys, egov_jose_key_public_jwk(ck->key));
    }
    pthread_mutex_unlock(&cache.mu);
    return json_pack("{s:o}", "keys", keys);
}
