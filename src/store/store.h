/*
 * store.h -- one database interface, two backends (SQLite, PostgreSQL).
 *
 * SQL is written once, in the dialect both backends share, with numbered
 * parameters $1, $2, ... (translated to ?1, ?2 for SQLite).  Statements are
 * prepared once per connection and cached by the address of their
 * struct egov_db_stmt.  Every query reports one of four statuses
 * (enum egov_db_qs); the transaction runner retries the retryable one.
 *
 * Depends only on core.
 */
#ifndef EGOV_STORE_H
#define EGOV_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/** Which backend a database handle uses. */
enum egov_db_kind {
    EGOV_DB_SQLITE = 1,
    EGOV_DB_POSTGRES = 2,
};

/**
 * Query status.  Negative values are errors; non-negative values count the
 * rows returned or changed (Taler style).
 */
enum egov_db_qs {
    EGOV_DB_HARD_ERROR = -2, /**< give up: bad SQL, constraint, connection lost */
    EGOV_DB_SOFT_ERROR = -1, /**< retry the whole transaction: serialization, SQLITE_BUSY */
    EGOV_DB_NO_ROW = 0,      /**< success, nothing returned or changed */
    EGOV_DB_ONE_ROW = 1,     /**< success, one row (larger counts are possible) */
};

/** Parameter types. */
enum egov_db_ptype {
    EGOV_DB_P_END = 0,
    EGOV_DB_P_NULL,
    EGOV_DB_P_TEXT,
    EGOV_DB_P_INT64,
    EGOV_DB_P_BLOB,
    EGOV_DB_P_BOOL,
};

/** One query parameter; arrays end with EGOV_DB_PARAM_END. */
struct egov_db_param {
    enum egov_db_ptype type;
    const void *ptr;   /**< TEXT: NUL-terminated string (NULL means SQL NULL); BLOB: bytes */
    size_t len;        /**< BLOB length */
    int64_t i;         /**< INT64 and BOOL value */
};

#define EGOV_DB_PARAM_END {EGOV_DB_P_END, NULL, 0, 0}
#define EGOV_DB_PARAM_NULL {EGOV_DB_P_NULL, NULL, 0, 0}
#define EGOV_DB_PARAM_TEXT(s) {EGOV_DB_P_TEXT, (s), 0, 0}
#define EGOV_DB_PARAM_INT64(v) {EGOV_DB_P_INT64, NULL, 0, (int64_t)(v)}
#define EGOV_DB_PARAM_BOOL(v) {EGOV_DB_P_BOOL, NULL, 0, (v) ? 1 : 0}
#define EGOV_DB_PARAM_BLOB(p, n) {EGOV_DB_P_BLOB, (p), (n), 0}

/**
 * A statement, defined once as a static constant next to the code that
 * uses it.  Each connection prepares it on first use and keeps it.
 */
struct egov_db_stmt {
    const char *name; /**< unique, e.g. "jobs_claim"; used as the PostgreSQL statement name */
    const char *sql;  /**< portable SQL with $1..$n */
    const char *sql_pg; /**< optional PostgreSQL-only text overriding @c sql */
};

struct egov_db;      /* a database: URL, pool of connections */
struct egov_db_conn; /* one connection, used by one thread at a time */
struct egov_db_rows; /* a result set */

/** Options for egov_db_open(). */
struct egov_db_options {
    unsigned int pool_size;    /**< PostgreSQL connections (default 8); SQLite readers */
    unsigned int busy_timeout_ms; /**< SQLite busy timeout (default 5000) */
    unsigned int connect_timeout_s; /**< PostgreSQL connect timeout (default 5) */
};

/**
 * Writes @p url into @p out (NUL-terminated, truncated to @p outlen) with
 * any password replaced by "***" (the user-info password of
 * "postgresql://user:pw@host/db" and a "password=" query parameter), so
 * that a URL can be shown in messages and logs.  Returns @p out.
 */
const char *egov_db_url_redact(const char *url, char *out, size_t outlen);

/**
 * Opens the database at @p url: "sqlite:PATH" (created with its folder if
 * missing), "sqlite::memory:", or "postgresql://..." / "postgres://...".
 * Connects once to prove the database is reachable.  On failure returns
 * NULL and writes one clear English sentence to @p err.
 */
struct egov_db *egov_db_open(const char *url, const struct egov_db_options *opt, char *err,
                             size_t errlen);
/** Closes every connection and frees @p db.  NULL is a no-op. */
void egov_db_close(struct egov_db *db);
/** The backend of @p db. */
enum egov_db_kind egov_db_kind(const struct egov_db *db);
/** Returns "sqlite" or "postgresql". */
const char *egov_db_kind_name(const struct egov_db *db);

/**
 * Takes a connection from the pool, waiting up to @p wait_ms; NULL on timeout
 * or if a new connection cannot be made.  Give it back with egov_db_release().
 */
