/*
 * people.c -- units and staff of agencies; citizens, foreign residents
 * and businesses.
 */
#include <stdio.h>
#include <string.h>

#include "directory/directory_int.h"

static const struct egov_db_stmt st_unit_get = {
    "dir_unit_get", "SELECT agency_id FROM dir_unit WHERE id = $1", NULL};
static const struct egov_db_stmt st_unit_insert = {
    "dir_unit_insert",
    "INSERT INTO dir_unit (id, agency_id, parent_id, name, search_key, created_at)"
    " VALUES ($1, $2, $3, $4, $5, $6)",
    NULL};
static const struct egov_db_stmt st_unit_list = {
    "dir_unit_list",
    "SELECT id, name, COALESCE(parent_id, '') FROM dir_unit WHERE agency_id = $1"
    " ORDER BY name LIMIT 5000",
    NULL};
static const struct egov_db_stmt st_staff_find = {
    "dir_staff_find", "SELECT id FROM dir_staff WHERE agency_id = $1 AND subject = $2", NULL};
static const struct egov_db_stmt st_staff_insert = {
    "dir_staff_insert",
    "INSERT INTO dir_staff (id, agency_id, unit_id, subject, name, search_key, title, active,"
    " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8)",
    NULL};
static const struct egov_db_stmt st_staff_reactivate = {
    "dir_staff_reactivate",
    "UPDATE dir_staff SET unit_id = $2, name = $3, search_key = $4, title = $5, active = 1,"
    " updated_at = $6 WHERE id = $1",
    NULL};
static const struct egov_db_stmt st_staff_agency = {
    "dir_staff_agency", "SELECT agency_id FROM dir_staff WHERE id = $1", NULL};
static const struct egov_db_stmt st_staff_deactivate = {
    "dir_staff_deactivate", "UPDATE dir_staff SET active = 0, updated_at = $2 WHERE id = $1", NULL};
static const struct egov_db_stmt st_staff_list = {
    "dir_staff_list",
    "SELECT id, subject, name, title, COALESCE(unit_id, '') FROM dir_staff"
    " WHERE agency_id = $1 AND active = 1 ORDER BY name LIMIT 5000",
    NULL};
static const struct egov_db_stmt st_staff_of = {
    "dir_staff_of",
    "SELECT s.id, s.agency_id, a.name, COALESCE(s.unit_id, ''), s.title FROM dir_staff s"
    " JOIN dir_agency a ON a.id = s.agency_id WHERE s.subject = $1 AND s.active = 1"
    " ORDER BY a.name LIMIT 500",
    NULL};

#define PERSON_COLUMNS                                                                             \
    "id, id_number, kind, name, name_latin, nationality, birth_date, gender, address, created_at"

static const struct egov_db_stmt st_person_insert = {
    "dir_person_insert",
    "INSERT INTO dir_person (id, id_number, kind, name, search_key, name_latin, nationality,"
    " birth_date, gender, address, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
    " $11) ON CONFLICT (id_number) DO NOTHING",
    NULL};
static const struct egov_db_stmt st_person_get = {
    "dir_person_get", "SELECT " PERSON_COLUMNS " FROM dir_person WHERE id = $1", NULL};
static const struct egov_db_stmt st_person_by_number = {
    "dir_person_by_number", "SELECT " PERSON_COLUMNS " FROM dir_person WHERE id_number = $1", NULL};
static const struct egov_db_stmt st_person_search = {
    "dir_person_search",
    "SELECT " PERSON_COLUMNS " FROM dir_person WHERE search_key LIKE '%' || $1 || '%'"
    " ORDER BY name LIMIT $2",
    NULL};

#define BUSINESS_COLUMNS "id, ban, name, representative, address, status, created_at"

static const struct egov_db_stmt st_business_insert = {
    "dir_business_insert",
    "INSERT INTO dir_business (id, ban, name, search_key, representative, address, status,"
    " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (ban) DO NOTHING",
    NULL};
static const struct egov_db_stmt st_business_by_ban = {
    "dir_business_by_ban", "SELECT " BUSINESS_COLUMNS " FROM dir_business WHERE ban = $1", NULL};
static const struct egov_db_stmt st_business_search = {
    "dir_business_search",
    "SELECT " BUSINESS_COLUMNS " FROM dir_business WHERE search_key LIKE '%' || $1 || '%'"
    " ORDER BY name LIMIT $2",
    NULL};

