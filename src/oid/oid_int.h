/*
 * oid_int.h -- helpers shared by the files of the oid module (not part of
 * its API).
 */
#ifndef EGOV_OID_INT_H
#define EGOV_OID_INT_H

#include "oid/oid.h"

/** How long a module function waits for a database connection. */
#define OID_DB_WAIT_MS 10000u
/** Retries of a transaction that met a serialization failure or SQLITE_BUSY. */
#define OID_TXN_RETRIES 20u

/** The registry's migrations. */
extern const struct egov_db_module_migrations oid_migrations;
/** The registry's routes. */
extern const struct egov_route_table oid_routes;



/**
 * Runs @p fn in one transaction on a pooled connection of @p db.
 * Returns the body's status; EGOV_DB_HARD_ERROR if no connection came.
 */
enum egov_db_qs oid_txn(struct egov_db *db, bool write, egov_db_txn_fn fn, void *cls);

/** Loads the admin token file named in the configuration; false after logging why. */
bool oid_load_admin_token(const char *path);

#endif /* EGOV_OID_INT_H */
