/*
 * auth_int.h -- what the files of the auth module share; not public.
 */
#ifndef EGOV_AUTH_INT_H
#define EGOV_AUTH_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/auth.h"
#include "crypto/crypto.h"

/* Lifetimes, seconds. */
#define AUTH_CODE_TTL      60
#define AUTH_ACCESS_TTL    600
#define AUTH_ID_TOKEN_TTL  600
#define AUTH_REFRESH_TTL   (30 * 24 * 3600)
#define AUTH_ASSERTION_MAX 300 /* longest lifetime of a client assertion we accept */
/* A new signing key is published this long before it signs (clients cache JWKS). */
#define AUTH_KEY_PUBLISH_AHEAD (24 * 3600)
/* A signing key is replaced after this long (a new one is published ahead of it). */
#define AUTH_KEY_ROTATE_AFTER (90 * 24 * 3600)
/* Keys are re-read from the database at most this often (seconds). */
#define AUTH_KEY_CACHE_TTL 60

#define AUTH_SCOPE_NATIONAL_ID "national_id"
#define AUTH_CLIENT_ID_MAX     64
#define AUTH_URI_MAX           1024
#define AUTH_SCOPE_MAX         512
#define AUTH_MAX_URIS          10

/** A registered client as the endpoints need it. */
struct auth_client {
    char id[AUTH_CLIENT_ID_MAX];
    char name[256];
    char agency[64];       /* agency id, "" if none */
    char auth_method[32];  /* client_secret_basic | client_secret_post | private_key_jwt | none */
    char secret_hash[65];  /* hex SHA-256 of the secret, "" if none */
    char sector[256];      /* pairwise subject sector */
    char subject_type[16]; /* "pairwise" | "public" */
    char id_token_alg[8];  /* "RS256" | "ES256" */
    char scope[AUTH_SCOPE_MAX]; /* scopes the client may ask for */
    json_t *redirect_uris;      /* array of strings (owned) */
    json_t *post_logout_uris;   /* array of strings (owned) */
    json_t *grant_types;        /* array of strings (owned) */
    json_t *jwks;               /* {"keys": [...]} or NULL (owned) */
};

/** Frees the JSON members of @p c. */
void auth_client_clear(struct auth_client *c);
/** Loads client @p id; EGOV_DB_ONE_ROW, EGOV_DB_NO_ROW or an error. */
enum egov_db_qs auth_client_load(struct egov_db *db, const char *id, struct auth_client *out);
/** True if @p uri is exactly one of the client's registered redirect URIs. */
bool auth_client_redirect_ok(const struct auth_client *c, const char *uri);
/** True if the client registered grant type @p gt. */
bool auth_client_grant_ok(const struct auth_client *c, const char *gt);

/** Parameters of a new client. */
struct auth_client_new {
    const char *name;
    const char *agency;       /* may be NULL */
    const char *auth_method;  /* NULL = client_secret_basic */
    json_t *redirect_uris;    /* borrowed array of strings */
    json_t *post_logout_uris; /* borrowed, may be NULL */
    json_t *grant_types;      /* borrowed, may be NULL = code + refresh */
    json_t *jwks;             /* borrowed, for private_key_jwt */
    const char *scope;        /* may be NULL = the default list */
    const char *id_token_alg; /* may be NULL = RS256 */
    const char *subject_type; /* may be NULL = pairwise */
    const char *created_by;   /* account id or NULL (CLI) */
    bool jwks_later;          /* private_key_jwt without keys yet (the CLI sets them next) */
    const char
        *audit_account;     /* the administrator's account id for the audit log, NULL = "system" */
    const char *audit_addr; /* their address, may be NULL */
    const char *audit_rid;  /* the request id, may be NULL */
};

/**
 * Validates and registers a client in one transaction.  On success returns
 * the client as JSON (new reference, with "client_secret" in clear for
 * secret methods: shown once, stored only as SHA-256).  On failure returns
 * NULL and sets @p ec and @p field (and a detail in @p detail).
 */
json_t *auth_client_register(struct egov_db *db, const struct auth_client_new *in, enum egov_ec *ec,
                             const char **field, char *detail, size_t detaillen);
/** Checks a non-empty array of redirect-style URIs; false with a detail. */
bool auth_client_uris_ok(const json_t *arr, char *host, size_t hostlen, char *detail, size_t dlen);
/** The JSON of a client for lists (no secret). New reference. */
json_t *auth_client_json(const struct auth_client *c);

