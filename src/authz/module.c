/*
 * module.c -- the authz module's descriptor, its tables, the caller
 * resolvers, the JSON API and the `egov authz` verb.
 *
 *   POST /api/authz/check                 {subject, action, resource} -> {decision, reason}
 *                                         (asked by the subject, an administrator of the
 *                                         resource's agency, or a holder of authz.check there)
 *   POST /api/authz/grants/check          {consumer, service_id, method, path} -> {decision,
 * reason} GET  /api/authz/agencies/{agency}     roles, members, admins, grants, audit (admins only)
 *   POST /api/authz/roles                 {agency, name, permissions:[{action, resource}]}
 *   POST /api/authz/assignments           {subject, role_id, assign?}
 *   POST /api/authz/admins                {subject, agency}
 *   POST /api/authz/grants                {consumer, service_id, provider_agency, method, path}
 *   POST /api/authz/grants/{id}/revoke
 * Every call needs a caller (a registered resolver: session, bearer token).
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "authz/authz_int.h"

static const struct egov_db_migration authz_list[] = {
    {1, "roles, permissions, assignments, administrators, service grants, audit",
     "CREATE TABLE authz_role ("
     " id TEXT PRIMARY KEY,"
     " agency TEXT NOT NULL,"
     " name TEXT NOT NULL,"
     " created_at BIGINT NOT NULL,"
     " UNIQUE (agency, name));"
     "CREATE TABLE authz_permission ("
     " role_id TEXT NOT NULL REFERENCES authz_role (id),"
     " action TEXT NOT NULL,"
     " resource TEXT NOT NULL,"
     " PRIMARY KEY (role_id, action, resource));"
     "CREATE TABLE authz_assignment ("
     " subject TEXT NOT NULL,"
     " role_id TEXT NOT NULL REFERENCES authz_role (id),"
     " created_at BIGINT NOT NULL,"
     " PRIMARY KEY (subject, role_id));"
     "CREATE TABLE authz_admin ("
     " subject TEXT NOT NULL,"
     " agency TEXT NOT NULL,"
     " created_at BIGINT NOT NULL,"
     " PRIMARY KEY (subject, agency));"
     "CREATE TABLE authz_grant ("
     " id TEXT PRIMARY KEY,"
     " consumer TEXT NOT NULL,"
     " service_id TEXT NOT NULL,"
     " provider_agency TEXT NOT NULL,"
     " method TEXT NOT NULL,"
     " path TEXT NOT NULL,"
     " created_at BIGINT NOT NULL,"
     " revoked_at BIGINT);"
     "CREATE INDEX authz_grant_lookup ON authz_grant (consumer, service_id);"
     "CREATE INDEX authz_grant_agency ON authz_grant (provider_agency);"
     "CREATE TABLE authz_audit ("
     " id TEXT PRIMARY KEY,"
     " at BIGINT NOT NULL,"
     " actor TEXT NOT NULL,"
     " action TEXT NOT NULL,"
     " agency TEXT NOT NULL,"
     " detail TEXT,"
     " client_addr TEXT NOT NULL,"
     " request_id TEXT NOT NULL);"
     "CREATE INDEX authz_audit_agency ON authz_audit (agency, at);",
     NULL},
    {0, NULL, NULL, NULL},
};

static const struct egov_db_module_migrations authz_migrations = {"authz", authz_list};

/* ------------------------------------------------------------------ */
/* Caller resolvers                                                    */
/* ------------------------------------------------------------------ */

#define MAX_CALLERS 4
static pthread_mutex_t callers_lock = PTHREAD_MUTEX_INITIALIZER;
static egov_authz_caller_fn callers[MAX_CALLERS];
static unsigned int n_callers;

bool egov_authz_register_caller(egov_authz_caller_fn fn)
{
    bool ok = true;
    pthread_mutex_lock(&callers_lock);
    for (unsigned int i = 0; i < n_callers; i++)
        if (callers[i] == fn)
            goto out;
    if (n_callers == MAX_CALLERS)
        ok = false;
    else
        callers[n_callers++] = fn;
out:
    pthread_mutex_unlock(&callers_lock);
    return ok;
}

