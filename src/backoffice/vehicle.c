/*
 * vehicle.c -- the motor vehicle registry (監理): an owner's vehicles,
 * fines and driving licences, and a vehicle with its inspections.  It
 * keeps names and addresses in its in-house code (CNS2DCI) and speaks that
 * code on the wire.
 */
#include <stdio.h>
#include <string.h>

#include "backoffice/bo_int.h"

#define A EGOV_BO_VEHICLE

static const struct egov_db_stmt st_person = {
    "bo_veh_person",
    "SELECT national_id, name, address, district_code FROM veh_person WHERE national_id = $1",
    NULL};
static const struct egov_db_stmt st_vehicles = {
    "bo_veh_vehicles",
    "SELECT plate, kind, make, cc, registered_on, inspection_due FROM veh_vehicle"
    " WHERE owner_id = $1 ORDER BY registered_on, plate",
    NULL};
static const struct egov_db_stmt st_fines = {
    "bo_veh_fines",
    "SELECT fine_no, plate, issued_on, violation, amount, paid FROM veh_fine"
    " WHERE owner_id = $1 AND ($2 = 0 OR paid = $3) ORDER BY issued_on, fine_no",
    NULL};
static const struct egov_db_stmt st_licences = {
    "bo_veh_licences",
    "SELECT class, issued_on, expires_on, status FROM veh_licence WHERE national_id = $1"
    " ORDER BY class",
    NULL};
static const struct egov_db_stmt st_vehicle = {
    "bo_veh_vehicle",
    "SELECT v.plate, v.kind, v.make, v.cc, v.registered_on, v.inspection_due, p.national_id,"
    " p.name, p.address FROM veh_vehicle v JOIN veh_person p ON p.national_id = v.owner_id"
    " WHERE v.plate = $1",
    NULL};
static const struct egov_db_stmt st_inspections = {
    "bo_veh_inspections",
    "SELECT inspected_on, result, station FROM veh_inspection WHERE plate = $1"
    " ORDER BY inspected_on DESC",
    NULL};

static const char *kind_name(const char *kind)
{
    if (strcmp(kind, "car") == 0)
        return "自用小客車";
    if (strcmp(kind, "motorcycle") == 0)
        return "普通重型機車";
    if (strcmp(kind, "truck") == 0)
        return "自用小貨車";
    return kind;
}

enum what { VEHICLES, FINES, LICENCES, PLATE };

struct view {
    struct egov_req *req;
    enum what what;
    const char *key;
    bool unpaid;
    json_t *out;
};

static json_t *person_json(struct egov_req *req, const struct egov_db_rows *r, size_t c0)
{
    return json_pack("{s:s, s:s, s:s}", "national_id", bo_col(req, r, 0, c0), "name",
                     bo_col_legacy(req, A, r, 0, c0 + 1), "address",
                     bo_col_legacy(req, A, r, 0, c0 + 2));
}

static json_t *vehicle_json(struct egov_req *req, const struct egov_db_rows *r, size_t i)
{
    const char *kind = bo_col(req, r, i, 1);
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:o}", "plate", bo_col(req, r, i, 0), "kind",
                     kind, "kind_name", kind_name(kind), "make", bo_col(req, r, i, 2), "cc",
                     (json_int_t)egov_db_rows_int64(r, i, 3), "registered_on",
                     bo_date_json(bo_col(req, r, i, 4)), "inspection_due",
                     bo_date_json(bo_col(req, r, i, 5)));
}

static enum egov_db_qs plate_body(struct egov_db_conn *c, struct view *v)
{
    struct egov_req *req = v->req;
    struct egov_db_rows *r = NULL;
    const struct egov_db_param k[] = {EGOV_DB_PARAM_TEXT(v->key), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_vehicle, k, &r);
    if (qs <= 0) {
        egov_db_rows_free(r);
        return qs;
    }
    v->out = vehicle_json(req, r, 0);
    json_t *insp = json_array();
    if (v->out != NULL) {
        json_object_set_new(v->out, "owner", person_json(req, r, 6));
        json_object_set_new(v->out, "inspections", insp);
    } else {
        json_decref(insp);
    }
    egov_db_rows_free(r);
    r = NULL;
    if (v->out == NULL)
        return EGOV_DB_HARD_ERROR;
    qs = egov_db_query(c, &st_inspections, k, &r);
    for (size_t i = 0; qs >= 0 && i < egov_db_rows_count(r); i++)
        json_array_append_new(
            insp, json_pack("{s:o, s:s, s:s}", "date", bo_date_json(bo_col(req, r, i, 0)), "result",
                            bo_col(req, r, i, 1), "station", bo_col(req, r, i, 2)));
    egov_db_rows_free(r);
    return qs < 0 ? qs : EGOV_DB_ONE_ROW;
}

