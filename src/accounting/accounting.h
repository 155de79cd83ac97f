/*
 * accounting.h -- usage accounting per principal, agency and service, with
 * daily aggregates.
 *
 * Modules record what they did with one cheap call inside their own
 * transaction (one INSERT into accounting_usage).  A job
 * (queue "accounting.aggregate", re-run hourly by every node's workers)
 * folds the raw rows into accounting_daily (day, kind, agency, service ->
 * events, distinct principals).  The seed's KPIs are computed from these.
 *
 * HTTP (the caller must pass the guard a higher module registers; without
 * one every request gets 403):
 *   GET /api/accounting/usage?from=YYYY-MM-DD&to=YYYY-MM-DD[&kind=&agency=&service=]
 *   GET /api/accounting/principals/{principal}/usage?from=&to=  (platform administrators)
 *   GET /accounting (report page with a server-rendered SVG bar chart)
 */
#ifndef EGOV_ACCOUNTING_H
#define EGOV_ACCOUNTING_H

#include <stdint.h>

#include "http/http.h"

/** The accounting module: its migrations, routes, start-up and CLI verbs. */
extern const struct egov_module egov_accounting_module;

/** Well-known usage kinds (any [a-z0-9._-]{1,32} string is accepted). */
#define EGOV_ACCOUNTING_LOGIN        "login"        /**< a successful sign-in */
#define EGOV_ACCOUNTING_LOGIN_FAILED "login.failed" /**< a failed sign-in */
#define EGOV_ACCOUNTING_TOKEN        "token"        /**< an OAuth/OIDC token issued */
#define EGOV_ACCOUNTING_CALL         "call"         /**< a gateway call */
#define EGOV_ACCOUNTING_REGISTER     "register"     /**< an account registered */

/** Job queue of the aggregation. */
#define EGOV_ACCOUNTING_QUEUE "accounting.aggregate"

/**
 * Records @p n units of usage of kind @p kind by @p principal (may be NULL)
 * for @p agency (agency code, may be NULL) and @p service (may be NULL),
 * now, inside the caller's transaction on @p c.  Returns the insert's
 * status; EGOV_DB_HARD_ERROR if @p kind is malformed or @p n < 1.
 */
enum egov_db_qs egov_accounting_record(struct egov_db_conn *c, const char *kind,
                                       const char *principal, const char *agency,
                                       const char *service, int64_t n);

/**
 * Same as egov_accounting_record() in a transaction of its own on a
 * connection taken from @p db, for callers that hold none.
 */
enum egov_db_qs egov_accounting_record_db(struct egov_db *db, const char *kind,
                                          const char *principal, const char *agency,
                                          const char *service, int64_t n);

/**
 * Recomputes the daily aggregates of UTC day @p day ("YYYY-MM-DD") from
 * the raw records in one transaction (idempotent).  Returns the number of
 * aggregate rows written, or -1 on error.
 */
int egov_accounting_aggregate_day(struct egov_db *db, const char *day);

/**
 * Usage between UTC days @p from and @p to (inclusive, "YYYY-MM-DD", at
 * most 366 days), optionally filtered by @p kind, @p agency, @p service
 * (NULL = all).  Returns a new JSON object (caller decrefs)
 * {from, to, days:[{day, events}], rows:[{day, kind, agency, service,
 * events, principals}], total} or NULL with @p ec set
 * (ACCOUNTING_RANGE_INVALID, DB_*).
 */
json_t *egov_accounting_usage(struct egov_db *db, const char *from, const char *to,
                              const char *kind, const char *agency, const char *service,
                              enum egov_ec *ec);

/**
 * Usage of one principal between UTC days @p from and @p to (inclusive, at
 * most 366 days), read from the raw records (kept ACCOUNTING_KEEP_DAYS).
 * Returns a new JSON object {principal, from, to, rows:[{day, kind,
 * agency, service, events}], total} (caller decrefs) or NULL with @p ec
 * set (ACCOUNTING_RANGE_INVALID, GENERIC_PARAMETER_MALFORMED, DB_*).
 */
json_t *egov_accounting_principal_usage(struct egov_db *db, const char *principal, const char *from,
                                        const char *to, enum egov_ec *ec);

/** Days the raw usage records are kept (the daily aggregates are kept for ever). */
#define ACCOUNTING_KEEP_DAYS 400

/**
 * Renders a bar chart of the "days" array of egov_accounting_usage() as
 * an SVG element (no script, no style attributes; labels escaped) into
 * @p out.  @p title is the accessible name (escaped).
 */
void egov_accounting_svg_chart(const json_t *days, const char *title, struct egov_buf *out);

/**
 * Decides whether @p req may read usage of @p agency (NULL = all
 * agencies).  Returns true, or false after replying (401/403).
 */
typedef bool (*egov_accounting_guard_fn)(struct egov_req *req, const char *agency);

/** Sets the guard of the accounting API and page (at start-up). */
void egov_accounting_set_guard(egov_accounting_guard_fn fn);

#endif /* EGOV_ACCOUNTING_H */
