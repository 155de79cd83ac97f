/*
 * test_http_garbage.c -- throws a few thousand random and mutated raw HTTP
 * requests (from a fixed seed) at an in-process server over raw sockets,
 * many connections at a time: malformed request lines, huge and odd
 * headers, bad percent-encoding, NULs, invalid UTF-8, truncated and
 * chunked bodies, pipelining.  The server must never answer 500 (our bug)
 * or crash, and must still answer /healthz afterwards; the sanitizers
 * catch memory errors and leaks.
 *
 * EGOV_GARBAGE_SEED and EGOV_GARBAGE_ROUNDS override the seed and the
 * number of requests for longer runs by hand.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define DEFAULT_SEED   20261127u
#define DEFAULT_ROUNDS 2000u
#define BATCH          48
#define BATCH_WAIT_MS  300
#define MAX_REQ        (96 * 1024)
#define MAX_RESP       (64 * 1024)

/* ------------------------------------------------------------------ */
/* Routes                                                              */
/* ------------------------------------------------------------------ */

static const char *valid_or_null(const char *s)
{
    return (s != NULL && egov_utf8_valid(s, strlen(s), NULL)) ? s : NULL;
}

static void h_item(struct egov_req *req)
{
    egov_reply_json(req, 200, json_pack("{s:s?}", "id", valid_or_null(egov_req_param(req, "id"))));
}

