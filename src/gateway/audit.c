/*
 * audit.c -- the hash-chained audit log of every gateway call.
 *
 * Calls queue their entry in memory; one writer thread per node appends
 * whatever is queued in one transaction, numbering the entries and
 * chaining them: hash(n) = SHA-256(hash(n-1) | fields of n).  A call's
 * answer waits for the commit of its entry (gw_audit_record_then()), so
 * no consumer ever holds an answer the log does not: under load the
 * entries that queue up while one transaction commits go together in the
 * next (group commit).  An entry is either written whole or not at all.
 *
 * The same thread claims message ids for replay detection
 * (gw_audit_claim()) in the shared table gw_seen, in the same
 * transactions, so that a message is accepted once by the whole cluster,
 * not once per node.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "directory/directory.h"
#include "gateway/gw_int.h"

/* how often claims past their time window are deleted */
#define CLAIM_PURGE_S 10
/*
 * Group commit: a batch smaller than GROUP_MIN waits GROUP_LINGER_US for
 * company.  Under load this turns one transaction per call into one per
 * dozens of calls; when idle it adds half a millisecond.
 */
#define GROUP_MIN       32
#define GROUP_LINGER_US 500
#define AUDIT_QUEUE_MAX 200000
#define ZERO_HASH       "0000000000000000000000000000000000000000000000000000000000000000"

struct qentry {
    struct qentry *next;
    void (*done)(void *cls, bool written); /* told once, after the first attempt, or NULL */
    void *cls;
    int64_t at;
    unsigned int status;
    int64_t req_size, resp_size, duration_us;
    uint8_t *bodies; /* encrypted bodies (nonce | ciphertext | tag), in the block, or NULL */
    size_t bodies_len;
    /* strings follow in one block */
    char *f[13];
};

enum {
    F_MSG,
    F_RID,
    F_CLIENT,
    F_SERVICE,
    F_METHOD,
    F_PATH,
    F_USER,
    F_ERR,
    F_REQH,
    F_RESPH,
    F_SUBJ,
    F_BODYH,
    F_COUNT
};

/* A claim of (client, message id), answered after its transaction. */
struct claim {
    struct claim *next;
    int64_t expires_s;
    int result; /* 1 first sighting, 0 seen before, -1 database error */
    void (*done)(void *cls, int result);
    void *cls;
    char *client, *msgid; /* in the same block */
};

static struct claim *c_head, *c_tail;
static size_t c_len;
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t q_done = PTHREAD_COND_INITIALIZER;
static struct qentry *q_head, *q_tail;
static size_t q_len;
static unsigned long long q_dropped, q_written_batches;
static bool running, stopping, flush_wanted, in_flight;
static pthread_t writer;
static struct egov_db *audit_db;
static uint8_t audit_key[32];
static bool audit_key_set;

void gw_audit_set_key(const uint8_t key[32])
{
    if (key == NULL) {
        egov_wipe(audit_key, sizeof audit_key);
        audit_key_set = false;
        return;
    }
    memcpy(audit_key, key, sizeof audit_key);
    audit_key_set = true;
}

/*
 * Encrypts the request and response bodies for the audit log with
 * AES-256-GCM: nonce (12) | ciphertext of (u32 request length, request,
 * response) | tag (16), into @p out (at least 12 + 4 + a + b + 16 bytes).
 * Returns the length, 0 on failure.
 */
