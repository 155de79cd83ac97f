/*
 * testlib_session.c -- a signed-in browser for tests of pages and APIs that
 * need one: a route that starts a session of a given account, and the
 * cookie it sets.
 */
#include <stdio.h>
#include <string.h>

#include "account/account.h"
#include "testlib.h"

/* GET /test/session?account=ID: signs that account in (sets the cookie). */
static void session_route(struct egov_req *req)
{
    static const char *const amr[] = {"pwd"};
    struct egov_account_session s;
    const char *account = egov_req_query(req, "account");
    if (account == NULL ||
        egov_account_session_create(req, account, amr, 1, &s) != EGOV_DB_ONE_ROW) {
        egov_reply_problem(req, EGOV_EC_GENERIC_NOT_FOUND, "account", NULL);
        return;
    }
    egov_reply_json(req, 200,
                    json_pack("{s:s, s:s}", "session", s.id, "principal_id", s.principal_id));
}

static const struct egov_route session_routes[] = {
    {EGOV_M_GET, "/test/session", session_route, 0, 0, "test-session"},
    EGOV_ROUTE_END,
};
const struct egov_route_table egov_test_session_routes = {"test-session", session_routes};

bool egov_test_sign_in(const struct egov_test_server *srv, const char *account_id, char *cookie,
                       size_t n)
{
    char path[128], set[512];
    struct egov_test_response r;
    memset(&r, 0, sizeof r);
    if (snprintf(path, sizeof path, "/test/session?account=%s", account_id) >= (int)sizeof path ||
        !egov_test_http(srv, "GET", path, NULL, NULL, 0, &r))
        return false;
    bool ok = r.status == 200 && egov_test_response_header(&r, "Set-Cookie", set, sizeof set);
    egov_test_response_free(&r);
    if (!ok)
        return false;
    char *semi = strchr(set, ';');
    if (semi != NULL)
        *semi = '\0';
    int w = snprintf(cookie, n, "Cookie: %s", set);
    return w > 0 && (size_t)w < n;
}
