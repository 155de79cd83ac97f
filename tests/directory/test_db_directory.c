/*
 * test_db_directory.c -- the directory on SQLite and PostgreSQL: import of
 * the official OID list with its rename list (idempotent; renames keep
 * their history), lookups by id, code, OID and former OID, search with
 * variant folding, agency administration rules, units, staff, persons,
 * businesses, and the LDIF export checked entry by entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "directory/directory.h"
#include "testlib.h"

static struct egov_db *db;
static char gds[1024], changes[1024];
static char moi_id[37]; /* 內政部 */
static char ey_id[37];  /* 行政院 */

static const struct egov_oid_actor admin = {"admin", "", true};

static int setup(void **state)
{
    (void)state;
    const char *data = getenv("EGOV_SHARED_DATA");
    if (data == NULL)
        return -1;
    snprintf(gds, sizeof(gds), "%s/oid/GDS.csv", data);
    snprintf(changes, sizeof(changes), "%s/oid/change.csv", data);
    db = egov_test_db_open();
    if (db == NULL)
        return -1;
    egov_i18n_load(getenv("EGOV_LOCALEDIR"));
    egov_db_register_migrations(egov_oid_module.migrations);
    egov_db_register_migrations(egov_directory_module.migrations);
    char err[256];
    return egov_db_migrate(db, NULL, NULL, err, sizeof(err)) >= 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    egov_db_close(db);
    egov_i18n_load(NULL);
    return 0;
}

static unsigned long progress_calls;

static void progress(unsigned long done, unsigned long total, void *cls)
{
    (void)cls;
    assert_true(done <= total);
    progress_calls++;
}

static void test_import(void **state)
{
    (void)state;
    struct egov_directory_import_stats st;
    char err[512];
    assert_int_equal(
        egov_directory_import_oid_list(db, gds, changes, progress, NULL, &st, err, sizeof(err)),
        EGOV_EC_NONE);
    assert_int_equal(st.rows, 8189);
    assert_int_equal(st.created, 8189);
    assert_int_equal(st.updated, 0);
    assert_int_equal(st.renamed, 23);
    assert_true(progress_calls >= 16);
    /* again: nothing changes */
    assert_int_equal(
        egov_directory_import_oid_list(db, gds, changes, NULL, NULL, &st, err, sizeof(err)),
        EGOV_EC_NONE);
    assert_int_equal(st.created, 0);
    assert_int_equal(st.updated, 0);
    assert_int_equal(st.unchanged, 8189);
    assert_int_equal(st.renamed, 0);
    /* a missing file and a file that is not the list */
    assert_int_equal(egov_directory_import_oid_list(db, "/nonexistent.csv", NULL, NULL, NULL, &st,
                                                    err, sizeof(err)),
                     EGOV_EC_DIRECTORY_IMPORT_FAILED);
    assert_non_null(strstr(err, "/nonexistent.csv"));
    assert_int_equal(
        egov_directory_import_oid_list(db, changes, NULL, NULL, NULL, &st, err, sizeof(err)),
        EGOV_EC_DIRECTORY_IMPORT_FAILED);
}

