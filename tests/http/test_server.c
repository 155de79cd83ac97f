/*
 * test_server.c -- the in-process server end to end over loopback:
 * routing errors, limits, JSON bodies, problem responses, HTML
 * negotiation, security headers, request ids, slow clients, graceful
 * shutdown, metrics and the core routes.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

/* ------------------------------------------------------------------ */
/* Routes used by the tests                                            */
/* ------------------------------------------------------------------ */

static void h_hello(struct egov_req *req)
{
    egov_reply_json(req, 200,
                    json_pack("{s:s, s:s, s:s}", "hello", "world", "lang", req->lang, "rid",
                              egov_log_request_id() ? egov_log_request_id() : ""));
}

static void h_item(struct egov_req *req)
{
    egov_reply_json(req, 200, json_pack("{s:s}", "id", egov_req_param(req, "id")));
}

static void h_echo(struct egov_req *req)
{
    const char *name = NULL;
    int64_t age = 0;
    const struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_STRING_LEN("name", &name, 1, 20),
        EGOV_JSON_SPEC_INT("age", &age, 0, 150),
        EGOV_JSON_SPEC_END,
    };
    if (egov_req_parse_json(req, spec) == NULL)
        return;
    egov_reply_json(req, 201, json_pack("{s:s, s:I}", "name", name, "age", (json_int_t)age));
}

static void h_size(struct egov_req *req)
{
    egov_reply_json(req, 200, json_pack("{s:I}", "size", (json_int_t)req->body_len));
}

static void h_slow(struct egov_req *req)
{
    struct timespec ts = {1, 0};
    nanosleep(&ts, NULL);
    egov_reply_json(req, 200, json_pack("{s:b}", "slow", 1));
}

static void h_cookie(struct egov_req *req)
{
    egov_reply_cookie(req, "sid", "abc123", 3600);
    egov_reply_json(req, 200, json_pack("{}"));
}

static void h_view(struct egov_req *req)
{
    egov_reply_view(req, 200, "error", "Status",
                    json_pack("{s:s, s:s, s:i}", "title", "Status", "detail", "All <good>",
                              "status", 200));
}

static void h_form(struct egov_req *req)
{
    json_t *f = req->form ? json_deep_copy(req->form) : json_object();
    egov_reply_json(req, 200, f);
}

/* A deferred request: a thread of its own waits 200 ms, then resumes it. */
struct deferred {
    struct egov_req *req;
    int64_t started_us;
    int64_t resumed_us;
};

static void *deferred_worker(void *arg)
{
    struct deferred *d = arg;
    struct timespec ts = {0, 200 * 1000000L};
    nanosleep(&ts, NULL);
    d->resumed_us = egov_mono_us();
    egov_req_resume(d->req);
    return NULL;
}

static void deferred_start(struct egov_req *req, void *cls)
{
    (void)req;
    pthread_t th;
    if (pthread_create(&th, NULL, deferred_worker, cls) == 0)
        pthread_detach(th);
    else
        egov_req_resume(req);
}

static void deferred_cont(struct egov_req *req, void *cls)
{
    struct deferred *d = cls;
    egov_reply_header(req, "X-Deferred", "yes");
    egov_reply_json(req, 200,
                    json_pack("{s:I, s:b}", "waited_ms",
                              (json_int_t)((d->resumed_us - d->started_us) / 1000), "resumed",
                              d->resumed_us != 0));
}

