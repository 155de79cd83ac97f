/*
 * table.h -- internal: the in-memory character tables shared by the
 * converter (conv.c), the loaders (table.c, import.c) and the CLI.
 *
 * Not a public header; other modules use hanzi.h.
 */
#ifndef EGOV_HANZI_TABLE_H
#define EGOV_HANZI_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hanzi/hanzi.h"

/** Highest CNS plane kept (the 全字庫 tables use planes 1..19 and a few of 24). */
#define EGOV_HANZI_MAX_PLANE 24
/** Cells of one CNS plane: rows and columns 0x21..0x7E. */
#define EGOV_HANZI_PLANE_CELLS (94 * 94)
/** Pages of 256 code points covering U+0000..U+10FFFF. */
#define EGOV_HANZI_PAGES 0x1100
/** The GETA MARK used by the replace policy. */
#define EGOV_HANZI_GETA 0x3013u

/** How an encoding's bytes are shaped. */
enum egov_hanzi_kind {
    EGOV_HANZI_K_UTF8 = 0, /**< UTF-8 */
    EGOV_HANZI_K_CNS,      /**< plane-code notation "1-4421 1-4422" */
    EGOV_HANZI_K_EUCTW,    /**< EUC-TW: ASCII, A1-FE pairs (plane 1), 8E A1+p-1 pairs */
    EGOV_HANZI_K_DBCS,     /**< ASCII plus lead 0x81..0xFE and a trail byte (Big5 family) */
    EGOV_HANZI_K_TAX4,     /**< 財稅交換碼: four ASCII characters [0-9A-Z] per character;
                                space, CR and LF stand for themselves */
};

/** A 32-bit code (four ASCII bytes, big-endian) and its code point. */
struct egov_hanzi_wide {
    uint32_t code;
    uint32_t cp;
    uint32_t seq; /**< order of insertion: the first mapping wins */
};

/** A 16-bit code set: decode and encode tables. */
struct egov_hanzi_dbcs {
    uint32_t dec[65536];             /**< code -> code point; 0 = unmapped */
    uint16_t *enc[EGOV_HANZI_PAGES]; /**< cp >> 8 -> page of 256 codes (0 = none); pages malloc'd */
    bool eudc;                       /**< unmapped EUDC codes map to private use (Big5 rule) */
    unsigned char trail_lo;          /**< lowest trail byte: 0x40 (Big5) or 0x21 (agency codes) */
    /* EGOV_HANZI_K_TAX4 only: codes sorted by code; enc pages hold index + 1 */
    struct egov_hanzi_wide *wide;
    size_t nwide, capwide;
};

/** An encoding: a name, a shape and (for DBCS and TAX4) a table. */
struct egov_hanzi_encoding {
    char name[48];
    enum egov_hanzi_kind kind;
    struct egov_hanzi_dbcs *t; /**< owned by the database; NULL for UTF-8, CNS and EUC-TW */
};

/** Most encodings a database holds (fixed ones, Big5 family, agencies, 25 counties). */
#define EGOV_HANZI_MAX_ENCODINGS 64

/** The loaded character database. */
struct egov_hanzi_db {
    uint32_t *cns2cp;                   /**< [plane-1][cell]; 0 = unmapped; malloc'd */
    uint32_t *cp2cns[EGOV_HANZI_PAGES]; /**< pages of 256 packed CNS codes; malloc'd */
    struct egov_hanzi_encoding enc[EGOV_HANZI_MAX_ENCODINGS];
    unsigned int nenc;
    char source[64];
    char vardir[512]; /**< where it was loaded from ("" for none) */
    bool unihan;      /**< Unihan kIRG_TSource was wanted (fresh machines: planes 8-15) */
};

/** The database currently loaded, or NULL (read-only once published). */
const struct egov_hanzi_db *egov_hanzi_db_get(void);

/** Allocates an empty database; NULL on OOM. */
struct egov_hanzi_db *egov_hanzi_db_new(void);
/** Frees a database and its tables.  NULL is a no-op. */
void egov_hanzi_db_free(struct egov_hanzi_db *db);
/** Sets CNS <-> code point (first mapping of either side wins).  False on OOM or bad input. */
bool egov_hanzi_db_set_cns(struct egov_hanzi_db *db, uint32_t cns, uint32_t cp);
/**
 * Adds an encoding with a new empty table (for DBCS and TAX4 kinds).  Returns
 * it, or NULL if the database is full, the name is taken or OOM.
 */
