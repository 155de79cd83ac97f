/*
 * limits.c -- rate limits per consumer across the cluster, and circuit
 * breakers per provider.
 *
 * Rate limits.  A consumer's rate_per_s is what it may call through the
 * whole gateway, however many nodes share the load: calls are counted per
 * consumer and per second of the clock (a fixed window) in the shared table
 * gw_rate.  A node admits a call while the cluster's count it last heard,
 * plus the calls it admitted since, stays under the rate, and never waits
 * to decide.  A sync thread per node adds the node's new calls to the table
 * and reads the cluster's total back (one upsert ... RETURNING per calling
 * consumer, at READ COMMITTED so that nodes updating one row do not fail
 * each other): at once when the node's unsynced calls for a consumer reach
 * a fifth of its rate, every SYNC_MS while the consumer is within half of
 * its rate, and every SYNC_IDLE_MS while it calls far below it.
 *
 * What that allows: between two syncs a node decides on what it last
 * heard, so when several nodes take a burst for one consumer in the same
 * few milliseconds (typically as a second begins, when every node's count
 * starts again from zero) the cluster can let through up to (nodes x rate)
 * in that second.  Calls spread over the second are counted within a sync
 * of the truth.  Windows follow each node's clock; nodes whose clocks
 * disagree count part of a second into the next.  If the database cannot
 * be reached each node counts alone, retrying with back-off.
 *
 * Circuit breakers stay per node: a node that cannot reach a provider
 * stops sending there on its own evidence, as any client would.  A
 * half-open trial that never reports (the call ended before it was sent)
 * expires, so a breaker cannot stay open for good.
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
#define SYNC_MS      20   /* sync period for consumers near their limit */
#define SYNC_IDLE_MS 100  /* ... and for the others, while they call */
#define BACKOFF_MAX  1000 /* ms between syncs while the database fails */
#define IDLE_DROP_S  60   /* entries unused this long are forgotten */
#define PURGE_EVERY  60   /* seconds between deletions of old windows */
#define SYNC_BATCH   512

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
    int64_t synced_us;    /* when a sync last took this entry (monotonic) */
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
    int64_t trial_until_us; /* 0, or a half-open trial call runs until then */
    char provider[];
};

/* One consumer's part of a sync. */
struct sync_item {
    char *client;
    int64_t win;
    unsigned int added;
    int64_t calls; /* the cluster's count after the sync; -1 unknown */
};

static pthread_mutex_t lim_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t lim_cond; /* wakes the sync thread; CLOCK_MONOTONIC */
static struct rate_entry *rates[SLOTS];
static struct breaker_entry *breakers[SLOTS];
static unsigned int scan_from; /* where the next snapshot starts, round robin */
static struct egov_db *lim_db;
static struct sync_item *lim_items;
static pthread_t lim_thread;
static bool lim_running, lim_stopping, lim_hurry;

static unsigned int slot_of(const char *s)
{
    return egov_str_hash(s) % SLOTS;
}

static int64_t now_s(void)
{
    return egov_now_us() / 1000000;
}

