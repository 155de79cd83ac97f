/*
 * policy.c -- roles, permissions, assignments, agency administrators and
 * service grants in the database; the decision functions; the audit of
 * every change (table authz_audit).
 *
 * Each change runs in one transaction that first checks, inside the same
 * transaction, that the actor administers the agency concerned, so a
 * concurrent demotion cannot slip a change through.
 */
#include <stdio.h>
#include <string.h>

#include "authz/authz_int.h"
#include "directory/directory.h"

static const struct egov_db_stmt st_admin_of = {
    "authz_admin_of", "SELECT agency FROM authz_admin WHERE subject = $1", NULL};
static const struct egov_db_stmt st_subject_perms = {
    "authz_subject_perms",
    "SELECT r.agency, r.name, p.action, p.resource FROM authz_assignment a"
    " JOIN authz_role r ON r.id = a.role_id JOIN authz_permission p ON p.role_id = r.id"
    " WHERE a.subject = $1 ORDER BY r.agency, r.name",
    NULL};
static const struct egov_db_stmt st_grants_of = {
    "authz_grants_of",
    "SELECT method, path FROM authz_grant WHERE consumer = $1 AND service_id = $2"
    " AND revoked_at IS NULL",
    NULL};
static const struct egov_db_stmt st_admin_put = {
    "authz_admin_put",
    "INSERT INTO authz_admin (subject, agency, created_at) VALUES ($1, $2, $3)"
    " ON CONFLICT (subject, agency) DO NOTHING",
    NULL};
static const struct egov_db_stmt st_role_put = {
    "authz_role_put",
    "INSERT INTO authz_role (id, agency, name, created_at) VALUES ($1, $2, $3, $4)"
    " ON CONFLICT (agency, name) DO NOTHING",
    NULL};
static const struct egov_db_stmt st_perm_put = {
    "authz_perm_put",
    "INSERT INTO authz_permission (role_id, action, resource) VALUES ($1, $2, $3)"
    " ON CONFLICT (role_id, action, resource) DO NOTHING",
    NULL};
static const struct egov_db_stmt st_role_agency = {
    "authz_role_agency", "SELECT agency FROM authz_role WHERE id = $1", NULL};
static const struct egov_db_stmt st_assign = {
    "authz_assign",
    "INSERT INTO authz_assignment (subject, role_id, created_at) VALUES ($1, $2, $3)"
    " ON CONFLICT (subject, role_id) DO NOTHING",
    NULL};
static const struct egov_db_stmt st_unassign = {
    "authz_unassign", "DELETE FROM authz_assignment WHERE subject = $1 AND role_id = $2", NULL};
static const struct egov_db_stmt st_grant_put = {
    "authz_grant_put",
    "INSERT INTO authz_grant (id, consumer, service_id, provider_agency, method, path,"
    " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    NULL};
static const struct egov_db_stmt st_grant_agency = {
    "authz_grant_agency",
    "SELECT provider_agency FROM authz_grant WHERE id = $1 AND revoked_at IS NULL", NULL};
static const struct egov_db_stmt st_grant_revoke = {
    "authz_grant_revoke", "UPDATE authz_grant SET revoked_at = $2 WHERE id = $1", NULL};
static const struct egov_db_stmt st_audit = {
    "authz_audit_put",
    "INSERT INTO authz_audit (id, at, actor, action, agency, detail, client_addr, request_id)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    NULL};
static const struct egov_db_stmt st_view_roles = {
    "authz_view_roles",
    "SELECT r.id, r.name, p.action, p.resource FROM authz_role r"
    " LEFT JOIN authz_permission p ON p.role_id = r.id WHERE r.agency = $1"
    " ORDER BY r.name, r.id, p.action, p.resource",
    NULL};
static const struct egov_db_stmt st_view_members = {
    "authz_view_members",
    "SELECT a.role_id, a.subject FROM authz_assignment a JOIN authz_role r ON r.id = a.role_id"
    " WHERE r.agency = $1 ORDER BY a.subject",
    NULL};
static const struct egov_db_stmt st_view_admins = {
    "authz_view_admins", "SELECT subject FROM authz_admin WHERE agency = $1 ORDER BY subject",
    NULL};
static const struct egov_db_stmt st_view_grants = {
    "authz_view_grants",
    "SELECT id, consumer, service_id, method, path, revoked_at FROM authz_grant"
    " WHERE provider_agency = $1 ORDER BY created_at DESC",
    NULL};
static const struct egov_db_stmt st_view_audit = {
    "authz_view_audit",
    "SELECT at, actor, action, detail FROM authz_audit WHERE agency = $1"
    " ORDER BY at DESC LIMIT 50",
    NULL};

enum egov_db_qs authz_txn(struct egov_db *db, bool write, egov_db_txn_fn fn, void *cls)
{
    return egov_db_run_txn(db, write, 5000, 10, fn, cls);
}

/*
 * Runs a read of one statement without a transaction around it (one round
 * trip on PostgreSQL); a busy database is asked once more.
 */
static enum egov_db_qs authz_read(struct egov_db *db, egov_db_txn_fn fn, void *cls)
{
    if (db == NULL)
        return EGOV_DB_HARD_ERROR;
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    enum egov_db_qs qs = EGOV_DB_SOFT_ERROR;
    for (int attempt = 0; c != NULL && attempt < 2 && qs == EGOV_DB_SOFT_ERROR; attempt++)
        qs = fn(c, cls);
    egov_db_release(c);
    return qs;
}

bool authz_pattern_ok(const char *s, size_t max, bool allow_slash)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-' || c == ':' || (allow_slash && c == '/') ||
                  (c == '*' && i == n - 1);
        if (!ok)
            return false;
    }
    return true;
}

