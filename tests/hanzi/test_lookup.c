/*
 * test_lookup.c -- rare-character lookup by 注音, radical + residual
 * strokes and total strokes; the official Properties import; the lookup
 * API and page on an in-process server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hanzi/hanzi.h"
#include "testlib.h"

static bool have_unihan;

static int setup_all(void **state)
{
    char err[256];
    have_unihan = egov_hanzi_props_load(NULL, NULL, err, sizeof(err));
    if (!have_unihan)
        fprintf(stderr, "no Unihan data (%s): data-dependent tests skipped\n", err);
    return 0;
}

static int teardown_all(void **state)
{
    egov_hanzi_props_unload();
    egov_hanzi_tables_unload();
    return 0;
}

#define NEED_UNIHAN()                                                                              \
    do {                                                                                           \
        if (!have_unihan)                                                                          \
            skip();                                                                                \
    } while (0)

static json_t *lookup(const struct egov_hanzi_lookup_query *q)
{
    enum egov_ec ec;
    const char *field;
    json_t *r = egov_hanzi_lookup(q, &ec, &field);
    if (r == NULL)
        fail_msg("lookup failed: %d %s", (int)ec, field != NULL ? field : "");
    return r;
}

static bool has_char(json_t *r, const char *ch)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(r, "candidates"), i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "char")), ch) == 0)
            return true;
    }
    return false;
}

static struct egov_hanzi_lookup_query query(void)
{
    struct egov_hanzi_lookup_query q;
    memset(&q, 0, sizeof(q));
    q.residual = -1;
    q.limit = 500;
    return q;
}

static void test_by_zhuyin(void **state)
{
    NEED_UNIHAN();
    struct egov_hanzi_lookup_query q = query();
    q.zhuyin = "ㄊㄞˊ";
    json_t *r = lookup(&q);
    assert_true(has_char(r, "臺"));
    assert_true(has_char(r, "台"));
    assert_false(has_char(r, "太"));
    /* common characters (CNS plane 1) come first */
    json_t *first = json_array_get(json_object_get(r, "candidates"), 0);
    assert_true(strncmp(json_string_value(json_object_get(first, "cns")), "1-", 2) == 0);
    json_int_t total = json_integer_value(json_object_get(r, "total"));
    json_decref(r);
    /* without the tone mark: every tone */
    q.zhuyin = "ㄊㄞ";
    r = lookup(&q);
    assert_true(has_char(r, "太"));
    assert_true(has_char(r, "臺"));
    assert_true(json_integer_value(json_object_get(r, "total")) > total);
    json_decref(r);
    /* a reading that is not the first one: 行 ㄏㄤˊ */
    q.zhuyin = "ㄏㄤˊ";
    r = lookup(&q);
    assert_true(has_char(r, "行"));
    json_decref(r);
}

static void test_by_radical_and_strokes(void **state)
{
    NEED_UNIHAN();
    struct egov_hanzi_lookup_query q = query();
    q.radical = 85;
    q.residual = 3;
    json_t *r = lookup(&q);
    assert_true(has_char(r, "江"));
    assert_true(has_char(r, "池"));
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(r, "candidates"), i, c)
    {
        assert_int_equal(json_integer_value(json_object_get(c, "radical")), 85);
        assert_int_equal(json_integer_value(json_object_get(c, "residual")), 3);
    }
    json_decref(r);

    q = query();
    q.strokes = 1;
    r = lookup(&q);
    assert_true(has_char(r, "一"));
    json_array_foreach(json_object_get(r, "candidates"), i, c)
        assert_int_equal(json_integer_value(json_object_get(c, "strokes")), 1);
    json_decref(r);

    /* pages of one result set do not overlap */
    q = query();
    q.strokes = 12;
    q.limit = 10;
    json_t *p1 = lookup(&q);
    q.offset = 10;
    json_t *p2 = lookup(&q);
    assert_int_equal(json_integer_value(json_object_get(p1, "total")),
                     json_integer_value(json_object_get(p2, "total")));
    assert_int_equal(json_array_size(json_object_get(p1, "candidates")), 10);
    const char *last1 = json_string_value(
        json_object_get(json_array_get(json_object_get(p1, "candidates"), 9), "char"));
    assert_false(has_char(p2, last1));
    json_decref(p1);
    json_decref(p2);
}

