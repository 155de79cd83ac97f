/*
 * sqlite.c -- the SQLite backend: WAL, foreign keys, a short-sleeping busy
 * handler, $N parameters rewritten to ?N, statements prepared once per
 * connection.  SQLITE_BUSY and SQLITE_LOCKED are soft (retryable) errors.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "store/store_int.h"

#define PATH_MAX_LEN 4096

bool egov_sqlite_prepare_path(const char *path, char *err, size_t errlen)
{
    char dir[PATH_MAX_LEN];
    char *slash;
    char *p;
    int n;
    bool ok = false;

    n = snprintf(dir, sizeof(dir), "%s", path);
    if (n < 0 || (size_t)n >= sizeof(dir)) {
        (void)snprintf(err, errlen, "The SQLite database path is too long.");
        goto out;
    }
    slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir) {
        ok = true;
        goto out;
    }
    *slash = '\0';
    /* mkdir -p: create each missing component in turn. */
    for (p = dir + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;

            *p = '\0';
            if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
                (void)snprintf(err, errlen,
                               "Cannot create the folder %s for the SQLite database: %s.", dir,
                               strerror(errno));
                goto out;
            }
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    ok = true;
out:
    return ok;
}

/* Retries for up to the busy timeout, sleeping briefly and a little longer each time. */
static int busy_handler(void *arg, int count)
{
    struct egov_db_conn *c = arg;
    int64_t now = egov_mono_us();
    long us;
    struct timespec ts;

    if (count == 0)
        c->busy_since_us = now;
    if (now - c->busy_since_us >= (int64_t)c->db->opt.busy_timeout_ms * 1000)
        return 0;
    us = 200L * (count + 1);
    if (us > 10000L)
        us = 10000L;
    ts.tv_sec = 0;
    ts.tv_nsec = us * 1000L;
    (void)nanosleep(&ts, NULL);
    return 1;
}

static void finalize_stmt(void *p)
{
    sqlite3_finalize(p);
}

struct egov_db_conn *egov_sqlite_connect(struct egov_db *db, char *err, size_t errlen)
{
    struct egov_db_conn *c = egov_calloc(1, sizeof(*c));
    sqlite3 *h = NULL;
    char *msg = NULL;
    int rc;