static void test_lookups(void **state)
{
    (void)state;
    struct egov_directory_agency a, b;
    assert_int_equal(egov_directory_agency_by_oid(db, "2.16.886.101.20003.20001", &a),
                     EGOV_DB_ONE_ROW);
    assert_string_equal(a.name, "內政部");
    assert_string_equal(a.dn, "ou=內政部,o=行政院,c=TW");
    memcpy(moi_id, a.id, sizeof(moi_id));
    assert_int_equal(egov_directory_agency_get(db, a.parent_id, &b), EGOV_DB_ONE_ROW);
    assert_string_equal(b.name, "行政院");
    assert_string_equal(b.oid, "2.16.886.101.20003");
    memcpy(ey_id, b.id, sizeof(ey_id));
    assert_true(egov_directory_agency_is_within(db, moi_id, ey_id));
    assert_false(egov_directory_agency_is_within(db, ey_id, moi_id));
    /* a former OID finds the renamed agency, whose history keeps the old name */
    assert_int_equal(egov_directory_agency_by_oid(db, "2.16.886.101.20003.20014", &a),
                     EGOV_DB_ONE_ROW);
    assert_string_equal(a.name, "衛生福利部");
    json_t *h = NULL;
    assert_int_equal(egov_directory_agency_history(db, a.id, &h), EGOV_EC_NONE);
    assert_int_equal(json_array_size(h), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(h, 0), "name")), "衛生署");
    assert_string_equal(json_string_value(json_object_get(json_array_get(h, 0), "valid_until")),
                        "2013-07-23");
    json_decref(h);
    /* an OID that is one agency's today and another's former one finds today's */
    assert_int_equal(egov_directory_agency_by_oid(db, "2.16.886.101.20003.20036.20001", &a),
                     EGOV_DB_ONE_ROW);
    assert_string_equal(a.name, "行政院原住民族委員會文化園區管理局");
    /* a row of the rename list written the other way round */
    assert_int_equal(egov_directory_agency_by_oid(db, "2.16.886.101.20003.20012", &a),
                     EGOV_DB_ONE_ROW);
    assert_string_equal(a.name, "行政院人事行政總處");
    /* a parent missing from the list: the nearest listed ancestor */
    assert_int_equal(egov_directory_agency_by_oid(db, "2.16.886.101.90003.20001", &a),
                     EGOV_DB_ONE_ROW);
    assert_int_equal(egov_directory_agency_by_oid(db, "2.16.886.101.1.2.3", &a), EGOV_DB_NO_ROW);
    assert_int_equal(egov_directory_agency_get(db, "not-a-uuid", &a), EGOV_DB_NO_ROW);
    /* the tree */
    json_t *path = NULL, *roots = NULL;
    assert_int_equal(egov_directory_agency_path(db, moi_id, &path), EGOV_EC_NONE);
    assert_int_equal(json_array_size(path), 2);
    json_decref(path);
    assert_int_equal(egov_directory_agency_children(db, NULL, &roots), EGOV_EC_NONE);
    assert_true(json_array_size(roots) >= 8);
    json_decref(roots);
}

static void test_search(void **state)
{
    (void)state;
    json_t *r = NULL;
    /* 台 finds 臺 */
    assert_int_equal(egov_directory_agency_search(db, "台北市政府", 10, &r), EGOV_EC_NONE);
    assert_true(json_array_size(r) >= 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(r, 0), "name")),
                        "臺北市政府");
    json_decref(r);
    /* a former name finds the agency of today */
    assert_int_equal(egov_directory_agency_search(db, "衛生署疾病管制局", 10, &r), EGOV_EC_NONE);
    assert_int_equal(json_array_size(r), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(r, 0), "name")),
                        "衛生福利部疾病管制署");
    json_decref(r);
    assert_int_equal(egov_directory_agency_search(db, "no such agency at all", 10, &r),
                     EGOV_EC_NONE);
    assert_int_equal(json_array_size(r), 0);
    json_decref(r);
    assert_int_equal(egov_directory_agency_search(db, "...", 10, &r),
                     EGOV_EC_GENERIC_PARAMETER_MALFORMED);
}

