/*
 * server.c -- the libmicrohttpd daemon: listening, limits, the dispatcher
 * that builds each request context, the slow-client reaper, the request
 * log and graceful shutdown.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/http_internal.h"

/* Defaults for limits left at 0. */
#define DEFAULT_MAX_URL 8192
#define DEFAULT_MAX_HEADER 16384
#define DEFAULT_MAX_BODY (1024 * 1024)
#define DEFAULT_TIMEOUT_S 30
#define DEFAULT_MAX_CONNECTIONS 1024
#define DEFAULT_MAX_SEGMENTS 32
/* Room in each connection's memory pool beyond URL and headers (response headers, body reads). */
#define POOL_SLACK (16 * 1024)
/* A request body may take this much longer than the timeout per 64 KiB received. */
#define BODY_BYTES_PER_EXTRA_SECOND (64 * 1024)
/* How much longer than the timeout the reaper leaves an idle kept-alive connection. */
#define IDLE_GRACE_US (1000 * 1000)
/* After the body limit is passed, this much more is read and dropped before the connection is cut. */
#define DISCARD_MAX (256 * 1024)

/** A connection as the reaper sees it. */
struct egov_http_conn {
    struct egov_http_conn *next;
    struct egov_http_conn *prev;
    int fd;
    atomic_int state;            /* CONN_* */
    _Atomic int64_t since_us;    /* start of the current receiving phase */
    atomic_size_t body_bytes;    /* body bytes of the current request */
    bool cut;
};

enum { CONN_RECEIVING = 0, CONN_HANDLING = 1, CONN_IDLE = 2 };

/* ------------------------------------------------------------------ */
/* Create / options                                                    */
/* ------------------------------------------------------------------ */

static bool copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= cap)
        return false;
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
    return true;
}