bool authz_match(const char *pattern, const char *value)
{
    size_t n = strlen(pattern);
    if (n > 0 && pattern[n - 1] == '*')
        return strncmp(pattern, value, n - 1) == 0;
    return strcmp(pattern, value) == 0;
}

/* ------------------------------------------------------------------ */
/* Decisions                                                           */
/* ------------------------------------------------------------------ */

struct check_txn {
    const char *subject, *action, *agency, *rest;
    char *reason;
    bool allow;
};

static enum egov_db_qs check_body(struct egov_db_conn *c, void *cls)
{
    struct check_txn *t = cls;
    struct egov_db_rows *r = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->subject), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_subject_perms, p, &r);
    t->allow = false;
    for (size_t i = 0; qs > 0 && i < egov_db_rows_count(r) && !t->allow; i++) {
        const char *agency = egov_db_rows_text(r, i, 0), *name = egov_db_rows_text(r, i, 1);
        const char *action = egov_db_rows_text(r, i, 2), *res = egov_db_rows_text(r, i, 3);
        if (agency == NULL || name == NULL || action == NULL || res == NULL)
            continue;
        if (strcmp(agency, "*") != 0 && strcmp(agency, t->agency) != 0)
            continue;
        if (!authz_match(action, t->action) || !authz_match(res, t->rest))
            continue;
        t->allow = true;
        if (t->reason != NULL)
            snprintf(t->reason, EGOV_AUTHZ_REASON_MAX, "role \"%s\" of agency %s permits %s on %s",
                     name, agency, action, res);
    }
    egov_db_rows_free(r);
    return qs;
}

enum egov_authz_decision egov_authz_check(struct egov_db *db, const char *subject,
                                          const char *action, const char *resource,
                                          char reason[EGOV_AUTHZ_REASON_MAX])
{
    char agency[128];
    if (reason != NULL)
        reason[0] = '\0';
    if (subject == NULL || action == NULL || resource == NULL ||
        !authz_pattern_ok(action, 128, false) || strchr(action, '*') != NULL ||
        strncmp(resource, "agency/", 7) != 0) {
        if (reason != NULL)
            snprintf(reason, EGOV_AUTHZ_REASON_MAX,
                     "the request does not name an action and a resource agency/<code>/...");
        return EGOV_AUTHZ_DENY;
    }
    const char *code = resource + 7, *slash = strchr(code, '/');
    size_t cl = slash != NULL ? (size_t)(slash - code) : strlen(code);
    if (cl == 0 || cl >= sizeof agency || !authz_pattern_ok(resource, 1024, true) ||
        strchr(resource, '*') != NULL) {
        if (reason != NULL)
            snprintf(reason, EGOV_AUTHZ_REASON_MAX, "the resource name is malformed");
        return EGOV_AUTHZ_DENY;
    }
    memcpy(agency, code, cl);
    agency[cl] = '\0';
    struct check_txn t = {subject, action, agency, slash != NULL ? slash + 1 : "", reason, false};
    if (authz_read(db, check_body, &t) < 0) {
        if (reason != NULL)
            snprintf(reason, EGOV_AUTHZ_REASON_MAX, "the policy could not be read");
        return EGOV_AUTHZ_ERROR;
    }
    if (!t.allow && reason != NULL)
        snprintf(reason, EGOV_AUTHZ_REASON_MAX,
                 "no role of the subject in agency %s permits %s on this resource", agency, action);
    return t.allow ? EGOV_AUTHZ_ALLOW : EGOV_AUTHZ_DENY;
}

