/*
 * account.h -- accounts, passwords, second factors, sessions, login pages
 * and the CSRF tokens every HTML form of egov uses.
 *
 * Sessions live in the database (table account_session), so any node
 * behind a load balancer, or a node after a restart, knows every session.
 * The browser holds only a random token in the cookie EGOV_ACCOUNT_COOKIE;
 * the database holds its SHA-256.
 *
 * Pages this module serves (zh-TW and English, no JavaScript needed):
 *   GET/POST /login?return_to=/local/path[&prompt=login][&login_hint=ID]
 *            password step; with TOTP enabled it continues at
 *   GET/POST /login/otp?return_to=...    second factor (TOTP or recovery code)
 *   POST     /logout                      (form with csrf_token; return_to optional)
 *   GET/POST /register, GET /register/verify?token=..., GET/POST /password/reset[...]
 *   GET      /account (sessions, TOTP, recovery codes, phone number, deactivate)
 *            and its forms
 *   GET      /dev/mailbox  development mailbox (only with account.dev_mailbox on)
 *
 * Configuration: account.dev_mailbox (show outgoing mail at /dev/mailbox;
 * development only) and account.secret_key_file (64 hex digits; TOTP
 * secrets are sealed with AES-256-GCM under it; when empty the node uses
 * PATHS.VAR/account-secret.key, made with mode 0600 on first start).  Jobs: account.mail
 * (delivers mail from the outbox) and account.cleanup (hourly: ended
 * sessions, expired tokens).  CLI: egov account add|show|unlock.
 *
 * Other modules send a browser to the login page with
 *   303 Location: /login?return_to=<url-encoded local path and query>
 * (egov_account_require() does it for them).  return_to must be a local
 * path ("/..." but not "//..." nor "/\..."); anything else is replaced by
 * "/", so the login page is never an open redirect.  prompt=login forces a
 * new password step even if a session exists (OIDC prompt=login / max_age).
 */
#ifndef EGOV_ACCOUNT_H
#define EGOV_ACCOUNT_H

#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"

/** The account module: its migrations, routes, start-up and CLI verbs. */
extern const struct egov_module egov_account_module;

/** Name of the session cookie (HttpOnly; Secure; SameSite=Lax). */
#define EGOV_ACCOUNT_COOKIE "egov_session"
/** Name of the cookie the CSRF tokens are bound to. */
#define EGOV_ACCOUNT_CSRF_COOKIE "egov_csrf"
/** Name of the hidden form field carrying the CSRF token. */
#define EGOV_ACCOUNT_CSRF_FIELD "csrf_token"

/** Authentication methods (RFC 8176 amr values) a session may record. */
#define EGOV_ACCOUNT_AMR_PWD "pwd" /**< password */
#define EGOV_ACCOUNT_AMR_OTP "otp" /**< TOTP code or recovery code */
#define EGOV_ACCOUNT_AMR_HWK "hwk" /**< key held in hardware (certificate login) */
#define EGOV_ACCOUNT_AMR_SC  "sc"  /**< smart card */
#define EGOV_ACCOUNT_AMR_MFA "mfa" /**< added automatically when two factors were used */

/**
 * Authentication context classes (acr).  Derived from the amr values:
 * password only = LOW; password + second factor = SUBSTANTIAL;
 * certificate (hwk/sc) = HIGH.
 */
#define EGOV_ACCOUNT_ACR_LOW         "urn:egov:loa:1"
#define EGOV_ACCOUNT_ACR_SUBSTANTIAL "urn:egov:loa:2"
#define EGOV_ACCOUNT_ACR_HIGH        "urn:egov:loa:3"

/** Most amr values a session records. */
#define EGOV_ACCOUNT_MAX_AMR 4

