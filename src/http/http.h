/*
 * http.h -- the HTTP layer: libmicrohttpd server, static route tables,
 * per-request context, JSON bodies, problem responses, content
 * negotiation, templates, static assets, metrics, and the libcurl client.
 *
 * Depends on core and store.
 */
#ifndef EGOV_HTTP_H
#define EGOV_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/core.h"
#include "store/store.h"

struct egov_req;
struct egov_server;

/* ------------------------------------------------------------------ */
/* Routes                                                              */
/* ------------------------------------------------------------------ */

/** HTTP methods as bits, so a route table can answer 405 with Allow. */
enum egov_http_method {
    EGOV_M_GET = 1 << 0,
    EGOV_M_HEAD = 1 << 1,
    EGOV_M_POST = 1 << 2,
    EGOV_M_PUT = 1 << 3,
    EGOV_M_PATCH = 1 << 4,
    EGOV_M_DELETE = 1 << 5,
    EGOV_M_OPTIONS = 1 << 6,
};

/**
 * A route handler.  It must produce exactly one response through the
 * egov_reply_*() functions (or the dispatcher answers 500).
 */
typedef void (*egov_handler_fn)(struct egov_req *req);

/** Route flags. */
enum egov_route_flags {
    EGOV_ROUTE_JSON_BODY = 1 << 0, /**< body must be application/json (415 otherwise) */
    EGOV_ROUTE_FORM_BODY = 1 << 1, /**< body may be application/x-www-form-urlencoded */
    EGOV_ROUTE_PREFIX = 1 << 2,    /**< pattern matches this path and everything below */
    /**
     * The handler also runs for a body over the route's limit, with
     * egov_req.body_too_large set and no body, so that it can answer (and
     * record) the refusal in its own way.
     */
    EGOV_ROUTE_SEES_REFUSALS = 1 << 3,
};

/**
 * One route.  @c pattern is a path with parameters in braces, e.g.
 * "/api/hanzi/chars/{c}"; a parameter matches one non-empty segment.
 * Tables are static arrays ending with EGOV_ROUTE_END.
 */
struct egov_route {
    unsigned int methods;   /**< enum egov_http_method bits; GET implies HEAD */
    const char *pattern;
    egov_handler_fn handler;
    size_t max_body;        /**< 0 = the server's default body limit */
    unsigned int flags;     /**< enum egov_route_flags */
    const char *name;       /**< metrics label; defaults to the pattern */
};
#define EGOV_ROUTE_END {0, NULL, NULL, 0, 0, NULL}

/** A module's routes, registered with the server before it starts. */
struct egov_route_table {
    const char *module;
    const struct egov_route *routes;
};

/* ------------------------------------------------------------------ */
/* Server                                                              */
/* ------------------------------------------------------------------ */

/** Named limits, checked before anything is buffered. */
struct egov_http_limits {
    size_t max_url;          /**< 414 above this (bytes of path + query) */
    size_t max_header;       /**< 431 above this (all header bytes) */
    size_t max_body;         /**< 413 above this unless a route says otherwise */
    unsigned int conn_timeout_s; /**< idle connection cut-off (slow clients) */
    unsigned int max_connections;
    unsigned int max_segments; /**< path segments */
};

/** Options of a server. */
struct egov_server_options {
    const char *listen;      /**< "HOST:PORT"; port 0 picks a free port */
    unsigned int threads;    /**< 0 = one per core */
    struct egov_http_limits limits;
    struct egov_db *db;      /**< borrowed; may be NULL (then /readyz says not ready) */
    const char *datadir;     /**< templates/, static/, locale/ */
    bool log_requests;
    bool cookie_secure;      /**< add "Secure" to cookies (on unless testing over plain http) */
    /**
     * Optional check of every request routed to a handler, once its body
     * is in: false refuses it, after the check has replied.  Runs on the
     * server's threads; @c admit_cls is passed along.
     */
    bool (*admit)(struct egov_req *req, void *admit_cls);
    void *admit_cls;
};

/**
 * Creates a server.  Returns NULL with a message in @p err on failure.
 * Routes are added with egov_server_add_routes() before egov_server_start().
 */
struct egov_server *egov_server_create(const struct egov_server_options *opt, char *err,
                                       size_t errlen);
/** Adds a module's route table (borrowed; must stay valid).  False if full. */
bool egov_server_add_routes(struct egov_server *s, const struct egov_route_table *t);
/** Starts listening.  False with a message in @p err on failure. */
bool egov_server_start(struct egov_server *s, char *err, size_t errlen);
/** The port actually bound (useful with port 0). */
unsigned int egov_server_port(const struct egov_server *s);
/**
 * Stops accepting new connections, waits up to @p grace_ms for in-flight
 * requests to finish, then stops.  Safe to call once.
 */
