/*
 * authz.h -- roles, permissions, service grants and the decision API.
 *
 * Model.  Agencies are named by their agency code (機關代碼, e.g.
 * "A00000000A"), the identifier the directory, certificates (subject
 * serialNumber) and the gateway share; an agency the directory knows
 * without a code may be named by its directory id (a UUID), and any string
 * of [A-Za-z0-9._:-] is accepted, so systems without a directory entry
 * work too.  Resources are named "agency/<agency>/<rest>", e.g.
 * "agency/A01/cases/2026-77".  A role belongs to one agency and holds
 * permissions: an action ("case.read", or "*") and a resource pattern
 * relative to the agency ("cases/" followed by "*"; a trailing "*" matches any rest).
 * A subject (a principal id, or a system id) holds roles through
 * assignments; a role of agency A only ever applies to resources under
 * "agency/A/".  Agency "*" is the platform itself: its administrators may
 * administer every agency.
 *
 * Administration is delegated per agency: an administrator of agency A
 * (subject in table authz_admin for A) may create roles of A, assign them,
 * make further administrators of A and grant consumers access to
 * services A provides -- and the same for agencies below A in the
 * directory's tree (egov_directory_agency_is_within), nothing else.  Every change is written to
 * authz_audit (who, what, when, from where, request id).
 *
 * Service grants are for the gateway: consumer system -> provider service,
 * HTTP method ("*" = any) and path pattern (trailing "*" = any rest).
 *
 * HTTP:
 *   POST /api/authz/check   {subject, action, resource} -> {decision, reason}
 *   GET/POST /api/authz/roles, /api/authz/assignments, /api/authz/grants,
 *   /api/authz/admins (administration; JSON), GET /authz (admin page).
 */
#ifndef EGOV_AUTHZ_H
#define EGOV_AUTHZ_H

#include <stdbool.h>

#include "http/http.h"

/** The authz module: its migrations, routes, start-up and CLI verbs. */
extern const struct egov_module egov_authz_module;

/** A decision. */
enum egov_authz_decision {
    EGOV_AUTHZ_ERROR = -1, /**< the database failed; treat as deny */
    EGOV_AUTHZ_DENY = 0,
    EGOV_AUTHZ_ALLOW = 1,
};

/** Most bytes of a decision's reason, NUL included. */
#define EGOV_AUTHZ_REASON_MAX 256

/**
 * Decides whether @p subject may do @p action on @p resource.  Writes a
 * short English reason naming the role that allowed it, or why not, into
 * @p reason (EGOV_AUTHZ_REASON_MAX bytes; may be NULL).
 */
enum egov_authz_decision egov_authz_check(struct egov_db *db, const char *subject,
                                          const char *action, const char *resource,
                                          char reason[EGOV_AUTHZ_REASON_MAX]);

/**
 * The gateway's question: may consumer system @p consumer call @p method
 * @p path of provider service @p service_id?  One indexed query.
 * @p reason (may be NULL) receives a static English string.
 */
enum egov_authz_decision egov_authz_grant_check(struct egov_db *db, const char *consumer,
                                                const char *service_id, const char *method,
                                                const char *path, const char **reason);

/** The live grants of one consumer system on one provider service. */
struct egov_authz_grants {
    size_t n;
    struct egov_authz_grant_rule {
        char *method; /**< "GET", ... or "*" */
        char *path;   /**< a path, or a prefix ending in '*' */
    } * rules;        /**< @c n rules; free with egov_authz_grants_free() */
};

/**
 * Reads the live grants of @p consumer on @p service_id into @p out (none
 * is not an error), for callers that decide many calls from one read (the
 * gateway keeps them for a second).  1 read, -1 database error.
 */
int egov_authz_grants_of(struct egov_db *db, const char *consumer, const char *service_id,
                         struct egov_authz_grants *out);
/** Frees what egov_authz_grants_of() read; @p g may be empty. */
void egov_authz_grants_free(struct egov_authz_grants *g);
/**
 * The decision egov_authz_grant_check() makes, from grants already read:
 * ALLOW or DENY, with the same static English @p reason (may be NULL).
 */
enum egov_authz_decision egov_authz_grants_decide(const struct egov_authz_grants *g,
                                                  const char *method, const char *path,
                                                  const char **reason);

/**
 * True if @p subject administers agency @p agency (directly, as an
 * administrator of an agency above it, or as a platform administrator of
 * agency "*").  False on database errors.
 */
bool egov_authz_is_admin(struct egov_db *db, const char *subject, const char *agency);

/**
 * The agency @p subject administers (the first by name, "*" only if it
 * administers nothing else), for modules that know one agency per
 * administrator.  Returns true with @p agency filled, false if it
 * administers none or on database errors.
 */
bool egov_authz_admin_agency(struct egov_db *db, const char *subject, char agency[64]);

