/*
 * cleanup.c -- the hourly clean-up job of the account module: sessions a
 * day past their end, used or expired tokens, phone codes and sign-in
 * steps, and throttle windows long closed.  The audit log is kept.  The job
 * re-enqueues itself; a node that starts enqueues it unless one is
 * already waiting, so the nodes of a cluster share one chain.
 */
#include <stdio.h>

#include "account/account_int.h"

#define CLEANUP_INTERVAL_MS (60u * 60u * 1000u)
#define CLEANUP_GRACE_US    (24LL * 3600 * 1000000) /* keep ended sessions a day for the list */

static const struct egov_db_stmt st_pending = {
    "account_cleanup_pending",
    "SELECT COUNT(*) FROM egov_job WHERE queue = $1 AND state = 'pending'", NULL};
static const struct egov_db_stmt st_sessions = {
    "account_cleanup_sessions",
    "DELETE FROM account_session WHERE expires_at < $1 OR revoked_at < $1 OR last_seen < $2", NULL};
static const struct egov_db_stmt st_tokens = {
    "account_cleanup_tokens", "DELETE FROM account_token WHERE expires_at < $1", NULL};
static const struct egov_db_stmt st_logins = {
    "account_cleanup_logins", "DELETE FROM account_login WHERE expires_at < $1", NULL};
static const struct egov_db_stmt st_phone_codes = {
    "account_cleanup_phone_codes", "DELETE FROM account_phone_code WHERE expires_at < $1", NULL};
static const struct egov_db_stmt st_throttle = {
    "account_cleanup_throttle", "DELETE FROM account_throttle WHERE window_start < $1", NULL};

struct sched_txn {
    unsigned int delay_ms;
};

static enum egov_db_qs sched_body(struct egov_db_conn *c, void *cls)
{
    struct sched_txn *t = cls;
    struct egov_db_rows *r = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(ACCOUNT_CLEANUP_QUEUE), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_pending, p, &r);
    int64_t pending = qs == EGOV_DB_ONE_ROW ? egov_db_rows_int64(r, 0, 0) : 0;
    egov_db_rows_free(r);
    if (qs < 0)
        return qs;
    if (pending > 0)
        return EGOV_DB_NO_ROW;
    return egov_job_enqueue(c, ACCOUNT_CLEANUP_QUEUE, "{}", t->delay_ms, NULL);
}

bool account_cleanup_schedule(struct egov_db *db, unsigned int delay_ms)
{
    struct sched_txn t = {delay_ms};
    return account_txn(db, true, sched_body, &t) >= 0;
}

struct clean_txn {
    int64_t now;
    int64_t removed;
};

static enum egov_db_qs clean_body(struct egov_db_conn *c, void *cls)
{
    struct clean_txn *t = cls;
    int64_t cut = t->now - CLEANUP_GRACE_US;
    struct egov_db_param s[] = {EGOV_DB_PARAM_INT64(cut),
                                EGOV_DB_PARAM_INT64(cut - ACCOUNT_SESSION_IDLE_US),
                                EGOV_DB_PARAM_END};
    struct egov_db_param one[] = {EGOV_DB_PARAM_INT64(t->now), EGOV_DB_PARAM_END};
    struct egov_db_param thr[] = {EGOV_DB_PARAM_INT64(t->now - 2 * ACCOUNT_ADDR_WINDOW_US),
                                  EGOV_DB_PARAM_END};
    t->removed = 0;
    enum egov_db_qs qs = egov_db_exec(c, &st_sessions, s);
    if (qs < 0)
        return qs;
    t->removed += qs;
    qs = egov_db_exec(c, &st_tokens, one);
    if (qs < 0)
        return qs;
    t->removed += qs;
    qs = egov_db_exec(c, &st_logins, one);
    if (qs < 0)
        return qs;
    t->removed += qs;
    qs = egov_db_exec(c, &st_phone_codes, one);
    if (qs < 0)
        return qs;
    t->removed += qs;
    qs = egov_db_exec(c, &st_throttle, thr);
    if (qs < 0)
        return qs;
    t->removed += qs;
    return EGOV_DB_ONE_ROW;
}

int64_t account_cleanup_run(struct egov_db *db, int64_t now)
{
    struct clean_txn t = {now, 0};
    return account_txn(db, true, clean_body, &t) < 0 ? -1 : t.removed;
}

enum egov_job_result account_cleanup_job(struct egov_db *db, const char *job_id,
                                         const char *payload, void *cls)
{
    (void)job_id;
    (void)payload;
    (void)cls;
    if (account_cleanup_run(db, egov_now_us()) < 0 ||
        !account_cleanup_schedule(db, CLEANUP_INTERVAL_MS))
        return EGOV_JOB_RETRY;
    return EGOV_JOB_DONE;
}
