/*
 * test_db_backoffice.c -- the six back offices in-process on the backend
 * chosen by EGOV_TEST_DB: records, transcripts, address changes and their
 * events (feed and push), idempotent receivers, the legacy codes of the
 * tax and vehicle systems, payments, and appointment booking without
 * double booking under concurrency.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "backoffice/bo_int.h"
#include "testlib.h"

#define SEED   11
#define PEOPLE 400

static char vardir[1024];
static bool have_tables;
static char geocode[1024];
static struct egov_backoffice_population *pop;

struct bo {
    struct egov_backoffice *bo;
    struct egov_test_server srv;
};

static void start(struct bo *b, enum egov_backoffice_agency a, const char *publish)
{
    char url[1024], err[1024] = "";
    struct egov_db *db = egov_test_db_open();
    assert_non_null(db);
    snprintf(url, sizeof(url), "%s", egov_test_db_url());
    egov_db_close(db);
    struct egov_backoffice_options o = {
        .agency = a,
        .db_url = url,
        .vardir = vardir,
        .geocode_dir = geocode[0] != '\0' ? geocode : NULL,
        .seed = SEED,
        .people = PEOPLE,
        .publish_url = publish,
        .threads = 4,
    };
    memset(b, 0, sizeof(*b));
    b->bo = egov_backoffice_start(&o, err, sizeof(err));
    if (b->bo == NULL)
        fprintf(stderr, "start: %s\n", err);
    assert_non_null(b->bo);
    b->srv.port = egov_backoffice_port(b->bo);
    b->srv.out_fd = -1;
    snprintf(b->srv.base_url, sizeof(b->srv.base_url), "%s", egov_backoffice_url(b->bo));
}

/* A request; returns the parsed JSON body (UTF-8 or decoded from @p legacy) and the status. */
static json_t *call(struct bo *b, const char *method, const char *path, const char *ctype,
                    const char *body, const char *delivery, long *status, char *ct_out)
{
    char h1[128], h2[160];
    const char *headers[3] = {NULL, NULL, NULL};
    int n = 0;
    if (ctype != NULL) {
        snprintf(h1, sizeof(h1), "Content-Type: %s", ctype);
        headers[n++] = h1;
    }
    if (delivery != NULL) {
        snprintf(h2, sizeof(h2), "X-Egov-Delivery: %s", delivery);
        headers[n++] = h2;
    }
    struct egov_test_response r;
    assert_true(egov_test_http(&b->srv, method, path, headers, body, body ? strlen(body) : 0, &r));
    *status = r.status;
    char ct[128] = "";
    egov_test_response_header(&r, "Content-Type", ct, sizeof(ct));
    if (ct_out != NULL)
        strcpy(ct_out, ct);
    const char *text = r.body;
    size_t len = r.body_len;
    struct egov_buf u;
    egov_buf_init(&u);
    const char *cs = strstr(ct, "charset=");
    if (cs != NULL && strncmp(cs + 8, "cns-", 4) == 0) {
        /* a legacy reply: it must not pass as UTF-8 when it holds Chinese, and must decode */
        const struct egov_hanzi_encoding *e = egov_hanzi_encoding_by_name(cs + 8);
        assert_non_null(e);
        struct egov_hanzi_error herr;
        assert_true(egov_hanzi_convert(e, egov_hanzi_encoding_by_name("utf-8"), EGOV_HANZI_STRICT,
                                       r.body, r.body_len, &u, &herr));
        text = u.data != NULL ? u.data : "";
        len = u.len;
    }
    json_t *j = json_loadb(text, len, 0, NULL);
    if (j == NULL)
        fprintf(stderr, "%s %s -> %ld, not JSON: %.*s\n", method, path, r.status, (int)r.body_len,
                r.body);
    egov_buf_free(&u);
    egov_test_response_free(&r);
    return j;
}

static json_t *get(struct bo *b, const char *path, long expect)
{
    long st = 0;
    json_t *j = call(b, "GET", path, NULL, NULL, NULL, &st, NULL);
    if (st != expect)
        fprintf(stderr, "GET %s: %ld\n", path, st);
    assert_int_equal(st, expect);
    assert_non_null(j);
    return j;
}

/*
 * What @p s becomes after a trip through an agency's code: the code lacks
 * a few characters (the tax code has no plain 鎮, for one), which the
 * agency then holds as its replacement mark.  Static buffer.
 */
static const char *held_as(enum egov_backoffice_agency a, const char *s)
{
    static char out[512];
    struct egov_arena *ar = egov_arena_create(4096);
    size_t n = 0;
    char *l = bo_to_legacy(ar, a, s, &n);
    char *u = l != NULL ? bo_from_legacy(ar, a, l, n) : NULL;
    snprintf(out, sizeof(out), "%s", u != NULL ? u : "");
    egov_arena_destroy(ar);
    return out;
}

static const char *str(const json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));
    return s != NULL ? s : "";
}

/* A person of the population who is alive, adult and matches @p pred. */
static int find_person(bool (*pred)(unsigned int))
{
    for (unsigned int i = 0; i < pop->npersons; i++)
        if (!pop->dead[i] && bo_person_age(&pop->persons[i]) >= 20 && pred(i))
            return (int)i;
    return -1;
}

static bool is_member_not_head(unsigned int i)
{
    return pop->households[pop->persons[i].household].first != i;
}

static bool is_head_of_three(unsigned int i)
{
    const struct bo_household *h = &pop->households[pop->persons[i].household];
    return h->first == i && h->count >= 3;
}

