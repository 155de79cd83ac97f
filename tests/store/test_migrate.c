/*
 * test_migrate.c -- numbered migrations per module: order, idempotence,
 * later additions, two nodes migrating at once, failures leaving nothing.
 * The tests share the process-wide registry and run in order.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "testlib.h"

static struct egov_db_migration alpha_list[] = {
    {1, "alpha table", "CREATE TABLE t_alpha (id BIGINT PRIMARY KEY, name TEXT NOT NULL)", NULL},
    {2, "alpha note",
     "ALTER TABLE t_alpha ADD COLUMN note TEXT; CREATE INDEX t_alpha_name ON t_alpha (name)", NULL},
    {0, NULL, NULL, NULL}, /* test_later_migration fills this slot */
    {0, NULL, NULL, NULL},
};
static const struct egov_db_module_migrations alpha = {"t_alpha", alpha_list};

/* beta refers to alpha, so it only works if alpha came first. */
static const struct egov_db_migration beta_list[] = {
    {1, "beta table",
     "CREATE TABLE t_beta (id BIGINT PRIMARY KEY, alpha_id BIGINT NOT NULL REFERENCES t_alpha "
     "(id))",
     "CREATE TABLE t_beta (id BIGINT PRIMARY KEY, alpha_id BIGINT NOT NULL REFERENCES t_alpha "
     "(id));"
     " COMMENT ON TABLE t_beta IS 'PostgreSQL text'"},
    {0, NULL, NULL, NULL},
};
static const struct egov_db_module_migrations beta = {"t_beta", beta_list};

struct progress_log {
    char seen[16][48];
    unsigned int n;
    unsigned int last_total;
};

static void record_progress(const char *module, unsigned int version, const char *description,
                            unsigned int done, unsigned int total, void *cls)
{
    struct progress_log *log = cls;

    assert_non_null(description);
    assert_int_equal(done, log->n);
    log->last_total = total;
    if (log->n < 16)
        (void)snprintf(log->seen[log->n], sizeof(log->seen[0]), "%s/%u", module, version);
    log->n++;
}

/* Statements are cached by address, so each one is a static constant. */
static const struct egov_db_stmt st_count = {"t_m_count", "SELECT COUNT(*) FROM egov_schema", NULL};
static const struct egov_db_stmt st_desc = {
    "t_m_desc",
    "SELECT COUNT(*) FROM egov_schema WHERE module = 't_alpha' AND version = 2"
    " AND description = 'alpha note' AND applied_at > 0",
    NULL};
static const struct egov_db_stmt st_alpha = {"t_m_alpha", "SELECT COUNT(note) FROM t_alpha", NULL};
static const struct egov_db_stmt st_job = {"t_m_job", "SELECT COUNT(*) FROM egov_job", NULL};
static const struct egov_db_stmt st_seed = {"t_m_seed", "SELECT COUNT(*) FROM t_alpha", NULL};
static const struct egov_db_stmt st_broken = {
    "t_m_broken", "SELECT COUNT(*) FROM egov_schema WHERE module = 't_broken'", NULL};

/* How many migrations the store module itself brings (they always run first). */
static int store_count(void)
{
    int n = 0;
    while (egov_store_migrations.list[n].version != 0)
        n++;
    return n;
}

static int64_t scalar(struct egov_db *db, const struct egov_db_stmt *st)
{
    struct egov_db_conn *c = egov_db_acquire(db, 1000);
    struct egov_db_rows *rows = NULL;
    int64_t v = -1;

    assert_non_null(c);
    if (egov_db_query(c, st, NULL, &rows) == EGOV_DB_ONE_ROW)
        v = egov_db_rows_int64(rows, 0, 0);
    egov_db_rows_free(rows);
    egov_db_release(c);
    return v;
}

static void test_order_and_idempotence(void **state)
{
    struct egov_db *db = egov_test_db_open();
    struct progress_log log = {0};
    char err[256];

    (void)state;
    assert_non_null(db);
    assert_true(egov_db_register_migrations(&alpha));
    assert_true(egov_db_register_migrations(&beta));
    assert_true(egov_db_register_migrations(&alpha)); /* again: no-op */
    assert_true(egov_db_register_migrations(&egov_store_migrations));

    assert_int_equal(egov_db_migrate(db, record_progress, &log, err, sizeof(err)),
                     store_count() + 3);
    assert_int_equal(log.n, store_count() + 3);
    assert_int_equal(log.last_total, store_count() + 3);
    /* the store's own first, in order, then the modules in registration order */
    for (int i = 0; i < store_count(); i++) {
        char want[48];
        (void)snprintf(want, sizeof(want), "store/%d", i + 1);
        assert_string_equal(log.seen[i], want);
    }
    assert_string_equal(log.seen[store_count()], "t_alpha/1");
    assert_string_equal(log.seen[store_count() + 1], "t_alpha/2");
    assert_string_equal(log.seen[store_count() + 2], "t_beta/1");
    assert_int_equal(scalar(db, &st_count), store_count() + 3);
    assert_int_equal(scalar(db, &st_desc), 1);
    /* The tables exist with their later columns, and the job table too. */
    assert_int_equal(scalar(db, &st_alpha), 0);
    assert_int_equal(scalar(db, &st_job), 0);

    /* Second run: nothing to do. */
    log.n = 0;
    assert_int_equal(egov_db_migrate(db, record_progress, &log, err, sizeof(err)), 0);
    assert_int_equal(log.n, 0);
    assert_int_equal(scalar(db, &st_count), store_count() + 3);
    egov_db_close(db);
}

