/*
 * collate.c -- sort keys for name lists: by strokes (then radical, then
 * residual strokes) and by 注音 reading; comparison with ICU's zh-Hant
 * stroke and zhuyin collations.
 *
 * A key is the concatenation of one fixed-width record per character,
 * written as lowercase hex so that strcmp() and SQL ORDER BY (C collation)
 * order names character by character:
 *   stroke: class, strokes, radical, residual + 1, code point (3 bytes)
 *   zhuyin: class, three bopomofo letters, tone, strokes, code point
 * class 01 = not a Han character (ordered by code point, before Han),
 * 02 = Han.  Unknown values are FF, so such characters come last.
 */
#include <pthread.h>
#include <string.h>

#include <unicode/ucol.h>
#include <unicode/ustring.h>

#include "hanzi/props_internal.h"

#define REC_MAX 9

bool egov_hanzi_order_parse(const char *s, enum egov_hanzi_order *out)
{
    if (s == NULL)
        return false;
    if (strcmp(s, "stroke") == 0 || strcmp(s, "strokes") == 0) {
        *out = EGOV_HANZI_ORDER_STROKE;
        return true;
    }
    if (strcmp(s, "zhuyin") == 0) {
        *out = EGOV_HANZI_ORDER_ZHUYIN;
        return true;
    }
    return false;
}

/* Writes the record of @p cp into @p rec; returns its length. */
static size_t record(const struct hz_db *db, uint32_t cp, enum egov_hanzi_order order,
                     uint8_t rec[REC_MAX])
{
    const struct hz_char *c = hz_db_char(db, cp);
    bool han = hz_is_han(cp) || c != NULL;
    size_t n = 0;
    rec[n++] = han ? 0x02 : 0x01;
    if (order == EGOV_HANZI_ORDER_STROKE) {
        if (!han) {
            rec[n++] = 0;
            rec[n++] = 0;
            rec[n++] = 0;
        } else {
            rec[n++] = c != NULL && c->strokes > 0 ? c->strokes : 0xFF;
            rec[n++] = c != NULL && c->radical > 0 ? c->radical : 0xFF;
            rec[n++] = c != NULL && c->residual >= 0 ? (uint8_t)(c->residual + 1) : 0xFF;
        }
    } else {
        uint8_t letters[3] = {0, 0, 0}, tone = 0;
        const char *zy = han ? hz_db_zhuyin(db, c) : "";
        size_t zl = strcspn(zy, " ");
        if (!han) {
            /* zeros: before every reading */
        } else if (zl == 0 || hz_zhuyin_parse(zy, zl, false, letters, &tone) == 0) {
            letters[0] = letters[1] = letters[2] = 0xFF;
            tone = 0xFF;
        }
        rec[n++] = letters[0];
        rec[n++] = letters[1];
        rec[n++] = letters[2];
        rec[n++] = tone;
        rec[n++] = !han ? 0 : c != NULL && c->strokes > 0 ? c->strokes : 0xFF;
    }
    rec[n++] = (uint8_t)(cp >> 16);
    rec[n++] = (uint8_t)(cp >> 8);
    rec[n++] = (uint8_t)cp;
    return n;
}

char *egov_hanzi_sort_key(const char *utf8, size_t len, enum egov_hanzi_order order)
{
    static const char hex[] = "0123456789abcdef";
    size_t ncp = 0;
    if (utf8 == NULL)
        return NULL;
    uint32_t *cps = hz_utf8_to_cps(utf8, len, &ncp);
    if (cps == NULL)
        return NULL;
    const struct hz_db *db = hz_db_get();
    char *out = egov_malloc(ncp * REC_MAX * 2 + 1);
    if (out != NULL) {
        size_t o = 0;
        for (size_t i = 0; i < ncp; i++) {
            uint8_t rec[REC_MAX];
            size_t rn = record(db, cps[i], order, rec);
            for (size_t k = 0; k < rn; k++) {
                out[o++] = hex[rec[k] >> 4];
                out[o++] = hex[rec[k] & 15];
            }
        }
        out[o] = '\0';
    }
    egov_free(cps);
    return out;
}

