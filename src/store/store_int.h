/*
 * store_int.h -- private structures shared by the files of the store
 * module (db.c, rows.c, sqlite.c, pg.c, migrate.c, jobs.c).  Nothing
 * outside src/store includes this.
 */
#ifndef EGOV_STORE_INT_H
#define EGOV_STORE_INT_H

#include <pthread.h>

#include "store/store.h"

/** One value of a result set: bytes plus a NUL, or SQL NULL. */
struct egov_db_cell {
    char *data; /**< malloc'd, NUL-terminated (blobs too); NULL for SQL NULL */
    size_t len;
};

struct egov_db_rows {
    size_t nrows;
    size_t ncols;
    size_t cap;                 /**< rows allocated in @c cells */
    char **names;               /**< ncols malloc'd names */
    struct egov_db_cell *cells; /**< row-major, nrows * ncols */
};

/** Per-connection cache of prepared statements keyed by stmt address. */
struct egov_db_stmt_cache {
    const struct egov_db_stmt **keys;
    void **vals;
    size_t cap; /**< power of two or 0 */
    size_t used;
};

struct egov_db_conn {
    struct egov_db *db;
    void *handle; /**< sqlite3 * or PGconn * */
    struct egov_db_stmt_cache cache;
    bool write_locked;     /**< holds db->write_mu (SQLite) */
    int64_t busy_since_us; /**< SQLite busy handler bookkeeping */
    char errmsg[512];
};

struct egov_db {
    enum egov_db_kind kind;
    char *target; /**< SQLite file path or PostgreSQL connection URL */
    bool memory;  /**< sqlite::memory: (a single connection) */
    struct egov_db_options opt;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct egov_db_conn **idle; /**< size entries */
    unsigned int n_idle;
    unsigned int total; /**< connections made (idle + in use + being made) */
    unsigned int size;
    struct egov_db_pool_stats stats;

    pthread_mutex_t write_mu; /**< SQLite: one write transaction per handle at a time */
};

/** Isolation of a transaction run by egov_db_txn_iso(). */
enum egov_db_iso {
    EGOV_DB_ISO_SERIALIZABLE = 0,
    EGOV_DB_ISO_READ_COMMITTED = 1,
};

/** egov_db_txn() with a chosen isolation level on PostgreSQL. */
enum egov_db_qs egov_db_txn_iso(struct egov_db_conn *c, bool write, enum egov_db_iso iso,
                                unsigned int max_retries, egov_db_txn_fn fn, void *cls);

/** Records an error message on @p c (printf style). */
void egov_db_set_error(struct egov_db_conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Statement cache. */
void *egov_db_cache_get(const struct egov_db_stmt_cache *sc, const struct egov_db_stmt *st);
bool egov_db_cache_put(struct egov_db_stmt_cache *sc, const struct egov_db_stmt *st, void *val);
/** Calls @p fn on every value, then empties the cache (memory kept unless @p release). */
void egov_db_cache_clear(struct egov_db_stmt_cache *sc, void (*fn)(void *), bool release);

/* Result-set builder (rows.c). */
struct egov_db_rows *egov_db_rows_new(size_t ncols);
bool egov_db_rows_set_name(struct egov_db_rows *r, size_t col, const char *name);
/** Appends an all-NULL row; false on OOM. */
bool egov_db_rows_add(struct egov_db_rows *r);
/** Sets a cell of the last row; @p data NULL means SQL NULL.  False on OOM. */
bool egov_db_rows_set(struct egov_db_rows *r, size_t col, const void *data, size_t len);

/* SQLite backend (sqlite.c). */
bool egov_sqlite_prepare_path(const char *path, char *err, size_t errlen);
struct egov_db_conn *egov_sqlite_connect(struct egov_db *db, char *err, size_t errlen);
void egov_sqlite_disconnect(struct egov_db_conn *c);
enum egov_db_qs egov_sqlite_run(struct egov_db_conn *c, const struct egov_db_stmt *st,
                                const struct egov_db_param *params, struct egov_db_rows **rows);
enum egov_db_qs egov_sqlite_script(struct egov_db_conn *c, const char *sql);
bool egov_sqlite_in_txn(struct egov_db_conn *c);

/* PostgreSQL backend (pg.c). */
struct egov_db_conn *egov_pg_connect(struct egov_db *db, char *err, size_t errlen);
void egov_pg_disconnect(struct egov_db_conn *c);
/** Makes sure the connection is usable (reconnects a broken one). */
bool egov_pg_check(struct egov_db_conn *c);
enum egov_db_qs egov_pg_run(struct egov_db_conn *c, const struct egov_db_stmt *st,
                            const struct egov_db_param *params, struct egov_db_rows **rows);
enum egov_db_qs egov_pg_script(struct egov_db_conn *c, const char *sql);
bool egov_pg_in_txn(struct egov_db_conn *c);
/** True if libpq has found the connection broken (the server went away). */
bool egov_pg_lost(struct egov_db_conn *c);

/** Runs SQL text without parameters and without fault injection (BEGIN, COMMIT...). */
enum egov_db_qs egov_db_raw(struct egov_db_conn *c, const char *sql);

#endif /* EGOV_STORE_INT_H */
