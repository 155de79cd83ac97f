/*
 * jobs.c -- the outbox: jobs enqueued in the caller's transaction, claimed
 * by workers with a lease, run outside any transaction, then marked done,
 * retried with exponential back-off, or moved to the dead list.
 *
 * A claim sets state 'running', raises attempts (the fencing token) and
 * moves run_at to the end of the lease, so a job whose node died becomes
 * due again when its lease runs out.  Finishing a job only succeeds if
 * state and attempts are still those of our claim.
 */
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store_int.h"

#define MAX_QUEUES           64u
#define DEFAULT_WORKERS      2u
#define DEFAULT_POLL_MS      200u
#define DEFAULT_LEASE_MS     60000u
#define DEFAULT_MAX_ATTEMPTS 10u
#define MAX_WORKERS          64u
#define JOB_TXN_RETRIES      20u
#define JOB_ACQUIRE_MS       10000u
/* Retry back-off: 1 s, 2 s, 4 s ... at most one hour, plus up to 25 % jitter. */
#define RETRY_BASE_US 1000000LL
#define RETRY_CAP_US  3600000000LL

static const struct egov_db_migration store_list[] = {
    {1, "job queue (outbox)",
     "CREATE TABLE egov_job ("
     " id TEXT PRIMARY KEY,"
     " queue TEXT NOT NULL,"
     " payload TEXT NOT NULL,"
     " state TEXT NOT NULL DEFAULT 'pending'"
     "  CHECK (state IN ('pending', 'running', 'done', 'dead')),"
     " attempts BIGINT NOT NULL DEFAULT 0,"
     " run_at BIGINT NOT NULL,"
     " locked_by TEXT,"
     " locked_until BIGINT,"
     " last_error TEXT,"
     " created_at BIGINT NOT NULL,"
     " updated_at BIGINT NOT NULL);"
     "CREATE INDEX egov_job_claim ON egov_job (run_at) WHERE state IN ('pending', 'running');"
     "CREATE INDEX egov_job_state ON egov_job (state);",
     NULL},
    /* Portable SQL says BLOB for bytes; on PostgreSQL that name is a domain
     * over bytea (result columns still report bytea, so they decode as
     * bytes).  Modules then need no PostgreSQL copy of a schema for it. */
    {2, "BLOB as a portable column type", "SELECT 1", "CREATE DOMAIN blob AS bytea"},
    {0, NULL, NULL, NULL},
};

const struct egov_db_module_migrations egov_store_migrations = {"store", store_list};

static const struct egov_db_stmt st_enqueue = {
    "egov_job_enqueue",
    "INSERT INTO egov_job (id, queue, payload, state, attempts, run_at, created_at, updated_at)"
    " VALUES ($1, $2, $3, 'pending', 0, $4, $5, $5)",
    NULL};
static const struct egov_db_stmt st_pick = {
    "egov_job_pick",
    "SELECT id FROM egov_job WHERE state IN ('pending', 'running') AND run_at <= $1"
    " AND queue IN (SELECT value FROM json_each($2)) ORDER BY run_at LIMIT 1",
    "SELECT id FROM egov_job WHERE state IN ('pending', 'running') AND run_at <= $1"
    " AND queue IN (SELECT json_array_elements_text($2::json)) ORDER BY run_at LIMIT 1"
    " FOR UPDATE SKIP LOCKED"};
static const struct egov_db_stmt st_take = {
    "egov_job_take",
    "UPDATE egov_job SET state = 'running', attempts = attempts + 1, locked_by = $2,"
    " locked_until = $3, run_at = $3, updated_at = $1 WHERE id = $4"
    " RETURNING queue, payload, attempts",
    NULL};
static const struct egov_db_stmt st_finish = {
    "egov_job_finish",
    "UPDATE egov_job SET state = $4, run_at = $5, locked_by = NULL, locked_until = NULL,"
    " last_error = $6, updated_at = $1 WHERE id = $2 AND state = 'running' AND attempts = $3",
    NULL};
static const struct egov_db_stmt st_stats = {
    "egov_job_stats", "SELECT state, COUNT(*) FROM egov_job GROUP BY state", NULL};

struct queue_entry {
    char name[64];
    egov_job_fn fn;
    void *cls;
};

