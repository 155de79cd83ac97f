/*
 * oid.h -- the government OID registry under 2.16.886.
 *
 * Three parts:
 *  - OID text and DER: validation of dotted text, DER encoding and decoding
 *    of OBJECT IDENTIFIER values (X.690 8.19) with arcs of any size, as
 *    `openssl asn1parse` and OBJ_txt2obj() read and write them;
 *  - the registry: arcs as a tree (table oid_arc), each with a name, an
 *    optional owning agency (an opaque directory agency id) and its
 *    creator; register a child arc, resolve an OID to its entry and path,
 *    search by name;
 *  - the actor hooks: who is calling, and may they change this arc.  The
 *    account module (sessions) and the authz module (roles) plug in here;
 *    without them only a bearer admin token from oid.admin_token_file is
 *    accepted for changes.  The directory module uses the same hooks.
 *
 * Depends on core, store and http.
 */
#ifndef EGOV_OID_H
#define EGOV_OID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"

/** The oid module: its migrations, routes, start-up and CLI verbs. */
extern const struct egov_module egov_oid_module;

/** The Taiwan country arc (joint-iso-itu-t(2) country(16) tw(886)). */
#define EGOV_OID_TW_ROOT "2.16.886"
/** The government arc 2.16.886.101. */
#define EGOV_OID_GOV_ROOT "2.16.886.101"
/** Longest dotted OID text accepted, without the NUL. */
#define EGOV_OID_TEXT_MAX 255
/** Most arcs in one OID. */
#define EGOV_OID_MAX_ARCS 64
/** Largest DER encoding (tag, length and content) of an accepted OID. */
#define EGOV_OID_DER_MAX 400

/* ------------------------------------------------------------------ */
/* Text and DER                                                        */
/* ------------------------------------------------------------------ */

/**
 * True if @p text is a well-formed dotted OID: at least two arcs, decimal
 * digits without leading zeros, first arc 0..2, second arc 0..39 when the
 * first is 0 or 1, at most EGOV_OID_MAX_ARCS arcs and EGOV_OID_TEXT_MAX
 * bytes.  Arcs may be arbitrarily large (up to 39 digits each).
 */
bool egov_oid_valid(const char *text);

/**
 * Encodes dotted @p text as DER.  With @p tlv true the output is the whole
 * value (tag 0x06, length, content), else only the content octets.
 * Writes at most @p outlen bytes to @p out and returns the length, or -1 if
 * @p text is not valid (egov_oid_valid()) or @p out is too small.
 */
long egov_oid_der_encode(const char *text, bool tlv, uint8_t *out, size_t outlen);

/**
 * Decodes DER @p der[0..len) into dotted text in @p out (NUL-terminated).
 * With @p tlv true @p der must be exactly one OBJECT IDENTIFIER (tag 0x06,
 * a minimal definite length, nothing after it), else it is the content
 * octets.  Rejects empty content, a truncated last arc, non-minimal arc
 * encodings (a leading 0x80 octet) and texts longer than @p outlen - 1.
 * Returns false on any of these.
 */
bool egov_oid_der_decode(const uint8_t *der, size_t len, bool tlv, char *out, size_t outlen);

/**
 * True if @p oid equals @p arc or lies below it (arc by arc, so
 * 2.16.8860 is not under 2.16.886).  Both must be valid.
 */
bool egov_oid_is_under(const char *oid, const char *arc);

/**
 * Writes the parent of @p oid (all but its last arc) into @p out.  False if
 * @p oid has only two arcs (the registry's roots have none) or does not fit.
 */
bool egov_oid_parent(const char *oid, char *out, size_t outlen);

/** Number of arcs of valid @p oid (0 if invalid). */
unsigned int egov_oid_depth(const char *oid);

/* ------------------------------------------------------------------ */
/* Actors and authorization hooks                                      */
/* ------------------------------------------------------------------ */

/** Who is acting on the registry or the directory. */
struct egov_oid_actor {
    char subject[128];   /**< account id, "admin-token" or "cli" */
    char agency_id[37];  /**< the agency the actor administers; "" for none */
    bool platform_admin; /**< may act anywhere */
};

/**
 * Finds the caller of @p req (e.g. from its session cookie or bearer
 * token).  Returns 1 and fills @p out if the request carries a valid
 * principal, 0 if it carries none (the next means are tried), -1 if it
 * carries an invalid one (the request is refused with 401).
 */