static void test_bad_queries(void **state)
{
    enum egov_ec ec;
    const char *field;
    struct egov_hanzi_lookup_query q = query();
    assert_null(egov_hanzi_lookup(&q, &ec, &field));
    assert_int_equal(ec, EGOV_EC_GENERIC_PARAMETER_MISSING);
    q.zhuyin = "tai";
    assert_null(egov_hanzi_lookup(&q, &ec, &field));
    assert_int_equal(ec, EGOV_EC_GENERIC_PARAMETER_MALFORMED);
    assert_string_equal(field, "zhuyin");
    q.zhuyin = "ㄊㄞˊㄊ";
    assert_null(egov_hanzi_lookup(&q, &ec, &field));
    q = query();
    q.residual = 3;
    assert_null(egov_hanzi_lookup(&q, &ec, &field));
    assert_string_equal(field, "radical");
    q = query();
    q.strokes = 5;
    q.limit = 501;
    assert_null(egov_hanzi_lookup(&q, &ec, &field));
    assert_string_equal(field, "limit");
    q = query();
    q.radical = 215;
    assert_null(egov_hanzi_lookup(&q, &ec, &field));
    assert_string_equal(field, "radical");
    /* an offset past the end: empty, not an error */
    q = query();
    q.strokes = 1;
    q.offset = 100000;
    json_t *r = egov_hanzi_lookup(&q, &ec, &field);
    assert_non_null(r);
    assert_int_equal(json_array_size(json_object_get(r, "candidates")), 0);
    json_decref(r);
}

