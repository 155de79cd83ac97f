/*
 * routes.c -- the directory over HTTP.
 *
 *   GET    /api/directory/agencies?q=NAME|?parent=ID  search, or the children (top level)
 *   POST   /api/directory/agencies                    create an agency
 *   GET    /api/directory/agencies/{key}              by id, code or OID, with path and history
 *   PATCH  /api/directory/agencies/{key}              rename; change code, address, phone
 *   GET    /api/directory/agencies/{key}/children     child agencies
 *   GET    /api/directory/agencies/{key}/units        units; POST creates one
 *   GET    /api/directory/agencies/{key}/staff        staff; POST adds a member
 *   DELETE /api/directory/staff/{id}                  ends a membership
 *   GET    /api/directory/staff-of/{subject}          the agencies a person works for
 *   GET    /api/directory/ldif?root=ID                the agency tree as LDIF
 *   POST   /api/directory/persons                     add a citizen or foreign resident
 *   GET    /api/directory/persons/{id_number}         look one up (administrators only)
 *   POST   /api/directory/businesses                  add a business
 *   GET    /api/directory/businesses/{ban}            look one up
 *   GET    /api/directory/principals?q=NAME           persons and businesses (administrators)
 *   (reads of persons and staff are audited: ?purpose= or X-Purpose states why)
 *   POST   /api/directory/check-id                    {"ids":[...]} -> validity and kind of each
 *   GET    /directory                                 agency tree browse and search page
 *   GET    /directory/agencies/{key}                  agency page
 *   POST   /directory/agencies/{key}/edit             its form: rename, code, address, phone
 *   POST   /directory/agencies/{key}/units            its form: add a unit
 */
#include <stddef.h>
#include <string.h>

#include "directory/directory_int.h"

#define SEARCH_LIMIT  100u
#define CHECK_MAX_IDS 1000u

static void reply_ec(struct egov_req *req, enum egov_ec ec, const char *field)
{
    egov_reply_problem(req, ec, field, NULL);
}

/* Finds an agency by id, agency code or OID. */
static enum egov_db_qs find_agency(struct egov_db *db, const char *key,
                                   struct egov_directory_agency *out)
{
    if (key == NULL)
        return EGOV_DB_NO_ROW;
    if (egov_uuid_valid(key))
        return egov_directory_agency_get(db, key, out);
    if (egov_directory_agency_code_valid(key))
        return egov_directory_agency_by_code(db, key, out);
    return egov_directory_agency_by_oid(db, key, out);
}

/*
 * Looks up the agency @p key names (id, code or OID) or answers 404/500
 * naming @p field; false if it answered.
 */
static bool agency_named(struct egov_req *req, const char *key, const char *field,
                         struct egov_directory_agency *a)
{
    enum egov_db_qs qs = find_agency(egov_req_db(req), key, a);
    if (qs <= 0) {
        reply_ec(req, qs == 0 ? EGOV_EC_DIRECTORY_AGENCY_NOT_FOUND : egov_db_qs_ec(qs), field);
        return false;
    }
    return true;
}

/* Looks up the {key} agency or answers 404/500; false if it answered. */
static bool agency_param(struct egov_req *req, struct egov_directory_agency *a)
{
    return agency_named(req, egov_req_param(req, "key"), "key", a);
}

/*
 * The optional agency named by the query argument @p arg: @p *id is its id,
 * or NULL when the argument is absent or empty.  False if it answered 404/500.
 */
static bool agency_query(struct egov_req *req, const char *arg, struct egov_directory_agency *a,
                         const char **id)
{
    const char *key = egov_req_query(req, arg);
    *id = NULL;
    if (key == NULL || key[0] == '\0')
        return true;
    if (!agency_named(req, key, arg, a))
        return false;
    *id = a->id;
    return true;
}

/*
 * The start of every JSON change: the actor, the body by @p spec, then
 * the actor's permission for @p action (when set; on no agency in
 * particular) and the {key} agency (when @p a is set).  False if it answered.
 */
static bool change_start(struct egov_req *req, struct egov_json_spec *spec, const char *action,
                         struct egov_oid_actor *actor, struct egov_directory_agency *a)
{
    if (!egov_oid_actor_from_request(req, actor) || egov_req_parse_json(req, spec) == NULL)
        return false;
    if (action != NULL) {
        enum egov_ec ec = dir_authorize(egov_req_db(req), actor, action, "");
        if (ec != EGOV_EC_NONE) {
            reply_ec(req, ec, NULL);
            return false;
        }
    }
    return a == NULL || agency_param(req, a);
}