/** A session as egov_account_session_current() and _create() return it. */
struct egov_account_session {
    char id[37];           /**< public session id (UUID); not the cookie secret */
    char account_id[37];   /**< the account (UUID) */
    char principal_id[37]; /**< the person the account belongs to (UUID, stable) */
    char name[256];        /**< display name of the account holder (UTF-8) */
    char national_id[16];  /**< national ID / resident certificate number, "" if none */
    int64_t auth_time;     /**< when the user last authenticated, epoch SECONDS (OIDC auth_time) */
    int64_t created_us;    /**< session start, epoch microseconds */
    int64_t expires_us;    /**< absolute expiry, epoch microseconds */
    unsigned int n_amr;    /**< number of entries in @c amr */
    char amr[EGOV_ACCOUNT_MAX_AMR][8]; /**< e.g. {"pwd","otp","mfa"} */
    char acr[32];                      /**< one of EGOV_ACCOUNT_ACR_* */
};

/* ------------------------------------------------------------------ */
/* Sessions                                                            */
/* ------------------------------------------------------------------ */

/**
 * Reads the session cookie of @p req, looks the session up in the database
 * and fills @p out.  A session is valid if it is neither revoked nor past
 * its idle or absolute expiry and its account is active.
 * Returns EGOV_DB_ONE_ROW (valid session, @p out filled), EGOV_DB_NO_ROW
 * (no cookie or no valid session; @p out zeroed) or an error status
 * (the caller answers 503/500; nothing has been replied).
 */
enum egov_db_qs egov_account_session_current(struct egov_req *req,
                                             struct egov_account_session *out);

/**
 * Starts a session for account @p account_id after a successful login by
 * any method (password, password + TOTP, certificate): stores it, records
 * the login in the audit log and in accounting, and sets the session
 * cookie on the response that @p req will send (so call it before the
 * reply).  @p amr lists the methods used (1..EGOV_ACCOUNT_MAX_AMR-1
 * EGOV_ACCOUNT_AMR_* strings; "mfa" is added when two factors were used);
 * acr is derived from them.  A previous session cookie of the browser is
 * revoked (no session fixation).  @p out (may be NULL) receives the new
 * session.  Returns EGOV_DB_ONE_ROW on success, EGOV_DB_NO_ROW if the
 * account does not exist or is not active, or an error status.
 */
enum egov_db_qs egov_account_session_create(struct egov_req *req, const char *account_id,
                                            const char *const *amr, unsigned int n_amr,
                                            struct egov_account_session *out);

/**
 * Revokes session @p session_id (public id).  If @p account_id is not NULL
 * the session must belong to that account.  Audited with @p req's address
 * and request id when @p req is not NULL.  Returns EGOV_DB_ONE_ROW if a
 * live session was revoked, EGOV_DB_NO_ROW if there was none, or an error.
 */
enum egov_db_qs egov_account_session_revoke(struct egov_db *db, struct egov_req *req,
                                            const char *session_id, const char *account_id);

/**
 * Ends the browser's current session (if any): revokes it and deletes the
 * cookie on the response @p req will send.  For RP-initiated logout.
 * Returns EGOV_DB_ONE_ROW if a session was ended, EGOV_DB_NO_ROW if there
 * was none, or an error status.
 */
enum egov_db_qs egov_account_logout(struct egov_req *req);

/** What egov_account_require() asks of a session. */
struct egov_account_requirement {
    const char *min_acr; /**< NULL or one of EGOV_ACCOUNT_ACR_*: at least this level */
    int64_t max_age_s;   /**< 0 or: authenticated at most this many seconds ago */
};

/**
 * Guards a handler: fills @p out and returns true if @p req has a valid
 * session meeting @p need (may be NULL).  Otherwise it has already
 * replied and returns false: browsers (HTML) get 303 to
 * /login?return_to=<this path and query> (with prompt=login when the
 * session is too old or too weak), API clients get 401 problem
 * GENERIC_UNAUTHORIZED (503 on database errors).
 */
bool egov_account_require(struct egov_req *req, const struct egov_account_requirement *need,
                          struct egov_account_session *out);

/* ------------------------------------------------------------------ */
/* Passwords and accounts                                              */
/* ------------------------------------------------------------------ */

/** Outcome of egov_account_verify_password(). */
enum egov_account_verdict {
    EGOV_ACCOUNT_OK = 0,          /**< the password is right; account_id filled */
    EGOV_ACCOUNT_BAD_CREDENTIALS, /**< unknown login or wrong password (not told apart) */
    EGOV_ACCOUNT_LOCKED,          /**< too many failures for this account; wait */
    EGOV_ACCOUNT_THROTTLED,       /**< too many failures from this address; wait */
    EGOV_ACCOUNT_INACTIVE, /**< right password, but the account is unverified or deactivated */
    EGOV_ACCOUNT_ERROR,    /**< database or library failure */
};

