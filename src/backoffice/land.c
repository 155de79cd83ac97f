/*
 * land.c -- the land registry (地政): parcel transcript data (地籍謄本)
 * and an owner's parcels and buildings.
 */
#include <stdio.h>
#include <string.h>

#include "backoffice/bo_int.h"

#define A EGOV_BO_LAND

static const struct egov_db_stmt st_parcel = {
    "bo_land_parcel",
    "SELECT p.section_code, s.name, s.district_code, s.district_name, p.number, p.area_cm2,"
    " p.zoning, p.value_per_m2, p.registered_on"
    " FROM land_parcel p JOIN land_section s ON s.code = p.section_code"
    " WHERE p.section_code = $1 AND p.number = $2",
    NULL};
static const struct egov_db_stmt st_owners = {
    "bo_land_owners",
    "SELECT owner_id, owner_name, owner_address, share_num, share_den, registered_on"
    " FROM land_owner WHERE section_code = $1 AND number = $2 ORDER BY share_num DESC, owner_id",
    NULL};
static const struct egov_db_stmt st_buildings = {
    "bo_land_buildings",
    "SELECT building_no, address, floor_cm2, owner_id, owner_name FROM land_building"
    " WHERE section_code = $1 AND parcel_number = $2 ORDER BY building_no",
    NULL};
static const struct egov_db_stmt st_mortgages = {
    "bo_land_mortgages",
    "SELECT seq, creditor, amount, registered_on FROM land_mortgage"
    " WHERE section_code = $1 AND number = $2 ORDER BY seq",
    NULL};
static const struct egov_db_stmt st_owner_parcels = {
    "bo_land_owner_parcels",
    "SELECT o.section_code, s.name, s.district_name, o.number, o.share_num, o.share_den,"
    " p.area_cm2, p.zoning, p.value_per_m2, o.owner_name, o.owner_address"
    " FROM land_owner o JOIN land_parcel p ON p.section_code = o.section_code"
    " AND p.number = o.number JOIN land_section s ON s.code = o.section_code"
    " WHERE o.owner_id = $1 ORDER BY o.section_code, o.number",
    NULL};
static const struct egov_db_stmt st_owner_buildings = {
    "bo_land_owner_buildings",
    "SELECT section_code, building_no, parcel_number, address, floor_cm2 FROM land_building"
    " WHERE owner_id = $1 ORDER BY section_code, building_no",
    NULL};

/* Area in 0.01 m² as "123.45". */
static json_t *area(int64_t cm2)
{
    char s[32];
    snprintf(s, sizeof(s), "%lld.%02lld", (long long)(cm2 / 100), (long long)(cm2 % 100));
    return json_string(s);
}

struct parcel {
    struct egov_req *req;
    const char *section, *number;
    json_t *out;
};

static enum egov_db_qs parcel_body(struct egov_db_conn *c, void *cls)
{
    struct parcel *p = cls;
    struct egov_req *req = p->req;
    struct egov_db_rows *r = NULL;
    const struct egov_db_param k[] = {EGOV_DB_PARAM_TEXT(p->section), EGOV_DB_PARAM_TEXT(p->number),
                                      EGOV_DB_PARAM_END};
    json_decref(p->out);
    p->out = NULL;
    enum egov_db_qs qs = egov_db_query(c, &st_parcel, k, &r);
    if (qs <= 0) {
        egov_db_rows_free(r);
        return qs;
    }
    char display[16];
    const char *num = bo_col(req, r, 0, 4);
    snprintf(display, sizeof(display), "%.4s-%.4s", num, num + 4);
    int64_t cm2 = egov_db_rows_int64(r, 0, 5), value = egov_db_rows_int64(r, 0, 7);
    json_t *owners = json_array(), *buildings = json_array(), *mortgages = json_array();
    p->out = json_pack("{s:{s:s, s:s, s:s, s:s}, s:s, s:s, s:o, s:s, s:I, s:I, s:o, s:o, s:o, "
                       "s:o}",
                       "section", "code", bo_col(req, r, 0, 0), "name", bo_col(req, r, 0, 1),
                       "district_code", bo_col(req, r, 0, 2), "district", bo_col(req, r, 0, 3),
                       "number", num, "number_display", display, "area_m2", area(cm2), "zoning",
                       bo_col(req, r, 0, 6), "announced_value_per_m2", (json_int_t)value,
                       "announced_value_total", (json_int_t)(cm2 * value / 100), "registered_on",
                       bo_date_json(bo_col(req, r, 0, 8)), "owners", owners, "buildings", buildings,
                       "mortgages", mortgages);
    egov_db_rows_free(r);
    r = NULL;
    if (p->out == NULL)
        return EGOV_DB_HARD_ERROR;
    qs = egov_db_query(c, &st_owners, k, &r);
    for (size_t i = 0; qs >= 0 && i < egov_db_rows_count(r); i++) {
        char share[48];
        snprintf(share, sizeof(share), "%lld/%lld", (long long)egov_db_rows_int64(r, i, 3),
                 (long long)egov_db_rows_int64(r, i, 4));
        json_array_append_new(
            owners, json_pack("{s:s, s:s, s:s, s:s, s:o}", "national_id", bo_col(req, r, i, 0),
                              "name", bo_col(req, r, i, 1), "address", bo_col(req, r, i, 2),
                              "share", share, "registered_on", bo_date_json(bo_col(req, r, i, 5))));
    }
    egov_db_rows_free(r);
    r = NULL;
    if (qs < 0)
        return qs;
    qs = egov_db_query(c, &st_buildings, k, &r);
    for (size_t i = 0; qs >= 0 && i < egov_db_rows_count(r); i++)
        json_array_append_new(buildings,
                              json_pack("{s:s, s:s, s:o, s:{s:s, s:s}}", "building_no",
                                        bo_col(req, r, i, 0), "address", bo_col(req, r, i, 1),
                                        "floor_area_m2", area(egov_db_rows_int64(r, i, 2)), "owner",
                                        "national_id", bo_col(req, r, i, 3), "name",
                                        bo_col(req, r, i, 4)));
    egov_db_rows_free(r);
    r = NULL;
    if (qs < 0)
        return qs;
    qs = egov_db_query(c, &st_mortgages, k, &r);
    for (size_t i = 0; qs >= 0 && i < egov_db_rows_count(r); i++)
        json_array_append_new(mortgages,
                              json_pack("{s:I, s:s, s:I, s:o}", "seq",
                                        (json_int_t)egov_db_rows_int64(r, i, 0), "creditor",
                                        bo_col(req, r, i, 1), "amount",
                                        (json_int_t)egov_db_rows_int64(r, i, 2), "registered_on",
                                        bo_date_json(bo_col(req, r, i, 3))));
    egov_db_rows_free(r);
    return qs < 0 ? qs : EGOV_DB_ONE_ROW;
}