bool egov_authz_caller(struct egov_req *req, char subject[64])
{
    egov_authz_caller_fn list[MAX_CALLERS];
    unsigned int n;
    pthread_mutex_lock(&callers_lock);
    n = n_callers;
    memcpy(list, callers, sizeof list);
    pthread_mutex_unlock(&callers_lock);
    for (unsigned int i = 0; i < n; i++) {
        subject[0] = '\0';
        if (list[i](req, subject) && subject[0] != '\0')
            return true;
    }
    egov_reply_problem(req, EGOV_EC_GENERIC_UNAUTHORIZED, NULL, NULL);
    return false;
}

/* ------------------------------------------------------------------ */
/* JSON API                                                            */
/* ------------------------------------------------------------------ */

/* The peer address of @p req for the audit (arena string; "" if unknown). */
static const char *client_addr(struct egov_req *req)
{
    char buf[INET6_ADDRSTRLEN] = "";
    const union MHD_ConnectionInfo *ci =
        req->mhd_connection != NULL
            ? MHD_get_connection_info(req->mhd_connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS)
            : NULL;
    if (ci != NULL && ci->client_addr != NULL) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
                      sizeof buf);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf,
                      sizeof buf);
    }
    const char *out = egov_arena_strdup(req->arena, buf);
    return out != NULL ? out : "";
}

static const char *decision_name(enum egov_authz_decision d)
{
    return d == EGOV_AUTHZ_ALLOW ? "allow" : "deny";
}

/* Answers a decision: 200 {"decision", "reason"}, or 503 if the policy could not be read. */
static void reply_decision(struct egov_req *req, enum egov_authz_decision d, const char *reason)
{
    if (d == EGOV_AUTHZ_ERROR) {
        egov_reply_problem(req, EGOV_EC_DB_SOFT_ERROR, NULL, NULL);
        return;
    }
    egov_reply_json(req, 200,
                    json_pack("{s:s, s:s}", "decision", decision_name(d), "reason", reason));
}

/* The start of every JSON call: the caller's subject, then the body by @p spec; false if answered.
 */
static bool caller_body(struct egov_req *req, char caller[64], const struct egov_json_spec *spec)
{
    return egov_authz_caller(req, caller) && egov_req_parse_json(req, spec) != NULL;
}

/*
 * Who may learn another subject's rights: the subject itself; an
 * administrator of the agency the resource belongs to; or a system
 * holding the permission "authz.check" on "agency/<A>/authz" (an
 * application of agency A that checks its users).
 */
static bool may_ask(struct egov_req *req, const char *caller, const char *subject,
                    const char *resource)
{
    char agency[128], res[160], reason[EGOV_AUTHZ_REASON_MAX];
    if (strcmp(caller, subject) == 0)
        return true;
    if (strncmp(resource, "agency/", 7) != 0)
        return false;
    size_t n = strcspn(resource + 7, "/");
    if (n == 0 || n >= sizeof agency)
        return false;
    memcpy(agency, resource + 7, n);
    agency[n] = '\0';
    struct egov_db *db = egov_req_db(req);
    if (egov_authz_is_admin(db, caller, agency))
        return true;
    snprintf(res, sizeof res, "agency/%s/authz", agency);
    return egov_authz_check(db, caller, "authz.check", res, reason) == EGOV_AUTHZ_ALLOW;
}

static void handle_check(struct egov_req *req)
{
    const char *subject = NULL, *action = NULL, *resource = NULL;
    char caller[64], reason[EGOV_AUTHZ_REASON_MAX];
    struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_STRING_LEN("subject", &subject, 1, 64),
        EGOV_JSON_SPEC_STRING_LEN("action", &action, 1, 128),
        EGOV_JSON_SPEC_STRING_LEN("resource", &resource, 1, 1024),
        EGOV_JSON_SPEC_END,
    };
    if (!caller_body(req, caller, spec))
        return;
    if (!may_ask(req, caller, subject, resource)) {
        egov_reply_problem(req, EGOV_EC_GENERIC_FORBIDDEN, "subject",
                           "Only the subject itself, an administrator of the resource's agency "
                           "or a holder of authz.check there may ask.");
        return;
    }
    enum egov_authz_decision d =
        egov_authz_check(egov_req_db(req), subject, action, resource, reason);
    reply_decision(req, d, reason);
}

