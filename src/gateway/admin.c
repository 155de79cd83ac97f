/*
 * admin.c -- the gateway's routes besides the calls themselves: the
 * metaservices, the registry API for platform administrators, event
 * publication, the admin page and the citizen's access list.
 *
 *   GET  /r1/listClients
 *   GET  /r1/<member>/listMethods | allowedMethods | getOpenAPI?serviceCode=S
 *   *    /r1/<service id>/<path>                    (proxy.c)
 *   GET  /api/gateway/key                           the gateway's public signing key
 *   GET/POST /api/gateway/services, /api/gateway/clients, /api/gateway/subscriptions
 *   POST /api/gateway/legal-bases
 *   GET  /api/gateway/dead-letters, POST /api/gateway/dead-letters/{id}/retry
 *   POST /api/gateway/events/{token}                publish an event
 *   GET  /gateway                                   admin page
 *   GET  /api/gateway/my-access, /my/access         the signed-in citizen's accesses
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account/account.h"
#include "authz/authz.h"
#include "gateway/gw_int.h"

/* ------------------------------------------------------------------ */
/* Metaservices                                                        */
/* ------------------------------------------------------------------ */

static const struct egov_db_stmt st_clients = {
    "gw_clients_list", "SELECT id, oauth_client, rate_per_s FROM gw_client ORDER BY id", NULL};
static const struct egov_db_stmt st_services_of = {
    "gw_services_of",
    "SELECT id, service, version, personal_data, charset, base_url, openapi FROM gw_service"
    " WHERE agency = $1 AND subsystem = $2 ORDER BY id",
    NULL};
static const struct egov_db_stmt st_services_all = {
    "gw_services_all",
    "SELECT id, service, version, personal_data, charset, base_url FROM gw_service ORDER BY id",
    NULL};
static const struct egov_db_stmt st_subs_all = {
    "gw_subs_all",
    "SELECT id, consumer, subject, url, active FROM gw_subscription ORDER BY subject, consumer",
    NULL};

static json_t *query_json(struct egov_db *db, const struct egov_db_stmt *st,
                          const struct egov_db_param *p, struct egov_db_rows **rows_out)
{
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    if (c == NULL)
        return NULL;
    enum egov_db_qs qs = egov_db_query(c, st, p, rows_out);
    egov_db_release(c);
    return qs < 0 ? NULL : json_true();
}

/* How one column of a list query becomes one member of a row's JSON object. */
enum col_kind {
    COL_TEXT,       /* text; a row with NULL here is left out */
    COL_TEXT_EMPTY, /* text; NULL becomes "" */
    COL_BOOL,       /* an integer, true unless 0 */
    COL_INT,        /* an integer */
    COL_CONST,      /* the fixed text @c value, no column */
};

struct col {
    const char *name;
    enum col_kind kind;
    unsigned int col;
    const char *value;
};
#define COL_END                                                                                    \
    {                                                                                              \
        NULL, COL_TEXT, 0, NULL                                                                    \
    }

/* Row @p i of @p rows as an object by @p cols; NULL if a COL_TEXT is NULL or out of memory. */
static json_t *row_json(const struct egov_db_rows *rows, size_t i, const struct col *cols)
{
    json_t *o = json_object();
    for (const struct col *c = cols; o != NULL && c->name != NULL; c++) {
        const char *t = c->kind == COL_CONST ? c->value : egov_db_rows_text(rows, i, c->col);
        json_t *v = NULL;
        switch (c->kind) {
        case COL_TEXT:
        case COL_CONST:
            v = t != NULL ? json_string(t) : NULL;
            break;
        case COL_TEXT_EMPTY:
            v = json_string(t != NULL ? t : "");
            break;
        case COL_BOOL:
            v = json_boolean(egov_db_rows_int64(rows, i, c->col) != 0);
            break;
        case COL_INT:
            v = json_integer((json_int_t)egov_db_rows_int64(rows, i, c->col));
            break;
        }
        if (json_object_set_new(o, c->name, v) != 0) {
            json_decref(o);
            o = NULL;
        }
    }
    return o;
}

