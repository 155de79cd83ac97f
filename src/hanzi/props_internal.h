/*
 * props_internal.h -- the loaded character properties as the property,
 * variant, ordering, matching and lookup files of the hanzi module see
 * them.  Not part of the public API (see hanzi.h).
 */
#ifndef EGOV_HANZI_PROPS_INTERNAL_H
#define EGOV_HANZI_PROPS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hanzi/hanzi.h"

/** Highest code point + 1. */
#define HZ_CP_LIMIT 0x110000u

/** Variant relations as bits of struct hz_vpair.rel (Unihan field names). */
enum hz_vrel {
    HZ_V_Z = 1 << 0,           /**< kZVariant */
    HZ_V_SEMANTIC = 1 << 1,    /**< kSemanticVariant */
    HZ_V_SPECIALIZED = 1 << 2, /**< kSpecializedSemanticVariant */
    HZ_V_TRADITIONAL = 1 << 3, /**< kTraditionalVariant */
    HZ_V_SIMPLIFIED = 1 << 4,  /**< kSimplifiedVariant */
};

/** One character's properties. */
struct hz_char {
    uint32_t cp;
    uint32_t cns;     /**< packed CNS code or 0 */
    uint32_t vkey;    /**< variant class representative */
    uint32_t zhuyin;  /**< offset of its readings in the pool (0: none, pool[0] is "") */
    uint8_t strokes;  /**< 0 unknown */
    uint8_t radical;  /**< 0 unknown */
    int8_t residual;  /**< -1 unknown */
    uint8_t from_cns; /**< 1 if the official Properties supplied the values */
    uint8_t nsyl;     /**< readings parsed into syl[syl_off ..] */
    uint32_t syl_off;
};

/** A reading packed for comparison: three bopomofo (cp - 0x3104) and the tone. */
#define HZ_SYL(l0, l1, l2, tone)                                                                   \
    ((uint32_t)(l0) << 24 | (uint32_t)(l1) << 16 | (uint32_t)(l2) << 8 | (uint32_t)(tone))

/** A declared variant pair (both directions are stored). */
struct hz_vpair {
    uint32_t a, b;
    uint32_t rel; /**< enum hz_vrel bits */
};

/** The loaded tables.  Read-only once published. */
struct hz_db {
    struct hz_char *c; /**< sorted by code point once loaded */
    size_t n, cap;
    int32_t *index; /**< HZ_CP_LIMIT entries: position in c + 1, 0 = none */
    char *pool;     /**< NUL-separated reading strings; pool[0] = "" */
    size_t pool_len, pool_cap;
    uint32_t *syl; /**< parsed readings (HZ_SYL), per character in order */
    size_t nsyl;
    struct hz_vpair *vp; /**< sorted by (a, b) */
    size_t nvp, vpcap;
    uint32_t rad_cp[215];     /**< unified ideograph of each Kangxi radical */
    uint8_t rad_strokes[215]; /**< its strokes */
    char rad_utf8[215][5];    /**< its UTF-8 text */
    const char *source;       /**< static */
};

/**
 * The loaded tables, loading the defaults on first use.  Never NULL unless
 * out of memory at the first use; borrowed until egov_hanzi_props_load() or
 * _unload() replaces them.
 */
const struct hz_db *hz_db_get(void);
/** The entry of @p cp or NULL. */
const struct hz_char *hz_db_char(const struct hz_db *db, uint32_t cp);
/** The readings of @p c ("" if none). */
const char *hz_db_zhuyin(const struct hz_db *db, const struct hz_char *c);
/** Variant pairs of @p cp: stores the first in @p first and returns how many. */
size_t hz_db_variants(const struct hz_db *db, uint32_t cp, const struct hz_vpair **first);

/**
 * Calls @p fn for every data line "U+XXXX<TAB>field<TAB>value" of the
 * bzip2-compressed Unihan file @p dir/Unihan_@p part.txt.bz2 whose field
 * starts with "k".  @p fn returns false to stop with an error it wrote in
 * @p err.  Returns false with a message in @p err if the file cannot be read.
 */
bool hz_unihan_each(const char *dir, const char *part,
                    bool (*fn)(uint32_t cp, const char *field, const char *value, void *ctx,
                               char *err, size_t errlen),
                    void *ctx, char *err, size_t errlen);

/**
 * Parses one 注音 syllable (tone mark optional: none/ˉ = 1, ˊ 2, ˇ 3, ˋ 4,
 * ˙ 5 before or after) into @p letters (up to 3 bopomofo, as cp - 0x3104,
 * 0-padded) and @p tone (1..5; 0 if the syllable carried no mark and
 * @p tone_optional).  Returns the bytes consumed or 0 if malformed.
 */
size_t hz_zhuyin_parse(const char *s, size_t n, bool tone_optional, uint8_t letters[3],
                       uint8_t *tone);

/** Decodes UTF-8 @p s[0..n) into a malloc'd code point array; NULL on invalid input or OOM. */
uint32_t *hz_utf8_to_cps(const char *s, size_t n, size_t *count);
/** True if @p cp is a Han ideograph (CJK unified, compatibility, or CNS private use). */
bool hz_is_han(uint32_t cp);

#endif /* EGOV_HANZI_PROPS_INTERNAL_H */