/**
 * Writes one entry to the audit log of @p agency (the log its
 * administrators see in egov_authz_agency_view()) for a decision another
 * module took with authz, e.g. a refused or completed certificate issue:
 * @p actor (NULL = command line), @p action ("pki.certificate.issue"),
 * @p detail (a JSON object, stolen; may be NULL), @p client_addr and
 * @p request_id (may be NULL).  One transaction.  Returns EGOV_EC_NONE,
 * AUTHZ_PATTERN_INVALID, or DB_*.
 */
enum egov_ec egov_authz_audit_note(struct egov_db *db, const char *actor, const char *action,
                                   const char *agency, json_t *detail, const char *client_addr,
                                   const char *request_id);

/**
 * Makes @p subject an administrator of @p agency on behalf of @p actor
 * (who must administer @p agency; NULL = the command line, which may do
 * anything).  Audited.  Returns EGOV_EC_NONE, AUTHZ_NOT_ADMIN, or DB_*.
 */
enum egov_ec egov_authz_admin_add(struct egov_db *db, const char *actor, const char *subject,
                                  const char *agency, const char *client_addr,
                                  const char *request_id);

/**
 * Creates role @p name of @p agency with @p permissions, a JSON array of
 * {"action": "case.read" | "case.*" | "*", "resource": "cases/" + "*" ...}
 * (borrowed), on behalf of @p actor (an administrator of @p agency; NULL =
 * command line).  Audited with @p client_addr and @p request_id (may be
 * NULL).  Writes the role id to @p id_out.  Returns EGOV_EC_NONE,
 * AUTHZ_NOT_ADMIN, AUTHZ_PATTERN_INVALID (with @p field), GENERIC_CONFLICT
 * (the agency has a role of that name) or DB_*.
 */
enum egov_ec egov_authz_role_create(struct egov_db *db, const char *actor, const char *agency,
                                    const char *name, const json_t *permissions,
                                    const char *client_addr, const char *request_id,
                                    char id_out[37], const char **field);

/**
 * Gives (@p assign true) or takes away role @p role_id to/from @p subject
 * on behalf of @p actor, who must administer the role's agency.  Audited.
 * Returns EGOV_EC_NONE, AUTHZ_ROLE_UNKNOWN, AUTHZ_NOT_ADMIN or DB_*.
 */
enum egov_ec egov_authz_assign(struct egov_db *db, const char *actor, const char *subject,
                               const char *role_id, bool assign, const char *client_addr,
                               const char *request_id);

/**
 * Grants consumer system @p consumer the calls @p method (or "*") on
 * @p path (trailing "*" = any rest) of service @p service_id, provided by
 * @p provider_agency, on behalf of @p actor (an administrator of
 * @p provider_agency; NULL = command line).  Audited.  Writes the grant id
 * to @p id_out.  Returns EGOV_EC_NONE, AUTHZ_NOT_ADMIN,
 * AUTHZ_PATTERN_INVALID (with @p field) or DB_*.
 */
enum egov_ec egov_authz_grant_add(struct egov_db *db, const char *actor, const char *consumer,
                                  const char *service_id, const char *provider_agency,
                                  const char *method, const char *path, const char *client_addr,
                                  const char *request_id, char id_out[37], const char **field);

/**
 * Revokes grant @p grant_id on behalf of @p actor (an administrator of its
 * provider agency).  Audited.  Returns EGOV_EC_NONE, AUTHZ_GRANT_UNKNOWN,
 * AUTHZ_NOT_ADMIN or DB_*.
 */
enum egov_ec egov_authz_grant_revoke(struct egov_db *db, const char *actor, const char *grant_id,
                                     const char *client_addr, const char *request_id);

/**
 * Everything about agency @p agency an administrator sees: a new JSON
 * object {agency, roles:[{id, name, permissions:[{action, resource}],
 * members:[subject]}], admins:[subject], grants:[{id, consumer,
 * service_id, method, path, revoked}], audit:[{at, actor, action, detail}]}
 * (caller decrefs), or NULL on database errors.
 */
json_t *egov_authz_agency_view(struct egov_db *db, const char *agency);

/**
 * Resolves who is calling: a function a higher module (account: browser
 * sessions; auth: bearer tokens) registers so that authz pages and APIs
 * know the caller.  It writes the subject (principal id) to @p subject and
 * returns true, or returns false if the request carries no identity it
 * knows.  It must not reply.
 */
typedef bool (*egov_authz_caller_fn)(struct egov_req *req, char subject[64]);

/** Registers a caller resolver (at start-up; up to 4).  False if full. */
bool egov_authz_register_caller(egov_authz_caller_fn fn);

/**
 * Finds the caller of @p req through the registered resolvers.  Returns
 * true with @p subject filled, or false after replying 401 (the handler
 * just returns).
 */
bool egov_authz_caller(struct egov_req *req, char subject[64]);

#endif /* EGOV_AUTHZ_H */
