/*
 * gw_int.h -- what the gateway's files share and nobody else sees.
 */
#ifndef EGOV_GW_INT_H
#define EGOV_GW_INT_H

#include <pthread.h>

#include <curl/curl.h>

#include "crypto/crypto.h"
#include "gateway/gateway.h"

/* ------------------------------------------------------------------ */
/* Settings taken from the node's configuration at init                */
/* ------------------------------------------------------------------ */

struct gw_settings {
    unsigned int timeout_ms;
    unsigned int clock_skew_s;
    unsigned int breaker_failures;
    unsigned int breaker_open_ms;
};
extern struct gw_settings gw_settings;

/** The gateway's own signing key (set at init; NULL before). */
extern struct egov_sigkey *gw_key;

/** Migrations of the gateway. */
extern const struct egov_db_module_migrations gw_migrations;
/** Routes of the gateway. */
extern const struct egov_route_table gw_routes;

/* ------------------------------------------------------------------ */
/* Registry lookups (registry.c), cached for a second                  */
/* ------------------------------------------------------------------ */

/** A registered service as the call path needs it (malloc'd strings, one block). */
struct gw_service {
    char id[300];
    char base_url[512];
    char charset[32];
    bool personal_data;
    unsigned int timeout_ms;
};

/** A registered client. */
struct gw_client {
    char id[300];
    char oauth_client[128];
    unsigned int rate_per_s;
    char cert_problem[300];  /**< "" or why its certificate no longer verifies */
    struct egov_sigkey *key; /**< owned by the cache; valid while the entry is referenced */
};

/** Looks a service up.  1 found, 0 unknown, -1 database error. */
int gw_service_get(struct egov_db *db, const char *id, struct gw_service *out);
/**
 * Looks a client up and returns a reference to its cached entry in *@p out
 * (release with gw_client_put()).  1 found, 0 unknown, -1 database error.
 */
int gw_client_get(struct egov_db *db, const char *id, struct gw_client **out);
/** Releases a client entry. */
void gw_client_put(struct gw_client *c);
/** True if a legal basis covers (consumer, service) or the citizen consented.  -1 on errors. */
int gw_legal_basis_ok(struct egov_db *db, const char *consumer, const char *service_id,
                      const char *citizen);
/** Empties the caches (after a registry change on this node). */
void gw_cache_clear(void);
/** Frees the caches at shutdown. */
void gw_cache_fini(void);

/**
 * Writes the name under which authz knows gateway identifier @p id: the
 * same text with "/" replaced by ":" ("TW:GOV:MOF:tax"), since authz
 * names are single path segments.
 */
void gw_authz_name(const char *id, char out[300]);

/* ------------------------------------------------------------------ */
/* HTTP Message Signatures (httpsig.c)                                 */
/* ------------------------------------------------------------------ */

/** Writes "sha-256=:<base64>:" of @p body into @p out (at least 64 bytes). */
void gw_content_digest(const void *body, size_t n, char out[64]);

/** The covered components and parameters of a received signature. */
struct gw_sig_input {
    char components[12][32];
    unsigned int ncomponents;
    int64_t created;
    char keyid[300];
    char alg[32];
    char nonce[130];
    const char *params; /**< the serialized inner list and parameters (for @signature-params) */
    size_t params_len;
};

/**
 * Parses the "sig1" member of a Signature-Input header.  False with a
 * reason in @p why when malformed.
 */
bool gw_sig_input_parse(const char *header, struct gw_sig_input *out, struct egov_arena *a,
                        char *why, size_t whylen);
/**
 * Decodes the "sig1" member of a Signature header (":<base64>:") into
 * @p sig (EGOV_SIGKEY_MAX_SIG bytes); returns its length or -1.
 */
long gw_signature_decode(const char *header, uint8_t sig[EGOV_SIGKEY_MAX_SIG]);

/** A component value lookup for building signature bases. */
typedef const char *(*gw_component_fn)(const char *name, void *cls);

/**
 * Builds the signature base of @p in into @p out: one line per covered
 * component, values from @p fn, then "@signature-params".  False when a
 * component has no value (named in @p why).
 */
bool gw_sig_base(const struct gw_sig_input *in, gw_component_fn fn, void *cls, struct egov_buf *out,
                 char *why, size_t whylen);