/* Every row of @p st (no parameters) as an array of objects by @p cols; NULL on error. */
static json_t *list_json(struct egov_db *db, const struct egov_db_stmt *st, const struct col *cols)
{
    struct egov_db_rows *rows = NULL;
    if (query_json(db, st, NULL, &rows) == NULL)
        return NULL;
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < egov_db_rows_count(rows); i++)
        json_array_append_new(arr, row_json(rows, i, cols));
    egov_db_rows_free(rows);
    return arr;
}

static const struct col client_cols[] = {
    {"id", COL_TEXT, 0, NULL},
    {"object_type", COL_CONST, 0, "SUBSYSTEM"},
    {"oauth_client", COL_TEXT_EMPTY, 1, NULL},
    {"rate_per_s", COL_INT, 2, NULL},
    COL_END,
};
static const struct col service_cols[] = {
    {"id", COL_TEXT, 0, NULL},
    {"service_code", COL_TEXT, 1, NULL},
    {"service_version", COL_TEXT, 2, NULL},
    {"personal_data", COL_BOOL, 3, NULL},
    {"charset", COL_TEXT, 4, NULL},
    {"base_url", COL_TEXT, 5, NULL},
    COL_END,
};
static const struct col subscription_cols[] = {
    {"id", COL_TEXT, 0, NULL},  {"consumer", COL_TEXT, 1, NULL}, {"subject", COL_TEXT, 2, NULL},
    {"url", COL_TEXT, 3, NULL}, {"active", COL_BOOL, 4, NULL},   COL_END,
};

static json_t *clients_json(struct egov_db *db)
{
    return list_json(db, &st_clients, client_cols);
}

static json_t *services_json(struct egov_db *db)
{
    return list_json(db, &st_services_all, service_cols);
}

static json_t *subscriptions_json(struct egov_db *db)
{
    return list_json(db, &st_subs_all, subscription_cols);
}

void gw_handle_list_clients(struct egov_req *req)
{
    json_t *arr = clients_json(egov_req_db(req));
    if (arr == NULL) {
        gw_reply_error(req, EGOV_EC_DB_UNREACHABLE, NULL);
        return;
    }
    egov_reply_json(req, 200, json_pack("{s:o}", "member", arr));
}

/*
 * True if @p client holds a grant for some operation of the OpenAPI
 * document @p openapi of @p service (path parameters stand for any value).
 */
static bool any_operation_allowed(struct egov_db *db, const char *client, const char *service,
                                  const char *openapi)
{
    json_t *doc = openapi != NULL ? json_loads(openapi, 0, NULL) : NULL;
    json_t *paths = json_object_get(doc, "paths");
    const char *path;
    json_t *ops;
    bool allowed = false;
    char ac[300], as[300];
    gw_authz_name(client, ac);
    gw_authz_name(service, as);
    client = ac;
    service = as;
    if (!json_is_object(paths)) {
        allowed = egov_authz_grant_check(db, client, service, "GET", "/", NULL) == EGOV_AUTHZ_ALLOW;
        goto done;
    }
    json_object_foreach(paths, path, ops)
    {
        const char *method;
        json_t *op;
        char concrete[512];
        size_t n = 0;
        for (const char *p = path; *p && n + 2 < sizeof concrete; p++) {
            if (*p == '{') {
                const char *e = strchr(p, '}');
                if (e == NULL)
                    break;
                concrete[n++] = 'x';
                p = e;
            } else {
                concrete[n++] = *p;
            }
        }
        concrete[n] = '\0';
        json_object_foreach(ops, method, op)
        {
            char m[16];
            size_t i;
            for (i = 0; method[i] && i + 1 < sizeof m; i++)
                m[i] = (char)(method[i] >= 'a' && method[i] <= 'z' ? method[i] - 32 : method[i]);
            m[i] = '\0';
            if (concrete[0] == '/' && egov_authz_grant_check(db, client, service, m, concrete,
                                                             NULL) == EGOV_AUTHZ_ALLOW) {
                allowed = true;
                goto done;
            }
        }
    }
done:
    json_decref(doc);
    return allowed;
}

