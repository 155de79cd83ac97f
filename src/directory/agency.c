/*
 * agency.c -- agencies: the schema of the whole module, lookups by id,
 * code and OID (current or former), creation, updates with rename
 * history, the tree (children, path) and search by folded name.
 */
#include <stdio.h>
#include <string.h>

#include "directory/directory_int.h"

/* Deepest agency tree walked (the OID tree has at most 10 levels). */
#define MAX_TREE_DEPTH 64

static const struct egov_db_migration migration_list[] = {
    {1, "agencies, history, units, staff, persons, businesses",
     "CREATE TABLE dir_agency ("
     " id TEXT PRIMARY KEY,"
     " code TEXT UNIQUE,"
     " oid TEXT UNIQUE,"
     " parent_id TEXT REFERENCES dir_agency (id),"
     " name TEXT NOT NULL,"
     " search_key TEXT NOT NULL,"
     " address TEXT NOT NULL DEFAULT '',"
     " phone TEXT NOT NULL DEFAULT '',"
     " dn TEXT NOT NULL DEFAULT '',"
     " active BIGINT NOT NULL DEFAULT 1,"
     " created_at BIGINT NOT NULL,"
     " updated_at BIGINT NOT NULL);"
     "CREATE INDEX dir_agency_parent ON dir_agency (parent_id);"
     "CREATE TABLE dir_agency_history ("
     " id TEXT PRIMARY KEY,"
     " agency_id TEXT NOT NULL REFERENCES dir_agency (id),"
     " name TEXT NOT NULL,"
     " search_key TEXT NOT NULL,"
     " oid TEXT NOT NULL DEFAULT '',"
     " valid_until TEXT NOT NULL DEFAULT '',"
     " source TEXT NOT NULL,"
     " created_at BIGINT NOT NULL,"
     " UNIQUE (agency_id, name, oid));"
     "CREATE INDEX dir_agency_history_oid ON dir_agency_history (oid);"
     "CREATE TABLE dir_unit ("
     " id TEXT PRIMARY KEY,"
     " agency_id TEXT NOT NULL REFERENCES dir_agency (id),"
     " parent_id TEXT REFERENCES dir_unit (id),"
     " name TEXT NOT NULL,"
     " search_key TEXT NOT NULL,"
     " created_at BIGINT NOT NULL);"
     "CREATE INDEX dir_unit_agency ON dir_unit (agency_id);"
     "CREATE TABLE dir_staff ("
     " id TEXT PRIMARY KEY,"
     " agency_id TEXT NOT NULL REFERENCES dir_agency (id),"
     " unit_id TEXT REFERENCES dir_unit (id),"
     " subject TEXT NOT NULL,"
     " name TEXT NOT NULL,"
     " search_key TEXT NOT NULL,"
     " title TEXT NOT NULL DEFAULT '',"
     " active BIGINT NOT NULL DEFAULT 1,"
     " created_at BIGINT NOT NULL,"
     " updated_at BIGINT NOT NULL,"
     " UNIQUE (agency_id, subject));"
     "CREATE INDEX dir_staff_subject ON dir_staff (subject);"
     "CREATE TABLE dir_person ("
     " id TEXT PRIMARY KEY,"
     " id_number TEXT NOT NULL UNIQUE,"
     " kind TEXT NOT NULL CHECK (kind IN ('citizen', 'foreign_resident')),"
     " name TEXT NOT NULL,"
     " search_key TEXT NOT NULL,"
     " name_latin TEXT NOT NULL DEFAULT '',"
     " nationality TEXT NOT NULL DEFAULT '',"
     " birth_date TEXT NOT NULL DEFAULT '',"
     " gender TEXT NOT NULL,"
     " address TEXT NOT NULL DEFAULT '',"
     " created_at BIGINT NOT NULL);"
     "CREATE INDEX dir_person_key ON dir_person (search_key);"
     "CREATE TABLE dir_business ("
     " id TEXT PRIMARY KEY,"
     " ban TEXT NOT NULL UNIQUE,"
     " name TEXT NOT NULL,"
     " search_key TEXT NOT NULL,"
     " representative TEXT NOT NULL DEFAULT '',"
     " address TEXT NOT NULL DEFAULT '',"
     " status TEXT NOT NULL DEFAULT 'active'"
     "  CHECK (status IN ('active', 'suspended', 'dissolved')),"
     " created_at BIGINT NOT NULL);",
     NULL},
    {2, "reads of personal records",
     "CREATE TABLE dir_read ("
     " id TEXT PRIMARY KEY,"
     " at BIGINT NOT NULL,"
     " reader TEXT NOT NULL,"
     " reader_agency TEXT NOT NULL DEFAULT '',"
     " record_kind TEXT NOT NULL CHECK (record_kind IN ('person', 'staff')),"
     " record_id TEXT NOT NULL,"
     " via TEXT NOT NULL,"
     " query TEXT NOT NULL DEFAULT '',"
     " purpose TEXT NOT NULL DEFAULT '',"
     " request_id TEXT NOT NULL DEFAULT '');"
     "CREATE INDEX dir_read_record ON dir_read (record_id, at);",
     NULL},
    {0, NULL, NULL, NULL},
};