static void test_rename_by_import(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof(path), "%s/dir-rename.csv", getenv("EGOV_TEST_TMP"));
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("\xEF\xBB\xBF機關名稱,OID,電話,地址,DN\r\n"
          "\"國民大會（已廢止）\",\"2.16.886.101.20001\",\"02-23311312\",\"台北市中華路1段53號\","
          "\"o=國民大會,c=TW\"\r\n",
          f);
    fclose(f);
    struct egov_directory_import_stats st;
    char err[512];
    assert_int_equal(
        egov_directory_import_oid_list(db, path, NULL, NULL, NULL, &st, err, sizeof(err)),
        EGOV_EC_NONE);
    assert_int_equal(st.updated, 1);
    struct egov_directory_agency a;
    assert_int_equal(egov_directory_agency_by_oid(db, "2.16.886.101.20001", &a), EGOV_DB_ONE_ROW);
    assert_string_equal(a.name, "國民大會（已廢止）");
    json_t *h = NULL;
    assert_int_equal(egov_directory_agency_history(db, a.id, &h), EGOV_EC_NONE);
    assert_int_equal(json_array_size(h), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(h, 0), "name")),
                        "國民大會");
    json_decref(h);
    /* random bytes: refused or skipped row by row, never a crash or a half-written row */
    srand(11);
    for (int round = 0; round < 20; round++) {
        f = fopen(path, "w");
        fputs("機關名稱,OID,電話,地址,DN\n", f);
        for (int i = 0; i < 400; i++) {
            static const char alphabet[] = "\",\r\n.2016886abc\xe6\xa9\x9f ";
            fputc(alphabet[rand() % (int)(sizeof(alphabet) - 1)], f);
        }
        fclose(f);
        enum egov_ec ec =
            egov_directory_import_oid_list(db, path, NULL, NULL, NULL, &st, err, sizeof(err));
        assert_true(ec == EGOV_EC_NONE || ec == EGOV_EC_DIRECTORY_IMPORT_FAILED);
        if (ec == EGOV_EC_NONE)
            assert_int_equal(st.created + st.updated + st.unchanged + st.skipped, st.rows);
    }
    /* a broken quote is refused */
    f = fopen(path, "w");
    fputs("機關名稱,OID,電話,地址,DN\n\"open,2.16.886.101.1,,,\n", f);
    fclose(f);
    assert_int_equal(
        egov_directory_import_oid_list(db, path, NULL, NULL, NULL, &st, err, sizeof(err)),
        EGOV_EC_DIRECTORY_IMPORT_FAILED);
    remove(path);
}

static void test_agency_admin(void **state)
{
    (void)state;
    struct egov_oid_actor moi = {"officer", "", false};
    memcpy(moi.agency_id, moi_id, sizeof(moi.agency_id));
    struct egov_directory_agency in;
    char id[37];
    memset(&in, 0, sizeof(in));
    strcpy(in.name, "內政部資訊中心");
    strcpy(in.code, "A15000000X");
    strcpy(in.oid, "2.16.886.101.20003.20001.30001");
    memcpy(in.parent_id, moi_id, 37);
    /* below its own agency and arc */
    assert_int_equal(egov_directory_agency_create(db, &moi, &in, id), EGOV_EC_NONE);
    struct egov_directory_agency got;
    assert_int_equal(egov_directory_agency_by_code(db, "A15000000X", &got), EGOV_DB_ONE_ROW);
    assert_string_equal(got.id, id);
    struct egov_oid_entry arc;
    assert_int_equal(egov_oid_get(db, "2.16.886.101.20003.20001.30001", &arc), EGOV_DB_ONE_ROW);
    assert_string_equal(arc.agency_id, id);
    /* the same code again; an OID already taken */
    strcpy(in.oid, "2.16.886.101.20003.20001.30002");
    assert_int_equal(egov_directory_agency_create(db, &moi, &in, id), EGOV_EC_DIRECTORY_EXISTS);
    strcpy(in.code, "A15000001X");
    strcpy(in.oid, "2.16.886.101.20003.20001.30001");
    assert_int_equal(egov_directory_agency_create(db, &moi, &in, id), EGOV_EC_DIRECTORY_EXISTS);
    /* not beside its agency, not outside its arc */
    strcpy(in.oid, "2.16.886.101.20003.20002.30001");
    assert_int_equal(egov_directory_agency_create(db, &moi, &in, id), EGOV_EC_GENERIC_FORBIDDEN);
    strcpy(in.oid, "");
    memcpy(in.parent_id, ey_id, 37);
    assert_int_equal(egov_directory_agency_create(db, &moi, &in, id), EGOV_EC_GENERIC_FORBIDDEN);
    /* bad input */
    strcpy(in.code, "bad");
    assert_int_equal(egov_directory_agency_create(db, &admin, &in, id),
                     EGOV_EC_DIRECTORY_AGENCY_CODE_INVALID);
    strcpy(in.code, "");
    strcpy(in.name, "");
    assert_int_equal(egov_directory_agency_create(db, &admin, &in, id),
                     EGOV_EC_DIRECTORY_NAME_INVALID);
    strcpy(in.name, "x");
    strcpy(in.parent_id, "0190f0a0-0000-7000-8000-00000000dead");
    assert_int_equal(egov_directory_agency_create(db, &admin, &in, id),
                     EGOV_EC_DIRECTORY_PARENT_INVALID);
    /* a platform administrator renames; the history keeps the old name; retried on busy */
    egov_db_inject_soft_errors(2);
    assert_int_equal(egov_directory_agency_update(db, &admin, got.id, "數位發展部資訊處", NULL,
                                                  "臺北市", NULL, "2026-01-01"),
                     EGOV_EC_NONE);
    json_t *h = NULL;
    assert_int_equal(egov_directory_agency_history(db, got.id, &h), EGOV_EC_NONE);
    assert_int_equal(json_array_size(h), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(h, 0), "valid_until")),
                        "2026-01-01");
    json_decref(h);
    assert_int_equal(egov_directory_agency_update(db, &moi, ey_id, "x", NULL, NULL, NULL, NULL),
                     EGOV_EC_GENERIC_FORBIDDEN);
    assert_int_equal(
        egov_directory_agency_update(db, &admin, got.id, NULL, NULL, NULL, NULL, "2026-13-01"),
        EGOV_EC_GENERIC_PARAMETER_MALFORMED);
}

