/*
 * events.c -- publish/subscribe between agencies through the outbox.
 *
 * A publisher's event is stored once (its id makes a second publication a
 * no-op) and, in the same transaction, one delivery per active
 * subscription of its subject is created and enqueued as a job.  A
 * delivery keeps its id across attempts, so the receiver applies it once
 * (it de-duplicates on X-Egov-Delivery).  Deliveries of one subscription
 * and one event key (the person) go out in publication order: a delivery
 * waits while an earlier one for the same key is still pending.  The
 * receiver's 2xx answer is the acknowledgement; after too many failures,
 * or a 4xx answer, the delivery goes to the dead-letter list, from where
 * an administrator can send it again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gw_int.h"

#define MAX_ATTEMPTS 8

static const struct egov_db_stmt st_event_insert = {
    "gw_event_insert",
    "INSERT INTO gw_event (id, subject, event_key, publisher, order_no, body, received_at)"
    " VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (id) DO NOTHING",
    NULL};
static const struct egov_db_stmt st_subs_of = {
    "gw_subs_of", "SELECT id FROM gw_subscription WHERE subject = $1 AND active = 1 ORDER BY id",
    NULL};
static const struct egov_db_stmt st_delivery_insert = {
    "gw_delivery_insert",
    "INSERT INTO gw_delivery (id, event_id, subscription_id, event_key, order_no, state,"
    " attempts, created_at) VALUES ($1,$2,$3,$4,$5,'pending',0,$6)",
    NULL};

struct publish_txn {
    const char *publisher, *id, *subject, *key;
    int64_t order_no;
    const char *body;
    bool duplicate;
    unsigned int deliveries;
};

static enum egov_db_qs enqueue_delivery(struct egov_db_conn *c, const char *delivery_id)
{
    char payload[80];
    snprintf(payload, sizeof payload, "{\"delivery\":\"%s\"}", delivery_id);
    return egov_job_enqueue(c, EGOV_GATEWAY_EVENT_QUEUE, payload, 0, NULL);
}

static enum egov_db_qs publish_body(struct egov_db_conn *c, void *cls)
{
    struct publish_txn *t = cls;
    t->duplicate = false;
    t->deliveries = 0;
    int64_t now = egov_now_us();
    struct egov_db_param p[] = {
        EGOV_DB_PARAM_TEXT(t->id),        EGOV_DB_PARAM_TEXT(t->subject),
        EGOV_DB_PARAM_TEXT(t->key),       EGOV_DB_PARAM_TEXT(t->publisher),
        EGOV_DB_PARAM_INT64(t->order_no), EGOV_DB_PARAM_TEXT(t->body),
        EGOV_DB_PARAM_INT64(now),         EGOV_DB_PARAM_END,
    };
    enum egov_db_qs qs = egov_db_exec(c, &st_event_insert, p);
    if (qs < 0)
        return qs;
    if (qs == 0) {
        t->duplicate = true;
        return EGOV_DB_ONE_ROW;
    }
    struct egov_db_rows *rows = NULL;
    struct egov_db_param sp[] = {EGOV_DB_PARAM_TEXT(t->subject), EGOV_DB_PARAM_END};
    qs = egov_db_query(c, &st_subs_of, sp, &rows);
    if (qs < 0)
        return qs;
    for (size_t i = 0; i < egov_db_rows_count(rows); i++) {
        char did[37];
        egov_uuid7(did);
        struct egov_db_param dp[] = {
            EGOV_DB_PARAM_TEXT(did),
            EGOV_DB_PARAM_TEXT(t->id),
            EGOV_DB_PARAM_TEXT(egov_db_rows_text(rows, i, 0)),
            EGOV_DB_PARAM_TEXT(t->key),
            EGOV_DB_PARAM_INT64(t->order_no),
            EGOV_DB_PARAM_INT64(now),
            EGOV_DB_PARAM_END,
        };
        qs = egov_db_exec(c, &st_delivery_insert, dp);
        if (qs >= 0)
            qs = enqueue_delivery(c, did);
        if (qs < 0) {
            egov_db_rows_free(rows);
            return qs;
        }
        t->deliveries++;
    }
    egov_db_rows_free(rows);
    return EGOV_DB_ONE_ROW;
}

enum egov_ec egov_gateway_event_publish(struct egov_db *db, const char *publisher,
                                        const json_t *event, bool *duplicate, const char **field)
{
    *field = NULL;
    *duplicate = false;
    const char *id = json_string_value(json_object_get(event, "id"));
    const char *subject = json_string_value(json_object_get(event, "subject"));
    const char *key = json_string_value(json_object_get(event, "key"));
    json_t *data = json_object_get(event, "data");
    json_t *seq = json_object_get(event, "seq");
    if (!json_is_object(event)) {
        *field = "event";
        return EGOV_EC_GATEWAY_EVENT_INVALID;
    }
    if (id == NULL || !egov_uuid_valid(id)) {
        *field = "id";
        return EGOV_EC_GATEWAY_EVENT_INVALID;
    }
    size_t sl = subject != NULL ? strlen(subject) : 0;
    if (sl == 0 || sl > 100 || strspn(subject, "abcdefghijklmnopqrstuvwxyz0123456789.-_") != sl) {
        *field = "subject";
        return EGOV_EC_GATEWAY_EVENT_INVALID;
    }
    if (key == NULL || *key == '\0' || strlen(key) > 128) {
        *field = "key";
        return EGOV_EC_GATEWAY_EVENT_INVALID;
    }
    if (!json_is_object(data)) {
        *field = "data";
        return EGOV_EC_GATEWAY_EVENT_INVALID;
    }
    if (seq != NULL && (!json_is_integer(seq) || json_integer_value(seq) < 0)) {
        *field = "seq";
        return EGOV_EC_GATEWAY_EVENT_INVALID;
    }
    char *body = json_dumps(event, JSON_COMPACT);
    if (body == NULL)
        return EGOV_EC_GENERIC_OOM;
    struct publish_txn t = {publisher,
                            id,
                            subject,
                            key,
                            seq != NULL ? (int64_t)json_integer_value(seq) : egov_now_us(),
                            body,
                            false,
                            0};
    enum egov_ec ec = EGOV_EC_NONE;
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    if (c == NULL) {
        ec = EGOV_EC_DB_UNREACHABLE;
        goto fail;
    }
    enum egov_db_qs qs = egov_db_txn(c, true, 10, publish_body, &t);
    egov_db_release(c);
    if (qs < 0)
        ec = qs == EGOV_DB_SOFT_ERROR ? EGOV_EC_DB_SOFT_ERROR : EGOV_EC_DB_HARD_ERROR;
    *duplicate = t.duplicate;
fail:
    free(body);
    return ec;
}

/* ------------------------------------------------------------------ */
/* Delivery                                                            */
/* ------------------------------------------------------------------ */