const struct egov_db_module_migrations dir_migrations = {"directory", migration_list};

#define AGENCY_COLUMNS                                                                             \
    "a.id, COALESCE(a.code, ''), COALESCE(a.oid, ''), COALESCE(a.parent_id, ''), a.name,"          \
    " a.address, a.phone, a.dn, a.active, a.created_at, a.updated_at"

static const struct egov_db_stmt st_agency_get = {
    "dir_agency_get", "SELECT " AGENCY_COLUMNS " FROM dir_agency a WHERE a.id = $1", NULL};
static const struct egov_db_stmt st_agency_by_code = {
    "dir_agency_by_code", "SELECT " AGENCY_COLUMNS " FROM dir_agency a WHERE a.code = $1", NULL};
static const struct egov_db_stmt st_agency_by_oid = {
    "dir_agency_by_oid",
    "SELECT " AGENCY_COLUMNS ", 0 AS former FROM dir_agency a WHERE a.oid = $1"
    " UNION ALL SELECT " AGENCY_COLUMNS ", 1 AS former FROM dir_agency a"
    " WHERE a.id IN (SELECT h.agency_id FROM dir_agency_history h WHERE h.oid = $1)"
    " ORDER BY former LIMIT 1",
    NULL};
static const struct egov_db_stmt st_agency_insert = {
    "dir_agency_insert",
    "INSERT INTO dir_agency (id, code, oid, parent_id, name, search_key, address, phone, dn,"
    " active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10)",
    NULL};
static const struct egov_db_stmt st_agency_update = {
    "dir_agency_update",
    "UPDATE dir_agency SET code = $2, name = $3, search_key = $4, address = $5, phone = $6,"
    " updated_at = $7 WHERE id = $1",
    NULL};
static const struct egov_db_stmt st_history_insert = {
    "dir_history_insert",
    "INSERT INTO dir_agency_history (id, agency_id, name, search_key, oid, valid_until, source,"
    " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    " ON CONFLICT (agency_id, name, oid) DO NOTHING",
    NULL};
static const struct egov_db_stmt st_history_list = {
    "dir_history_list",
    "SELECT name, oid, valid_until, source FROM dir_agency_history WHERE agency_id = $1"
    " ORDER BY valid_until, created_at",
    NULL};
static const struct egov_db_stmt st_agency_children = {
    "dir_agency_children",
    "SELECT a.id, a.name, COALESCE(a.code, ''), COALESCE(a.oid, ''),"
    " (SELECT COUNT(*) FROM dir_agency k WHERE k.parent_id = a.id)"
    " FROM dir_agency a WHERE a.parent_id = $1"
    " ORDER BY LENGTH(COALESCE(a.oid, '')), a.oid, a.name LIMIT 5000",
    NULL};
static const struct egov_db_stmt st_agency_roots = {
    "dir_agency_roots",
    "SELECT a.id, a.name, COALESCE(a.code, ''), COALESCE(a.oid, ''),"
    " (SELECT COUNT(*) FROM dir_agency k WHERE k.parent_id = a.id)"
    " FROM dir_agency a WHERE a.parent_id IS NULL"
    " ORDER BY LENGTH(COALESCE(a.oid, '')), a.oid, a.name LIMIT 5000",
    NULL};
