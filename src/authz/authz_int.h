/*
 * authz_int.h -- what the files of the authz module share.
 */
#ifndef EGOV_AUTHZ_INT_H
#define EGOV_AUTHZ_INT_H

#include <stdbool.h>

#include "authz/authz.h"

/** Runs @p fn in a transaction on a connection of @p db. */
enum egov_db_qs authz_txn(struct egov_db *db, bool write, egov_db_txn_fn fn, void *cls);
/**
 * True if @p s is 1..@p max characters of [A-Za-z0-9._:-] (and '/' if
 * @p allow_slash), with at most a trailing '*'.
 */
bool authz_pattern_ok(const char *s, size_t max, bool allow_slash);
/** True if @p value matches @p pattern (exact, or prefix before a trailing '*'). */
bool authz_match(const char *pattern, const char *value);

extern const struct egov_route_table authz_routes;

/** The `egov authz` verb. */
int authz_cli_run(int argc, char **argv, const struct egov_module_env *env);

#endif /* EGOV_AUTHZ_INT_H */
