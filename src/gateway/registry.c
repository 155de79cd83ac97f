/*
 * registry.c -- the gateway's tables: services with their OpenAPI
 * descriptions, client systems with their keys, legal bases, consents,
 * subscriptions; and a one-second cache of what every call looks up.
 */
#include <stdio.h>
#include <string.h>

#include "gateway/gw_int.h"
#include "pki/pki.h"

static const struct egov_db_migration gw_list[] = {
    {1, "services, clients, legal bases, consents, subscriptions, events, deliveries, audit",
     "CREATE TABLE gw_service ("
     " id TEXT PRIMARY KEY,"
     " agency TEXT NOT NULL,"
     " subsystem TEXT NOT NULL,"
     " service TEXT NOT NULL,"
     " version TEXT NOT NULL,"
     " base_url TEXT NOT NULL,"
     " charset TEXT NOT NULL,"
     " openapi TEXT,"
     " personal_data INTEGER NOT NULL,"
     " timeout_ms INTEGER NOT NULL,"
     " updated_at BIGINT NOT NULL);"
     "CREATE INDEX gw_service_member ON gw_service (agency, subsystem);"
     "CREATE TABLE gw_client ("
     " id TEXT PRIMARY KEY,"
     " key_pem TEXT NOT NULL,"
     " cert_pem TEXT,"
     " oauth_client TEXT,"
     " rate_per_s INTEGER NOT NULL,"
     " updated_at BIGINT NOT NULL);"
     "CREATE TABLE gw_legal_basis ("
     " id TEXT PRIMARY KEY,"
     " consumer TEXT NOT NULL,"
     " service_id TEXT NOT NULL,"
     " basis TEXT NOT NULL,"
     " created_at BIGINT NOT NULL);"
     "CREATE INDEX gw_legal_basis_lookup ON gw_legal_basis (consumer, service_id);"
     "CREATE TABLE gw_consent ("
     " citizen TEXT NOT NULL,"
     " consumer TEXT NOT NULL,"
     " service_id TEXT NOT NULL,"
     " given_at BIGINT NOT NULL,"
     " withdrawn_at BIGINT,"
     " PRIMARY KEY (citizen, consumer, service_id));"
     "CREATE TABLE gw_subscription ("
     " id TEXT PRIMARY KEY,"
     " consumer TEXT NOT NULL,"
     " subject TEXT NOT NULL,"
     " url TEXT NOT NULL,"
     " active INTEGER NOT NULL,"
     " created_at BIGINT NOT NULL,"
     " UNIQUE (consumer, subject, url));"
     "CREATE TABLE gw_event ("
     " id TEXT PRIMARY KEY,"
     " subject TEXT NOT NULL,"
     " event_key TEXT NOT NULL,"
     " publisher TEXT NOT NULL,"
     " order_no BIGINT NOT NULL,"
     " body TEXT NOT NULL,"
     " received_at BIGINT NOT NULL);"
     "CREATE TABLE gw_delivery ("
     " id TEXT PRIMARY KEY,"
     " event_id TEXT NOT NULL REFERENCES gw_event (id),"
     " subscription_id TEXT NOT NULL REFERENCES gw_subscription (id),"
     " event_key TEXT NOT NULL,"
     " order_no BIGINT NOT NULL,"
     " state TEXT NOT NULL,"
     " attempts INTEGER NOT NULL,"
     " last_error TEXT,"
     " created_at BIGINT NOT NULL,"
     " done_at BIGINT,"
     " UNIQUE (event_id, subscription_id));"
     "CREATE INDEX gw_delivery_order ON gw_delivery (subscription_id, event_key, state, order_no);"
     "CREATE TABLE gw_audit ("
     " seq BIGINT PRIMARY KEY,"
     " at BIGINT NOT NULL,"
     " message_id TEXT NOT NULL,"
     " request_id TEXT NOT NULL,"
     " client TEXT NOT NULL,"
     " service TEXT NOT NULL,"
     " method TEXT NOT NULL,"
     " path TEXT NOT NULL,"
     " user_id TEXT NOT NULL,"
     " status INTEGER NOT NULL,"
     " error_type TEXT NOT NULL,"
     " req_size BIGINT NOT NULL,"
     " resp_size BIGINT NOT NULL,"
     " duration_us BIGINT NOT NULL,"
     " req_hash TEXT NOT NULL,"
     " resp_hash TEXT NOT NULL,"
     " prev_hash TEXT NOT NULL,"
     " hash TEXT NOT NULL,"
     " data_subject TEXT NOT NULL);"
     "CREATE INDEX gw_audit_subject ON gw_audit (data_subject, seq);"
     "CREATE TABLE gw_publisher ("
     " token_hash TEXT PRIMARY KEY,"
     " client TEXT NOT NULL,"
     " subject_prefix TEXT NOT NULL,"
     " created_at BIGINT NOT NULL);",
     NULL},
    {2, "audit entries may keep the call's bodies, encrypted",
     "ALTER TABLE gw_audit ADD COLUMN bodies BLOB", NULL},
    {3, "message ids claimed by any node, for replay detection across the cluster",
     "CREATE TABLE gw_seen ("
     " client TEXT NOT NULL,"
     " message_id TEXT NOT NULL,"
     " expires_at BIGINT NOT NULL,"
     " PRIMARY KEY (client, message_id));"
     "CREATE INDEX gw_seen_expires ON gw_seen (expires_at);",
     NULL},
    {4, "calls per consumer and second, counted across the cluster for rate limits",
     "CREATE TABLE gw_rate ("
     " client TEXT NOT NULL,"
     " win BIGINT NOT NULL,"
     " calls BIGINT NOT NULL,"
     " PRIMARY KEY (client, win));"
     "CREATE INDEX gw_rate_win ON gw_rate (win);",
     NULL},
    {0, NULL, NULL, NULL},
};

