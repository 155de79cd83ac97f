/*
 * business.c -- the business registry (工商): company records by 統一編號
 * and the companies a person represents or directs.
 */
#include <stdio.h>
#include <string.h>

#include "backoffice/bo_int.h"

#define A EGOV_BO_BUSINESS

static const struct egov_db_stmt st_company = {
    "bo_biz_company",
    "SELECT ban, name, representative_name, capital, address, district_code, status,"
    " established_on FROM biz_company WHERE ban = $1",
    NULL};
static const struct egov_db_stmt st_directors = {
    "bo_biz_directors",
    "SELECT name, title, shares FROM biz_director WHERE ban = $1"
    " ORDER BY CASE WHEN title = '董事長' THEN 0 ELSE 1 END, shares DESC, person_id",
    NULL};
static const struct egov_db_stmt st_person_companies = {
    "bo_biz_person_companies",
    "SELECT c.ban, c.name, d.title, c.status,"
    " CASE WHEN c.representative_id = $1 THEN 1 ELSE 0 END"
    " FROM biz_director d JOIN biz_company c ON c.ban = d.ban WHERE d.person_id = $1"
    " ORDER BY c.ban",
    NULL};

struct company {
    struct egov_req *req;
    const char *ban;
    json_t *out;
};

static enum egov_db_qs company_body(struct egov_db_conn *c, void *cls)
{
    struct company *co = cls;
    struct egov_req *req = co->req;
    struct egov_db_rows *r = NULL;
    const struct egov_db_param k[] = {EGOV_DB_PARAM_TEXT(co->ban), EGOV_DB_PARAM_END};
    json_decref(co->out);
    co->out = NULL;
    enum egov_db_qs qs = egov_db_query(c, &st_company, k, &r);
    if (qs <= 0) {
        egov_db_rows_free(r);
        return qs;
    }
    json_t *directors = json_array();
    co->out =
        json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:o, s:o}", "ban", bo_col(req, r, 0, 0),
                  "name", bo_col(req, r, 0, 1), "representative", bo_col(req, r, 0, 2), "capital",
                  (json_int_t)egov_db_rows_int64(r, 0, 3), "address", bo_col(req, r, 0, 4),
                  "district_code", bo_col(req, r, 0, 5), "status", bo_col(req, r, 0, 6),
                  "established_on", bo_date_json(bo_col(req, r, 0, 7)), "directors", directors);
    egov_db_rows_free(r);
    r = NULL;
    if (co->out == NULL)
        return EGOV_DB_HARD_ERROR;
    qs = egov_db_query(c, &st_directors, k, &r);
    for (size_t i = 0; qs >= 0 && i < egov_db_rows_count(r); i++)
        json_array_append_new(directors, json_pack("{s:s, s:s, s:I}", "name", bo_col(req, r, i, 0),
                                                   "title", bo_col(req, r, i, 1), "shares",
                                                   (json_int_t)egov_db_rows_int64(r, i, 2)));
    egov_db_rows_free(r);
    return qs < 0 ? qs : EGOV_DB_ONE_ROW;
}

static void handle_company(struct egov_req *req)
{
    struct company co = {req, egov_req_param(req, "ban"), NULL};
    if (!egov_backoffice_ban_valid(co.ban)) {
        bo_problem(req, A, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "ban",
                   "a business ID (統一編號) has 8 digits with a valid check sum");
        return;
    }
    if (bo_read_one(req, A, company_body, &co, &co.out, EGOV_EC_BACKOFFICE_RECORD_UNKNOWN, "ban") !=
        NULL)
        bo_reply(req, A, 200, co.out);
}

static void handle_person_companies(struct egov_req *req)
{
    const char *id = bo_id_param(req, A, "id");
    if (id == NULL)
        return;
    struct egov_db_rows *r = NULL;
    const struct egov_db_param k[] = {EGOV_DB_PARAM_TEXT(id), EGOV_DB_PARAM_END};
    if (!bo_query(req, A, &st_person_companies, k, &r))
        return;
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < egov_db_rows_count(r); i++)
        json_array_append_new(list,
                              json_pack("{s:s, s:s, s:s, s:s, s:b}", "ban", bo_col(req, r, i, 0),
                                        "name", bo_col(req, r, i, 1), "title", bo_col(req, r, i, 2),
                                        "status", bo_col(req, r, i, 3), "representative",
                                        egov_db_rows_int64(r, i, 4) != 0));
    egov_db_rows_free(r);
    bo_reply(req, A, 200, json_pack("{s:s, s:o}", "national_id", id, "companies", list));
}

static const struct egov_route routes[] = {
    {EGOV_M_GET, "/openapi.json", bo_handle_openapi, 0, 0, "openapi"},
    {EGOV_M_GET, "/companies/{ban}", handle_company, 0, 0, "company"},
    {EGOV_M_GET, "/persons/{id}/companies", handle_person_companies, 0, 0, "person-companies"},
    EGOV_ROUTE_END,
};

const struct egov_route_table bo_business_routes = {"business", routes};
