/*
 * test_db_authz.c -- roles, the decision API, service grants and
 * administration delegated per agency (directory tree), over HTTP with
 * real sessions, on SQLite and PostgreSQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../account/browserlike.h"
#include "account/account_int.h"
#include "accounting/accounting.h"
#include "authz/authz.h"
#include "directory/directory.h"
#include "oid/oid.h"
#include "testlib.h"

static struct egov_db *db;
static struct egov_test_server srv;
static struct egov_config cfg;
static char root_id[37], child_id[37], sibling_id[37];

static struct egov_db *no_db(const struct egov_module_env *env)
{
    (void)env;
    return NULL;
}

static int setup(void **state)
{
    (void)state;
    char err[256];
    db = egov_test_db_open();
    if (db == NULL)
        return -1;
    const struct egov_module *mods[] = {&egov_accounting_module, &egov_oid_module,
                                        &egov_directory_module, &egov_authz_module,
                                        &egov_account_module};
    for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++)
        if (mods[i]->migrations != NULL)
            egov_db_register_migrations(mods[i]->migrations);
    if (egov_db_migrate(db, NULL, NULL, err, sizeof err) < 0) {
        fprintf(stderr, "migrate: %s\n", err);
        return -1;
    }
    egov_config_defaults(&cfg);
    struct egov_module_env env = {&cfg, db, no_db};
    if (!egov_account_module.init(&env))
        return -1;
    struct egov_server_options o;
    memset(&o, 0, sizeof o);
    o.threads = 2;
    o.db = db;
    o.datadir = getenv("EGOV_DATADIR");
    const struct egov_route_table *tables[] = {egov_account_module.routes, egov_authz_module.routes,
                                               NULL};
    if (!egov_test_inproc_start(tables, &o, &srv))
        return -1;
    /* agencies: a root with two children */
    struct egov_oid_actor cli = {.subject = "cli", .platform_admin = true};
    struct egov_directory_agency a;
    memset(&a, 0, sizeof a);
    snprintf(a.name, sizeof a.name, "測試部");
    if (egov_directory_agency_create(db, &cli, &a, root_id) != EGOV_EC_NONE)
        return -1;
    snprintf(a.name, sizeof a.name, "測試部資訊處");
    snprintf(a.parent_id, sizeof a.parent_id, "%s", root_id);
    if (egov_directory_agency_create(db, &cli, &a, child_id) != EGOV_EC_NONE)
        return -1;
    snprintf(a.name, sizeof a.name, "測試部人事處");
    if (egov_directory_agency_create(db, &cli, &a, sibling_id) != EGOV_EC_NONE)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    egov_test_inproc_stop(&srv, 1000);
    account_csrf_reset();
    egov_db_close(db);
    return 0;
}

/* Makes an account and logs it in with jar @p j; returns its principal id in @p pid. */
static void person(struct jar *j, const char *nid, const char *name, char pid[37])
{
    char id[37], tok[64], form[512];
    struct egov_account_new in = {nid, name, NULL, "a long enough passphrase", true};
    assert_int_equal(egov_account_add(db, &in, NULL, id, NULL), EGOV_EC_NONE);
    struct account_row row;
    assert_int_equal(account_load_db(db, id, &row), EGOV_DB_ONE_ROW);
    snprintf(pid, 37, "%s", row.principal_id);
    assert_true(jar_csrf(j, &srv, "/login", tok));
    snprintf(form, sizeof form, "csrf_token=%s&login=%s&password=a+long+enough+passphrase", tok,
             nid);
    assert_int_equal(jar_status(j, &srv, "POST", "/login", form), 303);
}

/* POSTs JSON with the jar's session; returns the status and the body in @p out (may be NULL). */
static long post_json(struct jar *j, const char *path, const char *body, json_t **out)
{
    char cookie[400] = "X-None: 1";
    const char *sess = jar_get(j, EGOV_ACCOUNT_COOKIE);
    if (sess != NULL)
        snprintf(cookie, sizeof cookie, "Cookie: %s=%s", EGOV_ACCOUNT_COOKIE, sess);
    const char *h[] = {cookie, "Content-Type: application/json", NULL};
    struct egov_test_response r;
    if (!egov_test_http(&srv, "POST", path, h, body, strlen(body), &r))
        return -1;
    if (out != NULL)
        *out = json_loads(r.body, 0, NULL);
    long s = r.status;
    egov_test_response_free(&r);
    return s;
}

