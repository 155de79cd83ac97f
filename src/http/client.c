/*
 * client.c -- outbound HTTP with libcurl: one easy handle per client so
 * connections are reused, bounded bodies, and retries with doubling
 * back-off for idempotent methods only.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "http/http_internal.h"

/** Largest response body accepted. */
#define MAX_RESPONSE_BODY (64u * 1024 * 1024)

struct egov_http_client {
    CURL *curl;
    struct egov_http_client_options opt;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static bool curl_ok;

static void curl_init_once(void)
{
    curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

struct egov_http_client *egov_http_client_create(const struct egov_http_client_options *opt)
{
    struct egov_http_client *c = NULL;
    pthread_once(&curl_once, curl_init_once);
    if (!curl_ok)
        goto done;
    c = calloc(1, sizeof *c);
    if (c == NULL)
        goto done;
    if (opt != NULL)
        c->opt = *opt;
    else {
        c->opt.retries = 2;
    }
    if (c->opt.connect_timeout_ms == 0)
        c->opt.connect_timeout_ms = 2000;
    if (c->opt.timeout_ms == 0)
        c->opt.timeout_ms = 10000;
    if (c->opt.retry_backoff_ms == 0)
        c->opt.retry_backoff_ms = 100;
    c->curl = curl_easy_init();
    if (c->curl == NULL) {
        free(c);
        c = NULL;
    }
done:
    return c;
}

void egov_http_client_destroy(struct egov_http_client *c)
{
    if (c == NULL)
        return;
    curl_easy_cleanup(c->curl);
    free(c);
}

void egov_http_response_free(struct egov_http_response *resp)
{
    if (resp == NULL)
        return;
    free(resp->body);
    free(resp->content_type);
    resp->body = NULL;
    resp->content_type = NULL;
    resp->body_len = 0;
}

struct sink {
    struct egov_buf buf;
    bool too_big;
};

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct sink *s = userdata;
    size_t n = size * nmemb;
    if (s->buf.len + n > MAX_RESPONSE_BODY) {
        s->too_big = true;
        return 0; /* makes curl fail with CURLE_WRITE_ERROR */
    }
    egov_buf_append(&s->buf, ptr, n);
    return s->buf.oom ? 0 : n;
}

static bool is_idempotent(const char *method)
{
    static const char *const ok[] = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(method, ok[i]) == 0)
            return true;
    return false;
}

static bool transport_retryable(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_COULDNT_RESOLVE_HOST:
        return true;
    default:
        return false;
    }
}

static void sleep_ms(unsigned int ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* One attempt.  Returns the curl status; fills @p resp on CURLE_OK. */
static CURLcode attempt(struct egov_http_client *c, const char *method, const char *url,
                        struct curl_slist *hdrs, const void *body, size_t body_len,
                        struct egov_http_response *resp, struct sink *sink)
{
    CURL *h = c->curl;
    CURLcode rc;
    curl_easy_reset(h); /* keeps the connection cache */
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->opt.connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->opt.timeout_ms);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)MAX_RESPONSE_BODY);
    if (hdrs != NULL)
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    }
    if (body != NULL || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
        strcmp(method, "PATCH") == 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    rc = curl_easy_perform(h);
    if (rc == CURLE_OK) {
        long status = 0;
        char *ct = NULL;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
        resp->status = status;
        free(resp->content_type);
        resp->content_type = ct ? strdup(ct) : NULL;
    }
    return rc;
}

bool egov_http_client_request(struct egov_http_client *c, const char *method, const char *url,
                              const char *const *headers, const void *body, size_t body_len,
                              struct egov_http_response *resp, char *err, size_t errlen)
{
    struct curl_slist *hdrs = NULL;
    struct sink sink;
    bool ok = false;
    bool may_retry = is_idempotent(method);
    unsigned int backoff = c->opt.retry_backoff_ms;
    CURLcode rc = CURLE_OK;

    memset(resp, 0, sizeof *resp);
    egov_buf_init(&sink.buf);
    sink.too_big = false;
    for (const char *const *hp = headers; hp != NULL && *hp != NULL; hp++) {
        struct curl_slist *n = curl_slist_append(hdrs, *hp);
        if (n == NULL) {
            snprintf(err, errlen, "out of memory");
            goto done;
        }
        hdrs = n;
    }
    for (unsigned int i = 0;; i++) {
        egov_buf_reset(&sink.buf);
        sink.too_big = false;
        resp->attempts = i + 1;
        rc = attempt(c, method, url, hdrs, body, body_len, resp, &sink);
        bool retry;
        if (rc == CURLE_OK)
            retry = resp->status == 502 || resp->status == 503 || resp->status == 504;
        else
            retry = transport_retryable(rc);
        if (!retry || !may_retry || i >= c->opt.retries)
            break;
        sleep_ms(backoff);
        if (backoff < 60000)
            backoff *= 2;
    }
    if (rc != CURLE_OK) {
        if (sink.too_big || rc == CURLE_FILESIZE_EXCEEDED)
            snprintf(err, errlen, "%s %s: response body larger than %u bytes", method, url,
                     MAX_RESPONSE_BODY);
        else
            snprintf(err, errlen, "%s %s: %s", method, url, curl_easy_strerror(rc));
        free(resp->content_type);
        resp->content_type = NULL;
        goto done;
    }
    resp->body_len = sink.buf.len;
    resp->body = egov_buf_steal(&sink.buf);
    if (resp->body == NULL) {
        snprintf(err, errlen, "out of memory");
        egov_http_response_free(resp);
        goto done;
    }
    ok = true;
done:
    egov_buf_free(&sink.buf);
    curl_slist_free_all(hdrs);
    return ok;
}
