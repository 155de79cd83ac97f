/*
 * logout.c -- RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).
 *
 * GET or POST /oidc/logout with id_token_hint, post_logout_redirect_uri,
 * state, client_id, ui_locales.  The id_token_hint must be an ID token we
 * signed (it may have expired).  The browser is sent to
 * post_logout_redirect_uri only if that client registered it exactly;
 * otherwise it sees an error page.  Without a valid id_token_hint the
 * person is asked to confirm on a page whose form carries a CSRF token,
 * so a third-party page cannot sign anyone out.
 *
 * Signing out ends the browser's session and, when the id_token_hint
 * names another session (its "sid"), that one too; every grant made
 * under those sessions is revoked in the same transaction, so their
 * refresh tokens answer invalid_grant at /oidc/token and active=false at
 * introspection, and their access tokens are refused.
 */
#include <stdio.h>
#include <string.h>

#include "account/account.h"
#include "auth/auth_int.h"

static const struct egov_db_stmt st_grants_of_session = {
    "oidc_grants_revoke_session",
    "UPDATE oidc_grant SET revoked_at = $2 WHERE session_id = $1 AND revoked_at IS NULL", NULL};

struct end_ctx {
    const char *sessions[2]; /* NULL or a session id whose grants end */
    int64_t revoked;         /* grants revoked */
};

static enum egov_db_qs end_grants_body(struct egov_db_conn *c, void *cls)
{
    struct end_ctx *x = cls;
    x->revoked = 0;
    for (size_t i = 0; i < 2; i++) {
        if (x->sessions[i] == NULL || x->sessions[i][0] == '\0')
            continue;
        enum egov_db_qs qs =
            egov_db_exec(c, &st_grants_of_session,
                         (struct egov_db_param[]){EGOV_DB_PARAM_TEXT(x->sessions[i]),
                                                  EGOV_DB_PARAM_INT64(egov_now_us() / 1000000),
                                                  EGOV_DB_PARAM_END});
        if (qs < 0)
            return qs;
        x->revoked += qs;
    }
    return EGOV_DB_ONE_ROW;
}

/*
 * Ends the browser's session and the session @p hint_sid (may be NULL)
 * with the grants made under them.  False (nothing replied) on database
 * errors.
 */
static bool end_sessions(struct egov_req *req, const char *hint_sid)
{
    struct egov_account_session cur;
    struct egov_db *db = egov_req_db(req);
    enum egov_db_qs qs = egov_account_session_current(req, &cur);
    if (qs < 0)
        return false;
    struct end_ctx x = {{qs == EGOV_DB_ONE_ROW ? cur.id : NULL, hint_sid}, 0};
    if (x.sessions[0] != NULL && hint_sid != NULL && strcmp(cur.id, hint_sid) == 0)
        x.sessions[1] = NULL;
    /* grants first: a failure here leaves the person signed in, never half signed out */
    if (auth_write(db, end_grants_body, &x) < 0)
        return false;
    if (x.sessions[1] != NULL && egov_account_session_revoke(db, req, x.sessions[1], NULL) < 0)
        return false;
    return egov_account_logout(req) >= 0;
}

static const char *const fields[] = {"id_token_hint", "post_logout_redirect_uri", "state",
                                     "client_id", "ui_locales"};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static bool uri_registered(const struct auth_client *c, const char *uri)
{
    size_t i;
    json_t *v;
    json_array_foreach(c->post_logout_uris, i, v)
    {
        const char *s = json_string_value(v);
        if (s != NULL && strcmp(s, uri) == 0)
            return true;
    }
    return false;
}