static void handle_grant_check(struct egov_req *req)
{
    const char *consumer = NULL, *service = NULL, *method = NULL, *path = NULL, *reason = NULL;
    char caller[64];
    struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_STRING_LEN("consumer", &consumer, 1, 128),
        EGOV_JSON_SPEC_STRING_LEN("service_id", &service, 1, 128),
        EGOV_JSON_SPEC_STRING_LEN("method", &method, 1, 16),
        EGOV_JSON_SPEC_STRING_LEN("path", &path, 1, 2048),
        EGOV_JSON_SPEC_END,
    };
    if (!caller_body(req, caller, spec))
        return;
    enum egov_authz_decision d =
        egov_authz_grant_check(egov_req_db(req), consumer, service, method, path, &reason);
    reply_decision(req, d, reason);
}

static void reply_ec(struct egov_req *req, enum egov_ec ec, const char *field, json_t *ok)
{
    if (ec == EGOV_EC_NONE)
        egov_reply_json(req, 201, ok);
    else {
        json_decref(ok);
        egov_reply_problem(req, ec, field, NULL);
    }
}

static void handle_agency(struct egov_req *req)
{
    char caller[64];
    const char *agency = egov_req_param(req, "agency");
    if (!egov_authz_caller(req, caller))
        return;
    if (!egov_authz_is_admin(egov_req_db(req), caller, agency)) {
        egov_reply_problem(req, EGOV_EC_AUTHZ_NOT_ADMIN, "agency", NULL);
        return;
    }
    json_t *j = egov_authz_agency_view(egov_req_db(req), agency);
    if (j == NULL) {
        egov_reply_problem(req, EGOV_EC_DB_SOFT_ERROR, NULL, NULL);
        return;
    }
    egov_reply_json(req, 200, j);
}

static void handle_role_create(struct egov_req *req)
{
    const char *agency = NULL, *name = NULL, *field = NULL;
    json_t *perms = NULL;
    char caller[64], id[37] = "";
    struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_STRING_LEN("agency", &agency, 1, 64),
        EGOV_JSON_SPEC_STRING_LEN("name", &name, 1, 64),
        EGOV_JSON_SPEC_ARRAY("permissions", &perms),
        EGOV_JSON_SPEC_END,
    };
    if (!caller_body(req, caller, spec))
        return;
    enum egov_ec ec = egov_authz_role_create(egov_req_db(req), caller, agency, name, perms,
                                             client_addr(req), req->request_id, id, &field);
    reply_ec(req, ec, field,
             json_pack("{s:s, s:s, s:s}", "id", id, "agency", agency, "name", name));
}

static void handle_assign(struct egov_req *req)
{
    const char *subject = NULL, *role = NULL;
    bool assign = true;
    char caller[64];
    struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_STRING_LEN("subject", &subject, 1, 64),
        EGOV_JSON_SPEC_STRING_LEN("role_id", &role, 36, 36),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_BOOL("assign", &assign)),
        EGOV_JSON_SPEC_END,
    };
    if (!caller_body(req, caller, spec))
        return;
    enum egov_ec ec = egov_authz_assign(egov_req_db(req), caller, subject, role, assign,
                                        client_addr(req), req->request_id);
    reply_ec(req, ec, ec == EGOV_EC_AUTHZ_PATTERN_INVALID ? "subject" : "role_id",
             json_pack("{s:s, s:s, s:b}", "subject", subject, "role_id", role, "assigned", assign));
}

