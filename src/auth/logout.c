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
 */
#include <string.h>

#include "account/account.h"
#include "auth/auth_int.h"

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
    if (egov_account_logout(req) < 0) {
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
