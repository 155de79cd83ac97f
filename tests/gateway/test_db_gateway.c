/*
 * test_db_gateway.c -- the gateway in-process on SQLite and PostgreSQL,
 * in front of a provider and an event receiver on loopback:
 *  - a signed call goes through; the answer is signed by the gateway and
 *    bound to the request hash; the provider sees the end user and the
 *    gateway's own signature and no internal headers;
 *  - no grant -> 403 and audited; tampered signature, tampered body,
 *    replay, stale signature, unknown client, malformed ids and
 *    traversal -> the precise errors, audited;
 *  - personal data needs a legal basis or the person's consent;
 *  - provider down -> 502 at once; hung provider -> 504 within the
 *    timeout; repeated failures open the circuit (503);
 *  - rate limit per consumer (429);
 *  - metaservices; metrics; the citizen's access list;
 *  - the audit chain verifies, and an edited or deleted row is named;
 *  - events: fan-out to subscribers, delivery once with a stable delivery
 *    id, retries after failures, per-person order, dead letters.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "account/account.h"
#include "accounting/accounting.h"
#include "auth/auth.h"
#include "authz/authz.h"
#include "directory/directory.h"
#include "oid/oid.h"
#include "pki/pki.h"
#include "gateway/gw_int.h"
#include "testlib.h"

#define CLIENT     "TW/GOV/MOF/tax"
#define OTHER      "TW/GOV/MOTC/vehicle"
#define SVC        "TW/GOV/MOI/household/persons"
#define SVC_PD     "TW/GOV/MOI/household/records"
#define SVC_DOWN   "TW/GOV/MOI/household/down"
#define SVC_SLOW   "TW/GOV/MOI/household/slow"
#define PERSON     "A123456789"
#define A_CLIENT   "TW:GOV:MOF:tax"
#define A_OTHER    "TW:GOV:MOTC:vehicle"
#define A_SVC      "TW:GOV:MOI:household:persons"
#define A_SVC_PD   "TW:GOV:MOI:household:records"
#define A_SVC_DOWN "TW:GOV:MOI:household:down"
#define A_SVC_SLOW "TW:GOV:MOI:household:slow"

static struct egov_db *db;
static struct egov_test_server gw, provider;
static struct egov_sigkey *client_key, *other_key;
static struct egov_config cfg;
static char tmpdir[512];

/* ------------------------------------------------------------------ */
/* The provider and the event receiver                                 */
/* ------------------------------------------------------------------ */

static pthread_mutex_t rx_lock = PTHREAD_MUTEX_INITIALIZER;
static char rx_ids[64][40];
static char rx_keys[64][16];
static unsigned int rx_count, rx_fail_next, rx_unsigned;
static int rx_status = 200;

static void handle_person(struct egov_req *req)
{
    const char *sig = egov_req_header(req, "Signature");
    const char *si = egov_req_header(req, "Signature-Input");
    /* the provider's own check of the gateway's signature, with its system's secret */
    uint8_t secret[32];
    char why[200] = "";
    bool verified =
        gw_provider_secret("TW/GOV/MOI/household", secret) &&
        egov_gateway_forwarded_verify(req, secret, 300, why, sizeof why) == EGOV_EC_NONE;
    uint8_t other[32];
    bool other_fails = gw_provider_secret("TW/GOV/MOI/land", other) &&
                       egov_gateway_forwarded_verify(req, other, 300, why, sizeof why) ==
                           EGOV_EC_GATEWAY_SIGNATURE_INVALID;
    json_t *j =
        json_pack("{s:s, s:b, s:b, s:s?, s:s?, s:s?, s:b, s:b, s:s?}", "id",
                  egov_req_param(req, "id"), "verified", verified, "other_secret_fails",
                  other_fails, "client", egov_req_header(req, "X-Road-Client"), "user",
                  egov_req_header(req, "X-Road-UserId"), "query", egov_req_query(req, "type"),
                  "signed", sig != NULL && si != NULL && strstr(si, "keyid=\"gateway\"") != NULL,
                  "leaked", egov_req_header(req, "X-Internal-Secret") != NULL, "cookie",
                  egov_req_header(req, "Cookie"));
    egov_reply_json(req, 200, j);
}

static void handle_echo(struct egov_req *req)
{
    egov_reply_bytes(req, 201, "application/json", req->body, req->body_len);
}

static void handle_slow(struct egov_req *req)
{
    usleep(1500 * 1000);
    egov_reply_json(req, 200, json_pack("{s:b}", "late", 1));
}

static void handle_events(struct egov_req *req)
{
    const char *id = egov_req_header(req, "X-Egov-Delivery");
    /* the subscriber's check of the gateway's signature, with its system's secret */
    uint8_t secret[32];
    char why[200];
    bool verified = gw_provider_secret(CLIENT, secret) &&
                    egov_gateway_delivery_verify(req, secret, 300, why, sizeof why) == EGOV_EC_NONE;
    if (!verified) {
        pthread_mutex_lock(&rx_lock);
        rx_unsigned++;
        pthread_mutex_unlock(&rx_lock);
    }
    json_t *ev = json_loads(req->body, 0, NULL);
    const char *key = json_string_value(json_object_get(ev, "key"));
    pthread_mutex_lock(&rx_lock);
    if (rx_fail_next > 0) {
        rx_fail_next--;
        pthread_mutex_unlock(&rx_lock);
        json_decref(ev);
        egov_reply_json(req, 503, json_pack("{s:s}", "error", "busy"));
        return;
    }
    int status = rx_status;
    if (status == 200 && id != NULL && rx_count < 64) {
        snprintf(rx_ids[rx_count], sizeof rx_ids[0], "%s", id);
        snprintf(rx_keys[rx_count], sizeof rx_keys[0], "%s", key != NULL ? key : "");
        rx_count++;
    }
    pthread_mutex_unlock(&rx_lock);
    json_decref(ev);
    egov_reply_json(req, (unsigned int)status, json_pack("{s:b}", "applied", status == 200));
}

static const struct egov_route provider_routes[] = {
    {EGOV_M_GET, "/persons/{id}", handle_person, 0, 0, "person"},
    {EGOV_M_GET, "/records/{id}", handle_person, 0, 0, "record"},
    {EGOV_M_POST, "/persons/{id}/echo", handle_echo, 65536, 0, "echo"},
    {EGOV_M_GET, "/slow", handle_slow, 0, 0, "slow"},
    {EGOV_M_POST, "/events", handle_events, 65536, 0, "events"},
    EGOV_ROUTE_END,
};
static const struct egov_route_table provider_table = {"provider", provider_routes};

/* ------------------------------------------------------------------ */
/* A consumer: signs its requests (RFC 9421) with its key              */
/* ------------------------------------------------------------------ */

struct signed_req {
    char h[10][1200];
    const char *list[11];
    char path[512];
};

static void b64(const uint8_t *p, size_t n, char *out)
{
    EVP_EncodeBlock((unsigned char *)out, p, (int)n);
}

/*
 * Builds the headers of a signed call.  @p created 0 = now.  @p tamper
 * flips a byte of the signature.
 */
static void sign_call(struct signed_req *r, struct egov_sigkey *key, const char *client,
                      const char *method, const char *path, const char *query, const char *msgid,
                      const char *user, const char *body, int64_t created, bool tamper)
{
    unsigned int n = 0;
    char digest[80] = "", params[600], comps[300];
    struct egov_buf base;
    egov_buf_init(&base);
    if (created == 0)
        created = egov_now_us() / 1000000;
    snprintf(r->path, sizeof r->path, "%s%s%s", path, query ? "?" : "", query ? query : "");
    snprintf(comps, sizeof comps, "\"@method\" \"@path\"%s \"x-road-client\" \"x-road-id\"%s%s",
             query ? " \"@query\"" : "", body ? " \"content-digest\"" : "",
             user ? " \"x-road-userid\"" : "");
    snprintf(params, sizeof params, "(%s);created=%lld;keyid=\"%s\";alg=\"%s\"", comps,
             (long long)created, client, egov_sigkey_alg_name(egov_sigkey_alg(key)));
    egov_buf_printf(&base, "\"@method\": %s\n\"@path\": %s\n", method, path);
    if (query)
        egov_buf_printf(&base, "\"@query\": ?%s\n", query);
    egov_buf_printf(&base, "\"x-road-client\": %s\n\"x-road-id\": %s\n", client, msgid);
    if (body) {
        uint8_t h[32];
        char e[64];
        egov_sha256(body, strlen(body), h);
        b64(h, 32, e);
        snprintf(digest, sizeof digest, "sha-256=:%s:", e);
        egov_buf_printf(&base, "\"content-digest\": %s\n", digest);
    }
    if (user)
        egov_buf_printf(&base, "\"x-road-userid\": %s\n", user);
    egov_buf_printf(&base, "\"@signature-params\": %s", params);
    uint8_t sig[EGOV_SIGKEY_MAX_SIG];
    size_t sl = 0;
    assert_true(egov_sigkey_sign(key, base.data, base.len, sig, &sl));
    if (tamper)
        sig[5] ^= 0x40;
    char sb[(EGOV_SIGKEY_MAX_SIG + 2) / 3 * 4 + 1];
    b64(sig, sl, sb);
    snprintf(r->h[n++], sizeof r->h[0], "X-Road-Client: %s", client);
    snprintf(r->h[n++], sizeof r->h[0], "X-Road-Id: %s", msgid);
    if (user)
        snprintf(r->h[n++], sizeof r->h[0], "X-Road-UserId: %s", user);
    if (body) {
        snprintf(r->h[n++], sizeof r->h[0], "Content-Digest: %s", digest);
        snprintf(r->h[n++], sizeof r->h[0], "Content-Type: application/json");
    }
    snprintf(r->h[n++], sizeof r->h[0], "Signature-Input: sig1=%s", params);
    snprintf(r->h[n++], sizeof r->h[0], "Signature: sig1=:%s:", sb);
    snprintf(r->h[n++], sizeof r->h[0], "X-Internal-Secret: 1");
    snprintf(r->h[n++], sizeof r->h[0], "Cookie: session=abc");
    for (unsigned int i = 0; i < n; i++)
        r->list[i] = r->h[i];
    r->list[n] = NULL;
    egov_buf_free(&base);
}