static const struct egov_db_stmt st_agency_search = {
    "dir_agency_search",
    "SELECT " AGENCY_COLUMNS " FROM dir_agency a WHERE a.search_key LIKE '%' || $1 || '%'"
    " OR a.id IN (SELECT h.agency_id FROM dir_agency_history h"
    "  WHERE h.search_key LIKE '%' || $1 || '%')"
    " ORDER BY LENGTH(a.name), a.name LIMIT $2",
    NULL};

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

enum egov_db_qs dir_txn(struct egov_db *db, bool write, egov_db_txn_fn fn, void *cls)
{
    return egov_db_run_txn(db, write, DIR_DB_WAIT_MS, DIR_TXN_RETRIES, fn, cls);
}

bool dir_text_ok(const char *s, size_t max, bool allow_empty)
{
    if (s == NULL)
        return allow_empty;
    size_t len = strlen(s);
    if (len == 0)
        return allow_empty;
    if (!egov_utf8_valid(s, len, NULL) || egov_utf8_length(s, len) > max)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

void dir_fill_texts(const struct egov_db_rows *r, size_t row, void *record, size_t size,
                    const struct dir_text_col *cols, size_t n)
{
    memset(record, 0, size);
    for (size_t i = 0; i < n; i++)
        egov_utf8_copy((char *)record + cols[i].offset, cols[i].size,
                       egov_db_rows_text(r, row, cols[i].col));
}

static const struct dir_text_col agency_cols[] = {
    DIR_TEXT_COL(struct egov_directory_agency, id, 0),
    DIR_TEXT_COL(struct egov_directory_agency, code, 1),
    DIR_TEXT_COL(struct egov_directory_agency, oid, 2),
    DIR_TEXT_COL(struct egov_directory_agency, parent_id, 3),
    DIR_TEXT_COL(struct egov_directory_agency, name, 4),
    DIR_TEXT_COL(struct egov_directory_agency, address, 5),
    DIR_TEXT_COL(struct egov_directory_agency, phone, 6),
    DIR_TEXT_COL(struct egov_directory_agency, dn, 7),
};

static void fill_agency(const struct egov_db_rows *r, size_t row, struct egov_directory_agency *a)
{
    dir_fill_texts(r, row, a, sizeof(*a), agency_cols, sizeof agency_cols / sizeof agency_cols[0]);
    a->active = egov_db_rows_int64(r, row, 8) != 0;
    a->created_at = egov_db_rows_int64(r, row, 9);
    a->updated_at = egov_db_rows_int64(r, row, 10);
}

static enum egov_db_qs agency_query_on(struct egov_db_conn *c, const struct egov_db_stmt *st,
                                       const char *key, struct egov_directory_agency *out)
{
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(key), EGOV_DB_PARAM_END};
    struct egov_db_rows *r = NULL;
    enum egov_db_qs qs = egov_db_query(c, st, p, &r);
    if (qs > 0) {
        fill_agency(r, 0, out);
        qs = EGOV_DB_ONE_ROW;
    }
    egov_db_rows_free(r);
    return qs;
}

enum egov_db_qs dir_agency_get_on(struct egov_db_conn *c, const char *id,
                                  struct egov_directory_agency *out)
{
    return agency_query_on(c, &st_agency_get, id, out);
}

int dir_agency_within_on(struct egov_db_conn *c, const char *id, const char *ancestor_id)
{
    struct egov_directory_agency a;
    char cur[37];
    egov_utf8_copy(cur, sizeof(cur), id);
    for (unsigned int depth = 0; depth < MAX_TREE_DEPTH && cur[0] != '\0'; depth++) {
        if (strcmp(cur, ancestor_id) == 0)
            return 1;
        enum egov_db_qs qs = dir_agency_get_on(c, cur, &a);
        if (qs < 0)
            return -1;
        if (qs == 0)
            return 0;
        egov_utf8_copy(cur, sizeof(cur), a.parent_id);
    }
    return 0;
}

struct lookup_cls {
    const struct egov_db_stmt *st;
    const char *key;
    struct egov_directory_agency *out;
};

