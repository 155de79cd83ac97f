/*
 * registry.c -- the OID registry: arcs as a tree in table oid_arc, with
 * lookups, resolution to a path, child registration, import upserts and
 * search by folded name.
 */
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "oid/oid_int.h"

static const struct egov_db_migration migration_list[] = {
    {1, "OID arcs",
     "CREATE TABLE oid_arc ("
     " oid TEXT PRIMARY KEY,"
     " parent TEXT REFERENCES oid_arc (oid),"
     " arc TEXT NOT NULL,"
     " depth BIGINT NOT NULL,"
     " name TEXT NOT NULL,"
     " search_key TEXT NOT NULL,"
     " description TEXT NOT NULL DEFAULT '',"
     " agency_id TEXT,"
     " created_by TEXT NOT NULL,"
     " created_at BIGINT NOT NULL,"
     " updated_at BIGINT NOT NULL);"
     "CREATE INDEX oid_arc_parent ON oid_arc (parent);"
     "CREATE INDEX oid_arc_agency ON oid_arc (agency_id);"
     "INSERT INTO oid_arc (oid, parent, arc, depth, name, search_key, description, created_by,"
     " created_at, updated_at) VALUES ('2.16.886', NULL, '886', 3, '臺灣', '台灣',"
     " 'joint-iso-itu-t(2) country(16) tw(886)', 'migration', 0, 0);"
     "INSERT INTO oid_arc (oid, parent, arc, depth, name, search_key, description, created_by,"
     " created_at, updated_at) VALUES ('2.16.886.101', '2.16.886', '101', 4, '政府機關',"
     " '政府機關', 'government agencies', 'migration', 0, 0);",
     NULL},
    {0, NULL, NULL, NULL},
};

const struct egov_db_module_migrations oid_migrations = {"oid", migration_list};

#define ARC_COLUMNS                                                                                \
    "oid, COALESCE(parent, ''), name, description, COALESCE(agency_id, ''), created_by,"           \
    " created_at, updated_at"

static const struct egov_db_stmt st_get = {
    "oid_get", "SELECT " ARC_COLUMNS " FROM oid_arc WHERE oid = $1", NULL};
static const struct egov_db_stmt st_get_two = {
    "oid_get_two", "SELECT " ARC_COLUMNS " FROM oid_arc WHERE oid IN ($1, $2)", NULL};
static const struct egov_db_stmt st_count_children = {
    "oid_count_children", "SELECT COUNT(*) FROM oid_arc WHERE parent = $1", NULL};
static const struct egov_db_stmt st_last_child = {
    "oid_last_child",
    "SELECT arc FROM oid_arc WHERE parent = $1 ORDER BY LENGTH(arc) DESC, arc DESC LIMIT 1", NULL};
static const struct egov_db_stmt st_insert = {
    "oid_insert",
    "INSERT INTO oid_arc (oid, parent, arc, depth, name, search_key, description, agency_id,"
    " created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
    NULL};
static const struct egov_db_stmt st_update = {
    "oid_update",
    "UPDATE oid_arc SET parent = $2, name = $3, search_key = $4, description = $5,"
    " agency_id = $6, updated_at = $7 WHERE oid = $1",
    NULL};
static const struct egov_db_stmt st_search = {
    "oid_search",
    "SELECT oid, name, COALESCE(agency_id, '') FROM oid_arc"
    " WHERE search_key LIKE '%' || $1 || '%' ORDER BY LENGTH(oid), oid LIMIT $2",
    NULL};
static const struct egov_db_stmt st_children = {
    "oid_children",
    "SELECT a.oid, a.name, COALESCE(a.agency_id, ''),"
    " (SELECT COUNT(*) FROM oid_arc k WHERE k.parent = a.oid)"
    " FROM oid_arc a WHERE a.parent = $1 ORDER BY LENGTH(a.arc), a.arc LIMIT 5000",
    NULL};