struct egov_server *egov_server_create(const struct egov_server_options *opt, char *err,
                                       size_t errlen)
{
    struct egov_server *s = NULL;

    if (opt == NULL || opt->listen == NULL) {
        snprintf(err, errlen, "no listen address given");
        goto fail;
    }
    s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (pthread_mutex_init(&s->conns_lock, NULL) != 0 ||
        pthread_cond_init(&s->reaper_cond, NULL) != 0) {
        snprintf(err, errlen, "cannot create a mutex");
        free(s);
        s = NULL;
        goto fail;
    }
    s->opt = *opt;
    if (!copy_str(s->listen, sizeof s->listen, opt->listen) ||
        !copy_str(s->datadir, sizeof s->datadir, opt->datadir)) {
        snprintf(err, errlen, "listen address or data directory too long");
        goto fail;
    }
    s->opt.listen = s->listen;
    s->opt.datadir = s->datadir;
    struct egov_http_limits *l = &s->opt.limits;
    if (l->max_url == 0)
        l->max_url = DEFAULT_MAX_URL;
    if (l->max_header == 0)
        l->max_header = DEFAULT_MAX_HEADER;
    if (l->max_body == 0)
        l->max_body = DEFAULT_MAX_BODY;
    if (l->conn_timeout_s == 0)
        l->conn_timeout_s = DEFAULT_TIMEOUT_S;
    if (l->max_connections == 0)
        l->max_connections = DEFAULT_MAX_CONNECTIONS;
    if (l->max_segments == 0)
        l->max_segments = DEFAULT_MAX_SEGMENTS;
    atomic_init(&s->stopping, false);
    atomic_init(&s->in_flight, 0);
    atomic_init(&s->suspended, 0);
    s->metrics = egov_http_metrics_create();
    s->static_cache = egov_static_cache_create();
    if (s->metrics == NULL || s->static_cache == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    return s;
fail:
    egov_server_destroy(s);
    return NULL;
}

bool egov_server_add_routes(struct egov_server *s, const struct egov_route_table *t)
{
    if (s == NULL || t == NULL || t->routes == NULL || s->started ||
        s->ntables >= EGOV_HTTP_MAX_TABLES)
        return false;
    s->tables[s->ntables++] = t;
    return true;
}

unsigned int egov_server_port(const struct egov_server *s)
{
    return s ? s->port : 0;
}

struct egov_db *egov_server_db(const struct egov_server *s)
{
    return s ? s->opt.db : NULL;
}

/*
 * Parses "HOST:PORT" or "[V6]:PORT" into a socket address.  HOST may be a
 * name, "*" or empty (all IPv4 interfaces).
 */
static bool parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *sslen,
                         bool *v6, char *err, size_t errlen)
{
    char host[128];
    const char *colon;
    const char *hs;
    size_t hl;
    bool ok = false;
    struct addrinfo hints, *res = NULL;

    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (close == NULL || close[1] != ':') {
            snprintf(err, errlen, "listen address %s: missing ']:' after an IPv6 address", listen);
            goto done;
        }
        hs = listen + 1;
        hl = (size_t)(close - hs);
        colon = close + 1;
    } else {
        colon = strrchr(listen, ':');
        if (colon == NULL) {
            snprintf(err, errlen, "listen address %s: expected HOST:PORT", listen);
            goto done;
        }
        hs = listen;
        hl = (size_t)(colon - listen);
    }
    if (hl >= sizeof host) {
        snprintf(err, errlen, "listen address %s: host too long", listen);
        goto done;
    }
    memcpy(host, hs, hl);
    host[hl] = '\0';
    char *end = NULL;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (colon[1] == '\0' || end == NULL || *end != '\0' || errno != 0 || port > 65535) {
        snprintf(err, errlen, "listen address %s: port must be a number in 0..65535", listen);
        goto done;
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    const char *node = (host[0] == '\0' || strcmp(host, "*") == 0) ? NULL : host;
    if (node == NULL)
        hints.ai_family = AF_INET;
    int rc = getaddrinfo(node, colon + 1, &hints, &res);
    if (rc != 0 || res == NULL) {
        snprintf(err, errlen, "listen address %s: %s", listen, gai_strerror(rc));
        goto done;
    }
    if (res->ai_addrlen > sizeof *ss) {
        snprintf(err, errlen, "listen address %s: address too long", listen);
        goto done;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *sslen = res->ai_addrlen;
    *v6 = res->ai_family == AF_INET6;
    ok = true;
done:
    if (res != NULL)
        freeaddrinfo(res);
    return ok;
}

/* ------------------------------------------------------------------ */
/* libmicrohttpd callbacks                                             */
/* ------------------------------------------------------------------ */

__attribute__((format(printf, 2, 0))) static void mhd_logger(void *cls, const char *fmt,
                                                            va_list ap)
{
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    size_t n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    egov_warn("libmicrohttpd: %s", buf);
}

static void notify_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe)
{
    struct egov_server *s = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        struct egov_http_conn *c = calloc(1, sizeof *c);
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (c == NULL || ci == NULL) {
            free(c);
            *socket_context = NULL;
            return;
        }
        c->fd = ci->connect_fd;
        atomic_init(&c->state, CONN_RECEIVING);
        atomic_init(&c->since_us, egov_mono_us());
        atomic_init(&c->body_bytes, 0);
        pthread_mutex_lock(&s->conns_lock);
        c->next = s->conns;
        if (s->conns)
            s->conns->prev = c;
        s->conns = c;
        pthread_mutex_unlock(&s->conns_lock);
        *socket_context = c;
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        struct egov_http_conn *c = *socket_context;
        if (c == NULL)
            return;
        pthread_mutex_lock(&s->conns_lock);
        if (c->prev)
            c->prev->next = c->next;
        else
            s->conns = c->next;
        if (c->next)
            c->next->prev = c->prev;
        pthread_mutex_unlock(&s->conns_lock);
        free(c);
        *socket_context = NULL;
    }
}

/*
 * The reaper cuts connections whose request has been arriving for longer
 * than the timeout (slow clients trickling bytes never look idle to
 * libmicrohttpd).  shutdown() makes the daemon see the end of the stream;
 * the fd stays valid because libmicrohttpd closes it only after telling
 * notify_connection, which waits for conns_lock.
 */