static bool has_rare_name(unsigned int i)
{
    const char *r[] = {"堃", "喆", "犇", "煊", "峯"};
    for (size_t k = 0; k < 5; k++)
        if (strstr(pop->persons[i].name, r[k]) != NULL)
            return true;
    return false;
}

/* ------------------------------------------------------------------ */

static void test_household(void **state)
{
    (void)state;
    struct bo hh;
    char path[256];
    long st;
    start(&hh, EGOV_BO_HOUSEHOLD, NULL);

    int head = find_person(is_head_of_three);
    assert_true(head >= 0);
    const struct egov_backoffice_person *p = &pop->persons[head];
    snprintf(path, sizeof(path), "/persons/%s", p->national_id);
    json_t *j = get(&hh, path, 200);
    assert_string_equal(str(j, "name"), p->name);
    assert_string_equal(str(j, "relation"), "戶長");
    assert_string_equal(str(j, "address"), p->address);
    assert_non_null(strstr(str(json_object_get(j, "birth_date"), "roc"), "中華民國"));
    json_decref(j);

    snprintf(path, sizeof(path), "/persons/%s/transcript?type=full", p->national_id);
    j = get(&hh, path, 200);
    const struct bo_household *h = &pop->households[p->household];
    assert_int_equal(json_array_size(json_object_get(j, "members")), h->count);
    assert_string_equal(str(j, "household_no"), h->no);
    json_t *m0 = json_array_get(json_object_get(j, "members"), 0);
    assert_true(json_array_size(json_object_get(m0, "records")) >= 2); /* birth, moving in */
    json_decref(j);
    snprintf(path, sizeof(path), "/persons/%s/transcript?type=partial", p->national_id);
    j = get(&hh, path, 200);
    assert_int_equal(json_array_size(json_object_get(j, "members")), 1);
    json_decref(j);

    /* bad input names the field */
    j = get(&hh, "/persons/A123456788", 400);
    assert_string_equal(str(j, "field"), "id");
    json_decref(j);
    json_decref(get(&hh, "/persons/A123456789", 404));
    j = get(&hh, "/persons/A123456789/transcript", 404);
    assert_string_equal(str(j, "field"), "id");
    json_decref(j);
    snprintf(path, sizeof(path), "/persons/%s/transcript?type=some", p->national_id);
    j = get(&hh, path, 400);
    assert_string_equal(str(j, "field"), "type");
    json_decref(j);

    /* a member who is not the head moves out: a new household, one event */
    int mover = find_person(is_member_not_head);
    assert_true(mover >= 0);
    const struct egov_backoffice_person *mv = &pop->persons[mover];
    snprintf(path, sizeof(path), "/persons/%s/address-change", mv->national_id);
    j = call(&hh, "POST", path, "application/json",
             "{\"address\":\"臺北市中正區重慶南路一段122號\",\"district_code\":\"63000050\"}", NULL,
             &st, NULL);
    assert_int_equal(st, 200);
    assert_string_not_equal(str(j, "household_no"), pop->households[mv->household].no);
    assert_int_equal(json_array_size(json_object_get(j, "events")), 1);
    json_decref(j);
    j = get(&hh, "/events?after=0", 200);
    json_t *evs = json_object_get(j, "events");
    assert_int_equal(json_array_size(evs), 1);
    json_t *ev = json_array_get(evs, 0);
    assert_string_equal(str(ev, "subject"), "household.address-changed");
    assert_string_equal(str(json_object_get(ev, "data"), "national_id"), mv->national_id);
    assert_string_equal(str(json_object_get(ev, "data"), "previous_address"), mv->address);
    assert_int_equal(json_integer_value(json_object_get(j, "next")), 1);
    json_decref(j);
    j = get(&hh, "/events?after=1", 200);
    assert_int_equal(json_array_size(json_object_get(j, "events")), 0);
    json_decref(j);

    /* the head moves: the whole household moves, one event per living member */
    snprintf(path, sizeof(path), "/persons/%s/address-change", p->national_id);
    j = call(&hh, "POST", path, "application/json",
             "{\"address\":\"高雄市苓雅區四維三路2號\",\"district_code\":\"64000060\","
             "\"date\":\"2026-11-20\"}",
             NULL, &st, NULL);
    assert_int_equal(st, 200);
    assert_true(json_array_size(json_object_get(j, "moved")) >= 2);
    assert_string_equal(str(json_object_get(j, "moved_on"), "date"), "2026-11-20");
    size_t nmoved = json_array_size(json_object_get(j, "moved"));
    json_decref(j);
    j = get(&hh, "/events?after=1&limit=1000", 200);
    assert_int_equal(json_array_size(json_object_get(j, "events")), nmoved);
    json_decref(j);
    snprintf(path, sizeof(path), "/persons/%s", pop->persons[h->first + 1].national_id);
    j = get(&hh, path, 200);
    assert_string_equal(str(j, "address"), "高雄市苓雅區四維三路2號");
    json_decref(j);

    /* the same address again, a bad district, a bad date, bad JSON, wrong type */
    snprintf(path, sizeof(path), "/persons/%s/address-change", p->national_id);
    j = call(&hh, "POST", path, "application/json",
             "{\"address\":\"高雄市苓雅區四維三路2號\",\"district_code\":\"64000060\"}", NULL, &st,
             NULL);
    assert_int_equal(st, 400);
    assert_string_equal(str(j, "field"), "address");
    json_decref(j);
    j = call(&hh, "POST", path, "application/json",
             "{\"address\":\"高雄市苓雅區四維三路9號\",\"district_code\":\"6400006X\"}", NULL, &st,
             NULL);
    assert_int_equal(st, 400);
    assert_string_equal(str(j, "field"), "district_code");
    json_decref(j);
    j = call(&hh, "POST", path, "application/json",
             "{\"address\":\"高雄市苓雅區四維三路9號\",\"district_code\":\"64000060\","
             "\"date\":\"2026-02-30\"}",
             NULL, &st, NULL);
    assert_int_equal(st, 400);
    assert_string_equal(str(j, "field"), "date");
    json_decref(j);
    j = call(&hh, "POST", path, "application/json", "{\"address\":", NULL, &st, NULL);
    assert_int_equal(st, 400);
    json_decref(j);
    j = call(&hh, "POST", path, "text/plain", "{}", NULL, &st, NULL);
    assert_int_equal(st, 415);
    json_decref(j);
    j = call(&hh, "POST", path, "application/json", "{\"district_code\":\"64000060\"}", NULL, &st,
             NULL);
    assert_int_equal(st, 400);
    assert_string_equal(str(j, "field"), "address");
    json_decref(j);
    /* nothing of that reached the outbox */
    j = get(&hh, "/events?after=0&limit=1000", 200);
    assert_int_equal(json_array_size(json_object_get(j, "events")), 1 + nmoved);
    json_decref(j);
    json_decref(get(&hh, "/events?after=x", 400));
    json_decref(get(&hh, "/events?limit=0", 400));

    /* a deceased person cannot move */
    for (unsigned int i = 0; i < pop->npersons; i++) {
        if (!pop->dead[i])
            continue;
        snprintf(path, sizeof(path), "/persons/%s/address-change", pop->persons[i].national_id);
        j = call(&hh, "POST", path, "application/json",
                 "{\"address\":\"臺中市西屯區臺灣大道三段99號\",\"district_code\":\"66000060\"}",
                 NULL, &st, NULL);
        assert_int_equal(st, 409);
        json_decref(j);
        break;
    }
    j = get(&hh, "/openapi.json", 200);
    assert_string_equal(str(j, "openapi"), "3.0.3");
    json_decref(j);
    egov_backoffice_stop(hh.bo);
}