const struct egov_db_module_migrations gw_migrations = {"gateway", gw_list};

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

static bool url_ok(const char *u)
{
    if (u == NULL)
        return false;
    size_t n = strlen(u);
    if (n < 8 || n > 500)
        return false;
    if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f)
            return false;
    return true;
}

/* Runs one statement in its own write transaction. */
struct one_stmt {
    const struct egov_db_stmt *st;
    const struct egov_db_param *params;
};

static enum egov_db_qs run_one(struct egov_db_conn *c, void *cls)
{
    struct one_stmt *o = cls;
    return egov_db_exec(c, o->st, o->params);
}

static enum egov_ec exec_write(struct egov_db *db, const struct egov_db_stmt *st,
                               const struct egov_db_param *params)
{
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    if (c == NULL)
        return EGOV_EC_DB_UNREACHABLE;
    struct one_stmt o = {st, params};
    enum egov_db_qs qs = egov_db_txn(c, true, 5, run_one, &o);
    egov_db_release(c);
    gw_cache_clear();
    return qs < 0 ? egov_db_qs_ec(qs) : EGOV_EC_NONE;
}

static const struct egov_db_stmt st_service_put = {
    "gw_service_put",
    "INSERT INTO gw_service (id, agency, subsystem, service, version, base_url, charset, openapi,"
    " personal_data, timeout_ms, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)"
    " ON CONFLICT (id) DO UPDATE SET base_url = excluded.base_url, charset = excluded.charset,"
    " openapi = excluded.openapi, personal_data = excluded.personal_data,"
    " timeout_ms = excluded.timeout_ms, updated_at = excluded.updated_at",
    NULL};

