/*
 * pg.c -- the PostgreSQL backend (libpq): statements prepared once per
 * connection under their egov_db_stmt name, text parameters (blobs
 * binary), text results (bytea decoded, booleans as 1/0).  Serialization
 * failures and deadlocks are soft (retryable) errors.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

#define OID_BOOL      16
#define OID_BYTEA     17
#define PREPARED_MARK ((void *)1)

static void quiet_notices(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* First line of @p s without trailing newline, into @p out. */
static void first_line(const char *s, char *out, size_t outlen)
{
    size_t n = strcspn(s, "\n");

    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, s, n);
    out[n] = '\0';
}

/* One sentence saying why a connection to @p url failed. */
static void describe_failure(const char *url, PGconn *conn, char *err, size_t errlen)
{
    PQconninfoOption *opts;
    PQconninfoOption *o;
    char *perr = NULL;
    const char *host = NULL;
    const char *port = NULL;
    const char *msg = conn != NULL ? PQerrorMessage(conn) : "out of memory";
    const char *reason;
    char line[256];
    char where[300];
    char because[256];

    opts = PQconninfoParse(url, &perr);
    if (opts == NULL) {
        first_line(perr != NULL ? perr : "cannot parse it", line, sizeof(line));
        (void)snprintf(err, errlen, "The PostgreSQL URL is invalid: %s.", line);
        goto out;
    }
    for (o = opts; o->keyword != NULL; o++) {
        if (strcmp(o->keyword, "host") == 0 && o->val != NULL && o->val[0] != '\0')
            host = o->val;
        else if (strcmp(o->keyword, "hostaddr") == 0 && o->val != NULL && o->val[0] != '\0' &&
                 host == NULL)
            host = o->val;
        else if (strcmp(o->keyword, "port") == 0 && o->val != NULL && o->val[0] != '\0')
            port = o->val;
    }
    if (host != NULL && host[0] == '/')
        (void)snprintf(where, sizeof(where), "socket folder %s, port %s", host,
                       port != NULL ? port : "5432");
    else
        (void)snprintf(where, sizeof(where), "%s port %s", host != NULL ? host : "localhost",
                       port != NULL ? port : "5432");
    /* libpq says 'connection to server at "h", port p failed: REASON'. */
    first_line(msg, line, sizeof(line));
    reason = strstr(line, " failed: ");
    reason = reason != NULL ? reason + 9 : line;
    if (strncmp(reason, "FATAL:  ", 8) == 0)
        reason += 8;
    if (reason[0] == '\0')
        reason = "unknown error";
    (void)snprintf(because, sizeof(because), "%s", reason);
    /* "Connection refused" reads better mid-sentence as "connection refused". */
    if (because[0] >= 'A' && because[0] <= 'Z' && because[1] >= 'a' && because[1] <= 'z')
        because[0] = (char)(because[0] - 'A' + 'a');
    (void)snprintf(err, errlen, "Cannot connect to PostgreSQL at %s: %s.", where, because);
out:
    if (opts != NULL)
        PQconninfoFree(opts);
    PQfreemem(perr);
}

struct egov_db_conn *egov_pg_connect(struct egov_db *db, char *err, size_t errlen)
{
    struct egov_db_conn *c = egov_calloc(1, sizeof(*c));
    PGconn *conn = NULL;
    char timeout[16];
    const char *const keys[] = {"connect_timeout", "application_name", "dbname", "client_encoding",
                                NULL};
    const char *vals[] = {timeout, "egov", db->target, "UTF8", NULL};

    if (c == NULL) {
        (void)snprintf(err, errlen, "Out of memory while connecting to PostgreSQL.");
        goto fail;
    }
    (void)snprintf(timeout, sizeof(timeout), "%u", db->opt.connect_timeout_s);
    conn = PQconnectdbParams(keys, vals, 1);
    if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
        describe_failure(db->target, conn, err, errlen);
        goto fail;
    }
    PQsetNoticeProcessor(conn, quiet_notices, NULL);
    c->db = db;
    c->handle = conn;
    return c;
