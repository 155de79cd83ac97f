/*
 * stats.c -- operational monitoring of the gateway per service: calls by
 * status class, errors, latency histogram; rendered into /metrics and
 * shown on the admin page.
 */
#include <stdio.h>
#include <string.h>

#include "gateway/gw_int.h"

#define MAX_SERVICES 256
static const double bounds[] = {0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1,
                                0.25,  0.5,   1,     2.5,  5,     10};
#define NB (sizeof bounds / sizeof bounds[0])

struct svc_stats {
    char service[300];
    unsigned long long ok, client_err, server_err;
    unsigned long long le[NB];
    unsigned long long count;
    double sum_s;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct svc_stats *table;
static size_t n;
static unsigned long long dropped;

void gw_stats_count(const char *service, unsigned int status, int64_t duration_us)
{
    double s = (double)duration_us / 1e6;
    pthread_mutex_lock(&lock);
    if (table == NULL)
        table = egov_calloc(MAX_SERVICES, sizeof *table);
    struct svc_stats *st = NULL;
    for (size_t i = 0; table != NULL && i < n; i++)
        if (strcmp(table[i].service, service) == 0) {
            st = &table[i];
            break;
        }
    if (st == NULL && table != NULL && n < MAX_SERVICES) {
        st = &table[n++];
        snprintf(st->service, sizeof st->service, "%s", service);
    }
    if (st == NULL) {
        dropped++;
        pthread_mutex_unlock(&lock);
        return;
    }
    if (status >= 500)
        st->server_err++;
    else if (status >= 400)
        st->client_err++;
    else
        st->ok++;
    for (size_t b = 0; b < NB; b++)
        if (s <= bounds[b])
            st->le[b]++;
    st->count++;
    st->sum_s += s;
    pthread_mutex_unlock(&lock);
}

/* Writes a label value with ", \ and newlines escaped. */
static void label(struct egov_buf *out, const char *v)
{
    for (; *v; v++) {
        if (*v == '"' || *v == '\\')
            egov_buf_putc(out, '\\');
        if (*v == '\n') {
            egov_buf_puts(out, "\\n");
            continue;
        }
        egov_buf_putc(out, *v);
    }
}

void gw_stats_render(struct egov_buf *out, void *cls)
{
    (void)cls;
    pthread_mutex_lock(&lock);
    egov_buf_puts(out, "# HELP egov_gateway_calls_total Calls through the gateway by service and "
                       "outcome.\n# TYPE egov_gateway_calls_total counter\n");
    for (size_t i = 0; i < n; i++) {
        static const char *const cls_names[3] = {"ok", "client_error", "server_error"};
        unsigned long long v[3] = {table[i].ok, table[i].client_err, table[i].server_err};
        for (int c = 0; c < 3; c++) {
            egov_buf_puts(out, "egov_gateway_calls_total{service=\"");
            label(out, table[i].service);
            egov_buf_printf(out, "\",outcome=\"%s\"} %llu\n", cls_names[c], v[c]);
        }
    }
    egov_buf_puts(out, "# HELP egov_gateway_call_duration_seconds Time from request to answer "
                       "through the gateway.\n# TYPE egov_gateway_call_duration_seconds "
                       "histogram\n");
    for (size_t i = 0; i < n; i++) {
        for (size_t b = 0; b < NB; b++) {
            egov_buf_puts(out, "egov_gateway_call_duration_seconds_bucket{service=\"");
            label(out, table[i].service);
            egov_buf_printf(out, "\",le=\"%g\"} %llu\n", bounds[b], table[i].le[b]);
        }
        egov_buf_puts(out, "egov_gateway_call_duration_seconds_bucket{service=\"");
        label(out, table[i].service);
        egov_buf_printf(out, "\",le=\"+Inf\"} %llu\n", table[i].count);
        egov_buf_puts(out, "egov_gateway_call_duration_seconds_sum{service=\"");
        label(out, table[i].service);
        egov_buf_printf(out, "\"} %.6f\n", table[i].sum_s);
        egov_buf_puts(out, "egov_gateway_call_duration_seconds_count{service=\"");
        label(out, table[i].service);
        egov_buf_printf(out, "\"} %llu\n", table[i].count);
    }
    egov_buf_printf(out,
                    "# HELP egov_gateway_stats_dropped_total Calls not counted because the "
                    "service table was full.\n# TYPE egov_gateway_stats_dropped_total "
                    "counter\negov_gateway_stats_dropped_total %llu\n",
                    dropped);
    pthread_mutex_unlock(&lock);
}

json_t *gw_stats_json(void)
{
    json_t *arr = json_array();
    pthread_mutex_lock(&lock);
    for (size_t i = 0; arr != NULL && i < n; i++) {
        double avg_ms = table[i].count ? table[i].sum_s * 1000.0 / (double)table[i].count : 0;
        char avg[320];
        snprintf(avg, sizeof avg, "%.2f", avg_ms);
        json_array_append_new(
            arr, json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:s}", "service", table[i].service,
                           "registered", strcmp(table[i].service, "-") != 0, "calls",
                           (json_int_t)table[i].count, "ok", (json_int_t)table[i].ok,
                           "client_errors", (json_int_t)table[i].client_err, "server_errors",
                           (json_int_t)table[i].server_err, "avg_ms", avg));
    }
    pthread_mutex_unlock(&lock);
    return arr;
}

