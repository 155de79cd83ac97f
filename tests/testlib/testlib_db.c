/*
 * testlib_db.c -- a fresh database per test, on SQLite or PostgreSQL.
 */
#include <errno.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

#define MAX_TEST_DBS 128

static pthread_mutex_t test_db_mu = PTHREAD_MUTEX_INITIALIZER;
static char test_db_url[1024];
static char *created[MAX_TEST_DBS]; /* SQLite paths or PostgreSQL database names */
static unsigned int n_created;
static bool cleanup_registered;
static unsigned int serial;

bool egov_test_db_is_pg(void)
{
    const char *kind = getenv("EGOV_TEST_DB");

    return kind != NULL && (strcmp(kind, "pg") == 0 || strcmp(kind, "postgresql") == 0);
}

static void drop_pg_databases(const char *admin)
{
    PGconn *conn = PQconnectdb(admin);
    unsigned int i;
    char sql[256];

    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "testlib: cannot drop test databases: %s", PQerrorMessage(conn));
        goto out;
    }
    for (i = 0; i < n_created; i++) {
        PGresult *res;

        (void)snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", created[i]);
        res = PQexec(conn, sql);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            fprintf(stderr, "testlib: %s: %s", sql, PQerrorMessage(conn));
        PQclear(res);
    }
out:
    PQfinish(conn);
}

static void remove_sqlite_files(void)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char path[1100];
    unsigned int i;
    size_t k;

    for (i = 0; i < n_created; i++) {
        for (k = 0; k < sizeof(suffixes) / sizeof(suffixes[0]); k++) {
            (void)snprintf(path, sizeof(path), "%s%s", created[i], suffixes[k]);
            (void)unlink(path);
        }
    }
}

static void cleanup(void)
{
    const char *keep = getenv("EGOV_TEST_KEEP_DB");
    const char *admin = getenv("EGOV_TEST_PG_URL");
    unsigned int i;

    pthread_mutex_lock(&test_db_mu);
    if (keep == NULL || strcmp(keep, "1") != 0) {
        if (egov_test_db_is_pg()) {
            if (admin != NULL && n_created > 0)
                drop_pg_databases(admin);
        } else {
            remove_sqlite_files();
        }
    }
    for (i = 0; i < n_created; i++)
        free(created[i]);
    n_created = 0;
    pthread_mutex_unlock(&test_db_mu);
}

/* Remembers @p s for clean-up at exit. */
static void remember(const char *s)
{
    if (!cleanup_registered) {
        cleanup_registered = atexit(cleanup) == 0;
    }
    if (n_created < MAX_TEST_DBS) {
        created[n_created] = strdup(s);
        if (created[n_created] != NULL)
            n_created++;
    }
}

/* A name unique to this process and call: egov_t_<pid>_<n>_<random>. */
static void unique_name(char *out, size_t outlen)
{
    unsigned int rnd = 0;

    if (!egov_random(&rnd, sizeof(rnd)))
        rnd = (unsigned int)egov_mono_us();
    (void)snprintf(out, outlen, "egov_t_%ld_%u_%08x", (long)getpid(), ++serial, rnd);
}

static bool mkdir_p(const char *dir)
{
    char tmp[1024];
    char *p;
    int n = snprintf(tmp, sizeof(tmp), "%s", dir);

    if (n < 0 || (size_t)n >= sizeof(tmp))
        return false;
    for (p = tmp + 1; *p != '\0'; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return false;
            *p = '/';
        }
    }
    return mkdir(tmp, 0755) == 0 || errno == EEXIST;
}

static bool sqlite_url(char *url, size_t urllen)
{
    const char *tmp = getenv("EGOV_TEST_TMP");
    char name[96];
    char path[1000];
    int n;

    if (tmp == NULL || tmp[0] == '\0')
        tmp = "/tmp/egov-test";
    if (!mkdir_p(tmp)) {
        fprintf(stderr, "testlib: cannot create %s: %s\n", tmp, strerror(errno));
        return false;
    }
    unique_name(name, sizeof(name));
    n = snprintf(path, sizeof(path), "%s/%s.sqlite", tmp, name);
    if (n < 0 || (size_t)n >= sizeof(path))
        return false;
    remember(path);
    n = snprintf(url, urllen, "sqlite:%s", path);
    return n > 0 && (size_t)n < urllen;
}

/*
 * Replaces the database name (the URI path) of libpq URL @p admin by
 * @p name: postgresql://auth/OLD?params -> postgresql://auth/NAME?params.
 */
static bool replace_dbname(const char *admin, const char *name, char *out, size_t outlen)
{
    const char *auth = strstr(admin, "://");
    const char *auth_end;
    const char *rest;
    int n;

    if (auth == NULL)
        return false;
    auth += 3;
    auth_end = auth + strcspn(auth, "/?");
    rest = auth_end;
    if (*rest == '/')
        rest += 1 + strcspn(rest + 1, "?");
    n = snprintf(out, outlen, "%.*s/%s%s", (int)(auth_end - admin), admin, name, rest);
    return n > 0 && (size_t)n < outlen;
}

static bool pg_url(char *url, size_t urllen)
{
    const char *admin = getenv("EGOV_TEST_PG_URL");
    char name[96];
    char sql[160];
    PGconn *conn = NULL;
    PGresult *res = NULL;
    bool ok = false;

    if (admin == NULL || admin[0] == '\0') {
        fprintf(stderr, "testlib: EGOV_TEST_PG_URL is not set; skipping the PostgreSQL run\n");
        exit(77);
    }
    conn = PQconnectdb(admin);
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "testlib: cannot connect to %s: %s", admin, PQerrorMessage(conn));
        goto out;
    }
    unique_name(name, sizeof(name));
    (void)snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8'", name);
    res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        fprintf(stderr, "testlib: %s: %s", sql, PQerrorMessage(conn));
        goto out;
    }
    remember(name);
    ok = replace_dbname(admin, name, url, urllen);
out:
    PQclear(res);
    PQfinish(conn);
    return ok;
}

struct egov_db *egov_test_db_open(void)
{
    struct egov_db *db = NULL;
    char url[1024];
    char err[512];
    bool ok;

    pthread_mutex_lock(&test_db_mu);
    ok = egov_test_db_is_pg() ? pg_url(url, sizeof(url)) : sqlite_url(url, sizeof(url));
    if (ok)
        memcpy(test_db_url, url, sizeof(url));
    pthread_mutex_unlock(&test_db_mu);
    if (!ok)
        goto out;
    db = egov_db_open(url, NULL, err, sizeof(err));
    if (db == NULL)
        fprintf(stderr, "testlib: cannot open %s: %s\n", url, err);
out:
    return db;
}

const char *egov_test_db_url(void)
{
    return test_db_url[0] != '\0' ? test_db_url : NULL;
}