static unsigned int msg_seq;

/* Makes a fresh message id. */
static const char *new_msgid(char out[64])
{
    snprintf(out, 64, "msg-%u-%lld", ++msg_seq, (long long)egov_now_us());
    return out;
}

static long call(const char *method, const char *path, const char *query, const char *user,
                 const char *body, struct egov_test_response *resp)
{
    struct signed_req r;
    char id[64];
    sign_call(&r, client_key, CLIENT, method, path, query, new_msgid(id), user, body, 0, false);
    assert_true(egov_test_http(&gw, method, r.path, r.list, body, body ? strlen(body) : 0, resp));
    return resp->status;
}

static void expect_error(const struct egov_test_response *resp, long status, const char *type)
{
    char buf[200];
    if (resp->status != status)
        fprintf(stderr, "expected %ld %s, got %ld: %s\n", status, type, resp->status, resp->body);
    assert_int_equal(resp->status, status);
    assert_non_null(egov_test_response_header(resp, "X-Road-Error", buf, sizeof buf));
    assert_string_equal(buf, type);
    json_t *j = json_loads(resp->body, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "type")), type);
    assert_non_null(json_string_value(json_object_get(j, "message")));
    assert_non_null(json_string_value(json_object_get(j, "detail")));
    json_decref(j);
}

/* Count of audit rows with this status and service. */
static long audit_count(unsigned int status, const char *service)
{
    assert_true(egov_gateway_audit_flush());
    static const struct egov_db_stmt st = {
        "t_audit_count", "SELECT COUNT(*) FROM gw_audit WHERE status = $1 AND service = $2", NULL};
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    struct egov_db_rows *rows = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_INT64(status), EGOV_DB_PARAM_TEXT(service),
                                EGOV_DB_PARAM_END};
    assert_int_equal(egov_db_query(c, &st, p, &rows), 1);
    long n = (long)egov_db_rows_int64(rows, 0, 0);
    egov_db_rows_free(rows);
    egov_db_release(c);
    return n;
}

/* The citizen PERSON's account. */
static char citizen_account[37];

/* ------------------------------------------------------------------ */
/* Set-up                                                              */
/* ------------------------------------------------------------------ */

static int setup(void **state)
{
    (void)state;
    db = egov_test_db_open();
    if (db == NULL)
        return -1;
    const struct egov_module *mods[] = {
        &egov_accounting_module, &egov_oid_module, &egov_directory_module, &egov_authz_module,
        &egov_account_module,    &egov_pki_module, &egov_auth_module,      &egov_gateway_module};
    for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++)
        if (mods[i]->migrations != NULL)
            egov_db_register_migrations(mods[i]->migrations);
    char err[256];
    if (egov_db_migrate(db, NULL, NULL, err, sizeof err) < 0) {
        fprintf(stderr, "migrate: %s\n", err);
        return -1;
    }
    const char *tmp = getenv("EGOV_TEST_TMP");
    snprintf(tmpdir, sizeof tmpdir, "%s/gw-%d", tmp != NULL ? tmp : "/tmp", (int)getpid());
    egov_config_defaults(&cfg);
    snprintf(cfg.vardir, sizeof cfg.vardir, "%s", tmpdir);
    cfg.gateway_breaker_failures = 3;
    cfg.gateway_breaker_open_ms = 60000;
    cfg.gateway_clock_skew_s = 60;
    mkdir(tmpdir, 0700);
    int kn = snprintf(cfg.gateway_audit_key_file, sizeof cfg.gateway_audit_key_file,
                      "%.400s/audit.key", tmpdir);
    if (kn < 0 || (size_t)kn >= sizeof cfg.gateway_audit_key_file)
        return -1;
    FILE *kf = fopen(cfg.gateway_audit_key_file, "w");
    if (kf == NULL)
        return -1;
    fputs("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", kf);
    fclose(kf);
    if (getenv("EGOV_LOCALEDIR") != NULL)
        egov_i18n_load(getenv("EGOV_LOCALEDIR"));
    struct egov_module_env env = {&cfg, db, NULL};
    if (!egov_account_module.init(&env) || !egov_gateway_module.init(&env))
        return -1;

    struct egov_server_options opt = {0};
    opt.db = db;
    opt.threads = 2;
    opt.datadir = getenv("EGOV_DATADIR");
    const struct egov_route_table *pt[] = {&provider_table, NULL};
    if (!egov_test_inproc_start(pt, &opt, &provider))
        return -1;
    const struct egov_route_table *gt[] = {egov_gateway_module.routes, &egov_http_core_routes,
                                           &egov_test_session_routes, NULL};
    if (!egov_test_inproc_start(gt, &opt, &gw))
        return -1;

    client_key = egov_sigkey_generate(EGOV_SIGKEY_ED25519);
    other_key = egov_sigkey_generate(EGOV_SIGKEY_ES256);
    const char *field = NULL;
    char *pub = egov_sigkey_public_pem(client_key), *pub2 = egov_sigkey_public_pem(other_key);
    struct egov_gateway_client c1 = {CLIENT, pub, NULL, NULL, 0};
    struct egov_gateway_client c2 = {OTHER, pub2, NULL, NULL, 3};
    assert_int_equal(egov_gateway_client_register(db, &c1, &field), EGOV_EC_NONE);
    assert_int_equal(egov_gateway_client_register(db, &c2, &field), EGOV_EC_NONE);
    egov_free(pub);
    egov_free(pub2);

    char base[128];
    snprintf(base, sizeof base, "%s", provider.base_url);
    const char *openapi = "{\"openapi\":\"3.0.3\",\"info\":{\"title\":\"persons\",\"version\":"
                          "\"1\"},\"paths\":{\"/persons/{id}\":{\"get\":{}}}}";
    struct egov_gateway_service s1 = {SVC, base, NULL, openapi, false, 0};
    struct egov_gateway_service s2 = {SVC_PD, base, NULL, NULL, true, 0};
    struct egov_gateway_service s3 = {SVC_DOWN, "http://127.0.0.1:1", NULL, NULL, false, 0};
    struct egov_gateway_service s4 = {SVC_SLOW, base, NULL, NULL, false, 400};
    assert_int_equal(egov_gateway_service_register(db, &s1, &field), EGOV_EC_NONE);
    assert_int_equal(egov_gateway_service_register(db, &s2, &field), EGOV_EC_NONE);
    assert_int_equal(egov_gateway_service_register(db, &s3, &field), EGOV_EC_NONE);
    assert_int_equal(egov_gateway_service_register(db, &s4, &field), EGOV_EC_NONE);
    char gid[37];
    assert_int_equal(egov_authz_grant_add(db, NULL, A_CLIENT, A_SVC, "MOI", "*", "/persons/*", NULL,
                                          NULL, gid, &field),
                     EGOV_EC_NONE);
    assert_int_equal(egov_authz_grant_add(db, NULL, A_CLIENT, A_SVC_PD, "MOI", "GET", "/records/*",
                                          NULL, NULL, gid, &field),
                     EGOV_EC_NONE);
    assert_int_equal(egov_authz_grant_add(db, NULL, A_CLIENT, A_SVC_DOWN, "MOI", "*", "/*", NULL,
                                          NULL, gid, &field),
                     EGOV_EC_NONE);
    assert_int_equal(egov_authz_grant_add(db, NULL, A_CLIENT, A_SVC_SLOW, "MOI", "GET", "/*", NULL,
                                          NULL, gid, &field),
                     EGOV_EC_NONE);
    assert_int_equal(egov_authz_grant_add(db, NULL, A_OTHER, A_SVC, "MOI", "GET", "/persons/*",
                                          NULL, NULL, gid, &field),
                     EGOV_EC_NONE);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    egov_test_inproc_stop(&gw, 1000);
    egov_test_inproc_stop(&provider, 1000);
    egov_gateway_module.fini();
    if (egov_account_module.fini != NULL)
        egov_account_module.fini();
    egov_sigkey_free(client_key);
    egov_sigkey_free(other_key);
    egov_db_close(db);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */
