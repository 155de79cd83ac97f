/*
 * consents.c -- the person's own list of applications allowed to receive
 * their data, with withdrawal:
 *   GET  /oidc/consents          the list (sign-in required)
 *   POST /oidc/consents          client_id + csrf_token: withdraw; every grant
 *                                (refresh and access tokens) of that client for
 *                                this person is revoked in the same transaction
 */
#include <string.h>

#include "account/account.h"
#include "auth/auth_int.h"

static const struct egov_db_stmt st_consents_of = {
    "oidc_consents_of",
    "SELECT c.client_id, c.scope, c.created_at, COALESCE(k.name, ''), COALESCE(k.agency, '')"
    " FROM oidc_consent c LEFT JOIN oidc_client k ON k.id = c.client_id"
    " WHERE c.principal_id = $1 ORDER BY c.created_at DESC",
    NULL};
static const struct egov_db_stmt st_consent_delete = {
    "oidc_consent_delete", "DELETE FROM oidc_consent WHERE principal_id = $1 AND client_id = $2",
    NULL};
static const struct egov_db_stmt st_grants_revoke = {
    "oidc_grants_revoke_client",
    "UPDATE oidc_grant SET revoked_at = $3 WHERE principal_id = $1 AND client_id = $2"
    " AND revoked_at IS NULL",
    NULL};

struct withdraw_ctx {
    const char *principal, *client;
    const char *account, *addr, *request_id; /* for the audit log */
};

static enum egov_db_qs withdraw_body(struct egov_db_conn *c, void *cls)
{
    struct withdraw_ctx *x = cls;
    enum egov_db_qs qs =
        egov_db_exec(c, &st_consent_delete,
                     (struct egov_db_param[]){EGOV_DB_PARAM_TEXT(x->principal),
                                              EGOV_DB_PARAM_TEXT(x->client), EGOV_DB_PARAM_END});
    if (qs < 0)
        return qs;
    enum egov_db_qs qs2 = egov_db_exec(
        c, &st_grants_revoke,
        (struct egov_db_param[]){EGOV_DB_PARAM_TEXT(x->principal), EGOV_DB_PARAM_TEXT(x->client),
                                 EGOV_DB_PARAM_INT64(egov_now_us() / 1000000), EGOV_DB_PARAM_END});
    if (qs2 < 0)
        return qs2;
    if (qs > 0) {
        json_t *detail =
            json_pack("{s:s, s:I}", "client_id", x->client, "grants_revoked", (json_int_t)qs2);
        enum egov_db_qs qa = egov_account_audit(c, x->account, "oidc.consent.withdraw", x->account,
                                                x->addr, x->request_id, detail);
        json_decref(detail);
        if (qa < 0)
            return qa;
    }
    return qs;
}

void auth_handle_consents(struct egov_req *req)
{
    struct egov_account_session s;
    bool withdrawn = false;
    if (req->form != NULL && !egov_account_csrf_check(req, req->form))
        return;
    if (!egov_account_require(req, NULL, &s))
        return;
    if (req->form != NULL) {
        const char *client = json_string_value(json_object_get(req->form, "client_id"));
        if (client == NULL || client[0] == '\0' || strlen(client) >= AUTH_CLIENT_ID_MAX) {
            egov_reply_problem(req, EGOV_EC_GENERIC_PARAMETER_MISSING, "client_id", NULL);
            return;
        }
        struct withdraw_ctx x = {s.principal_id, client, s.account_id,
                                 egov_account_client_addr(req), req->request_id};
        enum egov_db_qs qs = auth_write(egov_req_db(req), withdraw_body, &x);
        if (qs < 0) {
            egov_reply_problem(req, EGOV_EC_DB_SOFT_ERROR, NULL, NULL);
            return;
        }
        withdrawn = qs > 0;
    }
    struct egov_db_rows *rows = NULL;
    struct egov_db_conn *c = egov_db_acquire(egov_req_db(req), 5000);
    enum egov_db_qs qs =
        c ? egov_db_query(
                c, &st_consents_of,
                (struct egov_db_param[]){EGOV_DB_PARAM_TEXT(s.principal_id), EGOV_DB_PARAM_END},
                &rows)
          : EGOV_DB_SOFT_ERROR;
    egov_db_release(c);
    if (qs < 0) {
        egov_reply_problem(req, EGOV_EC_DB_SOFT_ERROR, NULL, NULL);
        return;
    }
    const char *csrf = egov_account_csrf_token(req);
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < egov_db_rows_count(rows); i++) {
        char when[32];
        egov_time_rfc3339(egov_db_rows_int64(rows, i, 2) * 1000000, when);
        json_array_append_new(
            list, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "client_id",
                            egov_db_rows_text(rows, i, 0), "scope", egov_db_rows_text(rows, i, 1),
                            "since", when, "client_name", egov_db_rows_text(rows, i, 3), "agency",
                            egov_db_rows_text(rows, i, 4), "csrf_token", csrf ? csrf : ""));
    }
    egov_db_rows_free(rows);
    egov_reply_view(req, 200, "auth/consents", "Applications you allowed",
                    json_pack("{s:o, s:b, s:b, s:s}", "consents", list, "has_consents",
                              json_array_size(list) > 0, "withdrawn", withdrawn, "csrf_token",
                              csrf ? csrf : ""));
}
