/*
 * test_static.c -- static assets: content types, strong ETags, 304, gzip,
 * path traversal refused, security headers, and the built-in error page
 * when a data directory has no templates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "testlib.h"

static char datadir[512];
static char css[4096];

static void write_file(const char *rel, const char *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", datadir, rel);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static int setup(void **state)
{
    static struct egov_test_server srv;
    char path[1024];
    const char *tmp = getenv("EGOV_TEST_TMP");
    snprintf(datadir, sizeof datadir, "%s/static-test-%ld", tmp ? tmp : "/tmp", (long)getpid());
    mkdir(tmp ? tmp : "/tmp", 0700);
    mkdir(datadir, 0700);
    snprintf(path, sizeof path, "%s/static", datadir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/static/css", datadir);
    mkdir(path, 0700);
    size_t n = 0;
    static const char rule[] = ".rule { color: #123456; margin: 0 auto; }\n";
    while (n + sizeof rule < sizeof css) {
        memcpy(css + n, rule, sizeof rule - 1);
        n += sizeof rule - 1;
    }
    css[n] = '\0';
    write_file("static/css/site.css", css, strlen(css));
    write_file("static/logo.png", "\x89PNG\r\n\x1a\n....", 12);
    write_file("secret.txt", "top secret", 10);
    write_file("static/.hidden", "hidden", 6);

    struct egov_server_options o;
    memset(&o, 0, sizeof o);
    o.threads = 2;
    o.datadir = datadir;
    const struct egov_route_table *const tables[] = {&egov_http_core_routes, NULL};
    if (!egov_test_inproc_start(tables, &o, &srv))
        return -1;
    *state = &srv;
    return 0;
}

static int teardown(void **state)
{
    char path[1024];
    egov_test_inproc_stop(*state, 1000);
    const char *files[] = {"static/css/site.css", "static/logo.png", "secret.txt",
                           "static/.hidden", "static/css", "static", ""};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", datadir, files[i]);
        remove(path);
    }
    return 0;
}

static const char *hdr(const struct egov_test_response *r, const char *name, char *buf,
                       size_t len)
{
    const char *v = egov_test_response_header(r, name, buf, len);
    if (v == NULL)
        fail_msg("no %s header in:\n%s", name, r->headers);
    return v;
}

static void test_plain_and_etag(void **state)
{
    struct egov_test_server *s = *state;
    struct egov_test_response r;
    char etag[128], buf[512], inm[200];

    assert_true(egov_test_http(s, "GET", "/static/css/site.css", NULL, NULL, 0, &r));
    assert_int_equal(r.status, 200);
    assert_string_equal(hdr(&r, "Content-Type", buf, sizeof buf), "text/css; charset=utf-8");
    assert_string_equal(hdr(&r, "Cache-Control", buf, sizeof buf), "public, max-age=3600");
    assert_string_equal(hdr(&r, "Vary", buf, sizeof buf), "Accept-Encoding");
    assert_string_equal(hdr(&r, "X-Content-Type-Options", buf, sizeof buf), "nosniff");
    assert_non_null(hdr(&r, "Content-Security-Policy", buf, sizeof buf));
    assert_null(egov_test_response_header(&r, "Content-Encoding", buf, sizeof buf));
    snprintf(etag, sizeof etag, "%s", hdr(&r, "ETag", buf, sizeof buf));
    assert_true(etag[0] == '"' && strlen(etag) == 34);
    assert_int_equal(r.body_len, strlen(css));
    assert_memory_equal(r.body, css, r.body_len);
    egov_test_response_free(&r);

    snprintf(inm, sizeof inm, "If-None-Match: \"other\", %s", etag);
    const char *h[] = {inm, NULL};
    assert_true(egov_test_http(s, "GET", "/static/css/site.css", h, NULL, 0, &r));
    assert_int_equal(r.status, 304);
    assert_int_equal(r.body_len, 0);
    assert_string_equal(hdr(&r, "ETag", buf, sizeof buf), etag);
    assert_string_equal(hdr(&r, "X-Frame-Options", buf, sizeof buf), "DENY");
    egov_test_response_free(&r);

    const char *stale[] = {"If-None-Match: \"0123\"", NULL};
    assert_true(egov_test_http(s, "GET", "/static/css/site.css", stale, NULL, 0, &r));
    assert_int_equal(r.status, 200);
    egov_test_response_free(&r);

    assert_true(egov_test_http(s, "GET", "/static/logo.png", NULL, NULL, 0, &r));
    assert_int_equal(r.status, 200);
    assert_string_equal(hdr(&r, "Content-Type", buf, sizeof buf), "image/png");
    assert_int_equal(r.body_len, 12);
    egov_test_response_free(&r);
}

static void test_gzip(void **state)
{
    struct egov_test_server *s = *state;
    struct egov_test_response r;
    char buf[512], plain_etag[128];
    const char *gz[] = {"Accept-Encoding: gzip, deflate", NULL};

    assert_true(egov_test_http(s, "GET", "/static/css/site.css", NULL, NULL, 0, &r));
    snprintf(plain_etag, sizeof plain_etag, "%s", hdr(&r, "ETag", buf, sizeof buf));
    egov_test_response_free(&r);

    assert_true(egov_test_http(s, "GET", "/static/css/site.css", gz, NULL, 0, &r));
    assert_int_equal(r.status, 200);
    assert_string_equal(hdr(&r, "Content-Encoding", buf, sizeof buf), "gzip");
    assert_string_not_equal(hdr(&r, "ETag", buf, sizeof buf), plain_etag);
    assert_true(r.body_len < strlen(css));
    /* inflate and compare */
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
    char *out = malloc(sizeof css);
    assert_non_null(out);
    z.next_in = (Bytef *)r.body;
    z.avail_in = (uInt)r.body_len;
    z.next_out = (Bytef *)out;
    z.avail_out = sizeof css;
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    assert_int_equal(z.total_out, strlen(css));
    assert_memory_equal(out, css, z.total_out);
    inflateEnd(&z);
    free(out);
    egov_test_response_free(&r);

    /* images are not compressed */
    assert_true(egov_test_http(s, "GET", "/static/logo.png", gz, NULL, 0, &r));
    assert_null(egov_test_response_header(&r, "Content-Encoding", buf, sizeof buf));
    egov_test_response_free(&r);
}

