/*
 * household.c -- the household registry (戶政): person records, household
 * transcript data (戶籍謄本), address changes (遷徙登記) that emit
 * household.address-changed into the outbox, and the outbox feed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoffice/bo_int.h"

#define A               EGOV_BO_HOUSEHOLD
#define SUBJECT_ADDRESS "household.address-changed"

static const struct egov_db_stmt st_person = {
    "bo_hh_person",
    "SELECT p.national_id, p.name, p.sex, p.birth_date, p.father_id, f.name, p.mother_id,"
    " m.name, p.spouse_id, s.name, p.household_no, p.relation, p.status, p.death_date,"
    " h.address, h.district_code"
    " FROM hh_person p JOIN hh_household h ON h.household_no = p.household_no"
    " LEFT JOIN hh_person f ON f.national_id = p.father_id"
    " LEFT JOIN hh_person m ON m.national_id = p.mother_id"
    " LEFT JOIN hh_person s ON s.national_id = p.spouse_id"
    " WHERE p.national_id = $1",
    NULL};
static const struct egov_db_stmt st_members = {
    "bo_hh_members",
    "SELECT p.national_id FROM hh_person p WHERE p.household_no = $1"
    " ORDER BY CASE WHEN p.relation = '戶長' THEN 0 WHEN p.relation = '配偶' THEN 1 ELSE 2 END,"
    " p.birth_date, p.national_id",
    NULL};
static const struct egov_db_stmt st_records = {
    "bo_hh_records",
    "SELECT kind, event_date, detail FROM hh_record WHERE national_id = $1"
    " ORDER BY event_date, recorded_at, id",
    NULL};

/* {"national_id","name"} of a relative, or JSON null. */
static json_t *relative(struct egov_req *req, const struct egov_db_rows *r, size_t idc,
                        size_t namec)
{
    if (egov_db_rows_is_null(r, 0, idc))
        return json_null();
    return json_pack("{s:s, s:s}", "national_id", bo_col(req, r, 0, idc), "name",
                     bo_col(req, r, 0, namec));
}

/* Reads one person into a new JSON object; sets *household_no (arena). */
static enum egov_db_qs person_json(struct egov_req *req, struct egov_db_conn *c, const char *id,
                                   json_t **out, const char **household_no)
{
    struct egov_db_rows *r = NULL;
    const struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(id), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_person, p, &r);
    *out = NULL;
    if (qs <= 0) {
        egov_db_rows_free(r);
        return qs;
    }
    json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:s, s:s, s:s, s:s}",
                          "national_id", bo_col(req, r, 0, 0), "name", bo_col(req, r, 0, 1), "sex",
                          bo_col(req, r, 0, 2), "birth_date", bo_date_json(bo_col(req, r, 0, 3)),
                          "father", relative(req, r, 4, 5), "mother", relative(req, r, 6, 7),
                          "spouse", relative(req, r, 8, 9), "household_no", bo_col(req, r, 0, 10),
                          "relation", bo_col(req, r, 0, 11), "status", bo_col(req, r, 0, 12),
                          "address", bo_col(req, r, 0, 14), "district_code", bo_col(req, r, 0, 15));
    if (o != NULL && !egov_db_rows_is_null(r, 0, 13))
        json_object_set_new(o, "death_date", bo_date_json(bo_col(req, r, 0, 13)));
    if (household_no != NULL)
        *household_no = bo_col(req, r, 0, 10);
    egov_db_rows_free(r);
    *out = o;
    return o != NULL ? EGOV_DB_ONE_ROW : EGOV_DB_HARD_ERROR;
}

static void handle_person(struct egov_req *req)
{
    const char *id = bo_id_param(req, A, "id");
    if (id == NULL)
        return;
    struct egov_db_conn *c = egov_db_acquire(egov_req_db(req), 5000);
    if (c == NULL) {
        bo_problem(req, A, EGOV_EC_DB_UNREACHABLE, NULL, NULL);
        return;
    }
    json_t *o = NULL;
    enum egov_db_qs qs = person_json(req, c, id, &o, NULL);
    egov_db_release(c);
    if (qs < 0)
        bo_db_problem(req, A, qs);
    else if (qs == 0)
        bo_problem(req, A, EGOV_EC_BACKOFFICE_PERSON_UNKNOWN, "id", NULL);
    else
        bo_reply(req, A, 200, o);
}

