/*
 * test_jobs.c -- the outbox: jobs exist only if their transaction commits,
 * retries back off exponentially, give up after max attempts, expired
 * leases are re-claimed (and the late finisher is fenced off), and two
 * nodes with worker threads run 500 jobs exactly once between them.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

static const struct egov_db_stmt st_job = {
    "t_j_job", "SELECT state, attempts, run_at, last_error, locked_by FROM egov_job WHERE id = $1",
    NULL};
static const struct egov_db_stmt st_make_due = {
    "t_j_due", "UPDATE egov_job SET run_at = $1 WHERE id = $2", NULL};
static const struct egov_db_stmt st_hold = {
    "t_j_hold",
    "UPDATE egov_job SET state = 'running', attempts = 1, locked_by = 'elsewhere',"
    " locked_until = $1, run_at = $1 WHERE id = $2",
    NULL};
static const struct egov_db_stmt st_done_count = {
    "t_j_done_count", "SELECT COUNT(*), COUNT(DISTINCT job_id) FROM t_done", NULL};
static const struct egov_db_stmt st_done_insert = {
    "t_j_done_insert", "INSERT INTO t_done (job_id, node) VALUES ($1, $2)", NULL};

struct job_row {
    char state[16];
    int64_t attempts;
    int64_t run_at;
    bool has_error;
    bool locked;
};

static struct egov_db *open_migrated(void)
{
    struct egov_db *db = egov_test_db_open();
    char err[256];

    assert_non_null(db);
    assert_true(egov_db_migrate(db, NULL, NULL, err, sizeof(err)) >= 1);
    return db;
}

static void read_job(struct egov_db *db, const char *id, struct job_row *out)
{
    const struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(id), EGOV_DB_PARAM_END};
    struct egov_db_conn *c = egov_db_acquire(db, 1000);
    struct egov_db_rows *rows = NULL;

    assert_non_null(c);
    assert_int_equal(egov_db_query(c, &st_job, p, &rows), EGOV_DB_ONE_ROW);
    (void)snprintf(out->state, sizeof(out->state), "%s", egov_db_rows_text(rows, 0, 0));
    out->attempts = egov_db_rows_int64(rows, 0, 1);
    out->run_at = egov_db_rows_int64(rows, 0, 2);
    out->has_error = !egov_db_rows_is_null(rows, 0, 3);
    out->locked = !egov_db_rows_is_null(rows, 0, 4);
    egov_db_rows_free(rows);
    egov_db_release(c);
}

static void set_run_at(struct egov_db *db, const struct egov_db_stmt *st, const char *id,
                       int64_t when)
{
    const struct egov_db_param p[] = {EGOV_DB_PARAM_INT64(when), EGOV_DB_PARAM_TEXT(id),
                                      EGOV_DB_PARAM_END};
    struct egov_db_conn *c = egov_db_acquire(db, 1000);

    assert_non_null(c);
    assert_int_equal(egov_db_exec(c, st, p), EGOV_DB_ONE_ROW);
    egov_db_release(c);
}

struct enqueue {
    const char *queue;
    const char *payload;
    unsigned int n;
    enum egov_db_qs result;
    char id[37];
};

static enum egov_db_qs enqueue_body(struct egov_db_conn *c, void *cls)
{
    struct enqueue *e = cls;
    enum egov_db_qs qs;
    unsigned int i;

    for (i = 0; i < e->n; i++) {
        qs = egov_job_enqueue(c, e->queue, e->payload, 0, e->id);
        if (qs != EGOV_DB_ONE_ROW)
            return qs < 0 ? qs : EGOV_DB_HARD_ERROR;
    }
    return e->result;
}

static void enqueue(struct egov_db *db, const char *queue, const char *payload, unsigned int n,
                    char id_out[37])
{
    struct egov_db_conn *c = egov_db_acquire(db, 1000);
    struct enqueue e = {queue, payload, n, EGOV_DB_ONE_ROW, ""};

    assert_non_null(c);
    assert_int_equal(egov_db_txn(c, true, 5, enqueue_body, &e), EGOV_DB_ONE_ROW);
    egov_db_release(c);
    if (id_out != NULL)
        memcpy(id_out, e.id, sizeof(e.id));
}

/* A handler that records what it saw and answers what it is told. */
struct recorder {
    atomic_int runs;
    enum egov_job_result answer;
    char last_id[37];
    char last_payload[128];
};