/* Waits until GET @p path on @p b has @p needle in its body (up to 10 s). */
static bool wait_for(struct bo *b, const char *path, const char *needle)
{
    for (int i = 0; i < 200; i++) {
        struct egov_test_response r;
        if (egov_test_http(&b->srv, "GET", path, NULL, NULL, 0, &r)) {
            bool found = r.body != NULL && strstr(r.body, needle) != NULL;
            egov_test_response_free(&r);
            if (found)
                return true;
        }
        usleep(50000);
    }
    return false;
}

struct mover {
    struct bo *b;
    const char *nid;
    long status;
};

static void *move_thread(void *arg)
{
    struct mover *m = arg;
    char path[128];
    const char *h[] = {"Content-Type: application/json", NULL};
    static const char body[] =
        "{\"address\":\"新竹市東區光復路二段101號\",\"district_code\":\"10018010\"}";
    struct egov_test_response r;
    snprintf(path, sizeof(path), "/persons/%s/address-change", m->nid);
    m->status = 0;
    if (egov_test_http(&m->b->srv, "POST", path, h, body, strlen(body), &r)) {
        m->status = r.status;
        egov_test_response_free(&r);
    }
    return NULL;
}

/* Concurrent moves and forced retries: each move commits once with its one event. */
static void test_household_concurrency(void **state)
{
    (void)state;
    struct bo hh;
    start(&hh, EGOV_BO_HOUSEHOLD, NULL);
    enum { N = 8 };
    struct mover mv[N];
    pthread_t th[N];
    unsigned int n = 0;
    for (unsigned int i = 0; i < pop->npersons && n < N; i++)
        if (!pop->dead[i] && is_member_not_head(i))
            mv[n++] = (struct mover){&hh, pop->persons[i].national_id, 0};
    assert_int_equal(n, N);
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_create(&th[i], NULL, move_thread, &mv[i]), 0);
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(mv[i].status, 200);
    }
    json_t *j = get(&hh, "/events?after=0&limit=1000", 200);
    json_t *evs = json_object_get(j, "events");
    assert_int_equal(json_array_size(evs), N);
    for (size_t i = 0; i < N; i++) /* sequence numbers 1..N, no gap, no repeat */
        assert_int_equal(json_integer_value(json_object_get(json_array_get(evs, i), "seq")),
                         (json_int_t)i + 1);
    json_decref(j);

    /* retryable errors in the middle of a move: still exactly one event */
    int head = find_person(is_head_of_three);
    char path[128];
    long st;
    snprintf(path, sizeof(path), "/persons/%s/address-change", pop->persons[head].national_id);
    egov_db_inject_soft_errors(3);
    j = call(&hh, "POST", path, "application/json",
             "{\"address\":\"苗栗縣苗栗市中正路1號\",\"district_code\":\"10005010\"}", NULL, &st,
             NULL);
    assert_int_equal(st, 200);
    size_t moved = json_array_size(json_object_get(j, "moved"));
    json_decref(j);
    j = get(&hh, "/events?after=0&limit=1000", 200);
    assert_int_equal(json_array_size(json_object_get(j, "events")), N + moved);
    json_decref(j);
    egov_backoffice_stop(hh.bo);
}

