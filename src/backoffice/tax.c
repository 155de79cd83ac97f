/*
 * tax.c -- the tax system (稅務): taxpayers, bills of income tax, house
 * tax, land value tax and vehicle licence tax, payments, and tax
 * clearance data (完稅證明).  It keeps names and addresses in its in-house
 * code and speaks that code on the wire.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoffice/bo_int.h"

#define A EGOV_BO_TAX

static const struct egov_db_stmt st_payer = {
    "bo_tax_payer",
    "SELECT national_id, name, address, district_code FROM tax_payer WHERE national_id = $1", NULL};
static const struct egov_db_stmt st_bills = {
    "bo_tax_bills",
    "SELECT bill_no, kind, year, object, amount, due_date, paid_at FROM tax_bill"
    " WHERE national_id = $1 AND ($2 = 0 OR year = $2) AND ($3 = 0 OR paid_at IS NULL)"
    " ORDER BY year DESC, due_date, bill_no",
    NULL};

static const struct egov_db_stmt st_income = {
    "bo_tax_income",
    "SELECT year, gross, taxable, tax FROM tax_income WHERE national_id = $1 ORDER BY year DESC",
    NULL};

static const char *kind_name(const char *kind)
{
    if (strcmp(kind, "income") == 0)
        return "綜合所得稅";
    if (strcmp(kind, "house") == 0)
        return "房屋稅";
    if (strcmp(kind, "land_value") == 0)
        return "地價稅";
    if (strcmp(kind, "vehicle_licence") == 0)
        return "使用牌照稅";
    return kind;
}

static json_t *payer_json(struct egov_req *req, const struct egov_db_rows *r)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "national_id", bo_col(req, r, 0, 0), "name",
                     bo_col_legacy(req, A, r, 0, 1), "address", bo_col_legacy(req, A, r, 0, 2),
                     "district_code", bo_col(req, r, 0, 3));
}

static json_t *bill_json(struct egov_req *req, const struct egov_db_rows *r, size_t i,
                         const char *today)
{
    const char *kind = bo_col(req, r, i, 1);
    const char *due = bo_col(req, r, i, 5);
    bool paid = !egov_db_rows_is_null(r, i, 6);
    json_t *b = json_pack(
        "{s:s, s:s, s:s, s:I, s:s, s:I, s:o, s:b, s:b}", "bill_no", bo_col(req, r, i, 0), "kind",
        kind, "kind_name", kind_name(kind), "year", (json_int_t)egov_db_rows_int64(r, i, 2),
        "object", bo_col(req, r, i, 3), "amount", (json_int_t)egov_db_rows_int64(r, i, 4),
        "due_date", bo_date_json(due), "paid", paid, "overdue", !paid && strcmp(due, today) < 0);
    if (b != NULL && paid) {
        char t[32];
        egov_time_rfc3339(egov_db_rows_int64(r, i, 6), t);
        json_object_set_new(b, "paid_at", json_string(t));
    }
    return b;
}

struct view {
    struct egov_req *req;
    const char *id;
    int64_t year;
    bool unpaid, clearance;
    json_t *out;
};

static enum egov_db_qs view_body(struct egov_db_conn *c, void *cls)
{
    struct view *v = cls;
    struct egov_req *req = v->req;
    struct egov_db_rows *r = NULL;
    char today[11];
    bo_today(today);
    json_decref(v->out);
    v->out = NULL;
    const struct egov_db_param k[] = {EGOV_DB_PARAM_TEXT(v->id), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_payer, k, &r);
    if (qs <= 0) {
        egov_db_rows_free(r);
        return qs;
    }
    json_t *payer = payer_json(req, r);
    egov_db_rows_free(r);
    r = NULL;
    if (payer == NULL)
        return EGOV_DB_HARD_ERROR;
    if (!v->clearance && v->year < 0) {
        /* the taxpayer record, with the income tax assessments */
        json_t *inc = json_array();
        qs = egov_db_query(c, &st_income, k, &r);
        for (size_t i = 0; qs >= 0 && inc != NULL && i < egov_db_rows_count(r); i++)
            json_array_append_new(inc, json_pack("{s:I, s:I, s:I, s:I}", "year",
                                                 (json_int_t)egov_db_rows_int64(r, i, 0), "gross",
                                                 (json_int_t)egov_db_rows_int64(r, i, 1), "taxable",
                                                 (json_int_t)egov_db_rows_int64(r, i, 2), "tax",
                                                 (json_int_t)egov_db_rows_int64(r, i, 3)));
        egov_db_rows_free(r);
        if (qs < 0 || inc == NULL) {
            json_decref(inc);
            json_decref(payer);
            return qs < 0 ? qs : EGOV_DB_HARD_ERROR;
        }
        json_object_set_new(payer, "income_assessments", inc);
        v->out = payer;
        return EGOV_DB_ONE_ROW;
    }
    const struct egov_db_param pb[] = {EGOV_DB_PARAM_TEXT(v->id),
                                       EGOV_DB_PARAM_INT64(v->clearance ? 0 : v->year),
                                       EGOV_DB_PARAM_INT64(v->unpaid ? 1 : 0), EGOV_DB_PARAM_END};
    qs = egov_db_query(c, &st_bills, pb, &r);
    if (qs < 0) {
        json_decref(payer);
        return qs;
    }
    json_t *bills = json_array(), *outstanding = json_array();
    int64_t total_paid = 0, total_due = 0;
    bool cleared = true;
    for (size_t i = 0; bills != NULL && outstanding != NULL && i < egov_db_rows_count(r); i++) {
        json_t *b = bill_json(req, r, i, today);
        if (b == NULL)
            continue;
        bool paid = json_is_true(json_object_get(b, "paid"));
        bool overdue = json_is_true(json_object_get(b, "overdue"));
        int64_t amount = egov_db_rows_int64(r, i, 4);
        if (!v->clearance) {
            json_array_append_new(bills, b);
            total_due += paid ? 0 : amount;
            continue;
        }
        /* clearance: the year's bills, and anything overdue from any year */
        if (egov_db_rows_int64(r, i, 2) == v->year) {
            if (paid)
                total_paid += amount;
            else if (overdue)
                cleared = false;
            json_array_append(bills, b);
        }
        if (overdue) {
            cleared = false;
            json_array_append(outstanding, b);
        }
        json_decref(b);
    }
    egov_db_rows_free(r);
    if (v->clearance) {
        char now[32];
        egov_time_rfc3339(egov_now_us(), now);
        v->out = json_pack("{s:o, s:I, s:b, s:o, s:o, s:I, s:s, s:s}", "taxpayer", payer, "year",
                           (json_int_t)v->year, "cleared", cleared, "bills", bills, "outstanding",
                           outstanding, "total_paid", (json_int_t)total_paid, "issued_at", now,
                           "issuer", "財政部稅務系統");
    } else {
        json_decref(outstanding);
        v->out = json_pack("{s:o, s:o, s:I}", "taxpayer", payer, "bills", bills, "unpaid_total",
                           (json_int_t)total_due);
    }
    return v->out != NULL ? EGOV_DB_ONE_ROW : EGOV_DB_HARD_ERROR;
}