static enum egov_job_result record(struct egov_db *db, const char *job_id, const char *payload,
                                   void *cls)
{
    struct recorder *r = cls;

    (void)db;
    atomic_fetch_add(&r->runs, 1);
    (void)snprintf(r->last_id, sizeof(r->last_id), "%s", job_id);
    (void)snprintf(r->last_payload, sizeof(r->last_payload), "%s", payload);
    return r->answer;
}

static void test_enqueue_follows_transaction(void **state)
{
    struct egov_db *db = open_migrated();
    struct egov_db_conn *c;
    struct egov_jobs_stats st;
    struct enqueue e = {"t_ok", "{\"n\":1}", 3, EGOV_DB_HARD_ERROR, ""};
    static struct recorder rec;

    (void)state;
    rec.answer = EGOV_JOB_DONE;
    assert_true(egov_jobs_register("t_ok", record, &rec));
    /* Rolled back: no job. */
    c = egov_db_acquire(db, 1000);
    assert_non_null(c);
    assert_int_equal(egov_db_txn(c, true, 3, enqueue_body, &e), EGOV_DB_HARD_ERROR);
    egov_db_release(c);
    assert_true(egov_jobs_stats(db, &st));
    assert_int_equal(st.pending + st.running + st.done + st.dead, 0);
    assert_int_equal(egov_jobs_run_one(db, "n1", 0, 0), 0);
    assert_int_equal(atomic_load(&rec.runs), 0);

    /* Committed: one job, run once, with its payload and id. */
    e = (struct enqueue){"t_ok", "{\"名\":\"臺灣\"}", 1, EGOV_DB_ONE_ROW, ""};
    c = egov_db_acquire(db, 1000);
    assert_non_null(c);
    assert_int_equal(egov_db_txn(c, true, 3, enqueue_body, &e), EGOV_DB_ONE_ROW);
    egov_db_release(c);
    assert_true(egov_uuid_valid(e.id));
    assert_true(egov_jobs_stats(db, &st));
    assert_int_equal(st.pending, 1);
    assert_int_equal(egov_jobs_run_one(db, "n1", 0, 0), 1);
    assert_int_equal(atomic_load(&rec.runs), 1);
    assert_string_equal(rec.last_id, e.id);
    assert_string_equal(rec.last_payload, "{\"名\":\"臺灣\"}");
    assert_int_equal(egov_jobs_run_one(db, "n1", 0, 0), 0);
    assert_true(egov_jobs_stats(db, &st));
    assert_int_equal(st.pending, 0);
    assert_int_equal(st.done, 1);
    assert_true(st.processed >= 1);
    egov_db_close(db);
}

static void test_delay(void **state)
{
    struct egov_db *db = open_migrated();
    struct egov_db_conn *c;
    static struct recorder rec;
    char id[37];
    struct job_row row;

    (void)state;
    rec.answer = EGOV_JOB_DONE;
    assert_true(egov_jobs_register("t_later", record, &rec));
    c = egov_db_acquire(db, 1000);
    assert_non_null(c);
    assert_int_equal(egov_job_enqueue(c, "t_later", NULL, 60000, id), EGOV_DB_ONE_ROW);
    egov_db_release(c);
    assert_int_equal(egov_jobs_run_one(db, "n1", 0, 0), 0);
    set_run_at(db, &st_make_due, id, egov_now_us() - 1);
    assert_int_equal(egov_jobs_run_one(db, "n1", 0, 0), 1);
    assert_string_equal(rec.last_payload, "{}");
    read_job(db, id, &row);
    assert_string_equal(row.state, "done");
    egov_db_close(db);
}

