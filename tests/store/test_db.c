/*
 * test_db.c -- the database interface on the backend chosen by
 * EGOV_TEST_DB: statements, parameters, rows, errors, transactions,
 * retries, the pool and concurrent writers.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store_int.h"
#include "testlib.h"

static const char *blob_type(struct egov_db *db)
{
    return egov_db_kind(db) == EGOV_DB_POSTGRES ? "BYTEA" : "BLOB";
}

static void make_table(struct egov_db_conn *c)
{
    char sql[512];

    (void)snprintf(sql, sizeof(sql),
                   "CREATE TABLE item (id BIGINT PRIMARY KEY, name TEXT, n BIGINT,"
                   " data %s, flag BOOLEAN)",
                   blob_type(egov_db_conn_db(c)));
    assert_int_equal(egov_db_exec_script(c, sql), EGOV_DB_NO_ROW);
}

static const struct egov_db_stmt st_insert = {
    "t_item_insert", "INSERT INTO item (id, name, n, data, flag) VALUES ($1, $2, $3, $4, $5)",
    NULL};
static const struct egov_db_stmt st_get = {
    "t_item_get", "SELECT id, name, n, data, flag FROM item WHERE id = $1", NULL};
static const struct egov_db_stmt st_count = {"t_item_count", "SELECT COUNT(*) FROM item", NULL};
static const struct egov_db_stmt st_bump = {"t_item_bump", "UPDATE item SET n = 7", NULL};

static int64_t count_items(struct egov_db_conn *c)
{
    struct egov_db_rows *rows = NULL;
    int64_t n;

    assert_int_equal(egov_db_query(c, &st_count, NULL, &rows), EGOV_DB_ONE_ROW);
    n = egov_db_rows_int64(rows, 0, 0);
    egov_db_rows_free(rows);
    return n;
}

static void test_open_close(void **state)
{
    struct egov_db *db = egov_test_db_open();
    struct egov_db_pool_stats ps;

    (void)state;
    assert_non_null(db);
    assert_true(egov_db_ping(db));
    if (egov_test_db_is_pg()) {
        assert_int_equal(egov_db_kind(db), EGOV_DB_POSTGRES);
        assert_string_equal(egov_db_kind_name(db), "postgresql");
    } else {
        assert_int_equal(egov_db_kind(db), EGOV_DB_SQLITE);
        assert_string_equal(egov_db_kind_name(db), "sqlite");
    }
    egov_db_pool_stats(db, &ps);
    assert_true(ps.size >= 1);
    assert_int_equal(ps.in_use, 0);
    assert_true(ps.acquired >= 1);
    egov_db_close(db);
    egov_db_close(NULL);
}

static void test_params_and_rows(void **state)
{
    static const unsigned char blob[] = {0x00, 0xff, 0x10, 0x00, 0x7f, 0x80, '\\', 'x'};
    static const char *const chinese = "中華民國臺灣 臺北市中正區 𠀋";
    struct egov_db *db = egov_test_db_open();
    struct egov_db_conn *c;
    struct egov_db_rows *rows = NULL;
    const void *b;
    size_t len = 0;

    (void)state;
    assert_non_null(db);
    c = egov_db_acquire(db, 1000);
    assert_non_null(c);
    make_table(c);
    {
        const struct egov_db_param p[] = {
            EGOV_DB_PARAM_INT64(1),         EGOV_DB_PARAM_TEXT(chinese),
            EGOV_DB_PARAM_INT64(INT64_MAX), EGOV_DB_PARAM_BLOB(blob, sizeof(blob)),
            EGOV_DB_PARAM_BOOL(true),       EGOV_DB_PARAM_END};
        assert_int_equal(egov_db_exec(c, &st_insert, p), EGOV_DB_ONE_ROW);
    }
    {
        const struct egov_db_param p[] = {EGOV_DB_PARAM_INT64(2),         EGOV_DB_PARAM_TEXT(NULL),
                                          EGOV_DB_PARAM_INT64(INT64_MIN), EGOV_DB_PARAM_NULL,
                                          EGOV_DB_PARAM_BOOL(false),      EGOV_DB_PARAM_END};
        assert_int_equal(egov_db_exec(c, &st_insert, p), EGOV_DB_ONE_ROW);
    }
    {
        const struct egov_db_param p[] = {EGOV_DB_PARAM_INT64(3),  EGOV_DB_PARAM_TEXT(""),
                                          EGOV_DB_PARAM_INT64(-5), EGOV_DB_PARAM_BLOB(NULL, 0),
                                          EGOV_DB_PARAM_NULL,      EGOV_DB_PARAM_END};
        assert_int_equal(egov_db_exec(c, &st_insert, p), EGOV_DB_ONE_ROW);
    }

    {
        const struct egov_db_param p[] = {EGOV_DB_PARAM_INT64(1), EGOV_DB_PARAM_END};
        assert_int_equal(egov_db_query(c, &st_get, p, &rows), EGOV_DB_ONE_ROW);
    }
    assert_int_equal(egov_db_rows_count(rows), 1);
    assert_int_equal(egov_db_rows_columns(rows), 5);
    assert_string_equal(egov_db_rows_name(rows, 0), "id");
    assert_string_equal(egov_db_rows_name(rows, 4), "flag");
    assert_null(egov_db_rows_name(rows, 5));
    assert_int_equal(egov_db_rows_int64(rows, 0, 0), 1);
    assert_string_equal(egov_db_rows_text(rows, 0, 1), chinese);
    assert_true(egov_db_rows_int64(rows, 0, 2) == INT64_MAX);
    b = egov_db_rows_blob(rows, 0, 3, &len);
    assert_int_equal(len, sizeof(blob));
    assert_memory_equal(b, blob, sizeof(blob));
    assert_int_equal(egov_db_rows_int64(rows, 0, 4), 1);
    assert_false(egov_db_rows_is_null(rows, 0, 3));
    /* Out of range is NULL, not a crash. */
    assert_true(egov_db_rows_is_null(rows, 1, 0));
    assert_null(egov_db_rows_text(rows, 0, 9));
    egov_db_rows_free(rows);

    {
        const struct egov_db_param p[] = {EGOV_DB_PARAM_INT64(2), EGOV_DB_PARAM_END};
        assert_int_equal(egov_db_query(c, &st_get, p, &rows), EGOV_DB_ONE_ROW);
    }
    assert_true(egov_db_rows_is_null(rows, 0, 1));
    assert_null(egov_db_rows_text(rows, 0, 1));
    assert_true(egov_db_rows_int64(rows, 0, 2) == INT64_MIN);
    assert_true(egov_db_rows_is_null(rows, 0, 3));
    assert_int_equal(egov_db_rows_int64(rows, 0, 3), 0);
    assert_int_equal(egov_db_rows_int64(rows, 0, 4), 0);
    assert_false(egov_db_rows_is_null(rows, 0, 4));
    egov_db_rows_free(rows);

    {
        const struct egov_db_param p[] = {EGOV_DB_PARAM_INT64(3), EGOV_DB_PARAM_END};
        assert_int_equal(egov_db_query(c, &st_get, p, &rows), EGOV_DB_ONE_ROW);
    }
    assert_false(egov_db_rows_is_null(rows, 0, 1));
    assert_string_equal(egov_db_rows_text(rows, 0, 1), "");
    assert_false(egov_db_rows_is_null(rows, 0, 3));
    (void)egov_db_rows_blob(rows, 0, 3, &len);
    assert_int_equal(len, 0);
    assert_true(egov_db_rows_is_null(rows, 0, 4));
    egov_db_rows_free(rows);

    /* No row: success with an empty result set. */
    {
        const struct egov_db_param p[] = {EGOV_DB_PARAM_INT64(99), EGOV_DB_PARAM_END};
        assert_int_equal(egov_db_query(c, &st_get, p, &rows), EGOV_DB_NO_ROW);
    }
    assert_non_null(rows);
    assert_int_equal(egov_db_rows_count(rows), 0);
    egov_db_rows_free(rows);

    /* exec counts changed rows; a SELECT through exec counts its rows. */
    assert_int_equal(egov_db_exec(c, &st_bump, NULL), 3);
    assert_int_equal(egov_db_exec(c, &st_count, NULL), 1);
    assert_int_equal(count_items(c), 3);

    egov_db_release(c);
    egov_db_close(db);
}

