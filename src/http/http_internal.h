/*
 * http_internal.h -- what the files of the http layer share with each
 * other (and with the http tests).  Not part of the public API.
 */
#ifndef EGOV_HTTP_INTERNAL_H
#define EGOV_HTTP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <microhttpd.h>

#include "http/http.h"

/** Most route tables one server holds. */
#define EGOV_HTTP_MAX_TABLES 64
/** Most path parameters one route may have (size of egov_req.param_*). */
#define EGOV_HTTP_MAX_PARAMS 8

/* ------------------------------------------------------------------ */
/* Router                                                              */
/* ------------------------------------------------------------------ */

/** Outcome of egov_router_match(). */
enum egov_router_result {
    EGOV_ROUTER_FOUND = 0,       /**< a route matches path and method */
    EGOV_ROUTER_NOT_FOUND,       /**< no pattern matches the path (404) */
    EGOV_ROUTER_NOT_ALLOWED,     /**< the path matches, the method does not (405) */
    EGOV_ROUTER_OPTIONS,         /**< OPTIONS on a known path, answered generically */
    EGOV_ROUTER_TOO_DEEP,        /**< more path segments than allowed (414) */
    EGOV_ROUTER_BAD_PATH,        /**< not an absolute path (400) */
};

/** A match: the route, the methods the path allows, the parameters. */
struct egov_router_match {
    const struct egov_route *route;  /**< borrowed from the table; NULL unless FOUND */
    unsigned int allowed;            /**< methods of every route matching the path */
    unsigned int nparams;
    const char *param_names[EGOV_HTTP_MAX_PARAMS]; /**< point into the pattern, not terminated */
    size_t param_name_lens[EGOV_HTTP_MAX_PARAMS];
    const char *param_values[EGOV_HTTP_MAX_PARAMS]; /**< point into the path, not terminated */
    size_t param_value_lens[EGOV_HTTP_MAX_PARAMS];
};

/**
 * Matches @p path and @p method_bit against @p tables (first match wins,
 * routes without EGOV_ROUTE_PREFIX before prefix routes).  GET routes also
 * answer HEAD.  @p max_segments 0 means no limit.
 */
enum egov_router_result egov_router_match(const struct egov_route_table *const *tables,
                                          size_t ntables, const char *path,
                                          unsigned int method_bit, unsigned int max_segments,
                                          struct egov_router_match *m);
/** The bit of method name @p method ("GET"), 0 if unknown. */
unsigned int egov_http_method_bit(const char *method);
/** Writes "GET, HEAD, POST" for @p methods into @p out (OPTIONS always added). */
void egov_http_allow_header(unsigned int methods, char *out, size_t outlen);

/* ------------------------------------------------------------------ */
/* Server                                                              */
/* ------------------------------------------------------------------ */

struct egov_http_metrics;
struct egov_static_cache;
struct egov_http_conn;

/** The server.  Options are copied; route tables are borrowed. */
struct egov_server {
    struct egov_server_options opt;
    char listen[128];
    char datadir[512];
    const struct egov_route_table *tables[EGOV_HTTP_MAX_TABLES];
    size_t ntables;
    struct MHD_Daemon *daemon;
    unsigned int port;
    bool started;
    bool stopped;
    atomic_bool stopping;
    atomic_uint in_flight;
    atomic_uint suspended;          /**< requests suspended by egov_req_suspend() */
    /* slow-client reaper */
    pthread_t reaper;
    bool reaper_running;
    pthread_mutex_t conns_lock;
    pthread_cond_t reaper_cond;
    bool reaper_quit;
    struct egov_http_conn *conns;
    struct egov_http_metrics *metrics;
    struct egov_static_cache *static_cache;
};

/** A header queued before the response exists. */
struct egov_http_hdr {
    struct egov_http_hdr *next;
    const char *name;
    const char *value;
};

/**
 * The private side of a request: struct egov_req comes first so that a
 * struct egov_req * handed to handlers converts back.  Allocated with
 * malloc by the server for each request.
 */