static pthread_mutex_t queues_mu = PTHREAD_MUTEX_INITIALIZER;
static struct queue_entry queues[MAX_QUEUES];
static unsigned int n_queues;

static atomic_ullong jobs_processed;
static atomic_ullong jobs_failed;

bool egov_jobs_register(const char *queue, egov_job_fn fn, void *cls)
{
    unsigned int i;
    bool ok = false;
    size_t len;

    if (queue == NULL || fn == NULL)
        return false;
    len = strlen(queue);
    if (len == 0 || len >= sizeof(queues[0].name))
        return false;
    pthread_mutex_lock(&queues_mu);
    for (i = 0; i < n_queues; i++) {
        if (strcmp(queues[i].name, queue) == 0)
            break;
    }
    if (i == n_queues) {
        if (n_queues == MAX_QUEUES)
            goto out;
        n_queues++;
    }
    memcpy(queues[i].name, queue, len + 1);
    queues[i].fn = fn;
    queues[i].cls = cls;
    ok = true;
out:
    pthread_mutex_unlock(&queues_mu);
    return ok;
}

static bool find_queue(const char *name, egov_job_fn *fn, void **cls)
{
    unsigned int i;
    bool found = false;

    pthread_mutex_lock(&queues_mu);
    for (i = 0; i < n_queues && !found; i++) {
        if (strcmp(queues[i].name, name) == 0) {
            *fn = queues[i].fn;
            *cls = queues[i].cls;
            found = true;
        }
    }
    pthread_mutex_unlock(&queues_mu);
    return found;
}

/* The registered queue names as a JSON array (malloc'd), or NULL if none / OOM. */
static char *queue_list_json(void)
{
    json_t *arr = json_array();
    char *out = NULL;
    unsigned int i;

    if (arr == NULL)
        return NULL;
    pthread_mutex_lock(&queues_mu);
    for (i = 0; i < n_queues; i++) {
        if (json_array_append_new(arr, json_string(queues[i].name)) != 0)
            break;
    }
    pthread_mutex_unlock(&queues_mu);
    if (i == n_queues && i > 0)
        out = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return out;
}

enum egov_db_qs egov_job_enqueue(struct egov_db_conn *c, const char *queue, const char *payload,
                                 unsigned int delay_ms, char id_out[37])
{
    char id[37];
    int64_t now = egov_now_us();
    const struct egov_db_param params[] = {
        EGOV_DB_PARAM_TEXT(id),
        EGOV_DB_PARAM_TEXT(queue),
        EGOV_DB_PARAM_TEXT(payload != NULL ? payload : "{}"),
        EGOV_DB_PARAM_INT64(now + (int64_t)delay_ms * 1000),
        EGOV_DB_PARAM_INT64(now),
        EGOV_DB_PARAM_END,
    };
    enum egov_db_qs qs;

    if (queue == NULL || queue[0] == '\0') {
        EGOV_BUG("egov_job_enqueue without a queue");
        return EGOV_DB_HARD_ERROR;
    }
    egov_uuid7(id);
    qs = egov_db_exec(c, &st_enqueue, params);
    if (qs >= 0 && id_out != NULL)
        memcpy(id_out, id, sizeof(id));
    return qs;
}

/* ------------------------------------------------------------------ */
/* Claim, run, finish                                                   */
/* ------------------------------------------------------------------ */

struct claim {
    int64_t now;
    int64_t until;
    const char *node;
    char *queues; /* JSON array of registered queue names, from jansson */
    int64_t max_attempts;
    bool buried; /* the job had used up its attempts in expired leases: now dead */
    bool found;
    char id[37];
    char *queue;
    char *payload;
    int64_t attempts;
};

static void claim_reset(struct claim *cl)
{
    cl->found = false;
    cl->buried = false;
    egov_free(cl->queue);
    egov_free(cl->payload);
    cl->queue = NULL;
    cl->payload = NULL;
}

struct finish {
    int64_t now;
    const char *id;
    int64_t attempts;
    const char *state;
    int64_t run_at;
    const char *error;
    bool fenced; /* the claim was lost: another node re-claimed the job */
};