static enum egov_db_qs lookup_body(struct egov_db_conn *c, void *cls)
{
    struct lookup_cls *l = cls;
    return agency_query_on(c, l->st, l->key, l->out);
}

static enum egov_db_qs agency_lookup(struct egov_db *db, const struct egov_db_stmt *st,
                                     const char *key, struct egov_directory_agency *out)
{
    if (key == NULL || key[0] == '\0')
        return EGOV_DB_NO_ROW;
    struct lookup_cls l = {st, key, out};
    return dir_txn(db, false, lookup_body, &l);
}

enum egov_db_qs egov_directory_agency_get(struct egov_db *db, const char *id,
                                          struct egov_directory_agency *out)
{
    if (!egov_uuid_valid(id))
        return EGOV_DB_NO_ROW;
    return agency_lookup(db, &st_agency_get, id, out);
}

enum egov_db_qs egov_directory_agency_by_code(struct egov_db *db, const char *code,
                                              struct egov_directory_agency *out)
{
    if (!egov_directory_agency_code_valid(code))
        return EGOV_DB_NO_ROW;
    return agency_lookup(db, &st_agency_by_code, code, out);
}

enum egov_db_qs egov_directory_agency_by_oid(struct egov_db *db, const char *oid,
                                             struct egov_directory_agency *out)
{
    if (!egov_oid_valid(oid))
        return EGOV_DB_NO_ROW;
    return agency_lookup(db, &st_agency_by_oid, oid, out);
}

struct within_cls {
    const char *id;
    const char *ancestor;
    int result;
};

/*
 * Writes the directory id of agency @p key (an id, or an agency code) to
 * @p id.  1 found, 0 unknown, negative on database errors.
 */
static int agency_key_on(struct egov_db_conn *c, const char *key, char id[37])
{
    struct egov_directory_agency a;
    if (egov_uuid_valid(key)) {
        egov_utf8_copy(id, 37, key);
        return 1;
    }
    if (!egov_directory_agency_code_valid(key))
        return 0;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(key), EGOV_DB_PARAM_END};
    struct egov_db_rows *r = NULL;
    enum egov_db_qs qs = egov_db_query(c, &st_agency_by_code, p, &r);
    if (qs > 0) {
        fill_agency(r, 0, &a);
        egov_utf8_copy(id, 37, a.id);
    }
    egov_db_rows_free(r);
    return qs < 0 ? -1 : qs > 0 ? 1 : 0;
}

static enum egov_db_qs within_body(struct egov_db_conn *c, void *cls)
{
    struct within_cls *w = cls;
    char id[37], ancestor[37];
    int a = agency_key_on(c, w->id, id);
    int b = a > 0 ? agency_key_on(c, w->ancestor, ancestor) : a;
    w->result = a > 0 && b > 0 ? dir_agency_within_on(c, id, ancestor) : a < 0 || b < 0 ? -1 : 0;
    return w->result < 0 ? EGOV_DB_HARD_ERROR : EGOV_DB_NO_ROW;
}

bool egov_directory_agency_is_within(struct egov_db *db, const char *id, const char *ancestor_id)
{
    if (id == NULL || ancestor_id == NULL)
        return false;
    if ((!egov_uuid_valid(id) && !egov_directory_agency_code_valid(id)) ||
        (!egov_uuid_valid(ancestor_id) && !egov_directory_agency_code_valid(ancestor_id)))
        return false;
    struct within_cls w = {id, ancestor_id, 0};
    return dir_txn(db, false, within_body, &w) >= 0 && w.result == 1;
}

enum egov_ec dir_authorize(struct egov_db *db, const struct egov_oid_actor *actor,
                           const char *action, const char *agency_id)
{
    if (actor == NULL)
        return EGOV_EC_GENERIC_UNAUTHORIZED;
    if (actor->platform_admin)
        return egov_oid_authorize_extra(actor, action, agency_id);
    if (actor->agency_id[0] == '\0' || agency_id == NULL || agency_id[0] == '\0')
        return EGOV_EC_GENERIC_FORBIDDEN;
    if (!egov_directory_agency_is_within(db, agency_id, actor->agency_id))
        return EGOV_EC_GENERIC_FORBIDDEN;
    return egov_oid_authorize_extra(actor, action, agency_id);
}

