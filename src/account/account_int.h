/*
 * account_int.h -- what the files of the account module share.  Not part
 * of the public API (that is account.h).
 */
#ifndef EGOV_ACCOUNT_INT_H
#define EGOV_ACCOUNT_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "account/account.h"
#include "crypto/crypto.h"

/* ------------------------------------------------------------------ */
/* Limits and lifetimes                                                */
/* ------------------------------------------------------------------ */

#define ACCOUNT_PW_MIN            8u
#define ACCOUNT_PW_MAX            128u  /* code points, after NFKC */
#define ACCOUNT_PW_MAX_BYTES      1024u /* raw form field bytes */
#define ACCOUNT_NAME_MAX          100u
#define ACCOUNT_EMAIL_MAX         254u
#define ACCOUNT_PHONE_MAX         16u                     /* "+" and at most 15 digits (E.164) */
#define ACCOUNT_SESSION_IDLE_US   (2LL * 3600 * 1000000)  /* 2 hours */
#define ACCOUNT_SESSION_ABS_US    (12LL * 3600 * 1000000) /* 12 hours */
#define ACCOUNT_SESSION_TOUCH_US  (60LL * 1000000)        /* last_seen granularity */
#define ACCOUNT_LOGIN_STEP_US     (5LL * 60 * 1000000)    /* second-factor step */
#define ACCOUNT_VERIFY_TOKEN_US   (24LL * 3600 * 1000000)
#define ACCOUNT_RESET_TOKEN_US    (30LL * 60 * 1000000)
#define ACCOUNT_LOCK_AFTER        5  /* failures before the first lockout */
#define ACCOUNT_LOCK_BASE_S       60 /* first lockout; doubles per further failure */
#define ACCOUNT_LOCK_MAX_S        3600
#define ACCOUNT_ADDR_WINDOW_US    (15LL * 60 * 1000000)
#define ACCOUNT_ADDR_MAX_FAIL     50 /* failures per address and window */
#define ACCOUNT_OTP_MAX_TRIES     5  /* per second-factor step */
#define ACCOUNT_MAIL_MAX_PER_ADDR 10 /* registration and reset mails per address and window */
#define ACCOUNT_RECOVERY_CODES    10
#define ACCOUNT_RECOVERY_LEN      24 /* "xxxx-xxxx-xxxx-xxxx" and NUL */
#define ACCOUNT_TXN_RETRIES       10
#define ACCOUNT_ACQUIRE_MS        5000
#define ACCOUNT_MAIL_QUEUE        "account.mail"
#define ACCOUNT_CLEANUP_QUEUE     "account.cleanup"
#define ACCOUNT_LOGIN_COOKIE      "egov_login" /* pending second-factor step */

/* ------------------------------------------------------------------ */
/* Helpers (util.c)                                                    */
/* ------------------------------------------------------------------ */

/** SHA-256 of @p s as 64 hex digits into @p out. */
void account_hash_hex(const char *s, char out[65]);
/**
 * Runs @p fn in a transaction on a connection from @p db.  Returns the
 * body's status, or EGOV_DB_HARD_ERROR if no connection could be had.
 */
enum egov_db_qs account_txn(struct egov_db *db, bool write, egov_db_txn_fn fn, void *cls);
/** True if @p s is a safe local redirect target ("/x", not "//x", no "\", no controls). */
bool account_local_path(const char *s);
/** A form field as a string (borrowed from the form), or NULL. */
const char *account_form_str(const json_t *form, const char *name);
/** Replies with the problem of a database status (503 soft, 500 hard). */
void account_reply_db_error(struct egov_req *req, enum egov_db_qs qs);
/** Adds "csrf_token", "lang" and "return_to" (if not NULL) to page data @p data. */
bool account_page_common(struct egov_req *req, json_t *data, const char *return_to);
/** Percent-encodes @p s for a query string into the arena. */
char *account_urlencode(struct egov_req *req, const char *s);
/** Lower-cases ASCII letters of @p s in place. */
void account_ascii_lower(char *s);
/** True if @p s looks like an e-mail address (one @, a dot after it, no spaces). */
bool account_email_valid(const char *s);
/** True if @p s is a valid national ID or resident certificate number (checksum). */
bool account_national_id_valid(const char *s);
/** The node's public URL base ("http://127.0.0.1:8080") for links in mail, or "". */
const char *account_public_url(void);
/** Set by module init from the configuration. */
void account_set_public_url(const char *url);
/** True if the development mailbox page is enabled. */
bool account_dev_mailbox_enabled(void);

