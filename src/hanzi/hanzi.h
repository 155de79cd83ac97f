/*
 * hanzi.h -- Chinese character platform: CNS 11643, Unicode, Big5 and agency codes; variants; ordering; rare-character input.
 *
 * Two parts:
 *   1. Character database and conversion: encodings, the streaming
 *      converter, the imported 全字庫 tables, the codes of one character.
 *   2. Properties, ordering, matching, lookup: strokes, readings, radicals,
 *      variant folding, sort keys, name matching, rare-character lookup.
 *
 * Characters are passed around as Unicode code points (uint32_t).  A CNS
 * 11643 character that Unicode lacks is represented by the plane-15/16
 * private-use code point the official CNS2UNICODE tables give it.  A CNS
 * code is packed as (plane << 16) | code, e.g. 1-4421 is 0x00014421.
 */
#ifndef EGOV_HANZI_H
#define EGOV_HANZI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/core.h"
#include "http/http.h"

/** The hanzi module: its migrations, routes, start-up and CLI verbs. */
extern const struct egov_module egov_hanzi_module;

/* ================================================================== */
/* 1. Character database and conversion                               */
/* ================================================================== */

/** What to do with input that the target (or source) cannot represent. */
enum egov_hanzi_policy {
    EGOV_HANZI_STRICT = 0,  /**< stop with an error naming the byte offset and bytes */
    EGOV_HANZI_REPLACE = 1, /**< write 〓 (U+3013, or the target's GETA MARK) instead */
    EGOV_HANZI_PRIVATE = 2, /**< keep as private use (EUDC / plane-15 code point) */
};

/** An encoding (opaque; static or owned by the loaded tables, never freed by callers). */
struct egov_hanzi_encoding;

/** Where a conversion failed. */
struct egov_hanzi_error {
    enum egov_ec ec;          /**< EGOV_EC_NONE on success; else an EGOV_EC_HANZI_* code */
    uint64_t offset;          /**< byte offset of the bad sequence in the whole input */
    unsigned char bytes[8];   /**< the offending bytes (at most 8) */
    size_t nbytes;
    char detail[160];         /**< English text: "invalid Big5 sequence 0xA1 0x30 at byte 12" */
};

/**
 * Finds an encoding by name, case-insensitively: "utf-8", "cns" (plane-code
 * notation "1-4421"), "euc-tw", "big5", "cp950", "big5-2003", "big5-e",
 * "cns-dci", "cns-tax", "cns-fin", "cns-inc", "land-<county>" (e.g.
 * "land-taipei-city" or "land-台北市").  Returns NULL if unknown or if its
 * table is not loaded.  The result stays valid until egov_hanzi_tables_unload().
 */
const struct egov_hanzi_encoding *egov_hanzi_encoding_by_name(const char *name);
/** The canonical name of @p enc (static). */
const char *egov_hanzi_encoding_name(const struct egov_hanzi_encoding *enc);
/** Writes the names of every available encoding, comma-separated, into @p out. */
void egov_hanzi_encoding_list(struct egov_buf *out);
/** Parses "strict", "replace", "private".  False if unknown. */
bool egov_hanzi_policy_parse(const char *s, enum egov_hanzi_policy *out);

/**
 * Converts @p len bytes of @p in from @p from to @p to under @p policy,
 * appending to @p out.  Returns true on success; false with @p err filled
 * (offset and bytes of the first sequence that failed under the strict
 * policy, or EGOV_EC_GENERIC_OOM if @p out ran out of memory).  On failure
 * @p out may hold the converted prefix.  @p err may be NULL.
 */
bool egov_hanzi_convert(const struct egov_hanzi_encoding *from,
                        const struct egov_hanzi_encoding *to, enum egov_hanzi_policy policy,
                        const void *in, size_t len, struct egov_buf *out,
                        struct egov_hanzi_error *err);

/** A streaming converter: constant memory, input given in pieces of any size. */
struct egov_hanzi_conv;

/** Opens a streaming converter; NULL on OOM.  Free with egov_hanzi_conv_close(). */
struct egov_hanzi_conv *egov_hanzi_conv_open(const struct egov_hanzi_encoding *from,
                                             const struct egov_hanzi_encoding *to,
                                             enum egov_hanzi_policy policy);