enum egov_ec egov_gateway_service_register(struct egov_db *db, const struct egov_gateway_service *s,
                                           const char **field)
{
    struct egov_gateway_id id;
    char why[160];
    *field = NULL;
    if (egov_gateway_service_id_parse(s->id, &id, NULL, why, sizeof why) != EGOV_EC_NONE) {
        *field = "id";
        return EGOV_EC_GATEWAY_SERVICE_ID_INVALID;
    }
    if (!url_ok(s->base_url)) {
        *field = "base_url";
        return EGOV_EC_GENERIC_PARAMETER_MALFORMED;
    }
    const char *charset = s->charset != NULL && *s->charset ? s->charset : "utf-8";
    if (strlen(charset) >= 32) {
        *field = "charset";
        return EGOV_EC_GENERIC_PARAMETER_MALFORMED;
    }
    if (s->openapi != NULL) {
        json_t *j = json_loads(s->openapi, 0, NULL);
        bool ok = json_is_object(j);
        json_decref(j);
        if (!ok) {
            *field = "openapi";
            return EGOV_EC_GENERIC_PARAMETER_MALFORMED;
        }
    }
    if (s->timeout_ms > 600000) {
        *field = "timeout_ms";
        return EGOV_EC_GENERIC_PARAMETER_MALFORMED;
    }
    struct egov_db_param p[] = {
        EGOV_DB_PARAM_TEXT(id.text),
        EGOV_DB_PARAM_TEXT(id.agency),
        EGOV_DB_PARAM_TEXT(id.subsystem),
        EGOV_DB_PARAM_TEXT(id.service),
        EGOV_DB_PARAM_TEXT(id.version),
        EGOV_DB_PARAM_TEXT(s->base_url),
        EGOV_DB_PARAM_TEXT(charset),
        EGOV_DB_PARAM_TEXT(s->openapi),
        EGOV_DB_PARAM_INT64(s->personal_data ? 1 : 0),
        EGOV_DB_PARAM_INT64(s->timeout_ms),
        EGOV_DB_PARAM_INT64(egov_now_us()),
        EGOV_DB_PARAM_END,
    };
    return exec_write(db, &st_service_put, p);
}

static const struct egov_db_stmt st_client_put = {
    "gw_client_put",
    "INSERT INTO gw_client (id, key_pem, cert_pem, oauth_client, rate_per_s, updated_at)"
    " VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (id) DO UPDATE SET key_pem = excluded.key_pem,"
    " cert_pem = excluded.cert_pem, oauth_client = excluded.oauth_client,"
    " rate_per_s = excluded.rate_per_s, updated_at = excluded.updated_at",
    NULL};

enum egov_ec egov_gateway_client_register(struct egov_db *db, const struct egov_gateway_client *c,
                                          const char **field)
{
    struct egov_gateway_id id;
    char why[160];
    char *pub = NULL;
    enum egov_ec ec = EGOV_EC_NONE;
    *field = NULL;
    if (egov_gateway_member_id_parse(c->id, &id, why, sizeof why) != EGOV_EC_NONE) {
        *field = "id";
        return EGOV_EC_GATEWAY_CLIENT_INVALID;
    }
    if (c->cert_pem != NULL) {
        /* an agency certificate of this platform's CA, for client authentication, naming
           this system (its OU) */
        struct egov_pki_cert pc;
        char err[256];
        enum egov_ec vec =
            egov_pki_verify_chain(db, c->cert_pem, strlen(c->cert_pem), EGOV_X509_CLIENT_AUTH,
                                  egov_now_us(), &pc, err, sizeof err);
        if (vec != EGOV_EC_NONE) {
            *field = "cert";
            return vec;
        }
        if (pc.system_id[0] != '\0' && strcmp(pc.system_id, id.text) != 0) {
            *field = "cert";
            return EGOV_EC_GATEWAY_CLIENT_INVALID;
        }
    }
    const char *src = c->cert_pem != NULL ? c->cert_pem : c->public_key;
    struct egov_sigkey *k = src != NULL ? egov_sigkey_from_pem(src, strlen(src)) : NULL;
    if (k == NULL) {
        *field = c->cert_pem != NULL ? "cert" : "public_key";
        return EGOV_EC_GENERIC_PARAMETER_MALFORMED;
    }
    pub = egov_sigkey_public_pem(k);
    egov_sigkey_free(k);
    if (pub == NULL)
        return EGOV_EC_GENERIC_OOM;
    if (c->oauth_client != NULL && strlen(c->oauth_client) > 120) {
        *field = "oauth_client";
        ec = EGOV_EC_GENERIC_PARAMETER_MALFORMED;
        goto fail;
    }
    if (c->rate_per_s > 1000000) {
        *field = "rate_per_s";
        ec = EGOV_EC_GENERIC_PARAMETER_MALFORMED;
        goto fail;
    }
    struct egov_db_param p[] = {
        EGOV_DB_PARAM_TEXT(id.text),
        EGOV_DB_PARAM_TEXT(pub),
        EGOV_DB_PARAM_TEXT(c->cert_pem),
        EGOV_DB_PARAM_TEXT(c->oauth_client),
        EGOV_DB_PARAM_INT64(c->rate_per_s),
        EGOV_DB_PARAM_INT64(egov_now_us()),
        EGOV_DB_PARAM_END,
    };
    ec = exec_write(db, &st_client_put, p);
fail:
    egov_free(pub);
    return ec;
}

