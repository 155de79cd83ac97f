/*
 * webhook.c -- outbound webhook deliveries as outbox jobs.
 *
 * The payload of a job in queue "http.webhook" is {"url": ..., "body": ...}.
 * Each worker thread keeps one libcurl client (connection reuse), freed
 * when the thread ends.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "http/http.h"

static pthread_key_t client_key;
static pthread_once_t client_once = PTHREAD_ONCE_INIT;

static void client_free(void *p)
{
    egov_http_client_destroy(p);
}

static void client_key_init(void)
{
    pthread_key_create(&client_key, client_free);
}

/* The calling thread's client, created on first use; NULL on OOM. */
static struct egov_http_client *thread_client(void)
{
    pthread_once(&client_once, client_key_init);
    struct egov_http_client *c = pthread_getspecific(client_key);
    if (c == NULL) {
        struct egov_http_client_options opt = {
            .connect_timeout_ms = 2000,
            .timeout_ms = 10000,
            .retries = 0, /* the job queue retries, with back-off */
            .retry_backoff_ms = 0,
        };
        c = egov_http_client_create(&opt);
        if (c != NULL)
            pthread_setspecific(client_key, c);
    }
    return c;
}

static bool url_acceptable(const char *url)
{
    return strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
}

enum egov_db_qs egov_webhook_enqueue(struct egov_db_conn *c, const char *url, const char *body,
                                     char id_out[37])
{
    if (url == NULL || body == NULL || !url_acceptable(url))
        return EGOV_DB_HARD_ERROR;
    json_t *p = json_pack("{s:s, s:s}", "url", url, "body", body);
    if (p == NULL)
        return EGOV_DB_HARD_ERROR;
    char *text = egov_json_dumps(p);
    json_decref(p);
    if (text == NULL)
        return EGOV_DB_HARD_ERROR;
    enum egov_db_qs qs = egov_job_enqueue(c, EGOV_WEBHOOK_QUEUE, text, 0, id_out);
    egov_free(text);
    return qs;
}

static enum egov_job_result deliver(struct egov_db *db, const char *job_id, const char *payload,
                                    void *cls)
{
    (void)db;
    (void)cls;
    enum egov_job_result result = EGOV_JOB_RETRY;
    struct egov_json_error jerr;
    json_t *p = egov_json_loads(payload, strlen(payload), &jerr);
    const char *url = NULL, *body = NULL;
    struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_STRING("url", &url),
        EGOV_JSON_SPEC_STRING("body", &body),
        EGOV_JSON_SPEC_END,
    };
    if (p == NULL || !egov_json_parse_spec(p, spec, &jerr) || !url_acceptable(url)) {
        EGOV_BUG("webhook job %s has a malformed payload", job_id);
        result = EGOV_JOB_FAIL;
        goto done;
    }
    struct egov_http_client *client = thread_client();
    if (client == NULL)
        goto done;
    char h_key[64], h_delivery[64];
    snprintf(h_key, sizeof(h_key), "Idempotency-Key: %s", job_id);
    snprintf(h_delivery, sizeof(h_delivery), "X-Egov-Delivery: %s", job_id);
    const char *const headers[] = {"Content-Type: application/json", h_key, h_delivery, NULL};
    struct egov_http_response resp = {0};
    char err[256] = "";
    if (!egov_http_client_request(client, "POST", url, headers, body, strlen(body), &resp, err,
                                  sizeof(err))) {
        egov_warn("webhook %s to %s failed: %s", job_id, url, err);
        goto done;
    }
    if (resp.status >= 200 && resp.status < 300)
        result = EGOV_JOB_DONE;
    else if (resp.status >= 400 && resp.status < 500 && resp.status != 408 && resp.status != 429)
        result = EGOV_JOB_FAIL;
    if (result != EGOV_JOB_DONE)
        egov_warn("webhook %s to %s answered %ld", job_id, url, resp.status);
    egov_http_response_free(&resp);
done:
    json_decref(p);
    return result;
}

bool egov_webhook_register(void)
{
    return egov_jobs_register(EGOV_WEBHOOK_QUEUE, deliver, NULL);
}