struct grant_txn {
    const char *consumer, *service;
    struct egov_authz_grants *out;
};

static enum egov_db_qs grant_body(struct egov_db_conn *c, void *cls)
{
    struct grant_txn *t = cls;
    struct egov_db_rows *r = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->consumer), EGOV_DB_PARAM_TEXT(t->service),
                                EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_grants_of, p, &r);
    egov_authz_grants_free(t->out);
    if (qs < 0) {
        egov_db_rows_free(r);
        return qs;
    }
    size_t rows = egov_db_rows_count(r), bytes = 0;
    for (size_t i = 0; i < rows; i++) {
        const char *m = egov_db_rows_text(r, i, 0), *path = egov_db_rows_text(r, i, 1);
        if (m != NULL && path != NULL)
            bytes += strlen(m) + strlen(path) + 2;
    }
    if (rows > 0) {
        /* the rules and their strings in one block */
        struct egov_authz_grant_rule *rules =
            egov_malloc(rows * sizeof *rules + (bytes > 0 ? bytes : 1));
        if (rules == NULL) {
            egov_db_rows_free(r);
            return EGOV_DB_HARD_ERROR;
        }
        char *text = (char *)(rules + rows);
        size_t n = 0;
        for (size_t i = 0; i < rows; i++) {
            const char *m = egov_db_rows_text(r, i, 0), *path = egov_db_rows_text(r, i, 1);
            if (m == NULL || path == NULL)
                continue;
            size_t ml = strlen(m) + 1, pl = strlen(path) + 1;
            rules[n].method = memcpy(text, m, ml);
            text += ml;
            rules[n].path = memcpy(text, path, pl);
            text += pl;
            n++;
        }
        t->out->rules = rules;
        t->out->n = n;
    }
    egov_db_rows_free(r);
    return qs;
}

int egov_authz_grants_of(struct egov_db *db, const char *consumer, const char *service_id,
                         struct egov_authz_grants *out)
{
    out->n = 0;
    out->rules = NULL;
    if (consumer == NULL || service_id == NULL)
        return 1;
    struct grant_txn t = {consumer, service_id, out};
    if (authz_read(db, grant_body, &t) < 0) {
        egov_authz_grants_free(out);
        return -1;
    }
    return 1;
}

void egov_authz_grants_free(struct egov_authz_grants *g)
{
    if (g == NULL)
        return;
    egov_free(g->rules);
    g->rules = NULL;
    g->n = 0;
}

enum egov_authz_decision egov_authz_grants_decide(const struct egov_authz_grants *g,
                                                  const char *method, const char *path,
                                                  const char **reason)
{
    static const char *const reasons[] = {"no grant for this consumer and service",
                                          "the method is not granted", "the path is not granted",
                                          "granted"};
    const char *dummy;
    if (reason == NULL)
        reason = &dummy;
    if (g == NULL || method == NULL || path == NULL || path[0] != '/') {
        *reason = "the request does not name a consumer, a service, a method and a path";
        return EGOV_AUTHZ_DENY;
    }
    int result = 0; /* 0 none, 1 method mismatch, 2 path mismatch, 3 allow */
    for (size_t i = 0; i < g->n && result < 3; i++) {
        bool mok = strcmp(g->rules[i].method, "*") == 0 || strcmp(g->rules[i].method, method) == 0;
        bool pok = authz_match(g->rules[i].path, path);
        int res = mok && pok ? 3 : mok ? 2 : 1;
        if (res > result)
            result = res;
    }
    *reason = reasons[result];
    return result == 3 ? EGOV_AUTHZ_ALLOW : EGOV_AUTHZ_DENY;
}

enum egov_authz_decision egov_authz_grant_check(struct egov_db *db, const char *consumer,
                                                const char *service_id, const char *method,
                                                const char *path, const char **reason)
{
    struct egov_authz_grants g;
    if (consumer == NULL || service_id == NULL)
        return egov_authz_grants_decide(NULL, method, path, reason); /* names what is missing */
    if (egov_authz_grants_of(db, consumer, service_id, &g) < 0) {
        if (reason != NULL)
            *reason = "the grants could not be read";
        return EGOV_AUTHZ_ERROR;
    }
    enum egov_authz_decision d = egov_authz_grants_decide(&g, method, path, reason);
    egov_authz_grants_free(&g);
    return d;
}

/* ------------------------------------------------------------------ */
/* Administration                                                      */
/* ------------------------------------------------------------------ */

