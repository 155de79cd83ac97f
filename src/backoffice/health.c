/*
 * health.c -- the health care appointment system (醫療): hospitals and
 * clinics, their appointment slots, booking and cancelling.
 *
 * No double booking: a booking raises the slot's counter with
 * "booked < capacity" in the WHERE clause and a partial unique index
 * allows one booked appointment per person and slot; both run in one
 * serializable (PostgreSQL) or exclusive (SQLite) transaction.
 */
#include <stdio.h>
#include <string.h>

#include "backoffice/bo_int.h"

#define A EGOV_BO_HEALTH

static const struct egov_db_stmt st_hospitals = {
    "bo_hl_hospitals",
    "SELECT code, name, kind, district_code, address FROM hl_hospital"
    " WHERE ($1 = '' OR substr(district_code, 1, 5) = $1) ORDER BY code LIMIT 500",
    NULL};
static const struct egov_db_stmt st_hospital = {
    "bo_hl_hospital",
    "SELECT code, name, kind, district_code, address FROM hl_hospital"
    " WHERE code = $1",
    NULL};
static const struct egov_db_stmt st_slots = {
    "bo_hl_slots",
    "SELECT id, slot_date, period, department, doctor, capacity, booked FROM hl_slot"
    " WHERE hospital_code = $1 AND ($2 = '' OR slot_date = $2)"
    " ORDER BY slot_date, department, id",
    NULL};

static json_t *hospital_json(struct egov_req *req, const struct egov_db_rows *r, size_t i)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "code", bo_col(req, r, i, 0), "name",
                     bo_col(req, r, i, 1), "kind", bo_col(req, r, i, 2), "district_code",
                     bo_col(req, r, i, 3), "address", bo_col(req, r, i, 4));
}

static void handle_hospitals(struct egov_req *req)
{
    const char *city = egov_req_query(req, "city");
    char prefix[6] = "";
    if (city != NULL) {
        if (!bo_digits(city, 8)) {
            bo_problem(req, A, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "city",
                       "city must be an 8-digit county or city code");
            return;
        }
        memcpy(prefix, city, 5);
        prefix[5] = '\0';
    }
    struct egov_db_rows *r = NULL;
    const struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(prefix), EGOV_DB_PARAM_END};
    if (!bo_query(req, A, &st_hospitals, p, &r))
        return;
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < egov_db_rows_count(r); i++)
        json_array_append_new(list, hospital_json(req, r, i));
    egov_db_rows_free(r);
    bo_reply(req, A, 200, json_pack("{s:o}", "hospitals", list));
}

struct slots {
    struct egov_req *req;
    const char *code, *date;
    json_t *out;
};

static enum egov_db_qs slots_body(struct egov_db_conn *c, void *cls)
{
    struct slots *s = cls;
    struct egov_req *req = s->req;
    struct egov_db_rows *r = NULL;
    json_decref(s->out);
    s->out = NULL;
    const struct egov_db_param k[] = {EGOV_DB_PARAM_TEXT(s->code), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_hospital, k, &r);
    if (qs <= 0) {
        egov_db_rows_free(r);
        return qs;
    }
    json_t *list = json_array();
    s->out = json_pack("{s:o, s:o}", "hospital", hospital_json(req, r, 0), "slots", list);
    egov_db_rows_free(r);
    r = NULL;
    if (s->out == NULL)
        return EGOV_DB_HARD_ERROR;
    const struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(s->code),
                                      EGOV_DB_PARAM_TEXT(s->date != NULL ? s->date : ""),
                                      EGOV_DB_PARAM_END};
    qs = egov_db_query(c, &st_slots, p, &r);
    for (size_t i = 0; qs >= 0 && i < egov_db_rows_count(r); i++) {
        int64_t cap = egov_db_rows_int64(r, i, 5), booked = egov_db_rows_int64(r, i, 6);
        json_array_append_new(
            list, json_pack("{s:I, s:o, s:s, s:s, s:s, s:I, s:I, s:I}", "id",
                            (json_int_t)egov_db_rows_int64(r, i, 0), "date",
                            bo_date_json(bo_col(req, r, i, 1)), "period", bo_col(req, r, i, 2),
                            "department", bo_col(req, r, i, 3), "doctor", bo_col(req, r, i, 4),
                            "capacity", (json_int_t)cap, "booked", (json_int_t)booked, "available",
                            (json_int_t)(cap - booked)));
    }
    egov_db_rows_free(r);
    return qs < 0 ? qs : EGOV_DB_ONE_ROW;
}

