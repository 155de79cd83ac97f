/*
 * test_variant.c -- search keys (variant, width and case folding),
 * identifier folding, character relations, pinyin to 注音, and the
 * properties loaded from Unihan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hanzi/hanzi.h"

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
    return 0;
}

#define NEED_UNIHAN()                                                                              \
    do {                                                                                           \
        if (!have_unihan)                                                                          \
            skip();                                                                                \
    } while (0)

static char *key(const char *s)
{
    char *k = egov_hanzi_search_key(s, strlen(s));
    assert_non_null(k);
    return k;
}

static void assert_same_key(const char *a, const char *b)
{
    char *ka = key(a), *kb = key(b);
    if (strcmp(ka, kb) != 0)
        fail_msg("keys of %s and %s differ: %s / %s", a, b, ka, kb);
    egov_free(ka);
    egov_free(kb);
}

static void assert_other_key(const char *a, const char *b)
{
    char *ka = key(a), *kb = key(b);
    if (strcmp(ka, kb) == 0)
        fail_msg("%s and %s share the key %s", a, b, ka);
    egov_free(ka);
    egov_free(kb);
}

static void test_key_variants(void **state)
{
    NEED_UNIHAN();
    assert_same_key("臺北市", "台北市");
    assert_same_key("林峯", "林峰");
    assert_same_key("裏長", "裡長");
    assert_same_key("吳秀羣", "呉秀群");
    assert_same_key("陳恆", "陳恒");
    /* one-to-one simplified forms that are not common characters in Taiwan */
    assert_same_key("黃美玲", "黄美玲");
    assert_same_key("劉", "刘");
    assert_same_key("冊", "册");
    assert_same_key("陳", "陈");
    /* traditional/simplified pairs that are distinct surnames stay apart */
    assert_other_key("後", "后");
    assert_other_key("鍾", "钟");
    assert_other_key("范", "範");
    assert_other_key("余", "餘");
    assert_other_key("沈", "瀋");
    assert_other_key("鍾", "鐘");
    /* specialised-semantic only */
    assert_other_key("才", "纔");
    /* the key of a character without variants is the character */
    char *k = key("王");
    assert_string_equal(k, "王");
    egov_free(k);
}

static void test_key_width_case_separators(void **state)
{
    assert_same_key("ＡＢＣ", "abc");
    assert_same_key("Ｍａｒｙ　Ｃｈｅｎ", "marychen");
    assert_same_key("阿美·拉拉", "阿美‧拉拉");
    assert_same_key("阿美・拉拉", "阿美拉拉");
    assert_same_key(" 王 小 明 ", "王小明");
    /* a CJK compatibility ideograph (U+F9D0 類) folds to the unified one (U+985E) */
    assert_same_key("\xEF\xA7\x90", "類");
    assert_other_key("王小明", "王小名");
    char *k = key("");
    assert_string_equal(k, "");
    egov_free(k);
    assert_null(egov_hanzi_search_key("\xE8\x87", 2));
    assert_null(egov_hanzi_search_key("a\xC0\xAF", 3));
    /* the input is only read: an embedded length shorter than the string */
    k = egov_hanzi_search_key("臺北", 3);
    assert_non_null(k);
    egov_free(k);
}

static void test_identifier_fold(void **state)
{
    char *s =
        egov_hanzi_identifier_fold("　ａ１２３４５６７８９ ", strlen("　ａ１２３４５６７８９ "));
    assert_non_null(s);
    assert_string_equal(s, "A123456789");
    egov_free(s);
    s = egov_hanzi_identifier_fold("ＡＢＣ－１２３４", strlen("ＡＢＣ－１２３４"));
    assert_string_equal(s, "ABC-1234");
    egov_free(s);
    s = egov_hanzi_identifier_fold("   ", 3);
    assert_string_equal(s, "");
    egov_free(s);
    assert_null(egov_hanzi_identifier_fold("\xFF", 1));
}

static uint32_t cp_of(const char *s)
{
    uint32_t cp = 0;
    assert_true(egov_utf8_decode(s, strlen(s), &cp) == strlen(s));
    return cp;
}