static void test_statement_cache(void **state)
{
    static const struct egov_db_stmt st_pick = {
        "t_cache_pick", "SELECT '$1 is not a parameter' AS s, $1 + 1 AS n",
        "SELECT '$1 is not a parameter' AS s, $1::bigint + 1 AS n"};
    static const struct egov_db_stmt st_seen = {
        "t_cache_seen", "SELECT 1",
        "SELECT COUNT(*) FROM pg_prepared_statements WHERE name = 't_cache_pick'"};
    struct egov_db *db = egov_test_db_open();
    struct egov_db_conn *c;
    struct egov_db_rows *rows = NULL;
    const struct egov_db_param p[] = {EGOV_DB_PARAM_INT64(41), EGOV_DB_PARAM_END};
    void *first;

    (void)state;
    assert_non_null(db);
    c = egov_db_acquire(db, 1000);
    assert_non_null(c);
    assert_null(egov_db_cache_get(&c->cache, &st_pick));
    assert_int_equal(egov_db_query(c, &st_pick, p, &rows), EGOV_DB_ONE_ROW);
    /* $1 inside a string literal is left alone by the translation. */
    assert_string_equal(egov_db_rows_text(rows, 0, 0), "$1 is not a parameter");
    assert_int_equal(egov_db_rows_int64(rows, 0, 1), 42);
    egov_db_rows_free(rows);
    first = egov_db_cache_get(&c->cache, &st_pick);
    assert_non_null(first);
    assert_int_equal(egov_db_query(c, &st_pick, p, &rows), EGOV_DB_ONE_ROW);
    egov_db_rows_free(rows);
    assert_ptr_equal(egov_db_cache_get(&c->cache, &st_pick), first);
    if (egov_db_kind(db) == EGOV_DB_POSTGRES) {
        /* Prepared once on the server under its name. */
        assert_int_equal(egov_db_query(c, &st_seen, NULL, &rows), EGOV_DB_ONE_ROW);
        assert_int_equal(egov_db_rows_int64(rows, 0, 0), 1);
        egov_db_rows_free(rows);
    }
    egov_db_release(c);
    egov_db_close(db);
}

