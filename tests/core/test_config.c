/*
 * test_config.c -- the typed configuration: defaults, files with bad
 * values (each problem named), unknown keys and sections, environment
 * overrides, single settings, and dump -> load round trips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "build_info.h"
#include "core/core.h"

extern char **environ;

/* Removes every EGOV_* variable so the test environment cannot leak in. */
static int clear_env(void **state)
{
    for (;;) {
        char name[128] = "";
        for (char **e = environ; *e != NULL; e++) {
            if (strncmp(*e, "EGOV_", 5) == 0) {
                size_t n = strcspn(*e, "=");
                if (n < sizeof(name)) {
                    memcpy(name, *e, n);
                    name[n] = '\0';
                    break;
                }
            }
        }
        if (name[0] == '\0')
            return 0;
        unsetenv(name);
    }
}

static char *write_file(const char *text)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/egov-test-cfg-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static bool has_problem(const struct egov_cfg_problems *p, const char *text)
{
    for (unsigned i = 0; i < p->count; i++)
        if (strstr(p->msg[i], text) != NULL)
            return true;
    return false;
}

static void test_defaults(void **state)
{
    struct egov_config c;
    egov_config_defaults(&c);
    assert_string_equal(c.listen, "127.0.0.1:8080");
    assert_string_equal(c.db_url, "sqlite:var/egov.db");
    assert_int_equal(c.db_pool, 8);
    assert_int_equal(c.db_busy_ms, 5000);
    assert_int_equal(c.threads, 0);
    assert_int_equal(c.conn_timeout_ms, 30000);
    assert_int_equal(c.max_url, 8192);
    assert_int_equal(c.max_header, 16384);
    assert_int_equal(c.max_body, 1048576);
    assert_int_equal(c.max_connections, 1024);
    assert_true(c.cookie_secure);
    assert_string_equal(c.public_url, "");
    assert_string_equal(c.datadir, EGOV_SOURCE_DATADIR);
    assert_string_equal(c.localedir, EGOV_BUILD_LOCALEDIR);
    assert_string_equal(c.vardir, "var");
    assert_int_equal(c.log_level, EGOV_LOG_INFO);
    assert_true(c.log_requests);
    assert_int_equal(c.job_workers, 2);
    assert_int_equal(c.job_poll_ms, 200);
    assert_int_equal(c.job_lease_ms, 60000);
    assert_true(c.migrate_on_start);
}

static void test_table_covers_struct(void **state)
{
    /* every member appears once; offsets are distinct and in range */
    size_t n = 0;
    for (const struct egov_cfg_key *k = egov_config_keys; k->type != EGOV_CFG_END; k++) {
        assert_true(k->offset < sizeof(struct egov_config));
        assert_non_null(k->help);
        for (const struct egov_cfg_key *j = egov_config_keys; j < k; j++) {
            assert_true(j->offset != k->offset);
            assert_false(strcmp(j->section, k->section) == 0 && strcmp(j->key, k->key) == 0);
        }
        n++;
    }
    assert_int_equal(n, 32);
}

static void test_file_good(void **state)
{
    struct egov_config c;
    struct egov_cfg_problems p = {0};
    egov_config_defaults(&c);
    char *path = write_file("; comment\n"
                            "[http]\n"
                            "listen = [::1]:9090\n"
                            "max_body = 2m\n"
                            "max_url = 4KB\n"
                            "connection_timeout = 2min\n"
                            "cookie_secure = off\n"
                            "public_url = \"https://gov.example\"\n"
                            "[db]\n"
                            "url = postgresql://egov@localhost/egov\n"
                            "pool = 256\n"
                            "busy_timeout = 1500\n"
                            "[log]\n"
                            "level = debug\n"
                            "[jobs]\n"
                            "lease = 5s\n"
                            "[paths]\n"
                            "var = /srv/egov/變數\n");
    assert_true(egov_config_load_file(&c, path, &p));
    unlink(path);
    assert_int_equal(p.count, 0);
    assert_string_equal(c.listen, "[::1]:9090");
    assert_int_equal(c.max_body, 2 * 1024 * 1024);
    assert_int_equal(c.max_url, 4096);
    assert_int_equal(c.conn_timeout_ms, 120000);
    assert_false(c.cookie_secure);
    assert_string_equal(c.public_url, "https://gov.example");
    assert_string_equal(c.db_url, "postgresql://egov@localhost/egov");
    assert_int_equal(c.db_pool, 256);
    assert_int_equal(c.db_busy_ms, 1500);
    assert_int_equal(c.log_level, EGOV_LOG_DEBUG);
    assert_int_equal(c.job_lease_ms, 5000);
    assert_string_equal(c.vardir, "/srv/egov/變數");
    assert_int_equal(c.job_workers, 2); /* untouched keys keep defaults */
}