static enum egov_db_qs view_body(struct egov_db_conn *c, void *cls)
{
    struct view *v = cls;
    struct egov_req *req = v->req;
    struct egov_db_rows *r = NULL;
    json_decref(v->out);
    v->out = NULL;
    if (v->what == PLATE)
        return plate_body(c, v);
    const struct egov_db_param k[] = {EGOV_DB_PARAM_TEXT(v->key), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_person, k, &r);
    if (qs <= 0) {
        egov_db_rows_free(r);
        return qs;
    }
    json_t *person = person_json(req, r, 0);
    egov_db_rows_free(r);
    r = NULL;
    json_t *list = json_array();
    int64_t unpaid_total = 0;
    if (v->what == VEHICLES) {
        qs = egov_db_query(c, &st_vehicles, k, &r);
        for (size_t i = 0; qs >= 0 && list != NULL && i < egov_db_rows_count(r); i++)
            json_array_append_new(list, vehicle_json(req, r, i));
        v->out = json_pack("{s:o, s:o}", "owner", person, "vehicles", list);
    } else if (v->what == FINES) {
        const struct egov_db_param pf[] = {EGOV_DB_PARAM_TEXT(v->key),
                                           EGOV_DB_PARAM_INT64(v->unpaid ? 1 : 0),
                                           EGOV_DB_PARAM_BOOL(false), EGOV_DB_PARAM_END};
        qs = egov_db_query(c, &st_fines, pf, &r);
        for (size_t i = 0; qs >= 0 && list != NULL && i < egov_db_rows_count(r); i++) {
            const char *paid_s = egov_db_rows_text(r, i, 5);
            bool paid = paid_s != NULL && (paid_s[0] == '1' || paid_s[0] == 't');
            int64_t amount = egov_db_rows_int64(r, i, 4);
            if (!paid)
                unpaid_total += amount;
            json_array_append_new(
                list, json_pack("{s:s, s:s, s:o, s:s, s:I, s:b}", "fine_no", bo_col(req, r, i, 0),
                                "plate", bo_col(req, r, i, 1), "issued_on",
                                bo_date_json(bo_col(req, r, i, 2)), "violation",
                                bo_col(req, r, i, 3), "amount", (json_int_t)amount, "paid", paid));
        }
        v->out = json_pack("{s:o, s:o, s:I}", "owner", person, "fines", list, "unpaid_total",
                           (json_int_t)unpaid_total);
    } else {
        qs = egov_db_query(c, &st_licences, k, &r);
        for (size_t i = 0; qs >= 0 && list != NULL && i < egov_db_rows_count(r); i++)
            json_array_append_new(list,
                                  json_pack("{s:s, s:o, s:o, s:s}", "class", bo_col(req, r, i, 0),
                                            "issued_on", bo_date_json(bo_col(req, r, i, 1)),
                                            "valid_until", bo_date_json(bo_col(req, r, i, 2)),
                                            "status", bo_col(req, r, i, 3)));
        v->out = json_pack("{s:o, s:o}", "holder", person, "licences", list);
    }
    egov_db_rows_free(r);
    if (qs < 0)
        return qs;
    return v->out != NULL ? EGOV_DB_ONE_ROW : EGOV_DB_HARD_ERROR;
}

static void run_view(struct egov_req *req, struct view *v)
{
    bool plate = v->what == PLATE;
    if (bo_read_one(req, A, view_body, v, &v->out,
                    plate ? EGOV_EC_BACKOFFICE_RECORD_UNKNOWN : EGOV_EC_BACKOFFICE_PERSON_UNKNOWN,
                    plate ? "plate" : "id") != NULL)
        bo_reply(req, A, 200, v->out);
}

static void owner_view(struct egov_req *req, enum what what)
{
    struct view v = {req, what, bo_id_param(req, A, "id"), false, NULL};
    if (v.key == NULL)
        return;
    if (what == FINES) {
        const char *unpaid = egov_req_query(req, "unpaid");
        if (unpaid != NULL && strcmp(unpaid, "0") != 0 && strcmp(unpaid, "1") != 0) {
            bo_problem(req, A, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "unpaid",
                       "unpaid must be 0 or 1");
            return;
        }
        v.unpaid = unpaid != NULL && unpaid[0] == '1';
    }
    run_view(req, &v);
}

static void handle_vehicles(struct egov_req *req)
{
    owner_view(req, VEHICLES);
}

static void handle_fines(struct egov_req *req)
{
    owner_view(req, FINES);
}

static void handle_licences(struct egov_req *req)
{
    owner_view(req, LICENCES);
}

static void handle_plate(struct egov_req *req)
{
    struct view v = {req, PLATE, egov_req_param(req, "plate"), false, NULL};
    if (!egov_backoffice_plate_valid(v.key)) {
        bo_problem(req, A, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "plate",
                   "a plate has three letters (no I or O), a hyphen and four digits (no 4)");
        return;
    }
    run_view(req, &v);
}

static const struct egov_route routes[] = {
    {EGOV_M_GET, "/openapi.json", bo_handle_openapi, 0, 0, "openapi"},
    {EGOV_M_GET, "/owners/{id}/vehicles", handle_vehicles, 0, 0, "vehicles"},
    {EGOV_M_GET, "/owners/{id}/fines", handle_fines, 0, 0, "fines"},
    {EGOV_M_GET, "/owners/{id}/licences", handle_licences, 0, 0, "licences"},
    {EGOV_M_GET, "/vehicles/{plate}", handle_plate, 0, 0, "vehicle"},
    {EGOV_M_POST, "/events", bo_handle_events, 16384, 0, "events"},
    EGOV_ROUTE_END,
};

const struct egov_route_table bo_vehicle_routes = {"vehicle", routes};