/* listMethods, allowedMethods, getOpenAPI of member system @p member. */
static void metaservice(struct egov_req *req, const struct egov_gateway_id *member,
                        const char *name)
{
    struct egov_db *db = egov_req_db(req);
    struct egov_db_rows *rows = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(member->agency),
                                EGOV_DB_PARAM_TEXT(member->subsystem), EGOV_DB_PARAM_END};
    if (query_json(db, &st_services_of, p, &rows) == NULL) {
        gw_reply_error(req, EGOV_EC_DB_UNREACHABLE, NULL);
        return;
    }
    if (strcmp(name, "getOpenAPI") == 0) {
        const char *code = egov_req_query(req, "serviceCode");
        if (code == NULL) {
            egov_db_rows_free(rows);
            gw_reply_error(req, EGOV_EC_GENERIC_PARAMETER_MISSING, "serviceCode is required");
            return;
        }
        for (size_t i = 0; i < egov_db_rows_count(rows); i++) {
            const char *svc = egov_db_rows_text(rows, i, 1);
            const char *ver = egov_db_rows_text(rows, i, 2);
            char full[100];
            snprintf(full, sizeof full, "%s%s%s", svc, ver[0] ? "." : "", ver);
            if (strcmp(code, svc) == 0 || strcmp(code, full) == 0) {
                const char *doc = egov_db_rows_text(rows, i, 6);
                if (doc == NULL) {
                    egov_db_rows_free(rows);
                    gw_reply_error(req, EGOV_EC_GATEWAY_SERVICE_UNKNOWN,
                                   "the service has no OpenAPI description");
                    return;
                }
                egov_reply_bytes(req, 200, "application/json", doc, strlen(doc));
                egov_db_rows_free(rows);
                return;
            }
        }
        egov_db_rows_free(rows);
        gw_reply_error(req, EGOV_EC_GATEWAY_SERVICE_UNKNOWN, NULL);
        return;
    }
    bool only_allowed = strcmp(name, "allowedMethods") == 0;
    const char *client = NULL;
    struct egov_gateway_id cid;
    char why[160];
    if (only_allowed) {
        client = egov_req_header(req, "X-Road-Client");
        if (egov_gateway_member_id_parse(client, &cid, why, sizeof why) != EGOV_EC_NONE) {
            egov_db_rows_free(rows);
            gw_reply_error(req, EGOV_EC_GATEWAY_CLIENT_INVALID, why);
            return;
        }
    }
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < egov_db_rows_count(rows); i++) {
        const char *id = egov_db_rows_text(rows, i, 0);
        if (only_allowed && !any_operation_allowed(db, cid.text, id, egov_db_rows_text(rows, i, 6)))
            continue;
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}",
                                             "object_type", "SERVICE", "xroad_instance", "TW",
                                             "member_class", "GOV", "member_code", member->agency,
                                             "subsystem_code", member->subsystem, "service_code",
                                             egov_db_rows_text(rows, i, 1), "id", id,
                                             "personal_data", egov_db_rows_int64(rows, i, 3) != 0));
    }
    egov_db_rows_free(rows);
    egov_reply_json(req, 200, json_pack("{s:o}", "service", arr));
}

/* Everything under /r1/. */
static void handle_r1(struct egov_req *req)
{
    const char *p = strlen(req->path) >= 4 ? req->path + 4 : "";
    if (strcmp(p, "listClients") == 0) {
        if (req->method_bit & (EGOV_M_GET | EGOV_M_HEAD))
            gw_handle_list_clients(req);
        else
            gw_reply_error(req, EGOV_EC_GENERIC_METHOD_NOT_ALLOWED, NULL);
        return;
    }
    /* TW/GOV/<agency>/<subsystem>/<metaservice> */
    const char *last = strrchr(p, '/');
    if (last != NULL &&
        (strcmp(last, "/listMethods") == 0 || strcmp(last, "/allowedMethods") == 0 ||
         strcmp(last, "/getOpenAPI") == 0)) {
        char member[300];
        size_t n = (size_t)(last - p);
        if (n < sizeof member) {
            memcpy(member, p, n);
            member[n] = '\0';
            struct egov_gateway_id mid;
            char why[160];
            if (egov_gateway_member_id_parse(member, &mid, why, sizeof why) == EGOV_EC_NONE) {
                if (req->method_bit & (EGOV_M_GET | EGOV_M_HEAD))
                    metaservice(req, &mid, last + 1);
                else
                    gw_reply_error(req, EGOV_EC_GENERIC_METHOD_NOT_ALLOWED, NULL);
                return;
            }
        }
    }
    gw_handle_call(req);
}