/* A text member of a request body and the fixed-size field of a record it fills. */
struct record_text {
    struct egov_json_spec spec; /* its out is unused: the value goes into the record */
    size_t offset, size;
};
#define RECORD_TEXT(type, field, json, lo, hi)                                                     \
    {                                                                                              \
        EGOV_JSON_SPEC_STRING_LEN(json, NULL, lo, hi), offsetof(type, field),                      \
            sizeof(((type *)0)->field)                                                             \
    }
#define RECORD_TEXT_OPT(type, field, json, lo, hi)                                                 \
    {                                                                                              \
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN(json, NULL, lo, hi)),                    \
            offsetof(type, field), sizeof(((type *)0)->field)                                      \
    }
#define RECORD_TEXT_END                                                                            \
    {                                                                                              \
        EGOV_JSON_SPEC_END, 0, 0                                                                   \
    }
#define RECORD_TEXT_MAX 8

/*
 * The start of a create whose body is text members only: change_start()
 * with a spec made from @p members (at most RECORD_TEXT_MAX), then every
 * member copied into @p record (zeroed first; an absent optional member
 * leaves its field empty).  False if it answered.
 */
static bool record_start(struct egov_req *req, const struct record_text *members,
                         const char *action, struct egov_oid_actor *actor, void *record,
                         size_t record_size)
{
    struct egov_json_spec spec[RECORD_TEXT_MAX + 1];
    const char *values[RECORD_TEXT_MAX];
    size_t n = 0;
    for (; n < RECORD_TEXT_MAX && members[n].spec.name != NULL; n++) {
        values[n] = "";
        spec[n] = members[n].spec;
        spec[n].out = &values[n];
    }
    spec[n] = (struct egov_json_spec)EGOV_JSON_SPEC_END;
    if (!change_start(req, spec, action, actor, NULL))
        return false;
    memset(record, 0, record_size);
    for (size_t i = 0; i < n; i++)
        egov_utf8_copy((char *)record + members[i].offset, members[i].size, values[i]);
    return true;
}

/*
 * The end of every create: the problem naming @p field, or 201 with the
 * new record as @p read_back finds it by @p key (500 if it cannot) and,
 * when @p location is set, a Location header.
 */
static void reply_created(struct egov_req *req, enum egov_ec ec, const char *field,
                          json_t *(*read_back)(struct egov_db *db, const char *key),
                          const char *key, const char *location)
{
    if (ec != EGOV_EC_NONE) {
        reply_ec(req, ec, field);
        return;
    }
    json_t *o = read_back(egov_req_db(req), key);
    if (o == NULL) {
        reply_ec(req, EGOV_EC_DB_HARD_ERROR, NULL);
        return;
    }
    if (location != NULL)
        egov_reply_header(req, "Location", location);
    egov_reply_json(req, 201, o);
}

static json_t *agency_by_id(struct egov_db *db, const char *id)
{
    struct egov_directory_agency a;
    return egov_directory_agency_get(db, id, &a) > 0 ? egov_directory_agency_to_json(&a) : NULL;
}

static json_t *person_by_id(struct egov_db *db, const char *id)
{
    struct egov_directory_person p;
    return egov_directory_person_get(db, id, &p) > 0 ? egov_directory_person_to_json(&p) : NULL;
}

static json_t *business_by_ban(struct egov_db *db, const char *ban)
{
    struct egov_directory_business b;
    return egov_directory_business_by_ban(db, ban, &b) > 0 ? egov_directory_business_to_json(&b)
                                                           : NULL;
}

static const char *field_of(enum egov_ec ec)
{
    switch (ec) {
    case EGOV_EC_DIRECTORY_NAME_INVALID:
        return "name";
    case EGOV_EC_DIRECTORY_AGENCY_CODE_INVALID:
        return "code";
    case EGOV_EC_OID_INVALID:
        return "oid";
    case EGOV_EC_DIRECTORY_PARENT_INVALID:
        return "parent_id";
    case EGOV_EC_DIRECTORY_ID_INVALID:
        return "id_number";
    case EGOV_EC_DIRECTORY_BAN_INVALID:
        return "ban";
    default:
        return NULL;
    }
}

/*
 * Who reads personal records in @p req, and why: @p actor, the request id,
 * and the purpose from ?purpose= or the X-Purpose header (at most 200
 * characters of text).  False after replying 400 naming "purpose".
 */