static void handle_parcel(struct egov_req *req)
{
    struct parcel p = {req, egov_req_param(req, "section"), egov_req_param(req, "number"), NULL};
    if (!bo_digits(p.section, 4)) {
        bo_problem(req, A, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "section",
                   "a land section code has 4 digits");
        return;
    }
    if (!bo_digits(p.number, 8)) {
        bo_problem(req, A, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "number",
                   "a parcel number (地號) has 8 digits");
        return;
    }
    if (bo_read_one(req, A, parcel_body, &p, &p.out, EGOV_EC_BACKOFFICE_RECORD_UNKNOWN, "number") ==
        NULL)
        return;
    char now[32];
    egov_time_rfc3339(egov_now_us(), now);
    json_object_set_new(p.out, "issued_at", json_string(now));
    json_object_set_new(p.out, "issuer", json_string("地政事務所"));
    bo_reply(req, A, 200, p.out);
}

struct owner {
    struct egov_req *req;
    const char *id;
    json_t *out;
};

static enum egov_db_qs owner_body(struct egov_db_conn *c, void *cls)
{
    struct owner *o = cls;
    struct egov_req *req = o->req;
    struct egov_db_rows *r = NULL;
    const struct egov_db_param k[] = {EGOV_DB_PARAM_TEXT(o->id), EGOV_DB_PARAM_END};
    json_t *parcels = json_array(), *buildings = json_array();
    json_decref(o->out);
    o->out = json_pack("{s:s, s:o, s:o}", "national_id", o->id, "parcels", parcels, "buildings",
                       buildings);
    if (o->out == NULL)
        return EGOV_DB_HARD_ERROR;
    enum egov_db_qs qs = egov_db_query(c, &st_owner_parcels, k, &r);
    for (size_t i = 0; qs >= 0 && i < egov_db_rows_count(r); i++) {
        char share[48];
        snprintf(share, sizeof(share), "%lld/%lld", (long long)egov_db_rows_int64(r, i, 4),
                 (long long)egov_db_rows_int64(r, i, 5));
        if (i == 0) {
            json_object_set_new(o->out, "name", json_string(bo_col(req, r, 0, 9)));
            json_object_set_new(o->out, "address", json_string(bo_col(req, r, 0, 10)));
        }
        json_array_append_new(
            parcels,
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:I}", "section", bo_col(req, r, i, 0),
                      "section_name", bo_col(req, r, i, 1), "district", bo_col(req, r, i, 2),
                      "number", bo_col(req, r, i, 3), "share", share, "area_m2",
                      area(egov_db_rows_int64(r, i, 6)), "zoning", bo_col(req, r, i, 7),
                      "announced_value_per_m2", (json_int_t)egov_db_rows_int64(r, i, 8)));
    }
    egov_db_rows_free(r);
    r = NULL;
    if (qs < 0)
        return qs;
    qs = egov_db_query(c, &st_owner_buildings, k, &r);
    for (size_t i = 0; qs >= 0 && i < egov_db_rows_count(r); i++)
        json_array_append_new(
            buildings,
            json_pack("{s:s, s:s, s:s, s:s, s:o}", "section", bo_col(req, r, i, 0), "building_no",
                      bo_col(req, r, i, 1), "parcel_number", bo_col(req, r, i, 2), "address",
                      bo_col(req, r, i, 3), "floor_area_m2", area(egov_db_rows_int64(r, i, 4))));
    egov_db_rows_free(r);
    return qs < 0 ? qs : EGOV_DB_ONE_ROW;
}

static void handle_owner_parcels(struct egov_req *req)
{
    const char *id = bo_id_param(req, A, "id");
    if (id == NULL)
        return;
    struct owner o = {req, id, NULL};
    if (bo_read_one(req, A, owner_body, &o, &o.out, EGOV_EC_GENERIC_OOM, NULL) != NULL)
        bo_reply(req, A, 200, o.out);
}

static const struct egov_route routes[] = {
    {EGOV_M_GET, "/openapi.json", bo_handle_openapi, 0, 0, "openapi"},
    {EGOV_M_GET, "/parcels/{section}/{number}", handle_parcel, 0, 0, "parcel"},
    {EGOV_M_GET, "/owners/{id}/parcels", handle_owner_parcels, 0, 0, "owner-parcels"},
    {EGOV_M_POST, "/events", bo_handle_events, 16384, 0, "events"},
    EGOV_ROUTE_END,
};

const struct egov_route_table bo_land_routes = {"land", routes};
