/*
 * backoffice.h -- reference back-office systems of the agencies and their
 * synthetic data.
 *
 * Six systems stand for the agencies' existing back offices: household
 * registration (戶政), land administration (地政), tax (稅務), business
 * registration (工商), motor vehicles (監理) and health care (醫療).  Each
 * runs as its own process with its own database:
 *
 *     egov backoffice household|land|tax|business|vehicle|health
 *          [--listen HOST:PORT] [--db URL] [--seed N] [--people N]
 *          [--geocode DIR] [--publish URL] [--var DIR] [--generate-only]
 *     egov backoffice people --people N [--seed N] [--geocode DIR] [--limit K]
 *
 * and prints "listening on http://HOST:PORT" on stdout when it serves
 * (port 0 picks a free port), exactly like `egov serve`.  It stops on
 * SIGINT/SIGTERM.  The default database is sqlite:VARDIR/backoffice-<name>.db.
 * With --people N (and --seed, default 1) an empty database is filled with
 * a synthetic population; the same seed and N give the same people in all
 * six systems, so the people who live in the household registry own the
 * parcels, pay the taxes, drive the cars and run the companies.  `people`
 * prints that population's demo citizen and first persons as JSON lines.
 *
 * HTTP API of every back office (paths relative to its base URL):
 *
 *   GET  /openapi.json          OpenAPI 3.0 description of the API below
 *   GET  /healthz, /readyz, /metrics
 *
 * household (戶政, UTF-8):
 *   GET  /persons/{id}                       person record
 *   GET  /persons/{id}/transcript?type=full|partial
 *                                            戶籍謄本 data of the person's
 *                                            household (full: every member;
 *                                            partial: this person only)
 *   POST /persons/{id}/address-change        遷徙登記 {"address","district_code",
 *                                            "date"?:"YYYY-MM-DD"} -> 200 {"household_no",
 *                                            "moved":[ids],"events":[seq]}; the head
 *                                            moves the whole household, another member
 *                                            moves alone into a new household; one
 *                                            household.address-changed per person moved
 *   GET  /events?after=SEQ&limit=N           the outbox feed, oldest first:
 *        {"events":[EVENT...],"next":SEQ}    (poll again with after=next)
 * land (地政, UTF-8):
 *   GET  /parcels/{section}/{number}         地籍謄本 data (section: 4 digits,
 *                                            number: 8-digit 地號)
 *   GET  /owners/{id}/parcels                parcels and buildings of an owner
 * tax (稅務, legacy code "cns-fin", the tax in-house code CNS2FIN):
 *   GET  /taxpayers/{id}                     taxpayer record
 *   GET  /taxpayers/{id}/bills?year=YYYY&unpaid=1
 *   GET  /taxpayers/{id}/clearance?year=YYYY 完稅證明 data
 *   POST /bills/{no}/payments                {"amount": N} pays a bill
 * business (工商, UTF-8):
 *   GET  /companies/{ban}                    company record (統一編號)
 *   GET  /persons/{id}/companies             companies a person represents or directs
 * vehicle (監理, legacy code "cns-dci"):
 *   GET  /owners/{id}/vehicles
 *   GET  /owners/{id}/fines?unpaid=1
 *   GET  /owners/{id}/licences
 *   GET  /vehicles/{plate}                   with its inspections
 * health (醫療, UTF-8):
 *   GET  /hospitals?city=CODE                hospitals and clinics
 *   GET  /hospitals/{code}/slots?date=YYYY-MM-DD
 *   POST /appointments                       {"slot_id":N,"national_id":ID} -> 201;
 *                                            409 when the slot is full or already
 *                                            booked by that person
 *   GET  /appointments/{id}
 *   DELETE /appointments/{id}                cancel -> 200; 409 if already cancelled
 *   GET  /patients/{id}/appointments
 *
 * Events.  The household registry writes every address change to its
 * outbox (same transaction as the change); sequence numbers are given in
 * that transaction, so a reader never sees a later one before an earlier
 * one.  The gateway reads the feed GET /events?after=SEQ; with --publish
 * URL the registry also POSTs each EVENT to URL through its job outbox
 * (egov_webhook_enqueue: X-Egov-Delivery and Idempotency-Key carry the
 * delivery's job id; retried with back-off until 2xx).  An EVENT is:
 *
 *   {"seq":12,"id":"<uuid>","subject":"household.address-changed",
 *    "key":"<national id>","time":"RFC 3339",
 *    "data":{"national_id","name","household_no","address","district_code",
 *            "previous_address","moved_on":"YYYY-MM-DD"}}
 *
 * The land, tax, vehicle and health back offices receive events at
 *
 *   POST /events   header X-Egov-Delivery: <delivery id> (required, 1..128
 *                  printable ASCII); body: an EVENT (only "subject" and
 *                  "data" are read)
 *
 * and apply household.address-changed to their own records (owner,
 * taxpayer, vehicle owner, patient addresses) in one transaction together
 * with the delivery id, so a repeated delivery has no further effect:
 * 200 {"applied":true,"updated":N} the first time, 200
 * {"applied":false,"duplicate":true} after.  An event whose "time" is
 * older than the last one applied for that person (a late retry) changes
 * nothing: 200 {"applied":false,"stale":true}.  Other subjects: 200
 * {"applied":false}.  Bad input: 400 problem naming the field.
 *
 * Legacy code.  The tax and vehicle back offices store names and
 * addresses in their legacy code and speak it on the wire: their JSON
 * bodies are sent as "Content-Type: application/json; charset=cns-fin" (or
 * charset=cns-dci), the charset being the hanzi encoding name
 * (egov_hanzi_encoding_by_name()).  They accept request bodies in that
 * charset, or in UTF-8 when the Content-Type says charset=utf-8; without
 * a charset, a body that is valid UTF-8 is read as UTF-8 and any other as
 * their code (Big5-family text is practically never valid UTF-8).  They need
 * the imported 全字庫 tables (`egov hanzi import`) in the var directory.
 * Characters their code lacks (CNS2FIN has no plain 鎮, for one) are
 * stored as the code's replacement mark, as such systems do.
 */