/*
 * ONE_ROW if @p actor (NULL = command line) administers @p agency: an
 * administrator of the agency itself, of the platform ("*"), or of an
 * agency above it in the directory's tree (agencies named by agency code
 * or directory id).
 */
static enum egov_db_qs admin_on(struct egov_db_conn *c, const char *actor, const char *agency)
{
    if (actor == NULL)
        return EGOV_DB_ONE_ROW;
    struct egov_db_rows *r = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(actor), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_admin_of, p, &r);
    bool ok = false;
    for (size_t i = 0; qs > 0 && i < egov_db_rows_count(r) && !ok; i++) {
        const char *a = egov_db_rows_text(r, i, 0);
        if (a == NULL)
            continue;
        ok = strcmp(a, "*") == 0 || strcmp(a, agency) == 0 ||
             (strcmp(agency, "*") != 0 &&
              egov_directory_agency_is_within(egov_db_conn_db(c), agency, a));
    }
    egov_db_rows_free(r);
    if (qs < 0)
        return qs;
    return ok ? EGOV_DB_ONE_ROW : EGOV_DB_NO_ROW;
}

static enum egov_db_qs audit(struct egov_db_conn *c, const char *actor, const char *action,
                             const char *agency, json_t *detail, const char *addr, const char *rid)
{
    char id[37];
    char *d = detail != NULL ? egov_json_dumps(detail) : NULL;
    json_decref(detail);
    egov_uuid7(id);
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(id),
                                EGOV_DB_PARAM_INT64(egov_now_us()),
                                EGOV_DB_PARAM_TEXT(actor != NULL ? actor : "cli"),
                                EGOV_DB_PARAM_TEXT(action),
                                EGOV_DB_PARAM_TEXT(agency),
                                EGOV_DB_PARAM_TEXT(d),
                                EGOV_DB_PARAM_TEXT(addr != NULL ? addr : ""),
                                EGOV_DB_PARAM_TEXT(rid != NULL ? rid : ""),
                                EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_exec(c, &st_audit, p);
    egov_free(d);
    return qs;
}

struct note_txn {
    const char *actor, *action, *agency, *addr, *rid;
    json_t *detail;
};

static enum egov_db_qs note_body(struct egov_db_conn *c, void *cls)
{
    struct note_txn *t = cls;
    /* audit() consumes its detail; each attempt gets its own reference */
    return audit(c, t->actor, t->action, t->agency, json_incref(t->detail), t->addr, t->rid);
}

enum egov_ec egov_authz_audit_note(struct egov_db *db, const char *actor, const char *action,
                                   const char *agency, json_t *detail, const char *client_addr,
                                   const char *request_id)
{
    enum egov_ec ec = EGOV_EC_AUTHZ_PATTERN_INVALID;
    if (action != NULL && agency != NULL && authz_pattern_ok(agency, 64, false) &&
        action[0] != '\0' && strlen(action) <= 64) {
        struct note_txn t = {actor, action, agency, client_addr, request_id, detail};
        ec = egov_db_qs_ec(authz_txn(db, true, note_body, &t));
    }
    json_decref(detail);
    return ec;
}

struct is_admin_txn {
    const char *subject, *agency;
};

static enum egov_db_qs is_admin_body(struct egov_db_conn *c, void *cls)
{
    struct is_admin_txn *t = cls;
    return admin_on(c, t->subject, t->agency);
}

bool egov_authz_is_admin(struct egov_db *db, const char *subject, const char *agency)
{
    if (subject == NULL || agency == NULL)
        return false;
    struct is_admin_txn t = {subject, agency};
    return authz_txn(db, false, is_admin_body, &t) == EGOV_DB_ONE_ROW;
}

/* Reads one text column of a one-row query into @p out; NO_ROW if none. */
static enum egov_db_qs one_text(struct egov_db_conn *conn, const struct egov_db_stmt *st,
                                const char *key, char *out, size_t outlen)
{
    struct egov_db_rows *r = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(key), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(conn, st, p, &r);
    if (qs == EGOV_DB_ONE_ROW) {
        const char *v = egov_db_rows_text(r, 0, 0);
        snprintf(out, outlen, "%s", v != NULL ? v : "");
    }
    egov_db_rows_free(r);
    return qs;
}

static const struct egov_db_stmt st_admin_first = {
    "authz_admin_first",
    "SELECT agency FROM authz_admin WHERE subject = $1 ORDER BY agency = '*', agency LIMIT 1",
    "SELECT agency FROM authz_admin WHERE subject = $1 ORDER BY agency = '*', agency LIMIT 1"};

struct first_txn {
    const char *subject;
    char *out;
};