/**
 * Checks @p password for the account whose login is @p login (national ID
 * or e-mail address, case-insensitive).  The password is NFKC-normalised
 * first; the stored hash is Argon2id.  Failures count against the
 * account (lockout with growing delays) and against @p client_addr
 * (throttling; may be NULL); every attempt is audited with
 * @p request_id (may be NULL).  On EGOV_ACCOUNT_OK writes the account id
 * to @p account_id and whether the account has TOTP to @p has_totp (may be
 * NULL); on LOCKED/THROTTLED writes the seconds to wait to @p retry_after_s
 * (may be NULL).  The time taken does not reveal whether the login exists.
 */
enum egov_account_verdict egov_account_verify_password(struct egov_db *db, const char *login,
                                                       const char *password,
                                                       const char *client_addr,
                                                       const char *request_id, char account_id[37],
                                                       bool *has_totp, unsigned int *retry_after_s);

/** Why egov_account_password_check() rejects a password (0 = acceptable). */
enum egov_account_pw_problem {
    EGOV_ACCOUNT_PW_OK = 0,
    EGOV_ACCOUNT_PW_TOO_SHORT, /**< fewer than 8 characters (after NFKC) */
    EGOV_ACCOUNT_PW_TOO_LONG,  /**< more than 128 characters */
    EGOV_ACCOUNT_PW_INVALID,   /**< not UTF-8, or contains control characters */
    EGOV_ACCOUNT_PW_COMMON,    /**< on the blocklist of common passwords */
    EGOV_ACCOUNT_PW_CONTEXT,   /**< contains the national ID, name or e-mail, or "egov" */
};

/**
 * Checks a new password against the rules of NIST SP 800-63B 5.1.1.2:
 * 8..128 characters after NFKC normalisation (spaces and any Unicode
 * allowed, no composition rules), not on the blocklist of common
 * passwords, not built from the context words @p context
 * (NULL-terminated list, may be NULL: national ID, name, e-mail).
 * The blocklist is read at run time (account.password_blocklist_file, or
 * Debian's cracklib dictionary, plus a built-in list) into a hash set.
 */
enum egov_account_pw_problem egov_account_password_check(const char *password,
                                                         const char *const *context);

/**
 * Normalises @p in to Unicode NFKC into @p out (size @p outlen).  Returns
 * false if @p in is not valid UTF-8 or does not fit.
 */
bool egov_account_nfkc(const char *in, char *out, size_t outlen);

/**
 * Makes an Argon2id hash string of @p password (NFKC-normalised) with its
 * parameters and salt in PHC form ("$argon2id$v=19$m=...,t=...,p=...$...")
 * into @p out (at least 128 bytes).  False on failure.
 */
bool egov_account_password_hash(const char *password, char *out, size_t outlen);

/** The account fields egov_account_add() takes. */
struct egov_account_new {
    const char *national_id; /**< required for citizens; validated (checksum) */
    const char *name;        /**< display name, 1..100 characters */
    const char *email;       /**< NULL or an address; must be unique */
    const char *password;    /**< checked with egov_account_password_check() */
    bool active; /**< true: usable at once (CLI, admin); false: awaits e-mail verification */
};

/**
 * Creates an account in one transaction (audited as "account.create" by
 * @p actor, may be NULL for the CLI).  Writes the new id to @p id_out.
 * Returns EGOV_EC_NONE, or the error registry code naming what was wrong
 * (ACCOUNT_NATIONAL_ID_INVALID, ACCOUNT_PASSWORD_*, ACCOUNT_EXISTS, DB_*).
 * @p field (may be NULL) receives the offending field name.
 */
enum egov_ec egov_account_add(struct egov_db *db, const struct egov_account_new *in,
                              const char *actor, char id_out[37], const char **field);

/**
 * Finds the active account of national ID @p national_id (for certificate
 * login: the certificate's subject serial names it).  Returns
 * EGOV_DB_ONE_ROW with the id in @p account_id, EGOV_DB_NO_ROW, or an error.
 */