json_t *egov_directory_agency_to_json(const struct egov_directory_agency *a)
{
    char created[32], updated[32];
    egov_time_rfc3339(a->created_at, created);
    egov_time_rfc3339(a->updated_at, updated);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s}", "id", a->id, "code",
                     a->code, "oid", a->oid, "parent_id", a->parent_id, "name", a->name, "address",
                     a->address, "phone", a->phone, "dn", a->dn, "active", a->active, "created_at",
                     created, "updated_at", updated);
}

/* ------------------------------------------------------------------ */
/* Create and update                                                   */
/* ------------------------------------------------------------------ */

struct create_cls {
    const struct egov_directory_agency *in;
    char id[37];
    enum egov_ec ec;
};

static enum egov_db_qs create_body(struct egov_db_conn *c, void *cls)
{
    struct create_cls *cc = cls;
    const struct egov_directory_agency *in = cc->in;
    struct egov_directory_agency other;
    enum egov_db_qs qs;

    cc->ec = EGOV_EC_NONE;
    if (in->parent_id[0] != '\0') {
        qs = dir_agency_get_on(c, in->parent_id, &other);
        if (qs <= 0) {
            cc->ec = qs < 0 ? egov_db_qs_ec(qs) : EGOV_EC_DIRECTORY_PARENT_INVALID;
            return qs < 0 ? qs : EGOV_DB_NO_ROW;
        }
    }
    if (in->code[0] != '\0') {
        qs = agency_query_on(c, &st_agency_by_code, in->code, &other);
        if (qs != 0) {
            cc->ec = qs < 0 ? egov_db_qs_ec(qs) : EGOV_EC_DIRECTORY_EXISTS;
            return qs < 0 ? qs : EGOV_DB_NO_ROW;
        }
    }
    if (in->oid[0] != '\0') {
        qs = agency_query_on(c, &st_agency_by_oid, in->oid, &other);
        if (qs != 0) {
            cc->ec = qs < 0 ? egov_db_qs_ec(qs) : EGOV_EC_DIRECTORY_EXISTS;
            return qs < 0 ? qs : EGOV_DB_NO_ROW;
        }
    }
    char key[DIR_KEY_MAX];
    egov_oid_search_key(in->name, key, sizeof(key));
    egov_uuid7(cc->id);
    int64_t now = egov_now_us();
    struct egov_db_param p[] = {
        EGOV_DB_PARAM_TEXT(cc->id),
        EGOV_DB_PARAM_TEXT(in->code[0] != '\0' ? in->code : NULL),
        EGOV_DB_PARAM_TEXT(in->oid[0] != '\0' ? in->oid : NULL),
        EGOV_DB_PARAM_TEXT(in->parent_id[0] != '\0' ? in->parent_id : NULL),
        EGOV_DB_PARAM_TEXT(in->name),
        EGOV_DB_PARAM_TEXT(key),
        EGOV_DB_PARAM_TEXT(in->address),
        EGOV_DB_PARAM_TEXT(in->phone),
        EGOV_DB_PARAM_TEXT(in->dn),
        EGOV_DB_PARAM_INT64(now),
        EGOV_DB_PARAM_END,
    };
    qs = egov_db_exec(c, &st_agency_insert, p);
    if (qs < 0 || in->oid[0] == '\0')
        return qs;
    struct egov_oid_entry e;
    memset(&e, 0, sizeof(e));
    egov_utf8_copy(e.oid, sizeof(e.oid), in->oid);
    egov_utf8_copy(e.name, sizeof(e.name), in->name);
    egov_utf8_copy(e.agency_id, sizeof(e.agency_id), cc->id);
    egov_utf8_copy(e.created_by, sizeof(e.created_by), "directory");
    qs = egov_oid_upsert(c, &e, key);
    return qs < 0 ? qs : EGOV_DB_ONE_ROW;
}