static void *reaper_main(void *arg)
{
    struct egov_server *s = arg;
    int64_t limit_us = (int64_t)s->opt.limits.conn_timeout_s * 1000000;

    pthread_mutex_lock(&s->conns_lock);
    while (!s->reaper_quit) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->reaper_cond, &s->conns_lock, &ts);
        if (s->reaper_quit)
            break;
        int64_t now = egov_mono_us();
        for (struct egov_http_conn *c = s->conns; c != NULL; c = c->next) {
            int state = atomic_load(&c->state);
            if (c->cut || state == CONN_HANDLING)
                continue;
            int64_t allowed =
                limit_us + (int64_t)(atomic_load(&c->body_bytes) / BODY_BYTES_PER_EXTRA_SECOND) *
                               1000000;
            /*
             * A kept-alive connection is "idle" until the next request line
             * is complete, so a request line trickling in a byte at a time
             * would never be cut.  Idle connections get the same limit,
             * counted from the end of the previous request, plus a second
             * so that libmicrohttpd's own idle timeout normally comes first.
             */
            if (state == CONN_IDLE)
                allowed += IDLE_GRACE_US;
            if (now - atomic_load(&c->since_us) > allowed) {
                c->cut = true;
                shutdown(c->fd, SHUT_RDWR);
                if (state == CONN_RECEIVING)
                    EGOV_CLIENT_FAULT("cut off a connection that sent its request too slowly");
                else
                    egov_debug("cut off a kept-alive connection past its timeout");
            }
        }
    }
    pthread_mutex_unlock(&s->conns_lock);
    return NULL;
}

static void *uri_logger(void *cls, const char *uri, struct MHD_Connection *connection)
{
    struct egov_server *s = cls;
    struct egov_http_ctx *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL)
        return NULL;
    ctx->req.arena = egov_arena_create(8192);
    if (ctx->req.arena == NULL) {
        free(ctx);
        return NULL;
    }
    ctx->req.server = s;
    ctx->req.start_us = egov_mono_us();
    ctx->req.mhd_connection = connection;
    ctx->uri_len = uri ? strlen(uri) : 0;
    /* libmicrohttpd decodes the path; a %00 in it would silently cut it short */
    if (uri != NULL) {
        size_t pl = strcspn(uri, "?");
        for (const char *pct = memchr(uri, '%', pl); pct != NULL && pct + 2 < uri + pl;
             pct = memchr(pct + 1, '%', pl - (size_t)(pct + 1 - uri))) {
            if (pct[1] == '0' && pct[2] == '0') {
                ctx->path_nul = true;
                break;
            }
        }
    }
    /* the query as it came, for signatures over it (RFC 9421 @query) */
    const char *qm = uri != NULL ? strchr(uri, '?') : NULL;
    ctx->req.raw_query = egov_arena_strdup(ctx->req.arena, qm != NULL ? qm + 1 : "");
    ctx->route_label = "unmatched";
    egov_buf_init(&ctx->body);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (ci != NULL && ci->socket_context != NULL) {
        ctx->conn = ci->socket_context;
        atomic_store(&ctx->conn->body_bytes, 0);
        if (atomic_load(&ctx->conn->state) == CONN_IDLE) {
            atomic_store(&ctx->conn->since_us, egov_mono_us());
            atomic_store(&ctx->conn->state, CONN_RECEIVING);
        }
    }
    atomic_fetch_add(&s->in_flight, 1);
    return ctx;
}

static void request_log(struct egov_http_ctx *ctx, int64_t dur_us)
{
    struct egov_req *req = &ctx->req;
    const char *path = req->path ? req->path : "-";
    if (!egov_utf8_valid(path, strlen(path), NULL))
        path = "-"; /* the message line still shows it, escaped */
    json_t *extra = json_pack("{s:s, s:s, s:I, s:I, s:I}", "method",
                              req->method ? req->method : "-", "path", path, "status", (json_int_t)req->status,
                              "bytes", (json_int_t)ctx->reply_size, "duration_us",
                              (json_int_t)dur_us);
    if (extra != NULL && req->request_id != NULL)
        json_object_set_new(extra, "request_id", json_string(req->request_id));
    egov_log_set_request_id(req->request_id);
    egov_log_json(EGOV_LOG_INFO, EGOV_LOG_SRC, extra, "%s %s %u", req->method ? req->method : "-",
                  req->path ? req->path : "-", req->status);
    egov_log_set_request_id(NULL);
    json_decref(extra);
}

static void request_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
    struct egov_server *s = cls;
    struct egov_http_ctx *ctx = *con_cls;
    if (ctx == NULL)
        return;
    int64_t dur = egov_mono_us() - ctx->req.start_us;
    if (ctx->phase == 3) /* ended while suspended (the client went away) */
        atomic_fetch_sub(&s->suspended, 1);
    if (ctx->queued) {
        egov_http_metrics_record(s->metrics, ctx->route_label,
                                 ctx->req.method ? ctx->req.method : "OTHER", ctx->req.status,
                                 dur);
        if (s->opt.log_requests)
            request_log(ctx, dur);
    }
    if (ctx->conn != NULL) {
        atomic_store(&ctx->conn->body_bytes, 0);
        atomic_store(&ctx->conn->since_us, egov_mono_us());
        atomic_store(&ctx->conn->state, CONN_IDLE);
    }
    if (ctx->req.response != NULL && !ctx->queued)
        MHD_destroy_response(ctx->req.response);
    egov_buf_free(&ctx->body);
    egov_arena_destroy(ctx->req.arena);
    free(ctx);
    *con_cls = NULL;
    atomic_fetch_sub(&s->in_flight, 1);
}