/* ------------------------------------------------------------------ */
/* Passwords (password.c)                                              */
/* ------------------------------------------------------------------ */

/** The blocklist read when account.password_blocklist_file is empty (cracklib-runtime). */
#define ACCOUNT_BLOCKLIST_DEFAULT "/usr/share/dict/cracklib-small"
/**
 * NFKC-normalises and case-folds (Unicode full folding) @p in into @p out.
 * False if it is not UTF-8 or does not fit.
 */
bool account_fold(const char *in, char *out, size_t outlen);
/**
 * Reads the password blocklist into a new hash set and makes it the one
 * in use: from @p path, or with "" from ACCOUNT_BLOCKLIST_DEFAULT if it is
 * there, with the compiled-in list added.  Call before serving (the old
 * set is freed).  False (after logging why, the old set kept) if @p path
 * cannot be read.
 */
bool account_blocklist_load(const char *path);
/**
 * True if @p password (NFKC, any case) is on the blocklist.  Loads the
 * default list on first use if account_blocklist_load() was not called.
 */
bool account_blocklist_has(const char *password);
/** Number of entries of the blocklist in use; its source goes to @p source. */
size_t account_blocklist_info(char *source, size_t sourcelen);

/**
 * Verifies @p password against Argon2id string @p encoded.  A NULL
 * @p encoded verifies against a dummy hash so timing does not tell.
 */
bool account_password_verify(const char *encoded, const char *password);

/* ------------------------------------------------------------------ */
/* TOTP (totp.c)                                                       */
/* ------------------------------------------------------------------ */

#define ACCOUNT_TOTP_SECRET_LEN 20 /* bytes, as RFC 4226 recommends (160 bits) */
#define ACCOUNT_TOTP_STEP_S     30
#define ACCOUNT_TOTP_DIGITS     6

/** Base32 (RFC 4648, no padding) of @p n bytes into @p out (8*ceil(n/5)/5+1 bytes). */
void account_base32_encode(const uint8_t *p, size_t n, char *out, size_t outlen);
/** Decodes base32 (case-insensitive, no padding); returns bytes or -1. */
long account_base32_decode(const char *s, uint8_t *out, size_t outlen);
/** The RFC 6238 code of @p key at time step @p step (HMAC-SHA-1, 6 digits). */
bool account_totp_code(const uint8_t *key, size_t keylen, uint64_t step, unsigned int *code);
/**
 * Checks @p code (6 digits) against @p key at @p now_s, accepting one step
 * of clock drift either way, and only steps after @p last_step (no
 * replay).  On success writes the matching step to @p step_out.
 */
bool account_totp_verify(const uint8_t *key, size_t keylen, const char *code, int64_t now_s,
                         int64_t last_step, int64_t *step_out);
/** Sets (or with NULL forgets) the key sealing TOTP secrets at rest. */
void account_secret_key_set(const uint8_t key[32]);
/** File name of the key sealing TOTP secrets when account.secret_key_file is empty. */
#define ACCOUNT_SECRET_KEY_NAME "account-secret.key"
/**
 * The key file to use: @p configured (account.secret_key_file) if not
 * empty, else @p vardir/ACCOUNT_SECRET_KEY_NAME.  False if it does not fit.
 */
bool account_secret_key_path(const char *configured, const char *vardir, char *out, size_t outlen);
/**
 * Reads the key from a file of 64 hex digits that only its owner may read
 * and makes it the sealing key.  With @p create, a missing file is made
 * first (random key, mode 0600).  False (after logging why) if unusable.
 */
bool account_secret_key_load(const char *path, bool create);
/**
 * Seals base32 secret @p plain of @p account_id into @p out ("v1:" and
 * base64url of nonce, ciphertext and tag).  False if no key is set, it
 * does not fit or OpenSSL fails (secrets are never stored in clear).
 */