static void test_relations(void **state)
{
    assert_int_equal(egov_hanzi_relation(cp_of("王"), cp_of("王")), EGOV_HANZI_REL_SAME);
    assert_int_equal(egov_hanzi_relation(cp_of("Ａ"), cp_of("a")), EGOV_HANZI_REL_COMPAT);
    NEED_UNIHAN();
    assert_int_equal(egov_hanzi_relation(cp_of("臺"), cp_of("台")), EGOV_HANZI_REL_VARIANT);
    assert_int_equal(egov_hanzi_relation(cp_of("峯"), cp_of("峰")), EGOV_HANZI_REL_VARIANT);
    assert_int_equal(egov_hanzi_relation(cp_of("吳"), cp_of("呉")), EGOV_HANZI_REL_ZVARIANT);
    assert_int_equal(egov_hanzi_relation(cp_of("范"), cp_of("範")), EGOV_HANZI_REL_DIFFERENT);
    assert_int_equal(egov_hanzi_relation(cp_of("王"), cp_of("林")), EGOV_HANZI_REL_DIFFERENT);
    assert_string_equal(egov_hanzi_relation_name(EGOV_HANZI_REL_VARIANT), "variant");
    assert_int_equal(egov_hanzi_variant_fold(cp_of("臺")), egov_hanzi_variant_fold(cp_of("台")));
    assert_int_equal(egov_hanzi_variant_fold(cp_of("王")), cp_of("王"));
}

static void check_pinyin(const char *py, const char *want)
{
    char out[32];
    bool ok = egov_hanzi_pinyin_to_zhuyin(py, out, sizeof(out));
    if (want == NULL) {
        if (ok)
            fail_msg("%s converted to %s", py, out);
        return;
    }
    if (!ok)
        fail_msg("%s did not convert", py);
    if (strcmp(out, want) != 0)
        fail_msg("%s -> %s, want %s", py, out, want);
}

static void test_pinyin_to_zhuyin(void **state)
{
    check_pinyin("tái", "ㄊㄞˊ");
    check_pinyin("lǜ", "ㄌㄩˋ");
    check_pinyin("nv3", "ㄋㄩˇ");
    check_pinyin("lu\xCC\x88\xCC\x80", "ㄌㄩˋ"); /* u + combining diaeresis + grave */
    check_pinyin("zhī", "ㄓ");
    check_pinyin("sì", "ㄙˋ");
    check_pinyin("rì", "ㄖˋ");
    check_pinyin("jī", "ㄐㄧ");
    check_pinyin("qù", "ㄑㄩˋ");
    check_pinyin("xuě", "ㄒㄩㄝˇ");
    check_pinyin("yuán", "ㄩㄢˊ");
    check_pinyin("yǒng", "ㄩㄥˇ");
    check_pinyin("yī", "ㄧ");
    check_pinyin("yè", "ㄧㄝˋ");
    check_pinyin("yōu", "ㄧㄡ");
    check_pinyin("wǒ", "ㄨㄛˇ");
    check_pinyin("wēng", "ㄨㄥ");
    check_pinyin("wèi", "ㄨㄟˋ");
    check_pinyin("guǐ", "ㄍㄨㄟˇ");
    check_pinyin("liù", "ㄌㄧㄡˋ");
    check_pinyin("dūn", "ㄉㄨㄣ");
    check_pinyin("jūn", "ㄐㄩㄣ");
    check_pinyin("xiōng", "ㄒㄩㄥ");
    check_pinyin("hóng", "ㄏㄨㄥˊ");
    check_pinyin("ér", "ㄦˊ");
    check_pinyin("ma", "˙ㄇㄚ");
    check_pinyin("ma5", "˙ㄇㄚ");
    check_pinyin("ê", "˙ㄝ");
    check_pinyin("zhuāng", "ㄓㄨㄤ");
    check_pinyin("m\xCC\x80", NULL);
    check_pinyin("hng", NULL);
    check_pinyin("", NULL);
    check_pinyin("tái2", NULL);
    check_pinyin("xyz", NULL);
    char small[4];
    assert_false(egov_hanzi_pinyin_to_zhuyin("zhuāng", small, sizeof(small)));
}

