/*
 * auth.h -- the OpenID Connect provider.
 *
 * Endpoints (all under the issuer, which is http.public_url or, when that
 * is empty, the scheme and Host the client used):
 *   GET  /.well-known/openid-configuration   discovery
 *   GET  /oidc/jwks                          public signing keys
 *   GET  /oidc/authorize, POST /oidc/authorize (consent form)
 *   POST /oidc/token                         authorization_code, refresh_token,
 *                                            client_credentials
 *   GET/POST /oidc/userinfo                  bearer header or form body
 *   POST /oidc/revoke                        RFC 7009
 *   POST /oidc/introspect                    RFC 7662
 *   GET/POST /oidc/logout                    RP-initiated logout
 *   GET/POST /api/oidc/clients, /oidc/clients  client registration by
 *                                            agency administrators
 *   GET/POST /oidc/consents                  a person's consents, withdrawal
 *
 * Subjects are pairwise per sector (the client's agency, else its redirect
 * host) unless a client registers subject_type public.  Scopes: openid,
 * profile (name, birth date, gender), address (from the directory),
 * national_id (asked for on the consent page), offline_access; email and
 * phone are accepted but no source of those claims exists yet.
 *
 * Access tokens are JWTs (typ "at+jwt", RFC 9068) signed with the node's
 * ES256 key; ID tokens are signed with RS256 unless the client registered
 * ES256.  Signing keys live in the table oidc_key, their private halves
 * encrypted (PKCS#8, AES-256) under a secret kept in the file
 * PATHS.VAR/oidc-keys.secret (mode 0600); they rotate by themselves after
 * 90 days (`egov oidc keys rotate` does it at once), the new key published
 * a day before it signs.
 */
#ifndef EGOV_AUTH_H
#define EGOV_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"

/** The auth module: its migrations, routes, start-up and CLI verbs. */
extern const struct egov_module egov_auth_module;

/** The audience ("aud") of every access token egov issues. */
#define EGOV_AUTH_AUDIENCE "urn:egov:api"

/** Claims of a verified access token, as egov_auth_token_verify() fills them. */
struct egov_auth_claims {
    char iss[256];      /**< the issuer URL the token was issued under */
    char sub[128];      /**< pairwise subject of a person, or the client id (client credentials) */
    char client_id[64]; /**< the client the token was issued to */
    char agency[64];    /**< the client's agency id ("" if none) */
    char scope[512];    /**< space-separated scopes */
    char jti[64];       /**< the token's id */
    int64_t iat;        /**< issued at, epoch seconds */
    int64_t exp;        /**< expires at, epoch seconds */
    bool client_only;   /**< true for a client-credentials token (no person) */
};

/** Outcome of egov_auth_token_verify(). */
enum egov_auth_status {
    EGOV_AUTH_OK = 0,    /**< valid; claims filled */
    EGOV_AUTH_MALFORMED, /**< not a JWT, bad signature, unknown key, wrong type or audience */
    EGOV_AUTH_EXPIRED,   /**< signature good but past "exp" */
    EGOV_AUTH_REVOKED,   /**< revoked (RFC 7009) or its grant was revoked */
    EGOV_AUTH_ERROR,     /**< database failure: answer 503, not 401 */
};

/**
 * Verifies an access token issued by this platform: its ES256/RS256
 * signature against the published keys (read from @p db and cached),
 * "typ" at+jwt, "aud" EGOV_AUTH_AUDIENCE, "exp", and that neither the
 * token nor its grant has been revoked.  Fills @p claims (may be NULL) on
 * EGOV_AUTH_OK.  Thread-safe; works on any node that shares @p db, even
 * one where the auth module is not running.
 */
enum egov_auth_status egov_auth_token_verify(struct egov_db *db, const char *token,
                                             struct egov_auth_claims *claims);

/** True if space-separated scope list @p scopes contains @p scope. */
bool egov_auth_scope_has(const char *scopes, const char *scope);

#endif /* EGOV_AUTH_H */