static bool reader_of(struct egov_req *req, const struct egov_oid_actor *actor,
                      struct egov_directory_reader *out)
{
    const char *purpose = egov_req_query(req, "purpose");
    if (purpose == NULL || purpose[0] == '\0')
        purpose = egov_req_header(req, "X-Purpose");
    if (purpose == NULL)
        purpose = "";
    if (!dir_text_ok(purpose, 200, true)) {
        reply_ec(req, EGOV_EC_DIRECTORY_PURPOSE_INVALID, "purpose");
        return false;
    }
    out->subject = actor->subject;
    out->agency_id = actor->agency_id;
    out->request_id = req->request_id != NULL ? req->request_id : "";
    out->purpose = purpose;
    return true;
}

/* The full view of one agency: its fields, path, history and children. */
static json_t *agency_view(struct egov_req *req, const struct egov_directory_agency *a,
                           enum egov_ec *ec)
{
    struct egov_db *db = egov_req_db(req);
    json_t *o = egov_directory_agency_to_json(a), *path = NULL, *history = NULL, *children = NULL,
           *units = NULL;
    *ec = o == NULL ? EGOV_EC_GENERIC_OOM : EGOV_EC_NONE;
    if (*ec == EGOV_EC_NONE)
        *ec = egov_directory_agency_path(db, a->id, &path);
    if (*ec == EGOV_EC_NONE)
        *ec = egov_directory_agency_history(db, a->id, &history);
    if (*ec == EGOV_EC_NONE)
        *ec = egov_directory_agency_children(db, a->id, &children);
    if (*ec == EGOV_EC_NONE)
        *ec = egov_directory_unit_list(db, a->id, &units);
    if (*ec != EGOV_EC_NONE) {
        json_decref(o);
        json_decref(path);
        json_decref(history);
        json_decref(children);
        json_decref(units);
        return NULL;
    }
    json_object_set_new(o, "path", path);
    json_object_set_new(o, "history", history);
    json_object_set_new(o, "children", children);
    json_object_set_new(o, "units", units);
    return o;
}

/* ------------------------------------------------------------------ */
/* Agencies                                                            */
/* ------------------------------------------------------------------ */

static void handle_agencies(struct egov_req *req)
{
    const char *q = egov_req_query(req, "q");
    json_t *list = NULL;
    enum egov_ec ec;
    if (q != NULL && q[0] != '\0') {
        ec = strlen(q) > 200
                 ? EGOV_EC_GENERIC_PARAMETER_MALFORMED
                 : egov_directory_agency_search(egov_req_db(req), q, SEARCH_LIMIT, &list);
        if (ec != EGOV_EC_NONE) {
            reply_ec(req, ec, "q");
            return;
        }
    } else {
        struct egov_directory_agency a;
        const char *pid;
        if (!agency_query(req, "parent", &a, &pid))
            return;
        ec = egov_directory_agency_children(egov_req_db(req), pid, &list);
        if (ec != EGOV_EC_NONE) {
            reply_ec(req, ec, NULL);
            return;
        }
    }
    egov_reply_json(req, 200, json_pack("{s:o}", "items", list));
}

static const struct record_text agency_members[] = {
    RECORD_TEXT(struct egov_directory_agency, name, "name", 1, 200),
    RECORD_TEXT_OPT(struct egov_directory_agency, code, "code", 0, 10),
    RECORD_TEXT_OPT(struct egov_directory_agency, oid, "oid", 0, EGOV_OID_TEXT_MAX),
    RECORD_TEXT_OPT(struct egov_directory_agency, parent_id, "parent_id", 0, 36),
    RECORD_TEXT_OPT(struct egov_directory_agency, address, "address", 0, 250),
    RECORD_TEXT_OPT(struct egov_directory_agency, phone, "phone", 0, 60),
    RECORD_TEXT_OPT(struct egov_directory_agency, dn, "dn", 0, 500),
    RECORD_TEXT_END,
};

static void handle_agency_create(struct egov_req *req)
{
    struct egov_oid_actor actor;
    struct egov_directory_agency in;
    if (!record_start(req, agency_members, NULL, &actor, &in, sizeof in))
        return;
    char id[37] = "";
    enum egov_ec ec = egov_directory_agency_create(egov_req_db(req), &actor, &in, id);
    char loc[80];
    snprintf(loc, sizeof(loc), "/api/directory/agencies/%s", id);
    reply_created(req, ec, field_of(ec), agency_by_id, id, loc);
}

static void handle_agency_get(struct egov_req *req)
{
    struct egov_directory_agency a;
    if (!agency_param(req, &a))
        return;
    enum egov_ec ec;
    json_t *o = agency_view(req, &a, &ec);
    if (o == NULL) {
        reply_ec(req, ec, NULL);
        return;
    }
    egov_reply_json(req, 200, o);
}