static const struct egov_db_stmt st_roots = {
    "oid_roots",
    "SELECT a.oid, a.name, COALESCE(a.agency_id, ''),"
    " (SELECT COUNT(*) FROM oid_arc k WHERE k.parent = a.oid)"
    " FROM oid_arc a WHERE a.parent IS NULL ORDER BY a.oid",
    NULL};

enum egov_db_qs oid_txn(struct egov_db *db, bool write, egov_db_txn_fn fn, void *cls)
{
    return egov_db_run_txn(db, write, OID_DB_WAIT_MS, OID_TXN_RETRIES, fn, cls);
}

static void fill_entry(const struct egov_db_rows *r, size_t row, struct egov_oid_entry *e)
{
    memset(e, 0, sizeof(*e));
    egov_utf8_copy(e->oid, sizeof(e->oid), egov_db_rows_text(r, row, 0));
    egov_utf8_copy(e->parent, sizeof(e->parent), egov_db_rows_text(r, row, 1));
    egov_utf8_copy(e->name, sizeof(e->name), egov_db_rows_text(r, row, 2));
    egov_utf8_copy(e->description, sizeof(e->description), egov_db_rows_text(r, row, 3));
    egov_utf8_copy(e->agency_id, sizeof(e->agency_id), egov_db_rows_text(r, row, 4));
    egov_utf8_copy(e->created_by, sizeof(e->created_by), egov_db_rows_text(r, row, 5));
    e->created_at = egov_db_rows_int64(r, row, 6);
    e->updated_at = egov_db_rows_int64(r, row, 7);
}

/* Reads arc @p oid on connection @p c. */
static enum egov_db_qs get_on(struct egov_db_conn *c, const char *oid, struct egov_oid_entry *out)
{
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(oid), EGOV_DB_PARAM_END};
    struct egov_db_rows *r = NULL;
    enum egov_db_qs qs = egov_db_query(c, &st_get, p, &r);
    if (qs > 0) {
        fill_entry(r, 0, out);
        qs = EGOV_DB_ONE_ROW;
    }
    egov_db_rows_free(r);
    return qs;
}

struct get_cls {
    const char *oid;
    struct egov_oid_entry *out;
};

static enum egov_db_qs get_body(struct egov_db_conn *c, void *cls)
{
    struct get_cls *g = cls;
    return get_on(c, g->oid, g->out);
}

enum egov_db_qs egov_oid_get(struct egov_db *db, const char *oid, struct egov_oid_entry *out)
{
    if (!egov_oid_valid(oid))
        return EGOV_DB_NO_ROW;
    struct get_cls g = {oid, out};
    return oid_txn(db, false, get_body, &g);
}

/* ------------------------------------------------------------------ */
/* Resolve                                                             */
/* ------------------------------------------------------------------ */

struct resolve_cls {
    const char *oid;
    json_t *result; /* set by the body; owned */
    bool exact;
};

static json_t *entry_json(const struct egov_oid_entry *e)
{
    char created[32], updated[32];
    egov_time_rfc3339(e->created_at, created);
    egov_time_rfc3339(e->updated_at, updated);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "oid", e->oid, "parent", e->parent,
                     "name", e->name, "description", e->description, "agency_id", e->agency_id,
                     "created_by", e->created_by, "created_at", created, "updated_at", updated);
}

static enum egov_db_qs resolve_body(struct egov_db_conn *c, void *cls)
{
    struct resolve_cls *rc = cls;
    struct egov_oid_entry e;
    char cur[EGOV_OID_TEXT_MAX + 1];
    enum egov_db_qs qs;