static size_t seal_bodies(const void *a, size_t alen, const void *b, size_t blen, uint8_t *out)
{
    size_t total = 0;
    int n = 0, m = 0;
    uint8_t len4[4] = {(uint8_t)(alen >> 24), (uint8_t)(alen >> 16), (uint8_t)(alen >> 8),
                       (uint8_t)alen};
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL || !egov_random(out, 12) ||
        EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, audit_key, out) != 1)
        goto done;
    total = 12;
    if (EVP_EncryptUpdate(ctx, out + total, &n, len4, 4) != 1)
        goto fail;
    total += (size_t)n;
    if (alen > 0 && EVP_EncryptUpdate(ctx, out + total, &n, a, (int)alen) != 1)
        goto fail;
    total += alen > 0 ? (size_t)n : 0;
    if (blen > 0 && EVP_EncryptUpdate(ctx, out + total, &n, b, (int)blen) != 1)
        goto fail;
    total += blen > 0 ? (size_t)n : 0;
    if (EVP_EncryptFinal_ex(ctx, out + total, &m) != 1)
        goto fail;
    total += (size_t)m;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out + total) != 1)
        goto fail;
    total += 16;
    goto done;
fail:
    total = 0;
done:
    EVP_CIPHER_CTX_free(ctx);
    return total;
}

void gw_audit_record(const struct gw_audit_entry *e)
{
    gw_audit_record_then(e, NULL, NULL);
}

void gw_audit_claim(const char *client, const char *msgid, int64_t expires_s,
                    void (*done)(void *cls, int result), void *cls)
{
    size_t lc = strlen(client), lm = strlen(msgid);
    struct claim *c = egov_malloc(sizeof *c + lc + lm + 2);
    if (c == NULL) {
        done(cls, -1);
        return;
    }
    c->next = NULL;
    c->expires_s = expires_s;
    c->result = -1;
    c->done = done;
    c->cls = cls;
    c->client = (char *)(c + 1);
    memcpy(c->client, client, lc + 1);
    c->msgid = c->client + lc + 1;
    memcpy(c->msgid, msgid, lm + 1);
    pthread_mutex_lock(&q_lock);
    if (!running || stopping) {
        pthread_mutex_unlock(&q_lock);
        egov_free(c);
        done(cls, -1);
        return;
    }
    if (c_tail != NULL)
        c_tail->next = c;
    else
        c_head = c;
    c_tail = c;
    c_len++;
    pthread_cond_signal(&q_cond);
    pthread_mutex_unlock(&q_lock);
}

void gw_audit_record_then(const struct gw_audit_entry *e, void (*done)(void *cls, bool written),
                          void *cls)
{
    char bodyh[65] = "";
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    if (audit_key_set && (e->req_body_len > 0 || e->resp_body_len > 0) &&
        e->req_body_len < (1u << 30) && e->resp_body_len < (1u << 30)) {
        sealed = egov_malloc(e->req_body_len + e->resp_body_len + 32);
        if (sealed != NULL)
            sealed_len =
                seal_bodies(e->req_body, e->req_body_len, e->resp_body, e->resp_body_len, sealed);
        if (sealed_len > 0) {
            uint8_t h[EGOV_SHA256_LEN];
            egov_sha256(sealed, sealed_len, h);
            egov_hex_encode(h, sizeof h, bodyh);
            bodyh[64] = '\0';
        } else {
            egov_error("audit: the bodies of a call could not be encrypted; kept without them");
        }
    }
    const char *src[F_COUNT] = {e->message_id, e->request_id, e->client,  e->service,
                                e->method,     e->path,       e->user_id, e->error_type,
                                e->req_hash,   e->resp_hash,  e->subject, bodyh};
    size_t lens[F_COUNT], total = sizeof(struct qentry) + sealed_len;
    for (int i = 0; i < F_COUNT; i++) {
        lens[i] = src[i] != NULL ? strlen(src[i]) : 0;
        if (lens[i] > 2048)
            lens[i] = 2048;
        total += lens[i] + 1;
    }
    struct qentry *q = egov_malloc(total);
    if (q == NULL) {
        egov_free(sealed);
        EGOV_BUG("audit entry lost: out of memory");
        if (done != NULL)
            done(cls, false);
        return;
    }
    memset(q, 0, sizeof *q);
    q->done = done;
    q->cls = cls;
    char *p = (char *)(q + 1);
    if (sealed_len > 0) {
        q->bodies = (uint8_t *)p;
        q->bodies_len = sealed_len;
        memcpy(p, sealed, sealed_len);
        p += sealed_len;
    }
    egov_free(sealed);
    for (int i = 0; i < F_COUNT; i++) {
        q->f[i] = p;
        if (lens[i])
            memcpy(p, src[i], lens[i]);
        p[lens[i]] = '\0';
        p += lens[i] + 1;
    }
    q->at = egov_now_us();
    q->status = e->status;
    q->req_size = e->req_size;
    q->resp_size = e->resp_size;
    q->duration_us = e->duration_us;
    pthread_mutex_lock(&q_lock);
    if (q_len >= AUDIT_QUEUE_MAX || (done != NULL && !running)) {
        q_dropped++;
        pthread_mutex_unlock(&q_lock);
        egov_free(q);
        egov_error("audit queue full or not running: an entry was lost");
        if (done != NULL)
            done(cls, false);
        return;
    }
    if (q_tail != NULL)
        q_tail->next = q;
    else
        q_head = q;
    q_tail = q;
    q_len++;
    pthread_cond_signal(&q_cond);
    pthread_mutex_unlock(&q_lock);
}

