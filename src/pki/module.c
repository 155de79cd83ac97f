/*
 * module.c -- the pki module's descriptor, start-up, and the job that
 * keeps CRLs fresh.
 */
#include <string.h>

#include "pki/pki_int.h"

static const struct egov_db_stmt st_crl_job_pending = {
    "pki_crl_job_pending",
    "SELECT COUNT(*) FROM egov_job WHERE queue = 'pki.crl' AND state IN ('pending', 'running')"
    " AND id <> $1",
    NULL};
static const struct egov_db_stmt st_ca_count = {"pki_ca_count", "SELECT COUNT(*) FROM pki_ca",
                                                NULL};

enum egov_db_qs pki_crl_job_schedule(struct egov_db_conn *c, const char *self,
                                     unsigned int delay_ms)
{
    struct egov_db_rows *rows = NULL;
    struct egov_db_param none[] = {EGOV_DB_PARAM_END};
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(self), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_ca_count, none, &rows);
    int64_t n = qs > 0 ? egov_db_rows_int64(rows, 0, 0) : 0;

    egov_db_rows_free(rows);
    rows = NULL;
    if (qs < 0 || n == 0) /* no hierarchy, no CRLs to renew */
        return qs < 0 ? qs : EGOV_DB_NO_ROW;
    qs = egov_db_query(c, &st_crl_job_pending, p, &rows);
    n = qs > 0 ? egov_db_rows_int64(rows, 0, 0) : 0;
    egov_db_rows_free(rows);
    if (qs < 0 || n > 0)
        return qs < 0 ? qs : EGOV_DB_NO_ROW;
    return egov_job_enqueue(c, EGOV_PKI_CRL_QUEUE, "{}", delay_ms, NULL);
}

struct schedule_txn {
    const char *self;
    unsigned int delay_ms;
};

static enum egov_db_qs schedule_body(struct egov_db_conn *c, void *cls)
{
    const struct schedule_txn *t = cls;

    return pki_crl_job_schedule(c, t->self, t->delay_ms);
}

/* Enqueues the next CRL run unless another one (not @p self) is pending. */
static bool schedule(struct egov_db *db, const char *self, unsigned int delay_ms)
{
    struct schedule_txn t = {self, delay_ms};
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    enum egov_db_qs qs;

    if (c == NULL)
        return false;
    qs = egov_db_txn(c, true, 10, schedule_body, &t);
    egov_db_release(c);
    return qs >= 0;
}

bool pki_crl_job_ensure(struct egov_db *db)
{
    return schedule(db, "", PKI_CRL_JOB_EVERY_MS);
}

enum egov_job_result pki_crl_job(struct egov_db *db, const char *job_id, const char *payload,
                                 void *cls)
{
    char err[256] = "";
    enum egov_ec ec;

    (void)payload;
    (void)cls;
    if (pki_keystore() != NULL) {
        ec = egov_pki_crl_refresh(db, false, err, sizeof(err));
        if (ec != EGOV_EC_NONE && ec != EGOV_EC_PKI_NOT_INITIALISED) {
            egov_warn("pki: CRL refresh failed: %s %s", egov_ec_name(ec), err);
            return EGOV_JOB_RETRY;
        }
    } else
        egov_warn("pki: CRL renewal due, but this node has no CA keys");
    return schedule(db, job_id, PKI_CRL_JOB_EVERY_MS) ? EGOV_JOB_DONE : EGOV_JOB_RETRY;
}

static bool pki_init(const struct egov_module_env *env)
{
    char err[256] = "";

    if (!egov_pki_open(env->cfg->vardir, false, err, sizeof(err)))
        egov_warn("pki: CA keys are not available on this node (%s); issuing, CRL and OCSP "
                  "answer 503 here",
                  err);
    if (!egov_jobs_register(EGOV_PKI_CRL_QUEUE, pki_crl_job, NULL))
        return false;
    if (env->db != NULL && !pki_crl_job_ensure(env->db)) {
        egov_error("pki: cannot schedule the CRL job");
        return false;
    }
    return true;
}

static void pki_fini(void)
{
    egov_pki_close();
}

const struct egov_module egov_pki_module = {
    .name = "pki",
    .migrations = &pki_migrations,
    .routes = &pki_routes,
    .init = pki_init,
    .fini = pki_fini,
    .cli = pki_cli,
};