    json_decref(rc->result);
    rc->result = NULL;
    rc->exact = true;
    egov_utf8_copy(cur, sizeof(cur), rc->oid);
    while (true) {
        qs = get_on(c, cur, &e);
        if (qs < 0)
            return qs;
        if (qs > 0)
            break;
        rc->exact = false;
        char up[EGOV_OID_TEXT_MAX + 1];
        if (!egov_oid_parent(cur, up, sizeof(up)))
            return EGOV_DB_NO_ROW;
        egov_utf8_copy(cur, sizeof(cur), up);
    }
    json_t *res = entry_json(&e);
    json_t *path = json_array();
    if (res == NULL || path == NULL) {
        json_decref(res);
        json_decref(path);
        return EGOV_DB_HARD_ERROR;
    }
    /* the path from the root down: walk up, inserting at the front */
    struct egov_oid_entry step = e;
    for (unsigned int guard = 0; guard <= EGOV_OID_MAX_ARCS; guard++) {
        json_array_insert_new(path, 0, json_pack("{s:s, s:s}", "oid", step.oid, "name", step.name));
        if (step.parent[0] == '\0')
            break;
        char parent[EGOV_OID_TEXT_MAX + 1];
        egov_utf8_copy(parent, sizeof(parent), step.parent);
        qs = get_on(c, parent, &step);
        if (qs <= 0) {
            json_decref(res);
            json_decref(path);
            return qs < 0 ? qs : EGOV_DB_HARD_ERROR;
        }
    }
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(e.oid), EGOV_DB_PARAM_END};
    struct egov_db_rows *r = NULL;
    qs = egov_db_query(c, &st_count_children, p, &r);
    json_int_t children = qs > 0 ? egov_db_rows_int64(r, 0, 0) : 0;
    egov_db_rows_free(r);
    if (qs < 0) {
        json_decref(res);
        json_decref(path);
        return qs;
    }
    uint8_t der[EGOV_OID_DER_MAX];
    long dlen = egov_oid_der_encode(e.oid, true, der, sizeof(der));
    char hex[2 * EGOV_OID_DER_MAX + 1] = "";
    if (dlen > 0)
        egov_hex_encode(der, (size_t)dlen, hex);
    json_object_set_new(res, "path", path);
    json_object_set_new(res, "children", json_integer(children));
    json_object_set_new(res, "der", json_string(hex));
    rc->result = res;
    return EGOV_DB_ONE_ROW;
}

enum egov_ec egov_oid_resolve(struct egov_db *db, const char *oid, json_t **out)
{
    *out = NULL;
    if (!egov_oid_valid(oid))
        return EGOV_EC_OID_INVALID;
    struct resolve_cls rc = {oid, NULL, true};
    enum egov_db_qs qs = oid_txn(db, false, resolve_body, &rc);
    if (qs < 0) {
        json_decref(rc.result);
        return egov_db_qs_ec(qs);
    }
    if (qs == 0 || rc.result == NULL)
        return EGOV_EC_OID_NOT_FOUND;
    json_object_set_new(rc.result, "exact", json_boolean(rc.exact));
    json_object_set_new(rc.result, "query", json_string(oid));
    *out = rc.result;
    return EGOV_EC_NONE;
}

/* ------------------------------------------------------------------ */
/* Register and upsert                                                 */
/* ------------------------------------------------------------------ */

/* Adds one to the decimal string @p s into @p out. */
static bool dec_increment(const char *s, char *out, size_t outlen)
{
    size_t n = strlen(s);
    if (n + 2 > outlen)
        return false;
    memcpy(out + 1, s, n + 1);
    out[0] = '0';
    size_t i = n + 1;
    while (i > 0) {
        i--;
        if (out[i] == '9') {
            out[i] = '0';
        } else {
            out[i]++;
            break;
        }
    }
    if (out[0] == '0')
        memmove(out, out + 1, n + 1);
    return true;
}

/* True if @p name is 1..200 code points of valid UTF-8 without control characters. */
static bool name_ok(const char *name)
{
    if (name == NULL)
        return false;
    size_t len = strlen(name);
    if (len == 0 || !egov_utf8_valid(name, len, NULL))
        return false;
    size_t cps = egov_utf8_length(name, len);
    if (cps > 200)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return false;
    return true;
}

