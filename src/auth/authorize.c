/*
 * authorize.c -- the authorization endpoint and the consent page.
 *
 * Order of checks (OpenID Connect Core 3.1.2): the client and its
 * redirect_uri first -- a problem there gets an error page and never a
 * redirect -- then everything else, whose errors go back to the
 * registered redirect_uri with the client's state.  A browser without a
 * session, or one whose login is too old (max_age) or must be renewed
 * (prompt=login), is sent to the account module's /login with this
 * request as return_to; the login page only returns to local paths.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account/account.h"
#include "directory/directory.h"
#include "auth/auth_int.h"

/* Marks a return from a forced login: the login must be newer than this time. */
#define LOGIN_AFTER_PARAM "egov_login_after"
/*
 * Marks a return from the login form.  The portal's CSP has form-action
 * 'self', which browsers also apply to the redirects that follow a form
 * submission; so after the login or consent form the browser is sent on
 * to the client by a page (Refresh header and a link), not by a 303.
 */
#define FROM_FORM_PARAM "egov_from_form"

static const struct egov_db_stmt st_consent_get = {
    "oidc_consent_get", "SELECT scope FROM oidc_consent WHERE principal_id = $1 AND client_id = $2",
    NULL};
static const struct egov_db_stmt st_consent_put = {
    "oidc_consent_put",
    "INSERT INTO oidc_consent (principal_id, client_id, scope, created_at) VALUES ($1, $2, $3, $4)"
    " ON CONFLICT (principal_id, client_id) DO UPDATE SET scope = excluded.scope,"
    " created_at = excluded.created_at",
    NULL};