static enum egov_db_qs first_body(struct egov_db_conn *c, void *cls)
{
    struct first_txn *t = cls;
    return one_text(c, &st_admin_first, t->subject, t->out, 64);
}

bool egov_authz_admin_agency(struct egov_db *db, const char *subject, char agency[64])
{
    agency[0] = '\0';
    if (subject == NULL)
        return false;
    struct first_txn t = {subject, agency};
    return authz_txn(db, false, first_body, &t) == EGOV_DB_ONE_ROW && agency[0] != '\0';
}

/* Result codes of the change bodies besides database statuses. */
#define CHG_NOT_ADMIN 100
#define CHG_UNKNOWN   101
#define CHG_CONFLICT  102

struct change;

/*
 * One kind of change.  Every change runs the same steps in one
 * transaction (change_body): find the agency concerned, check that the
 * actor administers it, then apply.  @c owner, when set, is a one-column
 * query from the change's @c key to the agency (a role's or a grant's);
 * otherwise the agency is the change's own @c agency.
 */
struct change_op {
    const struct egov_db_stmt *owner;
    enum egov_db_qs (*apply)(struct egov_db_conn *conn, struct change *t, const char *agency);
};

struct change {
    const struct change_op *op;
    const char *actor, *addr, *rid;
    const char *agency;            /* the agency concerned, when op->owner is NULL */
    const char *key;               /* the owner query's parameter, when op->owner is set */
    const char *a, *b, *c, *d, *e; /* per operation */
    const json_t *perms;
    bool flag;
    char *id_out;
    int outcome;
};

static enum egov_ec change_ec(enum egov_db_qs qs, const struct change *t, enum egov_ec unknown)
{
    if (qs < 0)
        return egov_db_qs_ec(qs);
    switch (t->outcome) {
    case CHG_NOT_ADMIN:
        return EGOV_EC_AUTHZ_NOT_ADMIN;
    case CHG_UNKNOWN:
        return unknown;
    case CHG_CONFLICT:
        return EGOV_EC_GENERIC_CONFLICT;
    default:
        return EGOV_EC_NONE;
    }
}

/* The transaction of every change: agency, administrator check, the change itself. */
static enum egov_db_qs change_body(struct egov_db_conn *conn, void *cls)
{
    struct change *t = cls;
    char owner[128];
    const char *agency = t->agency;
    enum egov_db_qs qs;
    t->outcome = 0;
    if (t->op->owner != NULL) {
        qs = one_text(conn, t->op->owner, t->key, owner, sizeof owner);
        if (qs < 0)
            return qs;
        if (qs == EGOV_DB_NO_ROW) {
            t->outcome = CHG_UNKNOWN;
            return EGOV_DB_NO_ROW;
        }
        agency = owner;
    }
    qs = admin_on(conn, t->actor, agency);
    if (qs < 0)
        return qs;
    if (qs == EGOV_DB_NO_ROW) {
        t->outcome = CHG_NOT_ADMIN;
        return EGOV_DB_NO_ROW;
    }
    return t->op->apply(conn, t, agency);
}

/* Runs @p t as @p op in one transaction; @p unknown is the code for a missing owner. */
static enum egov_ec run_change(struct egov_db *db, const struct change_op *op, struct change *t,
                               enum egov_ec unknown)
{
    t->op = op;
    return change_ec(authz_txn(db, true, change_body, t), t, unknown);
}

static enum egov_db_qs admin_add_apply(struct egov_db_conn *conn, struct change *t,
                                       const char *agency)
{
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->a), EGOV_DB_PARAM_TEXT(agency),
                                EGOV_DB_PARAM_INT64(egov_now_us()), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_exec(conn, &st_admin_put, p);
    if (qs < 0)
        return qs;
    return audit(conn, t->actor, "admin.add", agency, json_pack("{s:s}", "subject", t->a), t->addr,
                 t->rid);
}

static const struct change_op op_admin_add = {NULL, admin_add_apply};

enum egov_ec egov_authz_admin_add(struct egov_db *db, const char *actor, const char *subject,
                                  const char *agency, const char *client_addr,
                                  const char *request_id)
{
    if (!authz_pattern_ok(subject, 64, false) || strchr(subject, '*') != NULL ||
        !authz_pattern_ok(agency, 64, false) ||
        (strchr(agency, '*') != NULL && strcmp(agency, "*") != 0))
        return EGOV_EC_AUTHZ_PATTERN_INVALID;
    struct change t = {
        .actor = actor, .addr = client_addr, .rid = request_id, .agency = agency, .a = subject};
    return run_change(db, &op_admin_add, &t, EGOV_EC_AUTHZ_NOT_ADMIN);
}