/* The chained hash of one entry, hex, from its stored fields. */
static void entry_hash(const char *prev, int64_t seq, int64_t at, const char *const f[F_COUNT],
                       int64_t status, int64_t req_size, int64_t resp_size, int64_t duration_us,
                       char out[65])
{
    struct egov_buf b;
    uint8_t h[EGOV_SHA256_LEN];
    egov_buf_init(&b);
    egov_buf_printf(&b, "%s\x1f%lld\x1f%lld", prev, (long long)seq, (long long)at);
    for (int i = 0; i < F_COUNT; i++) {
        egov_buf_putc(&b, '\x1f');
        egov_buf_puts(&b, f[i]);
    }
    egov_buf_printf(&b, "\x1f%lld\x1f%lld\x1f%lld\x1f%lld", (long long)status, (long long)req_size,
                    (long long)resp_size, (long long)duration_us);
    egov_sha256(b.data != NULL ? b.data : "", b.len, h);
    egov_hex_encode(h, sizeof h, out);
    out[64] = '\0';
    egov_buf_free(&b);
}

static const struct egov_db_stmt st_last = {
    "gw_audit_last", "SELECT seq, hash FROM gw_audit ORDER BY seq DESC LIMIT 1", NULL};
static const struct egov_db_stmt st_insert = {
    "gw_audit_insert",
    "INSERT INTO gw_audit (seq, at, message_id, request_id, client, service, method, path,"
    " user_id, status, error_type, req_size, resp_size, duration_us, req_hash, resp_hash,"
    " prev_hash, hash, data_subject, bodies)"
    " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)",
    NULL};

static const struct egov_db_stmt st_claim = {
    "gw_seen_claim",
    "INSERT INTO gw_seen (client, message_id, expires_at) VALUES ($1, $2, $3)"
    " ON CONFLICT (client, message_id) DO UPDATE SET expires_at = excluded.expires_at"
    " WHERE gw_seen.expires_at < $4",
    NULL};
static const struct egov_db_stmt st_purge = {"gw_seen_purge",
                                             "DELETE FROM gw_seen WHERE expires_at < $1", NULL};

struct batch {
    struct qentry *entries;
    struct claim *claims;
    bool purge;
};

