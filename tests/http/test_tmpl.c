/*
 * test_tmpl.c -- the logic-less template renderer: escaping, sections,
 * context lookups, partials, translation, errors and limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build_info.h"
#include "http/http.h"

static char datadir[512];

/* Renders @p src with JSON @p data_json; returns a malloc'd result and the status. */
static char *render(const char *src, const char *data_json, const char *lang, bool *ok)
{
    struct egov_buf out;
    json_t *data = NULL;
    char *res;

    if (data_json != NULL) {
        json_error_t jerr;
        data = json_loads(data_json, 0, &jerr);
        assert_non_null(data);
    }
    egov_buf_init(&out);
    *ok = egov_tmpl_render_string(src, data, lang, datadir, &out);
    egov_buf_putc(&out, '\0'); /* make sure data is allocated even for empty output */
    res = egov_buf_steal(&out);
    assert_non_null(res);
    json_decref(data);
    return res;
}

static void expect(const char *src, const char *data_json, const char *want)
{
    bool ok;
    char *got = render(src, data_json, "en", &ok);
    if (!ok)
        fail_msg("render of '%s' failed: %s", src, got);
    assert_string_equal(got, want);
    free(got);
}

static void expect_error(const char *src, const char *data_json, const char *needle)
{
    bool ok;
    char *got = render(src, data_json, "en", &ok);
    assert_false(ok);
    if (strstr(got, needle) == NULL)
        fail_msg("error '%s' does not mention '%s'", got, needle);
    free(got);
}