struct egov_db_conn *egov_db_acquire(struct egov_db *db, unsigned int wait_ms);
/** Returns @p c to its pool (rolling back any open transaction). */
void egov_db_release(struct egov_db_conn *c);
/** The database a connection belongs to. */
struct egov_db *egov_db_conn_db(struct egov_db_conn *c);
/** True if the database answers a trivial query now (for /readyz). */
bool egov_db_ping(struct egov_db *db);

/** Pool figures for /metrics. */
struct egov_db_pool_stats {
    unsigned int size;
    unsigned int in_use;
    unsigned long long acquired;   /**< total acquisitions */
    unsigned long long waits;      /**< acquisitions that had to wait */
    unsigned long long timeouts;   /**< acquisitions that gave up */
    unsigned long long retries;    /**< transactions retried after a soft error */
};
/** Copies the pool's counters. */
void egov_db_pool_stats(struct egov_db *db, struct egov_db_pool_stats *out);

/**
 * Runs @p st with @p params, discarding any rows.  Returns the number of
 * rows changed, or an error status.
 */
enum egov_db_qs egov_db_exec(struct egov_db_conn *c, const struct egov_db_stmt *st,
                             const struct egov_db_param *params);
/**
 * Runs @p st and returns its rows in @p *rows (caller frees with
 * egov_db_rows_free(); set to NULL on error).  Returns the number of rows
 * (capped at INT32_MAX) or an error status.
 */
enum egov_db_qs egov_db_query(struct egov_db_conn *c, const struct egov_db_stmt *st,
                              const struct egov_db_param *params, struct egov_db_rows **rows);
/** Runs several ';'-separated statements without parameters (migrations). */
enum egov_db_qs egov_db_exec_script(struct egov_db_conn *c, const char *sql);

/** Number of rows in @p r. */
size_t egov_db_rows_count(const struct egov_db_rows *r);
/** Number of columns in @p r. */
size_t egov_db_rows_columns(const struct egov_db_rows *r);
/** Column name (borrowed from @p r). */
const char *egov_db_rows_name(const struct egov_db_rows *r, size_t col);
/** True if the value is SQL NULL. */
bool egov_db_rows_is_null(const struct egov_db_rows *r, size_t row, size_t col);
/** Text value (borrowed from @p r, valid until it is freed); NULL for SQL NULL. */
const char *egov_db_rows_text(const struct egov_db_rows *r, size_t row, size_t col);
/** Integer value; 0 for NULL or non-numbers. */
int64_t egov_db_rows_int64(const struct egov_db_rows *r, size_t row, size_t col);
/** Blob value (borrowed) and its length. */
const void *egov_db_rows_blob(const struct egov_db_rows *r, size_t row, size_t col, size_t *len);
/** Frees a result set.  NULL is a no-op. */
void egov_db_rows_free(struct egov_db_rows *r);

/** The last error message of @p c (borrowed; valid until the next call). */
const char *egov_db_errmsg(struct egov_db_conn *c);

/* ------------------------------------------------------------------ */
/* Transactions                                                        */
/* ------------------------------------------------------------------ */

/**
 * Body of a transaction.  Runs inside BEGIN ... COMMIT on @p c.  Returns a
 * non-negative status to commit, EGOV_DB_SOFT_ERROR to roll back and retry,
 * EGOV_DB_HARD_ERROR to roll back and give up.  May run more than once, so
 * it must not have effects outside the database.
 */
typedef enum egov_db_qs (*egov_db_txn_fn)(struct egov_db_conn *c, void *cls);

/**
 * Runs @p fn in a transaction (serializable on PostgreSQL; BEGIN IMMEDIATE
 * on SQLite when @p write is true), retrying soft errors up to
 * @p max_retries times with jittered back-off.  A commit that fails softly
 * is retried too.  Returns the body's status, or EGOV_DB_SOFT_ERROR if the
 * retries ran out.
 */
enum egov_db_qs egov_db_txn(struct egov_db_conn *c, bool write, unsigned int max_retries,
                            egov_db_txn_fn fn, void *cls);

/**
 * egov_db_txn() at READ COMMITTED on PostgreSQL (SQLite's writers are
 * serial, so it is the same there): for rows every node updates at once,
 * such as shared counters, where each statement is atomic by itself
 * (INSERT ... ON CONFLICT DO UPDATE ... RETURNING) and serializable
 * isolation would only turn concurrent updates into failed transactions.
 */
enum egov_db_qs egov_db_txn_read_committed(struct egov_db_conn *c, bool write,
                                           unsigned int max_retries, egov_db_txn_fn fn,
                                           void *cls);

/**
 * Takes a connection from @p db's pool (waiting up to @p wait_ms), runs
 * @p fn in egov_db_txn() with @p max_retries, and gives the connection
 * back.  Returns the transaction's status; EGOV_DB_SOFT_ERROR if no
 * connection came free in time (the pool is busy: try again later);
 * EGOV_DB_HARD_ERROR if @p db is NULL.
 */
enum egov_db_qs egov_db_run_txn(struct egov_db *db, bool write, unsigned int wait_ms,
                                unsigned int max_retries, egov_db_txn_fn fn, void *cls);