typedef int (*egov_oid_actor_fn)(struct egov_req *req, struct egov_oid_actor *out);

/**
 * Decides whether @p actor may do @p action ("oid.register",
 * "directory.agency.write", ...) on something that belongs to agency
 * @p agency_id ("" when it belongs to none).  Returns EGOV_EC_NONE to
 * allow, or the error to answer (usually EGOV_EC_GENERIC_FORBIDDEN).
 * Called after the module's own rule (an agency administrator acts only
 * within its own agency and arc) has allowed it, so it can only narrow.
 */
typedef enum egov_ec (*egov_oid_authorize_fn)(const struct egov_oid_actor *actor,
                                              const char *action, const char *agency_id);

/**
 * Translates the agency an actor carries (@p key: e.g. an agency code, the
 * name authz gives agencies) into the id arcs are owned by
 * (oid_arc.agency_id, the directory's agency id).  Returns true with
 * @p id filled, false when @p key names no known agency (it is then used
 * as it is).
 */
typedef bool (*egov_oid_agency_key_fn)(struct egov_db *db, const char *key, char id[37]);

/** Installs the agency key translation (one; NULL removes it).  Call at start-up. */
void egov_oid_set_agency_key_resolver(egov_oid_agency_key_fn fn);

/** Installs the actor resolver (one; NULL removes it).  Call at start-up. */
void egov_oid_set_actor_resolver(egov_oid_actor_fn fn);
/** Installs the extra authorization decision (one; NULL removes it).  Call at start-up. */
void egov_oid_set_authorizer(egov_oid_authorize_fn fn);

/**
 * Finds who is calling: the installed resolver first, then
 * `Authorization: Bearer TOKEN` against the admin token read at start-up
 * from oid.admin_token_file (a platform administrator).  On failure queues
 * a 401 problem and returns false.
 */
bool egov_oid_actor_from_request(struct egov_req *req, struct egov_oid_actor *out);

/**
 * Sets the admin token (normally read from oid.admin_token_file at
 * start-up; tests set it directly).  NULL or "" disables it.  Copies it.
 */
void egov_oid_set_admin_token(const char *token);

/**
 * The registry's rule for @p actor acting on arc @p arc: a platform
 * administrator anywhere; an agency administrator only on its own
 * agency's arc or below it (looked up in oid_arc by agency, after the
 * agency key translation when one is installed); everybody
 * else nowhere; then the installed authorizer.  Returns EGOV_EC_NONE,
 * EGOV_EC_GENERIC_FORBIDDEN, or a database error code.
 */
enum egov_ec egov_oid_authorize_arc(struct egov_db *db, const struct egov_oid_actor *actor,
                                    const char *action, const char *arc);

/**
 * Runs only the installed authorizer (allowing when none is installed);
 * for modules that have checked their own agency rule already.
 */
enum egov_ec egov_oid_authorize_extra(const struct egov_oid_actor *actor, const char *action,
                                      const char *agency_id);

/**
 * Gives the CSRF token for the forms of the page @p req renders (an arena
 * string), or NULL on failure.  The account module's
 * egov_account_csrf_token() has this shape.
 */
typedef const char *(*egov_oid_csrf_token_fn)(struct egov_req *req);
/**
 * Checks the CSRF token of submitted form @p form; on failure it has
 * already replied 403 and returns false.  The account module's
 * egov_account_csrf_check() has this shape.
 */
typedef bool (*egov_oid_csrf_check_fn)(struct egov_req *req, const json_t *form);

/**
 * Installs the CSRF functions used by the administration forms of the oid
 * and directory pages (the account module's; NULL removes them).  Without
 * them the forms are not shown and form posts are refused with 403.
 */
void egov_oid_set_csrf(egov_oid_csrf_token_fn token, egov_oid_csrf_check_fn check);
/** The CSRF token for the page being rendered, or NULL when none can be given. */
const char *egov_oid_csrf_token(struct egov_req *req);
/** Checks a form post's CSRF token; false after replying 403 (also when none is installed). */
bool egov_oid_csrf_check(struct egov_req *req, const json_t *form);

/* ------------------------------------------------------------------ */
/* The registry                                                        */
/* ------------------------------------------------------------------ */