static void test_retry_backoff(void **state)
{
    struct egov_db *db = open_migrated();
    static struct recorder rec;
    struct job_row row;
    char id[37];
    int64_t before;
    int64_t delay;

    (void)state;
    rec.answer = EGOV_JOB_RETRY;
    assert_true(egov_jobs_register("t_retry", record, &rec));
    enqueue(db, "t_retry", "{}", 1, id);

    before = egov_now_us();
    assert_int_equal(egov_jobs_run_one(db, "n1", 0, 5), 1);
    read_job(db, id, &row);
    assert_string_equal(row.state, "pending");
    assert_int_equal(row.attempts, 1);
    assert_true(row.has_error);
    assert_false(row.locked);
    delay = row.run_at - before;
    assert_true(delay >= 1000000 && delay <= 1250000 + (egov_now_us() - before));
    /* Not due yet. */
    assert_int_equal(egov_jobs_run_one(db, "n1", 0, 5), 0);
    assert_int_equal(atomic_load(&rec.runs), 1);

    set_run_at(db, &st_make_due, id, egov_now_us() - 1);
    before = egov_now_us();
    assert_int_equal(egov_jobs_run_one(db, "n1", 0, 5), 1);
    read_job(db, id, &row);
    assert_int_equal(row.attempts, 2);
    delay = row.run_at - before;
    assert_true(delay >= 2000000 && delay <= 2500000 + (egov_now_us() - before));

    set_run_at(db, &st_make_due, id, egov_now_us() - 1);
    before = egov_now_us();
    assert_int_equal(egov_jobs_run_one(db, "n1", 0, 5), 1);
    read_job(db, id, &row);
    assert_int_equal(row.attempts, 3);
    delay = row.run_at - before;
    assert_true(delay >= 4000000 && delay <= 5000000 + (egov_now_us() - before));
    egov_db_close(db);
}

static void test_dead_after_max_attempts(void **state)
{
    struct egov_db *db = open_migrated();
    static struct recorder rec;
    static struct recorder fail;
    struct egov_jobs_stats st;
    struct job_row row;
    char id[37];
    int i;

    (void)state;
    rec.answer = EGOV_JOB_RETRY;
    assert_true(egov_jobs_register("t_dead", record, &rec));
    enqueue(db, "t_dead", "{}", 1, id);
    for (i = 0; i < 3; i++) {
        assert_int_equal(egov_jobs_run_one(db, "n1", 0, 3), 1);
        read_job(db, id, &row);
        if (i < 2)
            set_run_at(db, &st_make_due, id, egov_now_us() - 1);
    }
    assert_string_equal(row.state, "dead");
    assert_int_equal(row.attempts, 3);
    assert_true(row.has_error);
    assert_int_equal(atomic_load(&rec.runs), 3);
    assert_int_equal(egov_jobs_run_one(db, "n1", 0, 3), 0);

    /* A handler that fails outright goes to the dead list at once. */
    fail.answer = EGOV_JOB_FAIL;
    assert_true(egov_jobs_register("t_fail", record, &fail));
    enqueue(db, "t_fail", "{}", 1, id);
    assert_int_equal(egov_jobs_run_one(db, "n1", 0, 3), 1);
    read_job(db, id, &row);
    assert_string_equal(row.state, "dead");
    assert_int_equal(row.attempts, 1);
    assert_true(egov_jobs_stats(db, &st));
    assert_int_equal(st.dead, 2);
    assert_true(st.failed >= 4);
    egov_db_close(db);
}

/*
 * A job whose handler takes its node down (or always outruns the lease)
 * never finishes; each re-claim after the lease counts as an attempt, and
 * after max attempts it goes to the dead list instead of being run again.
 */
static const struct egov_db_stmt st_expired = {
    "t_j_expired",
    "UPDATE egov_job SET state = 'running', attempts = 3, locked_by = 'crashed',"
    " locked_until = $1, run_at = $1 WHERE id = $2",
    NULL};