static const char *fake_csrf_token(struct egov_req *req)
{
    (void)req;
    return "tok";
}

static bool fake_csrf_check(struct egov_req *req, const json_t *form)
{
    if (strcmp(egov_json_get_str(form, "csrf_token", ""), "tok") == 0)
        return true;
    egov_reply_problem(req, EGOV_EC_GENERIC_CSRF, NULL, NULL);
    return false;
}

/* The administration forms of the agency page, on an in-process server. */
static void test_forms(void **state)
{
    (void)state;
    const struct egov_route_table *tables[] = {egov_directory_module.routes, NULL};
    struct egov_server_options opt = {0};
    opt.db = db;
    opt.threads = 2;
    opt.datadir = getenv("EGOV_DATADIR");
    struct egov_test_server srv;
    struct egov_test_response resp;
    assert_true(egov_test_inproc_start(tables, &opt, &srv));
    egov_oid_set_admin_token("form-token-0123456789");
    const char *hdr[] = {"Content-Type: application/x-www-form-urlencoded",
                         "Authorization: Bearer form-token-0123456789", "Accept: text/html", NULL};
    const char *html[] = {"Accept: text/html", NULL};
    const char *edit = "csrf_token=tok&name=%E6%B8%AC%E8%A9%A6%E4%B8%AD%E5%BF%83"
                       "&effective_date=2026-11-01&code=A15000000X&address=&phone=02-1234";
    /* no CSRF functions: no form on the page, posts refused */
    assert_true(egov_test_http(&srv, "POST", "/directory/agencies/A15000000X/edit", hdr, edit,
                               strlen(edit), &resp));
    assert_int_equal(resp.status, 403);
    egov_test_response_free(&resp);
    assert_true(
        egov_test_http(&srv, "GET", "/directory/agencies/A15000000X", html, NULL, 0, &resp));
    assert_int_equal(resp.status, 200);
    assert_null(strstr(resp.body, "csrf_token"));
    egov_test_response_free(&resp);

    egov_oid_set_csrf(fake_csrf_token, fake_csrf_check);
    assert_true(
        egov_test_http(&srv, "GET", "/directory/agencies/A15000000X", html, NULL, 0, &resp));
    assert_non_null(strstr(resp.body, "action=\"/directory/agencies/"));
    assert_non_null(strstr(resp.body, "value=\"tok\""));
    /* administrators find the certificate form of the agency, by its code */
    assert_non_null(strstr(resp.body, "href=\"/pki/agencies/A15000000X/certificates\""));
    egov_test_response_free(&resp);
    assert_true(egov_test_http(&srv, "POST", "/directory/agencies/A15000000X/edit", hdr, edit,
                               strlen(edit), &resp));
    assert_int_equal(resp.status, 303);
    egov_test_response_free(&resp);
    struct egov_directory_agency a;
    assert_int_equal(egov_directory_agency_by_code(db, "A15000000X", &a), EGOV_DB_ONE_ROW);
    assert_string_equal(a.name, "測試中心");
    assert_string_equal(a.phone, "02-1234");
    const char *unit = "csrf_token=tok&name=%E7%A7%98%E6%9B%B8%E5%AE%A4";
    assert_true(egov_test_http(&srv, "POST", "/directory/agencies/A15000000X/units", hdr, unit,
                               strlen(unit), &resp));
    assert_int_equal(resp.status, 303);
    egov_test_response_free(&resp);
    assert_true(
        egov_test_http(&srv, "GET", "/directory/agencies/A15000000X", html, NULL, 0, &resp));
    assert_non_null(strstr(resp.body, "秘書室"));
    assert_non_null(strstr(resp.body, "數位發展部資訊處")); /* the former name */
    egov_test_response_free(&resp);
    /* a bad date is refused and changes nothing */
    const char *bad = "csrf_token=tok&name=x&effective_date=2026-99-01";
    assert_true(egov_test_http(&srv, "POST", "/directory/agencies/A15000000X/edit", hdr, bad,
                               strlen(bad), &resp));
    assert_int_equal(resp.status, 400);
    egov_test_response_free(&resp);
    assert_int_equal(egov_directory_agency_by_code(db, "A15000000X", &a), EGOV_DB_ONE_ROW);
    assert_string_equal(a.name, "測試中心");
    egov_oid_set_csrf(NULL, NULL);
    egov_oid_set_admin_token(NULL);
    egov_test_inproc_stop(&srv, 1000);
}