/** One registered arc. */
struct egov_oid_entry {
    char oid[EGOV_OID_TEXT_MAX + 1];
    char parent[EGOV_OID_TEXT_MAX + 1]; /**< "" for a root */
    char name[256];                     /**< UTF-8 */
    char description[512];
    char agency_id[37]; /**< owning agency, "" for none */
    char created_by[128];
    int64_t created_at; /**< epoch microseconds */
    int64_t updated_at;
};

/**
 * Looks up @p oid.  Returns EGOV_DB_ONE_ROW and fills @p out, EGOV_DB_NO_ROW
 * if it is not registered, or a negative status on a database error.
 */
enum egov_db_qs egov_oid_get(struct egov_db *db, const char *oid, struct egov_oid_entry *out);

/**
 * Resolves @p oid to a JSON object {"oid","name","parent","agency_id",
 * "description","created_at","der":hex,"path":[{"oid","name"}, ... from the
 * root down to the entry],"children":n}.  If @p oid itself is not
 * registered, the nearest registered ancestor is resolved and
 * "exact":false is set.  Returns EGOV_EC_NONE with a new reference in
 * @p *out (caller decrefs), EGOV_EC_OID_INVALID, EGOV_EC_OID_NOT_FOUND (no
 * registered ancestor either) or a database error code.
 */
enum egov_ec egov_oid_resolve(struct egov_db *db, const char *oid, json_t **out);

/**
 * Registers child arc @p arc (a decimal number, or NULL for the next free
 * number under @p parent, starting at 1) under registered @p parent on
 * behalf of @p actor, after egov_oid_authorize_arc() on the parent.
 * @p name is required (1..200 code points), @p description optional,
 * @p agency_id optional (an agency id the arc belongs to).  One
 * transaction.  On success writes the new OID to @p oid_out.  Returns
 * EGOV_EC_NONE, EGOV_EC_OID_INVALID, EGOV_EC_OID_PARENT_NOT_FOUND,
 * EGOV_EC_OID_EXISTS, EGOV_EC_OID_NAME_INVALID, EGOV_EC_GENERIC_FORBIDDEN
 * or a database error code.
 */
enum egov_ec egov_oid_register(struct egov_db *db, const struct egov_oid_actor *actor,
                               const char *parent, const char *arc, const char *name,
                               const char *description, const char *agency_id,
                               char oid_out[EGOV_OID_TEXT_MAX + 1]);

/**
 * Inserts or updates arc @p e->oid as an import does (no authorization:
 * the caller is the operator), inside the caller's transaction on @p c.
 * The parent is @p e->parent when registered, else the nearest registered
 * ancestor, else none.  @p search_key is the folded name, or NULL to fold
 * @p e->name only if something is written.  Returns the number of rows
 * changed (0 when nothing differed) or an error status.
 */
enum egov_db_qs egov_oid_upsert(struct egov_db_conn *c, const struct egov_oid_entry *e,
                                const char *search_key);

/**
 * Searches arcs whose folded name contains the folded @p query (at most
 * @p limit 1..500 results, shortest OID first).  @p *out receives a new
 * JSON array of {"oid","name","agency_id"}.  Returns EGOV_EC_NONE or an
 * error code.
 */
enum egov_ec egov_oid_search(struct egov_db *db, const char *query, unsigned int limit,
                             json_t **out);

/**
 * The registered children of @p oid (NULL: the roots) as a new JSON array
 * of {"oid","name","agency_id","children"} ordered by arc number.
 */
enum egov_ec egov_oid_children(struct egov_db *db, const char *oid, json_t **out);

/**
 * Recomputes the search key of every arc (after the folding changed, e.g.
 * when the Unihan data was installed or updated), in transactions of a few
 * hundred rows.  Writes the number of keys that changed to @p changed.
 * Returns EGOV_EC_NONE or a database error code.
 */
enum egov_ec egov_oid_rekey(struct egov_db *db, unsigned long *changed);

/**
 * Folds a name for searching: NFKC-like width folding (full-width ASCII,
 * ideographic space), ASCII lower case, common variant characters (臺→台
 * and others) to one form, spaces and punctuation removed.  Writes the
 * key into @p out (NUL-terminated; truncated at a character boundary).
 * Uses the hanzi module's folding when it offers one.
 */
void egov_oid_search_key(const char *name, char *out, size_t outlen);

#endif /* EGOV_OID_H */