/* ------------------------------------------------------------------ */

static void test_call_ok(void **state)
{
    (void)state;
    struct egov_test_response r;
    assert_int_equal(
        call("GET", "/r1/" SVC "/persons/" PERSON, "type=full", "B223456789", NULL, &r), 200);
    json_t *j = json_loads(r.body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "id")), PERSON);
    assert_string_equal(json_string_value(json_object_get(j, "client")), CLIENT);
    assert_string_equal(json_string_value(json_object_get(j, "user")), "B223456789");
    assert_string_equal(json_string_value(json_object_get(j, "query")), "full");
    assert_true(json_is_true(json_object_get(j, "signed")));
    assert_true(json_is_true(json_object_get(j, "verified")));
    assert_true(json_is_true(json_object_get(j, "other_secret_fails")));
    assert_true(json_is_false(json_object_get(j, "leaked")));
    assert_true(json_is_null(json_object_get(j, "cookie")));
    json_decref(j);

    /* @query is the query as sent, encoded as the consumer encoded it */
    {
        struct egov_test_response r2;
        assert_int_equal(
            call("GET", "/r1/" SVC "/persons/" PERSON, "type=full%20copy&x=a+b", NULL, NULL, &r2),
            200);
        json_t *j2 = json_loads(r2.body, 0, NULL);
        assert_string_equal(json_string_value(json_object_get(j2, "query")), "full copy");
        assert_true(json_is_true(json_object_get(j2, "verified")));
        json_decref(j2);
        egov_test_response_free(&r2);
    }

    /* the answer is signed by the gateway over status, digest, id and request hash */
    char si[600], sg[200], rh[100], dg[100], xid[100], pem_buf[2];
    (void)pem_buf;
    assert_non_null(egov_test_response_header(&r, "Signature-Input", si, sizeof si));
    assert_non_null(egov_test_response_header(&r, "Signature", sg, sizeof sg));
    assert_non_null(egov_test_response_header(&r, "X-Road-Request-Hash", rh, sizeof rh));
    assert_non_null(egov_test_response_header(&r, "Content-Digest", dg, sizeof dg));
    assert_non_null(egov_test_response_header(&r, "X-Road-Id", xid, sizeof xid));
    char expect_dg[64];
    gw_content_digest(r.body, r.body_len, expect_dg);
    assert_string_equal(dg, expect_dg);
    struct egov_buf base;
    egov_buf_init(&base);
    const char *params = strchr(si, '=') + 1;
    egov_buf_printf(&base,
                    "\"@status\": 200\n\"content-digest\": %s\n\"x-road-id\": %s\n"
                    "\"x-road-request-hash\": %s\n\"@signature-params\": %s",
                    dg, xid, rh, params);
    uint8_t sig[EGOV_SIGKEY_MAX_SIG];
    long sl = gw_signature_decode(sg, sig);
    char *pub = egov_sigkey_public_pem(gw_key);
    struct egov_sigkey *gpub = egov_sigkey_from_pem(pub, strlen(pub));
    assert_true(egov_sigkey_verify(gpub, base.data, base.len, sig, (size_t)sl));
    egov_buf_free(&base);
    egov_free(pub);
    egov_sigkey_free(gpub);
    egov_test_response_free(&r);

    /* a POST with a body: digest checked, body forwarded */
    assert_int_equal(call("POST", "/r1/" SVC "/persons/" PERSON "/echo", NULL, NULL,
                          "{\"address\":\"臺北市\"}", &r),
                     201);
    assert_string_equal(r.body, "{\"address\":\"臺北市\"}");
    egov_test_response_free(&r);

    /* the bodies are kept in the audit log, encrypted, and chained */
    assert_true(egov_gateway_audit_flush());
    static const struct egov_db_stmt last = {
        "t_audit_last_post", "SELECT MAX(seq) FROM gw_audit WHERE method = 'POST' AND status = 201",
        NULL};
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    struct egov_db_rows *rows = NULL;
    assert_int_equal(egov_db_query(c, &last, NULL, &rows), 1);
    int64_t seq = egov_db_rows_int64(rows, 0, 0);
    egov_db_rows_free(rows);
    egov_db_release(c);
    struct egov_buf qb, ab;
    egov_buf_init(&qb);
    egov_buf_init(&ab);
    assert_int_equal(egov_gateway_audit_bodies(db, seq, &qb, &ab), 1);
    assert_string_equal(qb.data, "{\"address\":\"臺北市\"}");
    assert_string_equal(ab.data, "{\"address\":\"臺北市\"}");
    egov_buf_free(&qb);
    egov_buf_free(&ab);
    assert_true(audit_count(200, SVC) >= 1);
}

/* POSTs @p size bytes as X-Road-Id @p msgid and expects 413 Client.MessageTooLarge. */
static void post_too_large(size_t size, const char *msgid)
{
    struct egov_test_response r;
    char *body = malloc(size + 1);
    assert_non_null(body);
    memset(body, 'x', size);
    body[size] = '\0';
    char id[80];
    snprintf(id, sizeof id, "X-Road-Id: %s", msgid);
    const char *h[] = {"X-Road-Client: " CLIENT, id, "Content-Type: application/octet-stream",
                       NULL};
    assert_true(
        egov_test_http(&gw, "POST", "/r1/" SVC "/persons/" PERSON "/echo", h, body, size, &r));
    expect_error(&r, 413, "Client.MessageTooLarge");
    egov_test_response_free(&r);
    free(body);
}

