/*
 * test_db_events_e2e.c -- an address change reported once reaches every
 * agency (seed 6.4.2), through a real `egov serve` node:
 *  - the household registry (its own process state and database) pushes
 *    household.address-changed to the gateway's publish URL; the gateway
 *    fans it out to the land, tax, vehicle and health back offices, which
 *    update their own records;
 *  - the vehicle back office is down during the change and gets the event
 *    once it is back;
 *  - the node is killed (SIGKILL) while a burst of changes is being fanned
 *    out; after a restart every event is delivered and applied exactly
 *    once at every receiver.
 * Runs on SQLite and PostgreSQL (the node's database); the back offices
 * keep SQLite files of their own.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "authz/authz.h"
#include "backoffice/backoffice.h"
#include "crypto/crypto.h"
#include "gateway/gateway.h"
#include "hanzi/hanzi.h"
#include "testlib.h"

#define SEED   5
#define PEOPLE 120
#define BURST  24

static char tmp[600], vardir[700];
static struct egov_db *db;
static struct egov_test_server node;
static unsigned int node_port;
static struct egov_backoffice_population *pop;
static bool have_tables;

enum { HH, LAND, TAX, VEH, HEALTH, NBO };
static const enum egov_backoffice_agency agencies[NBO] = {
    EGOV_BO_HOUSEHOLD, EGOV_BO_LAND, EGOV_BO_TAX, EGOV_BO_VEHICLE, EGOV_BO_HEALTH};
static struct egov_backoffice *bo[NBO];
static unsigned int bo_port[NBO];
static char publish_url[300];

static unsigned int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    socklen_t len = sizeof a;
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static bool start_node(void)
{
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%u", node_port);
    const char *args[] = {"--listen", listen, NULL};
    return egov_test_server_start(egov_test_db_url(), args, &node);
}

static void start_bo(int i)
{
    char dbu[800], listen[64], err[512] = "";
    snprintf(dbu, sizeof dbu, "sqlite:%s/bo-%d.db", tmp, i);
    snprintf(listen, sizeof listen, "127.0.0.1:%u", bo_port[i]);
    struct egov_backoffice_options o = {
        .agency = agencies[i],
        .listen = bo_port[i] ? listen : NULL,
        .db_url = dbu,
        .vardir = vardir,
        .seed = SEED,
        .people = PEOPLE,
        .publish_url = i == HH ? publish_url : NULL,
        .threads = 2,
    };
    bo[i] = egov_backoffice_start(&o, err, sizeof err);
    if (bo[i] == NULL)
        fprintf(stderr, "back office %d: %s\n", i, err);
    assert_non_null(bo[i]);
    bo_port[i] = egov_backoffice_port(bo[i]);
}

/* SELECT COUNT(*), SUM(updated) of the address-change deliveries a back office applied. */
static void received(int i, long *count, long *updated)
{
    static const struct egov_db_stmt st = {
        "t_bo_received",
        "SELECT COUNT(*), COALESCE(SUM(updated), 0) FROM bo_delivery"
        " WHERE subject = 'household.address-changed'",
        NULL};
    struct egov_db_conn *c = egov_db_acquire(egov_backoffice_db(bo[i]), 5000);
    assert_non_null(c);
    struct egov_db_rows *rows = NULL;
    assert_int_equal(egov_db_query(c, &st, NULL, &rows), 1);
    *count = (long)egov_db_rows_int64(rows, 0, 0);
    *updated = (long)egov_db_rows_int64(rows, 0, 1);
    egov_db_rows_free(rows);
    egov_db_release(c);
}

/* The gateway's deliveries by state. */
static long deliveries(const char *state)
{
    static const struct egov_db_stmt st = {
        "t_gw_deliveries", "SELECT COUNT(*) FROM gw_delivery WHERE state = $1", NULL};
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    assert_non_null(c);
    struct egov_db_rows *rows = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(state), EGOV_DB_PARAM_END};
    assert_int_equal(egov_db_query(c, &st, p, &rows), 1);
    long n = (long)egov_db_rows_int64(rows, 0, 0);
    egov_db_rows_free(rows);
    egov_db_release(c);
    return n;
}