static const struct egov_db_stmt st_basis_add = {
    "gw_basis_add",
    "INSERT INTO gw_legal_basis (id, consumer, service_id, basis, created_at)"
    " VALUES ($1,$2,$3,$4,$5)",
    NULL};

enum egov_ec egov_gateway_legal_basis_add(struct egov_db *db, const char *consumer,
                                          const char *service_id, const char *basis,
                                          char id_out[37])
{
    struct egov_gateway_id id;
    char why[160];
    if (egov_gateway_member_id_parse(consumer, &id, why, sizeof why) != EGOV_EC_NONE)
        return EGOV_EC_GATEWAY_CLIENT_INVALID;
    if (egov_gateway_service_id_parse(service_id, &id, NULL, why, sizeof why) != EGOV_EC_NONE)
        return EGOV_EC_GATEWAY_SERVICE_ID_INVALID;
    if (basis == NULL || *basis == '\0' || strlen(basis) > 500 ||
        !egov_utf8_valid(basis, strlen(basis), NULL))
        return EGOV_EC_GENERIC_PARAMETER_MALFORMED;
    egov_uuid7(id_out);
    struct egov_db_param p[] = {
        EGOV_DB_PARAM_TEXT(id_out),         EGOV_DB_PARAM_TEXT(consumer),
        EGOV_DB_PARAM_TEXT(service_id),     EGOV_DB_PARAM_TEXT(basis),
        EGOV_DB_PARAM_INT64(egov_now_us()), EGOV_DB_PARAM_END,
    };
    return exec_write(db, &st_basis_add, p);
}

static const struct egov_db_stmt st_consent_set = {
    "gw_consent_set",
    "INSERT INTO gw_consent (citizen, consumer, service_id, given_at, withdrawn_at)"
    " VALUES ($1,$2,$3,$4,$5) ON CONFLICT (citizen, consumer, service_id) DO UPDATE SET"
    " given_at = excluded.given_at, withdrawn_at = excluded.withdrawn_at",
    NULL};

enum egov_ec egov_gateway_consent_set(struct egov_db *db, const char *citizen, const char *consumer,
                                      const char *service_id, bool given)
{
    struct egov_gateway_id id;
    char why[160];
    if (citizen == NULL || strlen(citizen) < 1 || strlen(citizen) > 32)
        return EGOV_EC_GENERIC_PARAMETER_MALFORMED;
    if (egov_gateway_member_id_parse(consumer, &id, why, sizeof why) != EGOV_EC_NONE)
        return EGOV_EC_GATEWAY_CLIENT_INVALID;
    if (egov_gateway_service_id_parse(service_id, &id, NULL, why, sizeof why) != EGOV_EC_NONE)
        return EGOV_EC_GATEWAY_SERVICE_ID_INVALID;
    int64_t now = egov_now_us();
    struct egov_db_param p[] = {
        EGOV_DB_PARAM_TEXT(citizen),
        EGOV_DB_PARAM_TEXT(consumer),
        EGOV_DB_PARAM_TEXT(service_id),
        EGOV_DB_PARAM_INT64(now),
        given ? (struct egov_db_param)EGOV_DB_PARAM_NULL
              : (struct egov_db_param)EGOV_DB_PARAM_INT64(now),
        EGOV_DB_PARAM_END,
    };
    return exec_write(db, &st_consent_set, p);
}