/* @p ts set to @p ms milliseconds from now on the monotonic clock. */
static void deadline_in(struct timespec *ts, long ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
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

bool gw_rate_take(const char *client, unsigned int rate)
{
    if (rate == 0)
        return true;
    bool ok = false;
    pthread_mutex_lock(&lim_lock);
    struct rate_entry *e = rate_entry(client);
    if (e != NULL) { /* out of memory: refused, as a limit that cannot be kept */
        int64_t w = now_s();
        if (e->win != w) {
            e->win = w;
            e->known = e->pending = e->syncing = 0;
        }
        e->rate = rate;
        ok = (uint64_t)e->known + e->syncing + e->pending < rate;
        if (ok)
            e->pending++;
        unsigned int hurry_at = rate >= 5 ? rate / 5 : 1;
        if (ok && e->pending >= hurry_at) {
            lim_hurry = true; /* share the count before the next calls need it */
            pthread_cond_signal(&lim_cond);
        } else if (ok && e->pending == 1) {
            pthread_cond_signal(&lim_cond); /* the sync thread may be idle */
        }
    }
    pthread_mutex_unlock(&lim_lock);
    return ok;
}

static int item_cmp(const void *a, const void *b)
{
    return strcmp(((const struct sync_item *)a)->client, ((const struct sync_item *)b)->client);
}

static enum egov_db_qs sync_body(struct egov_db_conn *c, void *cls)
{
    const size_t *np = cls;
    for (size_t i = 0; i < *np; i++) {
        struct sync_item *it = &lim_items[i];
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
    return EGOV_DB_ONE_ROW;
}

static enum egov_db_qs purge_body(struct egov_db_conn *c, void *cls)
{
    const int64_t *before = cls;
    return egov_db_exec(c, &st_rate_purge,
                        (struct egov_db_param[]){EGOV_DB_PARAM_INT64(*before), EGOV_DB_PARAM_END});
}

/*
 * True if entry @p e (active in this second) is due for a sync at
 * @p now_us: it has admitted a fifth of its rate unsynced, or it is within
 * half of its rate (then every SYNC_MS, to hear the other nodes early), or
 * it has unsynced calls and was last synced SYNC_IDLE_MS ago.  A consumer
 * far from its limit thus costs a node at most ten upserts a second.
 */
static bool sync_due(const struct rate_entry *e, int64_t now_us)
{
    unsigned int hurry_at = e->rate >= 5 ? e->rate / 5 : 1;
    int64_t since = now_us - e->synced_us;
    if (e->pending >= hurry_at)
        return true;
    if (2 * ((uint64_t)e->known + e->syncing + e->pending) >= e->rate)
        return since >= SYNC_MS * 1000;
    return e->pending > 0 && since >= SYNC_IDLE_MS * 1000;
}

/*
 * Takes what the consumers due for a sync have admitted here since the last
 * one (moving it to "syncing"), round robin over the table when more than
 * SYNC_BATCH are due, and forgets entries idle for a minute.  *@p active
 * tells whether any consumer called in this second.  Under lim_lock.
 * Returns the number of items filled.
 */
static size_t take_snapshot(bool *active)
{
    size_t n = 0;
    int64_t w = now_s(), now_us = egov_mono_us();
    unsigned int s = scan_from;
    *active = false;
    for (unsigned int k = 0; k < SLOTS && n < SYNC_BATCH; k++, s = (s + 1) % SLOTS) {
        struct rate_entry **pp = &rates[s];
        while (*pp != NULL) {
            struct rate_entry *e = *pp;
            if (e->win < w - IDLE_DROP_S && e->syncing == 0) {
                *pp = e->next;
                egov_free(e);
                continue;
            }
            if (e->win == w)
                *active = true;
            if (e->win == w && n < SYNC_BATCH && sync_due(e, now_us)) {
                char *copy = egov_strdup(e->client);
                if (copy != NULL) {
                    lim_items[n] = (struct sync_item){copy, w, e->pending, -1};
                    e->syncing += e->pending;
                    e->pending = 0;
                    e->synced_us = now_us;
                    n++;
                }
            }
            pp = &e->next;
        }
    }
    scan_from = s;
    return n;
}

/* Hands the cluster's counts back to the entries.  Under lim_lock. */
static void apply_sync(size_t n, bool ok)
{
    for (size_t i = 0; i < n; i++) {
        struct sync_item *it = &lim_items[i];
        struct rate_entry *e = NULL;
        for (e = rates[slot_of(it->client)]; e != NULL; e = e->next)
            if (strcmp(e->client, it->client) == 0)
                break;
        if (e != NULL && e->win == it->win) {
            e->syncing -= it->added <= e->syncing ? it->added : e->syncing;
            if (ok && it->calls >= 0) {
                /* the cluster's count, which now includes what this node just added */
                e->known = it->calls > (int64_t)UINT32_MAX ? UINT32_MAX : (unsigned int)it->calls;
            } else {
                e->pending += it->added; /* counted here, added at a later sync */
            }
        }
        egov_free(it->client);
        it->client = NULL;
    }
}

static void *lim_main(void *arg)
{
    (void)arg;
    int64_t purged = 0;
    long backoff_ms = 0; /* > 0 while the database fails */
    pthread_mutex_lock(&lim_lock);
    while (!lim_stopping) {
        bool active = false;
        size_t n = take_snapshot(&active);
        if (n == 0) {
            /* nothing due: look again soon while consumers call, else wait for a
             * call (or a second, to forget idle entries) */
            struct timespec ts;
            deadline_in(&ts, active ? SYNC_MS : 1000);
            pthread_cond_timedwait(&lim_cond, &lim_lock, &ts);
            continue;
        }
        lim_hurry = false;
        pthread_mutex_unlock(&lim_lock);
        /* the same order on every node: no two syncs wait for each other's rows */
        qsort(lim_items, n, sizeof *lim_items, item_cmp);
        enum egov_db_qs qs = EGOV_DB_SOFT_ERROR;
        struct egov_db_conn *c = egov_db_acquire(lim_db, 1000);
        if (c != NULL) {
            qs = egov_db_txn_read_committed(c, true, 2, sync_body, &n);
            int64_t now = now_s();
            if (qs >= 0 && now - purged >= PURGE_EVERY) {
                int64_t before = now - PURGE_EVERY;
                if (egov_db_txn_read_committed(c, true, 0, purge_body, &before) >= 0)
                    purged = now;
            }
            egov_db_release(c);
        }
        if (qs < 0 && backoff_ms == 0)
            egov_error("gateway: rate counts cannot be shared through the database; this node "
                       "counts alone until it can");
        else if (qs >= 0 && backoff_ms > 0)
            egov_info("gateway: rate counts are shared through the database again");
        backoff_ms = qs >= 0 ? 0 : backoff_ms == 0 ? 2 * SYNC_MS : backoff_ms * 2;
        if (backoff_ms > BACKOFF_MAX)
            backoff_ms = BACKOFF_MAX;
        pthread_mutex_lock(&lim_lock);
        apply_sync(n, qs >= 0);
        /* next sync: in SYNC_MS, or at once when a node's share is used up;
         * while the database fails, not before the back-off has passed */
        struct timespec ts;
        deadline_in(&ts, backoff_ms > 0 ? backoff_ms : SYNC_MS);
        while (!lim_stopping && (backoff_ms > 0 || !lim_hurry) &&
               pthread_cond_timedwait(&lim_cond, &lim_lock, &ts) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&lim_lock);
    return NULL;
}

bool gw_limits_start(struct egov_db *db)
{
    pthread_mutex_lock(&lim_lock);
    bool ok = true;
    if (!lim_running) {
        pthread_condattr_t ca;
        ok = pthread_condattr_init(&ca) == 0;
        if (ok) {
            ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
                 pthread_cond_init(&lim_cond, &ca) == 0;
            pthread_condattr_destroy(&ca);
        }
        lim_items = ok ? egov_calloc(SYNC_BATCH, sizeof *lim_items) : NULL;
        if (lim_items == NULL) {
            if (ok)
                pthread_cond_destroy(&lim_cond);
            ok = false;
        }
        if (ok) {
            lim_db = db;
            lim_stopping = false;
            lim_running = ok = pthread_create(&lim_thread, NULL, lim_main, NULL) == 0;
            if (!ok) {
                egov_free(lim_items);
                lim_items = NULL;
                pthread_cond_destroy(&lim_cond);
            }
        }
    }
    pthread_mutex_unlock(&lim_lock);
    return ok;
}

void gw_limits_stop(void)
{
    pthread_mutex_lock(&lim_lock);
    bool was = lim_running;
    lim_stopping = true;
    if (was)
        pthread_cond_broadcast(&lim_cond);
    pthread_mutex_unlock(&lim_lock);
    if (was)
        pthread_join(lim_thread, NULL);
    pthread_mutex_lock(&lim_lock);
    if (was) {
        pthread_cond_destroy(&lim_cond);
        egov_free(lim_items);
        lim_items = NULL;
    }
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
        int64_t now = egov_mono_us();
        if (now < b->open_until_us || now < b->trial_until_us) {
            ok = false;
        } else {
            /* one trial call; if it never reports back, another may try after this */
            b->trial_until_us =
                now + ((int64_t)gw_settings.timeout_ms + gw_settings.breaker_open_ms) * 1000;
        }
    }
    pthread_mutex_unlock(&lim_lock);
    return ok;
}

void gw_breaker_report(const char *provider, bool success)
{
    pthread_mutex_lock(&lim_lock);
    struct breaker_entry *b = breaker_entry(provider, false);
    if (b != NULL) {
        b->trial_until_us = 0;
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