enum egov_ec egov_directory_agency_create(struct egov_db *db, const struct egov_oid_actor *actor,
                                          const struct egov_directory_agency *in, char id_out[37])
{
    if (id_out != NULL)
        id_out[0] = '\0';
    if (!dir_text_ok(in->name, 200, false))
        return EGOV_EC_DIRECTORY_NAME_INVALID;
    if (in->code[0] != '\0' && !egov_directory_agency_code_valid(in->code))
        return EGOV_EC_DIRECTORY_AGENCY_CODE_INVALID;
    if (in->oid[0] != '\0' && (!egov_oid_valid(in->oid) || egov_oid_depth(in->oid) < 3))
        return EGOV_EC_OID_INVALID;
    if (in->parent_id[0] != '\0' && !egov_uuid_valid(in->parent_id))
        return EGOV_EC_DIRECTORY_PARENT_INVALID;
    if (!dir_text_ok(in->address, 250, true) || !dir_text_ok(in->phone, 60, true) ||
        !dir_text_ok(in->dn, 500, true))
        return EGOV_EC_GENERIC_PARAMETER_MALFORMED;
    /* an agency administrator creates agencies only below its own, and only under its own arc */
    enum egov_ec ec = dir_authorize(db, actor, "directory.agency.create", in->parent_id);
    if (ec == EGOV_EC_NONE && !actor->platform_admin && in->oid[0] != '\0')
        ec = egov_oid_authorize_arc(db, actor, "directory.agency.create", in->oid);
    if (ec != EGOV_EC_NONE)
        return ec;
    struct create_cls cc = {.in = in};
    enum egov_db_qs qs = dir_txn(db, true, create_body, &cc);
    if (qs < 0)
        return egov_db_qs_ec(qs);
    if (cc.ec != EGOV_EC_NONE)
        return cc.ec;
    if (id_out != NULL)
        egov_utf8_copy(id_out, 37, cc.id);
    return EGOV_EC_NONE;
}

struct update_cls {
    const char *id;
    const char *name;
    const char *code;
    const char *address;
    const char *phone;
    const char *effective;
    enum egov_ec ec;
};

static enum egov_db_qs update_body(struct egov_db_conn *c, void *cls)
{
    struct update_cls *u = cls;
    struct egov_directory_agency a, other;
    enum egov_db_qs qs = dir_agency_get_on(c, u->id, &a);
    u->ec = EGOV_EC_NONE;
    if (qs <= 0) {
        u->ec = qs < 0 ? egov_db_qs_ec(qs) : EGOV_EC_DIRECTORY_AGENCY_NOT_FOUND;
        return qs < 0 ? qs : EGOV_DB_NO_ROW;
    }
    if (u->code != NULL && u->code[0] != '\0' && strcmp(u->code, a.code) != 0) {
        qs = agency_query_on(c, &st_agency_by_code, u->code, &other);
        if (qs != 0) {
            u->ec = qs < 0 ? egov_db_qs_ec(qs) : EGOV_EC_DIRECTORY_EXISTS;
            return qs < 0 ? qs : EGOV_DB_NO_ROW;
        }
    }
    const char *name = u->name != NULL ? u->name : a.name;
    const char *code = u->code != NULL ? u->code : a.code;
    char key[DIR_KEY_MAX];
    egov_oid_search_key(name, key, sizeof(key));
    int64_t now = egov_now_us();
    if (strcmp(name, a.name) != 0) {
        char hid[37], okey[DIR_KEY_MAX];
        egov_uuid7(hid);
        egov_oid_search_key(a.name, okey, sizeof(okey));
        struct egov_db_param hp[] = {
            EGOV_DB_PARAM_TEXT(hid),
            EGOV_DB_PARAM_TEXT(a.id),
            EGOV_DB_PARAM_TEXT(a.name),
            EGOV_DB_PARAM_TEXT(okey),
            EGOV_DB_PARAM_TEXT(a.oid),
            EGOV_DB_PARAM_TEXT(u->effective),
            EGOV_DB_PARAM_TEXT("rename"),
            EGOV_DB_PARAM_INT64(now),
            EGOV_DB_PARAM_END,
        };
        qs = egov_db_exec(c, &st_history_insert, hp);
        if (qs < 0)
            return qs;
    }
    struct egov_db_param p[] = {
        EGOV_DB_PARAM_TEXT(a.id),
        EGOV_DB_PARAM_TEXT(code[0] != '\0' ? code : NULL),
        EGOV_DB_PARAM_TEXT(name),
        EGOV_DB_PARAM_TEXT(key),
        EGOV_DB_PARAM_TEXT(u->address != NULL ? u->address : a.address),
        EGOV_DB_PARAM_TEXT(u->phone != NULL ? u->phone : a.phone),
        EGOV_DB_PARAM_INT64(now),
        EGOV_DB_PARAM_END,
    };
    return egov_db_exec(c, &st_agency_update, p);
}