static enum egov_db_qs finish_body(struct egov_db_conn *c, void *cls)
{
    struct finish *f = cls;
    const struct egov_db_param params[] = {
        EGOV_DB_PARAM_INT64(f->now),
        EGOV_DB_PARAM_TEXT(f->id),
        EGOV_DB_PARAM_INT64(f->attempts),
        EGOV_DB_PARAM_TEXT(f->state),
        EGOV_DB_PARAM_INT64(f->run_at),
        EGOV_DB_PARAM_TEXT(f->error),
        EGOV_DB_PARAM_END,
    };
    enum egov_db_qs qs = egov_db_exec(c, &st_finish, params);

    f->fenced = qs == EGOV_DB_NO_ROW;
    return qs;
}

static enum egov_db_qs claim_body(struct egov_db_conn *c, void *cls)
{
    struct claim *cl = cls;
    const struct egov_db_param pick[] = {EGOV_DB_PARAM_INT64(cl->now),
                                         EGOV_DB_PARAM_TEXT(cl->queues), EGOV_DB_PARAM_END};
    const struct egov_db_param take[] = {EGOV_DB_PARAM_INT64(cl->now), EGOV_DB_PARAM_TEXT(cl->node),
                                         EGOV_DB_PARAM_INT64(cl->until), EGOV_DB_PARAM_TEXT(cl->id),
                                         EGOV_DB_PARAM_END};
    struct egov_db_rows *rows = NULL;
    enum egov_db_qs qs;
    const char *id;

    claim_reset(cl);
    qs = egov_db_query(c, &st_pick, pick, &rows);
    if (qs <= 0)
        goto out;
    id = egov_db_rows_text(rows, 0, 0);
    if (id == NULL || strlen(id) >= sizeof(cl->id)) {
        egov_db_set_error(c, "a job has a malformed id");
        qs = EGOV_DB_HARD_ERROR;
        goto out;
    }
    memcpy(cl->id, id, strlen(id) + 1);
    egov_db_rows_free(rows);
    rows = NULL;
    qs = egov_db_query(c, &st_take, take, &rows);
    if (qs <= 0)
        goto out;
    cl->queue = egov_strdup(egov_db_rows_text(rows, 0, 0));
    cl->payload = egov_strdup(egov_db_rows_text(rows, 0, 1));
    cl->attempts = egov_db_rows_int64(rows, 0, 2);
    if (cl->queue == NULL || cl->payload == NULL) {
        egov_db_set_error(c, "out of memory claiming a job");
        qs = EGOV_DB_HARD_ERROR;
        goto out;
    }
    if (cl->attempts > cl->max_attempts) {
        /*
         * Every earlier claim ran out its lease (the node died or the
         * handler outran the lease): those were the attempts.  Running it
         * again could take this node down too.
         */
        char why[96];
        struct finish f = {cl->now, cl->id, cl->attempts, "dead", cl->now, why, false};

        (void)snprintf(why, sizeof(why), "gave up after %lld attempts whose leases expired",
                       (long long)(cl->attempts - 1));
        qs = finish_body(c, &f);
        if (qs < 0)
            goto out;
        cl->buried = true;
        goto out;
    }
    cl->found = true;
out:
    egov_db_rows_free(rows);
    return qs;
}

/* Delay before attempt @p attempts + 1: exponential with up to 25 % jitter. */
static int64_t retry_delay_us(int64_t attempts)
{
    int64_t d = RETRY_BASE_US;
    uint32_t rnd = 0;
    int64_t i;

    for (i = 1; i < attempts && d < RETRY_CAP_US; i++)
        d *= 2;
    if (d > RETRY_CAP_US)
        d = RETRY_CAP_US;
    if (!egov_random(&rnd, sizeof(rnd)))
        rnd = (uint32_t)egov_mono_us();
    return d + (int64_t)(rnd % (uint32_t)(d / 4 + 1));
}

static void default_node_id(char *out, size_t outlen)
{
    char host[64];

    if (gethostname(host, sizeof(host)) != 0)
        (void)snprintf(host, sizeof(host), "node");
    host[sizeof(host) - 1] = '\0';
    (void)snprintf(out, outlen, "%s:%ld", host, (long)getpid());
}