static void test_events(void **state)
{
    (void)state;
    struct bo land, tax, veh, health, hh;
    char path[256], url[256];
    long st;
    start(&land, EGOV_BO_LAND, NULL);
    snprintf(url, sizeof(url), "%s/events", land.srv.base_url);
    start(&hh, EGOV_BO_HOUSEHOLD, url); /* pushes every event to the land registry */
    bool legacy = have_tables;
    if (legacy) {
        start(&tax, EGOV_BO_TAX, NULL);
        start(&veh, EGOV_BO_VEHICLE, NULL);
    }
    start(&health, EGOV_BO_HEALTH, NULL);

    /* the first owner of the first parcel moves */
    unsigned int o = pop->parcels[0].owners[0];
    const struct egov_backoffice_person *p = &pop->persons[o];
    snprintf(path, sizeof(path), "/owners/%s/parcels", p->national_id);
    json_t *j = get(&land, path, 200);
    assert_string_equal(str(j, "address"), p->address);
    json_decref(j);
    snprintf(path, sizeof(path), "/persons/%s/address-change", p->national_id);
    j = call(&hh, "POST", path, "application/json",
             "{\"address\":\"臺東縣成功鎮中山路五段7號\",\"district_code\":\"10014020\"}", NULL,
             &st, NULL);
    assert_int_equal(st, 200);
    json_decref(j);

    /* pushed through the household registry's outbox to the land registry */
    snprintf(path, sizeof(path), "/owners/%s/parcels", p->national_id);
    assert_true(wait_for(&land, path, "臺東縣成功鎮中山路五段7號"));

    /* the feed delivers the same event to the others, each applies it once */
    json_t *feed = get(&hh, "/events?after=0&limit=1000", 200);
    json_t *evs = json_object_get(feed, "events"), *ev = NULL;
    size_t i;
    json_t *e;
    json_array_foreach(evs, i, e)
    {
        if (strcmp(str(json_object_get(e, "data"), "national_id"), p->national_id) == 0)
            ev = e;
    }
    assert_non_null(ev);
    char *evtext = json_dumps(ev, JSON_COMPACT);
    assert_non_null(evtext);
    struct bo *receivers[3] = {&health, legacy ? &tax : NULL, legacy ? &veh : NULL};
    for (int r = 0; r < 3; r++) {
        if (receivers[r] == NULL)
            continue;
        /* UTF-8 without a charset, as the gateway's deliveries come */
        j = call(receivers[r], "POST", "/events", "application/json", evtext, "delivery-1", &st,
                 NULL);
        assert_int_equal(st, 200);
        assert_true(json_is_true(json_object_get(j, "applied")));
        assert_int_equal(json_integer_value(json_object_get(j, "updated")), 1);
        json_decref(j);
        j = call(receivers[r], "POST", "/events", "application/json; charset=utf-8", evtext,
                 "delivery-1", &st, NULL);
        assert_int_equal(st, 200);
        assert_false(json_is_true(json_object_get(j, "applied")));
        assert_true(json_is_true(json_object_get(j, "duplicate")));
        json_decref(j);
        /* a late retry of an older change of the same person changes nothing */
        j = call(receivers[r], "POST", "/events", "application/json",
                 "{\"subject\":\"household.address-changed\",\"time\":\"2000-01-01T00:00:00Z\","
                 "\"data\":{\"national_id\":\"A123456789\",\"address\":\"x\"}}",
                 "delivery-old-0", &st, NULL);
        assert_int_equal(st, 200);
        json_decref(j);
        char old[512];
        snprintf(old, sizeof(old),
                 "{\"subject\":\"household.address-changed\",\"time\":\"2000-01-01T00:00:00Z\","
                 "\"data\":{\"national_id\":\"%s\",\"address\":\"舊地址\"}}",
                 p->national_id);
        j = call(receivers[r], "POST", "/events", "application/json", old, "delivery-old", &st,
                 NULL);
        assert_int_equal(st, 200);
        assert_true(json_is_true(json_object_get(j, "stale")));
        json_decref(j);
        j = call(receivers[r], "POST", "/events", "application/json",
                 "{\"subject\":\"household.address-changed\",\"time\":\"yesterday\","
                 "\"data\":{\"national_id\":\"A123456789\",\"address\":\"x\"}}",
                 "delivery-bad-time", &st, NULL);
        assert_int_equal(st, 400);
        assert_string_equal(str(j, "field"), "time");
        json_decref(j);
        /* malformed deliveries */
        j = call(receivers[r], "POST", "/events", "application/json; charset=utf-8", evtext, NULL,
                 &st, NULL);
        assert_int_equal(st, 400);
        assert_string_equal(str(j, "field"), "X-Egov-Delivery");
        json_decref(j);
        j = call(receivers[r], "POST", "/events", "application/json; charset=utf-8",
                 "{\"subject\":\"household.address-changed\",\"data\":{\"national_id\":"
                 "\"A123456788\",\"address\":\"x\"}}",
                 "delivery-2", &st, NULL);
        assert_int_equal(st, 400);
        assert_string_equal(str(j, "field"), "data.national_id");
        json_decref(j);
        j = call(receivers[r], "POST", "/events", "application/json; charset=utf-8",
                 "{\"subject\":\"household.born\",\"data\":{}}", "delivery-3", &st, NULL);
        assert_int_equal(st, 200);
        assert_false(json_is_true(json_object_get(j, "applied")));
        json_decref(j);
    }
    free(evtext);
    json_decref(feed);

    snprintf(path, sizeof(path), "/patients/%s/appointments", p->national_id);
    json_decref(get(&health, path, 200));
    if (legacy) {
        snprintf(path, sizeof(path), "/taxpayers/%s", p->national_id);
        json_t *t = get(&tax, path, 200);
        assert_string_equal(str(t, "address"), held_as(EGOV_BO_TAX, "臺東縣成功鎮中山路五段7號"));
        assert_string_equal(str(t, "name"), held_as(EGOV_BO_TAX, p->name));
        assert_true(json_is_array(json_object_get(t, "income_assessments")));
        if (bo_person_age(p) <= 70)
            assert_int_equal(json_array_size(json_object_get(t, "income_assessments")), 1);
        json_decref(t);
        snprintf(path, sizeof(path), "/owners/%s/vehicles", p->national_id);
        t = get(&veh, path, 200);
        assert_string_equal(str(json_object_get(t, "owner"), "address"),
                            held_as(EGOV_BO_VEHICLE, "臺東縣成功鎮中山路五段7號"));
        json_decref(t);
    }
    egov_backoffice_stop(hh.bo);
    egov_backoffice_stop(land.bo);
    egov_backoffice_stop(health.bo);
    if (legacy) {
        egov_backoffice_stop(tax.bo);
        egov_backoffice_stop(veh.bo);
    }
}