/**
 * Feeds @p len bytes; complete characters are appended to @p out, a
 * partial sequence at the end is kept for the next call.  Pass @p final
 * true with the last piece (it may be empty): a partial sequence left then
 * is a truncation error (or replaced, per policy).  Returns false with
 * @p err filled on a strict-policy error or OOM; the converter is then
 * unusable.  Offsets count from the first byte ever fed.
 */
bool egov_hanzi_conv_feed(struct egov_hanzi_conv *cv, const void *in, size_t len, bool final,
                          struct egov_buf *out, struct egov_hanzi_error *err);
/** Frees a converter.  NULL is a no-op. */
void egov_hanzi_conv_close(struct egov_hanzi_conv *cv);

/**
 * Loads the character tables: the imported 全字庫 tables from
 * @p vardir/hanzi/tables.bin if present (CP950 still from glibc), else the
 * built-in sources: glibc iconv CP950 for Big5 and EUC-TW for CNS planes
 * 1-7, Unihan kIRG_TSource (unicode-data) for the other planes.  Called by
 * the module's init.  Loading again from the same @p vardir does nothing;
 * from another one it replaces the tables (not while converting).
 * Returns false with a message in @p err if no source could be read.
 */
bool egov_hanzi_tables_load(const char *vardir, char *err, size_t errlen);
/** Frees the loaded tables (module fini; tests). */
void egov_hanzi_tables_unload(void);
/** "imported 20260109", "unihan+glibc" or "none": where the tables came from (static). */
const char *egov_hanzi_tables_source(void);

/** One table entry that cannot round-trip, as found by an import. */
struct egov_hanzi_import_report {
    unsigned long tables;      /**< tables read */
    unsigned long entries;     /**< entries read */
    unsigned long skipped;     /**< entries that cannot round-trip (listed in @c notes) */
    struct egov_buf notes;     /**< one line per skipped entry: "file:line: why"; caller frees */
};

/**
 * Imports the official MapingTables folder under @p srcdir (the 全字庫
 * release folder holding MapingTables/) into @p vardir/hanzi/tables.bin,
 * written to a temporary file and renamed, so readers never see half a
 * file.  Fills @p rep (initialise its notes with egov_buf_init()): every
 * entry that cannot round-trip (malformed lines, CNS codes without a
 * Unicode mapping, codes listed twice) is counted and listed with its
 * file, line and reason.  Returns false with a message in @p err on an
 * unreadable file or folder, or on OOM.
 */
bool egov_hanzi_import(const char *srcdir, const char *vardir,
                       struct egov_hanzi_import_report *rep, char *err, size_t errlen);

/** Parses "1-4421" (plane 1..255, code 2121..7E7E) into a packed CNS code.  False if malformed. */
bool egov_hanzi_cns_parse(const char *s, uint32_t *cns);
/** Formats a packed CNS code as "1-4421" into @p out. */
void egov_hanzi_cns_format(uint32_t cns, char out[16]);
/** The CNS code of code point @p cp, or 0 if it has none. */
uint32_t egov_hanzi_cns_of(uint32_t cp);
/** The code point of CNS code @p cns (may be private use), or 0 if unmapped. */
uint32_t egov_hanzi_cp_of_cns(uint32_t cns);
/**
 * Parses a character given as itself ("臺"), "U+81FA" or a CNS code
 * ("1-4421").  False if it is none of those or names no character.
 */
bool egov_hanzi_char_parse(const char *s, uint32_t *cp);
/**
 * Returns a new JSON object (caller decrefs; NULL on OOM) with the
 * character and its codes in every loaded set: {"char","unicode","cns",
 * "euc-tw","big5","cp950",...,"private_use"}; sets lacking it are absent.
 * Adds the properties part through egov_hanzi_props_describe() when present.
 */
json_t *egov_hanzi_char_info(uint32_t cp);

/* ================================================================== */
/* 2. Properties, ordering, matching, lookup                          */
/* ================================================================== */

/*
 * Properties come from two sources: Unihan (Debian's unicode-data,
 * /usr/share/unicode/Unihan_*.txt.bz2: kTotalStrokes, kRSUnicode,
 * kMandarin and kHanyuPinyin converted to 注音, the variant fields) and,
 * once `egov hanzi import DIR` has run, the official 全字庫 Properties
 * (CNS_stroke.txt, CNS_phonetic.txt, CNS_radical.txt), which take
 * precedence for every character they cover and add the characters that
 * exist only in CNS 11643 (private-use code points).
 *
 * Every function below loads the default sources on first use (Unihan from
 * EGOV_UNIHAN_DIR or /usr/share/unicode), so callers in other modules need
 * no set-up; a node loads them explicitly at start-up through
 * egov_hanzi_props_load().  After loading, the tables are read-only and
 * every function is thread-safe.
 */

