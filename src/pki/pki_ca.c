/*
 * pki_ca.c -- the CA service: setting up the hierarchy, issuing,
 * revoking, CRLs, and verifying certificates and signatures of this
 * platform.  Cryptography is the crypto layer's; this file keeps records.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "directory/directory.h"
#include "pki/pki_int.h"

#define US_PER_DAY    (86400LL * 1000000LL)
#define ROOT_DAYS     7305 /* 20 years */
#define ISSUING_DAYS  3652 /* 10 years */
#define CITIZEN_DAYS  1826
#define AGENCY_DAYS   1095
#define SERVER_DAYS   397
#define MAX_DAYS      3650
#define CRL_HOURS     24
#define ROOT_CRL_DAYS 30
#define BACKDATE_US   (300LL * 1000000LL) /* tolerate clients' clock skew */
#define TXN_RETRIES   10
#define ACQUIRE_MS    5000

static const struct {
    const char *name;
    const char *cn;
} ca_names[] = {
    {EGOV_PKI_CA_ROOT, "egov Root CA"},
    {EGOV_PKI_CA_CITIZEN, "egov Citizen CA"},
    {EGOV_PKI_CA_AGENCY, "egov Agency CA"},
    {EGOV_PKI_CA_SERVER, "egov Server CA"},
};

/* ------------------------------------------------------------------ */
/* Statements                                                          */
/* ------------------------------------------------------------------ */

static const struct egov_db_stmt st_ca_insert = {
    "pki_ca_insert",
    "INSERT INTO pki_ca (name, parent, key_name, cert_pem, serial, not_after, base_url,"
    " crl_number, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8)",
    NULL};
static const struct egov_db_stmt st_ca_exists = {
    "pki_ca_exists", "SELECT name FROM pki_ca WHERE name = 'root'", NULL};
static const struct egov_db_stmt st_cert_insert = {
    "pki_cert_insert",
    "INSERT INTO pki_cert (serial, ca, profile, subject, fingerprint, national_id, pseudonym,"
    " agency_code, system_id, cert_pem, not_before, not_after, status, created_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'good', $13)",
    NULL};
static const struct egov_db_stmt st_cert_revoke = {
    "pki_cert_revoke",
    "UPDATE pki_cert SET status = 'revoked', revoked_at = $2, reason = $3"
    " WHERE serial = $1 AND status = 'good'",
    NULL};
static const struct egov_db_stmt st_revoked_of_ca = {
    "pki_revoked_of_ca",
    "SELECT serial, revoked_at, reason FROM pki_cert WHERE ca = $1 AND status = 'revoked'"
    " ORDER BY serial",
    NULL};
static const struct egov_db_stmt st_crl_number = {
    "pki_crl_number", "UPDATE pki_ca SET crl_number = $2 WHERE name = $1", NULL};
static const struct egov_db_stmt st_crl_upsert = {
    "pki_crl_upsert",
    "INSERT INTO pki_crl (ca, number, this_update, next_update, der) VALUES ($1, $2, $3, $4, $5)"
    " ON CONFLICT (ca) DO UPDATE SET number = excluded.number,"
    " this_update = excluded.this_update, next_update = excluded.next_update, der = excluded.der",
    NULL};
static const struct egov_db_stmt st_crl_get = {
    "pki_crl_get", "SELECT der, this_update, next_update FROM pki_crl WHERE ca = $1", NULL};
static const struct egov_db_stmt st_ca_own_status = {
    "pki_ca_own_status",
    "SELECT c.status FROM pki_ca a JOIN pki_cert c ON c.serial = a.serial WHERE a.name = $1", NULL};

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static const char *profile_name(enum egov_ca_profile p)
{
    switch (p) {
    case EGOV_CA_PROFILE_ROOT:
        return "root";
    case EGOV_CA_PROFILE_ISSUING:
        return "issuing";
    case EGOV_CA_PROFILE_CITIZEN:
        return "citizen";
    case EGOV_CA_PROFILE_AGENCY:
        return "agency";
    case EGOV_CA_PROFILE_SERVER:
        return "server";
    }
    return "?";
}

/* Fills the URLs of certificates issued by CA @p issuer into @p rq, using @p buf. */
static void set_urls(struct egov_ca_request *rq, const char *base, const char *issuer,
                     char urls[3][400])
{
    (void)snprintf(urls[0], 400, "%.300s/pki/ocsp", base);
    (void)snprintf(urls[1], 400, "%.300s/pki/ca/%.20s.crt", base, issuer);
    (void)snprintf(urls[2], 400, "%.300s/pki/crl/%.20s.crl", base, issuer);
    rq->ocsp_url = urls[0];
    rq->ca_issuers_url = urls[1];
    rq->crl_url = urls[2];
}