void egov_server_stop(struct egov_server *s, unsigned int grace_ms);
/** Frees the server (stopping it first if needed).  NULL is a no-op. */
void egov_server_destroy(struct egov_server *s);
/** The database the server was created with (borrowed). */
struct egov_db *egov_server_db(const struct egov_server *s);

/* ------------------------------------------------------------------ */
/* Request context                                                     */
/* ------------------------------------------------------------------ */

/** Which representation the client wants. */
enum egov_http_repr {
    EGOV_REPR_JSON = 0,
    EGOV_REPR_HTML = 1,
};

/**
 * The request context.  Everything in it lives in @c arena and dies when
 * the response has been sent.
 */
struct egov_req {
    struct egov_arena *arena;
    struct egov_server *server;
    const struct egov_route *route;
    const char *method;      /**< "GET", ... */
    unsigned int method_bit; /**< enum egov_http_method */
    const char *path;        /**< decoded path, without query */
    const char *request_id;  /**< from X-Request-Id or a new UUIDv7 */
    const char *lang;        /**< "zh-TW" or "en" */
    enum egov_http_repr repr;
    const char *body;        /**< NUL-terminated copy of the body (may contain NULs) */
    size_t body_len;
    int64_t start_us;        /**< monotonic start time */
    void *mhd_connection;    /**< struct MHD_Connection *, for the http layer only */
    /* path parameters, filled by the router */
    unsigned int nparams;
    const char *param_names[8];
    const char *param_values[8];
    /* the response, set by egov_reply_*() */
    unsigned int status;
    bool replied;
    void *response;          /**< struct MHD_Response * */
    json_t *form;            /**< parsed form body for FORM routes, or NULL */
    bool body_too_large;     /**< over the limit (EGOV_ROUTE_SEES_REFUSALS routes only) */
    const char *raw_query;   /**< the query as received, without "?", not decoded ("" if none) */
};

/** A path parameter by name (borrowed from the arena); NULL if absent. */
const char *egov_req_param(const struct egov_req *req, const char *name);
/** A query argument by name (decoded); NULL if absent. */
const char *egov_req_query(const struct egov_req *req, const char *name);
/** A request header by name (case-insensitive); NULL if absent. */
const char *egov_req_header(const struct egov_req *req, const char *name);
/** A cookie by name; NULL if absent. */
const char *egov_req_cookie(const struct egov_req *req, const char *name);
/** The database of the server (borrowed). */
struct egov_db *egov_req_db(const struct egov_req *req);

/**
 * Parses the JSON body against @p spec.  Returns the parsed object (owned
 * by the request; freed with it) and fills the spec's outputs.  On failure
 * returns NULL after queueing a 400/415 problem naming the position or the
 * field; the handler just returns.
 */
json_t *egov_req_parse_json(struct egov_req *req, const struct egov_json_spec *spec);

/* ------------------------------------------------------------------ */
/* Replies                                                             */
/* ------------------------------------------------------------------ */

/* ------------------------------------------------------------------ */
/* Suspended requests                                                  */
/* ------------------------------------------------------------------ */

/** Hands a suspended request's work to another thread (see egov_req_suspend()). */
typedef void (*egov_req_start_fn)(struct egov_req *req, void *cls);
/** Finishes a resumed request on a server thread; must reply. */
typedef void (*egov_req_cont_fn)(struct egov_req *req, void *cls);

/**
 * Lets a handler return without replying while the work goes on elsewhere
 * (an outbound call, a group commit).  When the handler returns, the
 * server suspends the connection, which frees its thread, and then calls
 * @p start(req, cls) on that thread; @p start passes the request to the
 * thread that does the work.  That thread calls egov_req_resume() exactly
 * once when done; the server then calls @p cont(req, cls) on one of its
 * threads, and @p cont replies.  The request and its arena live until the
 * reply has been sent; nothing else touches the request while it is
 * suspended.  A reply made before suspending is held back until the
 * request resumes (then @p cont may be NULL); @p cont may itself call
 * egov_req_suspend() to wait for the next thing.
 */
void egov_req_suspend(struct egov_req *req, egov_req_start_fn start, egov_req_cont_fn cont,
                      void *cls);
/** Resumes a request suspended with egov_req_suspend(); from any thread, once. */
void egov_req_resume(struct egov_req *req);

/** Sends @p body (stolen reference) as application/json with @p status. */
void egov_reply_json(struct egov_req *req, unsigned int status, json_t *body);
/**
 * Sends @p data (stolen reference) as JSON to API clients, or rendered with
 * template @p tmpl inside the portal layout to browsers.  @p title_msgid is
 * the page title (a gettext msgid).
 */