static void handle_admin_add(struct egov_req *req)
{
    const char *subject = NULL, *agency = NULL;
    char caller[64];
    struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_STRING_LEN("subject", &subject, 1, 64),
        EGOV_JSON_SPEC_STRING_LEN("agency", &agency, 1, 64),
        EGOV_JSON_SPEC_END,
    };
    if (!caller_body(req, caller, spec))
        return;
    enum egov_ec ec = egov_authz_admin_add(egov_req_db(req), caller, subject, agency,
                                           client_addr(req), req->request_id);
    reply_ec(req, ec, "agency", json_pack("{s:s, s:s}", "subject", subject, "agency", agency));
}

static void handle_grant_add(struct egov_req *req)
{
    const char *consumer = NULL, *service = NULL, *agency = NULL, *method = NULL, *path = NULL,
               *field = NULL;
    char caller[64], id[37] = "";
    struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_STRING_LEN("consumer", &consumer, 1, 128),
        EGOV_JSON_SPEC_STRING_LEN("service_id", &service, 1, 128),
        EGOV_JSON_SPEC_STRING_LEN("provider_agency", &agency, 1, 64),
        EGOV_JSON_SPEC_STRING_LEN("method", &method, 1, 16),
        EGOV_JSON_SPEC_STRING_LEN("path", &path, 1, 512),
        EGOV_JSON_SPEC_END,
    };
    if (!caller_body(req, caller, spec))
        return;
    enum egov_ec ec =
        egov_authz_grant_add(egov_req_db(req), caller, consumer, service, agency, method, path,
                             client_addr(req), req->request_id, id, &field);
    reply_ec(req, ec, field != NULL ? field : "provider_agency",
             json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", id, "consumer", consumer,
                       "service_id", service, "provider_agency", agency, "method", method, "path",
                       path));
}

static void handle_grant_revoke(struct egov_req *req)
{
    char caller[64];
    const char *id = egov_req_param(req, "id");
    if (!egov_authz_caller(req, caller))
        return;
    enum egov_ec ec =
        egov_authz_grant_revoke(egov_req_db(req), caller, id, client_addr(req), req->request_id);
    if (ec == EGOV_EC_NONE)
        egov_reply_json(req, 200, json_pack("{s:s, s:b}", "id", id, "revoked", 1));
    else
        egov_reply_problem(req, ec, "id", NULL);
}

static const struct egov_route routes[] = {
    {EGOV_M_POST, "/api/authz/check", handle_check, 8192, EGOV_ROUTE_JSON_BODY, "authz-check"},
    {EGOV_M_POST, "/api/authz/grants/check", handle_grant_check, 8192, EGOV_ROUTE_JSON_BODY,
     "authz-grant-check"},
    {EGOV_M_GET, "/api/authz/agencies/{agency}", handle_agency, 0, 0, "authz-agency"},
    {EGOV_M_POST, "/api/authz/roles", handle_role_create, 65536, EGOV_ROUTE_JSON_BODY,
     "authz-roles"},
    {EGOV_M_POST, "/api/authz/assignments", handle_assign, 8192, EGOV_ROUTE_JSON_BODY,
     "authz-assignments"},
    {EGOV_M_POST, "/api/authz/admins", handle_admin_add, 8192, EGOV_ROUTE_JSON_BODY,
     "authz-admins"},
    {EGOV_M_POST, "/api/authz/grants", handle_grant_add, 8192, EGOV_ROUTE_JSON_BODY,
     "authz-grants"},
    {EGOV_M_POST, "/api/authz/grants/{id}/revoke", handle_grant_revoke, 1024, 0,
     "authz-grant-revoke"},
    EGOV_ROUTE_END,
};

const struct egov_route_table authz_routes = {"authz", routes};

/* ------------------------------------------------------------------ */
/* CLI                                                                 */
/* ------------------------------------------------------------------ */

static void cli_usage(FILE *out)
{
    fputs("usage: egov authz admin add --subject PRINCIPAL --agency CODE|'*'\n"
          "       egov authz check --subject PRINCIPAL --action ACTION --resource agency/CODE/...\n"
          "       egov authz grant add --consumer SYSTEM --service SERVICE --agency CODE"
          " --method METHOD|'*' --path /PATH[*]\n",
          out);
}