struct register_cls {
    const char *parent;
    const char *arc;
    const char *name;
    const char *description;
    const char *agency_id;
    const char *created_by;
    char oid[EGOV_OID_TEXT_MAX + 1];
    enum egov_ec ec;
};

static enum egov_db_qs register_body(struct egov_db_conn *c, void *cls)
{
    struct register_cls *rc = cls;
    struct egov_oid_entry e;
    enum egov_db_qs qs;
    char arc[64];

    rc->ec = EGOV_EC_NONE;
    qs = get_on(c, rc->parent, &e);
    if (qs < 0)
        return qs;
    if (qs == 0) {
        rc->ec = EGOV_EC_OID_PARENT_NOT_FOUND;
        return EGOV_DB_NO_ROW;
    }
    if (rc->arc != NULL) {
        egov_utf8_copy(arc, sizeof(arc), rc->arc);
    } else {
        struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(rc->parent), EGOV_DB_PARAM_END};
        struct egov_db_rows *r = NULL;
        qs = egov_db_query(c, &st_last_child, p, &r);
        if (qs < 0)
            return qs;
        bool ok = qs == 0 ? egov_utf8_copy(arc, sizeof(arc), "1")
                          : dec_increment(egov_db_rows_text(r, 0, 0), arc, sizeof(arc));
        egov_db_rows_free(r);
        if (!ok) {
            rc->ec = EGOV_EC_OID_INVALID;
            return EGOV_DB_NO_ROW;
        }
    }
    if ((size_t)snprintf(rc->oid, sizeof(rc->oid), "%s.%s", rc->parent, arc) >= sizeof(rc->oid) ||
        !egov_oid_valid(rc->oid)) {
        rc->ec = EGOV_EC_OID_INVALID;
        return EGOV_DB_NO_ROW;
    }
    qs = get_on(c, rc->oid, &e);
    if (qs < 0)
        return qs;
    if (qs > 0) {
        rc->ec = EGOV_EC_OID_EXISTS;
        return EGOV_DB_NO_ROW;
    }
    char key[1024];
    egov_oid_search_key(rc->name, key, sizeof(key));
    int64_t now = egov_now_us();
    struct egov_db_param p[] = {
        EGOV_DB_PARAM_TEXT(rc->oid),
        EGOV_DB_PARAM_TEXT(rc->parent),
        EGOV_DB_PARAM_TEXT(arc),
        EGOV_DB_PARAM_INT64(egov_oid_depth(rc->oid)),
        EGOV_DB_PARAM_TEXT(rc->name),
        EGOV_DB_PARAM_TEXT(key),
        EGOV_DB_PARAM_TEXT(rc->description != NULL ? rc->description : ""),
        EGOV_DB_PARAM_TEXT(rc->agency_id != NULL && rc->agency_id[0] != '\0' ? rc->agency_id
                                                                             : NULL),
        EGOV_DB_PARAM_TEXT(rc->created_by),
        EGOV_DB_PARAM_INT64(now),
        EGOV_DB_PARAM_END,
    };
    return egov_db_exec(c, &st_insert, p);
}