int egov_jobs_run_one(struct egov_db *db, const char *node_id, unsigned int lease_ms,
                      unsigned int max_attempts)
{
    struct claim cl = {0};
    struct finish f = {0};
    struct egov_db_conn *c = NULL;
    char node[128];
    char errbuf[96];
    egov_job_fn fn = NULL;
    void *fcls = NULL;
    enum egov_job_result res;
    enum egov_db_qs qs;
    int ret = -1;

    if (lease_ms == 0)
        lease_ms = DEFAULT_LEASE_MS;
    if (max_attempts == 0)
        max_attempts = DEFAULT_MAX_ATTEMPTS;
    if (node_id == NULL || node_id[0] == '\0') {
        default_node_id(node, sizeof(node));
        node_id = node;
    }
    cl.queues = queue_list_json();
    if (cl.queues == NULL) {
        ret = 0; /* nothing registered, nothing to run */
        goto out;
    }
    cl.node = node_id;
    cl.max_attempts = (int64_t)max_attempts;
    cl.now = egov_now_us();
    cl.until = cl.now + (int64_t)lease_ms * 1000;
    c = egov_db_acquire(db, JOB_ACQUIRE_MS);
    if (c == NULL)
        goto out;
    qs = egov_db_txn_iso(c, true, EGOV_DB_ISO_READ_COMMITTED, JOB_TXN_RETRIES, claim_body, &cl);
    if (qs < 0)
        egov_warn("claiming a job failed: %s", egov_db_errmsg(c));
    egov_db_release(c);
    c = NULL;
    if (qs < 0)
        goto out;
    if (cl.buried) {
        egov_warn("job %s: gave up after %lld expired leases", cl.id, (long long)(cl.attempts - 1));
        atomic_fetch_add(&jobs_failed, 1);
        ret = 1;
        goto out;
    }
    if (!cl.found) {
        ret = 0;
        goto out;
    }

    /* Run the handler outside any transaction. */
    if (find_queue(cl.queue, &fn, &fcls))
        res = fn(db, cl.id, cl.payload, fcls);
    else
        res = EGOV_JOB_RETRY;

    f.now = egov_now_us();
    f.id = cl.id;
    f.attempts = cl.attempts;
    f.run_at = f.now;
    switch (res) {
    case EGOV_JOB_DONE:
        f.state = "done";
        break;
    case EGOV_JOB_FAIL:
        f.state = "dead";
        (void)snprintf(errbuf, sizeof(errbuf), "attempt %lld failed", (long long)cl.attempts);
        f.error = errbuf;
        break;
    default:
        if (cl.attempts >= (int64_t)max_attempts) {
            f.state = "dead";
            (void)snprintf(errbuf, sizeof(errbuf), "gave up after %lld attempts",
                           (long long)cl.attempts);
        } else {
            f.state = "pending";
            f.run_at = f.now + retry_delay_us(cl.attempts);
            (void)snprintf(errbuf, sizeof(errbuf), "attempt %lld asked for a retry",
                           (long long)cl.attempts);
        }
        f.error = errbuf;
        break;
    }
    atomic_fetch_add(&jobs_processed, 1);
    if (res != EGOV_JOB_DONE)
        atomic_fetch_add(&jobs_failed, 1);
    c = egov_db_acquire(db, JOB_ACQUIRE_MS);
    if (c == NULL) {
        egov_warn("job %s ran but no connection was free to record it", cl.id);
        goto out;
    }
    qs = egov_db_txn_iso(c, true, EGOV_DB_ISO_READ_COMMITTED, JOB_TXN_RETRIES, finish_body, &f);
    if (qs < 0) {
        egov_warn("recording job %s failed: %s", cl.id, egov_db_errmsg(c));
        goto out;
    }
    if (f.fenced)
        egov_warn("job %s: lease lost before it finished; another claim owns it now", cl.id);
    ret = 1;
out:
    egov_db_release(c);
    claim_reset(&cl);
    free(cl.queues);
    return ret;
}

/* ------------------------------------------------------------------ */
/* Worker threads                                                       */
/* ------------------------------------------------------------------ */

struct egov_jobs {
    struct egov_db *db;
    struct egov_jobs_options opt;
    char node_id[128];
    pthread_t *threads;
    unsigned int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
};