struct egov_http_ctx {
    struct egov_req req;
    struct egov_http_conn *conn;    /**< the connection's reaper entry, may be NULL */
    struct egov_http_hdr *pending;  /**< headers added before the response existed */
    size_t uri_len;                 /**< raw request target length */
    bool path_nul;                  /**< the raw path holds %00 */
    int phase;                      /**< 0 = headers seen, 1 = receiving body, 2 = answered,
                                         3 = suspended (see egov_req_suspend()) */
    egov_req_start_fn start_fn;     /**< set by egov_req_suspend() until the connection is suspended */
    egov_req_cont_fn cont_fn;       /**< what the request resumes with */
    void *cont_cls;
    struct egov_buf body;
    size_t body_limit;
    size_t body_seen;
    bool body_too_large;
    bool queued;                    /**< a response has been handed to libmicrohttpd */
    size_t reply_size;              /**< bytes of body in the response */
    const char *route_label;        /**< metrics label */
};

/* ------------------------------------------------------------------ */
/* Replies (reply.c)                                                   */
/* ------------------------------------------------------------------ */

/** How egov_http_reply_buffer() treats the body. */
enum egov_http_reply_flags {
    EGOV_HTTP_REPLY_CACHEABLE = 1 << 0, /**< no "Cache-Control: no-store" (static assets) */
    EGOV_HTTP_REPLY_BORROWED = 1 << 1,  /**< @p data outlives the daemon; not freed */
};

/**
 * Sends @p len bytes at @p data, which must come from malloc: the response
 * takes ownership (freed by libmicrohttpd, or at once on failure), unless
 * EGOV_HTTP_REPLY_BORROWED says it lives as long as the server.
 */
void egov_http_reply_buffer(struct egov_req *req, unsigned int status, const char *content_type,
                            char *data, size_t len, unsigned int flags);
/** Adds the security headers every response carries. */
void egov_http_security_headers(struct MHD_Response *r, const struct egov_server *s,
                                bool cacheable);
/** Bytes of body in the queued response (for the request log). */
size_t egov_http_reply_size(const struct egov_req *req);

/* ------------------------------------------------------------------ */
/* Request parsing helpers (request.c)                                 */
/* ------------------------------------------------------------------ */

/** True if request id @p s is acceptable (1..128 printable ASCII, no spaces). */
bool egov_http_request_id_valid(const char *s);
/** Decides JSON or HTML from an Accept header (NULL = JSON). */
enum egov_http_repr egov_http_negotiate_repr(const char *accept);
/** True if Content-Type @p ct names JSON (application/json or +json; UTF-8 if a charset is given). */
bool egov_http_content_type_is_json(const char *ct);
/** True if Accept-Encoding @p ae allows gzip. */
bool egov_http_accepts_gzip(const char *ae);

/* ------------------------------------------------------------------ */
/* Metrics (metrics.c)                                                 */
/* ------------------------------------------------------------------ */

/** Creates the metrics store; NULL on OOM. */
struct egov_http_metrics *egov_http_metrics_create(void);
/** Frees it.  NULL is a no-op. */
void egov_http_metrics_destroy(struct egov_http_metrics *m);
/** Records one finished request.  @p route is a static label. */
void egov_http_metrics_record(struct egov_http_metrics *m, const char *route, const char *method,
                              unsigned int status, int64_t duration_us);

/* ------------------------------------------------------------------ */
/* Static assets (static.c)                                            */
/* ------------------------------------------------------------------ */

/** Creates the static file cache; NULL on OOM. */
struct egov_static_cache *egov_static_cache_create(void);
/** Frees it.  NULL is a no-op. */
void egov_static_cache_destroy(struct egov_static_cache *c);
/** The handler of GET /static/... */
void egov_static_handle(struct egov_req *req);
/** Content type for a file name, by extension ("application/octet-stream" if unknown). */
const char *egov_static_content_type(const char *name);

#endif /* EGOV_HTTP_INTERNAL_H */