static enum egov_db_qs write_batch(struct egov_db_conn *c, void *cls)
{
    struct batch *bt = cls;
    struct egov_db_rows *rows = NULL;
    enum egov_db_qs qs;
    int64_t now_s = egov_now_us() / 1000000;
    /* claims first: a retried transaction starts them over */
    for (struct claim *cl = bt->claims; cl != NULL; cl = cl->next) {
        struct egov_db_param p[] = {
            EGOV_DB_PARAM_TEXT(cl->client),
            EGOV_DB_PARAM_TEXT(cl->msgid),
            EGOV_DB_PARAM_INT64(cl->expires_s),
            EGOV_DB_PARAM_INT64(now_s),
            EGOV_DB_PARAM_END,
        };
        qs = egov_db_exec(c, &st_claim, p);
        if (qs < 0)
            return qs;
        cl->result = qs > 0 ? 1 : 0;
    }
    if (bt->purge) {
        struct egov_db_param p[] = {EGOV_DB_PARAM_INT64(now_s), EGOV_DB_PARAM_END};
        qs = egov_db_exec(c, &st_purge, p);
        if (qs < 0)
            return qs;
    }
    if (bt->entries == NULL)
        return EGOV_DB_ONE_ROW;
    qs = egov_db_query(c, &st_last, NULL, &rows);
    if (qs < 0)
        return qs;
    int64_t seq = 0;
    char prev[65] = ZERO_HASH;
    if (qs > 0) {
        seq = egov_db_rows_int64(rows, 0, 0);
        snprintf(prev, sizeof prev, "%s", egov_db_rows_text(rows, 0, 1));
    }
    egov_db_rows_free(rows);
    for (struct qentry *q = bt->entries; q != NULL; q = q->next) {
        char hash[65];
        seq++;
        entry_hash(prev, seq, q->at, (const char *const *)q->f, q->status, q->req_size,
                   q->resp_size, q->duration_us, hash);
        struct egov_db_param p[] = {
            EGOV_DB_PARAM_INT64(seq),
            EGOV_DB_PARAM_INT64(q->at),
            EGOV_DB_PARAM_TEXT(q->f[F_MSG]),
            EGOV_DB_PARAM_TEXT(q->f[F_RID]),
            EGOV_DB_PARAM_TEXT(q->f[F_CLIENT]),
            EGOV_DB_PARAM_TEXT(q->f[F_SERVICE]),
            EGOV_DB_PARAM_TEXT(q->f[F_METHOD]),
            EGOV_DB_PARAM_TEXT(q->f[F_PATH]),
            EGOV_DB_PARAM_TEXT(q->f[F_USER]),
            EGOV_DB_PARAM_INT64(q->status),
            EGOV_DB_PARAM_TEXT(q->f[F_ERR]),
            EGOV_DB_PARAM_INT64(q->req_size),
            EGOV_DB_PARAM_INT64(q->resp_size),
            EGOV_DB_PARAM_INT64(q->duration_us),
            EGOV_DB_PARAM_TEXT(q->f[F_REQH]),
            EGOV_DB_PARAM_TEXT(q->f[F_RESPH]),
            EGOV_DB_PARAM_TEXT(prev),
            EGOV_DB_PARAM_TEXT(hash),
            EGOV_DB_PARAM_TEXT(q->f[F_SUBJ]),
            q->bodies != NULL ? (struct egov_db_param)EGOV_DB_PARAM_BLOB(q->bodies, q->bodies_len)
                              : (struct egov_db_param)EGOV_DB_PARAM_NULL,
            EGOV_DB_PARAM_END,
        };
        qs = egov_db_exec(c, &st_insert, p);
        if (qs < 0)
            return qs;
        memcpy(prev, hash, sizeof prev);
    }
    return EGOV_DB_ONE_ROW;
}

/* Writes one batch in one transaction; true on success. */
static bool flush_batch(struct egov_db *db, struct batch *bt)
{
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    if (c == NULL)
        return false;
    enum egov_db_qs qs = egov_db_txn(c, true, 10, write_batch, bt);
    egov_db_release(c);
    return qs >= 0;
}

/* Tells the waiters of @p list (once) how their entries fared; frees the list if written. */
static void entries_told(struct qentry *list, bool written)
{
    while (list != NULL) {
        struct qentry *n = list->next;
        if (list->done != NULL) {
            list->done(list->cls, written);
            list->done = NULL;
        }
        if (written)
            egov_free(list);
        list = n;
    }
}

