/*
 * lookup.c -- rare-character input: find a character by 注音 reading, by
 * radical and residual strokes, or by total strokes;
 *   GET /api/hanzi/lookup?zhuyin=..|radical=..&residual=..|strokes=..&offset=&limit=
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hanzi/props_internal.h"

#define LOOKUP_LIMIT_MAX     500
#define LOOKUP_LIMIT_DEFAULT 100

/* Rank of a candidate: common characters (CNS plane 1) first. */
static unsigned rank_of(const struct hz_char *c)
{
    unsigned plane = c->cns >> 16;
    return plane == 1 ? 0 : plane == 2 ? 1 : plane != 0 ? 2 : 3;
}

/* qsort_r comparator: candidates are indexes into @p ctx's characters. */
static int cand_cmp(const void *a, const void *b, void *ctx)
{
    const struct hz_db *db = ctx;
    const struct hz_char *x = &db->c[*(const uint32_t *)a];
    const struct hz_char *y = &db->c[*(const uint32_t *)b];
    unsigned rx = rank_of(x), ry = rank_of(y);
    if (rx != ry)
        return rx < ry ? -1 : 1;
    if (x->strokes != y->strokes)
        return x->strokes < y->strokes ? -1 : 1;
    return x->cp < y->cp ? -1 : x->cp > y->cp;
}

/* True if one of @p c's readings is @p syl (tone 0 = any tone). */
static bool reading_matches(const struct hz_db *db, const struct hz_char *c, uint32_t syl)
{
    const uint32_t *r = db->syl + c->syl_off;
    uint32_t mask = (syl & 0xFF) == 0 ? 0xFFFFFF00u : 0xFFFFFFFFu;
    for (unsigned i = 0; i < c->nsyl; i++)
        if ((r[i] & mask) == syl)
            return true;
    return false;
}

static json_t *candidate(const struct hz_db *db, const struct hz_char *c)
{
    char ch[5] = {0}, uc[16], cns[16];
    egov_utf8_encode(c->cp, ch);
    snprintf(uc, sizeof(uc), "U+%04X", (unsigned)c->cp);
    if (c->cns != 0)
        snprintf(cns, sizeof(cns), "%u-%04X", (unsigned)(c->cns >> 16),
                 (unsigned)(c->cns & 0xFFFF));
    bool pua = (c->cp >= 0xE000 && c->cp <= 0xF8FF) || c->cp >= 0xF0000;
    json_t *zy = json_array();
    const char *z = hz_db_zhuyin(db, c);
    while (zy != NULL && *z != '\0') {
        size_t l = strcspn(z, " ");
        json_array_append_new(zy, json_stringn(z, l));
        z += l;
        while (*z == ' ')
            z++;
    }
    json_t *o = json_pack("{s:s, s:s, s:o, s:b, s:i, s:o}", "char", ch, "unicode", uc, "cns",
                          c->cns != 0 ? json_string(cns) : json_null(), "private_use", pua,
                          "strokes", (int)c->strokes, "zhuyin", zy != NULL ? zy : json_array());
    if (o == NULL)
        return NULL;
    if (c->radical != 0) {
        json_object_set_new(o, "radical", json_integer(c->radical));
        json_object_set_new(o, "radical_char", json_string(db->rad_utf8[c->radical]));
    }
    if (c->residual >= 0)
        json_object_set_new(o, "residual", json_integer(c->residual));
    return o;
}

json_t *egov_hanzi_lookup(const struct egov_hanzi_lookup_query *q, enum egov_ec *ec,
                          const char **field)
{
    uint8_t letters[3] = {0, 0, 0}, tone = 0;
    bool by_zhuyin = q->zhuyin != NULL && q->zhuyin[0] != '\0';
    *ec = EGOV_EC_NONE;
    *field = NULL;
    if (q->residual >= 0 && q->radical == 0) {
        *ec = EGOV_EC_GENERIC_PARAMETER_MISSING;
        *field = "radical";
        return NULL;
    }
    if (!by_zhuyin && q->radical == 0 && q->strokes == 0) {
        *ec = EGOV_EC_GENERIC_PARAMETER_MISSING;
        *field = "zhuyin";
        return NULL;
    }
    if (by_zhuyin) {
        size_t zl = strlen(q->zhuyin);
        if (hz_zhuyin_parse(q->zhuyin, zl, true, letters, &tone) != zl) {
            *ec = EGOV_EC_GENERIC_PARAMETER_MALFORMED;
            *field = "zhuyin";
            return NULL;
        }
    }
    if (q->radical > 214 || q->strokes > 99 || q->residual > 99) {
        *ec = EGOV_EC_GENERIC_PARAMETER_MALFORMED;
        *field = q->radical > 214 ? "radical" : q->strokes > 99 ? "strokes" : "residual";
        return NULL;
    }
    size_t limit = q->limit == 0 ? LOOKUP_LIMIT_DEFAULT : q->limit;
    if (limit > LOOKUP_LIMIT_MAX) {
        *ec = EGOV_EC_GENERIC_PARAMETER_MALFORMED;
        *field = "limit";
        return NULL;
    }
    const struct hz_db *db = hz_db_get();
    size_t n = db != NULL ? db->n : 0;
    uint32_t *hits = egov_malloc((n + 1) * sizeof(*hits));
    json_t *res = NULL, *arr = NULL;
    size_t nh = 0;
    if (hits == NULL)
        goto oom;
    for (size_t i = 0; i < n; i++) {
        const struct hz_char *c = &db->c[i];
        if (!hz_is_han(c->cp))
            continue;
        if (q->strokes != 0 && c->strokes != q->strokes)
            continue;
        if (q->radical != 0 && c->radical != q->radical)
            continue;
        if (q->residual >= 0 && c->residual != q->residual)
            continue;
        if (by_zhuyin && !reading_matches(db, c, HZ_SYL(letters[0], letters[1], letters[2], tone)))
            continue;
        hits[nh++] = (uint32_t)i;
    }
    qsort_r(hits, nh, sizeof(*hits), cand_cmp, (void *)db);
    arr = json_array();
    if (arr == NULL)
        goto oom;
    for (size_t i = q->offset; i < nh && i - q->offset < limit; i++) {
        json_t *cand = candidate(db, &db->c[hits[i]]);
        if (cand == NULL || json_array_append_new(arr, cand) != 0)
            goto oom;
    }
    res = json_pack("{s:I, s:I, s:I, s:O}", "total", (json_int_t)nh, "offset",
                    (json_int_t)q->offset, "limit", (json_int_t)limit, "candidates", arr);
    if (res == NULL)
        goto oom;
    json_decref(arr);
    egov_free(hits);
    return res;
oom:
    json_decref(arr);
    egov_free(hits);
    *ec = EGOV_EC_GENERIC_OOM;
    return NULL;
}
