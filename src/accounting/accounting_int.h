/*
 * accounting_int.h -- what the files of the accounting module share.
 */
#ifndef EGOV_ACCOUNTING_INT_H
#define EGOV_ACCOUNTING_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "accounting/accounting.h"

/** Writes the UTC day of epoch microseconds @p us as "YYYY-MM-DD". */
void accounting_day_of(int64_t us, char out[11]);
/** Parses "YYYY-MM-DD" strictly into days since the epoch.  False if malformed. */
bool accounting_parse_day(const char *s, int64_t *epoch_day);
/** Runs @p fn in a transaction on a connection of @p db. */
enum egov_db_qs accounting_txn(struct egov_db *db, bool write, egov_db_txn_fn fn, void *cls);
/** Deletes raw records older than ACCOUNTING_KEEP_DAYS before @p now_us; rows removed or -1. */
int64_t accounting_purge(struct egov_db *db, int64_t now_us);
/** The aggregation job handler. */
enum egov_job_result accounting_aggregate_job(struct egov_db *db, const char *job_id,
                                              const char *payload, void *cls);
/** Enqueues the aggregation job unless one is already waiting.  False on database errors. */
bool accounting_schedule(struct egov_db *db, unsigned int delay_ms);
/** The guard set by egov_accounting_set_guard(), or NULL. */
egov_accounting_guard_fn accounting_guard(void);

extern const struct egov_route_table accounting_routes;

/** The `egov accounting` verb. */
int accounting_cli_run(int argc, char **argv, const struct egov_module_env *env);

#endif /* EGOV_ACCOUNTING_INT_H */
