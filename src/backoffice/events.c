/*
 * events.c -- POST /events of the land, tax, vehicle and health systems:
 * applies household.address-changed to the agency's own records, once per
 * delivery id (the id is stored in the same transaction as the change).
 */
#include <stdio.h>
#include <string.h>

#include "backoffice/bo_int.h"

static const struct egov_db_stmt st_seen = {
    "bo_ev_seen", "SELECT 1 FROM bo_delivery WHERE delivery_id = $1", NULL};
static const struct egov_db_stmt st_record = {
    "bo_ev_record",
    "INSERT INTO bo_delivery (delivery_id, subject, received_at, updated) VALUES ($1, $2, $3, $4)",
    NULL};

static const struct egov_db_stmt st_last = {
    "bo_ev_last", "SELECT event_time FROM bo_person_event WHERE national_id = $1", NULL};
static const struct egov_db_stmt st_last_del = {
    "bo_ev_last_del", "DELETE FROM bo_person_event WHERE national_id = $1", NULL};
static const struct egov_db_stmt st_last_ins = {
    "bo_ev_last_ins", "INSERT INTO bo_person_event (national_id, event_time) VALUES ($1, $2)",
    NULL};

static const struct egov_db_stmt st_land_owner = {
    "bo_ev_land_owner", "UPDATE land_owner SET owner_address = $2 WHERE owner_id = $1", NULL};
static const struct egov_db_stmt st_land_building = {
    "bo_ev_land_building", "UPDATE land_building SET owner_address = $2 WHERE owner_id = $1", NULL};
static const struct egov_db_stmt st_tax = {
    "bo_ev_tax",
    "UPDATE tax_payer SET address = $2, district_code = $3, updated_at = $4"
    " WHERE national_id = $1",
    NULL};
static const struct egov_db_stmt st_vehicle = {
    "bo_ev_vehicle",
    "UPDATE veh_person SET address = $2, district_code = $3, updated_at = $4"
    " WHERE national_id = $1",
    NULL};
static const struct egov_db_stmt st_health = {
    "bo_ev_health",
    "UPDATE hl_patient SET address = $2, district_code = $3, updated_at = $4"
    " WHERE national_id = $1",
    NULL};

struct apply {
    enum egov_backoffice_agency agency;
    const char *delivery, *subject, *nid, *address, *district;
    const void *legacy; /* the address in the agency's legacy code, if it has one */
    size_t legacy_len;
    int64_t event_us; /* the event's time, 0 if it carries none */
    bool duplicate, stale;
    int64_t updated;
};

/*
 * Orders the changes of one person: an event older than the last one
 * applied for that person (a late retry) is recorded but changes nothing.
 * Returns 1 if the event is stale, 0 if it is to be applied, or an error.
 */
static int stale_check(struct egov_db_conn *c, struct apply *a)
{
    struct egov_db_rows *r = NULL;
    const struct egov_db_param k[] = {EGOV_DB_PARAM_TEXT(a->nid), EGOV_DB_PARAM_END};
    const struct egov_db_param kt[] = {EGOV_DB_PARAM_TEXT(a->nid), EGOV_DB_PARAM_INT64(a->event_us),
                                       EGOV_DB_PARAM_END};
    if (a->event_us == 0)
        return 0;
    enum egov_db_qs qs = egov_db_query(c, &st_last, k, &r);
    int64_t last = qs > 0 ? egov_db_rows_int64(r, 0, 0) : 0;
    egov_db_rows_free(r);
    if (qs < 0)
        return qs;
    if (qs > 0 && last > a->event_us)
        return 1;
    qs = egov_db_exec(c, &st_last_del, k);
    if (qs >= 0)
        qs = egov_db_exec(c, &st_last_ins, kt);
    return qs < 0 ? qs : 0;
}