void egov_reply_view(struct egov_req *req, unsigned int status, const char *tmpl,
                     const char *title_msgid, json_t *data);
/**
 * Who is signed in on @p req, for the page layout: writes the display name
 * (NUL-terminated, at most @p n bytes) and returns true, or false for
 * nobody.  A module that knows sessions sets it (egov_http_set_viewer()).
 */
typedef bool (*egov_http_viewer_fn)(struct egov_req *req, char *name, size_t n);
/**
 * Sets the function the layout of every page asks who is signed in, so
 * that the header offers the account rather than "Sign in"; NULL forgets
 * it.  One per process.
 */
void egov_http_set_viewer(egov_http_viewer_fn fn);
/**
 * Sends an error from the registry: application/problem+json with type,
 * title, status, detail, code and (if not NULL) field; or an HTML error page
 * from the same fields.  @p detail may be NULL (the hint is used).
 */
void egov_reply_problem(struct egov_req *req, enum egov_ec ec, const char *field,
                        const char *detail);
/** Sends a body of any type; @p data is copied. */
void egov_reply_bytes(struct egov_req *req, unsigned int status, const char *content_type,
                      const void *data, size_t len);
/** Sends a 303 redirect to @p location. */
void egov_reply_redirect(struct egov_req *req, const char *location);
/** Adds a header to the response that will be (or has been) queued. */
void egov_reply_header(struct egov_req *req, const char *name, const char *value);
/**
 * Adds a session-style cookie: HttpOnly; SameSite=Lax; Path=/; Secure
 * unless the server is configured for plain-HTTP testing.  @p max_age_s 0
 * makes it a session cookie; negative deletes it.
 */
void egov_reply_cookie(struct egov_req *req, const char *name, const char *value, long max_age_s);

/* ------------------------------------------------------------------ */
/* Templates and translations                                          */
/* ------------------------------------------------------------------ */

/**
 * Renders template @p name (a file under DATADIR/templates, "x" for
 * "x.html") with @p data into @p out.  Logic-less: {{name}} and
 * {{a.b}} (escaped), {{{name}}} (raw, for trusted markup only),
 * {{#name}}...{{/name}} (sections: true, non-empty arrays iterate, objects
 * push a context), {{^name}}...{{/name}} (inverted), {{> partial}},
 * {{_ msgid}} (translated into @p lang), {{_ $name}} (the string value of
 * name, translated), {{! comment}} and {{.}} (the current value).  Files
 * are parsed once and cached (thread-safe).  Returns false on a missing
 * template, a syntax error (with its line) or nesting past the limits; the
 * message is then appended to @p out in place of the partial output.
 */
bool egov_tmpl_render(const char *datadir, const char *name, const json_t *data, const char *lang,
                      struct egov_buf *out);
/** Renders template text @p src (for tests); same rules as egov_tmpl_render(). */
bool egov_tmpl_render_string(const char *src, const json_t *data, const char *lang,
                             const char *datadir, struct egov_buf *out);

/**
 * Loads the compiled message catalogs (LOCALEDIR/<lang>/LC_MESSAGES/egov.mo,
 * built by msgfmt from share/locale/<lang>.po).  Missing catalogs leave
 * messages untranslated.  Call once at start-up, before serving.
 */
void egov_i18n_load(const char *localedir);
/** Translates @p msgid into @p lang ("zh-TW" or "en"); returns @p msgid if untranslated. */
const char *egov_i18n_gettext(const char *lang, const char *msgid);
/** Picks "zh-TW" or "en" from a ?lang= value, a lang cookie or Accept-Language. */
const char *egov_i18n_negotiate(const char *query_lang, const char *cookie_lang,
                                const char *accept_language);

/* ------------------------------------------------------------------ */
/* Metrics                                                             */
/* ------------------------------------------------------------------ */

/** Renders the Prometheus text exposition of the process into @p out. */
void egov_metrics_render(struct egov_server *s, struct egov_buf *out);

/** A module's metrics source: appends Prometheus text (with HELP/TYPE lines) to @p out. */
typedef void (*egov_metrics_source_fn)(struct egov_buf *out, void *cls);
/**
 * Adds @p fn to what /metrics renders (called at start-up, once per
 * source; registering the same pair again is a no-op).  False if the
 * table (8 sources) is full.
 */
bool egov_metrics_register_source(egov_metrics_source_fn fn, void *cls);

/* ------------------------------------------------------------------ */
/* Outbound HTTP client (libcurl)                                      */
/* ------------------------------------------------------------------ */

struct egov_http_client;