static const char *text_of(int i, const char *sql_name, const char *sql, const char *nid, char *out,
                           size_t outlen)
{
    struct egov_db_stmt st = {sql_name, sql, NULL};
    struct egov_db_conn *c = egov_db_acquire(egov_backoffice_db(bo[i]), 5000);
    assert_non_null(c);
    struct egov_db_rows *rows = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(nid), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st, p, &rows);
    out[0] = '\0';
    if (qs > 0 && egov_db_rows_text(rows, 0, 0) != NULL)
        snprintf(out, outlen, "%s", egov_db_rows_text(rows, 0, 0));
    egov_db_rows_free(rows);
    egov_db_release(c);
    return out;
}

/* Number of address-change events in the household registry's feed. */
static long hh_events(void)
{
    struct egov_test_server hh = {0};
    hh.port = bo_port[HH];
    hh.out_fd = -1;
    snprintf(hh.base_url, sizeof hh.base_url, "%s", egov_backoffice_url(bo[HH]));
    struct egov_test_response r;
    assert_true(egov_test_http(&hh, "GET", "/events?after=0&limit=1000", NULL, NULL, 0, &r));
    assert_int_equal(r.status, 200);
    json_t *j = json_loads(r.body, 0, NULL);
    long n = 0;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(j, "events"), i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "subject")), "household.address-changed") ==
            0)
            n++;
    }
    json_decref(j);
    egov_test_response_free(&r);
    return n;
}

/* Moves person @p p to @p address at the household registry; true on 200. */
static bool move(const struct egov_backoffice_person *p, const char *address)
{
    struct egov_test_server hh = {0};
    hh.port = bo_port[HH];
    hh.out_fd = -1;
    snprintf(hh.base_url, sizeof hh.base_url, "%s", egov_backoffice_url(bo[HH]));
    char path[100], body[400];
    snprintf(path, sizeof path, "/persons/%s/address-change", p->national_id);
    snprintf(body, sizeof body, "{\"address\":\"%s\",\"district_code\":\"%s\"}", address,
             p->district_code);
    const char *h[] = {"Content-Type: application/json", NULL};
    struct egov_test_response r;
    assert_true(egov_test_http(&hh, "POST", path, h, body, strlen(body), &r));
    long st = r.status;
    if (st != 200)
        fprintf(stderr, "address change of %s: %ld %s\n", p->national_id, st, r.body);
    egov_test_response_free(&r);
    return st == 200;
}

