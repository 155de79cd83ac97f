/*
 * routes.c -- the OID registry over HTTP:
 *   GET  /api/oid?q=NAME              search arcs by name
 *   GET  /api/oid/{oid}               resolve: the entry (or nearest registered ancestor) and path
 *   GET  /api/oid/{oid}/children      the registered children
 *   POST /api/oid/{oid}/children      register a child arc
 * {"name","arc"?,"description"?,"agency_id"?} POST /api/oid/der                 {"oid"} -> {"der"}
 * or {"der"} -> {"oid"} (hex) GET  /oid                         browse and search page (?oid=, ?q=)
 */
#include <string.h>

#include "crypto/crypto.h"
#include "oid/oid_int.h"

#define SEARCH_LIMIT 100u

static void reply_ec(struct egov_req *req, enum egov_ec ec, const char *field)
{
    egov_reply_problem(req, ec, field, NULL);
}

static void handle_search(struct egov_req *req)
{
    const char *q = egov_req_query(req, "q");
    json_t *list = NULL;
    enum egov_ec ec;
    if (q == NULL || q[0] == '\0')
        ec = egov_oid_children(egov_req_db(req), NULL, &list);
    else if (strlen(q) > 200)
        ec = EGOV_EC_GENERIC_PARAMETER_MALFORMED;
    else
        ec = egov_oid_search(egov_req_db(req), q, SEARCH_LIMIT, &list);
    if (ec != EGOV_EC_NONE) {
        reply_ec(req, ec, "q");
        return;
    }
    egov_reply_json(req, 200, json_pack("{s:o}", "items", list));
}

static void handle_resolve(struct egov_req *req)
{
    json_t *res = NULL;
    enum egov_ec ec = egov_oid_resolve(egov_req_db(req), egov_req_param(req, "oid"), &res);
    if (ec != EGOV_EC_NONE) {
        reply_ec(req, ec, "oid");
        return;
    }
    egov_reply_json(req, 200, res);
}

static void handle_children(struct egov_req *req)
{
    const char *oid = egov_req_param(req, "oid");
    json_t *list = NULL;
    struct egov_oid_entry e;
    if (!egov_oid_valid(oid)) {
        reply_ec(req, EGOV_EC_OID_INVALID, "oid");
        return;
    }
    enum egov_db_qs qs = egov_oid_get(egov_req_db(req), oid, &e);
    if (qs <= 0) {
        reply_ec(req, qs == 0 ? EGOV_EC_OID_NOT_FOUND : egov_db_qs_ec(qs), "oid");
        return;
    }
    enum egov_ec ec = egov_oid_children(egov_req_db(req), oid, &list);
    if (ec != EGOV_EC_NONE) {
        reply_ec(req, ec, NULL);
        return;
    }
    egov_reply_json(req, 200, json_pack("{s:s, s:o}", "oid", oid, "items", list));
}

static void handle_register(struct egov_req *req)
{
    const char *name = NULL, *arc = NULL, *description = NULL, *agency_id = NULL;
    struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_STRING_LEN("name", &name, 1, 200),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("arc", &arc, 1, 39)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("description", &description, 0, 500)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("agency_id", &agency_id, 36, 36)),
        EGOV_JSON_SPEC_END,
    };
    struct egov_oid_actor actor;
    if (!egov_oid_actor_from_request(req, &actor))
        return;
    if (egov_req_parse_json(req, spec) == NULL)
        return;
    if (agency_id != NULL && !egov_uuid_valid(agency_id)) {
        reply_ec(req, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "agency_id");
        return;
    }
    char oid[EGOV_OID_TEXT_MAX + 1];
    enum egov_ec ec = egov_oid_register(egov_req_db(req), &actor, egov_req_param(req, "oid"), arc,
                                        name, description, agency_id, oid);
    if (ec != EGOV_EC_NONE) {
        const char *field = ec == EGOV_EC_OID_NAME_INVALID                          ? "name"
                            : ec == EGOV_EC_OID_EXISTS || ec == EGOV_EC_OID_INVALID ? "arc"
                            : ec == EGOV_EC_GENERIC_PARAMETER_MALFORMED             ? "description"
                            : ec == EGOV_EC_OID_PARENT_NOT_FOUND                    ? "oid"
                                                                                    : NULL;
        if (ec == EGOV_EC_OID_INVALID && arc == NULL)
            field = "oid";
        reply_ec(req, ec, field);
        return;
    }
    json_t *res = NULL;
    ec = egov_oid_resolve(egov_req_db(req), oid, &res);
    if (ec != EGOV_EC_NONE) {
        reply_ec(req, ec, NULL);
        return;
    }
    char loc[EGOV_OID_TEXT_MAX + 16];
    snprintf(loc, sizeof(loc), "/api/oid/%s", oid);
    egov_reply_header(req, "Location", loc);
    egov_reply_json(req, 201, res);
}