static enum egov_db_qs role_apply(struct egov_db_conn *conn, struct change *t, const char *agency)
{
    size_t i;
    const json_t *perm;
    egov_uuid7(t->id_out);
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->id_out), EGOV_DB_PARAM_TEXT(agency),
                                EGOV_DB_PARAM_TEXT(t->b), EGOV_DB_PARAM_INT64(egov_now_us()),
                                EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_exec(conn, &st_role_put, p);
    if (qs < 0)
        return qs;
    if (qs == EGOV_DB_NO_ROW) {
        t->outcome = CHG_CONFLICT;
        return EGOV_DB_NO_ROW;
    }
    json_array_foreach(t->perms, i, perm)
    {
        struct egov_db_param pp[] = {EGOV_DB_PARAM_TEXT(t->id_out),
                                     EGOV_DB_PARAM_TEXT(egov_json_get_str(perm, "action", "")),
                                     EGOV_DB_PARAM_TEXT(egov_json_get_str(perm, "resource", "")),
                                     EGOV_DB_PARAM_END};
        qs = egov_db_exec(conn, &st_perm_put, pp);
        if (qs < 0)
            return qs;
    }
    return audit(conn, t->actor, "role.create", agency,
                 json_pack("{s:s, s:s, s:O}", "role", t->id_out, "name", t->b, "permissions",
                           (json_t *)t->perms),
                 t->addr, t->rid);
}

static const struct change_op op_role_create = {NULL, role_apply};

enum egov_ec egov_authz_role_create(struct egov_db *db, const char *actor, const char *agency,
                                    const char *name, const json_t *permissions,
                                    const char *client_addr, const char *request_id,
                                    char id_out[37], const char **field)
{
    size_t i;
    const json_t *perm;
    const char *dummy;
    if (field == NULL)
        field = &dummy;
    *field = NULL;
    if (!authz_pattern_ok(agency, 64, false) ||
        (strchr(agency, '*') != NULL && strcmp(agency, "*") != 0)) {
        *field = "agency";
        return EGOV_EC_AUTHZ_PATTERN_INVALID;
    }
    if (!authz_pattern_ok(name, 64, false) || strchr(name, '*') != NULL) {
        *field = "name";
        return EGOV_EC_AUTHZ_PATTERN_INVALID;
    }
    if (!json_is_array(permissions) || json_array_size(permissions) > 64) {
        *field = "permissions";
        return EGOV_EC_AUTHZ_PATTERN_INVALID;
    }
    json_array_foreach(permissions, i, perm)
    {
        if (!authz_pattern_ok(egov_json_get_str(perm, "action", NULL), 128, false) ||
            !authz_pattern_ok(egov_json_get_str(perm, "resource", NULL), 512, true)) {
            *field = "permissions";
            return EGOV_EC_AUTHZ_PATTERN_INVALID;
        }
    }
    struct change t = {.actor = actor,
                       .addr = client_addr,
                       .rid = request_id,
                       .agency = agency,
                       .b = name,
                       .perms = permissions,
                       .id_out = id_out};
    return run_change(db, &op_role_create, &t, EGOV_EC_AUTHZ_ROLE_UNKNOWN);
}

static enum egov_db_qs assign_apply(struct egov_db_conn *conn, struct change *t, const char *agency)
{
    enum egov_db_qs qs;
    if (t->flag) {
        struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->a), EGOV_DB_PARAM_TEXT(t->key),
                                    EGOV_DB_PARAM_INT64(egov_now_us()), EGOV_DB_PARAM_END};
        qs = egov_db_exec(conn, &st_assign, p);
    } else {
        struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->a), EGOV_DB_PARAM_TEXT(t->key),
                                    EGOV_DB_PARAM_END};
        qs = egov_db_exec(conn, &st_unassign, p);
    }
    if (qs < 0)
        return qs;
    return audit(conn, t->actor, t->flag ? "role.assign" : "role.unassign", agency,
                 json_pack("{s:s, s:s}", "subject", t->a, "role", t->key), t->addr, t->rid);
}

static const struct change_op op_assign = {&st_role_agency, assign_apply};