/* Parses ?year= (1912..9999) into *out; -1 when absent.  False after replying 400. */
static bool year_arg(struct egov_req *req, int64_t *out)
{
    const char *s = egov_req_query(req, "year");
    *out = -1;
    if (s == NULL)
        return true;
    char *end = NULL;
    long y = strtol(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || end == NULL || *end != '\0' || y < 1912 || y > 9999) {
        bo_problem(req, A, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "year",
                   "year must be a Gregorian year such as 2025");
        return false;
    }
    *out = y;
    return true;
}

static void run_view(struct egov_req *req, struct view *v)
{
    if (bo_read_one(req, A, view_body, v, &v->out, EGOV_EC_BACKOFFICE_PERSON_UNKNOWN, "id") != NULL)
        bo_reply(req, A, 200, v->out);
}

static void handle_payer(struct egov_req *req)
{
    struct view v = {req, bo_id_param(req, A, "id"), -1, false, false, NULL};
    if (v.id != NULL)
        run_view(req, &v);
}

static void handle_bills(struct egov_req *req)
{
    struct view v = {req, bo_id_param(req, A, "id"), 0, false, false, NULL};
    if (v.id == NULL || !year_arg(req, &v.year))
        return;
    if (v.year < 0)
        v.year = 0;
    const char *unpaid = egov_req_query(req, "unpaid");
    if (unpaid != NULL && strcmp(unpaid, "0") != 0 && strcmp(unpaid, "1") != 0) {
        bo_problem(req, A, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "unpaid", "unpaid must be 0 or 1");
        return;
    }
    v.unpaid = unpaid != NULL && unpaid[0] == '1';
    run_view(req, &v);
}

static void handle_clearance(struct egov_req *req)
{
    struct view v = {req, bo_id_param(req, A, "id"), 0, false, true, NULL};
    if (v.id == NULL || !year_arg(req, &v.year))
        return;
    if (v.year < 0) {
        char today[11];
        bo_today(today);
        v.year = atoi(today) - 1;
    }
    run_view(req, &v);
}

/* ------------------------------------------------------------------ */
/* Payments                                                            */
/* ------------------------------------------------------------------ */