static int setup(void **state)
{
    (void)state;
    const char *t = getenv("EGOV_TEST_TMP"), *shared = getenv("EGOV_SHARED_DATA");
    char err[512] = "", src[800];
    struct stat sb;
    snprintf(tmp, sizeof tmp, "%s/gw-e2e-%d", t != NULL ? t : "/tmp", (int)getpid());
    mkdir(t != NULL ? t : "/tmp", 0700);
    mkdir(tmp, 0700);
    snprintf(vardir, sizeof vardir, "%s/var", tmp);
    mkdir(vardir, 0700);
    if (shared != NULL) {
        snprintf(src, sizeof src, "%s/cns11643", shared);
        if (stat(src, &sb) == 0) {
            struct egov_hanzi_import_report rep = {0};
            egov_buf_init(&rep.notes);
            have_tables = egov_hanzi_import(src, vardir, &rep, err, sizeof err);
            egov_buf_free(&rep.notes);
        }
    }
    if (!have_tables) {
        fprintf(stderr, "skipped: the tax and vehicle back offices need the CNS 11643 tables "
                        "from $EGOV_SHARED_DATA/cns11643\n");
        exit(77);
    }
    db = egov_test_db_open();
    if (db == NULL)
        return -1;
    pop = egov_backoffice_population_new(SEED, PEOPLE, NULL, err, sizeof err);
    if (pop == NULL)
        return -1;
    setenv("EGOV_JOBS_LEASE", "2s", 1);
    setenv("EGOV_JOBS_POLL_INTERVAL", "50ms", 1);
    setenv("EGOV_PATHS_VAR", vardir, 1);
    setenv("EGOV_LOG_REQUESTS", "false", 1);
    node_port = free_port();
    if (!start_node())
        return -1;
    /* the registry: who publishes, who subscribes */
    char token[65];
    assert_int_equal(egov_gateway_publisher_add(db, "TW/GOV/MOI/household", "household.", token),
                     EGOV_EC_NONE);
    snprintf(publish_url, sizeof publish_url, "http://127.0.0.1:%u/api/gateway/events/%s",
             node_port, token);
    for (int i = LAND; i < NBO; i++)
        start_bo(i);
    start_bo(HH);
    static const char *const consumers[NBO] = {NULL, "TW/GOV/MOI/land", "TW/GOV/MOF/tax",
                                               "TW/GOV/MOTC/vehicle", "TW/GOV/MOHW/health"};
    for (int i = LAND; i < NBO; i++) {
        char url[200], sid[37];
        const char *field = NULL;
        snprintf(url, sizeof url, "%s/events", egov_backoffice_url(bo[i]));
        assert_int_equal(
            egov_gateway_subscribe(db, consumers[i], "household.address-changed", url, sid, &field),
            EGOV_EC_NONE);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < NBO; i++)
        egov_backoffice_stop(bo[i]);
    if (node.pid > 0)
        egov_test_server_stop(&node);
    egov_backoffice_population_free(pop);
    egov_hanzi_tables_unload();
    egov_db_close(db);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp);
    return 0;
}

/* Waits until every receiver holds @p n applied deliveries (up to @p secs). */
static bool wait_received(long n, int secs)
{
    for (int t = 0; t < secs * 10; t++) {
        bool all = true;
        for (int i = LAND; i < NBO && all; i++) {
            if (bo[i] == NULL) {
                all = false;
                break;
            }
            long c, u;
            received(i, &c, &u);
            all = c >= n;
        }
        if (all)
            return true;
        usleep(100 * 1000);
    }
    return false;
}

static void test_address_change_with_a_subscriber_down(void **state)
{
    (void)state;
    int who = egov_backoffice_population_demo_citizen(pop);
    assert_true(who >= 0);
    const struct egov_backoffice_person *p = egov_backoffice_population_person(pop, (unsigned)who);

    /* the vehicle back office is down when the citizen moves */
    egov_backoffice_stop(bo[VEH]);
    bo[VEH] = NULL;
    const char *addr = "臺東縣成功鎮中山路五段7號";
    assert_true(move(p, addr));
    long events = hh_events(); /* the mover and any household members moving along */
    assert_true(events >= 1);
    for (int t = 0; t < 150; t++) {
        long c1, u1, c2, u2, c3, u3;
        received(LAND, &c1, &u1);
        received(TAX, &c2, &u2);
        received(HEALTH, &c3, &u3);
        if (c1 == events && c2 == events && c3 == events)
            break;
        usleep(100 * 1000);
    }
    char buf[300];
    assert_string_equal(text_of(LAND, "t_land_addr",
                                "SELECT owner_address FROM land_owner WHERE owner_id = $1 LIMIT 1",
                                p->national_id, buf, sizeof buf),
                        addr);
    assert_string_equal(text_of(HEALTH, "t_hl_addr",
                                "SELECT address FROM hl_patient WHERE national_id = $1",
                                p->national_id, buf, sizeof buf),
                        addr);
    long c, u;
    received(TAX, &c, &u);
    assert_int_equal(c, events);
    assert_true(u >= 1);
    /* the vehicle back office comes back on its address and gets the change */
    start_bo(VEH);
    assert_true(wait_received(events, 30));
    for (int i = LAND; i < NBO; i++) {
        received(i, &c, &u);
        assert_int_equal(c, events);
        assert_true(u >= 1);
    }
    assert_int_equal(deliveries("done"), 4 * events);
}