/* ------------------------------------------------------------------ */
/* Administration                                                      */
/* ------------------------------------------------------------------ */

/* True if the caller is a platform administrator; otherwise replied. */
static bool require_admin(struct egov_req *req, char subject[64])
{
    if (!egov_authz_caller(req, subject))
        return false;
    if (!egov_authz_is_admin(egov_req_db(req), subject, "*")) {
        egov_reply_problem(req, EGOV_EC_GATEWAY_NOT_ADMIN, NULL, NULL);
        return false;
    }
    return true;
}

static void reply_ec(struct egov_req *req, enum egov_ec ec, const char *field)
{
    egov_reply_problem(req, ec, field, NULL);
}

static void handle_key(struct egov_req *req)
{
    char *pem = egov_sigkey_public_pem(gw_key);
    if (pem == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_INTERNAL, NULL, NULL);
        return;
    }
    egov_reply_json(req, 200,
                    json_pack("{s:s, s:s, s:s}", "keyid", "gateway", "alg",
                              egov_sigkey_alg_name(egov_sigkey_alg(gw_key)), "public_key", pem));
    egov_free(pem);
}

/*
 * The registry's lists: each is read by one function and answered, to a
 * platform administrator, as {"<key>": [...]} on the route named here;
 * the admin page shows all of them under the same keys.
 */
static const struct admin_list {
    const char *route;
    const char *key;
    json_t *(*read)(struct egov_db *db);
} admin_lists[] = {
    {"gateway.services", "services", services_json},
    {"gateway.clients", "clients", clients_json},
    {"gateway.subscriptions", "subscriptions", subscriptions_json},
    {"gateway.dead_letters", "dead_letters", gw_dead_letters},
};
#define ADMIN_LISTS (sizeof admin_lists / sizeof admin_lists[0])

/* GET of one of admin_lists, chosen by the route's name. */
static void handle_admin_list(struct egov_req *req)
{
    char subject[64];
    const struct admin_list *l = NULL;
    for (size_t i = 0; l == NULL && i < ADMIN_LISTS; i++)
        if (strcmp(req->route->name, admin_lists[i].route) == 0)
            l = &admin_lists[i];
    if (l == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_INTERNAL, NULL, NULL);
        return;
    }
    if (!require_admin(req, subject))
        return;
    json_t *arr = l->read(egov_req_db(req));
    if (arr == NULL) {
        egov_reply_problem(req, EGOV_EC_DB_UNREACHABLE, NULL, NULL);
        return;
    }
    egov_reply_json(req, 200, json_pack("{s:o}", l->key, arr));
}

/*
 * The start of every registry change: the caller is a platform
 * administrator and the body parses by @p spec; false if it answered.
 */
static bool admin_body(struct egov_req *req, struct egov_json_spec *spec)
{
    char subject[64];
    return require_admin(req, subject) && egov_req_parse_json(req, spec) != NULL;
}

/* The end of every registry change: 201 {"id": @p id}, or the problem naming @p field. */
static void reply_added(struct egov_req *req, enum egov_ec ec, const char *field, const char *id)
{
    if (ec != EGOV_EC_NONE)
        reply_ec(req, ec, field);
    else
        egov_reply_json(req, 201, json_pack("{s:s}", "id", id));
}

static void handle_services_add(struct egov_req *req)
{
    const char *id = NULL, *base_url = NULL, *charset = NULL;
    json_t *openapi = NULL;
    bool personal = false;
    int64_t timeout_ms = 0;
    struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_STRING_LEN("id", &id, 1, 280),
        EGOV_JSON_SPEC_STRING_LEN("base_url", &base_url, 8, 500),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("charset", &charset, 1, 31)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_OBJECT("openapi", &openapi)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_BOOL("personal_data", &personal)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_INT("timeout_ms", &timeout_ms, 0, 600000)),
        EGOV_JSON_SPEC_END,
    };
    if (!admin_body(req, spec))
        return;
    char *doc = openapi != NULL ? json_dumps(openapi, JSON_COMPACT) : NULL;
    struct egov_gateway_service s = {id,  base_url, charset,
                                     doc, personal, (unsigned int)timeout_ms};
    const char *field = NULL;
    enum egov_ec ec = egov_gateway_service_register(egov_req_db(req), &s, &field);
    free(doc);
    reply_added(req, ec, field, id);
}