static void test_refusals(void **state)
{
    (void)state;
    struct egov_test_response r;
    struct signed_req s;
    char id[64];

    /* no grant: OTHER may only GET */
    sign_call(&s, other_key, OTHER, "POST", "/r1/" SVC "/persons/" PERSON "/echo", NULL,
              new_msgid(id), NULL, "{}", 0, false);
    assert_true(egov_test_http(&gw, "POST", s.path, s.list, "{}", 2, &r));
    expect_error(&r, 403, "Server.ServerProxy.AccessDenied");
    egov_test_response_free(&r);
    assert_true(audit_count(403, SVC) >= 1);

    /* tampered signature */
    sign_call(&s, client_key, CLIENT, "GET", "/r1/" SVC "/persons/" PERSON, NULL, new_msgid(id),
              NULL, NULL, 0, true);
    assert_true(egov_test_http(&gw, "GET", s.path, s.list, NULL, 0, &r));
    expect_error(&r, 401, "Client.InvalidSignatureValue");
    egov_test_response_free(&r);

    /* signed by another key than the client's */
    sign_call(&s, other_key, CLIENT, "GET", "/r1/" SVC "/persons/" PERSON, NULL, new_msgid(id),
              NULL, NULL, 0, false);
    assert_true(egov_test_http(&gw, "GET", s.path, s.list, NULL, 0, &r));
    expect_error(&r, 401, "Client.InvalidSignatureValue");
    egov_test_response_free(&r);

    /* a signed request whose path was changed on the way */
    sign_call(&s, client_key, CLIENT, "GET", "/r1/" SVC "/persons/" PERSON, NULL, new_msgid(id),
              NULL, NULL, 0, false);
    assert_true(egov_test_http(&gw, "GET", "/r1/" SVC "/persons/B123456789", s.list, NULL, 0, &r));
    expect_error(&r, 401, "Client.InvalidSignatureValue");
    egov_test_response_free(&r);

    /* tampered body */
    sign_call(&s, client_key, CLIENT, "POST", "/r1/" SVC "/persons/" PERSON "/echo", NULL,
              new_msgid(id), NULL, "{\"a\":1}", 0, false);
    assert_true(egov_test_http(&gw, "POST", s.path, s.list, "{\"a\":2}", 7, &r));
    expect_error(&r, 400, "Client.InvalidMessage.Digest");
    egov_test_response_free(&r);

    /* replay: the same message twice */
    sign_call(&s, client_key, CLIENT, "GET", "/r1/" SVC "/persons/" PERSON, NULL, new_msgid(id),
              NULL, NULL, 0, false);
    assert_true(egov_test_http(&gw, "GET", s.path, s.list, NULL, 0, &r));
    assert_int_equal(r.status, 200);
    egov_test_response_free(&r);
    assert_true(egov_test_http(&gw, "GET", s.path, s.list, NULL, 0, &r));
    expect_error(&r, 409, "Client.DuplicateMessage");
    egov_test_response_free(&r);

    /* a stale signature */
    sign_call(&s, client_key, CLIENT, "GET", "/r1/" SVC "/persons/" PERSON, NULL, new_msgid(id),
              NULL, NULL, egov_now_us() / 1000000 - 3600, false);
    assert_true(egov_test_http(&gw, "GET", s.path, s.list, NULL, 0, &r));
    expect_error(&r, 409, "Client.DuplicateMessage");
    egov_test_response_free(&r);

    /* an access token that is not one of this platform's */
    sign_call(&s, client_key, CLIENT, "GET", "/r1/" SVC "/persons/" PERSON, NULL, new_msgid(id),
              NULL, NULL, 0, false);
    {
        const char *with_token[12];
        size_t n = 0;
        while (s.list[n] != NULL) {
            with_token[n] = s.list[n];
            n++;
        }
        with_token[n++] = "Authorization: Bearer eyJhbGciOiJFUzI1NiJ9.e30.c2ln";
        with_token[n] = NULL;
        assert_true(egov_test_http(&gw, "GET", s.path, with_token, NULL, 0, &r));
        expect_error(&r, 401, "Client.InvalidToken");
        egov_test_response_free(&r);
    }

    /* a body over the gateway's limit (1 MiB): refused in the X-Road shape and audited */
    post_too_large(1536 * 1024, "big-1");
    assert_true(audit_count(413, SVC) == 1);
    /* over the route's limit (2 MiB), refused before the body is read: still audited */
    post_too_large(3 * 1024 * 1024, "big-2");
    assert_true(audit_count(413, SVC) == 2);

    /* unsigned */
    const char *plain[] = {"X-Road-Client: " CLIENT, "X-Road-Id: x1", NULL};
    assert_true(egov_test_http(&gw, "GET", "/r1/" SVC "/persons/" PERSON, plain, NULL, 0, &r));
    expect_error(&r, 401, "Client.MissingSignature");
    egov_test_response_free(&r);

    /* unknown client, missing client, unknown service, malformed id, traversal */
    sign_call(&s, client_key, "TW/GOV/XX/nobody", "GET", "/r1/" SVC "/persons/" PERSON, NULL,
              new_msgid(id), NULL, NULL, 0, false);
    assert_true(egov_test_http(&gw, "GET", s.path, s.list, NULL, 0, &r));
    expect_error(&r, 401, "Client.UnknownMember");
    egov_test_response_free(&r);
    const char *none[] = {NULL};
    assert_true(egov_test_http(&gw, "GET", "/r1/" SVC "/persons/" PERSON, none, NULL, 0, &r));
    expect_error(&r, 400, "Client.InvalidClientId");
    egov_test_response_free(&r);
    assert_int_equal(call("GET", "/r1/TW/GOV/MOI/household/nosuch/x", NULL, NULL, NULL, &r), 404);
    expect_error(&r, 404, "Server.ServerProxy.UnknownService");
    egov_test_response_free(&r);
    assert_true(audit_count(404, "TW/GOV/MOI/household/nosuch") == 1);
    assert_int_equal(call("GET", "/r1/TW/GOV/MOI", NULL, NULL, NULL, &r), 400);
    expect_error(&r, 400, "Client.InvalidServiceId");
    egov_test_response_free(&r);
    assert_true(
        egov_test_http(&gw, "GET", "/r1/" SVC "/persons/%2e%2e/%2e%2e/admin", none, NULL, 0, &r));
    expect_error(&r, 400, "Client.InvalidPath");
    egov_test_response_free(&r);
    assert_true(egov_test_http(&gw, "GET", "/r1/" SVC "/persons/%252e%252e", none, NULL, 0, &r));
    expect_error(&r, 400, "Client.InvalidPath");
    egov_test_response_free(&r);
    assert_true(
        egov_test_http(&gw, "GET", "/r1/TW/GOV/MOI/..%2F..%2Fetc/persons", none, NULL, 0, &r));
    expect_error(&r, 400, "Client.InvalidServiceId");
    egov_test_response_free(&r);
    assert_true(audit_count(400, SVC) >= 2);
}

static void test_legal_basis(void **state)
{
    (void)state;
    struct egov_test_response r;
    assert_int_equal(call("GET", "/r1/" SVC_PD "/records/" PERSON, NULL, NULL, NULL, &r), 403);
    expect_error(&r, 403, "Server.ServerProxy.AccessDenied.NoLegalBasis");
    egov_test_response_free(&r);
    /* the person's own consent opens it for that person only */
    assert_int_equal(egov_gateway_consent_set(db, PERSON, CLIENT, SVC_PD, true), EGOV_EC_NONE);
    assert_int_equal(call("GET", "/r1/" SVC_PD "/records/" PERSON, NULL, NULL, NULL, &r), 200);
    egov_test_response_free(&r);
    assert_int_equal(call("GET", "/r1/" SVC_PD "/records/B123456789", NULL, NULL, NULL, &r), 403);
    egov_test_response_free(&r);
    /* a legal basis for the grant opens it for everyone */
    char lid[37];
    assert_int_equal(egov_gateway_legal_basis_add(db, CLIENT, SVC_PD, "稅捐稽徵法第30條", lid),
                     EGOV_EC_NONE);
    assert_int_equal(call("GET", "/r1/" SVC_PD "/records/B123456789", NULL, NULL, NULL, &r), 200);
    egov_test_response_free(&r);

    /* the citizen sees who used their data */
    assert_true(egov_gateway_audit_flush());
    json_t *list = egov_gateway_accesses(db, PERSON, 100);
    assert_non_null(list);
    assert_true(json_array_size(list) >= 3);
    json_t *first = json_array_get(list, 0);
    assert_string_equal(json_string_value(json_object_get(first, "client")), CLIENT);
    assert_string_equal(json_string_value(json_object_get(first, "service")), SVC_PD);
    json_decref(list);
}

static void test_provider_faults(void **state)
{
    (void)state;
    struct egov_test_response r;
    int64_t t0 = egov_mono_us();
    assert_int_equal(call("GET", "/r1/" SVC_DOWN "/x", NULL, NULL, NULL, &r), 502);
    expect_error(&r, 502, "Server.ServerProxy.ServiceFailed");
    egov_test_response_free(&r);
    assert_true(egov_mono_us() - t0 < 2000000);

    t0 = egov_mono_us();
    assert_int_equal(call("GET", "/r1/" SVC_SLOW "/slow", NULL, NULL, NULL, &r), 504);
    expect_error(&r, 504, "Server.ServerProxy.ServiceTimeout");
    egov_test_response_free(&r);
    int64_t took = egov_mono_us() - t0;
    assert_true(took >= 350000 && took < 1200000);

    /* two more failures open the circuit: the next call is refused at once */
    assert_int_equal(call("GET", "/r1/" SVC_DOWN "/x", NULL, NULL, NULL, &r), 502);
    egov_test_response_free(&r);
    assert_int_equal(call("GET", "/r1/" SVC_DOWN "/x", NULL, NULL, NULL, &r), 502);
    egov_test_response_free(&r);
    assert_int_equal(call("GET", "/r1/" SVC_DOWN "/x", NULL, NULL, NULL, &r), 503);
    expect_error(&r, 503, "Server.ServerProxy.ServiceUnavailable");
    egov_test_response_free(&r);
    assert_true(audit_count(503, SVC_DOWN) == 1);
    assert_true(audit_count(502, SVC_DOWN) == 3);
    assert_true(audit_count(504, SVC_SLOW) == 1);
}

static void test_rate_limit(void **state)
{
    (void)state;
    struct egov_test_response r;
    unsigned int ok = 0, limited = 0;
    /* start with a fresh second: calls of the tests before may count in this one */
    egov_test_sleep_into_next_second(0);
    int64_t s0 = egov_now_us() / 1000000;
    for (int i = 0; i < 8; i++) {
        struct signed_req s;
        char id[64];
        sign_call(&s, other_key, OTHER, "GET", "/r1/" SVC "/persons/" PERSON, NULL, new_msgid(id),
                  NULL, NULL, 0, false);
        assert_true(egov_test_http(&gw, "GET", s.path, s.list, NULL, 0, &r));
        if (r.status == 200) {
            ok++;
        } else {
            expect_error(&r, 429, "Server.ClientProxy.RateLimited");
            limited++;
        }
        egov_test_response_free(&r);
    }
    /* 3 a second, counted per second of the clock: 3 in every second the burst touched at most,
     * and the first 3 are never refused (the node waits for its count to be shared instead) */
    int64_t seconds = egov_now_us() / 1000000 - s0 + 1;
    assert_true(ok >= 3);
    assert_true((int64_t)ok <= 3 * seconds);
    assert_true(limited >= 1);
    assert_int_equal(ok + limited, 8);
    assert_true(audit_count(429, SVC) >= limited);
}

