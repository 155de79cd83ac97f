/*
 * test_log.c -- JSON-lines logging: every line parses as JSON, carries the
 * standard fields and the thread's request id, lines from threads do not
 * interleave, levels filter.
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"

struct capture {
    char path[64];
    int fd;
};

static int setup(void **state)
{
    static struct capture cap;
    snprintf(cap.path, sizeof(cap.path), "/tmp/egov-test-log-XXXXXX");
    int tmp = mkstemp(cap.path);
    if (tmp < 0)
        return -1;
    close(tmp);
    cap.fd = open(cap.path, O_WRONLY | O_APPEND | O_TRUNC);
    if (cap.fd < 0)
        return -1;
    egov_log_set_fd(cap.fd);
    egov_log_set_level(EGOV_LOG_INFO);
    *state = &cap;
    return 0;
}

static int teardown(void **state)
{
    struct capture *cap = *state;
    egov_log_set_fd(2);
    close(cap->fd);
    unlink(cap->path);
    return 0;
}

/* Reads the captured log, parses each line, returns an array of objects. */
static json_t *read_lines(struct capture *cap)
{
    FILE *f = fopen(cap->path, "r");
    assert_non_null(f);
    json_t *arr = json_array();
    char *line = NULL;
    size_t cap_n = 0;
    ssize_t n;
    while ((n = getline(&line, &cap_n, f)) > 0) {
        assert_int_equal(line[n - 1], '\n');
        struct egov_json_error err;
        json_t *j = egov_json_loads(line, (size_t)n - 1, &err);
        if (j == NULL)
            fail_msg("not JSON: %s (%s)", line, err.detail);
        assert_true(json_is_object(j));
        json_array_append_new(arr, j);
    }
    free(line);
    fclose(f);
    /* start the next test with an empty log */
    assert_int_equal(ftruncate(cap->fd, 0), 0);
    return arr;
}

static void test_fields(void **state)
{
    egov_info("hello %s %d", "world", 42);
    egov_log_set_request_id("0190f0e4-0000-7000-8000-000000000001");
    egov_warn("with rid");
    egov_log_set_request_id(NULL);
    assert_null(egov_log_request_id());
    json_t *lines = read_lines(*state);
    assert_int_equal(json_array_size(lines), 2);
    json_t *a = json_array_get(lines, 0);
    assert_string_equal(egov_json_get_str(a, "msg", ""), "hello world 42");
    assert_string_equal(egov_json_get_str(a, "level", ""), "info");
    assert_null(json_object_get(a, "rid"));
    assert_non_null(strstr(egov_json_get_str(a, "src", ""), "test_log.c:"));
    int64_t us;
    assert_true(egov_time_parse_rfc3339(egov_json_get_str(a, "ts", ""), &us));
    assert_true(llabs(us - egov_now_us()) < 60 * 1000000LL);
    json_t *b = json_array_get(lines, 1);
    assert_string_equal(egov_json_get_str(b, "level", ""), "warn");
    assert_string_equal(egov_json_get_str(b, "rid", ""), "0190f0e4-0000-7000-8000-000000000001");
    json_decref(lines);
}

static void test_extra_and_escaping(void **state)
{
    json_t *extra = json_pack("{s:s, s:i, s:s}", "path", "/a\"b", "status", 404, "msg",
                              "must not replace the message");
    egov_log_json(EGOV_LOG_ERROR, "x.c:1", extra, "quote \" newline \n tab \t 中文");
    json_decref(extra);
    egov_log_json(EGOV_LOG_INFO, NULL, NULL, "bad utf8 \xC3\x28 end");
    json_t *lines = read_lines(*state);
    assert_int_equal(json_array_size(lines), 2);
    json_t *a = json_array_get(lines, 0);
    assert_string_equal(egov_json_get_str(a, "msg", ""), "quote \" newline \n tab \t 中文");
    assert_string_equal(egov_json_get_str(a, "path", ""), "/a\"b");
    assert_int_equal(json_integer_value(json_object_get(a, "status")), 404);
    assert_string_equal(egov_json_get_str(a, "src", ""), "x.c:1");
    json_t *b = json_array_get(lines, 1);
    assert_string_equal(egov_json_get_str(b, "msg", ""), "bad utf8 \xEF\xBF\xBD( end");
    assert_null(json_object_get(b, "src"));
    json_decref(lines);
}

static void test_levels(void **state)
{
    enum egov_log_level lvl;
    assert_true(egov_log_level_parse("debug", &lvl));
    assert_int_equal(lvl, EGOV_LOG_DEBUG);
    assert_true(egov_log_level_parse("error", &lvl));
    assert_int_equal(lvl, EGOV_LOG_ERROR);
    assert_false(egov_log_level_parse("loud", &lvl));
    assert_false(egov_log_level_parse("", &lvl));

    egov_debug("hidden");
    egov_log_set_level(EGOV_LOG_DEBUG);
    egov_debug("shown");
    egov_log_set_level(EGOV_LOG_ERROR);
    egov_warn("hidden too");
    EGOV_BUG("broken %d", 1);
    egov_log_set_level(EGOV_LOG_INFO);
    json_t *lines = read_lines(*state);
    assert_int_equal(json_array_size(lines), 2);
    assert_string_equal(egov_json_get_str(json_array_get(lines, 0), "msg", ""), "shown");
    assert_string_equal(egov_json_get_str(json_array_get(lines, 1), "msg", ""), "bug: broken 1");
    json_decref(lines);
}

#define THREADS    4
#define PER_THREAD 300

static void *log_thread(void *arg)
{
    char rid[37];
    memcpy(rid, arg, sizeof(rid));
    egov_log_set_request_id(rid);
    char pad[600];
    memset(pad, 'a' + rid[35] % 20, sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    for (int i = 0; i < PER_THREAD; i++)
        egov_info("%d %s", i, pad);
    egov_log_set_request_id(NULL);
    return NULL;
}

static void test_threads_do_not_interleave(void **state)
{
    pthread_t th[THREADS];
    char rids[THREADS][37];
    for (int i = 0; i < THREADS; i++) {
        egov_uuid7(rids[i]);
        assert_int_equal(pthread_create(&th[i], NULL, log_thread, rids[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    json_t *lines = read_lines(*state);
    assert_int_equal(json_array_size(lines), THREADS * PER_THREAD);
    int next[THREADS] = {0};
    size_t i;
    json_t *l;
    json_array_foreach(lines, i, l)
    {
        const char *rid = egov_json_get_str(l, "rid", "");
        int t = -1;
        for (int k = 0; k < THREADS; k++)
            if (strcmp(rid, rids[k]) == 0)
                t = k;
        assert_true(t >= 0);
        /* each thread's lines arrive complete and in order */
        assert_int_equal(atoi(egov_json_get_str(l, "msg", "")), next[t]);
        next[t]++;
        assert_int_equal(strlen(egov_json_get_str(l, "msg", "")),
                         599 + strlen(" ") + (size_t)snprintf(NULL, 0, "%d", next[t] - 1));
    }
    json_decref(lines);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_extra_and_escaping),
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_threads_do_not_interleave),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
