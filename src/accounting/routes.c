/*
 * routes.c -- the usage API and the usage report page:
 *   GET /api/accounting/usage?from=&to=[&kind=&agency=&service=]
 *   GET /accounting  the same as a page, with a bar chart of events per day
 * Both are guarded by the function a higher module registered
 * (egov_accounting_set_guard); without one they answer 403.
 */
#include <string.h>

#include "accounting/accounting_int.h"

#define DEFAULT_DAYS 30

/* Empty query values count as absent. */
static const char *arg(struct egov_req *req, const char *name)
{
    const char *v = egov_req_query(req, name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* Checks the guard and fetches the usage; NULL after replying. */
static json_t *usage_for(struct egov_req *req)
{
    char from_def[11], to_def[11];
    const char *agency = arg(req, "agency");
    egov_accounting_guard_fn g = accounting_guard();
    if (g == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_FORBIDDEN, NULL, NULL);
        return NULL;
    }
    if (!g(req, agency))
        return NULL;
    int64_t now = egov_now_us();
    accounting_day_of(now, to_def);
    accounting_day_of(now - (int64_t)(DEFAULT_DAYS - 1) * 86400LL * 1000000LL, from_def);
    const char *from = arg(req, "from"), *to = arg(req, "to");
    enum egov_ec ec;
    json_t *j = egov_accounting_usage(egov_req_db(req), from != NULL ? from : from_def,
                                      to != NULL ? to : to_def, arg(req, "kind"), agency,
                                      arg(req, "service"), &ec);
    if (j == NULL)
        egov_reply_problem(
            req, ec, ec == EGOV_EC_ACCOUNTING_RANGE_INVALID ? (from != NULL ? "from" : "to") : NULL,
            NULL);
    return j;
}

static void handle_usage_api(struct egov_req *req)
{
    json_t *j = usage_for(req);
    if (j != NULL)
        egov_reply_json(req, 200, j);
}

static void handle_report(struct egov_req *req)
{
    struct egov_buf svg;
    json_t *j = usage_for(req);
    if (j == NULL)
        return;
    egov_buf_init(&svg);
    egov_accounting_svg_chart(json_object_get(j, "days"),
                              egov_i18n_gettext(req->lang, "Events per day"), &svg);
    if (svg.oom || json_object_set_new(j, "chart", json_string(svg.data)) != 0) {
        egov_buf_free(&svg);
        json_decref(j);
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    egov_buf_free(&svg);
    json_object_set_new(j, "has_rows",
                        json_boolean(json_array_size(json_object_get(j, "rows")) > 0));
    egov_reply_view(req, 200, "accounting/report", "Usage report", j);
}

static void handle_principal_api(struct egov_req *req)
{
    char from_def[11], to_def[11];
    egov_accounting_guard_fn g = accounting_guard();
    if (g == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_FORBIDDEN, NULL, NULL);
        return;
    }
    if (!g(req, NULL)) /* the usage of a person: platform administrators only */
        return;
    int64_t now = egov_now_us();
    accounting_day_of(now, to_def);
    accounting_day_of(now - (int64_t)(DEFAULT_DAYS - 1) * 86400LL * 1000000LL, from_def);
    const char *from = arg(req, "from"), *to = arg(req, "to");
    enum egov_ec ec;
    json_t *j = egov_accounting_principal_usage(egov_req_db(req), egov_req_param(req, "principal"),
                                                from != NULL ? from : from_def,
                                                to != NULL ? to : to_def, &ec);
    if (j == NULL) {
        egov_reply_problem(req, ec,
                           ec == EGOV_EC_ACCOUNTING_RANGE_INVALID ? (from != NULL ? "from" : "to")
                                                                  : "principal",
                           NULL);
        return;
    }
    egov_reply_json(req, 200, j);
}

static const struct egov_route routes[] = {
    {EGOV_M_GET, "/api/accounting/principals/{principal}/usage", handle_principal_api, 0, 0,
     "accounting-principal-usage"},
    {EGOV_M_GET, "/api/accounting/usage", handle_usage_api, 0, 0, "accounting-usage"},
    {EGOV_M_GET, "/accounting", handle_report, 0, 0, "accounting-report"},
    EGOV_ROUTE_END,
};

const struct egov_route_table accounting_routes = {"accounting", routes};