static void test_metaservices(void **state)
{
    (void)state;
    struct egov_test_response r;
    const char *hdr[] = {"X-Road-Client: " OTHER, NULL};
    assert_true(egov_test_http(&gw, "GET", "/r1/listClients", NULL, NULL, 0, &r));
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, CLIENT));
    egov_test_response_free(&r);
    assert_true(
        egov_test_http(&gw, "GET", "/r1/TW/GOV/MOI/household/listMethods", NULL, NULL, 0, &r));
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, SVC_SLOW));
    egov_test_response_free(&r);
    assert_true(
        egov_test_http(&gw, "GET", "/r1/TW/GOV/MOI/household/allowedMethods", hdr, NULL, 0, &r));
    assert_int_equal(r.status, 200);
    json_t *j = json_loads(r.body, 0, NULL);
    json_t *svcs = json_object_get(j, "service");
    assert_int_equal(json_array_size(svcs), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(svcs, 0), "id")), SVC);
    json_decref(j);
    egov_test_response_free(&r);
    assert_true(egov_test_http(
        &gw, "GET", "/r1/TW/GOV/MOI/household/getOpenAPI?serviceCode=persons", NULL, NULL, 0, &r));
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"/persons/{id}\""));
    egov_test_response_free(&r);
    assert_true(egov_test_http(&gw, "GET", "/r1/TW/GOV/MOI/household/getOpenAPI?serviceCode=no",
                               NULL, NULL, 0, &r));
    expect_error(&r, 404, "Server.ServerProxy.UnknownService");
    egov_test_response_free(&r);

    assert_true(egov_test_http(&gw, "GET", "/metrics", NULL, NULL, 0, &r));
    assert_non_null(strstr(r.body, "egov_gateway_calls_total{service=\"" SVC "\",outcome=\"ok\"}"));
    assert_non_null(strstr(r.body, "egov_gateway_call_duration_seconds_bucket{service=\"" SVC));
    egov_test_response_free(&r);
}

/*
 * A consumer whose key is RSA (as the keys of most government
 * certificates are) calls with rsa-v1_5-sha256 and with rsa-pss-sha512;
 * a tampered RSA signature is refused.
 */
static void test_rsa_consumer(void **state)
{
#define RSA_CLIENT   "TW/GOV/MOJ/records"
#define A_RSA_CLIENT "TW:GOV:MOJ:records"
    (void)state;
    struct egov_sigkey *kv = egov_sigkey_generate(EGOV_SIGKEY_RSA_V15_SHA256);
    assert_non_null(kv);
    char *priv = egov_sigkey_private_pem(kv), *pub = egov_sigkey_public_pem(kv);
    struct egov_sigkey *kp = egov_sigkey_from_pem(priv, strlen(priv)); /* same key, PSS */
    assert_non_null(kp);
    assert_int_equal(egov_sigkey_alg(kp), EGOV_SIGKEY_RSA_PSS_SHA512);
    const char *field = NULL;
    char gid[37];
    struct egov_gateway_client c = {RSA_CLIENT, pub, NULL, NULL, 0};
    assert_int_equal(egov_gateway_client_register(db, &c, &field), EGOV_EC_NONE);
    assert_int_equal(egov_authz_grant_add(db, NULL, A_RSA_CLIENT, A_SVC, "MOI", "GET", "/persons/*",
                                          NULL, NULL, gid, &field),
                     EGOV_EC_NONE);
    struct egov_sigkey *keys[2] = {kv, kp};
    struct egov_test_response r;
    struct signed_req s;
    char id[64];
    for (int i = 0; i < 2; i++) {
        sign_call(&s, keys[i], RSA_CLIENT, "GET", "/r1/" SVC "/persons/" PERSON, NULL,
                  new_msgid(id), NULL, NULL, 0, false);
        assert_true(egov_test_http(&gw, "GET", s.path, s.list, NULL, 0, &r));
        if (r.status != 200)
            fprintf(stderr, "%s: %s\n", egov_sigkey_alg_name(egov_sigkey_alg(keys[i])), r.body);
        assert_int_equal(r.status, 200);
        egov_test_response_free(&r);
        sign_call(&s, keys[i], RSA_CLIENT, "GET", "/r1/" SVC "/persons/" PERSON, NULL,
                  new_msgid(id), NULL, NULL, 0, true);
        assert_true(egov_test_http(&gw, "GET", s.path, s.list, NULL, 0, &r));
        expect_error(&r, 401, "Client.InvalidSignatureValue");
        egov_test_response_free(&r);
    }
    egov_free(pub);
    egov_wipe(priv, strlen(priv));
    egov_free(priv);
    egov_sigkey_free(kp);
    egov_sigkey_free(kv);
}

/* Rows of @p st with text parameter @p arg (a COUNT query). */
static long count_of(const struct egov_db_stmt *st, const char *arg)
{
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    struct egov_db_rows *rows = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(arg), EGOV_DB_PARAM_END};
    assert_non_null(c);
    assert_int_equal(egov_db_query(c, st, p, &rows), 1);
    long n = (long)egov_db_rows_int64(rows, 0, 0);
    egov_db_rows_free(rows);
    egov_db_release(c);
    return n;
}

static const struct egov_db_stmt st_audit_of = {
    "t_audit_of", "SELECT COUNT(*) FROM gw_audit WHERE message_id = $1", NULL};
static const struct egov_db_stmt st_seen_of = {
    "t_seen_of", "SELECT COUNT(*) FROM gw_seen WHERE message_id = $1", NULL};

/* Records a claim of @p msgid as another node would, expiring at now + @p ttl_s. */
static void claim_elsewhere(const char *msgid, int64_t ttl_s)
{
    static const struct egov_db_stmt st = {
        "t_seen_add", "INSERT INTO gw_seen (client, message_id, expires_at) VALUES ($1, $2, $3)",
        NULL};
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(CLIENT), EGOV_DB_PARAM_TEXT(msgid),
                                EGOV_DB_PARAM_INT64(egov_now_us() / 1000000 + ttl_s),
                                EGOV_DB_PARAM_END};
    assert_non_null(c);
    assert_int_equal(egov_db_exec(c, &st, p), 1);
    egov_db_release(c);
}

/* Makes every insert into gw_audit fail (@p broken) or work again. */
static void break_audit(bool broken)
{
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    const char *sql;
    if (egov_test_db_is_pg())
        sql = broken ? "ALTER TABLE gw_audit ADD CONSTRAINT t_broken CHECK (false) NOT VALID"
                     : "ALTER TABLE gw_audit DROP CONSTRAINT t_broken";
    else
        sql = broken ? "CREATE TRIGGER t_broken BEFORE INSERT ON gw_audit"
                       " BEGIN SELECT RAISE(ABORT, 'audit unavailable'); END"
                     : "DROP TRIGGER t_broken";
    assert_non_null(c);
    assert_true(egov_db_exec_script(c, sql) >= 0);
    egov_db_release(c);
}

/*
 * An answer leaves the gateway only once its audit entry is committed;
 * message ids are claimed in the database, so a message another node
 * accepted is refused here although this node never saw it; with the
 * audit log unwritable no answer goes out.
 */
static void test_durable_audit_and_cluster_replay(void **state)
{
    struct egov_test_response r;
    struct signed_req s;
    char id[64];
    (void)state;
    for (int i = 0; i < 5; i++) {
        sign_call(&s, client_key, CLIENT, "GET", "/r1/" SVC "/persons/" PERSON, NULL, new_msgid(id),
                  NULL, NULL, 0, false);
        assert_true(egov_test_http(&gw, "GET", s.path, s.list, NULL, 0, &r));
        assert_int_equal(r.status, 200);
        egov_test_response_free(&r);
        /* no flush: the entry was in the log before the answer was sent */
        assert_int_equal(count_of(&st_audit_of, id), 1);
        assert_int_equal(count_of(&st_seen_of, id), 1);
    }
    /* refusals too */
    sign_call(&s, client_key, CLIENT, "GET", "/r1/" SVC "/persons/" PERSON, NULL, new_msgid(id),
              NULL, NULL, 0, true);
    assert_true(egov_test_http(&gw, "GET", s.path, s.list, NULL, 0, &r));
    expect_error(&r, 401, "Client.InvalidSignatureValue");
    egov_test_response_free(&r);
    assert_int_equal(count_of(&st_audit_of, id), 1);

    /* claimed by another node: a replay for the whole cluster */
    new_msgid(id);
    claim_elsewhere(id, 600);
    sign_call(&s, client_key, CLIENT, "GET", "/r1/" SVC "/persons/" PERSON, NULL, id, NULL, NULL, 0,
              false);
    assert_true(egov_test_http(&gw, "GET", s.path, s.list, NULL, 0, &r));
    expect_error(&r, 409, "Client.DuplicateMessage");
    egov_test_response_free(&r);
    assert_int_equal(count_of(&st_audit_of, id), 1);
    /* a claim past its time window no longer holds the id */
    new_msgid(id);
    claim_elsewhere(id, -5);
    sign_call(&s, client_key, CLIENT, "GET", "/r1/" SVC "/persons/" PERSON, NULL, id, NULL, NULL, 0,
              false);
    assert_true(egov_test_http(&gw, "GET", s.path, s.list, NULL, 0, &r));
    assert_int_equal(r.status, 200);
    egov_test_response_free(&r);

    /* the log cannot be written: the answer is withheld, the entry kept and written later */
    break_audit(true);
    sign_call(&s, client_key, CLIENT, "GET", "/r1/" SVC "/persons/" PERSON, NULL, new_msgid(id),
              NULL, NULL, 0, false);
    assert_true(egov_test_http(&gw, "GET", s.path, s.list, NULL, 0, &r));
    expect_error(&r, 503, "Server.ServerProxy.AuditUnavailable");
    egov_test_response_free(&r);
    assert_int_equal(count_of(&st_audit_of, id), 0);
    break_audit(false);
    assert_true(egov_gateway_audit_flush());
    assert_int_equal(count_of(&st_audit_of, id), 1);
    struct egov_gateway_audit_report rep;
    assert_int_equal(egov_gateway_audit_verify(db, &rep), 1);
}

