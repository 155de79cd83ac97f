/*
 * test_home.c -- the home page data and its rendering through the real
 * templates: translations, filters, accessibility basics and no inline
 * script or style (the CSP forbids them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "build_info.h"
#include "portal/portal.h"

static const char *datadir;

static int setup_all(void **state)
{
    const char *localedir = getenv("EGOV_LOCALEDIR");
    datadir = getenv("EGOV_DATADIR");
    if (datadir == NULL)
        datadir = EGOV_SOURCE_DATADIR;
    egov_i18n_load(localedir != NULL ? localedir : EGOV_BUILD_LOCALEDIR);
    return 0;
}

static int teardown_all(void **state)
{
    egov_i18n_load(NULL);
    return 0;
}

/* Renders the home page inside the layout as the http layer does; caller frees. */
static char *render_page(const char *lang, const char *q, const char *audience)
{
    bool zh = strcmp(lang, "zh-TW") == 0;
    json_t *data = egov_portal_home_data(lang, q, audience);
    struct egov_buf content, page;
    json_t *layout;
    char *html;

    assert_non_null(data);
    egov_buf_init(&content);
    egov_buf_init(&page);
    if (!egov_tmpl_render(datadir, "home", data, lang, &content))
        fail_msg("home: %s", content.data);
    layout = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "lang", lang, "html_lang",
                       zh ? "zh-Hant-TW" : "en", "title",
                       egov_i18n_gettext(lang, "Government services in one place"), "content",
                       content.data, "path", "/", "request_id", "rid-<1>", "other_lang",
                       zh ? "en" : "zh-TW", "other_lang_label", zh ? "English" : "中文");
    assert_non_null(layout);
    if (!egov_tmpl_render(datadir, "layout", layout, lang, &page))
        fail_msg("layout: %s", page.data);
    html = egov_buf_steal(&page);
    assert_non_null(html);
    egov_buf_free(&content);
    json_decref(layout);
    json_decref(data);
    return html;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_data_lists_every_service_area(void **state)
{
    json_t *d = egov_portal_home_data("zh-TW", NULL, NULL);
    const char *want[] = {"household", "land",      "tax",  "vehicle",  "business",
                          "health",    "documents", "meet", "opendata", "emergency"};
    json_t *svcs = json_object_get(d, "services");
    assert_int_equal(json_integer_value(json_object_get(d, "count")), json_array_size(svcs));
    assert_int_equal(json_array_size(json_object_get(d, "audiences")), 3);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        bool found = false;
        size_t k;
        json_t *s;
        json_array_foreach(svcs, k, s)
        {
            if (strcmp(json_string_value(json_object_get(s, "id")), want[i]) == 0)
                found = true;
        }
        if (!found)
            fail_msg("service %s missing", want[i]);
    }
    /* every text is a msgid with a Traditional Chinese translation */
    size_t k;
    json_t *s;
    json_array_foreach(svcs, k, s)
    {
        const char *t = json_string_value(json_object_get(s, "title"));
        const char *m = json_string_value(json_object_get(s, "summary"));
        assert_string_not_equal(egov_i18n_gettext("zh-TW", t), t);
        assert_string_not_equal(egov_i18n_gettext("zh-TW", m), m);
        assert_true(json_array_size(json_object_get(s, "audiences")) > 0);
    }
    json_array_foreach(json_object_get(d, "audiences"), k, s)
    {
        const char *t = json_string_value(json_object_get(s, "title"));
        assert_string_not_equal(egov_i18n_gettext("zh-TW", t), t);
    }
    assert_true(json_is_null(json_object_get(d, "query")));
    assert_true(json_is_false(json_object_get(d, "filtered")));
    json_decref(d);
}

static void test_search_and_audience_filters(void **state)
{
    json_t *d = egov_portal_home_data("en", "TAX", NULL);
    json_t *svcs = json_object_get(d, "services");
    size_t k;
    json_t *s;
    bool tax = false;
    assert_true(json_array_size(svcs) >= 1);
    json_array_foreach(svcs, k, s)
    {
        tax |= strcmp(json_string_value(json_object_get(s, "id")), "tax") == 0;
        assert_string_not_equal(json_string_value(json_object_get(s, "id")), "household");
    }
    assert_true(tax);
    assert_string_equal(json_string_value(json_object_get(d, "query")), "TAX");
    json_decref(d);

    /* Chinese search text matches the translations */
    d = egov_portal_home_data("zh-TW", "戶政", NULL);
    svcs = json_object_get(d, "services");
    assert_int_equal(json_array_size(svcs), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(svcs, 0), "id")),
                        "household");
    json_decref(d);

    /* nothing matches */
    d = egov_portal_home_data("en", "zzzz-nothing", NULL);
    assert_int_equal(json_integer_value(json_object_get(d, "count")), 0);
    json_decref(d);

    /* the business audience does not see household registration */
    d = egov_portal_home_data("en", NULL, "business");
    json_array_foreach(json_object_get(d, "services"), k, s)
        assert_string_not_equal(json_string_value(json_object_get(s, "id")), "household");
    assert_string_equal(json_string_value(json_object_get(d, "audience")), "business");
    assert_true(json_is_true(json_object_get(d, "filtered")));
    json_decref(d);

    /* an unknown audience is no filter */
    d = egov_portal_home_data("en", "", "martians");
    assert_int_equal(json_integer_value(json_object_get(d, "count")),
                     json_integer_value(json_object_get(d, "total")));
    assert_true(json_is_null(json_object_get(d, "audience")));
    json_decref(d);
}

