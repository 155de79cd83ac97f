/*
 * pki_store.c -- the module's tables and the queries on CA and
 * certificate records; the process's key store handle.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "pki/pki_int.h"

static const struct egov_db_migration list[] = {
    {1, "certificate authorities, certificates, CRLs, login challenges",
     "CREATE TABLE pki_ca ("
     " name TEXT PRIMARY KEY,"
     " parent TEXT,"
     " key_name TEXT NOT NULL,"
     " cert_pem TEXT NOT NULL,"
     " serial TEXT NOT NULL,"
     " not_after BIGINT NOT NULL,"
     " base_url TEXT NOT NULL,"
     " crl_number BIGINT NOT NULL DEFAULT 0,"
     " created_at BIGINT NOT NULL);"
     "CREATE TABLE pki_cert ("
     " serial TEXT PRIMARY KEY,"
     " ca TEXT NOT NULL REFERENCES pki_ca (name),"
     " profile TEXT NOT NULL,"
     " subject TEXT NOT NULL,"
     " fingerprint TEXT NOT NULL UNIQUE,"
     " national_id TEXT,"
     " pseudonym TEXT,"
     " agency_code TEXT,"
     " system_id TEXT,"
     " cert_pem TEXT NOT NULL,"
     " not_before BIGINT NOT NULL,"
     " not_after BIGINT NOT NULL,"
     " status TEXT NOT NULL DEFAULT 'good' CHECK (status IN ('good', 'revoked')),"
     " revoked_at BIGINT,"
     " reason BIGINT,"
     " created_at BIGINT NOT NULL);"
     "CREATE INDEX pki_cert_revoked ON pki_cert (ca, status);"
     "CREATE INDEX pki_cert_national_id ON pki_cert (national_id);"
     "CREATE TABLE pki_crl ("
     " ca TEXT PRIMARY KEY REFERENCES pki_ca (name),"
     " number BIGINT NOT NULL,"
     " this_update BIGINT NOT NULL,"
     " next_update BIGINT NOT NULL,"
     " der BLOB NOT NULL);"
     "CREATE TABLE pki_challenge ("
     " id TEXT PRIMARY KEY,"
     " challenge TEXT NOT NULL,"
     " binding TEXT NOT NULL,"
     " expires_at BIGINT NOT NULL,"
     " used_at BIGINT);"
     "CREATE INDEX pki_challenge_expiry ON pki_challenge (expires_at);",
     NULL},
    {0, NULL, NULL, NULL},
};

const struct egov_db_module_migrations pki_migrations = {"pki", list};

static struct egov_keystore *keystore;
static char keystore_vardir[512]; /* for opening later, e.g. after `egov pki init` */
static pthread_mutex_t keystore_lock = PTHREAD_MUTEX_INITIALIZER;

