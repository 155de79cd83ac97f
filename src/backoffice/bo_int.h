/*
 * bo_int.h -- internal interface of the backoffice module, shared by its
 * files and nothing else.
 */
#ifndef EGOV_BO_INT_H
#define EGOV_BO_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "backoffice/backoffice.h"
#include "hanzi/hanzi.h"

/* ------------------------------------------------------------------ */
/* Deterministic random numbers (splitmix64)                           */
/* ------------------------------------------------------------------ */

/** A random stream; the same seed always gives the same numbers. */
struct bo_rng {
    uint64_t s;
};

/** Seeds a stream from the population seed, a stream number and an index. */
void bo_rng_seed(struct bo_rng *r, uint64_t seed, uint64_t stream, uint64_t index);
/** Next 64 random bits. */
uint64_t bo_rng_next(struct bo_rng *r);
/** A number in [0, n); n > 0. */
uint32_t bo_rng_below(struct bo_rng *r, uint32_t n);
/** A number in [lo, hi]. */
int bo_rng_range(struct bo_rng *r, int lo, int hi);
/** True with probability @p percent / 100. */
bool bo_rng_chance(struct bo_rng *r, unsigned int percent);

/* ------------------------------------------------------------------ */
/* Identifiers (ids.c)                                                 */
/* ------------------------------------------------------------------ */

/** The two-digit value of a national-ID area letter, or -1. */
int bo_id_letter_value(char letter);
/**
 * Makes a national ID from @p letter, sex digit @p sexdigit (1, 2, 8, 9)
 * and a serial 0..9999999; writes 11 bytes with the NUL.
 */
void bo_id_make(char letter, int sexdigit, uint32_t serial, char out[11]);
/** Makes a valid 統一編號 from a serial 0..99999 (spread over the id space). */
void bo_ban_make(uint32_t serial, char out[9]);
/** Makes a new-format plate "ABC-1235" from a serial (distinct serials give distinct plates). */
void bo_plate_make(uint32_t serial, char out[9]);

/* ------------------------------------------------------------------ */
/* The generated world (population.c)                                  */
/* ------------------------------------------------------------------ */

/** An administrative division. */
struct bo_district {
    char code[9];   /**< 8-digit MOI code */
    char city[32];  /**< "臺北市" */
    char name[32];  /**< "中正區" */
    char id_letter; /**< national-ID area letter of the city */
};

/** A household. */
struct bo_household {
    char no[9];         /**< 戶號: a letter and 7 digits */
    unsigned int first; /**< first member's person index */
    unsigned int count; /**< members, persons first .. first+count-1; the head first */
    unsigned int district;
    char address[160];
    int reg_year; /**< year the household was registered */
};

/** A parcel of land (with, possibly, one building on it). */
struct bo_parcel {
    unsigned int section; /**< index in sections */
    char number[9];       /**< 8-digit 地號 */
    int64_t area_cm2;     /**< area in 0.01 m² units */
    int64_t value_per_m2; /**< 公告土地現值, NT$ per m² */
    const char *zoning;
    unsigned int owners[3]; /**< person indexes */
    unsigned int share_num[3];
    unsigned int share_den;
    unsigned int nowners;
    int reg_year;
    bool has_building;
    char building_no[10]; /**< 建號 "01234-000" */
    int64_t floor_cm2;
    bool mortgage;
    int64_t mortgage_amount;
    unsigned int mortgage_bank;
};

/** A land section (段). */
struct bo_section {
    char code[5];
    char name[40];
    unsigned int district;
};

/** A vehicle. */
struct bo_vehicle {
    char plate[9];
    unsigned int owner;
    const char *kind; /**< "car", "motorcycle", "truck" */
    const char *make;
    int cc; /**< engine size */
    int reg_year, reg_month, reg_day;
    int fines; /**< number of fines */
};

/** A company. */
struct bo_company {
    char ban[9];
    char name[96];
    unsigned int representative;
    unsigned int directors[3];
    unsigned int ndirectors;
    int64_t capital;
    unsigned int district;
    char address[160];
    int est_year, est_month, est_day;
    const char *status;
};

/** A hospital or clinic. */
struct bo_hospital {
    char code[11]; /**< 10-digit 醫事機構代碼 */
    char name[96];
    bool hospital; /**< hospital or clinic */
    unsigned int district;
    char address[160];
};

