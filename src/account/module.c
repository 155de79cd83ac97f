/*
 * module.c -- the account module's descriptor: its tables, start-up (mail
 * job handler, the caller resolver for authz, the accounting guard) and
 * the `egov account` verb.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "account/account_int.h"
#include "accounting/accounting.h"
#include "authz/authz.h"
#include "oid/oid.h"

static const struct egov_db_migration account_list[] = {
    {1, "accounts, sessions, tokens, audit, throttling, mailbox",
     "CREATE TABLE account ("
     " id TEXT PRIMARY KEY,"
     " principal_id TEXT NOT NULL UNIQUE,"
     " national_id TEXT UNIQUE,"
     " email TEXT UNIQUE,"
     " name TEXT NOT NULL,"
     " password_hash TEXT,"
     " state TEXT NOT NULL CHECK (state IN ('pending', 'active', 'deactivated')),"
     " email_verified BIGINT NOT NULL DEFAULT 0,"
     " totp_secret TEXT,"
     " totp_enabled BIGINT NOT NULL DEFAULT 0,"
     " totp_last_step BIGINT NOT NULL DEFAULT 0,"
     " failed_count BIGINT NOT NULL DEFAULT 0,"
     " locked_until BIGINT NOT NULL DEFAULT 0,"
     " created_at BIGINT NOT NULL,"
     " updated_at BIGINT NOT NULL);"
     "CREATE TABLE account_session ("
     " id TEXT PRIMARY KEY,"
     " token_hash TEXT NOT NULL UNIQUE,"
     " account_id TEXT NOT NULL REFERENCES account (id),"
     " auth_time BIGINT NOT NULL,"
     " amr TEXT NOT NULL,"
     " acr TEXT NOT NULL,"
     " created_at BIGINT NOT NULL,"
     " last_seen BIGINT NOT NULL,"
     " expires_at BIGINT NOT NULL,"
     " revoked_at BIGINT,"
     " client_addr TEXT NOT NULL DEFAULT '',"
     " user_agent TEXT NOT NULL DEFAULT '');"
     "CREATE INDEX account_session_account ON account_session (account_id);"
     "CREATE TABLE account_login ("
     " token_hash TEXT PRIMARY KEY,"
     " account_id TEXT NOT NULL REFERENCES account (id),"
     " amr TEXT NOT NULL,"
     " attempts BIGINT NOT NULL DEFAULT 0,"
     " created_at BIGINT NOT NULL,"
     " expires_at BIGINT NOT NULL);"
     "CREATE TABLE account_token ("
     " token_hash TEXT PRIMARY KEY,"
     " account_id TEXT NOT NULL REFERENCES account (id),"
     " purpose TEXT NOT NULL CHECK (purpose IN ('verify', 'reset')),"
     " created_at BIGINT NOT NULL,"
     " expires_at BIGINT NOT NULL,"
     " used_at BIGINT);"
     "CREATE TABLE account_recovery ("
     " account_id TEXT NOT NULL REFERENCES account (id),"
     " code_hash TEXT NOT NULL,"
     " created_at BIGINT NOT NULL,"
     " used_at BIGINT,"
     " PRIMARY KEY (account_id, code_hash));"
     "CREATE TABLE account_throttle ("
     " key TEXT PRIMARY KEY,"
     " window_start BIGINT NOT NULL,"
     " count BIGINT NOT NULL);"
     "CREATE TABLE account_audit ("
     " id TEXT PRIMARY KEY,"
     " at BIGINT NOT NULL,"
     " actor TEXT NOT NULL,"
     " event TEXT NOT NULL,"
     " account_id TEXT,"
     " client_addr TEXT NOT NULL,"
     " request_id TEXT NOT NULL,"
     " detail TEXT);"
     "CREATE INDEX account_audit_account ON account_audit (account_id, at);"
     "CREATE TABLE account_mailbox ("
     " id TEXT PRIMARY KEY,"
     " job_id TEXT NOT NULL UNIQUE,"
     " recipient TEXT NOT NULL,"
     " subject TEXT NOT NULL,"
     " body TEXT NOT NULL,"
     " link TEXT NOT NULL,"
     " created_at BIGINT NOT NULL);"
     "CREATE TABLE account_secret ("
     " name TEXT PRIMARY KEY,"
     " value TEXT NOT NULL,"
     " created_at BIGINT NOT NULL);",
     NULL},
    {2, "phone numbers",
     "ALTER TABLE account ADD COLUMN phone TEXT;"
     "ALTER TABLE account ADD COLUMN phone_verified BIGINT NOT NULL DEFAULT 0;"
     "CREATE UNIQUE INDEX account_phone ON account (phone);",
     NULL},
    {3, "phone verification codes",
     "CREATE TABLE account_phone_code ("
     " account_id TEXT PRIMARY KEY REFERENCES account (id),"
     " phone TEXT NOT NULL,"
     " code_hash TEXT NOT NULL,"
     " attempts BIGINT NOT NULL DEFAULT 0,"
     " created_at BIGINT NOT NULL,"
     " expires_at BIGINT NOT NULL);",
     NULL},
    {0, NULL, NULL, NULL},
};

static const struct egov_db_module_migrations account_migrations = {"account", account_list};

/* authz asks who is calling: the principal of the browser's session. */
static bool session_caller(struct egov_req *req, char subject[64])
{
    struct egov_account_session s;
    if (egov_account_session_current(req, &s) != EGOV_DB_ONE_ROW)
        return false;
    snprintf(subject, 64, "%s", s.principal_id);
    return true;
}