/* A generic one-statement write whose single row-count tells the outcome. */
struct exec_cls {
    const struct egov_db_stmt *st;
    const struct egov_db_param *params;
};

static enum egov_db_qs exec_body(struct egov_db_conn *c, void *cls)
{
    struct exec_cls *e = cls;
    return egov_db_exec(c, e->st, e->params);
}

/*
 * Inserts a new record with @p st (ON CONFLICT DO NOTHING) in its own
 * transaction; EXISTS if it was there already, else its @p id into
 * @p id_out (may be NULL).
 */
static enum egov_ec insert_new(struct egov_db *db, const struct egov_db_stmt *st,
                               const struct egov_db_param *params, const char *id, char id_out[37])
{
    struct exec_cls e = {st, params};
    enum egov_db_qs qs = dir_txn(db, true, exec_body, &e);
    if (qs < 0)
        return egov_db_qs_ec(qs);
    if (qs == 0)
        return EGOV_EC_DIRECTORY_EXISTS;
    if (id_out != NULL)
        egov_utf8_copy(id_out, 37, id);
    return EGOV_EC_NONE;
}

/*
 * Runs a query returning rows into a JSON array built by @p row_fn.  With
 * @p audit set, every row is also recorded as a read of the record whose
 * id is in its first column, in the same (then writing) transaction.
 */
struct rows_cls {
    const struct egov_db_stmt *st;
    const struct egov_db_param *params;
    json_t *(*row_fn)(const struct egov_db_rows *r, size_t i);
    json_t *result;
    struct dir_read_ctx *audit;
};

static enum egov_db_qs rows_body(struct egov_db_conn *c, void *cls)
{
    struct rows_cls *rc = cls;
    struct egov_db_rows *r = NULL;
    if (rc->audit != NULL)
        rc->audit->failed = false;
    enum egov_db_qs qs = egov_db_query(c, rc->st, rc->params, &r);
    if (qs < 0)
        return qs;
    json_decref(rc->result);
    rc->result = json_array();
    for (size_t i = 0; rc->result != NULL && i < egov_db_rows_count(r); i++) {
        json_t *o = rc->row_fn(r, i);
        if (o == NULL || json_array_append_new(rc->result, o) != 0) {
            json_decref(rc->result);
            rc->result = NULL;
        }
    }
    qs = rc->result == NULL ? EGOV_DB_HARD_ERROR : EGOV_DB_ONE_ROW;
    for (size_t i = 0; qs > 0 && rc->audit != NULL && i < egov_db_rows_count(r); i++) {
        enum egov_db_qs aq = dir_read_record_on(c, rc->audit, egov_db_rows_text(r, i, 0));
        if (aq < 0)
            qs = aq;
    }
    egov_db_rows_free(r);
    return qs;
}

static enum egov_ec run_rows(struct egov_db *db, struct rows_cls *rc, json_t **out)
{
    *out = NULL;
    enum egov_db_qs qs = dir_txn(db, rc->audit != NULL, rows_body, rc);
    if (qs < 0) {
        json_decref(rc->result);
        rc->result = NULL;
        return rc->audit != NULL && rc->audit->failed ? EGOV_EC_DIRECTORY_READ_AUDIT_FAILED
                                                      : egov_db_qs_ec(qs);
    }
    *out = rc->result;
    return EGOV_EC_NONE;
}

/* ------------------------------------------------------------------ */
/* Units                                                               */
/* ------------------------------------------------------------------ */

struct unit_cls {
    const char *agency_id;
    const char *parent_unit_id;
    const char *name;
    char id[37];
    enum egov_ec ec;
};