static const struct egov_db_stmt st_delivery_get = {
    "gw_delivery_get",
    "SELECT d.state, d.attempts, d.subscription_id, d.event_key, d.order_no, e.body, s.url,"
    " s.consumer"
    " FROM gw_delivery d JOIN gw_event e ON e.id = d.event_id"
    " JOIN gw_subscription s ON s.id = d.subscription_id WHERE d.id = $1",
    NULL};
static const struct egov_db_stmt st_delivery_earlier = {
    "gw_delivery_earlier",
    "SELECT 1 FROM gw_delivery WHERE subscription_id = $1 AND event_key = $2"
    " AND state = 'pending' AND (order_no < $3 OR (order_no = $3 AND id < $4)) LIMIT 1",
    NULL};
static const struct egov_db_stmt st_delivery_update = {
    "gw_delivery_update",
    "UPDATE gw_delivery SET state = $2, attempts = attempts + 1, last_error = $3, done_at = $4"
    " WHERE id = $1 AND state = 'pending'",
    NULL};

static enum egov_db_qs update_delivery(struct egov_db *db, const char *id, const char *state,
                                       const char *err)
{
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    if (c == NULL)
        return EGOV_DB_HARD_ERROR;
    bool final = strcmp(state, "pending") != 0;
    struct egov_db_param p[] = {
        EGOV_DB_PARAM_TEXT(id),
        EGOV_DB_PARAM_TEXT(state),
        EGOV_DB_PARAM_TEXT(err),
        final ? (struct egov_db_param)EGOV_DB_PARAM_INT64(egov_now_us())
              : (struct egov_db_param)EGOV_DB_PARAM_NULL,
        EGOV_DB_PARAM_END,
    };
    enum egov_db_qs qs = egov_db_exec(c, &st_delivery_update, p);
    egov_db_release(c);
    return qs;
}

/* What a delivery's signature covers. */
struct delivery_sig {
    const char *id, *path, *digest;
};