static void handle_slots(struct egov_req *req)
{
    struct slots s = {req, egov_req_param(req, "code"), egov_req_query(req, "date"), NULL};
    if (!bo_digits(s.code, 10)) {
        bo_problem(req, A, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "code",
                   "a hospital code has 10 digits");
        return;
    }
    if (s.date != NULL && !bo_iso_date_valid(s.date)) {
        bo_problem(req, A, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "date",
                   "expected a date as YYYY-MM-DD");
        return;
    }
    if (bo_read_one(req, A, slots_body, &s, &s.out, EGOV_EC_BACKOFFICE_RECORD_UNKNOWN, "code") !=
        NULL)
        bo_reply(req, A, 200, s.out);
}

/* ------------------------------------------------------------------ */
/* Appointments                                                        */
/* ------------------------------------------------------------------ */

static const struct egov_db_stmt st_patient = {
    "bo_hl_patient", "SELECT 1 FROM hl_patient WHERE national_id = $1", NULL};
static const struct egov_db_stmt st_slot = {"bo_hl_slot",
                                            "SELECT slot_date FROM hl_slot WHERE id = $1", NULL};
static const struct egov_db_stmt st_already = {
    "bo_hl_already",
    "SELECT 1 FROM hl_appointment WHERE slot_id = $1 AND national_id = $2 AND status = 'booked'",
    NULL};
static const struct egov_db_stmt st_take = {
    "bo_hl_take", "UPDATE hl_slot SET booked = booked + 1 WHERE id = $1 AND booked < capacity",
    NULL};
static const struct egov_db_stmt st_number = {"bo_hl_number",
                                              "SELECT booked FROM hl_slot WHERE id = $1", NULL};
static const struct egov_db_stmt st_book = {
    "bo_hl_book",
    "INSERT INTO hl_appointment (id, slot_id, national_id, number, status, created_at)"
    " VALUES ($1, $2, $3, $4, 'booked', $5)",
    NULL};
static const struct egov_db_stmt st_appt = {
    "bo_hl_appt",
    "SELECT a.id, a.slot_id, a.national_id, a.number, a.status, a.created_at, a.cancelled_at,"
    " s.slot_date, s.period, s.department, s.doctor, h.code, h.name, h.address"
    " FROM hl_appointment a JOIN hl_slot s ON s.id = a.slot_id"
    " JOIN hl_hospital h ON h.code = s.hospital_code WHERE a.id = $1",
    NULL};
static const struct egov_db_stmt st_patient_appts = {
    "bo_hl_patient_appts",
    "SELECT a.id, a.slot_id, a.national_id, a.number, a.status, a.created_at, a.cancelled_at,"
    " s.slot_date, s.period, s.department, s.doctor, h.code, h.name, h.address"
    " FROM hl_appointment a JOIN hl_slot s ON s.id = a.slot_id"
    " JOIN hl_hospital h ON h.code = s.hospital_code WHERE a.national_id = $1"
    " ORDER BY s.slot_date, a.created_at",
    NULL};
static const struct egov_db_stmt st_cancel = {
    "bo_hl_cancel",
    "UPDATE hl_appointment SET status = 'cancelled', cancelled_at = $2"
    " WHERE id = $1 AND status = 'booked'",
    NULL};
static const struct egov_db_stmt st_release = {
    "bo_hl_release", "UPDATE hl_slot SET booked = booked - 1 WHERE id = $1 AND booked > 0", NULL};

static json_t *appt_json(struct egov_req *req, const struct egov_db_rows *r, size_t i)
{
    char created[32];
    egov_time_rfc3339(egov_db_rows_int64(r, i, 5), created);
    json_t *o = json_pack(
        "{s:s, s:I, s:s, s:I, s:s, s:s, s:o, s:s, s:s, s:s, s:{s:s, s:s, s:s}}", "id",
        bo_col(req, r, i, 0), "slot_id", (json_int_t)egov_db_rows_int64(r, i, 1), "national_id",
        bo_col(req, r, i, 2), "number", (json_int_t)egov_db_rows_int64(r, i, 3), "status",
        bo_col(req, r, i, 4), "created_at", created, "date", bo_date_json(bo_col(req, r, i, 7)),
        "period", bo_col(req, r, i, 8), "department", bo_col(req, r, i, 9), "doctor",
        bo_col(req, r, i, 10), "hospital", "code", bo_col(req, r, i, 11), "name",
        bo_col(req, r, i, 12), "address", bo_col(req, r, i, 13));
    if (o != NULL && !egov_db_rows_is_null(r, i, 6)) {
        char t[32];
        egov_time_rfc3339(egov_db_rows_int64(r, i, 6), t);
        json_object_set_new(o, "cancelled_at", json_string(t));
    }
    return o;
}

struct booking {
    struct egov_req *req;
    int64_t slot;
    const char *nid;
    char id[37];
    enum egov_ec ec;
    const char *field;
    json_t *out;
};