static const struct egov_db_stmt st_subscribe = {
    "gw_subscribe",
    "INSERT INTO gw_subscription (id, consumer, subject, url, active, created_at)"
    " VALUES ($1,$2,$3,$4,1,$5) ON CONFLICT (consumer, subject, url) DO UPDATE SET active = 1",
    NULL};
static const struct egov_db_stmt st_subscription_id = {
    "gw_subscription_id",
    "SELECT id FROM gw_subscription WHERE consumer = $1 AND subject = $2 AND url = $3", NULL};

static bool subject_ok(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n == 0 || n > 100)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
            return false;
    }
    return true;
}

enum egov_ec egov_gateway_subscribe(struct egov_db *db, const char *consumer, const char *subject,
                                    const char *url, char id_out[37], const char **field)
{
    struct egov_gateway_id id;
    char why[160];
    *field = NULL;
    if (egov_gateway_member_id_parse(consumer, &id, why, sizeof why) != EGOV_EC_NONE) {
        *field = "consumer";
        return EGOV_EC_GATEWAY_CLIENT_INVALID;
    }
    if (!subject_ok(subject)) {
        *field = "subject";
        return EGOV_EC_GENERIC_PARAMETER_MALFORMED;
    }
    if (!url_ok(url)) {
        *field = "url";
        return EGOV_EC_GENERIC_PARAMETER_MALFORMED;
    }
    char nid[37];
    egov_uuid7(nid);
    struct egov_db_param p[] = {
        EGOV_DB_PARAM_TEXT(nid), EGOV_DB_PARAM_TEXT(consumer),       EGOV_DB_PARAM_TEXT(subject),
        EGOV_DB_PARAM_TEXT(url), EGOV_DB_PARAM_INT64(egov_now_us()), EGOV_DB_PARAM_END,
    };
    enum egov_ec ec = exec_write(db, &st_subscribe, p);
    if (ec != EGOV_EC_NONE)
        return ec;
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    if (c == NULL)
        return EGOV_EC_DB_UNREACHABLE;
    struct egov_db_rows *rows = NULL;
    struct egov_db_param q[] = {EGOV_DB_PARAM_TEXT(consumer), EGOV_DB_PARAM_TEXT(subject),
                                EGOV_DB_PARAM_TEXT(url), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_subscription_id, q, &rows);
    if (qs == 1)
        snprintf(id_out, 37, "%s", egov_db_rows_text(rows, 0, 0));
    egov_db_rows_free(rows);
    egov_db_release(c);
    return qs == 1 ? EGOV_EC_NONE : EGOV_EC_DB_HARD_ERROR;
}

/* ------------------------------------------------------------------ */
/* Cached lookups                                                      */
/* ------------------------------------------------------------------ */

#define CACHE_SLOTS  128
#define CACHE_TTL_US 1000000

struct svc_slot {
    bool used;
    int64_t loaded_us;
    int found;
    struct gw_service s;
};

struct cli_slot {
    bool used;
    int64_t loaded_us;
    int found;
    struct gw_client *c; /* refcounted below */
};