#ifndef EGOV_BACKOFFICE_H
#define EGOV_BACKOFFICE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "http/http.h"

/** The backoffice module: its CLI verb `egov backoffice`. */
extern const struct egov_module egov_backoffice_module;

/** The six reference back offices. */
enum egov_backoffice_agency {
    EGOV_BO_HOUSEHOLD = 0,
    EGOV_BO_LAND = 1,
    EGOV_BO_TAX = 2,
    EGOV_BO_BUSINESS = 3,
    EGOV_BO_VEHICLE = 4,
    EGOV_BO_HEALTH = 5,
};
#define EGOV_BO_COUNT 6

/** One endpoint of a back office, for registering it at the gateway. */
struct egov_backoffice_endpoint {
    const char *service; /**< service code, e.g. "persons"; NULL ends a list */
    const char *method;  /**< "GET", "POST", "DELETE" */
    const char *path;    /**< OpenAPI path template, e.g. "/persons/{id}" */
    bool personal_data;  /**< returns or changes personal data of the person in the path/body */
    const char *summary; /**< English one-liner */
};

/** Static description of one back office. */
struct egov_backoffice_info {
    enum egov_backoffice_agency agency;
    const char *name; /**< "household", ... (the CLI word) */
    const char
        *member_code; /**< suggested gateway member code: "MOI", "MOF", "MOEA", "MOTC", "MOHW" */
    const char *subsystem; /**< suggested gateway subsystem: "household", "land", ... */
    const char *oid;       /**< the agency's government OID */
    const char *title_zh;  /**< "戶政" ... */
    const char *title_en;  /**< "Household registration" ... */
    const char *charset;   /**< wire/storage code: "utf-8", "cns-fin", "cns-dci" */
    bool receives_events;  /**< has POST /events (land, tax, vehicle, health) */
    const struct egov_backoffice_endpoint *endpoints; /**< ends with service == NULL */
};

/** The description of @p agency (static), or NULL if out of range. */
const struct egov_backoffice_info *egov_backoffice_info(enum egov_backoffice_agency agency);
/** Looks an agency up by its CLI word ("household", ...).  False if unknown. */
bool egov_backoffice_agency_parse(const char *name, enum egov_backoffice_agency *out);

/* ------------------------------------------------------------------ */
/* Running a back office                                               */
/* ------------------------------------------------------------------ */

