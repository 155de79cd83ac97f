/*
 * migrate.c -- numbered schema migrations per module, recorded in
 * egov_schema.  Each migration runs in its own transaction; on PostgreSQL
 * an advisory transaction lock serialises nodes migrating at once, on
 * SQLite the single write lock (BEGIN IMMEDIATE) does.
 */
#include <stdio.h>
#include <string.h>

#include "store/store_int.h"

#define MAX_MODULES     64u
#define MIGRATE_RETRIES 10u
#define MIGRATE_WAIT_MS 30000u
/* Advisory lock key: "egovmigr" in ASCII. */
#define MIGRATE_LOCK_KEY 0x65676f766d696772LL

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static const struct egov_db_module_migrations *registry[MAX_MODULES];
static unsigned int n_registered;

bool egov_db_register_migrations(const struct egov_db_module_migrations *m)
{
    unsigned int i;
    bool ok = false;

    if (m == NULL || m->module == NULL || m->list == NULL)
        return false;
    pthread_mutex_lock(&registry_mu);
    for (i = 0; i < n_registered; i++) {
        if (registry[i] == m || strcmp(registry[i]->module, m->module) == 0) {
            ok = registry[i] == m;
            if (!ok)
                EGOV_BUG("two migration lists registered for module %s", m->module);
            goto out;
        }
    }
    if (n_registered < MAX_MODULES) {
        registry[n_registered++] = m;
        ok = true;
    }
out:
    pthread_mutex_unlock(&registry_mu);
    return ok;
}

static const struct egov_db_stmt st_lock = {"egov_migrate_lock", "SELECT 1",
                                            "SELECT pg_advisory_xact_lock($1)"};
static const struct egov_db_stmt st_applied = {
    "egov_migrate_applied", "SELECT module, version FROM egov_schema ORDER BY module, version",
    NULL};
static const struct egov_db_stmt st_is_applied = {
    "egov_migrate_is_applied", "SELECT 1 FROM egov_schema WHERE module = $1 AND version = $2",
    NULL};
static const struct egov_db_stmt st_record = {
    "egov_migrate_record",
    "INSERT INTO egov_schema (module, version, description, applied_at) VALUES ($1, $2, $3, $4)",
    NULL};

static const char schema_sql[] = "CREATE TABLE IF NOT EXISTS egov_schema ("
                                 " module TEXT NOT NULL,"
                                 " version BIGINT NOT NULL,"
                                 " description TEXT NOT NULL,"
                                 " applied_at BIGINT NOT NULL,"
                                 " PRIMARY KEY (module, version))";

/* Takes the migration lock (PostgreSQL) and makes sure egov_schema exists. */
static enum egov_db_qs lock_schema(struct egov_db_conn *c)
{
    const struct egov_db_param lock[] = {EGOV_DB_PARAM_INT64(MIGRATE_LOCK_KEY), EGOV_DB_PARAM_END};
    enum egov_db_qs qs;

    if (c->db->kind == EGOV_DB_POSTGRES) {
        qs = egov_db_exec(c, &st_lock, lock);
        if (qs < 0)
            return qs;
    }
    return egov_db_exec_script(c, schema_sql);
}

struct read_applied {
    struct egov_db_rows *rows;
};

static enum egov_db_qs read_applied_body(struct egov_db_conn *c, void *cls)
{
    struct read_applied *ra = cls;
    enum egov_db_qs qs = lock_schema(c);

    if (qs < 0)
        return qs;
    egov_db_rows_free(ra->rows);
    ra->rows = NULL;
    return egov_db_query(c, &st_applied, NULL, &ra->rows);
}

static bool is_in(const struct egov_db_rows *rows, const char *module, unsigned int version)
{
    size_t i;

    for (i = 0; i < egov_db_rows_count(rows); i++) {
        if (strcmp(egov_db_rows_text(rows, i, 0), module) == 0 &&
            egov_db_rows_int64(rows, i, 1) == (int64_t)version)
            return true;
    }
    return false;
}

struct apply {
    const char *module;
    const struct egov_db_migration *mig;
    bool skipped;
};

static enum egov_db_qs apply_body(struct egov_db_conn *c, void *cls)
{
    struct apply *a = cls;
    const struct egov_db_param key[] = {EGOV_DB_PARAM_TEXT(a->module),
                                        EGOV_DB_PARAM_INT64(a->mig->version), EGOV_DB_PARAM_END};
    const struct egov_db_param rec[] = {
        EGOV_DB_PARAM_TEXT(a->module), EGOV_DB_PARAM_INT64(a->mig->version),
        EGOV_DB_PARAM_TEXT(a->mig->description != NULL ? a->mig->description : ""),
        EGOV_DB_PARAM_INT64(egov_now_us()), EGOV_DB_PARAM_END};
    const char *sql = a->mig->sql;
    enum egov_db_qs qs;