static enum egov_db_qs unit_body(struct egov_db_conn *c, void *cls)
{
    struct unit_cls *u = cls;
    struct egov_directory_agency a;
    u->ec = EGOV_EC_NONE;
    enum egov_db_qs qs = dir_agency_get_on(c, u->agency_id, &a);
    if (qs <= 0) {
        u->ec = qs < 0 ? egov_db_qs_ec(qs) : EGOV_EC_DIRECTORY_AGENCY_NOT_FOUND;
        return qs < 0 ? qs : EGOV_DB_NO_ROW;
    }
    if (u->parent_unit_id != NULL) {
        struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(u->parent_unit_id), EGOV_DB_PARAM_END};
        struct egov_db_rows *r = NULL;
        qs = egov_db_query(c, &st_unit_get, p, &r);
        bool same = qs > 0 && strcmp(egov_db_rows_text(r, 0, 0), u->agency_id) == 0;
        egov_db_rows_free(r);
        if (qs < 0)
            return qs;
        if (!same) {
            u->ec = EGOV_EC_DIRECTORY_PARENT_INVALID;
            return EGOV_DB_NO_ROW;
        }
    }
    char key[DIR_KEY_MAX];
    egov_oid_search_key(u->name, key, sizeof(key));
    egov_uuid7(u->id);
    struct egov_db_param p[] = {
        EGOV_DB_PARAM_TEXT(u->id),
        EGOV_DB_PARAM_TEXT(u->agency_id),
        EGOV_DB_PARAM_TEXT(u->parent_unit_id),
        EGOV_DB_PARAM_TEXT(u->name),
        EGOV_DB_PARAM_TEXT(key),
        EGOV_DB_PARAM_INT64(egov_now_us()),
        EGOV_DB_PARAM_END,
    };
    return egov_db_exec(c, &st_unit_insert, p);
}

enum egov_ec egov_directory_unit_create(struct egov_db *db, const struct egov_oid_actor *actor,
                                        const char *agency_id, const char *parent_unit_id,
                                        const char *name, char id_out[37])
{
    if (id_out != NULL)
        id_out[0] = '\0';
    if (!egov_uuid_valid(agency_id))
        return EGOV_EC_DIRECTORY_AGENCY_NOT_FOUND;
    if (parent_unit_id != NULL && parent_unit_id[0] == '\0')
        parent_unit_id = NULL;
    if (parent_unit_id != NULL && !egov_uuid_valid(parent_unit_id))
        return EGOV_EC_DIRECTORY_PARENT_INVALID;
    if (!dir_text_ok(name, 200, false))
        return EGOV_EC_DIRECTORY_NAME_INVALID;
    enum egov_ec ec = dir_authorize(db, actor, "directory.unit.create", agency_id);
    if (ec != EGOV_EC_NONE)
        return ec;
    struct unit_cls u = {agency_id, parent_unit_id, name, "", EGOV_EC_NONE};
    enum egov_db_qs qs = dir_txn(db, true, unit_body, &u);
    if (qs < 0)
        return egov_db_qs_ec(qs);
    if (u.ec == EGOV_EC_NONE && id_out != NULL)
        egov_utf8_copy(id_out, 37, u.id);
    return u.ec;
}

static json_t *unit_row(const struct egov_db_rows *r, size_t i)
{
    return json_pack("{s:s, s:s, s:s}", "id", egov_db_rows_text(r, i, 0), "name",
                     egov_db_rows_text(r, i, 1), "parent_id", egov_db_rows_text(r, i, 2));
}

enum egov_ec egov_directory_unit_list(struct egov_db *db, const char *agency_id, json_t **out)
{
    *out = NULL;
    if (!egov_uuid_valid(agency_id))
        return EGOV_EC_DIRECTORY_AGENCY_NOT_FOUND;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(agency_id), EGOV_DB_PARAM_END};
    struct rows_cls rc = {&st_unit_list, p, unit_row, NULL, NULL};
    return run_rows(db, &rc, out);
}

/* ------------------------------------------------------------------ */
/* Staff                                                               */
/* ------------------------------------------------------------------ */

struct staff_cls {
    const char *agency_id;
    const char *unit_id;
    const char *subject;
    const char *name;
    const char *title;
    char id[37];
    enum egov_ec ec;
};

