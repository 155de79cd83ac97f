/*
 * db.c -- the backend-neutral half of the store: opening a database by URL,
 * the connection pool, statement dispatch, fault injection, the statement
 * cache and the transaction runner.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"

#define DEFAULT_PG_POOL     8u
#define DEFAULT_SQLITE_POOL 4u
#define DEFAULT_BUSY_MS     5000u
#define DEFAULT_CONNECT_S   5u
#define MAX_POOL            256u

/* Back-off between transaction attempts: base doubles per attempt up to a cap. */
#define TXN_BACKOFF_BASE_US 500
#define TXN_BACKOFF_CAP_US  50000

static atomic_uint injected_soft_errors;

void egov_db_inject_soft_errors(unsigned int n)
{
    atomic_store(&injected_soft_errors, n);
}

/* Consumes one injected error if any is pending. */
static bool take_injected_error(void)
{
    unsigned int n = atomic_load(&injected_soft_errors);

    while (n > 0) {
        if (atomic_compare_exchange_weak(&injected_soft_errors, &n, n - 1))
            return true;
    }
    return false;
}

void egov_db_set_error(struct egov_db_conn *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Statement cache: open addressing on the statement's address          */
/* ------------------------------------------------------------------ */

static size_t cache_slot(const struct egov_db_stmt *st, size_t cap)
{
    uintptr_t h = (uintptr_t)st;

    h ^= h >> 17;
    h *= (uintptr_t)0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
    return (size_t)h & (cap - 1);
}

void *egov_db_cache_get(const struct egov_db_stmt_cache *sc, const struct egov_db_stmt *st)
{
    size_t i;

    if (sc->cap == 0)
        return NULL;
    for (i = cache_slot(st, sc->cap);; i = (i + 1) & (sc->cap - 1)) {
        if (sc->keys[i] == st)
            return sc->vals[i];
        if (sc->keys[i] == NULL)
            return NULL;
    }
}

static void cache_insert(struct egov_db_stmt_cache *sc, const struct egov_db_stmt *st, void *val)
{
    size_t i;

    for (i = cache_slot(st, sc->cap); sc->keys[i] != NULL && sc->keys[i] != st;
         i = (i + 1) & (sc->cap - 1))
        ;
    if (sc->keys[i] == NULL)
        sc->used++;
    sc->keys[i] = st;
    sc->vals[i] = val;
}

bool egov_db_cache_put(struct egov_db_stmt_cache *sc, const struct egov_db_stmt *st, void *val)
{
    struct egov_db_stmt_cache bigger = {0};
    size_t i;

    if ((sc->used + 1) * 2 > sc->cap) {
        bigger.cap = sc->cap == 0 ? 32 : sc->cap * 2;
        bigger.keys = egov_calloc(bigger.cap, sizeof(*bigger.keys));
        bigger.vals = egov_calloc(bigger.cap, sizeof(*bigger.vals));
        if (bigger.keys == NULL || bigger.vals == NULL)
            goto fail;
        for (i = 0; i < sc->cap; i++) {
            if (sc->keys[i] != NULL)
                cache_insert(&bigger, sc->keys[i], sc->vals[i]);
        }
        egov_free(sc->keys);
        egov_free(sc->vals);
        *sc = bigger;
    }
    cache_insert(sc, st, val);
    return true;
fail:
    egov_free(bigger.keys);
    egov_free(bigger.vals);
    return false;
}

void egov_db_cache_clear(struct egov_db_stmt_cache *sc, void (*fn)(void *), bool release)
{
    size_t i;

    for (i = 0; i < sc->cap; i++) {
        if (sc->keys[i] != NULL && fn != NULL)
            fn(sc->vals[i]);
    }
    if (release) {
        egov_free(sc->keys);
        egov_free(sc->vals);
        memset(sc, 0, sizeof(*sc));
    } else if (sc->cap > 0) {
        memset(sc->keys, 0, sc->cap * sizeof(*sc->keys));
        memset(sc->vals, 0, sc->cap * sizeof(*sc->vals));
        sc->used = 0;
    }
}

/* ------------------------------------------------------------------ */
/* Opening and closing                                                  */
/* ------------------------------------------------------------------ */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

const char *egov_db_url_redact(const char *url, char *out, size_t outlen)
{
    struct egov_buf b;
    const char *p;
    const char *scheme;
    const char *auth_end;
    const char *at;
    const char *colon;
    size_t n;

    if (out == NULL || outlen == 0)
        return out;
    out[0] = '\0';
    if (url == NULL)
        return out;
    egov_buf_init(&b);
    scheme = strstr(url, "://");
    p = url;
    if (scheme != NULL) {
        /* user-info: between "://" and the last '@' before the path */
        const char *host = scheme + 3;
        auth_end = host + strcspn(host, "/?#");
        at = NULL;
        for (const char *q = host; q < auth_end; q++)
            if (*q == '@')
                at = q;
        colon = at != NULL ? memchr(host, ':', (size_t)(at - host)) : NULL;
        if (colon != NULL) {
            egov_buf_append(&b, url, (size_t)(colon + 1 - url));
            egov_buf_puts(&b, "***");
            p = at;
        }
    }
    /* password=... in the query string (or a libpq "key=value" string) */
    while (*p != '\0') {
        const char *pw = strstr(p, "password=");
        if (pw == NULL || (pw != url && strchr("?& ", pw[-1]) == NULL)) {
            n = pw == NULL ? strlen(p) : (size_t)(pw + 9 - p);
            egov_buf_append(&b, p, n);
            p += n;
            continue;
        }
        egov_buf_append(&b, p, (size_t)(pw + 9 - p));
        egov_buf_puts(&b, "***");
        p = pw + 9 + strcspn(pw + 9, "&# ");
    }
    if (!b.oom && b.data != NULL) {
        n = b.len < outlen ? b.len : outlen - 1;
        memcpy(out, b.data, n);
        out[n] = '\0';
    }
    egov_buf_free(&b);
    return out;
}

static struct egov_db_conn *connect_one(struct egov_db *db, char *err, size_t errlen)
{
    if (db->kind == EGOV_DB_SQLITE)
        return egov_sqlite_connect(db, err, errlen);
    return egov_pg_connect(db, err, errlen);
}

static void disconnect_one(struct egov_db_conn *c)
{
    if (c == NULL)
        return;
    if (c->db->kind == EGOV_DB_SQLITE)
        egov_sqlite_disconnect(c);
    else
        egov_pg_disconnect(c);
}

struct egov_db *egov_db_open(const char *url, const struct egov_db_options *opt, char *err,
                             size_t errlen)
{
    struct egov_db *db = NULL;
    struct egov_db_conn *first = NULL;
    const char *path;
    bool locks = false;

    set_err(err, errlen, "%s", "");
    if (url == NULL || url[0] == '\0') {
        set_err(err, errlen,
                "No database URL was given (expected sqlite:PATH or postgresql://...).");
        goto fail;
    }
    db = egov_calloc(1, sizeof(*db));
    if (db == NULL) {
        set_err(err, errlen, "Out of memory while opening the database.");
        goto fail;
    }
    if (opt != NULL)
        db->opt = *opt;
    if (db->opt.busy_timeout_ms == 0)
        db->opt.busy_timeout_ms = DEFAULT_BUSY_MS;
    if (db->opt.connect_timeout_s == 0)
        db->opt.connect_timeout_s = DEFAULT_CONNECT_S;

    if (strncmp(url, "sqlite:", 7) == 0) {
        db->kind = EGOV_DB_SQLITE;
        path = url + 7;
        if (strncmp(path, "//", 2) == 0)
            path += 2;
        if (path[0] == '\0') {
            set_err(err, errlen, "The SQLite URL \"%s\" names no file (expected sqlite:PATH).",
                    url);
            goto fail;
        }
        db->memory = strcmp(path, ":memory:") == 0;
        db->target = egov_strdup(path);
        db->size = db->opt.pool_size != 0 ? db->opt.pool_size : DEFAULT_SQLITE_POOL;
        if (db->memory)
            db->size = 1;
        if (db->target != NULL && !db->memory && !egov_sqlite_prepare_path(path, err, errlen))
            goto fail;
    } else if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0) {
        db->kind = EGOV_DB_POSTGRES;
        db->target = egov_strdup(url);
        db->size = db->opt.pool_size != 0 ? db->opt.pool_size : DEFAULT_PG_POOL;
    } else {
        char shown[128];
        set_err(err, errlen,
                "Unsupported database URL \"%s\" (expected sqlite:PATH, sqlite::memory: or "
                "postgresql://...).",
                egov_db_url_redact(url, shown, sizeof(shown)));
        goto fail;
    }
    if (db->target == NULL) {
        set_err(err, errlen, "Out of memory while opening the database.");
        goto fail;
    }
    if (db->size > MAX_POOL)
        db->size = MAX_POOL;
    db->opt.pool_size = db->size;
    db->idle = egov_calloc(db->size, sizeof(*db->idle));
    if (db->idle == NULL) {
        set_err(err, errlen, "Out of memory while opening the database.");
        goto fail;
    }
    if (pthread_mutex_init(&db->mu, NULL) != 0)
        goto fail;
    if (pthread_cond_init(&db->cv, NULL) != 0) {
        pthread_mutex_destroy(&db->mu);
        goto fail;
    }
    if (pthread_mutex_init(&db->write_mu, NULL) != 0) {
        pthread_cond_destroy(&db->cv);
        pthread_mutex_destroy(&db->mu);
        goto fail;
    }
    locks = true;
    /* Connect once now, so that a wrong URL is reported at start-up. */
    first = connect_one(db, err, errlen);
    if (first == NULL)
        goto fail;
    db->idle[db->n_idle++] = first;
    db->total = 1;
    db->stats.size = db->size;
    return db;
fail:
    if (db != NULL) {
        if (locks) {
            pthread_mutex_destroy(&db->write_mu);
            pthread_cond_destroy(&db->cv);
            pthread_mutex_destroy(&db->mu);
        }
        egov_free(db->idle);
        egov_free(db->target);
        egov_free(db);
    }
    if (err != NULL && errlen > 0 && err[0] == '\0')
        set_err(err, errlen, "The database could not be opened.");
    return NULL;
}