static void handle_agency_update(struct egov_req *req)
{
    const char *name = NULL, *code = NULL, *address = NULL, *phone = NULL, *date = NULL;
    struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("name", &name, 1, 200)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("code", &code, 0, 10)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("address", &address, 0, 250)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("phone", &phone, 0, 60)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("effective_date", &date, 10, 10)),
        EGOV_JSON_SPEC_END,
    };
    struct egov_oid_actor actor;
    struct egov_directory_agency a;
    if (!change_start(req, spec, NULL, &actor, &a))
        return;
    enum egov_ec ec = egov_directory_agency_update(egov_req_db(req), &actor, a.id, name, code,
                                                   address, phone, date);
    if (ec != EGOV_EC_NONE) {
        const char *field = field_of(ec);
        if (ec == EGOV_EC_GENERIC_PARAMETER_MALFORMED)
            field = date != NULL ? "effective_date" : "address";
        reply_ec(req, ec, field);
        return;
    }
    handle_agency_get(req);
}

/*
 * The lists of one agency answered as {"agency_id": ..., "items": [...]},
 * each by the route named here.
 */
static const struct agency_list {
    const char *route;
    enum egov_ec (*list)(struct egov_db *db, const char *agency_id, json_t **out);
} agency_lists[] = {
    {"dir-agency-children", egov_directory_agency_children},
    {"dir-units", egov_directory_unit_list},
};

/* GET of one of agency_lists, chosen by the route's name. */
static void handle_agency_list(struct egov_req *req)
{
    const struct agency_list *l = NULL;
    struct egov_directory_agency a;
    json_t *list = NULL;
    for (size_t i = 0; l == NULL && i < sizeof agency_lists / sizeof agency_lists[0]; i++)
        if (strcmp(req->route->name, agency_lists[i].route) == 0)
            l = &agency_lists[i];
    if (l == NULL) {
        reply_ec(req, EGOV_EC_GENERIC_INTERNAL, NULL);
        return;
    }
    if (!agency_param(req, &a))
        return;
    enum egov_ec ec = l->list(egov_req_db(req), a.id, &list);
    if (ec != EGOV_EC_NONE) {
        reply_ec(req, ec, NULL);
        return;
    }
    egov_reply_json(req, 200, json_pack("{s:s, s:o}", "agency_id", a.id, "items", list));
}

/* ------------------------------------------------------------------ */
/* Units and staff                                                     */
/* ------------------------------------------------------------------ */

static void handle_unit_create(struct egov_req *req)
{
    const char *name = NULL, *parent = NULL;
    struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_STRING_LEN("name", &name, 1, 200),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("parent_id", &parent, 0, 36)),
        EGOV_JSON_SPEC_END,
    };
    struct egov_oid_actor actor;
    struct egov_directory_agency a;
    if (!change_start(req, spec, NULL, &actor, &a))
        return;
    char id[37];
    enum egov_ec ec = egov_directory_unit_create(egov_req_db(req), &actor, a.id, parent, name, id);
    if (ec != EGOV_EC_NONE) {
        reply_ec(req, ec, field_of(ec));
        return;
    }
    egov_reply_json(req, 201,
                    json_pack("{s:s, s:s, s:s, s:s}", "id", id, "agency_id", a.id, "name", name,
                              "parent_id", parent != NULL ? parent : ""));
}

static void handle_staff(struct egov_req *req)
{
    struct egov_directory_agency a;
    struct egov_oid_actor actor;
    json_t *list = NULL;
    if (!egov_oid_actor_from_request(req, &actor) || !agency_param(req, &a))
        return;
    struct egov_directory_reader reader;
    enum egov_ec ec = dir_authorize(egov_req_db(req), &actor, "directory.staff.read", a.id);
    if (ec == EGOV_EC_NONE && !reader_of(req, &actor, &reader))
        return;
    if (ec == EGOV_EC_NONE)
        ec = egov_directory_staff_list_read(egov_req_db(req), &reader, a.id, &list);
    if (ec != EGOV_EC_NONE) {
        reply_ec(req, ec, NULL);
        return;
    }
    egov_reply_json(req, 200, json_pack("{s:s, s:o}", "agency_id", a.id, "items", list));
}