static void test_legacy(void **state)
{
    (void)state;
    if (!have_tables) {
        skip();
        return;
    }
    struct bo tax, veh;
    char path[256], ct[128], body[256];
    long st;
    start(&tax, EGOV_BO_TAX, NULL);
    start(&veh, EGOV_BO_VEHICLE, NULL);
    int r = find_person(has_rare_name);
    assert_true(r >= 0);
    const struct egov_backoffice_person *p = &pop->persons[r];

    /* stored and sent in the agency code, decoded back to the same name */
    snprintf(path, sizeof(path), "/taxpayers/%s", p->national_id);
    json_t *j = call(&tax, "GET", path, NULL, NULL, NULL, &st, ct);
    assert_int_equal(st, 200);
    assert_string_equal(ct, "application/json; charset=cns-fin");
    assert_string_equal(str(j, "name"), p->name);
    json_decref(j);
    snprintf(path, sizeof(path), "/owners/%s/licences", p->national_id);
    j = call(&veh, "GET", path, NULL, NULL, NULL, &st, ct);
    assert_int_equal(st, 200);
    assert_string_equal(ct, "application/json; charset=cns-dci");
    assert_string_equal(str(json_object_get(j, "holder"), "name"), p->name);
    json_decref(j);
    /* the raw bytes are not UTF-8 */
    struct egov_test_response raw;
    snprintf(path, sizeof(path), "/taxpayers/%s", p->national_id);
    assert_true(egov_test_http(&tax.srv, "GET", path, NULL, NULL, 0, &raw));
    assert_false(egov_utf8_valid(raw.body, raw.body_len, NULL));
    egov_test_response_free(&raw);

    /* problems are in the agency code too; bad ids, unknown people */
    j = call(&tax, "GET", "/taxpayers/A12345678", NULL, NULL, NULL, &st, ct);
    assert_int_equal(st, 400);
    assert_string_equal(ct, "application/problem+json; charset=cns-fin");
    json_decref(j);
    json_decref(get(&tax, "/taxpayers/A123456789", 404));
    json_decref(get(&veh, "/vehicles/ABC-1234", 400));
    json_decref(get(&veh, "/vehicles/ZZZ-9999", 404));
    json_decref(get(&tax, "/taxpayers/A123456789/bills?year=19", 400));

    /* a request body that is not valid in the agency code */
    static const char bad[] = "{\"amount\":\x81\x20}";
    j = call(&tax, "POST", "/bills/X00000000/payments", "application/json; charset=cns-fin", bad,
             NULL, &st, NULL);
    assert_int_equal(st, 400);
    json_decref(j);
    j = call(&tax, "POST", "/bills/X00000000/payments", "application/json; charset=koi8-r",
             "{\"amount\":1}", NULL, &st, NULL);
    assert_int_equal(st, 415);
    json_decref(j);
    /* an event in the agency's own code without a charset label */
    {
        struct egov_arena *ar = egov_arena_create(4096);
        char ev[512];
        snprintf(ev, sizeof(ev),
                 "{\"subject\":\"household.address-changed\",\"data\":{\"national_id\":\"%s\","
                 "\"address\":\"臺北市大安區和平東路二段1號\"}}",
                 p->national_id);
        size_t n = 0;
        char *fin = bo_to_legacy(ar, EGOV_BO_TAX, ev, &n);
        assert_non_null(fin);
        assert_false(egov_utf8_valid(fin, n, NULL));
        j = call(&tax, "POST", "/events", "application/json", fin, "legacy-1", &st, NULL);
        assert_int_equal(st, 200);
        assert_true(json_is_true(json_object_get(j, "applied")));
        json_decref(j);
        egov_arena_destroy(ar);
        snprintf(path, sizeof(path), "/taxpayers/%s", p->national_id);
        j = get(&tax, path, 200);
        assert_string_equal(str(j, "address"), "臺北市大安區和平東路二段1號");
        json_decref(j);
    }

    /* bills and a payment: wrong amount, right amount, twice */
    const char *bill = NULL;
    json_int_t amount = 0;
    json_t *bills = NULL;
    for (unsigned int i = 0; i < pop->npersons && bill == NULL; i++) {
        if (pop->dead[i])
            continue;
        snprintf(path, sizeof(path), "/taxpayers/%s/bills?unpaid=1", pop->persons[i].national_id);
        bills = get(&tax, path, 200);
        json_t *b = json_array_get(json_object_get(bills, "bills"), 0);
        if (b != NULL) {
            bill = str(b, "bill_no");
            amount = json_integer_value(json_object_get(b, "amount"));
            assert_false(json_is_true(json_object_get(b, "paid")));
        } else {
            json_decref(bills);
        }
    }
    assert_non_null(bill);
    snprintf(path, sizeof(path), "/bills/%s/payments", bill);
    snprintf(body, sizeof(body), "{\"amount\":%lld}", (long long)amount + 1);
    j = call(&tax, "POST", path, "application/json", body, NULL, &st, NULL);
    assert_int_equal(st, 422);
    assert_string_equal(str(j, "field"), "amount");
    json_decref(j);
    snprintf(body, sizeof(body), "{\"amount\":%lld}", (long long)amount);
    j = call(&tax, "POST", path, "application/json", body, NULL, &st, NULL);
    assert_int_equal(st, 201);
    json_decref(j);
    j = call(&tax, "POST", path, "application/json", body, NULL, &st, NULL);
    assert_int_equal(st, 409);
    json_decref(j);
    json_decref(bills);
    json_decref(call(&tax, "POST", "/bills/X99999999/payments", "application/json",
                     "{\"amount\":5}", NULL, &st, NULL));
    assert_int_equal(st, 404);

    /* clearance of last year */
    snprintf(path, sizeof(path), "/taxpayers/%s/clearance?year=2025", p->national_id);
    j = get(&tax, path, 200);
    assert_true(json_is_boolean(json_object_get(j, "cleared")));
    assert_int_equal(json_integer_value(json_object_get(j, "year")), 2025);
    json_decref(j);

    /* a vehicle and its owner */
    const struct bo_vehicle *v = &pop->vehicles[0];
    snprintf(path, sizeof(path), "/vehicles/%s", v->plate);
    j = get(&veh, path, 200);
    assert_string_equal(str(json_object_get(j, "owner"), "national_id"),
                        pop->persons[v->owner].national_id);
    assert_string_equal(str(json_object_get(j, "owner"), "name"), pop->persons[v->owner].name);
    json_decref(j);
    snprintf(path, sizeof(path), "/owners/%s/fines?unpaid=1", pop->persons[v->owner].national_id);
    json_decref(get(&veh, path, 200));
    egov_backoffice_stop(tax.bo);
    egov_backoffice_stop(veh.bo);
}