fail:
    if (conn != NULL)
        PQfinish(conn);
    egov_free(c);
    return NULL;
}

void egov_pg_disconnect(struct egov_db_conn *c)
{
    if (c == NULL)
        return;
    egov_db_cache_clear(&c->cache, NULL, true);
    PQfinish(c->handle);
    egov_free(c);
}

bool egov_pg_check(struct egov_db_conn *c)
{
    if (PQstatus(c->handle) == CONNECTION_OK)
        return true;
    /* The server went away: reconnect; prepared statements are gone with it. */
    egov_db_cache_clear(&c->cache, NULL, false);
    PQreset(c->handle);
    if (PQstatus(c->handle) != CONNECTION_OK) {
        egov_warn("PostgreSQL connection lost and not re-established");
        return false;
    }
    PQsetNoticeProcessor(c->handle, quiet_notices, NULL);
    egov_info("PostgreSQL connection re-established");
    return true;
}

bool egov_pg_lost(struct egov_db_conn *c)
{
    return PQstatus(c->handle) != CONNECTION_OK;
}

bool egov_pg_in_txn(struct egov_db_conn *c)
{
    PGTransactionStatusType t = PQtransactionStatus(c->handle);

    return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

/* Maps a failed result to a status and records the message. */
static enum egov_db_qs map_error(struct egov_db_conn *c, const PGresult *res, const char *what)
{
    const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char line[256];

    if (primary == NULL) {
        first_line(PQerrorMessage(c->handle), line, sizeof(line));
        primary = line;
    }
    egov_db_set_error(c, "%s: %s (SQLSTATE %s)", what, primary, state != NULL ? state : "none");
    if (state != NULL &&
        (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0))
        return EGOV_DB_SOFT_ERROR;
    return EGOV_DB_HARD_ERROR;
}

static bool prepare(struct egov_db_conn *c, const struct egov_db_stmt *st, enum egov_db_qs *qs)
{
    PGresult *res;
    bool ok = false;

    *qs = EGOV_DB_HARD_ERROR;
    if (egov_db_cache_get(&c->cache, st) != NULL)
        return true;
    res = PQprepare(c->handle, st->name, st->sql_pg != NULL ? st->sql_pg : st->sql, 0, NULL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        *qs = map_error(c, res, st->name);
        if (*qs == EGOV_DB_HARD_ERROR && PQstatus(c->handle) == CONNECTION_OK)
            EGOV_BUG("cannot prepare statement %s: %s", st->name, c->errmsg);
        goto out;
    }
    if (!egov_db_cache_put(&c->cache, st, PREPARED_MARK)) {
        egov_db_set_error(c, "%s: out of memory", st->name);
        goto out;
    }
    ok = true;
out:
    PQclear(res);
    return ok;
}

static bool fill_rows(const PGresult *res, struct egov_db_rows **rows)
{
    int nf = PQnfields(res);
    int nt = PQntuples(res);
    struct egov_db_rows *r = egov_db_rows_new((size_t)nf);
    int row;
    int col;
    bool ok = false;

    if (r == NULL)
        goto out;
    for (col = 0; col < nf; col++) {
        if (!egov_db_rows_set_name(r, (size_t)col, PQfname(res, col)))
            goto out;
    }
    for (row = 0; row < nt; row++) {
        if (!egov_db_rows_add(r))
            goto out;
        for (col = 0; col < nf; col++) {
            const char *v;
            Oid type = PQftype(res, col);
            bool set;

            if (PQgetisnull(res, row, col))
                continue;
            v = PQgetvalue(res, row, col);
            if (type == OID_BYTEA) {
                size_t len = 0;
                unsigned char *bytes = PQunescapeBytea((const unsigned char *)v, &len);

                if (bytes == NULL)
                    goto out;
                set = egov_db_rows_set(r, (size_t)col, bytes, len);
                PQfreemem(bytes);
            } else if (type == OID_BOOL) {
                set = egov_db_rows_set(r, (size_t)col, v[0] == 't' ? "1" : "0", 1);
            } else {
                set = egov_db_rows_set(r, (size_t)col, v, (size_t)PQgetlength(res, row, col));
            }
            if (!set)
                goto out;
        }
    }
    *rows = r;
    r = NULL;
    ok = true;
out:
    egov_db_rows_free(r);
    return ok;
}

enum egov_db_qs egov_pg_run(struct egov_db_conn *c, const struct egov_db_stmt *st,
                            const struct egov_db_param *params, struct egov_db_rows **rows)
{
    enum egov_db_qs qs = EGOV_DB_HARD_ERROR;
    PGresult *res = NULL;
    const char **values = NULL;
    int *lengths = NULL;
    int *formats = NULL;
    char(*nums)[24] = NULL;
    int n = 0;
    int i;
    long long count = 0;

    if (!prepare(c, st, &qs))
        goto out;
    qs = EGOV_DB_HARD_ERROR;
    while (params != NULL && params[n].type != EGOV_DB_P_END)
        n++;
    if (n > 0) {
        values = egov_calloc((size_t)n, sizeof(*values));
        lengths = egov_calloc((size_t)n, sizeof(*lengths));
        formats = egov_calloc((size_t)n, sizeof(*formats));
        nums = egov_calloc((size_t)n, sizeof(*nums));
        if (values == NULL || lengths == NULL || formats == NULL || nums == NULL) {
            egov_db_set_error(c, "%s: out of memory", st->name);
            goto out;
        }
    }
    for (i = 0; i < n; i++) {
        const struct egov_db_param *p = &params[i];

        switch (p->type) {
        case EGOV_DB_P_NULL:
            break;
        case EGOV_DB_P_TEXT:
            values[i] = p->ptr;
            break;
        case EGOV_DB_P_INT64:
            (void)snprintf(nums[i], sizeof(nums[i]), "%lld", (long long)p->i);
            values[i] = nums[i];
            break;
        case EGOV_DB_P_BOOL:
            values[i] = p->i != 0 ? "1" : "0";
            break;
        case EGOV_DB_P_BLOB:
            if (p->len > INT32_MAX) {
                egov_db_set_error(c, "%s: parameter %d is too large", st->name, i + 1);
                goto out;
            }
            values[i] = p->ptr != NULL ? p->ptr : "";
            lengths[i] = (int)p->len;
            formats[i] = 1;
            break;
        default:
            egov_db_set_error(c, "%s: parameter %d has an unknown type", st->name, i + 1);
            EGOV_BUG("%s", c->errmsg);
            goto out;
        }
    }
    res = PQexecPrepared(c->handle, st->name, n, values, lengths, formats, 0);
    switch (PQresultStatus(res)) {
    case PGRES_COMMAND_OK:
        count = strtoll(PQcmdTuples(res), NULL, 10);
        if (rows != NULL && !fill_rows(res, rows))
            goto oom;
        break;
    case PGRES_TUPLES_OK:
        count = PQntuples(res);
        if (rows != NULL && !fill_rows(res, rows))
            goto oom;
        break;
    default:
        qs = map_error(c, res, st->name);
        goto out;
    }
    qs = count > INT32_MAX ? (enum egov_db_qs)INT32_MAX : (enum egov_db_qs)count;
    goto out;
oom:
    egov_db_set_error(c, "%s: out of memory", st->name);
out:
    PQclear(res);
    egov_free(values);
    egov_free(lengths);
    egov_free(formats);
    egov_free(nums);
    return qs;
}

enum egov_db_qs egov_pg_script(struct egov_db_conn *c, const char *sql)
{
    PGresult *res = PQexec(c->handle, sql);
    enum egov_db_qs qs = EGOV_DB_NO_ROW;
    ExecStatusType st = PQresultStatus(res);

    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
        qs = map_error(c, res, "script");
    } else if (strcmp(sql, "COMMIT") == 0 && strcmp(PQcmdStatus(res), "ROLLBACK") == 0) {
        /* COMMIT of a transaction that had failed only rolls it back. */
        egov_db_set_error(c, "the transaction had failed and was rolled back");
        qs = EGOV_DB_HARD_ERROR;
    }
    PQclear(res);
    return qs;
}