void auth_handle_logout(struct egov_req *req)
{
    const char *hint = auth_param(req, "id_token_hint");
    const char *uri = auth_param(req, "post_logout_redirect_uri");
    const char *state = auth_param(req, "state");
    const char *client_id = auth_param(req, "client_id");
    const char *ui = auth_param(req, "ui_locales");
    const char *hint_sid = NULL;
    bool confirmed = false;
    struct auth_client c;
    memset(&c, 0, sizeof(c));
    if (ui != NULL && strncasecmp(ui, "en", 2) == 0)
        req->lang = "en";
    else if (ui != NULL && strncasecmp(ui, "zh", 2) == 0)
        req->lang = "zh-TW";
    if (req->form != NULL && json_object_get(req->form, "confirm") != NULL) {
        if (!egov_account_csrf_check(req, req->form))
            return;
        confirmed = true;
    }
    if (hint != NULL) {
        char err[160];
        json_t *h = NULL, *cl = NULL;
        const char *typ = NULL;
        if (egov_jose_decode(hint, &h, &cl))
            typ = json_string_value(json_object_get(h, "typ"));
        bool is_access = typ != NULL && strcmp(typ, "at+jwt") == 0;
        json_decref(h);
        json_decref(cl);
        json_t *claims =
            is_access ? NULL : auth_keys_verify(egov_req_db(req), hint, err, sizeof(err));
        const char *aud = claims ? json_string_value(json_object_get(claims, "aud")) : NULL;
        if (aud == NULL || (client_id != NULL && strcmp(client_id, aud) != 0)) {
            json_decref(claims);
            egov_reply_problem(req, EGOV_EC_AUTH_LOGOUT_INVALID, "id_token_hint",
                               "id_token_hint is not an ID token issued here for this client");
            return;
        }
        client_id = egov_arena_strdup(req->arena, aud);
        const char *sid = json_string_value(json_object_get(claims, "sid"));
        if (sid != NULL && strlen(sid) < 37)
            hint_sid = egov_arena_strdup(req->arena, sid);
        json_decref(claims);
        confirmed = true;
    }
    if (uri != NULL) {
        enum egov_db_qs qs =
            client_id ? auth_client_load(egov_req_db(req), client_id, &c) : EGOV_DB_NO_ROW;
        if (qs < 0) {
            egov_reply_problem(req, EGOV_EC_DB_SOFT_ERROR, NULL, NULL);
            return;
        }
        bool ok = qs == EGOV_DB_ONE_ROW && uri_registered(&c, uri);
        auth_client_clear(&c);
        if (!ok) {
            EGOV_CLIENT_FAULT("post_logout_redirect_uri not registered");
            egov_reply_problem(req, EGOV_EC_AUTH_LOGOUT_INVALID, "post_logout_redirect_uri", NULL);
            return;
        }
    }
    if (!confirmed) {
        json_t *hidden = json_array();
        for (size_t i = 0; i < NFIELDS; i++) {
            const char *v = auth_param(req, fields[i]);
            if (v != NULL)
                json_array_append_new(hidden,
                                      json_pack("{s:s, s:s}", "name", fields[i], "value", v));
        }
        const char *csrf = egov_account_csrf_token(req);
        egov_reply_view(req, 200, "auth/logout", "Sign out",
                        json_pack("{s:b, s:o, s:s}", "confirm", 1, "fields", hidden, "csrf_token",
                                  csrf ? csrf : ""));
        return;
    }
    if (!end_sessions(req, hint_sid)) {
        egov_reply_problem(req, EGOV_EC_DB_SOFT_ERROR, NULL, NULL);
        return;
    }
    if (uri != NULL) {
        struct egov_buf b;
        egov_buf_init(&b);
        egov_buf_puts(&b, uri);
        if (state != NULL) {
            egov_buf_putc(&b, strchr(uri, '?') ? '&' : '?');
            egov_buf_puts(&b, "state=");
            auth_url_encode(&b, state);
        }
        char *loc = egov_buf_steal(&b);
        if (loc == NULL) {
            egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
            return;
        }
        if (req->form != NULL) {
            /* after a form, CSP form-action 'self' would stop a redirect elsewhere */
            char *refresh = egov_arena_printf(req->arena, "0;url=%s", loc);
            if (refresh != NULL)
                egov_reply_header(req, "Refresh", refresh);
            egov_reply_view(req, 200, "auth/continue", "Returning to the application",
                            json_pack("{s:s, s:s}", "url", loc, "client_name", ""));
        } else {
            egov_reply_redirect(req, loc);
        }
        egov_free(loc);
        return;
    }
    egov_reply_view(req, 200, "auth/logout", "Sign out", json_pack("{s:b}", "done", 1));
}