static void test_file_bad_values(void **state)
{
    struct egov_config c, before;
    struct egov_cfg_problems p = {0};
    egov_config_defaults(&c);
    before = c;
    char *path = write_file("[db]\n"
                            "pool = 0\n"
                            "busy_timeout = soon\n"
                            "[http]\n"
                            "lisen = 0.0.0.0:80\n"
                            "listen = 127.0.0.1:65536\n"
                            "max_body = 2g\n"
                            "threads = -1\n"
                            "cookie_secure = maybe\n"
                            "connection_timeout = 0s\n"
                            "[log]\n"
                            "level = loud\n"
                            "[cache]\n"
                            "size = 1\n");
    assert_false(egov_config_load_file(&c, path, &p));
    unlink(path);
    assert_int_equal(p.count, 10);
    assert_true(has_problem(&p, "db.pool = \"0\": must be an integer from 1 to 256"));
    assert_true(has_problem(&p, "db.busy_timeout = \"soon\": must be a duration from 0ms to "
                                "10min"));
    assert_true(has_problem(&p, "[http] lisen: unknown key; known keys in [http]: listen, "
                                "threads, connection_timeout"));
    assert_true(has_problem(&p, "http.listen = \"127.0.0.1:65536\": must be HOST:PORT"));
    assert_true(has_problem(&p, "http.max_body = \"2g\": must be a size from 1k to 1g"));
    assert_true(has_problem(&p, "http.threads = \"-1\": must be an integer from 0 to 256"));
    assert_true(has_problem(&p, "http.cookie_secure = \"maybe\": must be true or false"));
    assert_true(has_problem(&p, "http.connection_timeout = \"0s\": must be a duration from "
                                "1s to 60min"));
    assert_true(has_problem(&p, "log.level = \"loud\": must be one of debug, info"));
    assert_true(has_problem(&p, "[cache] size: unknown section; known sections: http, db, "
                                "paths, log, jobs"));
    /* bad values change nothing */
    assert_memory_equal(&c, &before, sizeof(c));
}

static void test_file_unreadable_and_syntax(void **state)
{
    struct egov_config c;
    struct egov_cfg_problems p = {0};
    egov_config_defaults(&c);
    assert_false(egov_config_load_file(&c, "/nonexistent/egov.ini", &p));
    assert_int_equal(p.count, 1);
    assert_true(has_problem(&p, "/nonexistent/egov.ini: cannot be read"));

    memset(&p, 0, sizeof(p));
    char *path = write_file("[http\nlisten = 1.2.3.4:5\n");
    assert_false(egov_config_load_file(&c, path, &p));
    unlink(path);
    assert_true(has_problem(&p, ":1: syntax error"));
}

static void test_many_problems_capped(void **state)
{
    struct egov_config c;
    struct egov_cfg_problems p = {0};
    egov_config_defaults(&c);
    struct egov_buf b;
    egov_buf_init(&b);
    egov_buf_puts(&b, "[db]\n");
    for (int i = 0; i < 40; i++)
        egov_buf_printf(&b, "pool = %d\n", 1000 + i);
    char *path = write_file(b.data);
    egov_buf_free(&b);
    assert_false(egov_config_load_file(&c, path, &p));
    unlink(path);
    assert_int_equal(p.count, 16);
    assert_true(has_problem(&p, "\"1000\""));
    assert_true(has_problem(&p, "more problems not shown"));
}