static void test_expired_leases_count_as_attempts(void **state)
{
    struct egov_db *db = open_migrated();
    static struct recorder rec;
    struct job_row row;
    char id[37];

    (void)state;
    rec.answer = EGOV_JOB_DONE;
    assert_true(egov_jobs_register("t_crash", record, &rec));
    enqueue(db, "t_crash", "{}", 1, id);
    /* three claims whose leases all ran out */
    set_run_at(db, &st_expired, id, egov_now_us() - 1);
    assert_int_equal(egov_jobs_run_one(db, "n1", 60000, 3), 1);
    read_job(db, id, &row);
    assert_string_equal(row.state, "dead");
    assert_true(row.has_error);
    assert_false(row.locked);
    assert_int_equal(atomic_load(&rec.runs), 0);
    assert_int_equal(egov_jobs_run_one(db, "n1", 60000, 3), 0);
    egov_db_close(db);
}

/*
 * Node A claims a job with a 20 ms lease and stalls; node B finds the
 * lease expired, re-claims the job and finishes it; A's late "retry" is
 * fenced off and changes nothing.
 */
static atomic_int lease_runs;

static enum egov_job_result stall_then_retry(struct egov_db *db, const char *job_id,
                                             const char *payload, void *cls)
{
    (void)job_id;
    (void)payload;
    (void)cls;
    if (atomic_fetch_add(&lease_runs, 1) == 0) {
        usleep(50000);
        /* The other node's worker, while this one is still "running". */
        assert_int_equal(egov_jobs_run_one(db, "node-b", 60000, 10), 1);
        return EGOV_JOB_RETRY;
    }
    return EGOV_JOB_DONE;
}

static void test_lease_expiry(void **state)
{
    struct egov_db *db = open_migrated();
    struct job_row row;
    char id[37];
    char held[37];

    (void)state;
    assert_true(egov_jobs_register("t_lease", stall_then_retry, NULL));
    enqueue(db, "t_lease", "{}", 1, id);
    assert_int_equal(egov_jobs_run_one(db, "node-a", 20, 10), 1);
    assert_int_equal(atomic_load(&lease_runs), 2);
    read_job(db, id, &row);
    assert_string_equal(row.state, "done");
    assert_int_equal(row.attempts, 2);
    assert_false(row.locked);

    /* A job whose lease is still valid elsewhere is left alone... */
    enqueue(db, "t_lease", "{}", 1, held);
    set_run_at(db, &st_hold, held, egov_now_us() + 60000000);
    assert_int_equal(egov_jobs_run_one(db, "node-a", 20, 10), 0);
    /* ...until the lease runs out. */
    set_run_at(db, &st_hold, held, egov_now_us() - 1);
    assert_int_equal(egov_jobs_run_one(db, "node-a", 60000, 10), 1);
    read_job(db, held, &row);
    assert_string_equal(row.state, "done");
    assert_int_equal(row.attempts, 2);
    egov_db_close(db);
}

/* ------------------------------------------------------------------ */
/* Two nodes, worker threads, 500 jobs, each done exactly once          */
/* ------------------------------------------------------------------ */

#define ONCE_JOBS 500

static struct egov_db *once_nodes[2];
static atomic_int once_runs[2];
static atomic_int once_duplicates;
static atomic_int once_errors;

static enum egov_db_qs record_done(struct egov_db_conn *c, void *cls)
{
    const char *const *args = cls;
    const struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(args[0]), EGOV_DB_PARAM_TEXT(args[1]),
                                      EGOV_DB_PARAM_END};

    return egov_db_exec(c, &st_done_insert, p);
}