static void test_units_and_staff(void **state)
{
    (void)state;
    struct egov_oid_actor moi = {"officer", "", false};
    memcpy(moi.agency_id, moi_id, sizeof(moi.agency_id));
    char unit[37], sub[37], staff[37], ey_staff[37], other[37];
    assert_int_equal(egov_directory_unit_create(db, &moi, moi_id, NULL, "資訊處", unit),
                     EGOV_EC_NONE);
    assert_int_equal(egov_directory_unit_create(db, &moi, moi_id, unit, "系統科", sub),
                     EGOV_EC_NONE);
    assert_int_equal(egov_directory_unit_create(db, &moi, ey_id, NULL, "秘書處", sub),
                     EGOV_EC_GENERIC_FORBIDDEN);
    json_t *list = NULL;
    assert_int_equal(egov_directory_unit_list(db, moi_id, &list), EGOV_EC_NONE);
    assert_int_equal(json_array_size(list), 2);
    json_decref(list);
    assert_int_equal(
        egov_directory_staff_add(db, &moi, moi_id, unit, "acct-1", "王小明", "科長", staff),
        EGOV_EC_NONE);
    assert_int_equal(
        egov_directory_staff_add(db, &admin, ey_id, NULL, "acct-1", "王小明", "參議", ey_staff),
        EGOV_EC_NONE);
    /* a unit of another agency */
    assert_int_equal(egov_directory_staff_add(db, &admin, ey_id, unit, "acct-2", "李", "", other),
                     EGOV_EC_DIRECTORY_NOT_FOUND);
    assert_int_equal(egov_directory_staff_of(db, "acct-1", &list), EGOV_EC_NONE);
    assert_int_equal(json_array_size(list), 2);
    json_decref(list);
    assert_int_equal(egov_directory_staff_remove(db, &moi, ey_staff), EGOV_EC_GENERIC_FORBIDDEN);
    assert_int_equal(egov_directory_staff_remove(db, &moi, staff), EGOV_EC_NONE);
    assert_int_equal(egov_directory_staff_list(db, moi_id, &list), EGOV_EC_NONE);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
    /* added again: the same membership comes back */
    char again[37];
    assert_int_equal(
        egov_directory_staff_add(db, &moi, moi_id, NULL, "acct-1", "王小明", "專員", again),
        EGOV_EC_NONE);
    assert_string_equal(again, staff);
}