void pki_say(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static bool open_locked(const char *vardir, bool create, char *err, size_t errlen);

struct egov_keystore *pki_keystore(void)
{
    struct egov_keystore *ks;
    char err[256];

    pthread_mutex_lock(&keystore_lock);
    if (keystore == NULL && keystore_vardir[0] != '\0')
        (void)open_locked(keystore_vardir, false, err, sizeof(err));
    ks = keystore;
    pthread_mutex_unlock(&keystore_lock);
    return ks;
}

static bool open_locked(const char *vardir, bool create, char *err, size_t errlen)
{
    char dir[600];
    int n;

    if (keystore != NULL)
        return true;
    if (vardir != keystore_vardir) {
        n = snprintf(keystore_vardir, sizeof(keystore_vardir), "%s", vardir);
        if (n < 0 || (size_t)n >= sizeof(keystore_vardir))
            keystore_vardir[0] = '\0';
    }
    n = snprintf(dir, sizeof(dir), "%s/pki", vardir);
    if (n < 0 || (size_t)n >= sizeof(dir)) {
        pki_say(err, errlen, "paths.var is too long");
        return false;
    }
    if (create && mkdir(vardir, 0750) != 0 && errno != EEXIST) {
        pki_say(err, errlen, "cannot create %s: %s", vardir, strerror(errno));
        return false;
    }
    if (create && mkdir(dir, 0700) != 0 && errno != EEXIST) {
        pki_say(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return false;
    }
    n = snprintf(dir, sizeof(dir), "%s/pki/keys", vardir);
    if (n < 0 || (size_t)n >= sizeof(dir))
        return false;
    keystore = egov_keystore_open(dir, create, err, errlen);
    return keystore != NULL;
}

bool egov_pki_open(const char *vardir, bool create, char *err, size_t errlen)
{
    bool ok;

    pthread_mutex_lock(&keystore_lock);
    ok = open_locked(vardir, create, err, errlen);
    pthread_mutex_unlock(&keystore_lock);
    return ok;
}

void egov_pki_close(void)
{
    pthread_mutex_lock(&keystore_lock);
    egov_keystore_close(keystore);
    keystore = NULL;
    keystore_vardir[0] = '\0';
    pthread_mutex_unlock(&keystore_lock);
}

enum egov_ec pki_db_ec(enum egov_db_qs qs)
{
    return qs == EGOV_DB_SOFT_ERROR ? EGOV_EC_DB_SOFT_ERROR : EGOV_EC_DB_HARD_ERROR;
}

static const struct egov_db_stmt st_ca_all = {
    "pki_ca_all",
    "SELECT name, COALESCE(parent, ''), key_name, cert_pem, base_url, crl_number FROM pki_ca"
    " ORDER BY created_at, name",
    NULL};
static const struct egov_db_stmt st_ca_one = {
    "pki_ca_one",
    "SELECT name, COALESCE(parent, ''), key_name, cert_pem, base_url, crl_number FROM pki_ca"
    " WHERE name = $1",
    NULL};

static bool copy_text(char *dst, size_t n, const char *src)
{
    size_t len = src == NULL ? 0 : strlen(src);

    if (len >= n)
        return false;
    memcpy(dst, src == NULL ? "" : src, len);
    dst[len] = '\0';
    return true;
}

static bool ca_from_row(const struct egov_db_rows *r, size_t i, struct pki_ca *ca)
{
    memset(ca, 0, sizeof(*ca));
    if (!copy_text(ca->name, sizeof(ca->name), egov_db_rows_text(r, i, 0)) ||
        !copy_text(ca->parent, sizeof(ca->parent), egov_db_rows_text(r, i, 1)) ||
        !copy_text(ca->key, sizeof(ca->key), egov_db_rows_text(r, i, 2)) ||
        !copy_text(ca->base_url, sizeof(ca->base_url), egov_db_rows_text(r, i, 4)))
        return false;
    ca->cert_pem = egov_strdup(egov_db_rows_text(r, i, 3));
    ca->crl_number = egov_db_rows_int64(r, i, 5);
    return ca->cert_pem != NULL;
}

int pki_ca_load_all(struct egov_db_conn *c, struct pki_ca out[PKI_MAX_CA])
{
    struct egov_db_rows *rows = NULL;
    struct egov_db_param none[] = {EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_ca_all, none, &rows);
    int n = 0;

    if (qs < 0)
        return -1;
    for (size_t i = 0; i < egov_db_rows_count(rows) && n < PKI_MAX_CA; i++) {
        if (!ca_from_row(rows, i, &out[n])) {
            pki_ca_free(out, (size_t)n + 1);
            n = -1;
            break;
        }
        n++;
    }
    egov_db_rows_free(rows);
    return n;
}

enum egov_db_qs pki_ca_load(struct egov_db_conn *c, const char *name, struct pki_ca *out)
{
    struct egov_db_rows *rows = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(name), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_ca_one, p, &rows);

    memset(out, 0, sizeof(*out));
    if (qs == EGOV_DB_ONE_ROW && !ca_from_row(rows, 0, out)) {
        pki_ca_free(out, 1);
        qs = EGOV_DB_HARD_ERROR;
    }
    egov_db_rows_free(rows);
    return qs;
}

void pki_ca_free(struct pki_ca *ca, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        egov_free(ca[i].cert_pem);
        ca[i].cert_pem = NULL;
    }
}

int pki_ca_find(const struct pki_ca *cas, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(cas[i].name, name) == 0)
            return i;
    return -1;
}

static const struct egov_db_stmt st_cert_one = {
    "pki_cert_one",
    "SELECT serial, ca, subject, fingerprint, COALESCE(national_id, ''), COALESCE(pseudonym, ''),"
    " COALESCE(agency_code, ''), COALESCE(system_id, ''), not_before, not_after, status,"
    " COALESCE(revoked_at, 0), COALESCE(reason, 0), profile FROM pki_cert WHERE serial = $1",
    NULL};

enum egov_db_qs pki_cert_load(struct egov_db_conn *c, const char *serial, struct egov_pki_cert *out)
{
    struct egov_db_rows *rows = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(serial), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_cert_one, p, &rows);

    memset(out, 0, sizeof(*out));
    if (qs == EGOV_DB_ONE_ROW) {
        bool ok =
            copy_text(out->info.serial, sizeof(out->info.serial), egov_db_rows_text(rows, 0, 0)) &&
            copy_text(out->ca, sizeof(out->ca), egov_db_rows_text(rows, 0, 1)) &&
            copy_text(out->info.subject, sizeof(out->info.subject),
                      egov_db_rows_text(rows, 0, 2)) &&
            copy_text(out->info.fingerprint, sizeof(out->info.fingerprint),
                      egov_db_rows_text(rows, 0, 3)) &&
            copy_text(out->national_id, sizeof(out->national_id), egov_db_rows_text(rows, 0, 4)) &&
            copy_text(out->pseudonym, sizeof(out->pseudonym), egov_db_rows_text(rows, 0, 5)) &&
            copy_text(out->agency_code, sizeof(out->agency_code), egov_db_rows_text(rows, 0, 6)) &&
            copy_text(out->system_id, sizeof(out->system_id), egov_db_rows_text(rows, 0, 7)) &&
            copy_text(out->status, sizeof(out->status), egov_db_rows_text(rows, 0, 10));
        out->info.not_before_us = egov_db_rows_int64(rows, 0, 8);
        out->info.not_after_us = egov_db_rows_int64(rows, 0, 9);
        out->revoked_at_us = egov_db_rows_int64(rows, 0, 11);
        out->reason = (int)egov_db_rows_int64(rows, 0, 12);
        {
            const char *profile = egov_db_rows_text(rows, 0, 13);
            out->info.is_ca = profile != NULL && strcmp(profile, "issuing") == 0;
        }
        if (!ok)
            qs = EGOV_DB_HARD_ERROR;
    }
    egov_db_rows_free(rows);
    return qs;
}
