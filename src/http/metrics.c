/*
 * metrics.c -- request counters and latency histograms, rendered with the
 * database pool, job and process figures in the Prometheus text format.
 * One short mutex section per finished request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/http_internal.h"

#define MAX_SERIES 1024
#define MAX_ROUTES 256

static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                 0.1,    0.25,  0.5,    1.0,   2.5,  5.0};
#define NBUCKETS (sizeof buckets / sizeof buckets[0])

struct series {
    const char *route;   /* static label from the route table */
    char method[8];
    unsigned int status;
    unsigned long long count;
};

struct route_hist {
    const char *route;
    unsigned long long le[NBUCKETS];
    unsigned long long count;
    double sum_s;
};

struct egov_http_metrics {
    pthread_mutex_t lock;
    struct series series[MAX_SERIES];
    size_t nseries;
    struct route_hist hist[MAX_ROUTES];
    size_t nhist;
    unsigned long long dropped; /* series that did not fit */
};

struct egov_http_metrics *egov_http_metrics_create(void)
{
    struct egov_http_metrics *m = calloc(1, sizeof *m);
    if (m != NULL && pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m);
        m = NULL;
    }
    return m;
}

void egov_http_metrics_destroy(struct egov_http_metrics *m)
{
    if (m == NULL)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void egov_http_metrics_record(struct egov_http_metrics *m, const char *route, const char *method,
                              unsigned int status, int64_t duration_us)
{
    double secs = (double)duration_us / 1e6;
    if (m == NULL)
        return;
    /* unknown methods would make unbounded label values */
    if (egov_http_method_bit(method) == 0)
        method = "OTHER";
    pthread_mutex_lock(&m->lock);
    struct series *sr = NULL;
    for (size_t i = 0; i < m->nseries; i++) {
        struct series *c = &m->series[i];
        if (c->status == status && strcmp(c->route, route) == 0 && strcmp(c->method, method) == 0) {
            sr = c;
            break;
        }
    }
    if (sr == NULL && m->nseries < MAX_SERIES) {
        sr = &m->series[m->nseries++];
        sr->route = route;
        snprintf(sr->method, sizeof sr->method, "%s", method);
        sr->status = status;
    }
    if (sr != NULL)
        sr->count++;
    else
        m->dropped++;
    struct route_hist *h = NULL;
    for (size_t i = 0; i < m->nhist; i++) {
        if (strcmp(m->hist[i].route, route) == 0) {
            h = &m->hist[i];
            break;
        }
    }
    if (h == NULL && m->nhist < MAX_ROUTES) {
        h = &m->hist[m->nhist++];
        h->route = route;
    }
    if (h != NULL) {
        for (size_t b = 0; b < NBUCKETS; b++)
            if (secs <= buckets[b])
                h->le[b]++;
        h->count++;
        h->sum_s += secs;
    }
    pthread_mutex_unlock(&m->lock);
}

/* Label value escaping: backslash, double quote and newline. */
static void put_label(struct egov_buf *out, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            egov_buf_putc(out, '\\');
        if (*v == '\n') {
            egov_buf_puts(out, "\\n");
            continue;
        }
        egov_buf_putc(out, *v);
    }
}