static void test_persons_and_businesses(void **state)
{
    (void)state;
    struct egov_directory_person p, got;
    char id[37];
    memset(&p, 0, sizeof(p));
    strcpy(p.id_number, "A123456789");
    strcpy(p.name, "陳臺生");
    strcpy(p.birth_date, "1990-05-01");
    assert_int_equal(egov_directory_person_add(db, &p, id), EGOV_EC_NONE);
    assert_int_equal(egov_directory_person_add(db, &p, id), EGOV_EC_DIRECTORY_EXISTS);
    strcpy(p.id_number, "A123456780");
    assert_int_equal(egov_directory_person_add(db, &p, id), EGOV_EC_DIRECTORY_ID_INVALID);
    strcpy(p.id_number, "A800000014");
    strcpy(p.name, "約翰");
    strcpy(p.name_latin, "SMITH, JOHN");
    strcpy(p.nationality, "USA");
    assert_int_equal(egov_directory_person_add(db, &p, id), EGOV_EC_NONE);
    assert_int_equal(egov_directory_person_by_id_number(db, "A800000014", &got), EGOV_DB_ONE_ROW);
    assert_string_equal(got.kind, "foreign_resident");
    assert_int_equal(got.gender, 'M');
    assert_int_equal(egov_directory_person_by_id_number(db, "A123456789", &got), EGOV_DB_ONE_ROW);
    assert_string_equal(got.kind, "citizen");
    assert_string_equal(got.nationality, "TWN");
    strcpy(p.id_number, "AA00000009");
    strcpy(p.nationality, "usa");
    assert_int_equal(egov_directory_person_add(db, &p, id), EGOV_EC_GENERIC_PARAMETER_MALFORMED);

    struct egov_directory_business b, bg;
    memset(&b, 0, sizeof(b));
    strcpy(b.ban, "04595252");
    strcpy(b.name, "臺灣測試股份有限公司");
    assert_int_equal(egov_directory_business_add(db, &b, id), EGOV_EC_NONE);
    assert_int_equal(egov_directory_business_add(db, &b, id), EGOV_EC_DIRECTORY_EXISTS);
    strcpy(b.ban, "12345678");
    assert_int_equal(egov_directory_business_add(db, &b, id), EGOV_EC_DIRECTORY_BAN_INVALID);
    assert_int_equal(egov_directory_business_by_ban(db, "04595252", &bg), EGOV_DB_ONE_ROW);
    assert_string_equal(bg.status, "active");

    json_t *r = NULL;
    assert_int_equal(egov_directory_principal_search(db, "台灣測試", 10, &r), EGOV_EC_NONE);
    assert_int_equal(json_array_size(json_object_get(r, "businesses")), 1);
    json_decref(r);
    assert_int_equal(egov_directory_principal_search(db, "smith", 10, &r), EGOV_EC_NONE);
    assert_int_equal(json_array_size(json_object_get(r, "persons")), 1);
    json_decref(r);
}

static void test_rekey(void **state)
{
    (void)state;
    unsigned long changed = 99;
    /* the arcs the migration wrote carry keys written by hand: mended once */
    assert_int_equal(egov_directory_rekey(db, &changed), EGOV_EC_NONE);
    assert_true(changed <= 2);
    /* then the keys are as the folding makes them today: nothing to do */
    assert_int_equal(egov_directory_rekey(db, &changed), EGOV_EC_NONE);
    assert_int_equal(changed, 0);
    /* keys made by another folding are mended */
    struct egov_db_conn *c = egov_db_acquire(db, 5000);
    assert_non_null(c);
    assert_true(egov_db_exec_script(c, "UPDATE dir_agency SET search_key = 'stale';"
                                       "UPDATE dir_person SET search_key = 'stale';"
                                       "UPDATE oid_arc SET search_key = 'stale'"
                                       " WHERE oid = '2.16.886.101.90003.20002'") >= 0);
    egov_db_release(c);
    json_t *r = NULL;
    assert_int_equal(egov_directory_agency_search(db, "台北市政府", 10, &r), EGOV_EC_NONE);
    assert_int_equal(json_array_size(r), 0);
    json_decref(r);
    assert_int_equal(egov_directory_rekey(db, &changed), EGOV_EC_NONE);
    assert_true(changed > 8189 + 2 + 1); /* every agency, two persons, the arc */
    assert_int_equal(egov_directory_agency_search(db, "台北市政府", 10, &r), EGOV_EC_NONE);
    assert_true(json_array_size(r) >= 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(r, 0), "name")),
                        "臺北市政府");
    json_decref(r);
    assert_int_equal(egov_oid_search(db, "台北市政府", 10, &r), EGOV_EC_NONE);
    assert_true(json_array_size(r) >= 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(r, 0), "oid")),
                        "2.16.886.101.90003.20002");
    json_decref(r);
    assert_int_equal(egov_directory_principal_search(db, "smith", 10, &r), EGOV_EC_NONE);
    assert_int_equal(json_array_size(json_object_get(r, "persons")), 1);
    json_decref(r);
}