static void *writer_main(void *arg)
{
    (void)arg;
    int64_t purged_us = egov_mono_us();
    pthread_mutex_lock(&q_lock);
    for (;;) {
        bool purge = egov_mono_us() - purged_us > (int64_t)CLAIM_PURGE_S * 1000000;
        if (q_head == NULL && c_head == NULL && !purge) {
            pthread_cond_broadcast(&q_done);
            if (stopping)
                break;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 1;
            pthread_cond_timedwait(&q_cond, &q_lock, &ts);
            continue;
        }
        if (!stopping && !flush_wanted && q_len + c_len < GROUP_MIN) {
            /* a moment for more to arrive: one commit then serves many calls */
            pthread_mutex_unlock(&q_lock);
            struct timespec d = {0, GROUP_LINGER_US * 1000L};
            nanosleep(&d, NULL);
            pthread_mutex_lock(&q_lock);
        }
        struct batch bt = {q_head, c_head, purge};
        c_len = 0;
        q_head = q_tail = NULL;
        c_head = c_tail = NULL;
        size_t n = q_len;
        q_len = 0;
        in_flight = true;
        pthread_mutex_unlock(&q_lock);
        bool ok = flush_batch(audit_db, &bt);
        if (ok && purge)
            purged_us = egov_mono_us();
        for (struct claim *cl = bt.claims; cl != NULL;) {
            struct claim *next = cl->next;
            cl->done(cl->cls, ok ? cl->result : -1);
            egov_free(cl);
            cl = next;
        }
        /* waiters hear at once; unwritten entries stay queued and are tried again */
        entries_told(bt.entries, ok);
        pthread_mutex_lock(&q_lock);
        in_flight = false;
        if (!ok && bt.entries != NULL) {
            /* put them back in front, in order, and wait before trying again */
            struct qentry *last = bt.entries;
            while (last->next != NULL)
                last = last->next;
            last->next = q_head;
            q_head = bt.entries;
            if (q_tail == NULL)
                q_tail = last;
            q_len += n;
            egov_error("audit: %zu entries could not be written yet; retrying", n);
        }
        if (!ok) {
            if (stopping && !flush_wanted)
                break;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 1;
            pthread_cond_timedwait(&q_cond, &q_lock, &ts);
        } else {
            q_written_batches++;
        }
    }
    pthread_mutex_unlock(&q_lock);
    return NULL;
}

bool gw_audit_start(struct egov_db *db)
{
    pthread_mutex_lock(&q_lock);
    if (running) {
        pthread_mutex_unlock(&q_lock);
        return true;
    }
    audit_db = db;
    stopping = false;
    running = pthread_create(&writer, NULL, writer_main, NULL) == 0;
    pthread_mutex_unlock(&q_lock);
    return running;
}

void gw_audit_stop(void)
{
    pthread_mutex_lock(&q_lock);
    if (!running) {
        pthread_mutex_unlock(&q_lock);
        return;
    }
    stopping = true;
    pthread_cond_broadcast(&q_cond);
    pthread_mutex_unlock(&q_lock);
    pthread_join(writer, NULL);
    pthread_mutex_lock(&q_lock);
    running = false;
    struct qentry *q = q_head;
    struct claim *cl = c_head;
    size_t lost = q_len;
    q_head = q_tail = NULL;
    c_head = c_tail = NULL;
    c_len = 0;
    q_len = 0;
    pthread_mutex_unlock(&q_lock);
    while (q != NULL) {
        struct qentry *n = q->next;
        if (q->done != NULL)
            q->done(q->cls, false);
        egov_free(q);
        q = n;
    }
    while (cl != NULL) {
        struct claim *n = cl->next;
        cl->done(cl->cls, -1);
        egov_free(cl);
        cl = n;
    }
    if (lost > 0)
        egov_error("audit: %zu entries could not be written before shutdown", lost);
}