static void test_kill_during_fan_out(void **state)
{
    (void)state;
    long moved = 0;
    if (bo[VEH] == NULL)
        start_bo(VEH);
    for (unsigned int i = 0; i < (unsigned)PEOPLE && moved < BURST; i++) {
        const struct egov_backoffice_person *p = egov_backoffice_population_person(pop, i);
        char addr[200];
        snprintf(addr, sizeof addr, "新北市板橋區文化路一段%u號", 100 + i);
        if (move(p, addr))
            moved++;
    }
    assert_int_equal(moved, BURST);
    /* let the fan-out get going, then kill the node without warning */
    for (int t = 0; t < 100 && deliveries("done") < 8; t++)
        usleep(20 * 1000);
    assert_int_equal(kill(node.pid, SIGKILL), 0);
    int status = 0;
    waitpid(node.pid, &status, 0);
    node.pid = 0;
    if (node.out_fd >= 0)
        close(node.out_fd);
    long done_at_kill = deliveries("done");
    fprintf(stderr, "node killed with %ld deliveries done\n", done_at_kill);
    usleep(300 * 1000);
    assert_true(start_node());
    long events = hh_events();
    assert_true(events >= 1 + BURST);
    assert_true(wait_received(events, 90));
    for (int t = 0; t < 100 && deliveries("done") < 4 * events; t++)
        usleep(100 * 1000);
    assert_int_equal(deliveries("done"), 4 * events);
    assert_int_equal(deliveries("pending"), 0);
    assert_int_equal(deliveries("dead"), 0);
    for (int i = LAND; i < NBO; i++) {
        long c, u;
        received(i, &c, &u);
        /* every event once per receiver: one delivery row each, none applied twice */
        assert_int_equal(c, events);
    }
}

/*
 * A call through the gateway signed by @p key for @p client (RFC 9421 over
 * @method, @path, x-road-client, x-road-id and, with a body,
 * content-digest).
 */
static void signed_call(struct egov_sigkey *key, const char *client, const char *method,
                        const char *path, const char *body, struct egov_test_response *r)
{
    static unsigned int seq;
    char id[64], params[400], h[6][800], b64[(EGOV_SIGKEY_MAX_SIG + 2) / 3 * 4 + 1], dg[100] = "";
    struct egov_buf base;
    snprintf(id, sizeof id, "e2e-%u-%lld", ++seq, (long long)egov_now_us());
    snprintf(params, sizeof params,
             "(\"@method\" \"@path\" \"x-road-client\" \"x-road-id\"%s);created=%lld;"
             "keyid=\"%s\";alg=\"ed25519\"",
             body != NULL ? " \"content-digest\"" : "", (long long)(egov_now_us() / 1000000),
             client);
    egov_buf_init(&base);
    egov_buf_printf(&base,
                    "\"@method\": %s\n\"@path\": %s\n\"x-road-client\": %s\n\"x-road-id\": %s\n",
                    method, path, client, id);
    if (body != NULL) {
        uint8_t hash[32];
        char e[64];
        egov_sha256(body, strlen(body), hash);
        EVP_EncodeBlock((unsigned char *)e, hash, 32);
        snprintf(dg, sizeof dg, "sha-256=:%s:", e);
        egov_buf_printf(&base, "\"content-digest\": %s\n", dg);
    }
    egov_buf_printf(&base, "\"@signature-params\": %s", params);
    uint8_t sig[EGOV_SIGKEY_MAX_SIG];
    size_t sl = 0;
    assert_true(egov_sigkey_sign(key, base.data, base.len, sig, &sl));
    egov_buf_free(&base);
    EVP_EncodeBlock((unsigned char *)b64, sig, (int)sl);
    snprintf(h[0], sizeof h[0], "X-Road-Client: %s", client);
    snprintf(h[1], sizeof h[1], "X-Road-Id: %s", id);
    snprintf(h[2], sizeof h[2], "Signature-Input: sig1=%s", params);
    snprintf(h[3], sizeof h[3], "Signature: sig1=:%s:", b64);
    snprintf(h[4], sizeof h[4], "Content-Digest: %s", dg);
    snprintf(h[5], sizeof h[5], "Content-Type: application/json");
    const char *list[] = {h[0], h[1], h[2], h[3], body ? h[4] : NULL, h[5], NULL};
    assert_true(egov_test_http(&node, method, path, list, body, body ? strlen(body) : 0, r));
}

