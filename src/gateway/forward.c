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
 * its deadline; otherwise the call's done() takes it on (in the gateway:
 * the answer is transcoded, signed and its audit entry queued).  No server
 * thread ever waits for a provider.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "gateway/gw_int.h"

static pthread_mutex_t fwd_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gw_fwd_call *fwd_queue; /* submitted, not yet added to the multi handle */
static struct gw_fwd_call **fwd_tail = &fwd_queue;
static CURLM *fwd_multi;
static pthread_t fwd_thread;
static bool fwd_running;
static size_t fwd_active; /* transfers in the multi handle (forwarder thread only) */
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
        return;
    }
    fwd_active++;
}

static void finished(CURL *e, CURLcode rc)
{
    struct gw_fwd_call *c = NULL;
    curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&c);
    curl_multi_remove_handle(fwd_multi, e);
    fwd_active--;
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

/*
 * libcurl's socket interface: libcurl says which sockets to watch
 * (on_socket) and when to call it back (on_timer); the thread waits on
 * one epoll set that also holds an eventfd for new calls.  Only the
 * transfers whose sockets are ready are run, not every transfer in flight
 * at each wake-up as curl_multi_perform() would.
 */
static int fwd_epoll = -1;
static int fwd_event = -1;
static long fwd_timer_ms = -1; /* libcurl's next timeout, -1 none */

static int on_socket(CURL *e, curl_socket_t sock, int what, void *userp, void *socketp)
{
    (void)e;
    (void)userp;
    (void)socketp;
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.data.fd = sock;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(fwd_epoll, EPOLL_CTL_DEL, sock, NULL);
        return 0;
    }
    ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
    if (epoll_ctl(fwd_epoll, EPOLL_CTL_MOD, sock, &ev) != 0 && errno == ENOENT)
        epoll_ctl(fwd_epoll, EPOLL_CTL_ADD, sock, &ev);
    return 0;
}

static int on_timer(CURLM *m, long timeout_ms, void *userp)
{
    (void)m;
    (void)userp;
    fwd_timer_ms = timeout_ms;
    return 0;
}

/* Finishes every transfer libcurl reports done. */
static void reap(void)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(fwd_multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        CURL *e = m->easy_handle;
        CURLcode rc = m->data.result;
        finished(e, rc);
    }
}

static void *fwd_main(void *arg)
{
    (void)arg;
    int running = 0;
    struct epoll_event evs[64];
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
            q = next;
        }
        if (quit && fwd_active == 0)
            break;
        long t = fwd_timer_ms;
        if (t == 0) {
            /* libcurl wants to be called now (a new transfer, a retry) */
            fwd_timer_ms = -1;
            curl_multi_socket_action(fwd_multi, CURL_SOCKET_TIMEOUT, 0, &running);
            reap();
            continue;
        }
        int n = epoll_wait(fwd_epoll, evs, 64, t < 0 || t > 1000 ? 1000 : (int)t);
        if (n == 0 && fwd_timer_ms > 0) {
            fwd_timer_ms = -1;
            curl_multi_socket_action(fwd_multi, CURL_SOCKET_TIMEOUT, 0, &running);
        }
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == fwd_event) {
                uint64_t v;
                if (read(fwd_event, &v, sizeof v) < 0 && errno != EAGAIN)
                    egov_debug("gateway forwarder: reading its wake-up: %s", strerror(errno));
                continue;
            }
            int mask = (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
                       (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                       (evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
            curl_multi_socket_action(fwd_multi, fd, mask, &running);
        }
        reap();
    }
    return NULL;
}

bool gw_fwd_start(void)
{
    fwd_multi = curl_multi_init();
    fwd_epoll = epoll_create1(EPOLL_CLOEXEC);
    fwd_event = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.fd = fwd_event;
    if (fwd_multi == NULL || fwd_epoll < 0 || fwd_event < 0 ||
        epoll_ctl(fwd_epoll, EPOLL_CTL_ADD, fwd_event, &ev) != 0)
        goto fail;
    /* connections to providers stay open for the next calls */
    curl_multi_setopt(fwd_multi, CURLMOPT_MAXCONNECTS, 512L);
    curl_multi_setopt(fwd_multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(fwd_multi, CURLMOPT_TIMERFUNCTION, on_timer);
    fwd_quit = false;
    fwd_timer_ms = -1;
    if (pthread_create(&fwd_thread, NULL, fwd_main, NULL) != 0)
        goto fail;
    fwd_running = true;
    return true;
fail:
    if (fwd_multi != NULL)
        curl_multi_cleanup(fwd_multi);
    fwd_multi = NULL;
    if (fwd_epoll >= 0)
        close(fwd_epoll);
    if (fwd_event >= 0)
        close(fwd_event);
    fwd_epoll = fwd_event = -1;
    return false;
}

/* Wakes the forwarder thread. */
static void fwd_wake(void)
{
    uint64_t one = 1;
    if (write(fwd_event, &one, sizeof one) < 0 && errno != EAGAIN)
        egov_warn("gateway forwarder: cannot wake it: %s", strerror(errno));
}

void gw_fwd_submit(struct gw_fwd_call *c)
{
    pthread_mutex_lock(&fwd_lock);
    c->next = NULL;
    *fwd_tail = c;
    fwd_tail = &c->next;
    pthread_mutex_unlock(&fwd_lock);
    fwd_wake();
}

void gw_fwd_stop(void)
{
    if (fwd_running) {
        pthread_mutex_lock(&fwd_lock);
        fwd_quit = true;
        pthread_mutex_unlock(&fwd_lock);
        fwd_wake();
        pthread_join(fwd_thread, NULL);
        fwd_running = false;
    }
    if (fwd_multi != NULL) {
        curl_multi_cleanup(fwd_multi);
        fwd_multi = NULL;
    }
    if (fwd_epoll >= 0)
        close(fwd_epoll);
    if (fwd_event >= 0)
        close(fwd_event);
    fwd_epoll = fwd_event = -1;
    while (pool_n > 0)
        curl_easy_cleanup(pool[--pool_n]);
}