static void test_page_in_traditional_chinese(void **state)
{
    char *html = render_page("zh-TW", NULL, NULL);
    assert_non_null(strstr(html, "<html lang=\"zh-Hant-TW\">"));
    assert_non_null(strstr(html, "政府服務單一窗口"));
    assert_non_null(strstr(html, "戶政服務"));
    assert_non_null(strstr(html, "href=\"/?lang=en\""));
    assert_non_null(strstr(html, ">English</a>"));
    assert_non_null(strstr(html, "rid-&lt;1&gt;"));
    /* the skip link is the first link and targets main */
    const char *first_a = strstr(html, "<a ");
    assert_non_null(first_a);
    assert_true(strncmp(first_a, "<a class=\"skip-link\" href=\"#main\"", 33) == 0);
    assert_non_null(strstr(html, "<main id=\"main\""));
    assert_non_null(strstr(html, "<header"));
    assert_non_null(strstr(html, "<nav"));
    assert_non_null(strstr(html, "<footer"));
    assert_non_null(strstr(html, "href=\"/static/css/egov.css\""));
    free(html);
}

static void test_page_in_english(void **state)
{
    char *html = render_page("en", "tax", NULL);
    assert_non_null(strstr(html, "<html lang=\"en\">"));
    assert_non_null(strstr(html, "Government services in one place"));
    assert_non_null(strstr(html, "href=\"/?lang=zh-TW\""));
    assert_non_null(strstr(html, "value=\"tax\""));
    assert_non_null(strstr(html, "Show all services"));
    free(html);
}

static void test_search_text_is_escaped(void **state)
{
    char *html = render_page("en", "\"><script>alert(1)</script>", NULL);
    assert_null(strstr(html, "<script>alert"));
    assert_non_null(strstr(html, "&quot;&gt;&lt;script&gt;"));
    free(html);
}

static void test_no_inline_script_or_style(void **state)
{
    const char *langs[] = {"zh-TW", "en"};
    for (int i = 0; i < 2; i++) {
        char *html = render_page(langs[i], "稅", "citizen");
        /* no <script> at all without src, no <style>, no style= and no on*= handlers */
        for (const char *p = strstr(html, "<script"); p != NULL; p = strstr(p + 1, "<script")) {
            const char *end = strchr(p, '>');
            assert_non_null(end);
            if (strstr(p, " src=") == NULL || strstr(p, " src=") > end)
                fail_msg("inline <script> in %s page", langs[i]);
        }
        assert_null(strstr(html, "<style"));
        assert_null(strstr(html, "style="));
        assert_null(strstr(html, " onclick="));
        assert_null(strstr(html, " onload="));
        assert_null(strstr(html, "javascript:"));
        free(html);
    }
}

static void test_every_form_control_is_labelled(void **state)
{
    char *html = render_page("zh-TW", NULL, NULL);
    size_t inputs = 0;
    for (const char *p = strstr(html, "<input"); p != NULL; p = strstr(p + 1, "<input")) {
        char want[160];
        const char *id = strstr(p, " id=\"");
        const char *end = strchr(p, '>');
        size_t n;
        assert_non_null(id);
        assert_true(id < end);
        id += 5;
        n = strcspn(id, "\"");
        assert_true(n < 100);
        strcpy(want, "<label class=\"search__label\" for=\"");
        strncat(want, id, n);
        strcat(want, "\"");
        assert_non_null(strstr(html, want));
        inputs++;
    }
    assert_int_equal(inputs, 1);
    assert_int_equal(count(html, "<select"), 0);
    assert_int_equal(count(html, "<textarea"), 0);
    assert_non_null(strstr(html, "method=\"get\""));
    free(html);
}

static void test_error_page(void **state)
{
    struct egov_buf out;
    json_t *d = json_pack("{s:i, s:s, s:s, s:i, s:s, s:s}", "status", 404, "title", "Not Found",
                          "detail", "The requested resource was not found.", "code", 1002, "field",
                          "id<x>", "request_id", "r1");
    egov_buf_init(&out);
    assert_true(egov_tmpl_render(datadir, "error", d, "zh-TW", &out));
    assert_non_null(strstr(out.data, "找不到網頁"));
    assert_non_null(strstr(out.data, "找不到您要求的資源。"));
    assert_non_null(strstr(out.data, "<code>id&lt;x&gt;</code>"));
    assert_non_null(strstr(out.data, "1002"));
    assert_non_null(strstr(out.data, "<h1>"));
    egov_buf_free(&out);
    json_decref(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_lists_every_service_area),
        cmocka_unit_test(test_search_and_audience_filters),
        cmocka_unit_test(test_page_in_traditional_chinese),
        cmocka_unit_test(test_page_in_english),
        cmocka_unit_test(test_search_text_is_escaped),
        cmocka_unit_test(test_no_inline_script_or_style),
        cmocka_unit_test(test_every_form_control_is_labelled),
        cmocka_unit_test(test_error_page),
    };
    return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