/**
 * The registry error for a query status: EGOV_EC_DB_SOFT_ERROR (503, try
 * again) for EGOV_DB_SOFT_ERROR, EGOV_EC_DB_HARD_ERROR for
 * EGOV_DB_HARD_ERROR, EGOV_EC_NONE for success.
 */
enum egov_ec egov_db_qs_ec(enum egov_db_qs qs);

/**
 * Fault injection for tests: the next @p n statements executed on any
 * connection report EGOV_DB_SOFT_ERROR without running.
 */
void egov_db_inject_soft_errors(unsigned int n);

/* ------------------------------------------------------------------ */
/* Migrations                                                          */
/* ------------------------------------------------------------------ */

/**
 * One numbered migration of one module.  Versions start at 1 and rise by
 * one; an applied migration is never edited, only followed by another.
 */
struct egov_db_migration {
    unsigned int version;
    const char *description;
    const char *sql;     /**< portable SQL script */
    const char *sql_pg;  /**< optional PostgreSQL-only script overriding @c sql */
};

/** A module's migrations, registered before egov_db_migrate() runs. */
struct egov_db_module_migrations {
    const char *module;                     /**< e.g. "store", "directory" */
    const struct egov_db_migration *list;   /**< ends with version 0 */
};

/**
 * Registers a module's migrations (static storage, borrowed forever).
 * Call at start-up before egov_db_migrate().  Returns false if the table is full.
 */
bool egov_db_register_migrations(const struct egov_db_module_migrations *m);

/** Progress callback for migrations: called before each one is applied. */
typedef void (*egov_db_migrate_progress)(const char *module, unsigned int version,
                                         const char *description, unsigned int done,
                                         unsigned int total, void *cls);

/**
 * Applies every registered migration not yet recorded in egov_schema,
 * each in its own transaction, modules in registration order (the store's
 * own egov_store_migrations always first, registered or not).  Safe to run
 * from several nodes at once (a lock serialises them).  Returns the number
 * applied, or -1 with a message in @p err.
 */
int egov_db_migrate(struct egov_db *db, egov_db_migrate_progress progress, void *cls, char *err,
                    size_t errlen);

/* ------------------------------------------------------------------ */
/* Outbox / jobs                                                       */
/* ------------------------------------------------------------------ */

/** Result of a job handler. */
enum egov_job_result {
    EGOV_JOB_DONE = 0,    /**< finished; the job is marked done */
    EGOV_JOB_RETRY = 1,   /**< try again later with back-off */
    EGOV_JOB_FAIL = 2,    /**< give up; the job goes to the dead list */
};

/**
 * A job handler.  @p payload is the job's JSON text (borrowed).  Handlers
 * must be idempotent: a job whose node died mid-way is run again after its
 * lease expires.  @p job_id lets the receiver de-duplicate.
 */
typedef enum egov_job_result (*egov_job_fn)(struct egov_db *db, const char *job_id,
                                            const char *payload, void *cls);

/**
 * Enqueues a job in queue @p queue inside the caller's transaction on @p c,
 * so that it exists if and only if the change that caused it commits.
 * @p delay_ms postpones it.  Writes the new job's id to @p id_out (may be NULL).
 */
enum egov_db_qs egov_job_enqueue(struct egov_db_conn *c, const char *queue, const char *payload,
                                 unsigned int delay_ms, char id_out[37]);

/** Registers the handler for @p queue (before egov_jobs_start()).  False if full. */
bool egov_jobs_register(const char *queue, egov_job_fn fn, void *cls);

struct egov_jobs;

/** Options for the job workers. */
struct egov_jobs_options {
    unsigned int workers;      /**< threads (default 2) */
    unsigned int poll_ms;      /**< idle poll interval (default 200) */
    unsigned int lease_ms;     /**< a claimed job is re-claimable after this (default 60000) */
    unsigned int max_attempts; /**< then dead (default 10) */
    const char *node_id;       /**< recorded as the claimer */
};

/** Starts worker threads that claim and run due jobs.  NULL on failure. */
struct egov_jobs *egov_jobs_start(struct egov_db *db, const struct egov_jobs_options *opt);
/** Stops the workers, waiting for running handlers to finish.  NULL is a no-op. */
void egov_jobs_stop(struct egov_jobs *j);
/**
 * Claims and runs at most one due job of any registered queue on the calling
 * thread.  Returns 1 if one ran, 0 if none was due, -1 on database error.
 * Used by the workers and by tests.
 */
int egov_jobs_run_one(struct egov_db *db, const char *node_id, unsigned int lease_ms,
                      unsigned int max_attempts);

/** Job counts for /metrics. */
struct egov_jobs_stats {
    unsigned long long pending, running, done, dead;
    unsigned long long processed; /**< by this process */
    unsigned long long failed;    /**< attempts that failed in this process */
};
/** Reads job counts from the database and this process's counters. */
bool egov_jobs_stats(struct egov_db *db, struct egov_jobs_stats *out);

/** The store module's own migrations (schema table, jobs). */
extern const struct egov_db_module_migrations egov_store_migrations;

#endif /* EGOV_STORE_H */