/** Options of an outbound client. */
struct egov_http_client_options {
    unsigned int connect_timeout_ms; /**< default 2000 */
    unsigned int timeout_ms;         /**< whole request, default 10000 */
    unsigned int retries;            /**< for idempotent methods only; default 2 */
    unsigned int retry_backoff_ms;   /**< first back-off, doubled each time; default 100 */
};

/** An outbound response.  Free with egov_http_response_free(). */
struct egov_http_response {
    long status;
    char *body;            /**< malloc'd, NUL-terminated */
    size_t body_len;
    char *content_type;    /**< malloc'd or NULL */
    unsigned int attempts; /**< how many tries were made */
};

/**
 * Creates a client.  A client keeps connections alive between calls; use
 * one per thread (libcurl easy handles are not shared between threads).
 */
struct egov_http_client *egov_http_client_create(const struct egov_http_client_options *opt);
/** Frees a client.  NULL is a no-op. */
void egov_http_client_destroy(struct egov_http_client *c);
/**
 * Performs a request.  GET, HEAD, PUT, DELETE and OPTIONS are retried on
 * connection errors, timeouts and 502/503/504; POST and PATCH never.
 * @p headers is a NULL-terminated array of "Name: value" (may be NULL).
 * Returns false on transport failure after the retries (message in @p err).
 */
bool egov_http_client_request(struct egov_http_client *c, const char *method, const char *url,
                              const char *const *headers, const void *body, size_t body_len,
                              struct egov_http_response *resp, char *err, size_t errlen);
/** Frees a response's members. */
void egov_http_response_free(struct egov_http_response *resp);

/* ------------------------------------------------------------------ */
/* Webhooks: outbound deliveries through the outbox                    */
/* ------------------------------------------------------------------ */

/** Job queue of webhook deliveries. */
#define EGOV_WEBHOOK_QUEUE "http.webhook"

/**
 * Enqueues a POST of JSON text @p body to @p url (http or https) inside the
 * caller's transaction on @p c, so the delivery exists if and only if the
 * change that caused it commits.  The receiver gets the job id in
 * `Idempotency-Key` and `X-Egov-Delivery`, and must de-duplicate by it:
 * a delivery is retried with back-off until it answers 2xx, and given up
 * (dead list) on a 4xx other than 408/429 or after the job's attempt limit.
 * Writes the job id to @p id_out (may be NULL).
 */
enum egov_db_qs egov_webhook_enqueue(struct egov_db_conn *c, const char *url, const char *body,
                                     char id_out[37]);
/** Registers the webhook job handler with the job workers (call before egov_jobs_start()). */
bool egov_webhook_register(void);

/* ------------------------------------------------------------------ */
/* Modules                                                             */
/* ------------------------------------------------------------------ */

struct egov_module_env;

/** A command-line verb a module offers: `egov NAME ...`. */
struct egov_module_cli {
    const char *name;    /**< e.g. "hanzi", "oid", "backoffice" */
    const char *summary; /**< one line for `egov --help` */
    /**
     * Runs the verb.  argv[0] is the verb's name; the global options
     * --config FILE and --db URL have already been taken out of argv and
     * applied to env->cfg.  Returns the process exit code.
     */
    int (*run)(int argc, char **argv, const struct egov_module_env *env);
};

/** What a module gets from the node when it starts or runs a verb. */
struct egov_module_env {
    const struct egov_config *cfg; /**< the node's configuration (borrowed) */
    struct egov_db *db;            /**< during init: the open, migrated database; NULL in CLI verbs */
    /**
     * Opens the configured database and applies pending migrations,
     * printing one clear message on failure (then NULL).  For CLI verbs;
     * the caller closes it with egov_db_close().
     */
    struct egov_db *(*open_db)(const struct egov_module_env *env);
};

/**
 * A module as the node sees it.  Each module defines one constant
 * `const struct egov_module egov_<name>_module` in its public header and
 * src/cli/modules.c lists it, in layer order.  Every member but @c name
 * may be NULL.
 */
struct egov_module {
    const char *name;
    const struct egov_db_module_migrations *migrations;
    const struct egov_route_table *routes;
    /**
     * Called once when a node starts, after migrations, before serving:
     * register job handlers, load data.  Returns false (after logging why)
     * to stop the start-up.
     */
    bool (*init)(const struct egov_module_env *env);
    /** Called once when the node stops, after the server and workers stopped. */
    void (*fini)(void);
    const struct egov_module_cli *cli; /**< verbs, ending with a {NULL} entry */
};

/** The http module's own route table (/healthz, /readyz, /metrics, /static/). */
extern const struct egov_route_table egov_http_core_routes;

#endif /* EGOV_HTTP_H */
