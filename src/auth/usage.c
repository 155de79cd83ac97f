/*
 * usage.c -- accounting of issued tokens.
 *
 * Tokens issued from a code or a refresh token are recorded inside the
 * grant's own transaction.  Client-credentials tokens need no database
 * write at all, so that the hot path of agency systems stays a signature;
 * they are counted here per client and written as one accounting row per
 * client every AUTH_USAGE_FLUSH_MS (and when the node stops).  A node
 * that crashes loses at most that interval of counts.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "accounting/accounting.h"
#include "auth/auth_int.h"

#define AUTH_USAGE_FLUSH_MS 2000
#define USAGE_SLOTS         1024

struct slot {
    char client[AUTH_CLIENT_ID_MAX];
    char agency[64];
    int64_t n;
};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct slot slots[USAGE_SLOTS];
    unsigned int used;
    struct egov_db *db;
    pthread_t thread;
    bool running, stop;
} usage = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

struct flush_ctx {
    struct slot *slots;
    unsigned int n;
};

static enum egov_db_qs flush_body(struct egov_db_conn *c, void *cls)
{
    struct flush_ctx *x = cls;
    for (unsigned int i = 0; i < x->n; i++) {
        struct slot *s = &x->slots[i];
        enum egov_db_qs qs = egov_accounting_record(
            c, EGOV_ACCOUNTING_TOKEN, s->client, s->agency[0] ? s->agency : NULL, s->client, s->n);
        if (qs < 0)
            return qs;
    }
    return EGOV_DB_ONE_ROW;
}

/* Writes the counts; on failure they are put back for the next round. */
static void flush(void)
{
    static struct slot taken[USAGE_SLOTS];
    pthread_mutex_lock(&usage.mu);
    unsigned int n = usage.used;
    memcpy(taken, usage.slots, n * sizeof(taken[0]));
    usage.used = 0;
    struct egov_db *db = usage.db;
    pthread_mutex_unlock(&usage.mu);
    if (n == 0 || db == NULL)
        return;
    struct flush_ctx x = {taken, n};
    if (auth_write(db, flush_body, &x) >= 0)
        return;
    egov_warn("token usage could not be recorded; keeping %u counts for the next attempt", n);
    for (unsigned int i = 0; i < n; i++)
        auth_usage_count(taken[i].client, taken[i].agency, taken[i].n);
}

static void *flusher(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&usage.mu);
    while (!usage.stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += AUTH_USAGE_FLUSH_MS / 1000;
        until.tv_nsec += (AUTH_USAGE_FLUSH_MS % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&usage.cv, &usage.mu, &until);
        pthread_mutex_unlock(&usage.mu);
        flush();
        pthread_mutex_lock(&usage.mu);
    }
    pthread_mutex_unlock(&usage.mu);
    return NULL;
}

void auth_usage_count(const char *client_id, const char *agency, int64_t n)
{
    pthread_mutex_lock(&usage.mu);
    unsigned int i;
    for (i = 0; i < usage.used; i++)
        if (strcmp(usage.slots[i].client, client_id) == 0)
            break;
    if (i == usage.used && usage.used < USAGE_SLOTS) {
        snprintf(usage.slots[i].client, sizeof(usage.slots[i].client), "%s", client_id);
        snprintf(usage.slots[i].agency, sizeof(usage.slots[i].agency), "%s", agency);
        usage.slots[i].n = 0;
        usage.used++;
    }
    if (i < usage.used)
        usage.slots[i].n += n;
    bool full = usage.used == USAGE_SLOTS;
    if (full)
        pthread_cond_signal(&usage.cv);
    pthread_mutex_unlock(&usage.mu);
}

bool auth_usage_start(struct egov_db *db)
{
    pthread_mutex_lock(&usage.mu);
    usage.db = db;
    usage.stop = false;
    usage.running = pthread_create(&usage.thread, NULL, flusher, NULL) == 0;
    bool ok = usage.running;
    pthread_mutex_unlock(&usage.mu);
    return ok;
}

void auth_usage_stop(void)
{
    pthread_mutex_lock(&usage.mu);
    bool running = usage.running;
    usage.stop = true;
    pthread_cond_signal(&usage.cv);
    pthread_mutex_unlock(&usage.mu);
    if (running)
        pthread_join(usage.thread, NULL);
    flush();
    pthread_mutex_lock(&usage.mu);
    usage.running = false;
    usage.db = NULL;
    pthread_mutex_unlock(&usage.mu);
}