static const struct egov_db_stmt st_code_insert = {
    "oidc_code_insert",
    "INSERT INTO oidc_code (hash, client_id, principal_id, session_id, redirect_uri, scope, nonce,"
    " code_challenge, auth_time, acr, amr, claims, created_at, expires_at, grant_id)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    NULL};

/* The request parameters we understand; the others are ignored. */
static const char *const known_params[] = {
    "response_type", "client_id",       "redirect_uri",   "scope",
    "state",         "nonce",           "prompt",         "max_age",
    "login_hint",    "ui_locales",      "code_challenge", "code_challenge_method",
    "acr_values",    "response_mode",   "display",        "claims_locales",
    "id_token_hint", LOGIN_AFTER_PARAM,
};
#define NPARAMS (sizeof(known_params) / sizeof(known_params[0]))

struct areq {
    struct egov_req *req;
    struct auth_client client;
    const char *v[NPARAMS];
    const char *redirect_uri, *state, *scope, *nonce, *prompt, *challenge;
    char granted[AUTH_SCOPE_MAX]; /* requested scopes the client may have */
    int64_t max_age;              /* -1 if absent */
    int64_t login_after;          /* 0 if absent */
    bool via_page;                /* answer with a page instead of a redirect */
};

static const char *pv(const struct areq *a, const char *name)
{
    for (size_t i = 0; i < NPARAMS; i++)
        if (strcmp(known_params[i], name) == 0)
            return a->v[i];
    return NULL;
}

/* Sends the browser back to the client with error or code parameters. */
static void redirect_back(struct areq *a, const char *k1, const char *v1, const char *desc)
{
    struct egov_buf b;
    egov_buf_init(&b);
    egov_buf_puts(&b, a->redirect_uri);
    egov_buf_putc(&b, strchr(a->redirect_uri, '?') ? '&' : '?');
    egov_buf_puts(&b, k1);
    egov_buf_putc(&b, '=');
    auth_url_encode(&b, v1);
    if (desc != NULL) {
        egov_buf_puts(&b, "&error_description=");
        auth_url_encode(&b, desc);
    }
    if (a->state != NULL) {
        egov_buf_puts(&b, "&state=");
        auth_url_encode(&b, a->state);
    }
    const char *iss = auth_issuer(a->req);
    if (iss != NULL) {
        egov_buf_puts(&b, "&iss=");
        auth_url_encode(&b, iss);
    }
    char *loc = egov_buf_steal(&b);
    if (loc == NULL) {
        egov_reply_problem(a->req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    if (a->via_page) {
        char *refresh = egov_arena_printf(a->req->arena, "0;url=%s", loc);
        if (refresh != NULL)
            egov_reply_header(a->req, "Refresh", refresh);
        egov_reply_view(a->req, 200, "auth/continue", "Returning to the application",
                        json_pack("{s:s, s:s}", "url", loc, "client_name", a->client.name));
    } else {
        egov_reply_redirect(a->req, loc);
    }
    egov_free(loc);
}

static void redirect_error(struct areq *a, const char *error, const char *desc)
{
    EGOV_CLIENT_FAULT("authorization request refused: %s (%s)", error, desc ? desc : "");
    redirect_back(a, "error", error, desc);
}

/* The authorize URL of this request (for return_to), minus @p drop_prompt's prompt. */
static char *self_url(struct areq *a, bool drop_prompt, int64_t login_after)
{
    struct egov_buf b;
    bool first = true;
    egov_buf_init(&b);
    egov_buf_puts(&b, "/oidc/authorize");
    for (size_t i = 0; i < NPARAMS; i++) {
        const char *name = known_params[i];
        if (a->v[i] == NULL || strcmp(name, LOGIN_AFTER_PARAM) == 0 ||
            strcmp(name, FROM_FORM_PARAM) == 0)
            continue;
        if (drop_prompt && strcmp(name, "prompt") == 0)
            continue;
        egov_buf_putc(&b, first ? '?' : '&');
        first = false;
        egov_buf_puts(&b, name);
        egov_buf_putc(&b, '=');
        auth_url_encode(&b, a->v[i]);
    }
    if (login_after > 0)
        egov_buf_printf(&b, "&%s=%lld", LOGIN_AFTER_PARAM, (long long)login_after);
    egov_buf_printf(&b, "%c%s=1", first ? '?' : '&', FROM_FORM_PARAM);
    return egov_buf_steal(&b);
}

/* The language of ui_locales we speak, or NULL. */
static const char *ui_lang(const char *ui_locales)
{
    char buf[256];
    if (ui_locales == NULL || strlen(ui_locales) >= sizeof(buf))
        return NULL;
    snprintf(buf, sizeof(buf), "%s", ui_locales);
    char *save = NULL;
    for (char *t = strtok_r(buf, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save)) {
        if (strncasecmp(t, "zh", 2) == 0)
            return "zh-TW";
        if (strncasecmp(t, "en", 2) == 0)
            return "en";
    }
    return NULL;
}

/* Sends the browser to the login page, returning here afterwards. */
static void to_login(struct areq *a, bool force)
{
    int64_t now = egov_now_us() / 1000000;
    char *back = self_url(a, true, force ? now : 0);
    struct egov_buf b;
    egov_buf_init(&b);
    egov_buf_puts(&b, "/login?return_to=");
    if (back != NULL)
        auth_url_encode(&b, back);
    if (force)
        egov_buf_puts(&b, "&prompt=login");
    const char *hint = pv(a, "login_hint");
    if (hint != NULL && strlen(hint) <= 256) {
        egov_buf_puts(&b, "&login_hint=");
        auth_url_encode(&b, hint);
    }
    const char *lang = ui_lang(pv(a, "ui_locales"));
    if (lang != NULL) {
        egov_buf_puts(&b, "&lang=");
        egov_buf_puts(&b, lang);
    }
    egov_free(back);
    char *loc = egov_buf_steal(&b);
    if (loc == NULL) {
        egov_reply_problem(a->req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    egov_reply_redirect(a->req, loc);
    egov_free(loc);
}

/* Keeps the requested scopes the client registered; unknown ones are ignored. */
static void filter_scopes(struct areq *a)
{
    char buf[AUTH_SCOPE_MAX];
    struct egov_buf out;
    a->granted[0] = '\0';
    if (a->scope == NULL || strlen(a->scope) >= sizeof(buf))
        return;
    snprintf(buf, sizeof(buf), "%s", a->scope);
    egov_buf_init(&out);
    char *save = NULL;
    for (char *t = strtok_r(buf, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save)) {
        if (!egov_auth_scope_has(a->client.scope, t) || egov_auth_scope_has(out.data, t))
            continue;
        if (out.len > 0)
            egov_buf_putc(&out, ' ');
        egov_buf_puts(&out, t);
    }
    if (!out.oom && out.data != NULL)
        snprintf(a->granted, sizeof(a->granted), "%s", out.data);
    egov_buf_free(&out);
}

/* True if the principal already consented to every scope of a->granted. */
static enum egov_db_qs consent_covers(struct areq *a, const char *principal, bool *covers)
{
    struct egov_db_rows *rows = NULL;
    *covers = false;
    struct egov_db_conn *c = egov_db_acquire(egov_req_db(a->req), 5000);
    if (c == NULL)
        return EGOV_DB_SOFT_ERROR;
    enum egov_db_qs qs =
        egov_db_query(c, &st_consent_get,
                      (struct egov_db_param[]){EGOV_DB_PARAM_TEXT(principal),
                                               EGOV_DB_PARAM_TEXT(a->client.id), EGOV_DB_PARAM_END},
                      &rows);
    egov_db_release(c);
    if (qs == EGOV_DB_ONE_ROW) {
        const char *have = egov_db_rows_text(rows, 0, 0);
        char buf[AUTH_SCOPE_MAX];
        snprintf(buf, sizeof(buf), "%s", a->granted);
        bool all = true;
        char *save = NULL;
        for (char *t = strtok_r(buf, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save))
            all = all && egov_auth_scope_has(have, t);
        *covers = all;
    }
    egov_db_rows_free(rows);
    return qs < 0 ? qs : EGOV_DB_NO_ROW;
}

struct code_ins {
    struct areq *a;
    const struct egov_account_session *s;
    const char *hash, *grant_id, *amr, *claims;
    bool store_consent;
    const char *addr; /* the browser's address, for the audit log */
};

static enum egov_db_qs code_ins_body(struct egov_db_conn *c, void *cls)
{
    struct code_ins *x = cls;
    int64_t now = egov_now_us() / 1000000;
    enum egov_db_qs qs;
    if (x->store_consent) {
        qs = egov_db_exec(c, &st_consent_put,
                          (struct egov_db_param[]){EGOV_DB_PARAM_TEXT(x->s->principal_id),
                                                   EGOV_DB_PARAM_TEXT(x->a->client.id),
                                                   EGOV_DB_PARAM_TEXT(x->a->granted),
                                                   EGOV_DB_PARAM_INT64(now), EGOV_DB_PARAM_END});
        if (qs < 0)
            return qs;
        json_t *detail =
            json_pack("{s:s, s:s}", "client_id", x->a->client.id, "scope", x->a->granted);
        qs = egov_account_audit(c, x->s->account_id, "oidc.consent", x->s->account_id, x->addr,
                                x->a->req->request_id, detail);
        json_decref(detail);
        if (qs < 0)
            return qs;
    }
    return egov_db_exec(c, &st_code_insert,
                        (struct egov_db_param[]){
                            EGOV_DB_PARAM_TEXT(x->hash), EGOV_DB_PARAM_TEXT(x->a->client.id),
                            EGOV_DB_PARAM_TEXT(x->s->principal_id), EGOV_DB_PARAM_TEXT(x->s->id),
                            EGOV_DB_PARAM_TEXT(x->a->redirect_uri),
                            EGOV_DB_PARAM_TEXT(x->a->granted), EGOV_DB_PARAM_TEXT(x->a->nonce),
                            EGOV_DB_PARAM_TEXT(x->a->challenge),
                            EGOV_DB_PARAM_INT64(x->s->auth_time), EGOV_DB_PARAM_TEXT(x->s->acr),
                            EGOV_DB_PARAM_TEXT(x->amr), EGOV_DB_PARAM_TEXT(x->claims),
                            EGOV_DB_PARAM_INT64(now), EGOV_DB_PARAM_INT64(now + AUTH_CODE_TTL),
                            EGOV_DB_PARAM_TEXT(x->grant_id), EGOV_DB_PARAM_END});
}

/* The person's claims the consented scopes release (stored with the grant). */
static json_t *release_claims(const struct areq *a, const struct egov_account_session *s)
{
    json_t *cl = json_object();
    if (cl == NULL)
        return NULL;
    if (egov_auth_scope_has(a->granted, "profile") && s->name[0] != '\0')
        json_object_set_new(cl, "name", json_string(s->name));
    if (egov_auth_scope_has(a->granted, AUTH_SCOPE_NATIONAL_ID) && s->national_id[0] != '\0')
        json_object_set_new(cl, "national_id", json_string(s->national_id));
    /* the contact points the account holds (OIDC Core 5.4) */
    bool email = egov_auth_scope_has(a->granted, "email");
    bool phone = egov_auth_scope_has(a->granted, "phone");
    struct egov_account_contacts ct;
    if ((email || phone) &&
        egov_account_contacts(egov_req_db(a->req), s->principal_id, &ct) == EGOV_DB_ONE_ROW) {
        if (email && ct.email[0] != '\0') {
            json_object_set_new(cl, "email", json_string(ct.email));
            json_object_set_new(cl, "email_verified", json_boolean(ct.email_verified));
        }
        if (phone && ct.phone[0] != '\0') {
            json_object_set_new(cl, "phone_number", json_string(ct.phone));
            json_object_set_new(cl, "phone_number_verified", json_boolean(ct.phone_verified));
        }
    }
    /* what the directory holds about the person: birth date, gender, address */
    bool profile = egov_auth_scope_has(a->granted, "profile");
    bool address = egov_auth_scope_has(a->granted, "address");
    struct egov_directory_person p;
    if ((profile || address) && s->national_id[0] != '\0' &&
        egov_directory_person_by_id_number(egov_req_db(a->req), s->national_id, &p) ==
            EGOV_DB_ONE_ROW) {
        if (profile && p.birth_date[0] != '\0')
            json_object_set_new(cl, "birthdate", json_string(p.birth_date));
        if (profile && (p.gender == 'M' || p.gender == 'F'))
            json_object_set_new(cl, "gender", json_string(p.gender == 'M' ? "male" : "female"));
        if (address && p.address[0] != '\0')
            json_object_set_new(
                cl, "address",
                json_pack("{s:s, s:s}", "formatted", p.address, "country",
                          strcmp(p.nationality, "TWN") == 0 ? "TW" : p.nationality));
    }
    return cl;
}

/* Issues a code and redirects back. */
static void issue_code(struct areq *a, const struct egov_account_session *s, bool store_consent)
{
    char code[64], hash[65], grant_id[37];
    char *amr = NULL, *claims = NULL;
    json_t *amr_j = json_array(), *cl = release_claims(a, s);
    for (unsigned int i = 0; amr_j != NULL && i < s->n_amr && i < EGOV_ACCOUNT_MAX_AMR; i++)
        json_array_append_new(amr_j, json_string(s->amr[i]));
    amr = amr_j ? egov_json_dumps(amr_j) : NULL;
    claims = cl ? egov_json_dumps(cl) : NULL;
    json_decref(amr_j);
    json_decref(cl);
    if (amr == NULL || claims == NULL || !egov_random_token(32, code)) {
        egov_free(amr);
        egov_free(claims);
        egov_reply_problem(a->req, EGOV_EC_GENERIC_INTERNAL, NULL, NULL);
        return;
    }
    auth_hash_hex(code, hash);
    egov_uuid7(grant_id);
    struct code_ins x = {a,   s,      hash,          grant_id,
                         amr, claims, store_consent, egov_account_client_addr(a->req)};
    enum egov_db_qs qs = auth_write(egov_req_db(a->req), code_ins_body, &x);
    egov_free(amr);
    egov_free(claims);
    if (qs < 0) {
        egov_reply_problem(a->req, EGOV_EC_DB_SOFT_ERROR, NULL, NULL);
        return;
    }
    redirect_back(a, "code", code, NULL);
    egov_wipe(code, sizeof(code));
}

/* Descriptions of scopes on the consent page (msgids). */
static const char *scope_text(const char *scope)
{
    static const struct {
        const char *scope, *text;
    } texts[] = {
        {"openid", "Confirm that it is you (a sign-in identifier for this agency only)"},
        {"profile", "Your name"},
        {"email", "Your e-mail address"},
        {"address", "Your postal address"},
        {"phone", "Your phone number"},
        {"offline_access", "Stay connected while you are away (refresh tokens)"},
        {AUTH_SCOPE_NATIONAL_ID, "Your national ID number, which lets agencies link your records"},
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        if (strcmp(texts[i].scope, scope) == 0)
            return texts[i].text;
    return NULL;
}

static void show_consent(struct areq *a, const struct egov_account_session *s)
{
    json_t *scopes = json_array(), *fields = json_array();
    char buf[AUTH_SCOPE_MAX];
    snprintf(buf, sizeof(buf), "%s", a->granted);
    char *save = NULL;
    for (char *t = strtok_r(buf, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save)) {
        const char *text = scope_text(t);
        if (text != NULL)
            json_array_append_new(scopes,
                                  json_pack("{s:s, s:s, s:b}", "scope", t, "text", text,
                                            "sensitive", strcmp(t, AUTH_SCOPE_NATIONAL_ID) == 0));
    }
    for (size_t i = 0; i < NPARAMS; i++) {
        const char *name = known_params[i];
        if (a->v[i] == NULL || strcmp(name, "prompt") == 0)
            continue;
        json_array_append_new(fields, json_pack("{s:s, s:s}", "name", name, "value", a->v[i]));
    }
    const char *csrf = egov_account_csrf_token(a->req);
    json_t *data = json_pack("{s:s, s:s, s:o, s:o, s:s, s:s}", "client_name", a->client.name,
                             "user_name", s->name, "scopes", scopes, "fields", fields, "csrf_token",
                             csrf ? csrf : "", "agency", a->client.agency);
    if (data == NULL) {
        egov_reply_problem(a->req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    /* the consent page is for people; an API client gets the same object as JSON */
    egov_reply_view(a->req, 200, "auth/consent", "Allow access to your data", data);
}

void auth_handle_authorize(struct egov_req *req)
{
    struct areq a;
    memset(&a, 0, sizeof(a));
    a.req = req;
    a.max_age = -1;
    for (size_t i = 0; i < NPARAMS; i++)
        a.v[i] = auth_param(req, known_params[i]);
    bool consent_post = req->form != NULL && json_object_get(req->form, "consent_decision") != NULL;
    if (consent_post && !egov_account_csrf_check(req, req->form))
        return;
    a.via_page = consent_post || auth_param(req, FROM_FORM_PARAM) != NULL;

    const char *lang = ui_lang(pv(&a, "ui_locales"));
    if (lang != NULL)
        req->lang = lang;

    /* 1. client and redirect_uri: errors here are shown, never redirected */
    const char *client_id = pv(&a, "client_id");
    if (client_id == NULL) {
        egov_reply_problem(req, EGOV_EC_AUTH_CLIENT_UNKNOWN, "client_id", "client_id is missing");
        return;
    }
    enum egov_db_qs qs = auth_client_load(egov_req_db(req), client_id, &a.client);
    if (qs < 0) {
        egov_reply_problem(req, EGOV_EC_DB_SOFT_ERROR, NULL, NULL);
        return;
    }
    if (qs == EGOV_DB_NO_ROW) {
        egov_reply_problem(req, EGOV_EC_AUTH_CLIENT_UNKNOWN, "client_id", NULL);
        return;
    }
    a.redirect_uri = pv(&a, "redirect_uri");
    if (a.redirect_uri == NULL || !auth_client_redirect_ok(&a.client, a.redirect_uri)) {
        EGOV_CLIENT_FAULT("unregistered redirect_uri for client %s", a.client.id);
        egov_reply_problem(req, EGOV_EC_AUTH_REDIRECT_URI_INVALID, "redirect_uri", NULL);
        goto done;
    }
    a.state = pv(&a, "state");
    a.scope = pv(&a, "scope");
    a.nonce = pv(&a, "nonce");
    a.prompt = pv(&a, "prompt");
    a.challenge = pv(&a, "code_challenge");

    /* 2. everything else goes back to the client */
    if (auth_param(req, "request") != NULL) {
        redirect_error(&a, "request_not_supported", "request objects are not supported");
        goto done;
    }
    if (auth_param(req, "request_uri") != NULL) {
        redirect_error(&a, "request_uri_not_supported", "request_uri is not supported");
        goto done;
    }
    const char *rt = pv(&a, "response_type");
    if (rt == NULL) {
        redirect_error(&a, "invalid_request", "response_type is missing");
        goto done;
    }
    if (strcmp(rt, "code") != 0) {
        redirect_error(&a, "unsupported_response_type", "only response_type=code is supported");
        goto done;
    }
    if (!auth_client_grant_ok(&a.client, "authorization_code")) {
        redirect_error(&a, "unauthorized_client", "the client may not use the code flow");
        goto done;
    }
    const char *rm = pv(&a, "response_mode");
    if (rm != NULL && strcmp(rm, "query") != 0) {
        redirect_error(&a, "invalid_request", "only response_mode=query is supported");
        goto done;
    }
    if (a.scope == NULL || a.scope[0] == '\0') {
        redirect_error(&a, "invalid_scope", "scope is missing");
        goto done;
    }
    filter_scopes(&a);
    if (a.granted[0] == '\0') {
        redirect_error(&a, "invalid_scope", "none of the requested scopes is registered");
        goto done;
    }
    const char *method = pv(&a, "code_challenge_method");
    if (a.challenge != NULL) {
        size_t cl = strlen(a.challenge);
        if (method == NULL || strcmp(method, "S256") != 0) {
            redirect_error(&a, "invalid_request",
                           "code_challenge_method must be S256 (plain is not accepted)");
            goto done;
        }
        if (cl != 43) {
            redirect_error(&a, "invalid_request", "code_challenge must be a base64url SHA-256");
            goto done;
        }
    } else if (method != NULL) {
        redirect_error(&a, "invalid_request", "code_challenge_method without code_challenge");
        goto done;
    } else if (strcmp(a.client.auth_method, "none") == 0) {
        redirect_error(&a, "invalid_request", "public clients must use PKCE (S256)");
        goto done;
    }
    if (a.nonce != NULL && strlen(a.nonce) > 255) {
        redirect_error(&a, "invalid_request", "nonce is too long");
        goto done;
    }
    if (a.state != NULL && strlen(a.state) > 1024) {
        redirect_error(&a, "invalid_request", "state is too long");
        goto done;
    }
    bool p_none = false, p_login = false, p_consent = false;
    if (a.prompt != NULL) {
        char buf[128];
        if (strlen(a.prompt) >= sizeof(buf)) {
            redirect_error(&a, "invalid_request", "prompt is malformed");
            goto done;
        }
        snprintf(buf, sizeof(buf), "%s", a.prompt);
        char *save = NULL;
        for (char *t = strtok_r(buf, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save)) {
            if (strcmp(t, "none") == 0)
                p_none = true;
            else if (strcmp(t, "login") == 0)
                p_login = true;
            else if (strcmp(t, "consent") == 0)
                p_consent = true;
            else if (strcmp(t, "select_account") != 0) {
                redirect_error(&a, "invalid_request", "unknown prompt value");
                goto done;
            }
        }
        if (p_none && (p_login || p_consent)) {
            redirect_error(&a, "invalid_request", "prompt=none cannot be combined");
            goto done;
        }
    }
    const char *ma = pv(&a, "max_age");
    if (ma != NULL) {
        char *end = NULL;
        long long v = strtoll(ma, &end, 10);
        if (ma[0] == '\0' || *end != '\0' || v < 0 || v > 100LL * 365 * 86400) {
            redirect_error(&a, "invalid_request", "max_age must be a number of seconds");
            goto done;
        }
        a.max_age = v;
    }
    const char *la = pv(&a, LOGIN_AFTER_PARAM);
    if (la != NULL) {
        char *end = NULL;
        long long v = strtoll(la, &end, 10);
        if (la[0] != '\0' && *end == '\0' && v > 0)
            a.login_after = v;
    }

    /* 3. the person */
    struct egov_account_session s;
    qs = egov_account_session_current(req, &s);
    if (qs < 0) {
        egov_reply_problem(req, EGOV_EC_DB_SOFT_ERROR, NULL, NULL);
        goto done;
    }
    int64_t now = egov_now_us() / 1000000;
    bool logged_in = qs == EGOV_DB_ONE_ROW;
    /* a login forced by prompt=login or max_age counts from the moment we asked for it */
    bool fresh = a.login_after > 0 && logged_in && s.auth_time >= a.login_after;
    bool too_old = logged_in && a.max_age >= 0 && now - s.auth_time > a.max_age && !fresh;
    if (!logged_in || too_old || (p_login && !fresh)) {
        if (p_none) {
            redirect_error(&a, "login_required", "the user must sign in");
            goto done;
        }
        to_login(&a, logged_in);
        goto done;
    }

    /* 4. consent */
    if (consent_post) {
        const char *d = json_string_value(json_object_get(req->form, "consent_decision"));
        if (d != NULL && strcmp(d, "allow") == 0)
            issue_code(&a, &s, true);
        else
            redirect_error(&a, "access_denied", "the user did not allow access");
        goto done;
    }
    bool covers = false;
    if (consent_covers(&a, s.principal_id, &covers) < 0) {
        egov_reply_problem(req, EGOV_EC_DB_SOFT_ERROR, NULL, NULL);
        goto done;
    }
    if (!covers || p_consent) {
        if (p_none) {
            redirect_error(&a, "consent_required", "the user has not consented");
            goto done;
        }
        show_consent(&a, &s);
        goto done;
    }
    issue_code(&a, &s, false);
done:
    auth_client_clear(&a.client);
}
