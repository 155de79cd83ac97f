/*
 * core.h -- the lowest layer of egov: memory, strings, UTF-8, JSON helpers,
 * the error registry, logging, typed configuration, ids and time.
 *
 * Nothing here includes any other egov module.  Every function is
 * thread-safe unless its comment says otherwise.
 */
#ifndef EGOV_CORE_H
#define EGOV_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

/* ------------------------------------------------------------------ */
/* Allocation with fault injection                                     */
/* ------------------------------------------------------------------ */

/** malloc() that can be made to fail for tests; returns NULL on failure. */
void *egov_malloc(size_t n);
/** calloc() counterpart of egov_malloc(); zeroed memory or NULL. */
void *egov_calloc(size_t nmemb, size_t size);
/** realloc() counterpart of egov_malloc(); on failure @p p is untouched. */
void *egov_realloc(void *p, size_t n);
/** strdup() through egov_malloc(); NULL if @p s is NULL or on failure. */
char *egov_strdup(const char *s);
/** FNV-1a hash of the NUL-terminated @p s, for in-memory hash tables (not for secrets). */
uint32_t egov_str_hash(const char *s);
/** Frees memory from the egov_* allocators (or plain malloc). */
void egov_free(void *p);

/**
 * Fault injection: make the @p n-th allocation from now fail (1 = the next
 * one) and every later one succeed again.  0 disables.  Thread-global; for
 * tests only.
 */
void egov_alloc_fail_nth(unsigned long n);
/** Number of allocations made through egov_malloc & co. since start. */
unsigned long egov_alloc_count(void);

/* ------------------------------------------------------------------ */
/* Arena: per-request memory, freed at once, with cleanup callbacks    */
/* ------------------------------------------------------------------ */

struct egov_arena;