enum egov_ec egov_oid_register(struct egov_db *db, const struct egov_oid_actor *actor,
                               const char *parent, const char *arc, const char *name,
                               const char *description, const char *agency_id,
                               char oid_out[EGOV_OID_TEXT_MAX + 1])
{
    if (oid_out != NULL)
        oid_out[0] = '\0';
    if (!egov_oid_valid(parent))
        return EGOV_EC_OID_INVALID;
    if (arc != NULL) {
        size_t n = strlen(arc);
        if (n == 0 || n > 39 || (n > 1 && arc[0] == '0') || strspn(arc, "0123456789") != n)
            return EGOV_EC_OID_INVALID;
    }
    if (!name_ok(name))
        return EGOV_EC_OID_NAME_INVALID;
    if (description != NULL &&
        (strlen(description) > 500 || !egov_utf8_valid(description, strlen(description), NULL)))
        return EGOV_EC_GENERIC_PARAMETER_MALFORMED;
    enum egov_ec ec = egov_oid_authorize_arc(db, actor, "oid.register", parent);
    if (ec != EGOV_EC_NONE)
        return ec;
    struct register_cls rc = {.parent = parent,
                              .arc = arc,
                              .name = name,
                              .description = description,
                              .agency_id = agency_id,
                              .created_by = actor->subject};
    enum egov_db_qs qs = oid_txn(db, true, register_body, &rc);
    if (qs < 0)
        return egov_db_qs_ec(qs);
    if (rc.ec != EGOV_EC_NONE)
        return rc.ec;
    if (oid_out != NULL)
        egov_utf8_copy(oid_out, EGOV_OID_TEXT_MAX + 1, rc.oid);
    return EGOV_EC_NONE;
}

enum egov_db_qs egov_oid_upsert(struct egov_db_conn *c, const struct egov_oid_entry *e,
                                const char *search_key)
{
    if (!egov_oid_valid(e->oid) || egov_oid_depth(e->oid) < 3)
        return EGOV_DB_HARD_ERROR;
    /* the parent: the one given if registered, else the nearest registered ancestor */
    char parent[EGOV_OID_TEXT_MAX + 1] = "";
    char cur[EGOV_OID_TEXT_MAX + 1];
    struct egov_oid_entry found, self;
    enum egov_db_qs qs, self_qs = EGOV_DB_NO_ROW;
    memset(&self, 0, sizeof(self));
    /* the arc and its immediate parent in one round trip (imports write thousands) */
    if (!egov_oid_parent(e->oid, parent, sizeof(parent)))
        return EGOV_DB_HARD_ERROR;
    struct egov_db_param p2[] = {EGOV_DB_PARAM_TEXT(e->oid), EGOV_DB_PARAM_TEXT(parent),
                                 EGOV_DB_PARAM_END};
    struct egov_db_rows *r = NULL;
    qs = egov_db_query(c, &st_get_two, p2, &r);
    if (qs < 0)
        return qs;
    bool parent_known = false;
    for (size_t i = 0; i < egov_db_rows_count(r); i++) {
        if (strcmp(egov_db_rows_text(r, i, 0), e->oid) == 0) {
            fill_entry(r, i, &self);
            self_qs = EGOV_DB_ONE_ROW;
        } else {
            parent_known = true;
        }
    }
    egov_db_rows_free(r);
    egov_utf8_copy(cur, sizeof(cur), parent_known ? e->oid : parent);
    if (!parent_known)
        parent[0] = '\0';
    while (!parent_known && egov_oid_parent(cur, parent, sizeof(parent))) {
        qs = get_on(c, parent, &found);
        if (qs < 0)
            return qs;
        if (qs > 0)
            break;
        egov_utf8_copy(cur, sizeof(cur), parent);
        parent[0] = '\0';
    }
    if (e->parent[0] != '\0' && strcmp(e->parent, parent) != 0) {
        qs = get_on(c, e->parent, &found);
        if (qs < 0)
            return qs;
        if (qs > 0)
            egov_utf8_copy(parent, sizeof(parent), e->parent);
    }
    found = self;
    qs = self_qs;
    const char *agency = e->agency_id[0] != '\0' ? e->agency_id : NULL;
    int64_t now = egov_now_us();
    if (qs > 0 && strcmp(found.name, e->name) == 0 && strcmp(found.parent, parent) == 0 &&
        strcmp(found.description, e->description) == 0 &&
        strcmp(found.agency_id, e->agency_id) == 0)
        return EGOV_DB_NO_ROW;
    char key[1024];
    if (search_key == NULL) {
        egov_oid_search_key(e->name, key, sizeof(key));
        search_key = key;
    }
    if (qs > 0) {
        struct egov_db_param p[] = {
            EGOV_DB_PARAM_TEXT(e->oid),
            EGOV_DB_PARAM_TEXT(parent[0] != '\0' ? parent : NULL),
            EGOV_DB_PARAM_TEXT(e->name),
            EGOV_DB_PARAM_TEXT(search_key),
            EGOV_DB_PARAM_TEXT(e->description),
            EGOV_DB_PARAM_TEXT(agency),
            EGOV_DB_PARAM_INT64(now),
            EGOV_DB_PARAM_END,
        };
        return egov_db_exec(c, &st_update, p);
    }
    const char *arc = strrchr(e->oid, '.') + 1;
    struct egov_db_param p[] = {
        EGOV_DB_PARAM_TEXT(e->oid),
        EGOV_DB_PARAM_TEXT(parent[0] != '\0' ? parent : NULL),
        EGOV_DB_PARAM_TEXT(arc),
        EGOV_DB_PARAM_INT64(egov_oid_depth(e->oid)),
        EGOV_DB_PARAM_TEXT(e->name),
        EGOV_DB_PARAM_TEXT(search_key),
        EGOV_DB_PARAM_TEXT(e->description),
        EGOV_DB_PARAM_TEXT(agency),
        EGOV_DB_PARAM_TEXT(e->created_by[0] != '\0' ? e->created_by : "import"),
        EGOV_DB_PARAM_INT64(now),
        EGOV_DB_PARAM_END,
    };
    return egov_db_exec(c, &st_insert, p);
}