/* Decodes lowercase or uppercase hex into @p out; -1 if malformed or too long. */
static long hex_decode(const char *s, uint8_t *out, size_t outlen)
{
    size_t n = strlen(s);
    if (n % 2 != 0 || n / 2 > outlen)
        return -1;
    for (size_t i = 0; i < n; i += 2) {
        int v = 0;
        for (size_t k = 0; k < 2; k++) {
            char ch = s[i + k];
            int d = ch >= '0' && ch <= '9'   ? ch - '0'
                    : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                    : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                             : -1;
            if (d < 0)
                return -1;
            v = v * 16 + d;
        }
        out[i / 2] = (uint8_t)v;
    }
    return (long)(n / 2);
}

static void handle_der(struct egov_req *req)
{
    const char *oid = NULL, *der = NULL;
    struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("oid", &oid, 1, EGOV_OID_TEXT_MAX)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("der", &der, 2, 2 * EGOV_OID_DER_MAX)),
        EGOV_JSON_SPEC_END,
    };
    if (egov_req_parse_json(req, spec) == NULL)
        return;
    if ((oid == NULL) == (der == NULL)) {
        egov_reply_problem(req, EGOV_EC_GENERIC_PARAMETER_MISSING, oid == NULL ? "oid" : "der",
                           "give exactly one of \"oid\" (dotted text) or \"der\" (hex)");
        return;
    }
    uint8_t bin[EGOV_OID_DER_MAX];
    if (oid != NULL) {
        long n = egov_oid_der_encode(oid, true, bin, sizeof(bin));
        if (n < 0) {
            reply_ec(req, EGOV_EC_OID_INVALID, "oid");
            return;
        }
        char hex[2 * EGOV_OID_DER_MAX + 1];
        egov_hex_encode(bin, (size_t)n, hex);
        egov_reply_json(req, 200, json_pack("{s:s, s:s}", "oid", oid, "der", hex));
        return;
    }
    long n = hex_decode(der, bin, sizeof(bin));
    char text[EGOV_OID_TEXT_MAX + 1];
    if (n < 0 || !egov_oid_der_decode(bin, (size_t)n, true, text, sizeof(text))) {
        reply_ec(req, EGOV_EC_OID_DER_INVALID, "der");
        return;
    }
    egov_reply_json(req, 200, json_pack("{s:s, s:s}", "oid", text, "der", der));
}