static void test_land_business(void **state)
{
    (void)state;
    struct bo land, biz;
    char path[256];
    start(&land, EGOV_BO_LAND, NULL);
    start(&biz, EGOV_BO_BUSINESS, NULL);
    const struct bo_parcel *pa = &pop->parcels[1];
    snprintf(path, sizeof(path), "/parcels/%s/%s", pop->sections[pa->section].code, pa->number);
    json_t *j = get(&land, path, 200);
    json_t *owners = json_object_get(j, "owners");
    assert_int_equal(json_array_size(owners), pa->nowners);
    /* every owner is on the transcript with the share the population gave */
    for (unsigned int o = 0; o < pa->nowners; o++) {
        char share[32];
        bool found = false;
        snprintf(share, sizeof(share), "%u/%u", pa->share_num[o], pa->share_den);
        for (size_t i = 0; i < json_array_size(owners); i++) {
            json_t *w = json_array_get(owners, i);
            found |= strcmp(str(w, "national_id"), pop->persons[pa->owners[o]].national_id) == 0 &&
                     strcmp(str(w, "share"), share) == 0;
        }
        assert_true(found);
    }
    assert_int_equal(json_array_size(json_object_get(j, "buildings")), pa->has_building ? 1 : 0);
    json_decref(j);
    json_decref(get(&land, "/parcels/12/00010000", 400));
    json_decref(get(&land, "/parcels/0001/0001000X", 400));
    json_decref(get(&land, "/parcels/9999/00010000", 404));

    const struct bo_company *co = &pop->companies[0];
    snprintf(path, sizeof(path), "/companies/%s", co->ban);
    j = get(&biz, path, 200);
    assert_string_equal(str(j, "name"), co->name);
    assert_string_equal(str(j, "representative"), pop->persons[co->representative].name);
    assert_int_equal(json_array_size(json_object_get(j, "directors")), co->ndirectors);
    json_decref(j);
    j = get(&biz, "/companies/22099132", 400);
    assert_string_equal(str(j, "field"), "ban");
    json_decref(j);
    json_decref(get(&biz, "/companies/22099131", 404));
    snprintf(path, sizeof(path), "/persons/%s/companies",
             pop->persons[co->representative].national_id);
    j = get(&biz, path, 200);
    assert_true(json_array_size(json_object_get(j, "companies")) >= 1);
    json_decref(j);
    /* a busy database: a one-statement list answers 503, a lookup's transaction is tried again */
    egov_db_inject_soft_errors(1);
    j = get(&biz, path, 503);
    assert_int_equal(json_integer_value(json_object_get(j, "code")), 2001);
    json_decref(j);
    egov_db_inject_soft_errors(2);
    snprintf(path, sizeof(path), "/companies/%s", co->ban);
    json_decref(get(&biz, path, 200));
    egov_db_inject_soft_errors(0);
    /* each back office describes its own API */
    j = get(&land, "/openapi.json", 200);
    assert_non_null(json_object_get(json_object_get(j, "paths"), "/parcels/{section}/{number}"));
    assert_null(json_object_get(json_object_get(j, "paths"), "/companies/{ban}"));
    json_decref(j);
    j = get(&biz, "/openapi.json", 200);
    assert_non_null(json_object_get(json_object_get(j, "paths"), "/companies/{ban}"));
    assert_null(json_object_get(json_object_get(j, "paths"), "/parcels/{section}/{number}"));
    json_decref(j);
    egov_backoffice_stop(land.bo);
    egov_backoffice_stop(biz.bo);
}

/* ------------------------------------------------------------------ */
/* Booking under concurrency                                           */
/* ------------------------------------------------------------------ */