struct cli_ref {
    struct gw_client c;
    unsigned int refs;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct svc_slot svc_cache[CACHE_SLOTS];
static struct cli_slot cli_cache[CACHE_SLOTS];

static unsigned int slot_of(const char *s)
{
    return egov_str_hash(s) % CACHE_SLOTS;
}

static const struct egov_db_stmt st_service_get = {
    "gw_service_get",
    "SELECT base_url, charset, personal_data, timeout_ms FROM gw_service WHERE id = $1", NULL};

int gw_service_get(struct egov_db *db, const char *id, struct gw_service *out)
{
    unsigned int h = slot_of(id);
    int64_t now = egov_mono_us();
    pthread_mutex_lock(&cache_lock);
    struct svc_slot *sl = &svc_cache[h];
    if (sl->used && now - sl->loaded_us < CACHE_TTL_US && strcmp(sl->s.id, id) == 0) {
        int f = sl->found;
        *out = sl->s;
        pthread_mutex_unlock(&cache_lock);
        return f;
    }
    pthread_mutex_unlock(&cache_lock);

    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    if (c == NULL)
        return -1;
    struct egov_db_rows *rows = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(id), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_service_get, p, &rows);
    int found = qs < 0 ? -1 : qs > 0 ? 1 : 0;
    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", id);
    if (found == 1) {
        snprintf(out->base_url, sizeof out->base_url, "%s", egov_db_rows_text(rows, 0, 0));
        snprintf(out->charset, sizeof out->charset, "%s", egov_db_rows_text(rows, 0, 1));
        out->personal_data = egov_db_rows_int64(rows, 0, 2) != 0;
        out->timeout_ms = (unsigned int)egov_db_rows_int64(rows, 0, 3);
    }
    egov_db_rows_free(rows);
    egov_db_release(c);
    if (found >= 0) {
        pthread_mutex_lock(&cache_lock);
        sl->used = true;
        sl->loaded_us = now;
        sl->found = found;
        sl->s = *out;
        pthread_mutex_unlock(&cache_lock);
    }
    return found;
}

static void cli_unref_locked(struct gw_client *c)
{
    struct cli_ref *r = (struct cli_ref *)c;
    if (r != NULL && --r->refs == 0) {
        egov_sigkey_free(r->c.key);
        egov_free(r);
    }
}

void gw_client_put(struct gw_client *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&cache_lock);
    cli_unref_locked(c);
    pthread_mutex_unlock(&cache_lock);
}

static const struct egov_db_stmt st_client_get = {
    "gw_client_get",
    "SELECT key_pem, oauth_client, rate_per_s, cert_pem FROM gw_client WHERE id = $1", NULL};

int gw_client_get(struct egov_db *db, const char *id, struct gw_client **out)
{
    unsigned int h = slot_of(id);
    int64_t now = egov_mono_us();
    *out = NULL;
    pthread_mutex_lock(&cache_lock);
    struct cli_slot *sl = &cli_cache[h];
    if (sl->used && now - sl->loaded_us < CACHE_TTL_US && sl->c != NULL &&
        strcmp(sl->c->id, id) == 0) {
        int f = sl->found;
        if (f == 1) {
            ((struct cli_ref *)sl->c)->refs++;
            *out = sl->c;
        }
        pthread_mutex_unlock(&cache_lock);
        return f;
    }
    pthread_mutex_unlock(&cache_lock);

    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    if (c == NULL)
        return -1;
    struct egov_db_rows *rows = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(id), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_client_get, p, &rows);
    int found = qs < 0 ? -1 : qs > 0 ? 1 : 0;
    struct cli_ref *r = egov_calloc(1, sizeof *r);
    if (r == NULL)
        found = -1;
    if (r != NULL) {
        snprintf(r->c.id, sizeof r->c.id, "%s", id);
        r->refs = 1;
    }
    if (found == 1) {
        const char *pem = egov_db_rows_text(rows, 0, 0);
        r->c.key = egov_sigkey_from_pem(pem, strlen(pem));
        const char *oc = egov_db_rows_text(rows, 0, 1);
        snprintf(r->c.oauth_client, sizeof r->c.oauth_client, "%s", oc != NULL ? oc : "");
        r->c.rate_per_s = (unsigned int)egov_db_rows_int64(rows, 0, 2);
        if (r->c.key == NULL)
            found = -1;
        const char *cert = egov_db_rows_text(rows, 0, 3);
        if (found == 1 && cert != NULL) {
            /* re-checked on every cache load: a revoked or expired certificate stops working */
            char err[256] = "";
            enum egov_ec vec = egov_pki_verify_chain(db, cert, strlen(cert), EGOV_X509_CLIENT_AUTH,
                                                     egov_now_us(), NULL, err, sizeof err);
            if (vec != EGOV_EC_NONE)
                snprintf(r->c.cert_problem, sizeof r->c.cert_problem,
                         "the client's certificate is not valid: %s",
                         err[0] ? err : egov_ec_hint(vec));
        }
    }
    egov_db_rows_free(rows);
    egov_db_release(c);
    if (found < 0) {
        if (r != NULL) {
            egov_sigkey_free(r->c.key);
            egov_free(r);
        }
        return -1;
    }
    pthread_mutex_lock(&cache_lock);
    if (sl->used && sl->c != NULL)
        cli_unref_locked(sl->c);
    sl->used = true;
    sl->loaded_us = now;
    sl->found = found;
    sl->c = &r->c;
    if (found == 1) {
        r->refs++;
        *out = &r->c;
    }
    pthread_mutex_unlock(&cache_lock);
    return found;
}

