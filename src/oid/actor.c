/*
 * actor.c -- who is calling, and may they act on this arc.
 *
 * Higher modules fill the two hooks at start-up: the account module
 * resolves a session or bearer token to an actor, the authz module adds
 * its role decision.  Without them, only the platform administrator's
 * bearer token (oid.admin_token_file) is accepted for changes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "crypto/crypto.h"
#include "oid/oid_int.h"

/* Longest admin token accepted. */
#define ADMIN_TOKEN_MAX 256

/* Set at start-up, before serving; read-only afterwards. */
static egov_oid_actor_fn actor_resolver;
static egov_oid_authorize_fn authorizer;
static egov_oid_agency_key_fn agency_key_fn;
static egov_oid_csrf_token_fn csrf_token_fn;
static egov_oid_csrf_check_fn csrf_check_fn;
static bool admin_token_set;
static uint8_t admin_token_hash[EGOV_SHA256_LEN];

static const struct egov_db_stmt st_agency_arcs = {
    "oid_agency_arcs", "SELECT oid FROM oid_arc WHERE agency_id = $1 LIMIT 100", NULL};

void egov_oid_set_actor_resolver(egov_oid_actor_fn fn)
{
    actor_resolver = fn;
}

void egov_oid_set_agency_key_resolver(egov_oid_agency_key_fn fn)
{
    agency_key_fn = fn;
}

void egov_oid_set_authorizer(egov_oid_authorize_fn fn)
{
    authorizer = fn;
}

void egov_oid_set_csrf(egov_oid_csrf_token_fn token, egov_oid_csrf_check_fn check)
{
    csrf_token_fn = token;
    csrf_check_fn = check;
}

const char *egov_oid_csrf_token(struct egov_req *req)
{
    return csrf_token_fn != NULL && csrf_check_fn != NULL ? csrf_token_fn(req) : NULL;
}

bool egov_oid_csrf_check(struct egov_req *req, const json_t *form)
{
    if (csrf_token_fn == NULL || csrf_check_fn == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_CSRF, NULL, NULL);
        return false;
    }
    return csrf_check_fn(req, form);
}

void egov_oid_set_admin_token(const char *token)
{
    admin_token_set = false;
    egov_wipe(admin_token_hash, sizeof(admin_token_hash));
    if (token == NULL || token[0] == '\0')
        return;
    admin_token_set = egov_sha256(token, strlen(token), admin_token_hash);
}

bool oid_load_admin_token(const char *path)
{
    if (path == NULL || path[0] == '\0') {
        egov_oid_set_admin_token(NULL);
        return true;
    }
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        egov_error("oid.admin_token_file %s: %s", path, strerror(errno));
        return false;
    }
    char buf[ADMIN_TOKEN_MAX + 2];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    bool ok = n >= 16 && n <= ADMIN_TOKEN_MAX;
    if (!ok)
        egov_error("oid.admin_token_file %s: the token must have 16 to %d characters", path,
                   ADMIN_TOKEN_MAX);
    else
        egov_oid_set_admin_token(buf);
    egov_wipe(buf, sizeof(buf));
    return ok;
}

bool egov_oid_actor_from_request(struct egov_req *req, struct egov_oid_actor *out)
{
    memset(out, 0, sizeof(*out));
    if (actor_resolver != NULL) {
        int rc = actor_resolver(req, out);
        if (rc > 0)
            return true;
        if (rc < 0) {
            egov_reply_problem(req, EGOV_EC_GENERIC_UNAUTHORIZED, NULL, NULL);
            return false;
        }
        memset(out, 0, sizeof(*out));
    }
    const char *auth = egov_req_header(req, "Authorization");
    if (auth != NULL && admin_token_set && strncasecmp(auth, "Bearer ", 7) == 0) {
        const char *tok = auth + 7;
        uint8_t h[EGOV_SHA256_LEN];
        if (egov_sha256(tok, strlen(tok), h) && egov_ct_equal(h, admin_token_hash, sizeof(h))) {
            egov_utf8_copy(out->subject, sizeof(out->subject), "admin-token");
            out->platform_admin = true;
            return true;
        }
    }
    egov_reply_header(req, "WWW-Authenticate", "Bearer realm=\"egov\"");
    egov_reply_problem(req, EGOV_EC_GENERIC_UNAUTHORIZED, NULL, NULL);
    return false;
}

enum egov_ec egov_oid_authorize_extra(const struct egov_oid_actor *actor, const char *action,
                                      const char *agency_id)
{
    if (authorizer == NULL)
        return EGOV_EC_NONE;
    return authorizer(actor, action, agency_id != NULL ? agency_id : "");
}

struct arcs_cls {
    const char *agency_id;
    const char *arc;
    bool within;
};

static enum egov_db_qs arcs_body(struct egov_db_conn *c, void *cls)
{
    struct arcs_cls *ac = cls;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(ac->agency_id), EGOV_DB_PARAM_END};
    struct egov_db_rows *r = NULL;
    enum egov_db_qs qs = egov_db_query(c, &st_agency_arcs, p, &r);
    ac->within = false;
    for (size_t i = 0; qs > 0 && i < egov_db_rows_count(r); i++)
        if (egov_oid_is_under(ac->arc, egov_db_rows_text(r, i, 0)))
            ac->within = true;
    egov_db_rows_free(r);
    return qs;
}

enum egov_ec egov_oid_authorize_arc(struct egov_db *db, const struct egov_oid_actor *actor,
                                    const char *action, const char *arc)
{
    if (actor == NULL)
        return EGOV_EC_GENERIC_UNAUTHORIZED;
    if (actor->platform_admin)
        return egov_oid_authorize_extra(actor, action, "");
    if (actor->agency_id[0] == '\0' || !egov_oid_valid(arc))
        return EGOV_EC_GENERIC_FORBIDDEN;
    char owner[37];
    struct arcs_cls ac = {actor->agency_id, arc, false};
    if (agency_key_fn != NULL && agency_key_fn(db, actor->agency_id, owner))
        ac.agency_id = owner;
    enum egov_db_qs qs = oid_txn(db, false, arcs_body, &ac);
    if (qs < 0)
        return egov_db_qs_ec(qs);
    if (!ac.within)
        return EGOV_EC_GENERIC_FORBIDDEN;
    return egov_oid_authorize_extra(actor, action, actor->agency_id);
}
