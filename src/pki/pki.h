/*
 * pki.h -- the platform's certificate authority service, standing in for
 * MOICA (citizens) and GCA (agencies): a root and three issuing CAs
 * (citizen, agency, server), certificates issued from PKCS#10 requests,
 * revocation, CRLs, an OCSP responder, certificate login, and chain and
 * signature checks for other modules (the gateway verifies agency
 * systems' message signatures with egov_pki_verify_signed()).
 *
 * The cryptography is in the crypto layer (crypto.h, "PKI" section); this
 * module keeps the state: CA certificates, issued certificates and their
 * status, CRLs and login challenges in the database; CA private keys in
 * the key store directory PATHS.VAR/pki/keys (0700, one 0600 file per key).
 *
 * HTTP (public, no session needed):
 *   GET  /pki/ca/{name}.crt | .pem    CA certificate (DER | PEM); name is
 *                                     root, citizen, agency or server
 *   GET  /pki/crl/{name}.crl          current CRL of a CA (DER)
 *   POST /pki/ocsp                    OCSP (application/ocsp-request)
 *   GET  /pki/ocsp/{base64 request}   OCSP by GET (RFC 6960 A.1)
 *   GET  /api/pki/certificates/{serial}  status and details of a certificate
 *   POST /api/pki/verify              {"certificate": PEM} -> chain and status check
 * Platform administrators (egov_authz_is_admin(subject, "*")):
 *   POST /api/pki/certificates        {"ca","csr",...subject fields} -> 201 with the PEM
 *   POST /api/pki/certificates/{serial}/revoke   {"reason"?}
 * Administrators of an agency (or of one above it, or of the platform),
 * {code} being the agency code (機關代碼) authz names agencies by:
 *   POST /api/pki/agencies/{code}/certificates   {"csr","system_id","name"?,"days"?}
 *                                     -> 201 {certificate, serial, not_after, ...};
 *                                     others 403, audited in the agency's authz log
 *   GET, POST /pki/agencies/{code}/certificates  the same as a page with a form
 * Certificate login:
 *   POST /api/pki/challenges          new challenge bound to a cookie
 *   POST /api/pki/login               {"challenge_id","certificate","signature"} or {"response"}
 *   GET  /pki/login, POST /pki/login  the same as a page with a form
 * CLI: egov pki init|issue|revoke|crl|ca|show|sign-challenge
 */
#ifndef EGOV_PKI_H
#define EGOV_PKI_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "http/http.h"

/** The pki module: its migrations, routes, start-up and CLI verbs. */
extern const struct egov_module egov_pki_module;

/** Names of the CAs of the hierarchy. */
#define EGOV_PKI_CA_ROOT    "root"
#define EGOV_PKI_CA_CITIZEN "citizen"
#define EGOV_PKI_CA_AGENCY  "agency"
#define EGOV_PKI_CA_SERVER  "server"

/** Job queue of CRL regeneration. */
#define EGOV_PKI_CRL_QUEUE "pki.crl"

/** Lifetime of a login challenge. */
#define EGOV_PKI_CHALLENGE_TTL_S 300
/** Name of the cookie a login challenge is bound to. */
#define EGOV_PKI_CHALLENGE_COOKIE "egov_pki_challenge"

/**
 * Opens the key store PATHS.VAR/pki/keys for this process (creating it if
 * @p create).  Called by the module's start-up and by CLI verbs; without
 * it, issuing, CRLs and OCSP answer 503.  False with @p err filled.
 */
bool egov_pki_open(const char *vardir, bool create, char *err, size_t errlen);
/** Closes the key store opened by egov_pki_open().  Safe to call twice. */
void egov_pki_close(void);

/**
 * Creates the hierarchy once: four P-256 keys, the self-signed root (20
 * years), three issuing CAs (10 years) and their first CRLs.  URLs in the
 * certificates (AIA OCSP and caIssuers, CRL distribution points) start
 * with @p base_url ("http://host:port", no trailing slash).
 * PKI_ALREADY_INITIALISED if a root exists.
 */
enum egov_ec egov_pki_init(struct egov_db *db, const char *base_url, char *err, size_t errlen);

/** What an end-entity certificate says about its holder (strings borrowed). */
struct egov_pki_subject {
    const char *name;        /**< CN: the person's, system's or host's name */
    const char *national_id; /**< citizen: recorded (for login); in the certificate
                                  only if @c id_in_subject */
    bool id_in_subject;      /**< citizen: put the national ID into serialNumber
                                  instead of a pseudonym */
    const char *agency_code; /**< agency: 機關代碼, becomes serialNumber */
    const char *agency_name; /**< agency: O */
    const char *system_id;   /**< agency: the consumer/provider system, becomes OU */
    const char *const *dns;  /**< server: DNS names */
    size_t ndns;
    unsigned int days; /**< 0 = the profile's default (citizen 1826, agency 1095,
                            server 397) */
};