/** Properties of one character (strings borrowed from the loaded tables). */
struct egov_hanzi_props {
    uint32_t cp;          /**< the code point (may be plane-15/16 private use) */
    uint32_t cns;         /**< packed CNS code, 0 if none */
    unsigned int strokes; /**< total strokes; 0 if unknown */
    unsigned int radical; /**< Kangxi radical 1..214; 0 if unknown */
    int residual;         /**< strokes besides the radical; -1 if unknown */
    const char *zhuyin;   /**< readings in 注音, space-separated, the usual one first; "" if none */
    uint32_t variant_key; /**< the representative of its variant class (itself if none) */
    bool from_cns;        /**< the official Properties supplied strokes/readings/radical */
};

/**
 * Loads the character properties: Unihan from @p unihan_dir (NULL: the
 * environment variable EGOV_UNIHAN_DIR, else /usr/share/unicode) and, if
 * present, the imported 全字庫 Properties in @p vardir/hanzi/props.tsv
 * (@p vardir may be NULL).  Load the character tables first
 * (egov_hanzi_tables_load()) so that CNS codes resolve through them; else
 * Unihan's kIRG_TSource is used.  Replaces tables loaded before (call it before
 * serving, not concurrently with lookups).  Returns false with a message in
 * @p err if no source could be read; the module still works then, without
 * properties and with search keys that fold only width and case.
 */
bool egov_hanzi_props_load(const char *vardir, const char *unihan_dir, char *err, size_t errlen);
/** Frees the loaded properties (module fini; tests).  The next use reloads the defaults. */
void egov_hanzi_props_unload(void);
/** Where the properties came from: "cns11643+unihan", "unihan" or "none" (static). */
const char *egov_hanzi_props_source(void);
/** Number of characters with properties. */
size_t egov_hanzi_props_count(void);
/** Fills @p out with the properties of @p cp; false if it has none. */
bool egov_hanzi_props_get(uint32_t cp, struct egov_hanzi_props *out);

/**
 * Imports the official Properties folder (@p srcdir/Properties, or
 * @p srcdir itself if it holds CNS_stroke.txt) into @p vardir/hanzi/props.tsv,
 * keyed by CNS code, through a temporary file renamed into place.  Stores the
 * number of characters in @p entries (may be NULL).  Returns false with a
 * message ("CNS_stroke.txt:12: malformed line") in @p err; nothing is
 * replaced then.  Called by `egov hanzi import DIR`; reload afterwards.
 */
bool egov_hanzi_props_import(const char *srcdir, const char *vardir, unsigned long *entries,
                             char *err, size_t errlen);

/**
 * Converts one Hanyu Pinyin syllable ("tái", "lü4", "nv3", "ma5" or "ma")
 * to 注音 ("ㄊㄞˊ") into @p out.  False if it is not a syllable 注音 can
 * write (or @p out is too small).
 */
bool egov_hanzi_pinyin_to_zhuyin(const char *pinyin, char *out, size_t outlen);

/**
 * Adds the properties of @p cp (strokes, readings, radical, variants) to
 * @p obj: "strokes", "radical" {"number","char","residual"}, "zhuyin" [..],
 * "variants" [{"char","unicode","relation"}], "properties_source".
 * Used by `egov hanzi info` and GET /api/hanzi/chars/{c}.  Keys it cannot
 * fill are left out; on OOM some may be missing.
 * Declared weak: callers check that it is linked before calling.
 */
__attribute__((weak)) void egov_hanzi_props_describe(uint32_t cp, json_t *obj);

/* ---- variants and folding ---------------------------------------- */

/** How two characters relate. */
enum egov_hanzi_relation {
    EGOV_HANZI_REL_SAME = 0,       /**< the same code point */
    EGOV_HANZI_REL_COMPAT,         /**< equal after NFKC / width folding (Ｌ/L, 﨑/崎 as code points) */
    EGOV_HANZI_REL_ZVARIANT,       /**< Unihan kZVariant: the same character, another glyph */
    EGOV_HANZI_REL_VARIANT,        /**< Unihan kSemanticVariant (or a chain of them / kZVariant) */
    EGOV_HANZI_REL_DIFFERENT,      /**< none of the above */
};
/** "same", "compatibility", "z-variant", "variant", "different" (static). */
const char *egov_hanzi_relation_name(enum egov_hanzi_relation rel);