static void test_delegation_and_decisions(void **state)
{
    (void)state;
    struct jar alice = {0}, carol = {0}, dave = {0}, nobody = {0};
    char alice_pid[37], carol_pid[37], dave_pid[37], body[1024], role_id[37];
    json_t *j = NULL;
    person(&alice, "A123456789", "Alice", alice_pid);
    person(&carol, "F231234561", "Carol", carol_pid);
    person(&dave, "A800000014", "Dave", dave_pid);
    assert_int_equal(egov_authz_admin_add(db, NULL, alice_pid, child_id, "", NULL), EGOV_EC_NONE);
    assert_int_equal(egov_authz_admin_add(db, NULL, dave_pid, root_id, "", NULL), EGOV_EC_NONE);
    assert_true(egov_authz_is_admin(db, alice_pid, child_id));
    assert_false(egov_authz_is_admin(db, alice_pid, root_id));
    assert_false(egov_authz_is_admin(db, alice_pid, sibling_id));
    assert_true(egov_authz_is_admin(db, dave_pid, child_id)); /* below his agency */
    assert_false(egov_authz_is_admin(db, carol_pid, child_id));

    /* no caller, no answer */
    assert_int_equal(post_json(&nobody, "/api/authz/check",
                               "{\"subject\":\"x\",\"action\":\"a\",\"resource\":\"agency/x/y\"}",
                               NULL),
                     401);
    /* alice makes a role in her agency, not in her parent's or sibling's */
    snprintf(body, sizeof body,
             "{\"agency\":\"%s\",\"name\":\"clerk\",\"permissions\":[{\"action\":\"case.read\","
             "\"resource\":\"cases/*\"},{\"action\":\"case.*\",\"resource\":\"drafts/*\"}]}",
             child_id);
    assert_int_equal(post_json(&alice, "/api/authz/roles", body, &j), 201);
    snprintf(role_id, sizeof role_id, "%s", json_string_value(json_object_get(j, "id")));
    json_decref(j);
    assert_int_equal(post_json(&alice, "/api/authz/roles", body, NULL), 409); /* same name */
    for (int k = 0; k < 2; k++) {
        snprintf(body, sizeof body,
                 "{\"agency\":\"%s\",\"name\":\"boss\",\"permissions\":[{\"action\":\"*\","
                 "\"resource\":\"*\"}]}",
                 k == 0 ? root_id : sibling_id);
        assert_int_equal(post_json(&alice, "/api/authz/roles", body, NULL), 403);
    }
    snprintf(body, sizeof body,
             "{\"agency\":\"%s\",\"name\":\"bad\",\"permissions\":[{\"action\":\"a b\","
             "\"resource\":\"x\"}]}",
             child_id);
    assert_int_equal(post_json(&alice, "/api/authz/roles", body, NULL), 400);
    assert_int_equal(post_json(&alice, "/api/authz/roles", "{\"agency\":", NULL), 400);
    /* carol, no administrator, cannot give herself the role */
    snprintf(body, sizeof body, "{\"subject\":\"%s\",\"role_id\":\"%s\"}", carol_pid, role_id);
    assert_int_equal(post_json(&carol, "/api/authz/assignments", body, NULL), 403);
    assert_int_equal(post_json(&alice, "/api/authz/assignments", body, NULL), 201);

    /* decisions */
    char reason[EGOV_AUTHZ_REASON_MAX];
    char res[256];
    snprintf(res, sizeof res, "agency/%s/cases/2026-77", child_id);
    assert_int_equal(egov_authz_check(db, carol_pid, "case.read", res, reason), EGOV_AUTHZ_ALLOW);
    assert_non_null(strstr(reason, "clerk"));
    assert_int_equal(egov_authz_check(db, carol_pid, "case.write", res, reason), EGOV_AUTHZ_DENY);
    snprintf(res, sizeof res, "agency/%s/drafts/9", child_id);
    assert_int_equal(egov_authz_check(db, carol_pid, "case.write", res, reason), EGOV_AUTHZ_ALLOW);
    snprintf(res, sizeof res, "agency/%s/cases/2026-77", sibling_id);
    assert_int_equal(egov_authz_check(db, carol_pid, "case.read", res, reason), EGOV_AUTHZ_DENY);
    assert_int_equal(egov_authz_check(db, carol_pid, "case.read", "cases/1", reason),
                     EGOV_AUTHZ_DENY);
    snprintf(body, sizeof body,
             "{\"subject\":\"%s\",\"action\":\"case.read\",\"resource\":\"agency/%s/cases/1\"}",
             carol_pid, child_id);
    assert_int_equal(post_json(&carol, "/api/authz/check", body, &j), 200);
    assert_string_equal(json_string_value(json_object_get(j, "decision")), "allow");
    assert_non_null(json_string_value(json_object_get(j, "reason")));
    json_decref(j);
    snprintf(body, sizeof body,
             "{\"subject\":\"%s\",\"action\":\"case.read\",\"resource\":\"agency/%s/cases/1\"}",
             carol_pid, root_id);
    assert_int_equal(post_json(&carol, "/api/authz/check", body, &j), 200);
    assert_string_equal(json_string_value(json_object_get(j, "decision")), "deny");
    json_decref(j);
    assert_int_equal(post_json(&carol, "/api/authz/check", "{\"subject\":\"x\"}", NULL), 400);
    /* others' rights: not for carol; for alice, administrator of the agency */
    snprintf(body, sizeof body,
             "{\"subject\":\"%s\",\"action\":\"case.read\",\"resource\":\"agency/%s/cases/1\"}",
             alice_pid, child_id);
    assert_int_equal(post_json(&carol, "/api/authz/check", body, NULL), 403);
    snprintf(body, sizeof body,
             "{\"subject\":\"%s\",\"action\":\"case.read\",\"resource\":\"agency/%s/cases/1\"}",
             carol_pid, child_id);
    assert_int_equal(post_json(&alice, "/api/authz/check", body, &j), 200);
    assert_string_equal(json_string_value(json_object_get(j, "decision")), "allow");
    json_decref(j);
    snprintf(body, sizeof body,
             "{\"subject\":\"%s\",\"action\":\"case.read\",\"resource\":\"agency/%s/cases/1\"}",
             carol_pid, sibling_id);
    assert_int_equal(post_json(&alice, "/api/authz/check", body, NULL), 403);

    /* service grants: only for services of one's agency */
    char grant_id[37];
    snprintf(body, sizeof body,
             "{\"consumer\":\"sys-1\",\"service_id\":\"svc-c\",\"provider_agency\":\"%s\","
             "\"method\":\"GET\",\"path\":\"/records/*\"}",
             child_id);
    assert_int_equal(post_json(&alice, "/api/authz/grants", body, &j), 201);
    snprintf(grant_id, sizeof grant_id, "%s", json_string_value(json_object_get(j, "id")));
    json_decref(j);
    snprintf(body, sizeof body,
             "{\"consumer\":\"sys-1\",\"service_id\":\"svc-s\",\"provider_agency\":\"%s\","
             "\"method\":\"GET\",\"path\":\"/\"}",
             sibling_id);
    assert_int_equal(post_json(&alice, "/api/authz/grants", body, NULL), 403);
    assert_int_equal(post_json(&dave, "/api/authz/grants", body, NULL), 201); /* root admin */
    const char *why = NULL;
    assert_int_equal(egov_authz_grant_check(db, "sys-1", "svc-c", "GET", "/records/5", &why),
                     EGOV_AUTHZ_ALLOW);
    assert_int_equal(egov_authz_grant_check(db, "sys-1", "svc-c", "POST", "/records/5", &why),
                     EGOV_AUTHZ_DENY);
    assert_string_equal(why, "the method is not granted");
    assert_int_equal(egov_authz_grant_check(db, "sys-1", "svc-c", "GET", "/other", &why),
                     EGOV_AUTHZ_DENY);
    assert_string_equal(why, "the path is not granted");
    assert_int_equal(egov_authz_grant_check(db, "sys-2", "svc-c", "GET", "/records/5", &why),
                     EGOV_AUTHZ_DENY);
    char path[128];
    snprintf(path, sizeof path, "/api/authz/grants/%s/revoke", grant_id);
    assert_int_equal(post_json(&carol, path, "", NULL), 403);
    assert_int_equal(post_json(&alice, path, "", NULL), 200);
    assert_int_equal(egov_authz_grant_check(db, "sys-1", "svc-c", "GET", "/records/5", &why),
                     EGOV_AUTHZ_DENY);
    /* a revoked grant, or a role that does not exist, is unknown to a change */
    assert_int_equal(egov_authz_grant_revoke(db, NULL, grant_id, "", NULL),
                     EGOV_EC_AUTHZ_GRANT_UNKNOWN);
    assert_int_equal(post_json(&alice, path, "", NULL), 404);
    char no_role[37];
    egov_uuid7(no_role);
    assert_int_equal(egov_authz_assign(db, NULL, carol_pid, no_role, true, "", NULL),
                     EGOV_EC_AUTHZ_ROLE_UNKNOWN);
    assert_int_equal(egov_authz_assign(db, carol_pid, dave_pid, role_id, true, "", NULL),
                     EGOV_EC_AUTHZ_NOT_ADMIN);

    /* administrators: alice may add one to her agency only */
    snprintf(body, sizeof body, "{\"subject\":\"%s\",\"agency\":\"%s\"}", carol_pid, root_id);
    assert_int_equal(post_json(&alice, "/api/authz/admins", body, NULL), 403);
    assert_false(egov_authz_is_admin(db, carol_pid, root_id));

    /* the agency view, and the audit trail of every change */
    json_t *v = egov_authz_agency_view(db, child_id);
    assert_non_null(v);
    assert_int_equal(json_array_size(json_object_get(v, "roles")), 1);
    assert_true(json_array_size(json_object_get(v, "audit")) >= 4);
    json_t *first = json_array_get(json_object_get(v, "audit"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "actor")), alice_pid);
    json_t *role = json_array_get(json_object_get(v, "roles"), 0);
    assert_string_equal(json_string_value(json_object_get(role, "id")), role_id);
    assert_int_equal(json_array_size(json_object_get(role, "permissions")), 2);
    assert_int_equal(json_array_size(json_object_get(role, "members")), 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(role, "members"), 0)),
                        carol_pid);
    assert_int_equal(json_array_size(json_object_get(v, "admins")), 1);
    json_t *grant = json_array_get(json_object_get(v, "grants"), 0);
    assert_string_equal(json_string_value(json_object_get(grant, "id")), grant_id);
    assert_true(json_is_true(json_object_get(grant, "revoked")));
    json_decref(v);
    /* unassigning takes the member away, and is audited */
    assert_int_equal(egov_authz_assign(db, alice_pid, carol_pid, role_id, false, "", NULL),
                     EGOV_EC_NONE);
    v = egov_authz_agency_view(db, child_id);
    role = json_array_get(json_object_get(v, "roles"), 0);
    assert_int_equal(json_array_size(json_object_get(role, "members")), 0);
    first = json_array_get(json_object_get(v, "audit"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "action")), "role.unassign");
    json_decref(v);

    /* the page: administrators only; forms need the CSRF token */
    struct egov_test_response r;
    snprintf(path, sizeof path, "/authz?agency=%s", child_id);
    assert_int_equal(jar_req(&alice, &srv, "GET", path, NULL, &r), 200);
    assert_non_null(strstr(r.body, "clerk"));
    egov_test_response_free(&r);
    assert_int_equal(jar_status(&carol, &srv, "GET", path, NULL), 403);
    snprintf(body, sizeof body, "agency=%s&name=sneaky&permissions=a+b", child_id);
    assert_int_equal(jar_status(&alice, &srv, "POST", "/authz/roles", body), 403);
    char tok[64];
    assert_true(jar_csrf(&alice, &srv, path, tok));
    snprintf(body, sizeof body,
             "csrf_token=%s&agency=%s&name=viewer&permissions=case.read+cases%%2F*%%0D%%0A", tok,
             child_id);
    assert_int_equal(jar_status(&alice, &srv, "POST", "/authz/roles", body), 303);
    v = egov_authz_agency_view(db, child_id);
    assert_int_equal(json_array_size(json_object_get(v, "roles")), 2);
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delegation_and_decisions),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