struct booker {
    struct bo *b;
    char body[128];
    long status;
    char name[64];
};

static void *book_thread(void *arg)
{
    struct booker *k = arg;
    struct egov_test_response r;
    const char *h[] = {"Content-Type: application/json", NULL};
    k->status = 0;
    if (egov_test_http(&k->b->srv, "POST", "/appointments", h, k->body, strlen(k->body), &r)) {
        k->status = r.status;
        json_t *j = json_loadb(r.body, r.body_len, 0, NULL);
        snprintf(k->name, sizeof(k->name), "%s", str(j, "name"));
        json_decref(j);
        egov_test_response_free(&r);
    }
    return NULL;
}

#define NBOOKERS 8

static void test_health(void **state)
{
    (void)state;
    struct bo hl;
    char path[256];
    long st;
    start(&hl, EGOV_BO_HEALTH, NULL);
    json_t *list = get(&hl, "/hospitals", 200);
    assert_true(json_array_size(json_object_get(list, "hospitals")) > 0);
    json_decref(list);
    json_decref(get(&hl, "/hospitals?city=6300", 400));

    /* find a slot for one and a slot for many */
    int64_t one = 0, many = 0, many_cap = 0;
    for (unsigned int k = 0; k < pop->nhospitals && (one == 0 || many == 0); k++) {
        snprintf(path, sizeof(path), "/hospitals/%s/slots", pop->hospitals[k].code);
        json_t *s = get(&hl, path, 200);
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(s, "slots"), i, e)
        {
            json_int_t cap = json_integer_value(json_object_get(e, "capacity"));
            if (cap == 1 && one == 0)
                one = json_integer_value(json_object_get(e, "id"));
            if (cap >= 10 && many == 0) {
                many = json_integer_value(json_object_get(e, "id"));
                many_cap = cap;
            }
        }
        json_decref(s);
    }
    assert_true(one > 0 && many > 0);

    /* eight people race for a slot with one place: exactly one gets it */
    pthread_t th[NBOOKERS];
    struct booker bk[NBOOKERS];
    unsigned int people[NBOOKERS], n = 0;
    for (unsigned int i = 0; i < pop->npersons && n < NBOOKERS; i++)
        if (!pop->dead[i])
            people[n++] = i;
    assert_int_equal(n, NBOOKERS);
    for (int i = 0; i < NBOOKERS; i++) {
        bk[i].b = &hl;
        snprintf(bk[i].body, sizeof(bk[i].body), "{\"slot_id\":%lld,\"national_id\":\"%s\"}",
                 (long long)one, pop->persons[people[i]].national_id);
        assert_int_equal(pthread_create(&th[i], NULL, book_thread, &bk[i]), 0);
    }
    int ok = 0, full = 0;
    for (int i = 0; i < NBOOKERS; i++) {
        pthread_join(th[i], NULL);
        ok += bk[i].status == 201;
        full += bk[i].status == 409 && strcmp(bk[i].name, "BACKOFFICE_SLOT_FULL") == 0;
    }
    assert_int_equal(ok, 1);
    assert_int_equal(full, NBOOKERS - 1);

    /* one person books the same big slot from eight threads at once: one booking */
    for (int i = 0; i < NBOOKERS; i++) {
        snprintf(bk[i].body, sizeof(bk[i].body), "{\"slot_id\":%lld,\"national_id\":\"%s\"}",
                 (long long)many, pop->persons[people[0]].national_id);
        assert_int_equal(pthread_create(&th[i], NULL, book_thread, &bk[i]), 0);
    }
    ok = 0;
    int already = 0;
    for (int i = 0; i < NBOOKERS; i++) {
        pthread_join(th[i], NULL);
        ok += bk[i].status == 201;
        already += bk[i].status == 409 && strcmp(bk[i].name, "BACKOFFICE_ALREADY_BOOKED") == 0;
    }
    assert_int_equal(ok, 1);
    assert_int_equal(already, NBOOKERS - 1);

    /* no such patient: 404 naming the id */
    json_t *np = get(&hl, "/patients/A123456789/appointments", 404);
    assert_string_equal(str(np, "field"), "id");
    json_decref(np);
    /* the booking, then cancel it twice */
    snprintf(path, sizeof(path), "/patients/%s/appointments", pop->persons[people[0]].national_id);
    json_t *j = get(&hl, path, 200);
    json_t *appts = json_object_get(j, "appointments");
    const char *aid = NULL;
    size_t i;
    json_t *e;
    json_array_foreach(appts, i, e)
    {
        if (json_integer_value(json_object_get(e, "slot_id")) == many)
            aid = str(e, "id");
    }
    assert_non_null(aid);
    snprintf(path, sizeof(path), "/appointments/%s", aid);
    json_decref(get(&hl, path, 200));
    json_t *c = call(&hl, "DELETE", path, NULL, NULL, NULL, &st, NULL);
    assert_int_equal(st, 200);
    assert_string_equal(str(c, "status"), "cancelled");
    json_decref(c);
    c = call(&hl, "DELETE", path, NULL, NULL, NULL, &st, NULL);
    assert_int_equal(st, 409);
    json_decref(c);
    json_decref(j);
    /* the place is free again */
    char body[160];
    snprintf(body, sizeof(body), "{\"slot_id\":%lld,\"national_id\":\"%s\"}", (long long)many,
             pop->persons[people[0]].national_id);
    c = call(&hl, "POST", "/appointments", "application/json", body, NULL, &st, NULL);
    assert_int_equal(st, 201);
    assert_int_equal(json_integer_value(json_object_get(c, "number")), 1);
    json_decref(c);
    (void)many_cap;

    /* bad bookings */
    c = call(&hl, "POST", "/appointments", "application/json",
             "{\"slot_id\":1,\"national_id\":\"A123456788\"}", NULL, &st, NULL);
    assert_int_equal(st, 400);
    assert_string_equal(str(c, "field"), "national_id");
    json_decref(c);
    c = call(&hl, "POST", "/appointments", "application/json",
             "{\"slot_id\":1,\"national_id\":\"A123456789\"}", NULL, &st, NULL);
    assert_int_equal(st, 404);
    json_decref(c);
    snprintf(body, sizeof(body), "{\"slot_id\":999999999,\"national_id\":\"%s\"}",
             pop->persons[people[0]].national_id);
    c = call(&hl, "POST", "/appointments", "application/json", body, NULL, &st, NULL);
    assert_int_equal(st, 404);
    assert_string_equal(str(c, "field"), "slot_id");
    json_decref(c);
    c = call(&hl, "POST", "/appointments", "application/json", "{\"slot_id\":\"1\"}", NULL, &st,
             NULL);
    assert_int_equal(st, 400);
    json_decref(c);
    /* a database generated days ago gets the coming days' slots when it starts */
    {
        static const struct egov_db_stmt st_drop_appts = {
            "t_hl_drop_appts",
            "DELETE FROM hl_appointment WHERE slot_id IN"
            " (SELECT id FROM hl_slot WHERE slot_date > $1)",
            NULL};
        static const struct egov_db_stmt st_drop = {
            "t_hl_drop_late", "DELETE FROM hl_slot WHERE slot_date > $1", NULL};
        static const struct egov_db_stmt st_days = {
            "t_hl_days", "SELECT COUNT(DISTINCT slot_date), MAX(slot_date) FROM hl_slot", NULL};
        struct egov_db *hdb = egov_backoffice_db(hl.bo);
        struct egov_db_conn *dc = egov_db_acquire(hdb, 5000);
        struct egov_db_rows *rows = NULL;
        char last[16], tomorrow[16];
        assert_non_null(dc);
        assert_true(egov_db_query(dc, &st_days, NULL, &rows) > 0);
        assert_int_equal(egov_db_rows_int64(rows, 0, 0), 7);
        snprintf(last, sizeof(last), "%s", egov_db_rows_text(rows, 0, 1));
        egov_db_rows_free(rows);
        egov_db_release(dc);
        assert_int_equal(bo_health_topup(hdb, SEED), 0); /* nothing missing */
        /* keep tomorrow's slots only, as if generated six days ago, then top up */
        time_t t = time(NULL) + 8 * 3600 + 86400;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(tomorrow, sizeof(tomorrow), "%Y-%m-%d", &tm);
        const struct egov_db_param pt[] = {EGOV_DB_PARAM_TEXT(tomorrow), EGOV_DB_PARAM_END};
        dc = egov_db_acquire(hdb, 5000);
        assert_true(egov_db_exec(dc, &st_drop_appts, pt) >= 0);
        assert_true(egov_db_exec(dc, &st_drop, pt) > 0);
        egov_db_release(dc);
        assert_int_equal(bo_health_topup(hdb, SEED), 6);
        dc = egov_db_acquire(hdb, 5000);
        assert_true(egov_db_query(dc, &st_days, NULL, &rows) > 0);
        assert_int_equal(egov_db_rows_int64(rows, 0, 0), 7);
        assert_string_equal(egov_db_rows_text(rows, 0, 1), last);
        egov_db_rows_free(rows);
        egov_db_release(dc);
    }
    json_decref(get(&hl, "/appointments/not-a-uuid", 400));
    json_decref(get(&hl, "/appointments/01a21c82-fdec-71b4-b3ce-7901f715c542", 404));
    egov_backoffice_stop(hl.bo);
}