/* ------------------------------------------------------------------ */
/* Dispatcher                                                          */
/* ------------------------------------------------------------------ */

static enum MHD_Result queue(struct egov_http_ctx *ctx)
{
    struct egov_req *req = &ctx->req;
    enum MHD_Result ret = MHD_NO;
    if (!req->replied || req->response == NULL) {
        if (!req->replied)
            EGOV_BUG("handler for %s %s sent no reply", req->method, req->path);
        req->replied = false;
        req->response = NULL;
        egov_http_reply_buffer(req, 500, "text/plain; charset=utf-8", NULL, 0, 0);
        if (req->response == NULL)
            goto done;
    }
    ret = MHD_queue_response(req->mhd_connection, req->status, req->response);
    MHD_destroy_response(req->response);
    req->response = NULL;
    ctx->queued = (ret == MHD_YES);
    ctx->phase = 2;
done:
    return ret;
}

static enum MHD_Result sum_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    size_t *total = cls;
    *total += strlen(key) + (value ? strlen(value) : 0) + 4;
    return MHD_YES;
}

/*
 * A ?lang= choice is remembered in a `lang` cookie for a year, so that the
 * language switch works without JavaScript and sticks across pages.
 */
static void remember_language(struct egov_req *req)
{
    const char *q = egov_req_query(req, "lang");
    if (q == NULL || req->lang == NULL || strcasecmp(q, req->lang) != 0)
        return;
    const char *cur = egov_req_cookie(req, "lang");
    if (cur == NULL || strcmp(cur, req->lang) != 0)
        egov_reply_cookie(req, "lang", req->lang, 365L * 24 * 3600);
}

/* Sets method, path, request id, language and representation. */
static bool init_request(struct egov_http_ctx *ctx, struct MHD_Connection *connection,
                         const char *url, const char *method)
{
    struct egov_req *req = &ctx->req;
    req->method = egov_arena_strdup(req->arena, method);
    req->method_bit = egov_http_method_bit(method);
    req->path = egov_arena_strdup(req->arena, url);
    const char *rid = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "X-Request-Id");
    if (egov_http_request_id_valid(rid)) {
        req->request_id = egov_arena_strdup(req->arena, rid);
    } else {
        char *id = egov_arena_alloc(req->arena, 37);
        if (id != NULL)
            egov_uuid7(id);
        req->request_id = id;
    }
    req->lang = egov_i18n_negotiate(egov_req_query(req, "lang"), egov_req_cookie(req, "lang"),
                                    egov_req_header(req, "Accept-Language"));
    req->repr = egov_http_negotiate_repr(egov_req_header(req, "Accept"));
    return req->method != NULL && req->path != NULL && req->request_id != NULL;
}

static bool copy_params(struct egov_req *req, const struct egov_router_match *m)
{
    req->nparams = 0;
    for (unsigned int i = 0; i < m->nparams && i < EGOV_HTTP_MAX_PARAMS; i++) {
        req->param_names[i] =
            egov_arena_strndup(req->arena, m->param_names[i], m->param_name_lens[i]);
        req->param_values[i] =
            egov_arena_strndup(req->arena, m->param_values[i], m->param_value_lens[i]);
        if (req->param_names[i] == NULL || req->param_values[i] == NULL)
            return false;
        req->nparams = i + 1;
    }
    return true;
}