static void handle_staff_add(struct egov_req *req)
{
    const char *subject = NULL, *name = NULL, *title = "", *unit = NULL;
    struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_STRING_LEN("subject", &subject, 1, 120),
        EGOV_JSON_SPEC_STRING_LEN("name", &name, 1, 200),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("title", &title, 0, 100)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("unit_id", &unit, 0, 36)),
        EGOV_JSON_SPEC_END,
    };
    struct egov_oid_actor actor;
    struct egov_directory_agency a;
    if (!change_start(req, spec, NULL, &actor, &a))
        return;
    char id[37];
    enum egov_ec ec =
        egov_directory_staff_add(egov_req_db(req), &actor, a.id, unit, subject, name, title, id);
    if (ec != EGOV_EC_NONE) {
        reply_ec(req, ec,
                 ec == EGOV_EC_DIRECTORY_NOT_FOUND           ? "unit_id"
                 : ec == EGOV_EC_GENERIC_PARAMETER_MALFORMED ? "subject"
                                                             : field_of(ec));
        return;
    }
    egov_reply_json(req, 201,
                    json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "agency_id", a.id, "subject",
                              subject, "name", name, "title", title));
}

static void handle_staff_remove(struct egov_req *req)
{
    struct egov_oid_actor actor;
    if (!egov_oid_actor_from_request(req, &actor))
        return;
    enum egov_ec ec =
        egov_directory_staff_remove(egov_req_db(req), &actor, egov_req_param(req, "id"));
    if (ec != EGOV_EC_NONE) {
        reply_ec(req, ec, ec == EGOV_EC_DIRECTORY_NOT_FOUND ? "id" : NULL);
        return;
    }
    egov_reply_json(req, 200,
                    json_pack("{s:s, s:b}", "id", egov_req_param(req, "id"), "active", 0));
}

static void handle_staff_of(struct egov_req *req)
{
    struct egov_oid_actor actor;
    json_t *list = NULL;
    const char *subject = egov_req_param(req, "subject");
    if (!egov_oid_actor_from_request(req, &actor))
        return;
    /* one's own memberships, or anybody's for a platform administrator */
    struct egov_directory_reader reader;
    enum egov_ec ec = actor.platform_admin || strcmp(actor.subject, subject) == 0
                          ? egov_oid_authorize_extra(&actor, "directory.staff.read", "")
                          : EGOV_EC_GENERIC_FORBIDDEN;
    if (ec == EGOV_EC_NONE && !reader_of(req, &actor, &reader))
        return;
    if (ec == EGOV_EC_NONE)
        ec = egov_directory_staff_of_read(egov_req_db(req), &reader, subject, &list);
    if (ec != EGOV_EC_NONE) {
        reply_ec(req, ec, NULL);
        return;
    }
    egov_reply_json(req, 200, json_pack("{s:s, s:o}", "subject", subject, "items", list));
}

/* ------------------------------------------------------------------ */
/* LDIF                                                                */
/* ------------------------------------------------------------------ */

static void handle_ldif(struct egov_req *req)
{
    struct egov_directory_agency a;
    const char *root_id;
    if (!agency_query(req, "root", &a, &root_id))
        return;
    struct egov_buf out;
    egov_buf_init(&out);
    enum egov_ec ec = egov_directory_export_ldif(egov_req_db(req), root_id, &out);
    if (ec != EGOV_EC_NONE) {
        egov_buf_free(&out);
        reply_ec(req, ec, NULL);
        return;
    }
    egov_reply_header(req, "Content-Disposition", "attachment; filename=\"agencies.ldif\"");
    egov_reply_bytes(req, 200, "text/plain; charset=utf-8", out.data != NULL ? out.data : "",
                     out.len);
    egov_buf_free(&out);
}

/* ------------------------------------------------------------------ */
/* Persons and businesses                                              */
/* ------------------------------------------------------------------ */

static const struct record_text person_members[] = {
    RECORD_TEXT(struct egov_directory_person, id_number, "id_number", 10, 10),
    RECORD_TEXT(struct egov_directory_person, name, "name", 1, 200),
    RECORD_TEXT_OPT(struct egov_directory_person, name_latin, "name_latin", 0, 200),
    RECORD_TEXT_OPT(struct egov_directory_person, nationality, "nationality", 0, 3),
    RECORD_TEXT_OPT(struct egov_directory_person, birth_date, "birth_date", 0, 10),
    RECORD_TEXT_OPT(struct egov_directory_person, address, "address", 0, 250),
    RECORD_TEXT_END,
};

static void handle_person_add(struct egov_req *req)
{
    struct egov_oid_actor actor;
    struct egov_directory_person p;
    if (!record_start(req, person_members, "directory.person.write", &actor, &p, sizeof p))
        return;
    char id[37];
    enum egov_ec ec = egov_directory_person_add(egov_req_db(req), &p, id);
    reply_created(req, ec, ec == EGOV_EC_DIRECTORY_EXISTS ? "id_number" : field_of(ec),
                  person_by_id, id, NULL);
}