static bool base_url_valid(const char *u)
{
    size_t n = u == NULL ? 0 : strlen(u);

    return n > 8 && n < 200 && (strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0) &&
           u[n - 1] != '/';
}

int egov_pki_reason_parse(const char *s)
{
    static const char *const names[] = {
        "unspecified", "keyCompromise",        "cACompromise", "affiliationChanged",
        "superseded",  "cessationOfOperation", NULL,           NULL,
        NULL,          "privilegeWithdrawn"};
    char *end = NULL;
    long v;

    if (s == NULL || s[0] == '\0')
        return -1;
    for (int i = 0; i < 10; i++)
        if (names[i] != NULL && strcasecmp(s, names[i]) == 0)
            return i;
    v = strtol(s, &end, 10);
    if (*end != '\0' || v < 0 || v > 9 || names[v] == NULL)
        return -1;
    return (int)v;
}

/* ------------------------------------------------------------------ */
/* CRLs                                                                */
/* ------------------------------------------------------------------ */

enum egov_ec pki_crl_rebuild(struct egov_db_conn *c, struct pki_ca *ca, int64_t now_us, char *err,
                             size_t errlen)
{
    struct egov_db_rows *rows = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(ca->name), EGOV_DB_PARAM_END};
    struct egov_ca_revoked *list = NULL;
    uint8_t *der = NULL;
    size_t n, der_len = 0;
    int64_t next = now_us + (ca->parent[0] == '\0' ? ROOT_CRL_DAYS * US_PER_DAY
                                                   : CRL_HOURS * 3600LL * 1000000LL);
    enum egov_db_qs qs;
    enum egov_ec ec;

    if (pki_keystore() == NULL) {
        pki_say(err, errlen, "the key store is not open");
        return EGOV_EC_PKI_KEYSTORE;
    }
    qs = egov_db_query(c, &st_revoked_of_ca, p, &rows);
    if (qs < 0)
        return pki_db_ec(qs);
    n = egov_db_rows_count(rows);
    list = egov_calloc(n == 0 ? 1 : n, sizeof(*list));
    ec = EGOV_EC_GENERIC_OOM;
    if (list == NULL)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        list[i].serial = egov_db_rows_text(rows, i, 0);
        list[i].revoked_at_us = egov_db_rows_int64(rows, i, 1);
        list[i].reason = (int)egov_db_rows_int64(rows, i, 2);
    }
    ec = egov_ca_make_crl(pki_keystore(), ca->key, ca->cert_pem, list, n, ca->crl_number + 1,
                          now_us - BACKDATE_US, next, &der, &der_len, err, errlen);
    if (ec != EGOV_EC_NONE)
        goto fail;
    {
        struct egov_db_param pn[] = {EGOV_DB_PARAM_TEXT(ca->name),
                                     EGOV_DB_PARAM_INT64(ca->crl_number + 1), EGOV_DB_PARAM_END};
        struct egov_db_param pc[] = {EGOV_DB_PARAM_TEXT(ca->name),
                                     EGOV_DB_PARAM_INT64(ca->crl_number + 1),
                                     EGOV_DB_PARAM_INT64(now_us - BACKDATE_US),
                                     EGOV_DB_PARAM_INT64(next),
                                     EGOV_DB_PARAM_BLOB(der, der_len),
                                     EGOV_DB_PARAM_END};
        qs = egov_db_exec(c, &st_crl_number, pn);
        if (qs >= 0)
            qs = egov_db_exec(c, &st_crl_upsert, pc);
        ec = qs < 0 ? pki_db_ec(qs) : EGOV_EC_NONE;
        if (qs >= 0)
            ca->crl_number++;
    }
fail:
    egov_free(der);
    egov_free(list);
    egov_db_rows_free(rows);
    return ec;
}

struct crl_txn {
    const char *only; /* one CA, or NULL for all */
    bool force;
    int64_t now_us;
    enum egov_ec ec;
    uint8_t *der; /* crl_get: the result */
    size_t der_len;
    char *err;
    size_t errlen;
};

/* Whether the stored CRL of @p ca needs rebuilding; copies it out for crl_get. */
static enum egov_db_qs crl_due(struct egov_db_conn *c, const char *ca, struct crl_txn *t, bool *due)
{
    struct egov_db_rows *rows = NULL;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(ca), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = egov_db_query(c, &st_crl_get, p, &rows);
    int64_t thisu, next;

