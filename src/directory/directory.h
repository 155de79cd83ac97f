/*
 * directory.h -- agencies, units, staff, citizens, businesses and foreign
 * residents: the platform's directory of principals.
 *
 * Agencies form a tree (parent_id) and carry their official name, agency
 * code (機關代碼), OID in the registry of the oid module, address, phone
 * and LDAP-style DN; a rename keeps the old name (and old OID) in the
 * agency's history.  Units belong to an agency; staff are memberships of
 * a person (an account subject, opaque here) in an agency and optionally a
 * unit.  Role names and grants are the authz module's: it refers to
 * agencies by their agency code (or id, for agencies without a code).
 * Persons are citizens (national ID) or foreign residents (resident
 * certificate number, the 2021 format or the old one); businesses are
 * identified by their 統一編號.
 *
 * Every name has a folded search key (egov_oid_search_key()) stored beside
 * it, so searches match variants (臺/台, full-width letters, ...).
 *
 * Functions returning enum egov_db_qs: EGOV_DB_ONE_ROW found (and @p out
 * filled), EGOV_DB_NO_ROW not found, negative on a database error.
 * Functions returning enum egov_ec: EGOV_EC_NONE on success, else the
 * error to answer (validation, conflict, database).
 *
 * Depends on core, store, http, hanzi and oid.
 */
#ifndef EGOV_DIRECTORY_H
#define EGOV_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"
#include "oid/oid.h"

/** The directory module: its migrations, routes, start-up and CLI verbs. */
extern const struct egov_module egov_directory_module;

/* ------------------------------------------------------------------ */
/* Identifiers                                                         */
/* ------------------------------------------------------------------ */

/** What kind of personal identifier a string is. */
enum egov_directory_id_kind {
    EGOV_DIRECTORY_ID_INVALID = 0,  /**< malformed or wrong check digit */
    EGOV_DIRECTORY_ID_NATIONAL = 1, /**< 身分證統一編號: letter, 1/2, 8 digits */
    EGOV_DIRECTORY_ID_RESIDENT = 2, /**< resident certificate since 2021: letter, 8/9, 8 digits */
    EGOV_DIRECTORY_ID_RESIDENT_OLD =
        3, /**< resident certificate before 2021: two letters, 8 digits */
};

/**
 * Checks a national ID or resident certificate number (upper case
 * letters; exactly 10 characters) including its check digit.  Returns its
 * kind, or EGOV_DIRECTORY_ID_INVALID.
 */
enum egov_directory_id_kind egov_directory_id_check(const char *id);

/** 'M' or 'F' from a valid identifier's gender position; '?' if invalid. */
char egov_directory_id_gender(const char *id);

/**
 * Checks a business identifier (統一編號): 8 digits, weights 1,2,1,2,1,2,4,1,
 * digit sums of the products; valid when the sum is divisible by 5 (the
 * rule since April 2023, which accepts every number valid under the old
 * divisible-by-10 rule), or, when the 7th digit is 7, when sum + 1 is.
 */
bool egov_directory_ban_valid(const char *ban);

/**
 * Checks an agency code (機關代碼): 10 characters, upper case letters and
 * digits (e.g. "A00000000A", "376410000A").
 */
bool egov_directory_agency_code_valid(const char *code);

/* ------------------------------------------------------------------ */
/* Agencies                                                            */
/* ------------------------------------------------------------------ */

/** An agency. */
struct egov_directory_agency {
    char id[37];                     /**< UUIDv7 */
    char code[16];                   /**< 機關代碼, "" if unknown */
    char oid[EGOV_OID_TEXT_MAX + 1]; /**< "" if none */
    char parent_id[37];              /**< "" for a top-level agency */
    char name[256];                  /**< official name */
    char address[512];
    char phone[64];
    char dn[512]; /**< LDAP-style DN, e.g. "ou=內政部,o=行政院,c=TW" */
    bool active;
    int64_t created_at; /**< epoch microseconds */
    int64_t updated_at;
};

/** Looks up an agency by its id. */
enum egov_db_qs egov_directory_agency_get(struct egov_db *db, const char *id,
                                          struct egov_directory_agency *out);
/** Looks up an agency by its agency code (機關代碼). */
enum egov_db_qs egov_directory_agency_by_code(struct egov_db *db, const char *code,
                                              struct egov_directory_agency *out);