static enum egov_db_qs staff_body(struct egov_db_conn *c, void *cls)
{
    struct staff_cls *s = cls;
    struct egov_directory_agency a;
    struct egov_db_rows *r = NULL;
    s->ec = EGOV_EC_NONE;
    enum egov_db_qs qs = dir_agency_get_on(c, s->agency_id, &a);
    if (qs <= 0) {
        s->ec = qs < 0 ? egov_db_qs_ec(qs) : EGOV_EC_DIRECTORY_AGENCY_NOT_FOUND;
        return qs < 0 ? qs : EGOV_DB_NO_ROW;
    }
    if (s->unit_id != NULL) {
        struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(s->unit_id), EGOV_DB_PARAM_END};
        qs = egov_db_query(c, &st_unit_get, p, &r);
        bool same = qs > 0 && strcmp(egov_db_rows_text(r, 0, 0), s->agency_id) == 0;
        egov_db_rows_free(r);
        r = NULL;
        if (qs < 0)
            return qs;
        if (!same) {
            s->ec = EGOV_EC_DIRECTORY_NOT_FOUND;
            return EGOV_DB_NO_ROW;
        }
    }
    char key[DIR_KEY_MAX];
    egov_oid_search_key(s->name, key, sizeof(key));
    int64_t now = egov_now_us();
    struct egov_db_param fp[] = {EGOV_DB_PARAM_TEXT(s->agency_id), EGOV_DB_PARAM_TEXT(s->subject),
                                 EGOV_DB_PARAM_END};
    qs = egov_db_query(c, &st_staff_find, fp, &r);
    if (qs < 0)
        return qs;
    if (qs > 0) {
        egov_utf8_copy(s->id, sizeof(s->id), egov_db_rows_text(r, 0, 0));
        egov_db_rows_free(r);
        struct egov_db_param p[] = {
            EGOV_DB_PARAM_TEXT(s->id), EGOV_DB_PARAM_TEXT(s->unit_id), EGOV_DB_PARAM_TEXT(s->name),
            EGOV_DB_PARAM_TEXT(key),   EGOV_DB_PARAM_TEXT(s->title),   EGOV_DB_PARAM_INT64(now),
            EGOV_DB_PARAM_END,
        };
        return egov_db_exec(c, &st_staff_reactivate, p);
    }
    egov_db_rows_free(r);
    egov_uuid7(s->id);
    struct egov_db_param p[] = {
        EGOV_DB_PARAM_TEXT(s->id),
        EGOV_DB_PARAM_TEXT(s->agency_id),
        EGOV_DB_PARAM_TEXT(s->unit_id),
        EGOV_DB_PARAM_TEXT(s->subject),
        EGOV_DB_PARAM_TEXT(s->name),
        EGOV_DB_PARAM_TEXT(key),
        EGOV_DB_PARAM_TEXT(s->title),
        EGOV_DB_PARAM_INT64(now),
        EGOV_DB_PARAM_END,
    };
    return egov_db_exec(c, &st_staff_insert, p);
}

enum egov_ec egov_directory_staff_add(struct egov_db *db, const struct egov_oid_actor *actor,
                                      const char *agency_id, const char *unit_id,
                                      const char *subject, const char *name, const char *title,
                                      char id_out[37])
{
    if (id_out != NULL)
        id_out[0] = '\0';
    if (!egov_uuid_valid(agency_id))
        return EGOV_EC_DIRECTORY_AGENCY_NOT_FOUND;
    if (unit_id != NULL && unit_id[0] == '\0')
        unit_id = NULL;
    if (unit_id != NULL && !egov_uuid_valid(unit_id))
        return EGOV_EC_DIRECTORY_NOT_FOUND;
    if (!dir_text_ok(subject, 120, false) || !dir_text_ok(title, 100, true))
        return EGOV_EC_GENERIC_PARAMETER_MALFORMED;
    if (!dir_text_ok(name, 200, false))
        return EGOV_EC_DIRECTORY_NAME_INVALID;
    enum egov_ec ec = dir_authorize(db, actor, "directory.staff.write", agency_id);
    if (ec != EGOV_EC_NONE)
        return ec;
    struct staff_cls s = {agency_id, unit_id,     subject, name, title != NULL ? title : "",
                          "",        EGOV_EC_NONE};
    enum egov_db_qs qs = dir_txn(db, true, staff_body, &s);
    if (qs < 0)
        return egov_db_qs_ec(qs);
    if (s.ec == EGOV_EC_NONE && id_out != NULL)
        egov_utf8_copy(id_out, 37, s.id);
    return s.ec;
}

struct staff_rm_cls {
    const char *staff_id;
    char agency_id[37];
    bool found;
};

static enum egov_db_qs staff_agency_body(struct egov_db_conn *c, void *cls)
{
    struct staff_rm_cls *s = cls;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(s->staff_id), EGOV_DB_PARAM_END};
    struct egov_db_rows *r = NULL;
    enum egov_db_qs qs = egov_db_query(c, &st_staff_agency, p, &r);
    s->found = qs > 0;
    if (s->found)
        egov_utf8_copy(s->agency_id, sizeof(s->agency_id), egov_db_rows_text(r, 0, 0));
    egov_db_rows_free(r);
    return qs;
}

