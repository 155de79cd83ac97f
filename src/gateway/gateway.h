/*
 * gateway.h -- the common gateway between agencies (電子閘門): services,
 * signed calls, audit, events.
 *
 * Identifiers.  A member system (a consumer or a provider) is
 * "TW/GOV/<agency code>/<subsystem>"; a service is that followed by
 * "/<service>" and optionally "/v<N>" (the version).  Codes are 1..64
 * characters of [A-Za-z0-9._-], not "." or "..".
 *
 * Grants are authz service grants (egov_authz_grant_add) in which the
 * consumer and the service id are written with ":" instead of "/"
 * ("TW:GOV:MOF:tax" may call "TW:GOV:MOI:household:persons"), since authz
 * names are single segments; the path pattern is the service path.
 *
 * Calls (the X-Road REST message protocol, version r1):
 *
 *   <METHOD> /r1/<service id>/<path>[?query]
 *     X-Road-Client: TW/GOV/<agency>/<subsystem>      (required)
 *     X-Road-Id: <unique message id>                  (required, 1..128 printable)
 *     X-Road-UserId: <national id of the end user>    (optional)
 *     Content-Digest: sha-256=:<base64>:              (RFC 9530, when there is a body)
 *     Signature-Input / Signature                     (RFC 9421, label "sig1"; covers
 *                                                      "@method" "@path" "x-road-client"
 *                                                      "x-road-id", "@query" when there is
 *                                                      a query, "content-digest" when there
 *                                                      is a body, "x-road-userid" when sent;
 *                                                      parameters created, keyid = client id,
 *                                                      alg "ed25519" or "ecdsa-p256-sha256")
 *     Authorization: Bearer <access token>            (optional: client credentials token;
 *                                                      its client must be the one registered
 *                                                      for the X-Road-Client)
 *
 *   The response carries X-Road-Client, X-Road-Id, X-Road-UserId,
 *   X-Road-Service, X-Road-Request-Id, X-Road-Request-Hash (base64 SHA-256
 *   of the request's signature base: the response is bound to it) and
 *   is signed by the gateway (Signature-Input "sig1" over "@status"
 *   "content-digest" "x-road-id" "x-road-request-hash"; keyid "gateway";
 *   public key at GET /api/gateway/key).  Errors are
 *   {"type":"Client.*"|"Server.*","message":...,"detail":<request id>}
 *   with the X-Road-Error header set to the type.
 *
 * Metaservices: GET /r1/listClients, GET /r1/<member system>/listMethods,
 * /allowedMethods (for the X-Road-Client), /getOpenAPI?serviceCode=<service>.
 *
 * Administration and citizens:
 *   GET/POST /api/gateway/services, /api/gateway/clients,
 *   /api/gateway/subscriptions, /api/gateway/legal-bases, GET
 *   /api/gateway/dead-letters, GET /api/gateway/key, GET /gateway (admin
 *   page); GET /api/gateway/my-access (the signed-in citizen's accesses).
 *
 * Events: POST /api/gateway/events/<publish token> (a provider publishes;
 * body is an EVENT as in backoffice.h; the token names the publisher);
 * each subscription of the subject gets a delivery through the outbox:
 * POST <url> with X-Egov-Delivery = the delivery id.
 */
#ifndef EGOV_GATEWAY_H
#define EGOV_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"

/** The gateway module: its migrations, routes, start-up and CLI verbs (`gateway`, `audit`). */
extern const struct egov_module egov_gateway_module;

/* ------------------------------------------------------------------ */
/* Identifiers                                                         */
/* ------------------------------------------------------------------ */

/** Longest code (agency, subsystem, service) in an identifier. */
#define EGOV_GATEWAY_CODE_MAX 64

/** A parsed identifier. */
struct egov_gateway_id {
    char agency[EGOV_GATEWAY_CODE_MAX + 1];
    char subsystem[EGOV_GATEWAY_CODE_MAX + 1];
    char service[EGOV_GATEWAY_CODE_MAX + 1];         /**< "" for a member system id */
    char version[16];                                /**< "v1" ...; "" if none */
    char text[4 * (EGOV_GATEWAY_CODE_MAX + 1) + 24]; /**< canonical text */
};

/**
 * Parses a service id "TW/GOV/<agency>/<subsystem>/<service>[/v<N>]" at
 * the start of @p s (the call path after "/r1/").  Writes the id into
 * @p out and, if @p rest is not NULL, the remaining path (starting with
 * "/" or empty) into *@p rest.  With @p rest NULL the whole string must be
 * the id.  Returns EGOV_EC_NONE, or GATEWAY_SERVICE_ID_INVALID with an
 * English reason in @p why (naming the part) when malformed.
 */