static void handle_clients_add(struct egov_req *req)
{
    const char *id = NULL, *key = NULL, *cert = NULL, *oauth = NULL;
    int64_t rate = 0;
    struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_STRING_LEN("id", &id, 1, 280),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("public_key", &key, 1, 8000)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("cert", &cert, 1, 16000)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("oauth_client", &oauth, 1, 120)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_INT("rate_per_s", &rate, 0, 1000000)),
        EGOV_JSON_SPEC_END,
    };
    if (!admin_body(req, spec))
        return;
    struct egov_gateway_client c = {id, key, cert, oauth, (unsigned int)rate};
    const char *field = NULL;
    enum egov_ec ec = egov_gateway_client_register(egov_req_db(req), &c, &field);
    reply_added(req, ec, field, id);
}

static void handle_subs_add(struct egov_req *req)
{
    const char *consumer = NULL, *subj = NULL, *url = NULL;
    struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_STRING_LEN("consumer", &consumer, 1, 280),
        EGOV_JSON_SPEC_STRING_LEN("subject", &subj, 1, 100),
        EGOV_JSON_SPEC_STRING_LEN("url", &url, 8, 500),
        EGOV_JSON_SPEC_END,
    };
    if (!admin_body(req, spec))
        return;
    char id[37];
    const char *field = NULL;
    enum egov_ec ec = egov_gateway_subscribe(egov_req_db(req), consumer, subj, url, id, &field);
    reply_added(req, ec, field, id);
}

static void handle_basis_add(struct egov_req *req)
{
    const char *consumer = NULL, *service = NULL, *basis = NULL;
    struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_STRING_LEN("consumer", &consumer, 1, 280),
        EGOV_JSON_SPEC_STRING_LEN("service_id", &service, 1, 280),
        EGOV_JSON_SPEC_STRING_LEN("basis", &basis, 1, 200),
        EGOV_JSON_SPEC_END,
    };
    if (!admin_body(req, spec))
        return;
    char id[37];
    enum egov_ec ec = egov_gateway_legal_basis_add(egov_req_db(req), consumer, service, basis, id);
    reply_added(req, ec,
                ec == EGOV_EC_GATEWAY_CLIENT_INVALID       ? "consumer"
                : ec == EGOV_EC_GATEWAY_SERVICE_ID_INVALID ? "service_id"
                                                           : "basis",
                id);
}

static void handle_dead_retry(struct egov_req *req)
{
    char subject[64];
    if (!require_admin(req, subject))
        return;
    enum egov_ec ec = gw_redeliver(egov_req_db(req), egov_req_param(req, "id"));
    if (ec != EGOV_EC_NONE) {
        reply_ec(req, ec, "id");
        return;
    }
    egov_reply_json(req, 202, json_pack("{s:s}", "id", egov_req_param(req, "id")));
}

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

void gw_handle_event_publish(struct egov_req *req)
{
    char client[300], prefix[101];
    struct egov_json_spec spec[] = {EGOV_JSON_SPEC_END};
    int f = gw_publisher_of(egov_req_db(req), egov_req_param(req, "token"), client, prefix);
    if (f < 0) {
        egov_reply_problem(req, EGOV_EC_DB_UNREACHABLE, NULL, NULL);
        return;
    }
    if (f == 0) {
        egov_reply_problem(req, EGOV_EC_GENERIC_NOT_FOUND, NULL, NULL);
        return;
    }
    json_t *ev = egov_req_parse_json(req, spec);
    if (ev == NULL)
        return;
    const char *subject = json_string_value(json_object_get(ev, "subject"));
    if (subject != NULL && strncmp(subject, prefix, strlen(prefix)) != 0) {
        egov_reply_problem(req, EGOV_EC_GENERIC_FORBIDDEN, "subject",
                           "this publisher may not publish events of this subject");
        return;
    }
    bool dup = false;
    const char *field = NULL;
    enum egov_ec ec = egov_gateway_event_publish(egov_req_db(req), client, ev, &dup, &field);
    if (ec != EGOV_EC_NONE) {
        egov_reply_problem(req, ec, field, NULL);
        return;
    }
    egov_reply_json(req, dup ? 200 : 202,
                    json_pack("{s:s, s:b}", "id", json_string_value(json_object_get(ev, "id")),
                              "duplicate", dup));
}