static void test_refused_paths(void **state)
{
    struct egov_test_server *s = *state;
    struct egov_test_response r;
    char buf[256];
    const char *bad[] = {"/static/../secret.txt", "/static/%2e%2e/secret.txt",
                         "/static/css/..%2f..%2fsecret.txt", "/static/.hidden",
                         "/static/missing.css", "/static/", "/static/css"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_true(egov_test_http(s, "GET", bad[i], NULL, NULL, 0, &r));
        if (r.status != 404)
            fail_msg("%s answered %ld", bad[i], r.status);
        assert_null(strstr(r.body, "top secret"));
        assert_non_null(egov_test_response_header(&r, "X-Content-Type-Options", buf, sizeof buf));
        egov_test_response_free(&r);
    }
}

static void test_builtin_error_page(void **state)
{
    struct egov_test_server *s = *state;
    struct egov_test_response r;
    const char *html[] = {"Accept: text/html", "X-Request-Id: <script>", NULL};
    /* this data directory has no templates: the built-in page is used */
    assert_true(egov_test_http(s, "GET", "/nope", html, NULL, 0, &r));
    assert_int_equal(r.status, 404);
    assert_non_null(strstr(r.body, "<!DOCTYPE html>"));
    assert_non_null(strstr(r.body, "GENERIC_NOT_FOUND"));
    assert_null(strstr(r.body, "<script>"));
    egov_test_response_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_and_etag),
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_refused_paths),
        cmocka_unit_test(test_builtin_error_page),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