void egov_db_close(struct egov_db *db)
{
    unsigned int i;

    if (db == NULL)
        return;
    pthread_mutex_lock(&db->mu);
    if (db->n_idle != db->total)
        EGOV_BUG("egov_db_close: %u connection(s) still in use", db->total - db->n_idle);
    for (i = 0; i < db->n_idle; i++)
        disconnect_one(db->idle[i]);
    db->n_idle = 0;
    pthread_mutex_unlock(&db->mu);
    pthread_mutex_destroy(&db->write_mu);
    pthread_cond_destroy(&db->cv);
    pthread_mutex_destroy(&db->mu);
    egov_free(db->idle);
    egov_free(db->target);
    egov_free(db);
}

enum egov_db_kind egov_db_kind(const struct egov_db *db)
{
    return db->kind;
}

const char *egov_db_kind_name(const struct egov_db *db)
{
    return db->kind == EGOV_DB_SQLITE ? "sqlite" : "postgresql";
}

/* ------------------------------------------------------------------ */
/* Pool                                                                 */
/* ------------------------------------------------------------------ */

static void deadline_after(struct timespec *ts, unsigned int ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += (time_t)(ms / 1000u);
    ts->tv_nsec += (long)(ms % 1000u) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

struct egov_db_conn *egov_db_acquire(struct egov_db *db, unsigned int wait_ms)
{
    struct egov_db_conn *c = NULL;
    struct timespec deadline;
    bool waited = false;
    bool make = false;
    char err[256];

    deadline_after(&deadline, wait_ms);
    pthread_mutex_lock(&db->mu);
    while (db->n_idle == 0 && db->total >= db->size) {
        if (!waited) {
            waited = true;
            db->stats.waits++;
        }
        if (pthread_cond_timedwait(&db->cv, &db->mu, &deadline) == ETIMEDOUT && db->n_idle == 0 &&
            db->total >= db->size) {
            db->stats.timeouts++;
            pthread_mutex_unlock(&db->mu);
            goto out;
        }
    }
    if (db->n_idle > 0) {
        c = db->idle[--db->n_idle];
    } else {
        db->total++;
        make = true;
    }
    db->stats.acquired++;
    db->stats.in_use++;
    pthread_mutex_unlock(&db->mu);

    if (make) {
        c = connect_one(db, err, sizeof(err));
        if (c == NULL)
            egov_warn("database connection failed: %s", err);
    } else if (db->kind == EGOV_DB_POSTGRES && !egov_pg_check(c)) {
        egov_pg_disconnect(c);
        c = NULL;
    }
    if (c == NULL) {
        pthread_mutex_lock(&db->mu);
        db->total--;
        db->stats.in_use--;
        pthread_cond_signal(&db->cv);
        pthread_mutex_unlock(&db->mu);
    }
out:
    return c;
}

static bool conn_in_txn(struct egov_db_conn *c)
{
    if (c->db->kind == EGOV_DB_SQLITE)
        return egov_sqlite_in_txn(c);
    return egov_pg_in_txn(c);
}

static void write_unlock(struct egov_db_conn *c)
{
    if (c->write_locked) {
        c->write_locked = false;
        pthread_mutex_unlock(&c->db->write_mu);
    }
}

void egov_db_release(struct egov_db_conn *c)
{
    struct egov_db *db;

    if (c == NULL)
        return;
    db = c->db;
    if (conn_in_txn(c))
        (void)egov_db_raw(c, "ROLLBACK");
    write_unlock(c);
    c->errmsg[0] = '\0';
    pthread_mutex_lock(&db->mu);
    db->idle[db->n_idle++] = c;
    db->stats.in_use--;
    pthread_cond_signal(&db->cv);
    pthread_mutex_unlock(&db->mu);
}

struct egov_db *egov_db_conn_db(struct egov_db_conn *c)
{
    return c->db;
}

bool egov_db_ping(struct egov_db *db)
{
    static const struct egov_db_stmt ping = {"egov_db_ping", "SELECT 1", NULL};
    struct egov_db_conn *c = egov_db_acquire(db, 2000);
    struct egov_db_rows *rows = NULL;
    bool ok = false;

    if (c == NULL)
        goto out;
    if (c->db->kind == EGOV_DB_SQLITE) {
        ok = egov_sqlite_run(c, &ping, NULL, &rows) == EGOV_DB_ONE_ROW;
    } else {
        ok = egov_pg_run(c, &ping, NULL, &rows) == EGOV_DB_ONE_ROW;
        /* a pooled connection that broke while idle: re-make it and ask again */
        if (!ok && egov_pg_lost(c) && egov_pg_check(c))
            ok = egov_pg_run(c, &ping, NULL, &rows) == EGOV_DB_ONE_ROW;
    }
    ok = ok && egov_db_rows_int64(rows, 0, 0) == 1;
    egov_db_rows_free(rows);
    egov_db_release(c);
out:
    return ok;
}

void egov_db_pool_stats(struct egov_db *db, struct egov_db_pool_stats *out)
{
    pthread_mutex_lock(&db->mu);
    *out = db->stats;
    out->size = db->size;
    pthread_mutex_unlock(&db->mu);
}

/* ------------------------------------------------------------------ */
/* Statements                                                           */
/* ------------------------------------------------------------------ */

static enum egov_db_qs run(struct egov_db_conn *c, const struct egov_db_stmt *st,
                           const struct egov_db_param *params, struct egov_db_rows **rows)
{
    if (c == NULL || st == NULL || st->sql == NULL || st->name == NULL) {
        EGOV_BUG("egov_db: missing connection or statement");
        return EGOV_DB_HARD_ERROR;
    }
    c->errmsg[0] = '\0';
    if (take_injected_error()) {
        egov_db_set_error(c, "injected soft error (%s)", st->name);
        return EGOV_DB_SOFT_ERROR;
    }
    if (c->db->kind == EGOV_DB_SQLITE)
        return egov_sqlite_run(c, st, params, rows);
    return egov_pg_run(c, st, params, rows);
}

enum egov_db_qs egov_db_exec(struct egov_db_conn *c, const struct egov_db_stmt *st,
                             const struct egov_db_param *params)
{
    return run(c, st, params, NULL);
}

enum egov_db_qs egov_db_query(struct egov_db_conn *c, const struct egov_db_stmt *st,
                              const struct egov_db_param *params, struct egov_db_rows **rows)
{
    enum egov_db_qs qs;

    if (rows == NULL) {
        EGOV_BUG("egov_db_query without a rows pointer");
        return EGOV_DB_HARD_ERROR;
    }
    *rows = NULL;
    qs = run(c, st, params, rows);
    if (qs < 0) {
        egov_db_rows_free(*rows);
        *rows = NULL;
    }
    return qs;
}

enum egov_db_qs egov_db_raw(struct egov_db_conn *c, const char *sql)
{
    c->errmsg[0] = '\0';
    if (c->db->kind == EGOV_DB_SQLITE)
        return egov_sqlite_script(c, sql);
    return egov_pg_script(c, sql);
}

enum egov_db_qs egov_db_exec_script(struct egov_db_conn *c, const char *sql)
{
    if (c == NULL || sql == NULL)
        return EGOV_DB_HARD_ERROR;
    if (take_injected_error()) {
        egov_db_set_error(c, "injected soft error (script)");
        return EGOV_DB_SOFT_ERROR;
    }
    return egov_db_raw(c, sql);
}

const char *egov_db_errmsg(struct egov_db_conn *c)
{
    return c != NULL ? c->errmsg : "no connection";
}

/* ------------------------------------------------------------------ */
/* Transactions                                                         */
/* ------------------------------------------------------------------ */

static void backoff(unsigned int attempt)
{
    unsigned int shift = attempt < 10 ? attempt : 10;
    long cap = (long)TXN_BACKOFF_BASE_US << shift;
    long us;
    uint32_t rnd = 0;
    struct timespec ts;

    if (cap > TXN_BACKOFF_CAP_US)
        cap = TXN_BACKOFF_CAP_US;
    if (!egov_random(&rnd, sizeof(rnd)))
        rnd = (uint32_t)egov_mono_us();
    /* Full jitter: anywhere between a tenth of the cap and the cap. */
    us = cap / 10 + (long)(rnd % (uint32_t)(cap - cap / 10 + 1));
    ts.tv_sec = us / 1000000L;
    ts.tv_nsec = (us % 1000000L) * 1000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Takes the per-handle SQLite writer lock, waiting at most the busy timeout. */
static enum egov_db_qs write_lock(struct egov_db_conn *c)
{
    struct timespec deadline;
    int rc;

    if (c->write_locked)
        return EGOV_DB_NO_ROW;
    deadline_after(&deadline, c->db->opt.busy_timeout_ms);
    rc = pthread_mutex_timedlock(&c->db->write_mu, &deadline);
    if (rc != 0) {
        egov_db_set_error(c, "timed out waiting for the write lock");
        return EGOV_DB_SOFT_ERROR;
    }
    c->write_locked = true;
    return EGOV_DB_NO_ROW;
}

static enum egov_db_qs begin(struct egov_db_conn *c, bool write, enum egov_db_iso iso)
{
    enum egov_db_qs qs;

    if (c->db->kind == EGOV_DB_SQLITE) {
        if (!write)
            return egov_db_raw(c, "BEGIN");
        qs = write_lock(c);
        if (qs < 0)
            return qs;
        qs = egov_db_raw(c, "BEGIN IMMEDIATE");
        if (qs < 0)
            write_unlock(c);
        return qs;
    }
    const char *sql = iso == EGOV_DB_ISO_READ_COMMITTED ? "BEGIN ISOLATION LEVEL READ COMMITTED"
                                                        : "BEGIN ISOLATION LEVEL SERIALIZABLE";
    /*
     * A connection found broken by an earlier statement is re-made here.
     * One that broke while idle (server restart, idle timeout) is only
     * found out by BEGIN; nothing has been done yet, so re-make it and
     * begin again, once.
     */
    for (int tries = 0;; tries++) {
        if (!egov_pg_check(c)) {
            egov_db_set_error(c, "the PostgreSQL connection is lost and could not be re-made");
            return EGOV_DB_HARD_ERROR;
        }
        qs = egov_db_raw(c, sql);
        if (qs >= 0 || tries > 0 || !egov_pg_lost(c))
            return qs;
    }
}

static void rollback(struct egov_db_conn *c)
{
    if (conn_in_txn(c))
        (void)egov_db_raw(c, "ROLLBACK");
    write_unlock(c);
}

static void count_retry(struct egov_db *db)
{
    pthread_mutex_lock(&db->mu);
    db->stats.retries++;
    pthread_mutex_unlock(&db->mu);
}

enum egov_db_qs egov_db_txn_iso(struct egov_db_conn *c, bool write, enum egov_db_iso iso,
                                unsigned int max_retries, egov_db_txn_fn fn, void *cls)
{
    enum egov_db_qs qs = EGOV_DB_SOFT_ERROR;
    enum egov_db_qs cq;
    unsigned int attempt;
    char saved[sizeof(c->errmsg)];

    if (conn_in_txn(c)) {
        EGOV_BUG("egov_db_txn: a transaction is already open on this connection");
        return EGOV_DB_HARD_ERROR;
    }
    for (attempt = 0; attempt <= max_retries; attempt++) {
        if (attempt > 0) {
            count_retry(c->db);
            backoff(attempt - 1);
        }
        qs = begin(c, write, iso);
        if (qs == EGOV_DB_HARD_ERROR)
            goto out;
        if (qs == EGOV_DB_SOFT_ERROR)
            continue;
        qs = fn(c, cls);
        if (qs < 0) {
            (void)snprintf(saved, sizeof(saved), "%s", c->errmsg);
            rollback(c);
            (void)snprintf(c->errmsg, sizeof(c->errmsg), "%s", saved);
            if (qs == EGOV_DB_HARD_ERROR)
                goto out;
            continue;
        }
        cq = egov_db_raw(c, "COMMIT");
        if (cq >= 0) {
            write_unlock(c);
            goto out;
        }
        (void)snprintf(saved, sizeof(saved), "%s", c->errmsg);
        rollback(c);
        (void)snprintf(c->errmsg, sizeof(c->errmsg), "%s", saved);
        qs = cq;
        if (qs == EGOV_DB_HARD_ERROR)
            goto out;
    }
    qs = EGOV_DB_SOFT_ERROR;
out:
    return qs;
}

enum egov_db_qs egov_db_txn(struct egov_db_conn *c, bool write, unsigned int max_retries,
                            egov_db_txn_fn fn, void *cls)
{
    return egov_db_txn_iso(c, write, EGOV_DB_ISO_SERIALIZABLE, max_retries, fn, cls);
}

enum egov_db_qs egov_db_txn_read_committed(struct egov_db_conn *c, bool write,
                                           unsigned int max_retries, egov_db_txn_fn fn, void *cls)
{
    return egov_db_txn_iso(c, write, EGOV_DB_ISO_READ_COMMITTED, max_retries, fn, cls);
}

enum egov_db_qs egov_db_run_txn(struct egov_db *db, bool write, unsigned int wait_ms,
                                unsigned int max_retries, egov_db_txn_fn fn, void *cls)
{
    if (db == NULL)
        return EGOV_DB_HARD_ERROR;
    struct egov_db_conn *c = egov_db_acquire(db, wait_ms);
    if (c == NULL)
        return EGOV_DB_SOFT_ERROR;
    enum egov_db_qs qs = egov_db_txn(c, write, max_retries, fn, cls);
    egov_db_release(c);
    return qs;
}

enum egov_ec egov_db_qs_ec(enum egov_db_qs qs)
{
    if (qs == EGOV_DB_SOFT_ERROR)
        return EGOV_EC_DB_SOFT_ERROR;
    if (qs < 0)
        return EGOV_EC_DB_HARD_ERROR;
    return EGOV_EC_NONE;
}