/** An issued certificate as the database records it. */
struct egov_pki_cert {
    struct egov_cert_info info;
    char ca[16];          /**< issuing CA name */
    char status[16];      /**< "good" or "revoked" */
    char national_id[16]; /**< citizen certificates: the holder's ID, else "" */
    char pseudonym[40];   /**< citizen certificates: the subject serialNumber, else "" */
    char agency_code[32];
    char system_id[80];
    int64_t revoked_at_us;
    int reason;
};

/**
 * Issues a certificate from CA @p ca (citizen, agency or server) for the
 * PKCS#10 request @p csr (PEM or DER) and records it, in one transaction.
 * Returns a malloc'd PEM in @p *cert_pem (caller egov_free()s) and the
 * record in @p out (may be NULL).  Errors: PKI_CA_UNKNOWN,
 * PKI_NOT_INITIALISED, the crypto layer's PKI_CSR_*, PKI_KEY_UNSUPPORTED,
 * PKI_REQUEST_INVALID, DB_*.  @p field (may be NULL) names the bad input.
 */
enum egov_ec egov_pki_issue(struct egov_db *db, const char *ca, const void *csr, size_t csr_len,
                            const struct egov_pki_subject *subj, char **cert_pem,
                            struct egov_pki_cert *out, const char **field, char *err,
                            size_t errlen);

/**
 * Revokes certificate @p serial (hex) with RFC 5280 @p reason (0..5 or 9)
 * and regenerates its CA's CRL in the same transaction.  Errors:
 * PKI_CERT_UNKNOWN, PKI_ALREADY_REVOKED, PKI_REASON_INVALID, DB_*.
 */
enum egov_ec egov_pki_revoke(struct egov_db *db, const char *serial, int reason, char *err,
                             size_t errlen);
/** Parses a reason name ("keyCompromise", ...) or number; -1 if unknown. */
int egov_pki_reason_parse(const char *s);

/**
 * Regenerates the CRL of every CA whose CRL is missing or expires within
 * half its lifetime (all of them if @p force).  Issuing CAs' CRLs live 24
 * hours, the root's 30 days.  Returns EGOV_EC_NONE or the first error.
 */
enum egov_ec egov_pki_crl_refresh(struct egov_db *db, bool force, char *err, size_t errlen);
/**
 * The current CRL of CA @p ca as malloc'd DER (caller egov_free()s),
 * regenerating it if missing or past its nextUpdate.  Errors:
 * PKI_CA_UNKNOWN, PKI_NOT_INITIALISED, DB_*.
 */
enum egov_ec egov_pki_crl_get(struct egov_db *db, const char *ca, uint8_t **der, size_t *len);

/** Reads the record of certificate @p serial.  PKI_CERT_UNKNOWN if none. */
enum egov_ec egov_pki_cert_get(struct egov_db *db, const char *serial, struct egov_pki_cert *out);

/**
 * Verifies a certificate of this platform (PEM or DER) at time @p at_us:
 * chain to the root through its issuing CA, validity, @p purpose, and
 * revocation (the database status, the same the CRL and OCSP publish).
 * Fills @p out (may be NULL) with the record.  Errors: PKI_CERT_MALFORMED,
 * PKI_CHAIN_INVALID, PKI_CERT_EXPIRED, PKI_CERT_NOT_YET_VALID,
 * PKI_PURPOSE_INVALID, PKI_CERT_REVOKED, PKI_CERT_UNKNOWN (chains, but
 * not issued here), PKI_NOT_INITIALISED, DB_*.
 */
enum egov_ec egov_pki_verify_chain(struct egov_db *db, const void *cert, size_t cert_len,
                                   enum egov_x509_purpose purpose, int64_t at_us,
                                   struct egov_pki_cert *out, char *err, size_t errlen);

/**
 * egov_pki_verify_chain() and then the signature @p sig over @p data with
 * the certificate's key (ECDSA/RSA with SHA-256, see
 * egov_x509_verify_signature()).  Error PKI_SIGNATURE_INVALID if only
 * the signature is wrong.  For gateway message signatures (agency
 * certificates, purpose EGOV_X509_CLIENT_AUTH) and certificate login.
 */
enum egov_ec egov_pki_verify_signed(struct egov_db *db, const void *cert, size_t cert_len,
                                    const void *data, size_t data_len, const void *sig,
                                    size_t sig_len, enum egov_x509_purpose purpose,
                                    struct egov_pki_cert *out, char *err, size_t errlen);

/**
 * The text a login challenge asks the user to sign: "egov-login:" plus
 * the challenge's random value.  Exposed for the CLI signer.
 */
#define EGOV_PKI_CHALLENGE_PREFIX "egov-login:"

/**
 * Makes the one-line response to a login challenge: base64url(DER of the
 * certificate) "." base64url(signature over @p challenge with the key in
 * @p key_path).  Returns a malloc'd string (caller egov_free()s) or NULL
 * with @p err filled.  What `egov pki sign-challenge` prints.
 */
char *egov_pki_challenge_response(const char *key_path, const char *cert_path,
                                  const char *challenge, char *err, size_t errlen);

#endif /* EGOV_PKI_H */
