/*
 * directory_int.h -- helpers shared by the files of the directory module
 * (not part of its API).
 */
#ifndef EGOV_DIRECTORY_INT_H
#define EGOV_DIRECTORY_INT_H

#include <stddef.h>

#include "directory/directory.h"

/** How long a module function waits for a database connection. */
#define DIR_DB_WAIT_MS 10000u
/** Retries of a transaction after a serialization failure or SQLITE_BUSY. */
#define DIR_TXN_RETRIES 20u
/** Size of a folded search key buffer. */
#define DIR_KEY_MAX 1024

/** The module's migrations, routes and CLI verbs. */
extern const struct egov_db_module_migrations dir_migrations;
extern const struct egov_route_table dir_routes;
extern const struct egov_module_cli dir_cli[];

/** Runs @p fn in one transaction on a pooled connection of @p db. */
enum egov_db_qs dir_txn(struct egov_db *db, bool write, egov_db_txn_fn fn, void *cls);
/** True if @p s is 1..@p max code points of valid UTF-8 without control characters. */
bool dir_text_ok(const char *s, size_t max, bool allow_empty);

/** A text column of a result row and the fixed-size field of a record it fills. */
struct dir_text_col {
    unsigned int col;
    size_t offset, size;
};
#define DIR_TEXT_COL(type, field, col)                                                             \
    {                                                                                              \
        (col), offsetof(type, field), sizeof(((type *)0)->field)                                   \
    }
/**
 * Zeroes @p record (@p size bytes), then copies the text columns @p cols
 * (@p n of them) of row @p row of @p r into its fields, truncated at a
 * character boundary to fit; a NULL column leaves its field empty.
 */
void dir_fill_texts(const struct egov_db_rows *r, size_t row, void *record, size_t size,
                    const struct dir_text_col *cols, size_t n);

/** Reads agency @p id on connection @p c. */
enum egov_db_qs dir_agency_get_on(struct egov_db_conn *c, const char *id,
                                  struct egov_directory_agency *out);
/** Like egov_directory_agency_is_within() on connection @p c; negative on error, 1 yes, 0 no. */
int dir_agency_within_on(struct egov_db_conn *c, const char *id, const char *ancestor_id);

/**
 * The directory's rule for @p actor changing something of agency
 * @p agency_id ("" for things of no agency, which only a platform
 * administrator may change): a platform administrator anywhere, an agency
 * administrator within its own agency and below; then the installed
 * authorizer.
 */
enum egov_ec dir_authorize(struct egov_db *db, const struct egov_oid_actor *actor,
                           const char *action, const char *agency_id);

/** How one audited read is written to dir_read (see reads.c). */
struct dir_read_ctx {
    const struct egov_directory_reader *reader;
    const char *kind;  /**< "person" or "staff" */
    const char *via;   /**< "get", "search", "staff", "staff-of" */
    const char *query; /**< the search text, or "" */
    bool failed;       /**< set when writing an entry failed */
};

/**
 * Writes one read of record @p record_id (dir_person.id or dir_staff.id)
 * on connection @p c, inside the caller's transaction.  On failure sets
 * @p ctx->failed and returns the error status.
 */
enum egov_db_qs dir_read_record_on(struct egov_db_conn *c, struct dir_read_ctx *ctx,
                                   const char *record_id);

#endif /* EGOV_DIRECTORY_INT_H */