static void test_properties(void **state)
{
    NEED_UNIHAN();
    struct egov_hanzi_props p;
    assert_true(egov_hanzi_props_get(cp_of("江"), &p));
    assert_int_equal(p.strokes, 6);
    assert_int_equal(p.radical, 85);
    assert_int_equal(p.residual, 3);
    assert_string_equal(p.zhuyin, "ㄐㄧㄤ");
    assert_int_equal(p.cns, 0x14840);
    assert_true(egov_hanzi_props_get(cp_of("行"), &p));
    assert_non_null(strstr(p.zhuyin, "ㄏㄤˊ"));
    assert_true(strncmp(p.zhuyin, "ㄒㄧㄥˊ", strlen("ㄒㄧㄥˊ")) == 0);
    assert_false(egov_hanzi_props_get('A', &p));
    assert_true(egov_hanzi_props_count() > 90000);

    unsigned int strokes = 0;
    const char *r = egov_hanzi_radical_char(85, &strokes);
    assert_string_equal(r, "水");
    assert_int_equal(strokes, 4);
    assert_null(egov_hanzi_radical_char(215, NULL));
    assert_int_equal(egov_hanzi_radical_parse("85"), 85);
    assert_int_equal(egov_hanzi_radical_parse("水"), 85);
    assert_int_equal(egov_hanzi_radical_parse("氵"), 85);
    assert_int_equal(egov_hanzi_radical_parse("⽔"), 85);
    assert_int_equal(egov_hanzi_radical_parse("215"), 0);
    assert_int_equal(egov_hanzi_radical_parse("0"), 0);
    assert_int_equal(egov_hanzi_radical_parse("8x"), 0);
    assert_int_equal(egov_hanzi_radical_parse(""), 0);

    json_t *o = json_object();
    egov_hanzi_props_describe(cp_of("臺"), o);
    assert_int_equal(json_integer_value(json_object_get(o, "strokes")), 14);
    json_t *vars = json_object_get(o, "variants");
    assert_true(json_array_size(vars) > 0);
    bool found = false;
    for (size_t i = 0; i < json_array_size(vars); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(vars, i), "char")), "台") == 0)
            found = true;
    assert_true(found);
    json_decref(o);
}

/* Random bytes and random code points: NULL exactly for invalid UTF-8, never a crash. */
static void test_random_input(void **state)
{
    uint64_t x = 0x9E3779B97F4A7C15u;
    char buf[64];
    for (int round = 0; round < 20000; round++) {
        size_t n = 0, len = (size_t)(round % 24);
        while (n < len) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if (round % 2 == 0) {
                buf[n++] = (char)(x & 0xFF); /* raw bytes, mostly invalid */
            } else {
                uint32_t cp = (uint32_t)(x % 0x110000);
                char enc[4];
                size_t k = egov_utf8_encode(cp, enc);
                if (k == 0 || n + k > len)
                    break;
                memcpy(buf + n, enc, k);
                n += k;
            }
        }
        bool valid = egov_utf8_valid(buf, n, NULL);
        char *k1 = egov_hanzi_search_key(buf, n);
        char *k2 = egov_hanzi_identifier_fold(buf, n);
        char *k3 = egov_hanzi_sort_key(buf, n, (enum egov_hanzi_order)(round & 1));
        assert_true((k1 != NULL) == valid);
        assert_true((k2 != NULL) == valid);
        assert_true((k3 != NULL) == valid);
        if (k1 != NULL)
            assert_true(egov_utf8_valid(k1, strlen(k1), NULL));
        egov_free(k1);
        egov_free(k2);
        egov_free(k3);
        char zy[32];
        buf[n] = '\0';
        (void)egov_hanzi_pinyin_to_zhuyin(buf, zy, sizeof(zy));
        (void)egov_hanzi_radical_parse(buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_variants),     cmocka_unit_test(test_key_width_case_separators),
        cmocka_unit_test(test_identifier_fold),  cmocka_unit_test(test_relations),
        cmocka_unit_test(test_pinyin_to_zhuyin), cmocka_unit_test(test_properties),
        cmocka_unit_test(test_random_input),
    };
    return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
