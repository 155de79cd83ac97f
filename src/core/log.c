/*
 * log.c -- JSON-lines logging.
 *
 * Every line is one JSON object written with a single write() call, so
 * lines from different threads never interleave (a pipe write of at most
 * PIPE_BUF bytes is atomic; longer lines to a file opened O_APPEND are too).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"

static atomic_int log_level = EGOV_LOG_INFO;
static atomic_int log_fd = 2;
static _Thread_local const char *log_rid;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void egov_log_set_level(enum egov_log_level lvl)
{
    if (lvl >= EGOV_LOG_DEBUG && lvl <= EGOV_LOG_ERROR)
        atomic_store(&log_level, (int)lvl);
}

bool egov_log_level_parse(const char *s, enum egov_log_level *out)
{
    if (s == NULL)
        return false;
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum egov_log_level)i;
            return true;
        }
    }
    if (strcmp(s, "warning") == 0) {
        *out = EGOV_LOG_WARN;
        return true;
    }
    return false;
}

void egov_log_set_fd(int fd)
{
    if (fd >= 0)
        atomic_store(&log_fd, fd);
}

void egov_log_set_request_id(const char *rid)
{
    log_rid = rid;
}

const char *egov_log_request_id(void)
{
    return log_rid;
}

/*
 * Makes a JSON string from bytes that may not be UTF-8: bad sequences are
 * replaced by U+FFFD.  NULL on OOM.
 */
static json_t *safe_string(const char *s, size_t n)
{
    if (egov_utf8_valid(s, n, NULL) && memchr(s, '\0', n) == NULL)
        return json_stringn(s, n);
    struct egov_buf b;
    egov_buf_init(&b);
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t k = egov_utf8_decode(s + i, n - i, &cp);
        if (k == 0 || cp == 0) {
            egov_buf_puts(&b, "\xEF\xBF\xBD");
            i++;
        } else {
            egov_buf_append(&b, s + i, k);
            i += k;
        }
    }
    json_t *j = NULL;
    if (!b.oom)
        j = json_stringn(b.data == NULL ? "" : b.data, b.len);
    egov_buf_free(&b);
    return j;
}

/* Writes all of @p n bytes in (normally) one write() call. */
static void write_line(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

static int dump_to_buf(const char *buffer, size_t size, void *data)
{
    struct egov_buf *b = data;
    egov_buf_append(b, buffer, size);
    return b->oom ? -1 : 0;
}

void egov_log_json(enum egov_log_level lvl, const char *src, json_t *extra, const char *fmt, ...)
{
    if ((int)lvl < atomic_load(&log_level) || lvl > EGOV_LOG_ERROR)
        return;

    char ts[32];
    egov_time_rfc3339(egov_now_us(), ts);

    struct egov_buf msg, line;
    egov_buf_init(&msg);
    egov_buf_init(&line);
    json_t *o = NULL;

    va_list ap;
    va_start(ap, fmt);
    egov_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    if (msg.oom)
        goto fail;

    o = json_object();
    if (o == NULL)
        goto fail;
    if (json_object_set_new(o, "ts", json_string(ts)) != 0 ||
        json_object_set_new(o, "level", json_string(level_names[lvl])) != 0 ||
        json_object_set_new(o, "msg", safe_string(msg.data == NULL ? "" : msg.data, msg.len)) != 0)
        goto fail;
    const char *rid = log_rid;
    if (rid != NULL && json_object_set_new(o, "rid", safe_string(rid, strlen(rid))) != 0)
        goto fail;
    if (src != NULL && json_object_set_new(o, "src", safe_string(src, strlen(src))) != 0)
        goto fail;
    /* extra fields never replace the standard ones */
    if (json_is_object(extra) && json_object_update_missing(o, extra) != 0)
        goto fail;
    if (json_dump_callback(o, dump_to_buf, &line, JSON_COMPACT) != 0)
        goto fail;
    egov_buf_putc(&line, '\n');
    if (line.oom)
        goto fail;
    write_line(atomic_load(&log_fd), line.data, line.len);
    goto done;

fail:;
    /* Out of memory: still say something, without allocating. */
    static const char oom_line[] = "{\"level\":\"error\",\"msg\":\"log: out of memory\"}\n";
    write_line(atomic_load(&log_fd), oom_line, sizeof(oom_line) - 1);
done:
    json_decref(o);
    egov_buf_free(&msg);
    egov_buf_free(&line);
}
