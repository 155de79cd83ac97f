/*
 * test_two_nodes.c -- two `egov serve` nodes on one database.
 *
 * Both nodes start at once (their migrations must not clash), then:
 *  - either node serves any request: the same requests to both give the
 *    same answers, and both see the same job counts in /metrics;
 *  - every outbox job is done exactly once: 300 webhook deliveries are
 *    enqueued in the database and both nodes' workers deliver them to a
 *    receiver that counts each delivery id; no id arrives twice, none is
 *    missing, and both nodes took part.
 * Runs on SQLite (two processes, one file) and on PostgreSQL.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

#define JOBS 300

struct receiver {
    pthread_mutex_t lock;
    char ids[JOBS * 2][37];
    unsigned int count;      /* deliveries received */
    unsigned int duplicates; /* deliveries of an id already seen */
};

static struct receiver rx = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void handle_hook(struct egov_req *req)
{
    const char *id = egov_req_header(req, "X-Egov-Delivery");
    const char *key = egov_req_header(req, "Idempotency-Key");
    if (id == NULL || key == NULL || strcmp(id, key) != 0 || !egov_uuid_valid(id)) {
        egov_reply_problem(req, EGOV_EC_GENERIC_PARAMETER_MISSING, "X-Egov-Delivery", NULL);
        return;
    }
    usleep(3000); /* a receiver that takes a moment, so both nodes get work */
    pthread_mutex_lock(&rx.lock);
    bool seen = false;
    for (unsigned int i = 0; i < rx.count && i < JOBS * 2; i++)
        if (strcmp(rx.ids[i], id) == 0)
            seen = true;
    if (seen)
        rx.duplicates++;
    if (rx.count < JOBS * 2)
        snprintf(rx.ids[rx.count], sizeof(rx.ids[0]), "%s", id);
    rx.count++;
    pthread_mutex_unlock(&rx.lock);
    egov_reply_json(req, 200, json_pack("{s:b}", "received", 1));
}

static const struct egov_route hook_routes[] = {
    {EGOV_M_POST, "/hook", handle_hook, 65536, 0, "hook"},
    EGOV_ROUTE_END,
};
static const struct egov_route_table hook_table = {"receiver", hook_routes};

struct enqueue_ctx {
    const char *url;
    unsigned int from, n;
};

static enum egov_db_qs enqueue_batch(struct egov_db_conn *c, void *cls)
{
    const struct enqueue_ctx *ctx = cls;
    for (unsigned int i = 0; i < ctx->n; i++) {
        char body[64];
        snprintf(body, sizeof(body), "{\"n\":%u}", ctx->from + i);
        enum egov_db_qs qs = egov_webhook_enqueue(c, ctx->url, body, NULL);
        if (qs < 0)
            return qs;
    }
    return EGOV_DB_ONE_ROW;
}

/* The value of the series @p name (with its labels, exactly) in a node's /metrics; -1 if absent. */
static long metric_value(const struct egov_test_server *s, const char *name)
{
    struct egov_test_response r = {0};
    long v = -1;
    if (!egov_test_http(s, "GET", "/metrics", NULL, NULL, 0, &r))
        return -1;
    if (r.status == 200) {
        size_t nlen = strlen(name);
        for (char *line = r.body; line != NULL && *line != '\0';) {
            char *next = strchr(line, '\n');
            if (strncmp(line, name, nlen) == 0 && line[nlen] == ' ')
                v = strtol(line + nlen + 1, NULL, 10);
            line = next == NULL ? NULL : next + 1;
        }
    }
    egov_test_response_free(&r);
    return v;
}