static void handle_page(struct egov_req *req)
{
    struct egov_db *db = egov_req_db(req);
    const char *q = egov_req_query(req, "q");
    const char *oid = egov_req_query(req, "oid");
    json_t *data = json_object();
    json_t *list = NULL;
    enum egov_ec ec = EGOV_EC_NONE;
    if (data == NULL) {
        reply_ec(req, EGOV_EC_GENERIC_OOM, NULL);
        return;
    }
    if (q != NULL && q[0] != '\0') {
        if (strlen(q) > 200) {
            json_decref(data);
            reply_ec(req, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "q");
            return;
        }
        json_object_set_new(data, "query", json_string(q));
        ec = egov_oid_search(db, q, SEARCH_LIMIT, &list);
        if (ec == EGOV_EC_GENERIC_PARAMETER_MALFORMED) {
            ec = EGOV_EC_NONE;
            list = json_array();
        }
        json_object_set_new(data, "searched", json_true());
    } else {
        json_t *entry = NULL;
        ec = egov_oid_resolve(db, oid != NULL && oid[0] != '\0' ? oid : EGOV_OID_GOV_ROOT, &entry);
        if (ec != EGOV_EC_NONE) {
            json_decref(data);
            reply_ec(req, ec, "oid");
            return;
        }
        const char *at = egov_json_get_str(entry, "oid", EGOV_OID_GOV_ROOT);
        ec = egov_oid_children(db, at, &list);
        const char *csrf = egov_oid_csrf_token(req);
        if (csrf != NULL)
            json_object_set_new(data, "admin",
                                json_pack("{s:s, s:s}", "csrf_token", csrf, "parent", at));
        json_object_set_new(data, "entry", entry);
    }
    if (ec != EGOV_EC_NONE) {
        json_decref(data);
        reply_ec(req, ec, NULL);
        return;
    }
    json_object_set_new(data, "count", json_integer((json_int_t)json_array_size(list)));
    json_object_set_new(data, "items", list);
    egov_reply_view(req, 200, "oid/browse", "OID registry", data);
}

/* A form field: NULL when absent or empty. */
static const char *form_field(const struct egov_req *req, const char *name)
{
    const char *v = egov_json_get_str(req->form, name, NULL);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* POST /oid/register: the registration form of the browse page. */
static void handle_register_form(struct egov_req *req)
{
    struct egov_oid_actor actor;
    if (!egov_oid_csrf_check(req, req->form) || !egov_oid_actor_from_request(req, &actor))
        return;
    const char *parent = form_field(req, "parent");
    const char *name = form_field(req, "name");
    const char *arc = form_field(req, "arc");
    const char *description = form_field(req, "description");
    char oid[EGOV_OID_TEXT_MAX + 1];
    enum egov_ec ec = egov_oid_register(egov_req_db(req), &actor, parent != NULL ? parent : "", arc,
                                        name != NULL ? name : "", description, NULL, oid);
    if (ec != EGOV_EC_NONE) {
        reply_ec(req, ec,
                 ec == EGOV_EC_OID_NAME_INVALID ? "name"
                 : ec == EGOV_EC_OID_EXISTS     ? "arc"
                                                : NULL);
        return;
    }
    char *loc = egov_arena_printf(req->arena, "/oid?oid=%s", oid);
    if (loc == NULL) {
        reply_ec(req, EGOV_EC_GENERIC_OOM, NULL);
        return;
    }
    egov_reply_redirect(req, loc);
}

static const struct egov_route routes[] = {
    {EGOV_M_GET, "/api/oid", handle_search, 0, 0, "oid-search"},
    {EGOV_M_POST, "/api/oid/der", handle_der, 4096, EGOV_ROUTE_JSON_BODY, "oid-der"},
    {EGOV_M_GET, "/api/oid/{oid}", handle_resolve, 0, 0, "oid-resolve"},
    {EGOV_M_GET, "/api/oid/{oid}/children", handle_children, 0, 0, "oid-children"},
    {EGOV_M_POST, "/api/oid/{oid}/children", handle_register, 4096, EGOV_ROUTE_JSON_BODY,
     "oid-register"},
    {EGOV_M_GET, "/oid", handle_page, 0, 0, "oid-page"},
    {EGOV_M_POST, "/oid/register", handle_register_form, 8192, EGOV_ROUTE_FORM_BODY,
     "oid-register-form"},
    EGOV_ROUTE_END,
};

const struct egov_route_table oid_routes = {"oid", routes};