static const struct egov_db_stmt st_basis_check = {
    "gw_basis_check", "SELECT 1 FROM gw_legal_basis WHERE consumer = $1 AND service_id = $2",
    NULL};
static const struct egov_db_stmt st_consent_check = {
    "gw_consent_check",
    "SELECT 1 FROM gw_consent WHERE citizen = $3 AND consumer = $1"
    " AND service_id = $2 AND withdrawn_at IS NULL",
    NULL};

struct basis_slot {
    char key[700];
    int64_t loaded_us;
    int ok;
};
static struct basis_slot basis_cache[CACHE_SLOTS];

/*
 * One cached yes/no from @p st for (consumer, service[, citizen]): 1 a
 * row, 0 none, -1 database error.  With @p per_citizen the statement takes
 * the citizen ("" if none) as $3 and the answer is kept per citizen.
 */
static int cached_check(struct egov_db *db, const struct egov_db_stmt *st, const char *consumer,
                        const char *service_id, bool per_citizen, const char *citizen)
{
    if (!per_citizen)
        citizen = NULL;
    char key[700];
    int kn = snprintf(key, sizeof key, "%s\n%s\n%s\n%s", st->name, consumer, service_id,
                      citizen != NULL ? citizen : "");
    bool cacheable = kn > 0 && (size_t)kn < sizeof key;
    unsigned int h = cacheable ? slot_of(key) : 0;
    if (cacheable) {
        pthread_mutex_lock(&cache_lock);
        struct basis_slot *b = &basis_cache[h];
        if (egov_mono_us() - b->loaded_us < CACHE_TTL_US && strcmp(b->key, key) == 0) {
            int ok = b->ok;
            pthread_mutex_unlock(&cache_lock);
            return ok;
        }
        pthread_mutex_unlock(&cache_lock);
    }
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    if (c == NULL)
        return -1;
    struct egov_db_rows *rows = NULL;
    struct egov_db_param p[] = {
        EGOV_DB_PARAM_TEXT(consumer),
        EGOV_DB_PARAM_TEXT(service_id),
        per_citizen ? (struct egov_db_param)EGOV_DB_PARAM_TEXT(citizen != NULL ? citizen : "")
                    : (struct egov_db_param)EGOV_DB_PARAM_END,
        EGOV_DB_PARAM_END,
    };
    enum egov_db_qs qs = egov_db_query(c, st, p, &rows);
    egov_db_rows_free(rows);
    egov_db_release(c);
    int ok = qs < 0 ? -1 : qs > 0 ? 1 : 0;
    if (cacheable && ok >= 0) {
        pthread_mutex_lock(&cache_lock);
        memcpy(basis_cache[h].key, key, (size_t)kn + 1);
        basis_cache[h].loaded_us = egov_mono_us();
        basis_cache[h].ok = ok;
        pthread_mutex_unlock(&cache_lock);
    }
    return ok;
}