static void write_file(const char *rel, const char *content)
{
    char path[1024];
    FILE *f;
    snprintf(path, sizeof(path), "%s/templates/%s", datadir, rel);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

static int setup_all(void **state)
{
    const char *base = getenv("EGOV_TEST_TMP");
    char dir[600];
    const char *localedir = getenv("EGOV_LOCALEDIR");

    if (base == NULL)
        base = "/tmp";
    mkdir(base, 0755);
    snprintf(datadir, sizeof(datadir), "%s/tmpl-XXXXXX", base);
    if (mkdtemp(datadir) == NULL)
        return -1;
    snprintf(dir, sizeof(dir), "%s/templates", datadir);
    if (mkdir(dir, 0755) != 0)
        return -1;
    egov_i18n_load(localedir != NULL ? localedir : EGOV_BUILD_LOCALEDIR);
    return 0;
}

static int teardown_all(void **state)
{
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", datadir);
    egov_i18n_load(NULL);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_escapes_every_special_char(void **state)
{
    expect("{{s}}", "{\"s\": \"<a href=\\\"x\\\">'&'</a>\"}",
           "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    expect("<p title=\"{{s}}\">", "{\"s\": \"\\\" onmouseover=\\\"x\"}",
           "<p title=\"&quot; onmouseover=&quot;x\">");
    expect("{{s}}", "{\"s\": \"plain 中文\"}", "plain 中文");
}

static void test_raw_is_not_escaped(void **state)
{
    expect("{{{s}}}|{{& s}}", "{\"s\": \"<b>&</b>\"}", "<b>&</b>|<b>&</b>");
}

static void test_scalars_render_as_text(void **state)
{
    expect("{{i}} {{r}} {{t}} {{f}} [{{n}}] [{{missing}}] [{{o}}] [{{a}}]",
           "{\"i\": -42, \"r\": 1.5, \"t\": true, \"f\": false, \"n\": null, \"o\": {}, "
           "\"a\": [1]}",
           "-42 1.5 true false [] [] [] []");
}

static void test_sections(void **state)
{
    /* arrays of objects iterate */
    expect("{{#xs}}<{{n}}>{{/xs}}", "{\"xs\": [{\"n\": 1}, {\"n\": 2}, {\"n\": 3}]}", "<1><2><3>");
    /* arrays of scalars iterate with {{.}} */
    expect("{{#xs}}[{{.}}]{{/xs}}", "{\"xs\": [\"a\", \"<b>\"]}", "[a][&lt;b&gt;]");
    /* objects push a context */
    expect("{{#o}}{{a}}-{{b}}{{/o}}", "{\"o\": {\"a\": \"x\", \"b\": \"y\"}}", "x-y");
    /* booleans */
    expect("{{#t}}yes{{/t}}{{#f}}no{{/f}}", "{\"t\": true, \"f\": false}", "yes");
    /* empty arrays, empty strings, zero, null and missing skip */
    expect("{{#e}}1{{/e}}{{#s}}2{{/s}}{{#z}}3{{/z}}{{#n}}4{{/n}}{{#m}}5{{/m}}.",
           "{\"e\": [], \"s\": \"\", \"z\": 0, \"n\": null}", ".");
    /* non-empty strings and non-zero numbers render once, with {{.}} the value */
    expect("{{#s}}<{{.}}>{{/s}}{{#k}}({{.}}){{/k}}", "{\"s\": \"hi\", \"k\": 7}", "<hi>(7)");
}

static void test_inverted_sections(void **state)
{
    expect("{{^m}}a{{/m}}{{^f}}b{{/f}}{{^e}}c{{/e}}{{^t}}d{{/t}}{{^xs}}e{{/xs}}",
           "{\"f\": false, \"e\": [], \"t\": true, \"xs\": [1]}", "abc");
}

static void test_context_lookups_walk_up(void **state)
{
    const char *data = "{\"site\": \"S\", \"user\": {\"name\": \"Lin\", \"addr\": {\"city\": "
                       "\"Taipei\"}}, \"items\": [{\"id\": 1}, {\"id\": 2, \"site\": \"own\"}]}";
    /* names not in the item are found in outer contexts; inner ones shadow */
    expect("{{#items}}{{id}}:{{site}};{{/items}}", data, "1:S;2:own;");
    /* dotted names descend */
    expect("{{user.addr.city}}|{{user.name}}|{{user.nope.x}}|{{nope.x}}", data, "Taipei|Lin||");
    /* dotted names inside sections start from the nearest context having the head */
    expect("{{#items}}{{user.addr.city}}{{/items}}", data, "TaipeiTaipei");
    /* a section over a dotted name */
    expect("{{#user.addr}}{{city}}{{/user.addr}}", data, "Taipei");
}

static void test_partials(void **state)
{
    char sub[600];
    snprintf(sub, sizeof(sub), "%s/templates/sub", datadir);
    assert_int_equal(mkdir(sub, 0755), 0);
    write_file("part.html", "[{{x}}]");
    write_file("sub/inner.html", "<{{#xs}}{{> part}}{{/xs}}>");
    expect("a{{> part}}b", "{\"x\": \"<1>\"}", "a[&lt;1&gt;]b");
    expect("{{> sub/inner}}", "{\"xs\": [{\"x\": 1}, {\"x\": 2}]}", "<[1][2]>");
    expect_error("{{> absent}}", "{}", "absent");
    expect_error("{{> ../etc/passwd}}", "{}", "bad partial name");
    expect_error("{{> /etc/passwd}}", "{}", "bad partial name");
}

static void test_partial_recursion_is_bounded(void **state)
{
    write_file("loop.html", "x{{> loop}}");
    expect_error("{{> loop}}", "{}", "partials nested deeper");
}

static void test_translation(void **state)
{
    bool ok;
    char *got =
        render("{{_ Search}}|{{_ $k}}|{{_ $n}}", "{\"k\": \"Home\", \"n\": 3}", "zh-TW", &ok);
    assert_true(ok);
    assert_string_equal(got, "搜尋|首頁|3");
    free(got);
    got = render("{{_ Search}}|{{_ $k}}", "{\"k\": \"Home\"}", "en", &ok);
    assert_true(ok);
    assert_string_equal(got, "Search|Home");
    free(got);
    /* multi-word msgids; untranslated ones come out escaped */
    got = render("{{_ Skip to main content }}|{{_ No such <msgid> & co}}", "{}", "zh-TW", &ok);
    assert_true(ok);
    assert_string_equal(got, "跳到主要內容|No such &lt;msgid&gt; &amp; co");
    free(got);
    expect("{{! a comment {{ with braces }}ok", "{}", "ok");
}

static void test_syntax_errors_name_the_line(void **state)
{
    expect_error("a\nb\n{{#x}}\nc\n", "{}", "line 3: unclosed section 'x'");
    expect_error("{{#a}}\n\n{{/b}}", "{}", "line 3: '{{/b}}' does not match 'a' opened on line 1");
    expect_error("x\n{{/a}}", "{}", "line 2: '{{/a}}' closes nothing");
    expect_error("1\n2\n3\n{{name", "{}", "line 4: unclosed tag");
    expect_error("{{{raw}}", "{}", "line 1: unclosed tag");
    expect_error("\n{{bad name}}", "{}", "line 2: bad tag");
    expect_error("{{=<% %>=}}", "{}", "bad tag");
    expect_error("{{_ }}", "{}", "empty msgid");
}

static void test_missing_template(void **state)
{
    struct egov_buf out;
    egov_buf_init(&out);
    assert_false(egov_tmpl_render(datadir, "no-such-page", NULL, "en", &out));
    assert_non_null(strstr(out.data, "no-such-page"));
    egov_buf_reset(&out);
    assert_false(egov_tmpl_render(datadir, "../templates/part", NULL, "en", &out));
    egov_buf_reset(&out);
    assert_false(egov_tmpl_render(NULL, "part", NULL, "en", &out));
    egov_buf_free(&out);
}

static void test_file_templates_are_cached(void **state)
{
    struct egov_buf out;
    json_t *data = json_pack("{s:s}", "who", "A&B");

    write_file("cached.html", "hello {{who}}");
    egov_buf_init(&out);
    assert_true(egov_tmpl_render(datadir, "cached", data, "en", &out));
    assert_string_equal(out.data, "hello A&amp;B");
    /* later edits are not seen: the parsed template stays in memory */
    write_file("cached.html", "changed");
    egov_buf_reset(&out);
    assert_true(egov_tmpl_render(datadir, "cached", data, "en", &out));
    assert_string_equal(out.data, "hello A&amp;B");
    /* a render appends; a failed one leaves what was there before */
    assert_false(egov_tmpl_render(datadir, "absent", data, "en", &out));
    assert_memory_equal(out.data, "hello A&amp;B", 13);
    egov_buf_free(&out);
    json_decref(data);
}

struct thread_arg {
    bool ok;
};

static void *render_thread(void *p)
{
    struct thread_arg *a = p;
    a->ok = true;
    for (int i = 0; i < 50; i++) {
        struct egov_buf out;
        json_t *data = json_pack("{s:i}", "i", i);
        char want[32];
        egov_buf_init(&out);
        snprintf(want, sizeof(want), "n=%d", i);
        if (!egov_tmpl_render(datadir, "threads", data, "en", &out) || strcmp(out.data, want) != 0)
            a->ok = false;
        egov_buf_free(&out);
        json_decref(data);
    }
    return NULL;
}

static void test_concurrent_first_load(void **state)
{
    pthread_t th[4];
    struct thread_arg args[4];
    write_file("threads.html", "n={{i}}");
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, render_thread, &args[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_true(args[i].ok);
    }
}

static void test_nesting_is_bounded(void **state)
{
    struct egov_buf src;
    bool ok;
    char *got;

    /* 30 nested sections render */
    egov_buf_init(&src);
    for (int i = 0; i < 30; i++)
        egov_buf_puts(&src, "{{#t}}");
    egov_buf_puts(&src, "deep");
    for (int i = 0; i < 30; i++)
        egov_buf_puts(&src, "{{/t}}");
    got = render(src.data, "{\"t\": true}", "en", &ok);
    assert_true(ok);
    assert_string_equal(got, "deep");
    free(got);
    /* 1000 are refused at parse time with a line number, without recursion */
    egov_buf_reset(&src);
    for (int i = 0; i < 1000; i++)
        egov_buf_puts(&src, "{{#t}}\n");
    for (int i = 0; i < 1000; i++)
        egov_buf_puts(&src, "{{/t}}");
    expect_error(src.data, "{\"t\": true}", "line 33: sections nested deeper than 32");
    egov_buf_free(&src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escapes_every_special_char),
        cmocka_unit_test(test_raw_is_not_escaped),
        cmocka_unit_test(test_scalars_render_as_text),
        cmocka_unit_test(test_sections),
        cmocka_unit_test(test_inverted_sections),
        cmocka_unit_test(test_context_lookups_walk_up),
        cmocka_unit_test(test_partials),
        cmocka_unit_test(test_partial_recursion_is_bounded),
        cmocka_unit_test(test_translation),
        cmocka_unit_test(test_syntax_errors_name_the_line),
        cmocka_unit_test(test_missing_template),
        cmocka_unit_test(test_file_templates_are_cached),
        cmocka_unit_test(test_concurrent_first_load),
        cmocka_unit_test(test_nesting_is_bounded),
    };
    return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