static bool ct_is(const char *ct, const char *media)
{
    size_t n = strlen(media);
    return ct != NULL && strncasecmp(ct, media, n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static bool method_has_body(unsigned int bit)
{
    return (bit & (EGOV_M_POST | EGOV_M_PUT | EGOV_M_PATCH)) != 0;
}

/*
 * First call for a request: limits, routing, Content-Length and
 * Content-Type.  Returns true if a response was queued already.
 */
static bool first_call(struct egov_http_ctx *ctx, struct MHD_Connection *connection,
                       const char *url, const char *method, enum MHD_Result *ret)
{
    struct egov_server *s = ctx->req.server;
    struct egov_req *req = &ctx->req;
    const struct egov_http_limits *lim = &s->opt.limits;
    struct egov_router_match m;
    size_t hdr_total = 0;
    char allow[128];

    if (!init_request(ctx, connection, url, method)) {
        egov_http_reply_buffer(req, 503, "text/plain; charset=utf-8", NULL, 0, 0);
        goto answer;
    }
    egov_log_set_request_id(req->request_id);
    if (atomic_load(&s->stopping)) {
        egov_reply_header(req, MHD_HTTP_HEADER_CONNECTION, "close");
        egov_reply_problem(req, EGOV_EC_GENERIC_SHUTTING_DOWN, NULL, NULL);
        goto answer;
    }
    if (ctx->uri_len > lim->max_url) {
        EGOV_CLIENT_FAULT("request target of %zu bytes refused", ctx->uri_len);
        egov_reply_problem(req, EGOV_EC_GENERIC_URI_TOO_LONG, NULL, NULL);
        goto answer;
    }
    if (ctx->path_nul || !egov_utf8_valid(req->path, strlen(req->path), NULL)) {
        /* a decoded %ff: no route can match it, and no JSON may carry it; %00 likewise */
        EGOV_CLIENT_FAULT("request path is not valid UTF-8 or holds a NUL");
        egov_reply_problem(req, EGOV_EC_GENERIC_UTF8_INVALID, NULL, NULL);
        goto answer;
    }
    MHD_get_connection_values(connection, MHD_HEADER_KIND, sum_header, &hdr_total);
    if (hdr_total > lim->max_header) {
        EGOV_CLIENT_FAULT("request headers of %zu bytes refused", hdr_total);
        egov_reply_problem(req, EGOV_EC_GENERIC_HEADER_TOO_LARGE, NULL, NULL);
        goto answer;
    }
    switch (egov_router_match((const struct egov_route_table *const *)s->tables, s->ntables,
                              req->path, req->method_bit, lim->max_segments, &m)) {
    case EGOV_ROUTER_FOUND:
        break;
    case EGOV_ROUTER_NOT_ALLOWED:
        egov_http_allow_header(m.allowed, allow, sizeof allow);
        egov_reply_header(req, MHD_HTTP_HEADER_ALLOW, allow);
        egov_reply_problem(req, EGOV_EC_GENERIC_METHOD_NOT_ALLOWED, NULL, NULL);
        goto answer;
    case EGOV_ROUTER_OPTIONS:
        egov_http_allow_header(m.allowed, allow, sizeof allow);
        egov_reply_header(req, MHD_HTTP_HEADER_ALLOW, allow);
        egov_http_reply_buffer(req, 204, NULL, NULL, 0, 0);
        goto answer;
    case EGOV_ROUTER_TOO_DEEP:
        egov_reply_problem(req, EGOV_EC_GENERIC_URI_TOO_LONG, NULL, "Too many path segments.");
        goto answer;
    case EGOV_ROUTER_BAD_PATH:
        egov_reply_problem(req, EGOV_EC_GENERIC_BAD_REQUEST, NULL, NULL);
        goto answer;
    case EGOV_ROUTER_NOT_FOUND:
    default:
        egov_reply_problem(req, EGOV_EC_GENERIC_NOT_FOUND, NULL, NULL);
        goto answer;
    }
    req->route = m.route;
    ctx->route_label = m.route->name ? m.route->name : m.route->pattern;
    if (!copy_params(req, &m)) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        goto answer;
    }
    ctx->body_limit = m.route->max_body ? m.route->max_body : lim->max_body;
    const char *cl = egov_req_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl != NULL) {
        char *end = NULL;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (end == cl || *end != '\0' || errno != 0 || n > ctx->body_limit) {
            EGOV_CLIENT_FAULT("body of %s bytes refused (limit %zu)", cl, ctx->body_limit);
            if ((m.route->flags & EGOV_ROUTE_SEES_REFUSALS) && end != cl && *end == '\0') {
                req->body_too_large = true;
                req->body = "";
                req->body_len = 0;
                m.route->handler(req);
                if (ctx->start_fn != NULL) {
                    /* the body is still on the wire: no waiting here */
                    EGOV_BUG("%s suspended a refusal before the body was read", req->path);
                    ctx->start_fn = NULL;
                    ctx->cont_fn = NULL;
                }
            } else {
                egov_reply_problem(req, EGOV_EC_GENERIC_BODY_TOO_LARGE, NULL, NULL);
            }
            goto answer;
        }
    }
    const char *ct = egov_req_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
    bool has_body = (cl != NULL && strcmp(cl, "0") != 0) ||
                    egov_req_header(req, MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL;
    unsigned int fl = m.route->flags;
    if ((fl & (EGOV_ROUTE_JSON_BODY | EGOV_ROUTE_FORM_BODY)) && method_has_body(req->method_bit) &&
        has_body) {
        bool ok = ((fl & EGOV_ROUTE_JSON_BODY) && egov_http_content_type_is_json(ct)) ||
                  ((fl & EGOV_ROUTE_FORM_BODY) &&
                   (ct_is(ct, "application/x-www-form-urlencoded") ||
                    ct_is(ct, "multipart/form-data")));
        if (!ok) {
            egov_reply_problem(req, EGOV_EC_GENERIC_UNSUPPORTED_MEDIA_TYPE, "Content-Type", NULL);
            goto answer;
        }
    }
    egov_log_set_request_id(NULL);
    return false;
answer:
    *ret = queue(ctx);
    egov_log_set_request_id(NULL);
    return true;
}

/*
 * Collects one form field (or a piece of one) into the form object.
 * Values are stored unchecked here, since a long value arrives in pieces
 * that may split a UTF-8 sequence; parse_form() checks every name and value
 * once the whole body is in.  File parts keep the checked constructor: a
 * binary file is left out rather than refusing the whole form.
 */
static enum MHD_Result form_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *filename, const char *content_type,
                                  const char *transfer_encoding, const char *data, uint64_t off,
                                  size_t size)
{
    json_t *form = cls;
    json_t *(*make)(const char *, size_t) = filename ? json_stringn : json_stringn_nocheck;
    json_t *old = json_object_get(form, key);
    json_t *val;
    if (old != NULL && json_is_string(old) && off > 0) {
        /* a value delivered in pieces */
        size_t ol = json_string_length(old);
        char *joined = malloc(ol + size + 1);
        if (joined == NULL)
            return MHD_NO;
        memcpy(joined, json_string_value(old), ol);
        if (size > 0)
            memcpy(joined + ol, data, size);
        joined[ol + size] = '\0';
        val = make(joined, ol + size);
        free(joined);
    } else {
        val = make(data ? data : "", size);
    }
    if (val != NULL)
        json_object_set_new_nocheck(form, key, val);
    return MHD_YES;
}

