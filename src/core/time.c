/*
 * time.c -- clocks, RFC 3339 timestamps, the ROC (Minguo) calendar used on
 * official documents, and HTTP dates.
 */
#include <stdio.h>
#include <string.h>

#include "core/core.h"

/* ROC year 1 is 1912; ROC year = Gregorian year - 1911. */
#define ROC_OFFSET 1911
/* Latest ROC year accepted by the parsers (Gregorian 9999). */
#define ROC_MAX_YEAR (9999 - ROC_OFFSET)

int64_t egov_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t egov_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12)
        return 0;
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

static bool date_valid(int y, int m, int d)
{
    return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (year 1..9999). */
static int64_t days_from_civil(int y, int m, int d)
{
    int64_t days = 0;
    /* whole years from year 1 to y-1 */
    int64_t py = y - 1;
    days = py * 365 + py / 4 - py / 100 + py / 400;
    for (int i = 1; i < m; i++)
        days += days_in_month(y, i);
    days += d - 1;
    /* 1970-01-01 is day 719162 counting from 0001-01-01 */
    return days - 719162;
}

/* Writes @p v (0 <= v < 10^width) as exactly @p width digits; returns the end. */
static char *put_num(char *p, int v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

void egov_time_taipei(int64_t us, char out[20])
{
    int64_t secs = us / 1000000;
    if (us % 1000000 < 0)
        secs--;
    time_t t = (time_t)(secs + 8 * 3600);
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999 ||
        strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        snprintf(out, 20, "%s", "0000-00-00 00:00:00");
}

void egov_time_rfc3339(int64_t us, char out[32])
{
    int64_t secs = us / 1000000;
    int64_t rem = us % 1000000;
    if (rem < 0) {
        rem += 1000000;
        secs--;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
        snprintf(out, 32, "%s", "0000-00-00T00:00:00.000Z");
        return;
    }
    char *p = out;
    p = put_num(p, tm.tm_year + 1900, 4);
    *p++ = '-';
    p = put_num(p, tm.tm_mon + 1, 2);
    *p++ = '-';
    p = put_num(p, tm.tm_mday, 2);
    *p++ = 'T';
    p = put_num(p, tm.tm_hour, 2);
    *p++ = ':';
    p = put_num(p, tm.tm_min, 2);
    *p++ = ':';
    p = put_num(p, tm.tm_sec, 2);
    *p++ = '.';
    p = put_num(p, (int)(rem / 1000), 3);
    *p++ = 'Z';
    *p = '\0';
}

/* Reads exactly @p n ASCII digits at *@p p; advances *@p p. */
static bool digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool expect(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

bool egov_time_parse_rfc3339(const char *s, int64_t *us)
{
    if (s == NULL)
        return false;
    const char *p = s;
    int y, mo, d, h, mi, sec;
    if (!digits(&p, 4, &y) || !expect(&p, '-') || !digits(&p, 2, &mo) || !expect(&p, '-') ||
        !digits(&p, 2, &d))
        return false;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return false;
    p++;
    if (!digits(&p, 2, &h) || !expect(&p, ':') || !digits(&p, 2, &mi) || !expect(&p, ':') ||
        !digits(&p, 2, &sec))
        return false;
    if (!date_valid(y, mo, d) || h > 23 || mi > 59 || sec > 60)
        return false;
    int64_t frac = 0;
    if (*p == '.') {
        p++;
        int nd = 0;
        while (*p >= '0' && *p <= '9') {
            if (nd < 6)
                frac = frac * 10 + (*p - '0');
            nd++;
            p++;
        }
        if (nd == 0)
            return false;
        for (int i = nd; i < 6; i++)
            frac *= 10;
    }
    int64_t offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        int oh, om;
        p++;
        if (!digits(&p, 2, &oh) || !expect(&p, ':') || !digits(&p, 2, &om))
            return false;
        if (oh > 23 || om > 59)
            return false;
        offset = sign * (int64_t)(oh * 3600 + om * 60);
    } else {
        return false;
    }
    if (*p != '\0')
        return false;
    /* a leap second (:60) counts as the first second of the next minute */
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
    /* the instant itself must lie in years 1..9999 UTC, so it can be formatted */
    if (t < days_from_civil(1, 1, 1) * 86400 || t >= days_from_civil(9999, 12, 31) * 86400 + 86400)
        return false;
    *us = t * 1000000 + frac;
    return true;
}

bool egov_time_roc_date(int year, int month, int day, char *out, size_t outlen)
{
    if (out == NULL || year < 1 + ROC_OFFSET || !date_valid(year, month, day))
        return false;
    int n = snprintf(out, outlen, "中華民國%d年%d月%d日", year - ROC_OFFSET, month, day);
    return n >= 0 && (size_t)n < outlen;
}

/* Reads 1..@p maxd digits; false if none or too many. */
static bool digits_upto(const char **p, int maxd, int *out)
{
    int v = 0, n = 0;
    while (**p >= '0' && **p <= '9') {
        if (n == maxd)
            return false;
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    if (n == 0)
        return false;
    *out = v;
    return true;
}

static bool expect_str(const char **p, const char *lit)
{
    size_t n = strlen(lit);
    if (strncmp(*p, lit, n) != 0)
        return false;
    *p += n;
    return true;
}

bool egov_time_parse_roc_date(const char *s, int *year, int *month, int *day)
{
    if (s == NULL)
        return false;
    const char *p = s;
    int ry = 0, m = 0, d = 0;
    bool ok = false;
    if (expect_str(&p, "中華民國") || expect_str(&p, "民國")) {
        /* 中華民國115年11月27日 */
        ok = digits_upto(&p, 4, &ry) && expect_str(&p, "年") && digits_upto(&p, 2, &m) &&
             expect_str(&p, "月") && digits_upto(&p, 2, &d) && expect_str(&p, "日") && *p == '\0';
    } else if (strchr(s, '/') != NULL) {
        /* 115/11/27 */
        ok = digits_upto(&p, 4, &ry) && expect(&p, '/') && digits_upto(&p, 2, &m) &&
             expect(&p, '/') && digits_upto(&p, 2, &d) && *p == '\0';
    } else {
        /* 1151127 or 0991231 (YYYMMDD); also YYMMDD for ROC years below 100 */
        size_t n = strlen(s);
        if (n == 6 || n == 7)
            ok =
                digits(&p, (int)n - 4, &ry) && digits(&p, 2, &m) && digits(&p, 2, &d) && *p == '\0';
    }
    if (!ok || ry < 1 || ry > ROC_MAX_YEAR)
        return false;
    int y = ry + ROC_OFFSET;
    if (!date_valid(y, m, d))
        return false;
    *year = y;
    *month = m;
    *day = d;
    return true;
}

void egov_time_http_date(time_t t, char out[30])
{
    static const char wday[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char mon[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
        t = 0;
        gmtime_r(&t, &tm);
    }
    char *p = out;
    memcpy(p, wday[tm.tm_wday], 3);
    p += 3;
    *p++ = ',';
    *p++ = ' ';
    p = put_num(p, tm.tm_mday, 2);
    *p++ = ' ';
    memcpy(p, mon[tm.tm_mon], 3);
    p += 3;
    *p++ = ' ';
    p = put_num(p, tm.tm_year + 1900, 4);
    *p++ = ' ';
    p = put_num(p, tm.tm_hour, 2);
    *p++ = ':';
    p = put_num(p, tm.tm_min, 2);
    *p++ = ':';
    p = put_num(p, tm.tm_sec, 2);
    memcpy(p, " GMT", 5);
}