/* True if @p s is "YYYY-MM-DD". */
static bool iso_date_ok(const char *s)
{
    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (size_t i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

enum egov_ec egov_directory_agency_update(struct egov_db *db, const struct egov_oid_actor *actor,
                                          const char *id, const char *new_name, const char *code,
                                          const char *address, const char *phone,
                                          const char *effective_date)
{
    if (!egov_uuid_valid(id))
        return EGOV_EC_DIRECTORY_AGENCY_NOT_FOUND;
    if (new_name != NULL && !dir_text_ok(new_name, 200, false))
        return EGOV_EC_DIRECTORY_NAME_INVALID;
    if (code != NULL && code[0] != '\0' && !egov_directory_agency_code_valid(code))
        return EGOV_EC_DIRECTORY_AGENCY_CODE_INVALID;
    if (!dir_text_ok(address, 250, true) || !dir_text_ok(phone, 60, true))
        return EGOV_EC_GENERIC_PARAMETER_MALFORMED;
    char today[32];
    if (effective_date == NULL) {
        egov_time_rfc3339(egov_now_us(), today);
        today[10] = '\0';
        effective_date = today;
    } else if (!iso_date_ok(effective_date)) {
        return EGOV_EC_GENERIC_PARAMETER_MALFORMED;
    }
    enum egov_ec ec = dir_authorize(db, actor, "directory.agency.update", id);
    if (ec != EGOV_EC_NONE)
        return ec;
    struct update_cls u = {id, new_name, code, address, phone, effective_date, EGOV_EC_NONE};
    enum egov_db_qs qs = dir_txn(db, true, update_body, &u);
    if (qs < 0)
        return egov_db_qs_ec(qs);
    return u.ec;
}

/* ------------------------------------------------------------------ */
/* History, tree and search                                            */
/* ------------------------------------------------------------------ */

struct list_cls {
    int kind; /* 0 history, 1 children, 2 roots, 3 search, 4 path */
    const char *key;
    int64_t limit;
    json_t *result;
};

static enum egov_db_qs path_body(struct egov_db_conn *c, struct list_cls *lc)
{
    struct egov_directory_agency a;
    char cur[37];
    egov_utf8_copy(cur, sizeof(cur), lc->key);
    for (unsigned int depth = 0; depth < MAX_TREE_DEPTH && cur[0] != '\0'; depth++) {
        enum egov_db_qs qs = dir_agency_get_on(c, cur, &a);
        if (qs < 0)
            return qs;
        if (qs == 0)
            return depth == 0 ? EGOV_DB_NO_ROW : EGOV_DB_HARD_ERROR;
        json_array_insert_new(
            lc->result, 0, json_pack("{s:s, s:s, s:s}", "id", a.id, "name", a.name, "oid", a.oid));
        egov_utf8_copy(cur, sizeof(cur), a.parent_id);
    }
    return EGOV_DB_ONE_ROW;
}

static enum egov_db_qs list_body(struct egov_db_conn *c, void *cls)
{
    struct list_cls *lc = cls;
    struct egov_db_rows *r = NULL;
    enum egov_db_qs qs;

    json_decref(lc->result);
    lc->result = json_array();
    if (lc->result == NULL)
        return EGOV_DB_HARD_ERROR;
    if (lc->kind == 4)
        return path_body(c, lc);
    struct egov_db_param p1[] = {EGOV_DB_PARAM_TEXT(lc->key), EGOV_DB_PARAM_END};
    struct egov_db_param p2[] = {EGOV_DB_PARAM_TEXT(lc->key), EGOV_DB_PARAM_INT64(lc->limit),
                                 EGOV_DB_PARAM_END};
    switch (lc->kind) {
    case 0:
        qs = egov_db_query(c, &st_history_list, p1, &r);
        break;
    case 1:
        qs = egov_db_query(c, &st_agency_children, p1, &r);
        break;
    case 2:
        qs = egov_db_query(c, &st_agency_roots, NULL, &r);
        break;
    default:
        qs = egov_db_query(c, &st_agency_search, p2, &r);
        break;
    }
    if (qs < 0)
        return qs;
    for (size_t i = 0; i < egov_db_rows_count(r); i++) {
        json_t *o;
        if (lc->kind == 0) {
            o = json_pack("{s:s, s:s, s:s, s:s}", "name", egov_db_rows_text(r, i, 0), "oid",
                          egov_db_rows_text(r, i, 1), "valid_until", egov_db_rows_text(r, i, 2),
                          "source", egov_db_rows_text(r, i, 3));
        } else if (lc->kind == 3) {
            struct egov_directory_agency a;
            fill_agency(r, i, &a);
            o = egov_directory_agency_to_json(&a);
        } else {
            o = json_pack("{s:s, s:s, s:s, s:s, s:I}", "id", egov_db_rows_text(r, i, 0), "name",
                          egov_db_rows_text(r, i, 1), "code", egov_db_rows_text(r, i, 2), "oid",
                          egov_db_rows_text(r, i, 3), "children",
                          (json_int_t)egov_db_rows_int64(r, i, 4));
        }
        if (o == NULL || json_array_append_new(lc->result, o) != 0) {
            egov_db_rows_free(r);
            return EGOV_DB_HARD_ERROR;
        }
    }
    egov_db_rows_free(r);
    return EGOV_DB_ONE_ROW;
}

static enum egov_ec run_list(struct egov_db *db, struct list_cls *lc, json_t **out)
{
    enum egov_db_qs qs = dir_txn(db, false, list_body, lc);
    if (qs < 0) {
        json_decref(lc->result);
        return egov_db_qs_ec(qs);
    }
    if (qs == 0 && lc->kind == 4) {
        json_decref(lc->result);
        return EGOV_EC_DIRECTORY_AGENCY_NOT_FOUND;
    }
    *out = lc->result;
    return EGOV_EC_NONE;
}

enum egov_ec egov_directory_agency_history(struct egov_db *db, const char *id, json_t **out)
{
    *out = NULL;
    if (!egov_uuid_valid(id))
        return EGOV_EC_DIRECTORY_AGENCY_NOT_FOUND;
    struct list_cls lc = {0, id, 0, NULL};
    return run_list(db, &lc, out);
}

enum egov_ec egov_directory_agency_children(struct egov_db *db, const char *parent_id, json_t **out)
{
    *out = NULL;
    bool roots = parent_id == NULL || parent_id[0] == '\0';
    if (!roots && !egov_uuid_valid(parent_id))
        return EGOV_EC_DIRECTORY_AGENCY_NOT_FOUND;
    struct list_cls lc = {roots ? 2 : 1, parent_id, 0, NULL};
    return run_list(db, &lc, out);
}

enum egov_ec egov_directory_agency_path(struct egov_db *db, const char *id, json_t **out)
{
    *out = NULL;
    if (!egov_uuid_valid(id))
        return EGOV_EC_DIRECTORY_AGENCY_NOT_FOUND;
    struct list_cls lc = {4, id, 0, NULL};
    return run_list(db, &lc, out);
}

enum egov_ec egov_directory_agency_search(struct egov_db *db, const char *query, unsigned int limit,
                                          json_t **out)
{
    *out = NULL;
    if (query == NULL || limit < 1 || limit > 500)
        return EGOV_EC_GENERIC_PARAMETER_MALFORMED;
    char key[DIR_KEY_MAX];
    egov_oid_search_key(query, key, sizeof(key));
    if (key[0] == '\0')
        return EGOV_EC_GENERIC_PARAMETER_MALFORMED;
    struct list_cls lc = {3, key, limit, NULL};
    return run_list(db, &lc, out);
}