static void h_deferred(struct egov_req *req)
{
    struct deferred *d = egov_arena_alloc(req->arena, sizeof *d);
    if (d == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    d->req = req;
    d->started_us = egov_mono_us();
    d->resumed_us = 0;
    egov_req_suspend(req, deferred_start, deferred_cont, d);
}

static void h_refusals(struct egov_req *req)
{
    egov_reply_json(req, req->body_too_large ? 422 : 200,
                    json_pack("{s:b, s:I}", "too_large", req->body_too_large, "size",
                              (json_int_t)req->body_len));
}

static const struct egov_route test_routes[] = {
    {EGOV_M_GET, "/t/deferred", h_deferred, 0, 0, NULL},
    {EGOV_M_POST, "/t/refusals", h_refusals, 1024, EGOV_ROUTE_SEES_REFUSALS, NULL},
    {EGOV_M_GET, "/t/hello", h_hello, 0, 0, NULL},
    {EGOV_M_GET | EGOV_M_DELETE, "/t/items/{id}", h_item, 0, 0, "/t/items/{id}"},
    {EGOV_M_POST, "/t/echo", h_echo, 0, EGOV_ROUTE_JSON_BODY, NULL},
    {EGOV_M_POST, "/t/small", h_size, 1024, 0, NULL},
    {EGOV_M_POST, "/t/form", h_form, 0, EGOV_ROUTE_FORM_BODY, NULL},
    {EGOV_M_GET, "/t/slow", h_slow, 0, 0, NULL},
    {EGOV_M_GET, "/t/cookie", h_cookie, 0, 0, NULL},
    {EGOV_M_GET, "/t/view", h_view, 0, 0, NULL},
    EGOV_ROUTE_END,
};
static const struct egov_route_table test_table = {"test", test_routes};
static const struct egov_route_table *const all_tables[] = {&egov_http_core_routes, &test_table,
                                                            NULL};

/* Refuses requests that carry "X-Deny", with its own answer for "X-Deny: teapot". */
static bool deny_marked(struct egov_req *req, void *cls)
{
    (void)cls;
    const char *d = egov_req_header(req, "X-Deny");
    if (d == NULL)
        return true;
    if (strcmp(d, "teapot") == 0)
        egov_reply_json(req, 418, json_pack("{s:s}", "denied", "teapot"));
    return false;
}

static struct egov_server_options test_options(void)
{
    struct egov_server_options o;
    memset(&o, 0, sizeof o);
    o.threads = 2;
    o.datadir = getenv("EGOV_DATADIR");
    o.limits.max_url = 1024;
    o.limits.max_header = 4096;
    o.limits.max_body = 64 * 1024;
    o.limits.conn_timeout_s = 2;
    o.limits.max_segments = 16;
    o.cookie_secure = false;
    o.log_requests = true;
    o.admit = deny_marked;
    return o;
}

static int setup(void **state)
{
    static struct egov_test_server srv;
    struct egov_server_options o = test_options();
    if (!egov_test_inproc_start(all_tables, &o, &srv))
        return -1;
    *state = &srv;
    return 0;
}

static int teardown(void **state)
{
    egov_test_inproc_stop(*state, 1000);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static void get(struct egov_test_server *s, const char *method, const char *path,
                const char *const *hdrs, const char *body, struct egov_test_response *r)
{
    assert_true(egov_test_http(s, method, path, hdrs, body, body ? strlen(body) : 0, r));
}

static void assert_header(const struct egov_test_response *r, const char *name,
                          const char *expect)
{
    char buf[512];
    const char *v = egov_test_response_header(r, name, buf, sizeof buf);
    if (v == NULL)
        fail_msg("header %s missing in:\n%s", name, r->headers);
    if (expect != NULL)
        assert_string_equal(v, expect);
}

static void assert_security_headers(const struct egov_test_response *r)
{
    char buf[512];
    assert_header(r, "X-Content-Type-Options", "nosniff");
    assert_header(r, "X-Frame-Options", "DENY");
    assert_header(r, "Referrer-Policy", "no-referrer");
    assert_header(r, "Cross-Origin-Opener-Policy", "same-origin");
    assert_header(r, "Permissions-Policy", NULL);
    const char *csp = egov_test_response_header(r, "Content-Security-Policy", buf, sizeof buf);
    assert_non_null(csp);
    assert_non_null(strstr(csp, "default-src 'self'"));
    assert_non_null(strstr(csp, "frame-ancestors 'none'"));
    assert_non_null(strstr(csp, "object-src 'none'"));
    assert_header(r, "X-Request-Id", NULL);
}

static json_t *body_json(const struct egov_test_response *r)
{
    json_error_t e;
    json_t *j = json_loadb(r->body, r->body_len, 0, &e);
    if (j == NULL)
        fail_msg("not JSON (%s): %s", e.text, r->body);
    return j;
}

/* Checks the problem+json shape and returns the object (caller decrefs). */
static json_t *assert_problem(const struct egov_test_response *r, long status, const char *name)
{
    char type[128];
    assert_int_equal(r->status, status);
    assert_header(r, "Content-Type", "application/problem+json");
    assert_header(r, "Cache-Control", "no-store");
    assert_security_headers(r);
    json_t *j = body_json(r);
    snprintf(type, sizeof type, "urn:egov:error:%s", name);
    assert_string_equal(json_string_value(json_object_get(j, "type")), type);
    assert_int_equal(json_integer_value(json_object_get(j, "status")), status);
    assert_true(json_is_string(json_object_get(j, "title")));
    assert_true(json_string_length(json_object_get(j, "title")) > 0);
    assert_true(json_is_string(json_object_get(j, "detail")));
    assert_true(json_integer_value(json_object_get(j, "code")) >= 1000);
    return j;
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */
/* ------------------------------------------------------------------ */

static void test_hello_and_head(void **state)
{
    struct egov_test_response r;
    get(*state, "GET", "/t/hello", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_header(&r, "Content-Type", "application/json");
    assert_header(&r, "Cache-Control", "no-store");
    assert_security_headers(&r);
    assert_non_null(strstr(r.body, "\"hello\":\"world\""));
    egov_test_response_free(&r);

    get(*state, "HEAD", "/t/hello", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
    assert_security_headers(&r);
    egov_test_response_free(&r);

    get(*state, "GET", "/t/items/%E4%B8%AD", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"id\":\"\xe4\xb8\xad\""));
    egov_test_response_free(&r);
}

static void test_not_found(void **state)
{
    struct egov_test_response r;
    get(*state, "GET", "/no/such/thing", NULL, NULL, &r);
    json_t *p = assert_problem(&r, 404, "GENERIC_NOT_FOUND");
    assert_int_equal(json_integer_value(json_object_get(p, "code")), 1002);
    assert_string_equal(json_string_value(json_object_get(p, "instance")), "/no/such/thing");
    json_decref(p);
    egov_test_response_free(&r);
}

static void test_method_not_allowed(void **state)
{
    struct egov_test_response r;
    get(*state, "POST", "/t/hello", NULL, "x", &r);
    json_t *p = assert_problem(&r, 405, "GENERIC_METHOD_NOT_ALLOWED");
    assert_header(&r, "Allow", "GET, HEAD, OPTIONS");
    json_decref(p);
    egov_test_response_free(&r);

    get(*state, "PUT", "/t/items/3", NULL, NULL, &r);
    p = assert_problem(&r, 405, "GENERIC_METHOD_NOT_ALLOWED");
    assert_header(&r, "Allow", "GET, HEAD, DELETE, OPTIONS");
    json_decref(p);
    egov_test_response_free(&r);

    get(*state, "OPTIONS", "/t/items/3", NULL, NULL, &r);
    assert_int_equal(r.status, 204);
    assert_header(&r, "Allow", "GET, HEAD, DELETE, OPTIONS");
    assert_security_headers(&r);
    egov_test_response_free(&r);
}

static void test_uri_too_long(void **state)
{
    struct egov_test_response r;
    char path[1600];
    memcpy(path, "/t/hello?q=", 11);
    memset(path + 11, 'a', sizeof path - 12);
    path[sizeof path - 1] = '\0';
    get(*state, "GET", path, NULL, NULL, &r);
    json_t *p = assert_problem(&r, 414, "GENERIC_URI_TOO_LONG");
    json_decref(p);
    egov_test_response_free(&r);

    /* far beyond what the connection may buffer: libmicrohttpd refuses it itself */
    size_t big = 64 * 1024;
    char *huge = malloc(big);
    assert_non_null(huge);
    memcpy(huge, "/t/hello?q=", 11);
    memset(huge + 11, 'b', big - 12);
    huge[big - 1] = '\0';
    get(*state, "GET", huge, NULL, NULL, &r);
    assert_int_equal(r.status, 414);
    egov_test_response_free(&r);
    free(huge);

    get(*state, "GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q", NULL, NULL, &r);
    p = assert_problem(&r, 414, "GENERIC_URI_TOO_LONG");
    json_decref(p);
    egov_test_response_free(&r);
}

static void test_header_too_large(void **state)
{
    struct egov_test_response r;
    static char hdr[6000];
    const char *hdrs[] = {hdr, NULL};
    memcpy(hdr, "X-Big: ", 7);
    memset(hdr + 7, 'h', 4500);
    hdr[4507] = '\0';
    get(*state, "GET", "/t/hello", hdrs, NULL, &r);
    json_t *p = assert_problem(&r, 431, "GENERIC_HEADER_TOO_LARGE");
    json_decref(p);
    egov_test_response_free(&r);

    /* larger than the connection's memory: refused by libmicrohttpd without buffering */
    size_t big = 40 * 1024;
    char *huge = malloc(big);
    assert_non_null(huge);
    memcpy(huge, "X-Huge: ", 8);
    memset(huge + 8, 'H', big - 9);
    huge[big - 1] = '\0';
    const char *hh[] = {huge, NULL};
    get(*state, "GET", "/t/hello", hh, NULL, &r);
    assert_int_equal(r.status, 431);
    egov_test_response_free(&r);
    free(huge);
}

/* POSTs four chunks of 512 bytes (no Content-Length) to @p path; the raw answer into @p resp. */
static void post_chunked(struct egov_test_server *s, const char *path, char *resp, size_t cap)
{
    int fd = egov_test_connect(s->port);
    assert_true(fd >= 0);
    char head[200];
    int hn = snprintf(head, sizeof head,
                      "POST %s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", path);
    assert_int_equal(send(fd, head, (size_t)hn, MSG_NOSIGNAL), (ssize_t)hn);
    char chunk[600];
    int n = snprintf(chunk, sizeof chunk, "200\r\n");
    memset(chunk + n, 'c', 0x200);
    memcpy(chunk + n + 0x200, "\r\n", 2);
    for (int i = 0; i < 4; i++)
        send(fd, chunk, (size_t)n + 0x200 + 2, MSG_NOSIGNAL);
    send(fd, "0\r\n\r\n", 5, MSG_NOSIGNAL);
    egov_test_read_all(fd, resp, cap, 3000);
    close(fd);
}

static void test_body_too_large(void **state)
{
    struct egov_test_server *s = *state;
    struct egov_test_response r;
    char body[2000];
    memset(body, 'x', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    get(s, "POST", "/t/small", NULL, body, &r);
    json_t *p = assert_problem(&r, 413, "GENERIC_BODY_TOO_LARGE");
    json_decref(p);
    egov_test_response_free(&r);

    get(s, "POST", "/t/small", NULL, "12345", &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"size\":5"));
    egov_test_response_free(&r);

    /* chunked, no Content-Length: the limit is enforced while streaming */
    char resp[8192];
    post_chunked(s, "/t/small", resp, sizeof resp);
    if (strncmp(resp, "HTTP/1.1 413", 12) != 0)
        fail_msg("expected 413, got: %.200s", resp);
    assert_non_null(strstr(resp, "X-Content-Type-Options: nosniff"));
}

/* The server's admit check runs before every handler and may answer itself. */
static void test_admit_check(void **state)
{
    struct egov_test_response r;
    static const char *const deny[] = {"X-Deny: 1", NULL};
    static const char *const teapot[] = {"X-Deny: teapot", NULL};
    get(*state, "GET", "/t/items/7", deny, NULL, &r);
    json_t *p = assert_problem(&r, 403, "GENERIC_FORBIDDEN");
    json_decref(p);
    egov_test_response_free(&r);
    get(*state, "GET", "/t/hello", teapot, NULL, &r);
    assert_int_equal(r.status, 418);
    assert_non_null(strstr(r.body, "teapot"));
    egov_test_response_free(&r);
    get(*state, "GET", "/t/hello", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    egov_test_response_free(&r);
}

/* A route that sees its refusals answers them itself, for Content-Length and chunked bodies. */
static void test_body_refusal_seen_by_route(void **state)
{
    struct egov_test_server *s = *state;
    struct egov_test_response r;
    char body[2000];
    memset(body, 'x', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    get(s, "POST", "/t/refusals", NULL, body, &r);
    assert_int_equal(r.status, 422);
    assert_non_null(strstr(r.body, "\"too_large\":true"));
    egov_test_response_free(&r);
    get(s, "POST", "/t/refusals", NULL, "small", &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"size\":5"));
    egov_test_response_free(&r);

    char resp[8192];
    post_chunked(s, "/t/refusals", resp, sizeof resp);
    if (strncmp(resp, "HTTP/1.1 422", 12) != 0)
        fail_msg("expected 422, got: %.200s", resp);
}

struct deferred_call {
    struct egov_test_server *srv;
    long status;
    bool header;
};

static void *deferred_client(void *arg)
{
    struct deferred_call *c = arg;
    struct egov_test_response r;
    if (egov_test_http(c->srv, "GET", "/t/deferred", NULL, NULL, 0, &r)) {
        c->status = r.status;
        c->header = r.headers != NULL && strstr(r.headers, "X-Deferred: yes") != NULL;
        egov_test_response_free(&r);
    }
    return NULL;
}

/*
 * Suspended requests hold no server thread: twelve calls that each wait
 * 200 ms elsewhere finish together on a two-thread server, and a plain
 * request is answered at once meanwhile.
 */
static void test_suspended_requests(void **state)
{
    struct egov_test_server *s = *state;
    enum { N = 12 };
    pthread_t th[N];
    struct deferred_call calls[N];
    int64_t t0 = egov_mono_us();
    for (int i = 0; i < N; i++) {
        calls[i] = (struct deferred_call){s, 0, false};
        assert_int_equal(pthread_create(&th[i], NULL, deferred_client, &calls[i]), 0);
    }
    struct timespec ts = {0, 50 * 1000000L};
    nanosleep(&ts, NULL);
    struct egov_test_response r;
    int64_t h0 = egov_mono_us();
    get(s, "GET", "/t/hello", NULL, NULL, &r);
    int64_t hello_us = egov_mono_us() - h0;
    assert_int_equal(r.status, 200);
    egov_test_response_free(&r);
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(calls[i].status, 200);
        assert_true(calls[i].header);
    }
    int64_t took = egov_mono_us() - t0;
    /* serially on two threads this would take 6 x 200 ms */
    if (took > 1000000)
        fail_msg("12 suspended calls took %lld us", (long long)took);
    if (hello_us > 150000)
        fail_msg("a plain request waited %lld us behind suspended ones", (long long)hello_us);
}

/* A client that goes away while its request is suspended does not stall shutdown. */
static void test_suspended_client_gone(void **state)
{
    struct egov_test_server s2;
    struct egov_server_options o = test_options();
    assert_true(egov_test_inproc_start(all_tables, &o, &s2));
    int fd = egov_test_connect(s2.port);
    assert_true(fd >= 0);
    const char *rq = "GET /t/deferred HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(send(fd, rq, strlen(rq), MSG_NOSIGNAL), (ssize_t)strlen(rq));
    struct timespec ts = {0, 50 * 1000000L};
    nanosleep(&ts, NULL);
    close(fd);
    ts.tv_nsec = 400 * 1000000L; /* the worker resumes after 200 ms */
    nanosleep(&ts, NULL);
    int64_t t0 = egov_mono_us();
    egov_server_stop(s2.inproc, 2000);
    assert_true(egov_mono_us() - t0 < 1500000);
    egov_test_inproc_stop(&s2, 0);
    (void)state;
}

static void test_json_bodies(void **state)
{
    struct egov_test_response r;
    const char *json_ct[] = {"Content-Type: application/json", NULL};
    const char *text_ct[] = {"Content-Type: text/plain", NULL};

    get(*state, "POST", "/t/echo", json_ct, "{\"name\":\"Lin\",\"age\":30}", &r);
    assert_int_equal(r.status, 201);
    assert_non_null(strstr(r.body, "\"age\":30"));
    egov_test_response_free(&r);

    get(*state, "POST", "/t/echo", json_ct, "{\"name\":\n \"Lin\" \"age\":30}", &r);
    json_t *p = assert_problem(&r, 400, "GENERIC_JSON_INVALID");
    const char *d = json_string_value(json_object_get(p, "detail"));
    assert_non_null(strstr(d, "line 2"));
    assert_non_null(strstr(d, "column"));
    assert_non_null(strstr(d, "position"));
    json_decref(p);
    egov_test_response_free(&r);

    get(*state, "POST", "/t/echo", text_ct, "{\"name\":\"Lin\",\"age\":30}", &r);
    p = assert_problem(&r, 415, "GENERIC_UNSUPPORTED_MEDIA_TYPE");
    assert_string_equal(json_string_value(json_object_get(p, "field")), "Content-Type");
    json_decref(p);
    egov_test_response_free(&r);

    get(*state, "POST", "/t/echo", json_ct, "{\"name\":\"Lin\",\"age\":300}", &r);
    assert_int_equal(r.status, 400);
    p = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(p, "field")), "age");
    json_decref(p);
    egov_test_response_free(&r);

    get(*state, "POST", "/t/echo", json_ct, "{\"age\":3}", &r);
    assert_int_equal(r.status, 400);
    p = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(p, "field")), "name");
    json_decref(p);
    egov_test_response_free(&r);

    get(*state, "POST", "/t/echo", json_ct, "{\"name\":\"\xff\",\"age\":3}", &r);
    p = assert_problem(&r, 400, "GENERIC_UTF8_INVALID");
    json_decref(p);
    egov_test_response_free(&r);
}