/** Looks up an agency by its OID (current, or a former one from a rename). */
enum egov_db_qs egov_directory_agency_by_oid(struct egov_db *db, const char *oid,
                                             struct egov_directory_agency *out);

/**
 * Creates agency @p in (id, created_at, updated_at ignored) on behalf of
 * @p actor: a platform administrator anywhere, an agency administrator
 * only below its own agency and under its own arc.  Validates the name
 * (1..200 code points), the code, the OID and the parent; in the same
 * transaction registers the agency's OID arc, or marks an arc already
 * registered as the new agency's (with the agency's name).  Writes the new
 * id to @p id_out.  Returns EGOV_EC_NONE, EGOV_EC_DIRECTORY_* validation or
 * conflict codes, EGOV_EC_GENERIC_FORBIDDEN, or a database error code.
 */
enum egov_ec egov_directory_agency_create(struct egov_db *db, const struct egov_oid_actor *actor,
                                          const struct egov_directory_agency *in, char id_out[37]);

/**
 * Updates the address, phone and code of agency @p id (each NULL to keep
 * it) and, when @p new_name differs from the current name, renames it,
 * recording the old name in the history with @p effective_date
 * ("YYYY-MM-DD" or NULL for today).  One transaction.
 */
enum egov_ec egov_directory_agency_update(struct egov_db *db, const struct egov_oid_actor *actor,
                                          const char *id, const char *new_name, const char *code,
                                          const char *address, const char *phone,
                                          const char *effective_date);

/** The agency as a JSON object (new reference; NULL on OOM). */
json_t *egov_directory_agency_to_json(const struct egov_directory_agency *a);

/**
 * The history of agency @p id: a new JSON array of {"name","oid",
 * "valid_until","source"} entries, oldest first.
 */
enum egov_ec egov_directory_agency_history(struct egov_db *db, const char *id, json_t **out);

/**
 * The child agencies of @p parent_id (NULL or "": the top level) as a new
 * JSON array of {"id","name","code","oid","children"} ordered by OID.
 */
enum egov_ec egov_directory_agency_children(struct egov_db *db, const char *parent_id,
                                            json_t **out);

/**
 * The ancestors of agency @p id from the top down to the agency itself,
 * as a new JSON array of {"id","name"}.
 */
enum egov_ec egov_directory_agency_path(struct egov_db *db, const char *id, json_t **out);

/**
 * Searches agencies whose current or former name matches @p query after
 * folding (every folded character of the query in order, contiguous), at
 * most @p limit (1..500), shortest name first.  A new JSON array of
 * agency objects in @p *out.
 */
enum egov_ec egov_directory_agency_search(struct egov_db *db, const char *query, unsigned int limit,
                                          json_t **out);

/**
 * True if agency @p id is @p ancestor_id or lies below it.  Either may be
 * given by directory id or by agency code (機關代碼), the key authz uses.
 * False for unknown agencies and on errors too.
 */
bool egov_directory_agency_is_within(struct egov_db *db, const char *id, const char *ancestor_id);

/* ------------------------------------------------------------------ */
/* Import of the official OID list and LDIF export                     */
/* ------------------------------------------------------------------ */

/** Figures of one import. */
struct egov_directory_import_stats {
    unsigned long rows;      /**< data rows read */
    unsigned long created;   /**< agencies created */
    unsigned long updated;   /**< agencies whose data changed */
    unsigned long unchanged; /**< agencies already up to date */
    unsigned long renamed;   /**< history entries added from the changes file */
    unsigned long skipped;   /**< rows rejected (bad OID, empty name), see the log */
};

/** Progress of an import: @p done of @p total rows. */
typedef void (*egov_directory_import_progress)(unsigned long done, unsigned long total, void *cls);

/**
 * Imports the government OID list (GDS.csv: 機關名稱,OID,電話,地址,DN; UTF-8,
 * optional BOM, RFC 4180 quoting) from @p gds_path and, if not NULL, the
 * rename list (change.csv: old_name,new_name,old_oid,new_oid,change_date,
 * ref) from @p changes_path.  Agencies are matched by OID, so a re-import
 * changes nothing that is already up to date.  Parents follow the OID
 * tree (nearest listed ancestor).  A rename whose current side is listed
 * adds the other name and OID to that agency's history.  Runs in batches
 * of transactions; @p progress (may be NULL) is called after each batch.
 * On failure returns the error and writes one sentence to @p err.
 */