static const char *delivery_component(const char *name, void *cls)
{
    const struct delivery_sig *d = cls;
    if (strcmp(name, "@method") == 0)
        return "POST";
    if (strcmp(name, "@path") == 0)
        return d->path;
    if (strcmp(name, "x-egov-delivery") == 0)
        return d->id;
    if (strcmp(name, "content-digest") == 0)
        return d->digest;
    return NULL;
}

static enum egov_job_result deliver(struct egov_db *db, const char *job_id, const char *payload,
                                    void *cls)
{
    (void)cls;
    (void)job_id;
    enum egov_job_result res = EGOV_JOB_RETRY;
    struct egov_db_rows *rows = NULL, *earlier = NULL;
    struct egov_http_client *hc = NULL;
    struct egov_http_response resp;
    memset(&resp, 0, sizeof resp);
    json_t *pj = json_loads(payload, 0, NULL);
    const char *did = json_string_value(json_object_get(pj, "delivery"));
    if (did == NULL || !egov_uuid_valid(did)) {
        egov_error("event delivery job with a malformed payload");
        res = EGOV_JOB_FAIL;
        goto done;
    }
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    if (c == NULL)
        goto done;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(did), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_delivery_get, p, &rows);
    if (qs == 0) {
        egov_db_release(c);
        res = EGOV_JOB_FAIL;
        goto done;
    }
    if (qs < 0 || strcmp(egov_db_rows_text(rows, 0, 0), "pending") != 0) {
        egov_db_release(c);
        res = qs < 0 ? EGOV_JOB_RETRY : EGOV_JOB_DONE;
        goto done;
    }
    struct egov_db_param ep[] = {
        EGOV_DB_PARAM_TEXT(egov_db_rows_text(rows, 0, 2)),
        EGOV_DB_PARAM_TEXT(egov_db_rows_text(rows, 0, 3)),
        EGOV_DB_PARAM_INT64(egov_db_rows_int64(rows, 0, 4)),
        EGOV_DB_PARAM_TEXT(did),
        EGOV_DB_PARAM_END,
    };
    qs = egov_db_query(c, &st_delivery_earlier, ep, &earlier);
    egov_db_release(c);
    if (qs != 0) {
        /* an earlier event for the same person is still on its way: keep the order */
        res = EGOV_JOB_RETRY;
        goto done;
    }
    int64_t attempts = egov_db_rows_int64(rows, 0, 1);
    const char *body = egov_db_rows_text(rows, 0, 5);
    const char *url = egov_db_rows_text(rows, 0, 6);
    struct egov_http_client_options o = {2000, 10000, 0, 100};
    hc = egov_http_client_create(&o);
    if (hc == NULL)
        goto done;
    char h1[120], h2[120], h3[120], h4[600], h5[200];
    snprintf(h1, sizeof h1, "X-Egov-Delivery: %s", did);
    snprintf(h2, sizeof h2, "Idempotency-Key: %s", did);
    /* signed (hmac-sha256) under the receiving system's secret, which its back office checks */
    struct delivery_sig ds = {did, NULL, NULL};
    char digest[64];
    gw_content_digest(body, strlen(body), digest);
    ds.digest = digest;
    const char *hp = strstr(url, "://");
    ds.path = hp != NULL ? strchr(hp + 3, '/') : NULL;
    if (ds.path == NULL)
        ds.path = "/";
    struct egov_arena *a = egov_arena_create(2048);
    uint8_t secret[32];
    const char *si = NULL, *sg = NULL;
    static const char *const comps[] = {"@method", "@path", "x-egov-delivery", "content-digest"};
    bool signed_ok = a != NULL && gw_provider_secret(egov_db_rows_text(rows, 0, 7), secret) &&
                     gw_sign_hmac(a, comps, 4, delivery_component, &ds, secret, &si, &sg);
    egov_wipe(secret, sizeof secret);
    if (!signed_ok) {
        egov_arena_destroy(a);
        goto done;
    }
    snprintf(h3, sizeof h3, "Content-Digest: %s", digest);
    snprintf(h4, sizeof h4, "Signature-Input: %s", si);
    snprintf(h5, sizeof h5, "Signature: %s", sg);
    egov_arena_destroy(a);
    const char *hdrs[] = {h1, h2, h3, h4, h5, "Content-Type: application/json", NULL};
    char err[256] = "";
    bool ok =
        egov_http_client_request(hc, "POST", url, hdrs, body, strlen(body), &resp, err, sizeof err);
    if (ok && resp.status >= 200 && resp.status < 300) {
        res = update_delivery(db, did, "done", NULL) >= 0 ? EGOV_JOB_DONE : EGOV_JOB_RETRY;
        goto done;
    }
    if (ok)
        snprintf(err, sizeof err, "the receiver answered %ld", resp.status);
    bool permanent =
        ok && resp.status >= 400 && resp.status < 500 && resp.status != 408 && resp.status != 429;
    if (permanent || attempts + 1 >= MAX_ATTEMPTS) {
        update_delivery(db, did, "dead", err);
        egov_warn("event delivery %s to %s given up: %s", did, url, err);
        res = EGOV_JOB_DONE; /* the dead-letter list holds it; the job is finished */
    } else {
        update_delivery(db, did, "pending", err);
        res = EGOV_JOB_RETRY;
    }