int authz_cli_run(int argc, char **argv, const struct egov_module_env *env)
{
    static const struct option longopts[] = {
        {"subject", required_argument, NULL, 's'},  {"agency", required_argument, NULL, 'a'},
        {"action", required_argument, NULL, 'x'},   {"resource", required_argument, NULL, 'r'},
        {"consumer", required_argument, NULL, 'c'}, {"service", required_argument, NULL, 'v'},
        {"method", required_argument, NULL, 'm'},   {"path", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    const char *subject = NULL, *agency = NULL, *action = NULL, *resource = NULL, *consumer = NULL,
               *service = NULL, *method = NULL, *path = NULL;
    int ch, skip, rc = 1;
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        cli_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    bool is_check = strcmp(cmd, "check") == 0;
    bool is_admin = strcmp(cmd, "admin") == 0 && argc > 2 && strcmp(argv[2], "add") == 0;
    bool is_grant = strcmp(cmd, "grant") == 0 && argc > 2 && strcmp(argv[2], "add") == 0;
    if (!is_check && !is_admin && !is_grant) {
        cli_usage(stderr);
        return 2;
    }
    skip = is_check ? 1 : 2;
    optind = 1;
    while ((ch = getopt_long(argc - skip, argv + skip, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 's':
            subject = optarg;
            break;
        case 'a':
            agency = optarg;
            break;
        case 'x':
            action = optarg;
            break;
        case 'r':
            resource = optarg;
            break;
        case 'c':
            consumer = optarg;
            break;
        case 'v':
            service = optarg;
            break;
        case 'm':
            method = optarg;
            break;
        case 'p':
            path = optarg;
            break;
        case 'h':
            cli_usage(stdout);
            return 0;
        default:
            cli_usage(stderr);
            return 2;
        }
    }
    if ((is_admin && (subject == NULL || agency == NULL)) ||
        (is_check && (subject == NULL || action == NULL || resource == NULL)) ||
        (is_grant && (consumer == NULL || service == NULL || agency == NULL || method == NULL ||
                      path == NULL))) {
        cli_usage(stderr);
        return 2;
    }
    struct egov_db *db = env->open_db(env);
    if (db == NULL)
        return 1;
    if (is_admin) {
        enum egov_ec ec = egov_authz_admin_add(db, NULL, subject, agency, "", NULL);
        if (ec == EGOV_EC_NONE) {
            printf("{\"subject\": \"%s\", \"agency\": \"%s\"}\n", subject, agency);
            rc = 0;
        } else {
            fprintf(stderr, "egov authz: %s\n", egov_ec_hint(ec));
        }
    } else if (is_check) {
        char reason[EGOV_AUTHZ_REASON_MAX];
        enum egov_authz_decision d = egov_authz_check(db, subject, action, resource, reason);
        json_t *j = json_pack("{s:s, s:s}", "decision", decision_name(d), "reason", reason);
        char *text = j != NULL ? json_dumps(j, 0) : NULL;
        if (text != NULL && d != EGOV_AUTHZ_ERROR) {
            printf("%s\n", text);
            rc = d == EGOV_AUTHZ_ALLOW ? 0 : 3;
        }
        free(text);
        json_decref(j);
    } else {
        char id[37];
        const char *field = NULL;
        enum egov_ec ec = egov_authz_grant_add(db, NULL, consumer, service, agency, method, path,
                                               "", NULL, id, &field);
        if (ec == EGOV_EC_NONE) {
            printf("{\"id\": \"%s\"}\n", id);
            rc = 0;
        } else {
            fprintf(stderr, "egov authz: %s%s%s\n", field != NULL ? field : "",
                    field != NULL ? ": " : "", egov_ec_hint(ec));
        }
    }
    egov_db_close(db);
    return rc;
}

static const struct egov_module_cli authz_cli[] = {
    {"authz", "authorization: administrators, decisions, service grants", authz_cli_run},
    {NULL, NULL, NULL},
};

const struct egov_module egov_authz_module = {
    .name = "authz",
    .migrations = &authz_migrations,
    .routes = &authz_routes,
    .cli = authz_cli,
};