static void handle_person_get(struct egov_req *req)
{
    struct egov_oid_actor actor;
    if (!egov_oid_actor_from_request(req, &actor))
        return;
    enum egov_ec ec = dir_authorize(egov_req_db(req), &actor, "directory.person.read", "");
    if (ec != EGOV_EC_NONE) {
        reply_ec(req, ec, NULL);
        return;
    }
    const char *number = egov_req_param(req, "id_number");
    if (egov_directory_id_check(number) == EGOV_DIRECTORY_ID_INVALID) {
        reply_ec(req, EGOV_EC_DIRECTORY_ID_INVALID, "id_number");
        return;
    }
    struct egov_directory_reader reader;
    if (!reader_of(req, &actor, &reader))
        return;
    struct egov_directory_person p;
    ec = egov_directory_person_read(egov_req_db(req), &reader, number, &p);
    if (ec != EGOV_EC_NONE) {
        reply_ec(req, ec, ec == EGOV_EC_DIRECTORY_NOT_FOUND ? "id_number" : NULL);
        return;
    }
    egov_reply_json(req, 200, egov_directory_person_to_json(&p));
}

static const struct record_text business_members[] = {
    RECORD_TEXT(struct egov_directory_business, ban, "ban", 8, 8),
    RECORD_TEXT(struct egov_directory_business, name, "name", 1, 200),
    RECORD_TEXT_OPT(struct egov_directory_business, representative, "representative", 0, 200),
    RECORD_TEXT_OPT(struct egov_directory_business, address, "address", 0, 250),
    RECORD_TEXT_OPT(struct egov_directory_business, status, "status", 0, 15),
    RECORD_TEXT_END,
};

static void handle_business_add(struct egov_req *req)
{
    struct egov_oid_actor actor;
    struct egov_directory_business b;
    if (!record_start(req, business_members, "directory.business.write", &actor, &b, sizeof b))
        return;
    char id[37];
    enum egov_ec ec = egov_directory_business_add(egov_req_db(req), &b, id);
    reply_created(req, ec,
                  ec == EGOV_EC_DIRECTORY_EXISTS              ? "ban"
                  : ec == EGOV_EC_GENERIC_PARAMETER_MALFORMED ? "status"
                                                              : field_of(ec),
                  business_by_ban, b.ban, NULL);
}

static void handle_business_get(struct egov_req *req)
{
    const char *ban = egov_req_param(req, "ban");
    if (!egov_directory_ban_valid(ban)) {
        reply_ec(req, EGOV_EC_DIRECTORY_BAN_INVALID, "ban");
        return;
    }
    struct egov_directory_business b;
    enum egov_db_qs qs = egov_directory_business_by_ban(egov_req_db(req), ban, &b);
    if (qs <= 0) {
        reply_ec(req, qs == 0 ? EGOV_EC_DIRECTORY_NOT_FOUND : egov_db_qs_ec(qs), "ban");
        return;
    }
    egov_reply_json(req, 200, egov_directory_business_to_json(&b));
}

static void handle_principal_search(struct egov_req *req)
{
    struct egov_oid_actor actor;
    const char *q = egov_req_query(req, "q");
    json_t *res = NULL;
    if (!egov_oid_actor_from_request(req, &actor))
        return;
    struct egov_directory_reader reader;
    enum egov_ec ec = dir_authorize(egov_req_db(req), &actor, "directory.person.read", "");
    if (ec == EGOV_EC_NONE && !reader_of(req, &actor, &reader))
        return;
    if (ec == EGOV_EC_NONE)
        ec = q == NULL || strlen(q) > 200 ? EGOV_EC_GENERIC_PARAMETER_MALFORMED
                                          : egov_directory_principal_search_read(
                                                egov_req_db(req), &reader, q, SEARCH_LIMIT, &res);
    if (ec != EGOV_EC_NONE) {
        reply_ec(req, ec, ec == EGOV_EC_GENERIC_PARAMETER_MALFORMED ? "q" : NULL);
        return;
    }
    egov_reply_json(req, 200, res);
}

/* The kind of one identifier as text. */
static json_t *check_one(const char *id)
{
    const char *kind = "invalid";
    bool valid = false;
    switch (egov_directory_id_check(id)) {
    case EGOV_DIRECTORY_ID_NATIONAL:
        kind = "national_id", valid = true;
        break;
    case EGOV_DIRECTORY_ID_RESIDENT:
        kind = "resident_certificate", valid = true;
        break;
    case EGOV_DIRECTORY_ID_RESIDENT_OLD:
        kind = "resident_certificate_old", valid = true;
        break;
    default:
        if (egov_directory_ban_valid(id))
            kind = "business_id", valid = true;
        else if (strlen(id) == 8 && strspn(id, "0123456789") == 8)
            kind = "business_id";
        else if (strlen(id) == 10)
            kind = "personal_id";
        break;
    }
    return json_pack("{s:s, s:b, s:s}", "id", id, "valid", valid, "kind", kind);
}