static void test_errors(void **state)
{
    static const struct egov_db_stmt st_bad = {"t_bad_sql", "SELEKT nonsense", NULL};
    struct egov_db *db = egov_test_db_open();
    struct egov_db_conn *c;
    struct egov_db_rows *rows = (struct egov_db_rows *)&rows;
    const struct egov_db_param p[] = {EGOV_DB_PARAM_INT64(1), EGOV_DB_PARAM_TEXT("a"),
                                      EGOV_DB_PARAM_INT64(0), EGOV_DB_PARAM_NULL,
                                      EGOV_DB_PARAM_NULL,     EGOV_DB_PARAM_END};

    (void)state;
    assert_non_null(db);
    c = egov_db_acquire(db, 1000);
    assert_non_null(c);
    make_table(c);
    assert_int_equal(egov_db_exec(c, &st_insert, p), EGOV_DB_ONE_ROW);
    /* Unique violation is a hard error with a message. */
    assert_int_equal(egov_db_exec(c, &st_insert, p), EGOV_DB_HARD_ERROR);
    assert_true(strlen(egov_db_errmsg(c)) > 0);
    assert_int_equal(egov_db_query(c, &st_insert, p, &rows), EGOV_DB_HARD_ERROR);
    assert_null(rows);
    /* Bad SQL is hard too, and the connection stays usable. */
    assert_int_equal(egov_db_exec(c, &st_bad, NULL), EGOV_DB_HARD_ERROR);
    assert_int_equal(egov_db_exec_script(c, "CREATE TABLE"), EGOV_DB_HARD_ERROR);
    assert_int_equal(count_items(c), 1);
    egov_db_release(c);
    egov_db_close(db);
}

