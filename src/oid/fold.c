/*
 * fold.c -- search keys for names, so that "臺北市 政府" and "台北市政府"
 * have the same key.
 *
 * First the hanzi module's key (NFKC with case folding, name separators
 * removed, every character replaced by the representative of its Unihan
 * variant class), then, over it, removal of the remaining spaces and
 * punctuation and a short table of the variants most common in agency and
 * personal names.  The table gives the same key whether or not the Unihan
 * data is installed for the commonest pairs; for the others keys are
 * fully folded only where it is (Debian's unicode-data, which the hanzi
 * module reads), so every node and the CLI should have it.
 */
#include <string.h>

#include "hanzi/hanzi.h"
#include "oid/oid.h"

/* Variant -> the form used in keys (searched linearly; the table is short). */
static const struct {
    uint32_t from;
    uint32_t to;
} variants[] = {
    {0x4E3A, 0x70BA}, /* 为 -> 為 */
    {0x5185, 0x5167}, /* 内 -> 內 */
    {0x5434, 0x5433}, /* 吴 -> 吳 */
    {0x5CEF, 0x5CF0}, /* 峯 -> 峰 */
    {0x6237, 0x6236}, /* 户 -> 戶 */
    {0x6238, 0x6236}, /* 戸 -> 戶 */
    {0x654E, 0x6559}, /* 敎 -> 教 */
    {0x6E29, 0x6EAB}, /* 温 -> 溫 */
    {0x6DF8, 0x6E05}, /* 淸 -> 清 */
    {0x7232, 0x70BA}, /* 爲 -> 為 */
    {0x771E, 0x771F}, /* 眞 -> 真 */
    {0x7740, 0x8457}, /* 着 -> 著 */
    {0x7DAB, 0x7DDA}, /* 綫 -> 線 */
    {0x7DD1, 0x7DA0}, /* 緑 -> 綠 */
    {0x7FA3, 0x7FA4}, /* 羣 -> 群 */
    {0x81FA, 0x53F0}, /* 臺 -> 台 */
    {0x8846, 0x773E}, /* 衆 -> 眾 */
    {0x885E, 0x885B}, /* 衞 -> 衛 */
    {0x88CF, 0x88E1}, /* 裏 -> 裡 */
    {0x8AAC, 0x8AAA}, /* 説 -> 說 */
    {0x9332, 0x9304}, /* 録 -> 錄 */
    {0x9752, 0x9751}, /* 靑 -> 青 */
    {0x9EC4, 0x9EC3}, /* 黄 -> 黃 */
    {0x4E80, 0x9F9C}, /* 亀 -> 龜 */
};

static uint32_t fold_variant(uint32_t cp)
{
    for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++)
        if (variants[i].from == cp)
            return variants[i].to;
    return cp;
}

/* True for characters that do not count in a search: spaces and punctuation. */
static bool is_ignored(uint32_t cp)
{
    if (cp < 0x80)
        return !((cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z'));
    return (cp >= 0x2000 && cp <= 0x206F)     /* general punctuation, spaces */
           || (cp >= 0x3000 && cp <= 0x303F)  /* CJK symbols and punctuation */
           || cp == 0x00A0 || cp == 0x00B7    /* no-break space, middle dot */
           || cp == 0x30FB                    /* katakana middle dot */
           || (cp >= 0xFE30 && cp <= 0xFE4F)  /* CJK compatibility forms */
           || (cp >= 0xFE50 && cp <= 0xFE6F); /* small form variants */
}

void egov_oid_search_key(const char *name, char *out, size_t outlen)
{
    if (out == NULL || outlen == 0)
        return;
    out[0] = '\0';
    if (name == NULL)
        return;
    size_t len = strlen(name);
    char *folded = egov_hanzi_search_key(name, len);
    if (folded != NULL) {
        name = folded;
        len = strlen(folded);
    }
    size_t pos = 0;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = egov_utf8_decode(name + i, len - i, &cp);
        if (n == 0) {
            i++; /* skip a stray byte; names are validated elsewhere */
            continue;
        }
        i += n;
        if (cp >= 0xFF01 && cp <= 0xFF5E) /* full-width ASCII */
            cp -= 0xFEE0;
        if (cp >= 'A' && cp <= 'Z')
            cp += 'a' - 'A';
        if (is_ignored(cp))
            continue;
        cp = fold_variant(cp);
        char enc[4];
        size_t m = egov_utf8_encode(cp, enc);
        if (m == 0 || pos + m + 1 > outlen)
            break;
        memcpy(out + pos, enc, m);
        pos += m;
        out[pos] = '\0';
    }
    egov_free(folded);
}