enum egov_ec egov_directory_import_oid_list(struct egov_db *db, const char *gds_path,
                                            const char *changes_path,
                                            egov_directory_import_progress progress, void *cls,
                                            struct egov_directory_import_stats *stats, char *err,
                                            size_t errlen);

/**
 * Writes the agency tree below agency @p root_id (NULL: all of it) as LDIF
 * (RFC 2849) to @p out: one entry per agency (organization or
 * organizationalUnit with telephoneNumber, postalAddress, description
 * holding the OID, and businessCategory holding the agency code), plus the
 * intermediate entries (c=TW, localities) their DNs need, parents before
 * children; values that are not safe ASCII are base64-encoded.
 */
enum egov_ec egov_directory_export_ldif(struct egov_db *db, const char *root_id,
                                        struct egov_buf *out);

/**
 * Recomputes every search key of the directory (agencies, former names,
 * units, staff, persons, businesses) and of the OID registry, after the
 * folding changed (the Unihan data was installed or updated).  Writes the
 * number of keys that changed to @p changed.  Transactions of a few
 * hundred rows; safe while the node serves.
 */
enum egov_ec egov_directory_rekey(struct egov_db *db, unsigned long *changed);

/* ------------------------------------------------------------------ */
/* Units and staff                                                     */
/* ------------------------------------------------------------------ */

/**
 * Creates unit @p name in agency @p agency_id (below @p parent_unit_id of
 * the same agency, or NULL).  Writes its id to @p id_out.
 */
enum egov_ec egov_directory_unit_create(struct egov_db *db, const struct egov_oid_actor *actor,
                                        const char *agency_id, const char *parent_unit_id,
                                        const char *name, char id_out[37]);
/** The units of agency @p agency_id as a new JSON array of {"id","name","parent_id"}. */
enum egov_ec egov_directory_unit_list(struct egov_db *db, const char *agency_id, json_t **out);

/**
 * Adds (or re-activates) the membership of @p subject (an account id or
 * another principal identifier, opaque here) in agency @p agency_id,
 * optionally in unit @p unit_id, with display @p name and job @p title.
 * Writes the membership id to @p id_out.
 */
enum egov_ec egov_directory_staff_add(struct egov_db *db, const struct egov_oid_actor *actor,
                                      const char *agency_id, const char *unit_id,
                                      const char *subject, const char *name, const char *title,
                                      char id_out[37]);
/** Ends the membership @p staff_id (kept, marked inactive). */
enum egov_ec egov_directory_staff_remove(struct egov_db *db, const struct egov_oid_actor *actor,
                                         const char *staff_id);
/** Active staff of agency @p agency_id: a new JSON array. */
enum egov_ec egov_directory_staff_list(struct egov_db *db, const char *agency_id, json_t **out);
/**
 * The agencies @p subject is active staff of: a new JSON array of
 * {"staff_id","agency_id","agency_name","unit_id","title"}.  For authz
 * and account: "which agencies does this person work for".
 */
enum egov_ec egov_directory_staff_of(struct egov_db *db, const char *subject, json_t **out);

/* ------------------------------------------------------------------ */
/* Persons (citizens and foreign residents) and businesses             */
/* ------------------------------------------------------------------ */

/** A citizen or foreign resident. */
struct egov_directory_person {
    char id[37];
    char id_number[16]; /**< national ID or resident certificate number */
    char kind[20];      /**< "citizen" or "foreign_resident" (from the number) */
    char name[256];
    char name_latin[256]; /**< passport name of a foreign resident, or "" */
    char nationality[4];  /**< ISO 3166-1 alpha-3 for residents ("TWN" for citizens) */
    char birth_date[11];  /**< "YYYY-MM-DD" or "" */
    char gender;          /**< 'M' or 'F' from the number */
    char address[512];
    int64_t created_at;
};

/**
 * Adds a person.  @p p->kind and @p p->gender are derived from the number
 * (a citizen's national ID, or a resident certificate number for a
 * foreign resident); id and created_at are ignored.  Writes the id.
 * Returns EGOV_EC_DIRECTORY_ID_INVALID, EGOV_EC_DIRECTORY_EXISTS, ...
 */
enum egov_ec egov_directory_person_add(struct egov_db *db, const struct egov_directory_person *p,
                                       char id_out[37]);
/** Looks a person up by id. */
enum egov_db_qs egov_directory_person_get(struct egov_db *db, const char *id,
                                          struct egov_directory_person *out);