static void test_open_errors(void **state)
{
    char err[512];
    char path[600];
    const char *tmp = getenv("EGOV_TEST_TMP");
    struct egov_db *db;
    struct egov_db_conn *c;
    struct stat sb;

    (void)state;
    /* Nothing listens on port 1: one clear sentence, no handle. */
    err[0] = '\0';
    assert_null(egov_db_open("postgresql://egov@127.0.0.1:1/egov", NULL, err, sizeof(err)));
    assert_string_equal(err,
                        "Cannot connect to PostgreSQL at 127.0.0.1 port 1: connection refused.");
    assert_null(strchr(err, '\n'));
    assert_null(egov_db_open("postgresql://[bad", NULL, err, sizeof(err)));
    assert_true(strstr(err, "PostgreSQL") != NULL);
    assert_null(egov_db_open("mysql://localhost/x", NULL, err, sizeof(err)));
    assert_true(strncmp(err, "Unsupported database URL", 24) == 0);
    assert_null(egov_db_open("sqlite:", NULL, err, sizeof(err)));
    assert_true(strlen(err) > 0);
    assert_null(egov_db_open("sqlite:/proc/no/such/place/x.db", NULL, err, sizeof(err)));
    assert_true(strstr(err, "/proc/no") != NULL);

    /* sqlite:PATH creates its folder. */
    if (tmp == NULL)
        tmp = "/tmp/egov-test";
    (void)snprintf(path, sizeof(path), "sqlite:%s/mk-%ld/a/b/x.db", tmp, (long)getpid());
    db = egov_db_open(path, NULL, err, sizeof(err));
    assert_non_null(db);
    assert_int_equal(stat(path + 7, &sb), 0);
    egov_db_close(db);
    (void)unlink(path + 7);
    (void)snprintf(path, sizeof(path), "%s/mk-%ld/a/b/x.db-wal", tmp, (long)getpid());
    (void)unlink(path);
    (void)snprintf(path, sizeof(path), "%s/mk-%ld/a/b/x.db-shm", tmp, (long)getpid());
    (void)unlink(path);
    (void)snprintf(path, sizeof(path), "%s/mk-%ld/a/b", tmp, (long)getpid());
    assert_int_equal(rmdir(path), 0);
    (void)snprintf(path, sizeof(path), "%s/mk-%ld/a", tmp, (long)getpid());
    assert_int_equal(rmdir(path), 0);
    (void)snprintf(path, sizeof(path), "%s/mk-%ld", tmp, (long)getpid());
    assert_int_equal(rmdir(path), 0);

    /* In-memory SQLite works with its single connection. */
    db = egov_db_open("sqlite::memory:", NULL, err, sizeof(err));
    assert_non_null(db);
    c = egov_db_acquire(db, 100);
    assert_non_null(c);
    assert_null(egov_db_acquire(db, 10));
    make_table(c);
    assert_int_equal(count_items(c), 0);
    egov_db_release(c);
    egov_db_close(db);
}

struct txn_ctx {
    int runs;
    int64_t id;
    enum egov_db_qs result;
};

static enum egov_db_qs insert_body(struct egov_db_conn *c, void *cls)
{
    struct txn_ctx *t = cls;
    const struct egov_db_param p[] = {EGOV_DB_PARAM_INT64(t->id), EGOV_DB_PARAM_TEXT("x"),
                                      EGOV_DB_PARAM_INT64(0),     EGOV_DB_PARAM_NULL,
                                      EGOV_DB_PARAM_NULL,         EGOV_DB_PARAM_END};
    enum egov_db_qs qs;

    t->runs++;
    qs = egov_db_exec(c, &st_insert, p);
    if (qs < 0)
        return qs;
    return t->result;
}