static void test_audit_chain(void **state)
{
    (void)state;
    struct egov_gateway_audit_report rep;
    assert_true(egov_gateway_audit_flush());
    assert_int_equal(egov_gateway_audit_verify(db, &rep), 1);
    assert_true(rep.entries >= 20);
    int64_t n = rep.entries;

    static const struct egov_db_stmt edit = {
        "t_audit_edit", "UPDATE gw_audit SET client = 'TW/GOV/EVIL/x' WHERE seq = 7", NULL};
    static const struct egov_db_stmt del = {"t_audit_del", "DELETE FROM gw_audit WHERE seq = 5",
                                            NULL};
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    assert_int_equal(egov_db_exec(c, &edit, NULL), 1);
    egov_db_release(c);
    assert_int_equal(egov_gateway_audit_verify(db, &rep), 0);
    assert_int_equal(rep.bad_seq, 7);
    assert_non_null(strstr(rep.problem, "entry 7 was altered"));
    assert_int_equal(rep.entries, 6);

    c = egov_db_acquire(db, 5000);
    assert_int_equal(egov_db_exec(c, &del, NULL), 1);
    egov_db_release(c);
    assert_int_equal(egov_gateway_audit_verify(db, &rep), 0);
    assert_int_equal(rep.bad_seq, 5);
    assert_non_null(strstr(rep.problem, "entry 5 is missing"));
    (void)n;
}

/* Runs due jobs until none is left (with a short wait for back-off). */
static void run_jobs(unsigned int rounds)
{
    for (unsigned int i = 0; i < rounds; i++) {
        while (egov_jobs_run_one(db, "test", 60000, 10) == 1)
            ;
        usleep(50 * 1000);
    }
}

static void test_events(void **state)
{
    (void)state;
    char url[200], sid[37], sid2[37];
    const char *field = NULL;
    snprintf(url, sizeof url, "%s/events", provider.base_url);
    assert_int_equal(
        egov_gateway_subscribe(db, CLIENT, "household.address-changed", url, sid, &field),
        EGOV_EC_NONE);
    /* a second subscriber whose address is gone (404): its deliveries end as dead letters */
    char gone[200];
    snprintf(gone, sizeof gone, "%s/gone", provider.base_url);
    assert_int_equal(
        egov_gateway_subscribe(db, OTHER, "household.address-changed", gone, sid2, &field),
        EGOV_EC_NONE);
    char token[65];
    assert_int_equal(egov_gateway_publisher_add(db, "TW/GOV/MOI/household", "household.", token),
                     EGOV_EC_NONE);

    /* publish through the API; the receiver is busy for the first attempt */
    pthread_mutex_lock(&rx_lock);
    rx_fail_next = 1;
    pthread_mutex_unlock(&rx_lock);
    char path[200], ev1[37], ev2[37];
    snprintf(path, sizeof path, "/api/gateway/events/%s", token);
    egov_uuid7(ev1);
    egov_uuid7(ev2);
    char body[400];
    struct egov_test_response r;
    const char *ct[] = {"Content-Type: application/json", NULL};
    snprintf(body, sizeof body,
             "{\"seq\":1,\"id\":\"%s\",\"subject\":\"household.address-changed\",\"key\":\"%s\","
             "\"data\":{\"address\":\"新北市板橋區\"}}",
             ev1, PERSON);
    assert_true(egov_test_http(&gw, "POST", path, ct, body, strlen(body), &r));
    assert_int_equal(r.status, 202);
    egov_test_response_free(&r);
    /* the same event again: accepted, no new deliveries */
    assert_true(egov_test_http(&gw, "POST", path, ct, body, strlen(body), &r));
    assert_int_equal(r.status, 200);
    egov_test_response_free(&r);
    snprintf(body, sizeof body,
             "{\"seq\":2,\"id\":\"%s\",\"subject\":\"household.address-changed\",\"key\":\"%s\","
             "\"data\":{\"address\":\"臺中市西屯區\"}}",
             ev2, PERSON);
    assert_true(egov_test_http(&gw, "POST", path, ct, body, strlen(body), &r));
    assert_int_equal(r.status, 202);
    egov_test_response_free(&r);
    /* wrong token, wrong subject, malformed event */
    assert_true(egov_test_http(&gw, "POST", "/api/gateway/events/AAAAAAAAAAAAAAAAAAAAAAAA", ct,
                               body, strlen(body), &r));
    assert_int_equal(r.status, 404);
    egov_test_response_free(&r);
    const char *bad = "{\"id\":\"x\",\"subject\":\"household.a\",\"key\":\"k\",\"data\":{}}";
    assert_true(egov_test_http(&gw, "POST", path, ct, bad, strlen(bad), &r));
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "\"id\""));
    egov_test_response_free(&r);

    /* deliver: retries until the receiver takes them, in order, once each */
    for (int i = 0; i < 160 && rx_count < 2; i++)
        run_jobs(1);
    pthread_mutex_lock(&rx_lock);
    assert_int_equal(rx_count, 2);
    assert_int_equal(rx_unsigned, 0); /* every delivery carried the gateway's signature */
    assert_string_not_equal(rx_ids[0], rx_ids[1]);
    assert_string_equal(rx_keys[0], PERSON);
    pthread_mutex_unlock(&rx_lock);
    static const struct egov_db_stmt order = {
        "t_order",
        "SELECT d.id FROM gw_delivery d WHERE d.subscription_id = $1 ORDER BY d.order_no", NULL};
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    struct egov_db_rows *rows = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(sid), EGOV_DB_PARAM_END};
    assert_int_equal(egov_db_query(c, &order, p, &rows), 2);
    assert_string_equal(egov_db_rows_text(rows, 0, 0), rx_ids[0]);
    assert_string_equal(egov_db_rows_text(rows, 1, 0), rx_ids[1]);
    egov_db_rows_free(rows);
    egov_db_release(c);
    /* nothing is delivered twice; the gone subscriber's deliveries are dead letters */
    run_jobs(2);
    assert_int_equal(rx_count, 2);
    json_t *dead = gw_dead_letters(db);
    assert_int_equal(json_array_size(dead), 2);
    json_decref(dead);
}