static void test_form_body(void **state)
{
    struct egov_test_response r;
    const char *ct[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    get(*state, "POST", "/t/form", ct, "a=1&b=%E4%B8%AD+x", &r);
    assert_int_equal(r.status, 200);
    json_t *j = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "a")), "1");
    assert_string_equal(json_string_value(json_object_get(j, "b")), "\xe4\xb8\xad x");
    json_decref(j);
    egov_test_response_free(&r);

    /* a decoded value or name that is not UTF-8 is refused, not silently dropped */
    get(*state, "POST", "/t/form", ct, "a=%ff&b=1", &r);
    json_decref(assert_problem(&r, 400, "GENERIC_UTF8_INVALID"));
    egov_test_response_free(&r);
    get(*state, "POST", "/t/form", ct, "b=1&%fe=2", &r);
    json_decref(assert_problem(&r, 400, "GENERIC_UTF8_INVALID"));
    egov_test_response_free(&r);
}

/* A path that decodes to bytes that are not UTF-8: 400, as problem JSON (not 503). */
static void test_path_not_utf8(void **state)
{
    struct egov_test_response r;
    get(*state, "GET", "/t/items/%ff", NULL, NULL, &r);
    json_decref(assert_problem(&r, 400, "GENERIC_UTF8_INVALID"));
    egov_test_response_free(&r);
    get(*state, "GET", "/nowhere/%c0%af", NULL, NULL, &r);
    json_decref(assert_problem(&r, 400, "GENERIC_UTF8_INVALID"));
    egov_test_response_free(&r);
    /* %00 would cut the decoded path short ("/t/items/1") */
    get(*state, "GET", "/t/items/1%00.png", NULL, NULL, &r);
    json_decref(assert_problem(&r, 400, "GENERIC_UTF8_INVALID"));
    egov_test_response_free(&r);
    /* in the query it is left to the handler */
    get(*state, "GET", "/t/items/1?x=%00", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    egov_test_response_free(&r);
    /* well-formed UTF-8 in a parameter still reaches the handler */
    get(*state, "GET", "/t/items/%e4%b8%ad", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"id\":\"\xe4\xb8\xad\""));
    egov_test_response_free(&r);
}