/* Usage reports: platform administrators, agency administrators, or a
 * role granting accounting.read on agency/<A>/accounting. */
static bool accounting_guard(struct egov_req *req, const char *agency)
{
    struct egov_account_session s;
    char reason[EGOV_AUTHZ_REASON_MAX];
    if (!egov_account_require(req, NULL, &s))
        return false;
    struct egov_db *db = egov_req_db(req);
    const char *scope = agency != NULL ? agency : "*";
    if (egov_authz_is_admin(db, s.principal_id, scope))
        return true;
    if (agency != NULL) {
        char *res = egov_arena_printf(req->arena, "agency/%s/accounting", agency);
        if (res != NULL && egov_authz_check(db, s.principal_id, "accounting.read", res, reason) ==
                               EGOV_AUTHZ_ALLOW)
            return true;
    }
    egov_reply_problem(req, EGOV_EC_GENERIC_FORBIDDEN, NULL, NULL);
    return false;
}

/* The OID registry and the directory ask who is calling: the session's
 * principal, with the agency it administers according to authz. */
static int oid_actor(struct egov_req *req, struct egov_oid_actor *out)
{
    struct egov_account_session s;
    char agency[64];
    enum egov_db_qs qs = egov_account_session_current(req, &s);
    if (qs != EGOV_DB_ONE_ROW)
        return 0; /* no session (or the database failed): let the next means try */
    memset(out, 0, sizeof *out);
    snprintf(out->subject, sizeof out->subject, "%s", s.principal_id);
    struct egov_db *db = egov_req_db(req);
    out->platform_admin = egov_authz_is_admin(db, s.principal_id, "*");
    if (egov_authz_admin_agency(db, s.principal_id, agency) && strcmp(agency, "*") != 0 &&
        strlen(agency) < sizeof out->agency_id)
        memcpy(out->agency_id, agency, strlen(agency) + 1);
    return 1;
}

static bool account_init(const struct egov_module_env *env)
{
    account_set_public_url(env->cfg->public_url);
    account_set_dev_mailbox(env->cfg->account_dev_mailbox);
    account_csrf_reset();
    account_secret_key_set(NULL);
    /* TOTP secrets are always sealed: under account.secret_key_file, or a key
     * file in the node's var directory made on first start */
    char key_path[1024];
    bool dflt = env->cfg->account_secret_key_file[0] == '\0';
    if (!account_secret_key_path(env->cfg->account_secret_key_file, env->cfg->vardir, key_path,
                                 sizeof key_path)) {
        egov_error("account: the path of the key for TOTP secrets is too long");
        return false;
    }
    if (dflt && env->cfg->vardir[0] != '\0' && mkdir(env->cfg->vardir, 0750) != 0 &&
        errno != EEXIST) {
        egov_error("account: cannot create %s: %s", env->cfg->vardir, strerror(errno));
        return false;
    }
    if (!account_secret_key_load(key_path, dflt))
        return false;
    if (!account_blocklist_load(env->cfg->account_password_blocklist_file))
        return false;
    if (env->db != NULL) {
        int64_t n = account_secret_seal_all(env->db);
        if (n < 0)
            egov_warn("account: TOTP secrets stored in clear could not be sealed now; each is "
                      "sealed at its next use");
        else if (n > 0)
            egov_info("account: sealed %lld TOTP secrets stored in clear", (long long)n);
    }
    egov_accounting_set_guard(accounting_guard);
    egov_http_set_viewer(account_session_peek);
    egov_oid_set_actor_resolver(oid_actor);
    egov_oid_set_csrf(egov_account_csrf_token, egov_account_csrf_check);
    if (!egov_jobs_register(ACCOUNT_MAIL_QUEUE, account_mail_job, NULL) ||
        !egov_jobs_register(ACCOUNT_CLEANUP_QUEUE, account_cleanup_job, NULL) ||
        !egov_authz_register_caller(session_caller)) {
        egov_error("account: cannot register the job handlers or the caller resolver");
        return false;
    }
    if (env->db != NULL && !account_cleanup_schedule(env->db, 60u * 1000u))
        egov_warn("account: the clean-up job could not be scheduled now");
    return true;
}

static const struct egov_module_cli account_cli[] = {
    {"account", "accounts: add, show, unlock (egov account --help)", account_cli_run},
    {NULL, NULL, NULL},
};

const struct egov_module egov_account_module = {
    .name = "account",
    .migrations = &account_migrations,
    .routes = &account_routes,
    .init = account_init,
    .cli = account_cli,
};