static void h_info(struct egov_req *req)
{
    egov_reply_json(req, 200,
                    json_pack("{s:s?, s:s?, s:s?, s:s, s:I}", "q",
                              valid_or_null(egov_req_query(req, "q")), "sid",
                              valid_or_null(egov_req_cookie(req, "sid")), "thing",
                              valid_or_null(egov_req_header(req, "X-Thing")), "lang", req->lang,
                              "body", (json_int_t)req->body_len));
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

static void h_form(struct egov_req *req)
{
    egov_reply_json(req, 200, req->form ? json_deep_copy(req->form) : json_object());
}

static void h_view(struct egov_req *req)
{
    egov_reply_view(req, 200, "error", "Status",
                    json_pack("{s:s, s:s, s:i}", "title", "Status", "detail", "ok", "status", 200));
}

static void h_problem(struct egov_req *req)
{
    egov_reply_problem(req, EGOV_EC_GENERIC_BAD_REQUEST, "field", NULL);
}

static const struct egov_route garbage_routes[] = {
    {EGOV_M_GET | EGOV_M_DELETE, "/g/items/{id}", h_item, 0, 0, NULL},
    {EGOV_M_GET | EGOV_M_POST | EGOV_M_PUT, "/g/info", h_info, 0, 0, NULL},
    {EGOV_M_POST, "/g/echo", h_echo, 4096, EGOV_ROUTE_JSON_BODY, NULL},
    {EGOV_M_POST, "/g/form", h_form, 4096, EGOV_ROUTE_FORM_BODY, NULL},
    {EGOV_M_GET, "/g/view", h_view, 0, 0, NULL},
    {EGOV_M_GET, "/g/{a}/{b}/problem", h_problem, 0, 0, NULL},
    EGOV_ROUTE_END,
};
static const struct egov_route_table garbage_table = {"garbage", garbage_routes};
static const struct egov_route_table *const all_tables[] = {&egov_http_core_routes, &garbage_table,
                                                            NULL};

/* ------------------------------------------------------------------ */
/* Random requests                                                     */
/* ------------------------------------------------------------------ */

static uint64_t rng_state;

static uint32_t rnd(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

static uint32_t below(uint32_t n)
{
    return n ? rnd() % n : 0;
}

static bool chance(uint32_t percent)
{
    return below(100) < percent;
}

static const char *pick(const char *const *list, size_t n)
{
    return list[below((uint32_t)n)];
}
#define PICK(a) pick((a), sizeof(a) / sizeof((a)[0]))

static const char *const methods[] = {"GET",    "GET",  "POST",   "POST",    "PUT",
                                      "DELETE", "HEAD", "PATCH",  "OPTIONS", "TRACE",
                                      "BREW",   "",     "G\x01T", "get",     "CONNECT"};
static const char *const paths[] = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/g/items/42",
    "/g/items/",
    "/g/info",
    "/g/echo",
    "/g/form",
    "/g/view",
    "/g/x/y/problem",
    "/static/",
    "/static/css/egov.css",
    "/static/../etc/passwd",
    "/static/.hidden",
    "/",
    "",
    "*",
    "http://example.org/g/info",
    "//g//info",
    "/g/items/%ff",
    "/g/items/%00",
    "/g/items/%2e%2e",
    "/%",
    "/%zz",
    "/%e4%b8",
    "/g/%c0%af/b/problem",
    "/g/info?q=%ff%fe",
    "/g/info?q=%",
    "/g/info?&&==&q",
    "/g/info?lang=%ff",
    "/g/info?lang=zh-TW",
    "/g/info?lang=en&lang=zh-TW",
    "/static/%2e%2e/%2e%2e/etc/passwd",
    "/g/items/\xe4\xb8\xad",
    "/g/items/\xff\xfe",
    "/g/view?lang=zh-TW",
};
static const char *const versions[] = {"HTTP/1.1",
                                       "HTTP/1.1",
                                       "HTTP/1.1",
                                       "HTTP/1.0",
                                       "HTTP/0.9",
                                       "HTTP/2.0",
                                       "HTTP/1.",
                                       "http/1.1",
                                       "HTTP/1.1 extra",
                                       "",
                                       "HTTP/11111111111111111111.1"};
static const char *const content_types[] = {"application/json",
                                            "application/json; charset=utf-8",
                                            "application/json; charset=latin1",
                                            "application/x-www-form-urlencoded",
                                            "multipart/form-data; boundary=XyZ",
                                            "multipart/form-data",
                                            "text/plain",
                                            "application/problem+json",
                                            "",
                                            ";;;",
                                            "application/json; charset=\"",
                                            "application/vnd.egov+json"};
static const char *const accepts[] = {"text/html",
                                      "application/json",
                                      "*/*",
                                      "text/html;q=0.9, application/json;q=0.8",
                                      "text/html;q=",
                                      "text/html;q=1.0000000",
                                      ";q=0.5",
                                      ",,,,",
                                      "text/html;;;;q=0.1;q",
                                      "application/*;q=0.x",
                                      "\xff\xfe"};
static const char *const languages[] = {"zh-TW",   "en",   "zh-TW;q=0.1, en;q=0.9",
                                        "*",       "",     "zh-Hant-TW,zh;q=0.9",
                                        "xx-\xff", ";q=1", ",;,"};
static const char *const cookies[] = {"sid=abc",       "lang=zh-TW", "lang=\xff",
                                      "=;=;=",         ";",          "sid=\"quoted\"; lang=en",
                                      "a=b; a=c; ; ;", "sid=%ff"};
static const char *const json_bodies[] = {"{\"name\":\"Ann\",\"age\":30}",
                                          "{\"name\":\"\",\"age\":-1}",
                                          "{\"name\":1}",
                                          "[]",
                                          "{",
                                          "{\"a\":",
                                          "\"\\u0000\"",
                                          "{\"name\":\"\\ud800\"}",
                                          "{\"name\":\"x\",\"name\":\"y\"}",
                                          "null",
                                          "1e999999",
                                          "{\"age\":99999999999999999999999}",
                                          "\xff\xfe{}",
                                          "{\"name\":\"\xe4\xb8\"}"};
static const char *const form_bodies[] = {
    "a=1&b=2",
    "a=%ff",
    "%ff=1",
    "a",
    "=",
    "&&&",
    "a=%",
    "a=%zz",
    "name=%e4%b8%ad",
    "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--XyZ--\r\n",
    "--XyZ\r\nContent-Disposition: form-data; name=\"\xff\"\r\n\r\n\xff\r\n--XyZ--\r\n",
    "--XyZ\r\n\r\n",
    "--XyZ--"};

struct reqbuf {
    char data[MAX_REQ];
    size_t len;
};

static void put(struct reqbuf *b, const void *p, size_t n)
{
    if (n > sizeof b->data - b->len)
        n = sizeof b->data - b->len;
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void puts_(struct reqbuf *b, const char *s)
{
    put(b, s, strlen(s));
}

static void putf(struct reqbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct reqbuf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void put_random_bytes(struct reqbuf *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = (char)below(256);
        put(b, &c, 1);
    }
}

static void put_repeat(struct reqbuf *b, char c, size_t n)
{
    for (size_t i = 0; i < n && b->len < sizeof b->data; i++)
        b->data[b->len++] = c;
}

/* A random path: a known one, mutated with percent-escapes, long runs or many segments. */
static void put_path(struct reqbuf *b)
{
    puts_(b, PICK(paths));
    switch (below(8)) {
    case 0:
        putf(b, "%%%02x", below(256));
        break;
    case 1:
        put_repeat(b, 'a', below(3000));
        break;
    case 2:
        for (uint32_t i = below(40); i > 0; i--)
            puts_(b, "/s");
        break;
    case 3:
        puts_(b, "?q=");
        put_random_bytes(b, below(12));
        break;
    case 4:
        puts_(b, "?lang=");
        puts_(b, PICK(languages));
        break;
    default:
        break;
    }
}

static void put_body(struct reqbuf *b, const char *body, size_t len, bool chunked, bool truncate)
{
    if (truncate && len > 0)
        len = below((uint32_t)len);
    if (!chunked) {
        put(b, body, len);
        return;
    }
    size_t off = 0;
    while (off < len) {
        size_t n = 1 + below((uint32_t)(len - off));
        if (chance(5))
            puts_(b, "zz");
        else
            putf(b, "%zx", n);
        if (chance(10))
            puts_(b, ";ext=1");
        puts_(b, "\r\n");
        put(b, body + off, n);
        puts_(b, "\r\n");
        off += n;
    }
    if (!truncate)
        puts_(b, chance(90) ? "0\r\n\r\n" : "0\r\nTrailer: x\r\n\r\n");
}

/* One request, mostly well formed, appended to @p b. */
static void build_request(struct reqbuf *b, bool *closes)
{
    const char *method = PICK(methods);
    char body[8192];
    size_t body_len = 0;

    puts_(b, method);
    puts_(b, chance(95) ? " " : (chance(50) ? "  " : "\t"));
    put_path(b);
    if (chance(97)) {
        puts_(b, " ");
        puts_(b, PICK(versions));
    }
    puts_(b, chance(95) ? "\r\n" : "\n");
    if (chance(90))
        puts_(b, "Host: x\r\n");
    if (chance(40))
        putf(b, "Accept: %s\r\n", PICK(accepts));
    if (chance(30))
        putf(b, "Accept-Language: %s\r\n", PICK(languages));
    if (chance(30))
        putf(b, "Cookie: %s\r\n", PICK(cookies));
    if (chance(15))
        puts_(b, "Accept-Encoding: gzip;q=0.5, *;q=0\r\n");
    if (chance(10))
        puts_(b, "If-None-Match: W/\"x\", \"\", *\r\n");
    if (chance(20)) {
        puts_(b, "X-Request-Id: ");
        if (chance(50))
            put_repeat(b, 'r', below(300));
        else
            put_random_bytes(b, below(20));
        puts_(b, "\r\n");
    }
    if (chance(15)) {
        puts_(b, "X-Thing: ");
        put_random_bytes(b, below(30));
        puts_(b, "\r\n");
    }
    if (chance(5)) {
        puts_(b, "X-Big: ");
        put_repeat(b, 'h', below(20000));
        puts_(b, "\r\n");
    }
    if (chance(5))
        for (uint32_t i = below(300); i > 0; i--)
            putf(b, "X-H%u: v\r\n", i);
    if (chance(3))
        puts_(b, ": empty-name\r\n");
    if (chance(3))
        puts_(b, "No-Colon\r\n");
    if (chance(3))
        puts_(b, " folded: continuation\r\n");

    /* a body for some */
    bool form = chance(50);
    if (chance(60)) {
        const char *src = form ? PICK(form_bodies) : PICK(json_bodies);
        body_len = strlen(src);
        memcpy(body, src, body_len);
        if (chance(10)) {
            size_t extra = below((uint32_t)(sizeof body - body_len));
            for (size_t i = 0; i < extra; i++)
                body[body_len + i] = (char)below(256);
            body_len += extra;
        }
    }
    if (body_len > 0 || chance(20))
        putf(b, "Content-Type: %s\r\n", form ? PICK(content_types) : "application/json");
    bool chunked = body_len > 0 && chance(25);
    bool truncate = chance(8);
    if (chunked) {
        puts_(b, "Transfer-Encoding: chunked\r\n");
        if (chance(10))
            putf(b, "Content-Length: %zu\r\n", body_len);
    } else if (body_len > 0 || chance(10)) {
        switch (below(10)) {
        case 0:
            puts_(b, "Content-Length: -1\r\n");
            break;
        case 1:
            puts_(b, "Content-Length: 99999999999999999999999\r\n");
            break;
        case 2:
            putf(b, "Content-Length: %zu\r\nContent-Length: 3\r\n", body_len);
            break;
        case 3:
            putf(b, "Content-Length: +%zu\r\n", body_len);
            break;
        case 4:
            putf(b, "Content-Length: %zu\r\n", body_len + below(100));
            break;
        default:
            putf(b, "Content-Length: %zu\r\n", body_len);
            break;
        }
    }
    *closes = chance(85);
    if (*closes)
        puts_(b, "Connection: close\r\n");
    puts_(b, "\r\n");
    put_body(b, body, body_len, chunked, truncate);
}

/* Flips, inserts or deletes a few bytes. */
static void mutate(struct reqbuf *b)
{
    static const char specials[] = {'\0', '\r', '\n', ' ', ':', '%', '/', '?', '\xff', '\x80'};
    for (uint32_t k = 1 + below(4); k > 0 && b->len > 0; k--) {
        size_t at = below((uint32_t)b->len);
        switch (below(3)) {
        case 0:
            b->data[at] = chance(50) ? (char)below(256) : specials[below(sizeof specials)];
            break;
        case 1:
            if (b->len < sizeof b->data) {
                memmove(b->data + at + 1, b->data + at, b->len - at);
                b->data[at] = specials[below(sizeof specials)];
                b->len++;
            }
            break;
        default:
            memmove(b->data + at, b->data + at + 1, b->len - at - 1);
            b->len--;
            break;
        }
    }
}

static void make_request(struct reqbuf *b, bool *closes)
{
    b->len = 0;
    *closes = false;
    if (chance(3)) {
        put_random_bytes(b, below(200));
        return;
    }
    build_request(b, closes);
    if (chance(10)) {
        /* pipelining: a second (and maybe third) request on the same connection */
        bool c2 = false;
        build_request(b, &c2);
        if (chance(30))
            build_request(b, &c2);
        *closes = *closes || c2;
    }
    if (chance(25)) {
        mutate(b);
        *closes = false; /* who knows */
    }
}

/* ------------------------------------------------------------------ */
/* Driving connections                                                 */
/* ------------------------------------------------------------------ */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct slot {
    int fd;
    struct reqbuf req;
    char *resp;
    size_t resp_len;
    bool open;
};

static void hexdump_request(const struct reqbuf *b)
{
    fprintf(stderr, "request (%zu bytes): \"", b->len);
    for (size_t i = 0; i < b->len && i < 600; i++) {
        unsigned char c = (unsigned char)b->data[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            fputc(c, stderr);
        else
            fprintf(stderr, "\\x%02x", c);
    }
    fprintf(stderr, "%s\"\n", b->len > 600 ? "..." : "");
}

/*
 * Every status line in the bytes received must be HTTP/1.x with a status
 * other than 500 and 503 (the database is there, memory is plenty).
 */
static bool response_ok(const struct slot *sl)
{
    const char *p = sl->resp;
    if (sl->resp_len == 0)
        return true;
    if (strncmp(p, "HTTP/1.", 7) != 0)
        return false;
    for (const char *h = p; (h = strstr(h, "HTTP/1.")) != NULL; h += 7) {
        if (h != p && h[-1] != '\n' && h[-1] != '}' && h[-1] != '>')
            continue; /* inside a body */
        int status = atoi(h + 9);
        if (status == 500 || status == 503)
            return false;
    }
    return true;
}

/* Sends one batch of requests over parallel connections; false on a bad answer. */
static bool run_batch(unsigned int port, struct slot *slots, size_t n)
{
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        struct slot *sl = &slots[i];
        bool closes = false;
        make_request(&sl->req, &closes);
        sl->resp_len = 0;
        sl->fd = egov_test_connect(port);
        sl->open = sl->fd >= 0;
        if (!sl->open)
            continue;
        size_t off = 0;
        while (off < sl->req.len) {
            ssize_t w =
                send(sl->fd, sl->req.data + off, sl->req.len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w <= 0)
                break; /* the server may have answered and closed already */
            off += (size_t)w;
        }
        if (closes || chance(50))
            shutdown(sl->fd, SHUT_WR);
    }
    int64_t deadline = now_ms() + BATCH_WAIT_MS;
    for (;;) {
        struct pollfd pfd[BATCH];
        size_t map[BATCH];
        nfds_t np = 0;
        for (size_t i = 0; i < n; i++) {
            if (slots[i].open) {
                pfd[np].fd = slots[i].fd;
                pfd[np].events = POLLIN;
                pfd[np].revents = 0;
                map[np++] = i;
            }
        }
        int64_t left = deadline - now_ms();
        if (np == 0 || left <= 0)
            break;
        if (poll(pfd, np, (int)left) <= 0)
            break;
        for (nfds_t k = 0; k < np; k++) {
            if (pfd[k].revents == 0)
                continue;
            struct slot *sl = &slots[map[k]];
            ssize_t r = recv(sl->fd, sl->resp + sl->resp_len, MAX_RESP - 1 - sl->resp_len, 0);
            if (r > 0) {
                sl->resp_len += (size_t)r;
                if (sl->resp_len < MAX_RESP - 1)
                    continue;
            }
            sl->open = false; /* closed, reset or full */
        }
    }
    for (size_t i = 0; i < n; i++) {
        struct slot *sl = &slots[i];
        if (sl->fd >= 0)
            close(sl->fd);
        sl->fd = -1;
        sl->resp[sl->resp_len] = '\0';
        if (ok && !response_ok(sl)) {
            hexdump_request(&sl->req);
            fprintf(stderr, "answer: %.300s\n", sl->resp);
            ok = false;
        }
    }
    return ok;
}

static void assert_healthy(struct egov_test_server *srv)
{
    struct egov_test_response r;
    assert_true(egov_test_http(srv, "GET", "/healthz", NULL, NULL, 0, &r));
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"status\":\"ok\""));
    egov_test_response_free(&r);
}