static void test_listen_values(void **state)
{
    static const char *const good[] = {"127.0.0.1:8080",     "0.0.0.0:0",    "[::]:443",
                                       "[::1]:65535",        "localhost:80", "gov.example.tw:8443",
                                       "[2001:db8::1]:8080", "a-b.c:1"};
    static const char *const bad[] = {"127.0.0.1",   "127.0.0.1:", ":8080",        "::1:8080",
                                      "[::1]8080",   "[::1:8080",  "256.0.0.1:80", "1.2.3:80",
                                      "host:123456", "host:-1",    "-host:80",     "ho_st:80",
                                      "a..b:80",     "[zz]:80",    "[]:80",        "host:8o"};
    struct egov_config c;
    egov_config_defaults(&c);
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct egov_cfg_problems p = {0};
        if (!egov_config_set(&c, "http.listen", good[i], &p))
            fail_msg("rejected %s: %s", good[i], p.msg[0]);
        assert_string_equal(c.listen, good[i]);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct egov_cfg_problems p = {0};
        if (egov_config_set(&c, "http.listen", bad[i], &p))
            fail_msg("accepted %s", bad[i]);
        assert_int_equal(p.count, 1);
        assert_non_null(strstr(p.msg[0], "http.listen"));
    }
}

static void test_sizes_and_durations(void **state)
{
    struct egov_config c;
    egov_config_defaults(&c);
    struct egov_cfg_problems p = {0};
    assert_true(egov_config_set(&c, "http.max_body", "1g", &p));
    assert_int_equal(c.max_body, 1024UL * 1024 * 1024);
    assert_true(egov_config_set(&c, "http.max_body", "1024", &p));
    assert_int_equal(c.max_body, 1024);
    assert_true(egov_config_set(&c, "http.max_body", "64K", &p));
    assert_int_equal(c.max_body, 65536);
    assert_false(egov_config_set(&c, "http.max_body", "1023", &p));
    assert_false(egov_config_set(&c, "http.max_body", "1.5m", &p));
    assert_false(egov_config_set(&c, "http.max_body", "1t", &p));
    assert_false(egov_config_set(&c, "http.max_body", "", &p));
    assert_false(egov_config_set(&c, "http.max_body", "99999999999999999999999k", &p));
    assert_false(egov_config_set(&c, "http.max_body", "17179869184g", &p)); /* overflows */
    assert_int_equal(c.max_body, 65536);
    assert_true(egov_config_set(&c, "jobs.poll_interval", "10ms", &p));
    assert_int_equal(c.job_poll_ms, 10);
    assert_true(egov_config_set(&c, "jobs.poll_interval", "1min", &p));
    assert_int_equal(c.job_poll_ms, 60000);
    assert_false(egov_config_set(&c, "jobs.poll_interval", "9", &p));
    assert_false(egov_config_set(&c, "jobs.poll_interval", "2min", &p));
    assert_false(egov_config_set(&c, "jobs.poll_interval", "5 s", &p));
    assert_true(egov_config_set(&c, "jobs.lease", "24h", &p));
    assert_int_equal(c.job_lease_ms, 86400000);
    assert_true(egov_config_set(&c, "db.migrate_on_start", "No", &p));
    assert_false(c.migrate_on_start);
    assert_true(egov_config_set(&c, "db.migrate_on_start", "1", &p));
    assert_true(c.migrate_on_start);
    assert_true(egov_config_set(&c, "log.level", "warn", &p));
    assert_int_equal(c.log_level, EGOV_LOG_WARN);
    assert_true(egov_config_set(&c, "http.threads", "256", &p));
    assert_false(egov_config_set(&c, "http.threads", "257", &p));
    assert_false(egov_config_set(&c, "http.threads", "+1", &p));
    assert_false(egov_config_set(&c, "http.threads", " 1", &p));
    assert_int_equal(c.threads, 256);
}

static void test_set_errors(void **state)
{
    struct egov_config c;
    egov_config_defaults(&c);
    struct egov_cfg_problems p = {0};
    assert_false(egov_config_set(&c, "dburl", "x", &p));
    assert_false(egov_config_set(&c, "db.uri", "x", &p));
    assert_false(egov_config_set(&c, "nope.x", "x", &p));
    assert_int_equal(p.count, 3);
    assert_true(has_problem(&p, "dburl: unknown key"));
    assert_true(has_problem(&p, "[db] uri: unknown key; known keys in [db]: url, pool"));
    assert_true(has_problem(&p, "[nope] x: unknown section"));
    /* string limits: length and control characters */
    char long_url[600];
    memset(long_url, 'a', sizeof(long_url) - 1);
    long_url[sizeof(long_url) - 1] = '\0';
    memset(&p, 0, sizeof(p));
    assert_false(egov_config_set(&c, "db.url", long_url, &p));
    assert_true(has_problem(&p, "at most 511 bytes"));
    assert_true(has_problem(&p, "...\": ")); /* long values are shortened */
    assert_false(egov_config_set(&c, "db.url", "a\nb", &p));
    assert_false(egov_config_set(&c, "db.url", "\xC3\x28", &p));
    assert_string_equal(c.db_url, "sqlite:var/egov.db");
    assert_true(egov_config_set(&c, "db.url", "sqlite:/tmp/x.db", NULL));
    assert_string_equal(c.db_url, "sqlite:/tmp/x.db");
}