bool egov_gateway_audit_flush(void)
{
    bool ok = true;
    pthread_mutex_lock(&q_lock);
    if (!running) {
        pthread_mutex_unlock(&q_lock);
        return true;
    }
    flush_wanted = true;
    pthread_cond_broadcast(&q_cond);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 10;
    while ((q_head != NULL || in_flight) && ok)
        ok = pthread_cond_timedwait(&q_done, &q_lock, &ts) == 0;
    flush_wanted = false;
    ok = q_head == NULL && !in_flight;
    pthread_mutex_unlock(&q_lock);
    return ok;
}

/* ------------------------------------------------------------------ */
/* Verification                                                        */
/* ------------------------------------------------------------------ */

static const struct egov_db_stmt st_page = {
    "gw_audit_page",
    "SELECT seq, at, message_id, request_id, client, service, method, path, user_id, status,"
    " error_type, req_size, resp_size, duration_us, req_hash, resp_hash, prev_hash, hash,"
    " data_subject, bodies FROM gw_audit WHERE seq > $1 ORDER BY seq LIMIT 1000",
    NULL};

int egov_gateway_audit_verify(struct egov_db *db, struct egov_gateway_audit_report *rep)
{
    memset(rep, 0, sizeof *rep);
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    if (c == NULL)
        return -1;
    int result = 1;
    int64_t last = 0;
    char prev[65] = ZERO_HASH;
    for (;;) {
        struct egov_db_rows *rows = NULL;
        struct egov_db_param p[] = {EGOV_DB_PARAM_INT64(last), EGOV_DB_PARAM_END};
        enum egov_db_qs qs = egov_db_query(c, &st_page, p, &rows);
        if (qs < 0) {
            result = -1;
            break;
        }
        size_t n = egov_db_rows_count(rows);
        for (size_t r = 0; r < n && result == 1; r++) {
            int64_t seq = egov_db_rows_int64(rows, r, 0);
            const char *f[F_COUNT];
            static const size_t cols[F_COUNT - 1] = {2, 3, 4, 5, 6, 7, 8, 10, 14, 15, 18};
            for (int i = 0; i < F_COUNT - 1; i++) {
                f[i] = egov_db_rows_text(rows, r, cols[i]);
                if (f[i] == NULL)
                    f[i] = "";
            }
            char bodyh[65] = "";
            if (!egov_db_rows_is_null(rows, r, 19)) {
                size_t bl = 0;
                const void *blob = egov_db_rows_blob(rows, r, 19, &bl);
                uint8_t h[EGOV_SHA256_LEN];
                egov_sha256(blob != NULL ? blob : "", bl, h);
                egov_hex_encode(h, sizeof h, bodyh);
                bodyh[64] = '\0';
            }
            f[F_BODYH] = bodyh;
            const char *stored_prev = egov_db_rows_text(rows, r, 16);
            const char *stored = egov_db_rows_text(rows, r, 17);
            if (seq != last + 1) {
                rep->bad_seq = last + 1;
                snprintf(rep->problem, sizeof rep->problem, "entry %lld is missing",
                         (long long)(last + 1));
                result = 0;
                break;
            }
            if (stored_prev == NULL || strcmp(stored_prev, prev) != 0) {
                rep->bad_seq = seq > 1 ? seq - 1 : seq;
                snprintf(rep->problem, sizeof rep->problem,
                         "entry %lld was altered (entry %lld no longer links to it)",
                         (long long)rep->bad_seq, (long long)seq);
                result = 0;
                break;
            }
            char h[65];
            entry_hash(prev, seq, egov_db_rows_int64(rows, r, 1), f, egov_db_rows_int64(rows, r, 9),
                       egov_db_rows_int64(rows, r, 11), egov_db_rows_int64(rows, r, 12),
                       egov_db_rows_int64(rows, r, 13), h);
            if (stored == NULL || strcmp(stored, h) != 0) {
                rep->bad_seq = seq;
                snprintf(rep->problem, sizeof rep->problem, "entry %lld was altered",
                         (long long)seq);
                result = 0;
                break;
            }
            memcpy(prev, h, sizeof prev);
            last = seq;
            rep->entries++;
        }
        egov_db_rows_free(rows);
        if (result != 1 || n < 1000)
            break;
    }
    egov_db_release(c);
    return result;
}