static const struct egov_db_stmt st_bill = {
    "bo_tax_bill", "SELECT amount, paid_at FROM tax_bill WHERE bill_no = $1", NULL};
static const struct egov_db_stmt st_pay = {
    "bo_tax_pay", "UPDATE tax_bill SET paid_at = $2 WHERE bill_no = $1 AND paid_at IS NULL", NULL};
static const struct egov_db_stmt st_payment = {
    "bo_tax_payment",
    "INSERT INTO tax_payment (id, bill_no, amount, paid_at) VALUES ($1, $2, $3, $4)", NULL};

struct pay {
    const char *no;
    int64_t amount;
    enum egov_ec ec;
    char id[37];
    int64_t at;
};

static enum egov_db_qs pay_body(struct egov_db_conn *c, void *cls)
{
    struct pay *p = cls;
    struct egov_db_rows *r = NULL;
    const struct egov_db_param k[] = {EGOV_DB_PARAM_TEXT(p->no), EGOV_DB_PARAM_END};
    p->ec = EGOV_EC_NONE;
    enum egov_db_qs qs = egov_db_query(c, &st_bill, k, &r);
    if (qs <= 0) {
        egov_db_rows_free(r);
        if (qs == 0)
            p->ec = EGOV_EC_BACKOFFICE_RECORD_UNKNOWN;
        return qs;
    }
    int64_t amount = egov_db_rows_int64(r, 0, 0);
    bool paid = !egov_db_rows_is_null(r, 0, 1);
    egov_db_rows_free(r);
    if (paid) {
        p->ec = EGOV_EC_BACKOFFICE_BILL_PAID;
        return EGOV_DB_NO_ROW;
    }
    if (amount != p->amount) {
        p->ec = EGOV_EC_BACKOFFICE_AMOUNT_WRONG;
        return EGOV_DB_NO_ROW;
    }
    p->at = egov_now_us();
    egov_uuid7(p->id);
    const struct egov_db_param pp[] = {EGOV_DB_PARAM_TEXT(p->no), EGOV_DB_PARAM_INT64(p->at),
                                       EGOV_DB_PARAM_END};
    qs = egov_db_exec(c, &st_pay, pp);
    if (qs == 0) {
        p->ec = EGOV_EC_BACKOFFICE_BILL_PAID;
        return qs;
    }
    if (qs < 0)
        return qs;
    const struct egov_db_param pr[] = {EGOV_DB_PARAM_TEXT(p->id), EGOV_DB_PARAM_TEXT(p->no),
                                       EGOV_DB_PARAM_INT64(p->amount), EGOV_DB_PARAM_INT64(p->at),
                                       EGOV_DB_PARAM_END};
    return egov_db_exec(c, &st_payment, pr);
}

static void handle_pay(struct egov_req *req)
{
    struct pay p = {.no = egov_req_param(req, "no")};
    if (p.no == NULL || strlen(p.no) < 4 || strlen(p.no) > 20) {
        bo_problem(req, A, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "no", "not a bill number");
        return;
    }
    struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_INT("amount", &p.amount, 1, INT64_C(1000000000000)),
        EGOV_JSON_SPEC_END,
    };
    if (bo_parse_body(req, A, spec) == NULL)
        return;
    if (!bo_run_txn(req, A, true, 10, pay_body, &p))
        return;
    if (p.ec != EGOV_EC_NONE) {
        bo_problem(req, A, p.ec, p.ec == EGOV_EC_BACKOFFICE_AMOUNT_WRONG ? "amount" : "no", NULL);
        return;
    }
    char t[32];
    egov_time_rfc3339(p.at, t);
    bo_reply(req, A, 201,
             json_pack("{s:s, s:s, s:I, s:s}", "payment_id", p.id, "bill_no", p.no, "amount",
                       (json_int_t)p.amount, "paid_at", t));
}

static const struct egov_route routes[] = {
    {EGOV_M_GET, "/openapi.json", bo_handle_openapi, 0, 0, "openapi"},
    {EGOV_M_GET, "/taxpayers/{id}", handle_payer, 0, 0, "taxpayer"},
    {EGOV_M_GET, "/taxpayers/{id}/bills", handle_bills, 0, 0, "bills"},
    {EGOV_M_GET, "/taxpayers/{id}/clearance", handle_clearance, 0, 0, "clearance"},
    {EGOV_M_POST, "/bills/{no}/payments", handle_pay, 4096, 0, "payment"},
    {EGOV_M_POST, "/events", bo_handle_events, 16384, 0, "events"},
    EGOV_ROUTE_END,
};

const struct egov_route_table bo_tax_routes = {"tax", routes};