    *due = true;
    if (qs == EGOV_DB_ONE_ROW) {
        thisu = egov_db_rows_int64(rows, 0, 1);
        next = egov_db_rows_int64(rows, 0, 2);
        if (t->only != NULL)
            *due = next <= t->now_us; /* crl_get: only if expired */
        else
            *due = t->force || t->now_us >= thisu + (next - thisu) / 2;
        if (!*due && t->only != NULL) {
            size_t len = 0;
            const void *b = egov_db_rows_blob(rows, 0, 0, &len);
            egov_free(t->der);
            t->der = egov_malloc(len == 0 ? 1 : len);
            if (t->der == NULL)
                qs = EGOV_DB_HARD_ERROR;
            else {
                memcpy(t->der, b, len);
                t->der_len = len;
            }
        }
    }
    egov_db_rows_free(rows);
    return qs;
}

static enum egov_db_qs crl_body(struct egov_db_conn *c, void *cls)
{
    struct crl_txn *t = cls;
    struct pki_ca cas[PKI_MAX_CA];
    int n = pki_ca_load_all(c, cas);
    enum egov_db_qs qs = EGOV_DB_NO_ROW;
    bool due;

    t->ec = EGOV_EC_NONE;
    if (n < 0)
        return EGOV_DB_HARD_ERROR;
    if (n == 0) {
        t->ec = EGOV_EC_PKI_NOT_INITIALISED;
        return EGOV_DB_NO_ROW;
    }
    if (t->only != NULL && pki_ca_find(cas, n, t->only) < 0) {
        t->ec = EGOV_EC_PKI_CA_UNKNOWN;
        goto done;
    }
    for (int i = 0; i < n; i++) {
        if (t->only != NULL && strcmp(cas[i].name, t->only) != 0)
            continue;
        qs = crl_due(c, cas[i].name, t, &due);
        if (qs < 0)
            goto done;
        if (!due)
            continue;
        t->ec = pki_crl_rebuild(c, &cas[i], t->now_us, t->err, t->errlen);
        if (t->ec == EGOV_EC_DB_SOFT_ERROR) {
            qs = EGOV_DB_SOFT_ERROR;
            goto done;
        }
        if (t->ec != EGOV_EC_NONE) {
            qs = EGOV_DB_HARD_ERROR;
            goto done;
        }
        if (t->only != NULL) {
            t->force = false;
            qs = crl_due(c, cas[i].name, t, &due);
            if (qs < 0)
                goto done;
        }
    }
    qs = EGOV_DB_ONE_ROW;
done:
    pki_ca_free(cas, (size_t)n);
    return qs;
}

static enum egov_ec run_txn(struct egov_db *db, bool write, egov_db_txn_fn fn, void *cls,
                            enum egov_ec *body_ec)
{
    struct egov_db_conn *c = egov_db_acquire(db, ACQUIRE_MS);
    enum egov_db_qs qs;

    if (c == NULL)
        return EGOV_EC_DB_UNREACHABLE;
    qs = egov_db_txn(c, write, TXN_RETRIES, fn, cls);
    egov_db_release(c);
    if (*body_ec != EGOV_EC_NONE)
        return *body_ec;
    return qs < 0 ? pki_db_ec(qs) : EGOV_EC_NONE;
}

enum egov_ec egov_pki_crl_refresh(struct egov_db *db, bool force, char *err, size_t errlen)
{
    struct crl_txn t = {.force = force, .now_us = egov_now_us(), .err = err, .errlen = errlen};
    enum egov_ec ec = run_txn(db, true, crl_body, &t, &t.ec);

    egov_free(t.der);
    return ec;
}

enum egov_ec egov_pki_crl_get(struct egov_db *db, const char *ca, uint8_t **der, size_t *len)
{
    char err[256];
    struct crl_txn t = {.only = ca, .now_us = egov_now_us(), .err = err, .errlen = sizeof(err)};
    enum egov_ec ec;

    *der = NULL;
    *len = 0;
    ec = run_txn(db, true, crl_body, &t, &t.ec);
    if (ec == EGOV_EC_NONE && t.der == NULL)
        ec = EGOV_EC_DB_HARD_ERROR;
    if (ec != EGOV_EC_NONE) {
        if (ec != EGOV_EC_PKI_CA_UNKNOWN && ec != EGOV_EC_PKI_NOT_INITIALISED)
            egov_warn("pki: CRL of %s: %s", ca, err);
        egov_free(t.der);
        return ec;
    }
    *der = t.der;
    *len = t.der_len;
    return EGOV_EC_NONE;
}

