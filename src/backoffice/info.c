/*
 * info.c -- what each back office is: its agency, suggested gateway
 * identifiers, wire code, endpoints; and its OpenAPI 3.0 description,
 * built from the same endpoint table.
 */
#include <stdio.h>
#include <string.h>

#include "backoffice/bo_int.h"

static const struct egov_backoffice_endpoint household_ep[] = {
    {"persons", "GET", "/persons/{id}", true, "Person record (戶籍資料)"},
    {"persons", "GET", "/persons/{id}/transcript", true,
     "Household transcript data (戶籍謄本), full or partial"},
    {"persons", "POST", "/persons/{id}/address-change", true,
     "Address change (遷徙登記); notifies every agency"},
    {"events", "GET", "/events", true, "Event feed: address changes since a sequence number"},
    {NULL, NULL, NULL, false, NULL},
};

static const struct egov_backoffice_endpoint land_ep[] = {
    {"parcels", "GET", "/parcels/{section}/{number}", true,
     "Parcel transcript data (地籍謄本): owners, shares, buildings, mortgages, value"},
    {"owners", "GET", "/owners/{id}/parcels", true, "Parcels and buildings of an owner"},
    {NULL, NULL, NULL, false, NULL},
};

static const struct egov_backoffice_endpoint tax_ep[] = {
    {"taxpayers", "GET", "/taxpayers/{id}", true, "Taxpayer record"},
    {"taxpayers", "GET", "/taxpayers/{id}/bills", true,
     "Tax bills: income, house, land value and vehicle licence tax"},
    {"taxpayers", "GET", "/taxpayers/{id}/clearance", true, "Tax clearance data (完稅證明)"},
    {"bills", "POST", "/bills/{no}/payments", false, "Pay a tax bill"},
    {NULL, NULL, NULL, false, NULL},
};

static const struct egov_backoffice_endpoint business_ep[] = {
    {"companies", "GET", "/companies/{ban}", false, "Company record (公司登記)"},
    {"persons", "GET", "/persons/{id}/companies", true, "Companies a person represents or directs"},
    {NULL, NULL, NULL, false, NULL},
};

static const struct egov_backoffice_endpoint vehicle_ep[] = {
    {"owners", "GET", "/owners/{id}/vehicles", true, "Vehicles of an owner"},
    {"owners", "GET", "/owners/{id}/fines", true, "Traffic fines of an owner"},
    {"owners", "GET", "/owners/{id}/licences", true, "Driving licences of a person"},
    {"vehicles", "GET", "/vehicles/{plate}", false, "Vehicle record with its inspections"},
    {NULL, NULL, NULL, false, NULL},
};

static const struct egov_backoffice_endpoint health_ep[] = {
    {"hospitals", "GET", "/hospitals", false, "Hospitals and clinics"},
    {"hospitals", "GET", "/hospitals/{code}/slots", false, "Appointment slots of a hospital"},
    {"appointments", "POST", "/appointments", true, "Book an appointment"},
    {"appointments", "GET", "/appointments/{id}", true, "An appointment"},
    {"appointments", "DELETE", "/appointments/{id}", true, "Cancel an appointment"},
    {"patients", "GET", "/patients/{id}/appointments", true, "Appointments of a patient"},
    {NULL, NULL, NULL, false, NULL},
};

static const struct egov_backoffice_info infos[EGOV_BO_COUNT] = {
    {EGOV_BO_HOUSEHOLD, "household", "MOI", "household", "2.16.886.101.20003.20001", "戶政",
     "Household registration", "utf-8", false, household_ep},
    {EGOV_BO_LAND, "land", "MOI", "land", "2.16.886.101.20003.20001", "地政", "Land administration",
     "utf-8", true, land_ep},
    {EGOV_BO_TAX, "tax", "MOF", "tax", "2.16.886.101.20003.20004", "稅務", "Taxation", "cns-fin",
     true, tax_ep},
    {EGOV_BO_BUSINESS, "business", "MOEA", "business", "2.16.886.101.20003.20007", "工商",
     "Business registration", "utf-8", false, business_ep},
    {EGOV_BO_VEHICLE, "vehicle", "MOTC", "vehicle", "2.16.886.101.20003.20008.20011", "監理",
     "Motor vehicles", "cns-dci", true, vehicle_ep},
    {EGOV_BO_HEALTH, "health", "MOHW", "health", "2.16.886.101.20003.20065", "醫療", "Health care",
     "utf-8", true, health_ep},
};

const struct egov_backoffice_info *egov_backoffice_info(enum egov_backoffice_agency agency)
{
    return (unsigned int)agency < EGOV_BO_COUNT ? &infos[agency] : NULL;
}

bool egov_backoffice_agency_parse(const char *name, enum egov_backoffice_agency *out)
{
    for (unsigned int i = 0; name != NULL && i < EGOV_BO_COUNT; i++) {
        if (strcmp(infos[i].name, name) == 0) {
            *out = infos[i].agency;
            return true;
        }
    }
    return false;
}

/* ------------------------------------------------------------------ */
/* OpenAPI                                                             */
/* ------------------------------------------------------------------ */