/* True if every name and string value of @p form is UTF-8; else @p bad_key names the first bad one. */
static bool form_utf8_valid(json_t *form, const char **bad_key)
{
    const char *key;
    json_t *val;
    json_object_foreach(form, key, val)
    {
        const char *v = json_string_value(val);
        if (!egov_utf8_valid(key, strlen(key), NULL)) {
            *bad_key = NULL;
            return false;
        }
        if (v != NULL && !egov_utf8_valid(v, json_string_length(val), NULL)) {
            *bad_key = key;
            return false;
        }
    }
    return true;
}

static void decref_cleanup(void *p)
{
    json_decref(p);
}

/* Parses a form body into req->form; false after queueing a 400/503. */
static bool parse_form(struct egov_http_ctx *ctx)
{
    struct egov_req *req = &ctx->req;
    struct MHD_PostProcessor *pp = NULL;
    json_t *form = json_object();
    bool ok = false;

    if (form == NULL || !egov_arena_add_cleanup(req->arena, decref_cleanup, form)) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        goto done;
    }
    pp = MHD_create_post_processor(req->mhd_connection, 16 * 1024, form_field, form);
    if (pp == NULL || MHD_post_process(pp, req->body, req->body_len) != MHD_YES) {
        egov_reply_problem(req, EGOV_EC_GENERIC_BAD_REQUEST, NULL, "The form is malformed.");
        goto done;
    }
    const char *bad_key = NULL;
    if (!egov_utf8_valid(req->body, req->body_len, NULL) || !form_utf8_valid(form, &bad_key)) {
        egov_reply_problem(req, EGOV_EC_GENERIC_UTF8_INVALID, bad_key, NULL);
        goto done;
    }
    req->form = form;
    ok = true;
done:
    if (pp != NULL)
        MHD_destroy_post_processor(pp);
    return ok;
}