/* ------------------------------------------------------------------ */
/* Setting up the hierarchy                                            */
/* ------------------------------------------------------------------ */

struct init_txn {
    const char *base_url;
    char key[4][48];
    char *pem[4];
    struct egov_cert_info info[4];
    enum egov_ec ec;
    char *err;
    size_t errlen;
};

static enum egov_db_qs init_body(struct egov_db_conn *c, void *cls)
{
    struct init_txn *t = cls;
    struct egov_db_param none[] = {EGOV_DB_PARAM_END};
    struct egov_db_rows *rows = NULL;
    int64_t now = egov_now_us();
    enum egov_db_qs qs = egov_db_query(c, &st_ca_exists, none, &rows);

    egov_db_rows_free(rows);
    t->ec = EGOV_EC_NONE;
    if (qs < 0)
        return qs;
    if (qs > 0) {
        t->ec = EGOV_EC_PKI_ALREADY_INITIALISED;
        return EGOV_DB_NO_ROW;
    }
    for (int i = 0; i < 4; i++) {
        struct egov_db_param p[] = {
            EGOV_DB_PARAM_TEXT(ca_names[i].name),
            i == 0 ? (struct egov_db_param)EGOV_DB_PARAM_NULL
                   : (struct egov_db_param)EGOV_DB_PARAM_TEXT(EGOV_PKI_CA_ROOT),
            EGOV_DB_PARAM_TEXT(t->key[i]),
            EGOV_DB_PARAM_TEXT(t->pem[i]),
            EGOV_DB_PARAM_TEXT(t->info[i].serial),
            EGOV_DB_PARAM_INT64(t->info[i].not_after_us),
            EGOV_DB_PARAM_TEXT(t->base_url),
            EGOV_DB_PARAM_INT64(now + i),
            EGOV_DB_PARAM_END};
        qs = egov_db_exec(c, &st_ca_insert, p);
        if (qs < 0)
            return qs;
    }
    for (int i = 1; i < 4; i++) {
        struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->info[i].serial),
                                    EGOV_DB_PARAM_TEXT(EGOV_PKI_CA_ROOT),
                                    EGOV_DB_PARAM_TEXT("issuing"),
                                    EGOV_DB_PARAM_TEXT(t->info[i].subject),
                                    EGOV_DB_PARAM_TEXT(t->info[i].fingerprint),
                                    EGOV_DB_PARAM_NULL,
                                    EGOV_DB_PARAM_NULL,
                                    EGOV_DB_PARAM_NULL,
                                    EGOV_DB_PARAM_TEXT(ca_names[i].name),
                                    EGOV_DB_PARAM_TEXT(t->pem[i]),
                                    EGOV_DB_PARAM_INT64(t->info[i].not_before_us),
                                    EGOV_DB_PARAM_INT64(t->info[i].not_after_us),
                                    EGOV_DB_PARAM_INT64(now),
                                    EGOV_DB_PARAM_END};
        qs = egov_db_exec(c, &st_cert_insert, p);
        if (qs < 0)
            return qs;
    }
    for (int i = 0; i < 4; i++) {
        struct pki_ca ca;
        qs = pki_ca_load(c, ca_names[i].name, &ca);
        if (qs <= 0)
            return qs < 0 ? qs : EGOV_DB_HARD_ERROR;
        t->ec = pki_crl_rebuild(c, &ca, now, t->err, t->errlen);
        pki_ca_free(&ca, 1);
        if (t->ec != EGOV_EC_NONE)
            return t->ec == EGOV_EC_DB_SOFT_ERROR ? EGOV_DB_SOFT_ERROR : EGOV_DB_HARD_ERROR;
    }
    /* the CRLs are renewed by a job from now on */
    qs = pki_crl_job_schedule(c, "", PKI_CRL_JOB_EVERY_MS);
    return qs < 0 ? qs : EGOV_DB_ONE_ROW;
}

enum egov_ec egov_pki_init(struct egov_db *db, const char *base_url, char *err, size_t errlen)
{
    struct init_txn t = {.base_url = base_url, .err = err, .errlen = errlen};
    struct egov_keystore *ks = pki_keystore();
    int64_t now = egov_now_us();
    char stamp[16], urls[3][400];
    uint8_t rnd[3];
    enum egov_ec ec = EGOV_EC_PKI_KEYSTORE;