/* ------------------------------------------------------------------ */
/* Search and children                                                 */
/* ------------------------------------------------------------------ */

struct list_cls {
    const struct egov_db_stmt *st;
    const char *text;
    int64_t limit;
    bool with_children;
    json_t *result;
};

static enum egov_db_qs list_body(struct egov_db_conn *c, void *cls)
{
    struct list_cls *lc = cls;
    struct egov_db_rows *r = NULL;
    struct egov_db_param p2[] = {EGOV_DB_PARAM_TEXT(lc->text), EGOV_DB_PARAM_INT64(lc->limit),
                                 EGOV_DB_PARAM_END};
    struct egov_db_param p1[] = {EGOV_DB_PARAM_TEXT(lc->text), EGOV_DB_PARAM_END};
    const struct egov_db_param *p = lc->st == &st_search ? p2 : lc->st == &st_roots ? NULL : p1;
    enum egov_db_qs qs = egov_db_query(c, lc->st, p, &r);
    if (qs < 0)
        return qs;
    json_decref(lc->result);
    lc->result = json_array();
    for (size_t i = 0; lc->result != NULL && i < egov_db_rows_count(r); i++) {
        json_t *o = json_pack("{s:s, s:s, s:s}", "oid", egov_db_rows_text(r, i, 0), "name",
                              egov_db_rows_text(r, i, 1), "agency_id", egov_db_rows_text(r, i, 2));
        if (o != NULL && lc->with_children)
            json_object_set_new(o, "children", json_integer(egov_db_rows_int64(r, i, 3)));
        if (o == NULL || json_array_append_new(lc->result, o) != 0) {
            json_decref(lc->result);
            lc->result = NULL;
        }
    }
    egov_db_rows_free(r);
    return lc->result == NULL ? EGOV_DB_HARD_ERROR : EGOV_DB_ONE_ROW;
}

enum egov_ec egov_oid_search(struct egov_db *db, const char *query, unsigned int limit,
                             json_t **out)
{
    *out = NULL;
    if (query == NULL || limit < 1 || limit > 500)
        return EGOV_EC_GENERIC_PARAMETER_MALFORMED;
    char key[1024];
    egov_oid_search_key(query, key, sizeof(key));
    if (key[0] == '\0')
        return EGOV_EC_GENERIC_PARAMETER_MALFORMED;
    struct list_cls lc = {&st_search, key, limit, false, NULL};
    enum egov_db_qs qs = oid_txn(db, false, list_body, &lc);
    if (qs < 0) {
        json_decref(lc.result);
        return egov_db_qs_ec(qs);
    }
    *out = lc.result;
    return EGOV_EC_NONE;
}