/* ------------------------------------------------------------------ */
/* A citizen's view                                                    */
/* ------------------------------------------------------------------ */

static const struct egov_db_stmt st_accesses = {
    "gw_audit_accesses",
    "SELECT at, client, service, method, status, user_id FROM gw_audit WHERE data_subject = $1"
    " ORDER BY seq DESC LIMIT $2",
    NULL};

static const struct egov_db_stmt st_service_openapi = {
    "gw_service_openapi", "SELECT openapi FROM gw_service WHERE id = $1", NULL};

/* What a reader calls a consumer system and a service, looked up once each. */
struct names {
    char key[300];
    char name[300]; /* "" if none is known */
};
#define NAMES_MAX 32

/* The agency of system id TW/GOV/<code>/..., by its code in the directory; "" if unknown. */
static const char *agency_name(struct egov_db *db, const char *system, struct names *cache,
                               size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(cache[i].key, system) == 0)
            return cache[i].name;
    if (*n == NAMES_MAX)
        return "";
    struct names *e = &cache[(*n)++];
    egov_utf8_copy(e->key, sizeof e->key, system);
    e->name[0] = '\0';
    struct egov_gateway_id id;
    char why[120];
    if (egov_gateway_member_id_parse(system, &id, why, sizeof why) == EGOV_EC_NONE) {
        struct egov_directory_agency a;
        if (egov_directory_agency_by_code(db, id.agency, &a) == EGOV_DB_ONE_ROW)
            egov_utf8_copy(e->name, sizeof e->name, a.name);
    }
    return e->name;
}

/* The title of a service's OpenAPI description; "" if it has none. */
static const char *service_title(struct egov_db_conn *c, const char *service, struct names *cache,
                                 size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(cache[i].key, service) == 0)
            return cache[i].name;
    if (*n == NAMES_MAX)
        return "";
    struct names *e = &cache[(*n)++];
    egov_utf8_copy(e->key, sizeof e->key, service);
    e->name[0] = '\0';
    struct egov_db_rows *rows = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(service), EGOV_DB_PARAM_END};
    if (egov_db_query(c, &st_service_openapi, p, &rows) == EGOV_DB_ONE_ROW &&
        !egov_db_rows_is_null(rows, 0, 0)) {
        json_t *doc = json_loads(egov_db_rows_text(rows, 0, 0), 0, NULL);
        const char *t = json_string_value(json_object_get(json_object_get(doc, "info"), "title"));
        if (t != NULL)
            egov_utf8_copy(e->name, sizeof e->name, t);
        json_decref(doc);
    }
    egov_db_rows_free(rows);
    return e->name;
}