static enum egov_db_qs apply_body(struct egov_db_conn *c, void *cls)
{
    struct apply *a = cls;
    int64_t now = egov_now_us();
    const struct egov_db_param pd[] = {EGOV_DB_PARAM_TEXT(a->delivery), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_exec(c, &st_seen, pd);
    a->duplicate = qs > 0;
    a->stale = false;
    a->updated = 0;
    if (qs != 0)
        return qs;
    int stale = stale_check(c, a);
    if (stale < 0)
        return (enum egov_db_qs)stale;
    a->stale = stale == 1;
    const struct egov_db_param pa[] = {EGOV_DB_PARAM_TEXT(a->nid), EGOV_DB_PARAM_TEXT(a->address),
                                       EGOV_DB_PARAM_END};
    const struct egov_db_param pu[] = {EGOV_DB_PARAM_TEXT(a->nid), EGOV_DB_PARAM_TEXT(a->address),
                                       EGOV_DB_PARAM_TEXT(a->district), EGOV_DB_PARAM_INT64(now),
                                       EGOV_DB_PARAM_END};
    const struct egov_db_param pl[] = {
        EGOV_DB_PARAM_TEXT(a->nid), EGOV_DB_PARAM_BLOB(a->legacy, a->legacy_len),
        EGOV_DB_PARAM_TEXT(a->district), EGOV_DB_PARAM_INT64(now), EGOV_DB_PARAM_END};
    switch (a->stale ? EGOV_BO_COUNT : (int)a->agency) {
    case EGOV_BO_COUNT:
        qs = EGOV_DB_NO_ROW; /* recorded as received, nothing changed */
        break;
    case EGOV_BO_LAND:
        qs = egov_db_exec(c, &st_land_owner, pa);
        if (qs >= 0) {
            a->updated = qs;
            qs = egov_db_exec(c, &st_land_building, pa);
            if (qs >= 0)
                a->updated += qs;
        }
        break;
    case EGOV_BO_TAX:
        qs = egov_db_exec(c, &st_tax, pl);
        a->updated = qs;
        break;
    case EGOV_BO_VEHICLE:
        qs = egov_db_exec(c, &st_vehicle, pl);
        a->updated = qs;
        break;
    case EGOV_BO_HEALTH:
        qs = egov_db_exec(c, &st_health, pu);
        a->updated = qs;
        break;
    default:
        return EGOV_DB_HARD_ERROR;
    }
    if (qs < 0)
        return qs;
    const struct egov_db_param pr[] = {EGOV_DB_PARAM_TEXT(a->delivery),
                                       EGOV_DB_PARAM_TEXT(a->subject), EGOV_DB_PARAM_INT64(now),
                                       EGOV_DB_PARAM_INT64(a->updated), EGOV_DB_PARAM_END};
    return egov_db_exec(c, &st_record, pr);
}

static bool delivery_id_ok(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n == 0 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
            return false;
    return true;
}

void bo_handle_event(struct egov_req *req, enum egov_backoffice_agency agency)
{
    const char *delivery = egov_req_header(req, "X-Egov-Delivery");
    if (!delivery_id_ok(delivery)) {
        bo_problem(req, agency, EGOV_EC_BACKOFFICE_DELIVERY_ID_MISSING, "X-Egov-Delivery", NULL);
        return;
    }
    const char *subject = NULL, *time = NULL;
    json_t *data = NULL;
    struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_STRING_LEN("subject", &subject, 1, 128),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("time", &time, 1, 64)),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_OBJECT("data", &data)),
        EGOV_JSON_SPEC_END,
    };
    if (bo_parse_body(req, agency, spec) == NULL)
        return;
    if (strcmp(subject, "household.address-changed") != 0) {
        bo_reply(req, agency, 200,
                 json_pack("{s:b, s:s}", "applied", 0, "reason", "subject not handled here"));
        return;
    }
    const char *nid = NULL, *address = NULL, *district = "";
    struct egov_json_spec dspec[] = {
        EGOV_JSON_SPEC_STRING_LEN("national_id", &nid, 10, 10),
        EGOV_JSON_SPEC_STRING_LEN("address", &address, 1, 200),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("district_code", &district, 0, 8)),
        EGOV_JSON_SPEC_END,
    };
    struct egov_json_error jerr = {0};
    if (data == NULL) {
        bo_problem(req, agency, EGOV_EC_GENERIC_PARAMETER_MISSING, "data", NULL);
        return;
    }
    if (!egov_json_parse_spec(data, dspec, &jerr)) {
        char field[64];
        snprintf(field, sizeof(field), "data.%s", jerr.field != NULL ? jerr.field : "");
        bo_problem(req, agency, jerr.ec, field, jerr.detail);
        return;
    }
    if (!egov_backoffice_national_id_valid(nid)) {
        bo_problem(req, agency, EGOV_EC_BACKOFFICE_ID_MALFORMED, "data.national_id", NULL);
        return;
    }
    int64_t event_us = 0;
    if (time != NULL && !egov_time_parse_rfc3339(time, &event_us)) {
        bo_problem(req, agency, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "time",
                   "time must be an RFC 3339 timestamp");
        return;
    }
    struct apply a = {.agency = agency,
                      .delivery = delivery,
                      .subject = subject,
                      .nid = nid,
                      .address = address,
                      .district = district,
                      .event_us = event_us};
    if (agency == EGOV_BO_TAX || agency == EGOV_BO_VEHICLE) {
        a.legacy = bo_to_legacy(req->arena, agency, address, &a.legacy_len);
        if (a.legacy == NULL) {
            bo_problem(req, agency, EGOV_EC_GENERIC_INTERNAL, NULL, "legacy code unavailable");
            return;
        }
    }
    if (!bo_run_txn(req, agency, true, 10, apply_body, &a))
        return;
    if (a.duplicate)
        bo_reply(req, agency, 200, json_pack("{s:b, s:b}", "applied", 0, "duplicate", 1));
    else if (a.stale)
        bo_reply(req, agency, 200, json_pack("{s:b, s:b}", "applied", 0, "stale", 1));
    else
        bo_reply(req, agency, 200,
                 json_pack("{s:b, s:I}", "applied", 1, "updated", (json_int_t)a.updated));
}