static void test_html_errors_and_views(void **state)
{
    struct egov_test_response r;
    const char *html[] = {"Accept: text/html,application/xhtml+xml,*/*;q=0.8", NULL};
    get(*state, "GET", "/nothing/here", html, NULL, &r);
    assert_int_equal(r.status, 404);
    assert_header(&r, "Content-Type", "text/html; charset=utf-8");
    assert_security_headers(&r);
    assert_non_null(strstr(r.body, "<html"));
    assert_non_null(strstr(r.body, "404"));
    egov_test_response_free(&r);

    get(*state, "GET", "/t/view", html, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_header(&r, "Content-Type", "text/html; charset=utf-8");
    assert_non_null(strstr(r.body, "<html"));
    assert_non_null(strstr(r.body, "All &lt;good&gt;"));
    assert_null(strstr(r.body, "All <good>"));
    egov_test_response_free(&r);

    get(*state, "GET", "/t/view", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_header(&r, "Content-Type", "application/json");
    assert_non_null(strstr(r.body, "All <good>"));
    egov_test_response_free(&r);
}

static void test_request_id_and_cookie(void **state)
{
    struct egov_test_response r;
    char buf[256];
    const char *given[] = {"X-Request-Id: trace-42.abc", NULL};
    get(*state, "GET", "/t/hello", given, NULL, &r);
    assert_header(&r, "X-Request-Id", "trace-42.abc");
    /* the handler's log context carries the same id */
    assert_non_null(strstr(r.body, "\"rid\":\"trace-42.abc\""));
    egov_test_response_free(&r);

    const char *bad[] = {"X-Request-Id: has spaces in it", NULL};
    get(*state, "GET", "/t/hello", bad, NULL, &r);
    const char *id = egov_test_response_header(&r, "X-Request-Id", buf, sizeof buf);
    assert_non_null(id);
    assert_true(egov_uuid_valid(id));
    egov_test_response_free(&r);

    get(*state, "GET", "/t/cookie", NULL, NULL, &r);
    assert_header(&r, "Set-Cookie", "sid=abc123; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax");
    egov_test_response_free(&r);
}

/*
 * Sends @p text a byte every @p pause_ms on @p fd until the server cuts the
 * connection (true) or 6 s pass (false); *@p took_us is the time spent.
 */
static bool trickle(int fd, const char *text, long pause_ms, int64_t *took_us)
{
    int64_t start = egov_mono_us();
    bool cut = false;
    for (size_t i = 0; text[i] != '\0'; i++) {
        if (send(fd, text + i, 1, MSG_NOSIGNAL) != 1) {
            cut = true;
            break;
        }
        char c;
        if (recv(fd, &c, 1, MSG_DONTWAIT) == 0) {
            cut = true;
            break;
        }
        struct timespec ts = {0, pause_ms * 1000000L};
        nanosleep(&ts, NULL);
        if (egov_mono_us() - start > 6000000)
            break;
    }
    *took_us = egov_mono_us() - start;
    return cut;
}

static void test_slow_client_cut_off(void **state)
{
    struct egov_test_server *s = *state;
    const char *req = "GET /t/hello HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    int fd = egov_test_connect(s->port);
    assert_true(fd >= 0);
    int64_t took = 0;
    bool cut = trickle(fd, req, 400, &took);
    close(fd);
    assert_true(cut);
    assert_true(took >= 2000000);
    assert_true(took < 4500000);
}

struct slow_call {
    struct egov_test_server *srv;
    long status;
};

/*
 * The same on a kept-alive connection: after a first request is answered,
 * the next request line trickling in a byte at a time is cut off too.
 */
static void test_slow_second_request_cut_off(void **state)
{
    struct egov_test_server *s = *state;
    const char *first = "GET /t/hello HTTP/1.1\r\nHost: localhost\r\n\r\n";
    const char *next = "GET /t/hello?aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n";
    char buf[4096];
    int fd = egov_test_connect(s->port);
    assert_true(fd >= 0);
    assert_int_equal(send(fd, first, strlen(first), MSG_NOSIGNAL), (ssize_t)strlen(first));
    /* read the first answer (the connection stays open) */
    size_t got = egov_test_read_all(fd, buf, sizeof buf, 500);
    assert_true(got > 12);
    assert_memory_equal(buf, "HTTP/1.1 200", 12);
    int64_t took = 0;
    bool cut = trickle(fd, next, 300, &took);
    close(fd);
    assert_true(cut);
    assert_true(took < 4500000);
}

static void *slow_thread(void *arg)
{
    struct slow_call *c = arg;
    struct egov_test_response r;
    if (egov_test_http(c->srv, "GET", "/t/slow", NULL, NULL, 0, &r)) {
        c->status = r.status;
        egov_test_response_free(&r);
    }
    return NULL;
}

static void test_graceful_shutdown(void **state)
{
    struct egov_test_server s2;
    struct egov_server_options o = test_options();
    pthread_t th;
    assert_true(egov_test_inproc_start(all_tables, &o, &s2));
    struct slow_call call = {&s2, 0};
    assert_int_equal(pthread_create(&th, NULL, slow_thread, &call), 0);
    struct timespec ts = {0, 300 * 1000000L};
    nanosleep(&ts, NULL);
    int64_t t0 = egov_mono_us();
    egov_server_stop(s2.inproc, 5000);
    int64_t took = egov_mono_us() - t0;
    pthread_join(th, NULL);
    assert_int_equal(call.status, 200);
    assert_true(took < 4000000);
    /* no longer accepting */
    assert_true(egov_test_connect(s2.port) < 0);
    egov_test_inproc_stop(&s2, 0);
    (void)state;
}

static void test_core_routes_and_metrics(void **state)
{
    struct egov_test_response r;
    get(*state, "GET", "/healthz", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"status\":\"ok\"}");
    assert_security_headers(&r);
    egov_test_response_free(&r);

    get(*state, "GET", "/readyz", NULL, NULL, &r);
    json_t *p = assert_problem(&r, 503, "DB_UNREACHABLE");
    json_decref(p);
    egov_test_response_free(&r);

    get(*state, "GET", "/t/hello", NULL, NULL, &r);
    egov_test_response_free(&r);
    get(*state, "GET", "/metrics", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_header(&r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    assert_non_null(
        strstr(r.body, "egov_http_requests_total{route=\"/t/hello\",method=\"GET\",status=\"200\"}"));
    assert_non_null(
        strstr(r.body, "egov_http_requests_total{route=\"/readyz\",method=\"GET\",status=\"503\"}"));
    assert_non_null(strstr(
        r.body, "egov_http_request_duration_seconds_bucket{route=\"/t/hello\",le=\"0.0005\"}"));
    assert_non_null(
        strstr(r.body, "egov_http_request_duration_seconds_bucket{route=\"/t/hello\",le=\"+Inf\"}"));
    assert_non_null(strstr(r.body, "egov_http_request_duration_seconds_count{route=\"/t/hello\"}"));
    /* the /metrics request itself is in flight */
    assert_non_null(strstr(r.body, "egov_http_in_flight 1\n"));
    assert_non_null(strstr(r.body, "process_resident_memory_bytes "));
    assert_non_null(strstr(r.body, "process_start_time_seconds "));
    egov_test_response_free(&r);
}

static void test_readyz_with_db(void **state)
{
    struct egov_test_server s2;
    struct egov_server_options o = test_options();
    struct egov_test_response r;
    char err[256];
    o.db = egov_test_db_open();
    assert_non_null(o.db);
    egov_db_register_migrations(&egov_store_migrations);
    assert_true(egov_db_migrate(o.db, NULL, NULL, err, sizeof err) >= 0);
    assert_true(egov_test_inproc_start(all_tables, &o, &s2));
    get(&s2, "GET", "/readyz", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    json_t *j = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "ready");
    assert_string_equal(json_string_value(json_object_get(j, "db")), egov_db_kind_name(o.db));
    json_decref(j);
    egov_test_response_free(&r);
    get(&s2, "GET", "/metrics", NULL, NULL, &r);
    assert_non_null(strstr(r.body, "egov_db_pool_size "));
    assert_non_null(strstr(r.body, "egov_db_pool_in_use "));
    assert_non_null(strstr(r.body, "egov_jobs{state=\"pending\"} 0\n"));
    egov_test_response_free(&r);
    egov_test_inproc_stop(&s2, 1000);
    egov_db_close(o.db);
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hello_and_head),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_method_not_allowed),
        cmocka_unit_test(test_uri_too_long),
        cmocka_unit_test(test_header_too_large),
        cmocka_unit_test(test_body_too_large),
        cmocka_unit_test(test_admit_check),
        cmocka_unit_test(test_body_refusal_seen_by_route),
        cmocka_unit_test(test_suspended_requests),
        cmocka_unit_test(test_suspended_client_gone),
        cmocka_unit_test(test_json_bodies),
        cmocka_unit_test(test_form_body),
        cmocka_unit_test(test_html_errors_and_views),
        cmocka_unit_test(test_request_id_and_cookie),
        cmocka_unit_test(test_slow_client_cut_off),
        cmocka_unit_test(test_slow_second_request_cut_off),
        cmocka_unit_test(test_path_not_utf8),
        cmocka_unit_test(test_graceful_shutdown),
        cmocka_unit_test(test_core_routes_and_metrics),
        cmocka_unit_test(test_readyz_with_db),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
