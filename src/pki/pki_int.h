/*
 * pki_int.h -- what the pki module's files share: the key store of the
 * process, CA records, statements and route handlers.
 */
#ifndef EGOV_PKI_INT_H
#define EGOV_PKI_INT_H

#include "pki/pki.h"

/** Most CAs in the hierarchy. */
#define PKI_MAX_CA 4

/** A CA as the database records it. */
struct pki_ca {
    char name[16];
    char parent[16]; /**< "" for the root */
    char key[48];    /**< key name in the key store */
    char *cert_pem;  /**< malloc'd */
    char base_url[256];
    int64_t crl_number;
};

/** The key store of this process, or NULL before egov_pki_open(). */
struct egov_keystore *pki_keystore(void);

/** Loads every CA; returns the count (0 = not initialised) or -1 on a DB error. */
int pki_ca_load_all(struct egov_db_conn *c, struct pki_ca out[PKI_MAX_CA]);
/** Loads CA @p name: EGOV_DB_ONE_ROW, EGOV_DB_NO_ROW or an error. */
enum egov_db_qs pki_ca_load(struct egov_db_conn *c, const char *name, struct pki_ca *out);
/** Frees the members of CA records. */
void pki_ca_free(struct pki_ca *ca, size_t n);
/** Index of CA @p name in the array, or -1. */
int pki_ca_find(const struct pki_ca *cas, int n, const char *name);
/** Reads a certificate record by serial on @p c. */
enum egov_db_qs pki_cert_load(struct egov_db_conn *c, const char *serial,
                              struct egov_pki_cert *out);
/** Rebuilds and stores the CRL of @p ca on @p c (inside the caller's transaction). */
enum egov_ec pki_crl_rebuild(struct egov_db_conn *c, struct pki_ca *ca, int64_t now_us, char *err,
                             size_t errlen);
/** Formats a message into @p err (may be NULL). */
void pki_say(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/** Maps a DB status to an error code (soft -> DB_SOFT_ERROR, hard -> DB_HARD_ERROR). */
enum egov_ec pki_db_ec(enum egov_db_qs qs);

/** Migrations of the module. */
extern const struct egov_db_module_migrations pki_migrations;
/** Routes of the module (public repository, OCSP, login). */
extern const struct egov_route_table pki_routes;
/** CLI verbs. */
extern const struct egov_module_cli pki_cli[];

/** POST /api/pki/challenges */
void pki_handle_challenge_api(struct egov_req *req);
/** POST /api/pki/login */
void pki_handle_login_api(struct egov_req *req);
/** GET and POST /pki/login */
void pki_handle_login_page(struct egov_req *req);

/** POST /api/pki/agencies/{code}/certificates: an agency administrator issues (pki_agency.c). */
void pki_handle_agency_issue_api(struct egov_req *req);
/** GET and POST /pki/agencies/{code}/certificates: the same as a page with a form. */
void pki_handle_agency_issue_page(struct egov_req *req);

/** Job handler for EGOV_PKI_CRL_QUEUE. */
enum egov_job_result pki_crl_job(struct egov_db *db, const char *job_id, const char *payload,
                                 void *cls);
/**
 * Inside the caller's transaction: enqueues the next CRL job after
 * @p delay_ms unless the hierarchy does not exist or a job other than
 * @p self ("" for none) is pending.
 */
enum egov_db_qs pki_crl_job_schedule(struct egov_db_conn *c, const char *self,
                                     unsigned int delay_ms);
/** Makes sure one CRL job is pending once the hierarchy exists (at start-up). */
bool pki_crl_job_ensure(struct egov_db *db);
/** How often the CRL job runs. */
#define PKI_CRL_JOB_EVERY_MS (3600u * 1000u)

#endif /* EGOV_PKI_INT_H */