bool account_secret_seal(const char *plain, const char *account_id, char *out, size_t outlen);
/**
 * Opens what account_secret_seal() stored (a plain value stored before
 * secrets were sealed passes through; account_secret_is_sealed() tells
 * them apart).  False if the key is missing or wrong, or the value was
 * altered or belongs to another account.
 */
bool account_secret_open(const char *stored, const char *account_id, char *out, size_t outlen);
/** True if @p stored is a sealed secret, false for a clear one from before. */
bool account_secret_is_sealed(const char *stored);
/**
 * Replaces the clear secret @p clear of @p account_id by its sealed form
 * inside the caller's transaction (if it is still the stored value).
 * ONE_ROW if replaced, NO_ROW if the value had changed, or an error
 * (HARD_ERROR also when no key is set).
 */
enum egov_db_qs account_secret_reseal(struct egov_db_conn *c, const char *account_id,
                                      const char *clear);
/**
 * Seals every TOTP secret still stored in clear (from before secrets were
 * sealed by default), one transaction per account.  Returns how many were
 * sealed, or -1 on errors.
 */
int64_t account_secret_seal_all(struct egov_db *db);
/**
 * Renders @p text as a QR code (libqrencode) in an SVG document and returns
 * it as a data: URI (malloc'd; caller frees) for an <img src>; NULL on failure.
 */
char *account_qr_data_uri(const char *text);

/* ------------------------------------------------------------------ */
/* Accounts (store.c)                                                  */
/* ------------------------------------------------------------------ */

/** An account row. */
struct account_row {
    char id[37];
    char principal_id[37];
    char national_id[16];
    char email[ACCOUNT_EMAIL_MAX + 1];
    char name[256];
    char state[16];
    bool email_verified;
    bool totp_enabled;
    char totp_secret[160]; /* as stored: sealed ("v1:...") or base32 */
    int64_t totp_last_step;
    int64_t created_at;
};

/**
 * Validates a new account: national ID (upper-cased into @p nid), name,
 * e-mail (lower-cased into @p email, "" if none) and password rules.
 * Returns EGOV_EC_NONE or the code, with the field in @p field.
 */
enum egov_ec account_validate_new(const struct egov_account_new *in, char nid[16],
                                  char email[ACCOUNT_EMAIL_MAX + 1], const char **field);
/**
 * egov_account_add() with the caller's address and request id for the
 * audit, and @p then (may be NULL) run in the same transaction after the
 * insert (with the new id already in @p id_out), e.g. to enqueue the
 * verification mail.
 */
enum egov_ec account_add_full(struct egov_db *db, const struct egov_account_new *in,
                              const char *actor, const char *addr, const char *rid, char id_out[37],
                              const char **field,
                              enum egov_db_qs (*then)(struct egov_db_conn *, void *),
                              void *then_cls);
/**
 * Normalises phone number @p in ("+886 912-345-678") to E.164
 * ("+886912345678") into @p out.  False if it is not a number in
 * international form.
 */
bool account_phone_normalise(const char *in, char out[ACCOUNT_PHONE_MAX + 1]);
/**
 * Sets the (normalised) phone number of @p account_id inside the caller's
 * transaction, unverified, and audits it.  NO_ROW if another account has
 * that number.
 */
enum egov_db_qs account_phone_set(struct egov_db_conn *c, const char *account_id,
                                  const char *phone);
/**
 * account_add_full() that, when the national ID or e-mail address is
 * already taken, calls @p on_exists (may be NULL) with the existing
 * accounts (rows of id and e-mail address, "" if none; borrowed) in the
 * same transaction, which commits unless it returns an error, and then
 * returns ACCOUNT_EXISTS.  @p cls goes to both callbacks.
 * Self-registration uses it to tell the owner instead of the caller.
 */
enum egov_ec account_add_or_notify(
    struct egov_db *db, const struct egov_account_new *in, const char *actor, const char *addr,
    const char *rid, char id_out[37], const char **field,
    enum egov_db_qs (*then)(struct egov_db_conn *, void *),
    enum egov_db_qs (*on_exists)(struct egov_db_conn *, const struct egov_db_rows *, void *),
    void *cls);