/** The whole synthetic world, derived from (seed, people). */
struct egov_backoffice_population {
    uint64_t seed;
    struct bo_district *districts;
    unsigned int ndistricts;
    struct egov_backoffice_person *persons;
    unsigned int npersons;
    struct bo_household *households;
    unsigned int nhouseholds;
    struct bo_section *sections;
    unsigned int nsections;
    struct bo_parcel *parcels;
    unsigned int nparcels;
    struct bo_vehicle *vehicles;
    unsigned int nvehicles;
    struct bo_company *companies;
    unsigned int ncompanies;
    struct bo_hospital *hospitals;
    unsigned int nhospitals;
    bool *dead;      /**< per person */
    int *death_year; /**< per person (0 if alive) */
};

/** Age of person @p p in the reference year. */
int bo_person_age(const struct egov_backoffice_person *p);
/** The reference "today" of generated data: 2026-11-27 (ROC 115). */
#define BO_YEAR  2026
#define BO_MONTH 11
#define BO_DAY   27

/** Banks that hold mortgages (static names). */
extern const char *const bo_banks[];
#define BO_NBANKS 8

/* ------------------------------------------------------------------ */
/* Database schema and generation                                      */
/* ------------------------------------------------------------------ */

/** The migrations of @p agency (static). */
const struct egov_db_module_migrations *bo_migrations(enum egov_backoffice_agency agency);
/**
 * The migrations every back office shares (bo_delivery, bo_setting).
 * Registered before the agency's own; a process that runs several back
 * offices gives every database every registered agency's tables, unused.
 */
const struct egov_db_module_migrations *bo_common_migrations(void);

/** Progress of generation, printed if @p show. */
struct bo_progress {
    bool show;
    const char *what;
    unsigned long done, total;
    int64_t last_us;
};
/** Counts @p add more items done; redraws the progress line at most five times a second. */
void bo_progress_step(struct bo_progress *pr, unsigned long add);
/** Ends the progress line with "done" (if it is shown). */
void bo_progress_end(struct bo_progress *pr);

/**
 * Fills the empty database of @p agency from @p pop.  Returns false with
 * a message in @p err.  Does nothing (true) if the database already holds
 * data.
 */
bool bo_generate(struct egov_db *db, enum egov_backoffice_agency agency,
                 const struct egov_backoffice_population *pop, bool progress, char *err,
                 size_t errlen);

/**
 * Adds appointment slots to a health database for each of the next seven
 * days (in Taiwan) that has none, for a database generated days ago.
 * Returns the number of days added (0 if none were missing), -1 on
 * database errors.
 */
int bo_health_topup(struct egov_db *db, uint64_t seed);

/* ------------------------------------------------------------------ */
/* HTTP helpers (http_util.c)                                          */
/* ------------------------------------------------------------------ */

/** The legacy encoding of @p agency, or NULL for UTF-8 agencies or missing tables. */
const struct egov_hanzi_encoding *bo_legacy_encoding(enum egov_backoffice_agency agency);
/** The UTF-8 encoding of the hanzi module (NULL if tables are not loaded). */
const struct egov_hanzi_encoding *bo_utf8_encoding(void);

/**
 * Converts UTF-8 @p s to the agency's legacy code for storage; the result
 * is allocated in @p a, its length in @p len.  Characters the code lacks
 * become its replacement mark.  NULL on OOM or missing tables.
 */
char *bo_to_legacy(struct egov_arena *a, enum egov_backoffice_agency agency, const char *s,
                   size_t *len);
/** Converts stored legacy bytes back to UTF-8 (in @p a).  NULL on error. */
char *bo_from_legacy(struct egov_arena *a, enum egov_backoffice_agency agency, const void *p,
                     size_t len);

/** Replies @p body (stolen) in the agency's wire code with @p status. */
void bo_reply(struct egov_req *req, enum egov_backoffice_agency agency, unsigned int status,
              json_t *body);
/** Replies a registry problem in the agency's wire code. */
void bo_problem(struct egov_req *req, enum egov_backoffice_agency agency, enum egov_ec ec,
                const char *field, const char *detail);
/**
 * Parses the request body as a JSON object in the agency's wire code (or
 * UTF-8 if its Content-Type says so) against @p spec.  Returns the object
 * (owned by the request) or NULL after replying 400/415.
 */
json_t *bo_parse_body(struct egov_req *req, enum egov_backoffice_agency agency,
                      const struct egov_json_spec *spec);