static void test_transactions(void **state)
{
    struct egov_db *db = egov_test_db_open();
    struct egov_db_conn *c;
    struct egov_db_pool_stats before;
    struct egov_db_pool_stats after;
    struct txn_ctx t = {0};

    (void)state;
    assert_non_null(db);
    c = egov_db_acquire(db, 1000);
    assert_non_null(c);
    make_table(c);

    /* Commit. */
    t = (struct txn_ctx){0, 1, EGOV_DB_ONE_ROW};
    assert_int_equal(egov_db_txn(c, true, 3, insert_body, &t), EGOV_DB_ONE_ROW);
    assert_int_equal(t.runs, 1);
    assert_int_equal(count_items(c), 1);

    /* Hard error: rolled back, not retried. */
    t = (struct txn_ctx){0, 2, EGOV_DB_HARD_ERROR};
    assert_int_equal(egov_db_txn(c, true, 3, insert_body, &t), EGOV_DB_HARD_ERROR);
    assert_int_equal(t.runs, 1);
    assert_int_equal(count_items(c), 1);

    /* A statement failing inside the body (duplicate key) rolls back too. */
    t = (struct txn_ctx){0, 1, EGOV_DB_ONE_ROW};
    assert_int_equal(egov_db_txn(c, true, 3, insert_body, &t), EGOV_DB_HARD_ERROR);
    assert_int_equal(t.runs, 1);

    /* Soft errors forever: retried max_retries times, then soft. */
    egov_db_pool_stats(db, &before);
    t = (struct txn_ctx){0, 3, EGOV_DB_SOFT_ERROR};
    assert_int_equal(egov_db_txn(c, true, 4, insert_body, &t), EGOV_DB_SOFT_ERROR);
    assert_int_equal(t.runs, 5);
    assert_int_equal(count_items(c), 1);
    egov_db_pool_stats(db, &after);
    assert_int_equal(after.retries - before.retries, 4);

    /* Injected soft errors: the body runs N + 1 times and then commits once. */
    egov_db_pool_stats(db, &before);
    t = (struct txn_ctx){0, 4, EGOV_DB_ONE_ROW};
    egov_db_inject_soft_errors(3);
    assert_int_equal(egov_db_txn(c, false, 5, insert_body, &t), EGOV_DB_ONE_ROW);
    assert_int_equal(t.runs, 4);
    assert_int_equal(count_items(c), 2);
    egov_db_pool_stats(db, &after);
    assert_int_equal(after.retries - before.retries, 3);

    /* More injected errors than retries: gives up softly. */
    t = (struct txn_ctx){0, 5, EGOV_DB_ONE_ROW};
    egov_db_inject_soft_errors(10);
    assert_int_equal(egov_db_txn(c, true, 2, insert_body, &t), EGOV_DB_SOFT_ERROR);
    assert_int_equal(t.runs, 3);
    egov_db_inject_soft_errors(0);
    assert_int_equal(count_items(c), 2);

    /* Releasing a connection with an open transaction rolls it back. */
    assert_int_equal(egov_db_exec_script(c, "BEGIN"), EGOV_DB_NO_ROW);
    t = (struct txn_ctx){0, 6, EGOV_DB_ONE_ROW};
    assert_int_equal(insert_body(c, &t), EGOV_DB_ONE_ROW);
    egov_db_release(c);
    c = egov_db_acquire(db, 1000);
    assert_non_null(c);
    assert_int_equal(count_items(c), 2);

    egov_db_release(c);
    egov_db_close(db);
}