enum egov_ec egov_directory_staff_remove(struct egov_db *db, const struct egov_oid_actor *actor,
                                         const char *staff_id)
{
    if (!egov_uuid_valid(staff_id))
        return EGOV_EC_DIRECTORY_NOT_FOUND;
    struct staff_rm_cls s = {staff_id, "", false};
    enum egov_db_qs qs = dir_txn(db, false, staff_agency_body, &s);
    if (qs < 0)
        return egov_db_qs_ec(qs);
    if (!s.found)
        return EGOV_EC_DIRECTORY_NOT_FOUND;
    enum egov_ec ec = dir_authorize(db, actor, "directory.staff.write", s.agency_id);
    if (ec != EGOV_EC_NONE)
        return ec;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(staff_id), EGOV_DB_PARAM_INT64(egov_now_us()),
                                EGOV_DB_PARAM_END};
    struct exec_cls e = {&st_staff_deactivate, p};
    qs = dir_txn(db, true, exec_body, &e);
    if (qs < 0)
        return egov_db_qs_ec(qs);
    return qs == 0 ? EGOV_EC_DIRECTORY_NOT_FOUND : EGOV_EC_NONE;
}

static json_t *staff_row(const struct egov_db_rows *r, size_t i)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", egov_db_rows_text(r, i, 0), "subject",
                     egov_db_rows_text(r, i, 1), "name", egov_db_rows_text(r, i, 2), "title",
                     egov_db_rows_text(r, i, 3), "unit_id", egov_db_rows_text(r, i, 4));
}

static enum egov_ec staff_list(struct egov_db *db, struct dir_read_ctx *audit,
                               const char *agency_id, json_t **out)
{
    *out = NULL;
    if (!egov_uuid_valid(agency_id))
        return EGOV_EC_DIRECTORY_AGENCY_NOT_FOUND;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(agency_id), EGOV_DB_PARAM_END};
    struct rows_cls rc = {&st_staff_list, p, staff_row, NULL, audit};
    return run_rows(db, &rc, out);
}

enum egov_ec egov_directory_staff_list(struct egov_db *db, const char *agency_id, json_t **out)
{
    return staff_list(db, NULL, agency_id, out);
}

enum egov_ec egov_directory_staff_list_read(struct egov_db *db,
                                            const struct egov_directory_reader *reader,
                                            const char *agency_id, json_t **out)
{
    struct dir_read_ctx audit = {reader, "staff", "staff", "", false};
    return staff_list(db, &audit, agency_id, out);
}

static json_t *staff_of_row(const struct egov_db_rows *r, size_t i)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "staff_id", egov_db_rows_text(r, i, 0),
                     "agency_id", egov_db_rows_text(r, i, 1), "agency_name",
                     egov_db_rows_text(r, i, 2), "unit_id", egov_db_rows_text(r, i, 3), "title",
                     egov_db_rows_text(r, i, 4));
}

static enum egov_ec staff_of(struct egov_db *db, struct dir_read_ctx *audit, const char *subject,
                             json_t **out)
{
    *out = NULL;
    if (!dir_text_ok(subject, 120, false))
        return EGOV_EC_GENERIC_PARAMETER_MALFORMED;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(subject), EGOV_DB_PARAM_END};
    struct rows_cls rc = {&st_staff_of, p, staff_of_row, NULL, audit};
    return run_rows(db, &rc, out);
}

enum egov_ec egov_directory_staff_of(struct egov_db *db, const char *subject, json_t **out)
{
    return staff_of(db, NULL, subject, out);
}

enum egov_ec egov_directory_staff_of_read(struct egov_db *db,
                                          const struct egov_directory_reader *reader,
                                          const char *subject, json_t **out)
{
    struct dir_read_ctx audit = {reader, "staff", "staff-of", "", false};
    bool own = reader != NULL && subject != NULL && strcmp(reader->subject, subject) == 0;
    return staff_of(db, own ? NULL : &audit, subject, out);
}

/* ------------------------------------------------------------------ */
/* Persons                                                             */
/* ------------------------------------------------------------------ */