enum egov_ec egov_oid_children(struct egov_db *db, const char *oid, json_t **out)
{
    *out = NULL;
    if (oid != NULL && !egov_oid_valid(oid))
        return EGOV_EC_OID_INVALID;
    struct list_cls lc = {oid == NULL ? &st_roots : &st_children, oid, 0, true, NULL};
    enum egov_db_qs qs = oid_txn(db, false, list_body, &lc);
    if (qs < 0) {
        json_decref(lc.result);
        return egov_db_qs_ec(qs);
    }
    *out = lc.result;
    return EGOV_EC_NONE;
}

/* ------------------------------------------------------------------ */
/* Re-keying                                                           */
/* ------------------------------------------------------------------ */

/* Rows re-keyed per transaction. */
#define REKEY_BATCH 500

static const struct egov_db_stmt st_rekey_page = {
    "oid_rekey_page",
    "SELECT oid, name, search_key FROM oid_arc WHERE oid > $1 ORDER BY oid LIMIT 500", NULL};
/* (LIMIT 500 is REKEY_BATCH) */
static const struct egov_db_stmt st_rekey_set = {
    "oid_rekey_set", "UPDATE oid_arc SET search_key = $2 WHERE oid = $1", NULL};

struct rekey_cls {
    char after[EGOV_OID_TEXT_MAX + 1]; /* re-key the arcs after this one */
    char last[EGOV_OID_TEXT_MAX + 1];  /* the last arc of the page (kept apart: bodies retry) */
    unsigned long changed;
    size_t seen;
};

static enum egov_db_qs rekey_body(struct egov_db_conn *c, void *cls)
{
    struct rekey_cls *rk = cls;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(rk->after), EGOV_DB_PARAM_END};
    struct egov_db_rows *r = NULL;
    enum egov_db_qs qs = egov_db_query(c, &st_rekey_page, p, &r);
    rk->changed = 0;
    rk->seen = 0;
    if (qs < 0)
        return qs;
    for (size_t i = 0; i < egov_db_rows_count(r); i++) {
        char key[1024];
        egov_oid_search_key(egov_db_rows_text(r, i, 1), key, sizeof(key));
        if (strcmp(key, egov_db_rows_text(r, i, 2)) != 0) {
            struct egov_db_param u[] = {EGOV_DB_PARAM_TEXT(egov_db_rows_text(r, i, 0)),
                                        EGOV_DB_PARAM_TEXT(key), EGOV_DB_PARAM_END};
            qs = egov_db_exec(c, &st_rekey_set, u);
            if (qs < 0) {
                egov_db_rows_free(r);
                return qs;
            }
            rk->changed++;
        }
    }
    rk->seen = egov_db_rows_count(r);
    if (rk->seen > 0)
        egov_utf8_copy(rk->last, sizeof(rk->last), egov_db_rows_text(r, rk->seen - 1, 0));
    egov_db_rows_free(r);
    return EGOV_DB_ONE_ROW;
}

enum egov_ec egov_oid_rekey(struct egov_db *db, unsigned long *changed)
{
    struct rekey_cls rk = {"", "", 0, 0};
    *changed = 0;
    while (true) {
        enum egov_db_qs qs = oid_txn(db, true, rekey_body, &rk);
        if (qs < 0)
            return egov_db_qs_ec(qs);
        *changed += rk.changed;
        if (rk.seen < REKEY_BATCH)
            return EGOV_EC_NONE;
        egov_utf8_copy(rk.after, sizeof(rk.after), rk.last);
    }
}