static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("EGOV_TEST_TMP");
    const char *shared = getenv("EGOV_SHARED_DATA");
    char err[512] = "", src[1024];
    struct stat st;
    curl_global_init(CURL_GLOBAL_ALL);
    snprintf(vardir, sizeof(vardir), "%s/backoffice-var-%ld", tmp != NULL ? tmp : "/tmp",
             (long)getpid());
    mkdir(tmp != NULL ? tmp : "/tmp", 0700);
    mkdir(vardir, 0700);
    geocode[0] = '\0';
    if (shared != NULL) {
        snprintf(src, sizeof(src), "%s/cns11643", shared);
        if (stat(src, &st) == 0) {
            struct egov_hanzi_import_report rep = {0};
            egov_buf_init(&rep.notes);
            have_tables = egov_hanzi_import(src, vardir, &rep, err, sizeof(err));
            egov_buf_free(&rep.notes);
            if (!have_tables)
                fprintf(stderr, "hanzi import: %s\n", err);
        }
        snprintf(geocode, sizeof(geocode), "%s/geocode", shared);
        if (stat(geocode, &st) != 0)
            geocode[0] = '\0';
    }
    pop =
        egov_backoffice_population_new(SEED, PEOPLE, geocode[0] ? geocode : NULL, err, sizeof(err));
    return pop != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char path[1100];
    egov_backoffice_population_free(pop);
    egov_hanzi_tables_unload();
    snprintf(path, sizeof(path), "%s/hanzi/tables.bin", vardir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/hanzi", vardir);
    rmdir(path);
    rmdir(vardir);
    curl_global_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_household),     cmocka_unit_test(test_household_concurrency),
        cmocka_unit_test(test_events),        cmocka_unit_test(test_legacy),
        cmocka_unit_test(test_land_business), cmocka_unit_test(test_health),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