    if (ks == NULL) {
        pki_say(err, errlen, "the key store is not open");
        goto fail;
    }
    ec = EGOV_EC_PKI_REQUEST_INVALID;
    if (!base_url_valid(base_url)) {
        pki_say(err, errlen, "the base URL must be http(s)://host[:port] without a trailing /");
        goto fail;
    }
    {
        /* refuse early, before keys are made; init_body checks again under the lock */
        struct egov_db_conn *c = egov_db_acquire(db, ACQUIRE_MS);
        struct pki_ca root;
        enum egov_db_qs qs =
            c == NULL ? EGOV_DB_HARD_ERROR : pki_ca_load(c, EGOV_PKI_CA_ROOT, &root);
        egov_db_release(c);
        if (qs > 0)
            pki_ca_free(&root, 1);
        if (qs != 0) {
            ec = qs > 0 ? EGOV_EC_PKI_ALREADY_INITIALISED : pki_db_ec(qs);
            goto fail;
        }
    }
    /* fresh key names, so that keys left by a failed attempt are never reused */
    if (!egov_random(rnd, sizeof(rnd)))
        goto fail;
    egov_hex_encode(rnd, sizeof(rnd), stamp);
    ec = EGOV_EC_PKI_KEYSTORE;
    for (int i = 0; i < 4; i++) {
        (void)snprintf(t.key[i], sizeof(t.key[i]), "%s-%s", ca_names[i].name, stamp);
        if (!egov_keystore_generate(ks, t.key[i], err, errlen))
            goto fail;
    }
    {
        struct egov_ca_request rq = {
            .profile = EGOV_CA_PROFILE_ROOT,
            .cn = ca_names[0].cn,
            .o = "egov Platform PKI",
            .not_before_us = now - BACKDATE_US,
            .not_after_us = now + ROOT_DAYS * US_PER_DAY,
        };
        set_urls(&rq, base_url, EGOV_PKI_CA_ROOT, urls);
        rq.ocsp_url = rq.ca_issuers_url = rq.crl_url = NULL; /* a root points nowhere */
        ec = egov_ca_make_root(ks, t.key[0], &rq, &t.pem[0], &t.info[0], err, errlen);
        if (ec != EGOV_EC_NONE)
            goto fail;
    }
    for (int i = 1; i < 4; i++) {
        struct egov_ca_request rq = {
            .profile = EGOV_CA_PROFILE_ISSUING,
            .cn = ca_names[i].cn,
            .o = "egov Platform PKI",
            .not_before_us = now - BACKDATE_US,
            .not_after_us = now + ISSUING_DAYS * US_PER_DAY,
        };
        set_urls(&rq, base_url, EGOV_PKI_CA_ROOT, urls);
        ec = egov_ca_make_sub(ks, t.key[0], t.pem[0], t.key[i], &rq, &t.pem[i], &t.info[i], err,
                              errlen);
        if (ec != EGOV_EC_NONE)
            goto fail;
    }
    ec = run_txn(db, true, init_body, &t, &t.ec);
    if (ec == EGOV_EC_PKI_ALREADY_INITIALISED)
        pki_say(err, errlen, "the hierarchy exists already (the new keys are unused)");
fail:
    for (int i = 0; i < 4; i++)
        egov_free(t.pem[i]);
    return ec;
}

/* ------------------------------------------------------------------ */
/* Issuing                                                             */
/* ------------------------------------------------------------------ */

struct issue_txn {
    const char *ca;
    const char *profile;
    const char *national_id, *pseudonym, *agency_code, *system_id;
    const char *pem;
    const struct egov_cert_info *info;
};

static enum egov_db_qs issue_body(struct egov_db_conn *c, void *cls)
{
    struct issue_txn *t = cls;
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->info->serial),
                                EGOV_DB_PARAM_TEXT(t->ca),
                                EGOV_DB_PARAM_TEXT(t->profile),
                                EGOV_DB_PARAM_TEXT(t->info->subject),
                                EGOV_DB_PARAM_TEXT(t->info->fingerprint),
                                EGOV_DB_PARAM_TEXT(t->national_id),
                                EGOV_DB_PARAM_TEXT(t->pseudonym),
                                EGOV_DB_PARAM_TEXT(t->agency_code),
                                EGOV_DB_PARAM_TEXT(t->system_id),
                                EGOV_DB_PARAM_TEXT(t->pem),
                                EGOV_DB_PARAM_INT64(t->info->not_before_us),
                                EGOV_DB_PARAM_INT64(t->info->not_after_us),
                                EGOV_DB_PARAM_INT64(egov_now_us()),
                                EGOV_DB_PARAM_END};

    return egov_db_exec(c, &st_cert_insert, p);
}

