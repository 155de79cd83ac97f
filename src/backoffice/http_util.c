/*
 * http_util.c -- what the back offices' handlers share: replies and
 * request bodies in the agency's wire code (UTF-8, or a legacy code for
 * the tax and vehicle systems), column helpers and dates.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "backoffice/bo_int.h"

const struct egov_hanzi_encoding *bo_utf8_encoding(void)
{
    return egov_hanzi_encoding_by_name("utf-8");
}

const struct egov_hanzi_encoding *bo_legacy_encoding(enum egov_backoffice_agency agency)
{
    const struct egov_backoffice_info *info = egov_backoffice_info(agency);
    if (info == NULL || strcmp(info->charset, "utf-8") == 0)
        return NULL;
    return egov_hanzi_encoding_by_name(info->charset);
}

/* Converts with @p policy into a NUL-terminated arena copy; NULL on failure. */
static char *convert(struct egov_arena *a, const struct egov_hanzi_encoding *from,
                     const struct egov_hanzi_encoding *to, enum egov_hanzi_policy policy,
                     const void *p, size_t n, size_t *outlen, struct egov_hanzi_error *herr)
{
    struct egov_buf b;
    char *res = NULL;

    egov_buf_init(&b);
    if (from == NULL || to == NULL)
        goto done;
    if (!egov_hanzi_convert(from, to, policy, p, n, &b, herr) || b.oom)
        goto done;
    res = egov_arena_alloc(a, b.len + 1);
    if (res == NULL)
        goto done;
    if (b.len > 0)
        memcpy(res, b.data, b.len);
    res[b.len] = '\0';
    if (outlen != NULL)
        *outlen = b.len;
done:
    egov_buf_free(&b);
    return res;
}

char *bo_to_legacy(struct egov_arena *a, enum egov_backoffice_agency agency, const char *s,
                   size_t *len)
{
    return convert(a, bo_utf8_encoding(), bo_legacy_encoding(agency), EGOV_HANZI_REPLACE, s,
                   strlen(s), len, NULL);
}

char *bo_from_legacy(struct egov_arena *a, enum egov_backoffice_agency agency, const void *p,
                     size_t len)
{
    return convert(a, bo_legacy_encoding(agency), bo_utf8_encoding(), EGOV_HANZI_REPLACE, p, len,
                   NULL, NULL);
}

/* Sends UTF-8 JSON text @p text as the agency's wire code. */
static void send_text(struct egov_req *req, enum egov_backoffice_agency agency, unsigned int status,
                      const char *media, const char *text)
{
    const struct egov_backoffice_info *info = egov_backoffice_info(agency);
    char ct[96];

    if (bo_legacy_encoding(agency) == NULL) {
        snprintf(ct, sizeof(ct), "%s", media);
        egov_reply_bytes(req, status, ct, text, strlen(text));
        return;
    }
    size_t n = 0;
    char *legacy = convert(req->arena, bo_utf8_encoding(), bo_legacy_encoding(agency),
                           EGOV_HANZI_REPLACE, text, strlen(text), &n, NULL);
    if (legacy == NULL) {
        EGOV_BUG("cannot encode a reply in %s", info->charset);
        egov_reply_problem(req, EGOV_EC_GENERIC_INTERNAL, NULL, NULL);
        return;
    }
    snprintf(ct, sizeof(ct), "%s; charset=%s", media, info->charset);
    egov_reply_bytes(req, status, ct, legacy, n);
}