json_t *egov_gateway_accesses(struct egov_db *db, const char *user_id, unsigned int limit)
{
    if (user_id == NULL || *user_id == '\0')
        return json_array();
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    if (c == NULL)
        return NULL;
    struct egov_db_rows *rows = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(user_id), EGOV_DB_PARAM_INT64(limit),
                                EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_accesses, p, &rows);
    json_t *out = NULL;
    struct names *agencies = egov_calloc(2 * NAMES_MAX, sizeof *agencies);
    struct names *titles = agencies != NULL ? agencies + NAMES_MAX : NULL;
    size_t n_agencies = 0, n_titles = 0;
    if (qs >= 0 && agencies != NULL) {
        out = json_array();
        for (size_t r = 0; out != NULL && r < egov_db_rows_count(rows); r++) {
            char at[32], local[20];
            int64_t at_us = egov_db_rows_int64(rows, r, 0);
            egov_time_rfc3339(at_us, at);
            egov_time_taipei(at_us, local);
            const char *client = egov_db_rows_text(rows, r, 1);
            const char *service = egov_db_rows_text(rows, r, 2);
            int64_t status = egov_db_rows_int64(rows, r, 4);
            const char *title = service_title(c, service, titles, &n_titles);
            json_array_append_new(
                out, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:n, s:s?, s:s}", "at", at,
                               "at_taipei", local, "client", client, "service", service, "method",
                               egov_db_rows_text(rows, r, 3), "status", (json_int_t)status,
                               "end_user", egov_db_rows_text(rows, r, 5), "agency_name",
                               "service_title", title[0] ? title : NULL, "outcome",
                               status < 400   ? "answered"
                               : status < 500 ? "refused"
                                              : "failed"));
        }
    }
    egov_db_rows_free(rows);
    egov_db_release(c);
    /* the directory takes a connection of its own: asked once this one is back */
    size_t k;
    json_t *row;
    json_array_foreach(out, k, row)
    {
        const char *agency = agency_name(db, json_string_value(json_object_get(row, "client")),
                                         agencies, &n_agencies);
        if (agency[0] != '\0')
            json_object_set_new(row, "agency_name", json_string(agency));
    }
    egov_free(agencies);
    return out;
}

/* ------------------------------------------------------------------ */
/* Kept bodies                                                         */
/* ------------------------------------------------------------------ */

static const struct egov_db_stmt st_bodies = {"gw_audit_bodies",
                                              "SELECT bodies FROM gw_audit WHERE seq = $1", NULL};

int egov_gateway_audit_bodies(struct egov_db *db, int64_t seq, struct egov_buf *req,
                              struct egov_buf *resp)
{
    int result = -1;
    if (!audit_key_set)
        return -1;
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    if (c == NULL)
        return -1;
    struct egov_db_rows *rows = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_INT64(seq), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_bodies, p, &rows);
    EVP_CIPHER_CTX *ctx = NULL;
    uint8_t *plain = NULL;
    if (qs < 0)
        goto done;
    if (qs == 0 || egov_db_rows_is_null(rows, 0, 0)) {
        result = 0;
        goto done;
    }
    size_t bl = 0;
    const uint8_t *blob = egov_db_rows_blob(rows, 0, 0, &bl);
    if (blob == NULL || bl < 12 + 4 + 16)
        goto done;
    size_t clen = bl - 12 - 16;
    plain = egov_malloc(clen + 16);
    ctx = EVP_CIPHER_CTX_new();
    int n = 0, m = 0;
    if (plain == NULL || ctx == NULL ||
        EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, audit_key, blob) != 1 ||
        EVP_DecryptUpdate(ctx, plain, &n, blob + 12, (int)clen) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, (void *)(blob + bl - 16)) != 1 ||
        EVP_DecryptFinal_ex(ctx, plain + n, &m) != 1)
        goto done;
    size_t total = (size_t)n + (size_t)m;
    size_t alen =
        (size_t)plain[0] << 24 | (size_t)plain[1] << 16 | (size_t)plain[2] << 8 | (size_t)plain[3];
    if (total < 4 || alen > total - 4)
        goto done;
    egov_buf_append(req, plain + 4, alen);
    egov_buf_append(resp, plain + 4 + alen, total - 4 - alen);
    result = req->oom || resp->oom ? -1 : 1;
done:
    if (plain != NULL)
        egov_wipe(plain, clen + 16);
    egov_free(plain);
    EVP_CIPHER_CTX_free(ctx);
    egov_db_rows_free(rows);
    egov_db_release(c);
    return result;
}
