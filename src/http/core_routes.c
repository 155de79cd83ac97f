/*
 * core_routes.c -- the http module's own endpoints: liveness, readiness,
 * metrics and static assets.
 */
#include <string.h>

#include "http/http_internal.h"

static void handle_healthz(struct egov_req *req)
{
    egov_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

static void handle_readyz(struct egov_req *req)
{
    struct egov_db *db = egov_req_db(req);
    if (db == NULL) {
        egov_reply_problem(req, EGOV_EC_DB_UNREACHABLE, NULL, "No database is configured.");
        return;
    }
    if (!egov_db_ping(db)) {
        egov_reply_problem(req, EGOV_EC_DB_UNREACHABLE, NULL, NULL);
        return;
    }
    egov_reply_json(req, 200,
                    json_pack("{s:s, s:s}", "status", "ready", "db", egov_db_kind_name(db)));
}

static void handle_metrics(struct egov_req *req)
{
    struct egov_buf out;
    egov_buf_init(&out);
    egov_metrics_render(req->server, &out);
    size_t len = out.len;
    char *text = egov_buf_steal(&out);
    if (text == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    egov_http_reply_buffer(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, len, 0);
}

static const struct egov_route core_routes[] = {
    {EGOV_M_GET, "/healthz", handle_healthz, 0, 0, "/healthz"},
    {EGOV_M_GET, "/readyz", handle_readyz, 0, 0, "/readyz"},
    {EGOV_M_GET, "/metrics", handle_metrics, 0, 0, "/metrics"},
    {EGOV_M_GET, "/static/", egov_static_handle, 0, EGOV_ROUTE_PREFIX, "/static"},
    EGOV_ROUTE_END,
};

const struct egov_route_table egov_http_core_routes = {"http", core_routes};