static unsigned long env_ulong(const char *name, unsigned long dflt)
{
    const char *v = getenv(name);
    char *end = NULL;
    if (v == NULL || *v == '\0')
        return dflt;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    return (errno == 0 && end != NULL && *end == '\0') ? n : dflt;
}

static void test_garbage(void **state)
{
    (void)state;
    struct egov_test_server srv;
    struct egov_server_options o;
    static struct slot slots[BATCH];

    memset(&o, 0, sizeof o);
    o.threads = 2;
    o.datadir = getenv("EGOV_DATADIR");
    o.limits.max_url = 2048;
    o.limits.max_header = 8192;
    o.limits.max_body = 16 * 1024;
    o.limits.conn_timeout_s = 2;
    o.limits.max_segments = 16;
    o.log_requests = false;
    char err[256];
    struct egov_db *db = egov_db_open("sqlite::memory:", NULL, err, sizeof err);
    if (db == NULL)
        fail_msg("%s", err);
    o.db = db;                          /* so that /readyz answers 200 */
    egov_log_set_level(EGOV_LOG_ERROR); /* thousands of refused requests */
    assert_true(egov_test_inproc_start(all_tables, &o, &srv));

    unsigned long seed = env_ulong("EGOV_GARBAGE_SEED", DEFAULT_SEED);
    unsigned long rounds = env_ulong("EGOV_GARBAGE_ROUNDS", DEFAULT_ROUNDS);
    rng_state = 0x9e3779b97f4a7c15ULL ^ (uint64_t)seed;
    for (size_t i = 0; i < BATCH; i++) {
        slots[i].resp = malloc(MAX_RESP);
        slots[i].fd = -1;
        assert_non_null(slots[i].resp);
    }
    bool ok = true;
    int64_t t0 = now_ms();
    for (unsigned long done = 0; ok && done < rounds; done += BATCH) {
        size_t n = rounds - done < BATCH ? (size_t)(rounds - done) : BATCH;
        ok = run_batch(srv.port, slots, n);
        if (done % (BATCH * 10) == 0)
            assert_healthy(&srv);
    }
    fprintf(stderr, "%lu requests from seed %lu in %lld ms\n", rounds, seed,
            (long long)(now_ms() - t0));
    for (size_t i = 0; i < BATCH; i++)
        free(slots[i].resp);
    if (!ok) {
        egov_test_inproc_stop(&srv, 0);
        egov_db_close(db);
        fail_msg("the server answered garbage with a server error (seed %lu)", seed);
    }
    assert_healthy(&srv);
    egov_test_inproc_stop(&srv, 2000);
    egov_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
