/*
 * forward.c -- the gateway's outbound calls, all on one thread.
 *
 * A call through the gateway is checked on a server thread, then its
 * request is suspended (egov_req_suspend()) and its prepared libcurl
 * handle handed here.  One thread drives every outbound transfer with a
 * libcurl multi handle, whose connection cache keeps the providers'
 * connections alive across calls.  When a transfer ends, a call that may
 * be retried (the connection was never made, or a kept-alive connection
 * turned out stale for an idempotent method) goes out once more within
 * its deadline; otherwise the call's done() resumes its request, and the
 * rest of the work (transcoding, signing, audit) runs on a server thread
 * again.  No server thread ever waits for a provider.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/gw_int.h"

static pthread_mutex_t fwd_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gw_fwd_call *fwd_queue; /* submitted, not yet added to the multi handle */
static struct gw_fwd_call **fwd_tail = &fwd_queue;
static CURLM *fwd_multi;
static pthread_t fwd_thread;
static bool fwd_running;
static bool fwd_quit;

/* idle easy handles, reused so that each call does not build one */
#define POOL_MAX 256
static CURL *pool[POOL_MAX];
static size_t pool_n;

CURL *gw_fwd_easy_get(void)
{
    CURL *e = NULL;
    pthread_mutex_lock(&fwd_lock);
    if (pool_n > 0)
        e = pool[--pool_n];
    pthread_mutex_unlock(&fwd_lock);
    if (e != NULL)
        curl_easy_reset(e);
    else
        e = curl_easy_init();
    return e;
}

void gw_fwd_easy_put(CURL *e)
{
    if (e == NULL)
        return;
    pthread_mutex_lock(&fwd_lock);
    if (pool_n < POOL_MAX) {
        pool[pool_n++] = e;
        e = NULL;
    }
    pthread_mutex_unlock(&fwd_lock);
    curl_easy_cleanup(e);
}

static bool retryable(const struct gw_fwd_call *c, CURLcode rc)
{
    /* a connection that was never made carries no request: safe for any method */
    if (rc == CURLE_COULDNT_CONNECT)
        return true;
    bool stale = rc == CURLE_GOT_NOTHING || rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR;
    return stale && c->idempotent;
}

/* Adds @p c to the multi handle, or finishes it at once if that fails. */
static void add_call(struct gw_fwd_call *c)
{
    int64_t left_ms = (c->deadline_us - egov_mono_us()) / 1000;
    if (left_ms < 1) {
        c->result = CURLE_OPERATION_TIMEDOUT;
        c->done(c);
        return;
    }
    curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c);
    curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, (long)left_ms);
    curl_easy_setopt(c->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)(left_ms < 2000 ? left_ms : 2000));
    c->attempts++;
    if (curl_multi_add_handle(fwd_multi, c->easy) != CURLM_OK) {
        c->result = CURLE_OUT_OF_MEMORY;
        c->done(c);
    }
}

static void finished(CURL *e, CURLcode rc)
{
    struct gw_fwd_call *c = NULL;
    curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&c);
    curl_multi_remove_handle(fwd_multi, e);
    if (c == NULL)
        return;
    if (rc != CURLE_OK && c->attempts < 2 && retryable(c, rc) &&
        egov_mono_us() < c->deadline_us) {
        if (c->reset != NULL)
            c->reset(c);
        add_call(c);
        return;
    }
    c->result = rc;
    c->done(c);
}

static void *fwd_main(void *arg)
{
    (void)arg;
    int running = 0;
    for (;;) {
        pthread_mutex_lock(&fwd_lock);
        struct gw_fwd_call *q = fwd_queue;
        fwd_queue = NULL;
        fwd_tail = &fwd_queue;
        bool quit = fwd_quit;
        pthread_mutex_unlock(&fwd_lock);
        while (q != NULL) {
            struct gw_fwd_call *next = q->next;
            q->next = NULL;
            add_call(q);
            running++;
            q = next;
        }
        if (quit && running == 0)
            break;
        curl_multi_perform(fwd_multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(fwd_multi, &left)) != NULL) {
            if (m->msg != CURLMSG_DONE)
                continue;
            CURL *e = m->easy_handle;
            CURLcode rc = m->data.result;
            finished(e, rc);
        }
        /* a retried call is running again */
        curl_multi_perform(fwd_multi, &running);
        curl_multi_poll(fwd_multi, NULL, 0, 1000, NULL);
    }
    return NULL;
}

bool gw_fwd_start(void)
{
    fwd_multi = curl_multi_init();
    if (fwd_multi == NULL)
        return false;
    /* connections to providers stay open for the next calls */
    curl_multi_setopt(fwd_multi, CURLMOPT_MAXCONNECTS, 512L);
    fwd_quit = false;
    if (pthread_create(&fwd_thread, NULL, fwd_main, NULL) != 0) {
        curl_multi_cleanup(fwd_multi);
        fwd_multi = NULL;
        return false;
    }
    fwd_running = true;
    return true;
}

void gw_fwd_submit(struct gw_fwd_call *c)
{
    pthread_mutex_lock(&fwd_lock);
    c->next = NULL;
    *fwd_tail = c;
    fwd_tail = &c->next;
    pthread_mutex_unlock(&fwd_lock);
    curl_multi_wakeup(fwd_multi);
}

void gw_fwd_stop(void)
{
    if (fwd_running) {
        pthread_mutex_lock(&fwd_lock);
        fwd_quit = true;
        pthread_mutex_unlock(&fwd_lock);
        curl_multi_wakeup(fwd_multi);
        pthread_join(fwd_thread, NULL);
        fwd_running = false;
    }
    if (fwd_multi != NULL) {
        curl_multi_cleanup(fwd_multi);
        fwd_multi = NULL;
    }
    while (pool_n > 0)
        curl_easy_cleanup(pool[--pool_n]);
}
