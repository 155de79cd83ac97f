/*
 * table_store.c -- the imported character tables travel through the
 * database, so that every node of a deployment gets them from one import.
 *
 * A node reads its tables from files under PATHS.VAR/hanzi/ (fast to load,
 * the same on every backend).  `egov hanzi import` writes those files and
 * also stores them in the table hanzi_file; at start-up each node copies
 * any stored file whose digest differs from its own into PATHS.VAR before
 * loading.  A county office with one node and no shared database works
 * from the files alone; a national deployment imports once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "hanzi/table.h"

/** The files that travel (the conversion tables and the imported properties). */
static const char *const hanzi_files[] = {"tables.bin", "props.tsv"};
/** Largest file accepted either way. */
#define HANZI_FILE_MAX (64L * 1024 * 1024)

static const struct egov_db_migration hanzi_migration_list[] = {
    {1, "hanzi_file: imported character tables shared by every node",
     "CREATE TABLE hanzi_file (name TEXT PRIMARY KEY, sha256 TEXT NOT NULL,"
     " data BLOB NOT NULL, updated_at BIGINT NOT NULL)",
     NULL},
    {0, NULL, NULL, NULL},
};

const struct egov_db_module_migrations egov_hanzi_migrations = {"hanzi", hanzi_migration_list};

static const struct egov_db_stmt st_put = {
    "hanzi_file_put",
    "INSERT INTO hanzi_file (name, sha256, data, updated_at) VALUES ($1, $2, $3, $4)"
    " ON CONFLICT (name) DO UPDATE SET sha256 = excluded.sha256, data = excluded.data,"
    " updated_at = excluded.updated_at",
    NULL};
static const struct egov_db_stmt st_digests = {"hanzi_file_digests",
                                               "SELECT name, sha256 FROM hanzi_file", NULL};
static const struct egov_db_stmt st_get = {
    "hanzi_file_get", "SELECT data, sha256 FROM hanzi_file WHERE name = $1", NULL};

/* Reads a whole file (at most HANZI_FILE_MAX) into a malloc'd buffer; NULL if absent or unreadable.
 */
static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    long size;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && size <= HANZI_FILE_MAX &&
        fseek(f, 0, SEEK_SET) == 0 && (buf = egov_malloc((size_t)size + 1)) != NULL &&
        fread(buf, 1, (size_t)size, f) == (size_t)size) {
        *len = (size_t)size;
    } else {
        egov_free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

static bool digest_hex(const void *p, size_t n, char out[2 * EGOV_SHA256_LEN + 1])
{
    uint8_t d[EGOV_SHA256_LEN];
    if (!egov_sha256(p, n, d))
        return false;
    for (size_t i = 0; i < EGOV_SHA256_LEN; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    return true;
}

struct put_ctx {
    const char *name, *sha;
    const unsigned char *data;
    size_t len;
};

static enum egov_db_qs put_txn(struct egov_db_conn *c, void *cls)
{
    const struct put_ctx *p = cls;
    const struct egov_db_param params[] = {
        EGOV_DB_PARAM_TEXT(p->name),
        EGOV_DB_PARAM_TEXT(p->sha),
        EGOV_DB_PARAM_BLOB(p->data, p->len),
        EGOV_DB_PARAM_INT64(egov_now_us()),
        EGOV_DB_PARAM_END,
    };
    return egov_db_exec(c, &st_put, params);
}

bool egov_hanzi_tables_publish(struct egov_db *db, const char *vardir, unsigned int *stored,
                               char *err, size_t errlen)
{
    char path[1100], sha[2 * EGOV_SHA256_LEN + 1];
    *stored = 0;
    for (size_t i = 0; i < sizeof hanzi_files / sizeof hanzi_files[0]; i++) {
        size_t len = 0;
        snprintf(path, sizeof path, "%.1000s/hanzi/%s", vardir, hanzi_files[i]);
        unsigned char *data = read_all(path, &len);
        if (!data)
            continue; /* not imported (yet) */
        if (!digest_hex(data, len, sha)) {
            egov_free(data);
            snprintf(err, errlen, "cannot compute SHA-256");
            return false;
        }
        struct put_ctx p = {hanzi_files[i], sha, data, len};
        struct egov_db_conn *c = egov_db_acquire(db, 5000);
        enum egov_db_qs qs = c ? egov_db_txn(c, true, 5, put_txn, &p) : EGOV_DB_HARD_ERROR;
        if (qs < 0)
            snprintf(err, errlen, "storing %s in the database: %s", hanzi_files[i],
                     c ? egov_db_errmsg(c) : "no connection");
        if (c)
            egov_db_release(c);
        egov_free(data);
        if (qs < 0)
            return false;
        (*stored)++;
    }
    return true;
}

/* Writes @p data to @p path through a temporary file and a rename. */
static bool write_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%.1100s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    bool ok = f && fwrite(data, 1, len, f) == len && fflush(f) == 0 && fsync(fileno(f)) == 0;
    if (f && fclose(f) != 0)
        ok = false;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return false;
    }
    return true;
}