/* PostgreSQL: a connection killed by the server is re-made on next use. */
static void test_reconnect(void **state)
{
    static const struct egov_db_stmt st_pid = {"t_pid", "SELECT 1", "SELECT pg_backend_pid()"};
    static const struct egov_db_stmt st_kill = {"t_kill", "SELECT 1",
                                                "SELECT pg_terminate_backend($1, 5000)"};
    struct egov_db *db;
    struct egov_db_conn *a;
    struct egov_db_conn *b;
    struct egov_db_rows *rows = NULL;
    struct txn_ctx t = {0, 1, EGOV_DB_ONE_ROW};
    int64_t pid;

    (void)state;
    if (!egov_test_db_is_pg())
        return; /* SQLite has no server to lose */
    db = egov_test_db_open();
    assert_non_null(db);
    a = egov_db_acquire(db, 1000);
    b = egov_db_acquire(db, 1000);
    assert_non_null(a);
    assert_non_null(b);
    make_table(a);
    assert_int_equal(count_items(a), 0); /* st_count is now prepared on a */
    assert_int_equal(egov_db_query(a, &st_pid, NULL, &rows), EGOV_DB_ONE_ROW);
    pid = egov_db_rows_int64(rows, 0, 0);
    egov_db_rows_free(rows);
    assert_true(pid > 0);
    {
        const struct egov_db_param p[] = {EGOV_DB_PARAM_INT64(pid), EGOV_DB_PARAM_END};
        assert_int_equal(egov_db_query(b, &st_kill, p, &rows), EGOV_DB_ONE_ROW);
        assert_int_equal(egov_db_rows_int64(rows, 0, 0), 1);
        egov_db_rows_free(rows);
    }
    /* The lost connection is a hard error... */
    assert_int_equal(egov_db_exec(a, &st_count, NULL), EGOV_DB_HARD_ERROR);
    /* ...and the next transaction reconnects and prepares again. */
    assert_int_equal(egov_db_txn(a, true, 2, insert_body, &t), EGOV_DB_ONE_ROW);
    assert_int_equal(count_items(a), 1);
    assert_int_equal(egov_db_query(a, &st_pid, NULL, &rows), EGOV_DB_ONE_ROW);
    assert_true(egov_db_rows_int64(rows, 0, 0) != pid);
    egov_db_rows_free(rows);
    egov_db_release(a);
    egov_db_release(b);
    egov_db_close(db);
}

/*
 * A connection whose server process went away while it sat idle (a
 * PostgreSQL restart, an idle-session timeout) looks fine until it is
 * used.  The transaction that uses it next must reconnect and succeed:
 * nothing had been sent, so nothing can have happened twice.
 */
static void test_reconnect_idle(void **state)
{
    static const struct egov_db_stmt st_pid = {"t_pid", "SELECT 1", "SELECT pg_backend_pid()"};
    static const struct egov_db_stmt st_kill = {"t_kill", "SELECT 1",
                                                "SELECT pg_terminate_backend($1, 5000)"};
    struct egov_db *db;
    struct egov_db_conn *a;
    struct egov_db_conn *b;
    struct egov_db_rows *rows = NULL;
    struct txn_ctx t = {0, 1, EGOV_DB_ONE_ROW};
    int64_t pid;

    (void)state;
    if (!egov_test_db_is_pg())
        return;
    db = egov_test_db_open();
    assert_non_null(db);
    a = egov_db_acquire(db, 1000);
    b = egov_db_acquire(db, 1000);
    assert_non_null(a);
    assert_non_null(b);
    make_table(a);
    assert_int_equal(egov_db_query(a, &st_pid, NULL, &rows), EGOV_DB_ONE_ROW);
    pid = egov_db_rows_int64(rows, 0, 0);
    egov_db_rows_free(rows);
    {
        const struct egov_db_param p[] = {EGOV_DB_PARAM_INT64(pid), EGOV_DB_PARAM_END};
        assert_int_equal(egov_db_query(b, &st_kill, p, &rows), EGOV_DB_ONE_ROW);
        assert_int_equal(egov_db_rows_int64(rows, 0, 0), 1);
        egov_db_rows_free(rows);
    }
    egov_db_release(a);
    a = egov_db_acquire(db, 1000); /* the same, broken, connection from the pool */
    assert_non_null(a);
    assert_int_equal(egov_db_txn(a, true, 0, insert_body, &t), EGOV_DB_ONE_ROW);
    assert_int_equal(t.runs, 1);
    assert_int_equal(count_items(a), 1);
    egov_db_release(a);
    egov_db_release(b);
    egov_db_close(db);
}