static enum egov_db_qs read_appt(struct egov_db_conn *c, struct booking *b)
{
    struct egov_db_rows *r = NULL;
    const struct egov_db_param k[] = {EGOV_DB_PARAM_TEXT(b->id), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_appt, k, &r);
    if (qs > 0) {
        b->out = appt_json(b->req, r, 0);
        if (b->out == NULL)
            qs = EGOV_DB_HARD_ERROR;
    }
    egov_db_rows_free(r);
    return qs;
}

static enum egov_db_qs book_body(struct egov_db_conn *c, void *cls)
{
    struct booking *b = cls;
    struct egov_db_rows *r = NULL;
    char today[11];
    bo_today(today);
    json_decref(b->out);
    b->out = NULL;
    b->ec = EGOV_EC_NONE;
    const struct egov_db_param pn[] = {EGOV_DB_PARAM_TEXT(b->nid), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_exec(c, &st_patient, pn);
    if (qs <= 0) {
        if (qs == 0) {
            b->ec = EGOV_EC_BACKOFFICE_PERSON_UNKNOWN;
            b->field = "national_id";
        }
        return qs;
    }
    const struct egov_db_param ps[] = {EGOV_DB_PARAM_INT64(b->slot), EGOV_DB_PARAM_END};
    qs = egov_db_query(c, &st_slot, ps, &r);
    if (qs <= 0) {
        egov_db_rows_free(r);
        if (qs == 0) {
            b->ec = EGOV_EC_BACKOFFICE_RECORD_UNKNOWN;
            b->field = "slot_id";
        }
        return qs;
    }
    bool past = strcmp(egov_db_rows_text(r, 0, 0), today) < 0;
    egov_db_rows_free(r);
    r = NULL;
    b->field = "slot_id";
    if (past) {
        b->ec = EGOV_EC_BACKOFFICE_SLOT_PAST;
        return EGOV_DB_NO_ROW;
    }
    const struct egov_db_param pa[] = {EGOV_DB_PARAM_INT64(b->slot), EGOV_DB_PARAM_TEXT(b->nid),
                                       EGOV_DB_PARAM_END};
    qs = egov_db_exec(c, &st_already, pa);
    if (qs != 0) {
        if (qs > 0)
            b->ec = EGOV_EC_BACKOFFICE_ALREADY_BOOKED;
        return qs < 0 ? qs : EGOV_DB_NO_ROW;
    }
    qs = egov_db_exec(c, &st_take, ps);
    if (qs <= 0) {
        if (qs == 0)
            b->ec = EGOV_EC_BACKOFFICE_SLOT_FULL;
        return qs;
    }
    qs = egov_db_query(c, &st_number, ps, &r);
    if (qs <= 0) {
        egov_db_rows_free(r);
        return qs < 0 ? qs : EGOV_DB_HARD_ERROR;
    }
    int64_t number = egov_db_rows_int64(r, 0, 0);
    egov_db_rows_free(r);
    egov_uuid7(b->id);
    const struct egov_db_param pb[] = {
        EGOV_DB_PARAM_TEXT(b->id),   EGOV_DB_PARAM_INT64(b->slot),       EGOV_DB_PARAM_TEXT(b->nid),
        EGOV_DB_PARAM_INT64(number), EGOV_DB_PARAM_INT64(egov_now_us()), EGOV_DB_PARAM_END};
    qs = egov_db_exec(c, &st_book, pb);
    if (qs < 0)
        return qs;
    return read_appt(c, b);
}

static void run_booking(struct egov_req *req, struct booking *b, egov_db_txn_fn fn,
                        unsigned int ok_status)
{
    if (!bo_run_txn(req, A, true, 20, fn, b)) {
        json_decref(b->out);
    } else if (b->ec != EGOV_EC_NONE || b->out == NULL) {
        json_decref(b->out);
        bo_problem(req, A, b->ec != EGOV_EC_NONE ? b->ec : EGOV_EC_BACKOFFICE_RECORD_UNKNOWN,
                   b->field, NULL);
    } else {
        bo_reply(req, A, ok_status, b->out);
    }
}

static void handle_book(struct egov_req *req)
{
    struct booking b = {.req = req};
    struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_INT("slot_id", &b.slot, 1, INT64_C(1000000000000)),
        EGOV_JSON_SPEC_STRING_LEN("national_id", &b.nid, 10, 10),
        EGOV_JSON_SPEC_END,
    };
    if (bo_parse_body(req, A, spec) == NULL)
        return;
    if (!egov_backoffice_national_id_valid(b.nid)) {
        bo_problem(req, A, EGOV_EC_BACKOFFICE_ID_MALFORMED, "national_id", NULL);
        return;
    }
    run_booking(req, &b, book_body, 201);
}