/* Suspends the connection, then lets the request's work start elsewhere. */
static void suspend_now(struct egov_http_ctx *ctx)
{
    struct egov_req *req = &ctx->req;
    egov_req_start_fn start = ctx->start_fn;
    ctx->start_fn = NULL;
    ctx->phase = 3;
    atomic_fetch_add(&req->server->suspended, 1);
    MHD_suspend_connection(req->mhd_connection);
    start(req, ctx->cont_cls);
}

static enum MHD_Result final_call(struct egov_http_ctx *ctx)
{
    struct egov_req *req = &ctx->req;
    if (ctx->conn != NULL)
        atomic_store(&ctx->conn->state, CONN_HANDLING);
    egov_log_set_request_id(req->request_id);
    if (ctx->body_too_large) {
        if (req->route->flags & EGOV_ROUTE_SEES_REFUSALS) {
            req->body_too_large = true;
            req->body = "";
            req->body_len = 0;
            req->route->handler(req);
            if (ctx->start_fn != NULL) {
                suspend_now(ctx);
                egov_log_set_request_id(NULL);
                return MHD_YES;
            }
        } else {
            egov_reply_problem(req, EGOV_EC_GENERIC_BODY_TOO_LARGE, NULL, NULL);
        }
        goto answer;
    }
    if (ctx->body.oom && ctx->body.len < ctx->body_limit) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        goto answer;
    }
    req->body_len = ctx->body.len;
    req->body = egov_arena_strndup(req->arena, ctx->body.data ? ctx->body.data : "",
                                   ctx->body.len);
    egov_buf_free(&ctx->body);
    if (req->body == NULL) {
        egov_reply_problem(req, EGOV_EC_GENERIC_OOM, NULL, NULL);
        goto answer;
    }
    if ((req->route->flags & EGOV_ROUTE_FORM_BODY) && req->body_len > 0 &&
        !egov_http_content_type_is_json(egov_req_header(req, MHD_HTTP_HEADER_CONTENT_TYPE))) {
        if (!parse_form(ctx))
            goto answer;
    }
    remember_language(req);
    if (req->server->opt.admit != NULL && !req->server->opt.admit(req, req->server->opt.admit_cls)) {
        if (!req->replied)
            egov_reply_problem(req, EGOV_EC_GENERIC_FORBIDDEN, NULL, NULL);
        goto answer;
    }
    req->route->handler(req);
    if (ctx->start_fn != NULL) {
        suspend_now(ctx);
        egov_log_set_request_id(NULL);
        return MHD_YES;
    }
answer:;
    enum MHD_Result ret = queue(ctx);
    egov_log_set_request_id(NULL);
    return ret;
}

void egov_req_suspend(struct egov_req *req, egov_req_start_fn start, egov_req_cont_fn cont,
                      void *cls)
{
    struct egov_http_ctx *ctx = (struct egov_http_ctx *)req;
    ctx->start_fn = start;
    ctx->cont_fn = cont;
    ctx->cont_cls = cls;
}

void egov_req_resume(struct egov_req *req)
{
    MHD_resume_connection(req->mhd_connection);
}