int gw_legal_basis_ok(struct egov_db *db, const char *consumer, const char *service_id,
                      const char *citizen)
{
    /* a legal basis covers every person: one cached answer for the pair, no lookup per person */
    int ok = cached_check(db, &st_basis_check, consumer, service_id, false, NULL);
    if (ok != 0)
        return ok;
    return cached_check(db, &st_consent_check, consumer, service_id, true, citizen);
}

void gw_cache_clear(void)
{
    pthread_mutex_lock(&cache_lock);
    for (unsigned int i = 0; i < CACHE_SLOTS; i++) {
        svc_cache[i].used = false;
        basis_cache[i].key[0] = '\0';
        if (cli_cache[i].c != NULL)
            cli_unref_locked(cli_cache[i].c);
        cli_cache[i].c = NULL;
        cli_cache[i].used = false;
    }
    pthread_mutex_unlock(&cache_lock);
}

void gw_cache_fini(void)
{
    gw_cache_clear();
}

/* ------------------------------------------------------------------ */
/* Publishers                                                          */
/* ------------------------------------------------------------------ */

static void token_hash(const char *token, char out[65])
{
    uint8_t h[EGOV_SHA256_LEN];
    egov_sha256(token, strlen(token), h);
    egov_hex_encode(h, sizeof h, out);
    out[64] = '\0';
}

static const struct egov_db_stmt st_publisher_add = {
    "gw_publisher_add",
    "INSERT INTO gw_publisher (token_hash, client, subject_prefix, created_at)"
    " VALUES ($1,$2,$3,$4)",
    NULL};

enum egov_ec egov_gateway_publisher_add(struct egov_db *db, const char *client,
                                        const char *subject_prefix, char token_out[65])
{
    struct egov_gateway_id id;
    char why[160], h[65];
    if (egov_gateway_member_id_parse(client, &id, why, sizeof why) != EGOV_EC_NONE)
        return EGOV_EC_GATEWAY_CLIENT_INVALID;
    if (subject_prefix == NULL || strlen(subject_prefix) > 100 ||
        strspn(subject_prefix, "abcdefghijklmnopqrstuvwxyz0123456789.-_") != strlen(subject_prefix))
        return EGOV_EC_GENERIC_PARAMETER_MALFORMED;
    if (!egov_random_token(32, token_out))
        return EGOV_EC_GENERIC_INTERNAL;
    token_hash(token_out, h);
    struct egov_db_param p[] = {
        EGOV_DB_PARAM_TEXT(h),
        EGOV_DB_PARAM_TEXT(id.text),
        EGOV_DB_PARAM_TEXT(subject_prefix),
        EGOV_DB_PARAM_INT64(egov_now_us()),
        EGOV_DB_PARAM_END,
    };
    return exec_write(db, &st_publisher_add, p);
}

static const struct egov_db_stmt st_publisher_get = {
    "gw_publisher_get", "SELECT client, subject_prefix FROM gw_publisher WHERE token_hash = $1",
    NULL};

int gw_publisher_of(struct egov_db *db, const char *token, char client[300],
                    char subject_prefix[101])
{
    char h[65];
    if (token == NULL || strlen(token) < 16 || strlen(token) > 128)
        return 0;
    token_hash(token, h);
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    if (c == NULL)
        return -1;
    struct egov_db_rows *rows = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(h), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_publisher_get, p, &rows);
    if (qs > 0) {
        snprintf(client, 300, "%s", egov_db_rows_text(rows, 0, 0));
        snprintf(subject_prefix, 101, "%s", egov_db_rows_text(rows, 0, 1));
    }
    egov_db_rows_free(rows);
    egov_db_release(c);
    return qs < 0 ? -1 : qs > 0 ? 1 : 0;
}