enum egov_ec egov_authz_assign(struct egov_db *db, const char *actor, const char *subject,
                               const char *role_id, bool assign, const char *client_addr,
                               const char *request_id)
{
    if (!authz_pattern_ok(subject, 64, false) || strchr(subject, '*') != NULL)
        return EGOV_EC_AUTHZ_PATTERN_INVALID;
    if (role_id == NULL || !egov_uuid_valid(role_id))
        return EGOV_EC_AUTHZ_ROLE_UNKNOWN;
    struct change t = {.actor = actor,
                       .addr = client_addr,
                       .rid = request_id,
                       .key = role_id,
                       .a = subject,
                       .flag = assign};
    return run_change(db, &op_assign, &t, EGOV_EC_AUTHZ_ROLE_UNKNOWN);
}

static enum egov_db_qs grant_add_apply(struct egov_db_conn *conn, struct change *t,
                                       const char *agency)
{
    /* a = consumer, b = service, d = method, e = path */
    egov_uuid7(t->id_out);
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->id_out),      EGOV_DB_PARAM_TEXT(t->a),
                                EGOV_DB_PARAM_TEXT(t->b),           EGOV_DB_PARAM_TEXT(agency),
                                EGOV_DB_PARAM_TEXT(t->d),           EGOV_DB_PARAM_TEXT(t->e),
                                EGOV_DB_PARAM_INT64(egov_now_us()), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_exec(conn, &st_grant_put, p);
    if (qs < 0)
        return qs;
    return audit(conn, t->actor, "grant.add", agency,
                 json_pack("{s:s, s:s, s:s, s:s, s:s}", "grant", t->id_out, "consumer", t->a,
                           "service_id", t->b, "method", t->d, "path", t->e),
                 t->addr, t->rid);
}

static const struct change_op op_grant_add = {NULL, grant_add_apply};

enum egov_ec egov_authz_grant_add(struct egov_db *db, const char *actor, const char *consumer,
                                  const char *service_id, const char *provider_agency,
                                  const char *method, const char *path, const char *client_addr,
                                  const char *request_id, char id_out[37], const char **field)
{
    static const char *const methods[] = {"*", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};
    const char *dummy;
    bool mok = false;
    if (field == NULL)
        field = &dummy;
    *field = NULL;
    for (size_t i = 0; method != NULL && i < sizeof methods / sizeof methods[0]; i++)
        mok = mok || strcmp(method, methods[i]) == 0;
    if (!authz_pattern_ok(consumer, 128, false) || strchr(consumer, '*') != NULL)
        *field = "consumer";
    else if (!authz_pattern_ok(service_id, 128, false) || strchr(service_id, '*') != NULL)
        *field = "service_id";
    else if (!authz_pattern_ok(provider_agency, 64, false) || strchr(provider_agency, '*') != NULL)
        *field = "provider_agency";
    else if (!mok)
        *field = "method";
    else if (path == NULL || path[0] != '/' || !authz_pattern_ok(path, 512, true))
        *field = "path";
    if (*field != NULL)
        return EGOV_EC_AUTHZ_PATTERN_INVALID;
    struct change t = {.actor = actor,
                       .addr = client_addr,
                       .rid = request_id,
                       .agency = provider_agency,
                       .a = consumer,
                       .b = service_id,
                       .d = method,
                       .e = path,
                       .id_out = id_out};
    return run_change(db, &op_grant_add, &t, EGOV_EC_AUTHZ_GRANT_UNKNOWN);
}

static enum egov_db_qs grant_revoke_apply(struct egov_db_conn *conn, struct change *t,
                                          const char *agency)
{
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->key), EGOV_DB_PARAM_INT64(egov_now_us()),
                                EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_exec(conn, &st_grant_revoke, p);
    if (qs < 0)
        return qs;
    return audit(conn, t->actor, "grant.revoke", agency, json_pack("{s:s}", "grant", t->key),
                 t->addr, t->rid);
}

static const struct change_op op_grant_revoke = {&st_grant_agency, grant_revoke_apply};

enum egov_ec egov_authz_grant_revoke(struct egov_db *db, const char *actor, const char *grant_id,
                                     const char *client_addr, const char *request_id)
{
    if (grant_id == NULL || !egov_uuid_valid(grant_id))
        return EGOV_EC_AUTHZ_GRANT_UNKNOWN;
    struct change t = {.actor = actor, .addr = client_addr, .rid = request_id, .key = grant_id};
    return run_change(db, &op_grant_revoke, &t, EGOV_EC_AUTHZ_GRANT_UNKNOWN);
}

/* ------------------------------------------------------------------ */
/* The administrator's view of an agency                               */
/* ------------------------------------------------------------------ */

struct view_txn {
    const char *agency;
    json_t *out;
};

/* Adds row @p i of a view query to @p into; false if out of memory. */
typedef bool (*view_row_fn)(const struct egov_db_rows *r, size_t i, json_t *into);