/**
 * The variant class representative of @p cp: characters that Unihan
 * declares kSemanticVariant or kZVariant of each other (transitively) share
 * one, and so do a simplified form and its traditional form where the
 * mapping is one to one and the simplified form is not a common character
 * in Taiwan (CNS plane 1 or 2): 黃/黄, 劉/刘.  Other traditional/simplified
 * pairs and specialised-semantic variants are not folded: they merge
 * distinct surnames (范/範, 余/餘, 沈/瀋, 鍾/鐘 through 钟) or hold only in
 * some senses (才/纔).  Returns @p cp itself when it has no variants.
 */
uint32_t egov_hanzi_variant_fold(uint32_t cp);
/** How characters @p a and @p b relate (see enum egov_hanzi_relation). */
enum egov_hanzi_relation egov_hanzi_relation(uint32_t a, uint32_t b);

/**
 * The search key of a name: NFKC with case folding (full-width letters and
 * digits, compatibility ideographs), white space and name separators
 * (· ‧ ・ •) removed, and every character replaced by its variant class
 * representative, so 臺北/台北, 峯/峰, 裏/裡 get one key.  The stored name is
 * never changed: store the key beside it and search by key.  @p utf8 must be
 * valid UTF-8.  Returns a malloc'd string (caller egov_free()s), or NULL on
 * invalid UTF-8 or OOM.  An empty name gives an empty key.
 */
char *egov_hanzi_search_key(const char *utf8, size_t len);

/**
 * Folds an identifier (national ID, business ID, plate number, code):
 * NFKC (full-width to half-width, compatibility forms), ASCII upper case,
 * surrounding white space removed.  For identifiers only, never for names.
 * Returns a malloc'd string or NULL on invalid UTF-8 or OOM.
 */
char *egov_hanzi_identifier_fold(const char *utf8, size_t len);

/* ---- ordering ---------------------------------------------------- */

/** Orders for name lists. */
enum egov_hanzi_order {
    EGOV_HANZI_ORDER_STROKE = 0, /**< total strokes, then radical, then residual strokes */
    EGOV_HANZI_ORDER_ZHUYIN = 1, /**< 注音 reading (ㄅㄆㄇㄈ order, then tone), then strokes */
};
/** Parses "stroke" or "zhuyin".  False if unknown. */
bool egov_hanzi_order_parse(const char *s, enum egov_hanzi_order *out);

/**
 * A sort key for @p utf8 in @p order: a malloc'd string of lowercase hex
 * digits (caller egov_free()s) that compares with strcmp() (or SQL ORDER BY
 * under the C collation) in the order wanted: character by character; Han
 * characters after other characters; unknown properties last; ties broken
 * by code point so different names never share a key.  NULL on invalid
 * UTF-8 or OOM.
 */
char *egov_hanzi_sort_key(const char *utf8, size_t len, enum egov_hanzi_order order);
/** Compares two NUL-terminated UTF-8 strings in @p order (<0, 0, >0; invalid UTF-8 last). */
int egov_hanzi_compare(const char *a, const char *b, enum egov_hanzi_order order);

/**
 * Compares two strings with ICU's collation for @p order: "zh-Hant-u-co-stroke"
 * or "zh-u-co-zhuyin".  Returns <0, 0, >0; sets @p ok false (if not NULL)
 * when ICU could not open the collator.
 */
int egov_hanzi_compare_icu(const char *a, const char *b, enum egov_hanzi_order order, bool *ok);

/**
 * Compares our order with ICU's on @p n strings: sorts them by
 * egov_hanzi_sort_key() and asks ICU about every adjacent pair.  Returns
 * {"order", "items", "pairs", "agree", "disagree", "icu_equal" (pairs ICU
 * finds equal), "icu" (false if ICU had no collator), "examples": [{"ours_first",
 * "icu_first"}, ...] (at most @p max_examples)} (caller decrefs), or NULL on
 * OOM.  Strings that are not valid UTF-8 are left out.
 */
json_t *egov_hanzi_collate_check(const char *const *items, size_t n, enum egov_hanzi_order order,
                                 size_t max_examples);