/** Looks a person up by national ID / resident certificate number. */
enum egov_db_qs egov_directory_person_by_id_number(struct egov_db *db, const char *id_number,
                                                   struct egov_directory_person *out);
/** The person as a JSON object (new reference). */
json_t *egov_directory_person_to_json(const struct egov_directory_person *p);

/** A business. */
struct egov_directory_business {
    char id[37];
    char ban[9]; /**< 統一編號 */
    char name[256];
    char representative[256];
    char address[512];
    char status[16]; /**< "active", "suspended", "dissolved" */
    int64_t created_at;
};

/** Adds a business (id and created_at ignored).  Writes its id. */
enum egov_ec egov_directory_business_add(struct egov_db *db,
                                         const struct egov_directory_business *b, char id_out[37]);
/** Looks a business up by its 統一編號. */
enum egov_db_qs egov_directory_business_by_ban(struct egov_db *db, const char *ban,
                                               struct egov_directory_business *out);
/** The business as a JSON object (new reference). */
json_t *egov_directory_business_to_json(const struct egov_directory_business *b);

/**
 * Searches persons and businesses by folded name: a new JSON object
 * {"persons":[...],"businesses":[...]} with at most @p limit of each.
 */
enum egov_ec egov_directory_principal_search(struct egov_db *db, const char *query,
                                             unsigned int limit, json_t **out);

/* ------------------------------------------------------------------ */
/* Audited reads of personal records                                   */
/* ------------------------------------------------------------------ */

/*
 * A read of a citizen's, foreign resident's or staff member's record
 * through the API writes one row to dir_read per record returned (a search
 * writes one per person it returns), in the same transaction as the read:
 * if the row cannot be written the read fails with
 * EGOV_EC_DIRECTORY_READ_AUDIT_FAILED (503) and returns nothing.  Agency
 * records are public and not audited.
 */

/** Who reads personal records, and why (strings borrowed). */
struct egov_directory_reader {
    const char *subject;    /**< principal id of the reader (required) */
    const char *agency_id;  /**< the agency the reader acts for, or "" */
    const char *request_id; /**< the request id, or "" */
    const char *purpose;    /**< the stated purpose, or "" */
};

/**
 * Looks a person up by national ID / resident certificate number on behalf
 * of @p reader and records the read.  Returns EGOV_EC_NONE with @p out
 * filled, DIRECTORY_ID_INVALID, DIRECTORY_NOT_FOUND (nothing recorded),
 * DIRECTORY_READ_AUDIT_FAILED, or a database error code.
 */
enum egov_ec egov_directory_person_read(struct egov_db *db,
                                        const struct egov_directory_reader *reader,
                                        const char *id_number, struct egov_directory_person *out);

/**
 * egov_directory_principal_search() on behalf of @p reader: every person
 * returned gets one read entry naming the query.  Errors as there, plus
 * DIRECTORY_READ_AUDIT_FAILED.
 */
enum egov_ec egov_directory_principal_search_read(struct egov_db *db,
                                                  const struct egov_directory_reader *reader,
                                                  const char *query, unsigned int limit,
                                                  json_t **out);

/**
 * egov_directory_staff_list() on behalf of @p reader: every staff member
 * returned gets one read entry.  Errors as there, plus
 * DIRECTORY_READ_AUDIT_FAILED.
 */
enum egov_ec egov_directory_staff_list_read(struct egov_db *db,
                                            const struct egov_directory_reader *reader,
                                            const char *agency_id, json_t **out);

/**
 * egov_directory_staff_of() on behalf of @p reader: unless the reader
 * reads its own memberships, every membership returned gets one read
 * entry.  Errors as there, plus DIRECTORY_READ_AUDIT_FAILED.
 */
enum egov_ec egov_directory_staff_of_read(struct egov_db *db,
                                          const struct egov_directory_reader *reader,
                                          const char *subject, json_t **out);

/**
 * Who read the records of one person, newest first: the person record of
 * @p id_number (may be "" or NULL) and the staff memberships of principal
 * @p subject (may be "" or NULL).  A new JSON array in @p *out of
 * {"at","reader","reader_name","reader_agency","reader_agency_name",
 * "record","via","query","purpose","request_id"}, at most @p limit
 * (1..1000) entries.
 */
enum egov_ec egov_directory_reads_of(struct egov_db *db, const char *id_number, const char *subject,
                                     unsigned int limit, json_t **out);

#endif /* EGOV_DIRECTORY_H */