/** Options for starting a back office in-process or as a child. */
struct egov_backoffice_options {
    enum egov_backoffice_agency agency;
    const char *listen;  /**< "HOST:PORT"; NULL = "127.0.0.1:0" */
    const char *db_url;  /**< its own database; required */
    const char *vardir;  /**< for the hanzi tables (tax, vehicle); NULL = "var" */
    const char *datadir; /**< templates/static; NULL = EGOV_DATADIR or built-in */
    const char
        *geocode_dir; /**< folder with city-112.json and district-107.json; NULL = built-in list */
    uint64_t seed;    /**< population seed (same seed = same people everywhere) */
    unsigned int people;     /**< generate this many people into an empty database; 0 = none */
    const char *publish_url; /**< household: also POST each event here; NULL = feed only */
    unsigned int threads;    /**< HTTP threads; 0 = 2 */
    bool progress;           /**< show generation progress on stderr if it is a terminal */
    /**
     * File with the system's secret shared with the gateway (`egov gateway
     * provider-secret`); then the agency's services answer only calls the
     * gateway signed.  NULL = no check (development).
     */
    const char *gateway_secret_file;
};

struct egov_backoffice;

/**
 * Opens and migrates the database, loads the hanzi tables when the agency
 * speaks a legacy code, generates the population if asked and the
 * database is empty, and starts serving.  Returns NULL with a message in
 * @p err on failure.  Stop with egov_backoffice_stop().
 */
struct egov_backoffice *egov_backoffice_start(const struct egov_backoffice_options *opt, char *err,
                                              size_t errlen);
/** The port the back office listens on. */
unsigned int egov_backoffice_port(const struct egov_backoffice *bo);
/** Its base URL "http://127.0.0.1:PORT" (borrowed, valid until stopped). */
const char *egov_backoffice_url(const struct egov_backoffice *bo);
/** Its database (borrowed), for tests. */
struct egov_db *egov_backoffice_db(const struct egov_backoffice *bo);
/** Stops serving, stops its job workers and frees everything.  NULL is a no-op. */
void egov_backoffice_stop(struct egov_backoffice *bo);

/** A back office running as a child process (`egov backoffice NAME ...`). */
struct egov_backoffice_child {
    pid_t pid; /**< 0 when not running */
    enum egov_backoffice_agency agency;
    unsigned int port;
    char url[64]; /**< "http://127.0.0.1:PORT" */
};

/**
 * Starts `@p egov_bin backoffice NAME --listen ... --db ...` (plus --seed,
 * --people, --geocode, --publish from @p opt; the child inherits stderr) and
 * waits until it prints its listening line (up to @p timeout_ms; population
 * generation counts).  Returns false with a message in @p err (the child
 * is killed) on failure.
 */
bool egov_backoffice_spawn(const char *egov_bin, const struct egov_backoffice_options *opt,
                           unsigned int timeout_ms, struct egov_backoffice_child *out, char *err,
                           size_t errlen);
/**
 * Sends @p sig (SIGTERM to stop cleanly, SIGKILL to crash it) and waits up
 * to 15 s.  Returns true if it exited with status 0 (SIGTERM) or was
 * killed by @p sig.  Resets @p c->pid.
 */
bool egov_backoffice_child_stop(struct egov_backoffice_child *c, int sig);

/* ------------------------------------------------------------------ */
/* The back offices of `egov demo`                                     */
/* ------------------------------------------------------------------ */

/** What egov_backoffice_demo_start() needs from the node. */
struct egov_backoffice_demo_options {
    const char *egov_bin;    /**< the egov program (children and `egov account/oidc` runs) */
    const char *node_url;    /**< "http://127.0.0.1:PORT" of the running node */
    const char *node_db_url; /**< the node's database URL (for the account and oidc verbs) */
    const char *vardir;      /**< VAR: demo.json, demo/ (back-office databases, consumer key) */
    const char *shared_data; /**< folder with geocode/ and cns11643/, or NULL */
    uint64_t seed;           /**< population seed */
    unsigned int people;     /**< population size */
    unsigned int base_port;  /**< back offices on base_port+1..+6 (stable across runs); 0 = any */
};

struct egov_backoffice_demo;