/** Replies the right problem for a failed transaction status @p qs. */
void bo_db_problem(struct egov_req *req, enum egov_backoffice_agency agency, enum egov_db_qs qs);

/**
 * Runs @p body in one transaction (@p write, at most @p retries retries)
 * on a connection of the request's database.  True when it ran (a status
 * >= 0); false after answering 503 (no connection) or the database problem.
 */
bool bo_run_txn(struct egov_req *req, enum egov_backoffice_agency agency, bool write,
                unsigned int retries, egov_db_txn_fn body, void *cls);
/**
 * A read-only lookup of one record: runs @p body, which leaves a new
 * object in *@p out (NULL when the record does not exist).  Returns that
 * object (the caller's), or NULL after answering the database problem or
 * 404 @p unknown naming @p field.
 */
json_t *bo_read_one(struct egov_req *req, enum egov_backoffice_agency agency, egov_db_txn_fn body,
                    void *cls, json_t **out, enum egov_ec unknown, const char *field);
/**
 * Runs the one query @p st with @p params on a connection of the request's
 * database; *@p rows is its result (the caller frees it).  False after
 * answering 503 or the database problem.
 */
bool bo_query(struct egov_req *req, enum egov_backoffice_agency agency,
              const struct egov_db_stmt *st, const struct egov_db_param *params,
              struct egov_db_rows **rows);

/** Text of column @p col (empty string for NULL), copied into the request arena. */
const char *bo_col(struct egov_req *req, const struct egov_db_rows *r, size_t row, size_t col);
/** A legacy-coded column decoded to UTF-8 (into the request arena); "" on NULL. */
const char *bo_col_legacy(struct egov_req *req, enum egov_backoffice_agency agency,
                          const struct egov_db_rows *r, size_t row, size_t col);

/** A "YYYY-MM-DD" date as {"date":..., "roc":"中華民國..."}; NULL on OOM. */
json_t *bo_date_json(const char *iso);
/** True if @p s is exactly @p n ASCII digits (NULL is not). */
bool bo_digits(const char *s, size_t n);
/** Checks "YYYY-MM-DD" strictly. */
bool bo_iso_date_valid(const char *s);

/** Route tables of each agency (their own server; core routes added separately). */
extern const struct egov_route_table bo_household_routes;
extern const struct egov_route_table bo_land_routes;
extern const struct egov_route_table bo_tax_routes;
extern const struct egov_route_table bo_business_routes;
extern const struct egov_route_table bo_vehicle_routes;
extern const struct egov_route_table bo_health_routes;

/** Builds the OpenAPI 3.0 description of @p agency (new reference). */
json_t *bo_openapi(enum egov_backoffice_agency agency);

/** Handles POST /events for @p agency (receiving agencies). */
void bo_handle_event(struct egov_req *req, enum egov_backoffice_agency agency);

/**
 * The back office whose route table holds @p route (a request's route).
 * False if no back office's table holds it.
 */
bool bo_route_agency(const struct egov_route *route, enum egov_backoffice_agency *out);
/** GET /openapi.json, shared by every back office (found by the request's route). */
void bo_handle_openapi(struct egov_req *req);
/** POST /events, shared by the receiving back offices (found by the request's route). */
void bo_handle_events(struct egov_req *req);

/**
 * The national ID in path parameter @p name, checked; NULL after replying
 * 400 naming the field.
 */
const char *bo_id_param(struct egov_req *req, enum egov_backoffice_agency agency, const char *name);
/** Today's date in Taiwan (UTC+8) as "YYYY-MM-DD". */
void bo_today(char out[11]);
/** A new JSON string of @p s, "" for NULL (NULL only on OOM). */
json_t *bo_json_str(const char *s);

/**
 * In a child between fork() and exec(): unblocks every signal (a node
 * blocks SIGINT/SIGTERM for its own handling) and closes every file
 * descriptor above 2.  Async-signal-safe.
 */
void bo_child_reset(void);

/** `egov backoffice NAME ...`: runs one back office until a signal; the exit code. */
int bo_cli_run(int argc, char **argv, const struct egov_module_env *env);

/** Sets (or, with @p value NULL, removes) a value in bo_setting, in its own transaction. */
bool bo_setting_set(struct egov_db *db, const char *key, const char *value);

#endif /* EGOV_BO_INT_H */