static enum egov_job_result once_handler(struct egov_db *db, const char *job_id,
                                         const char *payload, void *cls)
{
    int node = db == once_nodes[0] ? 0 : 1;
    const char *args[2] = {job_id, node == 0 ? "a" : "b"};
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    enum egov_db_qs qs;

    (void)payload;
    (void)cls;
    atomic_fetch_add(&once_runs[node], 1);
    if (c == NULL) {
        atomic_fetch_add(&once_errors, 1);
        return EGOV_JOB_RETRY;
    }
    qs = egov_db_txn(c, true, 50, record_done, args);
    egov_db_release(c);
    if (qs == EGOV_DB_HARD_ERROR) {
        atomic_fetch_add(&once_duplicates, 1); /* the UNIQUE constraint said no */
        return EGOV_JOB_FAIL;
    }
    if (qs < 0) {
        atomic_fetch_add(&once_errors, 1);
        return EGOV_JOB_RETRY;
    }
    return EGOV_JOB_DONE;
}

static void test_two_nodes_exactly_once(void **state)
{
    struct egov_db *db = open_migrated();
    struct egov_jobs *workers[2];
    struct egov_jobs_stats st = {0};
    struct egov_db_conn *c;
    struct egov_db_rows *rows = NULL;
    char err[256];
    int64_t t0;
    int i;

    (void)state;
    c = egov_db_acquire(db, 1000);
    assert_non_null(c);
    assert_int_equal(
        egov_db_exec_script(c, "CREATE TABLE t_done (job_id TEXT NOT NULL UNIQUE, node TEXT)"),
        EGOV_DB_NO_ROW);
    egov_db_release(c);
    assert_true(egov_jobs_register("t_once", once_handler, NULL));
    for (i = 0; i < 2; i++) {
        const struct egov_jobs_options opt = {2, 5, 60000, 5, i == 0 ? "node-a" : "node-b"};

        once_nodes[i] = egov_db_open(egov_test_db_url(), NULL, err, sizeof(err));
        assert_non_null(once_nodes[i]);
        workers[i] = egov_jobs_start(once_nodes[i], &opt);
        assert_non_null(workers[i]);
    }
    t0 = egov_mono_us();
    for (i = 0; i < ONCE_JOBS / 100; i++)
        enqueue(db, "t_once", "{\"kind\":\"once\"}", 100, NULL);
    while (egov_mono_us() - t0 < 120 * 1000000LL) {
        assert_true(egov_jobs_stats(db, &st));
        if (st.done + st.dead >= ONCE_JOBS)
            break;
        usleep(20000);
    }
    for (i = 0; i < 2; i++)
        egov_jobs_stop(workers[i]);
    fprintf(stderr, "# %s: %d jobs on two nodes in %.0f ms (node a %d, node b %d)\n",
            egov_db_kind_name(db), ONCE_JOBS, (double)(egov_mono_us() - t0) / 1000.0,
            atomic_load(&once_runs[0]), atomic_load(&once_runs[1]));
    assert_int_equal(st.done, ONCE_JOBS);
    assert_int_equal(st.dead, 0);
    assert_int_equal(st.pending + st.running, 0);
    assert_int_equal(atomic_load(&once_duplicates), 0);
    assert_int_equal(atomic_load(&once_errors), 0);
    assert_int_equal(atomic_load(&once_runs[0]) + atomic_load(&once_runs[1]), ONCE_JOBS);
    c = egov_db_acquire(db, 1000);
    assert_non_null(c);
    assert_int_equal(egov_db_query(c, &st_done_count, NULL, &rows), EGOV_DB_ONE_ROW);
    assert_int_equal(egov_db_rows_int64(rows, 0, 0), ONCE_JOBS);
    assert_int_equal(egov_db_rows_int64(rows, 0, 1), ONCE_JOBS);
    egov_db_rows_free(rows);
    egov_db_release(c);
    for (i = 0; i < 2; i++)
        egov_db_close(once_nodes[i]);
    egov_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enqueue_follows_transaction),
        cmocka_unit_test(test_delay),
        cmocka_unit_test(test_retry_backoff),
        cmocka_unit_test(test_dead_after_max_attempts),
        cmocka_unit_test(test_expired_leases_count_as_attempts),
        cmocka_unit_test(test_lease_expiry),
        cmocka_unit_test(test_two_nodes_exactly_once),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
