/*
 * module.c -- the pki module's descriptor, start-up, and the job that
 * keeps CRLs fresh.
 */
#include <string.h>

#include "pki/pki_int.h"

#define CRL_JOB_EVERY_MS (3600u * 1000u) /* CRLs live 24 h and are renewed at half-life */

static const struct egov_db_stmt st_crl_job_pending = {
    "pki_crl_job_pending",
    "SELECT COUNT(*) FROM egov_job WHERE queue = 'pki.crl' AND state IN ('pending', 'running')"
    " AND id <> $1",
    NULL};

struct ensure_txn {
    const char *self;
    unsigned int delay_ms;
};

static enum egov_db_qs ensure_body(struct egov_db_conn *c, void *cls)
{
    const struct ensure_txn *t = cls;
    struct egov_db_rows *rows = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->self), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_crl_job_pending, p, &rows);
    int64_t pending = qs > 0 ? egov_db_rows_int64(rows, 0, 0) : 0;

    egov_db_rows_free(rows);
    if (qs < 0 || pending > 0)
        return qs < 0 ? qs : EGOV_DB_NO_ROW;
    return egov_job_enqueue(c, EGOV_PKI_CRL_QUEUE, "{}", t->delay_ms, NULL);
}

/* Enqueues the next CRL run unless another one (not @p self) is pending. */
static bool schedule(struct egov_db *db, const char *self, unsigned int delay_ms)
{
    struct ensure_txn t = {self, delay_ms};
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    enum egov_db_qs qs;

    if (c == NULL)
        return false;
    qs = egov_db_txn(c, true, 10, ensure_body, &t);
    egov_db_release(c);
    return qs >= 0;
}

bool pki_crl_job_ensure(struct egov_db *db)
{
    return schedule(db, "", 0);
}

enum egov_job_result pki_crl_job(struct egov_db *db, const char *job_id, const char *payload,
                                 void *cls)
{
    char err[256] = "";
    enum egov_ec ec;

    (void)payload;
    (void)cls;
    if (pki_keystore() == NULL)
        return EGOV_JOB_RETRY; /* a node with the CA keys will take it */
    ec = egov_pki_crl_refresh(db, false, err, sizeof(err));
    if (ec != EGOV_EC_NONE && ec != EGOV_EC_PKI_NOT_INITIALISED) {
        egov_warn("pki: CRL refresh failed: %s %s", egov_ec_name(ec), err);
        return EGOV_JOB_RETRY;
    }
    return schedule(db, job_id, CRL_JOB_EVERY_MS) ? EGOV_JOB_DONE : EGOV_JOB_RETRY;
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