struct dn_at {
    char *dn;
    size_t at;
};

static int cmp_dn(const void *x, const void *y)
{
    return strcmp(((const struct dn_at *)x)->dn, ((const struct dn_at *)y)->dn);
}

/*
 * Unfolds LDIF into logical lines and checks it: the version line, lines of
 * at most 76 bytes, each entry with a dn (base64 decoded when needed) and
 * an objectClass, no DN twice, and every parent DN written before its child.
 */
static void check_ldif(const char *text, size_t *entries, bool *has_moi)
{
    size_t len = strlen(text);
    struct dn_at *dns = calloc(20000, sizeof(*dns));
    size_t ndn = 0;
    assert_non_null(dns);
    assert_true(strncmp(text, "version: 1\ndn", 13) == 0);
    const char *p = text + 11;
    char line[4096];
    *has_moi = false;
    bool in_entry = false, has_class = false;
    while (p < text + len) {
        size_t n = 0;
        while (p < text + len) {
            const char *nl = strchr(p, '\n');
            assert_non_null(nl);
            assert_true(nl - p <= 76);
            size_t take = (size_t)(nl - p);
            const char *from = p;
            if (n > 0) {
                from++;
                take--;
            }
            assert_true(n + take < sizeof(line));
            memcpy(line + n, from, take);
            n += take;
            p = nl + 1;
            if (p >= text + len || *p != ' ' || n == 0)
                break;
        }
        line[n] = '\0';
        if (n == 0) {
            assert_true(!in_entry || has_class);
            in_entry = false;
            continue;
        }
        if (!in_entry) {
            char dn[2048];
            if (strncmp(line, "dn:: ", 5) == 0) {
                int m = EVP_DecodeBlock((unsigned char *)dn, (const unsigned char *)line + 5,
                                        (int)strlen(line + 5));
                assert_true(m > 0);
                while (m > 0 && dn[m - 1] == '\0')
                    m--; /* EVP_DecodeBlock counts padding as zero bytes */
                dn[m] = '\0';
            } else {
                assert_true(strncmp(line, "dn: ", 4) == 0);
                snprintf(dn, sizeof(dn), "%s", line + 4);
            }
            assert_true(ndn < 20000);
            dns[ndn].dn = strdup(dn);
            dns[ndn].at = ndn;
            ndn++;
            if (strcmp(dn, "ou=內政部,o=行政院,c=TW") == 0)
                *has_moi = true;
            in_entry = true;
            has_class = false;
        } else {
            assert_non_null(strchr(line, ':'));
            if (strncmp(line, "objectClass: ", 13) == 0)
                has_class = true;
        }
    }
    qsort(dns, ndn, sizeof(*dns), cmp_dn);
    for (size_t i = 0; i < ndn; i++) {
        if (i > 0 && strcmp(dns[i - 1].dn, dns[i].dn) == 0)
            fail_msg("%s is written twice", dns[i].dn);
        const char *comma = strchr(dns[i].dn, ',');
        if (comma == NULL)
            continue;
        struct dn_at key = {(char *)(comma + 1), 0};
        struct dn_at *parent = bsearch(&key, dns, ndn, sizeof(*dns), cmp_dn);
        if (parent == NULL || parent->at >= dns[i].at)
            fail_msg("the parent of %s is not written before it", dns[i].dn);
    }
    *entries = ndn;
    for (size_t i = 0; i < ndn; i++)
        free(dns[i].dn);
    free(dns);
}