static enum egov_db_qs get_body(struct egov_db_conn *c, void *cls)
{
    struct booking *b = cls;
    json_decref(b->out);
    b->out = NULL;
    b->ec = EGOV_EC_NONE;
    return read_appt(c, b);
}

static enum egov_db_qs cancel_body(struct egov_db_conn *c, void *cls)
{
    struct booking *b = cls;
    enum egov_db_qs qs = get_body(c, b);
    if (qs <= 0)
        return qs;
    const char *status = json_string_value(json_object_get(b->out, "status"));
    if (status == NULL || strcmp(status, "booked") != 0) {
        b->ec = EGOV_EC_BACKOFFICE_ALREADY_CANCELLED;
        return EGOV_DB_NO_ROW;
    }
    int64_t slot = json_integer_value(json_object_get(b->out, "slot_id"));
    const struct egov_db_param pc[] = {EGOV_DB_PARAM_TEXT(b->id),
                                       EGOV_DB_PARAM_INT64(egov_now_us()), EGOV_DB_PARAM_END};
    qs = egov_db_exec(c, &st_cancel, pc);
    if (qs <= 0) {
        if (qs == 0)
            b->ec = EGOV_EC_BACKOFFICE_ALREADY_CANCELLED;
        return qs;
    }
    const struct egov_db_param ps[] = {EGOV_DB_PARAM_INT64(slot), EGOV_DB_PARAM_END};
    qs = egov_db_exec(c, &st_release, ps);
    if (qs < 0)
        return qs;
    json_decref(b->out);
    b->out = NULL;
    return read_appt(c, b);
}

/* The appointment id from the path; false after replying 400. */
static bool appt_id(struct egov_req *req, struct booking *b)
{
    const char *id = egov_req_param(req, "id");
    if (id == NULL || !egov_uuid_valid(id)) {
        bo_problem(req, A, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "id",
                   "an appointment id is a UUID");
        return false;
    }
    snprintf(b->id, sizeof(b->id), "%s", id);
    b->field = "id";
    return true;
}

static void handle_appt(struct egov_req *req)
{
    struct booking b = {.req = req};
    if (appt_id(req, &b))
        run_booking(req, &b, get_body, 200);
}

static void handle_cancel(struct egov_req *req)
{
    struct booking b = {.req = req};
    if (appt_id(req, &b))
        run_booking(req, &b, cancel_body, 200);
}

struct patient_appts {
    struct egov_req *req;
    const char *id;
    json_t *out; /* NULL: no such patient */
};

static enum egov_db_qs patient_appts_body(struct egov_db_conn *c, void *cls)
{
    struct patient_appts *t = cls;
    struct egov_db_rows *r = NULL;
    const struct egov_db_param k[] = {EGOV_DB_PARAM_TEXT(t->id), EGOV_DB_PARAM_END};
    json_decref(t->out);
    t->out = NULL;
    enum egov_db_qs qs = egov_db_exec(c, &st_patient, k);
    if (qs <= 0)
        return qs;
    qs = egov_db_query(c, &st_patient_appts, k, &r);
    if (qs < 0)
        return qs;
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < egov_db_rows_count(r); i++)
        json_array_append_new(list, appt_json(t->req, r, i));
    egov_db_rows_free(r);
    t->out = json_pack("{s:s, s:o}", "national_id", t->id, "appointments", list);
    return t->out != NULL ? EGOV_DB_ONE_ROW : EGOV_DB_HARD_ERROR;
}

static void handle_patient_appts(struct egov_req *req)
{
    struct patient_appts t = {req, bo_id_param(req, A, "id"), NULL};
    if (t.id == NULL)
        return;
    if (bo_read_one(req, A, patient_appts_body, &t, &t.out, EGOV_EC_BACKOFFICE_PERSON_UNKNOWN,
                    "id") != NULL)
        bo_reply(req, A, 200, t.out);
}

static const struct egov_route routes[] = {
    {EGOV_M_GET, "/openapi.json", bo_handle_openapi, 0, 0, "openapi"},
    {EGOV_M_GET, "/hospitals", handle_hospitals, 0, 0, "hospitals"},
    {EGOV_M_GET, "/hospitals/{code}/slots", handle_slots, 0, 0, "slots"},
    {EGOV_M_POST, "/appointments", handle_book, 4096, 0, "book"},
    {EGOV_M_GET, "/appointments/{id}", handle_appt, 0, 0, "appointment"},
    {EGOV_M_DELETE, "/appointments/{id}", handle_cancel, 0, 0, "cancel"},
    {EGOV_M_GET, "/patients/{id}/appointments", handle_patient_appts, 0, 0, "patient-appointments"},
    {EGOV_M_POST, "/events", bo_handle_events, 16384, 0, "events"},
    EGOV_ROUTE_END,
};

const struct egov_route_table bo_health_routes = {"health", routes};
