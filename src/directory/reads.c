/*
 * reads.c -- the audit of reads of personal records: one dir_read row per
 * person or staff record a reader was shown, written in the transaction of
 * the read itself (people.c), and the list a person sees of who read
 * their records.
 */
#include <string.h>

#include "directory/directory_int.h"

static const struct egov_db_stmt st_read_insert = {
    "dir_read_insert",
    "INSERT INTO dir_read (id, at, reader, reader_agency, record_kind, record_id, via, query,"
    " purpose, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    NULL};

static const struct egov_db_stmt st_reads_of = {
    "dir_reads_of",
    "SELECT r.at, r.reader, COALESCE((SELECT s.name FROM dir_staff s WHERE s.subject = r.reader"
    " ORDER BY s.active DESC, s.updated_at DESC LIMIT 1), ''), r.reader_agency,"
    " COALESCE((SELECT a.name FROM dir_agency a WHERE a.id = r.reader_agency"
    " OR a.code = r.reader_agency LIMIT 1), ''), r.record_kind, r.via, r.query, r.purpose,"
    " r.request_id FROM dir_read r WHERE r.record_id IN"
    " (SELECT p.id FROM dir_person p WHERE p.id_number = $1"
    " UNION ALL SELECT s.id FROM dir_staff s WHERE s.subject = $2)"
    " ORDER BY r.at DESC, r.id DESC LIMIT $3",
    NULL};

static const char *or_empty(const char *s)
{
    return s != NULL ? s : "";
}

enum egov_db_qs dir_read_record_on(struct egov_db_conn *c, struct dir_read_ctx *ctx,
                                   const char *record_id)
{
    const struct egov_directory_reader *rd = ctx->reader;
    char id[37];
    egov_uuid7(id);
    struct egov_db_param p[] = {
        EGOV_DB_PARAM_TEXT(id),
        EGOV_DB_PARAM_INT64(egov_now_us()),
        EGOV_DB_PARAM_TEXT(rd != NULL && rd->subject != NULL ? rd->subject : "unknown"),
        EGOV_DB_PARAM_TEXT(rd != NULL ? or_empty(rd->agency_id) : ""),
        EGOV_DB_PARAM_TEXT(ctx->kind),
        EGOV_DB_PARAM_TEXT(or_empty(record_id)),
        EGOV_DB_PARAM_TEXT(ctx->via),
        EGOV_DB_PARAM_TEXT(or_empty(ctx->query)),
        EGOV_DB_PARAM_TEXT(rd != NULL ? or_empty(rd->purpose) : ""),
        EGOV_DB_PARAM_TEXT(rd != NULL ? or_empty(rd->request_id) : ""),
        EGOV_DB_PARAM_END,
    };
    enum egov_db_qs qs = egov_db_exec(c, &st_read_insert, p);
    if (qs == EGOV_DB_NO_ROW)
        qs = EGOV_DB_HARD_ERROR; /* an insert that wrote nothing is no record */
    if (qs < 0) {
        ctx->failed = true;
        if (qs == EGOV_DB_HARD_ERROR)
            egov_error("directory: the read of %s record %s by %s could not be recorded", ctx->kind,
                       or_empty(record_id), rd != NULL ? or_empty(rd->subject) : "");
    }
    return qs;
}

struct reads_cls {
    const char *id_number, *subject;
    unsigned int limit;
    json_t *result;
};

static enum egov_db_qs reads_body(struct egov_db_conn *c, void *cls)
{
    struct reads_cls *rc = cls;
    struct egov_db_rows *r = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(rc->id_number), EGOV_DB_PARAM_TEXT(rc->subject),
                                EGOV_DB_PARAM_INT64(rc->limit), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_reads_of, p, &r);
    if (qs < 0)
        return qs;
    json_decref(rc->result);
    rc->result = json_array();
    for (size_t i = 0; rc->result != NULL && i < egov_db_rows_count(r); i++) {
        char at[32];
        egov_time_rfc3339(egov_db_rows_int64(r, i, 0), at);
        json_t *o =
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "at", at, "reader",
                      egov_db_rows_text(r, i, 1), "reader_name", egov_db_rows_text(r, i, 2),
                      "reader_agency", egov_db_rows_text(r, i, 3), "reader_agency_name",
                      egov_db_rows_text(r, i, 4), "record", egov_db_rows_text(r, i, 5), "via",
                      egov_db_rows_text(r, i, 6), "query", egov_db_rows_text(r, i, 7), "purpose",
                      egov_db_rows_text(r, i, 8), "request_id", egov_db_rows_text(r, i, 9));
        if (o == NULL || json_array_append_new(rc->result, o) != 0) {
            json_decref(rc->result);
            rc->result = NULL;
        }
    }
    egov_db_rows_free(r);
    return rc->result == NULL ? EGOV_DB_HARD_ERROR : EGOV_DB_ONE_ROW;
}

enum egov_ec egov_directory_reads_of(struct egov_db *db, const char *id_number, const char *subject,
                                     unsigned int limit, json_t **out)
{
    *out = NULL;
    if (limit < 1 || limit > 1000)
        return EGOV_EC_GENERIC_PARAMETER_MALFORMED;
    struct reads_cls rc = {or_empty(id_number), or_empty(subject), limit, NULL};
    if (rc.id_number[0] == '\0' && rc.subject[0] == '\0') {
        *out = json_array();
        return *out == NULL ? EGOV_EC_GENERIC_OOM : EGOV_EC_NONE;
    }
    enum egov_db_qs qs = dir_txn(db, false, reads_body, &rc);
    if (qs < 0) {
        json_decref(rc.result);
        return egov_db_qs_ec(qs);
    }
    *out = rc.result;
    return EGOV_EC_NONE;
}
