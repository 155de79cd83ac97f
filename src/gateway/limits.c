/*
 * limits.c -- rate limits per consumer across the cluster, and circuit
 * breakers per provider.
 *
 * Rate limits.  A consumer's rate_per_s is what it may call through the
 * whole gateway, however many nodes share the load: calls are counted per
 * consumer and per second of the clock (a fixed window) in the shared table
 * gw_rate.  A node admits a call when the cluster's count it last heard,
 * plus the calls it admitted since, stays under the rate.  A sync thread
 * adds the node's new calls to the table and reads the cluster's total back
 * (one upsert ... RETURNING per active consumer), every SYNC_MS while the
 * consumer is calling, and at once when a node has admitted a fifth of the
 * rate unsynced.  That fifth bounds what the nodes can admit between two
 * syncs: the cluster may exceed a rate by at most 2 x nodes x rate/5 within
 * one second, and only when every node takes a burst at the same moment.
 * A call that finds its node's unsynced share used up while the cluster
 * still has room waits for the sync it hurries (a millisecond or two, at
 * most SYNC_WAIT_MS), so calls within the limit are not refused.
 *
 * Circuit breakers stay per node: a node that cannot reach a provider
 * stops sending there without asking the others, as a client would.
 *
 * Both tables are chained hash tables keyed by the full name, so two
 * consumers (or providers) never share an entry.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/gw_int.h"

#define SLOTS        1024
#define SYNC_MS      20
#define IDLE_DROP_S  60 /* entries unused this long are forgotten */
#define PURGE_EVERY  60 /* seconds between deletions of old windows */
#define SYNC_BATCH   512
#define SYNC_WAIT_MS 50 /* the longest a call waits for a sync */

static const struct egov_db_stmt st_rate_add = {
    "gw_rate_add",
    "INSERT INTO gw_rate (client, win, calls) VALUES ($1, $2, $3)"
    " ON CONFLICT (client, win) DO UPDATE SET calls = gw_rate.calls + excluded.calls"
    " RETURNING calls",
    NULL};
static const struct egov_db_stmt st_rate_get = {
    "gw_rate_get", "SELECT calls FROM gw_rate WHERE client = $1 AND win = $2", NULL};
static const struct egov_db_stmt st_rate_purge = {"gw_rate_purge",
                                                  "DELETE FROM gw_rate WHERE win < $1", NULL};

struct rate_entry {
    struct rate_entry *next;
    int64_t win;          /* the second these counts are for */
    unsigned int rate;    /* the consumer's rate when last used */
    unsigned int known;   /* the cluster's count for win, as last read */
    unsigned int pending; /* admitted here since the last sync began */
    unsigned int syncing; /* admitted here, being added by the running sync */
    char client[];
};

struct breaker_entry {
    struct breaker_entry *next;
    unsigned int failures;
    int64_t open_until_us;
    bool trial; /* a half-open trial call is running */
    char provider[];
};

static pthread_mutex_t lim_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t lim_cond = PTHREAD_COND_INITIALIZER;   /* wakes the sync thread */
static pthread_cond_t lim_synced = PTHREAD_COND_INITIALIZER; /* a sync has been applied */
static struct rate_entry *rates[SLOTS];
static struct breaker_entry *breakers[SLOTS];
static struct egov_db *lim_db;
static pthread_t lim_thread;
static bool lim_running, lim_stopping, lim_hurry;

static unsigned int slot_of(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % SLOTS;
}

static int64_t now_s(void)
{
    return egov_now_us() / 1000000;
}

/* The entry of @p client, made if new; NULL when out of memory.  Under lim_lock. */
static struct rate_entry *rate_entry(const char *client)
{
    unsigned int s = slot_of(client);
    for (struct rate_entry *e = rates[s]; e != NULL; e = e->next)
        if (strcmp(e->client, client) == 0)
            return e;
    size_t n = strlen(client);
    struct rate_entry *e = egov_calloc(1, sizeof *e + n + 1);
    if (e == NULL)
        return NULL;
    memcpy(e->client, client, n + 1);
    e->next = rates[s];
    rates[s] = e;
    return e;
}

/* The most a node admits between two syncs: a fifth of the rate, at least one. */
static unsigned int unsynced_cap(unsigned int rate)
{
    return rate >= 5 ? rate / 5 : 1;
}