void bo_reply(struct egov_req *req, enum egov_backoffice_agency agency, unsigned int status,
              json_t *body)
{
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (text == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    send_text(req, agency, status, "application/json", text);
    free(text);
}

void bo_problem(struct egov_req *req, enum egov_backoffice_agency agency, enum egov_ec ec,
                const char *field, const char *detail)
{
    if (bo_legacy_encoding(agency) == NULL) {
        egov_reply_problem(req, ec, field, detail);
        return;
    }
    const char *title = egov_i18n_gettext(req->lang ? req->lang : "en", egov_ec_hint(ec));
    const char *instance = req->path ? req->path : "/";
    if (!egov_utf8_valid(instance, strlen(instance), NULL))
        instance = "/";
    json_t *p =
        json_pack("{s:s+, s:s, s:I, s:s, s:I, s:s, s:s}", "type",
                  "urn:egov:error:", egov_ec_name(ec), "title", title, "status",
                  (json_int_t)egov_ec_http_status(ec), "detail", detail != NULL ? detail : title,
                  "code", (json_int_t)ec, "name", egov_ec_name(ec), "instance", instance);
    if (p == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    if (field != NULL)
        json_object_set_new(p, "field", json_string(field));
    if (req->request_id != NULL)
        json_object_set_new(p, "request_id", json_string(req->request_id));
    char *text = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    if (text == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return;
    }
    send_text(req, agency, egov_ec_http_status(ec), "application/problem+json", text);
    free(text);
}

void bo_db_problem(struct egov_req *req, enum egov_backoffice_agency agency, enum egov_db_qs qs)
{
    bo_problem(req, agency,
               qs == EGOV_DB_SOFT_ERROR ? EGOV_EC_DB_SOFT_ERROR : EGOV_EC_DB_HARD_ERROR, NULL,
               NULL);
}

bool bo_digits(const char *s, size_t n)
{
    return s != NULL && strlen(s) == n && strspn(s, "0123456789") == n;
}

bool bo_run_txn(struct egov_req *req, enum egov_backoffice_agency agency, bool write,
                unsigned int retries, egov_db_txn_fn body, void *cls)
{
    struct egov_db_conn *c = egov_db_acquire(egov_req_db(req), 5000);
    if (c == NULL) {
        bo_problem(req, agency, EGOV_EC_DB_UNREACHABLE, NULL, NULL);
        return false;
    }
    enum egov_db_qs qs = egov_db_txn(c, write, retries, body, cls);
    egov_db_release(c);
    if (qs < 0) {
        bo_db_problem(req, agency, qs);
        return false;
    }
    return true;
}

json_t *bo_read_one(struct egov_req *req, enum egov_backoffice_agency agency, egov_db_txn_fn body,
                    void *cls, json_t **out, enum egov_ec unknown, const char *field)
{
    if (!bo_run_txn(req, agency, false, 5, body, cls)) {
        json_decref(*out);
        *out = NULL;
        return NULL;
    }
    if (*out == NULL)
        bo_problem(req, agency, unknown, field, NULL);
    return *out;
}

bool bo_query(struct egov_req *req, enum egov_backoffice_agency agency,
              const struct egov_db_stmt *st, const struct egov_db_param *params,
              struct egov_db_rows **rows)
{
    *rows = NULL;
    struct egov_db_conn *c = egov_db_acquire(egov_req_db(req), 5000);
    if (c == NULL) {
        bo_problem(req, agency, EGOV_EC_DB_UNREACHABLE, NULL, NULL);
        return false;
    }
    enum egov_db_qs qs = egov_db_query(c, st, params, rows);
    egov_db_release(c);
    if (qs < 0) {
        egov_db_rows_free(*rows);
        *rows = NULL;
        bo_db_problem(req, agency, qs);
        return false;
    }
    return true;
}

/* The charset parameter of Content-Type @p ct into @p out ("" if none). */
static void content_charset(const char *ct, char *out, size_t outlen)
{
    out[0] = '\0';
    const char *cs = ct != NULL ? strcasestr(ct, "charset=") : NULL;
    if (cs == NULL)
        return;
    cs += 8;
    if (*cs == '"')
        cs++;
    size_t n = strcspn(cs, "\"; \t");
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, cs, n);
    out[n] = '\0';
}

json_t *bo_parse_body(struct egov_req *req, enum egov_backoffice_agency agency,
                      const struct egov_json_spec *spec)
{
    const char *ct = egov_req_header(req, "Content-Type");
    char charset[64];
    const char *text = req->body != NULL ? req->body : "";
    size_t len = req->body != NULL ? req->body_len : 0;

    if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0 ||
        (ct[16] != '\0' && ct[16] != ';' && ct[16] != ' ')) {
        bo_problem(req, agency, EGOV_EC_GENERIC_UNSUPPORTED_MEDIA_TYPE, NULL,
                   "Send the body as application/json.");
        return NULL;
    }
    content_charset(ct, charset, sizeof(charset));
    const struct egov_hanzi_encoding *legacy = bo_legacy_encoding(agency);
    /* without a charset, a body that is valid UTF-8 is read as UTF-8 (text
     * in the Big5-based codes practically never is), anything else as the
     * agency's code */
    bool utf8 = charset[0] == '\0'
                    ? legacy == NULL || egov_utf8_valid(text, len, NULL)
                    : strcasecmp(charset, "utf-8") == 0 || strcasecmp(charset, "utf8") == 0;
    if (!utf8) {
        const struct egov_backoffice_info *info = egov_backoffice_info(agency);
        if (legacy == NULL || (charset[0] != '\0' && strcasecmp(charset, info->charset) != 0)) {
            bo_problem(req, agency, EGOV_EC_GENERIC_UNSUPPORTED_MEDIA_TYPE, "Content-Type",
                       "unsupported charset");
            return NULL;
        }
        struct egov_hanzi_error herr = {0};
        size_t n = 0;
        char *u = convert(req->arena, legacy, bo_utf8_encoding(), EGOV_HANZI_STRICT, text, len, &n,
                          &herr);
        if (u == NULL) {
            char detail[200];
            snprintf(detail, sizeof(detail), "the body is not valid %s: %s", info->charset,
                     herr.detail[0] != '\0' ? herr.detail : "conversion failed");
            bo_problem(req, agency, EGOV_EC_BACKOFFICE_LEGACY_BODY, NULL, detail);
            return NULL;
        }
        text = u;
        len = n;
    } else if (!egov_utf8_valid(text, len, NULL)) {
        bo_problem(req, agency, EGOV_EC_GENERIC_UTF8_INVALID, NULL, NULL);
        return NULL;
    }
    struct egov_json_error jerr = {0};
    json_t *obj = egov_json_loads(text, len, &jerr);
    if (obj == NULL) {
        bo_problem(req, agency, EGOV_EC_GENERIC_JSON_INVALID, NULL,
                   jerr.detail[0] != '\0' ? jerr.detail : NULL);
        return NULL;
    }
    if (!egov_arena_add_cleanup(req->arena, (void (*)(void *))json_decref, obj)) {
        bo_problem(req, agency, EGOV_EC_GENERIC_OOM, NULL, NULL);
        return NULL;
    }
    if (!json_is_object(obj)) {
        bo_problem(req, agency, EGOV_EC_GENERIC_JSON_INVALID, NULL, "expected a JSON object");
        return NULL;
    }
    if (spec != NULL && !egov_json_parse_spec(obj, spec, &jerr)) {
        bo_problem(req, agency, jerr.ec, jerr.field, jerr.detail);
        return NULL;
    }
    return obj;
}