/* Imports the official tables and Properties into a fresh data directory. */
static void test_import_properties(void **state)
{
    const char *shared = getenv("EGOV_SHARED_DATA");
    char src[1024], var[1024], err[512];
    struct stat st;
    if (shared == NULL)
        skip();
    snprintf(src, sizeof(src), "%s/cns11643", shared);
    if (stat(src, &st) != 0) {
        printf("no %s: skipped\n", src);
        skip();
    }
    const char *tmp = getenv("EGOV_TEST_TMP");
    snprintf(var, sizeof(var), "%s/hanzi-props-%ld", tmp != NULL ? tmp : "/tmp", (long)getpid());
    mkdir(tmp != NULL ? tmp : "/tmp", 0755);

    /* a folder without the files fails cleanly */
    unsigned long entries = 0;
    assert_false(egov_hanzi_props_import(var, var, &entries, err, sizeof(err)));
    assert_non_null(strstr(err, "CNS_stroke.txt"));

    struct egov_hanzi_import_report rep;
    memset(&rep, 0, sizeof(rep));
    egov_buf_init(&rep.notes);
    assert_true(egov_hanzi_import(src, var, &rep, err, sizeof(err)));
    egov_buf_free(&rep.notes);
    assert_true(egov_hanzi_props_import(src, var, &entries, err, sizeof(err)));
    printf("imported properties of %lu characters\n", entries);
    assert_true(entries > 90000);
    assert_true(egov_hanzi_tables_load(var, err, sizeof(err)));
    assert_true(egov_hanzi_props_load(var, NULL, err, sizeof(err)));
    assert_string_equal(egov_hanzi_props_source(), have_unihan ? "cns11643+unihan" : "cns11643");

    struct egov_hanzi_props p;
    assert_true(egov_hanzi_props_get(0x4E00, &p)); /* 一 = 1-4421 */
    assert_true(p.from_cns);
    assert_int_equal(p.cns, 0x14421);
    assert_int_equal(p.strokes, 1);
    assert_int_equal(p.radical, 1);
    assert_string_equal(p.zhuyin, "ㄧ ㄧˊ ㄧˋ");

    /* with the official strokes, radicals and readings, our orders and ICU's agree on
     * nearly all of plane 1 (ICU's zh-Hant stroke order follows Big5, which is by
     * strokes, then radical) */
    static const enum egov_hanzi_order orders[] = {EGOV_HANZI_ORDER_STROKE,
                                                   EGOV_HANZI_ORDER_ZHUYIN};
    static const double min_agree[] = {0.97, 0.95};
    char **chars = calloc(6000, sizeof(*chars));
    size_t nchars = 0;
    assert_non_null(chars);
    for (uint32_t code = 0x4421; code <= 0x7D4B && nchars < 6000; code++) {
        if ((code & 0xFF) < 0x21 || (code & 0xFF) > 0x7E)
            continue;
        uint32_t cp = egov_hanzi_cp_of_cns(0x10000 | code);
        char buf[5] = {0};
        if (cp != 0 && egov_utf8_encode(cp, buf) > 0)
            chars[nchars++] = strdup(buf);
    }
    assert_true(nchars > 5000);
    for (size_t k = 0; k < 2; k++) {
        json_t *r = egov_hanzi_collate_check((const char *const *)chars, nchars, orders[k], 3);
        assert_non_null(r);
        json_int_t pairs = json_integer_value(json_object_get(r, "pairs"));
        json_int_t agree = json_integer_value(json_object_get(r, "agree"));
        printf("official properties, %s order vs ICU on %zu plane-1 characters: %lld of %lld "
               "adjacent pairs agree\n",
               k == 0 ? "stroke" : "zhuyin", nchars, (long long)agree, (long long)pairs);
        assert_true((double)agree >= min_agree[k] * (double)pairs);
        json_decref(r);
    }
    for (size_t k = 0; k < nchars; k++)
        free(chars[k]);
    free(chars);

    /* characters that exist only in CNS 11643 are found, with private-use code points */
    struct egov_hanzi_lookup_query q = query();
    q.strokes = 9;
    q.radical = 85;
    json_int_t total = 0;
    bool pua = false;
    for (q.offset = 0;; q.offset += 500) {
        json_t *r = lookup(&q);
        total = json_integer_value(json_object_get(r, "total"));
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(r, "candidates"), i, c)
        {
            if (json_is_true(json_object_get(c, "private_use"))) {
                pua = true;
                assert_true(json_is_string(json_object_get(c, "cns")));
            }
        }
        json_decref(r);
        if ((json_int_t)(q.offset + 500) >= total)
            break;
    }
    assert_true(pua);

    /* a malformed properties file is refused, and the loaded tables stay */
    char path[1100];
    snprintf(path, sizeof(path), "%s/hanzi/props.tsv", var);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("# egov hanzi properties 1\n1-4421\tx\t1\t\n", f);
    fclose(f);
    assert_false(egov_hanzi_props_load(var, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "malformed"));
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("# egov hanzi properties 1\n1-4421\t1\t1\t", f);
    for (int i = 0; i < 2000; i++)
        fputs("ㄧ ", f);
    fputs("\n", f);
    fclose(f);
    assert_false(egov_hanzi_props_load(var, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "line too long"));
    assert_true(egov_hanzi_props_get(0x4E00, &p));
    assert_true(p.from_cns);

    unlink(path);
    snprintf(path, sizeof(path), "%s/hanzi/tables.bin", var);
    unlink(path);
    snprintf(path, sizeof(path), "%s/hanzi", var);
    rmdir(path);
    rmdir(var);
    egov_hanzi_props_load(NULL, NULL, err, sizeof(err));
}