/* ---- name matching ----------------------------------------------- */

/**
 * Decides whether two names are the same person's name, and why.  Each name
 * is given as bytes in an encoding (NULL = UTF-8, else a name for
 * egov_hanzi_encoding_by_name(), decoded under the strict policy).  Returns
 * a new JSON object (caller decrefs): {"match": bool, "reason": "identical" |
 * "compatibility" | "variant" | "different" | "length", "a", "b" (the names
 * in UTF-8), "details": [{"pos", "a", "b", "relation"}, ...] (one per
 * position that differs)}.  Returns NULL and sets @p ec (and @p field to
 * "a", "b", "encoding_a" or "encoding_b") on an unknown encoding, bytes
 * that do not decode, or OOM.
 */
json_t *egov_hanzi_match_names(const void *a, size_t alen, const char *enc_a, const void *b,
                               size_t blen, const char *enc_b, enum egov_ec *ec,
                               const char **field);

/* ---- rare-character lookup --------------------------------------- */

/** A lookup query: give zhuyin, or radical (with or without residual), or strokes. */
struct egov_hanzi_lookup_query {
    const char *zhuyin;   /**< one 注音 syllable, tone optional ("ㄊㄞ" matches every tone) */
    unsigned int radical; /**< Kangxi radical 1..214, 0 = not given */
    int residual;         /**< strokes besides the radical, -1 = any */
    unsigned int strokes; /**< total strokes 1..99, 0 = not given */
    size_t offset;        /**< candidates to skip */
    size_t limit;         /**< at most this many (1..500) */
};

/**
 * Parses a radical given as its number ("85"), as the radical character
 * (水 or the Kangxi radical ⽔) or as a common combining form (氵).
 * Returns 1..214, or 0 if unknown.
 */
unsigned int egov_hanzi_radical_parse(const char *s);
/**
 * The character of radical 1..214 (UTF-8, e.g. "水"; "" without
 * properties; borrowed until the properties are reloaded) and its strokes
 * in @p strokes (0 if unknown; may be NULL).  NULL if out of range.
 */
const char *egov_hanzi_radical_char(unsigned int radical, unsigned int *strokes);

/**
 * Finds candidate characters: {"total": n, "offset", "limit", "candidates":
 * [{"char", "unicode": "U+81FA", "cns": "1-6A57" | null, "private_use": bool,
 * "strokes", "radical", "residual", "zhuyin": [..]}, ...]}, ordered CNS
 * plane 1 first (common characters), then plane 2, the other planes, then
 * characters outside CNS; within each by strokes and code point.  Returns
 * NULL with @p ec / @p field naming the bad part of the query
 * (EGOV_EC_GENERIC_PARAMETER_MISSING / _MALFORMED) or EGOV_EC_GENERIC_OOM.
 */
json_t *egov_hanzi_lookup(const struct egov_hanzi_lookup_query *q, enum egov_ec *ec,
                          const char **field);

/* ---- HTTP and CLI ------------------------------------------------ */

/** GET /api/hanzi/lookup?zhuyin=..|radical=..&residual=..|strokes=..&offset=&limit= */
void egov_hanzi_handle_lookup(struct egov_req *req);
/**
 * POST /api/hanzi/match: each name as UTF-8 text ("a", "b") or as its bytes
 * in hex ("a_hex", "b_hex") in the encoding "encoding_a" / "encoding_b"
 * (big5, cns-dci, ...).  Answers the egov_hanzi_match_names() object; 400
 * naming the field for a missing or doubled name, bad hex, an unknown
 * encoding or bytes that do not decode.
 */
void egov_hanzi_handle_match(struct egov_req *req);
/** GET /hanzi/lookup: the portal page for finding a character of one's name. */
void egov_hanzi_handle_lookup_page(struct egov_req *req);

/**
 * Runs the property subcommands of `egov hanzi`: "sort [--order
 * stroke|zhuyin] [--icu]" (sorts stdin lines), "key" (search key of each
 * stdin line), "match A B", "lookup --zhuyin Z | --radical R [--residual N]
 * | --strokes N".  argv[0] is the subcommand.  Returns the exit code, or
 * -1 if argv[0] is not one of these subcommands.
 */
int egov_hanzi_props_cli(int argc, char **argv, const struct egov_module_env *env);

#endif /* EGOV_HANZI_H */