    a->skipped = false;
    qs = lock_schema(c);
    if (qs < 0)
        return qs;
    /* Another node may have applied it while we waited for the lock. */
    qs = egov_db_exec(c, &st_is_applied, key);
    if (qs != EGOV_DB_NO_ROW) {
        a->skipped = qs > 0;
        return qs;
    }
    if (c->db->kind == EGOV_DB_POSTGRES && a->mig->sql_pg != NULL)
        sql = a->mig->sql_pg;
    if (sql != NULL && sql[0] != '\0') {
        qs = egov_db_exec_script(c, sql);
        if (qs < 0)
            return qs;
    }
    return egov_db_exec(c, &st_record, rec);
}

/* Checks that a module's versions run 1, 2, 3 ... */
static bool check_numbering(const struct egov_db_module_migrations *m, char *err, size_t errlen)
{
    unsigned int i;

    for (i = 0; m->list[i].version != 0; i++) {
        if (m->list[i].version != i + 1) {
            (void)snprintf(err, errlen,
                           "The migrations of module %s are not numbered 1, 2, 3... (found %u "
                           "at position %u).",
                           m->module, m->list[i].version, i + 1);
            return false;
        }
    }
    return true;
}

int egov_db_migrate(struct egov_db *db, egov_db_migrate_progress progress, void *cls, char *err,
                    size_t errlen)
{
    const struct egov_db_module_migrations *mods[MAX_MODULES + 1];
    unsigned int nmods = 0;
    unsigned int i;
    unsigned int k;
    unsigned int total = 0;
    unsigned int done = 0;
    int applied = -1;
    struct read_applied ra = {NULL};
    struct egov_db_conn *c = NULL;
    enum egov_db_qs qs;

    if (err != NULL && errlen > 0)
        err[0] = '\0';
    /* The store's own tables come first; then modules in registration order. */
    mods[nmods++] = &egov_store_migrations;
    pthread_mutex_lock(&registry_mu);
    for (i = 0; i < n_registered; i++) {
        if (strcmp(registry[i]->module, egov_store_migrations.module) != 0)
            mods[nmods++] = registry[i];
    }
    pthread_mutex_unlock(&registry_mu);
    for (i = 0; i < nmods; i++) {
        if (!check_numbering(mods[i], err, errlen))
            goto out;
    }
    c = egov_db_acquire(db, MIGRATE_WAIT_MS);
    if (c == NULL) {
        (void)snprintf(err, errlen, "No database connection is available for migrations.");
        goto out;
    }
    qs = egov_db_txn_iso(c, true, EGOV_DB_ISO_READ_COMMITTED, MIGRATE_RETRIES, read_applied_body,
                         &ra);
    if (qs < 0) {
        (void)snprintf(err, errlen, "Cannot read the schema table egov_schema: %s.",
                       egov_db_errmsg(c));
        goto out;
    }
    for (i = 0; i < nmods; i++) {
        for (k = 0; mods[i]->list[k].version != 0; k++) {
            if (!is_in(ra.rows, mods[i]->module, mods[i]->list[k].version))
                total++;
        }
    }
    applied = 0;
    for (i = 0; i < nmods; i++) {
        for (k = 0; mods[i]->list[k].version != 0; k++) {
            struct apply a = {mods[i]->module, &mods[i]->list[k], false};

            if (is_in(ra.rows, a.module, a.mig->version))
                continue;
            if (progress != NULL)
                progress(a.module, a.mig->version, a.mig->description, done, total, cls);
            qs = egov_db_txn_iso(c, true, EGOV_DB_ISO_READ_COMMITTED, MIGRATE_RETRIES, apply_body,
                                 &a);
            if (qs < 0) {
                (void)snprintf(err, errlen, "Migration %s %u (%s) failed: %s.", a.module,
                               a.mig->version, a.mig->description != NULL ? a.mig->description : "",
                               egov_db_errmsg(c));
                applied = -1;
                goto out;
            }
            done++;
            if (!a.skipped) {
                applied++;
                egov_info("applied migration %s %u: %s", a.module, a.mig->version,
                          a.mig->description != NULL ? a.mig->description : "");
            }
        }
    }
out:
    egov_db_rows_free(ra.rows);
    egov_db_release(c);
    return applied;
}
