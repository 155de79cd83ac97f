/*
 * usage.c -- usage records, daily aggregates and the usage query.
 *
 * accounting_usage holds one row per recorded event (cheap to write);
 * accounting_daily holds, per UTC day, kind, agency and service, the sum
 * of events and the number of distinct principals.  Days before today are
 * read from the aggregates; today is summed from the raw rows on the fly,
 * so a report is never an hour behind.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "accounting/accounting_int.h"

static const struct egov_db_stmt st_record = {
    "accounting_record",
    "INSERT INTO accounting_usage (at, day, kind, principal, agency, service, n)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7)",
    NULL};
static const struct egov_db_stmt st_agg_delete = {
    "accounting_agg_delete", "DELETE FROM accounting_daily WHERE day = $1", NULL};
static const struct egov_db_stmt st_agg_insert = {
    "accounting_agg_insert",
    "INSERT INTO accounting_daily (day, kind, agency, service, events, principals, updated_at)"
    " SELECT day, kind, agency, service, SUM(n), COUNT(DISTINCT principal), $2"
    " FROM accounting_usage WHERE day = $1 GROUP BY day, kind, agency, service",
    "INSERT INTO accounting_daily (day, kind, agency, service, events, principals, updated_at)"
    " SELECT day, kind, agency, service, SUM(n), COUNT(DISTINCT principal), $2::bigint"
    " FROM accounting_usage WHERE day = $1 GROUP BY day, kind, agency, service"};
#define FILTERS                                                                                    \
    " AND ($4 = '' OR kind = $4) AND ($5 = '' OR agency = $5)"                                     \
    " AND ($6 = '' OR service = $6)"
#define FILTERS_PG                                                                                 \
    " AND ($4::text = '' OR kind = $4::text) AND ($5::text = '' OR agency = $5::text)"             \
    " AND ($6::text = '' OR service = $6::text)"
static const struct egov_db_stmt st_daily = {
    "accounting_daily_range",
    "SELECT day, kind, agency, service, events, principals FROM accounting_daily"
    " WHERE day >= $1 AND day <= $2 AND day < $3" FILTERS " ORDER BY day, kind, agency, service",
    "SELECT day, kind, agency, service, events, principals FROM accounting_daily"
    " WHERE day >= $1 AND day <= $2 AND day < $3" FILTERS_PG
    " ORDER BY day, kind, agency, service"};
static const struct egov_db_stmt st_today = {
    "accounting_today",
    "SELECT day, kind, agency, service, SUM(n), COUNT(DISTINCT principal) FROM accounting_usage"
    " WHERE day >= $1 AND day <= $2 AND day >= $3" FILTERS
    " GROUP BY day, kind, agency, service ORDER BY day, kind, agency, service",
    "SELECT day, kind, agency, service, SUM(n), COUNT(DISTINCT principal) FROM accounting_usage"
    " WHERE day >= $1 AND day <= $2 AND day >= $3" FILTERS_PG
    " GROUP BY day, kind, agency, service ORDER BY day, kind, agency, service"};

void accounting_day_of(int64_t us, char out[11])
{
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

bool accounting_parse_day(const char *s, int64_t *epoch_day)
{
    int y, m, d;
    char tail;
    if (s == NULL || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
        s[4] != '-' || s[7] != '-' || y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
        return false;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 12};
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != m - 1)
        return false;
    *epoch_day = (int64_t)t / 86400;
    return true;
}

static bool kind_ok(const char *k)
{
    size_t n = k != NULL ? strlen(k) : 0;
    if (n == 0 || n > 32)
        return false;
    for (; *k != '\0'; k++)
        if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '.' || *k == '_' ||
              *k == '-'))
            return false;
    return true;
}

static const char *clip(const char *s, char *buf, size_t n)
{
    if (s == NULL)
        return "";
    snprintf(buf, n, "%s", s);
    if (!egov_utf8_valid(buf, strlen(buf), NULL))
        return "";
    return buf;
}

enum egov_db_qs egov_accounting_record(struct egov_db_conn *c, const char *kind,
                                       const char *principal, const char *agency,
                                       const char *service, int64_t n)
{
    char day[11], pb[128], ab[128], sb[128];
    if (!kind_ok(kind) || n < 1)
        return EGOV_DB_HARD_ERROR;
    int64_t now = egov_now_us();
    accounting_day_of(now, day);
    struct egov_db_param p[] = {
        EGOV_DB_PARAM_INT64(now),
        EGOV_DB_PARAM_TEXT(day),
        EGOV_DB_PARAM_TEXT(kind),
        EGOV_DB_PARAM_TEXT(principal != NULL ? clip(principal, pb, sizeof pb) : NULL),
        EGOV_DB_PARAM_TEXT(clip(agency, ab, sizeof ab)),
        EGOV_DB_PARAM_TEXT(clip(service, sb, sizeof sb)),
        EGOV_DB_PARAM_INT64(n),
        EGOV_DB_PARAM_END};
    return egov_db_exec(c, &st_record, p);
}

struct record_txn {
    const char *kind, *principal, *agency, *service;
    int64_t n;
};

static enum egov_db_qs record_body(struct egov_db_conn *c, void *cls)
{
    struct record_txn *t = cls;
    return egov_accounting_record(c, t->kind, t->principal, t->agency, t->service, t->n);
}

enum egov_db_qs accounting_txn(struct egov_db *db, bool write, egov_db_txn_fn fn, void *cls)
{
    return egov_db_run_txn(db, write, 5000, 10, fn, cls);
}

enum egov_db_qs egov_accounting_record_db(struct egov_db *db, const char *kind,
                                          const char *principal, const char *agency,
                                          const char *service, int64_t n)
{
    struct record_txn t = {kind, principal, agency, service, n};
    return accounting_txn(db, true, record_body, &t);
}

struct agg_txn {
    const char *day;
};

static enum egov_db_qs agg_body(struct egov_db_conn *c, void *cls)
{
    struct agg_txn *t = cls;
    struct egov_db_param d[] = {EGOV_DB_PARAM_TEXT(t->day), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_exec(c, &st_agg_delete, d);
    if (qs < 0)
        return qs;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->day), EGOV_DB_PARAM_INT64(egov_now_us()),
                                EGOV_DB_PARAM_END};
    return egov_db_exec(c, &st_agg_insert, p);
}

int egov_accounting_aggregate_day(struct egov_db *db, const char *day)
{
    int64_t ed;
    if (!accounting_parse_day(day, &ed))
        return -1;
    struct agg_txn t = {day};
    enum egov_db_qs qs = accounting_txn(db, true, agg_body, &t);
    return qs < 0 ? -1 : (int)qs;
}

struct usage_txn {
    const char *from, *to, *today, *kind, *agency, *service;
    json_t *rows;
};

static enum egov_db_qs add_rows(struct egov_db_conn *c, const struct egov_db_stmt *st,
                                struct usage_txn *t)
{
    struct egov_db_rows *r = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->from),
                                EGOV_DB_PARAM_TEXT(t->to),
                                EGOV_DB_PARAM_TEXT(t->today),
                                EGOV_DB_PARAM_TEXT(t->kind),
                                EGOV_DB_PARAM_TEXT(t->agency),
                                EGOV_DB_PARAM_TEXT(t->service),
                                EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, st, p, &r);
    for (size_t i = 0; qs > 0 && i < egov_db_rows_count(r); i++) {
        json_t *row =
            json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "day", egov_db_rows_text(r, i, 0), "kind",
                      egov_db_rows_text(r, i, 1), "agency", egov_db_rows_text(r, i, 2), "service",
                      egov_db_rows_text(r, i, 3), "events", (json_int_t)egov_db_rows_int64(r, i, 4),
                      "principals", (json_int_t)egov_db_rows_int64(r, i, 5));
        if (json_array_append_new(t->rows, row) != 0)
            qs = EGOV_DB_HARD_ERROR;
    }
    egov_db_rows_free(r);
    return qs;
}

static enum egov_db_qs usage_body(struct egov_db_conn *c, void *cls)
{
    struct usage_txn *t = cls;
    json_array_clear(t->rows); /* the body may run again */
    enum egov_db_qs qs = add_rows(c, &st_daily, t);
    if (qs < 0)
        return qs;
    qs = add_rows(c, &st_today, t);
    return qs < 0 ? qs : EGOV_DB_ONE_ROW;
}