/* An agency certificate of the platform CA identifies a client; revoking it stops its calls. */
static void test_certificate_client(void **state)
{
    (void)state;
    char err[256], dir[700];
    snprintf(dir, sizeof dir, "%s/pki", tmpdir);
    assert_true(egov_pki_open(dir, true, err, sizeof err));
    assert_int_equal(egov_pki_init(db, "http://127.0.0.1:1", err, sizeof err), EGOV_EC_NONE);
    EVP_PKEY *pk = EVP_EC_gen("P-256");
    X509_REQ *rq = X509_REQ_new();
    X509_REQ_set_pubkey(rq, pk);
    assert_true(X509_REQ_sign(rq, pk, EVP_sha256()) > 0);
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509_REQ(bio, rq);
    char *csr = NULL;
    long csr_len = BIO_get_mem_data(bio, &csr);
    struct egov_pki_subject subj = {.name = "business registry",
                                    .agency_code = "A00000000A",
                                    .agency_name = "經濟部",
                                    .system_id = "TW/GOV/MOEA/business"};
    char *cert = NULL;
    struct egov_pki_cert info;
    const char *field = NULL;
    enum egov_ec iec = egov_pki_issue(db, EGOV_PKI_CA_AGENCY, csr, (size_t)csr_len, &subj, &cert,
                                      &info, &field, err, sizeof err);
    if (iec != EGOV_EC_NONE)
        fprintf(stderr, "issue: %s (%s)\n", err, field != NULL ? field : "");
    assert_int_equal(iec, EGOV_EC_NONE);
    BIO_free(bio);
    X509_REQ_free(rq);
    BIO *kb = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(kb, pk, NULL, NULL, 0, NULL, NULL);
    char *kpem = NULL;
    long klen = BIO_get_mem_data(kb, &kpem);
    struct egov_sigkey *key = egov_sigkey_from_pem(kpem, (size_t)klen);
    BIO_free(kb);
    EVP_PKEY_free(pk);
    assert_non_null(key);

    /* a certificate for another agency's system is refused */
    struct egov_gateway_client wrong = {"TW/GOV/MOI/business", NULL, cert, NULL, 0};
    assert_int_equal(egov_gateway_client_register(db, &wrong, &field),
                     EGOV_EC_GATEWAY_CLIENT_INVALID);
    struct egov_gateway_client c = {"TW/GOV/MOEA/business", NULL, cert, NULL, 0};
    assert_int_equal(egov_gateway_client_register(db, &c, &field), EGOV_EC_NONE);
    char gid[37];
    assert_int_equal(egov_authz_grant_add(db, NULL, "TW:GOV:MOEA:business", A_SVC, "MOI", "GET",
                                          "/persons/*", NULL, NULL, gid, &field),
                     EGOV_EC_NONE);
    struct signed_req s;
    struct egov_test_response r;
    char id[64];
    sign_call(&s, key, "TW/GOV/MOEA/business", "GET", "/r1/" SVC "/persons/" PERSON, NULL,
              new_msgid(id), NULL, NULL, 0, false);
    assert_true(egov_test_http(&gw, "GET", s.path, s.list, NULL, 0, &r));
    assert_int_equal(r.status, 200);
    egov_test_response_free(&r);

    assert_int_equal(egov_pki_revoke(db, info.info.serial, 1, err, sizeof err), EGOV_EC_NONE);
    gw_cache_clear();
    sign_call(&s, key, "TW/GOV/MOEA/business", "GET", "/r1/" SVC "/persons/" PERSON, NULL,
              new_msgid(id), NULL, NULL, 0, false);
    assert_true(egov_test_http(&gw, "GET", s.path, s.list, NULL, 0, &r));
    expect_error(&r, 401, "Client.InvalidSignatureValue");
    assert_non_null(strstr(r.body, "certificate"));
    egov_test_response_free(&r);
    egov_sigkey_free(key);
    egov_free(cert);
    egov_pki_close();
}

/*
 * A provider that drops every other connection without answering (a
 * kept-alive connection the server closed, as far as the client can tell).
 */
static int flaky_fd = -1;
static unsigned int flaky_conns;

static void *flaky_main(void *arg)
{
    (void)arg;
    for (;;) {
        int c = accept(flaky_fd, NULL, NULL);
        if (c < 0)
            return NULL;
        unsigned int n = __atomic_add_fetch(&flaky_conns, 1, __ATOMIC_SEQ_CST);
        char buf[8192];
        size_t got = 0;
        while (got < sizeof buf - 1) {
            ssize_t k = recv(c, buf + got, sizeof buf - 1 - got, 0);
            if (k <= 0)
                break;
            got += (size_t)k;
            buf[got] = '\0';
            if (strstr(buf, "\r\n\r\n") != NULL)
                break;
        }
        if (n % 2 == 0) {
            static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                     "Content-Length: 11\r\nConnection: close\r\n\r\n{\"ok\":true}";
            if (send(c, ok, sizeof ok - 1, 0) < 0)
                fprintf(stderr, "flaky provider: send failed\n");
        }
        close(c);
    }
}

/* Retries only where they are safe: a GET is sent again, a POST is not. */
static void test_retries_idempotent_only(void **state)
{
    (void)state;
    struct sockaddr_in a = {0};
    socklen_t len = sizeof a;
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    flaky_fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(bind(flaky_fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(flaky_fd, 16), 0);
    assert_int_equal(getsockname(flaky_fd, (struct sockaddr *)&a, &len), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, flaky_main, NULL), 0);
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
    struct egov_gateway_service svc = {"TW/GOV/MOI/household/flaky", base, NULL, NULL, false, 0};
    const char *field = NULL;
    char gid[37];
    assert_int_equal(egov_gateway_service_register(db, &svc, &field), EGOV_EC_NONE);
    assert_int_equal(egov_authz_grant_add(db, NULL, A_CLIENT, "TW:GOV:MOI:household:flaky", "MOI",
                                          "*", "/*", NULL, NULL, gid, &field),
                     EGOV_EC_NONE);
    struct egov_test_response r;
    assert_int_equal(call("GET", "/r1/TW/GOV/MOI/household/flaky/x", NULL, NULL, NULL, &r), 200);
    egov_test_response_free(&r);
    assert_int_equal(__atomic_load_n(&flaky_conns, __ATOMIC_SEQ_CST), 2);
    assert_int_equal(call("POST", "/r1/TW/GOV/MOI/household/flaky/x", NULL, NULL, "{}", &r), 502);
    expect_error(&r, 502, "Server.ServerProxy.ServiceFailed");
    egov_test_response_free(&r);
    assert_int_equal(__atomic_load_n(&flaky_conns, __ATOMIC_SEQ_CST), 3);
    shutdown(flaky_fd, SHUT_RDWR);
    close(flaky_fd);
    pthread_join(t, NULL);
}

/* A caller resolver for the test: the header X-Test-Subject names the caller. */
static bool test_caller(struct egov_req *req, char subject[64])
{
    const char *h = egov_req_header(req, "X-Test-Subject");
    if (h == NULL || strlen(h) >= 64)
        return false;
    snprintf(subject, 64, "%s", h);
    return true;
}

static void test_admin_api_and_pages(void **state)
{
    (void)state;
    struct egov_test_response r;
    assert_true(egov_authz_register_caller(test_caller));
    assert_int_equal(egov_authz_admin_add(db, NULL, "platform-admin", "*", NULL, NULL),
                     EGOV_EC_NONE);
    const char *anon[] = {"Accept: application/json", NULL};
    assert_true(egov_test_http(&gw, "GET", "/api/gateway/services", anon, NULL, 0, &r));
    assert_int_equal(r.status, 401);
    egov_test_response_free(&r);
    const char *nobody[] = {"X-Test-Subject: clerk", NULL};
    assert_true(egov_test_http(&gw, "GET", "/api/gateway/services", nobody, NULL, 0, &r));
    assert_int_equal(r.status, 403);
    egov_test_response_free(&r);
    const char *admin[] = {"X-Test-Subject: platform-admin", "Content-Type: application/json",
                           NULL};
    const char *svc = "{\"id\":\"TW/GOV/MOEA/business/companies\",\"base_url\":"
                      "\"http://127.0.0.1:9\",\"personal_data\":false,\"openapi\":{\"openapi\":"
                      "\"3.0.3\",\"paths\":{}}}";
    assert_true(egov_test_http(&gw, "POST", "/api/gateway/services", admin, svc, strlen(svc), &r));
    assert_int_equal(r.status, 201);
    egov_test_response_free(&r);
    const char *bad = "{\"id\":\"TW/GOV/MOEA/../companies\",\"base_url\":\"http://x:1\"}";
    assert_true(egov_test_http(&gw, "POST", "/api/gateway/services", admin, bad, strlen(bad), &r));
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "\"field\":\"id\""));
    egov_test_response_free(&r);
    const char *sub = "{\"consumer\":\"TW/GOV/MOF/tax\",\"subject\":\"company.changed\","
                      "\"url\":\"ftp://x\"}";
    assert_true(
        egov_test_http(&gw, "POST", "/api/gateway/subscriptions", admin, sub, strlen(sub), &r));
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "\"field\":\"url\""));
    egov_test_response_free(&r);
    /* a client with a bad identifier, a legal basis with a bad consumer: the field is named */
    const char *cli = "{\"id\":\"TW/GOV/../x\",\"oauth_client\":\"c\"}";
    assert_true(egov_test_http(&gw, "POST", "/api/gateway/clients", admin, cli, strlen(cli), &r));
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "\"field\":\"id\""));
    egov_test_response_free(&r);
    const char *basis = "{\"consumer\":\"nobody\",\"service_id\":\"" SVC "\","
                        "\"basis\":\"law\"}";
    assert_true(
        egov_test_http(&gw, "POST", "/api/gateway/legal-bases", admin, basis, strlen(basis), &r));
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "\"field\":\"consumer\""));
    egov_test_response_free(&r);
    const char *clerk[] = {"X-Test-Subject: clerk", "Content-Type: application/json", NULL};
    assert_true(
        egov_test_http(&gw, "POST", "/api/gateway/legal-bases", clerk, basis, strlen(basis), &r));
    assert_int_equal(r.status, 403);
    egov_test_response_free(&r);
    /* every registry list: administrators only, under its own key */
    const char *lists[][2] = {{"/api/gateway/clients", "clients"},
                              {"/api/gateway/subscriptions", "subscriptions"},
                              {"/api/gateway/dead-letters", "dead_letters"}};
    for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
        assert_true(egov_test_http(&gw, "GET", lists[k][0], nobody, NULL, 0, &r));
        assert_int_equal(r.status, 403);
        egov_test_response_free(&r);
        assert_true(egov_test_http(&gw, "GET", lists[k][0], admin, NULL, 0, &r));
        assert_int_equal(r.status, 200);
        json_t *l = json_loads(r.body, 0, NULL);
        assert_true(json_is_array(json_object_get(l, lists[k][1])));
        assert_true(json_array_size(json_object_get(l, lists[k][1])) > 0);
        json_decref(l);
        egov_test_response_free(&r);
    }
    assert_true(egov_test_http(&gw, "GET", "/api/gateway/clients", admin, NULL, 0, &r));
    json_t *cl = json_loads(r.body, 0, NULL);
    json_t *c0 = json_array_get(json_object_get(cl, "clients"), 0);
    assert_string_equal(json_string_value(json_object_get(c0, "object_type")), "SUBSYSTEM");
    assert_true(json_is_string(json_object_get(c0, "oauth_client")));
    assert_true(json_is_integer(json_object_get(c0, "rate_per_s")));
    json_decref(cl);
    egov_test_response_free(&r);
    assert_true(egov_test_http(&gw, "GET", "/api/gateway/services", admin, NULL, 0, &r));
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "TW/GOV/MOEA/business/companies"));
    egov_test_response_free(&r);
    assert_true(egov_test_http(&gw, "GET", "/api/gateway/dead-letters", admin, NULL, 0, &r));
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "/gone\"")); /* the gone subscriber's two deliveries */
    json_t *j = json_loads(r.body, 0, NULL);
    const char *dead_id = json_string_value(
        json_object_get(json_array_get(json_object_get(j, "dead_letters"), 0), "id"));
    assert_non_null(dead_id);
    char path[200];
    snprintf(path, sizeof path, "/api/gateway/dead-letters/%s/retry", dead_id);
    json_decref(j);
    egov_test_response_free(&r);
    assert_true(egov_test_http(&gw, "POST", path, admin, NULL, 0, &r));
    assert_int_equal(r.status, 202);
    egov_test_response_free(&r);
    assert_true(egov_test_http(&gw, "POST", path, admin, NULL, 0, &r));
    assert_int_equal(r.status, 404);
    egov_test_response_free(&r);

    /* the admin page, in Traditional Chinese, without inline script */
    const char *page[] = {"X-Test-Subject: platform-admin", "Accept: text/html",
                          "Accept-Language: zh-TW", NULL};
    assert_true(egov_test_http(&gw, "GET", "/gateway", page, NULL, 0, &r));
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "電子閘門管理"));
    assert_non_null(strstr(r.body, SVC));
    assert_non_null(strstr(r.body, "TW/GOV/MOEA/business/companies"));
    assert_null(strstr(r.body, "<script>"));
    /* the calls of this node as a chart; made-up service ids share one line */
    assert_non_null(strstr(r.body, "<svg class=\"chart\""));
    assert_non_null(strstr(r.body, "本節點啟動以來各服務的呼叫次數"));
    assert_non_null(strstr(r.body, "（未登錄的服務）"));
    assert_null(strstr(r.body, "household/nosuch"));
    egov_test_response_free(&r);
    /* the citizen's page needs a session */
    assert_true(egov_test_http(&gw, "GET", "/api/gateway/my-access", anon, NULL, 0, &r));
    assert_int_equal(r.status, 401);
    egov_test_response_free(&r);
}