/** Switches the development mailbox page on or off (module init). */
void account_set_dev_mailbox(bool on);
/**
 * Counts one failed sign-in step (password or second factor) against
 * @p account_id on @p c and, from the fifth failure in a row on, locks the
 * account for 1, 2, 4 ... minutes (at most an hour); the lock's end goes
 * to @p lock_until (0 if none).
 */
enum egov_db_qs account_fail(struct egov_db_conn *c, const char *account_id, int64_t now,
                             int64_t *lock_until);
/** Forgets the failures and any lock of @p account_id (after a complete sign-in). */
enum egov_db_qs account_fail_reset(struct egov_db_conn *c, const char *account_id, int64_t now);
/**
 * Counts one use of a limited action (mail sending) under @p key in the
 * throttle table and sets @p over if more than @p max happened in the
 * current window (ACCOUNT_ADDR_WINDOW_US).
 */
enum egov_db_qs account_throttle_take(struct egov_db_conn *c, const char *key, int64_t max,
                                      bool *over);
/** Loads account @p id on @p c.  ONE_ROW, NO_ROW or an error. */
enum egov_db_qs account_load(struct egov_db_conn *c, const char *id, struct account_row *out);
/** Same as account_load() with its own connection. */
enum egov_db_qs account_load_db(struct egov_db *db, const char *id, struct account_row *out);
/** Runs egov_account_audit() in a transaction of its own. */
void account_audit_db(struct egov_db *db, const char *actor, const char *event,
                      const char *account_id, const char *client_addr, const char *request_id,
                      const json_t *detail);
/**
 * Makes a single-use token of @p purpose ("verify", "reset") for
 * @p account_id valid @p ttl_us, inside the caller's transaction; writes
 * the token (the secret the user gets) to @p token (44 bytes).
 */
enum egov_db_qs account_token_issue(struct egov_db_conn *c, const char *account_id,
                                    const char *purpose, int64_t ttl_us, char token[44]);
/**
 * Consumes token @p token of @p purpose inside the caller's transaction:
 * ONE_ROW with the account id in @p account_id, NO_ROW if unknown, used or
 * expired, or an error.
 */
enum egov_db_qs account_token_use(struct egov_db_conn *c, const char *token, const char *purpose,
                                  char account_id[37]);
/** Enqueues an e-mail through the outbox inside the caller's transaction. */
enum egov_db_qs account_mail_enqueue(struct egov_db_conn *c, const char *to, const char *subject,
                                     const char *body, const char *link);
/** The job handler delivering account.mail jobs (to the development mailbox). */
enum egov_job_result account_mail_job(struct egov_db *db, const char *job_id, const char *payload,
                                      void *cls);

/* ------------------------------------------------------------------ */
/* Clean-up (cleanup.c)                                                */
/* ------------------------------------------------------------------ */

/**
 * Deletes, as of @p now, sessions ended more than a day ago, expired
 * tokens and sign-in steps, and old throttle windows.  Returns the rows
 * removed, or -1 on database errors.
 */
int64_t account_cleanup_run(struct egov_db *db, int64_t now);
/** Enqueues the clean-up job unless one is waiting.  False on database errors. */
bool account_cleanup_schedule(struct egov_db *db, unsigned int delay_ms);
/** The clean-up job handler (runs account_cleanup_run, then schedules the next run). */
enum egov_job_result account_cleanup_job(struct egov_db *db, const char *job_id,
                                         const char *payload, void *cls);

/* ------------------------------------------------------------------ */
/* Sessions and CSRF (session.c, csrf.c)                               */
/* ------------------------------------------------------------------ */

/** Derives acr from amr values. */
const char *account_acr_of(const char *const *amr, unsigned int n);
/** Forgets the cached CSRF key (tests that reopen databases). */
void account_csrf_reset(void);

/* ------------------------------------------------------------------ */
/* Route tables of the pages                                           */
/* ------------------------------------------------------------------ */

extern const struct egov_route_table account_routes;

/** The `egov account` verb. */
int account_cli_run(int argc, char **argv, const struct egov_module_env *env);

/**
 * The page layout's question (egov_http_set_viewer): the display name of
 * who is signed in on @p req, looked up without waiting long for a
 * connection and without recording a visit.  False for nobody.
 */
bool account_session_peek(struct egov_req *req, char *name, size_t n);

#endif /* EGOV_ACCOUNT_INT_H */