bool gw_rate_take(const char *client, unsigned int rate)
{
    if (rate == 0)
        return true;
    bool ok = false;
    pthread_mutex_lock(&lim_lock);
    for (int round = 0;; round++) {
        struct rate_entry *e = rate_entry(client);
        if (e == NULL)
            break; /* out of memory: refused, as a limit that cannot be kept */
        int64_t w = now_s();
        if (e->win != w) {
            e->win = w;
            e->known = e->pending = e->syncing = 0;
        }
        e->rate = rate;
        uint64_t seen = (uint64_t)e->known + e->syncing + e->pending;
        if (seen >= rate)
            break;
        unsigned int cap = unsynced_cap(rate);
        if (e->pending < cap || !lim_running) {
            ok = true;
            if (++e->pending >= cap) {
                lim_hurry = true; /* share the count before the next call needs it */
                pthread_cond_signal(&lim_cond);
            } else if (e->pending == 1) {
                pthread_cond_signal(&lim_cond); /* the sync thread may be idle */
            }
            break;
        }
        /*
         * The cluster has room but this node has run ahead of it by its
         * share: wait for the sync under way (a millisecond or two) rather
         * than refuse a call within the limit.  Bounded, and refused if the
         * database does not answer in time.
         */
        if (round >= 2)
            break;
        lim_hurry = true;
        pthread_cond_signal(&lim_cond);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += SYNC_WAIT_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&lim_synced, &lim_lock, &ts);
    }
    pthread_mutex_unlock(&lim_lock);
    return ok;
}

/* One consumer's part of a sync. */
struct sync_item {
    char *client;
    int64_t win;
    unsigned int added;
    int64_t calls; /* the cluster's count after the sync; -1 unknown */
};

struct sync_ctx {
    struct sync_item *items;
    size_t n;
    int64_t purge_before; /* 0: no purge */
};

static enum egov_db_qs sync_body(struct egov_db_conn *c, void *cls)
{
    struct sync_ctx *x = cls;
    for (size_t i = 0; i < x->n; i++) {
        struct sync_item *it = &x->items[i];
        struct egov_db_rows *rows = NULL;
        enum egov_db_qs qs;
        if (it->added > 0)
            qs = egov_db_query(c, &st_rate_add,
                               (struct egov_db_param[]){
                                   EGOV_DB_PARAM_TEXT(it->client), EGOV_DB_PARAM_INT64(it->win),
                                   EGOV_DB_PARAM_INT64(it->added), EGOV_DB_PARAM_END},
                               &rows);
        else
            qs = egov_db_query(c, &st_rate_get,
                               (struct egov_db_param[]){EGOV_DB_PARAM_TEXT(it->client),
                                                        EGOV_DB_PARAM_INT64(it->win),
                                                        EGOV_DB_PARAM_END},
                               &rows);
        if (qs < 0) {
            egov_db_rows_free(rows);
            return qs;
        }
        it->calls = qs == EGOV_DB_ONE_ROW ? egov_db_rows_int64(rows, 0, 0) : 0;
        egov_db_rows_free(rows);
    }
    if (x->purge_before > 0) {
        enum egov_db_qs qs = egov_db_exec(
            c, &st_rate_purge,
            (struct egov_db_param[]){EGOV_DB_PARAM_INT64(x->purge_before), EGOV_DB_PARAM_END});
        if (qs < 0)
            return qs;
    }
    return EGOV_DB_ONE_ROW;
}

/*
 * Takes what the consumers active in this second have admitted here since
 * the last sync (moving it to "syncing"), and forgets entries idle for a
 * minute.  Under lim_lock.  Returns the number of items filled.
 */
static size_t take_snapshot(struct sync_item *items, size_t max)
{
    size_t n = 0;
    int64_t w = now_s();
    for (unsigned int s = 0; s < SLOTS; s++) {
        struct rate_entry **pp = &rates[s];
        while (*pp != NULL) {
            struct rate_entry *e = *pp;
            if (e->win < w - IDLE_DROP_S && e->syncing == 0) {
                *pp = e->next;
                egov_free(e);
                continue;
            }
            if (e->win == w && n < max) {
                char *copy = egov_strdup(e->client);
                if (copy != NULL) {
                    items[n] = (struct sync_item){copy, w, e->pending, -1};
                    e->syncing += e->pending;
                    e->pending = 0;
                    n++;
                }
            }
            pp = &e->next;
        }
    }
    return n;
}

/* Hands the cluster's counts back to the entries.  Under lim_lock. */
static void apply_sync(struct sync_item *items, size_t n, bool ok)
{
    for (size_t i = 0; i < n; i++) {
        struct rate_entry *e = NULL;
        for (e = rates[slot_of(items[i].client)]; e != NULL; e = e->next)
            if (strcmp(e->client, items[i].client) == 0)
                break;
        if (e != NULL && e->win == items[i].win) {
            e->syncing -= items[i].added <= e->syncing ? items[i].added : e->syncing;
            if (ok && items[i].calls >= 0) {
                /* the cluster's count now includes what this node just added */
                e->known = items[i].calls > (int64_t)UINT32_MAX ? UINT32_MAX
                                                                : (unsigned int)items[i].calls;
            } else {
                e->pending += items[i].added; /* tried again at the next sync */
            }
        }
        egov_free(items[i].client);
    }
}