/* Runs one view query about @p agency and hands each row to @p row. */
static enum egov_db_qs view_rows(struct egov_db_conn *c, const struct egov_db_stmt *st,
                                 const char *agency, view_row_fn row, json_t *into)
{
    struct egov_db_rows *r = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(agency), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, st, p, &r);
    for (size_t i = 0; qs > 0 && i < egov_db_rows_count(r); i++)
        if (!row(r, i, into))
            qs = EGOV_DB_HARD_ERROR;
    egov_db_rows_free(r);
    return qs;
}

/* Roles come sorted by role, one row a permission (NULL for none). */
static bool view_role_row(const struct egov_db_rows *r, size_t i, json_t *roles)
{
    const char *id = egov_db_rows_text(r, i, 0);
    json_t *role = json_array_get(roles, json_array_size(roles) - 1);
    if (role == NULL || strcmp(egov_json_get_str(role, "id", ""), id) != 0) {
        role = json_pack("{s:s, s:s, s:[], s:[]}", "id", id, "name", egov_db_rows_text(r, i, 1),
                         "permissions", "members");
        if (json_array_append_new(roles, role) != 0)
            return false;
    }
    if (!egov_db_rows_is_null(r, i, 2))
        json_array_append_new(json_object_get(role, "permissions"),
                              json_pack("{s:s, s:s}", "action", egov_db_rows_text(r, i, 2),
                                        "resource", egov_db_rows_text(r, i, 3)));
    return true;
}

static bool view_member_row(const struct egov_db_rows *r, size_t i, json_t *roles)
{
    size_t k;
    json_t *ro;
    json_array_foreach(roles, k, ro)
    {
        if (strcmp(egov_json_get_str(ro, "id", ""), egov_db_rows_text(r, i, 0)) == 0)
            json_array_append_new(json_object_get(ro, "members"),
                                  json_string(egov_db_rows_text(r, i, 1)));
    }
    return true;
}

static bool view_admin_row(const struct egov_db_rows *r, size_t i, json_t *admins)
{
    json_array_append_new(admins, json_string(egov_db_rows_text(r, i, 0)));
    return true;
}

static bool view_grant_row(const struct egov_db_rows *r, size_t i, json_t *grants)
{
    json_array_append_new(
        grants, json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "id", egov_db_rows_text(r, i, 0),
                          "consumer", egov_db_rows_text(r, i, 1), "service_id",
                          egov_db_rows_text(r, i, 2), "method", egov_db_rows_text(r, i, 3), "path",
                          egov_db_rows_text(r, i, 4), "revoked", !egov_db_rows_is_null(r, i, 5)));
    return true;
}

static bool view_audit_row(const struct egov_db_rows *r, size_t i, json_t *auditl)
{
    char at[32];
    egov_time_rfc3339(egov_db_rows_int64(r, i, 0), at);
    const char *d = egov_db_rows_text(r, i, 3);
    json_array_append_new(
        auditl, json_pack("{s:s, s:s, s:s, s:s}", "at", at, "actor", egov_db_rows_text(r, i, 1),
                          "action", egov_db_rows_text(r, i, 2), "detail", d != NULL ? d : ""));
    return true;
}

static enum egov_db_qs view_body(struct egov_db_conn *c, void *cls)
{
    struct view_txn *t = cls;
    json_t *roles = json_array(), *admins = json_array(), *grants = json_array(),
           *auditl = json_array();
    json_decref(t->out);
    t->out = json_pack("{s:s, s:o, s:o, s:o, s:o}", "agency", t->agency, "roles", roles, "admins",
                       admins, "grants", grants, "audit", auditl);
    if (t->out == NULL)
        return EGOV_DB_HARD_ERROR;
    const struct {
        const struct egov_db_stmt *st;
        view_row_fn row;
        json_t *into;
    } parts[] = {
        {&st_view_roles, view_role_row, roles},    {&st_view_members, view_member_row, roles},
        {&st_view_admins, view_admin_row, admins}, {&st_view_grants, view_grant_row, grants},
        {&st_view_audit, view_audit_row, auditl},
    };
    for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
        enum egov_db_qs qs = view_rows(c, parts[k].st, t->agency, parts[k].row, parts[k].into);
        if (qs < 0)
            return qs;
    }
    return EGOV_DB_ONE_ROW;
}

json_t *egov_authz_agency_view(struct egov_db *db, const char *agency)
{
    struct view_txn t = {agency, NULL};
    if (agency == NULL)
        return NULL;
    if (authz_txn(db, false, view_body, &t) < 0) {
        json_decref(t.out);
        return NULL;
    }
    return t.out;
}