enum egov_ec egov_pki_issue(struct egov_db *db, const char *ca_name, const void *csr,
                            size_t csr_len, const struct egov_pki_subject *subj, char **cert_pem,
                            struct egov_pki_cert *out, const char **field, char *err, size_t errlen)
{
    struct egov_db_conn *c = NULL;
    struct pki_ca ca = {0};
    struct egov_ca_request rq = {0};
    struct egov_cert_info info;
    struct issue_txn t = {0};
    char urls[3][400], pseudonym[24] = "";
    uint8_t rnd[8];
    int64_t now = egov_now_us();
    unsigned int days = subj->days;
    enum egov_db_qs qs;
    enum egov_ec ec = EGOV_EC_PKI_CA_UNKNOWN, dummy = EGOV_EC_NONE;
    const char *bad = NULL;

    *cert_pem = NULL;
    if (strcmp(ca_name, EGOV_PKI_CA_CITIZEN) == 0) {
        rq.profile = EGOV_CA_PROFILE_CITIZEN;
        days = days == 0 ? CITIZEN_DAYS : days;
        if (subj->name == NULL)
            bad = "name";
        else if (subj->national_id == NULL ||
                 egov_directory_id_check(subj->national_id) == EGOV_DIRECTORY_ID_INVALID)
            bad = "national_id";
        if (!egov_random(rnd, sizeof(rnd)))
            return EGOV_EC_GENERIC_INTERNAL;
        pseudonym[0] = 'P';
        egov_hex_encode(rnd, sizeof(rnd), pseudonym + 1);
        for (char *q = pseudonym; *q != '\0'; q++)
            *q = (char)toupper((unsigned char)*q);
        rq.serial_number = subj->id_in_subject ? subj->national_id : pseudonym;
        rq.cn = subj->name;
        t.national_id = subj->national_id;
        t.pseudonym = rq.serial_number;
    } else if (strcmp(ca_name, EGOV_PKI_CA_AGENCY) == 0) {
        rq.profile = EGOV_CA_PROFILE_AGENCY;
        days = days == 0 ? AGENCY_DAYS : days;
        if (subj->agency_code == NULL || !egov_directory_agency_code_valid(subj->agency_code))
            bad = "agency_code";
        else if (subj->system_id == NULL)
            bad = "system_id";
        rq.cn = subj->name != NULL ? subj->name : subj->system_id;
        rq.serial_number = subj->agency_code;
        rq.o = subj->agency_name;
        rq.ou = subj->system_id;
        t.agency_code = subj->agency_code;
        t.system_id = subj->system_id;
    } else if (strcmp(ca_name, EGOV_PKI_CA_SERVER) == 0) {
        rq.profile = EGOV_CA_PROFILE_SERVER;
        days = days == 0 ? SERVER_DAYS : days;
        if (subj->ndns == 0)
            bad = "dns";
        rq.cn = subj->name != NULL ? subj->name : (subj->ndns > 0 ? subj->dns[0] : NULL);
        rq.dns = subj->dns;
        rq.ndns = subj->ndns;
    } else {
        pki_say(err, errlen, "CA must be citizen, agency or server");
        if (field != NULL)
            *field = "ca";
        return ec;
    }
    if (bad == NULL && days > MAX_DAYS)
        bad = "days";
    if (bad != NULL) {
        pki_say(err, errlen, "%s is missing or invalid", bad);
        if (field != NULL)
            *field = bad;
        return EGOV_EC_PKI_REQUEST_INVALID;
    }
    ec = EGOV_EC_PKI_KEYSTORE;
    if (pki_keystore() == NULL) {
        pki_say(err, errlen, "the key store is not open");
        goto fail;
    }
    ec = EGOV_EC_DB_UNREACHABLE;
    c = egov_db_acquire(db, ACQUIRE_MS);
    if (c == NULL)
        goto fail;
    qs = pki_ca_load(c, ca_name, &ca);
    egov_db_release(c);
    if (qs < 0) {
        ec = pki_db_ec(qs);
        goto fail;
    }
    if (qs == 0) {
        ec = EGOV_EC_PKI_NOT_INITIALISED;
        pki_say(err, errlen, "run `egov pki init` first");
        goto fail;
    }
    rq.not_before_us = now - BACKDATE_US;
    rq.not_after_us = now + (int64_t)days * US_PER_DAY;
    set_urls(&rq, ca.base_url, ca.name, urls);
    ec = egov_ca_issue_csr(pki_keystore(), ca.key, ca.cert_pem, csr, csr_len, &rq, cert_pem, &info,
                           err, errlen);
    if (ec != EGOV_EC_NONE) {
        if (field != NULL)
            *field = ec == EGOV_EC_PKI_REQUEST_INVALID ? "subject" : "csr";
        goto fail;
    }
    t.ca = ca.name;
    t.profile = profile_name(rq.profile);
    t.pem = *cert_pem;
    t.info = &info;
    ec = run_txn(db, true, issue_body, &t, &dummy);
    if (ec != EGOV_EC_NONE)
        goto fail;
    if (out != NULL) {
        memset(out, 0, sizeof(*out));
        out->info = info;
        (void)snprintf(out->ca, sizeof(out->ca), "%s", ca.name);
        (void)snprintf(out->status, sizeof(out->status), "good");
        (void)snprintf(out->national_id, sizeof(out->national_id), "%s",
                       t.national_id != NULL ? t.national_id : "");
        (void)snprintf(out->pseudonym, sizeof(out->pseudonym), "%s",
                       t.pseudonym != NULL ? t.pseudonym : "");
        (void)snprintf(out->agency_code, sizeof(out->agency_code), "%.31s",
                       t.agency_code != NULL ? t.agency_code : "");
        (void)snprintf(out->system_id, sizeof(out->system_id), "%.79s",
                       t.system_id != NULL ? t.system_id : "");
    }
fail:
    if (ec != EGOV_EC_NONE) {
        egov_free(*cert_pem);
        *cert_pem = NULL;
    }
    pki_ca_free(&ca, 1);
    return ec;
}