/* ------------------------------------------------------------------ */
/* Transcript                                                          */
/* ------------------------------------------------------------------ */

struct transcript {
    struct egov_req *req;
    const char *id;
    bool full;
    json_t *out;
};

static enum egov_db_qs records_of(struct egov_req *req, struct egov_db_conn *c, const char *id,
                                  json_t *member)
{
    struct egov_db_rows *r = NULL;
    const struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(id), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_records, p, &r);
    if (qs < 0)
        return qs;
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < egov_db_rows_count(r); i++)
        json_array_append_new(list, json_pack("{s:s, s:o, s:s}", "kind", bo_col(req, r, i, 0),
                                              "date", bo_date_json(bo_col(req, r, i, 1)), "detail",
                                              bo_col(req, r, i, 2)));
    egov_db_rows_free(r);
    if (list == NULL)
        return EGOV_DB_HARD_ERROR;
    json_object_set_new(member, "records", list);
    return EGOV_DB_ONE_ROW;
}

static enum egov_db_qs transcript_body(struct egov_db_conn *c, void *cls)
{
    struct transcript *t = cls;
    json_t *person = NULL;
    const char *hno = NULL;
    json_decref(t->out);
    t->out = NULL;
    enum egov_db_qs qs = person_json(t->req, c, t->id, &person, &hno);
    if (qs <= 0)
        return qs;
    json_t *members = json_array();
    t->out =
        json_pack("{s:s, s:s, s:O, s:O, s:o}", "type", t->full ? "full" : "partial", "household_no",
                  hno, "address", json_object_get(person, "address"), "district_code",
                  json_object_get(person, "district_code"), "members", members);
    if (t->out == NULL) {
        json_decref(person);
        return EGOV_DB_HARD_ERROR;
    }
    if (!t->full) {
        json_array_append(members, person);
        qs = records_of(t->req, c, t->id, person);
        json_decref(person);
        if (qs == EGOV_DB_NO_ROW) {
            json_decref(t->out);
            t->out = NULL;
        }
        return qs;
    }
    json_decref(person);
    struct egov_db_rows *r = NULL;
    const struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(hno), EGOV_DB_PARAM_END};
    qs = egov_db_query(c, &st_members, p, &r);
    for (size_t i = 0; qs > 0 && i < egov_db_rows_count(r); i++) {
        const char *mid = bo_col(t->req, r, i, 0);
        json_t *m = NULL;
        qs = person_json(t->req, c, mid, &m, NULL);
        if (qs > 0) {
            json_array_append_new(members, m);
            qs = records_of(t->req, c, mid, m);
        }
    }
    egov_db_rows_free(r);
    if (qs == EGOV_DB_NO_ROW) { /* a member or a record is gone: no transcript */
        json_decref(t->out);
        t->out = NULL;
    }
    return qs;
}

static void handle_transcript(struct egov_req *req)
{
    const char *id = bo_id_param(req, A, "id");
    if (id == NULL)
        return;
    const char *type = egov_req_query(req, "type");
    if (type != NULL && strcmp(type, "full") != 0 && strcmp(type, "partial") != 0) {
        bo_problem(req, A, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "type",
                   "type must be full or partial");
        return;
    }
    struct transcript t = {req, id, type == NULL || strcmp(type, "full") == 0, NULL};
    if (bo_read_one(req, A, transcript_body, &t, &t.out, EGOV_EC_BACKOFFICE_PERSON_UNKNOWN, "id") ==
        NULL)
        return;
    char now[32];
    egov_time_rfc3339(egov_now_us(), now);
    json_object_set_new(t.out, "issued_at", json_string(now));
    json_object_set_new(t.out, "issuer", json_string("戶政事務所"));
    bo_reply(req, A, 200, t.out);
}

/* ------------------------------------------------------------------ */
/* Address change                                                      */
/* ------------------------------------------------------------------ */