/**
 * Signs with the gateway key: builds the parameters for @p components,
 * the base from @p fn, and writes the Signature-Input and Signature header
 * values (arena strings).  False on failure.
 */
bool gw_sign(struct egov_arena *a, const char *const *components, size_t n, gw_component_fn fn,
             void *cls, const char **sig_input, const char **signature);

/**
 * As gw_sign(), with hmac-sha256 under the 32-byte @p secret and keyid
 * "gateway" (the signature on calls forwarded to a provider).
 */
bool gw_sign_hmac(struct egov_arena *a, const char *const *components, size_t n,
                  gw_component_fn fn, void *cls, const uint8_t secret[32], const char **sig_input,
                  const char **signature);

/* ------------------------------------------------------------------ */
/* Providers' secrets (provider.c)                                     */
/* ------------------------------------------------------------------ */

/**
 * Creates @p path (mode 0600) holding @p len bytes of @p data, atomically:
 * written beside it, then linked into place, so that a node starting at
 * the same moment reads the whole file or none.  1 created, 0 it existed
 * already, -1 error (errno).
 */
int gw_secret_file_create(const char *path, const void *data, size_t len);
/** Loads (or on first start makes) the providers' master key.  False with a logged reason. */
bool gw_provider_master_load(const struct egov_config *cfg);
/** Forgets the master key (wiped). */
void gw_provider_master_forget(void);
/** Derives the secret of providing system @p system_id ("TW/GOV/MOI/household"). */
bool gw_provider_secret(const char *system_id, uint8_t out[32]);

/* ------------------------------------------------------------------ */
/* Rate limits across the cluster, circuit breakers per node (limits.c) */
/* ------------------------------------------------------------------ */

/**
 * True if @p client may make one more call now under its limit of @p rate
 * calls per second through the whole cluster (0: no limit); counts the call.
 */
bool gw_rate_take(const char *client, unsigned int rate);
/** Starts the thread that shares this node's rate counts through @p db. */
bool gw_limits_start(struct egov_db *db);
/** Stops that thread and forgets every count and breaker. */
void gw_limits_stop(void);
/** True if a call to @p provider may go out now (closed, or the half-open trial). */
bool gw_breaker_allow(const char *provider);
/** Tells the breaker of @p provider how a call went. */
void gw_breaker_report(const char *provider, bool success);

/* ------------------------------------------------------------------ */
/* Audit (audit.c)                                                     */
/* ------------------------------------------------------------------ */

/** One audit entry; strings are copied when queued. */
struct gw_audit_entry {
    const char *message_id;
    const char *request_id;
    const char *client;
    const char *service;
    const char *method;
    const char *path;
    const char *user_id;
    unsigned int status;
    const char *error_type;
    int64_t req_size, resp_size;
    int64_t duration_us;
    const char *req_hash;
    const char *resp_hash;
    const char *subject;  /**< national id of the person whose data was used, or "" */
    const void *req_body; /**< kept (encrypted) only when an audit key is set */
    size_t req_body_len;
    const void *resp_body;
    size_t resp_body_len;
};

/** Sets the audit body key (32 bytes, copied); NULL forgets it. */
void gw_audit_set_key(const uint8_t key[32]);

/** Starts the background writer on @p db. */
bool gw_audit_start(struct egov_db *db);
/** Stops it after writing every queued entry. */
void gw_audit_stop(void);
/** Queues an entry (copied), nobody waiting for its commit. */
void gw_audit_record(const struct gw_audit_entry *e);
/**
 * Queues an entry (copied); @p done(cls, written) is called once, on the
 * writer thread (or at once if it cannot be queued), when the transaction
 * holding it has committed (true) or failed (false; the entry stays
 * queued and is tried again).
 */
void gw_audit_record_then(const struct gw_audit_entry *e, void (*done)(void *cls, bool written),
                          void *cls);
/**
 * Claims message id @p msgid of @p client for the whole cluster until
 * @p expires_s (Unix seconds).  @p done(cls, result) is called once, on
 * the writer thread (or at once when the writer is not running), after
 * the claim's transaction: 1 the first sighting, 0 seen before (a
 * replay), -1 database error.
 */