/** Creates an arena whose first block holds @p block_size bytes. NULL on OOM. */
struct egov_arena *egov_arena_create(size_t block_size);
/** Runs the cleanups (last registered first) and frees every block. NULL is a no-op. */
void egov_arena_destroy(struct egov_arena *a);
/** Returns @p n bytes aligned to max_align_t, owned by the arena; NULL on OOM. */
void *egov_arena_alloc(struct egov_arena *a, size_t n);
/** Zeroed variant of egov_arena_alloc(). */
void *egov_arena_calloc(struct egov_arena *a, size_t n);
/** Copies @p s into the arena.  NULL if @p s is NULL or on OOM. */
char *egov_arena_strdup(struct egov_arena *a, const char *s);
/** Copies @p n bytes of @p s and a terminating NUL into the arena. */
char *egov_arena_strndup(struct egov_arena *a, const char *s, size_t n);
/** printf into the arena.  NULL on OOM. */
char *egov_arena_printf(struct egov_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/**
 * Registers @p fn(@p arg) to run when the arena is destroyed, for objects
 * of other libraries (OpenSSL, libxml2, jansson, DB results).
 * Returns false on OOM, in which case @p fn is run at once.
 */
bool egov_arena_add_cleanup(struct egov_arena *a, void (*fn)(void *), void *arg);
/** Bytes handed out so far (for metrics and limits). */
size_t egov_arena_used(const struct egov_arena *a);

/* ------------------------------------------------------------------ */
/* String builder with sticky out-of-memory                            */
/* ------------------------------------------------------------------ */

/**
 * A growable byte buffer, always NUL-terminated once anything was
 * appended.  After one failed allocation @c oom stays set and further
 * appends do nothing, so a caller checks once at the end (SQLite style).
 */
struct egov_buf {
    char *data;  /**< owned by the buffer; malloc'd */
    size_t len;  /**< bytes used, not counting the NUL */
    size_t cap;  /**< bytes allocated */
    size_t max;  /**< 0 = unlimited; else appends past max set @c oom */
    bool oom;    /**< sticky: an allocation failed or @c max was passed */
};

/** Initialises an empty buffer (no allocation yet). */
void egov_buf_init(struct egov_buf *b);
/** Frees the buffer's memory and resets it. */
void egov_buf_free(struct egov_buf *b);
/** Empties the buffer and clears @c oom, keeping its memory. */
void egov_buf_reset(struct egov_buf *b);
/**
 * Makes room for @p n more bytes at once, so that a builder whose size is
 * roughly known does not grow step by step; false (and @c oom) if it cannot.
 */
bool egov_buf_reserve(struct egov_buf *b, size_t n);
/** Appends @p n bytes. */
void egov_buf_append(struct egov_buf *b, const void *p, size_t n);
/** Appends a NUL-terminated string. */
void egov_buf_puts(struct egov_buf *b, const char *s);
/** Appends one byte. */
void egov_buf_putc(struct egov_buf *b, char c);
/** Appends formatted text. */
void egov_buf_printf(struct egov_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/** va_list variant of egov_buf_printf(). */
void egov_buf_vprintf(struct egov_buf *b, const char *fmt, va_list ap);
/** Appends @p s with HTML special characters (& < > " ') escaped. */
void egov_buf_html_escape(struct egov_buf *b, const char *s, size_t n);
/**
 * Takes the buffer's memory: returns a malloc'd NUL-terminated string the
 * caller frees with egov_free(), or NULL if @c oom is set (the buffer is
 * freed in both cases).
 */
char *egov_buf_steal(struct egov_buf *b);

/* ------------------------------------------------------------------ */
/* UTF-8                                                               */
/* ------------------------------------------------------------------ */

/**
 * Checks that @p s[0..n) is well-formed UTF-8 (no overlongs, no
 * surrogates, nothing above U+10FFFF).  On failure stores the byte offset
 * of the first bad sequence in @p bad_offset (if not NULL).
 */
bool egov_utf8_valid(const char *s, size_t n, size_t *bad_offset);
/**
 * Decodes one code point at @p s (at most @p n bytes).  Returns the number
 * of bytes used (1..4) and stores the code point, or 0 if the sequence is
 * invalid or truncated.
 */
size_t egov_utf8_decode(const char *s, size_t n, uint32_t *cp);
/** Encodes @p cp into @p out (4 bytes of room).  Returns bytes written, 0 if invalid. */
size_t egov_utf8_encode(uint32_t cp, char out[4]);
/**
 * Copies NUL-terminated @p src (NULL counts as "") into @p dst of @p size
 * bytes (size > 0).  If it does not fit, copies as much as fits without
 * cutting a UTF-8 sequence and returns false; true if it was copied whole.
 */
bool egov_utf8_copy(char *dst, size_t size, const char *src);
/** Number of code points in valid UTF-8 @p s[0..n). */
size_t egov_utf8_length(const char *s, size_t n);

/* ------------------------------------------------------------------ */
/* Error registry (generated from errors.def)                          */
/* ------------------------------------------------------------------ */

/** Error codes; see errors.def for the list, ranges per module and hints. */
enum egov_ec {
#define EGOV_ERROR(code, name, status, hint) EGOV_EC_##name = code,
#include "core/errors.def"
#undef EGOV_ERROR
};

/** HTTP status for @p ec (500 for an unknown code). */
unsigned int egov_ec_http_status(enum egov_ec ec);
/** Symbolic name ("GENERIC_JSON_INVALID"); "UNKNOWN" for an unknown code. */
const char *egov_ec_name(enum egov_ec ec);
/** English hint (a gettext msgid); static string. */
const char *egov_ec_hint(enum egov_ec ec);
/** Looks a code up by name; returns false if there is none. */
bool egov_ec_by_name(const char *name, enum egov_ec *out);

/* ------------------------------------------------------------------ */
/* Logging: JSON lines on stderr                                       */
/* ------------------------------------------------------------------ */

enum egov_log_level {
    EGOV_LOG_DEBUG = 0,
    EGOV_LOG_INFO = 1,
    EGOV_LOG_WARN = 2,
    EGOV_LOG_ERROR = 3,
};

/** Sets the lowest level written (default INFO). */
void egov_log_set_level(enum egov_log_level lvl);
/** Parses "debug", "info", "warn", "error".  False if unknown. */
bool egov_log_level_parse(const char *s, enum egov_log_level *out);
/** Redirects log output to @p fd (default 2). */
void egov_log_set_fd(int fd);
/**
 * Sets the request id carried by every log line written from this thread;
 * NULL clears it.  The string is borrowed until it is cleared.
 */
void egov_log_set_request_id(const char *rid);
/** The calling thread's current request id or NULL. */
const char *egov_log_request_id(void);
/**
 * Writes one JSON line {"ts","level","msg","rid"?,"src"?} plus the fields
 * of @p extra (borrowed; may be NULL).
 */
void egov_log_json(enum egov_log_level lvl, const char *src, json_t *extra, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));

#define EGOV_LOG_SRC__(f, l) f ":" #l
#define EGOV_LOG_SRC_(f, l) EGOV_LOG_SRC__(f, l)
#define EGOV_LOG_SRC EGOV_LOG_SRC_(__FILE__, __LINE__)
#define egov_debug(...) egov_log_json(EGOV_LOG_DEBUG, EGOV_LOG_SRC, NULL, __VA_ARGS__)
#define egov_info(...) egov_log_json(EGOV_LOG_INFO, EGOV_LOG_SRC, NULL, __VA_ARGS__)
#define egov_warn(...) egov_log_json(EGOV_LOG_WARN, EGOV_LOG_SRC, NULL, __VA_ARGS__)
#define egov_error(...) egov_log_json(EGOV_LOG_ERROR, EGOV_LOG_SRC, NULL, __VA_ARGS__)

/** Our bug: log it with its location.  Callers then answer 500. */
#define EGOV_BUG(...) egov_log_json(EGOV_LOG_ERROR, EGOV_LOG_SRC, NULL, "bug: " __VA_ARGS__)
/** A client's protocol violation: logged at WARN.  Callers answer 4xx. */
#define EGOV_CLIENT_FAULT(...) egov_log_json(EGOV_LOG_WARN, EGOV_LOG_SRC, NULL, __VA_ARGS__)

/* ------------------------------------------------------------------ */
/* JSON helpers                                                        */
/* ------------------------------------------------------------------ */

/** Field types for table-driven JSON parsing. */
enum egov_json_type {
    EGOV_JSON_END = 0,
    EGOV_JSON_STRING,  /**< const char ** borrowed from the json_t */
    EGOV_JSON_INT,     /**< int64_t *, checked against min/max */
    EGOV_JSON_BOOL,    /**< bool * */
    EGOV_JSON_OBJECT,  /**< json_t ** borrowed */
    EGOV_JSON_ARRAY,   /**< json_t ** borrowed */
    EGOV_JSON_ANY,     /**< json_t ** borrowed */
};

/** One field of a JSON body spec; arrays end with EGOV_JSON_SPEC_END. */
struct egov_json_spec {
    const char *name;
    enum egov_json_type type;
    void *out;
    bool optional;
    int64_t min;       /**< INT: inclusive bounds; STRING: length bounds in code points */
    int64_t max;       /**< 0 for no upper bound on strings */
};

#define EGOV_JSON_SPEC_END {NULL, EGOV_JSON_END, NULL, false, 0, 0}
#define EGOV_JSON_SPEC_STRING(n, p) {(n), EGOV_JSON_STRING, (p), false, 0, 0}
#define EGOV_JSON_SPEC_STRING_LEN(n, p, lo, hi) {(n), EGOV_JSON_STRING, (p), false, (lo), (hi)}
#define EGOV_JSON_SPEC_INT(n, p, lo, hi) {(n), EGOV_JSON_INT, (p), false, (lo), (hi)}
#define EGOV_JSON_SPEC_BOOL(n, p) {(n), EGOV_JSON_BOOL, (p), false, 0, 0}
#define EGOV_JSON_SPEC_OBJECT(n, p) {(n), EGOV_JSON_OBJECT, (p), false, 0, 0}
#define EGOV_JSON_SPEC_ARRAY(n, p) {(n), EGOV_JSON_ARRAY, (p), false, 0, 0}
#define EGOV_JSON_SPEC_ANY(n, p) {(n), EGOV_JSON_ANY, (p), false, 0, 0}
/**
 * Marks a field optional: EGOV_JSON_SPEC_OPTIONAL(EGOV_JSON_SPEC_INT("n", &n, 0, 9)).
 * The argument must be one of the EGOV_JSON_SPEC_* macros above, written
 * out directly (it is pasted to select the optional variant, so it also
 * works in static initialisers).
 */
#define EGOV_JSON_SPEC_OPTIONAL(s) EGOV_JSON_OPT_##s
#define EGOV_JSON_OPT_EGOV_JSON_SPEC_STRING(n, p) {(n), EGOV_JSON_STRING, (p), true, 0, 0}
#define EGOV_JSON_OPT_EGOV_JSON_SPEC_STRING_LEN(n, p, lo, hi) \
    {(n), EGOV_JSON_STRING, (p), true, (lo), (hi)}
#define EGOV_JSON_OPT_EGOV_JSON_SPEC_INT(n, p, lo, hi) {(n), EGOV_JSON_INT, (p), true, (lo), (hi)}
#define EGOV_JSON_OPT_EGOV_JSON_SPEC_BOOL(n, p) {(n), EGOV_JSON_BOOL, (p), true, 0, 0}
#define EGOV_JSON_OPT_EGOV_JSON_SPEC_OBJECT(n, p) {(n), EGOV_JSON_OBJECT, (p), true, 0, 0}
#define EGOV_JSON_OPT_EGOV_JSON_SPEC_ARRAY(n, p) {(n), EGOV_JSON_ARRAY, (p), true, 0, 0}
#define EGOV_JSON_OPT_EGOV_JSON_SPEC_ANY(n, p) {(n), EGOV_JSON_ANY, (p), true, 0, 0}

/** Outcome of egov_json_parse_spec(). */
struct egov_json_error {
    enum egov_ec ec;          /**< EGOV_EC_NONE on success */
    const char *field;        /**< the offending field name (borrowed from the spec) */
    char detail[160];         /**< human-readable English detail */
};

/**
 * Fills the outputs of @p spec from object @p obj.  Optional fields that are
 * absent keep their previous value.  Returns true on success; on failure
 * fills @p err naming the field.
 */
bool egov_json_parse_spec(const json_t *obj, const struct egov_json_spec *spec,
                          struct egov_json_error *err);
/**
 * Parses @p n bytes of JSON text into a new reference (caller decrefs).
 * On failure returns NULL and fills @p err with the line/column/position.
 */
json_t *egov_json_loads(const char *s, size_t n, struct egov_json_error *err);
/** Serialises @p j compactly into a malloc'd string (caller egov_free()s); NULL on OOM. */
char *egov_json_dumps(const json_t *j);
/** Returns the string member @p key of @p obj or @p dflt. */
const char *egov_json_get_str(const json_t *obj, const char *key, const char *dflt);

/* ------------------------------------------------------------------ */
/* Typed configuration                                                 */
/* ------------------------------------------------------------------ */

/** Types of configuration keys. */
enum egov_cfg_type {
    EGOV_CFG_END = 0,
    EGOV_CFG_STRING,    /**< char[] in the struct, size in @c max */
    EGOV_CFG_UINT,      /**< unsigned int, min..max */
    EGOV_CFG_BOOL,      /**< bool: true/false/yes/no/on/off/1/0 */
    EGOV_CFG_LISTEN,    /**< char[] "HOST:PORT" */
    EGOV_CFG_LEVEL,     /**< enum egov_log_level */
    EGOV_CFG_SIZE,      /**< size_t bytes, suffixes k/m/g accepted; min..max */
    EGOV_CFG_MS,        /**< unsigned int milliseconds; suffixes ms/s/min */
};

/** One key of a configuration table. */
struct egov_cfg_key {
    const char *section;   /**< INI section, e.g. "http" */
    const char *key;       /**< e.g. "listen"; environment name EGOV_HTTP_LISTEN */
    enum egov_cfg_type type;
    size_t offset;         /**< offsetof() into the config struct */
    unsigned long long min;
    unsigned long long max; /**< for strings: buffer size */
    const char *dflt;      /**< default value as text */
    const char *help;      /**< one line for --help and error messages */
};

/** The node's configuration; immutable once loaded. */
struct egov_config {
    char listen[128];          /**< http.listen */
    char db_url[512];          /**< db.url */
    unsigned int db_pool;      /**< db.pool */
    unsigned int db_busy_ms;   /**< db.busy_timeout */
    unsigned int threads;      /**< http.threads, 0 = one per core */
    unsigned int conn_timeout_ms; /**< http.connection_timeout */
    size_t max_url;            /**< http.max_url */
    size_t max_header;         /**< http.max_header */
    size_t max_body;           /**< http.max_body (default for routes) */
    unsigned int max_connections; /**< http.max_connections */
    bool cookie_secure;        /**< http.cookie_secure */
    char public_url[256];      /**< http.public_url */
    char datadir[512];         /**< paths.data: templates/ and static/ */
    char localedir[512];       /**< paths.locale: compiled message catalogs */
    char vardir[512];          /**< paths.var: runtime state */
    enum egov_log_level log_level; /**< log.level */
    bool log_requests;         /**< log.requests */
    unsigned int job_workers;  /**< jobs.workers */
    unsigned int job_poll_ms;  /**< jobs.poll_interval */
    unsigned int job_lease_ms; /**< jobs.lease */
    bool migrate_on_start;     /**< db.migrate_on_start */
    bool account_dev_mailbox;  /**< account.dev_mailbox */
    char account_secret_key_file[512]; /**< account.secret_key_file */
    char account_password_blocklist_file[512]; /**< account.password_blocklist_file */
    char oid_admin_token_file[512]; /**< oid.admin_token_file */
    char gateway_key_file[512];     /**< gateway.key_file: the gateway's signing key (PEM) */
    unsigned int gateway_timeout_ms; /**< gateway.timeout: default whole-call timeout */
    unsigned int gateway_clock_skew_s; /**< gateway.clock_skew: accepted age of a signature */
    unsigned int gateway_breaker_failures; /**< gateway.breaker_failures */
    unsigned int gateway_breaker_open_ms;  /**< gateway.breaker_open */
    char gateway_audit_key_file[512]; /**< gateway.audit_key_file: keep bodies, encrypted */
    char gateway_provider_secret_file[512]; /**< gateway.provider_secret_file: signs forwarded calls */
};

/** The configuration key table (ends with a key of type EGOV_CFG_END). */
extern const struct egov_cfg_key egov_config_keys[];

/** Problems found while loading configuration. */
struct egov_cfg_problems {
    unsigned int count;
    char msg[16][256];       /**< "db.pool = 0: must be an integer in 1..256" */
};

/** Fills @p cfg with every key's default. */
void egov_config_defaults(struct egov_config *cfg);
/**
 * Reads INI file @p path over @p cfg.  Unknown sections/keys and bad values
 * are reported in @p probs; returns false if any problem was found or the
 * file cannot be read.
 */
bool egov_config_load_file(struct egov_config *cfg, const char *path,
                           struct egov_cfg_problems *probs);
/** Applies EGOV_<SECTION>_<KEY> environment variables; false on bad values. */
bool egov_config_load_env(struct egov_config *cfg, struct egov_cfg_problems *probs);
/** Sets one key ("db.url") from text, as flags do; false with a problem on error. */
bool egov_config_set(struct egov_config *cfg, const char *name, const char *value,
                     struct egov_cfg_problems *probs);
/** Writes the effective configuration as INI to @p out (for `egov config show`). */
void egov_config_dump(const struct egov_config *cfg, struct egov_buf *out);

/* ------------------------------------------------------------------ */
/* Ids and time                                                        */
/* ------------------------------------------------------------------ */

/** Writes a new UUIDv7 (RFC 9562) in canonical text form (36 chars + NUL). */
void egov_uuid7(char out[37]);
/** True if @p s is a canonical UUID of any version. */
bool egov_uuid_valid(const char *s);
/** Fills @p out with @p n cryptographically random bytes; false on failure. */
bool egov_random(void *out, size_t n);

/** Current wall-clock time in microseconds since the epoch. */
int64_t egov_now_us(void);
/** Monotonic clock in microseconds. */
int64_t egov_mono_us(void);
/** Formats @p us (epoch microseconds) as RFC 3339 UTC with milliseconds into @p out[32]. */
void egov_time_rfc3339(int64_t us, char out[32]);
/** Parses RFC 3339 (Z or ±hh:mm offset, optional fraction).  False if malformed. */
bool egov_time_parse_rfc3339(const char *s, int64_t *us);
/**
 * Formats a civil date in the ROC calendar used by official documents:
 * "中華民國115年11月27日".  Years before 1912 are rejected (false).
 */
bool egov_time_roc_date(int year, int month, int day, char *out, size_t outlen);
/** Parses "中華民國115年11月27日" or "115/11/27" or "1151127" into a Gregorian date. */
bool egov_time_parse_roc_date(const char *s, int *year, int *month, int *day);
/**
 * Formats @p us (epoch microseconds) as Taiwan time (UTC+8, no daylight
 * saving) "YYYY-MM-DD hh:mm:ss" into @p out[20], for people to read.
 */
void egov_time_taipei(int64_t us, char out[20]);
/** Formats an HTTP-date (RFC 9110 IMF-fixdate) into @p out[30]. */
void egov_time_http_date(time_t t, char out[30]);

#endif /* EGOV_CORE_H */
