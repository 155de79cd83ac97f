/*
 * test_i18n.c -- the .mo catalog reader and language negotiation.
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

#include "build_info.h"
#include "http/http.h"

static char tmpdir[512];
static const char *localedir;

static int setup_all(void **state)
{
    const char *base = getenv("EGOV_TEST_TMP");
    char dir[700];

    localedir = getenv("EGOV_LOCALEDIR");
    if (localedir == NULL)
        localedir = EGOV_BUILD_LOCALEDIR;
    if (base == NULL)
        base = "/tmp";
    mkdir(base, 0755);
    snprintf(tmpdir, sizeof(tmpdir), "%s/i18n-XXXXXX", base);
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    snprintf(dir, sizeof(dir), "%s/zh_TW", tmpdir);
    mkdir(dir, 0755);
    snprintf(dir, sizeof(dir), "%s/zh_TW/LC_MESSAGES", tmpdir);
    return mkdir(dir, 0755);
}

static int teardown_all(void **state)
{
    char cmd[700];
    egov_i18n_load(NULL);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Writes @p n bytes as the zh_TW catalog of the temporary locale dir. */
static void write_mo(const void *data, size_t n)
{
    char path[700];
    FILE *f;
    snprintf(path, sizeof(path), "%s/zh_TW/LC_MESSAGES/egov.mo", tmpdir);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* Reads the real zh_TW catalog into a malloc'd buffer. */
static unsigned char *read_real_mo(size_t *n)
{
    char path[700];
    unsigned char *buf;
    long size;
    FILE *f;
    snprintf(path, sizeof(path), "%s/zh_TW/LC_MESSAGES/egov.mo", localedir);
    f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    assert_true(size > 28);
    buf = malloc((size_t)size);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    *n = (size_t)size;
    return buf;
}

static void put32(unsigned char *p, uint32_t v, bool big)
{
    for (int i = 0; i < 4; i++)
        p[big ? 3 - i : i] = (unsigned char)(v >> (8 * i));
}

/*
 * Builds a two-message catalog {"Apple" -> "蘋果", "Banana" -> "香蕉"} in
 * either byte order into @p buf (256 bytes); returns its size.
 */
static size_t build_mo(unsigned char *buf, bool big)
{
    static const char *const orig[] = {"Apple", "Banana"};
    static const char *const trans[] = {"蘋果", "香蕉"};
    size_t at = 28 + 4 * 8;
    memset(buf, 0, 256);
    put32(buf, 0x950412de, big);
    put32(buf + 4, 0, big);
    put32(buf + 8, 2, big);
    put32(buf + 12, 28, big);
    put32(buf + 16, 28 + 16, big);
    for (int i = 0; i < 2; i++) {
        size_t lo = strlen(orig[i]), lt = strlen(trans[i]);
        put32(buf + 28 + i * 8, (uint32_t)lo, big);
        put32(buf + 28 + i * 8 + 4, (uint32_t)at, big);
        memcpy(buf + at, orig[i], lo + 1);
        at += lo + 1;
        put32(buf + 44 + i * 8, (uint32_t)lt, big);
        put32(buf + 44 + i * 8 + 4, (uint32_t)at, big);
        memcpy(buf + at, trans[i], lt + 1);
        at += lt + 1;
    }
    return at;
}

static void test_built_catalog_translates(void **state)
{
    egov_i18n_load(localedir);
    assert_string_equal(egov_i18n_gettext("zh-TW", "Search"), "搜尋");
    assert_string_equal(egov_i18n_gettext("zh-TW", "Skip to main content"), "跳到主要內容");
    assert_string_equal(egov_i18n_gettext("zh-TW", "The request body is not valid JSON."),
                        "請求內容不是有效的 JSON。");
    /* other spellings of the same language */
    assert_string_equal(egov_i18n_gettext("zh_TW", "Search"), "搜尋");
    assert_string_equal(egov_i18n_gettext(NULL, "Search"), "搜尋");
    assert_string_equal(egov_i18n_gettext("en", "Search"), "Search");
    /* untranslated: the msgid itself comes back */
    const char *id = "No such message, surely";
    assert_ptr_equal(egov_i18n_gettext("zh-TW", id), id);
    assert_string_equal(egov_i18n_gettext("fr", "Search"), "Search");
    /* the header entry is not a translation of "" */
    assert_string_equal(egov_i18n_gettext("zh-TW", ""), "");
    assert_null(egov_i18n_gettext("zh-TW", NULL));
}

static void test_missing_catalogs_leave_messages_untranslated(void **state)
{
    egov_i18n_load("/nonexistent/locale");
    assert_string_equal(egov_i18n_gettext("zh-TW", "Search"), "Search");
    egov_i18n_load(localedir);
    assert_string_equal(egov_i18n_gettext("zh-TW", "Search"), "搜尋");
}

static void test_both_byte_orders(void **state)
{
    unsigned char buf[256];
    for (int big = 0; big <= 1; big++) {
        size_t n = build_mo(buf, big != 0);
        write_mo(buf, n);
        egov_i18n_load(tmpdir);
        assert_string_equal(egov_i18n_gettext("zh-TW", "Apple"), "蘋果");
        assert_string_equal(egov_i18n_gettext("zh-TW", "Banana"), "香蕉");
        assert_string_equal(egov_i18n_gettext("zh-TW", "Cherry"), "Cherry");
        assert_string_equal(egov_i18n_gettext("zh-TW", "Aardvark"), "Aardvark");
    }
}

/* Loads @p data as the catalog and checks that it was rejected. */
static void expect_rejected(const unsigned char *data, size_t n)
{
    write_mo(data, n);
    egov_i18n_load(tmpdir);
    assert_string_equal(egov_i18n_gettext("zh-TW", "Apple"), "Apple");
    assert_string_equal(egov_i18n_gettext("zh-TW", "Search"), "Search");
}

static void test_corrupt_catalogs_are_rejected(void **state)
{
    unsigned char buf[256], bad[256];
    size_t n = build_mo(buf, false), real_n;
    unsigned char *real = read_real_mo(&real_n);

    /* sanity: the good one loads */
    write_mo(buf, n);
    egov_i18n_load(tmpdir);
    assert_string_equal(egov_i18n_gettext("zh-TW", "Apple"), "蘋果");

    /* the real catalog cut at every interesting length */
    const size_t cuts[] = {0, 3, 27, 28, 40, real_n / 2, real_n - 1};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
        expect_rejected(real, cuts[i]);
    free(real);

    /* bad magic */
    memcpy(bad, buf, n);
    bad[0] ^= 0xff;
    expect_rejected(bad, n);
    /* unknown major revision */
    memcpy(bad, buf, n);
    put32(bad + 4, 2u << 16, false);
    expect_rejected(bad, n);
    /* huge count */
    memcpy(bad, buf, n);
    put32(bad + 8, 0x7fffffff, false);
    expect_rejected(bad, n);
    /* table offsets past the end, and overflowing */
    memcpy(bad, buf, n);
    put32(bad + 16, 0xfffffff8u, false);
    expect_rejected(bad, n);
    /* a string offset past the end */
    memcpy(bad, buf, n);
    put32(bad + 28 + 4, 0xffffff00u, false);
    expect_rejected(bad, n);
    /* a string length running over its NUL terminator to the end */
    memcpy(bad, buf, n);
    put32(bad + 44 + 8, 0xffffffffu, false);
    expect_rejected(bad, n);
    /* a string without its terminating NUL */
    memcpy(bad, buf, n);
    put32(bad + 28, 4, false); /* "Appl" is followed by 'e', not NUL */
    expect_rejected(bad, n);
    /* unsorted originals (binary search would miss entries) */
    memcpy(bad, buf, n);
    memcpy(bad + 28, buf + 36, 8);
    memcpy(bad + 36, buf + 28, 8);
    expect_rejected(bad, n);

    egov_i18n_load(localedir);
}

static void test_negotiation(void **state)
{
    /* default */
    assert_string_equal(egov_i18n_negotiate(NULL, NULL, NULL), "zh-TW");
    assert_string_equal(egov_i18n_negotiate("fr", "de", "fr-FR, de;q=0.5"), "zh-TW");
    /* ?lang= wins over the cookie, which wins over Accept-Language */
    assert_string_equal(egov_i18n_negotiate("en", "zh-TW", "zh-TW"), "en");
    assert_string_equal(egov_i18n_negotiate("zh-TW", "en", "en"), "zh-TW");
    assert_string_equal(egov_i18n_negotiate(NULL, "en", "zh-TW"), "en");
    assert_string_equal(egov_i18n_negotiate("xx", "en", NULL), "en");
    assert_string_equal(egov_i18n_negotiate(NULL, "bogus", "en-GB,en;q=0.9"), "en");
    /* spellings */
    assert_string_equal(egov_i18n_negotiate("EN-us", NULL, NULL), "en");
    assert_string_equal(egov_i18n_negotiate("zh_TW", NULL, "en"), "zh-TW");
    assert_string_equal(egov_i18n_negotiate("english", NULL, NULL), "zh-TW");
    /* Accept-Language with q-values */
    assert_string_equal(egov_i18n_negotiate(NULL, NULL, "en-US,en;q=0.9,zh-TW;q=0.8"), "en");
    assert_string_equal(egov_i18n_negotiate(NULL, NULL, "en;q=0.5, zh-Hant-TW;q=0.9"), "zh-TW");
    assert_string_equal(egov_i18n_negotiate(NULL, NULL, "fr, en;q=0.1"), "en");
    assert_string_equal(egov_i18n_negotiate(NULL, NULL, "en;q=0"), "zh-TW");
    assert_string_equal(egov_i18n_negotiate(NULL, NULL, "en;q=1.000"), "en");
    assert_string_equal(egov_i18n_negotiate(NULL, NULL, "*;q=0.5, en;q=0.6"), "en");
    assert_string_equal(egov_i18n_negotiate(NULL, NULL, "*"), "zh-TW");
    /* malformed items are skipped, not fatal */
    assert_string_equal(egov_i18n_negotiate(NULL, NULL, "en;q=2, zh;q=abc, ,,;"), "zh-TW");
    assert_string_equal(egov_i18n_negotiate(NULL, NULL, "en;q=0.9999"), "zh-TW");
    assert_string_equal(egov_i18n_negotiate(NULL, NULL, ";;;,en ; q=0.7"), "en");
    assert_string_equal(egov_i18n_negotiate(NULL, NULL, ""), "zh-TW");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_built_catalog_translates),
        cmocka_unit_test(test_missing_catalogs_leave_messages_untranslated),
        cmocka_unit_test(test_both_byte_orders),
        cmocka_unit_test(test_corrupt_catalogs_are_rejected),
        cmocka_unit_test(test_negotiation),
    };
    return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