/* True if @p s is empty or "YYYY-MM-DD" with plausible numbers. */
static bool date_ok(const char *s)
{
    if (s[0] == '\0')
        return true;
    int y, m, d;
    char tail;
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
        sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
        return false;
    return y >= 1850 && y <= 2200 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

static bool upper_alpha3(const char *s)
{
    return strlen(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' &&
           s[2] >= 'A' && s[2] <= 'Z';
}

enum egov_ec egov_directory_person_add(struct egov_db *db, const struct egov_directory_person *p,
                                       char id_out[37])
{
    if (id_out != NULL)
        id_out[0] = '\0';
    enum egov_directory_id_kind kind = egov_directory_id_check(p->id_number);
    if (kind == EGOV_DIRECTORY_ID_INVALID)
        return EGOV_EC_DIRECTORY_ID_INVALID;
    if (!dir_text_ok(p->name, 200, false))
        return EGOV_EC_DIRECTORY_NAME_INVALID;
    bool citizen = kind == EGOV_DIRECTORY_ID_NATIONAL;
    const char *nationality = citizen ? "TWN" : p->nationality;
    if (!dir_text_ok(p->name_latin, 200, true) || !dir_text_ok(p->address, 250, true) ||
        !date_ok(p->birth_date) ||
        (!citizen && nationality[0] != '\0' && !upper_alpha3(nationality)))
        return EGOV_EC_GENERIC_PARAMETER_MALFORMED;
    char key[DIR_KEY_MAX * 2], gender[2] = {egov_directory_id_gender(p->id_number), '\0'};
    char k1[DIR_KEY_MAX], k2[DIR_KEY_MAX];
    egov_oid_search_key(p->name, k1, sizeof(k1));
    egov_oid_search_key(p->name_latin, k2, sizeof(k2));
    snprintf(key, sizeof(key), "%s %s", k1, k2);
    char id[37];
    egov_uuid7(id);
    struct egov_db_param params[] = {
        EGOV_DB_PARAM_TEXT(id),
        EGOV_DB_PARAM_TEXT(p->id_number),
        EGOV_DB_PARAM_TEXT(citizen ? "citizen" : "foreign_resident"),
        EGOV_DB_PARAM_TEXT(p->name),
        EGOV_DB_PARAM_TEXT(key),
        EGOV_DB_PARAM_TEXT(p->name_latin),
        EGOV_DB_PARAM_TEXT(nationality),
        EGOV_DB_PARAM_TEXT(p->birth_date),
        EGOV_DB_PARAM_TEXT(gender),
        EGOV_DB_PARAM_TEXT(p->address),
        EGOV_DB_PARAM_INT64(egov_now_us()),
        EGOV_DB_PARAM_END,
    };
    return insert_new(db, &st_person_insert, params, id, id_out);
}

static const struct dir_text_col person_cols[] = {
    DIR_TEXT_COL(struct egov_directory_person, id, 0),
    DIR_TEXT_COL(struct egov_directory_person, id_number, 1),
    DIR_TEXT_COL(struct egov_directory_person, kind, 2),
    DIR_TEXT_COL(struct egov_directory_person, name, 3),
    DIR_TEXT_COL(struct egov_directory_person, name_latin, 4),
    DIR_TEXT_COL(struct egov_directory_person, nationality, 5),
    DIR_TEXT_COL(struct egov_directory_person, birth_date, 6),
    DIR_TEXT_COL(struct egov_directory_person, address, 8),
};

static void fill_person(const struct egov_db_rows *r, size_t i, struct egov_directory_person *p)
{
    dir_fill_texts(r, i, p, sizeof(*p), person_cols, sizeof person_cols / sizeof person_cols[0]);
    const char *g = egov_db_rows_text(r, i, 7);
    p->gender = g != NULL && g[0] != '\0' ? g[0] : '?';
    p->created_at = egov_db_rows_int64(r, i, 9);
}

struct person_cls {
    const struct egov_db_stmt *st;
    const char *key;
    struct egov_directory_person *out;
    struct dir_read_ctx *audit; /* NULL: not recorded */
};

static enum egov_db_qs person_body(struct egov_db_conn *c, void *cls)
{
    struct person_cls *pc = cls;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(pc->key), EGOV_DB_PARAM_END};
    struct egov_db_rows *r = NULL;
    if (pc->audit != NULL)
        pc->audit->failed = false;
    enum egov_db_qs qs = egov_db_query(c, pc->st, p, &r);
    if (qs > 0) {
        fill_person(r, 0, pc->out);
        qs = EGOV_DB_ONE_ROW;
        if (pc->audit != NULL)
            qs = dir_read_record_on(c, pc->audit, pc->out->id);
    }
    egov_db_rows_free(r);
    return qs < 0 ? qs : qs > 0 ? EGOV_DB_ONE_ROW : EGOV_DB_NO_ROW;
}

enum egov_db_qs egov_directory_person_get(struct egov_db *db, const char *id,
                                          struct egov_directory_person *out)
{
    if (!egov_uuid_valid(id))
        return EGOV_DB_NO_ROW;
    struct person_cls pc = {&st_person_get, id, out, NULL};
    return dir_txn(db, false, person_body, &pc);
}

enum egov_db_qs egov_directory_person_by_id_number(struct egov_db *db, const char *id_number,
                                                   struct egov_directory_person *out)
{
    if (egov_directory_id_check(id_number) == EGOV_DIRECTORY_ID_INVALID)
        return EGOV_DB_NO_ROW;
    struct person_cls pc = {&st_person_by_number, id_number, out, NULL};
    return dir_txn(db, false, person_body, &pc);
}

enum egov_ec egov_directory_person_read(struct egov_db *db,
                                        const struct egov_directory_reader *reader,
                                        const char *id_number, struct egov_directory_person *out)
{
    if (egov_directory_id_check(id_number) == EGOV_DIRECTORY_ID_INVALID)
        return EGOV_EC_DIRECTORY_ID_INVALID;
    struct dir_read_ctx audit = {reader, "person", "get", "", false};
    struct person_cls pc = {&st_person_by_number, id_number, out, &audit};
    enum egov_db_qs qs = dir_txn(db, true, person_body, &pc);
    if (qs < 0)
        return audit.failed ? EGOV_EC_DIRECTORY_READ_AUDIT_FAILED : egov_db_qs_ec(qs);
    return qs == 0 ? EGOV_EC_DIRECTORY_NOT_FOUND : EGOV_EC_NONE;
}

json_t *egov_directory_person_to_json(const struct egov_directory_person *p)
{
    char created[32], gender[2] = {p->gender, '\0'};
    egov_time_rfc3339(p->created_at, created);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", p->id, "id_number",
                     p->id_number, "kind", p->kind, "name", p->name, "name_latin", p->name_latin,
                     "nationality", p->nationality, "birth_date", p->birth_date, "gender", gender,
                     "address", p->address, "created_at", created);
}

