/*
 * testlib_server.c -- starting servers under test (a child `egov serve`
 * or an in-process egov_server), libcurl requests with headers captured,
 * and raw sockets for protocol-level tests.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "testlib.h"

static void nap_ms(unsigned int ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ */
/* libcurl requests                                                    */
/* ------------------------------------------------------------------ */

static size_t body_cb(char *p, size_t size, size_t n, void *ud)
{
    struct egov_buf *b = ud;
    egov_buf_append(b, p, size * n);
    return size * n;
}

static size_t header_cb(char *p, size_t size, size_t n, void *ud)
{
    struct egov_buf *b = ud;
    /* a new status line starts a new header block (after 100 Continue) */
    if (size * n >= 5 && strncmp(p, "HTTP/", 5) == 0)
        egov_buf_reset(b);
    egov_buf_append(b, p, size * n);
    return size * n;
}

bool egov_test_http(const struct egov_test_server *srv, const char *method, const char *path,
                    const char *const *headers, const char *body, size_t body_len,
                    struct egov_test_response *out)
{
    struct egov_buf bb, hb;
    struct curl_slist *hl = NULL;
    char url[2048];
    bool ok = false;
    CURL *c = curl_easy_init();

    memset(out, 0, sizeof *out);
    egov_buf_init(&bb);
    egov_buf_init(&hb);
    if (c == NULL)
        goto done;
    snprintf(url, sizeof url, "%s%s", srv->base_url, path);
    for (const char *const *h = headers; h != NULL && *h != NULL; h++)
        hl = curl_slist_append(hl, *h);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &bb);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &hb);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    if (hl != NULL)
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else if (strcmp(method, "GET") != 0)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        fprintf(stderr, "testlib: %s %s: %s\n", method, url, curl_easy_strerror(rc));
        goto done;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    out->body_len = bb.len;
    egov_buf_putc(&bb, '\0');
    egov_buf_putc(&hb, '\0');
    out->body = egov_buf_steal(&bb);
    out->headers = egov_buf_steal(&hb);
    ok = out->body != NULL && out->headers != NULL;
done:
    egov_buf_free(&bb);
    egov_buf_free(&hb);
    curl_slist_free_all(hl);
    if (c != NULL)
        curl_easy_cleanup(c);
    return ok;
}

const char *egov_test_response_header(const struct egov_test_response *r, const char *name,
                                      char *buf, size_t buflen)
{
    const char *found = NULL;
    size_t nl = strlen(name);
    for (const char *line = r->headers; line != NULL && *line != '\0';) {
        const char *eol = strstr(line, "\r\n");
        size_t ll = eol ? (size_t)(eol - line) : strlen(line);
        if (ll > nl && line[nl] == ':' && strncasecmp(line, name, nl) == 0) {
            const char *v = line + nl + 1;
            while (*v == ' ')
                v++;
            size_t vl = ll - (size_t)(v - line);
            if (vl >= buflen)
                vl = buflen - 1;
            memcpy(buf, v, vl);
            buf[vl] = '\0';
            found = buf;
        }
        line = eol ? eol + 2 : NULL;
    }
    return found;
}

void egov_test_response_free(struct egov_test_response *r)
{
    free(r->body);
    free(r->headers);
    memset(r, 0, sizeof *r);
}

/* ------------------------------------------------------------------ */
/* Raw sockets                                                         */
/* ------------------------------------------------------------------ */

int egov_test_connect(unsigned int port)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

size_t egov_test_read_all(int fd, char *out, size_t outlen, unsigned int timeout_ms)
{
    size_t got = 0;
    int64_t deadline = now_ms() + timeout_ms;
    while (got + 1 < outlen) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            break;
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, (int)left) <= 0)
            break;
        ssize_t n = recv(fd, out + got, outlen - 1 - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (outlen > 0)
        out[got] = '\0';
    return got;
}

/* ------------------------------------------------------------------ */
/* In-process server                                                   */
/* ------------------------------------------------------------------ */

bool egov_test_inproc_start(const struct egov_route_table *const *tables,
                            const struct egov_server_options *opt, struct egov_test_server *out)
{
    struct egov_server_options o;
    char err[256];

    memset(out, 0, sizeof *out);
    out->out_fd = -1;
    if (opt != NULL) {
        o = *opt;
    } else {
        memset(&o, 0, sizeof o);
        o.threads = 2;
        o.datadir = getenv("EGOV_DATADIR");
    }
    o.listen = "127.0.0.1:0";
    out->inproc = egov_server_create(&o, err, sizeof err);
    if (out->inproc == NULL) {
        fprintf(stderr, "testlib: egov_server_create: %s\n", err);
        return false;
    }
    for (const struct egov_route_table *const *t = tables; t != NULL && *t != NULL; t++) {
        if (!egov_server_add_routes(out->inproc, *t)) {
            fprintf(stderr, "testlib: too many route tables\n");
            goto fail;
        }
    }
    if (!egov_server_start(out->inproc, err, sizeof err)) {
        fprintf(stderr, "testlib: egov_server_start: %s\n", err);
        goto fail;
    }
    out->port = egov_server_port(out->inproc);
    snprintf(out->base_url, sizeof out->base_url, "http://127.0.0.1:%u", out->port);
    return out->port != 0;
fail:
    egov_server_destroy(out->inproc);
    out->inproc = NULL;
    return false;
}