static void handle_check_id(struct egov_req *req)
{
    json_t *ids = NULL;
    struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_ARRAY("ids", &ids),
        EGOV_JSON_SPEC_END,
    };
    if (egov_req_parse_json(req, spec) == NULL)
        return;
    if (json_array_size(ids) > CHECK_MAX_IDS) {
        egov_reply_problem(req, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "ids",
                           "at most 1000 identifiers per request");
        return;
    }
    json_t *results = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        if (!json_is_string(v) || json_string_length(v) > 32) {
            json_decref(results);
            egov_reply_problem(req, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "ids",
                               "every identifier must be a string of at most 32 characters");
            return;
        }
        json_array_append_new(results, check_one(json_string_value(v)));
    }
    egov_reply_json(req, 200, json_pack("{s:o}", "results", results));
}

/* ------------------------------------------------------------------ */
/* Pages                                                               */
/* ------------------------------------------------------------------ */

static void handle_page_tree(struct egov_req *req)
{
    struct egov_db *db = egov_req_db(req);
    const char *q = egov_req_query(req, "q");
    json_t *data = json_object(), *list = NULL;
    enum egov_ec ec;
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
        json_object_set_new(data, "searched", json_true());
        ec = egov_directory_agency_search(db, q, SEARCH_LIMIT, &list);
        if (ec == EGOV_EC_GENERIC_PARAMETER_MALFORMED) {
            ec = EGOV_EC_NONE;
            list = json_array();
        }
    } else {
        const char *pid;
        struct egov_directory_agency a;
        if (!agency_query(req, "parent", &a, &pid)) {
            json_decref(data);
            return;
        }
        if (pid != NULL) {
            json_t *path = NULL;
            if (egov_directory_agency_path(db, a.id, &path) == EGOV_EC_NONE)
                json_object_set_new(data, "path", path);
            json_object_set_new(data, "parent", egov_directory_agency_to_json(&a));
        }
        ec = egov_directory_agency_children(db, pid, &list);
    }
    if (ec != EGOV_EC_NONE) {
        json_decref(data);
        reply_ec(req, ec, NULL);
        return;
    }
    json_object_set_new(data, "count", json_integer((json_int_t)json_array_size(list)));
    json_object_set_new(data, "items", list);
    egov_reply_view(req, 200, "directory/agencies", "Agency directory", data);
}

static void handle_page_agency(struct egov_req *req)
{
    struct egov_directory_agency a;
    if (!agency_param(req, &a))
        return;
    enum egov_ec ec;
    json_t *o = agency_view(req, &a, &ec);
    if (o == NULL) {
        reply_ec(req, ec, NULL);
        return;
    }
    json_object_set_new(o, "has_history",
                        json_boolean(json_array_size(json_object_get(o, "history")) > 0));
    json_object_set_new(o, "has_units",
                        json_boolean(json_array_size(json_object_get(o, "units")) > 0));
    const char *csrf = egov_oid_csrf_token(req);
    if (csrf != NULL)
        json_object_set_new(o, "admin", json_pack("{s:s}", "csrf_token", csrf));
    json_object_set_new(o, "child_count",
                        json_integer((json_int_t)json_array_size(json_object_get(o, "children"))));
    egov_reply_view(req, 200, "directory/agency", "Agency", o);
}