static void *lim_main(void *arg)
{
    (void)arg;
    struct sync_item *items = egov_calloc(SYNC_BATCH, sizeof *items);
    int64_t purged = 0;
    bool warned = false;
    pthread_mutex_lock(&lim_lock);
    while (!lim_stopping) {
        size_t n = items != NULL ? take_snapshot(items, SYNC_BATCH) : 0;
        if (n == 0) {
            /* nobody limited is calling: wait for a call (or a minute, to forget idle entries) */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 1;
            pthread_cond_timedwait(&lim_cond, &lim_lock, &ts);
            continue;
        }
        lim_hurry = false;
        pthread_mutex_unlock(&lim_lock);
        struct sync_ctx x = {items, n, 0};
        int64_t now = now_s();
        if (now - purged >= PURGE_EVERY)
            x.purge_before = now - PURGE_EVERY;
        enum egov_db_qs qs = egov_db_run_txn(lim_db, true, 2000, 3, sync_body, &x);
        if (qs >= 0 && x.purge_before > 0)
            purged = now;
        if (qs < 0 && !warned) {
            egov_error("gateway: rate counts cannot be shared through the database; "
                       "each node counts alone until it can");
            warned = true;
        } else if (qs >= 0) {
            warned = false;
        }
        pthread_mutex_lock(&lim_lock);
        apply_sync(items, n, qs >= 0);
        pthread_cond_broadcast(&lim_synced);
        if (!lim_hurry && !lim_stopping) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += SYNC_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            while (!lim_hurry && !lim_stopping &&
                   pthread_cond_timedwait(&lim_cond, &lim_lock, &ts) != ETIMEDOUT)
                ;
        }
    }
    pthread_mutex_unlock(&lim_lock);
    egov_free(items);
    return NULL;
}

bool gw_limits_start(struct egov_db *db)
{
    pthread_mutex_lock(&lim_lock);
    bool ok = true;
    if (!lim_running) {
        lim_db = db;
        lim_stopping = false;
        lim_running = ok = pthread_create(&lim_thread, NULL, lim_main, NULL) == 0;
    }
    pthread_mutex_unlock(&lim_lock);
    return ok;
}

void gw_limits_stop(void)
{
    pthread_mutex_lock(&lim_lock);
    bool was = lim_running;
    lim_stopping = true;
    pthread_cond_broadcast(&lim_cond);
    pthread_cond_broadcast(&lim_synced);
    pthread_mutex_unlock(&lim_lock);
    if (was)
        pthread_join(lim_thread, NULL);
    pthread_mutex_lock(&lim_lock);
    lim_running = false;
    for (unsigned int s = 0; s < SLOTS; s++) {
        while (rates[s] != NULL) {
            struct rate_entry *e = rates[s];
            rates[s] = e->next;
            egov_free(e);
        }
        while (breakers[s] != NULL) {
            struct breaker_entry *b = breakers[s];
            breakers[s] = b->next;
            egov_free(b);
        }
    }
    pthread_mutex_unlock(&lim_lock);
}

/* ------------------------------------------------------------------ */
/* Circuit breakers                                                     */
/* ------------------------------------------------------------------ */

/* The breaker of @p provider, made if @p make; NULL if none.  Under lim_lock. */
static struct breaker_entry *breaker_entry(const char *provider, bool make)
{
    unsigned int s = slot_of(provider);
    for (struct breaker_entry *b = breakers[s]; b != NULL; b = b->next)
        if (strcmp(b->provider, provider) == 0)
            return b;
    if (!make)
        return NULL;
    size_t n = strlen(provider);
    struct breaker_entry *b = egov_calloc(1, sizeof *b + n + 1);
    if (b == NULL)
        return NULL;
    memcpy(b->provider, provider, n + 1);
    b->next = breakers[s];
    breakers[s] = b;
    return b;
}

bool gw_breaker_allow(const char *provider)
{
    bool ok = true;
    pthread_mutex_lock(&lim_lock);
    struct breaker_entry *b = breaker_entry(provider, true);
    if (b != NULL && b->failures >= gw_settings.breaker_failures) {
        if (egov_mono_us() < b->open_until_us || b->trial)
            ok = false;
        else
            b->trial = true;
    }
    pthread_mutex_unlock(&lim_lock);
    return ok;
}

void gw_breaker_report(const char *provider, bool success)
{
    pthread_mutex_lock(&lim_lock);
    struct breaker_entry *b = breaker_entry(provider, false);
    if (b != NULL) {
        b->trial = false;
        if (success) {
            b->failures = 0;
        } else {
            b->failures++;
            if (b->failures >= gw_settings.breaker_failures)
                b->open_until_us = egov_mono_us() + (int64_t)gw_settings.breaker_open_ms * 1000;
        }
    }
    pthread_mutex_unlock(&lim_lock);
}