static const struct egov_db_stmt st_mover = {
    "bo_hh_mover",
    "SELECT p.name, p.status, p.relation, p.household_no, h.address"
    " FROM hh_person p JOIN hh_household h ON h.household_no = p.household_no"
    " WHERE p.national_id = $1",
    NULL};
static const struct egov_db_stmt st_living_members = {
    "bo_hh_living_members",
    "SELECT national_id, name FROM hh_person WHERE household_no = $1 AND status = 'living'"
    " ORDER BY national_id",
    NULL};
static const struct egov_db_stmt st_hh_move = {
    "bo_hh_move",
    "UPDATE hh_household SET address = $2, district_code = $3 WHERE household_no = $1", NULL};
static const struct egov_db_stmt st_hh_exists = {
    "bo_hh_exists", "SELECT 1 FROM hh_household WHERE household_no = $1", NULL};
static const struct egov_db_stmt st_hh_new = {
    "bo_hh_new",
    "INSERT INTO hh_household (household_no, head_id, address, district_code, registered_on)"
    " VALUES ($1, $2, $3, $4, $5)",
    NULL};
static const struct egov_db_stmt st_person_rehouse = {
    "bo_hh_person_rehouse",
    "UPDATE hh_person SET household_no = $2, relation = '戶長', updated_at = $3"
    " WHERE national_id = $1",
    NULL};
static const struct egov_db_stmt st_person_touch = {
    "bo_hh_person_touch", "UPDATE hh_person SET updated_at = $2 WHERE national_id = $1", NULL};
static const struct egov_db_stmt st_record_add = {
    "bo_hh_record_add",
    "INSERT INTO hh_record (id, national_id, kind, event_date, detail, recorded_at)"
    " VALUES ($1, $2, 'moving', $3, $4, $5)",
    NULL};
static const struct egov_db_stmt st_outbox_next = {
    "bo_hh_outbox_next", "SELECT COALESCE(MAX(seq), 0) + 1 FROM hh_outbox", NULL};
static const struct egov_db_stmt st_outbox_add = {
    "bo_hh_outbox_add",
    "INSERT INTO hh_outbox (seq, id, subject, event_key, created_at, data)"
    " VALUES ($1, $2, $3, $4, $5, $6)",
    NULL};
static const struct egov_db_stmt st_publish_url = {
    "bo_hh_publish_url", "SELECT value FROM bo_setting WHERE key = 'publish_url'", NULL};

struct move {
    struct egov_req *req;
    const char *id, *address, *district, *date;
    /* results */
    enum egov_ec ec;
    const char *ec_field;
    char household_no[16];
    json_t *moved;  /* [national ids] */
    json_t *events; /* [seq] */
};

/* Writes the event of one moved person to the outbox (and the publish queue). */
static enum egov_db_qs emit_event(struct egov_db_conn *c, struct move *m, const char *nid,
                                  const char *name, const char *old_address, const char *url)
{
    struct egov_db_rows *r = NULL;
    enum egov_db_qs qs = egov_db_query(c, &st_outbox_next, NULL, &r);
    if (qs <= 0) {
        egov_db_rows_free(r);
        return qs < 0 ? qs : EGOV_DB_HARD_ERROR;
    }
    int64_t seq = egov_db_rows_int64(r, 0, 0);
    egov_db_rows_free(r);
    char id[37], now[32];
    egov_uuid7(id);
    int64_t now_us = egov_now_us();
    egov_time_rfc3339(now_us, now);
    json_t *data =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "national_id", nid, "name", name,
                  "household_no", m->household_no, "address", m->address, "district_code",
                  m->district, "previous_address", old_address, "moved_on", m->date);
    char *text = data != NULL ? json_dumps(data, JSON_COMPACT) : NULL;
    json_t *ev = data != NULL
                     ? json_pack("{s:I, s:s, s:s, s:s, s:s, s:O}", "seq", (json_int_t)seq, "id", id,
                                 "subject", SUBJECT_ADDRESS, "key", nid, "time", now, "data", data)
                     : NULL;
    char *evtext = ev != NULL ? json_dumps(ev, JSON_COMPACT) : NULL;
    json_decref(data);
    json_decref(ev);
    if (text == NULL || evtext == NULL) {
        free(text);
        free(evtext);
        return EGOV_DB_HARD_ERROR;
    }
    const struct egov_db_param p[] = {
        EGOV_DB_PARAM_INT64(seq), EGOV_DB_PARAM_TEXT(id),      EGOV_DB_PARAM_TEXT(SUBJECT_ADDRESS),
        EGOV_DB_PARAM_TEXT(nid),  EGOV_DB_PARAM_INT64(now_us), EGOV_DB_PARAM_TEXT(text),
        EGOV_DB_PARAM_END};
    qs = egov_db_exec(c, &st_outbox_add, p);
    if (qs >= 0 && url != NULL)
        qs = egov_webhook_enqueue(c, url, evtext, NULL);
    free(text);
    free(evtext);
    if (qs >= 0)
        json_array_append_new(m->events, json_integer(seq));
    return qs;
}