static void test_env(void **state)
{
    struct egov_config c;
    egov_config_defaults(&c);
    struct egov_cfg_problems p = {0};
    setenv("EGOV_DB_URL", "postgresql:///egov", 1);
    setenv("EGOV_HTTP_LISTEN", "0.0.0.0:80", 1);
    setenv("EGOV_JOBS_POLL_INTERVAL", "1s", 1);
    setenv("EGOV_DATADIR", "/opt/egov/share", 1);
    assert_true(egov_config_load_env(&c, &p));
    assert_int_equal(p.count, 0);
    assert_string_equal(c.db_url, "postgresql:///egov");
    assert_string_equal(c.listen, "0.0.0.0:80");
    assert_int_equal(c.job_poll_ms, 1000);
    assert_string_equal(c.datadir, "/opt/egov/share");
    /* the canonical name wins over the alias */
    setenv("EGOV_PATHS_DATA", "/srv/share", 1);
    assert_true(egov_config_load_env(&c, &p));
    assert_string_equal(c.datadir, "/srv/share");

    setenv("EGOV_DB_POOL", "0", 1);
    assert_false(egov_config_load_env(&c, &p));
    assert_int_equal(p.count, 1);
    assert_string_equal(p.msg[0],
                        "EGOV_DB_POOL: db.pool = \"0\": must be an integer from 1 to 256");
    assert_int_equal(c.db_pool, 8);
    clear_env(NULL);
}

static void test_dump_round_trip(void **state)
{
    struct egov_config c, d;
    egov_config_defaults(&c);
    struct egov_cfg_problems p = {0};
    assert_true(egov_config_set(&c, "http.listen", "[::1]:1", &p));
    assert_true(egov_config_set(&c, "http.public_url", " padded ", &p));
    assert_true(egov_config_set(&c, "http.max_header", "1025", &p));
    assert_true(egov_config_set(&c, "http.connection_timeout", "1500", &p));
    assert_true(egov_config_set(&c, "db.url", "sqlite:中文.db", &p));
    assert_true(egov_config_set(&c, "log.level", "error", &p));
    assert_true(egov_config_set(&c, "log.requests", "false", &p));
    assert_true(egov_config_set(&c, "jobs.workers", "0", &p));
    struct egov_buf out;
    egov_buf_init(&out);
    egov_config_dump(&c, &out);
    assert_false(out.oom);
    assert_non_null(strstr(out.data, "[http]\n"));
    assert_non_null(strstr(out.data, "\nlisten = [::1]:1\n"));
    assert_non_null(strstr(out.data, "\nmax_body = 1m\n"));
    assert_non_null(strstr(out.data, "\nconnection_timeout = 1500ms\n"));
    assert_non_null(strstr(out.data, "\nlevel = error\n"));
    char *path = write_file(out.data);
    egov_buf_free(&out);
    egov_config_defaults(&d);
    bool ok = egov_config_load_file(&d, path, &p);
    unlink(path);
    if (!ok)
        fail_msg("%s", p.msg[0]);
    assert_string_equal(d.public_url, " padded ");
    assert_memory_equal(&c, &d, sizeof(c));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_table_covers_struct),
        cmocka_unit_test(test_file_good),
        cmocka_unit_test(test_file_bad_values),
        cmocka_unit_test(test_file_unreadable_and_syntax),
        cmocka_unit_test(test_many_problems_capped),
        cmocka_unit_test(test_listen_values),
        cmocka_unit_test(test_sizes_and_durations),
        cmocka_unit_test(test_set_errors),
        cmocka_unit_test(test_env),
        cmocka_unit_test(test_dump_round_trip),
    };
    return cmocka_run_group_tests(tests, clear_env, NULL);
}