json_t *egov_accounting_usage(struct egov_db *db, const char *from, const char *to,
                              const char *kind, const char *agency, const char *service,
                              enum egov_ec *ec)
{
    int64_t fd, td;
    char today[11];
    json_t *days = NULL, *out = NULL;
    struct usage_txn t = {from,
                          to,
                          today,
                          kind != NULL ? kind : "",
                          agency != NULL ? agency : "",
                          service != NULL ? service : "",
                          json_array()};
    *ec = EGOV_EC_NONE;
    if (!accounting_parse_day(from, &fd) || !accounting_parse_day(to, &td) || td < fd ||
        td - fd > 365) {
        *ec = EGOV_EC_ACCOUNTING_RANGE_INVALID;
        goto fail;
    }
    if (t.rows == NULL)
        goto oom;
    accounting_day_of(egov_now_us(), today);
    enum egov_db_qs qs = accounting_txn(db, false, usage_body, &t);
    if (qs < 0) {
        *ec = qs == EGOV_DB_SOFT_ERROR ? EGOV_EC_DB_SOFT_ERROR : EGOV_EC_DB_HARD_ERROR;
        goto fail;
    }
    /* one bar per day, zero-filled */
    days = json_array();
    json_int_t total = 0;
    for (int64_t d = fd; days != NULL && d <= td; d++) {
        char day[11];
        accounting_day_of(d * 86400LL * 1000000LL, day);
        json_int_t sum = 0;
        size_t i;
        json_t *row;
        json_array_foreach(t.rows, i, row)
        {
            if (strcmp(egov_json_get_str(row, "day", ""), day) == 0)
                sum += json_integer_value(json_object_get(row, "events"));
        }
        total += sum;
        if (json_array_append_new(days, json_pack("{s:s, s:I}", "day", day, "events", sum)) != 0)
            goto oom;
    }
    if (days == NULL)
        goto oom;
    out = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:o, s:o, s:I}", "from", from, "to", to, "kind",
                    kind, "agency", agency, "service", service, "days", days, "rows", t.rows,
                    "total", total);
    if (out == NULL) {
        *ec = EGOV_EC_GENERIC_OOM;
        return NULL; /* json_pack stole both arrays */
    }
    return out;