/* ------------------------------------------------------------------ */
/* Revoking                                                            */
/* ------------------------------------------------------------------ */

struct revoke_txn {
    const char *serial;
    int reason;
    enum egov_ec ec;
    char *err;
    size_t errlen;
};

static enum egov_db_qs revoke_body(struct egov_db_conn *c, void *cls)
{
    struct revoke_txn *t = cls;
    struct egov_pki_cert rec;
    struct pki_ca ca;
    int64_t now = egov_now_us();
    struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(t->serial), EGOV_DB_PARAM_INT64(now),
                                EGOV_DB_PARAM_INT64(t->reason), EGOV_DB_PARAM_END};
    enum egov_db_qs qs = pki_cert_load(c, t->serial, &rec);

    t->ec = EGOV_EC_NONE;
    if (qs <= 0) {
        if (qs == 0)
            t->ec = EGOV_EC_PKI_CERT_UNKNOWN;
        return qs;
    }
    if (strcmp(rec.status, "revoked") == 0) {
        t->ec = EGOV_EC_PKI_ALREADY_REVOKED;
        return EGOV_DB_NO_ROW;
    }
    qs = egov_db_exec(c, &st_cert_revoke, p);
    if (qs <= 0)
        return qs < 0 ? qs : EGOV_DB_SOFT_ERROR;
    qs = pki_ca_load(c, rec.ca, &ca);
    if (qs <= 0)
        return qs < 0 ? qs : EGOV_DB_HARD_ERROR;
    t->ec = pki_crl_rebuild(c, &ca, now, t->err, t->errlen);
    pki_ca_free(&ca, 1);
    if (t->ec == EGOV_EC_DB_SOFT_ERROR) {
        t->ec = EGOV_EC_NONE;
        return EGOV_DB_SOFT_ERROR;
    }
    return t->ec == EGOV_EC_NONE ? EGOV_DB_ONE_ROW : EGOV_DB_HARD_ERROR;
}

enum egov_ec egov_pki_revoke(struct egov_db *db, const char *serial, int reason, char *err,
                             size_t errlen)
{
    struct revoke_txn t = {.reason = reason, .err = err, .errlen = errlen};
    char norm[EGOV_PKI_SERIAL_HEX];
    size_t n = serial == NULL ? 0 : strlen(serial), k = 0;

    if (reason < 0 || reason > 9 || (reason > 5 && reason != 9))
        return EGOV_EC_PKI_REASON_INVALID;
    /* accept "0A:1B..." and lower case; strip leading zeros as the records do */
    for (size_t i = 0; i < n; i++) {
        char ch = (char)toupper((unsigned char)serial[i]);
        if (ch == ':')
            continue;
        if (!isxdigit((unsigned char)ch) || k + 1 >= sizeof(norm))
            return EGOV_EC_PKI_CERT_UNKNOWN;
        if (k == 0 && ch == '0')
            continue;
        norm[k++] = ch;
    }
    norm[k] = '\0';
    if (k == 0)
        return EGOV_EC_PKI_CERT_UNKNOWN;
    t.serial = norm;
    return run_txn(db, true, revoke_body, &t, &t.ec);
}

/* ------------------------------------------------------------------ */
/* Reading and verifying                                               */
/* ------------------------------------------------------------------ */