/* ---- keys.c ---- */

/** Loads or creates the key-encryption secret and ensures signing keys. */
bool auth_keys_init(struct egov_db *db, const char *vardir);
/** Frees the key cache. */
void auth_keys_fini(void);
/** Signs @p claims with the current key of @p alg; malloc'd JWS or NULL. */
char *auth_keys_sign(struct egov_db *db, enum egov_jose_alg alg, const json_t *claims,
                     const char *typ);
/** Verifies a JWS signed by one of our keys (current or retired); payload or NULL. */
json_t *auth_keys_verify(struct egov_db *db, const char *jws, char *err, size_t errlen);
/** The public JWK set (new reference) or NULL on error. */
json_t *auth_keys_jwks(struct egov_db *db);
/**
 * Rotation: generates a new key per algorithm that is published now and
 * starts signing after @p ahead_s seconds; the keys it replaces keep
 * verifying until every token they signed has expired.  Returns false on error.
 */
bool auth_keys_rotate(struct egov_db *db, const char *vardir, int64_t ahead_s);

/* ---- util.c ---- */

/** The issuer for @p req (arena string): public_url or scheme://Host; NULL if Host is bad. */
const char *auth_issuer(struct egov_req *req);
/** Sets the configured public URL (copied) at start-up. */
void auth_set_public_url(const char *url);
/** An OAuth error as JSON {error, error_description} with @p status and no-store. */
void auth_reply_oauth_error(struct egov_req *req, unsigned int status, const char *error,
                            const char *description);
/** A JSON reply with Cache-Control: no-store. */
void auth_reply_nostore(struct egov_req *req, unsigned int status, json_t *body);
/** A request parameter: the form field (POST) or the query argument (GET). */
const char *auth_param(struct egov_req *req, const char *name);
/** Hex SHA-256 of @p s into @p out (65 bytes). */
void auth_hash_hex(const char *s, char out[65]);
/** Pairwise or public subject for @p principal at @p client (arena string). */
const char *auth_subject(struct egov_req *req, const struct auth_client *c, const char *principal);
/** Computes the pairwise subject without a request (into @p out, 64 bytes). */
bool auth_subject_for(struct egov_db *db, const struct auth_client *c, const char *principal,
                      char out[64]);
/** Loads (or creates) the pairwise-subject secret. */
bool auth_pairwise_init(struct egov_db *db);
/**
 * Runs write transaction @p fn on a pooled connection of @p db (on SQLite
 * queued behind this node's other writers).  Returns its status;
 * EGOV_DB_SOFT_ERROR if no connection was free.
 */
enum egov_db_qs auth_write(struct egov_db *db, egov_db_txn_fn fn, void *cls);
/** URL-encodes @p s into @p b. */
void auth_url_encode(struct egov_buf *b, const char *s);

/* ---- usage.c ---- */

/** Counts @p n client-credentials tokens of @p client_id (agency may be ""); written later. */
void auth_usage_count(const char *client_id, const char *agency, int64_t n);
/** Starts the thread that writes the counts to accounting every few seconds. */
bool auth_usage_start(struct egov_db *db);
/** Stops it, writing what is left. */
void auth_usage_stop(void);

/* ---- clientauth.c ---- */

/**
 * Authenticates the client of a token/revoke/introspect request by its
 * registered method (Basic header, form secret, or private_key_jwt
 * assertion whose jti is remembered to refuse replay).  On success fills
 * @p out (caller clears it) and returns true; otherwise it has replied
 * invalid_client (401) and returns false.
 */
bool auth_client_authenticate(struct egov_req *req, struct auth_client *out);

/* ---- the route handlers ---- */
void auth_handle_discovery(struct egov_req *req);
void auth_handle_jwks(struct egov_req *req);
void auth_handle_authorize(struct egov_req *req);
void auth_handle_token(struct egov_req *req);
void auth_handle_userinfo(struct egov_req *req);
void auth_handle_revoke(struct egov_req *req);
void auth_handle_introspect(struct egov_req *req);
void auth_handle_logout(struct egov_req *req);
void auth_handle_clients_api_list(struct egov_req *req);
void auth_handle_clients_api_create(struct egov_req *req);
void auth_handle_clients_page(struct egov_req *req);
void auth_handle_consents(struct egov_req *req);

/* ---- the CLI ---- */
int auth_cli_oidc(int argc, char **argv, const struct egov_module_env *env);

#endif /* EGOV_AUTH_INT_H */