oom:
    *ec = EGOV_EC_GENERIC_OOM;
fail:
    json_decref(days);
    json_decref(t.rows);
    return NULL;
}

static const struct egov_db_stmt st_principal = {
    "accounting_principal",
    "SELECT day, kind, agency, service, SUM(n) FROM accounting_usage"
    " WHERE principal = $1 AND day >= $2 AND day <= $3"
    " GROUP BY day, kind, agency, service ORDER BY day, kind, agency, service",
    NULL};
static const struct egov_db_stmt st_purge = {"accounting_purge",
                                             "DELETE FROM accounting_usage WHERE day < $1", NULL};

struct principal_txn {
    const char *principal, *from, *to;
    json_t *rows;
    json_int_t total;
};

static enum egov_db_qs principal_body(struct egov_db_conn *c, void *cls)
{
    struct principal_txn *t = cls;
    struct egov_db_rows *r = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->principal), EGOV_DB_PARAM_TEXT(t->from),
                                EGOV_DB_PARAM_TEXT(t->to), EGOV_DB_PARAM_END};
    json_array_clear(t->rows);
    t->total = 0;
    enum egov_db_qs qs = egov_db_query(c, &st_principal, p, &r);
    for (size_t i = 0; qs > 0 && i < egov_db_rows_count(r); i++) {
        json_int_t n = (json_int_t)egov_db_rows_int64(r, i, 4);
        t->total += n;
        if (json_array_append_new(t->rows, json_pack("{s:s, s:s, s:s, s:s, s:I}", "day",
                                                     egov_db_rows_text(r, i, 0), "kind",
                                                     egov_db_rows_text(r, i, 1), "agency",
                                                     egov_db_rows_text(r, i, 2), "service",
                                                     egov_db_rows_text(r, i, 3), "events", n)) != 0)
            qs = EGOV_DB_HARD_ERROR;
    }
    egov_db_rows_free(r);
    return qs < 0 ? qs : EGOV_DB_ONE_ROW;
}