/* A resumed request: its continuation replies, then the answer is queued. */
static enum MHD_Result resumed_call(struct egov_http_ctx *ctx)
{
    struct egov_req *req = &ctx->req;
    atomic_fetch_sub(&req->server->suspended, 1);
    ctx->phase = 1;
    egov_log_set_request_id(req->request_id);
    egov_req_cont_fn cont = ctx->cont_fn;
    ctx->cont_fn = NULL;
    if (cont != NULL)
        cont(req, ctx->cont_cls);
    if (ctx->start_fn != NULL) {
        /* the continuation waits for something else in turn */
        suspend_now(ctx);
        egov_log_set_request_id(NULL);
        return MHD_YES;
    }
    enum MHD_Result ret = queue(ctx);
    egov_log_set_request_id(NULL);
    return ret;
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *connection,
                                      const char *url, const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls)
{
    struct egov_http_ctx *ctx = *con_cls;
    enum MHD_Result ret = MHD_YES;

    if (ctx == NULL)
        return MHD_NO; /* out of memory in uri_logger: drop the connection */
    if (ctx->phase == 0) {
        ctx->phase = 1;
        if (first_call(ctx, connection, url, method, &ret))
            return ret;
        return MHD_YES;
    }
    if (ctx->phase == 3)
        return resumed_call(ctx);
    if (ctx->phase == 2) {
        /* answered early; drop whatever body still arrives */
        if (*upload_data_size > 0) {
            ctx->body_seen += *upload_data_size;
            *upload_data_size = 0;
            if (ctx->body_seen > DISCARD_MAX)
                return MHD_NO;
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        ctx->body_seen += n;
        *upload_data_size = 0;
        if (ctx->conn != NULL)
            atomic_store(&ctx->conn->body_bytes, ctx->body_seen);
        if (ctx->body_too_large) {
            /* read and drop a bounded amount so the 413 can be delivered */
            if (ctx->body_seen - ctx->body_limit > DISCARD_MAX)
                return MHD_NO;
            return MHD_YES;
        }
        if (ctx->body_seen > ctx->body_limit) {
            EGOV_CLIENT_FAULT("streamed body passed the limit of %zu bytes", ctx->body_limit);
            ctx->body_too_large = true;
            egov_buf_free(&ctx->body);
            return MHD_YES;
        }
        egov_buf_append(&ctx->body, upload_data, n);
        return MHD_YES;
    }
    return final_call(ctx);
}

/* ------------------------------------------------------------------ */
/* Start / stop                                                        */
/* ------------------------------------------------------------------ */

bool egov_server_start(struct egov_server *s, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t sslen = 0;
    bool v6 = false;
    bool ok = false;

    if (s == NULL || s->started) {
        snprintf(err, errlen, "server already started");
        goto done;
    }
    if (!parse_listen(s->listen, &ss, &sslen, &v6, err, errlen))
        goto done;
    unsigned int threads = s->opt.threads;
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = (n > 0 && n < 256) ? (unsigned int)n : 2;
    }
    const struct egov_http_limits *l = &s->opt.limits;
    size_t pool = l->max_url + l->max_header + POOL_SLACK;
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                         MHD_ALLOW_SUSPEND_RESUME;
    if (v6)
        flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, access_handler, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_TIMEOUT, l->conn_timeout_s,
        MHD_OPTION_CONNECTION_LIMIT, l->max_connections, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        pool, MHD_OPTION_URI_LOG_CALLBACK, uri_logger, s, MHD_OPTION_NOTIFY_COMPLETED,
        request_completed, s, MHD_OPTION_NOTIFY_CONNECTION, notify_connection, s,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s, MHD_OPTION_LISTENING_ADDRESS_REUSE,
        (unsigned int)1, MHD_OPTION_END);
    if (s->daemon == NULL) {
        snprintf(err, errlen, "cannot listen on %s: %s", s->listen,
                 errno ? strerror(errno) : "libmicrohttpd refused to start");
        goto done;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : 0;
    s->reaper_quit = false;
    if (pthread_create(&s->reaper, NULL, reaper_main, s) != 0) {
        snprintf(err, errlen, "cannot start a thread");
        MHD_stop_daemon(s->daemon);
        s->daemon = NULL;
        goto done;
    }
    s->reaper_running = true;
    s->started = true;
    ok = true;
done:
    return ok;
}

void egov_server_stop(struct egov_server *s, unsigned int grace_ms)
{
    if (s == NULL || !s->started || s->stopped)
        return;
    atomic_store(&s->stopping, true);
    MHD_socket lfd = MHD_quiesce_daemon(s->daemon);
    if (lfd != MHD_INVALID_SOCKET)
        close(lfd);
    int64_t deadline = egov_mono_us() + (int64_t)grace_ms * 1000;
    while (atomic_load(&s->in_flight) > 0 && egov_mono_us() < deadline) {
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (atomic_load(&s->in_flight) > 0)
        egov_warn("stopping with %u requests still in flight", atomic_load(&s->in_flight));
    /*
     * A suspended request is owned by the thread doing its work, which
     * resumes it within its own deadline; the daemon must not go away
     * under it.
     */
    while (atomic_load(&s->suspended) > 0) {
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(s->daemon);
    s->daemon = NULL;
    if (s->reaper_running) {
        pthread_mutex_lock(&s->conns_lock);
        s->reaper_quit = true;
        pthread_cond_signal(&s->reaper_cond);
        pthread_mutex_unlock(&s->conns_lock);
        pthread_join(s->reaper, NULL);
        s->reaper_running = false;
    }
    s->stopped = true;
}

void egov_server_destroy(struct egov_server *s)
{
    if (s == NULL)
        return;
    egov_server_stop(s, 0);
    egov_http_metrics_destroy(s->metrics);
    egov_static_cache_destroy(s->static_cache);
    pthread_cond_destroy(&s->reaper_cond);
    pthread_mutex_destroy(&s->conns_lock);
    free(s);
}