static void test_ldif(void **state)
{
    (void)state;
    struct egov_buf out;
    size_t entries;
    bool has_moi;
    egov_buf_init(&out);
    assert_int_equal(egov_directory_export_ldif(db, NULL, &out), EGOV_EC_NONE);
    check_ldif(out.data, &entries, &has_moi);
    /* every listed agency (unique DNs) plus c=TW and the localities */
    assert_true(entries > 8189);
    assert_true(has_moi);
    assert_non_null(strstr(out.data, "description: OID 2.16.886.101.20003.20001\n"));
    egov_buf_free(&out);
    /* the subtree of the Ministry of the Interior: itself, its ancestors' entries, its agencies */
    egov_buf_init(&out);
    assert_int_equal(egov_directory_export_ldif(db, moi_id, &out), EGOV_EC_NONE);
    check_ldif(out.data, &entries, &has_moi);
    assert_true(has_moi);
    assert_true(entries > 50 && entries < 2000);
    assert_null(strstr(out.data, "OID 2.16.886.101.20003.20065\n"));
    egov_buf_free(&out);
    assert_int_equal(egov_directory_export_ldif(db, "0190f0a0-0000-7000-8000-00000000dead", &out),
                     EGOV_EC_DIRECTORY_AGENCY_NOT_FOUND);
    egov_buf_free(&out);
}

/* An administrator named by agency code, as authz names agencies. */
static void test_admin_by_code(void **state)
{
    (void)state;
    struct egov_directory_agency a;
    char id[37], unit[37], oid[EGOV_OID_TEXT_MAX + 1];
    memset(&a, 0, sizeof(a));
    strcpy(a.name, "代碼測試署");
    strcpy(a.code, "A15100000Y");
    strcpy(a.oid, "2.16.886.101.20003.20001.990");
    strcpy(a.parent_id, moi_id);
    assert_int_equal(egov_directory_agency_create(db, &admin, &a, id), EGOV_EC_NONE);
    const struct egov_oid_actor by_code = {"officer-by-code", "A15100000Y", false};
    /* the directory's rules resolve the code */
    assert_true(egov_directory_agency_is_within(db, "A15100000Y", moi_id));
    assert_true(egov_directory_agency_is_within(db, id, "A15100000Y"));
    assert_false(egov_directory_agency_is_within(db, moi_id, "A15100000Y"));
    assert_false(egov_directory_agency_is_within(db, "A15100000Z", moi_id));
    assert_int_equal(egov_directory_unit_create(db, &by_code, id, NULL, "資訊室", unit),
                     EGOV_EC_NONE);
    assert_int_equal(egov_directory_unit_create(db, &by_code, moi_id, NULL, "x", unit),
                     EGOV_EC_GENERIC_FORBIDDEN);
    /* the registry learns it from the module's start-up */
    egov_oid_set_agency_key_resolver(NULL);
    assert_int_equal(egov_oid_register(db, &by_code, a.oid, NULL, "系統", NULL, NULL, oid),
                     EGOV_EC_GENERIC_FORBIDDEN);
    struct egov_module_env env;
    memset(&env, 0, sizeof(env));
    env.db = db;
    assert_true(egov_directory_module.init(&env));
    assert_int_equal(egov_oid_register(db, &by_code, a.oid, NULL, "系統", NULL, NULL, oid),
                     EGOV_EC_NONE);
    assert_int_equal(
        egov_oid_register(db, &by_code, "2.16.886.101.20003.20001", NULL, "x", NULL, NULL, oid),
        EGOV_EC_GENERIC_FORBIDDEN);
    egov_oid_set_agency_key_resolver(NULL);
}

int main(void)
{
    if (getenv("EGOV_SHARED_DATA") == NULL) {
        fprintf(stderr, "EGOV_SHARED_DATA is not set\n");
        return 77;
    }
    char probe[1024];
    snprintf(probe, sizeof(probe), "%s/oid/GDS.csv", getenv("EGOV_SHARED_DATA"));
    FILE *f = fopen(probe, "r");
    if (f == NULL) {
        fprintf(stderr, "%s is missing\n", probe);
        return 77;
    }
    fclose(f);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import),          cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_search),          cmocka_unit_test(test_rename_by_import),
        cmocka_unit_test(test_agency_admin),    cmocka_unit_test(test_forms),
        cmocka_unit_test(test_units_and_staff), cmocka_unit_test(test_persons_and_businesses),
        cmocka_unit_test(test_rekey),           cmocka_unit_test(test_ldif),
        cmocka_unit_test(test_admin_by_code),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