static enum egov_db_qs move_one(struct egov_db_conn *c, struct move *m, const char *nid,
                                const char *name, const char *old_address, const char *url,
                                int64_t now_us)
{
    char rid[37], detail[400];
    egov_uuid7(rid);
    snprintf(detail, sizeof(detail), "遷出 %s，遷入 %s", old_address, m->address);
    const struct egov_db_param pr[] = {EGOV_DB_PARAM_TEXT(rid),     EGOV_DB_PARAM_TEXT(nid),
                                       EGOV_DB_PARAM_TEXT(m->date), EGOV_DB_PARAM_TEXT(detail),
                                       EGOV_DB_PARAM_INT64(now_us), EGOV_DB_PARAM_END};
    const struct egov_db_param pt[] = {EGOV_DB_PARAM_TEXT(nid), EGOV_DB_PARAM_INT64(now_us),
                                       EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_exec(c, &st_record_add, pr);
    if (qs >= 0)
        qs = egov_db_exec(c, &st_person_touch, pt);
    if (qs >= 0)
        qs = emit_event(c, m, nid, name, old_address, url);
    if (qs >= 0)
        json_array_append_new(m->moved, json_string(nid));
    return qs;
}

static enum egov_db_qs move_body(struct egov_db_conn *c, void *cls)
{
    struct move *m = cls;
    struct egov_db_rows *r = NULL, *u = NULL, *mem = NULL;
    enum egov_db_qs qs;
    int64_t now_us = egov_now_us();
    const char *url = NULL;

    m->ec = EGOV_EC_NONE;
    json_array_clear(m->moved);
    json_array_clear(m->events);
    const struct egov_db_param pid[] = {EGOV_DB_PARAM_TEXT(m->id), EGOV_DB_PARAM_END};
    qs = egov_db_query(c, &st_mover, pid, &r);
    if (qs <= 0) {
        if (qs == 0) {
            m->ec = EGOV_EC_BACKOFFICE_PERSON_UNKNOWN;
            m->ec_field = "id";
        }
        goto done;
    }
    const char *name = egov_db_rows_text(r, 0, 0);
    const char *status = egov_db_rows_text(r, 0, 1);
    bool head = strcmp(egov_db_rows_text(r, 0, 2), "戶長") == 0;
    const char *old_hno = egov_db_rows_text(r, 0, 3);
    const char *old_address = egov_db_rows_text(r, 0, 4);
    if (strcmp(status, "living") != 0) {
        m->ec = EGOV_EC_BACKOFFICE_PERSON_DECEASED;
        m->ec_field = "id";
        qs = EGOV_DB_NO_ROW;
        goto done;
    }
    if (strcmp(old_address, m->address) == 0) {
        m->ec = EGOV_EC_GENERIC_PARAMETER_MALFORMED;
        m->ec_field = "address";
        qs = EGOV_DB_NO_ROW;
        goto done;
    }
    qs = egov_db_query(c, &st_publish_url, NULL, &u);
    if (qs < 0)
        goto done;
    if (qs > 0)
        url = egov_db_rows_text(u, 0, 0);

    if (head) {
        /* the head moves with the household: its address changes, every living member gets an event
         */
        snprintf(m->household_no, sizeof(m->household_no), "%s", old_hno);
        const struct egov_db_param pm[] = {EGOV_DB_PARAM_TEXT(old_hno),
                                           EGOV_DB_PARAM_TEXT(m->address),
                                           EGOV_DB_PARAM_TEXT(m->district), EGOV_DB_PARAM_END};
        qs = egov_db_exec(c, &st_hh_move, pm);
        if (qs < 0)
            goto done;
        const struct egov_db_param ph[] = {EGOV_DB_PARAM_TEXT(old_hno), EGOV_DB_PARAM_END};
        qs = egov_db_query(c, &st_living_members, ph, &mem);
        for (size_t i = 0; qs > 0 && i < egov_db_rows_count(mem); i++)
            qs = move_one(c, m, egov_db_rows_text(mem, i, 0), egov_db_rows_text(mem, i, 1),
                          old_address, url, now_us);
        goto done;
    }
    /* one person moves out and becomes the head of a new household at the new address */
    for (int tries = 0;; tries++) {
        uint32_t v;
        if (tries > 20 || !egov_random(&v, sizeof(v))) {
            qs = EGOV_DB_HARD_ERROR;
            goto done;
        }
        snprintf(m->household_no, sizeof(m->household_no), "%c%07u", old_hno[0],
                 (unsigned)(v % 10000000u));
        const struct egov_db_param pe[] = {EGOV_DB_PARAM_TEXT(m->household_no), EGOV_DB_PARAM_END};
        qs = egov_db_exec(c, &st_hh_exists, pe);
        if (qs < 0)
            goto done;
        if (qs == 0)
            break;
    }
    const struct egov_db_param pn[] = {
        EGOV_DB_PARAM_TEXT(m->household_no), EGOV_DB_PARAM_TEXT(m->id),
        EGOV_DB_PARAM_TEXT(m->address),      EGOV_DB_PARAM_TEXT(m->district),
        EGOV_DB_PARAM_TEXT(m->date),         EGOV_DB_PARAM_END};
    qs = egov_db_exec(c, &st_hh_new, pn);
    if (qs < 0)
        goto done;
    const struct egov_db_param pp[] = {EGOV_DB_PARAM_TEXT(m->id),
                                       EGOV_DB_PARAM_TEXT(m->household_no),
                                       EGOV_DB_PARAM_INT64(now_us), EGOV_DB_PARAM_END};
    qs = egov_db_exec(c, &st_person_rehouse, pp);
    if (qs < 0)
        goto done;
    qs = move_one(c, m, m->id, name, old_address, url, now_us);
done:
    egov_db_rows_free(r);
    egov_db_rows_free(u);
    egov_db_rows_free(mem);
    return qs;
}

static bool district_code_valid(const char *s)
{
    if (strlen(s) != 8)
        return false;
    for (int i = 0; i < 8; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static void handle_address_change(struct egov_req *req)
{
    const char *id = bo_id_param(req, A, "id");
    if (id == NULL)
        return;
    const char *address = NULL, *district = NULL, *date = NULL;
    struct egov_json_spec spec[] = {
        EGOV_JSON_SPEC_STRING_LEN("address", &address, 4, 120),
        EGOV_JSON_SPEC_STRING_LEN("district_code", &district, 8, 8),
        EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_STRING_LEN("date", &date, 10, 10)),
        EGOV_JSON_SPEC_END,
    };
    if (bo_parse_body(req, A, spec) == NULL)
        return;
    if (!district_code_valid(district)) {
        bo_problem(req, A, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "district_code",
                   "district_code must be the 8-digit code of a town or district");
        return;
    }
    char today[11];
    bo_today(today);
    if (date != NULL && !bo_iso_date_valid(date)) {
        bo_problem(req, A, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "date",
                   "expected a date as YYYY-MM-DD");
        return;
    }
    struct move m = {.req = req,
                     .id = id,
                     .address = address,
                     .district = district,
                     .date = date != NULL ? date : today};
    m.moved = json_array();
    m.events = json_array();
    struct egov_db_conn *c = egov_db_acquire(egov_req_db(req), 5000);
    if (c == NULL || m.moved == NULL || m.events == NULL) {
        json_decref(m.moved);
        json_decref(m.events);
        if (c != NULL)
            egov_db_release(c);
        bo_problem(req, A, c == NULL ? EGOV_EC_DB_UNREACHABLE : EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    enum egov_db_qs qs = egov_db_txn(c, true, 10, move_body, &m);
    egov_db_release(c);
    if (qs < 0) {
        bo_db_problem(req, A, qs);
    } else if (m.ec != EGOV_EC_NONE) {
        bo_problem(req, A, m.ec, m.ec_field,
                   m.ec == EGOV_EC_GENERIC_PARAMETER_MALFORMED
                       ? "the new address is the registered address"
                       : NULL);
    } else {
        json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:O, s:O}", "household_no", m.household_no,
                              "address", address, "district_code", district, "moved_on",
                              bo_date_json(m.date), "moved", m.moved, "events", m.events);
        bo_reply(req, A, 200, o);
    }
    json_decref(m.moved);
    json_decref(m.events);
}

/* ------------------------------------------------------------------ */
/* Event feed                                                          */
/* ------------------------------------------------------------------ */

static const struct egov_db_stmt st_feed = {
    "bo_hh_feed",
    "SELECT seq, id, subject, event_key, created_at, data FROM hh_outbox WHERE seq > $1"
    " ORDER BY seq LIMIT $2",
    NULL};

/* Parses a non-negative decimal query argument; false if malformed or above @p max. */
static bool query_uint(struct egov_req *req, const char *name, int64_t dflt, int64_t max,
                       int64_t *out)
{
    const char *s = egov_req_query(req, name);
    *out = dflt;
    if (s == NULL)
        return true;
    if (s[0] == '\0' || strlen(s) > 18)
        return false;
    int64_t v = 0;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

static void handle_feed(struct egov_req *req)
{
    int64_t after, limit;
    if (!query_uint(req, "after", 0, INT64_MAX / 2, &after)) {
        bo_problem(req, A, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "after",
                   "after must be a sequence number");
        return;
    }
    if (!query_uint(req, "limit", 100, 1000, &limit) || limit < 1) {
        bo_problem(req, A, EGOV_EC_GENERIC_PARAMETER_MALFORMED, "limit",
                   "limit must be between 1 and 1000");
        return;
    }
    struct egov_db_rows *r = NULL;
    const struct egov_db_param p[] = {EGOV_DB_PARAM_INT64(after), EGOV_DB_PARAM_INT64(limit),
                                      EGOV_DB_PARAM_END};
    if (!bo_query(req, A, &st_feed, p, &r))
        return;
    json_t *events = json_array();
    int64_t next = after;
    for (size_t i = 0; events != NULL && i < egov_db_rows_count(r); i++) {
        const char *text = egov_db_rows_text(r, i, 5);
        json_t *data = json_loads(text != NULL ? text : "{}", 0, NULL);
        char t[32];
        egov_time_rfc3339(egov_db_rows_int64(r, i, 4), t);
        next = egov_db_rows_int64(r, i, 0);
        json_array_append_new(events,
                              json_pack("{s:I, s:s, s:s, s:s, s:s, s:o}", "seq", (json_int_t)next,
                                        "id", bo_col(req, r, i, 1), "subject", bo_col(req, r, i, 2),
                                        "key", bo_col(req, r, i, 3), "time", t, "data",
                                        data != NULL ? data : json_object()));
    }
    egov_db_rows_free(r);
    bo_reply(req, A, 200, json_pack("{s:o, s:I}", "events", events, "next", (json_int_t)next));
}

static const struct egov_route routes[] = {
    {EGOV_M_GET, "/openapi.json", bo_handle_openapi, 0, 0, "openapi"},
    {EGOV_M_GET, "/persons/{id}", handle_person, 0, 0, "person"},
    {EGOV_M_GET, "/persons/{id}/transcript", handle_transcript, 0, 0, "transcript"},
    {EGOV_M_POST, "/persons/{id}/address-change", handle_address_change, 8192, 0, "address-change"},
    {EGOV_M_GET, "/events", handle_feed, 0, 0, "events"},
    EGOV_ROUTE_END,
};

const struct egov_route_table bo_household_routes = {"household", routes};
