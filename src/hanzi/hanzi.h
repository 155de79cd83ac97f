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
 * @p vardir/hanzi/tables.bin if present, else the built-in sources
 * (Unihan kIRG_TSource/kBigFive from unicode-data, glibc iconv CP950 and
 * EUC-TW).  Idempotent and thread-safe; called by the module's init.
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

/**
 * Adds the properties of @p cp (strokes, readings, radical, variants) to
 * @p obj.  Used by `egov hanzi info` and GET /api/hanzi/chars/{c}.
 * Declared weak: callers check that it is linked before calling.
 */
__attribute__((weak)) void egov_hanzi_props_describe(uint32_t cp, json_t *obj);

#endif /* EGOV_HANZI_H */