/* Copies one stored file into @p path unless the local copy has digest @p want. */
static bool fetch_one(struct egov_db_conn *c, const char *name, const char *want, const char *path,
                      bool *copied, char *err, size_t errlen)
{
    size_t len = 0;
    char have[2 * EGOV_SHA256_LEN + 1] = "";
    unsigned char *local = read_all(path, &len);
    if (local && !digest_hex(local, len, have))
        have[0] = '\0';
    egov_free(local);
    if (strcmp(have, want) == 0)
        return true;
    const struct egov_db_param params[] = {EGOV_DB_PARAM_TEXT(name), EGOV_DB_PARAM_END};
    struct egov_db_rows *rows = NULL;
    enum egov_db_qs qs = egov_db_query(c, &st_get, params, &rows);
    bool ok = false;
    if (qs < 0) {
        snprintf(err, errlen, "reading %s from the database: %s", name, egov_db_errmsg(c));
    } else if (qs == 0) {
        ok = true; /* removed meanwhile */
    } else {
        size_t n = 0;
        const void *data = egov_db_rows_blob(rows, 0, 0, &n);
        char got[2 * EGOV_SHA256_LEN + 1];
        if (!data || !digest_hex(data, n, got) ||
            strcmp(got, egov_db_rows_text(rows, 0, 1) ? egov_db_rows_text(rows, 0, 1) : "") != 0)
            snprintf(err, errlen, "%s in the database does not match its SHA-256", name);
        else
            ok = *copied = write_atomic(path, data, n, err, errlen);
    }
    egov_db_rows_free(rows);
    return ok;
}

bool egov_hanzi_tables_fetch(struct egov_db *db, const char *vardir, unsigned int *copied,
                             char *err, size_t errlen)
{
    char dir[1100], path[1200];
    struct egov_db_rows *rows = NULL;
    bool ok = false;
    *copied = 0;
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    if (!c) {
        snprintf(err, errlen, "no database connection");
        return false;
    }
    enum egov_db_qs qs =
        egov_db_query(c, &st_digests, (const struct egov_db_param[]){EGOV_DB_PARAM_END}, &rows);
    if (qs < 0) {
        snprintf(err, errlen, "reading hanzi_file: %s", egov_db_errmsg(c));
        goto out;
    }
    snprintf(dir, sizeof dir, "%.1000s/hanzi", vardir);
    if (qs > 0 && ((mkdir(vardir, 0755) != 0 && errno != EEXIST) ||
                   (mkdir(dir, 0755) != 0 && errno != EEXIST))) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        goto out;
    }
    for (size_t r = 0; r < egov_db_rows_count(rows); r++) {
        const char *name = egov_db_rows_text(rows, r, 0);
        const char *sha = egov_db_rows_text(rows, r, 1);
        bool known = false, did = false;
        for (size_t i = 0; name && i < sizeof hanzi_files / sizeof hanzi_files[0]; i++)
            known = known || strcmp(name, hanzi_files[i]) == 0;
        if (!known || !sha)
            continue; /* a name this version does not use */
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (!fetch_one(c, name, sha, path, &did, err, errlen))
            goto out;
        *copied += did;
    }
    ok = true;
out:
    egov_db_rows_free(rows);
    egov_db_release(c);
    return ok;
}