enum egov_db_qs egov_account_find_by_national_id(struct egov_db *db, const char *national_id,
                                                 char account_id[37]);

/** A person's contact points, as egov_account_contacts() reads them. */
struct egov_account_contacts {
    char email[255];     /**< e-mail address (lower case), "" if none */
    bool email_verified; /**< the person followed the link mailed to @c email */
    char phone[17];      /**< phone number in E.164 form ("+886912345678"), "" if none */
    bool phone_verified; /**< the person proved they receive messages at @c phone */
};

/**
 * Reads the contact points of the person @p principal_id (the stable
 * principal id, as OIDC grants record it) from their active account into
 * @p out, with whether each has been verified (OIDC email_verified,
 * phone_number_verified).  Returns EGOV_DB_ONE_ROW, EGOV_DB_NO_ROW (no
 * active account; @p out zeroed) or an error status.
 */
enum egov_db_qs egov_account_contacts(struct egov_db *db, const char *principal_id,
                                      struct egov_account_contacts *out);

/**
 * Writes one row to the account audit log (table account_audit): who
 * (@p actor, an account id or "system"), what (@p event, e.g.
 * "login.failure"), about which account (@p account_id, may be NULL),
 * from where (@p client_addr) and in which request (@p request_id), with
 * optional JSON @p detail (borrowed).  Runs on @p c inside the caller's
 * transaction.  Returns the status of the insert.
 */
enum egov_db_qs egov_account_audit(struct egov_db_conn *c, const char *actor, const char *event,
                                   const char *account_id, const char *client_addr,
                                   const char *request_id, const json_t *detail);

/** The client's address of @p req ("127.0.0.1", "::1"), in its arena; "" if unknown. */
const char *egov_account_client_addr(struct egov_req *req);

/**
 * Checks the key file sealing TOTP secrets as configuration @p cfg names
 * it (account.secret_key_file, or PATHS.VAR/account-secret.key when that
 * is empty) for `egov config check`: it must hold 64 hex digits and be
 * readable by its owner only.  Returns false with the problem in @p msg
 * (naming the key and the file); true with @p msg empty, or with a note
 * when the default file does not exist yet (a node makes it on first
 * start).
 */
bool egov_account_secret_key_check(const struct egov_config *cfg, char *msg, size_t msglen);

/**
 * Checks the password blocklist setting of @p cfg for `egov config check`:
 * false with the problem in @p msg if account.password_blocklist_file
 * names a file that cannot be read; true otherwise, with a note in
 * @p msg when the setting is empty and the cracklib dictionary is not
 * installed (only the built-in list would be used).
 */
bool egov_account_blocklist_check(const struct egov_config *cfg, char *msg, size_t msglen);

/* ------------------------------------------------------------------ */
/* CSRF tokens for every HTML form of every module                     */
/* ------------------------------------------------------------------ */

/**
 * Returns the CSRF token for forms on the page @p req renders (arena
 * string, NULL on OOM).  Put it in every form that changes something:
 *
 *     <input type="hidden" name="csrf_token" value="{{csrf_token}}">
 *
 * The token is an HMAC, under a key shared by all nodes (kept in the
 * database), of a random per-browser value kept in the cookie
 * EGOV_ACCOUNT_CSRF_COOKIE (set on this response if the browser has
 * none).  Tokens do not expire while the browser keeps its cookie.
 */
const char *egov_account_csrf_token(struct egov_req *req);

/**
 * Checks the CSRF token of a submitted form: @p form is the parsed form
 * body (req->form of an EGOV_ROUTE_FORM_BODY route) and must hold
 * EGOV_ACCOUNT_CSRF_FIELD matching the browser's cookie.  Returns true if
 * it does.  Otherwise it has already replied 403 GENERIC_CSRF and
 * returns false; the handler just returns, having changed nothing.
 * JSON APIs do not need it (a cross-site page cannot send
 * application/json without CORS, which egov does not allow).
 */
bool egov_account_csrf_check(struct egov_req *req, const json_t *form);

#endif /* EGOV_ACCOUNT_H */