static void help(struct egov_buf *out, const char *name, const char *type, const char *text)
{
    egov_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* Resident set size from /proc/self/statm; 0 if unavailable. */
static unsigned long long rss_bytes(void)
{
    unsigned long long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f != NULL) {
        if (fscanf(f, "%llu %llu", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    long ps = sysconf(_SC_PAGESIZE);
    return resident * (unsigned long long)(ps > 0 ? ps : 4096);
}

/* Process start time in seconds since the epoch, from /proc; 0 if unavailable. */
static double process_start_time(void)
{
    char buf[1024];
    double start = 0;
    unsigned long long starttime = 0, btime = 0;
    FILE *f = fopen("/proc/self/stat", "r");
    if (f == NULL)
        goto done;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* field 22 counts from after the ")" closing the command name */
    char *p = strrchr(buf, ')');
    if (p == NULL)
        goto done;
    p += 2;
    for (int field = 3; field < 22 && p != NULL; field++) {
        p = strchr(p, ' ');
        if (p != NULL)
            p++;
    }
    if (p == NULL || sscanf(p, "%llu", &starttime) != 1)
        goto done;
    f = fopen("/proc/stat", "r");
    if (f == NULL)
        goto done;
    char line[256];
    while (fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "btime %llu", &btime) == 1)
            break;
    }
    fclose(f);
    long hz = sysconf(_SC_CLK_TCK);
    if (btime == 0 || hz <= 0)
        goto done;
    start = (double)btime + (double)starttime / (double)hz;
done:
    return start;
}

/* Series sources registered by modules (egov_metrics_register_source). */
#define MAX_SOURCES 8
static pthread_mutex_t sources_lock = PTHREAD_MUTEX_INITIALIZER;
static egov_metrics_source_fn sources[MAX_SOURCES];
static void *sources_cls[MAX_SOURCES];
static size_t nsources;

bool egov_metrics_register_source(egov_metrics_source_fn fn, void *cls)
{
    bool ok = true;
    pthread_mutex_lock(&sources_lock);
    for (size_t i = 0; i < nsources; i++)
        if (sources[i] == fn && sources_cls[i] == cls)
            goto out;
    if (nsources == MAX_SOURCES) {
        ok = false;
        goto out;
    }
    sources[nsources] = fn;
    sources_cls[nsources] = cls;
    nsources++;
out:
    pthread_mutex_unlock(&sources_lock);
    return ok;
}

void egov_metrics_render(struct egov_server *s, struct egov_buf *out)
{
    struct egov_http_metrics *m = s ? s->metrics : NULL;

    if (m != NULL) {
        help(out, "egov_http_requests_total", "counter", "HTTP requests answered.");
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->nseries; i++) {
            const struct series *c = &m->series[i];
            egov_buf_puts(out, "egov_http_requests_total{route=\"");
            put_label(out, c->route);
            egov_buf_printf(out, "\",method=\"%s\",status=\"%u\"} %llu\n", c->method, c->status,
                            c->count);
        }
        help(out, "egov_http_request_duration_seconds", "histogram",
             "Time from request line to response, per route.");
        for (size_t i = 0; i < m->nhist; i++) {
            const struct route_hist *h = &m->hist[i];
            for (size_t b = 0; b < NBUCKETS; b++) {
                egov_buf_puts(out, "egov_http_request_duration_seconds_bucket{route=\"");
                put_label(out, h->route);
                egov_buf_printf(out, "\",le=\"%g\"} %llu\n", buckets[b], h->le[b]);
            }
            egov_buf_puts(out, "egov_http_request_duration_seconds_bucket{route=\"");
            put_label(out, h->route);
            egov_buf_printf(out, "\",le=\"+Inf\"} %llu\n", h->count);
            egov_buf_puts(out, "egov_http_request_duration_seconds_sum{route=\"");
            put_label(out, h->route);
            egov_buf_printf(out, "\"} %.6f\n", h->sum_s);
            egov_buf_puts(out, "egov_http_request_duration_seconds_count{route=\"");
            put_label(out, h->route);
            egov_buf_printf(out, "\"} %llu\n", h->count);
        }
        unsigned long long dropped = m->dropped;
        pthread_mutex_unlock(&m->lock);
        help(out, "egov_http_metrics_series_dropped_total", "counter",
             "Requests not counted because the series table was full.");
        egov_buf_printf(out, "egov_http_metrics_series_dropped_total %llu\n", dropped);
        help(out, "egov_http_in_flight", "gauge", "Requests being received or handled.");
        egov_buf_printf(out, "egov_http_in_flight %u\n", atomic_load(&s->in_flight));
    }
    struct egov_db *db = s ? s->opt.db : NULL;
    if (db != NULL) {
        struct egov_db_pool_stats ps;
        memset(&ps, 0, sizeof ps);
        egov_db_pool_stats(db, &ps);
        help(out, "egov_db_pool_size", "gauge", "Connections in the database pool.");
        egov_buf_printf(out, "egov_db_pool_size %u\n", ps.size);
        help(out, "egov_db_pool_in_use", "gauge", "Connections taken from the pool.");
        egov_buf_printf(out, "egov_db_pool_in_use %u\n", ps.in_use);
        help(out, "egov_db_pool_acquired_total", "counter", "Connections handed out.");
        egov_buf_printf(out, "egov_db_pool_acquired_total %llu\n", ps.acquired);
        help(out, "egov_db_pool_waits_total", "counter", "Acquisitions that had to wait.");
        egov_buf_printf(out, "egov_db_pool_waits_total %llu\n", ps.waits);
        help(out, "egov_db_pool_timeouts_total", "counter", "Acquisitions that gave up.");
        egov_buf_printf(out, "egov_db_pool_timeouts_total %llu\n", ps.timeouts);
        help(out, "egov_db_pool_retries_total", "counter",
             "Transactions retried after a retryable error.");
        egov_buf_printf(out, "egov_db_pool_retries_total %llu\n", ps.retries);
        struct egov_jobs_stats js;
        memset(&js, 0, sizeof js);
        if (egov_jobs_stats(db, &js)) {
            help(out, "egov_jobs", "gauge", "Jobs in the outbox by state.");
            egov_buf_printf(out, "egov_jobs{state=\"pending\"} %llu\n", js.pending);
            egov_buf_printf(out, "egov_jobs{state=\"running\"} %llu\n", js.running);
            egov_buf_printf(out, "egov_jobs{state=\"done\"} %llu\n", js.done);
            egov_buf_printf(out, "egov_jobs{state=\"dead\"} %llu\n", js.dead);
            help(out, "egov_jobs_processed_total", "counter", "Jobs run by this process.");
            egov_buf_printf(out, "egov_jobs_processed_total %llu\n", js.processed);
            help(out, "egov_jobs_failed_total", "counter",
                 "Job attempts that failed in this process.");
            egov_buf_printf(out, "egov_jobs_failed_total %llu\n", js.failed);
        }
    }
    pthread_mutex_lock(&sources_lock);
    size_t ns = nsources;
    egov_metrics_source_fn fns[MAX_SOURCES];
    void *clss[MAX_SOURCES];
    memcpy(fns, sources, sizeof fns);
    memcpy(clss, sources_cls, sizeof clss);
    pthread_mutex_unlock(&sources_lock);
    for (size_t i = 0; i < ns; i++)
        fns[i](out, clss[i]);
    help(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
    egov_buf_printf(out, "process_resident_memory_bytes %llu\n", rss_bytes());
    help(out, "process_start_time_seconds", "gauge",
         "Start time of the process since unix epoch in seconds.");
    egov_buf_printf(out, "process_start_time_seconds %.2f\n", process_start_time());
}
