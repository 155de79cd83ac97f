/*
 * test_db_nodes.c -- sessions live in the database: an account made with
 * `egov account add`, signed in on one `egov serve` node, is signed in on
 * a second node on the same database and after the first node restarts;
 * TOTP enrolment and the second step with codes computed by Debian's
 * `oathtool`; sign-out on one node ends the session on the other.
 * Runs on SQLite (two processes, one file) and on PostgreSQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "account/account.h"
#include "browserlike.h"
#include "testlib.h"

static const char NID[] = "A123456789";
static const char PW_FORM[] = "Taipei+in+the+rain%2C+%E9%9B%A8%E5%A4%A9";

/* Runs `egov account add` against @p url; returns its exit status. */
static int cli_add(const char *url, const char *nid, const char *name, const char *pwfile)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "\"%s\" account add --db '%s' --national-id '%s' --name '%s' --password-file '%s'"
             " >/dev/null 2>&1",
             getenv("EGOV_BIN"), url, nid, name, pwfile);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* `oathtool --totp -b SECRET` at @p when (epoch seconds); false if oathtool is missing. */
static bool oathtool(const char *secret, time_t when, char code[8])
{
    char cmd[256], stamp[64];
    struct tm tm;
    gmtime_r(&when, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S UTC", &tm);
    snprintf(cmd, sizeof cmd, "oathtool --totp -b --now '%s' '%s' 2>/dev/null", stamp, secret);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return false;
    bool ok = fgets(code, 8, p) != NULL;
    int rc = pclose(p);
    code[strcspn(code, "\n")] = '\0';
    return ok && rc == 0 && strlen(code) == 6;
}

static void test_nodes(void **state)
{
    (void)state;
    struct egov_db *db = egov_test_db_open();
    assert_non_null(db);
    const char *url = egov_test_db_url();
    char pwfile[512], tok[64], form[1024], loc[512], secret[64], code[8];
    snprintf(pwfile, sizeof pwfile, "%s/account-pw-%d", getenv("EGOV_TEST_TMP"), (int)getpid());
    FILE *f = fopen(pwfile, "w");
    assert_non_null(f);
    fputs("Taipei in the rain, 雨天\n", f);
    fclose(f);

    const char *args[] = {"--log-level", "warn", NULL};
    struct egov_test_server a = {0}, b = {0};
    assert_true(egov_test_server_start(url, args, &a));
    assert_true(egov_test_server_start(url, args, &b));

    /* the command line: flags checked, the account made once */
    assert_int_equal(cli_add(url, "A123456788", "Bad Check", pwfile), 1);
    assert_int_equal(cli_add(url, NID, "Lin Mei-ling 林美玲", pwfile), 0);
    assert_int_equal(cli_add(url, NID, "Lin Mei-ling 林美玲", pwfile), 1);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "\"%s\" account add --db '%s' --national-id X >/dev/null 2>&1",
             getenv("EGOV_BIN"), url);
    int rc = system(cmd);
    assert_int_equal(WEXITSTATUS(rc), 2);
    unlink(pwfile);

    /* five wrong passwords lock the account on every node; the help desk unlocks it */
    struct jar j = {0};
    for (int i = 0; i < 5; i++) {
        assert_true(jar_csrf(&j, &b, "/login", tok));
        snprintf(form, sizeof form, "csrf_token=%s&login=%s&password=guess+%d", tok, NID, i);
        assert_int_equal(jar_status(&j, &b, "POST", "/login", form), i < 4 ? 401 : 429);
    }
    assert_true(jar_csrf(&j, &a, "/login", tok));
    snprintf(form, sizeof form, "csrf_token=%s&login=%s&password=%s", tok, NID, PW_FORM);
    assert_int_equal(jar_status(&j, &a, "POST", "/login", form), 429);
    snprintf(cmd, sizeof cmd, "\"%s\" account show --db '%s' --national-id a123456789",
             getenv("EGOV_BIN"), url);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char out[2048] = "";
    size_t got = fread(out, 1, sizeof out - 1, p);
    out[got] = '\0';
    assert_int_equal(pclose(p), 0);
    assert_non_null(strstr(out, "\"failed_count\": 5"));
    assert_non_null(strstr(out, "\"locked_until\""));
    snprintf(cmd, sizeof cmd, "\"%s\" account unlock --db '%s' --national-id %s >/dev/null",
             getenv("EGOV_BIN"), url, NID);
    rc = system(cmd);
    assert_int_equal(WEXITSTATUS(rc), 0);
    snprintf(cmd, sizeof cmd,
             "\"%s\" account unlock --db '%s' --national-id F231234561 >/dev/null 2>&1",
             getenv("EGOV_BIN"), url);
    rc = system(cmd);
    assert_int_equal(WEXITSTATUS(rc), 1);

    /* sign in on node A; the session works on node B */
    assert_true(jar_csrf(&j, &a, "/login", tok));
    snprintf(form, sizeof form, "csrf_token=%s&login=%s&password=%s&return_to=/account", tok, NID,
             PW_FORM);
    assert_int_equal(jar_status(&j, &a, "POST", "/login", form), 303);
    assert_int_equal(jar_status(&j, &b, "GET", "/api/account/session", NULL), 200);

    /* node A restarts: still signed in there */
    assert_true(egov_test_server_stop(&a));
    assert_true(egov_test_server_start(url, args, &a));
    assert_int_equal(jar_status(&j, &a, "GET", "/api/account/session", NULL), 200);

    /* TOTP enrolment started on A, confirmed on B with oathtool's code */
    assert_true(jar_csrf(&j, &a, "/account", tok));
    snprintf(form, sizeof form, "csrf_token=%s", tok);
    struct egov_test_response r;
    assert_int_equal(jar_req(&j, &a, "POST", "/account/totp/start", form, &r), 200);
    const char *ds = strstr(r.body, "data-secret=\"");
    assert_non_null(ds);
    ds += 13;
    size_t n = strcspn(ds, "\"");
    assert_true(n > 0 && n < sizeof secret);
    memcpy(secret, ds, n);
    secret[n] = '\0';
    egov_test_response_free(&r);
    time_t now = time(NULL);
    if (!oathtool(secret, now, code)) {
        egov_test_server_stop(&a);
        egov_test_server_stop(&b);
        egov_db_close(db);
        skip(); /* Debian's oathtool is not installed */
    }
    snprintf(form, sizeof form, "csrf_token=%s&code=%s", tok, code);
    assert_int_equal(jar_req(&j, &b, "POST", "/account/totp/confirm", form, &r), 200);
    assert_non_null(strstr(r.body, "recovery-codes"));
    egov_test_response_free(&r);

    /* sign out on B: the session is gone on A too */
    assert_true(jar_csrf(&j, &b, "/logout", tok));
    snprintf(form, sizeof form, "csrf_token=%s&return_to=/", tok);
    assert_int_equal(jar_status(&j, &b, "POST", "/logout", form), 303);
    assert_int_equal(jar_status(&j, &a, "GET", "/api/account/session", NULL), 401);

    /* sign in again: password on A, the code of the next period on B */
    assert_true(jar_csrf(&j, &a, "/login", tok));
    snprintf(form, sizeof form, "csrf_token=%s&login=%s&password=%s&return_to=/account", tok, NID,
             PW_FORM);
    assert_int_equal(jar_req(&j, &a, "POST", "/login", form, &r), 303);
    assert_non_null(egov_test_response_header(&r, "Location", loc, sizeof loc));
    assert_string_equal(loc, "/login/otp?return_to=/account");
    egov_test_response_free(&r);
    assert_true(jar_csrf(&j, &b, loc, tok));
    snprintf(form, sizeof form, "csrf_token=%s&code=%s&return_to=/account", tok, code);
    assert_int_equal(jar_status(&j, &b, "POST", "/login/otp", form), 401); /* used already */
    assert_true(oathtool(secret, now + 30, code));
    snprintf(form, sizeof form, "csrf_token=%s&code=%s&return_to=/account", tok, code);
    assert_int_equal(jar_req(&j, &b, "POST", "/login/otp", form, &r), 303);
    assert_non_null(egov_test_response_header(&r, "Location", loc, sizeof loc));
    assert_string_equal(loc, "/account");
    egov_test_response_free(&r);
    assert_int_equal(jar_req(&j, &a, "GET", "/api/account/session", NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"otp\""));
    egov_test_response_free(&r);

    assert_true(egov_test_server_stop(&a));
    assert_true(egov_test_server_stop(&b));
    egov_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
