/*
 * test_buf.c -- the string builder: growth, HTML escaping, the max limit
 * and sticky out-of-memory, steal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"

/* egov_str_hash is FNV-1a: the published values of "" and "a" */
static void test_str_hash(void **state)
{
    (void)state;
    assert_int_equal(egov_str_hash(""), 2166136261u);
    assert_int_equal(egov_str_hash("a"), 0xe40c292cu);
    assert_true(egov_str_hash("TW/GOV/MOF/tax") != egov_str_hash("TW/GOV/MOF/tay"));
}

static void test_growth(void **state)
{
    struct egov_buf b;
    egov_buf_init(&b);
    assert_null(b.data);
    for (int i = 0; i < 10000; i++)
        egov_buf_printf(&b, "%d,", i % 10);
    assert_false(b.oom);
    assert_int_equal(b.len, 20000);
    assert_true(b.cap > b.len);
    assert_int_equal(b.data[b.len], '\0');
    assert_memory_equal(b.data, "0,1,2,3,", 8);
    egov_buf_putc(&b, 'Z');
    egov_buf_puts(&b, "中文");
    assert_string_equal(b.data + 20000, "Z中文");
    egov_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    egov_buf_append(&b, "a\0b", 3);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "a\0b", 4);
    egov_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

static void test_html_escape(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"", ""},
        {"plain", "plain"},
        {"<script>alert('x')</script>", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"},
        {"a & b \"c\"", "a &amp; b &quot;c&quot;"},
        {"&amp;", "&amp;amp;"},
        {"臺北市<大安區>", "臺北市&lt;大安區&gt;"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct egov_buf b;
        egov_buf_init(&b);
        egov_buf_html_escape(&b, cases[i].in, strlen(cases[i].in));
        char *s = egov_buf_steal(&b);
        assert_non_null(s);
        assert_string_equal(s, cases[i].out);
        egov_free(s);
    }
    /* escaping stops at n, not at a NUL */
    struct egov_buf b;
    egov_buf_init(&b);
    egov_buf_html_escape(&b, "<a>", 2);
    assert_string_equal(b.data, "&lt;a");
    egov_buf_free(&b);
}

static void test_max_is_sticky(void **state)
{
    struct egov_buf b;
    egov_buf_init(&b);
    b.max = 10;
    egov_buf_puts(&b, "0123456789");
    assert_false(b.oom);
    egov_buf_putc(&b, 'x');
    assert_true(b.oom);
    assert_int_equal(b.len, 10);
    /* sticky: even a fitting append does nothing now */
    egov_buf_puts(&b, "");
    egov_buf_printf(&b, "%s", "y");
    assert_true(b.oom);
    assert_int_equal(b.len, 10);
    assert_null(egov_buf_steal(&b));
    assert_null(b.data);
    assert_int_equal(b.max, 10); /* the limit survives the free */
    /* reset clears oom */
    egov_buf_puts(&b, "abc");
    assert_false(b.oom);
    egov_buf_puts(&b, "01234567890");
    assert_true(b.oom);
    egov_buf_reset(&b);
    assert_false(b.oom);
    egov_buf_puts(&b, "ok");
    assert_string_equal(b.data, "ok");
    egov_buf_free(&b);
}

static void test_alloc_failure_is_sticky(void **state)
{
    struct egov_buf b;
    egov_buf_init(&b);
    egov_buf_puts(&b, "start");
    egov_alloc_fail_nth(1);
    egov_buf_append(&b, "x", 100); /* needs to grow past 64 bytes */
    egov_alloc_fail_nth(0);
    assert_true(b.oom);
    assert_string_equal(b.data, "start"); /* old contents kept */
    egov_buf_puts(&b, "more");
    assert_int_equal(b.len, 5);
    assert_null(egov_buf_steal(&b));
}

static void test_steal(void **state)
{
    struct egov_buf b;
    egov_buf_init(&b);
    char *empty = egov_buf_steal(&b);
    assert_non_null(empty);
    assert_string_equal(empty, "");
    egov_free(empty);
    egov_buf_printf(&b, "%s=%d", "n", 5);
    char *s = egov_buf_steal(&b);
    assert_string_equal(s, "n=5");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    /* the buffer is reusable after a steal */
    egov_buf_puts(&b, "again");
    assert_string_equal(b.data, "again");
    egov_buf_free(&b);
    egov_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_str_hash),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_html_escape),
        cmocka_unit_test(test_max_is_sticky),
        cmocka_unit_test(test_alloc_failure_is_sticky),
        cmocka_unit_test(test_steal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