enum egov_ec egov_gateway_service_id_parse(const char *s, struct egov_gateway_id *out,
                                           const char **rest, char *why, size_t whylen);

/**
 * Parses a member system id "TW/GOV/<agency>/<subsystem>" (the whole of
 * @p s).  Returns EGOV_EC_NONE or GATEWAY_CLIENT_INVALID with a reason.
 */
enum egov_ec egov_gateway_member_id_parse(const char *s, struct egov_gateway_id *out, char *why,
                                          size_t whylen);

/**
 * Checks a service path (the part after the service id): "" or "/" and
 * segments without "." / ".." / empty segments, backslashes, control
 * characters or a NUL.  Returns EGOV_EC_NONE or GATEWAY_PATH_INVALID.
 */
enum egov_ec egov_gateway_path_check(const char *path, char *why, size_t whylen);

/* ------------------------------------------------------------------ */
/* Registry: services, clients, legal bases, consents, subscriptions   */
/* ------------------------------------------------------------------ */

/** A service as a provider registers it. */
struct egov_gateway_service {
    const char *id;          /**< service id text */
    const char *base_url;    /**< where the provider serves it, http(s)://... */
    const char *charset;     /**< wire code of the provider: "utf-8", "cns-tax", ... */
    const char *openapi;     /**< OpenAPI 3 description (JSON text); may be NULL */
    bool personal_data;      /**< calls need a legal basis or the person's consent */
    unsigned int timeout_ms; /**< whole call; 0 = the gateway default */
};

/**
 * Registers (or replaces) service @p s in one transaction.  Returns
 * EGOV_EC_NONE, GATEWAY_SERVICE_ID_INVALID, GENERIC_PARAMETER_MALFORMED
 * (with @p field) or DB_*.
 */
enum egov_ec egov_gateway_service_register(struct egov_db *db, const struct egov_gateway_service *s,
                                           const char **field);

/** A consumer system as registered at the gateway. */
struct egov_gateway_client {
    const char *id;           /**< member system id */
    const char *public_key;   /**< PEM public key that signs its messages (or NULL with cert) */
    const char *cert_pem;     /**< or an agency certificate (PEM) carrying that key; may be NULL */
    const char *oauth_client; /**< OAuth client id whose tokens it may present; may be NULL */
    unsigned int rate_per_s;  /**< calls per second through the whole cluster; 0 = unlimited */
};

/**
 * Registers (or replaces) client @p c.  The key must be Ed25519 or ECDSA
 * P-256.  A certificate must be an agency certificate of this platform's
 * CA (egov_pki_verify_chain, client authentication) whose system id (OU),
 * if it has one, is the client's id; it is checked again whenever the gateway
 * loads the client (at most a second old), so revocation takes effect.
 * Returns EGOV_EC_NONE, GATEWAY_CLIENT_INVALID, GENERIC_PARAMETER_MALFORMED
 * (@p field), the PKI_* error of the chain check, or DB_*.
 */
enum egov_ec egov_gateway_client_register(struct egov_db *db, const struct egov_gateway_client *c,
                                          const char **field);

/**
 * Records the legal basis @p basis (text, e.g. "戶籍法第65條") under
 * which @p consumer may read personal data through @p service_id.
 * Writes the id to @p id_out.  Returns EGOV_EC_NONE or DB_* / MALFORMED.
 */
enum egov_ec egov_gateway_legal_basis_add(struct egov_db *db, const char *consumer,
                                          const char *service_id, const char *basis,
                                          char id_out[37]);

/**
 * Records (@p given true) or withdraws the consent of citizen @p citizen
 * (national id) to @p consumer reading their data through @p service_id.
 */
enum egov_ec egov_gateway_consent_set(struct egov_db *db, const char *citizen, const char *consumer,
                                      const char *service_id, bool given);

/**
 * Subscribes @p consumer to events of @p subject delivered to @p url.
 * Writes the subscription id to @p id_out.  Returns EGOV_EC_NONE,
 * GENERIC_PARAMETER_MALFORMED (@p field) or DB_*.
 */
enum egov_ec egov_gateway_subscribe(struct egov_db *db, const char *consumer, const char *subject,
                                    const char *url, char id_out[37], const char **field);

/**
 * Lets system @p client publish events whose subject starts with
 * @p subject_prefix ("" = any) by POSTing them to
 * /api/gateway/events/<token>.  Writes a new random token (URL-safe, 43
 * characters) to @p token_out; only its hash is stored.  Returns
 * EGOV_EC_NONE, GATEWAY_CLIENT_INVALID, GENERIC_PARAMETER_MALFORMED or DB_*.
 */