/* Query parameters some endpoints take: path, name, description, type. */
static const struct {
    const char *path, *name, *description, *type;
} query_params[] = {
    {"/persons/{id}/transcript", "type", "full (every member) or partial (this person)", "string"},
    {"/events", "after", "return events with a larger sequence number", "integer"},
    {"/events", "limit", "at most this many events (1..1000, default 100)", "integer"},
    {"/taxpayers/{id}/bills", "year", "only bills of this year", "integer"},
    {"/taxpayers/{id}/bills", "unpaid", "1: only unpaid bills", "integer"},
    {"/taxpayers/{id}/clearance", "year", "the year to certify (default: last year)", "integer"},
    {"/owners/{id}/fines", "unpaid", "1: only unpaid fines", "integer"},
    {"/hospitals", "city", "8-digit code of a county or city (its first 5 digits count)", "string"},
    {"/hospitals/{code}/slots", "date", "YYYY-MM-DD", "string"},
};

static json_t *path_params(const char *path, const char *method)
{
    json_t *arr = json_array();
    const char *p = path;
    while (arr != NULL && (p = strchr(p, '{')) != NULL) {
        const char *e = strchr(p, '}');
        if (e == NULL)
            break;
        json_array_append_new(arr, json_pack("{s:s%, s:s, s:b, s:{s:s}}", "name", p + 1,
                                             (size_t)(e - p - 1), "in", "path", "required", 1,
                                             "schema", "type", "string"));
        p = e + 1;
    }
    for (size_t i = 0; arr != NULL && strcmp(method, "GET") == 0 &&
                       i < sizeof(query_params) / sizeof(query_params[0]);
         i++)
        if (strcmp(query_params[i].path, path) == 0)
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:b, s:{s:s}}", "name",
                                                 query_params[i].name, "in", "query", "description",
                                                 query_params[i].description, "required", 0,
                                                 "schema", "type", query_params[i].type));
    return arr;
}

static json_t *responses(const struct egov_backoffice_info *info, const char *method)
{
    char ct[96];
    snprintf(ct, sizeof(ct), "application/json%s%s",
             strcmp(info->charset, "utf-8") == 0 ? "" : "; charset=",
             strcmp(info->charset, "utf-8") == 0 ? "" : info->charset);
    json_t *ok = json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", "the record", "content", ct,
                           "schema", "type", "object");
    json_t *problem =
        json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", "a problem (RFC 9457) naming the field",
                  "content", "application/problem+json", "schema", "type", "object");
    json_t *r = json_object();
    if (r == NULL || ok == NULL || problem == NULL) {
        json_decref(ok);
        json_decref(problem);
        json_decref(r);
        return NULL;
    }
    json_object_set_new(r, strcmp(method, "POST") == 0 ? "201" : "200", ok);
    json_object_set(r, "400", problem);
    json_object_set(r, "404", problem);
    if (strcmp(method, "GET") != 0)
        json_object_set(r, "409", problem);
    json_decref(problem);
    return r;
}

json_t *bo_openapi(enum egov_backoffice_agency agency)
{
    const struct egov_backoffice_info *info = egov_backoffice_info(agency);
    char title[160];
    if (info == NULL)
        return NULL;
    snprintf(title, sizeof(title), "%s %s (%s)", info->title_zh, info->title_en, info->name);
    json_t *paths = json_object();
    json_t *doc =
        json_pack("{s:s, s:{s:s, s:s, s:s}, s:o}", "openapi", "3.0.3", "info", "title", title,
                  "version", "1.0.0", "description",
                  "Reference back-office system; reach it through the gateway.", "paths", paths);
    if (doc == NULL)
        return NULL;
    for (const struct egov_backoffice_endpoint *e = info->endpoints; e->service != NULL; e++) {
        json_t *item = json_object_get(paths, e->path);
        if (item == NULL) {
            item = json_object();
            json_object_set_new(paths, e->path, item);
        }
        char lower[8];
        size_t i = 0;
        for (; e->method[i] != '\0' && i < sizeof(lower) - 1; i++)
            lower[i] = (char)(e->method[i] | 0x20);
        lower[i] = '\0';
        char opid[96];
        snprintf(opid, sizeof(opid), "%s_%s_%zu", e->service, lower, (size_t)(e - info->endpoints));
        json_t *op = json_pack(
            "{s:s, s:s, s:[s], s:o, s:o, s:b}", "summary", e->summary, "operationId", opid, "tags",
            e->service, "parameters", path_params(e->path, e->method), "responses",
            responses(info, e->method), "x-personal-data", e->personal_data ? 1 : 0);
        if (op != NULL && strcmp(e->method, "POST") == 0)
            json_object_set_new(op, "requestBody",
                                json_pack("{s:b, s:{s:{s:{s:s}}}}", "required", 1, "content",
                                          "application/json", "schema", "type", "object"));
        json_object_set_new(item, lower, op);
    }
    if (info->receives_events) {
        json_t *op = json_pack(
            "{s:s, s:s, s:[{s:s, s:s, s:b, s:{s:s}}], s:{s:{s:s}, s:{s:s}}}", "summary",
            "Receive an event (household.address-changed) once per delivery id", "operationId",
            "events_receive", "parameters", "name", "X-Egov-Delivery", "in", "header", "required",
            1, "schema", "type", "string", "responses", "200", "description",
            "applied, or a repeated delivery", "400", "description", "malformed event");
        json_object_set_new(paths, "/events", json_pack("{s:o}", "post", op));
    }
    return doc;
}