enum egov_ec egov_pki_cert_get(struct egov_db *db, const char *serial, struct egov_pki_cert *out)
{
    struct egov_db_conn *c = egov_db_acquire(db, ACQUIRE_MS);
    enum egov_db_qs qs;

    memset(out, 0, sizeof(*out));
    if (c == NULL)
        return EGOV_EC_DB_UNREACHABLE;
    qs = pki_cert_load(c, serial, out);
    egov_db_release(c);
    if (qs < 0)
        return pki_db_ec(qs);
    return qs == 0 ? EGOV_EC_PKI_CERT_UNKNOWN : EGOV_EC_NONE;
}

enum egov_ec egov_pki_verify_chain(struct egov_db *db, const void *cert, size_t cert_len,
                                   enum egov_x509_purpose purpose, int64_t at_us,
                                   struct egov_pki_cert *out, char *err, size_t errlen)
{
    struct egov_db_conn *c = egov_db_acquire(db, ACQUIRE_MS);
    struct pki_ca cas[PKI_MAX_CA];
    const char *inter[PKI_MAX_CA];
    struct egov_cert_info info;
    struct egov_pki_cert rec;
    struct egov_db_rows *rows = NULL;
    size_t ninter = 0;
    int n = -1, root;
    enum egov_db_qs qs;
    enum egov_ec ec = EGOV_EC_DB_UNREACHABLE;

    if (out != NULL)
        memset(out, 0, sizeof(*out));
    if (c == NULL)
        return ec;
    n = pki_ca_load_all(c, cas);
    ec = EGOV_EC_DB_HARD_ERROR;
    if (n < 0)
        goto fail;
    ec = EGOV_EC_PKI_NOT_INITIALISED;
    root = pki_ca_find(cas, n, EGOV_PKI_CA_ROOT);
    if (root < 0)
        goto fail;
    for (int i = 0; i < n; i++)
        if (i != root)
            inter[ninter++] = cas[i].cert_pem;
    memset(&info, 0, sizeof(info));
    ec = egov_x509_verify_chain(cert, cert_len, cas[root].cert_pem, inter, ninter, purpose, at_us,
                                &info, err, errlen);
    if (out != NULL)
        out->info = info; /* what the certificate says, also when it is refused */
    if (ec != EGOV_EC_NONE)
        goto fail;
    qs = pki_cert_load(c, info.serial, &rec);
    if (qs < 0) {
        ec = pki_db_ec(qs);
        goto fail;
    }
    ec = EGOV_EC_PKI_CERT_UNKNOWN;
    if (qs == 0 || strcmp(rec.info.fingerprint, info.fingerprint) != 0) {
        pki_say(err, errlen, "no record of certificate %s", info.serial);
        goto fail;
    }
    ec = EGOV_EC_PKI_CERT_REVOKED;
    if (strcmp(rec.status, "good") != 0) {
        pki_say(err, errlen, "certificate %s is revoked", info.serial);
        goto fail;
    }
    {
        struct egov_db_param p[] = {EGOV_DB_PARAM_TEXT(rec.ca), EGOV_DB_PARAM_END};
        qs = egov_db_query(c, &st_ca_own_status, p, &rows);
        if (qs < 0) {
            ec = pki_db_ec(qs);
            goto fail;
        }
        if (qs > 0 && strcmp(egov_db_rows_text(rows, 0, 0), "good") != 0) {
            pki_say(err, errlen, "the issuing CA %s is revoked", rec.ca);
            goto fail;
        }
    }
    rec.info = info;
    if (out != NULL)
        *out = rec;
    ec = EGOV_EC_NONE;
fail:
    egov_db_rows_free(rows);
    if (n > 0)
        pki_ca_free(cas, (size_t)n);
    egov_db_release(c);
    return ec;
}

enum egov_ec egov_pki_verify_signed(struct egov_db *db, const void *cert, size_t cert_len,
                                    const void *data, size_t data_len, const void *sig,
                                    size_t sig_len, enum egov_x509_purpose purpose,
                                    struct egov_pki_cert *out, char *err, size_t errlen)
{
    enum egov_ec ec =
        egov_pki_verify_chain(db, cert, cert_len, purpose, egov_now_us(), out, err, errlen);

    if (ec != EGOV_EC_NONE)
        return ec;
    ec = egov_x509_verify_signature(cert, cert_len, data, data_len, sig, sig_len);
    if (ec != EGOV_EC_NONE)
        pki_say(err, errlen, "the signature does not verify with the certificate's key");
    return ec;
}