enum egov_ec egov_gateway_publisher_add(struct egov_db *db, const char *client,
                                        const char *subject_prefix, char token_out[65]);

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

/** Job queue of event deliveries. */
#define EGOV_GATEWAY_EVENT_QUEUE "gateway.event"

/**
 * Accepts event @p event (a JSON object with "id" (uuid), "subject",
 * "key" and "data"; borrowed) from @p publisher and, in the same
 * transaction, creates one delivery per active subscription of its subject
 * and enqueues it.  An event id seen before is accepted again without new
 * deliveries (*@p duplicate true).  Returns EGOV_EC_NONE,
 * GATEWAY_EVENT_INVALID (@p field) or DB_*.
 */
enum egov_ec egov_gateway_event_publish(struct egov_db *db, const char *publisher,
                                        const json_t *event, bool *duplicate, const char **field);

/** Registers the delivery job handler (done by the module's init). */
bool egov_gateway_events_register(void);

/* ------------------------------------------------------------------ */
/* Audit                                                               */
/* ------------------------------------------------------------------ */

/**
 * Writes every audit entry still queued to the database (the node writes
 * them in batches in the background).  Returns false on database errors.
 */
bool egov_gateway_audit_flush(void);

/**
 * Reads a 256-bit key written as 64 hex digits from @p path into @p out.
 * False if the file cannot be read or holds anything else.
 */
bool egov_gateway_secret_file_read(const char *path, uint8_t out[32]);

/**
 * Writes the secret of providing system @p system_id ("TW/GOV/MOI/
 * household") as 64 hex digits to a new file @p path (mode 0600; an
 * existing file is replaced only with @p replace).  The gateway module
 * must be initialised.  False on failure.
 */
bool egov_gateway_provider_secret_write(const char *system_id, const char *path, bool replace);

/**
 * Checks, at a providing system, that a call was forwarded by the gateway:
 * its RFC 9421 signature (keyid "gateway", alg "hmac-sha256", covering
 * @method, @path, x-road-client, x-road-service, x-road-id and, with a
 * body, content-digest, with a query, @query) under @p secret (the system's secret, see `egov
 * gateway provider-secret`), created within @p skew_s seconds of now, and
 * a body matching its Content-Digest.  Returns EGOV_EC_NONE, or
 * GATEWAY_SIGNATURE_MISSING, GATEWAY_SIGNATURE_INVALID or
 * GATEWAY_DIGEST_MISMATCH with the reason (English) in @p why.
 */
enum egov_ec egov_gateway_forwarded_verify(const struct egov_req *req, const uint8_t secret[32],
                                           unsigned int skew_s, char *why, size_t whylen);
/**
 * Checks, at a subscriber, that an event delivery came from the gateway:
 * as egov_gateway_forwarded_verify(), the signature covering @method,
 * @path, x-egov-delivery and content-digest, under the subscribing
 * system's secret.
 */
enum egov_ec egov_gateway_delivery_verify(const struct egov_req *req, const uint8_t secret[32],
                                          unsigned int skew_s, char *why, size_t whylen);

/** Result of egov_gateway_audit_verify(). */
struct egov_gateway_audit_report {
    int64_t entries;   /**< entries checked */
    int64_t bad_seq;   /**< first altered or missing entry (0 if none) */
    char problem[160]; /**< English: "entry 42 was altered" / "entry 42 is missing" */
};

/**
 * Recomputes the hash chain of the audit log.  Returns 1 when intact, 0
 * when an entry was altered or is missing (named in @p rep), -1 on a
 * database error.
 */
int egov_gateway_audit_verify(struct egov_db *db, struct egov_gateway_audit_report *rep);

/**
 * Decrypts the bodies kept with audit entry @p seq (when the node runs
 * with gateway.audit_key_file, this process must have the same key) and
 * appends them to @p req and @p resp.  Returns 1, 0 if the entry has no
 * bodies, -1 on database errors, a missing or wrong key or a damaged
 * ciphertext.
 */
int egov_gateway_audit_bodies(struct egov_db *db, int64_t seq, struct egov_buf *req,
                              struct egov_buf *resp);

/**
 * The accesses to the data of citizen @p user_id (national id), newest
 * first: a new JSON array of {at, at_taipei, client, service, method,
 * status, end_user, agency_name, service_title, outcome} (caller decrefs),
 * or NULL on database errors.  agency_name is the directory's name for the
 * system's agency code and service_title the title of the service's
 * OpenAPI description, each null when unknown; outcome is "answered",
 * "refused" or "failed".
 */
json_t *egov_gateway_accesses(struct egov_db *db, const char *user_id, unsigned int limit);

#endif /* EGOV_GATEWAY_H */