    if (c == NULL) {
        (void)snprintf(err, errlen, "Out of memory while opening the SQLite database.");
        goto fail;
    }
    c->db = db;
    rc = sqlite3_open_v2(db->memory ? ":memory:" : db->target, &h,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        (void)snprintf(err, errlen, "Cannot open the SQLite database at %s: %s.", db->target,
                       h != NULL ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_extended_result_codes(h, 1);
    sqlite3_busy_handler(h, busy_handler, c);
    rc = sqlite3_exec(h,
                      "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; "
                      "PRAGMA synchronous=NORMAL;",
                      NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        (void)snprintf(err, errlen, "Cannot use the SQLite database at %s: %s.", db->target,
                       msg != NULL ? msg : sqlite3_errstr(rc));
        goto fail;
    }
    c->handle = h;
    return c;
fail:
    sqlite3_free(msg);
    if (h != NULL)
        sqlite3_close_v2(h);
    egov_free(c);
    return NULL;
}

void egov_sqlite_disconnect(struct egov_db_conn *c)
{
    if (c == NULL)
        return;
    egov_db_cache_clear(&c->cache, finalize_stmt, true);
    sqlite3_close_v2(c->handle);
    egov_free(c);
}

bool egov_sqlite_in_txn(struct egov_db_conn *c)
{
    return sqlite3_get_autocommit(c->handle) == 0;
}

static enum egov_db_qs map_error(struct egov_db_conn *c, int rc, const char *what)
{
    int primary = rc & 0xff;

    egov_db_set_error(c, "%s: %s", what, sqlite3_errmsg(c->handle));
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
        return EGOV_DB_SOFT_ERROR;
    return EGOV_DB_HARD_ERROR;
}

/*
 * Rewrites $N to ?N outside string literals, quoted identifiers and
 * comments.  Returns malloc'd text or NULL on OOM.
 */
static char *translate(const char *sql)
{
    struct egov_buf b;
    const char *p = sql;
    char q;

    egov_buf_init(&b);
    while (*p != '\0') {
        if (*p == '\'' || *p == '"') {
            q = *p;
            egov_buf_putc(&b, *p++);
            while (*p != '\0') {
                if (*p == q && p[1] == q) {
                    egov_buf_append(&b, p, 2);
                    p += 2;
                    continue;
                }
                egov_buf_putc(&b, *p);
                if (*p++ == q)
                    break;
            }
        } else if (p[0] == '-' && p[1] == '-') {
            while (*p != '\0' && *p != '\n')
                egov_buf_putc(&b, *p++);
        } else if (p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            size_t n = end != NULL ? (size_t)(end + 2 - p) : strlen(p);

            egov_buf_append(&b, p, n);
            p += n;
        } else if (p[0] == '$' && p[1] >= '1' && p[1] <= '9') {
            egov_buf_putc(&b, '?');
            p++;
        } else {
            egov_buf_putc(&b, *p++);
        }
    }
    egov_buf_putc(&b, '\0');
    return egov_buf_steal(&b);
}

static sqlite3_stmt *prepare(struct egov_db_conn *c, const struct egov_db_stmt *st,
                             enum egov_db_qs *qs)
{
    sqlite3_stmt *s = egov_db_cache_get(&c->cache, st);
    char *sql = NULL;
    const char *tail = NULL;
    int rc;

    *qs = EGOV_DB_HARD_ERROR;
    if (s != NULL)
        goto out;
    sql = translate(st->sql);
    if (sql == NULL) {
        egov_db_set_error(c, "out of memory preparing %s", st->name);
        goto out;
    }
    rc = sqlite3_prepare_v3(c->handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, &tail);
    if (rc != SQLITE_OK) {
        *qs = map_error(c, rc, st->name);
        if (*qs == EGOV_DB_HARD_ERROR)
            EGOV_BUG("cannot prepare statement %s: %s", st->name, c->errmsg);
        s = NULL;
        goto out;
    }
    if (s == NULL || (tail != NULL && tail[strspn(tail, " \t\r\n;")] != '\0')) {
        egov_db_set_error(c, "%s: exactly one SQL statement expected", st->name);
        EGOV_BUG("%s", c->errmsg);
        sqlite3_finalize(s);
        s = NULL;
        goto out;
    }
    if (!egov_db_cache_put(&c->cache, st, s)) {
        egov_db_set_error(c, "out of memory caching %s", st->name);
        sqlite3_finalize(s);
        s = NULL;
    }
out:
    egov_free(sql);
    return s;
}

static bool bind_params(struct egov_db_conn *c, const struct egov_db_stmt *st, sqlite3_stmt *s,
                        const struct egov_db_param *params)
{
    int i = 0;
    int rc = SQLITE_OK;
    int want = sqlite3_bind_parameter_count(s);

    for (; params != NULL && params[i].type != EGOV_DB_P_END && rc == SQLITE_OK; i++) {
        const struct egov_db_param *p = &params[i];

        if (i >= want)
            break;
        switch (p->type) {
        case EGOV_DB_P_NULL:
            rc = sqlite3_bind_null(s, i + 1);
            break;
        case EGOV_DB_P_TEXT:
            rc = p->ptr == NULL ? sqlite3_bind_null(s, i + 1)
                                : sqlite3_bind_text(s, i + 1, p->ptr, -1, SQLITE_STATIC);
            break;
        case EGOV_DB_P_INT64:
            rc = sqlite3_bind_int64(s, i + 1, p->i);
            break;
        case EGOV_DB_P_BOOL:
            rc = sqlite3_bind_int64(s, i + 1, p->i != 0 ? 1 : 0);
            break;
        case EGOV_DB_P_BLOB:
            rc = p->ptr == NULL || p->len == 0
                     ? sqlite3_bind_zeroblob(s, i + 1, 0)
                     : sqlite3_bind_blob64(s, i + 1, p->ptr, p->len, SQLITE_STATIC);
            break;
        default:
            rc = SQLITE_MISUSE;
            break;
        }
    }
    if (rc != SQLITE_OK) {
        egov_db_set_error(c, "%s: cannot bind parameter %d: %s", st->name, i, sqlite3_errstr(rc));
        return false;
    }
    if (i != want || (params != NULL && params[i].type != EGOV_DB_P_END)) {
        egov_db_set_error(c, "%s: %d parameter(s) given, %d expected", st->name, i, want);
        EGOV_BUG("%s", c->errmsg);
        return false;
    }
    return true;
}

static bool add_row(struct egov_db_rows *r, sqlite3_stmt *s)
{
    size_t col;
    const void *data;
    int len;

    if (!egov_db_rows_add(r))
        return false;
    for (col = 0; col < r->ncols; col++) {
        switch (sqlite3_column_type(s, (int)col)) {
        case SQLITE_NULL:
            continue;
        case SQLITE_BLOB:
            data = sqlite3_column_blob(s, (int)col);
            break;
        default:
            data = sqlite3_column_text(s, (int)col);
            break;
        }
        len = sqlite3_column_bytes(s, (int)col);
        if (data == NULL)
            data = "";
        if (!egov_db_rows_set(r, col, data, (size_t)len))
            return false;
    }
    return true;
}

enum egov_db_qs egov_sqlite_run(struct egov_db_conn *c, const struct egov_db_stmt *st,
                                const struct egov_db_param *params, struct egov_db_rows **rows)
{
    enum egov_db_qs qs;
    sqlite3_stmt *s = prepare(c, st, &qs);
    struct egov_db_rows *r = NULL;
    sqlite3_int64 before;
    long long count = 0;
    int ncols;
    int rc;
    int i;

    if (s == NULL)
        goto out;
    qs = EGOV_DB_HARD_ERROR;
    if (!bind_params(c, st, s, params))
        goto done;
    ncols = sqlite3_column_count(s);
    if (rows != NULL) {
        r = egov_db_rows_new((size_t)ncols);
        if (r == NULL)
            goto oom;
        for (i = 0; i < ncols; i++) {
            if (!egov_db_rows_set_name(r, (size_t)i, sqlite3_column_name(s, i)))
                goto oom;
        }
    }
    before = sqlite3_total_changes64(c->handle);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        count++;
        if (r != NULL && !add_row(r, s))
            goto oom;
    }
    if (rc != SQLITE_DONE) {
        qs = map_error(c, rc, st->name);
        goto done;
    }
    if (ncols == 0 && sqlite3_total_changes64(c->handle) != before)
        count = sqlite3_changes64(c->handle);
    qs = count > INT32_MAX ? (enum egov_db_qs)INT32_MAX : (enum egov_db_qs)count;
    goto done;
oom:
    egov_db_set_error(c, "%s: out of memory", st->name);
    qs = EGOV_DB_HARD_ERROR;
done:
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
out:
    if (rows != NULL && qs >= 0) {
        *rows = r;
        r = NULL;
    }
    egov_db_rows_free(r);
    return qs;
}

enum egov_db_qs egov_sqlite_script(struct egov_db_conn *c, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(c->handle, sql, NULL, NULL, &msg);
    enum egov_db_qs qs = EGOV_DB_NO_ROW;
    int primary = rc & 0xff;

    if (rc != SQLITE_OK) {
        egov_db_set_error(c, "%s", msg != NULL ? msg : sqlite3_errstr(rc));
        qs = primary == SQLITE_BUSY || primary == SQLITE_LOCKED ? EGOV_DB_SOFT_ERROR
                                                                : EGOV_DB_HARD_ERROR;
    }
    sqlite3_free(msg);
    return qs;
}