/* URLs shown in messages never carry a password. */
static void test_url_redact(void **state)
{
    static const char *const cases[][2] = {
        {"postgresql://egov:s3cret@db.example:5432/egov", "postgresql://egov:***@db.example:5432/egov"},
        {"postgres://u:p%40ss@h/d?sslmode=require", "postgres://u:***@h/d?sslmode=require"},
        {"postgresql://u@h/d", "postgresql://u@h/d"},
        {"postgresql:///d?host=/tmp&password=pw&user=u", "postgresql:///d?host=/tmp&password=***&user=u"},
        {"postgresql://h/d?password=pw", "postgresql://h/d?password=***"},
        {"host=h password=pw dbname=d", "host=h password=*** dbname=d"},
        {"sqlite:var/egov.db", "sqlite:var/egov.db"},
        {"postgresql://h/d?xpassword=1", "postgresql://h/d?xpassword=1"},
    };
    char out[128];
    char err[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_string_equal(egov_db_url_redact(cases[i][0], out, sizeof(out)), cases[i][1]);
    assert_string_equal(egov_db_url_redact("postgresql://u:pw@h/d", out, 12), "postgresql:");
    assert_string_equal(egov_db_url_redact(NULL, out, sizeof(out)), "");
    /* nor does the error of an unsupported URL */
    assert_null(egov_db_open("mysql://root:hunter2@h/d", NULL, err, sizeof(err)));
    assert_null(strstr(err, "hunter2"));
    assert_non_null(strstr(err, "mysql://root:***@h/d"));
}

static void test_pool(void **state)
{
    struct egov_db *first = egov_test_db_open();
    const struct egov_db_options opt = {2, 0, 0};
    struct egov_db *db;
    struct egov_db_conn *a;
    struct egov_db_conn *b;
    struct egov_db_pool_stats ps;
    char err[256];
    int64_t t0;

    (void)state;
    assert_non_null(first);
    db = egov_db_open(egov_test_db_url(), &opt, err, sizeof(err));
    assert_non_null(db);
    a = egov_db_acquire(db, 100);
    b = egov_db_acquire(db, 100);
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    assert_ptr_equal(egov_db_conn_db(a), db);
    t0 = egov_mono_us();
    assert_null(egov_db_acquire(db, 50));
    assert_true(egov_mono_us() - t0 >= 45000);
    egov_db_pool_stats(db, &ps);
    assert_int_equal(ps.size, 2);
    assert_int_equal(ps.in_use, 2);
    assert_int_equal(ps.timeouts, 1);
    assert_int_equal(ps.waits, 1);
    egov_db_release(a);
    a = egov_db_acquire(db, 10);
    assert_non_null(a);
    egov_db_release(a);
    egov_db_release(b);
    egov_db_pool_stats(db, &ps);
    assert_int_equal(ps.in_use, 0);
    assert_int_equal(ps.acquired, 3); /* the connection made by open is not an acquisition */
    egov_db_close(db);
    egov_db_close(first);
}

/* ------------------------------------------------------------------ */
/* Concurrent writers: read-modify-write under contention loses nothing */
/* ------------------------------------------------------------------ */

#define WRITERS    4
#define INCREMENTS 40

static const struct egov_db_stmt st_read_counter = {"t_counter_read",
                                                    "SELECT n FROM item WHERE id = 1", NULL};
static const struct egov_db_stmt st_write_counter = {"t_counter_write",
                                                     "UPDATE item SET n = $1 WHERE id = 1", NULL};

static enum egov_db_qs increment_body(struct egov_db_conn *c, void *cls)
{
    struct egov_db_rows *rows = NULL;
    enum egov_db_qs qs;
    int64_t n;

    (void)cls;
    qs = egov_db_query(c, &st_read_counter, NULL, &rows);
    if (qs <= 0)
        return qs < 0 ? qs : EGOV_DB_HARD_ERROR;
    n = egov_db_rows_int64(rows, 0, 0);
    egov_db_rows_free(rows);
    {
        const struct egov_db_param p[] = {EGOV_DB_PARAM_INT64(n + 1), EGOV_DB_PARAM_END};
        return egov_db_exec(c, &st_write_counter, p);
    }
}

struct writer {
    struct egov_db *db;
    int ok;
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    int i;

    for (i = 0; i < INCREMENTS; i++) {
        struct egov_db_conn *c = egov_db_acquire(w->db, 5000);

        if (c == NULL)
            continue;
        if (egov_db_txn(c, true, 200, increment_body, NULL) == EGOV_DB_ONE_ROW)
            w->ok++;
        egov_db_release(c);
    }
    return NULL;
}

static void test_concurrent_writers(void **state)
{
    struct egov_db *db = egov_test_db_open();
    struct egov_db_conn *c;
    struct egov_db_rows *rows = NULL;
    pthread_t th[WRITERS];
    struct writer w[WRITERS];
    const struct egov_db_param p[] = {EGOV_DB_PARAM_INT64(1), EGOV_DB_PARAM_END};
    int i;
    int total = 0;
    int64_t t0 = egov_mono_us();

    (void)state;
    assert_non_null(db);
    c = egov_db_acquire(db, 1000);
    assert_non_null(c);
    make_table(c);
    {
        const struct egov_db_param ins[] = {EGOV_DB_PARAM_INT64(1), EGOV_DB_PARAM_TEXT("counter"),
                                            EGOV_DB_PARAM_INT64(0), EGOV_DB_PARAM_NULL,
                                            EGOV_DB_PARAM_NULL,     EGOV_DB_PARAM_END};
        assert_int_equal(egov_db_exec(c, &st_insert, ins), EGOV_DB_ONE_ROW);
    }
    egov_db_release(c);
    for (i = 0; i < WRITERS; i++) {
        w[i] = (struct writer){db, 0};
        assert_int_equal(pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
    }
    for (i = 0; i < WRITERS; i++) {
        pthread_join(th[i], NULL);
        total += w[i].ok;
    }
    assert_int_equal(total, WRITERS * INCREMENTS);
    c = egov_db_acquire(db, 1000);
    assert_non_null(c);
    assert_int_equal(egov_db_query(c, &st_get, p, &rows), EGOV_DB_ONE_ROW);
    assert_int_equal(egov_db_rows_int64(rows, 0, 2), WRITERS * INCREMENTS);
    egov_db_rows_free(rows);
    egov_db_release(c);
    {
        struct egov_db_pool_stats ps;

        egov_db_pool_stats(db, &ps);
        fprintf(stderr, "# %s: %d contended increments in %.1f ms, %llu retries\n",
                egov_db_kind_name(db), WRITERS * INCREMENTS, (double)(egov_mono_us() - t0) / 1000.0,
                ps.retries);
    }
    egov_db_close(db);
}

static enum egov_db_qs count_body(struct egov_db_conn *c, void *cls)
{
    (void)c;
    (*(int *)cls)++;
    return EGOV_DB_ONE_ROW;
}

static void test_run_txn(void **state)
{
    struct egov_db *db = egov_test_db_open();
    struct egov_db_pool_stats ps;
    int runs = 0;

    (void)state;
    assert_non_null(db);
    assert_int_equal(egov_db_run_txn(NULL, true, 100, 3, count_body, &runs), EGOV_DB_HARD_ERROR);
    assert_int_equal(runs, 0);
    assert_int_equal(egov_db_run_txn(db, true, 1000, 3, count_body, &runs), EGOV_DB_ONE_ROW);
    assert_int_equal(runs, 1);
    egov_db_pool_stats(db, &ps);
    assert_int_equal(ps.in_use, 0); /* the connection went back */
    assert_int_equal(egov_db_qs_ec(EGOV_DB_SOFT_ERROR), EGOV_EC_DB_SOFT_ERROR);
    assert_int_equal(egov_db_qs_ec(EGOV_DB_HARD_ERROR), EGOV_EC_DB_HARD_ERROR);
    assert_int_equal(egov_db_qs_ec(EGOV_DB_NO_ROW), EGOV_EC_NONE);
    assert_int_equal(egov_db_qs_ec(EGOV_DB_ONE_ROW), EGOV_EC_NONE);
    egov_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_close),         cmocka_unit_test(test_params_and_rows),
        cmocka_unit_test(test_statement_cache),    cmocka_unit_test(test_errors),
        cmocka_unit_test(test_open_errors),        cmocka_unit_test(test_transactions),
        cmocka_unit_test(test_reconnect),          cmocka_unit_test(test_reconnect_idle),
        cmocka_unit_test(test_pool),
        cmocka_unit_test(test_url_redact),
        cmocka_unit_test(test_run_txn),
        cmocka_unit_test(test_concurrent_writers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