static void signed_get(struct egov_sigkey *key, const char *client, const char *path,
                       struct egov_test_response *r)
{
    signed_call(key, client, "GET", path, NULL, r);
}

/*
 * The tax back office speaks its legacy code (cns-tax): through the
 * gateway its answer arrives in UTF-8, with the address the household
 * registry's event gave it.
 */
static void test_legacy_code_through_the_gateway(void **state)
{
    (void)state;
    int who = egov_backoffice_population_demo_citizen(pop);
    const struct egov_backoffice_person *p = egov_backoffice_population_person(pop, (unsigned)who);
    struct egov_sigkey *key = egov_sigkey_generate(EGOV_SIGKEY_ED25519);
    char *pub = egov_sigkey_public_pem(key);
    const char *field = NULL;
    struct egov_gateway_client c = {"TW/GOV/MOI/household", pub, NULL, NULL, 0};
    assert_int_equal(egov_gateway_client_register(db, &c, &field), EGOV_EC_NONE);
    egov_free(pub);
    struct egov_gateway_service s = {
        "TW/GOV/MOF/tax/taxpayers", egov_backoffice_url(bo[TAX]), "cns-tax", NULL, true, 0};
    assert_int_equal(egov_gateway_service_register(db, &s, &field), EGOV_EC_NONE);
    char gid[37], lid[37];
    assert_int_equal(egov_authz_grant_add(db, NULL, "TW:GOV:MOI:household",
                                          "TW:GOV:MOF:tax:taxpayers", "MOF", "GET", "/taxpayers/*",
                                          NULL, NULL, gid, &field),
                     EGOV_EC_NONE);
    assert_int_equal(egov_gateway_legal_basis_add(db, "TW/GOV/MOI/household",
                                                  "TW/GOV/MOF/tax/taxpayers", "戶籍法第65條", lid),
                     EGOV_EC_NONE);
    char path[200], ct[128];
    snprintf(path, sizeof path, "/r1/TW/GOV/MOF/tax/taxpayers/taxpayers/%s", p->national_id);
    struct egov_test_response r;
    signed_get(key, "TW/GOV/MOI/household", path, &r);
    if (r.status != 200)
        fprintf(stderr, "%ld %s\n", r.status, r.body);
    assert_int_equal(r.status, 200);
    assert_non_null(egov_test_response_header(&r, "Content-Type", ct, sizeof ct));
    assert_non_null(strstr(ct, "charset=utf-8"));
    assert_true(egov_utf8_valid(r.body, r.body_len, NULL));
    /* 鎮 (U+93AE) has no code in cns-tax, so the tax office keeps a substitute for it */
    if (strstr(r.body, "中山路五段7號") == NULL)
        fprintf(stderr, "taxpayer: %s\n", r.body);
    assert_non_null(strstr(r.body, "\"臺東縣成功"));
    assert_non_null(strstr(r.body, "中山路五段7號\""));
    json_t *j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "name")), p->name);
    json_decref(j);
    egov_test_response_free(&r);
    egov_sigkey_free(key);
}

/* A provider that claims its legacy code but sends bytes that are not valid in it. */
static void handle_broken(struct egov_req *req)
{
    static const char bad[] = "{\"name\":\"\xff\xfe\xff\"}";
    egov_reply_bytes(req, 200, "application/json; charset=cns-tax", bad, sizeof bad - 1);
}