struct egov_hanzi_encoding *egov_hanzi_db_add(struct egov_hanzi_db *db, const char *name,
                                              enum egov_hanzi_kind kind);
/** Adds an alias: a second name for the encoding called @p target.  False if absent/full. */
bool egov_hanzi_db_alias(struct egov_hanzi_db *db, const char *alias, const char *target);
/**
 * Sets code <-> code point in @p t.  Decoding: the first mapping of a
 * code wins; encoding: the first mapping of a code point wins.  Returns a
 * bit set: 1 = decode entry set, 2 = encode entry set; -1 on OOM.
 */
int egov_hanzi_dbcs_set(struct egov_hanzi_dbcs *t, uint16_t code, uint32_t cp);
/** Adds a 32-bit code (TAX4 tables); call egov_hanzi_wide_finish() after the last.  False on OOM.
 */
bool egov_hanzi_wide_add(struct egov_hanzi_dbcs *t, uint32_t code, uint32_t cp);
/** Sorts the 32-bit codes and builds their encode pages.  False on OOM. */
bool egov_hanzi_wide_finish(struct egov_hanzi_dbcs *t);
/** Decodes a 32-bit code: the code point or 0. */
uint32_t egov_hanzi_wide_dec(const struct egov_hanzi_dbcs *t, uint32_t code);
/** Encodes @p cp as a 32-bit code: the code or 0. */
uint32_t egov_hanzi_wide_enc(const struct egov_hanzi_dbcs *t, uint32_t cp);
/** Encodes @p cp in @p t: the code or 0. */
uint16_t egov_hanzi_dbcs_enc(const struct egov_hanzi_dbcs *t, uint32_t cp);
/** Packed CNS code of @p cp in @p db, or 0. */
uint32_t egov_hanzi_db_cns_of(const struct egov_hanzi_db *db, uint32_t cp);
/** Code point of a packed CNS code in @p db, or 0. */
uint32_t egov_hanzi_db_cp_of(const struct egov_hanzi_db *db, uint32_t cns);
/** Publishes @p db as the loaded database (takes it; the previous one is freed at unload). */
void egov_hanzi_db_publish(struct egov_hanzi_db *db);

/**
 * egov_hanzi_tables_load() with a choice: @p unihan false skips reading
 * Unihan's kIRG_TSource when no tables were imported (CNS then covers
 * glibc's planes 1-7 only), for short-lived commands that convert Big5.
 */
bool egov_hanzi_tables_load_opts(const char *vardir, bool unihan, char *err, size_t errlen);
/** Fills @p db from glibc iconv (CP950 and EUC-TW).  False with @p err if iconv lacks them. */
bool egov_hanzi_table_from_glibc(struct egov_hanzi_db *db, char *err, size_t errlen);
/** Reads a tables.bin written by egov_hanzi_import() into @p db.  False with @p err. */
bool egov_hanzi_table_read(struct egov_hanzi_db *db, const char *path, char *err, size_t errlen);

/** The hanzi module's migrations: the table hanzi_file that carries imported tables to every node.
 */
extern const struct egov_db_module_migrations egov_hanzi_migrations;
/**
 * Stores the imported files of @p vardir/hanzi (tables.bin, props.tsv; those
 * present) in the database, one transaction each.  Sets @p stored to how
 * many.  False with a message in @p err on a database error.
 */
bool egov_hanzi_tables_publish(struct egov_db *db, const char *vardir, unsigned int *stored,
                               char *err, size_t errlen);
/**
 * Copies every stored file whose SHA-256 differs from the local copy into
 * @p vardir/hanzi (temporary file, then rename).  Sets @p copied to how many
 * were written.  False with a message in @p err on a database or file error,
 * or if a stored file does not match its digest.
 */
bool egov_hanzi_tables_fetch(struct egov_db *db, const char *vardir, unsigned int *copied,
                             char *err, size_t errlen);

/** ASCII slug of a county's name ("台北市" -> "taipei-city"), or NULL if unknown. */
const char *egov_hanzi_county_slug(const char *county);

#endif /* EGOV_HANZI_TABLE_H */
