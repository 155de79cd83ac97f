/*
 * portal.c -- the portal's route table and its handlers.
 */
#include <string.h>

#include "portal/portal.h"

/* GET /: the home page; ?q= searches, ?audience= filters. */
static void portal_home(struct egov_req *req)
{
    const char *q = egov_req_query(req, "q");
    const char *audience = egov_req_query(req, "audience");
    json_t *data;

    if (q != NULL && (strlen(q) > EGOV_PORTAL_MAX_QUERY || !egov_utf8_valid(q, strlen(q), NULL))) {
        egov_reply_problem(
            req, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "q",
            egov_i18n_gettext(req->lang, "The search text is too long or not valid UTF-8."));
        return;
    }
    data = egov_portal_home_data(req->lang, q, audience);
    if (data == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    egov_reply_view(req, 200, "home", "Government services in one place", data);
}

static const struct egov_route portal_routes[] = {
    {EGOV_M_GET, "/", portal_home, 0, 0, "portal_home"},
    {EGOV_M_GET, "/me/reads", egov_portal_my_reads, 0, 0, "portal_my_reads"},
    {EGOV_M_GET, "/api/directory/me/reads", egov_portal_my_reads, 0, 0, "portal_my_reads_api"},
    EGOV_ROUTE_END,
};

const struct egov_route_table egov_portal_routes = {"portal", portal_routes};