/* The smallest histogram bound under which at least @p q of the calls fell; 0 if beyond all. */
static double quantile_bound(const struct svc_stats *st, double q)
{
    for (size_t b = 0; b < NB; b++)
        if ((double)st->le[b] >= q * (double)st->count)
            return bounds[b];
    return 0;
}

void gw_stats_svg(const struct gw_stats_labels *lb, struct egov_buf *out)
{
    enum { W = 720, ROW = 46, TOP = 30, LEFT = 4, BAR_W = 470, BAR_H = 16 };
    static const char *const colours[3] = {"#2e7d32", "#e08a00", "#c62828"};
    pthread_mutex_lock(&lock);
    size_t rows = n;
    unsigned long long max = 1;
    for (size_t i = 0; i < rows; i++)
        if (table[i].count > max)
            max = table[i].count;
    int h = TOP + (int)rows * ROW + 8;
    egov_buf_printf(
        out,
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\""
        " role=\"img\" aria-labelledby=\"gw-chart-title\"><title id=\"gw-chart-title\">",
        W, h);
    egov_buf_html_escape(out, lb->title, strlen(lb->title));
    egov_buf_puts(out, "</title>");
    /* legend */
    const char *names[3] = {lb->ok, lb->refused, lb->failed};
    for (int c = 0; c < 3; c++) {
        int x = LEFT + c * 160;
        egov_buf_printf(out,
                        "<rect x=\"%d\" y=\"6\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                        "<text x=\"%d\" y=\"16\" font-size=\"12\">",
                        x, colours[c], x + 18);
        egov_buf_html_escape(out, names[c], strlen(names[c]));
        egov_buf_puts(out, "</text>");
    }
    for (size_t i = 0; i < rows; i++) {
        const struct svc_stats *st = &table[i];
        int y = TOP + (int)i * ROW;
        egov_buf_printf(out, "<text x=\"%d\" y=\"%d\" font-size=\"12\">", LEFT, y + 12);
        const char *name = strcmp(st->service, "-") == 0 ? lb->unknown : st->service;
        egov_buf_html_escape(out, name, strlen(name));
        egov_buf_puts(out, "</text>");
        unsigned long long v[3] = {st->ok, st->client_err, st->server_err};
        double x = LEFT;
        for (int c = 0; c < 3; c++) {
            double w = (double)BAR_W * (double)v[c] / (double)max;
            if (v[c] == 0)
                continue;
            if (w < 1.0)
                w = 1.0;
            egov_buf_printf(out,
                            "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
                            "<title>",
                            x, y + 18, w, BAR_H, colours[c]);
            egov_buf_html_escape(out, names[c], strlen(names[c]));
            egov_buf_printf(out, ": %llu</title></rect>", v[c]);
            x += w;
        }
        double avg = st->count ? st->sum_s * 1000.0 / (double)st->count : 0;
        double p99 = quantile_bound(st, 0.99) * 1000.0;
        egov_buf_printf(out, "<text x=\"%d\" y=\"%d\" font-size=\"12\">%llu ", LEFT + BAR_W + 10,
                        y + 30, st->count);
        egov_buf_html_escape(out, lb->calls, strlen(lb->calls));
        egov_buf_puts(out, " · ");
        egov_buf_html_escape(out, lb->avg, strlen(lb->avg));
        egov_buf_printf(out, " %.1f ms", avg);
        if (p99 > 0) {
            egov_buf_puts(out, " · p99 ≤ ");
            egov_buf_printf(out, "%g ms", p99);
        }
        egov_buf_puts(out, "</text>");
    }
    pthread_mutex_unlock(&lock);
    egov_buf_puts(out, "</svg>");
}

void gw_svg_hbars(struct egov_buf *out, const char *title, const char *const *labels,
                  const double *values, size_t count)
{
    enum { W = 720, ROW = 40, TOP = 8, LEFT = 4, BAR_W = 560, BAR_H = 14 };
    double max = 0;
    for (size_t i = 0; i < count; i++)
        if (values[i] > max)
            max = values[i];
    if (max <= 0)
        max = 1;
    egov_buf_printf(
        out,
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\""
        " role=\"img\" aria-labelledby=\"hbars-title\"><title id=\"hbars-title\">",
        W, TOP + (int)count * ROW + 4);
    egov_buf_html_escape(out, title, strlen(title));
    egov_buf_puts(out, "</title>");
    for (size_t i = 0; i < count; i++) {
        int y = TOP + (int)i * ROW;
        double w = (double)BAR_W * values[i] / max;
        if (w < 1.0)
            w = 1.0;
        egov_buf_printf(out, "<text x=\"%d\" y=\"%d\" font-size=\"13\">", LEFT, y + 12);
        egov_buf_html_escape(out, labels[i], strlen(labels[i]));
        egov_buf_printf(out,
                        "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
                        "fill=\"#1d5fa8\"><title>",
                        LEFT, y + 18, w, BAR_H);
        egov_buf_html_escape(out, labels[i], strlen(labels[i]));
        egov_buf_printf(out,
                        ": %g</title></rect><text x=\"%.1f\" y=\"%d\" font-size=\"12\">%g</text>",
                        values[i], LEFT + w + 6, y + 30, values[i]);
    }
    egov_buf_puts(out, "</svg>");
}

void gw_stats_fini(void)
{
    pthread_mutex_lock(&lock);
    egov_free(table);
    table = NULL;
    n = 0;
    pthread_mutex_unlock(&lock);
}