void gw_audit_claim(const char *client, const char *msgid, int64_t expires_s,
                    void (*done)(void *cls, int result), void *cls);

/* ------------------------------------------------------------------ */
/* Calls (proxy.c), metrics (stats.c)                                  */
/* ------------------------------------------------------------------ */

/* ------------------------------------------------------------------ */
/* Outbound calls (forward.c)                                          */
/* ------------------------------------------------------------------ */

/**
 * One outbound call handed to the forwarder thread.  The caller sets
 * the libcurl options of @c easy (everything but the timeouts and
 * CURLOPT_PRIVATE, which the forwarder sets from @c deadline_us).
 */
struct gw_fwd_call {
    CURL *easy;                 /**< from gw_fwd_easy_get(); the caller puts it back */
    struct gw_fwd_call *next;   /**< the forwarder's queue */
    int64_t deadline_us;        /**< monotonic time after which the call fails with a timeout */
    bool idempotent;            /**< a stale kept-alive connection may be retried */
    int attempts;               /**< transfers started so far */
    CURLcode result;            /**< the last transfer's outcome, set before done() */
    void (*reset)(struct gw_fwd_call *c); /**< before a retry: forget what was received */
    void (*done)(struct gw_fwd_call *c);  /**< on the forwarder thread, once, at the end */
};

/** Starts the forwarder thread.  False if libcurl or the thread cannot start. */
bool gw_fwd_start(void);
/** Finishes every call in flight and stops the forwarder. */
void gw_fwd_stop(void);
/** Hands @p c to the forwarder (any thread). */
void gw_fwd_submit(struct gw_fwd_call *c);
/** A reset libcurl easy handle from the pool (or a new one); NULL when out of memory. */
CURL *gw_fwd_easy_get(void);
/** Returns an easy handle to the pool.  NULL is a no-op. */
void gw_fwd_easy_put(CURL *e);

void gw_handle_call(struct egov_req *req);
void gw_handle_list_clients(struct egov_req *req);
bool gw_proxy_init(void);
void gw_proxy_fini(void);

/** Counts one call of @p service with @p status and @p duration_us. */
void gw_stats_count(const char *service, unsigned int status, int64_t duration_us);
/** Renders the per-service series in Prometheus text into @p out. */
void gw_stats_render(struct egov_buf *out, void *cls);
/** The per-service figures as a new JSON array (for the admin page). */
json_t *gw_stats_json(void);
/** The words of the calls chart, in the reader's language. */
struct gw_stats_labels {
    const char *title, *ok, *refused, *failed, *avg, *calls, *unknown;
};
/**
 * Renders this node's calls per service as an SVG bar chart (succeeded,
 * refused, failed; average time and the p99 bound of each) into @p out;
 * every text escaped, no script.
 */
void gw_stats_svg(const struct gw_stats_labels *lb, struct egov_buf *out);
/**
 * Renders @p count labelled values as a horizontal SVG bar chart titled
 * @p title into @p out (every text escaped, no script).
 */
void gw_svg_hbars(struct egov_buf *out, const char *title, const char *const *labels,
                  const double *values, size_t count);
void gw_stats_fini(void);

/** Sends an X-Road error {type, message, detail} with X-Road-Error. */
void gw_reply_error(struct egov_req *req, enum egov_ec ec, const char *detail);
/** The X-Road error type of @p ec ("Client.*" or "Server.*"; static). */
const char *gw_error_type(enum egov_ec ec);

/** The dead-letter list: a new JSON array (caller decrefs), NULL on database errors. */
json_t *gw_dead_letters(struct egov_db *db);
/** Sends a dead delivery again.  EGOV_EC_NONE, GENERIC_NOT_FOUND or DB_*. */
enum egov_ec gw_redeliver(struct egov_db *db, const char *id);
/** The publisher a publish token belongs to: 1 found (client copied), 0 unknown, -1 error. */
int gw_publisher_of(struct egov_db *db, const char *token, char client[300],
                    char subject_prefix[101]);

/* Admin and events handlers (admin.c, events.c). */
void gw_handle_event_publish(struct egov_req *req);
int gw_cli_gateway(int argc, char **argv, const struct egov_module_env *env);
int gw_cli_audit(int argc, char **argv, const struct egov_module_env *env);

#endif /* EGOV_GW_INT_H */