static void test_two_nodes(void **state)
{
    (void)state;
    struct egov_db *db = egov_test_db_open();
    assert_non_null(db);
    const char *url = egov_test_db_url();
    assert_non_null(url);

    struct egov_test_server recv = {0};
    const struct egov_route_table *tables[] = {&hook_table, NULL};
    assert_true(egov_test_inproc_start(tables, NULL, &recv));

    /* two nodes at once: concurrent migrations */
    const char *args[] = {"--log-level", "warn", NULL};
    struct egov_test_server a = {0}, b = {0};
    assert_true(egov_test_server_start(url, args, &a));
    assert_true(egov_test_server_start(url, args, &b));

    /* either node answers any request the same way */
    const struct egov_test_server *nodes[] = {&a, &b};
    const char *hdr[] = {"Content-Type: application/json", NULL};
    const char *req = "{\"date\":\"2026-11-27\"}";
    for (int i = 0; i < 2; i++) {
        struct egov_test_response r = {0};
        assert_true(egov_test_http(nodes[i], "GET", "/readyz", NULL, NULL, 0, &r));
        assert_int_equal(r.status, 200);
        egov_test_response_free(&r);
        assert_true(egov_test_http(nodes[i], "POST", "/api/time/roc-date", hdr, req,
                                   strlen(req), &r));
        assert_int_equal(r.status, 200);
        assert_non_null(strstr(r.body, "中華民國115年11月27日"));
        egov_test_response_free(&r);
    }

    /* enqueue the deliveries in the shared database, in a few transactions */
    char hook_url[128];
    snprintf(hook_url, sizeof(hook_url), "%s/hook", recv.base_url);
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    assert_non_null(c);
    for (unsigned int from = 0; from < JOBS; from += 100) {
        struct enqueue_ctx ctx = {hook_url, from, 100};
        assert_true(egov_db_txn(c, true, 5, enqueue_batch, &ctx) >= 0);
    }
    egov_db_release(c);

    /* wait until every delivery arrived (or 90 s) */
    for (int tick = 0; tick < 900; tick++) {
        pthread_mutex_lock(&rx.lock);
        unsigned int n = rx.count;
        pthread_mutex_unlock(&rx.lock);
        if (n >= JOBS)
            break;
        usleep(100 * 1000);
    }
    usleep(500 * 1000); /* a late duplicate would arrive now */
    pthread_mutex_lock(&rx.lock);
    unsigned int count = rx.count, dups = rx.duplicates;
    pthread_mutex_unlock(&rx.lock);
    print_message("deliveries: %u, duplicates: %u\n", count, dups);
    assert_int_equal(dups, 0);
    assert_int_equal(count, JOBS);

    /* both nodes worked (their counters also include the modules' own
     * housekeeping jobs, hence at least JOBS) */
    long pa = metric_value(&a, "egov_jobs_processed_total");
    long pb = metric_value(&b, "egov_jobs_processed_total");
    print_message("node a processed %ld, node b processed %ld\n", pa, pb);
    assert_true(pa + pb >= JOBS);
    assert_true(pa > 0);
    assert_true(pb > 0);

    /* every delivery job is done, each after exactly one attempt */
    static const struct egov_db_stmt st_done = {
        "two_nodes_webhooks_done",
        "SELECT COUNT(*), COALESCE(MAX(attempts), 0) FROM egov_job "
        "WHERE queue = $1 AND state = 'done'",
        NULL,
    };
    struct egov_db_param qp[] = {EGOV_DB_PARAM_TEXT(EGOV_WEBHOOK_QUEUE), EGOV_DB_PARAM_END};
    struct egov_db_rows *rows = NULL;
    c = egov_db_acquire(db, 5000);
    assert_non_null(c);
    assert_int_equal(egov_db_query(c, &st_done, qp, &rows), 1);
    assert_int_equal(egov_db_rows_int64(rows, 0, 0), JOBS);
    assert_int_equal(egov_db_rows_int64(rows, 0, 1), 1);
    egov_db_rows_free(rows);
    egov_db_release(c);

    /* both nodes read the database-wide job counts, not their own */
    long da = metric_value(&a, "egov_jobs{state=\"done\"}");
    long db_ = metric_value(&b, "egov_jobs{state=\"done\"}");
    assert_true(da >= JOBS);
    assert_true(db_ >= JOBS);

    assert_true(egov_test_server_stop(&a));
    assert_true(egov_test_server_stop(&b));
    egov_test_inproc_stop(&recv, 1000);
    egov_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_nodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