const char *bo_col(struct egov_req *req, const struct egov_db_rows *r, size_t row, size_t col)
{
    const char *s = egov_db_rows_text(r, row, col);
    char *copy = egov_arena_strdup(req->arena, s != NULL ? s : "");
    return copy != NULL ? copy : "";
}

const char *bo_col_legacy(struct egov_req *req, enum egov_backoffice_agency agency,
                          const struct egov_db_rows *r, size_t row, size_t col)
{
    size_t n = 0;
    const void *p = egov_db_rows_blob(r, row, col, &n);
    if (p == NULL)
        return "";
    char *u = bo_from_legacy(req->arena, agency, p, n);
    return u != NULL ? u : "";
}

bool bo_iso_date_valid(const char *s)
{
    int y, m, d;
    char tail;
    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
        sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    char roc[64];
    return m >= 1 && m <= 12 && d >= 1 && d <= 31 && egov_time_roc_date(y, m, d, roc, sizeof(roc));
}

json_t *bo_date_json(const char *iso)
{
    int y, m, d;
    char roc[64] = "";
    if (iso != NULL && sscanf(iso, "%4d-%2d-%2d", &y, &m, &d) == 3)
        (void)egov_time_roc_date(y, m, d, roc, sizeof(roc));
    return json_pack("{s:s, s:s}", "date", iso != NULL ? iso : "", "roc", roc);
}

struct setting {
    const char *key, *value;
};

static enum egov_db_qs setting_body(struct egov_db_conn *c, void *cls)
{
    static const struct egov_db_stmt st_del = {"bo_setting_del",
                                               "DELETE FROM bo_setting WHERE key = $1", NULL};
    static const struct egov_db_stmt st_ins = {
        "bo_setting_ins", "INSERT INTO bo_setting (key, value) VALUES ($1, $2)", NULL};
    const struct setting *s = cls;
    const struct egov_db_param p1[] = {EGOV_DB_PARAM_TEXT(s->key), EGOV_DB_PARAM_END};
    const struct egov_db_param p2[] = {EGOV_DB_PARAM_TEXT(s->key), EGOV_DB_PARAM_TEXT(s->value),
                                       EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_exec(c, &st_del, p1);
    if (qs < 0 || s->value == NULL)
        return qs;
    return egov_db_exec(c, &st_ins, p2);
}

bool bo_setting_set(struct egov_db *db, const char *key, const char *value)
{
    struct setting s = {key, value};
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    if (c == NULL)
        return false;
    bool ok = egov_db_txn(c, true, 5, setting_body, &s) >= 0;
    egov_db_release(c);
    return ok;
}

const char *bo_id_param(struct egov_req *req, enum egov_backoffice_agency agency, const char *name)
{
    const char *id = egov_req_param(req, name);
    if (id == NULL || !egov_backoffice_national_id_valid(id)) {
        bo_problem(req, agency, EGOV_EC_BACKOFFICE_ID_MALFORMED, name, NULL);
        return NULL;
    }
    return id;
}

void bo_today(char out[11])
{
    time_t t = (time_t)(egov_now_us() / 1000000) + 8 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    unsigned int y = (unsigned int)(tm.tm_year + 1900) % 10000u,
                 m = (unsigned int)(tm.tm_mon + 1) % 100u, d = (unsigned int)tm.tm_mday % 100u;
    snprintf(out, 11, "%04u-%02u-%02u", y, m, d);
}

json_t *bo_json_str(const char *s)
{
    return json_string(s != NULL ? s : "");
}