int egov_hanzi_compare(const char *a, const char *b, enum egov_hanzi_order order)
{
    char *ka = egov_hanzi_sort_key(a, strlen(a), order);
    char *kb = egov_hanzi_sort_key(b, strlen(b), order);
    int r;
    if (ka == NULL || kb == NULL)
        r = ka == NULL ? (kb == NULL ? strcmp(a, b) : 1) : -1;
    else
        r = strcmp(ka, kb);
    egov_free(ka);
    egov_free(kb);
    return r < 0 ? -1 : r > 0;
}

/* ------------------------------------------------------------------ */
/* ICU                                                                 */
/* ------------------------------------------------------------------ */

static pthread_once_t icu_once = PTHREAD_ONCE_INIT;
static UCollator *icu_coll[2];

static void icu_open(void)
{
    static const char *const locales[2] = {"zh-Hant-u-co-stroke", "zh-u-co-zhuyin"};
    for (int i = 0; i < 2; i++) {
        UErrorCode e = U_ZERO_ERROR;
        icu_coll[i] = ucol_open(locales[i], &e);
        if (U_FAILURE(e)) {
            egov_warn("hanzi: ICU collator %s: %s", locales[i], u_errorName(e));
            icu_coll[i] = NULL;
        }
    }
}

int egov_hanzi_compare_icu(const char *a, const char *b, enum egov_hanzi_order order, bool *ok)
{
    pthread_once(&icu_once, icu_open);
    const UCollator *coll = icu_coll[order == EGOV_HANZI_ORDER_ZHUYIN ? 1 : 0];
    if (ok != NULL)
        *ok = coll != NULL;
    if (coll == NULL)
        return strcmp(a, b);
    UCharIterator ia, ib;
    UErrorCode e = U_ZERO_ERROR;
    uiter_setUTF8(&ia, a, -1);
    uiter_setUTF8(&ib, b, -1);
    UCollationResult r = ucol_strcollIter(coll, &ia, &ib, &e);
    if (U_FAILURE(e)) {
        if (ok != NULL)
            *ok = false;
        return strcmp(a, b);
    }
    return r == UCOL_LESS ? -1 : r == UCOL_GREATER;
}

/* ------------------------------------------------------------------ */
/* Comparison with ICU                                                 */
/* ------------------------------------------------------------------ */

struct keyed {
    const char *s;
    char *key;
};

static int keyed_cmp(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    return strcmp(x->key, y->key);
}

json_t *egov_hanzi_collate_check(const char *const *items, size_t n, enum egov_hanzi_order order,
                                 size_t max_examples)
{
    json_t *res = NULL, *examples = NULL;
    struct keyed *k = egov_calloc(n + 1, sizeof(*k));
    size_t nk = 0, agree = 0, disagree = 0, ties = 0;
    bool icu_ok = true;
    if (k == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        k[nk].s = items[i];
        k[nk].key = egov_hanzi_sort_key(items[i], strlen(items[i]), order);
        if (k[nk].key != NULL)
            nk++;
    }
    qsort(k, nk, sizeof(*k), keyed_cmp);
    examples = json_array();
    if (examples == NULL)
        goto done;
    for (size_t i = 0; i + 1 < nk; i++) {
        bool ok = true;
        int r = egov_hanzi_compare_icu(k[i].s, k[i + 1].s, order, &ok);
        if (!ok)
            icu_ok = false;
        if (r < 0) {
            agree++;
        } else if (r == 0) {
            ties++;
        } else {
            disagree++;
            if (json_array_size(examples) < max_examples)
                json_array_append_new(examples, json_pack("{s:s, s:s}", "ours_first", k[i].s,
                                                          "icu_first", k[i + 1].s));
        }
    }
    res = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:b, s:O}", "order",
                    order == EGOV_HANZI_ORDER_ZHUYIN ? "zhuyin" : "stroke", "items", (json_int_t)nk,
                    "pairs", (json_int_t)(nk > 0 ? nk - 1 : 0), "agree", (json_int_t)agree,
                    "disagree", (json_int_t)disagree, "icu_equal", (json_int_t)ties, "icu", icu_ok,
                    "examples", examples);
done:
    json_decref(examples);
    for (size_t i = 0; i < nk; i++)
        egov_free(k[i].key);
    egov_free(k);
    return res;
}
