/*
 * testlib.h -- helpers shared by the cmocka test programs.
 */
#ifndef EGOV_TESTLIB_H
#define EGOV_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store/store.h"

/* ================================================================== */
/* Database (testlib_db.c)                                             */
/* ================================================================== */

/**
 * Opens a fresh, empty database for one test, chosen by EGOV_TEST_DB:
 * "sqlite" (the default) gives a new file under $EGOV_TEST_TMP; "pg" gives
 * a newly created PostgreSQL database on the server at EGOV_TEST_PG_URL
 * (the program exits 77, "skipped", if that is unset).  Databases are
 * dropped / files removed when the program exits (set EGOV_TEST_KEEP_DB=1
 * to keep them).  No migrations are applied.  Returns NULL, after printing
 * why, if the database cannot be made; the caller closes it with
 * egov_db_close().
 */
struct egov_db *egov_test_db_open(void);

/**
 * The URL of the database most recently opened by egov_test_db_open(), to
 * hand to a child process (e.g. `egov serve --db URL`); NULL before the
 * first call.  Static storage, valid until the next egov_test_db_open().
 */
const char *egov_test_db_url(void);

/** True if the test database backend is PostgreSQL (EGOV_TEST_DB=pg). */
bool egov_test_db_is_pg(void);

/* ================================================================== */
/* End of database helpers                                             */
/* ================================================================== */

/* ================================================================== */
/* HTTP servers and clients (testlib_server.c)                         */
/* ================================================================== */

#include <sys/types.h>

#include "http/http.h"

/** A server under test: a child `egov serve` process or an in-process server. */
struct egov_test_server {
    pid_t pid;                  /**< child process, or 0 for an in-process server */
    int out_fd;                 /**< the child's stdout (read end), or -1 */
    unsigned int port;
    char base_url[64];          /**< "http://127.0.0.1:PORT" */
    struct egov_server *inproc; /**< in-process server, or NULL */
};

/**
 * Starts `$EGOV_BIN serve --listen 127.0.0.1:0 --db DB_URL EXTRA_ARGS...`,
 * reads the port from its "listening on http://HOST:PORT" line and waits
 * until GET /healthz answers 200.  @p extra_args is NULL-terminated (may be
 * NULL).  Returns false (after printing why and killing the child) on failure.
 */
bool egov_test_server_start(const char *db_url, const char *const *extra_args,
                            struct egov_test_server *out);
/**
 * Stops a server from egov_test_server_start() with SIGTERM and waits for
 * it.  Returns true if it exited with status 0 within 15 seconds (it is
 * killed otherwise).
 */
bool egov_test_server_stop(struct egov_test_server *srv);

/**
 * Starts an in-process server on 127.0.0.1:0 with the NULL-terminated
 * route tables @p tables.  @p opt may be NULL for test defaults (2 threads,
 * cookie_secure off, datadir $EGOV_DATADIR); its listen address is
 * ignored.  Returns false after printing why.
 */
bool egov_test_inproc_start(const struct egov_route_table *const *tables,
                            const struct egov_server_options *opt, struct egov_test_server *out);
/** Stops (with @p grace_ms for in-flight requests) and frees an in-process server. */
void egov_test_inproc_stop(struct egov_test_server *srv, unsigned int grace_ms);

/** A response read by egov_test_http(). */
struct egov_test_response {
    long status;
    char *body;        /**< malloc'd, NUL-terminated */
    size_t body_len;
    char *headers;     /**< malloc'd raw header block of the final response */
};

/**
 * Sends one request with libcurl to @p srv (path like "/healthz").
 * @p headers is a NULL-terminated list of "Name: value" (may be NULL);
 * @p body may be NULL.  Returns false on a transport error.
 */
bool egov_test_http(const struct egov_test_server *srv, const char *method, const char *path,
                    const char *const *headers, const char *body, size_t body_len,
                    struct egov_test_response *out);
/**
 * Copies the value of response header @p name (case-insensitive; the last
 * one if repeated) into @p buf.  Returns @p buf, or NULL if absent.
 */
const char *egov_test_response_header(const struct egov_test_response *r, const char *name,
                                      char *buf, size_t buflen);
/** Frees a response's members. */
void egov_test_response_free(struct egov_test_response *r);

/**
 * Sleeps until @p after_ms milliseconds into the next second of the wall
 * clock, for tests of things counted per second of the clock.
 */
void egov_test_sleep_into_next_second(unsigned int after_ms);

/** Connects a TCP socket to 127.0.0.1:@p port; -1 on failure. */
int egov_test_connect(unsigned int port);
/**
 * Reads from @p fd into @p out (NUL-terminated) until the peer closes,
 * @p outlen - 1 bytes arrived, or @p timeout_ms passed.  Returns the bytes read.
 */
size_t egov_test_read_all(int fd, char *out, size_t outlen, unsigned int timeout_ms);

/* ================================================================== */
/* Signed-in browsers (testlib_session.c)                              */
/* ================================================================== */

struct egov_route_table;
/**
 * Routes for test servers whose pages need a signed-in browser:
 * GET /test/session?account=ID starts a session of that account and sets
 * its cookie (404 naming "account" if it cannot).  Needs the account
 * module's tables in the database.
 */
extern const struct egov_route_table egov_test_session_routes;
/**
 * Signs account @p account_id in at @p srv (which serves
 * egov_test_session_routes) and writes the header line "Cookie: name=value"
 * that later requests send into @p cookie.  False if it did not work.
 */
bool egov_test_sign_in(const struct egov_test_server *srv, const char *account_id, char *cookie,
                       size_t n);

/* ================================================================== */
/* End of HTTP helpers                                                 */
/* ================================================================== */

/* ================================================================== */
/* Fuzz corpora (testlib_fuzz.c)                                       */
/* ================================================================== */

/**
 * Replays every file of a fuzz corpus through @p target: each file (its
 * first 1 MiB) is read into an exactly sized buffer, so AddressSanitizer
 * sees reads past the input, and passed to @p target; its return value is
 * ignored, as libFuzzer does.  @p dir is a directory under
 * tests/fuzz/corpus (e.g. "json") or an absolute path; names starting with
 * '.' are skipped.  Returns the number of files replayed, or -1 (after
 * printing why) if the directory or a file cannot be read.
 */
int egov_test_replay_corpus(const char *dir, int (*target)(const uint8_t *, size_t));

#endif /* EGOV_TESTLIB_H */