/* ------------------------------------------------------------------ */
/* Businesses                                                          */
/* ------------------------------------------------------------------ */

enum egov_ec egov_directory_business_add(struct egov_db *db,
                                         const struct egov_directory_business *b, char id_out[37])
{
    if (id_out != NULL)
        id_out[0] = '\0';
    if (!egov_directory_ban_valid(b->ban))
        return EGOV_EC_DIRECTORY_BAN_INVALID;
    if (!dir_text_ok(b->name, 200, false))
        return EGOV_EC_DIRECTORY_NAME_INVALID;
    const char *status = b->status[0] != '\0' ? b->status : "active";
    if (!dir_text_ok(b->representative, 200, true) || !dir_text_ok(b->address, 250, true) ||
        (strcmp(status, "active") != 0 && strcmp(status, "suspended") != 0 &&
         strcmp(status, "dissolved") != 0))
        return EGOV_EC_GENERIC_PARAMETER_MALFORMED;
    char key[DIR_KEY_MAX], id[37];
    egov_oid_search_key(b->name, key, sizeof(key));
    egov_uuid7(id);
    struct egov_db_param params[] = {
        EGOV_DB_PARAM_TEXT(id),
        EGOV_DB_PARAM_TEXT(b->ban),
        EGOV_DB_PARAM_TEXT(b->name),
        EGOV_DB_PARAM_TEXT(key),
        EGOV_DB_PARAM_TEXT(b->representative),
        EGOV_DB_PARAM_TEXT(b->address),
        EGOV_DB_PARAM_TEXT(status),
        EGOV_DB_PARAM_INT64(egov_now_us()),
        EGOV_DB_PARAM_END,
    };
    return insert_new(db, &st_business_insert, params, id, id_out);
}