static void *worker_main(void *arg)
{
    struct egov_jobs *j = arg;
    struct timespec deadline;
    bool stop = false;
    int r;

    while (!stop) {
        r = egov_jobs_run_one(j->db, j->node_id, j->opt.lease_ms, j->opt.max_attempts);
        pthread_mutex_lock(&j->mu);
        if (r != 1 && !j->stop) {
            clock_gettime(CLOCK_REALTIME, &deadline);
            deadline.tv_sec += (time_t)(j->opt.poll_ms / 1000u);
            deadline.tv_nsec += (long)(j->opt.poll_ms % 1000u) * 1000000L;
            if (deadline.tv_nsec >= 1000000000L) {
                deadline.tv_sec++;
                deadline.tv_nsec -= 1000000000L;
            }
            (void)pthread_cond_timedwait(&j->cv, &j->mu, &deadline);
        }
        stop = j->stop;
        pthread_mutex_unlock(&j->mu);
    }
    return NULL;
}

struct egov_jobs *egov_jobs_start(struct egov_db *db, const struct egov_jobs_options *opt)
{
    struct egov_jobs *j = egov_calloc(1, sizeof(*j));
    unsigned int i;
    int n;

    if (j == NULL || db == NULL)
        goto fail;
    j->db = db;
    if (opt != NULL)
        j->opt = *opt;
    if (j->opt.workers == 0)
        j->opt.workers = DEFAULT_WORKERS;
    if (j->opt.workers > MAX_WORKERS)
        j->opt.workers = MAX_WORKERS;
    if (j->opt.poll_ms == 0)
        j->opt.poll_ms = DEFAULT_POLL_MS;
    if (j->opt.lease_ms == 0)
        j->opt.lease_ms = DEFAULT_LEASE_MS;
    if (j->opt.max_attempts == 0)
        j->opt.max_attempts = DEFAULT_MAX_ATTEMPTS;
    if (j->opt.node_id != NULL && j->opt.node_id[0] != '\0') {
        n = snprintf(j->node_id, sizeof(j->node_id), "%s", j->opt.node_id);
        if (n < 0 || (size_t)n >= sizeof(j->node_id)) {
            egov_error("job node id is too long");
            goto fail;
        }
    } else {
        default_node_id(j->node_id, sizeof(j->node_id));
    }
    j->opt.node_id = j->node_id;
    j->threads = egov_calloc(j->opt.workers, sizeof(*j->threads));
    if (j->threads == NULL)
        goto fail;
    if (pthread_mutex_init(&j->mu, NULL) != 0)
        goto fail;
    if (pthread_cond_init(&j->cv, NULL) != 0) {
        pthread_mutex_destroy(&j->mu);
        goto fail;
    }
    for (i = 0; i < j->opt.workers; i++) {
        if (pthread_create(&j->threads[i], NULL, worker_main, j) != 0) {
            egov_error("cannot start job worker %u", i + 1);
            egov_jobs_stop(j);
            return NULL;
        }
        j->started++;
    }
    return j;
fail:
    if (j != NULL)
        egov_free(j->threads);
    egov_free(j);
    return NULL;
}

void egov_jobs_stop(struct egov_jobs *j)
{
    unsigned int i;

    if (j == NULL)
        return;
    pthread_mutex_lock(&j->mu);
    j->stop = true;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
    for (i = 0; i < j->started; i++)
        pthread_join(j->threads[i], NULL);
    pthread_cond_destroy(&j->cv);
    pthread_mutex_destroy(&j->mu);
    egov_free(j->threads);
    egov_free(j);
}

bool egov_jobs_stats(struct egov_db *db, struct egov_jobs_stats *out)
{
    struct egov_db_conn *c = egov_db_acquire(db, JOB_ACQUIRE_MS);
    struct egov_db_rows *rows = NULL;
    bool ok = false;
    size_t i;

    memset(out, 0, sizeof(*out));
    out->processed = atomic_load(&jobs_processed);
    out->failed = atomic_load(&jobs_failed);
    if (c == NULL)
        goto out;
    if (egov_db_query(c, &st_stats, NULL, &rows) < 0)
        goto out;
    for (i = 0; i < egov_db_rows_count(rows); i++) {
        const char *state = egov_db_rows_text(rows, i, 0);
        unsigned long long n = (unsigned long long)egov_db_rows_int64(rows, i, 1);

        if (state == NULL)
            continue;
        if (strcmp(state, "pending") == 0)
            out->pending = n;
        else if (strcmp(state, "running") == 0)
            out->running = n;
        else if (strcmp(state, "done") == 0)
            out->done = n;
        else if (strcmp(state, "dead") == 0)
            out->dead = n;
    }
    ok = true;
out:
    egov_db_rows_free(rows);
    egov_db_release(c);
    return ok;
}