static void handle_accept(struct egov_req *req)
{
    egov_reply_json(req, 201, json_pack("{s:I}", "bytes", (json_int_t)req->body_len));
}

static const struct egov_route broken_routes[] = {
    {EGOV_M_GET, "/broken", handle_broken, 0, 0, "broken"},
    {EGOV_M_POST, "/accept", handle_accept, 65536, 0, "accept"},
    EGOV_ROUTE_END,
};
static const struct egov_route_table broken_table = {"broken", broken_routes};

/* Invalid legacy bytes from a provider and UTF-8 its code cannot hold: precise errors. */
static void test_legacy_code_errors(void **state)
{
    (void)state;
    struct egov_test_server prov;
    struct egov_server_options opt = {0};
    opt.threads = 2;
    const struct egov_route_table *t[] = {&broken_table, NULL};
    assert_true(egov_test_inproc_start(t, &opt, &prov));
    struct egov_sigkey *key = egov_sigkey_generate(EGOV_SIGKEY_ED25519);
    char *pub = egov_sigkey_public_pem(key);
    const char *field = NULL;
    struct egov_gateway_client c = {"TW/GOV/MOF/fia", pub, NULL, NULL, 0};
    assert_int_equal(egov_gateway_client_register(db, &c, &field), EGOV_EC_NONE);
    egov_free(pub);
    struct egov_gateway_service s = {
        "TW/GOV/MOF/tax/legacy", prov.base_url, "cns-tax", NULL, false, 0};
    assert_int_equal(egov_gateway_service_register(db, &s, &field), EGOV_EC_NONE);
    char gid[37];
    assert_int_equal(egov_authz_grant_add(db, NULL, "TW:GOV:MOF:fia", "TW:GOV:MOF:tax:legacy",
                                          "MOF", "*", "/*", NULL, NULL, gid, &field),
                     EGOV_EC_NONE);
    struct egov_test_response r;
    signed_get(key, "TW/GOV/MOF/fia", "/r1/TW/GOV/MOF/tax/legacy/broken", &r);
    assert_int_equal(r.status, 502);
    assert_non_null(strstr(r.body, "Server.ServerProxy.ServiceFailed"));
    assert_non_null(strstr(r.body, "cns-tax"));
    egov_test_response_free(&r);
    /* a body the provider's code cannot hold is refused before it leaves the gateway */
    signed_call(key, "TW/GOV/MOF/fia", "POST", "/r1/TW/GOV/MOF/tax/legacy/accept",
                "{\"address\":\"成功鎮\"}", &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "Client.InvalidEncoding"));
    egov_test_response_free(&r);
    egov_sigkey_free(key);
    egov_test_inproc_stop(&prov, 500);
}

/* Runs `egov audit verify` on the node's database; returns its exit status, output in @p out. */
static int audit_verify_cli(char *out, size_t outlen)
{
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "EGOV_DB_URL='%s' '%s' audit verify 2>/dev/null", egov_test_db_url(),
             getenv("EGOV_BIN"));
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, outlen - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The node's audit log verifies from the command line; an edited row is named. */
static void test_audit_verify_command(void **state)
{
    (void)state;
    char out[600];
    /* the node writes its audit batches within a few milliseconds */
    usleep(300 * 1000);
    int rc = audit_verify_cli(out, sizeof out);
    if (rc != 0)
        fprintf(stderr, "audit verify: %s\n", out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "audit log intact"));
    static const struct egov_db_stmt edit = {
        "t_e2e_audit_edit", "UPDATE gw_audit SET status = status + 1 WHERE seq = 2", NULL};
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    assert_int_equal(egov_db_exec(c, &edit, NULL), 1);
    egov_db_release(c);
    rc = audit_verify_cli(out, sizeof out);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "entry 2 was altered"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_address_change_with_a_subscriber_down),
        cmocka_unit_test(test_legacy_code_through_the_gateway),
        cmocka_unit_test(test_legacy_code_errors),
        cmocka_unit_test(test_kill_during_fan_out),
        cmocka_unit_test(test_audit_verify_command),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