/* The citizen's page renders the accesses, in both languages. */
/*
 * The citizen's page: signed in as PERSON, /my/access shows the accesses
 * by agency as a chart and every access in Taiwan time with what was done
 * and how it ended, in words; the API gives the same rows with those
 * fields.  Signed out it sends the browser to the login page.
 */
static void test_my_access_page(void **state)
{
    (void)state;
    assert_true(egov_gateway_audit_flush());
    const char *field = NULL;
    struct egov_account_new acct = {PERSON, "王大同", NULL, "quiet river lantern 7319", true};
    assert_int_equal(egov_account_add(db, &acct, NULL, citizen_account, &field), EGOV_EC_NONE);
    struct egov_test_response r;
    const char *html_only[] = {"Accept: text/html", NULL};
    assert_true(egov_test_http(&gw, "GET", "/my/access", html_only, NULL, 0, &r));
    assert_int_equal(r.status, 303);
    egov_test_response_free(&r);
    char cookie[600];
    assert_true(egov_test_sign_in(&gw, citizen_account, cookie, sizeof cookie));
    const char *html[] = {"Accept: text/html", "Accept-Language: zh-TW", cookie, NULL};
    assert_true(egov_test_http(&gw, "GET", "/my/access", html, NULL, 0, &r));
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "誰使用了我的資料"));
    assert_non_null(strstr(r.body, "依機關"));
    assert_non_null(strstr(r.body, "<svg class=\"chart\""));
    assert_non_null(strstr(r.body, "查閱"));
    assert_non_null(strstr(r.body, "已回覆"));
    assert_non_null(strstr(r.body, "<code>" SVC "</code>"));
    assert_non_null(strstr(r.body, ">王大同<")); /* the header names who is signed in */
    assert_null(strstr(r.body, "<script>"));
    egov_test_response_free(&r);

    const char *api[] = {cookie, NULL};
    assert_true(egov_test_http(&gw, "GET", "/api/gateway/my-access", api, NULL, 0, &r));
    assert_int_equal(r.status, 200);
    json_t *j = json_loads(r.body, 0, NULL);
    egov_test_response_free(&r);
    assert_non_null(j);
    json_t *rows = json_object_get(j, "accesses");
    assert_true(json_array_size(rows) > 0);
    assert_true(json_array_size(json_object_get(j, "summary")) > 0);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        /* Taiwan time is the UTC time plus eight hours */
        const char *at = json_string_value(json_object_get(row, "at"));
        const char *tw = json_string_value(json_object_get(row, "at_taipei"));
        assert_non_null(at);
        assert_non_null(tw);
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        assert_non_null(strptime(at, "%Y-%m-%dT%H:%M:%S", &tm));
        time_t t = timegm(&tm) + 8 * 3600;
        char want[32];
        strftime(want, sizeof want, "%Y-%m-%d %H:%M:%S", gmtime_r(&t, &tm));
        assert_string_equal(tw, want);
        const char *outcome = json_string_value(json_object_get(row, "outcome"));
        int64_t status = json_integer_value(json_object_get(row, "status"));
        assert_string_equal(outcome, status < 400   ? "answered"
                                     : status < 500 ? "refused"
                                                    : "failed");
        assert_non_null(json_object_get(row, "agency_name")); /* null: no such agency code */
    }
    json_decref(j);
}

static void test_access_page_renders(void **state)
{
    (void)state;
    assert_true(egov_gateway_audit_flush());
    json_t *list = egov_gateway_accesses(db, PERSON, 10);
    assert_non_null(list);
    json_t *data = json_pack("{s:o, s:b}", "accesses", list, "none", 0);
    struct egov_buf out;
    egov_buf_init(&out);
    bool rendered = egov_tmpl_render(getenv("EGOV_DATADIR"), "gateway/access", data, "zh-TW", &out);
    if (!rendered)
        fprintf(stderr, "template: %s\n", out.data != NULL ? out.data : "");
    assert_true(rendered);
    assert_non_null(strstr(out.data, "誰使用了我的資料"));
    assert_non_null(strstr(out.data, "<code>" SVC "</code>"));
    egov_buf_reset(&out);
    assert_true(egov_tmpl_render(getenv("EGOV_DATADIR"), "gateway/access", data, "en", &out));
    assert_non_null(strstr(out.data, "Who used my data"));
    egov_buf_reset(&out);
    json_t *admin =
        json_pack("{s:[{s:s, s:s, s:s, s:b}], s:[], s:[], s:[], s:[]}", "services", "id", SVC,
                  "base_url", "http://x", "charset", "utf-8", "personal_data", 1, "clients",
                  "subscriptions", "dead_letters", "stats");
    rendered = egov_tmpl_render(getenv("EGOV_DATADIR"), "gateway/admin", admin, "zh-TW", &out);
    if (!rendered)
        fprintf(stderr, "template: %s\n", out.data != NULL ? out.data : "");
    assert_true(rendered);
    assert_non_null(strstr(out.data, "電子閘門管理"));
    json_decref(admin);
    egov_buf_free(&out);
    json_decref(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_call_ok),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_legal_basis),
        cmocka_unit_test(test_provider_faults),
        cmocka_unit_test(test_rate_limit),
        cmocka_unit_test(test_metaservices),
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_certificate_client),
        cmocka_unit_test(test_admin_api_and_pages),
        cmocka_unit_test(test_access_page_renders),
        cmocka_unit_test(test_my_access_page),
        cmocka_unit_test(test_retries_idempotent_only),
        cmocka_unit_test(test_rsa_consumer),
        cmocka_unit_test(test_durable_audit_and_cluster_replay),
        cmocka_unit_test(test_audit_chain),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