/* ------------------------------------------------------------------ */
/* Pages                                                               */
/* ------------------------------------------------------------------ */

static void handle_admin_page(struct egov_req *req)
{
    char subject[64];
    if (!require_admin(req, subject))
        return;
    struct egov_db *db = egov_req_db(req);
    json_t *data = json_object();
    for (size_t i = 0; data != NULL && i < ADMIN_LISTS; i++) {
        json_t *arr = admin_lists[i].read(db);
        if (arr == NULL || json_object_set_new(data, admin_lists[i].key, arr) != 0) {
            json_decref(data);
            egov_reply_problem(req, EGOV_EC_DB_UNREACHABLE, NULL, NULL);
            return;
        }
    }
    struct gw_stats_labels lb = {
        egov_i18n_gettext(req->lang, "Calls per service on this node since it started"),
        egov_i18n_gettext(req->lang, "Succeeded"),
        egov_i18n_gettext(req->lang, "Refused"),
        egov_i18n_gettext(req->lang, "Failed"),
        egov_i18n_gettext(req->lang, "average"),
        egov_i18n_gettext(req->lang, "calls"),
        egov_i18n_gettext(req->lang, "(services not in the registry)")};
    struct egov_buf svg;
    egov_buf_init(&svg);
    gw_stats_svg(&lb, &svg);
    json_t *stats = data != NULL ? gw_stats_json() : NULL;
    if (data == NULL || svg.oom || stats == NULL ||
        json_object_set_new(data, "has_stats", json_boolean(json_array_size(stats) > 0)) != 0 ||
        json_object_set_new(data, "stats", stats) != 0 ||
        json_object_set_new(data, "chart", json_string(svg.data)) != 0) {
        if (data == NULL || svg.oom || json_object_get(data, "stats") != stats)
            json_decref(stats); /* not handed to data */
        egov_buf_free(&svg);
        json_decref(data);
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    egov_buf_free(&svg);
    egov_reply_view(req, 200, "gateway/admin", "Gateway administration", data);
}

/* The words a citizen reads for a call's method and outcome (msgids). */
static const char *action_msgid(const char *method)
{
    if (method == NULL || strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
        return "Looked up";
    if (strcmp(method, "DELETE") == 0)
        return "Cancelled or deleted";
    return "Filed or changed";
}

static const char *outcome_msgid(const char *outcome)
{
    if (outcome != NULL && strcmp(outcome, "answered") == 0)
        return "Answered";
    if (outcome != NULL && strcmp(outcome, "refused") == 0)
        return "Refused by the gateway or the agency";
    return "Failed";
}

#define ACCESS_LIMIT 200
#define SUMMARY_MAX  12

/*
 * The citizen's page: a chart and a table of which agencies used their data
 * how often, then every access (the latest ACCESS_LIMIT) in Taiwan time,
 * with the agency's name where the directory knows it.
 */
static void handle_my_access(struct egov_req *req)
{
    struct egov_account_session s;
    if (!egov_account_require(req, NULL, &s))
        return;
    json_t *list = egov_gateway_accesses(egov_req_db(req), s.national_id, ACCESS_LIMIT);
    if (list == NULL) {
        egov_reply_problem(req, EGOV_EC_DB_UNREACHABLE, NULL, NULL);
        return;
    }
    /* per agency: how often, and when last (the list is newest first) */
    const char *who[SUMMARY_MAX];
    const char *last[SUMMARY_MAX];
    double count[SUMMARY_MAX];
    size_t n = 0, others = 0, i;
    json_t *row;
    json_array_foreach(list, i, row)
    {
        const char *name = json_string_value(json_object_get(row, "agency_name"));
        if (name == NULL)
            name = json_string_value(json_object_get(row, "client"));
        json_object_set_new(row, "who", json_string(name != NULL ? name : ""));
        json_object_set_new(
            row, "action",
            json_string(action_msgid(json_string_value(json_object_get(row, "method")))));
        json_object_set_new(
            row, "result",
            json_string(outcome_msgid(json_string_value(json_object_get(row, "outcome")))));
        if (name == NULL)
            continue;
        size_t k = 0;
        while (k < n && strcmp(who[k], name) != 0)
            k++;
        if (k == n && n == SUMMARY_MAX) {
            others++;
            continue;
        }
        if (k == n) {
            who[n] = name;
            last[n] = json_string_value(json_object_get(row, "at_taipei"));
            count[n++] = 0;
        }
        count[k] += 1;
    }
    json_t *summary = json_array();
    for (size_t k = 0; summary != NULL && k < n; k++)
        json_array_append_new(summary, json_pack("{s:s, s:I, s:s}", "who", who[k], "times",
                                                 (json_int_t)count[k], "last",
                                                 last[k] != NULL ? last[k] : ""));
    struct egov_buf svg;
    egov_buf_init(&svg);
    gw_svg_hbars(&svg, egov_i18n_gettext(req->lang, "Accesses by agency"), who, count, n);
    json_t *data =
        json_pack("{s:o, s:o, s:b, s:s, s:b, s:b}", "accesses", list, "summary",
                  summary != NULL ? summary : json_array(), "none", json_array_size(list) == 0,
                  "chart", svg.oom || svg.data == NULL ? "" : svg.data, "truncated",
                  json_array_size(list) >= ACCESS_LIMIT, "others", others > 0);
    egov_buf_free(&svg);
    if (data == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    egov_reply_view(req, 200, "gateway/access", "Who used my data", data);
}

static const struct egov_route routes[] = {
    {EGOV_M_GET | EGOV_M_POST | EGOV_M_PUT | EGOV_M_PATCH | EGOV_M_DELETE | EGOV_M_OPTIONS, "/r1",
     handle_r1, 2 * 1024 * 1024, EGOV_ROUTE_PREFIX | EGOV_ROUTE_SEES_REFUSALS, "gateway.call"},
    {EGOV_M_GET, "/api/gateway/key", handle_key, 0, 0, "gateway.key"},
    {EGOV_M_GET, "/api/gateway/services", handle_admin_list, 0, 0, "gateway.services"},
    {EGOV_M_POST, "/api/gateway/services", handle_services_add, 256 * 1024, EGOV_ROUTE_JSON_BODY,
     "gateway.services.add"},
    {EGOV_M_GET, "/api/gateway/clients", handle_admin_list, 0, 0, "gateway.clients"},
    {EGOV_M_POST, "/api/gateway/clients", handle_clients_add, 32 * 1024, EGOV_ROUTE_JSON_BODY,
     "gateway.clients.add"},
    {EGOV_M_GET, "/api/gateway/subscriptions", handle_admin_list, 0, 0, "gateway.subscriptions"},
    {EGOV_M_POST, "/api/gateway/subscriptions", handle_subs_add, 4096, EGOV_ROUTE_JSON_BODY,
     "gateway.subscriptions.add"},
    {EGOV_M_POST, "/api/gateway/legal-bases", handle_basis_add, 4096, EGOV_ROUTE_JSON_BODY,
     "gateway.legal_bases.add"},
    {EGOV_M_GET, "/api/gateway/dead-letters", handle_admin_list, 0, 0, "gateway.dead_letters"},
    {EGOV_M_POST, "/api/gateway/dead-letters/{id}/retry", handle_dead_retry, 0, 0,
     "gateway.dead_letters.retry"},
    {EGOV_M_POST, "/api/gateway/events/{token}", gw_handle_event_publish, 256 * 1024,
     EGOV_ROUTE_JSON_BODY, "gateway.events.publish"},
    {EGOV_M_GET, "/gateway", handle_admin_page, 0, 0, "gateway.admin"},
    {EGOV_M_GET, "/api/gateway/my-access", handle_my_access, 0, 0, "gateway.my_access"},
    {EGOV_M_GET, "/my/access", handle_my_access, 0, 0, "gateway.my_access.page"},
    EGOV_ROUTE_END,
};

const struct egov_route_table gw_routes = {"gateway", routes};