done:
    egov_http_response_free(&resp);
    egov_http_client_destroy(hc);
    egov_db_rows_free(rows);
    egov_db_rows_free(earlier);
    json_decref(pj);
    return res;
}

bool egov_gateway_events_register(void)
{
    return egov_jobs_register(EGOV_GATEWAY_EVENT_QUEUE, deliver, NULL);
}

/* ------------------------------------------------------------------ */
/* Dead letters                                                        */
/* ------------------------------------------------------------------ */

static const struct egov_db_stmt st_dead = {
    "gw_dead_list",
    "SELECT d.id, d.event_id, e.subject, s.consumer, s.url, d.attempts, d.last_error, d.done_at"
    " FROM gw_delivery d JOIN gw_event e ON e.id = d.event_id"
    " JOIN gw_subscription s ON s.id = d.subscription_id WHERE d.state = 'dead'"
    " ORDER BY d.done_at DESC LIMIT 200",
    NULL};

json_t *gw_dead_letters(struct egov_db *db)
{
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    if (c == NULL)
        return NULL;
    struct egov_db_rows *rows = NULL;
    json_t *out = NULL;
    if (egov_db_query(c, &st_dead, NULL, &rows) >= 0) {
        out = json_array();
        for (size_t i = 0; out != NULL && i < egov_db_rows_count(rows); i++) {
            char at[32];
            egov_time_rfc3339(egov_db_rows_int64(rows, i, 7), at);
            const char *le = egov_db_rows_text(rows, i, 6);
            json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s}", "id",
                                                 egov_db_rows_text(rows, i, 0), "event_id",
                                                 egov_db_rows_text(rows, i, 1), "subject",
                                                 egov_db_rows_text(rows, i, 2), "consumer",
                                                 egov_db_rows_text(rows, i, 3), "url",
                                                 egov_db_rows_text(rows, i, 4), "attempts",
                                                 (json_int_t)egov_db_rows_int64(rows, i, 5),
                                                 "last_error", le != NULL ? le : "", "at", at));
        }
    }
    egov_db_rows_free(rows);
    egov_db_release(c);
    return out;
}

static const struct egov_db_stmt st_redeliver = {
    "gw_redeliver",
    "UPDATE gw_delivery SET state = 'pending', attempts = 0, done_at = NULL"
    " WHERE id = $1 AND state = 'dead'",
    NULL};

struct redeliver_txn {
    const char *id;
    bool found;
};

static enum egov_db_qs redeliver_body(struct egov_db_conn *c, void *cls)
{
    struct redeliver_txn *t = cls;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->id), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_exec(c, &st_redeliver, p);
    t->found = qs > 0;
    if (qs > 0)
        qs = enqueue_delivery(c, t->id);
    return qs;
}

/* Sends a dead delivery again.  EGOV_EC_NONE, GENERIC_NOT_FOUND or DB_*. */
enum egov_ec gw_redeliver(struct egov_db *db, const char *id)
{
    if (!egov_uuid_valid(id))
        return EGOV_EC_GENERIC_NOT_FOUND;
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    if (c == NULL)
        return EGOV_EC_DB_UNREACHABLE;
    struct redeliver_txn t = {id, false};
    enum egov_db_qs qs = egov_db_txn(c, true, 5, redeliver_body, &t);
    egov_db_release(c);
    if (qs < 0)
        return EGOV_EC_DB_HARD_ERROR;
    return t.found ? EGOV_EC_NONE : EGOV_EC_GENERIC_NOT_FOUND;
}