void egov_test_inproc_stop(struct egov_test_server *srv, unsigned int grace_ms)
{
    if (srv->inproc == NULL)
        return;
    egov_server_stop(srv->inproc, grace_ms);
    egov_server_destroy(srv->inproc);
    srv->inproc = NULL;
}

/* ------------------------------------------------------------------ */
/* Child `egov serve`                                                  */
/* ------------------------------------------------------------------ */

/* Reads one line from @p fd within @p deadline (monotonic ms). */
static bool read_line(int fd, char *line, size_t cap, int64_t deadline)
{
    size_t n = 0;
    while (n + 1 < cap) {
        int64_t left = deadline - now_ms();
        struct pollfd pfd = {fd, POLLIN, 0};
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            return false;
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r <= 0)
            return false;
        if (c == '\n')
            break;
        line[n++] = c;
    }
    line[n] = '\0';
    return true;
}

bool egov_test_server_start(const char *db_url, const char *const *extra_args,
                            struct egov_test_server *out)
{
    const char *bin = getenv("EGOV_BIN");
    const char *argv[64];
    size_t argc = 0;
    int pipefd[2] = {-1, -1};
    char line[512];

    memset(out, 0, sizeof *out);
    out->out_fd = -1;
    if (bin == NULL) {
        fprintf(stderr, "testlib: EGOV_BIN is not set\n");
        return false;
    }
    argv[argc++] = bin;
    argv[argc++] = "serve";
    argv[argc++] = "--listen";
    argv[argc++] = "127.0.0.1:0";
    if (db_url != NULL) {
        argv[argc++] = "--db";
        argv[argc++] = db_url;
    }
    for (const char *const *a = extra_args; a != NULL && *a != NULL && argc < 62; a++)
        argv[argc++] = *a;
    argv[argc] = NULL;
    if (pipe2(pipefd, O_CLOEXEC) != 0)
        return false;
    pid_t pid = fork();
    if (pid < 0) {
        close(pipefd[0]);
        close(pipefd[1]);
        return false;
    }
    if (pid == 0) {
        /* a test killed by CTest's timeout must not leave its server behind */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() == 1)
            _exit(127);
        dup2(pipefd[1], 1);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(pipefd[1]);
    out->pid = pid;
    out->out_fd = pipefd[0];
    int64_t deadline = now_ms() + 30000;
    unsigned int port = 0;
    while (port == 0 && read_line(out->out_fd, line, sizeof line, deadline)) {
        const char *p = strstr(line, "listening on http://");
        const char *colon = p ? strrchr(p + 20, ':') : NULL;
        if (colon != NULL) {
            unsigned long v = strtoul(colon + 1, NULL, 10);
            if (v > 0 && v < 65536)
                port = (unsigned int)v;
        }
    }
    if (port == 0) {
        fprintf(stderr, "testlib: %s serve printed no listening line\n", bin);
        goto fail;
    }
    out->port = port;
    snprintf(out->base_url, sizeof out->base_url, "http://127.0.0.1:%u", port);
    while (now_ms() < deadline) {
        struct egov_test_response r;
        if (egov_test_http(out, "GET", "/healthz", NULL, NULL, 0, &r)) {
            long st = r.status;
            egov_test_response_free(&r);
            if (st == 200)
                return true;
        }
        nap_ms(50);
    }
    fprintf(stderr, "testlib: GET /healthz never answered 200\n");
fail:
    kill(out->pid, SIGKILL);
    waitpid(out->pid, NULL, 0);
    close(out->out_fd);
    out->out_fd = -1;
    out->pid = 0;
    return false;
}

bool egov_test_server_stop(struct egov_test_server *srv)
{
    int status = 0;
    bool ok = false;
    if (srv->pid <= 0)
        return false;
    kill(srv->pid, SIGTERM);
    int64_t deadline = now_ms() + 15000;
    for (;;) {
        pid_t r = waitpid(srv->pid, &status, WNOHANG);
        if (r == srv->pid) {
            ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
            if (!ok)
                fprintf(stderr, "testlib: server exited with status 0x%x\n", status);
            break;
        }
        if (r < 0 || now_ms() > deadline) {
            fprintf(stderr, "testlib: server did not stop; killing it\n");
            kill(srv->pid, SIGKILL);
            waitpid(srv->pid, NULL, 0);
            break;
        }
        nap_ms(20);
    }
    if (srv->out_fd >= 0)
        close(srv->out_fd);
    srv->out_fd = -1;
    srv->pid = 0;
    return ok;
}

void egov_test_sleep_into_next_second(unsigned int after_ms)
{
    int64_t us = egov_now_us();
    int64_t wait_us = 1000000 - us % 1000000 + (int64_t)after_ms * 1000;
    struct timespec ts = {(time_t)(wait_us / 1000000), (long)(wait_us % 1000000) * 1000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}