json_t *egov_accounting_principal_usage(struct egov_db *db, const char *principal, const char *from,
                                        const char *to, enum egov_ec *ec)
{
    int64_t fd, td;
    *ec = EGOV_EC_NONE;
    if (principal == NULL || principal[0] == '\0' || strlen(principal) > 127 ||
        !egov_utf8_valid(principal, strlen(principal), NULL)) {
        *ec = EGOV_EC_GENERIC_PARAMETER_MALFORMED;
        return NULL;
    }
    if (!accounting_parse_day(from, &fd) || !accounting_parse_day(to, &td) || td < fd ||
        td - fd > 365) {
        *ec = EGOV_EC_ACCOUNTING_RANGE_INVALID;
        return NULL;
    }
    struct principal_txn t = {principal, from, to, json_array(), 0};
    if (t.rows == NULL) {
        *ec = EGOV_EC_GENERIC_OOM;
        return NULL;
    }
    enum egov_db_qs qs = accounting_txn(db, false, principal_body, &t);
    if (qs < 0) {
        json_decref(t.rows);
        *ec = qs == EGOV_DB_SOFT_ERROR ? EGOV_EC_DB_SOFT_ERROR : EGOV_EC_DB_HARD_ERROR;
        return NULL;
    }
    json_t *out = json_pack("{s:s, s:s, s:s, s:o, s:I}", "principal", principal, "from", from, "to",
                            to, "rows", t.rows, "total", t.total);
    if (out == NULL)
        *ec = EGOV_EC_GENERIC_OOM;
    return out;
}

struct purge_txn {
    const char *before;
};

static enum egov_db_qs purge_body(struct egov_db_conn *c, void *cls)
{
    struct purge_txn *t = cls;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->before), EGOV_DB_PARAM_END};
    return egov_db_exec(c, &st_purge, p);
}

int64_t accounting_purge(struct egov_db *db, int64_t now_us)
{
    char before[11];
    accounting_day_of(now_us - (int64_t)ACCOUNTING_KEEP_DAYS * 86400LL * 1000000LL, before);
    struct purge_txn t = {before};
    enum egov_db_qs qs = accounting_txn(db, true, purge_body, &t);
    return qs < 0 ? -1 : (int64_t)qs;
}

void egov_accounting_svg_chart(const json_t *days, const char *title, struct egov_buf *out)
{
    const int W = 720, H = 260, left = 56, bottom = 40, top = 16, right = 8;
    size_t n = json_array_size(days), i;
    json_int_t max = 0;
    const json_t *d;
    json_array_foreach(days, i, d)
    {
        json_int_t v = json_integer_value(json_object_get(d, "events"));
        if (v > max)
            max = v;
    }
    json_int_t scale = max > 0 ? max : 1;
    egov_buf_printf(
        out,
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\""
        " role=\"img\" aria-labelledby=\"chart-title\"><title id=\"chart-title\">",
        W, H);
    egov_buf_html_escape(out, title != NULL ? title : "", title != NULL ? strlen(title) : 0);
    egov_buf_puts(out, "</title>");
    int plot_w = W - left - right, plot_h = H - top - bottom;
    egov_buf_printf(out,
                    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555\"/>"
                    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555\"/>"
                    "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"end\">%lld</text>"
                    "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"end\">0</text>",
                    left, top, left, top + plot_h, left, top + plot_h, left + plot_w, top + plot_h,
                    left - 6, top + 10, (long long)max, left - 6, top + plot_h);
    if (n == 0) {
        egov_buf_puts(out, "</svg>");
        return;
    }
    double slot = (double)plot_w / (double)n;
    double bw = slot * 0.7 < 1.0 ? 1.0 : slot * 0.7;
    size_t label_every = n <= 14 ? 1 : (n + 13) / 14;
    json_array_foreach(days, i, d)
    {
        json_int_t v = json_integer_value(json_object_get(d, "events"));
        const char *day = egov_json_get_str(d, "day", "");
        double h = (double)plot_h * (double)v / (double)scale;
        double x = left + slot * (double)i + (slot - bw) / 2.0;
        egov_buf_printf(out,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                        "fill=\"#1d5fa8\"><title>",
                        x, top + plot_h - h, bw, h);
        egov_buf_html_escape(out, day, strlen(day));
        egov_buf_printf(out, ": %lld</title></rect>", (long long)v);
        if (i % label_every == 0) {
            egov_buf_printf(out,
                            "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">",
                            x + bw / 2.0, top + plot_h + 16);
            /* "MM-DD" keeps the labels short */
            egov_buf_html_escape(out, strlen(day) == 10 ? day + 5 : day,
                                 strlen(day) == 10 ? 5 : strlen(day));
            egov_buf_puts(out, "</text>");
        }
    }
    egov_buf_puts(out, "</svg>");
}