static void test_later_migration(void **state)
{
    struct egov_db *db = egov_test_db_open();
    struct progress_log log = {0};
    char err[256];

    (void)state;
    assert_non_null(db);
    assert_int_equal(egov_db_migrate(db, NULL, NULL, err, sizeof(err)), store_count() + 3);
    /* A new release adds version 3 to alpha: only it runs. */
    alpha_list[2] = (struct egov_db_migration){
        3, "alpha seed", "INSERT INTO t_alpha (id, name) VALUES (1, '臺北')", NULL};
    assert_int_equal(egov_db_migrate(db, record_progress, &log, err, sizeof(err)), 1);
    assert_int_equal(log.n, 1);
    assert_string_equal(log.seen[0], "t_alpha/3");
    assert_int_equal(scalar(db, &st_seed), 1);
    assert_int_equal(egov_db_migrate(db, NULL, NULL, err, sizeof(err)), 0);
    assert_int_equal(scalar(db, &st_seed), 1);
    egov_db_close(db);
}

struct node {
    struct egov_db *db;
    int applied;
    char err[256];
};

static void *migrate_main(void *arg)
{
    struct node *n = arg;

    n->applied = egov_db_migrate(n->db, NULL, NULL, n->err, sizeof(n->err));
    return NULL;
}

static void test_two_nodes_at_once(void **state)
{
    struct egov_db *first = egov_test_db_open();
    struct node nodes[2];
    pthread_t th[2];
    char err[256];
    int i;

    (void)state;
    assert_non_null(first);
    for (i = 0; i < 2; i++) {
        memset(&nodes[i], 0, sizeof(nodes[i]));
        nodes[i].db = egov_db_open(egov_test_db_url(), NULL, err, sizeof(err));
        assert_non_null(nodes[i].db);
    }
    for (i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, migrate_main, &nodes[i]), 0);
    for (i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    assert_true(nodes[0].applied >= 0);
    assert_true(nodes[1].applied >= 0);
    /* the store's, alpha 1-3, beta 1: each applied by exactly one node. */
    assert_int_equal(nodes[0].applied + nodes[1].applied, store_count() + 4);
    assert_int_equal(scalar(first, &st_count), store_count() + 4);
    assert_int_equal(scalar(first, &st_seed), 1);
    for (i = 0; i < 2; i++)
        egov_db_close(nodes[i].db);
    egov_db_close(first);
}

/* Registered last: these poison the registry for any later migrate call. */
static const struct egov_db_migration broken_list[] = {
    {1, "half a script", "CREATE TABLE t_broken (x BIGINT); CREATE TABLE t_oops (", NULL},
    {0, NULL, NULL, NULL},
};
static const struct egov_db_module_migrations broken = {"t_broken", broken_list};

static void test_failure_leaves_nothing(void **state)
{
    struct egov_db *db = egov_test_db_open();
    char err[256];

    (void)state;
    assert_non_null(db);
    assert_int_equal(egov_db_migrate(db, NULL, NULL, err, sizeof(err)), store_count() + 4);
    assert_true(egov_db_register_migrations(&broken));
    err[0] = '\0';
    assert_int_equal(egov_db_migrate(db, NULL, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "Migration t_broken 1 (half a script) failed"));
    assert_int_equal(scalar(db, &st_broken), 0);
    /* The first statement of the failed script was rolled back with it. */
    {
        static const struct egov_db_stmt st = {"t_m_gone", "SELECT COUNT(*) FROM t_broken", NULL};
        struct egov_db_conn *c = egov_db_acquire(db, 1000);
        struct egov_db_rows *rows = NULL;

        assert_non_null(c);
        assert_int_equal(egov_db_query(c, &st, NULL, &rows), EGOV_DB_HARD_ERROR);
        egov_db_release(c);
    }
    egov_db_close(db);
}

static const struct egov_db_migration misnumbered_list[] = {
    {1, "one", "SELECT 1", NULL},
    {3, "three", "SELECT 1", NULL},
    {0, NULL, NULL, NULL},
};
static const struct egov_db_module_migrations misnumbered = {"t_misnumbered", misnumbered_list};
static const struct egov_db_module_migrations impostor = {"t_alpha", misnumbered_list};

static void test_misnumbered(void **state)
{
    struct egov_db *db = egov_test_db_open();
    char err[256];

    (void)state;
    assert_non_null(db);
    assert_false(egov_db_register_migrations(&impostor)); /* a second list for a module */
    assert_false(egov_db_register_migrations(NULL));
    assert_true(egov_db_register_migrations(&misnumbered));
    assert_int_equal(egov_db_migrate(db, NULL, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "t_misnumbered"));
    /* Checked before anything ran. */
    {
        static const struct egov_db_stmt st = {"t_m_none", "SELECT COUNT(*) FROM egov_schema",
                                               NULL};
        struct egov_db_conn *c = egov_db_acquire(db, 1000);
        struct egov_db_rows *rows = NULL;

        assert_non_null(c);
        assert_int_equal(egov_db_query(c, &st, NULL, &rows), EGOV_DB_HARD_ERROR);
        egov_db_release(c);
    }
    egov_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_idempotence), cmocka_unit_test(test_later_migration),
        cmocka_unit_test(test_two_nodes_at_once),     cmocka_unit_test(test_failure_leaves_nothing),
        cmocka_unit_test(test_misnumbered),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