static const struct dir_text_col business_cols[] = {
    DIR_TEXT_COL(struct egov_directory_business, id, 0),
    DIR_TEXT_COL(struct egov_directory_business, ban, 1),
    DIR_TEXT_COL(struct egov_directory_business, name, 2),
    DIR_TEXT_COL(struct egov_directory_business, representative, 3),
    DIR_TEXT_COL(struct egov_directory_business, address, 4),
    DIR_TEXT_COL(struct egov_directory_business, status, 5),
};

static void fill_business(const struct egov_db_rows *r, size_t i, struct egov_directory_business *b)
{
    dir_fill_texts(r, i, b, sizeof(*b), business_cols,
                   sizeof business_cols / sizeof business_cols[0]);
    b->created_at = egov_db_rows_int64(r, i, 6);
}

struct business_cls {
    const char *ban;
    struct egov_directory_business *out;
};

static enum egov_db_qs business_body(struct egov_db_conn *c, void *cls)
{
    struct business_cls *bc = cls;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(bc->ban), EGOV_DB_PARAM_END};
    struct egov_db_rows *r = NULL;
    enum egov_db_qs qs = egov_db_query(c, &st_business_by_ban, p, &r);
    if (qs > 0) {
        fill_business(r, 0, bc->out);
        qs = EGOV_DB_ONE_ROW;
    }
    egov_db_rows_free(r);
    return qs;
}

enum egov_db_qs egov_directory_business_by_ban(struct egov_db *db, const char *ban,
                                               struct egov_directory_business *out)
{
    if (!egov_directory_ban_valid(ban))
        return EGOV_DB_NO_ROW;
    struct business_cls bc = {ban, out};
    return dir_txn(db, false, business_body, &bc);
}

json_t *egov_directory_business_to_json(const struct egov_directory_business *b)
{
    char created[32];
    egov_time_rfc3339(b->created_at, created);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", b->id, "ban", b->ban, "name",
                     b->name, "representative", b->representative, "address", b->address, "status",
                     b->status, "created_at", created);
}

static json_t *person_row(const struct egov_db_rows *r, size_t i)
{
    struct egov_directory_person p;
    fill_person(r, i, &p);
    return egov_directory_person_to_json(&p);
}

static json_t *business_row(const struct egov_db_rows *r, size_t i)
{
    struct egov_directory_business b;
    fill_business(r, i, &b);
    return egov_directory_business_to_json(&b);
}

static enum egov_ec principal_search(struct egov_db *db, struct dir_read_ctx *audit,
                                     const char *query, unsigned int limit, json_t **out)
{
    *out = NULL;
    if (query == NULL || limit < 1 || limit > 500)
        return EGOV_EC_GENERIC_PARAMETER_MALFORMED;
    char key[DIR_KEY_MAX];
    egov_oid_search_key(query, key, sizeof(key));
    if (key[0] == '\0')
        return EGOV_EC_GENERIC_PARAMETER_MALFORMED;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(key), EGOV_DB_PARAM_INT64(limit),
                                EGOV_DB_PARAM_END};
    json_t *persons = NULL, *businesses = NULL;
    struct rows_cls rp = {&st_person_search, p, person_row, NULL, audit};
    enum egov_ec ec = run_rows(db, &rp, &persons);
    if (ec != EGOV_EC_NONE)
        return ec;
    struct rows_cls rb = {&st_business_search, p, business_row, NULL, NULL};
    ec = run_rows(db, &rb, &businesses);
    if (ec != EGOV_EC_NONE) {
        json_decref(persons);
        return ec;
    }
    *out = json_pack("{s:o, s:o}", "persons", persons, "businesses", businesses);
    return *out == NULL ? EGOV_EC_GENERIC_OOM : EGOV_EC_NONE;
}

enum egov_ec egov_directory_principal_search(struct egov_db *db, const char *query,
                                             unsigned int limit, json_t **out)
{
    return principal_search(db, NULL, query, limit, out);
}

enum egov_ec egov_directory_principal_search_read(struct egov_db *db,
                                                  const struct egov_directory_reader *reader,
                                                  const char *query, unsigned int limit,
                                                  json_t **out)
{
    struct dir_read_ctx audit = {reader, "person", "search", query, false};
    return principal_search(db, &audit, query, limit, out);
}