static const struct egov_route routes[] = {
    {EGOV_M_GET, "/api/hanzi/lookup", egov_hanzi_handle_lookup, 0, 0, "hanzi-lookup"},
    {EGOV_M_GET, "/hanzi/lookup", egov_hanzi_handle_lookup_page, 0, 0, "hanzi-lookup-page"},
    EGOV_ROUTE_END,
};
static const struct egov_route_table table = {"hanzi", routes};

static long get(const struct egov_test_server *srv, const char *path, bool html, char **body)
{
    const char *const json_hdrs[] = {"Accept: application/json", NULL};
    const char *const html_hdrs[] = {"Accept: text/html", NULL};
    struct egov_test_response resp;
    assert_true(egov_test_http(srv, "GET", path, html ? html_hdrs : json_hdrs, NULL, 0, &resp));
    long status = resp.status;
    *body = resp.body;
    resp.body = NULL;
    egov_test_response_free(&resp);
    return status;
}

static void test_http(void **state)
{
    NEED_UNIHAN();
    const struct egov_route_table *tables[] = {&table, NULL};
    struct egov_test_server srv;
    char *body;
    assert_true(egov_test_inproc_start(tables, NULL, &srv));

    /* ㄊㄞˊ */
    assert_int_equal(
        get(&srv, "/api/hanzi/lookup?zhuyin=%E3%84%8A%E3%84%9E%CB%8A&limit=5", false, &body), 200);
    json_t *j = json_loads(body, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_array_size(json_object_get(j, "candidates")), 5);
    json_decref(j);
    free(body);

    assert_int_equal(get(&srv, "/api/hanzi/lookup?radical=%E6%B0%B4&residual=3", false, &body),
                     200);
    assert_non_null(strstr(body, "江"));
    free(body);

    static const struct {
        const char *path;
        const char *field;
    } bad[] = {
        {"/api/hanzi/lookup", "zhuyin"},
        {"/api/hanzi/lookup?strokes=abc", "strokes"},
        {"/api/hanzi/lookup?strokes=0", "strokes"},
        {"/api/hanzi/lookup?strokes=100", "strokes"},
        {"/api/hanzi/lookup?radical=999", "radical"},
        {"/api/hanzi/lookup?residual=2", "radical"},
        {"/api/hanzi/lookup?zhuyin=abc", "zhuyin"},
        {"/api/hanzi/lookup?strokes=5&limit=9999", "limit"},
        {"/api/hanzi/lookup?strokes=5&offset=-1", "offset"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long st = get(&srv, bad[i].path, false, &body);
        j = json_loads(body, 0, NULL);
        if (st != 400 || j == NULL || strcmp(egov_json_get_str(j, "field", ""), bad[i].field) != 0)
            fail_msg("%s: %ld %s", bad[i].path, st, body);
        json_decref(j);
        free(body);
    }

    /* the page: a form without a query, candidates with one */
    assert_int_equal(get(&srv, "/hanzi/lookup", true, &body), 200);
    assert_non_null(strstr(body, "<form"));
    assert_non_null(strstr(body, "name=\"zhuyin\""));
    assert_null(strstr(body, "<script>"));
    assert_null(strstr(body, "style=\""));
    free(body);
    assert_int_equal(get(&srv, "/hanzi/lookup?strokes=1&name=%E7%8E%8B&lang=en", true, &body), 200);
    assert_non_null(strstr(body, "一"));
    /* "add to my name" carries the name so far plus the character: 王一 */
    assert_non_null(strstr(body, "name=%E7%8E%8B%E4%B8%80"));
    free(body);
    assert_int_equal(get(&srv, "/hanzi/lookup?strokes=abc", true, &body), 400);
    assert_non_null(strstr(body, "aria-invalid=\"true\""));
    free(body);

    egov_test_inproc_stop(&srv, 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_by_zhuyin),         cmocka_unit_test(test_by_radical_and_strokes),
        cmocka_unit_test(test_bad_queries),       cmocka_unit_test(test_http),
        cmocka_unit_test(test_import_properties),
    };
    return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