/**
 * Before the node starts its modules: imports the 全字庫 tables from
 * @p shared_data/cns11643 into @p vardir unless they are there already, so
 * that the node (its gateway transcodes) and the tax and vehicle back
 * offices load them.  Returns false with a message in @p err if they are
 * missing and cannot be imported (those two back offices then stay off).
 */
bool egov_backoffice_demo_prepare(const char *vardir, const char *shared_data, char *err,
                                  size_t errlen);

/**
 * Starts the six back offices as children of the calling process (each
 * with its own SQLite database under VAR/demo/ and the generated
 * population), registers their services, the consumer system
 * TW/GOV/NDC/one-window (signing key in VAR/demo/consumer-key.pem, an
 * OAuth client), grants, legal bases, the household registry as publisher
 * and the others as subscribers of household.address-changed in the
 * node's database @p node_db, makes a demo citizen and a platform
 * administrator, and writes VAR/demo.json (URLs, service ids with their
 * paths, credentials, passwords, and under "not_wired" whatever could not
 * be set up).  Returns NULL with a message in @p err only if nothing could
 * be started.  Stop with egov_backoffice_demo_stop().
 */
struct egov_backoffice_demo *
egov_backoffice_demo_start(struct egov_db *node_db, const struct egov_backoffice_demo_options *o,
                           char *err, size_t errlen);
/** What was written to demo.json (borrowed), for printing. */
const json_t *egov_backoffice_demo_doc(const struct egov_backoffice_demo *d);
/** Stops the children (SIGTERM, waiting for each) and frees @p d.  NULL is a no-op. */
void egov_backoffice_demo_stop(struct egov_backoffice_demo *d);

/* ------------------------------------------------------------------ */
/* Synthetic population                                                */
/* ------------------------------------------------------------------ */

/** One generated person. */
struct egov_backoffice_person {
    char national_id[11]; /**< letter + 9 digits, valid checksum */
    char name[40];        /**< UTF-8, may hold rare characters (堃, 喆, 犇, ...) */
    char sex;             /**< 'M' or 'F' */
    int birth_year, birth_month, birth_day; /**< Gregorian */
    unsigned int household;                 /**< index of the household */
    int father, mother, spouse;             /**< person indexes, -1 if none */
    char address[160];                      /**< registered address, UTF-8 */
    char district_code[9];                  /**< 8-digit MOI code of the town/district */
};

/** A generated population (opaque). */
struct egov_backoffice_population;

/**
 * Generates @p people persons deterministically from @p seed, with
 * addresses in the divisions read from @p geocode_dir (NULL = the built-in
 * list of the 22 counties and cities).  Returns NULL with a message in
 * @p err on failure (unreadable geocode folder, OOM).  Free with
 * egov_backoffice_population_free().
 */
struct egov_backoffice_population *egov_backoffice_population_new(uint64_t seed,
                                                                  unsigned int people,
                                                                  const char *geocode_dir,
                                                                  char *err, size_t errlen);
/** Frees a population.  NULL is a no-op. */
void egov_backoffice_population_free(struct egov_backoffice_population *pop);
/** Number of persons. */
unsigned int egov_backoffice_population_size(const struct egov_backoffice_population *pop);
/** Person @p i (borrowed), or NULL if out of range. */
const struct egov_backoffice_person *
egov_backoffice_population_person(const struct egov_backoffice_population *pop, unsigned int i);
/**
 * Index of a living adult who, in every back office generated from the
 * same seed and size, owns a parcel, a vehicle and has tax bills: a good
 * demo citizen.  -1 if the population has none.
 */
int egov_backoffice_population_demo_citizen(const struct egov_backoffice_population *pop);

/* ------------------------------------------------------------------ */
/* Identifier checks                                                   */
/* ------------------------------------------------------------------ */

/** True if @p id is a valid national ID (身分證統一編號 or new resident certificate number). */
bool egov_backoffice_national_id_valid(const char *id);
/** True if @p ban is a valid 8-digit business ID (統一編號), by the rules since 2023. */
bool egov_backoffice_ban_valid(const char *ban);
/** True if @p plate is a new-format plate: 3 letters (no I, O) '-' 4 digits (no 4). */
bool egov_backoffice_plate_valid(const char *plate);

#endif /* EGOV_BACKOFFICE_H */
