/*
 * node_routes.c -- small JSON endpoints of the node itself:
 *   GET  /api/version         the node's version and database backend
 *   POST /api/time/roc-date   {"date":"2026-11-27"} -> the ROC-calendar form
 *                             used by official documents, and back
 */
#include <stdio.h>
#include <string.h>

#include "build_info.h"
#include "cli/cli.h"

static void handle_version(struct egov_req *req)
{
    struct egov_db *db = egov_req_db(req);
    json_t *body = json_pack("{s:s, s:s, s:s}", "name", "egov", "version", EGOV_VERSION, "db",
                             db == NULL ? "none" : egov_db_kind_name(db));
    if (body == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    egov_reply_json(req, 200, body);
}

/* Parses "YYYY-MM-DD" strictly. */
static bool parse_iso_date(const char *s, int *y, int *m, int *d)
{
    char tail;
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", y, m, d, &tail) != 3)
        return false;
    return s[4] == '-' && s[7] == '-';
}

static void handle_roc_date(struct egov_req *req)
{
    const char *date = NULL, *roc = NULL;
    struct egov_json_spec spec[] = {
        {"date", EGOV_JSON_STRING, &date, true, 1, 10},
        {"roc", EGOV_JSON_STRING, &roc, true, 1, 40},
        EGOV_JSON_SPEC_END,
    };
    if (egov_req_parse_json(req, spec) == NULL)
        return;
    if ((date == NULL) == (roc == NULL)) {
        egov_reply_problem(req, EGOV_EC_GENERIC_PARAMETER_MISSING, date == NULL ? "date" : "roc",
                           "give exactly one of \"date\" (YYYY-MM-DD) or \"roc\"");
        return;
    }
    int y, m, d;
    if (date != NULL) {
        if (!parse_iso_date(date, &y, &m, &d)) {
            egov_reply_problem(req, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "date",
                               "expected a date as YYYY-MM-DD");
            return;
        }
    } else if (!egov_time_parse_roc_date(roc, &y, &m, &d)) {
        egov_reply_problem(req, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "roc",
                           "expected a ROC date such as 中華民國115年11月27日 or 115/11/27");
        return;
    }
    char text[64];
    if (!egov_time_roc_date(y, m, d, text, sizeof(text))) {
        egov_reply_problem(req, EGOV_EC_GENERIC_PARAMETER_MALFORMED, date != NULL ? "date" : "roc",
                           "not a valid calendar date in the ROC era (from 1912-01-01)");
        return;
    }
    char iso[40];
    snprintf(iso, sizeof(iso), "%04d-%02d-%02d", y, m, d);
    json_t *body = json_pack("{s:s, s:s, s:i}", "date", iso, "roc", text, "roc_year", y - 1911);
    if (body == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    egov_reply_json(req, 200, body);
}

static const struct egov_route node_routes[] = {
    {EGOV_M_GET, "/api/version", handle_version, 0, 0, "version"},
    {EGOV_M_POST, "/api/time/roc-date", handle_roc_date, 4096, EGOV_ROUTE_JSON_BODY, "roc-date"},
    EGOV_ROUTE_END,
};

const struct egov_route_table egov_cli_node_routes = {"node", node_routes};