/* A form field: NULL when absent or empty. */
static const char *form_field(const struct egov_req *req, const char *name)
{
    const char *v = egov_json_get_str(req->form, name, NULL);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* Sends the browser back to the agency page after a form did its work. */
static void back_to_agency(struct egov_req *req, const char *id)
{
    char *loc = egov_arena_printf(req->arena, "/directory/agencies/%s", id);
    if (loc == NULL)
        reply_ec(req, EGOV_EC_GENERIC_OOM, NULL);
    else
        egov_reply_redirect(req, loc);
}

/* The start of every agency form: its CSRF token, the actor, the {key} agency. */
static bool form_start(struct egov_req *req, struct egov_oid_actor *actor,
                       struct egov_directory_agency *a)
{
    return egov_oid_csrf_check(req, req->form) && egov_oid_actor_from_request(req, actor) &&
           agency_param(req, a);
}

/* POST /directory/agencies/{key}/edit: rename or change code, address, phone. */
static void handle_form_edit(struct egov_req *req)
{
    struct egov_oid_actor actor;
    struct egov_directory_agency a;
    if (!form_start(req, &actor, &a))
        return;
    const char *date = form_field(req, "effective_date");
    const char *code = egov_json_get_str(req->form, "code", NULL);
    const char *address = egov_json_get_str(req->form, "address", NULL);
    const char *phone = egov_json_get_str(req->form, "phone", NULL);
    enum egov_ec ec = egov_directory_agency_update(
        egov_req_db(req), &actor, a.id, form_field(req, "name"), code, address, phone, date);
    if (ec != EGOV_EC_NONE) {
        reply_ec(req, ec,
                 ec == EGOV_EC_GENERIC_PARAMETER_MALFORMED ? "effective_date" : field_of(ec));
        return;
    }
    back_to_agency(req, a.id);
}

/* POST /directory/agencies/{key}/units: the add-a-unit form. */
static void handle_form_unit(struct egov_req *req)
{
    struct egov_oid_actor actor;
    struct egov_directory_agency a;
    if (!form_start(req, &actor, &a))
        return;
    char id[37];
    const char *name = form_field(req, "name");
    enum egov_ec ec = egov_directory_unit_create(egov_req_db(req), &actor, a.id, NULL,
                                                 name != NULL ? name : "", id);
    if (ec != EGOV_EC_NONE) {
        reply_ec(req, ec, field_of(ec));
        return;
    }
    back_to_agency(req, a.id);
}

static const struct egov_route routes[] = {
    {EGOV_M_GET, "/api/directory/agencies", handle_agencies, 0, 0, "dir-agencies"},
    {EGOV_M_POST, "/api/directory/agencies", handle_agency_create, 8192, EGOV_ROUTE_JSON_BODY,
     "dir-agency-create"},
    {EGOV_M_GET, "/api/directory/agencies/{key}", handle_agency_get, 0, 0, "dir-agency"},
    {EGOV_M_PATCH, "/api/directory/agencies/{key}", handle_agency_update, 8192,
     EGOV_ROUTE_JSON_BODY, "dir-agency-update"},
    {EGOV_M_GET, "/api/directory/agencies/{key}/children", handle_agency_list, 0, 0,
     "dir-agency-children"},
    {EGOV_M_GET, "/api/directory/agencies/{key}/units", handle_agency_list, 0, 0, "dir-units"},
    {EGOV_M_POST, "/api/directory/agencies/{key}/units", handle_unit_create, 4096,
     EGOV_ROUTE_JSON_BODY, "dir-unit-create"},
    {EGOV_M_GET, "/api/directory/agencies/{key}/staff", handle_staff, 0, 0, "dir-staff"},
    {EGOV_M_POST, "/api/directory/agencies/{key}/staff", handle_staff_add, 4096,
     EGOV_ROUTE_JSON_BODY, "dir-staff-add"},
    {EGOV_M_DELETE, "/api/directory/staff/{id}", handle_staff_remove, 0, 0, "dir-staff-remove"},
    {EGOV_M_GET, "/api/directory/staff-of/{subject}", handle_staff_of, 0, 0, "dir-staff-of"},
    {EGOV_M_GET, "/api/directory/ldif", handle_ldif, 0, 0, "dir-ldif"},
    {EGOV_M_POST, "/api/directory/persons", handle_person_add, 8192, EGOV_ROUTE_JSON_BODY,
     "dir-person-add"},
    {EGOV_M_GET, "/api/directory/persons/{id_number}", handle_person_get, 0, 0, "dir-person"},
    {EGOV_M_POST, "/api/directory/businesses", handle_business_add, 8192, EGOV_ROUTE_JSON_BODY,
     "dir-business-add"},
    {EGOV_M_GET, "/api/directory/businesses/{ban}", handle_business_get, 0, 0, "dir-business"},
    {EGOV_M_GET, "/api/directory/principals", handle_principal_search, 0, 0, "dir-principals"},
    {EGOV_M_POST, "/api/directory/check-id", handle_check_id, 65536, EGOV_ROUTE_JSON_BODY,
     "dir-check-id"},
    {EGOV_M_GET, "/directory", handle_page_tree, 0, 0, "dir-page"},
    {EGOV_M_GET, "/directory/agencies/{key}", handle_page_agency, 0, 0, "dir-page-agency"},
    {EGOV_M_POST, "/directory/agencies/{key}/edit", handle_form_edit, 8192, EGOV_ROUTE_FORM_BODY,
     "dir-form-edit"},
    {EGOV_M_POST, "/directory/agencies/{key}/units", handle_form_unit, 4096, EGOV_ROUTE_FORM_BODY,
     "dir-form-unit"},
    EGOV_ROUTE_END,
};

const struct egov_route_table dir_routes = {"directory", routes};
